/*
 * connmgr.h - the connection manager's policy core (sans-IO).
 *
 * struct pd_connmgr decides; the manager acts.  It never touches a socket,
 * a timer or a clock: every call that depends on time takes `now_ms`, a
 * monotonic time in milliseconds chosen by the caller (pd_time_mono_ms()
 * in the daemon, a fake clock in tests), and all randomness (back-off
 * jitter, hash keys) comes from a seed given to pd_connmgr_new() or a
 * caller-supplied generator (pd_connmgr_set_rand).
 *
 * What it tracks, per peer (struct pd_peerid), in a table capped at
 * PD_CONNMGR_MAX_PEERS: open connections and their direction, the time the
 * peer's first open connection began (grace period), tags with weights,
 * protection tags, the last RTT, consecutive dial failures and the
 * back-off deadline, and whether a dial holds a budget slot.  When the
 * table is full the least recently touched peer that is neither connected,
 * protected nor being dialed is forgotten.  Per source IP (full v4/v6
 * address; v4-mapped v6 counts as v4), capped at PD_CONNMGR_MAX_IPS: open
 * and reserved inbound connections and a new-connection token bucket.
 *
 * The manager's side of the contract:
 *   inbound:  pd_connmgr_accept_check() before the handshake; on 0, exactly
 *             one of pd_connmgr_conn_opened(inbound=true, same sockaddr) or
 *             pd_connmgr_accept_abandoned(same sockaddr) later.
 *   outbound: pd_connmgr_over_cap() for peers.connect (PEER_LIMIT);
 *             pd_connmgr_dial_request() before dialing; on 0,
 *             pd_connmgr_dial_result() (or pd_connmgr_dial_done()) when the
 *             dial ends; pd_connmgr_conn_opened(inbound=false) on success.
 *   always:   pd_connmgr_conn_closed() once per pd_connmgr_conn_opened(),
 *             with the same direction and sockaddr.
 *   timers:   pd_connmgr_trim() every few seconds (and after an inbound
 *             connection opens); close every peer it returns.
 *             pd_connmgr_want() to pick whom to dial below min_peers.
 *
 * Times in the back-off (pd_connmgr_backoff) are on the caller's `now_ms`
 * clock; convert before storing them in the (wall-clock) peer store.
 */
#ifndef PD_PEER_CONNMGR_H
#define PD_PEER_CONNMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/peerid.h"

struct sockaddr;
struct pd_connmgr;

#define PD_CONNMGR_MAX_PEERS 65536	/* peers tracked at once */
#define PD_CONNMGR_MAX_IPS 8192		/* source IPs tracked at once */
#define PD_CONNMGR_MAX_INBOUND 4096	/* upper bound of cfg.max_inbound */
#define PD_CONNMGR_MAX_INFLIGHT 1024	/* upper bound of cfg.dial_max_inflight */
#define PD_CONNMGR_MAX_RATE 100000	/* per minute: dial_per_minute, inbound_rate_per_ip */
#define PD_CONNMGR_MAX_DURATION_MS (30LL * 24 * 3600 * 1000)	/* any duration in the config */
#define PD_CONNMGR_MAX_CANDIDATES 65536	/* candidates per pd_connmgr_want() */
#define PD_CONNMGR_MAX_TAGS 16		/* score tags per peer */
#define PD_CONNMGR_MAX_TAG_LEN 32	/* chars of a score tag name (no NUL) */
#define PD_CONNMGR_MAX_TAG_WEIGHT 1000	/* |weight| of one tag (clamped) */
#define PD_CONNMGR_MAX_PROTECT_TAGS 8	/* protection tags per peer (= store) */
#define PD_CONNMGR_MAX_PROTECT_TAG_LEN 64	/* chars of a protection tag (= store) */
#define PD_CONNMGR_FAIL_PENALTY 5	/* score lost per consecutive dial failure */
#define PD_CONNMGR_MAX_FAIL_PENALTY 50	/* cap of the failure penalty */
#define PD_CONNMGR_LATENCY_BEST 10	/* latency part at or under LATENCY_FAST_MS */
#define PD_CONNMGR_LATENCY_FAST_MS 50
#define PD_CONNMGR_LATENCY_SLOW_MS 500	/* latency part is 0 at or over this */

