#!/bin/sh
# 030-deb: the Debian packaging.  A copy of the source tree is built with
# `dpkg-buildpackage -us -uc -b` (nocheck: make check runs elsewhere);
# the three packages are unpacked with `dpkg -x` into a scratch root
# and checked: programs, library and symlinks, headers, pkg-config file,
# man pages, the conf file (a conffile), the systemd files the tree
# installs; the unpacked peerdiscd and peerdiscctl run from there; the
# daemon package depends on the library package; its postinst creates
# the user and enables and starts nothing.  The postinst's user creation
# is run with stub commands: systemd-sysusers when present, else
# adduser, else useradd, and nothing when the user exists.
#
# Skips (with the reason) without dpkg-buildpackage and debhelper
# (tools/install-deps installs them) or with unmet build dependencies.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
command -v dpkg-buildpackage >/dev/null 2>&1 ||
    skip "dpkg-buildpackage not installed (apt-get install dpkg-dev)"
command -v dh >/dev/null 2>&1 ||
    skip "debhelper not installed (apt-get install debhelper)"
[ -f "$top_srcdir/debian/control" ] || fail "no debian/ in $top_srcdir"
(cd "$top_srcdir" && dpkg-checkbuilddeps -P nocheck) >"$TMP/deps" 2>&1 ||
    skip "unmet build dependencies: $(cat "$TMP/deps")"

# ----- the postinst's user creation, with stubs -----
POSTINST="$top_srcdir/debian/peerdisc.postinst"
sh -n "$POSTINST" || fail "postinst has a syntax error"
SH=$(command -v sh)
# stub_bin DIR CMD...: DIR holds stubs that log their argv to $TMP/calls;
# getent says "no such user" unless $USER_EXISTS.
stub_bin() {
	_d=$1
	shift
	mkdir -p "$_d"
	for _c in "$@"; do
		printf '#!%s\necho "%s $*" >>"%s/calls"\n' "$SH" "$_c" "$TMP" >"$_d/$_c"
		chmod +x "$_d/$_c"
	done
	printf '#!%s\n[ -n "$USER_EXISTS" ] && echo "peerdisc:x:999:999::/var/lib/peerdisc:/usr/sbin/nologin" && exit 0\nexit 2\n' \
	    "$SH" >"$_d/getent"
	chmod +x "$_d/getent"
}
# run_postinst DIR: run the postinst with PATH=DIR only; print the calls.
run_postinst() {
	rm -f "$TMP/calls"
	PATH=$1 "$SH" "$POSTINST" configure >"$TMP/postinst.out" 2>&1 ||
	    fail "postinst configure failed: $(cat "$TMP/postinst.out")"
	cat "$TMP/calls" 2>/dev/null
}
stub_bin "$TMP/s1" systemd-sysusers adduser useradd
stub_bin "$TMP/s2" adduser useradd
stub_bin "$TMP/s3" useradd
calls=$(run_postinst "$TMP/s1")
case $calls in
"systemd-sysusers peerdisc.conf"|"systemd-sysusers --inline u peerdisc - \"peerdisc daemon\" /var/lib/peerdisc") ;;
*) fail "with systemd-sysusers, postinst ran: $calls" ;;
esac
calls=$(run_postinst "$TMP/s2")
expect_match "$calls" '^adduser --system --group .*peerdisc$' "without sysusers, postinst uses adduser"
calls=$(run_postinst "$TMP/s3")
expect_match "$calls" '^useradd --system --user-group .*peerdisc$' "without adduser, postinst uses useradd"
USER_EXISTS=1
export USER_EXISTS
calls=$(run_postinst "$TMP/s1")
unset USER_EXISTS
[ -z "$calls" ] || fail "postinst with the user present ran: $calls"
ok "postinst user creation: sysusers, adduser, useradd, none when present"

# ----- build -----
mkdir "$TMP/src"
(cd "$top_srcdir" && tar -cf - --exclude=.git --exclude=node_modules \
    --exclude=autom4te.cache --exclude='*.o' --exclude='*.lo' \
    --exclude=.libs --exclude=.deps .) | (cd "$TMP/src" && tar -xf -) ||
    fail "cannot copy the source tree"
