/*
 * kadbad.c - a hostile DHT peer for the DHT bad-input test
 * (tests/integration/048-dht-bad-input.sh).
 *
 * Built on libpeerdisc's own network stack (pd_net): it makes a real
 * upgrade (Noise, yamux, identify) to a peerdiscd listen address and then
 * misbehaves on /ipfs/kad/1.0.0 streams.  The cases run the event loop
 * step by step with a deadline (kb_wait), so each one reads top to bottom:
 *
 *   oversize    a length prefix above 4 MiB, then one above the daemon's
 *               64 KiB request cap followed by that many bytes: each
 *               stream must be reset or ended by the daemon, without an
 *               answer; a FIND_NODE on the same connection afterwards must
 *               still be answered.
 *   badrecord   PUT_VALUE of /pk/ records that must not be stored (the
 *               public key of another identity, garbage instead of a key)
 *               and of an /ipns/ record with a garbage body: a reset, an
 *               end or an answer are all accepted, but a GET_VALUE for
 *               each key afterwards must be answered without a record.
 *   closer      a DHT "server": it listens, advertises the DHT protocol,
 *               connects and identifies, prints "ready", and answers every
 *               FIND_NODE/GET_* with 1,000 closerPeers entries with bogus
 *               multiaddrs (junk bytes, unknown protocol codes, truncated
 *               components, unroutable or closed loopback ports) and some
 *               invalid peer IDs; for -H seconds, then prints how many it
 *               answered.
 *   provflood   -n ADD_PROVIDER messages (default 10000) for random keys,
 *               from -c fresh identities (default 50, one connection
 *               each), each naming itself as the provider; every identity
 *               also provides one shared key.  Then GET_PROVIDERS: the
 *               shared key must list 1..20 providers (the per-key cap),
 *               the last key sent its provider, and with more keys than
 *               the store holds (-n over 10000) the first key none.
 *
 * Output: "kadbad: CASE: ..." lines; exit 0 when the daemon behaved, 1
 * when it did not, 2 for usage or local errors.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/pb.h"
#include "core/varint.h"
#include "kad/msg.h"
#include "kad/providers.h"
#include "net/conn.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

#define KB_AGENT "kadbad"
#define KB_HUGE_PREFIX (5u * 1024 * 1024)	/* above PD_KAD_MSG_MAX */
#define KB_OVER_CAP (100u * 1024)		/* above the 64 KiB request cap */
#define KB_JUNK_LEN 4096			/* bytes after the huge prefix */
#define KB_CLOSER_N 1000			/* closerPeers in our answers */
#define KB_MAX_FLOOD 100000			/* -n cap */
#define KB_MAX_CONNS 500			/* -c cap */
#define KB_STEP_MS 10000			/* one step: dial, answer, ... */

struct kb_conn {
	struct pd_net *net;
	struct pd_idsvc *idsvc;
	struct pd_conn *conn;
	int dial_done, dial_result, identified, down;
};

struct kb_stream {
	struct pd_stream *s;
	struct pd_buf in;
	int opened, open_result, eof, closed, close_err, writable;
};

static struct event_base *kb_base;
static const char *kb_case = "?";
static const char *kb_proto = PD_KAD_PROTO;
static struct pd_multiaddr kb_target;
static int kb_wait_ms = 5000;
static int kb_stop_flag;
static unsigned long kb_served;

static void
kb_say(const char *fmt, ...)
{
	va_list ap;

	printf("kadbad: %s: ", kb_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static uint64_t
kb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run the loop until *flag is set or ms pass.  Returns *flag. */
static int
kb_wait(const int *flag, int ms)
{
	uint64_t end = kb_now_ms() + (uint64_t)ms;
	struct timeval tv = { 0, 20000 };

	while (!*flag && !kb_stop_flag && kb_now_ms() < end) {
		event_base_loopexit(kb_base, &tv);
		event_base_dispatch(kb_base);
	}
	return *flag;
}

/* ---- connections ------------------------------------------------------- */

static void
kb_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	struct kb_conn *kc = arg;

	(void)c;
	(void)id;
	kc->identified = 1;
}

static void
kb_conn_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct kb_conn *kc = arg;

	(void)err;
	(void)why;
	if (c == kc->conn) {
		kc->conn = NULL;
		kc->down = 1;
	}
}

