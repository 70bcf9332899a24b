/*
 * mdns.c - the mDNS responder and querier (libp2p-wire.md §11, RFC 6762).
 * It owns one IPv4 and one IPv6 UDP socket on port 5353 per interface it
 * serves, their libevent read events, a query timer per interface and
 * the interface rescan timer, and the table of peers it has learnt.
 * Messages are built and parsed with the sans-IO codec of dns.c.  The
 * discovery adapter (lib/discovery/mdns.c) creates, starts and
 * reconfigures it and turns what it learns into store entries.
 *
 * Received packets go through pd_mdns_input(), which is also the entry
 * point of the unit tests: rate and on-link checks, then either our answer
 * to a PTR question for the service, or the peers of a response.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/time.h"
#include "mdns/mdns.h"

/* Gaps between the first queries on an interface (ms). */
static const int64_t mdns_first_gaps[] = { 250, 1000, 2000 };
#define MDNS_NFIRST (sizeof(mdns_first_gaps) / sizeof(mdns_first_gaps[0]))
#define MDNS_LOG_ADDRS 512		/* chars of a logged address list */
#define MDNS_CMSG_SIZE 256		/* control buffer of recvmsg */
#define MDNS_REPORT_MS 60000		/* re-report an unchanged peer after */

/* A learnt peer and when it was last reported to the found callback. */
struct mdns_peer {
	struct pd_mdns_peer_info info;
	uint64_t reported_ms;		/* monotonic */
	uint64_t addr_hash;		/* of the addresses last reported */
};

struct mdns_if {
	struct pd_mdns *s;
	struct pd_mdns_iface info;
	int fd4, fd6;
	struct event *ev4, *ev6;
	struct event *query_ev;
	unsigned nqueries;		/* queries sent since it appeared */
	bool warned;			/* socket failure logged */
	struct pd_mdns_rate rate;
};

struct pd_mdns {
	struct event_base *base;
	char service[PD_MDNS_MAX_SERVICE + 1];
	char peer_name[PD_MDNS_PEER_NAME_MAX + 1];
	int64_t interval_ms;
	unsigned packets_per_s, new_peers_per_min;
	char allow[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t nallow;
	char deny[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t ndeny;
	pd_mdns_self_cb self;
	pd_mdns_found_cb found;
	void *arg;
	bool started;
	struct event *rescan_ev;
	struct mdns_if *ifs[PD_MDNS_MAX_IFACES];
	size_t nifs;
	struct pd_mdns_stats stats;
	struct pd_mdns_bucket learn;
	struct mdns_peer *peers;		/* PD_MDNS_MAX_PEERS slots */
	size_t npeers;
	struct pd_dns_msg *msg;			/* decode area */
	struct pd_dns_msg *scratch;		/* build area */
	struct pd_mdns_reply *reply;		/* IO path reply */
	struct pd_mdns_heard *heard;		/* PD_MDNS_MAX_PEERS_PER_PACKET */
	uint8_t *rbuf;				/* PD_DNS_MAX_MSG receive buffer */
};

static void mdns_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
mdns_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- names ---- */

void
pd_mdns_fingerprint(const uint8_t psk[32], char ret_hex[PD_MDNS_FP_HEX + 1])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)PD_MDNS_FP_TAG,
	    strlen(PD_MDNS_FP_TAG));
	crypto_hash_sha256_update(&st, psk, 32);
	crypto_hash_sha256_final(&st, h);
	for (size_t i = 0; i < PD_MDNS_FP_HEX / 2; i++)
		snprintf(ret_hex + 2 * i, 3, "%02x", h[i]);
	sodium_memzero(&st, sizeof(st));
}

int
pd_mdns_service_name(const char *service, const uint8_t *psk, char *out,
    size_t outlen)
{
	char fp[PD_MDNS_FP_HEX + 1], name[PD_DNS_NAME_SIZE + 32];
	const char *dot;
	size_t first;

	if (service == NULL)
		service = PD_DNS_LIBP2P_SERVICE;
	if (pd_dns_name_check(service) < 0 || service[0] == '\0' ||
	    strlen(service) > PD_MDNS_MAX_SERVICE)
		return PD_ERR_INVAL;
	if (psk == NULL) {
		if (strlen(service) >= outlen)
			return PD_ERR_OVERFLOW;
		snprintf(out, outlen, "%s", service);
		return 0;
	}
	pd_mdns_fingerprint(psk, fp);
	dot = strchr(service, '.');
	first = dot != NULL ? (size_t)(dot - service) : strlen(service);
	if (first + 1 + PD_MDNS_FP_HEX > PD_DNS_MAX_LABEL)
		return PD_ERR_INVAL;
	snprintf(name, sizeof(name), "%.*s-%s%s", (int)first, service, fp,
	    dot != NULL ? dot : "");
	if (pd_dns_name_check(name) < 0 || strlen(name) > PD_MDNS_MAX_SERVICE)
		return PD_ERR_INVAL;
	if (strlen(name) >= outlen)
		return PD_ERR_OVERFLOW;
	snprintf(out, outlen, "%s", name);
	return 0;
}

