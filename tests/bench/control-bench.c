/*
 * control-bench.c - load driver for the control-socket benchmark
 * (tests/bench/control-run.sh).
 *
 * Talks to a running peerdiscd over its control socket and prints what it
 * did as one "result" line of key=value pairs on stdout.  It never judges
 * timings; control-run.sh reads the daemon's CPU and memory from /proc
 * around each run.
 *
 * Modes (one per run, so the script can read /proc between them):
 *   add       N peers.add calls through libpeerdisc's client
 *             (pd_client_call, one after the other), each a fresh random
 *             Ed25519 peer ID with 3 addresses /ip4/10.x.y.z/tcp/4001; the
 *             IDs are generated before the clock starts
 *   info      node.info through pd_client_call, one at a time, for -s
 *             seconds
 *   list      peers.list {connected_only: false, limit: N}, one at a time,
 *             for -s seconds (at least one call).  The replies are read
 *             from a plain socket, because pd_client_call refuses lines
 *             over PD_CLIENT_MAX_LINE; the first reply is parsed and
 *             checked in full (off the clock), the others by their head
 *   list-lib  one such peers.list through pd_client_call: whether the
 *             library can take the reply (libclient=ok or its error)
 *   pipeline  node.info with K requests in flight on one plain socket:
 *             write K request lines, read K reply lines, repeat for -s
 *             seconds (pd_client_call is synchronous, so this mode does
 *             not use it)
 *
 * add and list also ask "metrics" before and after, so the result shows
 * how many store saves (counters.store_saves) ran during the mode.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "peerdisc-client.h"

#define CB_MAX_PEERS 1000000		/* -n cap in add mode (store_max's cap) */
#define CB_MAX_LIST 100000		/* peers.list limit cap (the daemon's) */
#define CB_MAX_DEPTH 4096		/* -k cap */
#define CB_MAX_SECONDS 600		/* -s and -t cap */
#define CB_MAX_SAMPLES 4000000		/* round-trip times kept */
#define CB_MAX_REPLY (512u * 1024 * 1024)	/* bytes of one raw reply */
#define CB_CALL_TIMEOUT_MS 30000	/* one call */
#define CB_ADDRS_PER_PEER 3
#define CB_ADDR_TEXT 40			/* "/ip4/10.255.255.255/tcp/4001" */

enum cb_mode {
	CB_ADD,
	CB_INFO,
	CB_LIST,
	CB_LIST_LIB,
	CB_PIPELINE,
};

static const char *const cb_mode_names[] = {
	[CB_ADD] = "add",
	[CB_INFO] = "info",
	[CB_LIST] = "list",
	[CB_LIST_LIB] = "list-lib",
	[CB_PIPELINE] = "pipeline",
};

struct cb_opts {
	enum cb_mode mode;
	const char *path;
	unsigned long n;
	unsigned long depth;
	double seconds;
	double timeout_s;
	int verbose;
};

/* A plain-socket connection with a growing input buffer. */
struct cb_raw {
	int fd;
	char *buf;
	size_t len;		/* bytes held */
	size_t cap;
	size_t scan;		/* no newline in buf[0..scan) */
};

/* Round-trip times in ns, for percentiles. */
struct cb_samples {
	uint64_t *v;
	size_t n;
};

static uint64_t cb_deadline_ns;

static uint64_t
cb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cb_out_of_time(void)
{
	return cb_now_ns() >= cb_deadline_ns;
}

static void
cb_sample(struct cb_samples *s, uint64_t ns)
{
	if (s->v != NULL && s->n < CB_MAX_SAMPLES)
		s->v[s->n++] = ns;
}

static int
cb_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Index of the pct-th percentile of n > 0 sorted values (nearest rank). */
static size_t
cb_rank(size_t n, unsigned pct)
{
	size_t r = (n * pct + 99) / 100;

	return r > 0 ? r - 1 : 0;
}