/* Well-known score tags and the weights the manager should give them. */
#define PD_CONNMGR_TAG_BOOTSTRAP "bootstrap"
#define PD_CONNMGR_TAG_DHT "dht"
#define PD_CONNMGR_WEIGHT_BOOTSTRAP 20
#define PD_CONNMGR_WEIGHT_DHT 10

/*
 * Configuration, a plain value.  Durations in milliseconds.  Two fields
 * are derived when 0: low_water = max(max_peers * 4 / 5, min_peers), and
 * max_inbound = min(max_peers, PD_CONNMGR_MAX_INBOUND).
 *
 * Why max_inbound defaults to max_peers: outbound is held to max_peers
 * (pd_connmgr_over_cap counts every connected peer and every dial), and
 * inbound to max_inbound, so the node never holds more than
 * max_peers + max_inbound connected peers (2 x max_peers by default)
 * even for a moment, and the trim brings it back under max_peers.
 * Setting max_inbound lower makes the bound tighter at the cost of
 * refusing newcomers while full.
 */
struct pd_connmgr_config {
	unsigned max_peers;		/* high water and outbound hard cap (peers.max_peers) */
	unsigned min_peers;		/* want-dial below this (peers.min_peers) */
	unsigned low_water;		/* trim down to this; 0 = derived */
	int64_t grace_ms;		/* peers.grace_period: new peers not trimmed */
	int64_t silence_ms;		/* minimum time between two trims */
	int64_t retry_base_ms;		/* peers.retry_interval: first back-off */
	int64_t retry_max_ms;		/* back-off cap (1 h) */
	unsigned dial_max_inflight;	/* dials in flight at once */
	unsigned dial_per_minute;	/* dials started per minute (token bucket) */
	unsigned max_per_ip;		/* peers.max_per_ip: inbound conns per IP */
	unsigned max_inbound;		/* inbound conns in total; 0 = derived */
	unsigned inbound_rate_per_ip;	/* new inbound per IP per minute; 0 = no limit */
	bool exempt_loopback;		/* loopback skips the rate limit only */
};

/* Counters and gauges for `metrics` and `conn.stats`. */
struct pd_connmgr_stats {
	uint64_t trims;			/* trims that returned at least one peer */
	uint64_t peers_trimmed;		/* peers returned by those trims */
	uint64_t refused_inbound_cap;	/* accept_check: total inbound cap */
	uint64_t refused_inbound_per_ip;	/* accept_check: max_per_ip */
	uint64_t refused_inbound_rate;	/* accept_check: per-IP rate */
	uint64_t dials_deferred;	/* dial_request answered -EAGAIN */
	unsigned connected;		/* peers with an open connection */
	unsigned conns_inbound;		/* open inbound connections */
	unsigned conns_outbound;	/* open outbound connections */
	unsigned pending_inbound;	/* accepted, handshake not settled */
	unsigned dialing;		/* dials holding a budget slot */
	unsigned peers_tracked;		/* entries in the peer table */
	unsigned ips_tracked;		/* entries in the IP table */
};

/* The dial budget, for `conn.stats`. */
struct pd_connmgr_budget {
	unsigned dialing;		/* slots in use */
	unsigned max_inflight;		/* cfg.dial_max_inflight */
	unsigned tokens;		/* dials that may start now (per-minute bucket) */
	unsigned per_minute;		/* cfg.dial_per_minute */
	int64_t next_token_ms;		/* ms until one more token; 0 if the bucket is full */
};

/*
 * A peer's score and its parts, for `peers.get`.  total is the sum of the
 * parts; protection is not a number: a protected peer is never trimmed
 * whatever its total, and pd_connmgr_want puts it first.
 */
struct pd_connmgr_score {
	int total;
	bool protected;
	int tags;			/* all tags but bootstrap and dht */
	int bootstrap;			/* weight of tag "bootstrap" (0 if unset) */
	int dht;			/* weight of tag "dht" (0 if unset) */
	int latency;			/* 0..PD_CONNMGR_LATENCY_BEST from the last RTT */
	int failures;			/* -5 per consecutive dial failure, >= -50 */
};

/* A peer the caller could dial, for pd_connmgr_want. */
struct pd_connmgr_candidate {
	struct pd_peerid id;
	int64_t last_success_ms;	/* last successful connection; 0 = never */
	bool protected;			/* protected in the store or config */
	bool bootstrap;			/* a configured bootstrap peer */
};

