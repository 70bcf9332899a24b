/*
 * yamux.c - yamux session (libp2p-wire.md §6, hashicorp/yamux spec.md),
 * sans-IO.
 *
 * The connection glue (lib/net/conn.c) creates one session per upgraded
 * connection, feeds it the decrypted bytes and sends its out-buffer; the
 * stream glue sits on the callbacks.  The session owns its stream objects
 * (a hash table by ID plus a list for iteration), the partial header being
 * read, and the out-buffer.  It never buffers received data: Data payloads
 * go up through on_data as they arrive, limited by the receive window the
 * session grants.  Outgoing data waits in a bounded per-stream queue only
 * while the peer's window is closed.
 *
 * Stream lifetime follows two conditions (style.md §7.2 rule 4): "owned"
 * (the owner holds it) and "closed" (both FINs, or an RST); the object is
 * freed when it is neither owned nor open, and no callback or frame
 * handler holds a reference (refs).  So a callback that releases or resets
 * the very stream it was called for never leaves a dangling pointer.
 *
 * Protocol errors (bad version or type, wrong-parity or duplicate SYN,
 * window overrun, send-window overflow, stream frame on ID 0) queue a
 * Go Away(1), record a reason and fail the session for good; go-yamux does
 * the same.  Frames for unknown streams without SYN are drained and
 * ignored, as go does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/yamux.h"

#define YAMUX_HASH_SIZE 128		/* buckets; power of two */
#define YAMUX_MAX_WRITE (1u << 30)	/* bytes considered per write call */

/*
 * Invariants: recv_window + recv_pending + recv_credit == PD_YAMUX_WINDOW;
 * queue is empty once reset or local_fin; the object exists while owned,
 * open (not closed), or refs > 0.
 */
struct pd_yamux_stream {
	struct pd_yamux *y;		/* borrowed back-pointer */
	uint32_t id;
	void *arg;			/* owner's pointer */
	unsigned outbound:1;		/* we opened it */
	unsigned owned:1;		/* held by the owner */
	unsigned ack_pending:1;		/* inbound: ACK not sent yet */
	unsigned in_backlog:1;		/* outbound: SYN sent, no ACK yet */
	unsigned fin_pending:1;		/* close() called */
	unsigned local_fin:1;		/* our FIN is in the out-buffer */
	unsigned remote_fin:1;		/* peer's FIN seen */
	unsigned reset:1;		/* RST sent or received */
	unsigned want_writable:1;	/* a write came up short */
	unsigned refs;			/* frame handlers and callbacks */
	uint64_t send_window;		/* bytes we may still send */
	uint32_t recv_window;		/* bytes the peer may still send */
	uint32_t recv_pending;		/* delivered, not consumed */
	uint32_t recv_credit;		/* consumed, not yet granted back */
	struct pd_buf queue;		/* accepted, not yet framed */
	struct pd_yamux_stream *hnext;	/* hash chain */
	struct pd_yamux_stream *prev, *next; /* all streams */
};

/*
 * Reader state: hdrhave bytes of the next header are in hdrbuf, unless
 * body_left > 0, in which case that many Data payload bytes follow for
 * body_st (NULL: drain them).
 */
struct pd_yamux {
	enum pd_yamux_role role;
	struct pd_yamux_cbs cbs;
	void *arg;
	int status;			/* 0, or the failure's PD_ERR_* */
	int in_feed;
	int auto_consume;
	uint64_t next_id;		/* next ID we open */
	struct pd_yamux_stream *buckets[YAMUX_HASH_SIZE];
	struct pd_yamux_stream *head;
	size_t nstreams;
	size_t nbacklog;		/* streams with in_backlog */
	size_t nwant;			/* streams with want_writable */
	size_t queued;			/* sum of queue lengths */
	int local_goaway;
	int remote_goaway;
	uint32_t remote_code;
	int ping_outstanding;
	uint32_t ping_value;
	uint32_t ping_counter;
	uint64_t ping_sent;		/* ms, caller's clock */
	uint64_t now;			/* ms, from the current feed */

	uint8_t hdrbuf[PD_YAMUX_HDR_LEN];
	size_t hdrhave;
	uint32_t body_left;
	struct pd_yamux_stream *body_st; /* holds a ref while set */
	int body_fin;			/* FIN flag of the current Data frame */

	struct pd_buf out;
	char why[PD_YAMUX_WHY_MAX];
};

static void yamux_stream_drop(struct pd_yamux_stream *st);

