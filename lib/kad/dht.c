/*
 * dht.c - the DHT over libp2p streams: protocol handler (server mode),
 * routing-table admission from identify, and iterative lookups that
 * drive a pd_kad_query (query.c) by opening one stream per request.
 *
 * Owned by the manager (lib/peer), which feeds identify results in and
 * asks for lookups on behalf of the control socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/time.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "kad/dht.h"
#include "kad/msg.h"
#include "kad/providers.h"
#include "net/conn.h"
#include "proto/identify.h"

struct dht_lookup;

/* One outbound request of a lookup: dial if needed, stream, answer. */
struct dht_req {
	LIST_ENTRY(dht_req) entry;
	struct dht_lookup *lk;
	struct pd_peerid peer;
	struct pd_net_dial *dial;
	struct pd_stream *s;
	struct pd_buf in;
	int opening;
};

struct dht_lookup {
	LIST_ENTRY(dht_lookup) entry;
	struct pd_kad_dht *d;
	struct pd_kad_query *q;
	uint8_t key[PD_KAD_MAX_KEY];
	size_t keylen;
	struct pd_peerid want;		/* find_peer target */
	int find_peer;
	enum pd_kad_msg_type type;	/* FIND_NODE or GET_PROVIDERS */
	struct pd_kad_dht_provider *provs;	/* GET_PROVIDERS results */
	size_t nprovs, maxprovs;
	int provide;			/* send ADD_PROVIDER to the result */
	pd_kad_dht_prov_cb prov_cb;
	struct event *timer;
	LIST_HEAD(, dht_req) reqs;
	pd_kad_dht_cb cb;
	void *arg;
	int done;
	int pumping;			/* inside dht_lookup_pump */
	int repump;			/* a nested pump was asked for */
};

/* One fire-and-forget ADD_PROVIDER to a peer (dial, stream, write). */
struct dht_send {
	LIST_ENTRY(dht_send) entry;
	struct pd_kad_dht *d;		/* NULL once the DHT is gone */
	struct pd_peerid peer;
	uint8_t key[PD_KAD_PROV_MAX_KEY];
	size_t keylen;
	struct pd_net_dial *dial;
	int opening;
};

/* One inbound stream being served. */
struct dht_serve {
	LIST_ENTRY(dht_serve) entry;
	struct pd_kad_dht *d;
	struct pd_stream *s;
	struct event *idle;
	struct pd_buf in;
};

struct pd_kad_dht {
	struct pd_net *net;
	char *protocol;
	bool server;
	struct pd_kad_rt *rt;
	struct pd_kad_prov *prov;	/* provider records we hold */
	LIST_HEAD(, dht_lookup) lookups;
	size_t nlookups;
	LIST_HEAD(, dht_serve) serves;
	size_t nserves;
	LIST_HEAD(, dht_send) sends;
	size_t nsends;
};

/* ---- server side ------------------------------------------------------- */

static void
dht_serve_free(struct dht_serve *sv, int reset)
{
	LIST_REMOVE(sv, entry);
	sv->d->nserves--;
	if (sv->s != NULL) {
		if (reset)
			pd_stream_reset(sv->s);
		else
			pd_stream_release(sv->s);
	}
	event_free(sv->idle);
	pd_buf_free(&sv->in);
	free(sv);
}

/* Fill msg's closer peers with our k closest to key (hashed). */
static void
dht_fill_closer(struct pd_kad_dht *d, struct pd_kad_msg *msg,
    const uint8_t *key, size_t keylen, const struct pd_peerid *requester)
{
	const struct pd_kad_rt_peer *near[PD_KAD_MAX_PEERS];
	struct pd_kad_key target;
	struct pd_peerid asked;
	unsigned k = pd_kad_rt_config(d->rt)->k;
	size_t n;

	if (k > PD_KAD_MAX_PEERS)
		k = PD_KAD_MAX_PEERS;
	pd_kad_rt_key_hash(key, keylen, &target);
	n = pd_kad_rt_nearest(d->rt, &target, requester, near, k);
	for (size_t i = 0; i < n; i++)
		(void)pd_kad_msg_add_peer(msg, PD_KAD_LIST_CLOSER, &near[i]->id,
		    near[i]->addrs, near[i]->naddrs, pd_net_conn_find(d->net,
		    &near[i]->id) != NULL ? PD_KAD_CONNECTED :
		    PD_KAD_CAN_CONNECT);
	/* A query for our own ID gets us too (go and js do the same). */
	if (pd_peerid_from_bytes(key, keylen, &asked) == 0 &&
	    pd_peerid_equal(&asked, pd_net_peer_id(d->net))) {
		struct pd_multiaddr addrs[PD_NET_MAX_LISTENERS];
		size_t na = pd_net_listen_addrs(d->net, addrs,
		    PD_NET_MAX_LISTENERS);

		(void)pd_kad_msg_add_peer(msg, PD_KAD_LIST_CLOSER,
		    pd_net_peer_id(d->net), addrs, na, PD_KAD_CONNECTED);
	}
}

