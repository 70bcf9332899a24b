# tests/abuse/clients.mk: hostile local clients on the control socket and
# the valgrind stage for the unit tests (issue 10).
#
# ctlabuse opens many control clients that idle, send partial lines,
# pipeline without reading or churn, and probes node.info latency
# meanwhile; 120-hostile-clients.sh runs each mode against a real
# peerdiscd on 127.0.0.1 and asserts latency, RSS, CPU and liveness.
check_PROGRAMS += tests/tools/ctlabuse
tests_tools_ctlabuse_SOURCES = tests/tools/ctlabuse.c

# valgrind-units.sh runs the unit tests (tests/unit/check_*) under
# valgrind (memcheck, definite leaks are errors); it exits 77 (SKIP) when
# valgrind is not installed or the build uses sanitizers.  make check
# runs a documented subset; PD_VALGRIND_ALL=1 runs every suite.
clients_abuse_tests = \
	tests/abuse/120-hostile-clients.sh \
	tests/abuse/valgrind-units.sh
TESTS += $(clients_abuse_tests)
EXTRA_DIST += $(clients_abuse_tests) tests/abuse/valgrind.supp
