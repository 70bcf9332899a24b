/*
 * check_dnsaddr.c - the sans-IO /dnsaddr resolver (lib/discovery/dnsaddr.c):
 * "dnsaddr=" TXT text, the DNS query encoder and TXT answer decoder
 * (known bytes, compression, CNAME, caps, malformed input), and the
 * recursive state machine on the real shape of the
 * _dnsaddr.bootstrap.libp2p.io answers (libp2p-wire.md §13), its depth,
 * loop, query and result caps, plus a randomized model test (seeded; set
 * PD_TEST_SEED to replay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/error.h"
#include "discovery/dnsaddr.h"

#include "helpers.h"

#define QM_NNOO "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"
#define QM_QCU2 "QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa"
#define QM_BLHA "QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb"
#define QM_CZF5 "QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt"

static struct pd_multiaddr
ma_of(const char *text)
{
	struct pd_multiaddr ma;
	char why[128];

	ck_assert_msg(pd_multiaddr_parse(text, &ma, why, sizeof(why)) == 0,
	    "%s: %s", text, why);
	return ma;
}

static void
ck_ma_text(const struct pd_multiaddr *ma, const char *want)
{
	char text[PD_MULTIADDR_MAX_TEXT + 1];

	ck_assert_int_ge(pd_multiaddr_format(ma, text, sizeof(text)), 0);
	ck_assert_str_eq(text, want);
}

START_TEST(test_parse_txt)
{
	struct pd_multiaddr ma;
	const char *t = "dnsaddr=/dnsaddr/sjc-1.bootstrap.libp2p.io/tcp/4001"
	    "/p2p/" QM_NNOO;
	char why[128];

	ck_assert_int_eq(pd_dnsaddr_parse_txt(t, strlen(t), &ma, why,
	    sizeof(why)), 0);
	ck_ma_text(&ma, t + 8);
	ck_assert_int_eq(pd_dnsaddr_parse_txt("v=spf1 -all", 11, &ma, NULL, 0),
	    PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_dnsaddr_parse_txt("dnsaddr", 7, &ma, NULL, 0),
	    PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_dnsaddr_parse_txt("DNSADDR=/ip4/1.2.3.4", 20, &ma,
	    NULL, 0), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_dnsaddr_parse_txt("dnsaddr=/foo/bar", 16, &ma,
	    why, sizeof(why)), PD_ERR_UNSUPPORTED);
	ck_assert_int_lt(pd_dnsaddr_parse_txt("dnsaddr=", 8, &ma, NULL, 0), 0);
	ck_assert_int_eq(pd_dnsaddr_parse_txt("dnsaddr=/ip4/1.2.3", 18, &ma,
	    NULL, 0), PD_ERR_MALFORMED);
	/* n bounds the text: the tail is not read. */
	ck_assert_int_eq(pd_dnsaddr_parse_txt("dnsaddr=/ip4/1.2.3.4/tcp/1xyz",
	    26, &ma, NULL, 0), 0);
	ck_ma_text(&ma, "/ip4/1.2.3.4/tcp/1");
}
END_TEST

