/*
 * check_base.c - unit tests for lib/core/base.c: Bitcoin base58 vectors,
 * RFC 4648 §10 base32/base16/base64 vectors, multibase spec vectors
 * ("yes mani !"), peer ID text forms (libp2p-wire.md §1.4), strictness
 * (alphabet, case, padding, trailing bits), output bounds, and seeded
 * random round trips with leading zeros (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/error.h"

#include "helpers.h"

static uint64_t base_rng_state;

static uint64_t
base_rng(void)
{
	return pd_test_rng(&base_rng_state);
}

/* Bitcoin Core src/test/data/base58_encode_decode.json plus extras. */
static const struct {
	const char *hex, *b58;
} base58_vectors[] = {
	{ "", "" },
	{ "61", "2g" },
	{ "626262", "a3gV" },
	{ "636363", "aPEr" },
	{ "73696d706c792061206c6f6e6720737472696e67",
	  "2cFupjhnEsSn59qHXstmK2ffpLv2" },
	{ "00eb15231dfceb60925886b67d065299925915aeb172c06647",
	  "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
	{ "516b6fcd0f", "ABnLTmg" },
	{ "bf4f89001e670274dd", "3SEo3LWLoPntC" },
	{ "572e4794", "3EFU7m" },
	{ "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
	{ "10c8511e", "Rt5zm" },
	{ "00000000000000000000", "1111111111" },
	{ "000000287fb4cd", "111233QC4" },
	{ "000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff"
	  "480d6dd43dc62a641155a5",
	  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz" },
	{ "48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U" },	/* Hello World! */
	/* libp2p-wire.md §1.4: Ed25519 peer ID */
	{ "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e"
	  "42d474fce27e",
	  "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq" },
	/* libp2p-wire.md §1.4: sha2-256 peer ID (peer-ids spec) */
	{ "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6"
	  "f0b9",
	  "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N" },
};

START_TEST(test_base58_vectors)
{
	for (size_t i = 0; i < sizeof(base58_vectors) / sizeof(base58_vectors[0]); i++) {
		uint8_t bin[128], back[128];
		char txt[128];
		size_t n = pd_test_unhex(base58_vectors[i].hex, bin,
		    sizeof(bin));
		size_t tl = strlen(base58_vectors[i].b58);

		ck_assert_int_eq(pd_base58_encode(bin, n, txt, sizeof(txt)),
		    (int)tl);
		ck_assert_str_eq(txt, base58_vectors[i].b58);
		ck_assert_int_eq(pd_base58_decode(base58_vectors[i].b58, tl,
		    back, sizeof(back)), (int)n);
		ck_assert_mem_eq(back, bin, n);
	}
}
END_TEST

START_TEST(test_base58_invalid)
{
	static const char *const bad[] = {
		"0", "O", "I", "l", "2g ", " 2g", "2g\n", "+", "\xff", "a3g_V",
	};
	uint8_t out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(pd_base58_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)), PD_ERR_MALFORMED);
	/* An embedded NUL is not a digit. */
	ck_assert_int_eq(pd_base58_decode("2\0g", 3, out, sizeof(out)),
	    PD_ERR_MALFORMED);
}
END_TEST

START_TEST(test_base36_vectors)
{
	static const struct {
		const char *in, *out;
		size_t n;
	} v[] = {
		{ "", "", 0 },
		{ "\0", "0", 1 },
		{ "yes mani !", "2lcpzo5yikidynfl", 10 },
		{ "\0yes mani !", "02lcpzo5yikidynfl", 11 },
		{ "\0\0yes mani !", "002lcpzo5yikidynfl", 12 },
		{ "\xff\xff\xff\xff\xff\xff\xff\xff", "3w5e11264sgsf", 8 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char txt[64];
		uint8_t back[64];
		size_t tl = strlen(v[i].out);

		ck_assert_int_eq(pd_base36_encode((const uint8_t *)v[i].in,
		    v[i].n, txt, sizeof(txt)), (int)tl);
		ck_assert_str_eq(txt, v[i].out);
		ck_assert_int_eq(pd_base36_decode(v[i].out, tl, back,
		    sizeof(back)), (int)v[i].n);
		ck_assert_mem_eq(back, v[i].in, v[i].n);
	}
	{
		uint8_t out[16];

		/* Lower case only (no 'K' multibase here). */
		ck_assert_int_eq(pd_base36_decode("2LCP", 4, out, sizeof(out)),
		    PD_ERR_MALFORMED);
		ck_assert_int_eq(pd_base36_decode("2-", 2, out, sizeof(out)),
		    PD_ERR_MALFORMED);
	}
}
END_TEST

/* RFC 4648 §10, lower-cased for base32, plus the upper-case originals. */
static const struct {
	const char *in, *b32, *b32up, *b16, *b64;
} base_rfc4648[] = {
	{ "", "", "", "", "" },
	{ "f", "my", "MY", "66", "Zg==" },
	{ "fo", "mzxq", "MZXQ", "666f", "Zm8=" },
	{ "foo", "mzxw6", "MZXW6", "666f6f", "Zm9v" },
	{ "foob", "mzxw6yq", "MZXW6YQ", "666f6f62", "Zm9vYg==" },
	{ "fooba", "mzxw6ytb", "MZXW6YTB", "666f6f6261", "Zm9vYmE=" },
	{ "foobar", "mzxw6ytboi", "MZXW6YTBOI", "666f6f626172", "Zm9vYmFy" },
};

START_TEST(test_base32_rfc4648)
{
	for (size_t i = 0; i < sizeof(base_rfc4648) / sizeof(base_rfc4648[0]); i++) {
		const char *in = base_rfc4648[i].in;
		size_t n = strlen(in), tl = strlen(base_rfc4648[i].b32);
		char txt[64];
		uint8_t back[64];

		ck_assert_int_eq(pd_base32_encode((const uint8_t *)in, n, txt,
		    sizeof(txt)), (int)tl);
		ck_assert_str_eq(txt, base_rfc4648[i].b32);
		ck_assert_int_eq(pd_base32_decode(base_rfc4648[i].b32, tl, back,
		    sizeof(back)), (int)n);
		ck_assert_mem_eq(back, in, n);
		memset(back, 0, sizeof(back));
		ck_assert_int_eq(pd_base32_decode(base_rfc4648[i].b32up, tl,
		    back, sizeof(back)), (int)n);
		ck_assert_mem_eq(back, in, n);
	}
}
END_TEST

START_TEST(test_base32_invalid)
{
	static const char *const bad[] = {
		"my======",	/* padding is not accepted */
		"m",		/* 1, 3, 6 leftover chars */
		"mzx",
		"mzxw6y",
		"mz",		/* nonzero trailing bits */
		"mzxr",
		"my1",		/* '1' not in the alphabet */
		"m8",
		"my ",
		"mzxw6ytb0i",
	};
	uint8_t out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(pd_base32_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)), PD_ERR_MALFORMED);
	/* Mixed case is fine for the bare decoder. */
	ck_assert_int_eq(pd_base32_decode("mZxW6", 5, out, sizeof(out)), 3);
	ck_assert_mem_eq(out, "foo", 3);
}
END_TEST

