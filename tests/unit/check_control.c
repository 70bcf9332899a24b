/*
 * check_control.c - the control socket server (daemon/control.c) on a
 * private socket in a temporary directory, driven by one event base in
 * the test process; clients are plain non-blocking sockets polled while
 * the loop turns (EVLOOP_NONBLOCK), or forked children with other
 * credentials (when run as root).
 *
 * Covered: replies, pipelining (in order; async ones by id), bad JSON on
 * a live connection, a 2 MiB line, 200 clients at once, a subscriber that
 * never reads (cut off, others served), backpressure for a pipelining
 * client that does not read, half-close, max_clients, EMFILE pause,
 * stale and live sockets, a path that is not a socket, socket mode and
 * group, socket activation, SO_PEERCRED and the admin decision.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <jansson.h>

#include "core/error.h"
#include "daemon/control.h"
#include "daemon/rpc.h"

#include "helpers.h"

#define TC_TIMEOUT_MS 5000
#define TC_MANY 200
#define TC_ADMIN_GID 12345
#define TC_NOBODY 65534

/* One server under test. */
struct tc {
	struct event_base *base;
	struct ctl *ctl;
	struct ctl_config cfg;
	char dir[64];
	char path[128];
};

/* A client socket with its partial input. */
struct tc_client {
	int fd;
	char *buf;
	size_t len, cap;
};

static void
tc_later_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rpc_reply_result(arg, json_pack("{s:b}", "later", 1));
}

static void
tm_echo(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)arg;
	rpc_reply_result(ctx, params ? json_incref(params) : json_object());
}

static void
tm_mut(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	rpc_reply_result(ctx, json_pack("{s:b}", "changed", 1));
}

static void
tm_later(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct tc *t = arg;
	struct timeval tv = { 0, 50 * 1000 };

	(void)params;
	ck_assert_int_eq(event_base_once(t->base, -1, EV_TIMEOUT, tc_later_cb,
	    ctx, &tv), 0);
}

/* Subscribe to params.events (names) or, without it, to everything. */
static void
tm_sub(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	json_t *ev = json_object_get(params, "events"), *v;
	const char *names[CTL_MAX_SUBSCRIPTIONS + 4];
	size_t i, n = 0;
	int r;

	(void)arg;
	if (ev == NULL) {
		r = rpc_ctx_ops(ctx)->subscribe(rpc_ctx_client(ctx), NULL, 0);
	} else {
		json_array_foreach(ev, i, v) {
			if (n < sizeof(names) / sizeof(names[0]))
				names[n++] = json_string_value(v);
		}
		r = rpc_ctx_ops(ctx)->subscribe(rpc_ctx_client(ctx), names, n);
	}
	if (r < 0)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS, "%s", pd_strerror(r));
	else
		rpc_reply_result(ctx, json_object());
}

static void
tm_big(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	size_t n = (size_t)json_integer_value(json_object_get(params, "n"));
	char *s = malloc(n + 1);

	(void)arg;
	ck_assert_ptr_nonnull(s);
	memset(s, 'b', n);
	s[n] = '\0';
	rpc_reply_result(ctx, json_pack("{s:s}", "s", s));
	free(s);
}

static void
tm_caller(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	const struct rpc_caller *c = rpc_ctx_caller(ctx);

	(void)params;
	(void)arg;
	rpc_reply_result(ctx, json_pack("{s:I, s:I, s:I, s:b}", "pid",
	    (json_int_t)c->pid, "uid", (json_int_t)c->uid, "gid",
	    (json_int_t)c->gid, "admin", c->admin));
}

static const struct rpc_method tc_methods[] = {
	{ "test.echo", tm_echo, false },
	{ "test.mut", tm_mut, true },
	{ "test.later", tm_later, false },
	{ "test.sub", tm_sub, false },
	{ "test.big", tm_big, false },
	{ "test.caller", tm_caller, false },
};

static void
tc_init(struct tc *t)
{
	memset(t, 0, sizeof(*t));
	t->base = event_base_new();
	ck_assert_ptr_nonnull(t->base);
	snprintf(t->dir, sizeof(t->dir), "/tmp/check_control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/control.sock", t->dir);
	ctl_config_init(&t->cfg, t->path);
}

static struct ctl *
tc_new_ctl(struct tc *t, char *why, size_t whylen)
{
	return ctl_new(t->base, &t->cfg, tc_methods,
	    sizeof(tc_methods) / sizeof(tc_methods[0]), t, why, whylen);
}

static void
tc_start(struct tc *t)
{
	char why[256] = "";

	t->ctl = tc_new_ctl(t, why, sizeof(why));
	ck_assert_msg(t->ctl != NULL, "ctl_new: %s", why);
}

