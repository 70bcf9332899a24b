/*
 * dialer.c - load driver for the transport benchmarks (tests/bench/run.sh).
 *
 * Dials one target multiaddr with libpeerdisc's own network stack
 * (pd_net_dial: TCP, multistream /noise, Noise XX, multistream
 * /yamux/1.0.0, yamux) and prints what it did as one line of key=value
 * pairs on stdout.  It never judges timings; run.sh reads the listener's
 * CPU and memory from /proc around a dialer run.
 *
 * Modes:
 *   handshake            N full upgrades, C at a time; each connection is
 *                        closed as soon as it is up
 *   handshake+identify   the same, but a connection counts (and is closed)
 *                        only once identify ran both ways: we asked the
 *                        listener and got its answer, and the listener asked
 *                        us and closed its side after reading our answer
 *   hold                 open N connections (C at a time, identify both
 *                        ways), print "held", keep them until SIGTERM/SIGINT
 *                        or --hold seconds
 *   ping                 one connection, one /ipfs/ping/1.0.0 stream reused
 *                        for N round trips (or --seconds), one at a time
 *
 * Every connection gets its own struct pd_net and, unless --same-peer, its
 * own freshly generated Ed25519 identity, so the listener sees N distinct
 * peers, as it would in the field.  The dialer answers identify and ping
 * like peerdiscd does, so the listener does its normal per-connection
 * work.  Everything is bounded by --timeout.
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
#include "core/varint.h"
#include "net/conn.h"
#include "proto/identify.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

#define DIALER_AGENT "peerdisc-bench-dialer/1"
#define DIALER_MAX_CONNS 100000		/* -n cap */
#define DIALER_MAX_CONC 4096		/* -c cap */
#define DIALER_MAX_PINGS 10000000	/* -n cap in ping mode */
#define DIALER_MAX_SAMPLES 1000000	/* ping RTTs kept for percentiles */
#define DIALER_STEP_TIMEOUT_MS 15000	/* one connection: dial to done */
#define DIALER_UPGRADE_TIMEOUT_MS 10000

enum dialer_mode {
	DIALER_HANDSHAKE,
	DIALER_HANDSHAKE_IDENTIFY,
	DIALER_HOLD,
	DIALER_PING,
};

static const char *const dialer_mode_names[] = {
	[DIALER_HANDSHAKE] = "handshake",
	[DIALER_HANDSHAKE_IDENTIFY] = "handshake+identify",
	[DIALER_HOLD] = "hold",
	[DIALER_PING] = "ping",
};

enum slot_state {
	SLOT_IDLE,
	SLOT_DIALING,		/* TCP + upgrade */
	SLOT_IDENTIFYING,	/* waiting for both identify directions */
	SLOT_HELD,		/* hold: done, kept open */
	SLOT_PINGING,		/* ping mode: stream open or round trips */
	SLOT_DONE,		/* result counted; freed on the next turn */
};

struct dialer;

struct slot {
	struct dialer *d;
	enum slot_state state;
	struct pd_net *net;
	struct pd_idsvc *idsvc;
	struct pd_net_dial *dial;
	struct pd_conn *conn;
	struct pd_stream *ping;		/* ping mode: our reused stream */
	struct event *step_ev;		/* deadline of the current connection */
	struct event *next_ev;		/* deferred free + next dial */
	int our_identify_done;		/* the listener answered us */
	int their_identify_done;	/* the listener read our answer */
	uint8_t payload[PD_PING_SIZE];
	uint8_t echo[PD_PING_SIZE];
	size_t have;
	uint64_t sent_ns;
};

struct dialer {
	struct event_base *base;
	enum dialer_mode mode;
	struct pd_multiaddr target;
	unsigned long n;		/* connections */
	unsigned long conc;		/* connections in flight */
	unsigned long nslots;		/* hold: n (one per connection); else conc */
	unsigned long next_slot;	/* hold: next slot to launch */
	unsigned long ping_target;	/* ping: round trips wanted */
	double seconds;			/* ping: stop after this long (0: -n) */
	double hold_s;			/* hold: keep this long (0: signal) */
	double timeout_s;
	int same_peer;
	int verbose;
	struct pd_privkey shared_key;
	struct slot *slots;
	unsigned long started, ok, failed, active;
	unsigned long pings;
	uint64_t *samples;
	size_t nsamples;
	uint64_t t_start_ns, t_end_ns, t_ping_start_ns;
	int held_reported;
	int timed_out;
	int stopping;
	char first_error[PD_NET_WHY_MAX + 64];
	struct event *deadline_ev;
	struct event *hold_ev;
	struct event *sigterm_ev, *sigint_ev;
};

