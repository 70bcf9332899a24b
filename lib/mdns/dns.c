/*
 * dns.c - DNS message codec for mDNS (RFC 1035 §4, RFC 6762, RFC 6763).
 *
 * Decodes a datagram into a bounded, caller-owned struct pd_dns_msg and
 * encodes one back with name compression; also builds and reads the
 * libp2p mDNS answer (libp2p-wire.md §11).  Sans-IO and allocation-free
 * except for pd_dns_encode's pd_buf.  Called by the mDNS responder and
 * querier (lib/mdns/mdns.c), the unit tests and the fuzz target.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "mdns/dns.h"

/* Reason helper: printf into why when the caller gave a buffer. */
static int dns_fail(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
dns_fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
dns_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* A byte allowed inside a text label (see dns.h). */
static bool
dns_label_char_ok(uint8_t c)
{
	return c >= 0x20 && c != 0x7f && c != '.' && c != '\\';
}

static char
dns_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length of a text name without one trailing dot. */
static size_t
dns_name_len(const char *n)
{
	size_t l = strlen(n);

	if (l > 0 && n[l - 1] == '.')
		l--;
	return l;
}

/* ---- names: text side ---- */

int
pd_dns_name_check(const char *name)
{
	size_t len, i, lab = 0, wire = 1;

	if (name == NULL)
		return PD_ERR_INVAL;
	len = dns_name_len(name);
	if (len == 0)
		return 0;	/* root ("" or ".") */
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (lab == 0 || lab > PD_DNS_MAX_LABEL)
				return PD_ERR_INVAL;
			wire += lab + 1;
			lab = 0;
			continue;
		}
		if (!dns_label_char_ok((uint8_t)name[i]))
			return PD_ERR_INVAL;
		lab++;
	}
	return wire <= PD_DNS_MAX_NAME ? 0 : PD_ERR_INVAL;
}

bool
pd_dns_name_eq(const char *a, const char *b)
{
	size_t la = dns_name_len(a), lb = dns_name_len(b), i;

	if (la != lb)
		return false;
	for (i = 0; i < la; i++)
		if (dns_lower(a[i]) != dns_lower(b[i]))
			return false;
	return true;
}

bool
pd_dns_name_ends_with(const char *name, const char *suffix)
{
	size_t ln = dns_name_len(name), ls = dns_name_len(suffix), i;
	const char *tail;

	if (ls > ln)
		return false;
	if (ls == 0)
		return true;	/* every name ends with the root */
	tail = name + (ln - ls);
	if (ln > ls && tail[-1] != '.')
		return false;
	for (i = 0; i < ls; i++)
		if (dns_lower(tail[i]) != dns_lower(suffix[i]))
			return false;
	return true;
}

/* Copy a checked name into dst without its trailing dot. */
static int
dns_name_copy(char dst[PD_DNS_NAME_SIZE], const char *src)
{
	size_t l;

	if (pd_dns_name_check(src) < 0)
		return PD_ERR_INVAL;
	l = dns_name_len(src);
	memcpy(dst, src, l);
	dst[l] = '\0';
	return 0;
}

/* ---- decode ---- */

struct dns_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	char *why;
	size_t whylen;
};

/*
 * Read a (possibly compressed) name at r->off into out.  Pointers must go
 * strictly backwards: before the start of the name or of the label run
 * they were reached from, so every hop lowers the limit and loops are
 * impossible; hops are capped anyway.  *ret_ok is false when a label holds
 * a byte we do not represent in text (the name still parses).  Advances
 * r->off past the name's bytes at its original position.
 */
