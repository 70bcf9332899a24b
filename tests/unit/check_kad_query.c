/*
 * check_kad_query.c - unit tests for lib/kad/query.c: settings checks, α
 * cap, starvation, convergence on the β closest, duplicate and unknown
 * replies, the max_peers cap, request timeouts, the query deadline,
 * cancellation, and an in-process simulated network of 200 nodes, each
 * with its own routing table (lib/kad/rt.c) filled from a random subset
 * of the others.  The test delivers requests and replies one message at
 * a time with random latencies, some nodes fail or stay silent, and
 * lookups are compared with a brute-force search for the k closest
 * (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/peerid.h"
#include "kad/query.h"
#include "kad/rt.h"

#include "helpers.h"

static uint64_t q_rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	return pd_test_rng(&q_rng_state);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

/* A valid sha2-256 peer ID carrying n in bytes 2..5. */
static struct pd_peerid
mkid(uint32_t n)
{
	uint8_t b[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	struct pd_peerid id;

	memcpy(b + 2, &n, sizeof(n));
	b[12] = 0xa7;
	ck_assert_int_eq(pd_peerid_from_bytes(b, sizeof(b), &id), 0);
	return id;
}

static uint32_t
id_num(const struct pd_peerid *id)
{
	uint32_t n;

	memcpy(&n, id->bytes + 2, sizeof(n));
	return n;
}

static struct pd_kad_key
key_of(uint32_t n)
{
	struct pd_peerid id = mkid(n);
	struct pd_kad_key k;

	pd_kad_rt_key_of_peer(&id, &k);
	return k;
}

static struct pd_kad_key
random_key(void)
{
	struct pd_kad_key k;
	size_t i;

	for (i = 0; i < sizeof(k.bytes); i++)
		k.bytes[i] = (uint8_t)rng();
	return k;
}

static struct pd_multiaddr
mkaddr(uint32_t n)
{
	struct pd_multiaddr ma;
	char text[64];

	snprintf(text, sizeof(text), "/ip4/1.%u.%u.%u/tcp/4001",
	    (n >> 16) & 255, (n >> 8) & 255, n & 255);
	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

static struct pd_kad_query *
mkquery(const struct pd_kad_key *target, unsigned k, unsigned alpha,
    unsigned beta)
{
	struct pd_kad_query_config cfg;
	struct pd_kad_query *q = NULL;

	pd_kad_query_config_default(&cfg, target);
	cfg.k = k;
	cfg.alpha = alpha;
	cfg.beta = beta;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	return q;
}

static void
seed_n(struct pd_kad_query *q, uint32_t first, uint32_t n)
{
	uint32_t i;

	for (i = first; i < first + n; i++) {
		struct pd_peerid id = mkid(i);
		struct pd_multiaddr ma = mkaddr(i);

		ck_assert_int_eq(pd_kad_query_add_seed(q, &id, &ma, 1), 0);
	}
}

/* ---- state machine ------------------------------------------------------- */

START_TEST(test_config_checks)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query_config cfg, bad;
	struct pd_kad_query *q = NULL;

	pd_kad_query_config_default(&cfg, &t);
	ck_assert_uint_eq(cfg.k, 20);
	ck_assert_uint_eq(cfg.alpha, 10);
	ck_assert_uint_eq(cfg.beta, 3);
	ck_assert_uint_eq(cfg.max_peers, 1000);
	bad = cfg;
	bad.k = 0;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	bad = cfg;
	bad.alpha = 0;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	bad.alpha = PD_KAD_QUERY_MAX_ALPHA + 1;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	bad = cfg;
	bad.beta = 21;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	bad = cfg;
	bad.max_peers = 19;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	bad.max_peers = PD_KAD_QUERY_MAX_PEERS + 1;
	ck_assert_int_eq(pd_kad_query_new(&bad, 0, &q), PD_ERR_INVAL);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	ck_assert_mem_eq(pd_kad_query_target(q)->bytes, t.bytes, 32);
	pd_kad_query_free(q);
	pd_kad_query_free(NULL);
}
END_TEST

START_TEST(test_starved_without_seeds)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query *q = mkquery(&t, 20, 10, 3);
	const struct pd_kad_query_peer *out[4];

	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	ck_assert_uint_eq(pd_kad_query_next(q, 0, out, 4), 0);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_STARVED);
	ck_assert_uint_eq(pd_kad_query_deadline(q), UINT64_MAX);
	ck_assert_uint_eq(pd_kad_query_result(q, out, 4), 0);
	pd_kad_query_free(q);
}
END_TEST

