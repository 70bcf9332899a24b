/*
 * query.c - one iterative Kademlia lookup (FIND_NODE, GET_VALUE,
 * GET_PROVIDERS walks) as a sans-IO state machine in the manner of
 * go-libp2p-kad-dht query.go and qpeerset: a peer set sorted by XOR
 * distance to the target, α requests in flight to the closest HEARD
 * peers, termination when the β closest non-failed peers have answered
 * or when nobody is left to ask.
 *
 * The kad glue owns the network: it asks pd_kad_query_next() whom to
 * contact, sends the requests, and reports replies and failures.  The
 * query owns its peer set (capped at max_peers, farthest HEARD or
 * UNREACHABLE peers make room for closer ones) and never calls out except
 * for the optional stop callback.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "kad/query.h"

#define QUERY_INITIAL_SLOTS 64	/* first allocation of the peer array */

struct pd_kad_query {
	struct pd_kad_query_config cfg;
	enum pd_kad_query_status status;
	uint64_t deadline_ms;			/* UINT64_MAX = none */
	struct pd_kad_query_peer **peers;	/* sorted by distance, closest first */
	size_t npeers;
	size_t slots;				/* allocated, <= cfg.max_peers */
	size_t inflight;			/* WAITING peers */
	bool followup;				/* lookup ended, follow-up running */
	enum pd_kad_query_status lookup_end;	/* how the lookup ended */
	struct pd_kad_query_stats stats;
};

void
pd_kad_query_config_default(struct pd_kad_query_config *ret_cfg,
    const struct pd_kad_key *target)
{
	memset(ret_cfg, 0, sizeof(*ret_cfg));
	ret_cfg->target = *target;
	ret_cfg->k = PD_KAD_RT_DEFAULT_K;
	ret_cfg->alpha = PD_KAD_QUERY_DEFAULT_ALPHA;
	ret_cfg->beta = PD_KAD_QUERY_DEFAULT_BETA;
	ret_cfg->max_peers = PD_KAD_QUERY_DEFAULT_MAX_PEERS;
	ret_cfg->timeout_ms = PD_KAD_QUERY_TIMEOUT_MS;
	ret_cfg->request_timeout_ms = PD_KAD_QUERY_REQUEST_TIMEOUT_MS;
	ret_cfg->followup = true;
}

int
pd_kad_query_new(const struct pd_kad_query_config *cfg, uint64_t now,
    struct pd_kad_query **ret_q)
{
	struct pd_kad_query *q;

	if (cfg->k == 0 || cfg->k > PD_KAD_QUERY_MAX_K || cfg->alpha == 0 ||
	    cfg->alpha > PD_KAD_QUERY_MAX_ALPHA || cfg->beta == 0 ||
	    cfg->beta > cfg->k || cfg->max_peers < cfg->k ||
	    cfg->max_peers > PD_KAD_QUERY_MAX_PEERS ||
	    cfg->self.len > PD_PEERID_MAX_BYTES)
		return PD_ERR_INVAL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return PD_ERR_NOMEM;
	q->cfg = *cfg;
	q->status = PD_KAD_QUERY_RUNNING;
	q->deadline_ms = UINT64_MAX;
	if (cfg->timeout_ms > 0 && now <= UINT64_MAX - cfg->timeout_ms)
		q->deadline_ms = now + cfg->timeout_ms;
	*ret_q = q;
	return 0;
}

static void
query_peer_free(struct pd_kad_query_peer *p)
{
	if (p == NULL)
		return;
	free(p->addrs);
	free(p);
}

void
pd_kad_query_free(struct pd_kad_query *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->npeers; i++)
		query_peer_free(q->peers[i]);
	free(q->peers);
	free(q);
}

/* ---- peer set ------------------------------------------------------------ */

/*
 * Position of key in the sorted array: the first index whose peer is not
 * closer than key.
 */
