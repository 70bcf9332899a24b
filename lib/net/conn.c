/*
 * conn.c - the libp2p host network: listeners, dials, and the upgrade of
 * each TCP connection to an authenticated, multiplexed one.
 *
 * This is the only place in lib/net that touches libevent besides tcp.c.
 * Each connection is one bufferevent; received bytes flow
 *   socket → (pnet decrypt) → multistream /noise → Noise handshake
 *          → Noise transport decrypt → multistream /yamux → yamux
 * and outgoing bytes the reverse way.  The protocol cores (mss, noise,
 * yamux, pnet) are sans-IO; this file only moves bytes between them and
 * decides when a connection is up or dead.  Streams live in stream.c.
 *
 * A failing connection is marked CONN_CLOSED and freed on the next loop
 * turn (style.md §7.2 rule 2), so no callback ever returns into a freed
 * connection.  The manager (lib/peer) owns the net and hears about
 * connections through struct pd_net_cbs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>

#include "core/time.h"
#include "core/error.h"
#include "core/log.h"
#include "net/conn-internal.h"
#include "net/mss.h"
#include "net/noise.h"
#include "net/pnet.h"
#include "net/tcp.h"
#include "net/yamux.h"

struct net_handler {
	char *proto;
	pd_stream_handler_cb cb;
	void *arg;
};

struct net_listener {
	struct pd_tcp_listener *tcp;
	struct pd_multiaddr addr;	/* bound address */
	struct pd_net *net;
};

struct pd_net_dial {
	TAILQ_ENTRY(pd_net_dial) entry;
	struct pd_net *net;
	struct pd_tcp_dial *tcp;	/* while connecting */
	struct pd_conn *conn;		/* while upgrading */
	struct pd_multiaddr addr;
	struct pd_peerid expect;
	int has_expect;
	pd_net_dial_cb cb;		/* NULL: cancelled, others wait on it */
	void *arg;
	/*
	 * A second dial to a peer already being dialled does not open a
	 * second connection: it waits on the first (its primary) and gets
	 * the same outcome.  Waiters are not in net->dials.
	 */
	struct pd_net_dial *primary;
	LIST_HEAD(, pd_net_dial) waiters;
	LIST_ENTRY(pd_net_dial) wentry;
};
TAILQ_HEAD(pd_dial_list, pd_net_dial);

struct pd_net {
	struct event_base *base;
	struct pd_privkey key;
	struct pd_pubkey pub;
	struct pd_peerid id;
	uint8_t pubpb[PD_KEY_MAX_PUBKEY_PB];
	size_t pubpb_len;
	int has_psk;
	uint8_t psk[PD_PNET_PSK_LEN];
	int upgrade_timeout_ms;
	struct pd_net_cbs cbs;
	void *arg;
	struct net_listener listeners[PD_NET_MAX_LISTENERS];
	size_t nlisteners;
	struct net_handler handlers[PD_NET_MAX_HANDLERS];
	const char *handler_names[PD_NET_MAX_HANDLERS];
	size_t nhandlers;
	struct pd_conn_list conns;	/* every connection, any state */
	size_t nup;			/* upgraded connections */
	struct pd_dial_list dials;
};

static const char *const conn_sec_protos[] = { PD_NOISE_PROTOCOL_ID };
static const char *const conn_mux_protos[] = { PD_YAMUX_PROTOCOL_ID };

/* Noise signs its static key with our identity through this. */
static int
conn_noise_sign(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	struct pd_net *net = arg;
	int r;

	if (*siglen < PD_KEY_ED25519_SIG_LEN)
		return PD_ERR_OVERFLOW;
	if ((r = pd_privkey_sign(&net->key, msg, len, sig)) < 0)
		return r;
	*siglen = PD_KEY_ED25519_SIG_LEN;
	return 0;
}

static void conn_free(struct pd_conn *c);

static void
conn_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static void
dial_finish(struct pd_net_dial *d, int result, struct pd_conn *c,
    const char *why)
{
	struct pd_net *net = d->net;
	struct pd_net_dial *w;
	char whycopy[PD_NET_WHY_MAX];

	TAILQ_REMOVE(&net->dials, d, entry);
	if (c != NULL)
		c->dial = NULL;
	/* why may live in the connection a callback closes: copy it. */
	snprintf(whycopy, sizeof(whycopy), "%s", why != NULL ? why : "");
	while ((w = LIST_FIRST(&d->waiters)) != NULL) {
		LIST_REMOVE(w, wentry);
		if (result == 0 && c->state == CONN_CLOSED)
			w->cb(PD_ERR_CLOSED, NULL, "closed", w->arg);
		else
			w->cb(result, c, whycopy, w->arg);
		free(w);
	}
	if (d->cb != NULL) {
		if (result == 0 && c->state == CONN_CLOSED)
			d->cb(PD_ERR_CLOSED, NULL, "closed", d->arg);
		else
			d->cb(result, c, whycopy, d->arg);
	}
	free(d);
}

