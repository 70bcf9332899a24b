/*
 * store.h - the peer store: every peer the node knows, indexed by peer ID.
 *
 * struct pd_store is opaque and owned by the manager.  struct pd_peer is
 * public so that the manager, the connection manager and the RPC layer can
 * read its fields, but every change goes through a pd_store_* setter: the
 * store keeps a hash index, an eviction heap and a change counter
 * (pd_store_generation) in step with the fields, and a direct write would
 * silently break them.  Treat a struct pd_peer as read-only outside
 * store.c.
 *
 * The store is pure: no libevent, no clock.  Every time is a wall-clock
 * unix time in milliseconds passed in by the caller (`now`), so first/last
 * seen, address expiry and next_dial survive a restart through the store
 * file (storefile.h).
 *
 * Pointers returned by the store stay valid until that peer is removed:
 * by pd_store_remove, by eviction (pd_store_add on a full store,
 * pd_store_set_max), by pd_store_expire_addrs, or by pd_store_free.
 */
#ifndef PD_PEER_STORE_H
#define PD_PEER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/peerid.h"

struct pd_multiaddr;
struct pd_store;

#define PD_STORE_MAX_ENTRIES 1000000	/* hard cap on pd_store_new/set_max */
#define PD_STORE_MAX_ADDRS 16		/* addresses per peer */
#define PD_STORE_MAX_PROTOCOLS 64	/* protocol IDs per peer */
#define PD_STORE_MAX_PROTOCOL_LEN 256	/* bytes per protocol ID */
#define PD_STORE_MAX_AGENT_LEN 256	/* bytes of agent version kept */
#define PD_STORE_MAX_TAGS 8		/* protection tags per peer */
#define PD_STORE_MAX_TAG_LEN 64		/* bytes per tag */
#define PD_STORE_MAX_ERROR 64		/* bytes of last_error incl. NUL */
#define PD_STORE_TTL_PERMANENT 0	/* ttl_ms / expires: never expires */
#define PD_STORE_ID_TEXT_MAX 64		/* base58 peer ID (<= 61 chars) + NUL */

/* Where a peer or address was learned; a bit mask in pd_peer.sources. */
enum pd_source {
	PD_SOURCE_MDNS = 0x01,
	PD_SOURCE_DHT = 0x02,
	PD_SOURCE_BOOTSTRAP = 0x04,
	PD_SOURCE_MANUAL = 0x08,
};
#define PD_SOURCE_ALL 0x0f

/* Direction of the current (or last) connection. */
enum pd_store_dir {
	PD_STORE_DIR_NONE = 0,		/* never connected */
	PD_STORE_DIR_INBOUND,
	PD_STORE_DIR_OUTBOUND,
};

/*
 * One address, kept in compact binary multiaddr form (allocated to size,
 * not a 520-byte struct pd_multiaddr); get a struct copy with
 * pd_store_addr_get().  bytes[0..len) passed pd_multiaddr_from_bytes.
 */
struct pd_store_addr {
	int64_t expires;	/* unix ms; PD_STORE_TTL_PERMANENT = never */
	uint8_t *bytes;		/* owned, len bytes */
	uint16_t len;
	uint8_t source;		/* one PD_SOURCE_* bit: who last refreshed it */
};

/*
 * A known peer.  Read-only outside store.c (see above).  Invariants:
 * naddrs <= PD_STORE_MAX_ADDRS and addrs[0..naddrs) are distinct;
 * nprotocols <= PD_STORE_MAX_PROTOCOLS; ntags <= PD_STORE_MAX_TAGS; every
 * string is owned, NUL-terminated, valid UTF-8 without control characters
 * and within its cap; last_connected == 0 iff the peer never connected.
 */
