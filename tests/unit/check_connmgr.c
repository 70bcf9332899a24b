/*
 * check_connmgr.c - unit tests for lib/peer/connmgr.c on a fake clock:
 * configuration checks and derived values, trim selection with exact
 * victims and tie rules, go-libp2p-connmgr#46 (in-grace peers do not make
 * established ones be trimmed early), a randomized model test of the trim
 * (never a protected or in-grace peer, never below low water, at most one
 * trim per silence period, lowest scores first), back-off doubling, cap,
 * reset and jitter bounds, the dial budget (slots and per-minute refill),
 * inbound admission under a 500-connection flood from one IP (with and
 * without the loopback rate exemption), the hard cap, want-dial ranking,
 * score parts, table bounds, and live reload of smaller limits.
 * Randomized tests print their seed; PD_TEST_SEED replays a run.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/error.h"
#include "peer/connmgr.h"

#include "helpers.h"

static uint64_t tc_seed;

/* A sha2-256-shaped peer ID numbered n. */
static struct pd_peerid
tc_id(unsigned n)
{
	struct pd_peerid id;

	memset(&id, 0, sizeof(id));
	id.len = 34;
	id.bytes[0] = 0x12;
	id.bytes[1] = 0x20;
	id.bytes[2] = (uint8_t)(n >> 24);
	id.bytes[3] = (uint8_t)(n >> 16);
	id.bytes[4] = (uint8_t)(n >> 8);
	id.bytes[5] = (uint8_t)n;
	return id;
}

static unsigned
tc_num(const struct pd_peerid *id)
{
	return (unsigned)id->bytes[2] << 24 | (unsigned)id->bytes[3] << 16 |
	    (unsigned)id->bytes[4] << 8 | id->bytes[5];
}

static const struct sockaddr *
tc_sa(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(4050);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(4050);
	}
	return (const struct sockaddr *)ss;
}

/* A connection manager with cfg applied (must be valid). */
static struct pd_connmgr *
tc_new(const struct pd_connmgr_config *cfg)
{
	struct pd_connmgr *cm = pd_connmgr_new(tc_seed);
	char why[128];

	ck_assert_ptr_nonnull(cm);
	if (cfg != NULL)
		ck_assert_msg(pd_connmgr_set_config(cm, cfg, why,
		    sizeof(why)) == 0, "config: %s", why);
	return cm;
}

static void
tc_open(struct pd_connmgr *cm, unsigned n, bool inbound, int64_t now)
{
	struct pd_peerid id = tc_id(n);

	ck_assert_int_eq(pd_connmgr_conn_opened(cm, &id, inbound, NULL, now),
	    0);
}

static void
tc_close(struct pd_connmgr *cm, unsigned n, bool inbound, int64_t now)
{
	struct pd_peerid id = tc_id(n);

	ck_assert_int_eq(pd_connmgr_conn_closed(cm, &id, inbound, NULL, now),
	    0);
}

static void
tc_tag(struct pd_connmgr *cm, unsigned n, const char *name, int w)
{
	struct pd_peerid id = tc_id(n);

	ck_assert_int_eq(pd_connmgr_tag(cm, &id, name, w, 0), 0);
}

/* Trim and compare the victims with want[0..nwant) in order. */
static void
tc_trim_expect(struct pd_connmgr *cm, int64_t now, const unsigned *want,
    size_t nwant)
{
	struct pd_peerid ids[64];
	int n = pd_connmgr_trim(cm, now, ids, 64);

	ck_assert_int_eq(n, (int)nwant);
	for (size_t i = 0; i < nwant; i++)
		ck_assert_uint_eq(tc_num(&ids[i]), want[i]);
}

/* ------------------------------------------------------------------
 * Configuration
 */

START_TEST(test_config)
{
	struct pd_connmgr_config c, got;
	struct pd_connmgr *cm;
	char why[128];

	pd_connmgr_config_defaults(&c);
	ck_assert_uint_eq(c.max_peers, 50);
	ck_assert_uint_eq(c.min_peers, 5);
	ck_assert_int_eq(c.grace_ms, 20000);
	ck_assert_int_eq(c.retry_base_ms, 60000);
	ck_assert_int_eq(c.retry_max_ms, 3600000);
	ck_assert_uint_eq(c.max_per_ip, 8);
	ck_assert(c.exempt_loopback);
	cm = tc_new(NULL);
	pd_connmgr_get_config(cm, &got);
	ck_assert_uint_eq(got.low_water, 40);
	ck_assert_uint_eq(got.max_inbound, 50);

	/* low_water derived: 4/5 rounded down, at least min_peers. */
	c.max_peers = 6;
	c.min_peers = 5;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, why, sizeof(why)), 0);
	pd_connmgr_get_config(cm, &got);
	ck_assert_uint_eq(got.low_water, 5);
	ck_assert_uint_eq(got.max_inbound, 6);
	c.max_peers = 9;
	c.min_peers = 3;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, why, sizeof(why)), 0);
	pd_connmgr_get_config(cm, &got);
	ck_assert_uint_eq(got.low_water, 7);

	/* Rejections name the field and change nothing. */
	c.max_peers = 0;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "max_peers"));
	pd_connmgr_get_config(cm, &got);
	ck_assert_uint_eq(got.max_peers, 9);
	pd_connmgr_config_defaults(&c);
	c.min_peers = 51;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "min_peers"));
	pd_connmgr_config_defaults(&c);
	c.low_water = 3;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "low_water"));
	pd_connmgr_config_defaults(&c);
	c.retry_max_ms = c.retry_base_ms - 1;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "retry_max_ms"));
	pd_connmgr_config_defaults(&c);
	c.grace_ms = -1;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	pd_connmgr_config_defaults(&c);
	c.dial_max_inflight = 0;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	pd_connmgr_config_defaults(&c);
	c.max_inbound = PD_CONNMGR_MAX_INBOUND + 1;
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)),
	    PD_ERR_INVAL);
	pd_connmgr_config_defaults(&c);
	c.max_per_ip = 0;
	ck_assert_int_eq(pd_connmgr_config_check(&c, NULL, 0), PD_ERR_INVAL);
	pd_connmgr_config_defaults(&c);
	ck_assert_int_eq(pd_connmgr_config_check(&c, why, sizeof(why)), 0);
	pd_connmgr_free(cm);
	pd_connmgr_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------
 * Trim
 */