START_TEST(test_alpha_and_order)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query *q = mkquery(&t, 20, 10, 3);
	const struct pd_kad_query_peer *out[64], *all[64];
	struct pd_peerid first;
	size_t n, i;

	seed_n(q, 1, 30);
	/* A duplicate seed is merged, not added. */
	seed_n(q, 1, 1);
	n = pd_kad_query_next(q, 5, out, 64);
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(pd_kad_query_inflight(q), 10);
	/* The ten handed out are the ten closest, in order. */
	for (i = 1; i < n; i++)
		ck_assert_int_lt(pd_kad_rt_key_cmp(&t, &out[i - 1]->key,
		    &out[i]->key), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(out[i]->state, PD_KAD_QUERY_WAITING);
		ck_assert_uint_eq(out[i]->sent_ms, 5);
		ck_assert_uint_eq(out[i]->hops, 1);
		ck_assert_uint_eq(out[i]->naddrs, 1);
	}
	first = out[0]->id;
	ck_assert_uint_eq(pd_kad_query_next(q, 6, out, 64), 0);
	ck_assert_int_eq(pd_kad_query_response(q, &first, NULL, 0, 7), 0);
	ck_assert_uint_eq(pd_kad_query_inflight(q), 9);
	ck_assert_int_eq(pd_kad_query_response(q, &first, NULL, 0, 7),
	    PD_ERR_NOT_FOUND);
	{
		struct pd_peerid stranger = mkid(999);

		ck_assert_int_eq(pd_kad_query_response(q, &stranger, NULL, 0,
		    7), PD_ERR_NOT_FOUND);
		ck_assert_int_eq(pd_kad_query_failure(q, &stranger, 7),
		    PD_ERR_NOT_FOUND);
	}
	/* max limits a call too. */
	ck_assert_uint_eq(pd_kad_query_next(q, 8, out, 0), 0);
	ck_assert_uint_eq(pd_kad_query_next(q, 8, out, 64), 1);
	ck_assert_uint_eq(pd_kad_query_deadline(q),
	    5 + PD_KAD_QUERY_REQUEST_TIMEOUT_MS);
	ck_assert_uint_eq(pd_kad_query_result(q, all, 64), 1);
	ck_assert(pd_peerid_equal(&all[0]->id, &first));
	pd_kad_query_free(q);
}
END_TEST

/* Answer every in-flight request with no closer peers. */
static void
answer_all(struct pd_kad_query *q, uint64_t now)
{
	const struct pd_kad_query_peer *out[64];
	struct pd_peerid ids[64];
	size_t n, i;

	n = pd_kad_query_next(q, now, out, 64);
	for (i = 0; i < n; i++)
		ids[i] = out[i]->id;
	for (i = 0; i < n; i++)
		(void)pd_kad_query_response(q, &ids[i], NULL, 0, now);
}

