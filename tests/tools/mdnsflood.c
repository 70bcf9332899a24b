/*
 * mdnsflood.c - a hostile mDNS sender for the mDNS bad-input test
 * (tests/mdns/076-mdns-bad-input.sh) and a passive mDNS packet counter
 * for the mDNS benchmark (tests/mdns/bench.sh).
 *
 * It is run inside a network namespace the test created, with -i naming
 * the interface, and sends to 224.0.0.251 (or ff02::fb with -6) port
 * 5353.  It builds every packet itself, byte by byte, so it needs no
 * DNS code of ours (the codec under test must not judge its own input).
 * Cases:
 *
 *   malformed    hand-made broken packets (short header, counts far past
 *                the data, reserved label types, labels and names over
 *                the limits, rdlength past the end, short A/AAAA/SRV,
 *                TXT strings running past their record), then -n random
 *                mutations of a valid answer.
 *   oversized    datagrams of 1,500 to 65,000 bytes: hundreds of records,
 *                huge TXT records, a giant question section.
 *   loop         name compression abuse: a pointer to itself, a two-
 *                pointer cycle, forward pointers, pointers past the end
 *                or into the header, a 120-deep pointer chain.
 *   query-flood  valid PTR queries for the service, as fast as -r allows,
 *                for -d seconds or -n packets.
 *   answer-flood valid answers, each for a new random peer (real Ed25519
 *                peer ID, dnsaddr 10.77.0.200/tcp/4001), same bounds.
 *   answer       one valid answer (sent 3 times, 100 ms apart) for one
 *                random peer; prints "peer ID" on stdout.  With -s, sent
 *                from that source address (the off-link case).
 *   service      print the service name (with -P: the private-network
 *                one, "_p2p-<fp>._udp.local", fp = lower-case hex of the
 *                first 8 bytes of SHA-256("peerdisc-pnet-v1" || PSK)) and
 *                send nothing.
 *   count        listen on the group for -d seconds (no sending) and
 *                print one line per source address:
 *                "SOURCE PACKETS BYTES QUERIES RESPONSES".
 *
 * -N sets the service name (default _p2p._udp.local); -P HEX (the 32-byte
 * PSK of a swarm key, 64 hex digits) derives the private one from it.
 *
 * Bounds: at most 10,000,000 packets, 120 s, and -r packets per second
 * (default 20,000).  Output: "mdnsflood: CASE: sent N packets, B bytes".
 * Exit 0 on success, 1 on a send error, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define MF_PORT		5353
#define MF_MAX_PKT	65507		/* largest UDP payload over IPv4 */
#define MF_MAX_PACKETS	10000000UL
#define MF_MAX_SECONDS	120
#define MF_DEFAULT_RATE	20000		/* packets per second */
#define MF_MAX_SOURCES	256		/* count: distinct senders kept */
#define MF_PEERID_LEN	64		/* base58 of 38 bytes, < 64 chars */

struct mf_opts {
	const char	*ifname;
	const char	*src;
	const char	*service;
	int		 v6;
	unsigned long	 count;
	unsigned	 seconds;
	unsigned long	 rate;
	unsigned long	 seed;
	char		 psvc[128];	/* -P: the private service name */
};

struct mf_ctx {
	struct mf_opts	 o;
	int		 fd;
	unsigned	 ifindex;
	struct sockaddr_storage dst;
	socklen_t	 dstlen;
	unsigned long	 sent;
	unsigned long long bytes;
	struct timespec	 start;
	uint64_t	 rng;
};

/* A packet under construction; overflow sets bad and stops writing. */
struct mf_pkt {
	uint8_t		 b[MF_MAX_PKT];
	size_t		 n;
	int		 bad;
};

static uint64_t
mf_rand(struct mf_ctx *c)
{
	/* xorshift64*, seeded from -S (printed) */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

static double
mf_elapsed(const struct mf_ctx *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - c->start.tv_sec) +
	    (double)(now.tv_nsec - c->start.tv_nsec) / 1e9;
}

