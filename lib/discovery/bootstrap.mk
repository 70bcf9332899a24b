# lib/discovery: bootstrap discovery and the /dnsaddr resolver.
lib_libpeerdisc_la_SOURCES += lib/discovery/dnsaddr.c lib/discovery/dnsaddr.h \
	lib/discovery/bootstrap.c lib/discovery/bootstrap.h

check_PROGRAMS += tests/unit/check_dnsaddr
TESTS += tests/unit/check_dnsaddr
tests_unit_check_dnsaddr_SOURCES = tests/unit/check_dnsaddr.c tests/unit/helpers.c
tests_unit_check_dnsaddr_CFLAGS = $(unit_cflags)
tests_unit_check_dnsaddr_LDADD = $(unit_ldadd)

check_PROGRAMS += tests/unit/check_bootstrap
TESTS += tests/unit/check_bootstrap
tests_unit_check_bootstrap_SOURCES = tests/unit/check_bootstrap.c \
	tests/unit/helpers.c tests/unit/helpers-net.c
tests_unit_check_bootstrap_CFLAGS = $(unit_cflags)
tests_unit_check_bootstrap_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz_dnsaddr
check_PROGRAMS += tests/fuzz/fuzz_dnsaddr
tests_fuzz_fuzz_dnsaddr_SOURCES = tests/fuzz/fuzz_dnsaddr.c tests/fuzz/standalone.c
tests_fuzz_fuzz_dnsaddr_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_dnsaddr_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dnsaddr_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_dnsaddr.dict tests/fuzz/corpus/fuzz_dnsaddr
