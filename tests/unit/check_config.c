/*
 * check_config.c - unit tests for daemon/config.c, config-table.c and
 * paths.c: the table matches design.md's key list; defaults; every type
 * parsed and printed; every error collected with its line; continuation
 * lines, comments, BOM, CRLF; --print-config output re-parses to an
 * equal config (fixed files and seeded random configs, PD_TEST_SEED
 * reproduces a run); reload diffs; the directory rules; and the shipped
 * conf/peerdiscd.conf names every key once, at its default, under its
 * help line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/parse.h"
#include "crypto/peerid.h"
#include "daemon/config.h"
#include "daemon/paths.h"

#include "helpers.h"

#define PEER_A "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
#define PEER_B "12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8"

static uint64_t cfg_rng_state;

/* splitmix64 */
static uint64_t
cfg_rng(void)
{
	return pd_test_rng(&cfg_rng_state);
}

/* A non-root user outside systemd with every XDG variable set. */
static const struct paths_env cfg_env = {
	.xdg_state_home = "/home/u/.state",
	.xdg_runtime_dir = "/run/user/1000",
	.home = "/home/u",
	.euid = 1000,
};

/* Parse text; on failure print the errors (tests that expect errors use
 * cfg_parse_errors). */
static int
cfg_parse(const char *text, struct pd_config *cfg)
{
	struct pd_config_errors errs = { 0 };
	int r = config_parse_buffer("t.conf", text, strlen(text), &cfg_env,
	    cfg, &errs);

	if (r < 0)
		config_errors_print(stderr, &errs);
	config_errors_clear(&errs);
	return r;
}

/* Parse text that must fail; errs gets the messages. */
static void
cfg_parse_errors(const char *text, struct pd_config_errors *errs)
{
	struct pd_config cfg;

	ck_assert_int_eq(config_parse_buffer("t.conf", text, strlen(text),
	    &cfg_env, &cfg, errs), -1);
	config_clear(&cfg);
}

/* errs holds exactly want (NULL-terminated), in order. */
static void
cfg_expect(const struct pd_config_errors *errs, const char *const *want)
{
	size_t n = 0;

	while (want[n] != NULL)
		n++;
	for (size_t i = 0; i < errs->n && i < n; i++)
		ck_assert_msg(strcmp(errs->msgs[i], want[i]) == 0,
		    "error %zu: got\n  %s\nwant\n  %s", i, errs->msgs[i],
		    want[i]);
	if (errs->n != n) {
		config_errors_print(stderr, errs);
		ck_abort_msg("%zu errors, want %zu", errs->n, n);
	}
}

/* print -> parse -> equal, and the print is stable. */
static void
cfg_roundtrip(const struct pd_config *cfg)
{
	struct pd_config back;
	char *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = open_memstream(&out1, &len1));
	ck_assert_int_eq(config_print(f, cfg), 0);
	fclose(f);
	ck_assert_msg(cfg_parse(out1, &back) == 0, "printed:\n%s", out1);
	ck_assert_msg(config_equal(cfg, &back), "printed:\n%s", out1);
	ck_assert_ptr_nonnull(f = open_memstream(&out2, &len2));
	ck_assert_int_eq(config_print(f, &back), 0);
	fclose(f);
	ck_assert_str_eq(out1, out2);
	for (char *line = out1; *line != '\0';) {
		size_t n = strcspn(line, "\n");

		ck_assert_msg(n <= PD_CONFIG_MAX_LINE, "long line: %.*s",
		    (int)n, line);
		line += n + (line[n] == '\n');
	}
	config_clear(&back);
	free(out1);
	free(out2);
}

/* ---- the table -------------------------------------------------------- */

START_TEST(test_table_keys)
{
	/* design.md "Configuration": every key, no more, in this order. */
	static const char *const keys[] = {
		"node.state_dir", "node.identity", "node.listen",
		"node.announce", "node.private_network", "peers.max_peers",
		"peers.min_peers", "peers.grace_period",
		"peers.connection_timeout", "peers.retry_interval",
		"peers.max_per_ip", "peers.max_inbound",
		"peers.inbound_rate_per_ip", "peers.rate_limit_loopback",
		"peers.dial_max_inflight", "peers.dial_per_minute",
		"peers.protected", "peers.store_file",
		"peers.store_max", "peers.save_interval", "dht.enabled",
		"dht.mode", "dht.protocol", "dht.bucket_size",
		"dht.refresh_interval", "dht.advertise",
		"dht.diversity_filter", "dht.peer_request_rate", "mdns.enabled",
		"mdns.interfaces", "mdns.deny_interfaces", "mdns.interval",
		"mdns.service",
		"bootstrap.enabled", "bootstrap.peers", "bootstrap.nameserver",
		"control.socket",
		"control.socket_mode", "control.admin_group", "log.level",
	};
	/* design.md: limits, protected peers, bootstrap peers, discovery
	 * on/off, advertised namespaces and log level change live. */
	static const char *const live[] = {
		"peers.max_peers", "peers.min_peers", "peers.grace_period",
		"peers.connection_timeout", "peers.retry_interval",
		"peers.max_per_ip", "peers.max_inbound",
		"peers.inbound_rate_per_ip", "peers.rate_limit_loopback",
		"peers.dial_max_inflight", "peers.dial_per_minute",
		"peers.protected", "peers.store_max",
		"dht.enabled", "dht.advertise", "mdns.enabled",
		"mdns.interfaces", "mdns.deny_interfaces",
		"bootstrap.enabled", "bootstrap.peers", "log.level",
	};
	size_t nlive = 0;

	ck_assert_uint_eq(pd_config_table_len, sizeof(keys) / sizeof(keys[0]));
	ck_assert_uint_le(pd_config_table_len, PD_CONFIG_MAX_KEYS);
	for (size_t i = 0; i < pd_config_table_len; i++) {
		const struct pd_config_row *row = &pd_config_table[i];
		char name[64];
		bool want_live = false;

		snprintf(name, sizeof(name), "%s.%s", row->section, row->key);
		ck_assert_str_eq(name, keys[i]);
		ck_assert_ptr_eq(config_row_find(row->section, row->key), row);
		ck_assert(row->help != NULL && row->help[0] != '\0');
		ck_assert_ptr_nonnull(row->def);
		for (size_t j = 0; j < sizeof(live) / sizeof(live[0]); j++)
			if (strcmp(live[j], name) == 0)
				want_live = true;
		ck_assert_msg(row->live == want_live, "%s live flag", name);
		nlive += row->live;
		ck_assert(!row->derived || row->type == PD_CONFIG_PATH);
		ck_assert(row->type != PD_CONFIG_ENUM || row->choices != NULL);
	}
	ck_assert_uint_eq(nlive, sizeof(live) / sizeof(live[0]));
	ck_assert_ptr_null(config_row_find("node", "nope"));
	ck_assert_ptr_null(config_row_find("nope", "listen"));
	ck_assert(config_section_known("bootstrap"));
	ck_assert(!config_section_known("Bootstrap"));
}
END_TEST

