/*
 * record.c - DHT value records for the Kademlia server and client
 * (lib/kad/dht.c: PUT_VALUE, GET_VALUE; control dht.get_value/put_value).
 *
 * Three parts.  The validator table maps a key's namespace to a
 * validate/select pair, like go's NamespacedValidator, with the two
 * defaults of go and js: `pk` (go-libp2p-record pubkey.go) and `ipns`
 * (boxo ipns validation.go, V2 rules, with a DAG-CBOR reader in cbor.c).
 * The record store keeps one value per key with its receive time, caps
 * the count and bytes, and applies go's rules: select against the stored
 * record on put, max age and re-validation on get.  Nothing does I/O or
 * reads a clock; `now` is unix milliseconds from the caller.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/pb.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "kad/cbor.h"
#include "kad/msg.h"
#include "kad/record.h"

#define RECORD_IPNS_SIG_PREFIX "ipns-signature:"
#define RECORD_IPNS_SIG_PREFIX_LEN (sizeof(RECORD_IPNS_SIG_PREFIX) - 1)

static void record_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
record_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- validator table ---------------------------------------------------- */

void
pd_kad_validators_init(struct pd_kad_validators *v)
{
	memset(v, 0, sizeof(*v));
}

int
pd_kad_validators_default(struct pd_kad_validators *v)
{
	pd_kad_validators_init(v);
	(void)pd_kad_validators_add(v, "pk", pd_kad_pk_validate,
	    pd_kad_pk_select, NULL);
	(void)pd_kad_validators_add(v, "ipns", pd_kad_ipns_validate,
	    pd_kad_ipns_select, NULL);
	return 0;
}

/* Index of namespace ns[0..nslen) in v, or -1. */
static int
record_find_ns(const struct pd_kad_validators *v, const void *ns,
    size_t nslen)
{
	for (size_t i = 0; i < v->n && i < PD_KAD_MAX_VALIDATORS; i++)
		if (strlen(v->v[i].ns) == nslen &&
		    memcmp(v->v[i].ns, ns, nslen) == 0)
			return (int)i;
	return -1;
}

int
pd_kad_validators_add(struct pd_kad_validators *v, const char *ns,
    pd_kad_validate_cb validate, pd_kad_select_cb select, void *arg)
{
	struct pd_kad_validator *e;
	size_t nslen;
	int i;

	if (v == NULL || ns == NULL || validate == NULL || select == NULL)
		return PD_ERR_INVAL;
	nslen = strnlen(ns, PD_KAD_MAX_NAMESPACE + 1);
	if (nslen == 0 || nslen > PD_KAD_MAX_NAMESPACE ||
	    memchr(ns, '/', nslen) != NULL)
		return PD_ERR_INVAL;
	if ((i = record_find_ns(v, ns, nslen)) < 0) {
		if (v->n >= PD_KAD_MAX_VALIDATORS)
			return PD_ERR_OVERFLOW;
		i = (int)v->n++;
	}
	e = &v->v[i];
	memset(e->ns, 0, sizeof(e->ns));
	memcpy(e->ns, ns, nslen);
	e->validate = validate;
	e->select = select;
	e->arg = arg;
	return 0;
}

int
pd_kad_validators_remove(struct pd_kad_validators *v, const char *ns)
{
	int i;

	if (v == NULL || ns == NULL)
		return PD_ERR_NOT_FOUND;
	if ((i = record_find_ns(v, ns, strnlen(ns, PD_KAD_MAX_NAMESPACE + 1))) < 0)
		return PD_ERR_NOT_FOUND;
	v->v[i] = v->v[v->n - 1];
	memset(&v->v[v->n - 1], 0, sizeof(v->v[0]));
	v->n--;
	return 0;
}

int
pd_kad_key_split(const uint8_t *key, size_t keylen, const uint8_t **ret_ns,
    size_t *ret_nslen, const uint8_t **ret_rest, size_t *ret_restlen)
{
	const uint8_t *slash;

	if (key == NULL || keylen < 2 || key[0] != '/')
		return PD_ERR_INVAL;
	slash = memchr(key + 1, '/', keylen - 1);
	if (slash == NULL || slash == key + 1)
		return PD_ERR_INVAL;
	*ret_ns = key + 1;
	*ret_nslen = (size_t)(slash - key - 1);
	*ret_rest = slash + 1;
	*ret_restlen = keylen - (size_t)(slash + 1 - key);
	return 0;
}