static uint64_t
dialer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void dialer_slot_start(struct slot *s);
static void dialer_maybe_finish(struct dialer *d);

/* Remember the first failure's reason for the summary line. */
static void
dialer_note_error(struct dialer *d, const char *what, const char *why)
{
	if (d->verbose)
		fprintf(stderr, "dialer: %s: %s\n", what, why);
	if (d->first_error[0] == '\0')
		snprintf(d->first_error, sizeof(d->first_error), "%s: %s",
		    what, why);
}

/*
 * Start closing the slot's dial or connection.  The net frees a closed
 * connection on the next loop turn (an event it cannot cancel), so the
 * net itself is freed only later, from next_ev: pd_net_free() on a net
 * with a connection still waiting for that turn would free it twice.
 */
static void
dialer_slot_close(struct slot *s)
{
	if (s->step_ev != NULL)
		evtimer_del(s->step_ev);
	if (s->dial != NULL) {
		pd_net_dial_cancel(s->dial);
		s->dial = NULL;
	}
	if (s->conn != NULL) {
		pd_conn_close(s->conn);
		s->conn = NULL;
	}
	s->ping = NULL;
}

/* Free the slot's network; dialer_slot_close() ran a loop turn ago. */
static void
dialer_slot_teardown(struct slot *s)
{
	dialer_slot_close(s);
	pd_idsvc_free(s->idsvc);
	s->idsvc = NULL;
	pd_net_free(s->net);
	s->net = NULL;
	s->state = SLOT_IDLE;
}

static void
dialer_launch(struct dialer *d, struct slot *s)
{
	d->active++;
	dialer_slot_start(s);
}

/* hold: one connection per slot; launch the next one, if any. */
static void
dialer_hold_kick(struct dialer *d)
{
	if (!d->stopping && d->next_slot < d->n)
		dialer_launch(d, &d->slots[d->next_slot++]);
}

/* Deferred: the net may be on the call stack when a result comes in. */
static void
dialer_slot_next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	struct dialer *d = s->d;

	(void)fd;
	(void)what;
	dialer_slot_teardown(s);
	d->active--;
	if (d->mode == DIALER_HOLD)
		dialer_hold_kick(d);
	else if (!d->stopping && d->mode != DIALER_PING && d->started < d->n)
		dialer_launch(d, s);
	dialer_maybe_finish(d);
}

/* Count the slot's result and schedule its teardown. */
static void
dialer_slot_finish(struct slot *s, int ok)
{
	struct timeval now = { 0, 0 };
	struct dialer *d = s->d;

	if (s->state == SLOT_DONE || s->state == SLOT_IDLE)
		return;
	s->state = SLOT_DONE;
	if (ok)
		d->ok++;
	else
		d->failed++;
	dialer_slot_close(s);
	evtimer_add(s->next_ev, &now);
}

static void
dialer_report_held(struct dialer *d)
{
	if (d->held_reported || d->started < d->n || d->ok + d->failed < d->n)
		return;
	d->held_reported = 1;
	d->t_end_ns = dialer_now_ns();
	printf("held mode=hold connections=%lu failed=%lu wall_s=%.3f\n",
	    d->ok, d->failed, (double)(d->t_end_ns - d->t_start_ns) / 1e9);
	fflush(stdout);
	if (d->hold_s > 0) {
		struct timeval tv = { (time_t)d->hold_s,
		    (suseconds_t)((d->hold_s - (double)(time_t)d->hold_s) *
		    1e6) };

		evtimer_add(d->hold_ev, &tv);
	}
}