START_TEST(test_defaults)
{
	struct pd_config cfg;

	ck_assert_int_eq(cfg_parse("", &cfg), 0);
	ck_assert_str_eq(cfg.node_state_dir, "/home/u/.state/peerdisc");
	ck_assert_str_eq(cfg.node_identity,
	    "/home/u/.state/peerdisc/identity.key");
	ck_assert_uint_eq(cfg.node_listen.n, 2);
	ck_assert_str_eq(cfg.node_listen.items[0], "/ip4/0.0.0.0/tcp/4050");
	ck_assert_str_eq(cfg.node_listen.items[1], "/ip6/::/tcp/4050");
	ck_assert_uint_eq(cfg.node_announce.n, 0);
	ck_assert_str_eq(cfg.node_private_network, "");
	ck_assert_uint_eq(cfg.peers_max_peers, 50);
	ck_assert_uint_eq(cfg.peers_min_peers, 5);
	ck_assert_uint_eq(cfg.peers_grace_period, 20000);
	ck_assert_uint_eq(cfg.peers_connection_timeout, 30000);
	ck_assert_uint_eq(cfg.peers_retry_interval, 60000);
	ck_assert_uint_eq(cfg.peers_max_per_ip, 8);
	ck_assert_uint_eq(cfg.peers_protected.n, 0);
	ck_assert_str_eq(cfg.peers_store_file,
	    "/home/u/.state/peerdisc/peers.json");
	ck_assert_uint_eq(cfg.peers_store_max, 10000);
	ck_assert_uint_eq(cfg.peers_save_interval, 300000);
	ck_assert(cfg.dht_enabled);
	ck_assert_int_eq(cfg.dht_mode, PD_CONFIG_DHT_SERVER);
	ck_assert_str_eq(cfg.dht_protocol, "/ipfs/kad/1.0.0");
	ck_assert_uint_eq(cfg.dht_bucket_size, 20);
	ck_assert_uint_eq(cfg.dht_refresh_interval, 600000);
	ck_assert_uint_eq(cfg.dht_advertise.n, 0);
	ck_assert(cfg.mdns_enabled);
	ck_assert_uint_eq(cfg.mdns_interfaces.n, 0);
	ck_assert_uint_eq(cfg.mdns_deny_interfaces.n, 0);
	ck_assert_uint_eq(cfg.mdns_interval, 10000);
	ck_assert_str_eq(cfg.mdns_service, "_p2p._udp.local");
	ck_assert(cfg.bootstrap_enabled);
	ck_assert_uint_eq(cfg.bootstrap_peers.n, 0);
	ck_assert_str_eq(cfg.control_socket,
	    "/run/user/1000/peerdisc/control.sock");
	ck_assert_uint_eq(cfg.control_socket_mode, 0660);
	ck_assert_str_eq(cfg.control_admin_group, "");
	ck_assert_int_eq(cfg.log_level, PD_LOG_LEVEL_INFO);
	cfg_roundtrip(&cfg);
	config_clear(&cfg);
	config_clear(&cfg);	/* twice is fine */
}
END_TEST

/* A config that sets every key to something other than its default. */
static const char cfg_full[] =
    "; every key\n"
    "[node]\n"
    "state_dir = /srv/pd\n"
    "identity = /srv/keys/id.key\n"
    "listen = /ip4/127.0.0.1/tcp/0 /ip6/::1/tcp/4001\n"
    "announce = /dns4/node.example.org/tcp/4050 "
    "/ip6/2001:0db8:0000:0000:0000:0000:0000:0001/tcp/4050\n"
    "private_network = /srv/keys/swarm.key\n"
    "[peers]\n"
    "max_peers = 10000\n"
    "min_peers = 0\n"
    "grace_period = 0\n"
    "connection_timeout = 1m30s\n"
    "retry_interval = 1h\n"
    "max_per_ip = 1\n"
    "max_inbound = 7\n"
    "inbound_rate_per_ip = 0\n"
    "rate_limit_loopback = yes\n"
    "dial_max_inflight = 3\n"
    "dial_per_minute = 9\n"
    "protected = " PEER_A "\n"
    "  " PEER_B "\n"
    "store_file = /srv/pd/store.json\n"
    "store_max = 1000000\n"
    "save_interval = 10s\n"
    "[dht]\n"
    "enabled = no\n"
    "mode = client\n"
    "protocol = /myapp/kad/1.0.0\n"
    "bucket_size = 64\n"
    "refresh_interval = 24h\n"
    "advertise = ns1 my-app/v1\n"
    "diversity_filter = off\n"
    "peer_request_rate = 0\n"
    "[mdns]\n"
    "enabled = off\n"
    "interfaces = eth0 wlan0\n"
    "deny_interfaces = docker0\n"
    "interval = 1500ms\n"
    "service = _myapp._udp.local\n"
    "[bootstrap]\n"
    "enabled = false\n"
    "peers = /ip4/10.0.0.7/tcp/4001/p2p/" PEER_A "\n"
    "nameserver = 127.0.0.1:5353\n"
    "[control]\n"
    "socket = /run/pd.sock\n"
    "socket_mode = 600\n"
    "admin_group = peerdisc\n"
    "[log]\n"
    "level = debug\n";

