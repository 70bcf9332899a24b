/*
 * connmgr.c - the connection manager's policy core: watermarks and trim
 * (with go-libp2p-connmgr#46's rule), protection and score tags, per-peer
 * dial back-off with jitter, the dial budget (slots in flight and a
 * per-minute token bucket), want-dial selection, and inbound admission
 * (total cap, max_per_ip with reservations for handshakes in progress,
 * per-IP rate buckets).
 *
 * Called by the manager (lib/peer/manager.c), which owns the sockets,
 * the timers and the clock; everything here is sans-IO and takes
 * `now_ms`.  It owns two bounded tables: peers (PD_CONNMGR_MAX_PEERS) and
 * source IPs (PD_CONNMGR_MAX_IPS), each a keyed-hash (SipHash, key from
 * the seed) chained table threaded on an LRU list whose tail is searched
 * for an entry that may be forgotten when the table is full.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/error.h"
#include "peer/connmgr.h"

#define CM_KEY_MAX (1 + PD_PEERID_MAX_BYTES)	/* len byte + ID bytes */
#define CM_BUCKETS_MIN 64		/* initial hash buckets per table */
#define CM_UNITS_PER_TOKEN 60000	/* bucket units: rate/min refills rate units per ms */
#define CM_MAX_FAILS 1000		/* consecutive failures counted */

/* A table entry's header; the first member of struct cm_peer / cm_ip. */
struct cm_node {
	struct cm_node *hnext;		/* hash chain */
	struct cm_node *prev, *next;	/* LRU list: head most recently touched */
	uint64_t hash;
	uint8_t klen;
	uint8_t key[CM_KEY_MAX];
};

/* Invariants: n <= max; nbuckets a power of two; every node on one chain. */
struct cm_table {
	struct cm_node **buckets;
	size_t nbuckets;
	size_t n, max;
	struct cm_node *head, *tail;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

/* A token bucket in units of 1/60000 token; starts full. */
struct cm_bucket {
	int64_t units;			/* level at at_ms */
	int64_t at_ms;
	bool set;			/* false: never used, full */
};

struct cm_tag {
	char name[PD_CONNMGR_MAX_TAG_LEN + 1];
	int weight;
};

struct cm_ptag {
	char name[PD_CONNMGR_MAX_PROTECT_TAG_LEN + 1];
};

/*
 * A tracked peer.  Connected iff nin + nout > 0.  Never forgotten while
 * connected, protected (nprot > 0) or dialing.
 */
struct cm_peer {
	struct cm_node node;
	struct pd_peerid id;
	unsigned nin, nout;		/* open connections by direction */
	int64_t first_open_ms;		/* connections went 0 -> 1: grace start */
	unsigned fails;			/* consecutive dial failures */
	int64_t next_dial_ms;		/* back-off deadline, 0 = none */
	int64_t last_success_ms;	/* last successful dial, 0 = never */
	bool dialing;			/* holds a dial budget slot */
	bool has_rtt;
	uint32_t rtt_ms;		/* last RTT, if has_rtt */
	int tagsum;			/* sum of tags[] weights but bootstrap/dht */
	unsigned ntags, nprot;
	struct cm_tag *tags;		/* PD_CONNMGR_MAX_TAGS, on first use */
	struct cm_ptag *prot;		/* PD_CONNMGR_MAX_PROTECT_TAGS, on first use */
};

/* A source IP.  Never forgotten while it has open or pending inbound. */
struct cm_ip {
	struct cm_node node;
	unsigned open;			/* open inbound connections */
	unsigned pending;		/* reserved by accept_check, not settled */
	struct cm_bucket rate;		/* new connections per minute */
};

struct pd_connmgr {
	struct pd_connmgr_config cfg;	/* resolved: no derived field is 0 */
	struct cm_table peers;
	struct cm_table ips;
	uint64_t rng;			/* splitmix64 state */
	uint32_t (*rand)(void *);	/* NULL: use rng */
	void *rand_arg;
	unsigned nconnected;		/* peers with nin + nout > 0 */
	unsigned inbound_open, outbound_open;	/* connections */
	unsigned inbound_pending;	/* sum of cm_ip.pending */
	unsigned ndialing;		/* peers with dialing set */
	unsigned ndial_new;		/* of which not connected */
	struct cm_bucket dial_bucket;
	int64_t last_trim_ms;		/* valid if trimmed */
	bool trimmed;
	struct pd_connmgr_stats st;	/* counters only; gauges filled on read */
};

/* ------------------------------------------------------------------
 * Helpers: formatting, randomness, token buckets
 */

static void connmgr_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
connmgr_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static uint64_t
connmgr_splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t
connmgr_rand32(struct pd_connmgr *cm)
{
	if (cm->rand != NULL)
		return cm->rand(cm->rand_arg);
	return (uint32_t)(connmgr_splitmix(&cm->rng) >> 32);
}

/* Level of b at now for a bucket of rate tokens per minute (also its size). */
static int64_t
connmgr_bucket_level(const struct cm_bucket *b, unsigned rate, int64_t now)
{
	int64_t cap = (int64_t)rate * CM_UNITS_PER_TOKEN;
	int64_t elapsed, level;

	if (!b->set)
		return cap;
	elapsed = now - b->at_ms;
	if (elapsed < 0)
		elapsed = 0;
	if (elapsed > CM_UNITS_PER_TOKEN)
		elapsed = CM_UNITS_PER_TOKEN;	/* a full refill; no overflow */
	level = b->units + elapsed * (int64_t)rate;
	return level < cap ? level : cap;
}

/* Take one token if there is one. */
static bool
connmgr_bucket_take(struct cm_bucket *b, unsigned rate, int64_t now)
{
	int64_t level = connmgr_bucket_level(b, rate, now);

	if (level < CM_UNITS_PER_TOKEN)
		return false;
	b->units = level - CM_UNITS_PER_TOKEN;
	b->at_ms = now;
	b->set = true;
	return true;
}

/* ------------------------------------------------------------------
 * Bounded keyed hash tables with an LRU list
 */

static int
connmgr_table_init(struct cm_table *t, size_t max, uint64_t *rng)
{
	for (size_t i = 0; i < sizeof(t->hkey); i++)
		t->hkey[i] = (uint8_t)connmgr_splitmix(rng);
	t->buckets = calloc(CM_BUCKETS_MIN, sizeof(*t->buckets));
	if (t->buckets == NULL)
		return PD_ERR_NOMEM;
	t->nbuckets = CM_BUCKETS_MIN;
	t->max = max;
	return 0;
}

static uint64_t
connmgr_table_hash(const struct cm_table *t, const uint8_t *key, size_t klen)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h = 0;