static void
dialer_stop(struct dialer *d)
{
	d->stopping = 1;
	if (d->t_end_ns == 0)
		d->t_end_ns = dialer_now_ns();
	event_base_loopexit(d->base, NULL);
}

static void
dialer_maybe_finish(struct dialer *d)
{
	if (d->active == 0)
		dialer_stop(d);
}

/* ---- ping mode: one stream, sequential round trips ---- */

static void dialer_ping_send(struct slot *s);

static void
dialer_ping_done(struct slot *s, int ok, const char *why)
{
	struct dialer *d = s->d;

	if (s->state != SLOT_PINGING)
		return;
	if (!ok)
		dialer_note_error(d, "ping", why);
	d->t_end_ns = dialer_now_ns();
	if (s->ping != NULL) {
		pd_stream_reset(s->ping);
		s->ping = NULL;
	}
	dialer_slot_finish(s, ok);
}

static void
dialer_ping_data(struct pd_stream *st, const uint8_t *data, size_t len,
    void *arg)
{
	struct slot *s = arg;
	struct dialer *d = s->d;
	uint64_t now;

	(void)st;
	while (len > 0 && s->state == SLOT_PINGING) {
		size_t n = PD_PING_SIZE - s->have;

		if (n > len)
			n = len;
		memcpy(s->echo + s->have, data, n);
		s->have += n;
		data += n;
		len -= n;
		if (s->have < PD_PING_SIZE)
			return;
		if (memcmp(s->echo, s->payload, PD_PING_SIZE) != 0) {
			dialer_ping_done(s, 0, "echo differs from the payload");
			return;
		}
		now = dialer_now_ns();
		if (d->nsamples < DIALER_MAX_SAMPLES)
			d->samples[d->nsamples++] = now - s->sent_ns;
		d->pings++;
		if ((d->seconds > 0 && (double)(now - d->t_ping_start_ns) /
		    1e9 >= d->seconds) || d->pings >= d->ping_target) {
			dialer_ping_done(s, 1, "");
			return;
		}
		dialer_ping_send(s);
	}
}

static void
dialer_ping_eof(struct pd_stream *st, void *arg)
{
	(void)st;
	dialer_ping_done(arg, 0, "the listener closed the ping stream");
}

static void
dialer_ping_close(struct pd_stream *st, int err, void *arg)
{
	struct slot *s = arg;
	char why[96];

	(void)st;
	s->ping = NULL;
	snprintf(why, sizeof(why), "ping stream reset: %s", pd_strerror(err));
	dialer_ping_done(s, 0, why);
}

static void
dialer_ping_send(struct slot *s)
{
	randombytes_buf(s->payload, sizeof(s->payload));
	s->have = 0;
	s->sent_ns = dialer_now_ns();
	if (pd_stream_write(s->ping, s->payload, PD_PING_SIZE) != PD_PING_SIZE)
		dialer_ping_done(s, 0, "short write on the ping stream");
}

static void
dialer_ping_open_cb(int result, struct pd_stream *st, void *arg)
{
	struct slot *s = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = dialer_ping_data,
		.on_eof = dialer_ping_eof,
		.on_close = dialer_ping_close,
	};

	if (s->state != SLOT_PINGING) {
		if (st != NULL)
			pd_stream_reset(st);
		return;
	}
	if (result < 0) {
		dialer_ping_done(s, 0, pd_strerror(result));
		return;
	}
	s->ping = st;
	pd_stream_set_cbs(st, &cbs, s);
	/* No step deadline from here: --timeout bounds the whole run. */
	evtimer_del(s->step_ev);
	s->d->t_ping_start_ns = dialer_now_ns();
	dialer_ping_send(s);
}

/* ---- connection progress ---- */

static void
dialer_slot_ready(struct slot *s)
{
	struct dialer *d = s->d;
	int r;

	switch (d->mode) {
	case DIALER_HANDSHAKE:
	case DIALER_HANDSHAKE_IDENTIFY:
		dialer_slot_finish(s, 1);
		break;
	case DIALER_HOLD:
		s->state = SLOT_HELD;
		evtimer_del(s->step_ev);
		d->ok++;
		dialer_hold_kick(d);
		dialer_report_held(d);
		break;
	case DIALER_PING:
		s->state = SLOT_PINGING;
		if ((r = pd_conn_open_stream(s->conn, PD_PING_PROTO,
		    dialer_ping_open_cb, s)) < 0)
			dialer_ping_done(s, 0, pd_strerror(r));
		break;
	}
}

