/*
 * store.c - the peer store (store.h): every known peer with its addresses,
 * protocols, agent, protection tags, connection and dial state.
 *
 * The manager owns one store; discoveries, identify, ping and the
 * connection manager feed it through the manager, the RPC layer reads it,
 * and storefile.c saves and loads it.  It is pure data: no event loop and
 * no clock, times are unix milliseconds handed in by the caller.
 *
 * Three structures index the same peers:
 *  - a chained hash table keyed by the peer-ID bytes through SipHash-2-4
 *    (libsodium crypto_shorthash) with a random key per store, so remote
 *    peers cannot choose IDs that collide; it doubles when the load factor
 *    passes 1, so lookups are O(1) on average;
 *  - a doubly linked list in insertion order for stable iteration;
 *  - a binary min-heap of the evictable peers (not connected, not
 *    protected) ordered by usefulness: never connected before ever
 *    connected, then oldest last_seen, then lowest score, then oldest
 *    insertion.  Every setter that changes one of those keys re-sifts the
 *    peer, so eviction on a full store is O(log n), not a scan: a 100k or
 *    1M store stays cheap to add to when full.
 * The generation counter grows on every change so the owner knows when
 * a save is due.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "peer/store.h"

#define STORE_MIN_BUCKETS 16	/* initial hash size, a power of two */
#define STORE_NO_HEAP SIZE_MAX	/* pd_peer.heap_: not in the heap */

struct pd_store {
	size_t count;			/* peers in the store */
	size_t max;			/* entries cap */
	uint64_t generation;		/* change counter */
	uint64_t next_seq;		/* next insertion number */
	uint8_t key[crypto_shorthash_KEYBYTES];	/* hash key, random */
	struct pd_peer **buckets;	/* nbuckets chains */
	size_t nbuckets;		/* power of two */
	struct pd_peer *head, *tail;	/* insertion order */
	struct pd_peer **heap;		/* evictable peers, min-heap */
	size_t heap_len, heap_cap;
	pd_store_drop_cb drop_cb;
	void *drop_arg;
};

/* ---- text ---------------------------------------------------------- */

/*
 * Length of the UTF-8 character at s[0..n) if it is valid and not a
 * control character, else 0.
 */
