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
	uint8_t *best;			/* GET_VALUE: best valid value so far */
	size_t bestlen, nvalid;
	pd_kad_dht_value_cb value_cb;
	pd_kad_dht_prov_cb prov_cb;
	struct event *timer;
	LIST_HEAD(, dht_req) reqs;
	pd_kad_dht_cb cb;
	void *arg;
	int done;
	int pumping;			/* inside dht_lookup_pump */
	int repump;			/* a nested pump was asked for */
};

struct dht_call;
typedef void (*dht_call_done)(struct pd_kad_dht *d, struct dht_call *call,
    int result, const struct pd_kad_msg *reply);

/*
 * One request to one peer outside a lookup (dial if needed, stream,
 * write, maybe one reply): ADD_PROVIDER (no reply), PUT_VALUE (the echo),
 * and the FIND_NODE that checks a peer before it enters the table.
 */
struct dht_call {
	LIST_ENTRY(dht_call) entry;
	struct pd_kad_dht *d;		/* NULL once the DHT is gone */
	struct pd_peerid peer;
	struct pd_buf out;		/* the length-prefixed request */
	struct pd_buf in;
	struct pd_net_dial *dial;
	struct pd_stream *s;
	struct event *timer;
	int opening;
	dht_call_done done;		/* NULL: no reply expected */
	int probe;			/* a table check (see dht_probe) */
	int fail;			/* error found before any I/O */
	struct pd_multiaddr addrs[PD_KAD_RT_MAX_ADDRS];
	size_t naddrs;
	struct dht_put *put;		/* PUT_VALUE: its operation */
};

/* A PUT_VALUE to the k closest peers: counts the echoes. */
struct dht_put {
	LIST_ENTRY(dht_put) entry;
	struct pd_kad_dht *d;
	struct pd_kad_record *rec;	/* what we send */
	size_t pending, ok, sent;
	pd_kad_dht_put_cb cb;
	void *arg;
};

/* Per-peer request budget (token bucket), direct-mapped by keyed hash. */
struct dht_rate {
	struct pd_peerid id;
	uint64_t at_ms;
	uint32_t tokens_milli;		/* tokens x 1000 */
};

#define DHT_RATE_SLOTS 512

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
	LIST_HEAD(, dht_call) calls;
	size_t ncalls;
	LIST_HEAD(, dht_put) puts;
	struct pd_kad_validators *validators;
	struct pd_kad_records *records;	/* values we hold */
	unsigned rate;			/* requests per second per peer, 0 off */
	struct dht_rate *rates;		/* DHT_RATE_SLOTS */
	uint8_t rate_key[crypto_shorthash_KEYBYTES];
	struct pd_kad_msg *req, *resp;	/* server scratch (not re-entrant) */
	struct pd_kad_dht_stats stats;
	void (*on_admit)(const struct pd_peerid *, void *);
	void *admit_arg;
	bool (*may_dial)(const struct pd_peerid *, size_t, void *);
	void *dial_arg;
	size_t ndialing;		/* our dials in flight */
};

/* The owner's connection cap: may we open one more connection? */
static bool
dht_may_dial(const struct pd_kad_dht *d, const struct pd_peerid *id)
{
	return d->may_dial == NULL || d->may_dial(id, d->ndialing, d->dial_arg);
}

static struct dht_call *dht_call_start(struct pd_kad_dht *d,
    const struct pd_peerid *peer, const struct pd_multiaddr *addrs,
    size_t naddrs, const struct pd_kad_msg *msg, dht_call_done done);
static void dht_call_go(struct dht_call *call);
static void dht_puts_free(struct pd_kad_dht *d);

/* ---- value records -------------------------------------------------------- */

static int
dht_records_init(struct pd_kad_dht *d)
{
	if ((d->validators = calloc(1, sizeof(*d->validators))) == NULL)
		return PD_ERR_NOMEM;
	pd_kad_validators_init(d->validators);
	if (pd_kad_validators_default(d->validators) < 0 ||
	    (d->records = pd_kad_records_new(d->validators,
	    PD_KAD_RECORDS_MAX, PD_KAD_RECORDS_MAX_BYTES)) == NULL)
		return PD_ERR_NOMEM;
	return 0;
}

static void
dht_records_free(struct pd_kad_dht *d)
{
	if (d->records != NULL)
		pd_kad_records_free(d->records);
	free(d->validators);
}