/* The validator entry for key, or NULL with a reason. */
static const struct pd_kad_validator *
record_lookup(const struct pd_kad_validators *v, const uint8_t *key,
    size_t keylen, char *why, size_t whylen)
{
	const uint8_t *ns, *rest;
	size_t nslen, restlen;
	char esc[4 * PD_LOG_ESCAPE_MAX + 4];
	int i;

	if (pd_kad_key_split(key, keylen, &ns, &nslen, &rest, &restlen) != 0) {
		record_why(why, whylen, "malformed key (not /namespace/...)");
		return NULL;
	}
	if (v == NULL || (i = record_find_ns(v, ns, nslen)) < 0) {
		record_why(why, whylen, "no validator for namespace %s",
		    pd_log_escape(ns, nslen, esc, sizeof(esc)));
		return NULL;
	}
	return &v->v[i];
}

int
pd_kad_validate(const struct pd_kad_validators *v, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, int64_t now_unix_ms,
    char *why, size_t whylen)
{
	const struct pd_kad_validator *e;

	if ((val == NULL && vallen > 0) || (key == NULL && keylen > 0)) {
		record_why(why, whylen, "NULL buffer");
		return PD_ERR_INVAL;
	}
	if ((e = record_lookup(v, key, keylen, why, whylen)) == NULL)
		return PD_ERR_INVAL;
	return e->validate(key, keylen, val, vallen, now_unix_ms, why, whylen,
	    e->arg);
}

int
pd_kad_select(const struct pd_kad_validators *v, const uint8_t *key,
    size_t keylen, const struct pd_kad_rec_val *vals, size_t n)
{
	const struct pd_kad_validator *e;
	int r;

	if (n == 0 || vals == NULL || n > INT32_MAX)
		return PD_ERR_INVAL;
	if ((e = record_lookup(v, key, keylen, NULL, 0)) == NULL)
		return PD_ERR_INVAL;
	r = e->select(key, keylen, vals, n, e->arg);
	if (r >= 0 && (size_t)r >= n)
		return PD_ERR_INVAL;	/* a broken embedder select */
	return r;
}

/* ---- RFC 3339 time ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
record_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of record_days_from_civil. */
static void
record_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at p into *ret; 0 or -1 if any is not a digit. */
static int
record_digits(const char *p, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*ret = v;
	return 0;
}

