/*
 * dht.h - the Kademlia DHT on the libp2p wire (libp2p-wire.md §9): the
 * server side (answering FIND_NODE and PING, and GET_VALUE/GET_PROVIDERS
 * with closer peers), the routing table fed from identify, and iterative
 * lookups for closest peers and find-peer, over the connections of a
 * struct pd_net.
 *
 * Provider records (ADD_PROVIDER / GET_PROVIDERS) are held for 48 h;
 * value records (PUT_VALUE / GET_VALUE) are checked by the validators of
 * their namespace (record.h: pk, ipns, and an embedder's own) on PUT and
 * on GET results, and held for 48 h.  A peer enters the routing table only
 * after it answered a FIND_NODE (go's lookup check); each peer's requests
 * are rate-limited.
 */
#ifndef PD_KAD_DHT_H
#define PD_KAD_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kad/msg.h"
#include "kad/query.h"
#include "kad/record.h"
#include "kad/rt.h"
#include "addr/multiaddr.h"

struct pd_net;
struct pd_conn;
struct pd_identify;
struct pd_kad_dht;

#define PD_KAD_DHT_MAX_QUERIES 64	/* lookups in flight */
#define PD_KAD_DHT_MAX_INBOUND 1024	/* inbound kad streams in total */
#define PD_KAD_DHT_MAX_INBOUND_PEER 16	/* inbound kad streams per peer */
#define PD_KAD_DHT_STREAM_IDLE_MS 10000	/* inbound stream: next request */
#define PD_KAD_DHT_MAX_MSG (64u * 1024)	/* bytes of a request we accept */
#define PD_KAD_DHT_MAX_CALLS 256	/* one-shot requests in flight */
#define PD_KAD_DHT_CALL_TIMEOUT_MS 10000	/* one-shot request: dial+answer */
#define PD_KAD_DHT_DEFAULT_RATE 100	/* requests/s per peer (server) */
#define PD_KAD_DHT_RATE_BURST_S 5	/* bucket holds this many seconds */
#define PD_KAD_DHT_MAX_PUTS 64		/* put_value operations in flight */
#define PD_KAD_DHT_QUORUM 16		/* get_value: valid answers to stop */

struct pd_kad_dht_config {
	const char *protocol;		/* e.g. /ipfs/kad/1.0.0 */
	bool server;			/* answer queries, advertise protocol */
	unsigned k;			/* bucket size */
	bool exempt_private;		/* diversity filter off for private */
	bool diversity;			/* the diversity filter at all */
	unsigned rate;			/* requests/s per peer; 0 unlimited */
	/* A peer entered the routing table (to persist it); may be NULL. */
	void (*on_admit)(const struct pd_peerid *id, void *arg);
	void *admit_arg;
	/*
	 * Before dialling a peer we are not connected to: false refuses the
	 * dial (the owner's connection cap); dialing is how many of our own
	 * dials are in flight.  May be NULL: always dial.
	 */
	bool (*may_dial)(const struct pd_peerid *id, size_t dialing,
	    void *arg);
	void *dial_arg;
};

/* Server and table counters (metrics). */
struct pd_kad_dht_stats {
	uint64_t requests[PD_KAD_PING + 1];	/* answered, by message type */
	uint64_t rate_limited;			/* requests refused: over rate */
	uint64_t streams_refused;		/* inbound streams over a cap */
	uint64_t dials_refused;			/* dials the owner's cap refused */
	uint64_t bad_requests;			/* undecodable, invalid records */
	uint64_t probes, probe_failures;	/* table checks */
	uint64_t records_stored;		/* PUT_VALUEs accepted */
	uint64_t records_rejected;		/* invalid or older records */
};

/*
 * Create the DHT on net: in server mode the protocol handler is
 * registered (so identify advertises it).  NULL on OOM.
 */
struct pd_kad_dht *pd_kad_dht_new(struct pd_net *net,
    const struct pd_kad_dht_config *cfg);
/* Unregister, cancel lookups (their callbacks do not run), free. */
void pd_kad_dht_free(struct pd_kad_dht *d);
struct pd_kad_rt *pd_kad_dht_rt(const struct pd_kad_dht *d);
void pd_kad_dht_stats(const struct pd_kad_dht *d,
    struct pd_kad_dht_stats *ret);
/*
 * Offer a peer known from elsewhere (the persisted table, a bootstrap
 * peer): it is dialled if needed and sent a FIND_NODE; if it answers it
 * enters the table.  0 (check started, or already in the table),
 * PD_ERR_INVAL (ourselves), PD_ERR_NOMEM (or too many in flight).
 */
int pd_kad_dht_probe(struct pd_kad_dht *d, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs);
/* Drop expired provider records; returns how many. */
size_t pd_kad_dht_expire(struct pd_kad_dht *d);
size_t pd_kad_dht_provider_count(const struct pd_kad_dht *d);
/*
 * Refresh the routing table (§9, go's refresh): a lookup for our own ID,
 * then one for a random ID in every bucket up to the deepest filled one
 * (at most PD_KAD_RT_MAX_REFRESH_CPL) not refreshed in the last
 * older_than_ms.  Peers the lookups reach are dialled, identified and
 * admitted.  Returns the number of lookups started (0 with an empty table).
 */
