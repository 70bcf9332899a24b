/*
 * check_store.c - unit tests for lib/peer/store.c: lookups, insertion-
 * order iteration (also while removing the current peer), eviction order
 * (connected and protected peers never go; never-connected before
 * connected; then oldest, then lowest score), address TTLs and expiry,
 * every cap, text sanitizing, and two seeded randomized model tests: the
 * store against a flat array model, and eviction against a brute-force
 * scan (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/peerid.h"
#include "peer/store.h"

#include "helpers.h"

static uint64_t store_rng_state;

static uint64_t
rng(void)
{
	return pd_test_rng(&store_rng_state);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

/* A valid sha2-256 peer ID derived from n (distinct n, distinct IDs). */
static struct pd_peerid
mkid(uint32_t n)
{
	uint8_t b[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	struct pd_peerid id;

	memcpy(b + 2, &n, sizeof(n));
	b[10] = 0x5a;
	ck_assert_int_eq(pd_peerid_from_bytes(b, sizeof(b), &id), 0);
	return id;
}

static bool
id_is(const struct pd_peerid *id, uint32_t n)
{
	struct pd_peerid want = mkid(n);

	return pd_peerid_equal(id, &want);
}

/* /ip4/10.0.x.y/tcp/(4000+n) */
static struct pd_multiaddr
mkaddr(uint32_t n)
{
	struct pd_multiaddr ma;
	char text[64];

	snprintf(text, sizeof(text), "/ip4/10.%u.%u.%u/tcp/%u",
	    (n >> 16) & 255, (n >> 8) & 255, n & 255, 4000 + (n % 1000));
	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

/* ---- basics ------------------------------------------------------------- */

START_TEST(test_add_get_remove)
{
	struct pd_store *s = pd_store_new(100);
	struct pd_peer *p, *q;
	struct pd_peerid a = mkid(1), b = mkid(2);
	uint64_t g;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(pd_store_count(s), 0);
	ck_assert_ptr_null(pd_store_get(s, &a));
	ck_assert_ptr_null(pd_store_first(s));
	g = pd_store_generation(s);
	ck_assert_int_eq(pd_store_add(s, &a, 1000, &p), 1);
	ck_assert(pd_store_generation(s) > g);
	ck_assert(pd_peerid_equal(&p->id, &a));
	ck_assert_int_eq(p->first_seen, 1000);
	ck_assert_int_eq(p->last_seen, 1000);
	ck_assert_int_eq(p->last_connected, 0);
	ck_assert(!p->connected);
	ck_assert_int_eq(pd_store_add(s, &a, 2000, &q), 0);
	ck_assert_ptr_eq(p, q);
	ck_assert_int_eq(q->first_seen, 1000);
	ck_assert_int_eq(q->last_seen, 2000);
	ck_assert_int_eq(pd_store_add(s, &b, 3000, NULL), 1);
	ck_assert_uint_eq(pd_store_count(s), 2);
	ck_assert_ptr_eq(pd_store_get(s, &a), p);
	ck_assert_ptr_eq(pd_store_first(s), p);
	ck_assert_ptr_eq(pd_store_last(s), pd_store_get(s, &b));
	ck_assert_ptr_eq(pd_store_next(p), pd_store_get(s, &b));
	g = pd_store_generation(s);
	pd_store_remove(s, p);
	ck_assert(pd_store_generation(s) > g);
	ck_assert_ptr_null(pd_store_get(s, &a));
	ck_assert_uint_eq(pd_store_count(s), 1);
	/* A bad ID is refused. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(pd_store_add(s, &a, 1, NULL), PD_ERR_INVAL);
	ck_assert_ptr_null(pd_store_get(s, &a));
	pd_store_free(s);
	pd_store_free(NULL);
}
END_TEST

START_TEST(test_many_peers)
{
	struct pd_store *s = pd_store_new(20000);
	struct pd_peer *p;
	struct pd_peerid id;
	uint32_t i, n = 0;

	ck_assert_uint_eq(pd_store_max(s), 20000);
	for (i = 0; i < 20000; i++) {
		id = mkid(i);
		ck_assert_int_eq(pd_store_add(s, &id, i + 1, NULL), 1);
	}
	ck_assert_uint_eq(pd_store_count(s), 20000);
	for (i = 0; i < 20000; i++) {
		id = mkid(i);
		p = pd_store_get(s, &id);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(p->first_seen, i + 1);
	}
	id = mkid(20000);
	ck_assert_ptr_null(pd_store_get(s, &id));
	/* Iteration is insertion order. */
	for (p = pd_store_first(s); p != NULL; p = pd_store_next(p), n++)
		ck_assert_int_eq(p->first_seen, n + 1);
	ck_assert_uint_eq(n, 20000);
	/* Clamps. */
	ck_assert_uint_eq(pd_store_set_max(s, PD_STORE_MAX_ENTRIES + 5), 0);
	ck_assert_uint_eq(pd_store_max(s), PD_STORE_MAX_ENTRIES);
	pd_store_free(s);
	s = pd_store_new(0);
	ck_assert_uint_eq(pd_store_max(s), 1);
	pd_store_free(s);
}
END_TEST

START_TEST(test_iterate_remove_current)
{
	struct pd_store *s = pd_store_new(100);
	struct pd_peer *p, *tmp;
	struct pd_peerid id;
	uint32_t i, seen = 0;

	for (i = 0; i < 50; i++) {
		id = mkid(i);
		ck_assert_int_eq(pd_store_add(s, &id, i, NULL), 1);
	}
	/* Remove every odd one while iterating; each visited once. */
	PD_STORE_FOREACH_SAFE(p, tmp, s) {
		ck_assert_int_eq(p->first_seen, seen);
		if (seen % 2 == 1)
			pd_store_remove(s, p);
		seen++;
	}
	ck_assert_uint_eq(seen, 50);
	ck_assert_uint_eq(pd_store_count(s), 25);
	seen = 0;
	PD_STORE_FOREACH_SAFE(p, tmp, s) {
		ck_assert_int_eq(p->first_seen, seen * 2);
		pd_store_remove(s, p);
		seen++;
	}
	ck_assert_uint_eq(seen, 25);
	ck_assert_uint_eq(pd_store_count(s), 0);
	ck_assert_ptr_null(pd_store_first(s));
	ck_assert_ptr_null(pd_store_last(s));
	pd_store_free(s);
}
END_TEST

/* ---- eviction ----------------------------------------------------------- */

struct drops {
	struct pd_peerid ids[64];
	size_t n;
};

static void
record_drop(const struct pd_peer *p, void *arg)
{
	struct drops *d = arg;

	ck_assert_uint_lt(d->n, 64);
	d->ids[d->n++] = p->id;
}

START_TEST(test_evict_order)
{
	struct pd_store *s = pd_store_new(4);
	struct pd_peer *p[4], *q;
	struct drops d = { .n = 0 };
	struct pd_peerid id;
	uint32_t i;

	pd_store_set_drop_cb(s, record_drop, &d);
	for (i = 0; i < 4; i++) {
		id = mkid(i);
		ck_assert_int_eq(pd_store_add(s, &id, 100 + i, &p[i]), 1);
	}
	/* p0: connected now; p1: protected; p2: connected before, old;
	 * p3: never connected, newest: p3 goes first. */
	pd_store_set_connected(p[0], true, PD_STORE_DIR_OUTBOUND, 200);
	ck_assert_int_eq(pd_store_protect(p[1], "keep"), 0);
	pd_store_set_connected(p[2], true, PD_STORE_DIR_INBOUND, 150);
	pd_store_set_connected(p[2], false, PD_STORE_DIR_INBOUND, 160);
	pd_store_touch(p[3], 900);
	id = mkid(10);
	ck_assert_int_eq(pd_store_add(s, &id, 1000, &q), 1);
	ck_assert_uint_eq(d.n, 1);
	ck_assert(id_is(&d.ids[0], 3));
	/* The new peer (never connected) goes before p2. */
	id = mkid(11);
	ck_assert_int_eq(pd_store_add(s, &id, 1001, NULL), 1);
	ck_assert(id_is(&d.ids[1], 10));
	/* Then the new one again, and p2 only when it is the last choice. */
	pd_store_set_connected(pd_store_get(s, &id), true,
	    PD_STORE_DIR_INBOUND, 1002);
	id = mkid(12);
	ck_assert_int_eq(pd_store_add(s, &id, 1003, NULL), 1);
	ck_assert(id_is(&d.ids[2], 2));
	/* Now: p0 connected, p1 protected, 11 connected, 12 evictable. */
	pd_store_set_conf_protected(pd_store_get(s, &id), true);
	id = mkid(13);
	ck_assert_int_eq(pd_store_add(s, &id, 1004, NULL), PD_ERR_PEER_LIMIT);
	ck_assert_ptr_null(pd_store_get(s, &id));
	ck_assert_uint_eq(pd_store_count(s), 4);
	ck_assert_uint_eq(d.n, 3);
	/* An existing peer can still be "added" on a full store. */
	id = mkid(0);
	ck_assert_int_eq(pd_store_add(s, &id, 1005, NULL), 0);
	/* Unprotecting p1 makes it evictable again. */
	ck_assert_int_eq(pd_store_unprotect(p[1], "keep"), 0);
	ck_assert_int_eq(pd_store_unprotect(p[1], "keep"), PD_ERR_NOT_FOUND);
	id = mkid(13);
	ck_assert_int_eq(pd_store_add(s, &id, 1006, NULL), 1);
	ck_assert(id_is(&d.ids[3], 1));
	pd_store_free(s);
}
END_TEST

START_TEST(test_evict_score_and_set_max)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_peer *p[10];
	struct drops d = { .n = 0 };
	struct pd_peerid id;
	uint32_t i;

	pd_store_set_drop_cb(s, record_drop, &d);
	/* Same last_seen: lowest score first, then insertion order. */
	for (i = 0; i < 10; i++) {
		id = mkid(i);
		ck_assert_int_eq(pd_store_add(s, &id, 500, &p[i]), 1);
		pd_store_set_score(p[i], (int)(i % 5));
	}
	pd_store_set_connected(p[0], true, PD_STORE_DIR_INBOUND, 500);
	pd_store_set_connected(p[0], false, PD_STORE_DIR_INBOUND, 500);
	ck_assert_int_eq(p[0]->direction, PD_STORE_DIR_INBOUND);
	ck_assert_uint_eq(pd_store_set_max(s, 4), 6);
	ck_assert_uint_eq(pd_store_count(s), 4);
	/* Never-connected by score: 5(0) 1(1) 6(1) 2(2) 7(2) 3(3). */
	ck_assert(id_is(&d.ids[0], 5));
	ck_assert(id_is(&d.ids[1], 1));
	ck_assert(id_is(&d.ids[2], 6));
	ck_assert(id_is(&d.ids[3], 2));
	ck_assert(id_is(&d.ids[4], 7));
	ck_assert(id_is(&d.ids[5], 3));
	/* Left: 0 (ever connected), 4, 8, 9. */
	ck_assert_ptr_nonnull(pd_store_get(s, &p[0]->id));
	/* Nothing evictable: set_max evicts what it can. */
	ck_assert_int_eq(pd_store_protect(p[0], "a"), 0);
	for (i = 0; i < 10; i++) {
		id = mkid(i);
		if (pd_store_get(s, &id) != NULL && i != 0)
			pd_store_set_connected(pd_store_get(s, &id), true,
			    PD_STORE_DIR_OUTBOUND, 600);
	}
	ck_assert_uint_eq(pd_store_set_max(s, 1), 0);
	ck_assert_uint_eq(pd_store_count(s), 4);
	pd_store_free(s);
}
END_TEST

/* Brute force: the peer the store should evict, or NULL. */
static const struct pd_peer *
least_useful(const struct pd_store *s)
{
	const struct pd_peer *p, *best = NULL;

	for (p = pd_store_first(s); p != NULL; p = pd_store_next(p)) {
		bool ep, eb;

		if (p->connected || pd_store_is_protected(p))
			continue;
		if (best == NULL) {
			best = p;
			continue;
		}
		ep = p->last_connected != 0;
		eb = best->last_connected != 0;
		if (ep != eb) {
			if (!ep)
				best = p;
			continue;
		}
		if (p->last_seen != best->last_seen) {
			if (p->last_seen < best->last_seen)
				best = p;
			continue;
		}
		if (p->score < best->score)
			best = p;
	}
	return best;
}

START_TEST(test_evict_model)
{
	struct pd_store *s = pd_store_new(32);
	struct drops d = { .n = 0 };
	struct pd_peerid id, want = mkid(0);
	struct pd_peer *p;
	int64_t now = 1000;
	int round, r;

	pd_store_set_drop_cb(s, record_drop, &d);
	for (round = 0; round < 20000; round++) {
		id = mkid(rng_below(200));
		p = pd_store_get(s, &id);
		now += rng_below(3);
		switch (rng_below(8)) {
		case 0:
		case 1:
		case 2: {
			const struct pd_peer *v = NULL;
			bool full = pd_store_count(s) == pd_store_max(s);

			if (p == NULL && full && (v = least_useful(s)) != NULL)
				want = v->id;
			d.n = 0;
			r = pd_store_add(s, &id, now, NULL);
			if (p != NULL) {
				ck_assert_int_eq(r, 0);
				ck_assert_uint_eq(d.n, 0);
			} else if (!full) {
				ck_assert_int_eq(r, 1);
				ck_assert_uint_eq(d.n, 0);
			} else if (v == NULL) {
				ck_assert_int_eq(r, PD_ERR_PEER_LIMIT);
				ck_assert_uint_eq(d.n, 0);
			} else {
				ck_assert_int_eq(r, 1);
				ck_assert_uint_eq(d.n, 1);
				ck_assert(pd_peerid_equal(&d.ids[0], &want));
			}
			break;
		}
		case 3:
			if (p != NULL)
				pd_store_set_connected(p, rng_below(3) == 0,
				    PD_STORE_DIR_OUTBOUND, now);
			break;
		case 4:
			if (p != NULL && rng_below(2))
				(void)pd_store_protect(p, "t");
			else if (p != NULL)
				(void)pd_store_unprotect(p, "t");
			break;
		case 5:
			if (p != NULL)
				pd_store_set_score(p, (int)rng_below(7) - 3);
			break;
		case 6:
			if (p != NULL)
				pd_store_touch(p, now);
			break;
		case 7:
			if (p != NULL && rng_below(4) == 0)
				pd_store_remove(s, p);
			else if (p != NULL)
				pd_store_set_conf_protected(p, rng_below(8) == 0);
			break;
		}
		ck_assert_uint_le(pd_store_count(s), 32);
	}
	pd_store_free(s);
}
END_TEST

/* ---- addresses ---------------------------------------------------------- */

START_TEST(test_addr_ttl)
{
	struct pd_store *s = pd_store_new(10);
	struct drops d = { .n = 0 };
	struct pd_multiaddr a = mkaddr(1), b = mkaddr(2), c = mkaddr(3), out;
	struct pd_peer *p, *q, *r;
	struct pd_peerid id = mkid(1), id2 = mkid(2), id3 = mkid(3);
	size_t naddrs;

	pd_store_set_drop_cb(s, record_drop, &d);
	ck_assert_int_eq(pd_store_add(s, &id, 1000, &p), 1);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 100, PD_SOURCE_MDNS, 1000), 1);
	ck_assert_int_eq(pd_store_add_addr(p, &b, PD_STORE_TTL_PERMANENT,
	    PD_SOURCE_MANUAL, 1000), 1);
	ck_assert_int_eq(pd_store_add_addr(p, &c, 500, PD_SOURCE_DHT, 1000), 1);
	ck_assert_uint_eq(p->naddrs, 3);
	ck_assert_int_eq(p->addrs[0].expires, 1100);
	ck_assert_int_eq(p->addrs[1].expires, 0);
	ck_assert_uint_eq(p->sources,
	    PD_SOURCE_MDNS | PD_SOURCE_MANUAL | PD_SOURCE_DHT);
	/* Refresh: the later expiry wins, the source is the latest. */
	ck_assert_int_eq(pd_store_add_addr(p, &a, 50, PD_SOURCE_DHT, 1010), 0);
	ck_assert_int_eq(p->addrs[0].expires, 1100);
	ck_assert_int_eq(p->addrs[0].source, PD_SOURCE_DHT);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 200, PD_SOURCE_MDNS, 1010), 0);
	ck_assert_int_eq(p->addrs[0].expires, 1210);
	ck_assert_int_eq(pd_store_add_addr(p, &b, 10, PD_SOURCE_MDNS, 1010), 0);
	ck_assert_int_eq(p->addrs[1].expires, 0);
	ck_assert_int_eq(p->last_seen, 1010);
	ck_assert_int_eq(pd_store_find_addr(p, &c), 2);
	ck_assert_int_eq(pd_store_addr_get(p, 2, &out), 0);
	ck_assert(pd_multiaddr_equal(&out, &c));
	ck_assert_int_eq(pd_store_addr_get(p, 3, &out), PD_ERR_INVAL);
	/* Bad arguments. */
	ck_assert_int_eq(pd_store_add_addr(p, &a, -1, PD_SOURCE_DHT, 1),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 1, 0, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 1,
	    PD_SOURCE_DHT | PD_SOURCE_MDNS, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 1, 0x10, 1), PD_ERR_INVAL);
	/* q: never connected, one address; r: connected once. */
	ck_assert_int_eq(pd_store_add(s, &id2, 1000, &q), 1);
	ck_assert_int_eq(pd_store_add_addr(q, &a, 100, PD_SOURCE_MDNS, 1000), 1);
	ck_assert_int_eq(pd_store_add(s, &id3, 1000, &r), 1);
	ck_assert_int_eq(pd_store_add_addr(r, &a, 100, PD_SOURCE_MDNS, 1000), 1);
	pd_store_set_connected(r, true, PD_STORE_DIR_OUTBOUND, 1001);
	pd_store_set_connected(r, false, PD_STORE_DIR_OUTBOUND, 1002);
	/* At 1100 exactly, q's address and r's expire; q goes, r stays. */
	ck_assert_uint_eq(pd_store_expire_addrs(s, 1099, &naddrs), 0);
	ck_assert_uint_eq(naddrs, 0);
	ck_assert_uint_eq(pd_store_expire_addrs(s, 1100, &naddrs), 1);
	ck_assert_uint_eq(naddrs, 2);
	ck_assert_uint_eq(d.n, 1);
	ck_assert(pd_peerid_equal(&d.ids[0], &id2));
	ck_assert_ptr_null(pd_store_get(s, &id2));
	ck_assert_ptr_eq(pd_store_get(s, &id3), r);
	ck_assert_uint_eq(r->naddrs, 0);
	ck_assert_uint_eq(p->naddrs, 3);
	ck_assert_uint_eq(pd_store_expire_addrs(s, 1600, &naddrs), 0);
	ck_assert_uint_eq(naddrs, 2);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert_int_eq(pd_store_find_addr(p, &b), 0);
	ck_assert_int_eq(pd_store_remove_addr(p, &b), 0);
	ck_assert_int_eq(pd_store_remove_addr(p, &b), PD_ERR_NOT_FOUND);
	/* Protected and address-less: stays. */
	ck_assert_int_eq(pd_store_protect(p, "x"), 0);
	ck_assert_uint_eq(pd_store_expire_addrs(s, 1700, NULL), 0);
	ck_assert_int_eq(pd_store_unprotect(p, "x"), 0);
	ck_assert_uint_eq(pd_store_expire_addrs(s, 1700, NULL), 1);
	ck_assert_uint_eq(pd_store_count(s), 1);
	/* No overflow on a huge TTL. */
	ck_assert_int_eq(pd_store_add_addr(r, &a, INT64_MAX, PD_SOURCE_DHT,
	    1000), 1);
	ck_assert_int_eq(r->addrs[0].expires, INT64_MAX);
	pd_store_free(s);
}
END_TEST

