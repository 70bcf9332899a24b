# lib/core: buffers, codecs, logging, errors.
lib_libpeerdisc_la_SOURCES += \
	lib/core/buf.c lib/core/buf.h \
	lib/core/error.c lib/core/error.h \
	lib/core/log.c lib/core/log.h \
	lib/core/time.c lib/core/time.h
lib_libpeerdisc_la_SOURCES += \
	lib/core/varint.c lib/core/varint.h \
	lib/core/base.c lib/core/base.h \
	lib/core/pb.c lib/core/pb.h \
	lib/core/multihash.c lib/core/multihash.h \
	lib/core/cid.c lib/core/cid.h

# Unit tests for lib/core: one check suite per module.
core_unit_tests = tests/unit/check_varint tests/unit/check_pb \
	tests/unit/check_base tests/unit/check_multihash \
	tests/unit/check_buf tests/unit/check_log
if HAVE_CHECK
check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests)
endif
tests_unit_check_varint_SOURCES = tests/unit/check_varint.c tests/unit/helpers.c
tests_unit_check_varint_CFLAGS = $(unit_cflags)
tests_unit_check_varint_LDADD = $(unit_ldadd)
tests_unit_check_pb_SOURCES = tests/unit/check_pb.c tests/unit/helpers.c
tests_unit_check_pb_CFLAGS = $(unit_cflags)
tests_unit_check_pb_LDADD = $(unit_ldadd)
tests_unit_check_base_SOURCES = tests/unit/check_base.c tests/unit/helpers.c
tests_unit_check_base_CFLAGS = $(unit_cflags)
tests_unit_check_base_LDADD = $(unit_ldadd)
tests_unit_check_multihash_SOURCES = tests/unit/check_multihash.c tests/unit/helpers.c
tests_unit_check_multihash_CFLAGS = $(unit_cflags)
tests_unit_check_multihash_LDADD = $(unit_ldadd)
tests_unit_check_buf_SOURCES = tests/unit/check_buf.c tests/unit/helpers.c
tests_unit_check_buf_CFLAGS = $(unit_cflags)
tests_unit_check_buf_LDADD = $(unit_ldadd)
tests_unit_check_log_SOURCES = tests/unit/check_log.c tests/unit/helpers.c
tests_unit_check_log_CFLAGS = $(unit_cflags)
tests_unit_check_log_LDADD = $(unit_ldadd)

# Fuzz targets for lib/core (see tests/local.mk for the corpus replay).
core_fuzz_targets = tests/fuzz/fuzz_varint tests/fuzz/fuzz_pb \
	tests/fuzz/fuzz_multibase
FUZZ_TARGETS += $(core_fuzz_targets)
check_PROGRAMS += $(core_fuzz_targets)
tests_fuzz_fuzz_varint_SOURCES = tests/fuzz/fuzz_varint.c tests/fuzz/standalone.c
tests_fuzz_fuzz_varint_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_varint_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_varint_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_pb_SOURCES = tests/fuzz/fuzz_pb.c tests/fuzz/standalone.c
tests_fuzz_fuzz_pb_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_pb_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_pb_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_multibase_SOURCES = tests/fuzz/fuzz_multibase.c tests/fuzz/standalone.c
tests_fuzz_fuzz_multibase_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_multibase_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_multibase_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_varint.dict tests/fuzz/corpus/fuzz_varint \
	tests/fuzz/fuzz_pb.dict tests/fuzz/corpus/fuzz_pb \
	tests/fuzz/fuzz_multibase.dict tests/fuzz/corpus/fuzz_multibase
