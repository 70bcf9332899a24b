# lib/proto: identify (+ push) codec, signed peer records.
lib_libpeerdisc_la_SOURCES += \
	lib/proto/identify.c lib/proto/identify.h \
	lib/proto/record.c lib/proto/record.h

check_PROGRAMS += tests/unit/check_identify
TESTS += tests/unit/check_identify
tests_unit_check_identify_SOURCES = tests/unit/check_identify.c tests/unit/helpers.c
tests_unit_check_identify_CFLAGS = $(unit_cflags)
tests_unit_check_identify_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_identify
check_PROGRAMS += tests/fuzz/fuzz_identify
tests_fuzz_fuzz_identify_SOURCES = tests/fuzz/fuzz_identify.c tests/fuzz/standalone.c
tests_fuzz_fuzz_identify_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_identify_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_identify_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_identify.dict tests/fuzz/corpus/fuzz_identify

lib_libpeerdisc_la_SOURCES += \
	lib/proto/ping.c lib/proto/ping.h \
	lib/proto/idsvc.c lib/proto/idsvc.h
