/*
 * multiaddr.c - multiaddr text <-> binary conversion and address helpers.
 *
 * One table row per supported protocol (code, name, value size, value
 * kind) drives everything: the text parser, the binary decoder, the
 * formatter and the component appender.  Both directions end in the same
 * value validator (ma_validate), as go-multiaddr re-validates decoded
 * bytes, so a struct pd_multiaddr filled here is always well formed and
 * text -> binary -> text is canonical.  Callers: the config and control
 * layers (text), identify/kad/peer records (binary), the transports
 * (sockaddr conversion) and the address filters (loopback/private).
 * Depends only on lib/core (varint, multibase, multihash, CID).
 * Wire facts: libp2p-wire.md §2.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/base.h"
#include "core/cid.h"
#include "core/error.h"
#include "core/log.h"
#include "core/multihash.h"
#include "core/varint.h"

#define MA_VAR (-1)		/* size: uvarint length prefix */
#define MA_QUOTE_MAX 64		/* input bytes quoted in a reason */

/* How a protocol's value is written in text and checked in binary. */
enum ma_kind {
	MA_KIND_NONE,		/* size 0 */
	MA_KIND_IP4,		/* 4 bytes, dotted quad */
	MA_KIND_IP6,		/* 16 bytes, RFC 5952 */
	MA_KIND_PORT,		/* 2 bytes big-endian, decimal */
	MA_KIND_CIDR,		/* 1 byte, decimal */
	MA_KIND_NAME,		/* UTF-8, non-empty, no '/' or controls */
	MA_KIND_PATH,		/* absolute path; swallows the rest */
	MA_KIND_PEER,		/* peer-ID multihash, base58btc */
	MA_KIND_MULTIHASH,	/* any multihash, multibase (base64url out) */
};

struct ma_proto {
	uint32_t code;
	const char *name;
	int size;		/* value bytes, 0, or MA_VAR */
	enum ma_kind kind;
};

/* libp2p-wire.md §2.1; multiformats/multiaddr protocols.csv. */
static const struct ma_proto ma_protos[] = {
	{ PD_MULTIADDR_IP4, "ip4", 4, MA_KIND_IP4 },
	{ PD_MULTIADDR_TCP, "tcp", 2, MA_KIND_PORT },
	{ PD_MULTIADDR_IP6, "ip6", 16, MA_KIND_IP6 },
	{ PD_MULTIADDR_IP6ZONE, "ip6zone", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_IPCIDR, "ipcidr", 1, MA_KIND_CIDR },
	{ PD_MULTIADDR_DNS, "dns", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_DNS4, "dns4", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_DNS6, "dns6", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_DNSADDR, "dnsaddr", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_UDP, "udp", 2, MA_KIND_PORT },
	{ PD_MULTIADDR_WEBRTC_DIRECT, "webrtc-direct", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_WEBRTC, "webrtc", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_P2P_CIRCUIT, "p2p-circuit", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_UNIX, "unix", MA_VAR, MA_KIND_PATH },
	{ PD_MULTIADDR_P2P, "p2p", MA_VAR, MA_KIND_PEER },
	{ PD_MULTIADDR_HTTPS, "https", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_TLS, "tls", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_SNI, "sni", MA_VAR, MA_KIND_NAME },
	{ PD_MULTIADDR_NOISE, "noise", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_QUIC, "quic", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_QUIC_V1, "quic-v1", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_WEBTRANSPORT, "webtransport", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_CERTHASH, "certhash", MA_VAR, MA_KIND_MULTIHASH },
	{ PD_MULTIADDR_WS, "ws", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_WSS, "wss", 0, MA_KIND_NONE },
	{ PD_MULTIADDR_HTTP, "http", 0, MA_KIND_NONE },
};
#define MA_NPROTOS (sizeof(ma_protos) / sizeof(ma_protos[0]))

/* Output cursor for the formatter: tracks overflow instead of failing. */
struct ma_out {
	char *p;
	size_t len;		/* chars written, without NUL */
	size_t cap;		/* bytes available, including the NUL */
	bool overflow;
};

static void ma_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ma_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Quote untrusted input for a reason: escaped, cut at MA_QUOTE_MAX bytes. */
static const char *
ma_quote(const void *s, size_t n, char *out, size_t outlen)
{
	pd_log_escape(s, n > MA_QUOTE_MAX ? MA_QUOTE_MAX : n, out, outlen);
	if (n > MA_QUOTE_MAX && strlen(out) + 4 <= outlen)
		strcat(out, "...");
	return out;
}

static const struct ma_proto *
ma_proto_by_code(uint64_t code)
{
	for (size_t i = 0; i < MA_NPROTOS; i++)
		if (ma_protos[i].code == code)
			return &ma_protos[i];
	return NULL;
}