static unsigned
record_month_days(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

int
pd_kad_time_parse(const char *p, size_t n, int64_t *ret_unix_ms)
{
	unsigned y, mo, d, h, mi, s, oh = 0, om = 0, ms = 0;
	size_t i = 19, nd = 0;
	int64_t t, off = 0;

	if (p == NULL || n < 20 || n > PD_KAD_TIME_MAX_IN)
		return PD_ERR_MALFORMED;
	if (record_digits(p, 4, &y) || p[4] != '-' ||
	    record_digits(p + 5, 2, &mo) || p[7] != '-' ||
	    record_digits(p + 8, 2, &d) || p[10] != 'T' ||
	    record_digits(p + 11, 2, &h) || p[13] != ':' ||
	    record_digits(p + 14, 2, &mi) || p[16] != ':' ||
	    record_digits(p + 17, 2, &s))
		return PD_ERR_MALFORMED;
	if (mo < 1 || mo > 12 || d < 1 || d > record_month_days(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return PD_ERR_MALFORMED;
	if (p[i] == '.') {
		/* 1..9 digits; keep the first three as milliseconds. */
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, nd++)
			if (nd < 3)
				ms = ms * 10 + (unsigned)(p[i] - '0');
		if (nd < 1 || nd > 9)
			return PD_ERR_MALFORMED;
		for (size_t k = nd; k < 3; k++)
			ms *= 10;
	}
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		if (n - i < 6 || record_digits(p + i + 1, 2, &oh) ||
		    p[i + 3] != ':' || record_digits(p + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return PD_ERR_MALFORMED;
		off = ((int64_t)oh * 60 + om) * 60000;
		if (p[i] == '-')
			off = -off;
		i += 6;
	} else {
		return PD_ERR_MALFORMED;
	}
	if (i != n)
		return PD_ERR_MALFORMED;
	t = record_days_from_civil(y, mo, d) * 86400000 +
	    ((int64_t)h * 3600 + mi * 60 + s) * 1000 + ms;
	*ret_unix_ms = t - off;
	return 0;
}

int
pd_kad_time_format(int64_t unix_ms, char *out, size_t outlen)
{
	int64_t days, y, msd;
	unsigned m, d, frac;
	char fbuf[16] = "";
	int n;

	/* floor division, so times before 1970 work too */
	days = unix_ms / 86400000 - (unix_ms % 86400000 < 0);
	msd = unix_ms - days * 86400000;
	record_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return PD_ERR_INVAL;
	frac = (unsigned)(msd % 1000);
	if (frac != 0) {
		snprintf(fbuf, sizeof(fbuf), ".%03u", frac);
		/* RFC3339Nano drops trailing zeros of the fraction */
		for (size_t k = strlen(fbuf) - 1; fbuf[k] == '0'; k--)
			fbuf[k] = '\0';
	}
	if (out == NULL)
		return PD_ERR_OVERFLOW;
	n = snprintf(out, outlen, "%04d-%02u-%02uT%02u:%02u:%02u%sZ", (int)y, m,
	    d, (unsigned)(msd / 3600000), (unsigned)(msd / 60000 % 60),
	    (unsigned)(msd / 1000 % 60), fbuf);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return PD_ERR_OVERFLOW;
	}
	return n;
}

/* ---- pk ------------------------------------------------------------------ */

int
pd_kad_pk_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
    size_t vallen, int64_t now_unix_ms, char *why, size_t whylen, void *arg)
{
	const uint8_t *ns, *rest;
	size_t nslen, restlen;
	struct pd_pubkey pub;
	struct pd_peerid id;
	char kwhy[128];
	int rc;

	(void)now_unix_ms;
	(void)arg;
	if (pd_kad_key_split(key, keylen, &ns, &nslen, &rest, &restlen) != 0 ||
	    nslen != 2 || memcmp(ns, "pk", 2) != 0) {
		record_why(why, whylen, "namespace not 'pk'");
		return PD_ERR_INVAL;
	}
	if (val == NULL || vallen == 0) {
		record_why(why, whylen, "empty public key");
		return PD_ERR_MALFORMED;
	}
	if ((rc = pd_pubkey_decode(val, vallen, &pub, kwhy, sizeof(kwhy))) != 0) {
		record_why(why, whylen, "bad public key: %s", kwhy);
		return rc;
	}
	if (pd_peerid_from_pubkey(&pub, &id) != 0) {
		record_why(why, whylen, "cannot derive peer ID");
		return PD_ERR_BAD_KEY;
	}
	if (restlen != id.len || memcmp(rest, id.bytes, id.len) != 0) {
		record_why(why, whylen, "public key does not match storage key");
		return PD_ERR_BAD_KEY;
	}
	return 0;
}

int
pd_kad_pk_select(const uint8_t *key, size_t keylen,
    const struct pd_kad_rec_val *vals, size_t n, void *arg)
{
	(void)key;
	(void)keylen;
	(void)vals;
	(void)arg;
	/* go: every valid pk value for a key is the same key; take the first */
	return n > 0 ? 0 : PD_ERR_INVAL;
}

/* ---- ipns ---------------------------------------------------------------- */

/* IpnsEntry varint fields 3 (validityType), 5 (sequence), 6 (ttl). */
static void
record_ipns_pb_varint(const struct pd_pb_field *f, struct pd_kad_ipns *e)
{
	switch (f->num) {
	case 3:
		e->validity_type = f->u;
		e->has_validity_type = true;
		break;
	case 5:
		e->sequence = f->u;
		e->has_sequence = true;
		break;
	case 6:
		e->ttl = f->u;
		e->has_ttl = true;
		break;
	default:
		break;
	}
}

/* IpnsEntry bytes fields 1, 2, 4 (V1) and 7, 8, 9 (V2). */
static void
record_ipns_pb_bytes(const struct pd_pb_field *f, struct pd_kad_ipns *e)
{
	switch (f->num) {
	case 1:
		e->value = f->data;
		e->value_len = f->len;
		e->has_value = true;
		break;
	case 2:
		e->sig_v1 = f->data;
		e->sig_v1_len = f->len;
		e->has_sig_v1 = true;
		break;
	case 4:
		e->validity = f->data;
		e->validity_len = f->len;
		e->has_validity = true;
		break;
	case 7:
		e->pubkey = f->data;
		e->pubkey_len = f->len;
		break;
	case 8:
		e->sig_v2 = f->data;
		e->sig_v2_len = f->len;
		break;
	case 9:
		e->data = f->data;
		e->data_len = f->len;
		break;
	default:
		break;
	}
}

/* Read the IpnsEntry protobuf fields into e (go proto3: last one wins,
 * unknown fields and wrong wire types skipped). */
static int
record_ipns_pb(const uint8_t *val, size_t vallen, struct pd_kad_ipns *e,
    char *why, size_t whylen)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int rc;

	pd_pb_reader_init(&r, val, vallen);
	while ((rc = pd_pb_next(&r, &f)) == 1) {
		if (f.wire == PD_PB_VARINT)
			record_ipns_pb_varint(&f, e);
		else if (f.wire == PD_PB_LEN)
			record_ipns_pb_bytes(&f, e);
	}
	if (rc < 0) {
		record_why(why, whylen, "IpnsEntry is not a protobuf");
		return PD_ERR_MALFORMED;
	}
	if (e->sig_v2_len == 0) {
		record_why(why, whylen, "signatureV2 missing");
		return PD_ERR_MALFORMED;
	}
	if (e->data_len == 0) {
		record_why(why, whylen, "data missing");
		return PD_ERR_MALFORMED;
	}
	return 0;
}