static void
dht_fill_providers(struct pd_kad_dht *d, struct pd_kad_msg *msg,
    const uint8_t *key, size_t keylen)
{
	struct pd_kad_prov_entry e[PD_KAD_PROV_MAX_PER_KEY];
	int n = pd_kad_prov_get(d->prov, key, keylen, pd_time_wall_ms(), e,
	    PD_KAD_PROV_MAX_PER_KEY);

	for (int i = 0; i < n; i++)
		(void)pd_kad_msg_add_peer(msg, PD_KAD_LIST_PROVIDERS, &e[i].id,
		    e[i].addrs, e[i].naddrs, pd_net_conn_find(d->net,
		    &e[i].id) != NULL ? PD_KAD_CONNECTED : PD_KAD_CAN_CONNECT);
}

static int
dht_add_provider(struct pd_kad_dht *d, const struct pd_kad_msg *req,
    const struct pd_peerid *from)
{
	if (req->key_len == 0 || req->key_len > PD_KAD_PROV_MAX_KEY)
		return PD_ERR_INVAL;
	for (size_t i = 0; i < req->nproviders; i++) {
		const struct pd_kad_peer *p = &req->providers[i];

		if (!pd_peerid_equal(&p->id, from) || p->naddrs == 0)
			continue;
		(void)pd_kad_prov_add(d->prov, req->key, req->key_len, &p->id,
		    p->addrs, p->naddrs, pd_time_wall_ms());
	}
	return 0;
}

