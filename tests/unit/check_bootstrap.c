/*
 * check_bootstrap.c - bootstrap discovery over real sockets on loopback:
 * a tiny DNS server (libevent's evdns server port on 127.0.0.1, answering
 * A / AAAA / TXT from a table, NXDOMAIN otherwise) and peerdisc managers
 * on one event_base.  Covers /dns4, nested /dnsaddr (two levels) with
 * peer-ID filtering, a failing name (backing-off, then failed once the
 * node has a connection), protection and its grace period, a new round
 * when the last connection drops, and live reload of the peer list.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>

#include "core/error.h"
#include "discovery/bootstrap.h"
#include "net/conn.h"
#include "peer/manager.h"

#include "helpers.h"

#define ZONE_MAX 16

struct zone_row {
	char name[128];
	int type;			/* EVDNS_TYPE_A / AAAA / TXT */
	char value[512];		/* dotted IP or TXT text */
};

struct world {
	struct event_base *base;
	struct evdns_server_port *port;
	evutil_socket_t fd;
	char ns[64];
	struct zone_row zone[ZONE_MAX];
	int nzone;
	int queries;
	struct pd_manager *a, *b, *c;
	char dir[3][64];
	struct pd_bootstrap *boot, *boot2;
	char peer_a[PD_PEERID_TEXT_MAX], peer_c[PD_PEERID_TEXT_MAX];
	char wrong[PD_PEERID_TEXT_MAX];
	int port_a;
	int connects, connect_result;
};

static void
connect_cb(int result, const struct pd_peerid *id, const char *why, void *arg)
{
	struct world *w = arg;

	(void)id;
	(void)why;
	w->connect_result = result;
	w->connects++;
}

static void
zone_add(struct world *w, const char *name, int type, const char *value)
{
	struct zone_row *r = &w->zone[w->nzone++];

	ck_assert_int_le(w->nzone, ZONE_MAX);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	snprintf(r->value, sizeof(r->value), "%s", value);
}

static void
dns_server_cb(struct evdns_server_request *req, void *arg)
{
	struct world *w = arg;
	struct evdns_server_question *q;
	int known = 0, answered = 0;

	w->queries++;
	if (req->nquestions != 1) {
		evdns_server_request_respond(req, DNS_ERR_FORMAT);
		return;
	}
	q = req->questions[0];
	for (int i = 0; i < w->nzone; i++) {
		struct zone_row *r = &w->zone[i];

		if (strcasecmp(r->name, q->name) != 0)
			continue;
		known = 1;
		if (r->type != q->type)
			continue;
		answered++;
		if (r->type == EVDNS_TYPE_A) {
			struct in_addr a;

			inet_pton(AF_INET, r->value, &a);
			evdns_server_request_add_a_reply(req, q->name, 1, &a,
			    60);
		} else if (r->type == EVDNS_TYPE_AAAA) {
			struct in6_addr a;

			inet_pton(AF_INET6, r->value, &a);
			evdns_server_request_add_aaaa_reply(req, q->name, 1,
			    &a, 60);
		} else {
			char data[520];
			size_t l = strlen(r->value);

			ck_assert_uint_lt(l, 256);
			data[0] = (char)l;
			memcpy(data + 1, r->value, l);
			evdns_server_request_add_reply(req,
			    EVDNS_ANSWER_SECTION, q->name, EVDNS_TYPE_TXT,
			    EVDNS_CLASS_INET, 60, (int)l + 1, 0, data);
		}
	}
	(void)answered;
	evdns_server_request_respond(req, known ? DNS_ERR_NONE :
	    DNS_ERR_NOTEXIST);
}

static void
dns_server_start(struct world *w)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	w->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(w->fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(w->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(w->fd, (struct sockaddr *)&sin, &len), 0);
	evutil_make_socket_nonblocking(w->fd);
	w->port = evdns_add_server_port_with_base(w->base, w->fd, 0,
	    dns_server_cb, w);
	ck_assert_ptr_nonnull(w->port);
	snprintf(w->ns, sizeof(w->ns), "127.0.0.1:%u", ntohs(sin.sin_port));
}

