/*
 * rpc.h - the JSON-RPC 2.0 layer of the control protocol
 * (peerdisc-control(7), design.md "Control protocol").
 *
 * control.c owns sockets, framing and clients; for each complete line it
 * calls rpc_dispatch(), which parses and validates the request, checks the
 * caller's right to call a mutating method, and runs the method's handler.
 * Handlers live in rpc-*.c and answer exactly once, now or later, with
 * rpc_reply_result() or rpc_reply_error(); the context stays valid until
 * then even if the client goes away (the reply is then dropped).
 */
#ifndef PD_DAEMON_RPC_H
#define PD_DAEMON_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* JSON-RPC and peerdisc error codes (design.md). */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
#define RPC_PEER_LIMIT_REACHED -32001
#define RPC_PEER_NOT_FOUND -32002
#define RPC_DIAL_FAILED -32003
#define RPC_TIMEOUT -32004
#define RPC_PERMISSION_DENIED -32005
#define RPC_UNAVAILABLE -32006

#define RPC_MAX_LINE (1024 * 1024)	/* bytes per request line */
#define RPC_MAX_ID_LEN 256		/* bytes of a string id */
#define RPC_MAX_REASON 512		/* bytes of error.data.reason */

struct rpc_ctx;
struct rpc_client;

/* Who is calling, from SO_PEERCRED, and whether they may mutate. */
struct rpc_caller {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;		/* root, the daemon's uid, or admin_group */
};

/*
 * A method handler.  params is the request's "params" (an object, or NULL
 * when absent; borrowed for the call).  It must call rpc_reply_result() or
 * rpc_reply_error() exactly once, during the call or later.
 */
typedef void (*rpc_handler_fn)(struct rpc_ctx *ctx, json_t *params,
    void *arg);

struct rpc_method {
	const char *name;
	rpc_handler_fn fn;
	bool mutating;		/* needs rpc_caller.admin */
};

/*
 * Where replies and notifications go: control.c implements these for a
 * socket client; tests and the fuzz target use an in-memory sink.
 */
struct rpc_sink_ops {
	/*
	 * Send one complete JSON text (without the newline); dropped when
	 * cl is gone.  May disconnect cl (output over its cap).
	 */
	void (*send)(struct rpc_client *cl, const char *text, size_t len);
	/*
	 * Subscribe cl to events: names (NULL = all) are added to its set
	 * until it goes away.  0, or a negative PD_ERR_* (PD_ERR_OVERFLOW:
	 * too many or too long names; PD_ERR_NOMEM; PD_ERR_CLOSED: gone).
	 */
	int (*subscribe)(struct rpc_client *cl, const char *const *names,
	    size_t n);
	/* Keep cl alive while a reply is pending (refcount). */
	void (*hold)(struct rpc_client *cl);
	void (*release)(struct rpc_client *cl);
};

struct rpc_server;

/* Counters for the metrics method (monotonic since rpc_server_new). */
struct rpc_stats {
	unsigned long long requests;	/* lines given to rpc_dispatch */
	unsigned long long notifications; /* valid requests without id */
	unsigned long long errors;	/* error outcomes (sent or swallowed) */
	unsigned long long pending;	/* contexts not yet answered (gauge) */
};

/*
 * Create the dispatcher over a method table (borrowed, static) and sink
 * ops (borrowed, static).  NULL on OOM.
 */
struct rpc_server *rpc_server_new(const struct rpc_method *methods,
    size_t nmethods, const struct rpc_sink_ops *ops, void *arg);
/*
 * Drop the owner's reference; NULL is a no-op.  Contexts still waiting
 * for their reply keep the server alive until they are answered (their
 * replies still go through ops->send, which drops them for a gone client).
 */
void rpc_server_free(struct rpc_server *srv);
/*
 * Handle one request line (without the newline) from cl.  Every outcome
 * is a reply through ops->send: a parse error (-32700), an invalid request
 * (-32600), unknown method (-32601), PERMISSION_DENIED, or the method's
 * own answer.  Notifications (valid requests without an "id" member) get
 * no reply, not even an error; invalid requests are always answered.
 * Rules: the line is one JSON object (an array is a batch: -32600, not
 * supported) with exactly the members jsonrpc ("2.0"), method (non-empty
 * string), optional params (an object; an array is -32602 because only
 * by-name params are supported, any other type -32600) and optional id
 * (a string of at most RPC_MAX_ID_LEN bytes, an integer, or null; a
 * fractional number, another type or a longer string is -32600 with id
 * null).  A number outside the 64-bit range anywhere is -32600; duplicate
 * keys are -32700.  Then unknown method -32601, mutating method and
 * !caller->admin -32005, else the handler runs (synchronously, from here).
 */
void rpc_dispatch(struct rpc_server *srv, struct rpc_client *cl,
    const struct rpc_caller *caller, const char *line, size_t len);
/*
 * Send an error not tied to a parsed request (id null), e.g. control.c's
 * "request line over 1 MiB".  reason is plain text (invalid UTF-8 is
 * replaced).
 */
void rpc_send_error(struct rpc_server *srv, struct rpc_client *cl, int code,
    const char *reason);
/* Copy the counters. */
void rpc_server_stats(const struct rpc_server *srv, struct rpc_stats *ret);

/*
 * Reply helpers for handlers; each frees ctx (and releases the client),
 * so exactly one of them is called once per context.  result is stolen
 * (json_decref'd); a NULL result (a failed json_pack) becomes -32603.
 * The reason is printf-formatted, cut at RPC_MAX_REASON bytes, and bytes
 * that are not UTF-8 become '?'; message is rpc_error_message(code).
 */
void rpc_reply_result(struct rpc_ctx *ctx, json_t *result);
void rpc_reply_error(struct rpc_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * The standard message for a code: "Parse error", ..., "PEER_NOT_FOUND",
 * ...; "Server error" for other codes in -32099..-32000, else "Error".
 */
const char *rpc_error_message(int code);
/*
 * The RPC code for a PD_ERR_* (or -errno) returned by the library:
 * PD_ERR_PEER_LIMIT -> -32001, PEER_NOT_FOUND/NOT_FOUND -> -32002,
 * DIAL_FAILED -> -32003, TIMEOUT -> -32004, PERMISSION_DENIED -> -32005,
 * UNAVAILABLE -> -32006, INVAL/MALFORMED/OVERFLOW/UNSUPPORTED -> -32602,
 * anything else -32603.
 */
int rpc_code_from_err(int err);
/* The client the request came from (for events.subscribe). */
struct rpc_client *rpc_ctx_client(const struct rpc_ctx *ctx);
const struct rpc_caller *rpc_ctx_caller(const struct rpc_ctx *ctx);
/* The arg given to rpc_server_new(). */
void *rpc_ctx_arg(const struct rpc_ctx *ctx);
/* The server's sink ops (to subscribe the client). */
const struct rpc_sink_ops *rpc_ctx_ops(const struct rpc_ctx *ctx);

/*
 * Build a notification {"jsonrpc":"2.0","method":"event","params":{"type":
 * type, ...params}} as compact text without newline.  params (an object
 * or NULL) is borrowed; a "type" member in it is ignored.  Returns a heap
 * string (free()) and its length in *ret_len, or NULL on OOM or when type
 * is not valid UTF-8 or params is not an object.
 */
char *rpc_event_text(const char *type, json_t *params, size_t *ret_len);

#endif
