# tests/tools: the hostile dialer and the bad-input integration test,
# plus fuzz targets for signed peer records and binary CIDs/multihashes.

# badpeer drives our own sans-IO modules (mss, noise, yamux headers) over
# a blocking socket to reach a stage of the upgrade, then misbehaves.
check_PROGRAMS += tests/tools/badpeer
tests_tools_badpeer_SOURCES = tests/tools/badpeer.c
tests_tools_badpeer_LDADD = lib/libpeerdisc.la $(SODIUM_LIBS)

# Every bad-input case against a running peerdiscd (needs badpeer).
TESTS += tests/integration/020-bad-input.sh
EXTRA_DIST += tests/integration/020-bad-input.sh

# Fuzz targets: signed envelopes with peer records; binary CIDv1 and
# multihashes.
FUZZ_TARGETS += tests/fuzz/fuzz_record tests/fuzz/fuzz_cid
check_PROGRAMS += tests/fuzz/fuzz_record tests/fuzz/fuzz_cid
tests_fuzz_fuzz_record_SOURCES = tests/fuzz/fuzz_record.c tests/fuzz/standalone.c
tests_fuzz_fuzz_record_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_record_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_record_LDADD = $(fuzz_ldadd)
tests_fuzz_fuzz_cid_SOURCES = tests/fuzz/fuzz_cid.c tests/fuzz/standalone.c
tests_fuzz_fuzz_cid_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_cid_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_cid_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_record.dict tests/fuzz/corpus/fuzz_record \
	tests/fuzz/fuzz_cid.dict tests/fuzz/corpus/fuzz_cid

# Writes fuzz_record's seed corpus from real sealed envelopes (built
# with the tests so it keeps compiling; run it by hand:
#   tests/tools/gen-fuzz-record-seeds $(top_srcdir)/tests/fuzz/corpus/fuzz_record).
check_PROGRAMS += tests/tools/gen-fuzz-record-seeds
tests_tools_gen_fuzz_record_seeds_SOURCES = tests/tools/gen-fuzz-record-seeds.c
tests_tools_gen_fuzz_record_seeds_LDADD = lib/libpeerdisc.la
