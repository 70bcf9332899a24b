/*
 * fuzz_pnet.c - libFuzzer target for lib/net/pnet.c.
 *
 * First byte even: the rest is a PSK key file.  A key that parses must
 * parse again to the same bytes from its canonical /base16/ and /bin/
 * forms, and its fingerprint must be 16 hex digits.
 * First byte odd: the rest is a raw pnet stream (peer nonce, then
 * ciphertext) fed in chunks whose sizes come from the data; the output
 * must equal XSalsa20 over the whole stream at once.  abort() on a
 * broken invariant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/pnet.h"

#define FUZZ_MAX_INPUT (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_keyfile(const uint8_t *d, size_t n)
{
	uint8_t psk[PD_PNET_PSK_LEN], again[PD_PNET_PSK_LEN];
	char why[128], hex[2 * PD_PNET_PSK_LEN + 1];
	char fp[PD_PNET_FINGERPRINT_HEX];
	uint8_t file[128];
	int len, r;

	why[0] = '\0';
	r = pd_pnet_psk_parse(d, n, psk, why, sizeof(why));
	if (r < 0) {
		if (why[0] == '\0')
			abort();
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), psk, sizeof(psk));
	len = snprintf((char *)file, sizeof(file),
	    "/key/swarm/psk/1.0.0/\n/base16/\n%s\n", hex);
	if (pd_pnet_psk_parse(file, (size_t)len, again, NULL, 0) != 0 ||
	    memcmp(psk, again, sizeof(psk)) != 0)
		abort();
	memcpy(file, "/key/swarm/psk/1.0.0/\n/bin/\n", 28);
	memcpy(file + 28, psk, sizeof(psk));
	if (pd_pnet_psk_parse(file, 28 + sizeof(psk), again, NULL, 0) != 0 ||
	    memcmp(psk, again, sizeof(psk)) != 0)
		abort();
	pd_pnet_fingerprint(psk, fp);
	if (strlen(fp) != 16)
		abort();
}

static void
fuzz_stream(const uint8_t *d, size_t n)
{
	static const uint8_t psk[PD_PNET_PSK_LEN] = { 7, 7, 7 };
	struct pd_pnet *pn = NULL;
	struct pd_buf out;
	uint8_t *want;
	size_t off = 0, i = 0;

	if (pd_pnet_new(psk, &pn) != 0)
		abort();
	pd_buf_init(&out);
	while (off < n) {
		size_t c = 1 + d[i++ % n] % 97u;

		if (c > n - off)
			c = n - off;
		if (pd_pnet_decrypt(pn, d + off, c, &out) != 0)
			abort();
		off += c;
	}
	if (n <= PD_PNET_NONCE_LEN) {
		if (out.len != 0)
			abort();
	} else {
		size_t m = n - PD_PNET_NONCE_LEN;

		if (out.len != m || (want = malloc(m)) == NULL)
			abort();
		crypto_stream_xsalsa20_xor(want, d + PD_PNET_NONCE_LEN, m, d,
		    psk);
		if (memcmp(want, out.data, m) != 0)
			abort();
		free(want);
	}
	pd_pnet_free(pn);
	pd_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT || sodium_init() < 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_keyfile(data + 1, size - 1);
	else
		fuzz_stream(data + 1, size - 1);
	return 0;
}
