/*
 * rpc-methods.c - the control methods: each turns a request into calls on
 * the manager and its answer into JSON (the OpenNTPD build_show_* idea:
 * internal structs never leak onto the wire as they are).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base.h"
#include "core/error.h"
#include "core/log.h"
#include "kad/dht.h"
#include "net/conn.h"
#include "core/time.h"
#include "discovery/bootstrap.h"
#include "discovery/mdns.h"
#include "peer/connmgr.h"
#include "peer/manager.h"
#include "rpc-methods.h"

#define RPC_LIST_DEFAULT_LIMIT 1000
#define RPC_LIST_MAX_LIMIT 100000
#define RPC_ADD_MAX_ADDRS 16
#define RPC_MAX_TAG 64

static struct rpc_daemon *
rpc_daemon(struct rpc_ctx *ctx)
{
	return rpc_ctx_arg(ctx);
}

static json_t *
rpc_peerid_json(const struct pd_peerid *id)
{
	char text[PD_PEERID_TEXT_MAX];

	if (pd_peerid_format(id, text, sizeof(text)) < 0)
		return json_null();
	return json_string(text);
}

static json_t *
rpc_multiaddr_json(const struct pd_multiaddr *ma)
{
	char text[PD_MULTIADDR_MAX_TEXT + 1];

	if (pd_multiaddr_format(ma, text, sizeof(text)) < 0)
		return json_null();
	return json_string(text);
}

json_t *
rpc_peer_json(const struct pd_peer *p)
{
	json_t *o = json_object(), *addrs = json_array(), *sources = json_array();
	json_t *protos = json_array(), *tags = json_array();
	struct pd_multiaddr ma;

	for (size_t i = 0; i < p->naddrs; i++)
		if (pd_store_addr_get(p, i, &ma) == 0)
			json_array_append_new(addrs, rpc_multiaddr_json(&ma));
	for (unsigned bit = 1; bit & PD_SOURCE_ALL; bit <<= 1)
		if (p->sources & bit)
			json_array_append_new(sources,
			    json_string(pd_store_source_name(bit)));
	for (size_t i = 0; i < p->nprotocols; i++)
		json_array_append_new(protos, json_string(p->protocols[i]));
	for (size_t i = 0; i < p->ntags; i++)
		json_array_append_new(tags, json_string(p->tags[i]));
	if (p->conf_protected)
		json_array_append_new(tags, json_string("config"));
	json_object_set_new(o, "id", json_string(pd_store_id_text(p)));
	json_object_set_new(o, "addrs", addrs);
	json_object_set_new(o, "connected", json_boolean(p->connected));
	json_object_set_new(o, "direction",
	    json_string(pd_store_dir_name(p->direction)));
	json_object_set_new(o, "sources", sources);
	json_object_set_new(o, "protocols", protos);
	json_object_set_new(o, "agent", p->agent != NULL ?
	    json_string(p->agent) : json_null());
	json_object_set_new(o, "latency_ms", p->latency_us > 0 ?
	    json_real(p->latency_us / 1000.0) : json_null());
	json_object_set_new(o, "score", json_integer(p->score));
	json_object_set_new(o, "protected",
	    json_boolean(pd_store_is_protected(p)));
	json_object_set_new(o, "protect_tags", tags);
	json_object_set_new(o, "first_seen", json_integer(p->first_seen));
	json_object_set_new(o, "last_seen", json_integer(p->last_seen));
	json_object_set_new(o, "dial_failures",
	    json_integer(p->dial_failures));
	json_object_set_new(o, "next_dial", json_integer(p->next_dial));
	if (p->last_error[0] != '\0')
		json_object_set_new(o, "last_error",
		    json_string(p->last_error));
	return o;
}

json_t *
rpc_event_json(const struct pd_event *ev)
{
	json_t *o = json_object(), *a;

	json_object_set_new(o, "type",
	    json_string(pd_event_type_name(ev->type)));
	json_object_set_new(o, "peer", rpc_peerid_json(ev->peer));
	switch (ev->type) {
	case PD_EVENT_PEER_DISCOVERED:
		a = json_array();
		for (size_t i = 0; i < ev->naddrs; i++)
			json_array_append_new(a,
			    rpc_multiaddr_json(&ev->addrs[i]));
		json_object_set_new(o, "addrs", a);
		json_object_set_new(o, "source", json_string(ev->source ?
		    ev->source : "manual"));
		break;
	case PD_EVENT_PEER_CONNECTED:
		json_object_set_new(o, "direction",
		    json_string(ev->inbound ? "inbound" : "outbound"));
		json_object_set_new(o, "addr", ev->addr != NULL ?
		    rpc_multiaddr_json(ev->addr) : json_null());
		break;
	case PD_EVENT_PEER_DISCONNECTED:
		json_object_set_new(o, "reason",
		    json_string(ev->reason ? ev->reason : ""));
		break;
	case PD_EVENT_PEER_IDENTIFIED:
		a = json_array();
		for (size_t i = 0; i < ev->nprotocols; i++)
			json_array_append_new(a, json_string(ev->protocols[i]));
		json_object_set_new(o, "agent", ev->agent != NULL ?
		    json_string(ev->agent) : json_null());
		json_object_set_new(o, "protocols", a);
		break;
	default:
		break;
	}
	return o;
}

/* The "peer" param as a peer ID; replies -32602 itself on failure. */
static int
rpc_param_peer(struct rpc_ctx *ctx, json_t *params, const char *key,
    int required, struct pd_peerid *ret_id, int *ret_present)
{
	json_t *v = params != NULL ? json_object_get(params, key) : NULL;
	const char *s;

	*ret_present = 0;
	if (v == NULL || json_is_null(v)) {
		if (required)
			rpc_reply_error(ctx, RPC_INVALID_PARAMS,
			    "missing \"%s\" (a peer ID)", key);
		return required ? -1 : 0;
	}
	if (!json_is_string(v)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"%s\" must be a string", key);
		return -1;
	}
	s = json_string_value(v);
	if (pd_peerid_parse(s, json_string_length(v), ret_id) < 0) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"%s\" is not a peer ID", key);
		return -1;
	}
	*ret_present = 1;
	return 0;
}

