/*
 * control.h - the control socket server (peerdisc-control(7)): a Unix
 * SOCK_STREAM listener, one bufferevent per client, newline framing,
 * SO_PEERCRED, output caps and event fan-out.  Each request line goes to
 * rpc_dispatch() (rpc.h); the handlers are the daemon's method table.
 */
#ifndef PD_DAEMON_CONTROL_H
#define PD_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct event_base;
struct rpc_method;
struct ctl;

#define CTL_DEFAULT_MAX_CLIENTS 256	/* connected clients */
#define CTL_DEFAULT_OUTPUT_MAX (4 * 1024 * 1024) /* bytes buffered per client */
#define CTL_OUTPUT_HIGH (256 * 1024)	/* stop reading requests above this */
#define CTL_MAX_SUBSCRIPTIONS 16	/* event names per client */
#define CTL_MAX_EVENT_NAME 64		/* bytes of one event name */
#define CTL_MAX_GROUPS 65536		/* supplementary groups read per peer */
#define CTL_ACCEPT_PAUSE_MS 1000	/* accept pause after EMFILE/ENFILE */
#define CTL_BACKLOG 64			/* listen(2) backlog */
#define CTL_GID_NONE ((gid_t)-1)	/* no control.admin_group */

/*
 * How to listen.  path is borrowed for ctl_new() (copied).  With
 * listen_fd >= 0 (socket activation) that fd, already bound and
 * listening, is used and, if ctl_new() succeeds, owned (closed by
 * ctl_free()); nothing is created, chmod'ed or unlinked, and path only
 * names it in logs.  Zero max_clients or output_max means the default.
 */
struct ctl_config {
	const char *path;		/* control.socket */
	unsigned int mode;		/* control.socket_mode, e.g. 0660 */
	gid_t admin_gid;		/* admin group, or CTL_GID_NONE */
	uid_t daemon_uid;		/* the daemon's own (effective) uid */
	size_t max_clients;		/* 0: CTL_DEFAULT_MAX_CLIENTS */
	size_t output_max;		/* 0: CTL_DEFAULT_OUTPUT_MAX */
	int listen_fd;			/* -1: create the socket at path */
};

/* Counters and gauges for the metrics method. */
struct ctl_stats {
	size_t clients;			/* connected now (gauge) */
	unsigned long long accepted;	/* connections taken */
	unsigned long long refused;	/* closed at once: max_clients */
	unsigned long long evicted;	/* idle clients closed at the cap */
	unsigned long long dropped;	/* cut off: output over its cap */
	unsigned long long oversize;	/* request lines over RPC_MAX_LINE */
	unsigned long long events;	/* notifications queued (per client) */
	unsigned long long accept_pauses; /* EMFILE/ENFILE pauses */
	unsigned long long requests;	/* request lines dispatched (rpc) */
	unsigned long long notifications; /* requests without id (rpc) */
	unsigned long long errors;	/* error outcomes (rpc) */
	unsigned long long pending;	/* replies outstanding (rpc, gauge) */
};

/*
 * Defaults: mode 0660, no admin group, daemon_uid = geteuid(), default
 * caps, listen_fd -1; path is set to the argument (borrowed).
 */
void ctl_config_init(struct ctl_config *cfg, const char *path);

/*
 * Listen on cfg->path and serve methods[0..n) (borrowed, static) with
 * method_arg as the handlers' arg.  An existing socket file that nobody
 * answers on is stale and replaced; one that answers means "another
 * peerdiscd is running on PATH" and is an error, as is a path that
 * exists and is not a socket.  The socket is created under umask 077,
 * then chmod'ed to cfg->mode and, with an admin group, chown'ed to that
 * group so its members can connect.  Returns NULL with a reason in why
 * on failure (nothing left behind).
 */
struct ctl *ctl_new(struct event_base *base, const struct ctl_config *cfg,
    const struct rpc_method *methods, size_t n, void *method_arg,
    char *why, size_t whylen);
/*
 * Close the listener and every client, and unlink the socket if ctl_new
 * created it (and it is still the same file).  Replies still pending in
 * handlers stay valid and are dropped when made.  NULL is a no-op.  Not
 * to be called from inside a method handler.
 */
void ctl_free(struct ctl *ctl);
/*
 * Send the notification for event type (params: an object or NULL,
 * borrowed) to every client subscribed to type.  A client whose output
 * would pass its cap is disconnected (one log line).  Returns the number
 * of clients it was queued for.
 */
size_t ctl_broadcast(struct ctl *ctl, const char *type, json_t *params);
/* Clients connected now. */
size_t ctl_client_count(const struct ctl *ctl);
/* Copy the counters (including the rpc layer's). */
void ctl_get_stats(const struct ctl *ctl, struct ctl_stats *ret);

/*
 * The admin decision (design.md): root, the daemon's uid, or a member of
 * the admin group (primary gid or one of groups[0..ngroups)); nobody else
 * when admin_gid is CTL_GID_NONE.
 */
bool ctl_caller_is_admin(uid_t uid, gid_t gid, const gid_t *groups,
    size_t ngroups, uid_t daemon_uid, gid_t admin_gid);
/*
 * Parse the "Groups:" line of a /proc/PID/status text (the fallback when
 * SO_PEERGROUPS is unavailable) into groups[0..max).  Returns the number
 * found (at most max), or -1 when the line is missing or malformed.
 */
int ctl_parse_proc_groups(const char *status, size_t len, gid_t *groups,
    size_t max);

#endif
