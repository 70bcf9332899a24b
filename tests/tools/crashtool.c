/*
 * crashtool.c - crash-safety and state-file helper for the abuse tests
 * (tests/abuse/100-crash-store.sh, 101-crash-identity.sh, 111-disk-full.sh,
 * 112-unreadable-state.sh).
 *
 * Subcommands:
 *
 *   gen FIRST COUNT FILE
 *       Save a peer store of COUNT peers numbered FIRST.. (legacy "Qm"
 *       IDs derived from the number, one permanent address each) to FILE
 *       with pd_storefile_save().
 *   ids FILE
 *       Parse FILE as a peer store (pd_storefile_load_buffer, the file is
 *       never moved aside) and print its peer IDs, one a line.  Exit 0,
 *       3 when it does not parse (the reason on stderr), 4 when FILE is
 *       absent, 1 on another error.
 *   savekill ROUNDS SEED DIR NPEERS
 *       ROUNDS times: build the store of peers [k+1, k+1+NPEERS), fork a
 *       child that saves it to DIR/peers.json and exits, SIGKILL the child
 *       after a random delay (xorshift seeded with SEED) drawn from
 *       [0, 1.5 x the median of 9 measured saves], then check that the
 *       file parses and holds exactly the old or the new peer set, mode
 *       0600.  Leftover DIR/peers.json.tmp-PID files are counted (a crash
 *       leaves them; the daemon only replaces one of its own PID) and
 *       removed.  Prints one summary line; exit 0 when every round was
 *       old-or-new, 1 otherwise.
 *   keykill ROUNDS SEED DIR
 *       ROUNDS times: with no DIR/identity.key, fork a child that runs
 *       pd_keyfile_load_or_create() (first creation) and reports the peer
 *       ID on a pipe, SIGKILL it after a random delay, then check that the
 *       key file is absent or a complete valid key of mode 0600 (the ID the
 *       child reported, if it got that far), that the next load/create
 *       works and that a second load keeps the identity.  Prints one
 *       summary line; exit 0 when every round held, 1 otherwise.
 *   keyid FILE
 *       Print the peer ID of the existing key file FILE (never creates);
 *       exit 4 if absent, 3 if unusable, 5 if its mode is not 0600.
 *
 * Everything stays in the given directory; no network.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/key.h"
#include "crypto/keyfile.h"
#include "crypto/peerid.h"
#include "peer/store.h"
#include "peer/storefile.h"

#define CT_MAX_ROUNDS 1000000	/* cap on ROUNDS */
#define CT_MAX_PEERS 100000	/* cap on COUNT / NPEERS */
#define CT_MAX_FILE (64u * 1024 * 1024)	/* bytes read by "ids" */
#define CT_CALIBRATE 9		/* unkilled runs measured for the delay */
#define CT_NOW 1700000000000LL	/* "now" for saves and loads (unix ms) */

static uint64_t ct_rng_state;

static uint64_t
ct_rng(void)
{
	uint64_t x = ct_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return ct_rng_state = x;
}