chmod -R u+w "$TMP/src"
jobs=$(nproc 2>/dev/null || echo 2)
(cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" \
    DEB_BUILD_PROFILES=nocheck dpkg-buildpackage -us -uc -b) \
    >"$TMP/build.log" 2>&1 ||
    fail "dpkg-buildpackage failed: $(tail -n 60 "$TMP/build.log")"
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
V=$(cd "$TMP/src" && dpkg-parsechangelog -SVersion)
for p in peerdisc libpeerdisc0 libpeerdisc-dev; do
	[ -f "$TMP/${p}_${V}_$ARCH.deb" ] || fail "no ${p}_${V}_$ARCH.deb: $(ls "$TMP")"
done
ok "dpkg-buildpackage built peerdisc, libpeerdisc0, libpeerdisc-dev $V"

# ----- unpack into a scratch root and check -----
R="$TMP/root"
for p in peerdisc libpeerdisc0 libpeerdisc-dev; do
	dpkg -x "$TMP/${p}_${V}_$ARCH.deb" "$R" || fail "dpkg -x $p failed"
	dpkg-deb -c "$TMP/${p}_${V}_$ARCH.deb" >"$TMP/$p.list" || fail "dpkg-deb -c $p"
done
in_pkg() {	# in_pkg PACKAGE PATH
	grep -q " \./$2\$\| \./$2 -> " "$TMP/$1.list" || fail "$2 not in $1: $(awk '{print $6}' "$TMP/$1.list" | tr '\n' ' ')"
}
in_pkg peerdisc usr/sbin/peerdiscd
in_pkg peerdisc usr/bin/peerdiscctl
in_pkg peerdisc etc/peerdisc/peerdiscd.conf
in_pkg peerdisc usr/share/man/man8/peerdiscd.8.gz
in_pkg peerdisc usr/share/man/man5/peerdiscd.conf.5.gz
in_pkg peerdisc usr/share/man/man1/peerdiscctl.1.gz
in_pkg peerdisc usr/share/man/man7/peerdisc-control.7.gz
in_pkg peerdisc var/lib/peerdisc/
in_pkg libpeerdisc0 "usr/lib/$MA/libpeerdisc.so.0"
in_pkg libpeerdisc-dev "usr/lib/$MA/libpeerdisc.so"
in_pkg libpeerdisc-dev "usr/lib/$MA/pkgconfig/libpeerdisc.pc"
in_pkg libpeerdisc-dev usr/include/peerdisc/peerdisc.h
in_pkg libpeerdisc-dev usr/include/peerdisc/peerdisc-client.h
in_pkg libpeerdisc-dev usr/include/peerdisc/peer/manager.h
in_pkg libpeerdisc-dev usr/share/man/man3/libpeerdisc.3.gz
# Whatever systemd files the source tree ships land in peerdisc.
for f in peerdiscd.service peerdiscd.socket; do
	[ -f "$top_srcdir/systemd/$f" ] || [ -f "$top_srcdir/systemd/$f.in" ] || continue
	grep -q "/systemd/system/$f\$" "$TMP/peerdisc.list" || fail "$f not in peerdisc"
done
if grep -q 'libpeerdisc\.la$' "$TMP/libpeerdisc-dev.list" "$TMP/libpeerdisc0.list"; then
	fail "a .la file was packaged"
fi
cmp -s "$R/etc/peerdisc/peerdiscd.conf" "$top_srcdir/conf/peerdiscd.conf" ||
    fail "packaged conf differs from conf/peerdiscd.conf"
ok "package contents"

mkdir "$TMP/ctl"
dpkg-deb -e "$TMP/peerdisc_${V}_$ARCH.deb" "$TMP/ctl" || fail "dpkg-deb -e failed"
expect_grep "$TMP/ctl/conffiles" '^/etc/peerdisc/peerdiscd.conf$' "the conf is a conffile"
dep=$(dpkg-deb -f "$TMP/peerdisc_${V}_$ARCH.deb" Depends)
expect_match "$dep" "libpeerdisc0 (>= $V)\|libpeerdisc0 (= $V)" "peerdisc depends on libpeerdisc0"
[ -x "$TMP/ctl/postinst" ] || fail "no postinst"
expect_grep "$TMP/ctl/postinst" 'systemd-sysusers' "the postinst creates the user"
if grep -n 'deb-systemd-helper enable\|deb-systemd-invoke \(start\|restart\)\|systemctl.* \(start\|enable\)' \
    "$TMP/ctl/postinst" >"$TMP/enables"; then
	fail "the postinst enables or starts something: $(cat "$TMP/enables")"
fi
ok "conffile, Depends: $dep, postinst enables nothing"

# The unpacked programs run from the scratch root.
LD_LIBRARY_PATH="$R/usr/lib/$MA" run_bounded "$R/usr/sbin/peerdiscd" --version \
    >"$TMP/v.out" 2>&1 || fail "unpacked peerdiscd --version: $(cat "$TMP/v.out")"
expect_grep "$TMP/v.out" "^peerdiscd $V\$" "unpacked peerdiscd prints its version"
LD_LIBRARY_PATH="$R/usr/lib/$MA" run_bounded "$R/usr/sbin/peerdiscd" --check-config \
    -c "$R/etc/peerdisc/peerdiscd.conf" >"$TMP/cc.out" 2>&1 ||
    fail "the packaged conf does not check: $(cat "$TMP/cc.out")"
LD_LIBRARY_PATH="$R/usr/lib/$MA" run_bounded "$R/usr/bin/peerdiscctl" --version \
    >"$TMP/v.out" 2>&1 || fail "unpacked peerdiscctl --version: $(cat "$TMP/v.out")"
ok "unpacked peerdiscd and peerdiscctl run; the packaged conf checks"
