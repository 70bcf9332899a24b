# lib/kad: Kademlia routing table and iterative query (sans-IO).
lib_libpeerdisc_la_SOURCES += \
	lib/kad/rt.c lib/kad/rt.h \
	lib/kad/query.c lib/kad/query.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_kad_rt tests/unit/check_kad_query
TESTS += tests/unit/check_kad_rt tests/unit/check_kad_query
tests_unit_check_kad_rt_SOURCES = tests/unit/check_kad_rt.c tests/unit/helpers.c
tests_unit_check_kad_rt_CFLAGS = $(unit_cflags)
tests_unit_check_kad_rt_LDADD = $(unit_ldadd)
tests_unit_check_kad_query_SOURCES = tests/unit/check_kad_query.c tests/unit/helpers.c
tests_unit_check_kad_query_CFLAGS = $(unit_cflags)
tests_unit_check_kad_query_LDADD = $(unit_ldadd)
endif

# The DHT over streams (server, admission from identify, lookups).
lib_libpeerdisc_la_SOURCES += lib/kad/dht.c lib/kad/dht.h

check_PROGRAMS += tests/unit/check_kad_dht
TESTS += tests/unit/check_kad_dht
tests_unit_check_kad_dht_SOURCES = tests/unit/check_kad_dht.c \
	tests/unit/helpers.c tests/unit/helpers-net.c
tests_unit_check_kad_dht_CFLAGS = $(unit_cflags)
tests_unit_check_kad_dht_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)
