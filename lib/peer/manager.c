/*
 * manager.c - the node engine: connections from lib/net become peers in
 * the store, identify and ping fill in what we know about them, events go
 * out to subscribers, and the store is saved on a timer, after bursts of
 * change and at stop.  The daemon (daemon/) is a thin shell around this;
 * an embedder uses it directly.
 *
 * Connect requests (pd_manager_connect) try the given address, else the
 * stored addresses of the peer one after another, within the network
 * layer's dial + upgrade timeout each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/error.h"
#include "core/log.h"
#include "core/time.h"
#include "kad/dht.h"
#include "net/conn.h"
#include "peer/manager.h"
#include "peer/storefile.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

struct mgr_connect {
	LIST_ENTRY(mgr_connect) entry;
	struct pd_manager *m;
	struct pd_peerid id;
	int has_id;
	struct pd_multiaddr addrs[PD_STORE_MAX_ADDRS + 1];
	size_t naddrs, next;
	struct pd_net_dial *dial;
	struct event *done_ev;		/* reports an early result */
	int result;
	char why[PD_NET_WHY_MAX];
	pd_manager_connect_cb cb;
	void *arg;
};

struct mgr_discovery {
	const struct pd_discovery_ops *ops;
	void *arg;
	int started;
};

struct pd_manager {
	struct event_base *base;
	struct pd_manager_config cfg;
	char *store_file;
	char *agent;
	struct pd_net *net;
	struct pd_idsvc *idsvc;
	struct pd_kad_dht *dht;		/* NULL when disabled */
	char *dht_protocol;
	struct pd_store *store;
	struct pd_events *events;
	struct event *save_timer;	/* periodic save */
	struct event *debounce_timer;	/* save after a burst */
	struct event *expire_timer;
	uint64_t saved_gen;
	int64_t dirty_since;		/* first unsaved change (debounce) */
	int64_t started_at;
	int started;
	char *advertised[PD_MANAGER_MAX_ADVERTISED];
	size_t nadvertised;
	int advertise_pending;		/* a provide found an empty table */
	struct event *advertise_timer;
	struct event *refresh_timer;	/* DHT routing-table refresh */
	int refreshed_once;		/* first refresh after first peer */
	struct mgr_discovery discoveries[PD_DISCOVERY_MAX];
	size_t ndiscoveries;
	LIST_HEAD(, mgr_connect) connects;
	size_t nconnects;
	size_t nin, nout;		/* open connections */
	struct pd_manager_stats stats;
};

int64_t
pd_manager_now(void)
{
	return pd_time_wall_ms();
}

static void
mgr_tv(struct timeval *tv, int64_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
}

/*
 * A burst of changes: save once the store has been quiet for
 * PD_MANAGER_SAVE_DEBOUNCE_MS, but no later than PD_MANAGER_SAVE_MAX_DELAY_MS
 * after the first unsaved change, so a long burst neither saves over and
 * over nor never.
 */
static void
mgr_changed(struct pd_manager *m)
{
	struct timeval tv;
	int64_t now = pd_manager_now();

	if (m->store_file == NULL || !m->started)
		return;
	if (!evtimer_pending(m->debounce_timer, NULL))
		m->dirty_since = now;
	else if (now - m->dirty_since >= PD_MANAGER_SAVE_MAX_DELAY_MS -
	    PD_MANAGER_SAVE_DEBOUNCE_MS)
		return;		/* leave the deadline where it is */
	mgr_tv(&tv, PD_MANAGER_SAVE_DEBOUNCE_MS);
	evtimer_add(m->debounce_timer, &tv);
}

static void
mgr_emit_simple(struct pd_manager *m, struct pd_event *ev)
{
	pd_events_emit(m->events, ev);
}

static enum pd_store_dir
mgr_dir(const struct pd_conn *c)
{
	return pd_conn_direction(c) == PD_CONN_INBOUND ?
	    PD_STORE_DIR_INBOUND : PD_STORE_DIR_OUTBOUND;
}

static int
mgr_is_protected_id(const struct pd_manager *m, const struct pd_peerid *id)
{
	const struct pd_peer *p = pd_store_get(m->store, id);

	if (p != NULL && pd_store_is_protected(p))
		return 1;
	for (size_t i = 0; i < m->cfg.nprotected; i++)
		if (pd_peerid_equal(&m->cfg.protected_ids[i], id))
			return 1;
	return 0;
}

/* Any other open connection to the same peer than c? */
static int
mgr_other_conn(const struct pd_manager *m, const struct pd_conn *c)
{
	for (struct pd_conn *o = pd_net_conn_first(m->net); o != NULL;
	    o = pd_conn_next(o))
		if (o != c && pd_peerid_equal(pd_conn_peer(o), pd_conn_peer(c)))
			return 1;
	return 0;
}