static int
dns_read_name(struct dns_rd *r, char out[PD_DNS_NAME_SIZE], bool *ret_ok)
{
	size_t pos = r->off, limit = r->off, end = 0, wire = 1, olen = 0;
	unsigned hops = 0;
	bool jumped = false, ok = true;

	for (;;) {
		uint8_t c;
		size_t i;

		if (pos >= r->len)
			return dns_fail(r->why, r->whylen, PD_ERR_TRUNCATED,
			    "name at %zu truncated", r->off);
		c = r->p[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= r->len)
				return dns_fail(r->why, r->whylen,
				    PD_ERR_TRUNCATED,
				    "compression pointer at %zu truncated",
				    pos);
			target = ((size_t)(c & 0x3f) << 8) | r->p[pos + 1];
			if (target >= limit || target < PD_DNS_HEADER_LEN)
				return dns_fail(r->why, r->whylen,
				    PD_ERR_MALFORMED,
				    "compression pointer at %zu to %zu is not "
				    "backwards", pos, target);
			if (++hops > PD_DNS_MAX_HOPS)
				return dns_fail(r->why, r->whylen,
				    PD_ERR_MALFORMED,
				    "more than %d compression pointers",
				    PD_DNS_MAX_HOPS);
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = limit = target;
			continue;
		}
		if ((c & 0xc0) != 0)
			return dns_fail(r->why, r->whylen, PD_ERR_MALFORMED,
			    "label type 0x%02x at %zu unsupported", c, pos);
		if (c == 0) {
			pos++;
			break;
		}
		wire += (size_t)c + 1;
		if (wire > PD_DNS_MAX_NAME)
			return dns_fail(r->why, r->whylen, PD_ERR_OVERFLOW,
			    "name at %zu longer than %d bytes", r->off,
			    PD_DNS_MAX_NAME);
		if (pos + 1 + c > r->len)
			return dns_fail(r->why, r->whylen, PD_ERR_TRUNCATED,
			    "label at %zu truncated", pos);
		if (olen > 0)
			out[olen++] = '.';
		for (i = 0; i < c; i++) {
			uint8_t b = r->p[pos + 1 + i];

			if (!dns_label_char_ok(b))
				ok = false;
			out[olen++] = (char)b;
		}
		pos += 1 + (size_t)c;
	}
	out[olen] = '\0';
	r->off = jumped ? end : pos;
	*ret_ok = ok;
	return 0;
}

/* rdata of a TXT record: strings into m->pool. */
static int
dns_read_txt(struct dns_rd *r, size_t rdend, struct pd_dns_msg *m,
    struct pd_dns_rr *rr)
{
	size_t pos = r->off;

	rr->u.txt.n = 0;
	while (pos < rdend) {
		uint8_t l = r->p[pos];

		if (pos + 1 + l > rdend)
			return dns_fail(r->why, r->whylen, PD_ERR_MALFORMED,
			    "TXT string at %zu overruns its record", pos);
		if (rr->u.txt.n >= PD_DNS_MAX_TXT_STRINGS) {
			m->dropped_txt++;
		} else {
			/* No overflow: the pool is as big as a message. */
			memcpy(m->pool + m->pool_len, r->p + pos + 1, l);
			rr->u.txt.off[rr->u.txt.n] = (uint16_t)m->pool_len;
			rr->u.txt.len[rr->u.txt.n] = l;
			rr->u.txt.n++;
			m->pool_len += l;
		}
		pos += 1 + (size_t)l;
	}
	r->off = rdend;
	return 0;
}

/* rdata holding a name (PTR, SRV target): must end exactly at rdend. */
static int
dns_read_rdata_name(struct dns_rd *r, size_t rdend, char out[PD_DNS_NAME_SIZE],
    bool *ok)
{
	struct dns_rd sub = *r;
	int rc;

	sub.len = rdend;	/* a name may not run past its rdata */
	if ((rc = dns_read_name(&sub, out, ok)) < 0)
		return rc == PD_ERR_TRUNCATED ? dns_fail(r->why, r->whylen,
		    PD_ERR_MALFORMED, "name in rdata at %zu overruns it",
		    r->off) : rc;
	if (sub.off != rdend)
		return dns_fail(r->why, r->whylen, PD_ERR_MALFORMED,
		    "rdata at %zu has %zu trailing bytes", r->off,
		    rdend - sub.off);
	r->off = rdend;
	return 0;
}

/*
 * Read one resource record into *rr.  *ret_keep is false when the record
 * is of a type we skip or has an unrepresentable name.
 */
