/*
 * idsvc.c - identify over streams.  The manager creates one per node and
 * calls pd_idsvc_identify() for every new connection; what peers say goes
 * back to the manager (peer store: protocols, agent, addresses).
 *
 * Reading follows §7.2: length-prefixed messages until EOF, at most
 * PD_IDENTIFY_MAX_MSGS of at most PD_IDENTIFY_MAX_MSG bytes, within
 * PD_IDENTIFY_TIMEOUT_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/time.h"
#include "core/varint.h"
#include "net/conn.h"
#include "proto/idsvc.h"

struct idsvc_req {
	LIST_ENTRY(idsvc_req) entry;
	struct pd_idsvc *svc;
	struct pd_conn *conn;
	struct pd_stream *s;
	struct event *timer;
	struct pd_buf in;
	struct pd_identify id;
	unsigned nmsgs;
	int opening;		/* stream negotiation in progress */
	int dead;		/* finished while opening */
};

struct pd_idsvc {
	struct pd_net *net;
	char *agent;
	struct pd_idsvc_cbs cbs;
	void *arg;
	struct pd_multiaddr announce[PD_IDENTIFY_MAX_ADDRS];
	size_t nannounce;
	struct pd_buf record;		/* our sealed peer record */
	LIST_HEAD(, idsvc_req) reqs;
	size_t nreqs;
};

static void
idsvc_req_free(struct idsvc_req *q)
{
	if (q->timer != NULL)
		event_free(q->timer);
	pd_buf_free(&q->in);
	pd_identify_clear(&q->id);
	free(q);
}

/* End an exchange: report (unless quiet), release, free when safe. */
static void
idsvc_req_end(struct idsvc_req *q, int err, const char *why, int quiet)
{
	struct pd_idsvc *svc = q->svc;

	if (q->dead)
		return;
	q->dead = 1;
	LIST_REMOVE(q, entry);
	svc->nreqs--;
	if (q->timer != NULL)
		evtimer_del(q->timer);
	if (q->s != NULL) {
		if (err == 0)
			pd_stream_release(q->s);
		else
			pd_stream_reset(q->s);
		q->s = NULL;
	}
	if (!quiet) {
		if (err == 0 && svc->cbs.on_identified != NULL)
			svc->cbs.on_identified(q->conn, &q->id, svc->arg);
		else if (err != 0 && svc->cbs.on_failed != NULL)
			svc->cbs.on_failed(q->conn, err, why, svc->arg);
	}
	if (!q->opening)
		idsvc_req_free(q);
}

/* Parse every complete length-prefixed message in q->in. */
static int
idsvc_req_parse(struct idsvc_req *q, char *why, size_t whylen)
{
	uint64_t len;
	int n, r;

	while (q->in.len > 0) {
		n = pd_varint_decode(q->in.data, q->in.len, &len);
		if (n == PD_ERR_TRUNCATED)
			return 0;
		if (n < 0) {
			snprintf(why, whylen, "bad length prefix");
			return PD_ERR_MALFORMED;
		}
		if (len > PD_IDENTIFY_MAX_MSG) {
			snprintf(why, whylen, "message of %llu bytes is over "
			    "the limit", (unsigned long long)len);
			return PD_ERR_OVERFLOW;
		}
		if (q->in.len - (size_t)n < len)
			return 0;
		if (++q->nmsgs > PD_IDENTIFY_MAX_MSGS) {
			snprintf(why, whylen, "more than %d messages",
			    PD_IDENTIFY_MAX_MSGS);
			return PD_ERR_OVERFLOW;
		}
		if ((r = pd_identify_merge(&q->id, q->in.data + n, (size_t)len,
		    why, whylen)) < 0)
			return r;
		pd_buf_consume(&q->in, (size_t)n + (size_t)len);
	}
	return 0;
}

static void
idsvc_req_data(struct pd_stream *s, const uint8_t *data, size_t len,
    void *arg)
{
	struct idsvc_req *q = arg;
	char why[PD_NET_WHY_MAX];
	int r;

	(void)s;
	if (q->in.len + len > PD_IDENTIFY_MAX_MSG + PD_VARINT_MAX_LEN) {
		idsvc_req_end(q, PD_ERR_OVERFLOW, "identify: message too large",
		    0);
		return;
	}
	if (pd_buf_append(&q->in, data, len) < 0) {
		idsvc_req_end(q, PD_ERR_NOMEM, "out of memory", 0);
		return;
	}
	if ((r = idsvc_req_parse(q, why, sizeof(why))) < 0)
		idsvc_req_end(q, r, why, 0);
}