static void
mgr_ping_cb(int result, uint64_t rtt_us, void *arg)
{
	struct {
		struct pd_manager *m;
		struct pd_peerid id;
	} *pc = arg;
	struct pd_peer *p;

	char peer[PD_PEERID_TEXT_MAX];

	pd_peerid_format(&pc->id, peer, sizeof(peer));
	if (result == 0) {
		PD_LOG_INFO("ping %s: %llu.%03llu ms", peer,
		    (unsigned long long)(rtt_us / 1000),
		    (unsigned long long)(rtt_us % 1000));
		if ((p = pd_store_get(pc->m->store, &pc->id)) != NULL)
			pd_store_set_latency(p, rtt_us > UINT32_MAX ?
			    UINT32_MAX : (uint32_t)rtt_us);
	} else {
		PD_LOG_INFO("ping %s failed: %s", peer, pd_strerror(result));
	}
	free(pc);
}

static void
mgr_ping(struct pd_manager *m, struct pd_conn *c)
{
	struct {
		struct pd_manager *m;
		struct pd_peerid id;
	} *pc;
	int err;

	if ((pc = malloc(sizeof(*pc))) == NULL)
		return;
	pc->m = m;
	pc->id = *pd_conn_peer(c);
	if (pd_ping_start(c, mgr_ping_cb, pc, &err) == NULL) {
		char peer[PD_PEERID_TEXT_MAX];

		pd_peerid_format(&pc->id, peer, sizeof(peer));
		PD_LOG_INFO("ping %s failed: cannot open a stream: %s", peer,
		    pd_strerror(err));
		free(pc);
	}
}

/* Source to file identify-learned addresses under: how we know the peer. */
static unsigned
mgr_addr_source(const struct pd_peer *p)
{
	for (unsigned bit = 1; bit & PD_SOURCE_ALL; bit <<= 1)
		if (p->sources & bit)
			return bit;
	return PD_SOURCE_MANUAL;
}

static void mgr_provide(struct pd_manager *m, const char *ns);

/* Jittered period: interval ± 10 %, so fleets do not refresh in step. */
static void
mgr_arm_refresh(struct pd_manager *m)
{
	struct timeval tv;
	int64_t ms = m->cfg.dht_refresh_ms;

	if (m->refresh_timer == NULL || ms <= 0)
		return;
	ms = ms * 9 / 10 + (int64_t)randombytes_uniform(
	    (uint32_t)(ms / 5 > 0 && ms / 5 < UINT32_MAX ? ms / 5 : 1));
	mgr_tv(&tv, ms);
	evtimer_add(m->refresh_timer, &tv);
}

static void
mgr_refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;
	size_t n;

	(void)fd;
	(void)what;
	n = pd_kad_dht_refresh(m->dht, (uint64_t)m->cfg.dht_refresh_ms);
	PD_LOG_DEBUG("DHT refresh: %zu lookups", n);
	mgr_arm_refresh(m);
}

static void
mgr_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	struct pd_manager *m = arg;
	struct pd_peer *p;
	struct pd_event ev;
	int64_t now = pd_manager_now();
	int first;

	m->stats.identify_ok++;
	if ((p = pd_store_get(m->store, pd_conn_peer(c))) == NULL)
		return;
	first = p->nprotocols == 0 && p->agent == NULL;
	(void)pd_store_set_protocols(p, (const char *const *)id->protocols,
	    id->nprotocols);
	if (id->agent_version != NULL)
		(void)pd_store_set_agent(p, id->agent_version);
	for (size_t i = 0; i < id->naddrs; i++)
		(void)pd_store_add_addr(p, &id->addrs[i],
		    PD_MANAGER_IDENTIFY_ADDR_TTL_MS, mgr_addr_source(p), now);
	if (id->has_record)
		for (size_t i = 0; i < id->record.naddrs; i++)
			(void)pd_store_add_addr(p, &id->record.addrs[i],
			    PD_MANAGER_IDENTIFY_ADDR_TTL_MS, mgr_addr_source(p),
			    now);
	memset(&ev, 0, sizeof(ev));
	ev.type = PD_EVENT_PEER_IDENTIFIED;
	ev.peer = &p->id;
	ev.agent = p->agent;
	ev.protocols = (const char *const *)p->protocols;
	ev.nprotocols = p->nprotocols;
	ev.protocol_version = id->protocol_version;
	ev.listen_addrs = id->addrs;
	ev.nlisten = id->naddrs;
	ev.observed = id->has_observed ? &id->observed : NULL;
	ev.signed_record = id->has_record;
	mgr_emit_simple(m, &ev);
	mgr_changed(m);
	if (m->dht != NULL) {
		pd_kad_dht_identified(m->dht, c, id);
		/* The first DHT peer: fill the table right away. */
		if (!m->refreshed_once &&
		    pd_kad_rt_size(pd_kad_dht_rt(m->dht)) > 0) {
			m->refreshed_once = 1;
			(void)pd_kad_dht_refresh(m->dht, 0);
		}
		if (m->advertise_pending &&
		    pd_kad_rt_size(pd_kad_dht_rt(m->dht)) > 0) {
			m->advertise_pending = 0;
			for (size_t i = 0; i < m->nadvertised; i++)
				mgr_provide(m, m->advertised[i]);
		}
		if ((p = pd_store_get(m->store, pd_conn_peer(c))) != NULL)
			pd_store_set_kad_server(p, pd_identify_has_protocol(id,
			    pd_kad_dht_protocol(m->dht)));
	}
	if (first)
		mgr_ping(m, c);
}