static int
dns_read_rr(struct dns_rd *r, struct pd_dns_msg *m, struct pd_dns_rr *rr,
    bool *ret_keep)
{
	size_t rdlen, rdend, start = r->off;
	uint16_t cls;
	bool ok = true, ok2 = true;
	int rc;

	if ((rc = dns_read_name(r, rr->name, &ok)) < 0)
		return rc;
	if (r->off + 10 > r->len)
		return dns_fail(r->why, r->whylen, PD_ERR_TRUNCATED,
		    "record at %zu truncated", start);
	rr->type = dns_get16(r->p + r->off);
	cls = dns_get16(r->p + r->off + 2);
	rr->rclass = cls & 0x7fff;
	rr->cache_flush = (cls & PD_DNS_CLASS_TOP) != 0;
	rr->ttl = dns_get32(r->p + r->off + 4);
	rdlen = dns_get16(r->p + r->off + 8);
	r->off += 10;
	if (r->off + rdlen > r->len)
		return dns_fail(r->why, r->whylen, PD_ERR_TRUNCATED,
		    "rdata of record at %zu truncated", start);
	rdend = r->off + rdlen;
	switch (rr->type) {
	case PD_DNS_TYPE_A:
	case PD_DNS_TYPE_AAAA:
		if (rdlen != (rr->type == PD_DNS_TYPE_A ? 4u : 16u))
			return dns_fail(r->why, r->whylen, PD_ERR_MALFORMED,
			    "address record at %zu has rdlength %zu", start,
			    rdlen);
		memcpy(rr->type == PD_DNS_TYPE_A ? rr->u.a : rr->u.aaaa,
		    r->p + r->off, rdlen);
		r->off = rdend;
		break;
	case PD_DNS_TYPE_PTR:
		if ((rc = dns_read_rdata_name(r, rdend, rr->u.ptr, &ok2)) < 0)
			return rc;
		break;
	case PD_DNS_TYPE_SRV:
		if (rdlen < 7)
			return dns_fail(r->why, r->whylen, PD_ERR_MALFORMED,
			    "SRV record at %zu too short", start);
		rr->u.srv.priority = dns_get16(r->p + r->off);
		rr->u.srv.weight = dns_get16(r->p + r->off + 2);
		rr->u.srv.port = dns_get16(r->p + r->off + 4);
		r->off += 6;
		if ((rc = dns_read_rdata_name(r, rdend, rr->u.srv.target,
		    &ok2)) < 0)
			return rc;
		break;
	case PD_DNS_TYPE_TXT:
		if ((rc = dns_read_txt(r, rdend, m, rr)) < 0)
			return rc;
		break;
	default:
		r->off = rdend;
		ok = false;
		break;
	}
	*ret_keep = ok && ok2;
	return 0;
}

static int
dns_read_question(struct dns_rd *r, struct pd_dns_question *q, bool *ret_keep)
{
	uint16_t cls;
	int rc;

	if ((rc = dns_read_name(r, q->name, ret_keep)) < 0)
		return rc;
	if (r->off + 4 > r->len)
		return dns_fail(r->why, r->whylen, PD_ERR_TRUNCATED,
		    "question at %zu truncated", r->off);
	q->type = dns_get16(r->p + r->off);
	cls = dns_get16(r->p + r->off + 2);
	q->qclass = cls & 0x7fff;
	q->unicast = (cls & PD_DNS_CLASS_TOP) != 0;
	r->off += 4;
	return 0;
}

void
pd_dns_msg_init(struct pd_dns_msg *m, uint16_t id, uint16_t flags)
{
	/* Only the header and counters: the arrays are written before use. */
	m->id = id;
	m->flags = flags;
	m->qdcount = m->ancount = m->nscount = m->arcount = 0;
	m->nq = m->nrr = 0;
	m->nan = m->nns = m->nar = 0;
	m->dropped = m->skipped = m->dropped_txt = 0;
	m->pool_len = 0;
}

int
pd_dns_decode(const uint8_t *p, size_t len, struct pd_dns_msg *m,
    char *why, size_t whylen)
{
	struct dns_rd r = { p, len, PD_DNS_HEADER_LEN, why, whylen };
	struct pd_dns_question q;
	struct pd_dns_rr rr;
	unsigned i, total;
	bool keep;
	int rc;

	if (p == NULL || m == NULL)
		return PD_ERR_INVAL;
	if (len > PD_DNS_MAX_MSG)
		return dns_fail(why, whylen, PD_ERR_OVERFLOW,
		    "message of %zu bytes over %d", len, PD_DNS_MAX_MSG);
	if (len < PD_DNS_HEADER_LEN)
		return dns_fail(why, whylen, PD_ERR_TRUNCATED,
		    "message of %zu bytes has no header", len);
	pd_dns_msg_init(m, dns_get16(p), dns_get16(p + 2));
	m->qdcount = dns_get16(p + 4);
	m->ancount = dns_get16(p + 6);
	m->nscount = dns_get16(p + 8);
	m->arcount = dns_get16(p + 10);
	for (i = 0; i < m->qdcount; i++) {
		if ((rc = dns_read_question(&r, &q, &keep)) < 0)
			return rc;
		if (!keep)
			m->skipped++;
		else if (m->nq >= PD_DNS_MAX_QUESTIONS)
			m->dropped++;
		else
			m->q[m->nq++] = q;
	}
	total = (unsigned)m->ancount + m->nscount + m->arcount;
	for (i = 0; i < total; i++) {
		size_t pool_mark = m->pool_len;

		memset(&rr, 0, sizeof(rr));
		rr.section = i < m->ancount ? PD_DNS_SEC_ANSWER :
		    i < (unsigned)m->ancount + m->nscount ?
		    PD_DNS_SEC_AUTHORITY : PD_DNS_SEC_ADDITIONAL;
		if ((rc = dns_read_rr(&r, m, &rr, &keep)) < 0)
			return rc;
		if (!keep || m->nrr >= PD_DNS_MAX_RECORDS) {
			if (!keep)
				m->skipped++;
			else
				m->dropped++;
			m->pool_len = pool_mark;
			continue;
		}
		m->rr[m->nrr++] = rr;
		if (rr.section == PD_DNS_SEC_ANSWER)
			m->nan++;
		else if (rr.section == PD_DNS_SEC_AUTHORITY)
			m->nns++;
		else
			m->nar++;
	}
	/* Trailing bytes after the last record are ignored (RFC 6762 §18). */
	return 0;
}

