/*
 * mdns.h - mDNS discovery (issue 8; the seed's mdns.go): the
 * pd_discovery_ops adapter around the mDNS service of lib/mdns/mdns.h.
 *
 * When started by the manager it announces the manager's peer ID and
 * addresses (node.announce when configured, else the listen addresses
 * filtered per interface) and reports every peer it hears with
 * pd_manager_add_peer(PD_SOURCE_MDNS, ttl = the answer's TTL); the
 * connection manager dials them when below its minimum.  With a pnet key
 * in the manager's configuration, the service name carries the network
 * fingerprint (pd_mdns_service_name), so public and private nodes, and
 * nodes of different private networks, never see each other.
 *
 * Lifetime: pd_disc_mdns_new(), then pd_manager_add_discovery(m,
 * pd_disc_mdns_ops(), d); the manager starts and stops it.  Free it with
 * pd_disc_mdns_free() only after pd_manager_stop() or pd_manager_free().
 * enabled and the interface lists can change at any time (live reload).
 */
#ifndef PD_DISCOVERY_MDNS_H
#define PD_DISCOVERY_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/discovery.h"
#include "mdns/mdns.h"

struct event_base;
struct pd_disc_mdns;

struct pd_disc_mdns_config {
	bool enabled;
	const char *service;		/* NULL: _p2p._udp.local (copied) */
	int64_t interval_ms;		/* 0: PD_MDNS_INTERVAL_MS */
	const char *const *allow;	/* interfaces (copied); none: all usable */
	size_t nallow;
	const char *const *deny;	/* interfaces never used (copied) */
	size_t ndeny;
};

/*
 * Create (nothing opened until the manager starts it).  0 and *ret_d, or
 * PD_ERR_INVAL (bad service or list) / PD_ERR_OVERFLOW / PD_ERR_NOMEM
 * with a reason in why.
 */
int pd_disc_mdns_new(struct event_base *base,
    const struct pd_disc_mdns_config *cfg, struct pd_disc_mdns **ret_d,
    char *why, size_t whylen);
/* Free (see the lifetime rule above).  NULL is a no-op. */
void pd_disc_mdns_free(struct pd_disc_mdns *d);
/* The vtable to pass to pd_manager_add_discovery() with d as arg. */
const struct pd_discovery_ops *pd_disc_mdns_ops(void);

/*
 * Turn mDNS on or off live: off sends goodbyes, closes the sockets and
 * forgets the learnt table; on (when the manager runs) starts again.
 * 0, or PD_ERR_NOMEM.
 */
int pd_disc_mdns_set_enabled(struct pd_disc_mdns *d, bool enabled);
bool pd_disc_mdns_enabled(const struct pd_disc_mdns *d);
/* True while the service runs (enabled and started by the manager). */
bool pd_disc_mdns_running(const struct pd_disc_mdns *d);
/*
 * Replace the allow and deny lists live.  0 or PD_ERR_* with why (the
 * old lists stay).
 */
int pd_disc_mdns_set_interfaces(struct pd_disc_mdns *d,
    const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny, char *why, size_t whylen);
/* Interfaces served now (none when not running); returns the count. */
size_t pd_disc_mdns_interfaces(const struct pd_disc_mdns *d,
    char (*names)[IFNAMSIZ], size_t max);
/* Peers learnt and not expired (discovery.local); returns the count. */
size_t pd_disc_mdns_peers(const struct pd_disc_mdns *d,
    struct pd_mdns_peer_info *out, size_t max);
/* Counters since creation (all zero before the first start). */
void pd_disc_mdns_stats(const struct pd_disc_mdns *d,
    struct pd_mdns_stats *ret);
/* The service name in use ("" before the first start). */
const char *pd_disc_mdns_service(const struct pd_disc_mdns *d);

#endif