	crypto_shorthash(out, key, klen, t->hkey);
	for (size_t i = 0; i < sizeof(out); i++)
		h = (h << 8) | out[i];
	return h;
}

static struct cm_node *
connmgr_table_find(const struct cm_table *t, const uint8_t *key, size_t klen)
{
	uint64_t h = connmgr_table_hash(t, key, klen);
	struct cm_node *nd = t->buckets[h & (t->nbuckets - 1)];

	for (; nd != NULL; nd = nd->hnext)
		if (nd->hash == h && nd->klen == klen &&
		    memcmp(nd->key, key, klen) == 0)
			return nd;
	return NULL;
}

/* Double the bucket array (best effort: on OOM chains just get longer). */
static void
connmgr_table_grow(struct cm_table *t)
{
	size_t nb = t->nbuckets * 2;
	struct cm_node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;
	for (struct cm_node *nd = t->head; nd != NULL; nd = nd->next) {
		nd->hnext = b[nd->hash & (nb - 1)];
		b[nd->hash & (nb - 1)] = nd;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

static void
connmgr_lru_unlink(struct cm_table *t, struct cm_node *nd)
{
	if (nd->prev != NULL)
		nd->prev->next = nd->next;
	else
		t->head = nd->next;
	if (nd->next != NULL)
		nd->next->prev = nd->prev;
	else
		t->tail = nd->prev;
	nd->prev = nd->next = NULL;
}

static void
connmgr_lru_push(struct cm_table *t, struct cm_node *nd)
{
	nd->prev = NULL;
	nd->next = t->head;
	if (t->head != NULL)
		t->head->prev = nd;
	else
		t->tail = nd;
	t->head = nd;
}

static void
connmgr_table_touch(struct cm_table *t, struct cm_node *nd)
{
	if (t->head == nd)
		return;
	connmgr_lru_unlink(t, nd);
	connmgr_lru_push(t, nd);
}

/* Insert nd (key set, not present); the caller made room (n < max). */
static void
connmgr_table_insert(struct cm_table *t, struct cm_node *nd)
{
	size_t i;

	nd->hash = connmgr_table_hash(t, nd->key, nd->klen);
	i = nd->hash & (t->nbuckets - 1);
	nd->hnext = t->buckets[i];
	t->buckets[i] = nd;
	connmgr_lru_push(t, nd);
	if (++t->n > t->nbuckets && t->nbuckets < t->max)
		connmgr_table_grow(t);
}

static void
connmgr_table_remove(struct cm_table *t, struct cm_node *nd)
{
	struct cm_node **pp = &t->buckets[nd->hash & (t->nbuckets - 1)];

	while (*pp != nd)
		pp = &(*pp)->hnext;
	*pp = nd->hnext;
	connmgr_lru_unlink(t, nd);
	t->n--;
}

/* The least recently touched node that ok() lets go, or NULL. */
static struct cm_node *
connmgr_table_victim(const struct cm_table *t,
    bool (*ok)(const struct cm_node *))
{
	for (struct cm_node *nd = t->tail; nd != NULL; nd = nd->prev)
		if (ok(nd))
			return nd;
	return NULL;
}

/* ------------------------------------------------------------------
 * Peer entries
 */

static bool
connmgr_peer_valid(const struct pd_peerid *id)
{
	return id != NULL && id->len > 0 && id->len <= PD_PEERID_MAX_BYTES;
}

static size_t
connmgr_peer_key(const struct pd_peerid *id, uint8_t *key)
{
	key[0] = id->len;
	memcpy(key + 1, id->bytes, id->len);
	return (size_t)id->len + 1;
}

static struct cm_peer *
connmgr_peer_find(const struct pd_connmgr *cm, const struct pd_peerid *id)
{
	uint8_t key[CM_KEY_MAX];
	size_t klen;

	if (!connmgr_peer_valid(id))
		return NULL;
	klen = connmgr_peer_key(id, key);
	return (struct cm_peer *)connmgr_table_find(&cm->peers, key, klen);
}

static bool
connmgr_peer_connected(const struct cm_peer *p)
{
	return p->nin + p->nout > 0;
}

static bool
connmgr_peer_forgettable(const struct cm_node *nd)
{
	const struct cm_peer *p = (const struct cm_peer *)nd;

	return !connmgr_peer_connected(p) && p->nprot == 0 && !p->dialing;
}

static void
connmgr_peer_free(struct cm_peer *p)
{
	free(p->tags);
	free(p->prot);
	free(p);
}

/*
 * Find id or start tracking it (forgetting the oldest forgettable peer if
 * the table is full), and mark it recently used.
 */
static int
connmgr_peer_get(struct pd_connmgr *cm, const struct pd_peerid *id,
    struct cm_peer **ret_p)
{
	struct cm_peer *p;
	struct cm_node *old;

	if (!connmgr_peer_valid(id))
		return PD_ERR_INVAL;
	if ((p = connmgr_peer_find(cm, id)) != NULL) {
		connmgr_table_touch(&cm->peers, &p->node);
		*ret_p = p;
		return 0;
	}
	if (cm->peers.n >= cm->peers.max) {
		old = connmgr_table_victim(&cm->peers, connmgr_peer_forgettable);
		if (old == NULL)
			return PD_ERR_OVERFLOW;
		connmgr_table_remove(&cm->peers, old);
		connmgr_peer_free((struct cm_peer *)old);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PD_ERR_NOMEM;
	p->id = *id;
	p->node.klen = (uint8_t)connmgr_peer_key(id, p->node.key);
	connmgr_table_insert(&cm->peers, &p->node);
	*ret_p = p;
	return 0;
}

/* ------------------------------------------------------------------
 * IP entries
 */

/* Key of remote: family byte and 16 address bytes (v4-mapped v6 is v4). */
static int
connmgr_ip_key(const struct sockaddr *sa, uint8_t *key, bool *ret_loopback)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t *a;

	if (sa == NULL)
		return PD_ERR_INVAL;
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		key[0] = 4;
		memcpy(key + 1, a, 4);
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 16);
		}
	} else
		return PD_ERR_INVAL;
	if (key[0] == 4)
		*ret_loopback = key[1] == 127;
	else
		*ret_loopback = memcmp(key + 1, in6addr_loopback.s6_addr,
		    16) == 0;
	return 0;
}

