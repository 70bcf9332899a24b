/*
 * node.h - the daemon's libp2p host: listeners on node.listen, identify
 * and ping, connection logging, and the --dial test aid.  It will be
 * folded into the manager (lib/peer) when the peer store lands.
 */
#ifndef PD_DAEMON_NODE_H
#define PD_DAEMON_NODE_H

#include <stddef.h>

struct event_base;
struct pd_config;
struct pd_privkey;
struct node;

/*
 * Bring up the host: read the pnet key if configured, listen on every
 * node.listen address, register identify and ping.  Returns NULL with a
 * heap message in *cause (caller frees) on failure.
 */
struct node *node_new(struct event_base *base, const struct pd_config *cfg,
    const struct pd_privkey *key, char **cause);
/* Dial a multiaddr (text); the outcome is logged.  0 or -1 with why. */
int node_dial(struct node *n, const char *addr, char *why, size_t whylen);
/* Close everything; NULL is a no-op. */
void node_free(struct node *n);

#endif
