/*
 * events.h - peer events and their subscribers (design.md "Control
 * protocol" notifications; the seed's OnPeerConnected/OnPeerDisconnected).
 *
 * The manager emits; subscribers (the control socket's events.subscribe,
 * an embedder's callbacks) receive.  The subscriber list may be changed
 * from inside a callback: a subscriber removed during dispatch gets no
 * further events, one added during dispatch gets none of the event being
 * dispatched.
 */
#ifndef PD_PEER_EVENTS_H
#define PD_PEER_EVENTS_H

#include <stddef.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"

struct pd_events;
struct pd_event_sub;

enum pd_event_type {
	PD_EVENT_PEER_DISCOVERED = 0,
	PD_EVENT_PEER_CONNECTED,
	PD_EVENT_PEER_DISCONNECTED,
	PD_EVENT_PEER_IDENTIFIED,
	PD_EVENT_TYPE_COUNT_
};

#define PD_EVENT_MASK(t) (1u << (t))
#define PD_EVENT_MASK_ALL ((1u << PD_EVENT_TYPE_COUNT_) - 1)
#define PD_EVENTS_MAX_SUBS 4096		/* subscribers per manager */

/* One event; every pointer is borrowed for the duration of the callback. */
struct pd_event {
	enum pd_event_type type;
	const struct pd_peerid *peer;
	/* peer.discovered */
	const struct pd_multiaddr *addrs;
	size_t naddrs;
	const char *source;		/* mdns, dht, bootstrap, manual */
	/* peer.connected */
	int inbound;			/* 1 inbound, 0 outbound */
	const struct pd_multiaddr *addr;
	/* peer.disconnected */
	const char *reason;
	/* peer.identified */
	const char *agent;		/* may be NULL */
	const char *const *protocols;
	size_t nprotocols;
	const char *protocol_version;	/* may be NULL */
	const struct pd_multiaddr *listen_addrs;
	size_t nlisten;
	const struct pd_multiaddr *observed;	/* may be NULL */
	int signed_record;		/* a verified peer record came */
};

typedef void (*pd_event_cb)(const struct pd_event *ev, void *arg);

struct pd_events *pd_events_new(void);
/* Free the list and every subscription.  Not from inside a callback. */
void pd_events_free(struct pd_events *evs);
/*
 * Subscribe cb to the types in mask (PD_EVENT_MASK bits).  Returns the
 * subscription, or NULL on OOM or over PD_EVENTS_MAX_SUBS.
 */
struct pd_event_sub *pd_events_subscribe(struct pd_events *evs,
    unsigned mask, pd_event_cb cb, void *arg);
/* Stop delivering to sub; safe inside a callback.  NULL is a no-op. */
void pd_events_unsubscribe(struct pd_events *evs, struct pd_event_sub *sub);
/* Deliver ev to every matching subscriber present when the call began. */
void pd_events_emit(struct pd_events *evs, const struct pd_event *ev);
size_t pd_events_count(const struct pd_events *evs);
/* "peer.discovered" etc.; never NULL. */
const char *pd_event_type_name(enum pd_event_type type);
/* Parse a name; 0 and *ret_type, or PD_ERR_INVAL. */
int pd_event_type_parse(const char *name, enum pd_event_type *ret_type);

#endif
