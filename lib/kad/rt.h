/*
 * rt.h - the Kademlia routing table (libp2p-wire.md §9.5), sans-IO.
 *
 * Keys are 32-byte SHA-256 digests: of the binary peer ID for peers, of
 * the record key for records.  Distance is the XOR of two keys read as
 * 256-bit big-endian integers.  The table has one bucket per common-prefix
 * length (CPL) with our own key, 0..255, each holding at most k peers
 * (go-libp2p-kbucket's unfolded table is equivalent), plus a per-bucket
 * replacement cache of candidates that found the bucket full.
 *
 * Admission is two-step (classic Kademlia, jech/dht): add_candidate()
 * either admits the peer (room in the bucket), or answers
 * PD_KAD_RT_PENDING_CHECK with the least-recently-seen entry of the full
 * bucket; the caller pings it (a FIND_NODE for our own key) and reports
 * the outcome with pd_kad_rt_check_done(): alive keeps it (the candidate
 * waits in the replacement cache), dead evicts it and promotes the newest
 * replacement.  Only offer peers that proved to speak kad (answered a kad
 * request, or advertise the kad protocol in identify; §9.4) — peers merely
 * named in closerPeers belong in a query, not here.
 *
 * A go-style diversity filter (go-libp2p-kbucket peerdiversity) caps how
 * many admitted peers share an IP group (IPv4 /16, IPv6 /48): per bucket
 * and per table.  Loopback and private addresses can be exempted.
 *
 * No clock, no randomness, no I/O: every time is `now` in milliseconds
 * (any monotonic origin) and random bytes are passed in by the caller.
 * Pointers to struct pd_kad_rt_peer stay valid until that peer leaves the
 * table (remove, eviction through mark_failed / check_done) or the table is
 * freed; copy what you keep.
 */
#ifndef PD_KAD_RT_H
#define PD_KAD_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/peerid.h"

struct pd_multiaddr;
struct pd_kad_rt;

#define PD_KAD_KEY_LEN 32		/* bytes: SHA-256 digest */
#define PD_KAD_RT_BUCKETS 256		/* one bucket per CPL 0..255 */
#define PD_KAD_RT_DEFAULT_K 20		/* bucket size (spec k) */
#define PD_KAD_RT_MAX_K 256		/* cap on k and on the replacement cache */
#define PD_KAD_RT_MAX_ADDRS 4		/* addresses kept per peer */
#define PD_KAD_RT_DEFAULT_MAX_FAILURES 3	/* failures before eviction */
#define PD_KAD_RT_MAX_FAILURES 100	/* cap on the setting */
#define PD_KAD_RT_CHECK_TIMEOUT_MS 30000	/* an unreported check is dropped */
#define PD_KAD_RT_DIV_PER_BUCKET 2	/* go: peers per IP group per CPL */
#define PD_KAD_RT_DIV_PER_TABLE 3	/* go: peers per IP group in the table */
#define PD_KAD_RT_MAX_REFRESH_CPL 15	/* go refreshes CPLs 0..15 */
#define PD_KAD_RT_MAX_KEYGEN_TRIES (1u << 24)	/* preimage search cap */

/* A Kademlia key: SHA-256 of a peer ID's bytes or of a record key. */
struct pd_kad_key {
	uint8_t bytes[PD_KAD_KEY_LEN];
};

/*
 * Diversity settings.  A value of 0 disables that cap.  exempt_private:
 * loopback and private addresses (pd_multiaddr_is_loopback/_is_private)
 * do not count toward any group (go's LAN DHT has no filter at all).
 */
struct pd_kad_rt_diversity {
	unsigned per_bucket;	/* max admitted peers per IP group per bucket */
	unsigned per_table;	/* max admitted peers per IP group in total */
	bool exempt_private;
};

/* Table settings; fill with pd_kad_rt_config_default() and adjust. */
struct pd_kad_rt_config {
	unsigned k;			/* 1..PD_KAD_RT_MAX_K */
	unsigned replacements;		/* replacement cache per bucket, 0..MAX_K */
	unsigned max_failures;		/* 1..PD_KAD_RT_MAX_FAILURES */
	struct pd_kad_rt_diversity diversity;
};

/* IP group of one address, for the diversity filter (internal, exposed
 * only so struct pd_kad_rt_peer has a fixed size). */
struct pd_kad_rt_group {
	uint8_t bytes[7];	/* 4 ‖ /16, or 6 ‖ /48 */
};

/*
 * One peer in the table (or in a replacement cache).  Read-only outside
 * rt.c.  addrs has naddrs entries (owned by the table).
 */
