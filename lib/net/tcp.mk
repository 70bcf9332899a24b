# lib/net: TCP listeners and dials (libevent).
lib_libpeerdisc_la_SOURCES += lib/net/tcp.c lib/net/tcp.h

check_PROGRAMS += tests/unit/check_tcp
TESTS += tests/unit/check_tcp
tests_unit_check_tcp_SOURCES = tests/unit/check_tcp.c \
	tests/unit/helpers.c tests/unit/helpers-net.c
tests_unit_check_tcp_CFLAGS = $(unit_cflags)
tests_unit_check_tcp_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)

# The upgraded connection and its streams (the glue over mss/noise/yamux).
lib_libpeerdisc_la_SOURCES += lib/net/conn.c lib/net/conn.h \
	lib/net/conn-internal.h lib/net/stream.c

check_PROGRAMS += tests/unit/check_conn
TESTS += tests/unit/check_conn
tests_unit_check_conn_SOURCES = tests/unit/check_conn.c \
	tests/unit/helpers.c tests/unit/helpers-net.c
tests_unit_check_conn_CFLAGS = $(unit_cflags)
tests_unit_check_conn_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS)