/* The CBOR data keys we read; bit i of `seen` marks key i. */
enum {
	RECORD_C_VALUE, RECORD_C_VALIDITY, RECORD_C_VTYPE, RECORD_C_SEQ,
	RECORD_C_TTL, RECORD_C_NKEYS
};
static const char *const record_cbor_keys[RECORD_C_NKEYS] = {
	"Value", "Validity", "ValidityType", "Sequence", "TTL"
};

/* Store one known CBOR field from item it into e. */
static int
record_ipns_cbor_field(int k, const struct pd_cbor_item *it,
    struct pd_kad_ipns *e)
{
	bool is_bytes = it->type == PD_CBOR_BYTES;

	switch (k) {
	case RECORD_C_VALUE:
		if (!is_bytes)
			return PD_ERR_MALFORMED;
		e->c_value = it->data;
		e->c_value_len = (size_t)it->arg;
		return 0;
	case RECORD_C_VALIDITY:
		if (!is_bytes)
			return PD_ERR_MALFORMED;
		e->c_validity = it->data;
		e->c_validity_len = (size_t)it->arg;
		return 0;
	case RECORD_C_VTYPE:
		/* any other type, negative included, is not EOL */
		if (it->type == PD_CBOR_NEGINT)
			return PD_ERR_UNSUPPORTED;
		if (it->type != PD_CBOR_UINT)
			return PD_ERR_MALFORMED;
		e->c_validity_type = it->arg;
		return 0;
	default:
		/* Sequence and TTL: non-negative integers (boxo rejects a
		 * negative TTL) */
		if (it->type != PD_CBOR_UINT)
			return PD_ERR_MALFORMED;
		if (k == RECORD_C_SEQ)
			e->c_sequence = it->arg;
		else
			e->c_ttl = it->arg;
		return 0;
	}
}

