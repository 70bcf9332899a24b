/*
 * dnsaddr.c - /dnsaddr resolution without I/O: the "dnsaddr=" TXT text,
 * a DNS query encoder and TXT answer decoder (RFC 1035, only what a TXT
 * lookup needs, every count and length capped), and the recursive
 * resolution state machine of dnsaddr.h.  It owns nothing but the
 * caller's structs.  lib/discovery/bootstrap.c sends the queries it
 * produces over UDP and feeds the answers back; tests and
 * tests/fuzz/fuzz_dnsaddr.c call it directly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "discovery/dnsaddr.h"

#define DNSADDR_HDR 12			/* DNS header bytes */
#define DNSADDR_MAX_PTRS 64		/* compression pointers per name */
#define DNSADDR_CLASS_IN 1
#define DNSADDR_TXT_NAME "_dnsaddr."

enum dnsaddr_qstate {
	DNSADDR_Q_PENDING,
	DNSADDR_Q_ASKED,
	DNSADDR_Q_DONE,
};

static void dnsaddr_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dnsaddr_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int
pd_dnsaddr_parse_txt(const char *text, size_t n, struct pd_multiaddr *ret_ma,
    char *why, size_t whylen)
{
	size_t plen = sizeof(PD_DNSADDR_PREFIX) - 1;

	if (n < plen || memcmp(text, PD_DNSADDR_PREFIX, plen) != 0) {
		dnsaddr_why(why, whylen, "not a dnsaddr= record");
		return PD_ERR_NOT_FOUND;
	}
	return pd_multiaddr_parse_n(text + plen, n - plen, ret_ma, why,
	    whylen);
}

static int
dnsaddr_name_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '\\' && c != '"';
}

int
pd_dnsaddr_host(const uint8_t *value, size_t n, char *out, size_t outlen)
{
	size_t label = 0;

	if (n > 0 && value[n - 1] == '.')
		n--;
	if (n == 0 || n > PD_DNSADDR_MAX_NAME)
		return PD_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (value[i] == '.') {
			if (label == 0)
				return PD_ERR_MALFORMED;
			label = 0;
			continue;
		}
		if (!dnsaddr_name_char_ok(value[i]) ||
		    ++label > PD_DNSADDR_MAX_LABEL)
			return PD_ERR_MALFORMED;
	}
	if (label == 0)
		return PD_ERR_MALFORMED;	/* "a.." : empty last label */
	if (outlen < n + 1)
		return PD_ERR_OVERFLOW;
	memcpy(out, value, n);
	out[n] = '\0';
	return 0;
}

bool
pd_dnsaddr_has_suffix(const struct pd_multiaddr *ma,
    const struct pd_multiaddr *suffix)
{
	struct pd_multiaddr_comp c;
	size_t off = 0, start;

	if (suffix->len == 0)
		return true;
	if (suffix->len > ma->len)
		return false;
	start = ma->len - suffix->len;
	for (;;) {
		if (off == start)
			return memcmp(ma->bytes + start, suffix->bytes,
			    suffix->len) == 0;
		if (off > start || pd_multiaddr_next(ma, &off, &c) <= 0)
			return false;
	}
}