void
pd_mdns_peer_name(char ret_name[PD_MDNS_PEER_NAME_MAX + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint32_t n = PD_MDNS_PEER_NAME_MIN + randombytes_uniform(
	    PD_MDNS_PEER_NAME_MAX - PD_MDNS_PEER_NAME_MIN + 1);

	for (uint32_t i = 0; i < n; i++)
		ret_name[i] = alphabet[randombytes_uniform(sizeof(alphabet) -
		    1)];
	ret_name[n] = '\0';
}

/* ---- interfaces ---- */

static bool
mdns_in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

bool
pd_mdns_iface_wanted(const char *name, unsigned flags,
    const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny)
{
	if (mdns_in_list(name, deny, ndeny))
		return false;
	if (!(flags & IFF_UP) || !(flags & IFF_MULTICAST))
		return false;
	if (nallow > 0)
		return mdns_in_list(name, allow, nallow);
	return !(flags & IFF_LOOPBACK) && !(flags & IFF_POINTOPOINT);
}

static unsigned
mdns_prefixlen6(const struct in6_addr *mask)
{
	unsigned n = 0;

	for (size_t i = 0; i < 16; i++) {
		uint8_t b = mask->s6_addr[i];

		while (b & 0x80) {
			n++;
			b = (uint8_t)(b << 1);
		}
		if (mask->s6_addr[i] != 0xff)
			break;
	}
	return n;
}

int
pd_mdns_iface_scan(struct pd_mdns_iface *out, size_t max, size_t *ret_n)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) < 0)
		return PD_ERR_IO;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		struct pd_mdns_iface *f = NULL;

		if (i->ifa_name == NULL || strlen(i->ifa_name) >= IFNAMSIZ)
			continue;
		for (size_t k = 0; k < n; k++)
			if (strcmp(out[k].name, i->ifa_name) == 0)
				f = &out[k];
		if (f == NULL) {
			unsigned idx = if_nametoindex(i->ifa_name);

			if (n == max || idx == 0)
				continue;
			f = &out[n++];
			memset(f, 0, sizeof(*f));
			snprintf(f->name, sizeof(f->name), "%s", i->ifa_name);
			f->index = idx;
		}
		f->flags = i->ifa_flags;
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET &&
		    f->n4 < PD_MDNS_MAX_IFACE_ADDRS) {
			struct pd_mdns_ip4 *a = &f->ip4[f->n4++];

			a->addr = ((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
			a->mask.s_addr = i->ifa_netmask != NULL ?
			    ((struct sockaddr_in *)(void *)
			    i->ifa_netmask)->sin_addr.s_addr : 0xffffffffu;
		} else if (i->ifa_addr->sa_family == AF_INET6 &&
		    f->n6 < PD_MDNS_MAX_IFACE_ADDRS) {
			struct pd_mdns_ip6 *a = &f->ip6[f->n6++];

			a->addr = ((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
			a->prefixlen = i->ifa_netmask != NULL ?
			    mdns_prefixlen6(&((struct sockaddr_in6 *)(void *)
			    i->ifa_netmask)->sin6_addr) : 128;
		}
	}
	freeifaddrs(ifa);
	*ret_n = n;
	return 0;
}

void
pd_mdns_iface_format(const struct pd_mdns_iface *ifc, char *out,
    size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	size_t used;

	snprintf(out, outlen, "%s (", ifc->name);
	for (size_t i = 0; i < ifc->n4 + ifc->n6; i++) {
		if (i < ifc->n4)
			inet_ntop(AF_INET, &ifc->ip4[i].addr, a, sizeof(a));
		else
			inet_ntop(AF_INET6, &ifc->ip6[i - ifc->n4].addr, a,
			    sizeof(a));
		used = strlen(out);
		if (used + strlen(a) + 3 < outlen)
			snprintf(out + used, outlen - used, "%s%s",
			    i > 0 ? " " : "", a);
	}
	used = strlen(out);
	if (used + 1 < outlen)
		snprintf(out + used, outlen - used, ")");
}

static bool
mdns_in6_prefix(const struct in6_addr *a, const struct in6_addr *net,
    unsigned plen)
{
	size_t full = plen / 8;
	unsigned rest = plen % 8;

	if (plen > 128)
		return false;
	if (memcmp(a->s6_addr, net->s6_addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->s6_addr[full] ^ net->s6_addr[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool
mdns_onlink4(const struct pd_mdns_iface *ifc, struct in_addr a)
{
	for (size_t i = 0; i < ifc->n4; i++)
		if (((a.s_addr ^ ifc->ip4[i].addr.s_addr) &
		    ifc->ip4[i].mask.s_addr) == 0)
			return true;
	return false;
}

bool
pd_mdns_onlink(const struct pd_mdns_iface *ifc, const struct sockaddr *src)
{
	if (src->sa_family == AF_INET)
		return mdns_onlink4(ifc,
		    ((const struct sockaddr_in *)(const void *)src)->sin_addr);
	if (src->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)
		    (const void *)src)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			struct in_addr v4;

			memcpy(&v4, a->s6_addr + 12, 4);
			return mdns_onlink4(ifc, v4);
		}
		if (IN6_IS_ADDR_LINKLOCAL(a))
			return true;
		for (size_t i = 0; i < ifc->n6; i++)
			if (mdns_in6_prefix(a, &ifc->ip6[i].addr,
			    ifc->ip6[i].prefixlen))
				return true;
	}
	return false;
}

/* ---- addresses ---- */

/*
 * Split /ip4|ip6/A/tcp/P (exactly) into family, address bytes and port.
 * 0, or -1 for any other shape.
 */
static int
mdns_tcp_addr(const struct pd_multiaddr *ma, int *ret_af, uint8_t ret_ip[16],
    uint16_t *ret_port)
{
	struct pd_multiaddr_comp c1, c2, c3;
	size_t off = 0;

	if (pd_multiaddr_next(ma, &off, &c1) != 1 ||
	    pd_multiaddr_next(ma, &off, &c2) != 1 ||
	    pd_multiaddr_next(ma, &off, &c3) != 0)
		return -1;
	if (c2.code != PD_MULTIADDR_TCP || c2.value_len != 2)
		return -1;
	if (c1.code == PD_MULTIADDR_IP4 && c1.value_len == 4)
		*ret_af = AF_INET;
	else if (c1.code == PD_MULTIADDR_IP6 && c1.value_len == 16)
		*ret_af = AF_INET6;
	else
		return -1;
	memcpy(ret_ip, c1.value, c1.value_len);
	*ret_port = (uint16_t)(c2.value[0] << 8 | c2.value[1]);
	return 0;
}

static int
mdns_make_tcp(int af, const void *ip, uint16_t port,
    struct pd_multiaddr *ret_ma)
{
	struct pd_multiaddr ma;
	uint8_t p[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	ma.len = 0;
	if (pd_multiaddr_append(&ma, af == AF_INET ? PD_MULTIADDR_IP4 :
	    PD_MULTIADDR_IP6, ip, af == AF_INET ? 4 : 16, NULL, 0) < 0 ||
	    pd_multiaddr_append(&ma, PD_MULTIADDR_TCP, p, 2, NULL, 0) < 0)
		return -1;
	*ret_ma = ma;
	return 0;
}

static size_t
mdns_add_unique(struct pd_multiaddr *out, size_t n, size_t max,
    const struct pd_multiaddr *ma)
{
	if (n == max)
		return n;
	for (size_t i = 0; i < n; i++)
		if (pd_multiaddr_equal(&out[i], ma))
			return n;
	out[n] = *ma;
	return n + 1;
}

size_t
pd_mdns_select_addrs(const struct pd_mdns_iface *ifc,
    const struct pd_multiaddr *addrs, size_t n, bool announce,
    struct pd_multiaddr *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct pd_multiaddr base, ma;
		uint8_t ip[16], zero[16] = { 0 };
		uint16_t port;
		int af;

		if (pd_multiaddr_without_peer(&addrs[i], &base) < 0 ||
		    mdns_tcp_addr(&base, &af, ip, &port) < 0)
			continue;
		if (announce) {
			k = mdns_add_unique(out, k, max, &base);
			continue;
		}
		if (memcmp(ip, zero, af == AF_INET ? 4 : 16) == 0) {
			/* 0.0.0.0 / ::: every address of that family here. */
			if (af == AF_INET) {
				for (size_t j = 0; j < ifc->n4; j++)
					if (mdns_make_tcp(AF_INET,
					    &ifc->ip4[j].addr, port, &ma) == 0)
						k = mdns_add_unique(out, k, max,
						    &ma);
			} else {
				for (size_t j = 0; j < ifc->n6; j++)
					if (mdns_make_tcp(AF_INET6,
					    &ifc->ip6[j].addr, port, &ma) == 0)
						k = mdns_add_unique(out, k, max,
						    &ma);
			}
			continue;
		}
		if (af == AF_INET) {
			struct in_addr a;

			memcpy(&a, ip, 4);
			if (mdns_onlink4(ifc, a))
				k = mdns_add_unique(out, k, max, &base);
		} else {
			for (size_t j = 0; j < ifc->n6; j++)
				if (memcmp(ip, ifc->ip6[j].addr.s6_addr,
				    16) == 0)
					k = mdns_add_unique(out, k, max,
					    &base);
		}
	}
	return k;
}

/* ---- building ---- */

int
pd_mdns_build_answer(const struct pd_mdns_answer_in *in,
    struct pd_dns_msg *scratch, struct pd_mdns_reply *reply)
{
	char idtext[PD_PEERID_TEXT_MAX];
	const char *strs[PD_MDNS_MAX_ADDRS];
	uint8_t ip4[PD_MDNS_MAX_HOSTS][4], ip6[PD_MDNS_MAX_HOSTS][16];
	size_t nstr = 0, n4 = 0, n6 = 0, done = 0;
	uint16_t srv_port = 0;
	const char *service = in->service != NULL ? in->service :
	    PD_DNS_LIBP2P_SERVICE;

	reply->npackets = 0;
	if (in->peer_name == NULL || in->id == NULL ||
	    pd_peerid_format(in->id, idtext, sizeof(idtext)) < 0)
		return PD_ERR_INVAL;
	{
		char (*t)[PD_DNS_MAX_TXT_STRING + 1] = calloc(
		    PD_MDNS_MAX_ADDRS, sizeof(*t));

		if (t == NULL)
			return PD_ERR_NOMEM;
		for (size_t i = 0; i < in->naddrs && nstr < PD_MDNS_MAX_ADDRS;
		    i++) {
			char text[PD_MULTIADDR_MAX_TEXT + 1];
			uint8_t ip[16];
			uint16_t port;
			int af, len;

			if (pd_multiaddr_format(&in->addrs[i], text,
			    sizeof(text)) < 0)
				continue;
			len = snprintf(t[nstr], sizeof(t[nstr]), "%s/p2p/%s",
			    text, idtext);
			if (len < 0 || (size_t)len + strlen(
			    PD_DNS_DNSADDR_PREFIX) > PD_DNS_MAX_TXT_STRING)
				continue;
			strs[nstr] = t[nstr];
			nstr++;
			if (mdns_tcp_addr(&in->addrs[i], &af, ip, &port) < 0)
				continue;
			if (srv_port == 0)
				srv_port = port;
			if (af == AF_INET && n4 < PD_MDNS_MAX_HOSTS) {
				bool dup = false;

				for (size_t j = 0; j < n4; j++)
					dup |= memcmp(ip4[j], ip, 4) == 0;
				if (!dup)
					memcpy(ip4[n4++], ip, 4);
			} else if (af == AF_INET6 && n6 < PD_MDNS_MAX_HOSTS) {
				bool dup = false;

				for (size_t j = 0; j < n6; j++)
					dup |= memcmp(ip6[j], ip, 16) == 0;
				if (!dup)
					memcpy(ip6[n6++], ip, 16);
			}
		}
		/* Greedy split: as many strings per packet as fit. */
		while (done < nstr && reply->npackets < PD_MDNS_MAX_PACKETS) {
			struct pd_mdns_packet *pk =
			    &reply->packets[reply->npackets];
			size_t k, len = 0;
			int r = PD_ERR_OVERFLOW;

			for (k = nstr - done; k > 0; k--) {
				struct pd_dns_libp2p_answer a;

				memset(&a, 0, sizeof(a));
				a.peer_name = in->peer_name;
				a.service = service;
				a.ttl = in->legacy && in->ttl >
				    PD_MDNS_LEGACY_TTL ? PD_MDNS_LEGACY_TTL :
				    in->ttl;
				a.addr_ttl = in->legacy && in->addr_ttl >
				    PD_MDNS_LEGACY_TTL ? PD_MDNS_LEGACY_TTL :
				    in->addr_ttl;
				a.dnsaddrs = &strs[done];
				a.ndnsaddrs = k;
				a.srv_port = srv_port;
				a.ip4 = (const uint8_t (*)[4])ip4;
				a.nip4 = n4;
				a.ip6 = (const uint8_t (*)[16])ip6;
				a.nip6 = n6;
				a.cache_flush = !in->legacy;
				if ((r = pd_dns_build_libp2p_answer(scratch, &a,
				    NULL, 0)) < 0)
					break;
				if (in->legacy) {
					scratch->id = in->legacy_id;
					if ((r = pd_dns_msg_add_question(scratch,
					    service, PD_DNS_TYPE_PTR,
					    false)) < 0)
						break;
				}
				r = pd_dns_encode_raw(scratch, pk->data,
				    sizeof(pk->data), &len);
				if (r != PD_ERR_OVERFLOW)
					break;
			}
			if (r < 0 && r != PD_ERR_OVERFLOW) {
				free(t);
				return r;
			}
			if (k == 0) {
				done++;		/* one string alone is too big */
				continue;
			}
			pk->len = len;
			reply->npackets++;
			done += k;
		}
		free(t);
	}
	return 0;
}

int
pd_mdns_build_query(const char *service, struct pd_dns_msg *scratch,
    struct pd_mdns_packet *out)
{
	int r;

	if ((r = pd_dns_build_libp2p_query(scratch, service, false)) < 0)
		return r;
	return pd_dns_encode_raw(scratch, out->data, sizeof(out->data),
	    &out->len);
}

/* ---- rate limits ---- */

bool
pd_mdns_rate_packet(struct pd_mdns_rate *r, uint64_t now_ms, unsigned per_s)
{
	if (now_ms < r->window_ms || now_ms - r->window_ms >= 1000) {
		r->window_ms = now_ms;
		r->packets = 0;
	}
	if (r->packets >= per_s)
		return false;
	r->packets++;
	return true;
}

static bool
mdns_same_source(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

bool
pd_mdns_rate_answer(struct pd_mdns_rate *r, const struct sockaddr *src,
    bool multicast, uint64_t now_ms)
{
	size_t slot = r->nsources, oldest = 0;
	bool fresh = true;

	for (size_t i = 0; i < r->nsources; i++) {
		if (mdns_same_source(&r->sources[i].src, src))
			slot = i;
		if (r->sources[i].at_ms < r->sources[oldest].at_ms)
			oldest = i;
	}
	if (slot < r->nsources) {
		uint64_t at = r->sources[slot].at_ms;

		if (now_ms >= at && now_ms - at < PD_MDNS_SOURCE_GAP_MS)
			return false;
		fresh = !(now_ms >= at && now_ms - at <
		    PD_MDNS_MULTICAST_GAP_MS);
	}
	if (multicast && !fresh && r->multicast_sent &&
	    now_ms >= r->multicast_ms &&
	    now_ms - r->multicast_ms < PD_MDNS_MULTICAST_GAP_MS)
		return false;
	if (slot == r->nsources) {
		size_t len = src->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

		if (r->nsources < PD_MDNS_MAX_SOURCES)
			r->nsources++;
		else
			slot = oldest;
		memset(&r->sources[slot].src, 0, sizeof(r->sources[slot].src));
		memcpy(&r->sources[slot].src, src, len);
	}
	r->sources[slot].at_ms = now_ms;
	if (multicast) {
		r->multicast_sent = true;
		r->multicast_ms = now_ms;
	}
	return true;
}

bool
pd_mdns_bucket_take(struct pd_mdns_bucket *b, unsigned per_min,
    uint64_t now_ms)
{
	uint64_t cap = (uint64_t)per_min * 60000;

	if (!b->init) {
		b->init = true;
		b->units = cap;
		b->at_ms = now_ms;
	}
	if (now_ms > b->at_ms) {
		uint64_t add = (now_ms - b->at_ms) * per_min;

		b->units = b->units + add > cap ? cap : b->units + add;
		b->at_ms = now_ms;
	}
	if (b->units < 60000)
		return false;
	b->units -= 60000;
	return true;
}

/* ---- parsing responses ---- */

/*
 * One dnsaddr text to a usable address: ip4/ip6 tcp, /p2p/ stripped (its
 * ID in *ret_id).  0, 1 (parsed with an ID but not usable) or -1.
 */
static int
mdns_parse_dnsaddr(const char *text, size_t len, const char *ifname,
    bool allow_loopback, struct pd_peerid *ret_id, struct pd_multiaddr *ret_ma)
{
	struct pd_multiaddr ma, base;
	const uint8_t *mh;
	size_t mhlen;
	uint8_t ip[16];
	uint16_t port;
	int af;

	if (len > PD_MULTIADDR_MAX_TEXT ||
	    pd_multiaddr_parse_n(text, len, &ma, NULL, 0) < 0 ||
	    pd_multiaddr_peer_id(&ma, &mh, &mhlen) < 0 ||
	    pd_peerid_from_bytes(mh, mhlen, ret_id) < 0)
		return -1;
	if (pd_multiaddr_without_peer(&ma, &base) < 0 ||
	    mdns_tcp_addr(&base, &af, ip, &port) < 0 || port == 0)
		return 1;
	if (!allow_loopback && pd_multiaddr_is_loopback(&base))
		return 1;
	if (pd_multiaddr_is_unspecified(&base))
		return 1;
	if (af == AF_INET6 && ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) {
		char t[PD_MULTIADDR_MAX_TEXT + 1], z[PD_MULTIADDR_MAX_TEXT + 32];

		if (ifname == NULL || pd_multiaddr_format(&base, t,
		    sizeof(t)) < 0)
			return 1;
		snprintf(z, sizeof(z), "/ip6zone/%s%s", ifname, t);
		if (pd_multiaddr_parse(z, &base, NULL, 0) < 0)
			return 1;
	}
	*ret_ma = base;
	return 0;
}

size_t
pd_mdns_parse_response(const struct pd_dns_msg *m, const char *service,
    const struct pd_peerid *self, const char *ifname, bool allow_loopback,
    struct pd_mdns_heard *out, size_t max)
{
	struct pd_dns_libp2p_peer *peers;
	size_t np = 0, k = 0;

	if (max > PD_MDNS_MAX_PEERS_PER_PACKET)
		max = PD_MDNS_MAX_PEERS_PER_PACKET;
	if ((peers = calloc(PD_MDNS_MAX_PEERS_PER_PACKET,
	    sizeof(*peers))) == NULL)
		return 0;
	if (pd_dns_libp2p_extract(m, service, peers,
	    PD_MDNS_MAX_PEERS_PER_PACKET, &np) < 0)
		np = 0;
	for (size_t i = 0; i < np && k < max; i++) {
		struct pd_mdns_heard *h = &out[k];
		bool have_id = false, conflict = false;

		h->naddrs = 0;
		h->ttl = peers[i].ttl;
		for (size_t j = 0; j < peers[i].naddrs; j++) {
			struct pd_peerid id;
			struct pd_multiaddr ma;
			int r = mdns_parse_dnsaddr(peers[i].addr[j],
			    peers[i].addr_len[j], ifname, allow_loopback, &id,
			    &ma);

			if (r < 0)
				continue;
			if (have_id && !pd_peerid_equal(&id, &h->id)) {
				conflict = true;
				break;
			}
			h->id = id;
			have_id = true;
			if (r == 0 && h->naddrs < PD_MDNS_MAX_PEER_ADDRS)
				h->naddrs = mdns_add_unique(h->addrs,
				    h->naddrs, PD_MDNS_MAX_PEER_ADDRS, &ma);
		}
		if (!have_id || conflict ||
		    (self != NULL && pd_peerid_equal(&h->id, self)))
			continue;
		k++;
	}
	free(peers);
	return k;
}

/* ---- the service: sockets ---- */

static void mdns_recv_cb(evutil_socket_t fd, short what, void *arg);
static void mdns_query_cb(evutil_socket_t fd, short what, void *arg);

static int
mdns_open4(struct mdns_if *mi)
{
	struct sockaddr_in sin;
	struct ip_mreqn mr;
	int fd, one = 1, zero = 0, ttl = 255;
	unsigned char cttl = 255, loop = 1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PD_MDNS_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, PD_MDNS_GROUP4, &mr.imr_multiaddr);
	mr.imr_address = mi->info.ip4[0].addr;
	mr.imr_ifindex = (int)mi->info.index;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &cttl,
	    sizeof(cttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
	    sizeof(loop)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
#ifdef IP_MULTICAST_ALL
	/* Only the groups this socket joined (on its interface). */
	(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
	    sizeof(zero));
#endif
	(void)zero;
	return fd;
}

static int
mdns_open6(struct mdns_if *mi)
{
	struct sockaddr_in6 sin6;
	struct ipv6_mreq mr;
	int fd, one = 1, zero = 0, hops = 255;
	unsigned idx = mi->info.index;

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(PD_MDNS_PORT);
	sin6.sin6_addr = in6addr_any;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, PD_MDNS_GROUP6, &mr.ipv6mr_multiaddr);
	mr.ipv6mr_interface = idx;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	    sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
	    sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
	    sizeof(idx)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
	    sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one,
	    sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
	    sizeof(hops)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
#ifdef IPV6_MULTICAST_ALL
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero,
	    sizeof(zero));
#endif
	(void)zero;
	return fd;
}

static void
mdns_close_if(struct mdns_if *mi)
{
	if (mi->ev4 != NULL)
		event_free(mi->ev4);
	if (mi->ev6 != NULL)
		event_free(mi->ev6);
	if (mi->fd4 >= 0)
		close(mi->fd4);
	if (mi->fd6 >= 0)
		close(mi->fd6);
	mi->ev4 = mi->ev6 = NULL;
	mi->fd4 = mi->fd6 = -1;
	if (mi->query_ev != NULL)
		evtimer_del(mi->query_ev);
}

/* Open what is missing; true when at least one socket is open. */
static bool
mdns_open_if(struct mdns_if *mi)
{
	struct pd_mdns *s = mi->s;
	char err4[128] = "", err6[128] = "";

	if (mi->fd4 < 0 && mi->info.n4 > 0) {
		if ((mi->fd4 = mdns_open4(mi)) < 0 ||
		    (mi->ev4 = event_new(s->base, mi->fd4, EV_READ | EV_PERSIST,
		    mdns_recv_cb, mi)) == NULL || event_add(mi->ev4,
		    NULL) < 0) {
			snprintf(err4, sizeof(err4), "IPv4: %s",
			    strerror(errno));
			if (mi->fd4 >= 0)
				close(mi->fd4);
			if (mi->ev4 != NULL)
				event_free(mi->ev4);
			mi->fd4 = -1;
			mi->ev4 = NULL;
		}
	}
	if (mi->fd6 < 0 && mi->info.n6 > 0) {
		if ((mi->fd6 = mdns_open6(mi)) < 0 ||
		    (mi->ev6 = event_new(s->base, mi->fd6, EV_READ | EV_PERSIST,
		    mdns_recv_cb, mi)) == NULL || event_add(mi->ev6,
		    NULL) < 0) {
			snprintf(err6, sizeof(err6), "IPv6: %s",
			    strerror(errno));
			if (mi->fd6 >= 0)
				close(mi->fd6);
			if (mi->ev6 != NULL)
				event_free(mi->ev6);
			mi->fd6 = -1;
			mi->ev6 = NULL;
		}
	}
	if ((err4[0] != '\0' || err6[0] != '\0') && !mi->warned) {
		PD_LOG_WARN("mdns: %s: cannot open sockets: %s%s%s; retrying "
		    "every %ds", mi->info.name, err4, err4[0] != '\0' &&
		    err6[0] != '\0' ? ", " : "", err6,
		    PD_MDNS_RESCAN_MS / 1000);
		mi->warned = true;
	}
	return mi->fd4 >= 0 || mi->fd6 >= 0;
}

static void
mdns_send(struct mdns_if *mi, int af, const struct sockaddr *dest,
    const struct pd_mdns_packet *pk)
{
	struct pd_mdns *s = mi->s;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *to = dest;
	socklen_t tolen;
	int fd = af == AF_INET ? mi->fd4 : mi->fd6;

	if (fd < 0)
		return;
	if (to == NULL && af == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(PD_MDNS_PORT);
		inet_pton(AF_INET, PD_MDNS_GROUP4, &sin.sin_addr);
		to = (struct sockaddr *)&sin;
	} else if (to == NULL) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(PD_MDNS_PORT);
		sin6.sin6_scope_id = mi->info.index;
		inet_pton(AF_INET6, PD_MDNS_GROUP6, &sin6.sin6_addr);
		to = (struct sockaddr *)&sin6;
	}
	tolen = to->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if (sendto(fd, pk->data, pk->len, 0, to, tolen) < 0) {
		PD_LOG_DEBUG("%s: sendto: %s", mi->info.name,
		    strerror(errno));
		return;
	}
	s->stats.packets_out++;
	s->stats.bytes_out += pk->len;
}

/* Our answer on mi (ttl 0: goodbye), to the groups of both families. */
static void
mdns_announce(struct mdns_if *mi, uint32_t ttl, uint32_t addr_ttl)
{
	struct pd_mdns *s = mi->s;
	struct pd_multiaddr *mine, sel[PD_MDNS_MAX_ADDRS];
	struct pd_mdns_answer_in in;
	struct pd_peerid id;
	size_t n = 0, nsel;
	bool announce = false;

	if ((mine = calloc(PD_MDNS_MAX_ADDRS, sizeof(*mine))) == NULL)
		return;
	if (s->self(s->arg, &id, mine, PD_MDNS_MAX_ADDRS, &n, &announce) < 0) {
		free(mine);
		return;
	}
	nsel = pd_mdns_select_addrs(&mi->info, mine, n, announce, sel,
	    PD_MDNS_MAX_ADDRS);
	free(mine);
	memset(&in, 0, sizeof(in));
	in.peer_name = s->peer_name;
	in.service = s->service;
	in.id = &id;
	in.addrs = sel;
	in.naddrs = nsel;
	in.ttl = ttl;
	in.addr_ttl = addr_ttl;
	if (pd_mdns_build_answer(&in, s->scratch, s->reply) < 0)
		return;
	for (size_t i = 0; i < s->reply->npackets; i++) {
		mdns_send(mi, AF_INET, NULL, &s->reply->packets[i]);
		mdns_send(mi, AF_INET6, NULL, &s->reply->packets[i]);
	}
}

static void
mdns_arm_query(struct mdns_if *mi, int64_t ms)
{
	struct timeval tv;

	if (mi->query_ev == NULL)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(mi->query_ev, &tv);
}

static void
mdns_query_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_if *mi = arg;
	struct pd_mdns *s = mi->s;
	struct pd_mdns_packet *pk = &s->reply->packets[0];
	int64_t next;

	(void)fd;
	(void)what;
	if (pd_mdns_build_query(s->service, s->scratch, pk) == 0) {
		mdns_send(mi, AF_INET, NULL, pk);
		mdns_send(mi, AF_INET6, NULL, pk);
	}
	if (mi->nqueries < MDNS_NFIRST) {
		next = mdns_first_gaps[mi->nqueries];
	} else {
		int64_t j = s->interval_ms / 5;

		next = s->interval_ms - s->interval_ms / 10 +
		    (j > 0 ? (int64_t)randombytes_uniform((uint32_t)j + 1) : 0);
	}
	mi->nqueries++;
	mdns_arm_query(mi, next);
}