static void
dialer_check_identified(struct slot *s)
{
	if (s->state == SLOT_IDENTIFYING && s->our_identify_done &&
	    s->their_identify_done)
		dialer_slot_ready(s);
}

static void
dialer_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	struct slot *s = pd_conn_get_arg(c);

	(void)id;
	(void)arg;
	if (s == NULL)
		return;
	s->our_identify_done = 1;
	dialer_check_identified(s);
}

static void
dialer_identify_failed(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct slot *s = pd_conn_get_arg(c);
	char what[64];

	(void)arg;
	if (s == NULL || s->state != SLOT_IDENTIFYING)
		return;
	snprintf(what, sizeof(what), "identify (%s)", pd_strerror(err));
	dialer_note_error(s->d, what, why);
	dialer_slot_finish(s, 0);
}

/*
 * The listener's identify request: answer as pd_idsvc would, but keep
 * the stream to learn when the listener has read the answer (it closes
 * or resets its side after reading to our EOF).
 */
static void
dialer_their_identify_end(struct slot *s)
{
	if (s == NULL || s->their_identify_done)
		return;
	s->their_identify_done = 1;
	dialer_check_identified(s);
}

static void
dialer_id_eof(struct pd_stream *st, void *arg)
{
	pd_stream_release(st);
	dialer_their_identify_end(arg);
}

static void
dialer_id_close(struct pd_stream *st, int err, void *arg)
{
	(void)st;
	(void)err;
	dialer_their_identify_end(arg);
}

static void
dialer_id_handler(struct pd_stream *st, void *arg)
{
	struct slot *s = arg;
	struct pd_buf msg, framed;
	static const struct pd_stream_cbs cbs = {
		.on_eof = dialer_id_eof,
		.on_close = dialer_id_close,
	};
	int r;

	pd_buf_init(&msg);
	pd_buf_init(&framed);
	r = pd_idsvc_build(s->idsvc, pd_stream_conn(st), &msg);
	if (r == 0 && (r = pd_varint_append(&framed, msg.len)) == 0)
		r = pd_buf_append(&framed, msg.data, msg.len);
	if (r == 0 && pd_stream_write(st, framed.data, framed.len) !=
	    (int)framed.len)
		r = PD_ERR_CLOSED;
	if (r == 0)
		r = pd_stream_close_write(st);
	pd_buf_free(&msg);
	pd_buf_free(&framed);
	if (r < 0) {
		pd_stream_reset(st);
		return;
	}
	pd_stream_set_cbs(st, &cbs, s);
}

static void
dialer_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct slot *s = arg;
	struct dialer *d = s->d;
	int r;

	s->dial = NULL;
	if (result < 0) {
		dialer_note_error(d, "dial", why);
		dialer_slot_finish(s, 0);
		return;
	}
	s->conn = c;
	pd_conn_set_arg(c, s);
	if (d->mode == DIALER_HANDSHAKE) {
		dialer_slot_ready(s);
		return;
	}
	s->state = SLOT_IDENTIFYING;
	if ((r = pd_idsvc_identify(s->idsvc, c)) < 0) {
		dialer_note_error(d, "identify", pd_strerror(r));
		dialer_slot_finish(s, 0);
	}
}

static void
dialer_conn_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct slot *s = arg;
	char what[64];

	(void)c;
	if (s->state == SLOT_DONE || s->state == SLOT_IDLE || s->d->stopping)
		return;
	snprintf(what, sizeof(what), "connection closed (%s)",
	    pd_strerror(err));
	dialer_note_error(s->d, what, why);
	if (s->state == SLOT_HELD) {
		/* Counted as held already: take it back. */
		s->d->ok--;
		s->state = SLOT_IDENTIFYING;
	}
	s->conn = NULL;
	s->ping = NULL;
	dialer_slot_finish(s, 0);
}

