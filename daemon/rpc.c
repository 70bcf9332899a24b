/*
 * rpc.c - the JSON-RPC 2.0 layer of the control protocol.
 *
 * control.c hands every complete request line to rpc_dispatch(), which
 * parses it with jansson, validates the request object (members, id type
 * and size, params shape), looks the method up in the table the daemon
 * registered, checks the caller's right to call a mutating method, and
 * runs the handler with a context (struct rpc_ctx).  The context owns a
 * copy of the id and the caller and holds the client (ops->hold) until the
 * handler answers through rpc_reply_result() or rpc_reply_error(), now or
 * later; a reply to a notification is swallowed.  Errors found here are
 * answered at once.  Every reply is one compact JSON text without newline
 * handed to ops->send; framing, buffering and clients are control.c's.
 *
 * The server is reference-counted by its pending contexts, so the owner
 * may free it while a handler still waits on the network.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "rpc.h"

#define RPC_MAX_NAME_IN_REASON 64	/* bytes of a name quoted in a reason */

struct rpc_server {
	const struct rpc_method *methods;	/* borrowed, static */
	size_t nmethods;
	const struct rpc_sink_ops *ops;		/* borrowed, static */
	void *arg;
	unsigned long refs;		/* the owner (until freed) + contexts */
	struct rpc_stats stats;
};

/*
 * One request waiting for its answer.  id is NULL for a notification
 * (then the answer is swallowed); the client is held from dispatch until
 * the answer, the server likewise.
 */
struct rpc_ctx {
	struct rpc_server *srv;
	struct rpc_client *cl;
	struct rpc_caller caller;
	json_t *id;
};

static const char rpc_oom_text[] = "{\"jsonrpc\":\"2.0\",\"id\":null,"
    "\"error\":{\"code\":-32603,\"message\":\"Internal error\","
    "\"data\":{\"reason\":\"out of memory\"}}}";

static void
rpc_server_unref(struct rpc_server *srv)
{
	if (--srv->refs == 0)
		free(srv);
}

struct rpc_server *
rpc_server_new(const struct rpc_method *methods, size_t nmethods,
    const struct rpc_sink_ops *ops, void *arg)
{
	struct rpc_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->methods = methods;
	srv->nmethods = nmethods;
	srv->ops = ops;
	srv->arg = arg;
	srv->refs = 1;
	return srv;
}

void
rpc_server_free(struct rpc_server *srv)
{
	if (srv == NULL)
		return;
	rpc_server_unref(srv);
}

void
rpc_server_stats(const struct rpc_server *srv, struct rpc_stats *ret)
{
	*ret = srv->stats;
}

const char *
rpc_error_message(int code)
{
	switch (code) {
	case RPC_PARSE_ERROR:
		return "Parse error";
	case RPC_INVALID_REQUEST:
		return "Invalid Request";
	case RPC_METHOD_NOT_FOUND:
		return "Method not found";
	case RPC_INVALID_PARAMS:
		return "Invalid params";
	case RPC_INTERNAL_ERROR:
		return "Internal error";
	case RPC_PEER_LIMIT_REACHED:
		return "PEER_LIMIT_REACHED";
	case RPC_PEER_NOT_FOUND:
		return "PEER_NOT_FOUND";
	case RPC_DIAL_FAILED:
		return "DIAL_FAILED";
	case RPC_TIMEOUT:
		return "TIMEOUT";
	case RPC_PERMISSION_DENIED:
		return "PERMISSION_DENIED";
	case RPC_UNAVAILABLE:
		return "UNAVAILABLE";
	}
	if (code >= -32099 && code <= -32000)
		return "Server error";
	return "Error";
}

