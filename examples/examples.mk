# examples/: two small programs for embedders (libpeerdisc(3)).  They are
# meant to be built against the *installed* library with the plain
# examples/Makefile and pkg-config; tests/ops/010-examples.sh does that
# from a `make install DESTDIR=...` tree and runs them.  Here they are
# also compiled against the source tree with the project's warnings, so
# a header change that breaks them fails the ordinary build of the tests.

EXTRA_DIST += examples/Makefile examples/embed.c examples/client.c

check_PROGRAMS += examples/embed examples/client
examples_embed_SOURCES = examples/embed.c
examples_embed_LDADD = lib/libpeerdisc.la $(LIBEVENT_LIBS)
examples_client_SOURCES = examples/client.c
examples_client_LDADD = lib/libpeerdisc.la $(JANSSON_LIBS)