/* GET_VALUE (go handleGetValue): our record, if any; closer peers follow. */
static int
dht_get_value_local(struct pd_kad_dht *d, const struct pd_kad_msg *req,
    struct pd_kad_msg *resp)
{
	if (req->key_len == 0)
		return PD_ERR_INVAL;
	(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
	if (pd_kad_records_get_record(d->records, req->key, req->key_len,
	    pd_time_wall_ms(), &resp->record) == 0)
		resp->has_record = true;
	return 0;
}

/*
 * PUT_VALUE (go handlePutValue): the record's key must be the message's;
 * it is validated and kept unless ours is better; the answer echoes it.
 * Refusals reset the stream, as go does.
 */
static int
dht_put_value_local(struct pd_kad_dht *d, const struct pd_kad_msg *req,
    struct pd_kad_msg *resp, const struct pd_peerid *from)
{
	char why[160];
	int r;

	if (!req->has_record || req->key_len == 0 ||
	    req->record.key_len != req->key_len ||
	    memcmp(req->record.key, req->key, req->key_len) != 0) {
		d->stats.records_rejected++;
		return PD_ERR_INVAL;
	}
	why[0] = '\0';
	if ((r = pd_kad_records_put(d->records, req->key, req->key_len,
	    req->record.value, req->record.value_len, pd_time_wall_ms(), why,
	    sizeof(why))) < 0) {
		char id[PD_PEERID_TEXT_MAX];

		d->stats.records_rejected++;
		if (pd_peerid_format(from, id, sizeof(id)) < 0)
			strcpy(id, "?");
		PD_LOG_DEBUG("PUT_VALUE from %s refused: %s", id,
		    why[0] != '\0' ? why : pd_strerror(r));
		return r;
	}
	d->stats.records_stored++;
	(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
	resp->has_record = true;
	resp->record = req->record;
	return 0;
}

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

/*
 * Spend one request of from's budget: dht.peer_request_rate per second,
 * bursts up to DHT_RATE_BURST seconds' worth.  A peer whose slot another
 * peer took starts with a full bucket (the table is a bounded cache).
 */
static bool
dht_rate_ok(struct pd_kad_dht *d, const struct pd_peerid *from)
{
	struct dht_rate *r;
	uint64_t now = pd_time_mono_ms(), h;
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t cap = (uint64_t)d->rate * 1000 * PD_KAD_DHT_RATE_BURST_S;
	uint64_t t;

	if (d->rate == 0 || d->rates == NULL)
		return true;
	crypto_shorthash(out, from->bytes, from->len, d->rate_key);
	memcpy(&h, out, sizeof(h));
	r = &d->rates[h % DHT_RATE_SLOTS];
	if (!pd_peerid_equal(&r->id, from)) {
		r->id = *from;
		r->at_ms = now;
		r->tokens_milli = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	}
	t = r->tokens_milli + (now - r->at_ms) * d->rate;
	r->at_ms = now;
	if (t > cap)
		t = cap;
	if (t < 1000) {
		r->tokens_milli = (uint32_t)t;
		return false;
	}
	r->tokens_milli = (uint32_t)(t - 1000);
	return true;
}

/* Debug log of a refused request (a flood logs nothing above debug). */
static void
dht_log_refusal(const struct pd_peerid *from, const char *why)
{
	char id[PD_PEERID_TEXT_MAX];

	if (pd_log_get_level() < PD_LOG_LEVEL_DEBUG)
		return;
	if (pd_peerid_format(from, id, sizeof(id)) < 0)
		strcpy(id, "?");
	PD_LOG_DEBUG("DHT request from %s refused: %s", id, why);
}

/* Answer one request; returns 0, or <0 to reset the stream. */
static int
dht_serve_one(struct dht_serve *sv, const uint8_t *p, size_t len)
{
	struct pd_kad_dht *d = sv->d;
	struct pd_kad_msg *req = d->req, *resp = d->resp;
	const struct pd_peerid *from = pd_conn_peer(pd_stream_conn(sv->s));
	struct pd_buf out;
	char why[128];
	int r;

	if (!dht_rate_ok(d, from)) {
		d->stats.rate_limited++;
		dht_log_refusal(from, "over dht.peer_request_rate");
		return PD_ERR_AGAIN;
	}
	if ((r = pd_kad_msg_decode(p, len, req, why, sizeof(why))) < 0) {
		d->stats.bad_requests++;
		dht_log_refusal(from, why);
		return r;
	}
	pd_buf_init(&out);
	pd_kad_msg_init(resp, req->type);
	switch (req->type) {
	case PD_KAD_FIND_NODE:
		(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
		dht_fill_closer(d, resp, req->key, req->key_len, from);
		break;
	case PD_KAD_GET_VALUE:
		if ((r = dht_get_value_local(d, req, resp)) < 0)
			goto bad;
		dht_fill_closer(d, resp, req->key, req->key_len, from);
		break;
	case PD_KAD_PUT_VALUE:
		if ((r = dht_put_value_local(d, req, resp, from)) < 0)
			goto bad;
		break;
	case PD_KAD_GET_PROVIDERS:
		if (req->key_len == 0 || req->key_len > PD_KAD_PROV_MAX_KEY) {
			r = PD_ERR_INVAL;
			goto bad;
		}
		(void)pd_kad_msg_set_key(resp, req->key, req->key_len);
		dht_fill_providers(d, resp, req->key, req->key_len);
		dht_fill_closer(d, resp, req->key, req->key_len, from);
		break;
	case PD_KAD_ADD_PROVIDER:
		/* §9.3: keep entries naming the sender, with an address; no
		 * reply. */
		d->stats.requests[req->type]++;
		if ((r = dht_add_provider(d, req, from)) < 0)
			d->stats.bad_requests++;
		return r;
	case PD_KAD_PING:
		break;
	default:
		r = PD_ERR_UNSUPPORTED;
		goto bad;
	}
	d->stats.requests[req->type]++;
	if ((r = pd_kad_msg_encode_lp(resp, &out)) == 0 &&
	    pd_stream_write(sv->s, out.data, out.len) != (int)out.len)
		r = PD_ERR_CLOSED;
	(void)pd_kad_rt_mark_seen(d->rt, from, pd_time_mono_ms());
	pd_buf_free(&out);
	return r;
bad:
	d->stats.bad_requests++;
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

	const struct pd_peerid *from = pd_conn_peer(pd_stream_conn(s));
	size_t mine = 0;

	LIST_FOREACH(sv, &d->serves, entry)
		if (pd_peerid_equal(pd_conn_peer(pd_stream_conn(sv->s)),
		    from))
			mine++;
	if (d->nserves >= PD_KAD_DHT_MAX_INBOUND ||
	    mine >= PD_KAD_DHT_MAX_INBOUND_PEER ||
	    (sv = calloc(1, sizeof(*sv))) == NULL) {
		d->stats.streams_refused++;
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

static void dht_probe_done(struct pd_kad_dht *d, struct dht_call *call,
    int result, const struct pd_kad_msg *reply);

static bool
dht_probing(const struct pd_kad_dht *d, const struct pd_peerid *id)
{
	const struct dht_call *call;

	LIST_FOREACH(call, &d->calls, entry)
		if (call->probe != 0 && pd_peerid_equal(&call->peer, id))
			return true;
	return false;
}

/*
 * Check a peer: a FIND_NODE for our own ID.  kind 1: a candidate, admitted
 * when it answers; kind 2: the stale entry of a full bucket, kept when it
 * answers and evicted when not.
 */
static int
dht_probe(struct pd_kad_dht *d, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, int kind)
{
	const struct pd_peerid *self = pd_net_peer_id(d->net);
	struct pd_kad_msg *msg;
	struct dht_call *call = NULL;

	if (dht_probing(d, id))
		return 0;
	if ((msg = pd_kad_msg_new()) == NULL)
		return PD_ERR_NOMEM;
	pd_kad_msg_init(msg, PD_KAD_FIND_NODE);
	if (pd_kad_msg_set_key(msg, self->bytes, self->len) == 0)
		call = dht_call_start(d, id, addrs, naddrs, msg,
		    dht_probe_done);
	pd_kad_msg_free(msg);
	if (call == NULL)
		return PD_ERR_NOMEM;
	call->probe = kind;
	d->stats.probes++;
	dht_call_go(call);
	return 0;
}

static void
dht_admit(struct pd_kad_dht *d, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs)
{
	struct pd_peerid stale;
	const struct pd_kad_rt_peer *e;
	int v;

	if (naddrs > PD_KAD_RT_MAX_ADDRS)
		naddrs = PD_KAD_RT_MAX_ADDRS;
	v = pd_kad_rt_add_candidate(d->rt, id, addrs, naddrs,
	    pd_time_mono_ms(), &stale);
	if (v == PD_KAD_RT_ADDED && d->on_admit != NULL)
		d->on_admit(id, d->admit_arg);
	if (v != PD_KAD_RT_PENDING_CHECK)
		return;
	/* A full bucket: its least recently seen entry must answer. */
	if ((e = pd_kad_rt_find(d->rt, &stale)) == NULL ||
	    dht_probe(d, &stale, e->addrs, e->naddrs, 2) < 0)
		(void)pd_kad_rt_check_done(d->rt, &stale, true,
		    pd_time_mono_ms());
}

static void
dht_probe_done(struct pd_kad_dht *d, struct dht_call *call, int result,
    const struct pd_kad_msg *reply)
{
	bool alive = result == 0 && reply != NULL &&
	    reply->type == PD_KAD_FIND_NODE;

	if (!alive)
		d->stats.probe_failures++;
	if (call->probe == 2) {
		(void)pd_kad_rt_check_done(d->rt, &call->peer, alive,
		    pd_time_mono_ms());
		return;
	}
	if (alive)
		dht_admit(d, &call->peer, call->addrs, call->naddrs);
}

void
pd_kad_dht_identified(struct pd_kad_dht *d, struct pd_conn *c,
    const struct pd_identify *id)
{
	const struct pd_peerid *peer = pd_conn_peer(c);

	if (!pd_identify_has_protocol(id, d->protocol)) {
		/* It stopped speaking kad (identify push, new connection). */
		(void)pd_kad_rt_remove(d->rt, peer, pd_time_mono_ms());
		return;
	}
	if (pd_kad_rt_find(d->rt, peer) != NULL)
		dht_admit(d, peer, id->addrs, id->naddrs);	/* refresh */
	else
		(void)dht_probe(d, peer, id->addrs, id->naddrs < PD_KAD_RT_MAX_ADDRS ?
		    id->naddrs : PD_KAD_RT_MAX_ADDRS, 1);
}

int
pd_kad_dht_probe(struct pd_kad_dht *d, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs)
{
	if (pd_peerid_equal(id, pd_net_peer_id(d->net)))
		return PD_ERR_INVAL;
	if (pd_kad_rt_find(d->rt, id) != NULL)
		return 0;
	return dht_probe(d, id, addrs, naddrs, 1);
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

/*
 * A GET_VALUE answer carried a record: keep it if it is for our key,
 * valid, and better than the best so far (the validator's select).
 */
static void
dht_lookup_add_value(struct dht_lookup *lk, const struct pd_kad_record *rec)
{
	struct pd_kad_dht *d = lk->d;
	struct pd_kad_rec_val vals[2];
	uint8_t *copy;
	char why[160];

	if (rec->key_len != lk->keylen ||
	    memcmp(rec->key, lk->key, lk->keylen) != 0 ||
	    pd_kad_validate(d->validators, rec->key, rec->key_len, rec->value,
	    rec->value_len, pd_time_wall_ms(), why, sizeof(why)) < 0) {
		d->stats.records_rejected++;
		return;
	}
	lk->nvalid++;
	if (lk->best != NULL) {
		vals[0].val = lk->best;
		vals[0].len = lk->bestlen;
		vals[1].val = rec->value;
		vals[1].len = rec->value_len;
		if (pd_kad_select(d->validators, lk->key, lk->keylen, vals,
		    2) != 1)
			return;
	}
	if ((copy = malloc(rec->value_len > 0 ? rec->value_len : 1)) == NULL)
		return;
	memcpy(copy, rec->value, rec->value_len);
	free(lk->best);
	lk->best = copy;
	lk->bestlen = rec->value_len;
}

/* get_value stops once a quorum of valid records came back. */
static bool
dht_enough_values(void *arg, const struct pd_kad_query *q,
    const struct pd_peerid *from)
{
	struct dht_lookup *lk = arg;

	(void)q;
	(void)from;
	return lk->nvalid >= PD_KAD_DHT_QUORUM;
}

static void
dht_req_free(struct dht_req *rq)
{
	LIST_REMOVE(rq, entry);
	if (rq->dial != NULL) {
		pd_net_dial_cancel(rq->dial);
		rq->lk->d->ndialing--;
	}
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
	if (lk->type == PD_KAD_GET_VALUE) {
		lk->value_cb(lk->best != NULL ? 0 : st == PD_KAD_QUERY_TIMED_OUT ?
		    PD_ERR_TIMEOUT : PD_ERR_NOT_FOUND, lk->best, lk->bestlen,
		    lk->nvalid, lk->arg);
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
	free(lk->best);
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
	if (lk->type == PD_KAD_GET_VALUE && msg->has_record)
		dht_lookup_add_value(lk, &msg->record);
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
	rq->lk->d->ndialing--;
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
	if (!dht_may_dial(lk->d, &p->id)) {
		/* Our connection cap, not the peer's fault: no table mark. */
		lk->d->stats.dials_refused++;
		(void)pd_kad_query_failure(lk->q, &rq->peer, pd_time_mono_ms());
		dht_req_free(rq);
		dht_lookup_pump(lk);
		return;
	}
	for (size_t i = 0; i < p->naddrs && rq->dial == NULL; i++)
		rq->dial = pd_net_dial(lk->d->net, &p->addrs[i], &p->id,
		    dht_req_dial_cb, rq, &err);
	if (rq->dial == NULL)
		dht_req_failed(rq);
	else
		lk->d->ndialing++;
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
    uint64_t timeout_ms, bool may_be_empty, struct dht_lookup **ret_lk)
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
	if (nseeds == 0 && !may_be_empty)
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
	return dht_lookup_start(d, key, keylen, NULL, cb, arg, 0, false, NULL);
}

int
pd_kad_dht_find_peer(struct pd_kad_dht *d, const struct pd_peerid *id,
    pd_kad_dht_cb cb, void *arg)
{
	return dht_lookup_start(d, id->bytes, id->len, id, cb, arg, 0, false,
	    NULL);
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
	if ((r = dht_lookup_start(d, key, keylen, NULL, cb, arg, 0, false,
	    &lk)) < 0)
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
	    false, &lk)) < 0)
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

/* ---- one-shot calls ------------------------------------------------------ */

static void
dht_call_free(struct dht_call *call)
{
	if (call->d != NULL) {
		LIST_REMOVE(call, entry);
		call->d->ncalls--;
		call->d = NULL;
	}
	if (call->dial != NULL) {
		pd_net_dial_cancel(call->dial);
		call->dial = NULL;
		if (call->d != NULL)
			call->d->ndialing--;
	}
	if (call->s != NULL) {
		pd_stream_reset(call->s);
		call->s = NULL;
	}
	if (call->timer != NULL) {
		event_free(call->timer);
		call->timer = NULL;
	}
	pd_buf_free(&call->out);
	pd_buf_free(&call->in);
	if (!call->opening)
		free(call);
}

/* The call is over: tell its owner (unless the DHT is gone), free it. */
static void
dht_call_end(struct dht_call *call, int result, const struct pd_kad_msg *reply)
{
	if (call->d != NULL && call->done != NULL)
		call->done(call->d, call, result, reply);
	dht_call_free(call);
}

static void
dht_call_data(struct pd_stream *s, const uint8_t *data, size_t len,
    void *arg)
{
	struct dht_call *call = arg;
	struct pd_kad_msg *msg;
	const uint8_t *p;
	size_t plen;
	int n;

	(void)s;
	if (pd_buf_append(&call->in, data, len) < 0) {
		dht_call_end(call, PD_ERR_NOMEM, NULL);
		return;
	}
	n = pd_kad_msg_frame(call->in.data, call->in.len, PD_KAD_MSG_MAX, &p,
	    &plen);
	if (n == PD_ERR_TRUNCATED)
		return;
	if (n < 0 || (msg = pd_kad_msg_new()) == NULL) {
		dht_call_end(call, n < 0 ? n : PD_ERR_NOMEM, NULL);
		return;
	}
	if ((n = pd_kad_msg_decode(p, plen, msg, NULL, 0)) < 0)
		dht_call_end(call, n, NULL);
	else
		dht_call_end(call, 0, msg);
	pd_kad_msg_free(msg);
}

static void
dht_call_eof(struct pd_stream *s, void *arg)
{
	(void)s;
	dht_call_end(arg, PD_ERR_CLOSED, NULL);
}

static void
dht_call_close(struct pd_stream *s, int err, void *arg)
{
	struct dht_call *call = arg;

	(void)s;
	call->s = NULL;
	dht_call_end(call, err < 0 ? err : PD_ERR_CLOSED, NULL);
}

static void
dht_call_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dht_call *call = arg;

	(void)fd;
	(void)what;
	dht_call_end(call, call->fail < 0 ? call->fail : PD_ERR_TIMEOUT, NULL);
}

static void
dht_call_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct dht_call *call = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = dht_call_data,
		.on_eof = dht_call_eof,
		.on_close = dht_call_close,
	};