START_TEST(test_addr_cap)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_multiaddr a;
	struct pd_peer *p;
	struct pd_peerid id = mkid(1);
	uint32_t i;

	ck_assert_int_eq(pd_store_add(s, &id, 1000, &p), 1);
	for (i = 0; i < PD_STORE_MAX_ADDRS; i++) {
		a = mkaddr(i);
		ck_assert_int_eq(pd_store_add_addr(p, &a, 1000 + i,
		    PD_SOURCE_DHT, 1000), 1);
	}
	ck_assert_uint_eq(p->naddrs, PD_STORE_MAX_ADDRS);
	/* Full: a shorter-lived one is refused, a longer one replaces
	 * the soonest-expiring (index 0) in place. */
	a = mkaddr(100);
	ck_assert_int_eq(pd_store_add_addr(p, &a, 10, PD_SOURCE_DHT, 1000),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_store_add_addr(p, &a, PD_STORE_TTL_PERMANENT,
	    PD_SOURCE_MANUAL, 1000), 1);
	ck_assert_int_eq(pd_store_find_addr(p, &a), 0);
	ck_assert_uint_eq(p->naddrs, PD_STORE_MAX_ADDRS);
	a = mkaddr(0);
	ck_assert_int_eq(pd_store_find_addr(p, &a), -1);
	/* All permanent: nothing can be replaced. */
	for (i = 1; i < PD_STORE_MAX_ADDRS; i++) {
		a = mkaddr(i);
		ck_assert_int_eq(pd_store_add_addr(p, &a,
		    PD_STORE_TTL_PERMANENT, PD_SOURCE_DHT, 1000), 0);
	}
	a = mkaddr(101);
	ck_assert_int_eq(pd_store_add_addr(p, &a, PD_STORE_TTL_PERMANENT,
	    PD_SOURCE_DHT, 1000), PD_ERR_OVERFLOW);
	pd_store_free(s);
}
END_TEST

