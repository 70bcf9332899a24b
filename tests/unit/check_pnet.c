/*
 * check_pnet.c - unit tests for lib/net/pnet.c: PSK v1 key files (the
 * shapes of go-libp2p's core/pnet codec tests: base16 upper and lower
 * case, base64, binary, CRLF headers; and every rejection with its
 * reason), the NaCl XSalsa20 known answer (4 MiB keystream digest) through
 * the pnet reader in odd chunks, two ends exchanging streams in random
 * chunks both ways, a wrong PSK producing garbage, and the fingerprint
 * (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/pnet.h"

#include "helpers.h"

static uint64_t pt_rng_state;

static uint64_t
pt_rng(void)
{
	return pd_test_rng(&pt_rng_state);
}

static void
pt_unhex(const char *hex, uint8_t *out, size_t n)
{
	ck_assert_uint_eq(pd_test_unhex(hex, out, n), n);
}

/* ------------------------------------------------------------------
 * Key files
 */

static int
pt_parse(const char *text, size_t len, uint8_t *psk, char *why)
{
	why[0] = '\0';
	return pd_pnet_psk_parse((const uint8_t *)text, len, psk, why, 128);
}

#define PT_PARSE(s, psk, why) pt_parse((s), sizeof(s) - 1, (psk), (why))

static const char pt_hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

START_TEST(test_parse_good)
{
	uint8_t psk[32], want[32], ff[32];
	char why[128];

	for (int i = 0; i < 32; i++)
		want[i] = (uint8_t)i;
	memset(ff, 0xff, sizeof(ff));

	memset(psk, 0, sizeof(psk));
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\n/base16/\n"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    psk, why), 0);
	ck_assert_mem_eq(psk, want, 32);
	/* kubo's usual file: trailing newline. */
	memset(psk, 0, sizeof(psk));
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\n/base16/\n"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	    psk, why), 0);
	ck_assert_mem_eq(psk, want, 32);
	/* go's TestDecodeHex: upper case FF x 32; CRLF header lines. */
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\r\n/base16/\r\n"
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n",
	    psk, why), 0);
	ck_assert_mem_eq(psk, ff, 32);
	/* go's TestDecodeB64: bytes 0..31 in standard base64. */
	memset(psk, 0, sizeof(psk));
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\n/base64/\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", psk, why), 0);
	ck_assert_mem_eq(psk, want, 32);
	/* base64 wrapped over lines (go's decoder drops CR and LF). */
	memset(psk, 0, sizeof(psk));
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\n/base64/\n"
	    "AAECAwQFBgcICQoLDA0O\r\nDxAREhMUFRYXGBkaGxwdHh8=", psk, why), 0);
	ck_assert_mem_eq(psk, want, 32);
	/* go's TestDecodeBin: raw bytes, which may contain '\n'. */
	{
		uint8_t file[64];
		size_t n = 0;

		memcpy(file, "/key/swarm/psk/1.0.0/\n/bin/\n", 28);
		n = 28;
		for (int i = 0; i < 32; i++)
			file[n++] = (uint8_t)(i + 1) % 11 == 0 ? '\n' :
			    (uint8_t)(0xa0 + i);
		memset(psk, 0, sizeof(psk));
		ck_assert_int_eq(pd_pnet_psk_parse(file, n, psk, why,
		    sizeof(why)), 0);
		ck_assert_mem_eq(psk, file + 28, 32);
	}
	/* Anything after the 32 key bytes is ignored, as go does. */
	ck_assert_int_eq(PT_PARSE("/key/swarm/psk/1.0.0/\n/base16/\n"
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "zz trailing", psk, why), 0);
	ck_assert_mem_eq(psk, want, 32);
	/* why may be NULL. */
	ck_assert_int_eq(pd_pnet_psk_parse((const uint8_t *)"x", 1, psk, NULL,
	    0), PD_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const struct {
		const char *text;
		int err;
		const char *why;	/* substring of the reason */
	} cases[] = {
		{ "", PD_ERR_TRUNCATED, "header" },
		{ "/key/swarm/psk/1.0.0/", PD_ERR_TRUNCATED, "header" },
		{ "/key/swarm/psk/1.0.0/\n", PD_ERR_TRUNCATED, "encoding" },
		{ "/key/swarm/psk/1.0.0/\n/base16/", PD_ERR_TRUNCATED,
		  "encoding" },
		{ "/key/swarm/psk/2.0.0/\n/base16/\n", PD_ERR_MALFORMED,
		  "first line" },
		{ " /key/swarm/psk/1.0.0/\n/base16/\n", PD_ERR_MALFORMED,
		  "first line" },
		{ "/key/swarm/psk/1.0.0/ \n/base16/\n", PD_ERR_MALFORMED,
		  "first line" },
		{ "/key/swarm/psk/1.0.0/\n/base32/\nAAAA", PD_ERR_UNSUPPORTED,
		  "encoding" },
		{ "/key/swarm/psk/1.0.0/\n/BASE16/\nAAAA", PD_ERR_UNSUPPORTED,
		  "encoding" },
		{ "/key/swarm/psk/1.0.0/\n\n", PD_ERR_UNSUPPORTED, "encoding" },
		{ "/key/swarm/psk/1.0.0/\n/base16/\n0001020304", PD_ERR_TRUNCATED,
		  "64 hex" },
		{ "/key/swarm/psk/1.0.0/\n/base16/\n"
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
		  PD_ERR_TRUNCATED, "64 hex" },
		{ "/key/swarm/psk/1.0.0/\n/base16/\n"
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1eXX",
		  PD_ERR_MALFORMED, "non-hex" },
		{ "/key/swarm/psk/1.0.0/\n/base16/\n"
		  "00010203040506070809 a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  PD_ERR_MALFORMED, "non-hex" },
		{ "/key/swarm/psk/1.0.0/\n/base16/\n\n"
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  PD_ERR_MALFORMED, "non-hex" },
		{ "/key/swarm/psk/1.0.0/\n/base64/\n"
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", PD_ERR_TRUNCATED,
		  "base64" },
		{ "/key/swarm/psk/1.0.0/\n/base64/\n"
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
		  PD_ERR_MALFORMED, "base64" },
		{ "/key/swarm/psk/1.0.0/\n/base64/\n"
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=",
		  PD_ERR_MALFORMED, "base64" },
		{ "/key/swarm/psk/1.0.0/\n/base64/\n"
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd==", PD_ERR_TRUNCATED,
		  "base64" },
		{ "/key/swarm/psk/1.0.0/\n/bin/\n0123456789", PD_ERR_TRUNCATED,
		  "32 bytes" },
	};
	uint8_t psk[32], canary[32];
	char why[128];

	memset(canary, 0x5a, sizeof(canary));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(psk, canary, 32);
		ck_assert_msg(pt_parse(cases[i].text, strlen(cases[i].text),
		    psk, why) == cases[i].err, "case %zu", i);
		ck_assert_msg(strstr(why, cases[i].why) != NULL,
		    "case %zu: why '%s'", i, why);
		ck_assert_mem_eq(psk, canary, 32);	/* untouched */
	}
}
END_TEST