static void
tc_trim_config(struct pd_connmgr_config *c, unsigned max, unsigned low)
{
	pd_connmgr_config_defaults(c);
	c->max_peers = max;
	c->min_peers = low < 2 ? low : 2;
	c->low_water = low;
	c->grace_ms = 20000;
	c->silence_ms = 10000;
}

START_TEST(test_trim_exact)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_peerid id = tc_id(1);
	static const unsigned first[] = { 0, 2, 3, 4 };
	static const unsigned second[] = { 8 };

	tc_trim_config(&c, 5, 3);
	cm = tc_new(&c);
	for (unsigned i = 0; i < 8; i++) {
		tc_open(cm, i, false, 0);
		tc_tag(cm, i, "app", (int)i);
	}
	tc_open(cm, 8, true, 15000);
	tc_tag(cm, 8, "app", -100);
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "config", 0), 0);
	ck_assert_uint_eq(pd_connmgr_count(cm), 9);

	/* Everyone in grace at 10 s: nothing. */
	tc_trim_expect(cm, 10000, NULL, 0);
	/*
	 * 25 s: candidates 0,2..7 (1 protected, 8 in grace); 7 - low 3 = 4
	 * victims, lowest score first.
	 */
	tc_trim_expect(cm, 25000, first, 4);
	/* Silence period: nothing at 30 s even though still over. */
	tc_trim_expect(cm, 30000, NULL, 0);
	for (size_t i = 0; i < 4; i++)
		tc_close(cm, first[i], false, 31000);
	ck_assert_uint_eq(pd_connmgr_count(cm), 5);
	/* At max_peers exactly: no trim. */
	tc_trim_expect(cm, 36000, NULL, 0);
	tc_open(cm, 9, false, 31000);
	tc_open(cm, 10, false, 31000);
	tc_open(cm, 11, false, 31000);
	/*
	 * 36 s: 8 connected; candidates 5,6,7 and 8 (out of grace since
	 * 35 s); 9..11 in grace, 1 protected: one victim, peer 8 (-100).
	 */
	tc_trim_expect(cm, 36000, second, 1);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_trim_ties)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_stats st;
	struct pd_peerid ids[2];
	/* Equal scores: inbound-only first, then newest first, then ID. */
	static const unsigned want[] = { 3, 2, 4, 1, 0 };

	tc_trim_config(&c, 2, 1);
	c.grace_ms = 0;
	cm = tc_new(&c);
	tc_open(cm, 0, false, 100);
	tc_open(cm, 1, false, 200);
	tc_open(cm, 2, true, 100);
	tc_open(cm, 3, true, 300);
	tc_open(cm, 4, true, 100);
	tc_open(cm, 5, false, 100);
	tc_tag(cm, 5, "app", 1);
	tc_open(cm, 0, true, 500);	/* a second conn: 0 is not inbound-only */
	tc_trim_expect(cm, 1000, want, 5);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.trims, 1);
	ck_assert_uint_eq(st.peers_trimmed, 5);

	/* ret max caps the answer (lowest first) and counts as a trim. */
	pd_connmgr_free(cm);
	cm = tc_new(&c);
	for (unsigned i = 0; i < 6; i++)
		tc_open(cm, i, false, 0);
	tc_tag(cm, 0, "app", 5);
	ck_assert_int_eq(pd_connmgr_trim(cm, 1000, ids, 2), 2);
	ck_assert_uint_eq(tc_num(&ids[0]), 1);	/* same score, time: ID order */
	ck_assert_uint_eq(tc_num(&ids[1]), 2);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_trim_issue46)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_peerid ids[64];
	int n;

	/* 8 established + 30 in grace, low 8: nothing may go. */
	tc_trim_config(&c, 10, 8);
	cm = tc_new(&c);
	for (unsigned i = 0; i < 8; i++)
		tc_open(cm, i, false, 0);
	for (unsigned i = 100; i < 130; i++)
		tc_open(cm, i, true, 100000);
	ck_assert_int_eq(pd_connmgr_trim(cm, 105000, ids, 64), 0);

	/* 12 established + 30 in grace: 12 - 8 = 4 go, all established. */
	for (unsigned i = 8; i < 12; i++)
		tc_open(cm, i, false, 0);
	n = pd_connmgr_trim(cm, 106000, ids, 64);
	ck_assert_int_eq(n, 4);
	for (int i = 0; i < n; i++)
		ck_assert_uint_lt(tc_num(&ids[i]), 12);

	/* When the grace ends, the newcomers are candidates like others. */
	for (int i = 0; i < n; i++)
		tc_close(cm, tc_num(&ids[i]), false, 106000);
	n = pd_connmgr_trim(cm, 121000, ids, 64);
	ck_assert_int_eq(n, 38 - 8);
	pd_connmgr_free(cm);
}
END_TEST