START_TEST(test_converge_on_beta)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query *q = mkquery(&t, 4, 2, 2);
	const struct pd_kad_query_peer *out[8];
	struct pd_peerid a, b;
	struct pd_kad_query_in in[2];
	struct pd_peerid near[2];
	struct pd_multiaddr ma = mkaddr(5);
	uint32_t ctr = 100, got = 0;
	size_t n;

	seed_n(q, 1, 6);
	n = pd_kad_query_next(q, 0, out, 8);
	ck_assert_uint_eq(n, 2);
	a = out[0]->id;
	b = out[1]->id;
	/* a answers with two peers closer than everything known. */
	while (got < 2) {
		struct pd_peerid id = mkid(ctr++);
		struct pd_kad_key k;

		pd_kad_rt_key_of_peer(&id, &k);
		if (pd_kad_rt_key_cmp(&t, &k, &out[0]->key) < 0)
			near[got++] = id;
	}
	in[0] = (struct pd_kad_query_in){ &near[0], &ma, 1 };
	in[1] = (struct pd_kad_query_in){ &near[1], NULL, 0 };
	ck_assert_int_eq(pd_kad_query_response(q, &a, in, 2, 1), 0);
	ck_assert_uint_eq(pd_kad_query_find(q, &near[0])->hops, 2);
	ck_assert_uint_eq(pd_kad_query_find(q, &near[0])->naddrs, 1);
	ck_assert_uint_eq(pd_kad_query_find(q, &near[1])->naddrs, 0);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	/* The two new closest peers get the free slot first. */
	n = pd_kad_query_next(q, 2, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pd_kad_query_response(q, &out[0]->id, NULL, 0, 3), 0);
	ck_assert_int_eq(pd_kad_query_failure(q, &b, 3), 0);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	while (pd_kad_query_status(q) == PD_KAD_QUERY_RUNNING)
		answer_all(q, 4);
	/* Beta 2: done once the two closest live peers answered. */
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_CONVERGED);
	ck_assert_int_eq(pd_kad_query_find(q, &b)->state,
	    PD_KAD_QUERY_UNREACHABLE);
	n = pd_kad_query_result(q, out, 8);
	ck_assert_uint_ge(n, 2);
	ck_assert(pd_peerid_equal(&out[0]->id, &near[0]) ||
	    pd_peerid_equal(&out[0]->id, &near[1]));
	{
		struct pd_kad_query_stats st;

		pd_kad_query_get_stats(q, &st);
		ck_assert_uint_eq(st.hops, 2);
		ck_assert_uint_eq(st.failures, 1);
		ck_assert_uint_eq(st.peers, 8);
	}
	/* Ended: nothing more is accepted. */
	ck_assert_int_eq(pd_kad_query_response(q, &a, NULL, 0, 5),
	    PD_ERR_CLOSED);
	ck_assert_int_eq(pd_kad_query_add_seed(q, &a, NULL, 0), PD_ERR_CLOSED);
	ck_assert_uint_eq(pd_kad_query_next(q, 5, out, 8), 0);
	pd_kad_query_free(q);
}
END_TEST

START_TEST(test_self_skipped)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query_config cfg;
	struct pd_kad_query *q = NULL;
	const struct pd_kad_query_peer *out[4];
	struct pd_peerid self = mkid(1), other = mkid(2);
	struct pd_kad_query_in in = { &self, NULL, 0 };

	pd_kad_query_config_default(&cfg, &t);
	cfg.self = self;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	ck_assert_int_eq(pd_kad_query_add_seed(q, &self, NULL, 0), 0);
	ck_assert_ptr_null(pd_kad_query_find(q, &self));
	ck_assert_int_eq(pd_kad_query_add_seed(q, &other, NULL, 0), 0);
	ck_assert_uint_eq(pd_kad_query_next(q, 0, out, 4), 1);
	ck_assert_int_eq(pd_kad_query_response(q, &other, &in, 1, 1), 0);
	ck_assert_ptr_null(pd_kad_query_find(q, &self));
	/* go checks starvation first: nothing HEARD or WAITING is left. */
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_STARVED);
	pd_kad_query_free(q);
}
END_TEST

static const struct pd_kad_key *sort_target;

static int
cmp_num(const void *a, const void *b)
{
	struct pd_kad_key ka = key_of(*(const uint32_t *)a);
	struct pd_kad_key kb = key_of(*(const uint32_t *)b);

	return pd_kad_rt_key_cmp(sort_target, &ka, &kb);
}

START_TEST(test_max_peers_cap)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query_config cfg;
	struct pd_kad_query *q = NULL;
	const struct pd_kad_query_peer *out[64];
	struct pd_kad_query_stats st;
	struct pd_peerid waiting;
	uint32_t nums[200];
	uint32_t i;
	int r, over = 0;

	pd_kad_query_config_default(&cfg, &t);
	cfg.max_peers = 20;
	cfg.alpha = 1;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	/* One in flight, so it cannot be evicted. */
	seed_n(q, 1000, 1);
	ck_assert_uint_eq(pd_kad_query_next(q, 0, out, 64), 1);
	waiting = out[0]->id;
	for (i = 0; i < 200; i++) {
		struct pd_peerid id = mkid(i);

		nums[i] = i;
		r = pd_kad_query_add_seed(q, &id, NULL, 0);
		ck_assert(r == 0 || r == PD_ERR_OVERFLOW);
		over += r == PD_ERR_OVERFLOW;
	}
	pd_kad_query_get_stats(q, &st);
	ck_assert_uint_eq(st.peers, 20);
	ck_assert_uint_eq(st.dropped, (unsigned)over);
	/* The waiting peer is never evicted; the 19 others are exactly the
	 * 19 closest of the 200. */
	sort_target = &t;
	qsort(nums, 200, sizeof(nums[0]), cmp_num);
	for (i = 0; i < 19; i++) {
		struct pd_peerid id = mkid(nums[i]);

		ck_assert_ptr_nonnull(pd_kad_query_find(q, &id));
	}
	ck_assert_ptr_nonnull(pd_kad_query_find(q, &waiting));
	pd_kad_query_free(q);
}
END_TEST