static void
dnsaddr_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
dnsaddr_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
pd_dnsaddr_query_encode(uint16_t id, const char *name, uint16_t qtype,
    uint8_t *out, size_t outlen, size_t *ret_len)
{
	char host[PD_DNSADDR_QNAME_MAX];
	size_t n = strnlen(name, PD_DNSADDR_MAX_NAME + 2), pos, need;
	const char *p;

	if (pd_dnsaddr_host((const uint8_t *)name, n, host,
	    sizeof(host)) < 0)
		return PD_ERR_MALFORMED;
	n = strlen(host);
	need = DNSADDR_HDR + n + 2 + 4;
	if (outlen < need)
		return PD_ERR_OVERFLOW;
	memset(out, 0, DNSADDR_HDR);
	dnsaddr_put16(out, id);
	out[2] = 0x01;				/* RD */
	dnsaddr_put16(out + 4, 1);		/* QDCOUNT */
	pos = DNSADDR_HDR;
	for (p = host; *p != '\0';) {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		out[pos++] = (uint8_t)l;
		memcpy(out + pos, p, l);
		pos += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[pos++] = 0;
	dnsaddr_put16(out + pos, qtype);
	dnsaddr_put16(out + pos + 2, DNSADDR_CLASS_IN);
	pos += 4;
	*ret_len = pos;
	return 0;
}

/*
 * Read the (possibly compressed) name at *off into out as dotted text
 * (lower case kept as sent), advancing *off past it in the message.
 * 0 or PD_ERR_MALFORMED / PD_ERR_TRUNCATED.
 */
static int
dnsaddr_read_name(const uint8_t *msg, size_t n, size_t *off, char *out,
    size_t outlen)
{
	size_t pos = *off, o = 0, end = 0;
	int jumped = 0, ptrs = 0;

	for (;;) {
		uint8_t l;

		if (pos >= n)
			return PD_ERR_TRUNCATED;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= n)
				return PD_ERR_TRUNCATED;
			if (++ptrs > DNSADDR_MAX_PTRS)
				return PD_ERR_MALFORMED;
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			pos = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return PD_ERR_MALFORMED;	/* extended label types */
		if (l == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if (pos + 1 + l > n)
			return PD_ERR_TRUNCATED;
		if (o + l + 2 > outlen || o + l > PD_DNSADDR_MAX_NAME)
			return PD_ERR_MALFORMED;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[pos + 1 + i];

			/* Keep names printable; odd bytes never match ours. */
			out[o++] = dnsaddr_name_char_ok(c) && c != '.' ?
			    (char)c : '?';
		}
		pos += 1 + (size_t)l;
	}
	if (outlen == 0)
		return PD_ERR_MALFORMED;
	out[o] = '\0';
	*off = end;
	return 0;
}

int
pd_dnsaddr_txt_decode(const uint8_t *msg, size_t n, uint16_t id,
    const char *name, struct pd_dnsaddr_txt_answer *ret, char *why,
    size_t whylen)
{
	char owner[PD_DNSADDR_QNAME_MAX + 2];
	char names[PD_DNSADDR_MAX_CNAMES + 1][PD_DNSADDR_QNAME_MAX + 2];
	size_t nnames = 1, off, qd, an;
	int r;

	ret->rcode = 0;
	ret->truncated = false;
	ret->ntxt = 0;
	ret->skipped = 0;
	if (n > PD_DNSADDR_MAX_MSG) {
		dnsaddr_why(why, whylen, "DNS message over %d bytes",
		    PD_DNSADDR_MAX_MSG);
		return PD_ERR_OVERFLOW;
	}
	if (n < DNSADDR_HDR) {
		dnsaddr_why(why, whylen, "DNS message shorter than a header");
		return PD_ERR_TRUNCATED;
	}
	if (dnsaddr_get16(msg) != id || !(msg[2] & 0x80) ||
	    (msg[2] >> 3 & 0x0f) != 0) {
		dnsaddr_why(why, whylen, "not a response to our query");
		return PD_ERR_PROTOCOL;
	}
	ret->truncated = (msg[2] & 0x02) != 0;
	ret->rcode = msg[3] & 0x0f;
	qd = dnsaddr_get16(msg + 4);
	an = dnsaddr_get16(msg + 6);
	if (qd != 1) {
		dnsaddr_why(why, whylen, "response has %zu questions", qd);
		return PD_ERR_PROTOCOL;
	}
	off = DNSADDR_HDR;
	if ((r = dnsaddr_read_name(msg, n, &off, owner, sizeof(owner))) < 0) {
		dnsaddr_why(why, whylen, "bad question name");
		return r;
	}
	if (off + 4 > n) {
		dnsaddr_why(why, whylen, "question truncated");
		return PD_ERR_TRUNCATED;
	}
	if (strcasecmp(owner, name) != 0 ||
	    dnsaddr_get16(msg + off) != PD_DNSADDR_TYPE_TXT ||
	    dnsaddr_get16(msg + off + 2) != DNSADDR_CLASS_IN) {
		dnsaddr_why(why, whylen, "response question does not match");
		return PD_ERR_PROTOCOL;
	}
	off += 4;
	snprintf(names[0], sizeof(names[0]), "%s", name);
	if (an > PD_DNSADDR_MAX_RRS)
		an = PD_DNSADDR_MAX_RRS;
	for (size_t i = 0; i < an; i++) {
		uint16_t type, klass, rdlen;
		size_t rd;
		int ours = 0;

		if ((r = dnsaddr_read_name(msg, n, &off, owner,
		    sizeof(owner))) < 0) {
			dnsaddr_why(why, whylen, "bad answer name");
			return r;
		}
		if (off + 10 > n) {
			dnsaddr_why(why, whylen, "answer truncated");
			return PD_ERR_TRUNCATED;
		}
		type = dnsaddr_get16(msg + off);
		klass = dnsaddr_get16(msg + off + 2);
		rdlen = dnsaddr_get16(msg + off + 8);
		rd = off + 10;
		if (rd + rdlen > n) {
			dnsaddr_why(why, whylen, "record data truncated");
			return PD_ERR_TRUNCATED;
		}
		off = rd + rdlen;
		for (size_t k = 0; k < nnames && !ours; k++)
			ours = strcasecmp(owner, names[k]) == 0;
		if (!ours || klass != DNSADDR_CLASS_IN)
			continue;
		if (type == PD_DNSADDR_TYPE_CNAME) {
			size_t t = rd;

			if (nnames > PD_DNSADDR_MAX_CNAMES)
				continue;
			if ((r = dnsaddr_read_name(msg, rd + rdlen, &t,
			    names[nnames], sizeof(names[0]))) < 0) {
				dnsaddr_why(why, whylen, "bad CNAME target");
				return r;
			}
			nnames++;
			continue;
		}
		if (type != PD_DNSADDR_TYPE_TXT)
			continue;
		{
			size_t p = rd, tl = 0;
			int bad = 0;
			char *dst = ret->ntxt < PD_DNSADDR_MAX_TXT ?
			    ret->txt[ret->ntxt] : NULL;

			while (p < rd + rdlen) {
				size_t sl = msg[p];

				if (p + 1 + sl > rd + rdlen) {
					dnsaddr_why(why, whylen,
					    "TXT string overruns its record");
					return PD_ERR_MALFORMED;
				}
				if (tl + sl > PD_DNSADDR_MAX_TXT_LEN ||
				    memchr(msg + p + 1, '\0', sl) != NULL)
					bad = 1;
				else if (dst != NULL)
					memcpy(dst + tl, msg + p + 1, sl);
				if (!bad)
					tl += sl;
				p += 1 + sl;
			}
			if (bad || dst == NULL) {
				ret->skipped++;
				continue;
			}
			dst[tl] = '\0';
			ret->len[ret->ntxt++] = (uint16_t)tl;
		}
	}
	return 0;
}

