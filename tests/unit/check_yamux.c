/*
 * check_yamux.c - unit tests for lib/net/yamux.c: the exact frames of
 * libp2p-wire.md §6.1, stream lifecycles between a client and a server
 * session wired back to back in memory, byte-at-a-time feeding, flow
 * control (window exhaustion, updates, on_writable), ping, Go Away, every
 * protocol-error case, caps, callback safety, and a seeded randomized model
 * test (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/yamux.h"

#include "helpers.h"

#define T_MAX_ID 4096		/* stream IDs tracked per side */

static uint64_t yx_seed;
static uint64_t yx_rng_state;

static uint64_t
yx_rng(void)
{
	return pd_test_rng(&yx_rng_state);
}

/* What one side saw on one stream. */
struct t_rec {
	struct pd_yamux_stream *st;	/* held by the test, NULL once released */
	int used;
	int fin, reset, writable;
	int local_close, local_reset;
	uint64_t sent;			/* bytes our writes accepted */
	uint64_t recvd;			/* bytes delivered to us */
	uint64_t unconsumed;
	struct pd_buf data;		/* delivered bytes, when keep_data */
};

/* One session plus everything its callbacks recorded. */
struct t_side {
	struct pd_yamux *y;
	int is_client;
	int refuse;			/* on_stream refuses */
	int keep_data;			/* store delivered bytes */
	int check_pattern;		/* verify the model's byte pattern */
	int consume_in_cb;		/* call consumed() from on_data */
	int release_in;			/* 1: on_data, 2: on_fin, 3: on_reset */
	int write_in_accept;		/* write "hi" from on_stream */
	int feed_in_cb;			/* try pd_yamux_feed from on_data */
	int feed_in_cb_result;
	int accepted, pongs, goaways;
	uint64_t last_rtt;
	uint32_t goaway_code;
	uint32_t ids[T_MAX_ID];		/* every stream ID seen, in order */
	size_t nids;
	struct t_rec rec[T_MAX_ID];
};

static struct t_rec *
t_rec_of(struct t_side *s, struct pd_yamux_stream *st)
{
	uint32_t id = pd_yamux_stream_id(st);

	ck_assert_uint_lt(id, T_MAX_ID);
	return &s->rec[id];
}

static uint8_t
t_pattern(uint32_t id, int from_client, uint64_t off)
{
	return (uint8_t)((off * 31 + id * 7 + (uint64_t)from_client * 13) ^
	    (off >> 9));
}

static void
t_release(struct t_side *s, struct t_rec *r)
{
	pd_yamux_stream_release(r->st);
	r->st = NULL;
}

static int
t_on_stream(struct pd_yamux_stream *st, void *arg)
{
	struct t_side *s = arg;
	struct t_rec *r = t_rec_of(s, st);

	ck_assert_int_eq(pd_yamux_stream_id(st) % 2, s->is_client ? 0 : 1);
	if (s->refuse)
		return -1;
	ck_assert_int_eq(r->used, 0);
	r->used = 1;
	r->st = st;
	pd_yamux_stream_set_arg(st, r);
	s->ids[s->nids++] = pd_yamux_stream_id(st);
	s->accepted++;
	if (s->write_in_accept)
		ck_assert_int_eq(pd_yamux_write(st, "hi", 2), 2);
	return 0;
}

static void
t_on_data(struct pd_yamux_stream *st, const uint8_t *data, size_t len,
    void *arg)
{
	struct t_side *s = arg;
	struct t_rec *r = t_rec_of(s, st);

	ck_assert_ptr_eq(pd_yamux_stream_get_arg(st), r);
	ck_assert_ptr_eq(r->st, st);
	ck_assert_uint_gt(len, 0);
	/* check logs every assertion: test bytes plainly, assert once. */
	for (size_t i = 0; s->check_pattern && i < len; i++)
		if (data[i] != t_pattern(pd_yamux_stream_id(st),
		    !s->is_client, r->recvd + i))
			ck_abort_msg("seed %" PRIu64 ": stream %u byte %"
			    PRIu64 " differs", yx_seed,
			    pd_yamux_stream_id(st), r->recvd + i);
	if (s->keep_data)
		ck_assert_int_eq(pd_buf_append(&r->data, data, len), 0);
	r->recvd += len;
	r->unconsumed += len;
	if (s->consume_in_cb) {
		ck_assert_int_eq(pd_yamux_stream_consumed(st, len), 0);
		r->unconsumed -= len;
	}
	if (s->feed_in_cb)
		s->feed_in_cb_result = pd_yamux_feed(s->y, data, 1, 0);
	if (s->release_in == 1)
		t_release(s, r);
}

static void
t_on_fin(struct pd_yamux_stream *st, void *arg)
{
	struct t_side *s = arg;
	struct t_rec *r = t_rec_of(s, st);

	ck_assert_ptr_eq(r->st, st);
	r->fin++;
	if (s->release_in == 2)
		t_release(s, r);
}

static void
t_on_reset(struct pd_yamux_stream *st, void *arg)
{
	struct t_side *s = arg;
	struct t_rec *r = t_rec_of(s, st);

	ck_assert_ptr_eq(r->st, st);
	r->reset++;
	if (s->release_in == 3)
		t_release(s, r);
}

static void
t_on_writable(struct pd_yamux_stream *st, void *arg)
{
	struct t_side *s = arg;

	t_rec_of(s, st)->writable++;
}

static void
t_on_pong(uint64_t rtt_ms, void *arg)
{
	struct t_side *s = arg;

	s->pongs++;
	s->last_rtt = rtt_ms;
}

