# lib/peer: the connection manager's policy core (sans-IO).
lib_libpeerdisc_la_SOURCES += lib/peer/connmgr.c lib/peer/connmgr.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_connmgr
TESTS += tests/unit/check_connmgr
endif
tests_unit_check_connmgr_SOURCES = tests/unit/check_connmgr.c tests/unit/helpers.c
tests_unit_check_connmgr_CFLAGS = $(unit_cflags)
tests_unit_check_connmgr_LDADD = $(unit_ldadd)