static int64_t
ct_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The median of the CT_CALIBRATE times in v (sorted in place). */
static int64_t
ct_median(int64_t *v)
{
	for (int i = 1; i < CT_CALIBRATE; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[CT_CALIBRATE / 2];
}

/* Busy-wait ns nanoseconds: finer than nanosleep's slack. */
static void
ct_spin(int64_t ns)
{
	int64_t end = ct_now_ns() + ns;

	while (ct_now_ns() < end)
		;
}

static bool
ct_parse_num(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* The legacy sha2-256 peer ID of peer number k. */
static void
ct_peer_id(uint64_t k, struct pd_peerid *ret_id)
{
	uint8_t b[34];
	uint64_t x = k * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;

	b[0] = 0x12;
	b[1] = 0x20;
	for (int i = 0; i < 32; i++) {
		/* splitmix64 steps */
		uint64_t z;

		if (i % 8 == 0) {
			x += 0x9e3779b97f4a7c15ull;
			z = x;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
			memcpy(&b[2 + i], &z, 8);
		}
	}
	if (pd_peerid_from_bytes(b, sizeof(b), ret_id) < 0)
		abort();	/* a 32-byte sha2-256 multihash always is one */
}

/* A store with peers [first, first + count). NULL on failure. */
static struct pd_store *
ct_build(uint64_t first, size_t count)
{
	struct pd_store *s = pd_store_new(count + 1);
	struct pd_multiaddr ma;
	struct pd_peerid id;
	struct pd_peer *p;
	char text[64];

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		uint64_t k = first + i;

		ct_peer_id(k, &id);
		snprintf(text, sizeof(text), "/ip4/10.%u.%u.%u/tcp/4001",
		    (unsigned)(k >> 16) & 255, (unsigned)(k >> 8) & 255,
		    (unsigned)k & 255);
		if (pd_store_add(s, &id, CT_NOW, &p) < 0 ||
		    pd_multiaddr_parse(text, &ma, NULL, 0) < 0 ||
		    pd_store_add_addr(p, &ma, PD_STORE_TTL_PERMANENT,
		    PD_SOURCE_MANUAL, CT_NOW) < 0) {
			pd_store_free(s);
			return NULL;
		}
	}
	return s;
}

/*
 * Read and parse path into a new store (*ret_store).  0, 4 (absent),
 * 3 (does not parse; why set) or 1 (other error; why set).
 */
static int
ct_load(const char *path, struct pd_store **ret_store, char *why,
    size_t whylen)
{
	struct pd_store *s;
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? 4 : 1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > CT_MAX_FILE) {
		snprintf(why, whylen, "%s: not a regular file under %u bytes",
		    path, CT_MAX_FILE);
		close(fd);
		return 1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return 1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if ((s = pd_store_new(PD_STORE_MAX_ENTRIES)) == NULL) {
		free(buf);
		snprintf(why, whylen, "out of memory");
		return 1;
	}
	r = pd_storefile_load_buffer(s, buf, got, CT_NOW, why, whylen, NULL);
	free(buf);
	if (r < 0) {
		pd_store_free(s);
		return r == PD_ERR_NOMEM ? 1 : 3;
	}
	*ret_store = s;
	return 0;
}

/* Does s hold exactly peers [first, first + count)? */
static bool
ct_is_set(const struct pd_store *s, uint64_t first, size_t count)
{
	struct pd_peerid id;

	if (pd_store_count(s) != count)
		return false;
	for (size_t i = 0; i < count; i++) {
		ct_peer_id(first + i, &id);
		if (pd_store_get(s, &id) == NULL)
			return false;
	}
	return true;
}

/* Remove files in dir whose name starts with prefix; their number. */
static int
ct_sweep(const char *dir, const char *prefix)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ---- gen / ids ------------------------------------------------------- */

static int
ct_cmd_gen(int argc, char **argv)
{
	long long first, count;
	struct pd_store *s;
	char why[512] = "";
	int r;

	if (argc != 3 || !ct_parse_num(argv[0], 0, INT32_MAX, &first) ||
	    !ct_parse_num(argv[1], 0, CT_MAX_PEERS, &count))
		return 2;
	if ((s = ct_build((uint64_t)first, (size_t)count)) == NULL) {
		fprintf(stderr, "crashtool: cannot build the store\n");
		return 1;
	}
	r = pd_storefile_save(s, argv[2], CT_NOW, why, sizeof(why));
	pd_store_free(s);
	if (r < 0) {
		fprintf(stderr, "crashtool: save: %s\n", why);
		return 1;
	}
	return 0;
}

static int
ct_cmd_ids(int argc, char **argv)
{
	struct pd_store *s;
	const struct pd_peer *p;
	char why[512] = "";
	int r;

	if (argc != 1)
		return 2;
	if ((r = ct_load(argv[0], &s, why, sizeof(why))) != 0) {
		fprintf(stderr, "crashtool: %s\n", why);
		return r;
	}
	for (p = pd_store_first(s); p != NULL; p = pd_store_next(p))
		printf("%s\n", pd_store_id_text(p));
	pd_store_free(s);
	return 0;
}

/* ---- savekill -------------------------------------------------------- */

/* Fork a child saving s to path; SIGKILL after delay_ns (< 0: never).
 * Returns the child's wait status; *ret_ns the time to its end. */
static int
ct_save_child(const struct pd_store *s, const char *path, int64_t delay_ns,
    int64_t *ret_ns)
{
	int64_t t0 = ct_now_ns();
	char why[256];
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		perror("crashtool: fork");
		exit(1);
	}
	if (pid == 0)
		_exit(pd_storefile_save(s, path, CT_NOW, why, sizeof(why)) < 0 ?
		    10 : 0);
	if (delay_ns >= 0) {
		ct_spin(delay_ns);
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("crashtool: waitpid");
			exit(1);
		}
	*ret_ns = ct_now_ns() - t0;
	return status;
}