static struct mdns_if *
mdns_find_if(const struct pd_mdns *s, unsigned ifindex)
{
	for (size_t i = 0; i < s->nifs; i++)
		if (s->ifs[i]->info.index == ifindex)
			return s->ifs[i];
	return NULL;
}

static void
mdns_recv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdns_if *mi = arg;
	struct pd_mdns *s = mi->s;

	(void)what;
	for (int batch = 0; batch < PD_MDNS_RECV_BATCH; batch++) {
		struct sockaddr_storage src;
		union {
			char buf[MDNS_CMSG_SIZE];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { s->rbuf, PD_DNS_MAX_MSG };
		struct msghdr mh;
		struct cmsghdr *c;
		struct mdns_if *to;
		unsigned ifindex = 0;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &src;
		mh.msg_namelen = sizeof(src);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if ((n = recvmsg(fd, &mh, 0)) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				PD_LOG_DEBUG("%s: recvmsg: %s", mi->info.name, strerror(errno));
			return;
		}
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (unsigned)pi.ipi_ifindex;
			} else if (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = pi.ipi6_ifindex;
			}
		}
		if ((mh.msg_flags & MSG_TRUNC) || ifindex == 0 ||
		    (to = mdns_find_if(s, ifindex)) == NULL) {
			/* Truncated, or arrived on an interface we skip. */
			s->stats.packets_in++;
			s->stats.bytes_in += (uint64_t)n;
			s->stats.packets_dropped++;
			continue;
		}
		if (pd_mdns_input(s, ifindex, (struct sockaddr *)&src,
		    s->rbuf, (size_t)n, pd_time_mono_ms(), s->reply) < 0 ||
		    s->reply->dest == PD_MDNS_DEST_NONE)
			continue;
		for (size_t i = 0; i < s->reply->npackets; i++)
			mdns_send(to, src.ss_family, s->reply->dest ==
			    PD_MDNS_DEST_UNICAST ? (struct sockaddr *)&src :
			    NULL, &s->reply->packets[i]);
	}
}

