/*
 * check_client.c - the control-protocol client library (lib/client)
 * against fake servers: each test binds a Unix socket in a mktemp
 * directory and forks a child that accepts one connection and plays a
 * script (canned answers, interleaved notifications, errors, slow or
 * cut-off answers, over-long lines).  The child checks the requests it
 * gets and reports through its exit status.  One randomized test splits
 * the server's stream at random byte boundaries (seeded; the seed is
 * printed; PD_TEST_SEED replays it).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "peerdisc-client.h"

#include "helpers.h"

#define SRV_MAX_LINE (3 * 1024 * 1024)	/* request lines the child reads */
#define SRV_WAIT_MS 5000		/* how long srv_stop waits */
#define RANDOM_ROUNDS 60		/* requests in the randomized test */

/* A fake server: its directory, socket and child. */
struct srv {
	char dir[64];
	char path[PD_CLIENT_PATH_MAX];
	pid_t pid;
};

/* The child's script: serve one accepted connection. */
typedef void (*srv_fn)(int fd);

static uint64_t rng_state;

static uint64_t
rng(void)
{
	return pd_test_rng(&rng_state);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ----- the child's side ----- */

/* Exit the child with a message: the test sees a non-zero status. */
static void __attribute__((noreturn, format(printf, 1, 2)))
srv_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fake server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(3);
}

