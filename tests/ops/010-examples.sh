#!/bin/sh
# 010-examples: `make install DESTDIR=$TMP/root` (the configured prefix)
# puts the programs, the library, the public headers, libpeerdisc.pc,
# the man pages and the conf file where they belong; every installed
# header compiles on its own; a second install keeps an edited conf;
# examples/Makefile builds examples/embed.c and examples/client.c
# against the installed tree through pkg-config (PKG_CONFIG_PATH +
# PKG_CONFIG_SYSROOT_DIR); embed runs a node and prints its peer ID; the
# installed peerdiscd runs (127.0.0.1 conf, socket in $TMP) and client
# prints the same peer ID through its control socket; `make uninstall`
# removes everything but the conf file.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
: "${pd_prefix:?run through make check (tests/ops/ops.mk)}"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config not installed"
CC=${pd_CC:-cc}
ROOT="$TMP/root"
MAKE_CMD=${MAKE:-make}

# A make of our build tree, not a sub-make of the one running the tests.
tree_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE_CMD" -C "$top_builddir" \
	    "$@" DESTDIR="$ROOT" >>"$TMP/make.log" 2>&1 ||
	    fail "make $* DESTDIR=$ROOT failed: $(tail -n 30 "$TMP/make.log")"
}

tree_make install

# ----- the tree -----
P="$ROOT$pd_prefix"
for f in \
    "$ROOT$pd_sbindir/peerdiscd" \
    "$ROOT$pd_bindir/peerdiscctl" \
    "$ROOT$pd_libdir/libpeerdisc.so" \
    "$ROOT$pd_libdir/libpeerdisc.so.0" \
    "$ROOT$pd_pkgconfigdir/libpeerdisc.pc" \
    "$ROOT$pd_includedir/peerdisc/peerdisc.h" \
    "$ROOT$pd_includedir/peerdisc/peerdisc-client.h" \
    "$ROOT$pd_includedir/peerdisc/core/error.h" \
    "$ROOT$pd_includedir/peerdisc/core/log.h" \
    "$ROOT$pd_includedir/peerdisc/addr/multiaddr.h" \
    "$ROOT$pd_includedir/peerdisc/crypto/key.h" \
    "$ROOT$pd_includedir/peerdisc/crypto/peerid.h" \
    "$ROOT$pd_includedir/peerdisc/crypto/keyfile.h" \
    "$ROOT$pd_includedir/peerdisc/discovery/discovery.h" \
    "$ROOT$pd_includedir/peerdisc/peer/events.h" \
    "$ROOT$pd_includedir/peerdisc/peer/store.h" \
    "$ROOT$pd_includedir/peerdisc/peer/manager.h" \
    "$ROOT$pd_mandir/man8/peerdiscd.8" \
    "$ROOT$pd_mandir/man5/peerdiscd.conf.5" \
    "$ROOT$pd_mandir/man1/peerdiscctl.1" \
    "$ROOT$pd_mandir/man7/peerdisc-control.7" \
    "$ROOT$pd_mandir/man3/libpeerdisc.3" \
    "$ROOT$pd_sysconfdir/peerdisc/peerdiscd.conf"; do
	[ -e "$f" ] || fail "not installed: ${f#"$ROOT"} (tree: $(cd "$ROOT" &&
	    find . -type f | sort | tr '\n' ' '))"
done
[ -x "$ROOT$pd_sbindir/peerdiscd" ] && [ -x "$ROOT$pd_bindir/peerdiscctl" ] ||
    fail "installed programs are not executable"
CONF="$ROOT$pd_sysconfdir/peerdisc/peerdiscd.conf"
cmp -s "$CONF" "$top_srcdir/conf/peerdiscd.conf" ||
    fail "installed conf differs from conf/peerdiscd.conf"
[ "$(file_mode "$CONF")" = 644 ] || fail "conf mode $(file_mode "$CONF"), want 644"
# Every header in the installed include directory is reachable and
# nothing of the library's internals (net/, kad/...) leaked in.
nh=$(cd "$ROOT$pd_includedir/peerdisc" && find . -name '*.h' | wc -l)
[ "$nh" -eq 12 ] || fail "$nh installed headers, want 12: $(cd \
    "$ROOT$pd_includedir/peerdisc" && find . -name '*.h' | sort | tr '\n' ' ')"
ok "installed tree ($(cd "$ROOT" && find . -type f | wc -l) files)"

# ----- an edited conf survives a reinstall -----
echo "# edited by the operator" >>"$CONF"
tree_make install
grep -q '^# edited by the operator$' "$CONF" || fail "reinstall replaced the conf"
grep -q "keeping the existing .*peerdiscd.conf" "$TMP/make.log" ||
    fail "reinstall did not say it kept the conf"
ok "reinstall keeps an existing conf"

