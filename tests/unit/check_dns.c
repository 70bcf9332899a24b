/*
 * check_dns.c - the mDNS DNS message codec (lib/mdns/dns.c): captured js,
 * go (zeroconf) and rust answers from tests/unit/vectors/mdns (made by
 * tests/tools/gen-mdns-vectors.mjs), hand-made compression cases (pointer
 * to pointer, into the middle of a name, RFC 1035 §4.1.4) and rejected
 * ones (forward pointer, self loop, two-step loop, hop cap, over-long
 * name, label > 63, truncation at every byte), caps, the libp2p answer
 * builder (golden bytes) and extractor, and a seeded randomized
 * encode/decode round trip (set PD_TEST_SEED to replay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "core/error.h"
#include "mdns/dns.h"

#include "helpers.h"

#ifndef PD_TEST_VECTORS
#error "PD_TEST_VECTORS must name tests/unit/vectors"
#endif

#define PEER_ID "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
#define OUR_NAME "ourpeername0123456789abcdefghijklmnopqrstuv"

static const char *const test_addrs[] = {
	"/ip4/192.168.1.23/tcp/4001/p2p/" PEER_ID,
	"/ip4/192.168.1.23/udp/4001/quic-v1/p2p/" PEER_ID,
	"/ip6/fd00::17/tcp/4001/p2p/" PEER_ID,
};

static struct pd_dns_msg msg_a, msg_b;

/* ---- helpers ---- */

