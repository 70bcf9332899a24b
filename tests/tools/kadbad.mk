# tests/tools: kadbad, a hostile DHT peer on our own network stack, and the
# DHT bad-input integration test that runs it against a real peerdiscd.
check_PROGRAMS += tests/tools/kadbad
tests_tools_kadbad_SOURCES = tests/tools/kadbad.c
tests_tools_kadbad_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(SODIUM_LIBS)

TESTS += tests/integration/048-dht-bad-input.sh
EXTRA_DIST += tests/integration/048-dht-bad-input.sh
