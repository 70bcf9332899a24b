/*
 * check_mdns.c - unit tests for lib/mdns/mdns.c and lib/discovery/mdns.c:
 * the pnet fingerprint and service names, interface selection, on-link
 * filtering, per-interface address selection, answer building (shape,
 * 1500-byte split, legacy unicast, goodbye), parsing answers (own ID,
 * conflicting IDs, zones), the rate limits on a fake clock, and the
 * service driven through pd_mdns_input() with an interface table passed
 * in.  One live test runs two services over multicast on the loopback
 * interface of a private network namespace; it is skipped (with a
 * message) when no namespace can be made.  Randomized parts print their
 * seed and honour PD_TEST_SEED.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <event2/event.h>
#include <sodium.h>

#include "core/error.h"
#include "core/time.h"
#include "crypto/key.h"
#include "discovery/mdns.h"
#include "mdns/dns.h"
#include "mdns/mdns.h"

#include "helpers.h"

#define TEST_IFINDEX 1000

static unsigned long test_seed;

static uint32_t
test_rng(void)
{
	test_seed = test_seed * 6364136223846793005ul + 1442695040888963407ul;
	return (uint32_t)(test_seed >> 33);
}

static void
make_id(unsigned n, struct pd_peerid *ret)
{
	uint8_t seed[PD_KEY_ED25519_SEED_LEN];
	struct pd_privkey k;
	struct pd_pubkey pub;

	memset(seed, 0, sizeof(seed));
	seed[0] = (uint8_t)n;
	seed[1] = (uint8_t)(n >> 8);
	seed[2] = 0x5a;
	ck_assert_int_eq(pd_privkey_from_seed(seed, &k), 0);
	ck_assert_int_eq(pd_privkey_public(&k, &pub), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, ret), 0);
	pd_privkey_clear(&k);
}

static struct pd_multiaddr
ma(const char *text)
{
	struct pd_multiaddr m;

	ck_assert_msg(pd_multiaddr_parse(text, &m, NULL, 0) == 0, "%s", text);
	return m;
}

static void
ma_text(const struct pd_multiaddr *m, char *out, size_t outlen)
{
	ck_assert_int_ge(pd_multiaddr_format(m, out, outlen), 0);
}

/* eth0-like: 10.0.0.1/24, fe80::1/64, 2001:db8::1/64. */
static void
test_iface(struct pd_mdns_iface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "eth9");
	ifc->index = TEST_IFINDEX;
	ifc->flags = IFF_UP | IFF_MULTICAST | IFF_BROADCAST;
	ifc->n4 = 1;
	inet_pton(AF_INET, "10.0.0.1", &ifc->ip4[0].addr);
	inet_pton(AF_INET, "255.255.255.0", &ifc->ip4[0].mask);
	ifc->n6 = 2;
	inet_pton(AF_INET6, "fe80::1", &ifc->ip6[0].addr);
	ifc->ip6[0].prefixlen = 64;
	inet_pton(AF_INET6, "2001:db8::1", &ifc->ip6[1].addr);
	ifc->ip6[1].prefixlen = 64;
}

