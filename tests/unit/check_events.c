/*
 * check_events.c - subscriber list semantics, including changes made from
 * inside callbacks.
 */
#include <check.h>
#include <string.h>

#include "core/error.h"
#include "peer/events.h"

#include "helpers.h"

struct rec {
	struct pd_events *evs;
	struct pd_event_sub *self, *other, *added;
	int calls;
	int action;		/* what to do when called */
	struct rec *peer;	/* for ACTION_ADD: who to subscribe */
};

enum { ACT_NONE, ACT_UNSUB_SELF, ACT_UNSUB_OTHER, ACT_ADD, ACT_EMIT };

static void rec_cb(const struct pd_event *ev, void *arg);

static void
rec_cb(const struct pd_event *ev, void *arg)
{
	struct rec *r = arg;

	r->calls++;
	switch (r->action) {
	case ACT_UNSUB_SELF:
		pd_events_unsubscribe(r->evs, r->self);
		break;
	case ACT_UNSUB_OTHER:
		pd_events_unsubscribe(r->evs, r->other);
		r->other = NULL;
		break;
	case ACT_ADD:
		if (r->added == NULL)
			r->added = pd_events_subscribe(r->evs, PD_EVENT_MASK_ALL,
			    rec_cb, r->peer);
		break;
	case ACT_EMIT:
		if (ev->type == PD_EVENT_PEER_CONNECTED) {
			struct pd_event nested = {
			    .type = PD_EVENT_PEER_DISCONNECTED };

			pd_events_emit(r->evs, &nested);
		}
		break;
	}
}

static void
emit(struct pd_events *evs, enum pd_event_type t)
{
	struct pd_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	pd_events_emit(evs, &ev);
}

START_TEST(test_mask)
{
	struct pd_events *evs = pd_events_new();
	struct rec a = { .evs = evs }, b = { .evs = evs };

	a.self = pd_events_subscribe(evs, PD_EVENT_MASK(PD_EVENT_PEER_CONNECTED),
	    rec_cb, &a);
	b.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &b);
	emit(evs, PD_EVENT_PEER_CONNECTED);
	emit(evs, PD_EVENT_PEER_IDENTIFIED);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 2);
	ck_assert_uint_eq(pd_events_count(evs), 2);
	pd_events_unsubscribe(evs, a.self);
	emit(evs, PD_EVENT_PEER_CONNECTED);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_uint_eq(pd_events_count(evs), 1);
	pd_events_free(evs);
}
END_TEST

START_TEST(test_unsubscribe_during_dispatch)
{
	struct pd_events *evs = pd_events_new();
	struct rec a = { .evs = evs, .action = ACT_UNSUB_SELF };
	struct rec b = { .evs = evs, .action = ACT_UNSUB_OTHER };
	struct rec c = { .evs = evs };

	a.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &a);
	b.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &b);
	c.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &c);
	b.other = c.self;	/* b removes c, which comes after it */
	emit(evs, PD_EVENT_PEER_CONNECTED);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(c.calls, 0);
	emit(evs, PD_EVENT_PEER_CONNECTED);
	ck_assert_int_eq(a.calls, 1);	/* gone */
	ck_assert_int_eq(b.calls, 2);
	ck_assert_uint_eq(pd_events_count(evs), 1);
	pd_events_free(evs);
}
END_TEST

START_TEST(test_subscribe_during_dispatch)
{
	struct pd_events *evs = pd_events_new();
	struct rec late = { .evs = evs };
	struct rec a = { .evs = evs, .action = ACT_ADD, .peer = &late };

	a.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &a);
	emit(evs, PD_EVENT_PEER_DISCOVERED);
	ck_assert_ptr_nonnull(a.added);
	ck_assert_int_eq(late.calls, 0);	/* not the current event */
	emit(evs, PD_EVENT_PEER_DISCOVERED);
	ck_assert_int_eq(late.calls, 1);
	pd_events_free(evs);
}
END_TEST

START_TEST(test_nested_emit)
{
	struct pd_events *evs = pd_events_new();
	struct rec a = { .evs = evs, .action = ACT_EMIT };
	struct rec b = { .evs = evs, .action = ACT_UNSUB_SELF };

	a.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &a);
	b.self = pd_events_subscribe(evs, PD_EVENT_MASK_ALL, rec_cb, &b);
	emit(evs, PD_EVENT_PEER_CONNECTED);
	/* a: connected + nested disconnected; b: unsubscribed in the nested
	 * dispatch, so the outer one skips it. */
	ck_assert_int_eq(a.calls, 2);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_uint_eq(pd_events_count(evs), 1);
	pd_events_free(evs);
}
END_TEST

START_TEST(test_names)
{
	enum pd_event_type t;

	for (unsigned i = 0; i < PD_EVENT_TYPE_COUNT_; i++) {
		ck_assert_int_eq(pd_event_type_parse(pd_event_type_name(i), &t),
		    0);
		ck_assert_int_eq(t, (int)i);
	}
	ck_assert_str_eq(pd_event_type_name(PD_EVENT_PEER_IDENTIFIED),
	    "peer.identified");
	ck_assert_int_eq(pd_event_type_parse("peer.nope", &t), PD_ERR_INVAL);
	ck_assert_str_eq(pd_event_type_name(99), "unknown");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_events");
	TCase *tc = tcase_create("events");

	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_unsubscribe_during_dispatch);
	tcase_add_test(tc, test_subscribe_during_dispatch);
	tcase_add_test(tc, test_nested_emit);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
