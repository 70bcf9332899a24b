/*
 * store-bench.c - speed and memory of the peer store and its file
 * (lib/peer/store.c, lib/peer/storefile.c).  Prints markdown tables; it
 * asserts nothing (design.md: speed is measured, not tested).
 *
 *   tests/bench/store-bench [DIR]
 *
 * For 1k, 10k and 100k peers with 3 addresses and 5 protocols each:
 * save time (temp file, write, fsync, rename, directory fsync) and load
 * time (read, parse, rebuild the store), median of 5 runs, and the file
 * size.  Then the heap (mallinfo2) and RSS cost of a 10k-peer store, and
 * the cost of adding to a full store (each add evicts one peer).  DIR
 * (default $TMPDIR or /tmp) holds the file, so pick the file system you
 * care about: fsync on tmpfs is free.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"
#include "peer/store.h"
#include "peer/storefile.h"

#define BENCH_RUNS 5
#define BENCH_NOW 1700000000000LL

static uint64_t bench_rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
bench_rng(void)
{
	uint64_t x = bench_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return bench_rng_state = x;
}

static double
bench_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return v[n / 2];
}

/* A random sha2-256 peer ID. */
static struct pd_peerid
bench_id(void)
{
	uint8_t b[PD_PEERID_SHA256_LEN] = { 0x12, 0x20 };
	struct pd_peerid id;
	size_t i;

	for (i = 2; i < sizeof(b); i += 8) {
		uint64_t r = bench_rng();

		memcpy(b + i, &r, sizeof(b) - i < 8 ? sizeof(b) - i : 8);
	}
	if (pd_peerid_from_bytes(b, sizeof(b), &id) < 0)
		abort();
	return id;
}

/* One typical peer: 3 addresses, 5 protocols, an agent. */
static void
bench_peer(struct pd_store *s)
{
	static const char *const protos[] = { "/ipfs/id/1.0.0",
	    "/ipfs/ping/1.0.0", "/ipfs/kad/1.0.0", "/ipfs/id/push/1.0.0",
	    "/libp2p/circuit/relay/0.2.0/stop" };
	struct pd_peerid id = bench_id();
	struct pd_multiaddr ma;
	struct pd_peer *p;
	uint32_t r = (uint32_t)bench_rng();
	char text[96];

	if (pd_store_add(s, &id, BENCH_NOW, &p) < 0)
		abort();
	snprintf(text, sizeof(text), "/ip4/%u.%u.%u.%u/tcp/4001", r & 255,
	    (r >> 8) & 255, (r >> 16) & 255, r >> 24);
	if (pd_multiaddr_parse(text, &ma, NULL, 0) < 0 ||
	    pd_store_add_addr(p, &ma, 3600000, PD_SOURCE_DHT, BENCH_NOW) < 0)
		abort();
	snprintf(text, sizeof(text), "/ip4/%u.%u.%u.%u/udp/4001/quic-v1",
	    r & 255, (r >> 8) & 255, (r >> 16) & 255, r >> 24);
	if (pd_multiaddr_parse(text, &ma, NULL, 0) < 0 ||
	    pd_store_add_addr(p, &ma, 3600000, PD_SOURCE_DHT, BENCH_NOW) < 0)
		abort();
	snprintf(text, sizeof(text), "/ip6/2001:db8::%x:%x/tcp/4001",
	    r & 0xffff, r >> 16);
	if (pd_multiaddr_parse(text, &ma, NULL, 0) < 0 ||
	    pd_store_add_addr(p, &ma, PD_STORE_TTL_PERMANENT, PD_SOURCE_MDNS,
	    BENCH_NOW) < 0)
		abort();
	if (pd_store_set_protocols(p, protos, 5) != 5 ||
	    pd_store_set_agent(p, "kubo/0.24.0/") < 0)
		abort();
	pd_store_set_latency(p, r % 200000);
	pd_store_set_score(p, (int)(r % 100));
}

static struct pd_store *
bench_store(size_t n)
{
	struct pd_store *s = pd_store_new(n);
	size_t i;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		bench_peer(s);
	return s;
}

static long
bench_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
bench_file(const char *path, size_t n)
{
	struct pd_store *s = bench_store(n), *t;
	struct pd_storefile_stats st;
	double save[BENCH_RUNS], load[BENCH_RUNS], t0;
	char why[512];
	FILE *f;
	long size = 0;
	int i;

	for (i = 0; i < BENCH_RUNS; i++) {
		t0 = bench_ms();
		if (pd_storefile_save(s, path, BENCH_NOW, why, sizeof(why)) != 0) {
			fprintf(stderr, "save: %s\n", why);
			exit(1);
		}
		save[i] = bench_ms() - t0;
	}
	for (i = 0; i < BENCH_RUNS; i++) {
		if ((t = pd_store_new(n)) == NULL)
			abort();
		t0 = bench_ms();
		if (pd_storefile_load(t, path, BENCH_NOW, why, sizeof(why),
		    &st) != 0 || st.loaded != n) {
			fprintf(stderr, "load: %s\n", why);
			exit(1);
		}
		load[i] = bench_ms() - t0;
		pd_store_free(t);
	}
	if ((f = fopen(path, "rb")) != NULL) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	printf("| %zu | %.1f | %.1f | %.2f |\n", n,
	    bench_median(save, BENCH_RUNS), bench_median(load, BENCH_RUNS),
	    (double)size / (1024.0 * 1024.0));
	pd_store_free(s);
	(void)unlink(path);
}

static void
bench_memory(size_t n)
{
	struct mallinfo2 before, after;
	long rss0, rss1;
	struct pd_store *s;

	malloc_trim(0);
	before = mallinfo2();
	rss0 = bench_rss_kib();
	s = bench_store(n);
	after = mallinfo2();
	rss1 = bench_rss_kib();
	printf("| %zu | %.2f | %.0f | %.2f |\n", n,
	    (double)(after.uordblks - before.uordblks) / (1024.0 * 1024.0),
	    (double)(after.uordblks - before.uordblks) / (double)n,
	    (double)(rss1 - rss0) / 1024.0);
	pd_store_free(s);
}

static void
bench_evict(size_t n)
{
	struct pd_store *s = bench_store(n);
	size_t i, adds = 20000;
	double t0, dt;

	t0 = bench_ms();
	for (i = 0; i < adds; i++) {
		struct pd_peerid id = bench_id();

		if (pd_store_add(s, &id, BENCH_NOW + (int64_t)i, NULL) != 1)
			abort();
	}
	dt = bench_ms() - t0;
	printf("| %zu | %.3f |\n", n, dt * 1000.0 / (double)adds);
	pd_store_free(s);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
	static const size_t sizes[] = { 1000, 10000, 100000 };
	char path[4096];
	size_t i;

	if (dir == NULL)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/store-bench-%ld.json", dir,
	    (long)getpid());
	printf("Peer store file (3 addrs, 5 protocols per peer; median of %d; "
	    "fsync included; %s)\n\n", BENCH_RUNS, dir);
	printf("| peers | save ms | load ms | file MiB |\n");
	printf("| ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench_file(path, sizes[i]);
	printf("\nStore memory\n\n");
	printf("| peers | heap MiB | heap bytes/peer | RSS delta MiB |\n");
	printf("| ---: | ---: | ---: | ---: |\n");
	bench_memory(10000);
	bench_memory(100000);
	printf("\nAdd to a full store (each add evicts one)\n\n");
	printf("| store size | us per add |\n");
	printf("| ---: | ---: |\n");
	bench_evict(10000);
	bench_evict(100000);
	return 0;
}
