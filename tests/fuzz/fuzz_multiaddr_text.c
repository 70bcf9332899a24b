/*
 * fuzz_multiaddr_text.c - libFuzzer target for pd_multiaddr_parse_n().
 *
 * Invariants (abort() on violation): a successful parse formats; the
 * formatted text parses to the same bytes and formats to the same text
 * (canonical form is a fixed point); the bytes pass the binary decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/multiaddr.h"

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_multiaddr ma, mb, mc;
	char text[PD_MULTIADDR_MAX_TEXT + 1], text2[PD_MULTIADDR_MAX_TEXT + 1];
	char why[256];
	int n, r;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	why[0] = '\0';
	r = pd_multiaddr_parse_n((const char *)data, size, &ma, why,
	    sizeof(why));
	if (r != 0) {
		if (why[0] == '\0' || strlen(why) >= sizeof(why))
			abort();	/* every failure explains itself */
		return 0;
	}
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
	if (pd_multiaddr_from_bytes(ma.bytes, ma.len, &mc, why,
	    sizeof(why)) != 0 || !pd_multiaddr_equal(&ma, &mc))
		abort();
	return 0;
}
