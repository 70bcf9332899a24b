/*
 * check_mss.c - unit tests for lib/net/mss.c: the exact wire bytes of
 * libp2p-wire.md §4.3, pipelined dialer/listener exchanges, byte-at-a-time
 * feeding, "na" fallback, leftover protocol data, ls, the message and
 * proposal caps, malformed input, EOF handling, and a seeded randomized
 * negotiation test (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/mss.h"

#include "helpers.h"

static uint64_t mss_seed;
static uint64_t mss_rng_state;

static uint64_t
mss_rng(void)
{
	return pd_test_rng(&mss_rng_state);
}

static void
mss_assert_out_hex(struct pd_mss *m, const char *hex)
{
	uint8_t want[4096];
	size_t n = pd_test_unhex(hex, want, sizeof(want));
	struct pd_buf *out = pd_mss_out(m);

	ck_assert_uint_eq(out->len, n);
	ck_assert_mem_eq(out->data, want, n);
}

/* Move a's output into b (whole), returning b's feed result. */
static int
mss_pump(struct pd_mss *a, struct pd_mss *b, size_t *ret_used)
{
	struct pd_buf *out = pd_mss_out(a);
	uint8_t tmp[8192];
	size_t n = out->len, used = 0;
	int r;

	ck_assert_uint_le(n, sizeof(tmp));
	memcpy(tmp, out->data, n);
	pd_buf_reset(out);
	r = pd_mss_feed(b, tmp, n, &used);
	if (ret_used != NULL)
		*ret_used = used;
	return r;
}

#define HDR "13 2f6d756c746973747265616d2f312e302e30 0a"
#define NA "03 6e61 0a"
#define NOISE "07 2f6e6f697365 0a"
#define YAMUX "0d 2f79616d75782f312e302e30 0a"
#define KAD "10 2f697066732f6b61642f312e302e30 0a"