size_t pd_kad_dht_refresh(struct pd_kad_dht *d, uint64_t older_than_ms);
const char *pd_kad_dht_protocol(const struct pd_kad_dht *d);
bool pd_kad_dht_server(const struct pd_kad_dht *d);

/*
 * A connected peer was identified: if it speaks our DHT protocol (a DHT
 * server), it is offered to the routing table with its listen addresses.
 */
void pd_kad_dht_identified(struct pd_kad_dht *d, struct pd_conn *c,
    const struct pd_identify *id);

/*
 * Lookup completion: result 0 with the closest peers found (borrowed for
 * the call; for find_peer, peers[0] is the wanted peer), or a negative
 * PD_ERR_* (PD_ERR_NOT_FOUND: find_peer did not find it; PD_ERR_UNAVAILABLE:
 * empty routing table).  Called once, never inside the starting call.
 */
typedef void (*pd_kad_dht_cb)(int result,
    const struct pd_kad_query_peer *const *peers, size_t n, void *arg);
/* The k closest peers to key (raw bytes: a peer ID or any key). */
int pd_kad_dht_closest(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, pd_kad_dht_cb cb, void *arg);
/* Find the addresses of one peer. */
int pd_kad_dht_find_peer(struct pd_kad_dht *d, const struct pd_peerid *id,
    pd_kad_dht_cb cb, void *arg);

#define PD_KAD_DHT_MAX_PROVIDERS 100	/* providers one lookup collects */
#define PD_KAD_DHT_PROV_ADDRS 4		/* addresses kept per provider */

struct pd_kad_dht_provider {
	struct pd_peerid id;
	size_t naddrs;
	struct pd_multiaddr addrs[PD_KAD_DHT_PROV_ADDRS];
};

/*
 * Announce us as a provider of key (a multihash, <= 80 bytes): we keep
 * the record ourselves, look up the k closest peers and send each an
 * ADD_PROVIDER (no answer comes back).  cb gets the peers it was sent to.
 */
int pd_kad_dht_provide(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, pd_kad_dht_cb cb, void *arg);
/*
 * Collect up to limit providers of key (ours first, then GET_PROVIDERS
 * answers along a lookup; stops when it has enough, or after timeout_ms
 * (0: the query's default, 60 s) with what it has).  Result 0 (maybe
 * none found) or PD_ERR_TIMEOUT; called once, never inside this call.
 */
typedef void (*pd_kad_dht_prov_cb)(int result,
    const struct pd_kad_dht_provider *provs, size_t n, void *arg);
int pd_kad_dht_find_providers(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, size_t limit, uint64_t timeout_ms, pd_kad_dht_prov_cb cb,
    void *arg);

/*
 * The validators (record.h) the DHT checks records with: the default pk
 * and ipns ones are installed at creation; an embedder adds its own
 * namespaces here.  Borrowed for the DHT's life.
 */
struct pd_kad_validators *pd_kad_dht_validators(struct pd_kad_dht *d);
/* Value records held (PUT_VALUEs we accepted and our own puts). */
size_t pd_kad_dht_record_count(const struct pd_kad_dht *d);

/*
 * get_value completion: result 0 with the best valid value found (ours
 * and the answers along a lookup for key; borrowed for the call) and how
 * many valid answers were seen, or PD_ERR_NOT_FOUND / PD_ERR_TIMEOUT /
 * PD_ERR_UNAVAILABLE (no record here and an empty table).
 */
typedef void (*pd_kad_dht_value_cb)(int result, const uint8_t *val,
    size_t vallen, size_t nvalid, void *arg);
/*
 * Look up the record under key: a lookup sending GET_VALUE, collecting
 * valid records until PD_KAD_DHT_QUORUM answered or the lookup converged
 * (or timeout_ms, 0: 60 s).  The best (validator select) is returned.
 * 0 (cb will run, never inside this call) or PD_ERR_INVAL (no validator
 * for the key's namespace) / PD_ERR_PEER_LIMIT / PD_ERR_NOMEM.
 */
int pd_kad_dht_get_value(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, uint64_t timeout_ms, pd_kad_dht_value_cb cb, void *arg);
/* put_value completion: 0 with how many of the closest peers stored it
 * (their echo came back) out of how many were sent it, or PD_ERR_*. */
typedef void (*pd_kad_dht_put_cb)(int result, size_t stored, size_t sent,
    void *arg);
/*
 * Validate the record (key, value) with its namespace's validator, keep
 * it ourselves (unless we hold a better one: PD_ERR_EXISTS with why), and
 * send PUT_VALUE to the k closest peers.  0 (cb will run, never inside
 * this call; with no peers it reports 0 of 0), or PD_ERR_INVAL with why.
 */
int pd_kad_dht_put_value(struct pd_kad_dht *d, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, pd_kad_dht_put_cb cb,
    void *arg, char *why, size_t whylen);

#endif