/* " rtt_us_p50=... rtt_us_p99=... rtt_us_max=..." or "" without samples. */
static void
cb_print_rtt(struct cb_samples *s)
{
	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(s->v[0]), cb_cmp_u64);
	printf(" rtt_us_min=%.1f rtt_us_p50=%.1f rtt_us_p99=%.1f "
	    "rtt_us_max=%.1f", s->v[0] / 1e3, s->v[cb_rank(s->n, 50)] / 1e3,
	    s->v[cb_rank(s->n, 99)] / 1e3, s->v[s->n - 1] / 1e3);
}

/* ---- the library client ---- */

static struct pd_client *
cb_connect(const char *path)
{
	struct pd_client *c;
	char why[256];
	int r;

	if ((r = pd_client_connect(path, 5000, why, sizeof(why), &c)) < 0) {
		fprintf(stderr, "control-bench: %s\n", why);
		return NULL;
	}
	return c;
}

/* A printable description of a failed call into buf. */
static void
cb_call_error(int r, const struct pd_client_error *e, char *buf,
    size_t len)
{
	if (r == PD_CLIENT_RPC_ERROR)
		snprintf(buf, len, "%d %s%s%s", e->code, e->message,
		    e->reason[0] ? ": " : "", e->reason);
	else
		snprintf(buf, len, "%s", pd_client_strerror(r));
}

/* counters.store_saves from "metrics", or -1. */
static long long
cb_store_saves(struct pd_client *c)
{
	json_t *res = NULL;
	long long v = -1;

	if (pd_client_call(c, "metrics", NULL, CB_CALL_TIMEOUT_MS, &res,
	    NULL) == 0) {
		json_t *x = json_object_get(json_object_get(res, "counters"),
		    "store_saves");

		if (json_is_integer(x))
			v = json_integer_value(x);
	}
	json_decref(res);
	return v;
}

/* node.info's peers_known, or -1. */
static long long
cb_peers_known(struct pd_client *c)
{
	json_t *res = NULL, *x;
	long long v = -1;

	if (pd_client_call(c, "node.info", NULL, CB_CALL_TIMEOUT_MS, &res,
	    NULL) == 0 && json_is_integer(x = json_object_get(res,
	    "peers_known")))
		v = json_integer_value(x);
	json_decref(res);
	return v;
}

/* ---- plain socket ---- */

static int
cb_raw_connect(const char *path, struct cb_raw *raw)
{
	struct sockaddr_un sun;

	memset(raw, 0, sizeof(*raw));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "control-bench: socket path too long\n");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	raw->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (raw->fd < 0 || connect(raw->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		fprintf(stderr, "control-bench: connect %s: %s\n", path,
		    strerror(errno));
		if (raw->fd >= 0)
			close(raw->fd);
		raw->fd = -1;
		return -1;
	}
	return 0;
}

static void
cb_raw_close(struct cb_raw *raw)
{
	if (raw->fd >= 0)
		close(raw->fd);
	free(raw->buf);
	memset(raw, 0, sizeof(*raw));
	raw->fd = -1;
}

