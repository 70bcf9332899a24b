/*
 * control.c - the control socket: a Unix SOCK_STREAM listener on
 * control.socket, one bufferevent per client, "\n"-framed JSON-RPC lines
 * handed to rpc_dispatch(), replies and event notifications written back.
 *
 * main.c creates one struct ctl on the daemon's event base with the
 * method table (rpc-*.c) and calls ctl_broadcast() for manager events.
 *
 * Startup follows OpenNTPD/httpd: a socket file that nobody answers on is
 * stale and replaced, one that answers means another daemon is running,
 * and the socket is created under a restrictive umask before its mode and
 * group are set.  Accept errors are sorted as in lib/net/tcp.c: running
 * out of descriptors pauses accepting for a second, or until a client
 * goes away.  Beyond max_clients a connection is closed at once.
 *
 * Per client (tmux control.c): the read callback loops over complete
 * lines; a line over RPC_MAX_LINE is answered with -32600 and the rest of
 * it is discarded up to the next newline, so the connection stays usable.
 * While more than CTL_OUTPUT_HIGH bytes of replies wait to be written,
 * reading stops (a pipelining client that does not read cannot make us
 * buffer without bound); a message that would push buffered output past
 * output_max disconnects the client (a subscriber that never reads).  On
 * EOF the remaining requests are answered, then the connection closes.
 *
 * Clients are reference-counted: one reference while connected, one per
 * reply the rpc layer still owes (ops->hold), and one on the stack around
 * any work that may lose the client.  Losing a client closes its socket
 * at once; the struct is freed when the last reference goes, which is
 * never inside a function still using it.  A reply for a lost client is
 * dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "core/error.h"
#include "core/log.h"
#include "core/time.h"
#include "control.h"
#include "rpc.h"

#define CTL_PROC_STATUS_MAX (64 * 1024)	/* bytes of /proc/PID/status read */
#define CTL_GROUPS_FIRST 64		/* groups asked for before ERANGE */
#define CTL_LINES_PER_TURN 32		/* requests answered per client turn */
#define CTL_PARTIAL_TIMEOUT_S 10	/* an unfinished line is dropped after */
#define CTL_EVICT_IDLE_MS 2000		/* at the cap, idle this long: evicted */

/*
 * A connected client; the rpc layer knows it as an opaque struct
 * rpc_client.  Once dead, bev and ctl are NULL and only the references
 * keep it (for replies that are then dropped).
 */
struct rpc_client {
	TAILQ_ENTRY(rpc_client) entry;	/* in ctl->clients while !dead */
	struct ctl *ctl;		/* NULL once dead */
	struct bufferevent *bev;	/* NULL once dead */
	struct rpc_caller caller;	/* SO_PEERCRED at accept */
	unsigned long id;		/* for log lines */
	unsigned int refs;		/* connected + pending + stack */
	unsigned int pending;		/* replies the rpc layer owes */
	bool dead;			/* lost: no more I/O */
	bool eof;			/* peer shut down its side */
	bool paused;			/* not reading: output over high */
	bool discarding;		/* skipping an over-long line */
	bool sub_all;			/* subscribed to every event */
	struct event *more_ev;		/* more lines to answer, next turn */
	bool throttled;			/* not reading until more_ev ran */
	struct event *partial_ev;	/* a partial line waits too long */
	int64_t last_line_ms;		/* mono ms: accepted / last line */
	size_t nsubs;
	char *subs[CTL_MAX_SUBSCRIPTIONS];	/* owned event names */
};

TAILQ_HEAD(ctl_clients, rpc_client);

struct ctl {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *resume_ev;	/* armed while accept is paused */
	struct rpc_server *srv;
	struct ctl_clients clients;
	size_t nclients;
	size_t max_clients;
	size_t output_max;		/* bytes buffered per client */
	size_t output_high;		/* stop reading requests above */
	uid_t daemon_uid;
	gid_t admin_gid;
	char *path;			/* owned copy */
	bool created;			/* we made path: unlink it at free */
	dev_t dev;			/* ... if it is still this file */
	ino_t ino;
	bool accept_paused;
	bool refusing;			/* at max_clients: logged once */
	unsigned long next_id;
	struct ctl_stats stats;		/* rpc fields filled on demand */
};

static void ctl_client_process(struct rpc_client *cl);

static void
ctl_client_ref(struct rpc_client *cl)
{
	cl->refs++;
}