/* ---- strings ------------------------------------------------------------ */

START_TEST(test_text_ok)
{
	ck_assert(pd_store_text_ok("", 0));
	ck_assert(pd_store_text_ok("/ipfs/id/1.0.0", 14));
	ck_assert(pd_store_text_ok("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
	    15));
	ck_assert(!pd_store_text_ok("a\nb", 3));
	ck_assert(!pd_store_text_ok("a\x7f", 2));
	ck_assert(!pd_store_text_ok("a\0b", 3));
	ck_assert(!pd_store_text_ok("\xc0\xaf", 2));		/* overlong */
	ck_assert(!pd_store_text_ok("\xe0\x80\xaf", 3));	/* overlong */
	ck_assert(!pd_store_text_ok("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!pd_store_text_ok("\xf4\x90\x80\x80", 4));	/* > 10FFFF */
	ck_assert(!pd_store_text_ok("\xc3", 1));		/* truncated */
	ck_assert(!pd_store_text_ok("\x80", 1));
	ck_assert(!pd_store_text_ok("\xff", 1));
}
END_TEST

START_TEST(test_protocols)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_peerid id = mkid(1);
	const char *list[100];
	char names[100][16], big[PD_STORE_MAX_PROTOCOL_LEN + 2];
	struct pd_peer *p;
	int i;

	ck_assert_int_eq(pd_store_add(s, &id, 1, &p), 1);
	memset(big, 'x', sizeof(big));
	big[0] = '/';
	big[PD_STORE_MAX_PROTOCOL_LEN + 1] = '\0';
	list[0] = "/ipfs/id/1.0.0";
	list[1] = big;				/* too long */
	list[2] = "";				/* empty */
	list[3] = "/bad\n";			/* control char */
	list[4] = "/ipfs/id/1.0.0";		/* duplicate */
	list[5] = NULL;
	list[6] = "/bad\xff";			/* not UTF-8 */
	big[PD_STORE_MAX_PROTOCOL_LEN] = '\0';	/* exactly the cap */
	list[7] = big;
	ck_assert_int_eq(pd_store_set_protocols(p, list, 8), 2);
	ck_assert_uint_eq(p->nprotocols, 2);
	ck_assert_str_eq(p->protocols[0], "/ipfs/id/1.0.0");
	ck_assert_uint_eq(strlen(p->protocols[1]), PD_STORE_MAX_PROTOCOL_LEN);
	ck_assert(pd_store_has_protocol(p, "/ipfs/id/1.0.0"));
	ck_assert(!pd_store_has_protocol(p, "/ipfs/ping/1.0.0"));
	for (i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "/p/%d", i);
		list[i] = names[i];
	}
	ck_assert_int_eq(pd_store_set_protocols(p, list, 100),
	    PD_STORE_MAX_PROTOCOLS);
	ck_assert_str_eq(p->protocols[PD_STORE_MAX_PROTOCOLS - 1], "/p/63");
	ck_assert_int_eq(pd_store_set_protocols(p, list, 0), 0);
	ck_assert_uint_eq(p->nprotocols, 0);
	pd_store_free(s);
}
END_TEST

