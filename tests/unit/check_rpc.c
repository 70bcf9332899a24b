/*
 * check_rpc.c - the JSON-RPC layer (daemon/rpc.c) over an in-memory sink:
 * ids of every kind, notifications, every error class with its exact code
 * and message and a data.reason, permissions, handlers that answer later,
 * replies to a client that went away, unicode, the event text, and a
 * seeded randomized model of request validation (PD_TEST_SEED reproduces
 * a run).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "core/error.h"
#include "daemon/rpc.h"

#include "helpers.h"

#define TR_MAX_REPLIES 64

/* The in-memory client: replies kept as text, freed at the last release. */
struct rpc_client {
	int refs;			/* the test's own + holds */
	int holds;
	bool closed;			/* the "connection" went away */
	size_t nreplies;
	char *replies[TR_MAX_REPLIES];
	bool sub_all;
	size_t nsubs;
};

static int tr_handler_runs;
static int tr_clients_freed;		/* by the last release */
static int tr_dropped;			/* sends to a closed client */
static struct rpc_ctx *tr_later;	/* test.later parks its context here */
static int tr_arg_value = 42;
static uint64_t tr_seed;

static struct rpc_client *
tr_client_new(void)
{
	struct rpc_client *cl = calloc(1, sizeof(*cl));

	ck_assert_ptr_nonnull(cl);
	cl->refs = 1;
	return cl;
}

static void
tr_client_unref(struct rpc_client *cl)
{
	size_t i;

	if (--cl->refs > 0)
		return;
	for (i = 0; i < cl->nreplies; i++)
		free(cl->replies[i]);
	free(cl);
	tr_clients_freed++;
}

/* The owner lets go (like control.c losing a connection). */
static void
tr_client_close(struct rpc_client *cl)
{
	cl->closed = true;
	tr_client_unref(cl);
}

static void
tr_send(struct rpc_client *cl, const char *text, size_t len)
{
	ck_assert_int_gt(cl->refs, 0);
	ck_assert_uint_eq(strlen(text), len);	/* no NUL inside */
	ck_assert_ptr_null(memchr(text, '\n', len));
	if (cl->closed) {
		tr_dropped++;
		return;
	}
	ck_assert_uint_lt(cl->nreplies, TR_MAX_REPLIES);
	cl->replies[cl->nreplies] = strndup(text, len);
	ck_assert_ptr_nonnull(cl->replies[cl->nreplies]);
	cl->nreplies++;
}

static int
tr_subscribe(struct rpc_client *cl, const char *const *names, size_t n)
{
	if (names == NULL)
		cl->sub_all = true;
	cl->nsubs += n;
	return 0;
}

static void
tr_hold(struct rpc_client *cl)
{
	cl->refs++;
	cl->holds++;
}

static void
tr_release(struct rpc_client *cl)
{
	cl->holds--;
	tr_client_unref(cl);
}

static const struct rpc_sink_ops tr_ops = {
	.send = tr_send,
	.subscribe = tr_subscribe,
	.hold = tr_hold,
	.release = tr_release,
};

static void
tm_echo(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	ck_assert_ptr_eq(arg, &tr_arg_value);
	ck_assert_ptr_eq(rpc_ctx_arg(ctx), &tr_arg_value);
	tr_handler_runs++;
	rpc_reply_result(ctx, params ? json_incref(params) : json_object());
}

static void
tm_mut(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	tr_handler_runs++;
	rpc_reply_result(ctx, json_pack("{s:b}", "changed", 1));
}

static void
tm_later(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	tr_handler_runs++;
	ck_assert_ptr_null(tr_later);
	tr_later = ctx;
}

static void
tm_fail(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	tr_handler_runs++;
	rpc_reply_error(ctx, RPC_PEER_NOT_FOUND, "no peer %s", "12D3KooWx");
}

static void
tm_null(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	tr_handler_runs++;
	rpc_reply_result(ctx, NULL);
}