static struct sockaddr_storage
sa(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

/* ---- names ---- */

START_TEST(test_fingerprint)
{
	uint8_t psk[32];
	char fp[PD_MDNS_FP_HEX + 1], name[PD_MDNS_MAX_SERVICE + 1];
	char expect[PD_MDNS_FP_HEX + 1];
	uint8_t h[crypto_hash_sha256_BYTES], in[16 + 32];

	/* Known answers (python hashlib), and the definition itself. */
	for (int i = 0; i < 32; i++)
		psk[i] = (uint8_t)i;
	pd_mdns_fingerprint(psk, fp);
	ck_assert_str_eq(fp, "805643976d11f618");
	memset(psk, 0xff, sizeof(psk));
	pd_mdns_fingerprint(psk, fp);
	ck_assert_str_eq(fp, "53aa6dacbaa9a1c6");
	memcpy(in, "peerdisc-pnet-v1", 16);
	memcpy(in + 16, psk, 32);
	crypto_hash_sha256(h, in, sizeof(in));
	for (int i = 0; i < 8; i++)
		snprintf(expect + 2 * i, 3, "%02x", h[i]);
	ck_assert_str_eq(fp, expect);

	ck_assert_int_eq(pd_mdns_service_name(NULL, NULL, name, sizeof(name)),
	    0);
	ck_assert_str_eq(name, "_p2p._udp.local");
	ck_assert_int_eq(pd_mdns_service_name(NULL, psk, name, sizeof(name)),
	    0);
	ck_assert_str_eq(name, "_p2p-53aa6dacbaa9a1c6._udp.local");
	ck_assert_int_eq(pd_mdns_service_name("_myapp._udp.local", psk, name,
	    sizeof(name)), 0);
	ck_assert_str_eq(name, "_myapp-53aa6dacbaa9a1c6._udp.local");
	/* a first label of 47+ chars cannot take the 17 more */
	ck_assert_int_eq(pd_mdns_service_name(
	    "_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa._udp.local", psk,
	    name, sizeof(name)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mdns_service_name("bad..name", NULL, name,
	    sizeof(name)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_mdns_service_name(NULL, psk, name, 10),
	    PD_ERR_OVERFLOW);
}
END_TEST

START_TEST(test_peer_name)
{
	char a[PD_MDNS_PEER_NAME_MAX + 1], b[PD_MDNS_PEER_NAME_MAX + 1];
	bool lens[PD_MDNS_PEER_NAME_MAX + 1] = { false };

	for (int round = 0; round < 500; round++) {
		size_t n;

		pd_mdns_peer_name(a);
		n = strlen(a);
		ck_assert_uint_ge(n, PD_MDNS_PEER_NAME_MIN);
		ck_assert_uint_le(n, PD_MDNS_PEER_NAME_MAX);
		ck_assert_uint_eq(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789"),
		    n);
		ck_assert_int_eq(pd_dns_name_check(a), 0);
		lens[n] = true;
	}
	ck_assert(lens[PD_MDNS_PEER_NAME_MIN] || lens[PD_MDNS_PEER_NAME_MIN + 1]);
	pd_mdns_peer_name(a);
	pd_mdns_peer_name(b);
	ck_assert_str_ne(a, b);
}
END_TEST

/* ---- interfaces ---- */

START_TEST(test_iface_wanted)
{
	const char *allow[] = { "lo", "eth1" }, *deny[] = { "docker0", "eth1" };
	unsigned ok = IFF_UP | IFF_MULTICAST;

	ck_assert(pd_mdns_iface_wanted("eth0", ok, NULL, 0, NULL, 0));
	ck_assert(!pd_mdns_iface_wanted("eth0", IFF_UP, NULL, 0, NULL, 0));
	ck_assert(!pd_mdns_iface_wanted("eth0", IFF_MULTICAST, NULL, 0, NULL,
	    0));
	ck_assert(!pd_mdns_iface_wanted("lo", ok | IFF_LOOPBACK, NULL, 0, NULL,
	    0));
	ck_assert(!pd_mdns_iface_wanted("tun0", ok | IFF_POINTOPOINT, NULL, 0,
	    NULL, 0));
	ck_assert(!pd_mdns_iface_wanted("docker0", ok, NULL, 0, deny, 2));
	/* the allow list may name loopback, but deny wins */
	ck_assert(pd_mdns_iface_wanted("lo", ok | IFF_LOOPBACK, allow, 2, NULL,
	    0));
	ck_assert(!pd_mdns_iface_wanted("lo", IFF_UP | IFF_LOOPBACK, allow, 2,
	    NULL, 0));
	ck_assert(!pd_mdns_iface_wanted("eth0", ok, allow, 2, NULL, 0));
	ck_assert(!pd_mdns_iface_wanted("eth1", ok, allow, 2, deny, 2));
}
END_TEST

START_TEST(test_iface_scan)
{
	struct pd_mdns_iface ifs[4 * PD_MDNS_MAX_IFACES];
	size_t n = 0;
	bool lo = false;
	char text[512];

	ck_assert_int_eq(pd_mdns_iface_scan(ifs, 4 * PD_MDNS_MAX_IFACES, &n),
	    0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_gt(ifs[i].index, 0);
		ck_assert_uint_eq(if_nametoindex(ifs[i].name), ifs[i].index);
		if (ifs[i].flags & IFF_LOOPBACK)
			lo = true;
		pd_mdns_iface_format(&ifs[i], text, sizeof(text));
		ck_assert(strncmp(text, ifs[i].name, strlen(ifs[i].name)) == 0);
	}
	/* the loopback interface exists wherever this runs */
	ck_assert(lo);
	test_iface(&ifs[0]);
	pd_mdns_iface_format(&ifs[0], text, sizeof(text));
	ck_assert_str_eq(text, "eth9 (10.0.0.1 fe80::1 2001:db8::1)");
}
END_TEST

START_TEST(test_onlink)
{
	struct pd_mdns_iface ifc;
	struct sockaddr_storage s;

	test_iface(&ifc);
	s = sa("10.0.0.77", 5353);
	ck_assert(pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("10.0.1.77", 5353);
	ck_assert(!pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("192.168.0.1", 5353);
	ck_assert(!pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("fe80::abcd", 5353);
	ck_assert(pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("2001:db8::99", 5353);
	ck_assert(pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("2001:db8:1::99", 5353);
	ck_assert(!pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("::ffff:10.0.0.9", 5353);
	ck_assert(pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	s = sa("::ffff:10.9.0.9", 5353);
	ck_assert(!pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
	/* an interface with no IPv4 address accepts no IPv4 source */
	ifc.n4 = 0;
	s = sa("10.0.0.77", 5353);
	ck_assert(!pd_mdns_onlink(&ifc, (struct sockaddr *)&s));
}
END_TEST

START_TEST(test_select_addrs)
{
	struct pd_mdns_iface ifc;
	struct pd_multiaddr in[10], out[PD_MDNS_MAX_ADDRS];
	char t[PD_MULTIADDR_MAX_TEXT + 1];
	size_t n;

	test_iface(&ifc);
	in[0] = ma("/ip4/0.0.0.0/tcp/4001");
	in[1] = ma("/ip4/127.0.0.1/tcp/4002");
	in[2] = ma("/ip4/10.0.0.1/tcp/4003");
	in[3] = ma("/ip4/192.168.5.5/tcp/4004");
	in[4] = ma("/ip6/::/tcp/4005");
	in[5] = ma("/ip6/2001:db8::1/tcp/4006/p2p/"
	    "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
	in[6] = ma("/ip6/2001:db8::2/tcp/4007");
	in[7] = ma("/ip4/10.0.0.1/udp/4008/quic-v1");
	in[8] = ma("/dns4/example.org/tcp/4009");
	in[9] = ma("/ip4/10.0.0.1/tcp/4003");		/* duplicate */
	n = pd_mdns_select_addrs(&ifc, in, 10, false, out, PD_MDNS_MAX_ADDRS);
	ck_assert_uint_eq(n, 5);		/* not 2001:db8::2: not ours */
	ma_text(&out[0], t, sizeof(t));
	ck_assert_str_eq(t, "/ip4/10.0.0.1/tcp/4001");
	ma_text(&out[1], t, sizeof(t));
	ck_assert_str_eq(t, "/ip4/10.0.0.1/tcp/4003");
	ma_text(&out[2], t, sizeof(t));
	ck_assert_str_eq(t, "/ip6/fe80::1/tcp/4005");
	ma_text(&out[3], t, sizeof(t));
	ck_assert_str_eq(t, "/ip6/2001:db8::1/tcp/4005");
	ma_text(&out[4], t, sizeof(t));
	ck_assert_str_eq(t, "/ip6/2001:db8::1/tcp/4006");
	/* announce: as configured (ip4/ip6 tcp only), not filtered */
	n = pd_mdns_select_addrs(&ifc, in, 10, true, out, PD_MDNS_MAX_ADDRS);
	ck_assert_uint_eq(n, 7);
	ma_text(&out[1], t, sizeof(t));
	ck_assert_str_eq(t, "/ip4/127.0.0.1/tcp/4002");
	/* the cap */
	n = pd_mdns_select_addrs(&ifc, in, 10, true, out, 2);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* ---- answers ---- */

static struct pd_dns_msg *
test_msg(void)
{
	struct pd_dns_msg *m = malloc(sizeof(*m));

	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(test_build_answer)
{
	struct pd_dns_msg *scratch = test_msg(), *m = test_msg();
	struct pd_mdns_reply *r = malloc(sizeof(*r));
	struct pd_mdns_answer_in in;
	struct pd_multiaddr addrs[2];
	struct pd_peerid id;
	char idt[PD_PEERID_TEXT_MAX], want[256];
	const uint8_t *txt;
	size_t len;

	make_id(1, &id);
	pd_peerid_format(&id, idt, sizeof(idt));
	addrs[0] = ma("/ip4/10.0.0.1/tcp/4001");
	addrs[1] = ma("/ip6/fe80::1/tcp/4001");
	memset(&in, 0, sizeof(in));
	in.peer_name = "abcdefghijklmnopqrstuvwxyz012345";
	in.id = &id;
	in.addrs = addrs;
	in.naddrs = 2;
	in.ttl = PD_MDNS_TTL;
	in.addr_ttl = PD_MDNS_ADDR_TTL;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_uint_eq(r->npackets, 1);
	ck_assert_uint_le(r->packets[0].len, PD_MDNS_MAX_PACKET);
	ck_assert_int_eq(pd_dns_decode(r->packets[0].data, r->packets[0].len,
	    m, NULL, 0), 0);
	ck_assert_uint_eq(m->flags, 0x8400);
	ck_assert_uint_eq(m->id, 0);
	ck_assert_uint_eq(m->nq, 0);
	ck_assert_uint_eq(m->nan, 1);
	ck_assert_uint_eq(m->rr[0].type, PD_DNS_TYPE_PTR);
	ck_assert_str_eq(m->rr[0].name, "_p2p._udp.local");
	ck_assert_str_eq(m->rr[0].u.ptr,
	    "abcdefghijklmnopqrstuvwxyz012345._p2p._udp.local");
	ck_assert_uint_eq(m->rr[0].ttl, PD_MDNS_TTL);
	ck_assert(!m->rr[0].cache_flush);
	ck_assert_uint_eq(m->nar, 4);		/* TXT SRV A AAAA */
	ck_assert_uint_eq(m->rr[1].type, PD_DNS_TYPE_TXT);
	ck_assert_uint_eq(m->rr[1].u.txt.n, 2);
	txt = pd_dns_txt_get(m, &m->rr[1], 0, &len);
	snprintf(want, sizeof(want), "dnsaddr=/ip4/10.0.0.1/tcp/4001/p2p/%s",
	    idt);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(txt, want, len) == 0);
	ck_assert_uint_eq(m->rr[2].type, PD_DNS_TYPE_SRV);
	ck_assert_uint_eq(m->rr[2].u.srv.port, 4001);
	ck_assert_str_eq(m->rr[2].u.srv.target,
	    "abcdefghijklmnopqrstuvwxyz012345.local");
	ck_assert_uint_eq(m->rr[3].type, PD_DNS_TYPE_A);
	ck_assert_uint_eq(m->rr[3].ttl, PD_MDNS_ADDR_TTL);
	ck_assert_uint_eq(m->rr[4].type, PD_DNS_TYPE_AAAA);
	ck_assert(m->rr[1].cache_flush);

	/* legacy unicast: ID and question echoed, TTL <= 10, no flush */
	in.legacy = true;
	in.legacy_id = 0x1234;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_uint_eq(r->npackets, 1);
	ck_assert_int_eq(pd_dns_decode(r->packets[0].data, r->packets[0].len,
	    m, NULL, 0), 0);
	ck_assert_uint_eq(m->id, 0x1234);
	ck_assert_uint_eq(m->nq, 1);
	ck_assert_str_eq(m->q[0].name, "_p2p._udp.local");
	for (size_t i = 0; i < m->nrr; i++) {
		ck_assert_uint_le(m->rr[i].ttl, PD_MDNS_LEGACY_TTL);
		ck_assert(!m->rr[i].cache_flush);
	}

	/* goodbye */
	in.legacy = false;
	in.ttl = in.addr_ttl = 0;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_int_eq(pd_dns_decode(r->packets[0].data, r->packets[0].len,
	    m, NULL, 0), 0);
	for (size_t i = 0; i < m->nrr; i++)
		ck_assert_uint_eq(m->rr[i].ttl, 0);

	/* no address: nothing to send */
	in.naddrs = 0;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_uint_eq(r->npackets, 0);
	free(scratch);
	free(m);
	free(r);
}
END_TEST

START_TEST(test_build_split)
{
	struct pd_dns_msg *scratch = test_msg(), *m = test_msg();
	struct pd_mdns_reply *r = malloc(sizeof(*r));
	struct pd_mdns_answer_in in;
	struct pd_multiaddr addrs[PD_MDNS_MAX_ADDRS];
	struct pd_mdns_heard heard[4];
	struct pd_peerid id;
	bool seen[PD_MDNS_MAX_ADDRS] = { false };
	size_t total = 0;

	make_id(2, &id);
	for (int i = 0; i < PD_MDNS_MAX_ADDRS; i++) {
		char t[128];

		snprintf(t, sizeof(t), "/ip6/2001:db8:aaaa:bbbb:cccc:dddd:"
		    "eeee:%x/tcp/%d", i + 1, 40000 + i);
		addrs[i] = ma(t);
	}
	memset(&in, 0, sizeof(in));
	in.peer_name = "zyxwvutsrqponmlkjihgfedcba9876543210zyxwvutsrqponmlkji"
	    "hgfedcb";
	in.id = &id;
	in.addrs = addrs;
	in.naddrs = PD_MDNS_MAX_ADDRS;
	in.ttl = PD_MDNS_TTL;
	in.addr_ttl = PD_MDNS_ADDR_TTL;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_uint_ge(r->npackets, 3);
	for (size_t p = 0; p < r->npackets; p++) {
		size_t n;

		ck_assert_uint_le(r->packets[p].len, PD_MDNS_MAX_PACKET);
		ck_assert_int_eq(pd_dns_decode(r->packets[p].data,
		    r->packets[p].len, m, NULL, 0), 0);
		/* each packet is a complete answer on its own */
		n = pd_mdns_parse_response(m, NULL, NULL, "eth9", false, heard,
		    4);
		ck_assert_uint_eq(n, 1);
		ck_assert(pd_peerid_equal(&heard[0].id, &id));
		ck_assert_uint_gt(heard[0].naddrs, 0);
		for (size_t i = 0; i < heard[0].naddrs; i++)
			for (int j = 0; j < PD_MDNS_MAX_ADDRS; j++)
				if (pd_multiaddr_equal(&heard[0].addrs[i],
				    &addrs[j])) {
					ck_assert(!seen[j]);
					seen[j] = true;
					total++;
				}
	}
	/* PD_MDNS_MAX_PEER_ADDRS is what one packet yields at most */
	ck_assert_uint_eq(total, PD_MDNS_MAX_ADDRS);
	free(scratch);
	free(m);
	free(r);
}
END_TEST

START_TEST(test_parse_response)
{
	struct pd_dns_msg *m = test_msg();
	struct pd_mdns_heard heard[4];
	struct pd_peerid a, b;
	char at[PD_PEERID_TEXT_MAX], bt[PD_PEERID_TEXT_MAX], s[6][200];
	const char *strs[6];
	char t[PD_MULTIADDR_MAX_TEXT + 1];
	size_t n;

	make_id(3, &a);
	make_id(4, &b);
	pd_peerid_format(&a, at, sizeof(at));
	pd_peerid_format(&b, bt, sizeof(bt));
	/* js shape: PTR and one TXT per address, all in Answer */
	snprintf(s[0], sizeof(s[0]), "dnsaddr=/ip4/10.0.0.5/tcp/4001/p2p/%s",
	    at);
	snprintf(s[1], sizeof(s[1]), "dnsaddr=/ip6/fe80::5/tcp/4001/p2p/%s",
	    at);
	snprintf(s[2], sizeof(s[2]), "dnsaddr=/ip4/127.0.0.1/tcp/4001/p2p/%s",
	    at);
	snprintf(s[3], sizeof(s[3]), "dnsaddr=/ip4/10.0.0.5/udp/4001/quic-v1/"
	    "p2p/%s", at);
	snprintf(s[4], sizeof(s[4]), "dnsaddr=/ip4/10.0.0.5/tcp/4002");
	snprintf(s[5], sizeof(s[5]), "dnsaddr=garbage");
	pd_dns_msg_init(m, 0, PD_DNS_FLAGS_RESPONSE);
	ck_assert_int_eq(pd_dns_msg_add_ptr(m, PD_DNS_SEC_ANSWER,
	    "_p2p._udp.local", 120, false, "peer1._p2p._udp.local"), 0);
	for (int i = 0; i < 6; i++) {
		strs[0] = s[i];
		ck_assert_int_eq(pd_dns_msg_add_txt(m, PD_DNS_SEC_ANSWER,
		    "peer1._p2p._udp.local", 120, false, strs, NULL, 1), 0);
	}
	n = pd_mdns_parse_response(m, NULL, &b, "eth9", false, heard, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(pd_peerid_equal(&heard[0].id, &a));
	ck_assert_uint_eq(heard[0].ttl, 120);
	ck_assert_uint_eq(heard[0].naddrs, 2);
	ma_text(&heard[0].addrs[0], t, sizeof(t));
	ck_assert_str_eq(t, "/ip4/10.0.0.5/tcp/4001");
	ma_text(&heard[0].addrs[1], t, sizeof(t));
	ck_assert_str_eq(t, "/ip6zone/eth9/ip6/fe80::5/tcp/4001");
	/* loopback allowed on a loopback interface */
	n = pd_mdns_parse_response(m, NULL, &b, "lo", true, heard, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(heard[0].naddrs, 3);
	/* our own ID: ignored */
	ck_assert_uint_eq(pd_mdns_parse_response(m, NULL, &a, "eth9", false,
	    heard, 4), 0);
	/* another service: nothing */
	ck_assert_uint_eq(pd_mdns_parse_response(m, "_p2p-0011223344556677."
	    "_udp.local", &b, "eth9", false, heard, 4), 0);
	/* two IDs under one peer-name: ignored whole */
	snprintf(s[0], sizeof(s[0]), "dnsaddr=/ip4/10.0.0.6/tcp/4001/p2p/%s",
	    bt);
	strs[0] = s[0];
	ck_assert_int_eq(pd_dns_msg_add_txt(m, PD_DNS_SEC_ADDITIONAL,
	    "PEER1._p2p._udp.local", 120, false, strs, NULL, 1), 0);
	ck_assert_uint_eq(pd_mdns_parse_response(m, NULL, NULL, "eth9", false,
	    heard, 4), 0);
	free(m);
}
END_TEST

/* ---- rate limits ---- */

START_TEST(test_rate_packet)
{
	struct pd_mdns_rate r;
	unsigned ok = 0;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 300; i++)
		ok += pd_mdns_rate_packet(&r, 5000 + (uint64_t)i, 200);
	ck_assert_uint_eq(ok, 200);
	ck_assert(!pd_mdns_rate_packet(&r, 5999, 200));
	ck_assert(pd_mdns_rate_packet(&r, 6000, 200));
	/* a clock going backwards opens a new window, never blocks */
	ck_assert(pd_mdns_rate_packet(&r, 10, 200));
}
END_TEST

START_TEST(test_rate_answer)
{
	struct pd_mdns_rate r;
	struct sockaddr_storage a = sa("10.0.0.2", 5353);
	struct sockaddr_storage a2 = sa("10.0.0.2", 40000);
	struct sockaddr_storage b = sa("10.0.0.3", 5353);
	struct sockaddr_storage c = sa("fe80::3", 5353);

	memset(&r, 0, sizeof(r));
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&a, true, 1000));
	/* same source within 250 ms: no */
	ck_assert(!pd_mdns_rate_answer(&r, (struct sockaddr *)&a, true, 1100));
	ck_assert(!pd_mdns_rate_answer(&r, (struct sockaddr *)&a, false, 1249));
	/* another port is another source */
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&a2, false, 1100));
	/* new question from b: multicast again at once */
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&b, true, 1200));
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&c, true, 1210));
	/* a again after 300 ms: not new, last multicast 90 ms ago: no */
	ck_assert(!pd_mdns_rate_answer(&r, (struct sockaddr *)&a, true, 1300));
	/* but a unicast answer is fine */
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&a, false, 1300));
	/* a second after the last multicast: yes */
	ck_assert(!pd_mdns_rate_answer(&r, (struct sockaddr *)&b, true, 2100));
	ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&b, true, 2210));
	/* the source table is capped; old entries are reused */
	for (int i = 0; i < 3 * PD_MDNS_MAX_SOURCES; i++) {
		char ip[32];
		struct sockaddr_storage x;

		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 200, i % 200 + 1);
		x = sa(ip, 5353);
		ck_assert(pd_mdns_rate_answer(&r, (struct sockaddr *)&x, true,
		    3000 + (uint64_t)i));
	}
	ck_assert_uint_eq(r.nsources, PD_MDNS_MAX_SOURCES);
}
END_TEST

START_TEST(test_bucket)
{
	struct pd_mdns_bucket b;
	unsigned ok = 0;

	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 150; i++)
		ok += pd_mdns_bucket_take(&b, 100, 1000);
	ck_assert_uint_eq(ok, 100);
	ck_assert(!pd_mdns_bucket_take(&b, 100, 1599));
	ck_assert(pd_mdns_bucket_take(&b, 100, 1600));	/* 0.6 s: one */
	ck_assert(!pd_mdns_bucket_take(&b, 100, 1600));
	ok = 0;
	for (int i = 0; i < 150; i++)
		ok += pd_mdns_bucket_take(&b, 100, 1000000);
	ck_assert_uint_eq(ok, 100);			/* burst capped */
}
END_TEST

