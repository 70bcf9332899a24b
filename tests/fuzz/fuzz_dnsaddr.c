/*
 * fuzz_dnsaddr.c - libFuzzer target for lib/discovery/dnsaddr.c.  The
 * first byte picks a mode, the rest is the input.  Invariants, abort()
 * on violation:
 * - mode 0, "dnsaddr=" TXT text: a parsed multiaddr formats to text that
 *   parses back to the same bytes, and "dnsaddr=" + that text parses too;
 *   text without the prefix is always PD_ERR_NOT_FOUND;
 * - mode 1, a DNS answer to the query for "_dnsaddr.x.example" (id from
 *   bytes 1-2): a successful decode keeps at most PD_DNSADDR_MAX_TXT
 *   records, each NUL-terminated with len == strlen <= the cap; feeding
 *   them to a resolution of /dnsaddr/x.example/p2p/ID keeps every cap and
 *   every result ends with /p2p/ID;
 * - mode 2, a host name: a query it encodes, echoed back as an empty
 *   response, decodes with no records; the host check and the encoder
 *   agree;
 * - mode 3, a whole resolution: input lines are TXT texts answered to
 *   every query in turn; it ends within PD_DNSADDR_MAX_QUERIES answers
 *   and keeps every cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "discovery/dnsaddr.h"

#define FUZZ_DNSADDR_MAX_INPUT 65536	/* bytes */
#define FUZZ_DNSADDR_ID "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pd_dnsaddr fuzz_res;
static struct pd_dnsaddr_txt_answer fuzz_ans;

static void
fuzz_dnsaddr_check_res(const struct pd_dnsaddr *r)
{
	struct pd_multiaddr suffix;

	if (r->nresults > PD_DNSADDR_MAX_RESULTS ||
	    r->nq > PD_DNSADDR_MAX_QUERIES)
		abort();
	if (pd_multiaddr_parse("/p2p/" FUZZ_DNSADDR_ID, &suffix, NULL, 0) < 0)
		abort();
	for (size_t i = 0; i < r->nresults; i++) {
		if (r->root_rest.len > 0 &&
		    !pd_dnsaddr_has_suffix(&r->results[i], &suffix))
			abort();
		for (size_t k = 0; k < i; k++)
			if (pd_multiaddr_equal(&r->results[i],
			    &r->results[k]))
				abort();
	}
	for (size_t i = 0; i < r->nq; i++)
		if (r->q[i].depth < 1 || r->q[i].depth > PD_DNSADDR_MAX_DEPTH)
			abort();
}

static void
fuzz_dnsaddr_txt(const uint8_t *p, size_t n)
{
	struct pd_multiaddr ma, back;
	char text[PD_MULTIADDR_MAX_TEXT + 16];
	int r, len;

	r = pd_dnsaddr_parse_txt((const char *)p, n, &ma, NULL, 0);
	if (n < 8 || memcmp(p, "dnsaddr=", 8) != 0) {
		if (r != PD_ERR_NOT_FOUND)
			abort();
		return;
	}
	if (r < 0)
		return;
	memcpy(text, "dnsaddr=", 8);
	if ((len = pd_multiaddr_format(&ma, text + 8, sizeof(text) - 8)) < 0)
		abort();
	if (pd_dnsaddr_parse_txt(text, 8 + (size_t)len, &back, NULL, 0) < 0 ||
	    !pd_multiaddr_equal(&ma, &back))
		abort();
}

