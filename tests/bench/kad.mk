# tests/bench: the DHT benchmark (README.md, "The DHT").  Like the other
# benchmarks it prints a table and asserts nothing, so it is not in TESTS;
# `make` builds the driver, tests/bench/kad-run.sh BUILD_DIR runs it.
noinst_PROGRAMS += tests/bench/kad-bench
tests_bench_kad_bench_SOURCES = tests/bench/kad-bench.c
tests_bench_kad_bench_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(SODIUM_LIBS)
EXTRA_DIST += tests/bench/kad-run.sh
