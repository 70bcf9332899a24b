/*
 * check_kad_rt.c - unit tests for lib/kad/rt.c: key helpers (SHA-256
 * vector, CPL, distance order), admission (room, self, update), the
 * two-step check of a full bucket (alive, dead, expiry, CACHED), failure
 * eviction with promotion from the replacement cache, removal, the
 * diversity filter (per bucket, per table, IPv6 /48, private exemption),
 * refresh-key generation, and a seeded randomized model test: nearest()
 * against a brute-force sort, bucket invariants and the diversity caps
 * (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/peerid.h"
#include "kad/rt.h"

#include "helpers.h"

static uint64_t rt_rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	return pd_test_rng(&rt_rng_state);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void
rng_bytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* A valid sha2-256 peer ID derived from n (distinct n, distinct IDs). */
static struct pd_peerid
mkid(uint32_t n)
{
	uint8_t b[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	struct pd_peerid id;

	memcpy(b + 2, &n, sizeof(n));
	b[10] = 0x4b;
	ck_assert_int_eq(pd_peerid_from_bytes(b, sizeof(b), &id), 0);
	return id;
}

static struct pd_multiaddr
mkaddr(const char *text)
{
	struct pd_multiaddr ma;

	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

/* A public /ip4/ address in group a.b (distinct host per n). */
static struct pd_multiaddr
mkaddr4(unsigned a, unsigned b, uint32_t n)
{
	char text[64];

	snprintf(text, sizeof(text), "/ip4/%u.%u.%u.%u/tcp/4001", a, b,
	    (n >> 8) & 255, n & 255);
	return mkaddr(text);
}

/* The next id (counter *ctr upwards) whose bucket in rt is cpl. */
static struct pd_peerid
id_in_bucket(const struct pd_kad_rt *rt, unsigned cpl, uint32_t *ctr)
{
	for (;;) {
		struct pd_peerid id = mkid((*ctr)++);
		struct pd_kad_key k;

		pd_kad_rt_key_of_peer(&id, &k);
		if (pd_kad_rt_key_cpl(&k, pd_kad_rt_self_key(rt)) == cpl)
			return id;
	}
}

static struct pd_kad_rt *
mkrt(unsigned k, unsigned repl, bool diversity)
{
	struct pd_kad_rt_config cfg;
	struct pd_peerid self = mkid(0xffffffffu);
	struct pd_kad_rt *rt = NULL;

	pd_kad_rt_config_default(&cfg);
	cfg.k = k;
	cfg.replacements = repl;
	if (!diversity) {
		cfg.diversity.per_bucket = 0;
		cfg.diversity.per_table = 0;
	}
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), 0);
	return rt;
}

/* ---- keys ---------------------------------------------------------------- */

START_TEST(test_key_helpers)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	struct pd_kad_key a, b, t;
	struct pd_peerid id = mkid(7);

	pd_kad_rt_key_hash("abc", 3, &a);
	ck_assert_mem_eq(a.bytes, abc, 32);
	pd_kad_rt_key_of_peer(&id, &a);
	pd_kad_rt_key_hash(id.bytes, id.len, &b);
	ck_assert_mem_eq(a.bytes, b.bytes, 32);

	memset(&a, 0, sizeof(a));
	b = a;
	ck_assert_uint_eq(pd_kad_rt_key_cpl(&a, &b), 256);
	b.bytes[0] = 0x80;
	ck_assert_uint_eq(pd_kad_rt_key_cpl(&a, &b), 0);
	b.bytes[0] = 0x01;
	ck_assert_uint_eq(pd_kad_rt_key_cpl(&a, &b), 7);
	b.bytes[0] = 0;
	b.bytes[31] = 0x01;
	ck_assert_uint_eq(pd_kad_rt_key_cpl(&a, &b), 255);
	b.bytes[31] = 0;
	b.bytes[3] = 0x10;
	ck_assert_uint_eq(pd_kad_rt_key_cpl(&a, &b), 27);

	/* target 0: a = 0x00..01 is closer than b = 0x00..02. */
	memset(&t, 0, sizeof(t));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.bytes[31] = 1;
	b.bytes[31] = 2;
	ck_assert_int_lt(pd_kad_rt_key_cmp(&t, &a, &b), 0);
	ck_assert_int_gt(pd_kad_rt_key_cmp(&t, &b, &a), 0);
	ck_assert_int_eq(pd_kad_rt_key_cmp(&t, &a, &a), 0);
	/* target 0x00..03: b (distance 1) beats a (distance 2). */
	t.bytes[31] = 3;
	ck_assert_int_gt(pd_kad_rt_key_cmp(&t, &a, &b), 0);
}
END_TEST