/* Write all of p; 0 or -1.  Reads nothing, so keep writes small. */
static int
cb_raw_write(struct cb_raw *raw, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(raw->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "control-bench: write: %s\n",
			    strerror(errno));
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Drop the first line (len bytes with its newline) from the buffer. */
static void
cb_raw_consume(struct cb_raw *raw, size_t len)
{
	memmove(raw->buf, raw->buf + len, raw->len - len);
	raw->len -= len;
	raw->scan = 0;
}

/*
 * The next complete line: 1 and its length without the newline in
 * *ret_len (the line is raw->buf[0..len); consume it with
 * cb_raw_consume(len + 1)), 0 when none is buffered yet.
 */
static int
cb_raw_line(struct cb_raw *raw, size_t *ret_len)
{
	char *nl = memchr(raw->buf + raw->scan, '\n', raw->len - raw->scan);

	if (nl == NULL) {
		raw->scan = raw->len;
		return 0;
	}
	*ret_len = (size_t)(nl - raw->buf);
	return 1;
}

/* Read what is there (waiting up to the deadline); 0 or -1. */
static int
cb_raw_fill(struct cb_raw *raw)
{
	struct pollfd pfd = { .fd = raw->fd, .events = POLLIN };
	ssize_t r;
	int left;

	if (raw->cap - raw->len < 65536) {
		size_t ncap = raw->cap ? raw->cap * 2 : 1024 * 1024;
		char *nb;

		if (ncap > CB_MAX_REPLY) {
			fprintf(stderr, "control-bench: reply over %u bytes\n",
			    CB_MAX_REPLY);
			return -1;
		}
		if ((nb = realloc(raw->buf, ncap)) == NULL) {
			fprintf(stderr, "control-bench: out of memory\n");
			return -1;
		}
		raw->buf = nb;
		raw->cap = ncap;
	}
	for (;;) {
		uint64_t now = cb_now_ns();

		if (now >= cb_deadline_ns) {
			fprintf(stderr, "control-bench: timed out reading\n");
			return -1;
		}
		left = (int)((cb_deadline_ns - now) / 1000000) + 1;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "control-bench: poll: %s\n",
			    strerror(errno));
			return -1;
		}
		if (r == 0)
			continue;
		r = read(raw->fd, raw->buf + raw->len, raw->cap - raw->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "control-bench: read: %s\n",
			    r == 0 ? "the daemon closed the connection" :
			    strerror(errno));
			return -1;
		}
		raw->len += (size_t)r;
		return 0;
	}
}

/* Read one whole line; its length, or -1. */
static ssize_t
cb_raw_read_line(struct cb_raw *raw)
{
	size_t len;

	while (!cb_raw_line(raw, &len))
		if (cb_raw_fill(raw) < 0)
			return -1;
	return (ssize_t)len;
}

/* A reply line is a success: its "result" key comes before any "error". */
static int
cb_line_ok(const char *line, size_t len)
{
	const char *head = "\"result\":";

	/* Compact replies put jsonrpc and id first: look at the head only. */
	if (len > 128)
		len = 128;
	return memmem(line, len, head, strlen(head)) != NULL;
}

/* ---- modes ---- */

/* Address j of peer i: /ip4/10.x.y.z/tcp/4001, distinct over i, j. */
static void
cb_addr(unsigned long i, unsigned j, char *buf, size_t len)
{
	unsigned long v = i * CB_ADDRS_PER_PEER + j + 1;

	snprintf(buf, len, "/ip4/10.%lu.%lu.%lu/tcp/4001", (v >> 16) & 0xff,
	    (v >> 8) & 0xff, v & 0xff);
}