/* Answer one request; returns 0, or <0 to reset the stream. */
static int
dht_serve_one(struct dht_serve *sv, const uint8_t *p, size_t len)
{
	struct pd_kad_dht *d = sv->d;
	struct pd_kad_msg *req = pd_kad_msg_new(), *resp = pd_kad_msg_new();
	const struct pd_peerid *from = pd_conn_peer(pd_stream_conn(sv->s));
	struct pd_buf out;
	int r = PD_ERR_NOMEM;

	pd_buf_init(&out);
	if (req == NULL || resp == NULL)
		goto done;
	if ((r = pd_kad_msg_decode(p, len, req, NULL, 0)) < 0)
		goto done;
	pd_kad_msg_init(resp, req->type);
	switch (req->type) {
	case PD_KAD_FIND_NODE:
	case PD_KAD_GET_VALUE:
		/* No record store yet: GET_VALUE gets closer peers only. */
		(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
		dht_fill_closer(d, resp, req->key, req->key_len, from);
		break;
	case PD_KAD_GET_PROVIDERS:
		if (req->key_len == 0 || req->key_len > PD_KAD_PROV_MAX_KEY) {
			r = PD_ERR_INVAL;
			goto done;
		}
		(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
		dht_fill_providers(d, resp, req->key, req->key_len);
		dht_fill_closer(d, resp, req->key, req->key_len, from);
		break;
	case PD_KAD_ADD_PROVIDER:
		/* §9.3: keep entries naming the sender, with an address; no
		 * reply. */
		r = dht_add_provider(d, req, from);
		goto done;
	case PD_KAD_PING:
		break;
	default:
		/* PUT_VALUE: no record store or validators yet: refused. */
		r = PD_ERR_UNSUPPORTED;
		goto done;
	}
	if ((r = pd_kad_msg_encode_lp(resp, &out)) == 0 &&
	    pd_stream_write(sv->s, out.data, out.len) != (int)out.len)
		r = PD_ERR_CLOSED;
	(void)pd_kad_rt_mark_seen(d->rt, from, pd_time_mono_ms());
done:
	pd_kad_msg_free(req);
	pd_kad_msg_free(resp);
	pd_buf_free(&out);
	return r;
}

static void
dht_serve_data(struct pd_stream *s, const uint8_t *data, size_t len,
    void *arg)
{
	struct dht_serve *sv = arg;
	struct timeval tv = { PD_KAD_DHT_STREAM_IDLE_MS / 1000, 0 };
	const uint8_t *msg;
	size_t mlen;
	int n;

	(void)s;
	if (sv->in.len + len > PD_KAD_DHT_MAX_MSG + 16 ||
	    pd_buf_append(&sv->in, data, len) < 0) {
		dht_serve_free(sv, 1);
		return;
	}
	while ((n = pd_kad_msg_frame(sv->in.data, sv->in.len,
	    PD_KAD_DHT_MAX_MSG, &msg, &mlen)) > 0) {
		if (dht_serve_one(sv, msg, mlen) < 0) {
			dht_serve_free(sv, 1);
			return;
		}
		pd_buf_consume(&sv->in, (size_t)n);
	}
	if (n < 0 && n != PD_ERR_TRUNCATED) {
		dht_serve_free(sv, 1);
		return;
	}
	evtimer_add(sv->idle, &tv);
}

static void
dht_serve_eof(struct pd_stream *s, void *arg)
{
	(void)s;
	dht_serve_free(arg, 0);
}

static void
dht_serve_close(struct pd_stream *s, int err, void *arg)
{
	struct dht_serve *sv = arg;

	(void)s;
	(void)err;
	sv->s = NULL;
	dht_serve_free(sv, 0);
}

static void
dht_serve_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dht_serve_free(arg, 1);
}

static void
dht_handler(struct pd_stream *s, void *arg)
{
	struct pd_kad_dht *d = arg;
	struct dht_serve *sv;
	struct timeval tv = { PD_KAD_DHT_STREAM_IDLE_MS / 1000, 0 };
	static const struct pd_stream_cbs cbs = {
		.on_data = dht_serve_data,
		.on_eof = dht_serve_eof,
		.on_close = dht_serve_close,
	};

	if (d->nserves >= PD_KAD_DHT_MAX_INBOUND ||
	    (sv = calloc(1, sizeof(*sv))) == NULL) {
		pd_stream_reset(s);
		return;
	}
	sv->d = d;
	sv->s = s;
	if ((sv->idle = evtimer_new(pd_net_base(d->net), dht_serve_idle_cb,
	    sv)) == NULL) {
		free(sv);
		pd_stream_reset(s);
		return;
	}
	LIST_INSERT_HEAD(&d->serves, sv, entry);
	d->nserves++;
	evtimer_add(sv->idle, &tv);
	pd_stream_set_cbs(s, &cbs, sv);
}

/* ---- routing table admission -------------------------------------------- */

void
pd_kad_dht_identified(struct pd_kad_dht *d, struct pd_conn *c,
    const struct pd_identify *id)
{
	struct pd_peerid stale;
	int v;

	if (!pd_identify_has_protocol(id, d->protocol))
		return;
	v = pd_kad_rt_add_candidate(d->rt, pd_conn_peer(c), id->addrs,
	    id->naddrs < PD_KAD_RT_MAX_ADDRS ? id->naddrs :
	    PD_KAD_RT_MAX_ADDRS, pd_time_mono_ms(), &stale);
	if (v == PD_KAD_RT_PENDING_CHECK)
		/* A full bucket keeps its oldest entry while it is connected. */
		(void)pd_kad_rt_check_done(d->rt, &stale,
		    pd_net_conn_find(d->net, &stale) != NULL, pd_time_mono_ms());
}

/* ---- lookups ------------------------------------------------------------- */

static void dht_lookup_pump(struct dht_lookup *lk);

/* Keep a provider a GET_PROVIDERS answer (or our own store) named. */
static void
dht_lookup_add_provider(struct dht_lookup *lk, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs)
{
	struct pd_kad_dht_provider *p;

	if (lk->nprovs >= lk->maxprovs || naddrs == 0)
		return;
	for (size_t i = 0; i < lk->nprovs; i++)
		if (pd_peerid_equal(&lk->provs[i].id, id))
			return;
	p = &lk->provs[lk->nprovs++];
	p->id = *id;
	p->naddrs = naddrs < PD_KAD_DHT_PROV_ADDRS ? naddrs :
	    PD_KAD_DHT_PROV_ADDRS;
	memcpy(p->addrs, addrs, p->naddrs * sizeof(addrs[0]));
}

/* find_providers stops once it has as many providers as asked for. */
static bool
dht_enough_providers(void *arg, const struct pd_kad_query *q,
    const struct pd_peerid *from)
{
	struct dht_lookup *lk = arg;

	(void)q;
	(void)from;
	return lk->nprovs >= lk->maxprovs;
}

static void dht_provide_send(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, const struct pd_kad_query_peer *const *peers, size_t n);

static void
dht_req_free(struct dht_req *rq)
{
	LIST_REMOVE(rq, entry);
	if (rq->dial != NULL)
		pd_net_dial_cancel(rq->dial);
	if (rq->s != NULL)
		pd_stream_reset(rq->s);
	pd_buf_free(&rq->in);
	if (!rq->opening)
		free(rq);
	else
		rq->lk = NULL;	/* the open callback frees it */
}

static void
dht_lookup_finish(struct dht_lookup *lk)
{
	struct pd_kad_dht *d = lk->d;
	const struct pd_kad_query_peer *res[PD_KAD_QUERY_MAX_K];
	enum pd_kad_query_status st = pd_kad_query_status(lk->q);
	size_t n = 0;
	int r = 0;

	lk->done = 1;
	while (!LIST_EMPTY(&lk->reqs))
		dht_req_free(LIST_FIRST(&lk->reqs));
	if (lk->type == PD_KAD_GET_PROVIDERS) {
		lk->prov_cb(st == PD_KAD_QUERY_TIMED_OUT && lk->nprovs == 0 ?
		    PD_ERR_TIMEOUT : 0, lk->provs, lk->nprovs, lk->arg);
		goto out;
	}
	if (lk->provide) {
		n = pd_kad_query_result(lk->q, res, PD_KAD_QUERY_MAX_K);
		dht_provide_send(d, lk->key, lk->keylen, res, n);
		lk->cb(n > 0 ? 0 : PD_ERR_UNAVAILABLE, res, n, lk->arg);
		goto out;
	}
	if (lk->find_peer) {
		const struct pd_kad_query_peer *p = pd_kad_query_find(lk->q,
		    &lk->want);

		if (p != NULL && p->naddrs > 0) {
			res[0] = p;
			n = 1;
		} else {
			r = PD_ERR_NOT_FOUND;
		}
	} else if (st == PD_KAD_QUERY_TIMED_OUT &&
	    pd_kad_query_result(lk->q, res, 1) == 0) {
		r = PD_ERR_TIMEOUT;
	} else {
		n = pd_kad_query_result(lk->q, res, PD_KAD_QUERY_MAX_K);
	}
	lk->cb(r, res, n, lk->arg);
out:
	LIST_REMOVE(lk, entry);
	d->nlookups--;
	event_free(lk->timer);
	pd_kad_query_free(lk->q);
	free(lk->provs);
	free(lk);
}

static void
dht_req_failed(struct dht_req *rq)
{
	struct dht_lookup *lk = rq->lk;
	uint64_t now = pd_time_mono_ms();

	(void)pd_kad_query_failure(lk->q, &rq->peer, now);
	(void)pd_kad_rt_mark_failed(lk->d->rt, &rq->peer, now);
	dht_req_free(rq);
	dht_lookup_pump(lk);
}

static void
dht_req_answer(struct dht_req *rq, const uint8_t *p, size_t len)
{
	struct dht_lookup *lk = rq->lk;
	struct pd_kad_msg *msg = pd_kad_msg_new();
	struct pd_kad_query_in in[PD_KAD_MAX_PEERS];
	size_t n = 0;
	uint64_t now = pd_time_mono_ms();

	if (msg == NULL || pd_kad_msg_decode(p, len, msg, NULL, 0) < 0) {
		pd_kad_msg_free(msg);
		dht_req_failed(rq);
		return;
	}
	for (size_t i = 0; i < msg->nproviders && lk->type ==
	    PD_KAD_GET_PROVIDERS; i++)
		dht_lookup_add_provider(lk, &msg->providers[i].id,
		    msg->providers[i].addrs, msg->providers[i].naddrs);
	for (size_t i = 0; i < msg->ncloser; i++) {
		in[n].id = &msg->closer[i].id;
		in[n].addrs = msg->closer[i].addrs;
		in[n].naddrs = msg->closer[i].naddrs;
		n++;
	}
	(void)pd_kad_query_response(lk->q, &rq->peer, in, n, now);
	(void)pd_kad_rt_mark_useful(lk->d->rt, &rq->peer, now);
	pd_kad_msg_free(msg);
	dht_req_free(rq);
	dht_lookup_pump(lk);
}

static void
dht_req_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct dht_req *rq = arg;
	const uint8_t *msg;
	size_t mlen;
	int n;

	(void)s;
	if (pd_buf_append(&rq->in, data, len) < 0) {
		dht_req_failed(rq);
		return;
	}
	n = pd_kad_msg_frame(rq->in.data, rq->in.len, PD_KAD_MSG_MAX, &msg,
	    &mlen);
	if (n == PD_ERR_TRUNCATED)
		return;
	if (n < 0) {
		dht_req_failed(rq);
		return;
	}
	dht_req_answer(rq, msg, mlen);
}

