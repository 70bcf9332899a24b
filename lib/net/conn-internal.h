/*
 * conn-internal.h - structures shared by conn.c and stream.c only.
 */
#ifndef PD_NET_CONN_INTERNAL_H
#define PD_NET_CONN_INTERNAL_H

#include <sys/queue.h>

#include "core/buf.h"
#include "net/conn.h"

struct bufferevent;
struct event;
struct pd_mss;
struct pd_noise;
struct pd_pnet;
struct pd_tcp_dial;
struct pd_tcp_listener;
struct pd_yamux;
struct pd_yamux_stream;

enum conn_state {
	CONN_MSS_SEC,		/* negotiating the security protocol */
	CONN_NOISE,		/* Noise XX handshake */
	CONN_MSS_MUX,		/* negotiating the muxer inside Noise */
	CONN_READY,		/* yamux session running */
	CONN_CLOSED,		/* closing: freed on the next loop turn */
};

enum stream_state {
	STREAM_NEGOTIATING,
	STREAM_OPEN,
	STREAM_DEAD,		/* released or closed; freed when safe */
};

struct pd_stream {
	TAILQ_ENTRY(pd_stream) entry;
	struct pd_conn *conn;
	struct pd_yamux_stream *ys;	/* NULL once handed back to yamux */
	struct pd_mss *mss;		/* while negotiating */
	char *protocol;
	int outbound;
	enum stream_state state;
	pd_stream_open_cb open_cb;	/* outbound, until negotiated */
	void *open_arg;
	struct pd_stream_cbs cbs;
	int has_cbs;
	void *arg;
	struct pd_buf pending;		/* data that arrived before cbs */
	int eof_pending;		/* FIN arrived before cbs */
	int in_cb;			/* nesting depth of our callbacks */
};
TAILQ_HEAD(pd_stream_list, pd_stream);

struct pd_conn {
	TAILQ_ENTRY(pd_conn) entry;
	struct pd_net *net;
	struct bufferevent *bev;
	enum pd_conn_dir dir;
	enum conn_state state;
	int up;				/* on_conn_up was reported */
	struct pd_multiaddr remote;
	struct pd_multiaddr local;
	struct pd_pnet *pnet;
	struct pd_mss *mss;
	struct pd_noise *noise;
	struct pd_yamux *yamux;
	struct pd_peerid peer;
	struct pd_pubkey pubkey;
	struct pd_peerid expect;
	int has_expect;
	struct pd_net_dial *dial;	/* outbound, until upgraded */
	struct event *timeout_ev;	/* upgrade deadline */
	struct event *reap_ev;		/* frees a closed conn next turn */
	struct event *keepalive_ev;	/* yamux pings while up */
	struct pd_buf plain;		/* decrypted bytes being processed */
	struct pd_buf raw;		/* pnet-decrypted bytes */
	struct pd_buf wire;		/* encryption scratch */
	struct pd_stream_list streams;
	int in_feed;			/* inside pd_yamux_feed */
	int err;			/* why it closed */
	char why[PD_NET_WHY_MAX];
	void *user_arg;
};
TAILQ_HEAD(pd_conn_list, pd_conn);

/* stream.c */
int stream_yamux_on_stream(struct pd_yamux_stream *ys, void *arg);
void stream_yamux_on_data(struct pd_yamux_stream *ys, const uint8_t *data,
    size_t len, void *arg);
void stream_yamux_on_fin(struct pd_yamux_stream *ys, void *arg);
void stream_yamux_on_reset(struct pd_yamux_stream *ys, void *arg);
void stream_yamux_on_writable(struct pd_yamux_stream *ys, void *arg);
void stream_conn_closed(struct pd_conn *c);

/* conn.c, for stream.c */
void conn_flush(struct pd_conn *c);
void conn_fail(struct pd_conn *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
pd_stream_handler_cb conn_find_handler(struct pd_net *net, const char *proto,
    size_t len, void **ret_arg);
const char *const *conn_handler_names(struct pd_net *net, size_t *ret_n);

#endif