START_TEST(test_agent_tags_error)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_peerid id = mkid(1);
	char big[1000], tag[PD_STORE_MAX_TAG_LEN + 2];
	struct pd_peer *p;
	int i;

	ck_assert_int_eq(pd_store_add(s, &id, 1, &p), 1);
	ck_assert_ptr_null(p->agent);
	ck_assert_int_eq(pd_store_set_agent(p, "go-ipfs/0.8 \xe2\x82\xac"), 0);
	ck_assert_str_eq(p->agent, "go-ipfs/0.8 \xe2\x82\xac");
	ck_assert_int_eq(pd_store_set_agent(p, "a\nb\xff\xc3(\x1b"), 0);
	ck_assert_str_eq(p->agent, "a?b?" "?(?");
	/* Cut on a character boundary at the cap. */
	memset(big, 'a', sizeof(big));
	memcpy(big + PD_STORE_MAX_AGENT_LEN - 1, "\xe2\x82\xac", 3);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(pd_store_set_agent(p, big), 0);
	ck_assert_uint_eq(strlen(p->agent), PD_STORE_MAX_AGENT_LEN - 1);
	ck_assert(pd_store_text_ok(p->agent, strlen(p->agent)));
	ck_assert_int_eq(pd_store_set_agent(p, NULL), 0);
	ck_assert_ptr_null(p->agent);
	/* Tags. */
	ck_assert(!pd_store_is_protected(p));
	ck_assert_int_eq(pd_store_protect(p, ""), PD_ERR_INVAL);
	ck_assert_int_eq(pd_store_protect(p, "a\tb"), PD_ERR_INVAL);
	memset(tag, 't', sizeof(tag));
	tag[PD_STORE_MAX_TAG_LEN + 1] = '\0';
	ck_assert_int_eq(pd_store_protect(p, tag), PD_ERR_INVAL);
	tag[PD_STORE_MAX_TAG_LEN] = '\0';
	ck_assert_int_eq(pd_store_protect(p, tag), 0);
	ck_assert_int_eq(pd_store_protect(p, tag), 0);
	ck_assert_uint_eq(p->ntags, 1);
	for (i = 1; i < PD_STORE_MAX_TAGS; i++) {
		snprintf(tag, sizeof(tag), "tag%d", i);
		ck_assert_int_eq(pd_store_protect(p, tag), 0);
	}
	ck_assert_int_eq(pd_store_protect(p, "one-more"), PD_ERR_OVERFLOW);
	ck_assert(pd_store_is_protected(p));
	ck_assert_int_eq(pd_store_unprotect(p, "tag3"), 0);
	ck_assert_str_eq(p->tags[3], "tag4");
	ck_assert_uint_eq(p->ntags, PD_STORE_MAX_TAGS - 1);
	pd_store_set_conf_protected(p, true);
	ck_assert(pd_store_is_protected(p));
	/* Dial state and its error text. */
	memset(big, 'e', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	big[3] = '\r';
	pd_store_set_dial_state(p, 3, 5000, big);
	ck_assert_uint_eq(p->dial_failures, 3);
	ck_assert_int_eq(p->next_dial, 5000);
	ck_assert_uint_eq(strlen(p->last_error), PD_STORE_MAX_ERROR - 1);
	ck_assert_int_eq(p->last_error[3], '?');
	pd_store_set_dial_state(p, 0, 0, NULL);
	ck_assert_str_eq(p->last_error, "");
	/* Names. */
	ck_assert_str_eq(pd_store_source_name(PD_SOURCE_BOOTSTRAP), "bootstrap");
	ck_assert_ptr_null(pd_store_source_name(3));
	ck_assert_uint_eq(pd_store_source_parse("dht", 3), PD_SOURCE_DHT);
	ck_assert_uint_eq(pd_store_source_parse("dhtx", 4), 0);
	ck_assert_str_eq(pd_store_dir_name(PD_STORE_DIR_INBOUND), "inbound");
	pd_store_free(s);
}
END_TEST