START_TEST(test_host_and_suffix)
{
	char out[PD_DNSADDR_QNAME_MAX], big[300];
	struct pd_multiaddr a = ma_of("/ip4/1.2.3.4/tcp/4001/p2p/" QM_NNOO);
	struct pd_multiaddr s1 = ma_of("/tcp/4001/p2p/" QM_NNOO);
	struct pd_multiaddr s2 = ma_of("/p2p/" QM_QCU2);
	struct pd_multiaddr s3 = ma_of("/ip4/1.2.3.4/tcp/4001/p2p/" QM_NNOO);
	struct pd_multiaddr empty;

	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)"a.b.", 4, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "a.b");
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)"a..b", 4, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)".", 1, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)"a..", 3, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)".a", 2, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)"a b", 3, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)big, 64, out,
	    sizeof(out)), PD_ERR_MALFORMED);	/* label over 63 */
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)big, 63, out,
	    sizeof(out)), 0);
	for (int i = 63; i < 254; i += 64)
		big[i] = '.';
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)big, 253, out,
	    sizeof(out)), 0);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)big, 254, out,
	    sizeof(out)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_host((const uint8_t *)"abc", 3, out, 3),
	    PD_ERR_OVERFLOW);

	memset(&empty, 0, sizeof(empty));
	ck_assert(pd_dnsaddr_has_suffix(&a, &s1));
	ck_assert(!pd_dnsaddr_has_suffix(&a, &s2));
	ck_assert(pd_dnsaddr_has_suffix(&a, &s3));
	ck_assert(pd_dnsaddr_has_suffix(&a, &empty));
	ck_assert(!pd_dnsaddr_has_suffix(&s1, &a));
	/* Same trailing bytes that do not start on a component: no match. */
	{
		struct pd_multiaddr x = ma_of("/ip4/1.2.3.6/tcp/6");
		struct pd_multiaddr y;

		/* "06 00 06" is the tail of x's tcp; fake a shorter suffix */
		y.len = 2;
		memcpy(y.bytes, x.bytes + x.len - 2, 2);
		ck_assert(!pd_dnsaddr_has_suffix(&x, &y));
	}
}
END_TEST

START_TEST(test_query_encode)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x08, '_', 'd', 'n', 's', 'a', 'd', 'd', 'r',
		0x09, 'b', 'o', 'o', 't', 's', 't', 'r', 'a', 'p', 0x06, 'l',
		'i', 'b', 'p', '2', 'p', 0x02, 'i', 'o', 0x00, 0x00, 0x10,
		0x00, 0x01,
	};
	uint8_t out[300];
	size_t n = 0;

	ck_assert_int_eq(pd_dnsaddr_query_encode(0x1234,
	    "_dnsaddr.bootstrap.libp2p.io", PD_DNSADDR_TYPE_TXT, out,
	    sizeof(out), &n), 0);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert(memcmp(out, want, n) == 0);
	/* A trailing dot is the same name. */
	ck_assert_int_eq(pd_dnsaddr_query_encode(0x1234,
	    "_dnsaddr.bootstrap.libp2p.io.", PD_DNSADDR_TYPE_TXT, out,
	    sizeof(out), &n), 0);
	ck_assert(memcmp(out, want, n) == 0);
	ck_assert_int_eq(pd_dnsaddr_query_encode(1, "x.io", 16, out,
	    sizeof(want) - 30, &n), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_dnsaddr_query_encode(1, "a..b", 16, out,
	    sizeof(out), &n), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_dnsaddr_query_encode(1, "", 16, out,
	    sizeof(out), &n), PD_ERR_MALFORMED);
}
END_TEST

/* A tiny response builder for the decoder tests. */
struct msg {
	uint8_t b[PD_DNSADDR_MAX_MSG + 64];
	size_t n;
};

static void
msg_put(struct msg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
msg_u16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	msg_put(m, b, 2);
}

static void
msg_name(struct msg *m, const char *name)
{
	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		uint8_t c = (uint8_t)l;

		msg_put(m, &c, 1);
		msg_put(m, name, l);
		name += l + (dot != NULL);
	}
	msg_put(m, "", 1);
}

static void
msg_start(struct msg *m, unsigned id, unsigned flags, unsigned an,
    const char *qname)
{
	m->n = 0;
	msg_u16(m, id);
	msg_u16(m, flags);
	msg_u16(m, 1);
	msg_u16(m, an);
	msg_u16(m, 0);
	msg_u16(m, 0);
	msg_name(m, qname);
	msg_u16(m, PD_DNSADDR_TYPE_TXT);
	msg_u16(m, 1);
}

/* A TXT record owned by the question name (pointer 0xc00c). */
static void
msg_txt(struct msg *m, const char *const *strs, size_t n)
{
	size_t rdlen = 0;

	for (size_t i = 0; i < n; i++)
		rdlen += 1 + strlen(strs[i]);
	msg_u16(m, 0xc00c);
	msg_u16(m, PD_DNSADDR_TYPE_TXT);
	msg_u16(m, 1);
	msg_u16(m, 0);
	msg_u16(m, 60);
	msg_u16(m, (unsigned)rdlen);
	for (size_t i = 0; i < n; i++) {
		uint8_t l = (uint8_t)strlen(strs[i]);

		msg_put(m, &l, 1);
		msg_put(m, strs[i], l);
	}
}