struct pd_peer {
	struct pd_peerid id;
	uint8_t sources;		/* PD_SOURCE_* bits ever seen */
	uint8_t naddrs;
	uint8_t nprotocols;
	uint8_t ntags;
	bool connected;			/* a connection is open now */
	bool was_connected;		/* connected when the store was saved */
	bool conf_protected;		/* listed in peers.protected (not saved) */
	bool kad_server;		/* answered as a DHT server */
	enum pd_store_dir direction;	/* of the current or last connection */
	int score;			/* higher is better; connmgr's scale */
	uint32_t latency_us;		/* last ping RTT; 0 = unknown */
	uint32_t dial_failures;		/* consecutive failed dials */
	int64_t first_seen;		/* unix ms, when created */
	int64_t last_seen;		/* unix ms, last add/addr/connect/touch */
	int64_t last_connected;		/* unix ms, last connect or disconnect; 0 = never */
	int64_t connected_since;	/* unix ms, valid while connected */
	int64_t next_dial;		/* unix ms, back-off: no dial before; 0 = any time */
	char *agent;			/* owned, or NULL if unknown */
	char **protocols;		/* owned, nprotocols entries */
	char *tags[PD_STORE_MAX_TAGS];	/* owned protection tags */
	char last_error[PD_STORE_MAX_ERROR];	/* last dial error, "" if none */
	struct pd_store_addr addrs[PD_STORE_MAX_ADDRS];

	/* Private to store.c. */
	char id_text_[PD_STORE_ID_TEXT_MAX];	/* base58 cache, "" until asked */
	struct pd_store *store_;	/* owner */
	struct pd_peer *hnext_;		/* hash bucket chain */
	struct pd_peer *prev_, *next_;	/* insertion-order list */
	uint64_t seq_;			/* insertion number, eviction tie-break */
	size_t heap_;			/* index in the eviction heap, or SIZE_MAX */
};

/*
 * Called for every peer the store drops by itself (eviction, expiry),
 * just before it is freed.  The peer is borrowed for the call; the
 * callback must not change the store.
 */
typedef void (*pd_store_drop_cb)(const struct pd_peer *peer, void *arg);

/*
 * New empty store holding at most max_entries peers (1 ..
 * PD_STORE_MAX_ENTRIES; larger values are clamped, 0 becomes 1).  The
 * hash is keyed with a fresh random key.  NULL on out of memory.
 */
struct pd_store *pd_store_new(size_t max_entries);
/* Free the store and every peer in it.  NULL is a no-op. */
void pd_store_free(struct pd_store *store);

/* Install (or clear with cb NULL) the drop callback. */
void pd_store_set_drop_cb(struct pd_store *store, pd_store_drop_cb cb,
    void *arg);

/* Number of peers; the configured maximum. */
size_t pd_store_count(const struct pd_store *store);
size_t pd_store_max(const struct pd_store *store);

/*
 * Change the maximum (clamped as in pd_store_new) and evict down to it as
 * far as possible (connected and protected peers stay).  Returns the
 * number of peers evicted.
 */
size_t pd_store_set_max(struct pd_store *store, size_t max_entries);

/*
 * A counter that grows on every change to the store or one of its peers.
 * The owner saves when it differs from the value at the last save.
 */
uint64_t pd_store_generation(const struct pd_store *store);

/* The peer with this ID, or NULL.  O(1) average. */
struct pd_peer *pd_store_get(const struct pd_store *store,
    const struct pd_peerid *id);

/*
 * Find or create the peer id.  A new peer gets first_seen = last_seen =
 * now; an existing one gets last_seen = now.  When the store is full a
 * new peer first evicts the least useful peer (see store.c: never
 * connected before ever connected, then oldest last_seen, then lowest
 * score; never a connected or protected peer).  Returns 1 (created) or 0
 * (existed) with *ret_peer set (ret_peer may be NULL), PD_ERR_PEER_LIMIT
 * (full and nothing evictable), or PD_ERR_NOMEM.
 */
int pd_store_add(struct pd_store *store, const struct pd_peerid *id,
    int64_t now, struct pd_peer **ret_peer);

/* Remove and free peer (no drop callback). */
void pd_store_remove(struct pd_store *store, struct pd_peer *peer);

