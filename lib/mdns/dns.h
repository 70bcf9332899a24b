/*
 * dns.h - DNS message codec for mDNS (RFC 1035 §4, RFC 6762, RFC 6763).
 *
 * Sans-IO: bytes in, a bounded caller-owned struct pd_dns_msg out, and
 * back.  No malloc per record: every array lives inside struct pd_dns_msg
 * (about 50 KiB; put it on the heap or in a long-lived object).
 *
 * Names are text, labels joined by '.', no trailing dot, case preserved
 * ("_p2p._udp.local").  The root name is "".  A label may hold any byte
 * except NUL, '.', '\\' and control characters (< 0x20, 0x7f); a record or
 * question whose name has such a label is skipped on decode (counted in
 * skipped) and refused on encode (PD_ERR_INVAL).  Spaces and UTF-8 are fine.
 *
 * Decode: name compression pointers are followed only backwards (to an
 * offset before the start of the name being read), at most
 * PD_DNS_MAX_HOPS per name, names at most PD_DNS_MAX_NAME wire bytes and
 * labels at most PD_DNS_MAX_LABEL bytes.  Types A, AAAA, PTR, TXT and SRV
 * are stored; other types are skipped (counted in skipped).  Records and
 * questions over the caps are counted as dropped, not an error.  Any
 * malformation (truncation, bad pointer, bad rdlength, ...) fails the whole
 * message with a reason in why.
 *
 * Encode: sections are written in the order answer, authority, additional
 * (records keep their relative order within a section); names are
 * compressed against every name suffix already written.
 *
 * Class fields carry the low 15 bits; the top bit is the cache-flush bit in
 * records and the unicast-response (QU) bit in questions (RFC 6762 §10.2,
 * §5.4).
 */
#ifndef PD_MDNS_DNS_H
#define PD_MDNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_buf;

#define PD_DNS_MAX_MSG 9000		/* bytes: largest message decoded/encoded (RFC 6762 §17) */
#define PD_DNS_MAX_NAME 255		/* wire bytes of a name, incl. length bytes and root */
#define PD_DNS_NAME_SIZE 256		/* text buffer: <= 253 chars + NUL */
#define PD_DNS_MAX_LABEL 63		/* bytes per label */
#define PD_DNS_MAX_HOPS 32		/* compression pointers followed per name */
#define PD_DNS_MAX_QUESTIONS 32		/* questions stored per message */
#define PD_DNS_MAX_RECORDS 64		/* records stored per message, all sections */
#define PD_DNS_MAX_TXT_STRINGS 32	/* strings stored per TXT record */
#define PD_DNS_MAX_TXT_STRING 255	/* bytes per TXT string */
#define PD_DNS_MAX_COMP 256		/* name suffixes remembered for compression */
#define PD_DNS_MAX_PEER_ADDRS 64	/* dnsaddr strings per peer (extract) */

#define PD_DNS_HEADER_LEN 12

/* Header flag bits (RFC 1035 §4.1.1). */
#define PD_DNS_FLAG_QR 0x8000		/* response */
#define PD_DNS_FLAG_AA 0x0400		/* authoritative answer */
#define PD_DNS_FLAG_TC 0x0200		/* truncated (mDNS: more known answers follow) */
#define PD_DNS_OPCODE(flags) (((flags) >> 11) & 0xf)	/* mDNS requires 0 */
#define PD_DNS_RCODE(flags) ((flags) & 0xf)		/* mDNS requires 0 */
#define PD_DNS_FLAGS_RESPONSE (PD_DNS_FLAG_QR | PD_DNS_FLAG_AA)	/* 0x8400 */

/* Types and classes. */
#define PD_DNS_TYPE_A 1
#define PD_DNS_TYPE_PTR 12
#define PD_DNS_TYPE_TXT 16
#define PD_DNS_TYPE_AAAA 28
#define PD_DNS_TYPE_SRV 33
#define PD_DNS_TYPE_ANY 255		/* questions only */
#define PD_DNS_CLASS_IN 1
#define PD_DNS_CLASS_TOP 0x8000		/* cache-flush (RR) / unicast-response (Q) */

/* Default libp2p mDNS values (libp2p-wire.md §11). */
#define PD_DNS_LIBP2P_SERVICE "_p2p._udp.local"
#define PD_DNS_LIBP2P_TTL 360		/* s: PTR, TXT, SRV */
#define PD_DNS_LIBP2P_ADDR_TTL 120	/* s: A, AAAA */
#define PD_DNS_DNSADDR_PREFIX "dnsaddr="

enum pd_dns_section {
	PD_DNS_SEC_ANSWER = 1,
	PD_DNS_SEC_AUTHORITY = 2,
	PD_DNS_SEC_ADDITIONAL = 3
};

struct pd_dns_question {
	char name[PD_DNS_NAME_SIZE];
	uint16_t type;
	uint16_t qclass;		/* low 15 bits */
	bool unicast;			/* QU: top bit of the class */
};