START_TEST(test_base16)
{
	for (size_t i = 0; i < sizeof(base_rfc4648) / sizeof(base_rfc4648[0]); i++) {
		const char *in = base_rfc4648[i].in;
		size_t n = strlen(in);
		char txt[64], up[64];
		uint8_t back[64];

		ck_assert_int_eq(pd_base16_encode((const uint8_t *)in, n, txt,
		    sizeof(txt)), (int)(2 * n));
		ck_assert_str_eq(txt, base_rfc4648[i].b16);
		for (size_t k = 0; k <= 2 * n; k++)
			up[k] = (txt[k] >= 'a' && txt[k] <= 'f') ?
			    (char)(txt[k] - 32) : txt[k];
		ck_assert_int_eq(pd_base16_decode(up, 2 * n, back,
		    sizeof(back)), (int)n);
		ck_assert_mem_eq(back, in, n);
	}
	{
		uint8_t out[8];
		char txt[8];

		ck_assert_int_eq(pd_base16_encode((const uint8_t *)"\xab\xcd\xef",
		    3, txt, sizeof(txt)), 6);
		ck_assert_str_eq(txt, "abcdef");
		ck_assert_int_eq(pd_base16_decode("aB", 2, out, 8), 1);
		ck_assert_int_eq(out[0], 0xab);
		ck_assert_int_eq(pd_base16_decode("abc", 3, out, 8),
		    PD_ERR_MALFORMED);
		ck_assert_int_eq(pd_base16_decode("ag", 2, out, 8),
		    PD_ERR_MALFORMED);
		ck_assert_int_eq(pd_base16_decode("0x", 2, out, 8),
		    PD_ERR_MALFORMED);
	}
}
END_TEST