/*
 * Insertion-order iteration.  pd_store_first returns NULL on an empty
 * store, pd_store_next NULL after the last peer.  Removing the current
 * peer is safe if its successor was fetched first (PD_STORE_FOREACH_SAFE
 * does that); anything that may remove other peers (pd_store_remove of
 * another peer, pd_store_add on a full store, pd_store_expire_addrs,
 * pd_store_set_max) must not run inside the loop.
 */
struct pd_peer *pd_store_first(const struct pd_store *store);
struct pd_peer *pd_store_next(const struct pd_peer *peer);
/* The most recently inserted peer, or NULL. */
struct pd_peer *pd_store_last(const struct pd_store *store);
#define PD_STORE_FOREACH_SAFE(p, tmp, store)				\
	for ((p) = pd_store_first(store);				\
	    (p) != NULL && ((tmp) = pd_store_next(p), 1); (p) = (tmp))

/*
 * Add or refresh one address, learned from source (one PD_SOURCE_* bit,
 * also or'ed into peer->sources).  ttl_ms > 0 expires it at now + ttl_ms;
 * PD_STORE_TTL_PERMANENT keeps it.  Refreshing an address keeps the later
 * expiry (permanent wins).  A full peer replaces its soonest-expiring
 * address if the new one outlives it.  last_seen = now.  Returns 1 (added),
 * 0 (refreshed), PD_ERR_INVAL (bad source, negative ttl, empty ma),
 * PD_ERR_OVERFLOW (full, nothing to replace) or PD_ERR_NOMEM.
 */
int pd_store_add_addr(struct pd_peer *peer, const struct pd_multiaddr *ma,
    int64_t ttl_ms, unsigned int source, int64_t now);

/* Remove an address.  0, or PD_ERR_NOT_FOUND. */
int pd_store_remove_addr(struct pd_peer *peer,
    const struct pd_multiaddr *ma);

/* Index of ma in peer->addrs, or -1. */
int pd_store_find_addr(const struct pd_peer *peer,
    const struct pd_multiaddr *ma);

/*
 * Copy address i (< peer->naddrs) into *ret_ma.  0, or PD_ERR_INVAL for a
 * bad index.
 */
int pd_store_addr_get(const struct pd_peer *peer, size_t i,
    struct pd_multiaddr *ret_ma);

/*
 * Replace the protocol list (from identify).  Strings that are empty,
 * longer than PD_STORE_MAX_PROTOCOL_LEN, not UTF-8 or holding control
 * characters are skipped, as are duplicates; at most
 * PD_STORE_MAX_PROTOCOLS are kept, in order.  Returns the number kept, or
 * PD_ERR_NOMEM (peer unchanged).
 */
int pd_store_set_protocols(struct pd_peer *peer, const char *const *list,
    size_t n);

/* True if peer lists protocol proto. */
bool pd_store_has_protocol(const struct pd_peer *peer, const char *proto);

/*
 * Set the agent version (NULL clears it).  Untrusted text is sanitized:
 * invalid UTF-8 and control characters become '?', and it is cut to
 * PD_STORE_MAX_AGENT_LEN bytes on a character boundary.  0 or
 * PD_ERR_NOMEM (peer unchanged).
 */
int pd_store_set_agent(struct pd_peer *peer, const char *agent);

/*
 * Add a protection tag (1..PD_STORE_MAX_TAG_LEN bytes, UTF-8, no control
 * characters).  A protected peer is never evicted.  0 (added or already
 * there), PD_ERR_INVAL (bad tag), PD_ERR_OVERFLOW (PD_STORE_MAX_TAGS
 * reached) or PD_ERR_NOMEM.
 */
int pd_store_protect(struct pd_peer *peer, const char *tag);
/* Remove a tag: 0, or PD_ERR_NOT_FOUND. */
int pd_store_unprotect(struct pd_peer *peer, const char *tag);
/* Mark or unmark the peer as protected by configuration (not saved). */
void pd_store_set_conf_protected(struct pd_peer *peer, bool on);
/* True if the peer has a tag or is protected by configuration. */
bool pd_store_is_protected(const struct pd_peer *peer);

