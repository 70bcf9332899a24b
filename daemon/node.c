/*
 * node.c - the daemon's side of the engine: turn struct pd_config into a
 * pd_manager_config, start the manager, and log what happens to peers so
 * operators (and the interop tests) can follow connections, identify
 * results and dials in the journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include <event2/event.h>
#include <sodium.h>

#include <config.h>

#include "config.h"
#include "core/error.h"
#include "core/log.h"
#include "discovery/bootstrap.h"
#include "discovery/mdns.h"
#include "kad/dht.h"
#include "net/conn.h"
#include "net/pnet.h"
#include "node.h"
#include "peer/manager.h"

#define NODE_AGENT "peerdisc/" PACKAGE_VERSION
#define NODE_LOG_LIST_MAX 2048	/* chars of a logged list */

struct node {
	struct event_base *base;
	struct pd_manager *m;
	struct pd_event_sub *log_sub;
	struct pd_bootstrap *boot;
	struct pd_disc_mdns *mdns;	/* mDNS discovery */
	struct event *dht_watch;	/* re-bootstrap an empty DHT table */
	int64_t dht_watch_ms;		/* its back-off */
};

#define NODE_FD_RESERVE 32		/* descriptors kept from peers */
#define NODE_DHT_WATCH_MS 30000		/* first re-bootstrap delay */
#define NODE_DHT_WATCH_MAX_MS 600000	/* its cap */

/* Bootstrap peers of cfg (none when bootstrap.enabled = no). */
static int
node_set_bootstrap(struct node *n, const struct pd_config *cfg, char *why,
    size_t whylen)
{
	return pd_bootstrap_set_peers(n->boot,
	    (const char *const *)cfg->bootstrap_peers.items,
	    cfg->bootstrap_enabled ? cfg->bootstrap_peers.n : 0, why, whylen);
}

/* The [mdns] interface lists of cfg, live. */
static int
node_set_mdns_lists(struct node *n, const struct pd_config *cfg, char *why,
    size_t whylen)
{
	return pd_disc_mdns_set_interfaces(n->mdns,
	    (const char *const *)cfg->mdns_interfaces.items,
	    cfg->mdns_interfaces.n,
	    (const char *const *)cfg->mdns_deny_interfaces.items,
	    cfg->mdns_deny_interfaces.n, why, whylen);
}

/* mDNS discovery from [mdns] (the pnet fingerprint comes at start). */
static int
node_new_mdns(struct node *n, const struct pd_config *cfg, char *why,
    size_t whylen)
{
	struct pd_disc_mdns_config dc;

	memset(&dc, 0, sizeof(dc));
	dc.enabled = cfg->mdns_enabled;
	dc.service = cfg->mdns_service;
	dc.interval_ms = (int64_t)cfg->mdns_interval;
	dc.allow = (const char *const *)cfg->mdns_interfaces.items;
	dc.nallow = cfg->mdns_interfaces.n;
	dc.deny = (const char *const *)cfg->mdns_deny_interfaces.items;
	dc.ndeny = cfg->mdns_deny_interfaces.n;
	if (pd_disc_mdns_new(n->base, &dc, &n->mdns, why, whylen) < 0)
		return -1;
	if (pd_manager_add_discovery(n->m, pd_disc_mdns_ops(), n->mdns) < 0) {
		snprintf(why, whylen, "too many discoveries");
		return -1;
	}
	return 0;
}

/*
 * The DHT routing table fell to zero while bootstrap peers are known: run
 * bootstrap again (the connection count may not be zero, so its own
 * re-run does not fire; go-libp2p-kad-dht#387), backing off to 10 min.
 */