static void
ctl_client_unref(struct rpc_client *cl)
{
	size_t i;

	if (--cl->refs > 0)
		return;
	for (i = 0; i < cl->nsubs; i++)
		free(cl->subs[i]);
	free(cl);
}

static void
ctl_resume_accept(struct ctl *ctl)
{
	if (!ctl->accept_paused)
		return;
	evtimer_del(ctl->resume_ev);
	ctl->accept_paused = false;
	evconnlistener_enable(ctl->lev);
}

/* Close the client's socket and unlink it; the struct lives on refs. */
static void
ctl_client_lose(struct rpc_client *cl)
{
	struct ctl *ctl = cl->ctl;

	if (cl->dead)
		return;
	PD_LOG_DEBUG("control client %lu gone", cl->id);
	cl->dead = true;
	TAILQ_REMOVE(&ctl->clients, cl, entry);
	ctl->nclients--;
	bufferevent_free(cl->bev);
	cl->bev = NULL;
	if (cl->more_ev != NULL)
		event_free(cl->more_ev);
	if (cl->partial_ev != NULL)
		event_free(cl->partial_ev);
	cl->more_ev = cl->partial_ev = NULL;
	cl->ctl = NULL;
	ctl_resume_accept(ctl);		/* a descriptor is free again */
	ctl_client_unref(cl);		/* the connection's reference */
}

/* Queue one line of output, or drop the client when over its cap. */
static void
ctl_client_send(struct rpc_client *cl, const char *text, size_t len)
{
	struct evbuffer *out;
	size_t buffered;

	if (cl->dead)
		return;
	out = bufferevent_get_output(cl->bev);
	buffered = evbuffer_get_length(out);
	if (buffered > 0 && (len >= cl->ctl->output_max ||
	    buffered > cl->ctl->output_max - len - 1)) {
		cl->ctl->stats.dropped++;
		PD_LOG_INFO("control client %lu (pid %ld uid %ld) does not "
		    "read its output (%zu bytes waiting, cap %zu); "
		    "disconnecting", cl->id, (long)cl->caller.pid,
		    (long)cl->caller.uid, buffered, cl->ctl->output_max);
		ctl_client_lose(cl);
		return;
	}
	if (evbuffer_add(out, text, len) < 0 ||
	    evbuffer_add(out, "\n", 1) < 0) {
		PD_LOG_WARN("control client %lu: out of memory; "
		    "disconnecting", cl->id);
		ctl_client_lose(cl);
	}
}

/* Once the peer has shut down its side: close when all is answered. */
static void
ctl_client_linger(struct rpc_client *cl)
{
	if (cl->dead || !cl->eof || cl->paused || cl->pending > 0)
		return;
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) > 0)
		return;			/* the write callback comes back */
	ctl_client_lose(cl);
}

static bool
ctl_line_is_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

/* Take len bytes (and drain skip more) from in and dispatch them. */
static void
ctl_client_dispatch(struct rpc_client *cl, struct evbuffer *in, size_t len,
    size_t skip)
{
	struct ctl *ctl = cl->ctl;
	char *line;

	if ((line = malloc(len + 1)) == NULL) {
		evbuffer_drain(in, len + skip);
		rpc_send_error(ctl->srv, cl, RPC_INTERNAL_ERROR,
		    "out of memory");
		return;
	}
	evbuffer_remove(in, line, len);
	evbuffer_drain(in, skip);
	line[len] = '\0';
	if (!ctl_line_is_blank(line, len))
		rpc_dispatch(ctl->srv, cl, &cl->caller, line, len);
	free(line);
}

/* A line over RPC_MAX_LINE: answer it and count it. */
static void
ctl_client_oversize(struct rpc_client *cl)
{
	cl->ctl->stats.oversize++;
	PD_LOG_DEBUG("control client %lu: request line over %d bytes",
	    cl->id, RPC_MAX_LINE);
	rpc_send_error(cl->ctl->srv, cl, RPC_INVALID_REQUEST,
	    "request line over 1 MiB");
}

/*
 * Handle one step of input: a complete line, an over-long partial line,
 * or the last unterminated line after EOF.  false when nothing more can
 * be done now.
 */
