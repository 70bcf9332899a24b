/*
 * ctlabuse.c - hostile local clients for peerdiscd's control socket
 * (tests/abuse/120-hostile-clients.sh; part of issue 10).
 *
 * Opens many control clients on a Unix socket and misbehaves with them
 * for a bounded time, single-threaded, with non-blocking sockets and
 * poll(2); or, in probe mode, measures how fast a fresh, well-behaved
 * client is answered meanwhile.  It never judges the daemon: it prints
 * one "ctlabuse mode=... key=value ..." line and the script decides.
 *
 * Modes:
 *   idle     connect N clients and hold them, sending nothing
 *   partial  connect N clients; each sends a request line B bytes per
 *            write (default 1: byte by byte), one write per client every
 *            I ms, and never a newline
 *   noread   connect N clients; each pipelines K node.info requests as
 *            fast as the socket takes them and never reads a reply
 *   churn    N slots, each in a loop: connect, then (alternately) close
 *            at once or send a node.info and close without reading
 *   probe    every I ms (default 100) a fresh connection sends node.info
 *            and waits for its reply line; latency is from the start of
 *            connect(2) to the end of the reply.  A probe that is refused
 *            (closed without a reply), times out (-w) or gets anything
 *            but a result counts as failed
 *
 * Connections the daemon closes (its max_clients cap accepts and closes
 * at once; output caps disconnect) are seen as EOF, a reset or POLLRDHUP
 * and counted as closed_by_peer; a connect(2) that finds the listen
 * backlog full (EAGAIN) is retried until the time is up.
 *
 * usage: ctlabuse -s SOCKET -m MODE [-n N] [-t SECONDS] [-i MS] [-b BYTES]
 *                 [-k K] [-w MS] [-v]
 * Exit 0 when it ran (whatever the daemon did), 1 on a local error
 * (e.g. too few descriptors: raise ulimit -n), 2 for a bad command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CA_MAX_CLIENTS 20000		/* -n cap */
#define CA_MAX_SECONDS 3600		/* -t cap */
#define CA_MAX_INTERVAL_MS 60000	/* -i cap */
#define CA_MAX_CHUNK 65536		/* -b cap: bytes per partial write */
#define CA_MAX_PIPELINE 1000000		/* -k cap: requests per noread client */
#define CA_MAX_SAMPLES 1000000		/* probe latencies kept */
#define CA_PROBE_REPLY_MAX 65536	/* bytes of one probe reply read */
#define CA_FD_SPARE 16			/* descriptors beyond N we need */
#define CA_RETRY_MS 5			/* connect retry when backlog full */
#define CA_READ_BUF 65536

#define CA_REQ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node.info\"}\n"
#define CA_REPLY_OK "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
/* The partial line: a plausible request that never ends. */
#define CA_PARTIAL_HEAD "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node.info\"," \
	"\"params\":{\"pad\":\""

enum ca_mode { CA_IDLE, CA_PARTIAL, CA_NOREAD, CA_CHURN, CA_PROBE };

static const char *const ca_mode_names[] = {
	[CA_IDLE] = "idle",
	[CA_PARTIAL] = "partial",
	[CA_NOREAD] = "noread",
	[CA_CHURN] = "churn",
	[CA_PROBE] = "probe",
};

enum ca_state { CA_NONE, CA_OPEN, CA_CLOSED };

struct ca_client {
	int fd;
	enum ca_state state;
	unsigned long long sent;	/* bytes (partial) or requests (noread) */
	size_t req_off;			/* noread: offset in the current request */
	long long next_ms;		/* partial: next write */
};

struct ca_opts {
	enum ca_mode mode;
	const char *path;
	unsigned long n;
	double seconds;
	unsigned long interval_ms;
	unsigned long chunk;
	unsigned long pipeline;
	unsigned long wait_ms;
	int verbose;
};

struct ca_counts {
	unsigned long long connects;	/* connect(2) succeeded */
	unsigned long long retries;	/* connect(2) EAGAIN, retried */
	unsigned long long connect_errors; /* other connect(2) failures */
	unsigned long long closed_by_peer;
	unsigned long long bytes_out;
	unsigned long long bytes_in;
	unsigned long long requests;	/* complete request lines written */
	unsigned long long cycles;	/* churn: connect+close */
	unsigned long max_open;		/* most open at once */
};

