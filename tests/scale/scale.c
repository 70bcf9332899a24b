/*
 * scale.c - the DHT scale harness (issue 6 "Scale", issue 10 "Scale
 * harness"): N real peerdisc nodes on loopback, spread over several
 * processes that each run N/PROCS pd_managers on one event_base.
 *
 * The parent forks the workers and drives them through phases over a
 * pair of pipes per worker (one text line per message):
 *   worker -> parent  ADDR i MULTIADDR ... READY
 *   parent -> worker  SEED i MULTIADDR ... JOIN   (every node dials the seeds)
 *   parent -> worker  STAT / REFRESH              (until tables stop growing)
 *   parent -> worker  LOOKUP                      (find_peer, bounded in flight)
 *   worker -> parent  R src dst result hops latency_us ... DONE
 *   parent -> worker  IDLE ms                     (CPU and RSS at idle)
 *   parent -> worker  QUIT
 * and prints one table.  Identities are Ed25519 keys derived from --seed,
 * so a run is repeatable (timing aside).  Exit 0 only if every lookup found
 * its peer within PD_SCALE_LOOKUP_BOUND_MS; 1 otherwise (failures listed),
 * 2 on usage errors.  The parent kills its workers by PID on every exit
 * path, signals included; workers die with the parent (PR_SET_PDEATHSIG).
 *
 * Run by tests/scale/100-nodes.sh (make check) and tests/scale/run.sh
 * (big N); see tests/scale/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "core/log.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "kad/dht.h"
#include "kad/rt.h"
#include "net/conn.h"
#include "peer/connmgr.h"
#include "peer/manager.h"

#define PD_SCALE_MAX_NODES 5000		/* -n cap */
#define PD_SCALE_MAX_PROCS 64		/* -p cap */
#define PD_SCALE_MAX_SEEDS 16		/* -s cap */
#define PD_SCALE_MAX_LOOKUPS 10000	/* --lookups cap (per node) */
#define PD_SCALE_LOOKUP_BOUND_MS 10000	/* issue 6: every lookup under 10 s */
#define PD_SCALE_INFLIGHT 16		/* lookups in flight per process */
#define PD_SCALE_JOIN_BATCH 10	/* nodes joining per tick */
#define PD_SCALE_REFRESH_BATCH 1	/* default --refresh-batch */
#define PD_SCALE_TICK_MS 20		/* pacing tick */
#define PD_SCALE_STAT_MS 500		/* convergence sampling period */
#define PD_SCALE_STABLE_MS 1500		/* no growth this long: stable */
#define PD_SCALE_MAX_ROUNDS 8		/* explicit refresh rounds */
#define PD_SCALE_LINE_MAX 65536		/* one protocol line */
#define PD_SCALE_MAX_FAIL_SHOWN 50	/* failures printed */
#define PD_SCALE_FDS_PER_NODE 8		/* listener, pipes, slack */

struct scale_opts {
	int n, procs, seeds, lookups, all_pairs, timeout_s, idle_s, inflight;
	int refresh_batch;		/* nodes starting a refresh per tick */
	uint64_t seed;
	int verbose;
};

static struct scale_opts opt = {
	.n = 100, .procs = 2, .seeds = 3, .lookups = 0, .timeout_s = 600,
	.idle_s = 5, .inflight = PD_SCALE_INFLIGHT, .seed = 1,
	.refresh_batch = PD_SCALE_REFRESH_BATCH,
};

static int scale_in_worker;	/* set in the forked workers */

static int64_t
scale_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Write all of buf (blocking).  If the pipe is gone a worker exits at
 * once; the parent exits through exit(), whose handler kills the workers.
 */
static void
scale_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (scale_in_worker)
				_exit(3);
			fprintf(stdout, "FAIL: a worker's pipe closed\n");
			exit(1);
		}
		buf += w;
		len -= (size_t)w;
	}
}

static void scale_sendf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
scale_sendf(int fd, const char *fmt, ...)
{
	char line[PD_SCALE_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		_exit(3);
	scale_write_all(fd, line, (size_t)n);
}

/* A line reader over a non-blocking fd. */
struct scale_lines {
	int fd;
	char buf[PD_SCALE_LINE_MAX];
	size_t len;
	int eof;
};

/* Read what is there; 0, or -1 on EOF/error. */
static int
scale_lines_fill(struct scale_lines *lr)
{
	for (;;) {
		ssize_t r;

		if (lr->len == sizeof(lr->buf))
			return -1;	/* a line longer than the cap */
		r = read(lr->fd, lr->buf + lr->len, sizeof(lr->buf) - lr->len);
		if (r > 0) {
			lr->len += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		lr->eof = 1;
		return -1;
	}
}

/* Pop one line (NUL-terminated, no newline) into out; 1, or 0 if none. */
static int
scale_lines_pop(struct scale_lines *lr, char *out, size_t outlen)
{
	char *nl = memchr(lr->buf, '\n', lr->len);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - lr->buf);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, lr->buf, n);
	out[n] = '\0';
	n = (size_t)(nl - lr->buf) + 1;
	memmove(lr->buf, lr->buf + n, lr->len - n);
	lr->len -= n;
	return 1;
}