static void
tc_done(struct tc *t)
{
	char p[160];

	ctl_free(t->ctl);
	t->ctl = NULL;
	event_base_free(t->base);
	(void)unlink(t->path);
	snprintf(p, sizeof(p), "%s/other", t->dir);
	(void)unlink(p);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

static void
tc_pump(struct tc *t)
{
	event_base_loop(t->base, EVLOOP_NONBLOCK);
}

static long
tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Turn the loop for ms milliseconds. */
static void
tc_run(struct tc *t, long ms)
{
	long end = tc_now_ms() + ms;

	while (tc_now_ms() < end) {
		tc_pump(t);
		poll(NULL, 0, 1);
	}
}

static void
tc_sun(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun->sun_path));
	memcpy(sun->sun_path, path, strlen(path));
}

static int
tc_connect_path(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	tc_sun(path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
tc_client_open(struct tc *t, struct tc_client *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = tc_connect_path(t->path);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_int_eq(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	tc_pump(t);
}

static void
tc_client_close(struct tc_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* Write everything, turning the loop while the socket is full. */
static void
tc_write(struct tc *t, struct tc_client *c, const char *data, size_t len)
{
	long end = tc_now_ms() + TC_TIMEOUT_MS;
	ssize_t n;

	while (len > 0) {
		n = write(c->fd, data, len);
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "write: %s",
			    strerror(errno));
			ck_assert_msg(tc_now_ms() < end, "write timed out");
			tc_pump(t);
			poll(NULL, 0, 1);
			continue;
		}
		data += n;
		len -= (size_t)n;
	}
	tc_pump(t);
}

static void
tc_writes(struct tc *t, struct tc_client *c, const char *s)
{
	tc_write(t, c, s, strlen(s));
}

/* Read what is there; -1 at EOF or error, else bytes read. */
static ssize_t
tc_fill(struct tc_client *c)
{
	char tmp[65536];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));

	if (n == 0 || (n < 0 && errno != EAGAIN))
		return -1;
	if (n < 0)
		return 0;
	if (c->len + (size_t)n > c->cap) {
		c->cap = (c->len + (size_t)n) * 2;
		c->buf = realloc(c->buf, c->cap);
		ck_assert_ptr_nonnull(c->buf);
	}
	memcpy(c->buf + c->len, tmp, (size_t)n);
	c->len += (size_t)n;
	return n;
}

/* Take one complete line out of c's buffer, or NULL. */
static char *
tc_take_line(struct tc_client *c)
{
	char *nl, *line;
	size_t n;

	if (c->len == 0 || (nl = memchr(c->buf, '\n', c->len)) == NULL)
		return NULL;
	n = (size_t)(nl - c->buf);
	line = strndup(c->buf, n);
	ck_assert_ptr_nonnull(line);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return line;
}

/* The next line (heap), or NULL on EOF or timeout. */
static char *
tc_line(struct tc *t, struct tc_client *c, long timeout_ms)
{
	long end = tc_now_ms() + timeout_ms;
	char *line;

	for (;;) {
		if ((line = tc_take_line(c)) != NULL)
			return line;
		if (tc_fill(c) < 0 || tc_now_ms() > end)
			return NULL;
		tc_pump(t);
		poll(NULL, 0, 1);
	}
}

/* True when the server closed c within timeout_ms (data is discarded). */
static bool
tc_wait_eof(struct tc *t, struct tc_client *c, long timeout_ms)
{
	long end = tc_now_ms() + timeout_ms;

	while (tc_now_ms() < end) {
		tc_pump(t);
		if (tc_fill(c) < 0)
			return true;
		c->len = 0;
		poll(NULL, 0, 1);
	}
	return false;
}

/* The next reply, parsed, with the envelope checked. */
static json_t *
tc_reply(struct tc *t, struct tc_client *c)
{
	char *line = tc_line(t, c, TC_TIMEOUT_MS);
	json_error_t err;
	json_t *r;

	ck_assert_msg(line != NULL, "no reply");
	r = json_loads(line, 0, &err);
	ck_assert_msg(r != NULL, "not JSON: %.200s", line);
	ck_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")),
	    "2.0");
	free(line);
	return r;
}

static json_int_t
tc_reply_id(json_t *r)
{
	ck_assert(json_is_integer(json_object_get(r, "id")));
	return json_integer_value(json_object_get(r, "id"));
}

static int
tc_reply_code(json_t *r)
{
	json_t *e = json_object_get(r, "error");

	if (e == NULL)
		return 0;
	ck_assert(json_is_string(json_object_get(json_object_get(e, "data"),
	    "reason")));
	return (int)json_integer_value(json_object_get(e, "code"));
}