/* EOF: the whole answer is in; check it against the connection. */
static void
idsvc_req_eof(struct pd_stream *s, void *arg)
{
	struct idsvc_req *q = arg;
	const struct pd_peerid *peer = pd_conn_peer(q->conn);

	(void)s;
	if (q->in.len > 0) {
		idsvc_req_end(q, PD_ERR_TRUNCATED,
		    "identify: stream ended inside a message", 0);
	} else if (q->nmsgs == 0) {
		idsvc_req_end(q, PD_ERR_PROTOCOL, "identify: empty answer", 0);
	} else if (!q->id.has_pubkey ||
	    !pd_pubkey_equal(&q->id.pubkey, pd_conn_pubkey(q->conn))) {
		idsvc_req_end(q, PD_ERR_BAD_KEY,
		    "identify: public key missing or not the connection's", 0);
	} else {
		if (q->id.has_record && !pd_peerid_equal(&q->id.record.id,
		    peer)) {
			q->id.has_record = 0;
			q->id.dropped++;
		}
		idsvc_req_end(q, 0, "", 0);
	}
}

static void
idsvc_req_close(struct pd_stream *s, int err, void *arg)
{
	struct idsvc_req *q = arg;

	(void)s;
	q->s = NULL;
	idsvc_req_end(q, err, "identify: stream reset", 0);
}

static void
idsvc_req_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	idsvc_req_end(arg, PD_ERR_TIMEOUT, "identify: timed out", 0);
}

static const struct pd_stream_cbs idsvc_req_cbs = {
	.on_data = idsvc_req_data,
	.on_eof = idsvc_req_eof,
	.on_close = idsvc_req_close,
};

static void
idsvc_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct idsvc_req *q = arg;
	char why[PD_NET_WHY_MAX];

	q->opening = 0;
	if (q->dead) {
		if (s != NULL)
			pd_stream_reset(s);
		idsvc_req_free(q);
		return;
	}
	if (result < 0) {
		snprintf(why, sizeof(why), "identify: cannot open stream: %s",
		    pd_strerror(result));
		idsvc_req_end(q, result, why, 0);
		return;
	}
	q->s = s;
	pd_stream_set_cbs(s, &idsvc_req_cbs, q);
	/* We only read: close our side at once (go waits for our EOF too). */
	(void)pd_stream_close_write(s);
}