START_TEST(test_connected_state)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_peerid id = mkid(1);
	struct pd_peer *p;
	uint64_t g;

	ck_assert_int_eq(pd_store_add(s, &id, 100, &p), 1);
	pd_store_set_connected(p, true, PD_STORE_DIR_INBOUND, 200);
	ck_assert(p->connected);
	ck_assert_int_eq(p->connected_since, 200);
	ck_assert_int_eq(p->last_connected, 200);
	ck_assert_int_eq(p->last_seen, 200);
	pd_store_set_connected(p, true, PD_STORE_DIR_OUTBOUND, 300);
	ck_assert_int_eq(p->connected_since, 200);
	ck_assert_int_eq(p->direction, PD_STORE_DIR_OUTBOUND);
	pd_store_set_connected(p, false, PD_STORE_DIR_NONE, 400);
	ck_assert(!p->connected);
	ck_assert_int_eq(p->direction, PD_STORE_DIR_OUTBOUND);
	ck_assert_int_eq(p->last_connected, 400);
	/* Touch never goes back in time; an unchanged touch is no change. */
	pd_store_touch(p, 10);
	ck_assert_int_eq(p->last_seen, 400);
	g = pd_store_generation(s);
	pd_store_touch(p, 400);
	ck_assert_uint_eq(pd_store_generation(s), g);
	pd_store_set_latency(p, 1234);
	pd_store_set_kad_server(p, true);
	pd_store_add_sources(p, PD_SOURCE_MDNS | 0x80);
	ck_assert_uint_eq(p->sources, PD_SOURCE_MDNS);
	ck_assert(pd_store_generation(s) > g);
	/* Epoch clock: connected still counts. */
	pd_store_set_connected(p, true, PD_STORE_DIR_INBOUND, 0);
	ck_assert_int_ne(p->last_connected, 0);
	pd_store_free(s);
}
END_TEST