/* Node i's identity: Ed25519 from BLAKE2b("peerdisc-scale" || seed || i). */
static void
scale_node_key(uint64_t seed, int i, struct pd_privkey *ret_key)
{
	uint8_t s[32];
	uint8_t in[14 + 8 + 4];

	memcpy(in, "peerdisc-scale", 14);
	for (int b = 0; b < 8; b++)
		in[14 + b] = (uint8_t)(seed >> (8 * b));
	for (int b = 0; b < 4; b++)
		in[22 + b] = (uint8_t)((uint32_t)i >> (8 * b));
	crypto_generichash(s, sizeof(s), in, sizeof(in), NULL, 0);
	(void)pd_privkey_from_seed(s, ret_key);
	sodium_memzero(s, sizeof(s));
}

/* splitmix64: the harness's repeatable RNG for lookup targets. */
static uint64_t
scale_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static long
scale_vmrss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int64_t
scale_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* ---- worker: N/PROCS managers on one event_base ------------------------ */

struct scale_node {
	int idx;
	struct pd_manager *m;
	int connect_failed;
};

struct scale_worker;

struct scale_lookup {
	struct scale_worker *w;
	int src, dst;
	int64_t start_us;
};

struct scale_worker {
	int proc;
	struct event_base *base;
	struct scale_lines cmd;
	int rep;			/* to the parent */
	struct event *cmd_ev, *tick_ev, *pump_ev, *idle_ev;
	struct pd_peerid *ids;		/* every node's ID, by index */
	struct scale_node *nodes;	/* ours: idx = proc + k * procs */
	int nnodes;
	struct pd_multiaddr seed_addrs[PD_SCALE_MAX_SEEDS];
	int nseed_addrs;
	enum { W_IDLE, W_JOIN, W_REFRESH } pacing;
	int pace_next;
	int *pairs;			/* src, dst pairs to look up */
	size_t npairs, next_pair, inflight, finished;
	int64_t idle_cpu0;
	int quit;
};

static void
worker_join_one(struct scale_worker *w, struct scale_node *nd);

static void
worker_connect_cb(int result, const struct pd_peerid *id, const char *why,
    void *arg)
{
	struct scale_node *nd = arg;

	(void)id;
	if (result < 0) {
		nd->connect_failed++;
		if (opt.verbose)
			fprintf(stderr, "scale: node %d: seed connect: %s\n",
			    nd->idx, why != NULL ? why : pd_strerror(result));
	}
}

static void
worker_join_one(struct scale_worker *w, struct scale_node *nd)
{
	for (int s = 0; s < w->nseed_addrs; s++) {
		if (s == nd->idx)
			continue;
		if (pd_manager_add_peer(nd->m, &w->ids[s], &w->seed_addrs[s], 1,
		    0, PD_SOURCE_BOOTSTRAP) < 0 ||
		    pd_manager_connect(nd->m, &w->ids[s], NULL,
		    worker_connect_cb, nd) < 0)
			nd->connect_failed++;
	}
}

static void
worker_arm_tick(struct scale_worker *w)
{
	struct timeval tv = { 0, PD_SCALE_TICK_MS * 1000 };

	evtimer_add(w->tick_ev, &tv);
}

/* Pacing: join or refresh a batch of nodes per PD_SCALE_TICK_MS. */
static void
worker_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scale_worker *w = arg;
	int end = w->pace_next + (w->pacing == W_JOIN ? PD_SCALE_JOIN_BATCH :
	    opt.refresh_batch);

	(void)fd;
	(void)what;
	if (end > w->nnodes)
		end = w->nnodes;
	for (; w->pace_next < end; w->pace_next++) {
		struct scale_node *nd = &w->nodes[w->pace_next];

		if (w->pacing == W_JOIN)
			worker_join_one(w, nd);
		else if (w->pacing == W_REFRESH)
			(void)pd_kad_dht_refresh(pd_manager_dht(nd->m), 0);
	}
	if (w->pace_next < w->nnodes) {
		worker_arm_tick(w);
		return;
	}
	scale_sendf(w->rep, w->pacing == W_JOIN ? "JOINED\n" : "REFRESHED\n");
	w->pacing = W_IDLE;
}

static void
worker_stat(struct scale_worker *w)
{
	char line[PD_SCALE_LINE_MAX];
	size_t off = 0, conns = 0;
	int fails = 0;

	for (int k = 0; k < w->nnodes; k++) {
		conns += pd_manager_conn_count(w->nodes[k].m, NULL, NULL);
		fails += w->nodes[k].connect_failed;
	}
	off += (size_t)snprintf(line + off, sizeof(line) - off, "STAT %zu %d",
	    conns, fails);
	for (int k = 0; k < w->nnodes && off < sizeof(line) - 16; k++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %zu",
		    pd_kad_rt_size(pd_kad_dht_rt(pd_manager_dht(
		    w->nodes[k].m))));
	if (off >= sizeof(line) - 2)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	scale_write_all(w->rep, line, off);
}