/*
 * One resource record.  Which member of u is valid depends on type.  TXT
 * strings are stored in the owning message's pool: string i is
 * m->pool[u.txt.off[i] .. + u.txt.len[i]); use pd_dns_txt_get().
 */
struct pd_dns_rr {
	enum pd_dns_section section;
	char name[PD_DNS_NAME_SIZE];	/* owner */
	uint16_t type;			/* PD_DNS_TYPE_A/AAAA/PTR/TXT/SRV */
	uint16_t rclass;		/* low 15 bits */
	bool cache_flush;		/* top bit of the class */
	uint32_t ttl;			/* seconds */
	union {
		uint8_t a[4];
		uint8_t aaaa[16];
		char ptr[PD_DNS_NAME_SIZE];
		struct {
			uint16_t priority;
			uint16_t weight;
			uint16_t port;
			char target[PD_DNS_NAME_SIZE];
		} srv;
		struct {
			uint16_t n;	/* <= PD_DNS_MAX_TXT_STRINGS */
			uint16_t off[PD_DNS_MAX_TXT_STRINGS];
			uint8_t len[PD_DNS_MAX_TXT_STRINGS];
		} txt;
	} u;
};

/*
 * A decoded or to-be-encoded message.  Invariants: nq <= MAX_QUESTIONS,
 * nrr <= MAX_RECORDS, pool_len <= PD_DNS_MAX_MSG.  After decode, rr[] is in
 * wire order (answers, then authority, then additional) and nan + nns + nar
 * == nrr; the *count fields are the header counts as received.  Before
 * encode only nq/q, nrr/rr, pool, id and flags matter (the encoder
 * computes the header counts).  A struct is copyable with memcpy.
 */
struct pd_dns_msg {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;	/* wire header (decode) */
	size_t nq;
	struct pd_dns_question q[PD_DNS_MAX_QUESTIONS];
	size_t nrr;
	struct pd_dns_rr rr[PD_DNS_MAX_RECORDS];
	size_t nan, nns, nar;		/* stored records per section (decode) */
	unsigned dropped;		/* questions/records over the caps */
	unsigned skipped;		/* unknown types, unrepresentable names */
	unsigned dropped_txt;		/* TXT strings over PD_DNS_MAX_TXT_STRINGS */
	size_t pool_len;
	uint8_t pool[PD_DNS_MAX_MSG];	/* TXT string bytes */
};

/* Empty m and set its id and flags (e.g. 0 and PD_DNS_FLAGS_RESPONSE). */
void pd_dns_msg_init(struct pd_dns_msg *m, uint16_t id, uint16_t flags);

/*
 * Decode p[0..len) into m (caller-owned; fully overwritten).  Returns 0,
 * or PD_ERR_TRUNCATED / PD_ERR_MALFORMED / PD_ERR_OVERFLOW (len >
 * PD_DNS_MAX_MSG, name too long) with a reason in why (may be NULL).  On
 * failure m's contents are unspecified (but safe to read/encode/reuse).
 * m does not point into p after return.
 */
int pd_dns_decode(const uint8_t *p, size_t len, struct pd_dns_msg *m,
    char *why, size_t whylen);

/*
 * Encode m and append it to out.  Fails with PD_ERR_OVERFLOW when the
 * message would exceed max bytes (max is capped at PD_DNS_MAX_MSG; use e.g.
 * 1500 and split on this error), PD_ERR_INVAL for an invalid name, type,
 * section or TXT reference, PD_ERR_NOMEM.  On failure out->len is as before.
 */
int pd_dns_encode(const struct pd_dns_msg *m, size_t max, struct pd_buf *out);
/*
 * Same, into out[0..outlen) (outlen is the size cap); sets *ret_len.
 * PD_ERR_OVERFLOW when it does not fit.
 */
int pd_dns_encode_raw(const struct pd_dns_msg *m, uint8_t *out, size_t outlen,
    size_t *ret_len);

/*
 * Builders: append a question / record to m.  Names are copied and
 * validated (PD_ERR_INVAL); PD_ERR_OVERFLOW when a cap (questions, records,
 * TXT strings, pool, string > 255 bytes) is hit.  m is unchanged on error.
 */
int pd_dns_msg_add_question(struct pd_dns_msg *m, const char *name,
    uint16_t type, bool unicast);
int pd_dns_msg_add_ptr(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const char *target);
int pd_dns_msg_add_srv(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, uint16_t priority,
    uint16_t weight, uint16_t port, const char *target);
int pd_dns_msg_add_a(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const uint8_t a[4]);
int pd_dns_msg_add_aaaa(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush, const uint8_t aaaa[16]);
/*
 * TXT with n strings strs[i] of lens[i] bytes (lens NULL: strlen).  n may
 * be 0 (empty rdata).
 */
int pd_dns_msg_add_txt(struct pd_dns_msg *m, enum pd_dns_section sec,
    const char *name, uint32_t ttl, bool cache_flush,
    const char *const *strs, const size_t *lens, size_t n);