static void
node_dht_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	struct pd_kad_dht *d = pd_manager_dht(n->m);
	struct timeval tv;

	(void)fd;
	(void)what;
	if (d != NULL && pd_kad_rt_size(pd_kad_dht_rt(d)) == 0 &&
	    pd_bootstrap_count(n->boot, NULL) > 0) {
		PD_LOG_INFO("DHT routing table empty: running bootstrap again");
		(void)pd_bootstrap_run(n->boot);
		n->dht_watch_ms = n->dht_watch_ms * 2 > NODE_DHT_WATCH_MAX_MS ?
		    NODE_DHT_WATCH_MAX_MS : n->dht_watch_ms * 2;
	} else {
		n->dht_watch_ms = NODE_DHT_WATCH_MS;
	}
	tv.tv_sec = n->dht_watch_ms / 1000;
	tv.tv_usec = 0;
	evtimer_add(n->dht_watch, &tv);
}

/* Append ' x' to a bounded list text (escaping untrusted items). */
static void node_conn_policy(struct pd_manager_config *mc,
    const struct pd_config *cfg);

static void
node_list_add(char *out, size_t outlen, const char *item, int escape)
{
	char esc[4 * PD_LOG_ESCAPE_MAX + 8];
	size_t used = strlen(out);

	if (escape)
		pd_log_escape(item, strlen(item), esc, sizeof(esc));
	else
		snprintf(esc, sizeof(esc), "%s", item);
	if (used + strlen(esc) + 4 < outlen)
		snprintf(out + used, outlen - used, "%s%s", used > 1 ? " " :
		    "", esc);
}

static void
node_fmt_addr(const struct pd_multiaddr *ma, char *out, size_t outlen)
{
	if (ma == NULL || pd_multiaddr_format(ma, out, outlen) < 0)
		snprintf(out, outlen, "-");
}

static void
node_log_identified(const struct pd_event *ev, const char *peer)
{
	char agent[4 * PD_LOG_ESCAPE_MAX + 4], pv[4 * PD_LOG_ESCAPE_MAX + 4];
	char protos[NODE_LOG_LIST_MAX] = "[", addrs[NODE_LOG_LIST_MAX] = "[";
	char observed[PD_MULTIADDR_MAX_TEXT + 1], ma[PD_MULTIADDR_MAX_TEXT + 1];
	const char *a = ev->agent != NULL ? ev->agent : "";
	const char *v = ev->protocol_version != NULL ? ev->protocol_version :
	    "";

	pd_log_escape(a, strlen(a), agent, sizeof(agent));
	pd_log_escape(v, strlen(v), pv, sizeof(pv));
	for (size_t i = 0; i < ev->nprotocols; i++)
		node_list_add(protos, sizeof(protos), ev->protocols[i], 1);
	for (size_t i = 0; i < ev->nlisten; i++)
		if (pd_multiaddr_format(&ev->listen_addrs[i], ma,
		    sizeof(ma)) >= 0)
			node_list_add(addrs, sizeof(addrs), ma, 0);
	strncat(protos, "]", sizeof(protos) - strlen(protos) - 1);
	strncat(addrs, "]", sizeof(addrs) - strlen(addrs) - 1);
	node_fmt_addr(ev->observed, observed, sizeof(observed));
	PD_LOG_INFO("identified %s: agent=\"%s\" protocol_version=\"%s\" "
	    "observed=%s signed_record=%s protocols=%s listen_addrs=%s",
	    peer, agent, pv, observed, ev->signed_record ? "yes" : "no",
	    protos, addrs);
}

static void
node_event_cb(const struct pd_event *ev, void *arg)
{
	char peer[PD_PEERID_TEXT_MAX], addr[PD_MULTIADDR_MAX_TEXT + 1];
	char why[4 * PD_LOG_ESCAPE_MAX + 4];

	(void)arg;
	pd_peerid_format(ev->peer, peer, sizeof(peer));
	switch (ev->type) {
	case PD_EVENT_PEER_CONNECTED:
		node_fmt_addr(ev->addr, addr, sizeof(addr));
		PD_LOG_INFO("connected %s %s at %s", ev->inbound ? "inbound" :
		    "outbound", peer, addr);
		break;
	case PD_EVENT_PEER_DISCONNECTED:
		node_fmt_addr(ev->addr, addr, sizeof(addr));
		pd_log_escape(ev->reason, strlen(ev->reason), why,
		    sizeof(why));
		PD_LOG_INFO("disconnected %s at %s: %s", peer, addr, why);
		break;
	case PD_EVENT_PEER_IDENTIFIED:
		node_log_identified(ev, peer);
		break;
	case PD_EVENT_PEER_DISCOVERED:
		PD_LOG_DEBUG("discovered %s (%s, %zu addresses)", peer,
		    ev->source, ev->naddrs);
		break;
	default:
		break;
	}
}

