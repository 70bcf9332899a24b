/*
 * fuzz_rpc.c - libFuzzer target for the JSON-RPC layer (daemon/rpc.c):
 * the input is split at '\n' into request lines, each handed to
 * rpc_dispatch() with an in-memory sink and a small method table
 * (synchronous results and errors, a mutating method, a handler that
 * answers after dispatch returns, one that subscribes).
 *
 * Invariants (abort() on violation): a line gets exactly one reply
 * unless it is a notification (a well-formed request object without an
 * "id" member), which gets none; every reply is one line of valid JSON,
 * an object with jsonrpc "2.0", an id, and exactly one of result and
 * error; an error has an integer code, the standard message for it and a
 * string data.reason; the reply's id equals the request's when that id
 * is valid, else null; every hold is released.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/rpc.h"

#define FUZZ_MAX_INPUT (64 * 1024)
#define FUZZ_MAX_PARKED 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rpc_client {
	int holds;
	size_t nreplies;		/* for the current line */
	json_t *reply;			/* the last one, parsed */
};

static struct rpc_ctx *fuzz_parked[FUZZ_MAX_PARKED];
static size_t fuzz_nparked;

static void
fuzz_send(struct rpc_client *cl, const char *text, size_t len)
{
	json_error_t err;
	json_t *r, *e, *v;

	if (strlen(text) != len || memchr(text, '\n', len) != NULL)
		abort();
	if ((r = json_loadb(text, len, 0, &err)) == NULL)
		abort();
	v = json_object_get(r, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		abort();
	if (json_object_get(r, "id") == NULL)
		abort();
	e = json_object_get(r, "error");
	if ((e != NULL) == (json_object_get(r, "result") != NULL))
		abort();
	if (e != NULL) {
		v = json_object_get(e, "code");
		if (!json_is_integer(v))
			abort();
		if (!json_is_string(json_object_get(e, "message")) ||
		    strcmp(json_string_value(json_object_get(e, "message")),
		    rpc_error_message((int)json_integer_value(v))) != 0)
			abort();
		if (!json_is_string(json_object_get(json_object_get(e,
		    "data"), "reason")))
			abort();
	}
	json_decref(cl->reply);
	cl->reply = r;
	cl->nreplies++;
}

static int
fuzz_subscribe(struct rpc_client *cl, const char *const *names, size_t n)
{
	(void)cl;
	(void)names;
	(void)n;
	return 0;
}

static void
fuzz_hold(struct rpc_client *cl)
{
	cl->holds++;
}

static void
fuzz_release(struct rpc_client *cl)
{
	if (--cl->holds < 0)
		abort();
}

static const struct rpc_sink_ops fuzz_ops = {
	.send = fuzz_send,
	.subscribe = fuzz_subscribe,
	.hold = fuzz_hold,
	.release = fuzz_release,
};

static void
fm_echo(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)arg;
	if (params != NULL && !json_is_object(params))
		abort();
	rpc_reply_result(ctx, params ? json_incref(params) : json_null());
}

static void
fm_mut(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	if (!rpc_ctx_caller(ctx)->admin)
		abort();
	rpc_reply_result(ctx, json_true());
}

static void
fm_later(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	if (fuzz_nparked == FUZZ_MAX_PARKED)
		abort();
	fuzz_parked[fuzz_nparked++] = ctx;
}

static void
fm_err(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	const char *s;

	(void)arg;
	s = json_string_value(json_object_get(params, "why"));
	rpc_reply_error(ctx, RPC_DIAL_FAILED, "dial: %s", s ? s : "?");
}

static void
fm_sub(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	rpc_ctx_ops(ctx)->subscribe(rpc_ctx_client(ctx), NULL, 0);
	rpc_reply_result(ctx, json_object());
}

static void
fm_null(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	rpc_reply_result(ctx, NULL);
}

static const struct rpc_method fuzz_methods[] = {
	{ "a.echo", fm_echo, false },
	{ "a.mut", fm_mut, true },
	{ "a.later", fm_later, false },
	{ "a.err", fm_err, false },
	{ "a.sub", fm_sub, false },
	{ "a.null", fm_null, false },
};

/* Is this member set the shape of a valid request (id aside)? */
static bool
fuzz_shape_ok(json_t *req)
{
	json_t *v;
	const char *key;

	v = json_object_get(req, "jsonrpc");
	if (!json_is_string(v) || json_string_length(v) != 3 ||
	    memcmp(json_string_value(v), "2.0", 3) != 0)
		return false;
	v = json_object_get(req, "method");
	if (!json_is_string(v) || json_string_length(v) == 0)
		return false;
	v = json_object_get(req, "params");
	if (v != NULL && !json_is_object(v) && !json_is_array(v))
		return false;
	json_object_foreach(req, key, v) {
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") &&
		    strcmp(key, "params") && strcmp(key, "id"))
			return false;
	}
	return true;
}

static bool
fuzz_id_ok(json_t *id)
{
	return json_is_null(id) || json_is_integer(id) ||
	    (json_is_string(id) && json_string_length(id) <= RPC_MAX_ID_LEN);
}

/* One line: predict, dispatch, answer parked contexts, compare. */
static void
fuzz_line(struct rpc_server *srv, struct rpc_client *cl,
    const struct rpc_caller *caller, const char *line, size_t len)
{
	json_t *req, *id = NULL;
	size_t want = 1, i;

	/*
	 * A NUL byte makes the line a parse error (id null) whatever
	 * jansson would make of the rest: it skips some NULs.
	 */
	req = memchr(line, '\0', len) != NULL ? NULL : json_loadb(line, len,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(req)) {
		id = json_object_get(req, "id");
		if (id == NULL && fuzz_shape_ok(req))
			want = 0;
		if (id != NULL && !fuzz_id_ok(id))
			id = NULL;
	}
	cl->nreplies = 0;
	rpc_dispatch(srv, cl, caller, line, len);
	for (i = 0; i < fuzz_nparked; i++) {
		if (i % 2)
			rpc_reply_error(fuzz_parked[i], RPC_TIMEOUT, "late");
		else
			rpc_reply_result(fuzz_parked[i], json_object());
	}
	fuzz_nparked = 0;
	if (cl->nreplies != want || cl->holds != 0)
		abort();
	if (want == 1) {
		json_t *got = json_object_get(cl->reply, "id");

		if (id != NULL ? !json_equal(got, id) : !json_is_null(got))
			abort();
	}
	json_decref(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_client cl = { 0 };
	struct rpc_server *srv;
	struct rpc_caller caller = { 1, 1000, 1000, false };
	struct rpc_stats st;
	const char *p = (const char *)data, *end, *nl;
	size_t lines = 0;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	srv = rpc_server_new(fuzz_methods,
	    sizeof(fuzz_methods) / sizeof(fuzz_methods[0]), &fuzz_ops, NULL);
	if (srv == NULL)
		abort();
	end = p + size;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		caller.admin = (lines % 2) == 1;
		fuzz_line(srv, &cl, &caller, p, (size_t)(nl - p));
		lines++;
		p = nl + 1;
	}
	rpc_server_stats(srv, &st);
	if (st.requests != lines || st.pending != 0)
		abort();
	rpc_server_free(srv);
	json_decref(cl.reply);
	return 0;
}