/* Fill *ret_cfg with the design.md defaults (derived fields 0). */
void pd_connmgr_config_defaults(struct pd_connmgr_config *ret_cfg);

/*
 * Check cfg: max_peers in 1..PD_CONNMGR_MAX_PEERS, min_peers <= max_peers,
 * low_water 0 or in min_peers..max_peers, durations in
 * 0..PD_CONNMGR_MAX_DURATION_MS with retry_base_ms >= 1 and
 * retry_max_ms >= retry_base_ms, dial_max_inflight in
 * 1..PD_CONNMGR_MAX_INFLIGHT, dial_per_minute in 1..PD_CONNMGR_MAX_RATE,
 * inbound_rate_per_ip <= PD_CONNMGR_MAX_RATE, max_inbound <=
 * PD_CONNMGR_MAX_INBOUND, max_per_ip >= 1.  Returns 0 or PD_ERR_INVAL
 * with the reason (naming the field) in why.
 */
int pd_connmgr_config_check(const struct pd_connmgr_config *cfg,
    char *why, size_t whylen);

/*
 * New connection manager with the default configuration.  seed feeds the
 * jitter generator and the hash keys (pass a random value; tests pass
 * their seed).  Returns NULL on OOM.  Free with pd_connmgr_free.
 */
struct pd_connmgr *pd_connmgr_new(uint64_t seed);

/* Free cm and everything it tracks.  NULL is a no-op. */
void pd_connmgr_free(struct pd_connmgr *cm);

/*
 * Apply a configuration (at start and on reload).  It is checked first
 * (pd_connmgr_config_check); on failure nothing changes.  Applying is
 * immediate and never closes anything by itself: smaller watermarks take
 * effect at the next pd_connmgr_trim (the silence period still applies),
 * smaller inbound limits refuse new connections until enough close, a
 * smaller dial budget defers dials until enough finish, and the dial
 * bucket is clipped to its new size.  Returns 0 or PD_ERR_INVAL.
 */
int pd_connmgr_set_config(struct pd_connmgr *cm,
    const struct pd_connmgr_config *cfg, char *why, size_t whylen);

/* The configuration in effect, with derived fields filled in. */
void pd_connmgr_get_config(const struct pd_connmgr *cm,
    struct pd_connmgr_config *ret_cfg);

/*
 * Replace the jitter generator: rand(arg) returns a uniform 32-bit value.
 * NULL restores the internal generator seeded by pd_connmgr_new.
 */
void pd_connmgr_set_rand(struct pd_connmgr *cm, uint32_t (*rand)(void *),
    void *arg);

/*
 * Inbound admission, before any handshake.  Refuses (PD_ERR_PEER_LIMIT,
 * reason in why, refusal counted) when open + reserved inbound
 * connections >= max_inbound, when remote's IP already has max_per_ip
 * open + reserved inbound connections (loopback included: the exemption
 * is for the rate only), or when remote's IP has no token left in its
 * bucket of inbound_rate_per_ip new connections per minute (skipped for
 * 127.0.0.0/8 and ::1 when exempt_loopback).  Checked in that order.  On
 * 0 a slot is reserved for remote's IP and a rate token taken; settle it
 * with pd_connmgr_conn_opened(inbound=true) or pd_connmgr_accept_abandoned.
 * PD_ERR_INVAL for a sockaddr that is not AF_INET/AF_INET6.
 */
int pd_connmgr_accept_check(struct pd_connmgr *cm,
    const struct sockaddr *remote, int64_t now_ms, char *why,
    size_t whylen);

/*
 * Release a reservation made by pd_connmgr_accept_check (the handshake
 * failed or the connection was dropped before it was identified).
 * Returns 0, or PD_ERR_NOT_FOUND if remote's IP holds no reservation.
 */
int pd_connmgr_accept_abandoned(struct pd_connmgr *cm,
    const struct sockaddr *remote);