static bool
ctl_client_step(struct rpc_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	size_t avail = evbuffer_get_length(in), eol_len = 0;
	struct evbuffer_ptr p;

	if (avail == 0)
		return false;
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) >
	    cl->ctl->output_high) {
		cl->paused = true;
		bufferevent_disable(cl->bev, EV_READ);
		return false;
	}
	p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (p.pos < 0 && cl->partial_ev != NULL && !cl->eof &&
	    !evtimer_pending(cl->partial_ev, NULL)) {
		struct timeval tv = { CTL_PARTIAL_TIMEOUT_S, 0 };

		evtimer_add(cl->partial_ev, &tv);
	} else if (p.pos >= 0 && cl->partial_ev != NULL) {
		evtimer_del(cl->partial_ev);
		cl->last_line_ms = pd_time_mono_ms();
	}
	if (p.pos < 0) {
		if (cl->discarding) {
			evbuffer_drain(in, avail);
		} else if (avail > RPC_MAX_LINE) {
			ctl_client_oversize(cl);
			cl->discarding = true;
			if (!cl->dead)
				evbuffer_drain(in, avail);
		} else if (cl->eof) {
			ctl_client_dispatch(cl, in, avail, 0);
		}
		return false;
	}
	if (cl->discarding) {
		evbuffer_drain(in, (size_t)p.pos + eol_len);
		cl->discarding = false;
	} else if ((size_t)p.pos > RPC_MAX_LINE) {
		evbuffer_drain(in, (size_t)p.pos + eol_len);
		ctl_client_oversize(cl);
	} else {
		ctl_client_dispatch(cl, in, (size_t)p.pos, eol_len);
	}
	return true;
}

/*
 * Dispatch the complete lines we may handle now, at most
 * CTL_LINES_PER_TURN: a client that pipelined thousands of requests gets
 * the rest answered on later loop turns, so others are not kept waiting.
 */
static void
ctl_client_process(struct rpc_client *cl)
{
	int n = 0;

	ctl_client_ref(cl);
	while (!cl->dead && !cl->paused && n < CTL_LINES_PER_TURN &&
	    ctl_client_step(cl))
		n++;
	if (n == CTL_LINES_PER_TURN && !cl->dead && !cl->paused &&
	    cl->more_ev != NULL) {
		/*
		 * A timer, not event_active: it runs after the next poll.
		 * Meanwhile read no more, so the input cannot pile up.
		 */
		struct timeval now = { 0, 0 };

		if (!cl->throttled && !cl->eof) {
			cl->throttled = true;
			bufferevent_disable(cl->bev, EV_READ);
		}
		evtimer_add(cl->more_ev, &now);
	}
	ctl_client_linger(cl);
	ctl_client_unref(cl);
}

static void
ctl_more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->throttled) {
		cl->throttled = false;
		if (!cl->paused && !cl->eof && !cl->dead)
			bufferevent_enable(cl->bev, EV_READ);
	}
	ctl_client_process(cl);
}

/* A partial line sat for CTL_PARTIAL_TIMEOUT_S: the client goes. */
static void
ctl_partial_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_client *cl = arg;

	(void)fd;
	(void)what;
	PD_LOG_DEBUG("control client %lu: no end of line in %d s; closing",
	    cl->id, CTL_PARTIAL_TIMEOUT_S);
	ctl_client_lose(cl);
}

/*
 * At the client cap: make room by closing the client that has been idle
 * longest, if it has been idle CTL_EVICT_IDLE_MS, subscribes to nothing
 * and is owed no reply, so idle connections cannot lock everyone out.
 */
static bool
ctl_evict_idle(struct ctl *ctl)
{
	struct rpc_client *cl, *victim = NULL;
	int64_t now = pd_time_mono_ms();

	TAILQ_FOREACH(cl, &ctl->clients, entry)
		if (cl->nsubs == 0 && !cl->sub_all && cl->pending == 0 &&
		    now - cl->last_line_ms >= CTL_EVICT_IDLE_MS &&
		    (victim == NULL || cl->last_line_ms < victim->last_line_ms))
			victim = cl;
	if (victim == NULL)
		return false;
	ctl->stats.evicted++;
	PD_LOG_DEBUG("control client %lu: idle at the client limit; closing",
	    victim->id);
	ctl_client_lose(victim);
	return true;
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	ctl_client_process(arg);
}

