/*
 * fuzz_pb.c - libFuzzer target for the protobuf reader and writers in
 * lib/core/pb.c.  Invariants, abort() on violation:
 * - the reader never points outside the input: off <= len, LEN payloads
 *   lie inside it, field numbers are 1..PD_PB_MAX_FIELD, wire types valid;
 * - after an input parses completely, re-encoding its fields in order
 *   with the writers (canonical tags, minimal varints) gives a message no
 *   longer than the input that re-parses to the same fields, and encoding
 *   that again is byte-identical (the writers are deterministic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"

#define FUZZ_PB_MAX_INPUT 65536	/* bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_pb_put(struct pd_buf *b, const struct pd_pb_field *f)
{
	switch (f->wire) {
	case PD_PB_VARINT:
		return pd_pb_put_varint(b, f->num, f->u);
	case PD_PB_I64:
		return pd_pb_put_fixed64(b, f->num, f->u);
	case PD_PB_I32:
		if (f->u > UINT32_MAX)
			abort();
		return pd_pb_put_fixed32(b, f->num, (uint32_t)f->u);
	case PD_PB_LEN:
		return pd_pb_put_bytes(b, f->num, f->data, f->len);
	}
	abort();
}

static void
fuzz_pb_check_field(const struct pd_pb_reader *r, const struct pd_pb_field *f)
{
	if (r->off > r->len || f->num == 0 || f->num > PD_PB_MAX_FIELD)
		abort();
	if (f->wire == PD_PB_LEN) {
		if (f->len > r->len || (f->len > 0 && (f->data < r->p ||
		    f->data + f->len > r->p + r->off)))
			abort();
	} else if (f->wire != PD_PB_VARINT && f->wire != PD_PB_I64 &&
	    f->wire != PD_PB_I32) {
		abort();
	}
}

static int
fuzz_pb_same(const struct pd_pb_field *a, const struct pd_pb_field *b)
{
	if (a->num != b->num || a->wire != b->wire)
		return 0;
	if (a->wire != PD_PB_LEN)
		return a->u == b->u;
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Re-encode a fully parsed message; returns 0 or the first error. */
static int
fuzz_pb_reencode(const uint8_t *p, size_t len, struct pd_buf *out)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int got;

	pd_pb_reader_init(&r, p, len);
	while ((got = pd_pb_next(&r, &f)) == 1) {
		fuzz_pb_check_field(&r, &f);
		if (fuzz_pb_put(out, &f) < 0)
			abort();
	}
	if (got != 0 && got != PD_ERR_TRUNCATED && got != PD_ERR_MALFORMED &&
	    got != PD_ERR_OVERFLOW)
		abort();
	return got;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_buf re, re2;
	struct pd_pb_reader a, b;
	struct pd_pb_field fa, fb;
	int ga, gb;

	if (size > FUZZ_PB_MAX_INPUT)
		return 0;
	pd_buf_init(&re);
	pd_buf_init(&re2);
	if (fuzz_pb_reencode(data, size, &re) != 0)
		goto out;
	if (re.len > size)
		abort();
	/* Same fields, in the same order, from both encodings. */
	pd_pb_reader_init(&a, data, size);
	pd_pb_reader_init(&b, re.data, re.len);
	do {
		ga = pd_pb_next(&a, &fa);
		gb = pd_pb_next(&b, &fb);
		if (ga != gb || (ga == 1 && !fuzz_pb_same(&fa, &fb)))
			abort();
	} while (ga == 1);
	if (fuzz_pb_reencode(re.data, re.len, &re2) != 0 ||
	    re2.len != re.len ||
	    (re.len > 0 && memcmp(re.data, re2.data, re.len) != 0))
		abort();
out:
	pd_buf_free(&re);
	pd_buf_free(&re2);
	return 0;
}
