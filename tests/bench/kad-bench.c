/*
 * kad-bench.c - load driver for the DHT benchmark (tests/bench/kad-run.sh).
 *
 * Two modes, both on libpeerdisc's own network stack (pd_net: TCP, Noise,
 * yamux, identify, ping), against one target multiaddr that ends in
 * /p2p/ID:
 *
 *   fill   fill the target's routing table: N identities (default 200),
 *          generated so that their Kademlia keys fall k (default 20) to a
 *          bucket in the target's buckets 0, 1, 2, ... (common prefix
 *          lengths with the target's key), so a k-bucket table admits all
 *          of them.  Each one listens on 127.0.0.1, answers identify
 *          (advertising the DHT protocol and its listen address), ping
 *          and DHT requests (FIND_NODE and GET_* with no closer peers,
 *          PING), dials the target and identifies it.  With -R the
 *          identities are random instead (for js-libp2p's table, a trie
 *          split on the first 6 bits of the key whatever our own, where
 *          random keys spread over 64 buckets and aimed ones would crowd
 *          into ours).  Prints
 *          "filled ok=... failed=..." once every dial ended, then keeps
 *          the connections until SIGTERM/SIGINT or -H seconds.
 *   find   C connections (fresh identities that do not speak the DHT, so
 *          they stay out of the table), each sending FIND_NODE requests
 *          for random 32-byte keys on DHT streams, D at a time per
 *          connection: with --stream-per-request (default) one stream per
 *          request (request, close our side, read the answer, as go's
 *          one-shot requests do), with --reuse one stream per lane for
 *          every request (as js and go's message sender do).  Runs for N
 *          requests (-n) or S seconds (-s).  Every answer is decoded and
 *          must be a FIND_NODE with at least one closer peer.
 *
 * Prints one "result key=value ..." line on stdout; never judges timings.
 * Exit 0 when every request (or fill dial) worked, 1 otherwise, 2 for a
 * bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "kad/msg.h"
#include "kad/rt.h"
#include "net/conn.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

#define KB_AGENT "peerdisc-kad-bench/1"
#define KB_MAX_FILL 2000		/* -n cap in fill mode */
#define KB_MAX_BUCKETS 16		/* fill: deepest bucket we aim at (keygen cost 2^b) */
#define KB_MAX_CONNS 256		/* -c cap */
#define KB_MAX_DEPTH 32			/* -d cap */
#define KB_MAX_REQUESTS 10000000	/* -n cap in find mode */
#define KB_MAX_SAMPLES 1000000		/* RTTs kept for percentiles */
#define KB_MAX_KEYGEN (1u << 22)	/* fill: key generation attempts */
#define KB_REQ_TIMEOUT_MS 10000		/* one request: open to answer */
#define KB_DIAL_TIMEOUT_MS 10000
#define KB_KEY_LEN 32			/* bytes of a FIND_NODE key */

enum kb_mode {
	KB_FILL,
	KB_FIND,
};

struct kb;
struct kb_peer;

/* find: one request lane (one request in flight at a time). */
struct kb_lane {
	struct kb_peer *p;
	struct pd_stream *s;
	struct pd_buf in;
	struct event *timer;		/* request deadline */
	uint64_t sent_ns;
	int opening;			/* pd_conn_open_stream pending */
	int busy;			/* a request is in flight */
};

/* One identity: a filler (fill) or a requesting connection (find). */
struct kb_peer {
	struct kb *k;
	struct pd_net *net;
	struct pd_idsvc *idsvc;
	struct pd_net_dial *dial;
	struct pd_conn *conn;
	struct pd_privkey key;
	int dial_done;			/* dial ended (either way) */
	int identified;			/* the target answered our identify */
	struct kb_lane lanes[KB_MAX_DEPTH];
};

/* An inbound DHT stream on a filler. */
struct kb_serve {
	struct kb *k;
	struct pd_buf in;
};