static int
rpc_param_addr(struct rpc_ctx *ctx, json_t *v, struct pd_multiaddr *ret_ma)
{
	char why[160];

	if (!json_is_string(v)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "addresses must be strings");
		return -1;
	}
	if (pd_multiaddr_parse_n(json_string_value(v), json_string_length(v),
	    ret_ma, why, sizeof(why)) < 0) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS, "bad address: %s",
		    why);
		return -1;
	}
	return 0;
}

/* Optional boolean/integer params with type checks. */
static int
rpc_param_bool(struct rpc_ctx *ctx, json_t *params, const char *key,
    int def, int *ret)
{
	json_t *v = params != NULL ? json_object_get(params, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_boolean(v)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"%s\" must be true or false", key);
		return -1;
	}
	*ret = json_is_true(v);
	return 0;
}

static int
rpc_param_uint(struct rpc_ctx *ctx, json_t *params, const char *key,
    long long def, long long max, long long *ret)
{
	json_t *v = params != NULL ? json_object_get(params, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"%s\" must be an integer from 0 to %lld", key, max);
		return -1;
	}
	*ret = json_integer_value(v);
	return 0;
}

static void
rpc_node_info(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct rpc_daemon *d = rpc_daemon(ctx);
	struct pd_manager *m = d->m;
	const struct pd_manager_config *cfg = pd_manager_config(m);
	struct pd_multiaddr addrs[PD_NET_MAX_LISTENERS];
	size_t n = pd_net_listen_addrs(pd_manager_net(m), addrs,
	    PD_NET_MAX_LISTENERS);
	json_t *o = json_object(), *la = json_array(), *aa = json_array();
	json_t *dht = json_object(), *mdns = json_object(), *boot = json_object();

	(void)params;
	(void)arg;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(la, rpc_multiaddr_json(&addrs[i]));
	for (size_t i = 0; i < cfg->nannounce; i++)
		json_array_append_new(aa, rpc_multiaddr_json(&cfg->announce[i]));
	if (cfg->nannounce == 0)
		json_array_extend(aa, la);
	json_object_set_new(o, "peer_id", rpc_peerid_json(pd_manager_peer_id(m)));
	json_object_set_new(o, "agent", json_string(cfg->agent));
	json_object_set_new(o, "version", json_string(d->version));
	json_object_set_new(o, "listen_addrs", la);
	json_object_set_new(o, "announce_addrs", aa);
	json_object_set_new(o, "uptime_s", json_integer((pd_manager_now() -
	    pd_manager_started_at(m)) / 1000));
	json_object_set_new(o, "connections",
	    json_integer((json_int_t)pd_manager_conn_count(m, NULL, NULL)));
	json_object_set_new(o, "peers_known",
	    json_integer((json_int_t)pd_store_count(pd_manager_store(m))));
	if (pd_manager_dht(m) != NULL) {
		struct pd_kad_dht *kd = pd_manager_dht(m);

		json_object_set_new(dht, "mode", json_string(
		    pd_kad_dht_server(kd) ? "server" : "client"));
		json_object_set_new(dht, "protocol",
		    json_string(pd_kad_dht_protocol(kd)));
		json_object_set_new(dht, "routing_table_size", json_integer(
		    (json_int_t)pd_kad_rt_size(pd_kad_dht_rt(kd))));
		json_object_set_new(dht, "available", json_true());
	} else {
		json_object_set_new(dht, "mode", json_null());
		json_object_set_new(dht, "protocol", json_null());
		json_object_set_new(dht, "routing_table_size", json_integer(0));
		json_object_set_new(dht, "available", json_false());
	}
	if (d->mdns != NULL) {
		char names[PD_MDNS_MAX_IFACES][IFNAMSIZ];
		size_t ni = pd_disc_mdns_interfaces(d->mdns, names,
		    PD_MDNS_MAX_IFACES);
		json_t *ifs = json_array();

		for (size_t i = 0; i < ni; i++)
			json_array_append_new(ifs, json_string(names[i]));
		json_object_set_new(mdns, "enabled",
		    json_boolean(pd_disc_mdns_enabled(d->mdns)));
		json_object_set_new(mdns, "available", json_true());
		json_object_set_new(mdns, "interfaces", ifs);
		json_object_set_new(mdns, "service",
		    json_string(pd_disc_mdns_service(d->mdns)));
	} else {
		json_object_set_new(mdns, "enabled", json_false());
		json_object_set_new(mdns, "available", json_false());
		json_object_set_new(mdns, "interfaces", json_array());
	}
	if (rpc_daemon(ctx)->boot != NULL) {
		size_t nconn = 0, ncfg = pd_bootstrap_count(rpc_daemon(ctx)->boot,
		    &nconn);

		json_object_set_new(boot, "configured",
		    json_integer((json_int_t)ncfg));
		json_object_set_new(boot, "connected",
		    json_integer((json_int_t)nconn));
		json_object_set_new(boot, "available", json_true());
	} else {
		json_object_set_new(boot, "configured", json_integer(0));
		json_object_set_new(boot, "connected", json_integer(0));
		json_object_set_new(boot, "available", json_false());
	}
	json_object_set_new(o, "dht", dht);
	json_object_set_new(o, "mdns", mdns);
	json_object_set_new(o, "bootstrap", boot);
	rpc_reply_result(ctx, o);
}

static void
rpc_peers_list(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_store *store = pd_manager_store(rpc_daemon(ctx)->m);
	json_t *peers, *o;
	struct pd_peer *p, *tmp;
	long long limit, offset;
	int connected_only;
	size_t total = 0;

	(void)arg;
	if (rpc_param_bool(ctx, params, "connected_only", 1,
	    &connected_only) < 0 || rpc_param_uint(ctx, params, "limit",
	    RPC_LIST_DEFAULT_LIMIT, RPC_LIST_MAX_LIMIT, &limit) < 0 ||
	    rpc_param_uint(ctx, params, "offset", 0, PD_STORE_MAX_ENTRIES,
	    &offset) < 0)
		return;
	peers = json_array();
	PD_STORE_FOREACH_SAFE(p, tmp, store) {
		if (connected_only && !p->connected)
			continue;
		/* offset pages through the store in its (insertion) order */
		if ((long long)total++ < offset)
			continue;
		if ((long long)json_array_size(peers) < limit)
			json_array_append_new(peers, rpc_peer_json(p));
	}
	o = json_object();
	json_object_set_new(o, "peers", peers);
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	rpc_reply_result(ctx, o);
}

