# lib/addr: multiaddr text <-> binary and address helpers.
lib_libpeerdisc_la_SOURCES += lib/addr/multiaddr.c lib/addr/multiaddr.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_multiaddr
TESTS += tests/unit/check_multiaddr
endif
tests_unit_check_multiaddr_SOURCES = tests/unit/check_multiaddr.c tests/unit/helpers.c
tests_unit_check_multiaddr_CFLAGS = $(unit_cflags)
tests_unit_check_multiaddr_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_multiaddr_bin tests/fuzz/fuzz_multiaddr_text
check_PROGRAMS += tests/fuzz/fuzz_multiaddr_bin tests/fuzz/fuzz_multiaddr_text
tests_fuzz_fuzz_multiaddr_bin_SOURCES = tests/fuzz/fuzz_multiaddr_bin.c \
	tests/fuzz/standalone.c
tests_fuzz_fuzz_multiaddr_bin_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_multiaddr_bin_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_multiaddr_bin_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_multiaddr_text_SOURCES = tests/fuzz/fuzz_multiaddr_text.c \
	tests/fuzz/standalone.c
tests_fuzz_fuzz_multiaddr_text_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_multiaddr_text_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_multiaddr_text_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_multiaddr_bin.dict \
	tests/fuzz/corpus/fuzz_multiaddr_bin \
	tests/fuzz/fuzz_multiaddr_text.dict \
	tests/fuzz/corpus/fuzz_multiaddr_text
