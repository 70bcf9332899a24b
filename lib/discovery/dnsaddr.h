/*
 * dnsaddr.h - /dnsaddr resolution without I/O (multiformats/multiaddr
 * protocols/DNSADDR.md; libp2p-wire.md §13): the TXT string form
 * "dnsaddr=<multiaddr>", a minimal DNS message codec for the TXT lookup
 * (query out, bounded answer in), and the recursive resolution state
 * machine.  lib/discovery/bootstrap.c drives it over UDP; the tests and
 * the fuzzer drive it directly.
 *
 * Resolution of /dnsaddr/<host>[/rest]:
 *   1. TXT query for "_dnsaddr.<host>";
 *   2. every TXT record whose text starts "dnsaddr=" gives a candidate;
 *      others are ignored;
 *   3. a candidate is kept only if it ends with [/rest] (whole components,
 *      like go-multiaddr-dns), so /dnsaddr/x/p2p/ID keeps only answers for
 *      that peer; every final result must also end with the root's rest;
 *   4. candidates starting /dnsaddr/ are resolved again, at most
 *      PD_DNSADDR_MAX_DEPTH levels deep (the root is level 1; go-libp2p's
 *      swarm allows 32 recursive resolutions, the wire notes 4: we take 4,
 *      as the public bootstrap list uses 2) and at most
 *      PD_DNSADDR_MAX_QUERIES lookups in all (names are deduplicated, so a
 *      loop ends); anything else (/ip4, /ip6, /dns4, ...) is a result, at
 *      most PD_DNSADDR_MAX_RESULTS, deduplicated.
 */
#ifndef PD_DISCOVERY_DNSADDR_H
#define PD_DISCOVERY_DNSADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"

#define PD_DNSADDR_MAX_DEPTH 4		/* nested /dnsaddr levels, root = 1 */
#define PD_DNSADDR_MAX_RESULTS 64	/* multiaddrs per resolution */
#define PD_DNSADDR_MAX_QUERIES 32	/* TXT lookups per resolution */
#define PD_DNSADDR_MAX_NAME 253		/* chars of a DNS name, no final dot */
#define PD_DNSADDR_MAX_LABEL 63		/* chars of one DNS label */
#define PD_DNSADDR_QNAME_MAX (PD_DNSADDR_MAX_NAME + 1)	/* buffer incl. NUL */
#define PD_DNSADDR_MAX_MSG 4096		/* bytes of a DNS message we read */
#define PD_DNSADDR_MAX_TXT 64		/* TXT records kept per answer */
#define PD_DNSADDR_MAX_TXT_LEN 1024	/* chars of one TXT record's text */
#define PD_DNSADDR_MAX_RRS 256		/* resource records walked per answer */
#define PD_DNSADDR_MAX_CNAMES 8		/* CNAME hops followed in an answer */
#define PD_DNSADDR_MAX_ERROR 128	/* bytes of last_error incl. NUL */
#define PD_DNSADDR_PREFIX "dnsaddr="

#define PD_DNSADDR_TYPE_A 1
#define PD_DNSADDR_TYPE_CNAME 5
#define PD_DNSADDR_TYPE_TXT 16
#define PD_DNSADDR_TYPE_AAAA 28

/* DNS response codes we name (RFC 1035 §4.1.1). */
#define PD_DNSADDR_RCODE_NOERROR 0
#define PD_DNSADDR_RCODE_SERVFAIL 2
#define PD_DNSADDR_RCODE_NXDOMAIN 3

/*
 * Parse one TXT record text of n bytes.  Returns 0 and *ret_ma for
 * "dnsaddr=<multiaddr>", PD_ERR_NOT_FOUND when the text does not start
 * with "dnsaddr=" (such records are ignored), or the multiaddr parser's
 * PD_ERR_MALFORMED / PD_ERR_UNSUPPORTED / PD_ERR_OVERFLOW with a reason in
 * why (may be NULL).  *ret_ma untouched on failure.
 */
int pd_dnsaddr_parse_txt(const char *text, size_t n,
    struct pd_multiaddr *ret_ma, char *why, size_t whylen);

/*
 * Check a DNS host name as found in /dns4, /dns6, /dns or /dnsaddr
 * (value bytes, not NUL-terminated): 1..PD_DNSADDR_MAX_NAME chars after
 * dropping one final '.', labels of 1..PD_DNSADDR_MAX_LABEL printable
 * non-space chars other than '\\' and '"'.  Writes it NUL-terminated
 * (without the final dot) to out.  0, PD_ERR_MALFORMED or PD_ERR_OVERFLOW
 * (outlen too small: PD_DNSADDR_QNAME_MAX always fits).
 */
int pd_dnsaddr_host(const uint8_t *value, size_t n, char *out,
    size_t outlen);

/*
 * True if ma ends with the components of suffix (byte-equal, starting on
 * a component boundary).  An empty suffix (len 0) matches everything.
 */
bool pd_dnsaddr_has_suffix(const struct pd_multiaddr *ma,
    const struct pd_multiaddr *suffix);