/*
 * Record a connection opening (connected true: direction, connected_since
 * = now) or closing (false; direction kept).  Both set last_connected =
 * last_seen = now (0 would mean "never", so now <= 0 is stored as 1).  A
 * second "connected" while connected keeps connected_since.  Connected
 * peers are never evicted.
 */
void pd_store_set_connected(struct pd_peer *peer, bool connected,
    enum pd_store_dir direction, int64_t now);

/* last_seen = max(last_seen, now). */
void pd_store_touch(struct pd_peer *peer, int64_t now);
void pd_store_set_score(struct pd_peer *peer, int score);
void pd_store_set_latency(struct pd_peer *peer, uint32_t latency_us);
void pd_store_set_kad_server(struct pd_peer *peer, bool on);
/*
 * Dial bookkeeping from the connection manager: consecutive failures, the
 * earliest next dial (unix ms, 0 = any time) and the last error (NULL or
 * "" clears; sanitized like the agent and cut to PD_STORE_MAX_ERROR - 1).
 */
void pd_store_set_dial_state(struct pd_peer *peer, uint32_t failures,
    int64_t next_dial, const char *last_error);
/*
 * The peer's ID in base58 (as pd_peerid_format), formatted on first use
 * and cached in the peer: saving and listing many peers does not pay for
 * base58 each time.  Valid as long as the peer.
 */
const char *pd_store_id_text(const struct pd_peer *peer);

/* Or source bits (PD_SOURCE_*; others ignored) into peer->sources. */
void pd_store_add_sources(struct pd_peer *peer, unsigned int sources);

/*
 * Saved state of a peer, restored by the store file on load with
 * pd_store_restore().  A zero first_seen or last_seen keeps the current
 * value; everything else is copied as is.
 */
struct pd_store_saved {
	int64_t first_seen;		/* unix ms */
	int64_t last_seen;		/* unix ms */
	int64_t last_connected;		/* unix ms, 0 = never */
	int64_t next_dial;		/* unix ms, 0 = any time */
	enum pd_store_dir direction;
	bool was_connected;		/* connected when saved */
	bool kad_server;
	int score;
	uint32_t latency_us;
	uint32_t dial_failures;
	const char *last_error;		/* borrowed; NULL = none */
	const char *id_text;		/* borrowed; the base58 ID text the
					 * peer was parsed from, or NULL */
};

/*
 * Apply *saved to peer (connected stays false).  id_text is taken as the
 * ID cache only if it is base58 ("1..." or "Qm...") and fits.
 */
void pd_store_restore(struct pd_peer *peer,
    const struct pd_store_saved *saved);

/*
 * Drop every address whose expiry is <= now, then drop the peers left
 * with no address that never connected, are not connected and are not
 * protected (nothing to dial, nothing learned): the drop callback sees
 * them.  O(peers).  Returns the number of peers dropped; the number of
 * addresses dropped goes to *ret_addrs (may be NULL).
 */
size_t pd_store_expire_addrs(struct pd_store *store, int64_t now,
    size_t *ret_addrs);

/*
 * Names: "mdns", "dht", "bootstrap", "manual" for one PD_SOURCE_* bit
 * (NULL otherwise); "inbound", "outbound", "none" for a direction.
 */
const char *pd_store_source_name(unsigned int source);
const char *pd_store_dir_name(enum pd_store_dir dir);
/* The PD_SOURCE_* bit named by s[0..n), or 0. */
unsigned int pd_store_source_parse(const char *s, size_t n);

/*
 * True if s[0..n) is valid UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) with no control characters (C0, DEL) and no NUL:
 * the text the store keeps and the store file can carry.
 */
bool pd_store_text_ok(const char *s, size_t n);

#endif
