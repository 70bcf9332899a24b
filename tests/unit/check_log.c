/*
 * check_log.c - unit tests for lib/core/log.c and error.c: pd_log_escape
 * (printable pass-through, \xNN escapes, the PD_LOG_ESCAPE_MAX cut, small
 * output buffers), level names and parsing, sink delivery and filtering,
 * line truncation, the stderr default, errno preservation, and pd_strerror
 * naming every PD_ERR_* code.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"

#include "helpers.h"

/* What the test sink saw. */
struct log_capture {
	int calls;
	enum pd_log_level level;
	char msg[PD_LOG_LINE_MAX + 16];
	int clobber_errno;	/* sink sets errno to this when nonzero */
};

static void
log_test_sink(enum pd_log_level level, const char *msg, void *arg)
{
	struct log_capture *c = arg;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	if (c->clobber_errno != 0)
		errno = c->clobber_errno;
}

/* PD_LOG_DEBUG prefixes __func__; check names test functions oddly. */
static void
log_debug_helper(int v)
{
	PD_LOG_DEBUG("v=%d", v);
	PD_LOG_DEBUG("plain");
}

START_TEST(test_escape_basic)
{
	char out[4 * PD_LOG_ESCAPE_MAX + 4];

	ck_assert_str_eq(pd_log_escape("plain text 123 ~!", 17, out,
	    sizeof(out)), "plain text 123 ~!");
	ck_assert_str_eq(pd_log_escape("a\\b", 3, out, sizeof(out)),
	    "a\\x5cb");
	ck_assert_str_eq(pd_log_escape("\n\r\t\x1b[31m", 8, out, sizeof(out)),
	    "\\x0a\\x0d\\x09\\x1b[31m");
	ck_assert_str_eq(pd_log_escape("a\0b", 3, out, sizeof(out)),
	    "a\\x00b");
	ck_assert_str_eq(pd_log_escape("\x7f\x80\xff", 3, out, sizeof(out)),
	    "\\x7f\\x80\\xff");
	ck_assert_str_eq(pd_log_escape("", 0, out, sizeof(out)), "");
	ck_assert_str_eq(pd_log_escape(NULL, 0, out, sizeof(out)), "");
	/* The result is out itself. */
	ck_assert_ptr_eq(pd_log_escape("x", 1, out, sizeof(out)), out);
}
END_TEST

START_TEST(test_escape_truncation)
{
	char in[PD_LOG_ESCAPE_MAX + 10], out[4 * PD_LOG_ESCAPE_MAX + 4];
	char want[PD_LOG_ESCAPE_MAX + 10];

	memset(in, 'a', sizeof(in));
	/* Exactly the limit: no ellipsis. */
	pd_log_escape(in, PD_LOG_ESCAPE_MAX, out, sizeof(out));
	ck_assert_uint_eq(strlen(out), PD_LOG_ESCAPE_MAX);
	ck_assert_ptr_null(strstr(out, "..."));
	/* One more: cut at the limit with "..." appended. */
	pd_log_escape(in, PD_LOG_ESCAPE_MAX + 1, out, sizeof(out));
	memset(want, 'a', PD_LOG_ESCAPE_MAX);
	memcpy(want + PD_LOG_ESCAPE_MAX, "...", 4);
	ck_assert_str_eq(out, want);
	/* All escaped, over the limit: the documented size suffices. */
	memset(in, 0xff, sizeof(in));
	pd_log_escape(in, sizeof(in), out, sizeof(out));
	ck_assert_uint_eq(strlen(out), 4 * PD_LOG_ESCAPE_MAX + 3);
	ck_assert_str_eq(out + 4 * PD_LOG_ESCAPE_MAX, "...");
}
END_TEST

/* Small output buffers: always NUL-terminated, never overrun. */
START_TEST(test_escape_small_out)
{
	const char *in = "abcdef\x01ghij";

	for (size_t outlen = 1; outlen < 40; outlen++) {
		char out[64];

		memset(out, '#', sizeof(out));
		pd_log_escape(in, strlen(in), out, outlen);
		ck_assert_uint_lt(strlen(out), outlen);
		for (size_t k = outlen; k < sizeof(out); k++)
			ck_assert_int_eq(out[k], '#');
	}
	{
		char out[2] = { '#', '#' };

		pd_log_escape(in, strlen(in), out, 0);	/* no write at all */
		ck_assert_int_eq(out[0], '#');
	}
	{
		char out[64];

		/* Everything fits once the buffer is big enough. */
		pd_log_escape(in, strlen(in), out, 20);
		ck_assert_str_eq(out, "abcdef\\x01ghij");
	}
}
END_TEST