void
conn_fail(struct pd_conn *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	c->err = err;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	if (c->bev != NULL)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (c->timeout_ev != NULL)
		evtimer_del(c->timeout_ev);
	if (c->keepalive_ev != NULL)
		evtimer_del(c->keepalive_ev);
	/*
	 * Deferred: callers up the stack may still hold c.  The reap event
	 * belongs to c, so freeing c first (pd_net_free) cancels it.
	 */
	event_active(c->reap_ev, EV_TIMEOUT, 0);
}

static void
conn_free(struct pd_conn *c)
{
	struct pd_net *net = c->net;
	char peer[PD_PEERID_TEXT_MAX] = "?";

	stream_conn_closed(c);
	TAILQ_REMOVE(&net->conns, c, entry);
	if (c->up) {
		net->nup--;
		if (pd_log_get_level() >= PD_LOG_LEVEL_DEBUG) {
			pd_peerid_format(&c->peer, peer, sizeof(peer));
			PD_LOG_DEBUG("connection to %s closed: %s", peer,
			    c->why);
		}
		if (net->cbs.on_conn_down != NULL)
			net->cbs.on_conn_down(c, c->err, c->why, net->arg);
	} else if (c->dial != NULL) {
		dial_finish(c->dial, c->err != 0 ? c->err : PD_ERR_CLOSED, NULL,
		    c->why);
	} else if (c->dir == PD_CONN_INBOUND) {
		char addr[PD_MULTIADDR_MAX_TEXT + 1];

		if (pd_multiaddr_format(&c->remote, addr, sizeof(addr)) < 0)
			snprintf(addr, sizeof(addr), "?");
		PD_LOG_INFO("inbound connection from %s dropped during the "
		    "upgrade: %s", addr, c->why);
		if (net->cbs.on_accept_failed != NULL)
			net->cbs.on_accept_failed(&c->remote, net->arg);
	}
	if (c->bev != NULL) {
		/*
		 * conn_fail() stopped writing: send what is still queued
		 * (a yamux Go Away, an mss answer) once, without blocking,
		 * so the peer learns why.  The bufferevent keeps the start
		 * of its output frozen; it is freed right after.
		 */
		struct evbuffer *pending = bufferevent_get_output(c->bev);
		evutil_socket_t fd = bufferevent_getfd(c->bev);

		if (fd >= 0 && evbuffer_get_length(pending) > 0) {
			evbuffer_unfreeze(pending, 1);
			(void)evbuffer_write(pending, fd);
		}
		bufferevent_free(c->bev);
	}
	if (c->timeout_ev != NULL)
		event_free(c->timeout_ev);
	if (c->reap_ev != NULL)
		event_free(c->reap_ev);
	if (c->keepalive_ev != NULL)
		event_free(c->keepalive_ev);
	pd_mss_free(c->mss);
	pd_noise_free(c->noise);
	pd_yamux_free(c->yamux);
	pd_pnet_free(c->pnet);
	pd_buf_free(&c->plain);
	pd_buf_free(&c->raw);
	pd_buf_free(&c->wire);
	free(c);
}

/* Bytes for the wire as they are (before Noise): pnet may wrap them. */
static int
conn_send_raw(struct pd_conn *c, const uint8_t *data, size_t len)
{
	int r;

	if (len == 0 || c->state == CONN_CLOSED)
		return 0;
	if (c->pnet != NULL) {
		pd_buf_reset(&c->wire);
		if ((r = pd_pnet_encrypt(c->pnet, data, len, &c->wire)) < 0)
			return r;
		data = c->wire.data;
		len = c->wire.len;
	}
	if (bufferevent_write(c->bev, data, len) < 0)
		return PD_ERR_NOMEM;
	return 0;
}