static void
kb_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct kb_conn *kc = arg;

	kc->dial_done = 1;
	kc->dial_result = result;
	kc->conn = c;
	if (result < 0)
		kb_say("dial failed: %s", why);
}

/*
 * A fresh identity on its own net; with handler != NULL it serves the
 * DHT protocol and listens on 127.0.0.1 (so identify advertises both).
 */
static int
kb_conn_new(struct kb_conn *kc, pd_stream_handler_cb handler)
{
	struct pd_privkey key;
	struct pd_net_config ncfg = { .upgrade_timeout_ms = KB_STEP_MS };
	struct pd_net_cbs cbs = { .on_conn_down = kb_conn_down };
	struct pd_idsvc_cbs icbs = { .on_identified = kb_identified };
	struct pd_multiaddr lma;
	char why[PD_NET_WHY_MAX];
	int err;

	memset(kc, 0, sizeof(*kc));
	if ((err = pd_privkey_generate(&key)) < 0)
		return err;
	kc->net = pd_net_new(kb_base, &key, &ncfg, &cbs, kc);
	pd_privkey_clear(&key);
	if (kc->net == NULL ||
	    (kc->idsvc = pd_idsvc_new(kc->net, KB_AGENT, &icbs, kc)) == NULL)
		return PD_ERR_NOMEM;
	if ((err = pd_ping_register(kc->net)) < 0)
		return err;
	if (handler != NULL &&
	    ((err = pd_net_set_handler(kc->net, kb_proto, handler, NULL)) < 0 ||
	    (err = pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0", &lma, why,
	    sizeof(why))) < 0 ||
	    (err = pd_net_listen(kc->net, &lma, NULL, why, sizeof(why))) < 0))
		return err;
	return 0;
}

/* Dial the target; with identify, wait until it answered ours. */
static int
kb_conn_dial(struct kb_conn *kc, int identify)
{
	int err = 0;

	if (pd_net_dial(kc->net, &kb_target, NULL, kb_dial_cb, kc,
	    &err) == NULL)
		return err;
	if (!kb_wait(&kc->dial_done, KB_STEP_MS) || kc->dial_result < 0)
		return kc->dial_done ? kc->dial_result : PD_ERR_TIMEOUT;
	if (!identify)
		return 0;
	if ((err = pd_idsvc_identify(kc->idsvc, kc->conn)) < 0)
		return err;
	return kb_wait(&kc->identified, KB_STEP_MS) ? 0 : PD_ERR_TIMEOUT;
}

static void
kb_conn_free(struct kb_conn *kc)
{
	if (kc->conn != NULL)
		pd_conn_close(kc->conn);
	kc->conn = NULL;
	(void)event_base_loop(kb_base, EVLOOP_NONBLOCK);
	pd_idsvc_free(kc->idsvc);
	pd_net_free(kc->net);
	kc->idsvc = NULL;
	kc->net = NULL;
}

/* ---- client streams ---------------------------------------------------- */

static void
kb_st_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct kb_stream *ks = arg;

	(void)s;
	if (pd_buf_append(&ks->in, data, len) < 0)
		ks->closed = 1;
}

static void
kb_st_eof(struct pd_stream *s, void *arg)
{
	(void)s;
	((struct kb_stream *)arg)->eof = 1;
}

static void
kb_st_writable(struct pd_stream *s, void *arg)
{
	(void)s;
	((struct kb_stream *)arg)->writable = 1;
}

static void
kb_st_close(struct pd_stream *s, int err, void *arg)
{
	struct kb_stream *ks = arg;

	(void)s;
	ks->s = NULL;
	ks->closed = 1;
	ks->close_err = err;
}

static void
kb_st_open_cb(int result, struct pd_stream *s, void *arg)
{
	struct kb_stream *ks = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = kb_st_data,
		.on_eof = kb_st_eof,
		.on_writable = kb_st_writable,
		.on_close = kb_st_close,
	};

	ks->opened = 1;
	ks->open_result = result;
	if (result < 0)
		return;
	ks->s = s;
	pd_stream_set_cbs(s, &cbs, ks);
}