static size_t
read_hex(const char *name, uint8_t *out, size_t cap)
{
	char path[512];
	FILE *f;
	int c, hi = -1;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/mdns/%s", PD_TEST_VECTORS, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while ((c = fgetc(f)) != EOF) {
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			ck_assert_uint_lt(n, cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	ck_assert_int_eq(hi, -1);
	return n;
}

/* A packet under construction. */
struct pkt {
	uint8_t b[PD_DNS_MAX_MSG + 64];
	size_t n;
};

static void
pkt_bytes(struct pkt *p, const void *d, size_t n)
{
	ck_assert_uint_le(p->n + n, sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void
pkt_u16(struct pkt *p, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	pkt_bytes(p, b, 2);
}

static void
pkt_u32(struct pkt *p, uint32_t v)
{
	pkt_u16(p, v >> 16);
	pkt_u16(p, v & 0xffff);
}

static void
pkt_header(struct pkt *p, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	p->n = 0;
	pkt_u16(p, 0);
	pkt_u16(p, flags);
	pkt_u16(p, qd);
	pkt_u16(p, an);
	pkt_u16(p, ns);
	pkt_u16(p, ar);
}

/* Uncompressed labels of a dotted name, without the terminating 0. */
static void
pkt_labels(struct pkt *p, const char *name)
{
	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);
		uint8_t lb = (uint8_t)l;

		pkt_bytes(p, &lb, 1);
		pkt_bytes(p, name, l);
		name += l + (dot != NULL);
	}
}

static void
pkt_name(struct pkt *p, const char *name)
{
	pkt_labels(p, name);
	pkt_bytes(p, "", 1);
}

static void
pkt_ptr(struct pkt *p, size_t off)
{
	pkt_u16(p, 0xc000 | (unsigned)off);
}

static void
pkt_qtail(struct pkt *p)
{
	pkt_u16(p, PD_DNS_TYPE_PTR);
	pkt_u16(p, 1);
}

static int
decode(const struct pkt *p, struct pd_dns_msg *m, char *why, size_t whylen)
{
	return pd_dns_decode(p->b, p->n, m, why, whylen);
}

static int
rr_eq(const struct pd_dns_msg *a, const struct pd_dns_rr *ra,
    const struct pd_dns_msg *b, const struct pd_dns_rr *rb)
{
	size_t i, la, lb;
	const uint8_t *pa, *pb;

	if (ra->section != rb->section || ra->type != rb->type ||
	    ra->rclass != rb->rclass || ra->cache_flush != rb->cache_flush ||
	    ra->ttl != rb->ttl || strcmp(ra->name, rb->name) != 0)
		return 0;
	switch (ra->type) {
	case PD_DNS_TYPE_A:
		return memcmp(ra->u.a, rb->u.a, 4) == 0;
	case PD_DNS_TYPE_AAAA:
		return memcmp(ra->u.aaaa, rb->u.aaaa, 16) == 0;
	case PD_DNS_TYPE_PTR:
		return strcmp(ra->u.ptr, rb->u.ptr) == 0;
	case PD_DNS_TYPE_SRV:
		return ra->u.srv.priority == rb->u.srv.priority &&
		    ra->u.srv.weight == rb->u.srv.weight &&
		    ra->u.srv.port == rb->u.srv.port &&
		    strcmp(ra->u.srv.target, rb->u.srv.target) == 0;
	case PD_DNS_TYPE_TXT:
		if (ra->u.txt.n != rb->u.txt.n)
			return 0;
		for (i = 0; i < ra->u.txt.n; i++) {
			pa = pd_dns_txt_get(a, ra, i, &la);
			pb = pd_dns_txt_get(b, rb, i, &lb);
			if (pa == NULL || pb == NULL || la != lb ||
			    memcmp(pa, pb, la) != 0)
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

static void
ck_msg_eq(const struct pd_dns_msg *a, const struct pd_dns_msg *b)
{
	size_t i;

	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->nq, b->nq);
	ck_assert_uint_eq(a->nrr, b->nrr);
	for (i = 0; i < a->nq; i++) {
		ck_assert_str_eq(a->q[i].name, b->q[i].name);
		ck_assert_uint_eq(a->q[i].type, b->q[i].type);
		ck_assert_uint_eq(a->q[i].qclass, b->q[i].qclass);
		ck_assert_int_eq(a->q[i].unicast, b->q[i].unicast);
	}
	for (i = 0; i < a->nrr; i++)
		ck_assert_msg(rr_eq(a, &a->rr[i], b, &b->rr[i]),
		    "record %zu (%s type %u) differs", i, a->rr[i].name,
		    a->rr[i].type);
}

/* Compare extraction results with NAME.expect. */
static void
ck_expect(const char *vec, const struct pd_dns_msg *m)
{
	struct pd_dns_libp2p_peer peers[4];
	char path[512], line[512];
	size_t n, pi = 0, ai = 0;
	FILE *f;

	ck_assert_int_eq(pd_dns_libp2p_extract(m, NULL, peers, 4, &n), 0);
	snprintf(path, sizeof(path), "%s/mdns/%s.expect", PD_TEST_VECTORS, vec);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *nl = strchr(line, '\n');

		if (nl != NULL)
			*nl = '\0';
		if (strncmp(line, "peer ", 5) == 0) {
			char *sp = strrchr(line, ' ');

			*sp = '\0';
			if (pi > 0)
				ck_assert_uint_eq(ai, peers[pi - 1].naddrs);
			ck_assert_uint_lt(pi, n);
			ck_assert_str_eq(peers[pi].name, line + 5);
			ck_assert_uint_eq(peers[pi].ttl, strtoul(sp + 1, NULL, 10));
			pi++;
			ai = 0;
		} else if (strncmp(line, "addr ", 5) == 0) {
			const struct pd_dns_libp2p_peer *p;

			ck_assert_uint_gt(pi, 0);
			p = &peers[pi - 1];
			ck_assert_uint_lt(ai, p->naddrs);
			ck_assert_uint_eq(p->addr_len[ai], strlen(line + 5));
			ck_assert(memcmp(p->addr[ai], line + 5,
			    p->addr_len[ai]) == 0);
			ai++;
		}
	}
	fclose(f);
	ck_assert_uint_eq(pi, n);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(ai, peers[n - 1].naddrs);
}

/* Decode, re-encode, decode again: equal, and the encoding is stable. */
static void
ck_roundtrip(const struct pd_dns_msg *m)
{
	static uint8_t b1[PD_DNS_MAX_MSG], b2[PD_DNS_MAX_MSG];
	size_t n1, n2;
	char why[128] = "";

	ck_assert_int_eq(pd_dns_encode_raw(m, b1, sizeof(b1), &n1), 0);
	ck_assert_msg(pd_dns_decode(b1, n1, &msg_b, why, sizeof(why)) == 0,
	    "%s", why);
	ck_msg_eq(m, &msg_b);
	ck_assert_int_eq(pd_dns_encode_raw(&msg_b, b2, sizeof(b2), &n2), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(b1, b2, n1) == 0);
}

/* ---- captured vectors ---- */

START_TEST(test_vector_queries)
{
	static const char *const vecs[] = { "js-query.hex", "rust-query.hex" };
	uint8_t b[PD_DNS_MAX_MSG];
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = read_hex(vecs[i], b, sizeof(b));
		ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
		ck_assert_uint_eq(msg_a.flags, 0);
		ck_assert_uint_eq(msg_a.nq, 1);
		ck_assert_uint_eq(msg_a.nrr, 0);
		ck_assert_str_eq(msg_a.q[0].name, "_p2p._udp.local");
		ck_assert_uint_eq(msg_a.q[0].type, PD_DNS_TYPE_PTR);
		ck_assert_uint_eq(msg_a.q[0].qclass, PD_DNS_CLASS_IN);
		ck_assert(!msg_a.q[0].unicast);
	}
	ck_assert_uint_eq(msg_a.id, 0x1234);	/* rust */
	/* Our query builder makes the same bytes as js (id 0). */
	{
		uint8_t out[64];
		size_t on;

		n = read_hex("js-query.hex", b, sizeof(b));
		ck_assert_int_eq(pd_dns_build_libp2p_query(&msg_a, NULL, false), 0);
		ck_assert_int_eq(pd_dns_encode_raw(&msg_a, out, sizeof(out), &on),
		    0);
		ck_assert_uint_eq(on, n);
		ck_assert(memcmp(out, b, n) == 0);
		ck_assert_int_eq(pd_dns_build_libp2p_query(&msg_a,
		    "_p2p-0123456789abcdef._udp.local", true), 0);
		ck_assert_int_eq(pd_dns_encode_raw(&msg_a, out, sizeof(out), &on),
		    0);
		ck_assert_uint_eq(out[on - 2], 0x80);	/* QU bit */
		ck_assert_uint_eq(out[on - 1], 0x01);
	}
}
END_TEST

START_TEST(test_vector_js)
{
	uint8_t b[PD_DNS_MAX_MSG];
	size_t n = read_hex("js-answer.hex", b, sizeof(b)), i;

	ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.flags, 0x8400);
	ck_assert_uint_eq(msg_a.nan, 4);
	ck_assert_uint_eq(msg_a.nar, 0);
	for (i = 0; i < msg_a.nrr; i++) {
		ck_assert_uint_eq(msg_a.rr[i].ttl, 120);
		ck_assert(!msg_a.rr[i].cache_flush);
	}
	ck_expect("js-answer", &msg_a);
	ck_roundtrip(&msg_a);
}
END_TEST