struct kb {
	struct event_base *base;
	enum kb_mode mode;
	struct pd_multiaddr target;
	struct pd_peerid target_id;
	const char *proto;
	unsigned long n;		/* fill: identities; find: requests */
	unsigned long conc;		/* fill: dials at once; find: connections */
	unsigned long depth;		/* find: lanes per connection */
	unsigned bucket_k;		/* fill: identities per bucket */
	int reuse;
	int random_ids;			/* fill: no bucket aiming */
	double seconds, hold_s, timeout_s;
	int verbose;
	struct kb_peer *peers;
	unsigned long npeers;
	unsigned long next_dial, dials_active;
	unsigned long fill_ok, fill_failed, conn_lost;
	unsigned long served, serves_open;
	/* find */
	unsigned long started, ok, failed, no_closer, streams;
	unsigned long closer_total;
	unsigned long conns_up;
	int running, stopping, timed_out, filled_reported;
	uint64_t t_start_ns, t_end_ns;
	uint64_t *samples;
	size_t nsamples;
	struct pd_kad_msg *msg;		/* scratch (large: heap) */
	struct pd_buf out;		/* scratch */
	char first_error[PD_NET_WHY_MAX + 64];
	struct event *deadline_ev, *hold_ev, *sigterm_ev, *sigint_ev;
};

static uint64_t
kb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
kb_note_error(struct kb *k, const char *what, const char *why)
{
	if (k->verbose)
		fprintf(stderr, "kad-bench: %s: %s\n", what, why);
	if (k->first_error[0] == '\0')
		snprintf(k->first_error, sizeof(k->first_error), "%s: %s",
		    what, why);
}

static void
kb_stop(struct kb *k)
{
	k->stopping = 1;
	if (k->t_end_ns == 0)
		k->t_end_ns = kb_now_ns();
	event_base_loopexit(k->base, NULL);
}

/* ---- the DHT server side of a filler ------------------------------------ */

/* Answer one request: closer-peer requests get none, PING gets PING. */
static int
kb_serve_one(struct kb *k, struct pd_stream *s, const uint8_t *p, size_t len)
{
	int r;

	if ((r = pd_kad_msg_decode(p, len, k->msg, NULL, 0)) < 0)
		return r;
	switch (k->msg->type) {
	case PD_KAD_ADD_PROVIDER:
		return 0;
	case PD_KAD_PUT_VALUE:
		break;			/* echo, as go does */
	default:
		k->msg->has_record = false;
		k->msg->ncloser = 0;
		k->msg->nproviders = 0;
		break;
	}
	pd_buf_reset(&k->out);
	if ((r = pd_kad_msg_encode_lp(k->msg, &k->out)) < 0)
		return r;
	k->served++;
	return pd_stream_write(s, k->out.data, k->out.len) == (int)k->out.len ?
	    0 : PD_ERR_CLOSED;
}

static void
kb_serve_free(struct kb_serve *sv)
{
	sv->k->serves_open--;
	pd_buf_free(&sv->in);
	free(sv);
}

static void
kb_serve_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct kb_serve *sv = arg;
	const uint8_t *msg;
	size_t mlen;
	int n;

	if (pd_buf_append(&sv->in, data, len) < 0)
		goto reset;
	while ((n = pd_kad_msg_frame(sv->in.data, sv->in.len, 0, &msg,
	    &mlen)) > 0) {
		if (kb_serve_one(sv->k, s, msg, mlen) < 0)
			goto reset;
		pd_buf_consume(&sv->in, (size_t)n);
	}
	if (n == PD_ERR_TRUNCATED)
		return;
reset:
	kb_serve_free(sv);
	pd_stream_reset(s);
}

static void
kb_serve_eof(struct pd_stream *s, void *arg)
{
	kb_serve_free(arg);
	pd_stream_release(s);
}

static void
kb_serve_close(struct pd_stream *s, int err, void *arg)
{
	(void)s;
	(void)err;
	kb_serve_free(arg);
}

static void
kb_kad_handler(struct pd_stream *s, void *arg)
{
	struct kb *k = arg;
	struct kb_serve *sv;
	static const struct pd_stream_cbs cbs = {
		.on_data = kb_serve_data,
		.on_eof = kb_serve_eof,
		.on_close = kb_serve_close,
	};

	if ((sv = calloc(1, sizeof(*sv))) == NULL) {
		pd_stream_reset(s);
		return;
	}
	sv->k = k;
	pd_buf_init(&sv->in);
	k->serves_open++;
	pd_stream_set_cbs(s, &cbs, sv);
}