static void
rpc_peers_get(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_peerid id;
	struct pd_peer *p;
	struct pd_connmgr *cm;
	struct pd_connmgr_score sc;
	json_t *o, *parts;
	unsigned fails;
	int64_t next;
	int present;

	(void)arg;
	if (rpc_param_peer(ctx, params, "peer", 1, &id, &present) < 0)
		return;
	if ((p = pd_store_get(pd_manager_store(rpc_daemon(ctx)->m), &id)) ==
	    NULL) {
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND, "no such peer");
		return;
	}
	o = rpc_peer_json(p);
	/* The connection manager's view: score parts, back-off. */
	cm = pd_manager_connmgr(rpc_daemon(ctx)->m);
	(void)pd_connmgr_score(cm, &id, &sc);
	parts = json_pack("{s:i,s:b,s:i,s:i,s:i,s:i,s:i}", "total", sc.total,
	    "protected", sc.protected, "tags", sc.tags, "bootstrap",
	    sc.bootstrap, "dht", sc.dht, "latency", sc.latency, "failures",
	    sc.failures);
	if (parts != NULL)
		json_object_set_new(o, "score_parts", parts);
	json_object_set_new(o, "score", json_integer(sc.total));
	if (pd_connmgr_backoff(cm, &id, &fails, &next) == 0) {
		int64_t mono = pd_time_mono_ms();

		json_object_set_new(o, "dial_failures", json_integer(fails));
		json_object_set_new(o, "next_dial", json_integer(next > mono ?
		    pd_manager_now() + (next - mono) : 0));
	}
	rpc_reply_result(ctx, o);
}

static void
rpc_peers_add(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_manager *m = rpc_daemon(ctx)->m;
	struct pd_multiaddr addrs[RPC_ADD_MAX_ADDRS];
	struct pd_peerid id;
	json_t *a = params != NULL ? json_object_get(params, "addrs") : NULL;
	long long ttl_s;
	size_t n = 0;
	int present, r;

	(void)arg;
	if (rpc_param_peer(ctx, params, "peer", 1, &id, &present) < 0 ||
	    rpc_param_uint(ctx, params, "ttl_s", 0, 10ll * 365 * 86400,
	    &ttl_s) < 0)
		return;
	if (a != NULL && !json_is_array(a)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"addrs\" must be an array of multiaddrs");
		return;
	}
	if (a != NULL && json_array_size(a) > RPC_ADD_MAX_ADDRS) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "at most %d addresses", RPC_ADD_MAX_ADDRS);
		return;
	}
	for (size_t i = 0; a != NULL && i < json_array_size(a); i++) {
		const uint8_t *mh;
		size_t mhlen;
		struct pd_peerid aid;

		if (rpc_param_addr(ctx, json_array_get(a, i), &addrs[n]) < 0)
			return;
		if (pd_multiaddr_peer_id(&addrs[n], &mh, &mhlen) == 0 &&
		    (pd_peerid_from_bytes(mh, mhlen, &aid) < 0 ||
		    !pd_peerid_equal(&aid, &id))) {
			rpc_reply_error(ctx, RPC_INVALID_PARAMS,
			    "address %zu names another peer", i);
			return;
		}
		n++;
	}
	r = pd_manager_add_peer(m, &id, addrs, n, ttl_s * 1000,
	    PD_SOURCE_MANUAL);
	if (r == PD_ERR_PEER_LIMIT)
		rpc_reply_error(ctx, RPC_PEER_LIMIT_REACHED,
		    "the peer store is full of connected or protected peers");
	else if (r == PD_ERR_INVAL)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "that is this node's own peer ID");
	else if (r < 0)
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "%s", pd_strerror(r));
	else
		rpc_reply_result(ctx, rpc_peer_json(pd_store_get(
		    pd_manager_store(m), &id)));
}

/* peers.connect completes later; the context waits in the callback. */
static void
rpc_connect_cb(int result, const struct pd_peerid *id, const char *why,
    void *arg)
{
	struct rpc_ctx *ctx = arg;
	struct pd_peer *p;

	if (result == 0) {
		p = pd_store_get(pd_manager_store(rpc_daemon(ctx)->m), id);
		if (p != NULL)
			rpc_reply_result(ctx, rpc_peer_json(p));
		else
			rpc_reply_error(ctx, RPC_INTERNAL_ERROR,
			    "connected, but the peer store is full");
	} else if (result == PD_ERR_TIMEOUT) {
		rpc_reply_error(ctx, RPC_TIMEOUT, "%s", why);
	} else {
		rpc_reply_error(ctx, RPC_DIAL_FAILED, "%s", why);
	}
}

static void
rpc_peers_connect(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_manager *m = rpc_daemon(ctx)->m;
	struct pd_peerid id;
	struct pd_multiaddr ma;
	json_t *a = params != NULL ? json_object_get(params, "addr") : NULL;
	int has_id, r;

	(void)arg;
	if (rpc_param_peer(ctx, params, "peer", 0, &id, &has_id) < 0)
		return;
	if (a != NULL && rpc_param_addr(ctx, a, &ma) < 0)
		return;
	if (!has_id && a == NULL) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "give \"peer\", \"addr\" or both");
		return;
	}
	r = pd_manager_connect(m, has_id ? &id : NULL, a != NULL ? &ma : NULL,
	    rpc_connect_cb, ctx);
	if (r == PD_ERR_PEER_LIMIT)
		rpc_reply_error(ctx, RPC_PEER_LIMIT_REACHED,
		    "%u connections (peers.max_peers)",
		    pd_manager_config(m)->max_peers);
	else if (r == PD_ERR_PEER_NOT_FOUND)
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND,
		    "no known address for that peer");
	else if (r == PD_ERR_INVAL)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "cannot connect to this node itself");
	else if (r < 0)
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "%s", pd_strerror(r));
}