/* Look up a text name; "ipfs" is the legacy alias of "p2p". */
static const struct ma_proto *
ma_proto_by_name(const char *s, size_t n)
{
	if (n == 4 && memcmp(s, "ipfs", 4) == 0)
		return ma_proto_by_code(PD_MULTIADDR_P2P);
	for (size_t i = 0; i < MA_NPROTOS; i++)
		if (strlen(ma_protos[i].name) == n &&
		    memcmp(ma_protos[i].name, s, n) == 0)
			return &ma_protos[i];
	return NULL;
}

const char *
pd_multiaddr_proto_name(uint32_t code)
{
	const struct ma_proto *p = ma_proto_by_code(code);

	return p ? p->name : NULL;
}

/*
 * A name value: strict UTF-8 (no overlong forms, surrogates or code
 * points > U+10FFFF) without ASCII control characters, '/' or NUL.
 */
static bool
ma_name_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t more;
		uint32_t cp, min;

		if (c < 0x20 || c == '/' || c == 0x7f) {
			return false;
		} else if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			more = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

/* A /p2p/ value: identity (digest <= 42 bytes) or sha2-256 multihash. */
static bool
ma_peer_id_valid(const uint8_t *v, size_t n)
{
	struct pd_multihash mh;

	if (n > PD_MULTIADDR_MAX_PEER_ID || pd_multihash_decode(v, n, &mh) < 0)
		return false;
	if (mh.code == PD_MH_IDENTITY)
		return mh.len > 0 && mh.len <= PD_MULTIADDR_MAX_INLINE_KEY;
	return mh.code == PD_MH_SHA2_256 && mh.len == 32;
}

/*
 * Check a binary value against its protocol's rules; the one validator for
 * text and binary input.  0 or PD_ERR_MALFORMED with a reason.
 */
static int
ma_validate(const struct ma_proto *p, const uint8_t *v, size_t n,
    char *why, size_t whylen)
{
	struct pd_multihash mh;
	char q[4 * MA_QUOTE_MAX + 8];

	if (p->size != MA_VAR) {
		if (n != (size_t)p->size) {
			ma_why(why, whylen, "%s: value is %zu bytes, want %d",
			    p->name, n, p->size);
			return PD_ERR_MALFORMED;
		}
		return 0;
	}
	switch (p->kind) {
	case MA_KIND_NAME:
		if (n == 0) {
			ma_why(why, whylen, "%s: empty value", p->name);
			return PD_ERR_MALFORMED;
		}
		if (!ma_name_valid(v, n)) {
			ma_why(why, whylen, "%s \"%s\": not a valid name "
			    "(UTF-8, no '/' or control characters)", p->name,
			    ma_quote(v, n, q, sizeof(q)));
			return PD_ERR_MALFORMED;
		}
		return 0;
	case MA_KIND_PATH:
		if (n < 2 || v[0] != '/' || v[n - 1] == '/' ||
		    memchr(v, '\0', n) != NULL) {
			ma_why(why, whylen, "%s \"%s\": not an absolute path "
			    "(must start with '/', not end with '/')", p->name,
			    ma_quote(v, n, q, sizeof(q)));
			return PD_ERR_MALFORMED;
		}
		return 0;
	case MA_KIND_PEER:
		if (!ma_peer_id_valid(v, n)) {
			ma_why(why, whylen, "%s: value is not a peer ID "
			    "multihash (identity <= %d bytes or sha2-256)",
			    p->name, PD_MULTIADDR_MAX_INLINE_KEY);
			return PD_ERR_MALFORMED;
		}
		return 0;
	case MA_KIND_MULTIHASH:
		if (pd_multihash_decode(v, n, &mh) < 0) {
			ma_why(why, whylen, "%s: value is not a multihash",
			    p->name);
			return PD_ERR_MALFORMED;
		}
		return 0;
	default:
		ma_why(why, whylen, "%s: bad protocol table entry", p->name);
		return PD_ERR_MALFORMED;
	}
}

/*
 * Read the structure of the component at off (code, length, value bounds)
 * without checking the value.  Returns 0 or PD_ERR_* with a reason.
 */
static int
ma_read_comp(const uint8_t *p, size_t n, size_t off,
    struct pd_multiaddr_comp *ret_comp, char *why, size_t whylen)
{
	const struct ma_proto *pr;
	uint64_t code, vlen;
	size_t pos = off;
	int r;

