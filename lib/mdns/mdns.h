/*
 * mdns.h - the mDNS responder and querier of libp2p discovery
 * (libp2p-wire.md §11, RFC 6762; issue 8).
 *
 * A struct pd_mdns serves a set of network interfaces.  On each one it
 * holds an IPv4 socket (224.0.0.251) and an IPv6 socket (ff02::fb) on UDP
 * 5353, shared with avahi-daemon or systemd-resolved through SO_REUSEADDR
 * and SO_REUSEPORT.  It queries "<service> PTR" at start, 0.25 s, 1 s and
 * 2 s later, then every interval (jittered ±10 %), answers those queries
 * (ours too) with the answer shape all of go, js and rust accept, and
 * reports the peers it hears about through a callback.  Interfaces are
 * rescanned every PD_MDNS_RESCAN_MS.
 *
 * The protocol work is sans-IO and can be driven without sockets:
 * pd_mdns_set_ifaces() installs an interface table (opening sockets only
 * when the service is started) and pd_mdns_input() handles one received
 * packet at a given monotonic time, returning the reply to send.  The
 * helpers below (on-link test, address selection, answer building, rate
 * limiting, service names) are pure functions.
 *
 * Lifetime: pd_mdns_new() (nothing opened), pd_mdns_start() (sockets,
 * timers), pd_mdns_stop() (TTL-0 goodbye, sockets closed, learnt table
 * cleared; may be started again), pd_mdns_free().
 */
#ifndef PD_MDNS_MDNS_H
#define PD_MDNS_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"
#include "mdns/dns.h"

struct event_base;
struct pd_mdns;

#define PD_MDNS_PORT 5353
#define PD_MDNS_GROUP4 "224.0.0.251"
#define PD_MDNS_GROUP6 "ff02::fb"
#define PD_MDNS_MAX_PACKET 1500		/* bytes per packet sent */
#define PD_MDNS_MAX_IFACES 32		/* interfaces served (and scanned: 4x) */
#define PD_MDNS_MAX_IFACE_ADDRS 16	/* IPv4 and IPv6 addresses kept, each */
#define PD_MDNS_MAX_LIST 32		/* allow / deny list entries */
#define PD_MDNS_MAX_ADDRS 32		/* our addresses announced per interface */
#define PD_MDNS_MAX_HOSTS 8		/* A and AAAA records per answer, each */
#define PD_MDNS_MAX_PACKETS 8		/* packets per answer (TXT split) */
#define PD_MDNS_MAX_PEERS 1024		/* peers in the learnt table */
#define PD_MDNS_MAX_PEER_ADDRS 16	/* addresses taken per learnt peer */
#define PD_MDNS_MAX_PEERS_PER_PACKET 16	/* peer-names read per packet */
#define PD_MDNS_MAX_SERVICE 128		/* chars of a service name */
#define PD_MDNS_PEER_NAME_MIN 32	/* chars of our random peer-name */
#define PD_MDNS_PEER_NAME_MAX 63
#define PD_MDNS_FP_HEX 16		/* hex chars of the pnet fingerprint */
#define PD_MDNS_FP_TAG "peerdisc-pnet-v1"	/* fingerprint hash prefix */
#define PD_MDNS_INTERVAL_MS 10000	/* default query period */
#define PD_MDNS_RESCAN_MS 5000		/* interface rescan period */
#define PD_MDNS_TTL 360			/* s: PTR, TXT, SRV we send */
#define PD_MDNS_ADDR_TTL 120		/* s: A, AAAA we send */
#define PD_MDNS_LEGACY_TTL 10		/* s: cap in legacy unicast replies */
#define PD_MDNS_SOURCE_GAP_MS 250	/* answers to one question source */
#define PD_MDNS_MULTICAST_GAP_MS 1000	/* multicast answers per interface */
#define PD_MDNS_MAX_SOURCES 64		/* question sources remembered per iface */
#define PD_MDNS_PACKETS_PER_S 200	/* packets processed per iface per s */
#define PD_MDNS_NEW_PEERS_PER_MIN 100	/* new peers learnt per minute */
#define PD_MDNS_RECV_BATCH 32		/* datagrams read per wake-up */

/* One IPv4 / IPv6 address of an interface. */
struct pd_mdns_ip4 {
	struct in_addr addr;
	struct in_addr mask;
};

struct pd_mdns_ip6 {
	struct in6_addr addr;
	unsigned prefixlen;
};

/* An interface as getifaddrs() shows it (flags: IFF_*). */
struct pd_mdns_iface {
	char name[IFNAMSIZ];
	unsigned index;
	unsigned flags;
	size_t n4;
	struct pd_mdns_ip4 ip4[PD_MDNS_MAX_IFACE_ADDRS];
	size_t n6;
	struct pd_mdns_ip6 ip6[PD_MDNS_MAX_IFACE_ADDRS];
};

