/*
 * rt.c - the Kademlia routing table: 256 buckets indexed by the common
 * prefix length of a peer's key with ours, each with at most k admitted
 * peers and a small replacement cache, a go-style IP diversity filter,
 * exact nearest-peer selection, and refresh-target generation.
 *
 * Called by the kad glue (query responses, identify events, FIND_NODE
 * server) and by the dht.routing_table RPC.  Sans-IO: no clock, no
 * randomness, no sockets (see rt.h for the two-step admission protocol).
 * Entries are allocated one by one so that pointers handed out stay valid
 * until the peer leaves; each bucket keeps arrays of pointers sized for
 * k (live) and cfg.replacements (cache), allocated on first use.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "kad/rt.h"

struct rt_bucket {
	struct pd_kad_rt_peer **live;	/* nlive <= k, insertion order */
	size_t nlive;
	struct pd_kad_rt_peer **repl;	/* nrepl <= cfg.replacements */
	size_t nrepl;
	struct pd_kad_rt_peer *pending;	/* live entry being checked, or NULL */
	uint64_t pending_ms;		/* when the check was asked for */
	uint64_t refreshed_ms;		/* last refresh, 0 = never */
};

struct pd_kad_rt {
	struct pd_peerid self;
	struct pd_kad_key self_key;
	struct pd_kad_rt_config cfg;
	size_t size;			/* admitted peers */
	struct rt_bucket b[PD_KAD_RT_BUCKETS];
};

/* ---- keys ---------------------------------------------------------------- */

void
pd_kad_rt_key_hash(const void *data, size_t n, struct pd_kad_key *ret_key)
{
	crypto_hash_sha256(ret_key->bytes, data, (unsigned long long)n);
}

void
pd_kad_rt_key_of_peer(const struct pd_peerid *id, struct pd_kad_key *ret_key)
{
	pd_kad_rt_key_hash(id->bytes, id->len, ret_key);
}

unsigned
pd_kad_rt_key_cpl(const struct pd_kad_key *a, const struct pd_kad_key *b)
{
	unsigned i;

	for (i = 0; i < PD_KAD_KEY_LEN; i++) {
		uint8_t x = a->bytes[i] ^ b->bytes[i];

		if (x != 0)
			return i * 8 + (unsigned)__builtin_clz(x) - 24;
	}
	return PD_KAD_KEY_LEN * 8;
}