static struct pd_manager *
node_new(struct world *w, int seed, int idx)
{
	struct pd_manager_config *cfg = calloc(1, sizeof(*cfg));
	struct pd_manager *m;

	snprintf(w->dir[idx], sizeof(w->dir[idx]), "/tmp/check_boot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(w->dir[idx]));
	ck_assert_ptr_nonnull(cfg);
	pd_test_manager_config(cfg, seed, "peerdisc-test/1");
	cfg->connection_timeout_ms = 3000;
	cfg->max_peers = 10;
	cfg->store_file = NULL;
	cfg->save_interval_ms = 60000;
	m = pd_manager_new(w->base, cfg);
	free(cfg);
	pd_test_manager_start(m);
	return m;
}

static void
id_of_seed(int seed, char *out, size_t outlen)
{
	struct pd_privkey k;
	struct pd_pubkey pub;
	struct pd_peerid id;
	uint8_t s[32];

	memset(s, seed, sizeof(s));
	ck_assert_int_eq(pd_privkey_from_seed(s, &k), 0);
	pd_privkey_public(&k, &pub);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
	ck_assert_int_gt(pd_peerid_format(&id, out, outlen), 0);
}

static void
world_init(struct world *w)
{
	struct pd_multiaddr la;
	struct pd_multiaddr_comp c;

	memset(w, 0, sizeof(*w));
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	dns_server_start(w);
	w->a = node_new(w, 31, 0);
	w->b = node_new(w, 32, 1);
	ck_assert_int_ge(pd_peerid_format(pd_manager_peer_id(w->a), w->peer_a,
	    sizeof(w->peer_a)), 0);
	id_of_seed(33, w->peer_c, sizeof(w->peer_c));
	id_of_seed(34, w->wrong, sizeof(w->wrong));
	pd_test_listen_addr(w->a, &la);
	ck_assert_int_eq(pd_multiaddr_find(&la, PD_MULTIADDR_TCP, &c), 0);
	w->port_a = c.value[0] << 8 | c.value[1];
}

static void
world_free(struct world *w)
{
	pd_manager_free(w->a);
	pd_manager_free(w->b);
	pd_manager_free(w->c);
	pd_bootstrap_free(w->boot);
	pd_bootstrap_free(w->boot2);
	/* evdns lookups still out end on the next turns. */
	for (int i = 0; i < 3; i++)
		event_base_loop(w->base, EVLOOP_NONBLOCK);
	evdns_close_server_port(w->port);
	evutil_closesocket(w->fd);
	event_base_free(w->base);
	for (int i = 0; i < 3; i++)
		if (w->dir[i][0] != '\0')
			pd_test_rm_dir(w->dir[i]);
}

static struct pd_bootstrap_peer_info info[PD_BOOTSTRAP_MAX_PEERS];

/* Run until peer i of bt is in state (or any of two), up to ms. */
static int
wait_state(struct world *w, struct pd_bootstrap *bt, size_t i,
    const char *state, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		ck_assert_uint_gt(pd_bootstrap_peers(bt, info,
		    PD_BOOTSTRAP_MAX_PEERS), i);
		if (strcmp(info[i].state, state) == 0)
			return 1;
		pd_test_run_ms(w->base, 10);
	}
	return 0;
}

