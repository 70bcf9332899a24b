/*
 * client.c - the control-protocol client library (peerdisc-client.h):
 * a blocking JSON-RPC 2.0 client over the daemon's Unix socket, one JSON
 * object per line each way (design.md "Control protocol").
 *
 * Used by peerdiscctl and by local applications.  The client owns one
 * non-blocking socket, an input buffer that holds at most one line of
 * PD_CLIENT_MAX_LINE bytes plus its newline, and a bounded ring of event
 * notifications that arrived while a call was waiting for its answer.
 * Every wait is a poll() against an absolute deadline on the monotonic
 * clock, so a call's timeout covers sending and receiving together.
 * It keeps no global state: the socket path rules read the environment
 * at the time of the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"
#include "core/error.h"
#include "peerdisc-client.h"

_Static_assert(PD_CLIENT_ERR_NOMEM == PD_ERR_NOMEM, "code mismatch");
_Static_assert(PD_CLIENT_ERR_INVAL == PD_ERR_INVAL, "code mismatch");
_Static_assert(PD_CLIENT_ERR_OVERFLOW == PD_ERR_OVERFLOW, "code mismatch");
_Static_assert(PD_CLIENT_ERR_MALFORMED == PD_ERR_MALFORMED, "code mismatch");
_Static_assert(PD_CLIENT_ERR_TIMEOUT == PD_ERR_TIMEOUT, "code mismatch");
_Static_assert(PD_CLIENT_ERR_NOT_FOUND == PD_ERR_NOT_FOUND, "code mismatch");
_Static_assert(PD_CLIENT_ERR_CLOSED == PD_ERR_CLOSED, "code mismatch");
_Static_assert(PD_CLIENT_PATH_MAX <= sizeof(((struct sockaddr_un *)0)->sun_path),
    "PD_CLIENT_PATH_MAX must fit sun_path");

#define CLIENT_SYSTEM_SOCKET "/run/peerdisc/control.sock"
#define CLIENT_SOCKET_NAME "control.sock"
#define CLIENT_READ_CHUNK 65536		/* bytes asked of one read() */
#define CLIENT_BUF_INITIAL 4096		/* first input buffer size */
#define CLIENT_BUF_MAX (PD_CLIENT_MAX_REPLY + 1)	/* one line + '\n' */
#define CLIENT_MAX_CANDIDATES 2		/* socket paths tried at most */

/*
 * One connection.  Invariants: buf[0..len) holds received bytes not yet
 * taken as lines; buf[0..scanned) is known to contain no '\n'; len never
 * exceeds CLIENT_BUF_MAX.  The events ring holds nevents references
 * starting at ev_head.  Once failed is non-zero the socket is unusable
 * and every call returns it (events already queued can still be taken).
 */
struct pd_client {
	int fd;
	char path[PD_CLIENT_PATH_MAX];
	int64_t next_id;		/* id of the next request, from 1 */
	char *buf;
	size_t len, cap, scanned;
	bool eof;			/* the daemon closed its side */
	int failed;			/* sticky error, 0 while usable */
	json_t *events[PD_CLIENT_MAX_EVENTS];
	size_t ev_head, nevents;
	uint64_t dropped;		/* events lost to a full ring */
};

static void
client_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
client_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The absolute deadline for a relative timeout (-1: none). */
static int64_t
client_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : (int64_t)pd_time_mono_ms() + timeout_ms;
}

/* The poll() timeout left until deadline (-1: none, 0: passed). */
static int
client_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - (int64_t)pd_time_mono_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* ----- socket path rules ----- */

static bool
client_abs(const char *s)
{
	return s != NULL && s[0] == '/';
}

/* "dir/name" into buf; 0 or PD_ERR_OVERFLOW. */
static int
client_join(char *buf, size_t len, const char *dir, size_t dirlen,
    const char *name)
{
	int n;

	while (dirlen > 1 && dir[dirlen - 1] == '/')
		dirlen--;
	if (dirlen == 1 && dir[0] == '/')
		dirlen = 0;
	n = snprintf(buf, len, "%.*s/%s", (int)dirlen, dir, name);
	if (n < 0 || (size_t)n >= len || (size_t)n >= PD_CLIENT_PATH_MAX)
		return PD_ERR_OVERFLOW;
	return 0;
}