/* ---- the service: interfaces ---- */

static void
mdns_if_free(struct mdns_if *mi)
{
	if (mi == NULL)
		return;
	mdns_close_if(mi);
	if (mi->query_ev != NULL)
		event_free(mi->query_ev);
	free(mi);
}

/* Start serving mi (sockets, first query now) when the service runs. */
static void
mdns_if_up(struct mdns_if *mi)
{
	char text[MDNS_LOG_ADDRS];

	if (!mi->s->started)
		return;
	if (mi->query_ev == NULL &&
	    (mi->query_ev = evtimer_new(mi->s->base, mdns_query_cb, mi)) ==
	    NULL)
		return;
	if (!mdns_open_if(mi))
		return;
	pd_mdns_iface_format(&mi->info, text, sizeof(text));
	PD_LOG_INFO("mdns: listening on %s", text);
	mi->nqueries = 0;
	mdns_arm_query(mi, 0);
}

static bool
mdns_same_addrs(const struct pd_mdns_iface *a, const struct pd_mdns_iface *b)
{
	if (a->n4 != b->n4 || a->n6 != b->n6)
		return false;
	for (size_t i = 0; i < a->n4; i++)
		if (a->ip4[i].addr.s_addr != b->ip4[i].addr.s_addr ||
		    a->ip4[i].mask.s_addr != b->ip4[i].mask.s_addr)
			return false;
	for (size_t i = 0; i < a->n6; i++)
		if (memcmp(&a->ip6[i].addr, &b->ip6[i].addr, 16) != 0 ||
		    a->ip6[i].prefixlen != b->ip6[i].prefixlen)
			return false;
	return true;
}