static long long
ca_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
ca_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void
ca_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
ca_usage(FILE *f)
{
	fprintf(f, "usage: ctlabuse -s SOCKET -m MODE [-n N] [-t SECONDS] "
	    "[-i MS] [-b BYTES] [-k K] [-w MS] [-v]\n"
	    "  -m MODE     idle | partial | noread | churn | probe\n"
	    "  -n N        clients (default 1000, at most %d)\n"
	    "  -t SECONDS  how long to run (default 10)\n"
	    "  -i MS       partial: ms between writes per client (default "
	    "10); probe: ms between probes (default 100)\n"
	    "  -b BYTES    partial: bytes per write (default 1)\n"
	    "  -k K        noread: requests per client (default 5000)\n"
	    "  -w MS       probe: give up on one probe after MS (default "
	    "2000)\n"
	    "  -v          log connection events to stderr\n",
	    CA_MAX_CLIENTS);
}

static int
ca_parse_ulong(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi ||
	    s[0] == '-')
		return -1;
	*ret = v;
	return 0;
}

/*
 * Open a non-blocking connection to path: the fd, -2 when the backlog
 * is full (retry), -1 on another error (errno set).
 */
static int
ca_connect(const struct sockaddr_un *sun)
{
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return err == EAGAIN ? -2 : -1;
}

/* Drain what the daemon sent; false when it closed the connection. */
static bool
ca_drain(int fd, struct ca_counts *c)
{
	char buf[CA_READ_BUF];
	ssize_t r;

	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r > 0) {
			c->bytes_in += (unsigned long long)r;
			continue;
		}
		if (r == 0)
			return false;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN;
	}
}

static void
ca_close(struct ca_client *cl, struct ca_counts *c, unsigned long *nopen,
    bool by_peer, int verbose, size_t idx)
{
	if (cl->state != CA_OPEN)
		return;
	close(cl->fd);
	cl->fd = -1;
	cl->state = CA_CLOSED;
	(*nopen)--;
	if (by_peer) {
		c->closed_by_peer++;
		if (verbose)
			fprintf(stderr, "ctlabuse: client %zu closed by the "
			    "daemon\n", idx);
	}
}

/* noread: write as many request bytes as the socket takes. */
static bool
ca_noread_write(struct ca_client *cl, const struct ca_opts *o,
    struct ca_counts *c)
{
	static const char req[] = CA_REQ;
	const size_t reqlen = sizeof(req) - 1;
	ssize_t w;

	while (cl->sent < o->pipeline) {
		w = send(cl->fd, req + cl->req_off, reqlen - cl->req_off,
		    MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN;
		}
		c->bytes_out += (unsigned long long)w;
		cl->req_off += (size_t)w;
		if (cl->req_off == reqlen) {
			cl->req_off = 0;
			cl->sent++;
			c->requests++;
		}
	}
	return true;
}

/* partial: one write of o->chunk bytes of the never-ending line. */
static bool
ca_partial_write(struct ca_client *cl, const struct ca_opts *o,
    struct ca_counts *c)
{
	static const char head[] = CA_PARTIAL_HEAD;
	char buf[CA_MAX_CHUNK];
	size_t i, n = o->chunk;
	ssize_t w;

