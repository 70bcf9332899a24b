/*
 * config-table.c - the key table of peerdiscd.conf (design.md
 * "Configuration"): one row per key with its type, default, bounds, unit,
 * whether a reload applies it live, and a help line.  config.c reads
 * every row generically; the few value checks that are specific to one
 * key live here next to their rows.  Adding a key means adding a field
 * to struct pd_config, a row here, and its line in conf/peerdiscd.conf
 * (check_config fails until all three agree).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "config.h"

#define MS_S 1000ULL
#define MS_M (60 * MS_S)
#define MS_H (60 * MS_M)

#define CONFIG_PROTOCOL_MAX 128		/* chars of dht.protocol */
#define CONFIG_SERVICE_MAX 128		/* chars of mdns.service */
#define CONFIG_GROUP_MAX 32		/* chars of a group name */
#define CONFIG_IFNAME_MAX 15		/* IFNAMSIZ - 1 */
#define CONFIG_NAMESPACE_MAX 128	/* chars of an advertised namespace */

static void
table_why(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
}

/* node.listen: something the TCP transport can bind. */
static int
table_check_listen(const char *value, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	struct pd_multiaddr_comp c;
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (pd_multiaddr_parse(value, &ma, NULL, 0) < 0 ||
	    pd_multiaddr_find(&ma, PD_MULTIADDR_P2P, &c) == 0 ||
	    pd_multiaddr_find(&ma, PD_MULTIADDR_IP6ZONE, &c) == 0 ||
	    pd_multiaddr_to_sockaddr(&ma, &ss, &sslen) < 0) {
		table_why(why, whylen, "listen addresses must have the form "
		    "/ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT");
		return -1;
	}
	return 0;
}

/* bootstrap.nameserver: "", an IP, or IP:PORT / [IPv6]:PORT. */
static int
table_check_nameserver(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);

	if (n == 0)
		return 0;
	if (n > 64 || strspn(value, "0123456789abcdefABCDEF.:[]") != n) {
		table_why(why, whylen, "a name server is an IP address, "
		    "optionally with :PORT ([IPv6]:PORT)");
		return -1;
	}
	return 0;
}

/* bootstrap.peers: we must know whom we dial. */
static int
table_check_bootstrap(const char *value, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	const uint8_t *mh;
	size_t mhlen;

	if (pd_multiaddr_parse(value, &ma, NULL, 0) < 0 ||
	    pd_multiaddr_peer_id(&ma, &mh, &mhlen) < 0 ||
	    pd_multiaddr_count(&ma) < 2) {
		table_why(why, whylen, "a bootstrap peer needs an address "
		    "ending in /p2p/PEER-ID");
		return -1;
	}
	return 0;
}

/* dht.protocol: a libp2p protocol ID, "/name/kad/1.0.0". */
static int
table_check_protocol(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);

	if (value[0] != '/' || n < 2 || n > CONFIG_PROTOCOL_MAX) {
		table_why(why, whylen, "expected a protocol ID such as "
		    "/myapp/kad/1.0.0 (at most 128 characters)");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (value[i] <= ' ' || value[i] >= 0x7f) {
			table_why(why, whylen, "protocol IDs are printable "
			    "ASCII without spaces");
			return -1;
		}
	return 0;
}

/* mdns.service: a DNS-SD service name such as _p2p._udp.local. */
static int
table_check_service(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);
	bool label_start = true;

	if (n == 0 || n > CONFIG_SERVICE_MAX || value[n - 1] == '.')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = value[i];

		if (c == '.') {
			if (label_start)
				goto bad;
			label_start = true;
			continue;
		}
		label_start = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			goto bad;
	}
	return 0;
bad:
	table_why(why, whylen, "expected a DNS-SD service name such as "
	    "_p2p._udp.local");
	return -1;
}

/* control.admin_group: a POSIX-ish group name ("" is none). */
static int
table_check_group(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);

	if (n > CONFIG_GROUP_MAX || (n > 0 && value[0] == '-'))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = value[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || (c == '$' && i == n - 1)))
			goto bad;
	}
	return 0;
