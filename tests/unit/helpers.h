/*
 * helpers.h - small helpers shared by the unit tests in tests/unit (not
 * part of the library): the PD_TEST_SEED seed, running a suite from
 * main(), hex and known-answer vector files, a splitmix64 generator
 * (helpers.c), and libevent/manager setup for tests that run real nodes
 * on one event_base (helpers-net.c, linked only into those tests).
 * Every helper fails the running test with a check assertion instead of
 * returning an error.
 */
#ifndef PD_TESTS_UNIT_HELPERS_H
#define PD_TESTS_UNIT_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

struct event_base;
struct pd_manager;
struct pd_manager_config;
struct pd_multiaddr;

/* helpers.c ---------------------------------------------------------- */

/*
 * Seed of a randomized test: env PD_TEST_SEED when set (strtoull, any
 * base), otherwise derived from the time.  0 becomes 1, so xorshift
 * states never stick at zero.  Prints "prog: PD_TEST_SEED=<seed>" on
 * stdout (flushed) so a failing run can be replayed; returns the seed.
 */
uint64_t pd_test_seed(const char *prog);

/*
 * Runs every test of s in CK_NORMAL mode and frees the runner (and with
 * it s).  Returns EXIT_SUCCESS when no test failed, else EXIT_FAILURE:
 * meant for `return pd_test_run(x_suite());` at the end of main().
 */
int pd_test_run(Suite *s);

/* One splitmix64 step on *state; any state (0 too) is fine. */
uint64_t pd_test_rng(uint64_t *state);

/*
 * Decodes hex (either case; spaces between bytes are skipped) into out,
 * at most cap bytes.  Fails the test on a lone digit, a non-hex character
 * or more than cap bytes.  Returns the number of bytes written.
 */
size_t pd_test_unhex(const char *hex, uint8_t *out, size_t cap);

/*
 * Finds the line "name = <hex>" in the vector file path (e.g.
 * PD_TEST_VECTORS "/peer-ids.txt") and decodes it into out (cap bytes).
 * Fails the test when the file cannot be opened or has no such line.
 * Returns the number of bytes written.
 */
size_t pd_test_vector(const char *path, const char *name, uint8_t *out,
    size_t cap);

/*
 * Makes a fresh directory $TMPDIR/name.XXXXXX (/tmp without TMPDIR) with
 * mkdtemp() and writes its path into buf (len bytes); fails the test if
 * the path does not fit or the directory cannot be made.
 */
void pd_test_tmpdir(char *buf, size_t len, const char *name);

/*
 * Removes the directory tree dir, first making every entry writable
 * (tests create unreadable files on purpose); fails the test when
 * something cannot be removed.
 */
void pd_test_rm_dir(const char *dir);

/* helpers-net.c (links libevent) ------------------------------------- */

/* Runs the loop of base for ms milliseconds (fewer if it is stopped). */
void pd_test_run_ms(struct event_base *base, int ms);

/*
 * Runs the loop of base in 10 ms slices until *flag >= want or ms have
 * passed; the caller asserts the outcome.
 */
void pd_test_run_until(struct event_base *base, const int *flag, int want,
    int ms);

/*
 * Fills a zeroed cfg for a test node: the key made from 32 bytes of
 * value seed, agent (borrowed; must outlive the manager's start), one
 * listen address /ip4/127.0.0.1/tcp/0, a 5 s connection timeout and a
 * store cap of 100.  The test changes what else it needs.
 */
void pd_test_manager_config(struct pd_manager_config *cfg, int seed,
    const char *agent);

/* Starts m; fails the test, with the manager's reason, if that fails. */
void pd_test_manager_start(struct pd_manager *m);

/* Stores the first listen address of m in *ret; fails if it has none. */
void pd_test_listen_addr(struct pd_manager *m, struct pd_multiaddr *ret);

#endif /* PD_TESTS_UNIT_HELPERS_H */
