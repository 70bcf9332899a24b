/*
 * multiaddr.h - multiaddrs (multiformats/multiaddr): text <-> binary,
 * component iteration, and the few address helpers the layers above need
 * (sockaddr conversion, /p2p/ suffix handling, loopback/private filters).
 *
 * A struct pd_multiaddr is a plain value holding the binary form
 * (uvarint(code) ‖ value, repeated; libp2p-wire.md §2.1).  Every function
 * that fills one validates it, so a struct produced by this module is
 * always a well-formed, non-empty multiaddr of at most
 * PD_MULTIADDR_MAX_COMPONENTS components whose binary form fits
 * PD_MULTIADDR_MAX_BIN bytes and whose text form fits PD_MULTIADDR_MAX_TEXT
 * characters.  Copy it with `=`; compare it with pd_multiaddr_equal().
 *
 * Supported protocols: ip4 ip6 ip6zone ipcidr tcp udp dns dns4 dns6
 * dnsaddr unix p2p (text alias ipfs) p2p-circuit tls sni noise quic
 * quic-v1 webtransport certhash ws wss http https webrtc webrtc-direct.
 * Anything else is an "unknown protocol" error, in text and in binary.
 */
#ifndef PD_ADDR_MULTIADDR_H
#define PD_ADDR_MULTIADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define PD_MULTIADDR_MAX_BIN 512	/* bytes of binary form */
#define PD_MULTIADDR_MAX_TEXT 2048	/* chars of text form, without NUL */
#define PD_MULTIADDR_MAX_COMPONENTS 32	/* components per multiaddr */
#define PD_MULTIADDR_MAX_PEER_ID 64	/* bytes of a /p2p/ multihash */
#define PD_MULTIADDR_MAX_INLINE_KEY 42	/* identity digest cap, bytes */

/* Protocol codes (multiformats/multiaddr protocols.csv). */
#define PD_MULTIADDR_IP4 4
#define PD_MULTIADDR_TCP 6
#define PD_MULTIADDR_IP6 41
#define PD_MULTIADDR_IP6ZONE 42
#define PD_MULTIADDR_IPCIDR 43
#define PD_MULTIADDR_DNS 53
#define PD_MULTIADDR_DNS4 54
#define PD_MULTIADDR_DNS6 55
#define PD_MULTIADDR_DNSADDR 56
#define PD_MULTIADDR_UDP 273
#define PD_MULTIADDR_WEBRTC_DIRECT 280
#define PD_MULTIADDR_WEBRTC 281
#define PD_MULTIADDR_P2P_CIRCUIT 290
#define PD_MULTIADDR_UNIX 400
#define PD_MULTIADDR_P2P 421
#define PD_MULTIADDR_HTTPS 443
#define PD_MULTIADDR_TLS 448
#define PD_MULTIADDR_SNI 449
#define PD_MULTIADDR_NOISE 454
#define PD_MULTIADDR_QUIC 460
#define PD_MULTIADDR_QUIC_V1 461
#define PD_MULTIADDR_WEBTRANSPORT 465
#define PD_MULTIADDR_CERTHASH 466
#define PD_MULTIADDR_WS 477
#define PD_MULTIADDR_WSS 478
#define PD_MULTIADDR_HTTP 480

/*
 * A validated multiaddr in binary form.  Invariant (for every struct this
 * module fills): 0 < len <= PD_MULTIADDR_MAX_BIN and bytes[0..len) passes
 * pd_multiaddr_from_bytes().  Bytes past len are unspecified: compare
 * with pd_multiaddr_equal(), not memcmp over the struct.  About 520 bytes,
 * small enough to embed in arrays.
 */
struct pd_multiaddr {
	size_t len;				/* bytes used */
	uint8_t bytes[PD_MULTIADDR_MAX_BIN];
};

/* One component, as returned by pd_multiaddr_next(). */
struct pd_multiaddr_comp {
	uint32_t code;		/* PD_MULTIADDR_* */
	const char *name;	/* static canonical name, e.g. "p2p" */
	const uint8_t *value;	/* borrowed from the multiaddr, or NULL */
	size_t value_len;	/* 0 for size-0 protocols */
	size_t off;		/* where the component starts in bytes */
	size_t len;		/* whole component: code, length, value */
};

/*
 * Parse the text form (NUL-terminated).  "/ipfs/" is read as "/p2p/",
 * "quic" is the legacy draft-29 code, trailing '/' are ignored, and
 * "/unix/" swallows the rest as an absolute path.  Returns 0 and fills
 * *ret_ma, or PD_ERR_MALFORMED (bad syntax or value), PD_ERR_UNSUPPORTED
 * (unknown protocol) or PD_ERR_OVERFLOW (over a size cap), with the
 * reason written to why (may be NULL) as e.g. `unknown protocol "foo"`.
 * *ret_ma is untouched on failure.
 */
int pd_multiaddr_parse(const char *text, struct pd_multiaddr *ret_ma,
    char *why, size_t whylen);
/* As pd_multiaddr_parse() on text[0..n), which need not end in NUL. */
int pd_multiaddr_parse_n(const char *text, size_t n,
    struct pd_multiaddr *ret_ma, char *why, size_t whylen);

