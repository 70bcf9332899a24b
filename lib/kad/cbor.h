/*
 * cbor.h - a small, bounded DAG-CBOR reader (RFC 8949 §3; the DAG-CBOR
 * subset of ipld/specs), enough to read the `data` map of an IPNS record
 * (ipfs/specs src/ipns/ipns-record.md) and to skip anything else in it.
 *
 * The reader walks one data item head at a time over a borrowed buffer.
 * Supported: major types 0-5 with definite lengths (arguments up to 64
 * bits), tag 42 (the DAG-CBOR CID link; its content is walked like any
 * item), and the simple values false, true, null and 64-bit floats
 * (DAG-CBOR allows no other simple values or float widths).  Refused:
 * indefinite lengths and "break", additional information 28-30, every
 * other tag and simple value.  Non-minimal heads are accepted (go's
 * decoder accepts them too); text strings are not checked for UTF-8.
 *
 * Every length is checked against the bytes left before use, nesting is
 * capped at PD_CBOR_MAX_DEPTH, and skipping an item costs at most one
 * step per input byte, so any input is walked in linear time.
 */
#ifndef PD_KAD_CBOR_H
#define PD_KAD_CBOR_H

#include <stddef.h>
#include <stdint.h>

#define PD_CBOR_MAX_DEPTH 16		/* nested arrays/maps/tags in one item */
#define PD_CBOR_TAG_CID 42		/* the only tag DAG-CBOR allows */

/* Major types (RFC 8949 §3.1); the numbers are wire values. */
enum pd_cbor_type {
	PD_CBOR_UINT = 0,
	PD_CBOR_NEGINT = 1,
	PD_CBOR_BYTES = 2,
	PD_CBOR_TEXT = 3,
	PD_CBOR_ARRAY = 4,
	PD_CBOR_MAP = 5,
	PD_CBOR_TAG = 6,
	PD_CBOR_SIMPLE = 7,
};

/* Simple values accepted under PD_CBOR_SIMPLE (item.arg). */
#define PD_CBOR_FALSE 20
#define PD_CBOR_TRUE 21
#define PD_CBOR_NULL 22
#define PD_CBOR_FLOAT64 27		/* arg is the raw IEEE 754 bits in item.u */

/*
 * One item head.  arg is the head's argument: UINT the value, NEGINT n
 * for the value -1-n, BYTES/TEXT the payload length (data points at it,
 * inside the reader's buffer), ARRAY the number of items, MAP the number
 * of pairs, TAG the tag number, SIMPLE the simple value (for FLOAT64 the
 * bits are in u).  The contents of an ARRAY, MAP or TAG follow in the
 * buffer and are read by further pd_cbor_next() calls or pd_cbor_skip().
 */
struct pd_cbor_item {
	enum pd_cbor_type type;
	uint64_t arg;
	uint64_t u;			/* FLOAT64 bits; 0 otherwise */
	const uint8_t *data;		/* BYTES/TEXT payload; NULL otherwise */
};

/* A cursor over a borrowed buffer.  off <= len always. */
struct pd_cbor_reader {
	const uint8_t *p;		/* borrowed */
	size_t len;
	size_t off;			/* next unread byte */
};

/* Start reading p[0..len).  p may be NULL when len is 0. */
void pd_cbor_reader_init(struct pd_cbor_reader *r, const uint8_t *p,
    size_t len);

/*
 * Read the next item head (and, for BYTES/TEXT, its payload).  Returns 0
 * with *ret_item filled, or PD_ERR_TRUNCATED (head or payload runs past
 * the end, including an empty buffer), PD_ERR_UNSUPPORTED (indefinite
 * length, break, a tag other than 42, a simple value or float other than
 * those listed above) or PD_ERR_MALFORMED (additional information 28-30).
 * The reader does not advance on failure.
 */
int pd_cbor_next(struct pd_cbor_reader *r, struct pd_cbor_item *ret_item);

/*
 * Skip the contents of it, whose head was just read by pd_cbor_next():
 * nothing for scalars, strings and simple values; every element for an
 * ARRAY, MAP (keys and values) or TAG.  depth is the nesting level of it
 * (0 for a top-level item).  Returns 0, or any pd_cbor_next() error,
 * PD_ERR_OVERFLOW when nesting exceeds PD_CBOR_MAX_DEPTH, or
 * PD_ERR_MALFORMED for a map key that is not a text string (DAG-CBOR).
 */
int pd_cbor_skip(struct pd_cbor_reader *r, const struct pd_cbor_item *it,
    unsigned depth);

/*
 * Check that p[0..len) is exactly one well-formed item of the supported
 * subset and nothing after it.  Returns 0 or a pd_cbor_next()/
 * pd_cbor_skip() error, PD_ERR_MALFORMED for trailing bytes; why (may be
 * NULL) gets a reason on failure.
 */
int pd_cbor_check(const uint8_t *p, size_t len, char *why, size_t whylen);

#endif
