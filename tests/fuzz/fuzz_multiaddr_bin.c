/*
 * fuzz_multiaddr_bin.c - libFuzzer target for pd_multiaddr_from_bytes().
 *
 * Invariants (abort() on violation): a successful decode keeps the input
 * bytes exactly; it formats; the text parses back to the same bytes and
 * formats to the same text; the components tile the input; the /p2p/ and
 * sockaddr helpers agree with each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/error.h"

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Re-appending the stripped peer gives ma back, unless bare itself ends
 * in a /p2p/ (e.g. /p2p/A/p2p/B): then the same peer is a no-op and a
 * different one is refused.
 */
static void
fuzz_check_reappend(const struct pd_multiaddr *ma,
    const struct pd_multiaddr *bare, const uint8_t *mh, size_t mhlen)
{
	struct pd_multiaddr again;
	const uint8_t *mh2;
	size_t mh2len;
	int r = pd_multiaddr_append_peer(bare, mh, mhlen, &again);

	if (pd_multiaddr_peer_id(bare, &mh2, &mh2len) != 0) {
		if (r != 0 || !pd_multiaddr_equal(ma, &again))
			abort();
	} else if (mh2len == mhlen && memcmp(mh2, mh, mhlen) == 0) {
		if (r != 0 || !pd_multiaddr_equal(bare, &again))
			abort();
	} else if (r != PD_ERR_EXISTS) {
		abort();
	}
}

static void
fuzz_check_helpers(const struct pd_multiaddr *ma)
{
	struct pd_multiaddr bare, back;
	struct sockaddr_storage ss;
	struct pd_multiaddr_comp first;
	const uint8_t *mh;
	size_t mhlen, off = 0;
	socklen_t sl;

	(void)pd_multiaddr_is_loopback(ma);
	(void)pd_multiaddr_is_private(ma);
	(void)pd_multiaddr_is_unspecified(ma);
	if (pd_multiaddr_peer_id(ma, &mh, &mhlen) == 0) {
		if (pd_multiaddr_without_peer(ma, &bare) == 0) {
			if (bare.len >= ma->len)
				abort();
			fuzz_check_reappend(ma, &bare, mh, mhlen);
		} else if (pd_multiaddr_count(ma) != 1) {
			abort();
		}
	} else if (pd_multiaddr_without_peer(ma, &bare) != 0 ||
	    !pd_multiaddr_equal(ma, &bare)) {
		abort();
	}
	if (pd_multiaddr_to_sockaddr(ma, &ss, &sl) != 0)
		return;
	if (pd_multiaddr_from_sockaddr((struct sockaddr *)&ss, sl, &back) != 0)
		abort();
	if (pd_multiaddr_next(ma, &off, &first) != 1)
		abort();
	/* plain /ip4/ or non-mapped /ip6/ without zone: exact inverse */
	if (first.code == PD_MULTIADDR_IP4 || (first.code == PD_MULTIADDR_IP6 &&
	    !(memcmp(first.value, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0))) {
		if (pd_multiaddr_without_peer(ma, &bare) != 0 ||
		    !pd_multiaddr_equal(&bare, &back))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_multiaddr ma, mb;
	struct pd_multiaddr_comp c;
	char text[PD_MULTIADDR_MAX_TEXT + 1], text2[PD_MULTIADDR_MAX_TEXT + 1];
	char why[256];
	size_t off = 0, ncomp = 0, covered = 0;
	int r, n;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (pd_multiaddr_from_bytes(data, size, &ma, why, sizeof(why)) != 0)
		return 0;
	if (ma.len != size || memcmp(ma.bytes, data, size) != 0)
		abort();
	while ((r = pd_multiaddr_next(&ma, &off, &c)) > 0) {
		if (c.off != covered || c.name == NULL)
			abort();
		covered += c.len;
		ncomp++;
	}
	if (r != 0 || covered != size || ncomp == 0 ||
	    ncomp > PD_MULTIADDR_MAX_COMPONENTS)
		abort();
	n = pd_multiaddr_format(&ma, text, sizeof(text));
	if (n <= 0 || (size_t)n != strlen(text))
		abort();
	if (pd_multiaddr_parse(text, &mb, why, sizeof(why)) != 0)
		abort();
	if (!pd_multiaddr_equal(&ma, &mb))
		abort();
	if (pd_multiaddr_format(&mb, text2, sizeof(text2)) != n ||
	    strcmp(text, text2) != 0)
		abort();
	fuzz_check_helpers(&ma);
	return 0;
}
