/*
 * ping.h - /ipfs/ping/1.0.0 (libp2p-wire.md §8): answer pings and
 * measure round trips.  The responder echoes 32-byte payloads; at most
 * PD_PING_MAX_INBOUND inbound ping streams per connection, each closed
 * after PD_PING_IDLE_MS without a payload.
 */
#ifndef PD_PROTO_PING_H
#define PD_PROTO_PING_H

#include <stdint.h>

struct pd_net;
struct pd_conn;
struct pd_ping;

#define PD_PING_PROTO "/ipfs/ping/1.0.0"
#define PD_PING_SIZE 32			/* bytes per ping */
#define PD_PING_MAX_INBOUND 2		/* inbound streams per connection */
#define PD_PING_IDLE_MS 10000		/* inbound stream idle limit */
#define PD_PING_TIMEOUT_MS 10000	/* our ping's answer deadline */

/* Register the responder on net.  0 or a negative PD_ERR_*. */
int pd_ping_register(struct pd_net *net);

/* result 0 with rtt_ms, or a negative PD_ERR_* (PD_ERR_TIMEOUT...). */
typedef void (*pd_ping_cb)(int result, uint64_t rtt_us, void *arg);
/*
 * Ping the peer on c once.  cb runs exactly once, later, unless
 * pd_ping_cancel() is called first.  Returns a handle or NULL with
 * *ret_err set.  The handle is freed after cb returns.
 */
struct pd_ping *pd_ping_start(struct pd_conn *c, pd_ping_cb cb, void *arg,
    int *ret_err);
void pd_ping_cancel(struct pd_ping *p);

#endif