void
pd_yamux_hdr_encode(const struct pd_yamux_hdr *h, uint8_t out[PD_YAMUX_HDR_LEN])
{
	out[0] = h->version;
	out[1] = h->type;
	out[2] = (uint8_t)(h->flags >> 8);
	out[3] = (uint8_t)h->flags;
	for (int i = 0; i < 4; i++) {
		out[4 + i] = (uint8_t)(h->stream_id >> (24 - 8 * i));
		out[8 + i] = (uint8_t)(h->length >> (24 - 8 * i));
	}
}

static uint32_t
yamux_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
pd_yamux_hdr_decode(const uint8_t *p, size_t len, struct pd_yamux_hdr *ret_h)
{
	if (len < PD_YAMUX_HDR_LEN)
		return PD_ERR_TRUNCATED;
	if (p[0] != PD_YAMUX_VERSION)
		return PD_ERR_UNSUPPORTED;
	if (p[1] > PD_YAMUX_TYPE_GO_AWAY)
		return PD_ERR_MALFORMED;
	ret_h->version = p[0];
	ret_h->type = p[1];
	ret_h->flags = (uint16_t)(p[2] << 8 | p[3]);
	ret_h->stream_id = yamux_be32(p + 4);
	ret_h->length = yamux_be32(p + 8);
	return 0;
}

/* --- session failure and output --- */

/* Fail the session once with err, queueing Go Away(code); returns err. */
static int __attribute__((format(printf, 4, 5)))
yamux_fail(struct pd_yamux *y, int err, uint32_t code, const char *fmt, ...)
{
	struct pd_yamux_hdr h = { 0, PD_YAMUX_TYPE_GO_AWAY, 0, 0, code };
	uint8_t hb[PD_YAMUX_HDR_LEN];
	va_list ap;

	if (y->status < 0)
		return y->status;
	y->status = err;
	va_start(ap, fmt);
	vsnprintf(y->why, sizeof(y->why), fmt, ap);
	va_end(ap);
	if (!y->local_goaway) {
		pd_yamux_hdr_encode(&h, hb);
		(void)pd_buf_append(&y->out, hb, sizeof(hb));
		y->local_goaway = 1;
	}
	return err;
}

/* Queue one frame; a failure here fails the session. */
static int
yamux_emit(struct pd_yamux *y, uint8_t type, uint16_t flags, uint32_t id,
    uint32_t length, const uint8_t *body, size_t blen)
{
	struct pd_yamux_hdr h = { PD_YAMUX_VERSION, type, flags, id, length };
	uint8_t hb[PD_YAMUX_HDR_LEN];
	int r;

	pd_yamux_hdr_encode(&h, hb);
	if ((r = pd_buf_reserve(&y->out, sizeof(hb) + blen)) < 0)
		return yamux_fail(y, r, PD_YAMUX_GOAWAY_INTERNAL,
		    "cannot queue output: %s", pd_strerror(r));
	(void)pd_buf_append(&y->out, hb, sizeof(hb));
	(void)pd_buf_append(&y->out, body, blen);
	return 0;
}

/* --- stream table --- */

static size_t
yamux_bucket(uint32_t id)
{
	return (id >> 1) & (YAMUX_HASH_SIZE - 1);
}

static struct pd_yamux_stream *
yamux_find(const struct pd_yamux *y, uint32_t id)
{
	struct pd_yamux_stream *st = y->buckets[yamux_bucket(id)];

	while (st != NULL && st->id != id)
		st = st->hnext;
	return st;
}

static struct pd_yamux_stream *
yamux_stream_new(struct pd_yamux *y, uint32_t id)
{
	struct pd_yamux_stream *st = calloc(1, sizeof(*st));
	size_t b = yamux_bucket(id);

	if (st == NULL)
		return NULL;
	st->y = y;
	st->id = id;
	st->send_window = PD_YAMUX_WINDOW;
	st->recv_window = PD_YAMUX_WINDOW;
	pd_buf_init(&st->queue);
	st->hnext = y->buckets[b];
	y->buckets[b] = st;
	st->next = y->head;
	if (y->head != NULL)
		y->head->prev = st;
	y->head = st;
	y->nstreams++;
	return st;
}

static void
yamux_stream_destroy(struct pd_yamux_stream *st)
{
	struct pd_yamux *y = st->y;
	struct pd_yamux_stream **pp = &y->buckets[yamux_bucket(st->id)];

	while (*pp != st)
		pp = &(*pp)->hnext;
	*pp = st->hnext;
	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		y->head = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	y->nstreams--;
	if (st->in_backlog)
		y->nbacklog--;
	if (st->want_writable)
		y->nwant--;
	y->queued -= st->queue.len;
	pd_buf_free(&st->queue);
	free(st);
}

