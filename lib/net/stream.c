/*
 * stream.c - protocol streams on an upgraded connection: each yamux
 * stream first negotiates its protocol with multistream-select, then
 * carries that protocol's bytes between yamux and the protocol's
 * callbacks (identify, ping, kad...).
 *
 * A stream wrapper is freed only when nobody can still reach it: the
 * owner released it (or was told on_close), and no callback of ours for
 * it is running (in_cb).  Yamux keeps released streams until their FINs
 * are exchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "net/conn-internal.h"
#include "net/mss.h"
#include "net/yamux.h"

static void
stream_free(struct pd_stream *s)
{
	TAILQ_REMOVE(&s->conn->streams, s, entry);
	pd_mss_free(s->mss);
	free(s->protocol);
	pd_buf_free(&s->pending);
	free(s);
}

/* Free s if it is dead and no callback of ours is on the stack for it. */
static void
stream_maybe_free(struct pd_stream *s)
{
	if (s->state == STREAM_DEAD && s->in_cb == 0)
		stream_free(s);
}

/* Hand ys back to yamux: closed gracefully (close_first) or reset. */
static void
stream_detach(struct pd_stream *s, int graceful)
{
	if (s->ys == NULL)
		return;
	pd_yamux_stream_set_arg(s->ys, NULL);
	if (graceful)
		(void)pd_yamux_close(s->ys);
	pd_yamux_stream_release(s->ys);
	s->ys = NULL;
	conn_flush(s->conn);
}

/* Report the end to whoever holds s, then let it go. */
static void
stream_closed(struct pd_stream *s, int err)
{
	pd_stream_open_cb open_cb = s->open_cb;

	if (s->state == STREAM_DEAD)
		return;
	s->state = STREAM_DEAD;
	s->in_cb++;
	if (open_cb != NULL) {
		s->open_cb = NULL;
		open_cb(err, NULL, s->open_arg);
	} else if (s->has_cbs && s->cbs.on_close != NULL) {
		s->cbs.on_close(s, err, s->arg);
	}
	s->in_cb--;
	stream_detach(s, 0);
	stream_maybe_free(s);
}

static struct pd_stream *
stream_new(struct pd_conn *c, struct pd_yamux_stream *ys, int outbound)
{
	struct pd_stream *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->conn = c;
	s->ys = ys;
	s->outbound = outbound;
	s->state = STREAM_NEGOTIATING;
	TAILQ_INSERT_TAIL(&c->streams, s, entry);
	pd_yamux_stream_set_arg(ys, s);
	return s;
}

static void
stream_flush_mss(struct pd_stream *s)
{
	struct pd_buf *out = pd_mss_out(s->mss);

	if (out->len > 0 && s->ys != NULL)
		(void)pd_yamux_write(s->ys, out->data, out->len);
	pd_buf_reset(out);
	conn_flush(s->conn);
}

/* Deliver held data and EOF once callbacks exist. */
static void
stream_deliver_pending(struct pd_stream *s)
{
	if (!s->has_cbs || s->state != STREAM_OPEN)
		return;
	if (s->pending.len > 0) {
		struct pd_buf p = s->pending;

		pd_buf_init(&s->pending);
		if (s->cbs.on_data != NULL)
			s->cbs.on_data(s, p.data, p.len, s->arg);
		pd_buf_free(&p);
	}
	if (s->eof_pending && s->state == STREAM_OPEN) {
		s->eof_pending = 0;
		if (s->cbs.on_eof != NULL)
			s->cbs.on_eof(s, s->arg);
	}
}

static int
stream_match_cb(const char *proto, size_t len, void *arg)
{
	struct pd_stream *s = arg;
	void *harg;

	return conn_find_handler(s->conn->net, proto, len, &harg) != NULL;
}

