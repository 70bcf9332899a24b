/*
 * cid.c - CIDv1 (multiformats/cid): 0x01 ‖ uvarint(codec) ‖ multihash.
 * Peer IDs in CID text form are libp2p-key (0x72) CIDs printed as
 * multibase base32 (libp2p-wire.md §1.3); the peer ID and multiaddr code
 * calls pd_cid_parse/pd_cid_format and then checks the codec itself.
 * Decoding borrows from the caller's bytes; the binary form is capped at
 * PD_CID_MAX_BIN and the text form at PD_CID_MAX_TEXT.
 */
#include <string.h>

#include "core/base.h"
#include "core/buf.h"
#include "core/cid.h"
#include "core/error.h"
#include "core/varint.h"

#define CID_VERSION_1 0x01

int
pd_cid_decode(const uint8_t *p, size_t len, struct pd_cid *ret_cid)
{
	struct pd_cid cid;
	uint64_t version, codec;
	size_t off;
	int r;

	if (len > PD_CID_MAX_BIN)
		return PD_ERR_OVERFLOW;
	if ((r = pd_varint_decode(p, len, &version)) < 0)
		return r;
	/* CIDv0 is a bare sha2-256 multihash (first byte 0x12). */
	if (version != CID_VERSION_1)
		return PD_ERR_UNSUPPORTED;
	off = (size_t)r;
	if ((r = pd_varint_decode(p + off, len - off, &codec)) < 0)
		return r;
	off += (size_t)r;
	if ((r = pd_multihash_decode(p + off, len - off, &cid.mh)) < 0)
		return r;
	cid.codec = codec;
	cid.mh_bytes = p + off;
	cid.mh_len = len - off;
	*ret_cid = cid;
	return 0;
}

/* Binary CID into out (PD_CID_MAX_BIN bytes); returns its length. */
static int
cid_build(uint64_t codec, const uint8_t *mh, size_t mhlen,
    uint8_t out[PD_CID_MAX_BIN])
{
	struct pd_multihash check;
	size_t off = 0;
	int r;

	if (codec > PD_VARINT_MAX_VALUE)
		return PD_ERR_OVERFLOW;
	/* Only well-formed multihashes go into a CID we emit. */
	if (pd_multihash_decode(mh, mhlen, &check) < 0)
		return PD_ERR_INVAL;
	if (1 + pd_varint_size(codec) + mhlen > PD_CID_MAX_BIN)
		return PD_ERR_OVERFLOW;
	out[off++] = CID_VERSION_1;
	r = pd_varint_encode(codec, out + off);
	off += (size_t)r;
	memcpy(out + off, mh, mhlen);
	return (int)(off + mhlen);
}

int
pd_cid_encode(struct pd_buf *b, uint64_t codec, const uint8_t *mh,
    size_t mhlen)
{
	uint8_t bin[PD_CID_MAX_BIN];
	int n;

	if ((n = cid_build(codec, mh, mhlen, bin)) < 0)
		return n;
	return pd_buf_append(b, bin, (size_t)n);
}

int
pd_cid_parse(const char *text, size_t n, uint8_t *buf, size_t buflen,
    struct pd_cid *ret_cid)
{
	int r;

	if (n > PD_CID_MAX_TEXT)
		return PD_ERR_OVERFLOW;
	if ((r = pd_multibase_decode(text, n, buf, buflen, NULL)) < 0)
		return r;
	return pd_cid_decode(buf, (size_t)r, ret_cid);
}

int
pd_cid_format(uint64_t codec, const uint8_t *mh, size_t mhlen, char *out,
    size_t outlen)
{
	uint8_t bin[PD_CID_MAX_BIN];
	int n;

	if ((n = cid_build(codec, mh, mhlen, bin)) < 0)
		return n;
	return pd_multibase_encode(PD_MULTIBASE_BASE32, bin, (size_t)n, out,
	    outlen);
}