	call->opening = 0;
	if (call->d == NULL) {		/* the DHT went away meanwhile */
		if (s != NULL)
			pd_stream_reset(s);
		dht_call_free(call);
		return;
	}
	if (result < 0) {
		dht_call_end(call, result, NULL);
		return;
	}
	if (pd_stream_write(s, call->out.data, call->out.len) !=
	    (int)call->out.len) {
		pd_stream_reset(s);
		dht_call_end(call, PD_ERR_CLOSED, NULL);
		return;
	}
	if (call->done == NULL) {
		pd_stream_release(s);	/* FIN after the queued message */
		dht_call_end(call, 0, NULL);
		return;
	}
	call->s = s;
	pd_stream_set_cbs(s, &cbs, call);
	(void)pd_stream_close_write(s);
}

static void
dht_call_open(struct dht_call *call, struct pd_conn *c)
{
	int r;

	call->opening = 1;
	if ((r = pd_conn_open_stream(c, call->d->protocol, dht_call_open_cb,
	    call)) < 0) {
		call->opening = 0;
		dht_call_end(call, r, NULL);
	}
}

static void
dht_call_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct dht_call *call = arg;

	(void)why;
	call->dial = NULL;
	if (call->d != NULL)
		call->d->ndialing--;
	if (result < 0) {
		dht_call_end(call, result, NULL);
		return;
	}
	dht_call_open(call, c);
}