static int
ct_cmd_savekill(int argc, char **argv)
{
	long long rounds, seed, npeers;
	char path[PATH_MAX], why[512];
	int64_t cal[CT_CALIBRATE], medns, ns, delay;
	uint64_t old_first = 0;
	unsigned long n_old = 0, n_new = 0, n_done = 0, n_bad = 0,
	    n_tmp = 0;
	struct pd_store *s, *f;
	struct stat st;
	int status, r;

	if (argc != 4 || !ct_parse_num(argv[0], 1, CT_MAX_ROUNDS, &rounds) ||
	    !ct_parse_num(argv[1], 0, LLONG_MAX, &seed) ||
	    !ct_parse_num(argv[3], 1, CT_MAX_PEERS, &npeers))
		return 2;
	ct_rng_state = (uint64_t)seed * 2654435761u + 0x9e3779b97f4a7c15ull;
	if (ct_rng_state == 0)
		ct_rng_state = 1;
	snprintf(path, sizeof(path), "%s/peers.json", argv[2]);
	/* The initial file: set 0, saved without interruption. */
	if ((s = ct_build(0, (size_t)npeers)) == NULL)
		return 1;
	for (int i = 0; i < CT_CALIBRATE; i++) {
		status = ct_save_child(s, path, -1, &cal[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "crashtool: an unkilled save failed\n");
			return 1;
		}
	}
	medns = ct_median(cal);
	pd_store_free(s);
	for (long long k = 0; k < rounds; k++) {
		uint64_t new_first = (uint64_t)k + 1;

		if ((s = ct_build(new_first, (size_t)npeers)) == NULL)
			return 1;
		delay = (int64_t)(ct_rng() % (uint64_t)(medns * 3 / 2 + 1));
		status = ct_save_child(s, path, delay, &ns);
		pd_store_free(s);
		if (WIFEXITED(status)) {
			if (WEXITSTATUS(status) != 0) {
				fprintf(stderr, "crashtool: round %lld: the "
				    "save failed on its own\n", k);
				n_bad++;
			}
			n_done++;
		}
		n_tmp += (unsigned long)ct_sweep(argv[2], "peers.json.tmp-");
		r = ct_load(path, &f, why, sizeof(why));
		if (r != 0) {
			fprintf(stderr, "crashtool: round %lld (delay %" PRId64
			    " ns): store file unusable: %s\n", k, delay, why);
			n_bad++;
			continue;
		}
		if (stat(path, &st) < 0 || (st.st_mode & 07777) != 0600) {
			fprintf(stderr, "crashtool: round %lld: mode %o, "
			    "want 600\n", k, (unsigned)(st.st_mode & 07777));
			n_bad++;
		}
		if (ct_is_set(f, old_first, (size_t)npeers)) {
			n_old++;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				fprintf(stderr, "crashtool: round %lld: save "
				    "completed but the old file is there\n", k);
				n_bad++;
			}
		} else if (ct_is_set(f, new_first, (size_t)npeers)) {
			n_new++;
			old_first = new_first;
		} else {
			fprintf(stderr, "crashtool: round %lld (delay %" PRId64
			    " ns): file holds %zu peers, neither the old set "
			    "(from %" PRIu64 ") nor the new (from %" PRIu64
			    ")\n", k, delay, pd_store_count(f), old_first,
			    new_first);
			n_bad++;
		}
		pd_store_free(f);
	}
	printf("savekill rounds=%lld seed=%lld peers=%lld save_median_us=%" PRId64
	    " old=%lu new=%lu completed_before_kill=%lu stale_tmp=%lu "
	    "bad=%lu\n", rounds, seed, npeers, medns / 1000, n_old, n_new,
	    n_done, n_tmp, n_bad);
	return n_bad == 0 ? 0 : 1;
}