static void
srv_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			srv_fail("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void srv_sendf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* printf a line (the newline is added). */
static void
srv_sendf(int fd, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		srv_fail("out of memory");
	srv_write(fd, s, (size_t)n);
	srv_write(fd, "\n", 1);
	free(s);
}

/*
 * Read one request line and check it is a JSON-RPC 2.0 request with an
 * integer id and the expected method; returns it (owned) and its id.
 * NULL at EOF.
 */
static json_t *
srv_request(int fd, const char *method, int64_t *ret_id)
{
	static char line[SRV_MAX_LINE];
	size_t len = 0;
	ssize_t n;
	json_t *req, *id;

	for (;;) {
		if (len == sizeof(line))
			srv_fail("request line too long");
		n = read(fd, line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			srv_fail("read: %s", strerror(errno));
		if (n == 0) {
			if (len > 0)
				srv_fail("EOF inside a request");
			return NULL;
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	req = json_loadb(line, len, 0, NULL);
	if (req == NULL)
		srv_fail("request is not JSON: %.*s", (int)len, line);
	id = json_object_get(req, "id");
	if (!json_is_integer(id))
		srv_fail("request without an integer id");
	if (strcmp(json_string_value(json_object_get(req, "jsonrpc")) ?: "",
	    "2.0") != 0)
		srv_fail("request without jsonrpc 2.0");
	if (method != NULL && strcmp(json_string_value(json_object_get(req,
	    "method")) ?: "", method) != 0)
		srv_fail("method is not %s", method);
	*ret_id = json_integer_value(id);
	return req;
}

/* Expect a request of method and discard it; its id. */
static int64_t
srv_expect(int fd, const char *method)
{
	int64_t id;
	json_t *req = srv_request(fd, method, &id);

	if (req == NULL)
		srv_fail("EOF, expected %s", method);
	json_decref(req);
	return id;
}

/* Wait until the client closes (reads and drops anything else). */
static void
srv_drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* ----- the test's side ----- */

static void
srv_start(struct srv *s, srv_fn fn)
{
	struct sockaddr_un sun;
	int lfd, fd;

	strcpy(s->dir, "/tmp/check_client.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/control.sock", s->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, s->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		alarm(20);		/* never outlive a broken test */
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			srv_fail("accept: %s", strerror(errno));
		close(lfd);
		fn(fd);
		close(fd);
		_exit(0);
	}
	close(lfd);
}

/* Wait for the child (killing it after SRV_WAIT_MS); its exit status. */
static int
srv_stop(struct srv *s)
{
	int64_t until = now_ms() + SRV_WAIT_MS;
	int status = -1;
	pid_t r;

	while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 &&
	    now_ms() < until)
		usleep(10000);
	if (r == 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		status = -1;
	}
	(void)unlink(s->path);
	(void)rmdir(s->dir);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static struct pd_client *
connect_ok(const struct srv *s)
{
	struct pd_client *c = NULL;
	char why[256];
	int r = pd_client_connect(s->path, 2000, why, sizeof(why), &c);

	ck_assert_msg(r == 0, "connect: %d %s", r, why);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(pd_client_path(c), s->path);
	return c;
}

/* ----- a plain call ----- */

static void
srv_echo(int fd)
{
	int64_t id;
	json_t *req = srv_request(fd, "peers.get", &id);
	json_t *params;

	if (req == NULL)
		srv_fail("no request");
	params = json_object_get(req, "params");
	if (!json_is_object(params) || strcmp(json_string_value(
	    json_object_get(params, "peer")) ?: "", "12D3KooWabc") != 0)
		srv_fail("params not passed through");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":"
	    "{\"id\":\"12D3KooWabc\",\"connected\":true}}", id);
	json_decref(req);
	/* a second call without params: no "params" member at all */
	req = srv_request(fd, "node.info", &id);
	if (req == NULL || json_object_get(req, "params") != NULL)
		srv_fail("node.info request wrong");
	json_decref(req);
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":7}",
	    id);
	srv_drain(fd);
}

START_TEST(test_call_ok)
{
	struct srv s;
	struct pd_client *c;
	struct pd_client_error err;
	json_t *params = json_pack("{s:s}", "peer", "12D3KooWabc");
	json_t *result = NULL;

	srv_start(&s, srv_echo);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "peers.get", params, 2000, &result,
	    &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(result, "id")),
	    "12D3KooWabc");
	ck_assert(json_is_true(json_object_get(result, "connected")));
	/* params are borrowed: still ours */
	ck_assert_int_eq(params->refcount, 1);
	json_decref(result);
	ck_assert_int_eq(pd_client_call(c, "node.info", NULL, 2000, &result,
	    NULL), 0);
	ck_assert_int_eq(json_integer_value(result), 7);
	json_decref(result);
	json_decref(params);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- matching by id, queueing events ----- */

static void
srv_interleave(int fd)
{
	int64_t id = srv_expect(fd, "events.subscribe");

	/* a stale answer, an event, a foreign notification, a blank line */
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":"
	    "\"stale\"}", id + 100);
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":"
	    "{\"type\":\"peer.connected\",\"peer\":\"A\"}}");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"other\",\"params\":"
	    "{\"type\":\"ignored\"}}");
	srv_sendf(fd, "%s", "");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":"
	    "{\"type\":\"peer.disconnected\",\"peer\":\"B\"}}\r");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":{}}",
	    id);
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":"
	    "{\"type\":\"peer.identified\",\"peer\":\"C\"}}");
	usleep(300000);
	/* then the server goes away */
}

START_TEST(test_match_and_events)
{
	struct srv s;
	struct pd_client *c;
	json_t *result = NULL, *ev = NULL;

	srv_start(&s, srv_interleave);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "events.subscribe", NULL, 2000,
	    &result, NULL), 0);
	ck_assert(json_is_object(result));
	ck_assert_int_eq(json_object_size(result), 0);
	json_decref(result);
	ck_assert_int_eq(pd_client_next_event(c, 0, &ev), 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "type")),
	    "peer.connected");
	json_decref(ev);
	ck_assert_int_eq(pd_client_next_event(c, 0, &ev), 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "peer")), "B");
	json_decref(ev);
	/* the third comes after the answer: wait for it */
	ck_assert_int_eq(pd_client_next_event(c, 2000, &ev), 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "type")),
	    "peer.identified");
	json_decref(ev);
	ck_assert_int_eq(pd_client_next_event(c, 50, &ev),
	    PD_CLIENT_ERR_TIMEOUT);
	ck_assert_int_eq(pd_client_next_event(c, 3000, &ev),
	    PD_CLIENT_ERR_CLOSED);
	ck_assert_int_eq(pd_client_call(c, "node.info", NULL, 1000, &result,
	    NULL), PD_CLIENT_ERR_CLOSED);
	ck_assert_int_eq(pd_client_events_dropped(c), 0);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- a bounded event queue ----- */

