/*
 * check_manager.c - two managers on one event_base in one process: connect,
 * events, the store learning from identify and ping, persistence, custom
 * discoveries, limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "core/error.h"
#include "net/conn.h"
#include "peer/manager.h"

#include "helpers.h"

struct node {
	struct pd_manager *m;
	int events[PD_EVENT_TYPE_COUNT_];
	char last_agent[64];
	char dir[64];
};

struct world {
	struct event_base *base;
	struct node a, b;
	int connect_done, connect_result;
	struct pd_peerid connected_id;
};

static void
node_event(const struct pd_event *ev, void *arg)
{
	struct node *n = arg;

	n->events[ev->type]++;
	if (ev->type == PD_EVENT_PEER_IDENTIFIED && ev->agent != NULL)
		snprintf(n->last_agent, sizeof(n->last_agent), "%s", ev->agent);
}

static void
node_init(struct world *w, struct node *n, int seed, const char *dir,
    unsigned max_peers)
{
	struct pd_manager_config *cfg = calloc(1, sizeof(*cfg));
	char path[128];

	memset(n, 0, sizeof(*n));
	ck_assert_ptr_nonnull(cfg);
	pd_test_manager_config(cfg, seed, "peerdisc-test/1");
	cfg->max_peers = max_peers;
	cfg->min_peers = 0;
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/peers.json", dir);
	cfg->store_file = path;
	cfg->save_interval_ms = 60000;
	n->m = pd_manager_new(w->base, cfg);
	ck_assert_ptr_nonnull(n->m);
	free(cfg);
	ck_assert_ptr_nonnull(pd_manager_on_event(n->m, PD_EVENT_MASK_ALL,
	    node_event, n));
	pd_test_manager_start(n->m);
}

static void
connect_cb(int result, const struct pd_peerid *id, const char *why, void *arg)
{
	struct world *w = arg;

	(void)why;
	w->connect_result = result;
	if (id != NULL)
		w->connected_id = *id;
	w->connect_done++;
}

static char *
mkdtemp_dir(void)
{
	char *d = strdup("/tmp/check_manager.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

START_TEST(test_connect_events_store)
{
	struct world w;
	struct pd_multiaddr addr;
	char *da = mkdtemp_dir(), *db = mkdtemp_dir();
	struct pd_peer *p;

	memset(&w, 0, sizeof(w));
	w.base = event_base_new();
	node_init(&w, &w.a, 1, da, 10);
	node_init(&w, &w.b, 2, db, 10);
	pd_test_listen_addr(w.a.m, &addr);
	ck_assert_int_eq(pd_manager_connect(w.b.m, NULL, &addr, connect_cb,
	    &w), 0);
	ck_assert_int_eq(w.connect_done, 0);	/* never synchronous */
	pd_test_run_until(w.base, &w.connect_done, 1, 5000);
	ck_assert_int_eq(w.connect_result, 0);
	ck_assert(pd_peerid_equal(&w.connected_id, pd_manager_peer_id(w.a.m)));
	pd_test_run_until(w.base, &w.b.events[PD_EVENT_PEER_IDENTIFIED], 1,
	    5000);
	pd_test_run_until(w.base, &w.a.events[PD_EVENT_PEER_IDENTIFIED], 1,
	    5000);
	ck_assert_int_eq(w.a.events[PD_EVENT_PEER_CONNECTED], 1);
	ck_assert_int_eq(w.b.events[PD_EVENT_PEER_CONNECTED], 1);
	ck_assert_str_eq(w.b.last_agent, "peerdisc-test/1");
	p = pd_store_get(pd_manager_store(w.b.m), pd_manager_peer_id(w.a.m));
	ck_assert_ptr_nonnull(p);
	ck_assert(p->connected);
	ck_assert_int_eq(p->direction, PD_STORE_DIR_OUTBOUND);
	ck_assert(pd_store_has_protocol(p, "/ipfs/ping/1.0.0"));
	ck_assert_uint_ge(p->naddrs, 1);
	ck_assert_uint_eq(pd_manager_conn_count(w.a.m, NULL, NULL), 1);
	/* Connecting again to a connected peer succeeds at once. */
	ck_assert_int_eq(pd_manager_connect(w.b.m, pd_manager_peer_id(w.a.m),
	    NULL, connect_cb, &w), 0);
	pd_test_run_until(w.base, &w.connect_done, 2, 2000);
	ck_assert_int_eq(w.connect_result, 0);
	/* Latency arrives from the first ping. */
	for (int i = 0; i < 100 && p->latency_us == 0; i++)
		pd_test_run_until(w.base, &w.connect_done, 99, 20);
	ck_assert_uint_gt(p->latency_us, 0);
	/* Disconnect: both sides see it. */
	ck_assert_int_eq(pd_manager_disconnect(w.b.m,
	    pd_manager_peer_id(w.a.m)), 0);
	pd_test_run_until(w.base, &w.a.events[PD_EVENT_PEER_DISCONNECTED], 1,
	    3000);
	ck_assert_int_eq(w.a.events[PD_EVENT_PEER_DISCONNECTED], 1);
	ck_assert_int_eq(w.b.events[PD_EVENT_PEER_DISCONNECTED], 1);
	ck_assert(!p->connected);
	ck_assert_int_eq(pd_manager_disconnect(w.b.m,
	    pd_manager_peer_id(w.a.m)), PD_ERR_PEER_NOT_FOUND);
	/* Reconnect by ID from the stored address. */
	ck_assert_int_eq(pd_manager_connect(w.b.m, pd_manager_peer_id(w.a.m),
	    NULL, connect_cb, &w), 0);
	pd_test_run_until(w.base, &w.connect_done, 3, 5000);
	ck_assert_int_eq(w.connect_result, 0);
	pd_manager_free(w.a.m);
	pd_manager_free(w.b.m);
	event_base_free(w.base);
	pd_test_rm_dir(da);
	pd_test_rm_dir(db);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_persistence)
{
	struct world w;
	struct pd_peerid id;
	struct pd_multiaddr ma;
	char *d = mkdtemp_dir();
	uint8_t seed[32];
	struct pd_privkey k;
	struct pd_pubkey pub;
	struct pd_peer *p;

	memset(&w, 0, sizeof(w));
	w.base = event_base_new();
	node_init(&w, &w.a, 3, d, 10);
	memset(seed, 9, sizeof(seed));
	pd_privkey_from_seed(seed, &k);
	pd_privkey_public(&k, &pub);
	pd_peerid_from_pubkey(&pub, &id);
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/10.1.2.3/tcp/4001", &ma,
	    NULL, 0), 0);
	ck_assert_int_eq(pd_manager_add_peer(w.a.m, &id, &ma, 1, 0,
	    PD_SOURCE_MANUAL), 0);
	ck_assert_int_eq(w.a.events[PD_EVENT_PEER_DISCOVERED], 1);
	ck_assert_int_eq(pd_manager_protect(w.a.m, &id, "app"), 0);
	/* Our own ID is refused. */
	ck_assert_int_eq(pd_manager_add_peer(w.a.m, pd_manager_peer_id(w.a.m),
	    &ma, 1, 0, PD_SOURCE_MANUAL), PD_ERR_INVAL);
	pd_manager_free(w.a.m);	/* saves at stop */
	node_init(&w, &w.a, 3, d, 10);
	p = pd_store_get(pd_manager_store(w.a.m), &id);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert(p->sources & PD_SOURCE_MANUAL);
	ck_assert(pd_store_is_protected(p));
	pd_manager_free(w.a.m);
	event_base_free(w.base);
	pd_test_rm_dir(d);
	free(d);
}
END_TEST