START_TEST(test_full)
{
	struct pd_config cfg, def;

	ck_assert_int_eq(cfg_parse(cfg_full, &cfg), 0);
	ck_assert_str_eq(cfg.node_state_dir, "/srv/pd");
	ck_assert_str_eq(cfg.node_identity, "/srv/keys/id.key");
	ck_assert_uint_eq(cfg.node_listen.n, 2);
	ck_assert_str_eq(cfg.node_listen.items[1], "/ip6/::1/tcp/4001");
	ck_assert_uint_eq(cfg.node_announce.n, 2);
	/* canonical form: RFC 5952 */
	ck_assert_str_eq(cfg.node_announce.items[1],
	    "/ip6/2001:db8::1/tcp/4050");
	ck_assert_str_eq(cfg.node_private_network, "/srv/keys/swarm.key");
	ck_assert_uint_eq(cfg.peers_max_peers, 10000);
	ck_assert_uint_eq(cfg.peers_min_peers, 0);
	ck_assert_uint_eq(cfg.peers_grace_period, 0);
	ck_assert_uint_eq(cfg.peers_connection_timeout, 90000);
	ck_assert_uint_eq(cfg.peers_retry_interval, 3600000);
	ck_assert_uint_eq(cfg.peers_max_per_ip, 1);
	ck_assert_uint_eq(cfg.peers_max_inbound, 7);
	ck_assert_uint_eq(cfg.peers_inbound_rate_per_ip, 0);
	ck_assert(cfg.peers_rate_limit_loopback);
	ck_assert_uint_eq(cfg.peers_dial_max_inflight, 3);
	ck_assert_uint_eq(cfg.peers_dial_per_minute, 9);
	ck_assert_uint_eq(cfg.peers_protected.n, 2);
	ck_assert_str_eq(cfg.peers_protected.items[0], PEER_A);
	ck_assert_str_eq(cfg.peers_protected.items[1], PEER_B);
	ck_assert_str_eq(cfg.peers_store_file, "/srv/pd/store.json");
	ck_assert_uint_eq(cfg.peers_store_max, 1000000);
	ck_assert_uint_eq(cfg.peers_save_interval, 10000);
	ck_assert(!cfg.dht_enabled);
	ck_assert_int_eq(cfg.dht_mode, PD_CONFIG_DHT_CLIENT);
	ck_assert_str_eq(cfg.dht_protocol, "/myapp/kad/1.0.0");
	ck_assert_uint_eq(cfg.dht_bucket_size, 64);
	ck_assert_uint_eq(cfg.dht_refresh_interval, 86400000);
	ck_assert_uint_eq(cfg.dht_advertise.n, 2);
	ck_assert_str_eq(cfg.dht_advertise.items[1], "my-app/v1");
	ck_assert_int_eq(cfg.dht_diversity, PD_CONFIG_DIVERSITY_OFF);
	ck_assert_uint_eq(cfg.dht_peer_request_rate, 0);
	ck_assert(!cfg.mdns_enabled);
	ck_assert_uint_eq(cfg.mdns_interfaces.n, 2);
	ck_assert_str_eq(cfg.mdns_interfaces.items[0], "eth0");
	ck_assert_uint_eq(cfg.mdns_deny_interfaces.n, 1);
	ck_assert_str_eq(cfg.mdns_deny_interfaces.items[0], "docker0");
	ck_assert_uint_eq(cfg.mdns_interval, 1500);
	ck_assert_str_eq(cfg.mdns_service, "_myapp._udp.local");
	ck_assert(!cfg.bootstrap_enabled);
	ck_assert_uint_eq(cfg.bootstrap_peers.n, 1);
	ck_assert_str_eq(cfg.bootstrap_nameserver, "127.0.0.1:5353");
	ck_assert_str_eq(cfg.control_socket, "/run/pd.sock");
	ck_assert_uint_eq(cfg.control_socket_mode, 0600);
	ck_assert_str_eq(cfg.control_admin_group, "peerdisc");
	ck_assert_int_eq(cfg.log_level, PD_LOG_LEVEL_DEBUG);

	/* every key differs from its default, and equality sees it */
	ck_assert_int_eq(cfg_parse("", &def), 0);
	for (size_t i = 0; i < pd_config_table_len; i++)
		ck_assert_msg(!config_row_equal(&pd_config_table[i], &cfg,
		    &def), "%s.%s", pd_config_table[i].section,
		    pd_config_table[i].key);
	ck_assert(!config_equal(&cfg, &def));
	ck_assert(config_equal(&cfg, &cfg));
	cfg_roundtrip(&cfg);
	config_clear(&def);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_print)
{
	struct pd_config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(cfg_parse("[dht]\nadvertise = a b\n[log]\n"
	    "level = warn\n", &cfg), 0);
	ck_assert_ptr_nonnull(f = open_memstream(&out, &len));
	ck_assert_int_eq(config_print(f, &cfg), 0);
	fclose(f);
	ck_assert_str_eq(out,
	    "[node]\n"
	    "state_dir = /home/u/.state/peerdisc\n"
	    "identity = /home/u/.state/peerdisc/identity.key\n"
	    "listen = /ip4/0.0.0.0/tcp/4050 /ip6/::/tcp/4050\n"
	    "announce =\n"
	    "private_network =\n"
	    "\n[peers]\n"
	    "max_peers = 50\n"
	    "min_peers = 5\n"
	    "grace_period = 20s\n"
	    "connection_timeout = 30s\n"
	    "retry_interval = 1m\n"
	    "max_per_ip = 8\n"
	    "max_inbound = 0\n"
	    "inbound_rate_per_ip = 30\n"
	    "rate_limit_loopback = no\n"
	    "dial_max_inflight = 8\n"
	    "dial_per_minute = 60\n"
	    "protected =\n"
	    "store_file = /home/u/.state/peerdisc/peers.json\n"
	    "store_max = 10000\n"
	    "save_interval = 5m\n"
	    "\n[dht]\n"
	    "enabled = yes\n"
	    "mode = server\n"
	    "protocol = /ipfs/kad/1.0.0\n"
	    "bucket_size = 20\n"
	    "refresh_interval = 10m\n"
	    "advertise = a b\n"
	    "diversity_filter = public\n"
	    "peer_request_rate = 100\n"
	    "\n[mdns]\n"
	    "enabled = yes\n"
	    "interfaces =\n"
	    "deny_interfaces =\n"
	    "interval = 10s\n"
	    "service = _p2p._udp.local\n"
	    "\n[bootstrap]\n"
	    "enabled = yes\n"
	    "peers =\n"
	    "nameserver =\n"
	    "\n[control]\n"
	    "socket = /run/user/1000/peerdisc/control.sock\n"
	    "socket_mode = 0660\n"
	    "admin_group =\n"
	    "\n[log]\n"
	    "level = warn\n");
	free(out);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_format_value)
{
	struct pd_config cfg;
	char buf[64];
	const struct pd_config_row *listen = config_row_find("node", "listen");

	ck_assert_int_eq(cfg_parse("[peers]\nconnection_timeout = 2m\n",
	    &cfg), 0);
	config_format_value(config_row_find("peers", "connection_timeout"),
	    &cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2m");
	config_format_value(listen, &cfg, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/ip4/0.0.0.0/tcp/4050 /ip6/::/tcp/4050");
	config_format_value(listen, &cfg, buf, 20);	/* truncated */
	ck_assert_uint_le(strlen(buf), 19);
	ck_assert(strstr(buf, "...") != NULL);
	config_clear(&cfg);
}
END_TEST

/* ---- syntax ----------------------------------------------------------- */

START_TEST(test_syntax_accepted)
{
	struct pd_config cfg;

	/* BOM, CRLF, ':' separator, inline ';' comments, '#' lines,
	 * blank lines, spaces around everything, repeated section */
	ck_assert_int_eq(cfg_parse("\xef\xbb\xbf[peers]\r\n"
	    "  max_peers:40 ; high water\r\n"
	    "# comment\r\n"
	    "\r\n"
	    "[dht] ; the dht\n"
	    "advertise = a\n"
	    "\t  b ; inline\n"
	    "# a comment between continuation lines\n"
	    "\n"
	    "   c d\n"
	    "[peers]\n"
	    "min_peers=\t7\n", &cfg), 0);
	ck_assert_uint_eq(cfg.peers_max_peers, 40);
	ck_assert_uint_eq(cfg.peers_min_peers, 7);
	ck_assert_uint_eq(cfg.dht_advertise.n, 4);
	ck_assert_str_eq(cfg.dht_advertise.items[0], "a");
	ck_assert_str_eq(cfg.dht_advertise.items[1], "b");
	ck_assert_str_eq(cfg.dht_advertise.items[3], "d");
	config_clear(&cfg);

	/* an empty list value, continued */
	ck_assert_int_eq(cfg_parse("[node]\nlisten =\n  /ip4/127.0.0.1/tcp/1"
	    "\n  /ip4/127.0.0.1/tcp/2\n", &cfg), 0);
	ck_assert_uint_eq(cfg.node_listen.n, 2);
	config_clear(&cfg);

	/* explicitly empty: derived paths take their default, lists empty */
	ck_assert_int_eq(cfg_parse("[node]\nstate_dir =\nlisten =\n", &cfg),
	    0);
	ck_assert_str_eq(cfg.node_state_dir, "/home/u/.state/peerdisc");
	ck_assert_uint_eq(cfg.node_listen.n, 0);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_errors_all_reported)
{
	struct pd_config_errors errs = { 0 };
	static const char *const want[] = {
		"t.conf:2: peers.max_peers: 'lots': expected a whole number",
		"t.conf:4: dht.enabled: 'maybe': expected yes/no, true/false, "
		    "on/off or 1/0",
		"t.conf:6: mdns.bogus: unknown key",
		NULL,
	};

	cfg_parse_errors("[peers]\nmax_peers = lots\n[dht]\nenabled = maybe\n"
	    "[mdns]\nbogus = 1\n", &errs);
	cfg_expect(&errs, want);
	config_errors_clear(&errs);
}
END_TEST

/* Parse len bytes that must fail; errs gets the messages. */
static void
cfg_parse_errors_n(const char *text, size_t len,
    struct pd_config_errors *errs)
{
	struct pd_config cfg;

	ck_assert_int_eq(config_parse_buffer("t.conf", text, len, &cfg_env,
	    &cfg, errs), -1);
	config_clear(&cfg);
}

START_TEST(test_errors_kinds)
{
	struct pd_config_errors errs = { 0 };
	static const char *const want[] = {
		"t.conf:1: orphan: key outside any [section]",
		"t.conf:2: [nodes]: unknown section",
		"t.conf:5: peers.max_peers: '0': out of range (1..10000)",
		"t.conf:6: peers.max_peers: duplicate key (first set on line 5)",
		"t.conf:7: peers.grace_period: '2h': out of range (0s..1h)",
		"t.conf:8: peers.retry_interval: '10': expected a duration such "
		    "as 250ms, 30s, 5m or 1h30m",
		"t.conf:9: expected 'key = value' or '[section]'",
		"t.conf:10: malformed section header; expected [name]",
		"t.conf:12: unexpected text after the section header",
		"t.conf:14: dht.mode: 'both': expected server or client",
		"t.conf:15: dht.protocol: 'kad': expected a protocol ID such as "
		    "/myapp/kad/1.0.0 (at most 128 characters)",
		"t.conf:17: dht.enabled: indented line continues the value, but "
		    "only lists may span lines",
		"t.conf:18: line longer than 196 characters (split lists over "
		    "indented lines)",
		"t.conf:19: NUL byte in line",
		"t.conf:21: control.socket_mode: '0778': expected an octal mode "
		    "such as 0660",
		"t.conf:22: control.socket: 'relative/sock': expected an "
		    "absolute path",
		"t.conf:23: control.admin_group: 'bad group': expected a group "
		    "name (letters, digits, '_', '-', '.'; at most 32 "
		    "characters)",
		"t.conf:25: log.level: 'loud': expected error, warn, info or "
		    "debug",
		"t.conf:26: log.: unknown key",
		NULL,
	};
	static const char *const lines[] = {
		"orphan = 1",			/* 1 */
		"[nodes]",			/* 2 */
		"listen = whatever",		/* 3: in an unknown section */
		"[peers]",			/* 4 */
		"max_peers = 0",		/* 5 */
		"max_peers = 20",		/* 6 */
		"grace_period = 2h",		/* 7 */
		"retry_interval = 10",		/* 8 */
		"just words",			/* 9 */
		"[dht",				/* 10 */
		"enabled = yes",		/* 11: under a bad header */
		"[dht] junk",			/* 12 */
		"[dht]",			/* 13 */
		"mode = both",			/* 14 */
		"protocol = kad",		/* 15 */
		"enabled = yes",		/* 16 */
		"  no",				/* 17 */
		NULL,				/* 18: too long */
		NULL,				/* 19: NUL byte */
		"[control]",			/* 20 */
		"socket_mode = 0778",		/* 21 */
		"socket = relative/sock",	/* 22 */
		"admin_group = bad group",	/* 23 */
		"[log]",			/* 24 */
		"level = loud",			/* 25 */
		"= 3",				/* 26 */
	};
	char text[4096];
	size_t off = 0;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (i == 17) {
			memset(text + off, 'x', 197);
			off += 197;
		} else if (i == 18) {
			memcpy(text + off, "bucket\0size = 3", 15);
			off += 15;
		} else {
			memcpy(text + off, lines[i], strlen(lines[i]));
			off += strlen(lines[i]);
		}
		text[off++] = '\n';
	}
	cfg_parse_errors_n(text, off, &errs);
	cfg_expect(&errs, want);
	config_errors_clear(&errs);
}
END_TEST

/* msg starts with prefix */
static bool
cfg_prefix(const char *msg, const char *prefix)
{
	return strncmp(msg, prefix, strlen(prefix)) == 0;
}

START_TEST(test_errors_lists)
{
	struct pd_config_errors errs = { 0 };
	char text[8192], *p = text;

	cfg_parse_errors("[node]\n"
	    "listen = /ip4/127.0.0.1/tcp/1 /ip4/1.2.3.4/udp/1\n"
	    "  /dns4/example.org/tcp/1 /ip4/127.0.0.1/tcp/2/p2p/" PEER_A "\n"
	    "announce = /nope/1\n"
	    "[peers]\n"
	    "protected = " PEER_A " 12D3KooWnotapeer #x\n"
	    "[bootstrap]\n"
	    "peers = /ip4/10.0.0.1/tcp/4001\n"
	    "[mdns]\n"
	    "interfaces = eth0 a/b averyveryverylongname\n", &errs);
	if (errs.n != 9)
		config_errors_print(stderr, &errs);
	ck_assert_uint_eq(errs.n, 9);
	ck_assert_str_eq(errs.msgs[0], "t.conf:2: node.listen: "
	    "'/ip4/1.2.3.4/udp/1': listen addresses must have the form "
	    "/ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT");
	ck_assert(cfg_prefix(errs.msgs[1], "t.conf:3: node.listen: "
	    "'/dns4/example.org/tcp/1': listen addresses"));
	ck_assert(cfg_prefix(errs.msgs[2], "t.conf:3: node.listen: "
	    "'/ip4/127.0.0.1/tcp/2/p2p/" PEER_A "': listen addresses"));
	ck_assert(cfg_prefix(errs.msgs[3], "t.conf:4: node.announce: "
	    "'/nope/1': "));
	ck_assert(cfg_prefix(errs.msgs[4], "t.conf:6: peers.protected: "
	    "'12D3KooWnotapeer': not a peer ID"));
	ck_assert(cfg_prefix(errs.msgs[5], "t.conf:6: peers.protected: "
	    "'#x': not a peer ID"));
	ck_assert_str_eq(errs.msgs[6], "t.conf:8: bootstrap.peers: "
	    "'/ip4/10.0.0.1/tcp/4001': a bootstrap peer needs an address "
	    "ending in /p2p/PEER-ID");
	ck_assert(cfg_prefix(errs.msgs[7], "t.conf:10: mdns.interfaces: "
	    "'a/b': expected an interface name"));
	ck_assert(cfg_prefix(errs.msgs[8], "t.conf:10: mdns.interfaces: "
	    "'averyveryverylongname': expected an interface name"));
	config_errors_clear(&errs);

	/* more items than the cap: one error, at the line that passes it */
	p += sprintf(p, "[node]\nlisten =\n");
	for (int i = 0; i < 20; i++)
		p += sprintf(p, "  /ip4/127.0.0.1/tcp/%d\n", 1000 + i);
	cfg_parse_errors(text, &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:19: node.listen: more than 16 "
	    "addresses");
	config_errors_clear(&errs);

	/* items that could not be printed back: comment starts */
	cfg_parse_errors("[dht]\nadvertise =;x a\n", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:2: dht.advertise: ';x': ';' "
	    "after a space starts a comment");
	config_errors_clear(&errs);
	cfg_parse_errors("[dht]\nadvertise = a #x\n", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:2: dht.advertise: '#x': an "
	    "item cannot start with '#'");
	config_errors_clear(&errs);
	cfg_parse_errors("[dht]\nadvertise = a mode=x b\n", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:2: dht.advertise: 'mode=x': an "
	    "item cannot look like 'key =' of this section");
	config_errors_clear(&errs);
	cfg_parse_errors("[dht]\nprotocol =;x\n", &errs);
	ck_assert_uint_eq(errs.n, 1);
	config_errors_clear(&errs);
}
END_TEST

START_TEST(test_errors_cross)
{
	struct pd_config_errors errs = { 0 };
	static const char *const want1[] = {
		"t.conf:3: peers.min_peers: 60 is more than peers.max_peers "
		    "(50)",
		NULL,
	};
	static const char *const want2[] = {
		"t.conf:2: peers.min_peers: 6 is more than peers.max_peers (5)",
		NULL,
	};
	static const char *const want3[] = {
		"t.conf:4: peers.store_file: is the same file as node.identity",
		NULL,
	};

	cfg_parse_errors("[peers]\n\nmin_peers = 60\n", &errs);
	cfg_expect(&errs, want1);
	config_errors_clear(&errs);
	cfg_parse_errors("[peers]\nmax_peers = 5\nmin_peers = 6\n", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:3: peers.min_peers: 6 is more "
	    "than peers.max_peers (5)");
	config_errors_clear(&errs);
	cfg_parse_errors("[peers]\nmin_peers = 6\nmax_peers = 5\n", &errs);
	cfg_expect(&errs, want2);
	config_errors_clear(&errs);
	cfg_parse_errors("[node]\nidentity = /x/y\n[peers]\n"
	    "store_file = /x/y\n", &errs);
	cfg_expect(&errs, want3);
	config_errors_clear(&errs);
}
END_TEST

START_TEST(test_errors_capped)
{
	struct pd_config_errors errs = { 0 };
	char *text = malloc(200 * 16 + 16), *p = text;

	ck_assert_ptr_nonnull(text);
	p += sprintf(p, "[log]\n");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "level%d = x\n", i);
	cfg_parse_errors(text, &errs);
	ck_assert_uint_eq(errs.n, PD_CONFIG_MAX_ERRORS);
	ck_assert_uint_eq(errs.dropped, 100);
	config_errors_clear(&errs);
	ck_assert_uint_eq(errs.n, 0);
	free(text);
}
END_TEST