static size_t
store_utf8_char(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return (s[0] < 0x20 || s[0] == 0x7f) ? 0 : 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
pd_store_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = store_utf8_char(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

/*
 * Copy untrusted text into out (room for cap bytes plus the NUL): bad
 * bytes become '?', and the cut falls on a character boundary.
 */
static void
store_sanitize_into(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, cap + 4), i = 0, o = 0, k;

	/* Each input byte yields at least one output byte: cap + 4 is enough. */
	while (i < n && o < cap) {
		k = store_utf8_char(p + i, n - i);
		if (k == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k > cap)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

/* store_sanitize_into() into a new string sized to fit.  NULL on OOM. */
static char *
store_sanitize(const char *s, size_t cap)
{
	char tmp[PD_STORE_MAX_AGENT_LEN + 1];

	assert(cap <= PD_STORE_MAX_AGENT_LEN);
	store_sanitize_into(tmp, cap, s);
	return strdup(tmp);
}

/* ---- names ------------------------------------------------------------ */

static const struct {
	unsigned int bit;
	const char *name;
} store_sources[] = {
	{ PD_SOURCE_MDNS, "mdns" },
	{ PD_SOURCE_DHT, "dht" },
	{ PD_SOURCE_BOOTSTRAP, "bootstrap" },
	{ PD_SOURCE_MANUAL, "manual" },
};

const char *
pd_store_source_name(unsigned int source)
{
	size_t i;

	for (i = 0; i < sizeof(store_sources) / sizeof(store_sources[0]); i++)
		if (store_sources[i].bit == source)
			return store_sources[i].name;
	return NULL;
}

unsigned int
pd_store_source_parse(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(store_sources) / sizeof(store_sources[0]); i++)
		if (strlen(store_sources[i].name) == n &&
		    memcmp(store_sources[i].name, s, n) == 0)
			return store_sources[i].bit;
	return 0;
}

const char *
pd_store_dir_name(enum pd_store_dir dir)
{
	switch (dir) {
	case PD_STORE_DIR_INBOUND:
		return "inbound";
	case PD_STORE_DIR_OUTBOUND:
		return "outbound";
	default:
		return "none";
	}
}

/* ---- eviction heap -------------------------------------------------- */

static bool
store_evictable(const struct pd_peer *p)
{
	return !p->connected && !pd_store_is_protected(p);
}

/* True if a is less useful than b (evicted first). */
static bool
store_less(const struct pd_peer *a, const struct pd_peer *b)
{
	bool ea = a->last_connected != 0, eb = b->last_connected != 0;

	if (ea != eb)
		return !ea;
	if (a->last_seen != b->last_seen)
		return a->last_seen < b->last_seen;
	if (a->score != b->score)
		return a->score < b->score;
	return a->seq_ < b->seq_;
}

static void
store_heap_set(struct pd_store *s, size_t i, struct pd_peer *p)
{
	s->heap[i] = p;
	p->heap_ = i;
}

static void
store_heap_up(struct pd_store *s, size_t i)
{
	struct pd_peer *p = s->heap[i];

	while (i > 0 && store_less(p, s->heap[(i - 1) / 2])) {
		store_heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	store_heap_set(s, i, p);
}

static void
store_heap_down(struct pd_store *s, size_t i)
{
	struct pd_peer *p = s->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < s->heap_len) {
		if (c + 1 < s->heap_len && store_less(s->heap[c + 1], s->heap[c]))
			c++;
		if (!store_less(s->heap[c], p))
			break;
		store_heap_set(s, i, s->heap[c]);
		i = c;
	}
	store_heap_set(s, i, p);
}

static void
store_heap_remove(struct pd_store *s, struct pd_peer *p)
{
	size_t i = p->heap_;
	struct pd_peer *last;

	assert(i < s->heap_len && s->heap[i] == p);
	p->heap_ = STORE_NO_HEAP;
	last = s->heap[--s->heap_len];
	if (last == p)
		return;
	store_heap_set(s, i, last);
	store_heap_up(s, i);
	store_heap_down(s, last->heap_);
}

/*
 * Put p where it belongs after a change of its keys or its evictability:
 * in or out of the heap, re-sifted.  The heap has room for every peer
 * (heap_cap >= count), so this cannot fail.
 */
static void
store_heap_fix(struct pd_store *s, struct pd_peer *p)
{
	bool want = store_evictable(p);

	if (p->heap_ == STORE_NO_HEAP) {
		if (!want)
			return;
		assert(s->heap_len < s->heap_cap);
		store_heap_set(s, s->heap_len++, p);
		store_heap_up(s, p->heap_);
	} else if (!want) {
		store_heap_remove(s, p);
	} else {
		store_heap_up(s, p->heap_);
		store_heap_down(s, p->heap_);
	}
}

/* Record a change of p (NULL: of the store only). */
static void
store_changed(struct pd_store *s, struct pd_peer *p)
{
	s->generation++;
	if (p != NULL)
		store_heap_fix(s, p);
}

/* ---- hash --------------------------------------------------------------- */

static size_t
store_bucket(const struct pd_store *s, const struct pd_peerid *id)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, id->bytes, id->len, s->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (s->nbuckets - 1));
}

/* Double the bucket array; on OOM keep the old one (lookups still work). */
static void
store_grow_buckets(struct pd_store *s)
{
	size_t n = s->nbuckets * 2, i, b;
	struct pd_peer **nb, **old = s->buckets, *p, *next;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	s->buckets = nb;
	s->nbuckets = n;
	for (i = 0; i < n / 2; i++) {
		for (p = old[i]; p != NULL; p = next) {
			next = p->hnext_;
			b = store_bucket(s, &p->id);
			p->hnext_ = nb[b];
			nb[b] = p;
		}
	}
	free(old);
}