static int
yamux_stream_closed(const struct pd_yamux_stream *st)
{
	return st->reset || (st->local_fin && st->remote_fin);
}

/* Free st if nobody needs it any more. */
static void
yamux_stream_maybe_free(struct pd_yamux_stream *st)
{
	if (st->refs > 0 || st->owned)
		return;
	if (yamux_stream_closed(st) || st->y->status < 0)
		yamux_stream_destroy(st);
}

static void
yamux_stream_hold(struct pd_yamux_stream *st)
{
	st->refs++;
}

static void
yamux_stream_drop(struct pd_yamux_stream *st)
{
	st->refs--;
	yamux_stream_maybe_free(st);
}

static void
yamux_stream_clear_want(struct pd_yamux_stream *st)
{
	if (st->want_writable) {
		st->want_writable = 0;
		st->y->nwant--;
	}
}

static void
yamux_stream_unbacklog(struct pd_yamux_stream *st)
{
	if (st->in_backlog) {
		st->in_backlog = 0;
		st->y->nbacklog--;
	}
}

/* Mark st reset and drop what it still had to send. */
static void
yamux_stream_mark_reset(struct pd_yamux_stream *st)
{
	st->reset = 1;
	st->ack_pending = 0;
	st->y->queued -= st->queue.len;
	pd_buf_free(&st->queue);
	yamux_stream_unbacklog(st);
	yamux_stream_clear_want(st);
}

/* Flags owed on the next frame of st: ACK once after accepting. */
static uint16_t
yamux_stream_take_flags(struct pd_yamux_stream *st)
{
	if (st->ack_pending) {
		st->ack_pending = 0;
		return PD_YAMUX_FLAG_ACK;
	}
	return 0;
}

/* Send RST on st (window update, delta 0) and mark it reset. */
static int
yamux_stream_send_reset(struct pd_yamux_stream *st)
{
	int r = 0;

	if (st->y->status == 0)
		r = yamux_emit(st->y, PD_YAMUX_TYPE_WINDOW_UPDATE,
		    PD_YAMUX_FLAG_RST, st->id, 0, NULL, 0);
	yamux_stream_mark_reset(st);
	return r;
}

/* --- sending --- */

/* Bytes a write on st could take right now. */
static size_t
yamux_stream_room(const struct pd_yamux_stream *st)
{
	const struct pd_yamux *y = st->y;
	size_t room = 0, q, s;

	if (st->queue.len == 0)
		room = st->send_window > YAMUX_MAX_WRITE ? YAMUX_MAX_WRITE :
		    (size_t)st->send_window;
	q = PD_YAMUX_MAX_QUEUED - st->queue.len;
	s = PD_YAMUX_MAX_SESSION_QUEUED - y->queued;
	return room + (q < s ? q : s);
}

/* Frame up to len bytes of p within the send window; returns bytes framed. */
static int
yamux_stream_frame_data(struct pd_yamux_stream *st, const uint8_t *p,
    size_t len, int fin_at_end)
{
	size_t done = 0;
	int r;

	while (done < len && st->send_window > 0) {
		size_t n = len - done;
		uint16_t flags;

		if (n > PD_YAMUX_MAX_FRAME)
			n = PD_YAMUX_MAX_FRAME;
		if (n > st->send_window)
			n = (size_t)st->send_window;
		flags = yamux_stream_take_flags(st);
		if (fin_at_end && done + n == len) {
			flags |= PD_YAMUX_FLAG_FIN;
			st->local_fin = 1;
		}
		if ((r = yamux_emit(st->y, PD_YAMUX_TYPE_DATA, flags, st->id,
		    (uint32_t)n, p + done, n)) < 0)
			return r;
		st->send_window -= n;
		done += n;
	}
	return (int)done;
}

/*
 * Frame queued data within the window, then FIN if close() was called and
 * the queue is empty.  Never frees st.
 */
