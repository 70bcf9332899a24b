/*
 * multihash.c - multihash encode/decode (multiformats/multihash):
 * uvarint(code) ‖ uvarint(digest length) ‖ digest.  Peer IDs are identity
 * or sha2-256 multihashes (libp2p-wire.md §1.2); CIDs (cid.c) and the
 * multiaddr p2p/certhash components embed them.  Decoding borrows the
 * digest from the caller's bytes and caps it at PD_MH_MAX_DIGEST; which
 * codes are acceptable is the caller's decision, except that sha2-256
 * must carry exactly 32 bytes.
 */
#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/multihash.h"
#include "core/varint.h"

#define MH_SHA2_256_LEN 32	/* bytes in a sha2-256 digest */

/* Digest length rules that hold for encode and decode alike. */
static int
multihash_check_len(uint64_t code, uint64_t len)
{
	if (len > PD_MH_MAX_DIGEST)
		return PD_ERR_OVERFLOW;
	if (code == PD_MH_SHA2_256 && len != MH_SHA2_256_LEN)
		return PD_ERR_MALFORMED;
	return 0;
}

int
pd_multihash_decode_prefix(const uint8_t *p, size_t len,
    struct pd_multihash *ret_mh)
{
	uint64_t code, dlen;
	size_t off;
	int r;

	if ((r = pd_varint_decode(p, len, &code)) < 0)
		return r;
	off = (size_t)r;
	if ((r = pd_varint_decode(p + off, len - off, &dlen)) < 0)
		return r;
	off += (size_t)r;
	if ((r = multihash_check_len(code, dlen)) < 0)
		return r;
	if (dlen > len - off)
		return PD_ERR_TRUNCATED;
	ret_mh->code = code;
	ret_mh->digest = p + off;
	ret_mh->len = (size_t)dlen;
	return (int)(off + dlen);
}

int
pd_multihash_decode(const uint8_t *p, size_t len, struct pd_multihash *ret_mh)
{
	struct pd_multihash mh;
	int r;

	if ((r = pd_multihash_decode_prefix(p, len, &mh)) < 0)
		return r;
	if ((size_t)r != len)
		return PD_ERR_MALFORMED;
	*ret_mh = mh;
	return 0;
}

int
pd_multihash_encode(struct pd_buf *b, uint64_t code, const uint8_t *digest,
    size_t len)
{
	size_t old = b->len;
	int r;

	if (code > PD_VARINT_MAX_VALUE)
		return PD_ERR_OVERFLOW;
	if ((r = multihash_check_len(code, len)) < 0)
		return r == PD_ERR_MALFORMED ? PD_ERR_INVAL : r;
	if ((r = pd_varint_append(b, code)) < 0 ||
	    (r = pd_varint_append(b, len)) < 0 ||
	    (r = pd_buf_append(b, digest, len)) < 0) {
		b->len = old;	/* leave no partial multihash behind */
		return r;
	}
	return 0;
}

int
pd_multihash_sha256(struct pd_buf *b, const void *data, size_t n)
{
	uint8_t digest[crypto_hash_sha256_BYTES];
	int r;

	crypto_hash_sha256(digest, data, n);
	r = pd_multihash_encode(b, PD_MH_SHA2_256, digest, sizeof(digest));
	sodium_memzero(digest, sizeof(digest));
	return r;
}