static void
rpc_peers_disconnect(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_peerid id;
	int present;

	(void)arg;
	if (rpc_param_peer(ctx, params, "peer", 1, &id, &present) < 0)
		return;
	if (pd_manager_disconnect(rpc_daemon(ctx)->m, &id) < 0)
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND, "not connected");
	else
		rpc_reply_result(ctx, json_object());
}

static void
rpc_peers_protect_common(struct rpc_ctx *ctx, json_t *params, int on)
{
	struct pd_manager *m = rpc_daemon(ctx)->m;
	struct pd_peerid id;
	json_t *t = params != NULL ? json_object_get(params, "tag") : NULL;
	const char *tag = "manual";
	int present, r;

	if (rpc_param_peer(ctx, params, "peer", 1, &id, &present) < 0)
		return;
	if (t != NULL && (!json_is_string(t) || json_string_length(t) == 0 ||
	    json_string_length(t) > RPC_MAX_TAG)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"tag\" must be a string of 1 to %d bytes", RPC_MAX_TAG);
		return;
	}
	if (t != NULL)
		tag = json_string_value(t);
	r = on ? pd_manager_protect(m, &id, tag) :
	    pd_manager_unprotect(m, &id, tag);
	if (r == PD_ERR_PEER_NOT_FOUND || r == PD_ERR_NOT_FOUND)
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND,
		    r == PD_ERR_NOT_FOUND ? "the peer has no such tag" :
		    "no such peer");
	else if (r == PD_ERR_PEER_LIMIT)
		rpc_reply_error(ctx, RPC_PEER_LIMIT_REACHED,
		    "the peer store is full");
	else if (r == PD_ERR_INVAL || r == PD_ERR_OVERFLOW)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS, "%s",
		    r == PD_ERR_OVERFLOW ? "too many tags on this peer" :
		    "bad tag");
	else if (r < 0)
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "%s", pd_strerror(r));
	else
		rpc_reply_result(ctx, json_object());
}

static void
rpc_peers_protect(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)arg;
	rpc_peers_protect_common(ctx, params, 1);
}

static void
rpc_peers_unprotect(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	(void)arg;
	rpc_peers_protect_common(ctx, params, 0);
}

static void
rpc_conn_stats(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_manager *m = rpc_daemon(ctx)->m;
	const struct pd_manager_config *cfg = pd_manager_config(m);
	size_t in, out, n = pd_manager_conn_count(m, &in, &out);
	json_t *o = json_object();
	struct pd_connmgr_budget b;

	(void)params;
	(void)arg;
	json_object_set_new(o, "count", json_integer((json_int_t)n));
	json_object_set_new(o, "inbound", json_integer((json_int_t)in));
	json_object_set_new(o, "outbound", json_integer((json_int_t)out));
	json_object_set_new(o, "max_peers", json_integer(cfg->max_peers));
	json_object_set_new(o, "min_peers", json_integer(cfg->min_peers));
	json_object_set_new(o, "dialing",
	    json_integer((json_int_t)pd_manager_dialing(m)));
	json_object_set_new(o, "queued",
	    json_integer((json_int_t)pd_manager_queued(m)));
	pd_connmgr_budget(pd_manager_connmgr(m), pd_time_mono_ms(), &b);
	json_object_set_new(o, "budget", json_pack("{s:i,s:i,s:i,s:i,s:I}",
	    "in_flight", (int)b.dialing, "max_in_flight", (int)b.max_inflight,
	    "tokens", (int)b.tokens, "per_minute", (int)b.per_minute,
	    "next_token_ms", (json_int_t)b.next_token_ms));
	rpc_reply_result(ctx, o);
}

static void
rpc_events_subscribe(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	const struct rpc_sink_ops *ops = rpc_ctx_ops(ctx);
	json_t *ev = params != NULL ? json_object_get(params, "events") : NULL;
	const char *names[PD_EVENT_TYPE_COUNT_];
	size_t n = 0;

	(void)arg;
	if (ev != NULL && !json_is_array(ev)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"events\" must be an array of event names");
		return;
	}
	for (size_t i = 0; ev != NULL && i < json_array_size(ev); i++) {
		json_t *v = json_array_get(ev, i);
		enum pd_event_type t;

		if (!json_is_string(v) ||
		    pd_event_type_parse(json_string_value(v), &t) < 0) {
			rpc_reply_error(ctx, RPC_INVALID_PARAMS,
			    "unknown event name at index %zu (peer.discovered, "
			    "peer.connected, peer.disconnected, "
			    "peer.identified)", i);
			return;
		}
		if (n < PD_EVENT_TYPE_COUNT_)
			names[n++] = pd_event_type_name(t);
	}
	if (ops->subscribe(rpc_ctx_client(ctx), ev != NULL ? names : NULL,
	    ev != NULL ? n : 0) < 0) {
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "cannot subscribe");
		return;
	}
	rpc_reply_result(ctx, json_object());
}

static void
rpc_config_reload(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct rpc_daemon *d = rpc_daemon(ctx);
	json_t *result = NULL;
	char why[1024] = "";

	(void)params;
	(void)arg;
	if (d->reload == NULL) {
		rpc_reply_error(ctx, RPC_UNAVAILABLE, "reload not available");
		return;
	}
	if (d->reload(d->reload_arg, &result, why, sizeof(why)) < 0) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "configuration rejected, the old one stays: %s", why);
		return;
	}
	rpc_reply_result(ctx, result);
}

/*
 * The resident set size of this process in bytes, from the second field
 * of /proc/self/statm (pages); -1 when it cannot be read (no /proc).
 */
static long long
rpc_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	if (n != 2 || page <= 0 || resident > (unsigned long long)LLONG_MAX /
	    (unsigned long long)page)
		return -1;
	return (long long)(resident * (unsigned long long)page);
}