/* ---- fill: identities aimed at the target's buckets --------------------- */

/*
 * Generate k->n keys whose Kademlia keys share exactly b leading bits with
 * the target's, bucket_k of them for each b = 0, 1, ...  Returns 0 or -1.
 */
static int
kb_fill_keys(struct kb *k)
{
	struct pd_kad_key tkey, pkey;
	unsigned long count[KB_MAX_BUCKETS] = { 0 };
	unsigned nb = (unsigned)((k->n + k->bucket_k - 1) / k->bucket_k);
	unsigned long have = 0;

	if (k->random_ids) {
		for (; have < k->n; have++)
			if (pd_privkey_generate(&k->peers[have].key) < 0)
				return -1;
		return 0;
	}
	if (nb > KB_MAX_BUCKETS) {
		fprintf(stderr, "kad-bench: %lu identities at %u per bucket "
		    "need %u buckets (at most %d)\n", k->n, k->bucket_k, nb,
		    KB_MAX_BUCKETS);
		return -1;
	}
	pd_kad_rt_key_of_peer(&k->target_id, &tkey);
	for (unsigned long tries = 0; have < k->n; tries++) {
		struct pd_privkey key;
		struct pd_pubkey pub;
		struct pd_peerid id;
		unsigned cpl;

		if (tries >= KB_MAX_KEYGEN) {
			fprintf(stderr, "kad-bench: no keys for every bucket "
			    "after %lu tries\n", tries);
			return -1;
		}
		if (pd_privkey_generate(&key) < 0 ||
		    pd_privkey_public(&key, &pub) < 0 ||
		    pd_peerid_from_pubkey(&pub, &id) < 0)
			return -1;
		pd_kad_rt_key_of_peer(&id, &pkey);
		cpl = pd_kad_rt_key_cpl(&tkey, &pkey);
		/* The last bucket takes the remainder only. */
		if (cpl >= nb || count[cpl] >= k->bucket_k ||
		    (cpl == nb - 1 && count[cpl] >= k->n - (unsigned long)(nb -
		    1) * k->bucket_k)) {
			pd_privkey_clear(&key);
			continue;
		}
		count[cpl]++;
		k->peers[have++].key = key;
	}
	return 0;
}

static void kb_fill_kick(struct kb *k);

static void
kb_fill_report(struct kb *k)
{
	struct timeval tv;

	if (k->filled_reported || k->fill_ok + k->fill_failed < k->npeers)
		return;
	k->filled_reported = 1;
	k->t_end_ns = kb_now_ns();
	printf("filled ok=%lu failed=%lu wall_s=%.3f\n", k->fill_ok,
	    k->fill_failed, (double)(k->t_end_ns - k->t_start_ns) / 1e9);
	fflush(stdout);
	if (k->hold_s > 0) {
		tv.tv_sec = (time_t)k->hold_s;
		tv.tv_usec = (suseconds_t)((k->hold_s - (double)tv.tv_sec) *
		    1e6);
		evtimer_add(k->hold_ev, &tv);
	}
}

static void
kb_fill_done(struct kb_peer *p, int ok)
{
	struct kb *k = p->k;

	if (p->dial_done)
		return;
	p->dial_done = 1;
	if (ok)
		k->fill_ok++;
	else
		k->fill_failed++;
	k->dials_active--;
	kb_fill_kick(k);
	kb_fill_report(k);
}

/* ---- connections (both modes) -------------------------------------------- */

static void kb_find_conn_ready(struct kb_peer *p);

static void
kb_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	struct kb_peer *p = arg;

	(void)c;
	(void)id;
	if (p->identified)
		return;
	p->identified = 1;
	if (p->k->mode == KB_FILL)
		kb_fill_done(p, 1);
}

static void
kb_identify_failed(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct kb_peer *p = arg;

	(void)c;
	kb_note_error(p->k, pd_strerror(err), why);
	if (p->k->mode == KB_FILL)
		kb_fill_done(p, 0);
}

