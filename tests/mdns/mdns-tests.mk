# tests/mdns: mDNS integration tests in network namespaces the tests
# create themselves (root only; each skips with exit 77 and the reason
# otherwise), plus mdnsflood, the hostile mDNS sender / packet counter
# they use.  See tests/mdns/README.md.
#   070 two nodes discover and connect    071 ten nodes, all pairs
#   072 mdns.deny_interfaces / interfaces 073 peerdiscd <-> js @libp2p/mdns
#   074 with avahi-daemon on 5353         075 private networks apart
#   076 malformed / oversized / loop / flood packets
# bench.sh is run by hand (not in TESTS).
check_PROGRAMS += tests/tools/mdnsflood
tests_tools_mdnsflood_SOURCES = tests/tools/mdnsflood.c
tests_tools_mdnsflood_LDADD = $(SODIUM_LIBS)

mdns_tests = \
	tests/mdns/070-two-nodes.sh \
	tests/mdns/071-ten-nodes.sh \
	tests/mdns/072-deny-interface.sh \
	tests/mdns/073-js-mdns.sh \
	tests/mdns/074-avahi.sh \
	tests/mdns/075-private-networks.sh \
	tests/mdns/076-mdns-bad-input.sh
TESTS += $(mdns_tests)
EXTRA_DIST += $(mdns_tests) tests/mdns/lib.sh tests/mdns/bench.sh \
	tests/mdns/README.md