/* The negotiation finished: hand s to its handler or opener. */
static void
stream_negotiated(struct pd_stream *s, const uint8_t *rest, size_t restlen)
{
	const char *proto = pd_mss_protocol(s->mss);
	pd_stream_handler_cb handler;
	void *harg = NULL;

	if ((s->protocol = strdup(proto)) == NULL) {
		stream_closed(s, PD_ERR_NOMEM);
		return;
	}
	pd_mss_free(s->mss);
	s->mss = NULL;
	s->state = STREAM_OPEN;
	if (restlen > 0 &&
	    pd_buf_append(&s->pending, rest, restlen) < 0) {
		stream_closed(s, PD_ERR_NOMEM);
		return;
	}
	s->in_cb++;
	if (s->outbound) {
		pd_stream_open_cb cb = s->open_cb;

		s->open_cb = NULL;
		cb(0, s, s->open_arg);
	} else {
		handler = conn_find_handler(s->conn->net, s->protocol,
		    strlen(s->protocol), &harg);
		if (handler != NULL)
			handler(s, harg);
		else
			s->state = STREAM_DEAD;	/* handler went away */
	}
	stream_deliver_pending(s);
	s->in_cb--;
	if (s->state == STREAM_DEAD && s->ys != NULL)
		stream_detach(s, 0);
	stream_maybe_free(s);
}

static void
stream_negotiate(struct pd_stream *s, const uint8_t *data, size_t len)
{
	size_t used = 0;
	int r;

	r = pd_mss_feed(s->mss, data, len, &used);
	stream_flush_mss(s);
	if (r < 0) {
		PD_LOG_DEBUG("stream negotiation failed: %s",
		    pd_mss_why(s->mss));
		stream_closed(s, r);
	} else if (r == 1) {
		stream_negotiated(s, data + used, len - used);
	}
}

int
stream_yamux_on_stream(struct pd_yamux_stream *ys, void *arg)
{
	struct pd_conn *c = arg;
	struct pd_stream *s;
	const char *const *names;
	size_t n;

	if (c->state != CONN_READY)
		return -1;
	names = conn_handler_names(c->net, &n);
	if ((s = stream_new(c, ys, 0)) == NULL)
		return -1;
	if (pd_mss_listener_new(names, n, stream_match_cb, s, &s->mss) < 0) {
		pd_yamux_stream_set_arg(ys, NULL);
		s->ys = NULL;
		stream_free(s);
		return -1;
	}
	return 0;
}

void
stream_yamux_on_data(struct pd_yamux_stream *ys, const uint8_t *data,
    size_t len, void *arg)
{
	struct pd_stream *s = pd_yamux_stream_get_arg(ys);

	(void)arg;
	if (s == NULL)
		return;
	switch (s->state) {
	case STREAM_NEGOTIATING:
		stream_negotiate(s, data, len);
		break;
	case STREAM_OPEN:
		if (!s->has_cbs) {
			if (s->pending.len + len > PD_STREAM_MAX_PENDING ||
			    pd_buf_append(&s->pending, data, len) < 0)
				stream_closed(s, PD_ERR_OVERFLOW);
			break;
		}
		if (s->cbs.on_data != NULL) {
			s->in_cb++;
			s->cbs.on_data(s, data, len, s->arg);
			s->in_cb--;
			stream_maybe_free(s);
		}
		break;
	case STREAM_DEAD:
		break;
	}
}

void
stream_yamux_on_fin(struct pd_yamux_stream *ys, void *arg)
{
	struct pd_stream *s = pd_yamux_stream_get_arg(ys);

	(void)arg;
	if (s == NULL)
		return;
	if (s->state == STREAM_NEGOTIATING) {
		int r = pd_mss_eof(s->mss);

		stream_flush_mss(s);
		if (r != 1)
			stream_closed(s, PD_ERR_CLOSED);
		return;
	}
	if (s->state != STREAM_OPEN)
		return;
	if (!s->has_cbs) {
		s->eof_pending = 1;
		return;
	}
	if (s->cbs.on_eof != NULL) {
		s->in_cb++;
		s->cbs.on_eof(s, s->arg);
		s->in_cb--;
		stream_maybe_free(s);
	}
}