/* Send one request and check the reply's id and code (0: result). */
static json_t *
tc_call(struct tc *t, struct tc_client *c, const char *method,
    const char *params, int id, int want_code)
{
	char line[512];
	json_t *r;

	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\","
	    "\"params\":%s,\"id\":%d}\n", method, params ? params : "{}", id);
	tc_writes(t, c, line);
	r = tc_reply(t, c);
	ck_assert_int_eq(tc_reply_id(r), id);
	ck_assert_int_eq(tc_reply_code(r), want_code);
	return r;
}

START_TEST(test_basic)
{
	struct tc t;
	struct tc_client c;
	struct ctl_stats st;
	json_t *r;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 1);
	r = tc_call(&t, &c, "test.echo", "{\"a\":[1,\"\\u00e9\"]}", 1, 0);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(
	    json_object_get(r, "result"), "a"), 0)), 1);
	json_decref(r);
	json_decref(tc_call(&t, &c, "nope", NULL, 2, RPC_METHOD_NOT_FOUND));
	/* a blank line and a CRLF line are fine */
	tc_writes(&t, &c, "\n  \r\n{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.echo\",\"id\":3}\r\n");
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_id(r), 3);
	json_decref(r);
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.clients, 1);
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(st.errors, 1);
	tc_client_close(&c);
	tc_run(&t, 20);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 0);
	tc_done(&t);
}
END_TEST

START_TEST(test_pipelined)
{
	struct tc t;
	struct tc_client c;
	char buf[4096];
	size_t len = 0;
	bool seen[10] = { false };
	json_int_t last = -1, id;
	int i;
	json_t *r;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	/* ten synchronous requests in one write: ten replies in order */
	for (i = 0; i < 10; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
		    "\"params\":{\"i\":%d},\"id\":%d}\n", i, i);
	tc_write(&t, &c, buf, len);
	for (i = 0; i < 10; i++) {
		r = tc_reply(&t, &c);
		ck_assert_int_eq(tc_reply_id(r), i);
		ck_assert_int_eq(json_integer_value(json_object_get(
		    json_object_get(r, "result"), "i")), i);
		json_decref(r);
	}
	/* mixed with slow ones: all answered, the fast ones in order */
	len = 0;
	for (i = 0; i < 10; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"id\":%d}\n",
		    i % 3 == 0 ? "test.later" : "test.echo", i);
	tc_write(&t, &c, buf, len);
	for (i = 0; i < 10; i++) {
		r = tc_reply(&t, &c);
		id = tc_reply_id(r);
		ck_assert(id >= 0 && id < 10 && !seen[id]);
		seen[id] = true;
		if (id % 3 != 0) {
			ck_assert_int_gt(id, last);
			last = id;
		} else {
			ck_assert(json_is_true(json_object_get(
			    json_object_get(r, "result"), "later")));
		}
		json_decref(r);
	}
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

START_TEST(test_bad_json_then_good)
{
	struct tc t;
	struct tc_client c;
	json_t *r;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	tc_writes(&t, &c, "{bad json\n{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.echo\",\"id\":5}\n[1,2]\n\xff\xfe\n");
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_code(r), RPC_PARSE_ERROR);
	ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_id(r), 5);
	ck_assert_int_eq(tc_reply_code(r), 0);
	json_decref(r);
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_code(r), RPC_PARSE_ERROR);
	json_decref(r);
	json_decref(tc_call(&t, &c, "test.echo", NULL, 6, 0));
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

/*
 * A 2 MiB line: one -32600 as soon as 1 MiB has arrived without a
 * newline, the rest is discarded up to the newline, and the connection
 * goes on.  Then a 2 MiB line that arrives with its newline.
 */
START_TEST(test_long_line)
{
	struct tc t;
	struct tc_client c;
	size_t big = 2 * 1024 * 1024;
	char *line = malloc(big + 1);
	struct ctl_stats st;
	json_t *r;

	ck_assert_ptr_nonnull(line);
	memset(line, 'x', big);
	line[big] = '\n';
	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	tc_write(&t, &c, line, big);
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_code(r), RPC_INVALID_REQUEST);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	    json_object_get(json_object_get(r, "error"), "data"), "reason")),
	    "over 1 MiB"));
	json_decref(r);
	tc_writes(&t, &c, "still the same line\n");
	json_decref(tc_call(&t, &c, "test.echo", NULL, 1, 0));
	/* one write with the newline; maybe split by the kernel */
	tc_write(&t, &c, line, big + 1);
	r = tc_reply(&t, &c);
	ck_assert_int_eq(tc_reply_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	json_decref(tc_call(&t, &c, "test.echo", NULL, 2, 0));
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.oversize, 2);
	ck_assert_uint_eq(st.dropped, 0);
	tc_client_close(&c);
	tc_done(&t);
	free(line);
}
END_TEST