static struct pd_dnsaddr_txt_answer ans;

START_TEST(test_txt_decode)
{
	static struct msg m;
	const char *q = "_dnsaddr.bootstrap.libp2p.io";
	const char *r1[] = { "dnsaddr=/dnsaddr/sjc-1.bootstrap.libp2p.io/tcp/"
	    "4001/p2p/" QM_NNOO };
	const char *r2[] = { "v=spf1 -all" };
	const char *r3[] = { "dnsaddr=/ip4/1.2.3.4", "/tcp/4001" };
	char why[128];

	msg_start(&m, 0xbeef, 0x8180, 3, q);
	msg_txt(&m, r1, 1);
	msg_txt(&m, r2, 1);
	msg_txt(&m, r3, 2);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 0xbeef, q, &ans, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ans.rcode, 0);
	ck_assert(!ans.truncated);
	ck_assert_uint_eq(ans.ntxt, 3);
	ck_assert_str_eq(ans.txt[0], r1[0]);
	ck_assert_str_eq(ans.txt[1], "v=spf1 -all");
	ck_assert_str_eq(ans.txt[2], "dnsaddr=/ip4/1.2.3.4/tcp/4001");
	ck_assert_uint_eq(ans.len[2], strlen(ans.txt[2]));
	/* Case-insensitive question match. */
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 0xbeef,
	    "_DNSADDR.Bootstrap.LIBP2P.io", &ans, NULL, 0), 0);
	/* Wrong id, wrong question, a query (QR clear): not ours. */
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 0xbeee, q, &ans, why,
	    sizeof(why)), PD_ERR_PROTOCOL);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 0xbeef, "_dnsaddr.x",
	    &ans, why, sizeof(why)), PD_ERR_PROTOCOL);
	m.b[2] &= 0x7f;
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 0xbeef, q, &ans, why,
	    sizeof(why)), PD_ERR_PROTOCOL);
	m.b[2] |= 0x80;
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < m.n; n++)
		ck_assert_int_lt(pd_dnsaddr_txt_decode(m.b, n, 0xbeef, q, &ans,
		    why, sizeof(why)), 0);
	/* Over the message cap. */
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, PD_DNSADDR_MAX_MSG + 1,
	    0xbeef, q, &ans, why, sizeof(why)), PD_ERR_OVERFLOW);

	/* NXDOMAIN, TC. */
	msg_start(&m, 7, 0x8183, 0, q);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 7, q, &ans, NULL, 0),
	    0);
	ck_assert_uint_eq(ans.rcode, PD_DNSADDR_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ans.ntxt, 0);
	msg_start(&m, 7, 0x8380, 0, q);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 7, q, &ans, NULL, 0),
	    0);
	ck_assert(ans.truncated);

	/* Compression pointer loop in an answer name. */
	msg_start(&m, 7, 0x8180, 1, q);
	msg_u16(&m, 0xc000 | (unsigned)m.n);
	msg_u16(&m, 16);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 7, q, &ans, why,
	    sizeof(why)), PD_ERR_MALFORMED);

	/* A TXT string that overruns its record. */
	msg_start(&m, 7, 0x8180, 1, q);
	msg_u16(&m, 0xc00c);
	msg_u16(&m, 16);
	msg_u16(&m, 1);
	msg_u16(&m, 0);
	msg_u16(&m, 60);
	msg_u16(&m, 3);
	msg_put(&m, "\x05" "ab", 3);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 7, q, &ans, why,
	    sizeof(why)), PD_ERR_MALFORMED);

	/* A record with a NUL byte is skipped; another owner is ignored. */
	msg_start(&m, 7, 0x8180, 2, q);
	msg_u16(&m, 0xc00c);
	msg_u16(&m, 16);
	msg_u16(&m, 1);
	msg_u16(&m, 0);
	msg_u16(&m, 60);
	msg_u16(&m, 4);
	msg_put(&m, "\x03" "a\0b", 4);
	msg_name(&m, "other.example");
	msg_u16(&m, 16);
	msg_u16(&m, 1);
	msg_u16(&m, 0);
	msg_u16(&m, 60);
	msg_u16(&m, 2);
	msg_put(&m, "\x01" "z", 2);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 7, q, &ans, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ans.ntxt, 0);
	ck_assert_uint_eq(ans.skipped, 1);
}
END_TEST

