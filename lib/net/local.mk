# lib/net: multistream-select and yamux (sans-IO protocol cores).
lib_libpeerdisc_la_SOURCES += \
	lib/net/mss.c lib/net/mss.h \
	lib/net/yamux.c lib/net/yamux.h

check_PROGRAMS += tests/unit/check_mss tests/unit/check_yamux
TESTS += tests/unit/check_mss tests/unit/check_yamux
tests_unit_check_mss_SOURCES = tests/unit/check_mss.c tests/unit/helpers.c
tests_unit_check_mss_CFLAGS = $(unit_cflags)
tests_unit_check_mss_LDADD = $(unit_ldadd)
tests_unit_check_yamux_SOURCES = tests/unit/check_yamux.c tests/unit/helpers.c
tests_unit_check_yamux_CFLAGS = $(unit_cflags)
tests_unit_check_yamux_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_mss tests/fuzz/fuzz_yamux
check_PROGRAMS += tests/fuzz/fuzz_mss tests/fuzz/fuzz_yamux
tests_fuzz_fuzz_mss_SOURCES = tests/fuzz/fuzz_mss.c tests/fuzz/standalone.c
tests_fuzz_fuzz_mss_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_mss_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_mss_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_yamux_SOURCES = tests/fuzz/fuzz_yamux.c tests/fuzz/standalone.c
tests_fuzz_fuzz_yamux_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_yamux_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_yamux_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_mss.dict tests/fuzz/corpus/fuzz_mss \
	tests/fuzz/fuzz_yamux.dict tests/fuzz/corpus/fuzz_yamux
