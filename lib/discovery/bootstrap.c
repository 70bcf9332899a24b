/*
 * bootstrap.c - bootstrap discovery: resolves the configured bootstrap
 * addresses (/dns4 /dns6 /dns with evdns, /dnsaddr with TXT lookups that
 * dnsaddr.c encodes and decodes and this file sends over UDP), reports
 * each peer to the manager (PD_SOURCE_BOOTSTRAP), dials it, protects it
 * for a grace period, retries with jittered back-off and runs a new round
 * when the node loses its last connection.  The daemon (daemon/node.c)
 * creates it, plugs it into the manager as a discovery, reloads its peer
 * list and reads its state for discovery.bootstrap.
 *
 * Ownership: struct pd_bootstrap owns its peers, timers, the evdns base,
 * its UDP TXT queries and small tickets for the manager's connect
 * callbacks and evdns callbacks.  Those callbacks may arrive after the
 * attempt (or the peer, or b) they were for is gone, so a ticket names
 * its peer by serial number and attempt, and b clears ticket->b when it
 * is freed; the callback frees its ticket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "core/error.h"
#include "core/log.h"
#include "core/time.h"
#include "discovery/bootstrap.h"
#include "peer/manager.h"

#define BOOT_MAX_ANSWER_ADDRS 8		/* A/AAAA addresses used per answer */

enum boot_state {
	BOOT_IDLE,
	BOOT_RESOLVING,
	BOOT_CONNECTING,
	BOOT_CONNECTED,
	BOOT_FAILED,
	BOOT_BACKING_OFF,
};

static const char *const boot_state_names[] = {
	[BOOT_IDLE] = "idle",
	[BOOT_RESOLVING] = "resolving",
	[BOOT_CONNECTING] = "connecting",
	[BOOT_CONNECTED] = "connected",
	[BOOT_FAILED] = "failed",
	[BOOT_BACKING_OFF] = "backing-off",
};

/* Resolution data of one attempt (freed when it ends). */
struct boot_attempt {
	struct pd_dnsaddr dns;			/* /dnsaddr only */
	int has_dns;
	struct pd_multiaddr cand[PD_DNSADDR_MAX_RESULTS];
	size_t ncand;
	unsigned pending;			/* evdns lookups out */
	unsigned dropped;			/* not dialable or other peer */
	char error[PD_BOOTSTRAP_MAX_ERROR];	/* first lookup failure */
};

struct boot_peer {
	struct pd_bootstrap *b;
	uint64_t serial;			/* names it in tickets */
	uint32_t attempt;			/* bumped per attempt / abort */
	char *text;				/* canonical configured text */
	struct pd_multiaddr ma;
	bool id_from_ma;
	bool has_id;
	struct pd_peerid id;
	enum boot_state state;
	bool connected;
	bool protected_;			/* we hold the "bootstrap" tag */
	unsigned failures;
	char last_error[PD_BOOTSTRAP_MAX_ERROR];
	int64_t next_attempt_ms;		/* unix ms, 0 none */
	struct event *retry_ev;
	struct event *grace_ev;
	struct boot_attempt *att;
	struct pd_multiaddr resolved[PD_BOOTSTRAP_MAX_ADDRS];
	size_t nresolved;
	size_t connect_next;			/* no ID: next addr to dial */
};

/* One TXT query over UDP (we own its socket and event). */
struct boot_txtq {
	LIST_ENTRY(boot_txtq) entry;
	struct pd_bootstrap *b;
	uint64_t serial;
	uint32_t attempt;
	size_t token;
	evutil_socket_t fd;
	struct event *ev;
	uint16_t id;
	int tries;
	char name[PD_DNSADDR_QNAME_MAX];
	uint8_t pkt[12 + PD_DNSADDR_QNAME_MAX + 6];
	size_t pktlen;
};

/* An evdns lookup or a manager connect in flight. */
struct boot_ticket {
	LIST_ENTRY(boot_ticket) entry;
	struct pd_bootstrap *b;			/* NULL once b is freed */
	uint64_t serial;
	uint32_t attempt;
	struct pd_multiaddr rest;		/* evdns: after the name */
	char host[PD_DNSADDR_QNAME_MAX];	/* evdns: for errors */
};

struct pd_bootstrap {
	struct event_base *base;
	struct evdns_base *dns;
	struct sockaddr_storage ns;		/* TXT queries go here */
	socklen_t nslen;
	int64_t protect_ms, backoff_base_ms, backoff_max_ms;
	int dns_timeout_ms;
	struct pd_manager *m;			/* borrowed while started */
	struct pd_event_sub *sub;
	bool running;
	struct boot_peer *peers[PD_BOOTSTRAP_MAX_PEERS];
	size_t npeers;
	uint64_t next_serial;
	struct event *round_ev;
	unsigned round_failures;
	LIST_HEAD(, boot_txtq) txtqs;
	LIST_HEAD(, boot_ticket) dnsreqs;
	LIST_HEAD(, boot_ticket) connects;
};

static void boot_attempt_start(struct boot_peer *p);
static void boot_hosts_stage(struct boot_peer *p);
static void boot_resolved(struct boot_peer *p);
static void boot_connect_next(struct boot_peer *p);
static void boot_txt_pump(struct boot_peer *p);

static struct boot_peer *
boot_find_serial(struct pd_bootstrap *b, uint64_t serial)
{
	for (size_t i = 0; i < b->npeers; i++)
		if (b->peers[i]->serial == serial)
			return b->peers[i];
	return NULL;
}