/* ---- the service through pd_mdns_input() ---- */

struct svc_world {
	struct pd_peerid id;
	struct pd_multiaddr addrs[2];
	size_t naddrs;
	unsigned found;
	unsigned found_new;
	struct pd_peerid last;
	size_t last_naddrs;
	uint32_t last_ttl;
	char last_if[IFNAMSIZ];
};

static int
svc_self(void *arg, struct pd_peerid *ret_id, struct pd_multiaddr *addrs,
    size_t max, size_t *ret_n, bool *ret_announce)
{
	struct svc_world *w = arg;
	size_t n = 0;

	*ret_id = w->id;
	for (size_t i = 0; i < w->naddrs && n < max; i++)
		addrs[n++] = w->addrs[i];
	*ret_n = n;
	*ret_announce = false;
	return 0;
}

static void
svc_found(void *arg, const struct pd_mdns_found *f)
{
	struct svc_world *w = arg;

	w->found++;
	w->found_new += f->is_new;
	w->last = *f->id;
	w->last_naddrs = f->naddrs;
	w->last_ttl = f->ttl;
	snprintf(w->last_if, sizeof(w->last_if), "%s", f->ifname);
}

/* Answer packet of peer n (10.0.0.<n+10>) through the real builder. */
static size_t
peer_answer(unsigned n, uint32_t ttl, struct pd_mdns_reply *r,
    struct pd_dns_msg *scratch)
{
	struct pd_mdns_answer_in in;
	struct pd_multiaddr a;
	struct pd_peerid id;
	char t[64], name[64];

