/*
 * query.h - the iterative Kademlia lookup as a sans-IO state machine,
 * following go-libp2p-kad-dht query.go / qpeerset (libp2p-wire.md §9.6).
 *
 * The query keeps every peer it has heard of, sorted by XOR distance to
 * the target key, each in one state: HEARD (known, not asked), WAITING
 * (request in flight), QUERIED (answered), UNREACHABLE (failed or timed
 * out).  The caller drives it:
 *
 *   pd_kad_query_new(&cfg, now, &q);
 *   pd_kad_query_add_seed(q, ...) for rt nearest(target, k);
 *   loop:
 *     n = pd_kad_query_next(q, now, out, max);  // send FIND_NODE etc. to
 *                                               // out[0..n): now WAITING
 *     on a reply:   pd_kad_query_response(q, from, closer, ncloser, now)
 *     on an error:  pd_kad_query_failure(q, from, now)
 *     on a timer at pd_kad_query_deadline(q): call pd_kad_query_next()
 *     until pd_kad_query_status(q) != PD_KAD_QUERY_RUNNING
 *   pd_kad_query_result(q, out, k);  pd_kad_query_free(q);
 *
 * At most alpha requests are in flight.  The lookup converges when the
 * beta closest peers in states HEARD/WAITING/QUERIED have all answered
 * (go isLookupTermination), or starves when nothing is HEARD or WAITING.
 * Then, as go's runLookupWithFollowup does, a follow-up phase (cfg.followup)
 * still asks every HEARD peer among the k closest non-UNREACHABLE ones and
 * waits for the requests in flight, ignoring the closer peers they return;
 * the status stays RUNNING until it is over and then reads CONVERGED or
 * STARVED.  At any time the query stops when the stop callback says so,
 * times out at the query deadline, or is cancelled.  The result is the k
 * closest peers that answered.
 * Once it has ended, nothing changes any more: responses are refused and
 * next() returns 0; the caller drops whatever is still in flight.
 *
 * No clock, no I/O: `now` is in milliseconds (monotonic).  Pointers to
 * struct pd_kad_query_peer stay valid until the next call that changes the
 * query (add_seed, next, response, failure) or pd_kad_query_free; copy
 * what you keep.
 */
#ifndef PD_KAD_QUERY_H
#define PD_KAD_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/peerid.h"
#include "kad/rt.h"

struct pd_multiaddr;
struct pd_kad_query;

#define PD_KAD_QUERY_DEFAULT_ALPHA 10		/* spec α */
#define PD_KAD_QUERY_DEFAULT_BETA 3		/* go resiliency β */
#define PD_KAD_QUERY_DEFAULT_MAX_PEERS 1000	/* peers tracked per query */
#define PD_KAD_QUERY_MAX_PEERS 100000		/* cap on max_peers */
#define PD_KAD_QUERY_MAX_ALPHA 64		/* cap on alpha */
#define PD_KAD_QUERY_MAX_K 256			/* cap on k and beta */
#define PD_KAD_QUERY_MAX_CLOSER 64		/* closer peers used per reply */
#define PD_KAD_QUERY_TIMEOUT_MS 60000		/* default whole-query deadline */
#define PD_KAD_QUERY_REQUEST_TIMEOUT_MS 10000	/* go dhtReadMessageTimeout */

enum pd_kad_query_pstate {
	PD_KAD_QUERY_HEARD = 0,		/* known, not asked yet */
	PD_KAD_QUERY_WAITING,		/* request in flight */
	PD_KAD_QUERY_QUERIED,		/* answered */
	PD_KAD_QUERY_UNREACHABLE,	/* failed or timed out */
};

enum pd_kad_query_status {
	PD_KAD_QUERY_RUNNING = 0,
	PD_KAD_QUERY_CONVERGED,		/* beta closest known peers answered */
	PD_KAD_QUERY_STARVED,		/* nobody left to ask */
	PD_KAD_QUERY_STOPPED,		/* stop callback returned true */
	PD_KAD_QUERY_TIMED_OUT,		/* whole-query deadline passed */
	PD_KAD_QUERY_CANCELLED,		/* pd_kad_query_cancel() */
};

/* A peer the query knows.  Read-only outside query.c. */
struct pd_kad_query_peer {
	struct pd_peerid id;
	struct pd_kad_key key;			/* SHA-256(id bytes) */
	struct pd_multiaddr *addrs;		/* naddrs entries (owned) */
	size_t naddrs;				/* <= PD_KAD_RT_MAX_ADDRS */
	enum pd_kad_query_pstate state;
	uint64_t sent_ms;			/* request sent at (WAITING) */
	unsigned hops;				/* 1 for seeds, referrer + 1 */
	bool followup;				/* internal: asked in the follow-up */
};

/* One closer peer in a reply (borrowed pointers). */
struct pd_kad_query_in {
	const struct pd_peerid *id;
	const struct pd_multiaddr *addrs;	/* may be NULL if naddrs == 0 */
	size_t naddrs;
};

/*
 * Stop callback, called after each accepted response has been merged
 * (from = the responder).  Return true to end the query as STOPPED.
 */
typedef bool (*pd_kad_query_stop_cb)(void *arg, const struct pd_kad_query *q,
    const struct pd_peerid *from);

