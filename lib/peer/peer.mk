# lib/peer: events, manager (the store is in store.mk).
lib_libpeerdisc_la_SOURCES += lib/peer/events.c lib/peer/events.h

check_PROGRAMS += tests/unit/check_events
TESTS += tests/unit/check_events
tests_unit_check_events_SOURCES = tests/unit/check_events.c tests/unit/helpers.c
tests_unit_check_events_CFLAGS = $(unit_cflags)
tests_unit_check_events_LDADD = $(unit_ldadd)

lib_libpeerdisc_la_SOURCES += lib/peer/manager.c lib/peer/manager.h \
	lib/discovery/discovery.h

check_PROGRAMS += tests/unit/check_manager
TESTS += tests/unit/check_manager
tests_unit_check_manager_SOURCES = tests/unit/check_manager.c \
	tests/unit/helpers.c tests/unit/helpers-net.c
tests_unit_check_manager_CFLAGS = $(unit_cflags)
tests_unit_check_manager_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)