static int
yamux_stream_flush(struct pd_yamux_stream *st)
{
	int n;

	if (st->reset)
		return 0;
	if (st->queue.len > 0) {
		size_t qlen = st->queue.len;

		n = yamux_stream_frame_data(st, st->queue.data, qlen,
		    st->fin_pending);
		if (n < 0)
			return n;
		st->y->queued -= (size_t)n;
		if ((size_t)n == qlen)
			pd_buf_free(&st->queue);
		else
			pd_buf_consume(&st->queue, (size_t)n);
	}
	if (st->queue.len == 0 && st->fin_pending && !st->local_fin) {
		st->local_fin = 1;
		return yamux_emit(st->y, PD_YAMUX_TYPE_WINDOW_UPDATE,
		    yamux_stream_take_flags(st) | PD_YAMUX_FLAG_FIN, st->id, 0,
		    NULL, 0);
	}
	return 0;
}

/* Grant the peer n more bytes once at least half a window is owed. */
static int
yamux_stream_credit(struct pd_yamux_stream *st, uint32_t n)
{
	uint32_t delta;

	st->recv_credit += n;
	if (st->recv_credit < PD_YAMUX_WINDOW / 2 || st->reset ||
	    st->remote_fin || st->y->status < 0)
		return 0;
	delta = st->recv_credit;
	st->recv_credit = 0;
	st->recv_window += delta;
	return yamux_emit(st->y, PD_YAMUX_TYPE_WINDOW_UPDATE,
	    yamux_stream_take_flags(st), st->id, delta, NULL, 0);
}

/* --- receiving --- */

/* Call on_writable for every stream that waited and has room again. */
static void
yamux_notify_writable(struct pd_yamux *y)
{
	struct pd_yamux_stream *ready[PD_YAMUX_MAX_STREAMS];
	size_t n = 0;

	if (y->nwant == 0)
		return;
	for (struct pd_yamux_stream *st = y->head; st != NULL; st = st->next) {
		if (!st->want_writable || yamux_stream_room(st) == 0)
			continue;
		if (n == PD_YAMUX_MAX_STREAMS)
			break;
		yamux_stream_clear_want(st);
		yamux_stream_hold(st);
		ready[n++] = st;
	}
	for (size_t i = 0; i < n; i++) {
		struct pd_yamux_stream *st = ready[i];

		if (y->status == 0 && st->owned && !st->reset &&
		    y->cbs.on_writable != NULL)
			y->cbs.on_writable(st, y->arg);
		yamux_stream_drop(st);
	}
}

static void
yamux_stream_remote_reset(struct pd_yamux_stream *st)
{
	if (st->reset)
		return;
	yamux_stream_mark_reset(st);
	if (st->owned && st->y->cbs.on_reset != NULL)
		st->y->cbs.on_reset(st, st->y->arg);
}

static void
yamux_stream_remote_fin(struct pd_yamux_stream *st)
{
	if (st->reset || st->remote_fin)
		return;
	st->remote_fin = 1;
	if (st->owned && st->y->cbs.on_fin != NULL)
		st->y->cbs.on_fin(st, st->y->arg);
}

static void
yamux_stream_window(struct pd_yamux_stream *st, uint32_t delta)
{
	struct pd_yamux *y = st->y;

	if (st->reset || delta == 0)
		return;
	if (st->send_window + delta > PD_YAMUX_MAX_SEND_WINDOW) {
		(void)yamux_fail(y, PD_ERR_PROTOCOL, PD_YAMUX_GOAWAY_PROTOCOL,
		    "window update overflows send window on stream %u",
		    st->id);
		return;
	}
	st->send_window += delta;
	if (yamux_stream_flush(st) < 0)
		return;
	yamux_notify_writable(y);
}

static int
yamux_remote_parity(const struct pd_yamux *y, uint32_t id)
{
	/* The client opens odd IDs, the server even ones (§6.2). */
	return (id & 1) == (y->role == PD_YAMUX_SERVER ? 1u : 0u);
}

/*
 * Handle an inbound SYN: refuse with RST over the caps or after our
 * Go Away, else ask the owner.  Returns the stream held for the frame (it
 * may be reset already), or NULL when no stream was created.
 */
static struct pd_yamux_stream *
yamux_accept(struct pd_yamux *y, uint32_t id)
{
	struct pd_yamux_stream *st;
	int ok;

	if (y->local_goaway || y->nstreams >= PD_YAMUX_MAX_STREAMS) {
		(void)yamux_emit(y, PD_YAMUX_TYPE_WINDOW_UPDATE,
		    PD_YAMUX_FLAG_RST, id, 0, NULL, 0);
		return NULL;
	}
	if ((st = yamux_stream_new(y, id)) == NULL) {
		(void)yamux_fail(y, PD_ERR_NOMEM, PD_YAMUX_GOAWAY_INTERNAL,
		    "out of memory");
		return NULL;
	}
	st->ack_pending = 1;
	st->owned = 1;
	yamux_stream_hold(st);
	ok = y->cbs.on_stream != NULL && y->cbs.on_stream(st, y->arg) == 0;
	if (y->status < 0)
		return st;
	if (!ok) {
		if (st->owned) {
			st->owned = 0;
			if (!yamux_stream_closed(st))
				(void)yamux_stream_send_reset(st);
		}
		return st;
	}
	if (st->ack_pending && !st->reset) {
		st->ack_pending = 0;
		(void)yamux_emit(y, PD_YAMUX_TYPE_WINDOW_UPDATE,
		    PD_YAMUX_FLAG_ACK, id, 0, NULL, 0);
	}
	return st;
}