START_TEST(test_vector_go)
{
	uint8_t b[PD_DNS_MAX_MSG];
	size_t n = read_hex("go-browse.hex", b, sizeof(b)), i;
	const char *host = "r7t2y9u4i1o6p3a8s5d0f7g2h9j4k1l6.local";

	ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.flags, 0x8400);
	ck_assert_uint_eq(msg_a.nan, 1);
	ck_assert_uint_eq(msg_a.nar, 4);
	ck_assert_uint_eq(msg_a.rr[1].type, PD_DNS_TYPE_SRV);
	ck_assert_uint_eq(msg_a.rr[1].u.srv.port, 4001);
	ck_assert_str_eq(msg_a.rr[1].u.srv.target, host);
	ck_assert_uint_eq(msg_a.rr[2].type, PD_DNS_TYPE_TXT);
	ck_assert_uint_eq(msg_a.rr[2].u.txt.n, 3);
	ck_assert_uint_eq(msg_a.rr[2].ttl, 3200);
	/* A/AAAA owners are pointers into the SRV rdata. */
	ck_assert_uint_eq(msg_a.rr[3].type, PD_DNS_TYPE_A);
	ck_assert_str_eq(msg_a.rr[3].name, host);
	ck_assert_uint_eq(msg_a.rr[3].ttl, 120);
	ck_assert_uint_eq(msg_a.rr[3].u.a[0], 192);
	ck_assert_uint_eq(msg_a.rr[3].u.a[3], 23);
	ck_assert_uint_eq(msg_a.rr[4].type, PD_DNS_TYPE_AAAA);
	ck_assert_str_eq(msg_a.rr[4].name, host);
	ck_assert_uint_eq(msg_a.rr[4].u.aaaa[0], 0xfd);
	ck_assert_uint_eq(msg_a.rr[4].u.aaaa[15], 0x17);
	for (i = 0; i < msg_a.nrr; i++)
		ck_assert(!msg_a.rr[i].cache_flush);
	ck_expect("go-browse", &msg_a);
	ck_roundtrip(&msg_a);

	n = read_hex("go-announce.hex", b, sizeof(b));
	ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.flags, 0x8000);
	ck_assert_uint_eq(msg_a.nan, 6);
	for (i = 0; i < msg_a.nrr; i++)
		ck_assert_int_eq(msg_a.rr[i].cache_flush,
		    msg_a.rr[i].type != PD_DNS_TYPE_PTR);
	ck_assert_str_eq(msg_a.rr[3].name, "_services._dns-sd._udp.local");
	ck_assert_str_eq(msg_a.rr[3].u.ptr, "_p2p._udp.local");
	ck_expect("go-announce", &msg_a);
	ck_roundtrip(&msg_a);
}
END_TEST

START_TEST(test_vector_rust)
{
	uint8_t b[PD_DNS_MAX_MSG];
	size_t n = read_hex("rust-answer.hex", b, sizeof(b)), i;

	ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.id, 0x1234);
	ck_assert_uint_eq(msg_a.nan, 1);
	ck_assert_uint_eq(msg_a.nar, 3);
	ck_assert(!msg_a.rr[0].cache_flush);
	for (i = 1; i < msg_a.nrr; i++) {
		ck_assert(msg_a.rr[i].cache_flush);
		ck_assert_uint_eq(msg_a.rr[i].u.txt.n, 1);
	}
	ck_expect("rust-answer", &msg_a);
	ck_roundtrip(&msg_a);
}
END_TEST

/* ---- hand-made compression cases ---- */