static void
mf_put(struct mf_pkt *p, const void *data, size_t len)
{
	if (p->bad || len > sizeof(p->b) - p->n) {
		p->bad = 1;
		return;
	}
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void
mf_u8(struct mf_pkt *p, unsigned v)
{
	uint8_t b = (uint8_t)v;

	mf_put(p, &b, 1);
}

static void
mf_u16(struct mf_pkt *p, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	mf_put(p, b, 2);
}

static void
mf_u32(struct mf_pkt *p, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	mf_put(p, b, 4);
}

static void
mf_header(struct mf_pkt *p, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	p->n = 0;
	p->bad = 0;
	mf_u16(p, 0);
	mf_u16(p, flags);
	mf_u16(p, qd);
	mf_u16(p, an);
	mf_u16(p, ns);
	mf_u16(p, ar);
}

/* A dotted name as uncompressed labels, then the root. */
static void
mf_name(struct mf_pkt *p, const char *name)
{
	const char *s = name, *dot;

	while (*s != '\0') {
		dot = strchr(s, '.');
		size_t len = dot != NULL ? (size_t)(dot - s) : strlen(s);
		mf_u8(p, (unsigned)len);
		mf_put(p, s, len);
		s += len;
		if (*s == '.')
			s++;
	}
	mf_u8(p, 0);
}

/* A record header: name, type, class, ttl; rdata is added by the caller
 * after mf_rdlen_begin / before mf_rdlen_end. */
static void
mf_rr(struct mf_pkt *p, const char *name, unsigned type, unsigned cls,
    uint32_t ttl)
{
	mf_name(p, name);
	mf_u16(p, type);
	mf_u16(p, cls);
	mf_u32(p, ttl);
}

static size_t
mf_rdlen_begin(struct mf_pkt *p)
{
	size_t at = p->n;

	mf_u16(p, 0);
	return at;
}

static void
mf_rdlen_end(struct mf_pkt *p, size_t at)
{
	size_t len = p->n - at - 2;

	if (p->bad || len > 0xffff) {
		p->bad = 1;
		return;
	}
	p->b[at] = (uint8_t)(len >> 8);
	p->b[at + 1] = (uint8_t)len;
}

static void
mf_base58(const uint8_t *in, size_t inlen, char *out, size_t outlen)
{
	static const char alpha[] =
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t digits[96];
	size_t nd = 0, zeros = 0, i, j, k = 0;

	while (zeros < inlen && in[zeros] == 0)
		zeros++;
	for (i = zeros; i < inlen; i++) {
		unsigned carry = in[i];
		for (j = 0; j < nd; j++) {
			carry += (unsigned)digits[j] << 8;
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry > 0 && nd < sizeof(digits)) {
			digits[nd++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	for (i = 0; i < zeros && k + 1 < outlen; i++)
		out[k++] = '1';
	for (i = nd; i > 0 && k + 1 < outlen; i--)
		out[k++] = alpha[digits[i - 1]];
	out[k] = '\0';
}

/* A real Ed25519 peer ID: identity multihash of the key protobuf. */
static void
mf_peerid(char *out, size_t outlen)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t mh[6 + crypto_sign_PUBLICKEYBYTES] = { 0x00, 0x24, 0x08, 0x01,
	    0x12, 0x20 };

	crypto_sign_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	memcpy(mh + 6, pk, sizeof(pk));
	mf_base58(mh, sizeof(mh), out, outlen);
}

static void
mf_label(struct mf_ctx *c, char *out, size_t len)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (size_t i = 0; i < len; i++)
		out[i] = al[mf_rand(c) % (sizeof(al) - 1)];
	out[len] = '\0';
}

/*
 * A valid answer for peer ID id at ip4 addr: PTR in Answer; TXT, SRV and
 * A in Additional (the shape every implementation accepts).
 */
static void
mf_answer(struct mf_ctx *c, struct mf_pkt *p, const char *id,
    const char *addr)
{
	char label[64], inst[128], host[80], txt[256];
	size_t at;
	struct in_addr a4;

	mf_label(c, label, 40);
	snprintf(inst, sizeof(inst), "%s.%s", label, c->o.service);
	snprintf(host, sizeof(host), "%s.local", label);
	snprintf(txt, sizeof(txt), "dnsaddr=/ip4/%s/tcp/4001/p2p/%s", addr, id);
	mf_header(p, 0x8400, 0, 1, 0, 3);
	mf_rr(p, c->o.service, 12, 1, 120);
	at = mf_rdlen_begin(p);
	mf_name(p, inst);
	mf_rdlen_end(p, at);
	mf_rr(p, inst, 16, 0x8001, 120);
	at = mf_rdlen_begin(p);
	mf_u8(p, (unsigned)strlen(txt));
	mf_put(p, txt, strlen(txt));
	mf_rdlen_end(p, at);
	mf_rr(p, inst, 33, 0x8001, 120);
	at = mf_rdlen_begin(p);
	mf_u16(p, 0);
	mf_u16(p, 0);
	mf_u16(p, 4001);
	mf_name(p, host);
	mf_rdlen_end(p, at);
	mf_rr(p, host, 1, 0x8001, 120);
	at = mf_rdlen_begin(p);
	if (inet_pton(AF_INET, addr, &a4) != 1)
		memset(&a4, 0, sizeof(a4));
	mf_put(p, &a4, 4);
	mf_rdlen_end(p, at);
}

static void
mf_query(struct mf_ctx *c, struct mf_pkt *p)
{
	mf_header(p, 0, 1, 0, 0, 0);
	mf_name(p, c->o.service);
	mf_u16(p, 12);
	mf_u16(p, 1);
}

/* Wait so that at most o.rate packets per second go out. */
static void
mf_pace(struct mf_ctx *c)
{
	double due;
	struct timespec ts;

	if (c->o.rate == 0)
		return;
	due = (double)c->sent / (double)c->o.rate - mf_elapsed(c);
	if (due > 0.0005) {
		ts.tv_sec = (time_t)due;
		ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* Send one packet; 0, or -1 on a hard error (printed). */
static int
mf_send(struct mf_ctx *c, const uint8_t *b, size_t n)
{
	ssize_t r;

	mf_pace(c);
	r = sendto(c->fd, b, n, 0, (struct sockaddr *)&c->dst, c->dstlen);
	if (r < 0) {
		/* a full socket buffer under flood is not an error */
		if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		fprintf(stderr, "mdnsflood: sendto (%zu bytes): %s\n", n,
		    strerror(errno));
		return -1;
	}
	c->sent++;
	c->bytes += (unsigned long long)r;
	return 0;
}

static int
mf_send_pkt(struct mf_ctx *c, const struct mf_pkt *p)
{
	if (p->bad) {
		fprintf(stderr, "mdnsflood: internal: packet overflow\n");
		return -1;
	}
	return mf_send(c, p->b, p->n);
}

static int
mf_done(const struct mf_ctx *c)
{
	return c->sent >= c->o.count || mf_elapsed(c) >= c->o.seconds;
}

static int
mf_case_malformed(struct mf_ctx *c)
{
	static struct mf_pkt p, v;
	size_t at;
	int rc = 0;

	/* 1: short header */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	rc |= mf_send(c, p.b, 5);
	/* 2: counts far past the data */
	mf_header(&p, 0x8400, 0xffff, 0xffff, 0xffff, 0xffff);
	rc |= mf_send_pkt(c, &p);
	mf_header(&p, 0, 0xffff, 0, 0, 0);
	mf_name(&p, c->o.service);
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	rc |= mf_send_pkt(c, &p);
	/* 3: reserved label types 0x40 and 0x80 */
	for (unsigned t = 0x40; t <= 0x80; t += 0x40) {
		mf_header(&p, 0x8400, 0, 1, 0, 0);
		mf_u8(&p, t | 5);
		mf_put(&p, "abcde", 5);
		mf_u8(&p, 0);
		mf_u16(&p, 12);
		mf_u16(&p, 1);
		mf_u32(&p, 120);
		mf_u16(&p, 2);
		mf_u16(&p, 0xc00c);
		rc |= mf_send_pkt(c, &p);
	}
	/* 4: a name of 300 bytes (five 59-byte labels) */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	for (int i = 0; i < 5; i++) {
		mf_u8(&p, 59);
		for (int j = 0; j < 59; j++)
			mf_u8(&p, 'a');
	}
	mf_u8(&p, 0);
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	mf_u32(&p, 120);
	mf_u16(&p, 2);
	mf_u16(&p, 0xc00c);
	rc |= mf_send_pkt(c, &p);
	/* 5: name with no terminating zero at the end of the packet */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_u8(&p, 4);
	mf_put(&p, "_p2p", 4);
	mf_u8(&p, 60);
	mf_put(&p, "_udp", 4);
	rc |= mf_send_pkt(c, &p);
	/* 6: rdlength past the end */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_rr(&p, c->o.service, 12, 1, 120);
	mf_u16(&p, 0xfff0);
	mf_name(&p, "x._p2p._udp.local");
	rc |= mf_send_pkt(c, &p);
	/* 7: short A, short AAAA, short SRV, PTR rdata not a name */
	{
		static const unsigned types[] = { 1, 28, 33, 12 };
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			mf_header(&p, 0x8400, 0, 1, 0, 0);
			mf_rr(&p, i == 3 ? c->o.service : "h.local", types[i],
			    1, 120);
			at = mf_rdlen_begin(&p);
			mf_put(&p, "\x05\x01\x02", 3);
			mf_rdlen_end(&p, at);
			rc |= mf_send_pkt(c, &p);
		}
	}
	/* 8: TXT strings running past their record; an empty TXT; TXT of
	 * a 255-byte string of junk (not dnsaddr) */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_rr(&p, "x._p2p._udp.local", 16, 1, 120);
	at = mf_rdlen_begin(&p);
	mf_u8(&p, 200);
	mf_put(&p, "dnsaddr=/ip4/1.2.3.4", 20);
	mf_rdlen_end(&p, at);
	rc |= mf_send_pkt(c, &p);
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_rr(&p, "x._p2p._udp.local", 16, 1, 120);
	mf_u16(&p, 0);
	rc |= mf_send_pkt(c, &p);
	/* 9: a PTR to a peer whose TXT holds bad dnsaddrs */
	{
		static const char *const bad[] = {
			"dnsaddr=", "dnsaddr=/ip4/999.1.1.1/tcp/1/p2p/12D3KooW",
			"dnsaddr=/ip4/10.77.0.200/tcp/4001",
			"dnsaddr=/ip4/10.77.0.200/tcp/4001/p2p/notapeerid",
			"dnsaddr=/p2p/12D3KooWxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
			"dnsaddr=/unknown/proto", "dnsaddr=\x01\x02\xff\xfe",
		};
		mf_header(&p, 0x8400, 0, 1, 0, 1);
		mf_rr(&p, c->o.service, 12, 1, 120);
		at = mf_rdlen_begin(&p);
		mf_name(&p, "badtxt._p2p._udp.local");
		mf_rdlen_end(&p, at);
		mf_rr(&p, "badtxt._p2p._udp.local", 16, 1, 120);
		at = mf_rdlen_begin(&p);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			mf_u8(&p, (unsigned)strlen(bad[i]));
			mf_put(&p, bad[i], strlen(bad[i]));
		}
		mf_rdlen_end(&p, at);
		rc |= mf_send_pkt(c, &p);
	}
	/* 10: random bytes and random mutations of a valid answer */
	{
		char id[MF_PEERID_LEN];
		mf_peerid(id, sizeof(id));
		mf_answer(c, &v, id, "10.77.0.200");
	}
	while (rc == 0 && !mf_done(c)) {
		uint64_t r = mf_rand(c);
		if (r % 8 == 0) {
			size_t n = 1 + (size_t)(mf_rand(c) % 1400);
			for (size_t i = 0; i < n; i++)
				p.b[i] = (uint8_t)mf_rand(c);
			p.n = n;
		} else {
			memcpy(p.b, v.b, v.n);
			p.n = v.n;
			unsigned k = 1 + (unsigned)(mf_rand(c) % 8);
			for (unsigned i = 0; i < k; i++)
				p.b[mf_rand(c) % p.n] = (uint8_t)mf_rand(c);
			if (r % 8 == 1)
				p.n = 1 + (size_t)(mf_rand(c) % p.n);
		}
		p.bad = 0;
		rc |= mf_send_pkt(c, &p);
	}
	return rc;
}

static int
mf_case_oversized(struct mf_ctx *c)
{
	static struct mf_pkt p;
	static const size_t sizes[] = { 1500, 4000, 9000, 30000, 65000 };
	char id[MF_PEERID_LEN], txt[256];
	size_t at;
	int rc = 0;

	mf_peerid(id, sizeof(id));
	snprintf(txt, sizeof(txt), "dnsaddr=/ip4/10.77.0.200/tcp/4001/p2p/%s",
	    id);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		/* many TXT records, each with as many strings as fit */
		unsigned nrec = 0;
		mf_header(&p, 0x8400, 0, 1, 0, 0);
		mf_rr(&p, c->o.service, 12, 1, 120);
		at = mf_rdlen_begin(&p);
		mf_name(&p, "big._p2p._udp.local");
		mf_rdlen_end(&p, at);
		while (p.n + 300 + 40 < sizes[s]) {
			mf_u16(&p, 0xc000 | 12);	/* owner: the service */
			mf_u16(&p, 16);
			mf_u16(&p, 1);
			mf_u32(&p, 120);
			at = mf_rdlen_begin(&p);
			mf_u8(&p, (unsigned)strlen(txt));
			mf_put(&p, txt, strlen(txt));
			mf_rdlen_end(&p, at);
			nrec++;
		}
		p.b[7] = (uint8_t)((1 + nrec) & 0xff);
		p.b[6] = (uint8_t)((1 + nrec) >> 8);
		rc |= mf_send_pkt(c, &p);
		/* the same size as one giant TXT record of 255-byte strings */
		mf_header(&p, 0x8400, 0, 2, 0, 0);
		mf_rr(&p, c->o.service, 12, 1, 120);
		at = mf_rdlen_begin(&p);
		mf_name(&p, "big._p2p._udp.local");
		mf_rdlen_end(&p, at);
		mf_rr(&p, "big._p2p._udp.local", 16, 1, 120);
		at = mf_rdlen_begin(&p);
		while (p.n + 256 < sizes[s] && p.n - at < 65000) {
			mf_u8(&p, 255);
			for (int i = 0; i < 255; i++)
				mf_u8(&p, 'a' + i % 26);
		}
		mf_rdlen_end(&p, at);
		rc |= mf_send_pkt(c, &p);
		/* a query with thousands of questions */
		unsigned nq = 0;
		mf_header(&p, 0, 0, 0, 0, 0);
		mf_name(&p, c->o.service);
		mf_u16(&p, 12);
		mf_u16(&p, 1);
		nq = 1;
		while (p.n + 6 < sizes[s] && nq < 0xffff) {
			mf_u16(&p, 0xc00c);
			mf_u16(&p, 12);
			mf_u16(&p, 1);
			nq++;
		}
		p.b[4] = (uint8_t)(nq >> 8);
		p.b[5] = (uint8_t)nq;
		rc |= mf_send_pkt(c, &p);
	}
	return rc;
}

static int
mf_case_loop(struct mf_ctx *c)
{
	static struct mf_pkt p;
	int rc = 0;

	/* pointer to itself, as the question name */
	mf_header(&p, 0, 1, 0, 0, 0);
	mf_u16(&p, 0xc00c);
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	rc |= mf_send_pkt(c, &p);
	/* pointer to itself, as the answer owner and as PTR rdata */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_u16(&p, 0xc00c);
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	mf_u32(&p, 120);
	mf_u16(&p, 2);
	mf_u16(&p, 0xc000 | 22);	/* the rdata itself */
	rc |= mf_send_pkt(c, &p);
	/* two pointers to each other after a label */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_u8(&p, 1);
	mf_u8(&p, 'a');
	mf_u16(&p, 0xc000 | 16);	/* -> offset 16 */
	mf_u8(&p, 1);			/* offset 16: label "b" */
	mf_u8(&p, 'b');
	mf_u16(&p, 0xc000 | 12);	/* -> back to offset 12 */
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	mf_u32(&p, 120);
	mf_u16(&p, 2);
	mf_u16(&p, 0xc00c);
	rc |= mf_send_pkt(c, &p);
	/* forward pointer */
	mf_header(&p, 0x8400, 0, 1, 0, 0);
	mf_u16(&p, 0xc000 | 40);
	mf_u16(&p, 12);
	mf_u16(&p, 1);
	mf_u32(&p, 120);
	mf_u16(&p, 2);
	mf_u16(&p, 0xc00c);
	while (p.n < 40)
		mf_u8(&p, 0);
	mf_name(&p, c->o.service);
	rc |= mf_send_pkt(c, &p);
	/* pointer past the end, pointer into the header */
	for (unsigned off = 0; off < 2; off++) {
		mf_header(&p, 0x8400, 0, 1, 0, 0);
		mf_u16(&p, 0xc000 | (off == 0 ? 0x3fff : 2));
		mf_u16(&p, 12);
		mf_u16(&p, 1);
		mf_u32(&p, 120);
		mf_u16(&p, 2);
		mf_u16(&p, 0xc00c);
		rc |= mf_send_pkt(c, &p);
	}
	/* a 120-deep chain of backward pointers (opaque rdata of a NULL
	 * record), read from its end as the owner of a following PTR: once
	 * ending in the root (a legal 241-byte name), once with the first
	 * element pointing back at the last (a 120-step loop) */
	for (int loop = 0; loop < 2; loop++) {
		size_t starts[120], at, first = 0;

		mf_header(&p, 0x8400, 0, 2, 0, 0);
		mf_rr(&p, "chain.local", 10, 1, 120);
		at = mf_rdlen_begin(&p);
		for (size_t i = 0; i < 120; i++) {
			starts[i] = p.n;
			mf_u8(&p, 1);
			mf_u8(&p, 'a' + (unsigned)(i % 26));
			if (i == 0) {
				first = p.n;
				mf_u16(&p, 0);	/* root + pad, or patched */
			} else {
				mf_u16(&p, 0xc000 | (unsigned)starts[i - 1]);
			}
		}
		mf_rdlen_end(&p, at);
		if (loop) {
			p.b[first] = (uint8_t)(0xc0 | (starts[119] >> 8));
			p.b[first + 1] = (uint8_t)starts[119];
		}
		mf_u16(&p, 0xc000 | (unsigned)starts[119]);
		mf_u16(&p, 12);
		mf_u16(&p, 1);
		mf_u32(&p, 120);
		mf_u16(&p, 2);
		mf_u16(&p, 0xc000 | (unsigned)starts[119]);
		rc |= mf_send_pkt(c, &p);
	}
	/* repeat the loop packets until the bounds */
	while (rc == 0 && !mf_done(c)) {
		mf_header(&p, 0x8400, 0, 1, 0, 0);
		unsigned off = 12 + (unsigned)(mf_rand(c) % 12);
		for (unsigned i = 0; i < 12; i++)
			mf_u16(&p, 0xc000 | (off + 2 * (unsigned)(mf_rand(c) % 6)));
		mf_u16(&p, 12);
		mf_u16(&p, 1);
		mf_u32(&p, 120);
		mf_u16(&p, 2);
		mf_u16(&p, 0xc00c);
		rc |= mf_send_pkt(c, &p);
	}
	return rc;
}

static int
mf_case_query_flood(struct mf_ctx *c)
{
	static struct mf_pkt p;
	int rc = 0;

	mf_query(c, &p);
	while (rc == 0 && !mf_done(c))
		rc |= mf_send_pkt(c, &p);
	return rc;
}

static int
mf_case_answer_flood(struct mf_ctx *c)
{
	static struct mf_pkt p;
	char id[MF_PEERID_LEN];
	int rc = 0;

	while (rc == 0 && !mf_done(c)) {
		mf_peerid(id, sizeof(id));
		mf_answer(c, &p, id, "10.77.0.200");
		rc |= mf_send_pkt(c, &p);
	}
	return rc;
}

static int
mf_case_answer(struct mf_ctx *c)
{
	static struct mf_pkt p;
	char id[MF_PEERID_LEN];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int rc = 0;

	mf_peerid(id, sizeof(id));
	printf("peer %s\n", id);
	fflush(stdout);
	mf_answer(c, &p, id, "10.77.0.200");
	for (int i = 0; i < 3 && rc == 0; i++) {
		rc |= mf_send_pkt(c, &p);
		nanosleep(&ts, NULL);
	}
	return rc;
}

struct mf_source {
	char		 addr[INET6_ADDRSTRLEN];
	unsigned long	 packets, queries, responses;
	unsigned long long bytes;
};

static int
mf_case_count(struct mf_ctx *c)
{
	static struct mf_source src[MF_MAX_SOURCES];
	static uint8_t buf[MF_MAX_PKT];
	size_t nsrc = 0;
	struct sockaddr_storage from;
	socklen_t fl;
	char a[INET6_ADDRSTRLEN];
	struct timeval tv = { 0, 200 * 1000 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("mdnsflood: SO_RCVTIMEO");
		return -1;
	}
	while (mf_elapsed(c) < c->o.seconds) {
		fl = sizeof(from);
		ssize_t r = recvfrom(c->fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fl);
		if (r < 0)
			continue;
		if (from.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr,
			    a, sizeof(a));
		else
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)&from)->sin6_addr, a, sizeof(a));
		size_t i;
		for (i = 0; i < nsrc; i++)
			if (strcmp(src[i].addr, a) == 0)
				break;
		if (i == nsrc) {
			if (nsrc == MF_MAX_SOURCES)
				continue;
			snprintf(src[nsrc].addr, sizeof(src[nsrc].addr), "%s", a);
			nsrc++;
		}
		src[i].packets++;
		src[i].bytes += (unsigned long long)r;
		if (r >= 4 && (buf[2] & 0x80))
			src[i].responses++;
		else
			src[i].queries++;
	}
	for (size_t i = 0; i < nsrc; i++)
		printf("%s %lu %llu %lu %lu\n", src[i].addr, src[i].packets,
		    src[i].bytes, src[i].queries, src[i].responses);
	return 0;
}