static void
kb_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct kb_peer *p = arg;
	struct kb *k = p->k;
	int r;

	p->dial = NULL;
	if (result < 0) {
		kb_note_error(k, "dial", why);
		if (k->mode == KB_FILL)
			kb_fill_done(p, 0);
		else
			kb_stop(k);
		return;
	}
	p->conn = c;
	if (k->mode == KB_FILL) {
		if ((r = pd_idsvc_identify(p->idsvc, c)) < 0) {
			kb_note_error(k, "identify", pd_strerror(r));
			kb_fill_done(p, 0);
		}
		return;
	}
	kb_find_conn_ready(p);
}

static void
kb_conn_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct kb_peer *p = arg;
	struct kb *k = p->k;

	(void)err;
	if (c != p->conn || k->stopping)
		return;
	p->conn = NULL;
	k->conn_lost++;
	kb_note_error(k, "connection closed", why);
	if (k->mode == KB_FILL)
		kb_fill_done(p, 0);
}

static int
kb_peer_start(struct kb_peer *p)
{
	struct kb *k = p->k;
	struct pd_net_config ncfg = { .upgrade_timeout_ms = KB_DIAL_TIMEOUT_MS };
	struct pd_net_cbs cbs = { .on_conn_down = kb_conn_down };
	struct pd_idsvc_cbs icbs = {
		.on_identified = kb_identified,
		.on_failed = kb_identify_failed,
	};
	struct pd_multiaddr lma;
	char why[PD_NET_WHY_MAX];
	int err;

	if (k->mode == KB_FIND && pd_privkey_generate(&p->key) < 0)
		return PD_ERR_NOMEM;
	err = PD_ERR_NOMEM;
	if ((p->net = pd_net_new(k->base, &p->key, &ncfg, &cbs, p)) == NULL ||
	    (p->idsvc = pd_idsvc_new(p->net, KB_AGENT, &icbs, p)) == NULL ||
	    (err = pd_ping_register(p->net)) < 0)
		return err;
	if (k->mode == KB_FILL) {
		/* A DHT server with an address the target can hand out. */
		if ((err = pd_net_set_handler(p->net, k->proto, kb_kad_handler,
		    k)) < 0 ||
		    (err = pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0", &lma, why,
		    sizeof(why))) < 0 ||
		    (err = pd_net_listen(p->net, &lma, NULL, why,
		    sizeof(why))) < 0)
			return err;
	}
	if ((p->dial = pd_net_dial(p->net, &k->target, NULL, kb_dial_cb, p,
	    &err)) == NULL)
		return err;
	return 0;
}

static void
kb_fill_kick(struct kb *k)
{
	while (!k->stopping && k->next_dial < k->npeers &&
	    k->dials_active < k->conc) {
		struct kb_peer *p = &k->peers[k->next_dial++];
		int r;

		k->dials_active++;
		if ((r = kb_peer_start(p)) < 0) {
			kb_note_error(k, "start", pd_strerror(r));
			kb_fill_done(p, 0);
		}
	}
}

/* ---- find: FIND_NODE requests --------------------------------------------- */

static void kb_lane_next(struct kb_lane *ln);

static void
kb_lane_drop_stream(struct kb_lane *ln, int reset)
{
	if (ln->s == NULL)
		return;
	if (reset)
		pd_stream_reset(ln->s);
	else
		pd_stream_release(ln->s);
	ln->s = NULL;
}

static void
kb_maybe_finish(struct kb *k)
{
	if (!k->running)
		return;
	for (unsigned long i = 0; i < k->npeers; i++)
		for (unsigned long j = 0; j < k->depth; j++)
			if (k->peers[i].lanes[j].busy ||
			    k->peers[i].lanes[j].opening)
				return;
	if (k->stopping || k->started >= k->n)
		kb_stop(k);
}

/* One request ended: count it, go on with the next one. */
static void
kb_lane_result(struct kb_lane *ln, int ok, const char *why)
{
	struct kb *k = ln->p->k;
	uint64_t now = kb_now_ns();

	if (!ln->busy)
		return;
	ln->busy = 0;
	evtimer_del(ln->timer);
	pd_buf_reset(&ln->in);
	if (ok) {
		k->ok++;
		if (k->nsamples < KB_MAX_SAMPLES)
			k->samples[k->nsamples++] = now - ln->sent_ns;
	} else {
		k->failed++;
		kb_note_error(k, "request", why);
		kb_lane_drop_stream(ln, 1);
	}
	if (!k->reuse)
		kb_lane_drop_stream(ln, 0);
	kb_lane_next(ln);
}