static int
cb_mode_add(const struct cb_opts *o)
{
	char (*ids)[PD_PEERID_TEXT_MAX];
	struct cb_samples s = { 0 };
	struct pd_client *c;
	unsigned long ok = 0, failed = 0, i;
	long long saves0, saves1, known0, known1;
	char first_error[PD_CLIENT_MESSAGE_MAX + PD_CLIENT_REASON_MAX + 16] = "";
	uint64_t t0, t1, tg0;
	int timed_out = 0;

	if ((c = cb_connect(o->path)) == NULL)
		return 1;
	ids = calloc(o->n, sizeof(*ids));
	s.v = calloc(o->n, sizeof(*s.v));
	if (ids == NULL || s.v == NULL) {
		fprintf(stderr, "control-bench: out of memory\n");
		return 1;
	}
	tg0 = cb_now_ns();
	for (i = 0; i < o->n; i++) {
		struct pd_privkey key;
		struct pd_pubkey pub;
		struct pd_peerid id;

		if (pd_privkey_generate(&key) < 0 ||
		    pd_privkey_public(&key, &pub) < 0 ||
		    pd_peerid_from_pubkey(&pub, &id) < 0 ||
		    pd_peerid_format(&id, ids[i], sizeof(ids[i])) < 0) {
			fprintf(stderr, "control-bench: cannot make a peer "
			    "ID\n");
			return 1;
		}
		pd_privkey_clear(&key);
	}
	saves0 = cb_store_saves(c);
	known0 = cb_peers_known(c);
	t0 = cb_now_ns();
	for (i = 0; i < o->n; i++) {
		struct pd_client_error e;
		json_t *params, *addrs = json_array();
		char a[CB_ADDR_TEXT];
		uint64_t ts;
		int r;

		if (cb_out_of_time()) {
			timed_out = 1;
			break;
		}
		for (unsigned j = 0; j < CB_ADDRS_PER_PEER; j++) {
			cb_addr(i, j, a, sizeof(a));
			json_array_append_new(addrs, json_string(a));
		}
		params = json_pack("{s:s, s:o}", "peer", ids[i], "addrs",
		    addrs);
		if (params == NULL) {
			fprintf(stderr, "control-bench: out of memory\n");
			return 1;
		}
		ts = cb_now_ns();
		r = pd_client_call(c, "peers.add", params, CB_CALL_TIMEOUT_MS,
		    NULL, &e);
		cb_sample(&s, cb_now_ns() - ts);
		json_decref(params);
		if (r == 0) {
			ok++;
			continue;
		}
		failed++;
		if (first_error[0] == '\0')
			cb_call_error(r, &e, first_error, sizeof(first_error));
		if (o->verbose)
			fprintf(stderr, "control-bench: peers.add %s: %s\n",
			    ids[i], first_error);
		if (r < 0 && r != PD_CLIENT_ERR_TIMEOUT)
			break;		/* the connection is gone */
	}
	t1 = cb_now_ns();
	saves1 = cb_store_saves(c);
	known1 = cb_peers_known(c);
	printf("result mode=add peers=%lu ok=%lu failed=%lu wall_s=%.3f "
	    "per_s=%.1f", o->n, ok, failed, (t1 - t0) / 1e9,
	    (t1 - t0) > 0 ? ok / ((t1 - t0) / 1e9) : 0.0);
	cb_print_rtt(&s);
	printf(" keygen_s=%.3f peers_known_before=%lld peers_known_after=%lld "
	    "store_saves_during=%lld timed_out=%d", (t0 - tg0) / 1e9, known0,
	    known1, saves0 >= 0 && saves1 >= 0 ? saves1 - saves0 : -1,
	    timed_out);
	if (first_error[0] != '\0')
		printf(" first_error=\"%s\"", first_error);
	printf("\n");
	pd_client_close(c);
	free(ids);
	free(s.v);
	return failed == 0 && !timed_out ? 0 : 1;
}

static int
cb_mode_info(const struct cb_opts *o)
{
	struct cb_samples s = { 0 };
	struct pd_client *c;
	unsigned long ok = 0, failed = 0;
	char first_error[PD_CLIENT_MESSAGE_MAX + PD_CLIENT_REASON_MAX + 16] = "";
	uint64_t t0, t1, stop;

	if ((c = cb_connect(o->path)) == NULL)
		return 1;
	s.v = calloc(CB_MAX_SAMPLES, sizeof(*s.v));
	if (s.v == NULL) {
		fprintf(stderr, "control-bench: out of memory\n");
		return 1;
	}
	t0 = cb_now_ns();
	stop = t0 + (uint64_t)(o->seconds * 1e9);
	for (;;) {
		struct pd_client_error e;
		json_t *res = NULL;
		uint64_t ts = cb_now_ns();
		int r;

		if (ts >= stop || ts >= cb_deadline_ns)
			break;
		r = pd_client_call(c, "node.info", NULL, CB_CALL_TIMEOUT_MS,
		    &res, &e);
		cb_sample(&s, cb_now_ns() - ts);
		if (r == 0 && json_is_string(json_object_get(res, "peer_id"))) {
			ok++;
		} else {
			failed++;
			if (first_error[0] == '\0')
				cb_call_error(r == 0 ? PD_CLIENT_ERR_MALFORMED :
				    r, &e, first_error, sizeof(first_error));
			if (r < 0 && r != PD_CLIENT_ERR_TIMEOUT) {
				json_decref(res);
				break;
			}
		}
		json_decref(res);
	}
	t1 = cb_now_ns();
	printf("result mode=info calls=%lu ok=%lu failed=%lu wall_s=%.3f "
	    "per_s=%.1f", ok + failed, ok, failed, (t1 - t0) / 1e9,
	    ok / ((t1 - t0) / 1e9));
	cb_print_rtt(&s);
	if (first_error[0] != '\0')
		printf(" first_error=\"%s\"", first_error);
	printf("\n");
	pd_client_close(c);
	free(s.v);
	return failed == 0 && ok > 0 ? 0 : 1;
}