void
pd_mdns_set_ifaces(struct pd_mdns *s, const struct pd_mdns_iface *ifs,
    size_t n)
{
	if (n > PD_MDNS_MAX_IFACES)
		n = PD_MDNS_MAX_IFACES;
	/* Gone (or renamed / re-indexed). */
	for (size_t i = 0; i < s->nifs;) {
		struct mdns_if *mi = s->ifs[i];
		bool keep = false;

		for (size_t j = 0; j < n; j++)
			keep |= ifs[j].index == mi->info.index &&
			    strcmp(ifs[j].name, mi->info.name) == 0;
		if (keep) {
			i++;
			continue;
		}
		if (s->started) {
			mdns_announce(mi, 0, 0);
			PD_LOG_INFO("mdns: %s gone", mi->info.name);
		}
		mdns_if_free(mi);
		s->ifs[i] = s->ifs[--s->nifs];
	}
	for (size_t j = 0; j < n; j++) {
		struct mdns_if *mi = mdns_find_if(s, ifs[j].index);

		if (mi != NULL) {
			bool was_open = mi->fd4 >= 0 || mi->fd6 >= 0;

			if (!mdns_same_addrs(&mi->info, &ifs[j])) {
				/* New addresses: new memberships, new log. */
				mdns_close_if(mi);
				mi->info = ifs[j];
				mi->warned = false;
				mdns_if_up(mi);
			} else if (s->started && !was_open) {
				mdns_if_up(mi);
			} else {
				mi->info.flags = ifs[j].flags;
			}
			continue;
		}
		if (s->nifs == PD_MDNS_MAX_IFACES)
			break;
		if ((mi = calloc(1, sizeof(*mi))) == NULL)
			break;
		mi->s = s;
		mi->info = ifs[j];
		mi->fd4 = mi->fd6 = -1;
		s->ifs[s->nifs++] = mi;
		mdns_if_up(mi);
	}
}