	if ((r = pd_varint_decode(p + pos, n - pos, &code)) < 0) {
		ma_why(why, whylen, "bad protocol code varint at byte %zu: %s",
		    pos, pd_strerror(r));
		return r == PD_ERR_TRUNCATED ? r : PD_ERR_MALFORMED;
	}
	pos += (size_t)r;
	if ((pr = ma_proto_by_code(code)) == NULL) {
		ma_why(why, whylen, "unknown protocol code %llu at byte %zu",
		    (unsigned long long)code, off);
		return PD_ERR_UNSUPPORTED;
	}
	if (pr->size == MA_VAR) {
		if ((r = pd_varint_decode(p + pos, n - pos, &vlen)) < 0) {
			ma_why(why, whylen, "%s: bad length varint: %s",
			    pr->name, pd_strerror(r));
			return r == PD_ERR_TRUNCATED ? r : PD_ERR_MALFORMED;
		}
		pos += (size_t)r;
	} else {
		vlen = (uint64_t)pr->size;
	}
	if (vlen > n - pos) {
		ma_why(why, whylen, "%s: value truncated (%llu bytes, %zu "
		    "left)", pr->name, (unsigned long long)vlen, n - pos);
		return PD_ERR_TRUNCATED;
	}
	ret_comp->code = pr->code;
	ret_comp->name = pr->name;
	ret_comp->value = vlen ? p + pos : NULL;
	ret_comp->value_len = (size_t)vlen;
	ret_comp->off = off;
	ret_comp->len = pos + (size_t)vlen - off;
	return 0;
}

int
pd_multiaddr_next(const struct pd_multiaddr *ma, size_t *off,
    struct pd_multiaddr_comp *ret_comp)
{
	struct pd_multiaddr_comp c;
	int r;

	if (ma->len > PD_MULTIADDR_MAX_BIN || *off > ma->len)
		return PD_ERR_INVAL;
	if (*off == ma->len)
		return 0;
	if ((r = ma_read_comp(ma->bytes, ma->len, *off, &c, NULL, 0)) < 0)
		return r;
	*off += c.len;
	*ret_comp = c;
	return 1;
}

size_t
pd_multiaddr_count(const struct pd_multiaddr *ma)
{
	struct pd_multiaddr_comp c;
	size_t off = 0, n = 0;

	while (pd_multiaddr_next(ma, &off, &c) > 0)
		n++;
	return n;
}

int
pd_multiaddr_find(const struct pd_multiaddr *ma, uint32_t code,
    struct pd_multiaddr_comp *ret_comp)
{
	struct pd_multiaddr_comp c;
	size_t off = 0;

	while (pd_multiaddr_next(ma, &off, &c) > 0) {
		if (c.code == code) {
			*ret_comp = c;
			return 0;
		}
	}
	return PD_ERR_NOT_FOUND;
}

/* The last component, or false if ma is empty or malformed. */
static bool
ma_last(const struct pd_multiaddr *ma, struct pd_multiaddr_comp *ret_comp)
{
	struct pd_multiaddr_comp c;
	size_t off = 0;
	bool any = false;
	int r;

	while ((r = pd_multiaddr_next(ma, &off, &c)) > 0)
		any = true;
	if (r < 0 || !any)
		return false;
	*ret_comp = c;
	return true;
}

int
pd_multiaddr_append(struct pd_multiaddr *ma, uint32_t code,
    const uint8_t *value, size_t vlen, char *why, size_t whylen)
{
	const struct ma_proto *p;
	struct pd_multiaddr_comp last;
	uint8_t hdr[2 * PD_VARINT_MAX_LEN];
	size_t hlen;
	int r;

	if ((p = ma_proto_by_code(code)) == NULL) {
		ma_why(why, whylen, "unknown protocol code %u", code);
		return PD_ERR_UNSUPPORTED;
	}
	if (ma->len > PD_MULTIADDR_MAX_BIN)
		return PD_ERR_INVAL;
	if ((r = ma_validate(p, value, vlen, why, whylen)) < 0)
		return r;
	if (ma->len > 0 && ma_last(ma, &last) &&
	    last.code == PD_MULTIADDR_UNIX) {
		/* Text cannot tell where a path ends (libp2p-wire.md §2.2). */
		ma_why(why, whylen, "%s: cannot follow unix, a path protocol "
		    "must be last", p->name);
		return PD_ERR_MALFORMED;
	}
	if (ma->len > 0 &&
	    pd_multiaddr_count(ma) >= PD_MULTIADDR_MAX_COMPONENTS) {
		ma_why(why, whylen, "more than %d components",
		    PD_MULTIADDR_MAX_COMPONENTS);
		return PD_ERR_OVERFLOW;
	}
	hlen = (size_t)pd_varint_encode(code, hdr);
	if (p->size == MA_VAR)
		hlen += (size_t)pd_varint_encode(vlen, hdr + hlen);
	if (vlen > PD_MULTIADDR_MAX_BIN ||
	    hlen + vlen > PD_MULTIADDR_MAX_BIN - ma->len) {
		ma_why(why, whylen, "%s: multiaddr longer than %d bytes",
		    p->name, PD_MULTIADDR_MAX_BIN);
		return PD_ERR_OVERFLOW;
	}
	memcpy(ma->bytes + ma->len, hdr, hlen);
	if (vlen > 0)
		memcpy(ma->bytes + ma->len + hlen, value, vlen);
	ma->len += hlen + vlen;
	return 0;
}

