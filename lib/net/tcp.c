/*
 * tcp.c - TCP listeners (evconnlistener) and non-blocking dials.
 *
 * Owned by the connection layer (conn.c), which gets accepted or dialled
 * fds through callbacks and upgrades them.  Accept errors are sorted as
 * tmux and httpd do: transient ones are ignored, running out of
 * descriptors pauses accepting for a second (otherwise libevent would
 * spin on the readable listening socket), anything else is logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "core/error.h"
#include "core/log.h"
#include "net/tcp.h"

struct pd_tcp_listener {
	struct evconnlistener *lev;
	struct event *resume_ev;	/* armed while paused after EMFILE */
	pd_tcp_accept_cb cb;
	void *arg;
	int paused;
	unsigned long pauses;
};

struct pd_tcp_dial {
	struct event *ev;		/* EV_WRITE with the dial timeout */
	evutil_socket_t fd;
	int early_err;			/* -errno from connect(2) itself */
	pd_tcp_dial_cb cb;
	void *arg;
};

char *
pd_tcp_sockaddr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outlen, "(family %d)", sa->sa_family);
	}
	return out;
}

static void
tcp_listener_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct pd_tcp_listener *l = arg;

	(void)lev;
	l->cb(fd, sa, (socklen_t)salen, l->arg);
}

static void
tcp_listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pd_tcp_listener_resume(arg);
}

static void
tcp_listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct pd_tcp_listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { PD_TCP_ACCEPT_PAUSE_MS / 1000,
	    (PD_TCP_ACCEPT_PAUSE_MS % 1000) * 1000 };

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
		if (!l->paused) {
			PD_LOG_WARN("accept: %s; pausing new connections for "
			    "%d ms", strerror(err), PD_TCP_ACCEPT_PAUSE_MS);
			evconnlistener_disable(lev);
			l->paused = 1;
			l->pauses++;
			evtimer_add(l->resume_ev, &tv);
		}
		return;
	default:
		PD_LOG_WARN("accept: %s", strerror(err));
		return;
	}
}

struct pd_tcp_listener *
pd_tcp_listen(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, pd_tcp_accept_cb cb, void *arg, char *why,
    size_t whylen)
{
	struct pd_tcp_listener *l;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	    LEV_OPT_REUSEABLE;
	char addr[80];

	if (sa->sa_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	l->cb = cb;
	l->arg = arg;
	l->resume_ev = evtimer_new(base, tcp_listener_resume_cb, l);
	if (l->resume_ev == NULL) {
		snprintf(why, whylen, "out of memory");
		free(l);
		return NULL;
	}
	l->lev = evconnlistener_new_bind(base, tcp_listener_accept_cb, l,
	    flags, PD_TCP_BACKLOG, sa, (int)salen);
	if (l->lev == NULL) {
		snprintf(why, whylen, "cannot listen on %s: %s",
		    pd_tcp_sockaddr_str(sa, addr, sizeof(addr)),
		    strerror(errno));
		pd_tcp_listener_free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->lev, tcp_listener_error_cb);
	return l;
}

int
pd_tcp_listener_addr(const struct pd_tcp_listener *l,
    struct sockaddr_storage *ret_ss, socklen_t *ret_len)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&ss,
	    &len) < 0)
		return -errno;
	*ret_ss = ss;
	*ret_len = len;
	return 0;
}

void
pd_tcp_listener_resume(struct pd_tcp_listener *l)
{
	if (!l->paused)
		return;
	evtimer_del(l->resume_ev);
	l->paused = 0;
	evconnlistener_enable(l->lev);
}

unsigned long
pd_tcp_listener_pauses(const struct pd_tcp_listener *l)
{
	return l->pauses;
}

void
pd_tcp_listener_free(struct pd_tcp_listener *l)
{
	if (l == NULL)
		return;
	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	if (l->resume_ev != NULL)
		event_free(l->resume_ev);
	free(l);
}

static void
tcp_dial_free(struct pd_tcp_dial *d)
{
	event_free(d->ev);
	free(d);
}

static void
tcp_dial_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_tcp_dial *d = arg;
	pd_tcp_dial_cb cb = d->cb;
	void *cbarg = d->arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (d->early_err != 0) {
		err = d->early_err;
	} else if (what & EV_TIMEOUT) {
		err = PD_ERR_TIMEOUT;
	} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		err = -errno;
	} else if (err != 0) {
		err = -err;
	}
	if (err != 0) {
		evutil_closesocket(fd);
		fd = -1;
	}
	tcp_dial_free(d);
	cb(err, fd, cbarg);
}

struct pd_tcp_dial *
pd_tcp_dial(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, int timeout_ms, pd_tcp_dial_cb cb, void *arg,
    int *ret_err)
{
	struct pd_tcp_dial *d;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	evutil_socket_t fd;
	int early_err = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		*ret_err = -errno;
		return NULL;
	}
	/*
	 * Immediate failures (ECONNREFUSED, ENETUNREACH) are reported through
	 * the callback from the loop, like any other: the caller never sees
	 * its callback run inside this call.
	 */
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS)
		early_err = -errno;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		evutil_closesocket(fd);
		*ret_err = PD_ERR_NOMEM;
		return NULL;
	}
	d->fd = fd;
	d->early_err = early_err;
	d->cb = cb;
	d->arg = arg;
	d->ev = event_new(base, fd, EV_WRITE, tcp_dial_cb, d);
	if (d->ev == NULL || event_add(d->ev, &tv) < 0) {
		if (d->ev != NULL)
			event_free(d->ev);
		free(d);
		evutil_closesocket(fd);
		*ret_err = PD_ERR_NOMEM;
		return NULL;
	}
	if (early_err != 0)
		event_active(d->ev, EV_WRITE, 0);
	return d;
}

void
pd_tcp_dial_cancel(struct pd_tcp_dial *d)
{
	if (d == NULL)
		return;
	evutil_closesocket(d->fd);
	tcp_dial_free(d);
}