static void
t_on_goaway(uint32_t code, void *arg)
{
	struct t_side *s = arg;

	s->goaways++;
	s->goaway_code = code;
}

static const struct pd_yamux_cbs t_cbs = {
	.on_stream = t_on_stream,
	.on_data = t_on_data,
	.on_fin = t_on_fin,
	.on_reset = t_on_reset,
	.on_writable = t_on_writable,
	.on_pong = t_on_pong,
	.on_goaway = t_on_goaway,
};

static struct t_side *
t_side_new(int is_client)
{
	struct t_side *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->is_client = is_client;
	s->y = pd_yamux_new(is_client ? PD_YAMUX_CLIENT : PD_YAMUX_SERVER,
	    &t_cbs, s);
	ck_assert_ptr_nonnull(s->y);
	return s;
}

static void
t_side_check(struct t_side *s)
{
	char why[160] = "";

	ck_assert_msg(pd_yamux_check(s->y, why, sizeof(why)) == 0,
	    "seed %" PRIu64 ": %s side: %s", yx_seed,
	    s->is_client ? "client" : "server", why);
}

static void
t_side_free(struct t_side *s)
{
	t_side_check(s);
	pd_yamux_free(s->y);
	for (size_t i = 0; i < T_MAX_ID; i++)
		pd_buf_free(&s->rec[i].data);
	free(s);
}

static struct t_rec *
t_open(struct t_side *s)
{
	struct pd_yamux_stream *st = NULL;
	struct t_rec *r;

	ck_assert_int_eq(pd_yamux_open(s->y, &st), 0);
	r = t_rec_of(s, st);
	ck_assert_int_eq(r->used, 0);
	r->used = 1;
	r->st = st;
	pd_yamux_stream_set_arg(st, r);
	s->ids[s->nids++] = pd_yamux_stream_id(st);
	return r;
}

/*
 * Move what `from` has queued into `to`, in chunks of at most maxchunk
 * bytes (0: random sizes).  Returns to's last feed result.
 */
static int
t_move(struct t_side *from, struct t_side *to, size_t maxchunk)
{
	struct pd_buf *out = pd_yamux_out(from->y);
	struct pd_buf tmp;
	size_t off = 0;
	int r = 0;

	pd_buf_init(&tmp);
	ck_assert_int_eq(pd_buf_append(&tmp, out->data, out->len), 0);
	pd_buf_reset(out);
	while (off < tmp.len && r == 0) {
		size_t n = tmp.len - off;
		size_t lim = maxchunk ? maxchunk : 1 + yx_rng() % 70000;

		if (n > lim)
			n = lim;
		r = pd_yamux_feed(to->y, tmp.data + off, n, 1000);
		off += n;
	}
	pd_buf_free(&tmp);
	return r;
}

/* Pump both ways until neither side has output; both must stay healthy. */
static void
t_pump(struct t_side *a, struct t_side *b, size_t maxchunk)
{
	for (int i = 0; i < 1000; i++) {
		if (pd_yamux_out(a->y)->len == 0 &&
		    pd_yamux_out(b->y)->len == 0)
			return;
		ck_assert_msg(t_move(a, b, maxchunk) == 0, "seed %" PRIu64
		    ": %s", yx_seed, pd_yamux_why(b->y));
		ck_assert_msg(t_move(b, a, maxchunk) == 0, "seed %" PRIu64
		    ": %s", yx_seed, pd_yamux_why(a->y));
	}
	ck_abort_msg("pump did not settle");
}

static void
t_assert_out_hex(struct t_side *s, const char *hex)
{
	uint8_t want[256];
	size_t n = pd_test_unhex(hex, want, sizeof(want));
	struct pd_buf *out = pd_yamux_out(s->y);

	ck_assert_uint_eq(out->len, n);
	ck_assert_mem_eq(out->data, want, n);
	pd_buf_reset(out);
}

static int
t_feed_hex(struct t_side *s, const char *hex)
{
	uint8_t in[256];
	size_t n = pd_test_unhex(hex, in, sizeof(in));

	return pd_yamux_feed(s->y, in, n, 1000);
}

static void
t_frame(uint8_t out[PD_YAMUX_HDR_LEN], uint8_t type, uint16_t flags,
    uint32_t id, uint32_t len)
{
	struct pd_yamux_hdr h = { 0, type, flags, id, len };

	pd_yamux_hdr_encode(&h, out);
}

#define GOAWAY_PROTO "00 03 0000 00000000 00000001"

START_TEST(test_header_codec)
{
	static const struct {
		const char *hex;
		struct pd_yamux_hdr h;
	} v[] = {
		{ "00 01 0001 00000001 00000000", { 0, 1, 0x1, 1, 0 } },
		{ "00 00 0000 00000001 00000013", { 0, 0, 0, 1, 19 } },
		{ "00 02 0001 00000000 deadbeef", { 0, 2, 0x1, 0, 0xdeadbeef } },
		{ "00 02 0002 00000000 deadbeef", { 0, 2, 0x2, 0, 0xdeadbeef } },
		{ "00 03 0000 00000000 00000000", { 0, 3, 0, 0, 0 } },
		{ "00 01 000c fffffffe 00040000", { 0, 1, 0xc, 0xfffffffe,
		    262144 } },
	};
	uint8_t in[16], out[PD_YAMUX_HDR_LEN];
	struct pd_yamux_hdr h;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_uint_eq(pd_test_unhex(v[i].hex, in, sizeof(in)), 12);
		ck_assert_int_eq(pd_yamux_hdr_decode(in, 12, &h), 0);
		ck_assert_uint_eq(h.type, v[i].h.type);
		ck_assert_uint_eq(h.flags, v[i].h.flags);
		ck_assert_uint_eq(h.stream_id, v[i].h.stream_id);
		ck_assert_uint_eq(h.length, v[i].h.length);
		pd_yamux_hdr_encode(&v[i].h, out);
		ck_assert_mem_eq(out, in, 12);
	}
	ck_assert_int_eq(pd_yamux_hdr_decode(in, 11, &h), PD_ERR_TRUNCATED);
	in[0] = 1;
	ck_assert_int_eq(pd_yamux_hdr_decode(in, 12, &h), PD_ERR_UNSUPPORTED);
	in[0] = 0;
	in[1] = 4;
	ck_assert_int_eq(pd_yamux_hdr_decode(in, 12, &h), PD_ERR_MALFORMED);
}
END_TEST

