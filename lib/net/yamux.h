/*
 * yamux.h - yamux stream multiplexer session, sans-IO (libp2p-wire.md §6).
 *
 * A struct pd_yamux is one session over one secured connection, as client
 * (the connection's dialer: odd stream IDs) or server (listener: even IDs).
 * It never touches a socket or a timer.  The owner feeds it received bytes
 * with pd_yamux_feed(), sends what pd_yamux_out() holds, and hears about
 * streams through the callbacks given to pd_yamux_new().
 *
 * Callbacks fire only from inside pd_yamux_feed(), never from the other
 * calls.  Inside a callback the owner may call any function here except
 * pd_yamux_feed() and pd_yamux_free() (defer the free to the next loop
 * turn).  Stream pointers handed to callbacks stay valid during the call
 * even if the owner releases the stream in it.
 *
 * Streams are owned by the session.  The owner holds a stream from
 * pd_yamux_open() or from an accepting on_stream callback until it calls
 * pd_yamux_stream_release(); the session frees it once it is released AND
 * fully closed (both FINs, or an RST).  pd_yamux_free() frees every stream.
 *
 * Receive flow control: each stream grants the peer PD_YAMUX_WINDOW bytes.
 * Data is handed up by on_data as it arrives, never buffered here; the
 * owner reports what it has processed with pd_yamux_stream_consumed() (or
 * sets auto_consume), and a window update is sent once at least half the
 * window has been consumed.  So the owner buffers at most PD_YAMUX_WINDOW
 * unconsumed bytes per stream.  A peer that overruns the window fails the
 * session with Go Away(protocol error).
 *
 * Send flow control: pd_yamux_write() frames what fits in the peer's window
 * straight into the out-buffer (data frames <= PD_YAMUX_MAX_FRAME), queues
 * the rest up to PD_YAMUX_MAX_QUEUED per stream and
 * PD_YAMUX_MAX_SESSION_QUEUED per session, and returns how much it took.
 * After a short write, on_writable fires when room appears.
 *
 * Driving it from a glue layer:
 *
 *	y = pd_yamux_new(client ? PD_YAMUX_CLIENT : PD_YAMUX_SERVER, &cbs, arg)
 *	on every read:  r = pd_yamux_feed(y, data, len, now_ms)  (consumes all;
 *			callbacks fire inside)
 *	after every call that may produce output (feed, open, write, close,
 *	reset, release, consumed, ping, goaway) and at least once per loop
 *	turn: send pd_yamux_out(y)->data[0..len) and pd_buf_reset() it, or
 *	pd_buf_consume() what the socket took.  Stop reading the socket while
 *	the socket's own output backlog is high: the session answers pings and
 *	credits windows in proportion to what it reads.
 *	r < 0: the session failed; pd_yamux_why(y) says why, a Go Away is
 *	already queued; flush it, tear down the stream wrappers, close, and
 *	pd_yamux_free(y) on the next loop turn.
 *	keep-alive: every 30 s pd_yamux_ping(y, now); if it returns
 *	PD_ERR_EXISTS and pd_yamux_ping_sent(y) is more than 10 s old, close.
 */
#ifndef PD_NET_YAMUX_H
#define PD_NET_YAMUX_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;
struct pd_yamux;
struct pd_yamux_stream;

#define PD_YAMUX_PROTOCOL_ID "/yamux/1.0.0"
#define PD_YAMUX_HDR_LEN 12			/* bytes */
#define PD_YAMUX_VERSION 0
#define PD_YAMUX_WINDOW (256u * 1024)		/* initial stream window, bytes */
#define PD_YAMUX_MAX_FRAME (64u * 1024)		/* data bytes per frame we send */
#define PD_YAMUX_MAX_STREAMS 256		/* live streams per session */
#define PD_YAMUX_MAX_ACK_BACKLOG 256		/* outbound streams not ACKed */
#define PD_YAMUX_MAX_QUEUED (256u * 1024)	/* queued send bytes per stream */
#define PD_YAMUX_MAX_SESSION_QUEUED (4u * 1024 * 1024) /* per session */
#define PD_YAMUX_MAX_SEND_WINDOW UINT32_MAX	/* larger credit: protocol error */
#define PD_YAMUX_WHY_MAX 128			/* bytes of the failure reason */

/* Frame types (§6.1). */
enum pd_yamux_type {
	PD_YAMUX_TYPE_DATA = 0,
	PD_YAMUX_TYPE_WINDOW_UPDATE = 1,
	PD_YAMUX_TYPE_PING = 2,
	PD_YAMUX_TYPE_GO_AWAY = 3,
};