static void
tm_sub(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	int r;

	(void)params;
	(void)arg;
	r = rpc_ctx_ops(ctx)->subscribe(rpc_ctx_client(ctx), NULL, 0);
	ck_assert_int_eq(r, 0);
	rpc_reply_result(ctx, json_object());
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

/* A long reason with bytes that are not UTF-8. */
static void
tm_badreason(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	char big[2000];

	(void)params;
	(void)arg;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = (char)0xff;
	big[1] = (char)0xc3;	/* truncated 2-byte sequence */
	rpc_reply_error(ctx, -32050, "%s", big);
}

static const struct rpc_method tr_methods[] = {
	{ "test.echo", tm_echo, false },
	{ "test.mut", tm_mut, true },
	{ "test.later", tm_later, false },
	{ "test.fail", tm_fail, false },
	{ "test.null", tm_null, false },
	{ "test.sub", tm_sub, false },
	{ "test.caller", tm_caller, false },
	{ "test.badreason", tm_badreason, false },
};

static const struct rpc_caller tr_admin = { 100, 1000, 1000, true };
static const struct rpc_caller tr_user = { 200, 2000, 2000, false };

static struct rpc_server *
tr_server(void)
{
	struct rpc_server *srv = rpc_server_new(tr_methods,
	    sizeof(tr_methods) / sizeof(tr_methods[0]), &tr_ops,
	    &tr_arg_value);

	ck_assert_ptr_nonnull(srv);
	tr_handler_runs = 0;
	tr_later = NULL;
	return srv;
}

static void
tr_dispatch_as(struct rpc_server *srv, struct rpc_client *cl,
    const struct rpc_caller *caller, const char *line)
{
	rpc_dispatch(srv, cl, caller, line, strlen(line));
}

static void
tr_dispatch(struct rpc_server *srv, struct rpc_client *cl, const char *line)
{
	tr_dispatch_as(srv, cl, &tr_admin, line);
}

/* Parse reply i and check the envelope; the caller decrefs. */
static json_t *
tr_reply(struct rpc_client *cl, size_t i)
{
	json_error_t err;
	json_t *r, *v;

	ck_assert_uint_gt(cl->nreplies, i);
	r = json_loads(cl->replies[i], 0, &err);
	ck_assert_msg(r != NULL, "reply is not JSON: %s (%s)",
	    cl->replies[i], err.text);
	ck_assert(json_is_object(r));
	v = json_object_get(r, "jsonrpc");
	ck_assert(json_is_string(v));
	ck_assert_str_eq(json_string_value(v), "2.0");
	ck_assert_msg(json_object_get(r, "id") != NULL, "no id: %s",
	    cl->replies[i]);
	ck_assert_msg((json_object_get(r, "result") != NULL) !=
	    (json_object_get(r, "error") != NULL), "result xor error: %s",
	    cl->replies[i]);
	return r;
}

/*
 * Reply i is an error with code and the standard message, a non-empty
 * data.reason, and the id id_json (JSON text, "null" for null).
 */
static void
tr_check_error(struct rpc_client *cl, size_t i, const char *id_json,
    int code, const char *message)
{
	json_t *r = tr_reply(cl, i), *e, *id, *want;
	const char *reason;

	e = json_object_get(r, "error");
	ck_assert_msg(json_is_object(e), "not an error: %s", cl->replies[i]);
	ck_assert_msg(json_integer_value(json_object_get(e, "code")) == code,
	    "want %d: %s", code, cl->replies[i]);
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
	    message);
	reason = json_string_value(json_object_get(json_object_get(e,
	    "data"), "reason"));
	ck_assert_msg(reason != NULL && reason[0] != '\0',
	    "no data.reason: %s", cl->replies[i]);
	id = json_object_get(r, "id");
	want = json_loads(id_json, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_equal(id, want), "id: want %s in %s", id_json,
	    cl->replies[i]);
	json_decref(want);
	json_decref(r);
}

/* Reply i is a result whose id and result equal the JSON texts given. */
static void
tr_check_result(struct rpc_client *cl, size_t i, const char *id_json,
    const char *result_json)
{
	json_t *r = tr_reply(cl, i), *want;

	want = json_loads(id_json, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_equal(json_object_get(r, "id"), want),
	    "id: want %s in %s", id_json, cl->replies[i]);
	json_decref(want);
	want = json_loads(result_json, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_equal(json_object_get(r, "result"), want),
	    "result: want %s in %s", result_json, cl->replies[i]);
	json_decref(want);
	json_decref(r);
}