START_TEST(test_open_frames)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct t_rec *r;
	uint8_t msg[19];

	r = t_open(c);
	ck_assert_uint_eq(pd_yamux_stream_id(r->st), 1);
	/* go style: SYN on a window update, delta 0 (§6.1). */
	t_assert_out_hex(c, "00 01 0001 00000001 00000000");
	memset(msg, 'x', sizeof(msg));
	ck_assert_int_eq(pd_yamux_write(r->st, msg, sizeof(msg)), 19);
	ck_assert_uint_eq(pd_yamux_out(c->y)->len, 12 + 19);
	ck_assert_mem_eq(pd_yamux_out(c->y)->data,
	    "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x13", 12);
	pd_buf_reset(pd_yamux_out(c->y));
	ck_assert_uint_eq(pd_yamux_stream_send_window(r->st),
	    PD_YAMUX_WINDOW - 19);
	ck_assert_uint_eq(pd_yamux_stream_id(t_open(c)->st), 3);
	t_assert_out_hex(c, "00 01 0001 00000003 00000000");
	ck_assert_uint_eq(pd_yamux_stream_id(t_open(s)->st), 2);
	t_assert_out_hex(s, "00 01 0001 00000002 00000000");
	ck_assert_int_eq(pd_yamux_close(r->st), 0);
	t_assert_out_hex(c, "00 01 0004 00000001 00000000");
	ck_assert_int_eq(pd_yamux_close(r->st), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_write(r->st, "a", 1), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_reset(r->st), 0);
	t_assert_out_hex(c, "00 01 0008 00000001 00000000");
	ck_assert_int_eq(pd_yamux_reset(r->st), PD_ERR_CLOSED);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

START_TEST(test_accept_sends_ack_once)
{
	struct t_side *s = t_side_new(0);
	struct t_rec *r;

	s->keep_data = 1;
	/* SYN on a Data frame carrying "abc". */
	ck_assert_int_eq(t_feed_hex(s, "00 00 0001 00000001 00000003 616263"),
	    0);
	ck_assert_int_eq(s->accepted, 1);
	r = &s->rec[1];
	ck_assert_uint_eq(r->data.len, 3);
	ck_assert_mem_eq(r->data.data, "abc", 3);
	t_assert_out_hex(s, "00 01 0002 00000001 00000000");
	ck_assert_int_eq(pd_yamux_write(r->st, "z", 1), 1);
	t_assert_out_hex(s, "00 00 0000 00000001 00000001 7a");
	/* Window update with SYN and a delta: additive (§6.4). */
	ck_assert_int_eq(t_feed_hex(s, "00 01 0001 00000003 00000010"), 0);
	ck_assert_uint_eq(pd_yamux_stream_send_window(s->rec[3].st),
	    PD_YAMUX_WINDOW + 16);
	t_assert_out_hex(s, "00 01 0002 00000003 00000000");
	t_side_free(s);
}
END_TEST

START_TEST(test_ack_rides_on_first_write)
{
	struct t_side *s = t_side_new(0);

	s->write_in_accept = 1;
	ck_assert_int_eq(t_feed_hex(s, "00 01 0001 00000001 00000000"), 0);
	t_assert_out_hex(s, "00 00 0002 00000001 00000002 6869");
	t_side_free(s);
}
END_TEST

START_TEST(test_refuse)
{
	struct t_side *s = t_side_new(0);

	s->refuse = 1;
	ck_assert_int_eq(t_feed_hex(s,
	    "00 00 0001 00000001 00000002 6162 00 00 0000 00000001 00000001 63"),
	    0);
	t_assert_out_hex(s, "00 01 0008 00000001 00000000");
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
	/* The on_stream callback is optional: NULL refuses. */
	pd_yamux_free(s->y);
	s->y = pd_yamux_new(PD_YAMUX_SERVER, NULL, NULL);
	ck_assert_int_eq(t_feed_hex(s, "00 01 0001 00000005 00000000"), 0);
	t_assert_out_hex(s, "00 01 0008 00000005 00000000");
	t_side_free(s);
}
END_TEST

START_TEST(test_ping)
{
	struct t_side *c = t_side_new(1);
	uint64_t sent;

	ck_assert_int_eq(t_feed_hex(c, "00 02 0001 00000000 0badcafe"), 0);
	t_assert_out_hex(c, "00 02 0002 00000000 0badcafe");
	ck_assert_int_eq(pd_yamux_ping_sent(c->y, &sent), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_yamux_ping(c->y, 958), 0);
	t_assert_out_hex(c, "00 02 0001 00000000 00000001");
	ck_assert_int_eq(pd_yamux_ping(c->y, 959), PD_ERR_EXISTS);
	ck_assert_int_eq(pd_yamux_ping_sent(c->y, &sent), 0);
	ck_assert_uint_eq(sent, 958);
	/* A pong with another value is ignored. */
	ck_assert_int_eq(t_feed_hex(c, "00 02 0002 00000000 00000007"), 0);
	ck_assert_int_eq(c->pongs, 0);
	ck_assert_int_eq(t_feed_hex(c, "00 02 0002 00000000 00000001"), 0);
	ck_assert_int_eq(c->pongs, 1);
	ck_assert_uint_eq(c->last_rtt, 42);	/* t_feed_hex: now = 1000 */
	ck_assert_uint_eq(pd_yamux_out(c->y)->len, 0);
	ck_assert_int_eq(pd_yamux_ping(c->y, 2000), 0);
	t_assert_out_hex(c, "00 02 0001 00000000 00000002");
	t_side_free(c);
}
END_TEST