/* Walk the DAG-CBOR map in e->data. */
static int
record_ipns_cbor(struct pd_kad_ipns *e, unsigned *ret_seen, char *why,
    size_t whylen)
{
	struct pd_cbor_reader r;
	struct pd_cbor_item m, k, v;
	unsigned seen = 0;
	int rc, idx;

	pd_cbor_reader_init(&r, e->data, e->data_len);
	if ((rc = pd_cbor_next(&r, &m)) != 0 || m.type != PD_CBOR_MAP) {
		record_why(why, whylen, "data is not a CBOR map");
		return rc != 0 ? rc : PD_ERR_MALFORMED;
	}
	for (uint64_t i = 0; i < m.arg; i++) {
		if ((rc = pd_cbor_next(&r, &k)) != 0 ||
		    (rc = k.type != PD_CBOR_TEXT ? PD_ERR_MALFORMED : 0) != 0 ||
		    (rc = pd_cbor_next(&r, &v)) != 0) {
			record_why(why, whylen, "bad CBOR map entry %" PRIu64, i);
			return rc;
		}
		idx = -1;
		for (int j = 0; j < RECORD_C_NKEYS; j++)
			if (strlen(record_cbor_keys[j]) == k.arg &&
			    memcmp(record_cbor_keys[j], k.data, (size_t)k.arg) == 0)
				idx = j;
		if (idx < 0) {
			/* metadata we do not read */
			if ((rc = pd_cbor_skip(&r, &v, 1)) != 0) {
				record_why(why, whylen, "bad CBOR value in data");
				return rc;
			}
			continue;
		}
		if (seen & 1u << idx) {
			record_why(why, whylen, "duplicate %s in data",
			    record_cbor_keys[idx]);
			return PD_ERR_MALFORMED;
		}
		seen |= 1u << idx;
		if ((rc = record_ipns_cbor_field(idx, &v, e)) != 0) {
			record_why(why, whylen, "%s in data: %s",
			    record_cbor_keys[idx], rc == PD_ERR_UNSUPPORTED ?
			    "unsupported value" : "wrong type");
			return rc;
		}
	}
	if (r.off != r.len) {
		record_why(why, whylen, "trailing bytes after data map");
		return PD_ERR_MALFORMED;
	}
	*ret_seen = seen;
	return 0;
}

int
pd_kad_ipns_parse(const uint8_t *val, size_t vallen,
    struct pd_kad_ipns *ret, char *why, size_t whylen)
{
	struct pd_kad_ipns e;
	unsigned seen, need;
	int rc;

	if (val == NULL && vallen > 0)
		return PD_ERR_MALFORMED;
	if (vallen > PD_KAD_IPNS_MAX) {
		record_why(why, whylen, "record of %zu bytes over %d", vallen,
		    PD_KAD_IPNS_MAX);
		return PD_ERR_OVERFLOW;
	}
	memset(&e, 0, sizeof(e));
	if ((rc = record_ipns_pb(val, vallen, &e, why, whylen)) != 0)
		return rc;
	if ((rc = record_ipns_cbor(&e, &seen, why, whylen)) != 0)
		return rc;
	need = 1u << RECORD_C_VALUE | 1u << RECORD_C_VALIDITY |
	    1u << RECORD_C_VTYPE | 1u << RECORD_C_SEQ;
	if ((seen & need) != need) {
		record_why(why, whylen, "data lacks Value, Validity, "
		    "ValidityType or Sequence");
		return PD_ERR_MALFORMED;
	}
	if (e.c_validity_type != 0) {
		record_why(why, whylen, "unsupported ValidityType %" PRIu64,
		    e.c_validity_type);
		return PD_ERR_UNSUPPORTED;
	}
	if (pd_kad_time_parse((const char *)e.c_validity, e.c_validity_len,
	    &e.eol_ms) != 0) {
		record_why(why, whylen, "Validity is not an RFC 3339 time");
		return PD_ERR_MALFORMED;
	}
	*ret = e;
	return 0;
}

/* boxo validateCborDataMatchesPbData, plus per-field checks. */
static int
record_ipns_v1_match(const struct pd_kad_ipns *e)
{
	bool full = e->sig_v1_len > 0 || e->value_len > 0;

	if (full || e->has_value)
		if (e->value_len != e->c_value_len ||
		    (e->value_len > 0 && memcmp(e->value, e->c_value, e->value_len) != 0))
			return -1;
	if (full || e->has_validity)
		if (e->validity_len != e->c_validity_len ||
		    (e->validity_len > 0 &&
		    memcmp(e->validity, e->c_validity, e->validity_len) != 0))
			return -1;
	if ((full || e->has_validity_type) &&
	    e->validity_type != e->c_validity_type)
		return -1;
	if ((full || e->has_sequence) && e->sequence != e->c_sequence)
		return -1;
	if ((full || e->has_ttl) && e->ttl != e->c_ttl)
		return -1;
	return 0;
}

