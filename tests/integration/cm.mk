# tests/integration/cm.mk: connection manager and bootstrap discovery
# against real daemons on 127.0.0.1 (issue 7, "Tests"): 20-node
# convergence under the caps, protected peers surviving trims, dial
# back-off, warm restart, an inbound flood held to max_per_ip, /dns4 and
# /dnsaddr bootstrap from a local DNS server; and js-libp2p nodes as
# bootstrap peers and as trimmed peers.  Two test tools: flood (half-open
# inbound connections) and dnsserver (A / AAAA / TXT from a zone file).
# The benchmark (tests/bench/connmgr-run.sh BUILD_DIR) asserts nothing
# and is not in TESTS.
check_PROGRAMS += tests/tools/flood tests/tools/dnsserver
tests_tools_flood_SOURCES = tests/tools/flood.c
tests_tools_dnsserver_SOURCES = tests/tools/dnsserver.c

cm_integration_tests = \
	tests/integration/060-connmgr-converge.sh \
	tests/integration/061-connmgr-trim-protect.sh \
	tests/integration/062-backoff.sh \
	tests/integration/063-warm-restart.sh \
	tests/integration/064-inbound-flood.sh \
	tests/integration/065-bootstrap-dns.sh \
	tests/integration/067-reload-bootstrap.sh \
	tests/interop/019-bootstrap-trim.sh
TESTS += $(cm_integration_tests)
EXTRA_DIST += $(cm_integration_tests) tests/bench/connmgr-run.sh