START_TEST(test_request_timeout)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query *q = mkquery(&t, 20, 10, 3);
	const struct pd_kad_query_peer *out[8];
	struct pd_kad_query_stats st;
	struct pd_peerid a, b;
	uint64_t rto = PD_KAD_QUERY_REQUEST_TIMEOUT_MS;

	seed_n(q, 1, 1);
	ck_assert_uint_eq(pd_kad_query_next(q, 100, out, 8), 1);
	a = out[0]->id;
	seed_n(q, 2, 1);
	ck_assert_uint_eq(pd_kad_query_next(q, 200, out, 8), 1);
	b = out[0]->id;
	ck_assert_uint_eq(pd_kad_query_deadline(q), 100 + rto);
	ck_assert_uint_eq(pd_kad_query_next(q, 100 + rto - 1, out, 8), 0);
	ck_assert_uint_eq(pd_kad_query_inflight(q), 2);
	/* a expires; its late reply is refused; b still counts. */
	ck_assert_uint_eq(pd_kad_query_next(q, 100 + rto, out, 8), 0);
	ck_assert_uint_eq(pd_kad_query_inflight(q), 1);
	ck_assert_int_eq(pd_kad_query_find(q, &a)->state,
	    PD_KAD_QUERY_UNREACHABLE);
	ck_assert_int_eq(pd_kad_query_response(q, &a, NULL, 0, 100 + rto),
	    PD_ERR_NOT_FOUND);
	ck_assert_uint_eq(pd_kad_query_deadline(q), 200 + rto);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	/* A reply arriving after expiry but before the next tick is refused
	 * too: the query expires first. */
	ck_assert_int_eq(pd_kad_query_response(q, &b, NULL, 0, 200 + rto),
	    PD_ERR_CLOSED);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_STARVED);
	pd_kad_query_get_stats(q, &st);
	ck_assert_uint_eq(st.timeouts, 2);
	ck_assert_uint_eq(st.requests, 2);
	pd_kad_query_free(q);
}
END_TEST

START_TEST(test_query_deadline_and_cancel)
{
	struct pd_kad_key t = random_key();
	struct pd_kad_query_config cfg;
	struct pd_kad_query *q = NULL;
	const struct pd_kad_query_peer *out[8];
	struct pd_peerid a;

	pd_kad_query_config_default(&cfg, &t);
	cfg.timeout_ms = 500;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 1000, &q), 0);
	seed_n(q, 1, 3);
	ck_assert_uint_eq(pd_kad_query_next(q, 1000, out, 8), 3);
	a = out[0]->id;
	ck_assert_uint_eq(pd_kad_query_deadline(q), 1500);
	ck_assert_int_eq(pd_kad_query_response(q, &a, NULL, 0, 1499), 0);
	ck_assert_uint_eq(pd_kad_query_next(q, 1500, out, 8), 0);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_TIMED_OUT);
	ck_assert_uint_eq(pd_kad_query_deadline(q), UINT64_MAX);
	ck_assert_uint_eq(pd_kad_query_result(q, out, 8), 1);
	pd_kad_query_cancel(q);	/* no effect once ended */
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_TIMED_OUT);
	pd_kad_query_free(q);

	/* Cancel in the middle. */
	cfg.timeout_ms = 0;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	seed_n(q, 1, 3);
	ck_assert_uint_eq(pd_kad_query_next(q, 0, out, 8), 3);
	a = out[0]->id;
	ck_assert_uint_eq(pd_kad_query_deadline(q),
	    PD_KAD_QUERY_REQUEST_TIMEOUT_MS);
	pd_kad_query_cancel(q);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_CANCELLED);
	ck_assert_int_eq(pd_kad_query_response(q, &a, NULL, 0, 1),
	    PD_ERR_CLOSED);
	ck_assert_int_eq(pd_kad_query_failure(q, &a, 1), PD_ERR_CLOSED);
	ck_assert_uint_eq(pd_kad_query_next(q, 1, out, 8), 0);
	ck_assert_uint_eq(pd_kad_query_deadline(q), UINT64_MAX);
	pd_kad_query_free(q);

	/* No deadlines at all. */
	cfg.request_timeout_ms = 0;
	ck_assert_int_eq(pd_kad_query_new(&cfg, 0, &q), 0);
	seed_n(q, 1, 1);
	ck_assert_uint_eq(pd_kad_query_next(q, 0, out, 8), 1);
	ck_assert_uint_eq(pd_kad_query_deadline(q), UINT64_MAX);
	ck_assert_uint_eq(pd_kad_query_next(q, UINT64_MAX - 1, out, 8), 0);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	pd_kad_query_free(q);
}
END_TEST

