/*
 * cbor.c - bounded DAG-CBOR reader (RFC 8949 §3) used by the IPNS record
 * validator in record.c to read an IpnsEntry's `data` map, and by the
 * record fuzz target on its own.  It owns nothing: it walks a borrowed
 * buffer, refuses what DAG-CBOR does not allow (indefinite lengths, tags
 * other than 42, most simple values) and caps nesting, so a hostile
 * record costs at most one step per byte and a bounded stack.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "kad/cbor.h"

void
pd_cbor_reader_init(struct pd_cbor_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
}

/* Read an n-byte big-endian argument at p (n = 1, 2, 4 or 8). */
static uint64_t
cbor_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Check a simple value / tag against the DAG-CBOR subset we accept. */
static int
cbor_check_special(struct pd_cbor_item *it, unsigned ai)
{
	if (it->type == PD_CBOR_TAG)
		return it->arg == PD_CBOR_TAG_CID ? 0 : PD_ERR_UNSUPPORTED;
	if (it->type != PD_CBOR_SIMPLE)
		return 0;
	if (ai == 27) {
		/* 64-bit float: the bits are the argument. */
		it->u = it->arg;
		it->arg = PD_CBOR_FLOAT64;
		return 0;
	}
	if (ai == PD_CBOR_FALSE || ai == PD_CBOR_TRUE || ai == PD_CBOR_NULL)
		return 0;
	/* undefined, other simple values, half and single floats */
	return PD_ERR_UNSUPPORTED;
}

int
pd_cbor_next(struct pd_cbor_reader *r, struct pd_cbor_item *ret_item)
{
	struct pd_cbor_item it;
	size_t left = r->len - r->off, used = 1, n;
	unsigned ib, ai;
	int rc;

	if (left == 0)
		return PD_ERR_TRUNCATED;
	ib = r->p[r->off];
	memset(&it, 0, sizeof(it));
	it.type = (enum pd_cbor_type)(ib >> 5);
	ai = ib & 0x1f;
	if (ai < 24) {
		it.arg = ai;
	} else if (ai <= 27) {
		n = (size_t)1 << (ai - 24);	/* 1, 2, 4, 8 bytes */
		if (left - 1 < n)
			return PD_ERR_TRUNCATED;
		it.arg = cbor_be(r->p + r->off + 1, n);
		used += n;
	} else if (ai == 31) {
		return PD_ERR_UNSUPPORTED;	/* indefinite length or break */
	} else {
		return PD_ERR_MALFORMED;	/* 28-30 are reserved */
	}
	if ((rc = cbor_check_special(&it, ai)) != 0)
		return rc;
	if (it.type == PD_CBOR_BYTES || it.type == PD_CBOR_TEXT) {
		if (it.arg > left - used)
			return PD_ERR_TRUNCATED;
		it.data = r->p + r->off + used;
		used += (size_t)it.arg;
	}
	r->off += used;
	*ret_item = it;
	return 0;
}

int
pd_cbor_skip(struct pd_cbor_reader *r, const struct pd_cbor_item *it,
    unsigned depth)
{
	struct pd_cbor_item sub;
	uint64_t items;
	int rc;

	switch (it->type) {
	case PD_CBOR_ARRAY:
	case PD_CBOR_TAG:
		items = it->type == PD_CBOR_TAG ? 1 : it->arg;
		break;
	case PD_CBOR_MAP:
		items = it->arg;
		break;
	default:
		return 0;
	}
	if (depth >= PD_CBOR_MAX_DEPTH)
		return PD_ERR_OVERFLOW;
	/* Every element takes at least one byte, so this ends by TRUNCATED at
	 * the latest when the buffer runs out, whatever the count claims. */
	for (uint64_t i = 0; i < items; i++) {
		if (it->type == PD_CBOR_MAP) {
			if ((rc = pd_cbor_next(r, &sub)) != 0)
				return rc;
			if (sub.type != PD_CBOR_TEXT)
				return PD_ERR_MALFORMED;
		}
		if ((rc = pd_cbor_next(r, &sub)) != 0)
			return rc;
		if ((rc = pd_cbor_skip(r, &sub, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

int
pd_cbor_check(const uint8_t *p, size_t len, char *why, size_t whylen)
{
	struct pd_cbor_reader r;
	struct pd_cbor_item it;
	int rc;

	pd_cbor_reader_init(&r, p, len);
	if ((rc = pd_cbor_next(&r, &it)) == 0)
		rc = pd_cbor_skip(&r, &it, 0);
	if (rc == 0 && r.off != r.len) {
		rc = PD_ERR_MALFORMED;
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "%zu trailing bytes after CBOR item",
			    r.len - r.off);
		return rc;
	}
	if (rc != 0 && why != NULL && whylen > 0)
		snprintf(why, whylen, "bad CBOR near byte %zu: %s", r.off,
		    rc == PD_ERR_UNSUPPORTED ? "not in the DAG-CBOR subset" :
		    rc == PD_ERR_OVERFLOW ? "nested too deep" :
		    rc == PD_ERR_TRUNCATED ? "truncated" : "malformed");
	return rc;
}