/* ---- store vs. model ---------------------------------------------------- */

#define MODEL_IDS 48
#define MODEL_ADDRS 24

struct model_addr {
	uint32_t n;
	int64_t expires;
};

struct model_peer {
	bool present;
	uint64_t order;			/* insertion number */
	bool connected, ever, prot;
	struct model_addr addrs[PD_STORE_MAX_ADDRS];
	size_t naddrs;
};

static struct model_peer model[MODEL_IDS];
static uint64_t model_order;

static bool
model_later(int64_t a, int64_t b)
{
	if (a == 0)
		return b != 0;
	return b != 0 && a > b;
}

static void
model_add_addr(struct model_peer *m, uint32_t n, int64_t ttl, int64_t now)
{
	int64_t exp = ttl == 0 ? 0 : now + ttl;
	size_t i;
	int v = -1;

	for (i = 0; i < m->naddrs; i++) {
		if (m->addrs[i].n == n) {
			if (model_later(exp, m->addrs[i].expires))
				m->addrs[i].expires = exp;
			return;
		}
	}
	if (m->naddrs < PD_STORE_MAX_ADDRS) {
		m->addrs[m->naddrs].n = n;
		m->addrs[m->naddrs++].expires = exp;
		return;
	}
	for (i = 0; i < m->naddrs; i++)
		if (v < 0 || model_later(m->addrs[v].expires, m->addrs[i].expires))
			v = (int)i;
	if (model_later(exp, m->addrs[v].expires)) {
		m->addrs[v].n = n;
		m->addrs[v].expires = exp;
	}
}