/* Drain n payload bytes without delivering them. */
static void
yamux_skip(struct pd_yamux *y, uint32_t n)
{
	y->body_left = n;
	y->body_st = NULL;
	y->body_fin = 0;
}

/* A Data or Window Update frame header. */
static void
yamux_stream_frame(struct pd_yamux *y, const struct pd_yamux_hdr *h)
{
	uint32_t body = h->type == PD_YAMUX_TYPE_DATA ? h->length : 0;
	struct pd_yamux_stream *st;

	if (h->stream_id == 0) {
		(void)yamux_fail(y, PD_ERR_PROTOCOL, PD_YAMUX_GOAWAY_PROTOCOL,
		    "stream frame (type %u) on stream 0", h->type);
		return;
	}
	st = yamux_find(y, h->stream_id);
	if (h->flags & PD_YAMUX_FLAG_SYN) {
		if (st != NULL) {
			(void)yamux_fail(y, PD_ERR_PROTOCOL,
			    PD_YAMUX_GOAWAY_PROTOCOL,
			    "duplicate SYN for stream %u", h->stream_id);
			return;
		}
		if (!yamux_remote_parity(y, h->stream_id)) {
			(void)yamux_fail(y, PD_ERR_PROTOCOL,
			    PD_YAMUX_GOAWAY_PROTOCOL,
			    "SYN with wrong parity for stream %u",
			    h->stream_id);
			return;
		}
		st = yamux_accept(y, h->stream_id);
	} else if (st != NULL) {
		yamux_stream_hold(st);
	}
	if (st == NULL) {
		/* Unknown stream or refused: drain and ignore (go). */
		yamux_skip(y, body);
		return;
	}
	if (y->status == 0 && (h->flags & PD_YAMUX_FLAG_ACK) && st->outbound)
		yamux_stream_unbacklog(st);
	if (y->status == 0 && (h->flags & PD_YAMUX_FLAG_RST))
		yamux_stream_remote_reset(st);
	if (y->status == 0 && h->type == PD_YAMUX_TYPE_WINDOW_UPDATE)
		yamux_stream_window(st, h->length);
	if (y->status == 0 && body > 0 && !st->reset && !st->remote_fin) {
		if (body > st->recv_window) {
			(void)yamux_fail(y, PD_ERR_PROTOCOL,
			    PD_YAMUX_GOAWAY_PROTOCOL,
			    "stream %u: %u data bytes exceed window %u",
			    st->id, body, st->recv_window);
			yamux_stream_drop(st);
			return;
		}
		/* Keep the hold until the payload has been delivered. */
		y->body_left = body;
		y->body_st = st;
		y->body_fin = (h->flags & PD_YAMUX_FLAG_FIN) != 0;
		return;
	}
	yamux_skip(y, body);
	if (y->status == 0 && (h->flags & PD_YAMUX_FLAG_FIN))
		yamux_stream_remote_fin(st);
	yamux_stream_drop(st);
}

/* n payload bytes for y->body_st (n <= recv_window was checked). */
static void
yamux_deliver(struct pd_yamux *y, const uint8_t *p, uint32_t n)
{
	struct pd_yamux_stream *st = y->body_st;

	st->recv_window -= n;
	if (st->reset || !st->owned || y->cbs.on_data == NULL) {
		(void)yamux_stream_credit(st, n);
		return;
	}
	st->recv_pending += n;
	y->cbs.on_data(st, p, n, y->arg);
	if (y->auto_consume && y->status == 0) {
		uint32_t c = n < st->recv_pending ? n : st->recv_pending;

		st->recv_pending -= c;
		(void)yamux_stream_credit(st, c);
	}
}

static void
yamux_body_done(struct pd_yamux *y)
{
	struct pd_yamux_stream *st = y->body_st;

	y->body_st = NULL;
	if (y->status == 0 && y->body_fin)
		yamux_stream_remote_fin(st);
	yamux_stream_drop(st);
}