START_TEST(test_compression_ok)
{
	struct pkt p;
	size_t q2, local;
	char why[128];

	/* q1 foo.local; q2 = bare pointer to q1; q3 = pointer to q2 (pointer
	 * to pointer); q4 = "bar" + pointer into the middle of q1. */
	pkt_header(&p, 0, 4, 0, 0, 0);
	pkt_name(&p, "foo.local");
	local = 12 + 4;
	pkt_qtail(&p);
	q2 = p.n;
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	pkt_ptr(&p, q2);
	pkt_qtail(&p);
	pkt_labels(&p, "bar");
	pkt_ptr(&p, local);
	pkt_qtail(&p);
	ck_assert_msg(decode(&p, &msg_a, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(msg_a.nq, 4);
	ck_assert_str_eq(msg_a.q[1].name, "foo.local");
	ck_assert_str_eq(msg_a.q[2].name, "foo.local");
	ck_assert_str_eq(msg_a.q[3].name, "bar.local");

	/* RFC 1035 §4.1.4: F.ISI.ARPA, FOO.F.ISI.ARPA, ARPA, root. */
	pkt_header(&p, 0, 4, 0, 0, 0);
	pkt_name(&p, "F.ISI.ARPA");
	pkt_qtail(&p);
	pkt_labels(&p, "FOO");
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	pkt_ptr(&p, 12 + 6);
	pkt_qtail(&p);
	pkt_bytes(&p, "", 1);
	pkt_qtail(&p);
	ck_assert_msg(decode(&p, &msg_a, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(msg_a.q[0].name, "F.ISI.ARPA");
	ck_assert_str_eq(msg_a.q[1].name, "FOO.F.ISI.ARPA");
	ck_assert_str_eq(msg_a.q[2].name, "ARPA");
	ck_assert_str_eq(msg_a.q[3].name, "");
	ck_roundtrip(&msg_a);
}
END_TEST

START_TEST(test_compression_rejected)
{
	struct pkt p;
	char why[128];
	size_t i, prev;

	/* Forward pointer. */
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_ptr(&p, 20);
	pkt_qtail(&p);
	pkt_name(&p, "x");
	ck_assert_int_eq(decode(&p, &msg_a, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert(strstr(why, "backwards") != NULL);
	/* Self loop. */
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	/* Two-step loop: 12 -> 16 -> 12 (16 holds a pointer back to 12). */
	pkt_header(&p, 0, 2, 0, 0, 0);
	pkt_ptr(&p, 16);
	pkt_qtail(&p);
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	/* Label then a pointer back into the same name. */
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_labels(&p, "ab");
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	/* Pointer into the header. */
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_ptr(&p, 4);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	/* Hop cap: question k is a pointer to question k-1: k-1 hops.  33
	 * questions (32 hops) pass (one dropped by the question cap), 34
	 * fail. */
	for (int total = 33; total <= 34; total++) {
		pkt_header(&p, 0, (unsigned)total, 0, 0, 0);
		prev = p.n;
		pkt_name(&p, "a");
		pkt_qtail(&p);
		for (i = 1; i < (size_t)total; i++) {
			size_t here = p.n;

			pkt_ptr(&p, prev);
			pkt_qtail(&p);
			prev = here;
		}
		if (total == 33) {
			ck_assert_msg(decode(&p, &msg_a, why, sizeof(why)) == 0,
			    "%s", why);
			ck_assert_uint_eq(msg_a.nq, PD_DNS_MAX_QUESTIONS);
			ck_assert_uint_eq(msg_a.dropped, 1);
		} else {
			ck_assert_int_eq(decode(&p, &msg_a, why, sizeof(why)),
			    PD_ERR_MALFORMED);
			ck_assert(strstr(why, "pointers") != NULL);
		}
	}
}
END_TEST

START_TEST(test_name_limits)
{
	char l63[64], l61[62], name[300];
	struct pkt p;
	char why[128];

	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l61, 'b', 61);
	l61[61] = '\0';
	/* Exactly 255 wire bytes: 3 x (1+63) + (1+61) + 1. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l61);
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_name(&p, name);
	pkt_qtail(&p);
	ck_assert_msg(decode(&p, &msg_a, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(msg_a.q[0].name, name);
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert_int_eq(pd_dns_name_check(name), 0);
	ck_roundtrip(&msg_a);
	/* One more byte: over. */
	snprintf(name, sizeof(name), "%s.%s.%s.%sb", l63, l63, l63, l61);
	ck_assert_int_eq(pd_dns_name_check(name), PD_ERR_INVAL);
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_name(&p, name);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	/* Over-long through compression: 200-byte name + 63-byte prefix. */
	snprintf(name, sizeof(name), "%s.%s.%s", l63, l63, l63);
	pkt_header(&p, 0, 2, 0, 0, 0);
	pkt_name(&p, name);
	pkt_qtail(&p);
	pkt_labels(&p, l63);
	pkt_ptr(&p, 12);
	pkt_qtail(&p);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_OVERFLOW);
	/* Label of 64 bytes (0x40 is an extended label type). */
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_u16(&p, 0x4061);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0, 1, 0, 0, 0);
	pkt_u16(&p, 0x8061);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
}
END_TEST

START_TEST(test_truncated_everywhere)
{
	static const char *const vecs[] = { "go-browse.hex", "js-answer.hex",
	    "rust-answer.hex", "go-announce.hex", "js-query.hex" };
	uint8_t b[PD_DNS_MAX_MSG];
	size_t v, n, cut;

	for (v = 0; v < 5; v++) {
		n = read_hex(vecs[v], b, sizeof(b));
		for (cut = 0; cut < n; cut++) {
			char why[128] = "";
			int rc = pd_dns_decode(b, cut, &msg_a, why, sizeof(why));

			ck_assert_msg(rc == PD_ERR_TRUNCATED ||
			    rc == PD_ERR_MALFORMED, "%s cut %zu: rc %d",
			    vecs[v], cut, rc);
			ck_assert(why[0] != '\0');
		}
		ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
	}
	ck_assert_int_eq(pd_dns_decode(b, PD_DNS_MAX_MSG + 1, &msg_a, NULL, 0),
	    PD_ERR_OVERFLOW);
}
END_TEST

/* One record with the given type and raw rdata. */
static void
pkt_rr(struct pkt *p, const char *name, unsigned type, unsigned cls,
    const void *rd, size_t rdlen)
{
	pkt_name(p, name);
	pkt_u16(p, type);
	pkt_u16(p, cls);
	pkt_u32(p, 120);
	pkt_u16(p, (unsigned)rdlen);
	pkt_bytes(p, rd, rdlen);
}

START_TEST(test_bad_rdata)
{
	struct pkt p;
	uint8_t rd[8] = { 1, 2, 3, 4, 5, 0, 0, 0 };
	uint8_t ptr_trail[4] = { 1, 'x', 0, 0 };
	uint8_t txt_over[3] = { 5, 'a', 'b' };
	uint8_t srv_short[6] = { 0, 0, 0, 0, 0x0f, 0xa1 };
	uint8_t ptr_over[3] = { 3, 'a', 'b' };

	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_A, 1, rd, 5);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_AAAA, 1, rd, 4);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_PTR, 1, ptr_trail, 4);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_PTR, 1, ptr_over, 3);
	pkt_bytes(&p, "\0\0\0", 3);	/* the name would end past rdata */
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_TXT, 1, txt_over, 3);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_SRV, 1, srv_short, 6);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_MALFORMED);
	/* rdlength past the end of the packet. */
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_A, 1, rd, 4);
	p.n -= 1;
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), PD_ERR_TRUNCATED);
	/* Empty TXT rdata is accepted as zero strings. */
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "x.local", PD_DNS_TYPE_TXT, 1, rd, 0);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.rr[0].u.txt.n, 0);
	ck_roundtrip(&msg_a);
}
END_TEST

START_TEST(test_skip_and_caps)
{
	struct pkt p;
	uint8_t ip[4] = { 10, 0, 0, 1 }, txt[41 * 2];
	char why[128];
	size_t i;

	/* Unknown type (NSEC 47) and a label with a '.' byte are skipped;
	 * the records around them are kept; cache-flush class decoded. */
	pkt_header(&p, 0x8400, 0, 2, 1, 1);
	pkt_rr(&p, "a.local", PD_DNS_TYPE_A, 0x8001, ip, 4);
	pkt_rr(&p, "a.local", 47, 0x8001, ip, 4);
	pkt_bytes(&p, "\x03" "a.b\x05local\x00", 11);
	pkt_u16(&p, PD_DNS_TYPE_A);
	pkt_u16(&p, 1);
	pkt_u32(&p, 1);
	pkt_u16(&p, 4);
	pkt_bytes(&p, ip, 4);
	pkt_rr(&p, "B.Local", PD_DNS_TYPE_A, 0x0003, ip, 4);
	ck_assert_msg(decode(&p, &msg_a, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(msg_a.nrr, 2);
	ck_assert_uint_eq(msg_a.skipped, 2);
	ck_assert_uint_eq(msg_a.nan, 1);
	ck_assert_uint_eq(msg_a.nns, 0);
	ck_assert_uint_eq(msg_a.nar, 1);
	ck_assert(msg_a.rr[0].cache_flush);
	ck_assert_uint_eq(msg_a.rr[0].rclass, 1);
	ck_assert_str_eq(msg_a.rr[1].name, "B.Local");
	ck_assert_uint_eq(msg_a.rr[1].section, PD_DNS_SEC_ADDITIONAL);
	ck_assert_uint_eq(msg_a.rr[1].rclass, 3);
	ck_assert(!msg_a.rr[1].cache_flush);

	/* 70 records: 64 stored, 6 dropped, not an error. */
	pkt_header(&p, 0x8400, 0, 70, 0, 0);
	for (i = 0; i < 70; i++)
		pkt_rr(&p, "a.local", PD_DNS_TYPE_A, 1, ip, 4);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.nrr, PD_DNS_MAX_RECORDS);
	ck_assert_uint_eq(msg_a.dropped, 6);
	/* 41 TXT strings: 32 kept, 9 counted. */
	for (i = 0; i < 41; i++) {
		txt[2 * i] = 1;
		txt[2 * i + 1] = (uint8_t)('A' + i);
	}
	pkt_header(&p, 0x8400, 0, 1, 0, 0);
	pkt_rr(&p, "a.local", PD_DNS_TYPE_TXT, 1, txt, sizeof(txt));
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.rr[0].u.txt.n, PD_DNS_MAX_TXT_STRINGS);
	ck_assert_uint_eq(msg_a.dropped_txt, 9);
	{
		size_t l;
		const uint8_t *s = pd_dns_txt_get(&msg_a, &msg_a.rr[0], 31, &l);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(l, 1);
		ck_assert_uint_eq(s[0], 'A' + 31);
		ck_assert_ptr_null(pd_dns_txt_get(&msg_a, &msg_a.rr[0], 32, &l));
	}
	/* Header-only message and trailing garbage are fine. */
	pkt_header(&p, 0, 0, 0, 0, 0);
	pkt_bytes(&p, "junk", 4);
	ck_assert_int_eq(decode(&p, &msg_a, NULL, 0), 0);
	ck_assert_int_eq(pd_dns_decode(p.b, 11, &msg_a, NULL, 0),
	    PD_ERR_TRUNCATED);
}
END_TEST