/* Header flags (§6.1). */
#define PD_YAMUX_FLAG_SYN 0x1
#define PD_YAMUX_FLAG_ACK 0x2
#define PD_YAMUX_FLAG_FIN 0x4
#define PD_YAMUX_FLAG_RST 0x8

/* Go Away codes (§6.5). */
#define PD_YAMUX_GOAWAY_NORMAL 0
#define PD_YAMUX_GOAWAY_PROTOCOL 1
#define PD_YAMUX_GOAWAY_INTERNAL 2

enum pd_yamux_role {
	PD_YAMUX_CLIENT,	/* connection dialer: odd stream IDs */
	PD_YAMUX_SERVER,	/* connection listener: even stream IDs */
};

/* A decoded 12-byte header. */
struct pd_yamux_hdr {
	uint8_t version;
	uint8_t type;		/* enum pd_yamux_type */
	uint16_t flags;		/* PD_YAMUX_FLAG_* */
	uint32_t stream_id;
	uint32_t length;	/* data length, window delta, ping value, code */
};

/*
 * Session callbacks; any may be NULL.  st and the bytes are borrowed for
 * the call.  arg is the pointer given to pd_yamux_new().
 */
struct pd_yamux_cbs {
	/*
	 * The peer opened st.  Return 0 to accept it (the owner then holds
	 * st until pd_yamux_stream_release()), nonzero to refuse (RST is
	 * sent, st is gone after the call).  NULL refuses every stream.
	 */
	int (*on_stream)(struct pd_yamux_stream *st, void *arg);
	/* len > 0 bytes arrived on st. */
	void (*on_data)(struct pd_yamux_stream *st, const uint8_t *data,
	    size_t len, void *arg);
	/* The peer half-closed st (FIN): no more data will arrive. */
	void (*on_fin)(struct pd_yamux_stream *st, void *arg);
	/* The peer reset st (RST): it is closed both ways. */
	void (*on_reset)(struct pd_yamux_stream *st, void *arg);
	/* st can take data again after a short pd_yamux_write(). */
	void (*on_writable)(struct pd_yamux_stream *st, void *arg);
	/* The answer to our pd_yamux_ping() arrived after rtt_ms. */
	void (*on_pong)(uint64_t rtt_ms, void *arg);
	/* The peer sent Go Away with code: open no more streams. */
	void (*on_goaway)(uint32_t code, void *arg);
};

/* Encode h into out (no checks: the caller builds valid headers). */
void pd_yamux_hdr_encode(const struct pd_yamux_hdr *h,
    uint8_t out[PD_YAMUX_HDR_LEN]);

/*
 * Decode a header from p[0..len).  Returns 0, PD_ERR_TRUNCATED (len < 12),
 * PD_ERR_UNSUPPORTED (version != 0) or PD_ERR_MALFORMED (unknown type);
 * *ret_h is untouched on failure.
 */
int pd_yamux_hdr_decode(const uint8_t *p, size_t len,
    struct pd_yamux_hdr *ret_h);

/*
 * Create a session.  cbs is copied; arg is passed to every callback.
 * Returns NULL only on OOM.
 */
struct pd_yamux *pd_yamux_new(enum pd_yamux_role role,
    const struct pd_yamux_cbs *cbs, void *arg);

/*
 * Free y and every stream (NULL is a no-op).  The owner must drop its
 * stream pointers first.  Not from inside a callback.
 */
void pd_yamux_free(struct pd_yamux *y);

/*
 * With on != 0, data counts as consumed as soon as on_data returns (the
 * owner keeps no backlog, e.g. it parses in place or copies into its own
 * bounded buffer).  Default off.
 */
void pd_yamux_set_auto_consume(struct pd_yamux *y, int on);

/*
 * Process len received bytes (all are consumed; partial frames are kept).
 * now_ms is the caller's monotonic clock, used for ping RTTs.  Callbacks
 * fire from here.  Returns 0, or a negative PD_ERR_* once the session has
 * failed: PD_ERR_PROTOCOL (the peer broke §6; Go Away 1 is queued),
 * PD_ERR_NOMEM/PD_ERR_OVERFLOW (Go Away 2 queued when possible); every
 * later call returns the same code.  PD_ERR_INVAL if called from a
 * callback.
 */
int pd_yamux_feed(struct pd_yamux *y, const uint8_t *data, size_t len,
    uint64_t now_ms);

/*
 * Bytes to send, owned by y: whole frames only.  The owner sends them and
 * drops them with pd_buf_consume() or pd_buf_reset().
 */
struct pd_buf *pd_yamux_out(struct pd_yamux *y);

/* 0 while healthy, the negative PD_ERR_* of the failure otherwise. */
int pd_yamux_status(const struct pd_yamux *y);

/* Reason of the failure, or "" (owned by y). */
const char *pd_yamux_why(const struct pd_yamux *y);

