/*
 * discovery.h - the interface every discovery mechanism implements
 * (mDNS, DHT, bootstrap, or an embedder's own, the seed's
 * AddDiscovery("custom", d)).  A discovery reports what it finds with
 * pd_manager_add_peer(); the manager decides whether to dial.
 */
#ifndef PD_DISCOVERY_DISCOVERY_H
#define PD_DISCOVERY_DISCOVERY_H

struct pd_manager;

#define PD_DISCOVERY_MAX 16		/* discoveries per manager */

struct pd_discovery_ops {
	const char *name;		/* "mdns", "dht", "bootstrap", custom */
	/* Begin discovering for m.  0 or a negative PD_ERR_*. */
	int (*start)(void *arg, struct pd_manager *m);
	/* Stop; no more pd_manager_add_peer() calls after this. */
	void (*stop)(void *arg);
	/* Announce us under a namespace (may be NULL: not supported). */
	int (*advertise)(void *arg, const char *ns);
	int (*unadvertise)(void *arg, const char *ns);
};

#endif