static void
node_dial_cb(int result, const struct pd_peerid *id, const char *why,
    void *arg)
{
	char *addr = arg;
	char peer[PD_PEERID_TEXT_MAX];

	if (result == 0) {
		pd_peerid_format(id, peer, sizeof(peer));
		PD_LOG_INFO("dial %s: connected to %s", addr, peer);
	} else {
		PD_LOG_WARN("dial %s failed: %s", addr, why);
	}
	free(addr);
}

int
node_dial(struct node *n, const char *addr, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	char *copy;
	int r;

	if (pd_multiaddr_parse(addr, &ma, why, whylen) < 0)
		return -1;
	if ((copy = strdup(addr)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((r = pd_manager_connect(n->m, NULL, &ma, node_dial_cb,
	    copy)) < 0) {
		snprintf(why, whylen, "%s", pd_strerror(r));
		free(copy);
		return -1;
	}
	return 0;
}

/* Read and parse the pnet key file named by node.private_network. */
static int
node_read_psk(const char *path, uint8_t psk[PD_PNET_PSK_LEN], char **cause)
{
	uint8_t buf[PD_PNET_MAX_FILE + 1];
	char why[256];
	ssize_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) < 0)
			*cause = NULL;
		return -1;
	}
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0 || pd_pnet_psk_parse(buf, (size_t)len, psk, why,
	    sizeof(why)) < 0) {
		if (asprintf(cause, "%s: %s", path, len < 0 ? strerror(errno) :
		    why) < 0)
			*cause = NULL;
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static void
node_protected(struct pd_manager_config *mc, const struct pd_config *cfg)
{
	mc->nprotected = 0;
	for (size_t i = 0; i < cfg->peers_protected.n &&
	    mc->nprotected < PD_MANAGER_MAX_PROTECTED; i++) {
		const char *s = cfg->peers_protected.items[i];

		if (pd_peerid_parse(s, strlen(s),
		    &mc->protected_ids[mc->nprotected]) == 0)
			mc->nprotected++;
	}
}

/* struct pd_config → struct pd_manager_config (values checked by config.c). */
static int
node_manager_config(struct pd_manager_config *mc, const struct pd_config *cfg,
    const struct pd_privkey *key, char **cause)
{
	char why[256];

	memset(mc, 0, sizeof(*mc));
	mc->key = *key;
	mc->agent = NODE_AGENT;
	for (size_t i = 0; i < cfg->node_listen.n; i++) {
		if (mc->nlisten == PD_MANAGER_MAX_LISTEN ||
		    pd_multiaddr_parse(cfg->node_listen.items[i],
		    &mc->listen[mc->nlisten], why, sizeof(why)) < 0) {
			if (asprintf(cause, "node.listen %s: %s",
			    cfg->node_listen.items[i],
			    mc->nlisten == PD_MANAGER_MAX_LISTEN ?
			    "too many addresses" : why) < 0)
				*cause = NULL;
			return -1;
		}
		mc->nlisten++;
	}
	for (size_t i = 0; i < cfg->node_announce.n &&
	    mc->nannounce < PD_MANAGER_MAX_ANNOUNCE; i++)
		if (pd_multiaddr_parse(cfg->node_announce.items[i],
		    &mc->announce[mc->nannounce], NULL, 0) == 0)
			mc->nannounce++;
	if (cfg->node_private_network[0] != '\0') {
		if (node_read_psk(cfg->node_private_network, mc->psk, cause) < 0)
			return -1;
		mc->has_psk = 1;
	}
	mc->connection_timeout_ms = (int)cfg->peers_connection_timeout;
	node_conn_policy(mc, cfg);
	mc->store_max = cfg->peers_store_max;
	mc->store_file = cfg->peers_store_file;
	mc->save_interval_ms = (int64_t)cfg->peers_save_interval;
	node_protected(mc, cfg);
	mc->dht_enabled = cfg->dht_enabled;
	mc->dht_server = cfg->dht_mode == PD_CONFIG_DHT_SERVER;
	mc->dht_protocol = cfg->dht_protocol;
	mc->dht_k = cfg->dht_bucket_size;
	mc->dht_refresh_ms = (int64_t)cfg->dht_refresh_interval;
	mc->dht_diversity = cfg->dht_diversity;
	mc->dht_rate = cfg->dht_peer_request_rate;
	return 0;
}

/* The connection-policy keys of [peers], as the manager takes them. */
/*
 * Keep descriptors for the control socket, the store and discovery: a
 * flood of inbound connections may use the descriptor limit minus
 * NODE_FD_RESERVE at most, so max_inbound is lowered to fit (logged once
 * per value) and the control socket always has a descriptor left.
 */
static void
node_fd_budget(struct pd_manager_config *mc)
{
	static unsigned logged;
	struct rlimit rl;
	rlim_t avail, in;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	avail = rl.rlim_cur > NODE_FD_RESERVE + 1 ?
	    rl.rlim_cur - NODE_FD_RESERVE : 1;
	in = mc->max_inbound > 0 ? mc->max_inbound : mc->max_peers;
	if (in <= avail)
		return;
	mc->max_inbound = (unsigned)avail;
	if (logged != mc->max_inbound) {
		PD_LOG_WARN("descriptor limit %llu: inbound connections capped "
		    "at %u (peers.max_inbound) to keep %d for the control socket "
		    "and the store", (unsigned long long)rl.rlim_cur,
		    mc->max_inbound, NODE_FD_RESERVE);
		logged = mc->max_inbound;
	}
}

static void
node_conn_policy(struct pd_manager_config *mc, const struct pd_config *cfg)
{
	mc->max_peers = cfg->peers_max_peers;
	mc->min_peers = cfg->peers_min_peers;
	/* 0 means "no grace" here, "the default" to the manager. */
	mc->grace_ms = cfg->peers_grace_period > 0 ?
	    (int64_t)cfg->peers_grace_period : 1;
	mc->retry_ms = (int64_t)cfg->peers_retry_interval;
	mc->max_per_ip = cfg->peers_max_per_ip;
	mc->max_inbound = cfg->peers_max_inbound;
	mc->inbound_rate_per_ip = cfg->peers_inbound_rate_per_ip;
	mc->rate_limit_loopback = cfg->peers_rate_limit_loopback;
	mc->dial_max_inflight = cfg->peers_dial_max_inflight;
	mc->dial_per_minute = cfg->peers_dial_per_minute;
	node_fd_budget(mc);
}

struct node *
node_new(struct event_base *base, const struct pd_config *cfg,
    const struct pd_privkey *key, char **cause)
{
	struct node *n;
	struct pd_manager_config *mc;
	struct pd_multiaddr bound[PD_MANAGER_MAX_LISTEN];
	char why[512], text[PD_MULTIADDR_MAX_TEXT + 1];
	char peer[PD_PEERID_TEXT_MAX];
	size_t nb;

	*cause = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (mc = calloc(1, sizeof(*mc))) == NULL) {
		free(n);
		if (asprintf(cause, "out of memory") < 0)
			*cause = NULL;
		return NULL;
	}
	n->base = base;
	if (node_manager_config(mc, cfg, key, cause) < 0)
		goto fail;
	n->m = pd_manager_new(base, mc);
	if (n->m == NULL) {
		if (asprintf(cause, "out of memory") < 0)
			*cause = NULL;
		goto fail;
	}
	n->log_sub = pd_manager_on_event(n->m, PD_EVENT_MASK_ALL,
	    node_event_cb, n);
	{
		struct pd_bootstrap_config bc;

		memset(&bc, 0, sizeof(bc));
		bc.nameserver = cfg->bootstrap_nameserver[0] != '\0' ?
		    cfg->bootstrap_nameserver : NULL;
		if (pd_bootstrap_new(base, &bc, &n->boot, why,
		    sizeof(why)) < 0 ||
		    node_set_bootstrap(n, cfg, why, sizeof(why)) < 0 ||
		    pd_manager_add_discovery(n->m, pd_bootstrap_ops(),
		    n->boot) < 0) {
			if (asprintf(cause, "bootstrap: %s", why) < 0)
				*cause = NULL;
			goto fail;
		}
	}
	if (node_new_mdns(n, cfg, why, sizeof(why)) < 0) {
		if (asprintf(cause, "mdns: %s", why) < 0)
			*cause = NULL;
		goto fail;
	}
	if (pd_manager_dht(n->m) != NULL &&
	    (n->dht_watch = evtimer_new(base, node_dht_watch_cb, n)) != NULL) {
		struct timeval tv = { NODE_DHT_WATCH_MS / 1000, 0 };

		n->dht_watch_ms = NODE_DHT_WATCH_MS;
		evtimer_add(n->dht_watch, &tv);
	}
	if (pd_manager_start(n->m, why, sizeof(why)) < 0) {
		if (asprintf(cause, "%s", why) < 0)
			*cause = NULL;
		goto fail;
	}
	for (size_t i = 0; i < cfg->dht_advertise.n &&
	    pd_manager_dht(n->m) != NULL; i++)
		if (pd_manager_advertise(n->m, cfg->dht_advertise.items[i]) < 0)
			PD_LOG_WARN("dht.advertise %s: cannot advertise",
			    cfg->dht_advertise.items[i]);
	pd_peerid_format(pd_manager_peer_id(n->m), peer, sizeof(peer));
	nb = pd_net_listen_addrs(pd_manager_net(n->m), bound,
	    PD_MANAGER_MAX_LISTEN);
	for (size_t i = 0; i < nb; i++)
		if (pd_multiaddr_format(&bound[i], text, sizeof(text)) >= 0)
			PD_LOG_INFO("listening on %s/p2p/%s", text, peer);
	pd_privkey_clear(&mc->key);
	sodium_memzero(mc->psk, sizeof(mc->psk));
	free(mc);
	return n;
fail:
	pd_privkey_clear(&mc->key);
	sodium_memzero(mc->psk, sizeof(mc->psk));
	free(mc);
	node_free(n);
	return NULL;
}

