/*
 * check_conn.c - two libp2p hosts in one process on loopback: dial,
 * upgrade (multistream, Noise, yamux), streams, identify, ping, pnet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/conn.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

#include "helpers.h"

#define ECHO_PROTO "/test/echo/1.0.0"
#define ECHO_SIZE (300 * 1024)

struct host {
	struct pd_net *net;
	struct pd_idsvc *idsvc;
	int ups, downs;
	struct pd_conn *conn;
	int identified, id_failed;
	char agent[64];
	int id_has_ping, id_has_record;
	size_t id_naddrs;
};

struct world {
	struct event_base *base;
	struct host a, b;
	int dial_result;
	int dial_done;
	char dial_why[PD_NET_WHY_MAX];
	struct pd_conn *dial_conn;
	/* echo client */
	struct pd_buf got;
	int eof, open_result, opened;
	uint8_t *sent;
	int ping_result, ping_done;
	uint64_t rtt_us;
};

static void
host_up(struct pd_conn *c, void *arg)
{
	struct host *h = arg;

	h->ups++;
	h->conn = c;
}

static void
host_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct host *h = arg;

	(void)err;
	(void)why;
	h->downs++;
	if (h->conn == c)
		h->conn = NULL;
}

static void
host_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	struct host *h = arg;

	(void)c;
	h->identified++;
	snprintf(h->agent, sizeof(h->agent), "%s",
	    id->agent_version ? id->agent_version : "");
	h->id_has_ping = pd_identify_has_protocol(id, PD_PING_PROTO);
	h->id_has_record = id->has_record;
	h->id_naddrs = id->naddrs;
}

static void
host_id_failed(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct host *h = arg;

	(void)c;
	(void)err;
	fprintf(stderr, "identify failed: %s\n", why);
	h->id_failed++;
}

/* Echo server: send back what arrives, FIN on EOF. */
static void
echo_data(struct pd_stream *s, const uint8_t *d, size_t n, void *arg)
{
	(void)arg;
	ck_assert_int_eq(pd_stream_write(s, d, n), (int)n);
}

static void
echo_eof(struct pd_stream *s, void *arg)
{
	(void)arg;
	pd_stream_release(s);
}

static void
echo_handler(struct pd_stream *s, void *arg)
{
	static const struct pd_stream_cbs cbs = {
		.on_data = echo_data,
		.on_eof = echo_eof,
	};

	(void)arg;
	ck_assert_str_eq(pd_stream_protocol(s), ECHO_PROTO);
	pd_stream_set_cbs(s, &cbs, NULL);
}

static void
host_init(struct world *w, struct host *h, int seedbyte, const uint8_t *psk)
{
	struct pd_privkey key;
	uint8_t seed[32];
	struct pd_net_config cfg = { .upgrade_timeout_ms = 5000, .psk = psk };
	struct pd_net_cbs cbs = { .on_conn_up = host_up,
	    .on_conn_down = host_down };
	struct pd_idsvc_cbs icbs = { .on_identified = host_identified,
	    .on_failed = host_id_failed };

	memset(h, 0, sizeof(*h));
	memset(seed, seedbyte, sizeof(seed));
	ck_assert_int_eq(pd_privkey_from_seed(seed, &key), 0);
	h->net = pd_net_new(w->base, &key, &cfg, &cbs, h);
	ck_assert_ptr_nonnull(h->net);
	pd_privkey_clear(&key);
	h->idsvc = pd_idsvc_new(h->net, "peerdisc-test/1", &icbs, h);
	ck_assert_ptr_nonnull(h->idsvc);
	ck_assert_int_eq(pd_ping_register(h->net), 0);
	ck_assert_int_eq(pd_net_set_handler(h->net, ECHO_PROTO, echo_handler,
	    NULL), 0);
}

static void
world_init(struct world *w, const uint8_t *psk_a, const uint8_t *psk_b)
{
	memset(w, 0, sizeof(*w));
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	host_init(w, &w->a, 1, psk_a);
	host_init(w, &w->b, 2, psk_b);
	pd_buf_init(&w->got);
}

