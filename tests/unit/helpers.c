/*
 * helpers.c - test-only helpers every unit test may link (tests/unit/
 * check_*.c list it in their _SOURCES): the PD_TEST_SEED seed, running a
 * suite from main(), splitmix64, hex decoding, the "name = hex" vector
 * files under tests/unit/vectors, and scratch directories.  No libevent here, so tests that do not
 * link it can use this file; the event loop helpers are helpers-net.c.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"

#define PD_TEST_VECTOR_LINE_MAX 65536	/* longest vector file line */
#define PD_TEST_NFTW_FDS 16		/* fds nftw may hold open */

uint64_t
pd_test_seed(const char *prog)
{
	const char *env = getenv("PD_TEST_SEED");
	uint64_t seed;

	seed = env != NULL ? strtoull(env, NULL, 0) :
	    (uint64_t)time(NULL) ^ (uint64_t)clock();
	if (seed == 0)
		seed = 1;
	printf("%s: PD_TEST_SEED=%" PRIu64 "\n", prog, seed);
	fflush(stdout);
	return seed;
}

int
pd_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

uint64_t
pd_test_rng(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
helpers_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
pd_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*hex != '\0') {
		int hi, lo;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		hi = helpers_hexval(hex[0]);
		lo = hi < 0 ? -1 : helpers_hexval(hex[1]);
		ck_assert_msg(hi >= 0 && lo >= 0, "bad hex at \"%.8s\"", hex);
		ck_assert_msg(n < cap, "hex longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

size_t
pd_test_vector(const char *path, const char *name, uint8_t *out, size_t cap)
{
	static char line[PD_TEST_VECTOR_LINE_MAX];
	size_t n = 0, nl = strlen(name);
	int found = 0;
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, nl) != 0 ||
		    strncmp(line + nl, " = ", 3) != 0)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		n = pd_test_unhex(line + nl + 3, out, cap);
		found = 1;
	}
	fclose(f);
	ck_assert_msg(found, "vector %s missing in %s", name, path);
	return n;
}

void
pd_test_tmpdir(char *buf, size_t len, const char *name)
{
	const char *base = getenv("TMPDIR");
	int n;

	n = snprintf(buf, len, "%s/%s.XXXXXX", base != NULL ? base : "/tmp",
	    name);
	ck_assert(n > 0 && (size_t)n < len);
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s failed", buf);
}

static int
helpers_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)chmod(path, 0700);
	return remove(path);
}

void
pd_test_rm_dir(const char *dir)
{
	ck_assert_msg(nftw(dir, helpers_rm_entry, PD_TEST_NFTW_FDS,
	    FTW_DEPTH | FTW_PHYS) == 0, "cannot remove %s", dir);
}