START_TEST(test_load)
{
	struct pd_config cfg;
	struct pd_config_errors errs = { 0 };
	char dir[] = "/tmp/check_config.XXXXXX", path[256];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_int_eq(config_load(path, &cfg_env, &cfg, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert(strstr(errs.msgs[0], "missing.conf: No such file") != NULL);
	config_errors_clear(&errs);

	/* a directory */
	ck_assert_int_eq(config_load(dir, &cfg_env, &cfg, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	config_errors_clear(&errs);

	/* errors name the path given */
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("[peers]\nmax_peers = x\n", f);
	fclose(f);
	ck_assert_int_eq(config_load(path, &cfg_env, &cfg, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert(strncmp(errs.msgs[0], path, strlen(path)) == 0);
	ck_assert(strncmp(errs.msgs[0] + strlen(path), ":2: peers.max_peers",
	    19) == 0);
	config_errors_clear(&errs);
	unlink(path);

	/* too large */
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (int i = 0; i < PD_CONFIG_MAX_FILE / 8 + 1; i++)
		fputs("#......\n", f);
	fclose(f);
	ck_assert_int_eq(config_load(path, &cfg_env, &cfg, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert(strstr(errs.msgs[0], "larger than") != NULL);
	config_errors_clear(&errs);
	unlink(path);

	/* NULL: built-in defaults */
	ck_assert_int_eq(config_load(NULL, &cfg_env, &cfg, &errs), 0);
	ck_assert_uint_eq(cfg.peers_max_peers, 50);
	config_clear(&cfg);
	rmdir(dir);
}
END_TEST

/* ---- round trips ------------------------------------------------------ */

START_TEST(test_roundtrip_long_lists)
{
	struct pd_config cfg;
	char text[16384], *p = text;

	p += sprintf(p, "[bootstrap]\npeers =\n");
	for (int i = 0; i < 10; i++)
		p += sprintf(p, "  /dns4/bootstrap-%d.example.org/tcp/4001/p2p/"
		    "%s\n", i, i % 2 ? PEER_A : PEER_B);
	p += sprintf(p, "[peers]\nprotected =");
	for (int i = 0; i < 10; i++)
		p += sprintf(p, "\n\t%s", i % 2 ? PEER_A : PEER_B);
	p += sprintf(p, "\n");
	ck_assert_int_eq(cfg_parse(text, &cfg), 0);
	ck_assert_uint_eq(cfg.bootstrap_peers.n, 10);
	ck_assert_uint_eq(cfg.peers_protected.n, 10);
	cfg_roundtrip(&cfg);
	config_clear(&cfg);
}
END_TEST

START_TEST(test_roundtrip_canonical)
{
	struct pd_config cfg;
	struct pd_peerid id;
	char cid[PD_PEERID_TEXT_MAX], text[512];

	/* peer IDs in CID form and /ipfs/ print canonically */
	ck_assert_int_eq(pd_peerid_parse(PEER_A, strlen(PEER_A), &id), 0);
	ck_assert_int_gt(pd_peerid_format_cid(&id, cid, sizeof(cid)), 0);
	snprintf(text, sizeof(text), "[peers]\nprotected = %s\n[bootstrap]\n"
	    "peers = /ip4/1.2.3.4/tcp/1/ipfs/%s\n", cid, PEER_B);
	ck_assert_int_eq(cfg_parse(text, &cfg), 0);
	ck_assert_str_eq(cfg.peers_protected.items[0], PEER_A);
	ck_assert_str_eq(cfg.bootstrap_peers.items[0],
	    "/ip4/1.2.3.4/tcp/1/p2p/" PEER_B);
	cfg_roundtrip(&cfg);
	config_clear(&cfg);
}
END_TEST

/* Random valid configs: pick a value per key from a pool, parse, print,
 * parse again. */
START_TEST(test_roundtrip_random)
{
	static const char *const pool[][4] = {
		{ "state_dir", "", "/var/lib/x", "/a b/c" },
		{ "identity", "", "/k/id.key", "/k/#odd" },
		{ "listen", "", "/ip4/127.0.0.1/tcp/0",
		    "/ip6/::1/tcp/1 /ip4/0.0.0.0/tcp/2" },
		{ "announce", "", "/dns6/x.org/tcp/1", "/ip4/1.1.1.1/tcp/1/ws" },
		{ "private_network", "", "/etc/swarm.key", "/p;q" },
		{ "max_peers", "5", "10000", "300" },
		{ "min_peers", "0", "1", "5" },
		{ "grace_period", "0", "1h", "59m59s999ms" },
		{ "connection_timeout", "1s", "10m", "90s" },
		{ "retry_interval", "1s", "1h", "61s" },
		{ "max_per_ip", "1", "1000", "" },
		{ "max_inbound", "0", "4096", "" },
		{ "inbound_rate_per_ip", "0", "100000", "" },
		{ "rate_limit_loopback", "no", "yes", "on" },
		{ "dial_max_inflight", "1", "1024", "" },
		{ "dial_per_minute", "1", "100000", "" },
		{ "protected", "", PEER_A, PEER_A " " PEER_B },
		{ "store_file", "", "/s.json", "/x/y/z" },
		{ "store_max", "1", "1000000", "" },
		{ "save_interval", "10s", "24h", "1h1s" },
		{ "enabled", "yes", "0", "OFF" },
		{ "mode", "server", "client", "" },
		{ "protocol", "/a", "/ipfs/kad/1.0.0", "/x/kad/2" },
		{ "bucket_size", "1", "64", "" },
		{ "refresh_interval", "1m", "24h", "" },
		{ "advertise", "", "a", "a/b c-d e;f" },
		{ "diversity_filter", "public", "off", "all" },
		{ "peer_request_rate", "0", "100000", "" },
		{ "interfaces", "", "lo", "eth0 eth1" },
		{ "deny_interfaces", "", "docker0", "veth0 br-1" },
		{ "interval", "1s", "1h", "1500ms" },
		{ "service", "_p2p._udp.local", "a.b", "_x-y._tcp.local" },
		{ "peers", "", "/ip4/1.2.3.4/tcp/1/p2p/" PEER_A, "" },
		{ "nameserver", "", "[::1]:53", "10.0.0.1" },
		{ "socket", "", "/s", "/run/x/y.sock" },
		{ "socket_mode", "0", "0777", "640" },
		{ "admin_group", "", "wheel", "a.b-c_d" },
		{ "level", "error", "debug", "warn" },
	};

	for (int round = 0; round < 300; round++) {
		char text[8192], *p = text;
		const char *section = NULL;
		struct pd_config cfg;

		for (size_t i = 0; i < pd_config_table_len; i++) {
			const struct pd_config_row *row = &pd_config_table[i];
			const char *v = NULL;

			if (section == NULL || strcmp(section,
			    row->section) != 0) {
				p += sprintf(p, "[%s]\n", row->section);
				section = row->section;
			}
			for (size_t j = 0; j < sizeof(pool) / sizeof(pool[0]);
			    j++)
				if (strcmp(pool[j][0], row->key) == 0) {
					v = pool[j][1 + cfg_rng() % 3];
					break;
				}
			if (v == NULL || (v[0] == '\0' && (cfg_rng() % 2 ||
			    row->type == PD_CONFIG_UINT ||
			    row->type == PD_CONFIG_ENUM ||
			    row->type == PD_CONFIG_DURATION)))
				continue;	/* keep the default */
			p += sprintf(p, "%s = %s\n", row->key, v);
		}
		ck_assert_msg(cfg_parse(text, &cfg) == 0, "%s", text);
		cfg_roundtrip(&cfg);
		config_clear(&cfg);
	}
}
END_TEST

/* ---- reload ----------------------------------------------------------- */

struct cfg_changes {
	char names[64][48];
	bool applied[64];
	size_t n;
};

static void
cfg_change_cb(const struct pd_config_row *row, bool applied, void *arg)
{
	struct cfg_changes *c = arg;

	ck_assert_uint_lt(c->n, 64);
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s.%s", row->section,
	    row->key);
	c->applied[c->n++] = applied;
}

START_TEST(test_apply_live)
{
	struct pd_config running, next;
	struct cfg_changes ch = { 0 };

	ck_assert_int_eq(cfg_parse("[node]\nlisten = /ip4/127.0.0.1/tcp/1\n"
	    "[peers]\nmax_peers = 10\nprotected = " PEER_A "\n", &running), 0);
	ck_assert_int_eq(cfg_parse("[node]\nlisten = /ip4/127.0.0.1/tcp/2\n"
	    "[peers]\nmax_peers = 20\nprotected = " PEER_B " " PEER_A "\n"
	    "[log]\nlevel = debug\n", &next), 0);
	ck_assert_uint_eq(config_apply_live(&running, &next, cfg_change_cb,
	    &ch), 4);
	ck_assert_uint_eq(ch.n, 4);
	ck_assert_str_eq(ch.names[0], "node.listen");
	ck_assert(!ch.applied[0]);
	ck_assert_str_eq(ch.names[1], "peers.max_peers");
	ck_assert(ch.applied[1]);
	ck_assert_str_eq(ch.names[2], "peers.protected");
	ck_assert(ch.applied[2]);
	ck_assert_str_eq(ch.names[3], "log.level");
	ck_assert(ch.applied[3]);
	/* live keys moved across, restart keys kept */
	ck_assert_uint_eq(running.peers_max_peers, 20);
	ck_assert_uint_eq(running.peers_protected.n, 2);
	ck_assert_int_eq(running.log_level, PD_LOG_LEVEL_DEBUG);
	ck_assert_str_eq(running.node_listen.items[0], "/ip4/127.0.0.1/tcp/1");
	/* next holds the old values and frees cleanly */
	ck_assert_uint_eq(next.peers_max_peers, 10);
	ck_assert_uint_eq(next.peers_protected.n, 1);
	config_clear(&next);
	/* nothing changes against itself */
	ck_assert_uint_eq(config_apply_live(&running, &running, NULL, NULL),
	    0);
	config_clear(&running);
}
END_TEST

/* ---- paths ------------------------------------------------------------ */

START_TEST(test_paths_state_dir)
{
	struct paths_env env = cfg_env;
	char buf[PATHS_MAX], why[256];

	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/home/u/.state/peerdisc");
	env.xdg_state_home = "relative/state";		/* ignored */
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/home/u/.local/state/peerdisc");
	env.xdg_state_home = "";
	env.home = "/";
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/.local/state/peerdisc");
	env.home = NULL;
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), -1);
	ck_assert(strstr(why, "node.state_dir") != NULL);
	env.euid = 0;					/* root */
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/var/lib/peerdisc");
	env.state_directory = "/var/lib/peerdisc-sd:/var/lib/other";
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/var/lib/peerdisc-sd");
	env.euid = 1000;				/* systemd, any user */
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/var/lib/peerdisc-sd");
	env.state_directory = "relative";
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), -1);
	env.state_directory = NULL;
	env.xdg_state_home = "/x/";
	ck_assert_int_eq(paths_state_dir(&env, buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/x/peerdisc");
	ck_assert_int_eq(paths_state_dir(&env, buf, 11, why, sizeof(why)),
	    -1);
	ck_assert_int_eq(paths_state_dir(&env, buf, 12, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_paths_socket)
{
	struct paths_env env = cfg_env;
	char buf[PATHS_MAX], why[256];

	ck_assert_int_eq(paths_socket(&env, "/st", buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/run/user/1000/peerdisc/control.sock");
	env.xdg_runtime_dir = NULL;
	ck_assert_int_eq(paths_socket(&env, "/st", buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/st/control.sock");
	env.xdg_runtime_dir = "run";			/* relative: ignored */
	ck_assert_int_eq(paths_socket(&env, "/st/", buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/st/control.sock");
	env.euid = 0;
	ck_assert_int_eq(paths_socket(&env, "/st", buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/run/peerdisc/control.sock");
	env.runtime_directory = "/run/pd-sd";
	ck_assert_int_eq(paths_socket(&env, "/st", buf, sizeof(buf), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(buf, "/run/pd-sd/control.sock");
	ck_assert_int_eq(paths_socket(&env, "/st", buf, 10, why, sizeof(why)),
	    -1);
}
END_TEST

START_TEST(test_paths_config)
{
	struct paths_env env = { .state_directory = "/var/lib/sd",
	    .runtime_directory = "/run/sd", .euid = 0 };
	struct pd_config_errors errs = { 0 };
	struct pd_config cfg;

	ck_assert_int_eq(config_parse_buffer("t", "", 0, &env, &cfg, &errs),
	    0);
	ck_assert_str_eq(cfg.node_state_dir, "/var/lib/sd");
	ck_assert_str_eq(cfg.node_identity, "/var/lib/sd/identity.key");
	ck_assert_str_eq(cfg.peers_store_file, "/var/lib/sd/peers.json");
	ck_assert_str_eq(cfg.control_socket, "/run/sd/control.sock");
	config_clear(&cfg);

	/* a configured state_dir moves the derived paths with it */
	env = (struct paths_env){ .home = "/h", .euid = 1000 };
	ck_assert_int_eq(config_parse_buffer("t", "[node]\nstate_dir = /s\n",
	    21, &env, &cfg, &errs), 0);
	ck_assert_str_eq(cfg.node_identity, "/s/identity.key");
	ck_assert_str_eq(cfg.control_socket, "/s/control.sock");
	config_clear(&cfg);

	/* no home: an error that says what to set */
	env = (struct paths_env){ .euid = 1000 };
	ck_assert_int_eq(config_parse_buffer("t", "", 0, &env, &cfg, &errs),
	    -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t: node.state_dir: no home directory "
	    "to put the state directory in; set node.state_dir");
	config_errors_clear(&errs);

	/* a derived socket path too long for sun_path */
	env = (struct paths_env){ .home = "/h", .euid = 1000,
	    .xdg_runtime_dir = "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	ck_assert_int_eq(config_parse_buffer("t", "", 0, &env, &cfg, &errs),
	    -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert(strncmp(errs.msgs[0], "t: control.socket: default ", 27)
	    == 0);
	config_errors_clear(&errs);
}
END_TEST

START_TEST(test_paths_mkdir)
{
	char dir[] = "/tmp/check_config.XXXXXX", path[512], why[512];
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b//c/", dir);
	ck_assert_int_eq(paths_mkdir_p(path, 0700, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(paths_mkdir_p(path, 0700, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(paths_mkdir_p(path, 0700, why, sizeof(why)), -1);
	ck_assert(strstr(why, "not a directory") != NULL);
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	ck_assert_int_eq(paths_mkdir_p(path, 0700, why, sizeof(why)), -1);
	ck_assert(strstr(why, "file") != NULL);
	ck_assert_int_eq(paths_mkdir_p("relative/x", 0700, why, sizeof(why)),
	    -1);
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	for (const char *sub = "/a/b/c"; sub != NULL;) {
		snprintf(path, sizeof(path), "%s%s", dir, sub);
		rmdir(path);
		sub = strcmp(sub, "/a/b/c") == 0 ? "/a/b" :
		    strcmp(sub, "/a/b") == 0 ? "/a" : NULL;
	}
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- the shipped conf file -------------------------------------------- */

START_TEST(test_shipped_conf)
{
	const char *path = PD_TEST_SRCDIR "/conf/peerdiscd.conf";
	struct pd_config_errors errs = { 0 };
	struct pd_config cfg, def;
	int seen[PD_CONFIG_MAX_KEYS] = { 0 };
	char line[512], prev[512] = "", section[64] = "";
	FILE *f;
	int lineno = 0;

	/* it parses, to exactly the defaults */
	ck_assert_msg(config_load(path, &cfg_env, &cfg, &errs) == 0, "%s",
	    errs.n > 0 ? errs.msgs[0] : "");
	ck_assert_int_eq(cfg_parse("", &def), 0);
	ck_assert(config_equal(&cfg, &def));
	config_clear(&cfg);
	config_clear(&def);

	/* each key once, as "# key = default" under "# help" in its section */
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		char key[64], *eq, *value;
		const struct pd_config_row *row;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '[') {
			ck_assert_int_eq(sscanf(line, "[%63[^]]]", section), 1);
			ck_assert(config_section_known(section));
		} else if (section[0] != '\0' && strncmp(line, "# ", 2) == 0 &&
		    (eq = strstr(line, " =")) != NULL &&
		    strcspn(line + 2, " ") == (size_t)(eq - line - 2)) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - line - 2),
			    line + 2);
			value = eq + 2;
			if (*value == ' ')
				value++;
			row = config_row_find(section, key);
			ck_assert_msg(row != NULL, "line %d: %s.%s is not a key",
			    lineno, section, key);
			ck_assert_msg(seen[row - pd_config_table]++ == 0,
			    "line %d: %s.%s again", lineno, section, key);
			ck_assert_msg(strcmp(value, row->def) == 0,
			    "line %d: %s.%s = '%s', table default '%s'", lineno,
			    section, key, value, row->def);
			ck_assert_msg(strncmp(prev, "# ", 2) == 0 &&
			    strcmp(prev + 2, row->help) == 0,
			    "line %d: help of %s.%s is not the line above",
			    lineno, section, key);
		} else
			ck_assert_msg(line[0] == '\0' || line[0] == '#',
			    "line %d: only comments expected: %s", lineno,
			    line);
		snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	for (size_t i = 0; i < pd_config_table_len; i++)
		ck_assert_msg(seen[i] == 1, "%s.%s missing from the conf file",
		    pd_config_table[i].section, pd_config_table[i].key);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_table_keys);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_format_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_test(tc, test_syntax_accepted);
	tcase_add_test(tc, test_errors_all_reported);
	tcase_add_test(tc, test_errors_kinds);
	tcase_add_test(tc, test_errors_lists);
	tcase_add_test(tc, test_errors_cross);
	tcase_add_test(tc, test_errors_capped);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_long_lists);
	tcase_add_test(tc, test_roundtrip_canonical);
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_test(tc, test_apply_live);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_add_test(tc, test_paths_state_dir);
	tcase_add_test(tc, test_paths_socket);
	tcase_add_test(tc, test_paths_config);
	tcase_add_test(tc, test_paths_mkdir);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_test(tc, test_shipped_conf);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	cfg_rng_state = pd_test_seed("check_config");
	return pd_test_run(config_suite());
}