static void
mgr_identify_failed(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct pd_manager *m = arg;
	char peer[PD_PEERID_TEXT_MAX];

	m->stats.identify_failed++;
	pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
	PD_LOG_INFO("identify %s failed: %s (%s)", peer, why,
	    pd_strerror(err));
}

static void
mgr_conn_up(struct pd_conn *c, void *arg)
{
	struct pd_manager *m = arg;
	struct pd_peer *p = NULL;
	struct pd_event ev;
	int64_t now = pd_manager_now();
	int r;

	if (pd_conn_direction(c) == PD_CONN_INBOUND) {
		m->nin++;
		m->stats.conns_inbound++;
	} else {
		m->nout++;
		m->stats.conns_outbound++;
	}
	r = pd_store_add(m->store, pd_conn_peer(c), now, &p);
	if (r < 0) {
		char peer[PD_PEERID_TEXT_MAX];

		pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
		PD_LOG_WARN("peer store full: %s is connected but not "
		    "recorded", peer);
	} else {
		pd_store_set_connected(p, true, mgr_dir(c), now);
		if (pd_conn_direction(c) == PD_CONN_OUTBOUND)
			(void)pd_store_add_addr(p, pd_conn_remote_addr(c),
			    PD_MANAGER_IDENTIFY_ADDR_TTL_MS, mgr_addr_source(p),
			    now);
		pd_store_set_dial_state(p, 0, 0, NULL);
		if (mgr_is_protected_id(m, &p->id))
			pd_store_set_conf_protected(p, true);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = PD_EVENT_PEER_CONNECTED;
	ev.peer = pd_conn_peer(c);
	ev.inbound = pd_conn_direction(c) == PD_CONN_INBOUND;
	ev.addr = pd_conn_remote_addr(c);
	mgr_emit_simple(m, &ev);
	mgr_changed(m);
	(void)pd_idsvc_identify(m->idsvc, c);
}

static void
mgr_conn_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	struct pd_manager *m = arg;
	struct pd_peer *p;
	struct pd_event ev;

	(void)err;
	if (pd_conn_direction(c) == PD_CONN_INBOUND)
		m->nin--;
	else
		m->nout--;
	if (mgr_other_conn(m, c))
		return;
	if ((p = pd_store_get(m->store, pd_conn_peer(c))) != NULL)
		pd_store_set_connected(p, false, mgr_dir(c), pd_manager_now());
	memset(&ev, 0, sizeof(ev));
	ev.type = PD_EVENT_PEER_DISCONNECTED;
	ev.peer = pd_conn_peer(c);
	ev.reason = why;
	ev.addr = pd_conn_remote_addr(c);
	mgr_emit_simple(m, &ev);
	mgr_changed(m);
}