START_TEST(test_wire_vectors)
{
	static const struct {
		const char *id;
		const char *hex;
	} v[] = {
		{ "/noise", NOISE },
		{ "/yamux/1.0.0", YAMUX },
		{ "/ipfs/kad/1.0.0", KAD },
		{ "/tls/1.0.0", "0b 2f746c732f312e302e30 0a" },
		{ "/ipfs/id/1.0.0", "0f 2f697066732f69642f312e302e30 0a" },
		{ "/ipfs/id/push/1.0.0",
		    "14 2f697066732f69642f707573682f312e302e30 0a" },
		{ "/ipfs/ping/1.0.0", "11 2f697066732f70696e672f312e302e30 0a" },
		{ "/ipfs/lan/kad/1.0.0",
		    "14 2f697066732f6c616e2f6b61642f312e302e30 0a" },
		{ "/rendezvous/1.0.0",
		    "12 2f72656e64657a766f75732f312e302e30 0a" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *protos[] = { v[i].id };
		struct pd_mss *m = NULL;
		char want[512];

		ck_assert_int_eq(pd_mss_dialer_new(protos, 1, &m), 0);
		snprintf(want, sizeof(want), HDR " %s", v[i].hex);
		mss_assert_out_hex(m, want);
		ck_assert_int_eq(pd_mss_status(m), 0);
		ck_assert_ptr_null(pd_mss_protocol(m));
		pd_mss_free(m);
	}
}
END_TEST

START_TEST(test_listener_header_and_na)
{
	const char *protos[] = { "/noise" };
	struct pd_mss *m = NULL;
	uint8_t in[64];
	size_t n, used = 99;

	ck_assert_int_eq(pd_mss_listener_new(protos, 1, NULL, NULL, &m), 0);
	mss_assert_out_hex(m, HDR);
	pd_buf_reset(pd_mss_out(m));
	/* go dialers propose /tls/1.0.0 first: answer na (§4.2). */
	n = pd_test_unhex(HDR "0b 2f746c732f312e302e30 0a", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(m, in, n, &used), 0);
	ck_assert_uint_eq(used, n);
	mss_assert_out_hex(m, NA);
	pd_buf_reset(pd_mss_out(m));
	n = pd_test_unhex(NOISE, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(m, in, n, &used), 1);
	ck_assert_uint_eq(used, n);
	mss_assert_out_hex(m, NOISE);
	ck_assert_str_eq(pd_mss_protocol(m), "/noise");
	pd_mss_free(m);
}
END_TEST

/* Full pipelined exchange: dialer offers tls then noise, listener noise. */
START_TEST(test_pipelined_fallback)
{
	const char *dp[] = { "/tls/1.0.0", "/noise" };
	const char *lp[] = { "/noise", "/yamux/1.0.0" };
	struct pd_mss *d = NULL, *l = NULL;

	ck_assert_int_eq(pd_mss_dialer_new(dp, 2, &d), 0);
	ck_assert_int_eq(pd_mss_listener_new(lp, 2, NULL, NULL, &l), 0);
	mss_assert_out_hex(d, HDR "0b 2f746c732f312e302e30 0a");
	ck_assert_int_eq(mss_pump(d, l, NULL), 0);
	mss_assert_out_hex(l, HDR NA);
	ck_assert_int_eq(mss_pump(l, d, NULL), 0);
	mss_assert_out_hex(d, NOISE);
	ck_assert_int_eq(mss_pump(d, l, NULL), 1);
	mss_assert_out_hex(l, NOISE);
	ck_assert_int_eq(mss_pump(l, d, NULL), 1);
	ck_assert_uint_eq(pd_mss_out(d)->len, 0);
	ck_assert_str_eq(pd_mss_protocol(d), "/noise");
	ck_assert_str_eq(pd_mss_protocol(l), "/noise");
	pd_mss_free(d);
	pd_mss_free(l);
}
END_TEST

START_TEST(test_byte_at_a_time)
{
	const char *dp[] = { "/mplex/6.7.0", "/yamux/1.0.0" };
	const char *lp[] = { "/yamux/1.0.0" };
	struct pd_mss *d = NULL, *l = NULL;
	uint8_t buf[256];
	size_t n, used;
	int r = 0;

	ck_assert_int_eq(pd_mss_dialer_new(dp, 2, &d), 0);
	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	for (int round = 0; round < 4 && pd_mss_status(d) == 0; round++) {
		struct pd_mss *from = round % 2 ? l : d, *to = round % 2 ? d : l;

		n = pd_mss_out(from)->len;
		memcpy(buf, pd_mss_out(from)->data, n);
		pd_buf_reset(pd_mss_out(from));
		for (size_t i = 0; i < n; i++) {
			r = pd_mss_feed(to, buf + i, 1, &used);
			ck_assert_int_ge(r, 0);
			ck_assert_uint_eq(used, 1);
			/* Only the very last byte can complete it. */
			ck_assert_int_eq(r, (round >= 2 && i == n - 1) ? 1 : 0);
		}
	}
	ck_assert_int_eq(pd_mss_status(l), 1);
	ck_assert_int_eq(pd_mss_status(d), 1);
	ck_assert_str_eq(pd_mss_protocol(d), "/yamux/1.0.0");
	pd_mss_free(d);
	pd_mss_free(l);
}
END_TEST

START_TEST(test_dialer_exhausted)
{
	const char *dp[] = { "/a", "/b" };
	struct pd_mss *d = NULL;
	uint8_t in[64];
	size_t n, used;

	ck_assert_int_eq(pd_mss_dialer_new(dp, 2, &d), 0);
	pd_buf_reset(pd_mss_out(d));
	n = pd_test_unhex(HDR NA, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(d, in, n, &used), 0);
	mss_assert_out_hex(d, "03 2f62 0a");
	n = pd_test_unhex(NA, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(d, in, n, &used), PD_ERR_UNSUPPORTED);
	ck_assert_str_ne(pd_mss_why(d), "");
	ck_assert_int_eq(pd_mss_status(d), PD_ERR_UNSUPPORTED);
	/* Sticky. */
	ck_assert_int_eq(pd_mss_feed(d, in, n, &used), PD_ERR_UNSUPPORTED);
	ck_assert_ptr_null(pd_mss_protocol(d));
	pd_mss_free(d);
}
END_TEST

START_TEST(test_dialer_unexpected_answer)
{
	const char *dp[] = { "/noise" };
	struct pd_mss *d = NULL;
	uint8_t in[64];
	size_t n, used;

	ck_assert_int_eq(pd_mss_dialer_new(dp, 1, &d), 0);
	n = pd_test_unhex(HDR YAMUX, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(d, in, n, &used), PD_ERR_PROTOCOL);
	pd_mss_free(d);
}
END_TEST

/* Optimistic dialer: header, proposal and data in one segment (§4.2). */
START_TEST(test_listener_leftover_and_eof)
{
	const char *lp[] = { "/ipfs/kad/1.0.0" };
	struct pd_mss *l = NULL;
	uint8_t in[128];
	size_t n, used = 0;

	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	n = pd_test_unhex(HDR KAD "05 0801120130 ff", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 1);
	ck_assert_uint_eq(used, n - 7);
	ck_assert_int_eq(in[used], 0x05);
	/* The dialer half-closed: still answer header + echo. */
	ck_assert_int_eq(pd_mss_eof(l), 1);
	mss_assert_out_hex(l, HDR KAD);
	/* Finished: further input is not consumed. */
	used = 42;
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 1);
	ck_assert_uint_eq(used, 0);
	pd_mss_free(l);
}
END_TEST