/*
 * Rate state of one interface (all times monotonic ms, from the caller).
 * Zero it to start.
 */
struct pd_mdns_rate {
	uint64_t window_ms;		/* start of the current 1 s window */
	unsigned packets;		/* processed in that window */
	bool multicast_sent;
	uint64_t multicast_ms;		/* last multicast answer */
	size_t nsources;
	struct {
		struct sockaddr_storage src;
		uint64_t at_ms;		/* last answer to a question from src */
	} sources[PD_MDNS_MAX_SOURCES];
};

/* Token bucket for new peers: rate per minute, burst of the same size. */
struct pd_mdns_bucket {
	bool init;
	uint64_t at_ms;
	uint64_t units;			/* tokens x 60000 */
};

/* Counters (metrics mdns_*). */
struct pd_mdns_stats {
	uint64_t packets_in, packets_out;
	uint64_t bytes_in, bytes_out;
	uint64_t packets_dropped;	/* malformed, over rate, off-link */
	uint64_t peers_learnt;		/* new entries in the learnt table */
};

/* One entry of the learnt table. */
struct pd_mdns_peer_info {
	struct pd_peerid id;
	char ifname[IFNAMSIZ];		/* interface of the last answer */
	int64_t last_seen_ms;		/* unix ms */
	int64_t expires_ms;		/* unix ms (last PTR TTL) */
};

/* One peer read from a response by pd_mdns_parse_response(). */
struct pd_mdns_heard {
	struct pd_peerid id;
	uint32_t ttl;			/* PTR TTL, s; 0: goodbye */
	size_t naddrs;			/* ip4/ip6 tcp, without /p2p/ */
	struct pd_multiaddr addrs[PD_MDNS_MAX_PEER_ADDRS];
};

/* A peer heard in an answer, passed to pd_mdns_found_cb (borrowed). */
struct pd_mdns_found {
	const struct pd_peerid *id;
	const struct pd_multiaddr *addrs;	/* ip4/ip6 tcp, without /p2p */
	size_t naddrs;
	uint32_t ttl;				/* s, > 0 */
	const char *ifname;
	bool is_new;				/* just entered the learnt table */
};

typedef void (*pd_mdns_found_cb)(void *arg, const struct pd_mdns_found *f);

/*
 * Our identity and addresses, asked for before each answer: fill
 * *ret_id and addrs[0..*ret_n) (n <= max; /p2p/ suffixes allowed);
 * *ret_announce true means they are configured announce addresses, sent
 * as they are (ip4/ip6 tcp ones) on every interface, rather than listen
 * addresses filtered per interface.  0, or negative: nothing to announce.
 */
typedef int (*pd_mdns_self_cb)(void *arg, struct pd_peerid *ret_id,
    struct pd_multiaddr *addrs, size_t max, size_t *ret_n,
    bool *ret_announce);

struct pd_mdns_config {
	const char *service;		/* NULL: PD_DNS_LIBP2P_SERVICE */
	int64_t interval_ms;		/* 0: PD_MDNS_INTERVAL_MS */
	const char *const *allow;	/* interface names; none: all usable */
	size_t nallow;
	const char *const *deny;	/* interface names never used */
	size_t ndeny;
	unsigned packets_per_s;		/* 0: PD_MDNS_PACKETS_PER_S */
	unsigned new_peers_per_min;	/* 0: PD_MDNS_NEW_PEERS_PER_MIN */
	pd_mdns_self_cb self;		/* required */
	pd_mdns_found_cb found;		/* may be NULL */
	void *arg;			/* for both callbacks */
};

/* Where pd_mdns_input() wants its reply sent. */
enum pd_mdns_dest {
	PD_MDNS_DEST_NONE,		/* nothing to send */
	PD_MDNS_DEST_MULTICAST,		/* to the group of the source's family */
	PD_MDNS_DEST_UNICAST,		/* to the source address and port */
};

struct pd_mdns_packet {
	size_t len;
	uint8_t data[PD_MDNS_MAX_PACKET];
};

struct pd_mdns_reply {
	enum pd_mdns_dest dest;
	size_t npackets;
	struct pd_mdns_packet packets[PD_MDNS_MAX_PACKETS];
};

/* ---- pure helpers ---- */

/*
 * The pnet fingerprint: lower-case hex of the first 8 bytes of
 * SHA-256(PD_MDNS_FP_TAG || psk).  out gets PD_MDNS_FP_HEX chars + NUL.
 */
void pd_mdns_fingerprint(const uint8_t psk[32],
    char ret_hex[PD_MDNS_FP_HEX + 1]);