static int
kb_st_open(struct kb_conn *kc, struct kb_stream *ks)
{
	int r;

	memset(ks, 0, sizeof(*ks));
	pd_buf_init(&ks->in);
	if (kc->conn == NULL)
		return PD_ERR_CLOSED;
	if ((r = pd_conn_open_stream(kc->conn, kb_proto, kb_st_open_cb,
	    ks)) < 0)
		return r;
	if (!kb_wait(&ks->opened, KB_STEP_MS))
		return PD_ERR_TIMEOUT;
	return ks->open_result;
}

/* Write everything (waiting for window); PD_ERR_CLOSED if reset. */
static int
kb_st_write(struct kb_stream *ks, const uint8_t *p, size_t len)
{
	while (len > 0) {
		int n;

		if (ks->s == NULL)
			return PD_ERR_CLOSED;
		if ((n = pd_stream_write(ks->s, p, len)) < 0)
			return n;
		p += n;
		len -= (size_t)n;
		if (len > 0) {
			ks->writable = 0;
			if (!kb_wait(&ks->writable, KB_STEP_MS) && !ks->closed)
				return PD_ERR_TIMEOUT;
		}
	}
	return 0;
}

static void
kb_st_free(struct kb_stream *ks)
{
	if (ks->s != NULL)
		pd_stream_reset(ks->s);
	ks->s = NULL;
	pd_buf_free(&ks->in);
}

/* Wait until the stream ends or is reset (no answer bytes allowed). */
static int
kb_st_wait_end(struct kb_stream *ks, int ms)
{
	uint64_t end = kb_now_ms() + (uint64_t)ms;

	while (!ks->closed && !ks->eof && kb_now_ms() < end) {
		int one = 0;

		(void)kb_wait(&one, 20);
	}
	return ks->closed || ks->eof;
}

/*
 * Send msg on a new stream, half-close, and wait for one answer: 1 with
 * *ret filled, 0 if the stream ended or was reset without one, or <0.
 */
static int
kb_request(struct kb_conn *kc, const struct pd_kad_msg *msg,
    struct pd_kad_msg *ret)
{
	struct kb_stream ks;
	struct pd_buf out;
	const uint8_t *m;
	size_t mlen;
	uint64_t end;
	int r, n = PD_ERR_TRUNCATED;

	pd_buf_init(&out);
	if ((r = kb_st_open(kc, &ks)) < 0 ||
	    (r = pd_kad_msg_encode_lp(msg, &out)) < 0 ||
	    (r = kb_st_write(&ks, out.data, out.len)) < 0)
		goto done;
	if (ks.s != NULL)
		(void)pd_stream_close_write(ks.s);
	end = kb_now_ms() + KB_STEP_MS;
	while (kb_now_ms() < end) {
		int one = 0;

		n = pd_kad_msg_frame(ks.in.data, ks.in.len, 0, &m, &mlen);
		if (n != PD_ERR_TRUNCATED || ks.closed || ks.eof)
			break;
		(void)kb_wait(&one, 20);
	}
	if (n > 0)
		r = pd_kad_msg_decode(m, mlen, ret, NULL, 0) < 0 ?
		    PD_ERR_MALFORMED : 1;
	else if (n == PD_ERR_TRUNCATED && (ks.closed || ks.eof))
		r = 0;
	else
		r = n == PD_ERR_TRUNCATED ? PD_ERR_TIMEOUT : n;
done:
	pd_buf_free(&out);
	kb_st_free(&ks);
	return r;
}

/* ---- oversize ------------------------------------------------------------ */

static int
kb_send_prefix(struct kb_conn *kc, uint64_t declared, size_t send,
    const char *what)
{
	struct kb_stream ks;
	struct pd_buf b;
	uint64_t t0;
	int r, ok = 0;

	pd_buf_init(&b);
	if ((r = kb_st_open(kc, &ks)) < 0) {
		kb_say("%s: cannot open a stream: %s", what, pd_strerror(r));
		return 0;
	}
	if (pd_varint_append(&b, declared) < 0 || pd_buf_reserve(&b, send) < 0)
		goto out;
	for (size_t i = 0; i < send; i++)
		(void)pd_buf_append_byte(&b, (uint8_t)(i * 131));
	t0 = kb_now_ms();
	/* The daemon may reset before taking it all: a failed write is fine. */
	(void)kb_st_write(&ks, b.data, b.len);
	if (!kb_st_wait_end(&ks, kb_wait_ms)) {
		kb_say("%s: stream still open after %d ms", what, kb_wait_ms);
		goto out;
	}
	if (ks.in.len > 0) {
		kb_say("%s: the daemon answered (%zu bytes)", what, ks.in.len);
		goto out;
	}
	kb_say("%s: stream %s after %llu ms, no answer", what, ks.closed ?
	    "reset" : "ended", (unsigned long long)(kb_now_ms() - t0));
	ok = 1;
out:
	pd_buf_free(&b);
	kb_st_free(&ks);
	return ok;
}