/* ---- store -------------------------------------------------------------- */

static size_t
store_clamp_max(size_t max_entries)
{
	if (max_entries == 0)
		return 1;
	return max_entries > PD_STORE_MAX_ENTRIES ? PD_STORE_MAX_ENTRIES :
	    max_entries;
}

struct pd_store *
pd_store_new(size_t max_entries)
{
	struct pd_store *s;

	if (sodium_init() < 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->max = store_clamp_max(max_entries);
	s->nbuckets = STORE_MIN_BUCKETS;
	if ((s->buckets = calloc(s->nbuckets, sizeof(*s->buckets))) == NULL) {
		free(s);
		return NULL;
	}
	crypto_shorthash_keygen(s->key);
	return s;
}

static void
store_peer_free(struct pd_peer *p)
{
	size_t i;

	for (i = 0; i < p->naddrs; i++)
		free(p->addrs[i].bytes);
	for (i = 0; i < p->ntags; i++)
		free(p->tags[i]);
	free(p->protocols);
	free(p->agent);
	free(p);
}

void
pd_store_free(struct pd_store *s)
{
	struct pd_peer *p, *next;

	if (s == NULL)
		return;
	for (p = s->head; p != NULL; p = next) {
		next = p->next_;
		store_peer_free(p);
	}
	free(s->buckets);
	free(s->heap);
	sodium_memzero(s->key, sizeof(s->key));
	free(s);
}

void
pd_store_set_drop_cb(struct pd_store *s, pd_store_drop_cb cb, void *arg)
{
	s->drop_cb = cb;
	s->drop_arg = arg;
}

size_t
pd_store_count(const struct pd_store *s)
{
	return s->count;
}

size_t
pd_store_max(const struct pd_store *s)
{
	return s->max;
}

uint64_t
pd_store_generation(const struct pd_store *s)
{
	return s->generation;
}

struct pd_peer *
pd_store_get(const struct pd_store *s, const struct pd_peerid *id)
{
	struct pd_peer *p;

	if (id->len == 0 || id->len > PD_PEERID_MAX_BYTES)
		return NULL;
	for (p = s->buckets[store_bucket(s, id)]; p != NULL; p = p->hnext_)
		if (p->id.len == id->len &&
		    memcmp(p->id.bytes, id->bytes, id->len) == 0)
			return p;
	return NULL;
}

/* Unlink p from the hash, the list and the heap; does not free. */
static void
store_unlink(struct pd_store *s, struct pd_peer *p)
{
	struct pd_peer **pp;

	for (pp = &s->buckets[store_bucket(s, &p->id)]; *pp != p;
	    pp = &(*pp)->hnext_)
		assert(*pp != NULL);
	*pp = p->hnext_;
	if (p->prev_ != NULL)
		p->prev_->next_ = p->next_;
	else
		s->head = p->next_;
	if (p->next_ != NULL)
		p->next_->prev_ = p->prev_;
	else
		s->tail = p->prev_;
	if (p->heap_ != STORE_NO_HEAP)
		store_heap_remove(s, p);
	s->count--;
	s->generation++;
}

void
pd_store_remove(struct pd_store *s, struct pd_peer *p)
{
	assert(p->store_ == s);
	store_unlink(s, p);
	store_peer_free(p);
}

/* Drop p on the store's own initiative: tell the owner, then free. */
static void
store_drop(struct pd_store *s, struct pd_peer *p)
{
	store_unlink(s, p);
	if (s->drop_cb != NULL)
		s->drop_cb(p, s->drop_arg);
	store_peer_free(p);
}

/* Evict the least useful peer.  False if none is evictable. */
static bool
store_evict_one(struct pd_store *s)
{
	if (s->heap_len == 0)
		return false;
	store_drop(s, s->heap[0]);
	return true;
}

size_t
pd_store_set_max(struct pd_store *s, size_t max_entries)
{
	size_t n = 0;

	s->max = store_clamp_max(max_entries);
	while (s->count > s->max && store_evict_one(s))
		n++;
	return n;
}

/* Make the heap able to hold one more peer. */
static int
store_heap_reserve(struct pd_store *s)
{
	struct pd_peer **h;
	size_t cap;

	if (s->heap_cap > s->count)
		return 0;
	cap = s->heap_cap ? s->heap_cap * 2 : 64;
	if ((h = realloc(s->heap, cap * sizeof(*h))) == NULL)
		return PD_ERR_NOMEM;
	s->heap = h;
	s->heap_cap = cap;
	return 0;
}

int
pd_store_add(struct pd_store *s, const struct pd_peerid *id, int64_t now,
    struct pd_peer **ret_peer)
{
	struct pd_peer *p;
	size_t b;

	if (id->len == 0 || id->len > PD_PEERID_MAX_BYTES)
		return PD_ERR_INVAL;
	if ((p = pd_store_get(s, id)) != NULL) {
		pd_store_touch(p, now);
		if (ret_peer != NULL)
			*ret_peer = p;
		return 0;
	}
	if (s->count >= s->max && s->heap_len == 0)
		return PD_ERR_PEER_LIMIT;
	if (store_heap_reserve(s) < 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return PD_ERR_NOMEM;
	while (s->count >= s->max && store_evict_one(s))
		;
	if (s->count >= s->max) {
		free(p);
		return PD_ERR_PEER_LIMIT;
	}
	if (s->count >= s->nbuckets)
		store_grow_buckets(s);
	memset(&p->id, 0, sizeof(p->id));
	memcpy(p->id.bytes, id->bytes, id->len);
	p->id.len = id->len;
	p->first_seen = p->last_seen = now;
	p->store_ = s;
	p->seq_ = s->next_seq++;
	p->heap_ = STORE_NO_HEAP;
	b = store_bucket(s, &p->id);
	p->hnext_ = s->buckets[b];
	s->buckets[b] = p;
	p->prev_ = s->tail;
	if (s->tail != NULL)
		s->tail->next_ = p;
	else
		s->head = p;
	s->tail = p;
	s->count++;
	store_changed(s, p);
	if (ret_peer != NULL)
		*ret_peer = p;
	return 1;
}

struct pd_peer *
pd_store_first(const struct pd_store *s)
{
	return s->head;
}

struct pd_peer *
pd_store_next(const struct pd_peer *p)
{
	return p->next_;
}

struct pd_peer *
pd_store_last(const struct pd_store *s)
{
	return s->tail;
}

/* ---- addresses ---------------------------------------------------------- */

int
pd_store_find_addr(const struct pd_peer *p, const struct pd_multiaddr *ma)
{
	size_t i;

	for (i = 0; i < p->naddrs; i++)
		if (p->addrs[i].len == ma->len &&
		    memcmp(p->addrs[i].bytes, ma->bytes, ma->len) == 0)
			return (int)i;
	return -1;
}

int
pd_store_addr_get(const struct pd_peer *p, size_t i,
    struct pd_multiaddr *ret_ma)
{
	if (i >= p->naddrs)
		return PD_ERR_INVAL;
	memcpy(ret_ma->bytes, p->addrs[i].bytes, p->addrs[i].len);
	ret_ma->len = p->addrs[i].len;
	return 0;
}

/* True if expiry a is later than b (0 = permanent = latest). */
static bool
store_later(int64_t a, int64_t b)
{
	if (a == PD_STORE_TTL_PERMANENT)
		return b != PD_STORE_TTL_PERMANENT;
	return b != PD_STORE_TTL_PERMANENT && a > b;
}

/* Index of the address to give up for one expiring at exp, or -1. */
static int
store_addr_victim(const struct pd_peer *p, int64_t exp)
{
	int v = -1;
	size_t i;

	for (i = 0; i < p->naddrs; i++)
		if (v < 0 || store_later(p->addrs[v].expires, p->addrs[i].expires))
			v = (int)i;
	if (v >= 0 && !store_later(exp, p->addrs[v].expires))
		return -1;
	return v;
}

static bool
store_one_source(unsigned int source)
{
	return source != 0 && (source & (source - 1)) == 0 &&
	    (source & ~(unsigned int)PD_SOURCE_ALL) == 0;
}

int
pd_store_add_addr(struct pd_peer *p, const struct pd_multiaddr *ma,
    int64_t ttl_ms, unsigned int source, int64_t now)
{
	struct pd_store_addr *a;
	int64_t exp;
	uint8_t *bytes;
	int i;

	if (!store_one_source(source) || ttl_ms < 0 || ma->len == 0 ||
	    ma->len > PD_MULTIADDR_MAX_BIN)
		return PD_ERR_INVAL;
	if (ttl_ms == PD_STORE_TTL_PERMANENT)
		exp = PD_STORE_TTL_PERMANENT;
	else if (now > INT64_MAX - ttl_ms)
		exp = INT64_MAX;
	else
		exp = now + ttl_ms;
	p->sources |= source;
	pd_store_touch(p, now);
	if ((i = pd_store_find_addr(p, ma)) >= 0) {
		a = &p->addrs[i];
		if (store_later(exp, a->expires))
			a->expires = exp;
		a->source = (uint8_t)source;
		return 0;
	}
	if (p->naddrs == PD_STORE_MAX_ADDRS &&
	    (i = store_addr_victim(p, exp)) < 0)
		return PD_ERR_OVERFLOW;
	if ((bytes = malloc(ma->len)) == NULL)
		return PD_ERR_NOMEM;
	memcpy(bytes, ma->bytes, ma->len);
	if (p->naddrs == PD_STORE_MAX_ADDRS) {
		/* Replace in place so the order of the others stays. */
		free(p->addrs[i].bytes);
		a = &p->addrs[i];
	} else
		a = &p->addrs[p->naddrs++];
	a->bytes = bytes;
	a->len = (uint16_t)ma->len;
	a->expires = exp;
	a->source = (uint8_t)source;
	store_changed(p->store_, NULL);
	return 1;
}

/* Remove address i, keeping the order of the rest. */
static void
store_addr_delete(struct pd_peer *p, size_t i)
{
	free(p->addrs[i].bytes);
	memmove(&p->addrs[i], &p->addrs[i + 1],
	    (p->naddrs - i - 1) * sizeof(p->addrs[0]));
	p->naddrs--;
	memset(&p->addrs[p->naddrs], 0, sizeof(p->addrs[0]));
}

int
pd_store_remove_addr(struct pd_peer *p, const struct pd_multiaddr *ma)
{
	int i = pd_store_find_addr(p, ma);

	if (i < 0)
		return PD_ERR_NOT_FOUND;
	store_addr_delete(p, (size_t)i);
	store_changed(p->store_, NULL);
	return 0;
}

/* Drop p's addresses expiring at or before now; returns how many. */
static size_t
store_expire_peer(struct pd_peer *p, int64_t now)
{
	size_t i = 0, n = 0;

	while (i < p->naddrs) {
		if (p->addrs[i].expires != PD_STORE_TTL_PERMANENT &&
		    p->addrs[i].expires <= now) {
			store_addr_delete(p, i);
			n++;
		} else
			i++;
	}
	return n;
}

size_t
pd_store_expire_addrs(struct pd_store *s, int64_t now, size_t *ret_addrs)
{
	struct pd_peer *p, *next;
	size_t addrs = 0, peers = 0, n;

	for (p = s->head; p != NULL; p = next) {
		next = p->next_;
		if ((n = store_expire_peer(p, now)) > 0) {
			addrs += n;
			s->generation++;
		}
		if (p->naddrs == 0 && p->last_connected == 0 &&
		    store_evictable(p)) {
			store_drop(s, p);
			peers++;
		}
	}
	if (ret_addrs != NULL)
		*ret_addrs = addrs;
	return peers;
}

/* ---- protocols, agent, tags ------------------------------------------ */

int
pd_store_set_protocols(struct pd_peer *p, const char *const *list, size_t n)
{
	const char *keep[PD_STORE_MAX_PROTOCOLS];
	size_t lens[PD_STORE_MAX_PROTOCOLS];
	size_t nkeep = 0, total = 0, i, j, len;
	char **arr, *str;

	for (i = 0; i < n && nkeep < PD_STORE_MAX_PROTOCOLS; i++) {
		if (list[i] == NULL)
			continue;
		len = strnlen(list[i], PD_STORE_MAX_PROTOCOL_LEN + 1);
		if (len == 0 || len > PD_STORE_MAX_PROTOCOL_LEN ||
		    !pd_store_text_ok(list[i], len))
			continue;
		for (j = 0; j < nkeep; j++)
			if (lens[j] == len && memcmp(keep[j], list[i], len) == 0)
				break;
		if (j < nkeep)
			continue;
		keep[nkeep] = list[i];
		lens[nkeep++] = len;
		total += len + 1;
	}
	/* One block: the pointer array, then the strings. */
	arr = NULL;
	if (nkeep > 0) {
		if ((arr = malloc(nkeep * sizeof(char *) + total)) == NULL)
			return PD_ERR_NOMEM;
		str = (char *)(arr + nkeep);
		for (i = 0; i < nkeep; i++) {
			memcpy(str, keep[i], lens[i]);
			str[lens[i]] = '\0';
			arr[i] = str;
			str += lens[i] + 1;
		}
	}
	free(p->protocols);
	p->protocols = arr;
	p->nprotocols = (uint8_t)nkeep;
	store_changed(p->store_, NULL);
	return (int)nkeep;
}

bool
pd_store_has_protocol(const struct pd_peer *p, const char *proto)
{
	size_t i;

	for (i = 0; i < p->nprotocols; i++)
		if (strcmp(p->protocols[i], proto) == 0)
			return true;
	return false;
}

int
pd_store_set_agent(struct pd_peer *p, const char *agent)
{
	char *a = NULL;

	if (agent != NULL &&
	    (a = store_sanitize(agent, PD_STORE_MAX_AGENT_LEN)) == NULL)
		return PD_ERR_NOMEM;
	free(p->agent);
	p->agent = a;
	store_changed(p->store_, NULL);
	return 0;
}

static int
store_tag_find(const struct pd_peer *p, const char *tag)
{
	size_t i;

	for (i = 0; i < p->ntags; i++)
		if (strcmp(p->tags[i], tag) == 0)
			return (int)i;
	return -1;
}

int
pd_store_protect(struct pd_peer *p, const char *tag)
{
	size_t len = strnlen(tag, PD_STORE_MAX_TAG_LEN + 1);
	char *t;

	if (len == 0 || len > PD_STORE_MAX_TAG_LEN ||
	    !pd_store_text_ok(tag, len))
		return PD_ERR_INVAL;
	if (store_tag_find(p, tag) >= 0)
		return 0;
	if (p->ntags == PD_STORE_MAX_TAGS)
		return PD_ERR_OVERFLOW;
	if ((t = strdup(tag)) == NULL)
		return PD_ERR_NOMEM;
	p->tags[p->ntags++] = t;
	store_changed(p->store_, p);
	return 0;
}

int
pd_store_unprotect(struct pd_peer *p, const char *tag)
{
	int i = store_tag_find(p, tag);

	if (i < 0)
		return PD_ERR_NOT_FOUND;
	free(p->tags[i]);
	memmove(&p->tags[i], &p->tags[i + 1],
	    (p->ntags - (size_t)i - 1) * sizeof(p->tags[0]));
	p->tags[--p->ntags] = NULL;
	store_changed(p->store_, p);
	return 0;
}

void
pd_store_set_conf_protected(struct pd_peer *p, bool on)
{
	p->conf_protected = on;
	store_changed(p->store_, p);
}

bool
pd_store_is_protected(const struct pd_peer *p)
{
	return p->ntags > 0 || p->conf_protected;
}

/* ---- connection and scalar state ------------------------------------ */

void
pd_store_set_connected(struct pd_peer *p, bool connected,
    enum pd_store_dir dir, int64_t now)
{
	if (connected) {
		if (!p->connected)
			p->connected_since = now;
		p->connected = true;
		if (dir == PD_STORE_DIR_INBOUND || dir == PD_STORE_DIR_OUTBOUND)
			p->direction = dir;
	} else {
		p->connected = false;
		p->connected_since = 0;
	}
	/* 0 means "never": a clock at the epoch still counts as connected. */
	p->last_connected = now > 0 ? now : 1;
	if (now > p->last_seen)
		p->last_seen = now;
	store_changed(p->store_, p);
}

void
pd_store_touch(struct pd_peer *p, int64_t now)
{
	if (now > p->last_seen) {
		p->last_seen = now;
		store_changed(p->store_, p);
	}
}

void
pd_store_set_score(struct pd_peer *p, int score)
{
	p->score = score;
	store_changed(p->store_, p);
}

void
pd_store_set_latency(struct pd_peer *p, uint32_t latency_us)
{
	p->latency_us = latency_us;
	store_changed(p->store_, NULL);
}

void
pd_store_set_kad_server(struct pd_peer *p, bool on)
{
	p->kad_server = on;
	store_changed(p->store_, NULL);
}

void
pd_store_set_dial_state(struct pd_peer *p, uint32_t failures,
    int64_t next_dial, const char *last_error)
{
	p->dial_failures = failures;
	p->next_dial = next_dial;
	p->last_error[0] = '\0';
	if (last_error != NULL)
		store_sanitize_into(p->last_error, PD_STORE_MAX_ERROR - 1,
		    last_error);
	store_changed(p->store_, NULL);
}

const char *
pd_store_id_text(const struct pd_peer *p)
{
	/* The cache is not part of the peer's value: filling it is allowed
	 * through a const pointer (peers are never const objects). */
	struct pd_peer *mp = (struct pd_peer *)p;

	if (mp->id_text_[0] == '\0' &&
	    pd_peerid_format(&p->id, mp->id_text_, sizeof(mp->id_text_)) < 0)
		mp->id_text_[0] = '\0';
	return p->id_text_;
}

void
pd_store_add_sources(struct pd_peer *p, unsigned int sources)
{
	uint8_t add = (uint8_t)(sources & PD_SOURCE_ALL);

	if ((p->sources | add) != p->sources) {
		p->sources |= add;
		store_changed(p->store_, NULL);
	}
}

void
pd_store_restore(struct pd_peer *p, const struct pd_store_saved *st)
{
	if (st->first_seen != 0)
		p->first_seen = st->first_seen;
	if (st->last_seen != 0)
		p->last_seen = st->last_seen;
	p->last_connected = st->last_connected;
	p->next_dial = st->next_dial;
	p->direction = st->direction;
	p->was_connected = st->was_connected;
	p->kad_server = st->kad_server;
	p->score = st->score;
	p->latency_us = st->latency_us;
	p->dial_failures = st->dial_failures;
	p->last_error[0] = '\0';
	if (st->last_error != NULL)
		store_sanitize_into(p->last_error, PD_STORE_MAX_ERROR - 1,
		    st->last_error);
	/* Bare base58 text that parsed to this ID is its canonical form. */
	if (st->id_text != NULL && (st->id_text[0] == '1' ||
	    strncmp(st->id_text, "Qm", 2) == 0) &&
	    strlen(st->id_text) < sizeof(p->id_text_))
		memcpy(p->id_text_, st->id_text, strlen(st->id_text) + 1);
	store_changed(p->store_, p);
}
