/*
 * helpers-net.c - test-only event loop and manager helpers for the unit
 * tests that run real nodes on one event_base (check_manager, check_kad_dht,
 * check_bootstrap, check_conn, check_tcp).  Kept apart from helpers.c
 * because it calls libevent directly, and only those tests link it.
 */
#include <string.h>

#include <event2/event.h>

#include "core/error.h"
#include "net/conn.h"
#include "peer/manager.h"

#include "helpers.h"

#define PD_TEST_SLICE_MS 10		/* pd_test_run_until step */

void
pd_test_run_ms(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

void
pd_test_run_until(struct event_base *base, const int *flag, int want, int ms)
{
	for (int i = 0; i < ms / PD_TEST_SLICE_MS && *flag < want; i++)
		pd_test_run_ms(base, PD_TEST_SLICE_MS);
}

void
pd_test_manager_config(struct pd_manager_config *cfg, int seed,
    const char *agent)
{
	uint8_t s[32];

	memset(s, seed, sizeof(s));
	ck_assert_int_eq(pd_privkey_from_seed(s, &cfg->key), 0);
	cfg->agent = agent;
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0",
	    &cfg->listen[0], NULL, 0), 0);
	cfg->nlisten = 1;
	cfg->connection_timeout_ms = 5000;
	cfg->store_max = 100;
}

void
pd_test_manager_start(struct pd_manager *m)
{
	char why[256];

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(pd_manager_start(m, why, sizeof(why)) == 0, "start: %s",
	    why);
}

void
pd_test_listen_addr(struct pd_manager *m, struct pd_multiaddr *ret)
{
	ck_assert_uint_eq(pd_net_listen_addrs(pd_manager_net(m), ret, 1), 1);
}
