# lib/mdns/dns: DNS message codec for mDNS (sans-IO), its unit test, vectors
# and fuzz target.
lib_libpeerdisc_la_SOURCES += lib/mdns/dns.c lib/mdns/dns.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dns
TESTS += tests/unit/check_dns
endif
tests_unit_check_dns_SOURCES = tests/unit/check_dns.c tests/unit/helpers.c
tests_unit_check_dns_CFLAGS = $(unit_cflags) \
	-DPD_TEST_VECTORS='"$(abs_top_srcdir)/tests/unit/vectors"'
tests_unit_check_dns_LDADD = $(unit_ldadd)
EXTRA_DIST += tests/unit/vectors/mdns tests/tools/gen-mdns-vectors.mjs

FUZZ_TARGETS += tests/fuzz/fuzz_dns
check_PROGRAMS += tests/fuzz/fuzz_dns
tests_fuzz_fuzz_dns_SOURCES = tests/fuzz/fuzz_dns.c tests/fuzz/standalone.c
tests_fuzz_fuzz_dns_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_dns_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dns_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_dns.dict tests/fuzz/corpus/fuzz_dns