START_TEST(test_base64_rfc4648)
{
	for (size_t i = 0; i < sizeof(base_rfc4648) / sizeof(base_rfc4648[0]); i++) {
		const char *in = base_rfc4648[i].in, *want = base_rfc4648[i].b64;
		size_t n = strlen(in), tl = strlen(want), np = tl;
		char txt[64];
		uint8_t back[64];

		while (np > 0 && want[np - 1] == '=')
			np--;
		ck_assert_int_eq(pd_base64_encode(PD_BASE64_STD,
		    (const uint8_t *)in, n, txt, sizeof(txt)), (int)tl);
		ck_assert_str_eq(txt, want);
		ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, want, tl,
		    back, sizeof(back)), (int)n);
		ck_assert_mem_eq(back, in, n);
		/* The other variants agree on these (no + or / in output). */
		ck_assert_int_eq(pd_base64_encode(PD_BASE64_URL_PAD,
		    (const uint8_t *)in, n, txt, sizeof(txt)), (int)tl);
		ck_assert_str_eq(txt, want);
		ck_assert_int_eq(pd_base64_encode(PD_BASE64_STD_NOPAD,
		    (const uint8_t *)in, n, txt, sizeof(txt)), (int)np);
		ck_assert_int_eq(strncmp(txt, want, np), 0);
		ck_assert_int_eq(pd_base64_encode(PD_BASE64_URL,
		    (const uint8_t *)in, n, txt, sizeof(txt)), (int)np);
		ck_assert_int_eq(pd_base64_decode(PD_BASE64_URL, want, np,
		    back, sizeof(back)), (int)n);
		ck_assert_mem_eq(back, in, n);
		/* Padding rules are exact per variant. */
		if (np != tl) {
			ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, want,
			    np, back, sizeof(back)), PD_ERR_MALFORMED);
			ck_assert_int_eq(pd_base64_decode(PD_BASE64_URL, want,
			    tl, back, sizeof(back)), PD_ERR_MALFORMED);
		}
	}
}
END_TEST

START_TEST(test_base64_alphabets)
{
	const uint8_t in[] = { 0xfb, 0xff, 0xbf };
	const uint8_t in2[] = { 0xfb, 0xff };
	char txt[16];
	uint8_t out[16];

	ck_assert_int_eq(pd_base64_encode(PD_BASE64_STD, in, 3, txt, 16), 4);
	ck_assert_str_eq(txt, "+/+/");
	ck_assert_int_eq(pd_base64_encode(PD_BASE64_URL, in, 3, txt, 16), 4);
	ck_assert_str_eq(txt, "-_-_");
	ck_assert_int_eq(pd_base64_encode(PD_BASE64_STD, in2, 2, txt, 16), 4);
	ck_assert_str_eq(txt, "+/8=");
	ck_assert_int_eq(pd_base64_encode(PD_BASE64_URL, in2, 2, txt, 16), 3);
	ck_assert_str_eq(txt, "-_8");
	ck_assert_int_eq(pd_base64_encode(PD_BASE64_URL_PAD, in2, 2, txt, 16),
	    4);
	ck_assert_str_eq(txt, "-_8=");
	ck_assert_int_eq(pd_base64_encode(PD_BASE64_STD_NOPAD, in2, 2, txt,
	    16), 3);
	ck_assert_str_eq(txt, "+/8");

	ck_assert_int_eq(pd_base64_decode(PD_BASE64_URL, "-_8", 3, out, 16), 2);
	ck_assert_mem_eq(out, in2, 2);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD_NOPAD, "+/8", 3, out,
	    16), 2);
	ck_assert_mem_eq(out, in2, 2);
	/* Wrong alphabet for the variant. */
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_URL, "+/8", 3, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "-_8=", 4, out, 16),
	    PD_ERR_MALFORMED);
	/* Bad padding / lengths / trailing bits. */
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "Zg=", 3, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "Z===", 4, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "Zg=a", 4, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "Zh==", 4, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD, "====", 4, out, 16),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD_NOPAD, "Zg==", 4, out,
	    16), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD_NOPAD, "Zm9vY", 5, out,
	    16), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_decode(PD_BASE64_STD_NOPAD, "Zm9v\n", 5,
	    out, 16), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_base64_encode((enum pd_base64_variant)9, in, 3,
	    txt, 16), PD_ERR_INVAL);
	ck_assert_int_eq(pd_base64_decode((enum pd_base64_variant)9, "Zg", 2,
	    out, 16), PD_ERR_INVAL);
}
END_TEST