static bool
connmgr_ip_forgettable(const struct cm_node *nd)
{
	const struct cm_ip *ip = (const struct cm_ip *)nd;

	return ip->open == 0 && ip->pending == 0;
}

static struct cm_ip *
connmgr_ip_find(const struct pd_connmgr *cm, const uint8_t *key)
{
	return (struct cm_ip *)connmgr_table_find(&cm->ips, key, 17);
}

static int
connmgr_ip_get(struct pd_connmgr *cm, const uint8_t *key,
    struct cm_ip **ret_ip)
{
	struct cm_ip *ip;
	struct cm_node *old;

	if ((ip = connmgr_ip_find(cm, key)) != NULL) {
		connmgr_table_touch(&cm->ips, &ip->node);
		*ret_ip = ip;
		return 0;
	}
	if (cm->ips.n >= cm->ips.max) {
		old = connmgr_table_victim(&cm->ips, connmgr_ip_forgettable);
		if (old == NULL)
			return PD_ERR_OVERFLOW;
		connmgr_table_remove(&cm->ips, old);
		free(old);
	}
	if ((ip = calloc(1, sizeof(*ip))) == NULL)
		return PD_ERR_NOMEM;
	ip->node.klen = 17;
	memcpy(ip->node.key, key, 17);
	connmgr_table_insert(&cm->ips, &ip->node);
	*ret_ip = ip;
	return 0;
}

/* ------------------------------------------------------------------
 * Configuration
 */

void
pd_connmgr_config_defaults(struct pd_connmgr_config *ret_cfg)
{
	memset(ret_cfg, 0, sizeof(*ret_cfg));
	ret_cfg->max_peers = 50;
	ret_cfg->min_peers = 5;
	ret_cfg->grace_ms = 20 * 1000;
	ret_cfg->silence_ms = 10 * 1000;
	ret_cfg->retry_base_ms = 60 * 1000;
	ret_cfg->retry_max_ms = 3600 * 1000;
	ret_cfg->dial_max_inflight = 8;
	ret_cfg->dial_per_minute = 60;
	ret_cfg->max_per_ip = 8;
	ret_cfg->inbound_rate_per_ip = 30;
	ret_cfg->exempt_loopback = true;
}

static bool
connmgr_check_ms(int64_t v, const char *name, char *why, size_t whylen)
{
	if (v >= 0 && v <= PD_CONNMGR_MAX_DURATION_MS)
		return true;
	connmgr_why(why, whylen, "%s out of range (0 to 30 days)", name);
	return false;
}

static bool
connmgr_check_uint(unsigned v, unsigned lo, unsigned hi, const char *name,
    char *why, size_t whylen)
{
	if (v >= lo && v <= hi)
		return true;
	if (v < lo)
		connmgr_why(why, whylen, "%s must be at least %u", name, lo);
	else
		connmgr_why(why, whylen, "%s must be at most %u", name, hi);
	return false;
}