struct pd_bootstrap *
node_bootstrap(const struct node *n)
{
	return n->boot;
}

struct pd_disc_mdns *
node_mdns(const struct node *n)
{
	return n->mdns;
}

struct pd_manager *
node_manager(const struct node *n)
{
	return n->m;
}

void
node_apply_config(struct node *n, const struct pd_config *cfg)
{
	struct pd_manager_config *mc;

	pd_manager_set_limits(n->m, cfg->peers_max_peers, cfg->peers_min_peers,
	    cfg->peers_store_max);
	pd_manager_set_connection_timeout(n->m,
	    (int)cfg->peers_connection_timeout);
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return;
	node_conn_policy(mc, cfg);
	pd_manager_set_conn_policy(n->m, mc);
	{
		char why[256];

		if (node_set_bootstrap(n, cfg, why, sizeof(why)) < 0)
			PD_LOG_WARN("bootstrap.peers not applied: %s", why);
		if (node_set_mdns_lists(n, cfg, why, sizeof(why)) < 0)
			PD_LOG_WARN("mdns interface lists not applied: %s",
			    why);
		if (pd_disc_mdns_set_enabled(n->mdns, cfg->mdns_enabled) < 0)
			PD_LOG_WARN("mdns.enabled not applied: out of memory");
	}
	node_protected(mc, cfg);
	pd_manager_set_protected(n->m, mc->protected_ids, mc->nprotected);
	free(mc);
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	if (n->dht_watch != NULL)
		event_free(n->dht_watch);
	pd_manager_free(n->m);
	pd_bootstrap_free(n->boot);
	pd_disc_mdns_free(n->mdns);
	free(n);
}