static void
yamux_ping_frame(struct pd_yamux *y, const struct pd_yamux_hdr *h)
{
	if (h->flags & PD_YAMUX_FLAG_SYN) {
		(void)yamux_emit(y, PD_YAMUX_TYPE_PING, PD_YAMUX_FLAG_ACK, 0,
		    h->length, NULL, 0);
		return;
	}
	if (!(h->flags & PD_YAMUX_FLAG_ACK) || !y->ping_outstanding ||
	    h->length != y->ping_value)
		return;
	y->ping_outstanding = 0;
	if (y->cbs.on_pong != NULL)
		y->cbs.on_pong(y->now >= y->ping_sent ? y->now - y->ping_sent :
		    0, y->arg);
}

static void
yamux_goaway_frame(struct pd_yamux *y, const struct pd_yamux_hdr *h)
{
	if (y->remote_goaway)
		return;
	y->remote_goaway = 1;
	y->remote_code = h->length;
	if (y->cbs.on_goaway != NULL)
		y->cbs.on_goaway(h->length, y->arg);
}

static void
yamux_header(struct pd_yamux *y)
{
	struct pd_yamux_hdr h;
	int r = pd_yamux_hdr_decode(y->hdrbuf, sizeof(y->hdrbuf), &h);

	if (r == PD_ERR_UNSUPPORTED) {
		(void)yamux_fail(y, PD_ERR_PROTOCOL, PD_YAMUX_GOAWAY_PROTOCOL,
		    "unsupported version %u", y->hdrbuf[0]);
		return;
	}
	if (r < 0) {
		(void)yamux_fail(y, PD_ERR_PROTOCOL, PD_YAMUX_GOAWAY_PROTOCOL,
		    "unknown frame type %u", y->hdrbuf[1]);
		return;
	}
	switch (h.type) {
	case PD_YAMUX_TYPE_DATA:
	case PD_YAMUX_TYPE_WINDOW_UPDATE:
		yamux_stream_frame(y, &h);
		break;
	case PD_YAMUX_TYPE_PING:
		yamux_ping_frame(y, &h);
		break;
	case PD_YAMUX_TYPE_GO_AWAY:
		yamux_goaway_frame(y, &h);
		break;
	}
}

int
pd_yamux_feed(struct pd_yamux *y, const uint8_t *data, size_t len,
    uint64_t now_ms)
{
	size_t used = 0;

	if (y->in_feed)
		return PD_ERR_INVAL;
	if (y->status < 0)
		return y->status;
	y->in_feed = 1;
	y->now = now_ms;
	while (used < len && y->status == 0) {
		size_t n;

		if (y->body_left > 0) {
			n = len - used;
			if (n > y->body_left)
				n = y->body_left;
			if (y->body_st != NULL)
				yamux_deliver(y, data + used, (uint32_t)n);
			used += n;
			y->body_left -= (uint32_t)n;
			if (y->body_left == 0 && y->body_st != NULL)
				yamux_body_done(y);
			continue;
		}
		n = PD_YAMUX_HDR_LEN - y->hdrhave;
		if (n > len - used)
			n = len - used;
		memcpy(y->hdrbuf + y->hdrhave, data + used, n);
		y->hdrhave += n;
		used += n;
		if (y->hdrhave < PD_YAMUX_HDR_LEN)
			continue;
		y->hdrhave = 0;
		yamux_header(y);
	}
	y->in_feed = 0;
	return y->status;
}

/* --- session API --- */

struct pd_yamux *
pd_yamux_new(enum pd_yamux_role role, const struct pd_yamux_cbs *cbs,
    void *arg)
{
	struct pd_yamux *y = calloc(1, sizeof(*y));

	if (y == NULL)
		return NULL;
	y->role = role;
	if (cbs != NULL)
		y->cbs = *cbs;
	y->arg = arg;
	y->next_id = role == PD_YAMUX_CLIENT ? 1 : 2;
	pd_buf_init(&y->out);
	return y;
}

void
pd_yamux_free(struct pd_yamux *y)
{
	if (y == NULL)
		return;
	while (y->head != NULL)
		yamux_stream_destroy(y->head);
	pd_buf_free(&y->out);
	free(y);
}

void
pd_yamux_set_auto_consume(struct pd_yamux *y, int on)
{
	y->auto_consume = on != 0;
}

struct pd_buf *
pd_yamux_out(struct pd_yamux *y)
{
	return &y->out;
}