START_TEST(test_txt_decode_cname_and_caps)
{
	static struct msg m;
	const char *q = "_dnsaddr.a.example";
	const char *one[] = { "dnsaddr=/ip4/9.9.9.9/tcp/1" };
	char why[128];

	/* q CNAME t.example; t.example TXT ...  */
	msg_start(&m, 9, 0x8180, 2, q);
	msg_u16(&m, 0xc00c);
	msg_u16(&m, PD_DNSADDR_TYPE_CNAME);
	msg_u16(&m, 1);
	msg_u16(&m, 0);
	msg_u16(&m, 60);
	msg_u16(&m, 11);
	msg_name(&m, "t.example");		/* 1+1+7+1+1 = 11 bytes */
	msg_name(&m, "T.EXAMPLE");
	msg_u16(&m, 16);
	msg_u16(&m, 1);
	msg_u16(&m, 0);
	msg_u16(&m, 60);
	msg_u16(&m, (unsigned)(1 + strlen(one[0])));
	{
		uint8_t l = (uint8_t)strlen(one[0]);

		msg_put(&m, &l, 1);
		msg_put(&m, one[0], l);
	}
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 9, q, &ans, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ans.ntxt, 1);
	ck_assert_str_eq(ans.txt[0], one[0]);

	/* More records than PD_DNSADDR_MAX_TXT: the rest is skipped. */
	msg_start(&m, 9, 0x8180, PD_DNSADDR_MAX_TXT + 5, q);
	for (int i = 0; i < PD_DNSADDR_MAX_TXT + 5; i++)
		msg_txt(&m, one, 1);
	ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 9, q, &ans, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ans.ntxt, PD_DNSADDR_MAX_TXT);
	ck_assert_uint_eq(ans.skipped, 5);

	/* One record longer than PD_DNSADDR_MAX_TXT_LEN (5 x 255). */
	{
		char s[256];
		const char *strs[5];

		memset(s, 'x', 255);
		s[255] = '\0';
		for (int i = 0; i < 5; i++)
			strs[i] = s;
		msg_start(&m, 9, 0x8180, 2, q);
		msg_txt(&m, strs, 5);
		msg_txt(&m, strs, 4);		/* 1020: fits */
		ck_assert_int_eq(pd_dnsaddr_txt_decode(m.b, m.n, 9, q, &ans,
		    why, sizeof(why)), 0);
		ck_assert_uint_eq(ans.ntxt, 1);
		ck_assert_uint_eq(ans.len[0], 1020);
		ck_assert_uint_eq(ans.skipped, 1);
	}
}
END_TEST

/* Answer the pending query named name with texts; returns the token. */
static void
feed_named(struct pd_dnsaddr *r, const char *name, const char *const *txt,
    size_t n)
{
	size_t token;
	const char *qn;

	ck_assert_int_eq(pd_dnsaddr_next_query(r, &token, &qn), 1);
	ck_assert_str_eq(qn, name);
	ck_assert_int_eq(pd_dnsaddr_feed(r, token, txt, n), 0);
}

static struct pd_dnsaddr res;