/*
 * The service name to use: service (NULL: PD_DNS_LIBP2P_SERVICE) as is
 * when psk is NULL, else its first label with "-<fingerprint>" appended
 * ("_p2p._udp.local" -> "_p2p-0123456789abcdef._udp.local").  0, or
 * PD_ERR_INVAL (not a valid name, or the label would exceed 63 chars) or
 * PD_ERR_OVERFLOW (outlen too small).
 */
int pd_mdns_service_name(const char *service, const uint8_t *psk, char *out,
    size_t outlen);
/*
 * A random peer-name: 32..63 chars of [a-z0-9] and a NUL (libsodium
 * randomness).
 */
void pd_mdns_peer_name(char ret_name[PD_MDNS_PEER_NAME_MAX + 1]);

/*
 * Whether an interface is used: never when in deny; when allow is not
 * empty, exactly those named in it that are up and multicast-capable
 * (loopback and point-to-point included); otherwise those up,
 * multicast-capable, not loopback and not point-to-point.
 */
bool pd_mdns_iface_wanted(const char *name, unsigned flags,
    const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny);
/*
 * Every interface with its IPv4 / IPv6 addresses, from getifaddrs().
 * Fills out[0..*ret_n) (at most max, in first-seen order).  0 or
 * PD_ERR_IO (errno set).
 */
int pd_mdns_iface_scan(struct pd_mdns_iface *out, size_t max, size_t *ret_n);
/* "IFNAME (ADDR ADDR...)" for logs. */
void pd_mdns_iface_format(const struct pd_mdns_iface *ifc, char *out,
    size_t outlen);
/*
 * Whether a packet from src may be handled on ifc: IPv4 in one of ifc's
 * subnets; IPv6 link-local (fe80::/10) or in one of ifc's prefixes (a
 * v4-mapped IPv6 source is judged as IPv4).
 */
bool pd_mdns_onlink(const struct pd_mdns_iface *ifc,
    const struct sockaddr *src);
/*
 * Our addresses to announce on ifc, without /p2p/, written to out[0..max):
 * only /ip4/A/tcp/P and /ip6/A/tcp/P shapes; announce: taken as they are;
 * otherwise IPv4 addresses in ifc's subnets, IPv6 addresses that are
 * ifc's own, and 0.0.0.0 / :: expanded to ifc's addresses of that family.
 * Duplicates removed.  Returns the count.
 */
size_t pd_mdns_select_addrs(const struct pd_mdns_iface *ifc,
    const struct pd_multiaddr *addrs, size_t n, bool announce,
    struct pd_multiaddr *out, size_t max);

/* Input of pd_mdns_build_answer(). */
struct pd_mdns_answer_in {
	const char *peer_name;
	const char *service;		/* NULL: PD_DNS_LIBP2P_SERVICE */
	const struct pd_peerid *id;
	const struct pd_multiaddr *addrs;	/* from pd_mdns_select_addrs */
	size_t naddrs;
	uint32_t ttl, addr_ttl;		/* 0 and 0: goodbye */
	bool legacy;			/* legacy unicast reply (RFC 6762 §6.7) */
	uint16_t legacy_id;		/* its query ID */
};

/*
 * Build our answer for one interface into reply->packets (dest is left
 * alone): PTR + TXT dnsaddr=<addr>/p2p/<id> + SRV + A/AAAA, each packet at
 * most PD_MDNS_MAX_PACKET bytes and complete on its own, the TXT strings
 * split across packets when they do not fit in one.  A legacy reply
 * echoes the question and ID, with TTLs capped at PD_MDNS_LEGACY_TTL and
 * no cache-flush bits.  scratch is a work area (overwritten).  Addresses
 * whose text is too long for a TXT string are skipped.  0 (npackets may
 * be 0 when there is no address), or PD_ERR_INVAL.
 */
int pd_mdns_build_answer(const struct pd_mdns_answer_in *in,
    struct pd_dns_msg *scratch, struct pd_mdns_reply *reply);
/*
 * Our PTR query for service (NULL: PD_DNS_LIBP2P_SERVICE) into out.  0,
 * PD_ERR_INVAL or PD_ERR_OVERFLOW.
 */
int pd_mdns_build_query(const char *service, struct pd_dns_msg *scratch,
    struct pd_mdns_packet *out);

/*
 * Per-interface processing budget: true when a packet arriving at now_ms
 * may be processed (at most per_s per 1 s window).
 */
bool pd_mdns_rate_packet(struct pd_mdns_rate *r, uint64_t now_ms,
    unsigned per_s);
/*
 * Whether to answer a question from src now (and if so, record it): not
 * within PD_MDNS_SOURCE_GAP_MS of the last answer to that source (address
 * and port); for a multicast answer also not within
 * PD_MDNS_MULTICAST_GAP_MS of the last multicast answer on the interface
 * unless src asked nothing in that time (a new question).
 */