/* ---- keykill / keyid ------------------------------------------------- */

/* The peer ID text of key into out. 0 or -1. */
static int
ct_key_id(const struct pd_privkey *key, char *out, size_t outlen)
{
	struct pd_pubkey pub;
	struct pd_peerid id;

	if (pd_privkey_public(key, &pub) < 0 ||
	    pd_peerid_from_pubkey(&pub, &id) < 0 ||
	    pd_peerid_format(&id, out, outlen) < 0)
		return -1;
	return 0;
}

/*
 * Load the existing key at path: 0 with the ID in out, 4 absent, 5 wrong
 * mode, 3 unusable (why set).
 */
static int
ct_key_check(const char *path, char *out, size_t outlen, char *why,
    size_t whylen)
{
	struct pd_privkey key;
	struct stat st;
	int created = 0, r;

	if (lstat(path, &st) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? 4 : 3;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != PD_KEYFILE_MODE) {
		snprintf(why, whylen, "%s: mode %o, want %o", path,
		    (unsigned)(st.st_mode & 07777), PD_KEYFILE_MODE);
		return 5;
	}
	if ((r = pd_keyfile_load_or_create(path, &key, &created, why,
	    whylen)) < 0)
		return 3;
	r = created ? -1 : ct_key_id(&key, out, outlen);
	pd_privkey_clear(&key);
	if (r < 0) {
		snprintf(why, whylen, "%s: vanished or no ID", path);
		return 3;
	}
	return 0;
}

static int
ct_cmd_keyid(int argc, char **argv)
{
	char id[PD_PEERID_TEXT_MAX + 1], why[512] = "";
	int r;

	if (argc != 1)
		return 2;
	if ((r = ct_key_check(argv[0], id, sizeof(id), why, sizeof(why))) != 0) {
		fprintf(stderr, "crashtool: %s\n", why);
		return r;
	}
	printf("%s\n", id);
	return 0;
}

/*
 * Fork a child creating the key at path and writing its peer ID (with a
 * newline) to a pipe; SIGKILL after delay_ns (< 0: never).  The ID read
 * goes into got ("" if none); returns the wait status.
 */