static size_t
query_lower_bound(const struct pd_kad_query *q, const struct pd_kad_key *key)
{
	size_t lo = 0, hi = q->npeers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pd_kad_rt_key_cmp(&q->cfg.target, &q->peers[mid]->key,
		    key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of id (whose key is key), or -1. */
static ssize_t
query_index(const struct pd_kad_query *q, const struct pd_peerid *id,
    const struct pd_kad_key *key)
{
	size_t i;

	for (i = query_lower_bound(q, key); i < q->npeers; i++) {
		if (memcmp(&q->peers[i]->key, key, sizeof(*key)) != 0)
			break;
		if (pd_peerid_equal(&q->peers[i]->id, id))
			return (ssize_t)i;
	}
	return -1;
}

/* Add addrs to p's addresses (no duplicates, capped). */
static int
query_merge_addrs(struct pd_kad_query_peer *p, const struct pd_multiaddr *addrs,
    size_t n)
{
	size_t i, j;

	for (i = 0; i < n && p->naddrs < PD_KAD_RT_MAX_ADDRS; i++) {
		for (j = 0; j < p->naddrs; j++)
			if (pd_multiaddr_equal(&p->addrs[j], &addrs[i]))
				break;
		if (j < p->naddrs)
			continue;
		if (p->addrs == NULL) {
			p->addrs = calloc(PD_KAD_RT_MAX_ADDRS, sizeof(*p->addrs));
			if (p->addrs == NULL)
				return PD_ERR_NOMEM;
		}
		p->addrs[p->naddrs++] = addrs[i];
	}
	return 0;
}

/* Make room for one more peer: grow, or evict the farthest HEARD /
 * UNREACHABLE peer if it is farther than key.  0 or PD_ERR_*. */
static int
query_make_room(struct pd_kad_query *q, const struct pd_kad_key *key)
{
	struct pd_kad_query_peer **np;
	size_t i, slots;

	if (q->npeers < q->slots)
		return 0;
	if (q->slots < q->cfg.max_peers) {
		slots = q->slots == 0 ? QUERY_INITIAL_SLOTS : q->slots * 2;
		if (slots > q->cfg.max_peers)
			slots = q->cfg.max_peers;
		np = realloc(q->peers, slots * sizeof(*np));
		if (np == NULL)
			return PD_ERR_NOMEM;
		q->peers = np;
		q->slots = slots;
		return 0;
	}
	for (i = q->npeers; i-- > 0;) {
		struct pd_kad_query_peer *p = q->peers[i];

		if (pd_kad_rt_key_cmp(&q->cfg.target, &p->key, key) <= 0)
			break;		/* everything left is closer than key */
		if (p->state != PD_KAD_QUERY_HEARD &&
		    p->state != PD_KAD_QUERY_UNREACHABLE)
			continue;
		query_peer_free(p);
		memmove(q->peers + i, q->peers + i + 1,
		    (q->npeers - i - 1) * sizeof(*q->peers));
		q->npeers--;
		return 0;
	}
	return PD_ERR_OVERFLOW;
}

/*
 * Track id as HEARD with hops, or merge into the known entry (its hops
 * lowered if it is still HEARD).  Ourselves are skipped.
 */
static int
query_add(struct pd_kad_query *q, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs, unsigned hops)
{
	struct pd_kad_query_peer *p;
	struct pd_kad_key key;
	ssize_t at;
	size_t pos;
	int r;

	if (id->len == 0 || id->len > PD_PEERID_MAX_BYTES)
		return PD_ERR_INVAL;
	if (q->cfg.self.len > 0 && pd_peerid_equal(id, &q->cfg.self))
		return 0;
	if (addrs == NULL)
		naddrs = 0;
	pd_kad_rt_key_of_peer(id, &key);
	at = query_index(q, id, &key);
	if (at >= 0) {
		p = q->peers[at];
		if (p->state == PD_KAD_QUERY_HEARD && hops < p->hops)
			p->hops = hops;
		return query_merge_addrs(p, addrs, naddrs);
	}
	if ((r = query_make_room(q, &key)) < 0) {
		q->stats.dropped++;
		return r;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return PD_ERR_NOMEM;
	p->id = *id;
	p->key = key;
	p->state = PD_KAD_QUERY_HEARD;
	p->hops = hops;
	if ((r = query_merge_addrs(p, addrs, naddrs)) < 0) {
		query_peer_free(p);
		return r;
	}
	pos = query_lower_bound(q, &key);
	memmove(q->peers + pos + 1, q->peers + pos,
	    (q->npeers - pos) * sizeof(*q->peers));
	q->peers[pos] = p;
	q->npeers++;
	return 0;
}

/* The WAITING peer id, or NULL. */
static struct pd_kad_query_peer *
query_waiting(const struct pd_kad_query *q, const struct pd_peerid *id)
{
	struct pd_kad_key key;
	ssize_t at;

	pd_kad_rt_key_of_peer(id, &key);
	at = query_index(q, id, &key);
	if (at < 0 || q->peers[at]->state != PD_KAD_QUERY_WAITING)
		return NULL;
	return q->peers[at];
}

/* ---- termination --------------------------------------------------------- */

/*
 * Start go's follow-up (lookup.go runLookupWithFollowup): every HEARD peer
 * among the k closest not UNREACHABLE ones is still asked, so that the
 * result holds the k closest that answered.  Ends the query at once when
 * there is nothing to follow up.
 */
static void
query_start_followup(struct pd_kad_query *q, enum pd_kad_query_status end)
{
	size_t i, seen = 0, todo = 0;

	if (q->cfg.followup)
		for (i = 0; i < q->npeers && seen < q->cfg.k; i++) {
			struct pd_kad_query_peer *p = q->peers[i];

			if (p->state == PD_KAD_QUERY_UNREACHABLE)
				continue;
			seen++;
			if (p->state == PD_KAD_QUERY_HEARD) {
				p->followup = true;
				todo++;
			}
		}
	if (!q->cfg.followup || (todo == 0 && q->inflight == 0)) {
		q->status = end;
		return;
	}
	q->followup = true;
	q->lookup_end = end;
}

/*
 * go isStarvationTermination then isLookupTermination: nothing HEARD or
 * WAITING; or the beta closest HEARD/WAITING/QUERIED peers are QUERIED.
 * Either starts the follow-up; the follow-up ends when none of its peers
 * is HEARD and nothing is in flight.
 */
static void
query_check_end(struct pd_kad_query *q)
{
	size_t i, heard = 0, seen = 0;
	bool converged = true;

	if (q->status != PD_KAD_QUERY_RUNNING)
		return;
	for (i = 0; i < q->npeers; i++)
		if (q->peers[i]->state == PD_KAD_QUERY_HEARD &&
		    (!q->followup || q->peers[i]->followup))
			heard++;
	if (q->followup) {
		if (heard == 0 && q->inflight == 0)
			q->status = q->lookup_end;
		return;
	}
	if (heard == 0 && q->inflight == 0) {
		query_start_followup(q, PD_KAD_QUERY_STARVED);
		return;
	}
	for (i = 0; i < q->npeers && seen < q->cfg.beta; i++) {
		enum pd_kad_query_pstate st = q->peers[i]->state;

		if (st == PD_KAD_QUERY_UNREACHABLE)
			continue;
		seen++;
		if (st != PD_KAD_QUERY_QUERIED)
			converged = false;
	}
	if (converged)
		query_start_followup(q, PD_KAD_QUERY_CONVERGED);
}

/* Expire overdue requests, apply the query deadline, check the end. */
static void
query_expire(struct pd_kad_query *q, uint64_t now)
{
	size_t i;

	if (q->status != PD_KAD_QUERY_RUNNING)
		return;
	if (q->cfg.request_timeout_ms > 0) {
		for (i = 0; i < q->npeers; i++) {
			struct pd_kad_query_peer *p = q->peers[i];

			if (p->state != PD_KAD_QUERY_WAITING ||
			    now - p->sent_ms < q->cfg.request_timeout_ms)
				continue;
			p->state = PD_KAD_QUERY_UNREACHABLE;
			q->inflight--;
			q->stats.timeouts++;
		}
	}
	if (now >= q->deadline_ms)
		q->status = PD_KAD_QUERY_TIMED_OUT;
	query_check_end(q);
}

/* ---- driving ------------------------------------------------------------- */

int
pd_kad_query_add_seed(struct pd_kad_query *q, const struct pd_peerid *id,
    const struct pd_multiaddr *addrs, size_t naddrs)
{
	if (q->status != PD_KAD_QUERY_RUNNING)
		return PD_ERR_CLOSED;
	return query_add(q, id, addrs, naddrs, 1);
}

size_t
pd_kad_query_next(struct pd_kad_query *q, uint64_t now,
    const struct pd_kad_query_peer **out, size_t max)
{
	size_t i, n = 0;

	query_expire(q, now);
	if (q->status != PD_KAD_QUERY_RUNNING)
		return 0;
	for (i = 0; i < q->npeers && n < max &&
	    q->inflight < q->cfg.alpha; i++) {
		struct pd_kad_query_peer *p = q->peers[i];

		if (p->state != PD_KAD_QUERY_HEARD ||
		    (q->followup && !p->followup))
			continue;
		p->state = PD_KAD_QUERY_WAITING;
		p->sent_ms = now;
		q->inflight++;
		q->stats.requests++;
		out[n++] = p;
	}
	return n;
}

int
pd_kad_query_response(struct pd_kad_query *q, const struct pd_peerid *from,
    const struct pd_kad_query_in *closer, size_t n, uint64_t now)
{
	struct pd_kad_query_peer *p;
	unsigned hops;
	size_t i;
	int r, err = 0;

	query_expire(q, now);
	if (q->status != PD_KAD_QUERY_RUNNING)
		return PD_ERR_CLOSED;
	p = query_waiting(q, from);
	if (p == NULL)
		return PD_ERR_NOT_FOUND;
	p->state = PD_KAD_QUERY_QUERIED;
	q->inflight--;
	q->stats.responses++;
	hops = p->hops + 1;
	if (n > PD_KAD_QUERY_MAX_CLOSER)
		n = PD_KAD_QUERY_MAX_CLOSER;
	if (q->followup)
		n = 0;		/* go ignores closer peers in the follow-up */
	for (i = 0; i < n && closer != NULL; i++) {
		if (closer[i].id == NULL)
			continue;
		r = query_add(q, closer[i].id, closer[i].addrs,
		    closer[i].naddrs, hops);
		if (r == PD_ERR_NOMEM)
			err = r;
	}
	if (q->cfg.stop_cb != NULL && q->cfg.stop_cb(q->cfg.stop_arg, q, from)) {
		q->status = PD_KAD_QUERY_STOPPED;
		return err;
	}
	query_check_end(q);
	return err;
}

int
pd_kad_query_failure(struct pd_kad_query *q, const struct pd_peerid *id,
    uint64_t now)
{
	struct pd_kad_query_peer *p;

	query_expire(q, now);
	if (q->status != PD_KAD_QUERY_RUNNING)
		return PD_ERR_CLOSED;
	p = query_waiting(q, id);
	if (p == NULL)
		return PD_ERR_NOT_FOUND;
	p->state = PD_KAD_QUERY_UNREACHABLE;
	q->inflight--;
	q->stats.failures++;
	query_check_end(q);
	return 0;
}

void
pd_kad_query_cancel(struct pd_kad_query *q)
{
	if (q->status == PD_KAD_QUERY_RUNNING)
		q->status = PD_KAD_QUERY_CANCELLED;
}

enum pd_kad_query_status
pd_kad_query_status(const struct pd_kad_query *q)
{
	return q->status;
}

uint64_t
pd_kad_query_deadline(const struct pd_kad_query *q)
{
	uint64_t d = q->deadline_ms, t;
	size_t i;

	if (q->status != PD_KAD_QUERY_RUNNING)
		return UINT64_MAX;
	if (q->cfg.request_timeout_ms == 0)
		return d;
	for (i = 0; i < q->npeers; i++) {
		if (q->peers[i]->state != PD_KAD_QUERY_WAITING)
			continue;
		t = q->peers[i]->sent_ms + q->cfg.request_timeout_ms;
		if (t < d)
			d = t;
	}
	return d;
}

size_t
pd_kad_query_inflight(const struct pd_kad_query *q)
{
	return q->inflight;
}

size_t
pd_kad_query_result(const struct pd_kad_query *q,
    const struct pd_kad_query_peer **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < q->npeers && n < max; i++)
		if (q->peers[i]->state == PD_KAD_QUERY_QUERIED)
			out[n++] = q->peers[i];
	return n;
}

const struct pd_kad_query_peer *
pd_kad_query_find(const struct pd_kad_query *q, const struct pd_peerid *id)
{
	struct pd_kad_key key;
	ssize_t at;

	pd_kad_rt_key_of_peer(id, &key);
	at = query_index(q, id, &key);
	return at < 0 ? NULL : q->peers[at];
}

const struct pd_kad_key *
pd_kad_query_target(const struct pd_kad_query *q)
{
	return &q->cfg.target;
}

void
pd_kad_query_get_stats(const struct pd_kad_query *q,
    struct pd_kad_query_stats *ret_stats)
{
	size_t i;

	*ret_stats = q->stats;
	ret_stats->peers = q->npeers;
	ret_stats->hops = 0;
	for (i = 0; i < q->npeers; i++)
		if (q->peers[i]->state == PD_KAD_QUERY_QUERIED) {
			ret_stats->hops = q->peers[i]->hops;
			break;
		}
}

bool
pd_kad_query_stop_at_peer(void *arg, const struct pd_kad_query *q,
    const struct pd_peerid *from)
{
	const struct pd_peerid *want = arg;
	const struct pd_kad_query_peer *p;

	if (pd_peerid_equal(from, want))
		return true;
	p = pd_kad_query_find(q, want);
	return p != NULL && p->naddrs > 0;
}

void
pd_kad_query_set_stop(struct pd_kad_query *q, pd_kad_query_stop_cb cb,
    void *arg)
{
	q->cfg.stop_cb = cb;
	q->cfg.stop_arg = arg;
}