START_TEST(test_ids)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	char line[1024], id[300];
	size_t n = 0;

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"params\":{\"a\":1},\"id\":\"abc\"}");
	tr_check_result(cl, n++, "\"abc\"", "{\"a\":1}");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":7}");
	tr_check_result(cl, n++, "7", "{}");
	tr_dispatch(srv, cl, "{\"id\":null,\"jsonrpc\":\"2.0\","
	    "\"method\":\"test.echo\"}");
	tr_check_result(cl, n++, "null", "{}");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":-9223372036854775808}");
	tr_check_result(cl, n++, "-9223372036854775808", "{}");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":9223372036854775807}");
	tr_check_result(cl, n++, "9223372036854775807", "{}");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":\"\"}");
	tr_check_result(cl, n++, "\"\"", "{}");

	/* a 256-byte string id is fine, 257 is not */
	memset(id, 'x', RPC_MAX_ID_LEN);
	id[RPC_MAX_ID_LEN] = '\0';
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.echo\",\"id\":\"%s\"}", id);
	tr_dispatch(srv, cl, line);
	snprintf(line, sizeof(line), "\"%s\"", id);
	tr_check_result(cl, n++, line, "{}");
	memset(id, 'x', RPC_MAX_ID_LEN + 1);
	id[RPC_MAX_ID_LEN + 1] = '\0';
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.echo\",\"id\":\"%s\"}", id);
	tr_dispatch(srv, cl, line);
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	/* 2^63 does not fit: the whole request is invalid */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":9223372036854775808}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":-9223372036854775809}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	/* fractional, boolean, structured ids */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":1.5}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":true}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":{\"a\":1}}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":[1]}");
	tr_check_error(cl, n++, "null", RPC_INVALID_REQUEST,
	    "Invalid Request");
	ck_assert_uint_eq(cl->nreplies, n);
	ck_assert_int_eq(cl->holds, 0);
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_notifications)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	struct rpc_stats st;

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"params\":{\"x\":1}}");
	ck_assert_int_eq(tr_handler_runs, 1);
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\"}");
	ck_assert_int_eq(tr_handler_runs, 2);
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}");
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.null\"}");
	/* not allowed: the handler does not run, and nothing is said */
	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"test.mut\"}");
	ck_assert_int_eq(tr_handler_runs, 3);
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"params\":[1]}");
	ck_assert_int_eq(tr_handler_runs, 3);
	/* a notification that subscribes works (no reply) */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.sub\"}");
	ck_assert(cl->sub_all);
	ck_assert_uint_eq(cl->nreplies, 0);
	/* a later answer to a notification is swallowed too */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\"}");
	ck_assert_ptr_nonnull(tr_later);
	ck_assert_int_eq(cl->holds, 1);
	rpc_reply_result(tr_later, json_object());
	ck_assert_int_eq(cl->holds, 0);
	ck_assert_uint_eq(cl->nreplies, 0);
	/* invalid requests are answered even without id */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"1.0\",\"method\":\"test.echo\"}");
	tr_check_error(cl, 0, "null", RPC_INVALID_REQUEST, "Invalid Request");
	ck_assert_uint_eq(cl->nreplies, 1);
	rpc_server_stats(srv, &st);
	ck_assert_uint_eq(st.requests, 9);
	ck_assert_uint_eq(st.notifications, 8);
	ck_assert_uint_eq(st.errors, 6);
	ck_assert_uint_eq(st.pending, 0);
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

/* One line, one error: code, message, id. */
struct tr_err_case {
	const char *line;
	int code;
	const char *id;
};