static struct idsvc_req *
idsvc_req_new(struct pd_idsvc *svc, struct pd_conn *c)
{
	struct idsvc_req *q;
	struct timeval tv = { PD_IDENTIFY_TIMEOUT_MS / 1000, 0 };

	if (svc->nreqs >= PD_IDSVC_MAX_PENDING ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->svc = svc;
	q->conn = c;
	pd_identify_init(&q->id);
	if ((q->timer = evtimer_new(pd_conn_base(c), idsvc_req_timeout_cb,
	    q)) == NULL) {
		free(q);
		return NULL;
	}
	evtimer_add(q->timer, &tv);
	LIST_INSERT_HEAD(&svc->reqs, q, entry);
	svc->nreqs++;
	return q;
}

int
pd_idsvc_identify(struct pd_idsvc *svc, struct pd_conn *c)
{
	struct idsvc_req *q;
	int r;

	if ((q = idsvc_req_new(svc, c)) == NULL)
		return PD_ERR_NOMEM;
	q->opening = 1;
	if ((r = pd_conn_open_stream(c, PD_IDENTIFY_PROTO, idsvc_open_cb,
	    q)) < 0) {
		q->opening = 0;
		q->dead = 1;
		LIST_REMOVE(q, entry);
		svc->nreqs--;
		idsvc_req_free(q);
		return r;
	}
	return 0;
}

/* The addresses we advertise on c: announce list, else listeners. */
static size_t
idsvc_addrs(struct pd_idsvc *svc, struct pd_conn *c,
    struct pd_multiaddr *out, size_t max)
{
	size_t n;

	if (svc->nannounce > 0) {
		n = svc->nannounce < max ? svc->nannounce : max;
		memcpy(out, svc->announce, n * sizeof(out[0]));
		return n;
	}
	n = pd_net_listen_addrs(svc->net, out, max);
	/*
	 * A wildcard listener (0.0.0.0, ::) is advertised as the local
	 * address this connection reached, with the listener's port.
	 */
	for (size_t i = 0; c != NULL && i < n; i++) {
		struct pd_multiaddr_comp port;
		const struct pd_multiaddr *local = pd_conn_local_addr(c);
		struct pd_multiaddr_comp lip;
		struct pd_multiaddr m;

		if (!pd_multiaddr_is_unspecified(&out[i]))
			continue;
		if (pd_multiaddr_find(&out[i], PD_MULTIADDR_TCP, &port) < 0 ||
		    local->len == 0 ||
		    (pd_multiaddr_find(local, PD_MULTIADDR_IP4, &lip) < 0 &&
		    pd_multiaddr_find(local, PD_MULTIADDR_IP6, &lip) < 0))
			continue;
		m.len = 0;
		if (pd_multiaddr_append(&m, lip.code, lip.value,
		    lip.value_len, NULL, 0) == 0 &&
		    pd_multiaddr_append(&m, PD_MULTIADDR_TCP, port.value,
		    port.value_len, NULL, 0) == 0)
			out[i] = m;
	}
	return n;
}

static int
idsvc_seal(struct pd_idsvc *svc)
{
	struct pd_peer_record *rec;
	int r;

	if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return PD_ERR_NOMEM;
	rec->id = *pd_net_peer_id(svc->net);
	rec->seq = pd_time_wall_ns();	/* strictly increasing, as go's */
	rec->naddrs = idsvc_addrs(svc, NULL, rec->addrs, PD_RECORD_MAX_ADDRS);
	pd_buf_reset(&svc->record);
	r = pd_record_seal(pd_net_privkey(svc->net), rec, &svc->record);
	free(rec);
	return r;
}

int
pd_idsvc_build(struct pd_idsvc *svc, struct pd_conn *c, struct pd_buf *out)
{
	struct pd_identify *id;
	const char *protos[PD_IDENTIFY_MAX_PROTOCOLS];
	size_t np;
	int r;

	if ((id = malloc(sizeof(*id))) == NULL)
		return PD_ERR_NOMEM;
	pd_identify_init(id);
	id->has_pubkey = 1;
	id->pubkey = *pd_net_pubkey(svc->net);
	id->naddrs = idsvc_addrs(svc, c, id->addrs, PD_IDENTIFY_MAX_ADDRS);
	np = pd_net_protocols(svc->net, protos, PD_IDENTIFY_MAX_PROTOCOLS);
	/* Borrowed strings: the struct is not cleared with pd_identify_clear. */
	for (size_t i = 0; i < np; i++)
		id->protocols[i] = (char *)(uintptr_t)protos[i];
	id->nprotocols = np;
	if (c != NULL) {
		id->observed = *pd_conn_remote_addr(c);
		id->has_observed = id->observed.len > 0;
	}
	id->protocol_version = (char *)(uintptr_t)PD_IDENTIFY_PROTOCOL_VERSION;
	id->agent_version = svc->agent;
	if (svc->record.len == 0 && (r = idsvc_seal(svc)) < 0) {
		free(id);
		return r;
	}
	r = pd_identify_encode(id, svc->record.data, svc->record.len, out);
	free(id);
	return r;
}

/* Someone asked who we are: answer and close. */
static void
idsvc_handler(struct pd_stream *s, void *arg)
{
	struct pd_idsvc *svc = arg;
	struct pd_buf msg, framed;
	int r;

	pd_buf_init(&msg);
	pd_buf_init(&framed);
	r = pd_idsvc_build(svc, pd_stream_conn(s), &msg);
	if (r == 0 && (r = pd_varint_append(&framed, msg.len)) == 0)
		r = pd_buf_append(&framed, msg.data, msg.len);
	if (r == 0 && pd_stream_write(s, framed.data, framed.len) !=
	    (int)framed.len)
		r = PD_ERR_CLOSED;
	pd_buf_free(&msg);
	pd_buf_free(&framed);
	if (r < 0) {
		pd_stream_reset(s);
		return;
	}
	pd_stream_release(s);	/* FIN after the queued answer */
}

/* A peer pushes an update: read it like an answer. */
static void
idsvc_push_handler(struct pd_stream *s, void *arg)
{
	struct pd_idsvc *svc = arg;
	struct idsvc_req *q;

	if ((q = idsvc_req_new(svc, pd_stream_conn(s))) == NULL) {
		pd_stream_reset(s);
		return;
	}
	q->s = s;
	pd_stream_set_cbs(s, &idsvc_req_cbs, q);
}

struct pd_idsvc *
pd_idsvc_new(struct pd_net *net, const char *agent,
    const struct pd_idsvc_cbs *cbs, void *arg)
{
	struct pd_idsvc *svc;

	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		return NULL;
	svc->net = net;
	LIST_INIT(&svc->reqs);
	if (cbs != NULL)
		svc->cbs = *cbs;
	svc->arg = arg;
	if ((svc->agent = strdup(agent)) == NULL ||
	    pd_net_set_handler(net, PD_IDENTIFY_PROTO, idsvc_handler, svc) < 0 ||
	    pd_net_set_handler(net, PD_IDENTIFY_PUSH_PROTO, idsvc_push_handler,
	    svc) < 0) {
		pd_idsvc_free(svc);
		return NULL;
	}
	return svc;
}

void
pd_idsvc_free(struct pd_idsvc *svc)
{
	struct idsvc_req *q;

	if (svc == NULL)
		return;
	pd_net_remove_handler(svc->net, PD_IDENTIFY_PROTO);
	pd_net_remove_handler(svc->net, PD_IDENTIFY_PUSH_PROTO);
	while ((q = LIST_FIRST(&svc->reqs)) != NULL)
		idsvc_req_end(q, PD_ERR_CLOSED, "", 1);
	pd_buf_free(&svc->record);
	free(svc->agent);
	free(svc);
}

int
pd_idsvc_set_announce(struct pd_idsvc *svc, const struct pd_multiaddr *addrs,
    size_t n)
{
	if (n > PD_IDENTIFY_MAX_ADDRS)
		n = PD_IDENTIFY_MAX_ADDRS;
	memcpy(svc->announce, addrs, n * sizeof(addrs[0]));
	svc->nannounce = n;
	return idsvc_seal(svc);
}
