/*
 * tcp.h - TCP listeners and dials on a libevent event_base.
 *
 * This layer only deals in sockets and sockaddrs: it accepts and connects
 * and hands a connected, non-blocking fd upwards (the connection layer
 * wraps it in a bufferevent and runs the libp2p upgrade).  Multiaddr
 * conversion is the caller's job.
 */
#ifndef PD_NET_TCP_H
#define PD_NET_TCP_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/util.h>

struct event_base;
struct pd_tcp_listener;
struct pd_tcp_dial;

#define PD_TCP_BACKLOG 128		/* listen(2) backlog */
#define PD_TCP_ACCEPT_PAUSE_MS 1000	/* pause after EMFILE/ENFILE */

/*
 * Called for each accepted connection.  The callee owns fd (non-blocking,
 * close-on-exec) from then on.  remote is borrowed for the call.
 */
typedef void (*pd_tcp_accept_cb)(evutil_socket_t fd,
    const struct sockaddr *remote, socklen_t remotelen, void *arg);

/*
 * Listen on sa.  IPv6 sockets are IPV6_V6ONLY so an ip4 and an ip6 listener
 * can share a port; SO_REUSEADDR is set.  Port 0 picks a free port (see
 * pd_tcp_listener_addr).  When accept fails for lack of descriptors the
 * listener pauses for PD_TCP_ACCEPT_PAUSE_MS and resumes by itself, or at
 * once on pd_tcp_listener_resume().  Returns NULL with a reason in why.
 */
struct pd_tcp_listener *pd_tcp_listen(struct event_base *base,
    const struct sockaddr *sa, socklen_t salen, pd_tcp_accept_cb cb,
    void *arg, char *why, size_t whylen);
/* The bound address (with the real port). 0 or -errno. */
int pd_tcp_listener_addr(const struct pd_tcp_listener *l,
    struct sockaddr_storage *ret_ss, socklen_t *ret_len);
/* Re-enable accepting now if paused after EMFILE (e.g. an fd was freed). */
void pd_tcp_listener_resume(struct pd_tcp_listener *l);
/* Number of times accept was paused for lack of descriptors. */
unsigned long pd_tcp_listener_pauses(const struct pd_tcp_listener *l);
/* Close the socket and free; NULL is a no-op. */
void pd_tcp_listener_free(struct pd_tcp_listener *l);

/*
 * Dial completion: result is 0 with a connected non-blocking fd that the
 * callee owns, or a negative error (-errno, or PD_ERR_TIMEOUT) with
 * fd = -1.  Called exactly once unless the dial is cancelled first, and
 * never from inside pd_tcp_dial() itself.  The dial handle is freed
 * after the callback returns.
 */
typedef void (*pd_tcp_dial_cb)(int result, evutil_socket_t fd, void *arg);

/*
 * Start a non-blocking connect to sa with a timeout (ms, > 0).  Returns a
 * handle, or NULL with *ret_err set (-errno or PD_ERR_NOMEM) if the dial
 * could not even start.
 */
struct pd_tcp_dial *pd_tcp_dial(struct event_base *base,
    const struct sockaddr *sa, socklen_t salen, int timeout_ms,
    pd_tcp_dial_cb cb, void *arg, int *ret_err);
/* Abort a dial in progress: the socket is closed, cb is never called. */
void pd_tcp_dial_cancel(struct pd_tcp_dial *d);

/* Format sa as "1.2.3.4:5" or "[::1]:5" into out; returns out. */
char *pd_tcp_sockaddr_str(const struct sockaddr *sa, char *out,
    size_t outlen);

#endif