/* All output written (low watermark 0): resume reading, or finish. */
static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct rpc_client *cl = arg;

	if (!cl->paused) {
		ctl_client_ref(cl);
		ctl_client_linger(cl);
		ctl_client_unref(cl);
		return;
	}
	cl->paused = false;
	if (!cl->eof)
		bufferevent_enable(bev, EV_READ);
	ctl_client_process(cl);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rpc_client *cl = arg;

	ctl_client_ref(cl);
	if (what & BEV_EVENT_EOF) {
		cl->eof = true;
		bufferevent_disable(bev, EV_READ);
		ctl_client_process(cl);
	} else if (what & BEV_EVENT_ERROR) {
		PD_LOG_DEBUG("control client %lu: %s", cl->id,
		    strerror(EVUTIL_SOCKET_ERROR()));
		ctl_client_lose(cl);
	}
	ctl_client_unref(cl);
}

bool
ctl_caller_is_admin(uid_t uid, gid_t gid, const gid_t *groups,
    size_t ngroups, uid_t daemon_uid, gid_t admin_gid)
{
	size_t i;

	if (uid == 0 || uid == daemon_uid)
		return true;
	if (admin_gid == CTL_GID_NONE)
		return false;
	if (gid == admin_gid)
		return true;
	for (i = 0; i < ngroups; i++)
		if (groups[i] == admin_gid)
			return true;
	return false;
}

int
ctl_parse_proc_groups(const char *status, size_t len, gid_t *groups,
    size_t max)
{
	static const char tag[] = "Groups:";
	const char *p = status, *end = status + len;
	size_t n = 0;

	/* find "Groups:" at the start of a line */
	for (;;) {
		if ((size_t)(end - p) >= sizeof(tag) - 1 &&
		    memcmp(p, tag, sizeof(tag) - 1) == 0)
			break;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		p++;
	}
	p += sizeof(tag) - 1;
	for (;;) {
		unsigned long long v = 0;
		const char *start;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p == '\n')
			return (int)n;
		start = p;
		while (p < end && *p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
			if (v > 0xffffffffULL)
				return -1;
			p++;
		}
		if (p == start || (p < end && *p != ' ' && *p != '\t' &&
		    *p != '\n'))
			return -1;
		if (n < max)
			groups[n++] = (gid_t)v;
	}
}

/* Supplementary groups of the peer from /proc (SO_PEERGROUPS fallback). */
static gid_t *
ctl_proc_groups(pid_t pid, size_t *ret_n)
{
	char path[64], *text;
	gid_t *groups;
	ssize_t len;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	text = malloc(CTL_PROC_STATUS_MAX);
	groups = calloc(CTL_MAX_GROUPS, sizeof(*groups));
	len = text ? read(fd, text, CTL_PROC_STATUS_MAX) : -1;
	close(fd);
	if (groups == NULL || len <= 0 || (n = ctl_parse_proc_groups(text,
	    (size_t)len, groups, CTL_MAX_GROUPS)) < 0) {
		free(text);
		free(groups);
		return NULL;
	}
	free(text);
	*ret_n = (size_t)n;
	return groups;
}

/* Supplementary groups of the peer at connect time, or NULL. */
static gid_t *
ctl_peer_groups(int fd, pid_t pid, size_t *ret_n)
{
	socklen_t len = CTL_GROUPS_FIRST * sizeof(gid_t);
	gid_t *groups;

	for (;;) {
		if ((groups = malloc(len ? len : sizeof(gid_t))) == NULL)
			return NULL;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0)
			break;
		free(groups);
		if (errno == ENOPROTOOPT)
			return ctl_proc_groups(pid, ret_n);
		if (errno != ERANGE || len > CTL_MAX_GROUPS * sizeof(gid_t))
			return NULL;
	}
	*ret_n = len / sizeof(gid_t);
	return groups;
}

/* Who is on the other end of fd, and may they mutate? */
static void
ctl_peer_caller(const struct ctl *ctl, int fd, struct rpc_caller *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t *groups = NULL;
	size_t ngroups = 0;

	memset(ret, 0, sizeof(*ret));
	ret->uid = (uid_t)-1;
	ret->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 ||
	    len != sizeof(uc)) {
		PD_LOG_DEBUG("SO_PEERCRED: %s", strerror(errno));
		return;
	}
	ret->pid = uc.pid;
	ret->uid = uc.uid;
	ret->gid = uc.gid;
	if (!ctl_caller_is_admin(uc.uid, uc.gid, NULL, 0, ctl->daemon_uid,
	    ctl->admin_gid) && ctl->admin_gid != CTL_GID_NONE)
		groups = ctl_peer_groups(fd, uc.pid, &ngroups);
	ret->admin = ctl_caller_is_admin(uc.uid, uc.gid, groups, ngroups,
	    ctl->daemon_uid, ctl->admin_gid);
	free(groups);
}