/* Jittered back-off for the n-th consecutive failure (n >= 1), in ms. */
static int64_t
boot_backoff(const struct pd_bootstrap *b, unsigned n)
{
	int64_t d = b->backoff_base_ms;
	uint32_t span;

	for (unsigned i = 1; i < n && d < b->backoff_max_ms; i++)
		d *= 2;
	if (d > b->backoff_max_ms)
		d = b->backoff_max_ms;
	span = (uint32_t)(d / 2 > UINT32_MAX - 1 ? UINT32_MAX - 1 : d / 2);
	return d - d / 4 + (int64_t)randombytes_uniform(span + 1);
}

static void
boot_timer_add(struct event *ev, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

static void
boot_format_id(const struct boot_peer *p, char *out, size_t outlen)
{
	if (!p->has_id || pd_peerid_format(&p->id, out, outlen) < 0)
		snprintf(out, outlen, "%s", "(unknown id)");
}

static void
boot_txtq_free(struct boot_txtq *q)
{
	LIST_REMOVE(q, entry);
	if (q->ev != NULL)
		event_free(q->ev);
	if (q->fd >= 0)
		evutil_closesocket(q->fd);
	free(q);
}

/* End the current attempt's I/O and data (tickets go stale). */
static void
boot_attempt_abort(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	struct boot_txtq *q, *qn;

	p->attempt++;
	for (q = LIST_FIRST(&b->txtqs); q != NULL; q = qn) {
		qn = LIST_NEXT(q, entry);
		if (q->serial == p->serial)
			boot_txtq_free(q);
	}
	free(p->att);
	p->att = NULL;
}

static void
boot_unprotect(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;

	if (!p->protected_)
		return;
	p->protected_ = false;
	if (p->grace_ev != NULL)
		evtimer_del(p->grace_ev);
	if (b->m == NULL)
		return;
	for (size_t i = 0; i < b->npeers; i++)
		if (b->peers[i] != p && b->peers[i]->protected_ &&
		    b->peers[i]->has_id && pd_peerid_equal(&b->peers[i]->id,
		    &p->id))
			return;			/* another entry still holds it */
	(void)pd_manager_unprotect(b->m, &p->id, PD_BOOTSTRAP_TAG);
}

static void
boot_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	boot_unprotect(arg);
}

static void
boot_protect(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	char idt[PD_PEERID_TEXT_MAX];
	int r;

	if (!p->has_id || b->m == NULL)
		return;
	if ((r = pd_manager_protect(b->m, &p->id, PD_BOOTSTRAP_TAG)) < 0) {
		boot_format_id(p, idt, sizeof(idt));
		PD_LOG_WARN("bootstrap: cannot protect %s: %s", idt,
		    pd_strerror(r));
		return;
	}
	p->protected_ = true;
	boot_timer_add(p->grace_ev, b->protect_ms);
}

static void
boot_set_connected(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	char idt[PD_PEERID_TEXT_MAX];

	if (p->retry_ev != NULL)
		evtimer_del(p->retry_ev);
	p->state = BOOT_CONNECTED;
	p->connected = true;
	p->failures = 0;
	p->next_attempt_ms = 0;
	p->last_error[0] = '\0';
	b->round_failures = 0;
	if (!p->protected_)
		boot_protect(p);
	boot_format_id(p, idt, sizeof(idt));
	PD_LOG_INFO("bootstrap: connected to %s (%s)", idt, p->text);
}

/* An attempt failed: back off (no connection at all) or wait. */
static void
boot_fail(struct boot_peer *p, const char *why)
{
	struct pd_bootstrap *b = p->b;
	int64_t d;

	boot_attempt_abort(p);
	p->failures++;
	p->connected = false;
	snprintf(p->last_error, sizeof(p->last_error), "%s", why);
	if (!b->running) {
		p->state = BOOT_IDLE;
		p->next_attempt_ms = 0;
		return;
	}
	if (pd_manager_conn_count(b->m, NULL, NULL) > 0) {
		p->state = BOOT_FAILED;
		p->next_attempt_ms = 0;
		PD_LOG_INFO("bootstrap: %s failed: %s (retried in the next "
		    "round)", p->text, why);
		return;
	}
	d = boot_backoff(b, p->failures);
	p->state = BOOT_BACKING_OFF;
	p->next_attempt_ms = pd_time_wall_ms() + d;
	boot_timer_add(p->retry_ev, d);
	PD_LOG_INFO("bootstrap: %s failed: %s, will retry in %lld ms",
	    p->text, why, (long long)d);
}

static void
boot_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	boot_attempt_start(arg);
}

/* --- TXT lookups over UDP ------------------------------------------ */

static void
boot_txt_finish(struct boot_txtq *q, const char *const *txt, size_t ntxt,
    const char *err)
{
	struct pd_bootstrap *b = q->b;
	struct boot_peer *p = boot_find_serial(b, q->serial);
	size_t token = q->token;

	boot_txtq_free(q);
	if (p == NULL || p->att == NULL || !p->att->has_dns)
		return;
	if (err != NULL)
		(void)pd_dnsaddr_fail(&p->att->dns, token, err);
	else
		(void)pd_dnsaddr_feed(&p->att->dns, token, txt, ntxt);
	boot_txt_pump(p);
}

static int
boot_txt_send(struct boot_txtq *q)
{
	ssize_t n = send(q->fd, q->pkt, q->pktlen, 0);

	return n == (ssize_t)q->pktlen ? 0 : -1;
}