/*
 * Send msg to peer (dialing addrs when not connected); done (NULL: no
 * reply wanted) runs once with the reply or an error, never inside this
 * call.  Returns the call (to fill in its context) or NULL.
 */
static struct dht_call *
dht_call_start(struct pd_kad_dht *d, const struct pd_peerid *peer,
    const struct pd_multiaddr *addrs, size_t naddrs,
    const struct pd_kad_msg *msg, dht_call_done done)
{
	struct dht_call *call;
	struct timeval tv = { PD_KAD_DHT_CALL_TIMEOUT_MS / 1000, 0 };

	if (d->ncalls >= PD_KAD_DHT_MAX_CALLS ||
	    (call = calloc(1, sizeof(*call))) == NULL)
		return NULL;
	call->d = d;
	call->peer = *peer;
	call->done = done;
	if (naddrs > PD_KAD_RT_MAX_ADDRS)
		naddrs = PD_KAD_RT_MAX_ADDRS;
	memcpy(call->addrs, addrs, naddrs * sizeof(addrs[0]));
	call->naddrs = naddrs;
	pd_buf_init(&call->out);
	pd_buf_init(&call->in);
	if (pd_kad_msg_encode_lp(msg, &call->out) < 0 ||
	    (call->timer = evtimer_new(pd_net_base(d->net), dht_call_timer_cb,
	    call)) == NULL) {
		pd_buf_free(&call->out);
		free(call);
		return NULL;
	}
	LIST_INSERT_HEAD(&d->calls, call, entry);
	d->ncalls++;
	evtimer_add(call->timer, &tv);
	return call;
}