int
pd_multiaddr_from_bytes(const uint8_t *p, size_t n,
    struct pd_multiaddr *ret_ma, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	struct pd_multiaddr_comp c;
	size_t off = 0;
	int r;

	if (n == 0) {
		ma_why(why, whylen, "empty multiaddr");
		return PD_ERR_MALFORMED;
	}
	if (n > PD_MULTIADDR_MAX_BIN) {
		ma_why(why, whylen, "multiaddr of %zu bytes, limit %d", n,
		    PD_MULTIADDR_MAX_BIN);
		return PD_ERR_OVERFLOW;
	}
	ma.len = 0;
	while (off < n) {
		if ((r = ma_read_comp(p, n, off, &c, why, whylen)) < 0)
			return r;
		/*
		 * Re-append through the validator: rebuilding the bytes
		 * this way also enforces minimal varints and every cap.
		 */
		r = pd_multiaddr_append(&ma, c.code, c.value, c.value_len,
		    why, whylen);
		if (r < 0)
			return r;
		off += c.len;
	}
	if (ma.len != n || memcmp(ma.bytes, p, n) != 0) {
		ma_why(why, whylen, "non-canonical encoding");
		return PD_ERR_MALFORMED;
	}
	*ret_ma = ma;
	return 0;
}

/* --- text to binary --- */

/* Decimal 0..max, digits only (leading zeros allowed, as strconv). */
static bool
ma_parse_uint(const char *s, size_t n, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*ret = v;
	return true;
}

/* inet_pton on a length-delimited token. */
static bool
ma_parse_ip(int af, const char *s, size_t n, uint8_t *ret)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(af, tmp, ret) == 1;
}

/*
 * /p2p/ text: base58btc multihash ("Qm..." or "1..."), else a CIDv1 with
 * codec libp2p-key (go-multiaddr p2pStB).  Returns value length or < 0.
 */
static int
ma_parse_peer(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	uint8_t cbuf[PD_CID_MAX_BIN];
	struct pd_cid cid;
	int r;

	if ((n >= 2 && s[0] == 'Q' && s[1] == 'm') || (n >= 1 && s[0] == '1'))
		return pd_base58_decode(s, n, out, outlen);
	if ((r = pd_cid_parse(s, n, cbuf, sizeof(cbuf), &cid)) < 0)
		return r;
	if (cid.codec != PD_CID_LIBP2P_KEY)
		return PD_ERR_UNSUPPORTED;
	if (cid.mh_len > outlen)
		return PD_ERR_OVERFLOW;
	memcpy(out, cid.mh_bytes, cid.mh_len);
	return (int)cid.mh_len;
}

/*
 * Convert one text value to bytes in out (PD_MULTIADDR_MAX_BIN bytes).
 * Returns the length, or < 0 with a reason naming the protocol and value.
 */