/* The key to verify e with, for the peer ID id. */
static int
record_ipns_pubkey(const struct pd_kad_ipns *e, const struct pd_peerid *id,
    struct pd_pubkey *ret_pub, char *why, size_t whylen)
{
	char kwhy[128];
	int rc;

	if (e->pubkey_len > 0) {
		rc = pd_pubkey_decode(e->pubkey, e->pubkey_len, ret_pub, kwhy,
		    sizeof(kwhy));
		if (rc != 0) {
			record_why(why, whylen, "bad pubKey: %s", kwhy);
			return rc;
		}
		if (!pd_peerid_matches_pubkey(id, ret_pub)) {
			record_why(why, whylen, "pubKey does not match the name");
			return PD_ERR_BAD_KEY;
		}
		return 0;
	}
	if (pd_peerid_extract_pubkey(id, ret_pub) != 0) {
		record_why(why, whylen, "no public key in record or name");
		return PD_ERR_BAD_KEY;
	}
	return 0;
}

int
pd_kad_ipns_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
    size_t vallen, int64_t now_unix_ms, char *why, size_t whylen, void *arg)
{
	uint8_t msg[RECORD_IPNS_SIG_PREFIX_LEN + PD_KAD_IPNS_MAX];
	const uint8_t *ns, *rest;
	size_t nslen, restlen;
	struct pd_kad_ipns e;
	struct pd_pubkey pub;
	struct pd_peerid id;
	int rc;

	(void)arg;
	if (pd_kad_key_split(key, keylen, &ns, &nslen, &rest, &restlen) != 0 ||
	    nslen != 4 || memcmp(ns, "ipns", 4) != 0) {
		record_why(why, whylen, "namespace not 'ipns'");
		return PD_ERR_INVAL;
	}
	if (pd_peerid_from_bytes(rest, restlen, &id) != 0) {
		record_why(why, whylen, "ipns key is not a peer ID");
		return PD_ERR_INVAL;
	}
	if ((rc = pd_kad_ipns_parse(val, vallen, &e, why, whylen)) != 0)
		return rc;
	if ((rc = record_ipns_pubkey(&e, &id, &pub, why, whylen)) != 0)
		return rc;
	memcpy(msg, RECORD_IPNS_SIG_PREFIX, RECORD_IPNS_SIG_PREFIX_LEN);
	memcpy(msg + RECORD_IPNS_SIG_PREFIX_LEN, e.data, e.data_len);
	rc = pd_pubkey_verify(&pub, msg, RECORD_IPNS_SIG_PREFIX_LEN + e.data_len,
	    e.sig_v2, e.sig_v2_len);
	if (rc != 0) {
		record_why(why, whylen, "signatureV2 does not verify");
		return rc == PD_ERR_NOMEM ? rc : PD_ERR_BAD_SIGNATURE;
	}
	if (record_ipns_v1_match(&e) != 0) {
		record_why(why, whylen, "V1 fields do not match the CBOR data");
		return PD_ERR_INVAL;
	}
	if (now_unix_ms > e.eol_ms) {
		record_why(why, whylen, "record expired");
		return PD_ERR_INVAL;
	}
	return 0;
}

int
pd_kad_ipns_select(const uint8_t *key, size_t keylen,
    const struct pd_kad_rec_val *vals, size_t n, void *arg)
{
	struct pd_kad_ipns best, cur;
	size_t bi = 0;

	(void)key;
	(void)keylen;
	(void)arg;
	if (n == 0 || vals == NULL || n > INT32_MAX)
		return PD_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		/* go returns an error as soon as one record does not parse */
		if (pd_kad_ipns_parse(vals[i].val, vals[i].len, &cur, NULL, 0) != 0)
			return PD_ERR_MALFORMED;
		if (i == 0 || cur.c_sequence > best.c_sequence ||
		    (cur.c_sequence == best.c_sequence && cur.eol_ms > best.eol_ms)) {
			best = cur;
			bi = i;
		}
	}
	return (int)bi;
}