static int
kb_find_node_works(struct kb_conn *kc, struct pd_kad_msg *req,
    struct pd_kad_msg *resp)
{
	uint8_t key[32];
	int r;

	randombytes_buf(key, sizeof(key));
	pd_kad_msg_init(req, PD_KAD_FIND_NODE);
	(void)pd_kad_msg_set_key(req, key, sizeof(key));
	if ((r = kb_request(kc, req, resp)) != 1 ||
	    resp->type != PD_KAD_FIND_NODE) {
		kb_say("FIND_NODE afterwards not answered (%s)", r < 0 ?
		    pd_strerror(r) : r == 0 ? "stream ended" : "wrong type");
		return 0;
	}
	kb_say("FIND_NODE afterwards answered (%zu closer peers)",
	    resp->ncloser);
	return 1;
}

static int
case_oversize(struct pd_kad_msg *req, struct pd_kad_msg *resp)
{
	struct kb_conn kc;
	int ok = 1, r;

	if ((r = kb_conn_new(&kc, NULL)) < 0 ||
	    (r = kb_conn_dial(&kc, 1)) < 0) {
		kb_say("cannot connect: %s", pd_strerror(r));
		kb_conn_free(&kc);
		return 2;
	}
	ok &= kb_send_prefix(&kc, KB_HUGE_PREFIX, KB_JUNK_LEN,
	    "5 MiB length prefix");
	ok &= kb_send_prefix(&kc, KB_OVER_CAP, KB_OVER_CAP,
	    "100 KiB message");
	ok &= kb_send_prefix(&kc, UINT64_C(1) << 62, 16,
	    "2^62 length prefix");
	if (kc.down) {
		kb_say("the daemon closed the connection");
		ok = 0;
	} else {
		ok &= kb_find_node_works(&kc, req, resp);
	}
	kb_conn_free(&kc);
	return ok ? 0 : 1;
}

/* ---- badrecord ----------------------------------------------------------- */

/* PUT_VALUE (key, value), then GET_VALUE key must carry no record. */
static int
kb_bad_put(struct kb_conn *kc, const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen, const char *what,
    struct pd_kad_msg *req, struct pd_kad_msg *resp)
{
	int r;

	pd_kad_msg_init(req, PD_KAD_PUT_VALUE);
	(void)pd_kad_msg_set_key(req, key, keylen);
	req->has_record = true;
	memcpy(req->record.key, key, keylen);
	req->record.key_len = keylen;
	memcpy(req->record.value, val, vallen);
	req->record.value_len = vallen;
	r = kb_request(kc, req, resp);
	if (r < 0 && r != PD_ERR_CLOSED) {
		kb_say("%s: PUT_VALUE: %s", what, pd_strerror(r));
		return 0;
	}
	kb_say("%s: PUT_VALUE %s", what, r == 1 ? "answered" :
	    "refused (stream reset or ended)");
	if (kc->down) {
		kb_say("%s: the daemon closed the connection", what);
		return 0;
	}
	pd_kad_msg_init(req, PD_KAD_GET_VALUE);
	(void)pd_kad_msg_set_key(req, key, keylen);
	if ((r = kb_request(kc, req, resp)) != 1) {
		kb_say("%s: GET_VALUE not answered (%s)", what, r < 0 ?
		    pd_strerror(r) : "stream ended");
		return 0;
	}
	if (resp->has_record && resp->record.value_len > 0) {
		kb_say("%s: GET_VALUE returned a record (%zu bytes): stored",
		    what, resp->record.value_len);
		return 0;
	}
	kb_say("%s: GET_VALUE answered without a record", what);
	return 1;
}