	for (i = 0; i < n; i++) {
		unsigned long long pos = cl->sent + i;

		buf[i] = pos < sizeof(head) - 1 ? head[pos] : 'x';
	}
	w = send(cl->fd, buf, n, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR;
	cl->sent += (unsigned long long)w;
	c->bytes_out += (unsigned long long)w;
	return true;
}

/* idle, partial and noread: open N clients and keep them busy. */
static int
ca_run_hold(const struct ca_opts *o, const struct sockaddr_un *sun)
{
	struct ca_client *cls;
	struct pollfd *pfd;
	size_t *pidx;
	struct ca_counts c;
	unsigned long nopen = 0, i, nconnected = 0;
	long long start = ca_now_ms(), end, now, first_full = -1;
	unsigned long long partial_writes = 0;

	memset(&c, 0, sizeof(c));
	end = start + (long long)(o->seconds * 1000);
	cls = calloc(o->n, sizeof(*cls));
	pfd = calloc(o->n, sizeof(*pfd));
	pidx = calloc(o->n, sizeof(*pidx));
	if (cls == NULL || pfd == NULL || pidx == NULL) {
		fprintf(stderr, "ctlabuse: out of memory\n");
		return 1;
	}
	for (i = 0; i < o->n; i++)
		cls[i].fd = -1;
	while ((now = ca_now_ms()) < end) {
		nfds_t np = 0;
		int timeout = 100, r;
		bool waiting = false;

		/* connect whoever has not connected yet */
		for (i = 0; i < o->n; i++) {
			int fd;

			if (cls[i].state != CA_NONE)
				continue;
			fd = ca_connect(sun);
			if (fd == -2) {
				c.retries++;
				waiting = true;
				break;		/* backlog full: later */
			}
			if (fd < 0) {
				c.connect_errors++;
				cls[i].state = CA_CLOSED;
				if (o->verbose)
					fprintf(stderr, "ctlabuse: connect: "
					    "%s\n", strerror(errno));
				continue;
			}
			cls[i].fd = fd;
			cls[i].state = CA_OPEN;
			cls[i].next_ms = now + (long long)(i %
			    (o->interval_ms ? o->interval_ms : 1));
			c.connects++;
			nopen++;
			nconnected++;
			if (o->mode == CA_NOREAD &&
			    !ca_noread_write(&cls[i], o, &c))
				ca_close(&cls[i], &c, &nopen, true,
				    o->verbose, i);
		}
		if (nconnected == o->n && first_full < 0)
			first_full = now - start;
		if (nopen > c.max_open)
			c.max_open = nopen;
		if (waiting)
			timeout = CA_RETRY_MS;
		now = ca_now_ms();
		for (i = 0; i < o->n; i++) {
			struct ca_client *cl = &cls[i];

			if (cl->state != CA_OPEN)
				continue;
			pfd[np].fd = cl->fd;
			pfd[np].events = POLLRDHUP;
			if (o->mode != CA_NOREAD)
				pfd[np].events |= POLLIN;
			if (o->mode == CA_NOREAD && cl->sent < o->pipeline)
				pfd[np].events |= POLLOUT;
			if (o->mode == CA_PARTIAL) {
				long long d = cl->next_ms - now;

				if (d <= 0)
					d = 0;
				if (d < timeout)
					timeout = (int)d;
			}
			pidx[np++] = i;
		}
		if (end - now < timeout)
			timeout = (int)(end - now > 0 ? end - now : 0);
		r = poll(pfd, np, timeout);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "ctlabuse: poll: %s\n",
			    strerror(errno));
			return 1;
		}
		now = ca_now_ms();
		for (i = 0; i < np; i++) {
			struct ca_client *cl = &cls[pidx[i]];
			short re = r > 0 ? pfd[i].revents : 0;

			if (o->mode != CA_NOREAD && (re & (POLLIN | POLLHUP |
			    POLLERR | POLLRDHUP)) && !ca_drain(cl->fd, &c)) {
				ca_close(cl, &c, &nopen, true, o->verbose,
				    pidx[i]);
				continue;
			}
			if (o->mode == CA_NOREAD && (re & (POLLHUP |
			    POLLERR | POLLRDHUP))) {
				ca_close(cl, &c, &nopen, true, o->verbose,
				    pidx[i]);
				continue;
			}
			if (o->mode == CA_NOREAD && (re & POLLOUT) &&
			    !ca_noread_write(cl, o, &c)) {
				ca_close(cl, &c, &nopen, true, o->verbose,
				    pidx[i]);
				continue;
			}
			if (o->mode == CA_PARTIAL && cl->next_ms <= now) {
				partial_writes++;
				if (!ca_partial_write(cl, o, &c)) {
					ca_close(cl, &c, &nopen, true,
					    o->verbose, pidx[i]);
					continue;
				}
				cl->next_ms = now + (long long)o->interval_ms;
			}
		}
	}
	printf("ctlabuse mode=%s clients=%lu seconds=%.1f connects=%llu "
	    "connect_retries=%llu connect_errors=%llu closed_by_peer=%llu "
	    "open_at_end=%lu max_open=%lu all_connected_ms=%lld "
	    "bytes_out=%llu bytes_in=%llu requests=%llu writes=%llu\n",
	    ca_mode_names[o->mode], o->n, o->seconds, c.connects, c.retries,
	    c.connect_errors, c.closed_by_peer, nopen, c.max_open,
	    first_full, c.bytes_out, c.bytes_in, c.requests,
	    partial_writes);
	fflush(stdout);
	for (i = 0; i < o->n; i++)
		if (cls[i].fd >= 0)
			close(cls[i].fd);
	free(cls);
	free(pfd);
	free(pidx);
	return 0;
}