	make_id(n, &id);
	snprintf(t, sizeof(t), "/ip4/10.0.0.%u/tcp/4001", 10 + n % 200);
	snprintf(name, sizeof(name), "peername%05uxxxxxxxxxxxxxxxxxxxxxxx", n);
	a = ma(t);
	memset(&in, 0, sizeof(in));
	in.peer_name = name;
	in.id = &id;
	in.addrs = &a;
	in.naddrs = 1;
	in.ttl = ttl;
	in.addr_ttl = ttl;
	ck_assert_int_eq(pd_mdns_build_answer(&in, scratch, r), 0);
	ck_assert_uint_eq(r->npackets, 1);
	return r->packets[0].len;
}

START_TEST(test_service_input)
{
	struct event_base *base = event_base_new();
	struct svc_world w;
	struct pd_mdns_config cfg;
	struct pd_mdns *s;
	struct pd_mdns_iface ifc;
	struct pd_mdns_reply *r = malloc(sizeof(*r)), *pr = malloc(sizeof(*pr));
	struct pd_dns_msg *scratch = test_msg(), *m = test_msg();
	struct pd_mdns_packet q;
	struct pd_mdns_stats st;
	struct pd_mdns_peer_info info[4];
	struct sockaddr_storage src = sa("10.0.0.2", 5353);
	struct sockaddr_storage legacy = sa("10.0.0.2", 41000);
	struct sockaddr_storage off = sa("10.0.9.2", 5353);
	struct pd_mdns_heard heard[2];
	char names[4][IFNAMSIZ], why[128];
	uint64_t now = 100000;
	size_t len;
	uint8_t junk[40];

	memset(&w, 0, sizeof(w));
	make_id(100, &w.id);
	w.addrs[0] = ma("/ip4/0.0.0.0/tcp/4001");
	w.addrs[1] = ma("/ip6/::/tcp/4001");
	w.naddrs = 2;
	memset(&cfg, 0, sizeof(cfg));
	cfg.self = svc_self;
	cfg.found = svc_found;
	cfg.arg = &w;
	ck_assert_int_eq(pd_mdns_new(base, &cfg, &s, why, sizeof(why)), 0);
	ck_assert(!pd_mdns_started(s));
	ck_assert_str_eq(pd_mdns_service_get(s), "_p2p._udp.local");
	test_iface(&ifc);
	pd_mdns_set_ifaces(s, &ifc, 1);
	ck_assert_uint_eq(pd_mdns_ifaces(s, names, 4), 1);
	ck_assert_str_eq(names[0], "eth9");

	/* a PTR query: our answer, multicast, with 10.0.0.1 */
	ck_assert_int_eq(pd_mdns_build_query(NULL, scratch, &q), 0);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    q.data, q.len, now, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_MULTICAST);
	ck_assert_uint_eq(r->npackets, 1);
	ck_assert_int_eq(pd_dns_decode(r->packets[0].data, r->packets[0].len,
	    m, NULL, 0), 0);
	ck_assert_uint_eq(pd_mdns_parse_response(m, NULL, NULL, "eth9", false,
	    heard, 2), 1);
	ck_assert(pd_peerid_equal(&heard[0].id, &w.id));
	ck_assert_uint_eq(heard[0].naddrs, 3);	/* 10.0.0.1, fe80::1, 2001.. */
	/* its PTR target is our peer-name */
	ck_assert(pd_dns_name_ends_with(m->rr[0].u.ptr, "_p2p._udp.local"));
	ck_assert(strncmp(m->rr[0].u.ptr, pd_mdns_peer_name_get(s),
	    strlen(pd_mdns_peer_name_get(s))) == 0);
	/* asked again at once: rate-limited, no reply */
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    q.data, q.len, now + 10, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_NONE);
	/* legacy unicast (source port not 5353): unicast, ID echoed */
	scratch->id = 0x4242;
	ck_assert_int_eq(pd_dns_build_libp2p_query(scratch, NULL, false), 0);
	scratch->id = 0x4242;
	ck_assert_int_eq(pd_dns_encode_raw(scratch, q.data, sizeof(q.data),
	    &q.len), 0);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX,
	    (struct sockaddr *)&legacy, q.data, q.len, now + 20, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_UNICAST);
	ck_assert_int_eq(pd_dns_decode(r->packets[0].data, r->packets[0].len,
	    m, NULL, 0), 0);
	ck_assert_uint_eq(m->id, 0x4242);
	/* QU bit: unicast */
	ck_assert_int_eq(pd_dns_build_libp2p_query(scratch, NULL, true), 0);
	ck_assert_int_eq(pd_dns_encode_raw(scratch, q.data, sizeof(q.data),
	    &q.len), 0);
	src = sa("10.0.0.3", 5353);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    q.data, q.len, now + 30, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_UNICAST);
	/* another service's query: no answer */
	ck_assert_int_eq(pd_dns_build_libp2p_query(scratch, "_other._udp.local",
	    false), 0);
	ck_assert_int_eq(pd_dns_encode_raw(scratch, q.data, sizeof(q.data),
	    &q.len), 0);
	src = sa("10.0.0.4", 5353);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    q.data, q.len, now + 40, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_NONE);

	/* off-link, unknown interface, malformed: dropped and counted */
	pd_mdns_stats(s, &st);
	ck_assert_uint_eq(st.packets_dropped, 0);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&off,
	    q.data, q.len, now + 50, r), PD_ERR_PERM);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX + 1,
	    (struct sockaddr *)&src, q.data, q.len, now + 50, r),
	    PD_ERR_NOT_FOUND);
	memset(junk, 0xc0, sizeof(junk));
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    junk, sizeof(junk), now + 50, r), PD_ERR_MALFORMED);
	pd_mdns_stats(s, &st);
	ck_assert_uint_eq(st.packets_dropped, 3);
	ck_assert_uint_eq(st.packets_in, 8);

	/* a peer's answer: learnt once, then refreshed quietly */
	src = sa("10.0.0.11", 5353);
	len = peer_answer(1, 360, pr, scratch);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 60, r), 0);
	ck_assert_int_eq(r->dest, PD_MDNS_DEST_NONE);
	ck_assert_uint_eq(w.found, 1);
	ck_assert_uint_eq(w.found_new, 1);
	ck_assert_uint_eq(w.last_ttl, 360);
	ck_assert_uint_eq(w.last_naddrs, 1);
	ck_assert_str_eq(w.last_if, "eth9");
	ck_assert_uint_eq(pd_mdns_peers(s, info, 4), 1);
	ck_assert(pd_peerid_equal(&info[0].id, &w.last));
	ck_assert_str_eq(info[0].ifname, "eth9");
	ck_assert_int_ge(info[0].last_seen_ms, pd_time_wall_ms() - 5000);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 70, r), 0);
	ck_assert_uint_eq(w.found, 1);
	/* a minute later it is reported again (store TTL refresh) */
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 60 + 60000, r), 0);
	ck_assert_uint_eq(w.found, 2);
	ck_assert_uint_eq(w.found_new, 1);
	/* our own answer (looped back): ignored */
	len = peer_answer(100, 360, pr, scratch);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 80, r), 0);
	ck_assert_uint_eq(w.found, 2);
	ck_assert_uint_eq(pd_mdns_peers(s, info, 4), 1);
	/* goodbye: forgotten */
	len = peer_answer(1, 0, pr, scratch);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 90, r), 0);
	ck_assert_uint_eq(pd_mdns_peers(s, info, 4), 0);
	pd_mdns_stats(s, &st);
	ck_assert_uint_eq(st.peers_learnt, 1);

	/* interface gone: its packets are refused */
	pd_mdns_set_ifaces(s, NULL, 0);
	ck_assert_uint_eq(pd_mdns_ifaces(s, names, 4), 0);
	ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
	    pr->packets[0].data, len, now + 100, r), PD_ERR_NOT_FOUND);
	pd_mdns_free(s);
	event_base_free(base);
	free(r);
	free(pr);
	free(scratch);
	free(m);
}
END_TEST