static void
dialer_step_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "no result within %d ms (state %d, "
	    "identify ours %d theirs %d)", DIALER_STEP_TIMEOUT_MS, s->state,
	    s->our_identify_done, s->their_identify_done);
	dialer_note_error(s->d, "step", why);
	dialer_slot_finish(s, 0);
}

static void
dialer_slot_start(struct slot *s)
{
	struct dialer *d = s->d;
	struct pd_privkey key;
	struct pd_net_config ncfg = {
		.upgrade_timeout_ms = DIALER_UPGRADE_TIMEOUT_MS,
	};
	struct pd_net_cbs cbs = {
		.on_conn_down = dialer_conn_down,
	};
	struct pd_idsvc_cbs icbs = {
		.on_identified = dialer_identified,
		.on_failed = dialer_identify_failed,
	};
	struct timeval tv = { DIALER_STEP_TIMEOUT_MS / 1000,
	    (DIALER_STEP_TIMEOUT_MS % 1000) * 1000 };
	int err = 0;

	d->started++;
	s->state = SLOT_DIALING;
	s->our_identify_done = 0;
	s->their_identify_done = 0;
	s->have = 0;
	if (d->same_peer)
		key = d->shared_key;
	else if ((err = pd_privkey_generate(&key)) < 0)
		goto fail;
	err = PD_ERR_NOMEM;
	s->net = pd_net_new(d->base, &key, &ncfg, &cbs, s);
	pd_privkey_clear(&key);
	if (s->net == NULL ||
	    (s->idsvc = pd_idsvc_new(s->net, DIALER_AGENT, &icbs, s)) == NULL ||
	    (err = pd_ping_register(s->net)) < 0 ||
	    (err = pd_net_set_handler(s->net, PD_IDENTIFY_PROTO,
	    dialer_id_handler, s)) < 0)
		goto fail;
	evtimer_add(s->step_ev, &tv);
	if ((s->dial = pd_net_dial(s->net, &d->target, NULL, dialer_dial_cb, s,
	    &err)) == NULL)
		goto fail;
	return;
fail:
	dialer_note_error(d, "start", pd_strerror(err));
	dialer_slot_finish(s, 0);
}

/* ---- whole run ---- */

static void
dialer_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;

	(void)fd;
	(void)what;
	d->timed_out = 1;
	dialer_stop(d);
}

static void
dialer_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dialer_stop(arg);
}

static void
dialer_signal_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dialer_stop(arg);
}

static int
dialer_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
dialer_pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e3;
}

static void
dialer_summary(struct dialer *d)
{
	double wall;

	if (d->t_end_ns == 0)
		d->t_end_ns = dialer_now_ns();
	if (d->mode == DIALER_PING) {
		uint64_t start = d->t_ping_start_ns ? d->t_ping_start_ns :
		    d->t_start_ns;

		wall = (double)(d->t_end_ns - start) / 1e9;
		qsort(d->samples, d->nsamples, sizeof(d->samples[0]),
		    dialer_cmp_u64);
		printf("result mode=ping round_trips=%lu wall_s=%.3f "
		    "per_s=%.1f rtt_us_min=%.1f rtt_us_p50=%.1f "
		    "rtt_us_p99=%.1f rtt_us_max=%.1f ok=%lu failed=%lu "
		    "timed_out=%d", d->pings, wall, wall > 0 ?
		    (double)d->pings / wall : 0,
		    dialer_pct_us(d->samples, d->nsamples, 0),
		    dialer_pct_us(d->samples, d->nsamples, 0.5),
		    dialer_pct_us(d->samples, d->nsamples, 0.99),
		    dialer_pct_us(d->samples, d->nsamples, 1), d->ok,
		    d->failed, d->timed_out);
	} else {
		wall = (double)(d->t_end_ns - d->t_start_ns) / 1e9;
		printf("result mode=%s connections=%lu concurrency=%lu ok=%lu "
		    "failed=%lu wall_s=%.3f per_s=%.1f timed_out=%d",
		    dialer_mode_names[d->mode], d->n, d->conc, d->ok,
		    d->failed, wall, wall > 0 ? (double)d->ok / wall : 0,
		    d->timed_out);
	}
	if (d->first_error[0] != '\0')
		printf(" first_error=\"%s\"", d->first_error);
	printf("\n");
	fflush(stdout);
}