static int
ma_value_from_text(const struct ma_proto *p, const char *s, size_t n,
    uint8_t *out, char *why, size_t whylen)
{
	char q[4 * MA_QUOTE_MAX + 8];
	unsigned v;
	int r;

	switch (p->kind) {
	case MA_KIND_IP4:
		if (!ma_parse_ip(AF_INET, s, n, out))
			goto bad;
		return 4;
	case MA_KIND_IP6:
		if (!ma_parse_ip(AF_INET6, s, n, out))
			goto bad;
		return 16;
	case MA_KIND_PORT:
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				goto bad;
		if (!ma_parse_uint(s, n, 65535, &v)) {
			ma_why(why, whylen, "%s \"%s\": port out of range",
			    p->name, ma_quote(s, n, q, sizeof(q)));
			return PD_ERR_MALFORMED;
		}
		out[0] = (uint8_t)(v >> 8);
		out[1] = (uint8_t)v;
		return 2;
	case MA_KIND_CIDR:
		if (!ma_parse_uint(s, n, 255, &v))
			goto bad;
		out[0] = (uint8_t)v;
		return 1;
	case MA_KIND_NAME:
	case MA_KIND_PATH:
		if (n > PD_MULTIADDR_MAX_BIN) {
			ma_why(why, whylen, "%s: value longer than %d bytes",
			    p->name, PD_MULTIADDR_MAX_BIN);
			return PD_ERR_OVERFLOW;
		}
		memcpy(out, s, n);
		return (int)n;
	case MA_KIND_PEER:
		r = ma_parse_peer(s, n, out, PD_MULTIADDR_MAX_BIN);
		if (r == PD_ERR_UNSUPPORTED) {
			ma_why(why, whylen, "%s \"%s\": CID codec is not "
			    "libp2p-key", p->name,
			    ma_quote(s, n, q, sizeof(q)));
			return PD_ERR_MALFORMED;
		}
		if (r < 0)
			goto bad;
		return r;
	case MA_KIND_MULTIHASH:
		r = pd_multibase_decode(s, n, out, PD_MULTIADDR_MAX_BIN, NULL);
		if (r < 0)
			goto bad;
		return r;
	default:
		break;
	}
bad:
	ma_why(why, whylen, "%s \"%s\": not %s", p->name,
	    ma_quote(s, n, q, sizeof(q)),
	    p->kind == MA_KIND_IP4 ? "an IPv4 address" :
	    p->kind == MA_KIND_IP6 ? "an IPv6 address" :
	    p->kind == MA_KIND_PORT ? "a port number" :
	    p->kind == MA_KIND_CIDR ? "a prefix length (0-255)" :
	    p->kind == MA_KIND_PEER ? "a peer ID (base58btc multihash or "
	    "libp2p-key CID)" :
	    p->kind == MA_KIND_MULTIHASH ? "a multibase-encoded multihash" :
	    "a valid value");
	return PD_ERR_MALFORMED;
}

/* Next '/'-delimited token of s[pos..n): start and length. */
static size_t
ma_token(const char *s, size_t n, size_t pos, size_t *ret_len)
{
	const char *slash = memchr(s + pos, '/', n - pos);

	*ret_len = slash ? (size_t)(slash - (s + pos)) : n - pos;
	return pos;
}

/* Parse one component whose name starts at *pos; advance *pos. */
static int
ma_parse_comp(const char *s, size_t n, size_t *pos, struct pd_multiaddr *ma,
    uint8_t *val, char *why, size_t whylen)
{
	const struct ma_proto *p;
	char q[4 * MA_QUOTE_MAX + 8];
	size_t start, tlen, vstart, vlen;
	int r;

	start = ma_token(s, n, *pos, &tlen);
	if ((p = ma_proto_by_name(s + start, tlen)) == NULL) {
		if (tlen == 0)
			ma_why(why, whylen, "empty protocol name at "
			    "character %zu", start);
		else
			ma_why(why, whylen, "unknown protocol \"%s\"",
			    ma_quote(s + start, tlen, q, sizeof(q)));
		return tlen == 0 ? PD_ERR_MALFORMED : PD_ERR_UNSUPPORTED;
	}
	*pos = start + tlen + 1;	/* past the '/' (or past the end) */
	if (p->size == 0)
		return pd_multiaddr_append(ma, p->code, NULL, 0, why, whylen);
	if (*pos > n) {
		ma_why(why, whylen, "%s: missing value", p->name);
		return PD_ERR_MALFORMED;
	}
	if (p->kind == MA_KIND_PATH) {
		/* Path protocol: the value is '/' plus all the rest. */
		vstart = *pos - 1;
		vlen = n - vstart;
	} else {
		vstart = ma_token(s, n, *pos, &vlen);
	}
	if (vlen == 0) {
		ma_why(why, whylen, "%s: empty value", p->name);
		return PD_ERR_MALFORMED;
	}
	r = ma_value_from_text(p, s + vstart, vlen, val, why, whylen);
	if (r < 0)
		return r;
	*pos = vstart + vlen + 1;
	return pd_multiaddr_append(ma, p->code, val, (size_t)r, why, whylen);
}

int
pd_multiaddr_parse_n(const char *text, size_t n,
    struct pd_multiaddr *ret_ma, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	uint8_t val[PD_MULTIADDR_MAX_BIN];
	size_t pos;
	int r;

	if (n > PD_MULTIADDR_MAX_TEXT) {
		ma_why(why, whylen, "multiaddr longer than %d characters",
		    PD_MULTIADDR_MAX_TEXT);
		return PD_ERR_OVERFLOW;
	}
	if (memchr(text, '\0', n) != NULL) {
		ma_why(why, whylen, "multiaddr contains a NUL byte");
		return PD_ERR_MALFORMED;
	}
	while (n > 0 && text[n - 1] == '/')	/* trailing '/' ignored */
		n--;
	if (n == 0) {
		ma_why(why, whylen, "empty multiaddr");
		return PD_ERR_MALFORMED;
	}
	if (text[0] != '/') {
		ma_why(why, whylen, "multiaddr must begin with '/'");
		return PD_ERR_MALFORMED;
	}
	ma.len = 0;
	for (pos = 1; pos <= n;) {
		r = ma_parse_comp(text, n, &pos, &ma, val, why, whylen);
		if (r < 0)
			return r;
	}
	*ret_ma = ma;
	return 0;
}