static int
case_badrecord(struct pd_kad_msg *req, struct pd_kad_msg *resp)
{
	struct kb_conn kc;
	struct pd_privkey ka, kb;
	struct pd_pubkey pa, pb;
	struct pd_peerid ida;
	uint8_t key[4 + PD_PEERID_MAX_BYTES], val[PD_KEY_MAX_PUBKEY_PB];
	uint8_t junk[200];
	size_t keylen;
	int vallen, ok = 1, r;

	if ((r = kb_conn_new(&kc, NULL)) < 0 ||
	    (r = kb_conn_dial(&kc, 1)) < 0) {
		kb_say("cannot connect: %s", pd_strerror(r));
		kb_conn_free(&kc);
		return 2;
	}
	if (pd_privkey_generate(&ka) < 0 || pd_privkey_generate(&kb) < 0 ||
	    pd_privkey_public(&ka, &pa) < 0 ||
	    pd_privkey_public(&kb, &pb) < 0 ||
	    pd_peerid_from_pubkey(&pa, &ida) < 0 ||
	    (vallen = pd_pubkey_encode(&pb, val, sizeof(val))) < 0) {
		kb_conn_free(&kc);
		return 2;
	}
	memcpy(key, "/pk/", 4);
	memcpy(key + 4, ida.bytes, ida.len);
	keylen = 4 + ida.len;
	/* A's key slot holding B's key: the hash does not match. */
	ok &= kb_bad_put(&kc, key, keylen, val, (size_t)vallen,
	    "/pk/ record with another peer's key", req, resp);
	randombytes_buf(junk, sizeof(junk));
	ok &= kb_bad_put(&kc, key, keylen, junk, sizeof(junk),
	    "/pk/ record with garbage", req, resp);
	memcpy(key, "/ipns", 5);
	key[5] = '/';
	memcpy(key + 6, ida.bytes, ida.len);
	ok &= kb_bad_put(&kc, key, 6 + ida.len, junk, sizeof(junk),
	    "/ipns/ record with a garbage body", req, resp);
	if (!kc.down)
		ok &= kb_find_node_works(&kc, req, resp);
	pd_privkey_clear(&ka);
	pd_privkey_clear(&kb);
	kb_conn_free(&kc);
	return ok ? 0 : 1;
}

/* ---- closer: 1,000 bogus closerPeers ------------------------------------ */

static struct pd_buf kb_closer_answer;	/* built once: the whole frame */

/* Peer entry i: a valid or invalid ID, and a bogus address. */
static int
kb_closer_entry(struct pd_buf *peer, unsigned i)
{
	uint8_t id[34], ma[64];
	size_t malen = 0;

	id[0] = 0x12;
	id[1] = 0x20;
	randombytes_buf(id + 2, 32);
	switch (i % 7) {
	case 0:		/* junk bytes */
		randombytes_buf(ma, 24);
		malen = 24;
		break;
	case 1:		/* unknown protocol code 0x3fff */
		ma[0] = 0xff;
		ma[1] = 0x7f;
		ma[2] = 1;
		ma[3] = 2;
		malen = 4;
		break;
	case 2:		/* /ip4 with 2 of its 4 bytes */
		ma[0] = 0x04;
		ma[1] = 127;
		ma[2] = 0;
		malen = 3;
		break;
	case 3:		/* /ip4/127.0.0.1/tcp/1: closed port */
		memcpy(ma, "\x04\x7f\x00\x00\x01\x06\x00\x01", 8);
		malen = 8;
		break;
	case 4:		/* /ip4/0.0.0.0/tcp/0 */
		memcpy(ma, "\x04\x00\x00\x00\x00\x06\x00\x00", 8);
		malen = 8;
		break;
	case 5:		/* /dns4 with an over-long length */
		ma[0] = 0x36;
		ma[1] = 0x7f;
		memset(ma + 2, 'a', 10);
		malen = 12;
		break;
	default:	/* empty address and an invalid peer ID */
		id[0] = 0x99;
		malen = 0;
		break;
	}
	if (pd_pb_put_bytes(peer, 1, id, sizeof(id)) < 0 ||
	    pd_pb_put_bytes(peer, 2, ma, malen) < 0 ||
	    pd_pb_put_varint(peer, 3, i % 4) < 0)
		return PD_ERR_NOMEM;
	return 0;
}

