/*
 * rpc-methods.h - the control protocol's method table and the JSON shape
 * of peers and events (peerdisc-control(7)).
 */
#ifndef PD_DAEMON_RPC_METHODS_H
#define PD_DAEMON_RPC_METHODS_H

#include <stddef.h>

#include <jansson.h>

#include "peer/events.h"
#include "rpc.h"

struct pd_manager;
struct pd_peer;

/* What the handlers need from the daemon; arg of rpc_server_new(). */
struct rpc_daemon {
	struct pd_manager *m;
	struct pd_bootstrap *boot;		/* NULL: no bootstrap discovery */
	struct pd_disc_mdns *mdns;		/* NULL: no mDNS discovery */
	const char *version;
	/*
	 * Re-read the configuration (config.reload, SIGHUP).  On success
	 * fills *ret_result with {"applied":[...],"needs_restart":[...]};
	 * on failure returns -1 with a reason (the old config stays).
	 */
	int (*reload)(void *arg, json_t **ret_result, char *why, size_t whylen);
	void *reload_arg;
	/* Gauges the control server owns (clients), for metrics. */
	json_t *(*control_metrics)(void *arg);
	void *control_arg;
};

extern const struct rpc_method rpc_methods[];
extern const size_t rpc_nmethods;

/* The peer object of design.md; a new reference. */
json_t *rpc_peer_json(const struct pd_peer *p);
/* The params of an event notification; a new reference. */
json_t *rpc_event_json(const struct pd_event *ev);

#endif