int
pd_dnsaddr_init(struct pd_dnsaddr *r, const struct pd_multiaddr *ma,
    char *why, size_t whylen)
{
	struct pd_multiaddr_comp c;
	struct pd_dnsaddr_query *q;
	char host[PD_DNSADDR_QNAME_MAX];
	size_t off = 0;

	if (pd_multiaddr_next(ma, &off, &c) <= 0 ||
	    c.code != PD_MULTIADDR_DNSADDR) {
		dnsaddr_why(why, whylen, "not a /dnsaddr address");
		return PD_ERR_INVAL;
	}
	if (pd_dnsaddr_host(c.value, c.value_len, host, sizeof(host)) < 0 ||
	    strlen(host) + sizeof(DNSADDR_TXT_NAME) - 1 >
	    PD_DNSADDR_MAX_NAME) {
		dnsaddr_why(why, whylen, "bad /dnsaddr host name");
		return PD_ERR_MALFORMED;
	}
	memset(r, 0, sizeof(*r));
	q = &r->q[r->nq++];
	snprintf(q->name, sizeof(q->name), DNSADDR_TXT_NAME "%s", host);
	q->depth = 1;
	q->state = DNSADDR_Q_PENDING;
	if (off < ma->len) {
		q->rest.len = ma->len - off;
		memcpy(q->rest.bytes, ma->bytes + off, q->rest.len);
	}
	r->root_rest = q->rest;
	return 0;
}

int
pd_dnsaddr_next_query(struct pd_dnsaddr *r, size_t *ret_token,
    const char **ret_name)
{
	for (size_t i = 0; i < r->nq; i++)
		if (r->q[i].state == DNSADDR_Q_PENDING) {
			r->q[i].state = DNSADDR_Q_ASKED;
			*ret_token = i;
			*ret_name = r->q[i].name;
			return 1;
		}
	return 0;
}