/* The trim model: one entry per peer number. */
struct tm_peer {
	unsigned nin, nout;
	int64_t first;
	bool prot;
	int w;
};

#define TM_PEERS 120

static unsigned
tm_connected(const struct tm_peer *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < TM_PEERS; i++)
		n += m[i].nin + m[i].nout > 0;
	return n;
}

static bool
tm_candidate(const struct tm_peer *p, int64_t now, int64_t grace)
{
	return p->nin + p->nout > 0 && !p->prot && now - p->first >= grace;
}

/* Check one trim answer against the model, then apply it. */
static void
tm_check_trim(struct pd_connmgr *cm, struct tm_peer *m,
    const struct pd_connmgr_config *c, int64_t now, int64_t *last,
    uint64_t *rs)
{
	struct pd_peerid ids[TM_PEERS];
	size_t retmax = pd_test_rng(rs) % 8 == 0 ? pd_test_rng(rs) % 4 :
	    TM_PEERS;
	unsigned conn = tm_connected(m), ncand = 0, want = 0;
	int n = pd_connmgr_trim(cm, now, ids, retmax), maxv = -100000;
	bool victim[TM_PEERS] = { false };

	for (unsigned i = 0; i < TM_PEERS; i++)
		ncand += tm_candidate(&m[i], now, c->grace_ms);
	if (conn > c->max_peers && ncand > c->low_water && retmax > 0 &&
	    (*last < 0 || now - *last >= c->silence_ms))
		want = ncand - c->low_water < retmax ?
		    ncand - c->low_water : (unsigned)retmax;
	ck_assert_int_eq(n, (int)want);
	if (n == 0)
		return;
	ck_assert(*last < 0 || now - *last >= c->silence_ms);
	*last = now;
	ck_assert_uint_ge(conn - (unsigned)n, c->low_water);
	for (int i = 0; i < n; i++) {
		unsigned v = tc_num(&ids[i]);

		ck_assert_uint_lt(v, TM_PEERS);
		ck_assert(!victim[v]);
		victim[v] = true;
		ck_assert(!m[v].prot);
		ck_assert_int_ge(now - m[v].first, c->grace_ms);
		ck_assert_uint_gt(m[v].nin + m[v].nout, 0);
		if (m[v].w > maxv)
			maxv = m[v].w;
	}
	/* Lowest scores first: no candidate left behind scores lower. */
	for (unsigned i = 0; i < TM_PEERS; i++)
		if (!victim[i] && tm_candidate(&m[i], now, c->grace_ms))
			ck_assert_int_ge(m[i].w, maxv);
	for (int i = 0; i < n; i++) {
		unsigned v = tc_num(&ids[i]);

		if (pd_test_rng(rs) % 10 == 0)
			continue;	/* sometimes the close is late */
		while (m[v].nin > 0) {
			tc_close(cm, v, true, now);
			m[v].nin--;
		}
		while (m[v].nout > 0) {
			tc_close(cm, v, false, now);
			m[v].nout--;
		}
	}
}

/* One random step other than trim. */
static void
tm_step(struct pd_connmgr *cm, struct tm_peer *m, int64_t now, uint64_t *rs)
{
	unsigned v = (unsigned)(pd_test_rng(rs) % TM_PEERS);
	struct pd_peerid id = tc_id(v);
	bool in = pd_test_rng(rs) & 1;

	switch (pd_test_rng(rs) % 6) {
	case 0:
	case 1:
		if (m[v].nin + m[v].nout == 0)
			m[v].first = now;
		tc_open(cm, v, in, now);
		in ? m[v].nin++ : m[v].nout++;
		break;
	case 2:
		if ((in ? m[v].nin : m[v].nout) == 0)
			break;
		tc_close(cm, v, in, now);
		in ? m[v].nin-- : m[v].nout--;
		break;
	case 3:
		if (pd_test_rng(rs) % 3 == 0) {
			ck_assert_int_eq(pd_connmgr_protect(cm, &id, "t", now), 0);
			m[v].prot = true;
		} else if (m[v].prot) {
			ck_assert_int_eq(pd_connmgr_unprotect(cm, &id, "t"), 0);
			m[v].prot = false;
		}
		break;
	default:
		m[v].w = (int)(pd_test_rng(rs) % 41) - 20;
		tc_tag(cm, v, "app", m[v].w);
		break;
	}
}

START_TEST(test_trim_random)
{
	uint64_t rs = tc_seed ^ UINT64_C(0x7472696d);

	for (int run = 0; run < 30; run++) {
		struct tm_peer m[TM_PEERS];
		struct pd_connmgr_config c;
		struct pd_connmgr *cm;
		int64_t now = 0, last = -1;

		memset(m, 0, sizeof(m));
		pd_connmgr_config_defaults(&c);
		c.max_peers = 5 + (unsigned)(pd_test_rng(&rs) % 40);
		c.min_peers = (unsigned)(pd_test_rng(&rs) % (c.max_peers + 1));
		c.low_water = c.min_peers + (unsigned)(pd_test_rng(&rs) %
		    (c.max_peers - c.min_peers + 1));
		if (c.low_water == 0)
			c.low_water = 1;
		c.grace_ms = (int64_t)(pd_test_rng(&rs) % 30000);
		c.silence_ms = (int64_t)(pd_test_rng(&rs) % 20000);
		cm = tc_new(&c);
		for (int step = 0; step < 3000; step++) {
			now += (int64_t)(pd_test_rng(&rs) % 700);
			if (pd_test_rng(&rs) % 5 == 0)
				tm_check_trim(cm, m, &c, now, &last, &rs);
			else
				tm_step(cm, m, now, &rs);
			ck_assert_uint_eq(pd_connmgr_count(cm),
			    tm_connected(m));
		}
		pd_connmgr_free(cm);
	}
}
END_TEST