static void
srv_flood(int fd)
{
	int64_t id = srv_expect(fd, "events.subscribe");
	int i;

	for (i = 0; i < PD_CLIENT_MAX_EVENTS + 5; i++)
		srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
		    "\"params\":{\"type\":\"t\",\"seq\":%d}}", i);
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":{}}",
	    id);
	srv_drain(fd);
}

START_TEST(test_event_queue_bound)
{
	struct srv s;
	struct pd_client *c;
	json_t *ev;
	int i;

	srv_start(&s, srv_flood);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "events.subscribe", NULL, 5000,
	    NULL, NULL), 0);
	ck_assert_int_eq(pd_client_events_dropped(c), 5);
	for (i = 5; i < PD_CLIENT_MAX_EVENTS + 5; i++) {
		ck_assert_int_eq(pd_client_next_event(c, 0, &ev), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(ev,
		    "seq")), i);
		json_decref(ev);
	}
	ck_assert_int_eq(pd_client_next_event(c, 0, &ev),
	    PD_CLIENT_ERR_TIMEOUT);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* Events still queued when the client is closed are freed (ASan). */
START_TEST(test_close_with_queued_events)
{
	struct srv s;
	struct pd_client *c;

	srv_start(&s, srv_flood);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "events.subscribe", NULL, 5000,
	    NULL, NULL), 0);
	pd_client_close(c);
	pd_client_close(NULL);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- errors from the daemon ----- */

static void
srv_errors(int fd)
{
	int64_t id;

	id = srv_expect(fd, "peers.get");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"error\":"
	    "{\"code\":-32002,\"message\":\"PEER_NOT_FOUND\",\"data\":"
	    "{\"reason\":\"no peer 12D3KooWx in the store\"}}}", id);
	id = srv_expect(fd, "peers.connect");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"error\":"
	    "{\"code\":-32001,\"message\":\"PEER_LIMIT_REACHED\"}}", id);
	id = srv_expect(fd, "x.y");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"error\":"
	    "{\"code\":-32601,\"message\":\"Method not found\",\"data\":"
	    "\"x.y\"}}", id);
	/* the daemon could not parse the request: id null */
	(void)srv_expect(fd, "a.b");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
	    "{\"code\":-32700,\"message\":\"Parse error\"}}");
	srv_drain(fd);
}

START_TEST(test_rpc_errors)
{
	struct srv s;
	struct pd_client *c;
	struct pd_client_error err;
	json_t *result = (json_t *)0x1;

	srv_start(&s, srv_errors);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "peers.get", NULL, 2000, &result,
	    &err), PD_CLIENT_RPC_ERROR);
	ck_assert_ptr_eq(result, (json_t *)0x1);	/* untouched */
	ck_assert_int_eq(err.code, PD_CLIENT_RPC_PEER_NOT_FOUND);
	ck_assert_str_eq(err.message, "PEER_NOT_FOUND");
	ck_assert_str_eq(err.reason, "no peer 12D3KooWx in the store");
	ck_assert_int_eq(pd_client_call(c, "peers.connect", NULL, 2000,
	    &result, &err), PD_CLIENT_RPC_ERROR);
	ck_assert_int_eq(err.code, PD_CLIENT_RPC_PEER_LIMIT_REACHED);
	ck_assert_str_eq(err.reason, "");
	ck_assert_int_eq(pd_client_call(c, "x.y", NULL, 2000, &result, &err),
	    PD_CLIENT_RPC_ERROR);
	ck_assert_int_eq(err.code, PD_CLIENT_RPC_METHOD_NOT_FOUND);
	ck_assert_str_eq(err.reason, "x.y");
	ck_assert_int_eq(pd_client_call(c, "a.b", NULL, 2000, &result, &err),
	    PD_CLIENT_RPC_ERROR);
	ck_assert_int_eq(err.code, PD_CLIENT_RPC_PARSE_ERROR);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- malformed answers ----- */