START_TEST(test_ping_between_sessions)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);

	ck_assert_int_eq(pd_yamux_ping(s->y, 900), 0);
	t_pump(c, s, 1);
	ck_assert_int_eq(s->pongs, 1);
	ck_assert_uint_eq(s->last_rtt, 100);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

START_TEST(test_goaway)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct pd_yamux_stream *st;
	struct t_rec *r;
	uint32_t code = 99;

	r = t_open(c);
	t_pump(c, s, 0);
	ck_assert_int_eq(pd_yamux_goaway(s->y, PD_YAMUX_GOAWAY_NORMAL), 0);
	t_assert_out_hex(s, "00 03 0000 00000000 00000000");
	ck_assert_int_eq(pd_yamux_goaway(s->y, 0), PD_ERR_EXISTS);
	ck_assert_int_eq(pd_yamux_open(s->y, &st), PD_ERR_CLOSED);
	/* Incoming SYN after our Go Away: RST. */
	ck_assert_int_eq(t_feed_hex(s, "00 01 0001 00000003 00000000"), 0);
	t_assert_out_hex(s, "00 01 0008 00000003 00000000");
	ck_assert_int_eq(t_feed_hex(c, "00 03 0000 00000000 00000000"), 0);
	ck_assert_int_eq(c->goaways, 1);
	ck_assert_int_eq(pd_yamux_remote_goaway(c->y, &code), 1);
	ck_assert_uint_eq(code, 0);
	ck_assert_int_eq(pd_yamux_open(c->y, &st), PD_ERR_CLOSED);
	/* Existing streams go on. */
	ck_assert_int_eq(pd_yamux_write(r->st, "ok", 2), 2);
	t_pump(c, s, 0);
	ck_assert_uint_eq(s->rec[1].recvd, 2);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

/* Open, data both ways, FIN both ways, release: everything freed. */
static void
t_lifecycle(size_t maxchunk)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct t_rec *cr, *sr;

	c->keep_data = s->keep_data = 1;
	cr = t_open(c);
	ck_assert_int_eq(pd_yamux_write(cr->st, "hello", 5), 5);
	ck_assert_int_eq(pd_yamux_close(cr->st), 0);
	t_pump(c, s, maxchunk);
	sr = &s->rec[1];
	ck_assert_int_eq(s->accepted, 1);
	ck_assert_uint_eq(sr->data.len, 5);
	ck_assert_mem_eq(sr->data.data, "hello", 5);
	ck_assert_int_eq(sr->fin, 1);
	ck_assert_int_eq(pd_yamux_stream_read_closed(sr->st), 1);
	ck_assert_int_eq(pd_yamux_write(sr->st, "world!", 6), 6);
	ck_assert_int_eq(pd_yamux_close(sr->st), 0);
	t_pump(c, s, maxchunk);
	ck_assert_uint_eq(cr->data.len, 6);
	ck_assert_mem_eq(cr->data.data, "world!", 6);
	ck_assert_int_eq(cr->fin, 1);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 1);
	t_release(c, cr);
	t_release(s, sr);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 0);
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
	/* Releasing a fully closed stream sends nothing. */
	ck_assert_uint_eq(pd_yamux_out(c->y)->len, 0);
	ck_assert_uint_eq(pd_yamux_out(s->y)->len, 0);
	t_side_free(c);
	t_side_free(s);
}

START_TEST(test_lifecycle)
{
	t_lifecycle(0);
}
END_TEST

START_TEST(test_lifecycle_byte_at_a_time)
{
	t_lifecycle(1);
}
END_TEST

START_TEST(test_data_with_fin)
{
	struct t_side *s = t_side_new(0);
	struct t_rec *r;

	s->keep_data = 1;
	ck_assert_int_eq(t_feed_hex(s, "00 00 0005 00000001 00000002 6869"),
	    0);
	r = &s->rec[1];
	ck_assert_uint_eq(r->data.len, 2);
	ck_assert_int_eq(r->fin, 1);
	/* Data after FIN is drained and ignored. */
	ck_assert_int_eq(t_feed_hex(s, "00 00 0000 00000001 00000001 21"), 0);
	ck_assert_uint_eq(r->data.len, 2);
	t_side_free(s);
}
END_TEST

START_TEST(test_reset_lifecycle)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct t_rec *cr, *sr;

	cr = t_open(c);
	ck_assert_int_eq(pd_yamux_write(cr->st, "abc", 3), 3);
	t_pump(c, s, 0);
	sr = &s->rec[1];
	ck_assert_int_eq(pd_yamux_reset(sr->st), 0);
	t_pump(c, s, 0);
	ck_assert_int_eq(cr->reset, 1);
	ck_assert_int_eq(pd_yamux_stream_is_reset(cr->st), 1);
	ck_assert_int_eq(pd_yamux_write(cr->st, "x", 1), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_close(cr->st), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_reset(cr->st), PD_ERR_CLOSED);
	t_release(c, cr);
	t_release(s, sr);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 0);
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
	ck_assert_uint_eq(pd_yamux_out(c->y)->len, 0);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