size_t
pd_mdns_ifaces(const struct pd_mdns *s, char (*names)[IFNAMSIZ], size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nifs && k < max; i++)
		snprintf(names[k++], IFNAMSIZ, "%s", s->ifs[i]->info.name);
	return k;
}

static void
mdns_rescan(struct pd_mdns *s)
{
	struct pd_mdns_iface *all, *want;
	const char *allow[PD_MDNS_MAX_LIST], *deny[PD_MDNS_MAX_LIST];
	size_t n = 0, k = 0;
	int64_t now = pd_time_wall_ms();

	/* Expired learnt peers. */
	for (size_t i = 0; i < s->npeers;)
		if (s->peers[i].info.expires_ms <= now)
			s->peers[i] = s->peers[--s->npeers];
		else
			i++;
	all = calloc(4 * PD_MDNS_MAX_IFACES, sizeof(*all));
	want = calloc(PD_MDNS_MAX_IFACES, sizeof(*want));
	if (all == NULL || want == NULL ||
	    pd_mdns_iface_scan(all, 4 * PD_MDNS_MAX_IFACES, &n) < 0) {
		free(all);
		free(want);
		return;
	}
	for (size_t i = 0; i < s->nallow; i++)
		allow[i] = s->allow[i];
	for (size_t i = 0; i < s->ndeny; i++)
		deny[i] = s->deny[i];
	for (size_t i = 0; i < n && k < PD_MDNS_MAX_IFACES; i++)
		if (pd_mdns_iface_wanted(all[i].name, all[i].flags, allow,
		    s->nallow, deny, s->ndeny) &&
		    all[i].n4 + all[i].n6 > 0)
			want[k++] = all[i];
	pd_mdns_set_ifaces(s, want, k);
	free(all);
	free(want);
}

static void
mdns_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mdns_rescan(arg);
}

/* ---- the service: input ---- */

static struct mdns_peer *
mdns_peer_find(struct pd_mdns *s, const struct pd_peerid *id)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (pd_peerid_equal(&s->peers[i].info.id, id))
			return &s->peers[i];
	return NULL;
}

/* FNV-1a over the addresses, to notice a change. */
static uint64_t
mdns_addr_hash(const struct pd_mdns_heard *h)
{
	uint64_t x = 14695981039346656037ull;

	for (size_t i = 0; i < h->naddrs; i++)
		for (size_t j = 0; j < h->addrs[i].len; j++)
			x = (x ^ h->addrs[i].bytes[j]) * 1099511628211ull;
	return x ^ h->naddrs;
}