/* Second half of dht_call_start: connect or dial (from the loop). */
static void
dht_call_go(struct dht_call *call)
{
	struct pd_kad_dht *d = call->d;
	struct pd_conn *c;
	int err = 0;

	if ((c = pd_net_conn_find(d->net, &call->peer)) != NULL) {
		dht_call_open(call, c);
		return;
	}
	if (!dht_may_dial(d, &call->peer)) {
		d->stats.dials_refused++;
		err = PD_ERR_PEER_LIMIT;
	} else {
		for (size_t i = 0; i < call->naddrs && call->dial == NULL; i++)
			call->dial = pd_net_dial(d->net, &call->addrs[i],
			    &call->peer, dht_call_dial_cb, call, &err);
		if (call->dial != NULL)
			d->ndialing++;
	}
	if (call->dial == NULL) {
		/* Report from the loop, like every other outcome. */
		struct timeval now = { 0, 0 };

		call->fail = err < 0 ? err : PD_ERR_UNAVAILABLE;
		evtimer_add(call->timer, &now);
	}
}

/* ---- values: get and put -------------------------------------------------- */

/* Whether key is "/ns/..." with a validator for ns. */
static bool
dht_has_validator(const struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen)
{
	const uint8_t *ns, *rest;
	size_t nslen, restlen;

	if (pd_kad_key_split(key, keylen, &ns, &nslen, &rest, &restlen) < 0)
		return false;
	for (size_t i = 0; i < d->validators->n; i++)
		if (strlen(d->validators->v[i].ns) == nslen &&
		    memcmp(d->validators->v[i].ns, ns, nslen) == 0)
			return true;
	return false;
}

