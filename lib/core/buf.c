/*
 * buf.c - growable byte buffers used by every encoder in the library.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"

void
pd_buf_init(struct pd_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int
pd_buf_reserve(struct pd_buf *b, size_t extra)
{
	size_t want, ncap;
	uint8_t *p;

	if (extra > PD_BUF_MAX || b->len > PD_BUF_MAX - extra)
		return PD_ERR_OVERFLOW;
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap *= 2;
	if (ncap > PD_BUF_MAX)
		ncap = PD_BUF_MAX;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return PD_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
pd_buf_append(struct pd_buf *b, const void *p, size_t n)
{
	uintptr_t src = (uintptr_t)p, base = (uintptr_t)b->data;
	int r;

	if (n == 0)
		return 0;
	/*
	 * p may point into b itself (appending a slice of the buffer);
	 * reserve can move the storage, so re-derive p from its offset.
	 */
	if (b->data != NULL && src >= base && src < base + b->len) {
		size_t off = src - base;

		if ((r = pd_buf_reserve(b, n)) < 0)
			return r;
		memmove(b->data + b->len, b->data + off, n);
	} else {
		if ((r = pd_buf_reserve(b, n)) < 0)
			return r;
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	return 0;
}

int
pd_buf_append_byte(struct pd_buf *b, uint8_t c)
{
	return pd_buf_append(b, &c, 1);
}

void
pd_buf_consume(struct pd_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void
pd_buf_reset(struct pd_buf *b)
{
	b->len = 0;
}

void
pd_buf_free(struct pd_buf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	pd_buf_init(b);
}