static void
boot_txt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boot_txtq *q = arg;
	struct pd_dnsaddr_txt_answer *ans;
	uint8_t buf[PD_DNSADDR_MAX_MSG + 1];
	const char *txt[PD_DNSADDR_MAX_TXT];
	char why[PD_BOOTSTRAP_MAX_ERROR], err[PD_BOOTSTRAP_MAX_ERROR];
	ssize_t n;
	int r;

	if (what & EV_TIMEOUT) {
		if (++q->tries < PD_BOOTSTRAP_DNS_TRIES &&
		    boot_txt_send(q) == 0)
			return;
		boot_txt_finish(q, NULL, 0, "TXT lookup timed out");
		return;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		snprintf(err, sizeof(err), "TXT lookup: %.100s", strerror(errno));
		boot_txt_finish(q, NULL, 0, err);
		return;
	}
	if ((ans = malloc(sizeof(*ans))) == NULL) {
		boot_txt_finish(q, NULL, 0, "out of memory");
		return;
	}
	r = pd_dnsaddr_txt_decode(buf, (size_t)n, q->id, q->name, ans, why,
	    sizeof(why));
	if (r == PD_ERR_PROTOCOL) {
		free(ans);			/* stray or spoofed: keep waiting */
		return;
	}
	if (r < 0)
		snprintf(err, sizeof(err), "TXT answer: %.140s", why);
	else if (ans->rcode == PD_DNSADDR_RCODE_NXDOMAIN)
		snprintf(err, sizeof(err), "no such name");
	else if (ans->rcode != PD_DNSADDR_RCODE_NOERROR)
		snprintf(err, sizeof(err), "name server error (rcode %u)",
		    ans->rcode);
	else if (ans->truncated && ans->ntxt == 0)
		snprintf(err, sizeof(err), "truncated TXT answer (DNS over "
		    "TCP is not supported)");
	else
		err[0] = '\0';
	for (size_t i = 0; i < ans->ntxt; i++)
		txt[i] = ans->txt[i];
	boot_txt_finish(q, txt, err[0] == '\0' ? ans->ntxt : 0,
	    err[0] == '\0' ? NULL : err);
	free(ans);
}

/* Send one TXT query; on a local error fail the token at once. */
static void
boot_txt_start(struct boot_peer *p, size_t token, const char *name)
{
	struct pd_bootstrap *b = p->b;
	struct boot_txtq *q;
	struct timeval tv;
	const char *err = "out of memory";

	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto fail;
	q->fd = -1;
	q->b = b;
	q->serial = p->serial;
	q->attempt = p->attempt;
	q->token = token;
	snprintf(q->name, sizeof(q->name), "%s", name);
	LIST_INSERT_HEAD(&b->txtqs, q, entry);
	randombytes_buf(&q->id, sizeof(q->id));
	if (pd_dnsaddr_query_encode(q->id, name, PD_DNSADDR_TYPE_TXT, q->pkt,
	    sizeof(q->pkt), &q->pktlen) < 0) {
		err = "bad TXT name";
		goto fail_q;
	}
	q->fd = socket(b->ns.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&b->ns,
	    b->nslen) < 0 || boot_txt_send(q) < 0) {
		err = "cannot send the TXT query";
		goto fail_q;
	}
	if ((q->ev = event_new(b->base, q->fd, EV_READ | EV_PERSIST,
	    boot_txt_cb, q)) == NULL)
		goto fail_q;
	tv.tv_sec = b->dns_timeout_ms / 1000;
	tv.tv_usec = (b->dns_timeout_ms % 1000) * 1000;
	event_add(q->ev, &tv);
	return;
fail_q:
	boot_txtq_free(q);
fail:
	(void)pd_dnsaddr_fail(&p->att->dns, token, err);
}

/* Send every waiting TXT query; move on when the resolution is done. */
static void
boot_txt_pump(struct boot_peer *p)
{
	struct boot_attempt *att = p->att;
	struct boot_txtq *q;
	const char *name;
	size_t token;

	while (pd_dnsaddr_next_query(&att->dns, &token, &name) == 1)
		boot_txt_start(p, token, name);
	LIST_FOREACH(q, &p->b->txtqs, entry)
		if (q->serial == p->serial)
			return;			/* still waiting */
	if (!pd_dnsaddr_done(&att->dns))
		return;
	memcpy(att->cand, att->dns.results,
	    att->dns.nresults * sizeof(att->cand[0]));
	att->ncand = att->dns.nresults;
	if (att->ncand == 0) {
		char why[PD_BOOTSTRAP_MAX_ERROR];

		if (att->dns.last_error[0] != '\0')
			snprintf(why, sizeof(why), "%s", att->dns.last_error);
		else
			snprintf(why, sizeof(why), "no usable dnsaddr record "
			    "(%u for other addresses, %u bad, %u too deep)",
			    att->dns.dropped_suffix, att->dns.dropped_bad,
			    att->dns.dropped_depth);
		boot_fail(p, why);
		return;
	}
	att->has_dns = 0;
	boot_hosts_stage(p);
}

/* --- A / AAAA lookups and the dialable result ---------------------- */