/* Release without close resets; release after close lingers. */
START_TEST(test_release_semantics)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct t_rec *cr, *sr;
	uint8_t big[100000];

	cr = t_open(c);
	t_pump(c, s, 0);
	t_release(c, cr);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 0);
	t_pump(c, s, 0);
	ck_assert_int_eq(s->rec[1].reset, 1);
	t_release(s, &s->rec[1]);

	/* Linger: close with data queued beyond the window, then release. */
	memset(big, 7, sizeof(big));
	cr = t_open(c);
	t_pump(c, s, 0);
	sr = &s->rec[3];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pd_yamux_write(cr->st, big, sizeof(big)),
		    (int)sizeof(big));
	ck_assert_uint_eq(pd_yamux_stream_queued(cr->st),
	    3 * sizeof(big) - PD_YAMUX_WINDOW);
	ck_assert_int_eq(pd_yamux_close(cr->st), 0);
	t_release(c, cr);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 1);
	/* The server writes to the lingering stream; client drains it. */
	ck_assert_int_eq(pd_yamux_write(sr->st, big, sizeof(big)),
	    (int)sizeof(big));
	t_pump(c, s, 0);
	ck_assert_uint_eq(sr->recvd, PD_YAMUX_WINDOW);
	ck_assert_int_eq(pd_yamux_stream_consumed(sr->st, sr->unconsumed), 0);
	sr->unconsumed = 0;
	t_pump(c, s, 0);
	ck_assert_uint_eq(sr->recvd, 3 * sizeof(big));
	ck_assert_int_eq(sr->fin, 1);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 1);
	ck_assert_int_eq(pd_yamux_close(sr->st), 0);
	t_pump(c, s, 0);
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 0);
	t_release(s, sr);
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

START_TEST(test_window_exhaustion)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	static uint8_t buf[600 * 1024];
	struct t_rec *cr, *sr;
	struct pd_buf *out;
	uint8_t *p, *end;
	int n;

	memset(buf, 0x5a, sizeof(buf));
	cr = t_open(c);
	n = pd_yamux_write(cr->st, buf, sizeof(buf));
	ck_assert_int_eq(n, PD_YAMUX_WINDOW + PD_YAMUX_MAX_QUEUED);
	ck_assert_uint_eq(pd_yamux_stream_send_window(cr->st), 0);
	ck_assert_uint_eq(pd_yamux_stream_queued(cr->st), PD_YAMUX_MAX_QUEUED);
	ck_assert_int_eq(pd_yamux_write(cr->st, buf, 1), 0);
	/* Data frames are at most 64 KiB: SYN + 4 full frames. */
	out = pd_yamux_out(c->y);
	ck_assert_uint_eq(out->len, 12 + 4 * (12 + PD_YAMUX_MAX_FRAME));
	for (p = out->data + 12, end = out->data + out->len; p < end;
	    p += 12 + PD_YAMUX_MAX_FRAME) {
		struct pd_yamux_hdr h;

		ck_assert_int_eq(pd_yamux_hdr_decode(p, 12, &h), 0);
		ck_assert_uint_eq(h.type, PD_YAMUX_TYPE_DATA);
		ck_assert_uint_eq(h.length, PD_YAMUX_MAX_FRAME);
	}
	t_pump(c, s, 0);
	sr = &s->rec[1];
	ck_assert_uint_eq(sr->recvd, PD_YAMUX_WINDOW);
	ck_assert_uint_eq(pd_yamux_stream_recv_window(sr->st), 0);
	ck_assert_int_eq(cr->writable, 0);
	/* Consuming less than half a window sends no update. */
	ck_assert_int_eq(pd_yamux_stream_consumed(sr->st,
	    PD_YAMUX_WINDOW / 2 - 1), 0);
	ck_assert_uint_eq(pd_yamux_out(s->y)->len, 0);
	ck_assert_int_eq(pd_yamux_stream_consumed(sr->st, 1), 0);
	t_assert_out_hex(s, "00 01 0000 00000001 00020000");
	ck_assert_uint_eq(pd_yamux_stream_recv_window(sr->st),
	    PD_YAMUX_WINDOW / 2);
	ck_assert_int_eq(t_feed_hex(c, "00 01 0000 00000001 00020000"), 0);
	ck_assert_int_eq(cr->writable, 1);
	ck_assert_uint_eq(pd_yamux_stream_queued(cr->st),
	    PD_YAMUX_MAX_QUEUED - PD_YAMUX_WINDOW / 2);
	t_pump(c, s, 0);
	ck_assert_uint_eq(sr->recvd, PD_YAMUX_WINDOW + PD_YAMUX_WINDOW / 2);
	ck_assert_int_eq(pd_yamux_stream_consumed(sr->st, sr->recvd + 1 -
	    PD_YAMUX_WINDOW / 2), PD_ERR_INVAL);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

START_TEST(test_auto_consume)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	static uint8_t buf[1024 * 1024];
	struct t_rec *cr;
	size_t sent = 0;

	pd_yamux_set_auto_consume(s->y, 1);
	cr = t_open(c);
	while (sent < sizeof(buf)) {
		int n = pd_yamux_write(cr->st, buf + sent, sizeof(buf) - sent);

		ck_assert_int_ge(n, 0);
		sent += (size_t)n;
		t_pump(c, s, 0);
	}
	ck_assert_uint_eq(s->rec[1].recvd, sizeof(buf));
	ck_assert_int_ge(cr->writable, 1);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