static int
ct_key_child(const char *path, int64_t delay_ns, char *got, size_t gotlen,
    int64_t *ret_ns)
{
	int64_t t0 = ct_now_ns();
	struct pd_privkey key;
	char id[PD_PEERID_TEXT_MAX + 2], why[512];
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0) {
		perror("crashtool: pipe");
		exit(1);
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		perror("crashtool: fork");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		if (pd_keyfile_load_or_create(path, &key, NULL, why,
		    sizeof(why)) < 0 || ct_key_id(&key, id, sizeof(id) - 1) < 0)
			_exit(10);
		strcat(id, "\n");
		_exit(write(fds[1], id, strlen(id)) == (ssize_t)strlen(id) ?
		    0 : 11);
	}
	close(fds[1]);
	if (delay_ns >= 0) {
		ct_spin(delay_ns);
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("crashtool: waitpid");
			exit(1);
		}
	*ret_ns = ct_now_ns() - t0;
	while (len + 1 < gotlen &&
	    (n = read(fds[0], got + len, gotlen - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	got[len] = '\0';
	if (len > 0 && got[len - 1] == '\n')
		got[len - 1] = '\0';
	else
		got[0] = '\0';		/* no complete report */
	return status;
}

static int
ct_cmd_keykill(int argc, char **argv)
{
	char path[PATH_MAX], why[512], got[PD_PEERID_TEXT_MAX + 2],
	    id1[PD_PEERID_TEXT_MAX + 1], id2[PD_PEERID_TEXT_MAX + 1];
	unsigned long n_absent = 0, n_complete = 0, n_done = 0, n_bad = 0,
	    n_tmp = 0;
	long long rounds, seed;
	int64_t cal[CT_CALIBRATE], medns, ns, delay;
	struct pd_privkey key;
	int status, r, created;

	if (argc != 3 || !ct_parse_num(argv[0], 1, CT_MAX_ROUNDS, &rounds) ||
	    !ct_parse_num(argv[1], 0, LLONG_MAX, &seed))
		return 2;
	ct_rng_state = (uint64_t)seed * 2654435761u + 0x2545f4914f6cdd1dull;
	if (ct_rng_state == 0)
		ct_rng_state = 1;
	snprintf(path, sizeof(path), "%s/identity.key", argv[2]);
	for (int i = 0; i < CT_CALIBRATE; i++) {
		(void)unlink(path);
		status = ct_key_child(path, -1, got, sizeof(got), &cal[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "crashtool: an unkilled creation "
			    "failed\n");
			return 1;
		}
	}
	medns = ct_median(cal);
	for (long long k = 0; k < rounds; k++) {
		(void)unlink(path);
		delay = (int64_t)(ct_rng() % (uint64_t)(medns * 3 / 2 + 1));
		status = ct_key_child(path, delay, got, sizeof(got), &ns);
		if (WIFEXITED(status))
			n_done++;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			fprintf(stderr, "crashtool: round %lld: creation "
			    "failed on its own (status %d)\n", k,
			    WEXITSTATUS(status));
			n_bad++;
		}
		n_tmp += (unsigned long)ct_sweep(argv[2], ".identity-");
		r = ct_key_check(path, id1, sizeof(id1), why, sizeof(why));
		if (r == 4) {
			n_absent++;
			if (got[0] != '\0') {
				fprintf(stderr, "crashtool: round %lld: child "
				    "reported %s but there is no file\n", k,
				    got);
				n_bad++;
			}
		} else if (r == 0) {
			n_complete++;
			if (got[0] != '\0' && strcmp(got, id1) != 0) {
				fprintf(stderr, "crashtool: round %lld: child "
				    "made %s, file holds %s\n", k, got, id1);
				n_bad++;
			}
		} else {
			fprintf(stderr, "crashtool: round %lld (delay %" PRId64
			    " ns): bad key file: %s\n", k, delay, why);
			n_bad++;
			continue;
		}
		/* The next start: load or create; then the same once more. */
		if (pd_keyfile_load_or_create(path, &key, &created, why,
		    sizeof(why)) < 0 || ct_key_id(&key, id2, sizeof(id2)) < 0) {
			fprintf(stderr, "crashtool: round %lld: next start "
			    "failed: %s\n", k, why);
			n_bad++;
			continue;
		}
		pd_privkey_clear(&key);
		if (r == 0 && (created || strcmp(id1, id2) != 0)) {
			fprintf(stderr, "crashtool: round %lld: identity "
			    "changed on the next start\n", k);
			n_bad++;
		}
		if (ct_key_check(path, id1, sizeof(id1), why,
		    sizeof(why)) != 0 || strcmp(id1, id2) != 0) {
			fprintf(stderr, "crashtool: round %lld: identity not "
			    "kept after creation: %s\n", k, why);
			n_bad++;
		}
	}
	(void)unlink(path);
	printf("keykill rounds=%lld seed=%lld create_median_us=%" PRId64
	    " absent=%lu complete=%lu completed_before_kill=%lu stale_tmp=%lu "
	    "bad=%lu\n", rounds, seed, medns / 1000, n_absent, n_complete,
	    n_done, n_tmp, n_bad);
	return n_bad == 0 ? 0 : 1;
}

static void
ct_usage(void)
{
	fprintf(stderr, "usage: crashtool gen FIRST COUNT FILE\n"
	    "       crashtool ids FILE\n"
	    "       crashtool savekill ROUNDS SEED DIR NPEERS\n"
	    "       crashtool keykill ROUNDS SEED DIR\n"
	    "       crashtool keyid FILE\n");
}

int
main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2) {
		if (strcmp(argv[1], "gen") == 0)
			r = ct_cmd_gen(argc - 2, argv + 2);
		else if (strcmp(argv[1], "ids") == 0)
			r = ct_cmd_ids(argc - 2, argv + 2);
		else if (strcmp(argv[1], "savekill") == 0)
			r = ct_cmd_savekill(argc - 2, argv + 2);
		else if (strcmp(argv[1], "keykill") == 0)
			r = ct_cmd_keykill(argc - 2, argv + 2);
		else if (strcmp(argv[1], "keyid") == 0)
			r = ct_cmd_keyid(argc - 2, argv + 2);
	}
	if (r == 2)
		ct_usage();
	return r;
}