/* Keep ma if dialable and for our peer; learn the ID if unknown. */
static void
boot_add_resolved(struct boot_peer *p, const struct pd_multiaddr *ma)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const uint8_t *mh;
	size_t mhlen;
	struct pd_peerid id;

	if (pd_multiaddr_to_sockaddr(ma, &ss, &sslen) < 0) {
		p->att->dropped++;
		return;
	}
	if (pd_multiaddr_peer_id(ma, &mh, &mhlen) == 0) {
		if (pd_peerid_from_bytes(mh, mhlen, &id) < 0) {
			p->att->dropped++;
			return;
		}
		if (!p->has_id) {
			p->id = id;
			p->has_id = true;
		} else if (!pd_peerid_equal(&p->id, &id)) {
			p->att->dropped++;
			return;
		}
	}
	for (size_t i = 0; i < p->nresolved; i++)
		if (pd_multiaddr_equal(&p->resolved[i], ma))
			return;
	if (p->nresolved == PD_BOOTSTRAP_MAX_ADDRS) {
		p->att->dropped++;
		return;
	}
	p->resolved[p->nresolved++] = *ma;
}

static void
boot_dns_cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	struct boot_ticket *t = arg;
	struct pd_bootstrap *b = t->b;
	struct boot_peer *p;

	(void)ttl;
	if (b == NULL) {		/* b is gone; t was unlinked then */
		free(t);
		return;
	}
	LIST_REMOVE(t, entry);
	if ((p = boot_find_serial(b, t->serial)) == NULL ||
	    p->attempt != t->attempt || p->att == NULL) {
		free(t);
		return;
	}
	if (result == DNS_ERR_NONE && (type == DNS_IPv4_A ||
	    type == DNS_IPv6_AAAA)) {
		if (count > BOOT_MAX_ANSWER_ADDRS)
			count = BOOT_MAX_ANSWER_ADDRS;
		for (int i = 0; i < count; i++) {
			struct pd_multiaddr ma;
			const uint8_t *a = (const uint8_t *)addresses +
			    (type == DNS_IPv4_A ? 4 : 16) * i;

			memset(&ma, 0, sizeof(ma));
			if (pd_multiaddr_append(&ma, type == DNS_IPv4_A ?
			    PD_MULTIADDR_IP4 : PD_MULTIADDR_IP6, a,
			    type == DNS_IPv4_A ? 4 : 16, NULL, 0) < 0)
				continue;
			if (t->rest.len > 0) {
				if (ma.len + t->rest.len > PD_MULTIADDR_MAX_BIN)
					continue;
				memcpy(ma.bytes + ma.len, t->rest.bytes,
				    t->rest.len);
				ma.len += t->rest.len;
			}
			boot_add_resolved(p, &ma);
		}
	} else if (p->att->error[0] == '\0') {
		snprintf(p->att->error, sizeof(p->att->error), "%.100s: %.50s",
		    t->host, result == DNS_ERR_NONE ? "no address" :
		    evdns_err_to_string(result));
	}
	free(t);
	if (--p->att->pending == 0)
		boot_resolved(p);
}

static void
boot_dns_start(struct boot_peer *p, const char *host,
    const struct pd_multiaddr *rest, int six)
{
	struct pd_bootstrap *b = p->b;
	struct boot_ticket *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(p->att->error, sizeof(p->att->error), "out of memory");
		return;
	}
	t->b = b;
	t->serial = p->serial;
	t->attempt = p->attempt;
	t->rest = *rest;
	snprintf(t->host, sizeof(t->host), "%s", host);
	LIST_INSERT_HEAD(&b->dnsreqs, t, entry);
	p->att->pending++;
	if ((six ? evdns_base_resolve_ipv6 : evdns_base_resolve_ipv4)(b->dns,
	    host, DNS_QUERY_NO_SEARCH, boot_dns_cb, t) == NULL) {
		/* libevent already called boot_dns_cb (it frees t) or failed */
		for (struct boot_ticket *x = LIST_FIRST(&b->dnsreqs); x != NULL;
		    x = LIST_NEXT(x, entry))
			if (x == t) {
				LIST_REMOVE(t, entry);
				free(t);
				p->att->pending--;
				snprintf(p->att->error, sizeof(p->att->error),
				    "%.100s: cannot start the lookup", host);
				break;
			}
	}
}

/* Resolve /dns* candidates; IP ones go straight to the result. */
static void
boot_hosts_stage(struct boot_peer *p)
{
	struct boot_attempt *att = p->att;
	unsigned lookups = 0;

	p->nresolved = 0;
	att->pending = 1;		/* hold: callbacks may come at once */
	for (size_t i = 0; i < att->ncand && p->att == att; i++) {
		struct pd_multiaddr *ma = &att->cand[i];
		struct pd_multiaddr_comp c;
		struct pd_multiaddr rest;
		char host[PD_DNSADDR_QNAME_MAX];
		size_t off = 0;

		if (pd_multiaddr_next(ma, &off, &c) <= 0)
			continue;
		if (c.code != PD_MULTIADDR_DNS4 && c.code != PD_MULTIADDR_DNS6 &&
		    c.code != PD_MULTIADDR_DNS) {
			boot_add_resolved(p, ma);
			continue;
		}
		if (pd_dnsaddr_host(c.value, c.value_len, host,
		    sizeof(host)) < 0) {
			att->dropped++;
			continue;
		}
		memset(&rest, 0, sizeof(rest));
		rest.len = ma->len - off;
		memcpy(rest.bytes, ma->bytes + off, rest.len);
		if (lookups + (c.code == PD_MULTIADDR_DNS ? 2 : 1) >
		    PD_BOOTSTRAP_MAX_LOOKUPS) {
			att->dropped++;
			continue;
		}
		if (c.code != PD_MULTIADDR_DNS6) {
			lookups++;
			boot_dns_start(p, host, &rest, 0);
		}
		if (c.code != PD_MULTIADDR_DNS4 && p->att == att) {
			lookups++;
			boot_dns_start(p, host, &rest, 1);
		}
	}
	if (p->att == att && --att->pending == 0)
		boot_resolved(p);
}

