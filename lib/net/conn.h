/*
 * conn.h - the libp2p host's network layer: listeners, dials, upgraded
 * connections and their protocol streams.
 *
 * A struct pd_net belongs to one node (the manager owns it) and runs on
 * the node's event_base.  Every TCP connection, inbound or outbound, is
 * upgraded: (pnet) → multistream /noise → Noise XX → multistream
 * /yamux/1.0.0 → yamux.  Once upgraded the connection is reported with
 * on_conn_up; each inbound stream negotiates its protocol with
 * multistream-select and is handed to the handler registered for it.
 *
 * Lifetimes: connections and streams are owned by the net.  A struct
 * pd_conn pointer is valid from on_conn_up until on_conn_down returns.
 * A struct pd_stream pointer is valid until the owner calls
 * pd_stream_release() or until its on_close callback returns, whichever
 * comes first.  Callbacks never run inside the call that caused them,
 * except stream callbacks fired while the net processes received bytes.
 */
#ifndef PD_NET_CONN_H
#define PD_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/key.h"
#include "crypto/peerid.h"

struct event_base;
struct pd_net;
struct pd_conn;
struct pd_stream;
struct pd_net_dial;

#define PD_NET_MAX_HANDLERS 32		/* registered stream protocols */
#define PD_NET_MAX_LISTENERS 8		/* listen addresses */
#define PD_NET_MAX_OUTBUF (4u * 1024 * 1024) /* socket backlog: stop reading */
#define PD_NET_READ_CHUNK 65536		/* bytes processed per pass */
#define PD_STREAM_MAX_PENDING (256u * 1024) /* bytes held before cbs are set */
#define PD_NET_WHY_MAX 160
#define PD_NET_KEEPALIVE_MS 30000	/* yamux ping interval (go-yamux) */
#define PD_NET_KEEPALIVE_TIMEOUT_MS 10000 /* no pong by then: close */

enum pd_conn_dir {
	PD_CONN_INBOUND,
	PD_CONN_OUTBOUND,
};

struct pd_net_config {
	int upgrade_timeout_ms;		/* TCP connect + upgrade budget */
	const uint8_t *psk;		/* 32-byte pnet key, or NULL */
};

struct pd_net_cbs {
	/*
	 * A new inbound TCP connection from remote: return 0 to take it,
	 * nonzero to close it at once (per-IP caps, limits).  May be NULL.
	 */
	int (*on_accept)(const struct pd_multiaddr *remote, void *arg);
	/*
	 * An inbound connection on_accept took ended before it was
	 * upgraded (handshake failed or timed out).  May be NULL.
	 */
	void (*on_accept_failed)(const struct pd_multiaddr *remote,
	    void *arg);
	/* Connection upgraded (inbound or outbound). */
	void (*on_conn_up)(struct pd_conn *c, void *arg);
	/* An upgraded connection closed; err/why tell why. */
	void (*on_conn_down)(struct pd_conn *c, int err, const char *why,
	    void *arg);
};

/*
 * Create the network layer for identity key.  cfg and cbs are copied.
 * Returns NULL on OOM.
 */
struct pd_net *pd_net_new(struct event_base *base,
    const struct pd_privkey *key, const struct pd_net_config *cfg,
    const struct pd_net_cbs *cbs, void *arg);
/* Close every listener and connection (no callbacks) and free. */
void pd_net_free(struct pd_net *net);
const struct pd_peerid *pd_net_peer_id(const struct pd_net *net);
const struct pd_pubkey *pd_net_pubkey(const struct pd_net *net);
const struct pd_privkey *pd_net_privkey(const struct pd_net *net);
struct event_base *pd_net_base(const struct pd_net *net);
/* Change the dial + upgrade budget for connections started from now on. */
void pd_net_set_upgrade_timeout(struct pd_net *net, int ms);

/*
 * Listen on an /ip4|ip6/A/tcp/P multiaddr; tcp/0 picks a port.  The bound
 * address goes to *ret_bound (may be NULL).  0, or a negative PD_ERR_* /
 * -errno with a reason in why.
 */
int pd_net_listen(struct pd_net *net, const struct pd_multiaddr *ma,
    struct pd_multiaddr *ret_bound, char *why, size_t whylen);
/* Copy up to max bound listen addresses into out; returns the count. */
size_t pd_net_listen_addrs(const struct pd_net *net, struct pd_multiaddr *out,
    size_t max);

/*
 * Dial completion: result 0 with the upgraded connection (already
 * reported with on_conn_up), or a negative PD_ERR_* / -errno with c NULL
 * and why saying what failed.  Called once, never from pd_net_dial().
 */
typedef void (*pd_net_dial_cb)(int result, struct pd_conn *c,
    const char *why, void *arg);