int
pd_connmgr_config_check(const struct pd_connmgr_config *c, char *why,
    size_t whylen)
{
	bool ok;

	ok = connmgr_check_uint(c->max_peers, 1, PD_CONNMGR_MAX_PEERS,
	    "max_peers", why, whylen) &&
	    connmgr_check_uint(c->min_peers, 0, c->max_peers, "min_peers",
	    why, whylen) &&
	    (c->low_water == 0 || connmgr_check_uint(c->low_water,
	    c->min_peers, c->max_peers, "low_water", why, whylen)) &&
	    connmgr_check_ms(c->grace_ms, "grace_ms", why, whylen) &&
	    connmgr_check_ms(c->silence_ms, "silence_ms", why, whylen) &&
	    connmgr_check_ms(c->retry_base_ms, "retry_base_ms", why, whylen) &&
	    connmgr_check_ms(c->retry_max_ms, "retry_max_ms", why, whylen) &&
	    connmgr_check_uint(c->dial_max_inflight, 1,
	    PD_CONNMGR_MAX_INFLIGHT, "dial_max_inflight", why, whylen) &&
	    connmgr_check_uint(c->dial_per_minute, 1, PD_CONNMGR_MAX_RATE,
	    "dial_per_minute", why, whylen) &&
	    connmgr_check_uint(c->max_per_ip, 1, UINT_MAX, "max_per_ip",
	    why, whylen) &&
	    connmgr_check_uint(c->max_inbound, 0, PD_CONNMGR_MAX_INBOUND,
	    "max_inbound", why, whylen) &&
	    connmgr_check_uint(c->inbound_rate_per_ip, 0,
	    PD_CONNMGR_MAX_RATE, "inbound_rate_per_ip", why, whylen);
	if (ok && c->retry_base_ms < 1) {
		connmgr_why(why, whylen, "retry_base_ms must be at least 1 ms");
		ok = false;
	}
	if (ok && c->retry_max_ms < c->retry_base_ms) {
		connmgr_why(why, whylen,
		    "retry_max_ms must not be below retry_base_ms");
		ok = false;
	}
	return ok ? 0 : PD_ERR_INVAL;
}

int
pd_connmgr_set_config(struct pd_connmgr *cm,
    const struct pd_connmgr_config *cfg, char *why, size_t whylen)
{
	struct pd_connmgr_config c = *cfg;
	int r;

	if ((r = pd_connmgr_config_check(&c, why, whylen)) != 0)
		return r;
	if (c.low_water == 0) {
		c.low_water = c.max_peers * 4 / 5;
		if (c.low_water < c.min_peers)
			c.low_water = c.min_peers;
		if (c.low_water == 0)
			c.low_water = 1;	/* max_peers 1: keep one */
	}
	if (c.max_inbound == 0)
		c.max_inbound = c.max_peers < PD_CONNMGR_MAX_INBOUND ?
		    c.max_peers : PD_CONNMGR_MAX_INBOUND;
	cm->cfg = c;
	return 0;
}

void
pd_connmgr_get_config(const struct pd_connmgr *cm,
    struct pd_connmgr_config *ret_cfg)
{
	*ret_cfg = cm->cfg;
}

/* ------------------------------------------------------------------
 * Life cycle
 */

struct pd_connmgr *
pd_connmgr_new(uint64_t seed)
{
	struct pd_connmgr *cm = calloc(1, sizeof(*cm));
	struct pd_connmgr_config def;

	if (cm == NULL)
		return NULL;
	cm->rng = seed;
	if (connmgr_table_init(&cm->peers, PD_CONNMGR_MAX_PEERS,
	    &cm->rng) != 0 ||
	    connmgr_table_init(&cm->ips, PD_CONNMGR_MAX_IPS, &cm->rng) != 0) {
		pd_connmgr_free(cm);
		return NULL;
	}
	pd_connmgr_config_defaults(&def);
	(void)pd_connmgr_set_config(cm, &def, NULL, 0);
	return cm;
}

void
pd_connmgr_free(struct pd_connmgr *cm)
{
	struct cm_node *nd, *next;

	if (cm == NULL)
		return;
	for (nd = cm->peers.head; nd != NULL; nd = next) {
		next = nd->next;
		connmgr_peer_free((struct cm_peer *)nd);
	}
	for (nd = cm->ips.head; nd != NULL; nd = next) {
		next = nd->next;
		free(nd);
	}
	free(cm->peers.buckets);
	free(cm->ips.buckets);
	free(cm);
}

void
pd_connmgr_set_rand(struct pd_connmgr *cm, uint32_t (*rand)(void *),
    void *arg)
{
	cm->rand = rand;
	cm->rand_arg = arg;
}

/* ------------------------------------------------------------------
 * Inbound admission and connections
 */