START_TEST(test_levels)
{
	static const struct {
		const char *name;
		enum pd_log_level level;
	} v[] = {
		{ "error", PD_LOG_LEVEL_ERR },
		{ "warn", PD_LOG_LEVEL_WARN },
		{ "info", PD_LOG_LEVEL_INFO },
		{ "debug", PD_LOG_LEVEL_DEBUG },
	};
	static const char *const bad[] = {
		"", "ERROR", "Info", "warning", "inf", "debug ", "err",
	};
	enum pd_log_level l;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		l = PD_LOG_LEVEL_ERR + 100;
		ck_assert_int_eq(pd_log_level_parse(v[i].name, &l), 0);
		ck_assert_int_eq(l, v[i].level);
		ck_assert_str_eq(pd_log_level_name(v[i].level), v[i].name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = PD_LOG_LEVEL_INFO;
		ck_assert_int_eq(pd_log_level_parse(bad[i], &l), -1);
		ck_assert_int_eq(l, PD_LOG_LEVEL_INFO);	/* untouched */
	}
	ck_assert_str_eq(pd_log_level_name((enum pd_log_level)5), "unknown");
	pd_log_set_level(PD_LOG_LEVEL_DEBUG);
	ck_assert_int_eq(pd_log_get_level(), PD_LOG_LEVEL_DEBUG);
	pd_log_set_level(PD_LOG_LEVEL_WARN);
	ck_assert_int_eq(pd_log_get_level(), PD_LOG_LEVEL_WARN);
}
END_TEST

START_TEST(test_sink_filter)
{
	struct log_capture c;

	memset(&c, 0, sizeof(c));
	pd_log_set_sink(log_test_sink, &c);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	PD_LOG_INFO("hello %d", 42);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.level, PD_LOG_LEVEL_INFO);
	ck_assert_str_eq(c.msg, "hello 42");
	PD_LOG_DEBUG("dropped");
	ck_assert_int_eq(c.calls, 1);
	PD_LOG_WARN("w");
	ck_assert_int_eq(c.level, PD_LOG_LEVEL_WARN);
	PD_LOG_ERR("e %s", "x");
	ck_assert_int_eq(c.calls, 3);
	ck_assert_int_eq(c.level, PD_LOG_LEVEL_ERR);
	ck_assert_str_eq(c.msg, "e x");
	pd_log_set_level(PD_LOG_LEVEL_ERR);
	PD_LOG_WARN("dropped");
	PD_LOG_INFO("dropped");
	ck_assert_int_eq(c.calls, 3);
	pd_log_set_level(PD_LOG_LEVEL_DEBUG);
	log_debug_helper(7);
	ck_assert_int_eq(c.calls, 5);
	ck_assert_str_eq(c.msg, "log_debug_helper: plain");
	pd_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_sink_truncation)
{
	static char big[3 * PD_LOG_LINE_MAX];
	struct log_capture c;

	memset(&c, 0, sizeof(c));
	memset(big, 'z', sizeof(big) - 1);
	pd_log_set_sink(log_test_sink, &c);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	pd_log(PD_LOG_LEVEL_INFO, "%s", big);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_uint_eq(strlen(c.msg), PD_LOG_LINE_MAX - 1);
	pd_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_errno_preserved)
{
	struct log_capture c;

	memset(&c, 0, sizeof(c));
	c.clobber_errno = EBADF;
	pd_log_set_sink(log_test_sink, &c);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	errno = EAGAIN;
	PD_LOG_INFO("errno is %s", strerror(errno));
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = ENOENT;
	PD_LOG_DEBUG("filtered");
	ck_assert_int_eq(errno, ENOENT);
	pd_log_set_sink(NULL, NULL);
}
END_TEST

/* No sink: "peerdisc: <level>: <msg>\n" on stderr, errno kept. */
START_TEST(test_stderr_default)
{
	FILE *tmp = tmpfile();
	char got[256];
	size_t n;
	int saved;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	pd_log_set_sink(NULL, NULL);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	errno = EINTR;
	PD_LOG_WARN("disk %s", "full");
	ck_assert_int_eq(errno, EINTR);
	PD_LOG_DEBUG("hidden");
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(got, 1, sizeof(got) - 1, tmp);
	got[n] = '\0';
	fclose(tmp);
	ck_assert_str_eq(got, "peerdisc: warn: disk full\n");
}
END_TEST

START_TEST(test_strerror_all)
{
	for (int e = PD_ERR_BASE; e < PD_ERR_LAST_; e++) {
		const char *s = pd_strerror(e);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
		ck_assert_str_ne(s, "unknown error");
		/* Names are distinct, so log lines tell codes apart. */
		for (int f = PD_ERR_BASE; f < e; f++)
			ck_assert_str_ne(s, pd_strerror(f));
	}
	ck_assert_str_eq(pd_strerror(0), "success");
	ck_assert_str_eq(pd_strerror(PD_ERR_BASE - 1), "unknown error");
	ck_assert_str_eq(pd_strerror(1), "unknown error");
	ck_assert_str_eq(pd_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(pd_strerror(-EACCES), strerror(EACCES));
	ck_assert_str_eq(pd_strerror(PD_ERR_NOMEM), "out of memory");
	ck_assert_str_eq(pd_strerror(PD_ERR_NOT_MINIMAL),
	    "varint not minimally encoded");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("pd_log");
	TCase *tc;

	tc = tcase_create("escape");
	tcase_add_test(tc, test_escape_basic);
	tcase_add_test(tc, test_escape_truncation);
	tcase_add_test(tc, test_escape_small_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("logger");
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_sink_filter);
	tcase_add_test(tc, test_sink_truncation);
	tcase_add_test(tc, test_errno_preserved);
	tcase_add_test(tc, test_stderr_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_test(tc, test_strerror_all);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pd_test_run(log_suite());
}