struct pd_manager *
pd_manager_new(struct event_base *base, const struct pd_manager_config *cfg)
{
	struct pd_manager *m;
	struct pd_net_config ncfg;
	struct pd_net_cbs cbs = {
		.on_conn_up = mgr_conn_up,
		.on_conn_down = mgr_conn_down,
	};
	struct pd_idsvc_cbs icbs = {
		.on_identified = mgr_identified,
		.on_failed = mgr_identify_failed,
	};

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->base = base;
	m->cfg = *cfg;
	m->cfg.dht_protocol = NULL;	/* our own copy is set below */
	LIST_INIT(&m->connects);
	memset(&ncfg, 0, sizeof(ncfg));
	ncfg.upgrade_timeout_ms = cfg->connection_timeout_ms;
	ncfg.psk = cfg->has_psk ? m->cfg.psk : NULL;
	m->agent = strdup(cfg->agent != NULL ? cfg->agent : "peerdisc");
	if (cfg->store_file != NULL)
		m->store_file = strdup(cfg->store_file);
	m->cfg.agent = m->agent;
	m->cfg.store_file = m->store_file;
	if (m->agent == NULL || (cfg->store_file != NULL &&
	    m->store_file == NULL) ||
	    (m->store = pd_store_new(cfg->store_max)) == NULL ||
	    (m->events = pd_events_new()) == NULL ||
	    (m->net = pd_net_new(base, &cfg->key, &ncfg, &cbs, m)) == NULL ||
	    (m->idsvc = pd_idsvc_new(m->net, m->agent, &icbs, m)) == NULL ||
	    pd_ping_register(m->net) < 0) {
		pd_manager_free(m);
		return NULL;
	}
	if (cfg->dht_enabled) {
		struct pd_kad_dht_config dc = {
			.protocol = cfg->dht_protocol,
			.server = cfg->dht_server != 0,
			.k = cfg->dht_k,
			.exempt_private = true,
		};

		if (cfg->dht_protocol != NULL && (m->dht_protocol =
		    strdup(cfg->dht_protocol)) == NULL) {
			pd_manager_free(m);
			return NULL;
		}
		dc.protocol = m->dht_protocol;
		m->cfg.dht_protocol = m->dht_protocol;
		if ((m->dht = pd_kad_dht_new(m->net, &dc)) == NULL) {
			pd_manager_free(m);
			return NULL;
		}
	}
	return m;
}

static void
mgr_save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;
	char why[256];

	(void)fd;
	(void)what;
	if (pd_store_generation(m->store) != m->saved_gen &&
	    pd_manager_save(m, why, sizeof(why)) < 0)
		PD_LOG_WARN("store save failed: %s; will retry", why);
}

static void
mgr_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;
	size_t naddrs = 0, npeers;

	(void)fd;
	(void)what;
	npeers = pd_store_expire_addrs(m->store, pd_manager_now(), &naddrs);
	if (m->dht != NULL)
		(void)pd_kad_dht_expire(m->dht);
	if (npeers > 0 || naddrs > 0)
		PD_LOG_DEBUG("expired %zu addresses, dropped %zu peers", naddrs,
		    npeers);
}

int
pd_manager_save(struct pd_manager *m, char *why, size_t whylen)
{
	uint64_t gen = pd_store_generation(m->store);
	int r;

	if (m->store_file == NULL)
		return 0;
	r = pd_storefile_save(m->store, m->store_file, pd_manager_now(), why,
	    whylen);
	if (r < 0) {
		m->stats.store_save_failures++;
		return r;
	}
	m->stats.store_saves++;
	m->saved_gen = gen;
	return 0;
}

static void
mgr_load_store(struct pd_manager *m)
{
	char why[512] = "";
	int r;

	if (m->store_file == NULL)
		return;
	r = pd_storefile_load(m->store, m->store_file, pd_manager_now(), why,
	    sizeof(why), NULL);
	if (r < 0)
		PD_LOG_WARN("peer store %s not loaded: %s; starting empty",
		    m->store_file, why);
	else if (r > 0)
		PD_LOG_WARN("peer store %s did not parse: %s; starting empty",
		    m->store_file, why);
	else
		PD_LOG_INFO("peer store: %zu peers loaded from %s",
		    pd_store_count(m->store), m->store_file);
	m->saved_gen = pd_store_generation(m->store);
}

static void
mgr_apply_protected(struct pd_manager *m)
{
	struct pd_peer *p, *tmp;

	PD_STORE_FOREACH_SAFE(p, tmp, m->store) {
		bool listed = false;

		for (size_t i = 0; i < m->cfg.nprotected && !listed; i++)
			listed = pd_peerid_equal(&m->cfg.protected_ids[i],
			    &p->id);
		pd_store_set_conf_protected(p, listed);
	}
	for (size_t i = 0; i < m->cfg.nprotected; i++)
		if (pd_store_add(m->store, &m->cfg.protected_ids[i],
		    pd_manager_now(), &p) >= 0)
			pd_store_set_conf_protected(p, true);
}