int
pd_multiaddr_parse(const char *text, struct pd_multiaddr *ret_ma,
    char *why, size_t whylen)
{
	size_t n = strnlen(text, PD_MULTIADDR_MAX_TEXT + 1);

	return pd_multiaddr_parse_n(text, n, ret_ma, why, whylen);
}

/* --- binary to text --- */

static void
ma_out_put(struct ma_out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
ma_out_str(struct ma_out *o, const char *s)
{
	ma_out_put(o, s, strlen(s));
}

/*
 * RFC 5952 text for 16 bytes, like Go: v4-mapped as ::ffff:a.b.c.d, the
 * first longest run (>= 2) of zero groups compressed, lower-case hex.
 */
static void
ma_format_ip6(const uint8_t a[16], char *out, size_t outlen)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	size_t best = 8, bestlen = 0, len = 0;
	uint16_t w[8];

	if (memcmp(a, mapped, 12) == 0) {
		snprintf(out, outlen, "::ffff:%u.%u.%u.%u", a[12], a[13],
		    a[14], a[15]);
		return;
	}
	for (size_t i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	for (size_t i = 0; i < 8; i++) {
		size_t j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i >= 2 && j - i > bestlen)
			best = i, bestlen = j - i;
		if (j > i)
			i = j - 1;
	}
	out[0] = '\0';
	for (size_t i = 0; i < 8; i++) {
		if (i == best) {
			len += (size_t)snprintf(out + len, outlen - len, "::");
			i += bestlen - 1;
			continue;
		}
		len += (size_t)snprintf(out + len, outlen - len, "%s%x",
		    (i == 0 || i == best + bestlen) ? "" : ":", w[i]);
	}
}

/* Encode with an encoder that writes a NUL-terminated string in place. */
static void
ma_out_encoded(struct ma_out *o, int r)
{
	if (r < 0) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)r;
}

static void
ma_format_value(struct ma_out *o, const struct pd_multiaddr_comp *c,
    enum ma_kind kind)
{
	char tmp[64];

	switch (kind) {
	case MA_KIND_IP4:
		snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", c->value[0],
		    c->value[1], c->value[2], c->value[3]);
		break;
	case MA_KIND_IP6:
		ma_format_ip6(c->value, tmp, sizeof(tmp));
		break;
	case MA_KIND_PORT:
		snprintf(tmp, sizeof(tmp), "%u",
		    (unsigned)(c->value[0] << 8 | c->value[1]));
		break;
	case MA_KIND_CIDR:
		snprintf(tmp, sizeof(tmp), "%u", c->value[0]);
		break;
	case MA_KIND_NAME:
	case MA_KIND_PATH:
		ma_out_put(o, (const char *)c->value, c->value_len);
		return;
	case MA_KIND_PEER:
		if (o->overflow)
			return;
		ma_out_encoded(o, pd_base58_encode(c->value, c->value_len,
		    o->p + o->len, o->cap - o->len));
		return;
	case MA_KIND_MULTIHASH:
		if (o->overflow)
			return;
		ma_out_encoded(o, pd_multibase_encode(PD_MULTIBASE_BASE64URL,
		    c->value, c->value_len, o->p + o->len, o->cap - o->len));
		return;
	default:
		return;
	}
	ma_out_str(o, tmp);
}

int
pd_multiaddr_format(const struct pd_multiaddr *ma, char *out, size_t outlen)
{
	struct ma_out o = { out, 0, outlen, outlen == 0 };
	struct pd_multiaddr_comp c;
	size_t off = 0;
	int r;

	if (outlen > 0)
		out[0] = '\0';
	if (ma->len == 0)
		return PD_ERR_MALFORMED;
	while ((r = pd_multiaddr_next(ma, &off, &c)) > 0) {
		const struct ma_proto *p = ma_proto_by_code(c.code);

		ma_out_put(&o, "/", 1);
		ma_out_str(&o, p->name);
		if (p->size == 0)
			continue;
		if (p->kind != MA_KIND_PATH)	/* a path starts with '/' */
			ma_out_put(&o, "/", 1);
		ma_format_value(&o, &c, p->kind);
	}
	if (r < 0)
		return PD_ERR_MALFORMED;
	if (o.overflow) {
		if (outlen > 0)
			out[0] = '\0';
		return PD_ERR_OVERFLOW;
	}
	return (int)o.len;
}

