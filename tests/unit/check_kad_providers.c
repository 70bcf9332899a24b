/*
 * check_kad_providers.c - the DHT provider store: add/get/expire basics,
 * the 48 h expiry boundary, every cap (per key, keys, addresses, address
 * bytes, key length), and a seeded randomized model test against a plain
 * array (PD_TEST_SEED reproduces a run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/error.h"
#include "kad/providers.h"

#include "helpers.h"

static uint64_t prov_rng_state = 1;

static uint64_t
prov_rng(void)
{
	uint64_t x = prov_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	prov_rng_state = x;
	return x;
}

#define T0 UINT64_C(1700000000000)	/* a unix time in ms */
#define TTL PD_KAD_PROVIDER_TTL_MS

/* A sha2-256 peer ID whose digest is n repeated. */
static struct pd_peerid
test_id(unsigned n)
{
	struct pd_peerid id;
	uint8_t raw[34];

	raw[0] = 0x12;
	raw[1] = 0x20;
	for (int i = 2; i < 34; i++)
		raw[i] = (uint8_t)(n + (unsigned)i * (n >> 8));
	raw[2] = (uint8_t)n;
	raw[3] = (uint8_t)(n >> 8);
	ck_assert_int_eq(pd_peerid_from_bytes(raw, sizeof(raw), &id), 0);
	return id;
}

static struct pd_multiaddr
test_addr(unsigned n)
{
	struct pd_multiaddr ma;
	char text[64];

	snprintf(text, sizeof(text), "/ip4/10.%u.%u.%u/tcp/4001",
	    n >> 16 & 255, n >> 8 & 255, n & 255);
	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

/* "my-app" key (libp2p-wire.md §10) with the last byte varied. */
static void
test_key(unsigned n, uint8_t key[34])
{
	static const uint8_t base[34] = {
		0x12, 0x20, 0x4c, 0x9a, 0x75, 0xcc, 0xa7, 0x17, 0xef, 0xb6,
		0x8c, 0x85, 0x6f, 0x26, 0xba, 0x82, 0x50, 0x73, 0x7f, 0x44,
		0xe6, 0x98, 0x0d, 0x33, 0x19, 0x3c, 0x94, 0xfa, 0x0b, 0x8e,
		0x9c, 0xd7, 0x61, 0x8c,
	};

	memcpy(key, base, 34);
	key[32] ^= (uint8_t)(n >> 8);
	key[33] ^= (uint8_t)n;
}

static struct pd_kad_prov_entry out[PD_KAD_PROV_MAX_PER_KEY + 5];

START_TEST(test_basic)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(0);
	struct pd_peerid a = test_id(1), b = test_id(2);
	struct pd_multiaddr ma[2] = { test_addr(1), test_addr(2) };
	uint8_t key[34], other[34];

	ck_assert_ptr_nonnull(pv);
	test_key(0, key);
	test_key(1, other);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 5), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, ma, 2, T0), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &b, NULL, 0, T0 + 10),
	    0);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 2);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 1);
	ck_assert_int_eq(pd_kad_prov_get(pv, other, 34, T0, out, 5), 0);
	/* newest first */
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0 + 20, out, 5), 2);
	ck_assert(pd_peerid_equal(&out[0].id, &b));
	ck_assert_uint_eq(out[0].naddrs, 0);
	ck_assert_uint_eq(out[0].expires_ms, T0 + 10 + TTL);
	ck_assert(pd_peerid_equal(&out[1].id, &a));
	ck_assert_uint_eq(out[1].naddrs, 2);
	ck_assert(pd_multiaddr_equal(&out[1].addrs[0], &ma[0]));
	ck_assert(pd_multiaddr_equal(&out[1].addrs[1], &ma[1]));
	/* n limits */
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 1), 1);
	ck_assert(pd_peerid_equal(&out[0].id, &b));
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, NULL, 0), 0);
	/* refresh a with no addresses: keeps them, moves to newest */
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, NULL, 0, T0 + 30),
	    0);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 2);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 5), 2);
	ck_assert(pd_peerid_equal(&out[0].id, &a));
	ck_assert_uint_eq(out[0].naddrs, 2);
	ck_assert_uint_eq(out[0].expires_ms, T0 + 30 + TTL);
	/* refresh with one address: replaces */
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, &ma[1], 1, T0 + 40),
	    0);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 5), 2);
	ck_assert_uint_eq(out[0].naddrs, 1);
	ck_assert(pd_multiaddr_equal(&out[0].addrs[0], &ma[1]));
	pd_kad_prov_free(pv);
	pd_kad_prov_free(NULL);
}
END_TEST