/*
 * Open a stream: queues a Window Update with SYN (delta 0, go style);
 * data may be written at once.  Returns 0 and *ret_st (held by the owner),
 * PD_ERR_CLOSED (session failed, or Go Away sent or received),
 * PD_ERR_PEER_LIMIT (PD_YAMUX_MAX_STREAMS live streams or
 * PD_YAMUX_MAX_ACK_BACKLOG un-ACKed ones; retry later), PD_ERR_OVERFLOW
 * (stream IDs exhausted), PD_ERR_NOMEM.
 */
int pd_yamux_open(struct pd_yamux *y, struct pd_yamux_stream **ret_st);

/*
 * Queue up to len bytes on st.  Returns how many bytes were taken (0 to
 * len; less than len means "wait for on_writable"), or PD_ERR_CLOSED (st
 * closed for writing or reset, session failed), PD_ERR_NOMEM.  At most
 * PD_YAMUX_MAX_SESSION_QUEUED + window bytes are taken per call.
 */
int pd_yamux_write(struct pd_yamux_stream *st, const void *data,
    size_t len);

/*
 * Half-close st: FIN is sent after the queued data.  Returns 0,
 * PD_ERR_CLOSED (already closed for writing, or reset), PD_ERR_NOMEM.
 */
int pd_yamux_close(struct pd_yamux_stream *st);

/*
 * Abort st: queued data is dropped and RST is sent.  Returns 0 or
 * PD_ERR_CLOSED (already reset or fully closed).  No callback fires.
 */
int pd_yamux_reset(struct pd_yamux_stream *st);

/*
 * The owner has processed n more of the bytes on_data delivered on st.
 * May queue a window update.  Returns 0, PD_ERR_INVAL (n exceeds what was
 * delivered and not yet consumed), PD_ERR_NOMEM.
 */
int pd_yamux_stream_consumed(struct pd_yamux_stream *st, size_t n);

/*
 * The owner drops st; the pointer must not be used afterwards (except
 * that it stays valid until a callback running for st returns).  If the
 * owner closed st before, the session keeps it until the peer closes too,
 * still sending the queued data and discarding what arrives; otherwise
 * st is reset.
 */
void pd_yamux_stream_release(struct pd_yamux_stream *st);

uint32_t pd_yamux_stream_id(const struct pd_yamux_stream *st);
/* Owner's pointer for st (NULL until set). */
void pd_yamux_stream_set_arg(struct pd_yamux_stream *st, void *arg);
void *pd_yamux_stream_get_arg(const struct pd_yamux_stream *st);
/* Bytes we may still send before the peer credits more. */
uint64_t pd_yamux_stream_send_window(const struct pd_yamux_stream *st);
/* Bytes the peer may still send before we credit more. */
uint32_t pd_yamux_stream_recv_window(const struct pd_yamux_stream *st);
/* Bytes accepted by pd_yamux_write() but not yet framed. */
size_t pd_yamux_stream_queued(const struct pd_yamux_stream *st);
/* 1 if the peer has sent FIN or either side RST (nothing more arrives). */
int pd_yamux_stream_read_closed(const struct pd_yamux_stream *st);
/* 1 if the stream was reset by either side. */
int pd_yamux_stream_is_reset(const struct pd_yamux_stream *st);

/*
 * Send a ping with a fresh opaque value, remembering now_ms; on_pong
 * reports the RTT.  Returns 0, PD_ERR_EXISTS (one is outstanding),
 * PD_ERR_CLOSED, PD_ERR_NOMEM.
 */
int pd_yamux_ping(struct pd_yamux *y, uint64_t now_ms);

/* Send time of the outstanding ping in *ret_ms; 0, or PD_ERR_NOT_FOUND. */
int pd_yamux_ping_sent(const struct pd_yamux *y, uint64_t *ret_ms);

/*
 * Send Go Away with code (PD_YAMUX_GOAWAY_*) once: no new streams either
 * way afterwards; existing streams go on.  Returns 0, PD_ERR_EXISTS
 * (already sent), PD_ERR_CLOSED, PD_ERR_NOMEM.
 */
int pd_yamux_goaway(struct pd_yamux *y, uint32_t code);

/* 1 once the peer has sent Go Away (*ret_code set if not NULL). */
int pd_yamux_remote_goaway(const struct pd_yamux *y, uint32_t *ret_code);

/* Live stream objects in the session (held or lingering). */
size_t pd_yamux_stream_count(const struct pd_yamux *y);

/*
 * Check the session's internal accounting (stream table, counts, windows,
 * queues).  Returns 0, or PD_ERR_INVAL with a reason in why.  For tests
 * and fuzzers.
 */
int pd_yamux_check(const struct pd_yamux *y, char *why, size_t whylen);

#endif