/* ---- simulated network --------------------------------------------------- */

#define SIM_N 200		/* nodes */
#define SIM_K 20
#define SIM_MAX_EVENTS 4096
#define SIM_MAX_STEPS 200000

enum sim_kind { SIM_OK = 0, SIM_FAILS, SIM_SILENT };

struct sim_event {
	uint64_t at;
	uint32_t node;
	bool fail;
};

struct sim {
	struct pd_peerid id[SIM_N];
	struct pd_kad_key key[SIM_N];
	struct pd_multiaddr addr[SIM_N];
	struct pd_kad_rt *rt[SIM_N];
	enum sim_kind kind[SIM_N];
	struct sim_event ev[SIM_MAX_EVENTS];
	size_t nev;
};

/* Ids 1..SIM_N map to node index id - 1. */
static void
sim_build(struct sim *s, unsigned know_pct, unsigned fail_pct,
    unsigned silent_pct)
{
	struct pd_kad_rt_config cfg;
	struct pd_peerid stale;
	uint32_t i, j, order[SIM_N];
	int r;

	memset(s, 0, sizeof(*s));
	pd_kad_rt_config_default(&cfg);
	cfg.k = SIM_K;
	cfg.diversity.per_bucket = 0;
	cfg.diversity.per_table = 0;
	for (i = 0; i < SIM_N; i++) {
		s->id[i] = mkid(i + 1);
		s->key[i] = key_of(i + 1);
		s->addr[i] = mkaddr(i + 1);
		ck_assert_int_eq(pd_kad_rt_new(&s->id[i], &cfg, &s->rt[i]), 0);
		r = (int)rng_below(100);
		s->kind[i] = r < (int)fail_pct ? SIM_FAILS :
		    r < (int)(fail_pct + silent_pct) ? SIM_SILENT : SIM_OK;
	}
	for (i = 0; i < SIM_N; i++) {
		for (j = 0; j < SIM_N; j++)
			order[j] = j;
		for (j = SIM_N - 1; j > 0; j--) {
			uint32_t x = rng_below(j + 1), tmp = order[j];

			order[j] = order[x];
			order[x] = tmp;
		}
		for (j = 0; j < SIM_N; j++) {
			uint32_t o = order[j];

			if (o == i || rng_below(100) >= know_pct)
				continue;
			r = pd_kad_rt_add_candidate(s->rt[i], &s->id[o],
			    &s->addr[o], 1, j, &stale);
			ck_assert_int_gt(r, 0);
			if (r == PD_KAD_RT_PENDING_CHECK)
				ck_assert_int_eq(pd_kad_rt_check_done(s->rt[i],
				    &stale, true, j), 0);
		}
	}
}

static void
sim_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < SIM_N; i++)
		pd_kad_rt_free(s->rt[i]);
}

static void
sim_push(struct sim *s, uint64_t at, uint32_t node, bool fail)
{
	ck_assert_uint_lt(s->nev, SIM_MAX_EVENTS);
	s->ev[s->nev++] = (struct sim_event){ at, node, fail };
}

/* Pop the earliest event (ties: first pushed). */
static bool
sim_pop(struct sim *s, struct sim_event *ret)
{
	size_t i, best = 0;

	if (s->nev == 0)
		return false;
	for (i = 1; i < s->nev; i++)
		if (s->ev[i].at < s->ev[best].at)
			best = i;
	*ret = s->ev[best];
	memmove(s->ev + best, s->ev + best + 1,
	    (s->nev - best - 1) * sizeof(s->ev[0]));
	s->nev--;
	return true;
}