static void
world_free(struct world *w)
{
	pd_idsvc_free(w->a.idsvc);
	pd_idsvc_free(w->b.idsvc);
	pd_net_free(w->a.net);
	pd_net_free(w->b.net);
	pd_buf_free(&w->got);
	free(w->sent);
	event_base_free(w->base);
}

static void
dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	struct world *w = arg;

	w->dial_result = result;
	w->dial_conn = c;
	snprintf(w->dial_why, sizeof(w->dial_why), "%s", why);
	w->dial_done = 1;
}

static void
listen_and_dial(struct world *w, const struct pd_peerid *expect)
{
	struct pd_multiaddr any, bound;
	char why[128];
	int err = 0;

	ck_assert_int_eq(pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0", &any, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(pd_net_listen(w->a.net, &any, &bound, why,
	    sizeof(why)), 0);
	ck_assert_ptr_nonnull(pd_net_dial(w->b.net, &bound, expect, dial_cb, w,
	    &err));
	ck_assert_int_eq(w->dial_done, 0);
	pd_test_run_until(w->base, &w->dial_done, 1, 5000);
	ck_assert_int_eq(w->dial_done, 1);
}

START_TEST(test_dial_upgrade)
{
	struct world w;

	world_init(&w, NULL, NULL);
	listen_and_dial(&w, pd_net_peer_id(w.a.net));
	ck_assert_msg(w.dial_result == 0, "dial: %s", w.dial_why);
	ck_assert_ptr_nonnull(w.dial_conn);
	ck_assert(pd_peerid_equal(pd_conn_peer(w.dial_conn),
	    pd_net_peer_id(w.a.net)));
	ck_assert_int_eq(pd_conn_direction(w.dial_conn), PD_CONN_OUTBOUND);
	pd_test_run_until(w.base, &w.a.ups, 1, 2000);
	ck_assert_int_eq(w.a.ups, 1);
	ck_assert_int_eq(w.b.ups, 1);
	ck_assert(pd_peerid_equal(pd_conn_peer(w.a.conn),
	    pd_net_peer_id(w.b.net)));
	ck_assert_int_eq(pd_conn_direction(w.a.conn), PD_CONN_INBOUND);
	ck_assert_uint_eq(pd_net_conn_count(w.a.net), 1);
	/* Closing one end is seen by the other. */
	pd_conn_close(w.dial_conn);
	pd_test_run_until(w.base, &w.a.downs, 1, 2000);
	ck_assert_int_eq(w.a.downs, 1);
	ck_assert_int_eq(w.b.downs, 1);
	ck_assert_uint_eq(pd_net_conn_count(w.a.net), 0);
	world_free(&w);
}
END_TEST

START_TEST(test_dial_wrong_peer)
{
	struct world w;
	struct pd_peerid other;

	world_init(&w, NULL, NULL);
	other = *pd_net_peer_id(w.b.net);	/* not A's ID */
	listen_and_dial(&w, &other);
	ck_assert_int_eq(w.dial_result, PD_ERR_BAD_KEY);
	ck_assert_ptr_null(w.dial_conn);
	ck_assert_int_eq(w.b.ups, 0);
	world_free(&w);
}
END_TEST

static void
client_data(struct pd_stream *s, const uint8_t *d, size_t n, void *arg)
{
	struct world *w = arg;

	(void)s;
	ck_assert_int_eq(pd_buf_append(&w->got, d, n), 0);
}

static void
client_eof(struct pd_stream *s, void *arg)
{
	struct world *w = arg;

	w->eof = 1;
	pd_stream_release(s);
}

static void
client_open(int result, struct pd_stream *s, void *arg)
{
	struct world *w = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = client_data,
		.on_eof = client_eof,
	};
	size_t off = 0;

	w->opened = 1;
	w->open_result = result;
	if (result < 0)
		return;
	pd_stream_set_cbs(s, &cbs, w);
	while (off < ECHO_SIZE) {
		int n = pd_stream_write(s, w->sent + off, ECHO_SIZE - off);

		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	ck_assert_int_eq(pd_stream_close_write(s), 0);
}