START_TEST(test_config_checks)
{
	struct pd_kad_rt_config cfg;
	struct pd_peerid self = mkid(1);
	struct pd_kad_rt *rt = NULL;

	pd_kad_rt_config_default(&cfg);
	ck_assert_uint_eq(cfg.k, 20);
	ck_assert_uint_eq(cfg.diversity.per_bucket, 2);
	ck_assert_uint_eq(cfg.diversity.per_table, 3);
	cfg.k = 0;
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), PD_ERR_INVAL);
	cfg.k = PD_KAD_RT_MAX_K + 1;
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), PD_ERR_INVAL);
	cfg.k = 20;
	cfg.max_failures = 0;
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), PD_ERR_INVAL);
	cfg.max_failures = 3;
	cfg.replacements = PD_KAD_RT_MAX_K + 1;
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), PD_ERR_INVAL);
	ck_assert_ptr_null(rt);
	ck_assert_int_eq(pd_kad_rt_new(&self, NULL, &rt), 0);
	ck_assert_uint_eq(pd_kad_rt_config(rt)->k, 20);
	pd_kad_rt_free(rt);
	pd_kad_rt_free(NULL);
}
END_TEST

/* ---- admission ----------------------------------------------------------- */

START_TEST(test_add_find_remove)
{
	struct pd_kad_rt *rt = mkrt(20, 20, true);
	struct pd_peerid self = mkid(0xffffffffu), id = mkid(1), other = mkid(2);
	struct pd_multiaddr a[6];
	const struct pd_kad_rt_peer *p;
	unsigned i;

	for (i = 0; i < 6; i++)
		a[i] = mkaddr4(1, (uint8_t)(10 + i), i);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &self, a, 1, 5, NULL),
	    PD_KAD_RT_REJECTED);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, a, 6, 10, NULL),
	    PD_KAD_RT_ADDED);
	ck_assert_uint_eq(pd_kad_rt_size(rt), 1);
	p = pd_kad_rt_find(rt, &id);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->naddrs, PD_KAD_RT_MAX_ADDRS);
	ck_assert_uint_eq(p->added_ms, 10);
	ck_assert_uint_eq(p->last_useful_ms, 0);
	ck_assert_uint_eq(pd_kad_rt_bucket_size(rt, p->cpl), 1);
	ck_assert_ptr_eq(pd_kad_rt_bucket_peer(rt, p->cpl, 0), p);
	ck_assert_ptr_null(pd_kad_rt_bucket_peer(rt, p->cpl, 1));
	ck_assert_int_eq(pd_kad_rt_max_cpl(rt), (int)p->cpl);

	/* Re-offer: UPDATED, new addresses, no address keeps the old ones. */
	ck_assert_int_eq(pd_kad_rt_mark_failed(rt, &id, 15), 0);
	ck_assert_uint_eq(p->failures, 1);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &a[5], 1, 20, NULL),
	    PD_KAD_RT_UPDATED);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert(pd_multiaddr_equal(&p->addrs[0], &a[5]));
	ck_assert_uint_eq(p->last_seen_ms, 20);
	ck_assert_uint_eq(p->failures, 0);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, NULL, 0, 25, NULL),
	    PD_KAD_RT_UPDATED);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert_uint_eq(p->added_ms, 10);

	ck_assert_int_eq(pd_kad_rt_mark_useful(rt, &id, 30), 0);
	ck_assert_uint_eq(p->last_useful_ms, 30);
	ck_assert_int_eq(pd_kad_rt_mark_seen(rt, &id, 40), 0);
	ck_assert_uint_eq(p->last_seen_ms, 40);
	ck_assert_int_eq(pd_kad_rt_mark_seen(rt, &other, 40), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_rt_mark_useful(rt, &other, 40), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_rt_mark_failed(rt, &other, 40), PD_ERR_NOT_FOUND);

	ck_assert_int_eq(pd_kad_rt_remove(rt, &other, 50), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_rt_remove(rt, &id, 50), 0);
	ck_assert_ptr_null(pd_kad_rt_find(rt, &id));
	ck_assert_uint_eq(pd_kad_rt_size(rt), 0);
	ck_assert_int_eq(pd_kad_rt_max_cpl(rt), -1);
	pd_kad_rt_free(rt);
}
END_TEST