/* Check a peers.list reply in full: 0, or -1 with why. */
static int
cb_check_list(const char *line, size_t len, unsigned long limit,
    long long *ret_total, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, 0, &jerr), *res, *peers, *total;
	size_t want;

	if (msg == NULL) {
		snprintf(why, whylen, "reply is not JSON: %s", jerr.text);
		return -1;
	}
	res = json_object_get(msg, "result");
	peers = json_object_get(res, "peers");
	total = json_object_get(res, "total");
	if (!json_is_array(peers) || !json_is_integer(total)) {
		snprintf(why, whylen, "reply has no result.peers/total");
		json_decref(msg);
		return -1;
	}
	*ret_total = json_integer_value(total);
	want = (unsigned long long)*ret_total < limit ?
	    (size_t)*ret_total : limit;
	if (json_array_size(peers) != want) {
		snprintf(why, whylen, "%zu peers listed, %zu expected",
		    json_array_size(peers), want);
		json_decref(msg);
		return -1;
	}
	json_decref(msg);
	return 0;
}

static int
cb_mode_list(const struct cb_opts *o)
{
	struct cb_samples s = { 0 };
	struct pd_client *c;
	struct cb_raw raw;
	char req[160], why[256] = "";
	unsigned long ok = 0, failed = 0;
	long long saves0, saves1, total = -1;
	size_t bytes = 0;
	uint64_t t0, t1, stop, check_ns = 0;
	int n;

	if ((c = cb_connect(o->path)) == NULL)
		return 1;
	saves0 = cb_store_saves(c);
	if (cb_raw_connect(o->path, &raw) < 0)
		return 1;
	s.v = calloc(CB_MAX_SAMPLES, sizeof(*s.v));
	if (s.v == NULL) {
		fprintf(stderr, "control-bench: out of memory\n");
		return 1;
	}
	t0 = cb_now_ns();
	stop = t0 + (uint64_t)(o->seconds * 1e9);
	for (unsigned long id = 1;; id++) {
		uint64_t ts = cb_now_ns();
		ssize_t len;

		if ((ok + failed > 0 && ts >= stop) || ts >= cb_deadline_ns)
			break;
		n = snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":%lu,"
		    "\"method\":\"peers.list\",\"params\":{\"connected_only\":"
		    "false,\"limit\":%lu}}\n", id, o->n);
		if (cb_raw_write(&raw, req, (size_t)n) < 0 ||
		    (len = cb_raw_read_line(&raw)) < 0) {
			failed++;
			break;
		}
		cb_sample(&s, cb_now_ns() - ts);
		bytes = (size_t)len + 1;
		/* The first reply is checked in full, off the clock (and
		 * the deadline moves by as much); the rest by their head. */
		if (id == 1) {
			uint64_t tc = cb_now_ns();

			if (cb_check_list(raw.buf, (size_t)len, o->n, &total,
			    why, sizeof(why)) == 0)
				ok++;
			else
				failed++;
			check_ns = cb_now_ns() - tc;
			stop += check_ns;
		} else if (cb_line_ok(raw.buf, (size_t)len)) {
			ok++;
		} else {
			failed++;
		}
		cb_raw_consume(&raw, (size_t)len + 1);
	}
	t1 = cb_now_ns();
	cb_raw_close(&raw);
	saves1 = cb_store_saves(c);
	t1 -= check_ns;
	printf("result mode=list limit=%lu calls=%lu ok=%lu failed=%lu "
	    "wall_s=%.3f per_s=%.2f", o->n, ok + failed, ok, failed,
	    (t1 - t0) / 1e9, ok / ((t1 - t0) / 1e9));
	cb_print_rtt(&s);
	printf(" total=%lld reply_bytes=%zu store_saves_during=%lld", total,
	    bytes, saves0 >= 0 && saves1 >= 0 ? saves1 - saves0 : -1);
	if (why[0] != '\0')
		printf(" first_error=\"%s\"", why);
	printf("\n");
	pd_client_close(c);
	free(s.v);
	return failed == 0 && ok > 0 ? 0 : 1;
}