static void
rpc_metrics(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct rpc_daemon *d = rpc_daemon(ctx);
	struct pd_manager *m = d->m;
	struct pd_manager_stats st;
	struct pd_connmgr_stats cs;
	size_t in, out;
	long long rss;
	json_t *o = json_object(), *c = json_object(), *g = json_object();

	(void)params;
	(void)arg;
	pd_manager_stats(m, &st);
	json_object_set_new(c, "dials", json_integer((json_int_t)st.dials));
	json_object_set_new(c, "dial_failures",
	    json_integer((json_int_t)st.dial_failures));
	json_object_set_new(c, "connections_inbound",
	    json_integer((json_int_t)st.conns_inbound));
	json_object_set_new(c, "connections_outbound",
	    json_integer((json_int_t)st.conns_outbound));
	json_object_set_new(c, "identify_ok",
	    json_integer((json_int_t)st.identify_ok));
	json_object_set_new(c, "identify_failed",
	    json_integer((json_int_t)st.identify_failed));
	json_object_set_new(c, "store_saves",
	    json_integer((json_int_t)st.store_saves));
	json_object_set_new(c, "store_save_failures",
	    json_integer((json_int_t)st.store_save_failures));
	json_object_set_new(c, "peers_discovered",
	    json_integer((json_int_t)st.peers_discovered));
	json_object_set_new(c, "trims", json_integer((json_int_t)st.trims));
	json_object_set_new(c, "peers_trimmed",
	    json_integer((json_int_t)st.peers_trimmed));
	json_object_set_new(c, "dials_queued",
	    json_integer((json_int_t)st.dials_queued));
	pd_connmgr_stats(pd_manager_connmgr(m), &cs);
	json_object_set_new(c, "refused_inbound_total_cap",
	    json_integer((json_int_t)cs.refused_inbound_cap));
	json_object_set_new(c, "refused_inbound_per_ip",
	    json_integer((json_int_t)cs.refused_inbound_per_ip));
	json_object_set_new(c, "refused_inbound_rate",
	    json_integer((json_int_t)cs.refused_inbound_rate));
	json_object_set_new(c, "dials_deferred",
	    json_integer((json_int_t)cs.dials_deferred));
	if (pd_manager_dht(m) != NULL) {
		struct pd_kad_dht_stats ks;

		pd_kad_dht_stats(pd_manager_dht(m), &ks);
		json_object_set_new(c, "dht_requests_served", json_integer(
		    (json_int_t)(ks.requests[PD_KAD_FIND_NODE] +
		    ks.requests[PD_KAD_GET_VALUE] + ks.requests[PD_KAD_PUT_VALUE] +
		    ks.requests[PD_KAD_GET_PROVIDERS] +
		    ks.requests[PD_KAD_ADD_PROVIDER] + ks.requests[PD_KAD_PING])));
		json_object_set_new(c, "dht_requests_rate_limited",
		    json_integer((json_int_t)ks.rate_limited));
		json_object_set_new(c, "dht_bad_requests",
		    json_integer((json_int_t)ks.bad_requests));
		json_object_set_new(c, "dht_records_stored",
		    json_integer((json_int_t)ks.records_stored));
		json_object_set_new(c, "dht_records_rejected",
		    json_integer((json_int_t)ks.records_rejected));
		json_object_set_new(g, "dht_routing_table_size", json_integer(
		    (json_int_t)pd_kad_rt_size(pd_kad_dht_rt(pd_manager_dht(m)))));
		json_object_set_new(g, "dht_provider_records", json_integer(
		    (json_int_t)pd_kad_dht_provider_count(pd_manager_dht(m))));
		json_object_set_new(g, "dht_value_records", json_integer(
		    (json_int_t)pd_kad_dht_record_count(pd_manager_dht(m))));
	}
	if (d->mdns != NULL) {
		struct pd_mdns_stats ms;

		pd_disc_mdns_stats(d->mdns, &ms);
		json_object_set_new(c, "mdns_packets_in",
		    json_integer((json_int_t)ms.packets_in));
		json_object_set_new(c, "mdns_packets_out",
		    json_integer((json_int_t)ms.packets_out));
		json_object_set_new(c, "mdns_bytes_in",
		    json_integer((json_int_t)ms.bytes_in));
		json_object_set_new(c, "mdns_bytes_out",
		    json_integer((json_int_t)ms.bytes_out));
		json_object_set_new(c, "mdns_packets_dropped",
		    json_integer((json_int_t)ms.packets_dropped));
		json_object_set_new(c, "mdns_peers_learnt",
		    json_integer((json_int_t)ms.peers_learnt));
	}
	pd_manager_conn_count(m, &in, &out);
	json_object_set_new(g, "connections_inbound",
	    json_integer((json_int_t)in));
	json_object_set_new(g, "connections_outbound",
	    json_integer((json_int_t)out));
	json_object_set_new(g, "dialing",
	    json_integer((json_int_t)pd_manager_dialing(m)));
	json_object_set_new(g, "peers_known",
	    json_integer((json_int_t)pd_store_count(pd_manager_store(m))));
	json_object_set_new(g, "uptime_s", json_integer((pd_manager_now() -
	    pd_manager_started_at(m)) / 1000));
	rss = rpc_rss_bytes();
	if (rss >= 0)
		json_object_set_new(g, "rss_bytes", json_integer((json_int_t)rss));
	json_object_set_new(o, "counters", c);
	json_object_set_new(o, "gauges", g);
	if (d->control_metrics != NULL)
		json_object_set_new(o, "control",
		    d->control_metrics(d->control_arg));
	rpc_reply_result(ctx, o);
}

/* ---- DHT ---- */

static struct pd_kad_dht *
rpc_dht(struct rpc_ctx *ctx)
{
	struct pd_kad_dht *d = pd_manager_dht(rpc_daemon(ctx)->m);

	if (d == NULL)
		rpc_reply_error(ctx, RPC_UNAVAILABLE,
		    "the DHT is disabled (dht.enabled = no)");
	return d;
}

static json_t *
rpc_query_peer_json(const struct pd_kad_query_peer *p)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t i = 0; i < p->naddrs; i++)
		json_array_append_new(a, rpc_multiaddr_json(&p->addrs[i]));
	json_object_set_new(o, "id", rpc_peerid_json(&p->id));
	json_object_set_new(o, "addrs", a);
	return o;
}

