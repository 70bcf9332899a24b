/*
 * fuzz_varint.c - libFuzzer target for lib/core/varint.c (and the
 * protobuf varint decoder in pb.c).  Invariants, abort() on violation:
 * - a successful decode re-encodes to exactly the bytes it consumed, and
 *   pd_varint_size() agrees with the length;
 * - a multiformats varint is also a protobuf varint with the same value;
 * - failures are only TRUNCATED / NOT_MINIMAL / OVERFLOW, and TRUNCATED
 *   only when every remaining byte (fewer than 9) has the high bit set;
 * - any value read from the input (masked to 63 bits) round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/pb.h"
#include "core/varint.h"

#define FUZZ_VARINT_MAX_INPUT 65536	/* bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_varint_check_at(const uint8_t *p, size_t len)
{
	uint8_t re[PD_VARINT_MAX_LEN];
	uint64_t v, pv;
	int n, pn;

	n = pd_varint_decode(p, len, &v);
	if (n > 0) {
		if ((size_t)n > len || n > PD_VARINT_MAX_LEN ||
		    v > PD_VARINT_MAX_VALUE)
			abort();
		if (pd_varint_encode(v, re) != n || memcmp(re, p, (size_t)n) != 0)
			abort();
		if (pd_varint_size(v) != (size_t)n)
			abort();
		pn = pd_pb_varint_decode(p, len, &pv);
		if (pn != n || pv != v)
			abort();
		return;
	}
	switch (n) {
	case PD_ERR_TRUNCATED:
		if (len >= PD_VARINT_MAX_LEN)
			abort();
		for (size_t i = 0; i < len; i++)
			if ((p[i] & 0x80) == 0)
				abort();
		break;
	case PD_ERR_NOT_MINIMAL:
	case PD_ERR_OVERFLOW:
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_VARINT_MAX_INPUT)
		return 0;
	/* Decode at every offset so each byte starts a varint once. */
	for (size_t off = 0; off <= size; off++)
		fuzz_varint_check_at(data + off, size - off);
	/* Values taken from the input round-trip through encode/decode. */
	for (size_t off = 0; off + 8 <= size; off += 8) {
		uint8_t enc[PD_VARINT_MAX_LEN];
		uint64_t v = 0, back = 0;
		int n;

		for (int k = 0; k < 8; k++)
			v |= (uint64_t)data[off + (size_t)k] << (8 * k);
		v >>= data[off] & 63;
		v &= PD_VARINT_MAX_VALUE;
		n = pd_varint_encode(v, enc);
		if (n <= 0 || pd_varint_decode(enc, (size_t)n, &back) != n ||
		    back != v)
			abort();
	}
	return 0;
}