static void
dht_req_eof(struct pd_stream *s, void *arg)
{
	(void)s;
	dht_req_failed(arg);
}

static void
dht_req_close(struct pd_stream *s, int err, void *arg)
{
	struct dht_req *rq = arg;

	(void)s;
	(void)err;
	rq->s = NULL;
	dht_req_failed(rq);
}

static void
dht_req_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct dht_req *rq = arg;
	struct dht_lookup *lk = rq->lk;
	struct pd_kad_msg *msg;
	struct pd_buf out;
	static const struct pd_stream_cbs cbs = {
		.on_data = dht_req_data,
		.on_eof = dht_req_eof,
		.on_close = dht_req_close,
	};
	int r;

	rq->opening = 0;
	if (lk == NULL) {		/* the lookup ended meanwhile */
		if (s != NULL)
			pd_stream_reset(s);
		free(rq);
		return;
	}
	if (result < 0) {
		dht_req_failed(rq);
		return;
	}
	rq->s = s;
	pd_stream_set_cbs(s, &cbs, rq);
	pd_buf_init(&out);
	if ((msg = pd_kad_msg_new()) == NULL) {
		dht_req_failed(rq);
		return;
	}
	pd_kad_msg_init(msg, lk->type);
	r = pd_kad_msg_set_key(msg, lk->key, lk->keylen);
	if (r == 0)
		r = pd_kad_msg_encode_lp(msg, &out);
	pd_kad_msg_free(msg);
	if (r < 0 || pd_stream_write(s, out.data, out.len) != (int)out.len) {
		pd_buf_free(&out);
		dht_req_failed(rq);
		return;
	}
	pd_buf_free(&out);
	(void)pd_stream_close_write(s);
}