int
rpc_code_from_err(int err)
{
	switch (err) {
	case PD_ERR_PEER_LIMIT:
		return RPC_PEER_LIMIT_REACHED;
	case PD_ERR_PEER_NOT_FOUND:
	case PD_ERR_NOT_FOUND:
		return RPC_PEER_NOT_FOUND;
	case PD_ERR_DIAL_FAILED:
		return RPC_DIAL_FAILED;
	case PD_ERR_TIMEOUT:
		return RPC_TIMEOUT;
	case PD_ERR_PERMISSION_DENIED:
		return RPC_PERMISSION_DENIED;
	case PD_ERR_UNAVAILABLE:
		return RPC_UNAVAILABLE;
	case PD_ERR_INVAL:
	case PD_ERR_MALFORMED:
	case PD_ERR_OVERFLOW:
	case PD_ERR_UNSUPPORTED:
		return RPC_INVALID_PARAMS;
	}
	return RPC_INTERNAL_ERROR;
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * bytes there are not one (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF).
 */
static size_t
rpc_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A JSON string for an error reason: at most RPC_MAX_REASON bytes,
 * bytes that do not form UTF-8 replaced by '?'.  NULL on OOM.
 */
static json_t *
rpc_reason_json(const char *reason)
{
	char out[RPC_MAX_REASON + 1];
	const unsigned char *s = (const unsigned char *)reason;
	size_t n = strlen(reason), i = 0, o = 0, len;

	while (i < n) {
		len = rpc_utf8_seq(s + i, n - i);
		if (o + (len ? len : 1) > RPC_MAX_REASON)
			break;
		if (len == 0) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		}
	}
	return json_stringn(out, o);
}

/* Serialize obj (not stolen) and hand it to the sink. */
static void
rpc_send_json(struct rpc_server *srv, struct rpc_client *cl, json_t *obj)
{
	char *text = NULL;

	if (obj != NULL)
		text = json_dumps(obj, JSON_COMPACT);
	if (text == NULL) {
		srv->ops->send(cl, rpc_oom_text, sizeof(rpc_oom_text) - 1);
		return;
	}
	srv->ops->send(cl, text, strlen(text));
	free(text);
}

/* An error response object; id is borrowed (NULL: null).  NULL on OOM. */
static json_t *
rpc_error_json(json_t *id, int code, const char *reason)
{
	json_t *obj, *r;

	if ((r = rpc_reason_json(reason)) == NULL)
		return NULL;
	obj = json_pack("{s:s, s:O, s:{s:i, s:s, s:{s:O}}}",
	    "jsonrpc", "2.0", "id", id ? id : json_null(),
	    "error", "code", code, "message", rpc_error_message(code),
	    "data", "reason", r);
	json_decref(r);
	return obj;
}

/* Send an error with the given id (borrowed; NULL: null). */
static void
rpc_send_error_id(struct rpc_server *srv, struct rpc_client *cl, json_t *id,
    int code, const char *reason)
{
	json_t *obj;

	srv->stats.errors++;
	obj = rpc_error_json(id, code, reason);
	rpc_send_json(srv, cl, obj);
	json_decref(obj);
}

void
rpc_send_error(struct rpc_server *srv, struct rpc_client *cl, int code,
    const char *reason)
{
	rpc_send_error_id(srv, cl, NULL, code, reason);
}

/* Answered: release what the context held and free it. */
static void
rpc_ctx_done(struct rpc_ctx *ctx)
{
	struct rpc_server *srv = ctx->srv;

	srv->stats.pending--;
	json_decref(ctx->id);
	srv->ops->release(ctx->cl);
	free(ctx);
	rpc_server_unref(srv);
}

void
rpc_reply_result(struct rpc_ctx *ctx, json_t *result)
{
	json_t *obj;

	if (result == NULL) {
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR,
		    "the method produced no result (out of memory?)");
		return;
	}
	if (ctx->id == NULL) {
		json_decref(result);
		rpc_ctx_done(ctx);
		return;
	}
	obj = json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id", ctx->id,
	    "result", result);
	json_decref(result);
	if (obj == NULL) {
		rpc_send_error_id(ctx->srv, ctx->cl, ctx->id,
		    RPC_INTERNAL_ERROR, "out of memory");
		rpc_ctx_done(ctx);
		return;
	}
	rpc_send_json(ctx->srv, ctx->cl, obj);
	json_decref(obj);
	rpc_ctx_done(ctx);
}