/* Live while now < expires: exactly 48 h after the add it is gone. */
START_TEST(test_expiry)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(0);
	struct pd_peerid a = test_id(1), b = test_id(2);
	uint8_t key[34], k2[34];

	test_key(0, key);
	test_key(2, k2);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, NULL, 0, T0), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &b, NULL, 0, T0 + 1000),
	    0);
	ck_assert_int_eq(pd_kad_prov_add(pv, k2, 34, &b, NULL, 0, T0), 0);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0 + TTL - 1, out, 5),
	    2);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0 + TTL, out, 5), 1);
	ck_assert(pd_peerid_equal(&out[0].id, &b));
	/* get does not purge */
	ck_assert_uint_eq(pd_kad_prov_count(pv), 3);
	ck_assert_uint_eq(pd_kad_prov_expire(pv, T0 + TTL - 1), 0);
	ck_assert_uint_eq(pd_kad_prov_expire(pv, T0 + TTL), 2);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 1);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 1);
	ck_assert_int_eq(pd_kad_prov_get(pv, k2, 34, T0, out, 5), 0);
	ck_assert_uint_eq(pd_kad_prov_expire(pv, T0 + TTL + 1000), 1);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 0);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 0);
	/* the store is usable after emptying */
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, NULL, 0, T0), 0);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 1);
	/* expiry saturates instead of wrapping */
	ck_assert_int_eq(pd_kad_prov_add(pv, k2, 34, &a, NULL, 0,
	    UINT64_MAX - 5), 0);
	ck_assert_int_eq(pd_kad_prov_get(pv, k2, 34, UINT64_MAX - 1, out, 5),
	    1);
	ck_assert_uint_eq(out[0].expires_ms, UINT64_MAX);
	pd_kad_prov_free(pv);
}
END_TEST

/* At most 20 per key: the 20 most recent stay. */
START_TEST(test_per_key_cap)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(0);
	struct pd_peerid id;
	uint8_t key[34];
	unsigned i;

	test_key(0, key);
	for (i = 0; i < PD_KAD_PROV_MAX_PER_KEY + 5; i++) {
		id = test_id(100 + i);
		ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &id, NULL, 0,
		    T0 + i), 0);
	}
	ck_assert_uint_eq(pd_kad_prov_count(pv), PD_KAD_PROV_MAX_PER_KEY);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out,
	    PD_KAD_PROV_MAX_PER_KEY + 5), PD_KAD_PROV_MAX_PER_KEY);
	for (i = 0; i < PD_KAD_PROV_MAX_PER_KEY; i++) {
		id = test_id(100 + PD_KAD_PROV_MAX_PER_KEY + 4 - i);
		ck_assert(pd_peerid_equal(&out[i].id, &id));
	}
	/* refreshing the oldest saves it from the next eviction */
	id = test_id(105);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &id, NULL, 0, T0 + 100),
	    0);
	id = test_id(999);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &id, NULL, 0, T0 + 101),
	    0);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 30), 20);
	ck_assert(pd_peerid_equal(&out[0].id, &id));
	id = test_id(105);
	ck_assert(pd_peerid_equal(&out[1].id, &id));
	id = test_id(107);	/* 106 went */
	ck_assert(pd_peerid_equal(&out[19].id, &id));
	pd_kad_prov_free(pv);
}
END_TEST

/* A full store evicts the key whose newest provider expires soonest. */
START_TEST(test_key_cap)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(3);
	struct pd_peerid a = test_id(1);
	uint8_t k[5][34];
	int i;

	for (i = 0; i < 5; i++)
		test_key((unsigned)i, k[i]);
	ck_assert_int_eq(pd_kad_prov_add(pv, k[0], 34, &a, NULL, 0, T0), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, k[1], 34, &a, NULL, 0, T0 + 1), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, k[2], 34, &a, NULL, 0, T0 + 2), 0);
	/* refresh k0: now k1 expires soonest */
	ck_assert_int_eq(pd_kad_prov_add(pv, k[0], 34, &a, NULL, 0, T0 + 3), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, k[3], 34, &a, NULL, 0, T0 + 4), 0);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 3);
	ck_assert_int_eq(pd_kad_prov_get(pv, k[1], 34, T0, out, 1), 0);
	ck_assert_int_eq(pd_kad_prov_get(pv, k[0], 34, T0, out, 1), 1);
	ck_assert_int_eq(pd_kad_prov_get(pv, k[2], 34, T0, out, 1), 1);
	ck_assert_int_eq(pd_kad_prov_add(pv, k[4], 34, &a, NULL, 0, T0 + 5), 0);
	ck_assert_int_eq(pd_kad_prov_get(pv, k[2], 34, T0, out, 1), 0);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 3);
	pd_kad_prov_free(pv);
}
END_TEST