int
pd_connmgr_accept_check(struct pd_connmgr *cm, const struct sockaddr *remote,
    int64_t now_ms, char *why, size_t whylen)
{
	uint8_t key[17];
	bool loopback;
	struct cm_ip *ip;
	unsigned rate = cm->cfg.inbound_rate_per_ip;
	int r;

	if (connmgr_ip_key(remote, key, &loopback) != 0)
		return PD_ERR_INVAL;
	if (cm->inbound_open + cm->inbound_pending >= cm->cfg.max_inbound) {
		cm->st.refused_inbound_cap++;
		connmgr_why(why, whylen, "inbound connection limit (%u) reached",
		    cm->cfg.max_inbound);
		return PD_ERR_PEER_LIMIT;
	}
	ip = connmgr_ip_find(cm, key);
	if (ip != NULL && ip->open + ip->pending >= cm->cfg.max_per_ip) {
		cm->st.refused_inbound_per_ip++;
		connmgr_why(why, whylen, "per-IP connection limit (%u) reached",
		    cm->cfg.max_per_ip);
		return PD_ERR_PEER_LIMIT;
	}
	if ((r = connmgr_ip_get(cm, key, &ip)) != 0) {
		if (r != PD_ERR_OVERFLOW)
			return r;
		cm->st.refused_inbound_cap++;
		connmgr_why(why, whylen, "too many source addresses (%u)",
		    (unsigned)PD_CONNMGR_MAX_IPS);
		return PD_ERR_PEER_LIMIT;
	}
	if (rate > 0 && !(loopback && cm->cfg.exempt_loopback) &&
	    !connmgr_bucket_take(&ip->rate, rate, now_ms)) {
		cm->st.refused_inbound_rate++;
		connmgr_why(why, whylen,
		    "per-IP connection rate (%u/min) exceeded", rate);
		return PD_ERR_PEER_LIMIT;
	}
	ip->pending++;
	cm->inbound_pending++;
	return 0;
}

int
pd_connmgr_accept_abandoned(struct pd_connmgr *cm,
    const struct sockaddr *remote)
{
	uint8_t key[17];
	bool loopback;
	struct cm_ip *ip;

	if (connmgr_ip_key(remote, key, &loopback) != 0)
		return PD_ERR_INVAL;
	if ((ip = connmgr_ip_find(cm, key)) == NULL || ip->pending == 0)
		return PD_ERR_NOT_FOUND;
	ip->pending--;
	cm->inbound_pending--;
	return 0;
}

/* Per-IP side of an inbound open: settle the reservation, count it open. */
static int
connmgr_ip_opened(struct pd_connmgr *cm, const struct sockaddr *remote)
{
	uint8_t key[17];
	bool loopback;
	struct cm_ip *ip;
	int r;

	if (remote == NULL)
		return 0;
	if ((r = connmgr_ip_key(remote, key, &loopback)) != 0)
		return r;
	if ((r = connmgr_ip_get(cm, key, &ip)) != 0)
		return r;
	if (ip->pending > 0) {
		ip->pending--;
		cm->inbound_pending--;
	}
	ip->open++;
	return 0;
}

int
pd_connmgr_conn_opened(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool inbound, const struct sockaddr *remote, int64_t now_ms)
{
	struct cm_peer *p;
	int r;

	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	if (inbound && (r = connmgr_ip_opened(cm, remote)) != 0)
		return r;
	if (!connmgr_peer_connected(p)) {
		p->first_open_ms = now_ms;
		cm->nconnected++;
		if (p->dialing)
			cm->ndial_new--;
	}
	if (inbound) {
		p->nin++;
		cm->inbound_open++;
	} else {
		p->nout++;
		cm->outbound_open++;
	}
	return 0;
}

int
pd_connmgr_conn_closed(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool inbound, const struct sockaddr *remote, int64_t now_ms)
{
	struct cm_peer *p = connmgr_peer_find(cm, id);
	uint8_t key[17];
	bool loopback;
	struct cm_ip *ip;

	(void)now_ms;
	if (p == NULL || (inbound ? p->nin : p->nout) == 0)
		return PD_ERR_NOT_FOUND;
	if (inbound) {
		p->nin--;
		cm->inbound_open--;
		if (remote != NULL &&
		    connmgr_ip_key(remote, key, &loopback) == 0 &&
		    (ip = connmgr_ip_find(cm, key)) != NULL && ip->open > 0)
			ip->open--;
	} else {
		p->nout--;
		cm->outbound_open--;
	}
	if (!connmgr_peer_connected(p)) {
		cm->nconnected--;
		if (p->dialing)
			cm->ndial_new++;
	}
	connmgr_table_touch(&cm->peers, &p->node);
	return 0;
}

/* ------------------------------------------------------------------
 * Protection, tags, latency, scores
 */

static int
connmgr_ptag_index(const struct cm_peer *p, const char *tag)
{
	for (unsigned i = 0; i < p->nprot; i++)
		if (strcmp(p->prot[i].name, tag) == 0)
			return (int)i;
	return -1;
}

int
pd_connmgr_protect(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *tag, int64_t now_ms)
{
	size_t len = tag != NULL ?
	    strnlen(tag, PD_CONNMGR_MAX_PROTECT_TAG_LEN + 1) : 0;
	struct cm_peer *p;
	int r;

	(void)now_ms;
	if (len == 0 || len > PD_CONNMGR_MAX_PROTECT_TAG_LEN)
		return PD_ERR_INVAL;
	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	if (connmgr_ptag_index(p, tag) >= 0)
		return 0;
	if (p->nprot >= PD_CONNMGR_MAX_PROTECT_TAGS)
		return PD_ERR_OVERFLOW;
	if (p->prot == NULL &&
	    (p->prot = calloc(PD_CONNMGR_MAX_PROTECT_TAGS,
	    sizeof(*p->prot))) == NULL)
		return PD_ERR_NOMEM;
	memcpy(p->prot[p->nprot].name, tag, len + 1);
	p->nprot++;
	return 0;
}