int
pd_manager_start(struct pd_manager *m, char *why, size_t whylen)
{
	struct timeval tv;
	int r;

	if (m->started)
		return 0;
	mgr_load_store(m);
	mgr_apply_protected(m);
	for (size_t i = 0; i < m->cfg.nlisten; i++) {
		struct pd_multiaddr bound;
		char text[PD_MULTIADDR_MAX_TEXT + 1], lwhy[256];

		if ((r = pd_net_listen(m->net, &m->cfg.listen[i], &bound, lwhy,
		    sizeof(lwhy))) < 0) {
			if (pd_multiaddr_format(&m->cfg.listen[i], text,
			    sizeof(text)) < 0)
				text[0] = '\0';
			snprintf(why, whylen, "listen %s: %s", text, lwhy);
			return r;
		}
	}
	if (m->cfg.nannounce > 0 && (r = pd_idsvc_set_announce(m->idsvc,
	    m->cfg.announce, m->cfg.nannounce)) < 0) {
		snprintf(why, whylen, "announce: %s", pd_strerror(r));
		return r;
	}
	m->save_timer = event_new(m->base, -1, EV_PERSIST, mgr_save_cb, m);
	m->debounce_timer = evtimer_new(m->base, mgr_save_cb, m);
	m->expire_timer = event_new(m->base, -1, EV_PERSIST, mgr_expire_cb, m);
	if (m->save_timer == NULL || m->debounce_timer == NULL ||
	    m->expire_timer == NULL) {
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	if (m->store_file != NULL && m->cfg.save_interval_ms > 0) {
		mgr_tv(&tv, m->cfg.save_interval_ms);
		evtimer_add(m->save_timer, &tv);
	}
	mgr_tv(&tv, PD_MANAGER_EXPIRE_INTERVAL_MS);
	evtimer_add(m->expire_timer, &tv);
	m->started_at = pd_manager_now();
	m->started = 1;
	if (m->dht != NULL && m->cfg.dht_refresh_ms > 0 &&
	    (m->refresh_timer = evtimer_new(m->base, mgr_refresh_cb,
	    m)) != NULL)
		mgr_arm_refresh(m);
	for (size_t i = 0; i < m->ndiscoveries; i++) {
		struct mgr_discovery *d = &m->discoveries[i];

		if ((r = d->ops->start(d->arg, m)) < 0)
			PD_LOG_WARN("discovery %s did not start: %s",
			    d->ops->name, pd_strerror(r));
		else
			d->started = 1;
	}
	return 0;
}

static void mgr_connect_free(struct mgr_connect *cr);

void
pd_manager_stop(struct pd_manager *m)
{
	char why[256];

	if (!m->started)
		return;
	for (size_t i = 0; i < m->ndiscoveries; i++)
		if (m->discoveries[i].started) {
			m->discoveries[i].ops->stop(m->discoveries[i].arg);
			m->discoveries[i].started = 0;
		}
	while (!LIST_EMPTY(&m->connects))
		mgr_connect_free(LIST_FIRST(&m->connects));
	if (m->store_file != NULL && pd_manager_save(m, why, sizeof(why)) < 0)
		PD_LOG_WARN("store save at shutdown failed: %s", why);
	evtimer_del(m->save_timer);
	evtimer_del(m->debounce_timer);
	if (m->refresh_timer != NULL)
		evtimer_del(m->refresh_timer);
	evtimer_del(m->expire_timer);
	m->started = 0;
}

void
pd_manager_free(struct pd_manager *m)
{
	if (m == NULL)
		return;
	pd_manager_stop(m);
	if (m->advertise_timer != NULL)
		event_free(m->advertise_timer);
	if (m->refresh_timer != NULL)
		event_free(m->refresh_timer);
	for (size_t i = 0; i < m->nadvertised; i++)
		free(m->advertised[i]);
	pd_kad_dht_free(m->dht);
	free(m->dht_protocol);
	pd_idsvc_free(m->idsvc);
	pd_net_free(m->net);
	if (m->save_timer != NULL)
		event_free(m->save_timer);
	if (m->debounce_timer != NULL)
		event_free(m->debounce_timer);
	if (m->expire_timer != NULL)
		event_free(m->expire_timer);
	pd_store_free(m->store);
	pd_events_free(m->events);
	pd_privkey_clear(&m->cfg.key);
	sodium_memzero(m->cfg.psk, sizeof(m->cfg.psk));
	free(m->agent);
	free(m->store_file);
	free(m);
}

struct pd_store *
pd_manager_store(const struct pd_manager *m)
{
	return m->store;
}

struct pd_kad_dht *
pd_manager_dht(const struct pd_manager *m)
{
	return m->dht;
}

struct pd_net *
pd_manager_net(const struct pd_manager *m)
{
	return m->net;
}

const struct pd_peerid *
pd_manager_peer_id(const struct pd_manager *m)
{
	return pd_net_peer_id(m->net);
}

const struct pd_manager_config *
pd_manager_config(const struct pd_manager *m)
{
	return &m->cfg;
}

void
pd_manager_stats(const struct pd_manager *m, struct pd_manager_stats *ret)
{
	*ret = m->stats;
}

int64_t
pd_manager_started_at(const struct pd_manager *m)
{
	return m->started_at;
}

size_t
pd_manager_conn_count(const struct pd_manager *m, size_t *ret_in,
    size_t *ret_out)
{
	if (ret_in != NULL)
		*ret_in = m->nin;
	if (ret_out != NULL)
		*ret_out = m->nout;
	return m->nin + m->nout;
}

size_t
pd_manager_dialing(const struct pd_manager *m)
{
	return m->nconnects;
}

int
pd_manager_add_peer(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, int64_t ttl_ms,
    unsigned source)
{
	struct pd_peer *p;
	struct pd_event ev;
	int64_t now = pd_manager_now();
	int r;

	if (pd_peerid_equal(id, pd_net_peer_id(m->net)) ||
	    pd_store_source_name(source) == NULL || ttl_ms < 0)
		return PD_ERR_INVAL;
	if ((r = pd_store_add(m->store, id, now, &p)) < 0)
		return r;
	for (size_t i = 0; i < naddrs; i++) {
		struct pd_multiaddr bare;

		if (pd_multiaddr_without_peer(&addrs[i], &bare) == 0)
			(void)pd_store_add_addr(p, &bare, ttl_ms, source, now);
	}
	m->stats.peers_discovered++;
	memset(&ev, 0, sizeof(ev));
	ev.type = PD_EVENT_PEER_DISCOVERED;
	ev.peer = &p->id;
	ev.addrs = addrs;
	ev.naddrs = naddrs;
	ev.source = pd_store_source_name(source);
	mgr_emit_simple(m, &ev);
	mgr_changed(m);
	return 0;
}

static void
mgr_connect_free(struct mgr_connect *cr)
{
	LIST_REMOVE(cr, entry);
	cr->m->nconnects--;
	if (cr->dial != NULL)
		pd_net_dial_cancel(cr->dial);
	if (cr->done_ev != NULL)
		event_free(cr->done_ev);
	free(cr);
}

static void
mgr_connect_finish(struct mgr_connect *cr, int result,
    const struct pd_peerid *id, const char *why)
{
	pd_manager_connect_cb cb = cr->cb;
	void *arg = cr->arg;
	struct pd_peerid copy;
	char whycopy[PD_NET_WHY_MAX];

	/* id and why may point into cr (cr->id, cr->why): copy both */
	if (id != NULL)
		copy = *id;
	snprintf(whycopy, sizeof(whycopy), "%s", why != NULL ? why : "");
	cr->dial = NULL;
	mgr_connect_free(cr);
	cb(result, id != NULL ? &copy : NULL, whycopy, arg);
}

static void mgr_connect_next(struct mgr_connect *cr);

static void
mgr_connect_dial_cb(int result, struct pd_conn *c, const char *why,
    void *arg)
{
	struct mgr_connect *cr = arg;
	struct pd_manager *m = cr->m;
	struct pd_peer *p;

	cr->dial = NULL;
	if (result == 0) {
		mgr_connect_finish(cr, 0, pd_conn_peer(c), "");
		return;
	}
	m->stats.dial_failures++;
	cr->result = result;
	snprintf(cr->why, sizeof(cr->why), "%s", why);
	if (cr->has_id && (p = pd_store_get(m->store, &cr->id)) != NULL)
		pd_store_set_dial_state(p, p->dial_failures + 1, p->next_dial,
		    why);
	mgr_connect_next(cr);
}

/* Dial the next address, or report the last failure. */
static void
mgr_connect_next(struct mgr_connect *cr)
{
	struct pd_manager *m = cr->m;
	int err = 0;

	while (cr->next < cr->naddrs) {
		struct pd_multiaddr *ma = &cr->addrs[cr->next++];

		m->stats.dials++;
		cr->dial = pd_net_dial(m->net, ma, cr->has_id ? &cr->id : NULL,
		    mgr_connect_dial_cb, cr, &err);
		if (cr->dial != NULL)
			return;
		cr->result = err;
		snprintf(cr->why, sizeof(cr->why), "cannot dial: %s",
		    pd_strerror(err));
	}
	mgr_connect_finish(cr, cr->result < 0 ? cr->result :
	    PD_ERR_DIAL_FAILED, NULL, cr->why[0] ? cr->why : "no address");
}

static void
mgr_connect_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mgr_connect *cr = arg;

	(void)fd;
	(void)what;
	if (cr->result == 0)
		mgr_connect_finish(cr, 0, &cr->id, "");
	else
		mgr_connect_next(cr);
}