/* The default store: 10000 keys, table growth, eviction at 10001. */
START_TEST(test_many_keys)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(PD_KAD_PROV_MAX_KEYS * 10);
	struct pd_peerid a = test_id(7);
	uint8_t key[34];
	unsigned i;

	for (i = 0; i <= PD_KAD_PROV_MAX_KEYS; i++) {
		test_key(i, key);
		ck_assert_int_eq(pd_kad_prov_add(pv, key, 34, &a, NULL, 0,
		    T0 + i), 0);
	}
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), PD_KAD_PROV_MAX_KEYS);
	test_key(0, key);	/* the first went */
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 1), 0);
	for (i = 1; i <= PD_KAD_PROV_MAX_KEYS; i += 97) {
		test_key(i, key);
		ck_assert_int_eq(pd_kad_prov_get(pv, key, 34, T0, out, 1), 1);
	}
	ck_assert_uint_eq(pd_kad_prov_expire(pv, T0 + TTL + 5000), 5000);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 5000);
	pd_kad_prov_free(pv);
}
END_TEST

/* Addresses: at most 4 and 256 bytes per provider; bad arguments. */
START_TEST(test_addr_caps_and_args)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(0);
	struct pd_peerid a = test_id(1), bad;
	struct pd_multiaddr ma[6], big[3];
	uint8_t key[PD_KAD_PROV_MAX_KEY + 1];
	char text[160];
	int i;

	memset(key, 0x5a, sizeof(key));
	for (i = 0; i < 6; i++)
		ma[i] = test_addr((unsigned)i);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 1, &a, ma, 6, T0), 0);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 1, T0, out, 2), 1);
	ck_assert_uint_eq(out[0].naddrs, PD_KAD_PROV_MAX_ADDRS);
	for (i = 0; i < PD_KAD_PROV_MAX_ADDRS; i++)
		ck_assert(pd_multiaddr_equal(&out[0].addrs[i], &ma[i]));
	/* three 104-byte dns addresses: the third does not fit in 256,
	 * but a small one after it does */
	for (i = 0; i < 3; i++) {
		memset(text, 0, sizeof(text));
		memcpy(text, "/dns/", 5);
		memset(text + 5, 'a' + i, 100);
		ck_assert_int_eq(pd_multiaddr_parse(text, &big[i], NULL, 0),
		    0);
		ck_assert_uint_eq(big[i].len, 102);
	}
	{
		struct pd_multiaddr mix[4] = { big[0], big[1], big[2], ma[0] };

		ck_assert_int_eq(pd_kad_prov_add(pv, key, 2, &a, mix, 4, T0),
		    0);
	}
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 2, T0, out, 2), 1);
	ck_assert_uint_eq(out[0].naddrs, 3);
	ck_assert(pd_multiaddr_equal(&out[0].addrs[0], &big[0]));
	ck_assert(pd_multiaddr_equal(&out[0].addrs[1], &big[1]));
	ck_assert(pd_multiaddr_equal(&out[0].addrs[2], &ma[0]));
	/* key length: 80 fine, 0 and 81 refused */
	ck_assert_int_eq(pd_kad_prov_add(pv, key, PD_KAD_PROV_MAX_KEY, &a,
	    NULL, 0, T0), 0);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, PD_KAD_PROV_MAX_KEY + 1,
	    &a, NULL, 0, T0), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 0, &a, NULL, 0, T0),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, PD_KAD_PROV_MAX_KEY + 1, T0,
	    out, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_prov_get(pv, key, 3, T0, NULL, 1),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 3, NULL, NULL, 0, T0),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 3, &a, NULL, 1, T0),
	    PD_ERR_INVAL);
	memset(&bad, 0, sizeof(bad));
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 3, &bad, NULL, 0, T0),
	    PD_ERR_INVAL);
	/* a broken multiaddr struct: refused, store unchanged */
	ma[1].len = 0;
	ck_assert_int_eq(pd_kad_prov_add(pv, key, 4, &a, ma, 2, T0),
	    PD_ERR_INVAL);
	ck_assert_uint_eq(pd_kad_prov_count(pv), 3);
	ck_assert_uint_eq(pd_kad_prov_nkeys(pv), 3);
	ck_assert_int_eq(pd_kad_prov_add(NULL, key, 3, &a, NULL, 0, T0),
	    PD_ERR_INVAL);
	ck_assert_uint_eq(pd_kad_prov_count(NULL), 0);
	ck_assert_uint_eq(pd_kad_prov_expire(NULL, T0), 0);
	pd_kad_prov_free(pv);
}
END_TEST