START_TEST(test_full_bucket_check)
{
	struct pd_kad_rt *rt = mkrt(2, 2, false);
	struct pd_peerid p1, p2, c1, c2, c3, stale;
	struct pd_multiaddr ma = mkaddr4(8, 8, 1);
	uint32_t ctr = 1;

	p1 = id_in_bucket(rt, 0, &ctr);
	p2 = id_in_bucket(rt, 0, &ctr);
	c1 = id_in_bucket(rt, 0, &ctr);
	c2 = id_in_bucket(rt, 0, &ctr);
	c3 = id_in_bucket(rt, 0, &ctr);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &p1, &ma, 1, 100, NULL),
	    PD_KAD_RT_ADDED);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &p2, &ma, 1, 50, NULL),
	    PD_KAD_RT_ADDED);
	/* Full: the least-recently-seen (p2, seen at 50) must be pinged. */
	memset(&stale, 0, sizeof(stale));
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c1, &ma, 1, 200, &stale),
	    PD_KAD_RT_PENDING_CHECK);
	ck_assert(pd_peerid_equal(&stale, &p2));
	ck_assert_ptr_null(pd_kad_rt_find(rt, &c1));
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 0), 1);
	/* A second candidate while the check is pending: CACHED. */
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c2, &ma, 1, 210, &stale),
	    PD_KAD_RT_CACHED);
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 0), 2);
	ck_assert_int_eq(pd_kad_rt_check_done(rt, &p1, true, 220),
	    PD_ERR_NOT_FOUND);
	/* p2 answers: stays, seen now. */
	ck_assert_int_eq(pd_kad_rt_check_done(rt, &p2, true, 230), 0);
	ck_assert_uint_eq(pd_kad_rt_find(rt, &p2)->last_seen_ms, 230);
	ck_assert_int_eq(pd_kad_rt_check_done(rt, &p2, true, 230),
	    PD_ERR_NOT_FOUND);
	/* Next candidate: now p1 (seen at 100) is the stale one; it is dead. */
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c3, &ma, 1, 300, &stale),
	    PD_KAD_RT_PENDING_CHECK);
	ck_assert(pd_peerid_equal(&stale, &p1));
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 0), 2);
	ck_assert_int_eq(pd_kad_rt_check_done(rt, &p1, false, 310), 0);
	ck_assert_ptr_null(pd_kad_rt_find(rt, &p1));
	/* The newest replacement (c3) was promoted. */
	ck_assert_ptr_nonnull(pd_kad_rt_find(rt, &c3));
	ck_assert_uint_eq(pd_kad_rt_find(rt, &c3)->added_ms, 310);
	ck_assert_uint_eq(pd_kad_rt_bucket_size(rt, 0), 2);
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 0), 1);

	/* An unreported check expires; the next candidate asks again. */
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c1, &ma, 1, 400, &stale),
	    PD_KAD_RT_PENDING_CHECK);
	ck_assert(pd_peerid_equal(&stale, &p2));
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c1, &ma, 1,
	    400 + PD_KAD_RT_CHECK_TIMEOUT_MS - 1, &stale), PD_KAD_RT_CACHED);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &c1, &ma, 1,
	    400 + PD_KAD_RT_CHECK_TIMEOUT_MS, &stale), PD_KAD_RT_PENDING_CHECK);
	ck_assert_int_eq(pd_kad_rt_check_done(rt, &stale, false,
	    400 + 2 * PD_KAD_RT_CHECK_TIMEOUT_MS), PD_ERR_NOT_FOUND);
	ck_assert_uint_eq(pd_kad_rt_bucket_size(rt, 0), 2);
	pd_kad_rt_free(rt);
}
END_TEST

