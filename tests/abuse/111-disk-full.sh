#!/bin/sh
# 111-disk-full: the disk fills up under a peer-store save.
#
# Root only: the test re-runs itself in a private mount namespace
# (unshare -m) and mounts a 256 KiB tmpfs on the daemon's state
# directory.  The daemon starts on a 300-peer store, then the tmpfs is
# filled to the last byte and a save is triggered (peers.add, 2 s
# debounce).  The save must fail with a clear warning naming ENOSPC and
# "will retry", leave the old file intact (300 peers, parses) and no
# temporary file, and the daemon must keep serving (node.info, and the
# added peer is there in memory).  Once space is freed the retry on the
# next save_interval (10 s, the minimum) must write the new file (301
# peers) with no further change.
. "$top_srcdir/tests/integration/lib.sh"

if [ -z "$PD_IN_MNTNS" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (mount -t tmpfs in unshare -m)"
	unshare -m --propagation private true 2>/dev/null ||
	    skip "unshare -m does not work here"
	PD_IN_MNTNS=1 exec unshare -m --propagation private sh "$0" "$@"
fi

setup_tmp
need_socat
CRASHTOOL="$top_builddir/tests/tools/crashtool"
[ -x "$CRASHTOOL" ] || fail "$CRASHTOOL not built"
PD_TEST_TIMEOUT=20
D="$TMP/d"
STATE="$D/state"
STORE="$STATE/peers.json"
SOCK="$D/control.sock"
write_ctl_conf "$TMP/d.conf" "$D"
mkdir -m 700 "$STATE"
mount -t tmpfs -o size=256k,mode=0700 tmpfs "$STATE" ||
    skip "cannot mount a tmpfs here"
# Unmount before cleanup's rm -rf (the namespace goes with us anyway).
trap 'if [ -n "$DAEMON_PID" ]; then kill -KILL "$DAEMON_PID" 2>/dev/null;
    wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; fi;
    umount "$STATE" 2>/dev/null; cleanup' EXIT
"$CRASHTOOL" gen 0 300 "$STORE" || fail "crashtool gen"
size=$(stat -c %s "$STORE")

start_daemon "$TMP/d.log" "$PEERDISCD" -c "$TMP/d.conf"
wait_for_log ': info: control socket '
expect_grep "$DAEMON_LOG" ": info: peer store: 300 peers loaded" "store not loaded"

# Fill the tmpfs to the last byte.
dd if=/dev/zero of="$STATE/fill" bs=4096 2>/dev/null
dd if=/dev/zero of="$STATE/fill2" bs=1 2>/dev/null
free=$(df -B1 --output=avail "$STATE" | tail -n 1 | tr -d ' ')
[ "$free" = 0 ] || fail "tmpfs not full ($free bytes free)"
echo "tmpfs full; the store file is $size bytes"

NEWID=$(gen_peer_ids 777000 1)
r=$(rpc "$SOCK" peers.add "{\"peer\":\"$NEWID\",\"addrs\":[\"/ip4/10.9.9.9/tcp/4001\"],\"ttl_s\":0}")
expect_match "$r" '"result":' "peers.add"
wait_for_log ': warn: store save failed: '
line=$(grep ': warn: store save failed: ' "$DAEMON_LOG" | head -n 1)
echo "log: $line"
expect_match "$line" "$STORE\\.tmp-$DAEMON_PID: write: No space left on device; will retry\$" \
    "the save failure line does not say what and where"
[ "$("$CRASHTOOL" ids "$STORE" | wc -l)" = 300 ] || fail "old file not intact"
[ "$(stat -c %s "$STORE")" = "$size" ] || fail "old file changed size"
ls "$STORE".tmp-* >/dev/null 2>&1 && fail "a temporary file was left: $(ls "$STATE")"
expect_match "$(rpc "$SOCK" node.info)" '"result":{"peer_id":' "node.info while the disk is full"
expect_match "$(rpc "$SOCK" peers.get "{\"peer\":\"$NEWID\"}")" "\"result\":{\"id\":\"$NEWID\"" \
    "the added peer is not in memory"
ok "disk full: '$line'; old file intact (300 peers), no temporary file, daemon serving"

# Free space: the next save_interval tick saves without another change.
rm -f "$STATE/fill" "$STATE/fill2"
nfail=$(grep -c ': warn: store save failed: ' "$DAEMON_LOG")
saved() {
	[ "$("$CRASHTOOL" ids "$STORE" 2>/dev/null | wc -l)" = 301 ]
}
wait_until "the retried save after freeing space" saved
"$CRASHTOOL" ids "$STORE" | grep -qx "$NEWID" || fail "the new peer is not in the file"
[ "$(file_mode "$STORE")" = 600 ] || fail "mode $(file_mode "$STORE")"
grep -q 'AddressSanitizer\|runtime error' "$DAEMON_LOG" && fail "sanitizer report"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "after freeing space the retry saved 301 peers ($nfail failed save(s) logged before)"
umount "$STATE"
exit 0
