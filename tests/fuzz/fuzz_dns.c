/*
 * fuzz_dns.c - libFuzzer target for lib/mdns/dns.c.  Invariants, abort()
 * on violation:
 * - decode fails only with TRUNCATED / MALFORMED / OVERFLOW and writes a
 *   reason; every stored name passes pd_dns_name_check; counts are in caps;
 * - a decoded message re-encodes (only OVERFLOW is allowed, when the
 *   re-encoding is larger than PD_DNS_MAX_MSG) and the re-encoding decodes
 *   to an equal message, which re-encodes to the same bytes;
 * - pd_dns_libp2p_extract never fails on a decoded message and returns
 *   address pointers inside the message pool.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mdns/dns.h"

#define FUZZ_DNS_MAX_INPUT 65536	/* bytes */
#define FUZZ_DNS_MAX_PEERS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pd_dns_msg fuzz_dns_m1, fuzz_dns_m2;
static uint8_t fuzz_dns_b1[PD_DNS_MAX_MSG], fuzz_dns_b2[PD_DNS_MAX_MSG];

static void
fuzz_dns_die(const char *what)
{
	fprintf(stderr, "fuzz_dns: invariant broken: %s\n", what);
	abort();
}

static int
fuzz_dns_txt_eq(const struct pd_dns_msg *a, const struct pd_dns_rr *ra,
    const struct pd_dns_msg *b, const struct pd_dns_rr *rb)
{
	size_t i, la, lb;
	const uint8_t *pa, *pb;

	if (ra->u.txt.n != rb->u.txt.n)
		return 0;
	for (i = 0; i < ra->u.txt.n; i++) {
		pa = pd_dns_txt_get(a, ra, i, &la);
		pb = pd_dns_txt_get(b, rb, i, &lb);
		if (pa == NULL || pb == NULL || la != lb ||
		    memcmp(pa, pb, la) != 0)
			return 0;
	}
	return 1;
}

static int
fuzz_dns_rr_eq(const struct pd_dns_msg *a, const struct pd_dns_rr *ra,
    const struct pd_dns_msg *b, const struct pd_dns_rr *rb)
{
	if (ra->section != rb->section || ra->type != rb->type ||
	    ra->rclass != rb->rclass || ra->cache_flush != rb->cache_flush ||
	    ra->ttl != rb->ttl || strcmp(ra->name, rb->name) != 0)
		return 0;
	switch (ra->type) {
	case PD_DNS_TYPE_A:
		return memcmp(ra->u.a, rb->u.a, 4) == 0;
	case PD_DNS_TYPE_AAAA:
		return memcmp(ra->u.aaaa, rb->u.aaaa, 16) == 0;
	case PD_DNS_TYPE_PTR:
		return strcmp(ra->u.ptr, rb->u.ptr) == 0;
	case PD_DNS_TYPE_SRV:
		return ra->u.srv.priority == rb->u.srv.priority &&
		    ra->u.srv.weight == rb->u.srv.weight &&
		    ra->u.srv.port == rb->u.srv.port &&
		    strcmp(ra->u.srv.target, rb->u.srv.target) == 0;
	case PD_DNS_TYPE_TXT:
		return fuzz_dns_txt_eq(a, ra, b, rb);
	default:
		return 0;
	}
}

static void
fuzz_dns_check_eq(const struct pd_dns_msg *a, const struct pd_dns_msg *b)
{
	size_t i;

	if (a->id != b->id || a->flags != b->flags || a->nq != b->nq ||
	    a->nrr != b->nrr || a->nan != b->nan || a->nns != b->nns ||
	    a->nar != b->nar)
		fuzz_dns_die("header or counts differ after round trip");
	for (i = 0; i < a->nq; i++)
		if (strcmp(a->q[i].name, b->q[i].name) != 0 ||
		    a->q[i].type != b->q[i].type ||
		    a->q[i].qclass != b->q[i].qclass ||
		    a->q[i].unicast != b->q[i].unicast)
			fuzz_dns_die("question differs after round trip");
	for (i = 0; i < a->nrr; i++)
		if (!fuzz_dns_rr_eq(a, &a->rr[i], b, &b->rr[i]))
			fuzz_dns_die("record differs after round trip");
}