static void
worker_lookup_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	struct scale_lookup *lk = arg;
	struct scale_worker *w = lk->w;
	int64_t lat = scale_now_us() - lk->start_us;
	unsigned hops = 0;

	if (result == 0 && (n == 0 || !pd_peerid_equal(&peers[0]->id,
	    &w->ids[lk->dst])))
		result = PD_ERR_NOT_FOUND;	/* not the peer we asked for */
	if (result == 0)
		hops = peers[0]->hops;
	scale_sendf(w->rep, "R %d %d %d %u %" PRId64 "\n", lk->src, lk->dst,
	    result, hops, lat);
	free(lk);
	w->inflight--;
	w->finished++;
	event_active(w->pump_ev, EV_TIMEOUT, 0);	/* start the next one */
}

/* Keep opt.inflight lookups running; report DONE after the last one. */
static void
worker_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scale_worker *w = arg;

	(void)fd;
	(void)what;
	while (w->inflight < (size_t)opt.inflight && w->next_pair < w->npairs) {
		int src = w->pairs[2 * w->next_pair];
		int dst = w->pairs[2 * w->next_pair + 1];
		struct scale_node *nd = &w->nodes[src / opt.procs];
		struct scale_lookup *lk = calloc(1, sizeof(*lk));
		int r;

		w->next_pair++;
		if (lk == NULL) {
			scale_sendf(w->rep, "R %d %d %d 0 0\n", src, dst,
			    PD_ERR_NOMEM);
			w->finished++;
			continue;
		}
		lk->w = w;
		lk->src = src;
		lk->dst = dst;
		lk->start_us = scale_now_us();
		r = pd_kad_dht_find_peer(pd_manager_dht(nd->m), &w->ids[dst],
		    worker_lookup_cb, lk);
		if (r < 0) {
			scale_sendf(w->rep, "R %d %d %d 0 0\n", src, dst, r);
			free(lk);
			w->finished++;
			continue;
		}
		w->inflight++;
	}
	if (w->npairs > 0 && w->finished == w->npairs) {
		w->npairs = 0;
		scale_sendf(w->rep, "DONE\n");
	}
}

/* The (src, dst) pairs this worker looks up: all, or L random per node. */
static int
worker_plan_lookups(struct scale_worker *w)
{
	size_t per = opt.all_pairs ? (size_t)opt.n - 1 : (size_t)opt.lookups;
	size_t np = 0;
	char *used;

	if ((w->pairs = calloc((size_t)w->nnodes * per * 2,
	    sizeof(int))) == NULL || (used = calloc((size_t)opt.n, 1)) == NULL)
		return -1;
	for (int k = 0; k < w->nnodes; k++) {
		int src = w->nodes[k].idx;
		uint64_t st = opt.seed ^ ((uint64_t)src * 0x2545f4914f6cdd1dull);

		memset(used, 0, (size_t)opt.n);
		used[src] = 1;
		for (size_t t = 0; t < per; t++) {
			int dst;

			if (opt.all_pairs) {
				dst = (int)t >= src ? (int)t + 1 : (int)t;
			} else {
				do
					dst = (int)(scale_rand(&st) %
					    (uint64_t)opt.n);
				while (used[dst]);
				used[dst] = 1;
			}
			w->pairs[2 * np] = src;
			w->pairs[2 * np + 1] = dst;
			np++;
		}
	}
	free(used);
	w->npairs = np;
	w->next_pair = w->finished = w->inflight = 0;
	return 0;
}

static void
worker_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scale_worker *w = arg;

	(void)fd;
	(void)what;
	scale_sendf(w->rep, "IDLE %" PRId64 " %ld %d\n",
	    scale_cpu_us() - w->idle_cpu0, scale_vmrss_kb(), w->nnodes);
}

static void
worker_command(struct scale_worker *w, char *line)
{
	char text[PD_MULTIADDR_MAX_TEXT + 1];
	int i, ms;

	if (sscanf(line, "SEED %d %2048s", &i, text) == 2) {
		if (i >= 0 && i < PD_SCALE_MAX_SEEDS && i == w->nseed_addrs &&
		    pd_multiaddr_parse(text, &w->seed_addrs[i], NULL, 0) == 0)
			w->nseed_addrs++;
		else
			_exit(4);
	} else if (strcmp(line, "JOIN") == 0 || strcmp(line, "REFRESH") == 0) {
		w->pacing = line[0] == 'J' ? W_JOIN : W_REFRESH;
		w->pace_next = 0;
		event_active(w->tick_ev, EV_TIMEOUT, 0);
	} else if (strcmp(line, "STAT") == 0) {
		worker_stat(w);
	} else if (strcmp(line, "LOOKUP") == 0) {
		if (worker_plan_lookups(w) < 0)
			_exit(5);
		if (w->npairs == 0)
			scale_sendf(w->rep, "DONE\n");
		else
			event_active(w->pump_ev, EV_TIMEOUT, 0);
	} else if (sscanf(line, "IDLE %d", &ms) == 1) {
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		w->idle_cpu0 = scale_cpu_us();
		evtimer_add(w->idle_ev, &tv);
	} else if (strcmp(line, "QUIT") == 0) {
		w->quit = 1;
		event_base_loopbreak(w->base);
	} else {
		_exit(4);
	}
}

static void
worker_cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scale_worker *w = arg;
	char line[PD_SCALE_LINE_MAX];
	int r;

	(void)fd;
	(void)what;
	r = scale_lines_fill(&w->cmd);
	while (!w->quit && scale_lines_pop(&w->cmd, line, sizeof(line)))
		worker_command(w, line);
	if (r < 0 && !w->quit)
		_exit(3);	/* the parent is gone */
}