void
rpc_reply_error(struct rpc_ctx *ctx, int code, const char *fmt, ...)
{
	char reason[RPC_MAX_REASON + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (ctx->id == NULL)
		ctx->srv->stats.errors++;
	else
		rpc_send_error_id(ctx->srv, ctx->cl, ctx->id, code, reason);
	rpc_ctx_done(ctx);
}

struct rpc_client *
rpc_ctx_client(const struct rpc_ctx *ctx)
{
	return ctx->cl;
}

const struct rpc_caller *
rpc_ctx_caller(const struct rpc_ctx *ctx)
{
	return &ctx->caller;
}

void *
rpc_ctx_arg(const struct rpc_ctx *ctx)
{
	return ctx->srv->arg;
}

const struct rpc_sink_ops *
rpc_ctx_ops(const struct rpc_ctx *ctx)
{
	return ctx->srv->ops;
}

/*
 * Check the id member (absent is fine: a notification).  0, or -1 with a
 * reason.
 */
static int
rpc_check_id(json_t *id, char *why, size_t whylen)
{
	if (id == NULL || json_is_null(id) || json_is_integer(id))
		return 0;
	if (json_is_string(id)) {
		if (json_string_length(id) > RPC_MAX_ID_LEN) {
			snprintf(why, whylen, "id string over %d bytes",
			    RPC_MAX_ID_LEN);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "id must be a string, an integer or null");
	return -1;
}

/*
 * Check the request object's shape (everything but the method's
 * existence).  0, or -1 with a reason.
 */
static int
rpc_check_request(json_t *req, char *why, size_t whylen)
{
	json_t *v;
	const char *key;

	v = json_object_get(req, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0 ||
	    json_string_length(v) != 3) {
		snprintf(why, whylen, "jsonrpc must be \"2.0\"");
		return -1;
	}
	v = json_object_get(req, "method");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(why, whylen, "method must be a non-empty string");
		return -1;
	}
	v = json_object_get(req, "params");
	if (v != NULL && !json_is_object(v) && !json_is_array(v)) {
		snprintf(why, whylen, "params must be an object");
		return -1;
	}
	json_object_foreach(req, key, v) {
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "method") != 0 &&
		    strcmp(key, "params") != 0 && strcmp(key, "id") != 0) {
			snprintf(why, whylen, "unknown member \"%.*s\"",
			    RPC_MAX_NAME_IN_REASON, key);
			return -1;
		}
	}
	return 0;
}