/* The session-wide queue cap limits writes across streams. */
START_TEST(test_session_queue_cap)
{
	struct t_side *c = t_side_new(1);
	static uint8_t buf[PD_YAMUX_WINDOW + PD_YAMUX_MAX_QUEUED];
	size_t total = 0;
	int n;

	for (int i = 0; i < 20; i++) {
		struct t_rec *r = t_open(c);

		n = pd_yamux_write(r->st, buf, sizeof(buf));
		ck_assert_int_ge(n, PD_YAMUX_WINDOW);
		total += (size_t)n - PD_YAMUX_WINDOW;
		pd_buf_reset(pd_yamux_out(c->y));
	}
	ck_assert_uint_eq(total, PD_YAMUX_MAX_SESSION_QUEUED);
	t_side_check(c);
	t_side_free(c);
}
END_TEST

/* Feed hex to a fresh side; expect a protocol failure with Go Away 1. */
static void
t_expect_protocol_error(int is_client, const char *hex)
{
	struct t_side *s = t_side_new(is_client);
	struct pd_yamux_stream *st;
	struct pd_buf *out;
	uint8_t tail[12];

	ck_assert_int_eq(t_feed_hex(s, hex), PD_ERR_PROTOCOL);
	ck_assert_int_eq(pd_yamux_status(s->y), PD_ERR_PROTOCOL);
	ck_assert_str_ne(pd_yamux_why(s->y), "");
	out = pd_yamux_out(s->y);
	ck_assert_uint_ge(out->len, 12);
	pd_test_unhex(GOAWAY_PROTO, tail, sizeof(tail));
	ck_assert_mem_eq(out->data + out->len - 12, tail, 12);
	/* Sticky, and the API is closed. */
	ck_assert_int_eq(t_feed_hex(s, "00 02 0001 00000000 00000001"),
	    PD_ERR_PROTOCOL);
	ck_assert_int_eq(pd_yamux_open(s->y, &st), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_ping(s->y, 0), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_yamux_goaway(s->y, 0), PD_ERR_CLOSED);
	t_side_free(s);
}

START_TEST(test_protocol_errors)
{
	/* Bad version, unknown type. */
	t_expect_protocol_error(0, "01 00 0000 00000001 00000000");
	t_expect_protocol_error(0, "00 04 0000 00000001 00000000");
	/* Wrong-parity SYN: a server sees an even (server) ID. */
	t_expect_protocol_error(0, "00 01 0001 00000002 00000000");
	t_expect_protocol_error(1, "00 01 0001 00000001 00000000");
	/* Duplicate SYN. */
	t_expect_protocol_error(0,
	    "00 01 0001 00000001 00000000 00 01 0001 00000001 00000000");
	/* Stream frames on stream 0. */
	t_expect_protocol_error(0, "00 00 0000 00000000 00000000");
	t_expect_protocol_error(0, "00 01 0001 00000000 00000000");
	/* Window overrun: 262145 bytes on a fresh stream. */
	t_expect_protocol_error(0, "00 00 0001 00000001 00040001");
	/* Send window over 2^32-1. */
	t_expect_protocol_error(0,
	    "00 01 0001 00000001 00000000 00 01 0000 00000001 fffc0000");
}
END_TEST

START_TEST(test_window_overrun_after_data)
{
	struct t_side *s = t_side_new(0);
	static uint8_t in[2 * (PD_YAMUX_WINDOW + 64)];
	size_t n = 0;

	/* Exactly the window is fine; one byte more is not. */
	t_frame(in, PD_YAMUX_TYPE_DATA, PD_YAMUX_FLAG_SYN, 1, PD_YAMUX_WINDOW);
	n = 12 + PD_YAMUX_WINDOW;
	ck_assert_int_eq(pd_yamux_feed(s->y, in, n, 0), 0);
	ck_assert_uint_eq(s->rec[1].recvd, PD_YAMUX_WINDOW);
	pd_buf_reset(pd_yamux_out(s->y));
	t_frame(in, PD_YAMUX_TYPE_DATA, 0, 1, 1);
	ck_assert_int_eq(pd_yamux_feed(s->y, in, 13, 0), PD_ERR_PROTOCOL);
	t_assert_out_hex(s, GOAWAY_PROTO);
	t_side_free(s);
}
END_TEST

/* Unknown streams without SYN: drained, ignored, parsing continues. */
START_TEST(test_unknown_stream_drained)
{
	struct t_side *s = t_side_new(0);

	ck_assert_int_eq(t_feed_hex(s,
	    "00 00 0000 00000007 00000004 00020001"
	    "00 01 0004 00000009 00000100"
	    "00 02 0001 00000000 00000005"), 0);
	t_assert_out_hex(s, "00 02 0002 00000000 00000005");
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
	t_side_free(s);
}
END_TEST

START_TEST(test_stream_caps)
{
	struct t_side *c = t_side_new(1), *s = t_side_new(0);
	struct pd_yamux_stream *st;
	uint8_t f[12];

	for (int i = 0; i < PD_YAMUX_MAX_STREAMS; i++)
		(void)t_open(c);
	/* 256 un-ACKed and 256 live streams: both caps reached. */
	ck_assert_int_eq(pd_yamux_open(c->y, &st), PD_ERR_PEER_LIMIT);
	t_pump(c, s, 0);
	ck_assert_int_eq(s->accepted, PD_YAMUX_MAX_STREAMS);
	ck_assert_int_eq(pd_yamux_open(c->y, &st), PD_ERR_PEER_LIMIT);
	ck_assert_int_eq(pd_yamux_open(s->y, &st), PD_ERR_PEER_LIMIT);
	/* One more inbound SYN is refused with RST. */
	t_frame(f, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_SYN, 1001, 0);
	ck_assert_int_eq(pd_yamux_feed(s->y, f, 12, 0), 0);
	t_assert_out_hex(s, "00 01 0008 000003e9 00000000");
	ck_assert_uint_eq(pd_yamux_stream_count(s->y), PD_YAMUX_MAX_STREAMS);
	/* Closing one stream both ways frees a slot. */
	ck_assert_int_eq(pd_yamux_reset(c->rec[1].st), 0);
	t_release(c, &c->rec[1]);
	t_pump(c, s, 0);
	t_release(s, &s->rec[1]);
	ck_assert_int_eq(pd_yamux_open(c->y, &st), 0);
	t_side_free(c);
	t_side_free(s);
}
END_TEST