START_TEST(test_service_limits)
{
	struct event_base *base = event_base_new();
	struct svc_world w;
	struct pd_mdns_config cfg;
	struct pd_mdns *s;
	struct pd_mdns_iface ifc;
	struct pd_mdns_reply *r = malloc(sizeof(*r)), *pr = malloc(sizeof(*pr));
	struct pd_dns_msg *scratch = test_msg();
	struct pd_mdns_peer_info *info = calloc(PD_MDNS_MAX_PEERS,
	    sizeof(*info));
	struct pd_mdns_stats st;
	struct sockaddr_storage src = sa("10.0.0.2", 5353);
	uint64_t now = 5000000;
	unsigned again = 0, order[150];
	char why[128];

	memset(&w, 0, sizeof(w));
	make_id(999, &w.id);
	memset(&cfg, 0, sizeof(cfg));
	cfg.self = svc_self;
	cfg.found = svc_found;
	cfg.arg = &w;
	ck_assert_int_eq(pd_mdns_new(base, &cfg, &s, why, sizeof(why)), 0);
	test_iface(&ifc);
	pd_mdns_set_ifaces(s, &ifc, 1);
	/* 150 distinct peers in random order, well within the packet rate:
	 * only 100 are learnt in the first minute */
	for (unsigned i = 0; i < 150; i++)
		order[i] = i + 1;
	for (unsigned i = 149; i > 0; i--) {
		unsigned j = test_rng() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < 150; i++) {
		size_t len = peer_answer(order[i], 360, pr, scratch);

		ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX,
		    (struct sockaddr *)&src, pr->packets[0].data, len,
		    now + i / 10, r), 0);
	}
	ck_assert_uint_eq(w.found_new, 100);
	ck_assert_uint_eq(pd_mdns_peers(s, info, PD_MDNS_MAX_PEERS), 100);
	/* 0.6 s later: one more */
	{
		size_t len = peer_answer(500, 360, pr, scratch);

		ck_assert_int_eq(pd_mdns_input(s, TEST_IFINDEX,
		    (struct sockaddr *)&src, pr->packets[0].data, len,
		    now + 15 + 600, r), 0);
		ck_assert_uint_eq(w.found_new, 101);
	}
	/* packet flood: 200 per second processed, the rest dropped */
	pd_mdns_stats(s, &st);
	for (unsigned i = 0; i < 1000; i++) {
		size_t len = peer_answer(1, 360, pr, scratch);

		if (pd_mdns_input(s, TEST_IFINDEX, (struct sockaddr *)&src,
		    pr->packets[0].data, len, now + 10000 + i / 2, r) ==
		    PD_ERR_AGAIN)
			again++;
	}
	ck_assert_uint_eq(again, 800);
	{
		struct pd_mdns_stats st2;

		pd_mdns_stats(s, &st2);
		ck_assert_uint_eq(st2.packets_dropped - st.packets_dropped, 800);
		ck_assert_uint_eq(st2.packets_in - st.packets_in, 1000);
	}
	pd_mdns_free(s);
	event_base_free(base);
	free(r);
	free(pr);
	free(scratch);
	free(info);
}
END_TEST