START_TEST(test_failures_and_promotion)
{
	struct pd_kad_rt *rt = mkrt(1, 3, false);
	struct pd_peerid p, r1, r2, r3, r4;
	uint32_t ctr = 1;

	p = id_in_bucket(rt, 1, &ctr);
	r1 = id_in_bucket(rt, 1, &ctr);
	r2 = id_in_bucket(rt, 1, &ctr);
	r3 = id_in_bucket(rt, 1, &ctr);
	r4 = id_in_bucket(rt, 1, &ctr);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &p, NULL, 0, 1, NULL),
	    PD_KAD_RT_ADDED);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &r1, NULL, 0, 2, NULL),
	    PD_KAD_RT_PENDING_CHECK);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &r2, NULL, 0, 5, NULL),
	    PD_KAD_RT_CACHED);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &r3, NULL, 0, 4, NULL),
	    PD_KAD_RT_CACHED);
	/* Cache full (3): r4 pushes out the oldest, r1. */
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &r4, NULL, 0, 6, NULL),
	    PD_KAD_RT_CACHED);
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 1), 3);
	/* Removing a cached peer works too. */
	ck_assert_int_eq(pd_kad_rt_remove(rt, &r4, 7), 0);
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 1), 2);
	ck_assert_int_eq(pd_kad_rt_remove(rt, &r1, 7), PD_ERR_NOT_FOUND);

	/* Three failures evict p; the newest replacement (r2, seen 5) wins. */
	ck_assert_int_eq(pd_kad_rt_mark_failed(rt, &p, 10), 0);
	ck_assert_int_eq(pd_kad_rt_mark_failed(rt, &p, 11), 0);
	ck_assert_int_eq(pd_kad_rt_mark_failed(rt, &p, 12), 1);
	ck_assert_ptr_null(pd_kad_rt_find(rt, &p));
	ck_assert_ptr_nonnull(pd_kad_rt_find(rt, &r2));
	ck_assert_uint_eq(pd_kad_rt_size(rt), 1);
	/* remove() promotes as well. */
	ck_assert_int_eq(pd_kad_rt_remove(rt, &r2, 13), 0);
	ck_assert_ptr_nonnull(pd_kad_rt_find(rt, &r3));
	ck_assert_uint_eq(pd_kad_rt_bucket_replacements(rt, 1), 0);
	ck_assert_int_eq(pd_kad_rt_remove(rt, &r3, 14), 0);
	ck_assert_uint_eq(pd_kad_rt_size(rt), 0);
	pd_kad_rt_free(rt);
}
END_TEST

/* ---- diversity ----------------------------------------------------------- */

START_TEST(test_diversity_bucket_and_table)
{
	struct pd_kad_rt *rt = mkrt(20, 20, true);
	struct pd_peerid id;
	struct pd_multiaddr ma;
	uint32_t ctr = 1;
	int i;

	/* Per bucket: two peers of 5.6/16 in bucket 0, the third rejected. */
	for (i = 0; i < 2; i++) {
		id = id_in_bucket(rt, 0, &ctr);
		ma = mkaddr4(5, 6, (uint32_t)i);
		ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1,
		    NULL), PD_KAD_RT_ADDED);
	}
	id = id_in_bucket(rt, 0, &ctr);
	ma = mkaddr4(5, 6, 99);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_REJECTED);
	/* Another /16 is fine, and so is the same group in bucket 1 once. */
	ma = mkaddr4(5, 7, 99);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_ADDED);
	id = id_in_bucket(rt, 1, &ctr);
	ma = mkaddr4(5, 6, 100);
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_ADDED);
	/* Per table: 3 of 5.6/16 now; a fourth anywhere is rejected, also
	 * when only one of its addresses is in the group. */
	id = id_in_bucket(rt, 2, &ctr);
	{
		struct pd_multiaddr two[2] = { mkaddr4(9, 9, 1),
		    mkaddr4(5, 6, 101) };

		ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, two, 2, 1,
		    NULL), PD_KAD_RT_REJECTED);
	}
	/* A v4-mapped IPv6 address counts as its IPv4 group. */
	ma = mkaddr("/ip6/::ffff:5.6.7.8/tcp/1");
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_REJECTED);
	/* After a removal there is room again. */
	{
		struct pd_peerid gone = pd_kad_rt_bucket_peer(rt, 1, 0)->id;

		ck_assert_int_eq(pd_kad_rt_remove(rt, &gone, 2), 0);
	}
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 3, NULL),
	    PD_KAD_RT_ADDED);
	pd_kad_rt_free(rt);
}
END_TEST