static const struct tr_err_case tr_err_cases[] = {
	{ "{", RPC_PARSE_ERROR, "null" },
	{ "", RPC_PARSE_ERROR, "null" },
	{ "   ", RPC_PARSE_ERROR, "null" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":1} x",
	    RPC_PARSE_ERROR, "null" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":1,\"id\":2}",
	    RPC_PARSE_ERROR, "null" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"te\xffst\",\"id\":1}",
	    RPC_PARSE_ERROR, "null" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"a\\u0000b\",\"id\":1}",
	    RPC_PARSE_ERROR, "null" },
	{ "[]", RPC_INVALID_REQUEST, "null" },
	{ "[{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"id\":1}]",
	    RPC_INVALID_REQUEST, "null" },
	{ "5", RPC_INVALID_REQUEST, "null" },
	{ "\"x\"", RPC_INVALID_REQUEST, "null" },
	{ "null", RPC_INVALID_REQUEST, "null" },
	{ "{}", RPC_INVALID_REQUEST, "null" },
	{ "{\"method\":\"test.echo\",\"id\":3}", RPC_INVALID_REQUEST, "3" },
	{ "{\"jsonrpc\":\"1.0\",\"method\":\"test.echo\",\"id\":3}",
	    RPC_INVALID_REQUEST, "3" },
	{ "{\"jsonrpc\":2.0,\"method\":\"test.echo\",\"id\":3}",
	    RPC_INVALID_REQUEST, "3" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":\"m\"}", RPC_INVALID_REQUEST, "\"m\"" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":4}", RPC_INVALID_REQUEST,
	    "4" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"\",\"id\":4}", RPC_INVALID_REQUEST,
	    "4" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"params\":\"x\","
	    "\"id\":5}", RPC_INVALID_REQUEST, "5" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"params\":null,"
	    "\"id\":5}", RPC_INVALID_REQUEST, "5" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"param\":{},"
	    "\"id\":5}", RPC_INVALID_REQUEST, "5" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\",\"params\":[1,2],"
	    "\"id\":6}", RPC_INVALID_PARAMS, "6" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":7}",
	    RPC_METHOD_NOT_FOUND, "7" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.echoo\",\"id\":7}",
	    RPC_METHOD_NOT_FOUND, "7" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\",\"id\":8}",
	    RPC_PEER_NOT_FOUND, "8" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.null\",\"id\":9}",
	    RPC_INTERNAL_ERROR, "9" },
	{ "{\"jsonrpc\":\"2.0\",\"method\":\"test.badreason\",\"id\":10}",
	    -32050, "10" },
};