/* ---- encoder ---- */

START_TEST(test_encode_compression)
{
	uint8_t out[512];
	size_t n;
	static const uint8_t want[] = {
		0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 1,
		/* 12: _p2p._udp.local PTR IN ttl 360 */
		4, '_', 'p', '2', 'p', 4, '_', 'u', 'd', 'p',
		5, 'l', 'o', 'c', 'a', 'l', 0,
		0, 12, 0, 1, 0, 0, 1, 0x68, 0, 4,
		/* x + pointer to 12 */
		1, 'x', 0xc0, 12,
		/* additional: x.local A, flush: "x" + pointer into the middle
		 * of the first name ("local" at 22) */
		1, 'x', 0xc0, 22, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4,
		10, 0, 0, 1,
	};
	static const uint8_t ip[4] = { 10, 0, 0, 1 };

	pd_dns_msg_init(&msg_a, 0, PD_DNS_FLAGS_RESPONSE);
	/* Added out of section order: the encoder groups by section. */
	ck_assert_int_eq(pd_dns_msg_add_a(&msg_a, PD_DNS_SEC_ADDITIONAL,
	    "x.local.", 120, true, ip), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "_p2p._udp.local", 360, false, "x._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert(memcmp(out, want, n) == 0);
	ck_assert_str_eq(msg_a.rr[0].name, "x.local");	/* dot dropped */
	/* Compression is case-sensitive, so case survives the trip. */
	pd_dns_msg_init(&msg_a, 7, 0);
	ck_assert_int_eq(pd_dns_msg_add_question(&msg_a, "A.Local", 1, false), 0);
	ck_assert_int_eq(pd_dns_msg_add_question(&msg_a, "a.local", 1, false), 0);
	ck_assert_int_eq(pd_dns_msg_add_question(&msg_a, "b.Local", 1, true), 0);
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, out, sizeof(out), &n), 0);
	/* 12 + (9+4) + (9+4) + (2+2+4) */
	ck_assert_uint_eq(n, 12 + 13 + 13 + 8);
	ck_assert_int_eq(pd_dns_decode(out, n, &msg_b, NULL, 0), 0);
	ck_assert_str_eq(msg_b.q[0].name, "A.Local");
	ck_assert_str_eq(msg_b.q[1].name, "a.local");
	ck_assert_str_eq(msg_b.q[2].name, "b.Local");
	ck_assert(msg_b.q[2].unicast);
	ck_roundtrip(&msg_a);
}
END_TEST

START_TEST(test_encode_limits)
{
	static uint8_t big[PD_DNS_MAX_MSG];
	struct pd_buf buf;
	uint8_t small[40];
	char s[256];
	const char *strs[33];
	size_t n, i, len0;

	memset(s, 'z', 255);
	s[255] = '\0';
	for (i = 0; i < 33; i++)
		strs[i] = s;
	pd_dns_msg_init(&msg_a, 0, PD_DNS_FLAGS_RESPONSE);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a,
		    PD_DNS_SEC_ANSWER, "t.local", 1, false, strs, NULL, 1), 0);
	pd_buf_init(&buf);
	ck_assert_int_eq(pd_buf_append(&buf, "pre", 3), 0);
	ck_assert_int_eq(pd_dns_encode(&msg_a, 1500, &buf), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(buf.len, 3);
	ck_assert_int_eq(pd_dns_encode(&msg_a, 9000, &buf), 0);
	len0 = buf.len - 3;
	ck_assert_uint_gt(len0, 1500);
	ck_assert_int_eq(pd_dns_decode(buf.data + 3, len0, &msg_b, NULL, 0), 0);
	ck_assert_uint_eq(msg_b.nrr, 8);
	ck_assert_int_eq(pd_dns_encode(&msg_a, len0, &buf), 0);
	ck_assert_int_eq(pd_dns_encode(&msg_a, len0 - 1, &buf),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_dns_encode(&msg_a, 0, &buf), PD_ERR_OVERFLOW);
	pd_buf_free(&buf);
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, small, sizeof(small), &n),
	    PD_ERR_OVERFLOW);

	/* Builder errors leave the message unchanged. */
	n = msg_a.nrr;
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ANSWER,
	    "t.local", 1, false, strs, NULL, 33), PD_ERR_OVERFLOW);
	{
		size_t toolong = 256;

		ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ANSWER,
		    "t.local", 1, false, strs, &toolong, 1), PD_ERR_OVERFLOW);
	}
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "a..local", 1, false, "x.local"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "a.local", 1, false, "x\\y.local"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, (enum pd_dns_section)0,
	    "a.local", 1, false, "x.local"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_msg_add_srv(&msg_a, PD_DNS_SEC_ANSWER,
	    "a.local", 1, false, 0, 0, 1, "x\ty"), PD_ERR_INVAL);
	ck_assert_uint_eq(msg_a.nrr, n);
	/* Pool full: TXT strings beyond PD_DNS_MAX_MSG bytes. */
	pd_dns_msg_init(&msg_a, 0, 0);
	for (i = 0; i < 35; i++)
		ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a,
		    PD_DNS_SEC_ANSWER, "t", 1, false, strs, NULL, 1), 0);
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ANSWER, "t", 1,
	    false, strs, NULL, 1), PD_ERR_OVERFLOW);
	/* Record cap. */
	pd_dns_msg_init(&msg_a, 0, 0);
	for (i = 0; i < PD_DNS_MAX_RECORDS; i++)
		ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
		    "a", 1, false, "b"), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER, "a", 1,
	    false, "b"), PD_ERR_OVERFLOW);
	/* Corrupt structs are refused, not encoded. */
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, big, sizeof(big), &n), 0);
	msg_a.rr[3].type = 47;
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, big, sizeof(big), &n),
	    PD_ERR_INVAL);
	msg_a.rr[3].type = PD_DNS_TYPE_TXT;
	msg_a.rr[3].u.txt.n = 1;
	msg_a.rr[3].u.txt.off[0] = 9000;
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, big, sizeof(big), &n),
	    PD_ERR_INVAL);
	msg_a.rr[3].u.txt.off[0] = 0;
	msg_a.rr[3].section = (enum pd_dns_section)4;
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, big, sizeof(big), &n),
	    PD_ERR_INVAL);
}
END_TEST