/*
 * Dial ma (ip4|ip6 + tcp, optionally ending in /p2p/ID).  expect (may be
 * NULL) is the peer ID the remote must prove; a /p2p/ component in ma is
 * used when expect is NULL.  Returns a handle or NULL with *ret_err set.
 * A dial to a peer (expect or /p2p/) that is already being dialled joins
 * that dial instead of opening a second connection: it gets the same
 * outcome (cancelling either one does not cancel the other).
 */
struct pd_net_dial *pd_net_dial(struct pd_net *net,
    const struct pd_multiaddr *ma, const struct pd_peerid *expect,
    pd_net_dial_cb cb, void *arg, int *ret_err);
/* Abandon a dial: its callback will not run. */
void pd_net_dial_cancel(struct pd_net_dial *d);

/*
 * A remote opened a stream and agreed on proto: the handler must install
 * callbacks with pd_stream_set_cbs() (or release the stream).
 */
typedef void (*pd_stream_handler_cb)(struct pd_stream *s, void *arg);
/* Register (or replace) the handler for proto.  0 or PD_ERR_OVERFLOW. */
int pd_net_set_handler(struct pd_net *net, const char *proto,
    pd_stream_handler_cb cb, void *arg);
void pd_net_remove_handler(struct pd_net *net, const char *proto);
/* Registered protocol IDs (borrowed), for identify.  Returns the count. */
size_t pd_net_protocols(const struct pd_net *net, const char **out,
    size_t max);

/* Upgraded connections, for iteration: first, then next (NULL at end). */
struct pd_conn *pd_net_conn_first(const struct pd_net *net);
struct pd_conn *pd_conn_next(const struct pd_conn *c);
size_t pd_net_conn_count(const struct pd_net *net);
/* An upgraded connection to peer id (the first one), or NULL. */
struct pd_conn *pd_net_conn_find(const struct pd_net *net,
    const struct pd_peerid *id);

const struct pd_peerid *pd_conn_peer(const struct pd_conn *c);
const struct pd_pubkey *pd_conn_pubkey(const struct pd_conn *c);
enum pd_conn_dir pd_conn_direction(const struct pd_conn *c);
const struct pd_multiaddr *pd_conn_remote_addr(const struct pd_conn *c);
const struct pd_multiaddr *pd_conn_local_addr(const struct pd_conn *c);
struct event_base *pd_conn_base(const struct pd_conn *c);
void pd_conn_set_arg(struct pd_conn *c, void *arg);
void *pd_conn_get_arg(const struct pd_conn *c);
/*
 * Close c: streams get on_close, the net reports on_conn_down on the next
 * loop turn.  Safe to call from any callback; later calls do nothing.
 */
void pd_conn_close(struct pd_conn *c);

/* Stream callbacks; any may be NULL.  Bytes are borrowed for the call. */
struct pd_stream_cbs {
	void (*on_data)(struct pd_stream *s, const uint8_t *data, size_t len,
	    void *arg);
	/* The remote closed its side: no more data. */
	void (*on_eof)(struct pd_stream *s, void *arg);
	/* Room to write again after a short pd_stream_write(). */
	void (*on_writable)(struct pd_stream *s, void *arg);
	/* Reset, or the connection died: s is freed when this returns. */
	void (*on_close)(struct pd_stream *s, int err, void *arg);
};

/*
 * Outbound stream negotiation result: 0 with s ready (install callbacks
 * before returning), or a negative error with s NULL (PD_ERR_UNSUPPORTED:
 * the remote does not speak proto).
 */
typedef void (*pd_stream_open_cb)(int result, struct pd_stream *s,
    void *arg);
/*
 * Open a stream on c and negotiate proto.  cb runs later (never inside
 * this call).  Returns 0 or PD_ERR_CLOSED / PD_ERR_PEER_LIMIT /
 * PD_ERR_NOMEM / PD_ERR_INVAL.
 */
int pd_conn_open_stream(struct pd_conn *c, const char *proto,
    pd_stream_open_cb cb, void *arg);

/*
 * Set s's callbacks.  Data received before this (bytes that followed the
 * negotiation) is delivered right after the handler/open callback
 * returns.
 */
void pd_stream_set_cbs(struct pd_stream *s, const struct pd_stream_cbs *cbs,
    void *arg);
/*
 * Queue data; returns bytes taken (less than len: wait for
 * on_writable) or PD_ERR_CLOSED.
 */
int pd_stream_write(struct pd_stream *s, const void *data, size_t len);
/* Half-close: no more writes from us (FIN).  0 or PD_ERR_CLOSED. */
int pd_stream_close_write(struct pd_stream *s);
/* Abort the stream (RST) and release it: s is invalid afterwards. */
void pd_stream_reset(struct pd_stream *s);
/*
 * The owner is done with s: it is half-closed if still open for writing,
 * queued data is still sent, and no callback runs any more.  s is invalid
 * afterwards.
 */
void pd_stream_release(struct pd_stream *s);
struct pd_conn *pd_stream_conn(const struct pd_stream *s);
const char *pd_stream_protocol(const struct pd_stream *s);

#endif