START_TEST(test_many_clients)
{
	struct tc t;
	struct tc_client *c = calloc(TC_MANY, sizeof(*c));
	char line[256];
	int i;
	json_t *r;

	ck_assert_ptr_nonnull(c);
	tc_init(&t);
	tc_start(&t);
	for (i = 0; i < TC_MANY; i++)
		tc_client_open(&t, &c[i]);
	tc_run(&t, 50);
	ck_assert_uint_eq(ctl_client_count(t.ctl), TC_MANY);
	/* every client asks before anybody reads */
	for (i = 0; i < TC_MANY; i++) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":"
		    "\"%s\",\"id\":%d}\n", i % 10 ? "test.echo" :
		    "test.later", i);
		tc_writes(&t, &c[i], line);
	}
	for (i = 0; i < TC_MANY; i++) {
		r = tc_reply(&t, &c[i]);
		ck_assert_int_eq(tc_reply_id(r), i);
		ck_assert_int_eq(tc_reply_code(r), 0);
		json_decref(r);
	}
	for (i = 0; i < TC_MANY; i++)
		tc_client_close(&c[i]);
	tc_run(&t, 50);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 0);
	tc_done(&t);
	free(c);
}
END_TEST

/*
 * A subscriber that never reads while events flood: cut off once its
 * buffered output passes the cap; a reading subscriber and a plain
 * client are still served.
 */
START_TEST(test_slow_subscriber)
{
	struct tc t;
	struct tc_client slow, fast, plain;
	struct ctl_stats st;
	char payload[1024];
	json_t *params;
	size_t got = 0, sent = 0, n;
	char *line;
	int i;

	memset(payload, 'p', sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = '\0';
	params = json_pack("{s:s, s:s}", "peer", "12D3KooWx", "pad", payload);
	tc_init(&t);
	t.cfg.output_max = 64 * 1024;
	tc_start(&t);
	tc_client_open(&t, &slow);
	tc_client_open(&t, &fast);
	tc_client_open(&t, &plain);
	json_decref(tc_call(&t, &slow, "test.sub", NULL, 1, 0));
	json_decref(tc_call(&t, &fast, "test.sub", NULL, 1, 0));
	for (i = 0; i < 100000; i++) {
		n = ctl_broadcast(t.ctl, "peer.connected", params);
		sent++;
		ctl_get_stats(t.ctl, &st);
		if (n == 1) {
			ck_assert_uint_eq(st.dropped, 1);
			break;
		}
		ck_assert_uint_eq(n, 2);
		tc_pump(&t);
		while ((line = tc_line(&t, &fast, 0)) != NULL) {
			ck_assert_ptr_nonnull(strstr(line, "\"method\":"
			    "\"event\""));
			free(line);
			got++;
		}
	}
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 2);
	ck_assert(tc_wait_eof(&t, &slow, TC_TIMEOUT_MS));
	/* the reader gets everything sent so far, and more */
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "peer.connected", params), 1);
	sent++;
	while (got < sent) {
		line = tc_line(&t, &fast, TC_TIMEOUT_MS);
		ck_assert_ptr_nonnull(line);
		free(line);
		got++;
	}
	json_decref(tc_call(&t, &plain, "test.echo", NULL, 2, 0));
	json_decref(tc_call(&t, &fast, "test.echo", NULL, 3, 0));
	json_decref(params);
	tc_client_close(&slow);
	tc_client_close(&fast);
	tc_client_close(&plain);
	tc_done(&t);
}
END_TEST

START_TEST(test_subscribe_names)
{
	struct tc t;
	struct tc_client c;
	json_t *r;
	char *line;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	/* nobody subscribed yet */
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "peer.connected", NULL), 0);
	json_decref(tc_call(&t, &c, "test.sub",
	    "{\"events\":[\"peer.connected\",\"peer.connected\"]}", 1, 0));
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "peer.discovered", NULL), 0);
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "peer.connected", NULL), 1);
	line = tc_line(&t, &c, TC_TIMEOUT_MS);
	ck_assert_str_eq(line, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
	    "\"params\":{\"type\":\"peer.connected\"}}");
	free(line);
	/* too long a name, or too many: refused, set unchanged */
	json_decref(tc_call(&t, &c, "test.sub", "{\"events\":[\"aaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
	    2, RPC_INVALID_PARAMS));
	json_decref(tc_call(&t, &c, "test.sub", "{\"events\":[\"a1\",\"a2\","
	    "\"a3\",\"a4\",\"a5\",\"a6\",\"a7\",\"a8\",\"a9\",\"a10\",\"a11\","
	    "\"a12\",\"a13\",\"a14\",\"a15\",\"a16\"]}", 3,
	    RPC_INVALID_PARAMS));
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "a1", NULL), 0);
	json_decref(tc_call(&t, &c, "test.sub", "{\"events\":[\"a1\"]}", 4,
	    0));
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "a1", NULL), 1);
	r = tc_reply(&t, &c);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r,
	    "params"), "type")), "a1");
	json_decref(r);
	/* all */
	json_decref(tc_call(&t, &c, "test.sub", NULL, 5, 0));
	ck_assert_uint_eq(ctl_broadcast(t.ctl, "peer.identified", NULL), 1);
	r = tc_reply(&t, &c);
	json_decref(r);
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