/* churn: open and close as fast as the daemon lets us. */
static int
ca_run_churn(const struct ca_opts *o, const struct sockaddr_un *sun)
{
	static const char req[] = CA_REQ;
	struct ca_counts c;
	long long end = ca_now_ms() + (long long)(o->seconds * 1000);
	unsigned long long sent_req = 0;
	int *fds;
	unsigned long i;

	memset(&c, 0, sizeof(c));
	if ((fds = malloc(o->n * sizeof(*fds))) == NULL) {
		fprintf(stderr, "ctlabuse: out of memory\n");
		return 1;
	}
	for (i = 0; i < o->n; i++)
		fds[i] = -1;
	while (ca_now_ms() < end) {
		bool full = false;

		/* open every slot, then close them all: N at once */
		for (i = 0; i < o->n; i++) {
			int fd = ca_connect(sun);

			if (fd == -2) {
				c.retries++;
				full = true;
				break;
			}
			if (fd < 0) {
				c.connect_errors++;
				continue;
			}
			c.connects++;
			fds[i] = fd;
			if ((c.connects & 1) == 0 && send(fd, req,
			    sizeof(req) - 1, MSG_NOSIGNAL) ==
			    (ssize_t)sizeof(req) - 1) {
				sent_req++;
				c.bytes_out += sizeof(req) - 1;
			}
		}
		if (i > c.max_open)
			c.max_open = i;
		for (i = 0; i < o->n; i++) {
			if (fds[i] < 0)
				continue;
			close(fds[i]);
			fds[i] = -1;
			c.cycles++;
		}
		if (full)
			ca_sleep_ms(1);
	}
	free(fds);
	printf("ctlabuse mode=churn clients=%lu seconds=%.1f cycles=%llu "
	    "cycles_per_s=%.0f requests=%llu connect_retries=%llu "
	    "connect_errors=%llu max_open=%lu\n", o->n, o->seconds,
	    c.cycles, (double)c.cycles / o->seconds, sent_req, c.retries,
	    c.connect_errors, c.max_open);
	fflush(stdout);
	return 0;
}

enum ca_probe_result { CA_PROBE_OK, CA_PROBE_REFUSED, CA_PROBE_TIMEOUT,
	CA_PROBE_BAD };

/* One probe: connect, node.info, read one line.  Latency in *ret_us. */
static enum ca_probe_result
ca_probe_once(const struct sockaddr_un *sun, unsigned long wait_ms,
    uint64_t *ret_us)
{
	static const char req[] = CA_REQ;
	char buf[CA_PROBE_REPLY_MAX];
	uint64_t t0 = ca_now_us(), deadline = t0 + wait_ms * 1000;
	size_t len = 0, off = 0;
	int fd = -1;
	enum ca_probe_result res = CA_PROBE_TIMEOUT;

	for (;;) {
		fd = ca_connect(sun);
		if (fd >= 0)
			break;
		if (fd == -1)
			return CA_PROBE_REFUSED;
		if (ca_now_us() >= deadline)
			return CA_PROBE_TIMEOUT;
		ca_sleep_ms(1);		/* backlog full */
	}
	while (off < sizeof(req) - 1) {
		struct pollfd p = { fd, POLLOUT, 0 };
		uint64_t now = ca_now_us();
		ssize_t w;

		if (now >= deadline)
			goto out;
		if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) <= 0)
			continue;
		w = send(fd, req + off, sizeof(req) - 1 - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			res = CA_PROBE_REFUSED;
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t now = ca_now_us();
		ssize_t r;

		if (memchr(buf, '\n', len) != NULL)
			break;
		if (now >= deadline)
			goto out;
		if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) <= 0)
			continue;
		if (len == sizeof(buf)) {
			res = CA_PROBE_BAD;
			goto out;
		}
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			res = len == 0 ? CA_PROBE_REFUSED : CA_PROBE_BAD;
			goto out;
		}
		len += (size_t)r;
	}
	*ret_us = ca_now_us() - t0;
	res = len >= sizeof(CA_REPLY_OK) - 1 && memcmp(buf, CA_REPLY_OK,
	    sizeof(CA_REPLY_OK) - 1) == 0 ? CA_PROBE_OK : CA_PROBE_BAD;
out:
	close(fd);
	return res;
}

static int
ca_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static uint64_t
ca_pct(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return v[rank > 0 ? rank - 1 : 0];
}