int
pd_connmgr_unprotect(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *tag)
{
	struct cm_peer *p = connmgr_peer_find(cm, id);
	int i;

	if (p == NULL || tag == NULL || (i = connmgr_ptag_index(p, tag)) < 0)
		return PD_ERR_NOT_FOUND;
	p->prot[i] = p->prot[p->nprot - 1];
	if (--p->nprot == 0) {
		free(p->prot);
		p->prot = NULL;
	}
	return p->nprot > 0 ? 1 : 0;
}

bool
pd_connmgr_is_protected(const struct pd_connmgr *cm,
    const struct pd_peerid *id, const char *tag)
{
	const struct cm_peer *p = connmgr_peer_find(cm, id);

	if (p == NULL)
		return false;
	return tag == NULL ? p->nprot > 0 : connmgr_ptag_index(p, tag) >= 0;
}

/* Tags "bootstrap" and "dht" are score parts of their own, not in tagsum. */
static bool
connmgr_tag_is_part(const char *name)
{
	return strcmp(name, PD_CONNMGR_TAG_BOOTSTRAP) == 0 ||
	    strcmp(name, PD_CONNMGR_TAG_DHT) == 0;
}

static int
connmgr_tag_index(const struct cm_peer *p, const char *name)
{
	for (unsigned i = 0; i < p->ntags; i++)
		if (strcmp(p->tags[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
pd_connmgr_tag(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *name, int weight, int64_t now_ms)
{
	size_t len = name != NULL ?
	    strnlen(name, PD_CONNMGR_MAX_TAG_LEN + 1) : 0;
	struct cm_peer *p;
	int i, r;

	(void)now_ms;
	if (len == 0 || len > PD_CONNMGR_MAX_TAG_LEN)
		return PD_ERR_INVAL;
	if (weight > PD_CONNMGR_MAX_TAG_WEIGHT)
		weight = PD_CONNMGR_MAX_TAG_WEIGHT;
	if (weight < -PD_CONNMGR_MAX_TAG_WEIGHT)
		weight = -PD_CONNMGR_MAX_TAG_WEIGHT;
	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	if ((i = connmgr_tag_index(p, name)) < 0) {
		if (p->ntags >= PD_CONNMGR_MAX_TAGS)
			return PD_ERR_OVERFLOW;
		if (p->tags == NULL && (p->tags = calloc(PD_CONNMGR_MAX_TAGS,
		    sizeof(*p->tags))) == NULL)
			return PD_ERR_NOMEM;
		i = (int)p->ntags++;
		memcpy(p->tags[i].name, name, len + 1);
		p->tags[i].weight = 0;
	}
	if (!connmgr_tag_is_part(name))
		p->tagsum += weight - p->tags[i].weight;
	p->tags[i].weight = weight;
	return 0;
}

int
pd_connmgr_untag(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *name)
{
	struct cm_peer *p = connmgr_peer_find(cm, id);
	int i;

	if (p == NULL || name == NULL || (i = connmgr_tag_index(p, name)) < 0)
		return PD_ERR_NOT_FOUND;
	if (!connmgr_tag_is_part(name))
		p->tagsum -= p->tags[i].weight;
	p->tags[i] = p->tags[--p->ntags];
	return 0;
}

int
pd_connmgr_set_latency(struct pd_connmgr *cm, const struct pd_peerid *id,
    uint32_t rtt_ms, int64_t now_ms)
{
	struct cm_peer *p;
	int r;

	(void)now_ms;
	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	p->has_rtt = true;
	p->rtt_ms = rtt_ms;
	return 0;
}

static int
connmgr_latency_part(const struct cm_peer *p)
{
	const uint32_t fast = PD_CONNMGR_LATENCY_FAST_MS;
	const uint32_t slow = PD_CONNMGR_LATENCY_SLOW_MS;

	if (!p->has_rtt || p->rtt_ms >= slow)
		return 0;
	if (p->rtt_ms <= fast)
		return PD_CONNMGR_LATENCY_BEST;
	return (int)(PD_CONNMGR_LATENCY_BEST * (slow - p->rtt_ms) /
	    (slow - fast));
}

static void
connmgr_score_parts(const struct cm_peer *p, struct pd_connmgr_score *s)
{
	memset(s, 0, sizeof(*s));
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->ntags; i++) {
		if (strcmp(p->tags[i].name, PD_CONNMGR_TAG_BOOTSTRAP) == 0)
			s->bootstrap = p->tags[i].weight;
		else if (strcmp(p->tags[i].name, PD_CONNMGR_TAG_DHT) == 0)
			s->dht = p->tags[i].weight;
	}
	s->protected = p->nprot > 0;
	s->tags = p->tagsum;
	s->latency = connmgr_latency_part(p);
	s->failures = p->fails >= PD_CONNMGR_MAX_FAIL_PENALTY /
	    PD_CONNMGR_FAIL_PENALTY ? -PD_CONNMGR_MAX_FAIL_PENALTY :
	    -(int)p->fails * PD_CONNMGR_FAIL_PENALTY;
	s->total = s->tags + s->bootstrap + s->dht + s->latency + s->failures;
}

int
pd_connmgr_score(const struct pd_connmgr *cm, const struct pd_peerid *id,
    struct pd_connmgr_score *ret)
{
	connmgr_score_parts(connmgr_peer_find(cm, id), ret);
	return 0;
}

/* ------------------------------------------------------------------
 * Trim and the hard cap
 */

struct cm_rank {
	const struct cm_peer *p;
	int score;
};

static int
connmgr_trim_cmp(const void *a, const void *b)
{
	const struct cm_rank *x = a, *y = b;
	bool xin = x->p->nout == 0, yin = y->p->nout == 0;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	if (xin != yin)
		return xin ? -1 : 1;
	if (x->p->first_open_ms != y->p->first_open_ms)
		return x->p->first_open_ms > y->p->first_open_ms ? -1 : 1;
	return memcmp(x->p->node.key, y->p->node.key, CM_KEY_MAX);
}

static bool
connmgr_trim_candidate(const struct pd_connmgr *cm, const struct cm_peer *p,
    int64_t now)
{
	return connmgr_peer_connected(p) && p->nprot == 0 &&
	    now - p->first_open_ms >= cm->cfg.grace_ms;
}

int
pd_connmgr_trim(struct pd_connmgr *cm, int64_t now_ms,
    struct pd_peerid *ret_ids, size_t max)
{
	struct cm_rank *r;
	struct pd_connmgr_score s;
	size_t n = 0, take;

	if (cm->nconnected <= cm->cfg.max_peers || max == 0 ||
	    (cm->trimmed && now_ms - cm->last_trim_ms < cm->cfg.silence_ms))
		return 0;
	if ((r = calloc(cm->nconnected, sizeof(*r))) == NULL)
		return PD_ERR_NOMEM;
	for (struct cm_node *nd = cm->peers.head; nd != NULL; nd = nd->next) {
		const struct cm_peer *p = (const struct cm_peer *)nd;

		if (n < cm->nconnected && connmgr_trim_candidate(cm, p,
		    now_ms)) {
			connmgr_score_parts(p, &s);
			r[n].p = p;
			r[n++].score = s.total;
		}
	}
	if (n <= cm->cfg.low_water) {
		free(r);
		return 0;
	}
	qsort(r, n, sizeof(*r), connmgr_trim_cmp);
	take = n - cm->cfg.low_water;
	if (take > max)
		take = max;
	for (size_t i = 0; i < take; i++)
		ret_ids[i] = r[i].p->id;
	free(r);
	cm->trimmed = true;
	cm->last_trim_ms = now_ms;
	cm->st.trims++;
	cm->st.peers_trimmed += take;
	return (int)take;
}

bool
pd_connmgr_over_cap(const struct pd_connmgr *cm, const struct pd_peerid *id)
{
	const struct cm_peer *p = id != NULL ? connmgr_peer_find(cm, id) : NULL;

	if (p != NULL && (p->nprot > 0 || connmgr_peer_connected(p)))
		return false;
	return (uint64_t)cm->nconnected + cm->ndial_new >= cm->cfg.max_peers;
}

unsigned
pd_connmgr_count(const struct pd_connmgr *cm)
{
	return cm->nconnected;
}

/* ------------------------------------------------------------------
 * Dial budget and back-off
 */

int
pd_connmgr_dial_request(struct pd_connmgr *cm, const struct pd_peerid *id,
    int64_t now_ms, bool ignore_backoff)
{
	struct cm_peer *p;
	int r;

	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	if (p->dialing)
		return PD_ERR_EXISTS;
	if (!ignore_backoff && p->next_dial_ms > now_ms)
		return PD_ERR_DIAL_FAILED;
	if (cm->ndialing >= cm->cfg.dial_max_inflight ||
	    !connmgr_bucket_take(&cm->dial_bucket, cm->cfg.dial_per_minute,
	    now_ms)) {
		cm->st.dials_deferred++;
		return -EAGAIN;
	}
	p->dialing = true;
	cm->ndialing++;
	if (!connmgr_peer_connected(p))
		cm->ndial_new++;
	return 0;
}

static void
connmgr_release(struct pd_connmgr *cm, struct cm_peer *p)
{
	if (!p->dialing)
		return;
	p->dialing = false;
	cm->ndialing--;
	if (!connmgr_peer_connected(p))
		cm->ndial_new--;
}

void
pd_connmgr_dial_done(struct pd_connmgr *cm, const struct pd_peerid *id)
{
	struct cm_peer *p = connmgr_peer_find(cm, id);

	if (p != NULL)
		connmgr_release(cm, p);
}

/* Back-off after failure number fails: jitter(min(base * 2^(fails-1), max)). */
static int64_t
connmgr_backoff_delay(struct pd_connmgr *cm, unsigned fails)
{
	int64_t d = cm->cfg.retry_base_ms, max = cm->cfg.retry_max_ms;
	uint64_t j;

	for (unsigned i = 1; i < fails && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* d <= 30 days < 2^32 ms, so d * r fits in 64 bits. */
	j = (uint64_t)d / 2 + (((uint64_t)d * connmgr_rand32(cm)) >> 32);
	return (int64_t)j < max ? (int64_t)j : max;
}

int
pd_connmgr_dial_result(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool ok, int64_t now_ms)
{
	struct cm_peer *p;
	int r;

	if ((r = connmgr_peer_get(cm, id, &p)) != 0)
		return r;
	connmgr_release(cm, p);
	if (ok) {
		p->fails = 0;
		p->next_dial_ms = 0;
		p->last_success_ms = now_ms;
		return 0;
	}
	if (p->fails < CM_MAX_FAILS)
		p->fails++;
	p->next_dial_ms = now_ms + connmgr_backoff_delay(cm, p->fails);
	return 0;
}

int
pd_connmgr_backoff(const struct pd_connmgr *cm, const struct pd_peerid *id,
    unsigned *ret_fails, int64_t *ret_next_ms)
{
	const struct cm_peer *p = connmgr_peer_find(cm, id);

	if (p == NULL)
		return PD_ERR_NOT_FOUND;
	*ret_fails = p->fails;
	*ret_next_ms = p->next_dial_ms;
	return 0;
}

void
pd_connmgr_budget(const struct pd_connmgr *cm, int64_t now_ms,
    struct pd_connmgr_budget *ret)
{
	unsigned rate = cm->cfg.dial_per_minute;
	int64_t level = connmgr_bucket_level(&cm->dial_bucket, rate, now_ms);
	int64_t need;

	memset(ret, 0, sizeof(*ret));
	ret->dialing = cm->ndialing;
	ret->max_inflight = cm->cfg.dial_max_inflight;
	ret->tokens = (unsigned)(level / CM_UNITS_PER_TOKEN);
	ret->per_minute = rate;
	if (level < (int64_t)rate * CM_UNITS_PER_TOKEN) {
		need = CM_UNITS_PER_TOKEN - level % CM_UNITS_PER_TOKEN;
		ret->next_token_ms = (need + rate - 1) / rate;
	}
}

/* ------------------------------------------------------------------
 * Want-dial
 */

struct cm_want {
	size_t idx;			/* into cands[] */
	bool prot, boot;
	int score;
	int64_t last;
};

static int
connmgr_want_cmp(const void *a, const void *b)
{
	const struct cm_want *x = a, *y = b;

	if (x->prot != y->prot)
		return x->prot ? -1 : 1;
	if (x->boot != y->boot)
		return x->boot ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* How many dials want() may propose now: need, free slots, tokens. */
static size_t
connmgr_want_limit(const struct pd_connmgr *cm, int64_t now, size_t max)
{
	uint64_t busy = (uint64_t)cm->nconnected + cm->ndial_new;
	struct pd_connmgr_budget b;
	size_t k;

	if (busy >= cm->cfg.min_peers || cm->ndialing >=
	    cm->cfg.dial_max_inflight)
		return 0;
	k = cm->cfg.min_peers - (size_t)busy;
	pd_connmgr_budget(cm, now, &b);
	if (k > cm->cfg.dial_max_inflight - cm->ndialing)
		k = cm->cfg.dial_max_inflight - cm->ndialing;
	if (k > b.tokens)
		k = b.tokens;
	return k < max ? k : max;
}

static bool
connmgr_want_skip(const struct cm_peer *p, int64_t now)
{
	return p != NULL && (connmgr_peer_connected(p) || p->dialing ||
	    p->next_dial_ms > now);
}

int
pd_connmgr_want(const struct pd_connmgr *cm, int64_t now_ms,
    const struct pd_connmgr_candidate *cands, size_t n,
    struct pd_peerid *ret_ids, size_t max)
{
	size_t k = connmgr_want_limit(cm, now_ms, max), m = 0, out = 0;
	struct pd_connmgr_score s;
	struct cm_want *w;

	if (n > PD_CONNMGR_MAX_CANDIDATES)
		return PD_ERR_OVERFLOW;
	if (k == 0 || n == 0)
		return 0;
	if ((w = calloc(n, sizeof(*w))) == NULL)
		return PD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cm_peer *p = connmgr_peer_find(cm, &cands[i].id);

		if (!connmgr_peer_valid(&cands[i].id) ||
		    connmgr_want_skip(p, now_ms))
			continue;
		connmgr_score_parts(p, &s);
		w[m] = (struct cm_want){ .idx = i, .score = s.total,
		    .prot = cands[i].protected || s.protected,
		    .boot = cands[i].bootstrap || s.bootstrap != 0,
		    .last = cands[i].last_success_ms };
		m++;
	}
	qsort(w, m, sizeof(*w), connmgr_want_cmp);
	for (size_t i = 0; i < m && out < k; i++) {
		const struct pd_peerid *id = &cands[w[i].idx].id;
		bool dup = false;

		for (size_t j = 0; j < out && !dup; j++)
			dup = pd_peerid_equal(&ret_ids[j], id);
		if (!dup)
			ret_ids[out++] = *id;
	}
	free(w);
	return (int)out;
}

void
pd_connmgr_stats(const struct pd_connmgr *cm, struct pd_connmgr_stats *ret)
{
	*ret = cm->st;
	ret->connected = cm->nconnected;
	ret->conns_inbound = cm->inbound_open;
	ret->conns_outbound = cm->outbound_open;
	ret->pending_inbound = cm->inbound_pending;
	ret->dialing = cm->ndialing;
	ret->peers_tracked = (unsigned)cm->peers.n;
	ret->ips_tracked = (unsigned)cm->ips.n;
}
