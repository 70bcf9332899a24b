/*
 * mss.h - multistream-select 1.0 negotiator, sans-IO (libp2p-wire.md §4).
 *
 * One struct pd_mss negotiates one protocol on one channel (raw TCP, the
 * Noise channel, or a yamux stream), as the dialer (initiator) or the
 * listener (responder).  It never touches a socket: the owner feeds it the
 * bytes it received with pd_mss_feed() and sends whatever pd_mss_out()
 * holds.  Feeding stops exactly at the end of the deciding message, so the
 * bytes after it (optimistic protocol data, §4.2) stay with the caller and
 * belong to the chosen protocol.
 *
 * Driving it from a glue layer:
 *
 *	pd_mss_dialer_new(...) or pd_mss_listener_new(...)
 *	flush pd_mss_out()		(the dialer's header + first proposal, or
 *					 the listener's header; a listener may
 *					 delay this flush to its first feed to send
 *					 header + answer in one write)
 *	on every read:
 *		r = pd_mss_feed(m, data, len, &used);
 *		flush pd_mss_out() and pd_buf_reset() it	(always, even when
 *						 r < 0 or the remote half-closed)
 *		drain `used` bytes from the input
 *		r == 0: wait for more; r == 1: done, pd_mss_protocol(m) names
 *		the protocol and data[used..len) is its first data;
 *		r < 0: failed, pd_mss_why(m) says why
 *	on EOF: pd_mss_eof(m), then flush pd_mss_out() before closing.
 */
#ifndef PD_NET_MSS_H
#define PD_NET_MSS_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;
struct pd_mss;

#define PD_MSS_PROTOCOL_ID "/multistream/1.0.0"
#define PD_MSS_MAX_MSG 1024		/* bytes per message, "\n" included (go lpReadBuf) */
#define PD_MSS_MAX_PROTO_LEN 140	/* chars per protocol ID (rust limit) */
#define PD_MSS_MAX_PROTOCOLS 32		/* entries in a dialer's or listener's list */
#define PD_MSS_MAX_PROPOSALS 32		/* proposals (and ls) a listener answers */
#define PD_MSS_WHY_MAX 128		/* bytes of the stored failure reason */

/*
 * Listener lookup: return nonzero to accept protocol proto (NUL-terminated,
 * len chars, borrowed for the call).  Consulted after the static list.
 */
typedef int (*pd_mss_match_cb)(const char *proto, size_t len, void *arg);

/*
 * Return 1 if s is an acceptable protocol ID for us to propose or accept:
 * 1..PD_MSS_MAX_PROTO_LEN printable ASCII characters starting with '/'.
 */
int pd_mss_proto_valid(const char *s);

/*
 * Start a dialer that proposes protos[0..nprotos) in order (copied; 1 to
 * PD_MSS_MAX_PROTOCOLS valid IDs).  The header and the first proposal are
 * queued in pd_mss_out() at once.  Returns 0 and *ret_m, PD_ERR_INVAL for
 * a bad list, or PD_ERR_NOMEM.
 */
int pd_mss_dialer_new(const char *const *protos, size_t nprotos,
    struct pd_mss **ret_m);

/*
 * Start a listener that accepts any of protos[0..nprotos) (copied; 0 to
 * PD_MSS_MAX_PROTOCOLS valid IDs) or anything match(proto, len, arg)
 * accepts (match may be NULL; at least one source must be given).  `ls` is
 * answered with the static list.  The header is queued in pd_mss_out() at
 * once.  Returns 0 and *ret_m, PD_ERR_INVAL, or PD_ERR_NOMEM.
 */
int pd_mss_listener_new(const char *const *protos, size_t nprotos,
    pd_mss_match_cb match, void *arg, struct pd_mss **ret_m);

/* Free m (NULL is a no-op). */
void pd_mss_free(struct pd_mss *m);

/*
 * Feed len received bytes.  Consumes bytes up to the end of the message
 * that decides the negotiation and stores the count in *ret_used (on 0 it
 * is always len).  Returns 0 when more input is needed, 1 when the
 * protocol is agreed (bytes from data + *ret_used on are protocol data),
 * or a negative PD_ERR_* when the negotiation failed: PD_ERR_PROTOCOL
 * (missing header, unexpected answer), PD_ERR_MALFORMED (bad framing or
 * token), PD_ERR_OVERFLOW (message over PD_MSS_MAX_MSG, too many
 * proposals), PD_ERR_UNSUPPORTED (dialer: every proposal refused),
 * PD_ERR_NOMEM.  Answers are appended to pd_mss_out() even when a
 * failure follows.  Once finished, further calls return the same result
 * and consume nothing.  Never calls back except the listener's match.
 */
int pd_mss_feed(struct pd_mss *m, const uint8_t *data, size_t len,
    size_t *ret_used);

/*
 * The remote closed its write side.  Returns 1 if the negotiation had
 * already succeeded, otherwise fails it with PD_ERR_CLOSED.  Output queued
 * so far (e.g. a listener's header + echo for a dialer that half-closed
 * after its proposal and data) remains in pd_mss_out() to be flushed.
 */
int pd_mss_eof(struct pd_mss *m);

/*
 * Bytes waiting to be sent, owned by m.  The owner sends them and then
 * drops them with pd_buf_consume() or pd_buf_reset().
 */
struct pd_buf *pd_mss_out(struct pd_mss *m);

/* 0 while negotiating, 1 when done, negative PD_ERR_* once failed. */
int pd_mss_status(const struct pd_mss *m);

/* The agreed protocol (owned by m), or NULL before success. */
const char *pd_mss_protocol(const struct pd_mss *m);

/* Human-readable reason of a failure, or "" (owned by m). */
const char *pd_mss_why(const struct pd_mss *m);

#endif