int
pd_manager_connect(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addr, pd_manager_connect_cb cb, void *arg)
{
	struct mgr_connect *cr;
	struct pd_peer *p = NULL;
	const uint8_t *mh;
	size_t mhlen;
	int already = 0;

	if (id == NULL && addr == NULL)
		return PD_ERR_INVAL;
	if (m->nconnects >= PD_MANAGER_MAX_CONNECTS)
		return PD_ERR_PEER_LIMIT;
	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return PD_ERR_NOMEM;
	cr->m = m;
	cr->cb = cb;
	cr->arg = arg;
	if (id != NULL) {
		cr->id = *id;
		cr->has_id = 1;
	} else if (pd_multiaddr_peer_id(addr, &mh, &mhlen) == 0 &&
	    pd_peerid_from_bytes(mh, mhlen, &cr->id) == 0) {
		cr->has_id = 1;
	}
	if (cr->has_id && pd_peerid_equal(&cr->id, pd_net_peer_id(m->net))) {
		free(cr);
		return PD_ERR_INVAL;
	}
	if (cr->has_id)
		already = pd_net_conn_find(m->net, &cr->id) != NULL;
	if (!already && pd_manager_conn_count(m, NULL, NULL) >=
	    m->cfg.max_peers && !(cr->has_id &&
	    mgr_is_protected_id(m, &cr->id))) {
		free(cr);
		return PD_ERR_PEER_LIMIT;
	}
	if (addr != NULL)
		cr->addrs[cr->naddrs++] = *addr;
	if (cr->has_id && (p = pd_store_get(m->store, &cr->id)) != NULL)
		for (size_t i = 0; i < p->naddrs && cr->naddrs <
		    sizeof(cr->addrs) / sizeof(cr->addrs[0]); i++)
			if (pd_store_addr_get(p, i, &cr->addrs[cr->naddrs]) ==
			    0 && (addr == NULL || !pd_multiaddr_equal(addr,
			    &cr->addrs[cr->naddrs])))
				cr->naddrs++;
	if (!already && cr->naddrs == 0) {
		free(cr);
		return PD_ERR_PEER_NOT_FOUND;
	}
	if ((cr->done_ev = evtimer_new(m->base, mgr_connect_done_cb,
	    cr)) == NULL) {
		free(cr);
		return PD_ERR_NOMEM;
	}
	LIST_INSERT_HEAD(&m->connects, cr, entry);
	m->nconnects++;
	cr->result = already ? 0 : PD_ERR_DIAL_FAILED;
	/* Start from the loop: the callback never runs inside this call. */
	event_active(cr->done_ev, EV_TIMEOUT, 0);
	return 0;
}

