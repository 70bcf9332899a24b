/*
 * check_parse.c - unit tests for lib/core/parse.c: duration, boolean,
 * unsigned, mode and list vectors (good, bad, boundaries, 64-bit
 * overflow), the duration formatter, and seeded random round trips
 * format -> parse (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/parse.h"

#include "helpers.h"

static uint64_t parse_rng_state;

/* splitmix64 */
static uint64_t
parse_rng(void)
{
	return pd_test_rng(&parse_rng_state);
}

START_TEST(test_duration_good)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} v[] = {
		{ "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "1ms", 1 },
		{ "250ms", 250 }, { "1s", 1000 }, { "30s", 30000 },
		{ "1m", 60000 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "1h30m", 5400000 }, { "1m30s", 90000 },
		{ "2h3m4s5ms", 7384005 }, { "90s", 90000 },
		{ "007s", 7000 }, { "1s500ms", 1500 },
		{ "5124095576030h", UINT64_C(18446744073708000000) },
		{ "5124095576030h1551615ms", UINT64_MAX },
		{ "18446744073709551615ms", UINT64_MAX },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t ms = 12345;
		char why[128] = "";

		ck_assert_msg(pd_parse_duration(v[i].s, 0, UINT64_MAX, &ms,
		    why, sizeof(why)) == 0, "%s: %s", v[i].s, why);
		ck_assert_msg(ms == v[i].ms, "%s: got %" PRIu64, v[i].s, ms);
	}
}
END_TEST

START_TEST(test_duration_bad)
{
	static const struct {
		const char *s;
		int err;
	} v[] = {
		{ "", PD_ERR_MALFORMED }, { "s", PD_ERR_MALFORMED },
		{ "10", PD_ERR_MALFORMED }, { "00", PD_ERR_MALFORMED },
		{ "10x", PD_ERR_MALFORMED }, { "10 s", PD_ERR_MALFORMED },
		{ " 10s", PD_ERR_MALFORMED }, { "10s ", PD_ERR_MALFORMED },
		{ "-1s", PD_ERR_MALFORMED }, { "+1s", PD_ERR_MALFORMED },
		{ "1.5s", PD_ERR_MALFORMED }, { "1S", PD_ERR_MALFORMED },
		{ "1s1m", PD_ERR_MALFORMED }, { "1s1s", PD_ERR_MALFORMED },
		{ "1ms1s", PD_ERR_MALFORMED }, { "1m1", PD_ERR_MALFORMED },
		{ "1d", PD_ERR_MALFORMED }, { "1us", PD_ERR_MALFORMED },
		{ "18446744073709551616ms", PD_ERR_OVERFLOW },
		{ "5124095576031h", PD_ERR_OVERFLOW },
		{ "5124095576030h1551616ms", PD_ERR_OVERFLOW },
		{ "307445734561825861m", PD_ERR_OVERFLOW },
		{ "99999999999999999999999999999999999999s", PD_ERR_OVERFLOW },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t ms = 12345;
		char why[128] = "";
		int r = pd_parse_duration(v[i].s, 0, UINT64_MAX, &ms, why,
		    sizeof(why));

		ck_assert_msg(r == v[i].err, "'%s': got %d", v[i].s, r);
		ck_assert_uint_eq(ms, 12345);	/* untouched */
		ck_assert(why[0] != '\0');
	}
}
END_TEST