START_TEST(test_name_helpers)
{
	ck_assert(pd_dns_name_eq("_P2P._udp.LOCAL.", "_p2p._udp.local"));
	ck_assert(pd_dns_name_eq("", "."));
	ck_assert(!pd_dns_name_eq("a.local", "b.local"));
	ck_assert(!pd_dns_name_eq("a.local", "a.locall"));
	ck_assert(pd_dns_name_ends_with("x._p2p._udp.local.",
	    "_P2P._udp.local"));
	ck_assert(pd_dns_name_ends_with("_p2p._udp.local", "_p2p._udp.local"));
	ck_assert(!pd_dns_name_ends_with("x_p2p._udp.local", "_p2p._udp.local"));
	ck_assert(!pd_dns_name_ends_with("local", "x.local"));
	ck_assert(pd_dns_name_ends_with("a.b", ""));
	ck_assert_int_eq(pd_dns_name_check(""), 0);
	ck_assert_int_eq(pd_dns_name_check("."), 0);
	ck_assert_int_eq(pd_dns_name_check("My Printer._ipp._tcp.local"), 0);
	ck_assert_int_eq(pd_dns_name_check("caf\xc3\xa9.local."), 0);
	ck_assert_int_eq(pd_dns_name_check(".local"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_name_check("a..b"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_name_check("a.b.."), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_name_check("a\x7f" "b"), PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_name_check(
	    "0123456789012345678901234567890123456789012345678901234567890123"),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_dns_name_check(
	    "012345678901234567890123456789012345678901234567890123456789012"),
	    0);
}
END_TEST

/* ---- libp2p answer ---- */

static const uint8_t test_ip4[1][4] = { { 192, 168, 1, 23 } };
static const uint8_t test_ip6[1][16] = {
	{ 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17 } };

static void
our_answer(struct pd_dns_libp2p_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->peer_name = OUR_NAME;
	a->ttl = PD_DNS_LIBP2P_TTL;
	a->addr_ttl = PD_DNS_LIBP2P_ADDR_TTL;
	a->dnsaddrs = test_addrs;
	a->ndnsaddrs = 3;
	a->srv_port = 4001;
	a->ip4 = test_ip4;
	a->nip4 = 1;
	a->ip6 = test_ip6;
	a->nip6 = 1;
	a->cache_flush = true;
}

START_TEST(test_libp2p_answer)
{
	struct pd_dns_libp2p_answer a;
	uint8_t out[PD_DNS_MAX_MSG], want[PD_DNS_MAX_MSG];
	size_t n, wn, i;
	char why[128];
	const char *inst = OUR_NAME "._p2p._udp.local";
	const char *ptrs[40];

	our_answer(&a);
	ck_assert_msg(pd_dns_build_libp2p_answer(&msg_a, &a, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(pd_dns_encode_raw(&msg_a, out, 1500, &n), 0);
	if (getenv("PD_DNS_WRITE_OURS") != NULL) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/mdns/ours-answer.hex",
		    PD_TEST_VECTORS);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		for (i = 0; i < n; i++)
			fprintf(f, "%02x%s", out[i], i % 32 == 31 ? "\n" : "");
		fprintf(f, "\n");
		fclose(f);
	}
	wn = read_hex("ours-answer.hex", want, sizeof(want));
	ck_assert_uint_eq(n, wn);
	ck_assert(memcmp(out, want, n) == 0);
	/* Layout of libp2p-wire.md §11. */
	ck_assert_int_eq(pd_dns_decode(out, n, &msg_b, NULL, 0), 0);
	ck_assert_uint_eq(msg_b.id, 0);
	ck_assert_uint_eq(msg_b.flags, 0x8400);
	ck_assert_uint_eq(msg_b.nq, 0);
	ck_assert_uint_eq(msg_b.nan, 1);
	ck_assert_uint_eq(msg_b.nar, 4);
	ck_assert_uint_eq(msg_b.rr[0].type, PD_DNS_TYPE_PTR);
	ck_assert_str_eq(msg_b.rr[0].name, "_p2p._udp.local");
	ck_assert_str_eq(msg_b.rr[0].u.ptr, inst);
	ck_assert(!msg_b.rr[0].cache_flush);
	ck_assert_uint_eq(msg_b.rr[0].ttl, 360);
	ck_assert_uint_eq(msg_b.rr[1].type, PD_DNS_TYPE_TXT);
	ck_assert_str_eq(msg_b.rr[1].name, inst);
	ck_assert_uint_eq(msg_b.rr[1].u.txt.n, 3);
	ck_assert(msg_b.rr[1].cache_flush);
	ck_assert_uint_eq(msg_b.rr[2].type, PD_DNS_TYPE_SRV);
	ck_assert_str_eq(msg_b.rr[2].u.srv.target, OUR_NAME ".local");
	ck_assert_uint_eq(msg_b.rr[2].u.srv.port, 4001);
	ck_assert_uint_eq(msg_b.rr[3].type, PD_DNS_TYPE_A);
	ck_assert_uint_eq(msg_b.rr[3].ttl, 120);
	ck_assert_uint_eq(msg_b.rr[4].type, PD_DNS_TYPE_AAAA);
	{
		struct pd_dns_libp2p_peer peers[2];
		size_t np;

		ck_assert_int_eq(pd_dns_libp2p_extract(&msg_b, NULL, peers, 2,
		    &np), 0);
		ck_assert_uint_eq(np, 1);
		ck_assert_str_eq(peers[0].name, inst);
		ck_assert_uint_eq(peers[0].naddrs, 3);
		for (i = 0; i < 3; i++) {
			ck_assert_uint_eq(peers[0].addr_len[i],
			    strlen(test_addrs[i]));
			ck_assert(memcmp(peers[0].addr[i], test_addrs[i],
			    peers[0].addr_len[i]) == 0);
		}
	}
	/* No SRV: only PTR + TXT. Goodbye: TTL 0. */
	a.srv_port = 0;
	a.ttl = 0;
	ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, NULL, 0), 0);
	ck_assert_uint_eq(msg_a.nrr, 2);
	ck_assert_uint_eq(msg_a.rr[0].ttl, 0);
	/* Errors. */
	our_answer(&a);
	a.peer_name = "a.b";
	ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, why,
	    sizeof(why)), PD_ERR_INVAL);
	a.peer_name =
	    "0123456789012345678901234567890123456789012345678901234567890123";
	ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, NULL, 0),
	    PD_ERR_INVAL);
	our_answer(&a);
	a.service = "bad..service";
	ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, NULL, 0),
	    PD_ERR_INVAL);
	our_answer(&a);
	{
		static char longaddr[249];

		memset(longaddr, '/', 248);	/* 8 + 248 > 255 */
		ptrs[0] = longaddr;
		a.dnsaddrs = ptrs;
		a.ndnsaddrs = 1;
		ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, why,
		    sizeof(why)), PD_ERR_INVAL);
		ck_assert(strstr(why, "255") != NULL);
		longaddr[247] = '\0';		/* 255 exactly: fine */
		ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, NULL,
		    0), 0);
	}
	for (i = 0; i < 33; i++)
		ptrs[i] = test_addrs[0];
	a.ndnsaddrs = 33;
	ck_assert_int_eq(pd_dns_build_libp2p_answer(&msg_a, &a, why,
	    sizeof(why)), PD_ERR_OVERFLOW);
}
END_TEST

