/*
 * ping.c - the ping protocol on top of net streams: a responder that
 * echoes, and a one-shot prober used by the connection manager to measure
 * latency.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/time.h"
#include "core/error.h"
#include "net/conn.h"
#include "proto/ping.h"

struct ping_responder {
	struct pd_stream *s;
	struct event *idle;
	uint8_t buf[PD_PING_SIZE];
	size_t have;
};

struct pd_ping {
	struct pd_conn *conn;
	struct pd_stream *s;
	struct event *timer;
	pd_ping_cb cb;
	void *arg;
	uint8_t payload[PD_PING_SIZE];
	uint8_t echo[PD_PING_SIZE];
	size_t have;
	uint64_t sent_us;
	int opening;		/* stream negotiation in progress */
	int cancelled;		/* finished while opening: open_cb frees */
};

static void
ping_responder_free(struct ping_responder *r)
{
	if (r->idle != NULL)
		event_free(r->idle);
	free(r);
}

static void
ping_responder_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ping_responder *r = arg;

	(void)fd;
	(void)what;
	pd_stream_reset(r->s);
	ping_responder_free(r);
}

static void
ping_responder_data(struct pd_stream *s, const uint8_t *data, size_t len,
    void *arg)
{
	struct ping_responder *r = arg;
	struct timeval tv = { PD_PING_IDLE_MS / 1000, 0 };

	while (len > 0) {
		size_t n = PD_PING_SIZE - r->have;

		if (n > len)
			n = len;
		memcpy(r->buf + r->have, data, n);
		r->have += n;
		data += n;
		len -= n;
		if (r->have == PD_PING_SIZE) {
			(void)pd_stream_write(s, r->buf, PD_PING_SIZE);
			r->have = 0;
		}
	}
	evtimer_add(r->idle, &tv);
}

static void
ping_responder_eof(struct pd_stream *s, void *arg)
{
	pd_stream_release(s);
	ping_responder_free(arg);
}

static void
ping_responder_close(struct pd_stream *s, int err, void *arg)
{
	(void)s;
	(void)err;
	ping_responder_free(arg);
}

static void
ping_handler(struct pd_stream *s, void *arg)
{
	struct pd_net *net = arg;
	struct ping_responder *r;
	struct timeval tv = { PD_PING_IDLE_MS / 1000, 0 };
	static const struct pd_stream_cbs cbs = {
		.on_data = ping_responder_data,
		.on_eof = ping_responder_eof,
		.on_close = ping_responder_close,
	};

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->idle = evtimer_new(pd_net_base(net), ping_responder_idle_cb,
	    r)) == NULL) {
		free(r);
		pd_stream_reset(s);
		return;
	}
	r->s = s;
	evtimer_add(r->idle, &tv);
	pd_stream_set_cbs(s, &cbs, r);
}

int
pd_ping_register(struct pd_net *net)
{
	return pd_net_set_handler(net, PD_PING_PROTO, ping_handler, net);
}

static void
ping_finish(struct pd_ping *p, int result, uint64_t rtt_us)
{
	if (p->s != NULL) {
		pd_stream_release(p->s);
		p->s = NULL;
	}
	if (p->timer != NULL) {
		event_free(p->timer);
		p->timer = NULL;
	}
	p->cb(result, rtt_us, p->arg);
	if (p->opening)
		p->cancelled = 1;
	else
		free(p);
}

static void
ping_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct pd_ping *p = arg;
	size_t n = PD_PING_SIZE - p->have;

	(void)s;
	if (n > len)
		n = len;
	memcpy(p->echo + p->have, data, n);
	p->have += n;
	if (p->have < PD_PING_SIZE)
		return;
	if (memcmp(p->echo, p->payload, PD_PING_SIZE) != 0)
		ping_finish(p, PD_ERR_PROTOCOL, 0);
	else
		ping_finish(p, 0, pd_time_mono_us() - p->sent_us);
}

static void
ping_eof(struct pd_stream *s, void *arg)
{
	(void)s;
	ping_finish(arg, PD_ERR_CLOSED, 0);
}

static void
ping_close(struct pd_stream *s, int err, void *arg)
{
	struct pd_ping *p = arg;

	(void)s;
	p->s = NULL;
	ping_finish(p, err, 0);
}

static void
ping_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct pd_ping *p = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = ping_data,
		.on_eof = ping_eof,
		.on_close = ping_close,
	};

	p->opening = 0;
	if (p->cancelled) {
		if (s != NULL)
			pd_stream_reset(s);
		free(p);
		return;
	}
	if (result < 0) {
		ping_finish(p, result, 0);
		return;
	}
	p->s = s;
	pd_stream_set_cbs(s, &cbs, p);
	p->sent_us = pd_time_mono_us();
	if (pd_stream_write(s, p->payload, PD_PING_SIZE) != PD_PING_SIZE)
		ping_finish(p, PD_ERR_CLOSED, 0);
}

static void
ping_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ping_finish(arg, PD_ERR_TIMEOUT, 0);
}

struct pd_ping *
pd_ping_start(struct pd_conn *c, pd_ping_cb cb, void *arg, int *ret_err)
{
	struct pd_ping *p;
	struct timeval tv = { PD_PING_TIMEOUT_MS / 1000, 0 };
	int r;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*ret_err = PD_ERR_NOMEM;
		return NULL;
	}
	p->conn = c;
	p->cb = cb;
	p->arg = arg;
	randombytes_buf(p->payload, sizeof(p->payload));
	p->opening = 1;
	if ((r = pd_conn_open_stream(c, PD_PING_PROTO, ping_open_cb, p)) < 0) {
		free(p);
		*ret_err = r;
		return NULL;
	}
	p->timer = evtimer_new(pd_conn_base(c), ping_timeout_cb, p);
	if (p->timer != NULL)
		evtimer_add(p->timer, &tv);
	return p;
}

void
pd_ping_cancel(struct pd_ping *p)
{
	if (p == NULL)
		return;
	if (p->timer != NULL) {
		event_free(p->timer);
		p->timer = NULL;
	}
	if (p->opening) {
		/* Still negotiating: the open callback frees p. */
		p->cancelled = 1;
		return;
	}
	if (p->s != NULL)
		pd_stream_reset(p->s);
	free(p);
}