START_TEST(test_errors)
{
	const struct tr_err_case *c = &tr_err_cases[_i];
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();

	tr_dispatch(srv, cl, c->line);
	ck_assert_msg(cl->nreplies == 1, "%s: %zu replies", c->line,
	    cl->nreplies);
	tr_check_error(cl, 0, c->id, c->code, rpc_error_message(c->code));
	ck_assert_int_eq(cl->holds, 0);
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_error_details)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	char *big;
	json_t *r;
	const char *reason;

	/* the handler's reason, exactly */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\","
	    "\"id\":1}");
	ck_assert_str_eq(cl->replies[0], "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"error\":{\"code\":-32002,\"message\":\"PEER_NOT_FOUND\","
	    "\"data\":{\"reason\":\"no peer 12D3KooWx\"}}}");
	/* a long reason with broken UTF-8: cut and repaired */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.badreason\",\"id\":2}");
	r = tr_reply(cl, 1);
	reason = json_string_value(json_object_get(json_object_get(
	    json_object_get(r, "error"), "data"), "reason"));
	ck_assert_ptr_nonnull(reason);
	ck_assert_uint_eq(strlen(reason), RPC_MAX_REASON);
	ck_assert_int_eq(strncmp(reason, "??aaa", 5), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r,
	    "error"), "message")), "Server error");
	json_decref(r);
	/* a parse error near bytes that are not UTF-8 still gives JSON */
	tr_dispatch(srv, cl, "\xff\xfe\x80{");
	tr_check_error(cl, 2, "null", RPC_PARSE_ERROR, "Parse error");
	/* the line limit */
	big = malloc(RPC_MAX_LINE + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', RPC_MAX_LINE + 1);
	rpc_dispatch(srv, cl, &tr_admin, big, RPC_MAX_LINE + 1);
	tr_check_error(cl, 3, "null", RPC_INVALID_REQUEST, "Invalid Request");
	ck_assert_ptr_nonnull(strstr(cl->replies[3], "over 1 MiB"));
	/* exactly RPC_MAX_LINE bytes is accepted: padding is whitespace */
	{
		static const char req[] = "{\"jsonrpc\":\"2.0\","
		    "\"method\":\"test.echo\",\"id\":3}";

		memcpy(big, req, sizeof(req) - 1);
	}
	rpc_dispatch(srv, cl, &tr_admin, big, RPC_MAX_LINE);
	tr_check_result(cl, 4, "3", "{}");
	free(big);
	/* framing-level errors from control.c */
	rpc_send_error(srv, cl, RPC_INVALID_REQUEST, "request line over 1 MiB");
	ck_assert_str_eq(cl->replies[5], "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":-32600,\"message\":\"Invalid Request\","
	    "\"data\":{\"reason\":\"request line over 1 MiB\"}}}");
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_permissions)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();

	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.mut\",\"id\":1}");
	tr_check_error(cl, 0, "1", RPC_PERMISSION_DENIED,
	    "PERMISSION_DENIED");
	ck_assert_int_eq(tr_handler_runs, 0);
	ck_assert_ptr_nonnull(strstr(cl->replies[0], "uid 2000"));
	/* reading is open to everybody */
	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.echo\",\"id\":2}");
	tr_check_result(cl, 1, "2", "{}");
	tr_dispatch_as(srv, cl, &tr_admin, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.mut\",\"id\":3}");
	tr_check_result(cl, 2, "3", "{\"changed\":true}");
	/* unknown method beats permission; permission beats params */
	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.mutt\",\"id\":4}");
	tr_check_error(cl, 3, "4", RPC_METHOD_NOT_FOUND, "Method not found");
	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.mut\",\"params\":[],\"id\":5}");
	tr_check_error(cl, 4, "5", RPC_PERMISSION_DENIED, "PERMISSION_DENIED");
	/* the caller reaches the handler as given */
	tr_dispatch_as(srv, cl, &tr_user, "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"test.caller\",\"id\":6}");
	tr_check_result(cl, 5, "6", "{\"pid\":200,\"uid\":2000,\"gid\":2000,"
	    "\"admin\":false}");
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_async)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	struct rpc_stats st;

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":\"slow\"}");
	ck_assert_ptr_nonnull(tr_later);
	ck_assert_uint_eq(cl->nreplies, 0);
	ck_assert_int_eq(cl->holds, 1);
	ck_assert_ptr_eq(rpc_ctx_client(tr_later), cl);
	/* other requests are answered meanwhile */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"id\":\"fast\"}");
	tr_check_result(cl, 0, "\"fast\"", "{}");
	rpc_server_stats(srv, &st);
	ck_assert_uint_eq(st.pending, 1);
	rpc_reply_result(tr_later, json_pack("{s:i}", "n", 5));
	tr_check_result(cl, 1, "\"slow\"", "{\"n\":5}");
	ck_assert_int_eq(cl->holds, 0);
	rpc_server_stats(srv, &st);
	ck_assert_uint_eq(st.pending, 0);

	/* an error answer later */
	tr_later = NULL;
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":9}");
	rpc_reply_error(tr_later, RPC_TIMEOUT, "no answer in %d ms", 10000);
	tr_check_error(cl, 2, "9", RPC_TIMEOUT, "TIMEOUT");
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_reply_after_close)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":1}");
	ck_assert_ptr_nonnull(tr_later);
	/* the connection goes away; the context keeps the client */
	tr_clients_freed = tr_dropped = 0;
	ck_assert_int_eq(cl->refs, 2);
	tr_client_close(cl);
	ck_assert_int_eq(tr_clients_freed, 0);
	/* the server goes too; the context keeps it */
	rpc_server_free(srv);
	/* the answer is dropped, and the last release frees the client */
	rpc_reply_result(tr_later, json_pack("{s:s}", "big", "x"));
	ck_assert_int_eq(tr_dropped, 1);
	ck_assert_int_eq(tr_clients_freed, 1);
	/* (cl is freed now; ASan/valgrind check both frees happened) */
}
END_TEST