START_TEST(test_extract_shapes)
{
	const char *txt1[] = { "dnsaddr=/ip4/1.2.3.4/tcp/1/p2p/" PEER_ID,
	    "other=1", "dnsaddr=", "dnsaddr=/ip4/1.2.3.4/tcp/1/p2p/" PEER_ID };
	const char *txt2[] = { "dnsaddr=/ip4/5.6.7.8/tcp/2/p2p/" PEER_ID };
	struct pd_dns_libp2p_peer peers[3];
	size_t n;

	pd_dns_msg_init(&msg_a, 0, 0x8400);
	/* PTR in Additional, owner upper-case with the service's case. */
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ADDITIONAL,
	    "_P2P._udp.local.", 60, false, "Peer1._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "_p2p._udp.local", 60, false, "peer1._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "_other._udp.local", 60, false, "peer9._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_AUTHORITY,
	    "_p2p._udp.local", 60, false, "peer8._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_msg_add_ptr(&msg_a, PD_DNS_SEC_ANSWER,
	    "_p2p._udp.local", 0, false, "peer2._p2p._udp.local"), 0);
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ANSWER,
	    "PEER1._p2p._udp.local", 60, true, txt1, NULL, 4), 0);
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ADDITIONAL,
	    "peer1._p2p._udp.local.", 60, true, txt2, NULL, 1), 0);
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_AUTHORITY,
	    "peer1._p2p._udp.local", 60, true, txt2, NULL, 1), 0);
	ck_assert_int_eq(pd_dns_msg_add_txt(&msg_a, PD_DNS_SEC_ADDITIONAL,
	    "peer3._p2p._udp.local", 60, true, txt2, NULL, 1), 0);
	ck_assert_int_eq(pd_dns_libp2p_extract(&msg_a, NULL, peers, 3, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(peers[0].name, "Peer1._p2p._udp.local");
	ck_assert_uint_eq(peers[0].section, PD_DNS_SEC_ADDITIONAL);
	ck_assert_uint_eq(peers[0].naddrs, 2);	/* dup and junk dropped */
	ck_assert(memcmp(peers[0].addr[1], txt2[0] + 8,
	    strlen(txt2[0] + 8)) == 0);
	ck_assert_str_eq(peers[1].name, "peer2._p2p._udp.local");
	ck_assert_uint_eq(peers[1].ttl, 0);
	ck_assert_uint_eq(peers[1].naddrs, 0);
	/* maxpeers bounds the output; another service name. */
	ck_assert_int_eq(pd_dns_libp2p_extract(&msg_a, NULL, peers, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pd_dns_libp2p_extract(&msg_a, "_other._udp.local",
	    peers, 3, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(peers[0].name, "peer9._p2p._udp.local");
	ck_assert_int_eq(pd_dns_libp2p_extract(&msg_a, NULL, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- randomized round trip ---- */

static uint64_t rng_state;

static uint32_t
rng(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n == 0 ? 0 : (uint32_t)(rng_state % n);
}

/* A random name from a small pool of suffixes, so compression kicks in. */
static void
rand_name(char *out)
{
	static const char *const suffixes[] = { "local", "_p2p._udp.local",
	    "_udp.local", "Local", "example.ORG", "" };
	static const char alpha[] = "abcXYZ019-_ \xc3\xa9";
	const char *suf = suffixes[rng(6)];
	size_t labels = rng(4), o = 0, i, l;

	for (i = 0; i < labels; i++) {
		l = 1 + rng(i == 0 ? 63 : 10);
		for (size_t k = 0; k < l; k++)
			out[o++] = alpha[rng(sizeof(alpha) - 1)];
		if (i + 1 < labels || suf[0] != '\0')
			out[o++] = '.';
	}
	strcpy(out + o, suf);
	if (o > 0 && suf[0] == '\0' && out[o - 1] == '.')
		out[o - 1] = '\0';
}

static void
rand_msg(struct pd_dns_msg *m)
{
	char name[PD_DNS_NAME_SIZE * 2], target[PD_DNS_NAME_SIZE * 2];
	char sbuf[PD_DNS_MAX_TXT_STRINGS][256];
	const char *strs[PD_DNS_MAX_TXT_STRINGS];
	size_t lens[PD_DNS_MAX_TXT_STRINGS];
	uint8_t ip[16];
	size_t nq = rng(4), nr = rng(20), i, k;

	pd_dns_msg_init(m, (uint16_t)rng(65536), (uint16_t)rng(65536));
	for (i = 0; i < nq; i++) {
		rand_name(name);
		ck_assert_int_eq(pd_dns_msg_add_question(m, name,
		    (uint16_t)rng(300), rng(2)), 0);
		m->q[i].qclass = (uint16_t)rng(0x8000);
	}
	for (i = 0; i < nr; i++) {
		enum pd_dns_section sec = (enum pd_dns_section)(1 + rng(3));
		uint32_t ttl = (uint32_t)rng(UINT32_MAX);
		bool fl = rng(2);

		rand_name(name);
		rand_name(target);
		for (k = 0; k < 16; k++)
			ip[k] = (uint8_t)rng(256);
		switch (rng(5)) {
		case 0:
			ck_assert_int_eq(pd_dns_msg_add_a(m, sec, name, ttl, fl,
			    ip), 0);
			break;
		case 1:
			ck_assert_int_eq(pd_dns_msg_add_aaaa(m, sec, name, ttl,
			    fl, ip), 0);
			break;
		case 2:
			ck_assert_int_eq(pd_dns_msg_add_ptr(m, sec, name, ttl,
			    fl, target), 0);
			break;
		case 3:
			ck_assert_int_eq(pd_dns_msg_add_srv(m, sec, name, ttl,
			    fl, (uint16_t)rng(65536), (uint16_t)rng(65536),
			    (uint16_t)rng(65536), target), 0);
			break;
		default: {
			size_t ns = m->pool_len > 3000 ? 0 : rng(6);

			for (k = 0; k < ns; k++) {
				lens[k] = rng(4) == 0 ? rng(256) : rng(40);
				for (size_t j = 0; j < lens[k]; j++)
					sbuf[k][j] = (char)rng(256);
				strs[k] = sbuf[k];
			}
			ck_assert_int_eq(pd_dns_msg_add_txt(m, sec, name, ttl,
			    fl, strs, lens, ns), 0);
			break;
		}
		}
		m->rr[m->nrr - 1].rclass = (uint16_t)rng(0x8000);
	}
}

/* Messages are built out of section order; decode returns them grouped. */
static void
group_by_section(const struct pd_dns_msg *in, struct pd_dns_msg *out)
{
	size_t i, s;

	memcpy(out, in, sizeof(*out));
	out->nrr = 0;
	for (s = PD_DNS_SEC_ANSWER; s <= PD_DNS_SEC_ADDITIONAL; s++)
		for (i = 0; i < in->nrr; i++)
			if (in->rr[i].section == (enum pd_dns_section)s)
				out->rr[out->nrr++] = in->rr[i];
}

START_TEST(test_roundtrip_random)
{
	uint64_t seed = pd_test_seed("check_dns round-trip");
	static struct pd_dns_msg built, grouped;
	static uint8_t b[PD_DNS_MAX_MSG];
	int round;

	rng_state = seed * 2654435761u + 1;
	for (round = 0; round < 2000; round++) {
		size_t n;
		int rc;

		rand_msg(&built);
		group_by_section(&built, &grouped);
		rc = pd_dns_encode_raw(&built, b, sizeof(b), &n);
		ck_assert_msg(rc == 0, "seed %llu round %d: encode %d",
		    (unsigned long long)seed, round, rc);
		ck_assert_int_eq(pd_dns_decode(b, n, &msg_a, NULL, 0), 0);
		ck_assert_uint_eq(msg_a.dropped + msg_a.skipped +
		    msg_a.dropped_txt, 0);
		ck_msg_eq(&grouped, &msg_a);
		ck_roundtrip(&msg_a);
		/* A size cap just below the encoding is refused. */
		ck_assert_int_eq(pd_dns_encode_raw(&built, b, n - 1, &n),
		    PD_ERR_OVERFLOW);
	}
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("pd_dns");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vector_queries);
	tcase_add_test(tc, test_vector_js);
	tcase_add_test(tc, test_vector_go);
	tcase_add_test(tc, test_vector_rust);
	suite_add_tcase(s, tc);
	tc = tcase_create("decode");
	tcase_add_test(tc, test_compression_ok);
	tcase_add_test(tc, test_compression_rejected);
	tcase_add_test(tc, test_name_limits);
	tcase_add_test(tc, test_truncated_everywhere);
	tcase_add_test(tc, test_bad_rdata);
	tcase_add_test(tc, test_skip_and_caps);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode");
	tcase_add_test(tc, test_encode_compression);
	tcase_add_test(tc, test_encode_limits);
	tcase_add_test(tc, test_name_helpers);
	suite_add_tcase(s, tc);
	tc = tcase_create("libp2p");
	tcase_add_test(tc, test_libp2p_answer);
	tcase_add_test(tc, test_extract_shapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pd_test_run(dns_suite());
}
