# man/man.mk: the manual pages (installed by make install, shipped by
# make dist) and the test that checks them against the programs.

dist_man_MANS = man/peerdiscd.8 man/peerdiscd.conf.5 man/peerdiscctl.1 \
	man/peerdisc-control.7 man/libpeerdisc.3

man_integration_tests = tests/integration/050-man-pages.sh
TESTS += $(man_integration_tests)
EXTRA_DIST += $(man_integration_tests)