static void
dialer_usage(FILE *f)
{
	fprintf(f,
"usage: dialer [options] MODE TARGET\n"
"  MODE    handshake | handshake+identify | hold | ping\n"
"  TARGET  /ip4/A/tcp/P[/p2p/ID] (loopback benchmarks: 127.0.0.1)\n"
"  -n N          connections (handshake modes, hold) or round trips (ping);\n"
"                default 1000, hold 50, ping 10000\n"
"  -c C          connections in flight at once (default 1)\n"
"  -s SECONDS    ping: stop after SECONDS instead of after N round trips\n"
"  -H SECONDS    hold: release after SECONDS (default: until SIGTERM/SIGINT)\n"
"  -t SECONDS    give up after SECONDS in all (default 120)\n"
"  -S            same peer: one identity for every connection\n"
"  -v            report each failure on stderr\n"
"Prints one \"result ...\" line of key=value pairs (hold also prints a\n"
"\"held ...\" line once every connection is up).  Exit 0 if every\n"
"connection (or round trip) worked, 1 otherwise, 2 for a bad command line.\n");
}

static int
dialer_parse_num(const char *s, double min, double max, double *ret)
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
dialer_parse_mode(const char *s, enum dialer_mode *ret_mode)
{
	for (size_t i = 0; i < sizeof(dialer_mode_names) /
	    sizeof(dialer_mode_names[0]); i++)
		if (strcmp(s, dialer_mode_names[i]) == 0) {
			*ret_mode = (enum dialer_mode)i;
			return 0;
		}
	return -1;
}

static int
dialer_setup(struct dialer *d)
{
	struct timeval tv;

	if (pd_privkey_generate(&d->shared_key) < 0 ||
	    (d->base = event_base_new()) == NULL ||
	    (d->slots = calloc(d->nslots, sizeof(d->slots[0]))) == NULL ||
	    (d->deadline_ev = evtimer_new(d->base, dialer_deadline_cb,
	    d)) == NULL ||
	    (d->hold_ev = evtimer_new(d->base, dialer_hold_cb, d)) == NULL ||
	    (d->sigterm_ev = evsignal_new(d->base, SIGTERM, dialer_signal_cb,
	    d)) == NULL ||
	    (d->sigint_ev = evsignal_new(d->base, SIGINT, dialer_signal_cb,
	    d)) == NULL ||
	    (d->mode == DIALER_PING && (d->samples = calloc(DIALER_MAX_SAMPLES,
	    sizeof(d->samples[0]))) == NULL))
		return -1;
	for (unsigned long i = 0; i < d->nslots; i++) {
		d->slots[i].d = d;
		if ((d->slots[i].step_ev = evtimer_new(d->base,
		    dialer_step_timeout_cb, &d->slots[i])) == NULL ||
		    (d->slots[i].next_ev = evtimer_new(d->base,
		    dialer_slot_next_cb, &d->slots[i])) == NULL)
			return -1;
	}
	evsignal_add(d->sigterm_ev, NULL);
	evsignal_add(d->sigint_ev, NULL);
	tv.tv_sec = (time_t)d->timeout_s;
	tv.tv_usec = (suseconds_t)((d->timeout_s - (double)tv.tv_sec) * 1e6);
	evtimer_add(d->deadline_ev, &tv);
	return 0;
}

static void
dialer_cleanup(struct dialer *d)
{
	/* Close everything, let the net reap it, then free the nets. */
	d->stopping = 1;
	for (unsigned long i = 0; d->slots != NULL && i < d->nslots; i++)
		dialer_slot_close(&d->slots[i]);
	if (d->base != NULL)
		(void)event_base_loop(d->base, EVLOOP_NONBLOCK);
	for (unsigned long i = 0; d->slots != NULL && i < d->nslots; i++) {
		dialer_slot_teardown(&d->slots[i]);
		if (d->slots[i].step_ev != NULL)
			event_free(d->slots[i].step_ev);
		if (d->slots[i].next_ev != NULL)
			event_free(d->slots[i].next_ev);
	}
	free(d->slots);
	free(d->samples);
	if (d->deadline_ev != NULL)
		event_free(d->deadline_ev);
	if (d->hold_ev != NULL)
		event_free(d->hold_ev);
	if (d->sigterm_ev != NULL)
		event_free(d->sigterm_ev);
	if (d->sigint_ev != NULL)
		event_free(d->sigint_ev);
	if (d->base != NULL)
		event_base_free(d->base);
	pd_privkey_clear(&d->shared_key);
}

