/*
 * record.c - sealing and opening signed peer records.  Used by identify
 * (we send ours, we check theirs) and later by the peer store, which keeps
 * the newest certified addresses per peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "core/varint.h"
#include "proto/record.h"

static const uint8_t record_payload_type[2] = { 0x03, 0x01 };

#define RECORD_SET_WHY(...) do {					\
	if (why != NULL && whylen > 0)					\
		snprintf(why, whylen, __VA_ARGS__);			\
} while (0)

/* uvarint(len(x)) ‖ x for domain, payload type and payload. */
static int
record_signing_input(const uint8_t *type, size_t typelen,
    const uint8_t *payload, size_t paylen, struct pd_buf *out)
{
	size_t dlen = strlen(PD_RECORD_DOMAIN);
	int r;

	if ((r = pd_varint_append(out, dlen)) < 0 ||
	    (r = pd_buf_append(out, PD_RECORD_DOMAIN, dlen)) < 0 ||
	    (r = pd_varint_append(out, typelen)) < 0 ||
	    (r = pd_buf_append(out, type, typelen)) < 0 ||
	    (r = pd_varint_append(out, paylen)) < 0 ||
	    (r = pd_buf_append(out, payload, paylen)) < 0)
		return r;
	return 0;
}

static int
record_encode_payload(const struct pd_peer_record *rec, struct pd_buf *out)
{
	struct pd_buf ai;
	int r;

	pd_buf_init(&ai);
	if ((r = pd_pb_put_bytes(out, 1, rec->id.bytes, rec->id.len)) < 0)
		return r;
	if (rec->seq != 0 && (r = pd_pb_put_varint(out, 2, rec->seq)) < 0)
		return r;
	for (size_t i = 0; i < rec->naddrs; i++) {
		pd_buf_reset(&ai);
		if ((r = pd_pb_put_bytes(&ai, 1, rec->addrs[i].bytes,
		    rec->addrs[i].len)) < 0 ||
		    (r = pd_pb_put_bytes(out, 3, ai.data, ai.len)) < 0)
			break;
	}
	pd_buf_free(&ai);
	return r < 0 ? r : 0;
}

int
pd_record_seal(const struct pd_privkey *key, const struct pd_peer_record *rec,
    struct pd_buf *out)
{
	struct pd_buf payload, signing;
	struct pd_pubkey pub;
	uint8_t pubpb[PD_KEY_MAX_PUBKEY_PB];
	uint8_t sig[PD_KEY_ED25519_SIG_LEN];
	int publen, r;

	pd_buf_init(&payload);
	pd_buf_init(&signing);
	if ((r = pd_privkey_public(key, &pub)) < 0 ||
	    (publen = pd_pubkey_encode(&pub, pubpb, sizeof(pubpb))) < 0) {
		r = r < 0 ? r : PD_ERR_INVAL;
		goto out;
	}
	if ((r = record_encode_payload(rec, &payload)) < 0 ||
	    (r = record_signing_input(record_payload_type,
	    sizeof(record_payload_type), payload.data, payload.len,
	    &signing)) < 0 ||
	    (r = pd_privkey_sign(key, signing.data, signing.len, sig)) < 0)
		goto out;
	if ((r = pd_pb_put_bytes(out, 1, pubpb, (size_t)publen)) < 0 ||
	    (r = pd_pb_put_bytes(out, 2, record_payload_type,
	    sizeof(record_payload_type))) < 0 ||
	    (r = pd_pb_put_bytes(out, 3, payload.data, payload.len)) < 0 ||
	    (r = pd_pb_put_bytes(out, 5, sig, sizeof(sig))) < 0)
		goto out;
	r = 0;
out:
	pd_buf_free(&payload);
	pd_buf_free(&signing);
	return r;
}

static int
record_decode_payload(const uint8_t *p, size_t len,
    struct pd_peer_record *rec, char *why, size_t whylen)
{
	struct pd_pb_reader rd, ard;
	struct pd_pb_field f, af;
	int r, have_id = 0;