/* ---- encode ---- */

struct dns_comp {
	const char *suffix;	/* text, borrowed from the message */
	uint16_t off;
};

struct dns_wr {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
	size_t ncomp;
	struct dns_comp comp[PD_DNS_MAX_COMP];
};

static void
dns_put(struct dns_wr *w, const void *d, size_t n)
{
	if (w->err != 0)
		return;
	if (n > w->cap - w->len) {
		w->err = PD_ERR_OVERFLOW;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void
dns_put16(struct dns_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	dns_put(w, b, 2);
}

static void
dns_put32(struct dns_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	dns_put(w, b, 4);
}

/* Byte-exact equality of two text suffixes (trailing dots ignored). */
static bool
dns_suffix_same(const char *a, const char *b)
{
	size_t la = dns_name_len(a), lb = dns_name_len(b);

	return la == lb && memcmp(a, b, la) == 0;
}

/*
 * Write a text name, compressed against the suffixes already written.
 * Matching is case-sensitive so a decode gives back the exact text.
 */
static void
dns_put_name(struct dns_wr *w, const char *name)
{
	const char *s = name;
	size_t len, i;

	if (w->err != 0)
		return;
	if (pd_dns_name_check(name) < 0) {
		w->err = PD_ERR_INVAL;
		return;
	}
	len = dns_name_len(name);
	while ((size_t)(s - name) < len) {
		const char *dot;
		size_t lab;
		uint8_t lb;

		for (i = 0; i < w->ncomp; i++) {
			if (dns_suffix_same(w->comp[i].suffix, s)) {
				dns_put16(w, (uint16_t)(0xc000 |
				    w->comp[i].off));
				return;
			}
		}
		if (w->len < 0x4000 && w->ncomp < PD_DNS_MAX_COMP) {
			w->comp[w->ncomp].suffix = s;
			w->comp[w->ncomp].off = (uint16_t)w->len;
			w->ncomp++;
		}
		dot = memchr(s, '.', len - (size_t)(s - name));
		lab = dot != NULL ? (size_t)(dot - s) :
		    len - (size_t)(s - name);
		lb = (uint8_t)lab;
		dns_put(w, &lb, 1);
		dns_put(w, s, lab);
		s += lab + (dot != NULL ? 1 : 0);
	}
	dns_put(w, "", 1);
}

static void
dns_put_rr(struct dns_wr *w, const struct pd_dns_msg *m,
    const struct pd_dns_rr *rr)
{
	size_t rdlen_at, i;

	if (rr->rclass > 0x7fff) {
		w->err = PD_ERR_INVAL;
		return;
	}
	dns_put_name(w, rr->name);
	dns_put16(w, rr->type);
	dns_put16(w, (uint16_t)(rr->rclass |
	    (rr->cache_flush ? PD_DNS_CLASS_TOP : 0)));
	dns_put32(w, rr->ttl);
	rdlen_at = w->len;
	dns_put16(w, 0);
	switch (rr->type) {
	case PD_DNS_TYPE_A:
		dns_put(w, rr->u.a, 4);
		break;
	case PD_DNS_TYPE_AAAA:
		dns_put(w, rr->u.aaaa, 16);
		break;
	case PD_DNS_TYPE_PTR:
		dns_put_name(w, rr->u.ptr);
		break;
	case PD_DNS_TYPE_SRV:
		dns_put16(w, rr->u.srv.priority);
		dns_put16(w, rr->u.srv.weight);
		dns_put16(w, rr->u.srv.port);
		dns_put_name(w, rr->u.srv.target);
		break;
	case PD_DNS_TYPE_TXT:
		if (rr->u.txt.n > PD_DNS_MAX_TXT_STRINGS) {
			w->err = PD_ERR_INVAL;
			return;
		}
		for (i = 0; i < rr->u.txt.n; i++) {
			size_t off = rr->u.txt.off[i], l = rr->u.txt.len[i];

			if (off > m->pool_len || l > m->pool_len - off ||
			    m->pool_len > PD_DNS_MAX_MSG) {
				w->err = PD_ERR_INVAL;
				return;
			}
			dns_put(w, &rr->u.txt.len[i], 1);
			dns_put(w, m->pool + off, l);
		}
		break;
	default:
		w->err = PD_ERR_INVAL;
		return;
	}
	if (w->err == 0) {
		size_t rdlen = w->len - rdlen_at - 2;

		w->p[rdlen_at] = (uint8_t)(rdlen >> 8);
		w->p[rdlen_at + 1] = (uint8_t)rdlen;
	}
}

int
pd_dns_encode_raw(const struct pd_dns_msg *m, uint8_t *out, size_t outlen,
    size_t *ret_len)
{
	static const enum pd_dns_section secs[3] = { PD_DNS_SEC_ANSWER,
	    PD_DNS_SEC_AUTHORITY, PD_DNS_SEC_ADDITIONAL };
	struct dns_wr w;
	uint16_t counts[3] = { 0, 0, 0 };
	size_t i, s;

	if (m == NULL || out == NULL || m->nq > PD_DNS_MAX_QUESTIONS ||
	    m->nrr > PD_DNS_MAX_RECORDS)
		return PD_ERR_INVAL;
	for (i = 0; i < m->nrr; i++) {
		if (m->rr[i].section < PD_DNS_SEC_ANSWER ||
		    m->rr[i].section > PD_DNS_SEC_ADDITIONAL)
			return PD_ERR_INVAL;
		counts[m->rr[i].section - 1]++;
	}
	w.p = out;
	w.cap = outlen < PD_DNS_MAX_MSG ? outlen : PD_DNS_MAX_MSG;
	w.len = 0;
	w.err = 0;
	w.ncomp = 0;
	dns_put16(&w, m->id);
	dns_put16(&w, m->flags);
	dns_put16(&w, (uint16_t)m->nq);
	for (s = 0; s < 3; s++)
		dns_put16(&w, counts[s]);
	for (i = 0; i < m->nq && w.err == 0; i++) {
		const struct pd_dns_question *q = &m->q[i];

		if (q->qclass > 0x7fff)
			return PD_ERR_INVAL;
		dns_put_name(&w, q->name);
		dns_put16(&w, q->type);
		dns_put16(&w, (uint16_t)(q->qclass |
		    (q->unicast ? PD_DNS_CLASS_TOP : 0)));
	}
	for (s = 0; s < 3; s++)
		for (i = 0; i < m->nrr && w.err == 0; i++)
			if (m->rr[i].section == secs[s])
				dns_put_rr(&w, m, &m->rr[i]);
	if (w.err != 0)
		return w.err;
	*ret_len = w.len;
	return 0;
}

int
pd_dns_encode(const struct pd_dns_msg *m, size_t max, struct pd_buf *out)
{
	size_t cap = max < PD_DNS_MAX_MSG ? max : PD_DNS_MAX_MSG, n;
	int rc;

	if (out == NULL)
		return PD_ERR_INVAL;
	if ((rc = pd_buf_reserve(out, cap)) < 0)
		return rc;
	if (out->data == NULL)
		return PD_ERR_OVERFLOW;	/* cap 0: not even a header fits */
	if ((rc = pd_dns_encode_raw(m, out->data + out->len, cap, &n)) < 0)
		return rc;
	out->len += n;
	return 0;
}

/* ---- builders ---- */

static struct pd_dns_rr *
dns_new_rr(struct pd_dns_msg *m, enum pd_dns_section sec, const char *name,
    uint16_t type, uint32_t ttl, bool cache_flush, int *ret_err)
{
	struct pd_dns_rr *rr;

	if (sec < PD_DNS_SEC_ANSWER || sec > PD_DNS_SEC_ADDITIONAL) {
		*ret_err = PD_ERR_INVAL;
		return NULL;
	}
	if (m->nrr >= PD_DNS_MAX_RECORDS) {
		*ret_err = PD_ERR_OVERFLOW;
		return NULL;
	}
	rr = &m->rr[m->nrr];
	memset(rr, 0, sizeof(*rr));
	if (dns_name_copy(rr->name, name) < 0) {
		*ret_err = PD_ERR_INVAL;
		return NULL;
	}
	rr->section = sec;
	rr->type = type;
	rr->rclass = PD_DNS_CLASS_IN;
	rr->cache_flush = cache_flush;
	rr->ttl = ttl;
	return rr;
}

/* Make the record being built (m->rr[m->nrr]) part of m. */
static void
dns_commit_rr(struct pd_dns_msg *m)
{
	switch (m->rr[m->nrr].section) {
	case PD_DNS_SEC_ANSWER:
		m->nan++;
		break;
	case PD_DNS_SEC_AUTHORITY:
		m->nns++;
		break;
	default:
		m->nar++;
		break;
	}
	m->nrr++;
}

int
pd_dns_msg_add_question(struct pd_dns_msg *m, const char *name,
    uint16_t type, bool unicast)
{
	struct pd_dns_question *q;

	if (m == NULL || name == NULL)
		return PD_ERR_INVAL;
	if (m->nq >= PD_DNS_MAX_QUESTIONS)
		return PD_ERR_OVERFLOW;
	q = &m->q[m->nq];
	if (dns_name_copy(q->name, name) < 0)
		return PD_ERR_INVAL;
	q->type = type;
	q->qclass = PD_DNS_CLASS_IN;
	q->unicast = unicast;
	m->nq++;
	return 0;
}

int
pd_dns_msg_add_ptr(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const char *target)
{
	struct pd_dns_rr *rr;
	int err = 0;

	if (m == NULL || name == NULL || target == NULL)
		return PD_ERR_INVAL;
	rr = dns_new_rr(m, sec, name, PD_DNS_TYPE_PTR, ttl, cache_flush, &err);
	if (rr == NULL)
		return err;
	if (dns_name_copy(rr->u.ptr, target) < 0)
		return PD_ERR_INVAL;
	dns_commit_rr(m);
	return 0;
}

int
pd_dns_msg_add_srv(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, uint16_t priority,
    uint16_t weight, uint16_t port, const char *target)
{
	struct pd_dns_rr *rr;
	int err = 0;

	if (m == NULL || name == NULL || target == NULL)
		return PD_ERR_INVAL;
	rr = dns_new_rr(m, sec, name, PD_DNS_TYPE_SRV, ttl, cache_flush, &err);
	if (rr == NULL)
		return err;
	if (dns_name_copy(rr->u.srv.target, target) < 0)
		return PD_ERR_INVAL;
	rr->u.srv.priority = priority;
	rr->u.srv.weight = weight;
	rr->u.srv.port = port;
	dns_commit_rr(m);
	return 0;
}

int
pd_dns_msg_add_a(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const uint8_t a[4])
{
	struct pd_dns_rr *rr;
	int err = 0;

	if (m == NULL || name == NULL || a == NULL)
		return PD_ERR_INVAL;
	rr = dns_new_rr(m, sec, name, PD_DNS_TYPE_A, ttl, cache_flush, &err);
	if (rr == NULL)
		return err;
	memcpy(rr->u.a, a, 4);
	dns_commit_rr(m);
	return 0;
}

int
pd_dns_msg_add_aaaa(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const uint8_t aaaa[16])
{
	struct pd_dns_rr *rr;
	int err = 0;

	if (m == NULL || name == NULL || aaaa == NULL)
		return PD_ERR_INVAL;
	rr = dns_new_rr(m, sec, name, PD_DNS_TYPE_AAAA, ttl, cache_flush, &err);
	if (rr == NULL)
		return err;
	memcpy(rr->u.aaaa, aaaa, 16);
	dns_commit_rr(m);
	return 0;
}

int
pd_dns_msg_add_txt(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush,
    const char *const *strs, const size_t *lens, size_t n)
{
	struct pd_dns_rr *rr;
	size_t i, total = 0;
	int err = 0;

	if (m == NULL || name == NULL || (n > 0 && strs == NULL))
		return PD_ERR_INVAL;
	if (n > PD_DNS_MAX_TXT_STRINGS)
		return PD_ERR_OVERFLOW;
	for (i = 0; i < n; i++) {
		size_t l;

		if (strs[i] == NULL)
			return PD_ERR_INVAL;
		l = lens != NULL ? lens[i] : strlen(strs[i]);
		if (l > PD_DNS_MAX_TXT_STRING)
			return PD_ERR_OVERFLOW;
		total += l;
	}
	if (total > PD_DNS_MAX_MSG - m->pool_len)
		return PD_ERR_OVERFLOW;
	rr = dns_new_rr(m, sec, name, PD_DNS_TYPE_TXT, ttl, cache_flush, &err);
	if (rr == NULL)
		return err;
	for (i = 0; i < n; i++) {
		size_t l = lens != NULL ? lens[i] : strlen(strs[i]);

		memcpy(m->pool + m->pool_len, strs[i], l);
		rr->u.txt.off[i] = (uint16_t)m->pool_len;
		rr->u.txt.len[i] = (uint8_t)l;
		m->pool_len += l;
	}
	rr->u.txt.n = (uint16_t)n;
	dns_commit_rr(m);
	return 0;
}

const uint8_t *
pd_dns_txt_get(const struct pd_dns_msg *m, const struct pd_dns_rr *rr,
    size_t i, size_t *ret_len)
{
	size_t off, l;

	if (m == NULL || rr == NULL || rr->type != PD_DNS_TYPE_TXT ||
	    i >= rr->u.txt.n || i >= PD_DNS_MAX_TXT_STRINGS)
		return NULL;
	off = rr->u.txt.off[i];
	l = rr->u.txt.len[i];
	if (off > m->pool_len || l > m->pool_len - off)
		return NULL;
	*ret_len = l;
	return m->pool + off;
}

/* ---- libp2p answer ---- */

/* Join a label and a name: dst = "label.name" (checked). */
static int
dns_join(char dst[PD_DNS_NAME_SIZE], const char *label, const char *name)
{
	char tmp[PD_DNS_NAME_SIZE * 2];

	snprintf(tmp, sizeof(tmp), "%s.%.*s", label, (int)dns_name_len(name),
	    name);
	return dns_name_copy(dst, tmp);
}

static int
dns_add_dnsaddr_txt(struct pd_dns_msg *m, const struct pd_dns_libp2p_answer *a,
    const char *owner, char *why, size_t whylen)
{
	static const size_t plen = sizeof(PD_DNS_DNSADDR_PREFIX) - 1;
	char strs[PD_DNS_MAX_TXT_STRINGS][PD_DNS_MAX_TXT_STRING + 1];
	const char *ptrs[PD_DNS_MAX_TXT_STRINGS];
	size_t i;
	int rc;

	if (a->ndnsaddrs > PD_DNS_MAX_TXT_STRINGS)
		return dns_fail(why, whylen, PD_ERR_OVERFLOW,
		    "%zu addresses, at most %d per TXT record", a->ndnsaddrs,
		    PD_DNS_MAX_TXT_STRINGS);
	if (a->ndnsaddrs > 0 && a->dnsaddrs == NULL)
		return dns_fail(why, whylen, PD_ERR_INVAL, "no address list");
	for (i = 0; i < a->ndnsaddrs; i++) {
		size_t l = a->dnsaddrs[i] != NULL ? strlen(a->dnsaddrs[i]) : 0;

		if (l == 0)
			return dns_fail(why, whylen, PD_ERR_INVAL,
			    "address %zu is empty", i);
		if (plen + l > PD_DNS_MAX_TXT_STRING)
			return dns_fail(why, whylen, PD_ERR_INVAL,
			    "address %zu: dnsaddr string of %zu bytes over "
			    "%d", i, plen + l, PD_DNS_MAX_TXT_STRING);
		memcpy(strs[i], PD_DNS_DNSADDR_PREFIX, plen);
		memcpy(strs[i] + plen, a->dnsaddrs[i], l + 1);
		ptrs[i] = strs[i];
	}
	rc = pd_dns_msg_add_txt(m, PD_DNS_SEC_ADDITIONAL, owner, a->ttl,
	    a->cache_flush, ptrs, NULL, a->ndnsaddrs);
	if (rc < 0)
		return dns_fail(why, whylen, rc, "TXT record: %s",
		    pd_strerror(rc));
	return 0;
}

int
pd_dns_build_libp2p_answer(struct pd_dns_msg *m,
    const struct pd_dns_libp2p_answer *a, char *why, size_t whylen)
{
	char inst[PD_DNS_NAME_SIZE], host[PD_DNS_NAME_SIZE];
	const char *svc;
	size_t i, pl;
	int rc;

	if (m == NULL || a == NULL || a->peer_name == NULL)
		return dns_fail(why, whylen, PD_ERR_INVAL, "missing argument");
	svc = a->service != NULL ? a->service : PD_DNS_LIBP2P_SERVICE;
	pl = strlen(a->peer_name);
	if (pl == 0 || pl > PD_DNS_MAX_LABEL ||
	    memchr(a->peer_name, '.', pl) != NULL ||
	    pd_dns_name_check(a->peer_name) < 0)
		return dns_fail(why, whylen, PD_ERR_INVAL,
		    "peer name is not one label of 1..%d bytes",
		    PD_DNS_MAX_LABEL);
	if (pd_dns_name_check(svc) < 0 || dns_name_len(svc) == 0)
		return dns_fail(why, whylen, PD_ERR_INVAL, "bad service name");
	if (dns_join(inst, a->peer_name, svc) < 0 ||
	    dns_join(host, a->peer_name, "local") < 0)
		return dns_fail(why, whylen, PD_ERR_INVAL,
		    "instance name too long");
	if ((a->nip4 > 0 && a->ip4 == NULL) || (a->nip6 > 0 && a->ip6 == NULL))
		return dns_fail(why, whylen, PD_ERR_INVAL, "no address array");
	pd_dns_msg_init(m, 0, PD_DNS_FLAGS_RESPONSE);
	if ((rc = pd_dns_msg_add_ptr(m, PD_DNS_SEC_ANSWER, svc, a->ttl, false,
	    inst)) < 0)
		return dns_fail(why, whylen, rc, "PTR: %s", pd_strerror(rc));
	if ((rc = dns_add_dnsaddr_txt(m, a, inst, why, whylen)) < 0)
		return rc;
	if (a->srv_port == 0)
		return 0;
	rc = pd_dns_msg_add_srv(m, PD_DNS_SEC_ADDITIONAL, inst, a->ttl,
	    a->cache_flush, 0, 0, a->srv_port, host);
	for (i = 0; rc == 0 && i < a->nip4; i++)
		rc = pd_dns_msg_add_a(m, PD_DNS_SEC_ADDITIONAL, host,
		    a->addr_ttl, a->cache_flush, a->ip4[i]);
	for (i = 0; rc == 0 && i < a->nip6; i++)
		rc = pd_dns_msg_add_aaaa(m, PD_DNS_SEC_ADDITIONAL, host,
		    a->addr_ttl, a->cache_flush, a->ip6[i]);
	if (rc < 0)
		return dns_fail(why, whylen, rc, "SRV/A/AAAA: %s (%zu records)",
		    pd_strerror(rc), m->nrr);
	return 0;
}

int
pd_dns_build_libp2p_query(struct pd_dns_msg *m, const char *service,
    bool unicast)
{
	const char *svc = service != NULL ? service : PD_DNS_LIBP2P_SERVICE;

	if (m == NULL || pd_dns_name_check(svc) < 0)
		return PD_ERR_INVAL;
	pd_dns_msg_init(m, 0, 0);
	return pd_dns_msg_add_question(m, svc, PD_DNS_TYPE_PTR, unicast);
}

/* ---- libp2p extraction ---- */

static bool
dns_answer_or_additional(const struct pd_dns_rr *rr)
{
	return rr->section == PD_DNS_SEC_ANSWER ||
	    rr->section == PD_DNS_SEC_ADDITIONAL;
}

/* Add every new "dnsaddr=" string of TXT record rr to peer. */
static void
dns_collect_txt(const struct pd_dns_msg *m, const struct pd_dns_rr *rr,
    struct pd_dns_libp2p_peer *peer)
{
	static const size_t plen = sizeof(PD_DNS_DNSADDR_PREFIX) - 1;
	size_t i, j, l;

	for (i = 0; i < rr->u.txt.n; i++) {
		const uint8_t *s = pd_dns_txt_get(m, rr, i, &l);
		bool dup = false;

		if (s == NULL || l <= plen ||
		    memcmp(s, PD_DNS_DNSADDR_PREFIX, plen) != 0)
			continue;
		s += plen;
		l -= plen;
		for (j = 0; j < peer->naddrs && !dup; j++)
			dup = peer->addr_len[j] == l &&
			    memcmp(peer->addr[j], s, l) == 0;
		if (dup || peer->naddrs >= PD_DNS_MAX_PEER_ADDRS)
			continue;
		peer->addr[peer->naddrs] = (const char *)s;
		peer->addr_len[peer->naddrs] = l;
		peer->naddrs++;
	}
}

int
pd_dns_libp2p_extract(const struct pd_dns_msg *m, const char *service,
    struct pd_dns_libp2p_peer *peers, size_t maxpeers, size_t *ret_n)
{
	const char *svc = service != NULL ? service : PD_DNS_LIBP2P_SERVICE;
	size_t i, j, n = 0;

	if (m == NULL || ret_n == NULL || (maxpeers > 0 && peers == NULL) ||
	    m->nrr > PD_DNS_MAX_RECORDS)
		return PD_ERR_INVAL;
	for (i = 0; i < m->nrr && n < maxpeers; i++) {
		const struct pd_dns_rr *rr = &m->rr[i];
		struct pd_dns_libp2p_peer *p;
		bool dup = false;

		if (rr->type != PD_DNS_TYPE_PTR ||
		    !dns_answer_or_additional(rr) ||
		    !pd_dns_name_eq(rr->name, svc))
			continue;
		for (j = 0; j < n && !dup; j++)
			dup = pd_dns_name_eq(peers[j].name, rr->u.ptr);
		if (dup)
			continue;
		p = &peers[n++];
		memcpy(p->name, rr->u.ptr, sizeof(p->name));
		p->name[PD_DNS_NAME_SIZE - 1] = '\0';
		p->ttl = rr->ttl;
		p->section = rr->section;
		p->naddrs = 0;
		for (j = 0; j < m->nrr; j++) {
			const struct pd_dns_rr *t = &m->rr[j];

			if (t->type == PD_DNS_TYPE_TXT &&
			    dns_answer_or_additional(t) &&
			    pd_dns_name_eq(t->name, p->name))
				dns_collect_txt(m, t, p);
		}
	}
	*ret_n = n;
	return 0;
}