/*
 * A client that pipelines requests with big replies and does not read:
 * the server stops reading its requests instead of buffering without
 * bound or cutting it off; once it reads, everything arrives.
 */
START_TEST(test_backpressure)
{
	struct tc t;
	struct tc_client c;
	char *buf;
	size_t len = 0, i, nreq = 200;
	struct ctl_stats st;
	json_t *r;

	buf = malloc(nreq * 128);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < nreq; i++)
		len += (size_t)sprintf(buf + len, "{\"jsonrpc\":\"2.0\","
		    "\"method\":\"test.big\",\"params\":{\"n\":65536},"
		    "\"id\":%zu}\n", i);
	tc_init(&t);
	t.cfg.output_max = 1024 * 1024;
	tc_start(&t);
	tc_client_open(&t, &c);
	tc_write(&t, &c, buf, len);
	tc_run(&t, 100);
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_lt(st.requests, nreq);	/* paused */
	for (i = 0; i < nreq; i++) {
		r = tc_reply(&t, &c);
		ck_assert_int_eq(tc_reply_id(r), (json_int_t)i);
		ck_assert_uint_eq(json_string_length(json_object_get(
		    json_object_get(r, "result"), "s")), 65536);
		json_decref(r);
	}
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.requests, nreq);
	ck_assert_uint_eq(st.dropped, 0);
	tc_client_close(&c);
	tc_done(&t);
	free(buf);
}
END_TEST

/* Shut down the write side: every request is answered, then EOF. */
START_TEST(test_half_close)
{
	struct tc t;
	struct tc_client c;
	bool seen[4] = { false };
	json_t *r;
	int i;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	tc_writes(&t, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":0}\n{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":1}"
	    "\n{\"jsonrpc\":\"2.0\",\"method\":\"test.later\",\"id\":2}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":3}");
	ck_assert_int_eq(shutdown(c.fd, SHUT_WR), 0);
	for (i = 0; i < 4; i++) {
		r = tc_reply(&t, &c);
		seen[tc_reply_id(r)] = true;
		json_decref(r);
	}
	ck_assert(seen[0] && seen[1] && seen[2] && seen[3]);
	ck_assert(tc_wait_eof(&t, &c, TC_TIMEOUT_MS));
	tc_run(&t, 10);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 0);
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

/* A reply pending when the client goes, or when the server goes. */
START_TEST(test_async_disconnect)
{
	struct tc t;
	struct tc_client c;
	struct ctl_stats st;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	tc_writes(&t, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":1}\n");
	tc_run(&t, 10);
	tc_client_close(&c);
	tc_run(&t, 10);
	/* EOF: kept (half-closed?) until the answer is due */
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.pending, 1);
	tc_run(&t, 100);
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.clients, 0);

	/* now free the server with a reply pending; it comes later */
	tc_client_open(&t, &c);
	tc_writes(&t, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":2}\n");
	tc_run(&t, 10);
	ctl_free(t.ctl);
	t.ctl = NULL;
	ck_assert(tc_wait_eof(&t, &c, 200));
	tc_run(&t, 100);		/* the timer answers into the void */
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

START_TEST(test_max_clients)
{
	struct tc t;
	struct tc_client c[4], extra;
	struct ctl_stats st;
	int i;

	tc_init(&t);
	t.cfg.max_clients = 3;
	tc_start(&t);
	for (i = 0; i < 3; i++) {
		tc_client_open(&t, &c[i]);
		json_decref(tc_call(&t, &c[i], "test.echo", NULL, i, 0));
	}
	tc_client_open(&t, &c[3]);
	ck_assert(tc_wait_eof(&t, &c[3], TC_TIMEOUT_MS));
	tc_client_open(&t, &extra);
	ck_assert(tc_wait_eof(&t, &extra, TC_TIMEOUT_MS));
	tc_client_close(&extra);
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.refused, 2);
	ck_assert_uint_eq(st.clients, 3);
	tc_client_close(&c[0]);
	tc_run(&t, 20);
	tc_client_open(&t, &extra);
	json_decref(tc_call(&t, &extra, "test.echo", NULL, 9, 0));
	json_decref(tc_call(&t, &c[1], "test.echo", NULL, 10, 0));
	tc_client_close(&extra);
	for (i = 1; i < 4; i++)
		tc_client_close(&c[i]);
	tc_done(&t);
}
END_TEST