/* Node `node` answers a FIND_NODE for target from origin (§9.3). */
static void
sim_answer(struct sim *s, struct pd_kad_query *q, uint32_t node,
    uint32_t origin, uint64_t now)
{
	const struct pd_kad_rt_peer *near[SIM_K];
	struct pd_kad_query_in in[SIM_K];
	size_t n, i;
	int r;

	n = pd_kad_rt_nearest(s->rt[node], pd_kad_query_target(q),
	    &s->id[origin], near, SIM_K);
	for (i = 0; i < n; i++)
		in[i] = (struct pd_kad_query_in){ &near[i]->id, near[i]->addrs,
		    near[i]->naddrs };
	r = pd_kad_query_response(q, &s->id[node], in, n, now);
	ck_assert(r == 0 || r == PD_ERR_CLOSED || r == PD_ERR_NOT_FOUND);
}

/*
 * Run one lookup from origin, message by message.  Returns the query
 * (ended) for the caller to inspect and free.
 */
static struct pd_kad_query *
sim_lookup(struct sim *s, uint32_t origin, const struct pd_kad_query_config *cfg0)
{
	const struct pd_kad_rt_peer *seeds[SIM_K];
	const struct pd_kad_query_peer *out[64];
	struct pd_kad_query_config cfg = *cfg0;
	struct pd_kad_query *q = NULL;
	struct sim_event ev;
	uint64_t now = 0, dl;
	size_t n, i, steps;

	cfg.self = s->id[origin];
	s->nev = 0;
	ck_assert_int_eq(pd_kad_query_new(&cfg, now, &q), 0);
	n = pd_kad_rt_nearest(s->rt[origin], &cfg.target, NULL, seeds,
	    cfg.k);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pd_kad_query_add_seed(q, &seeds[i]->id,
		    seeds[i]->addrs, seeds[i]->naddrs), 0);
	for (steps = 0; steps < SIM_MAX_STEPS; steps++) {
		n = pd_kad_query_next(q, now, out, 64);
		ck_assert_uint_le(pd_kad_query_inflight(q), cfg.alpha);
		for (i = 0; i < n; i++) {
			uint32_t node = id_num(&out[i]->id) - 1;

			ck_assert_uint_lt(node, SIM_N);
			ck_assert_uint_ne(node, origin);
			ck_assert_uint_gt(out[i]->naddrs, 0);
			if (s->kind[node] == SIM_SILENT)
				continue;
			sim_push(s, now + 10 + rng_below(90), node,
			    s->kind[node] == SIM_FAILS);
		}
		if (pd_kad_query_status(q) != PD_KAD_QUERY_RUNNING)
			break;
		dl = pd_kad_query_deadline(q);
		if (s->nev == 0) {
			ck_assert_uint_ne(dl, UINT64_MAX);
			now = dl;
			continue;
		}
		if (!sim_pop(s, &ev))
			break;
		if (dl < ev.at) {
			sim_push(s, ev.at, ev.node, ev.fail);
			now = dl;
			continue;
		}
		now = ev.at;
		if (ev.fail)
			ck_assert_int_eq(pd_kad_query_failure(q, &s->id[ev.node],
			    now), 0);
		else
			sim_answer(s, q, ev.node, origin, now);
	}
	ck_assert_uint_lt(steps, SIM_MAX_STEPS);
	ck_assert_int_ne(pd_kad_query_status(q), PD_KAD_QUERY_RUNNING);
	return q;
}