/* multiformats/multibase tests/basic.csv ("yes mani !"). */
static const struct {
	enum pd_multibase base;
	const char *text;
} base_multibase_vectors[] = {
	{ PD_MULTIBASE_BASE16, "f796573206d616e692021" },
	{ PD_MULTIBASE_BASE16UPPER, "F796573206D616E692021" },
	{ PD_MULTIBASE_BASE32, "bpfsxgidnmfxgsibb" },
	{ PD_MULTIBASE_BASE32UPPER, "BPFSXGIDNMFXGSIBB" },
	{ PD_MULTIBASE_BASE36, "k2lcpzo5yikidynfl" },
	{ PD_MULTIBASE_BASE58BTC, "z7paNL19xttacUY" },
	{ PD_MULTIBASE_BASE64, "meWVzIG1hbmkgIQ" },
	{ PD_MULTIBASE_BASE64PAD, "MeWVzIG1hbmkgIQ==" },
	{ PD_MULTIBASE_BASE64URL, "ueWVzIG1hbmkgIQ" },
	{ PD_MULTIBASE_BASE64URLPAD, "UeWVzIG1hbmkgIQ==" },
};

START_TEST(test_multibase_vectors)
{
	const char *in = "yes mani !";

	for (size_t i = 0; i < sizeof(base_multibase_vectors) / sizeof(base_multibase_vectors[0]); i++) {
		const char *want = base_multibase_vectors[i].text;
		size_t tl = strlen(want);
		enum pd_multibase got = PD_MULTIBASE_BASE16;
		char txt[64];
		uint8_t back[64];

		ck_assert_int_eq(pd_multibase_encode(base_multibase_vectors[i].base,
		    (const uint8_t *)in, 10, txt, sizeof(txt)), (int)tl);
		ck_assert_str_eq(txt, want);
		ck_assert_int_eq(pd_multibase_decode(want, tl, back,
		    sizeof(back), &got), 10);
		ck_assert_mem_eq(back, in, 10);
		ck_assert_int_eq(got, base_multibase_vectors[i].base);
		ck_assert_int_eq(pd_multibase_decode(want, tl, back,
		    sizeof(back), NULL), 10);
	}
}
END_TEST