static const struct rpc_method *
rpc_find_method(const struct rpc_server *srv, const char *name)
{
	size_t i;

	for (i = 0; i < srv->nmethods; i++)
		if (strcmp(srv->methods[i].name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

/* Parse one line; NULL after answering a parse error. */
static json_t *
rpc_parse(struct rpc_server *srv, struct rpc_client *cl, const char *line,
    size_t len)
{
	json_error_t err;
	char why[RPC_MAX_REASON];
	json_t *req;

	req = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &err);
	if (req != NULL)
		return req;
	if (json_error_code(&err) == json_error_numeric_overflow) {
		snprintf(why, sizeof(why), "number out of range at byte %d "
		    "(integers must fit in 64 bits)", err.position);
		rpc_send_error(srv, cl, RPC_INVALID_REQUEST, why);
	} else if (json_error_code(&err) == json_error_out_of_memory) {
		rpc_send_error(srv, cl, RPC_INTERNAL_ERROR, "out of memory");
	} else {
		snprintf(why, sizeof(why), "%s at byte %d", err.text,
		    err.position);
		rpc_send_error(srv, cl, RPC_PARSE_ERROR, why);
	}
	return NULL;
}

/* An error for a valid request: answered, or counted for a notification. */
static void
rpc_fail(struct rpc_server *srv, struct rpc_client *cl, json_t *id, int code,
    const char *reason)
{
	if (id == NULL)
		srv->stats.errors++;
	else
		rpc_send_error_id(srv, cl, id, code, reason);
}

/*
 * Everything after a valid request shape: the method, the caller's
 * right, params, then the handler.  id is NULL for a notification.
 */
static void
rpc_run(struct rpc_server *srv, struct rpc_client *cl,
    const struct rpc_caller *caller, json_t *req, json_t *id)
{
	const char *name = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	const struct rpc_method *m;
	struct rpc_ctx *ctx;
	char why[RPC_MAX_REASON];

	if ((m = rpc_find_method(srv, name)) == NULL) {
		snprintf(why, sizeof(why), "no method \"%.*s\"",
		    RPC_MAX_NAME_IN_REASON, name);
		rpc_fail(srv, cl, id, RPC_METHOD_NOT_FOUND, why);
		return;
	}
	if (m->mutating && !caller->admin) {
		snprintf(why, sizeof(why), "%s changes the daemon's state; "
		    "uid %ld is not root, the daemon's user or a member of "
		    "control.admin_group", m->name, (long)caller->uid);
		rpc_fail(srv, cl, id, RPC_PERMISSION_DENIED, why);
		return;
	}
	if (json_is_array(params)) {
		rpc_fail(srv, cl, id, RPC_INVALID_PARAMS, "params must be an "
		    "object (by-name); positional params are not supported");
		return;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		rpc_fail(srv, cl, id, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ctx->srv = srv;
	ctx->cl = cl;
	ctx->caller = *caller;
	ctx->id = id ? json_incref(id) : NULL;
	srv->refs++;
	srv->stats.pending++;
	srv->ops->hold(cl);
	m->fn(ctx, params, srv->arg);
}

void
rpc_dispatch(struct rpc_server *srv, struct rpc_client *cl,
    const struct rpc_caller *caller, const char *line, size_t len)
{
	char why[RPC_MAX_REASON];
	json_t *req, *id;

	srv->stats.requests++;
	if (len > RPC_MAX_LINE) {
		rpc_send_error(srv, cl, RPC_INVALID_REQUEST,
		    "request line over 1 MiB");
		return;
	}
	/* JSON text never holds a raw NUL; jansson would skip some. */
	if (memchr(line, '\0', len) != NULL) {
		rpc_send_error(srv, cl, RPC_PARSE_ERROR,
		    "NUL byte in the request line");
		return;
	}
	if ((req = rpc_parse(srv, cl, line, len)) == NULL)
		return;
	if (json_is_array(req)) {
		rpc_send_error(srv, cl, RPC_INVALID_REQUEST,
		    "batch requests are not supported");
		goto out;
	}
	if (!json_is_object(req)) {
		rpc_send_error(srv, cl, RPC_INVALID_REQUEST,
		    "request is not a JSON object");
		goto out;
	}
	id = json_object_get(req, "id");
	if (rpc_check_id(id, why, sizeof(why)) < 0) {
		rpc_send_error(srv, cl, RPC_INVALID_REQUEST, why);
		goto out;
	}
	if (rpc_check_request(req, why, sizeof(why)) < 0) {
		rpc_send_error_id(srv, cl, id, RPC_INVALID_REQUEST, why);
		goto out;
	}
	if (id == NULL)
		srv->stats.notifications++;
	rpc_run(srv, cl, caller, req, id);
out:
	json_decref(req);
}

char *
rpc_event_text(const char *type, json_t *params, size_t *ret_len)
{
	json_t *obj = NULL, *p = NULL, *v;
	const char *key;
	char *text = NULL;

	if (params != NULL && !json_is_object(params))
		return NULL;
	if ((p = json_object()) == NULL ||
	    json_object_set_new(p, "type", json_string(type)) < 0)
		goto out;
	if (params != NULL) {
		json_object_foreach(params, key, v) {
			if (strcmp(key, "type") != 0 &&
			    json_object_set(p, key, v) < 0)
				goto out;
		}
	}
	if ((obj = json_object()) == NULL ||
	    json_object_set_new(obj, "jsonrpc", json_string("2.0")) < 0 ||
	    json_object_set_new(obj, "method", json_string("event")) < 0 ||
	    json_object_set(obj, "params", p) < 0)
		goto out;
	if ((text = json_dumps(obj, JSON_COMPACT)) != NULL)
		*ret_len = strlen(text);
out:
	json_decref(obj);
	json_decref(p);
	return text;
}
