# lib/kad: DHT value records (validator table, pk + ipns validators,
# record store) and the DAG-CBOR reader they use.
lib_libpeerdisc_la_SOURCES += \
	lib/kad/record.c lib/kad/record.h \
	lib/kad/cbor.c lib/kad/cbor.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_kad_record
TESTS += tests/unit/check_kad_record
endif
tests_unit_check_kad_record_SOURCES = tests/unit/check_kad_record.c tests/unit/helpers.c
tests_unit_check_kad_record_CFLAGS = $(unit_cflags)
tests_unit_check_kad_record_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPD_TEST_VECTORS='"$(abs_top_srcdir)/tests/unit/vectors"'
tests_unit_check_kad_record_LDADD = $(unit_ldadd)
EXTRA_DIST += tests/unit/vectors/ipns tests/tools/gen-ipns-vectors.mjs

FUZZ_TARGETS += tests/fuzz/fuzz_kad_record
check_PROGRAMS += tests/fuzz/fuzz_kad_record
tests_fuzz_fuzz_kad_record_SOURCES = tests/fuzz/fuzz_kad_record.c tests/fuzz/standalone.c
tests_fuzz_fuzz_kad_record_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_kad_record_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_kad_record_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_kad_record.dict tests/fuzz/corpus/fuzz_kad_record