START_TEST(test_resolve_bootstrap_shape)
{
	/* The documented chain of libp2p-wire.md §13 (one level of
	 * indirection, one name per bootstrapper). */
	const char *top[] = {
		"dnsaddr=/dnsaddr/sjc-1.bootstrap.libp2p.io/tcp/4001/p2p/"
		    QM_NNOO,
		"dnsaddr=/dnsaddr/ny5.bootstrap.libp2p.io/tcp/4001/p2p/"
		    QM_QCU2,
		"dnsaddr=/dnsaddr/am6.bootstrap.libp2p.io/tcp/4001/p2p/"
		    QM_BLHA,
		"dnsaddr=/dnsaddr/sg1.bootstrap.libp2p.io/tcp/4001/p2p/"
		    QM_CZF5,
	};
	const char *sjc[] = {
		"dnsaddr=/ip4/147.75.69.143/tcp/4001/p2p/" QM_NNOO,
		"dnsaddr=/ip6/2604:1380:1000:6000::1/tcp/4001/p2p/" QM_NNOO,
		"dnsaddr=/ip4/147.75.69.143/udp/4001/quic-v1/p2p/" QM_NNOO,
		"dnsaddr=/dns4/sjc-1.bootstrap.libp2p.io/tcp/443/wss/p2p/"
		    QM_NNOO,
		"not a dnsaddr record",
	};
	struct pd_multiaddr root = ma_of("/dnsaddr/bootstrap.libp2p.io/p2p/"
	    QM_NNOO);
	size_t token;
	const char *qn;

	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	ck_assert(!pd_dnsaddr_done(&res));
	feed_named(&res, "_dnsaddr.bootstrap.libp2p.io", top, 4);
	/* Only the sjc-1 entry ends with /p2p/QmNnoo... */
	ck_assert_uint_eq(res.dropped_suffix, 3);
	feed_named(&res, "_dnsaddr.sjc-1.bootstrap.libp2p.io", sjc, 5);
	ck_assert_int_eq(pd_dnsaddr_next_query(&res, &token, &qn), 0);
	ck_assert(pd_dnsaddr_done(&res));
	/* quic and wss do not end with /tcp/4001/p2p/ID. */
	ck_assert_uint_eq(res.nresults, 2);
	ck_ma_text(&res.results[0], "/ip4/147.75.69.143/tcp/4001/p2p/"
	    QM_NNOO);
	ck_ma_text(&res.results[1], "/ip6/2604:1380:1000:6000::1/tcp/4001/p2p/"
	    QM_NNOO);
	ck_assert_uint_eq(res.dropped_suffix, 5);

	/* Without /p2p/ every bootstrapper is followed. */
	root = ma_of("/dnsaddr/bootstrap.libp2p.io");
	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	feed_named(&res, "_dnsaddr.bootstrap.libp2p.io", top, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pd_dnsaddr_next_query(&res, &token, &qn), 1);
		ck_assert_int_eq(pd_dnsaddr_fail(&res, token, "timed out"), 0);
	}
	ck_assert(pd_dnsaddr_done(&res));
	ck_assert_uint_eq(res.failed, 4);
	ck_assert_uint_eq(res.nresults, 0);
	ck_assert_str_eq(res.last_error,
	    "_dnsaddr.sg1.bootstrap.libp2p.io: timed out");
	/* Stale tokens. */
	ck_assert_int_eq(pd_dnsaddr_feed(&res, 0, top, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dnsaddr_fail(&res, 99, "x"), PD_ERR_INVAL);

	/* Not a /dnsaddr address. */
	root = ma_of("/dns4/example.com/tcp/1");
	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), PD_ERR_INVAL);
}
END_TEST