int
pd_kad_dht_get_value(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    uint64_t timeout_ms, pd_kad_dht_value_cb cb, void *arg)
{
	struct dht_lookup *lk;
	const uint8_t *val;
	size_t vallen;
	int r;

	if (!dht_has_validator(d, key, keylen))
		return PD_ERR_INVAL;
	if ((r = dht_lookup_start(d, key, keylen, NULL, NULL, arg, timeout_ms,
	    true, &lk)) < 0)
		return r;
	lk->type = PD_KAD_GET_VALUE;
	lk->value_cb = cb;
	/* Our own record counts as one answer. */
	if (pd_kad_records_get(d->records, key, keylen, pd_time_wall_ms(), &val,
	    &vallen, NULL) == 0 && (lk->best = malloc(vallen > 0 ? vallen :
	    1)) != NULL) {
		memcpy(lk->best, val, vallen);
		lk->bestlen = vallen;
		lk->nvalid = 1;
	}
	pd_kad_query_set_stop(lk->q, dht_enough_values, lk);
	return 0;
}

static void
dht_put_end(struct dht_put *put)
{
	LIST_REMOVE(put, entry);
	put->cb(0, put->ok, put->sent, put->arg);
	free(put->rec);
	free(put);
}

static void
dht_put_call_done(struct pd_kad_dht *d, struct dht_call *call, int result,
    const struct pd_kad_msg *reply)
{
	struct dht_put *put = call->put;

	(void)d;
	if (result == 0 && reply != NULL && reply->type == PD_KAD_PUT_VALUE)
		put->ok++;
	if (--put->pending == 0)
		dht_put_end(put);
}