struct pd_kad_rt_peer {
	struct pd_peerid id;
	struct pd_kad_key key;		/* SHA-256(id bytes) */
	struct pd_multiaddr *addrs;	/* naddrs entries, may be NULL if 0 */
	size_t naddrs;
	uint64_t added_ms;		/* admitted (or cached) at */
	uint64_t last_seen_ms;		/* last offered / answered */
	uint64_t last_useful_ms;	/* last useful in a query, 0 = never */
	unsigned failures;		/* consecutive failures */
	unsigned cpl;			/* bucket index */
	/* internal: diversity groups frozen at admission */
	struct pd_kad_rt_group groups[PD_KAD_RT_MAX_ADDRS];
	unsigned ngroups;
};

/* Outcome of pd_kad_rt_add_candidate(). */
enum pd_kad_rt_verdict {
	PD_KAD_RT_ADDED = 1,		/* admitted to its bucket */
	PD_KAD_RT_UPDATED,		/* already admitted; addrs/last_seen refreshed */
	PD_KAD_RT_PENDING_CHECK,	/* bucket full: ping *ret_stale, then check_done */
	PD_KAD_RT_CACHED,		/* bucket full, a check is already pending:
					   kept in the replacement cache only */
	PD_KAD_RT_REJECTED,		/* ourselves, or over a diversity cap */
};

/* ---- keys ---------------------------------------------------------------- */

/* SHA-256 of data[0..n) into *ret_key (a record key, a FIND_NODE key). */
void pd_kad_rt_key_hash(const void *data, size_t n, struct pd_kad_key *ret_key);
/* SHA-256 of the binary peer ID. */
void pd_kad_rt_key_of_peer(const struct pd_peerid *id,
    struct pd_kad_key *ret_key);
/* Common prefix length of a and b in bits, 0..256. */
unsigned pd_kad_rt_key_cpl(const struct pd_kad_key *a,
    const struct pd_kad_key *b);
/*
 * Compare the distances of a and b to target: negative if a is closer,
 * 0 if equal (a == b), positive if b is closer.
 */
int pd_kad_rt_key_cmp(const struct pd_kad_key *target,
    const struct pd_kad_key *a, const struct pd_kad_key *b);

/* ---- table --------------------------------------------------------------- */

/* Defaults: k 20, 20 replacements, 3 failures, diversity 2/3, exempt on. */
void pd_kad_rt_config_default(struct pd_kad_rt_config *ret_cfg);

/*
 * New empty table for our own peer ID.  cfg NULL means defaults.  Returns
 * 0, PD_ERR_INVAL (a setting out of range) or PD_ERR_NOMEM.  Every bucket's
 * last-refresh time starts at 0.
 */
int pd_kad_rt_new(const struct pd_peerid *self,
    const struct pd_kad_rt_config *cfg, struct pd_kad_rt **ret_rt);
/* Free the table and every entry.  NULL is a no-op. */
void pd_kad_rt_free(struct pd_kad_rt *rt);

/* Our own key. */
const struct pd_kad_key *pd_kad_rt_self_key(const struct pd_kad_rt *rt);
/* The settings in force. */
const struct pd_kad_rt_config *pd_kad_rt_config(const struct pd_kad_rt *rt);

/*
 * Offer a peer that proved to speak kad, with up to naddrs addresses
 * (only the first PD_KAD_RT_MAX_ADDRS are kept; addrs may be NULL when
 * naddrs is 0).  Returns a positive enum pd_kad_rt_verdict, or PD_ERR_NOMEM.
 * ADDED / UPDATED: the peer is in the table, last_seen = now, failures 0.
 * PENDING_CHECK: its bucket is full; *ret_stale (if not NULL) receives the
 * ID of the least-recently-seen entry, which the caller must ping and
 * report with pd_kad_rt_check_done(); the candidate waits in the
 * replacement cache.  CACHED: same, but a check of that bucket is already
 * pending (the caller does nothing).  REJECTED: our own ID or a diversity
 * cap.  *ret_stale is written only for PENDING_CHECK.
 */
int pd_kad_rt_add_candidate(struct pd_kad_rt *rt, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, uint64_t now,
    struct pd_peerid *ret_stale);

/*
 * Outcome of the ping asked for by PENDING_CHECK.  alive: the stale entry
 * stays (last_seen = now, failures 0).  Dead: it is evicted and the newest
 * admissible replacement of that bucket is promoted.  Returns 0, or
 * PD_ERR_NOT_FOUND if no check of stale is pending (expired after
 * PD_KAD_RT_CHECK_TIMEOUT_MS, or the peer left meanwhile).
 */