bool
pd_multiaddr_equal(const struct pd_multiaddr *a, const struct pd_multiaddr *b)
{
	return a->len == b->len && a->len <= PD_MULTIADDR_MAX_BIN &&
	    memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* --- sockaddr conversion --- */

/* Interface index from a zone: decimal index or interface name; 0 if none. */
static unsigned
ma_zone_index(const uint8_t *z, size_t n)
{
	char name[IF_NAMESIZE];
	unsigned idx;

	if (ma_parse_uint((const char *)z, n, 0x7fffffff, &idx))
		return idx;
	if (n >= sizeof(name))
		return 0;
	memcpy(name, z, n);
	name[n] = '\0';
	return if_nametoindex(name);
}

int
pd_multiaddr_to_sockaddr(const struct pd_multiaddr *ma,
    struct sockaddr_storage *ret_ss, socklen_t *ret_len)
{
	struct pd_multiaddr_comp c[4];
	struct sockaddr_storage ss;
	size_t off = 0, n = 0, i = 0;
	unsigned scope = 0;
	uint16_t port;

	while (n < 4 && pd_multiaddr_next(ma, &off, &c[n]) > 0)
		n++;
	if (off != ma->len || n == 0)
		return PD_ERR_UNSUPPORTED;
	if (c[0].code == PD_MULTIADDR_IP6ZONE) {
		if (n < 2 || c[1].code != PD_MULTIADDR_IP6)
			return PD_ERR_UNSUPPORTED;
		if ((scope = ma_zone_index(c[0].value, c[0].value_len)) == 0)
			return PD_ERR_UNSUPPORTED;
		i = 1;
	}
	/* ip, tcp, and at most a trailing /p2p/ */
	if (n - i < 2 || c[i + 1].code != PD_MULTIADDR_TCP ||
	    (n - i == 3 && c[i + 2].code != PD_MULTIADDR_P2P) || n - i > 3)
		return PD_ERR_UNSUPPORTED;
	port = (uint16_t)(c[i + 1].value[0] << 8 | c[i + 1].value[1]);
	memset(&ss, 0, sizeof(ss));
	if (c[i].code == PD_MULTIADDR_IP4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, c[i].value, 4);
		*ret_len = sizeof(*sin);
	} else if (c[i].code == PD_MULTIADDR_IP6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_scope_id = scope;
		memcpy(&sin6->sin6_addr, c[i].value, 16);
		*ret_len = sizeof(*sin6);
	} else {
		return PD_ERR_UNSUPPORTED;
	}
	*ret_ss = ss;
	return 0;
}

int
pd_multiaddr_from_sockaddr(const struct sockaddr *sa, socklen_t salen,
    struct pd_multiaddr *ret_ma)
{
	struct pd_multiaddr ma = { .len = 0 };
	const uint8_t *addr, *portp;
	uint8_t port[2];
	uint32_t scope = 0;
	uint32_t code;
	int r;

	if (salen < (socklen_t)sizeof(sa->sa_family))
		return PD_ERR_INVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (salen < (socklen_t)sizeof(*sin))
			return PD_ERR_INVAL;
		code = PD_MULTIADDR_IP4;
		addr = (const uint8_t *)&sin->sin_addr;
		portp = (const uint8_t *)&sin->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		if (salen < (socklen_t)sizeof(*sin6))
			return PD_ERR_INVAL;
		code = PD_MULTIADDR_IP6;
		addr = (const uint8_t *)&sin6->sin6_addr;
		portp = (const uint8_t *)&sin6->sin6_port;
		scope = sin6->sin6_scope_id;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			code = PD_MULTIADDR_IP4;
			addr += 12;
			scope = 0;
		}
	} else {
		return PD_ERR_UNSUPPORTED;
	}
	if (scope != 0) {
		char zone[IF_NAMESIZE > 16 ? IF_NAMESIZE : 16];

		if (if_indextoname(scope, zone) == NULL)
			snprintf(zone, sizeof(zone), "%u", scope);
		r = pd_multiaddr_append(&ma, PD_MULTIADDR_IP6ZONE,
		    (const uint8_t *)zone, strlen(zone), NULL, 0);
		if (r < 0)
			return r;
	}
	memcpy(port, portp, 2);		/* already network order */
	if ((r = pd_multiaddr_append(&ma, code, addr,
	    code == PD_MULTIADDR_IP4 ? 4 : 16, NULL, 0)) < 0 ||
	    (r = pd_multiaddr_append(&ma, PD_MULTIADDR_TCP, port, 2,
	    NULL, 0)) < 0)
		return r;
	*ret_ma = ma;
	return 0;
}

