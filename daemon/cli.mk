# The control-protocol client library (lib/client) and peerdiscctl.

lib_libpeerdisc_la_SOURCES += lib/client/client.c

# The installed client API.  It goes to $(includedir)/peerdisc, where the
# Cflags of libpeerdisc.pc point; a directory variable of its own keeps
# this fragment independent of other *_HEADERS assignments.
clientincludedir = $(pkgincludedir)
clientinclude_HEADERS = lib/peerdisc-client.h

bin_PROGRAMS += daemon/peerdiscctl
daemon_peerdiscctl_SOURCES = daemon/peerdiscctl.c
daemon_peerdiscctl_LDADD = lib/libpeerdisc.la $(JANSSON_LIBS)

# Unit tests: the client library against a forked fake server.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_client
TESTS += tests/unit/check_client
endif
tests_unit_check_client_SOURCES = tests/unit/check_client.c tests/unit/helpers.c
tests_unit_check_client_CFLAGS = $(unit_cflags)
tests_unit_check_client_LDADD = $(unit_ldadd) $(JANSSON_LIBS)

# A scripted fake control server, and the peerdiscctl tests that use it.
check_PROGRAMS += tests/unit/fakeserver
tests_unit_fakeserver_SOURCES = tests/unit/fakeserver.c
tests_unit_fakeserver_LDADD = $(JANSSON_LIBS)
cli_integration_tests = tests/integration/030-peerdiscctl-fake.sh
TESTS += $(cli_integration_tests)
EXTRA_DIST += $(cli_integration_tests)