int
pd_manager_disconnect(struct pd_manager *m, const struct pd_peerid *id)
{
	struct pd_conn *c, *next;
	int found = 0;

	for (c = pd_net_conn_first(m->net); c != NULL; c = next) {
		next = pd_conn_next(c);
		if (pd_peerid_equal(pd_conn_peer(c), id)) {
			pd_conn_close(c);
			found = 1;
		}
	}
	return found ? 0 : PD_ERR_PEER_NOT_FOUND;
}

int
pd_manager_protect(struct pd_manager *m, const struct pd_peerid *id,
    const char *tag)
{
	struct pd_peer *p;
	int r;

	if ((r = pd_store_add(m->store, id, pd_manager_now(), &p)) < 0)
		return r;
	if ((r = pd_store_protect(p, tag)) == 0)
		mgr_changed(m);
	return r;
}

int
pd_manager_unprotect(struct pd_manager *m, const struct pd_peerid *id,
    const char *tag)
{
	struct pd_peer *p = pd_store_get(m->store, id);
	int r;

	if (p == NULL)
		return PD_ERR_PEER_NOT_FOUND;
	if ((r = pd_store_unprotect(p, tag)) == 0)
		mgr_changed(m);
	return r;
}

struct pd_event_sub *
pd_manager_on_event(struct pd_manager *m, unsigned mask, pd_event_cb cb,
    void *arg)
{
	return pd_events_subscribe(m->events, mask, cb, arg);
}

void
pd_manager_off_event(struct pd_manager *m, struct pd_event_sub *sub)
{
	pd_events_unsubscribe(m->events, sub);
}

