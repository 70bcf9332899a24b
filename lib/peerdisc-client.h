/*
 * peerdisc-client.h - talk to a running peerdiscd over its control socket
 * (the JSON-RPC 2.0 protocol of peerdisc-control(7)).
 *
 * A small blocking client for local applications and for peerdiscctl:
 * connect to the Unix socket, call methods, and read the event
 * notifications that follow an "events.subscribe".  Every operation waits
 * with poll() for at most the timeout it is given; nothing runs in the
 * background and no threads or signals are used.  One struct pd_client
 * must not be used from two threads at once; separate clients are
 * independent.
 *
 * JSON values are jansson's json_t, so this header includes <jansson.h>
 * and programs using it link with -ljansson as well as -lpeerdisc
 * (pkg-config --cflags --libs libpeerdisc jansson).
 *
 * Return values: 0 on success; PD_CLIENT_RPC_ERROR (a positive value)
 * when the daemon answered with a JSON-RPC error; a negative value for a
 * transport failure: -errno from the system (e.g. -ENOENT: no socket,
 * -ECONNREFUSED: no daemon behind it, -EACCES: socket permissions) or one
 * of the PD_CLIENT_ERR_* codes below.  pd_client_strerror() names them.
 */
#ifndef PD_PEERDISC_CLIENT_H
#define PD_PEERDISC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open connection to the daemon (opaque). */
struct pd_client;

/*
 * Negative transport errors.  They have the values of the library-wide
 * PD_ERR_* codes of the same name, so one pd_strerror() table covers both.
 */
#define PD_CLIENT_ERR_NOMEM (-10000)	/* out of memory */
#define PD_CLIENT_ERR_INVAL (-9999)	/* bad argument from the caller */
#define PD_CLIENT_ERR_OVERFLOW (-9997)	/* line or path over its limit */
#define PD_CLIENT_ERR_MALFORMED (-9995)	/* the daemon sent something that
					   is not JSON-RPC */
#define PD_CLIENT_ERR_TIMEOUT (-9986)	/* no answer within the timeout */
#define PD_CLIENT_ERR_NOT_FOUND (-9982)	/* no such socket candidate */
#define PD_CLIENT_ERR_CLOSED (-9980)	/* the daemon closed the connection */

/* pd_client_call()'s result when the daemon answered with an error. */
#define PD_CLIENT_RPC_ERROR 1

/* JSON-RPC error codes the daemon uses (peerdisc-control(7)). */
#define PD_CLIENT_RPC_PARSE_ERROR (-32700)
#define PD_CLIENT_RPC_INVALID_REQUEST (-32600)
#define PD_CLIENT_RPC_METHOD_NOT_FOUND (-32601)
#define PD_CLIENT_RPC_INVALID_PARAMS (-32602)
#define PD_CLIENT_RPC_INTERNAL_ERROR (-32603)
#define PD_CLIENT_RPC_PEER_LIMIT_REACHED (-32001)
#define PD_CLIENT_RPC_PEER_NOT_FOUND (-32002)
#define PD_CLIENT_RPC_DIAL_FAILED (-32003)
#define PD_CLIENT_RPC_TIMEOUT (-32004)
#define PD_CLIENT_RPC_PERMISSION_DENIED (-32005)
#define PD_CLIENT_RPC_UNAVAILABLE (-32006)

/* Limits. */
#define PD_CLIENT_MAX_LINE (1024 * 1024)  /* bytes per request line sent,
					     without the newline */
#define PD_CLIENT_MAX_REPLY (64 * 1024 * 1024) /* bytes per line read:
					     peers.list of a big store */
#define PD_CLIENT_MAX_EVENTS 1024	/* queued notifications; when full
					   the oldest is dropped */
#define PD_CLIENT_MAX_METHOD 128	/* bytes in a method name */
#define PD_CLIENT_PATH_MAX 108		/* socket path incl. NUL (sun_path) */
#define PD_CLIENT_MESSAGE_MAX 256	/* error message kept, incl. NUL */
#define PD_CLIENT_REASON_MAX 512	/* error data.reason kept, incl. NUL */

/* The daemon's answer when a call fails with PD_CLIENT_RPC_ERROR. */
struct pd_client_error {
	int code;				/* e.g. -32002 */
	char message[PD_CLIENT_MESSAGE_MAX];	/* "error.message" */
	char reason[PD_CLIENT_REASON_MAX];	/* "error.data.reason", or "" */
};