static void
srv_malformed(int fd)
{
	static const char *const bad[] = {
		"this is not json",
		"[1,2,3]",
		"{\"jsonrpc\":\"2.0\",\"id\":@,\"result\":1,\"error\":{\"code\":1,\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":@}",
		"{\"jsonrpc\":\"2.0\",\"id\":@,\"error\":{\"code\":\"x\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":@,\"error\":{\"code\":1e3}}",
		"{\"jsonrpc\":\"2.0\",\"id\":@,\"result\":1} trailing",
	};
	char line[256], *at;
	int64_t id;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = srv_expect(fd, "m");
		snprintf(line, sizeof(line), "%s", bad[i]);
		at = strchr(line, '@');
		if (at != NULL) {
			char rest[256];

			snprintf(rest, sizeof(rest), "%s", at + 1);
			snprintf(at, sizeof(line) - (size_t)(at - line),
			    "%" PRId64 "%s", id, rest);
		}
		srv_sendf(fd, "%s", line);
	}
	/* the stream is still usable */
	id = srv_expect(fd, "ok");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":true}",
	    id);
	srv_drain(fd);
}

START_TEST(test_malformed)
{
	struct srv s;
	struct pd_client *c;
	json_t *result = NULL;
	int i;

	srv_start(&s, srv_malformed);
	c = connect_ok(&s);
	for (i = 0; i < 7; i++)
		ck_assert_msg(pd_client_call(c, "m", NULL, 2000, &result,
		    NULL) == PD_CLIENT_ERR_MALFORMED, "case %d", i);
	ck_assert_int_eq(pd_client_call(c, "ok", NULL, 2000, &result, NULL),
	    0);
	ck_assert(json_is_true(result));
	json_decref(result);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- timeouts ----- */

static void
srv_slow(int fd)
{
	int64_t id1, id2;

	id1 = srv_expect(fd, "slow");
	usleep(400000);			/* the client has given up */
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":1}",
	    id1);
	id2 = srv_expect(fd, "fast");
	if (id2 == id1)
		srv_fail("id reused");
	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":2}",
	    id2);
	srv_drain(fd);
}

START_TEST(test_timeout_then_late_answer)
{
	struct srv s;
	struct pd_client *c;
	json_t *result = NULL;
	int64_t t0;

	srv_start(&s, srv_slow);
	c = connect_ok(&s);
	t0 = now_ms();
	ck_assert_int_eq(pd_client_call(c, "slow", NULL, 150, &result, NULL),
	    PD_CLIENT_ERR_TIMEOUT);
	ck_assert_int_ge(now_ms() - t0, 140);
	ck_assert_ptr_null(result);
	/* the late answer to "slow" (result 1) is skipped */
	ck_assert_int_eq(pd_client_call(c, "fast", NULL, 3000, &result, NULL),
	    0);
	ck_assert_int_eq(json_integer_value(result), 2);
	json_decref(result);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- the server goes away ----- */

static void
srv_cut(int fd)
{
	int64_t id = srv_expect(fd, "peers.list");

	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":"
	    "{\"type\":\"peer.connected\"}}");
	dprintf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"resu", id);
	/* and close mid-answer */
}

START_TEST(test_closed_mid_answer)
{
	struct srv s;
	struct pd_client *c;
	json_t *ev;

	srv_start(&s, srv_cut);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "peers.list", NULL, 3000, NULL,
	    NULL), PD_CLIENT_ERR_CLOSED);
	ck_assert_int_eq(pd_client_call(c, "peers.list", NULL, 3000, NULL,
	    NULL), PD_CLIENT_ERR_CLOSED);
	/* the event that came before the cut is still there */
	ck_assert_int_eq(pd_client_next_event(c, 0, &ev), 0);
	json_decref(ev);
	ck_assert_int_eq(pd_client_next_event(c, 0, &ev),
	    PD_CLIENT_ERR_CLOSED);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

static void
srv_hangup(int fd)
{
	(void)fd;			/* accept and close at once */
}