int
pd_manager_add_discovery(struct pd_manager *m,
    const struct pd_discovery_ops *ops, void *arg)
{
	struct mgr_discovery *d;
	int r;

	if (m->ndiscoveries == PD_DISCOVERY_MAX)
		return PD_ERR_OVERFLOW;
	d = &m->discoveries[m->ndiscoveries++];
	d->ops = ops;
	d->arg = arg;
	d->started = 0;
	if (m->started) {
		if ((r = ops->start(arg, m)) < 0) {
			m->ndiscoveries--;
			return r;
		}
		d->started = 1;
	}
	return 0;
}

void
pd_manager_set_limits(struct pd_manager *m, unsigned max_peers,
    unsigned min_peers, size_t store_max)
{
	m->cfg.max_peers = max_peers;
	m->cfg.min_peers = min_peers;
	m->cfg.store_max = store_max;
	if (pd_store_set_max(m->store, store_max) > 0)
		mgr_changed(m);
}

void
pd_manager_set_protected(struct pd_manager *m, const struct pd_peerid *ids,
    size_t n)
{
	if (n > PD_MANAGER_MAX_PROTECTED)
		n = PD_MANAGER_MAX_PROTECTED;
	memcpy(m->cfg.protected_ids, ids, n * sizeof(ids[0]));
	m->cfg.nprotected = n;
	mgr_apply_protected(m);
	mgr_changed(m);
}

void
pd_manager_set_connection_timeout(struct pd_manager *m, int ms)
{
	m->cfg.connection_timeout_ms = ms;
	pd_net_set_upgrade_timeout(m->net, ms);
}

void
pd_manager_namespace_key(const char *ns, uint8_t ret_key[34])
{
	ret_key[0] = 0x12;
	ret_key[1] = 0x20;
	crypto_hash_sha256(ret_key + 2, (const unsigned char *)ns, strlen(ns));
}

static void
mgr_provide_cb(int result, const struct pd_kad_query_peer *const *peers,
    size_t n, void *arg)
{
	char *ns = arg;

	(void)peers;
	if (result == 0)
		PD_LOG_DEBUG("advertised %s to %zu DHT peers", ns, n);
	else
		PD_LOG_INFO("advertising a namespace failed: %s",
		    pd_strerror(result));
	free(ns);
}

static void
mgr_provide(struct pd_manager *m, const char *ns)
{
	uint8_t key[34];
	char *copy = strdup(ns);

	if (copy == NULL)
		return;
	pd_manager_namespace_key(ns, key);
	if (pd_kad_dht_provide(m->dht, key, sizeof(key), mgr_provide_cb,
	    copy) < 0) {
		free(copy);	/* empty table: retried when a peer arrives */
		m->advertise_pending = 1;
	}
}

static void
mgr_advertise_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < m->nadvertised; i++)
		mgr_provide(m, m->advertised[i]);
}

int
pd_manager_advertise(struct pd_manager *m, const char *ns)
{
	struct timeval tv;
	size_t len = strlen(ns);

	if (m->dht == NULL)
		return PD_ERR_UNAVAILABLE;
	if (len == 0 || len > PD_MANAGER_MAX_NAMESPACE)
		return PD_ERR_INVAL;
	for (size_t i = 0; i < m->nadvertised; i++)
		if (strcmp(m->advertised[i], ns) == 0) {
			mgr_provide(m, ns);
			return 0;
		}
	if (m->nadvertised == PD_MANAGER_MAX_ADVERTISED)
		return PD_ERR_OVERFLOW;
	if ((m->advertised[m->nadvertised] = strdup(ns)) == NULL)
		return PD_ERR_NOMEM;
	m->nadvertised++;
	if (m->advertise_timer == NULL &&
	    (m->advertise_timer = event_new(m->base, -1, EV_PERSIST,
	    mgr_advertise_cb, m)) != NULL) {
		mgr_tv(&tv, PD_MANAGER_READVERTISE_MS);
		evtimer_add(m->advertise_timer, &tv);
	}
	mgr_provide(m, ns);
	return 0;
}

int
pd_manager_unadvertise(struct pd_manager *m, const char *ns)
{
	for (size_t i = 0; i < m->nadvertised; i++) {
		if (strcmp(m->advertised[i], ns) != 0)
			continue;
		free(m->advertised[i]);
		m->advertised[i] = m->advertised[--m->nadvertised];
		return 0;
	}
	return PD_ERR_NOT_FOUND;
}

size_t
pd_manager_advertised(const struct pd_manager *m, const char **out,
    size_t max)
{
	size_t n = 0;

	for (; n < m->nadvertised && n < max; n++)
		out[n] = m->advertised[n];
	return n;
}