static void
rpc_dht_lookup_error(struct rpc_ctx *ctx, int r)
{
	if (r == PD_ERR_UNAVAILABLE)
		rpc_reply_error(ctx, RPC_UNAVAILABLE,
		    "the routing table is empty: no DHT peer known yet");
	else if (r == PD_ERR_NOT_FOUND)
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND,
		    "the lookup did not find that peer");
	else if (r == PD_ERR_TIMEOUT)
		rpc_reply_error(ctx, RPC_TIMEOUT, "the lookup timed out");
	else if (r == PD_ERR_PEER_LIMIT)
		rpc_reply_error(ctx, RPC_UNAVAILABLE,
		    "too many lookups in flight");
	else
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "%s", pd_strerror(r));
}

static void
rpc_find_peer_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	struct rpc_ctx *ctx = arg;

	if (result < 0 || n == 0)
		rpc_dht_lookup_error(ctx, result < 0 ? result :
		    PD_ERR_NOT_FOUND);
	else
		rpc_reply_result(ctx, rpc_query_peer_json(peers[0]));
}

static void
rpc_dht_find_peer(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_kad_dht *d;
	struct pd_peerid id;
	int present, r;

	(void)arg;
	if (rpc_param_peer(ctx, params, "peer", 1, &id, &present) < 0 ||
	    (d = rpc_dht(ctx)) == NULL)
		return;
	if ((r = pd_kad_dht_find_peer(d, &id, rpc_find_peer_cb, ctx)) < 0)
		rpc_dht_lookup_error(ctx, r);
}

/*
 * A record key from params.key: "/ns/REST" where REST parses as a peer ID
 * names "/ns/" + the ID's binary form (how /pk/ and /ipns/ keys are
 * written, as the IPFS tools do); any other text is the key's bytes.
 */
static int
rpc_param_record_key(struct rpc_ctx *ctx, json_t *params, uint8_t *key,
    size_t *ret_len)
{
	json_t *k = params != NULL ? json_object_get(params, "key") : NULL;
	const char *t, *slash;
	size_t n;
	struct pd_peerid id;

	if (k == NULL || !json_is_string(k) ||
	    (n = json_string_length(k)) < 3 || n > PD_KAD_MAX_KEY ||
	    (t = json_string_value(k))[0] != '/' ||
	    (slash = memchr(t + 1, '/', n - 1)) == NULL || slash == t + 1) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"key\" must be a record key \"/namespace/...\"");
		return -1;
	}
	if (pd_peerid_parse(slash + 1, n - (size_t)(slash + 1 - t), &id) == 0) {
		size_t pre = (size_t)(slash + 1 - t);

		memcpy(key, t, pre);
		memcpy(key + pre, id.bytes, id.len);
		*ret_len = pre + id.len;
	} else {
		memcpy(key, t, n);
		*ret_len = n;
	}
	return 0;
}

static json_t *
rpc_base64_json(const uint8_t *p, size_t n)
{
	size_t cap = (n + 2) / 3 * 4 + 1;
	char *out = malloc(cap);
	json_t *v;

	if (out == NULL || pd_base64_encode(PD_BASE64_STD, p, n, out, cap) < 0) {
		free(out);
		return json_null();
	}
	v = json_string(out);
	free(out);
	return v;
}

static void
rpc_get_value_cb(int result, const uint8_t *val, size_t vallen, size_t nvalid,
    void *arg)
{
	struct rpc_ctx *ctx = arg;
	json_t *o;

	if (result == PD_ERR_NOT_FOUND || (result == PD_ERR_TIMEOUT &&
	    val == NULL)) {
		rpc_reply_error(ctx, RPC_PEER_NOT_FOUND, result == PD_ERR_TIMEOUT ?
		    "no valid record found before the timeout" :
		    "no valid record found");
		return;
	}
	if (result < 0) {
		rpc_dht_lookup_error(ctx, result);
		return;
	}
	o = json_object();
	json_object_set_new(o, "value", rpc_base64_json(val, vallen));
	json_object_set_new(o, "valid_answers", json_integer((json_int_t)nvalid));
	rpc_reply_result(ctx, o);
}

static void
rpc_dht_get_value(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	uint8_t key[PD_KAD_MAX_KEY];
	size_t keylen;
	long long timeout = 0;
	struct pd_kad_dht *d;
	int r;

	(void)arg;
	if (rpc_param_record_key(ctx, params, key, &keylen) < 0 ||
	    rpc_param_uint(ctx, params, "timeout_ms", 0, 600000, &timeout) < 0 ||
	    (d = rpc_dht(ctx)) == NULL)
		return;
	if ((r = pd_kad_dht_get_value(d, key, keylen, (uint64_t)timeout,
	    rpc_get_value_cb, ctx)) == PD_ERR_INVAL)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "no validator for the key's namespace");
	else if (r < 0)
		rpc_dht_lookup_error(ctx, r);
}

static void
rpc_put_value_cb(int result, size_t stored, size_t sent, void *arg)
{
	struct rpc_ctx *ctx = arg;
	json_t *o;

	if (result < 0) {
		rpc_dht_lookup_error(ctx, result);
		return;
	}
	o = json_object();
	json_object_set_new(o, "stored", json_integer((json_int_t)stored));
	json_object_set_new(o, "sent", json_integer((json_int_t)sent));
	rpc_reply_result(ctx, o);
}

static void
rpc_dht_put_value(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	uint8_t key[PD_KAD_MAX_KEY], *val;
	size_t keylen;
	json_t *v = params != NULL ? json_object_get(params, "value") : NULL;
	struct pd_kad_dht *d;
	char why[200];
	int n, r;

	(void)arg;
	if (rpc_param_record_key(ctx, params, key, &keylen) < 0)
		return;
	if (v == NULL || !json_is_string(v) ||
	    json_string_length(v) > (PD_KAD_MAX_VALUE + 2) / 3 * 4) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"value\" must be base64 of at most %u bytes",
		    (unsigned)PD_KAD_MAX_VALUE);
		return;
	}
	if ((d = rpc_dht(ctx)) == NULL)
		return;
	if ((val = malloc(PD_KAD_MAX_VALUE + 3)) == NULL) {
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	if ((n = pd_base64_decode(PD_BASE64_STD, json_string_value(v),
	    json_string_length(v), val, PD_KAD_MAX_VALUE + 3)) < 0 ||
	    (size_t)n > PD_KAD_MAX_VALUE) {
		free(val);
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"value\" is not valid base64 (standard, padded)");
		return;
	}
	why[0] = '\0';
	r = pd_kad_dht_put_value(d, key, keylen, val, (size_t)n,
	    rpc_put_value_cb, ctx, why, sizeof(why));
	free(val);
	if (r == PD_ERR_EXISTS)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "a better record is already stored: %s", why);
	else if (r == PD_ERR_PEER_LIMIT)
		rpc_dht_lookup_error(ctx, r);
	else if (r < 0)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS, "invalid record: %s",
		    why[0] != '\0' ? why : pd_strerror(r));
}