static int
kb_lane_send(struct kb_lane *ln)
{
	struct kb *k = ln->p->k;
	uint8_t key[KB_KEY_LEN];

	randombytes_buf(key, sizeof(key));
	pd_kad_msg_init(k->msg, PD_KAD_FIND_NODE);
	pd_buf_reset(&k->out);
	if (pd_kad_msg_set_key(k->msg, key, sizeof(key)) < 0 ||
	    pd_kad_msg_encode_lp(k->msg, &k->out) < 0)
		return PD_ERR_NOMEM;
	ln->sent_ns = kb_now_ns();
	if (pd_stream_write(ln->s, k->out.data, k->out.len) !=
	    (int)k->out.len)
		return PD_ERR_CLOSED;
	if (!k->reuse)
		return pd_stream_close_write(ln->s);
	return 0;
}

static void
kb_lane_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct kb_lane *ln = arg;
	struct kb *k = ln->p->k;
	const uint8_t *msg;
	size_t mlen;
	int n;
	char why[128];

	(void)s;
	if (!ln->busy) {
		kb_lane_result(ln, 0, "data with no request in flight");
		return;
	}
	if (pd_buf_append(&ln->in, data, len) < 0) {
		kb_lane_result(ln, 0, "out of memory");
		return;
	}
	n = pd_kad_msg_frame(ln->in.data, ln->in.len, 0, &msg, &mlen);
	if (n == PD_ERR_TRUNCATED)
		return;
	if (n < 0) {
		kb_lane_result(ln, 0, pd_strerror(n));
		return;
	}
	if ((size_t)n != ln->in.len) {
		kb_lane_result(ln, 0, "bytes after the answer");
		return;
	}
	if (pd_kad_msg_decode(msg, mlen, k->msg, why, sizeof(why)) < 0) {
		kb_lane_result(ln, 0, why);
		return;
	}
	if (k->msg->type != PD_KAD_FIND_NODE) {
		kb_lane_result(ln, 0, "answer is not a FIND_NODE");
		return;
	}
	if (k->msg->ncloser == 0) {
		k->no_closer++;
		kb_lane_result(ln, 0, "answer without closer peers");
		return;
	}
	k->closer_total += k->msg->ncloser;
	kb_lane_result(ln, 1, "");
}

static void
kb_lane_eof(struct pd_stream *s, void *arg)
{
	struct kb_lane *ln = arg;

	(void)s;
	if (ln->busy) {
		kb_lane_result(ln, 0, "stream ended before the answer");
		return;
	}
	/* reuse: the remote ended the stream between requests. */
	kb_lane_drop_stream(ln, 0);
}

static void
kb_lane_close(struct pd_stream *s, int err, void *arg)
{
	struct kb_lane *ln = arg;
	char why[96];

	(void)s;
	ln->s = NULL;
	snprintf(why, sizeof(why), "stream reset: %s", pd_strerror(err));
	if (ln->busy)
		kb_lane_result(ln, 0, why);
}

static void
kb_lane_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct kb_lane *ln = arg;
	struct kb *k = ln->p->k;
	static const struct pd_stream_cbs cbs = {
		.on_data = kb_lane_data,
		.on_eof = kb_lane_eof,
		.on_close = kb_lane_close,
	};
	int r;

	ln->opening = 0;
	if (result < 0) {
		kb_lane_result(ln, 0, pd_strerror(result));
		return;
	}
	if (!ln->busy) {		/* timed out meanwhile */
		pd_stream_reset(s);
		kb_maybe_finish(k);
		return;
	}
	ln->s = s;
	k->streams++;
	pd_stream_set_cbs(s, &cbs, ln);
	if ((r = kb_lane_send(ln)) < 0)
		kb_lane_result(ln, 0, pd_strerror(r));
}

static void
kb_lane_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	kb_lane_result(arg, 0, "no answer in time");
}

