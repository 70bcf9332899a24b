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
#include <errno.h>
#include <limits.h>
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
#include "peer/connmgr.h"
#include "peer/manager.h"
#include "peer/storefile.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

struct mgr_connect {
	LIST_ENTRY(mgr_connect) entry;
	struct pd_manager *m;
	struct pd_peerid id;
	int has_id;
	int slot;			/* holds a connmgr dial-budget slot */
	int queued;			/* waiting for the dial budget */
	int automatic;			/* started by the manager, not asked */
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
	int store_locked;		/* unreadable at start: never save */
	int64_t dirty_since;		/* first unsaved change (debounce) */
	int64_t started_at;
	int started;
	char *advertised[PD_MANAGER_MAX_ADVERTISED];
	size_t nadvertised;
	int advertise_pending;		/* a provide found an empty table */
	struct event *advertise_timer;
	struct event *refresh_timer;	/* DHT routing-table refresh */
	int64_t seed_backoff_ms;	/* empty table: re-seed interval */
	int64_t next_seed_ms;
	int refreshed_once;		/* first refresh after first peer */
	struct mgr_discovery discoveries[PD_DISCOVERY_MAX];
	size_t ndiscoveries;
	LIST_HEAD(, mgr_connect) connects;
	size_t nconnects;
	size_t nin, nout;		/* open connections */
	struct pd_manager_stats stats;
	struct pd_connmgr *cm;		/* limits, scores, back-off, budget */
	struct event *maint_timer;	/* trim, dial up to min_peers, queue */
	struct pd_peerid *warm;		/* peers to reconnect at start */
	size_t nwarm, warm_next;
	int64_t refused_log_at;		/* mono ms of the last refusal line */
	uint64_t refused_unlogged;	/* refusals since that line */
};

static void mgr_maint_soon(struct pd_manager *m);
static void mgr_maint_cb(evutil_socket_t fd, short what, void *arg);
static void mgr_autodial_cb(int result, const struct pd_peerid *id,
    const char *why, void *arg);

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
		(void)pd_connmgr_set_latency(pc->m->cm, &pc->id,
		    (uint32_t)(rtt_us / 1000 > UINT32_MAX ? UINT32_MAX :
		    rtt_us / 1000), pd_time_mono_ms());
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

/*
 * The DHT wants to dial a peer it is not connected to: the hard cap holds
 * for its dials too (peers.max_peers counts connected peers, our dials and
 * the DHT's), so a lookup at the cap uses the connections it has.
 */
static bool
mgr_dht_may_dial(const struct pd_peerid *id, size_t dialing, void *arg)
{
	struct pd_manager *m = arg;
	struct pd_connmgr_stats st;

	if (mgr_is_protected_id(m, id))
		return true;
	pd_connmgr_stats(m->cm, &st);
	return (size_t)st.connected + st.dialing + dialing < m->cfg.max_peers;
}

/* A peer entered the routing table: remember it for a warm restart. */
static void
mgr_dht_admitted(const struct pd_peerid *id, void *arg)
{
	struct pd_manager *m = arg;
	struct pd_peer *p;

	if ((p = pd_store_get(m->store, id)) == NULL)
		return;
	pd_store_add_sources(p, PD_SOURCE_DHT);
	pd_store_set_kad_server(p, true);
	(void)pd_connmgr_tag(m->cm, id, PD_CONNMGR_TAG_DHT,
	    PD_CONNMGR_WEIGHT_DHT, pd_time_mono_ms());
	mgr_changed(m);
	/* The first DHT peer: fill the table right away. */
	if (!m->refreshed_once) {
		m->refreshed_once = 1;
		(void)pd_kad_dht_refresh(m->dht, 0);
	}
	if (m->advertise_pending) {
		m->advertise_pending = 0;
		for (size_t i = 0; i < m->nadvertised; i++)
			mgr_provide(m, m->advertised[i]);
	}
}

static int
mgr_seed_cmp(const void *a, const void *b)
{
	const struct pd_peer *pa = *(const struct pd_peer *const *)a;
	const struct pd_peer *pb = *(const struct pd_peer *const *)b;

	return pa->last_seen < pb->last_seen ? 1 :
	    pa->last_seen > pb->last_seen ? -1 : 0;
}

