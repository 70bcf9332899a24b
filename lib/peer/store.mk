# lib/peer: the peer store and its file.
lib_libpeerdisc_la_SOURCES += \
	lib/peer/store.c lib/peer/store.h \
	lib/peer/storefile.c lib/peer/storefile.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_store tests/unit/check_storefile
TESTS += tests/unit/check_store tests/unit/check_storefile
endif
tests_unit_check_store_SOURCES = tests/unit/check_store.c tests/unit/helpers.c
tests_unit_check_store_CFLAGS = $(unit_cflags)
tests_unit_check_store_LDADD = $(unit_ldadd)
tests_unit_check_storefile_SOURCES = tests/unit/check_storefile.c tests/unit/helpers.c
tests_unit_check_storefile_CFLAGS = $(unit_cflags)
tests_unit_check_storefile_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_storefile
check_PROGRAMS += tests/fuzz/fuzz_storefile
tests_fuzz_fuzz_storefile_SOURCES = tests/fuzz/fuzz_storefile.c \
	tests/fuzz/standalone.c
tests_fuzz_fuzz_storefile_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_storefile_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_storefile_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_storefile.dict tests/fuzz/corpus/fuzz_storefile

# Save/load timings and memory of the store: a table, not a test.
noinst_PROGRAMS += tests/bench/store-bench
tests_bench_store_bench_SOURCES = tests/bench/store-bench.c
tests_bench_store_bench_LDADD = lib/libpeerdisc.la $(SODIUM_LIBS)