START_TEST(test_diversity_ipv6_private)
{
	struct pd_kad_rt_config cfg;
	struct pd_peerid self = mkid(0xffffffffu), id;
	struct pd_kad_rt *rt = NULL;
	struct pd_multiaddr ma;
	uint32_t ctr = 1;
	char text[96];
	int i;

	pd_kad_rt_config_default(&cfg);
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), 0);
	/* IPv6 groups are /48: 2001:db8:1::/48 twice in bucket 0, then no. */
	for (i = 0; i < 3; i++) {
		id = id_in_bucket(rt, 0, &ctr);
		snprintf(text, sizeof(text), "/ip6/2001:db8:1:%x::1/tcp/1", i);
		ma = mkaddr(text);
		ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1,
		    NULL), i < 2 ? PD_KAD_RT_ADDED : PD_KAD_RT_REJECTED);
	}
	ma = mkaddr("/ip6/2001:db8:2::1/tcp/1");
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_ADDED);
	/* Private and loopback addresses are exempt by default. */
	for (i = 0; i < 5; i++) {
		id = id_in_bucket(rt, 0, &ctr);
		ma = mkaddr(i % 2 ? "/ip4/192.168.1.1/tcp/1" :
		    "/ip4/127.0.0.1/tcp/1");
		ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1,
		    NULL), PD_KAD_RT_ADDED);
	}
	/* DNS addresses have no IP group. */
	id = id_in_bucket(rt, 0, &ctr);
	ma = mkaddr("/dns4/example.com/tcp/1");
	ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1, NULL),
	    PD_KAD_RT_ADDED);
	pd_kad_rt_free(rt);

	/* Without the exemption private groups count like public ones. */
	cfg.diversity.exempt_private = false;
	ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), 0);
	for (i = 0; i < 3; i++) {
		id = id_in_bucket(rt, 0, &ctr);
		snprintf(text, sizeof(text), "/ip4/10.0.0.%d/tcp/1", i + 1);
		ma = mkaddr(text);
		ck_assert_int_eq(pd_kad_rt_add_candidate(rt, &id, &ma, 1, 1,
		    NULL), i < 2 ? PD_KAD_RT_ADDED : PD_KAD_RT_REJECTED);
	}
	pd_kad_rt_free(rt);
}
END_TEST

/* ---- refresh keys -------------------------------------------------------- */

START_TEST(test_random_keys)
{
	struct pd_kad_rt *rt = mkrt(20, 20, true);
	struct pd_kad_key k, k2;
	struct pd_peerid id;
	uint8_t rnd[32];
	unsigned cpl;

	for (cpl = 0; cpl < 256; cpl++) {
		rng_bytes(rnd, sizeof(rnd));
		ck_assert_int_eq(pd_kad_rt_random_key(rt, cpl, rnd, &k), 0);
		ck_assert_uint_eq(pd_kad_rt_key_cpl(&k, pd_kad_rt_self_key(rt)),
		    cpl);
	}
	ck_assert_int_eq(pd_kad_rt_random_key(rt, 256, rnd, &k), PD_ERR_INVAL);
	for (cpl = 0; cpl <= PD_KAD_RT_MAX_REFRESH_CPL; cpl++) {
		rng_bytes(rnd, sizeof(rnd));
		ck_assert_int_eq(pd_kad_rt_random_peerid(rt, cpl, rnd, &id,
		    &k), 0);
		ck_assert_uint_eq(id.len, PD_PEERID_SHA256_LEN);
		pd_kad_rt_key_of_peer(&id, &k2);
		ck_assert_mem_eq(k.bytes, k2.bytes, 32);
		ck_assert_uint_eq(pd_kad_rt_key_cpl(&k, pd_kad_rt_self_key(rt)),
		    cpl);
	}
	ck_assert_int_eq(pd_kad_rt_random_peerid(rt,
	    PD_KAD_RT_MAX_REFRESH_CPL + 1, rnd, &id, NULL), PD_ERR_INVAL);

	ck_assert_uint_eq(pd_kad_rt_bucket_refreshed(rt, 3), 0);
	ck_assert_int_eq(pd_kad_rt_mark_refreshed(rt, 3, 77), 0);
	ck_assert_uint_eq(pd_kad_rt_bucket_refreshed(rt, 3), 77);
	ck_assert_int_eq(pd_kad_rt_mark_refreshed(rt, 256, 77), PD_ERR_INVAL);
	ck_assert_uint_eq(pd_kad_rt_bucket_refreshed(rt, 256), 0);
	pd_kad_rt_free(rt);
}
END_TEST