/*
 * Offer the routing table the DHT servers the store remembers (the table
 * of the last run), most recently seen first: each is checked with a
 * FIND_NODE and enters the table if it answers.  Returns how many.
 */
static size_t
mgr_dht_seed(struct pd_manager *m)
{
	struct pd_peer *p, **cand;
	size_t n = 0, max = PD_MANAGER_DHT_SEEDS, started = 0;

	if (m->dht == NULL ||
	    (cand = calloc(pd_store_count(m->store) + 1, sizeof(*cand))) ==
	    NULL)
		return 0;
	for (p = pd_store_first(m->store); p != NULL; p = pd_store_next(p))
		if (p->kad_server && p->naddrs > 0 &&
		    !pd_peerid_equal(&p->id, pd_net_peer_id(m->net)))
			cand[n++] = p;
	qsort(cand, n, sizeof(*cand), mgr_seed_cmp);
	for (size_t i = 0; i < n && started < max; i++) {
		struct pd_multiaddr addrs[PD_KAD_RT_MAX_ADDRS];
		size_t na = 0;

		for (size_t j = 0; j < cand[i]->naddrs && na <
		    PD_KAD_RT_MAX_ADDRS; j++)
			if (pd_store_addr_get(cand[i], j, &addrs[na]) == 0)
				na++;
		if (pd_kad_dht_probe(m->dht, &cand[i]->id, addrs, na) == 0)
			started++;
	}
	free(cand);
	return started;
}

/*
 * An empty routing table (every DHT peer gone) is re-seeded from the
 * store, at most every seed_backoff (1 min doubling to 16 min while it
 * stays empty; bootstrap peers are re-dialled by the bootstrap discovery).
 */
static void
mgr_dht_reseed(struct pd_manager *m)
{
	int64_t now = pd_manager_now();
	size_t n;

	if (pd_kad_rt_size(pd_kad_dht_rt(m->dht)) > 0) {
		m->seed_backoff_ms = 0;
		return;
	}
	if (now < m->next_seed_ms)
		return;
	m->seed_backoff_ms = m->seed_backoff_ms == 0 ? 60000 :
	    m->seed_backoff_ms >= 16 * 60000 ? 16 * 60000 :
	    m->seed_backoff_ms * 2;
	m->next_seed_ms = now + m->seed_backoff_ms;
	if ((n = mgr_dht_seed(m)) > 0)
		PD_LOG_INFO("DHT routing table empty: checking %zu remembered "
		    "DHT peers", n);
}

static void
mgr_refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;
	size_t n;

	(void)fd;
	(void)what;
	mgr_dht_reseed(m);
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
	{
		struct sockaddr_storage ss;
		socklen_t sl;
		bool in = pd_conn_direction(c) == PD_CONN_INBOUND;
		int have = pd_multiaddr_to_sockaddr(pd_conn_remote_addr(c), &ss,
		    &sl) == 0;

		if (pd_connmgr_conn_opened(m->cm, pd_conn_peer(c), in,
		    have ? (struct sockaddr *)&ss : NULL,
		    pd_time_mono_ms()) < 0 && in && have)
			(void)pd_connmgr_accept_abandoned(m->cm,
			    (struct sockaddr *)&ss);
	}
	mgr_maint_soon(m);
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
	{
		struct sockaddr_storage ss;
		socklen_t sl;
		int have = pd_multiaddr_to_sockaddr(pd_conn_remote_addr(c), &ss,
		    &sl) == 0;

		(void)pd_connmgr_conn_closed(m->cm, pd_conn_peer(c),
		    pd_conn_direction(c) == PD_CONN_INBOUND,
		    have ? (struct sockaddr *)&ss : NULL, pd_time_mono_ms());
	}
	mgr_maint_soon(m);
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