# ----- pkg-config against the installed tree -----
PKG_CONFIG_PATH="$ROOT$pd_pkgconfigdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
PKG_CONFIG_SYSROOT_DIR="$ROOT"
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags libpeerdisc) || fail "pkg-config --cflags libpeerdisc failed"
libs=$(pkg-config --libs libpeerdisc) || fail "pkg-config --libs libpeerdisc failed"
expect_match "$cflags" "-I$ROOT$pd_includedir/peerdisc" "Cflags point into the installed tree"
expect_match "$libs" "-L$ROOT$pd_libdir" "Libs point into the installed tree"
expect_match "$libs" "-lpeerdisc" "Libs name the library"
[ "$(pkg-config --modversion libpeerdisc)" = "$PACKAGE_VERSION" ] ||
    fail "modversion $(pkg-config --modversion libpeerdisc), want $PACKAGE_VERSION"

# Each installed header compiles alone (it includes what it uses).
for h in $(cd "$ROOT$pd_includedir/peerdisc" && find . -name '*.h' | sed 's|^\./||'); do
	printf '#include <%s>\n' "$h" >"$TMP/hdr.c"
	# shellcheck disable=SC2086
	$CC $cflags -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
	    "$TMP/hdr.c" 2>"$TMP/hdr.err" ||
	    fail "installed header $h does not compile alone: $(cat "$TMP/hdr.err")"
done
ok "$nh installed headers compile alone"

# ----- the examples, with their own Makefile -----
mkdir "$TMP/ex"
cp "$top_srcdir/examples/Makefile" "$top_srcdir/examples/embed.c" \
    "$top_srcdir/examples/client.c" "$TMP/ex/"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE_CMD" -C "$TMP/ex" CC="$CC" \
    CFLAGS="-O1 -g -Wall -Wextra -Werror $pd_SAN_CFLAGS" \
    LDFLAGS="$pd_SAN_LDFLAGS" >"$TMP/ex.log" 2>&1 ||
    fail "examples did not build: $(cat "$TMP/ex.log")"
[ -x "$TMP/ex/embed" ] && [ -x "$TMP/ex/client" ] || fail "examples not built"
expect_grep "$TMP/ex.log" "-I$ROOT$pd_includedir/peerdisc" "examples built with pkg-config's Cflags"

LD_LIBRARY_PATH="$ROOT$pd_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
if command -v ldd >/dev/null 2>&1; then
	ldd "$TMP/ex/embed" >"$TMP/ldd" 2>&1
	expect_grep "$TMP/ldd" "libpeerdisc.so.0 => $ROOT$pd_libdir/libpeerdisc.so.0" \
	    "embed uses the installed library"
fi

run_bounded "$TMP/ex/embed" 300 >"$TMP/embed.out" 2>"$TMP/embed.err" ||
    fail "embed failed: $(cat "$TMP/embed.out" "$TMP/embed.err")"
grep -q '^peer ID 12D3KooW[1-9A-HJ-NP-Za-km-z]\{44,48\}$' "$TMP/embed.out" ||
    fail "embed printed no peer ID: $(cat "$TMP/embed.out")"
expect_grep "$TMP/embed.out" '^stopped after 300 ms, 0 events$' "embed stops after 300 ms"
ok "embed: $(head -n 1 "$TMP/embed.out")"

# ----- the installed daemon, and client against its control socket -----
write_ctl_conf "$TMP/d.conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
start_daemon "$TMP/d.log" "$ROOT$pd_sbindir/peerdiscd" -c "$TMP/d.conf"
wait_for_log ': info: control socket '
ID=$(logged_peer_id)
[ -n "$ID" ] || fail "the installed peerdiscd logged no peer ID"
run_bounded "$TMP/ex/client" "$SOCK" >"$TMP/client.out" 2>"$TMP/client.err" ||
    fail "client failed: $(cat "$TMP/client.out" "$TMP/client.err")"
[ "$(cat "$TMP/client.out")" = "peer ID $ID" ] ||
    fail "client printed '$(cat "$TMP/client.out")', want 'peer ID $ID'"
ok "client: peer ID $ID from the installed peerdiscd"
run_bounded "$ROOT$pd_bindir/peerdiscctl" -s "$SOCK" status >"$TMP/status.out" 2>&1 ||
    fail "installed peerdiscctl status failed: $(cat "$TMP/status.out")"
expect_grep "$TMP/status.out" "$ID" "installed peerdiscctl shows the peer ID"
run_bounded "$TMP/ex/client" "$TMP/nothing.sock" >/dev/null 2>"$TMP/client.err"
st=$?
[ "$st" = 3 ] || fail "client without a daemon: exit $st, want 3"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || fail "installed peerdiscd exited $DAEMON_STATUS"

# ----- uninstall removes everything but the conf -----
tree_make uninstall
left=$(cd "$ROOT" && find . -type f -o -type l | sort)
[ "$left" = ".$pd_sysconfdir/peerdisc/peerdiscd.conf" ] ||
    fail "after uninstall, left: $left"
ok "uninstall leaves only the conf"