static int
kb_closer_build(void)
{
	struct pd_buf body, peer;
	int r = 0;

	pd_buf_init(&body);
	pd_buf_init(&peer);
	pd_buf_init(&kb_closer_answer);
	if (pd_pb_put_varint(&body, 1, PD_KAD_FIND_NODE) < 0)
		r = PD_ERR_NOMEM;
	for (unsigned i = 0; r == 0 && i < KB_CLOSER_N; i++) {
		pd_buf_reset(&peer);
		if ((r = kb_closer_entry(&peer, i)) == 0)
			r = pd_pb_put_bytes(&body, 8, peer.data, peer.len);
	}
	if (r == 0 && ((r = pd_varint_append(&kb_closer_answer,
	    body.len)) == 0))
		r = pd_buf_append(&kb_closer_answer, body.data, body.len);
	pd_buf_free(&body);
	pd_buf_free(&peer);
	return r;
}

static void
kb_srv_data(struct pd_stream *s, const uint8_t *data, size_t len, void *arg)
{
	struct pd_buf *in = arg;
	const uint8_t *m;
	size_t mlen;
	int n;

	if (pd_buf_append(in, data, len) < 0)
		goto reset;
	while ((n = pd_kad_msg_frame(in->data, in->len, 0, &m, &mlen)) > 0) {
		pd_buf_consume(in, (size_t)n);
		/* Every request gets the same 1,000 entries (type FIND_NODE:
		 * the daemon asks only FIND_NODE here). */
		if (pd_stream_write(s, kb_closer_answer.data,
		    kb_closer_answer.len) != (int)kb_closer_answer.len)
			goto reset;
		kb_served++;
	}
	if (n == PD_ERR_TRUNCATED)
		return;
reset:
	pd_buf_free(in);
	free(in);
	pd_stream_reset(s);
}

static void
kb_srv_eof(struct pd_stream *s, void *arg)
{
	pd_buf_free(arg);
	free(arg);
	pd_stream_release(s);
}

static void
kb_srv_close(struct pd_stream *s, int err, void *arg)
{
	(void)s;
	(void)err;
	pd_buf_free(arg);
	free(arg);
}

static void
kb_srv_handler(struct pd_stream *s, void *arg)
{
	static const struct pd_stream_cbs cbs = {
		.on_data = kb_srv_data,
		.on_eof = kb_srv_eof,
		.on_close = kb_srv_close,
	};
	struct pd_buf *in = calloc(1, sizeof(*in));

	(void)arg;
	if (in == NULL) {
		pd_stream_reset(s);
		return;
	}
	pd_buf_init(in);
	pd_stream_set_cbs(s, &cbs, in);
}

static int
case_closer(double hold_s)
{
	struct kb_conn kc;
	int r, never = 0;

	if ((r = kb_closer_build()) < 0)
		return 2;
	if ((r = kb_conn_new(&kc, kb_srv_handler)) < 0 ||
	    (r = kb_conn_dial(&kc, 1)) < 0) {
		kb_say("cannot connect: %s", pd_strerror(r));
		kb_conn_free(&kc);
		return 2;
	}
	kb_say("ready (answer of %zu bytes, %d closer peers)",
	    kb_closer_answer.len, KB_CLOSER_N);
	(void)kb_wait(&never, (int)(hold_s * 1000));
	kb_say("answered %lu requests with %d closer peers%s", kb_served,
	    KB_CLOSER_N, kc.down ? "; the daemon closed the connection" : "");
	kb_conn_free(&kc);
	pd_buf_free(&kb_closer_answer);
	return 0;
}

/* ---- provflood ----------------------------------------------------------- */

static void
kb_prov_key(uint8_t key[34], unsigned long i, uint32_t salt)
{
	uint8_t seed[16];

	memcpy(seed, &i, sizeof(i) < 8 ? sizeof(i) : 8);
	memset(seed + 8, 0, 8);
	memcpy(seed + 8, &salt, sizeof(salt));
	key[0] = 0x12;
	key[1] = 0x20;
	crypto_generichash(key + 2, 32, seed, sizeof(seed), NULL, 0);
}