/* Queue a nested lookup for candidate ma (starting /dnsaddr/). */
static void
dnsaddr_enqueue(struct pd_dnsaddr *r, const struct pd_multiaddr *ma,
    unsigned depth)
{
	struct pd_dnsaddr_query nq;
	struct pd_multiaddr_comp c;
	char host[PD_DNSADDR_QNAME_MAX];
	size_t off = 0;

	if (depth > PD_DNSADDR_MAX_DEPTH) {
		r->dropped_depth++;
		return;
	}
	if (pd_multiaddr_next(ma, &off, &c) <= 0 ||
	    pd_dnsaddr_host(c.value, c.value_len, host, sizeof(host)) < 0 ||
	    strlen(host) + sizeof(DNSADDR_TXT_NAME) - 1 >
	    PD_DNSADDR_MAX_NAME) {
		r->dropped_bad++;
		return;
	}
	memset(&nq, 0, sizeof(nq));
	snprintf(nq.name, sizeof(nq.name), DNSADDR_TXT_NAME "%s", host);
	nq.depth = depth;
	nq.state = DNSADDR_Q_PENDING;
	if (off < ma->len) {
		nq.rest.len = ma->len - off;
		memcpy(nq.rest.bytes, ma->bytes + off, nq.rest.len);
	}
	for (size_t i = 0; i < r->nq; i++)
		if (strcasecmp(r->q[i].name, nq.name) == 0 &&
		    r->q[i].rest.len == nq.rest.len &&
		    memcmp(r->q[i].rest.bytes, nq.rest.bytes,
		    nq.rest.len) == 0)
			return;			/* asked already: a loop */
	if (r->nq == PD_DNSADDR_MAX_QUERIES) {
		r->dropped_limit++;
		return;
	}
	r->q[r->nq++] = nq;
}

static void
dnsaddr_add_result(struct pd_dnsaddr *r, const struct pd_multiaddr *ma)
{
	if (!pd_dnsaddr_has_suffix(ma, &r->root_rest)) {
		r->dropped_suffix++;
		return;
	}
	for (size_t i = 0; i < r->nresults; i++)
		if (pd_multiaddr_equal(&r->results[i], ma))
			return;
	if (r->nresults == PD_DNSADDR_MAX_RESULTS) {
		r->dropped_limit++;
		return;
	}
	r->results[r->nresults++] = *ma;
}

int
pd_dnsaddr_feed(struct pd_dnsaddr *r, size_t token, const char *const *txt,
    size_t ntxt)
{
	struct pd_dnsaddr_query *q;
	struct pd_multiaddr rest;
	unsigned depth;

	if (token >= r->nq || r->q[token].state != DNSADDR_Q_ASKED)
		return PD_ERR_INVAL;
	q = &r->q[token];
	q->state = DNSADDR_Q_DONE;
	/* r->q may not move, but copy what we need: enqueue appends. */
	rest = q->rest;
	depth = q->depth;
	for (size_t i = 0; i < ntxt; i++) {
		struct pd_multiaddr ma;
		struct pd_multiaddr_comp c;
		size_t off = 0;
		int e;

		e = pd_dnsaddr_parse_txt(txt[i], strlen(txt[i]), &ma, NULL, 0);
		if (e == PD_ERR_NOT_FOUND)
			continue;
		if (e < 0) {
			r->dropped_bad++;
			continue;
		}
		if (!pd_dnsaddr_has_suffix(&ma, &rest)) {
			r->dropped_suffix++;
			continue;
		}
		if (pd_multiaddr_next(&ma, &off, &c) > 0 &&
		    c.code == PD_MULTIADDR_DNSADDR)
			dnsaddr_enqueue(r, &ma, depth + 1);
		else
			dnsaddr_add_result(r, &ma);
	}
	return 0;
}

int
pd_dnsaddr_fail(struct pd_dnsaddr *r, size_t token, const char *why)
{
	if (token >= r->nq || r->q[token].state != DNSADDR_Q_ASKED)
		return PD_ERR_INVAL;
	r->q[token].state = DNSADDR_Q_DONE;
	r->failed++;
	snprintf(r->last_error, sizeof(r->last_error), "%s: %s",
	    r->q[token].name, why != NULL ? why : "lookup failed");
	return 0;
}

bool
pd_dnsaddr_done(const struct pd_dnsaddr *r)
{
	for (size_t i = 0; i < r->nq; i++)
		if (r->q[i].state != DNSADDR_Q_DONE)
			return false;
	return true;
}
