# tests/scale: the DHT scale harness (issue 6 "Scale", issue 10).
# tests/scale/scale runs N peerdisc nodes on loopback in several processes
# and prints a table (README.md); 100-nodes.sh is its make check form,
# run.sh the documented command for N = 100, 300, 1000.
check_PROGRAMS += tests/scale/scale
tests_scale_scale_SOURCES = tests/scale/scale.c
tests_scale_scale_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS) $(SODIUM_LIBS)
TESTS += tests/scale/100-nodes.sh
EXTRA_DIST += tests/scale/100-nodes.sh tests/scale/run.sh \
	tests/scale/README.md