START_TEST(test_parse_size_cap)
{
	size_t n = PD_PNET_MAX_FILE + 1;
	uint8_t *file = malloc(n), psk[32];
	char why[128];
	int len;

	ck_assert_ptr_nonnull(file);
	len = snprintf((char *)file, n, "/key/swarm/psk/1.0.0/\n/base16/\n%s\n",
	    pt_hex_key);
	memset(file + len, '\n', n - (size_t)len);
	ck_assert_int_eq(pd_pnet_psk_parse(file, n, psk, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	ck_assert_ptr_nonnull(strstr(why, "4096"));
	ck_assert_int_eq(pd_pnet_psk_parse(file, n - 1, psk, why, sizeof(why)),
	    0);
	free(file);
}
END_TEST

START_TEST(test_parse_every_prefix)
{
	/* Every strict prefix of a good file fails cleanly, never reads on. */
	char text[] = "/key/swarm/psk/1.0.0/\n/base64/\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	size_t len = strlen(text);
	uint8_t psk[32];
	char why[128];

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, text, n);
		ck_assert_int_lt(pd_pnet_psk_parse(copy, n, psk, why,
		    sizeof(why)), 0);
		free(copy);
	}
	ck_assert_int_eq(pt_parse(text, len, psk, why), 0);
}
END_TEST

START_TEST(test_fingerprint)
{
	uint8_t psk[32], h[32];
	char fp[PD_PNET_FINGERPRINT_HEX], want[65];

	pt_unhex(pt_hex_key, psk, 32);
	pd_pnet_fingerprint(psk, fp);
	ck_assert_uint_eq(strlen(fp), 16);
	crypto_hash_sha256(h, psk, 32);
	sodium_bin2hex(want, sizeof(want), h, 32);
	ck_assert_mem_eq(fp, want, 16);
	/* SHA-256 of bytes 00..1f (FIPS-style check of the definition). */
	ck_assert_str_eq(fp, "630dcd2966c43366");
	psk[31] ^= 1;
	pd_pnet_fingerprint(psk, want);
	ck_assert_str_ne(fp, want);
}
END_TEST

/* ------------------------------------------------------------------
 * Stream cipher
 */