/* Start the lane's next request, or let the run end. */
static void
kb_lane_next(struct kb_lane *ln)
{
	struct kb *k = ln->p->k;
	struct timeval tv = { KB_REQ_TIMEOUT_MS / 1000,
	    (KB_REQ_TIMEOUT_MS % 1000) * 1000 };
	int r;

	if (k->seconds > 0 && !k->stopping &&
	    (double)(kb_now_ns() - k->t_start_ns) / 1e9 >= k->seconds)
		k->stopping = 1;
	if (k->stopping || k->started >= k->n || ln->p->conn == NULL) {
		kb_lane_drop_stream(ln, 0);
		kb_maybe_finish(k);
		return;
	}
	k->started++;
	ln->busy = 1;
	evtimer_add(ln->timer, &tv);
	if (ln->s != NULL) {
		if ((r = kb_lane_send(ln)) < 0)
			kb_lane_result(ln, 0, pd_strerror(r));
		return;
	}
	ln->opening = 1;
	if ((r = pd_conn_open_stream(ln->p->conn, k->proto, kb_lane_open_cb,
	    ln)) < 0) {
		ln->opening = 0;
		kb_lane_result(ln, 0, pd_strerror(r));
	}
}

static void
kb_find_conn_ready(struct kb_peer *p)
{
	struct kb *k = p->k;

	k->conns_up++;
	if (k->conns_up < k->npeers)
		return;
	/* Every connection is up: start the clock and every lane. */
	k->running = 1;
	k->t_start_ns = kb_now_ns();
	for (unsigned long i = 0; i < k->npeers; i++)
		for (unsigned long j = 0; j < k->depth; j++)
			kb_lane_next(&k->peers[i].lanes[j]);
}

/* ---- whole run ------------------------------------------------------------ */

static void
kb_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kb *k = arg;

	(void)fd;
	(void)what;
	k->timed_out = 1;
	kb_stop(k);
}

static void
kb_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	kb_stop(arg);
}

static int
kb_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
kb_pct_us(const uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	return (double)v[(size_t)(p * (double)(n - 1) + 0.5)] / 1e3;
}

static void
kb_summary(struct kb *k)
{
	double wall;

	if (k->t_end_ns == 0)
		k->t_end_ns = kb_now_ns();
	wall = k->t_start_ns ? (double)(k->t_end_ns - k->t_start_ns) / 1e9 : 0;
	if (k->mode == KB_FILL) {
		printf("result mode=fill identities=%lu per_bucket=%u%s ok=%lu "
		    "failed=%lu lost=%lu served=%lu timed_out=%d", k->npeers,
		    k->bucket_k, k->random_ids ? " random=1" : "", k->fill_ok, k->fill_failed, k->conn_lost,
		    k->served, k->timed_out);
	} else {
		qsort(k->samples, k->nsamples, sizeof(k->samples[0]),
		    kb_cmp_u64);
		printf("result mode=%s connections=%lu depth=%lu requests=%lu "
		    "ok=%lu failed=%lu no_closer=%lu streams=%lu "
		    "closer_avg=%.1f wall_s=%.3f per_s=%.1f rtt_us_p50=%.1f "
		    "rtt_us_p99=%.1f timed_out=%d",
		    k->reuse ? "find-reuse" : "find-stream", k->npeers,
		    k->depth, k->started, k->ok, k->failed, k->no_closer,
		    k->streams, k->ok ? (double)k->closer_total /
		    (double)k->ok : 0, wall, wall > 0 ? (double)k->ok / wall :
		    0, kb_pct_us(k->samples, k->nsamples, 0.5),
		    kb_pct_us(k->samples, k->nsamples, 0.99), k->timed_out);
	}
	if (k->first_error[0] != '\0')
		printf(" first_error=\"%s\"", k->first_error);
	printf("\n");
	fflush(stdout);
}

