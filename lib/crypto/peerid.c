/*
 * peerid.c - peer IDs: derivation from public keys, validation of binary
 * IDs, and the two text forms (base58btc multihash and CIDv1 libp2p-key),
 * per libp2p-wire.md §1.2-§1.3 and libp2p/specs peer-ids.md.
 *
 * Used by everything that names peers: the Noise handshake (derive the
 * remote ID from its key), multiaddr /p2p/ components, kad messages, the
 * peer store, the config file and the control protocol.  Works on
 * caller-owned values only; no allocation.
 */
#include <string.h>

#include <sodium.h>

#include "core/base.h"
#include "core/cid.h"
#include "core/error.h"
#include "core/multihash.h"
#include "crypto/key.h"
#include "crypto/peerid.h"

_Static_assert(PD_PEERID_MAX_BYTES == 2 + PD_PEERID_MAX_INLINE,
    "identity multihash of the longest inline key");
_Static_assert(PD_PEERID_MAX_BYTES < 256, "len is a uint8_t");

/* Store validated multihash bytes, zeroing the tail (memcmp-comparable). */
static void
peerid_set(struct pd_peerid *id, const uint8_t *p, size_t len)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->bytes, p, len);
	id->len = (uint8_t)len;
}

int
pd_peerid_from_pubkey(const struct pd_pubkey *pub, struct pd_peerid *ret_id)
{
	uint8_t enc[PD_KEY_MAX_PUBKEY_PB];
	uint8_t mh[PD_PEERID_MAX_BYTES];
	size_t mhlen;
	int n;

	if (pub == NULL || ret_id == NULL)
		return PD_ERR_INVAL;
	if ((n = pd_pubkey_encode(pub, enc, sizeof(enc))) < 0)
		return PD_ERR_INVAL;
	if ((size_t)n <= PD_PEERID_MAX_INLINE) {
		/* identity: 00 ‖ uvarint(n) ‖ key; n <= 42 fits one byte */
		mh[0] = PD_MH_IDENTITY;
		mh[1] = (uint8_t)n;
		memcpy(mh + 2, enc, (size_t)n);
		mhlen = 2 + (size_t)n;
	} else {
		mh[0] = PD_MH_SHA2_256;
		mh[1] = crypto_hash_sha256_BYTES;
		crypto_hash_sha256(mh + 2, enc, (unsigned long long)n);
		mhlen = PD_PEERID_SHA256_LEN;
	}
	peerid_set(ret_id, mh, mhlen);
	return 0;
}

int
pd_peerid_from_bytes(const uint8_t *p, size_t len, struct pd_peerid *ret_id)
{
	struct pd_multihash mh;
	struct pd_pubkey pub;

	if ((p == NULL && len > 0) || ret_id == NULL)
		return PD_ERR_INVAL;
	if (len == 0 || len > PD_CID_MAX_BIN ||
	    pd_multihash_decode(p, len, &mh) < 0)
		return PD_ERR_MALFORMED;
	switch (mh.code) {
	case PD_MH_IDENTITY:
		if (mh.len == 0 || mh.len > PD_PEERID_MAX_INLINE ||
		    len > PD_PEERID_MAX_BYTES)
			return PD_ERR_MALFORMED;
		/* The digest is the key: it must be a real one. */
		if (pd_pubkey_decode(mh.digest, mh.len, &pub, NULL, 0) < 0)
			return PD_ERR_MALFORMED;
		break;
	case PD_MH_SHA2_256:
		if (mh.len != crypto_hash_sha256_BYTES ||
		    len != PD_PEERID_SHA256_LEN)
			return PD_ERR_MALFORMED;
		break;
	default:
		return PD_ERR_UNSUPPORTED;
	}
	peerid_set(ret_id, p, len);
	return 0;
}

int
pd_peerid_parse(const char *text, size_t n, struct pd_peerid *ret_id)
{
	uint8_t buf[PD_CID_MAX_BIN];
	struct pd_cid cid;
	int rc;

	if ((text == NULL && n > 0) || ret_id == NULL)
		return PD_ERR_INVAL;
	if (n == 0 || n > PD_PEERID_MAX_TEXT_IN || memchr(text, '\0', n))
		return PD_ERR_MALFORMED;
	if (text[0] == '1' || (n >= 2 && text[0] == 'Q' && text[1] == 'm')) {
		/* legacy: bare base58btc multihash */
		rc = pd_base58_decode(text, n, buf, sizeof(buf));
		if (rc <= 0)
			return PD_ERR_MALFORMED;
		return pd_peerid_from_bytes(buf, (size_t)rc, ret_id);
	}
	/* CID: multibase by first character, then a CIDv1. */
	rc = pd_multibase_decode(text, n, buf, sizeof(buf), NULL);
	if (rc == PD_ERR_UNSUPPORTED)
		return rc;	/* unknown multibase prefix */
	if (rc < 0 || pd_cid_decode(buf, (size_t)rc, &cid) < 0)
		return PD_ERR_MALFORMED;
	if (cid.codec != PD_CID_LIBP2P_KEY)
		return PD_ERR_UNSUPPORTED;
	return pd_peerid_from_bytes(cid.mh_bytes, cid.mh_len, ret_id);
}

int
pd_peerid_format(const struct pd_peerid *id, char *out, size_t outlen)
{
	if (id == NULL || id->len == 0 || id->len > PD_PEERID_MAX_BYTES ||
	    (out == NULL && outlen > 0))
		return PD_ERR_INVAL;
	return pd_base58_encode(id->bytes, id->len, out, outlen);
}

int
pd_peerid_format_cid(const struct pd_peerid *id, char *out, size_t outlen)
{
	if (id == NULL || id->len == 0 || id->len > PD_PEERID_MAX_BYTES ||
	    (out == NULL && outlen > 0))
		return PD_ERR_INVAL;
	return pd_cid_format(PD_CID_LIBP2P_KEY, id->bytes, id->len, out,
	    outlen);
}

bool
pd_peerid_equal(const struct pd_peerid *a, const struct pd_peerid *b)
{
	return a->len == b->len && a->len <= PD_PEERID_MAX_BYTES &&
	    memcmp(a->bytes, b->bytes, a->len) == 0;
}

int
pd_peerid_extract_pubkey(const struct pd_peerid *id, struct pd_pubkey *ret_pub)
{
	struct pd_multihash mh;

	if (id == NULL || ret_pub == NULL)
		return PD_ERR_INVAL;
	if (id->len == 0 || id->len > PD_PEERID_MAX_BYTES ||
	    pd_multihash_decode(id->bytes, id->len, &mh) < 0)
		return PD_ERR_MALFORMED;
	if (mh.code != PD_MH_IDENTITY)
		return PD_ERR_NOT_FOUND;
	if (pd_pubkey_decode(mh.digest, mh.len, ret_pub, NULL, 0) < 0)
		return PD_ERR_MALFORMED;
	return 0;
}

bool
pd_peerid_matches_pubkey(const struct pd_peerid *id,
    const struct pd_pubkey *pub)
{
	struct pd_peerid derived;

	if (id == NULL || pub == NULL ||
	    pd_peerid_from_pubkey(pub, &derived) < 0)
		return false;
	return pd_peerid_equal(id, &derived);
}
