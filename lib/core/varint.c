/*
 * varint.c - multiformats unsigned varints (multiformats/unsigned-varint,
 * libp2p-wire.md §3): 7 bits per byte, least significant group first, at
 * most 9 bytes and 2^63-1, minimal encodings only.  Used by multihash, CID,
 * multiaddr and every length-prefixed libp2p framing (multistream, identify,
 * kad).  Protobuf varints live in pb.c: they differ in length and minimality.
 */
#include "core/buf.h"
#include "core/error.h"
#include "core/varint.h"

size_t
pd_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

int
pd_varint_encode(uint64_t v, uint8_t out[PD_VARINT_MAX_LEN])
{
	int n = 0;

	if (v > PD_VARINT_MAX_VALUE)
		return PD_ERR_OVERFLOW;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int
pd_varint_append(struct pd_buf *b, uint64_t v)
{
	uint8_t tmp[PD_VARINT_MAX_LEN];
	int n, r;

	if ((n = pd_varint_encode(v, tmp)) < 0)
		return n;
	if ((r = pd_buf_append(b, tmp, (size_t)n)) < 0)
		return r;
	return 0;
}

int
pd_varint_decode(const uint8_t *p, size_t len, uint64_t *ret_v)
{
	uint64_t v = 0;

	for (size_t i = 0; i < PD_VARINT_MAX_LEN; i++) {
		uint8_t c;

		if (i >= len)
			return PD_ERR_TRUNCATED;
		c = p[i];
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (c & 0x80)
			continue;
		/* A zero final byte after others means a shorter form exists. */
		if (c == 0 && i > 0)
			return PD_ERR_NOT_MINIMAL;
		*ret_v = v;
		return (int)i + 1;
	}
	/*
	 * Nine bytes all with the continuation bit: a tenth would be needed.
	 * Nine 7-bit groups hold exactly 63 bits, so a value that ends within
	 * nine bytes can never exceed 2^63-1.
	 */
	return PD_ERR_OVERFLOW;
}