int pd_kad_rt_check_done(struct pd_kad_rt *rt, const struct pd_peerid *stale,
    bool alive, uint64_t now);

/*
 * Remove a peer from the table or its replacement cache (e.g. it stopped
 * advertising kad); a replacement is promoted into the freed slot.
 * Returns 0 or PD_ERR_NOT_FOUND.
 */
int pd_kad_rt_remove(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now);

/*
 * A request to the peer failed or timed out.  After max_failures
 * consecutive failures it is evicted (a replacement is promoted).  Returns
 * 1 if evicted, 0 if only counted, PD_ERR_NOT_FOUND if not in the table.
 */
int pd_kad_rt_mark_failed(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now);
/* The peer answered: last_seen = now, failures 0.  0 or PD_ERR_NOT_FOUND. */
int pd_kad_rt_mark_seen(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now);
/* The peer was useful in a query: as mark_seen, and last_useful = now. */
int pd_kad_rt_mark_useful(struct pd_kad_rt *rt, const struct pd_peerid *id,
    uint64_t now);

/* The admitted entry for id, or NULL (replacements are not returned). */
const struct pd_kad_rt_peer *pd_kad_rt_find(const struct pd_kad_rt *rt,
    const struct pd_peerid *id);

/*
 * The up to n admitted peers closest to key, sorted by XOR distance
 * (closest first, exact).  exclude (may be NULL) is skipped, e.g. the
 * requester of a FIND_NODE.  Writes pointers into out[0..n) and returns
 * how many.
 */
size_t pd_kad_rt_nearest(const struct pd_kad_rt *rt,
    const struct pd_kad_key *key, const struct pd_peerid *exclude,
    const struct pd_kad_rt_peer **out, size_t n);

/* Number of admitted peers. */
size_t pd_kad_rt_size(const struct pd_kad_rt *rt);

/* ---- buckets (for dht.routing_table and refresh) ------------------------- */

/* Admitted peers in bucket cpl (0 for cpl >= PD_KAD_RT_BUCKETS). */
size_t pd_kad_rt_bucket_size(const struct pd_kad_rt *rt, unsigned cpl);
/* Peers in bucket cpl's replacement cache. */
size_t pd_kad_rt_bucket_replacements(const struct pd_kad_rt *rt,
    unsigned cpl);
/* The i-th admitted peer of bucket cpl (insertion order), or NULL. */
const struct pd_kad_rt_peer *pd_kad_rt_bucket_peer(const struct pd_kad_rt *rt,
    unsigned cpl, size_t i);
/* Highest non-empty bucket index, or -1 for an empty table. */
int pd_kad_rt_max_cpl(const struct pd_kad_rt *rt);
/* Last refresh time of bucket cpl (0 = never, also for bad cpl). */
uint64_t pd_kad_rt_bucket_refreshed(const struct pd_kad_rt *rt, unsigned cpl);
/* Record that bucket cpl was refreshed at now.  0 or PD_ERR_INVAL. */
int pd_kad_rt_mark_refreshed(struct pd_kad_rt *rt, unsigned cpl,
    uint64_t now);

/*
 * A random key in hash space whose CPL with our key is exactly cpl
 * (0..255): our first cpl bits, bit cpl flipped, the rest from rnd (32
 * caller-supplied random bytes).  Useful for tests and local lookups;
 * the wire needs a preimage, see pd_kad_rt_random_peerid().
 * Returns 0 or PD_ERR_INVAL.
 */
int pd_kad_rt_random_key(const struct pd_kad_rt *rt, unsigned cpl,
    const uint8_t rnd[PD_KAD_KEY_LEN], struct pd_kad_key *ret_key);

/*
 * A refresh target for bucket cpl (0..PD_KAD_RT_MAX_REFRESH_CPL), like
 * go's GenRandPeerID: a sha2-256 peer ID (12 20 ‖ 32 bytes, derived from
 * rnd) whose key SHA-256(id bytes) has CPL exactly cpl with ours; send its
 * bytes as the FIND_NODE key.  Searches about 2^(cpl+1) hashes.  Returns
 * 0, PD_ERR_INVAL (cpl too large) or PD_ERR_NOT_FOUND (no hit within
 * PD_KAD_RT_MAX_KEYGEN_TRIES; practically impossible).
 */
int pd_kad_rt_random_peerid(const struct pd_kad_rt *rt, unsigned cpl,
    const uint8_t rnd[PD_KAD_KEY_LEN], struct pd_peerid *ret_id,
    struct pd_kad_key *ret_key);

#endif
