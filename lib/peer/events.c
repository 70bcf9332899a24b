/*
 * events.c - a re-entrancy-safe subscriber list (the tmux events.c
 * pattern): removal during dispatch only marks a subscription dead, and
 * dead ones are swept when the outermost dispatch unwinds; subscriptions
 * made during dispatch carry a newer generation and are skipped by it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/error.h"
#include "peer/events.h"

struct pd_event_sub {
	TAILQ_ENTRY(pd_event_sub) entry;
	unsigned mask;
	pd_event_cb cb;
	void *arg;
	uint64_t gen;		/* generation at subscription */
	int dead;
};

struct pd_events {
	TAILQ_HEAD(, pd_event_sub) subs;
	size_t n;		/* live subscriptions */
	uint64_t gen;		/* bumped by every emit */
	int depth;		/* nested emits in progress */
};

static const char *const event_names[PD_EVENT_TYPE_COUNT_] = {
	[PD_EVENT_PEER_DISCOVERED] = "peer.discovered",
	[PD_EVENT_PEER_CONNECTED] = "peer.connected",
	[PD_EVENT_PEER_DISCONNECTED] = "peer.disconnected",
	[PD_EVENT_PEER_IDENTIFIED] = "peer.identified",
};

const char *
pd_event_type_name(enum pd_event_type type)
{
	if ((unsigned)type >= PD_EVENT_TYPE_COUNT_)
		return "unknown";
	return event_names[type];
}

int
pd_event_type_parse(const char *name, enum pd_event_type *ret_type)
{
	for (unsigned i = 0; i < PD_EVENT_TYPE_COUNT_; i++)
		if (strcmp(name, event_names[i]) == 0) {
			*ret_type = (enum pd_event_type)i;
			return 0;
		}
	return PD_ERR_INVAL;
}

struct pd_events *
pd_events_new(void)
{
	struct pd_events *evs;

	if ((evs = calloc(1, sizeof(*evs))) == NULL)
		return NULL;
	TAILQ_INIT(&evs->subs);
	return evs;
}

void
pd_events_free(struct pd_events *evs)
{
	struct pd_event_sub *s;

	if (evs == NULL)
		return;
	while ((s = TAILQ_FIRST(&evs->subs)) != NULL) {
		TAILQ_REMOVE(&evs->subs, s, entry);
		free(s);
	}
	free(evs);
}

struct pd_event_sub *
pd_events_subscribe(struct pd_events *evs, unsigned mask, pd_event_cb cb,
    void *arg)
{
	struct pd_event_sub *s;

	if (evs->n >= PD_EVENTS_MAX_SUBS || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->mask = mask & PD_EVENT_MASK_ALL;
	s->cb = cb;
	s->arg = arg;
	s->gen = evs->gen;
	TAILQ_INSERT_TAIL(&evs->subs, s, entry);
	evs->n++;
	return s;
}

void
pd_events_unsubscribe(struct pd_events *evs, struct pd_event_sub *sub)
{
	if (sub == NULL || sub->dead)
		return;
	sub->dead = 1;
	evs->n--;
	if (evs->depth == 0) {
		TAILQ_REMOVE(&evs->subs, sub, entry);
		free(sub);
	}
}

static void
events_sweep(struct pd_events *evs)
{
	struct pd_event_sub *s, *next;

	for (s = TAILQ_FIRST(&evs->subs); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->dead) {
			TAILQ_REMOVE(&evs->subs, s, entry);
			free(s);
		}
	}
}

void
pd_events_emit(struct pd_events *evs, const struct pd_event *ev)
{
	struct pd_event_sub *s;
	uint64_t gen;

	if ((unsigned)ev->type >= PD_EVENT_TYPE_COUNT_)
		return;
	gen = ++evs->gen;
	evs->depth++;
	/* Dead entries stay linked until the sweep, so NEXT stays valid. */
	TAILQ_FOREACH(s, &evs->subs, entry) {
		if (s->dead || s->gen >= gen ||
		    !(s->mask & PD_EVENT_MASK(ev->type)))
			continue;
		s->cb(ev, s->arg);
	}
	if (--evs->depth == 0)
		events_sweep(evs);
}

size_t
pd_events_count(const struct pd_events *evs)
{
	return evs->n;
}