int
pd_kad_rt_key_cmp(const struct pd_kad_key *target, const struct pd_kad_key *a,
    const struct pd_kad_key *b)
{
	unsigned i;

	for (i = 0; i < PD_KAD_KEY_LEN; i++) {
		uint8_t da = a->bytes[i] ^ target->bytes[i];
		uint8_t db = b->bytes[i] ^ target->bytes[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

/* ---- entries ------------------------------------------------------------- */

/*
 * The IP group of ma for the diversity filter: 4 ‖ first two octets, or
 * 6 ‖ first six bytes; a v4-mapped ip6 counts as ip4.  Returns false for
 * non-IP addresses and (when exempt) loopback/private ones.
 */
static bool
rt_addr_group(const struct pd_multiaddr *ma, bool exempt,
    struct pd_kad_rt_group *ret_g)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct pd_multiaddr_comp c;
	size_t off = 0;

	if (pd_multiaddr_next(ma, &off, &c) != 1)
		return false;
	if (c.code == PD_MULTIADDR_IP6ZONE &&
	    pd_multiaddr_next(ma, &off, &c) != 1)
		return false;
	if (exempt && (pd_multiaddr_is_private(ma) ||
	    pd_multiaddr_is_loopback(ma)))
		return false;
	memset(ret_g, 0, sizeof(*ret_g));
	if (c.code == PD_MULTIADDR_IP4 && c.value_len == 4) {
		ret_g->bytes[0] = 4;
		memcpy(ret_g->bytes + 1, c.value, 2);
		return true;
	}
	if (c.code == PD_MULTIADDR_IP6 && c.value_len == 16) {
		if (memcmp(c.value, v4mapped, sizeof(v4mapped)) == 0) {
			ret_g->bytes[0] = 4;
			memcpy(ret_g->bytes + 1, c.value + 12, 2);
		} else {
			ret_g->bytes[0] = 6;
			memcpy(ret_g->bytes + 1, c.value, 6);
		}
		return true;
	}
	return false;
}

/* Recompute e->groups from its addresses (distinct groups only). */
static void
rt_entry_groups(const struct pd_kad_rt *rt, struct pd_kad_rt_peer *e)
{
	size_t i;
	unsigned j;

	e->ngroups = 0;
	for (i = 0; i < e->naddrs; i++) {
		struct pd_kad_rt_group g;

		if (!rt_addr_group(&e->addrs[i], rt->cfg.diversity.exempt_private,
		    &g))
			continue;
		for (j = 0; j < e->ngroups; j++)
			if (memcmp(&e->groups[j], &g, sizeof(g)) == 0)
				break;
		if (j == e->ngroups && e->ngroups < PD_KAD_RT_MAX_ADDRS)
			e->groups[e->ngroups++] = g;
	}
}

/* Replace e's addresses by addrs[0..min(n, MAX)); n == 0 keeps the old. */
static int
rt_entry_set_addrs(struct pd_kad_rt_peer *e, const struct pd_multiaddr *addrs,
    size_t n)
{
	struct pd_multiaddr *a;

	if (n == 0)
		return 0;
	if (n > PD_KAD_RT_MAX_ADDRS)
		n = PD_KAD_RT_MAX_ADDRS;
	a = calloc(n, sizeof(*a));
	if (a == NULL)
		return PD_ERR_NOMEM;
	memcpy(a, addrs, n * sizeof(*a));
	free(e->addrs);
	e->addrs = a;
	e->naddrs = n;
	return 0;
}

static void
rt_entry_free(struct pd_kad_rt_peer *e)
{
	if (e == NULL)
		return;
	free(e->addrs);
	free(e);
}

static struct pd_kad_rt_peer *
rt_entry_new(const struct pd_kad_rt *rt, const struct pd_peerid *id,
    const struct pd_kad_key *key, unsigned cpl,
    const struct pd_multiaddr *addrs, size_t naddrs, uint64_t now)
{
	struct pd_kad_rt_peer *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->id = *id;
	e->key = *key;
	e->cpl = cpl;
	e->added_ms = now;
	e->last_seen_ms = now;
	if (rt_entry_set_addrs(e, addrs, naddrs) < 0) {
		free(e);
		return NULL;
	}
	rt_entry_groups(rt, e);
	return e;
}

/* ---- buckets ------------------------------------------------------------- */

/* Index of id in list[0..n), or -1. */
static ssize_t
rt_list_find(struct pd_kad_rt_peer *const *list, size_t n,
    const struct pd_peerid *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pd_peerid_equal(&list[i]->id, id))
			return (ssize_t)i;
	return -1;
}

/* Remove list[i], keeping the order. */
static void
rt_list_del(struct pd_kad_rt_peer **list, size_t *n, size_t i)
{
	memmove(list + i, list + i + 1, (*n - i - 1) * sizeof(*list));
	(*n)--;
}

/* Allocate bucket b's pointer arrays on first use. */
static int
rt_bucket_alloc(const struct pd_kad_rt *rt, struct rt_bucket *b)
{
	if (b->live == NULL) {
		b->live = calloc(rt->cfg.k, sizeof(*b->live));
		if (b->live == NULL)
			return PD_ERR_NOMEM;
	}
	if (b->repl == NULL && rt->cfg.replacements > 0) {
		b->repl = calloc(rt->cfg.replacements, sizeof(*b->repl));
		if (b->repl == NULL)
			return PD_ERR_NOMEM;
	}
	return 0;
}

/* How many admitted peers of list share group g. */
static unsigned
rt_count_group(struct pd_kad_rt_peer *const *list, size_t n,
    const struct pd_kad_rt_group *g)
{
	unsigned c = 0;
	size_t i;
	unsigned j;

	for (i = 0; i < n; i++)
		for (j = 0; j < list[i]->ngroups; j++)
			if (memcmp(&list[i]->groups[j], g, sizeof(*g)) == 0) {
				c++;
				break;
			}
	return c;
}

/* True if admitting e keeps every IP group within the diversity caps. */
static bool
rt_diversity_ok(const struct pd_kad_rt *rt, const struct pd_kad_rt_peer *e)
{
	const struct pd_kad_rt_diversity *d = &rt->cfg.diversity;
	unsigned j, i, total;

	for (j = 0; j < e->ngroups; j++) {
		const struct pd_kad_rt_group *g = &e->groups[j];
		const struct rt_bucket *b = &rt->b[e->cpl];

		if (d->per_bucket > 0 &&
		    rt_count_group(b->live, b->nlive, g) >= d->per_bucket)
			return false;
		if (d->per_table == 0)
			continue;
		total = 0;
		for (i = 0; i < PD_KAD_RT_BUCKETS && total < d->per_table; i++)
			total += rt_count_group(rt->b[i].live, rt->b[i].nlive, g);
		if (total >= d->per_table)
			return false;
	}
	return true;
}

/*
 * Promote the newest admissible replacement of bucket b into a free live
 * slot.  Replacements that fail the diversity filter stay cached.
 */
static void
rt_promote(struct pd_kad_rt *rt, struct rt_bucket *b, uint64_t now)
{
	ssize_t best = -1;
	size_t i;

	if (b->nlive >= rt->cfg.k)
		return;
	for (i = 0; i < b->nrepl; i++) {
		if (!rt_diversity_ok(rt, b->repl[i]))
			continue;
		if (best < 0 || b->repl[i]->last_seen_ms >=
		    b->repl[best]->last_seen_ms)
			best = (ssize_t)i;
	}
	if (best < 0)
		return;
	b->live[b->nlive++] = b->repl[best];
	b->repl[best]->added_ms = now;
	b->repl[best]->failures = 0;
	rt_list_del(b->repl, &b->nrepl, (size_t)best);
	rt->size++;
}

/* Drop live entry i of bucket b and promote a replacement. */
static void
rt_evict(struct pd_kad_rt *rt, struct rt_bucket *b, size_t i, uint64_t now)
{
	if (b->pending == b->live[i])
		b->pending = NULL;
	rt_entry_free(b->live[i]);
	rt_list_del(b->live, &b->nlive, i);
	rt->size--;
	rt_promote(rt, b, now);
}

/* Put (a copy of) the candidate in b's replacement cache, newest wins. */
static int
rt_cache(struct pd_kad_rt *rt, struct rt_bucket *b, const struct pd_peerid *id,
    const struct pd_kad_key *key, unsigned cpl,
    const struct pd_multiaddr *addrs, size_t naddrs, uint64_t now)
{
	struct pd_kad_rt_peer *e;
	ssize_t at = rt_list_find(b->repl, b->nrepl, id);
	size_t i, old;

	if (rt->cfg.replacements == 0)
		return 0;
	if (at >= 0) {
		e = b->repl[at];
		e->last_seen_ms = now;
		if (rt_entry_set_addrs(e, addrs, naddrs) < 0)
			return PD_ERR_NOMEM;
		rt_entry_groups(rt, e);
		return 0;
	}
	e = rt_entry_new(rt, id, key, cpl, addrs, naddrs, now);
	if (e == NULL)
		return PD_ERR_NOMEM;
	if (b->nrepl == rt->cfg.replacements) {
		old = 0;
		for (i = 1; i < b->nrepl; i++)
			if (b->repl[i]->last_seen_ms < b->repl[old]->last_seen_ms)
				old = i;
		rt_entry_free(b->repl[old]);
		rt_list_del(b->repl, &b->nrepl, old);
	}
	b->repl[b->nrepl++] = e;
	return 0;
}

/* ---- table --------------------------------------------------------------- */

void
pd_kad_rt_config_default(struct pd_kad_rt_config *ret_cfg)
{
	memset(ret_cfg, 0, sizeof(*ret_cfg));
	ret_cfg->k = PD_KAD_RT_DEFAULT_K;
	ret_cfg->replacements = PD_KAD_RT_DEFAULT_K;
	ret_cfg->max_failures = PD_KAD_RT_DEFAULT_MAX_FAILURES;
	ret_cfg->diversity.per_bucket = PD_KAD_RT_DIV_PER_BUCKET;
	ret_cfg->diversity.per_table = PD_KAD_RT_DIV_PER_TABLE;
	ret_cfg->diversity.exempt_private = true;
}

int
pd_kad_rt_new(const struct pd_peerid *self, const struct pd_kad_rt_config *cfg,
    struct pd_kad_rt **ret_rt)
{
	struct pd_kad_rt_config def;
	struct pd_kad_rt *rt;

	if (cfg == NULL) {
		pd_kad_rt_config_default(&def);
		cfg = &def;
	}
	if (self == NULL || self->len == 0 || self->len > PD_PEERID_MAX_BYTES ||
	    cfg->k == 0 || cfg->k > PD_KAD_RT_MAX_K ||
	    cfg->replacements > PD_KAD_RT_MAX_K || cfg->max_failures == 0 ||
	    cfg->max_failures > PD_KAD_RT_MAX_FAILURES)
		return PD_ERR_INVAL;
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return PD_ERR_NOMEM;
	rt->self = *self;
	rt->cfg = *cfg;
	pd_kad_rt_key_of_peer(self, &rt->self_key);
	*ret_rt = rt;
	return 0;
}

void
pd_kad_rt_free(struct pd_kad_rt *rt)
{
	size_t i, j;

	if (rt == NULL)
		return;
	for (i = 0; i < PD_KAD_RT_BUCKETS; i++) {
		for (j = 0; j < rt->b[i].nlive; j++)
			rt_entry_free(rt->b[i].live[j]);
		for (j = 0; j < rt->b[i].nrepl; j++)
			rt_entry_free(rt->b[i].repl[j]);
		free(rt->b[i].live);
		free(rt->b[i].repl);
	}
	free(rt);
}

const struct pd_kad_key *
pd_kad_rt_self_key(const struct pd_kad_rt *rt)
{
	return &rt->self_key;
}

const struct pd_kad_rt_config *
pd_kad_rt_config(const struct pd_kad_rt *rt)
{
	return &rt->cfg;
}

int
pd_kad_rt_add_candidate(struct pd_kad_rt *rt, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, uint64_t now,
    struct pd_peerid *ret_stale)
{
	struct pd_kad_rt_peer *e, *stale;
	struct pd_kad_key key;
	struct rt_bucket *b;
	unsigned cpl;
	ssize_t at;
	size_t i;
	int r;

	if (pd_peerid_equal(id, &rt->self))
		return PD_KAD_RT_REJECTED;
	pd_kad_rt_key_of_peer(id, &key);
	cpl = pd_kad_rt_key_cpl(&key, &rt->self_key);
	if (cpl >= PD_KAD_RT_BUCKETS)	/* a SHA-256 collision with us */
		return PD_KAD_RT_REJECTED;
	b = &rt->b[cpl];
	if (b->pending != NULL && now - b->pending_ms >= PD_KAD_RT_CHECK_TIMEOUT_MS)
		b->pending = NULL;	/* never reported: keep the old entry */
	at = rt_list_find(b->live, b->nlive, id);
	if (at >= 0) {
		e = b->live[at];
		if (rt_entry_set_addrs(e, addrs, naddrs) < 0)
			return PD_ERR_NOMEM;
		e->last_seen_ms = now;
		e->failures = 0;
		return PD_KAD_RT_UPDATED;
	}
	if ((r = rt_bucket_alloc(rt, b)) < 0)
		return r;
	e = rt_entry_new(rt, id, &key, cpl, addrs, naddrs, now);
	if (e == NULL)
		return PD_ERR_NOMEM;
	if (!rt_diversity_ok(rt, e)) {
		rt_entry_free(e);
		return PD_KAD_RT_REJECTED;
	}
	if (b->nlive < rt->cfg.k) {
		at = rt_list_find(b->repl, b->nrepl, id);
		if (at >= 0) {
			rt_entry_free(b->repl[at]);
			rt_list_del(b->repl, &b->nrepl, (size_t)at);
		}
		b->live[b->nlive++] = e;
		rt->size++;
		return PD_KAD_RT_ADDED;
	}
	rt_entry_free(e);
	if ((r = rt_cache(rt, b, id, &key, cpl, addrs, naddrs, now)) < 0)
		return r;
	if (b->pending != NULL)
		return PD_KAD_RT_CACHED;
	stale = b->live[0];
	for (i = 1; i < b->nlive; i++)
		if (b->live[i]->last_seen_ms < stale->last_seen_ms)
			stale = b->live[i];
	b->pending = stale;
	b->pending_ms = now;
	if (ret_stale != NULL)
		*ret_stale = stale->id;
	return PD_KAD_RT_PENDING_CHECK;
}

/* Locate id's bucket and live index; returns the bucket or NULL. */
static struct rt_bucket *
rt_locate(const struct pd_kad_rt *rt, const struct pd_peerid *id,
    ssize_t *ret_live, ssize_t *ret_repl)
{
	struct pd_kad_key key;
	const struct rt_bucket *b;
	unsigned cpl;

	pd_kad_rt_key_of_peer(id, &key);
	cpl = pd_kad_rt_key_cpl(&key, &rt->self_key);
	if (cpl >= PD_KAD_RT_BUCKETS)
		return NULL;
	b = &rt->b[cpl];
	*ret_live = rt_list_find(b->live, b->nlive, id);
	if (ret_repl != NULL)
		*ret_repl = rt_list_find(b->repl, b->nrepl, id);
	return (struct rt_bucket *)(uintptr_t)b;
}

int
pd_kad_rt_check_done(struct pd_kad_rt *rt, const struct pd_peerid *stale,
    bool alive, uint64_t now)
{
	struct rt_bucket *b;
	ssize_t at;

	b = rt_locate(rt, stale, &at, NULL);
	if (b == NULL || at < 0 || b->pending != b->live[at])
		return PD_ERR_NOT_FOUND;
	b->pending = NULL;
	if (now - b->pending_ms >= PD_KAD_RT_CHECK_TIMEOUT_MS)
		return PD_ERR_NOT_FOUND;
	if (alive) {
		b->live[at]->last_seen_ms = now;
		b->live[at]->failures = 0;
	} else
		rt_evict(rt, b, (size_t)at, now);
	return 0;
}

int
pd_kad_rt_remove(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now)
{
	struct rt_bucket *b;
	ssize_t at, rat;

	b = rt_locate(rt, id, &at, &rat);
	if (b == NULL || (at < 0 && rat < 0))
		return PD_ERR_NOT_FOUND;
	if (rat >= 0) {
		rt_entry_free(b->repl[rat]);
		rt_list_del(b->repl, &b->nrepl, (size_t)rat);
	}
	if (at >= 0)
		rt_evict(rt, b, (size_t)at, now);
	return 0;
}

int
pd_kad_rt_mark_failed(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now)
{
	struct rt_bucket *b;
	ssize_t at;

	b = rt_locate(rt, id, &at, NULL);
	if (b == NULL || at < 0)
		return PD_ERR_NOT_FOUND;
	if (++b->live[at]->failures < rt->cfg.max_failures)
		return 0;
	rt_evict(rt, b, (size_t)at, now);
	return 1;
}

int
pd_kad_rt_mark_seen(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now)
{
	struct rt_bucket *b;
	ssize_t at;

	b = rt_locate(rt, id, &at, NULL);
	if (b == NULL || at < 0)
		return PD_ERR_NOT_FOUND;
	b->live[at]->last_seen_ms = now;
	b->live[at]->failures = 0;
	return 0;
}

int
pd_kad_rt_mark_useful(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now)
{
	struct rt_bucket *b;
	ssize_t at;

	b = rt_locate(rt, id, &at, NULL);
	if (b == NULL || at < 0)
		return PD_ERR_NOT_FOUND;
	b->live[at]->last_seen_ms = now;
	b->live[at]->last_useful_ms = now;
	b->live[at]->failures = 0;
	return 0;
}

const struct pd_kad_rt_peer *
pd_kad_rt_find(const struct pd_kad_rt *rt, const struct pd_peerid *id)
{
	const struct rt_bucket *b;
	ssize_t at;

	b = rt_locate(rt, id, &at, NULL);
	if (b == NULL || at < 0)
		return NULL;
	return b->live[at];
}

/* Insert e into the sorted out[0..*n) of capacity cap if it is close enough. */
static void
rt_nearest_insert(const struct pd_kad_key *key, const struct pd_kad_rt_peer *e,
    const struct pd_kad_rt_peer **out, size_t *n, size_t cap)
{
	size_t i = *n;

	if (*n == cap && pd_kad_rt_key_cmp(key, &e->key, &out[cap - 1]->key) >= 0)
		return;
	if (*n < cap)
		(*n)++;
	else
		i = cap - 1;
	while (i > 0 && pd_kad_rt_key_cmp(key, &e->key, &out[i - 1]->key) < 0) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = e;
}

/* Offer every peer of bucket idx (but exclude) to the sorted output. */
static void
rt_nearest_bucket(const struct pd_kad_rt *rt, unsigned idx,
    const struct pd_kad_key *key, const struct pd_peerid *exclude,
    const struct pd_kad_rt_peer **out, size_t *n, size_t cap)
{
	const struct rt_bucket *b = &rt->b[idx];
	size_t i;

	for (i = 0; i < b->nlive; i++) {
		if (exclude != NULL && pd_peerid_equal(&b->live[i]->id, exclude))
			continue;
		rt_nearest_insert(key, b->live[i], out, n, cap);
	}
}

/*
 * Buckets in order of distance to key, with c = CPL(key, self): bucket c
 * (CPL with key > c), then all buckets > c as one group (distance has top
 * bit c), then buckets c-1 down to 0 (top bit j).  Groups are disjoint in
 * distance, so once out is full after a group the answer is exact.
 */
size_t
pd_kad_rt_nearest(const struct pd_kad_rt *rt, const struct pd_kad_key *key,
    const struct pd_peerid *exclude, const struct pd_kad_rt_peer **out,
    size_t n)
{
	unsigned c = pd_kad_rt_key_cpl(key, &rt->self_key);
	unsigned j;
	size_t got = 0;

	if (n == 0)
		return 0;
	if (c < PD_KAD_RT_BUCKETS) {
		rt_nearest_bucket(rt, c, key, exclude, out, &got, n);
		if (got == n)
			return got;
		for (j = c + 1; j < PD_KAD_RT_BUCKETS; j++)
			rt_nearest_bucket(rt, j, key, exclude, out, &got, n);
		if (got == n)
			return got;
	}
	for (j = c < PD_KAD_RT_BUCKETS ? c : PD_KAD_RT_BUCKETS; j-- > 0;) {
		rt_nearest_bucket(rt, j, key, exclude, out, &got, n);
		if (got == n)
			break;
	}
	return got;
}

size_t
pd_kad_rt_size(const struct pd_kad_rt *rt)
{
	return rt->size;
}

/* ---- buckets ------------------------------------------------------------- */

size_t
pd_kad_rt_bucket_size(const struct pd_kad_rt *rt, unsigned cpl)
{
	return cpl < PD_KAD_RT_BUCKETS ? rt->b[cpl].nlive : 0;
}

size_t
pd_kad_rt_bucket_replacements(const struct pd_kad_rt *rt, unsigned cpl)
{
	return cpl < PD_KAD_RT_BUCKETS ? rt->b[cpl].nrepl : 0;
}

const struct pd_kad_rt_peer *
pd_kad_rt_bucket_peer(const struct pd_kad_rt *rt, unsigned cpl, size_t i)
{
	if (cpl >= PD_KAD_RT_BUCKETS || i >= rt->b[cpl].nlive)
		return NULL;
	return rt->b[cpl].live[i];
}

int
pd_kad_rt_max_cpl(const struct pd_kad_rt *rt)
{
	int i;

	for (i = PD_KAD_RT_BUCKETS - 1; i >= 0; i--)
		if (rt->b[i].nlive > 0)
			return i;
	return -1;
}

uint64_t
pd_kad_rt_bucket_refreshed(const struct pd_kad_rt *rt, unsigned cpl)
{
	return cpl < PD_KAD_RT_BUCKETS ? rt->b[cpl].refreshed_ms : 0;
}

int
pd_kad_rt_mark_refreshed(struct pd_kad_rt *rt, unsigned cpl, uint64_t now)
{
	if (cpl >= PD_KAD_RT_BUCKETS)
		return PD_ERR_INVAL;
	rt->b[cpl].refreshed_ms = now;
	return 0;
}

int
pd_kad_rt_random_key(const struct pd_kad_rt *rt, unsigned cpl,
    const uint8_t rnd[PD_KAD_KEY_LEN], struct pd_kad_key *ret_key)
{
	struct pd_kad_key k;
	unsigned byte, bit;
	uint8_t keep;

	if (cpl >= PD_KAD_RT_BUCKETS)
		return PD_ERR_INVAL;
	byte = cpl / 8;
	bit = cpl % 8;
	memcpy(k.bytes, rnd, PD_KAD_KEY_LEN);
	memcpy(k.bytes, rt->self_key.bytes, byte);
	keep = (uint8_t)(0xff00u >> bit);	/* the bits above bit cpl */
	k.bytes[byte] = (uint8_t)((rt->self_key.bytes[byte] & keep) |
	    (~rt->self_key.bytes[byte] & (0x80u >> bit)) |
	    (rnd[byte] & (0xffu >> (bit + 1))));
	*ret_key = k;
	return 0;
}

int
pd_kad_rt_random_peerid(const struct pd_kad_rt *rt, unsigned cpl,
    const uint8_t rnd[PD_KAD_KEY_LEN], struct pd_peerid *ret_id,
    struct pd_kad_key *ret_key)
{
	uint8_t mh[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	struct pd_kad_key key;
	struct pd_peerid id;
	uint32_t i;

	if (cpl > PD_KAD_RT_MAX_REFRESH_CPL)
		return PD_ERR_INVAL;
	memcpy(mh + 2, rnd, PD_KAD_KEY_LEN);
	for (i = 0; i < PD_KAD_RT_MAX_KEYGEN_TRIES; i++) {
		mh[2] = rnd[0] ^ (uint8_t)i;
		mh[3] = rnd[1] ^ (uint8_t)(i >> 8);
		mh[4] = rnd[2] ^ (uint8_t)(i >> 16);
		mh[5] = rnd[3] ^ (uint8_t)(i >> 24);
		pd_kad_rt_key_hash(mh, sizeof(mh), &key);
		if (pd_kad_rt_key_cpl(&key, &rt->self_key) != cpl)
			continue;
		if (pd_peerid_from_bytes(mh, sizeof(mh), &id) < 0)
			return PD_ERR_NOT_FOUND;	/* cannot happen */
		*ret_id = id;
		if (ret_key != NULL)
			*ret_key = key;
		return 0;
	}
	return PD_ERR_NOT_FOUND;
}