/* How many providers a GET_PROVIDERS for key lists (or <0). */
static int
kb_providers_of(struct kb_conn *kc, const uint8_t *key,
    struct pd_kad_msg *req, struct pd_kad_msg *resp)
{
	int r;

	pd_kad_msg_init(req, PD_KAD_GET_PROVIDERS);
	(void)pd_kad_msg_set_key(req, key, 34);
	if ((r = kb_request(kc, req, resp)) != 1)
		return r < 0 ? r : PD_ERR_CLOSED;
	return (int)(resp->nproviders + resp->dropped_peers);
}

static int
case_provflood(unsigned long n, unsigned long nconn, struct pd_kad_msg *req,
    struct pd_kad_msg *resp)
{
	struct kb_conn *kcs = calloc(nconn, sizeof(*kcs));
	struct pd_multiaddr addr;
	uint8_t key[34], shared[34];
	char why[PD_NET_WHY_MAX];
	uint32_t salt = randombytes_random();
	unsigned long sent = 0, failed = 0;
	uint64_t t0 = kb_now_ms();
	int ok = 1, r, c;

	if (kcs == NULL || pd_multiaddr_parse("/ip4/127.0.0.1/tcp/4001", &addr,
	    why, sizeof(why)) < 0)
		return 2;
	kb_prov_key(shared, ~0ul, salt);
	for (unsigned long ci = 0; ci < nconn; ci++) {
		struct kb_conn *kc = &kcs[ci];
		unsigned long mine = n / nconn + (ci < n % nconn);
		struct kb_stream ks;
		struct pd_buf out;

		if ((r = kb_conn_new(kc, NULL)) < 0 ||
		    (r = kb_conn_dial(kc, 0)) < 0) {
			kb_say("connection %lu: %s", ci, pd_strerror(r));
			failed++;
			continue;
		}
		pd_buf_init(&out);
		for (unsigned long j = 0; j < mine; j++) {
			pd_kad_msg_init(req, PD_KAD_ADD_PROVIDER);
			kb_prov_key(key, sent + j, salt);
			(void)pd_kad_msg_set_key(req, key, sizeof(key));
			(void)pd_kad_msg_add_peer(req, PD_KAD_LIST_PROVIDERS,
			    pd_net_peer_id(kc->net), &addr, 1,
			    PD_KAD_CONNECTED);
			if (pd_kad_msg_encode_lp(req, &out) < 0)
				return 2;
		}
		pd_kad_msg_init(req, PD_KAD_ADD_PROVIDER);
		(void)pd_kad_msg_set_key(req, shared, sizeof(shared));
		(void)pd_kad_msg_add_peer(req, PD_KAD_LIST_PROVIDERS,
		    pd_net_peer_id(kc->net), &addr, 1, PD_KAD_CONNECTED);
		if (pd_kad_msg_encode_lp(req, &out) < 0)
			return 2;
		/* All on one stream; the daemon's FIN says it read them all. */
		if ((r = kb_st_open(kc, &ks)) < 0 ||
		    (r = kb_st_write(&ks, out.data, out.len)) < 0 ||
		    (ks.s != NULL && (r = pd_stream_close_write(ks.s)) < 0) ||
		    (r = kb_st_wait_end(&ks, KB_STEP_MS) ? 0 :
		    PD_ERR_TIMEOUT) < 0) {
			kb_say("connection %lu: flood: %s", ci, pd_strerror(r));
			failed++;
		} else if (ks.closed) {
			kb_say("connection %lu: flood stream reset after %lu "
			    "messages were sent", ci, mine + 1);
		}
		sent += mine;
		kb_st_free(&ks);
		pd_buf_free(&out);
	}
	kb_say("sent %lu ADD_PROVIDER for random keys and %lu for one shared "
	    "key from %lu identities in %llu ms (%lu connections failed)",
	    sent, nconn, nconn, (unsigned long long)(kb_now_ms() - t0), failed);
	/* Ask over the last connection still up. */
	for (c = (int)nconn - 1; c >= 0 && kcs[c].conn == NULL; c--)
		;
	if (c < 0) {
		kb_say("no connection left to ask");
		ok = 0;
		goto out;
	}
	r = kb_providers_of(&kcs[c], shared, req, resp);
	kb_say("shared key: %d providers listed (cap %d)", r,
	    PD_KAD_PROV_MAX_PER_KEY);
	if (r < 1 || r > PD_KAD_PROV_MAX_PER_KEY)
		ok = 0;
	kb_prov_key(key, sent - 1, salt);
	r = kb_providers_of(&kcs[c], key, req, resp);
	kb_say("last key: %d providers listed", r);
	if (r != 1)
		ok = 0;
	if (sent > PD_KAD_PROV_MAX_KEYS) {
		kb_prov_key(key, 0, salt);
		r = kb_providers_of(&kcs[c], key, req, resp);
		kb_say("first key (store over its %d keys): %d providers "
		    "listed", PD_KAD_PROV_MAX_KEYS, r);
		if (r != 0)
			ok = 0;
	}
	if (failed > 0)
		ok = 0;
out:
	for (unsigned long ci = 0; ci < nconn; ci++)
		if (kcs[ci].net != NULL)
			kb_conn_free(&kcs[ci]);
	free(kcs);
	return ok ? 0 : 1;
}