static void
boot_connect_cb(int result, const struct pd_peerid *id, const char *why,
    void *arg)
{
	struct boot_ticket *t = arg;
	struct pd_bootstrap *b = t->b;
	struct boot_peer *p;
	char err[PD_BOOTSTRAP_MAX_ERROR];

	LIST_REMOVE(t, entry);
	if (b == NULL || (p = boot_find_serial(b, t->serial)) == NULL ||
	    p->attempt != t->attempt || p->state != BOOT_CONNECTING) {
		free(t);
		return;
	}
	free(t);
	if (result == 0) {
		if (!p->has_id && id != NULL) {
			p->id = *id;
			p->has_id = true;
		}
		boot_set_connected(p);
		return;
	}
	if (!p->has_id && p->connect_next < p->nresolved) {
		boot_connect_next(p);
		return;
	}
	snprintf(err, sizeof(err), "connect: %.140s", why != NULL && why[0] ?
	    why : pd_strerror(result));
	boot_fail(p, err);
}

/* Ask the manager to connect (by ID, or address by address without). */
static void
boot_connect_next(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	struct boot_ticket *t;
	char err[PD_BOOTSTRAP_MAX_ERROR];
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		boot_fail(p, "out of memory");
		return;
	}
	t->b = b;
	t->serial = p->serial;
	t->attempt = p->attempt;
	LIST_INSERT_HEAD(&b->connects, t, entry);
	p->state = BOOT_CONNECTING;
	if (p->has_id)
		r = pd_manager_connect(b->m, &p->id, &p->resolved[0],
		    boot_connect_cb, t);
	else
		r = pd_manager_connect(b->m, NULL,
		    &p->resolved[p->connect_next++], boot_connect_cb, t);
	if (r < 0) {
		LIST_REMOVE(t, entry);
		free(t);
		snprintf(err, sizeof(err), "connect: %.140s", pd_strerror(r));
		boot_fail(p, err);
	}
}

static void
boot_resolved(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	char err[PD_BOOTSTRAP_MAX_ERROR];
	int r;

	if (p->nresolved == 0) {
		if (p->att->error[0] != '\0')
			snprintf(err, sizeof(err), "%s", p->att->error);
		else
			snprintf(err, sizeof(err), "no dialable address "
			    "(%u dropped)", p->att->dropped);
		boot_fail(p, err);
		return;
	}
	free(p->att);
	p->att = NULL;
	if (p->has_id && (r = pd_manager_add_peer(b->m, &p->id, p->resolved,
	    p->nresolved, PD_BOOTSTRAP_ADDR_TTL_MS,
	    PD_SOURCE_BOOTSTRAP)) < 0)
		PD_LOG_DEBUG("bootstrap: add_peer %s: %s", p->text,
		    pd_strerror(r));
	p->connect_next = 0;
	boot_connect_next(p);
}

static void
boot_attempt_start(struct boot_peer *p)
{
	struct pd_bootstrap *b = p->b;
	struct pd_multiaddr_comp c;
	size_t off = 0;
	char why[PD_BOOTSTRAP_MAX_ERROR];

	if (!b->running)
		return;
	evtimer_del(p->retry_ev);
	boot_attempt_abort(p);
	p->next_attempt_ms = 0;
	if (!p->id_from_ma)
		p->has_id = false;
	if ((p->att = calloc(1, sizeof(*p->att))) == NULL) {
		boot_fail(p, "out of memory");
		return;
	}
	p->state = BOOT_RESOLVING;
	(void)pd_multiaddr_next(&p->ma, &off, &c);
	if (c.code == PD_MULTIADDR_DNSADDR) {
		if (pd_dnsaddr_init(&p->att->dns, &p->ma, why,
		    sizeof(why)) < 0) {
			boot_fail(p, why);
			return;
		}
		p->att->has_dns = 1;
		boot_txt_pump(p);
		return;
	}
	p->att->cand[0] = p->ma;
	p->att->ncand = 1;
	boot_hosts_stage(p);
}

/* --- rounds, events ------------------------------------------------ */

static void
boot_round_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pd_bootstrap *b = arg;

	(void)fd;
	(void)what;
	(void)pd_bootstrap_run(b);
}

static void
boot_schedule_round(struct pd_bootstrap *b)
{
	int64_t d;

	if (evtimer_pending(b->round_ev, NULL))
		return;
	d = boot_backoff(b, ++b->round_failures);
	boot_timer_add(b->round_ev, d);
	for (size_t i = 0; i < b->npeers; i++) {
		struct boot_peer *p = b->peers[i];

		if (p->state == BOOT_IDLE || p->state == BOOT_FAILED) {
			p->state = BOOT_BACKING_OFF;
			p->next_attempt_ms = pd_time_wall_ms() + d;
		}
	}
	PD_LOG_INFO("bootstrap: no connections left, new round in %lld ms",
	    (long long)d);
}