	pd_pb_reader_init(&rd, p, len);
	while ((r = pd_pb_next(&rd, &f)) == 1) {
		if (f.num == 1 && f.wire == PD_PB_LEN) {
			if (pd_peerid_from_bytes(f.data, f.len, &rec->id) < 0) {
				RECORD_SET_WHY("peer record: invalid peer ID");
				return PD_ERR_MALFORMED;
			}
			have_id = 1;
		} else if (f.num == 2 && f.wire == PD_PB_VARINT) {
			rec->seq = f.u;
		} else if (f.num == 3 && f.wire == PD_PB_LEN) {
			const uint8_t *ma = NULL;
			size_t malen = 0;

			pd_pb_reader_init(&ard, f.data, f.len);
			while ((r = pd_pb_next(&ard, &af)) == 1)
				if (af.num == 1 && af.wire == PD_PB_LEN) {
					ma = af.data;
					malen = af.len;
				}
			if (r < 0 || ma == NULL ||
			    rec->naddrs == PD_RECORD_MAX_ADDRS ||
			    pd_multiaddr_from_bytes(ma, malen,
			    &rec->addrs[rec->naddrs], NULL, 0) < 0)
				rec->dropped++;
			else
				rec->naddrs++;
		}
	}
	if (r < 0 || !have_id) {
		RECORD_SET_WHY("peer record: %s", r < 0 ? pd_strerror(r) :
		    "no peer ID");
		return PD_ERR_MALFORMED;
	}
	return 0;
}

int
pd_record_open(const uint8_t *p, size_t len, struct pd_peer_record *ret_rec,
    struct pd_pubkey *ret_pub, char *why, size_t whylen)
{
	struct pd_pb_reader rd;
	struct pd_pb_field f;
	const uint8_t *type = NULL, *payload = NULL, *sig = NULL;
	size_t typelen = 0, paylen = 0, siglen = 0;
	struct pd_pubkey pub;
	struct pd_peerid keyid;
	struct pd_peer_record *rec = NULL;
	struct pd_buf signing;
	int r, have_key = 0;

	if (len > PD_RECORD_MAX_ENVELOPE) {
		RECORD_SET_WHY("envelope: %zu bytes is over the %d-byte limit",
		    len, PD_RECORD_MAX_ENVELOPE);
		return PD_ERR_OVERFLOW;
	}
	pd_pb_reader_init(&rd, p, len);
	while ((r = pd_pb_next(&rd, &f)) == 1) {
		if (f.wire != PD_PB_LEN)
			continue;
		switch (f.num) {
		case 1:
			if (pd_pubkey_decode(f.data, f.len, &pub, why,
			    whylen) < 0)
				return PD_ERR_BAD_KEY;
			have_key = 1;
			break;
		case 2:
			type = f.data, typelen = f.len;
			break;
		case 3:
			payload = f.data, paylen = f.len;
			break;
		case 5:
			sig = f.data, siglen = f.len;
			break;
		}
	}
	if (r < 0 || !have_key || type == NULL || sig == NULL) {
		RECORD_SET_WHY("envelope: %s", r < 0 ? pd_strerror(r) :
		    "missing key, type or signature");
		return PD_ERR_MALFORMED;
	}
	if (typelen != sizeof(record_payload_type) ||
	    memcmp(type, record_payload_type, typelen) != 0) {
		RECORD_SET_WHY("envelope: payload is not a peer record");
		return PD_ERR_UNSUPPORTED;
	}
	pd_buf_init(&signing);
	r = record_signing_input(type, typelen, payload, paylen, &signing);
	if (r == 0)
		r = pd_pubkey_verify(&pub, signing.data, signing.len, sig,
		    siglen);
	pd_buf_free(&signing);
	if (r < 0) {
		RECORD_SET_WHY("envelope: signature does not verify");
		return PD_ERR_BAD_SIGNATURE;
	}
	if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return PD_ERR_NOMEM;
	if ((r = record_decode_payload(payload, paylen, rec, why,
	    whylen)) < 0)
		goto out;
	if ((r = pd_peerid_from_pubkey(&pub, &keyid)) < 0)
		goto out;
	if (!pd_peerid_equal(&keyid, &rec->id)) {
		RECORD_SET_WHY("peer record: peer ID is not the signer's");
		r = PD_ERR_BAD_KEY;
		goto out;
	}
	*ret_rec = *rec;
	*ret_pub = pub;
	r = 0;
out:
	free(rec);
	return r;
}