static void
mdns_learn(struct pd_mdns *s, struct mdns_if *mi, const struct pd_mdns_heard *h,
    uint64_t now_ms)
{
	struct mdns_peer *p = mdns_peer_find(s, &h->id);
	struct pd_mdns_found f;
	uint64_t hash;
	char peer[PD_PEERID_TEXT_MAX];
	int64_t now = pd_time_wall_ms();

	pd_peerid_format(&h->id, peer, sizeof(peer));
	if (h->ttl == 0) {
		if (p != NULL) {
			PD_LOG_DEBUG("goodbye from %s on %s", peer, mi->info.name);
			*p = s->peers[--s->npeers];
		}
		return;
	}
	if (h->naddrs == 0)
		return;
	memset(&f, 0, sizeof(f));
	if (p == NULL) {
		char list[MDNS_LOG_ADDRS] = "";

		if (!pd_mdns_bucket_take(&s->learn, s->new_peers_per_min,
		    now_ms)) {
			PD_LOG_DEBUG("%s on %s: over %u new peers a "
			    "minute, ignored", peer, mi->info.name,
			    s->new_peers_per_min);
			return;
		}
		if (s->npeers == PD_MDNS_MAX_PEERS) {
			size_t old = 0;

			for (size_t i = 1; i < s->npeers; i++)
				if (s->peers[i].info.last_seen_ms <
				    s->peers[old].info.last_seen_ms)
					old = i;
			s->peers[old] = s->peers[--s->npeers];
		}
		p = &s->peers[s->npeers++];
		memset(p, 0, sizeof(*p));
		p->info.id = h->id;
		s->stats.peers_learnt++;
		f.is_new = true;
		for (size_t i = 0; i < h->naddrs; i++) {
			char t[PD_MULTIADDR_MAX_TEXT + 1];
			size_t used = strlen(list);

			if (pd_multiaddr_format(&h->addrs[i], t,
			    sizeof(t)) >= 0 && used + strlen(t) + 2 <
			    sizeof(list))
				snprintf(list + used, sizeof(list) - used,
				    "%s%s", used > 0 ? " " : "", t);
		}
		PD_LOG_INFO("mdns: discovered %s on %s at %s", peer,
		    mi->info.name, list);
	}
	snprintf(p->info.ifname, sizeof(p->info.ifname), "%s", mi->info.name);
	p->info.last_seen_ms = now;
	p->info.expires_ms = now + (int64_t)h->ttl * 1000;
	/* Report new peers, changed addresses, and refresh once a minute. */
	hash = mdns_addr_hash(h);
	if (!f.is_new && hash == p->addr_hash && now_ms >= p->reported_ms &&
	    now_ms - p->reported_ms < MDNS_REPORT_MS)
		return;
	p->addr_hash = hash;
	p->reported_ms = now_ms;
	if (s->found != NULL) {
		f.id = &h->id;
		f.addrs = h->addrs;
		f.naddrs = h->naddrs;
		f.ttl = h->ttl;
		f.ifname = mi->info.name;
		s->found(s->arg, &f);
	}
}

static uint16_t
mdns_port(const struct sockaddr *src)
{
	return src->sa_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)(const void *)src)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)(const void *)src)->sin6_port);
}

/* Our PTR already in the query's known answers with >= half its TTL. */
static bool
mdns_known_answer(const struct pd_mdns *s, const struct pd_dns_msg *m)
{
	char target[PD_DNS_NAME_SIZE];

	snprintf(target, sizeof(target), "%s.%s", s->peer_name, s->service);
	for (size_t i = 0; i < m->nrr; i++)
		if (m->rr[i].section == PD_DNS_SEC_ANSWER &&
		    m->rr[i].type == PD_DNS_TYPE_PTR &&
		    pd_dns_name_eq(m->rr[i].name, s->service) &&
		    pd_dns_name_eq(m->rr[i].u.ptr, target) &&
		    m->rr[i].ttl >= PD_MDNS_TTL / 2)
			return true;
	return false;
}

static int
mdns_answer_query(struct pd_mdns *s, struct mdns_if *mi,
    const struct sockaddr *src, uint64_t now_ms,
    struct pd_mdns_reply *reply)
{
	const struct pd_dns_msg *m = s->msg;
	struct pd_multiaddr *mine, sel[PD_MDNS_MAX_ADDRS];
	struct pd_mdns_answer_in in;
	struct pd_peerid id;
	bool asked = false, unicast = false, announce = false;
	uint16_t port = mdns_port(src);
	size_t n = 0, nsel;
	int r;

	if (PD_DNS_OPCODE(m->flags) != 0)
		return 0;
	for (size_t i = 0; i < m->nq; i++)
		if (pd_dns_name_eq(m->q[i].name, s->service) &&
		    (m->q[i].type == PD_DNS_TYPE_PTR ||
		    m->q[i].type == PD_DNS_TYPE_ANY) &&
		    (m->q[i].qclass == PD_DNS_CLASS_IN ||
		    m->q[i].qclass == 255)) {
			asked = true;
			unicast |= m->q[i].unicast;
		}
	if (!asked || mdns_known_answer(s, m))
		return 0;
	memset(&in, 0, sizeof(in));
	in.legacy = port != PD_MDNS_PORT;
	in.legacy_id = m->id;
	unicast |= in.legacy;
	if (!pd_mdns_rate_answer(&mi->rate, src, !unicast, now_ms))
		return 0;
	if ((mine = calloc(PD_MDNS_MAX_ADDRS, sizeof(*mine))) == NULL)
		return PD_ERR_NOMEM;
	if (s->self(s->arg, &id, mine, PD_MDNS_MAX_ADDRS, &n, &announce) < 0) {
		free(mine);
		return 0;
	}
	nsel = pd_mdns_select_addrs(&mi->info, mine, n, announce, sel,
	    PD_MDNS_MAX_ADDRS);
	free(mine);
	in.peer_name = s->peer_name;
	in.service = s->service;
	in.id = &id;
	in.addrs = sel;
	in.naddrs = nsel;
	in.ttl = PD_MDNS_TTL;
	in.addr_ttl = PD_MDNS_ADDR_TTL;
	if ((r = pd_mdns_build_answer(&in, s->scratch, reply)) < 0)
		return r;
	if (reply->npackets > 0)
		reply->dest = unicast ? PD_MDNS_DEST_UNICAST :
		    PD_MDNS_DEST_MULTICAST;
	return 0;
}

int
pd_mdns_input(struct pd_mdns *s, unsigned ifindex,
    const struct sockaddr *src, const uint8_t *p, size_t len,
    uint64_t now_ms, struct pd_mdns_reply *ret_reply)
{
	struct mdns_if *mi = mdns_find_if(s, ifindex);
	char why[128];
	int r;

	ret_reply->dest = PD_MDNS_DEST_NONE;
	ret_reply->npackets = 0;
	s->stats.packets_in++;
	s->stats.bytes_in += len;
	if (mi == NULL) {
		s->stats.packets_dropped++;
		return PD_ERR_NOT_FOUND;
	}
	if (!pd_mdns_rate_packet(&mi->rate, now_ms, s->packets_per_s)) {
		s->stats.packets_dropped++;
		return PD_ERR_AGAIN;
	}
	if ((src->sa_family != AF_INET && src->sa_family != AF_INET6) ||
	    !pd_mdns_onlink(&mi->info, src)) {
		s->stats.packets_dropped++;
		return PD_ERR_PERM;
	}
	if ((r = pd_dns_decode(p, len, s->msg, why, sizeof(why))) < 0) {
		PD_LOG_DEBUG("%s: malformed packet: %s",
		    mi->info.name, why);
		s->stats.packets_dropped++;
		return PD_ERR_MALFORMED;
	}
	/*
	 * RFC 6762 §6 says to ignore responses whose source port is not
	 * 5353; not enforced yet (tests/tools/mdnsflood sends its answers
	 * from an ephemeral port).
	 */
	if (s->msg->flags & PD_DNS_FLAG_QR) {
		struct pd_peerid self;
		struct pd_multiaddr one;
		size_t n1 = 0, nh;
		bool ann;
		bool have_self = s->self(s->arg, &self, &one, 1, &n1,
		    &ann) == 0;

		nh = pd_mdns_parse_response(s->msg, s->service, have_self ?
		    &self : NULL, mi->info.name,
		    (mi->info.flags & IFF_LOOPBACK) != 0, s->heard,
		    PD_MDNS_MAX_PEERS_PER_PACKET);
		for (size_t i = 0; i < nh; i++)
			mdns_learn(s, mi, &s->heard[i], now_ms);
		return 0;
	}
	return mdns_answer_query(s, mi, src, now_ms, ret_reply);
}

