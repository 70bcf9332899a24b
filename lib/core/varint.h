/*
 * varint.h - multiformats unsigned varint (multiformats/unsigned-varint).
 *
 * 7 bits per byte, least significant group first.  Values are limited to
 * 2^63-1 and 9 bytes; decoders reject non-minimal encodings (e.g. 80 00),
 * as go-varint does.  Not to be confused with protobuf varints (pb.h),
 * which allow 10 bytes and do not require minimality.
 */
#ifndef PD_CORE_VARINT_H
#define PD_CORE_VARINT_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;

#define PD_VARINT_MAX_LEN 9
#define PD_VARINT_MAX_VALUE ((UINT64_C(1) << 63) - 1)

/* Encoded size of v (1..9); v must be <= PD_VARINT_MAX_VALUE. */
size_t pd_varint_size(uint64_t v);
/*
 * Encode v into out (room for PD_VARINT_MAX_LEN bytes); returns the length
 * or PD_ERR_OVERFLOW if v > PD_VARINT_MAX_VALUE.
 */
int pd_varint_encode(uint64_t v, uint8_t out[PD_VARINT_MAX_LEN]);
/* Append the encoding of v to b: 0, PD_ERR_OVERFLOW or PD_ERR_NOMEM. */
int pd_varint_append(struct pd_buf *b, uint64_t v);
/*
 * Decode one varint from the front of p[0..len).  Returns the number of
 * bytes consumed (> 0) and sets *ret_v; or PD_ERR_TRUNCATED when the input
 * ends inside the varint (more bytes may complete it), PD_ERR_NOT_MINIMAL,
 * or PD_ERR_OVERFLOW (over 9 bytes or over 2^63-1).  *ret_v is untouched
 * on failure.
 */
int pd_varint_decode(const uint8_t *p, size_t len, uint64_t *ret_v);

#endif