/* How many of the true k closest live nodes (but origin) q found. */
static size_t
sim_overlap(const struct sim *s, const struct pd_kad_query *q, uint32_t origin,
    unsigned k, bool *ret_first)
{
	const struct pd_kad_query_peer *res[PD_KAD_QUERY_MAX_K];
	uint32_t nums[SIM_N];
	size_t n = 0, m, i, j, hit = 0;

	for (i = 0; i < SIM_N; i++)
		if (i != origin && s->kind[i] == SIM_OK)
			nums[n++] = (uint32_t)i + 1;
	sort_target = pd_kad_query_target(q);
	qsort(nums, n, sizeof(nums[0]), cmp_num);
	m = pd_kad_query_result(q, res, k);
	for (i = 0; i < m; i++) {
		ck_assert_int_eq(s->kind[id_num(&res[i]->id) - 1], SIM_OK);
		if (i > 0)
			ck_assert_int_lt(pd_kad_rt_key_cmp(sort_target,
			    &res[i - 1]->key, &res[i]->key), 0);
	}
	for (i = 0; i < k && i < n; i++)
		for (j = 0; j < m; j++)
			if (id_num(&res[j]->id) == nums[i]) {
				hit++;
				break;
			}
	*ret_first = m > 0 && id_num(&res[0]->id) == nums[0];
	return hit;
}

/*
 * Run `runs` lookups for random targets; return the number that found all
 * k closest, and the number that found the single closest.
 */
static void
sim_campaign(struct sim *s, unsigned beta, bool followup, unsigned runs,
    unsigned *ret_exact,
    unsigned *ret_first, double *ret_overlap, double *ret_hops,
    double *ret_requests)
{
	struct pd_kad_query_config cfg;
	struct pd_kad_query_stats st;
	unsigned exact = 0, first = 0, r;
	double overlap = 0, hops = 0, reqs = 0;

	for (r = 0; r < runs; r++) {
		struct pd_kad_key t = random_key();
		uint32_t origin;
		struct pd_kad_query *q;
		size_t hit;
		bool f;

		do
			origin = rng_below(SIM_N);
		while (s->kind[origin] != SIM_OK);
		pd_kad_query_config_default(&cfg, &t);
		cfg.beta = beta;
		cfg.followup = followup;
		cfg.timeout_ms = 0;
		q = sim_lookup(s, origin, &cfg);
		ck_assert(pd_kad_query_status(q) == PD_KAD_QUERY_CONVERGED ||
		    pd_kad_query_status(q) == PD_KAD_QUERY_STARVED);
		hit = sim_overlap(s, q, origin, SIM_K, &f);
		exact += hit == SIM_K;
		first += f;
		overlap += (double)hit / SIM_K;
		pd_kad_query_get_stats(q, &st);
		hops += st.hops;
		reqs += st.requests;
		pd_kad_query_free(q);
	}
	*ret_exact = exact;
	*ret_first = first;
	*ret_overlap = overlap / runs;
	*ret_hops = hops / runs;
	*ret_requests = reqs / runs;
}

START_TEST(test_sim_lookup)
{
	static struct sim s;
	unsigned exact, first, runs = 40;
	double ov, hops, reqs;

	sim_build(&s, 50, 0, 0);
	/* beta = k: the k closest known peers must all answer. */
	sim_campaign(&s, SIM_K, true, runs, &exact, &first, &ov, &hops, &reqs);
	printf("sim beta=k: exact %u/%u first %u/%u overlap %.3f hops %.2f "
	    "requests %.1f\n", exact, runs, first, runs, ov, hops, reqs);
	ck_assert_uint_ge(exact, runs * 9 / 10);
	ck_assert_uint_eq(first, runs);
	ck_assert(hops >= 1.0 && hops < 6.0);
	/* go's defaults, beta = 3 plus the follow-up. */
	sim_campaign(&s, 3, true, runs, &exact, &first, &ov, &hops, &reqs);
	printf("sim beta=3 followup: exact %u/%u first %u/%u overlap %.3f "
	    "hops %.2f requests %.1f\n", exact, runs, first, runs, ov, hops,
	    reqs);
	ck_assert_uint_ge(first, runs * 9 / 10);
	ck_assert(ov >= 0.9);
	/* beta = 3 without the follow-up: the closest, about half the k. */
	sim_campaign(&s, 3, false, runs, &exact, &first, &ov, &hops, &reqs);
	printf("sim beta=3 no followup: exact %u/%u first %u/%u overlap %.3f "
	    "hops %.2f requests %.1f\n", exact, runs, first, runs, ov, hops,
	    reqs);
	ck_assert_uint_ge(first, runs * 9 / 10);
	ck_assert(ov >= 0.3);
	sim_free(&s);
}
END_TEST