int
main(int argc, char **argv)
{
	static struct dialer d;
	char why[PD_NET_WHY_MAX];
	double v;
	unsigned long nset = 0;
	int opt, status = 1;

	d.conc = 1;
	d.timeout_s = 120;
	while ((opt = getopt(argc, argv, "n:c:s:H:t:Svh")) != -1) {
		switch (opt) {
		case 'n':
			if (dialer_parse_num(optarg, 1, DIALER_MAX_PINGS,
			    &v) < 0)
				goto usage;
			nset = (unsigned long)v;
			break;
		case 'c':
			if (dialer_parse_num(optarg, 1, DIALER_MAX_CONC, &v) < 0)
				goto usage;
			d.conc = (unsigned long)v;
			break;
		case 's':
			if (dialer_parse_num(optarg, 0.01, 3600, &d.seconds) < 0)
				goto usage;
			break;
		case 'H':
			if (dialer_parse_num(optarg, 0.01, 86400, &d.hold_s) < 0)
				goto usage;
			break;
		case 't':
			if (dialer_parse_num(optarg, 0.1, 86400,
			    &d.timeout_s) < 0)
				goto usage;
			break;
		case 'S':
			d.same_peer = 1;
			break;
		case 'v':
			d.verbose = 1;
			break;
		case 'h':
			dialer_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || dialer_parse_mode(argv[optind], &d.mode) < 0)
		goto usage;
	if (pd_multiaddr_parse(argv[optind + 1], &d.target, why,
	    sizeof(why)) < 0) {
		fprintf(stderr, "dialer: bad target: %s\n", why);
		return 2;
	}
	switch (d.mode) {
	case DIALER_PING:
		d.n = 1;
		d.conc = 1;
		d.ping_target = d.seconds > 0 ? DIALER_MAX_PINGS :
		    nset > 0 ? nset : 10000;
		break;
	case DIALER_HOLD:
		d.n = nset > 0 ? nset : 50;
		break;
	default:
		d.n = nset > 0 ? nset : 1000;
		break;
	}
	if (d.n > DIALER_MAX_CONNS) {
		fprintf(stderr, "dialer: at most %d connections\n",
		    DIALER_MAX_CONNS);
		return 2;
	}
	if (d.conc > d.n)
		d.conc = d.n;
	d.nslots = d.mode == DIALER_HOLD ? d.n : d.conc;

	if (sodium_init() < 0) {
		fprintf(stderr, "dialer: libsodium cannot initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pd_log_set_level(d.verbose ? PD_LOG_LEVEL_INFO : PD_LOG_LEVEL_WARN);
	if (dialer_setup(&d) < 0) {
		fprintf(stderr, "dialer: out of memory\n");
		goto out;
	}
	d.t_start_ns = dialer_now_ns();
	if (d.mode == DIALER_HOLD) {
		for (unsigned long i = 0; i < d.conc; i++)
			dialer_hold_kick(&d);
	} else {
		for (unsigned long i = 0; i < d.conc; i++)
			dialer_launch(&d, &d.slots[i]);
	}
	event_base_dispatch(d.base);
	dialer_summary(&d);
	if (d.mode == DIALER_PING)
		status = !d.timed_out && d.failed == 0 && d.ok == 1 ? 0 : 1;
	else if (d.mode == DIALER_HOLD)
		status = d.held_reported && d.failed == 0 ? 0 : 1;
	else
		status = !d.timed_out && d.failed == 0 && d.ok == d.n ? 0 : 1;
out:
	dialer_cleanup(&d);
	return status;
usage:
	dialer_usage(stderr);
	return 2;
}