static int
ca_run_probe(const struct ca_opts *o, const struct sockaddr_un *sun)
{
	uint64_t *lat, us;
	size_t n = 0;
	unsigned long long count[CA_PROBE_BAD + 1] = { 0 };
	long long end = ca_now_ms() + (long long)(o->seconds * 1000), next;
	enum ca_probe_result r;

	if ((lat = malloc(CA_MAX_SAMPLES * sizeof(*lat))) == NULL) {
		fprintf(stderr, "ctlabuse: out of memory\n");
		return 1;
	}
	next = ca_now_ms();
	while (ca_now_ms() < end) {
		r = ca_probe_once(sun, o->wait_ms, &us);
		count[r]++;
		if (r == CA_PROBE_OK && n < CA_MAX_SAMPLES)
			lat[n++] = us;
		if (o->verbose && r != CA_PROBE_OK)
			fprintf(stderr, "ctlabuse: probe %s\n",
			    r == CA_PROBE_REFUSED ? "refused" :
			    r == CA_PROBE_TIMEOUT ? "timed out" :
			    "got a bad reply");
		next += (long long)o->interval_ms;
		if (next > ca_now_ms())
			ca_sleep_ms((long)(next - ca_now_ms()));
		else
			next = ca_now_ms();
	}
	qsort(lat, n, sizeof(*lat), ca_cmp_u64);
	printf("ctlabuse mode=probe seconds=%.1f probes=%llu ok=%llu "
	    "refused=%llu timeout=%llu bad=%llu p50_ms=%.2f p99_ms=%.2f "
	    "max_ms=%.2f\n", o->seconds,
	    count[0] + count[1] + count[2] + count[3], count[CA_PROBE_OK],
	    count[CA_PROBE_REFUSED], count[CA_PROBE_TIMEOUT],
	    count[CA_PROBE_BAD],
	    n ? (double)ca_pct(lat, n, 50) / 1000 : -1.0,
	    n ? (double)ca_pct(lat, n, 99) / 1000 : -1.0,
	    n ? (double)lat[n - 1] / 1000 : -1.0);
	fflush(stdout);
	free(lat);
	return 0;
}

/* Make sure N sockets fit: raise the soft limit to the hard one. */
static int
ca_check_fds(unsigned long n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n + CA_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "ctlabuse: %lu clients need %llu descriptors; "
		    "the hard limit is %llu (raise ulimit -n)\n", n,
		    (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "ctlabuse: setrlimit: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ca_opts o = { .mode = CA_PROBE, .n = 1000, .seconds = 10,
	    .interval_ms = 0, .chunk = 1, .pipeline = 5000, .wait_ms = 2000 };
	struct sockaddr_un sun;
	unsigned long v;
	bool have_mode = false, have_interval = false;
	char *end;
	int ch;
	size_t i;

	while ((ch = getopt(argc, argv, "s:m:n:t:i:b:k:w:vh")) != -1) {
		switch (ch) {
		case 's':
			o.path = optarg;
			break;
		case 'm':
			for (i = 0; i < sizeof(ca_mode_names) /
			    sizeof(ca_mode_names[0]); i++)
				if (strcmp(optarg, ca_mode_names[i]) == 0)
					break;
			if (i == sizeof(ca_mode_names) /
			    sizeof(ca_mode_names[0])) {
				fprintf(stderr, "ctlabuse: unknown mode %s\n",
				    optarg);
				return 2;
			}
			o.mode = (enum ca_mode)i;
			have_mode = true;
			break;
		case 'n':
			if (ca_parse_ulong(optarg, 1, CA_MAX_CLIENTS, &o.n) < 0)
				goto bad;
			break;
		case 't':
			errno = 0;
			o.seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o.seconds > 0 && o.seconds <= CA_MAX_SECONDS))
				goto bad;
			break;
		case 'i':
			if (ca_parse_ulong(optarg, 0, CA_MAX_INTERVAL_MS,
			    &o.interval_ms) < 0)
				goto bad;
			have_interval = true;
			break;
		case 'b':
			if (ca_parse_ulong(optarg, 1, CA_MAX_CHUNK, &o.chunk) < 0)
				goto bad;
			break;
		case 'k':
			if (ca_parse_ulong(optarg, 1, CA_MAX_PIPELINE,
			    &o.pipeline) < 0)
				goto bad;
			break;
		case 'w':
			if (ca_parse_ulong(optarg, 1, CA_MAX_INTERVAL_MS,
			    &v) < 0)
				goto bad;
			o.wait_ms = v;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			ca_usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || o.path == NULL || !have_mode)
		goto bad;
	if (!have_interval)
		o.interval_ms = o.mode == CA_PROBE ? 100 : 10;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(o.path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ctlabuse: socket path too long: %s\n",
		    o.path);
		return 2;
	}
	memcpy(sun.sun_path, o.path, strlen(o.path));
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (o.mode) {
	case CA_PROBE:
		return ca_run_probe(&o, &sun);
	case CA_CHURN:
		if (ca_check_fds(o.n) < 0)
			return 1;
		return ca_run_churn(&o, &sun);
	default:
		if (ca_check_fds(o.n) < 0)
			return 1;
		return ca_run_hold(&o, &sun);
	}
bad:
	fprintf(stderr, "ctlabuse: bad command line\n");
	ca_usage(stderr);
	return 2;
}