/* Inbound admission (connmgr): per-IP and total caps, per-IP rate. */
static int
mgr_accept(const struct pd_multiaddr *remote, void *arg)
{
	struct pd_manager *m = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[160];
	int64_t now = pd_time_mono_ms();

	if (pd_multiaddr_to_sockaddr(remote, &ss, &sl) < 0)
		return 0;
	if (pd_connmgr_accept_check(m->cm, (struct sockaddr *)&ss, now, why,
	    sizeof(why)) == 0)
		return 0;
	/* One line per PD_MANAGER_REFUSED_LOG_MS, however hard the flood. */
	if (m->refused_log_at == 0 ||
	    now - m->refused_log_at >= PD_MANAGER_REFUSED_LOG_MS) {
		char addr[PD_MULTIADDR_MAX_TEXT + 1];

		if (pd_multiaddr_format(remote, addr, sizeof(addr)) < 0)
			snprintf(addr, sizeof(addr), "?");
		PD_LOG_INFO("refused inbound connection from %s: %s (%llu "
		    "more refused since the last such line)", addr, why,
		    (unsigned long long)m->refused_unlogged);
		m->refused_log_at = now;
		m->refused_unlogged = 0;
	} else {
		m->refused_unlogged++;
	}
	return 1;
}

static void
mgr_accept_failed(const struct pd_multiaddr *remote, void *arg)
{
	struct pd_manager *m = arg;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (pd_multiaddr_to_sockaddr(remote, &ss, &sl) == 0)
		(void)pd_connmgr_accept_abandoned(m->cm,
		    (struct sockaddr *)&ss);
}

/* The connection-manager settings of a manager configuration. */
static void
mgr_cm_config(const struct pd_manager_config *cfg,
    struct pd_connmgr_config *cc)
{
	pd_connmgr_config_defaults(cc);
	cc->max_peers = cfg->max_peers;
	cc->min_peers = cfg->min_peers <= cfg->max_peers ? cfg->min_peers :
	    cfg->max_peers;
	cc->low_water = 0;
	if (cfg->grace_ms > 0)
		cc->grace_ms = cfg->grace_ms;
	if (cfg->retry_ms > 0)
		cc->retry_base_ms = cfg->retry_ms;
	if (cfg->max_per_ip > 0)
		cc->max_per_ip = cfg->max_per_ip;
	cc->max_inbound = cfg->max_inbound;
	if (cfg->dial_max_inflight > 0)
		cc->dial_max_inflight = cfg->dial_max_inflight;
	if (cfg->dial_per_minute > 0)
		cc->dial_per_minute = cfg->dial_per_minute;
	if (cfg->inbound_rate_per_ip > 0)
		cc->inbound_rate_per_ip = cfg->inbound_rate_per_ip;
	cc->exempt_loopback = !cfg->rate_limit_loopback;
}

static int
mgr_cm_apply(struct pd_manager *m)
{
	struct pd_connmgr_config cc;
	char why[160];
	int r;

	mgr_cm_config(&m->cfg, &cc);
	if ((r = pd_connmgr_set_config(m->cm, &cc, why, sizeof(why))) < 0)
		PD_LOG_WARN("connection limits not applied: %s", why);
	return r;
}