/* ------------------------------------------------------------------
 * Back-off and the dial budget
 */

static uint32_t
tc_fixed_rand(void *arg)
{
	return *(const uint32_t *)arg;
}

START_TEST(test_backoff)
{
	struct pd_connmgr *cm = tc_new(NULL);
	struct pd_peerid id = tc_id(7);
	struct pd_connmgr_score s;
	uint32_t mid = UINT32_C(0x80000000);
	static const int64_t want[] = { 60000, 120000, 240000, 480000,
	    960000, 1920000, 3600000, 3600000, 3600000 };
	unsigned fails;
	int64_t next, now = 1000;

	pd_connmgr_set_rand(cm, tc_fixed_rand, &mid);
	ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails, &next),
	    PD_ERR_NOT_FOUND);
	for (unsigned k = 0; k < 9; k++) {
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, now, false), 0);
		ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, now), 0);
		ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails, &next), 0);
		ck_assert_uint_eq(fails, k + 1);
		ck_assert_int_eq(next - now, want[k]);
		/* In back-off: refused unless asked explicitly. */
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, next - 1,
		    false), PD_ERR_DIAL_FAILED);
		now = next;
	}
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.failures, -45);
	ck_assert_int_eq(s.total, -45);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, now, false), 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, now), 0);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, now + 1, false),
	    PD_ERR_DIAL_FAILED);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, now + 1, true), 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, now), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.failures, -PD_CONNMGR_MAX_FAIL_PENALTY);
	/* Success resets. */
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, now, true), 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, true, now), 0);
	ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails, &next), 0);
	ck_assert_uint_eq(fails, 0);
	ck_assert_int_eq(next, 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.failures, 0);
	/* Jitter extremes: r = 0 gives d/2, r = max just under 3d/2. */
	mid = 0;
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, 0), 0);
	ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails, &next), 0);
	ck_assert_int_eq(next, 30000);
	mid = UINT32_MAX;
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, 0), 0);
	ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails, &next), 0);
	ck_assert_int_eq(next, 60000 + 120000 - 1);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_backoff_jitter)
{
	struct pd_connmgr_config c;
	bool low[10] = { false }, high[10] = { false };

	pd_connmgr_config_defaults(&c);
	c.retry_base_ms = 1000;
	c.retry_max_ms = 100000;
	for (unsigned s = 0; s < 200; s++) {
		struct pd_connmgr *cm = pd_connmgr_new(tc_seed + s);
		struct pd_peerid id = tc_id(s);
		int64_t d = 1000, next;
		unsigned fails;

		ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
		for (unsigned k = 1; k < 10; k++, d *= 2) {
			int64_t dc = d < c.retry_max_ms ? d : c.retry_max_ms;
			int64_t hi = dc * 3 / 2 < c.retry_max_ms ?
			    dc * 3 / 2 : c.retry_max_ms;

			ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false,
			    5000), 0);
			ck_assert_int_eq(pd_connmgr_backoff(cm, &id, &fails,
			    &next), 0);
			ck_assert_uint_eq(fails, k);
			ck_assert_int_ge(next - 5000, dc / 2);
			ck_assert_int_le(next - 5000, hi);
			if (next - 5000 < dc)
				low[k] = true;
			if (next - 5000 > dc)
				high[k] = true;
		}
		pd_connmgr_free(cm);
	}
	/* Jitter really spreads both ways (below the cap). */
	for (unsigned k = 1; k < 7; k++)
		ck_assert(low[k] && high[k]);
}
END_TEST

START_TEST(test_dial_budget)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_budget b;
	struct pd_connmgr_stats st;
	struct pd_peerid id;

	pd_connmgr_config_defaults(&c);
	c.dial_max_inflight = 3;
	cm = tc_new(&c);
	for (unsigned i = 0; i < 3; i++) {
		id = tc_id(i);
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), 0);
	}
	id = tc_id(0);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false),
	    PD_ERR_EXISTS);
	id = tc_id(3);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), -EAGAIN);
	pd_connmgr_budget(cm, 0, &b);
	ck_assert_uint_eq(b.dialing, 3);
	ck_assert_uint_eq(b.max_inflight, 3);
	ck_assert_uint_eq(b.tokens, 57);
	ck_assert_int_eq(b.next_token_ms, 1000);
	id = tc_id(1);
	pd_connmgr_dial_done(cm, &id);
	pd_connmgr_dial_done(cm, &id);	/* idempotent */
	id = tc_id(3);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), 0);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.dialing, 3);
	ck_assert_uint_eq(st.dials_deferred, 1);
	pd_connmgr_free(cm);

	/* Per minute: 6 tokens, one back every 10 s, bucket never over 6. */
	c.dial_max_inflight = 100;
	c.dial_per_minute = 6;
	cm = tc_new(&c);
	for (unsigned i = 0; i < 6; i++) {
		id = tc_id(i);
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 1000, false),
		    0);
		pd_connmgr_dial_done(cm, &id);
	}
	id = tc_id(6);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 1000, false),
	    -EAGAIN);
	pd_connmgr_budget(cm, 1000, &b);
	ck_assert_uint_eq(b.tokens, 0);
	ck_assert_int_eq(b.next_token_ms, 10000);
	pd_connmgr_budget(cm, 7000, &b);
	ck_assert_int_eq(b.next_token_ms, 4000);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 10999, false),
	    -EAGAIN);
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 11000, false), 0);
	pd_connmgr_dial_done(cm, &id);
	pd_connmgr_budget(cm, 500000, &b);
	ck_assert_uint_eq(b.tokens, 6);
	ck_assert_int_eq(b.next_token_ms, 0);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.dials_deferred, 2);
	pd_connmgr_free(cm);
}
END_TEST