/* ---- randomized model ---- */

#define M_KEYS 12
#define M_IDS 30
#define M_MAX_KEYS 6
#define M_MAX 512

struct model_ent {
	bool used;
	unsigned key, id;
	uint64_t exp, seq;
	size_t naddrs;
	struct pd_multiaddr addrs[PD_KAD_PROV_MAX_ADDRS];
};

static struct model_ent model[M_MAX];
static uint64_t key_seq[M_KEYS];	/* last add to the key */
static uint8_t mkeys[M_KEYS][PD_KAD_PROV_MAX_KEY];
static size_t mkeylen[M_KEYS];

static size_t
model_count_key(unsigned k)
{
	size_t n = 0;

	for (size_t i = 0; i < M_MAX; i++)
		n += model[i].used && model[i].key == k;
	return n;
}

static int
model_find(unsigned k, unsigned id)
{
	for (int i = 0; i < M_MAX; i++)
		if (model[i].used && model[i].key == k && model[i].id == id)
			return i;
	return -1;
}

/* (exp, seq) order */
static bool
model_before(const struct model_ent *a, const struct model_ent *b)
{
	return a->exp < b->exp || (a->exp == b->exp && a->seq < b->seq);
}

static uint64_t
model_newest(unsigned k)
{
	uint64_t m = 0;

	for (size_t i = 0; i < M_MAX; i++)
		if (model[i].used && model[i].key == k && model[i].exp > m)
			m = model[i].exp;
	return m;
}

static void
model_drop_key(unsigned k)
{
	for (size_t i = 0; i < M_MAX; i++)
		if (model[i].key == k)
			model[i].used = false;
}

static size_t
model_nkeys(void)
{
	size_t n = 0;

	for (unsigned k = 0; k < M_KEYS; k++)
		n += model_count_key(k) > 0;
	return n;
}

static void
model_pack(struct model_ent *e, const struct pd_multiaddr *ma, size_t n)
{
	size_t total = 0;

	e->naddrs = 0;
	for (size_t i = 0; i < n; i++) {
		if (e->naddrs == PD_KAD_PROV_MAX_ADDRS ||
		    ma[i].len > PD_KAD_PROV_MAX_ADDR_BYTES - total)
			continue;
		e->addrs[e->naddrs++] = ma[i];
		total += ma[i].len;
	}
}

static void
model_add(unsigned k, unsigned id, const struct pd_multiaddr *ma, size_t n,
    uint64_t now, uint64_t seq)
{
	int i = model_find(k, id), j;

	if (i < 0) {
		if (model_count_key(k) == PD_KAD_PROV_MAX_PER_KEY) {
			int min = -1;

			for (j = 0; j < M_MAX; j++)
				if (model[j].used && model[j].key == k &&
				    (min < 0 || model_before(&model[j],
				    &model[min])))
					min = j;
			model[min].used = false;
		} else if (model_count_key(k) == 0 &&
		    model_nkeys() == M_MAX_KEYS) {
			unsigned victim = M_KEYS;

			for (unsigned q = 0; q < M_KEYS; q++) {
				if (model_count_key(q) == 0)
					continue;
				if (victim == M_KEYS ||
				    model_newest(q) < model_newest(victim) ||
				    (model_newest(q) == model_newest(victim) &&
				    key_seq[q] < key_seq[victim]))
					victim = q;
			}
			model_drop_key(victim);
		}
		for (i = 0; model[i].used; i++)
			;
		model[i].used = true;
		model[i].key = k;
		model[i].id = id;
		model[i].naddrs = 0;
	}
	model[i].exp = now + TTL;
	model[i].seq = seq;
	if (n > 0)
		model_pack(&model[i], ma, n);
	key_seq[k] = seq;
}