/* Bytes for the peer inside the Noise channel. */
static int
conn_send_secure(struct pd_conn *c, const uint8_t *data, size_t len)
{
	struct pd_buf frames;
	int r;

	if (len == 0 || c->state == CONN_CLOSED)
		return 0;
	pd_buf_init(&frames);
	r = pd_noise_encrypt(c->noise, data, len, &frames);
	if (r == 0)
		r = conn_send_raw(c, frames.data, frames.len);
	pd_buf_free(&frames);
	return r;
}

static void
conn_flush_mss(struct pd_conn *c, int secure)
{
	struct pd_buf *out = pd_mss_out(c->mss);
	int r;

	r = secure ? conn_send_secure(c, out->data, out->len) :
	    conn_send_raw(c, out->data, out->len);
	pd_buf_reset(out);
	if (r < 0)
		conn_fail(c, r, "send: %s", pd_strerror(r));
}

void
conn_flush(struct pd_conn *c)
{
	struct pd_buf *out;
	int r;

	if (c->yamux == NULL || c->in_feed || c->state == CONN_CLOSED)
		return;
	out = pd_yamux_out(c->yamux);
	r = conn_send_secure(c, out->data, out->len);
	pd_buf_reset(out);
	if (r < 0)
		conn_fail(c, r, "send: %s", pd_strerror(r));
}

static void
conn_yamux_on_pong(uint64_t rtt_ms, void *arg)
{
	(void)rtt_ms;
	(void)arg;
}

static void
conn_yamux_on_goaway(uint32_t code, void *arg)
{
	struct pd_conn *c = arg;

	PD_LOG_DEBUG("peer sent yamux go away %u", code);
	(void)c;
}

/*
 * Keep-alive: a yamux ping every PD_NET_KEEPALIVE_MS; a ping still
 * unanswered PD_NET_KEEPALIVE_TIMEOUT_MS after it was sent closes the
 * connection (go-yamux does the same, so dead peers do not linger).
 */
static void
conn_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_conn *c = arg;
	uint64_t now = pd_time_mono_ms(), sent;

	(void)fd;
	(void)what;
	if (c->state != CONN_READY)
		return;
	if (pd_yamux_ping_sent(c->yamux, &sent) == 0 &&
	    now - sent >= PD_NET_KEEPALIVE_TIMEOUT_MS) {
		conn_fail(c, PD_ERR_TIMEOUT, "keep-alive ping unanswered");
		return;
	}
	if (pd_yamux_ping(c->yamux, now) == 0)
		conn_flush(c);
}

static void
conn_up(struct pd_conn *c)
{
	struct pd_net *net = c->net;
	struct pd_yamux_cbs ycbs = {
		.on_stream = stream_yamux_on_stream,
		.on_data = stream_yamux_on_data,
		.on_fin = stream_yamux_on_fin,
		.on_reset = stream_yamux_on_reset,
		.on_writable = stream_yamux_on_writable,
		.on_pong = conn_yamux_on_pong,
		.on_goaway = conn_yamux_on_goaway,
	};
	char peer[PD_PEERID_TEXT_MAX];

	c->yamux = pd_yamux_new(c->dir == PD_CONN_OUTBOUND ? PD_YAMUX_CLIENT :
	    PD_YAMUX_SERVER, &ycbs, c);
	if (c->yamux == NULL) {
		conn_fail(c, PD_ERR_NOMEM, "out of memory");
		return;
	}
	pd_yamux_set_auto_consume(c->yamux, 1);
	c->keepalive_ev = event_new(c->net->base, -1, EV_PERSIST,
	    conn_keepalive_cb, c);
	if (c->keepalive_ev != NULL) {
		struct timeval tv = { PD_NET_KEEPALIVE_MS / 1000,
		    (PD_NET_KEEPALIVE_MS % 1000) * 1000 };

		evtimer_add(c->keepalive_ev, &tv);
	}
	c->state = CONN_READY;
	c->up = 1;
	net->nup++;
	evtimer_del(c->timeout_ev);
	if (pd_log_get_level() >= PD_LOG_LEVEL_DEBUG) {
		pd_peerid_format(&c->peer, peer, sizeof(peer));
		PD_LOG_DEBUG("%s connection with %s is up",
		    c->dir == PD_CONN_OUTBOUND ? "outbound" : "inbound", peer);
	}
	if (net->cbs.on_conn_up != NULL)
		net->cbs.on_conn_up(c, net->arg);
	if (c->dial != NULL && c->state != CONN_CLOSED)
		dial_finish(c->dial, 0, c, "");
}