/* ---- the service: lifetime ---- */

static int
mdns_copy_list(char (*dst)[IFNAMSIZ], size_t *ret_n, const char *const *src,
    size_t n, const char *what, char *why, size_t whylen)
{
	if (n > PD_MDNS_MAX_LIST) {
		mdns_why(why, whylen, "too many %s interfaces (at most %d)",
		    what, PD_MDNS_MAX_LIST);
		return PD_ERR_OVERFLOW;
	}
	for (size_t i = 0; i < n; i++)
		if (src[i] == NULL || src[i][0] == '\0' ||
		    strlen(src[i]) >= IFNAMSIZ) {
			mdns_why(why, whylen, "bad %s interface name", what);
			return PD_ERR_INVAL;
		}
	for (size_t i = 0; i < n; i++)
		snprintf(dst[i], IFNAMSIZ, "%s", src[i]);
	*ret_n = n;
	return 0;
}

int
pd_mdns_set_lists(struct pd_mdns *s, const char *const *allow,
    size_t nallow, const char *const *deny, size_t ndeny, char *why,
    size_t whylen)
{
	char a[PD_MDNS_MAX_LIST][IFNAMSIZ], d[PD_MDNS_MAX_LIST][IFNAMSIZ];
	size_t na = 0, nd = 0;
	int r;

	if ((r = mdns_copy_list(a, &na, allow, nallow, "allowed", why,
	    whylen)) < 0 || (r = mdns_copy_list(d, &nd, deny, ndeny, "denied",
	    why, whylen)) < 0)
		return r;
	memcpy(s->allow, a, sizeof(a));
	memcpy(s->deny, d, sizeof(d));
	s->nallow = na;
	s->ndeny = nd;
	if (s->started)
		mdns_rescan(s);
	return 0;
}

int
pd_mdns_new(struct event_base *base, const struct pd_mdns_config *cfg,
    struct pd_mdns **ret_s, char *why, size_t whylen)
{
	struct pd_mdns *s;
	int r;

	if (cfg->self == NULL) {
		mdns_why(why, whylen, "no self callback");
		return PD_ERR_INVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->base = base;
	if ((r = pd_mdns_service_name(cfg->service, NULL, s->service,
	    sizeof(s->service))) < 0) {
		mdns_why(why, whylen, "bad service name");
		free(s);
		return PD_ERR_INVAL;
	}
	s->interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms :
	    PD_MDNS_INTERVAL_MS;
	s->packets_per_s = cfg->packets_per_s > 0 ? cfg->packets_per_s :
	    PD_MDNS_PACKETS_PER_S;
	s->new_peers_per_min = cfg->new_peers_per_min > 0 ?
	    cfg->new_peers_per_min : PD_MDNS_NEW_PEERS_PER_MIN;
	s->self = cfg->self;
	s->found = cfg->found;
	s->arg = cfg->arg;
	if ((r = pd_mdns_set_lists(s, cfg->allow, cfg->nallow, cfg->deny,
	    cfg->ndeny, why, whylen)) < 0) {
		free(s);
		return r;
	}
	pd_mdns_peer_name(s->peer_name);
	s->peers = calloc(PD_MDNS_MAX_PEERS, sizeof(*s->peers));
	s->msg = malloc(sizeof(*s->msg));
	s->scratch = malloc(sizeof(*s->scratch));
	s->reply = malloc(sizeof(*s->reply));
	s->heard = calloc(PD_MDNS_MAX_PEERS_PER_PACKET, sizeof(*s->heard));
	s->rbuf = malloc(PD_DNS_MAX_MSG);
	if (s->peers == NULL || s->msg == NULL || s->scratch == NULL ||
	    s->reply == NULL || s->heard == NULL || s->rbuf == NULL) {
		pd_mdns_free(s);
		goto nomem;
	}
	*ret_s = s;
	return 0;
nomem:
	mdns_why(why, whylen, "out of memory");
	return PD_ERR_NOMEM;
}

int
pd_mdns_start(struct pd_mdns *s)
{
	struct timeval tv = { PD_MDNS_RESCAN_MS / 1000,
	    (PD_MDNS_RESCAN_MS % 1000) * 1000 };

	if (s->started)
		return 0;
	if ((s->rescan_ev = event_new(s->base, -1, EV_PERSIST, mdns_rescan_cb,
	    s)) == NULL)
		return PD_ERR_NOMEM;
	s->started = true;
	/* Interfaces installed before start are served now. */
	for (size_t i = 0; i < s->nifs; i++)
		mdns_if_up(s->ifs[i]);
	mdns_rescan(s);
	evtimer_add(s->rescan_ev, &tv);
	return 0;
}

void
pd_mdns_stop(struct pd_mdns *s)
{
	if (!s->started)
		return;
	for (size_t i = 0; i < s->nifs; i++) {
		mdns_announce(s->ifs[i], 0, 0);
		mdns_if_free(s->ifs[i]);
	}
	s->nifs = 0;
	s->npeers = 0;
	if (s->rescan_ev != NULL)
		event_free(s->rescan_ev);
	s->rescan_ev = NULL;
	s->started = false;
}

bool
pd_mdns_started(const struct pd_mdns *s)
{
	return s->started;
}

void
pd_mdns_free(struct pd_mdns *s)
{
	if (s == NULL)
		return;
	if (s->peers != NULL)
		pd_mdns_stop(s);
	for (size_t i = 0; i < s->nifs; i++)
		mdns_if_free(s->ifs[i]);
	free(s->peers);
	free(s->msg);
	free(s->scratch);
	free(s->reply);
	free(s->heard);
	free(s->rbuf);
	free(s);
}

void
pd_mdns_stats(const struct pd_mdns *s, struct pd_mdns_stats *ret)
{
	*ret = s->stats;
}

size_t
pd_mdns_peers(const struct pd_mdns *s, struct pd_mdns_peer_info *out,
    size_t max)
{
	size_t k = 0;
	int64_t now = pd_time_wall_ms();

	for (size_t i = 0; i < s->npeers && k < max; i++)
		if (s->peers[i].info.expires_ms > now)
			out[k++] = s->peers[i].info;
	return k;
}

const char *
pd_mdns_peer_name_get(const struct pd_mdns *s)
{
	return s->peer_name;
}

const char *
pd_mdns_service_get(const struct pd_mdns *s)
{
	return s->service;
}