/* The closest peers are known: send each the PUT_VALUE. */
static void
dht_put_lookup_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	struct dht_put *put = arg;
	struct pd_kad_dht *d = put->d;
	struct dht_call *calls[PD_KAD_QUERY_MAX_K];
	struct pd_kad_msg *msg;
	size_t ncalls = 0;

	(void)result;
	if ((msg = pd_kad_msg_new()) != NULL) {
		pd_kad_msg_init(msg, PD_KAD_PUT_VALUE);
		(void)pd_kad_msg_set_key(msg, put->rec->key, put->rec->key_len);
		msg->has_record = true;
		msg->record = *put->rec;
		for (size_t i = 0; i < n && ncalls < PD_KAD_QUERY_MAX_K; i++) {
			struct dht_call *call = dht_call_start(d, &peers[i]->id,
			    peers[i]->addrs, peers[i]->naddrs, msg,
			    dht_put_call_done);

			if (call == NULL)
				break;
			call->put = put;
			calls[ncalls++] = call;
		}
		pd_kad_msg_free(msg);
	}
	put->sent = ncalls;
	/* One extra count while starting: a call may end at once. */
	put->pending = ncalls + 1;
	for (size_t i = 0; i < ncalls; i++)
		dht_call_go(calls[i]);
	if (--put->pending == 0)
		dht_put_end(put);
}