/*
 * Can the library client take a peers.list reply of this size at all?
 * One call through pd_client_call on its own connection.
 */
static int
cb_mode_list_lib(const struct cb_opts *o)
{
	struct pd_client_error e;
	struct pd_client *c;
	json_t *params, *res = NULL;
	char libclient[PD_CLIENT_MESSAGE_MAX + PD_CLIENT_REASON_MAX + 16];
	uint64_t t0, t1;
	int r;

	if ((c = cb_connect(o->path)) == NULL)
		return 1;
	params = json_pack("{s:b, s:I}", "connected_only", 0, "limit",
	    (json_int_t)o->n);
	t0 = cb_now_ns();
	r = pd_client_call(c, "peers.list", params, CB_CALL_TIMEOUT_MS, &res,
	    &e);
	t1 = cb_now_ns();
	json_decref(params);
	if (r == 0)
		snprintf(libclient, sizeof(libclient), "ok");
	else
		cb_call_error(r, &e, libclient, sizeof(libclient));
	printf("result mode=list-lib limit=%lu ok=%d listed=%zu wall_s=%.3f "
	    "libclient=\"%s\"\n", o->n, r == 0,
	    json_array_size(json_object_get(res, "peers")), (t1 - t0) / 1e9,
	    libclient);
	json_decref(res);
	pd_client_close(c);
	return 0;
}

/*
 * One batch: write K request lines and read K replies, interleaved with
 * poll() so neither side can block the other.  Returns the number of
 * good replies, or -1 on a transport failure.
 */