START_TEST(test_server_free_pending)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.later\","
	    "\"id\":1}");
	rpc_server_free(srv);
	/* the client is still there: the answer still reaches it */
	rpc_reply_result(tr_later, json_object());
	tr_check_result(cl, 0, "1", "{}");
	tr_client_close(cl);
}
END_TEST

START_TEST(test_unicode)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	json_t *r, *want;

	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"params\":{\"s\":\"h\xc3\xa9llo \\u00e9 \\ud83d\\ude00 "
	    "\xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\n\\t\\/\",\"k\\u00e9y\":[]},"
	    "\"id\":\"\\u00e9\\n\"}");
	r = tr_reply(cl, 0);
	want = json_pack("{s:s, s:[]}", "s", "h\xc3\xa9llo \xc3\xa9 "
	    "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80 \"q\" \\ \n\t/", "k\xc3\xa9y");
	ck_assert(json_equal(json_object_get(r, "result"), want));
	ck_assert_str_eq(json_string_value(json_object_get(r, "id")),
	    "\xc3\xa9\n");
	json_decref(want);
	json_decref(r);
	/* lone surrogates are not valid JSON text for jansson */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\","
	    "\"params\":{\"s\":\"\\ud800\"},\"id\":2}");
	tr_check_error(cl, 1, "null", RPC_PARSE_ERROR, "Parse error");
	/* a unicode method name that does not exist */
	tr_dispatch(srv, cl, "{\"jsonrpc\":\"2.0\",\"method\":\"t\xc3\xa9st\","
	    "\"id\":3}");
	tr_check_error(cl, 2, "3", RPC_METHOD_NOT_FOUND, "Method not found");
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

/* A method name quoted in a reason is cut on a character boundary. */
START_TEST(test_long_method_name)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	char line[1024], name[400];
	size_t i;

	for (i = 0; i + 2 < 300; i += 2)
		memcpy(name + i, "\xc3\xa9", 2);
	name[i] = '\0';
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\","
	    "\"id\":1}", name);
	tr_dispatch(srv, cl, line);
	tr_check_error(cl, 0, "1", RPC_METHOD_NOT_FOUND, "Method not found");
	ck_assert_uint_lt(strlen(cl->replies[0]), 400);
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

START_TEST(test_event_text)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "peer", "12D3KooWx",
	    "type", "ignored", "source", "mdns");
	size_t len = 0;
	char *t;

	t = rpc_event_text("peer.discovered", p, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
	    "\"params\":{\"type\":\"peer.discovered\",\"peer\":\"12D3KooWx\","
	    "\"source\":\"mdns\"}}");
	ck_assert_uint_eq(len, strlen(t));
	free(t);
	/* params untouched (borrowed) */
	ck_assert_str_eq(json_string_value(json_object_get(p, "type")),
	    "ignored");
	ck_assert_int_eq(p->refcount, 1);
	json_decref(p);
	t = rpc_event_text("peer.connected", NULL, &len);
	ck_assert_str_eq(t, "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
	    "\"params\":{\"type\":\"peer.connected\"}}");
	free(t);
	p = json_array();
	ck_assert_ptr_null(rpc_event_text("x", p, &len));
	json_decref(p);
	ck_assert_ptr_null(rpc_event_text("bad\xff", NULL, &len));
}
END_TEST

