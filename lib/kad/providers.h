/*
 * providers.h - the DHT provider store (libp2p-wire.md §9.3, §9.5, §10):
 * which peers said, through ADD_PROVIDER, that they provide a key (a
 * multihash, e.g. 12 20 ‖ sha256(namespace)).
 *
 * Sans-IO and clock-free: every call that cares about time takes `now`
 * in unix milliseconds.  An entry expires PD_KAD_PROVIDER_TTL_MS after its
 * last add.  Everything is capped: PD_KAD_PROV_MAX_PER_KEY providers per
 * key (the most recent are kept), a configurable number of keys (when
 * full, the key whose newest provider expires soonest is evicted), and a
 * few addresses per provider.  Keys are looked up through a hash table
 * keyed with libsodium crypto_shorthash under a random per-store key, so
 * remote peers cannot aim collisions.
 *
 * Worst-case memory with the defaults is about 10000 keys × 20 providers
 * × (PD_KAD_PROV_MAX_ADDR_BYTES + ~100) bytes ≈ 70 MB; pass a smaller
 * max_keys to pd_kad_prov_new() to bound it lower.
 */
#ifndef PD_KAD_PROVIDERS_H
#define PD_KAD_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"

#define PD_KAD_PROVIDER_TTL_MS (48ull * 3600 * 1000)	/* ms: validity of one add (go/js 48 h) */
#define PD_KAD_PROV_MAX_KEY 80		/* bytes of a key (go's provider key limit) */
#define PD_KAD_PROV_MAX_PER_KEY 20	/* providers kept per key, most recent */
#define PD_KAD_PROV_MAX_KEYS 10000	/* keys per store (default and ceiling) */
#define PD_KAD_PROV_MAX_ADDRS 4		/* addresses kept per provider */
#define PD_KAD_PROV_MAX_ADDR_BYTES 256	/* binary address bytes kept per provider */

struct pd_kad_prov;

/*
 * One provider as returned by pd_kad_prov_get(): a copy, owned by the
 * caller.  addrs[0..naddrs) are the stored addresses, in the order given
 * to the add that stored them.
 */
struct pd_kad_prov_entry {
	struct pd_peerid id;
	uint64_t expires_ms;		/* unix ms; the entry is live while now < expires_ms */
	size_t naddrs;
	struct pd_multiaddr addrs[PD_KAD_PROV_MAX_ADDRS];
};

/*
 * New empty store holding at most max_keys keys (0 or anything above
 * PD_KAD_PROV_MAX_KEYS means PD_KAD_PROV_MAX_KEYS).  NULL on OOM or if
 * libsodium cannot initialise.  Free with pd_kad_prov_free().
 */
struct pd_kad_prov *pd_kad_prov_new(size_t max_keys);
/* Free the store and everything in it.  NULL is a no-op. */
void pd_kad_prov_free(struct pd_kad_prov *pv);

/*
 * Record that peer id provides key[0..keylen), valid until now_ms +
 * PD_KAD_PROVIDER_TTL_MS.  If id is already listed for key its expiry is
 * reset and, when naddrs > 0, its addresses are replaced (naddrs == 0
 * keeps the old ones).  Addresses past PD_KAD_PROV_MAX_ADDRS, or that
 * would take the provider past PD_KAD_PROV_MAX_ADDR_BYTES, are skipped.
 * A new provider on a full key evicts that key's soonest-expiring one; a
 * new key on a full store evicts the key whose newest provider expires
 * soonest.  Does not check that id is the sender or has an address: that
 * is the server's rule (§9.3).
 * Returns 0, PD_ERR_INVAL (NULL pv/key/id, keylen 0 or over
 * PD_KAD_PROV_MAX_KEY, an address that breaks the pd_multiaddr
 * invariant) or PD_ERR_NOMEM; the store is unchanged on failure.
 */
int pd_kad_prov_add(struct pd_kad_prov *pv, const uint8_t *key,
    size_t keylen, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, uint64_t now_ms);

/*
 * Copy up to n unexpired providers of key (expires_ms > now_ms) into
 * ret[0..), most recently added first.  Returns how many were copied
 * (0 for an unknown key) or PD_ERR_INVAL (NULL pv/key, ret NULL with
 * n > 0, keylen 0 or over PD_KAD_PROV_MAX_KEY).  Does not modify the store.
 */
int pd_kad_prov_get(const struct pd_kad_prov *pv, const uint8_t *key,
    size_t keylen, uint64_t now_ms, struct pd_kad_prov_entry *ret, size_t n);

/*
 * Drop every provider with expires_ms <= now_ms, and keys left empty.
 * Call it periodically (go and js do hourly).  Returns the number of
 * providers dropped.
 */
size_t pd_kad_prov_expire(struct pd_kad_prov *pv, uint64_t now_ms);

/* Providers stored, expired ones included until pd_kad_prov_expire(). */
size_t pd_kad_prov_count(const struct pd_kad_prov *pv);
/* Keys stored. */
size_t pd_kad_prov_nkeys(const struct pd_kad_prov *pv);

#endif