static void
kb_usage(FILE *f)
{
	fprintf(f,
"usage: kad-bench [options] fill|find TARGET\n"
"  TARGET  /ip4/127.0.0.1/tcp/P/p2p/ID (the peer ID is needed)\n"
"  -n N          fill: identities (default 200); find: requests (default 10000)\n"
"  -k K          fill: identities per bucket (default 20, the bucket size)\n"
"  -R            fill: random identities (no bucket aiming)\n"
"  -c C          fill: dials at once (default 16); find: connections (default 4)\n"
"  -d D          find: requests in flight per connection (default 1)\n"
"  -r            find: reuse one stream per lane (default: one per request)\n"
"  -s SECONDS    find: stop after SECONDS instead of after N requests\n"
"  -H SECONDS    fill: release after SECONDS (default: until SIGTERM)\n"
"  -p PROTO      DHT protocol (default %s)\n"
"  -t SECONDS    give up after SECONDS in all (default 120)\n"
"  -v            report each failure on stderr\n", PD_KAD_PROTO);
}

static int
kb_num(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}

static int
kb_setup(struct kb *k)
{
	struct timeval tv;

	if ((k->base = event_base_new()) == NULL ||
	    (k->msg = pd_kad_msg_new()) == NULL ||
	    (k->peers = calloc(k->npeers, sizeof(k->peers[0]))) == NULL ||
	    (k->deadline_ev = evtimer_new(k->base, kb_deadline_cb, k)) == NULL ||
	    (k->hold_ev = evtimer_new(k->base, kb_hold_cb, k)) == NULL ||
	    (k->sigterm_ev = evsignal_new(k->base, SIGTERM, kb_hold_cb,
	    k)) == NULL ||
	    (k->sigint_ev = evsignal_new(k->base, SIGINT, kb_hold_cb,
	    k)) == NULL ||
	    (k->mode == KB_FIND && (k->samples = calloc(KB_MAX_SAMPLES,
	    sizeof(k->samples[0]))) == NULL))
		return -1;
	pd_buf_init(&k->out);
	for (unsigned long i = 0; i < k->npeers; i++) {
		k->peers[i].k = k;
		for (unsigned long j = 0; j < KB_MAX_DEPTH; j++) {
			struct kb_lane *ln = &k->peers[i].lanes[j];

			ln->p = &k->peers[i];
			pd_buf_init(&ln->in);
			if (j < k->depth && (ln->timer = evtimer_new(k->base,
			    kb_lane_timeout_cb, ln)) == NULL)
				return -1;
		}
	}
	evsignal_add(k->sigterm_ev, NULL);
	evsignal_add(k->sigint_ev, NULL);
	tv.tv_sec = (time_t)k->timeout_s;
	tv.tv_usec = (suseconds_t)((k->timeout_s - (double)tv.tv_sec) * 1e6);
	evtimer_add(k->deadline_ev, &tv);
	return 0;
}

static void
kb_cleanup(struct kb *k)
{
	k->stopping = 1;
	for (unsigned long i = 0; k->peers != NULL && i < k->npeers; i++) {
		struct kb_peer *p = &k->peers[i];

		for (unsigned long j = 0; j < KB_MAX_DEPTH; j++) {
			kb_lane_drop_stream(&p->lanes[j], 1);
			if (p->lanes[j].timer != NULL)
				event_free(p->lanes[j].timer);
			pd_buf_free(&p->lanes[j].in);
		}
		if (p->dial != NULL)
			pd_net_dial_cancel(p->dial);
		if (p->conn != NULL)
			pd_conn_close(p->conn);
	}
	if (k->base != NULL)
		(void)event_base_loop(k->base, EVLOOP_NONBLOCK);
	for (unsigned long i = 0; k->peers != NULL && i < k->npeers; i++) {
		pd_idsvc_free(k->peers[i].idsvc);
		pd_net_free(k->peers[i].net);
		pd_privkey_clear(&k->peers[i].key);
	}
	free(k->peers);
	free(k->samples);
	pd_kad_msg_free(k->msg);
	pd_buf_free(&k->out);
	if (k->deadline_ev != NULL)
		event_free(k->deadline_ev);
	if (k->hold_ev != NULL)
		event_free(k->hold_ev);
	if (k->sigterm_ev != NULL)
		event_free(k->sigterm_ev);
	if (k->sigint_ev != NULL)
		event_free(k->sigint_ev);
	if (k->base != NULL)
		event_base_free(k->base);
}