/* ---- main ------------------------------------------------------------------ */

static void
kb_signal_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	kb_stop_flag = 1;
	event_base_loopbreak(kb_base);
}

static void
usage(void)
{
	fprintf(stderr,
"usage: kadbad [options] CASE ADDR\n"
"  CASE  oversize | badrecord | closer | provflood\n"
"  ADDR  the daemon's /ip4/127.0.0.1/tcp/P/p2p/ID\n"
"  -w MS       oversize: the daemon must end each stream within MS (5000)\n"
"  -H SECONDS  closer: serve this long (default 20; SIGTERM ends it too)\n"
"  -n N        provflood: ADD_PROVIDER messages for random keys (10000)\n"
"  -c C        provflood: identities, one connection each (50)\n"
"  -p PROTO    DHT protocol (default %s)\n", PD_KAD_PROTO);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct pd_kad_msg *req = NULL, *resp = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	char why[PD_NET_WHY_MAX];
	double hold_s = 20;
	unsigned long n = 10000, nconn = 50;
	int opt, status = 2;

	while ((opt = getopt(argc, argv, "w:H:n:c:p:")) != -1) {
		switch (opt) {
		case 'w':
			kb_wait_ms = atoi(optarg);
			if (kb_wait_ms < 1 || kb_wait_ms > 600000)
				usage();
			break;
		case 'H':
			hold_s = atof(optarg);
			if (!(hold_s > 0 && hold_s <= 3600))
				usage();
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			if (n < 1 || n > KB_MAX_FLOOD)
				usage();
			break;
		case 'c':
			nconn = strtoul(optarg, NULL, 10);
			if (nconn < 1 || nconn > KB_MAX_CONNS)
				usage();
			break;
		case 'p':
			kb_proto = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	kb_case = argv[optind];
	if (pd_multiaddr_parse(argv[optind + 1], &kb_target, why,
	    sizeof(why)) < 0) {
		fprintf(stderr, "kadbad: bad address: %s\n", why);
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	pd_log_set_level(PD_LOG_LEVEL_WARN);
	if ((kb_base = event_base_new()) == NULL ||
	    (req = pd_kad_msg_new()) == NULL ||
	    (resp = pd_kad_msg_new()) == NULL ||
	    (sigterm = evsignal_new(kb_base, SIGTERM, kb_signal_cb,
	    NULL)) == NULL ||
	    (sigint = evsignal_new(kb_base, SIGINT, kb_signal_cb,
	    NULL)) == NULL)
		goto out;
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if (strcmp(kb_case, "oversize") == 0)
		status = case_oversize(req, resp);
	else if (strcmp(kb_case, "badrecord") == 0)
		status = case_badrecord(req, resp);
	else if (strcmp(kb_case, "closer") == 0)
		status = case_closer(hold_s);
	else if (strcmp(kb_case, "provflood") == 0)
		status = case_provflood(n, nconn, req, resp);
	else
		usage();
	kb_say("%s", status == 0 ? "ok" : status == 1 ? "FAILED" :
	    "could not run");
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	pd_kad_msg_free(req);
	pd_kad_msg_free(resp);
	if (kb_base != NULL)
		event_base_free(kb_base);
	return status;
}
