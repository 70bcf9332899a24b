/*
 * fuzz_kad_record.c - DHT records from hostile peers: the pk and ipns
 * validators, ipns parse/select, the record store and the DAG-CBOR reader.
 *
 * Input: byte 0 picks the mode (low 2 bits) and byte 1 the length n of
 * the key tail; then n key bytes, then the value.  Mode 0 validates
 * "/pk/" || tail, mode 1 "/ipns/" || tail, mode 2 uses the tail as the
 * whole key, mode 3 runs the CBOR reader over the value.  Invariants
 * (abort() when broken): a successful ipns validation parses again, its
 * signatureV2 verifies again with the key taken independently from the
 * record or the name, and its EOL is not before now; a successful pk
 * validation decodes to a key whose peer ID is the key tail; select over
 * [v, v] picks 0; a record the store accepts is returned by get with the
 * same bytes; a CBOR item that checks has no complete proper prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "kad/cbor.h"
#include "kad/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 65536
#define FUZZ_NOW INT64_C(1700000000000)

static void
fuzz_check_ipns(const uint8_t *tail, size_t tlen, const uint8_t *val,
    size_t vlen)
{
	static uint8_t msg[16 + PD_KAD_IPNS_MAX];
	struct pd_kad_ipns e;
	struct pd_pubkey pub;
	struct pd_peerid id;
	struct pd_kad_rec_val two[2];

	if (pd_kad_ipns_parse(val, vlen, &e, NULL, 0) != 0 ||
	    pd_peerid_from_bytes(tail, tlen, &id) != 0)
		abort();
	if (e.pubkey_len > 0) {
		if (pd_pubkey_decode(e.pubkey, e.pubkey_len, &pub, NULL, 0) != 0 ||
		    !pd_peerid_matches_pubkey(&id, &pub))
			abort();
	} else if (pd_peerid_extract_pubkey(&id, &pub) != 0) {
		abort();
	}
	memcpy(msg, "ipns-signature:", 15);
	memcpy(msg + 15, e.data, e.data_len);
	if (pd_pubkey_verify(&pub, msg, 15 + e.data_len, e.sig_v2,
	    e.sig_v2_len) != 0)
		abort();
	if (e.eol_ms < FUZZ_NOW)
		abort();
	two[0].val = two[1].val = val;
	two[0].len = two[1].len = vlen;
	if (pd_kad_ipns_select(NULL, 0, two, 2, NULL) != 0)
		abort();
}

static void
fuzz_check_pk(const uint8_t *tail, size_t tlen, const uint8_t *val,
    size_t vlen)
{
	struct pd_pubkey pub;
	struct pd_peerid id;

	if (pd_pubkey_decode(val, vlen, &pub, NULL, 0) != 0 ||
	    pd_peerid_from_pubkey(&pub, &id) != 0 || id.len != tlen ||
	    memcmp(id.bytes, tail, tlen) != 0)
		abort();
}

static void
fuzz_check_store(const struct pd_kad_validators *v, const uint8_t *key,
    size_t klen, const uint8_t *val, size_t vlen)
{
	struct pd_kad_records *rs = pd_kad_records_new(v, 4, 0);
	const uint8_t *got;
	size_t glen;

	if (rs == NULL)
		return;
	if (pd_kad_records_put(rs, key, klen, val, vlen, FUZZ_NOW, NULL, 0) != 0 ||
	    pd_kad_records_get(rs, key, klen, FUZZ_NOW, &got, &glen, NULL) != 0 ||
	    glen != vlen || memcmp(got, val, vlen) != 0 ||
	    pd_kad_records_put(rs, key, klen, val, vlen, FUZZ_NOW + 1, NULL, 0) != 0 ||
	    pd_kad_records_count(rs) != 1)
		abort();
	pd_kad_records_free(rs);
}

static void
fuzz_cbor(const uint8_t *p, size_t n)
{
	char why[128];

	if (pd_cbor_check(p, n, why, sizeof(why)) == 0 && n > 0 &&
	    pd_cbor_check(p, n - 1, NULL, 0) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t key[6 + 256];
	struct pd_kad_validators v;
	const uint8_t *tail, *val;
	size_t tlen, klen, vlen, plen = 0;
	char why[256];
	unsigned mode;
	int rc;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	mode = data[0] & 3;
	tlen = data[1];
	if (tlen > size - 2)
		tlen = size - 2;
	tail = data + 2;
	val = tail + tlen;
	vlen = size - 2 - tlen;
	if (mode == 3) {
		fuzz_cbor(data + 2, size - 2);
		return 0;
	}
	if (mode == 0) {
		memcpy(key, "/pk/", 4);
		plen = 4;
	} else if (mode == 1) {
		memcpy(key, "/ipns/", 6);
		plen = 6;
	}
	memcpy(key + plen, tail, tlen);
	klen = plen + tlen;
	pd_kad_validators_default(&v);
	rc = pd_kad_validate(&v, key, klen, val, vlen, FUZZ_NOW, why,
	    sizeof(why));
	if (rc > 0 || (rc != 0 && why[0] == '\0'))
		abort();
	if (rc == 0 && mode == 1)
		fuzz_check_ipns(tail, tlen, val, vlen);
	if (rc == 0 && mode == 0)
		fuzz_check_pk(tail, tlen, val, vlen);
	if (rc == 0)
		fuzz_check_store(&v, key, klen, val, vlen);
	/* the CBOR reader on the value, and the ipns parser on anything */
	fuzz_cbor(val, vlen);
	{
		struct pd_kad_ipns e;

		(void)pd_kad_ipns_parse(val, vlen, &e, NULL, 0);
	}
	return 0;
}