/*
 * Encode a standard recursive query (RD set, one question, class IN) for
 * name (NUL-terminated, checked as pd_dnsaddr_host does) and qtype into
 * out.  0 and *ret_len, PD_ERR_MALFORMED (bad name) or PD_ERR_OVERFLOW
 * (outlen too small: 12 + PD_DNSADDR_MAX_NAME + 6 always fits).
 */
int pd_dnsaddr_query_encode(uint16_t id, const char *name, uint16_t qtype,
    uint8_t *out, size_t outlen, size_t *ret_len);

/* The TXT records of one answer, bounded; text is NUL-terminated. */
struct pd_dnsaddr_txt_answer {
	uint8_t rcode;			/* PD_DNSADDR_RCODE_* or other */
	bool truncated;			/* TC bit: records may be missing */
	size_t ntxt;			/* records kept */
	size_t skipped;			/* TXT records over a cap or with NUL */
	uint16_t len[PD_DNSADDR_MAX_TXT];
	char txt[PD_DNSADDR_MAX_TXT][PD_DNSADDR_MAX_TXT_LEN + 1];
};

/*
 * Decode a response to the query (id, name, TXT): header, the echoed
 * question (must match, case-insensitively), then the answer section.
 * TXT records of class IN owned by name, or by a CNAME target reached from
 * it in the same answer, are kept; the character-strings of one record
 * are concatenated, as Go's net.LookupTXT does.  Compressed names are
 * followed (bounded).  Records over PD_DNSADDR_MAX_TXT or
 * PD_DNSADDR_MAX_TXT_LEN, or holding a NUL byte, are counted in skipped.
 * Returns 0 (see rcode: a NXDOMAIN answer decodes fine), or
 * PD_ERR_MALFORMED / PD_ERR_TRUNCATED / PD_ERR_OVERFLOW (over
 * PD_DNSADDR_MAX_MSG) / PD_ERR_PROTOCOL (not a response to this query)
 * with a reason in why (may be NULL).  *ret is clobbered in any case.
 */
int pd_dnsaddr_txt_decode(const uint8_t *msg, size_t n, uint16_t id,
    const char *name, struct pd_dnsaddr_txt_answer *ret, char *why,
    size_t whylen);

/* One TXT lookup of a resolution; private to dnsaddr.c. */
struct pd_dnsaddr_query {
	char name[PD_DNSADDR_QNAME_MAX];	/* "_dnsaddr.<host>" */
	struct pd_multiaddr rest;		/* after /dnsaddr/host; len 0: none */
	unsigned depth;				/* 1 = the root */
	uint8_t state;				/* pending, asked, done */
};

/*
 * A resolution in progress.  A plain value of about 60 KiB (allocate it);
 * no pointers, no cleanup needed.  Read results[0..nresults) and the
 * counters; everything else is private.
 */
struct pd_dnsaddr {
	struct pd_multiaddr root_rest;		/* len 0: the root has none */
	struct pd_dnsaddr_query q[PD_DNSADDR_MAX_QUERIES];
	size_t nq;
	struct pd_multiaddr results[PD_DNSADDR_MAX_RESULTS];
	size_t nresults;
	/* Candidates dropped, by reason. */
	unsigned dropped_suffix;		/* did not end with [/rest] */
	unsigned dropped_depth;			/* /dnsaddr nested too deep */
	unsigned dropped_limit;			/* over a query or result cap */
	unsigned dropped_bad;			/* "dnsaddr=" with a bad multiaddr */
	unsigned failed;			/* lookups that failed */
	char last_error[PD_DNSADDR_MAX_ERROR];	/* "" if none */
};

/*
 * Start resolving ma, which must begin with /dnsaddr/<host>.  0,
 * PD_ERR_INVAL (another protocol first) or PD_ERR_MALFORMED (bad host),
 * with a reason in why (may be NULL).
 */
int pd_dnsaddr_init(struct pd_dnsaddr *r, const struct pd_multiaddr *ma,
    char *why, size_t whylen);
/*
 * The next lookup to send: returns 1 with *ret_token and *ret_name (the
 * TXT name, borrowed from r until the next call that changes r) and marks
 * it asked; 0 when none is waiting.
 */
int pd_dnsaddr_next_query(struct pd_dnsaddr *r, size_t *ret_token,
    const char **ret_name);
/*
 * Feed the TXT texts (NUL-terminated, ntxt of them) answering token.
 * Queues nested lookups and collects results.  0, or PD_ERR_INVAL (token
 * not asked or already answered: ignored).
 */
int pd_dnsaddr_feed(struct pd_dnsaddr *r, size_t token,
    const char *const *txt, size_t ntxt);
/*
 * The lookup for token failed (timeout, SERVFAIL, NXDOMAIN...); why is
 * kept in last_error.  0 or PD_ERR_INVAL as for feed.
 */
int pd_dnsaddr_fail(struct pd_dnsaddr *r, size_t token, const char *why);
/* True when no lookup is waiting or asked. */
bool pd_dnsaddr_done(const struct pd_dnsaddr *r);

#endif