/*
 * Feed a connection-level multistream negotiation (security on the raw
 * stream, muxer inside Noise).  Returns 1 when it is done (the negotiator
 * is freed, bytes from *ret_used on belong to the protocol), 0 for more
 * input, -1 when it failed (the connection is failing).
 */
static int
conn_negotiate(struct pd_conn *c, int secure, const char *what,
    const uint8_t *data, size_t len, size_t *ret_used)
{
	int r = pd_mss_feed(c->mss, data, len, ret_used);

	conn_flush_mss(c, secure);
	if (r < 0) {
		conn_fail(c, r, "%s negotiation: %s", what, pd_mss_why(c->mss));
		return -1;
	}
	if (r == 0)
		return 0;
	pd_mss_free(c->mss);
	c->mss = NULL;
	return 1;
}

/* Decrypted application bytes: muxer negotiation, then yamux. */
static void
conn_process_plain(struct pd_conn *c, const uint8_t *data, size_t len)
{
	size_t used;
	int r;

	if (c->state == CONN_MSS_MUX) {
		if (conn_negotiate(c, 1, "muxer", data, len, &used) <= 0)
			return;
		conn_up(c);
		data += used;
		len -= used;
	}
	if (c->state != CONN_READY || len == 0)
		return;
	c->in_feed = 1;
	r = pd_yamux_feed(c->yamux, data, len, pd_time_mono_ms());
	c->in_feed = 0;
	conn_flush(c);
	if (r < 0)
		conn_fail(c, r, "yamux: %s", pd_yamux_why(c->yamux));
}

/* Decrypt transport frames (len 0 flushes kept bytes) and process them. */
static void
conn_decrypt(struct pd_conn *c, const uint8_t *data, size_t len)
{
	struct pd_buf plain;
	int r;

	pd_buf_reset(&c->plain);
	if ((r = pd_noise_decrypt(c->noise, data, len, &c->plain)) < 0) {
		conn_fail(c, r, "noise: %s", pd_noise_why(c->noise));
		return;
	}
	if (c->plain.len == 0)
		return;
	/* Take the buffer: stream callbacks may re-enter decrypt. */
	plain = c->plain;
	pd_buf_init(&c->plain);
	conn_process_plain(c, plain.data, plain.len);
	pd_buf_free(&plain);
}

static void
conn_noise_done(struct pd_conn *c)
{
	int r;

	c->peer = *pd_noise_remote_peer(c->noise);
	c->pubkey = *pd_noise_remote_pubkey(c->noise);
	if (c->dir == PD_CONN_OUTBOUND)
		r = pd_mss_dialer_new(conn_mux_protos, 1, &c->mss);
	else
		r = pd_mss_listener_new(conn_mux_protos, 1, NULL, NULL,
		    &c->mss);
	if (r < 0) {
		conn_fail(c, r, "out of memory");
		return;
	}
	c->state = CONN_MSS_MUX;
	conn_flush_mss(c, 1);
	/* Transport frames that came right behind the last handshake msg. */
	conn_decrypt(c, NULL, 0);
}

