/*
 * check_varint.c - unit tests for lib/core/varint.c: the libp2p-wire.md §3
 * vectors, the 9-byte / 2^63-1 limits, minimality, truncation, and a
 * seeded randomized model test (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/varint.h"

#include "helpers.h"

static uint64_t varint_rng_state;

/* splitmix64: small, seedable, good enough for test inputs. */
static uint64_t
varint_rng(void)
{
	return pd_test_rng(&varint_rng_state);
}

static const struct {
	uint64_t v;
	const char *hex;
} varint_vectors[] = {
	{ 0, "00" },
	{ 1, "01" },
	{ 127, "7f" },
	{ 128, "8001" },
	{ 255, "ff01" },
	{ 300, "ac02" },
	{ 16383, "ff7f" },
	{ 16384, "808001" },
	{ 0x72, "72" },
	{ 421, "a503" },	/* multiaddr p2p code */
	{ UINT64_C(0xffffffff), "ffffffff0f" },
	{ (UINT64_C(1) << 56) - 1, "ffffffffffffff7f" },
	{ UINT64_C(1) << 56, "808080808080808001" },
	{ PD_VARINT_MAX_VALUE, "ffffffffffffffff7f" },
};

START_TEST(test_vectors_encode)
{
	for (size_t i = 0; i < sizeof(varint_vectors) / sizeof(varint_vectors[0]); i++) {
		uint8_t want[16], got[PD_VARINT_MAX_LEN];
		size_t n;
		int r;

		n = pd_test_unhex(varint_vectors[i].hex, want, sizeof(want));
		r = pd_varint_encode(varint_vectors[i].v, got);
		ck_assert_int_eq(r, (int)n);
		ck_assert_mem_eq(got, want, n);
		ck_assert_uint_eq(pd_varint_size(varint_vectors[i].v), n);
	}
}
END_TEST

START_TEST(test_vectors_decode)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} dec[] = {
		{ 0, "00" }, { 127, "7f" }, { 128, "8001" }, { 300, "ac02" },
		{ 16384, "808001" },
		{ UINT64_C(1) << 56, "808080808080808001" },
		{ (UINT64_C(1) << 63) - 1, "ffffffffffffffff7f" },
		{ (UINT64_C(1) << 56) - 1, "ffffffffffffff7f" },
	};

	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		uint8_t in[16];
		size_t n = pd_test_unhex(dec[i].hex, in, sizeof(in));
		uint64_t v = 12345;

		ck_assert_int_eq(pd_varint_decode(in, n, &v), (int)n);
		ck_assert_uint_eq(v, dec[i].v);
	}
}
END_TEST

START_TEST(test_sizes)
{
	for (unsigned k = 1; k <= 9; k++) {
		uint64_t top = k == 9 ? PD_VARINT_MAX_VALUE :
		    (UINT64_C(1) << (7 * k)) - 1;

		ck_assert_uint_eq(pd_varint_size(top), k);
		if (k < 9)
			ck_assert_uint_eq(pd_varint_size(top + 1), k + 1);
	}
	ck_assert_uint_eq(pd_varint_size(0), 1);
}
END_TEST

