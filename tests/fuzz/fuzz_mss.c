/*
 * fuzz_mss.c - libFuzzer target for lib/net/mss.c.
 *
 * Byte 0 picks the role (bit 0: dialer, else listener) and a chunking
 * seed; the rest is fed as the remote's bytes in chunks.  Invariants:
 * feed results are 0, 1 or negative; consumption never exceeds a chunk
 * and is whole on 0; once done the protocol is one we offered or accept;
 * everything we wrote parses back as LP messages of at most
 * PD_MSS_MAX_MSG bytes that follow the protocol (header first, then
 * "na", echo, ls answers or proposals from the list, in order).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/varint.h"
#include "net/mss.h"

#define FZ_MSS_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_listen[] = { "/noise", "/yamux/1.0.0",
    "/ipfs/kad/1.0.0" };
static const char *const fz_dial[] = { "/tls/1.0.0", "/noise",
    "/yamux/1.0.0" };

static int
fz_match(const char *proto, size_t len, void *arg)
{
	(void)arg;
	if (strlen(proto) != len)
		abort();
	return strcmp(proto, "/ipfs/ping/1.0.0") == 0;
}

static int
fz_in_list(const char *const *list, size_t n, const uint8_t *tok,
    size_t tlen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == tlen && memcmp(list[i], tok, tlen) == 0)
			return 1;
	return 0;
}

/* Parse one LP message at p[*off..len); abort if malformed. */
static void
fz_next(const uint8_t *p, size_t len, size_t *off, const uint8_t **tok,
    size_t *tlen)
{
	uint64_t v;
	int r = pd_varint_decode(p + *off, len - *off, &v);

	if (r <= 0 || v == 0 || v > PD_MSS_MAX_MSG || v > len - *off - (size_t)r)
		abort();
	*tok = p + *off + r;
	*tlen = (size_t)v - 1;
	if ((*tok)[*tlen] != '\n')
		abort();
	*off += (size_t)r + (size_t)v;
}

/* Our whole output so far: check it message by message. */
static void
fz_check_out(const struct pd_buf *out, int dialer, const char *chosen)
{
	size_t off = 0, nmsg = 0, next_prop = 0;
	int echoed = 0;

	while (off < out->len) {
		const uint8_t *tok;
		size_t tlen;

		fz_next(out->data, out->len, &off, &tok, &tlen);
		if (echoed)
			abort();	/* nothing after the echo */
		if (nmsg++ == 0) {
			if (!fz_in_list((const char *const[]){
			    PD_MSS_PROTOCOL_ID }, 1, tok, tlen))
				abort();
			continue;
		}
		if (dialer) {
			/* Proposals in list order. */
			if (next_prop >= 3 || strlen(fz_dial[next_prop]) !=
			    tlen || memcmp(fz_dial[next_prop], tok, tlen) != 0)
				abort();
			next_prop++;
			continue;
		}
		if (tlen == 2 && memcmp(tok, "na", 2) == 0)
			continue;
		if (tlen > 0 && tok[tlen - 1] == '\n') {
			/* ls answer: LP entries then "\n". */
			size_t o = 0, n = 0;

			while (o < tlen) {
				const uint8_t *t;
				size_t tl;

				fz_next(tok, tlen, &o, &t, &tl);
				if (!fz_in_list(fz_listen, 3, t, tl))
					abort();
				n++;
			}
			if (n != 3)
				abort();
			continue;
		}
		if (chosen == NULL || strlen(chosen) != tlen ||
		    memcmp(chosen, tok, tlen) != 0)
			abort();
		echoed = 1;
	}
	if (nmsg > 1 + PD_MSS_MAX_PROPOSALS + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_mss *m = NULL;
	int dialer, r = 0;
	unsigned seed;
	size_t off = 1;

	if (size < 1 || size > FZ_MSS_MAX_INPUT)
		return 0;
	dialer = data[0] & 1;
	seed = data[0] >> 1;
	if (dialer)
		r = pd_mss_dialer_new(fz_dial, 3, &m);
	else
		r = pd_mss_listener_new(fz_listen, 3, fz_match, NULL, &m);
	if (r < 0)
		abort();
	while (off < size) {
		size_t chunk = seed == 0 ? size - off : 1 + (off * seed) % 23;
		size_t used = (size_t)-1;

		if (chunk > size - off)
			chunk = size - off;
		r = pd_mss_feed(m, data + off, chunk, &used);
		if (r > 1 || r != pd_mss_status(m))
			abort();
		if (r == 0 && used != chunk)
			abort();
		if (r == 1 && used > chunk)
			abort();
		if (r < 0 && pd_mss_why(m)[0] == '\0')
			abort();
		fz_check_out(pd_mss_out(m), dialer, pd_mss_protocol(m));
		if (r != 0)
			break;
		off += chunk;
	}
	if (pd_mss_status(m) == 1) {
		const char *p = pd_mss_protocol(m);

		if (p == NULL || !pd_mss_proto_valid(p))
			abort();
		if (dialer ? !fz_in_list(fz_dial, 3, (const uint8_t *)p,
		    strlen(p)) : !fz_in_list(fz_listen, 3, (const uint8_t *)p,
		    strlen(p)) && strcmp(p, "/ipfs/ping/1.0.0") != 0)
			abort();
		if (pd_mss_eof(m) != 1)
			abort();
	} else if (pd_mss_status(m) == 0) {
		if (pd_mss_eof(m) != PD_ERR_CLOSED)
			abort();
	}
	pd_mss_free(m);
	return 0;
}
