/*
 * idsvc.h - the identify service: answers /ipfs/id/1.0.0 requests with
 * our identify message (and signed peer record), asks every connected
 * peer for theirs, and accepts /ipfs/id/push/1.0.0 updates.
 */
#ifndef PD_PROTO_IDSVC_H
#define PD_PROTO_IDSVC_H

#include <stddef.h>

#include "proto/identify.h"

struct pd_net;
struct pd_conn;
struct pd_idsvc;

#define PD_IDSVC_MAX_PENDING 1024	/* identify exchanges in flight */

struct pd_idsvc_cbs {
	/*
	 * The peer on c told us who it is; id is borrowed for the call.  Its
	 * key matched the connection and any record was signed by it.
	 */
	void (*on_identified)(struct pd_conn *c, const struct pd_identify *id,
	    void *arg);
	/* Identify with c failed (timeout, bad message, wrong key). */
	void (*on_failed)(struct pd_conn *c, int err, const char *why,
	    void *arg);
};

/*
 * Register the identify and push handlers on net.  agent is our
 * agentVersion (copied).  Returns NULL on OOM.
 */
struct pd_idsvc *pd_idsvc_new(struct pd_net *net, const char *agent,
    const struct pd_idsvc_cbs *cbs, void *arg);
/* Unregister, abandon exchanges in flight (no callbacks), free. */
void pd_idsvc_free(struct pd_idsvc *svc);
/*
 * Addresses to advertise instead of the listen addresses (node.announce);
 * n = 0 goes back to the listen addresses.  Re-signs our peer record.
 */
int pd_idsvc_set_announce(struct pd_idsvc *svc,
    const struct pd_multiaddr *addrs, size_t n);
/* Ask the peer on c who it is; the answer comes through the callbacks. */
int pd_idsvc_identify(struct pd_idsvc *svc, struct pd_conn *c);
/* Build the identify message we would send on c (for tests, push). */
int pd_idsvc_build(struct pd_idsvc *svc, struct pd_conn *c,
    struct pd_buf *out);

#endif