/* ------------------------------------------------------------------
 * Inbound admission
 */

/* Flood n connections from ip; settle each accepted one as mode says. */
enum tc_settle { TC_KEEP_PENDING, TC_OPEN, TC_ABANDON };

static unsigned
tc_flood(struct pd_connmgr *cm, const char *ip, unsigned n,
    enum tc_settle mode, int64_t now, unsigned first_id)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa = tc_sa(&ss, ip);
	struct pd_peerid id;
	unsigned ok = 0;
	char why[128];
	int r;

	for (unsigned i = 0; i < n; i++) {
		why[0] = '\0';
		r = pd_connmgr_accept_check(cm, sa, now, why, sizeof(why));
		if (r != 0) {
			ck_assert_int_eq(r, PD_ERR_PEER_LIMIT);
			ck_assert(why[0] != '\0');
			continue;
		}
		ok++;
		id = tc_id(first_id + i);
		if (mode == TC_OPEN)
			ck_assert_int_eq(pd_connmgr_conn_opened(cm, &id, true,
			    sa, now), 0);
		else if (mode == TC_ABANDON)
			ck_assert_int_eq(pd_connmgr_accept_abandoned(cm, sa),
			    0);
	}
	return ok;
}

START_TEST(test_inbound_flood)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_stats st;
	struct sockaddr_storage ss;
	struct pd_peerid id = tc_id(1000);

	/* Defaults: loopback exempt from the rate only; per-IP holds. */
	cm = tc_new(NULL);
	ck_assert_uint_eq(tc_flood(cm, "127.0.0.1", 500, TC_OPEN, 0, 1000), 8);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.conns_inbound, 8);
	ck_assert_uint_eq(st.refused_inbound_per_ip, 492);
	ck_assert_uint_eq(st.refused_inbound_rate, 0);
	/* Handshakes in progress count too. */
	ck_assert_uint_eq(tc_flood(cm, "127.0.0.2", 500, TC_KEEP_PENDING, 0,
	    0), 8);
	/* One closes: one more fits. */
	ck_assert_int_eq(pd_connmgr_conn_closed(cm, &id, true,
	    tc_sa(&ss, "127.0.0.1"), 0), 0);
	ck_assert_uint_eq(tc_flood(cm, "127.0.0.1", 500, TC_OPEN, 0, 5000), 1);
	/* The same address written as v4-mapped v6 is the same IP. */
	ck_assert_uint_eq(tc_flood(cm, "::ffff:127.0.0.1", 5, TC_OPEN, 0, 0),
	    0);
	/* Loopback never runs out of rate: abandoned handshakes refill. */
	ck_assert_uint_eq(tc_flood(cm, "::1", 500, TC_ABANDON, 0, 0), 500);
	pd_connmgr_free(cm);

	/* Without the exemption the rate also applies to loopback. */
	pd_connmgr_config_defaults(&c);
	c.exempt_loopback = false;
	cm = tc_new(&c);
	ck_assert_uint_eq(tc_flood(cm, "127.0.0.1", 500, TC_OPEN, 0, 1000), 8);
	ck_assert_uint_eq(tc_flood(cm, "::1", 500, TC_ABANDON, 0, 0), 30);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.refused_inbound_per_ip, 492);
	ck_assert_uint_eq(st.refused_inbound_rate, 470);
	ck_assert_uint_eq(st.pending_inbound, 0);
	/* 30/min: one token every 2 s. */
	ck_assert_uint_eq(tc_flood(cm, "::1", 5, TC_ABANDON, 1999, 0), 0);
	ck_assert_uint_eq(tc_flood(cm, "::1", 5, TC_ABANDON, 2000, 0), 1);
	ck_assert_uint_eq(tc_flood(cm, "::1", 50, TC_ABANDON, 600000, 0), 30);
	/* Other addresses are rate limited the same way, independently. */
	ck_assert_uint_eq(tc_flood(cm, "192.0.2.7", 100, TC_ABANDON, 0, 0),
	    30);
	ck_assert_uint_eq(tc_flood(cm, "2001:db8::7", 100, TC_ABANDON, 0, 0),
	    30);
	ck_assert_int_eq(pd_connmgr_accept_abandoned(cm,
	    tc_sa(&ss, "2001:db8::7")), PD_ERR_NOT_FOUND);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_inbound_total)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_stats st;
	struct sockaddr_storage ss;
	struct sockaddr bad;
	unsigned got = 0;

	pd_connmgr_config_defaults(&c);
	c.max_inbound = 10;
	cm = tc_new(&c);
	got += tc_flood(cm, "198.51.100.1", 20, TC_OPEN, 0, 0);
	got += tc_flood(cm, "198.51.100.2", 20, TC_KEEP_PENDING, 0, 100);
	got += tc_flood(cm, "198.51.100.3", 20, TC_OPEN, 0, 200);
	ck_assert_uint_eq(got, 10);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.conns_inbound + st.pending_inbound, 10);
	ck_assert_uint_eq(st.pending_inbound, 2);
	ck_assert_uint_eq(st.refused_inbound_cap, 20 + 18);
	/* Abandoning a reservation frees a slot. */
	ck_assert_int_eq(pd_connmgr_accept_abandoned(cm,
	    tc_sa(&ss, "198.51.100.2")), 0);
	ck_assert_uint_eq(tc_flood(cm, "198.51.100.3", 5, TC_OPEN, 0, 300), 1);
	memset(&bad, 0, sizeof(bad));
	bad.sa_family = AF_UNIX;
	ck_assert_int_eq(pd_connmgr_accept_check(cm, &bad, 0, NULL, 0),
	    PD_ERR_INVAL);
	pd_connmgr_free(cm);
}
END_TEST