/* --- /p2p/ suffix --- */

int
pd_multiaddr_peer_id(const struct pd_multiaddr *ma, const uint8_t **ret_mh,
    size_t *ret_len)
{
	struct pd_multiaddr_comp c;

	if (!ma_last(ma, &c) || c.code != PD_MULTIADDR_P2P)
		return PD_ERR_NOT_FOUND;
	*ret_mh = c.value;
	*ret_len = c.value_len;
	return 0;
}

int
pd_multiaddr_without_peer(const struct pd_multiaddr *ma,
    struct pd_multiaddr *ret_ma)
{
	struct pd_multiaddr_comp c;
	size_t len = ma->len;

	if (len > PD_MULTIADDR_MAX_BIN)
		return PD_ERR_INVAL;
	if (ma_last(ma, &c) && c.code == PD_MULTIADDR_P2P) {
		if (c.off == 0)
			return PD_ERR_INVAL;
		len = c.off;
	}
	if (ret_ma != ma)
		memcpy(ret_ma->bytes, ma->bytes, len);
	ret_ma->len = len;
	return 0;
}

int
pd_multiaddr_append_peer(const struct pd_multiaddr *ma, const uint8_t *mh,
    size_t mhlen, struct pd_multiaddr *ret_ma)
{
	struct pd_multiaddr tmp;
	const uint8_t *old;
	size_t oldlen;
	int r;

	if (ma->len > PD_MULTIADDR_MAX_BIN)
		return PD_ERR_INVAL;
	if (!ma_peer_id_valid(mh, mhlen))
		return PD_ERR_MALFORMED;
	if (pd_multiaddr_peer_id(ma, &old, &oldlen) == 0) {
		if (oldlen != mhlen || memcmp(old, mh, mhlen) != 0)
			return PD_ERR_EXISTS;
		if (ret_ma != ma)
			*ret_ma = *ma;
		return 0;
	}
	tmp.len = ma->len;
	memcpy(tmp.bytes, ma->bytes, ma->len);
	r = pd_multiaddr_append(&tmp, PD_MULTIADDR_P2P, mh, mhlen, NULL, 0);
	if (r < 0)
		return r;
	ret_ma->len = tmp.len;
	memcpy(ret_ma->bytes, tmp.bytes, tmp.len);
	return 0;
}

/* --- address classes --- */

/*
 * The first IP of ma as 4 bytes (ip4, or v4-mapped ip6) or 16 bytes;
 * returns the length, 0 if the address does not start with an IP.
 */
static size_t
ma_first_ip(const struct pd_multiaddr *ma, const uint8_t **ret_ip)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct pd_multiaddr_comp c;
	size_t off = 0;

	if (pd_multiaddr_next(ma, &off, &c) <= 0)
		return 0;
	if (c.code == PD_MULTIADDR_IP6ZONE &&
	    pd_multiaddr_next(ma, &off, &c) <= 0)
		return 0;
	if (c.code == PD_MULTIADDR_IP4) {
		*ret_ip = c.value;
		return 4;
	}
	if (c.code != PD_MULTIADDR_IP6)
		return 0;
	if (memcmp(c.value, mapped, 12) == 0) {
		*ret_ip = c.value + 12;
		return 4;
	}
	*ret_ip = c.value;
	return 16;
}

bool
pd_multiaddr_is_loopback(const struct pd_multiaddr *ma)
{
	static const uint8_t one[16] = { [15] = 1 };
	const uint8_t *ip;
	size_t n = ma_first_ip(ma, &ip);

	if (n == 4)
		return ip[0] == 127;
	return n == 16 && memcmp(ip, one, 16) == 0;
}

bool
pd_multiaddr_is_private(const struct pd_multiaddr *ma)
{
	const uint8_t *ip;
	size_t n = ma_first_ip(ma, &ip);

	if (n == 4)
		return ip[0] == 10 ||
		    (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
		    (ip[0] == 192 && ip[1] == 168) ||
		    (ip[0] == 100 && (ip[1] & 0xc0) == 64) ||
		    (ip[0] == 169 && ip[1] == 254);
	return n == 16 && ((ip[0] & 0xfe) == 0xfc ||
	    (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80));
}

bool
pd_multiaddr_is_unspecified(const struct pd_multiaddr *ma)
{
	static const uint8_t zero[16];
	const uint8_t *ip;
	size_t n = ma_first_ip(ma, &ip);

	return n != 0 && memcmp(ip, zero, n) == 0;
}
