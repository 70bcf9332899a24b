/*
 * badpeer.c - a hostile libp2p dialer for the bad-input test
 * (tests/integration/020-bad-input.sh).
 *
 * It dials a peerdiscd listen address with a plain blocking socket and
 * poll() deadlines, drives our own sans-IO modules (pd_mss_*, pd_noise_*,
 * yamux headers) far enough to reach the stage it wants to attack, then
 * misbehaves there and watches what the daemon does: every offending
 * connection must be closed by the daemon within a bound (-w), and for
 * the timeout-based cases not before a minimum (-m).  `good` is the
 * well-behaved control: a full upgrade with a fresh Ed25519 identity, an
 * answered identify, and one /ipfs/ping/1.0.0 round trip whose echo is
 * checked.
 *
 * Output: one line per fact, "badpeer: CASE: ...", including the local
 * address and our peer ID so the test can find the daemon's log line.
 * Exit status 0 when the daemon behaved as expected, 1 when it did not,
 * 2 for usage or local errors.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sodium.h>

#include "addr/multiaddr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/varint.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "net/mss.h"
#include "net/noise.h"
#include "net/yamux.h"
#include "proto/identify.h"
#include "proto/ping.h"

#define BP_MAX_STREAMS 16		/* daemon-opened streams we serve */
#define BP_READ_CHUNK 65536		/* bytes per recv() */
#define BP_FLOOD_DEFAULT 10000		/* SYNs sent by syn-flood */
#define BP_FLOOD_BATCH 250		/* SYN frames per write */
#define BP_GARBAGE_LEN 256		/* bytes of junk in `garbage` */
#define BP_TRUNC_DECLARED 200		/* Noise length we announce ... */
#define BP_TRUNC_SENT 50		/* ... and the bytes we send */
#define BP_LONG_KEY_LEN 65000		/* identity_key bytes in msg 3 */
#define BP_UNKNOWN_DATA 4096		/* bytes on an unknown stream */
#define BP_EVEN_ID 1000			/* stream ID for the parity case */

struct bp_stream {
	int used;
	uint32_t id;
	int outbound;			/* we opened it */
	struct pd_mss *mss;		/* while negotiating */
	char proto[PD_MSS_MAX_PROTO_LEN + 1];
	struct pd_buf data;		/* protocol bytes received */
	int fin_rx, fin_tx, rst;
	uint8_t ping[PD_PING_SIZE];	/* outbound: what we sent */
	int ping_sent, ping_ok;
	size_t echoed;			/* inbound ping: bytes echoed */
};

struct bp {
	const char *name;
	int fd;
	uint64_t t0;			/* ms, start of the misbehaviour */
	int max_ms;			/* the daemon must close by then */
	int min_ms;			/* ... and not before */
	int want_goaway;		/* a Go Away(1) must come first */
	char local[PD_MULTIADDR_MAX_TEXT + 1];
	struct pd_multiaddr addr;	/* without /p2p */
	struct pd_peerid remote;	/* from the /p2p component */
	struct pd_privkey key;
	struct pd_pubkey pub;
	struct pd_peerid id;
	uint8_t pubpb[PD_KEY_MAX_PUBKEY_PB];
	size_t pubpb_len;
	struct pd_noise *nz;
	struct pd_buf raw;		/* received, before Noise */
	struct pd_buf plain;		/* decrypted, not yet parsed */
	int closed;			/* EOF or reset seen */
	const char *how;		/* "EOF" / "reset" */
	/* yamux observations */
	int serve;			/* answer the daemon's streams */
	unsigned nrst, nack, ngoaway;
	uint32_t goaway_code;
	int ping_pending;
	uint32_t ping_value;
	int ping_acked;
	struct bp_stream streams[BP_MAX_STREAMS];
};