/*
 * TXT string i of rr (a TXT record of m): returns a pointer into m->pool
 * (borrowed, valid while m is unchanged) and sets *ret_len; NULL if i is
 * out of range or rr is not a TXT record.
 */
const uint8_t *pd_dns_txt_get(const struct pd_dns_msg *m,
    const struct pd_dns_rr *rr, size_t i, size_t *ret_len);

/*
 * Check a text name (labels 1..63 bytes, <= 255 wire bytes, allowed
 * characters, optional single trailing dot).  0 or PD_ERR_INVAL.
 */
int pd_dns_name_check(const char *name);
/*
 * ASCII case-insensitive name equality; a single trailing dot on either
 * side is ignored ("A.local." equals "a.local").
 */
bool pd_dns_name_eq(const char *a, const char *b);
/*
 * True when name equals suffix or ends with "." suffix (label boundary),
 * compared as pd_dns_name_eq does.  "x._p2p._udp.local" ends with
 * "_p2p._udp.local"; "x_p2p._udp.local" does not.
 */
bool pd_dns_name_ends_with(const char *name, const char *suffix);

/*
 * Input for pd_dns_build_libp2p_answer (libp2p-wire.md §11, "To be
 * discovered by all three").  All pointers are borrowed for the call.
 */
struct pd_dns_libp2p_answer {
	const char *peer_name;		/* one label, 1..63 chars */
	const char *service;		/* NULL: PD_DNS_LIBP2P_SERVICE */
	uint32_t ttl;			/* PTR, TXT, SRV (0 = goodbye) */
	uint32_t addr_ttl;		/* A, AAAA */
	const char *const *dnsaddrs;	/* multiaddr texts, without "dnsaddr=" */
	size_t ndnsaddrs;		/* <= PD_DNS_MAX_TXT_STRINGS, each <= 247 bytes */
	uint16_t srv_port;		/* SRV port; 0 = no SRV/A/AAAA at all */
	const uint8_t (*ip4)[4];	/* A records for <peer-name>.local */
	size_t nip4;
	const uint8_t (*ip6)[16];	/* AAAA records for <peer-name>.local */
	size_t nip6;
	bool cache_flush;		/* set it on TXT, SRV, A, AAAA (never PTR) */
};

/*
 * Build into m (re-initialised: id 0, flags 0x8400, no questions):
 *   Answer:     <service> PTR <peer>.<service>                     ttl
 *   Additional: <peer>.<service> TXT "dnsaddr=..." (one record)     ttl
 *               <peer>.<service> SRV 0 0 srv_port <peer>.local      ttl
 *               <peer>.local A / AAAA (one record per address)      addr_ttl
 * Returns 0, PD_ERR_INVAL (bad peer name/service, empty or over-long
 * dnsaddr) or PD_ERR_OVERFLOW (too many strings/records), with a reason in
 * why.  Whether the result fits in a packet is checked by pd_dns_encode.
 */
int pd_dns_build_libp2p_answer(struct pd_dns_msg *m,
    const struct pd_dns_libp2p_answer *a, char *why, size_t whylen);
/*
 * Build a query into m (re-initialised: id 0, flags 0): one question
 * <service> PTR IN (service NULL: PD_DNS_LIBP2P_SERVICE), QU bit if
 * unicast.  0 or PD_ERR_INVAL.
 */
int pd_dns_build_libp2p_query(struct pd_dns_msg *m, const char *service,
    bool unicast);

/*
 * One peer found by pd_dns_libp2p_extract.  addr[i] points into the
 * message's pool (borrowed from m: valid while m is unchanged), is NOT
 * NUL-terminated, has addr_len[i] bytes, and is the text after "dnsaddr="
 * (duplicates removed).
 */
struct pd_dns_libp2p_peer {
	char name[PD_DNS_NAME_SIZE];	/* PTR target, as received */
	uint32_t ttl;			/* PTR TTL (0 = goodbye) */
	enum pd_dns_section section;	/* where the PTR was */
	size_t naddrs;
	const char *addr[PD_DNS_MAX_PEER_ADDRS];
	size_t addr_len[PD_DNS_MAX_PEER_ADDRS];
};

/*
 * For every distinct PTR record in Answer or Additional whose owner equals
 * service (case-insensitive; NULL: PD_DNS_LIBP2P_SERVICE), collect the
 * "dnsaddr=" strings of every TXT record in Answer or Additional whose
 * owner equals the PTR target (case-insensitive).  Accepts go (one TXT,
 * many strings, in Additional), js (one TXT per address, in Answer) and
 * rust (one TXT per address, in Additional) shapes.  Peers without
 * addresses are reported too (naddrs 0: e.g. goodbyes).  Writes at most
 * maxpeers entries to peers and sets *ret_n; extra PTRs are ignored.
 * Returns 0 or PD_ERR_INVAL (bad arguments).  Only responses should be
 * passed (the caller checks PD_DNS_FLAG_QR).
 */
int pd_dns_libp2p_extract(const struct pd_dns_msg *m, const char *service,
    struct pd_dns_libp2p_peer *peers, size_t maxpeers, size_t *ret_n);

#endif