static int
conn_start_noise(struct pd_conn *c)
{
	struct pd_net *net = c->net;
	struct pd_buf out;
	int r;

	r = pd_noise_new(c->dir == PD_CONN_OUTBOUND ? PD_NOISE_INITIATOR :
	    PD_NOISE_RESPONDER, net->pubpb, net->pubpb_len, conn_noise_sign,
	    net, c->has_expect ? &c->expect : NULL, &c->noise);
	if (r < 0)
		return r;
	c->state = CONN_NOISE;
	if (c->dir == PD_CONN_OUTBOUND) {
		pd_buf_init(&out);
		r = pd_noise_handshake(c->noise, NULL, 0, &out);
		if (r >= 0)
			r = conn_send_raw(c, out.data, out.len);
		pd_buf_free(&out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Bytes as they come off the wire (after pnet). */
static void
conn_process_raw(struct pd_conn *c, const uint8_t *data, size_t len)
{
	struct pd_buf out;
	size_t used;
	int r;

	if (c->state == CONN_MSS_SEC) {
		if (conn_negotiate(c, 0, "security", data, len, &used) <= 0)
			return;
		if ((r = conn_start_noise(c)) < 0) {
			conn_fail(c, r, "noise: %s", pd_strerror(r));
			return;
		}
		data += used;
		len -= used;
	}
	if (c->state == CONN_NOISE) {
		pd_buf_init(&out);
		r = pd_noise_handshake(c->noise, data, len, &out);
		if (r >= 0 && conn_send_raw(c, out.data, out.len) < 0)
			r = PD_ERR_NOMEM;
		pd_buf_free(&out);
		if (r < 0) {
			conn_fail(c, r, "noise handshake: %s",
			    r == PD_ERR_NOMEM ? "out of memory" :
			    pd_noise_why(c->noise));
			return;
		}
		if (r == 1)
			conn_noise_done(c);
		return;	/* the handshake consumed every byte */
	}
	if (c->state != CONN_MSS_MUX && c->state != CONN_READY)
		return;
	conn_decrypt(c, data, len);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct pd_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	int r;

	while (c->state != CONN_CLOSED && (n = evbuffer_get_length(in)) > 0) {
		uint8_t *data;

		if (n > PD_NET_READ_CHUNK)
			n = PD_NET_READ_CHUNK;
		data = evbuffer_pullup(in, (ssize_t)n);
		if (c->pnet != NULL) {
			pd_buf_reset(&c->raw);
			if ((r = pd_pnet_decrypt(c->pnet, data, n,
			    &c->raw)) < 0) {
				conn_fail(c, r, "pnet: %s", pd_strerror(r));
				break;
			}
			conn_process_raw(c, c->raw.data, c->raw.len);
		} else {
			conn_process_raw(c, data, n);
		}
		evbuffer_drain(in, n);
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    PD_NET_MAX_OUTBUF) {
			/* The peer does not read: stop reading from it. */
			bufferevent_disable(bev, EV_READ);
			break;
		}
	}
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct pd_conn *c = arg;

	if (c->state != CONN_CLOSED)
		bufferevent_enable(bev, EV_READ);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct pd_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF)
		conn_fail(c, PD_ERR_CLOSED, "closed by peer");
	else if (what & BEV_EVENT_ERROR)
		conn_fail(c, -EVUTIL_SOCKET_ERROR(), "socket: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_conn *c = arg;

	(void)fd;
	(void)what;
	conn_fail(c, PD_ERR_TIMEOUT, "upgrade timed out");
}

/* Wrap a connected socket and start the upgrade. */
static struct pd_conn *
conn_new(struct pd_net *net, evutil_socket_t fd, enum pd_conn_dir dir,
    const struct pd_multiaddr *remote, int *ret_err)
{
	struct pd_conn *c;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct timeval tv = { net->upgrade_timeout_ms / 1000,
	    (net->upgrade_timeout_ms % 1000) * 1000 };
	int r = PD_ERR_NOMEM;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		*ret_err = PD_ERR_NOMEM;
		return NULL;
	}
	c->net = net;
	c->dir = dir;
	c->remote = *remote;
	TAILQ_INIT(&c->streams);
	TAILQ_INSERT_TAIL(&net->conns, c, entry);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		(void)pd_multiaddr_from_sockaddr((struct sockaddr *)&ss, sslen,
		    &c->local);
	evutil_make_socket_nonblocking(fd);
	c->bev = bufferevent_socket_new(net->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timeout_ev = evtimer_new(net->base, conn_timeout_cb, c);
	c->reap_ev = evtimer_new(net->base, conn_reap_cb, c);
	if (c->bev == NULL || c->timeout_ev == NULL || c->reap_ev == NULL) {
		if (c->bev == NULL)
			evutil_closesocket(fd);
		goto fail;
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, PD_NET_MAX_OUTBUF / 2, 0);
	evtimer_add(c->timeout_ev, &tv);
	if (net->has_psk && (r = pd_pnet_new(net->psk, &c->pnet)) < 0)
		goto fail;
	if (dir == PD_CONN_OUTBOUND)
		r = pd_mss_dialer_new(conn_sec_protos, 1, &c->mss);
	else
		r = pd_mss_listener_new(conn_sec_protos, 1, NULL, NULL,
		    &c->mss);
	if (r < 0)
		goto fail;
	c->state = CONN_MSS_SEC;
	conn_flush_mss(c, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
fail:
	TAILQ_REMOVE(&net->conns, c, entry);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->timeout_ev != NULL)
		event_free(c->timeout_ev);
	if (c->reap_ev != NULL)
		event_free(c->reap_ev);
	pd_pnet_free(c->pnet);
	pd_mss_free(c->mss);
	free(c);
	*ret_err = r;
	return NULL;
}

static void
net_accept_cb(evutil_socket_t fd, const struct sockaddr *sa, socklen_t salen,
    void *arg)
{
	struct net_listener *l = arg;
	struct pd_net *net = l->net;
	struct pd_multiaddr remote;
	int err;

	if (pd_multiaddr_from_sockaddr(sa, salen, &remote) < 0) {
		evutil_closesocket(fd);
		return;
	}
	if (net->cbs.on_accept != NULL &&
	    net->cbs.on_accept(&remote, net->arg) != 0) {
		evutil_closesocket(fd);
		return;
	}
	if (conn_new(net, fd, PD_CONN_INBOUND, &remote, &err) == NULL) {
		PD_LOG_WARN("inbound connection dropped: %s", pd_strerror(err));
		if (net->cbs.on_accept_failed != NULL)
			net->cbs.on_accept_failed(&remote, net->arg);
	}
}

struct pd_net *
pd_net_new(struct event_base *base, const struct pd_privkey *key,
    const struct pd_net_config *cfg, const struct pd_net_cbs *cbs, void *arg)
{
	struct pd_net *net;
	int n;

	if ((net = calloc(1, sizeof(*net))) == NULL)
		return NULL;
	net->base = base;
	net->key = *key;
	TAILQ_INIT(&net->conns);
	TAILQ_INIT(&net->dials);
	if (pd_privkey_public(key, &net->pub) < 0 ||
	    pd_peerid_from_pubkey(&net->pub, &net->id) < 0 ||
	    (n = pd_pubkey_encode(&net->pub, net->pubpb,
	    sizeof(net->pubpb))) < 0) {
		pd_net_free(net);
		return NULL;
	}
	net->pubpb_len = (size_t)n;
	net->upgrade_timeout_ms = cfg->upgrade_timeout_ms > 0 ?
	    cfg->upgrade_timeout_ms : 30000;
	if (cfg->psk != NULL) {
		memcpy(net->psk, cfg->psk, PD_PNET_PSK_LEN);
		net->has_psk = 1;
	}
	if (cbs != NULL)
		net->cbs = *cbs;
	net->arg = arg;
	return net;
}

void
pd_net_free(struct pd_net *net)
{
	struct pd_conn *c;
	struct pd_net_dial *d;

	if (net == NULL)
		return;
	while ((d = TAILQ_FIRST(&net->dials)) != NULL) {
		struct pd_net_dial *w;

		TAILQ_REMOVE(&net->dials, d, entry);
		while ((w = LIST_FIRST(&d->waiters)) != NULL) {
			LIST_REMOVE(w, wentry);
			free(w);
		}
		if (d->conn != NULL)
			d->conn->dial = NULL;
		pd_tcp_dial_cancel(d->tcp);
		free(d);
	}
	/* Teardown without callbacks: the owner is going away. */
	memset(&net->cbs, 0, sizeof(net->cbs));
	while ((c = TAILQ_FIRST(&net->conns)) != NULL) {
		if (c->state != CONN_CLOSED)
			conn_fail(c, PD_ERR_CLOSED, "shutting down");
		conn_free(c);
	}
	for (size_t i = 0; i < net->nlisteners; i++)
		pd_tcp_listener_free(net->listeners[i].tcp);
	for (size_t i = 0; i < net->nhandlers; i++)
		free(net->handlers[i].proto);
	pd_privkey_clear(&net->key);
	sodium_memzero(net->psk, sizeof(net->psk));
	free(net);
}

const struct pd_peerid *
pd_net_peer_id(const struct pd_net *net)
{
	return &net->id;
}

const struct pd_pubkey *
pd_net_pubkey(const struct pd_net *net)
{
	return &net->pub;
}

const struct pd_privkey *
pd_net_privkey(const struct pd_net *net)
{
	return &net->key;
}

struct event_base *
pd_net_base(const struct pd_net *net)
{
	return net->base;
}

void
pd_net_set_upgrade_timeout(struct pd_net *net, int ms)
{
	if (ms > 0)
		net->upgrade_timeout_ms = ms;
}

int
pd_net_listen(struct pd_net *net, const struct pd_multiaddr *ma,
    struct pd_multiaddr *ret_bound, char *why, size_t whylen)
{
	struct net_listener *l;
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	if (net->nlisteners == PD_NET_MAX_LISTENERS) {
		snprintf(why, whylen, "too many listen addresses (max %d)",
		    PD_NET_MAX_LISTENERS);
		return PD_ERR_OVERFLOW;
	}
	if ((r = pd_multiaddr_to_sockaddr(ma, &ss, &len)) < 0) {
		snprintf(why, whylen, "not an ip4/ip6 tcp address");
		return r;
	}
	l = &net->listeners[net->nlisteners];
	l->net = net;
	l->tcp = pd_tcp_listen(net->base, (struct sockaddr *)&ss, len,
	    net_accept_cb, l, why, whylen);
	if (l->tcp == NULL)
		return PD_ERR_IO;
	if ((r = pd_tcp_listener_addr(l->tcp, &ss, &len)) < 0 ||
	    (r = pd_multiaddr_from_sockaddr((struct sockaddr *)&ss, len,
	    &l->addr)) < 0) {
		snprintf(why, whylen, "cannot read the bound address");
		pd_tcp_listener_free(l->tcp);
		return r;
	}
	net->nlisteners++;
	if (ret_bound != NULL)
		*ret_bound = l->addr;
	return 0;
}

size_t
pd_net_listen_addrs(const struct pd_net *net, struct pd_multiaddr *out,
    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < net->nlisteners && n < max; i++)
		out[n++] = net->listeners[i].addr;
	return n;
}

static void
net_tcp_dial_cb(int result, evutil_socket_t fd, void *arg)
{
	struct pd_net_dial *d = arg;
	char why[PD_NET_WHY_MAX];
	int err;

	d->tcp = NULL;
	if (result < 0) {
		snprintf(why, sizeof(why), "connect: %s", pd_strerror(result));
		dial_finish(d, result, NULL, why);
		return;
	}
	d->conn = conn_new(d->net, fd, PD_CONN_OUTBOUND, &d->addr, &err);
	if (d->conn == NULL) {
		dial_finish(d, err, NULL, "cannot set up the connection");
		return;
	}
	d->conn->dial = d;
	if (d->has_expect) {
		d->conn->expect = d->expect;
		d->conn->has_expect = 1;
	}
}

struct pd_net_dial *
pd_net_dial(struct pd_net *net, const struct pd_multiaddr *ma,
    const struct pd_peerid *expect, pd_net_dial_cb cb, void *arg,
    int *ret_err)
{
	struct pd_net_dial *d;
	struct sockaddr_storage ss;
	socklen_t len;
	const uint8_t *mh;
	size_t mhlen;
	int r;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*ret_err = PD_ERR_NOMEM;
		return NULL;
	}
	LIST_INIT(&d->waiters);
	if ((r = pd_multiaddr_without_peer(ma, &d->addr)) < 0 ||
	    (r = pd_multiaddr_to_sockaddr(&d->addr, &ss, &len)) < 0) {
		free(d);
		*ret_err = r < 0 ? r : PD_ERR_UNSUPPORTED;
		return NULL;
	}
	if (expect != NULL) {
		d->expect = *expect;
		d->has_expect = 1;
	} else if (pd_multiaddr_peer_id(ma, &mh, &mhlen) == 0) {
		if ((r = pd_peerid_from_bytes(mh, mhlen, &d->expect)) < 0) {
			free(d);
			*ret_err = r;
			return NULL;
		}
		d->has_expect = 1;
	}
	d->net = net;
	d->cb = cb;
	d->arg = arg;
	if (d->has_expect) {
		struct pd_net_dial *o;

		TAILQ_FOREACH(o, &net->dials, entry)
			if (o->has_expect && pd_peerid_equal(&o->expect,
			    &d->expect)) {
				d->primary = o;
				LIST_INSERT_HEAD(&o->waiters, d, wentry);
				return d;
			}
	}
	d->tcp = pd_tcp_dial(net->base, (struct sockaddr *)&ss, len,
	    net->upgrade_timeout_ms, net_tcp_dial_cb, d, ret_err);
	if (d->tcp == NULL) {
		free(d);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&net->dials, d, entry);
	return d;
}