int
main(int argc, char **argv)
{
	static struct kb k;
	char why[PD_NET_WHY_MAX];
	const uint8_t *mh;
	size_t mhlen;
	double v;
	unsigned long nset = 0, cset = 0;
	int opt, status = 1;

	k.depth = 1;
	k.bucket_k = PD_KAD_RT_DEFAULT_K;
	k.timeout_s = 120;
	k.proto = PD_KAD_PROTO;
	while ((opt = getopt(argc, argv, "n:k:Rc:d:rs:H:p:t:vh")) != -1) {
		switch (opt) {
		case 'n':
			if (kb_num(optarg, 1, KB_MAX_REQUESTS, &v) < 0)
				goto usage;
			nset = (unsigned long)v;
			break;
		case 'k':
			if (kb_num(optarg, 1, PD_KAD_RT_MAX_K, &v) < 0)
				goto usage;
			k.bucket_k = (unsigned)v;
			break;
		case 'R':
			k.random_ids = 1;
			break;
		case 'c':
			if (kb_num(optarg, 1, KB_MAX_CONNS, &v) < 0)
				goto usage;
			cset = (unsigned long)v;
			break;
		case 'd':
			if (kb_num(optarg, 1, KB_MAX_DEPTH, &v) < 0)
				goto usage;
			k.depth = (unsigned long)v;
			break;
		case 'r':
			k.reuse = 1;
			break;
		case 's':
			if (kb_num(optarg, 0.01, 3600, &k.seconds) < 0)
				goto usage;
			break;
		case 'H':
			if (kb_num(optarg, 0.01, 86400, &k.hold_s) < 0)
				goto usage;
			break;
		case 'p':
			k.proto = optarg;
			break;
		case 't':
			if (kb_num(optarg, 0.1, 86400, &k.timeout_s) < 0)
				goto usage;
			break;
		case 'v':
			k.verbose = 1;
			break;
		case 'h':
			kb_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if (strcmp(argv[optind], "fill") == 0)
		k.mode = KB_FILL;
	else if (strcmp(argv[optind], "find") == 0)
		k.mode = KB_FIND;
	else
		goto usage;
	if (pd_multiaddr_parse(argv[optind + 1], &k.target, why,
	    sizeof(why)) < 0) {
		fprintf(stderr, "kad-bench: bad target: %s\n", why);
		return 2;
	}
	if (pd_multiaddr_peer_id(&k.target, &mh, &mhlen) < 0 ||
	    pd_peerid_from_bytes(mh, mhlen, &k.target_id) < 0) {
		fprintf(stderr, "kad-bench: the target needs a /p2p/ID\n");
		return 2;
	}
	if (k.mode == KB_FILL) {
		k.n = nset > 0 ? nset : 200;
		if (k.n > KB_MAX_FILL) {
			fprintf(stderr, "kad-bench: at most %d identities\n",
			    KB_MAX_FILL);
			return 2;
		}
		k.npeers = k.n;
		k.conc = cset > 0 ? cset : 16;
	} else {
		k.n = k.seconds > 0 ? KB_MAX_REQUESTS : nset > 0 ? nset : 10000;
		k.npeers = cset > 0 ? cset : 4;
	}

	if (sodium_init() < 0) {
		fprintf(stderr, "kad-bench: libsodium cannot initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pd_log_set_level(k.verbose ? PD_LOG_LEVEL_INFO : PD_LOG_LEVEL_WARN);
	if (kb_setup(&k) < 0) {
		fprintf(stderr, "kad-bench: out of memory\n");
		goto out;
	}
	if (k.mode == KB_FILL) {
		if (kb_fill_keys(&k) < 0)
			goto out;
		k.t_start_ns = kb_now_ns();
		kb_fill_kick(&k);
	} else {
		for (unsigned long i = 0; i < k.npeers; i++) {
			int r = kb_peer_start(&k.peers[i]);

			if (r < 0) {
				fprintf(stderr, "kad-bench: start: %s\n",
				    pd_strerror(r));
				goto out;
			}
		}
	}
	event_base_dispatch(k.base);
	kb_summary(&k);
	if (k.mode == KB_FILL)
		status = k.filled_reported && k.fill_failed == 0 ? 0 : 1;
	else
		status = !k.timed_out && k.failed == 0 && k.ok > 0 ? 0 : 1;
out:
	kb_cleanup(&k);
	return status;
usage:
	kb_usage(stderr);
	return 2;
}