START_TEST(test_sim_failures_timeouts)
{
	static struct sim s;
	unsigned exact, first, runs = 30;
	double ov, hops, reqs;

	/* 15% of nodes fail at once, 10% never answer (request timeout). */
	sim_build(&s, 50, 15, 10);
	sim_campaign(&s, SIM_K, true, runs, &exact, &first, &ov, &hops, &reqs);
	printf("sim faulty beta=k: exact %u/%u first %u/%u overlap %.3f "
	    "hops %.2f requests %.1f\n", exact, runs, first, runs, ov, hops,
	    reqs);
	ck_assert_uint_ge(first, runs * 9 / 10);
	ck_assert(ov >= 0.95);
	sim_campaign(&s, 3, true, runs, &exact, &first, &ov, &hops, &reqs);
	printf("sim faulty beta=3 followup: exact %u/%u first %u/%u overlap %.3f "
	    "hops %.2f requests %.1f\n", exact, runs, first, runs, ov, hops,
	    reqs);
	ck_assert_uint_ge(first, runs * 8 / 10);
	ck_assert(ov >= 0.75);
	sim_free(&s);
}
END_TEST

START_TEST(test_sim_find_peer_stop)
{
	static struct sim s;
	struct pd_kad_query_config cfg;
	struct pd_kad_query_stats st;
	unsigned r, stopped = 0;

	sim_build(&s, 50, 0, 0);
	for (r = 0; r < 20; r++) {
		uint32_t origin = rng_below(SIM_N), want;
		const struct pd_kad_query_peer *p;
		struct pd_kad_query *q;

		do
			want = rng_below(SIM_N);
		while (want == origin);
		pd_kad_query_config_default(&cfg, &s.key[want]);
		cfg.stop_cb = pd_kad_query_stop_at_peer;
		cfg.stop_arg = &s.id[want];
		q = sim_lookup(&s, origin, &cfg);
		p = pd_kad_query_find(q, &s.id[want]);
		if (pd_kad_query_status(q) == PD_KAD_QUERY_STOPPED) {
			stopped++;
			ck_assert_ptr_nonnull(p);
			ck_assert_uint_gt(p->naddrs, 0);
			ck_assert(pd_multiaddr_equal(&p->addrs[0],
			    &s.addr[want]));
		}
		pd_kad_query_get_stats(q, &st);
		ck_assert_uint_gt(st.requests, 0);
		pd_kad_query_free(q);
	}
	printf("sim find_peer: stopped %u/20\n", stopped);
	ck_assert_uint_ge(stopped, 19);
	sim_free(&s);
}
END_TEST

/* A query whose deadline passes while requests are in flight. */
START_TEST(test_sim_query_timeout)
{
	static struct sim s;
	struct pd_kad_query_config cfg;
	struct pd_kad_query *q;
	struct pd_kad_key t = random_key();

	/* Everyone is silent: requests time out after 10 s; 20 seeds at
	 * alpha 10 take two rounds, so the query starves at 20 s. */
	sim_build(&s, 50, 0, 100);
	s.kind[0] = SIM_OK;
	pd_kad_query_config_default(&cfg, &t);
	cfg.timeout_ms = 25000;
	q = sim_lookup(&s, 0, &cfg);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_STARVED);
	pd_kad_query_free(q);
	cfg.timeout_ms = 5000;
	q = sim_lookup(&s, 0, &cfg);
	ck_assert_int_eq(pd_kad_query_status(q), PD_KAD_QUERY_TIMED_OUT);
	pd_kad_query_free(q);
	sim_free(&s);
}
END_TEST

static Suite *
kad_query_suite(void)
{
	Suite *s = suite_create("pd_kad_query");
	TCase *tc;

	tc = tcase_create("machine");
	tcase_add_test(tc, test_config_checks);
	tcase_add_test(tc, test_starved_without_seeds);
	tcase_add_test(tc, test_alpha_and_order);
	tcase_add_test(tc, test_converge_on_beta);
	tcase_add_test(tc, test_self_skipped);
	tcase_add_test(tc, test_max_peers_cap);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_query_deadline_and_cancel);
	suite_add_tcase(s, tc);
	tc = tcase_create("sim");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_sim_lookup);
	tcase_add_test(tc, test_sim_failures_timeouts);
	tcase_add_test(tc, test_sim_find_peer_stop);
	tcase_add_test(tc, test_sim_query_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	q_rng_state = pd_test_seed("check_kad_query");
	return pd_test_run(kad_query_suite());
}
