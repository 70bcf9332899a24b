# tests/ops: what an operator or embedder touches besides the protocol:
# the installed tree and the examples built against it, the Prometheus
# output of peerdiscctl metrics, and the Debian package.  They use
# tests/integration/lib.sh.

ops_tests = tests/ops/010-examples.sh tests/ops/020-prometheus.sh \
	tests/ops/030-deb.sh
TESTS += $(ops_tests)
EXTRA_DIST += $(ops_tests)

# 010 installs with DESTDIR and builds the examples with the same
# compiler and sanitizer flags as the tree (an ASan libpeerdisc needs an
# ASan program); 030 needs nothing from here but the source directory.
AM_TESTS_ENVIRONMENT += pd_prefix='$(prefix)'; pd_bindir='$(bindir)'; \
	pd_sbindir='$(sbindir)'; pd_libdir='$(libdir)'; \
	pd_includedir='$(includedir)'; pd_mandir='$(mandir)'; \
	pd_sysconfdir='$(sysconfdir)'; pd_pkgconfigdir='$(pkgconfigdir)'; \
	pd_CC='$(CC)'; pd_SAN_CFLAGS='$(SAN_CFLAGS)'; \
	pd_SAN_LDFLAGS='$(SAN_LDFLAGS)'; \
	export pd_prefix pd_bindir pd_sbindir pd_libdir pd_includedir \
	pd_mandir pd_sysconfdir pd_pkgconfigdir pd_CC pd_SAN_CFLAGS \
	pd_SAN_LDFLAGS;
