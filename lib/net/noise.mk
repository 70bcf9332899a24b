# lib/net: the Noise secure channel and pnet (PSK v1), both sans-IO.
lib_libpeerdisc_la_SOURCES += \
	lib/net/noise.c lib/net/noise.h \
	lib/net/pnet.c lib/net/pnet.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_noise tests/unit/check_pnet
TESTS += tests/unit/check_noise tests/unit/check_pnet
endif
tests_unit_check_noise_SOURCES = tests/unit/check_noise.c tests/unit/helpers.c
tests_unit_check_noise_CFLAGS = $(unit_cflags)
tests_unit_check_noise_LDADD = $(unit_ldadd)
tests_unit_check_pnet_SOURCES = tests/unit/check_pnet.c tests/unit/helpers.c
tests_unit_check_pnet_CFLAGS = $(unit_cflags)
tests_unit_check_pnet_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_noise tests/fuzz/fuzz_pnet
check_PROGRAMS += tests/fuzz/fuzz_noise tests/fuzz/fuzz_pnet
tests_fuzz_fuzz_noise_SOURCES = tests/fuzz/fuzz_noise.c tests/fuzz/standalone.c
tests_fuzz_fuzz_noise_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_noise_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_noise_LDADD = $(fuzz_ldadd) $(SODIUM_LIBS)
tests_fuzz_fuzz_pnet_SOURCES = tests/fuzz/fuzz_pnet.c tests/fuzz/standalone.c
tests_fuzz_fuzz_pnet_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_pnet_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_pnet_LDADD = $(fuzz_ldadd) $(SODIUM_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_noise.dict tests/fuzz/corpus/fuzz_noise \
	tests/fuzz/fuzz_pnet.dict tests/fuzz/corpus/fuzz_pnet
