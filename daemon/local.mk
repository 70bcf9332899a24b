# daemon/: peerdiscd (command line, config, directories, identity, loop).

# The shared value parsers belong to the library (lib/core, pd_parse_*);
# they are registered here because the daemon helper owns them.
lib_libpeerdisc_la_SOURCES += lib/core/parse.c lib/core/parse.h

sbin_PROGRAMS += daemon/peerdiscd
daemon_config_sources = \
	daemon/config.c daemon/config.h \
	daemon/config-table.c \
	daemon/paths.c daemon/paths.h
daemon_peerdiscd_SOURCES = daemon/main.c daemon/node.c daemon/node.h \
	$(daemon_config_sources)
daemon_peerdiscd_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(INIH_LIBS) \
	$(SODIUM_LIBS) $(SYSTEMD_LIBS)

# The shipped configuration: every key, commented out at its default.
EXTRA_DIST += conf/peerdiscd.conf

# Unit tests: the shared parsers, and the config table/parser/paths
# (linked in directly; the daemon is not a library).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_parse tests/unit/check_config
TESTS += tests/unit/check_parse tests/unit/check_config
endif
tests_unit_check_parse_SOURCES = tests/unit/check_parse.c tests/unit/helpers.c
tests_unit_check_parse_CFLAGS = $(unit_cflags)
tests_unit_check_parse_LDADD = $(unit_ldadd)
tests_unit_check_config_SOURCES = tests/unit/check_config.c tests/unit/helpers.c \
	$(daemon_config_sources)
tests_unit_check_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) \
	-DPD_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_config_CFLAGS = $(unit_cflags)
tests_unit_check_config_LDADD = $(unit_ldadd) $(INIH_LIBS)

# Fuzz target: bytes as a conf file; a parsed config must print and
# re-parse to an equal one.
FUZZ_TARGETS += tests/fuzz/fuzz_config
check_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c \
	tests/fuzz/standalone.c $(daemon_config_sources)
tests_fuzz_fuzz_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fuzz_fuzz_config_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_config_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_config_LDADD = $(fuzz_ldadd) $(INIH_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_config.dict tests/fuzz/corpus/fuzz_config

# Integration tests: run the real peerdiscd (tests/integration/lib.sh).
daemon_integration_tests = \
	tests/integration/001-defaults.sh \
	tests/integration/002-bad-key.sh \
	tests/integration/003-check-config.sh \
	tests/integration/004-version-help.sh \
	tests/integration/005-conf-golden.sh \
	tests/integration/006-reload.sh
TESTS += $(daemon_integration_tests)
EXTRA_DIST += $(daemon_integration_tests) tests/integration/lib.sh \
	tests/unit/conf
# The tests compare against the configured default conf path and version.
AM_TESTS_ENVIRONMENT += sysconfdir='$(sysconfdir)'; \
	PACKAGE_VERSION='$(PACKAGE_VERSION)'; export sysconfdir PACKAGE_VERSION;
