/*
 * providers.c - the DHT provider store: key (multihash bytes) -> the peers
 * that announced it with ADD_PROVIDER, each with a few addresses and an
 * expiry.  The DHT server adds on ADD_PROVIDER and reads on GET_PROVIDERS;
 * the owner calls pd_kad_prov_expire() on a timer.  No clock and no I/O:
 * time is passed in.
 *
 * Layout: a chained hash table of keys (crypto_shorthash with a random
 * per-store key, doubled as keys are added), and a doubly linked list of
 * the same keys sorted by the expiry of each key's newest provider, so the
 * key to evict when the store is full is the list head.  Each key holds a
 * small array of providers sorted by expiry (oldest first; ties in add
 * order), so the provider to evict from a full key is element 0 and a get
 * walks it backwards.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "kad/providers.h"

#define PROV_MIN_BUCKETS 64

struct prov_ent {
	struct pd_peerid id;
	uint64_t expires_ms;			/* unix ms */
	uint8_t naddrs;
	uint16_t alen[PD_KAD_PROV_MAX_ADDRS];	/* bytes of each address */
	uint8_t *abuf;				/* owned: addresses back to back, NULL if none */
};

struct prov_key {
	struct prov_key *hnext;		/* hash chain */
	struct prov_key *prev, *next;	/* expiry list */
	uint8_t keylen;
	uint8_t key[PD_KAD_PROV_MAX_KEY];
	uint8_t nents, cap;
	struct prov_ent *ents;		/* owned; sorted by expires_ms ascending */
};

/*
 * Invariants: every key is in exactly one bucket chain and in the list;
 * the list is sorted by newest expiry (ents[nents-1].expires_ms)
 * ascending; 0 < nents <= PD_KAD_PROV_MAX_PER_KEY; nkeys <= max_keys;
 * nentries is the sum of nents.
 */
struct pd_kad_prov {
	size_t max_keys;
	size_t nkeys;
	size_t nentries;
	size_t nbuckets;			/* power of two */
	struct prov_key **buckets;
	struct prov_key *head, *tail;		/* head: expires soonest */
	uint8_t hkey[crypto_shorthash_KEYBYTES];	/* random */
};

static size_t
prov_bucket(const struct pd_kad_prov *pv, const uint8_t *key, size_t keylen,
    size_t nbuckets)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, keylen, pv->hkey);
	for (size_t i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (size_t)(v & (nbuckets - 1));
}

static struct prov_key *
prov_find(const struct pd_kad_prov *pv, const uint8_t *key, size_t keylen)
{
	struct prov_key *k;

	k = pv->buckets[prov_bucket(pv, key, keylen, pv->nbuckets)];
	for (; k != NULL; k = k->hnext)
		if (k->keylen == keylen && memcmp(k->key, key, keylen) == 0)
			return k;
	return NULL;
}

static uint64_t
prov_key_newest(const struct prov_key *k)
{
	return k->ents[k->nents - 1].expires_ms;
}

static void
prov_list_unlink(struct pd_kad_prov *pv, struct prov_key *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		pv->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		pv->tail = k->prev;
	k->prev = k->next = NULL;
}

/* Insert k after every key expiring no later (O(1) when time advances). */
static void
prov_list_insert(struct pd_kad_prov *pv, struct prov_key *k)
{
	struct prov_key *pos = pv->tail;
	uint64_t exp = prov_key_newest(k);

	while (pos != NULL && prov_key_newest(pos) > exp)
		pos = pos->prev;
	k->prev = pos;
	k->next = pos != NULL ? pos->next : pv->head;
	if (k->next != NULL)
		k->next->prev = k;
	else
		pv->tail = k;
	if (pos != NULL)
		pos->next = k;
	else
		pv->head = k;
}

static void
prov_key_free(struct prov_key *k)
{
	for (size_t i = 0; i < k->nents; i++)
		free(k->ents[i].abuf);
	free(k->ents);
	free(k);
}

/* Unlink k from its chain and the list, and free it. */
static void
prov_key_remove(struct pd_kad_prov *pv, struct prov_key *k)
{
	struct prov_key **pp;

	pp = &pv->buckets[prov_bucket(pv, k->key, k->keylen, pv->nbuckets)];
	while (*pp != k)
		pp = &(*pp)->hnext;
	*pp = k->hnext;
	prov_list_unlink(pv, k);
	pv->nkeys--;
	pv->nentries -= k->nents;
	prov_key_free(k);
}

/* Double the table when it is fuller than one key per bucket; an
 * allocation failure just keeps the old table. */
