/*
 * bootstrap.h - bootstrap discovery (design.md bootstrap.*; issue 7
 * "Bootstrap discovery"; the seed's bootstrap.go).
 *
 * Dials the configured bootstrap peers when started.  /dns4 and /dns6
 * (and /dns: both) are resolved with libevent's evdns (A / AAAA);
 * /dnsaddr through TXT records on "_dnsaddr.<host>" (dnsaddr.h, sent over
 * UDP to the same name server, as evdns cannot ask for TXT).  Each peer is
 * then reported with pd_manager_add_peer(PD_SOURCE_BOOTSTRAP) and dialed
 * with pd_manager_connect().
 *
 * Per peer states: "idle" (not tried yet, or disconnected while the node
 * still has other connections), "resolving", "connecting", "connected",
 * "backing-off" (the attempt failed while the node has no connection: a
 * retry is scheduled at next_attempt_ms) and "failed" (the attempt failed
 * while the node has other connections: no retry until the next round).
 * Retry delays start at backoff_base_ms and double per consecutive
 * failure up to backoff_max_ms, each jittered to [3/4, 5/4] of its value.
 * When the manager's connection count falls to zero, a new round runs for
 * every peer that is not connected or busy, after the same kind of
 * back-off (its own failure count, reset when a bootstrap peer connects).
 *
 * A connected bootstrap peer is protected under the tag "bootstrap" for
 * protect_ms (default PD_BOOTSTRAP_PROTECT_MS, 10 min: long enough for the
 * DHT to fill its routing table from it, after which the connection
 * manager may trim it like any other peer); then it is unprotected.
 *
 * Lifetime: pd_bootstrap_new(), then pd_manager_add_discovery(m,
 * pd_bootstrap_ops(), b); the manager starts and stops it.  Free it with
 * pd_bootstrap_free() only after pd_manager_stop() or pd_manager_free()
 * of that manager.  Outstanding evdns lookups end on the next event loop
 * turn after the free (with their small per-lookup state).
 */
#ifndef PD_DISCOVERY_BOOTSTRAP_H
#define PD_DISCOVERY_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"
#include "discovery/discovery.h"
#include "discovery/dnsaddr.h"

struct event_base;
struct pd_bootstrap;

#define PD_BOOTSTRAP_MAX_PEERS 64		/* configured entries */
#define PD_BOOTSTRAP_MAX_ADDRS 16		/* resolved addrs kept per peer */
#define PD_BOOTSTRAP_MAX_LOOKUPS 16		/* A/AAAA lookups per attempt */
#define PD_BOOTSTRAP_MAX_ERROR 160		/* bytes of last_error incl. NUL */
#define PD_BOOTSTRAP_MAX_NAMESERVER 128		/* chars of cfg->nameserver */
#define PD_BOOTSTRAP_BACKOFF_BASE_MS 1000	/* first retry delay */
#define PD_BOOTSTRAP_BACKOFF_MAX_MS 300000	/* 5 min: retry delay cap */
#define PD_BOOTSTRAP_PROTECT_MS 600000		/* 10 min: protection grace */
#define PD_BOOTSTRAP_DNS_TIMEOUT_MS 5000	/* one DNS query try */
#define PD_BOOTSTRAP_DNS_TRIES 2		/* tries per TXT query */
#define PD_BOOTSTRAP_ADDR_TTL_MS 3600000	/* 1 h: ttl of resolved addrs */
#define PD_BOOTSTRAP_TAG "bootstrap"		/* protection tag */

struct pd_bootstrap_config {
	/*
	 * Name server as "IP" or "IP:PORT" ("[IPv6]:PORT"), port 53 by
	 * default; NULL: the servers of /etc/resolv.conf (TXT lookups go to
	 * the first one).  Copied.
	 */
	const char *nameserver;
	int64_t protect_ms;		/* 0: PD_BOOTSTRAP_PROTECT_MS */
	int64_t backoff_base_ms;	/* 0: PD_BOOTSTRAP_BACKOFF_BASE_MS */
	int64_t backoff_max_ms;		/* 0: PD_BOOTSTRAP_BACKOFF_MAX_MS */
	int dns_timeout_ms;		/* 0: PD_BOOTSTRAP_DNS_TIMEOUT_MS */
};

/* One bootstrap peer, for discovery.bootstrap / peerdiscctl bootstrap. */
struct pd_bootstrap_peer_info {
	bool has_id;			/* id is known (from the address or DNS) */
	struct pd_peerid id;
	const char *addr;		/* configured text, borrowed from b until
					   the next set_peers or free */
	struct pd_multiaddr resolved[PD_BOOTSTRAP_MAX_ADDRS];
	size_t nresolved;		/* dialable addrs of the last resolution */
	const char *state;		/* static: "idle", "resolving", ... */
	char last_error[PD_BOOTSTRAP_MAX_ERROR];	/* "" if none */
	int64_t next_attempt_ms;	/* unix ms of the next retry, 0 none */
	bool connected;
	unsigned failures;		/* consecutive failed attempts */
};

/*
 * Create a bootstrap discovery on base with cfg (copied) and no peers.
 * 0 and *ret_b, or PD_ERR_INVAL (bad nameserver or config value),
 * PD_ERR_UNAVAILABLE (no usable name server), PD_ERR_NOMEM, with a reason
 * in why.
 */
int pd_bootstrap_new(struct event_base *base,
    const struct pd_bootstrap_config *cfg, struct pd_bootstrap **ret_b,
    char *why, size_t whylen);
/* Free (see the lifetime rule above).  NULL is a no-op. */
void pd_bootstrap_free(struct pd_bootstrap *b);

/* The vtable to pass to pd_manager_add_discovery() with b as arg. */
const struct pd_discovery_ops *pd_bootstrap_ops(void);

/*
 * Replace the peer list (multiaddr texts; live reload).  Each must be an
 * address of an IP, /dns4, /dns6, /dns or /dnsaddr form, normally ending
 * in /p2p/ID (without it the ID is learned from DNS or the connection).
 * Entries equal (as multiaddrs) to current ones keep their state; removed
 * ones are dropped (their lookups abandoned, their protection removed);
 * new ones start at once when running.  Duplicates are merged.  All or
 * nothing: 0, or PD_ERR_INVAL / PD_ERR_OVERFLOW (over
 * PD_BOOTSTRAP_MAX_PEERS) / PD_ERR_NOMEM with a reason naming the entry.
 */
int pd_bootstrap_set_peers(struct pd_bootstrap *b, const char *const *addrs,
    size_t n, char *why, size_t whylen);

/*
 * Start an attempt now for every peer that is idle, failed or backing
 * off (as a round does).  0, or PD_ERR_UNAVAILABLE when not started.
 */
int pd_bootstrap_run(struct pd_bootstrap *b);

/*
 * Fill out[0..max) with the peers in configured order; returns the number
 * of configured peers (may exceed max: only max are written).
 */
size_t pd_bootstrap_peers(const struct pd_bootstrap *b,
    struct pd_bootstrap_peer_info *out, size_t max);

/* Configured peers, and how many are connected now. */
size_t pd_bootstrap_count(const struct pd_bootstrap *b, size_t *ret_connected);

#endif