struct pd_manager *
pd_manager_new(struct event_base *base, const struct pd_manager_config *cfg)
{
	struct pd_manager *m;
	struct pd_net_config ncfg;
	struct pd_net_cbs cbs = {
		.on_accept = mgr_accept,
		.on_accept_failed = mgr_accept_failed,
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
	    (m->cm = pd_connmgr_new(((uint64_t)randombytes_random() << 32) |
	    randombytes_random())) == NULL ||
	    mgr_cm_apply(m) < 0 ||
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
			.exempt_private = cfg->dht_diversity != 2,
			.diversity = cfg->dht_diversity != 0,
			.rate = cfg->dht_rate,
			.on_admit = mgr_dht_admitted,
			.admit_arg = m,
			.may_dial = mgr_dht_may_dial,
			.dial_arg = m,
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
	if (m->dht != NULL) {
		(void)pd_kad_dht_expire(m->dht);
		mgr_dht_reseed(m);
	}
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
	if (m->store_locked) {
		snprintf(why, whylen, "%s could not be read at start and is kept "
		    "as it is; fix it and restart", m->store_file);
		m->stats.store_save_failures++;
		return PD_ERR_IO;
	}
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
	size_t stale;
	int r;

	if (m->store_file == NULL)
		return;
	if ((stale = pd_storefile_clean_tmp(m->store_file)) > 0)
		PD_LOG_INFO("peer store: removed %zu temporary file%s left by "
		    "an interrupted save", stale, stale == 1 ? "" : "s");
	r = pd_storefile_load(m->store, m->store_file, pd_manager_now(), why,
	    sizeof(why), NULL);
	if (r < 0) {
		char aside[PATH_MAX];

		/*
		 * Unreadable (permissions, I/O): never save over it.  Move it
		 * aside like a corrupt file; if even that fails, saves stay
		 * off for this run.
		 */
		snprintf(aside, sizeof(aside), "%s.unreadable-%lld",
		    m->store_file, (long long)(pd_manager_now() / 1000));
		if (rename(m->store_file, aside) == 0) {
			PD_LOG_WARN("peer store %s not loaded: %s; moved to %s, "
			    "starting empty", m->store_file, why, aside);
		} else {
			m->store_locked = 1;
			PD_LOG_WARN("peer store %s not loaded: %s; starting "
			    "empty and not saving over it", m->store_file, why);
		}
	}
	else if (r > 0)
		PD_LOG_WARN("peer store %s did not parse: %s; starting empty",
		    m->store_file, why);
	else
		PD_LOG_INFO("peer store: %zu peers loaded from %s",
		    pd_store_count(m->store), m->store_file);
	m->saved_gen = pd_store_generation(m->store);
}

/* The connmgr protects a peer iff the store says it is protected. */
static void
mgr_sync_protect(struct pd_manager *m, const struct pd_peer *p)
{
	if (pd_store_is_protected(p))
		(void)pd_connmgr_protect(m->cm, &p->id, "store",
		    pd_time_mono_ms());
	else
		(void)pd_connmgr_unprotect(m->cm, &p->id, "store");
}

static int
mgr_warm_cmp(const void *a, const void *b)
{
	const struct pd_peer *pa = *(const struct pd_peer *const *)a;
	const struct pd_peer *pb = *(const struct pd_peer *const *)b;
	int pra = pd_store_is_protected(pa), prb = pd_store_is_protected(pb);

	if (pra != prb)
		return prb - pra;		/* protected first */
	return pa->last_connected < pb->last_connected ? 1 :
	    pa->last_connected > pb->last_connected ? -1 : 0;
}

/*
 * Warm restart: the peers the store says were connected when it was last
 * saved, protected first, then most recently connected; at most max_peers.
 * The maintenance timer dials them within the dial budget.
 */
static void
mgr_warm_list(struct pd_manager *m)
{
	struct pd_peer *p, **v;
	size_t n = 0;

	if ((v = calloc(pd_store_count(m->store) + 1, sizeof(*v))) == NULL)
		return;
	for (p = pd_store_first(m->store); p != NULL; p = pd_store_next(p))
		if (p->was_connected && p->naddrs > 0)
			v[n++] = p;
	qsort(v, n, sizeof(*v), mgr_warm_cmp);
	if (n > m->cfg.max_peers)
		n = m->cfg.max_peers;
	if (n > 0 && (m->warm = calloc(n, sizeof(*m->warm))) != NULL) {
		for (size_t i = 0; i < n; i++)
			m->warm[i] = v[i]->id;
		m->nwarm = n;
		m->warm_next = 0;
		PD_LOG_INFO("warm restart: reconnecting to %zu peers connected "
		    "when the last run stopped", n);
	}
	free(v);
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
		mgr_sync_protect(m, p);
	}
	for (size_t i = 0; i < m->cfg.nprotected; i++)
		if (pd_store_add(m->store, &m->cfg.protected_ids[i],
		    pd_manager_now(), &p) >= 0) {
			pd_store_set_conf_protected(p, true);
			mgr_sync_protect(m, p);
		}
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
	if ((m->maint_timer = evtimer_new(m->base, mgr_maint_cb, m)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	mgr_warm_list(m);
	mgr_maint_soon(m);
	if (m->dht != NULL && m->cfg.dht_refresh_ms > 0 &&
	    (m->refresh_timer = evtimer_new(m->base, mgr_refresh_cb,
	    m)) != NULL)
		mgr_arm_refresh(m);
	if (m->dht != NULL && (r = (int)mgr_dht_seed(m)) > 0) {
		PD_LOG_INFO("DHT: checking %d peers remembered from the last "
		    "run", r);
		m->seed_backoff_ms = 60000;
		m->next_seed_ms = m->started_at + m->seed_backoff_ms;
	}
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

static void
pd_manager_stop_timers(struct pd_manager *m)
{
	if (m->maint_timer != NULL) {
		event_free(m->maint_timer);
		m->maint_timer = NULL;
	}
	free(m->warm);
	m->warm = NULL;
	m->nwarm = m->warm_next = 0;
}

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
	pd_manager_stop_timers(m);
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
	pd_connmgr_free(m->cm);
	pd_privkey_clear(&m->cfg.key);
	sodium_memzero(m->cfg.psk, sizeof(m->cfg.psk));
	free(m->agent);
	free(m->store_file);
	free(m);
}

struct pd_connmgr *
pd_manager_connmgr(const struct pd_manager *m)
{
	return m->cm;
}

void
pd_manager_set_conn_policy(struct pd_manager *m,
    const struct pd_manager_config *cfg)
{
	m->cfg.max_peers = cfg->max_peers;
	m->cfg.min_peers = cfg->min_peers;
	m->cfg.grace_ms = cfg->grace_ms;
	m->cfg.retry_ms = cfg->retry_ms;
	m->cfg.max_per_ip = cfg->max_per_ip;
	m->cfg.max_inbound = cfg->max_inbound;
	m->cfg.dial_max_inflight = cfg->dial_max_inflight;
	m->cfg.dial_per_minute = cfg->dial_per_minute;
	m->cfg.inbound_rate_per_ip = cfg->inbound_rate_per_ip;
	m->cfg.rate_limit_loopback = cfg->rate_limit_loopback;
	(void)mgr_cm_apply(m);
	mgr_maint_soon(m);
}

int
pd_manager_tag(struct pd_manager *m, const struct pd_peerid *id,
    const char *name, int weight)
{
	return pd_connmgr_tag(m->cm, id, name, weight, pd_time_mono_ms());
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
	return m->nconnects - pd_manager_queued(m);
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
	if (source == PD_SOURCE_BOOTSTRAP)
		(void)pd_connmgr_tag(m->cm, id, PD_CONNMGR_TAG_BOOTSTRAP,
		    PD_CONNMGR_WEIGHT_BOOTSTRAP, pd_time_mono_ms());
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
	if (cr->slot)
		pd_connmgr_dial_done(cr->m->cm, &cr->id);
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
	if (cr->slot) {
		struct pd_manager *m = cr->m;
		int64_t mono = pd_time_mono_ms(), next = 0;
		unsigned fails = 0;
		struct pd_peer *p;

		cr->slot = 0;
		(void)pd_connmgr_dial_result(m->cm, &cr->id, result == 0, mono);
		if ((p = pd_store_get(m->store, &cr->id)) != NULL &&
		    pd_connmgr_backoff(m->cm, &cr->id, &fails, &next) == 0)
			pd_store_set_dial_state(p, fails, next > mono ?
			    pd_manager_now() + (next - mono) : 0,
			    result == 0 ? NULL : whycopy);
	}
	mgr_connect_free(cr);
	if (cb != NULL)
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
	else if (!cr->queued)
		mgr_connect_next(cr);
}

/*
 * Take a dial-budget slot for cr: 0 (go), or 1 (queued: the budget is
 * spent; the maintenance timer starts it later), or <0 (refused: peer in
 * back-off, for automatic dials only).
 */
static int
mgr_connect_budget(struct mgr_connect *cr)
{
	struct pd_manager *m = cr->m;
	int r;

	if (!cr->has_id)
		return 0;	/* a bare address: nothing to account it to */
	r = pd_connmgr_dial_request(m->cm, &cr->id, pd_time_mono_ms(),
	    !cr->automatic);
	if (r == 0) {
		cr->slot = 1;
		return 0;
	}
	if (r == -EAGAIN || r == PD_ERR_AGAIN)
		return 1;
	if (r == PD_ERR_EXISTS && !cr->automatic)
		return 0;	/* asked for: dial alongside the other one */
	return r;
}

static int
mgr_connect_start(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addr, pd_manager_connect_cb cb, void *arg,
    int automatic)
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
	cr->automatic = automatic;
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
	if (!already && (cr->has_id ? pd_connmgr_over_cap(m->cm, &cr->id) :
	    pd_connmgr_over_cap(m->cm, NULL))) {
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
	if (!already) {
		int b = mgr_connect_budget(cr);

		if (b < 0) {
			event_free(cr->done_ev);
			free(cr);
			return b;
		}
		cr->queued = b == 1;
	}
	LIST_INSERT_HEAD(&m->connects, cr, entry);
	m->nconnects++;
	cr->result = already ? 0 : PD_ERR_DIAL_FAILED;
	if (cr->queued) {
		m->stats.dials_queued++;
		return 0;	/* the maintenance timer starts it */
	}
	/* Start from the loop: the callback never runs inside this call. */
	event_active(cr->done_ev, EV_TIMEOUT, 0);
	return 0;
}

int
pd_manager_connect(struct pd_manager *m, const struct pd_peerid *id,
    const struct pd_multiaddr *addr, pd_manager_connect_cb cb, void *arg)
{
	return mgr_connect_start(m, id, addr, cb, arg, 0);
}

size_t
pd_manager_queued(const struct pd_manager *m)
{
	const struct mgr_connect *cr;
	size_t n = 0;

	LIST_FOREACH(cr, &m->connects, entry)
		n += cr->queued != 0;
	return n;
}

/*
 * The store keeps each connected peer's connection-manager score, so
 * peers.list, the saved file and the store's eviction order see it.
 */
static void
mgr_sync_scores(struct pd_manager *m)
{
	struct pd_conn *c;

	for (c = pd_net_conn_first(m->net); c != NULL; c = pd_conn_next(c)) {
		struct pd_peer *p = pd_store_get(m->store, pd_conn_peer(c));
		struct pd_connmgr_score sc;

		if (p != NULL && pd_connmgr_score(m->cm, &p->id, &sc) == 0 &&
		    p->score != sc.total) {
			pd_store_set_score(p, sc.total);
			mgr_changed(m);
		}
	}
}

/*
 * Below min_peers: offer the connmgr the known, unconnected peers with an
 * address and dial those it picks (best first, within the budget, not
 * in back-off).
 */
static void
mgr_dial_up(struct pd_manager *m, int64_t mono)
{
	struct pd_connmgr_candidate *cands;
	struct pd_peerid ids[PD_MANAGER_DIAL_UP_MAX];
	struct pd_peer *p;
	size_t n = 0, cap = pd_store_count(m->store);
	int k;

	if (cap > PD_CONNMGR_MAX_CANDIDATES)
		cap = PD_CONNMGR_MAX_CANDIDATES;
	if (cap == 0 || (cands = calloc(cap, sizeof(*cands))) == NULL)
		return;
	for (p = pd_store_first(m->store); p != NULL && n < cap;
	    p = pd_store_next(p)) {
		if (p->connected || p->naddrs == 0)
			continue;
		cands[n].id = p->id;
		cands[n].last_success_ms = p->was_connected ||
		    p->last_connected != 0 ? p->last_connected : 0;
		cands[n].protected = pd_store_is_protected(p);
		cands[n].bootstrap = (p->sources & PD_SOURCE_BOOTSTRAP) != 0;
		n++;
	}
	k = pd_connmgr_want(m->cm, mono, cands, n, ids, PD_MANAGER_DIAL_UP_MAX);
	free(cands);
	for (int i = 0; i < k; i++)
		(void)mgr_connect_start(m, &ids[i], NULL, mgr_autodial_cb, NULL,
		    1);
}

static void
mgr_autodial_cb(int result, const struct pd_peerid *id, const char *why,
    void *arg)
{
	char peer[PD_PEERID_TEXT_MAX] = "?";

	(void)arg;
	if (id != NULL)
		pd_peerid_format(id, peer, sizeof(peer));
	if (result < 0)
		PD_LOG_DEBUG("automatic dial of %s failed: %s", peer, why);
}

/*
 * Maintenance, every PD_MANAGER_MAINT_MS and soon after a connection
 * opens or closes: start queued connects within the dial budget, trim
 * above max_peers, reconnect the peers of the last run (warm restart),
 * and dial known peers while below min_peers.
 */
static void
mgr_maint(struct pd_manager *m)
{
	int64_t mono = pd_time_mono_ms();
	struct mgr_connect *cr;
	struct pd_peerid ids[PD_MANAGER_TRIM_MAX];
	int n;

	LIST_FOREACH(cr, &m->connects, entry) {
		if (!cr->queued)
			continue;
		if (pd_net_conn_find(m->net, &cr->id) != NULL) {
			cr->queued = 0;
			cr->result = 0;
			event_active(cr->done_ev, EV_TIMEOUT, 0);
			continue;
		}
		if (pd_connmgr_dial_request(m->cm, &cr->id, mono, true) != 0)
			break;
		cr->slot = 1;
		cr->queued = 0;
		event_active(cr->done_ev, EV_TIMEOUT, 0);
	}
	if ((n = pd_connmgr_trim(m->cm, mono, ids, PD_MANAGER_TRIM_MAX)) > 0) {
		m->stats.trims++;
		for (int i = 0; i < n; i++) {
			char peer[PD_PEERID_TEXT_MAX];
			struct pd_connmgr_score sc;

			pd_peerid_format(&ids[i], peer, sizeof(peer));
			(void)pd_connmgr_score(m->cm, &ids[i], &sc);
			PD_LOG_INFO("trimming %s: over peers.max_peers "
			    "(score %d)", peer, sc.total);
			m->stats.peers_trimmed++;
			(void)pd_manager_disconnect(m, &ids[i]);
		}
	}
	/* Warm restart: the peers connected when the last run stopped. */
	while (m->warm_next < m->nwarm) {
		const struct pd_peerid *id = &m->warm[m->warm_next];
		struct pd_connmgr_budget b;

		pd_connmgr_budget(m->cm, mono, &b);
		if (b.dialing >= b.max_inflight || b.tokens == 0)
			break;
		m->warm_next++;
		if (pd_net_conn_find(m->net, id) == NULL)
			(void)mgr_connect_start(m, id, NULL, mgr_autodial_cb,
			    NULL, 1);
	}
	if (m->warm_next >= m->nwarm && m->warm != NULL) {
		free(m->warm);
		m->warm = NULL;
		m->nwarm = m->warm_next = 0;
	}
	if (pd_connmgr_count(m->cm) < m->cfg.min_peers)
		mgr_dial_up(m, mono);
	mgr_sync_scores(m);
}

static void
mgr_maint_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_manager *m = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	mgr_maint(m);
	mgr_tv(&tv, PD_MANAGER_MAINT_MS);
	evtimer_add(m->maint_timer, &tv);
}

/* Run the maintenance from the loop, soon (coalesces bursts). */
static void
mgr_maint_soon(struct pd_manager *m)
{
	struct timeval tv = { 0, 50 * 1000 }, when, now, soon;

	if (m->maint_timer == NULL || !m->started)
		return;
	if (evtimer_pending(m->maint_timer, &when) &&
	    event_base_gettimeofday_cached(m->base, &now) == 0) {
		evutil_timeradd(&now, &tv, &soon);
		if (evutil_timercmp(&when, &soon, <=))
			return;	/* already due soon: a burst runs it once */
	}
	evtimer_add(m->maint_timer, &tv);
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
	mgr_sync_protect(m, p);
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
	mgr_sync_protect(m, p);
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
	(void)mgr_cm_apply(m);
	mgr_maint_soon(m);
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