/*
 * discovery.bootstrap: each configured bootstrap peer as a peer object
 * (the store's, when the peer is known) plus its bootstrap state.
 */
static void
rpc_discovery_bootstrap(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct rpc_daemon *d = rpc_daemon(ctx);
	struct pd_bootstrap_peer_info *info;
	json_t *a, *o;
	size_t n;

	(void)params;
	(void)arg;
	if (d->boot == NULL) {
		rpc_reply_error(ctx, RPC_UNAVAILABLE,
		    "bootstrap discovery is not running");
		return;
	}
	if ((info = calloc(PD_BOOTSTRAP_MAX_PEERS, sizeof(*info))) == NULL) {
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	n = pd_bootstrap_peers(d->boot, info, PD_BOOTSTRAP_MAX_PEERS);
	if (n > PD_BOOTSTRAP_MAX_PEERS)
		n = PD_BOOTSTRAP_MAX_PEERS;
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct pd_bootstrap_peer_info *b = &info[i];
		const struct pd_peer *p = b->has_id ? pd_store_get(
		    pd_manager_store(d->m), &b->id) : NULL;
		json_t *res = json_array();

		for (size_t j = 0; j < b->nresolved; j++)
			json_array_append_new(res,
			    rpc_multiaddr_json(&b->resolved[j]));
		if (p != NULL) {
			o = rpc_peer_json(p);
		} else {
			o = json_object();
			json_object_set_new(o, "id", b->has_id ?
			    rpc_peerid_json(&b->id) : json_null());
			json_object_set_new(o, "addrs", json_deep_copy(res));
		}
		json_object_set_new(o, "addr", json_string(b->addr));
		json_object_set_new(o, "resolved", res);
		json_object_set_new(o, "state", json_string(b->state));
		json_object_set_new(o, "last_error", b->last_error[0] != '\0' ?
		    json_string(b->last_error) : json_null());
		json_object_set_new(o, "next_attempt_ms", b->next_attempt_ms != 0 ?
		    json_integer(b->next_attempt_ms) : json_null());
		json_object_set_new(o, "bootstrap_connected",
		    json_boolean(b->connected));
		json_object_set_new(o, "failures", json_integer(b->failures));
		json_array_append_new(a, o);
	}
	free(info);
	o = json_object();
	json_object_set_new(o, "peers", a);
	rpc_reply_result(ctx, o);
}

static void
rpc_closest_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	struct rpc_ctx *ctx = arg;
	json_t *o, *a;

	if (result < 0) {
		rpc_dht_lookup_error(ctx, result);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, rpc_query_peer_json(peers[i]));
	o = json_object();
	json_object_set_new(o, "peers", a);
	rpc_reply_result(ctx, o);
}

/*
 * discovery.local: the peers mDNS learnt (not expired), each as a peer
 * object (the store's when it still knows the peer) plus the interface of
 * the last answer and when it came.
 */
static void
rpc_discovery_local(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct rpc_daemon *d = rpc_daemon(ctx);
	struct pd_mdns_peer_info *info;
	json_t *a, *o;
	size_t n;

	(void)params;
	(void)arg;
	if (d->mdns == NULL || !pd_disc_mdns_enabled(d->mdns)) {
		rpc_reply_error(ctx, RPC_UNAVAILABLE, "mDNS is disabled");
		return;
	}
	if ((info = calloc(PD_MDNS_MAX_PEERS, sizeof(*info))) == NULL) {
		rpc_reply_error(ctx, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	n = pd_disc_mdns_peers(d->mdns, info, PD_MDNS_MAX_PEERS);
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct pd_peer *p = pd_store_get(pd_manager_store(d->m),
		    &info[i].id);

		if (p != NULL) {
			o = rpc_peer_json(p);
		} else {
			o = json_object();
			json_object_set_new(o, "id",
			    rpc_peerid_json(&info[i].id));
			json_object_set_new(o, "addrs", json_array());
		}
		json_object_set_new(o, "interface",
		    json_string(info[i].ifname));
		json_object_set_new(o, "last_seen_mdns",
		    json_integer(info[i].last_seen_ms));
		json_array_append_new(a, o);
	}
	free(info);
	o = json_object();
	json_object_set_new(o, "peers", a);
	rpc_reply_result(ctx, o);
}

static void
rpc_dht_closest_peers(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_kad_dht *d;
	json_t *k = params != NULL ? json_object_get(params, "key") : NULL;
	struct pd_peerid id;
	const uint8_t *key;
	size_t keylen;
	int r;

	(void)arg;
	if (k == NULL || !json_is_string(k) || json_string_length(k) == 0 ||
	    json_string_length(k) > 512) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"key\" must be a peer ID or a non-empty string");
		return;
	}
	if ((d = rpc_dht(ctx)) == NULL)
		return;
	/* A peer ID names its binary form; any other text is the key. */
	if (pd_peerid_parse(json_string_value(k), json_string_length(k),
	    &id) == 0) {
		key = id.bytes;
		keylen = id.len;
	} else {
		key = (const uint8_t *)json_string_value(k);
		keylen = json_string_length(k);
	}
	if ((r = pd_kad_dht_closest(d, key, keylen, rpc_closest_cb, ctx)) < 0)
		rpc_dht_lookup_error(ctx, r);
}