/* ------------------------------------------------------------------
 * Hard cap, want-dial, scores, protection, tables
 */

START_TEST(test_over_cap)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_peerid a = tc_id(0), x = tc_id(50), y = tc_id(51);

	pd_connmgr_config_defaults(&c);
	c.max_peers = 3;
	c.min_peers = 1;
	cm = tc_new(&c);
	tc_open(cm, 0, false, 0);
	tc_open(cm, 1, true, 0);
	ck_assert(!pd_connmgr_over_cap(cm, NULL));
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &x, 0, false), 0);
	ck_assert(pd_connmgr_over_cap(cm, NULL));
	ck_assert(pd_connmgr_over_cap(cm, &y));
	ck_assert(!pd_connmgr_over_cap(cm, &a));	/* already connected */
	ck_assert_int_eq(pd_connmgr_protect(cm, &y, "bootstrap", 0), 0);
	ck_assert(!pd_connmgr_over_cap(cm, &y));	/* protected */
	/* The dial succeeds: still 3, not 4. */
	ck_assert_int_eq(pd_connmgr_conn_opened(cm, &x, false, NULL, 1), 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &x, true, 1), 0);
	ck_assert_uint_eq(pd_connmgr_count(cm), 3);
	ck_assert(pd_connmgr_over_cap(cm, NULL));
	tc_close(cm, 1, true, 2);
	ck_assert(!pd_connmgr_over_cap(cm, NULL));
	/* A dial to a connected peer does not count; closing it does. */
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &a, 3, false), 0);
	ck_assert(!pd_connmgr_over_cap(cm, NULL));
	tc_close(cm, 0, false, 3);
	tc_open(cm, 9, false, 3);
	ck_assert(pd_connmgr_over_cap(cm, NULL));
	pd_connmgr_dial_done(cm, &a);
	ck_assert(!pd_connmgr_over_cap(cm, NULL));
	ck_assert_int_eq(pd_connmgr_conn_closed(cm, &a, false, NULL, 4),
	    PD_ERR_NOT_FOUND);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_want)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_candidate cand[10];
	struct pd_peerid out[10], id;
	static const unsigned want[] = { 15, 16, 12, 14, 11, 10 };
	int n;

	pd_connmgr_config_defaults(&c);
	c.min_peers = 10;
	c.max_peers = 20;
	cm = tc_new(&c);
	tc_open(cm, 1, false, 0);
	tc_open(cm, 2, false, 0);
	memset(cand, 0, sizeof(cand));
	for (unsigned i = 0; i < 10; i++)
		cand[i].id = tc_id(10 + i);
	cand[0].last_success_ms = 100;		/* 10 */
	cand[1].last_success_ms = 200;		/* 11: more recent than 10 */
	cand[2].bootstrap = true;		/* 12 */
	tc_tag(cm, 13, "app", 5);		/* 13: connected: skipped */
	tc_open(cm, 13, true, 0);
	tc_tag(cm, 14, "app", 5);		/* 14: score 5 */
	cand[5].protected = true;		/* 15 */
	tc_tag(cm, 16, PD_CONNMGR_TAG_BOOTSTRAP, 20);	/* 16: tagged, score 20 */
	id = tc_id(17);				/* 17: in back-off */
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, 0), 0);
	id = tc_id(18);				/* 18: being dialed */
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), 0);
	cand[9].id = tc_id(12);			/* a repeat of 12 */
	/* Need 10 - 3 connected - 1 dialing = 6. */
	n = pd_connmgr_want(cm, 1000, cand, 10, out, 10);
	ck_assert_int_eq(n, 6);
	for (int i = 0; i < n; i++)
		ck_assert_uint_eq(tc_num(&out[i]), want[i]);
	/* max and the budget limit the answer. */
	ck_assert_int_eq(pd_connmgr_want(cm, 1000, cand, 10, out, 2), 2);
	ck_assert_uint_eq(tc_num(&out[1]), 16);
	c.dial_max_inflight = 3;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
	ck_assert_int_eq(pd_connmgr_want(cm, 1000, cand, 10, out, 10), 2);
	/* Enough peers: nothing. */
	c.min_peers = 4;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
	ck_assert_int_eq(pd_connmgr_want(cm, 1000, cand, 10, out, 10), 0);
	ck_assert_int_eq(pd_connmgr_want(cm, 1000, cand,
	    PD_CONNMGR_MAX_CANDIDATES + 1, out, 10), PD_ERR_OVERFLOW);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_score)
{
	struct pd_connmgr *cm = tc_new(NULL);
	struct pd_peerid id = tc_id(3);
	struct pd_connmgr_score s;
	char name[40];

	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.total, 0);
	ck_assert(!s.protected);
	tc_tag(cm, 3, "app", 7);
	tc_tag(cm, 3, "app", 3);		/* replaces */
	tc_tag(cm, 3, "other", 5000);		/* clamped to 1000 */
	tc_tag(cm, 3, PD_CONNMGR_TAG_BOOTSTRAP, PD_CONNMGR_WEIGHT_BOOTSTRAP);
	tc_tag(cm, 3, PD_CONNMGR_TAG_DHT, PD_CONNMGR_WEIGHT_DHT);
	ck_assert_int_eq(pd_connmgr_set_latency(cm, &id, 30, 0), 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &id, false, 0), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.tags, 1003);
	ck_assert_int_eq(s.bootstrap, 20);
	ck_assert_int_eq(s.dht, 10);
	ck_assert_int_eq(s.latency, 10);
	ck_assert_int_eq(s.failures, -5);
	ck_assert_int_eq(s.total, 1003 + 20 + 10 + 10 - 5);
	ck_assert_int_eq(pd_connmgr_set_latency(cm, &id, 275, 0), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.latency, 5);
	ck_assert_int_eq(pd_connmgr_set_latency(cm, &id, 500, 0), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.latency, 0);
	ck_assert_int_eq(pd_connmgr_untag(cm, &id, "other"), 0);
	ck_assert_int_eq(pd_connmgr_untag(cm, &id, "other"), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_connmgr_untag(cm, &id, PD_CONNMGR_TAG_DHT), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.tags, 3);
	ck_assert_int_eq(s.dht, 0);
	ck_assert_int_eq(s.total, 3 + 20 - 5);
	/* Names: 1..32 chars; at most 16 tags. */
	memset(name, 'a', sizeof(name));
	name[PD_CONNMGR_MAX_TAG_LEN] = '\0';
	ck_assert_int_eq(pd_connmgr_tag(cm, &id, name, 1, 0), 0);
	name[PD_CONNMGR_MAX_TAG_LEN] = 'a';
	name[PD_CONNMGR_MAX_TAG_LEN + 1] = '\0';
	ck_assert_int_eq(pd_connmgr_tag(cm, &id, name, 1, 0), PD_ERR_INVAL);
	ck_assert_int_eq(pd_connmgr_tag(cm, &id, "", 1, 0), PD_ERR_INVAL);
	for (int i = 0; i < PD_CONNMGR_MAX_TAGS - 3; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		ck_assert_int_eq(pd_connmgr_tag(cm, &id, name, 1, 0), 0);
	}
	ck_assert_int_eq(pd_connmgr_tag(cm, &id, "one-too-many", 1, 0),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_connmgr_tag(cm, &id, "t0", 2, 0), 0);
	pd_connmgr_score(cm, &id, &s);
	ck_assert_int_eq(s.tags, 3 + 1 + (PD_CONNMGR_MAX_TAGS - 3) + 1);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_protect)
{
	struct pd_connmgr *cm = tc_new(NULL);
	struct pd_peerid id = tc_id(4);
	struct pd_connmgr_score s;
	char tag[80];

	ck_assert(!pd_connmgr_is_protected(cm, &id, NULL));
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "config", 0), 0);
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "config", 0), 0);
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "bootstrap", 0), 0);
	ck_assert(pd_connmgr_is_protected(cm, &id, NULL));
	ck_assert(pd_connmgr_is_protected(cm, &id, "config"));
	ck_assert(!pd_connmgr_is_protected(cm, &id, "app"));
	pd_connmgr_score(cm, &id, &s);
	ck_assert(s.protected);
	ck_assert_int_eq(pd_connmgr_unprotect(cm, &id, "config"), 1);
	ck_assert_int_eq(pd_connmgr_unprotect(cm, &id, "config"),
	    PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_connmgr_unprotect(cm, &id, "bootstrap"), 0);
	ck_assert(!pd_connmgr_is_protected(cm, &id, NULL));
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "", 0), PD_ERR_INVAL);
	memset(tag, 'p', sizeof(tag));
	tag[PD_CONNMGR_MAX_PROTECT_TAG_LEN + 1] = '\0';
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, tag, 0), PD_ERR_INVAL);
	for (int i = 0; i < PD_CONNMGR_MAX_PROTECT_TAGS; i++) {
		snprintf(tag, sizeof(tag), "p%d", i);
		ck_assert_int_eq(pd_connmgr_protect(cm, &id, tag, 0), 0);
	}
	ck_assert_int_eq(pd_connmgr_protect(cm, &id, "more", 0),
	    PD_ERR_OVERFLOW);
	pd_connmgr_free(cm);
}
END_TEST