/* Out of descriptors: accept pauses, then resumes after the timer. */
START_TEST(test_emfile_pause)
{
	struct tc t;
	struct tc_client c[3];
	struct rlimit old, low;
	struct sockaddr_un sun;
	struct ctl_stats st;
	int i, maxfd;

	/*
	 * valgrind emulates RLIMIT_NOFILE: its accept(2) wrapper closes the
	 * new connection and returns EMFILE, which the kernel would not.
	 */
	if (getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL) {
		printf("check_control: under valgrind; EMFILE case skipped\n");
		return;
	}
	tc_init(&t);
	tc_start(&t);
	tc_sun(t.path, &sun);
	for (i = 0; i < 3; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_ge(c[i].fd, 0);
	}
	/* no descriptor left for accept(2) */
	maxfd = dup(0);
	ck_assert_int_ge(maxfd, 0);
	close(maxfd);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)maxfd;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(connect(c[i].fd, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
		ck_assert_int_eq(fcntl(c[i].fd, F_SETFL, O_NONBLOCK), 0);
	}
	tc_run(&t, 50);
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.accept_pauses, 1);
	ck_assert_uint_eq(st.clients, 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* the pause timer brings accepting back */
	for (i = 0; i < 3; i++)
		json_decref(tc_call(&t, &c[i], "test.echo", NULL, i, 0));
	ctl_get_stats(t.ctl, &st);
	ck_assert_uint_eq(st.clients, 3);
	ck_assert_uint_eq(st.accept_pauses, 1);
	for (i = 0; i < 3; i++)
		tc_client_close(&c[i]);
	tc_done(&t);
}
END_TEST