/*
 * A connection to id is open (after the handshake).  For an inbound one,
 * remote must be the sockaddr given to pd_connmgr_accept_check: its
 * reservation becomes an open connection (remote NULL: no per-IP
 * accounting).  remote is not used for outbound connections.  The peer's
 * grace period starts when its connection count goes from 0 to 1.
 * Returns 0, PD_ERR_INVAL (bad id or sockaddr family), PD_ERR_NOMEM, or
 * PD_ERR_OVERFLOW (peer or IP table full of entries that cannot be
 * forgotten); on failure no connection is counted and an inbound
 * reservation is still held (release it with accept_abandoned).  remote
 * must point to a whole sockaddr_in or sockaddr_in6 (here and in every
 * call that takes one).
 */
int pd_connmgr_conn_opened(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool inbound, const struct sockaddr *remote, int64_t now_ms);

/*
 * A connection opened with pd_connmgr_conn_opened closed; inbound and
 * remote as given then.  Returns 0, or PD_ERR_NOT_FOUND if id has no
 * open connection of that direction.
 */
int pd_connmgr_conn_closed(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool inbound, const struct sockaddr *remote, int64_t now_ms);

/*
 * Protect id under tag (go's Protect): a protected peer is never trimmed,
 * never forgotten, exempt from pd_connmgr_over_cap and first in
 * pd_connmgr_want.  Idempotent per tag.  Returns 0, PD_ERR_INVAL (tag
 * empty or longer than PD_CONNMGR_MAX_PROTECT_TAG_LEN), PD_ERR_OVERFLOW
 * (PD_CONNMGR_MAX_PROTECT_TAGS tags already, or table full), PD_ERR_NOMEM.
 */
int pd_connmgr_protect(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *tag, int64_t now_ms);

/*
 * Remove one protection tag.  Returns 1 if id is still protected by
 * another tag, 0 if no longer protected, PD_ERR_NOT_FOUND if id did not
 * have that tag.
 */
int pd_connmgr_unprotect(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *tag);

/* True if id is protected by tag (by any tag if tag is NULL). */
bool pd_connmgr_is_protected(const struct pd_connmgr *cm,
    const struct pd_peerid *id, const char *tag);

/*
 * Set score tag name on id to weight (clamped to
 * +-PD_CONNMGR_MAX_TAG_WEIGHT), replacing its old weight.  Returns 0,
 * PD_ERR_INVAL (name empty or longer than PD_CONNMGR_MAX_TAG_LEN),
 * PD_ERR_OVERFLOW (PD_CONNMGR_MAX_TAGS other tags, or table full),
 * PD_ERR_NOMEM.
 */
int pd_connmgr_tag(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *name, int weight, int64_t now_ms);

/* Remove score tag name from id.  Returns 0 or PD_ERR_NOT_FOUND. */
int pd_connmgr_untag(struct pd_connmgr *cm, const struct pd_peerid *id,
    const char *name);

/*
 * Record a measured round-trip time (ping) for id: the latency part of
 * the score is PD_CONNMGR_LATENCY_BEST at or under 50 ms, 0 at or over
 * 500 ms, linear in between (rounded down).  Returns 0, PD_ERR_NOMEM or
 * PD_ERR_OVERFLOW.
 */
int pd_connmgr_set_latency(struct pd_connmgr *cm, const struct pd_peerid *id,
    uint32_t rtt_ms, int64_t now_ms);

/*
 * id's score and its parts.  An unknown peer scores 0 in every part.
 * Always succeeds (returns 0).
 */
int pd_connmgr_score(const struct pd_connmgr *cm, const struct pd_peerid *id,
    struct pd_connmgr_score *ret);

/*
 * Trim: the peers to disconnect now, written to ret_ids[0..n), n returned
 * (at most max; the lowest-ranked first).  The caller closes every
 * connection of each and reports them with pd_connmgr_conn_closed.
 *
 * A trim runs only when more than max_peers peers are connected and at
 * least silence_ms passed since the last trim that returned peers.
 * Candidates are the connected peers that are neither protected nor in
 * their grace period (first connection opened less than grace_ms ago).
 * Rule of go-libp2p-connmgr#46 (fixed there in #50): protected and
 * in-grace peers do not count towards the excess, so the number trimmed
 * is candidates - low_water (nothing if candidates <= low_water).  A
 * burst of new connections therefore never evicts established peers
 * early, and the count left is low_water + protected + in-grace, never
 * below low_water.
 *
 * Order: lowest score total first (as go); on a tie, peers with only
 * inbound connections before peers with an outbound one (as go: we chose
 * the latter), then the most recent first connection first (the
 * longest-lived survive), then peer ID bytes.  Returns n >= 0, or PD_ERR_NOMEM (nothing
 * changed).
 */