static void
prov_maybe_grow(struct pd_kad_prov *pv)
{
	struct prov_key **nb, *k, *next;
	size_t n = pv->nbuckets * 2, i, b;

	if (pv->nkeys <= pv->nbuckets || (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < pv->nbuckets; i++)
		for (k = pv->buckets[i]; k != NULL; k = next) {
			next = k->hnext;
			b = prov_bucket(pv, k->key, k->keylen, n);
			k->hnext = nb[b];
			nb[b] = k;
		}
	free(pv->buckets);
	pv->buckets = nb;
	pv->nbuckets = n;
}

struct pd_kad_prov *
pd_kad_prov_new(size_t max_keys)
{
	struct pd_kad_prov *pv;

	if (sodium_init() < 0)
		return NULL;
	if ((pv = calloc(1, sizeof(*pv))) == NULL)
		return NULL;
	pv->max_keys = max_keys == 0 || max_keys > PD_KAD_PROV_MAX_KEYS ?
	    PD_KAD_PROV_MAX_KEYS : max_keys;
	pv->nbuckets = PROV_MIN_BUCKETS;
	if ((pv->buckets = calloc(pv->nbuckets, sizeof(*pv->buckets))) ==
	    NULL) {
		free(pv);
		return NULL;
	}
	crypto_shorthash_keygen(pv->hkey);
	return pv;
}

void
pd_kad_prov_free(struct pd_kad_prov *pv)
{
	struct prov_key *k, *next;

	if (pv == NULL)
		return;
	for (k = pv->head; k != NULL; k = next) {
		next = k->next;
		prov_key_free(k);
	}
	free(pv->buckets);
	free(pv);
}

/*
 * Pack the addresses that fit into a fresh ent (id and expiry set by the
 * caller).  PD_ERR_INVAL for a broken multiaddr, PD_ERR_NOMEM.
 */
static int
prov_ent_pack(struct prov_ent *e, const struct pd_multiaddr *addrs,
    size_t naddrs)
{
	size_t i, total = 0;
	uint8_t buf[PD_KAD_PROV_MAX_ADDR_BYTES];

	e->naddrs = 0;
	e->abuf = NULL;
	for (i = 0; i < naddrs; i++) {
		size_t len = addrs[i].len;

		if (len == 0 || len > PD_MULTIADDR_MAX_BIN)
			return PD_ERR_INVAL;
		if (e->naddrs == PD_KAD_PROV_MAX_ADDRS ||
		    len > PD_KAD_PROV_MAX_ADDR_BYTES - total)
			continue;
		memcpy(buf + total, addrs[i].bytes, len);
		e->alen[e->naddrs++] = (uint16_t)len;
		total += len;
	}
	if (total > 0) {
		if ((e->abuf = malloc(total)) == NULL)
			return PD_ERR_NOMEM;
		memcpy(e->abuf, buf, total);
	}
	return 0;
}

static int
prov_find_ent(const struct prov_key *k, const struct pd_peerid *id)
{
	for (int i = 0; i < k->nents; i++)
		if (pd_peerid_equal(&k->ents[i].id, id))
			return i;
	return -1;
}

/* Put e into k's sorted array (room for one more is there). */
static void
prov_ent_insert(struct prov_key *k, const struct prov_ent *e)
{
	int j = k->nents;

	while (j > 0 && k->ents[j - 1].expires_ms > e->expires_ms) {
		k->ents[j] = k->ents[j - 1];
		j--;
	}
	k->ents[j] = *e;
	k->nents++;
}

static void
prov_ent_delete(struct prov_key *k, int i)
{
	free(k->ents[i].abuf);
	memmove(&k->ents[i], &k->ents[i + 1],
	    (size_t)(k->nents - i - 1) * sizeof(k->ents[0]));
	k->nents--;
}

/* A new, empty, unlinked key with room for one provider. */
static struct prov_key *
prov_key_new(const uint8_t *key, size_t keylen)
{
	struct prov_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->ents = calloc(1, sizeof(*k->ents))) == NULL) {
		free(k);
		return NULL;
	}
	k->cap = 1;
	k->keylen = (uint8_t)keylen;
	memcpy(k->key, key, keylen);
	return k;
}

/* Room for one more provider in an existing key; 0 or PD_ERR_NOMEM. */
static int
prov_key_reserve(struct prov_key *k)
{
	struct prov_ent *n;
	size_t cap;

	if (k->nents < k->cap)
		return 0;
	cap = (size_t)k->cap * 2;
	if (cap > PD_KAD_PROV_MAX_PER_KEY)
		cap = PD_KAD_PROV_MAX_PER_KEY;
	if ((n = realloc(k->ents, cap * sizeof(*n))) == NULL)
		return PD_ERR_NOMEM;
	k->ents = n;
	k->cap = (uint8_t)cap;
	return 0;
}

/* Insert a brand-new key holding only e, evicting a key if full. */
static int
prov_add_key(struct pd_kad_prov *pv, const uint8_t *key, size_t keylen,
    const struct prov_ent *e)
{
	struct prov_key *k;
	size_t b;

	if ((k = prov_key_new(key, keylen)) == NULL)
		return PD_ERR_NOMEM;
	if (pv->nkeys >= pv->max_keys)
		prov_key_remove(pv, pv->head);
	prov_ent_insert(k, e);
	b = prov_bucket(pv, key, keylen, pv->nbuckets);
	k->hnext = pv->buckets[b];
	pv->buckets[b] = k;
	prov_list_insert(pv, k);
	pv->nkeys++;
	pv->nentries++;
	prov_maybe_grow(pv);
	return 0;
}