static void
dht_req_open(struct dht_req *rq, struct pd_conn *c)
{
	int r;

	rq->opening = 1;
	if ((r = pd_conn_open_stream(c, rq->lk->d->protocol, dht_req_open_cb,
	    rq)) < 0) {
		rq->opening = 0;
		dht_req_failed(rq);
	}
}

static void
dht_req_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct dht_req *rq = arg;

	(void)why;
	rq->dial = NULL;
	if (result < 0) {
		dht_req_failed(rq);
		return;
	}
	dht_req_open(rq, c);
}

/* Send the lookup's request to p (dialing it first when needed). */
static void
dht_req_start(struct dht_lookup *lk, const struct pd_kad_query_peer *p)
{
	struct dht_req *rq;
	struct pd_conn *c;
	int err = 0;

	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		(void)pd_kad_query_failure(lk->q, &p->id, pd_time_mono_ms());
		return;
	}
	rq->lk = lk;
	rq->peer = p->id;
	LIST_INSERT_HEAD(&lk->reqs, rq, entry);
	if ((c = pd_net_conn_find(lk->d->net, &p->id)) != NULL) {
		dht_req_open(rq, c);
		return;
	}
	for (size_t i = 0; i < p->naddrs && rq->dial == NULL; i++)
		rq->dial = pd_net_dial(lk->d->net, &p->addrs[i], &p->id,
		    dht_req_dial_cb, rq, &err);
	if (rq->dial == NULL)
		dht_req_failed(rq);
}

/*
 * Send what the query wants sent; finish when it is over.  Starting a
 * request can fail at once and re-enter here: the nested call only asks
 * the outer one to go round again, so the lookup is never freed under it.
 */
static void
dht_lookup_pump(struct dht_lookup *lk)
{
	const struct pd_kad_query_peer *next[PD_KAD_QUERY_MAX_ALPHA];
	struct pd_peerid ids[PD_KAD_QUERY_MAX_ALPHA];
	uint64_t now, deadline;
	struct timeval tv;
	size_t n;

	if (lk->done)
		return;
	if (lk->pumping) {
		lk->repump = 1;
		return;
	}
	lk->pumping = 1;
	do {
		lk->repump = 0;
		now = pd_time_mono_ms();
		if (pd_kad_query_status(lk->q) != PD_KAD_QUERY_RUNNING)
			break;
		n = pd_kad_query_next(lk->q, now, next,
		    PD_KAD_QUERY_MAX_ALPHA);
		/* Copy: starting a request may change the query. */
		for (size_t i = 0; i < n; i++)
			ids[i] = next[i]->id;
		for (size_t i = 0; i < n; i++) {
			const struct pd_kad_query_peer *p = pd_kad_query_find(
			    lk->q, &ids[i]);

			if (p != NULL)
				dht_req_start(lk, p);
		}
	} while (lk->repump);
	lk->pumping = 0;
	if (pd_kad_query_status(lk->q) != PD_KAD_QUERY_RUNNING) {
		dht_lookup_finish(lk);
		return;
	}
	deadline = pd_kad_query_deadline(lk->q);
	if (deadline != UINT64_MAX) {
		uint64_t ms = deadline > now ? deadline - now : 0;

		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
		evtimer_add(lk->timer, &tv);
	}
}