START_TEST(test_closed_at_once)
{
	struct srv s;
	struct pd_client *c;
	int r;

	srv_start(&s, srv_hangup);
	c = connect_ok(&s);
	ck_assert_int_eq(srv_stop(&s), 0);
	/* the request may fail to send (EPIPE) or get no answer: closed */
	r = pd_client_call(c, "node.info", NULL, 3000, NULL, NULL);
	ck_assert_int_eq(r, PD_CLIENT_ERR_CLOSED);
	pd_client_close(c);
}
END_TEST

/* ----- line length ----- */

/* A result line of exactly n bytes. */
static void
srv_send_big(int fd, int64_t id, size_t n)
{
	char head[128];
	int hl = snprintf(head, sizeof(head), "{\"jsonrpc\":\"2.0\",\"id\":%"
	    PRId64 ",\"result\":{\"pad\":\"", id);
	size_t pad = n - (size_t)hl - 3;
	char *line = malloc(n + 1);

	if (line == NULL)
		srv_fail("out of memory");
	memcpy(line, head, (size_t)hl);
	memset(line + hl, 'x', pad);
	memcpy(line + hl + pad, "\"}}\n", 4);
	srv_write(fd, line, n + 1);
	free(line);
}

static void
srv_big(int fd)
{
	int64_t id;

	id = srv_expect(fd, "big");
	srv_send_big(fd, id, PD_CLIENT_MAX_REPLY);	/* just fits */
	id = srv_expect(fd, "bigger");
	srv_send_big(fd, id, PD_CLIENT_MAX_REPLY + 1);	/* one byte over */
	srv_drain(fd);
}

START_TEST(test_line_limit)
{
	struct srv s;
	struct pd_client *c;
	json_t *result = NULL;

	srv_start(&s, srv_big);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, "big", NULL, 5000, &result, NULL),
	    0);
	/* the first request has id 1: the line is head + pad + "}} */
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(result,
	    "pad"))), PD_CLIENT_MAX_REPLY - 3 -
	    strlen("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pad\":\""));
	json_decref(result);
	ck_assert_int_eq(pd_client_call(c, "bigger", NULL, 5000, &result,
	    NULL), PD_CLIENT_ERR_OVERFLOW);
	ck_assert_int_eq(pd_client_call(c, "more", NULL, 5000, &result, NULL),
	    PD_CLIENT_ERR_OVERFLOW);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

static void
srv_after_big_request(int fd)
{
	int64_t id = srv_expect(fd, "small");

	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":0}",
	    id);
	srv_drain(fd);
}