static void
boot_event_cb(const struct pd_event *ev, void *arg)
{
	struct pd_bootstrap *b = arg;
	struct pd_peer *sp;

	if (!b->running || ev->peer == NULL)
		return;
	for (size_t i = 0; i < b->npeers; i++) {
		struct boot_peer *p = b->peers[i];

		if (!p->has_id || !pd_peerid_equal(&p->id, ev->peer))
			continue;
		if (ev->type == PD_EVENT_PEER_CONNECTED &&
		    p->state != BOOT_CONNECTING && p->state != BOOT_CONNECTED) {
			boot_attempt_abort(p);
			boot_set_connected(p);
		} else if (ev->type == PD_EVENT_PEER_DISCONNECTED &&
		    p->state == BOOT_CONNECTED) {
			sp = pd_store_get(pd_manager_store(b->m), &p->id);
			if (sp != NULL && sp->connected)
				continue;	/* another connection remains */
			p->state = BOOT_IDLE;
			p->connected = false;
			snprintf(p->last_error, sizeof(p->last_error),
			    "disconnected: %s", ev->reason != NULL ?
			    ev->reason : "closed");
		}
	}
	if (ev->type == PD_EVENT_PEER_DISCONNECTED &&
	    pd_manager_conn_count(b->m, NULL, NULL) == 0 && b->npeers > 0)
		boot_schedule_round(b);
}

int
pd_bootstrap_run(struct pd_bootstrap *b)
{
	if (!b->running)
		return PD_ERR_UNAVAILABLE;
	evtimer_del(b->round_ev);
	for (size_t i = 0; i < b->npeers; i++) {
		struct boot_peer *p = b->peers[i];

		if (p->state == BOOT_IDLE || p->state == BOOT_FAILED ||
		    p->state == BOOT_BACKING_OFF)
			boot_attempt_start(p);
	}
	return 0;
}

static int
boot_start(void *arg, struct pd_manager *m)
{
	struct pd_bootstrap *b = arg;

	if (b->running)
		return 0;
	b->sub = pd_manager_on_event(m, PD_EVENT_MASK(PD_EVENT_PEER_CONNECTED) |
	    PD_EVENT_MASK(PD_EVENT_PEER_DISCONNECTED), boot_event_cb, b);
	if (b->sub == NULL)
		return PD_ERR_NOMEM;
	b->m = m;
	b->running = true;
	b->round_failures = 0;
	for (size_t i = 0; i < b->npeers; i++) {
		b->peers[i]->state = BOOT_IDLE;
		b->peers[i]->failures = 0;
	}
	return pd_bootstrap_run(b);
}

static void
boot_peer_quiesce(struct boot_peer *p)
{
	boot_attempt_abort(p);
	if (p->retry_ev != NULL)
		evtimer_del(p->retry_ev);
	boot_unprotect(p);
	p->state = BOOT_IDLE;
	p->connected = false;
	p->next_attempt_ms = 0;
}

static void
boot_stop(void *arg)
{
	struct pd_bootstrap *b = arg;

	if (!b->running)
		return;
	for (size_t i = 0; i < b->npeers; i++)
		boot_peer_quiesce(b->peers[i]);
	evtimer_del(b->round_ev);
	pd_manager_off_event(b->m, b->sub);
	b->sub = NULL;
	b->running = false;
	b->m = NULL;
}

static const struct pd_discovery_ops boot_ops = {
	.name = "bootstrap",
	.start = boot_start,
	.stop = boot_stop,
	.advertise = NULL,
	.unadvertise = NULL,
};

const struct pd_discovery_ops *
pd_bootstrap_ops(void)
{
	return &boot_ops;
}

/* --- peers --------------------------------------------------------- */

static void
boot_peer_free(struct boot_peer *p)
{
	if (p == NULL)
		return;
	if (p->b != NULL)
		boot_peer_quiesce(p);
	if (p->retry_ev != NULL)
		event_free(p->retry_ev);
	if (p->grace_ev != NULL)
		event_free(p->grace_ev);
	free(p->att);
	free(p->text);
	free(p);
}

static struct boot_peer *
boot_peer_new(struct pd_bootstrap *b, const struct pd_multiaddr *ma)
{
	struct boot_peer *p;
	char text[PD_MULTIADDR_MAX_TEXT + 1];
	const uint8_t *mh;
	size_t mhlen;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->ma = *ma;
	if (pd_multiaddr_format(ma, text, sizeof(text)) < 0 ||
	    (p->text = strdup(text)) == NULL ||
	    (p->retry_ev = evtimer_new(b->base, boot_retry_cb, p)) == NULL ||
	    (p->grace_ev = evtimer_new(b->base, boot_grace_cb, p)) == NULL) {
		boot_peer_free(p);
		return NULL;
	}
	if (pd_multiaddr_peer_id(ma, &mh, &mhlen) == 0 &&
	    pd_peerid_from_bytes(mh, mhlen, &p->id) == 0)
		p->has_id = p->id_from_ma = true;
	p->state = BOOT_IDLE;
	return p;
}

