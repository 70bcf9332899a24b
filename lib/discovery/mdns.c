/*
 * mdns.c - mDNS discovery for the manager: the pd_discovery_ops adapter
 * around struct pd_mdns (lib/mdns/mdns.c).  It owns the service, which it
 * creates at the first start (the service name depends on the manager's
 * pnet key), supplies it with our peer ID and addresses from the manager,
 * and hands each peer it hears to pd_manager_add_peer() with source mdns.
 * The daemon (daemon/node.c) creates it, adds it to the manager and
 * applies mdns.enabled and the interface lists on reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "discovery/mdns.h"
#include "net/conn.h"
#include "peer/manager.h"

struct pd_disc_mdns {
	struct event_base *base;
	bool enabled;
	char service[PD_MDNS_MAX_SERVICE + 1];	/* configured */
	int64_t interval_ms;
	char allow[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t nallow;
	char deny[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t ndeny;
	struct pd_manager *m;		/* while started by the manager */
	struct pd_mdns *svc;		/* from the first start */
};

static void
disc_mdns_lists(const struct pd_disc_mdns *d, const char **allow,
    const char **deny)
{
	for (size_t i = 0; i < d->nallow; i++)
		allow[i] = d->allow[i];
	for (size_t i = 0; i < d->ndeny; i++)
		deny[i] = d->deny[i];
}

static int
disc_mdns_copy(char (*dst)[IFNAMSIZ], size_t *ret_n, const char *const *src,
    size_t n, char *why, size_t whylen)
{
	if (n > PD_MDNS_MAX_LIST) {
		snprintf(why, whylen, "at most %d interfaces per list",
		    PD_MDNS_MAX_LIST);
		return PD_ERR_OVERFLOW;
	}
	for (size_t i = 0; i < n; i++)
		if (src[i] == NULL || src[i][0] == '\0' ||
		    strlen(src[i]) >= IFNAMSIZ) {
			snprintf(why, whylen, "bad interface name");
			return PD_ERR_INVAL;
		}
	for (size_t i = 0; i < n; i++)
		snprintf(dst[i], IFNAMSIZ, "%s", src[i]);
	*ret_n = n;
	return 0;
}

/* pd_mdns_self_cb: our ID and the addresses to announce. */
static int
disc_mdns_self(void *arg, struct pd_peerid *ret_id, struct pd_multiaddr *addrs,
    size_t max, size_t *ret_n, bool *ret_announce)
{
	struct pd_disc_mdns *d = arg;
	const struct pd_manager_config *cfg;
	size_t n = 0;

	if (d->m == NULL)
		return PD_ERR_UNAVAILABLE;
	cfg = pd_manager_config(d->m);
	*ret_id = *pd_manager_peer_id(d->m);
	if (cfg->nannounce > 0) {
		for (size_t i = 0; i < cfg->nannounce && n < max; i++)
			addrs[n++] = cfg->announce[i];
		*ret_announce = true;
	} else {
		struct pd_multiaddr bound[PD_NET_MAX_LISTENERS];
		size_t nb = pd_net_listen_addrs(pd_manager_net(d->m), bound,
		    PD_NET_MAX_LISTENERS);

		for (size_t i = 0; i < nb && n < max; i++)
			addrs[n++] = bound[i];
		*ret_announce = false;
	}
	*ret_n = n;
	return 0;
}

/* pd_mdns_found_cb: into the store, source mdns, for the answer's TTL. */
static void
disc_mdns_found(void *arg, const struct pd_mdns_found *f)
{
	struct pd_disc_mdns *d = arg;
	int r;

	if (d->m == NULL)
		return;
	r = pd_manager_add_peer(d->m, f->id, f->addrs, f->naddrs,
	    (int64_t)f->ttl * 1000, PD_SOURCE_MDNS);
	if (r < 0 && f->is_new) {
		char peer[PD_PEERID_TEXT_MAX];

		pd_peerid_format(f->id, peer, sizeof(peer));
		PD_LOG_DEBUG("%s not stored: %s", peer,
		    pd_strerror(r));
	}
}

static int
disc_mdns_create(struct pd_disc_mdns *d)
{
	const struct pd_manager_config *cfg = pd_manager_config(d->m);
	const char *allow[PD_MDNS_MAX_LIST], *deny[PD_MDNS_MAX_LIST];
	char service[PD_MDNS_MAX_SERVICE + 1], why[256];
	struct pd_mdns_config mc;
	int r;

	if ((r = pd_mdns_service_name(d->service, cfg->has_psk ? cfg->psk :
	    NULL, service, sizeof(service))) < 0) {
		PD_LOG_WARN("mdns: service %s cannot carry the private network "
		    "fingerprint", d->service);
		return r;
	}
	disc_mdns_lists(d, allow, deny);
	memset(&mc, 0, sizeof(mc));
	mc.service = service;
	mc.interval_ms = d->interval_ms;
	mc.allow = allow;
	mc.nallow = d->nallow;
	mc.deny = deny;
	mc.ndeny = d->ndeny;
	mc.self = disc_mdns_self;
	mc.found = disc_mdns_found;
	mc.arg = d;
	if ((r = pd_mdns_new(d->base, &mc, &d->svc, why, sizeof(why))) < 0) {
		PD_LOG_WARN("mdns: %s", why);
		return r;
	}
	PD_LOG_DEBUG("service %s, peer-name %s", service,
	    pd_mdns_peer_name_get(d->svc));
	return 0;
}

static int
disc_mdns_run(struct pd_disc_mdns *d)
{
	int r;

	if (d->m == NULL || !d->enabled)
		return 0;
	if (d->svc == NULL && (r = disc_mdns_create(d)) < 0)
		return r;
	return pd_mdns_start(d->svc);
}

static int
disc_mdns_start(void *arg, struct pd_manager *m)
{
	struct pd_disc_mdns *d = arg;

	d->m = m;
	return disc_mdns_run(d);
}

static void
disc_mdns_stop(void *arg)
{
	struct pd_disc_mdns *d = arg;

	if (d->svc != NULL)
		pd_mdns_stop(d->svc);
	d->m = NULL;
}

static const struct pd_discovery_ops disc_mdns_ops = {
	.name = "mdns",
	.start = disc_mdns_start,
	.stop = disc_mdns_stop,
	.advertise = NULL,
	.unadvertise = NULL,
};

const struct pd_discovery_ops *
pd_disc_mdns_ops(void)
{
	return &disc_mdns_ops;
}

int
pd_disc_mdns_new(struct event_base *base,
    const struct pd_disc_mdns_config *cfg, struct pd_disc_mdns **ret_d,
    char *why, size_t whylen)
{
	struct pd_disc_mdns *d;
	char check[PD_MDNS_MAX_SERVICE + 1];
	int r;

	if (pd_mdns_service_name(cfg->service, NULL, check,
	    sizeof(check)) < 0) {
		snprintf(why, whylen, "bad service name");
		return PD_ERR_INVAL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	d->base = base;
	d->enabled = cfg->enabled;
	snprintf(d->service, sizeof(d->service), "%s", check);
	d->interval_ms = cfg->interval_ms;
	if ((r = disc_mdns_copy(d->allow, &d->nallow, cfg->allow, cfg->nallow,
	    why, whylen)) < 0 || (r = disc_mdns_copy(d->deny, &d->ndeny,
	    cfg->deny, cfg->ndeny, why, whylen)) < 0) {
		free(d);
		return r;
	}
	*ret_d = d;
	return 0;
}

void
pd_disc_mdns_free(struct pd_disc_mdns *d)
{
	if (d == NULL)
		return;
	pd_mdns_free(d->svc);
	free(d);
}

int
pd_disc_mdns_set_enabled(struct pd_disc_mdns *d, bool enabled)
{
	if (d->enabled == enabled)
		return 0;
	d->enabled = enabled;
	if (!enabled) {
		if (d->svc != NULL)
			pd_mdns_stop(d->svc);
		return 0;
	}
	return disc_mdns_run(d);
}

bool
pd_disc_mdns_enabled(const struct pd_disc_mdns *d)
{
	return d->enabled;
}

bool
pd_disc_mdns_running(const struct pd_disc_mdns *d)
{
	return d->svc != NULL && pd_mdns_started(d->svc);
}

int
pd_disc_mdns_set_interfaces(struct pd_disc_mdns *d,
    const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny, char *why, size_t whylen)
{
	char a[PD_MDNS_MAX_LIST][IFNAMSIZ], n[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t na = 0, nd = 0;
	int r;

	if ((r = disc_mdns_copy(a, &na, allow, nallow, why, whylen)) < 0 ||
	    (r = disc_mdns_copy(n, &nd, deny, ndeny, why, whylen)) < 0)
		return r;
	if (d->svc != NULL && (r = pd_mdns_set_lists(d->svc, allow, nallow,
	    deny, ndeny, why, whylen)) < 0)
		return r;
	memcpy(d->allow, a, sizeof(a));
	memcpy(d->deny, n, sizeof(n));
	d->nallow = na;
	d->ndeny = nd;
	return 0;
}

size_t
pd_disc_mdns_interfaces(const struct pd_disc_mdns *d, char (*names)[IFNAMSIZ],
    size_t max)
{
	if (!pd_disc_mdns_running(d))
		return 0;
	return pd_mdns_ifaces(d->svc, names, max);
}

size_t
pd_disc_mdns_peers(const struct pd_disc_mdns *d,
    struct pd_mdns_peer_info *out, size_t max)
{
	if (!pd_disc_mdns_running(d))
		return 0;
	return pd_mdns_peers(d->svc, out, max);
}

void
pd_disc_mdns_stats(const struct pd_disc_mdns *d, struct pd_mdns_stats *ret)
{
	if (d->svc == NULL)
		memset(ret, 0, sizeof(*ret));
	else
		pd_mdns_stats(d->svc, ret);
}

const char *
pd_disc_mdns_service(const struct pd_disc_mdns *d)
{
	return d->svc != NULL ? pd_mdns_service_get(d->svc) : "";
}