START_TEST(test_resolve_depth_loop_caps)
{
	struct pd_multiaddr root = ma_of("/dnsaddr/d1.example");
	const char *l2[] = { "dnsaddr=/dnsaddr/d2.example" };
	const char *l3[] = { "dnsaddr=/dnsaddr/d3.example",
	    "dnsaddr=/dnsaddr/d1.example" /* a loop: already asked */ };
	const char *l4[] = { "dnsaddr=/dnsaddr/d4.example",
	    "dnsaddr=/ip4/10.0.0.3/tcp/1" };
	const char *l5[] = { "dnsaddr=/dnsaddr/d5.example",
	    "dnsaddr=/ip4/10.0.0.4/tcp/1" };
	static char bufs[80][64];
	const char *many[80];
	size_t token;
	const char *qn;

	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	feed_named(&res, "_dnsaddr.d1.example", l2, 1);
	feed_named(&res, "_dnsaddr.d2.example", l3, 2);
	feed_named(&res, "_dnsaddr.d3.example", l4, 2);
	feed_named(&res, "_dnsaddr.d4.example", l5, 2);	/* depth 4 */
	ck_assert_int_eq(pd_dnsaddr_next_query(&res, &token, &qn), 0);
	ck_assert(pd_dnsaddr_done(&res));
	ck_assert_uint_eq(res.dropped_depth, 1);	/* d5 at depth 5 */
	ck_assert_uint_eq(res.nresults, 2);

	/* Query cap: 40 names from the root, 31 more fit. */
	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(bufs[i], sizeof(bufs[i]),
		    "dnsaddr=/dnsaddr/n%d.example", i);
		many[i] = bufs[i];
	}
	feed_named(&res, "_dnsaddr.d1.example", many, 40);
	ck_assert_uint_eq(res.dropped_limit, 40 - (PD_DNSADDR_MAX_QUERIES - 1));
	for (int i = 0; i < PD_DNSADDR_MAX_QUERIES - 1; i++) {
		ck_assert_int_eq(pd_dnsaddr_next_query(&res, &token, &qn), 1);
		ck_assert_int_eq(pd_dnsaddr_feed(&res, token, NULL, 0), 0);
	}
	ck_assert(pd_dnsaddr_done(&res));

	/* Result cap and de-duplication. */
	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	for (int i = 0; i < 80; i++) {
		snprintf(bufs[i], sizeof(bufs[i]),
		    "dnsaddr=/ip4/10.1.0.%d/tcp/4001", i % 70);
		many[i] = bufs[i];
	}
	feed_named(&res, "_dnsaddr.d1.example", many, 80);
	ck_assert_uint_eq(res.nresults, PD_DNSADDR_MAX_RESULTS);
	ck_assert_uint_eq(res.dropped_limit, 70 - PD_DNSADDR_MAX_RESULTS);
	/* Bad "dnsaddr=" texts are counted. */
	ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
	many[0] = "dnsaddr=/ip4/300.1.1.1/tcp/1";
	many[1] = "dnsaddr=/dnsaddr/a..b";
	feed_named(&res, "_dnsaddr.d1.example", many, 2);
	ck_assert_uint_eq(res.dropped_bad, 2);
	ck_assert(pd_dnsaddr_done(&res));
}
END_TEST

/* --- randomized model test ------------------------------------------ */

#define MODEL_NAMES 8
#define MODEL_MAX_TXT 6
#define MODEL_TXT_LEN 160

static const char *const model_ids[] = { QM_NNOO, QM_QCU2 };

struct model_zone {
	int ntxt[MODEL_NAMES];
	char txt[MODEL_NAMES][MODEL_MAX_TXT][MODEL_TXT_LEN];
};

static uint64_t model_rng;

static uint32_t
model_rand(uint32_t n)
{
	model_rng ^= model_rng << 13;
	model_rng ^= model_rng >> 7;
	model_rng ^= model_rng << 17;
	return (uint32_t)(model_rng % n);
}

/* "" or "/p2p/ID" */
static const char *
model_rest(int k)
{
	static char buf[2][80];

	if (k == 0)
		return "";
	snprintf(buf[k - 1], sizeof(buf[0]), "/p2p/%s", model_ids[k - 1]);
	return buf[k - 1];
}

static bool
model_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return b == 0 || (a >= b && strcmp(s + a - b, suffix) == 0);
}

struct model_item {
	int name;
	int restk;
	int depth;
};