/* Check one configured address: a form we can resolve and dial. */
static int
boot_check_addr(const char *text, struct pd_multiaddr *ret_ma, char *why,
    size_t whylen)
{
	struct pd_multiaddr ma;
	struct pd_multiaddr_comp c;
	const uint8_t *mh;
	size_t off = 0, mhlen;
	struct pd_peerid id;
	char reason[256];

	if (pd_multiaddr_parse(text, &ma, reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "bootstrap peer \"%.64s\": %s", text,
		    reason);
		return PD_ERR_INVAL;
	}
	(void)pd_multiaddr_next(&ma, &off, &c);
	if (c.code != PD_MULTIADDR_IP4 && c.code != PD_MULTIADDR_IP6 &&
	    c.code != PD_MULTIADDR_IP6ZONE && c.code != PD_MULTIADDR_DNS &&
	    c.code != PD_MULTIADDR_DNS4 && c.code != PD_MULTIADDR_DNS6 &&
	    c.code != PD_MULTIADDR_DNSADDR) {
		snprintf(why, whylen, "bootstrap peer \"%.64s\": must start "
		    "with /ip4, /ip6, /dns, /dns4, /dns6 or /dnsaddr", text);
		return PD_ERR_INVAL;
	}
	if (pd_multiaddr_peer_id(&ma, &mh, &mhlen) == 0 &&
	    pd_peerid_from_bytes(mh, mhlen, &id) < 0) {
		snprintf(why, whylen, "bootstrap peer \"%.64s\": bad peer ID",
		    text);
		return PD_ERR_INVAL;
	}
	*ret_ma = ma;
	return 0;
}