void
stream_yamux_on_reset(struct pd_yamux_stream *ys, void *arg)
{
	struct pd_stream *s = pd_yamux_stream_get_arg(ys);

	(void)arg;
	if (s != NULL)
		stream_closed(s, PD_ERR_CLOSED);
}

void
stream_yamux_on_writable(struct pd_yamux_stream *ys, void *arg)
{
	struct pd_stream *s = pd_yamux_stream_get_arg(ys);

	(void)arg;
	if (s == NULL || s->state != STREAM_OPEN || !s->has_cbs ||
	    s->cbs.on_writable == NULL)
		return;
	s->in_cb++;
	s->cbs.on_writable(s, s->arg);
	s->in_cb--;
	stream_maybe_free(s);
}

/* The connection is going away: every stream ends now. */
void
stream_conn_closed(struct pd_conn *c)
{
	struct pd_stream *s, *next;

	for (s = TAILQ_FIRST(&c->streams); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		s->ys = NULL;	/* yamux is freed with the connection */
		if (s->state != STREAM_DEAD)
			stream_closed(s, PD_ERR_CLOSED);
		else if (s->in_cb == 0)
			stream_free(s);
	}
}

int
pd_conn_open_stream(struct pd_conn *c, const char *proto,
    pd_stream_open_cb cb, void *arg)
{
	struct pd_yamux_stream *ys;
	struct pd_stream *s;
	const char *protos[1] = { proto };
	int r;

	if (c->state != CONN_READY)
		return PD_ERR_CLOSED;
	if (!pd_mss_proto_valid(proto))
		return PD_ERR_INVAL;
	if ((r = pd_yamux_open(c->yamux, &ys)) < 0)
		return r;
	if ((s = stream_new(c, ys, 1)) == NULL) {
		pd_yamux_reset(ys);
		pd_yamux_stream_release(ys);
		conn_flush(c);
		return PD_ERR_NOMEM;
	}
	if ((r = pd_mss_dialer_new(protos, 1, &s->mss)) < 0) {
		s->state = STREAM_DEAD;
		stream_detach(s, 0);
		stream_free(s);
		return r;
	}
	s->open_cb = cb;
	s->open_arg = arg;
	stream_flush_mss(s);
	return 0;
}

void
pd_stream_set_cbs(struct pd_stream *s, const struct pd_stream_cbs *cbs,
    void *arg)
{
	s->cbs = *cbs;
	s->arg = arg;
	s->has_cbs = 1;
	/* Pending data is delivered when the handler returns. */
}

int
pd_stream_write(struct pd_stream *s, const void *data, size_t len)
{
	int r;

	if (s->state != STREAM_OPEN || s->ys == NULL)
		return PD_ERR_CLOSED;
	r = pd_yamux_write(s->ys, data, len);
	conn_flush(s->conn);
	return r;
}

int
pd_stream_close_write(struct pd_stream *s)
{
	int r;

	if (s->state != STREAM_OPEN || s->ys == NULL)
		return PD_ERR_CLOSED;
	r = pd_yamux_close(s->ys);
	conn_flush(s->conn);
	return r;
}

void
pd_stream_reset(struct pd_stream *s)
{
	if (s->state == STREAM_DEAD)
		return;
	s->state = STREAM_DEAD;
	if (s->ys != NULL)
		(void)pd_yamux_reset(s->ys);
	stream_detach(s, 0);
	stream_maybe_free(s);
}

void
pd_stream_release(struct pd_stream *s)
{
	if (s->state == STREAM_DEAD)
		return;
	s->state = STREAM_DEAD;
	stream_detach(s, 1);
	stream_maybe_free(s);
}

struct pd_conn *
pd_stream_conn(const struct pd_stream *s)
{
	return s->conn;
}

const char *
pd_stream_protocol(const struct pd_stream *s)
{
	return s->protocol != NULL ? s->protocol : "";
}
