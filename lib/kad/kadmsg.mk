# lib/kad: Kademlia Message codec and framing, provider store (sans-IO).
lib_libpeerdisc_la_SOURCES += \
	lib/kad/msg.c lib/kad/msg.h \
	lib/kad/providers.c lib/kad/providers.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_kad_msg tests/unit/check_kad_providers
TESTS += tests/unit/check_kad_msg tests/unit/check_kad_providers
endif
tests_unit_check_kad_msg_SOURCES = tests/unit/check_kad_msg.c tests/unit/helpers.c
tests_unit_check_kad_msg_CFLAGS = $(unit_cflags)
tests_unit_check_kad_msg_LDADD = $(unit_ldadd)
tests_unit_check_kad_providers_SOURCES = tests/unit/check_kad_providers.c tests/unit/helpers.c
tests_unit_check_kad_providers_CFLAGS = $(unit_cflags)
tests_unit_check_kad_providers_LDADD = $(unit_ldadd)

FUZZ_TARGETS += tests/fuzz/fuzz_kad_msg
check_PROGRAMS += tests/fuzz/fuzz_kad_msg
tests_fuzz_fuzz_kad_msg_SOURCES = tests/fuzz/fuzz_kad_msg.c tests/fuzz/standalone.c
tests_fuzz_fuzz_kad_msg_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_kad_msg_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_kad_msg_LDADD = $(fuzz_ldadd)
EXTRA_DIST += tests/fuzz/fuzz_kad_msg.dict tests/fuzz/corpus/fuzz_kad_msg