START_TEST(test_tables_bounded)
{
	struct pd_connmgr *cm = tc_new(NULL);
	struct pd_connmgr_stats st;
	struct sockaddr_storage ss;
	struct pd_peerid keep = tc_id(1), conn = tc_id(2), old = tc_id(3);
	struct pd_peerid id;
	unsigned fails;
	int64_t next;
	char ip[64];

	ck_assert_int_eq(pd_connmgr_protect(cm, &keep, "config", 0), 0);
	tc_open(cm, 2, false, 0);
	ck_assert_int_eq(pd_connmgr_dial_result(cm, &old, false, 0), 0);
	for (unsigned i = 0; i < PD_CONNMGR_MAX_PEERS + 100; i++) {
		id = tc_id(1000 + i);
		ck_assert_int_eq(pd_connmgr_tag(cm, &id, "app", 1, 0), 0);
	}
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.peers_tracked, PD_CONNMGR_MAX_PEERS);
	ck_assert(pd_connmgr_is_protected(cm, &keep, NULL));
	ck_assert_uint_eq(pd_connmgr_count(cm), 1);
	ck_assert_int_eq(pd_connmgr_conn_closed(cm, &conn, false, NULL, 0), 0);
	ck_assert_int_eq(pd_connmgr_backoff(cm, &old, &fails, &next),
	    PD_ERR_NOT_FOUND);	/* forgotten, oldest first */
	id = tc_id(1000 + PD_CONNMGR_MAX_PEERS + 99);
	ck_assert_int_eq(pd_connmgr_untag(cm, &id, "app"), 0);

	for (unsigned i = 0; i < PD_CONNMGR_MAX_IPS + 50; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255,
		    i & 255);
		ck_assert_uint_eq(tc_flood(cm, ip, 1, TC_ABANDON, 0, 0), 1);
	}
	ck_assert_uint_eq(tc_flood(cm, "10.0.0.1", 1, TC_KEEP_PENDING, 0, 0),
	    1);
	pd_connmgr_stats(cm, &st);
	ck_assert_uint_eq(st.ips_tracked, PD_CONNMGR_MAX_IPS);
	ck_assert_int_eq(pd_connmgr_accept_abandoned(cm,
	    tc_sa(&ss, "10.0.0.1")), 0);
	pd_connmgr_free(cm);
}
END_TEST

