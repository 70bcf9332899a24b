# tests/bench: transport and control-socket benchmarks.  They print tables
# and never assert timings, so nothing here is in TESTS.  `make` builds the
# programs; run the transport comparison with  tests/bench/run.sh BUILD_DIR
# and the control-socket one with  tests/bench/control-run.sh BUILD_DIR
# (README.md).
noinst_PROGRAMS += tests/bench/dialer tests/bench/crypto-floor
tests_bench_dialer_SOURCES = tests/bench/dialer.c
tests_bench_dialer_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(SODIUM_LIBS)
tests_bench_crypto_floor_SOURCES = tests/bench/crypto-floor.c
tests_bench_crypto_floor_LDADD = $(SODIUM_LIBS)
noinst_PROGRAMS += tests/bench/control-bench
tests_bench_control_bench_SOURCES = tests/bench/control-bench.c
tests_bench_control_bench_LDADD = lib/libpeerdisc.la $(JANSSON_LIBS)
EXTRA_DIST += tests/bench/run.sh tests/bench/js-gc.mjs tests/bench/README.md
EXTRA_DIST += tests/bench/control-run.sh tests/bench/lib.sh