/* ---- store --------------------------------------------------------------- */

/* One record: key and value in one allocation (key first). */
struct record_entry {
	uint8_t *mem;			/* owned: key ‖ value */
	size_t keylen;
	size_t vallen;
	int64_t received_ms;		/* unix ms of the put that stored it */
};

/*
 * Invariant: n <= max_records, bytes = sum of keylen + vallen <=
 * max_bytes, keys unique, every entry validated when stored.
 */
struct pd_kad_records {
	const struct pd_kad_validators *v;	/* borrowed */
	size_t max_records, max_bytes;
	size_t n, bytes;
	struct record_entry *e;		/* max_records slots */
};

struct pd_kad_records *
pd_kad_records_new(const struct pd_kad_validators *v, size_t max_records,
    size_t max_bytes)
{
	struct pd_kad_records *rs;

	if (v == NULL)
		return NULL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->v = v;
	rs->max_records = max_records == 0 || max_records > PD_KAD_RECORDS_MAX ?
	    PD_KAD_RECORDS_MAX : max_records;
	rs->max_bytes = max_bytes == 0 || max_bytes > PD_KAD_RECORDS_MAX_BYTES ?
	    PD_KAD_RECORDS_MAX_BYTES : max_bytes;
	if ((rs->e = calloc(rs->max_records, sizeof(rs->e[0]))) == NULL) {
		free(rs);
		return NULL;
	}
	return rs;
}

void
pd_kad_records_free(struct pd_kad_records *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++)
		free(rs->e[i].mem);
	free(rs->e);
	free(rs);
}

static int
record_store_find(const struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->e[i].keylen == keylen &&
		    memcmp(rs->e[i].mem, key, keylen) == 0)
			return (int)i;
	return -1;
}

static void
record_store_remove(struct pd_kad_records *rs, size_t i)
{
	rs->bytes -= rs->e[i].keylen + rs->e[i].vallen;
	free(rs->e[i].mem);
	rs->e[i] = rs->e[rs->n - 1];
	memset(&rs->e[rs->n - 1], 0, sizeof(rs->e[0]));
	rs->n--;
}

static bool
record_store_too_old(const struct record_entry *e, int64_t now)
{
	/* go: time.Since(received) > MaxRecordAge; a clock going back keeps it */
	return now > e->received_ms &&
	    (uint64_t)now - (uint64_t)e->received_ms > (uint64_t)PD_KAD_RECORD_MAX_AGE_MS;
}

/* Entry i if it is still good at now; otherwise remove it and return -1. */
static int
record_store_check(struct pd_kad_records *rs, int i, int64_t now)
{
	struct record_entry *e;

	if (i < 0)
		return -1;
	e = &rs->e[i];
	if (record_store_too_old(e, now) ||
	    pd_kad_validate(rs->v, e->mem, e->keylen, e->mem + e->keylen,
	    e->vallen, now, NULL, 0) != 0) {
		record_store_remove(rs, (size_t)i);
		return -1;
	}
	return i;
}

/* Replace entry i's value (or append when i < 0) with a fresh copy. */
static int
record_store_set(struct pd_kad_records *rs, int i, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, int64_t now, char *why,
    size_t whylen)
{
	size_t old = i >= 0 ? rs->e[i].keylen + rs->e[i].vallen : 0;
	uint8_t *mem;

	if ((i < 0 && rs->n >= rs->max_records) ||
	    rs->bytes - old + keylen + vallen > rs->max_bytes) {
		record_why(why, whylen, "record store full");
		return PD_ERR_OVERFLOW;
	}
	if ((mem = malloc(keylen + vallen)) == NULL)
		return PD_ERR_NOMEM;
	memcpy(mem, key, keylen);
	if (vallen > 0)
		memcpy(mem + keylen, val, vallen);
	if (i < 0)
		i = (int)rs->n++;
	else
		free(rs->e[i].mem);
	rs->bytes = rs->bytes - old + keylen + vallen;
	rs->e[i].mem = mem;
	rs->e[i].keylen = keylen;
	rs->e[i].vallen = vallen;
	rs->e[i].received_ms = now;
	return 0;
}