static int
worker_main(int proc, int cmd_fd, int rep_fd)
{
	struct scale_worker *w = calloc(1, sizeof(*w));
	struct pd_manager_config *cfg = calloc(1, sizeof(*cfg));
	char why[256], text[PD_MULTIADDR_MAX_TEXT + 1];
	int rc = 0;

	if (w == NULL || cfg == NULL)
		return 5;
	w->proc = proc;
	w->rep = rep_fd;
	w->cmd.fd = cmd_fd;
	(void)fcntl(cmd_fd, F_SETFL, fcntl(cmd_fd, F_GETFL) | O_NONBLOCK);
	pd_log_set_level(opt.verbose ? PD_LOG_LEVEL_WARN : PD_LOG_LEVEL_ERR);
	if ((w->base = event_base_new()) == NULL ||
	    (w->ids = calloc((size_t)opt.n, sizeof(*w->ids))) == NULL ||
	    (w->nodes = calloc((size_t)opt.n / (size_t)opt.procs + 1,
	    sizeof(*w->nodes))) == NULL)
		return 5;
	for (int i = 0; i < opt.n; i++) {
		struct pd_pubkey pub;

		scale_node_key(opt.seed, i, &cfg->key);
		if (pd_privkey_public(&cfg->key, &pub) < 0 ||
		    pd_peerid_from_pubkey(&pub, &w->ids[i]) < 0)
			return 5;
	}
	cfg->agent = "peerdisc-scale";
	if (pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0", &cfg->listen[0], NULL,
	    0) < 0)
		return 5;
	cfg->nlisten = 1;
	cfg->connection_timeout_ms = 10000;
	cfg->max_peers = 2 * (unsigned)opt.n + 16;	/* never the limit */
	/* Every node is on 127.0.0.1: lift the per-IP and inbound caps. */
	cfg->max_per_ip = PD_CONNMGR_MAX_INBOUND;
	cfg->max_inbound = PD_CONNMGR_MAX_INBOUND;
	cfg->inbound_rate_per_ip = PD_CONNMGR_MAX_RATE;
	cfg->store_max = 2 * (size_t)opt.n + 16;
	cfg->store_file = NULL;
	cfg->dht_enabled = 1;
	cfg->dht_server = 1;
	cfg->dht_k = PD_KAD_RT_DEFAULT_K;
	cfg->dht_refresh_ms = 0;	/* the parent asks for refreshes */
	for (int i = proc; i < opt.n; i += opt.procs) {
		struct scale_node *nd = &w->nodes[w->nnodes];
		struct pd_multiaddr la;

		scale_node_key(opt.seed, i, &cfg->key);
		nd->idx = i;
		if ((nd->m = pd_manager_new(w->base, cfg)) == NULL)
			return 5;
		w->nnodes++;
		if (pd_manager_start(nd->m, why, sizeof(why)) < 0) {
			fprintf(stderr, "scale: node %d: %s\n", i, why);
			return 5;
		}
		if (pd_net_listen_addrs(pd_manager_net(nd->m), &la, 1) != 1 ||
		    pd_multiaddr_format(&la, text, sizeof(text)) < 0)
			return 5;
		scale_sendf(rep_fd, "ADDR %d %s\n", i, text);
	}
	pd_privkey_clear(&cfg->key);
	free(cfg);
	scale_sendf(rep_fd, "READY\n");
	w->cmd_ev = event_new(w->base, cmd_fd, EV_READ | EV_PERSIST,
	    worker_cmd_cb, w);
	w->tick_ev = evtimer_new(w->base, worker_tick_cb, w);
	w->pump_ev = evtimer_new(w->base, worker_pump_cb, w);
	w->idle_ev = evtimer_new(w->base, worker_idle_cb, w);
	if (w->cmd_ev == NULL || w->tick_ev == NULL || w->pump_ev == NULL ||
	    w->idle_ev == NULL || event_add(w->cmd_ev, NULL) < 0)
		return 5;
	if (event_base_dispatch(w->base) < 0 || !w->quit)
		rc = 5;
	for (int k = 0; k < w->nnodes; k++)
		pd_manager_free(w->nodes[k].m);
	event_free(w->cmd_ev);
	event_free(w->tick_ev);
	event_free(w->pump_ev);
	event_free(w->idle_ev);
	event_base_free(w->base);
	free(w->pairs);
	free(w->nodes);
	free(w->ids);
	free(w);
	return rc;
}

/* ---- parent ------------------------------------------------------------- */

struct scale_child {
	pid_t pid;
	int cmd;			/* to the worker */
	struct scale_lines rep;		/* from the worker */
	int done;			/* phase flag */
	int64_t idle_cpu_us;
	long rss_kb;
	int nnodes;
};

static struct scale_child *children;
static volatile sig_atomic_t nchildren;

/* Kill every worker still running (async-signal-safe). */
static void
scale_kill_children(void)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i].pid > 0)
			(void)kill(children[i].pid, SIGKILL);
}

