/*
 * check_buf.c - unit tests for lib/core/buf.c: empty buffers, growth,
 * consume/reset/free, the PD_BUF_MAX cap, appending a slice of the buffer
 * to itself, and a seeded random model test against a flat array
 * (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"

#include "helpers.h"

static uint64_t buf_rng_state;

static uint64_t
buf_rng(void)
{
	return pd_test_rng(&buf_rng_state);
}

START_TEST(test_empty)
{
	struct pd_buf z = { 0 }, b;

	pd_buf_init(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	/* A zeroed struct is usable as is. */
	ck_assert_int_eq(pd_buf_append(&z, NULL, 0), 0);
	ck_assert_ptr_null(z.data);
	pd_buf_consume(&z, 10);
	pd_buf_reset(&z);
	pd_buf_free(&z);
	pd_buf_free(&z);	/* twice is fine */
	ck_assert_ptr_null(z.data);
	ck_assert_int_eq(pd_buf_append_byte(&z, 'x'), 0);
	ck_assert_uint_eq(z.len, 1);
	ck_assert_int_eq(z.data[0], 'x');
	pd_buf_free(&z);
	ck_assert_ptr_null(z.data);
	ck_assert_uint_eq(z.len, 0);
	ck_assert_uint_eq(z.cap, 0);
}
END_TEST

START_TEST(test_append_consume)
{
	struct pd_buf b;
	uint8_t big[1000];

	pd_buf_init(&b);
	ck_assert_int_eq(pd_buf_append(&b, "hello", 5), 0);
	ck_assert_int_eq(pd_buf_append(&b, " world", 6), 0);
	ck_assert_uint_eq(b.len, 11);
	ck_assert_uint_ge(b.cap, 11);
	ck_assert_mem_eq(b.data, "hello world", 11);
	pd_buf_consume(&b, 6);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.data, "world", 5);
	pd_buf_consume(&b, 0);
	ck_assert_uint_eq(b.len, 5);
	pd_buf_consume(&b, 5);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(pd_buf_append(&b, "ab", 2), 0);
	pd_buf_consume(&b, 99);
	ck_assert_uint_eq(b.len, 0);

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	ck_assert_int_eq(pd_buf_append(&b, big, sizeof(big)), 0);
	ck_assert_uint_ge(b.cap, sizeof(big));
	ck_assert_mem_eq(b.data, big, sizeof(big));
	{
		size_t cap = b.cap;
		uint8_t *data = b.data;

		pd_buf_reset(&b);
		ck_assert_uint_eq(b.len, 0);
		ck_assert_uint_eq(b.cap, cap);	/* storage kept */
		ck_assert_ptr_eq(b.data, data);
	}
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_reserve)
{
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_buf_reserve(&b, 0), 0);
	ck_assert_int_eq(pd_buf_reserve(&b, 100), 0);
	ck_assert_uint_ge(b.cap, 100);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(pd_buf_reserve(&b, PD_BUF_MAX + 1), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_buf_reserve(&b, SIZE_MAX), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_buf_append(&b, "x", SIZE_MAX), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(b.len, 0);
	pd_buf_free(&b);
}
END_TEST

/* Fill to exactly PD_BUF_MAX; one more byte is refused, nothing changes. */
START_TEST(test_cap)
{
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_buf_reserve(&b, PD_BUF_MAX), 0);
	ck_assert_uint_eq(b.cap, PD_BUF_MAX);
	memset(b.data, 0x11, PD_BUF_MAX - 1);
	b.len = PD_BUF_MAX - 1;
	ck_assert_int_eq(pd_buf_append(&b, "ab", 2), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(b.len, PD_BUF_MAX - 1);
	ck_assert_int_eq(pd_buf_append_byte(&b, 0x22), 0);
	ck_assert_uint_eq(b.len, PD_BUF_MAX);
	ck_assert_int_eq(pd_buf_append_byte(&b, 0x33), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_buf_reserve(&b, 1), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_buf_reserve(&b, 0), 0);
	ck_assert_int_eq(b.data[PD_BUF_MAX - 1], 0x22);
	pd_buf_free(&b);
}
END_TEST

/* Appending a slice of the buffer to itself survives reallocation. */
START_TEST(test_self_append)
{
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_buf_append(&b, "abcdefgh", 8), 0);
	for (int i = 0; i < 12; i++) {
		size_t n = b.len;

		ck_assert_int_eq(pd_buf_append(&b, b.data, n), 0);
		ck_assert_uint_eq(b.len, 2 * n);
		ck_assert_mem_eq(b.data + n, b.data, n);
	}
	ck_assert_uint_eq(b.len, 8u << 12);
	ck_assert_int_eq(pd_buf_append(&b, b.data + 3, 2), 0);
	ck_assert_mem_eq(b.data + b.len - 2, "de", 2);
	pd_buf_free(&b);
}
END_TEST

/* Model: random appends/consumes/resets agree with a flat array. */
START_TEST(test_random_model)
{
	static uint8_t model[1 << 16];
	size_t mlen = 0;
	struct pd_buf b;

	pd_buf_init(&b);
	for (int it = 0; it < 20000; it++) {
		uint64_t op = buf_rng() % 10;

		if (op < 6) {
			uint8_t tmp[300];
			size_t n = (size_t)(buf_rng() % sizeof(tmp));

			if (mlen + n > sizeof(model))
				continue;
			for (size_t i = 0; i < n; i++)
				tmp[i] = (uint8_t)buf_rng();
			ck_assert_int_eq(pd_buf_append(&b, tmp, n), 0);
			memcpy(model + mlen, tmp, n);
			mlen += n;
		} else if (op < 9) {
			size_t n = (size_t)(buf_rng() % 400);

			pd_buf_consume(&b, n);
			if (n >= mlen)
				mlen = 0;
			else {
				memmove(model, model + n, mlen - n);
				mlen -= n;
			}
		} else {
			pd_buf_reset(&b);
			mlen = 0;
		}
		ck_assert_uint_eq(b.len, mlen);
		ck_assert_uint_ge(b.cap, b.len);
		ck_assert_uint_le(b.cap, PD_BUF_MAX);
		if (mlen > 0)
			ck_assert_mem_eq(b.data, model, mlen);
	}
	pd_buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("pd_buf");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_append_consume);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_self_append);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	buf_rng_state = pd_test_seed("check_buf");
	return pd_test_run(buf_suite());
}