/*
 * The idx-th socket path (idx from 0) that pd_client_connect(NULL, ...)
 * tries, written NUL-terminated into buf:
 *   $PEERDISC_SOCKET if set (the only candidate); else
 *   /run/peerdisc/control.sock for root (the only one; it is also where
 *   the daemon's socket is under systemd); else, for other users, first
 *   the daemon's per-user default:
 *   $XDG_RUNTIME_DIR/peerdisc/control.sock, or without XDG_RUNTIME_DIR
 *   $XDG_STATE_HOME/peerdisc/control.sock, or
 *   ~/.local/state/peerdisc/control.sock; then the system daemon's
 *   /run/peerdisc/control.sock.
 * Relative XDG values are ignored, as the XDG spec says.
 * Returns 0, PD_CLIENT_ERR_NOT_FOUND when there is no idx-th candidate
 * (or no home directory to build one), or PD_CLIENT_ERR_OVERFLOW when the
 * path does not fit len or PD_CLIENT_PATH_MAX bytes.
 */
int pd_client_socket_path(unsigned int idx, char *buf, size_t len);

/*
 * Connect to the daemon's socket at path, or, with path NULL, to the
 * first candidate of pd_client_socket_path() whose socket file exists
 * (a missing file moves on to the next candidate; any other failure
 * stops).  timeout_ms bounds the connect (< 0: no bound).  On failure a
 * human-readable reason naming the path(s) tried goes into why (may be
 * NULL).  Returns 0 and a new client in *ret_client (free it with
 * pd_client_close()), or a negative error; *ret_client is untouched then.
 */
int pd_client_connect(const char *path, int timeout_ms, char *why,
    size_t whylen, struct pd_client **ret_client);

/* The socket path the client is connected to (valid until close). */
const char *pd_client_path(const struct pd_client *client);

/*
 * Call method with params (a JSON object or array, borrowed; NULL for
 * none) and wait at most timeout_ms (< 0: no bound) for its answer,
 * matched by the request id (ids are generated by the client).
 * Notifications that arrive meanwhile are queued for
 * pd_client_next_event(); answers to earlier, timed-out calls are
 * discarded.
 *   0: *ret_result is a new reference to the result (json_decref it);
 *      ret_result may be NULL if the result is not wanted.
 *   PD_CLIENT_RPC_ERROR: the daemon answered with an error, described in
 *      *ret_error (may be NULL).
 *   < 0: transport failure.  After PD_CLIENT_ERR_TIMEOUT (unless it hit
 *      while the request was only partly sent) or a malformed answer the
 *      connection stays usable; after PD_CLIENT_ERR_CLOSED,
 *      PD_CLIENT_ERR_OVERFLOW (an answer line over PD_CLIENT_MAX_REPLY) or
 *      a system error every later call fails with the same error.
 * An answer with "id": null and an error (the daemon could not parse the
 * request) is taken as the answer to the pending call.  Signals do not
 * cut a call short (the wait resumes until the deadline).
 */
int pd_client_call(struct pd_client *client, const char *method,
    json_t *params, int timeout_ms, json_t **ret_result,
    struct pd_client_error *ret_error);

/*
 * The next event notification: queued ones first, else wait at most
 * timeout_ms (0: only look, < 0: no bound) for one.  Returns 0 and a new
 * reference to the notification's params (an object with "type") in
 * *ret_event; PD_CLIENT_ERR_TIMEOUT when none came; PD_CLIENT_ERR_CLOSED
 * once the daemon has closed and the queue is empty; -EINTR when a signal
 * interrupted the wait (so a program can stop on SIGINT); other errors as
 * for pd_client_call().
 */
int pd_client_next_event(struct pd_client *client, int timeout_ms,
    json_t **ret_event);

/* Notifications dropped because the queue was full, since connect. */
uint64_t pd_client_events_dropped(const struct pd_client *client);

/* Close the connection, drop queued events and free the client.
 * NULL is a no-op. */
void pd_client_close(struct pd_client *client);

/*
 * A static description of any value the functions above return
 * (0, PD_CLIENT_RPC_ERROR, PD_CLIENT_ERR_* or -errno).  Never NULL.
 */
const char *pd_client_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