bad:
	table_why(why, whylen, "expected a group name (letters, digits, "
	    "'_', '-', '.'; at most 32 characters)");
	return -1;
}

/* mdns.interfaces: network interface names. */
static int
table_check_ifname(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);

	if (n == 0 || n > CONFIG_IFNAME_MAX || strcmp(value, ".") == 0 ||
	    strcmp(value, "..") == 0)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (value[i] == '/' || value[i] == ':' || value[i] <= ' ' ||
		    value[i] >= 0x7f)
			goto bad;
	return 0;
bad:
	table_why(why, whylen, "expected an interface name (at most 15 "
	    "characters, no '/' or ':')");
	return -1;
}

/* dht.advertise: namespaces are opaque, but printable and bounded. */
static int
table_check_namespace(const char *value, char *why, size_t whylen)
{
	size_t n = strlen(value);

	if (n > CONFIG_NAMESPACE_MAX) {
		table_why(why, whylen, "namespaces are at most 128 "
		    "characters");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (value[i] == 0x7f) {
			table_why(why, whylen, "namespaces are printable");
			return -1;
		}
	return 0;
}

/* control.socket: must fit sockaddr_un.sun_path. */
static int
table_check_socket(const char *value, char *why, size_t whylen)
{
	if (strlen(value) > PD_CONFIG_MAX_SOCKET) {
		table_why(why, whylen, "a Unix socket path is at most 107 "
		    "bytes");
		return -1;
	}
	return 0;
}

static const char *const table_dht_modes[] = { "server", "client", NULL };
static const char *const table_dht_diversity[] = { "off", "public", "all",
    NULL };

#define ROW(sec, k, t, d, lo, hi, u, fld, lv, fn, h)			\
	{ .section = sec, .key = k, .type = t, .def = d, .min = lo,	\
	  .max = hi, .unit = u, .offset = offsetof(struct pd_config, fld), \
	  .live = lv, .check = fn, .help = h }
#define LIVE true
#define RESTART false

const struct pd_config_row pd_config_table[] = {
	{ .section = "node", .key = "state_dir", .type = PD_CONFIG_PATH,
	  .def = "", .offset = offsetof(struct pd_config, node_state_dir),
	  .derived = true,
	  .help = "Directory for the identity key and the peer store "
	    "(created 0700)." },
	{ .section = "node", .key = "identity", .type = PD_CONFIG_PATH,
	  .def = "", .offset = offsetof(struct pd_config, node_identity),
	  .derived = true,
	  .help = "Private key file, created 0600 on first start; empty: "
	    "<state_dir>/identity.key." },
	ROW("node", "listen", PD_CONFIG_MULTIADDR_LIST,
	    "/ip4/0.0.0.0/tcp/4050 /ip6/::/tcp/4050", 0, 16, "addresses",
	    node_listen, RESTART, table_check_listen,
	    "Listen multiaddrs (tcp/0 picks a free port)."),
	ROW("node", "announce", PD_CONFIG_MULTIADDR_LIST, "", 0, 16,
	    "addresses", node_announce, RESTART, NULL,
	    "Addresses to advertise instead of the listen addresses."),
	ROW("node", "private_network", PD_CONFIG_PATH, "", 0, 0, NULL,
	    node_private_network, RESTART, NULL,
	    "Path to a pnet PSK file: only nodes with it can talk to us."),

	ROW("peers", "max_peers", PD_CONFIG_UINT, "50", 1, 10000,
	    "connections", peers_max_peers, LIVE, NULL,
	    "High water: connections above it are trimmed."),
	ROW("peers", "min_peers", PD_CONFIG_UINT, "5", 0, 10000,
	    "connections", peers_min_peers, LIVE, NULL,
	    "Low water: discovered peers are dialed below it."),
	ROW("peers", "grace_period", PD_CONFIG_DURATION, "20s", 0, 1 * MS_H,
	    "ms", peers_grace_period, LIVE, NULL,
	    "New connections are not trimmed before this age."),
	ROW("peers", "connection_timeout", PD_CONFIG_DURATION, "30s",
	    1 * MS_S, 10 * MS_M, "ms", peers_connection_timeout, LIVE, NULL,
	    "Budget for a whole dial and connection upgrade."),
	ROW("peers", "retry_interval", PD_CONFIG_DURATION, "1m", 1 * MS_S,
	    1 * MS_H, "ms", peers_retry_interval, LIVE, NULL,
	    "Base of the dial back-off (doubles, with jitter, capped at 1h)."),
	ROW("peers", "max_per_ip", PD_CONFIG_UINT, "8", 1, 1000,
	    "connections", peers_max_per_ip, LIVE, NULL,
	    "Inbound connections accepted from one IP address."),
	ROW("peers", "max_inbound", PD_CONFIG_UINT, "0", 0, 4096,
	    "connections", peers_max_inbound, LIVE, NULL,
	    "Inbound connections in total; 0: as many as max_peers."),
	ROW("peers", "inbound_rate_per_ip", PD_CONFIG_UINT, "30", 0, 100000,
	    "per minute", peers_inbound_rate_per_ip, LIVE, NULL,
	    "New inbound connections one IP may open per minute; 0: no limit."),
	ROW("peers", "rate_limit_loopback", PD_CONFIG_BOOL, "no", 0, 0, NULL,
	    peers_rate_limit_loopback, LIVE, NULL,
	    "Apply inbound_rate_per_ip to loopback addresses too."),
	ROW("peers", "dial_max_inflight", PD_CONFIG_UINT, "8", 1, 1024,
	    "dials", peers_dial_max_inflight, LIVE, NULL,
	    "Dials in flight at once (hard budget)."),
	ROW("peers", "dial_per_minute", PD_CONFIG_UINT, "60", 1, 100000,
	    "dials", peers_dial_per_minute, LIVE, NULL,
	    "Dials started per minute (hard budget)."),
	ROW("peers", "protected", PD_CONFIG_PEERID_LIST, "", 0,
	    PD_CONFIG_MAX_LIST, "peers", peers_protected, LIVE, NULL,
	    "Peer IDs whose connections are never trimmed."),
	{ .section = "peers", .key = "store_file", .type = PD_CONFIG_PATH,
	  .def = "", .offset = offsetof(struct pd_config, peers_store_file),
	  .derived = true,
	  .help = "Persisted peer store; empty: <state_dir>/peers.json." },
	ROW("peers", "store_max", PD_CONFIG_UINT, "10000", 1, 1000000,
	    "entries", peers_store_max, LIVE, NULL,
	    "Peer store entries kept; the least useful go first."),
	ROW("peers", "save_interval", PD_CONFIG_DURATION, "5m", 10 * MS_S,
	    24 * MS_H, "ms", peers_save_interval, RESTART, NULL,
	    "Periodic store save (also on shutdown and after bursts)."),

	ROW("dht", "enabled", PD_CONFIG_BOOL, "yes", 0, 0, NULL,
	    dht_enabled, LIVE, NULL,
	    "Run the Kademlia DHT."),
	{ .section = "dht", .key = "mode", .type = PD_CONFIG_ENUM,
	  .def = "server", .choices = table_dht_modes,
	  .offset = offsetof(struct pd_config, dht_mode),
	  .help = "server answers queries, client only asks." },
	ROW("dht", "protocol", PD_CONFIG_STRING, "/ipfs/kad/1.0.0", 0, 0,
	    NULL, dht_protocol, RESTART, table_check_protocol,
	    "Kademlia protocol ID; e.g. /myapp/kad/1.0.0 for a private DHT."),
	ROW("dht", "bucket_size", PD_CONFIG_UINT, "20", 1, 64, "peers",
	    dht_bucket_size, RESTART, NULL,
	    "k: peers per routing-table bucket and per query reply."),
	ROW("dht", "refresh_interval", PD_CONFIG_DURATION, "10m", 1 * MS_M,
	    24 * MS_H, "ms", dht_refresh_interval, RESTART, NULL,
	    "Routing-table refresh period."),
	ROW("dht", "advertise", PD_CONFIG_LIST, "", 0, PD_CONFIG_MAX_LIST,
	    "namespaces", dht_advertise, LIVE, table_check_namespace,
	    "Namespaces advertised from start."),
	{ .section = "dht", .key = "diversity_filter", .type = PD_CONFIG_ENUM,
	  .def = "public", .choices = table_dht_diversity,
	  .offset = offsetof(struct pd_config, dht_diversity),
	  .help = "Routing-table IP diversity caps: public addresses only, "
	  "all, or off." },
	ROW("dht", "peer_request_rate", PD_CONFIG_UINT, "100", 0, 100000,
	    "requests/s", dht_peer_request_rate, RESTART, NULL,
	    "DHT requests one peer may make per second; 0: no limit."),

	ROW("mdns", "enabled", PD_CONFIG_BOOL, "yes", 0, 0, NULL,
	    mdns_enabled, LIVE, NULL,
	    "Discover and answer peers on the local network."),
	ROW("mdns", "interfaces", PD_CONFIG_LIST, "", 0, 32, "interfaces",
	    mdns_interfaces, LIVE, table_check_ifname,
	    "Interfaces used; empty: all up and multicast-capable except "
	    "loopback and point-to-point."),
	ROW("mdns", "deny_interfaces", PD_CONFIG_LIST, "", 0, 32,
	    "interfaces", mdns_deny_interfaces, LIVE, table_check_ifname,
	    "Interface names never used, even when listed in interfaces."),
	ROW("mdns", "interval", PD_CONFIG_DURATION, "10s", 1 * MS_S,
	    1 * MS_H, "ms", mdns_interval, RESTART, NULL,
	    "Query interval (jittered by 10%, after 3 fast queries)."),
	ROW("mdns", "service", PD_CONFIG_STRING, "_p2p._udp.local", 0, 0,
	    NULL, mdns_service, RESTART, table_check_service,
	    "DNS-SD service name queried and answered."),

	ROW("bootstrap", "enabled", PD_CONFIG_BOOL, "yes", 0, 0, NULL,
	    bootstrap_enabled, LIVE, NULL,
	    "Dial the bootstrap peers at start and when short of peers."),
	ROW("bootstrap", "peers", PD_CONFIG_MULTIADDR_LIST, "", 0,
	    PD_CONFIG_MAX_LIST, "addresses", bootstrap_peers, LIVE,
	    table_check_bootstrap,
	    "Multiaddrs ending in /p2p/ID; /dns4, /dns6, /dnsaddr resolved."),
	ROW("bootstrap", "nameserver", PD_CONFIG_STRING, "", 0, 0, NULL,
	    bootstrap_nameserver, RESTART, table_check_nameserver,
	    "DNS server for /dns and /dnsaddr, IP or IP:PORT; empty: "
	    "/etc/resolv.conf."),

	{ .section = "control", .key = "socket", .type = PD_CONFIG_PATH,
	  .def = "", .offset = offsetof(struct pd_config, control_socket),
	  .derived = true, .check = table_check_socket,
	  .help = "Control socket; empty: $RUNTIME_DIRECTORY/control.sock, "
	    "see peerdiscd(8)." },
	ROW("control", "socket_mode", PD_CONFIG_MODE, "0660", 0, 0777, NULL,
	    control_socket_mode, RESTART, NULL,
	    "Permissions of the control socket."),
	ROW("control", "admin_group", PD_CONFIG_STRING, "", 0, 0, NULL,
	    control_admin_group, RESTART, table_check_group,
	    "Group whose members may call mutating methods."),

	ROW("log", "level", PD_CONFIG_LOGLEVEL, "info", 0, 0, NULL,
	    log_level, LIVE, NULL,
	    "error, warn, info or debug."),
};

const size_t pd_config_table_len =
    sizeof(pd_config_table) / sizeof(pd_config_table[0]);