static void
scale_signal_cb(int sig)
{
	static const char msg[] = "scale: signal: killing workers\n";

	scale_kill_children();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

static void
scale_atexit(void)
{
	scale_kill_children();
	for (int i = 0; i < nchildren; i++)
		if (children[i].pid > 0)
			(void)waitpid(children[i].pid, NULL, 0);
}

static int64_t deadline_us;

static void scale_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
scale_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	fflush(stdout);
	exit(1);
}

/*
 * Read whatever the workers wrote (every worker, so none blocks on a full
 * pipe while another waits for its DHT answers), up to wait_ms.
 */
static void
scale_pump(int wait_ms)
{
	struct pollfd pfd[PD_SCALE_MAX_PROCS];
	int64_t left = (deadline_us - scale_now_us()) / 1000;

	if (left <= 0)
		scale_fail("timeout (--timeout %d s) reached", opt.timeout_s);
	if (wait_ms > left)
		wait_ms = (int)left;
	for (int i = 0; i < nchildren; i++) {
		pfd[i].fd = children[i].rep.fd;
		pfd[i].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)nchildren, wait_ms) < 0 && errno != EINTR)
		scale_fail("poll: %s", strerror(errno));
	for (int i = 0; i < nchildren; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (scale_lines_fill(&children[i].rep) < 0 &&
		    memchr(children[i].rep.buf, '\n', children[i].rep.len) ==
		    NULL) {
			int st = 0;

			(void)waitpid(children[i].pid, &st, WNOHANG);
			children[i].pid = -1;
			scale_fail("worker %d ended early (%s %d)", i,
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
}

static void
scale_broadcast(const char *line)
{
	for (int i = 0; i < nchildren; i++)
		scale_sendf(children[i].cmd, "%s\n", line);
}

/* Wait until every worker sent a line starting with word; others go to fn. */
static void
scale_wait_all(const char *word, void (*fn)(int child, const char *line,
    void *arg), void *arg)
{
	char line[PD_SCALE_LINE_MAX];
	size_t wl = strlen(word);
	int left = nchildren;

	for (int i = 0; i < nchildren; i++)
		children[i].done = 0;
	while (left > 0) {
		scale_pump(200);
		for (int i = 0; i < nchildren; i++)
			while (!children[i].done && scale_lines_pop(
			    &children[i].rep, line, sizeof(line))) {
				if (strncmp(line, word, wl) == 0 &&
				    (line[wl] == '\0' || line[wl] == ' ')) {
					children[i].done = 1;
					left--;
				}
				if (fn != NULL)
					fn(i, line, arg);
			}
	}
}

static int
scale_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int
scale_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static int64_t
scale_pct(const int64_t *v, size_t n, int pct)
{
	size_t r;

	if (n == 0)
		return 0;
	r = ((size_t)pct * n + 99) / 100;
	return v[r == 0 ? 0 : r - 1];
}

struct scale_addrs {
	char (*text)[PD_MULTIADDR_MAX_TEXT + 1];
};

static void
scale_on_addr(int child, const char *line, void *arg)
{
	struct scale_addrs *a = arg;
	int i;
	char text[PD_MULTIADDR_MAX_TEXT + 1];

	(void)child;
	if (sscanf(line, "ADDR %d %2048s", &i, text) == 2 && i >= 0 &&
	    i < opt.n)
		snprintf(a->text[i], sizeof(a->text[i]), "%s", text);
}

struct scale_stat {
	size_t *sizes;		/* by node index */
	size_t conns;
	int connect_failed;
	size_t total;
};

static void
scale_on_stat(int child, const char *line, void *arg)
{
	struct scale_stat *st = arg;
	const char *p = line + 4;
	char *end;
	size_t conns;
	long fails;

	if (strncmp(line, "STAT ", 5) != 0)
		return;
	conns = strtoul(p, &end, 10);
	fails = strtol(end, &end, 10);
	st->conns += conns;
	st->connect_failed += (int)fails;
	for (int i = child; i < opt.n; i += opt.procs) {
		size_t v = strtoul(end, &end, 10);

		st->sizes[i] = v;
		st->total += v;
	}
}

static void
scale_sample(struct scale_stat *st)
{
	st->conns = 0;
	st->connect_failed = 0;
	st->total = 0;
	scale_broadcast("STAT");
	scale_wait_all("STAT", scale_on_stat, st);
}

struct scale_results {
	int64_t *lat_us, *hops;
	size_t n, ok;
	size_t nfail;
	char **fail;		/* PD_SCALE_MAX_FAIL_SHOWN lines */
	int64_t slow;		/* lookups over the bound */
};

static void
scale_on_result(int child, const char *line, void *arg)
{
	struct scale_results *res = arg;
	int src, dst, r;
	unsigned hops;
	int64_t lat;

	(void)child;
	if (sscanf(line, "R %d %d %d %u %" SCNd64, &src, &dst, &r, &hops,
	    &lat) != 5)
		return;
	res->lat_us[res->n] = lat;
	if (r == 0 && lat <= (int64_t)PD_SCALE_LOOKUP_BOUND_MS * 1000) {
		res->hops[res->ok++] = hops;
	} else {
		if (r == 0)
			res->slow++;
		if (res->nfail < PD_SCALE_MAX_FAIL_SHOWN &&
		    (res->fail[res->nfail] = malloc(160)) != NULL)
			snprintf(res->fail[res->nfail], 160,
			    "node %d -> node %d: %s after %.1f ms", src, dst,
			    r == 0 ? "found too late" : pd_strerror(r),
			    (double)lat / 1000.0);
		res->nfail++;
	}
	res->n++;
}

static void
scale_usage(FILE *f)
{
	fprintf(f,
	    "usage: scale [-n N] [-p PROCS] [-s SEEDS] [--lookups L | --all-pairs]\n"
	    "             [--timeout S] [--seed X] [--idle S] [--inflight C]\n"
	    "             [--refresh-batch B] [-v]\n"
	    "Runs N peerdisc DHT nodes on 127.0.0.1 in PROCS processes, joins\n"
	    "them through the first SEEDS nodes, refreshes until routing tables\n"
	    "stop growing, then each node looks up L random others (default\n"
	    "ceil(1000/N), at least 1) or every other node, and prints a table.\n"
	    "Refresh rounds start B nodes (default %d) per worker every %d ms.\n"
	    "Exit 0 if every lookup found its peer in under %d ms.\n",
	    PD_SCALE_REFRESH_BATCH, PD_SCALE_TICK_MS, PD_SCALE_LOOKUP_BOUND_MS);
}

static int
scale_parse_int(const char *s, int min, int max, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*ret = (int)v;
	return 0;
}

static void
scale_parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seeds", required_argument, NULL, 's' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "all-pairs", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'x' },
		{ "idle", required_argument, NULL, 'i' },
		{ "inflight", required_argument, NULL, 'c' },
		{ "refresh-batch", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "n:p:s:l:at:x:i:c:r:vh", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			bad |= scale_parse_int(optarg, 2, PD_SCALE_MAX_NODES,
			    &opt.n);
			break;
		case 'p':
			bad |= scale_parse_int(optarg, 1, PD_SCALE_MAX_PROCS,
			    &opt.procs);
			break;
		case 's':
			bad |= scale_parse_int(optarg, 1, PD_SCALE_MAX_SEEDS,
			    &opt.seeds);
			break;
		case 'l':
			bad |= scale_parse_int(optarg, 1, PD_SCALE_MAX_LOOKUPS,
			    &opt.lookups);
			break;
		case 'a':
			opt.all_pairs = 1;
			break;
		case 't':
			bad |= scale_parse_int(optarg, 1, 86400,
			    &opt.timeout_s);
			break;
		case 'x':
			errno = 0;
			opt.seed = strtoull(optarg, &end, 0);
			bad |= errno != 0 || end == optarg || *end != '\0' ?
			    -1 : 0;
			break;
		case 'i':
			bad |= scale_parse_int(optarg, 1, 3600, &opt.idle_s);
			break;
		case 'c':
			bad |= scale_parse_int(optarg, 1, PD_KAD_DHT_MAX_QUERIES,
			    &opt.inflight);
			break;
		case 'r':
			bad |= scale_parse_int(optarg, 1, PD_SCALE_MAX_NODES,
			    &opt.refresh_batch);
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'h':
			scale_usage(stdout);
			exit(0);
		default:
			bad = -1;
		}
	}
	if (bad || optind != argc || opt.procs > opt.n || opt.seeds > opt.n ||
	    (opt.all_pairs && opt.lookups > 0)) {
		scale_usage(stderr);
		exit(2);
	}
	if (opt.lookups == 0)
		opt.lookups = (1000 + opt.n - 1) / opt.n;
	if (opt.lookups > opt.n - 1)
		opt.lookups = opt.n - 1;
}