void
pd_net_dial_cancel(struct pd_net_dial *d)
{
	if (d == NULL)
		return;
	if (d->primary != NULL) {	/* a waiter: just leave */
		LIST_REMOVE(d, wentry);
		free(d);
		return;
	}
	if (!LIST_EMPTY(&d->waiters)) {	/* others wait on it: keep going */
		d->cb = NULL;
		return;
	}
	TAILQ_REMOVE(&d->net->dials, d, entry);
	if (d->tcp != NULL)
		pd_tcp_dial_cancel(d->tcp);
	if (d->conn != NULL) {
		d->conn->dial = NULL;
		conn_fail(d->conn, PD_ERR_CLOSED, "dial cancelled");
	}
	free(d);
}

int
pd_net_set_handler(struct pd_net *net, const char *proto,
    pd_stream_handler_cb cb, void *arg)
{
	struct net_handler *h;
	char *copy;

	for (size_t i = 0; i < net->nhandlers; i++)
		if (strcmp(net->handlers[i].proto, proto) == 0) {
			net->handlers[i].cb = cb;
			net->handlers[i].arg = arg;
			return 0;
		}
	if (net->nhandlers == PD_NET_MAX_HANDLERS)
		return PD_ERR_OVERFLOW;
	if (!pd_mss_proto_valid(proto))
		return PD_ERR_INVAL;
	if ((copy = strdup(proto)) == NULL)
		return PD_ERR_NOMEM;
	h = &net->handlers[net->nhandlers];
	h->proto = copy;
	h->cb = cb;
	h->arg = arg;
	net->handler_names[net->nhandlers] = copy;
	net->nhandlers++;
	return 0;
}

