/*
 * manager.h - the peer manager: the engine of a peerdisc node (the
 * seed's peer.NewManager).  It owns the network layer, identify and ping,
 * the peer store and its file, the event list and the discoveries, all on
 * one event_base it borrows.  Several managers may share one event_base
 * in one process; nothing here is global.
 */
#ifndef PD_PEER_MANAGER_H
#define PD_PEER_MANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "discovery/discovery.h"
#include "peer/events.h"
#include "peer/store.h"

struct event_base;
struct pd_kad_dht;
struct pd_manager;
struct pd_net;

#define PD_MANAGER_MAX_LISTEN 8
#define PD_MANAGER_MAX_ANNOUNCE 32
#define PD_MANAGER_MAX_PROTECTED 256
#define PD_MANAGER_IDENTIFY_ADDR_TTL_MS (24ll * 3600 * 1000) /* 24 h */
#define PD_MANAGER_SAVE_DEBOUNCE_MS 2000	/* quiet time before a save */
#define PD_MANAGER_SAVE_MAX_DELAY_MS 30000	/* longest a change waits */
#define PD_MANAGER_EXPIRE_INTERVAL_MS 60000	/* address expiry sweep */
#define PD_MANAGER_MAX_CONNECTS 1024		/* connect requests in flight */
#define PD_MANAGER_DHT_SEEDS 64			/* remembered DHT peers checked */
#define PD_MANAGER_MAINT_MS 1000		/* trim / dial-up period */
#define PD_MANAGER_TRIM_MAX 256			/* peers closed per trim */
#define PD_MANAGER_DIAL_UP_MAX 64		/* dials started per pass */
#define PD_MANAGER_REFUSED_LOG_MS 10000		/* one refusal line per */

struct pd_manager_config {
	struct pd_privkey key;			/* identity (copied) */
	const char *agent;			/* agentVersion */
	struct pd_multiaddr listen[PD_MANAGER_MAX_LISTEN];
	size_t nlisten;
	struct pd_multiaddr announce[PD_MANAGER_MAX_ANNOUNCE];
	size_t nannounce;
	int has_psk;
	uint8_t psk[32];
	int connection_timeout_ms;
	unsigned max_peers;
	unsigned min_peers;
	size_t store_max;
	const char *store_file;			/* NULL: memory only */
	int64_t save_interval_ms;
	struct pd_peerid protected_ids[PD_MANAGER_MAX_PROTECTED];
	size_t nprotected;
	int dht_enabled;
	int dht_server;				/* answer queries */
	const char *dht_protocol;		/* NULL: /ipfs/kad/1.0.0 */
	unsigned dht_k;				/* bucket size */
	int64_t dht_refresh_ms;			/* 0: no periodic refresh */
	int64_t grace_ms;			/* no trim before; 0: 20 s */
	int64_t retry_ms;			/* dial back-off base; 0: 60 s */
	unsigned max_per_ip;			/* inbound per IP; 0: 8 */
	unsigned max_inbound;			/* inbound total; 0: max_peers */
	unsigned dial_max_inflight;		/* 0: connmgr default */
	unsigned dial_per_minute;		/* 0: connmgr default */
	unsigned inbound_rate_per_ip;		/* new per IP per min; 0: default */
	int rate_limit_loopback;		/* 1: loopback rate-limited too */
	int dht_diversity;			/* 0 off, 1 public addrs, 2 all */
	unsigned dht_rate;			/* requests/s per peer, 0 off */
};

/* Counters for the metrics method. */
struct pd_manager_stats {
	uint64_t dials, dial_failures;
	uint64_t conns_inbound, conns_outbound;	/* opened, total */
	uint64_t identify_ok, identify_failed;
	uint64_t store_saves, store_save_failures;
	uint64_t peers_discovered;
	uint64_t trims, peers_trimmed;		/* connection trims */
	uint64_t dials_queued;			/* connects that waited */
};

/*
 * Create a manager on base from cfg (copied).  Nothing listens and no
 * file is read until pd_manager_start().  NULL on OOM.
 */
struct pd_manager *pd_manager_new(struct event_base *base,
    const struct pd_manager_config *cfg);
/*
 * Load the store file, listen, start timers and discoveries.  0, or a
 * negative PD_ERR_* with a reason in why (cannot listen...).  A store
 * file that does not parse is moved aside with a warning, not an error.
 */
int pd_manager_start(struct pd_manager *m, char *why, size_t whylen);
/* Stop discoveries, save the store, close connections.  Idempotent. */
void pd_manager_stop(struct pd_manager *m);
/* Stop (if needed) and free.  NULL is a no-op. */
void pd_manager_free(struct pd_manager *m);

struct pd_store *pd_manager_store(const struct pd_manager *m);
/* The DHT, or NULL when it is disabled. */
struct pd_kad_dht *pd_manager_dht(const struct pd_manager *m);
struct pd_net *pd_manager_net(const struct pd_manager *m);
const struct pd_peerid *pd_manager_peer_id(const struct pd_manager *m);
const struct pd_manager_config *pd_manager_config(const struct pd_manager *m);
void pd_manager_stats(const struct pd_manager *m,
    struct pd_manager_stats *ret);
