#!/bin/sh
# 112-unreadable-state: what peerdiscd does when its state cannot be read
# (chmod 000), checked against what peerdiscd(8) promises.
#
# The daemon runs as a non-root user (as root: "nobody" through setpriv,
# since root ignores file modes; else the current user).
#   A. identity key mode 000: startup fails, exit status 1, one error line
#      "cannot use the identity key: PATH: cannot open: Permission denied"
#      (peerdiscd(8): anything wrong with the key stops the daemon with a
#      message naming the file and the fault; EXIT STATUS 1).
#   B. state directory mode 000: the same, exit 1, the error naming the
#      key's path and "Permission denied".
#   C. peer store mode 000: a warning "peer store PATH not loaded: ...
#      Permission denied; moved to PATH.unreadable-T, starting empty", and
#      the daemon serves (peerdiscd(8): "A file that cannot be read at all
#      is also a warning and an empty start.  The daemon never refuses to
#      start because of the peer store"); the unreadable file is kept, with
#      its 50 peers, under its new name (never saved over).
#   D. state directory chmod 000 while running: a save fails with a
#      warning naming the temporary file, "Permission denied" and "will
#      retry"; the daemon keeps serving; after chmod 700 the retry on the
#      next save_interval (10 s) writes the file with the new peer.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
CRASHTOOL="$top_builddir/tests/tools/crashtool"
[ -x "$CRASHTOOL" ] || fail "$CRASHTOOL not built"
PD_TEST_TIMEOUT=20
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 ||
	    skip "root without setpriv: cannot drop to a user that file modes bind"
	RUNAS_UID=$(id -u nobody 2>/dev/null) || skip "no user nobody"
	RUNAS_GID=$(id -g nobody)
	RUNAS="setpriv --reuid=$RUNAS_UID --regid=$RUNAS_GID --clear-groups"
	$RUNAS true || skip "setpriv does not work here"
	chmod 755 "$TMP"
	mkdir "$TMP/n"
	chown "$RUNAS_UID:$RUNAS_GID" "$TMP/n"
else
	RUNAS=
	mkdir "$TMP/n"
fi
N="$TMP/n"

# prep DIR: a conf, a state dir with a key and a 50-peer store, owned by
# the daemon's user.
prep() {
	$RUNAS sh -c 'cat >"$1"' sh "$N/$1.conf" <<CONF
[node]
state_dir = $N/$1/state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $N/$1/control.sock
[mdns]
enabled = no
[dht]
enabled = no
[bootstrap]
enabled = no
[peers]
save_interval = 10s
min_peers = 0
CONF
	$RUNAS mkdir -m 700 -p "$N/$1/state"
	$RUNAS "$CRASHTOOL" gen 0 50 "$N/$1/state/peers.json" || fail "crashtool gen"
	# A first start creates the key.
	start_daemon "$TMP/$1-init.log" $RUNAS "$PEERDISCD" -c "$N/$1.conf"
	wait_for_log ': info: control socket '
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$1: first start exit $DAEMON_STATUS"
	[ "$("$CRASHTOOL" ids "$N/$1/state/peers.json" | wc -l)" = 50 ] ||
	    fail "$1: setup store"
}

# A: the identity key unreadable.
prep a
chmod 000 "$N/a/state/identity.key"
start_daemon "$TMP/a.log" $RUNAS "$PEERDISCD" -c "$N/a.conf"
wait_exit
[ "$DAEMON_STATUS" = 1 ] || fail "A: exit status $DAEMON_STATUS, want 1"
expect_grep "$DAEMON_LOG" ": error: cannot use the identity key: $N/a/state/identity.key: cannot open: Permission denied\$" \
    "A: no clear error line"
ok "A: key mode 000: exit 1, '$(grep ': error: ' "$DAEMON_LOG" | head -n 1)'"

# B: the state directory unreadable.
prep b
chmod 000 "$N/b/state"
start_daemon "$TMP/b.log" $RUNAS "$PEERDISCD" -c "$N/b.conf"
wait_exit
chmod 700 "$N/b/state"
[ "$DAEMON_STATUS" = 1 ] || fail "B: exit status $DAEMON_STATUS, want 1"
expect_grep "$DAEMON_LOG" ": error: .*$N/b/state.*Permission denied" \
    "B: no clear error line"
ok "B: state dir mode 000: exit 1, '$(grep ': error: ' "$DAEMON_LOG" | head -n 1)'"

# C: the peer store unreadable.
prep c
chmod 000 "$N/c/state/peers.json"
start_daemon "$TMP/c.log" $RUNAS "$PEERDISCD" -c "$N/c.conf"
wait_for_log ': info: control socket '
expect_grep "$DAEMON_LOG" ": warn: peer store $N/c/state/peers.json not loaded: $N/c/state/peers.json: Permission denied; moved to $N/c/state/peers.json.unreadable-[0-9]*, starting empty\$" \
    "C: no clear warning"
expect_match "$(rpc "$N/c/control.sock" node.info)" '"result":{"peer_id":' "C: node.info"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "C: exit status $DAEMON_STATUS"
aside=$(ls "$N/c/state/" | grep '^peers\.json\.unreadable-' | head -n 1)
[ -n "$aside" ] || fail "C: the unreadable store was not kept aside"
chmod 600 "$N/c/state/$aside"
left=$("$CRASHTOOL" ids "$N/c/state/$aside" | wc -l)
[ "$left" = 50 ] || fail "C: the kept file holds $left peers, want 50"
ok "C: store mode 000: '$(grep ': warn: peer store' "$DAEMON_LOG" | head -n 1)'; node.info answers; the 50-peer file kept as $aside"

# D: the state directory taken away while running.
prep d
SD="$N/d/control.sock"
start_daemon "$TMP/d.log" $RUNAS "$PEERDISCD" -c "$N/d.conf"
wait_for_log ': info: peer store: 50 peers loaded'
wait_for_log ': info: control socket '
chmod 000 "$N/d/state"
NEWID=$(gen_peer_ids 888000 1)
expect_match "$(rpc "$SD" peers.add "{\"peer\":\"$NEWID\",\"addrs\":[\"/ip4/10.8.8.8/tcp/4001\"],\"ttl_s\":0}")" \
    '"result":' "D: peers.add"
wait_for_log ': warn: store save failed: '
line=$(grep ': warn: store save failed: ' "$DAEMON_LOG" | head -n 1)
expect_match "$line" "$N/d/state/peers.json.tmp-$DAEMON_PID: Permission denied; will retry\$" \
    "D: the failure line does not say what and where"
expect_match "$(rpc "$SD" node.info)" '"result":{"peer_id":' "D: node.info"
[ "$("$CRASHTOOL" ids "$N/d/state/peers.json" | wc -l)" = 50 ] || fail "D: old file not intact"
chmod 700 "$N/d/state"
saved() {
	"$CRASHTOOL" ids "$N/d/state/peers.json" 2>/dev/null | grep -qx "$NEWID"
}
wait_until "the retried save after chmod 700" saved
grep -q 'AddressSanitizer\|runtime error' "$DAEMON_LOG" && fail "D: sanitizer report"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "D: exit status $DAEMON_STATUS"
ok "D: state dir mode 000 at runtime: '$line'; serving; the retry saved after chmod 700"
exit 0