START_TEST(test_stale_socket)
{
	struct tc t;
	struct tc_client c;
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	tc_init(&t);
	/* a socket file left by a dead daemon */
	tc_sun(t.path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(lstat(t.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	tc_start(&t);
	tc_client_open(&t, &c);
	json_decref(tc_call(&t, &c, "test.echo", NULL, 1, 0));
	tc_client_close(&c);
	ctl_free(t.ctl);
	t.ctl = NULL;
	/* ctl_free removed what it created */
	ck_assert_int_eq(lstat(t.path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	tc_done(&t);
}
END_TEST

START_TEST(test_live_socket)
{
	struct tc t;
	struct tc_client c;
	struct ctl *second;
	char why[256] = "", want[256];
	struct stat st;

	tc_init(&t);
	tc_start(&t);
	second = tc_new_ctl(&t, why, sizeof(why));
	ck_assert_ptr_null(second);
	snprintf(want, sizeof(want), "another peerdiscd is running on %s",
	    t.path);
	ck_assert_str_eq(why, want);
	/* the first one is untouched */
	ck_assert_int_eq(lstat(t.path, &st), 0);
	tc_client_open(&t, &c);
	json_decref(tc_call(&t, &c, "test.echo", NULL, 1, 0));
	tc_client_close(&c);
	tc_done(&t);
}
END_TEST

START_TEST(test_not_a_socket)
{
	struct tc t;
	char why[256] = "";
	struct stat st;
	FILE *f;

	tc_init(&t);
	f = fopen(t.path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("keep me\n", f);
	fclose(f);
	ck_assert_ptr_null(tc_new_ctl(&t, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "exists and is not a socket"));
	ck_assert_ptr_nonnull(strstr(why, t.path));
	ck_assert_int_eq(stat(t.path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 8);
	/* a path that does not fit sun_path */
	t.cfg.path = "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	ck_assert_ptr_null(tc_new_ctl(&t, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "too long"));
	/* a directory that does not exist */
	t.cfg.path = "/nonexistent-dir-for-check-control/x.sock";
	ck_assert_ptr_null(tc_new_ctl(&t, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "cannot bind"));
	tc_done(&t);
}
END_TEST

START_TEST(test_socket_mode)
{
	struct tc t;
	struct stat st;

	tc_init(&t);
	t.cfg.mode = 0600;
	tc_start(&t);
	ck_assert_int_eq(lstat(t.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ctl_free(t.ctl);
	t.ctl = NULL;
	t.cfg.mode = 0660;
	if (geteuid() == 0)
		t.cfg.admin_gid = TC_ADMIN_GID;
	else
		t.cfg.admin_gid = getegid();
	tc_start(&t);
	ck_assert_int_eq(lstat(t.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, t.cfg.admin_gid);
	tc_done(&t);
}
END_TEST

/* An inherited listening fd (socket activation) is used, not unlinked. */
START_TEST(test_listen_fd)
{
	struct tc t;
	struct tc_client c;
	struct sockaddr_un sun;
	struct stat st;
	char why[256] = "";
	int fd;

	tc_init(&t);
	tc_sun(t.path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	/* not listening yet: refused */
	t.cfg.listen_fd = fd;
	ck_assert_ptr_null(tc_new_ctl(&t, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "not a listening socket"));
	ck_assert_int_eq(listen(fd, 5), 0);
	tc_start(&t);
	tc_client_open(&t, &c);
	json_decref(tc_call(&t, &c, "test.echo", NULL, 1, 0));
	tc_client_close(&c);
	ctl_free(t.ctl);
	t.ctl = NULL;
	ck_assert_int_eq(lstat(t.path, &st), 0);	/* not ours to remove */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);	/* but the fd was */
	tc_done(&t);
}
END_TEST

START_TEST(test_admin_decision)
{
	gid_t groups[] = { 10, 20, TC_ADMIN_GID, 30 };
	gid_t out[8];
	const char *status = "Name:\tx\nUid:\t1\t1\t1\t1\nGroups:\t4 24 "
	    "27 12345 \nNStgid:\t1\n";

	/* root and the daemon's user, whatever the groups */
	ck_assert(ctl_caller_is_admin(0, 0, NULL, 0, 1000, CTL_GID_NONE));
	ck_assert(ctl_caller_is_admin(1000, 1000, NULL, 0, 1000,
	    CTL_GID_NONE));
	ck_assert(!ctl_caller_is_admin(1001, 1000, NULL, 0, 1000,
	    CTL_GID_NONE));
	/* no admin group: groups do not matter */
	ck_assert(!ctl_caller_is_admin(1001, TC_ADMIN_GID, groups, 4, 1000,
	    CTL_GID_NONE));
	/* primary or supplementary membership */
	ck_assert(ctl_caller_is_admin(1001, TC_ADMIN_GID, NULL, 0, 1000,
	    TC_ADMIN_GID));
	ck_assert(ctl_caller_is_admin(1001, 1001, groups, 4, 1000,
	    TC_ADMIN_GID));
	ck_assert(!ctl_caller_is_admin(1001, 1001, groups, 2, 1000,
	    TC_ADMIN_GID));
	ck_assert(!ctl_caller_is_admin(1001, 1001, NULL, 0, 1000,
	    TC_ADMIN_GID));
	/* unknown peer credentials */
	ck_assert(!ctl_caller_is_admin((uid_t)-1, (gid_t)-1, NULL, 0, 1000,
	    TC_ADMIN_GID));

	ck_assert_int_eq(ctl_parse_proc_groups(status, strlen(status), out,
	    8), 4);
	ck_assert_uint_eq(out[0], 4);
	ck_assert_uint_eq(out[3], 12345);
	ck_assert_int_eq(ctl_parse_proc_groups(status, strlen(status), out,
	    2), 2);
	ck_assert_int_eq(ctl_parse_proc_groups("Groups:\t\n", 9, out, 8), 0);
	ck_assert_int_eq(ctl_parse_proc_groups("Groups:", 7, out, 8), 0);
	ck_assert_int_eq(ctl_parse_proc_groups("Name:\tx\n", 8, out, 8), -1);
	ck_assert_int_eq(ctl_parse_proc_groups("Groups:\t1 x\n", 12, out, 8),
	    -1);
	ck_assert_int_eq(ctl_parse_proc_groups("Groups:\t99999999999\n", 20,
	    out, 8), -1);
	ck_assert_int_eq(ctl_parse_proc_groups("XGroups:\t1\n", 11, out, 8),
	    -1);
}
END_TEST

/* SO_PEERCRED of our own connection. */
START_TEST(test_peercred_self)
{
	struct tc t;
	struct tc_client c;
	json_t *r, *res;

	tc_init(&t);
	tc_start(&t);
	tc_client_open(&t, &c);
	r = tc_call(&t, &c, "test.caller", NULL, 1, 0);
	res = json_object_get(r, "result");
	ck_assert_int_eq(json_integer_value(json_object_get(res, "pid")),
	    getpid());
	ck_assert_int_eq(json_integer_value(json_object_get(res, "uid")),
	    geteuid());
	ck_assert_int_eq(json_integer_value(json_object_get(res, "gid")),
	    getegid());
	ck_assert(json_is_true(json_object_get(res, "admin")));
	json_decref(r);
	json_decref(tc_call(&t, &c, "test.mut", NULL, 2, 0));
	tc_client_close(&c);
	if (geteuid() != 0) {
		/* not the daemon's user and no admin group: refused */
		ctl_free(t.ctl);
		t.cfg.daemon_uid = geteuid() + 1;
		tc_start(&t);
		tc_client_open(&t, &c);
		json_decref(tc_call(&t, &c, "test.mut", NULL, 3,
		    RPC_PERMISSION_DENIED));
		tc_client_close(&c);
		/* ... unless in the admin group */
		ctl_free(t.ctl);
		t.cfg.admin_gid = getegid();
		tc_start(&t);
		tc_client_open(&t, &c);
		json_decref(tc_call(&t, &c, "test.mut", NULL, 4, 0));
		tc_client_close(&c);
	}
	tc_done(&t);
}
END_TEST

/*
 * In a child with other credentials: connect, send line, write back the
 * reply (or "ERR <errno>") through a pipe.  The parent turns the loop.
 */
static char *
tc_child_call(struct tc *t, uid_t uid, gid_t gid, const gid_t *groups,
    size_t ngroups, const char *line)
{
	int p[2], status;
	pid_t pid;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	long end = tc_now_ms() + TC_TIMEOUT_MS;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		close(p[0]);
		if (setgroups(ngroups, groups) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0)
			_exit(2);
		if ((fd = tc_connect_path(t->path)) < 0) {
			len = (size_t)snprintf(buf, sizeof(buf), "ERR %d",
			    errno);
			(void)!write(p[1], buf, len);
			_exit(0);
		}
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			_exit(3);
		while (len < sizeof(buf) - 1 &&
		    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
			len += (size_t)n;
			if (memchr(buf, '\n', len) != NULL)
				break;
		}
		(void)!write(p[1], buf, len);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	for (;;) {
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		ck_assert_msg(tc_now_ms() < end, "child timed out");
		tc_pump(t);
		poll(NULL, 0, 1);
	}
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", status);
	buf[len] = '\0';
	return strdup(buf);
}

/* As root: real peers with other uids and groups. */
START_TEST(test_peercred_other_users)
{
	struct tc t;
	gid_t admin[] = { TC_ADMIN_GID };
	char *out, want[32];
	const char *mut = "{\"jsonrpc\":\"2.0\",\"method\":\"test.mut\","
	    "\"id\":1}\n";

	if (geteuid() != 0) {
		printf("check_control: not root; other-user SO_PEERCRED "
		    "cases skipped\n");
		return;
	}
	tc_init(&t);
	ck_assert_int_eq(chmod(t.dir, 0711), 0);
	t.cfg.mode = 0666;
	t.cfg.daemon_uid = 4242;
	tc_start(&t);
	/* nobody may read but not mutate */
	out = tc_child_call(&t, TC_NOBODY, TC_NOBODY, NULL, 0, mut);
	ck_assert_ptr_nonnull(strstr(out, "\"code\":-32005"));
	ck_assert_ptr_nonnull(strstr(out, "uid 65534"));
	free(out);
	out = tc_child_call(&t, TC_NOBODY, TC_NOBODY, NULL, 0,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":2}\n");
	ck_assert_ptr_nonnull(strstr(out, "\"result\":{}"));
	free(out);
	/* the daemon's own user may */
	out = tc_child_call(&t, 4242, TC_NOBODY, NULL, 0, mut);
	ck_assert_ptr_nonnull(strstr(out, "\"changed\":true"));
	free(out);
	ctl_free(t.ctl);

	/* with an admin group: members (supplementary) may mutate */
	t.cfg.mode = 0660;
	t.cfg.admin_gid = TC_ADMIN_GID;
	tc_start(&t);
	out = tc_child_call(&t, TC_NOBODY, TC_NOBODY, admin, 1, mut);
	ck_assert_msg(strstr(out, "\"changed\":true") != NULL, "%s", out);
	free(out);
	out = tc_child_call(&t, TC_NOBODY, TC_ADMIN_GID, NULL, 0, mut);
	ck_assert_msg(strstr(out, "\"changed\":true") != NULL, "%s", out);
	free(out);
	/* others cannot even connect: mode 0660, group admin */
	out = tc_child_call(&t, TC_NOBODY, TC_NOBODY, NULL, 0, mut);
	snprintf(want, sizeof(want), "ERR %d", EACCES);
	ck_assert_str_eq(out, want);
	free(out);
	tc_done(&t);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc;

	tc = tcase_create("protocol");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_bad_json_then_good);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_async_disconnect);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_slow_subscriber);
	tcase_add_test(tc, test_subscribe_names);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_emfile_pause);
	suite_add_tcase(s, tc);
	tc = tcase_create("socket");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stale_socket);
	tcase_add_test(tc, test_live_socket);
	tcase_add_test(tc, test_not_a_socket);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_listen_fd);
	suite_add_tcase(s, tc);
	tc = tcase_create("credentials");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_admin_decision);
	tcase_add_test(tc, test_peercred_self);
	tcase_add_test(tc, test_peercred_other_users);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return pd_test_run(control_suite());
}