static void
dht_lookup_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dht_lookup_pump(arg);
}

static int
dht_lookup_start(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    const struct pd_peerid *want, pd_kad_dht_cb cb, void *arg,
    uint64_t timeout_ms, struct dht_lookup **ret_lk)
{
	struct dht_lookup *lk;
	struct pd_kad_query_config qc;
	struct pd_kad_key target;
	const struct pd_kad_rt_peer *seeds[PD_KAD_RT_MAX_K];
	size_t nseeds;
	int r;

	if (keylen == 0 || keylen > PD_KAD_MAX_KEY)
		return PD_ERR_INVAL;
	if (d->nlookups >= PD_KAD_DHT_MAX_QUERIES)
		return PD_ERR_PEER_LIMIT;
	pd_kad_rt_key_hash(key, keylen, &target);
	nseeds = pd_kad_rt_nearest(d->rt, &target, NULL, seeds,
	    pd_kad_rt_config(d->rt)->k);
	if (nseeds == 0)
		return PD_ERR_UNAVAILABLE;
	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return PD_ERR_NOMEM;
	lk->d = d;
	lk->cb = cb;
	lk->arg = arg;
	lk->type = PD_KAD_FIND_NODE;
	memcpy(lk->key, key, keylen);
	lk->keylen = keylen;
	LIST_INIT(&lk->reqs);
	pd_kad_query_config_default(&qc, &target);
	qc.self = *pd_net_peer_id(d->net);
	qc.k = pd_kad_rt_config(d->rt)->k;
	if (timeout_ms > 0)
		qc.timeout_ms = timeout_ms;
	if (want != NULL) {
		lk->want = *want;
		lk->find_peer = 1;
		qc.stop_cb = pd_kad_query_stop_at_peer;
		qc.stop_arg = &lk->want;
	}
	if ((r = pd_kad_query_new(&qc, pd_time_mono_ms(), &lk->q)) < 0 ||
	    (lk->timer = evtimer_new(pd_net_base(d->net), dht_lookup_timer_cb,
	    lk)) == NULL) {
		pd_kad_query_free(lk->q);
		free(lk);
		return r < 0 ? r : PD_ERR_NOMEM;
	}
	for (size_t i = 0; i < nseeds; i++)
		(void)pd_kad_query_add_seed(lk->q, &seeds[i]->id,
		    seeds[i]->addrs, seeds[i]->naddrs);
	LIST_INSERT_HEAD(&d->lookups, lk, entry);
	d->nlookups++;
	/* Start from the loop: cb never runs inside this call. */
	event_active(lk->timer, EV_TIMEOUT, 0);
	if (ret_lk != NULL)
		*ret_lk = lk;
	return 0;
}

int
pd_kad_dht_closest(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    pd_kad_dht_cb cb, void *arg)
{
	return dht_lookup_start(d, key, keylen, NULL, cb, arg, 0, NULL);
}

int
pd_kad_dht_find_peer(struct pd_kad_dht *d, const struct pd_peerid *id,
    pd_kad_dht_cb cb, void *arg)
{
	return dht_lookup_start(d, id->bytes, id->len, id, cb, arg, 0, NULL);
}

int
pd_kad_dht_provide(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    pd_kad_dht_cb cb, void *arg)
{
	struct pd_multiaddr addrs[PD_NET_MAX_LISTENERS];
	size_t na;
	struct dht_lookup *lk;
	int r;

	if (keylen == 0 || keylen > PD_KAD_PROV_MAX_KEY)
		return PD_ERR_INVAL;
	/* We hold our own record too, so our answers include us. */
	na = pd_net_listen_addrs(d->net, addrs, PD_NET_MAX_LISTENERS);
	(void)pd_kad_prov_add(d->prov, key, keylen, pd_net_peer_id(d->net),
	    addrs, na, pd_time_wall_ms());
	if ((r = dht_lookup_start(d, key, keylen, NULL, cb, arg, 0, &lk)) < 0)
		return r;
	lk->provide = 1;
	return 0;
}

