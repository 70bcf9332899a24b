/*
 * check_storefile.c - unit tests for lib/peer/storefile.c: a seeded
 * round trip of a few hundred random peers (every saved field survives),
 * corrupt files of every kind (truncated at each 1/20th, garbage, wrong
 * shape or version, duplicate keys, empty, over the size cap) moved aside
 * with the store left as it was, per-entry skipping with exact counts,
 * and crash-safe saving: mode 0600, no temporary file left behind, and a
 * failing save (unwritable directory, a write error midway) leaving the
 * old file intact.  Every test works in its own mkdtemp directory.
 * PD_TEST_SEED reproduces a run.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "peer/store.h"
#include "peer/storefile.h"

#include "helpers.h"

#define NOW 1700000000000LL	/* unix ms used as "now" */

static uint64_t sf_rng_state;
static char tmpdir[512];

static uint64_t
rng(void)
{
	return pd_test_rng(&sf_rng_state);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void
sf_setup(void)
{
	pd_test_tmpdir(tmpdir, sizeof(tmpdir), "check_storefile");
}

static void
sf_teardown(void)
{
	pd_test_rm_dir(tmpdir);
}

static const char *
tpath(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, rel);
	return buf[i];
}

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* Whole file into a new buffer; NULL if missing. */
static char *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

/* Number of entries in tmpdir, and whether one starts with prefix. */
static int
dir_count(const char *prefix, int *ret_match)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0, m = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (prefix != NULL && strncmp(e->d_name, prefix,
		    strlen(prefix)) == 0)
			m++;
	}
	closedir(d);
	if (ret_match != NULL)
		*ret_match = m;
	return n;
}

/* ---- random peers ------------------------------------------------------ */

