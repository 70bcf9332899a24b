# lib/crypto: keys, peer IDs, the identity key file.
lib_libpeerdisc_la_SOURCES += \
	lib/crypto/key.c lib/crypto/key.h \
	lib/crypto/peerid.c lib/crypto/peerid.h \
	lib/crypto/keyfile.c lib/crypto/keyfile.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_key tests/unit/check_peerid \
	tests/unit/check_keyfile
TESTS += tests/unit/check_key tests/unit/check_peerid tests/unit/check_keyfile
tests_unit_check_key_SOURCES = tests/unit/check_key.c tests/unit/helpers.c
tests_unit_check_key_CFLAGS = $(unit_cflags)
tests_unit_check_key_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPD_TEST_VECTORS='"$(abs_top_srcdir)/tests/unit/vectors"'
tests_unit_check_key_LDADD = $(unit_ldadd) $(LIBCRYPTO_LIBS)
tests_unit_check_peerid_SOURCES = tests/unit/check_peerid.c tests/unit/helpers.c
tests_unit_check_peerid_CFLAGS = $(unit_cflags)
tests_unit_check_peerid_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPD_TEST_VECTORS='"$(abs_top_srcdir)/tests/unit/vectors"'
tests_unit_check_peerid_LDADD = $(unit_ldadd)
tests_unit_check_keyfile_SOURCES = tests/unit/check_keyfile.c tests/unit/helpers.c
tests_unit_check_keyfile_CFLAGS = $(unit_cflags)
tests_unit_check_keyfile_LDADD = $(unit_ldadd)
endif
EXTRA_DIST += tests/unit/vectors/peer-ids.txt

FUZZ_TARGETS += tests/fuzz/fuzz_key
check_PROGRAMS += tests/fuzz/fuzz_key
tests_fuzz_fuzz_key_SOURCES = tests/fuzz/fuzz_key.c tests/fuzz/standalone.c
tests_fuzz_fuzz_key_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_key_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_key_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_key.dict tests/fuzz/corpus/fuzz_key