struct pd_kad_query_config {
	struct pd_kad_key target;	/* SHA-256 of the key being looked up */
	struct pd_peerid self;		/* never added; len 0 = none */
	unsigned k;			/* result size, 1..PD_KAD_QUERY_MAX_K */
	unsigned alpha;			/* in flight, 1..PD_KAD_QUERY_MAX_ALPHA */
	unsigned beta;			/* termination set, 1..k */
	size_t max_peers;		/* tracked peers, k..PD_KAD_QUERY_MAX_PEERS */
	uint64_t timeout_ms;		/* whole query; 0 = no deadline */
	uint64_t request_timeout_ms;	/* per request; 0 = none */
	bool followup;			/* go's follow-up phase (default on) */
	pd_kad_query_stop_cb stop_cb;	/* may be NULL */
	void *stop_arg;
};

/* Lifetime counters. */
struct pd_kad_query_stats {
	unsigned requests;	/* peers handed out by next() */
	unsigned responses;	/* accepted responses */
	unsigned failures;	/* reported failures */
	unsigned timeouts;	/* requests expired by request_timeout_ms */
	unsigned dropped;	/* closer peers dropped by the max_peers cap */
	unsigned hops;		/* hops of the closest result peer (0 if none) */
	size_t peers;		/* peers tracked now */
};

/* Defaults for target: k 20, α 10, β 3, 1000 peers, 60 s, 10 s,
 * follow-up on. */
void pd_kad_query_config_default(struct pd_kad_query_config *ret_cfg,
    const struct pd_kad_key *target);

/*
 * New running query started at now (the deadline is now + timeout_ms).
 * Returns 0, PD_ERR_INVAL (a setting out of range) or PD_ERR_NOMEM.
 */
int pd_kad_query_new(const struct pd_kad_query_config *cfg, uint64_t now,
    struct pd_kad_query **ret_q);
/* Free the query.  NULL is a no-op. */
void pd_kad_query_free(struct pd_kad_query *q);

/*
 * Add a starting peer (state HEARD, hops 1), e.g. from
 * pd_kad_rt_nearest(target, k).  Ourselves and duplicates are ignored
 * (duplicates merge addresses).  Returns 0, PD_ERR_CLOSED (query ended),
 * PD_ERR_OVERFLOW (max_peers reached and id is farther than all) or
 * PD_ERR_NOMEM.
 */
int pd_kad_query_add_seed(struct pd_kad_query *q, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs);

/*
 * Advance to now: expire requests older than request_timeout_ms
 * (UNREACHABLE), apply the deadline, check termination, then pick the
 * closest HEARD peers, up to max and up to alpha in flight, mark them
 * WAITING at now and store pointers in out[0..ret).  Returns how many
 * (0 when the query has ended or must wait for replies).
 */
size_t pd_kad_query_next(struct pd_kad_query *q, uint64_t now,
    const struct pd_kad_query_peer **out, size_t max);

/*
 * from answered: it becomes QUERIED and closer[0..n) (the first
 * PD_KAD_QUERY_MAX_CLOSER) are merged in as HEARD (ourselves skipped,
 * known peers gain addresses but keep their state; ignored during the
 * follow-up).  Then the stop
 * callback and termination are checked.  Returns 0, PD_ERR_CLOSED (query
 * ended), PD_ERR_NOT_FOUND (from is not WAITING: unknown, timed out, or a
 * duplicate reply) or PD_ERR_NOMEM (the query is then still consistent:
 * some closer peers may be missing).
 */
int pd_kad_query_response(struct pd_kad_query *q, const struct pd_peerid *from,
    const struct pd_kad_query_in *closer, size_t n, uint64_t now);

/*
 * The request to id failed (dial error, reset, bad reply, timeout seen by
 * the caller): id becomes UNREACHABLE.  Returns 0, PD_ERR_CLOSED or
 * PD_ERR_NOT_FOUND (id is not WAITING).
 */
int pd_kad_query_failure(struct pd_kad_query *q, const struct pd_peerid *id,
    uint64_t now);

/* End the query as CANCELLED (no-op if it has ended already). */
/* Replace the stop callback (checked after each response). */
void pd_kad_query_set_stop(struct pd_kad_query *q, pd_kad_query_stop_cb cb,
    void *arg);
void pd_kad_query_cancel(struct pd_kad_query *q);

/* Current status. */
enum pd_kad_query_status pd_kad_query_status(const struct pd_kad_query *q);

/*
 * When pd_kad_query_next() must be called even if no reply arrives: the
 * earliest request expiry or the query deadline; UINT64_MAX if none (or
 * the query has ended).
 */
uint64_t pd_kad_query_deadline(const struct pd_kad_query *q);

/* Requests in flight (WAITING peers). */
size_t pd_kad_query_inflight(const struct pd_kad_query *q);

/*
 * The up to max closest peers that answered (QUERIED), closest first.
 * Valid at any time; the final answer once the query has ended.
 */
size_t pd_kad_query_result(const struct pd_kad_query *q,
    const struct pd_kad_query_peer **out, size_t max);

/* The tracked peer id, or NULL (e.g. to read the addresses of a target). */
const struct pd_kad_query_peer *pd_kad_query_find(const struct pd_kad_query *q,
    const struct pd_peerid *id);

/* The target key. */
const struct pd_kad_key *pd_kad_query_target(const struct pd_kad_query *q);

/* Fill *ret_stats. */
void pd_kad_query_get_stats(const struct pd_kad_query *q,
    struct pd_kad_query_stats *ret_stats);

/*
 * A ready-made stop callback for find_peer: arg is a const struct
 * pd_peerid * (the wanted peer); true once that peer is tracked with at
 * least one address or has answered itself.
 */
bool pd_kad_query_stop_at_peer(void *arg, const struct pd_kad_query *q,
    const struct pd_peerid *from);

#endif
