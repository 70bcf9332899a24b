# tests/bench: transport benchmarks.  They print tables and never assert
# timings, so nothing here is in TESTS.  `make` builds the two programs;
# run the whole comparison with  tests/bench/run.sh BUILD_DIR  (README.md).
noinst_PROGRAMS += tests/bench/dialer tests/bench/crypto-floor
tests_bench_dialer_SOURCES = tests/bench/dialer.c
tests_bench_dialer_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(SODIUM_LIBS)
tests_bench_crypto_floor_SOURCES = tests/bench/crypto-floor.c
tests_bench_crypto_floor_LDADD = $(SODIUM_LIBS)
EXTRA_DIST += tests/bench/run.sh tests/bench/js-gc.mjs tests/bench/README.md