START_TEST(test_duration_bounds)
{
	uint64_t ms = 7;
	char why[128] = "";

	ck_assert_int_eq(pd_parse_duration("1s", 1000, 3600000, &ms, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ms, 1000);
	ck_assert_int_eq(pd_parse_duration("1h", 1000, 3600000, &ms, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(pd_parse_duration("999ms", 1000, 3600000, &ms, why,
	    sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_str_eq(why, "out of range (1s..1h)");
	ck_assert_int_eq(pd_parse_duration("1h1ms", 1000, 3600000, &ms, why,
	    sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_parse_duration("0", 1, 10, &ms, NULL, 0),
	    PD_ERR_OVERFLOW);
	ck_assert_uint_eq(ms, 3600000);
}
END_TEST

START_TEST(test_duration_format)
{
	static const struct {
		uint64_t ms;
		const char *s;
	} v[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 999, "999ms" }, { 1000, "1s" },
		{ 1500, "1500ms" }, { 60000, "1m" }, { 90000, "90s" },
		{ 3600000, "1h" }, { 5400000, "90m" }, { 86400000, "24h" },
		{ UINT64_MAX, "18446744073709551615ms" },
	};
	char buf[PD_PARSE_DURATION_TEXT_MAX];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(pd_parse_duration_format(v[i].ms, buf,
		    sizeof(buf)), (int)strlen(v[i].s));
		ck_assert_str_eq(buf, v[i].s);
	}
	ck_assert_int_eq(pd_parse_duration_format(90000, buf, 3),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_parse_duration_format(90000, buf, 4), 3);
}
END_TEST

START_TEST(test_duration_random)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t r = parse_rng(), ms, back = 0;
		char buf[PD_PARSE_DURATION_TEXT_MAX];

		/* mix exact hours, minutes, seconds and odd values */
		switch (r & 3) {
		case 0: ms = (parse_rng() % 1000000) * 3600000; break;
		case 1: ms = (parse_rng() % 1000000) * 60000; break;
		case 2: ms = (parse_rng() % 1000000) * 1000; break;
		default: ms = parse_rng() >> (parse_rng() & 63); break;
		}
		ck_assert_int_gt(pd_parse_duration_format(ms, buf, sizeof(buf)),
		    0);
		ck_assert_msg(pd_parse_duration(buf, 0, UINT64_MAX, &back,
		    NULL, 0) == 0, "%s", buf);
		ck_assert_msg(back == ms, "%" PRIu64 " -> %s -> %" PRIu64, ms,
		    buf, back);
	}
}
END_TEST

START_TEST(test_bool)
{
	static const char *const yes[] = { "yes", "YES", "true", "True",
	    "on", "ON", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE",
	    "off", "Off", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ",
	    " no", "enable", "01", "truee", "of" };
	bool b;
	char why[128];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		ck_assert_int_eq(pd_parse_bool(yes[i], &b, NULL, 0), 0);
		ck_assert(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		ck_assert_int_eq(pd_parse_bool(no[i], &b, NULL, 0), 0);
		ck_assert(!b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		why[0] = '\0';
		ck_assert_msg(pd_parse_bool(bad[i], &b, why, sizeof(why)) ==
		    PD_ERR_MALFORMED, "'%s'", bad[i]);
		ck_assert(b);
		ck_assert(strstr(why, "yes/no") != NULL);
	}
}
END_TEST

START_TEST(test_uint)
{
	uint64_t v = 99;
	char why[128] = "";

	ck_assert_int_eq(pd_parse_uint("0", 0, 10, &v, NULL, 0), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pd_parse_uint("10", 0, 10, &v, NULL, 0), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(pd_parse_uint("0010", 0, 10, &v, NULL, 0), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(pd_parse_uint("18446744073709551615", 0, UINT64_MAX,
	    &v, NULL, 0), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 99;
	ck_assert_int_eq(pd_parse_uint("18446744073709551616", 0, UINT64_MAX,
	    &v, why, sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_str_eq(why, "number too large");
	ck_assert_int_eq(pd_parse_uint("11", 1, 10, &v, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	ck_assert_str_eq(why, "out of range (1..10)");
	ck_assert_int_eq(pd_parse_uint("0", 1, 10, &v, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ",
	    "1e3", "0x10", "1.0", "ten", "1_000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(pd_parse_uint(bad[i], 0, UINT64_MAX, &v, why,
		    sizeof(why)) == PD_ERR_MALFORMED, "'%s'", bad[i]);
		ck_assert_str_eq(why, "expected a whole number");
	}
	ck_assert_uint_eq(v, 99);
}
END_TEST

START_TEST(test_uint_random)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t x = parse_rng() >> (parse_rng() & 63), back = 0;
		uint64_t lo = parse_rng() >> (parse_rng() & 63);
		char buf[32];
		int r;

		snprintf(buf, sizeof(buf), "%" PRIu64, x);
		r = pd_parse_uint(buf, lo, UINT64_MAX, &back, NULL, 0);
		if (x >= lo) {
			ck_assert_int_eq(r, 0);
			ck_assert(back == x);
		} else
			ck_assert_int_eq(r, PD_ERR_OVERFLOW);
	}
}
END_TEST

START_TEST(test_mode)
{
	unsigned int m = 1;
	char why[128] = "";

	ck_assert_int_eq(pd_parse_mode("0660", 0777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 0660);
	ck_assert_int_eq(pd_parse_mode("600", 0777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 0600);
	ck_assert_int_eq(pd_parse_mode("0", 0777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 0);
	ck_assert_int_eq(pd_parse_mode("0777", 0777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 0777);
	ck_assert_int_eq(pd_parse_mode("00000660", 0777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 0660);
	ck_assert_int_eq(pd_parse_mode("7777", 07777, &m, NULL, 0), 0);
	ck_assert_uint_eq(m, 07777);
	m = 1;
	ck_assert_int_eq(pd_parse_mode("1000", 0777, &m, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	ck_assert_str_eq(why, "out of range (0..0777)");
	ck_assert_int_eq(pd_parse_mode("17777", 077777, &m, NULL, 0),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_parse_mode("0000000000000000000000000000000000660",
	    0777, &m, NULL, 0), PD_ERR_OVERFLOW);
	static const char *const bad[] = { "", "0o660", "0x1a", "8", "0668",
	    "rw", " 660", "660 ", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pd_parse_mode(bad[i], 0777, &m, NULL, 0) ==
		    PD_ERR_MALFORMED, "'%s'", bad[i]);
	ck_assert_uint_eq(m, 1);
}
END_TEST

START_TEST(test_list)
{
	const char *s = "  /ip4/1.2.3.4/tcp/1 \t b\r\nccc  ", *item;
	const char *cursor = s;
	size_t len;

	ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 1);
	ck_assert_uint_eq(len, 18);
	ck_assert(strncmp(item, "/ip4/1.2.3.4/tcp/1", len) == 0);
	ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 1);
	ck_assert_uint_eq(len, 1);
	ck_assert(item[0] == 'b');
	ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 1);
	ck_assert_uint_eq(len, 3);
	ck_assert(strncmp(item, "ccc", 3) == 0);
	ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 0);
	ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 0);
	ck_assert_uint_eq(pd_parse_list_count(s), 3);
	ck_assert_uint_eq(pd_parse_list_count(""), 0);
	ck_assert_uint_eq(pd_parse_list_count(" \t\v\f\r\n"), 0);
	ck_assert_uint_eq(pd_parse_list_count("a"), 1);
	ck_assert_uint_eq(pd_parse_list_count("a\vb\fc"), 3);
}
END_TEST

/* Random lists: joining items with random blanks splits back the same. */
START_TEST(test_list_random)
{
	static const char blanks[] = " \t\r\n\v\f";
	static const char chars[] = "abc/0123:.;#_-";

	for (int round = 0; round < 20000; round++) {
		char items[8][12], text[256];
		size_t n = parse_rng() % 8, off = 0, len;
		const char *cursor = text, *item;

		for (size_t i = 0; i < n; i++) {
			size_t k = 1 + parse_rng() % 10;

			for (size_t j = 0; j < k; j++)
				items[i][j] = chars[parse_rng() %
				    (sizeof(chars) - 1)];
			items[i][k] = '\0';
		}
		for (size_t i = 0; i <= n; i++) {
			size_t b = (i == 0 || i == n) ? parse_rng() % 3 :
			    1 + parse_rng() % 3;

			for (size_t j = 0; j < b; j++)
				text[off++] = blanks[parse_rng() %
				    (sizeof(blanks) - 1)];
			if (i < n) {
				memcpy(text + off, items[i], strlen(items[i]));
				off += strlen(items[i]);
			}
		}
		text[off] = '\0';
		ck_assert_uint_eq(pd_parse_list_count(text), n);
		for (size_t i = 0; i < n; i++) {
			ck_assert_int_eq(pd_parse_list_next(&cursor, &item,
			    &len), 1);
			ck_assert_uint_eq(len, strlen(items[i]));
			ck_assert(memcmp(item, items[i], len) == 0);
		}
		ck_assert_int_eq(pd_parse_list_next(&cursor, &item, &len), 0);
	}
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("pd_parse");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_duration_bad);
	tcase_add_test(tc, test_duration_bounds);
	tcase_add_test(tc, test_duration_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("scalars");
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_mode);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_test(tc, test_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_duration_random);
	tcase_add_test(tc, test_uint_random);
	tcase_add_test(tc, test_list_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	parse_rng_state = pd_test_seed("check_parse");
	return pd_test_run(parse_suite());
}