START_TEST(test_dialer_leftover)
{
	const char *dp[] = { "/yamux/1.0.0" };
	struct pd_mss *d = NULL;
	uint8_t in[128];
	size_t n, used = 0;

	ck_assert_int_eq(pd_mss_dialer_new(dp, 1, &d), 0);
	/* Echo followed by the listener's first yamux frame. */
	n = pd_test_unhex(HDR YAMUX "00 01 0001 00000002 00000000", in,
	    sizeof(in));
	ck_assert_int_eq(pd_mss_feed(d, in, n, &used), 1);
	ck_assert_uint_eq(used, n - 12);
	pd_mss_free(d);
}
END_TEST

START_TEST(test_eof_early)
{
	const char *lp[] = { "/noise" };
	struct pd_mss *l = NULL;
	uint8_t in[64];
	size_t n, used;

	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	n = pd_test_unhex(HDR "07 2f6e6f", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	ck_assert_int_eq(pd_mss_eof(l), PD_ERR_CLOSED);
	ck_assert_int_eq(pd_mss_status(l), PD_ERR_CLOSED);
	pd_mss_free(l);
}
END_TEST

/* Feed hex to a fresh /noise listener, return the result. */
static int
mss_listener_result(const char *hex)
{
	const char *lp[] = { "/noise" };
	struct pd_mss *l = NULL;
	uint8_t in[2048];
	size_t n, used;
	int r;

	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	n = pd_test_unhex(hex, in, sizeof(in));
	r = pd_mss_feed(l, in, n, &used);
	if (r < 0)
		ck_assert_str_ne(pd_mss_why(l), "");
	pd_mss_free(l);
	return r;
}

START_TEST(test_malformed)
{
	/* Missing header. */
	ck_assert_int_eq(mss_listener_result(NOISE), PD_ERR_PROTOCOL);
	ck_assert_int_eq(mss_listener_result(
	    "13 2f6d756c746973747265616d2f322e302e30 0a"), PD_ERR_PROTOCOL);
	/* Non-minimal length, zero length. */
	ck_assert_int_eq(mss_listener_result("80 00"), PD_ERR_MALFORMED);
	ck_assert_int_eq(mss_listener_result("00"), PD_ERR_MALFORMED);
	/* Length 1025 and a 3-byte length. */
	ck_assert_int_eq(mss_listener_result("81 08"), PD_ERR_OVERFLOW);
	ck_assert_int_eq(mss_listener_result("80 80 01"), PD_ERR_OVERFLOW);
	ck_assert_int_eq(mss_listener_result(HDR "ff ff ff ff 0f"),
	    PD_ERR_OVERFLOW);
	/* No trailing newline, control character, empty token. */
	ck_assert_int_eq(mss_listener_result(HDR "03 2f6e6f"),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(mss_listener_result(HDR "04 2f0a6e 0a"),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(mss_listener_result(HDR "01 0a"), PD_ERR_MALFORMED);
	/* Truncated input is just incomplete. */
	ck_assert_int_eq(mss_listener_result(HDR "07 2f6e6f69"), 0);
	ck_assert_int_eq(mss_listener_result("80"), 0);
}
END_TEST

/* Largest message (1024) is read; unknown tokens get na, not an error. */
START_TEST(test_max_message_and_odd_tokens)
{
	const char *lp[] = { "/noise" };
	struct pd_mss *l = NULL;
	uint8_t in[1100];
	size_t n, used;

	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	n = pd_test_unhex(HDR "80 08", in, sizeof(in));
	in[n++] = '/';
	memset(in + n, 'a', 1022);
	n += 1022;
	in[n++] = '\n';
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	/* No leading slash; 141 chars; non-ASCII: all na. */
	n = pd_test_unhex("04 6e6f69 0a", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	in[0] = 0x8e;	/* 142 */
	in[1] = 0x01;
	in[2] = '/';
	memset(in + 3, 'b', 140);
	in[143] = '\n';
	ck_assert_int_eq(pd_mss_feed(l, in, 144, &used), 0);
	n = pd_test_unhex("04 2fc3a9 0a", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	mss_assert_out_hex(l, HDR NA NA NA NA);
	pd_mss_free(l);
}
END_TEST

START_TEST(test_proposal_cap)
{
	const char *lp[] = { "/noise" };
	struct pd_mss *l = NULL;
	uint8_t in[64];
	size_t n, used;

	ck_assert_int_eq(pd_mss_listener_new(lp, 1, NULL, NULL, &l), 0);
	n = pd_test_unhex(HDR, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	n = pd_test_unhex("03 2f78 0a", in, sizeof(in));
	for (int i = 0; i < PD_MSS_MAX_PROPOSALS; i++)
		ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(pd_mss_out(l)->len,
	    20 + 4 * (size_t)PD_MSS_MAX_PROPOSALS);
	pd_mss_free(l);
}
END_TEST

START_TEST(test_ls)
{
	const char *lp[] = { "/noise", "/yamux/1.0.0" };
	struct pd_mss *l = NULL;
	uint8_t in[64];
	size_t n, used;

	ck_assert_int_eq(pd_mss_listener_new(lp, 2, NULL, NULL, &l), 0);
	pd_buf_reset(pd_mss_out(l));
	n = pd_test_unhex(HDR "03 6c73 0a", in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 0);
	/* LP( LP("/noise\n") LP("/yamux/1.0.0\n") "\n" ), §4.2. */
	mss_assert_out_hex(l, "17 " NOISE YAMUX "0a");
	pd_mss_free(l);
}
END_TEST

static int
mss_match_kad(const char *proto, size_t len, void *arg)
{
	int *calls = arg;

	(*calls)++;
	ck_assert_uint_eq(strlen(proto), len);
	return strncmp(proto, "/ipfs/kad/", 10) == 0;
}

START_TEST(test_match_callback)
{
	struct pd_mss *l = NULL;
	int calls = 0;
	uint8_t in[128];
	size_t n, used;

	ck_assert_int_eq(pd_mss_listener_new(NULL, 0, mss_match_kad, &calls,
	    &l), 0);
	n = pd_test_unhex(HDR NOISE KAD, in, sizeof(in));
	ck_assert_int_eq(pd_mss_feed(l, in, n, &used), 1);
	ck_assert_int_eq(calls, 2);
	mss_assert_out_hex(l, HDR NA KAD);
	ck_assert_str_eq(pd_mss_protocol(l), "/ipfs/kad/1.0.0");
	pd_mss_free(l);
}
END_TEST

START_TEST(test_bad_config)
{
	const char *bad1[] = { "noslash" };
	const char *bad2[] = { "/a\nb" };
	const char *bad3[] = { "" };
	const char *many[PD_MSS_MAX_PROTOCOLS + 1];
	char longid[PD_MSS_MAX_PROTO_LEN + 2];
	const char *bad4[] = { longid };
	struct pd_mss *m = NULL;

	memset(longid, 'x', sizeof(longid) - 1);
	longid[0] = '/';
	longid[sizeof(longid) - 1] = '\0';
	for (size_t i = 0; i < PD_MSS_MAX_PROTOCOLS + 1; i++)
		many[i] = "/p";
	ck_assert_int_eq(pd_mss_dialer_new(bad1, 0, &m), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_dialer_new(bad1, 1, &m), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_dialer_new(bad2, 1, &m), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_dialer_new(bad3, 1, &m), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_dialer_new(bad4, 1, &m), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_dialer_new(many, PD_MSS_MAX_PROTOCOLS + 1, &m),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_listener_new(NULL, 0, NULL, NULL, &m),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_mss_listener_new(bad1, 1, NULL, NULL, &m),
	    PD_ERR_INVAL);
	ck_assert_ptr_null(m);
	longid[PD_MSS_MAX_PROTO_LEN] = '\0';
	ck_assert_int_eq(pd_mss_proto_valid(longid), 1);
	ck_assert_int_eq(pd_mss_dialer_new(many, PD_MSS_MAX_PROTOCOLS, &m), 0);
	pd_mss_free(m);
	pd_mss_free(NULL);
}
END_TEST

/*
 * Random lists on both sides, random chunking: both agree on the first
 * dialer entry the listener supports, or the dialer fails UNSUPPORTED.
 */
START_TEST(test_random_negotiation)
{
	static const char *pool[] = { "/a", "/b/1.0.0", "/noise",
	    "/yamux/1.0.0", "/ipfs/kad/1.0.0", "/x/y/z", "/tls/1.0.0" };
	const size_t npool = sizeof(pool) / sizeof(pool[0]);

	mss_rng_state = mss_seed;
	for (int iter = 0; iter < 2000; iter++) {
		const char *dp[8], *lp[8];
		size_t nd = 1 + mss_rng() % 6, nl = mss_rng() % 6;
		const char *expect = NULL;
		struct pd_mss *d = NULL, *l = NULL;
		uint8_t tail[3] = { 0xaa, 0xbb, 0xcc };
		size_t tail_len = mss_rng() % 4;
		int ld = 0, dd = 0;

		for (size_t i = 0; i < nd; i++)
			dp[i] = pool[mss_rng() % npool];
		for (size_t i = 0; i < nl; i++)
			lp[i] = pool[mss_rng() % npool];
		if (nl == 0)
			lp[nl++] = "/only";
		for (size_t i = 0; i < nd && expect == NULL; i++)
			for (size_t j = 0; j < nl; j++)
				if (strcmp(dp[i], lp[j]) == 0)
					expect = dp[i];
		ck_assert_int_eq(pd_mss_dialer_new(dp, nd, &d), 0);
		ck_assert_int_eq(pd_mss_listener_new(lp, nl, NULL, NULL, &l),
		    0);
		for (int turn = 0; turn < 40; turn++) {
			struct pd_mss *from = turn % 2 ? l : d;
			struct pd_mss *to = turn % 2 ? d : l;
			int *done = turn % 2 ? &dd : &ld;
			struct pd_buf *out = pd_mss_out(from);
			uint8_t buf[4096];
			size_t n = out->len, off = 0;

			memcpy(buf, out->data, n);
			pd_buf_reset(out);
			/* The listener's accepting write carries protocol data. */
			if (from == l && pd_mss_status(l) == 1 && n > 0) {
				memcpy(buf + n, tail, tail_len);
				n += tail_len;
			}
			while (off < n && *done == 0) {
				size_t chunk = 1 + mss_rng() % (n - off), used;

				*done = pd_mss_feed(to, buf + off, chunk, &used);
				if (*done == 1)
					ck_assert_uint_eq(off + used,
					    n - (from == l ? tail_len : 0));
				off += chunk;
			}
			if (dd != 0 || ld < 0)
				break;
		}
		if (expect != NULL) {
			ck_assert_msg(dd == 1 && ld == 1,
			    "seed %" PRIu64 " iter %d: d=%d l=%d", mss_seed,
			    iter, dd, ld);
			ck_assert_str_eq(pd_mss_protocol(d), expect);
			ck_assert_str_eq(pd_mss_protocol(l), expect);
		} else {
			ck_assert_msg(dd == PD_ERR_UNSUPPORTED && ld == 0,
			    "seed %" PRIu64 " iter %d: d=%d l=%d", mss_seed,
			    iter, dd, ld);
		}
		pd_mss_free(d);
		pd_mss_free(l);
	}
}
END_TEST

static Suite *
mss_suite(void)
{
	Suite *s = suite_create("pd_mss");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_wire_vectors);
	tcase_add_test(tc, test_listener_header_and_na);
	tcase_add_test(tc, test_ls);
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_add_test(tc, test_pipelined_fallback);
	tcase_add_test(tc, test_byte_at_a_time);
	tcase_add_test(tc, test_dialer_exhausted);
	tcase_add_test(tc, test_dialer_unexpected_answer);
	tcase_add_test(tc, test_listener_leftover_and_eof);
	tcase_add_test(tc, test_dialer_leftover);
	tcase_add_test(tc, test_eof_early);
	tcase_add_test(tc, test_match_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_max_message_and_odd_tokens);
	tcase_add_test(tc, test_proposal_cap);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_negotiation);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	mss_seed = pd_test_seed("check_mss");
	return pd_test_run(mss_suite());
}