/*
 * Write the canonical text form into out (NUL-terminated): /p2p/ values in
 * base58btc, certhash in base64url ('u'), ip6 per RFC 5952.  Returns the
 * length (without the NUL) or PD_ERR_OVERFLOW if outlen is too small
 * (outlen > PD_MULTIADDR_MAX_TEXT always suffices), PD_ERR_MALFORMED if
 * ma does not hold a valid multiaddr.
 */
int pd_multiaddr_format(const struct pd_multiaddr *ma, char *out,
    size_t outlen);

/*
 * Decode and validate a binary multiaddr filling exactly p[0..n): rejects
 * empty input, unknown codes, truncation, non-minimal varints, and values
 * that fail the same checks as text (ports, names, paths, peer IDs,
 * multihashes).  Returns 0 or PD_ERR_* with a reason in why (may be NULL).
 */
int pd_multiaddr_from_bytes(const uint8_t *p, size_t n,
    struct pd_multiaddr *ret_ma, char *why, size_t whylen);

/*
 * Iterate: start with *off = 0; each call stores the component at *off in
 * *ret_comp, advances *off and returns 1; returns 0 at the end and a
 * negative PD_ERR_* if the bytes are malformed (never for a validated ma).
 */
int pd_multiaddr_next(const struct pd_multiaddr *ma, size_t *off,
    struct pd_multiaddr_comp *ret_comp);
/* First component with the given code: 0, or PD_ERR_NOT_FOUND. */
int pd_multiaddr_find(const struct pd_multiaddr *ma, uint32_t code,
    struct pd_multiaddr_comp *ret_comp);
/* Number of components. */
size_t pd_multiaddr_count(const struct pd_multiaddr *ma);
/* Canonical name of a supported code, or NULL. */
const char *pd_multiaddr_proto_name(uint32_t code);

/*
 * Append one component, validating value exactly as from_bytes would
 * (fixed sizes, names, peer IDs...; value may be NULL when vlen is 0).
 * ma may be an empty struct (len 0) to start a new address.  Returns 0,
 * PD_ERR_UNSUPPORTED (unknown code), PD_ERR_MALFORMED (bad value) or
 * PD_ERR_OVERFLOW (size or component cap); ma is unchanged on failure.
 */
int pd_multiaddr_append(struct pd_multiaddr *ma, uint32_t code,
    const uint8_t *value, size_t vlen, char *why, size_t whylen);

/* True if a and b hold the same bytes. */
bool pd_multiaddr_equal(const struct pd_multiaddr *a,
    const struct pd_multiaddr *b);

/*
 * /ip4/A/tcp/P or [/ip6zone/Z]/ip6/A/tcp/P, optionally followed by
 * /p2p/ID, to a socket address (the zone through if_nametoindex, or a
 * decimal index).  Returns 0, or PD_ERR_UNSUPPORTED for any other shape
 * (dns, udp, ws, unknown zone...).
 */
int pd_multiaddr_to_sockaddr(const struct pd_multiaddr *ma,
    struct sockaddr_storage *ret_ss, socklen_t *ret_len);
/*
 * AF_INET / AF_INET6 address to /ip4|ip6/A/tcp/P.  A v4-mapped IPv6
 * address becomes /ip4/ (what accept() on a dual-stack socket returns);
 * a non-zero scope id becomes /ip6zone/<ifname or index>/.  Returns 0,
 * PD_ERR_UNSUPPORTED (other families) or PD_ERR_INVAL (short salen).
 */
int pd_multiaddr_from_sockaddr(const struct sockaddr *sa, socklen_t salen,
    struct pd_multiaddr *ret_ma);

/*
 * The peer ID of a trailing /p2p/ component: *ret_mh points into ma (the
 * multihash bytes), *ret_len its length.  0, or PD_ERR_NOT_FOUND if the
 * last component is not /p2p/.
 */
int pd_multiaddr_peer_id(const struct pd_multiaddr *ma,
    const uint8_t **ret_mh, size_t *ret_len);
/*
 * Copy ma without a trailing /p2p/ component (unchanged copy if there is
 * none).  ret_ma may equal ma.  Returns 0, or PD_ERR_INVAL if ma is only
 * "/p2p/ID" (an empty multiaddr cannot be represented).
 */
int pd_multiaddr_without_peer(const struct pd_multiaddr *ma,
    struct pd_multiaddr *ret_ma);
/*
 * Copy ma with /p2p/<mh> appended (mh: peer-ID multihash bytes).  If ma
 * already ends in the same /p2p/ it is copied unchanged; a different one
 * is PD_ERR_EXISTS.  Also PD_ERR_MALFORMED (mh not a peer ID) and
 * PD_ERR_OVERFLOW.  ret_ma may equal ma.
 */
int pd_multiaddr_append_peer(const struct pd_multiaddr *ma,
    const uint8_t *mh, size_t mhlen, struct pd_multiaddr *ret_ma);

/*
 * Address classes of the first IP component (after an optional ip6zone;
 * a v4-mapped ip6 counts as its ip4).  False for dns and other shapes.
 * loopback: 127/8, ::1.  private: 10/8, 172.16/12, 192.168/16,
 * 100.64/10, 169.254/16, fc00::/7, fe80::/10.  unspecified: 0.0.0.0, ::.
 */
bool pd_multiaddr_is_loopback(const struct pd_multiaddr *ma);
bool pd_multiaddr_is_private(const struct pd_multiaddr *ma);
bool pd_multiaddr_is_unspecified(const struct pd_multiaddr *ma);

#endif
