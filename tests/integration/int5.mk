# tests/integration/int5.mk: integration tests of the daemon's peer store,
# control socket and peerdiscctl against the real peerdiscd
# (tests/integration/lib.sh; socat for raw JSON lines, skip without it).
int5_integration_tests = \
	tests/integration/040-methods.sh \
	tests/integration/041-persistence.sh \
	tests/integration/042-pipelining-and-junk.sh \
	tests/integration/043-permissions.sh \
	tests/integration/044-clients.sh \
	tests/integration/045-two-daemons.sh \
	tests/integration/046-stale-socket.sh \
	tests/integration/047-dht-discovery.sh
TESTS += $(int5_integration_tests)
EXTRA_DIST += $(int5_integration_tests)