static int disc_started, disc_stopped;

static int
disc_start(void *arg, struct pd_manager *m)
{
	struct pd_peerid id;
	struct pd_pubkey pub;
	struct pd_privkey k;
	uint8_t seed[32];

	(void)arg;
	disc_started++;
	memset(seed, 7, sizeof(seed));
	pd_privkey_from_seed(seed, &k);
	pd_privkey_public(&k, &pub);
	pd_peerid_from_pubkey(&pub, &id);
	return pd_manager_add_peer(m, &id, NULL, 0, 0, PD_SOURCE_MDNS);
}

static void
disc_stop(void *arg)
{
	(void)arg;
	disc_stopped++;
}

static const struct pd_discovery_ops disc_ops = {
	.name = "custom",
	.start = disc_start,
	.stop = disc_stop,
};

START_TEST(test_custom_discovery_and_limit)
{
	struct world w;
	struct pd_multiaddr addr;
	char *da = mkdtemp_dir(), *db = mkdtemp_dir(), *dc = mkdtemp_dir();
	struct node c;

	memset(&w, 0, sizeof(w));
	w.base = event_base_new();
	node_init(&w, &w.a, 4, da, 10);
	ck_assert_int_eq(pd_manager_add_discovery(w.a.m, &disc_ops, NULL), 0);
	ck_assert_int_eq(disc_started, 1);
	ck_assert_int_eq(w.a.events[PD_EVENT_PEER_DISCOVERED], 1);
	/* B allows one connection: a second dial is refused. */
	node_init(&w, &w.b, 5, db, 1);
	node_init(&w, &c, 6, dc, 10);
	pd_test_listen_addr(w.a.m, &addr);
	ck_assert_int_eq(pd_manager_connect(w.b.m, NULL, &addr, connect_cb,
	    &w), 0);
	pd_test_run_until(w.base, &w.connect_done, 1, 5000);
	ck_assert_int_eq(w.connect_result, 0);
	pd_test_listen_addr(c.m, &addr);
	ck_assert_int_eq(pd_manager_connect(w.b.m, NULL, &addr, connect_cb,
	    &w), PD_ERR_PEER_LIMIT);
	/* Unknown peer without an address (A is under its limit). */
	ck_assert_int_eq(pd_manager_connect(c.m, pd_manager_peer_id(w.b.m),
	    NULL, connect_cb, &w), PD_ERR_PEER_NOT_FOUND);
	pd_manager_free(w.a.m);
	ck_assert_int_eq(disc_stopped, 1);
	pd_manager_free(w.b.m);
	pd_manager_free(c.m);
	event_base_free(w.base);
	pd_test_rm_dir(da);
	pd_test_rm_dir(db);
	pd_test_rm_dir(dc);
	free(da);
	free(db);
	free(dc);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_manager");
	TCase *tc = tcase_create("manager");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect_events_store);
	tcase_add_test(tc, test_persistence);
	tcase_add_test(tc, test_custom_discovery_and_limit);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