START_TEST(test_service_new_errors)
{
	struct pd_mdns_config cfg;
	struct pd_mdns *s = NULL;
	const char *longlist[PD_MDNS_MAX_LIST + 1];
	char why[128] = "";
	struct svc_world w;

	memset(&w, 0, sizeof(w));
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(pd_mdns_new(NULL, &cfg, &s, why, sizeof(why)),
	    PD_ERR_INVAL);
	cfg.self = svc_self;
	cfg.arg = &w;
	cfg.service = "bad..service";
	ck_assert_int_eq(pd_mdns_new(NULL, &cfg, &s, why, sizeof(why)),
	    PD_ERR_INVAL);
	ck_assert_ptr_null(s);
	cfg.service = NULL;
	for (int i = 0; i <= PD_MDNS_MAX_LIST; i++)
		longlist[i] = "eth0";
	cfg.deny = longlist;
	cfg.ndeny = PD_MDNS_MAX_LIST + 1;
	ck_assert_int_eq(pd_mdns_new(NULL, &cfg, &s, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	ck_assert_ptr_null(s);
	cfg.ndeny = 1;
	ck_assert_int_eq(pd_mdns_new(NULL, &cfg, &s, why, sizeof(why)), 0);
	longlist[0] = "averyveryverylongname";
	ck_assert_int_eq(pd_mdns_set_lists(s, longlist, 1, NULL, 0, why,
	    sizeof(why)), PD_ERR_INVAL);
	pd_mdns_free(s);
	pd_mdns_free(NULL);
	pd_disc_mdns_free(NULL);
}
END_TEST

/* ---- the adapter, without a manager ---- */

START_TEST(test_adapter)
{
	struct pd_disc_mdns_config dc;
	struct pd_disc_mdns *d;
	struct pd_mdns_stats st;
	struct pd_mdns_peer_info info[2];
	const char *allow[] = { "eth0" }, *bad[] = { "" };
	char names[2][IFNAMSIZ], why[128];

	memset(&dc, 0, sizeof(dc));
	dc.enabled = true;
	dc.allow = allow;
	dc.nallow = 1;
	ck_assert_int_eq(pd_disc_mdns_new(NULL, &dc, &d, why, sizeof(why)), 0);
	ck_assert_str_eq(pd_disc_mdns_ops()->name, "mdns");
	ck_assert(pd_disc_mdns_enabled(d));
	ck_assert(!pd_disc_mdns_running(d));
	ck_assert_uint_eq(pd_disc_mdns_interfaces(d, names, 2), 0);
	ck_assert_uint_eq(pd_disc_mdns_peers(d, info, 2), 0);
	pd_disc_mdns_stats(d, &st);
	ck_assert_uint_eq(st.packets_in, 0);
	ck_assert_str_eq(pd_disc_mdns_service(d), "");
	/* not started: enabling or disabling opens nothing */
	ck_assert_int_eq(pd_disc_mdns_set_enabled(d, false), 0);
	ck_assert(!pd_disc_mdns_enabled(d));
	ck_assert_int_eq(pd_disc_mdns_set_enabled(d, true), 0);
	ck_assert(!pd_disc_mdns_running(d));
	ck_assert_int_eq(pd_disc_mdns_set_interfaces(d, bad, 1, NULL, 0, why,
	    sizeof(why)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_disc_mdns_set_interfaces(d, NULL, 0, allow, 1, why,
	    sizeof(why)), 0);
	pd_disc_mdns_free(d);
	dc.service = "no..good";
	ck_assert_int_eq(pd_disc_mdns_new(NULL, &dc, &d, why, sizeof(why)),
	    PD_ERR_INVAL);
}
END_TEST

/* ---- live, on the loopback interface of a private namespace ---- */

struct live {
	struct svc_world w[2];
	struct event_base *base;
};

static void
live_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct live *l = arg;

	(void)fd;
	(void)what;
	if (l->w[0].found_new > 0 && l->w[1].found_new > 0)
		event_base_loopbreak(l->base);
}

/* In a child: 0 pass, 1 fail, 77 skip. */
static int
live_child(void)
{
	struct live l;
	struct pd_mdns *s[2] = { NULL, NULL };
	struct pd_mdns_config cfg;
	struct pd_mdns_stats st;
	struct ifreq ifr;
	struct event *tick;
	struct timeval tv = { 0, 50000 }, limit = { 8, 0 };
	const char *allow[] = { "lo" };
	char why[128], names[2][IFNAMSIZ];
	int fd, rc = 1;

	if (unshare(CLONE_NEWNET) < 0 &&
	    unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		printf("check_mdns: live test skipped: no network namespace "
		    "(%s)\n", strerror(errno));
		return 77;
	}
	/* lo: up and multicast-capable */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return 77;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return 77;
	ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		printf("check_mdns: live test skipped: cannot set lo up and "
		    "multicast (%s)\n", strerror(errno));
		close(fd);
		return 77;
	}
	close(fd);
	memset(&l, 0, sizeof(l));
	l.base = event_base_new();
	for (int i = 0; i < 2; i++) {
		char t[64];

		make_id(200 + (unsigned)i, &l.w[i].id);
		snprintf(t, sizeof(t), "/ip4/127.0.0.1/tcp/%d", 4001 + i);
		l.w[i].addrs[0] = ma(t);
		l.w[i].naddrs = 1;
		memset(&cfg, 0, sizeof(cfg));
		cfg.self = svc_self;
		cfg.found = svc_found;
		cfg.arg = &l.w[i];
		cfg.allow = allow;
		cfg.nallow = 1;
		cfg.interval_ms = 1000;
		if (pd_mdns_new(l.base, &cfg, &s[i], why, sizeof(why)) < 0 ||
		    pd_mdns_start(s[i]) < 0)
			goto out;
		if (pd_mdns_ifaces(s[i], names, 2) != 1 ||
		    strcmp(names[0], "lo") != 0) {
			printf("check_mdns: live: lo not served\n");
			goto out;
		}
	}
	tick = event_new(l.base, -1, EV_PERSIST, live_tick_cb, &l);
	event_add(tick, &tv);
	event_base_loopexit(l.base, &limit);
	event_base_dispatch(l.base);
	event_free(tick);
	if (l.w[0].found_new != 1 || l.w[1].found_new != 1 ||
	    !pd_peerid_equal(&l.w[0].last, &l.w[1].id) ||
	    !pd_peerid_equal(&l.w[1].last, &l.w[0].id) ||
	    strcmp(l.w[0].last_if, "lo") != 0) {
		printf("check_mdns: live: found %u/%u\n", l.w[0].found_new,
		    l.w[1].found_new);
		goto out;
	}
	pd_mdns_stats(s[0], &st);
	if (st.packets_out == 0 || st.packets_in == 0 ||
	    st.peers_learnt != 1) {
		printf("check_mdns: live: bad counters\n");
		goto out;
	}
	/* stop: goodbye reaches the other, which forgets us */
	pd_mdns_stop(s[0]);
	{
		struct timeval shortt = { 0, 300000 };
		struct pd_mdns_peer_info info[2];

		event_base_loopexit(l.base, &shortt);
		event_base_dispatch(l.base);
		if (pd_mdns_peers(s[1], info, 2) != 0) {
			printf("check_mdns: live: goodbye not applied\n");
			goto out;
		}
	}
	rc = 0;
out:
	pd_mdns_free(s[0]);
	pd_mdns_free(s[1]);
	event_base_free(l.base);
	return rc;
}

START_TEST(test_live_loopback)
{
	pid_t pid;
	int status;

	fflush(stdout);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		_exit(live_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77,
	    "live mDNS on lo failed (%d)", WEXITSTATUS(status));
}
END_TEST

static Suite *
mdns_suite(void)
{
	Suite *s = suite_create("mdns");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_peer_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("interfaces");
	tcase_add_test(tc, test_iface_wanted);
	tcase_add_test(tc, test_iface_scan);
	tcase_add_test(tc, test_onlink);
	tcase_add_test(tc, test_select_addrs);
	suite_add_tcase(s, tc);
	tc = tcase_create("packets");
	tcase_add_test(tc, test_build_answer);
	tcase_add_test(tc, test_build_split);
	tcase_add_test(tc, test_parse_response);
	suite_add_tcase(s, tc);
	tc = tcase_create("rates");
	tcase_add_test(tc, test_rate_packet);
	tcase_add_test(tc, test_rate_answer);
	tcase_add_test(tc, test_bucket);
	suite_add_tcase(s, tc);
	tc = tcase_create("service");
	tcase_add_test(tc, test_service_input);
	tcase_add_test(tc, test_service_limits);
	tcase_add_test(tc, test_service_new_errors);
	tcase_add_test(tc, test_adapter);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("live");
	tcase_add_test(tc, test_live_loopback);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	test_seed = pd_test_seed("check_mdns");
	if (sodium_init() < 0)
		return 1;
	return pd_test_run(mdns_suite());
}