void
pd_net_remove_handler(struct pd_net *net, const char *proto)
{
	for (size_t i = 0; i < net->nhandlers; i++) {
		if (strcmp(net->handlers[i].proto, proto) != 0)
			continue;
		free(net->handlers[i].proto);
		net->nhandlers--;
		memmove(&net->handlers[i], &net->handlers[i + 1],
		    (net->nhandlers - i) * sizeof(net->handlers[0]));
		memmove(&net->handler_names[i], &net->handler_names[i + 1],
		    (net->nhandlers - i) * sizeof(net->handler_names[0]));
		return;
	}
}

size_t
pd_net_protocols(const struct pd_net *net, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < net->nhandlers && n < max; i++)
		out[n++] = net->handlers[i].proto;
	return n;
}

pd_stream_handler_cb
conn_find_handler(struct pd_net *net, const char *proto, size_t len,
    void **ret_arg)
{
	for (size_t i = 0; i < net->nhandlers; i++) {
		const char *p = net->handlers[i].proto;

		if (strlen(p) == len && memcmp(p, proto, len) == 0) {
			*ret_arg = net->handlers[i].arg;
			return net->handlers[i].cb;
		}
	}
	return NULL;
}

const char *const *
conn_handler_names(struct pd_net *net, size_t *ret_n)
{
	*ret_n = net->nhandlers;
	return net->handler_names;
}