static void bp_fail(struct bp *bp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void bp_say(struct bp *bp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static uint64_t
bp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
bp_say(struct bp *bp, const char *fmt, ...)
{
	va_list ap;

	printf("badpeer: %s: ", bp->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
bp_fail(struct bp *bp, const char *fmt, ...)
{
	va_list ap;

	printf("badpeer: %s: FAIL: ", bp->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

/* Local trouble (not the daemon's fault). */
static void
bp_die(struct bp *bp, const char *what, int err)
{
	printf("badpeer: %s: error: %s: %s\n", bp->name, what,
	    err < 0 && err > PD_ERR_BASE ? strerror(-err) : pd_strerror(err));
	exit(2);
}

/* ---------------------------------------------------------------- I/O */

static int
bp_remaining(uint64_t deadline)
{
	uint64_t now = bp_now();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/*
 * Send everything by deadline.  0, -EPIPE/-ECONNRESET (the daemon closed:
 * bp->closed is set), or -ETIMEDOUT.
 */
static int
bp_send(struct bp *bp, const void *data, size_t len, uint64_t deadline)
{
	const uint8_t *p = data;

	while (len > 0) {
		struct pollfd pfd = { .fd = bp->fd, .events = POLLOUT };
		ssize_t n;
		int r = poll(&pfd, 1, bp_remaining(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		n = send(bp->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				bp->closed = 1;
				bp->how = "reset";
				return -errno;
			}
			bp_die(bp, "send", -errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read what is there (waiting until deadline) and append it to b.
 * Returns bytes read (> 0), 0 on EOF or reset (bp->closed set), or
 * -ETIMEDOUT.
 */
static int
bp_recv(struct bp *bp, struct pd_buf *b, uint64_t deadline)
{
	uint8_t buf[BP_READ_CHUNK];

	for (;;) {
		struct pollfd pfd = { .fd = bp->fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, bp_remaining(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(bp->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 && errno != ECONNRESET)
			bp_die(bp, "recv", -errno);
		if (n <= 0) {
			bp->closed = 1;
			bp->how = n == 0 ? "EOF" : "reset";
			return 0;
		}
		if (pd_buf_append(b, buf, (size_t)n) < 0)
			bp_die(bp, "recv", PD_ERR_NOMEM);
		return (int)n;
	}
}

static void
bp_connect(struct bp *bp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pd_multiaddr local;
	int r, one = 1;

	if ((r = pd_multiaddr_to_sockaddr(&bp->addr, &ss, &len)) < 0)
		bp_die(bp, "address", r);
	if ((bp->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		bp_die(bp, "socket", -errno);
	(void)setsockopt(bp->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(bp->fd, (struct sockaddr *)&ss, len) < 0)
		bp_fail(bp, "connect: %s", strerror(errno));
	len = sizeof(ss);
	if (getsockname(bp->fd, (struct sockaddr *)&ss, &len) < 0 ||
	    pd_multiaddr_from_sockaddr((struct sockaddr *)&ss, len,
	    &local) < 0 ||
	    pd_multiaddr_format(&local, bp->local, sizeof(bp->local)) < 0)
		bp_die(bp, "getsockname", -errno);
	bp_say(bp, "local %s", bp->local);
}

/* --------------------------------------------------- upgrade stages */

/* multistream-select /noise on the raw socket; leftovers stay in raw. */
static void
bp_mss_security(struct bp *bp, uint64_t deadline)
{
	static const char *const protos[] = { PD_NOISE_PROTOCOL_ID };
	struct pd_mss *m;
	struct pd_buf *out;
	size_t used;
	int r;

	if ((r = pd_mss_dialer_new(protos, 1, &m)) < 0)
		bp_die(bp, "mss", r);
	out = pd_mss_out(m);
	for (;;) {
		if (out->len > 0 && bp_send(bp, out->data, out->len,
		    deadline) < 0)
			bp_fail(bp, "security negotiation: cannot send");
		pd_buf_reset(out);
		if (bp->raw.len > 0) {
			r = pd_mss_feed(m, bp->raw.data, bp->raw.len, &used);
			pd_buf_consume(&bp->raw, used);
			if (r == 1)
				break;
			if (r < 0)
				bp_fail(bp, "security negotiation: %s",
				    pd_mss_why(m));
			continue;
		}
		if (bp_recv(bp, &bp->raw, deadline) <= 0)
			bp_fail(bp, "security negotiation: %s",
			    bp->closed ? "closed by the daemon" : "timed out");
	}
	pd_mss_free(m);
}

/* Sign "noise-libp2p-static-key:" ‖ static key with our identity. */
static int
bp_sign_good(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	struct bp *bp = arg;
	int r;

	if (*siglen < PD_KEY_ED25519_SIG_LEN)
		return PD_ERR_OVERFLOW;
	if ((r = pd_privkey_sign(&bp->key, msg, len, sig)) < 0)
		return r;
	*siglen = PD_KEY_ED25519_SIG_LEN;
	return 0;
}

/* Sign the wrong static key: the last byte of the key is flipped. */
static int
bp_sign_wrong(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	uint8_t copy[256];

	if (len == 0 || len > sizeof(copy))
		return PD_ERR_INVAL;
	memcpy(copy, msg, len);
	copy[len - 1] ^= 0x01;
	return bp_sign_good(arg, copy, len, sig, siglen);
}

/*
 * Noise XX as the initiator through pd_noise.  Returns 0 when the
 * handshake completed, or the handshake's error (the connection is left
 * as it is; the caller decides).
 */
static int
bp_noise(struct bp *bp, pd_noise_sign_cb sign,
    const struct pd_peerid *expect, uint64_t deadline)
{
	struct pd_buf out;
	int r;

	if ((r = pd_noise_new(PD_NOISE_INITIATOR, bp->pubpb, bp->pubpb_len,
	    sign, bp, expect, &bp->nz)) < 0)
		bp_die(bp, "noise", r);
	pd_buf_init(&out);
	r = pd_noise_handshake(bp->nz, bp->raw.data, bp->raw.len, &out);
	pd_buf_reset(&bp->raw);
	for (;;) {
		if (r >= 0 && out.len > 0 && bp_send(bp, out.data, out.len,
		    deadline) < 0)
			bp_fail(bp, "noise handshake: cannot send");
		pd_buf_reset(&out);
		if (r != 0)
			break;
		if (bp_recv(bp, &bp->raw, deadline) <= 0)
			bp_fail(bp, "noise handshake: %s", bp->closed ?
			    "closed by the daemon" : "timed out");
		r = pd_noise_handshake(bp->nz, bp->raw.data, bp->raw.len,
		    &out);
		pd_buf_reset(&bp->raw);
	}
	pd_buf_free(&out);
	return r < 0 ? r : 0;
}

/* Encrypt and send; a closed connection is reported to the caller. */
static int
bp_secure_send(struct bp *bp, const void *data, size_t len,
    uint64_t deadline)
{
	struct pd_buf out;
	int r;

	pd_buf_init(&out);
	if ((r = pd_noise_encrypt(bp->nz, data, len, &out)) < 0)
		bp_die(bp, "noise encrypt", r);
	r = bp_send(bp, out.data, out.len, deadline);
	pd_buf_free(&out);
	return r;
}

/* Read and decrypt into plain.  Same returns as bp_recv. */
static int
bp_secure_recv(struct bp *bp, uint64_t deadline)
{
	int n, r;

	pd_buf_reset(&bp->raw);
	if ((n = bp_recv(bp, &bp->raw, deadline)) <= 0)
		return n;
	if ((r = pd_noise_decrypt(bp->nz, bp->raw.data, bp->raw.len,
	    &bp->plain)) < 0)
		bp_fail(bp, "daemon sent a bad transport frame: %s",
		    pd_noise_why(bp->nz));
	return n;
}

/* multistream-select /yamux/1.0.0 inside Noise. */
static void
bp_mss_muxer(struct bp *bp, uint64_t deadline)
{
	static const char *const protos[] = { PD_YAMUX_PROTOCOL_ID };
	struct pd_mss *m;
	struct pd_buf *out;
	size_t used;
	int r;

	if ((r = pd_mss_dialer_new(protos, 1, &m)) < 0)
		bp_die(bp, "mss", r);
	if ((r = pd_noise_decrypt(bp->nz, NULL, 0, &bp->plain)) < 0)
		bp_fail(bp, "bad transport frame: %s", pd_noise_why(bp->nz));
	out = pd_mss_out(m);
	for (;;) {
		if (out->len > 0 && bp_secure_send(bp, out->data, out->len,
		    deadline) < 0)
			bp_fail(bp, "muxer negotiation: cannot send");
		pd_buf_reset(out);
		if (bp->plain.len > 0) {
			r = pd_mss_feed(m, bp->plain.data, bp->plain.len,
			    &used);
			pd_buf_consume(&bp->plain, used);
			if (r == 1)
				break;
			if (r < 0)
				bp_fail(bp, "muxer negotiation: %s",
				    pd_mss_why(m));
			continue;
		}
		if (bp_secure_recv(bp, deadline) <= 0)
			bp_fail(bp, "muxer negotiation: %s",
			    bp->closed ? "closed by the daemon" : "timed out");
	}
	pd_mss_free(m);
}

/* TCP, /noise, Noise XX, /yamux/1.0.0: a yamux session is ready. */
static void
bp_upgrade(struct bp *bp)
{
	uint64_t deadline = bp_now() + 5000;
	int r;

	bp_connect(bp);
	bp_mss_security(bp, deadline);
	if ((r = bp_noise(bp, bp_sign_good, &bp->remote, deadline)) < 0)
		bp_fail(bp, "noise handshake failed: %s",
		    pd_noise_why(bp->nz));
	bp_mss_muxer(bp, deadline);
	bp_say(bp, "upgraded");
}

/* ------------------------------------------------------------- yamux */

static int
bp_frame(struct bp *bp, uint8_t version, uint8_t type, uint16_t flags,
    uint32_t id, uint32_t length, const void *body, size_t bodylen)
{
	struct pd_yamux_hdr h = { version, type, flags, id, length };
	uint8_t hdr[PD_YAMUX_HDR_LEN];
	struct pd_buf f;
	int r;

	pd_buf_init(&f);
	pd_yamux_hdr_encode(&h, hdr);
	if (pd_buf_append(&f, hdr, sizeof(hdr)) < 0 ||
	    (bodylen > 0 && pd_buf_append(&f, body, bodylen) < 0))
		bp_die(bp, "frame", PD_ERR_NOMEM);
	r = bp_secure_send(bp, f.data, f.len, bp_now() + 5000);
	pd_buf_free(&f);
	return r;
}

static int
bp_stream_data(struct bp *bp, uint32_t id, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	return bp_frame(bp, 0, PD_YAMUX_TYPE_DATA, 0, id, (uint32_t)len, data,
	    len);
}

static struct bp_stream *
bp_stream_find(struct bp *bp, uint32_t id)
{
	for (size_t i = 0; i < BP_MAX_STREAMS; i++)
		if (bp->streams[i].used && bp->streams[i].id == id)
			return &bp->streams[i];
	return NULL;
}

static struct bp_stream *
bp_stream_new(struct bp *bp, uint32_t id, int outbound)
{
	for (size_t i = 0; i < BP_MAX_STREAMS; i++) {
		struct bp_stream *s = &bp->streams[i];

		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->used = 1;
		s->id = id;
		s->outbound = outbound;
		pd_buf_init(&s->data);
		return s;
	}
	return NULL;
}

static void
bp_stream_free(struct bp_stream *s)
{
	pd_mss_free(s->mss);
	pd_buf_free(&s->data);
	memset(s, 0, sizeof(*s));
}

static void
bp_stream_fin(struct bp *bp, struct bp_stream *s)
{
	if (s->fin_tx || s->rst)
		return;
	s->fin_tx = 1;
	(void)bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_FIN,
	    s->id, 0, NULL, 0);
}

static void
bp_stream_flush_mss(struct bp *bp, struct bp_stream *s)
{
	struct pd_buf *out = pd_mss_out(s->mss);

	(void)bp_stream_data(bp, s->id, out->data, out->len);
	pd_buf_reset(out);
}

/* Our identify answer: our key, protocols, and FIN. */
static void
bp_serve_identify(struct bp *bp, struct bp_stream *s)
{
	static struct pd_identify id;	/* large */
	static char p1[] = PD_IDENTIFY_PROTO, p2[] = PD_PING_PROTO;
	struct pd_buf msg, framed;

	pd_identify_init(&id);
	id.has_pubkey = 1;
	id.pubkey = bp->pub;
	id.protocols[0] = p1;
	id.protocols[1] = p2;
	id.nprotocols = 2;
	id.agent_version = (char *)(uintptr_t)"badpeer";
	id.protocol_version = (char *)(uintptr_t)PD_IDENTIFY_PROTOCOL_VERSION;
	pd_buf_init(&msg);
	pd_buf_init(&framed);
	if (pd_identify_encode(&id, NULL, 0, &msg) < 0 ||
	    pd_varint_append(&framed, msg.len) < 0 ||
	    pd_buf_append(&framed, msg.data, msg.len) < 0)
		bp_die(bp, "identify", PD_ERR_NOMEM);
	(void)bp_stream_data(bp, s->id, framed.data, framed.len);
	bp_stream_fin(bp, s);
	pd_buf_free(&msg);
	pd_buf_free(&framed);
}

/* Protocol bytes on a negotiated stream. */
static void
bp_stream_proto_data(struct bp *bp, struct bp_stream *s)
{
	if (s->outbound) {
		if (s->ping_sent && !s->ping_ok && s->data.len >= PD_PING_SIZE) {
			if (memcmp(s->data.data, s->ping, PD_PING_SIZE) != 0)
				bp_fail(bp, "ping echo differs from what we "
				    "sent");
			s->ping_ok = 1;
			bp_stream_fin(bp, s);
		}
		return;
	}
	if (strcmp(s->proto, PD_PING_PROTO) == 0) {
		/* Echo whole pings. */
		while (s->data.len >= PD_PING_SIZE) {
			(void)bp_stream_data(bp, s->id, s->data.data,
			    PD_PING_SIZE);
			pd_buf_consume(&s->data, PD_PING_SIZE);
			s->echoed += PD_PING_SIZE;
		}
	} else {
		pd_buf_reset(&s->data);	/* identify needs nothing */
	}
}

static void
bp_stream_negotiated(struct bp *bp, struct bp_stream *s)
{
	snprintf(s->proto, sizeof(s->proto), "%s", pd_mss_protocol(s->mss));
	pd_mss_free(s->mss);
	s->mss = NULL;
	if (s->outbound) {
		randombytes_buf(s->ping, sizeof(s->ping));
		s->ping_sent = 1;
		(void)bp_stream_data(bp, s->id, s->ping, sizeof(s->ping));
	} else if (strcmp(s->proto, PD_IDENTIFY_PROTO) == 0) {
		bp_serve_identify(bp, s);
	}
	bp_stream_proto_data(bp, s);
}

/* Stream bytes from the daemon. */
static void
bp_stream_input(struct bp *bp, struct bp_stream *s, const uint8_t *p,
    size_t len)
{
	size_t used;
	int r;

	if (s->mss != NULL) {
		r = pd_mss_feed(s->mss, p, len, &used);
		bp_stream_flush_mss(bp, s);
		if (r < 0) {
			if (s->outbound)
				bp_fail(bp, "stream %u: negotiation failed: "
				    "%s", s->id, pd_mss_why(s->mss));
			s->rst = 1;
			(void)bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE,
			    PD_YAMUX_FLAG_RST, s->id, 0, NULL, 0);
			return;
		}
		if (r == 0)
			return;
		p += used;
		len -= used;
		if (pd_buf_append(&s->data, p, len) < 0)
			bp_die(bp, "stream", PD_ERR_NOMEM);
		bp_stream_negotiated(bp, s);
		return;
	}
	if (pd_buf_append(&s->data, p, len) < 0)
		bp_die(bp, "stream", PD_ERR_NOMEM);
	bp_stream_proto_data(bp, s);
}

/* A stream the daemon opened (identify, ping). */
static void
bp_stream_inbound(struct bp *bp, uint32_t id)
{
	static const char *const protos[] = { PD_IDENTIFY_PROTO,
	    PD_PING_PROTO };
	struct bp_stream *s;

	if (!bp->serve || (s = bp_stream_new(bp, id, 0)) == NULL) {
		/* Not serving: leave it unanswered. */
		return;
	}
	if (pd_mss_listener_new(protos, 2, NULL, NULL, &s->mss) < 0)
		bp_die(bp, "mss", PD_ERR_NOMEM);
	(void)bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_ACK,
	    id, 0, NULL, 0);
	bp_stream_flush_mss(bp, s);
}

/* One whole frame from the daemon. */
static void
bp_on_frame(struct bp *bp, const struct pd_yamux_hdr *h, const uint8_t *body)
{
	struct bp_stream *s;

	if (h->type == PD_YAMUX_TYPE_PING) {
		if (h->flags & PD_YAMUX_FLAG_SYN)
			(void)bp_frame(bp, 0, PD_YAMUX_TYPE_PING,
			    PD_YAMUX_FLAG_ACK, 0, h->length, NULL, 0);
		else if (bp->ping_pending && h->length == bp->ping_value)
			bp->ping_acked = 1;
		return;
	}
	if (h->type == PD_YAMUX_TYPE_GO_AWAY) {
		if (bp->ngoaway++ == 0)
			bp->goaway_code = h->length;
		return;
	}
	if (h->flags & PD_YAMUX_FLAG_RST)
		bp->nrst++;
	if (h->flags & PD_YAMUX_FLAG_ACK)
		bp->nack++;
	s = bp_stream_find(bp, h->stream_id);
	if (s == NULL && (h->flags & PD_YAMUX_FLAG_SYN)) {
		bp_stream_inbound(bp, h->stream_id);
		s = bp_stream_find(bp, h->stream_id);
	}
	if (s == NULL)
		return;
	if (h->type == PD_YAMUX_TYPE_DATA && h->length > 0 && !s->rst)
		bp_stream_input(bp, s, body, h->length);
	if (h->flags & PD_YAMUX_FLAG_RST)
		s->rst = 1;
	if (h->flags & PD_YAMUX_FLAG_FIN) {
		s->fin_rx = 1;
		if (!s->outbound)
			bp_stream_fin(bp, s);
	}
	if (!s->outbound && (s->rst || (s->fin_rx && s->fin_tx)))
		bp_stream_free(s);
}

/* Parse every whole frame in plain. */
static void
bp_parse_frames(struct bp *bp)
{
	struct pd_yamux_hdr h;
	size_t need;
	int r;

	while (bp->plain.len >= PD_YAMUX_HDR_LEN) {
		if ((r = pd_yamux_hdr_decode(bp->plain.data, bp->plain.len,
		    &h)) < 0)
			bp_fail(bp, "daemon sent a bad yamux header: %s",
			    pd_strerror(r));
		need = PD_YAMUX_HDR_LEN;
		if (h.type == PD_YAMUX_TYPE_DATA)
			need += h.length;
		if (bp->plain.len < need)
			return;
		bp_on_frame(bp, &h, bp->plain.data + PD_YAMUX_HDR_LEN);
		pd_buf_consume(&bp->plain, need);
	}
}

/*
 * Run the yamux reader until done(bp) holds (returns 1), the connection
 * closes (0) or the deadline passes (-1).
 */
static int
bp_yamux_run(struct bp *bp, int (*done)(struct bp *), uint64_t deadline)
{
	for (;;) {
		bp_parse_frames(bp);
		if (done != NULL && done(bp))
			return 1;
		if (bp->closed)
			return 0;
		if (bp_secure_recv(bp, deadline) < 0)
			return -1;
	}
}

/* Our outbound ping stream (opened with bp_ping_open). */
static struct bp_stream *
bp_ping_stream(struct bp *bp)
{
	for (size_t i = 0; i < BP_MAX_STREAMS; i++)
		if (bp->streams[i].used && bp->streams[i].outbound)
			return &bp->streams[i];
	return NULL;
}

static int
bp_ping_done(struct bp *bp)
{
	struct bp_stream *s = bp_ping_stream(bp);

	return s != NULL && s->ping_ok;
}

/* Open stream id, negotiate /ipfs/ping/1.0.0 and ping once. */
static void
bp_ping_open(struct bp *bp, uint32_t id)
{
	static const char *const protos[] = { PD_PING_PROTO };
	struct bp_stream *s;

	if ((s = bp_stream_new(bp, id, 1)) == NULL)
		bp_die(bp, "stream", PD_ERR_OVERFLOW);
	if (pd_mss_dialer_new(protos, 1, &s->mss) < 0)
		bp_die(bp, "mss", PD_ERR_NOMEM);
	(void)bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN,
	    id, 0, NULL, 0);
	bp_stream_flush_mss(bp, s);
}

/* The well-behaved exchange on an upgraded connection. */
static void
bp_ping_check(struct bp *bp, uint32_t id)
{
	uint64_t t = bp_now();
	int r;

	bp_ping_open(bp, id);
	r = bp_yamux_run(bp, bp_ping_done, t + 5000);
	if (r == 0)
		bp_fail(bp, "connection closed (%s) before the ping echo",
		    bp->how);
	if (r < 0)
		bp_fail(bp, "no ping echo within 5 s");
	bp_say(bp, "ping ok: 32 bytes echoed in %llu ms",
	    (unsigned long long)(bp_now() - t));
}

static int
bp_session_ping_done(struct bp *bp)
{
	return bp->ping_acked;
}

/* A yamux-level ping (stream 0) answered? */
static void
bp_session_ping(struct bp *bp)
{
	uint64_t t = bp_now();

	randombytes_buf(&bp->ping_value, sizeof(bp->ping_value));
	bp->ping_pending = 1;
	bp->ping_acked = 0;
	if (bp_frame(bp, 0, PD_YAMUX_TYPE_PING, PD_YAMUX_FLAG_SYN, 0,
	    bp->ping_value, NULL, 0) < 0 ||
	    bp_yamux_run(bp, bp_session_ping_done, t + 5000) != 1)
		bp_fail(bp, "no answer to a yamux ping (connection %s)",
		    bp->closed ? "closed" : "open");
	bp->ping_pending = 0;
	bp_say(bp, "yamux ping answered in %llu ms",
	    (unsigned long long)(bp_now() - t));
}

/* ------------------------------------------------------- verdicts */

static void
bp_start_clock(struct bp *bp)
{
	bp->t0 = bp_now();
}

/* The daemon closed the connection: within the bounds? */
static void
bp_closed_verdict(struct bp *bp)
{
	uint64_t took = bp_now() - bp->t0;

	if ((int)took < bp->min_ms)
		bp_fail(bp, "closed after %llu ms, before the %d ms minimum",
		    (unsigned long long)took, bp->min_ms);
	if (bp->want_goaway && (bp->ngoaway == 0 ||
	    bp->goaway_code != PD_YAMUX_GOAWAY_PROTOCOL))
		bp_fail(bp, "closed without a go away (protocol error) first");
	bp_say(bp, "ok: closed by the daemon after %llu.%03llu s (%s)%s",
	    (unsigned long long)(took / 1000),
	    (unsigned long long)(took % 1000), bp->how,
	    bp->ngoaway > 0 ? ", after a go away" : "");
	if (bp->ngoaway > 0)
		bp_say(bp, "go away code %u", bp->goaway_code);
	close(bp->fd);
	exit(0);
}

/* Wait for the daemon to close, reading (and discarding) what it sends. */
static void
bp_wait_closed(struct bp *bp)
{
	uint64_t deadline = bp->t0 + (uint64_t)bp->max_ms;

	while (!bp->closed) {
		int n;

		if (bp->nz != NULL && pd_noise_done(bp->nz)) {
			n = bp_secure_recv(bp, deadline);
			bp_parse_frames(bp);
		} else {
			pd_buf_reset(&bp->raw);
			n = bp_recv(bp, &bp->raw, deadline);
		}
		if (n < 0)
			bp_fail(bp, "connection still open after %d ms",
			    bp->max_ms);
	}
	bp_closed_verdict(bp);
}

/* ------------------------------------------------------------- cases */

/* 0. The control: a peer that does everything right. */
static void
case_good(struct bp *bp)
{
	uint64_t deadline;

	bp->serve = 1;
	bp_upgrade(bp);
	bp_ping_check(bp, 1);
	/* Give the daemon's identify and ping a moment on our side. */
	deadline = bp_now() + 300;
	while (!bp->closed && bp_secure_recv(bp, deadline) > 0)
		bp_parse_frames(bp);
	if (bp->closed)
		bp_fail(bp, "daemon closed a good connection");
	for (size_t i = 0; i < BP_MAX_STREAMS; i++)
		if (bp->streams[i].used && !bp->streams[i].outbound &&
		    bp->streams[i].echoed > 0)
			bp_say(bp, "echoed the daemon's ping");
	close(bp->fd);
	bp_say(bp, "ok");
	exit(0);
}

/* 1. Not multistream at all. */
static void
case_garbage(struct bp *bp)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: peerdisc\r\n";
	uint8_t junk[BP_GARBAGE_LEN];

	bp_connect(bp);
	memcpy(junk, http, sizeof(http) - 1);
	randombytes_buf(junk + sizeof(http) - 1, sizeof(junk) -
	    (sizeof(http) - 1));
	/* 'G' (71) announces a 71-byte message: make it lack its '\n'. */
	junk[71] = 'x';
	bp_start_clock(bp);
	(void)bp_send(bp, junk, sizeof(junk), bp->t0 + 2000);
	bp_wait_closed(bp);
}

/* 2. A Noise message that announces 200 bytes and delivers 50. */
static void
case_noise_truncated(struct bp *bp)
{
	uint8_t msg[2 + BP_TRUNC_SENT];

	bp_connect(bp);
	bp_mss_security(bp, bp_now() + 5000);
	msg[0] = BP_TRUNC_DECLARED >> 8;
	msg[1] = BP_TRUNC_DECLARED & 0xff;
	randombytes_buf(msg + 2, BP_TRUNC_SENT);
	bp_start_clock(bp);
	(void)bp_send(bp, msg, sizeof(msg), bp->t0 + 2000);
	bp_wait_closed(bp);
}

/*
 * Msg 1, then read msg 2 with the bare XX engine (no checks), so that
 * msg 3 can be anything.
 */
static void
bp_xx_to_msg3(struct bp *bp, struct pd_noise_xx *xx)
{
	uint8_t s_sk[PD_NOISE_DH_LEN];
	struct pd_buf out, payload;
	uint64_t deadline = bp_now() + 5000;
	size_t len;
	int r;

	bp_connect(bp);
	bp_mss_security(bp, deadline);
	randombytes_buf(s_sk, sizeof(s_sk));
	if ((r = pd_noise_xx_init(xx, 1, NULL, 0, s_sk, NULL)) < 0)
		bp_die(bp, "noise", r);
	pd_buf_init(&out);
	pd_buf_append(&out, "\0\0", 2);
	if ((r = pd_noise_xx_write(xx, NULL, 0, &out)) < 0)
		bp_die(bp, "noise msg 1", r);
	out.data[0] = (uint8_t)((out.len - 2) >> 8);
	out.data[1] = (uint8_t)(out.len - 2);
	if (bp_send(bp, out.data, out.len, deadline) < 0)
		bp_fail(bp, "cannot send msg 1");
	while (bp->raw.len < 2 ||
	    bp->raw.len < 2 + (len = ((size_t)bp->raw.data[0] << 8) |
	    bp->raw.data[1]))
		if (bp_recv(bp, &bp->raw, deadline) <= 0)
			bp_fail(bp, "no msg 2 (%s)", bp->closed ?
			    "closed" : "timed out");
	pd_buf_init(&payload);
	if ((r = pd_noise_xx_read(xx, bp->raw.data + 2, len, &payload)) < 0)
		bp_fail(bp, "msg 2 does not decrypt: %s", pd_strerror(r));
	pd_buf_consume(&bp->raw, 2 + len);
	pd_buf_free(&payload);
	pd_buf_free(&out);
}

/* 3a. Msg 3 of the largest size, 65535 bytes of junk. */
static void
case_noise_oversized(struct bp *bp)
{
	struct pd_noise_xx xx;
	uint8_t *msg;

	bp_xx_to_msg3(bp, &xx);
	if ((msg = malloc(2 + PD_NOISE_MAX_MSG)) == NULL)
		bp_die(bp, "malloc", PD_ERR_NOMEM);
	msg[0] = 0xff;
	msg[1] = 0xff;
	randombytes_buf(msg + 2, PD_NOISE_MAX_MSG);
	bp_start_clock(bp);
	(void)bp_send(bp, msg, 2 + PD_NOISE_MAX_MSG, bp->t0 + 2000);
	free(msg);
	pd_noise_xx_clear(&xx);
	bp_wait_closed(bp);
}

/*
 * 3b. A correctly encrypted msg 3 whose handshake payload carries a
 * 65000-byte identity key (the whole message is just under 65535).
 */
static void
case_noise_long_payload(struct bp *bp)
{
	struct pd_noise_xx xx;
	struct pd_buf payload, out;
	uint8_t *junk, sig[PD_KEY_ED25519_SIG_LEN];
	int r;

	bp_xx_to_msg3(bp, &xx);
	if ((junk = malloc(BP_LONG_KEY_LEN)) == NULL)
		bp_die(bp, "malloc", PD_ERR_NOMEM);
	randombytes_buf(junk, BP_LONG_KEY_LEN);
	randombytes_buf(sig, sizeof(sig));
	pd_buf_init(&payload);
	pd_buf_init(&out);
	if (pd_buf_append_byte(&payload, 0x0a) < 0 ||
	    pd_varint_append(&payload, BP_LONG_KEY_LEN) < 0 ||
	    pd_buf_append(&payload, junk, BP_LONG_KEY_LEN) < 0 ||
	    pd_buf_append_byte(&payload, 0x12) < 0 ||
	    pd_varint_append(&payload, sizeof(sig)) < 0 ||
	    pd_buf_append(&payload, sig, sizeof(sig)) < 0 ||
	    pd_buf_append(&out, "\0\0", 2) < 0)
		bp_die(bp, "payload", PD_ERR_NOMEM);
	if ((r = pd_noise_xx_write(&xx, payload.data, payload.len, &out)) < 0)
		bp_die(bp, "noise msg 3", r);
	out.data[0] = (uint8_t)((out.len - 2) >> 8);
	out.data[1] = (uint8_t)(out.len - 2);
	bp_say(bp, "msg 3 of %zu bytes, payload %zu bytes", out.len - 2,
	    payload.len);
	bp_start_clock(bp);
	(void)bp_send(bp, out.data, out.len, bp->t0 + 2000);
	free(junk);
	pd_buf_free(&payload);
	pd_buf_free(&out);
	pd_noise_xx_clear(&xx);
	bp_wait_closed(bp);
}

/* 4. Msg 3 carries a signature over the wrong static key. */
static void
case_bad_signature(struct bp *bp)
{
	uint64_t deadline = bp_now() + 5000;
	int r;

	bp_connect(bp);
	bp_mss_security(bp, deadline);
	if ((r = bp_noise(bp, bp_sign_wrong, &bp->remote, deadline)) < 0)
		bp_fail(bp, "handshake failed on our side: %s",
		    pd_noise_why(bp->nz));
	bp_start_clock(bp);
	bp_wait_closed(bp);
}

/* 5. We expect another peer ID: our side aborts after msg 2. */
static void
case_wrong_peer(struct bp *bp)
{
	struct pd_privkey other;
	struct pd_pubkey opub;
	struct pd_peerid oid;
	uint64_t deadline = bp_now() + 5000;
	int r;

	if (pd_privkey_generate(&other) < 0 ||
	    pd_privkey_public(&other, &opub) < 0 ||
	    pd_peerid_from_pubkey(&opub, &oid) < 0)
		bp_die(bp, "key", PD_ERR_UNAVAILABLE);
	pd_privkey_clear(&other);
	bp_connect(bp);
	bp_mss_security(bp, deadline);
	r = bp_noise(bp, bp_sign_good, &oid, deadline);
	if (r != PD_ERR_BAD_KEY)
		bp_fail(bp, "handshake %s instead of failing on the peer ID",
		    r == 0 ? "succeeded" : pd_noise_why(bp->nz));
	bp_say(bp, "ok: our side refused the daemon: %s",
	    pd_noise_why(bp->nz));
	close(bp->fd);
	exit(0);
}

/*
 * 6. A yamux header with version 1.  The daemon has read everything we
 * sent, so it closes with FIN and its Go Away must arrive first (in the
 * window case it closes with unread data, i.e. RST, which may overtake).
 */
static void
case_yamux_version(struct bp *bp)
{
	bp->want_goaway = 1;
	bp_upgrade(bp);
	bp_start_clock(bp);
	(void)bp_frame(bp, 1, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN,
	    1, 0, NULL, 0);
	bp_wait_closed(bp);
}

/* 7. One Data frame of 256 KiB + 1 on a new stream. */
static void
case_yamux_window(struct bp *bp)
{
	size_t len = PD_YAMUX_WINDOW + 1;
	uint8_t *body;

	bp_upgrade(bp);
	if ((body = calloc(1, len)) == NULL)
		bp_die(bp, "calloc", PD_ERR_NOMEM);
	bp_start_clock(bp);
	(void)bp_frame(bp, 0, PD_YAMUX_TYPE_DATA, PD_YAMUX_FLAG_SYN, 1,
	    (uint32_t)len, body, len);
	free(body);
	bp_wait_closed(bp);
}

/*
 * 8. The dialer opens an even stream ID (one the daemon has not used:
 * it opened 2 itself for identify, and a SYN for a live ID is a
 * duplicate, which is another error).
 */
static void
case_yamux_parity(struct bp *bp)
{
	bp->want_goaway = 1;
	bp_upgrade(bp);
	bp_start_clock(bp);
	(void)bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN,
	    BP_EVEN_ID, 0, NULL, 0);
	bp_wait_closed(bp);
}

/* 9. Frames for streams that were never opened: drained, no harm. */
static void
case_yamux_unknown(struct bp *bp)
{
	uint8_t junk[BP_UNKNOWN_DATA];

	bp_upgrade(bp);
	randombytes_buf(junk, sizeof(junk));
	bp_start_clock(bp);
	if (bp_stream_data(bp, 7, junk, sizeof(junk)) < 0 ||
	    bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, 0, 9, 1000, NULL,
	    0) < 0 ||
	    bp_frame(bp, 0, PD_YAMUX_TYPE_DATA, PD_YAMUX_FLAG_FIN, 11, 16,
	    junk, 16) < 0 ||
	    bp_frame(bp, 0, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_RST,
	    13, 0, NULL, 0) < 0)
		bp_fail(bp, "connection closed while sending");
	bp_session_ping(bp);
	bp_ping_check(bp, 1);
	if (bp->ngoaway > 0)
		bp_fail(bp, "daemon sent go away %u", bp->goaway_code);
	bp_say(bp, "ok: connection still up, %u RST seen", bp->nrst);
	close(bp->fd);
	exit(0);
}

/* 10. Thousands of SYNs: at most PD_YAMUX_MAX_STREAMS may live. */
static void
case_syn_flood(struct bp *bp, unsigned n)
{
	uint8_t batch[BP_FLOOD_BATCH * PD_YAMUX_HDR_LEN];
	uint32_t id = 1;
	unsigned sent = 0, want;
	uint64_t deadline;

	bp_upgrade(bp);
	bp_start_clock(bp);
	while (sent < n && !bp->closed) {
		unsigned k = n - sent < BP_FLOOD_BATCH ? n - sent :
		    BP_FLOOD_BATCH;

		for (unsigned i = 0; i < k; i++, id += 2) {
			struct pd_yamux_hdr h = { 0,
			    PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN, id,
			    0 };

			pd_yamux_hdr_encode(&h, batch + i * PD_YAMUX_HDR_LEN);
		}
		if (bp_secure_send(bp, batch, k * PD_YAMUX_HDR_LEN,
		    bp_now() + 5000) < 0)
			break;
		sent += k;
		/* Read what is there so neither side blocks. */
		while (!bp->closed && bp_secure_recv(bp, bp_now()) > 0)
			bp_parse_frames(bp);
	}
	bp_say(bp, "sent %u SYNs in %llu ms", sent,
	    (unsigned long long)(bp_now() - bp->t0));
	want = n > PD_YAMUX_MAX_STREAMS ? n - PD_YAMUX_MAX_STREAMS : 0;
	deadline = bp_now() + (uint64_t)bp->max_ms;
	while (!bp->closed && bp->nrst < want)
		if (bp_secure_recv(bp, deadline) < 0)
			break;
		else
			bp_parse_frames(bp);
	bp_parse_frames(bp);
	bp_say(bp, "daemon answered %u ACKs and %u RSTs", bp->nack, bp->nrst);
	if (bp->closed) {
		bp_say(bp, "the daemon closed the connection (%s)", bp->how);
		bp_closed_verdict(bp);
	}
	if (bp->nrst < want)
		bp_fail(bp, "only %u of the %u streams over the cap were reset",
		    bp->nrst, want);
	if (bp->nack > PD_YAMUX_MAX_STREAMS)
		bp_fail(bp, "%u streams accepted, over the cap of %d",
		    bp->nack, PD_YAMUX_MAX_STREAMS);
	bp_session_ping(bp);
	bp_say(bp, "ok: connection stayed up and answers");
	close(bp->fd);
	exit(0);
}

/* 11. The multistream header, then one byte a second, forever. */
static void
case_slowloris(struct bp *bp)
{
	static const uint8_t hdr[] = "\x13/multistream/1.0.0\n";
	static const uint8_t prefix[] = { 0xe8, 0x07 };	/* 1000 bytes follow */
	uint64_t deadline;

	bp_connect(bp);
	bp_start_clock(bp);
	deadline = bp->t0 + (uint64_t)bp->max_ms;
	if (bp_send(bp, hdr, sizeof(hdr) - 1, deadline) < 0 ||
	    bp_send(bp, prefix, sizeof(prefix), deadline) < 0)
		bp_fail(bp, "closed at once");
	for (unsigned i = 0; !bp->closed; i++) {
		uint64_t next = bp_now() + 1000;
		int n;

		pd_buf_reset(&bp->raw);
		while (!bp->closed && (n = bp_recv(bp, &bp->raw,
		    next < deadline ? next : deadline)) > 0)
			pd_buf_reset(&bp->raw);
		if (bp->closed)
			break;
		if (bp_now() >= deadline)
			bp_fail(bp, "connection still open after %d ms "
			    "(%u bytes trickled)", bp->max_ms, i);
		(void)bp_send(bp, "a", 1, deadline);
	}
	bp_closed_verdict(bp);
}

/* --------------------------------------------------------------- main */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: badpeer [-w MS] [-m MS] [-n N] CASE MULTIADDR\n"
	    "  MULTIADDR  /ip4/A/tcp/P/p2p/ID of the daemon\n"
	    "  -w MS      the daemon must close the connection within MS "
	    "(default 2000)\n"
	    "  -m MS      ... and not before MS (default 0)\n"
	    "  -n N       SYNs for syn-flood (default %d)\n"
	    "cases: good garbage noise-truncated noise-oversized "
	    "noise-long-payload\n"
	    "       bad-signature wrong-peer yamux-version yamux-window "
	    "yamux-parity\n"
	    "       yamux-unknown syn-flood slowloris\n", BP_FLOOD_DEFAULT);
	exit(2);
}

static void
bp_init(struct bp *bp, const char *name, const char *addr)
{
	struct pd_multiaddr ma;
	const uint8_t *mh;
	size_t mhlen;
	char why[128], text[PD_PEERID_TEXT_MAX];
	int n = 0;

	memset(bp, 0, sizeof(*bp));
	bp->name = name;
	bp->fd = -1;
	pd_buf_init(&bp->raw);
	pd_buf_init(&bp->plain);
	if (sodium_init() < 0)
		bp_die(bp, "sodium_init", PD_ERR_UNAVAILABLE);
	if (pd_multiaddr_parse(addr, &ma, why, sizeof(why)) < 0) {
		fprintf(stderr, "badpeer: %s: %s\n", addr, why);
		exit(2);
	}
	if (pd_multiaddr_peer_id(&ma, &mh, &mhlen) < 0 ||
	    pd_peerid_from_bytes(mh, mhlen, &bp->remote) < 0 ||
	    pd_multiaddr_without_peer(&ma, &bp->addr) < 0) {
		fprintf(stderr, "badpeer: %s: needs a /p2p/ID component\n",
		    addr);
		exit(2);
	}
	if (pd_privkey_generate(&bp->key) < 0 ||
	    pd_privkey_public(&bp->key, &bp->pub) < 0 ||
	    pd_peerid_from_pubkey(&bp->pub, &bp->id) < 0 ||
	    (n = pd_pubkey_encode(&bp->pub, bp->pubpb,
	    sizeof(bp->pubpb))) < 0)
		bp_die(bp, "identity", PD_ERR_UNAVAILABLE);
	bp->pubpb_len = (size_t)n;
	pd_peerid_format(&bp->id, text, sizeof(text));
	bp_say(bp, "peer ID %s", text);
}

int
main(int argc, char **argv)
{
	static struct bp bp;
	unsigned flood = BP_FLOOD_DEFAULT;
	int max_ms = 2000, min_ms = 0, c;
	const char *name;

	while ((c = getopt(argc, argv, "w:m:n:")) != -1) {
		switch (c) {
		case 'w':
			max_ms = atoi(optarg);
			break;
		case 'm':
			min_ms = atoi(optarg);
			break;
		case 'n':
			flood = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || max_ms <= 0 || min_ms < 0 || flood == 0 ||
	    flood > 1000000)
		usage();
	name = argv[optind];
	bp_init(&bp, name, argv[optind + 1]);
	bp.max_ms = max_ms;
	bp.min_ms = min_ms;
	if (strcmp(name, "good") == 0)
		case_good(&bp);
	else if (strcmp(name, "garbage") == 0)
		case_garbage(&bp);
	else if (strcmp(name, "noise-truncated") == 0)
		case_noise_truncated(&bp);
	else if (strcmp(name, "noise-oversized") == 0)
		case_noise_oversized(&bp);
	else if (strcmp(name, "noise-long-payload") == 0)
		case_noise_long_payload(&bp);
	else if (strcmp(name, "bad-signature") == 0)
		case_bad_signature(&bp);
	else if (strcmp(name, "wrong-peer") == 0)
		case_wrong_peer(&bp);
	else if (strcmp(name, "yamux-version") == 0)
		case_yamux_version(&bp);
	else if (strcmp(name, "yamux-window") == 0)
		case_yamux_window(&bp);
	else if (strcmp(name, "yamux-parity") == 0)
		case_yamux_parity(&bp);
	else if (strcmp(name, "yamux-unknown") == 0)
		case_yamux_unknown(&bp);
	else if (strcmp(name, "syn-flood") == 0)
		case_syn_flood(&bp, flood);
	else if (strcmp(name, "slowloris") == 0)
		case_slowloris(&bp);
	usage();
}
