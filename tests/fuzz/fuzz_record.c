/*
 * fuzz_record.c - signed envelopes carrying peer records from hostile
 * peers (pd_record_open on arbitrary bytes).  Invariants: an envelope
 * that opens names the peer ID of the key that signed it, keeps at most
 * PD_RECORD_MAX_ADDRS addresses, opens the same way twice, and its
 * record, re-sealed with a key of our own (we cannot re-seal with the
 * signer's), opens back to the same sequence number and addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "proto/record.h"

#define FUZZ_RECORD_MAX_INPUT (PD_RECORD_MAX_ENVELOPE * 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_record_same(const struct pd_peer_record *a,
    const struct pd_peer_record *b)
{
	if (a->seq != b->seq || a->naddrs != b->naddrs)
		return 0;
	for (size_t i = 0; i < a->naddrs; i++)
		if (!pd_multiaddr_equal(&a->addrs[i], &b->addrs[i]))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_peer_record rec, again;
	static const uint8_t seed[PD_KEY_ED25519_SEED_LEN] = { 0x42 };
	struct pd_pubkey pub, pub2, ours;
	struct pd_privkey key;
	struct pd_peerid id;
	struct pd_buf sealed;
	char why[128];
	int r;

	if (size > FUZZ_RECORD_MAX_INPUT)
		return 0;
	why[0] = '\0';
	r = pd_record_open(data, size, &rec, &pub, why, sizeof(why));
	if (r != 0) {
		if (r > 0 || memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return 0;
	}
	if (pd_peerid_from_pubkey(&pub, &id) != 0 ||
	    !pd_peerid_equal(&id, &rec.id) ||
	    rec.naddrs > PD_RECORD_MAX_ADDRS)
		abort();
	/* Deterministic: the same bytes open to the same record. */
	if (pd_record_open(data, size, &again, &pub2, why, sizeof(why)) != 0 ||
	    !pd_pubkey_equal(&pub, &pub2) || !pd_peerid_equal(&rec.id,
	    &again.id) || !fuzz_record_same(&rec, &again))
		abort();
	/* Re-sealed under our key, the content survives. */
	if (pd_privkey_from_seed(seed, &key) != 0 ||
	    pd_privkey_public(&key, &ours) != 0 ||
	    pd_peerid_from_pubkey(&ours, &again.id) != 0)
		abort();
	again.seq = rec.seq;
	again.naddrs = rec.naddrs;
	memcpy(again.addrs, rec.addrs, rec.naddrs * sizeof(rec.addrs[0]));
	pd_buf_init(&sealed);
	if (pd_record_seal(&key, &again, &sealed) != 0)
		abort();
	if (sealed.len <= PD_RECORD_MAX_ENVELOPE) {
		struct pd_peerid want = again.id;

		if (pd_record_open(sealed.data, sealed.len, &again, &pub2,
		    why, sizeof(why)) != 0 ||
		    !pd_pubkey_equal(&pub2, &ours) ||
		    !pd_peerid_equal(&again.id, &want) ||
		    !fuzz_record_same(&rec, &again) || again.dropped != 0)
			abort();
	}
	pd_buf_free(&sealed);
	pd_privkey_clear(&key);
	return 0;
}