static void
model_check_get(struct pd_kad_prov *pv, unsigned k, uint64_t now, size_t n)
{
	struct model_ent *want[M_MAX];
	size_t nw = 0, i, j;
	int got;

	for (i = 0; i < M_MAX; i++)
		if (model[i].used && model[i].key == k && model[i].exp > now)
			want[nw++] = &model[i];
	/* sort newest first */
	for (i = 1; i < nw; i++)
		for (j = i; j > 0 && model_before(want[j - 1], want[j]); j--) {
			struct model_ent *t = want[j];

			want[j] = want[j - 1];
			want[j - 1] = t;
		}
	got = pd_kad_prov_get(pv, mkeys[k], mkeylen[k], now, out, n);
	ck_assert_int_eq(got, (int)(nw < n ? nw : n));
	for (i = 0; i < (size_t)got; i++) {
		struct pd_peerid id = test_id(want[i]->id);

		ck_assert(pd_peerid_equal(&out[i].id, &id));
		ck_assert_uint_eq(out[i].expires_ms, want[i]->exp);
		ck_assert_uint_eq(out[i].naddrs, want[i]->naddrs);
		for (j = 0; j < out[i].naddrs; j++)
			ck_assert(pd_multiaddr_equal(&out[i].addrs[j],
			    &want[i]->addrs[j]));
	}
}

static size_t
model_expire(uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < M_MAX; i++)
		if (model[i].used && model[i].exp <= now) {
			model[i].used = false;
			n++;
		}
	return n;
}

static size_t
model_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < M_MAX; i++)
		n += model[i].used;
	return n;
}

static struct pd_multiaddr
model_rand_addr(void)
{
	struct pd_multiaddr ma;
	char text[160];
	uint64_t r = prov_rng();

	if (r % 3 != 0)
		return test_addr((unsigned)(r >> 8));
	snprintf(text, sizeof(text), "/dns/%.*s/tcp/443",
	    (int)(1 + (r >> 8) % 120),
	    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh");
	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

START_TEST(test_model)
{
	struct pd_kad_prov *pv = pd_kad_prov_new(M_MAX_KEYS);
	struct pd_multiaddr ma[7];
	uint64_t now = T0, seq = 0;
	unsigned k, id, step;
	size_t n, i;

	memset(model, 0, sizeof(model));
	memset(key_seq, 0, sizeof(key_seq));
	for (k = 0; k < M_KEYS; k++) {
		mkeylen[k] = 1 + (size_t)(prov_rng() % PD_KAD_PROV_MAX_KEY);
		for (i = 0; i < mkeylen[k]; i++)
			mkeys[k][i] = (uint8_t)prov_rng();
		mkeys[k][0] = (uint8_t)k;	/* distinct */
	}
	for (step = 0; step < 20000; step++) {
		uint64_t r = prov_rng();

		switch (r % 16) {
		case 0:		/* time jumps: mostly forward */
			now += prov_rng() % (TTL / 3);
			break;
		case 1:
			now -= prov_rng() % 3600000;
			break;
		case 2:
			ck_assert_uint_eq(pd_kad_prov_expire(pv, now),
			    model_expire(now));
			break;
		case 3: case 4: case 5:
			model_check_get(pv, (unsigned)(prov_rng() % M_KEYS),
			    now + prov_rng() % (TTL / 2),
			    (size_t)(prov_rng() % 25));
			break;
		default:
			k = (unsigned)(prov_rng() % M_KEYS);
			id = (unsigned)(prov_rng() % M_IDS);
			n = (size_t)(prov_rng() % 8);
			for (i = 0; i < n; i++)
				ma[i] = model_rand_addr();
			{
				struct pd_peerid pid = test_id(id);

				ck_assert_int_eq(pd_kad_prov_add(pv, mkeys[k],
				    mkeylen[k], &pid, ma, n, now), 0);
			}
			model_add(k, id, ma, n, now, ++seq);
			now += prov_rng() % 5;	/* ties happen */
			break;
		}
		ck_assert_uint_eq(pd_kad_prov_count(pv), model_count());
		ck_assert_uint_eq(pd_kad_prov_nkeys(pv), model_nkeys());
	}
	for (k = 0; k < M_KEYS; k++)
		model_check_get(pv, k, 0, PD_KAD_PROV_MAX_PER_KEY);
	pd_kad_prov_free(pv);
}
END_TEST

static Suite *
kad_prov_suite(void)
{
	Suite *s = suite_create("pd_kad_prov");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_expiry);
	suite_add_tcase(s, tc);
	tc = tcase_create("caps");
	tcase_add_test(tc, test_per_key_cap);
	tcase_add_test(tc, test_key_cap);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_addr_caps_and_args);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_test(tc, test_model);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	prov_rng_state = pd_test_seed("check_kad_providers");
	return pd_test_run(kad_prov_suite());
}