START_TEST(test_bad_arguments)
{
	struct srv s;
	struct pd_client *c;
	char method[PD_CLIENT_MAX_METHOD + 2];
	char *pad = malloc(PD_CLIENT_MAX_LINE);
	json_t *params, *str = json_string("x");

	srv_start(&s, srv_after_big_request);
	c = connect_ok(&s);
	ck_assert_int_eq(pd_client_call(c, NULL, NULL, 100, NULL, NULL),
	    PD_CLIENT_ERR_INVAL);
	ck_assert_int_eq(pd_client_call(c, "", NULL, 100, NULL, NULL),
	    PD_CLIENT_ERR_INVAL);
	memset(method, 'm', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	ck_assert_int_eq(pd_client_call(c, method, NULL, 100, NULL, NULL),
	    PD_CLIENT_ERR_INVAL);
	ck_assert_int_eq(pd_client_call(c, "x", str, 100, NULL, NULL),
	    PD_CLIENT_ERR_INVAL);
	/* a request over the line limit is refused before sending */
	ck_assert_ptr_nonnull(pad);
	memset(pad, 'p', PD_CLIENT_MAX_LINE - 1);
	pad[PD_CLIENT_MAX_LINE - 1] = '\0';
	params = json_pack("{s:s}", "pad", pad);
	ck_assert_int_eq(pd_client_call(c, "x", params, 100, NULL, NULL),
	    PD_CLIENT_ERR_OVERFLOW);
	/* nothing was sent: the next call works */
	ck_assert_int_eq(pd_client_call(c, "small", NULL, 2000, NULL, NULL), 0);
	ck_assert_int_eq(pd_client_next_event(c, 0, NULL),
	    PD_CLIENT_ERR_INVAL);
	json_decref(params);
	json_decref(str);
	free(pad);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- EINTR in next_event ----- */

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
srv_quiet(int fd)
{
	srv_drain(fd);
}

START_TEST(test_event_wait_interrupted)
{
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	struct sigaction sa;
	struct srv s;
	struct pd_client *c;
	json_t *ev = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	srv_start(&s, srv_quiet);
	c = connect_ok(&s);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(pd_client_next_event(c, 10000, &ev), -EINTR);
	ck_assert_ptr_null(ev);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* ----- connecting ----- */

START_TEST(test_connect_errors)
{
	char dir[] = "/tmp/check_client.XXXXXX", path[256], why[512];
	char longpath[PD_CLIENT_PATH_MAX + 8];
	struct sockaddr_un sun;
	struct pd_client *c = (struct pd_client *)0x1;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	ck_assert_int_eq(pd_client_connect(path, 1000, why, sizeof(why), &c),
	    -ENOENT);
	ck_assert_ptr_eq(c, (struct pd_client *)0x1);
	ck_assert_ptr_nonnull(strstr(why, path));
	/* a socket nobody listens on */
	snprintf(path, sizeof(path), "%s/dead.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(pd_client_connect(path, 1000, why, sizeof(why), &c),
	    -ECONNREFUSED);
	ck_assert_ptr_nonnull(strstr(why, "refused"));
	/* too long for sun_path */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(pd_client_connect(longpath, 1000, why, sizeof(why),
	    &c), PD_CLIENT_ERR_OVERFLOW);
	ck_assert_int_eq(pd_client_connect(path, 1000, NULL, 0, NULL),
	    PD_CLIENT_ERR_INVAL);
	ck_assert_ptr_eq(c, (struct pd_client *)0x1);
	(void)unlink(path);
	(void)rmdir(dir);
}
END_TEST

static void
clear_env(void)
{
	unsetenv("PEERDISC_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_STATE_HOME");
	unsetenv("RUNTIME_DIRECTORY");
}

static void
assert_path(unsigned int idx, const char *want)
{
	char buf[PD_CLIENT_PATH_MAX];
	int r = pd_client_socket_path(idx, buf, sizeof(buf));

	if (want == NULL) {
		ck_assert_int_eq(r, PD_CLIENT_ERR_NOT_FOUND);
		return;
	}
	ck_assert_msg(r == 0, "candidate %u: %d", idx, r);
	ck_assert_str_eq(buf, want);
}

/* The non-root rules, in the order of peerdisc-client.h. */
static void
check_user_rules(void)
{
	char small[8];

	setenv("HOME", "/home/u", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	setenv("XDG_STATE_HOME", "/st", 1);
	assert_path(0, "/run/user/1000/peerdisc/control.sock");
	assert_path(1, "/run/peerdisc/control.sock");
	assert_path(2, NULL);
	/* a relative XDG value is ignored */
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
	assert_path(0, "/st/peerdisc/control.sock");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("XDG_STATE_HOME", "/st/", 1);
	assert_path(0, "/st/peerdisc/control.sock");
	unsetenv("XDG_STATE_HOME");
	assert_path(0, "/home/u/.local/state/peerdisc/control.sock");
	assert_path(1, "/run/peerdisc/control.sock");
	/* systemd's variable of the calling service is not ours */
	setenv("RUNTIME_DIRECTORY", "/run/otherapp", 1);
	assert_path(0, "/home/u/.local/state/peerdisc/control.sock");
	/* PEERDISC_SOCKET wins over everything, and is the only one */
	setenv("PEERDISC_SOCKET", "/tmp/x.sock", 1);
	assert_path(0, "/tmp/x.sock");
	assert_path(1, NULL);
	ck_assert_int_eq(pd_client_socket_path(0, small, sizeof(small)),
	    PD_CLIENT_ERR_OVERFLOW);
	setenv("PEERDISC_SOCKET", "", 1);	/* empty: unset */
	assert_path(0, "/home/u/.local/state/peerdisc/control.sock");
	clear_env();
}

START_TEST(test_socket_path_rules)
{
	clear_env();
	if (geteuid() == 0) {
		/* root: the system socket only, whatever XDG says */
		setenv("XDG_RUNTIME_DIR", "/run/user/0", 1);
		assert_path(0, "/run/peerdisc/control.sock");
		assert_path(1, NULL);
		setenv("PEERDISC_SOCKET", "/tmp/y.sock", 1);
		assert_path(0, "/tmp/y.sock");
		clear_env();
		/* and the rules for others, as nobody */
		ck_assert_int_eq(seteuid(65534), 0);
		check_user_rules();
		ck_assert_int_eq(seteuid(0), 0);
	} else
		check_user_rules();
}
END_TEST

static void
srv_one_call(int fd)
{
	int64_t id = srv_expect(fd, "node.info");

	srv_sendf(fd, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64 ",\"result\":"
	    "{\"peer_id\":\"me\"}}", id);
	srv_drain(fd);
}

/* connect(NULL) follows $PEERDISC_SOCKET. */
START_TEST(test_connect_discovery_env)
{
	struct srv s;
	struct pd_client *c = NULL;
	char why[512];

	clear_env();
	srv_start(&s, srv_one_call);
	setenv("PEERDISC_SOCKET", s.path, 1);
	ck_assert_int_eq(pd_client_connect(NULL, 1000, why, sizeof(why), &c),
	    0);
	ck_assert_str_eq(pd_client_path(c), s.path);
	ck_assert_int_eq(pd_client_call(c, "node.info", NULL, 2000, NULL,
	    NULL), 0);
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
	clear_env();
}
END_TEST

/*
 * connect(NULL) as an ordinary user finds the per-user socket under
 * $XDG_RUNTIME_DIR; with none there it moves on to the system socket and
 * the reason names both paths.  (As root the test runs as nobody.)
 */
START_TEST(test_connect_discovery_user)
{
	char dir[] = "/tmp/check_client.XXXXXX", sub[64], path[128];
	char why[1024];
	struct sockaddr_un sun;
	struct pd_client *c = NULL;
	bool was_root = geteuid() == 0;
	int lfd, r;

	clear_env();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	/* no socket yet: both candidates are tried */
	setenv("XDG_RUNTIME_DIR", dir, 1);
	if (was_root)
		ck_assert_int_eq(seteuid(65534), 0);
	r = pd_client_connect(NULL, 1000, why, sizeof(why), &c);
	if (was_root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_lt(r, 0);
	snprintf(path, sizeof(path), "%s/peerdisc/control.sock", dir);
	ck_assert_msg(strstr(why, path) != NULL, "why: %s", why);
	if (r == -ENOENT)	/* no system daemon here either */
		ck_assert_msg(strstr(why, "/run/peerdisc/control.sock") !=
		    NULL, "why: %s", why);
	/* a listening socket in the per-user place is found */
	snprintf(sub, sizeof(sub), "%s/peerdisc", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(chmod(path, 0777), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	if (was_root)
		ck_assert_int_eq(seteuid(65534), 0);
	r = pd_client_connect(NULL, 1000, why, sizeof(why), &c);
	if (was_root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_msg(r == 0, "connect: %d %s", r, why);
	ck_assert_str_eq(pd_client_path(c), path);
	pd_client_close(c);
	close(lfd);
	(void)unlink(path);
	(void)rmdir(sub);
	(void)rmdir(dir);
	clear_env();
}
END_TEST

/* ----- randomized framing ----- */

/*
 * The child answers RANDOM_ROUNDS requests; before each answer it sends
 * 0-4 events (numbered), 0-2 stale answers and maybe a blank line, and
 * writes the whole stream in random pieces of 1-97 bytes with random
 * short pauses.  The answer carries the number of events sent so far.
 */
static void
srv_random(int fd)
{
	char *out = NULL;
	size_t outlen = 0, off, piece;
	int64_t id, seq = 0;
	FILE *f;
	int round, k;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		json_t *req = srv_request(fd, "echo", &id);
		json_t *n = json_object_get(json_object_get(req, "params"),
		    "n");

		if (req == NULL || json_integer_value(n) != round)
			srv_fail("round %d: bad request", round);
		json_decref(req);
		f = open_memstream(&out, &outlen);
		if (f == NULL)
			srv_fail("open_memstream");
		for (k = (int)(rng() % 5); k > 0; k--)
			fprintf(f, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
			    "\"params\":{\"type\":\"t\",\"seq\":%" PRId64
			    ",\"s\":\"a\\nb\\u00e9\"}}\n", seq++);
		for (k = (int)(rng() % 3); k > 0; k--)
			fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":%" PRId64
			    ",\"result\":\"stale\"}\n", id - 1 - k);
		if (rng() % 4 == 0)
			fputs("\n", f);
		fprintf(f, "{\"id\":%" PRId64 ",\"jsonrpc\":\"2.0\",\"result\":"
		    "{\"n\":%d,\"seq\":%" PRId64 "}}\n", id, round, seq);
		fclose(f);
		for (off = 0; off < outlen; off += piece) {
			piece = 1 + rng() % 97;
			if (piece > outlen - off)
				piece = outlen - off;
			srv_write(fd, out + off, piece);
			if (rng() % 8 == 0)
				usleep((useconds_t)(rng() % 2000));
		}
		free(out);
		out = NULL;
	}
	srv_drain(fd);
}

START_TEST(test_random_framing)
{
	struct srv s;
	struct pd_client *c;
	json_t *params, *result, *ev;
	int64_t seen = 0;
	int round;

	rng_state = pd_test_seed("check_client");
	srv_start(&s, srv_random);	/* the child inherits the seed */
	c = connect_ok(&s);
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		params = json_pack("{s:i}", "n", round);
		ck_assert_int_eq(pd_client_call(c, "echo", params, 5000,
		    &result, NULL), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(result,
		    "n")), round);
		while (pd_client_next_event(c, 0, &ev) == 0) {
			ck_assert_int_eq(json_integer_value(json_object_get(ev,
			    "seq")), seen);
			ck_assert_str_eq(json_string_value(json_object_get(ev,
			    "s")), "a\nb\xc3\xa9");
			seen++;
			json_decref(ev);
		}
		ck_assert_int_eq(json_integer_value(json_object_get(result,
		    "seq")), seen);
		json_decref(result);
		json_decref(params);
	}
	pd_client_close(c);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(pd_client_strerror(PD_CLIENT_ERR_TIMEOUT),
	    "timed out");
	ck_assert_str_eq(pd_client_strerror(PD_CLIENT_ERR_CLOSED),
	    "connection closed by the daemon");
	ck_assert_str_eq(pd_client_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(pd_client_strerror(PD_CLIENT_RPC_ERROR),
	    "error from the daemon");
	ck_assert_ptr_nonnull(pd_client_strerror(PD_CLIENT_ERR_MALFORMED));
	ck_assert_ptr_nonnull(pd_client_strerror(12345));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_client");
	TCase *tc;

	signal(SIGPIPE, SIG_IGN);
	tc = tcase_create("call");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_call_ok);
	tcase_add_test(tc, test_rpc_errors);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_match_and_events);
	tcase_add_test(tc, test_event_queue_bound);
	tcase_add_test(tc, test_close_with_queued_events);
	tcase_add_test(tc, test_event_wait_interrupted);
	suite_add_tcase(s, tc);
	tc = tcase_create("failures");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_timeout_then_late_answer);
	tcase_add_test(tc, test_closed_mid_answer);
	tcase_add_test(tc, test_closed_at_once);
	tcase_add_test(tc, test_line_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("connect");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect_errors);
	tcase_add_test(tc, test_socket_path_rules);
	tcase_add_test(tc, test_connect_discovery_env);
	tcase_add_test(tc, test_connect_discovery_user);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_framing);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