int
pd_kad_records_put(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, int64_t now_unix_ms,
    char *why, size_t whylen)
{
	struct pd_kad_rec_val two[2];
	struct record_entry *e;
	int i, rc;

	if (rs == NULL)
		return PD_ERR_INVAL;
	if (keylen > PD_KAD_MAX_KEY || vallen > PD_KAD_MAX_VALUE) {
		record_why(why, whylen, "key or value too long");
		return PD_ERR_OVERFLOW;
	}
	rc = pd_kad_validate(rs->v, key, keylen, val, vallen, now_unix_ms, why,
	    whylen);
	if (rc != 0)
		return rc;
	i = record_store_check(rs, record_store_find(rs, key, keylen),
	    now_unix_ms);
	if (i >= 0) {
		e = &rs->e[i];
		if (e->vallen == vallen &&
		    (vallen == 0 || memcmp(e->mem + keylen, val, vallen) == 0)) {
			e->received_ms = now_unix_ms;	/* a republish */
			return 0;
		}
		two[0].val = e->mem + keylen;
		two[0].len = e->vallen;
		two[1].val = val;
		two[1].len = vallen;
		if ((rc = pd_kad_select(rs->v, key, keylen, two, 2)) < 0) {
			record_why(why, whylen, "cannot compare records");
			return rc;
		}
		if (rc != 1) {
			record_why(why, whylen, "older record");
			return PD_ERR_EXISTS;
		}
	}
	return record_store_set(rs, i, key, keylen, val, vallen, now_unix_ms,
	    why, whylen);
}

int
pd_kad_records_get(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, int64_t now_unix_ms, const uint8_t **ret_val,
    size_t *ret_len, int64_t *ret_received_ms)
{
	int i;

	if (rs == NULL || (key == NULL && keylen > 0))
		return PD_ERR_NOT_FOUND;
	i = record_store_check(rs, record_store_find(rs, key, keylen),
	    now_unix_ms);
	if (i < 0)
		return PD_ERR_NOT_FOUND;
	if (ret_val != NULL)
		*ret_val = rs->e[i].mem + rs->e[i].keylen;
	if (ret_len != NULL)
		*ret_len = rs->e[i].vallen;
	if (ret_received_ms != NULL)
		*ret_received_ms = rs->e[i].received_ms;
	return 0;
}

int
pd_kad_records_get_record(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, int64_t now_unix_ms, struct pd_kad_record *ret_rec)
{
	const uint8_t *val;
	size_t len;
	int64_t recv;
	char tbuf[PD_KAD_TIME_MAX];
	int tl;

	if (ret_rec == NULL ||
	    pd_kad_records_get(rs, key, keylen, now_unix_ms, &val, &len, &recv) != 0)
		return PD_ERR_NOT_FOUND;
	if ((tl = pd_kad_time_format(recv, tbuf, sizeof(tbuf))) < 0)
		tl = 0;			/* out of 0000..9999: leave it empty */
	ret_rec->key_len = keylen;
	memcpy(ret_rec->key, key, keylen);
	ret_rec->value_len = len;
	if (len > 0)
		memcpy(ret_rec->value, val, len);
	ret_rec->time_len = (size_t)tl;
	memcpy(ret_rec->time_received, tbuf, (size_t)tl);
	ret_rec->time_received[tl] = '\0';
	return 0;
}

size_t
pd_kad_records_expire(struct pd_kad_records *rs, int64_t now_unix_ms)
{
	size_t dropped = 0;

	if (rs == NULL)
		return 0;
	for (size_t i = rs->n; i-- > 0; ) {
		if (record_store_too_old(&rs->e[i], now_unix_ms)) {
			record_store_remove(rs, i);
			dropped++;
		}
	}
	return dropped;
}

size_t
pd_kad_records_count(const struct pd_kad_records *rs)
{
	return rs != NULL ? rs->n : 0;
}

size_t
pd_kad_records_bytes(const struct pd_kad_records *rs)
{
	return rs != NULL ? rs->bytes : 0;
}
