/*
 * dnsserver.c - a tiny authoritative DNS server for the bootstrap tests
 * (tests/integration/065-bootstrap-dns.sh, tests/interop/019-*).
 *
 * Answers A, AAAA and TXT queries over UDP on 127.0.0.1 from a zone file
 * read again for every query (so a test may rewrite it between steps):
 * one record a line, "NAME TYPE VALUE", '#' starts a comment; NAME is
 * matched case-insensitively without a final dot; TYPE is A, AAAA or
 * TXT; a TXT VALUE is the rest of the line (one character-string, at
 * most 255 bytes).  A name with no record at all gets NXDOMAIN; a name
 * with records of other types gets an empty NOERROR answer.  The
 * question is echoed byte for byte (libevent's evdns randomizes the
 * case of the name and checks it).  Everything else (not a query, more
 * than one question, a class other than IN, a truncated message) gets
 * FORMERR or is dropped.
 *
 * usage: dnsserver [-p PORT] [-t SECONDS] [-l LOGFILE] ZONEFILE
 * Binds 127.0.0.1:PORT (0, the default: any free port), prints
 * "port N" on stdout once bound, and runs until SIGTERM / SIGINT or for
 * SECONDS (default 120).  With -l, one line per query: name, type, rcode
 * and number of answers.  Exit 0 on a signal or the time limit, 1 on an
 * error, 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DNSSRV_MAX_MSG 512		/* plain UDP DNS */
#define DNSSRV_MAX_NAME 255		/* presentation form, no final dot */
#define DNSSRV_MAX_LINE 1024		/* zone file line */
#define DNSSRV_MAX_TXT 255		/* one character-string */
#define DNSSRV_MAX_ANSWERS 32		/* records per answer */
#define DNSSRV_MAX_SECONDS 3600		/* -t cap */
#define DNSSRV_TTL 60

#define DNSSRV_TYPE_A 1
#define DNSSRV_TYPE_TXT 16
#define DNSSRV_TYPE_AAAA 28
#define DNSSRV_CLASS_IN 1
#define DNSSRV_RCODE_FORMERR 1
#define DNSSRV_RCODE_NXDOMAIN 3

static volatile sig_atomic_t dnssrv_stop;

static void
dnssrv_on_signal(int sig)
{
	(void)sig;
	dnssrv_stop = 1;
}

/*
 * Decode the uncompressed name at msg[*off] into out (dotted, no final
 * dot, "" for the root).  Returns 0 and advances *off, -1 if malformed.
 */
static int
dnssrv_read_name(const uint8_t *msg, size_t len, size_t *off, char *out,
    size_t outlen)
{
	size_t o = *off, n = 0;

	for (;;) {
		uint8_t l;

		if (o >= len)
			return -1;
		l = msg[o++];
		if (l == 0)
			break;
		if ((l & 0xc0) != 0 || o + l > len)
			return -1;	/* no compression in a question */
		if (n + (n > 0) + l + 1 > outlen)
			return -1;
		if (n > 0)
			out[n++] = '.';
		memcpy(out + n, msg + o, l);
		n += l;
		o += l;
	}
	out[n] = '\0';
	*off = o;
	return 0;
}

static const char *
dnssrv_type_name(unsigned type)
{
	switch (type) {
	case DNSSRV_TYPE_A:
		return "A";
	case DNSSRV_TYPE_AAAA:
		return "AAAA";
	case DNSSRV_TYPE_TXT:
		return "TXT";
	default:
		return "?";
	}
}

struct dnssrv_answer {
	unsigned type;
	uint8_t data[DNSSRV_MAX_TXT + 1];
	size_t len;
};

/*
 * Look qname up in the zone file: the records of type qtype (at most
 * max) into ans; *ret_known tells whether the name has any record.
 * Returns the number of answers, or -1 if the file cannot be read.
 */
static int
dnssrv_lookup(const char *zone, const char *qname, unsigned qtype,
    struct dnssrv_answer *ans, size_t max, bool *ret_known)
{
	FILE *f;
	char line[DNSSRV_MAX_LINE];
	size_t n = 0;
	bool known = false;