START_TEST(test_codes)
{
	ck_assert_str_eq(rpc_error_message(RPC_PARSE_ERROR), "Parse error");
	ck_assert_str_eq(rpc_error_message(RPC_INVALID_REQUEST),
	    "Invalid Request");
	ck_assert_str_eq(rpc_error_message(RPC_METHOD_NOT_FOUND),
	    "Method not found");
	ck_assert_str_eq(rpc_error_message(RPC_INVALID_PARAMS),
	    "Invalid params");
	ck_assert_str_eq(rpc_error_message(RPC_INTERNAL_ERROR),
	    "Internal error");
	ck_assert_str_eq(rpc_error_message(RPC_PEER_LIMIT_REACHED),
	    "PEER_LIMIT_REACHED");
	ck_assert_str_eq(rpc_error_message(RPC_PEER_NOT_FOUND),
	    "PEER_NOT_FOUND");
	ck_assert_str_eq(rpc_error_message(RPC_DIAL_FAILED), "DIAL_FAILED");
	ck_assert_str_eq(rpc_error_message(RPC_TIMEOUT), "TIMEOUT");
	ck_assert_str_eq(rpc_error_message(RPC_PERMISSION_DENIED),
	    "PERMISSION_DENIED");
	ck_assert_str_eq(rpc_error_message(RPC_UNAVAILABLE), "UNAVAILABLE");
	ck_assert_str_eq(rpc_error_message(-32099), "Server error");
	ck_assert_str_eq(rpc_error_message(7), "Error");
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_PEER_LIMIT),
	    RPC_PEER_LIMIT_REACHED);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_PEER_NOT_FOUND),
	    RPC_PEER_NOT_FOUND);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_DIAL_FAILED),
	    RPC_DIAL_FAILED);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_TIMEOUT), RPC_TIMEOUT);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_PERMISSION_DENIED),
	    RPC_PERMISSION_DENIED);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_UNAVAILABLE),
	    RPC_UNAVAILABLE);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_INVAL), RPC_INVALID_PARAMS);
	ck_assert_int_eq(rpc_code_from_err(PD_ERR_NOMEM), RPC_INTERNAL_ERROR);
	ck_assert_int_eq(rpc_code_from_err(-5), RPC_INTERNAL_ERROR);
}
END_TEST

static uint64_t tr_rng_state;

static uint64_t
tr_rand(void)
{
	return pd_test_rng(&tr_rng_state);
}

static unsigned
tr_pick(unsigned n)
{
	return (unsigned)(tr_rand() % n);
}