START_TEST(test_encode_overflow)
{
	uint8_t out[PD_VARINT_MAX_LEN];
	struct pd_buf b;

	memset(out, 0xaa, sizeof(out));
	ck_assert_int_eq(pd_varint_encode(PD_VARINT_MAX_VALUE + 1, out),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_varint_encode(UINT64_MAX, out), PD_ERR_OVERFLOW);
	ck_assert_int_eq(out[0], 0xaa);
	pd_buf_init(&b);
	ck_assert_int_eq(pd_varint_append(&b, UINT64_MAX), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(b.len, 0);
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_not_minimal)
{
	static const char *const bad[] = {
		"8000", "ff00", "818000", "80808000", "ff8000",
		"ffffffffffffffff00",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[16];
		size_t n = pd_test_unhex(bad[i], in, sizeof(in));
		uint64_t v = 777;

		ck_assert_int_eq(pd_varint_decode(in, n, &v),
		    PD_ERR_NOT_MINIMAL);
		ck_assert_uint_eq(v, 777);
	}
}
END_TEST

START_TEST(test_truncated)
{
	static const char *const bad[] = {
		"", "80", "ff", "8080", "ffffffffffffffff",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[16];
		size_t n = pd_test_unhex(bad[i], in, sizeof(in));
		uint64_t v = 777;

		ck_assert_int_eq(pd_varint_decode(in, n, &v),
		    PD_ERR_TRUNCATED);
		ck_assert_uint_eq(v, 777);
	}
	/* A length smaller than the buffer must be honoured. */
	{
		const uint8_t in[] = { 0x80, 0x01 };
		uint64_t v = 777;

		ck_assert_int_eq(pd_varint_decode(in, 1, &v), PD_ERR_TRUNCATED);
		ck_assert_int_eq(pd_varint_decode(in, 2, &v), 2);
		ck_assert_uint_eq(v, 128);
	}
}
END_TEST

START_TEST(test_overflow)
{
	/* 2^63 needs 10 bytes; so does any 10-byte protobuf-style varint. */
	static const char *const bad[] = {
		"80808080808080808001",
		"ffffffffffffffffff01",
		"ffffffffffffffffff",
		"808080808080808080",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[16];
		size_t n = pd_test_unhex(bad[i], in, sizeof(in));
		uint64_t v = 777;

		ck_assert_int_eq(pd_varint_decode(in, n, &v), PD_ERR_OVERFLOW);
		ck_assert_uint_eq(v, 777);
	}
}
END_TEST

START_TEST(test_trailing_and_append)
{
	const uint8_t in[] = { 0xac, 0x02, 0x7f, 0x80 };
	struct pd_buf b;
	uint64_t v;

	ck_assert_int_eq(pd_varint_decode(in, sizeof(in), &v), 2);
	ck_assert_uint_eq(v, 300);
	ck_assert_int_eq(pd_varint_decode(in + 2, 2, &v), 1);
	ck_assert_uint_eq(v, 127);

	pd_buf_init(&b);
	ck_assert_int_eq(pd_varint_append(&b, 300), 0);
	ck_assert_int_eq(pd_varint_append(&b, 0), 0);
	ck_assert_int_eq(pd_varint_append(&b, 16384), 0);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.data, "\xac\x02\x00\x80\x80\x01", 6);
	pd_buf_free(&b);
}
END_TEST

/* Model: a value of random bit width round-trips with the predicted size. */
START_TEST(test_random_roundtrip)
{
	for (int i = 0; i < 200000; i++) {
		unsigned bits = (unsigned)(varint_rng() % 64);	/* 0..63 */
		/* Exactly bits significant bits (top one forced). */
		uint64_t v = bits == 0 ? 0 :
		    (varint_rng() >> (64 - bits)) | UINT64_C(1) << (bits - 1);
		uint8_t enc[PD_VARINT_MAX_LEN + 4];
		uint64_t back = ~v;
		int n;

		n = pd_varint_encode(v, enc);
		ck_assert_int_gt(n, 0);
		ck_assert_uint_eq((size_t)n, pd_varint_size(v));
		ck_assert_uint_eq((size_t)n, bits <= 7 ? 1 : (bits + 6) / 7);
		/* Trailing junk must not be consumed. */
		enc[n] = (uint8_t)varint_rng();
		ck_assert_int_eq(pd_varint_decode(enc, (size_t)n + 1, &back), n);
		ck_assert_uint_eq(back, v);
		/* Every proper prefix is truncated. */
		for (int k = 0; k < n; k++)
			ck_assert_int_eq(pd_varint_decode(enc, (size_t)k, &back),
			    PD_ERR_TRUNCATED);
	}
}
END_TEST

/* Model: random bytes either decode to something that re-encodes to them. */
START_TEST(test_random_bytes)
{
	int ok = 0;

	for (int i = 0; i < 200000; i++) {
		uint8_t in[12], re[PD_VARINT_MAX_LEN];
		size_t len = (size_t)(varint_rng() % sizeof(in));
		uint64_t v;
		int n;

		for (size_t k = 0; k < len; k++) {
			uint64_t x = varint_rng();

			/* Bias toward continuation bytes and zeros. */
			in[k] = (x & 3) == 0 ? 0x80 : (x & 3) == 1 ? 0 :
			    (uint8_t)(x >> 8);
		}
		n = pd_varint_decode(in, len, &v);
		if (n > 0) {
			ok++;
			ck_assert_int_eq(pd_varint_encode(v, re), n);
			ck_assert_mem_eq(re, in, (size_t)n);
		} else {
			ck_assert(n == PD_ERR_TRUNCATED ||
			    n == PD_ERR_NOT_MINIMAL || n == PD_ERR_OVERFLOW);
		}
	}
	ck_assert_int_gt(ok, 0);
}
END_TEST

static Suite *
varint_suite(void)
{
	Suite *s = suite_create("pd_varint");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vectors_encode);
	tcase_add_test(tc, test_vectors_decode);
	tcase_add_test(tc, test_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_encode_overflow);
	tcase_add_test(tc, test_not_minimal);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_trailing_and_append);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_roundtrip);
	tcase_add_test(tc, test_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	varint_rng_state = pd_test_seed("check_varint");
	return pd_test_run(varint_suite());
}