/* ---- randomized model ---------------------------------------------------- */

static const struct pd_kad_key *model_target;

static int
model_cmp(const void *a, const void *b)
{
	const struct pd_kad_rt_peer *const *pa = a, *const *pb = b;

	return pd_kad_rt_key_cmp(model_target, &(*pa)->key, &(*pb)->key);
}

/* Collect every admitted peer through the bucket iterator. */
static size_t
model_all(const struct pd_kad_rt *rt, const struct pd_kad_rt_peer **all,
    size_t cap)
{
	size_t n = 0, i;
	unsigned b;

	for (b = 0; b < PD_KAD_RT_BUCKETS; b++)
		for (i = 0; i < pd_kad_rt_bucket_size(rt, b); i++) {
			ck_assert_uint_lt(n, cap);
			all[n++] = pd_kad_rt_bucket_peer(rt, b, i);
		}
	return n;
}

static void
model_check(const struct pd_kad_rt *rt, unsigned k)
{
	enum { CAP = 4096 };
	static const struct pd_kad_rt_peer *all[CAP], *near[CAP];
	const struct pd_kad_rt_config *cfg = pd_kad_rt_config(rt);
	struct pd_kad_key key;
	uint8_t rnd[32];
	size_t n, i, j, m, want, cnt;
	unsigned b, round;

	n = model_all(rt, all, CAP);
	ck_assert_uint_eq(n, pd_kad_rt_size(rt));
	/* Bucket invariants. */
	for (b = 0; b < PD_KAD_RT_BUCKETS; b++) {
		ck_assert_uint_le(pd_kad_rt_bucket_size(rt, b), k);
		ck_assert_uint_le(pd_kad_rt_bucket_replacements(rt, b),
		    cfg->replacements);
		for (i = 0; i < pd_kad_rt_bucket_size(rt, b); i++) {
			const struct pd_kad_rt_peer *p =
			    pd_kad_rt_bucket_peer(rt, b, i);

			ck_assert_uint_eq(p->cpl, b);
			ck_assert_uint_eq(pd_kad_rt_key_cpl(&p->key,
			    pd_kad_rt_self_key(rt)), b);
			ck_assert_ptr_eq(pd_kad_rt_find(rt, &p->id), p);
		}
	}
	/* Diversity caps: count every group over the table and buckets. */
	for (i = 0; i < n; i++)
		for (j = 0; j < all[i]->ngroups; j++) {
			const struct pd_kad_rt_group *g = &all[i]->groups[j];
			size_t tot = 0, inb = 0, x, y;

			for (x = 0; x < n; x++)
				for (y = 0; y < all[x]->ngroups; y++)
					if (memcmp(&all[x]->groups[y], g,
					    sizeof(*g)) == 0) {
						tot++;
						if (all[x]->cpl == all[i]->cpl)
							inb++;
						break;
					}
			if (cfg->diversity.per_table)
				ck_assert_uint_le(tot, cfg->diversity.per_table);
			if (cfg->diversity.per_bucket)
				ck_assert_uint_le(inb, cfg->diversity.per_bucket);
		}
	/* nearest() against a brute-force sort, for random keys and n. */
	for (round = 0; round < 8; round++) {
		rng_bytes(rnd, sizeof(rnd));
		if (round % 2 && n > 0)
			key = all[rng_below((uint32_t)n)]->key;
		else if (round == 2)
			key = *pd_kad_rt_self_key(rt);
		else if (round == 4)
			pd_kad_rt_random_key(rt, rng_below(8), rnd, &key);
		else
			memcpy(key.bytes, rnd, 32);
		want = rng_below(3) == 0 ? n + 3 : rng_below(30) + 1;
		m = pd_kad_rt_nearest(rt, &key, NULL, near, want);
		ck_assert_uint_eq(m, want < n ? want : n);
		model_target = &key;
		qsort(all, n, sizeof(*all), model_cmp);
		for (i = 0; i < m; i++)
			ck_assert_ptr_eq(near[i], all[i]);
		/* With an exclusion the excluded peer is skipped. */
		if (n > 0 && want > 0) {
			m = pd_kad_rt_nearest(rt, &key, &all[0]->id, near, want);
			cnt = want < n - 1 ? want : n - 1;
			ck_assert_uint_eq(m, cnt);
			for (i = 0; i < m; i++)
				ck_assert_ptr_eq(near[i], all[i + 1]);
		}
	}
}

