# systemd/: the units, the sysusers.d and tmpfiles.d files, the daemon's
# systemd glue (daemon/sdnotify.c: sd_notify, watchdog, socket
# activation, journal) and its tests (tests/systemd/).  Install dirs come
# from configure (--with-systemdsystemunitdir, --with-sysusersdir,
# --with-tmpfilesdir); everything installs under $(DESTDIR).

daemon_peerdiscd_SOURCES += daemon/sdnotify.c daemon/sdnotify.h

# The service names the installed daemon: generated from its .in.
systemd/peerdiscd.service: $(srcdir)/systemd/peerdiscd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(srcdir)/systemd/peerdiscd.service.in >$@.tmp && mv $@.tmp $@
CLEANFILES += systemd/peerdiscd.service systemd/peerdiscd.service.tmp
EXTRA_DIST += systemd/peerdiscd.service.in systemd/peerdiscd.socket \
	systemd/sysusers.d/peerdisc.conf systemd/tmpfiles.d/peerdisc.conf
noinst_DATA = systemd/peerdiscd.service

if INSTALL_SYSTEMDSYSTEMUNITDIR
nodist_systemdsystemunit_DATA = systemd/peerdiscd.service
dist_systemdsystemunit_DATA = systemd/peerdiscd.socket
endif
if INSTALL_SYSUSERSDIR
sysusers_DATA = systemd/sysusers.d/peerdisc.conf
endif
if INSTALL_TMPFILESDIR
tmpfiles_DATA = systemd/tmpfiles.d/peerdisc.conf
endif

# A receiver for sd_notify datagrams and native journal records.
check_PROGRAMS += tests/tools/notify-recv
tests_tools_notify_recv_SOURCES = tests/tools/notify-recv.c

# Unit test: the journal record, $JOURNAL_STREAM, pd_log_fields, and the
# notify messages (against a socket the test owns).
if HAVE_CHECK
check_PROGRAMS += tests/systemd/check_sdnotify
TESTS += tests/systemd/check_sdnotify
endif
tests_systemd_check_sdnotify_SOURCES = tests/systemd/check_sdnotify.c \
	daemon/sdnotify.c daemon/sdnotify.h
tests_systemd_check_sdnotify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_systemd_check_sdnotify_CFLAGS = $(unit_cflags)
tests_systemd_check_sdnotify_LDADD = $(unit_ldadd) $(SYSTEMD_LIBS)

# The daemon under a fake service manager: notify, socket activation,
# journal; then the installed units through systemd-analyze.
systemd_tests = \
	tests/systemd/010-notify.sh \
	tests/systemd/020-socket-activation.sh \
	tests/systemd/030-journal.sh \
	tests/systemd/040-units.sh
TESTS += $(systemd_tests)
EXTRA_DIST += $(systemd_tests) tests/systemd/lib.sh
if HAVE_SYSTEMD
AM_TESTS_ENVIRONMENT += PD_HAVE_SYSTEMD=1; export PD_HAVE_SYSTEMD;
else
AM_TESTS_ENVIRONMENT += PD_HAVE_SYSTEMD=0; export PD_HAVE_SYSTEMD;
endif
