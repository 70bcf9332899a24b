#!/bin/sh
# 044-clients: many clients at once, and a subscriber that never reads.
#  - 200 clients connect, all are connected at the same time (metrics
#    control.clients; they wait on a flock(1) gate), then each sends
#    node.info: all 200 are answered.
#  - A subscriber (events.subscribe) that never reads its socket while
#    1,400 peers.add calls each emit a ~4.4 KiB peer.discovered (16 long
#    /dns4 addresses): once more than control.c's per-client output cap
#    (CTL_DEFAULT_OUTPUT_MAX, 4 MiB) waits, the daemon logs it (naming
#    the client's pid) and disconnects it.  A subscriber that reads
#    (peerdiscctl watch --json) gets every event, the adding client
#    every reply, and a fresh client is served afterwards.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
command -v flock >/dev/null 2>&1 || skip "flock (util-linux) not installed"
maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
NCLIENTS=200
NADDS=1400

# shellcheck disable=SC2086
start_daemon "$TMP/log" $NETNS_CMD "$PEERDISCD" -c "$TMP/conf"
wait_for_log ': info: control socket '
ID=$(logged_peer_id)
clients() { rpc "$SOCK" metrics | json_num clients; }

# ----- 200 concurrent clients -----
exec 6>"$TMP/gate"
flock -x 6 || fail "cannot lock the gate"
i=1
while [ "$i" -le "$NCLIENTS" ]; do
	( exec 6>&-
	  { flock -s "$TMP/gate" true
	    printf '{"jsonrpc":"2.0","id":%d,"method":"node.info"}\n' "$i"
	  } | timeout -k 2 30 socat -t "$PD_TEST_TIMEOUT" - "UNIX-CONNECT:$SOCK" \
	    >"$TMP/c.$i" 2>&1 ) &
	track_pid $!
	i=$((i + 1))
done
CPIDS=$PD_PIDS
all_connected() { [ "$(clients)" -gt "$NCLIENTS" ]; }	# + the metrics client
wait_until "$NCLIENTS clients connected at once (now $(clients))" all_connected
flock -u 6
exec 6>&-
for p in $CPIDS; do
	wait_until "client $p to finish" eval "! pid_alive $p"
done
n=0
i=1
while [ "$i" -le "$NCLIENTS" ]; do
	grep -q "^{\"jsonrpc\":\"2.0\",\"id\":$i,\"result\":{\"peer_id\":\"$ID\"," "$TMP/c.$i" &&
	    n=$((n + 1))
	i=$((i + 1))
done
[ "$n" = "$NCLIENTS" ] || fail "$n of $NCLIENTS concurrent clients answered; e.g. $(for f in "$TMP"/c.*; do grep -q result "$f" || { echo "$f:"; cat "$f"; break; }; done)"
no_clients() { [ "$(clients)" = 1 ]; }
wait_until "the clients to be gone" no_clients
ok "$NCLIENTS clients connected at once, all answered"

# ----- a subscriber that never reads -----
# socat's output goes into a fifo nobody reads (fd 9 keeps it open), so
# socat stops reading the socket once the fifo is full.
mkfifo "$TMP/stuck.in" "$TMP/stuck.out"
exec 8<>"$TMP/stuck.in" 9<>"$TMP/stuck.out"
socat - "UNIX-CONNECT:$SOCK" <"$TMP/stuck.in" >"$TMP/stuck.out" 2>"$TMP/stuck.err" &
STUCK_PID=$!
track_pid "$STUCK_PID"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}' >&8
# its first line is the answer (read it; nothing else is ever read)
first=$(run_bounded head -n 1 <&9)
[ "$first" = '{"jsonrpc":"2.0","id":1,"result":{}}' ] ||
    fail "the stuck subscriber's subscription: $first"
# a subscriber that reads; subscribed once it shows a sync peer
"$PEERDISCCTL" -s "$SOCK" --json watch peer.discovered >"$TMP/watch.out" 2>"$TMP/watch.err" &
WATCH_PID=$!
track_pid "$WATCH_PID"
# shellcheck disable=SC2046 # IDs are single words
set -- $(gen_peer_ids 440 2)
peer=$1 sync=$2
watching() {
	rpc "$SOCK" peers.add '{"peer":"'"$sync"'"}' >/dev/null
	sleep 0.1
	file_has "$TMP/watch.out" "\"peer\":\"$sync\""
}
wait_until "the reading subscriber" watching

label=$(printf 'a%.0s' $(seq 1 60))
host="$label.$label.$label.$label.example"
awk -v n="$NADDS" -v peer="$peer" -v host="$host" 'BEGIN {
	for (i = 1; i <= n; i++) {
		a = ""
		for (j = 1; j <= 16; j++)
			a = a (j > 1 ? "," : "") "\"/dns4/" host "/tcp/" (4000 + j) "\""
		printf "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"peers.add\",\"params\":{\"peer\":\"%s\",\"addrs\":[%s]}}\n", i, peer, a
	}
}' >"$TMP/adds"
rpc_lines "$SOCK" <"$TMP/adds" >"$TMP/adds.out" || fail "the adding client failed"
got=$(grep -c '^{"jsonrpc":"2.0","id":[0-9]*,"result":{"id":"'"$peer"'"' "$TMP/adds.out")
[ "$got" = "$NADDS" ] || fail "$got of $NADDS peers.add answered"
wait_for_log ": info: control client [0-9]* (pid $STUCK_PID uid $(id -u)) does not read its output ([0-9]* bytes waiting, cap 4194304); disconnecting\$"
out=$(rpc "$SOCK" metrics)
expect_match "$out" '"dropped":1,' "metrics control.dropped"
all_events() { [ "$(grep -c '"peer":"'"$peer"'"' "$TMP/watch.out")" -ge "$NADDS" ]; }
wait_until "the reading subscriber to get all $NADDS events ($(grep -c peer.discovered "$TMP/watch.out"))" all_events
[ "$(grep -c '"type":"peer.discovered","peer":"'"$peer"'","addrs":\["/dns4/' "$TMP/watch.out")" = "$NADDS" ] ||
    fail "the reading subscriber's events are not all whole"
grep -q 'dropped' "$TMP/watch.err" && fail "the reading subscriber lost events: $(cat "$TMP/watch.err")"
pid_alive "$WATCH_PID" || fail "the reading subscriber was cut off"
rpc "$SOCK" node.info | grep -q '^{"jsonrpc":"2.0","id":1,"result":{"peer_id":"'"$ID"'"' ||
    fail "no node.info after the drop"
ok "the non-reading subscriber was dropped at the 4 MiB cap; the others were served"

kill -TERM "$WATCH_PID"
wait "$WATCH_PID" || fail "watch exited with $? on SIGTERM"
kill -KILL "$STUCK_PID"
wait "$STUCK_PID" 2>/dev/null
exec 8>&- 9>&-
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
exit 0