START_TEST(test_model_random)
{
	struct pd_kad_rt_config cfg;
	struct pd_peerid self, stale, id;
	struct pd_kad_rt *rt = NULL;
	struct pd_multiaddr ma[2];
	uint64_t now = 1000;
	unsigned iter, k;
	int r, op;

	for (iter = 0; iter < 6; iter++) {
		pd_kad_rt_config_default(&cfg);
		k = 1 + rng_below(8);
		cfg.k = k;
		cfg.replacements = rng_below(5);
		cfg.max_failures = 1 + rng_below(3);
		cfg.diversity.exempt_private = rng_below(2);
		if (iter == 0) {
			cfg.diversity.per_bucket = 0;
			cfg.diversity.per_table = 0;
		}
		self = mkid(0x80000000u + iter);
		ck_assert_int_eq(pd_kad_rt_new(&self, &cfg, &rt), 0);
		for (op = 0; op < 3000; op++) {
			uint32_t who = rng_below(600);

			now += rng_below(50);
			id = mkid(who);
			switch (rng_below(10)) {
			case 0:
				(void)pd_kad_rt_remove(rt, &id, now);
				ck_assert_ptr_null(pd_kad_rt_find(rt, &id));
				break;
			case 1:
				(void)pd_kad_rt_mark_failed(rt, &id, now);
				break;
			case 2:
				(void)pd_kad_rt_mark_useful(rt, &id, now);
				break;
			default:
				/* Few /16 groups so the filter bites; some
				 * private. */
				ma[0] = rng_below(4) == 0 ?
				    mkaddr4(10, rng_below(3), who) :
				    mkaddr4(20 + rng_below(6), 1, who);
				ma[1] = mkaddr4(30 + rng_below(40), 2, who);
				r = pd_kad_rt_add_candidate(rt, &id, ma,
				    1 + rng_below(2), now, &stale);
				ck_assert_int_gt(r, 0);
				if (r == PD_KAD_RT_ADDED ||
				    r == PD_KAD_RT_UPDATED)
					ck_assert_ptr_nonnull(
					    pd_kad_rt_find(rt, &id));
				else
					ck_assert_ptr_null(
					    pd_kad_rt_find(rt, &id));
				if (r == PD_KAD_RT_PENDING_CHECK)
					ck_assert_int_eq(pd_kad_rt_check_done(
					    rt, &stale, rng_below(2), now), 0);
				break;
			}
			if (op % 300 == 0)
				model_check(rt, k);
		}
		model_check(rt, k);
		pd_kad_rt_free(rt);
	}
}
END_TEST

/* A big table (k 20, no filter) stays exact too. */
START_TEST(test_model_large)
{
	struct pd_kad_rt *rt = mkrt(20, 20, false);
	struct pd_peerid id;
	uint32_t i;
	int r;

	for (i = 0; i < 3000; i++) {
		id = mkid(i);
		r = pd_kad_rt_add_candidate(rt, &id, NULL, 0, i, NULL);
		ck_assert(r == PD_KAD_RT_ADDED || r == PD_KAD_RT_PENDING_CHECK ||
		    r == PD_KAD_RT_CACHED);
	}
	ck_assert_uint_gt(pd_kad_rt_size(rt), 100);
	model_check(rt, 20);
	pd_kad_rt_free(rt);
}
END_TEST

static Suite *
kad_rt_suite(void)
{
	Suite *s = suite_create("pd_kad_rt");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, test_key_helpers);
	tcase_add_test(tc, test_config_checks);
	tcase_add_test(tc, test_random_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("admission");
	tcase_add_test(tc, test_add_find_remove);
	tcase_add_test(tc, test_full_bucket_check);
	tcase_add_test(tc, test_failures_and_promotion);
	suite_add_tcase(s, tc);
	tc = tcase_create("diversity");
	tcase_add_test(tc, test_diversity_bucket_and_table);
	tcase_add_test(tc, test_diversity_ipv6_private);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_model_random);
	tcase_add_test(tc, test_model_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	rt_rng_state = pd_test_seed("check_kad_rt");
	return pd_test_run(kad_rt_suite());
}