static struct pd_bootstrap *
boot_new(struct world *w, int64_t base_ms, int64_t protect_ms)
{
	struct pd_bootstrap_config cfg;
	struct pd_bootstrap *bt = NULL;
	char why[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.nameserver = w->ns;
	cfg.backoff_base_ms = base_ms;
	cfg.backoff_max_ms = base_ms * 4;
	cfg.protect_ms = protect_ms;
	cfg.dns_timeout_ms = 1000;
	ck_assert_msg(pd_bootstrap_new(w->base, &cfg, &bt, why,
	    sizeof(why)) == 0, "%s", why);
	return bt;
}

static void
set_peers(struct pd_bootstrap *bt, const char *const *addrs, size_t n)
{
	char why[256];

	ck_assert_msg(pd_bootstrap_set_peers(bt, addrs, n, why,
	    sizeof(why)) == 0, "%s", why);
}

static bool
is_protected(struct pd_manager *m, struct pd_manager *of)
{
	struct pd_peer *p = pd_store_get(pd_manager_store(m),
	    pd_manager_peer_id(of));

	return p != NULL && pd_store_is_protected(p);
}

START_TEST(test_dns4_connect_protect_grace)
{
	struct world w;
	char addr[256], want[256];
	const char *peers[1] = { addr };
	struct pd_peer *p;

	world_init(&w);
	zone_add(&w, "boot-a.test", EVDNS_TYPE_A, "127.0.0.1");
	snprintf(addr, sizeof(addr), "/dns4/boot-a.test/tcp/%d/p2p/%s",
	    w.port_a, w.peer_a);
	w.boot = boot_new(&w, 100, 400);
	set_peers(w.boot, peers, 1);
	ck_assert_uint_eq(pd_bootstrap_peers(w.boot, info, 1), 1);
	ck_assert_str_eq(info[0].state, "idle");
	ck_assert(info[0].has_id);
	ck_assert_str_eq(info[0].addr, addr);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	ck_assert(wait_state(&w, w.boot, 0, "connected", 4000));
	ck_assert(info[0].connected);
	ck_assert_str_eq(info[0].last_error, "");
	ck_assert_uint_eq(info[0].nresolved, 1);
	snprintf(want, sizeof(want), "/ip4/127.0.0.1/tcp/%d/p2p/%s",
	    w.port_a, w.peer_a);
	{
		char text[PD_MULTIADDR_MAX_TEXT + 1];

		pd_multiaddr_format(&info[0].resolved[0], text, sizeof(text));
		ck_assert_str_eq(text, want);
	}
	ck_assert_uint_eq(pd_manager_conn_count(w.b, NULL, NULL), 1);
	ck_assert_uint_ge(w.queries, 1);
	p = pd_store_get(pd_manager_store(w.b), pd_manager_peer_id(w.a));
	ck_assert_ptr_nonnull(p);
	ck_assert(p->sources & PD_SOURCE_BOOTSTRAP);
	ck_assert(is_protected(w.b, w.a));
	{
		size_t conn;

		ck_assert_uint_eq(pd_bootstrap_count(w.boot, &conn), 1);
		ck_assert_uint_eq(conn, 1);
	}
	/* The grace period ends: unprotected, still connected. */
	pd_test_run_ms(w.base, 600);
	ck_assert(!is_protected(w.b, w.a));
	ck_assert_uint_eq(pd_manager_conn_count(w.b, NULL, NULL), 1);
	world_free(&w);
}
END_TEST

START_TEST(test_dnsaddr_nested_filter)
{
	struct world w;
	char top1[256], top2[256], mid1[256], mid2[256], mid3[256];
	char addr[256];
	const char *peers[1] = { addr };
	char text[PD_MULTIADDR_MAX_TEXT + 1];

	world_init(&w);
	/* _dnsaddr.top.test -> /dnsaddr/mid.test (A) and another peer's */
	snprintf(top1, sizeof(top1), "dnsaddr=/dnsaddr/mid.test/tcp/%d/p2p/%s",
	    w.port_a, w.peer_a);
	snprintf(top2, sizeof(top2), "dnsaddr=/dnsaddr/other.test/p2p/%s",
	    w.peer_c);
	/* _dnsaddr.mid.test -> /dns4 name, a wrong ID, a wrong port */
	snprintf(mid1, sizeof(mid1), "dnsaddr=/dns4/boot-a.test/tcp/%d/p2p/%s",
	    w.port_a, w.peer_a);
	snprintf(mid2, sizeof(mid2), "dnsaddr=/ip4/127.0.0.1/tcp/%d/p2p/%s",
	    w.port_a, w.wrong);
	snprintf(mid3, sizeof(mid3), "dnsaddr=/ip4/127.0.0.2/tcp/%d/p2p/%s",
	    w.port_a == 1 ? 2 : 1, w.peer_a);
	zone_add(&w, "_dnsaddr.top.test", EVDNS_TYPE_TXT, top1);
	zone_add(&w, "_dnsaddr.top.test", EVDNS_TYPE_TXT, top2);
	zone_add(&w, "_dnsaddr.top.test", EVDNS_TYPE_TXT, "v=other stuff");
	zone_add(&w, "_dnsaddr.mid.test", EVDNS_TYPE_TXT, mid1);
	zone_add(&w, "_dnsaddr.mid.test", EVDNS_TYPE_TXT, mid2);
	zone_add(&w, "_dnsaddr.mid.test", EVDNS_TYPE_TXT, mid3);
	zone_add(&w, "boot-a.test", EVDNS_TYPE_A, "127.0.0.1");
	snprintf(addr, sizeof(addr), "/dnsaddr/top.test/p2p/%s", w.peer_a);
	w.boot = boot_new(&w, 100, 0);
	set_peers(w.boot, peers, 1);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	ck_assert(wait_state(&w, w.boot, 0, "connected", 4000));
	/* other.test was never asked (filtered by /p2p/), mid.test was. */
	ck_assert_int_eq(w.queries, 3);		/* top, mid TXT; boot-a A */
	ck_assert_uint_eq(info[0].nresolved, 1);
	pd_multiaddr_format(&info[0].resolved[0], text, sizeof(text));
	snprintf(addr, sizeof(addr), "/ip4/127.0.0.1/tcp/%d/p2p/%s", w.port_a,
	    w.peer_a);
	ck_assert_str_eq(text, addr);
	ck_assert_uint_eq(pd_manager_conn_count(w.a, NULL, NULL), 1);
	ck_assert(is_protected(w.b, w.a));
	world_free(&w);
}
END_TEST

START_TEST(test_failing_name_backoff_then_failed)
{
	struct world w;
	const char *bad[1] = { NULL };
	char badtext[256];
	int64_t first;

	world_init(&w);
	snprintf(badtext, sizeof(badtext), "/dns4/nowhere.test/tcp/1/p2p/%s",
	    w.wrong);
	bad[0] = badtext;
	w.boot = boot_new(&w, 200, 0);
	set_peers(w.boot, bad, 1);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	/* B has no connection: the failure backs off. */
	ck_assert(wait_state(&w, w.boot, 0, "backing-off", 3000));
	ck_assert_msg(strstr(info[0].last_error, "nowhere.test") != NULL,
	    "%s", info[0].last_error);
	ck_assert_uint_ge(info[0].failures, 1);
	ck_assert_int_gt(info[0].next_attempt_ms, 0);
	first = info[0].next_attempt_ms;
	ck_assert(!info[0].connected);
	/* It retries: the failure count grows, next attempt moves on. */
	for (int t = 0; t < 3000 && info[0].failures < 2; t += 10) {
		pd_test_run_ms(w.base, 10);
		pd_bootstrap_peers(w.boot, info, 1);
	}
	ck_assert_uint_ge(info[0].failures, 2);
	ck_assert_int_gt(info[0].next_attempt_ms, first);
	/* Now B is connected elsewhere: the next failure waits ("failed"). */
	{
		struct pd_multiaddr la;

		pd_test_listen_addr(w.a, &la);
		ck_assert_int_eq(pd_manager_connect(w.b, NULL, &la, connect_cb,
		    &w), 0);
		for (int t = 0; t < 3000 && w.connects == 0; t += 10)
			pd_test_run_ms(w.base, 10);
		ck_assert_int_eq(w.connect_result, 0);
	}
	ck_assert(wait_state(&w, w.boot, 0, "failed", 3000));
	ck_assert_int_eq(info[0].next_attempt_ms, 0);
	ck_assert_msg(strstr(info[0].last_error, "nowhere.test") != NULL,
	    "%s", info[0].last_error);
	/* And it stays there (no retry timer). */
	pd_test_run_ms(w.base, 600);
	pd_bootstrap_peers(w.boot, info, 1);
	ck_assert_str_eq(info[0].state, "failed");
	/* A manual run tries again. */
	ck_assert_int_eq(pd_bootstrap_run(w.boot), 0);
	pd_bootstrap_peers(w.boot, info, 1);
	ck_assert_str_eq(info[0].state, "resolving");
	ck_assert(wait_state(&w, w.boot, 0, "failed", 3000));
	world_free(&w);
}
END_TEST

START_TEST(test_rerun_when_alone)
{
	struct world w;
	char addr[256];
	const char *peers[1] = { addr };

	world_init(&w);
	snprintf(addr, sizeof(addr), "/ip4/127.0.0.1/tcp/%d/p2p/%s", w.port_a,
	    w.peer_a);
	w.boot = boot_new(&w, 100, 0);
	set_peers(w.boot, peers, 1);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	ck_assert(wait_state(&w, w.boot, 0, "connected", 4000));
	ck_assert_int_eq(w.queries, 0);		/* an IP address: no DNS */
	/* B loses its only connection: a new round, after a back-off. */
	ck_assert_int_eq(pd_manager_disconnect(w.b, pd_manager_peer_id(w.a)),
	    0);
	ck_assert(wait_state(&w, w.boot, 0, "backing-off", 2000));
	ck_assert_int_gt(info[0].next_attempt_ms, 0);
	ck_assert_msg(strstr(info[0].last_error, "disconnected") != NULL,
	    "%s", info[0].last_error);
	ck_assert(wait_state(&w, w.boot, 0, "connected", 4000));
	ck_assert_uint_eq(pd_manager_conn_count(w.b, NULL, NULL), 1);
	world_free(&w);
}
END_TEST

START_TEST(test_reload_keeps_and_drops)
{
	struct world w;
	char a1[256], c1[256];
	const char *both[2] = { a1, c1 }, *only_c[1] = { c1 };
	const char *bad[2] = { a1, "/ip4/1.2.3.4/udp" };
	const char *badkind[1] = { "/unix/tmp/x.sock" };
	char why[256];

	world_init(&w);
	w.c = node_new(&w, 33, 2);
	zone_add(&w, "boot-a.test", EVDNS_TYPE_A, "127.0.0.1");
	{
		struct pd_multiaddr la;
		struct pd_multiaddr_comp cc;

		pd_test_listen_addr(w.c, &la);
		ck_assert_int_eq(pd_multiaddr_find(&la, PD_MULTIADDR_TCP, &cc),
		    0);
		snprintf(c1, sizeof(c1), "/ip4/127.0.0.1/tcp/%d/p2p/%s",
		    cc.value[0] << 8 | cc.value[1], w.peer_c);
	}
	snprintf(a1, sizeof(a1), "/dns4/boot-a.test/tcp/%d/p2p/%s", w.port_a,
	    w.peer_a);
	w.boot = boot_new(&w, 100, 60000);
	set_peers(w.boot, both, 2);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	ck_assert(wait_state(&w, w.boot, 0, "connected", 4000));
	ck_assert(wait_state(&w, w.boot, 1, "connected", 4000));
	ck_assert(is_protected(w.b, w.a));
	ck_assert(is_protected(w.b, w.c));
	/* A bad list changes nothing. */
	ck_assert_int_eq(pd_bootstrap_set_peers(w.boot, bad, 2, why,
	    sizeof(why)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_bootstrap_set_peers(w.boot, badkind, 1, why,
	    sizeof(why)), PD_ERR_INVAL);
	ck_assert_msg(strstr(why, "/unix") != NULL, "%s", why);
	ck_assert_uint_eq(pd_bootstrap_peers(w.boot, info, 2), 2);
	/* Drop A, keep C (its state too: still connected, no new dial). */
	set_peers(w.boot, only_c, 1);
	ck_assert_uint_eq(pd_bootstrap_peers(w.boot, info, 2), 1);
	ck_assert_str_eq(info[0].state, "connected");
	ck_assert_str_eq(info[0].addr, c1);
	ck_assert(!is_protected(w.b, w.a));
	ck_assert(is_protected(w.b, w.c));
	/* Duplicates merge; an empty list stops everything. */
	{
		const char *dup[3] = { c1, c1, a1 };

		set_peers(w.boot, dup, 3);
		ck_assert_uint_eq(pd_bootstrap_peers(w.boot, info, 3), 2);
		ck_assert_str_eq(info[0].state, "connected");
		ck_assert(wait_state(&w, w.boot, 1, "connected", 4000));
	}
	set_peers(w.boot, NULL, 0);
	ck_assert_uint_eq(pd_bootstrap_peers(w.boot, info, 3), 0);
	ck_assert(!is_protected(w.b, w.c));
	ck_assert(!is_protected(w.b, w.a));
	world_free(&w);
}
END_TEST

START_TEST(test_dns6_and_dns)
{
	struct world w;
	char six[256], both[256], text[PD_MULTIADDR_MAX_TEXT + 1];
	const char *peers[2] = { six, both };

	world_init(&w);
	zone_add(&w, "six.test", EVDNS_TYPE_AAAA, "::1");
	zone_add(&w, "six.test", EVDNS_TYPE_A, "127.0.0.9");	/* not asked */
	zone_add(&w, "both.test", EVDNS_TYPE_A, "127.0.0.1");
	zone_add(&w, "both.test", EVDNS_TYPE_AAAA, "::1");
	/* Nothing listens on ::1 port 1: resolved, then the dial fails. */
	snprintf(six, sizeof(six), "/dns6/six.test/tcp/1/p2p/%s", w.wrong);
	snprintf(both, sizeof(both), "/dns/both.test/tcp/%d/p2p/%s", w.port_a,
	    w.peer_a);
	w.boot = boot_new(&w, 5000, 0);
	set_peers(w.boot, peers, 2);
	ck_assert_int_eq(pd_manager_add_discovery(w.b, pd_bootstrap_ops(),
	    w.boot), 0);
	ck_assert(wait_state(&w, w.boot, 1, "connected", 4000));
	ck_assert_uint_eq(info[1].nresolved, 2);	/* A and AAAA */
	for (int t = 0; t < 4000 && strcmp(info[0].state, "failed") != 0 &&
	    strcmp(info[0].state, "backing-off") != 0; t += 10) {
		pd_test_run_ms(w.base, 10);
		pd_bootstrap_peers(w.boot, info, 2);
	}
	ck_assert_uint_eq(info[0].nresolved, 1);
	pd_multiaddr_format(&info[0].resolved[0], text, sizeof(text));
	ck_assert(strncmp(text, "/ip6/::1/tcp/1/p2p/", 19) == 0);
	ck_assert_msg(strncmp(info[0].last_error, "connect: ", 9) == 0, "%s",
	    info[0].last_error);
	world_free(&w);
}
END_TEST

START_TEST(test_config_errors)
{
	struct event_base *base = event_base_new();
	struct pd_bootstrap_config cfg;
	struct pd_bootstrap *bt = NULL;
	char why[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.nameserver = "not-an-ip";
	ck_assert_int_eq(pd_bootstrap_new(base, &cfg, &bt, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_null(bt);
	cfg.nameserver = "127.0.0.1";		/* port 53 by default */
	ck_assert_int_eq(pd_bootstrap_new(base, &cfg, &bt, why, sizeof(why)),
	    0);
	/* Not started: run is refused, set_peers works. */
	ck_assert_int_eq(pd_bootstrap_run(bt), PD_ERR_UNAVAILABLE);
	pd_bootstrap_free(bt);
	cfg.nameserver = "[::1]:5353";
	ck_assert_int_eq(pd_bootstrap_new(base, &cfg, &bt, why, sizeof(why)),
	    0);
	pd_bootstrap_free(bt);
	cfg.backoff_base_ms = -1;
	ck_assert_int_eq(pd_bootstrap_new(base, &cfg, &bt, why, sizeof(why)),
	    PD_ERR_INVAL);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_bootstrap");
	TCase *tc = tcase_create("bootstrap");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dns4_connect_protect_grace);
	tcase_add_test(tc, test_dnsaddr_nested_filter);
	tcase_add_test(tc, test_failing_name_backoff_then_failed);
	tcase_add_test(tc, test_rerun_when_alone);
	tcase_add_test(tc, test_reload_keeps_and_drops);
	tcase_add_test(tc, test_dns6_and_dns);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