/* The non-root per-user default, as the daemon computes it (paths.c). */
static int
client_user_socket(char *buf, size_t len)
{
	const char *xdg_run = getenv("XDG_RUNTIME_DIR");
	const char *xdg_state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[PD_CLIENT_PATH_MAX];
	int r;

	if (client_abs(xdg_run))
		r = client_join(dir, sizeof(dir), xdg_run, strlen(xdg_run),
		    "peerdisc");
	else if (client_abs(xdg_state))
		r = client_join(dir, sizeof(dir), xdg_state,
		    strlen(xdg_state), "peerdisc");
	else {
		if (home == NULL || home[0] == '\0') {
			struct passwd *pw = getpwuid(geteuid());

			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (!client_abs(home))
			return PD_ERR_NOT_FOUND;
		r = client_join(dir, sizeof(dir), home, strlen(home),
		    ".local/state/peerdisc");
	}
	if (r < 0)
		return r;
	return client_join(buf, len, dir, strlen(dir), CLIENT_SOCKET_NAME);
}

/* Copy s into buf as a whole path; 0 or PD_ERR_OVERFLOW. */
static int
client_copy_path(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n >= len || n >= PD_CLIENT_PATH_MAX)
		return PD_ERR_OVERFLOW;
	memcpy(buf, s, n + 1);
	return 0;
}

int
pd_client_socket_path(unsigned int idx, char *buf, size_t len)
{
	const char *env = getenv("PEERDISC_SOCKET");
	char tmp[PD_CLIENT_PATH_MAX];
	int r;

	if (buf == NULL || len == 0)
		return PD_ERR_INVAL;
	if (env != NULL && env[0] != '\0')
		return idx > 0 ? PD_ERR_NOT_FOUND :
		    client_copy_path(buf, len, env);
	/*
	 * $RUNTIME_DIRECTORY is not used: in a client it names the calling
	 * service's directory, not the daemon's (which is the system path).
	 */
	if (geteuid() == 0)
		return idx > 0 ? PD_ERR_NOT_FOUND :
		    client_copy_path(buf, len, CLIENT_SYSTEM_SOCKET);
	/* another user: the daemon's per-user default, then the system's */
	if (idx == 1)
		return client_copy_path(buf, len, CLIENT_SYSTEM_SOCKET);
	if (idx > 1)
		return PD_ERR_NOT_FOUND;
	r = client_user_socket(tmp, sizeof(tmp));
	return r < 0 ? r : client_copy_path(buf, len, tmp);
}

/* ----- connecting ----- */