int
pd_kad_dht_put_value(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen, pd_kad_dht_put_cb cb, void *arg,
    char *why, size_t whylen)
{
	struct dht_put *put;
	size_t n = 0;
	int r;

	LIST_FOREACH(put, &d->puts, entry)
		n++;
	if (n >= PD_KAD_DHT_MAX_PUTS) {
		snprintf(why, whylen, "too many puts in flight");
		return PD_ERR_PEER_LIMIT;
	}
	if (keylen == 0 || keylen > PD_KAD_MAX_KEY || vallen > PD_KAD_MAX_VALUE) {
		snprintf(why, whylen, "key or value too long");
		return PD_ERR_INVAL;
	}
	if ((r = pd_kad_records_put(d->records, key, keylen, val, vallen,
	    pd_time_wall_ms(), why, whylen)) < 0)
		return r;
	if ((put = calloc(1, sizeof(*put))) == NULL ||
	    (put->rec = calloc(1, sizeof(*put->rec))) == NULL) {
		free(put);
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	put->d = d;
	put->cb = cb;
	put->arg = arg;
	memcpy(put->rec->key, key, keylen);
	put->rec->key_len = keylen;
	memcpy(put->rec->value, val, vallen);
	put->rec->value_len = vallen;
	(void)pd_kad_time_format(pd_time_wall_ms(), put->rec->time_received,
	    sizeof(put->rec->time_received));
	put->rec->time_len = strlen(put->rec->time_received);
	if ((r = dht_lookup_start(d, key, keylen, NULL, dht_put_lookup_cb, put,
	    0, true, NULL)) < 0) {
		free(put->rec);
		free(put);
		snprintf(why, whylen, "%s", pd_strerror(r));
		return r;
	}
	LIST_INSERT_HEAD(&d->puts, put, entry);
	return 0;
}

static void
dht_puts_free(struct pd_kad_dht *d)
{
	struct dht_put *put;

	while ((put = LIST_FIRST(&d->puts)) != NULL) {
		LIST_REMOVE(put, entry);
		free(put->rec);
		free(put);
	}
}

struct pd_kad_validators *
pd_kad_dht_validators(struct pd_kad_dht *d)
{
	return d->validators;
}

size_t
pd_kad_dht_record_count(const struct pd_kad_dht *d)
{
	return pd_kad_records_count(d->records);
}

/* ---- providing ----------------------------------------------------------- */

static void
dht_provide_send(struct pd_kad_dht *d, const uint8_t *key, size_t keylen,
    const struct pd_kad_query_peer *const *peers, size_t n)
{
	struct pd_multiaddr addrs[PD_NET_MAX_LISTENERS];
	struct pd_kad_msg *msg;
	size_t na;

	if ((msg = pd_kad_msg_new()) == NULL)
		return;
	na = pd_net_listen_addrs(d->net, addrs, PD_NET_MAX_LISTENERS);
	pd_kad_msg_init(msg, PD_KAD_ADD_PROVIDER);
	if (pd_kad_msg_set_key(msg, key, keylen) == 0 &&
	    pd_kad_msg_add_peer(msg, PD_KAD_LIST_PROVIDERS,
	    pd_net_peer_id(d->net), addrs, na, PD_KAD_CONNECTED) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct dht_call *call = dht_call_start(d, &peers[i]->id,
			    peers[i]->addrs, peers[i]->naddrs, msg, NULL);

			if (call == NULL)
				break;
			dht_call_go(call);
		}
	}
	pd_kad_msg_free(msg);
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
	LIST_INIT(&d->calls);
	LIST_INIT(&d->puts);
	pd_kad_rt_config_default(&rc);
	if (cfg->k > 0)
		rc.k = cfg->k;
	rc.diversity.exempt_private = cfg->exempt_private;
	if (!cfg->diversity) {
		rc.diversity.per_bucket = 0;
		rc.diversity.per_table = 0;
	}
	d->rate = cfg->rate;
	d->on_admit = cfg->on_admit;
	d->admit_arg = cfg->admit_arg;
	d->may_dial = cfg->may_dial;
	d->dial_arg = cfg->dial_arg;
	crypto_shorthash_keygen(d->rate_key);
	if ((d->req = pd_kad_msg_new()) == NULL ||
	    (d->resp = pd_kad_msg_new()) == NULL ||
	    (d->rate > 0 && (d->rates = calloc(DHT_RATE_SLOTS,
	    sizeof(*d->rates))) == NULL) ||
	    dht_records_init(d) < 0) {
		pd_kad_dht_free(d);
		return NULL;
	}
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
		free(lk->best);
		free(lk);
	}
	while (!LIST_EMPTY(&d->serves))
		dht_serve_free(LIST_FIRST(&d->serves), 1);
	while (!LIST_EMPTY(&d->calls))
		dht_call_free(LIST_FIRST(&d->calls));
	dht_puts_free(d);
	dht_records_free(d);
	pd_kad_msg_free(d->req);
	pd_kad_msg_free(d->resp);
	free(d->rates);
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

void
pd_kad_dht_stats(const struct pd_kad_dht *d, struct pd_kad_dht_stats *ret)
{
	*ret = d->stats;
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