int
pd_bootstrap_set_peers(struct pd_bootstrap *b, const char *const *addrs,
    size_t n, char *why, size_t whylen)
{
	struct pd_multiaddr *mas = NULL;
	struct boot_peer *next[PD_BOOTSTRAP_MAX_PEERS];
	struct boot_peer *old[PD_BOOTSTRAP_MAX_PEERS];
	size_t nold;
	bool fresh[PD_BOOTSTRAP_MAX_PEERS], kept[PD_BOOTSTRAP_MAX_PEERS];
	size_t nnext = 0;
	int r;

	if (n > 0 && (mas = calloc(n, sizeof(*mas))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if ((r = boot_check_addr(addrs[i], &mas[i], why, whylen)) < 0) {
			free(mas);
			return r;
		}
	memset(kept, 0, sizeof(kept));
	for (size_t i = 0; i < n; i++) {
		struct boot_peer *p = NULL;
		bool dup = false;

		for (size_t k = 0; k < nnext && !dup; k++)
			dup = pd_multiaddr_equal(&next[k]->ma, &mas[i]);
		if (dup)
			continue;
		if (nnext == PD_BOOTSTRAP_MAX_PEERS) {
			snprintf(why, whylen, "more than %d bootstrap peers",
			    PD_BOOTSTRAP_MAX_PEERS);
			r = PD_ERR_OVERFLOW;
			goto undo;
		}
		for (size_t k = 0; k < b->npeers && p == NULL; k++)
			if (!kept[k] && pd_multiaddr_equal(&b->peers[k]->ma,
			    &mas[i])) {
				p = b->peers[k];
				kept[k] = true;
			}
		fresh[nnext] = p == NULL;
		if (p == NULL && (p = boot_peer_new(b, &mas[i])) == NULL)
			goto nomem_undo;
		next[nnext++] = p;
	}
	free(mas);
	/* Commit: adopt the new list, then drop what is gone. */
	memcpy(old, b->peers, b->npeers * sizeof(old[0]));
	nold = b->npeers;
	for (size_t i = 0; i < nnext; i++)
		if (fresh[i]) {
			next[i]->b = b;
			next[i]->serial = ++b->next_serial;
		}
	memcpy(b->peers, next, nnext * sizeof(next[0]));
	b->npeers = nnext;
	for (size_t k = 0; k < nold; k++)
		if (!kept[k])
			boot_peer_free(old[k]);
	if (b->running)
		for (size_t i = 0; i < b->npeers; i++)
			if (fresh[i] && b->peers[i] == next[i])
				boot_attempt_start(next[i]);
	return 0;
nomem_undo:
	snprintf(why, whylen, "out of memory");
	r = PD_ERR_NOMEM;
undo:
	for (size_t i = 0; i < nnext; i++)
		if (fresh[i])
			boot_peer_free(next[i]);
	free(mas);
	return r;
nomem:
	snprintf(why, whylen, "out of memory");
	return PD_ERR_NOMEM;
}

size_t
pd_bootstrap_peers(const struct pd_bootstrap *b,
    struct pd_bootstrap_peer_info *out, size_t max)
{
	for (size_t i = 0; i < b->npeers && i < max; i++) {
		const struct boot_peer *p = b->peers[i];
		struct pd_bootstrap_peer_info *o = &out[i];

		memset(o, 0, sizeof(*o));
		o->has_id = p->has_id;
		if (p->has_id)
			o->id = p->id;
		o->addr = p->text;
		memcpy(o->resolved, p->resolved,
		    p->nresolved * sizeof(p->resolved[0]));
		o->nresolved = p->nresolved;
		o->state = boot_state_names[p->state];
		snprintf(o->last_error, sizeof(o->last_error), "%s",
		    p->last_error);
		o->next_attempt_ms = p->next_attempt_ms;
		o->connected = p->connected;
		o->failures = p->failures;
	}
	return b->npeers;
}

size_t
pd_bootstrap_count(const struct pd_bootstrap *b, size_t *ret_connected)
{
	size_t c = 0;

	for (size_t i = 0; i < b->npeers; i++)
		if (b->peers[i]->connected)
			c++;
	if (ret_connected != NULL)
		*ret_connected = c;
	return b->npeers;
}

/* --- construction -------------------------------------------------- */

static int
boot_setup_dns(struct pd_bootstrap *b, const char *ns, char *why,
    size_t whylen)
{
	char opt[32];
	int len;

	if ((b->dns = evdns_base_new(b->base, 0)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	if (ns != NULL) {
		struct sockaddr_storage ss;

		len = (int)sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (strlen(ns) > PD_BOOTSTRAP_MAX_NAMESERVER ||
		    evutil_parse_sockaddr_port(ns, (struct sockaddr *)&ss,
		    &len) < 0 || (ss.ss_family != AF_INET &&
		    ss.ss_family != AF_INET6)) {
			snprintf(why, whylen, "bad name server \"%.64s\" "
			    "(want IP or IP:PORT)", ns);
			return PD_ERR_INVAL;
		}
		if (ss.ss_family == AF_INET &&
		    ((struct sockaddr_in *)&ss)->sin_port == 0)
			((struct sockaddr_in *)&ss)->sin_port = htons(53);
		if (ss.ss_family == AF_INET6 &&
		    ((struct sockaddr_in6 *)&ss)->sin6_port == 0)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(53);
		if (evdns_base_nameserver_sockaddr_add(b->dns,
		    (struct sockaddr *)&ss, (ev_socklen_t)len, 0) != 0) {
			snprintf(why, whylen, "cannot use name server "
			    "\"%.64s\"", ns);
			return PD_ERR_INVAL;
		}
	} else {
		(void)evdns_base_resolv_conf_parse(b->dns, DNS_OPTIONS_ALL,
		    "/etc/resolv.conf");
	}
	len = evdns_base_get_nameserver_addr(b->dns, 0,
	    (struct sockaddr *)&b->ns, sizeof(b->ns));
	if (len <= 0 || (size_t)len > sizeof(b->ns)) {
		snprintf(why, whylen, "no name server configured");
		return PD_ERR_UNAVAILABLE;
	}
	b->nslen = (socklen_t)len;
	snprintf(opt, sizeof(opt), "%d.%03d", b->dns_timeout_ms / 1000,
	    b->dns_timeout_ms % 1000);
	(void)evdns_base_set_option(b->dns, "timeout:", opt);
	snprintf(opt, sizeof(opt), "%d", PD_BOOTSTRAP_DNS_TRIES);
	(void)evdns_base_set_option(b->dns, "attempts:", opt);
	return 0;
}

int
pd_bootstrap_new(struct event_base *base,
    const struct pd_bootstrap_config *cfg, struct pd_bootstrap **ret_b,
    char *why, size_t whylen)
{
	struct pd_bootstrap *b;
	int r;

	if (cfg->protect_ms < 0 || cfg->backoff_base_ms < 0 ||
	    cfg->backoff_max_ms < 0 || cfg->dns_timeout_ms < 0 ||
	    cfg->dns_timeout_ms > 60000) {
		snprintf(why, whylen, "bad bootstrap configuration value");
		return PD_ERR_INVAL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return PD_ERR_NOMEM;
	}
	b->base = base;
	LIST_INIT(&b->txtqs);
	LIST_INIT(&b->dnsreqs);
	LIST_INIT(&b->connects);
	b->protect_ms = cfg->protect_ms ? cfg->protect_ms :
	    PD_BOOTSTRAP_PROTECT_MS;
	b->backoff_base_ms = cfg->backoff_base_ms ? cfg->backoff_base_ms :
	    PD_BOOTSTRAP_BACKOFF_BASE_MS;
	b->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms :
	    PD_BOOTSTRAP_BACKOFF_MAX_MS;
	if (b->backoff_max_ms < b->backoff_base_ms)
		b->backoff_max_ms = b->backoff_base_ms;
	b->dns_timeout_ms = cfg->dns_timeout_ms ? cfg->dns_timeout_ms :
	    PD_BOOTSTRAP_DNS_TIMEOUT_MS;
	if ((b->round_ev = evtimer_new(base, boot_round_cb, b)) == NULL) {
		snprintf(why, whylen, "out of memory");
		r = PD_ERR_NOMEM;
		goto fail;
	}
	if ((r = boot_setup_dns(b, cfg->nameserver, why, whylen)) < 0)
		goto fail;
	*ret_b = b;
	return 0;
fail:
	pd_bootstrap_free(b);
	return r;
}

void
pd_bootstrap_free(struct pd_bootstrap *b)
{
	struct boot_ticket *t;
	size_t n;

	if (b == NULL)
		return;
	if (b->running && b->m != NULL)
		boot_stop(b);
	n = b->npeers;
	b->npeers = 0;
	for (size_t i = 0; i < n; i++)
		boot_peer_free(b->peers[i]);
	while (!LIST_EMPTY(&b->txtqs))
		boot_txtq_free(LIST_FIRST(&b->txtqs));
	/* The manager is stopped: its connect callbacks will not come. */
	while ((t = LIST_FIRST(&b->connects)) != NULL) {
		LIST_REMOVE(t, entry);
		free(t);
	}
	/* evdns calls back every lookup (DNS_ERR_SHUTDOWN, deferred). */
	LIST_FOREACH(t, &b->dnsreqs, entry)
		t->b = NULL;
	while ((t = LIST_FIRST(&b->dnsreqs)) != NULL)
		LIST_REMOVE(t, entry);	/* now owned by their callbacks */
	if (b->dns != NULL)
		evdns_base_free(b->dns, 1);
	if (b->round_ev != NULL)
		event_free(b->round_ev);
	free(b);
}