	if ((f = fopen(zone, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name, *type, *value, *p, *save = NULL;
		size_t nl;
		unsigned t;

		line[strcspn(line, "\r\n")] = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if ((name = strtok_r(line, " \t", &save)) == NULL ||
		    (type = strtok_r(NULL, " \t", &save)) == NULL)
			continue;
		value = save != NULL ? save + strspn(save, " \t") : NULL;
		if (value == NULL || *value == '\0')
			continue;
		nl = strlen(name);
		if (nl > 0 && name[nl - 1] == '.')
			name[--nl] = '\0';
		if (strcasecmp(name, qname) != 0)
			continue;
		known = true;
		if (strcasecmp(type, "A") == 0)
			t = DNSSRV_TYPE_A;
		else if (strcasecmp(type, "AAAA") == 0)
			t = DNSSRV_TYPE_AAAA;
		else if (strcasecmp(type, "TXT") == 0)
			t = DNSSRV_TYPE_TXT;
		else
			continue;
		if (t != qtype || n >= max)
			continue;
		ans[n].type = t;
		if (t == DNSSRV_TYPE_A) {
			value[strcspn(value, " \t")] = '\0';
			if (inet_pton(AF_INET, value, ans[n].data) != 1)
				continue;
			ans[n].len = 4;
		} else if (t == DNSSRV_TYPE_AAAA) {
			value[strcspn(value, " \t")] = '\0';
			if (inet_pton(AF_INET6, value, ans[n].data) != 1)
				continue;
			ans[n].len = 16;
		} else {
			size_t vl = strlen(value);

			while (vl > 0 && isspace((unsigned char)value[vl - 1]))
				vl--;
			if (vl > DNSSRV_MAX_TXT)
				vl = DNSSRV_MAX_TXT;
			ans[n].data[0] = (uint8_t)vl;
			memcpy(ans[n].data + 1, value, vl);
			ans[n].len = vl + 1;
		}
		n++;
	}
	fclose(f);
	*ret_known = known;
	return (int)n;
}

static void
dnssrv_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Build the response to the query q (qlen bytes) into out.  Returns its
 * length, or 0 to drop the query.
 */
static size_t
dnssrv_answer(const char *zone, const uint8_t *q, size_t qlen, uint8_t *out,
    size_t outlen, FILE *log)
{
	struct dnssrv_answer ans[DNSSRV_MAX_ANSWERS];
	char qname[DNSSRV_MAX_NAME + 1];
	size_t off = 12, qend, o;
	unsigned qtype, qclass, rcode = 0;
	int n = 0;
	bool known = false;

	if (qlen < 12 || (q[2] & 0x80) != 0)
		return 0;	/* too short, or a response */
	memcpy(out, q, 2);	/* ID */
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79) | 0x04);	/* QR, opcode, AA, RD */
	out[3] = 0;
	memset(out + 4, 0, 8);
	if (((q[2] >> 3) & 0x0f) != 0 || q[4] != 0 || q[5] != 1 ||
	    dnssrv_read_name(q, qlen, &off, qname, sizeof(qname)) < 0 ||
	    off + 4 > qlen) {
		out[3] = DNSSRV_RCODE_FORMERR;
		return 12;
	}
	qtype = ((unsigned)q[off] << 8) | q[off + 1];
	qclass = ((unsigned)q[off + 2] << 8) | q[off + 3];
	qend = off + 4;
	if (qend > outlen)
		return 0;
	memcpy(out + 12, q + 12, qend - 12);	/* the question, as sent */
	out[5] = 1;
	o = qend;
	if (qclass != DNSSRV_CLASS_IN) {
		rcode = DNSSRV_RCODE_FORMERR;
	} else if ((n = dnssrv_lookup(zone, qname, qtype, ans,
	    DNSSRV_MAX_ANSWERS, &known)) < 0) {
		return 0;
	} else if (!known) {
		rcode = DNSSRV_RCODE_NXDOMAIN;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		if (o + 12 + ans[i].len > outlen) {
			out[2] |= 0x02;	/* TC */
			n = i;
			break;
		}
		dnssrv_put16(out + o, 0xc00c);	/* pointer to the question */
		dnssrv_put16(out + o + 2, ans[i].type);
		dnssrv_put16(out + o + 4, DNSSRV_CLASS_IN);
		dnssrv_put16(out + o + 6, 0);
		dnssrv_put16(out + o + 8, DNSSRV_TTL);
		dnssrv_put16(out + o + 10, (unsigned)ans[i].len);
		memcpy(out + o + 12, ans[i].data, ans[i].len);
		o += 12 + ans[i].len;
	}
	out[3] = (uint8_t)rcode;
	dnssrv_put16(out + 6, (unsigned)n);
	if (log != NULL) {
		fprintf(log, "query %s %s rcode=%u answers=%d\n", qname,
		    dnssrv_type_name(qtype), rcode, n);
		fflush(log);
	}
	return o;
}

static void
dnssrv_usage(FILE *f)
{
	fprintf(f, "usage: dnsserver [-p PORT] [-t SECONDS] [-l LOGFILE] "
	    "ZONEFILE\n");
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct sigaction sa;
	long port = 0, seconds = 120;
	const char *logfile = NULL;
	FILE *log = NULL;
	time_t end;
	int c, fd;

	while ((c = getopt(argc, argv, "p:t:l:h")) != -1) {
		char *e;

		switch (c) {
		case 'p':
			port = strtol(optarg, &e, 10);
			if (*e != '\0' || port < 0 || port > 65535) {
				dnssrv_usage(stderr);
				return 2;
			}
			break;
		case 't':
			seconds = strtol(optarg, &e, 10);
			if (*e != '\0' || seconds < 1 ||
			    seconds > DNSSRV_MAX_SECONDS) {
				dnssrv_usage(stderr);
				return 2;
			}
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'h':
			dnssrv_usage(stdout);
			return 0;
		default:
			dnssrv_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		dnssrv_usage(stderr);
		return 2;
	}
	if (logfile != NULL && (log = fopen(logfile, "a")) == NULL) {
		fprintf(stderr, "dnsserver: %s: %s\n", logfile, strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dnssrv_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		fprintf(stderr, "dnsserver: socket: %s\n", strerror(errno));
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		fprintf(stderr, "dnsserver: bind: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	printf("port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	end = time(NULL) + seconds;
	while (!dnssrv_stop && time(NULL) < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint8_t q[DNSSRV_MAX_MSG], r[DNSSRV_MAX_MSG];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t k;
		size_t rl;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		k = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &fl);
		if (k <= 0)
			continue;
		rl = dnssrv_answer(argv[optind], q, (size_t)k, r, sizeof(r),
		    log);
		if (rl > 0)
			(void)sendto(fd, r, rl, 0, (struct sockaddr *)&from, fl);
	}
	close(fd);
	if (log != NULL)
		fclose(log);
	return 0;
}