START_TEST(test_multibase_errors)
{
	uint8_t out[64];
	char txt[64];
	enum pd_multibase got = PD_MULTIBASE_BASE16;

	ck_assert_int_eq(pd_multibase_decode("", 0, out, 64, &got),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_multibase_decode("Qm", 2, out, 64, &got),
	    PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_multibase_decode("1abc", 4, out, 64, &got),
	    PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_multibase_decode("K2LC", 4, out, 64, &got),
	    PD_ERR_UNSUPPORTED);
	/* The case must match the prefix. */
	ck_assert_int_eq(pd_multibase_decode("bPFSXGIDNMFXGSIBB", 17, out, 64,
	    &got), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_multibase_decode("Bpfsxgidnmfxgsibb", 17, out, 64,
	    &got), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_multibase_decode("bpfsxgidnmfxgsiBB", 17, out, 64,
	    &got), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_multibase_decode("fAB", 3, out, 64, &got),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_multibase_decode("Fab", 3, out, 64, &got),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(got, PD_MULTIBASE_BASE16);	/* untouched */
	/* Empty payloads are fine. */
	ck_assert_int_eq(pd_multibase_decode("z", 1, out, 64, &got), 0);
	ck_assert_int_eq(got, PD_MULTIBASE_BASE58BTC);
	ck_assert_int_eq(pd_multibase_encode(PD_MULTIBASE_BASE32, out, 0, txt,
	    2), 1);
	ck_assert_str_eq(txt, "b");
	ck_assert_int_eq(pd_multibase_encode(PD_MULTIBASE_BASE32, out, 0, txt,
	    1), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_multibase_encode((enum pd_multibase)'x', out, 0,
	    txt, 64), PD_ERR_UNSUPPORTED);
}
END_TEST

/* Encoders need len+1 bytes (NUL); decoders exactly the byte count. */
START_TEST(test_output_bounds)
{
	const uint8_t in[] = { 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const size_t n = sizeof(in);
	int (*const enc[])(const uint8_t *, size_t, char *, size_t) = {
		pd_base58_encode, pd_base36_encode, pd_base32_encode,
		pd_base16_encode,
	};
	int (*const dec[])(const char *, size_t, uint8_t *, size_t) = {
		pd_base58_decode, pd_base36_decode, pd_base32_decode,
		pd_base16_decode,
	};

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		char txt[64];
		uint8_t out[64];
		int tl = enc[i](in, n, txt, sizeof(txt));

		ck_assert_int_gt(tl, 0);
		ck_assert_int_eq(enc[i](in, n, txt, (size_t)tl), PD_ERR_OVERFLOW);
		ck_assert_int_eq(enc[i](in, n, txt, (size_t)tl + 1), tl);
		ck_assert_int_eq(dec[i](txt, (size_t)tl, out, n - 1),
		    PD_ERR_OVERFLOW);
		ck_assert_int_eq(dec[i](txt, (size_t)tl, out, n), (int)n);
		ck_assert_mem_eq(out, in, n);
	}
	for (int v = PD_BASE64_STD; v <= PD_BASE64_URL_PAD; v++) {
		char txt[64];
		uint8_t out[64];
		int tl = pd_base64_encode((enum pd_base64_variant)v, in, n, txt,
		    sizeof(txt));

		ck_assert_int_gt(tl, 0);
		ck_assert_int_eq(pd_base64_encode((enum pd_base64_variant)v, in,
		    n, txt, (size_t)tl), PD_ERR_OVERFLOW);
		ck_assert_int_eq(pd_base64_decode((enum pd_base64_variant)v,
		    txt, (size_t)tl, out, n - 1), PD_ERR_OVERFLOW);
		ck_assert_int_eq(pd_base64_decode((enum pd_base64_variant)v,
		    txt, (size_t)tl, out, n), (int)n);
	}
	{
		char txt[4];

		/* Empty input still needs room for the NUL. */
		ck_assert_int_eq(pd_base58_encode(in, 0, txt, 0),
		    PD_ERR_OVERFLOW);
		ck_assert_int_eq(pd_base58_encode(in, 0, txt, 1), 0);
		ck_assert_str_eq(txt, "");
	}
}
END_TEST

START_TEST(test_bignum_input_cap)
{
	static uint8_t in[PD_BASE_MAX_INPUT + 1], back[PD_BASE_MAX_INPUT + 1];
	static char txt[2 * PD_BASE_MAX_INPUT + 2];
	int tl;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(pd_base58_encode(in, PD_BASE_MAX_INPUT + 1, txt,
	    sizeof(txt)), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_base36_encode(in, PD_BASE_MAX_INPUT + 1, txt,
	    sizeof(txt)), PD_ERR_OVERFLOW);
	/* 2800 bytes encode to fewer than PD_BASE_MAX_INPUT characters. */
	tl = pd_base58_encode(in, 2800, txt, sizeof(txt));
	ck_assert_int_gt(tl, 0);
	ck_assert_int_le(tl, PD_BASE_MAX_INPUT);
	ck_assert_int_eq(pd_base58_decode(txt, (size_t)tl, back, sizeof(back)),
	    2800);
	ck_assert_mem_eq(back, in, 2800);
	tl = pd_base36_encode(in, PD_BASE_MAX_INPUT, txt, sizeof(txt));
	ck_assert_int_gt(tl, PD_BASE_MAX_INPUT);
	ck_assert_int_eq(pd_base36_decode(txt, (size_t)tl, back, sizeof(back)),
	    PD_ERR_OVERFLOW);
	memset(txt, '1', PD_BASE_MAX_INPUT + 1);
	ck_assert_int_eq(pd_base58_decode(txt, PD_BASE_MAX_INPUT, back,
	    sizeof(back)), PD_BASE_MAX_INPUT);
	ck_assert_int_eq(pd_base58_decode(txt, PD_BASE_MAX_INPUT + 1, back,
	    sizeof(back)), PD_ERR_OVERFLOW);
}
END_TEST

/* Model: every encoding round-trips random bytes, incl. leading zeros. */
START_TEST(test_random_roundtrip)
{
	static const enum pd_multibase bases[] = {
		PD_MULTIBASE_BASE16, PD_MULTIBASE_BASE16UPPER,
		PD_MULTIBASE_BASE32, PD_MULTIBASE_BASE32UPPER,
		PD_MULTIBASE_BASE36, PD_MULTIBASE_BASE58BTC,
		PD_MULTIBASE_BASE64, PD_MULTIBASE_BASE64PAD,
		PD_MULTIBASE_BASE64URL, PD_MULTIBASE_BASE64URLPAD,
	};

	for (int it = 0; it < 3000; it++) {
		uint8_t in[300], back[300];
		char txt[1024];
		size_t n = (size_t)(base_rng() % sizeof(in));
		size_t zeros = (size_t)(base_rng() % 4);
		enum pd_multibase b = bases[base_rng() % 10], got;
		int tl;

		for (size_t i = 0; i < n; i++)
			in[i] = i < zeros ? 0 : (uint8_t)base_rng();
		tl = pd_multibase_encode(b, in, n, txt, sizeof(txt));
		ck_assert_int_gt(tl, 0);
		ck_assert_uint_eq(strlen(txt), (size_t)tl);
		ck_assert_int_eq(pd_multibase_decode(txt, (size_t)tl, back,
		    sizeof(back), &got), (int)n);
		ck_assert_int_eq(got, b);
		ck_assert_mem_eq(back, in, n);
		if (b == PD_MULTIBASE_BASE58BTC) {
			size_t ones = 0, lead = 0;

			while (txt[1 + ones] == '1')
				ones++;
			while (lead < n && in[lead] == 0)
				lead++;
			ck_assert_uint_eq(ones, lead);
		}
	}
}
END_TEST

/*
 * Model: random text over a base's alphabet either decodes to bytes that
 * encode back to exactly that text, or is rejected.
 */
START_TEST(test_random_text)
{
	static const char alpha[] =
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	    "0+/=-_OIl";
	static const char prefixes[] = "fFbBkzmMuU";
	int ok = 0;

	for (int it = 0; it < 20000; it++) {
		char text[40], re[128];
		uint8_t bin[64];
		size_t n = 1 + (size_t)(base_rng() % 30);
		int r;

		text[0] = prefixes[base_rng() % 10];
		for (size_t i = 1; i < n; i++)
			text[i] = alpha[base_rng() % (sizeof(alpha) - 1)];
		text[n] = '\0';
		r = pd_multibase_decode(text, n, bin, sizeof(bin), NULL);
		if (r < 0) {
			ck_assert(r == PD_ERR_MALFORMED);
			continue;
		}
		ok++;
		ck_assert_int_eq(pd_multibase_encode((enum pd_multibase)text[0],
		    bin, (size_t)r, re, sizeof(re)), (int)n);
		ck_assert_str_eq(re, text);
	}
	ck_assert_int_gt(ok, 0);
}
END_TEST

static Suite *
base_suite(void)
{
	Suite *s = suite_create("pd_base");
	TCase *tc;

	tc = tcase_create("base58_base36");
	tcase_add_test(tc, test_base58_vectors);
	tcase_add_test(tc, test_base58_invalid);
	tcase_add_test(tc, test_base36_vectors);
	tcase_add_test(tc, test_bignum_input_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc4648");
	tcase_add_test(tc, test_base32_rfc4648);
	tcase_add_test(tc, test_base32_invalid);
	tcase_add_test(tc, test_base16);
	tcase_add_test(tc, test_base64_rfc4648);
	tcase_add_test(tc, test_base64_alphabets);
	suite_add_tcase(s, tc);

	tc = tcase_create("multibase");
	tcase_add_test(tc, test_multibase_vectors);
	tcase_add_test(tc, test_multibase_errors);
	tcase_add_test(tc, test_output_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_roundtrip);
	tcase_add_test(tc, test_random_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	base_rng_state = pd_test_seed("check_base");
	return pd_test_run(base_suite());
}