int
pd_yamux_status(const struct pd_yamux *y)
{
	return y->status;
}

const char *
pd_yamux_why(const struct pd_yamux *y)
{
	return y->why;
}

int
pd_yamux_open(struct pd_yamux *y, struct pd_yamux_stream **ret_st)
{
	struct pd_yamux_stream *st;
	int r;

	if (y->status < 0 || y->local_goaway || y->remote_goaway)
		return PD_ERR_CLOSED;
	if (y->nstreams >= PD_YAMUX_MAX_STREAMS ||
	    y->nbacklog >= PD_YAMUX_MAX_ACK_BACKLOG)
		return PD_ERR_PEER_LIMIT;
	if (y->next_id > UINT32_MAX)
		return PD_ERR_OVERFLOW;
	if ((st = yamux_stream_new(y, (uint32_t)y->next_id)) == NULL)
		return PD_ERR_NOMEM;
	if ((r = yamux_emit(y, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN,
	    st->id, 0, NULL, 0)) < 0) {
		yamux_stream_destroy(st);
		return r;
	}
	y->next_id += 2;
	st->outbound = 1;
	st->owned = 1;
	st->in_backlog = 1;
	y->nbacklog++;
	*ret_st = st;
	return 0;
}

int
pd_yamux_write(struct pd_yamux_stream *st, const void *data, size_t len)
{
	struct pd_yamux *y = st->y;
	size_t taken = 0, room, q;
	int n;

	if (y->status < 0 || st->reset || st->fin_pending)
		return PD_ERR_CLOSED;
	if (len > YAMUX_MAX_WRITE)
		len = YAMUX_MAX_WRITE;
	if (len == 0)
		return 0;
	if (st->queue.len == 0) {
		if ((n = yamux_stream_frame_data(st, data, len, 0)) < 0)
			return n;
		taken = (size_t)n;
	}
	room = yamux_stream_room(st);
	q = len - taken < room ? len - taken : room;
	if (q > 0) {
		int r = pd_buf_append(&st->queue, (const uint8_t *)data + taken,
		    q);

		if (r < 0)
			return taken > 0 ? (int)taken : r;
		y->queued += q;
		taken += q;
	}
	if (taken < len && !st->want_writable) {
		st->want_writable = 1;
		y->nwant++;
	}
	return (int)taken;
}

int
pd_yamux_close(struct pd_yamux_stream *st)
{
	if (st->y->status < 0 || st->reset || st->fin_pending)
		return PD_ERR_CLOSED;
	st->fin_pending = 1;
	yamux_stream_clear_want(st);
	return yamux_stream_flush(st);
}

int
pd_yamux_reset(struct pd_yamux_stream *st)
{
	if (st->y->status < 0 || yamux_stream_closed(st))
		return PD_ERR_CLOSED;
	return yamux_stream_send_reset(st);
}

int
pd_yamux_stream_consumed(struct pd_yamux_stream *st, size_t n)
{
	if (n > st->recv_pending)
		return PD_ERR_INVAL;
	st->recv_pending -= (uint32_t)n;
	return yamux_stream_credit(st, (uint32_t)n);
}

void
pd_yamux_stream_release(struct pd_yamux_stream *st)
{
	if (st == NULL || !st->owned)
		return;
	st->owned = 0;
	yamux_stream_clear_want(st);
	if (!yamux_stream_closed(st)) {
		if (!st->fin_pending)
			(void)yamux_stream_send_reset(st);
		else if (st->recv_pending > 0) {
			/* Nobody will consume what was delivered. */
			uint32_t n = st->recv_pending;

			st->recv_pending = 0;
			(void)yamux_stream_credit(st, n);
		}
	}
	yamux_stream_maybe_free(st);
}

uint32_t
pd_yamux_stream_id(const struct pd_yamux_stream *st)
{
	return st->id;
}

void
pd_yamux_stream_set_arg(struct pd_yamux_stream *st, void *arg)
{
	st->arg = arg;
}

void *
pd_yamux_stream_get_arg(const struct pd_yamux_stream *st)
{
	return st->arg;
}

uint64_t
pd_yamux_stream_send_window(const struct pd_yamux_stream *st)
{
	return st->send_window;
}

uint32_t
pd_yamux_stream_recv_window(const struct pd_yamux_stream *st)
{
	return st->recv_window;
}

size_t
pd_yamux_stream_queued(const struct pd_yamux_stream *st)
{
	return st->queue.len;
}

int
pd_yamux_stream_read_closed(const struct pd_yamux_stream *st)
{
	return st->reset || st->remote_fin;
}