/* Connect a new socket to path within timeout_ms; the fd or -errno. */
static int
client_connect_path(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timeval tv;
	size_t n = strlen(path);
	int fd, e;

	if (n == 0)
		return -ENOENT;
	if (n >= sizeof(sun.sun_path) || n >= PD_CLIENT_PATH_MAX)
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * A Unix-socket connect either completes at once or blocks while
	 * the listener's backlog is full; Linux bounds that wait by the
	 * send timeout, and reports its expiry as EAGAIN.
	 */
	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			tv.tv_usec = 1000;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		e = errno == EAGAIN || errno == EINPROGRESS ? PD_ERR_TIMEOUT :
		    -errno;
		close(fd);
		return e;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int
pd_client_connect(const char *path, int timeout_ms, char *why,
    size_t whylen, struct pd_client **ret_client)
{
	char cand[CLIENT_MAX_CANDIDATES][PD_CLIENT_PATH_MAX];
	size_t ncand = 0, used = 0;
	struct pd_client *c;
	int fd = PD_ERR_NOT_FOUND, r;
	size_t i;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (ret_client == NULL)
		return PD_ERR_INVAL;
	if (path != NULL) {
		if (strlen(path) >= PD_CLIENT_PATH_MAX) {
			client_why(why, whylen, "socket path too long (at most "
			    "%d bytes)", PD_CLIENT_PATH_MAX - 1);
			return PD_ERR_OVERFLOW;
		}
		snprintf(cand[0], sizeof(cand[0]), "%s", path);
		ncand = 1;
	} else {
		for (i = 0; i < CLIENT_MAX_CANDIDATES; i++) {
			r = pd_client_socket_path((unsigned int)i, cand[ncand],
			    sizeof(cand[ncand]));
			if (r == PD_ERR_NOT_FOUND)
				break;
			if (r == 0)
				ncand++;
			else if (i == 0) {
				client_why(why, whylen, "cannot build the "
				    "default socket path: %s", pd_strerror(r));
				return r;
			}
		}
		if (ncand == 0) {
			client_why(why, whylen, "no socket path: set "
			    "PEERDISC_SOCKET or HOME");
			return PD_ERR_NOT_FOUND;
		}
	}
	for (i = 0; i < ncand; i++) {
		fd = client_connect_path(cand[i], timeout_ms);
		if (why != NULL && whylen > 0) {
			size_t at = strlen(why);

			if (at + 1 < whylen)
				client_why(why + at, whylen - at, "%s%s: %s",
				    at > 0 ? "; " : "", cand[i],
				    pd_client_strerror(fd >= 0 ? 0 : fd));
		}
		used = i;
		if (fd != -ENOENT)
			break;
	}
	if (fd < 0)
		return fd;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(CLIENT_BUF_INITIAL)) == NULL) {
		free(c);
		close(fd);
		client_why(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	c->fd = fd;
	c->cap = CLIENT_BUF_INITIAL;
	c->next_id = 1;
	memcpy(c->path, cand[used], sizeof(c->path));
	*ret_client = c;
	return 0;
}

const char *
pd_client_path(const struct pd_client *client)
{
	return client->path;
}

/* ----- reading lines ----- */

/*
 * Read what the socket has into buf, waiting until deadline for at least
 * something.  0 when bytes (or EOF) arrived, PD_ERR_TIMEOUT, -EINTR when
 * intr and a signal came, or a sticky error.
 */
static int
client_fill(struct pd_client *c, int64_t deadline, bool intr)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	size_t want;
	ssize_t n;
	int r;

	if (c->len == c->cap) {
		size_t ncap = c->cap * 2 > CLIENT_BUF_MAX ? CLIENT_BUF_MAX :
		    c->cap * 2;
		char *nbuf = realloc(c->buf, ncap);

		if (nbuf == NULL)
			return PD_ERR_NOMEM;	/* not sticky: nothing lost */
		c->buf = nbuf;
		c->cap = ncap;
	}
	for (;;) {
		n = read(c->fd, c->buf + c->len, (want = c->cap - c->len) >
		    CLIENT_READ_CHUNK ? CLIENT_READ_CHUNK : want);
		if (n > 0) {
			c->len += (size_t)n;
			return 0;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return c->failed = PD_ERR_CLOSED;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return c->failed = -errno;
		r = poll(&pfd, 1, client_left(deadline));
		if (r == 0)
			return PD_ERR_TIMEOUT;
		if (r < 0 && errno == EINTR) {
			if (intr)
				return -EINTR;
			continue;
		}
		if (r < 0)
			return c->failed = -errno;
	}
}

/*
 * The next complete line, without its '\n', NUL-terminated in place and
 * valid until the next read; *ret_len is its length.  The caller must
 * call client_consume() after using it.  Errors as client_fill(), plus
 * PD_ERR_CLOSED at EOF and PD_ERR_OVERFLOW for a line over the limit
 * (both sticky).
 */
static int
client_line(struct pd_client *c, int64_t deadline, bool intr,
    char **ret_line, size_t *ret_len)
{
	char *nl;
	int r;

	if (c->failed != 0)
		return c->failed;
	for (;;) {
		nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
		if (nl != NULL) {
			*nl = '\0';
			*ret_line = c->buf;
			*ret_len = (size_t)(nl - c->buf);
			return 0;
		}
		c->scanned = c->len;
		if (c->len >= CLIENT_BUF_MAX)
			return c->failed = PD_ERR_OVERFLOW;
		if (c->eof)
			return c->failed = PD_ERR_CLOSED;
		r = client_fill(c, deadline, intr);
		if (r < 0)
			return r;
	}
}

/* Drop the line of length len (plus its '\n') from the buffer. */
static void
client_consume(struct pd_client *c, size_t len)
{
	memmove(c->buf, c->buf + len + 1, c->len - len - 1);
	c->len -= len + 1;
	c->scanned = 0;
}

/* ----- messages ----- */

/* Queue a notification's params; the oldest goes when full. */
static void
client_queue_event(struct pd_client *c, json_t *params)
{
	if (c->nevents == PD_CLIENT_MAX_EVENTS) {
		json_decref(c->events[c->ev_head]);
		c->ev_head = (c->ev_head + 1) % PD_CLIENT_MAX_EVENTS;
		c->nevents--;
		c->dropped++;
	}
	c->events[(c->ev_head + c->nevents) % PD_CLIENT_MAX_EVENTS] =
	    json_incref(params);
	c->nevents++;
}

/*
 * Read and classify one message.  A notification "event" with object
 * params is queued and *ret_msg set to NULL; any other notification is
 * ignored likewise.  A response is returned in *ret_msg (a new
 * reference).  PD_ERR_MALFORMED for a line that is not a JSON object of
 * either kind (the line is consumed; the stream stays usable).
 */
static int
client_read_message(struct pd_client *c, int64_t deadline, bool intr,
    json_t **ret_msg)
{
	json_error_t jerr;
	json_t *msg, *method, *params;
	char *line = NULL;
	size_t len = 0;
	int r;

	*ret_msg = NULL;
	r = client_line(c, deadline, intr, &line, &len);
	if (r < 0)
		return r;
	/* jansson allows trailing whitespace (a \r too), nothing else */
	msg = len == 0 ? NULL : json_loadb(line, len, 0, &jerr);
	client_consume(c, len);
	if (len == 0)
		return 0;			/* blank line: nothing */
	if (msg == NULL || !json_is_object(msg)) {
		json_decref(msg);
		return PD_ERR_MALFORMED;
	}
	method = json_object_get(msg, "method");
	if (method != NULL) {
		params = json_object_get(msg, "params");
		if (json_object_get(msg, "id") == NULL &&
		    json_is_string(method) &&
		    strcmp(json_string_value(method), "event") == 0 &&
		    json_is_object(params))
			client_queue_event(c, params);
		json_decref(msg);
		return 0;
	}
	*ret_msg = msg;
	return 0;
}

/* Copy a JSON string into a fixed buffer, truncating. */
static void
client_copy_string(char *dst, size_t dstlen, json_t *s)
{
	snprintf(dst, dstlen, "%s", json_is_string(s) ?
	    json_string_value(s) : "");
}

/*
 * Whether msg answers request id: its id equals it, or it is an error
 * about an unparseable request (id null).
 */
static bool
client_answers(json_t *msg, int64_t id)
{
	json_t *jid = json_object_get(msg, "id");

	if (json_is_integer(jid))
		return json_integer_value(jid) == id;
	return json_is_null(jid) && json_object_get(msg, "error") != NULL;
}

/* Turn the answer into the call's outcome. */
static int
client_outcome(json_t *msg, json_t **ret_result,
    struct pd_client_error *ret_error)
{
	json_t *result = json_object_get(msg, "result");
	json_t *error = json_object_get(msg, "error");
	json_t *code, *data;

	if ((result == NULL) == (error == NULL))
		return PD_ERR_MALFORMED;
	if (result != NULL) {
		if (ret_result != NULL)
			*ret_result = json_incref(result);
		return 0;
	}
	code = json_object_get(error, "code");
	if (!json_is_object(error) || !json_is_integer(code) ||
	    json_integer_value(code) < -2147483647 ||
	    json_integer_value(code) > 2147483647)
		return PD_ERR_MALFORMED;
	if (ret_error != NULL) {
		memset(ret_error, 0, sizeof(*ret_error));
		ret_error->code = (int)json_integer_value(code);
		client_copy_string(ret_error->message,
		    sizeof(ret_error->message),
		    json_object_get(error, "message"));
		data = json_object_get(error, "data");
		if (json_is_string(data))
			client_copy_string(ret_error->reason,
			    sizeof(ret_error->reason), data);
		else
			client_copy_string(ret_error->reason,
			    sizeof(ret_error->reason),
			    json_object_get(data, "reason"));
	}
	return PD_CLIENT_RPC_ERROR;
}

/* ----- writing ----- */

/* Send all of text plus '\n' before deadline. */
static int
client_send(struct pd_client *c, const char *text, size_t len,
    int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	struct iovec iov[2];
	struct msghdr mh;
	size_t total = len + 1, done = 0;
	ssize_t n;
	int r;

	while (done < total) {
		memset(&mh, 0, sizeof(mh));
		if (done < len) {
			iov[0].iov_base = (char *)text + done;
			iov[0].iov_len = len - done;
			iov[1].iov_base = (char *)"\n";
			iov[1].iov_len = 1;
			mh.msg_iovlen = 2;
		} else {
			iov[0].iov_base = (char *)"\n";
			iov[0].iov_len = 1;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return c->failed = PD_ERR_CLOSED;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return c->failed = -errno;
		r = poll(&pfd, 1, client_left(deadline));
		if (r == 0) {
			/* a partial request would corrupt the stream */
			if (done > 0)
				c->failed = PD_ERR_TIMEOUT;
			return PD_ERR_TIMEOUT;
		}
		if (r < 0 && errno != EINTR)
			return c->failed = -errno;
	}
	return 0;
}

/* The request text for method/params with id; NULL on OOM. */
static char *
client_request(const char *method, json_t *params, int64_t id)
{
	json_t *req;
	char *text;

	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id",
	    (json_int_t)id, "method", method);
	if (req == NULL)
		return NULL;
	if (params != NULL && json_object_set(req, "params", params) < 0) {
		json_decref(req);
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return text;
}

/* ----- the API ----- */

int
pd_client_call(struct pd_client *c, const char *method, json_t *params,
    int timeout_ms, json_t **ret_result, struct pd_client_error *ret_error)
{
	int64_t deadline = client_deadline(timeout_ms), id;
	json_t *msg;
	char *text;
	size_t len;
	int r;

	if (c == NULL || method == NULL || method[0] == '\0' ||
	    strlen(method) > PD_CLIENT_MAX_METHOD ||
	    (params != NULL && !json_is_object(params) &&
	    !json_is_array(params)))
		return PD_ERR_INVAL;
	if (c->failed != 0)
		return c->failed;
	id = c->next_id++;
	text = client_request(method, params, id);
	if (text == NULL)
		return PD_ERR_NOMEM;
	len = strlen(text);
	if (len > PD_CLIENT_MAX_LINE) {
		free(text);
		return PD_ERR_OVERFLOW;
	}
	r = client_send(c, text, len, deadline);
	free(text);
	if (r < 0)
		return r;
	for (;;) {
		r = client_read_message(c, deadline, false, &msg);
		if (r < 0)
			return r;
		if (msg == NULL)
			continue;
		if (client_answers(msg, id)) {
			r = client_outcome(msg, ret_result, ret_error);
			json_decref(msg);
			return r;
		}
		json_decref(msg);		/* a late answer: not ours */
	}
}

int
pd_client_next_event(struct pd_client *c, int timeout_ms, json_t **ret_event)
{
	int64_t deadline = client_deadline(timeout_ms);
	json_t *msg;
	int r;

	if (c == NULL || ret_event == NULL)
		return PD_ERR_INVAL;
	while (c->nevents == 0) {
		r = client_read_message(c, deadline, true, &msg);
		if (r < 0)
			return r;
		json_decref(msg);		/* answers are not events */
	}
	*ret_event = c->events[c->ev_head];
	c->ev_head = (c->ev_head + 1) % PD_CLIENT_MAX_EVENTS;
	c->nevents--;
	return 0;
}

uint64_t
pd_client_events_dropped(const struct pd_client *c)
{
	return c->dropped;
}

void
pd_client_close(struct pd_client *c)
{
	if (c == NULL)
		return;
	while (c->nevents > 0) {
		json_decref(c->events[c->ev_head]);
		c->ev_head = (c->ev_head + 1) % PD_CLIENT_MAX_EVENTS;
		c->nevents--;
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

const char *
pd_client_strerror(int err)
{
	if (err == PD_CLIENT_RPC_ERROR)
		return "error from the daemon";
	if (err == PD_ERR_CLOSED)
		return "connection closed by the daemon";
	if (err == PD_ERR_OVERFLOW)
		return "line too long";
	if (err == PD_ERR_MALFORMED)
		return "malformed answer";
	return pd_strerror(err);
}