/* ------------------------------------------------------------------
 * Live reload
 */

START_TEST(test_reload)
{
	struct pd_connmgr_config c;
	struct pd_connmgr *cm;
	struct pd_connmgr_budget b;
	struct pd_peerid ids[64], id;
	struct sockaddr_storage ss;
	const struct sockaddr *sa;

	pd_connmgr_config_defaults(&c);
	c.max_peers = 20;
	c.min_peers = 2;
	cm = tc_new(&c);
	for (unsigned i = 0; i < 20; i++)
		tc_open(cm, i, false, 0);
	ck_assert_int_eq(pd_connmgr_trim(cm, 60000, ids, 64), 0);
	/* Shrink to 10: low water becomes 8; the next trim takes 12. */
	c.max_peers = 10;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
	ck_assert(pd_connmgr_over_cap(cm, NULL));
	ck_assert_int_eq(pd_connmgr_trim(cm, 60000, ids, 64), 12);
	pd_connmgr_free(cm);

	/* max_per_ip 8 -> 4 with 8 open: refused until fewer than 4. */
	cm = tc_new(NULL);
	sa = tc_sa(&ss, "203.0.113.9");
	ck_assert_uint_eq(tc_flood(cm, "203.0.113.9", 8, TC_OPEN, 0, 0), 8);
	pd_connmgr_config_defaults(&c);
	c.max_per_ip = 4;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_uint_eq(tc_flood(cm, "203.0.113.9", 1, TC_OPEN, 0,
		    100), 0);
		id = tc_id(i);
		ck_assert_int_eq(pd_connmgr_conn_closed(cm, &id, true, sa, 0),
		    0);
	}
	ck_assert_uint_eq(tc_flood(cm, "203.0.113.9", 3, TC_OPEN, 0, 100), 1);

	/* Dial budget 8 -> 2 with 5 in flight; bucket clipped 60 -> 3. */
	for (unsigned i = 0; i < 5; i++) {
		id = tc_id(200 + i);
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), 0);
	}
	c.dial_max_inflight = 2;
	c.dial_per_minute = 3;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), 0);
	pd_connmgr_budget(cm, 0, &b);
	ck_assert_uint_eq(b.tokens, 3);
	ck_assert_uint_eq(b.dialing, 5);
	id = tc_id(300);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false),
		    -EAGAIN);
		ids[0] = tc_id(200 + i);
		pd_connmgr_dial_done(cm, &ids[0]);
	}
	ck_assert_int_eq(pd_connmgr_dial_request(cm, &id, 0, false), 0);
	/* A bad reload changes nothing. */
	c.max_peers = 0;
	ck_assert_int_eq(pd_connmgr_set_config(cm, &c, NULL, 0), PD_ERR_INVAL);
	pd_connmgr_get_config(cm, &c);
	ck_assert_uint_eq(c.max_peers, 50);
	pd_connmgr_free(cm);
}
END_TEST

static Suite *
connmgr_suite(void)
{
	Suite *s = suite_create("connmgr");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("trim");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_trim_exact);
	tcase_add_test(tc, test_trim_ties);
	tcase_add_test(tc, test_trim_issue46);
	tcase_add_test(tc, test_trim_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("dial");
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_backoff_jitter);
	tcase_add_test(tc, test_dial_budget);
	tcase_add_test(tc, test_over_cap);
	tcase_add_test(tc, test_want);
	suite_add_tcase(s, tc);

	tc = tcase_create("inbound");
	tcase_add_test(tc, test_inbound_flood);
	tcase_add_test(tc, test_inbound_total);
	suite_add_tcase(s, tc);

	tc = tcase_create("peers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_score);
	tcase_add_test(tc, test_protect);
	tcase_add_test(tc, test_tables_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	tc_seed = pd_test_seed("check_connmgr");
	return pd_test_run(connmgr_suite());
}