static void
fuzz_dnsaddr_answer(const uint8_t *p, size_t n)
{
	const char *txt[PD_DNSADDR_MAX_TXT];
	struct pd_multiaddr root;
	size_t token;
	const char *qn;
	uint16_t id;

	if (n < 2)
		return;
	id = (uint16_t)(p[0] << 8 | p[1]);
	if (pd_dnsaddr_txt_decode(p + 2, n - 2, id, "_dnsaddr.x.example",
	    &fuzz_ans, NULL, 0) < 0)
		return;
	if (fuzz_ans.ntxt > PD_DNSADDR_MAX_TXT)
		abort();
	for (size_t i = 0; i < fuzz_ans.ntxt; i++) {
		if (fuzz_ans.len[i] > PD_DNSADDR_MAX_TXT_LEN ||
		    strlen(fuzz_ans.txt[i]) != fuzz_ans.len[i])
			abort();
		txt[i] = fuzz_ans.txt[i];
	}
	if (pd_multiaddr_parse("/dnsaddr/x.example/p2p/" FUZZ_DNSADDR_ID,
	    &root, NULL, 0) < 0 || pd_dnsaddr_init(&fuzz_res, &root, NULL,
	    0) < 0)
		abort();
	if (pd_dnsaddr_next_query(&fuzz_res, &token, &qn) != 1 ||
	    strcmp(qn, "_dnsaddr.x.example") != 0)
		abort();
	if (pd_dnsaddr_feed(&fuzz_res, token, txt, fuzz_ans.ntxt) < 0)
		abort();
	fuzz_dnsaddr_check_res(&fuzz_res);
}

static void
fuzz_dnsaddr_name(const uint8_t *p, size_t n)
{
	char name[PD_DNSADDR_QNAME_MAX + 8], host[PD_DNSADDR_QNAME_MAX];
	uint8_t q[12 + PD_DNSADDR_QNAME_MAX + 6];
	size_t qlen;
	int hr, er;

	if (n >= sizeof(name) || memchr(p, '\0', n) != NULL)
		return;
	memcpy(name, p, n);
	name[n] = '\0';
	hr = pd_dnsaddr_host(p, n, host, sizeof(host));
	er = pd_dnsaddr_query_encode(0x4242, name, PD_DNSADDR_TYPE_TXT, q,
	    sizeof(q), &qlen);
	if ((hr == 0) != (er == 0))
		abort();
	if (er < 0)
		return;
	q[2] |= 0x80;				/* make it a response */
	if (pd_dnsaddr_txt_decode(q, qlen, 0x4242, host, &fuzz_ans, NULL,
	    0) != 0 || fuzz_ans.ntxt != 0 || fuzz_ans.rcode != 0)
		abort();
}

static void
fuzz_dnsaddr_resolve(const uint8_t *p, size_t n)
{
	static char lines[PD_DNSADDR_MAX_TXT][PD_DNSADDR_MAX_TXT_LEN + 1];
	const char *txt[PD_DNSADDR_MAX_TXT];
	struct pd_multiaddr root;
	size_t nl = 0, start = 0, token, answers = 0;
	const char *qn;

	for (size_t i = 0; i <= n && nl < PD_DNSADDR_MAX_TXT; i++)
		if (i == n || p[i] == '\n') {
			size_t l = i - start;

			if (l > PD_DNSADDR_MAX_TXT_LEN)
				l = PD_DNSADDR_MAX_TXT_LEN;
			memcpy(lines[nl], p + start, l);
			lines[nl][l] = '\0';
			txt[nl] = lines[nl];
			nl++;
			start = i + 1;
		}
	if (pd_multiaddr_parse("/dnsaddr/x.example/p2p/" FUZZ_DNSADDR_ID,
	    &root, NULL, 0) < 0 || pd_dnsaddr_init(&fuzz_res, &root, NULL,
	    0) < 0)
		abort();
	while (pd_dnsaddr_next_query(&fuzz_res, &token, &qn) == 1) {
		if (++answers > PD_DNSADDR_MAX_QUERIES)
			abort();
		if (answers % 5 == 4) {
			if (pd_dnsaddr_fail(&fuzz_res, token, "fuzz") < 0)
				abort();
		} else if (pd_dnsaddr_feed(&fuzz_res, token, txt, nl) < 0) {
			abort();
		}
		fuzz_dnsaddr_check_res(&fuzz_res);
	}
	if (!pd_dnsaddr_done(&fuzz_res))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_DNSADDR_MAX_INPUT)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_dnsaddr_txt(data + 1, size - 1);
		break;
	case 1:
		fuzz_dnsaddr_answer(data + 1, size - 1);
		break;
	case 2:
		fuzz_dnsaddr_name(data + 1, size - 1);
		break;
	default:
		fuzz_dnsaddr_resolve(data + 1, size - 1);
		break;
	}
	return 0;
}