int pd_connmgr_trim(struct pd_connmgr *cm, int64_t now_ms,
    struct pd_peerid *ret_ids, size_t max);

/*
 * Whether a new outbound connection (peers.connect, a dial) must be
 * refused with PEER_LIMIT: connected peers + dials in flight to peers not
 * yet connected >= max_peers.  Never true for a protected id or an id
 * that is already connected (id may be NULL: no exemption).
 */
bool pd_connmgr_over_cap(const struct pd_connmgr *cm,
    const struct pd_peerid *id);

/* Number of connected peers (design.md's pd_connmgr_count). */
unsigned pd_connmgr_count(const struct pd_connmgr *cm);

/*
 * Ask to dial id now.  Returns 0 (go: a budget slot is taken and a token
 * spent; release it with pd_connmgr_dial_result or pd_connmgr_dial_done),
 * -EAGAIN (budget exhausted: dial_max_inflight slots in use or the
 * per-minute bucket is empty; counted in dials_deferred; queue and retry
 * later), PD_ERR_DIAL_FAILED (id is in back-off and ignore_backoff is
 * false; see pd_connmgr_backoff), PD_ERR_EXISTS (a dial to id is already
 * in flight), PD_ERR_NOMEM or PD_ERR_OVERFLOW.  ignore_backoff is for an
 * explicit operator request (peers.connect); the budget still applies.
 */
int pd_connmgr_dial_request(struct pd_connmgr *cm, const struct pd_peerid *id,
    int64_t now_ms, bool ignore_backoff);

/*
 * The dial to id ended: releases its budget slot (if held) and updates the
 * back-off.  Failure number k (consecutive) sets the next allowed dial to
 * now + jitter(min(retry_base_ms * 2^(k-1), retry_max_ms)), where
 * jitter(d) is uniform in [d/2, 3d/2) and then capped at retry_max_ms.
 * Success clears the failures and the back-off and records the success
 * time.  Returns 0, PD_ERR_NOMEM or PD_ERR_OVERFLOW.
 */
int pd_connmgr_dial_result(struct pd_connmgr *cm, const struct pd_peerid *id,
    bool ok, int64_t now_ms);

/* Release id's budget slot without touching the back-off.  Idempotent. */
void pd_connmgr_dial_done(struct pd_connmgr *cm, const struct pd_peerid *id);

/*
 * id's consecutive dial failures and the time (now_ms clock) before which
 * it should not be dialed (0: no back-off).  Returns 0 or
 * PD_ERR_NOT_FOUND (id not tracked: no failures, no back-off).
 */
int pd_connmgr_backoff(const struct pd_connmgr *cm, const struct pd_peerid *id,
    unsigned *ret_fails, int64_t *ret_next_ms);

/* The dial budget at now_ms. */
void pd_connmgr_budget(const struct pd_connmgr *cm, int64_t now_ms,
    struct pd_connmgr_budget *ret);

/*
 * Want-dial: which of cands[0..n) to dial now to reach min_peers.  Wants
 * min_peers - (connected + dials in flight to unconnected peers), at most
 * the free budget (free slots, tokens) and max.  Skips candidates that are
 * connected, being dialed or in back-off, and repeated IDs.  Ranks the rest
 * by: protected (candidate flag or pd_connmgr_protect) first, then
 * bootstrap (flag or a nonzero "bootstrap" tag), then higher score total,
 * then more recent last_success_ms, then input order.  Writes the chosen IDs, best first,
 * to ret_ids and returns their number; takes no budget (call
 * pd_connmgr_dial_request for each).  Returns PD_ERR_OVERFLOW if n >
 * PD_CONNMGR_MAX_CANDIDATES, PD_ERR_NOMEM.
 */
int pd_connmgr_want(const struct pd_connmgr *cm, int64_t now_ms,
    const struct pd_connmgr_candidate *cands, size_t n,
    struct pd_peerid *ret_ids, size_t max);

/* Counters and gauges. */
void pd_connmgr_stats(const struct pd_connmgr *cm,
    struct pd_connmgr_stats *ret);

#endif