bool pd_mdns_rate_answer(struct pd_mdns_rate *r, const struct sockaddr *src,
    bool multicast, uint64_t now_ms);
/* Take one token from b (per_min per minute, burst per_min): true if ok. */
bool pd_mdns_bucket_take(struct pd_mdns_bucket *b, unsigned per_min,
    uint64_t now_ms);

/*
 * The peers of a decoded response.  For each PTR target of service: its
 * dnsaddr strings that parse and end in /p2p/ID must all name one ID (a
 * peer-name with two IDs is ignored whole; strings without /p2p/ or that
 * do not parse are skipped); a peer whose ID is self (may be NULL) is
 * ignored.  out[i] gets the ID, the PTR TTL and the addresses restricted
 * to ip4/ip6 tcp, without /p2p/ (loopback ones only when
 * allow_loopback; an IPv6 link-local address without a zone gets
 * /ip6zone/<ifname>).  Peers left with no usable address are reported
 * too (naddrs 0, e.g. goodbyes).  Returns the count (<= max).
 */
size_t pd_mdns_parse_response(const struct pd_dns_msg *m, const char *service,
    const struct pd_peerid *self, const char *ifname, bool allow_loopback,
    struct pd_mdns_heard *out, size_t max);

/* ---- the service ---- */

/*
 * Create a service on base with cfg (copied, lists included) and a fresh
 * random peer-name.  Nothing is opened yet.  0 and *ret_s, or
 * PD_ERR_INVAL (bad service name or list), PD_ERR_NOMEM, with why.
 */
int pd_mdns_new(struct event_base *base, const struct pd_mdns_config *cfg,
    struct pd_mdns **ret_s, char *why, size_t whylen);
/* Stop if started, and free.  NULL is a no-op. */
void pd_mdns_free(struct pd_mdns *s);
/*
 * Scan interfaces, open sockets, start queries and the rescan timer.
 * Interfaces whose sockets cannot be opened are logged and retried at
 * the next rescan.  0, PD_ERR_NOMEM.  Idempotent.
 */
int pd_mdns_start(struct pd_mdns *s);
/* Goodbye (TTL 0) on every interface, close everything.  Idempotent. */
void pd_mdns_stop(struct pd_mdns *s);
bool pd_mdns_started(const struct pd_mdns *s);
/*
 * Replace the allow and deny lists (copied); applied at once when
 * started (interfaces leaving get a goodbye).  0 or PD_ERR_INVAL /
 * PD_ERR_OVERFLOW / PD_ERR_NOMEM with why (lists unchanged).
 */
int pd_mdns_set_lists(struct pd_mdns *s, const char *const *allow,
    size_t nallow, const char *const *deny, size_t ndeny, char *why,
    size_t whylen);
/*
 * Install the interfaces to serve (normally the wanted subset of a scan):
 * new ones are logged and, when started, get sockets and a fresh query
 * schedule; missing ones are closed ("gone").  At most
 * PD_MDNS_MAX_IFACES are used.
 */
void pd_mdns_set_ifaces(struct pd_mdns *s, const struct pd_mdns_iface *ifs,
    size_t n);
/* Names of the interfaces served; returns the count (<= max written). */
size_t pd_mdns_ifaces(const struct pd_mdns *s, char (*names)[IFNAMSIZ],
    size_t max);
/*
 * Handle one packet received at now_ms (monotonic) on the served
 * interface ifindex from src: drop it (counted) when over the rate,
 * off-link or malformed; learn the peers
 * of a response (found callback; a peer already known is reported again
 * only when its addresses change or a minute has passed);
 * and for a PTR query of our service fill *ret_reply with our answer and
 * where to send it.  Returns 0, or PD_ERR_NOT_FOUND (ifindex not served),
 * PD_ERR_AGAIN (over the rate), PD_ERR_PERM (off-link), PD_ERR_MALFORMED
 * (ret_reply->dest is PD_MDNS_DEST_NONE on error).
 */
int pd_mdns_input(struct pd_mdns *s, unsigned ifindex,
    const struct sockaddr *src, const uint8_t *p, size_t len,
    uint64_t now_ms, struct pd_mdns_reply *ret_reply);
/* Counters. */
void pd_mdns_stats(const struct pd_mdns *s, struct pd_mdns_stats *ret);
/* Learnt, unexpired peers (any order); returns the count (<= max written). */
size_t pd_mdns_peers(const struct pd_mdns *s, struct pd_mdns_peer_info *out,
    size_t max);
/* Our peer-name and service name (borrowed from s). */
const char *pd_mdns_peer_name_get(const struct pd_mdns *s);
const char *pd_mdns_service_get(const struct pd_mdns *s);

#endif
