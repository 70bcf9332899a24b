/*
 * pb.h - protobuf wire-format helpers (proto2/proto3 binary encoding).
 *
 * The reader walks fields one at a time over a borrowed buffer; every
 * length is checked against what is left.  Callers switch on the field
 * number and simply ignore numbers they do not know (the reader has
 * already skipped their payload).  Groups (wire types 3, 4) and wire types
 * 6, 7 are rejected as PD_ERR_MALFORMED.  Protobuf varints are up to 10
 * bytes; non-minimal encodings are accepted (as protobuf does), values over
 * 64 bits are not.
 *
 * Writers append to a struct pd_buf, always with minimal varints, so output
 * is deterministic (libp2p peer IDs hash encoded keys).
 */
#ifndef PD_CORE_PB_H
#define PD_CORE_PB_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;

#define PD_PB_MAX_FIELD ((UINT32_C(1) << 29) - 1)

enum pd_pb_wire {
	PD_PB_VARINT = 0,
	PD_PB_I64 = 1,
	PD_PB_LEN = 2,
	PD_PB_I32 = 5,
};

struct pd_pb_reader {
	const uint8_t *p;	/* borrowed */
	size_t len;
	size_t off;		/* next unread byte */
};

struct pd_pb_field {
	uint32_t num;		/* field number, 1..PD_PB_MAX_FIELD */
	enum pd_pb_wire wire;
	uint64_t u;		/* VARINT, I64, I32 value */
	const uint8_t *data;	/* LEN payload, points into the reader's buffer */
	size_t len;		/* LEN payload length */
};

void pd_pb_reader_init(struct pd_pb_reader *r, const uint8_t *p, size_t len);
/*
 * Read the next field.  Returns 1 with *ret_f filled, 0 at the clean end of
 * the buffer, or PD_ERR_TRUNCATED / PD_ERR_MALFORMED / PD_ERR_OVERFLOW.
 * After an error the reader must not be used again.
 */
int pd_pb_next(struct pd_pb_reader *r, struct pd_pb_field *ret_f);
/* Protobuf varint decode (≤ 10 bytes); returns bytes used or error. */
int pd_pb_varint_decode(const uint8_t *p, size_t len, uint64_t *ret_v);

/*
 * Writers return 0, PD_ERR_INVAL (field number 0 or over PD_PB_MAX_FIELD,
 * unknown wire type, NULL string) or PD_ERR_NOMEM / PD_ERR_OVERFLOW from
 * the buffer; on failure b is left as it was (no half-written field).
 */
int pd_pb_put_tag(struct pd_buf *b, uint32_t num, enum pd_pb_wire wire);
int pd_pb_put_varint(struct pd_buf *b, uint32_t num, uint64_t v);
int pd_pb_put_bytes(struct pd_buf *b, uint32_t num, const void *p, size_t n);
int pd_pb_put_string(struct pd_buf *b, uint32_t num, const char *s);
int pd_pb_put_fixed32(struct pd_buf *b, uint32_t num, uint32_t v);
int pd_pb_put_fixed64(struct pd_buf *b, uint32_t num, uint64_t v);
/* A raw protobuf varint without tag (minimal encoding). */
int pd_pb_append_varint(struct pd_buf *b, uint64_t v);

#endif
