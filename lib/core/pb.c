/*
 * pb.c - protobuf binary wire format: a bounded field-by-field reader over
 * a borrowed buffer and deterministic writers into a struct pd_buf.  Used
 * by the key/peer ID code (PublicKey, libp2p-wire.md §1.1), the Noise
 * handshake payload, identify, the signed peer record and kad messages;
 * each of those owns its schema and just switches on field numbers here.
 *
 * Reader rules: tag and VARINT values are protobuf varints (at most 10
 * bytes, at most 64 bits, non-minimal forms accepted); field number 0 and
 * numbers above PD_PB_MAX_FIELD are malformed; groups (3, 4) and wire
 * types 6, 7 are malformed; LEN payloads and fixed-width values must fit
 * in what is left.  Writers always emit minimal varints.
 */
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"

#define PB_VARINT_MAX_LEN 10	/* bytes in a 64-bit protobuf varint */

void
pd_pb_reader_init(struct pd_pb_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

int
pd_pb_varint_decode(const uint8_t *p, size_t len, uint64_t *ret_v)
{
	uint64_t v = 0;

	for (size_t i = 0; i < PB_VARINT_MAX_LEN; i++) {
		uint8_t c;

		if (i >= len)
			return PD_ERR_TRUNCATED;
		c = p[i];
		/* The tenth byte carries bit 63 only. */
		if (i == PB_VARINT_MAX_LEN - 1 && c > 1)
			return PD_ERR_OVERFLOW;
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if ((c & 0x80) == 0) {
			*ret_v = v;
			return (int)i + 1;
		}
	}
	return PD_ERR_OVERFLOW;	/* unreachable: c > 1 caught above */
}

/* Read a little-endian fixed-width value of size bytes. */
static int
pb_read_fixed(struct pd_pb_reader *r, size_t size, uint64_t *ret_v)
{
	uint64_t v = 0;

	if (r->len - r->off < size)
		return PD_ERR_TRUNCATED;
	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += size;
	*ret_v = v;
	return 0;
}

static int
pb_read_varint(struct pd_pb_reader *r, uint64_t *ret_v)
{
	int n;

	if ((n = pd_pb_varint_decode(r->p + r->off, r->len - r->off,
	    ret_v)) < 0)
		return n;
	r->off += (size_t)n;
	return 0;
}

int
pd_pb_next(struct pd_pb_reader *r, struct pd_pb_field *ret_f)
{
	struct pd_pb_field f;
	uint64_t tag, n;
	int e;

	if (r->off >= r->len)
		return 0;
	if ((e = pb_read_varint(r, &tag)) < 0)
		return e;
	if ((tag >> 3) == 0 || (tag >> 3) > PD_PB_MAX_FIELD)
		return PD_ERR_MALFORMED;
	memset(&f, 0, sizeof(f));
	f.num = (uint32_t)(tag >> 3);
	switch (tag & 7) {
	case PD_PB_VARINT:
		f.wire = PD_PB_VARINT;
		e = pb_read_varint(r, &f.u);
		break;
	case PD_PB_I64:
		f.wire = PD_PB_I64;
		e = pb_read_fixed(r, 8, &f.u);
		break;
	case PD_PB_I32:
		f.wire = PD_PB_I32;
		e = pb_read_fixed(r, 4, &f.u);
		break;
	case PD_PB_LEN:
		f.wire = PD_PB_LEN;
		if ((e = pb_read_varint(r, &n)) < 0)
			break;
		if (n > r->len - r->off) {
			e = PD_ERR_TRUNCATED;
			break;
		}
		f.data = r->p + r->off;
		f.len = (size_t)n;
		r->off += (size_t)n;
		break;
	default:	/* 3, 4: groups; 6, 7: undefined */
		e = PD_ERR_MALFORMED;
		break;
	}
	if (e < 0)
		return e;
	*ret_f = f;
	return 1;
}

int
pd_pb_append_varint(struct pd_buf *b, uint64_t v)
{
	uint8_t tmp[PB_VARINT_MAX_LEN];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return pd_buf_append(b, tmp, n);
}

int
pd_pb_put_tag(struct pd_buf *b, uint32_t num, enum pd_pb_wire wire)
{
	if (num == 0 || num > PD_PB_MAX_FIELD)
		return PD_ERR_INVAL;
	if (wire != PD_PB_VARINT && wire != PD_PB_I64 && wire != PD_PB_LEN &&
	    wire != PD_PB_I32)
		return PD_ERR_INVAL;
	return pd_pb_append_varint(b, (uint64_t)num << 3 | (uint64_t)wire);
}

int
pd_pb_put_varint(struct pd_buf *b, uint32_t num, uint64_t v)
{
	size_t old = b->len;
	int r;

	if ((r = pd_pb_put_tag(b, num, PD_PB_VARINT)) < 0 ||
	    (r = pd_pb_append_varint(b, v)) < 0) {
		b->len = old;
		return r;
	}
	return 0;
}

int
pd_pb_put_bytes(struct pd_buf *b, uint32_t num, const void *p, size_t n)
{
	size_t old = b->len;
	int r;

	if (n > PD_BUF_MAX)
		return PD_ERR_OVERFLOW;
	if ((r = pd_pb_put_tag(b, num, PD_PB_LEN)) < 0 ||
	    (r = pd_pb_append_varint(b, n)) < 0 ||
	    (r = pd_buf_append(b, p, n)) < 0) {
		b->len = old;
		return r;
	}
	return 0;
}

int
pd_pb_put_string(struct pd_buf *b, uint32_t num, const char *s)
{
	if (s == NULL)
		return PD_ERR_INVAL;
	return pd_pb_put_bytes(b, num, s, strlen(s));
}

/* Tag plus size little-endian bytes of v. */
static int
pb_put_fixed(struct pd_buf *b, uint32_t num, enum pd_pb_wire wire,
    uint64_t v, size_t size)
{
	uint8_t tmp[8];
	size_t old = b->len;
	int r;

	for (size_t i = 0; i < size; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	if ((r = pd_pb_put_tag(b, num, wire)) < 0 ||
	    (r = pd_buf_append(b, tmp, size)) < 0) {
		b->len = old;
		return r;
	}
	return 0;
}

int
pd_pb_put_fixed32(struct pd_buf *b, uint32_t num, uint32_t v)
{
	return pb_put_fixed(b, num, PD_PB_I32, v, 4);
}

int
pd_pb_put_fixed64(struct pd_buf *b, uint32_t num, uint64_t v)
{
	return pb_put_fixed(b, num, PD_PB_I64, v, 8);
}
