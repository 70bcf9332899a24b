#!/bin/sh
# 040-units: the installed unit files.  `make install DESTDIR=$TMP/root`
# puts peerdiscd.service (ExecStart= naming the installed daemon),
# peerdiscd.socket, sysusers.d and tmpfiles.d files in place;
# `systemd-analyze verify --root` accepts both units without a word (a
# broken copy is caught, so the check can fail); `systemd-analyze
# security --offline=yes` runs and its score is printed; the socket
# unit listens where the daemon looks under systemd; systemd-sysusers
# and systemd-tmpfiles apply the two files to a scratch root.
. "$top_srcdir/tests/systemd/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 ||
    skip "systemd-analyze not installed (package systemd)"
setup_tmp
root="$TMP/root"
make -s -C "$top_builddir" install DESTDIR="$root" >"$TMP/install.log" 2>&1 ||
    fail "make install DESTDIR=$root failed: $(tail -n 20 "$TMP/install.log")"

# find_one NAME PATH-PATTERN: the one installed file NAME under $root
find_one() {
	_f=$(find "$root" -name "$1" -path "$2" -type f)
	[ -n "$_f" ] && [ "$(printf '%s\n' "$_f" | wc -l)" = 1 ] ||
	    fail "want one installed $1 under $2, found: '$_f'"
	printf '%s\n' "$_f"
}
service=$(find_one peerdiscd.service '*/systemd/system/*')
socket=$(find_one peerdiscd.socket '*/systemd/system/*')
sysusers=$(find_one peerdisc.conf '*/sysusers.d/*')
tmpfiles=$(find_one peerdisc.conf '*/tmpfiles.d/*')
[ "$(dirname "$service")" = "$(dirname "$socket")" ] ||
    fail "service and socket in different directories"
exec_start=$(sed -n 's/^ExecStart=//p' "$service")
case $exec_start in
/*/sbin/peerdiscd) ;;
*) fail "ExecStart=$exec_start is not an installed sbin/peerdiscd" ;;
esac
[ -x "$root$exec_start" ] || fail "ExecStart=$exec_start not installed"
for key in Type=notify WatchdogSec=30s 'ExecReload=/bin/kill -HUP $MAINPID' \
    StateDirectory=peerdisc RuntimeDirectory=peerdisc User=peerdisc \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    NoNewPrivileges=yes CapabilityBoundingSet= \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' \
    SystemCallFilter=@system-service UMask=0077; do
	grep -q -x -F -- "$key" "$service" || fail "$service lacks $key"
done
ok "installed: ${service#"$root"}, ${socket#"$root"}, ${sysusers#"$root"}, ${tmpfiles#"$root"}"

# the socket is where peerdiscd looks under systemd (RuntimeDirectory=)
listen=$(sed -n 's/^ListenStream=//p' "$socket")
: >"$TMP/empty.conf"
want=$(RUNTIME_DIRECTORY=/run/peerdisc STATE_DIRECTORY=/var/lib/peerdisc \
    "$PEERDISCD" -c "$TMP/empty.conf" --print-config |
    sed -n 's/^socket = //p')
[ "$listen" = "$want" ] ||
    fail "ListenStream=$listen, but peerdiscd's socket there is '$want'"
grep -q -x 'SocketMode=0660' "$socket" || fail "socket mode is not 0660"
ok "ListenStream=$listen is the daemon's control.socket under systemd"

# what verify needs from a real system: the targets, /bin/kill, man pages
hostunits=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
[ -d "$hostunits" ] || hostunits=/lib/systemd/system
mkdir -p "$root/usr/lib/systemd/system" "$root/bin" "$root/etc"
cp "$hostunits"/*.target "$hostunits"/*.slice \
    "$root/usr/lib/systemd/system/" 2>/dev/null
[ -f "$root/usr/lib/systemd/system/sysinit.target" ] ||
    skip "no systemd target units on this host ($hostunits)"
cp "$(command -v kill)" "$root/bin/kill" 2>/dev/null ||
    cp /bin/kill "$root/bin/kill" || fail "cannot copy kill"
manpath=$(dirname "$(dirname "$(find "$root" -name peerdiscd.8 | head -n 1)")")
# the installed files, copied where systemd looks whatever the prefix
unitdir=/etc/systemd/system
mkdir -p "$root$unitdir"
cp "$service" "$socket" "$root$unitdir/"
verify() {
	MANPATH=$manpath systemd-analyze verify --root="$root" "$@" \
	    >"$TMP/verify.out" 2>&1
}
verify "$unitdir/peerdiscd.service" "$unitdir/peerdiscd.socket" ||
    fail "systemd-analyze verify failed: $(cat "$TMP/verify.out")"
[ -s "$TMP/verify.out" ] &&
    fail "systemd-analyze verify complained: $(cat "$TMP/verify.out")"
sed 's/^Type=notify$/Type=notifyy/' "$service" \
    >"$root$unitdir/peerdiscd-broken.service"
verify "$unitdir/peerdiscd-broken.service"
grep -q 'notifyy' "$TMP/verify.out" ||
    fail "verify did not catch a bad Type=: $(cat "$TMP/verify.out")"
rm -f "$root$unitdir/peerdiscd-broken.service"
ok "systemd-analyze verify: both units clean (and a broken copy caught)"

systemd-analyze security --offline=yes --root="$root" \
    "$unitdir/peerdiscd.service" >"$TMP/security.out" 2>&1 ||
    fail "systemd-analyze security failed: $(cat "$TMP/security.out")"
score=$(sed -n 's/^.*Overall exposure level for peerdiscd.service: //p' \
    "$TMP/security.out")
[ -n "$score" ] || fail "no exposure level: $(cat "$TMP/security.out")"
echo "systemd-analyze security --offline=yes: $score"
echo "--- items not fully covered:"
grep -v '^✓' "$TMP/security.out" | grep '^✗' | sed 's/^/  | /'
ok "systemd-analyze security ran: exposure $score"

# sysusers.d and tmpfiles.d applied to the scratch root
if command -v systemd-sysusers >/dev/null 2>&1 &&
    command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-sysusers --root="$root" "$sysusers" >"$TMP/sysusers.out" 2>&1 ||
	    fail "systemd-sysusers: $(cat "$TMP/sysusers.out")"
	grep -q '^peerdisc:x:[0-9]*:[0-9]*:[^:]*:/var/lib/peerdisc:/usr/sbin/nologin$' \
	    "$root/etc/passwd" ||
	    fail "no peerdisc system user: $(cat "$root/etc/passwd")"
	grep -q '^peerdisc:x:[0-9]*:$' "$root/etc/group" ||
	    fail "no peerdisc group"
	systemd-tmpfiles --root="$root" --create "$tmpfiles" \
	    >"$TMP/tmpfiles.out" 2>&1 ||
	    fail "systemd-tmpfiles: $(cat "$TMP/tmpfiles.out")"
	uid=$(sed -n 's/^peerdisc:x:\([0-9]*\):.*/\1/p' "$root/etc/passwd")
	[ "$(stat -c '%a %u' "$root/var/lib/peerdisc")" = "700 $uid" ] ||
	    fail "/var/lib/peerdisc: $(stat -c '%a %u' "$root/var/lib/peerdisc")"
	[ "$(stat -c '%a %u' "$root/run/peerdisc")" = "755 $uid" ] ||
	    fail "/run/peerdisc: $(stat -c '%a %u' "$root/run/peerdisc")"
	ok "sysusers.d makes the peerdisc user; tmpfiles.d its directories"
else
	echo "systemd-sysusers/systemd-tmpfiles absent: not applied"
fi
exit 0