START_TEST(test_resolve_model)
{
	uint64_t seed = pd_test_seed("check_dnsaddr model");
	static struct model_zone z;

	model_rng = seed * 2654435761u + 1;
	for (int round = 0; round < 300; round++) {
		struct model_item queue[64];
		int nq = 0;
		char want[128][MODEL_TXT_LEN];
		int nwant = 0;
		int rootk = (int)model_rand(3);
		char rootText[200];
		struct pd_multiaddr root;

		/* Build a random zone. */
		for (int n = 0; n < MODEL_NAMES; n++) {
			z.ntxt[n] = (int)model_rand(MODEL_MAX_TXT + 1);
			for (int t = 0; t < z.ntxt[n]; t++) {
				int k = (int)model_rand(3);

				if (model_rand(3) == 0)
					snprintf(z.txt[n][t], MODEL_TXT_LEN,
					    "dnsaddr=/dnsaddr/n%u.example%s",
					    model_rand(MODEL_NAMES),
					    model_rest(k));
				else
					snprintf(z.txt[n][t], MODEL_TXT_LEN,
					    "dnsaddr=/ip4/10.%d.%d.%u/tcp/4001%s",
					    n, t, model_rand(3),
					    model_rest(k));
			}
		}
		snprintf(rootText, sizeof(rootText), "/dnsaddr/n0.example%s",
		    model_rest(rootk));
		root = ma_of(rootText);

		/* Model: breadth-first, same rules, text suffixes. */
		queue[nq++] = (struct model_item){ 0, rootk, 1 };
		for (int qi = 0; qi < nq; qi++) {
			struct model_item it = queue[qi];

			for (int t = 0; t < z.ntxt[it.name]; t++) {
				const char *s = z.txt[it.name][t] + 8;
				int dup = 0;

				if (!model_ends(s, model_rest(it.restk)))
					continue;
				if (strncmp(s, "/dnsaddr/", 9) == 0) {
					struct model_item ni;

					ni.name = atoi(s + 10);
					ni.restk = strstr(s, "/p2p/") == NULL ?
					    0 : strstr(s, model_ids[0]) ? 1 : 2;
					ni.depth = it.depth + 1;
					if (ni.depth > PD_DNSADDR_MAX_DEPTH)
						continue;
					for (int k = 0; k < nq; k++)
						dup |= queue[k].name ==
						    ni.name && queue[k].restk ==
						    ni.restk;
					if (!dup)
						queue[nq++] = ni;
					continue;
				}
				if (!model_ends(s, model_rest(rootk)))
					continue;
				for (int k = 0; k < nwant; k++)
					dup |= strcmp(want[k], s) == 0;
				if (!dup)
					snprintf(want[nwant++],
					    MODEL_TXT_LEN, "%s", s);
			}
		}

		/* Implementation, answering in random order. */
		ck_assert_int_eq(pd_dnsaddr_init(&res, &root, NULL, 0), 0);
		for (int guard = 0; guard < 1000 && !pd_dnsaddr_done(&res);
		    guard++) {
			size_t token;
			const char *qn;
			const char *txt[MODEL_MAX_TXT];
			int n;

			ck_assert_int_eq(pd_dnsaddr_next_query(&res, &token,
			    &qn), 1);
			ck_assert(strncmp(qn, "_dnsaddr.n", 10) == 0);
			n = atoi(qn + 10);
			for (int t = 0; t < z.ntxt[n]; t++)
				txt[t] = z.txt[n][t];
			ck_assert_int_eq(pd_dnsaddr_feed(&res, token, txt,
			    (size_t)z.ntxt[n]), 0);
		}
		ck_assert(pd_dnsaddr_done(&res));
		ck_assert_msg(res.nresults == (size_t)nwant,
		    "seed %llu round %d: %zu results, model %d",
		    (unsigned long long)seed, round, res.nresults, nwant);
		for (int k = 0; k < nwant; k++) {
			int found = 0;
			struct pd_multiaddr w = ma_of(want[k]);

			for (size_t i = 0; i < res.nresults; i++)
				found |= pd_multiaddr_equal(&res.results[i],
				    &w);
			ck_assert_msg(found, "seed %llu round %d: missing %s",
			    (unsigned long long)seed, round, want[k]);
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_dnsaddr");
	TCase *tc = tcase_create("dnsaddr");

	tcase_add_test(tc, test_parse_txt);
	tcase_add_test(tc, test_host_and_suffix);
	tcase_add_test(tc, test_query_encode);
	tcase_add_test(tc, test_txt_decode);
	tcase_add_test(tc, test_txt_decode_cname_and_caps);
	tcase_add_test(tc, test_resolve_bootstrap_shape);
	tcase_add_test(tc, test_resolve_depth_loop_caps);
	tcase_add_test(tc, test_resolve_model);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