int
pd_kad_dht_find_providers(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, size_t limit, uint64_t timeout_ms, pd_kad_dht_prov_cb cb,
    void *arg)
{
	struct pd_kad_prov_entry local[PD_KAD_PROV_MAX_PER_KEY];
	struct dht_lookup *lk;
	int n, r;

	if (keylen == 0 || keylen > PD_KAD_PROV_MAX_KEY || limit == 0)
		return PD_ERR_INVAL;
	if (limit > PD_KAD_DHT_MAX_PROVIDERS)
		limit = PD_KAD_DHT_MAX_PROVIDERS;
	if ((r = dht_lookup_start(d, key, keylen, NULL, NULL, arg, timeout_ms,
	    &lk)) < 0)
		return r;
	if ((lk->provs = calloc(limit, sizeof(*lk->provs))) == NULL) {
		/* The lookup is queued; make it end at once, reporting none. */
		lk->maxprovs = 0;
	} else {
		lk->maxprovs = limit;
	}
	lk->type = PD_KAD_GET_PROVIDERS;
	lk->prov_cb = cb;
	n = pd_kad_prov_get(d->prov, key, keylen, pd_time_wall_ms(), local,
	    PD_KAD_PROV_MAX_PER_KEY);
	for (int i = 0; i < n; i++)
		if (!pd_peerid_equal(&local[i].id, pd_net_peer_id(d->net)))
			dht_lookup_add_provider(lk, &local[i].id, local[i].addrs,
			    local[i].naddrs);
	pd_kad_query_set_stop(lk->q, dht_enough_providers, lk);
	return 0;
}

/* ---- providing ----------------------------------------------------------- */

#define DHT_MAX_SENDS 256		/* ADD_PROVIDERs in flight */

static void
dht_send_free(struct dht_send *sd)
{
	if (sd->d != NULL) {
		LIST_REMOVE(sd, entry);
		sd->d->nsends--;
		sd->d = NULL;
	}
	if (sd->dial != NULL) {
		pd_net_dial_cancel(sd->dial);
		sd->dial = NULL;
	}
	if (!sd->opening)
		free(sd);
}

static void
dht_send_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct dht_send *sd = arg;
	struct pd_kad_msg *msg;
	struct pd_multiaddr addrs[PD_NET_MAX_LISTENERS];
	struct pd_buf out;
	size_t na;

	sd->opening = 0;
	if (result < 0 || sd->d == NULL) {
		if (s != NULL)
			pd_stream_reset(s);
		dht_send_free(sd);
		return;
	}
	pd_buf_init(&out);
	na = pd_net_listen_addrs(sd->d->net, addrs, PD_NET_MAX_LISTENERS);
	if ((msg = pd_kad_msg_new()) != NULL) {
		pd_kad_msg_init(msg, PD_KAD_ADD_PROVIDER);
		if (pd_kad_msg_set_key(msg, sd->key, sd->keylen) == 0 &&
		    pd_kad_msg_add_peer(msg, PD_KAD_LIST_PROVIDERS,
		    pd_net_peer_id(sd->d->net), addrs, na,
		    PD_KAD_CONNECTED) == 0 &&
		    pd_kad_msg_encode_lp(msg, &out) == 0)
			(void)pd_stream_write(s, out.data, out.len);
		pd_kad_msg_free(msg);
	}
	pd_buf_free(&out);
	pd_stream_release(s);	/* FIN after the queued message */
	dht_send_free(sd);
}

static void
dht_send_open(struct dht_send *sd, struct pd_conn *c)
{
	sd->opening = 1;
	if (pd_conn_open_stream(c, sd->d->protocol, dht_send_open_cb,
	    sd) < 0) {
		sd->opening = 0;
		dht_send_free(sd);
	}
}

static void
dht_send_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct dht_send *sd = arg;

	(void)why;
	sd->dial = NULL;
	if (result < 0) {
		dht_send_free(sd);
		return;
	}
	dht_send_open(sd, c);
}

static void
dht_provide_send(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    const struct pd_kad_query_peer *const *peers, size_t n)
{
	for (size_t i = 0; i < n && d->nsends < DHT_MAX_SENDS; i++) {
		struct dht_send *sd;
		struct pd_conn *c;
		int err = 0;

		if ((sd = calloc(1, sizeof(*sd))) == NULL)
			return;
		sd->d = d;
		sd->peer = peers[i]->id;
		memcpy(sd->key, key, keylen);
		sd->keylen = keylen;
		LIST_INSERT_HEAD(&d->sends, sd, entry);
		d->nsends++;
		if ((c = pd_net_conn_find(d->net, &peers[i]->id)) != NULL) {
			dht_send_open(sd, c);
			continue;
		}
		for (size_t j = 0; j < peers[i]->naddrs && sd->dial == NULL;
		    j++)
			sd->dial = pd_net_dial(d->net, &peers[i]->addrs[j],
			    &peers[i]->id, dht_send_dial_cb, sd, &err);
		if (sd->dial == NULL)
			dht_send_free(sd);
	}
}