START_TEST(test_ack_backlog)
{
	struct t_side *c = t_side_new(1);
	struct pd_yamux_stream *st;
	struct t_rec *r;
	uint8_t f[12];

	for (int i = 0; i < PD_YAMUX_MAX_ACK_BACKLOG; i++) {
		r = t_open(c);
		/* Half-close both ways, but never ACK: stays in the backlog. */
		ck_assert_int_eq(pd_yamux_close(r->st), 0);
		t_frame(f, PD_YAMUX_TYPE_WINDOW_UPDATE, PD_YAMUX_FLAG_FIN,
		    pd_yamux_stream_id(r->st), 0);
		ck_assert_int_eq(pd_yamux_feed(c->y, f, 12, 0), 0);
		t_release(c, r);
	}
	ck_assert_uint_eq(pd_yamux_stream_count(c->y), 0);
	pd_buf_reset(pd_yamux_out(c->y));
	/* Freed streams leave the backlog; an ACK is not needed for that. */
	ck_assert_int_eq(pd_yamux_open(c->y, &st), 0);
	t_side_check(c);
	t_side_free(c);
}
END_TEST

/* Releasing a stream inside each kind of callback must be safe. */
START_TEST(test_release_in_callbacks)
{
	for (int mode = 1; mode <= 3; mode++) {
		struct t_side *c = t_side_new(1), *s = t_side_new(0);
		struct t_rec *cr;

		s->release_in = mode;
		cr = t_open(c);
		if (mode == 3) {
			t_pump(c, s, 0);
			ck_assert_int_eq(pd_yamux_reset(cr->st), 0);
		} else {
			ck_assert_int_eq(pd_yamux_write(cr->st, "abcdef", 6), 6);
			ck_assert_int_eq(pd_yamux_close(cr->st), 0);
		}
		/* Byte at a time: the payload straddles the release. */
		t_pump(c, s, 1);
		ck_assert_ptr_null(s->rec[1].st);
		ck_assert_uint_eq(pd_yamux_stream_count(s->y), 0);
		t_release(c, cr);
		t_side_free(c);
		t_side_free(s);
	}
}
END_TEST

START_TEST(test_feed_from_callback)
{
	struct t_side *s = t_side_new(0);

	s->feed_in_cb = 1;
	ck_assert_int_eq(t_feed_hex(s, "00 00 0001 00000001 00000001 41"), 0);
	ck_assert_int_eq(s->feed_in_cb_result, PD_ERR_INVAL);
	t_side_free(s);
}
END_TEST

/*
 * Randomized model: random opens, writes, closes, resets, consumption and
 * partial pumping on both ends; every delivered byte must match the
 * sender's pattern at its offset, and at the end each stream that was not
 * reset delivered exactly what its writer's calls accepted, then FIN.
 */
static void
t_model_step(struct t_side *sides[2])
{
	static uint8_t buf[200000];
	int w = (int)(yx_rng() % 2);
	struct t_side *me = sides[w];
	uint64_t op = yx_rng() % 100;
	struct t_rec *r = NULL;
	struct pd_yamux_stream *st;

	if (me->nids > 0)
		r = &me->rec[me->ids[yx_rng() % me->nids]];
	if (op < 8) {
		if (me->nids < 1000 && pd_yamux_open(me->y, &st) == 0) {
			struct t_rec *nr = t_rec_of(me, st);

			nr->used = 1;
			nr->st = st;
			pd_yamux_stream_set_arg(st, nr);
			me->ids[me->nids++] = pd_yamux_stream_id(st);
		}
	} else if (op < 40 && r != NULL && r->st != NULL) {
		size_t len = yx_rng() % (yx_rng() % 4 == 0 ? sizeof(buf) : 3000);
		uint32_t id = pd_yamux_stream_id(r->st);
		int n;

		for (size_t i = 0; i < len; i++)
			buf[i] = t_pattern(id, me->is_client, r->sent + i);
		n = pd_yamux_write(r->st, buf, len);
		if (r->local_close || r->local_reset ||
		    pd_yamux_stream_is_reset(r->st)) {
			ck_assert_int_eq(n, PD_ERR_CLOSED);
		} else {
			ck_assert_int_ge(n, 0);
			ck_assert_uint_le((size_t)n, len);
			r->sent += (uint64_t)n;
		}
	} else if (op < 45 && r != NULL && r->st != NULL) {
		if (pd_yamux_close(r->st) == 0)
			r->local_close = 1;
	} else if (op < 46 && r != NULL && r->st != NULL) {
		if (pd_yamux_reset(r->st) == 0)
			r->local_reset = 1;
	} else if (op < 70 && r != NULL && r->st != NULL) {
		size_t n = r->unconsumed ? yx_rng() % (r->unconsumed + 1) : 0;

		ck_assert_int_eq(pd_yamux_stream_consumed(r->st, n), 0);
		r->unconsumed -= n;
	} else if (op < 72 && r != NULL && r->st != NULL &&
	    pd_yamux_stream_is_reset(r->st)) {
		t_release(me, r);
	} else if (op < 74) {
		(void)pd_yamux_ping(me->y, 5);
	} else {
		/* Deliver part of our output to the other side. */
		struct pd_buf *out = pd_yamux_out(me->y);
		size_t n = out->len ? yx_rng() % (out->len + 1) : 0;
		struct t_side *peer = sides[!w];

		ck_assert_msg(pd_yamux_feed(peer->y, out->data, n, 10) == 0,
		    "seed %" PRIu64 ": %s", yx_seed, pd_yamux_why(peer->y));
		pd_buf_consume(out, n);
	}
	t_side_check(sides[0]);
	t_side_check(sides[1]);
}

