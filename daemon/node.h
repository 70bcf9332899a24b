/*
 * node.h - peerdiscd's node: builds the manager (lib/peer) from the
 * configuration, logs one line per connection event, and applies live
 * configuration changes.
 */
#ifndef PD_DAEMON_NODE_H
#define PD_DAEMON_NODE_H

#include <stddef.h>

#include "peer/events.h"

struct event_base;
struct pd_config;
struct pd_manager;
struct pd_privkey;
struct node;

/*
 * Build and start the manager: read the pnet key if configured, load the
 * peer store, listen on every node.listen address.  Returns NULL with a
 * heap message in *cause (caller frees) on failure.
 */
struct node *node_new(struct event_base *base, const struct pd_config *cfg,
    const struct pd_privkey *key, char **cause);
struct pd_manager *node_manager(const struct node *n);
/* The bootstrap discovery (discovery.bootstrap, node.info). */
struct pd_bootstrap *node_bootstrap(const struct node *n);
/* The mDNS discovery (discovery.local, node.info, metrics). */
struct pd_disc_mdns *node_mdns(const struct node *n);
/* Dial a multiaddr (text); the outcome is logged.  0 or -1 with why. */
int node_dial(struct node *n, const char *addr, char *why, size_t whylen);
/* Apply the live keys of cfg (limits, protected peers). */
void node_apply_config(struct node *n, const struct pd_config *cfg);
/* Stop (saving the store) and free; NULL is a no-op. */
void node_free(struct node *n);

#endif