/* A random valid UTF-8 string of up to max bytes (may exceed 256). */
static json_t *
tr_rand_string(size_t max)
{
	static const char *const pieces[] = { "a", "Z", "0", " ", "\"", "\\",
	    "\n", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x01" };
	char buf[1200];
	size_t len = 0, want = tr_pick((unsigned)max + 1), pl;
	const char *p;

	while (len < want) {
		p = pieces[tr_pick(sizeof(pieces) / sizeof(pieces[0]))];
		pl = strlen(p);
		if (len + pl > want)
			break;
		memcpy(buf + len, p, pl);
		len += pl;
	}
	return json_stringn(buf, len);
}

/*
 * One random request and the outcome the rules predict: expect_code 0
 * for a result, -1 for no reply; expect_id the id to echo (NULL: null).
 */
static void
tr_model_one(struct rpc_server *srv, struct rpc_client *cl, unsigned iter)
{
	json_t *req = json_object(), *id = NULL, *params = NULL;
	bool id_ok = true, shape_ok = true, admin = tr_pick(2);
	int expect;
	const char *method = NULL;
	char *text;
	size_t before = cl->nreplies;
	json_t *r;

	switch (tr_pick(8)) {
	case 0:
		break;				/* notification */
	case 1:
		id = json_null();
		break;
	case 2:
		id = json_integer((json_int_t)tr_rand());
		break;
	case 3:
		id = tr_rand_string(300);
		id_ok = json_string_length(id) <= RPC_MAX_ID_LEN;
		break;
	case 4:
		id = json_real(0.5 + tr_pick(100));
		id_ok = false;
		break;
	case 5:
		id = tr_pick(2) ? json_true() : json_object();
		id_ok = false;
		break;
	default:
		id = json_integer(tr_pick(1000));
		break;
	}
	switch (tr_pick(6)) {
	case 0:
		shape_ok = false;		/* no jsonrpc */
		break;
	case 1:
		json_object_set_new(req, "jsonrpc", json_string("1.0"));
		shape_ok = false;
		break;
	default:
		json_object_set_new(req, "jsonrpc", json_string("2.0"));
		break;
	}
	switch (tr_pick(7)) {
	case 0:
		shape_ok = false;
		break;
	case 1:
		json_object_set_new(req, "method", json_integer(5));
		shape_ok = false;
		break;
	case 2:
		method = "nope";
		break;
	case 3:
		method = "test.mut";
		break;
	default:
		method = "test.echo";
		break;
	}
	if (method != NULL)
		json_object_set_new(req, "method", json_string(method));
	switch (tr_pick(6)) {
	case 0:
		params = json_pack("[i]", 1);
		break;
	case 1:
		params = json_string("p");
		shape_ok = false;
		break;
	case 2:
		break;
	default:
		params = json_pack("{s:o, s:i}", "s", tr_rand_string(40), "n",
		    (int)tr_pick(100));
		break;
	}
	if (params != NULL)
		json_object_set(req, "params", params);
	if (tr_pick(10) == 0) {
		json_object_set_new(req, "extra", json_true());
		shape_ok = false;
	}
	if (id != NULL)
		json_object_set(req, "id", id);

	if (!id_ok || !shape_ok)
		expect = RPC_INVALID_REQUEST;
	else if (id == NULL)
		expect = -1;
	else if (strcmp(method, "nope") == 0)
		expect = RPC_METHOD_NOT_FOUND;
	else if (strcmp(method, "test.mut") == 0 && !admin)
		expect = RPC_PERMISSION_DENIED;
	else if (json_is_array(params))
		expect = RPC_INVALID_PARAMS;
	else
		expect = 0;

	text = json_dumps(req, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	tr_dispatch_as(srv, cl, admin ? &tr_admin : &tr_user, text);
	if (expect == -1) {
		ck_assert_msg(cl->nreplies == before, "seed %" PRIu64
		    " iter %u: reply to a notification: %s", tr_seed, iter,
		    text);
		goto out;
	}
	ck_assert_msg(cl->nreplies == before + 1, "seed %" PRIu64
	    " iter %u: no reply: %s", tr_seed, iter, text);
	r = tr_reply(cl, before);
	if (expect == 0) {
		json_t *want;

		if (strcmp(method, "test.mut") == 0)
			want = json_pack("{s:b}", "changed", 1);
		else
			want = params ? json_incref(params) : json_object();
		ck_assert_msg(json_equal(json_object_get(r, "result"), want),
		    "seed %" PRIu64 " iter %u: %s -> %s", tr_seed, iter, text,
		    cl->replies[before]);
		json_decref(want);
	} else {
		ck_assert_msg(json_integer_value(json_object_get(
		    json_object_get(r, "error"), "code")) == expect,
		    "seed %" PRIu64 " iter %u: want %d: %s -> %s", tr_seed,
		    iter, expect, text, cl->replies[before]);
	}
	if (id_ok && id != NULL)
		ck_assert_msg(json_equal(json_object_get(r, "id"), id),
		    "seed %" PRIu64 " iter %u: id: %s -> %s", tr_seed, iter,
		    text, cl->replies[before]);
	else
		ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
out:
	free(text);
	json_decref(req);
	json_decref(id);
	json_decref(params);
	/* keep the reply store small */
	while (cl->nreplies > 0)
		free(cl->replies[--cl->nreplies]);
}

START_TEST(test_model)
{
	struct rpc_server *srv = tr_server();
	struct rpc_client *cl = tr_client_new();
	unsigned i;

	tr_rng_state = tr_seed;
	for (i = 0; i < 20000; i++)
		tr_model_one(srv, cl, i);
	ck_assert_int_eq(cl->holds, 0);
	tr_client_close(cl);
	rpc_server_free(srv);
}
END_TEST

static Suite *
rpc_suite(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc;

	tc = tcase_create("ids");
	tcase_add_test(tc, test_ids);
	suite_add_tcase(s, tc);
	tc = tcase_create("notifications");
	tcase_add_test(tc, test_notifications);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0,
	    sizeof(tr_err_cases) / sizeof(tr_err_cases[0]));
	tcase_add_test(tc, test_error_details);
	tcase_add_test(tc, test_long_method_name);
	tcase_add_test(tc, test_codes);
	suite_add_tcase(s, tc);
	tc = tcase_create("permissions");
	tcase_add_test(tc, test_permissions);
	suite_add_tcase(s, tc);
	tc = tcase_create("async");
	tcase_add_test(tc, test_async);
	tcase_add_test(tc, test_reply_after_close);
	tcase_add_test(tc, test_server_free_pending);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, test_unicode);
	tcase_add_test(tc, test_event_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tr_seed = pd_test_seed("check_rpc");
	return pd_test_run(rpc_suite());
}
