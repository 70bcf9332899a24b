# lib/mdns/mdns: the mDNS responder and querier, and lib/discovery/mdns: its
# pd_discovery_ops adapter; their unit test.
lib_libpeerdisc_la_SOURCES += lib/mdns/mdns.c lib/mdns/mdns.h \
	lib/discovery/mdns.c lib/discovery/mdns.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_mdns
TESTS += tests/unit/check_mdns
endif
tests_unit_check_mdns_SOURCES = tests/unit/check_mdns.c tests/unit/helpers.c
tests_unit_check_mdns_CFLAGS = $(unit_cflags)
tests_unit_check_mdns_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)