static void
ctl_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ctl *ctl = arg;
	struct rpc_client *cl;

	(void)lev;
	(void)sa;
	(void)salen;
	if (ctl->nclients >= ctl->max_clients && !ctl_evict_idle(ctl)) {
		ctl->stats.refused++;
		if (!ctl->refusing)
			PD_LOG_WARN("control: %zu clients connected, the "
			    "limit; refusing new ones", ctl->nclients);
		ctl->refusing = true;
		close(fd);
		return;
	}
	if (ctl->refusing)
		PD_LOG_INFO("control: accepting clients again (%llu refused "
		    "so far)", ctl->stats.refused);
	ctl->refusing = false;
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->bev = bufferevent_socket_new(ctl->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		PD_LOG_WARN("control: out of memory; closing a new client");
		free(cl);
		close(fd);
		return;
	}
	ctl_peer_caller(ctl, fd, &cl->caller);
	cl->more_ev = evtimer_new(ctl->base, ctl_more_cb, cl);
	cl->partial_ev = evtimer_new(ctl->base, ctl_partial_cb, cl);
	cl->last_line_ms = pd_time_mono_ms();
	cl->ctl = ctl;
	cl->refs = 1;
	cl->id = ++ctl->next_id;
	TAILQ_INSERT_TAIL(&ctl->clients, cl, entry);
	ctl->nclients++;
	ctl->stats.accepted++;
	bufferevent_setcb(cl->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb,
	    cl);
	bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	PD_LOG_DEBUG("control client %lu: pid %ld uid %ld gid %ld%s", cl->id,
	    (long)cl->caller.pid, (long)cl->caller.uid, (long)cl->caller.gid,
	    cl->caller.admin ? " (admin)" : "");
}

static void
ctl_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_resume_accept(arg);
}

static void
ctl_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ctl *ctl = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { CTL_ACCEPT_PAUSE_MS / 1000,
	    (CTL_ACCEPT_PAUSE_MS % 1000) * 1000 };

	switch (err) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* or libevent spins on the readable listening socket */
		if (!ctl->accept_paused) {
			PD_LOG_WARN("control: accept: %s; pausing new clients "
			    "for %d ms", strerror(err), CTL_ACCEPT_PAUSE_MS);
			evconnlistener_disable(lev);
			ctl->accept_paused = true;
			ctl->stats.accept_pauses++;
			evtimer_add(ctl->resume_ev, &tv);
		}
		return;
	default:
		PD_LOG_WARN("control: accept: %s", strerror(err));
		return;
	}
}

/* Fill a sockaddr_un for path; -1 when it does not fit. */
static int
ctl_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

/*
 * Deal with whatever is at path already: nothing or a stale socket (0,
 * removed), a live one or anything else (-1 with why).
 */
