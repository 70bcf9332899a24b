# lib/install.mk: what `make install` adds for embedders and operators
# beyond the programs, the library and the man pages (which their own
# fragments install), and the Debian packaging shipped by `make dist`.
#
# Headers: the public umbrella lib/peerdisc.h goes to $(pkgincludedir)
# (= $(includedir)/peerdisc, where libpeerdisc.pc's Cflags point; the
# client header is installed there by daemon/cli.mk), and the module
# headers it includes go below it with their "core/", "peer/"... paths,
# so that `#include "core/error.h"` inside them resolves against
# -I$(includedir)/peerdisc exactly as it does against -Ilib in the tree.
# One directory variable per subdirectory (automake's nobase_ would keep
# the leading "lib/").

pdincludedir = $(pkgincludedir)
pdinclude_HEADERS = lib/peerdisc.h
pdcoreincludedir = $(pkgincludedir)/core
pdcoreinclude_HEADERS = lib/core/error.h lib/core/log.h
pdaddrincludedir = $(pkgincludedir)/addr
pdaddrinclude_HEADERS = lib/addr/multiaddr.h
pdcryptoincludedir = $(pkgincludedir)/crypto
pdcryptoinclude_HEADERS = lib/crypto/key.h lib/crypto/peerid.h \
	lib/crypto/keyfile.h
pddiscoveryincludedir = $(pkgincludedir)/discovery
pddiscoveryinclude_HEADERS = lib/discovery/discovery.h
pdpeerincludedir = $(pkgincludedir)/peer
pdpeerinclude_HEADERS = lib/peer/events.h lib/peer/store.h \
	lib/peer/manager.h

# The configuration file: installed as $(sysconfdir)/peerdisc/peerdiscd.conf
# only when that file does not exist yet, so an operator's edits survive
# a reinstall or upgrade.  Uninstall leaves it (it may hold those edits);
# the check that `make distcheck` runs after uninstall is told so.
# Prerequisite-only hook rules, so other fragments may hook in as well.
pdconfdir = $(sysconfdir)/peerdisc
install-data-hook: install-peerdisc-conf
install-peerdisc-conf:
	$(MKDIR_P) '$(DESTDIR)$(pdconfdir)'
	@if test -e '$(DESTDIR)$(pdconfdir)/peerdiscd.conf'; then \
	  echo "keeping the existing $(DESTDIR)$(pdconfdir)/peerdiscd.conf"; \
	else \
	  echo " $(INSTALL_DATA) conf/peerdiscd.conf '$(DESTDIR)$(pdconfdir)/peerdiscd.conf'"; \
	  $(INSTALL_DATA) '$(srcdir)/conf/peerdiscd.conf' \
	    '$(DESTDIR)$(pdconfdir)/peerdiscd.conf' || exit 1; \
	fi
distuninstallcheck_listfiles = find . -type f -print | \
	grep -v '/peerdisc/peerdiscd\.conf$$'
.PHONY: install-peerdisc-conf

# Debian packaging (dpkg-buildpackage -us -uc -b; tests/ops/030-deb.sh).
EXTRA_DIST += debian/changelog debian/control debian/copyright \
	debian/rules debian/source/format debian/peerdisc.postinst \
	debian/peerdisc.install debian/libpeerdisc0.install \
	debian/libpeerdisc-dev.install debian/peerdisc.dirs \
	debian/not-installed