START_TEST(test_random_model)
{
	yx_rng_state = yx_seed;
	for (int run = 0; run < 12; run++) {
		struct t_side *sides[2] = { t_side_new(1), t_side_new(0) };

		for (int w = 0; w < 2; w++) {
			sides[w]->check_pattern = 1;
			sides[w]->consume_in_cb = yx_rng() % 4 == 0;
		}
		for (int step = 0; step < 1500; step++) {
			t_model_step(sides);
		}
		/*
		 * Wind down: deliver pending SYNs, close everything, then
		 * consume everything and settle.
		 */
		t_pump(sides[0], sides[1], 0);
		for (int w = 0; w < 2; w++)
			for (size_t i = 0; i < sides[w]->nids; i++) {
				struct t_rec *r = &sides[w]->rec[sides[w]->ids[i]];

				if (r->st != NULL && !r->local_close &&
				    !pd_yamux_stream_is_reset(r->st) &&
				    pd_yamux_close(r->st) == 0)
					r->local_close = 1;
			}
		for (int round = 0; round < 200; round++) {
			for (int w = 0; w < 2; w++)
				for (size_t i = 0; i < sides[w]->nids; i++) {
					struct t_rec *r =
					    &sides[w]->rec[sides[w]->ids[i]];

					if (r->st != NULL && r->unconsumed) {
						ck_assert_int_eq(
						    pd_yamux_stream_consumed(
						    r->st, r->unconsumed), 0);
						r->unconsumed = 0;
					}
				}
			t_pump(sides[0], sides[1], 0);
		}
		for (uint32_t id = 1; id < T_MAX_ID; id++) {
			struct t_rec *a = &sides[0]->rec[id];
			struct t_rec *b = &sides[1]->rec[id];

			if (!a->used && !b->used)
				continue;
			ck_assert_msg(a->used && b->used, "seed %" PRIu64
			    ": stream %u known to one side only", yx_seed, id);
			if (a->reset || b->reset || a->local_reset ||
			    b->local_reset) {
				ck_assert_uint_le(b->recvd, a->sent);
				ck_assert_uint_le(a->recvd, b->sent);
				continue;
			}
			ck_assert_msg(a->sent == b->recvd &&
			    b->sent == a->recvd, "seed %" PRIu64 ": stream %u "
			    "c->s %" PRIu64 "/%" PRIu64 " s->c %" PRIu64
			    "/%" PRIu64, yx_seed, id, a->sent, b->recvd,
			    b->sent, a->recvd);
			ck_assert_msg(a->fin == 1 && b->fin == 1, "seed %"
			    PRIu64 " run %d: stream %u fin c=%d s=%d close c=%d "
			    "s=%d st c=%p s=%p", yx_seed, run, id, a->fin,
			    b->fin, a->local_close, b->local_close,
			    (void *)a->st, (void *)b->st);
		}
		for (int w = 0; w < 2; w++) {
			for (size_t i = 0; i < sides[w]->nids; i++) {
				struct t_rec *r = &sides[w]->rec[sides[w]->ids[i]];

				if (r->st != NULL)
					t_release(sides[w], r);
			}
		}
		t_pump(sides[0], sides[1], 0);
		ck_assert_uint_eq(pd_yamux_stream_count(sides[0]->y), 0);
		ck_assert_uint_eq(pd_yamux_stream_count(sides[1]->y), 0);
		t_side_free(sides[0]);
		t_side_free(sides[1]);
	}
}
END_TEST

static Suite *
yamux_suite(void)
{
	Suite *s = suite_create("pd_yamux");
	TCase *tc;

	tc = tcase_create("frames");
	tcase_add_test(tc, test_header_codec);
	tcase_add_test(tc, test_open_frames);
	tcase_add_test(tc, test_accept_sends_ack_once);
	tcase_add_test(tc, test_ack_rides_on_first_write);
	tcase_add_test(tc, test_refuse);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_goaway);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_lifecycle_byte_at_a_time);
	tcase_add_test(tc, test_data_with_fin);
	tcase_add_test(tc, test_reset_lifecycle);
	tcase_add_test(tc, test_release_semantics);
	tcase_add_test(tc, test_release_in_callbacks);
	tcase_add_test(tc, test_feed_from_callback);
	tcase_add_test(tc, test_ping_between_sessions);
	suite_add_tcase(s, tc);

	tc = tcase_create("flow");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window_exhaustion);
	tcase_add_test(tc, test_auto_consume);
	tcase_add_test(tc, test_session_queue_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_protocol_errors);
	tcase_add_test(tc, test_window_overrun_after_data);
	tcase_add_test(tc, test_unknown_stream_drained);
	tcase_add_test(tc, test_stream_caps);
	tcase_add_test(tc, test_ack_backlog);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	yx_seed = pd_test_seed("check_yamux");
	return pd_test_run(yamux_suite());
}