static void
rpc_dht_routing_table(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_kad_dht *d;
	struct pd_kad_rt *rt;
	json_t *o, *buckets;
	int max;

	(void)params;
	(void)arg;
	if ((d = rpc_dht(ctx)) == NULL)
		return;
	rt = pd_kad_dht_rt(d);
	buckets = json_array();
	max = pd_kad_rt_max_cpl(rt);
	for (int b = 0; b <= max; b++) {
		json_t *bucket = json_array();

		for (size_t i = 0; i < pd_kad_rt_bucket_size(rt, (unsigned)b);
		    i++) {
			const struct pd_kad_rt_peer *p = pd_kad_rt_bucket_peer(rt,
			    (unsigned)b, i);
			json_t *e = json_object(), *a = json_array();

			for (size_t j = 0; j < p->naddrs; j++)
				json_array_append_new(a,
				    rpc_multiaddr_json(&p->addrs[j]));
			json_object_set_new(e, "id", rpc_peerid_json(&p->id));
			json_object_set_new(e, "addrs", a);
			json_object_set_new(e, "failures",
			    json_integer(p->failures));
			json_array_append_new(bucket, e);
		}
		json_array_append_new(buckets, bucket);
	}
	o = json_object();
	json_object_set_new(o, "buckets", buckets);
	json_object_set_new(o, "size",
	    json_integer((json_int_t)pd_kad_rt_size(rt)));
	rpc_reply_result(ctx, o);
}

/* ---- namespace discovery over the DHT (libp2p-wire.md §10) ---- */

static int
rpc_param_ns(struct rpc_ctx *ctx, json_t *params, const char **ret)
{
	json_t *v = params != NULL ? json_object_get(params, "namespace") :
	    NULL;

	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > PD_MANAGER_MAX_NAMESPACE ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"namespace\" must be a string of 1 to %d bytes",
		    PD_MANAGER_MAX_NAMESPACE);
		return -1;
	}
	*ret = json_string_value(v);
	return 0;
}

static void
rpc_discovery_advertise(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	const char *ns;
	int r;

	(void)arg;
	if (rpc_param_ns(ctx, params, &ns) < 0 || rpc_dht(ctx) == NULL)
		return;
	if ((r = pd_manager_advertise(rpc_daemon(ctx)->m, ns)) < 0)
		rpc_reply_error(ctx, r == PD_ERR_OVERFLOW ? RPC_INVALID_PARAMS :
		    RPC_INTERNAL_ERROR, "%s", r == PD_ERR_OVERFLOW ?
		    "too many advertised namespaces" : pd_strerror(r));
	else
		rpc_reply_result(ctx, json_object());
}

static void
rpc_discovery_unadvertise(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	const char *ns;

	(void)arg;
	if (rpc_param_ns(ctx, params, &ns) < 0 || rpc_dht(ctx) == NULL)
		return;
	if (pd_manager_unadvertise(rpc_daemon(ctx)->m, ns) < 0)
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "that namespace is not advertised");
	else
		rpc_reply_result(ctx, json_object());
}

static void
rpc_find_cb(int result, const struct pd_kad_dht_provider *provs, size_t n,
    void *arg)
{
	struct rpc_ctx *ctx = arg;
	struct pd_manager *m = rpc_daemon(ctx)->m;
	json_t *o, *a;

	if (result < 0) {
		rpc_dht_lookup_error(ctx, result);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		struct pd_peer *p;

		/* Found peers enter the store (source dht, 3 h addresses). */
		(void)pd_manager_add_peer(m, &provs[i].id, provs[i].addrs,
		    provs[i].naddrs, 3ll * 3600 * 1000, PD_SOURCE_DHT);
		if ((p = pd_store_get(pd_manager_store(m), &provs[i].id)) != NULL)
			json_array_append_new(a, rpc_peer_json(p));
	}
	o = json_object();
	json_object_set_new(o, "peers", a);
	rpc_reply_result(ctx, o);
}

static void
rpc_discovery_find(struct rpc_ctx *ctx, json_t *params, void *arg)
{
	struct pd_kad_dht *d;
	const char *ns;
	long long limit, timeout;
	uint8_t key[34];
	int r;

	(void)arg;
	if (rpc_param_ns(ctx, params, &ns) < 0 ||
	    rpc_param_uint(ctx, params, "limit", 20, PD_KAD_DHT_MAX_PROVIDERS,
	    &limit) < 0 || rpc_param_uint(ctx, params, "timeout_ms", 10000,
	    120000, &timeout) < 0 || (d = rpc_dht(ctx)) == NULL)
		return;
	if (limit == 0 || timeout == 0) {
		rpc_reply_error(ctx, RPC_INVALID_PARAMS,
		    "\"limit\" and \"timeout_ms\" must be positive");
		return;
	}
	pd_manager_namespace_key(ns, key);
	if ((r = pd_kad_dht_find_providers(d, key, sizeof(key), (size_t)limit,
	    (uint64_t)timeout, rpc_find_cb, ctx)) < 0)
		rpc_dht_lookup_error(ctx, r);
}

const struct rpc_method rpc_methods[] = {
	{ "node.info", rpc_node_info, false },
	{ "peers.list", rpc_peers_list, false },
	{ "peers.get", rpc_peers_get, false },
	{ "peers.add", rpc_peers_add, true },
	{ "peers.connect", rpc_peers_connect, true },
	{ "peers.disconnect", rpc_peers_disconnect, true },
	{ "peers.protect", rpc_peers_protect, true },
	{ "peers.unprotect", rpc_peers_unprotect, true },
	{ "conn.stats", rpc_conn_stats, false },
	{ "events.subscribe", rpc_events_subscribe, false },
	{ "config.reload", rpc_config_reload, true },
	{ "metrics", rpc_metrics, false },
	{ "dht.find_peer", rpc_dht_find_peer, false },
	{ "dht.closest_peers", rpc_dht_closest_peers, false },
	{ "dht.routing_table", rpc_dht_routing_table, false },
	{ "dht.get_value", rpc_dht_get_value, false },
	{ "dht.put_value", rpc_dht_put_value, true },
	{ "discovery.find", rpc_discovery_find, false },
	{ "discovery.bootstrap", rpc_discovery_bootstrap, false },
	{ "discovery.local", rpc_discovery_local, false },
	{ "discovery.advertise", rpc_discovery_advertise, true },
	{ "discovery.unadvertise", rpc_discovery_unadvertise, true },
};
const size_t rpc_nmethods = sizeof(rpc_methods) / sizeof(rpc_methods[0]);