static void
fuzz_dns_check_decoded(const struct pd_dns_msg *m)
{
	struct pd_dns_libp2p_peer peers[FUZZ_DNS_MAX_PEERS];
	size_t i, j, n;

	if (m->nq > PD_DNS_MAX_QUESTIONS || m->nrr > PD_DNS_MAX_RECORDS ||
	    m->nan + m->nns + m->nar != m->nrr || m->pool_len > PD_DNS_MAX_MSG)
		fuzz_dns_die("counts over caps");
	for (i = 0; i < m->nq; i++)
		if (pd_dns_name_check(m->q[i].name) < 0)
			fuzz_dns_die("bad question name stored");
	for (i = 0; i < m->nrr; i++) {
		const struct pd_dns_rr *rr = &m->rr[i];

		if (pd_dns_name_check(rr->name) < 0 ||
		    (rr->type == PD_DNS_TYPE_PTR &&
		    pd_dns_name_check(rr->u.ptr) < 0) ||
		    (rr->type == PD_DNS_TYPE_SRV &&
		    pd_dns_name_check(rr->u.srv.target) < 0))
			fuzz_dns_die("bad name stored");
	}
	if (pd_dns_libp2p_extract(m, NULL, peers, FUZZ_DNS_MAX_PEERS, &n) < 0 ||
	    n > FUZZ_DNS_MAX_PEERS)
		fuzz_dns_die("extract failed");
	for (i = 0; i < n; i++)
		for (j = 0; j < peers[i].naddrs; j++)
			if ((const uint8_t *)peers[i].addr[j] < m->pool ||
			    (const uint8_t *)peers[i].addr[j] +
			    peers[i].addr_len[j] > m->pool + m->pool_len)
				fuzz_dns_die("address outside the pool");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	size_t n1, n2;
	int rc;

	if (size > FUZZ_DNS_MAX_INPUT)
		return 0;
	why[0] = '\0';
	rc = pd_dns_decode(data, size, &fuzz_dns_m1, why, sizeof(why));
	if (rc < 0) {
		if (rc != PD_ERR_TRUNCATED && rc != PD_ERR_MALFORMED &&
		    rc != PD_ERR_OVERFLOW)
			fuzz_dns_die("unexpected decode error");
		if (why[0] == '\0')
			fuzz_dns_die("decode failed without a reason");
		return 0;
	}
	fuzz_dns_check_decoded(&fuzz_dns_m1);
	rc = pd_dns_encode_raw(&fuzz_dns_m1, fuzz_dns_b1, sizeof(fuzz_dns_b1),
	    &n1);
	if (rc == PD_ERR_OVERFLOW)
		return 0;
	if (rc < 0)
		fuzz_dns_die("decoded message does not re-encode");
	if (pd_dns_decode(fuzz_dns_b1, n1, &fuzz_dns_m2, why, sizeof(why)) < 0)
		fuzz_dns_die(why);
	fuzz_dns_check_eq(&fuzz_dns_m1, &fuzz_dns_m2);
	if (fuzz_dns_m2.dropped != 0 || fuzz_dns_m2.skipped != 0 ||
	    fuzz_dns_m2.dropped_txt != 0)
		fuzz_dns_die("re-encoding has dropped or skipped entries");
	if (pd_dns_encode_raw(&fuzz_dns_m2, fuzz_dns_b2, sizeof(fuzz_dns_b2),
	    &n2) < 0 || n1 != n2 || memcmp(fuzz_dns_b1, fuzz_dns_b2, n1) != 0)
		fuzz_dns_die("encoding is not deterministic");
	return 0;
}
