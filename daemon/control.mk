# daemon/control.mk: the control socket (control.c) and its JSON-RPC layer
# (rpc.c).  Include after daemon/local.mk (it adds to peerdiscd).

daemon_control_sources = \
	daemon/rpc.c daemon/rpc.h \
	daemon/control.c daemon/control.h
daemon_peerdiscd_SOURCES += $(daemon_control_sources) \
	daemon/rpc-methods.c daemon/rpc-methods.h
daemon_peerdiscd_LDADD += $(JANSSON_LIBS)

# Unit tests: the rpc layer over an in-memory sink; the socket server on a
# private socket in a temporary directory (sources linked in directly).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_rpc tests/unit/check_control
TESTS += tests/unit/check_rpc tests/unit/check_control
endif
tests_unit_check_rpc_SOURCES = tests/unit/check_rpc.c tests/unit/helpers.c \
	daemon/rpc.c \
	daemon/rpc.h
tests_unit_check_rpc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_check_rpc_CFLAGS = $(unit_cflags)
tests_unit_check_rpc_LDADD = $(unit_ldadd) $(JANSSON_LIBS)
tests_unit_check_control_SOURCES = tests/unit/check_control.c tests/unit/helpers.c \
	$(daemon_control_sources)
tests_unit_check_control_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_check_control_CFLAGS = $(unit_cflags)
tests_unit_check_control_LDADD = $(unit_ldadd) $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS)

# Fuzz target: bytes as request lines to rpc_dispatch(); every reply is
# valid JSON-RPC and exactly the expected replies come out.
FUZZ_TARGETS += tests/fuzz/fuzz_rpc
check_PROGRAMS += tests/fuzz/fuzz_rpc
tests_fuzz_fuzz_rpc_SOURCES = tests/fuzz/fuzz_rpc.c tests/fuzz/standalone.c \
	daemon/rpc.c daemon/rpc.h
tests_fuzz_fuzz_rpc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fuzz_fuzz_rpc_CFLAGS = $(fuzz_cflags)
tests_fuzz_fuzz_rpc_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_rpc_LDADD = $(fuzz_ldadd) $(JANSSON_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_rpc.dict tests/fuzz/corpus/fuzz_rpc