/* Raise RLIMIT_NOFILE to the hard limit; warn if a full mesh cannot fit. */
static void
scale_raise_nofile(void)
{
	struct rlimit rl;
	uint64_t need;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	/* A full mesh: each process holds one fd per connection end. */
	need = (uint64_t)opt.n * (uint64_t)(opt.n - 1) / (uint64_t)opt.procs +
	    (uint64_t)PD_SCALE_FDS_PER_NODE * (uint64_t)opt.n /
	    (uint64_t)opt.procs;
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		fprintf(stderr, "scale: warning: RLIMIT_NOFILE is %llu; a full "
		    "mesh of %d nodes needs about %llu fds per process (use "
		    "more -p or raise the hard limit)\n",
		    (unsigned long long)rl.rlim_cur, opt.n,
		    (unsigned long long)need);
}

static void
scale_spawn(void)
{
	struct sigaction sa;
	pid_t parent = getpid();

	if ((children = calloc((size_t)opt.procs, sizeof(*children))) == NULL)
		scale_fail("out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = scale_signal_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(scale_atexit);
	/* Backstop: even a parent stuck outside poll() ends on time. */
	alarm((unsigned)opt.timeout_s + 30);
	fflush(stdout);
	fflush(stderr);
	for (int p = 0; p < opt.procs; p++) {
		int down[2], up[2];
		pid_t pid;

		if (pipe(down) < 0 || pipe(up) < 0)
			scale_fail("pipe: %s", strerror(errno));
		if ((pid = fork()) < 0)
			scale_fail("fork: %s", strerror(errno));
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGALRM, SIG_DFL);
			alarm(0);
			scale_in_worker = 1;
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(3);
			for (int q = 0; q < p; q++) {
				close(children[q].cmd);
				close(children[q].rep.fd);
			}
			close(down[1]);
			close(up[0]);
			/*
			 * exit(), so sanitizers check the worker for leaks;
			 * with no children listed, scale_atexit does nothing.
			 */
			nchildren = 0;
			exit(worker_main(p, down[0], up[1]));
		}
		close(down[0]);
		close(up[1]);
		children[p].pid = pid;
		children[p].cmd = down[1];
		children[p].rep.fd = up[0];
		(void)fcntl(up[0], F_SETFL, fcntl(up[0], F_GETFL) | O_NONBLOCK);
		nchildren = p + 1;
	}
}