static void
model_expire(int64_t now)
{
	size_t i, j, k;

	for (i = 0; i < MODEL_IDS; i++) {
		struct model_peer *m = &model[i];

		if (!m->present)
			continue;
		for (j = k = 0; j < m->naddrs; j++)
			if (m->addrs[j].expires == 0 || m->addrs[j].expires > now)
				m->addrs[k++] = m->addrs[j];
		m->naddrs = k;
		if (k == 0 && !m->ever && !m->connected && !m->prot)
			m->present = false;
	}
}

static void
model_check(const struct pd_store *s)
{
	const struct pd_peer *p;
	struct pd_peerid id;
	struct pd_multiaddr a;
	size_t i, j, n = 0;
	uint64_t last = 0;
	bool first = true;

	for (i = 0; i < MODEL_IDS; i++) {
		id = mkid((uint32_t)i);
		p = pd_store_get(s, &id);
		ck_assert_int_eq(p != NULL, model[i].present);
		if (p == NULL)
			continue;
		n++;
		ck_assert_uint_eq(p->naddrs, model[i].naddrs);
		for (j = 0; j < p->naddrs; j++) {
			a = mkaddr(model[i].addrs[j].n);
			ck_assert_int_eq(pd_store_find_addr(p, &a), (int)j);
			ck_assert_int_eq(p->addrs[j].expires,
			    model[i].addrs[j].expires);
		}
	}
	ck_assert_uint_eq(pd_store_count(s), n);
	/* Iteration: each present peer once, in insertion order. */
	j = 0;
	for (p = pd_store_first(s); p != NULL; p = pd_store_next(p)) {
		uint32_t k;

		memcpy(&k, p->id.bytes + 2, sizeof(k));
		ck_assert_uint_lt(k, MODEL_IDS);
		ck_assert(model[k].present);
		ck_assert(first || model[k].order > last);
		first = false;
		last = model[k].order;
		j++;
	}
	ck_assert_uint_eq(j, n);
}