/*
 * NaCl's XSalsa20 test (naclcrypto-20090310.pdf §10, libsodium
 * test/default/stream): key "firstkey", nonce below, the first 4 MiB of
 * keystream hash to 662b9d0e...; the first 32 bytes are eea6a725....
 * Fed as a peer's nonce plus zeros in odd chunks, pnet must output
 * exactly that keystream.
 */
START_TEST(test_xsalsa20_known_answer)
{
	static const size_t total = 4194304;
	uint8_t key[32], nonce[24], h[32], want[32], first[32], head[32];
	uint8_t *zeros = calloc(1, 70000);
	crypto_hash_sha256_state st;
	struct pd_pnet *pn = NULL;
	struct pd_buf out;
	size_t done = 0;

	ck_assert_ptr_nonnull(zeros);
	pt_unhex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389",
	    key, 32);
	pt_unhex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37", nonce, 24);
	pt_unhex("662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2",
	    want, 32);
	pt_unhex("eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880",
	    first, 32);
	ck_assert_int_eq(pd_pnet_new(key, &pn), 0);
	pd_buf_init(&out);
	/* The nonce itself arrives split: 5 + 19 bytes. */
	ck_assert_int_eq(pd_pnet_decrypt(pn, nonce, 5, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(pd_pnet_decrypt(pn, nonce + 5, 19, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	crypto_hash_sha256_init(&st);
	while (done < total) {
		size_t n = 1 + (size_t)(pt_rng() % 69999);

		if (pt_rng() % 3 == 0)
			n = 1 + (size_t)(pt_rng() % 130);
		if (n > total - done)
			n = total - done;
		pd_buf_reset(&out);
		ck_assert_int_eq(pd_pnet_decrypt(pn, zeros, n, &out), 0);
		ck_assert_uint_eq(out.len, n);
		for (size_t i = 0; done + i < 32 && i < n; i++)
			head[done + i] = out.data[i];
		crypto_hash_sha256_update(&st, out.data, n);
		done += n;
	}
	crypto_hash_sha256_final(&st, h);
	ck_assert_mem_eq(head, first, 32);
	ck_assert_mem_eq(h, want, 32);
	pd_pnet_free(pn);
	pd_buf_free(&out);
	free(zeros);
}
END_TEST

/*
 * Send len random bytes from a to b: encrypt in random chunks, deliver in
 * other random chunks; returns what b produced in got.
 */
static void
pt_transfer(struct pd_pnet *a, struct pd_pnet *b, const uint8_t *msg,
    size_t len, struct pd_buf *got)
{
	struct pd_buf wire;
	size_t off = 0;

	pd_buf_init(&wire);
	while (off < len) {
		size_t n = 1 + (size_t)(pt_rng() % 997);

		if (n > len - off)
			n = len - off;
		ck_assert_int_eq(pd_pnet_encrypt(a, msg + off, n, &wire), 0);
		off += n;
	}
	off = 0;
	while (off < wire.len) {
		size_t n = 1 + (size_t)(pt_rng() % 1013);

		if (n > wire.len - off)
			n = wire.len - off;
		ck_assert_int_eq(pd_pnet_decrypt(b, wire.data + off, n, got), 0);
		off += n;
	}
	pd_buf_free(&wire);
}

START_TEST(test_two_ends)
{
	uint8_t psk[32], m1[20000], m2[7777];
	struct pd_pnet *a = NULL, *b = NULL;
	struct pd_buf ga, gb, w;

	randombytes_buf(psk, sizeof(psk));
	randombytes_buf(m1, sizeof(m1));
	randombytes_buf(m2, sizeof(m2));
	ck_assert_int_eq(pd_pnet_new(psk, &a), 0);
	ck_assert_int_eq(pd_pnet_new(psk, &b), 0);
	pd_buf_init(&ga);
	pd_buf_init(&gb);
	pd_buf_init(&w);
	/* The first output of each side is its nonce, exactly once. */
	ck_assert_int_eq(pd_pnet_start(a, &w), 0);
	ck_assert_uint_eq(w.len, PD_PNET_NONCE_LEN);
	ck_assert_int_eq(pd_pnet_start(a, &w), 0);
	ck_assert_int_eq(pd_pnet_encrypt(a, NULL, 0, &w), 0);
	ck_assert_uint_eq(w.len, PD_PNET_NONCE_LEN);
	ck_assert_int_eq(pd_pnet_decrypt(b, w.data, w.len, &gb), 0);
	ck_assert_uint_eq(gb.len, 0);
	/* Both directions interleaved. */
	pt_transfer(a, b, m1, 10000, &gb);
	pt_transfer(b, a, m2, sizeof(m2), &ga);
	pt_transfer(a, b, m1 + 10000, 10000, &gb);
	ck_assert_uint_eq(gb.len, sizeof(m1));
	ck_assert_mem_eq(gb.data, m1, sizeof(m1));
	ck_assert_uint_eq(ga.len, sizeof(m2));
	ck_assert_mem_eq(ga.data, m2, sizeof(m2));
	pd_pnet_free(a);
	pd_pnet_free(b);
	pd_pnet_free(NULL);
	pd_buf_free(&ga);
	pd_buf_free(&gb);
	pd_buf_free(&w);
}
END_TEST

START_TEST(test_ciphertext_shape)
{
	/* The wire is nonce ‖ (plaintext XOR XSalsa20(psk, nonce)). */
	uint8_t psk[32], msg[300], ks[300];
	struct pd_pnet *a = NULL;
	struct pd_buf w;

	randombytes_buf(psk, sizeof(psk));
	randombytes_buf(msg, sizeof(msg));
	ck_assert_int_eq(pd_pnet_new(psk, &a), 0);
	pd_buf_init(&w);
	ck_assert_int_eq(pd_pnet_encrypt(a, msg, 7, &w), 0);
	ck_assert_int_eq(pd_pnet_encrypt(a, msg + 7, 64, &w), 0);
	ck_assert_int_eq(pd_pnet_encrypt(a, msg + 71, 229, &w), 0);
	ck_assert_uint_eq(w.len, 24 + 300);
	crypto_stream_xsalsa20_xor(ks, msg, sizeof(msg), w.data, psk);
	ck_assert_mem_eq(w.data + 24, ks, sizeof(ks));
	pd_pnet_free(a);
	pd_buf_free(&w);
}
END_TEST

START_TEST(test_wrong_psk)
{
	static const uint8_t ms[] = "\x13/multistream/1.0.0\n\x07/noise\n";
	uint8_t psk1[32], psk2[32];
	struct pd_pnet *a = NULL, *b = NULL;
	struct pd_buf got;

	randombytes_buf(psk1, sizeof(psk1));
	memcpy(psk2, psk1, sizeof(psk2));
	psk2[0] ^= 1;				/* one bit off */
	ck_assert_int_eq(pd_pnet_new(psk1, &a), 0);
	ck_assert_int_eq(pd_pnet_new(psk2, &b), 0);
	pd_buf_init(&got);
	pt_transfer(a, b, ms, sizeof(ms) - 1, &got);
	ck_assert_uint_eq(got.len, sizeof(ms) - 1);
	/* The multistream header the next layer checks is garbage. */
	ck_assert(memcmp(got.data, ms, 20) != 0);
	{
		size_t same = 0;

		for (size_t i = 0; i < got.len; i++)
			same += got.data[i] == ms[i];
		ck_assert_uint_lt(same, 8);
	}
	pd_pnet_free(a);
	pd_pnet_free(b);
	pd_buf_free(&got);
}
END_TEST

START_TEST(test_nonces_differ)
{
	uint8_t psk[32];
	struct pd_pnet *a = NULL, *b = NULL;
	struct pd_buf wa, wb;

	randombytes_buf(psk, sizeof(psk));
	ck_assert_int_eq(pd_pnet_new(psk, &a), 0);
	ck_assert_int_eq(pd_pnet_new(psk, &b), 0);
	pd_buf_init(&wa);
	pd_buf_init(&wb);
	ck_assert_int_eq(pd_pnet_encrypt(a, (const uint8_t *)"same", 4, &wa),
	    0);
	ck_assert_int_eq(pd_pnet_encrypt(b, (const uint8_t *)"same", 4, &wb),
	    0);
	ck_assert(memcmp(wa.data, wb.data, 24) != 0);
	ck_assert(memcmp(wa.data + 24, wb.data + 24, 4) != 0);
	pd_pnet_free(a);
	pd_pnet_free(b);
	pd_buf_free(&wa);
	pd_buf_free(&wb);
}
END_TEST

static Suite *
pnet_suite(void)
{
	Suite *s = suite_create("pnet");
	TCase *tc;

	tc = tcase_create("keyfile");
	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_parse_size_cap);
	tcase_add_test(tc, test_parse_every_prefix);
	tcase_add_test(tc, test_fingerprint);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_xsalsa20_known_answer);
	tcase_add_test(tc, test_two_ends);
	tcase_add_test(tc, test_ciphertext_shape);
	tcase_add_test(tc, test_wrong_psk);
	tcase_add_test(tc, test_nonces_differ);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	pt_rng_state = pd_test_seed("check_pnet");
	return pd_test_run(pnet_suite());
}