static int
mf_open(struct mf_ctx *c, int listen)
{
	int one = 1, ttl = 255;

	c->ifindex = if_nametoindex(c->o.ifname);
	if (c->ifindex == 0) {
		fprintf(stderr, "mdnsflood: no interface %s\n", c->o.ifname);
		return -1;
	}
	c->fd = socket(c->o.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (c->fd < 0) {
		perror("mdnsflood: socket");
		return -1;
	}
	(void)setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(c->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	memset(&c->dst, 0, sizeof(c->dst));
	if (!c->o.v6) {
		struct sockaddr_in *d = (struct sockaddr_in *)&c->dst, b;
		struct ip_mreqn mr;

		d->sin_family = AF_INET;
		d->sin_port = htons(MF_PORT);
		inet_pton(AF_INET, "224.0.0.251", &d->sin_addr);
		c->dstlen = sizeof(*d);
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)c->ifindex;
		if (setsockopt(c->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr)) < 0) {
			perror("mdnsflood: IP_MULTICAST_IF");
			return -1;
		}
		(void)setsockopt(c->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		    sizeof(ttl));
		memset(&b, 0, sizeof(b));
		b.sin_family = AF_INET;
		b.sin_port = htons(listen ? MF_PORT : 0);
		if (listen)
			b.sin_addr.s_addr = htonl(INADDR_ANY);
		else if (c->o.src != NULL &&
		    inet_pton(AF_INET, c->o.src, &b.sin_addr) != 1) {
			fprintf(stderr, "mdnsflood: bad -s %s\n", c->o.src);
			return -1;
		}
		if (bind(c->fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
			perror("mdnsflood: bind");
			return -1;
		}
		if (listen) {
			inet_pton(AF_INET, "224.0.0.251", &mr.imr_multiaddr);
			if (setsockopt(c->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			    sizeof(mr)) < 0) {
				perror("mdnsflood: IP_ADD_MEMBERSHIP");
				return -1;
			}
		}
	} else {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&c->dst, b;
		struct ipv6_mreq mr;

		d->sin6_family = AF_INET6;
		d->sin6_port = htons(MF_PORT);
		inet_pton(AF_INET6, "ff02::fb", &d->sin6_addr);
		d->sin6_scope_id = c->ifindex;
		c->dstlen = sizeof(*d);
		if (setsockopt(c->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
		    &c->ifindex, sizeof(c->ifindex)) < 0) {
			perror("mdnsflood: IPV6_MULTICAST_IF");
			return -1;
		}
		(void)setsockopt(c->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
		    sizeof(ttl));
		(void)setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
		memset(&b, 0, sizeof(b));
		b.sin6_family = AF_INET6;
		b.sin6_port = htons(listen ? MF_PORT : 0);
		if (!listen && c->o.src != NULL) {
			if (inet_pton(AF_INET6, c->o.src, &b.sin6_addr) != 1) {
				fprintf(stderr, "mdnsflood: bad -s %s\n", c->o.src);
				return -1;
			}
			b.sin6_scope_id = c->ifindex;
		}
		if (bind(c->fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
			perror("mdnsflood: bind");
			return -1;
		}
		if (listen) {
			inet_pton(AF_INET6, "ff02::fb", &mr.ipv6mr_multiaddr);
			mr.ipv6mr_interface = c->ifindex;
			if (setsockopt(c->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
			    sizeof(mr)) < 0) {
				perror("mdnsflood: IPV6_JOIN_GROUP");
				return -1;
			}
		}
	}
	if (!listen) {
		/* our own packets need not come back to us */
		int zero = 0;
		if (c->o.v6)
			(void)setsockopt(c->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
			    &zero, sizeof(zero));
		else
			(void)setsockopt(c->fd, IPPROTO_IP, IP_MULTICAST_LOOP,
			    &zero, sizeof(zero));
	}
	return 0;
}

static void
mf_usage(FILE *f)
{
	fprintf(f,
	    "usage: mdnsflood -i IFNAME [-6] [-s SRCADDR] [-N SERVICE | -P PSKHEX]\n"
	    "                 [-n COUNT] [-d SECONDS] [-r PPS] [-S SEED] CASE\n"
	    "  CASE: malformed, oversized, loop, query-flood, answer-flood,\n"
	    "        answer, count, service\n"
	    "  -n COUNT    packets at most (default 1000, max %lu)\n"
	    "  -d SECONDS  time at most (default 5, max %d)\n"
	    "  -r PPS      packets per second at most (default %d, 0 = max)\n",
	    MF_MAX_PACKETS, MF_MAX_SECONDS, MF_DEFAULT_RATE);
}

/* The private-network service name of a PSK given in hex. */
static int
mf_pnet_service(const char *hex, char *out, size_t outlen)
{
	static const char tag[] = "peerdisc-pnet-v1";
	uint8_t psk[32], h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	size_t len;

	if (sodium_hex2bin(psk, sizeof(psk), hex, strlen(hex), NULL, &len,
	    NULL) != 0 || len != sizeof(psk))
		return -1;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, strlen(tag));
	crypto_hash_sha256_update(&st, psk, sizeof(psk));
	crypto_hash_sha256_final(&st, h);
	snprintf(out, outlen, "_p2p-%02x%02x%02x%02x%02x%02x%02x%02x._udp.local",
	    h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
	return 0;
}

static int
mf_num(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return -1;
	*ret = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct mf_ctx c;
	const char *cs, *psk = NULL;
	unsigned long v;
	int ch, rc;

	c.o.service = "_p2p._udp.local";
	c.o.count = 1000;
	c.o.seconds = 5;
	c.o.rate = MF_DEFAULT_RATE;
	c.o.seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	while ((ch = getopt(argc, argv, "6d:hi:n:N:P:r:s:S:")) != -1) {
		switch (ch) {
		case '6':
			c.o.v6 = 1;
			break;
		case 'd':
			if (mf_num(optarg, MF_MAX_SECONDS, &v) < 0)
				goto usage;
			c.o.seconds = (unsigned)v;
			break;
		case 'i':
			c.o.ifname = optarg;
			break;
		case 'n':
			if (mf_num(optarg, MF_MAX_PACKETS, &c.o.count) < 0)
				goto usage;
			break;
		case 'N':
			if (strlen(optarg) > 200)
				goto usage;
			c.o.service = optarg;
			break;
		case 'P':
			psk = optarg;
			break;
		case 'r':
			if (mf_num(optarg, 10000000, &c.o.rate) < 0)
				goto usage;
			break;
		case 's':
			c.o.src = optarg;
			break;
		case 'S':
			if (mf_num(optarg, ~0UL, &c.o.seed) < 0)
				goto usage;
			break;
		case 'h':
			mf_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	cs = argv[optind];
	if (c.o.ifname == NULL && strcmp(cs, "service") != 0)
		goto usage;
	if (sodium_init() < 0) {
		fprintf(stderr, "mdnsflood: sodium_init failed\n");
		return 2;
	}
	if (psk != NULL) {
		if (mf_pnet_service(psk, c.o.psvc, sizeof(c.o.psvc)) < 0) {
			fprintf(stderr, "mdnsflood: -P wants 64 hex digits\n");
			return 2;
		}
		c.o.service = c.o.psvc;
	}
	if (strcmp(cs, "service") == 0) {
		printf("%s\n", c.o.service);
		return 0;
	}
	c.rng = c.o.seed * 0x9e3779b97f4a7c15ULL + 1;
	fprintf(stderr, "mdnsflood: %s: seed %lu\n", cs, c.o.seed);
	if (mf_open(&c, strcmp(cs, "count") == 0) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &c.start);
	if (strcmp(cs, "malformed") == 0)
		rc = mf_case_malformed(&c);
	else if (strcmp(cs, "oversized") == 0)
		rc = mf_case_oversized(&c);
	else if (strcmp(cs, "loop") == 0)
		rc = mf_case_loop(&c);
	else if (strcmp(cs, "query-flood") == 0)
		rc = mf_case_query_flood(&c);
	else if (strcmp(cs, "answer-flood") == 0)
		rc = mf_case_answer_flood(&c);
	else if (strcmp(cs, "answer") == 0)
		rc = mf_case_answer(&c);
	else if (strcmp(cs, "count") == 0)
		rc = mf_case_count(&c);
	else
		goto usage;
	close(c.fd);
	if (strcmp(cs, "count") != 0)
		fprintf(stderr, "mdnsflood: %s: sent %lu packets, %llu bytes in "
		    "%.1f s\n", cs, c.sent, c.bytes, mf_elapsed(&c));
	return rc == 0 ? 0 : 1;
usage:
	mf_usage(stderr);
	return 2;
}
