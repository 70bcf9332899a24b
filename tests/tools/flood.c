/*
 * flood.c - inbound connection flood for the connection-manager tests
 * (tests/integration/064-inbound-flood.sh) and benchmark
 * (tests/bench/connmgr-run.sh).
 *
 * Opens N TCP connections to 127.0.0.1:PORT (loopback only, by
 * construction), each non-blocking, all at once or at RATE per second,
 * optionally writes the multistream-select header
 * ("\x13/multistream/1.0.0\n") on each, then holds them for SECONDS,
 * watching which ones the server closes (EOF or reset).  No handshake is
 * ever completed: the server sees N half-open peers, which its per-IP
 * and total caps must refuse before any handshake.
 *
 * usage: flood [-n N] [-r RATE] [-H SECONDS] [-m] PORT
 *   -n N        connections (default 500, at most 10000)
 *   -r RATE     connections opened per second (default 0: all at once)
 *   -H SECONDS  hold for SECONDS after the last one opened (default 3)
 *   -m          send the multistream-select header on each connection
 * Prints one line: "flood opened=A connect_failed=B closed_by_peer=C
 * open_at_end=D".  Exit 0 when it ran (whatever the server did), 1 on a
 * local error, 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_MAX_CONNS 10000
#define FLOOD_MAX_SECONDS 600
#define FLOOD_MAX_RATE 100000
#define FLOOD_MS_HEADER "\x13/multistream/1.0.0\n"

enum flood_state { FLOOD_UNUSED, FLOOD_CONNECTING, FLOOD_OPEN, FLOOD_CLOSED,
	FLOOD_FAILED };

struct flood_conn {
	int fd;
	enum flood_state state;
};

static long long
flood_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
flood_usage(FILE *f)
{
	fprintf(f, "usage: flood [-n N] [-r RATE] [-H SECONDS] [-m] PORT\n");
}

static int
flood_num(const char *s, long min, long max, long *ret)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno != 0 || e == s || *e != '\0' || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}

/* Start connection c to sin; its state tells how it went. */
static void
flood_open(struct flood_conn *c, const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	c->fd = fd;
	if (fd < 0) {
		c->state = FLOOD_FAILED;
		return;
	}
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		c->state = FLOOD_OPEN;
	else if (errno == EINPROGRESS)
		c->state = FLOOD_CONNECTING;
	else {
		close(fd);
		c->fd = -1;
		c->state = FLOOD_FAILED;
	}
}

/* Poll every live connection once (timeout ms): settle connects, see
 * closes, send the header once a connection is up. */
static void
flood_poll(struct flood_conn *v, size_t n, struct pollfd *pfd, int ms,
    int header)
{
	size_t k = 0;
	size_t *idx = (size_t *)(pfd + n);

	for (size_t i = 0; i < n; i++) {
		if (v[i].state != FLOOD_CONNECTING && v[i].state != FLOOD_OPEN)
			continue;
		pfd[k].fd = v[i].fd;
		pfd[k].events = v[i].state == FLOOD_CONNECTING ? POLLOUT :
		    POLLIN;
		pfd[k].revents = 0;
		idx[k++] = i;
	}
	if (k == 0) {
		if (ms > 0)
			usleep((useconds_t)ms * 1000);
		return;
	}
	if (poll(pfd, k, ms) <= 0)
		return;
	for (size_t j = 0; j < k; j++) {
		struct flood_conn *c = &v[idx[j]];
		char buf[256];

		if (pfd[j].revents == 0)
			continue;
		if (c->state == FLOOD_CONNECTING) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &el) < 0 || err != 0) {
				close(c->fd);
				c->fd = -1;
				c->state = FLOOD_FAILED;
				continue;
			}
			c->state = FLOOD_OPEN;
			if (header)
				(void)!write(c->fd, FLOOD_MS_HEADER,
				    sizeof(FLOOD_MS_HEADER) - 1);
			continue;
		}
		/* Open: data (discarded), EOF or an error. */
		ssize_t r = read(c->fd, buf, sizeof(buf));

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			close(c->fd);
			c->fd = -1;
			c->state = FLOOD_CLOSED;
		}
	}
}

int
main(int argc, char **argv)
{
	long n = 500, rate = 0, hold = 3, port;
	int header = 0, ch;
	struct sockaddr_in sin;
	struct flood_conn *v;
	struct pollfd *pfd;
	struct rlimit rl;
	long long start, end;
	size_t opened = 0;
	unsigned failed = 0, closed = 0, open = 0;

	while ((ch = getopt(argc, argv, "n:r:H:mh")) != -1) {
		switch (ch) {
		case 'n':
			if (flood_num(optarg, 1, FLOOD_MAX_CONNS, &n) < 0)
				goto usage;
			break;
		case 'r':
			if (flood_num(optarg, 0, FLOOD_MAX_RATE, &rate) < 0)
				goto usage;
			break;
		case 'H':
			if (flood_num(optarg, 0, FLOOD_MAX_SECONDS, &hold) < 0)
				goto usage;
			break;
		case 'm':
			header = 1;
			break;
		case 'h':
			flood_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || flood_num(argv[optind], 1, 65535, &port) < 0)
		goto usage;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 16 ? rl.rlim_max :
		    (rlim_t)n + 16;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	v = calloc((size_t)n, sizeof(*v));
	/* pollfds, then as many indexes (flood_poll) */
	pfd = calloc((size_t)n, sizeof(*pfd) + sizeof(size_t));
	if (v == NULL || pfd == NULL) {
		fprintf(stderr, "flood: out of memory\n");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	start = flood_now_ms();
	while (opened < (size_t)n) {
		size_t due = rate == 0 ? (size_t)n :
		    (size_t)((flood_now_ms() - start) * rate / 1000) + 1;

		while (opened < due && opened < (size_t)n)
			flood_open(&v[opened++], &sin);
		flood_poll(v, opened, pfd, rate == 0 ? 0 : 10, header);
	}
	end = flood_now_ms() + hold * 1000;
	while (flood_now_ms() < end)
		flood_poll(v, opened, pfd, 50, header);
	for (size_t i = 0; i < opened; i++) {
		switch (v[i].state) {
		case FLOOD_FAILED:
			failed++;
			break;
		case FLOOD_CLOSED:
			closed++;
			break;
		case FLOOD_OPEN:
		case FLOOD_CONNECTING:
			open++;
			close(v[i].fd);
			break;
		case FLOOD_UNUSED:
			break;
		}
	}
	printf("flood opened=%zu connect_failed=%u closed_by_peer=%u "
	    "open_at_end=%u\n", opened, failed, closed, open);
	free(v);
	free(pfd);
	return 0;
usage:
	flood_usage(stderr);
	return 2;
}