struct pd_conn *
pd_net_conn_first(const struct pd_net *net)
{
	struct pd_conn *c;

	TAILQ_FOREACH(c, &net->conns, entry)
		if (c->up && c->state == CONN_READY)
			return c;
	return NULL;
}

struct pd_conn *
pd_conn_next(const struct pd_conn *c)
{
	struct pd_conn *n = TAILQ_NEXT(c, entry);

	while (n != NULL && !(n->up && n->state == CONN_READY))
		n = TAILQ_NEXT(n, entry);
	return n;
}

struct pd_conn *
pd_net_conn_find(const struct pd_net *net, const struct pd_peerid *id)
{
	for (struct pd_conn *c = pd_net_conn_first(net); c != NULL;
	    c = pd_conn_next(c))
		if (pd_peerid_equal(&c->peer, id))
			return c;
	return NULL;
}

size_t
pd_net_conn_count(const struct pd_net *net)
{
	return net->nup;
}

const struct pd_peerid *
pd_conn_peer(const struct pd_conn *c)
{
	return &c->peer;
}

const struct pd_pubkey *
pd_conn_pubkey(const struct pd_conn *c)
{
	return &c->pubkey;
}

enum pd_conn_dir
pd_conn_direction(const struct pd_conn *c)
{
	return c->dir;
}

const struct pd_multiaddr *
pd_conn_remote_addr(const struct pd_conn *c)
{
	return &c->remote;
}

const struct pd_multiaddr *
pd_conn_local_addr(const struct pd_conn *c)
{
	return &c->local;
}

struct event_base *
pd_conn_base(const struct pd_conn *c)
{
	return c->net->base;
}

void
pd_conn_set_arg(struct pd_conn *c, void *arg)
{
	c->user_arg = arg;
}

void *
pd_conn_get_arg(const struct pd_conn *c)
{
	return c->user_arg;
}

void
pd_conn_close(struct pd_conn *c)
{
	if (c->yamux != NULL && c->state == CONN_READY) {
		(void)pd_yamux_goaway(c->yamux, PD_YAMUX_GOAWAY_NORMAL);
		conn_flush(c);
	}
	conn_fail(c, PD_ERR_CLOSED, "closed locally");
}