int
pd_yamux_stream_is_reset(const struct pd_yamux_stream *st)
{
	return st->reset;
}

int
pd_yamux_ping(struct pd_yamux *y, uint64_t now_ms)
{
	int r;

	if (y->status < 0)
		return PD_ERR_CLOSED;
	if (y->ping_outstanding)
		return PD_ERR_EXISTS;
	y->ping_counter++;
	if ((r = yamux_emit(y, PD_YAMUX_TYPE_PING, PD_YAMUX_FLAG_SYN, 0,
	    y->ping_counter, NULL, 0)) < 0)
		return r;
	y->ping_value = y->ping_counter;
	y->ping_outstanding = 1;
	y->ping_sent = now_ms;
	return 0;
}

int
pd_yamux_ping_sent(const struct pd_yamux *y, uint64_t *ret_ms)
{
	if (!y->ping_outstanding)
		return PD_ERR_NOT_FOUND;
	*ret_ms = y->ping_sent;
	return 0;
}

int
pd_yamux_goaway(struct pd_yamux *y, uint32_t code)
{
	int r;

	if (y->status < 0)
		return PD_ERR_CLOSED;
	if (y->local_goaway)
		return PD_ERR_EXISTS;
	if ((r = yamux_emit(y, PD_YAMUX_TYPE_GO_AWAY, 0, 0, code, NULL,
	    0)) < 0)
		return r;
	y->local_goaway = 1;
	return 0;
}

int
pd_yamux_remote_goaway(const struct pd_yamux *y, uint32_t *ret_code)
{
	if (y->remote_goaway && ret_code != NULL)
		*ret_code = y->remote_code;
	return y->remote_goaway;
}

size_t
pd_yamux_stream_count(const struct pd_yamux *y)
{
	return y->nstreams;
}

/* Check one stream's invariants; returns NULL or what is wrong. */
static const char *
yamux_check_stream(const struct pd_yamux *y, const struct pd_yamux_stream *st)
{
	uint64_t sum = (uint64_t)st->recv_window + st->recv_pending +
	    st->recv_credit;

	if (yamux_find(y, st->id) != st)
		return "stream not in its hash bucket";
	if (st->y != y || st->id == 0)
		return "bad back-pointer or ID";
	if (sum != PD_YAMUX_WINDOW)
		return "receive window accounting broken";
	if (st->send_window > PD_YAMUX_MAX_SEND_WINDOW)
		return "send window over its cap";
	if (st->queue.len > PD_YAMUX_MAX_QUEUED)
		return "stream queue over its cap";
	if ((st->reset || st->local_fin) && st->queue.len > 0)
		return "data queued on a stream closed for writing";
	if (st->local_fin && !st->fin_pending)
		return "FIN sent without close";
	if (st->outbound == yamux_remote_parity(y, st->id))
		return "stream ID parity does not match its direction";
	if (st->in_backlog && !st->outbound)
		return "inbound stream in the ACK backlog";
	if (st->queue.len > 0 && st->send_window > 0)
		return "queued data with an open send window";
	if (y->status == 0 && !st->owned && st->refs == 0 &&
	    (yamux_stream_closed(st) || !st->fin_pending))
		return "unowned stream not freed";
	return NULL;
}

int
pd_yamux_check(const struct pd_yamux *y, char *why, size_t whylen)
{
	size_t n = 0, backlog = 0, want = 0, queued = 0;
	const char *bad = NULL;

	for (const struct pd_yamux_stream *st = y->head; st != NULL && !bad;
	    st = st->next) {
		n++;
		backlog += st->in_backlog;
		want += st->want_writable;
		queued += st->queue.len;
		if ((bad = yamux_check_stream(y, st)) != NULL)
			snprintf(why, whylen, "stream %u: %s", st->id, bad);
	}
	if (bad == NULL) {
		if (n != y->nstreams)
			bad = "stream count";
		else if (backlog != y->nbacklog)
			bad = "backlog count";
		else if (want != y->nwant)
			bad = "writable-wait count";
		else if (queued != y->queued)
			bad = "queued byte count";
		else if (y->queued > PD_YAMUX_MAX_SESSION_QUEUED)
			bad = "session queue over its cap";
		else if (y->nstreams > PD_YAMUX_MAX_STREAMS)
			bad = "too many streams";
		if (bad != NULL)
			snprintf(why, whylen, "session: %s", bad);
	}
	return bad == NULL ? 0 : PD_ERR_INVAL;
}