START_TEST(test_model)
{
	struct pd_store *s = pd_store_new(1000);
	struct pd_peer *p, *tmp;
	struct pd_multiaddr a;
	struct pd_peerid id;
	int64_t now = 10000, ttl;
	int round, r;
	uint32_t k, n;

	memset(model, 0, sizeof(model));
	model_order = 0;
	for (round = 0; round < 30000; round++) {
		k = rng_below(MODEL_IDS);
		id = mkid(k);
		p = pd_store_get(s, &id);
		now += rng_below(20);
		switch (rng_below(10)) {
		case 0:
		case 1:
			r = pd_store_add(s, &id, now, NULL);
			ck_assert_int_eq(r, model[k].present ? 0 : 1);
			if (!model[k].present) {
				memset(&model[k], 0, sizeof(model[k]));
				model[k].present = true;
				model[k].order = model_order++;
			}
			break;
		case 2:
			if (p != NULL) {
				pd_store_remove(s, p);
				model[k].present = false;
			}
			break;
		case 3:
		case 4:
		case 5:
			if (p == NULL)
				break;
			n = rng_below(MODEL_ADDRS);
			ttl = rng_below(5) == 0 ? 0 : 1 + rng_below(400);
			a = mkaddr(n);
			r = pd_store_add_addr(p, &a, ttl, PD_SOURCE_DHT, now);
			ck_assert(r >= 0 || r == PD_ERR_OVERFLOW);
			model_add_addr(&model[k], n, ttl, now);
			break;
		case 6:
			if (p == NULL)
				break;
			pd_store_set_connected(p, !p->connected,
			    PD_STORE_DIR_INBOUND, now);
			model[k].connected = p->connected;
			model[k].ever = true;
			break;
		case 7:
			if (p == NULL)
				break;
			if (rng_below(2)) {
				(void)pd_store_protect(p, "m");
				model[k].prot = true;
			} else {
				(void)pd_store_unprotect(p, "m");
				model[k].prot = false;
			}
			break;
		case 8:
			(void)pd_store_expire_addrs(s, now, NULL);
			model_expire(now);
			break;
		case 9:
			/* Remove some while iterating. */
			n = 0;
			PD_STORE_FOREACH_SAFE(p, tmp, s) {
				n++;
				if (rng_below(8) == 0) {
					memcpy(&k, p->id.bytes + 2, sizeof(k));
					model[k].present = false;
					pd_store_remove(s, p);
				}
			}
			break;
		}
		if (round % 64 == 0)
			model_check(s);
	}
	model_check(s);
	pd_store_free(s);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("pd_store");
	TCase *tc;

	tc = tcase_create("basics");
	tcase_add_test(tc, test_add_get_remove);
	tcase_add_test(tc, test_many_peers);
	tcase_add_test(tc, test_iterate_remove_current);
	tcase_add_test(tc, test_connected_state);
	suite_add_tcase(s, tc);
	tc = tcase_create("evict");
	tcase_add_test(tc, test_evict_order);
	tcase_add_test(tc, test_evict_score_and_set_max);
	tcase_add_test(tc, test_evict_model);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("addrs");
	tcase_add_test(tc, test_addr_ttl);
	tcase_add_test(tc, test_addr_cap);
	suite_add_tcase(s, tc);
	tc = tcase_create("strings");
	tcase_add_test(tc, test_text_ok);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_agent_tags_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_test(tc, test_model);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	store_rng_state = pd_test_seed("check_store");
	return pd_test_run(store_suite());
}
