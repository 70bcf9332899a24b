/*
 * dht.h - the Kademlia DHT on the libp2p wire (libp2p-wire.md §9): the
 * server side (answering FIND_NODE and PING, and GET_VALUE/GET_PROVIDERS
 * with closer peers), the routing table fed from identify, and iterative
 * lookups for closest peers and find-peer, over the connections of a
 * struct pd_net.
 *
 * Provider records (ADD_PROVIDER / GET_PROVIDERS) are held for 48 h.
 * Not here yet: the record store and validators (PUT_VALUE streams are
 * reset, GET_VALUE gets closer peers only), providing ourselves, periodic
 * refresh.
 */
#ifndef PD_KAD_DHT_H
#define PD_KAD_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kad/query.h"
#include "kad/rt.h"
#include "addr/multiaddr.h"

struct pd_net;
struct pd_conn;
struct pd_identify;
struct pd_kad_dht;

#define PD_KAD_DHT_MAX_QUERIES 64	/* lookups in flight */
#define PD_KAD_DHT_MAX_INBOUND 32	/* inbound kad streams per net */
#define PD_KAD_DHT_STREAM_IDLE_MS 10000	/* inbound stream: next request */
#define PD_KAD_DHT_MAX_MSG (64u * 1024)	/* bytes of a request we accept */

struct pd_kad_dht_config {
	const char *protocol;		/* e.g. /ipfs/kad/1.0.0 */
	bool server;			/* answer queries, advertise protocol */
	unsigned k;			/* bucket size */
	bool exempt_private;		/* diversity filter off for private */
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

#endif