/* ---- life cycle ---------------------------------------------------------- */

struct pd_kad_dht *
pd_kad_dht_new(struct pd_net *net, const struct pd_kad_dht_config *cfg)
{
	struct pd_kad_dht *d;
	struct pd_kad_rt_config rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->net = net;
	d->server = cfg->server;
	LIST_INIT(&d->lookups);
	LIST_INIT(&d->serves);
	LIST_INIT(&d->sends);
	pd_kad_rt_config_default(&rc);
	if (cfg->k > 0)
		rc.k = cfg->k;
	rc.diversity.exempt_private = cfg->exempt_private;
	if ((d->protocol = strdup(cfg->protocol != NULL ? cfg->protocol :
	    PD_KAD_PROTO)) == NULL ||
	    pd_kad_rt_new(pd_net_peer_id(net), &rc, &d->rt) < 0 ||
	    (d->prov = pd_kad_prov_new(0)) == NULL ||
	    (d->server && pd_net_set_handler(net, d->protocol, dht_handler,
	    d) < 0)) {
		pd_kad_dht_free(d);
		return NULL;
	}
	return d;
}

void
pd_kad_dht_free(struct pd_kad_dht *d)
{
	struct dht_lookup *lk;

	if (d == NULL)
		return;
	if (d->server && d->protocol != NULL)
		pd_net_remove_handler(d->net, d->protocol);
	while ((lk = LIST_FIRST(&d->lookups)) != NULL) {
		lk->done = 1;
		while (!LIST_EMPTY(&lk->reqs))
			dht_req_free(LIST_FIRST(&lk->reqs));
		LIST_REMOVE(lk, entry);
		event_free(lk->timer);
		pd_kad_query_free(lk->q);
		free(lk->provs);
		free(lk);
	}
	while (!LIST_EMPTY(&d->serves))
		dht_serve_free(LIST_FIRST(&d->serves), 1);
	while (!LIST_EMPTY(&d->sends))
		dht_send_free(LIST_FIRST(&d->sends));
	pd_kad_rt_free(d->rt);
	pd_kad_prov_free(d->prov);
	free(d->protocol);
	free(d);
}

size_t
pd_kad_dht_expire(struct pd_kad_dht *d)
{
	return pd_kad_prov_expire(d->prov, pd_time_wall_ms());
}

size_t
pd_kad_dht_provider_count(const struct pd_kad_dht *d)
{
	return pd_kad_prov_count(d->prov);
}

struct pd_kad_rt *
pd_kad_dht_rt(const struct pd_kad_dht *d)
{
	return d->rt;
}

const char *
pd_kad_dht_protocol(const struct pd_kad_dht *d)
{
	return d->protocol;
}

bool
pd_kad_dht_server(const struct pd_kad_dht *d)
{
	return d->server;
}

static void
dht_refresh_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	(void)result;
	(void)peers;
	(void)n;
	(void)arg;
}

size_t
pd_kad_dht_refresh(struct pd_kad_dht *d, uint64_t older_than_ms)
{
	const struct pd_peerid *self = pd_net_peer_id(d->net);
	uint64_t now = pd_time_mono_ms();
	size_t started = 0;
	int max = pd_kad_rt_max_cpl(d->rt);

	if (pd_kad_rt_size(d->rt) == 0)
		return 0;
	if (pd_kad_dht_closest(d, self->bytes, self->len, dht_refresh_cb,
	    NULL) == 0)
		started++;
	if (max > PD_KAD_RT_MAX_REFRESH_CPL)
		max = PD_KAD_RT_MAX_REFRESH_CPL;
	for (int cpl = 0; cpl <= max; cpl++) {
		uint8_t rnd[PD_KAD_KEY_LEN];
		struct pd_peerid id;
		struct pd_kad_key key;
		uint64_t last = pd_kad_rt_bucket_refreshed(d->rt, (unsigned)cpl);

		if (last != 0 && now - last < older_than_ms)
			continue;
		randombytes_buf(rnd, sizeof(rnd));
		if (pd_kad_rt_random_peerid(d->rt, (unsigned)cpl, rnd, &id,
		    &key) < 0)
			continue;
		if (pd_kad_dht_closest(d, id.bytes, id.len, dht_refresh_cb,
		    NULL) == 0) {
			started++;
			(void)pd_kad_rt_mark_refreshed(d->rt, (unsigned)cpl,
			    now);
		}
	}
	return started;
}