START_TEST(test_stream_echo)
{
	struct world w;

	world_init(&w, NULL, NULL);
	w.sent = malloc(ECHO_SIZE);
	for (size_t i = 0; i < ECHO_SIZE; i++)
		w.sent[i] = (uint8_t)(i * 7 + i / 251);
	listen_and_dial(&w, NULL);
	ck_assert_int_eq(w.dial_result, 0);
	ck_assert_int_eq(pd_conn_open_stream(w.dial_conn, ECHO_PROTO,
	    client_open, &w), 0);
	ck_assert_int_eq(w.opened, 0);	/* never synchronous */
	pd_test_run_until(w.base, &w.eof, 1, 5000);
	ck_assert_int_eq(w.open_result, 0);
	ck_assert_int_eq(w.eof, 1);
	ck_assert_uint_eq(w.got.len, ECHO_SIZE);
	ck_assert(memcmp(w.got.data, w.sent, ECHO_SIZE) == 0);
	world_free(&w);
}
END_TEST

START_TEST(test_stream_unsupported)
{
	struct world w;

	world_init(&w, NULL, NULL);
	listen_and_dial(&w, NULL);
	ck_assert_int_eq(pd_conn_open_stream(w.dial_conn, "/nobody/1.0.0",
	    client_open, &w), 0);
	pd_test_run_until(w.base, &w.opened, 1, 3000);
	ck_assert_int_eq(w.open_result, PD_ERR_UNSUPPORTED);
	/* The connection survives a refused protocol. */
	ck_assert_uint_eq(pd_net_conn_count(w.b.net), 1);
	world_free(&w);
}
END_TEST

START_TEST(test_identify)
{
	struct world w;

	world_init(&w, NULL, NULL);
	listen_and_dial(&w, NULL);
	ck_assert_int_eq(pd_idsvc_identify(w.b.idsvc, w.dial_conn), 0);
	pd_test_run_until(w.base, &w.b.identified, 1, 3000);
	ck_assert_int_eq(w.b.identified, 1);
	ck_assert_int_eq(w.b.id_failed, 0);
	ck_assert_str_eq(w.b.agent, "peerdisc-test/1");
	ck_assert(w.b.id_has_ping);
	ck_assert(w.b.id_has_record);
	ck_assert_uint_eq(w.b.id_naddrs, 1);
	world_free(&w);
}
END_TEST

static void
ping_cb(int result, uint64_t rtt_us, void *arg)
{
	struct world *w = arg;

	w->ping_result = result;
	w->rtt_us = rtt_us;
	w->ping_done = 1;
}

START_TEST(test_ping)
{
	struct world w;
	int err = 0;

	world_init(&w, NULL, NULL);
	listen_and_dial(&w, NULL);
	ck_assert_ptr_nonnull(pd_ping_start(w.dial_conn, ping_cb, &w, &err));
	pd_test_run_until(w.base, &w.ping_done, 1, 3000);
	ck_assert_int_eq(w.ping_result, 0);
	ck_assert_uint_gt(w.rtt_us, 0);
	ck_assert_uint_lt(w.rtt_us, 3000000);
	world_free(&w);
}
END_TEST

START_TEST(test_pnet)
{
	struct world w;
	uint8_t psk[32], other[32];

	memset(psk, 0x42, sizeof(psk));
	memset(other, 0x43, sizeof(other));
	world_init(&w, psk, psk);
	listen_and_dial(&w, NULL);
	ck_assert_msg(w.dial_result == 0, "dial: %s", w.dial_why);
	world_free(&w);
	/* Different keys: the upgrade fails, nothing comes up. */
	world_init(&w, psk, other);
	listen_and_dial(&w, NULL);
	ck_assert_int_lt(w.dial_result, 0);
	ck_assert_int_eq(w.a.ups + w.b.ups, 0);
	world_free(&w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_conn");
	TCase *tc = tcase_create("conn");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_dial_upgrade);
	tcase_add_test(tc, test_dial_wrong_peer);
	tcase_add_test(tc, test_stream_echo);
	tcase_add_test(tc, test_stream_unsupported);
	tcase_add_test(tc, test_identify);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_pnet);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