static struct pd_peerid
rand_id(void)
{
	uint8_t b[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	uint8_t seed[PD_KEY_ED25519_SEED_LEN];
	struct pd_privkey k;
	struct pd_pubkey pub;
	struct pd_peerid id;
	size_t i;

	if (rng_below(4) == 0) {
		for (i = 0; i < sizeof(seed); i++)
			seed[i] = (uint8_t)rng();
		ck_assert_int_eq(pd_privkey_from_seed(seed, &k), 0);
		ck_assert_int_eq(pd_privkey_public(&k, &pub), 0);
		ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
		return id;
	}
	for (i = 2; i < sizeof(b); i++)
		b[i] = (uint8_t)rng();
	ck_assert_int_eq(pd_peerid_from_bytes(b, sizeof(b), &id), 0);
	return id;
}

static struct pd_multiaddr
rand_addr(void)
{
	struct pd_multiaddr ma;
	char text[128];

	switch (rng_below(4)) {
	case 0:
		snprintf(text, sizeof(text), "/ip4/%u.%u.%u.%u/tcp/%u",
		    rng_below(256), rng_below(256), rng_below(256),
		    rng_below(256), rng_below(65536));
		break;
	case 1:
		snprintf(text, sizeof(text), "/ip6/2001:db8::%x/tcp/%u",
		    rng_below(65536), rng_below(65536));
		break;
	case 2:
		snprintf(text, sizeof(text), "/dns4/n%u.example.com/tcp/4001",
		    rng_below(100000));
		break;
	default:
		snprintf(text, sizeof(text), "/ip4/10.0.0.%u/udp/%u/quic-v1",
		    rng_below(256), rng_below(65536));
		break;
	}
	ck_assert_int_eq(pd_multiaddr_parse(text, &ma, NULL, 0), 0);
	return ma;
}

/* Text with JSON's hard cases: quotes, backslashes, non-ASCII. */
static void
rand_text(char *out, size_t cap)
{
	static const char *const parts[] = { "/ipfs/", "kad", "\"q\"", "\\",
	    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "1.0.0", "/", "x",
	    "</script>", "\xe2\x80\xa8" };
	size_t n = 0, k, i, want = 1 + rng_below(6);

	out[0] = '\0';
	for (i = 0; i < want; i++) {
		const char *p = parts[rng_below(sizeof(parts) / sizeof(parts[0]))];

		k = strlen(p);
		if (n + k >= cap)
			break;
		memcpy(out + n, p, k + 1);
		n += k;
	}
	if (n == 0)
		snprintf(out, cap, "t");
}

static void
rand_peer(struct pd_store *s, int64_t now)
{
	static const unsigned int srcs[] = { PD_SOURCE_MDNS, PD_SOURCE_DHT,
	    PD_SOURCE_BOOTSTRAP, PD_SOURCE_MANUAL };
	char protos[8][64], agent[64], tag[32];
	const char *plist[8];
	struct pd_multiaddr ma;
	struct pd_peerid id = rand_id();
	struct pd_peer *p;
	size_t i, n;

	ck_assert_int_eq(pd_store_add(s, &id, now - rng_below(100000), &p), 1);
	n = rng_below(6);
	for (i = 0; i < n; i++) {
		ma = rand_addr();
		(void)pd_store_add_addr(p, &ma, rng_below(3) == 0 ?
		    PD_STORE_TTL_PERMANENT : 1000 + rng_below(1000000),
		    srcs[rng_below(4)], now - rng_below(500));
	}
	n = rng_below(9);
	for (i = 0; i < n; i++) {
		rand_text(protos[i], sizeof(protos[i]));
		plist[i] = protos[i];
	}
	(void)pd_store_set_protocols(p, plist, n);
	if (rng_below(3) != 0) {
		rand_text(agent, sizeof(agent));
		ck_assert_int_eq(pd_store_set_agent(p, agent), 0);
	}
	n = rng_below(4);
	for (i = 0; i < n; i++) {
		rand_text(tag, sizeof(tag));
		(void)pd_store_protect(p, tag);
	}
	switch (rng_below(3)) {
	case 0:
		pd_store_set_connected(p, true, rng_below(2) ?
		    PD_STORE_DIR_INBOUND : PD_STORE_DIR_OUTBOUND,
		    now - rng_below(1000));
		break;
	case 1:
		pd_store_set_connected(p, true, PD_STORE_DIR_OUTBOUND,
		    now - 5000);
		pd_store_set_connected(p, false, PD_STORE_DIR_OUTBOUND,
		    now - rng_below(1000));
		break;
	default:
		if (p->naddrs == 0)
			(void)pd_store_protect(p, "keep");
		break;
	}
	pd_store_set_score(p, (int)rng_below(2000) - 1000);
	pd_store_set_latency(p, rng_below(4) == 0 ? UINT32_MAX :
	    (uint32_t)rng());
	pd_store_set_kad_server(p, rng_below(2));
	pd_store_add_sources(p, srcs[rng_below(4)]);
	rand_text(tag, sizeof(tag));
	pd_store_set_dial_state(p, (uint32_t)rng_below(20),
	    rng_below(2) ? now + rng_below(100000) : 0,
	    rng_below(2) ? tag : NULL);
	if (rng_below(2))
		pd_store_touch(p, now + rng_below(1000));
}

/* b is a as saved at one time and loaded again. */
static void
peer_same(const struct pd_peer *a, const struct pd_peer *b)
{
	char text[PD_PEERID_TEXT_MAX];
	size_t i;

	ck_assert(pd_peerid_equal(&a->id, &b->id));
	/* The ID text cache (taken from the file) is the canonical text. */
	ck_assert_int_gt(pd_peerid_format(&b->id, text, sizeof(text)), 0);
	ck_assert_str_eq(pd_store_id_text(b), text);
	ck_assert_str_eq(pd_store_id_text(a), text);
	ck_assert_uint_eq(a->naddrs, b->naddrs);
	for (i = 0; i < a->naddrs; i++) {
		ck_assert_uint_eq(a->addrs[i].len, b->addrs[i].len);
		ck_assert_mem_eq(a->addrs[i].bytes, b->addrs[i].bytes,
		    a->addrs[i].len);
		ck_assert_int_eq(a->addrs[i].expires, b->addrs[i].expires);
		ck_assert_uint_eq(a->addrs[i].source, b->addrs[i].source);
	}
	ck_assert_uint_eq(a->sources, b->sources);
	ck_assert_uint_eq(a->nprotocols, b->nprotocols);
	for (i = 0; i < a->nprotocols; i++)
		ck_assert_str_eq(a->protocols[i], b->protocols[i]);
	ck_assert_int_eq(a->agent == NULL, b->agent == NULL);
	if (a->agent != NULL)
		ck_assert_str_eq(a->agent, b->agent);
	ck_assert_uint_eq(a->latency_us, b->latency_us);
	ck_assert_int_eq(a->score, b->score);
	ck_assert_uint_eq(a->ntags, b->ntags);
	for (i = 0; i < a->ntags; i++)
		ck_assert_str_eq(a->tags[i], b->tags[i]);
	ck_assert_int_eq(a->first_seen, b->first_seen);
	ck_assert_int_eq(a->last_seen, b->last_seen);
	ck_assert_int_eq(a->last_connected, b->last_connected);
	ck_assert(!b->connected);
	ck_assert_int_eq(b->was_connected, a->connected);
	ck_assert_int_eq(a->direction, b->direction);
	ck_assert_uint_eq(a->dial_failures, b->dial_failures);
	ck_assert_int_eq(a->next_dial, b->next_dial);
	ck_assert_str_eq(a->last_error, b->last_error);
	ck_assert_int_eq(a->kad_server, b->kad_server);
}

static struct pd_store *
rand_store(size_t n)
{
	struct pd_store *s = pd_store_new(n + 10);
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		rand_peer(s, NOW);
	ck_assert_uint_eq(pd_store_count(s), n);
	return s;
}

/* ---- round trip ------------------------------------------------------- */

START_TEST(test_round_trip)
{
	struct pd_store *a = rand_store(300), *b = pd_store_new(1000);
	struct pd_storefile_stats st;
	const struct pd_peer *p, *q;
	const char *path = tpath("peers.json");
	char why[512] = "";
	struct stat sb;
	char *enc;
	size_t len;
	int match;

	ck_assert_int_eq(pd_storefile_save(a, path, NOW, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(dir_count(NULL, NULL), 1);
	ck_assert_int_eq(pd_storefile_load(b, path, NOW, why, sizeof(why),
	    &st), 0);
	ck_assert_uint_eq(st.loaded, 300);
	ck_assert_uint_eq(st.bad_peers + st.bad_addrs + st.duplicates +
	    st.over_limit + st.expired_addrs + st.expired_peers, 0);
	ck_assert_int_eq(st.saved_at, NOW);
	ck_assert_uint_eq(pd_store_count(b), 300);
	for (p = pd_store_first(a), q = pd_store_first(b); p != NULL;
	    p = pd_store_next(p), q = pd_store_next(q)) {
		ck_assert_ptr_nonnull(q);
		peer_same(p, q);
	}
	/* Loaded stores encode to the same bytes (only "connected" was
	 * lost on the first load, on purpose). */
	ck_assert_int_eq(pd_storefile_encode(b, NOW, &enc, &len), 0);
	{
		struct pd_store *c = pd_store_new(1000);
		char *enc2;
		size_t len2;

		ck_assert_int_eq(pd_storefile_load_buffer(c, enc, len, NOW,
		    why, sizeof(why), &st), 0);
		ck_assert_int_eq(pd_storefile_encode(c, NOW, &enc2, &len2), 0);
		ck_assert_uint_eq(len2, len);
		ck_assert_mem_eq(enc2, enc, len);
		free(enc2);
		pd_store_free(c);
	}
	free(enc);
	/* Saving again replaces the file and leaves nothing else. */
	ck_assert_int_eq(pd_storefile_save(b, path, NOW + 1, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(dir_count("peers.json.tmp", &match), 1);
	ck_assert_int_eq(match, 0);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

START_TEST(test_empty_store_and_missing)
{
	struct pd_store *a = pd_store_new(10);
	struct pd_storefile_stats st;
	const char *path = tpath("peers.json");
	char why[256], *buf;
	size_t len;

	memset(&st, 0xff, sizeof(st));
	ck_assert_int_eq(pd_storefile_load(a, path, NOW, why, sizeof(why),
	    &st), 0);
	ck_assert_uint_eq(st.loaded, 0);
	ck_assert_uint_eq(pd_store_count(a), 0);
	ck_assert_int_eq(dir_count(NULL, NULL), 0);
	ck_assert_int_eq(pd_storefile_save(a, path, NOW, why, sizeof(why)), 0);
	buf = read_file(path, &len);
	ck_assert_str_eq(buf,
	    "{\"version\":1,\"saved_at\":1700000000000,\"peers\":[\n]}\n");
	free(buf);
	ck_assert_int_eq(pd_storefile_load(a, path, NOW, why, sizeof(why),
	    &st), 0);
	ck_assert_uint_eq(pd_store_count(a), 0);
	pd_store_free(a);
}
END_TEST

/* ---- corrupt files ----------------------------------------------------- */

/* Load path: moved aside, store unchanged (count), the copy kept. */
static void
expect_moved(struct pd_store *s, const char *path, int64_t now,
    const void *content, size_t len)
{
	struct pd_storefile_stats st;
	char why[PATH_MAX + 256], aside[PATH_MAX], *got;
	size_t before = pd_store_count(s), glen;

	ck_assert_int_eq(pd_storefile_load(s, path, now, why, sizeof(why),
	    &st), PD_STOREFILE_MOVED_ASIDE);
	ck_assert_uint_eq(pd_store_count(s), before);
	ck_assert_uint_eq(st.loaded, 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(aside, sizeof(aside), "%s.corrupt-%" PRId64, path,
	    (int64_t)(now / 1000));
	ck_assert_msg(strstr(why, aside) != NULL, "why: %s", why);
	if (content != NULL) {
		got = read_file(aside, &glen);
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(glen, len);
		ck_assert_mem_eq(got, content, len);
		free(got);
	}
}

START_TEST(test_truncated)
{
	struct pd_store *a = rand_store(100), *b = pd_store_new(1000);
	const char *path = tpath("peers.json");
	struct pd_peerid keep;
	struct pd_peer *p;
	char *enc;
	size_t len, cut;
	int k, match;

	ck_assert_int_eq(pd_storefile_encode(a, NOW, &enc, &len), 0);
	/* b holds one peer already: a failed load must leave it alone. */
	keep = rand_id();
	ck_assert_int_eq(pd_store_add(b, &keep, 1, &p), 1);
	for (k = 0; k < 20; k++) {
		cut = len * (size_t)k / 20;
		write_file(path, enc, cut);
		expect_moved(b, path, NOW + k * 1000, enc, cut);
		ck_assert_uint_eq(pd_store_count(b), 1);
		ck_assert_ptr_eq(pd_store_first(b), p);
	}
	/* Cut just before the final brace and newline, too. */
	write_file(path, enc, len - 2);
	expect_moved(b, path, NOW + 50000, enc, len - 2);
	ck_assert_int_eq(dir_count("peers.json.corrupt-", &match), 21);
	ck_assert_int_eq(match, 21);
	free(enc);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

START_TEST(test_bad_files)
{
	static const char *const bad[] = {
		"",
		"   \n",
		"garbage",
		"\x00\x01\x02\xff",
		"null",
		"[]",
		"{}",
		"{\"version\":1}",
		"{\"peers\":[]}",
		"{\"version\":2,\"peers\":[]}",
		"{\"version\":\"1\",\"peers\":[]}",
		"{\"version\":1.0,\"peers\":[]}",
		"{\"version\":1,\"peers\":{}}",
		"{\"version\":1,\"peers\":[]}x",
		"{\"version\":1,\"peers\":[]}{}",
		"{\"version\":1,\"version\":1,\"peers\":[]}",
		"{\"version\":1,\"peers\":[],\"peers\":[]}",
		"{\"version\":1,\"saved_at\":-5,\"peers\":[]}",
		"{\"version\":1,\"peers\":[{\"id\":\"x\",\"id\":\"y\"}]}",
		"{\"version\":1,\"peers\":[1,]}",
		"{\"version\":1,\"peers\":[1 2]}",
		"{\"version\":1 \"peers\":[]}",
		"{\"version\":1,\"peers\":[]",
		"{version:1,\"peers\":[]}",
		"{\"version\":1,\"peers\":[\"\\u0000\"]}",
		"{\"version\":1,\"peers\":[\"\xc3\"]}",
	};
	struct pd_store *s = pd_store_new(10);
	const char *path = tpath("peers.json");
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = i == 3 ? 4 : strlen(bad[i]);
		write_file(path, bad[i], len);
		expect_moved(s, path, NOW + (int64_t)i * 1000, bad[i], len);
	}
	/* Two corrupt files in the same second keep both copies. */
	write_file(path, "x", 1);
	expect_moved(s, path, NOW, NULL, 0);
	ck_assert_int_eq(access(tpath("peers.json.corrupt-1700000000-1"),
	    F_OK), 0);
	ck_assert_uint_eq(pd_store_count(s), 0);
	pd_store_free(s);
}
END_TEST

START_TEST(test_huge_file)
{
	struct pd_store *s = pd_store_new(10);
	const char *path = tpath("peers.json");
	static const char head[] = "{\"version\":1,\"peers\":[]}";
	char why[512];
	int fd;

	/* Sparse: valid JSON then a hole past the cap. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, head, sizeof(head) - 1),
	    (ssize_t)sizeof(head) - 1);
	ck_assert_int_eq(ftruncate(fd, (off_t)PD_STOREFILE_MAX_SIZE + 1), 0);
	close(fd);
	expect_moved(s, path, NOW, NULL, 0);
	/* The buffer API refuses it as well, without reading it. */
	ck_assert_int_eq(pd_storefile_load_buffer(s, head,
	    (size_t)PD_STOREFILE_MAX_SIZE + 1, NOW, why, sizeof(why), NULL),
	    PD_ERR_OVERFLOW);
	pd_store_free(s);
}
END_TEST

START_TEST(test_not_a_file)
{
	struct pd_store *s = pd_store_new(10);
	const char *path = tpath("peers.json");
	char why[512] = "";

	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(pd_storefile_load(s, path, NOW, why, sizeof(why),
	    NULL), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
	ck_assert_int_eq(access(path, F_OK), 0);
	pd_store_free(s);
}
END_TEST

/* ---- per-entry skipping ---------------------------------------------- */

START_TEST(test_bad_entries)
{
	struct pd_store *a = rand_store(2), *s = pd_store_new(3);
	struct pd_storefile_stats st;
	char ida[PD_PEERID_TEXT_MAX], idb[PD_PEERID_TEXT_MAX], buf[8192];
	char why[256];
	struct pd_peerid idc = rand_id(), idd = rand_id(), ide = rand_id();
	char idct[PD_PEERID_TEXT_MAX], iddt[PD_PEERID_TEXT_MAX];
	char idet[PD_PEERID_TEXT_MAX];
	const struct pd_peer *p;
	int n;

	pd_peerid_format(&pd_store_first(a)->id, ida, sizeof(ida));
	pd_peerid_format(&pd_store_last(a)->id, idb, sizeof(idb));
	pd_peerid_format(&idc, idct, sizeof(idct));
	pd_peerid_format(&idd, iddt, sizeof(iddt));
	pd_peerid_format(&ide, idet, sizeof(idet));
	n = snprintf(buf, sizeof(buf),
	    "{\"peers\":[\n"
	    /* bad: not an object, no id, bad id, id not a string */
	    "1, {}, {\"id\":\"QmNotAPeer\"}, {\"id\":5},\n"
	    /* bad: wrong types */
	    "{\"id\":\"%s\",\"score\":\"high\"},\n"
	    "{\"id\":\"%s\",\"latency_ms\":-1},\n"
	    "{\"id\":\"%s\",\"addrs\":[{\"addr\":5}]},\n"
	    "{\"id\":\"%s\",\"addrs\":{}},\n"
	    "{\"id\":\"%s\",\"protocols\":[1]},\n"
	    "{\"id\":\"%s\",\"dial_failures\":4294967296},\n"
	    "{\"id\":\"%s\",\"connected\":1},\n"
	    /* good: one bad address text, one unknown source, one expired,
	     * one good; an unknown key is ignored */
	    "{\"id\":\"%s\",\"future\":[1,{}],\"addrs\":["
	    "{\"addr\":\"/ip4/1.2.3.4/tcp/99999\",\"expires\":0,\"source\":\"dht\"},"
	    "{\"addr\":\"/ip4/1.2.3.4/tcp/1\",\"expires\":0,\"source\":\"carrier-pigeon\"},"
	    "{\"addr\":\"/ip4/1.2.3.4/tcp/2\",\"expires\":%" PRId64 ",\"source\":\"dht\"},"
	    "{\"addr\":\"/ip4/1.2.3.4/tcp/3\",\"expires\":%" PRId64 ",\"source\":\"mdns\"}],"
	    "\"sources\":[\"dht\",\"telepathy\"],\"latency_ms\":12,"
	    "\"direction\":\"sideways\",\"agent\":\"a\\u0001b\"},\n"
	    /* duplicate of the previous one */
	    "{\"id\":\"%s\"},\n"
	    /* good, minimal, connected before */
	    "{\"id\":\"%s\",\"last_connected\":5},\n"
	    /* dropped: only an expired address, never connected */
	    "{\"id\":\"%s\",\"addrs\":[{\"addr\":\"/ip4/1.2.3.4/tcp/2\","
	    "\"expires\":%" PRId64 "}]},\n"
	    /* good, protected, no address */
	    "{\"id\":\"%s\",\"protected\":[\"\",\"ok\"]},\n"
	    /* over the limit: the store holds 3 */
	    "{\"id\":\"%s\",\"last_connected\":5},\n"
	    "{\"id\":\"%s\",\"last_connected\":5}\n"
	    "],\"saved_at\":77,\"comment\":\"hi\",\"version\":1}\n",
	    ida, ida, ida, ida, ida, ida, ida,
	    ida, (int64_t)NOW, (int64_t)NOW + 1000,
	    ida, idb, idct, (int64_t)NOW, iddt, idet, idet);
	ck_assert_int_lt(n, (int)sizeof(buf));
	ck_assert_int_eq(pd_storefile_load_buffer(s, buf, (size_t)n, NOW, why,
	    sizeof(why), &st), 0);
	ck_assert_uint_eq(st.bad_peers, 11);
	ck_assert_uint_eq(st.loaded, 3);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_uint_eq(st.bad_addrs, 2);
	ck_assert_uint_eq(st.expired_addrs, 2);
	ck_assert_uint_eq(st.expired_peers, 1);
	ck_assert_uint_eq(st.over_limit, 2);
	ck_assert_int_eq(st.saved_at, 77);
	ck_assert_uint_eq(pd_store_count(s), 3);
	p = pd_store_get(s, &pd_store_first(a)->id);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert_int_eq(p->addrs[0].expires, NOW + 1000);
	ck_assert_uint_eq(p->addrs[0].source, PD_SOURCE_MDNS);
	ck_assert_uint_eq(p->sources, PD_SOURCE_MDNS | PD_SOURCE_DHT);
	ck_assert_uint_eq(p->latency_us, 12000);
	ck_assert_int_eq(p->direction, PD_STORE_DIR_NONE);
	ck_assert_str_eq(p->agent, "a?b");
	ck_assert_int_eq(p->last_seen, NOW);
	p = pd_store_get(s, &idd);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->ntags, 1);
	ck_assert_str_eq(p->tags[0], "ok");
	ck_assert_ptr_null(pd_store_get(s, &idc));
	pd_store_free(a);
	pd_store_free(s);
}
END_TEST

START_TEST(test_too_many_addrs)
{
	struct pd_store *s = pd_store_new(10);
	struct pd_storefile_stats st;
	struct pd_peerid id = rand_id();
	char buf[8192], idt[PD_PEERID_TEXT_MAX], why[128];
	const struct pd_peer *p;
	size_t n;
	int i;

	pd_peerid_format(&id, idt, sizeof(idt));
	n = (size_t)snprintf(buf, sizeof(buf),
	    "{\"version\":1,\"peers\":[{\"id\":\"%s\",\"addrs\":[", idt);
	for (i = 0; i < PD_STORE_MAX_ADDRS + 4; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s{\"addr\":\"/ip4/10.0.0.%d/tcp/1\"}", i ? "," : "", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]}]}");
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_int_eq(pd_storefile_load_buffer(s, buf, n, NOW, why,
	    sizeof(why), &st), 0);
	ck_assert_uint_eq(st.loaded, 1);
	ck_assert_uint_eq(st.bad_addrs, 4);
	p = pd_store_get(s, &id);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->naddrs, PD_STORE_MAX_ADDRS);
	/* No source: manual; no expiry: permanent. */
	ck_assert_uint_eq(p->addrs[0].source, PD_SOURCE_MANUAL);
	ck_assert_int_eq(p->addrs[0].expires, PD_STORE_TTL_PERMANENT);
	pd_store_free(s);
}
END_TEST

START_TEST(test_over_limit)
{
	struct pd_store *a = rand_store(50), *b = pd_store_new(20);
	struct pd_storefile_stats st;
	const struct pd_peer *p, *q;
	char *enc, why[128];
	size_t len;

	ck_assert_int_eq(pd_storefile_encode(a, NOW, &enc, &len), 0);
	ck_assert_int_eq(pd_storefile_load_buffer(b, enc, len, NOW, why,
	    sizeof(why), &st), 0);
	ck_assert_uint_eq(st.loaded, 20);
	ck_assert_uint_eq(st.over_limit, 30);
	/* The first 20 of the file, in order. */
	for (p = pd_store_first(a), q = pd_store_first(b); q != NULL;
	    p = pd_store_next(p), q = pd_store_next(q))
		peer_same(p, q);
	/* Loading again: all duplicates, nothing changes. */
	ck_assert_int_eq(pd_storefile_load_buffer(b, enc, len, NOW, why,
	    sizeof(why), &st), 0);
	ck_assert_uint_eq(st.loaded, 0);
	ck_assert_uint_eq(st.duplicates, 20);
	ck_assert_uint_eq(st.over_limit, 30);
	/* Addresses expire at load time. */
	pd_store_free(b);
	b = pd_store_new(100);
	ck_assert_int_eq(pd_storefile_load_buffer(b, enc, len,
	    NOW + 2000000, why, sizeof(why), &st), 0);
	for (q = pd_store_first(b); q != NULL; q = pd_store_next(q)) {
		size_t i;

		for (i = 0; i < q->naddrs; i++)
			ck_assert_int_eq(q->addrs[i].expires, 0);
	}
	ck_assert_uint_gt(st.expired_addrs, 0);
	free(enc);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

/* ---- failing saves ------------------------------------------------------ */

static void
assert_intact(const char *path, const char *old, size_t oldlen)
{
	size_t len;
	char *now = read_file(path, &len);
	int match;

	ck_assert_ptr_nonnull(now);
	ck_assert_uint_eq(len, oldlen);
	ck_assert_mem_eq(now, old, len);
	free(now);
	ck_assert_int_eq(dir_count("peers.json.tmp", &match), 1);
	ck_assert_int_eq(match, 0);
}

START_TEST(test_save_unwritable_dir)
{
	struct pd_store *a = rand_store(20), *b = rand_store(5);
	const char *path = tpath("peers.json");
	char why[512] = "", *old;
	size_t oldlen;
	bool root = geteuid() == 0;

	ck_assert_int_eq(pd_storefile_save(b, path, NOW, why, sizeof(why)), 0);
	old = read_file(path, &oldlen);
	ck_assert_int_eq(chmod(tmpdir, 0500), 0);
	/* root ignores modes: act as nobody for the save. */
	if (root) {
		ck_assert_int_eq(chown(tmpdir, 65534, 65534), 0);
		ck_assert_int_eq(seteuid(65534), 0);
	}
	ck_assert_int_eq(pd_storefile_save(a, path, NOW, why, sizeof(why)),
	    PD_ERR_IO);
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_msg(strstr(why, "Permission denied") != NULL, "why: %s", why);
	ck_assert_ptr_nonnull(strstr(why, "peers.json.tmp-"));
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	assert_intact(path, old, oldlen);
	free(old);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

START_TEST(test_save_write_error)
{
	struct pd_store *a = rand_store(600), *b = rand_store(3);
	const char *path = tpath("peers.json");
	char why[512] = "", *old;
	struct rlimit rl, saved;
	size_t oldlen;

	ck_assert_int_eq(pd_storefile_save(b, path, NOW, why, sizeof(why)), 0);
	old = read_file(path, &oldlen);
	/* Writes past 8 KiB fail with EFBIG (SIGXFSZ ignored). */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
	rl = saved;
	rl.rlim_cur = 8192;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(pd_storefile_save(a, path, NOW, why, sizeof(why)),
	    PD_ERR_IO);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
	ck_assert_msg(strstr(why, "File too large") != NULL, "why: %s", why);
	assert_intact(path, old, oldlen);
	/* A bad target (a directory) fails at rename: temp removed. */
	ck_assert_int_eq(pd_storefile_save(a, tpath("sub"), NOW, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(unlink(tpath("sub")), 0);
	ck_assert_int_eq(mkdir(tpath("sub"), 0700), 0);
	ck_assert_int_eq(mkdir(tpath("sub/x"), 0700), 0);
	ck_assert_int_eq(pd_storefile_save(a, tpath("sub"), NOW, why,
	    sizeof(why)), PD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(why, "rename"));
	ck_assert_int_eq(dir_count("sub.tmp", NULL), 2);
	{
		int match;

		dir_count("sub.tmp", &match);
		ck_assert_int_eq(match, 0);
	}
	free(old);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

START_TEST(test_save_stale_tmp)
{
	struct pd_store *a = rand_store(10), *b = pd_store_new(100);
	const char *path = tpath("peers.json");
	char tmp[PATH_MAX], why[256];
	struct pd_storefile_stats st;
	int match;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	write_file(tmp, "stale", 5);
	ck_assert_int_eq(pd_storefile_save(a, path, NOW, why, sizeof(why)), 0);
	ck_assert_int_eq(dir_count("peers.json.tmp", &match), 1);
	ck_assert_int_eq(match, 0);
	ck_assert_int_eq(pd_storefile_load(b, path, NOW, why, sizeof(why),
	    &st), 0);
	ck_assert_uint_eq(st.loaded, 10);
	pd_store_free(a);
	pd_store_free(b);
}
END_TEST

static Suite *
storefile_suite(void)
{
	Suite *s = suite_create("pd_storefile");
	TCase *tc;

	tc = tcase_create("round_trip");
	tcase_add_checked_fixture(tc, sf_setup, sf_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_empty_store_and_missing);
	tcase_add_test(tc, test_over_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrupt");
	tcase_add_checked_fixture(tc, sf_setup, sf_teardown);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_huge_file);
	tcase_add_test(tc, test_not_a_file);
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_too_many_addrs);
	suite_add_tcase(s, tc);
	tc = tcase_create("save");
	tcase_add_checked_fixture(tc, sf_setup, sf_teardown);
	tcase_add_test(tc, test_save_unwritable_dir);
	tcase_add_test(tc, test_save_write_error);
	tcase_add_test(tc, test_save_stale_tmp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	sf_rng_state = pd_test_seed("check_storefile");
	return pd_test_run(storefile_suite());
}