static int
ctl_check_existing(const char *path, const struct sockaddr_un *sun,
    char *why, size_t whylen)
{
	struct stat st;
	int fd, r, err;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot check %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "%s exists and is not a socket; remove "
		    "it or set control.socket to another path", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	err = errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EINPROGRESS) {
		snprintf(why, whylen, "another peerdiscd is running on %s",
		    path);
		return -1;
	}
	if (err == ENOENT)
		return 0;		/* gone meanwhile */
	if (err != ECONNREFUSED) {
		snprintf(why, whylen, "cannot check %s: %s", path,
		    strerror(err));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(why, whylen, "cannot remove the stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	PD_LOG_INFO("control: removed the stale socket %s", path);
	return 0;
}

/* Create, bind, chown, chmod and listen; the fd, or -1 with why. */
static int
ctl_create_socket(struct ctl *ctl, const struct ctl_config *cfg, char *why,
    size_t whylen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, r, err;

	if (ctl_sockaddr(cfg->path, &sun) < 0) {
		snprintf(why, whylen, "socket path too long (max %zu "
		    "bytes): %s", sizeof(sun.sun_path) - 1, cfg->path);
		return -1;
	}
	if (ctl_check_existing(cfg->path, &sun, why, whylen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	umask(old);
	if (r < 0) {
		snprintf(why, whylen, "cannot bind %s: %s", cfg->path,
		    strerror(err));
		close(fd);
		return -1;
	}
	if (lstat(cfg->path, &st) == 0) {
		ctl->created = true;
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if (cfg->admin_gid != CTL_GID_NONE &&
	    chown(cfg->path, (uid_t)-1, cfg->admin_gid) < 0) {
		snprintf(why, whylen, "cannot give %s to group %ld "
		    "(control.admin_group): %s", cfg->path,
		    (long)cfg->admin_gid, strerror(errno));
		goto fail;
	}
	if (chmod(cfg->path, cfg->mode) < 0) {
		snprintf(why, whylen, "cannot chmod %s to %04o: %s",
		    cfg->path, cfg->mode, strerror(errno));
		goto fail;
	}
	if (listen(fd, CTL_BACKLOG) < 0) {
		snprintf(why, whylen, "cannot listen on %s: %s", cfg->path,
		    strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Vet an inherited listening fd (socket activation, peerdiscd.socket): a
 * listening AF_UNIX SOCK_STREAM socket, made non-blocking and close-on-
 * exec.  Its file mode and group are the socket unit's (SocketMode=,
 * SocketGroup=), not control.socket_mode.
 */
static int
ctl_check_fd(int fd, char *why, size_t whylen)
{
	int val = 0, domain = 0, type = 0;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) < 0 ||
	    val == 0) {
		snprintf(why, whylen, "fd %d is not a listening socket", fd);
		return -1;
	}
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    domain != AF_UNIX) {
		snprintf(why, whylen, "fd %d is not a Unix socket", fd);
		return -1;
	}
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM) {
		snprintf(why, whylen, "fd %d is not a stream socket", fd);
		return -1;
	}
	if (evutil_make_socket_nonblocking(fd) < 0 ||
	    evutil_make_socket_closeonexec(fd) < 0) {
		snprintf(why, whylen, "fd %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

static void
ctl_sink_send(struct rpc_client *cl, const char *text, size_t len)
{
	ctl_client_send(cl, text, len);
}

static bool
ctl_client_has_sub(const struct rpc_client *cl, const char *name)
{
	size_t i;

	for (i = 0; i < cl->nsubs; i++)
		if (strcmp(cl->subs[i], name) == 0)
			return true;
	return false;
}

/* Add names to cl's set, all or nothing. */
static int
ctl_sink_subscribe(struct rpc_client *cl, const char *const *names,
    size_t n)
{
	char *add[CTL_MAX_SUBSCRIPTIONS];
	size_t nadd = 0, i, j;
	bool dup;

	if (cl->dead)
		return PD_ERR_CLOSED;
	if (names == NULL) {
		cl->sub_all = true;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strlen(names[i]) > CTL_MAX_EVENT_NAME)
			goto overflow;
		dup = ctl_client_has_sub(cl, names[i]);
		for (j = 0; j < nadd && !dup; j++)
			dup = strcmp(add[j], names[i]) == 0;
		if (dup)
			continue;
		if (cl->nsubs + nadd == CTL_MAX_SUBSCRIPTIONS)
			goto overflow;
		if ((add[nadd] = strdup(names[i])) == NULL) {
			for (j = 0; j < nadd; j++)
				free(add[j]);
			return PD_ERR_NOMEM;
		}
		nadd++;
	}
	memcpy(cl->subs + cl->nsubs, add, nadd * sizeof(add[0]));
	cl->nsubs += nadd;
	return 0;
overflow:
	for (j = 0; j < nadd; j++)
		free(add[j]);
	return PD_ERR_OVERFLOW;
}

static void
ctl_sink_hold(struct rpc_client *cl)
{
	ctl_client_ref(cl);
	cl->pending++;
}

static void
ctl_sink_release(struct rpc_client *cl)
{
	cl->pending--;
	ctl_client_linger(cl);
	ctl_client_unref(cl);
}

static const struct rpc_sink_ops ctl_sink_ops = {
	.send = ctl_sink_send,
	.subscribe = ctl_sink_subscribe,
	.hold = ctl_sink_hold,
	.release = ctl_sink_release,
};

void
ctl_config_init(struct ctl_config *cfg, const char *path)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = path;
	cfg->mode = 0660;
	cfg->admin_gid = CTL_GID_NONE;
	cfg->daemon_uid = geteuid();
	cfg->listen_fd = -1;
}

struct ctl *
ctl_new(struct event_base *base, const struct ctl_config *cfg,
    const struct rpc_method *methods, size_t n, void *method_arg,
    char *why, size_t whylen)
{
	struct ctl *ctl;
	int fd;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = strdup(cfg->path)) == NULL ||
	    (ctl->resume_ev = evtimer_new(base, ctl_resume_cb, ctl)) == NULL ||
	    (ctl->srv = rpc_server_new(methods, n, &ctl_sink_ops,
	    method_arg)) == NULL) {
		snprintf(why, whylen, "out of memory");
		ctl_free(ctl);
		return NULL;
	}
	ctl->base = base;
	TAILQ_INIT(&ctl->clients);
	ctl->max_clients = cfg->max_clients ? cfg->max_clients :
	    CTL_DEFAULT_MAX_CLIENTS;
	ctl->output_max = cfg->output_max ? cfg->output_max :
	    CTL_DEFAULT_OUTPUT_MAX;
	ctl->output_high = ctl->output_max / 2 < CTL_OUTPUT_HIGH ?
	    ctl->output_max / 2 : CTL_OUTPUT_HIGH;
	ctl->daemon_uid = cfg->daemon_uid;
	ctl->admin_gid = cfg->admin_gid;
	if (cfg->listen_fd >= 0) {
		if (ctl_check_fd(cfg->listen_fd, why, whylen) < 0) {
			ctl_free(ctl);
			return NULL;
		}
		fd = cfg->listen_fd;
	} else if ((fd = ctl_create_socket(ctl, cfg, why, whylen)) < 0) {
		ctl_free(ctl);
		return NULL;
	}
	ctl->lev = evconnlistener_new(base, ctl_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (ctl->lev == NULL) {
		snprintf(why, whylen, "cannot listen on %s: %s", cfg->path,
		    strerror(errno));
		if (cfg->listen_fd < 0)
			close(fd);
		ctl_free(ctl);
		return NULL;
	}
	evconnlistener_set_error_cb(ctl->lev, ctl_accept_error_cb);
	PD_LOG_INFO("control socket %s%s", ctl->path,
	    cfg->listen_fd >= 0 ? " (inherited)" : "");
	return ctl;
}

void
ctl_free(struct ctl *ctl)
{
	struct stat st;

	if (ctl == NULL)
		return;
	if (ctl->lev != NULL)
		evconnlistener_free(ctl->lev);
	ctl->lev = NULL;
	while (!TAILQ_EMPTY(&ctl->clients))
		ctl_client_lose(TAILQ_FIRST(&ctl->clients));
	if (ctl->resume_ev != NULL)
		event_free(ctl->resume_ev);
	rpc_server_free(ctl->srv);
	if (ctl->created && lstat(ctl->path, &st) == 0 &&
	    st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		(void)unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

size_t
ctl_broadcast(struct ctl *ctl, const char *type, json_t *params)
{
	struct rpc_client *cl, *next;
	size_t len, n = 0;
	char *text;

	if (TAILQ_EMPTY(&ctl->clients))
		return 0;
	if ((text = rpc_event_text(type, params, &len)) == NULL) {
		PD_LOG_WARN("control: cannot build the %s notification",
		    type);
		return 0;
	}
	for (cl = TAILQ_FIRST(&ctl->clients); cl != NULL; cl = next) {
		next = TAILQ_NEXT(cl, entry);
		if (!cl->sub_all && !ctl_client_has_sub(cl, type))
			continue;
		ctl_client_ref(cl);
		ctl_client_send(cl, text, len);
		if (!cl->dead) {
			ctl->stats.events++;
			n++;
		}
		ctl_client_unref(cl);
	}
	free(text);
	return n;
}

size_t
ctl_client_count(const struct ctl *ctl)
{
	return ctl->nclients;
}

void
ctl_get_stats(const struct ctl *ctl, struct ctl_stats *ret)
{
	struct rpc_stats rs;

	*ret = ctl->stats;
	ret->clients = ctl->nclients;
	rpc_server_stats(ctl->srv, &rs);
	ret->requests = rs.requests;
	ret->notifications = rs.notifications;
	ret->errors = rs.errors;
	ret->pending = rs.pending;
}