/* Add or refresh e in an existing key k. */
static int
prov_add_existing(struct pd_kad_prov *pv, struct prov_key *k,
    struct prov_ent *e, size_t naddrs)
{
	int i = prov_find_ent(k, &e->id);

	if (i >= 0) {
		if (naddrs == 0) {	/* keep the old addresses */
			free(e->abuf);
			e->naddrs = k->ents[i].naddrs;
			memcpy(e->alen, k->ents[i].alen, sizeof(e->alen));
			e->abuf = k->ents[i].abuf;
			k->ents[i].abuf = NULL;
		}
		prov_ent_delete(k, i);
		pv->nentries--;
	} else if (k->nents == PD_KAD_PROV_MAX_PER_KEY) {
		prov_ent_delete(k, 0);	/* soonest-expiring */
		pv->nentries--;
	} else if (prov_key_reserve(k) < 0)
		return PD_ERR_NOMEM;
	prov_ent_insert(k, e);
	pv->nentries++;
	prov_list_unlink(pv, k);
	prov_list_insert(pv, k);
	return 0;
}

int
pd_kad_prov_add(struct pd_kad_prov *pv, const uint8_t *key, size_t keylen,
    const struct pd_peerid *id, const struct pd_multiaddr *addrs,
    size_t naddrs, uint64_t now_ms)
{
	struct prov_key *k;
	struct prov_ent e;
	int rc;

	if (pv == NULL || key == NULL || id == NULL || keylen == 0 ||
	    keylen > PD_KAD_PROV_MAX_KEY || (addrs == NULL && naddrs > 0) ||
	    id->len == 0 || id->len > PD_PEERID_MAX_BYTES)
		return PD_ERR_INVAL;
	memset(&e, 0, sizeof(e));
	e.id = *id;
	e.expires_ms = now_ms > UINT64_MAX - PD_KAD_PROVIDER_TTL_MS ?
	    UINT64_MAX : now_ms + PD_KAD_PROVIDER_TTL_MS;
	if ((rc = prov_ent_pack(&e, addrs, naddrs)) < 0)
		return rc;
	if ((k = prov_find(pv, key, keylen)) != NULL)
		rc = prov_add_existing(pv, k, &e, naddrs);
	else
		rc = prov_add_key(pv, key, keylen, &e);
	if (rc < 0)
		free(e.abuf);
	return rc;
}

static void
prov_ent_copy_out(const struct prov_ent *e, struct pd_kad_prov_entry *out)
{
	size_t off = 0;

	out->id = e->id;
	out->expires_ms = e->expires_ms;
	out->naddrs = e->naddrs;
	for (size_t i = 0; i < e->naddrs; i++) {
		out->addrs[i].len = e->alen[i];
		memcpy(out->addrs[i].bytes, e->abuf + off, e->alen[i]);
		off += e->alen[i];
	}
}

int
pd_kad_prov_get(const struct pd_kad_prov *pv, const uint8_t *key,
    size_t keylen, uint64_t now_ms, struct pd_kad_prov_entry *ret, size_t n)
{
	const struct prov_key *k;
	size_t got = 0;

	if (pv == NULL || key == NULL || (ret == NULL && n > 0) ||
	    keylen == 0 || keylen > PD_KAD_PROV_MAX_KEY)
		return PD_ERR_INVAL;
	if ((k = prov_find(pv, key, keylen)) == NULL)
		return 0;
	for (int i = k->nents - 1; i >= 0 && got < n; i--) {
		if (k->ents[i].expires_ms <= now_ms)
			break;	/* sorted: the rest are older */
		prov_ent_copy_out(&k->ents[i], &ret[got++]);
	}
	return (int)got;
}

size_t
pd_kad_prov_expire(struct pd_kad_prov *pv, uint64_t now_ms)
{
	struct prov_key *k, *next;
	size_t dropped = 0;
	int n;

	if (pv == NULL)
		return 0;
	for (k = pv->head; k != NULL; k = next) {
		next = k->next;
		if (prov_key_newest(k) <= now_ms) {
			dropped += k->nents;
			prov_key_remove(pv, k);
			continue;
		}
		for (n = 0; n < k->nents && k->ents[n].expires_ms <= now_ms;
		    n++)
			free(k->ents[n].abuf);
		if (n > 0) {
			memmove(k->ents, k->ents + n,
			    (size_t)(k->nents - n) * sizeof(k->ents[0]));
			k->nents = (uint8_t)(k->nents - n);
			pv->nentries -= (size_t)n;
			dropped += (size_t)n;
		}
	}
	return dropped;
}

size_t
pd_kad_prov_count(const struct pd_kad_prov *pv)
{
	return pv != NULL ? pv->nentries : 0;
}

size_t
pd_kad_prov_nkeys(const struct pd_kad_prov *pv)
{
	return pv != NULL ? pv->nkeys : 0;
}