/* Unix ms when pd_manager_start() ran. */
int64_t pd_manager_started_at(const struct pd_manager *m);
/* Open connections: total, and split by direction (either may be NULL). */
size_t pd_manager_conn_count(const struct pd_manager *m, size_t *ret_in,
    size_t *ret_out);
/* Connect requests in flight (dials). */
size_t pd_manager_dialing(const struct pd_manager *m);
/* Connect requests waiting for the dial budget. */
size_t pd_manager_queued(const struct pd_manager *m);
/* The connection manager (scores, back-off, budget, inbound limits). */
struct pd_connmgr *pd_manager_connmgr(const struct pd_manager *m);
/*
 * Apply the connection-policy fields of cfg (watermarks, grace, back-off,
 * per-IP and inbound caps, dial budget) live, on reload.
 */
void pd_manager_set_conn_policy(struct pd_manager *m,
    const struct pd_manager_config *cfg);
/* Tag a peer with a score weight (bootstrap, app tags); 0 or PD_ERR_*. */
int pd_manager_tag(struct pd_manager *m, const struct pd_peerid *id,
    const char *name, int weight);

/*
 * Learn a peer: record it (and addrs, ttl_ms 0 = permanent) with source
 * (one PD_SOURCE_* bit) and emit peer.discovered.  0, or
 * PD_ERR_PEER_LIMIT / PD_ERR_NOMEM / PD_ERR_INVAL.  Our own ID is
 * refused (PD_ERR_INVAL).
 */
int pd_manager_add_peer(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, int64_t ttl_ms,
    unsigned source);

/*
 * Connect completion: 0 and the peer, or a negative PD_ERR_* with why.
 * Called once, later (never inside pd_manager_connect).
 */
typedef void (*pd_manager_connect_cb)(int result, const struct pd_peerid *id,
    const char *why, void *arg);
/*
 * Connect to a peer by id (its stored addresses are tried in turn), or
 * by addr (which may carry /p2p/ID), or both.  Already connected: success.
 * Returns 0 (cb will run), or PD_ERR_PEER_NOT_FOUND (no address known),
 * PD_ERR_PEER_LIMIT (at max_peers and the peer is not protected),
 * PD_ERR_INVAL, PD_ERR_NOMEM.
 */
int pd_manager_connect(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addr, pd_manager_connect_cb cb, void *arg);
/* Close every connection to id.  0 or PD_ERR_PEER_NOT_FOUND. */
int pd_manager_disconnect(struct pd_manager *m, const struct pd_peerid *id);
/* Protect / unprotect id under tag (the peer is created if unknown). */
int pd_manager_protect(struct pd_manager *m, const struct pd_peerid *id,
    const char *tag);
int pd_manager_unprotect(struct pd_manager *m, const struct pd_peerid *id,
    const char *tag);

/* Subscribe to events (see events.h); NULL on OOM. */
struct pd_event_sub *pd_manager_on_event(struct pd_manager *m, unsigned mask,
    pd_event_cb cb, void *arg);
void pd_manager_off_event(struct pd_manager *m, struct pd_event_sub *sub);

/*
 * Plug in a discovery (ops and arg borrowed for the manager's life);
 * started at once if the manager runs.  0, PD_ERR_OVERFLOW, or the
 * discovery's start error.
 */
int pd_manager_add_discovery(struct pd_manager *m,
    const struct pd_discovery_ops *ops, void *arg);

/* Save the store file now (also done on timers and at stop). */
int pd_manager_save(struct pd_manager *m, char *why, size_t whylen);

/* Change limits live (config reload). */
void pd_manager_set_limits(struct pd_manager *m, unsigned max_peers,
    unsigned min_peers, size_t store_max);
/* Change peers.connection_timeout live (new dials and accepts). */
void pd_manager_set_connection_timeout(struct pd_manager *m, int ms);

#define PD_MANAGER_MAX_ADVERTISED 64	/* namespaces we advertise */
#define PD_MANAGER_MAX_NAMESPACE 256	/* bytes of a namespace */
#define PD_MANAGER_READVERTISE_MS (7ll * 3 * 3600 * 1000 / 8) /* 7/8 of 3 h */

/* The DHT key of a namespace: the multihash sha2-256(ns) (34 bytes). */
void pd_manager_namespace_key(const char *ns, uint8_t ret_key[34]);
/*
 * Advertise us under ns through the DHT (provider record of its key),
 * now and every PD_MANAGER_READVERTISE_MS until unadvertised.  0,
 * PD_ERR_UNAVAILABLE (no DHT), PD_ERR_OVERFLOW (too many), PD_ERR_INVAL.
 */
int pd_manager_advertise(struct pd_manager *m, const char *ns);
/* Stop advertising ns.  0 or PD_ERR_NOT_FOUND. */
int pd_manager_unadvertise(struct pd_manager *m, const char *ns);
/* Namespaces advertised (borrowed); returns the count. */
size_t pd_manager_advertised(const struct pd_manager *m,
    const char **out, size_t max);

/* Replace the configured protected peers (peers.protected, live). */
void pd_manager_set_protected(struct pd_manager *m,
    const struct pd_peerid *ids, size_t n);

/* Wall clock in unix ms (the manager's notion of "now"). */
int64_t pd_manager_now(void);

#endif
