/*
 * buf.h - growable byte buffers.
 *
 * A struct pd_buf owns its storage; a zeroed struct (or pd_buf_init) is an
 * empty buffer.  Growth is capped at PD_BUF_MAX so no single input can make
 * a buffer grow without bound; appends past it fail with PD_ERR_OVERFLOW.
 */
#ifndef PD_CORE_BUF_H
#define PD_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#define PD_BUF_MAX (64u * 1024 * 1024)	/* bytes, hard cap per buffer */

struct pd_buf {
	uint8_t *data;	/* NULL while cap == 0 */
	size_t len;	/* bytes in use */
	size_t cap;	/* bytes allocated */
};

void pd_buf_init(struct pd_buf *b);
/* Make room for extra more bytes.  0, PD_ERR_NOMEM or PD_ERR_OVERFLOW. */
int pd_buf_reserve(struct pd_buf *b, size_t extra);
int pd_buf_append(struct pd_buf *b, const void *p, size_t n);
int pd_buf_append_byte(struct pd_buf *b, uint8_t c);
/* Drop the first n bytes (n > len drops all). */
void pd_buf_consume(struct pd_buf *b, size_t n);
/* Empty the buffer, keeping its storage. */
void pd_buf_reset(struct pd_buf *b);
/* Release storage (wiped first: buffers may hold key material). */
void pd_buf_free(struct pd_buf *b);

#endif