int
main(int argc, char **argv)
{
	struct scale_addrs addrs;
	struct scale_stat st;
	struct scale_results res;
	size_t total_pairs, prev_total = 0, *sorted;
	int64_t t_start, t_join, t_last_change, t_lookups, t_stable_since;
	int rounds = 0;
	size_t round_start_total = 0;
	long rss_max = 0, rss_sum = 0;
	int64_t cpu_sum = 0;
	double lookup_s;

	scale_parse_args(argc, argv);
	if (sodium_init() < 0)
		scale_fail("sodium_init failed");
	setvbuf(stdout, NULL, _IOLBF, 0);
	scale_raise_nofile();
	t_start = scale_now_us();
	deadline_us = t_start + (int64_t)opt.timeout_s * 1000000;
	printf("scale: N=%d procs=%d seeds=%d %s seed=%" PRIu64 " timeout=%ds\n",
	    opt.n, opt.procs, opt.seeds, opt.all_pairs ? "all-pairs" :
	    "random lookups", opt.seed, opt.timeout_s);
	scale_spawn();

	/* Listen addresses, then the seeds to everyone, then join. */
	if ((addrs.text = calloc((size_t)opt.n, sizeof(*addrs.text))) == NULL ||
	    (st.sizes = calloc((size_t)opt.n, sizeof(size_t))) == NULL ||
	    (sorted = calloc((size_t)opt.n, sizeof(size_t))) == NULL)
		scale_fail("out of memory");
	scale_wait_all("READY", scale_on_addr, &addrs);
	for (int s = 0; s < opt.seeds; s++) {
		if (addrs.text[s][0] == '\0')
			scale_fail("no address for seed node %d", s);
		for (int i = 0; i < nchildren; i++)
			scale_sendf(children[i].cmd, "SEED %d %s\n", s,
			    addrs.text[s]);
	}
	printf("scale: %d nodes listening after %.2f s; joining\n", opt.n,
	    (double)(scale_now_us() - t_start) / 1e6);
	t_join = scale_now_us();
	scale_broadcast("JOIN");
	scale_wait_all("JOINED", NULL, NULL);

	/*
	 * Converge: sample the tables; once their sum has not changed for
	 * PD_SCALE_STABLE_MS, run an explicit refresh round on every node;
	 * stop after a round that did not raise the sum (tables stopped
	 * growing).  The time reported is that of the last growth.
	 */
	t_last_change = t_stable_since = scale_now_us();
	for (;;) {
		int64_t now;

		scale_sample(&st);
		now = scale_now_us();
		if (st.total != prev_total) {
			if (st.total > prev_total)
				t_last_change = now;
			prev_total = st.total;
			t_stable_since = now;
		}
		if (now - t_stable_since >= PD_SCALE_STABLE_MS * 1000) {
			if (rounds > 0 && st.total <= round_start_total)
				break;
			if (rounds >= PD_SCALE_MAX_ROUNDS)
				break;
			rounds++;
			round_start_total = st.total;
			if (opt.verbose)
				printf("scale: refresh round %d (tables: %zu "
				    "entries, %zu connection ends)\n", rounds,
				    st.total, st.conns);
			scale_broadcast("REFRESH");
			scale_wait_all("REFRESHED", NULL, NULL);
			t_stable_since = scale_now_us();
			continue;
		}
		scale_pump(PD_SCALE_STAT_MS);
	}
	if (opt.verbose)
		printf("scale: after round %d: tables: %zu entries, %zu "
		    "connection ends\n", rounds, st.total, st.conns);
	memcpy(sorted, st.sizes, (size_t)opt.n * sizeof(size_t));
	qsort(sorted, (size_t)opt.n, sizeof(size_t), scale_cmp_size);
	printf("scale: converged in %.2f s after %d refresh rounds: routing "
	    "tables %zu/%zu/%zu (min/median/max), %.1f connections per node%s\n",
	    (double)(t_last_change - t_join) / 1e6, rounds, sorted[0],
	    sorted[opt.n / 2], sorted[opt.n - 1],
	    (double)st.conns / opt.n,
	    st.connect_failed ? " (some seed connects failed)" : "");

	/* Lookups. */
	total_pairs = (size_t)opt.n * (size_t)(opt.all_pairs ? opt.n - 1 :
	    opt.lookups);
	memset(&res, 0, sizeof(res));
	if ((res.lat_us = calloc(total_pairs, sizeof(int64_t))) == NULL ||
	    (res.hops = calloc(total_pairs, sizeof(int64_t))) == NULL ||
	    (res.fail = calloc(PD_SCALE_MAX_FAIL_SHOWN, sizeof(char *))) ==
	    NULL)
		scale_fail("out of memory");
	printf("scale: %zu lookups, %d in flight per process\n", total_pairs,
	    opt.inflight);
	t_lookups = scale_now_us();
	scale_broadcast("LOOKUP");
	scale_wait_all("DONE", scale_on_result, &res);
	lookup_s = (double)(scale_now_us() - t_lookups) / 1e6;
	if (opt.verbose) {
		scale_sample(&st);
		printf("scale: after the lookups: tables: %zu entries, %zu "
		    "connection ends\n", st.total, st.conns);
	}
	qsort(res.lat_us, res.n, sizeof(int64_t), scale_cmp_i64);
	qsort(res.hops, res.ok, sizeof(int64_t), scale_cmp_i64);

	/* Idle CPU and RSS with full tables and every connection open. */
	{
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "IDLE %d", opt.idle_s * 1000);
		scale_broadcast(cmd);
	}
	{
		char line[PD_SCALE_LINE_MAX];
		int left = nchildren;

		for (int i = 0; i < nchildren; i++)
			children[i].done = 0;
		while (left > 0) {
			scale_pump(200);
			for (int i = 0; i < nchildren; i++)
				while (!children[i].done && scale_lines_pop(
				    &children[i].rep, line, sizeof(line)))
					if (sscanf(line, "IDLE %" SCNd64
					    " %ld %d", &children[i].idle_cpu_us,
					    &children[i].rss_kb,
					    &children[i].nnodes) == 3) {
						children[i].done = 1;
						left--;
					}
		}
	}
	for (int i = 0; i < nchildren; i++) {
		cpu_sum += children[i].idle_cpu_us;
		rss_sum += children[i].rss_kb;
		if (children[i].rss_kb > rss_max)
			rss_max = children[i].rss_kb;
	}
	scale_broadcast("QUIT");
	for (int i = 0; i < nchildren; i++) {
		int wst;

		if (waitpid(children[i].pid, &wst, 0) == children[i].pid) {
			children[i].pid = -1;
			if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
				scale_fail("worker %d exited badly (%d)", i, wst);
		}
	}

	printf("\n| N | procs | converge s | rt fill min/med/max | lookups ok/total "
	    "| success %% | hops p50/p99/max | latency ms p50/p99/max "
	    "| RSS/proc MiB | RSS/node KiB | idle CPU/node |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	printf("| %d | %d | %.2f | %zu/%zu/%zu | %zu/%zu | %.2f | %" PRId64 "/%"
	    PRId64 "/%" PRId64 " | %.1f/%.1f/%.1f | %.1f | %.0f | %.2f ms/s "
	    "(%.3f %%) |\n\n",
	    opt.n, opt.procs, (double)(t_last_change - t_join) / 1e6,
	    sorted[0], sorted[opt.n / 2], sorted[opt.n - 1], res.ok,
	    total_pairs, total_pairs ? 100.0 * (double)res.ok /
	    (double)total_pairs : 0.0,
	    scale_pct(res.hops, res.ok, 50), scale_pct(res.hops, res.ok, 99),
	    res.ok ? res.hops[res.ok - 1] : 0,
	    (double)scale_pct(res.lat_us, res.n, 50) / 1000.0,
	    (double)scale_pct(res.lat_us, res.n, 99) / 1000.0,
	    res.n ? (double)res.lat_us[res.n - 1] / 1000.0 : 0.0,
	    (double)rss_max / 1024.0, (double)rss_sum / opt.n,
	    (double)cpu_sum / 1000.0 / opt.idle_s / opt.n,
	    (double)cpu_sum / 10000.0 / opt.idle_s / opt.n);
	printf("scale: lookups took %.2f s (%.0f per second); idle window %d s\n",
	    lookup_s, lookup_s > 0 ? (double)res.n / lookup_s : 0.0,
	    opt.idle_s);
	if (res.n != total_pairs)
		scale_fail("%zu lookup results for %zu lookups", res.n,
		    total_pairs);
	if (res.ok != total_pairs) {
		printf("FAIL: %zu of %zu lookups failed (%" PRId64 " found "
		    "after the %d ms bound):\n", res.nfail, total_pairs,
		    res.slow, PD_SCALE_LOOKUP_BOUND_MS);
		for (size_t i = 0; i < res.nfail &&
		    i < PD_SCALE_MAX_FAIL_SHOWN; i++)
			printf("  %s\n", res.fail[i]);
		if (res.nfail > PD_SCALE_MAX_FAIL_SHOWN)
			printf("  ... and %zu more\n",
			    res.nfail - PD_SCALE_MAX_FAIL_SHOWN);
		return 1;
	}
	printf("ok: all %zu lookups found their peer, slowest %.1f ms "
	    "(bound %d ms)\n", total_pairs, res.n ?
	    (double)res.lat_us[res.n - 1] / 1000.0 : 0.0,
	    PD_SCALE_LOOKUP_BOUND_MS);
	for (size_t i = 0; i < res.nfail && i < PD_SCALE_MAX_FAIL_SHOWN; i++)
		free(res.fail[i]);
	free(res.fail);
	free(res.lat_us);
	free(res.hops);
	free(sorted);
	free(st.sizes);
	free(addrs.text);
	return 0;
}
