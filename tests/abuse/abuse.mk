# tests/abuse: crash safety and resource exhaustion (issue 10).
#
# crashtool kills store saves and identity creation at random points and
# checks the files; the shell tests also SIGKILL real daemons, run one
# under "ulimit -n 64" against a connection flood, fill a small tmpfs
# during a save, and take the state directory's permissions away.
check_PROGRAMS += tests/tools/crashtool
tests_tools_crashtool_SOURCES = tests/tools/crashtool.c
tests_tools_crashtool_LDADD = lib/libpeerdisc.la $(SODIUM_LIBS)

abuse_tests = tests/abuse/100-crash-store.sh \
	tests/abuse/101-crash-identity.sh \
	tests/abuse/110-fd-limit.sh \
	tests/abuse/111-disk-full.sh \
	tests/abuse/112-unreadable-state.sh
TESTS += $(abuse_tests)
EXTRA_DIST += $(abuse_tests)