static long
cb_pipeline_batch(struct cb_raw *raw, const char *reqs, size_t reqlen,
    unsigned long k, int check)
{
	size_t sent = 0;
	unsigned long got = 0, good = 0;

	while (got < k) {
		struct pollfd pfd = { .fd = raw->fd, .events = POLLIN };
		size_t len;
		int r;

		while (got < k && cb_raw_line(raw, &len)) {
			if (check) {
				json_t *m = json_loadb(raw->buf, len, 0, NULL);
				json_t *id = json_object_get(m, "id");

				if (json_is_integer(id) &&
				    (unsigned long)json_integer_value(id) ==
				    got + 1 && json_object_get(m, "result"))
					good++;
				json_decref(m);
			} else if (cb_line_ok(raw->buf, len)) {
				good++;
			}
			got++;
			cb_raw_consume(raw, len + 1);
		}
		if (got == k)
			break;
		if (sent < reqlen)
			pfd.events |= POLLOUT;
		if (cb_out_of_time())
			return -1;
		r = poll(&pfd, 1, 1000);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (pfd.revents & POLLOUT) {
			ssize_t w = write(raw->fd, reqs + sent, reqlen - sent);

			if (w < 0 && errno != EINTR && errno != EAGAIN)
				return -1;
			if (w > 0)
				sent += (size_t)w;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			if (cb_raw_fill(raw) < 0)
				return -1;
	}
	return (long)good;
}

static int
cb_mode_pipeline(const struct cb_opts *o)
{
	struct cb_raw raw;
	char *reqs;
	size_t reqlen = 0, cap = o->depth * 64 + 1;
	unsigned long ok = 0, failed = 0, batches = 0;
	uint64_t t0, t1, stop;
	int broken = 0;

	if (cb_raw_connect(o->path, &raw) < 0)
		return 1;
	if ((reqs = malloc(cap)) == NULL) {
		fprintf(stderr, "control-bench: out of memory\n");
		return 1;
	}
	for (unsigned long i = 1; i <= o->depth; i++)
		reqlen += (size_t)snprintf(reqs + reqlen, cap - reqlen,
		    "{\"jsonrpc\":\"2.0\",\"id\":%lu,\"method\":\"node.info\"}\n",
		    i);
	t0 = cb_now_ns();
	stop = t0 + (uint64_t)(o->seconds * 1e9);
	while (cb_now_ns() < stop) {
		long good = cb_pipeline_batch(&raw, reqs, reqlen, o->depth,
		    batches == 0);

		if (good < 0) {
			fprintf(stderr, "control-bench: pipelined batch "
			    "failed\n");
			broken = 1;
			break;
		}
		ok += (unsigned long)good;
		failed += o->depth - (unsigned long)good;
		batches++;
	}
	t1 = cb_now_ns();
	printf("result mode=pipeline depth=%lu batches=%lu calls=%lu ok=%lu "
	    "failed=%lu wall_s=%.3f per_s=%.1f batch_us=%.1f broken=%d\n",
	    o->depth, batches, ok + failed, ok, failed, (t1 - t0) / 1e9,
	    ok / ((t1 - t0) / 1e9),
	    batches ? (t1 - t0) / 1e3 / batches : 0.0, broken);
	cb_raw_close(&raw);
	free(reqs);
	return failed == 0 && !broken && ok > 0 ? 0 : 1;
}

/* ---- command line ---- */

static void
cb_usage(FILE *f)
{
	fprintf(f,
"usage: control-bench [options] MODE SOCKET\n"
"  MODE    add | info | list | list-lib | pipeline\n"
"  SOCKET  the daemon's control socket (control.socket)\n"
"  -n N    add: peers to add (default 1000, max %d);\n"
"          list, list-lib: the limit (default 1000, max %d)\n"
"  -s S    info, list, pipeline: seconds of calls (default 3)\n"
"  -k K    pipeline: requests in flight (default 64, max %d)\n"
"  -t S    give up after S seconds in all (default 120)\n"
"  -v      report each failure on stderr\n",
	    CB_MAX_PEERS, CB_MAX_LIST, CB_MAX_DEPTH);
}

static int
cb_parse_num(const char *s, double lo, double hi, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct cb_opts o = {
		.n = 1000, .depth = 64, .seconds = 3, .timeout_s = 120,
	};
	double v;
	int c, found = 0;

	while ((c = getopt(argc, argv, "n:s:k:t:vh")) != -1) {
		switch (c) {
		case 'n':
			if (cb_parse_num(optarg, 1, CB_MAX_PEERS, &v) < 0)
				goto usage;
			o.n = (unsigned long)v;
			break;
		case 's':
			if (cb_parse_num(optarg, 0.01, CB_MAX_SECONDS, &v) < 0)
				goto usage;
			o.seconds = v;
			break;
		case 'k':
			if (cb_parse_num(optarg, 1, CB_MAX_DEPTH, &v) < 0)
				goto usage;
			o.depth = (unsigned long)v;
			break;
		case 't':
			if (cb_parse_num(optarg, 1, CB_MAX_SECONDS, &v) < 0)
				goto usage;
			o.timeout_s = v;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			cb_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	for (size_t i = 0; i < sizeof(cb_mode_names) /
	    sizeof(cb_mode_names[0]); i++)
		if (strcmp(argv[optind], cb_mode_names[i]) == 0) {
			o.mode = (enum cb_mode)i;
			found = 1;
		}
	if (!found || ((o.mode == CB_LIST || o.mode == CB_LIST_LIB) &&
	    o.n > CB_MAX_LIST))
		goto usage;
	o.path = argv[optind + 1];
	cb_deadline_ns = cb_now_ns() + (uint64_t)(o.timeout_s * 1e9);
	switch (o.mode) {
	case CB_ADD:
		return cb_mode_add(&o);
	case CB_INFO:
		return cb_mode_info(&o);
	case CB_LIST:
		return cb_mode_list(&o);
	case CB_LIST_LIB:
		return cb_mode_list_lib(&o);
	case CB_PIPELINE:
		return cb_mode_pipeline(&o);
	}
	return 1;
usage:
	cb_usage(stderr);
	return 2;
}
