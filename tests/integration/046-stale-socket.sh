#!/bin/sh
# 046-stale-socket: what peerdiscd does with whatever is at
# control.socket when it starts (daemon/control.c ctl_check_existing).
#  - A clean stop (SIGTERM) removes the socket file.
#  - After kill -9 the socket file stays; the next daemon finds nobody
#    answering on it, replaces it (logged) and serves on it.
#  - A second daemon on the same socket path (its own state directory)
#    refuses to start, naming the path, with a non-zero exit; the first
#    keeps its socket file and keeps answering.
#  - A file that is not a socket is never removed: the daemon refuses to
#    start, naming it.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
write_ctl_conf "$TMP/conf2" "$TMP/e"
sed -i "s|^socket = .*|socket = $SOCK|" "$TMP/conf2"

start() {
	# shellcheck disable=SC2086
	start_daemon "$TMP/log.$1" $NETNS_CMD "$PEERDISCD" -c "$2"
}
answers() {
	rpc "$SOCK" node.info | grep -q '^{"jsonrpc":"2.0","id":1,"result":{"peer_id":"'"$1"'",'
}

# a clean stop removes the socket
start 1 "$TMP/conf"
wait_for_log ': info: control socket '
ID=$(logged_peer_id)
answers "$ID" || fail "no answer on $SOCK"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
[ -e "$SOCK" ] && fail "$SOCK left after a clean stop"
ok "SIGTERM removes the socket file"

# kill -9 leaves a stale socket, replaced at the next start
start 2 "$TMP/conf"
wait_for_log ': info: control socket '
ino1=$(stat -c %i "$SOCK")
stop_daemon KILL
[ -S "$SOCK" ] || fail "no stale socket file after kill -9"
socat -u /dev/null "UNIX-CONNECT:$SOCK" 2>/dev/null && fail "someone answers on the stale socket"
start 3 "$TMP/conf"
wait_for_log ': info: control socket '
expect_grep "$TMP/log.3" ": info: control: removed the stale socket $SOCK\$" "stale socket not logged"
answers "$ID" || fail "no answer on the replaced socket"
ino2=$(stat -c %i "$SOCK")
[ "$ino1" != "$ino2" ] || echo "note: the new socket reuses inode $ino1"
save_daemon FIRST
ok "stale socket from a kill -9 replaced"

# a second daemon on the same socket refuses to start
start 4 "$TMP/conf2"
wait_exit
[ "$DAEMON_STATUS" != 0 ] || fail "a second daemon on $SOCK exited 0"
[ "$DAEMON_STATUS" -lt 128 ] || fail "the second daemon died of signal $((DAEMON_STATUS - 128))"
expect_grep "$TMP/log.4" ": error: control socket: another peerdiscd is running on $SOCK\$" \
    "the second daemon's message"
use_daemon FIRST
pid_alive "$DAEMON_PID" || fail "the first daemon died"
[ "$(stat -c %i "$SOCK")" = "$ino2" ] || fail "the first daemon's socket file was replaced"
answers "$ID" || fail "the first daemon stopped answering"
ok "a second daemon refused (exit $DAEMON_STATUS), the first keeps serving"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"

# not a socket: never removed
echo "not a socket" >"$SOCK"
start 5 "$TMP/conf"
wait_exit
[ "$DAEMON_STATUS" != 0 ] || fail "started over a regular file at $SOCK"
expect_grep "$TMP/log.5" ": error: control socket: $SOCK exists and is not a socket" \
    "message for a regular file"
[ "$(cat "$SOCK")" = "not a socket" ] || fail "the regular file was changed"
ok "a regular file at the socket path is left alone (exit $DAEMON_STATUS)"
exit 0
