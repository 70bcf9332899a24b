#!/bin/sh
# 045-two-daemons: two peerdiscd, A and B, on 127.0.0.1, driven through
# their control sockets.  `peerdiscctl -s B connect <A's /p2p/ addr>`
# succeeds; a watcher on each socket (peerdiscctl watch --json on A, a
# raw events.subscribe over socat on B) sees peer.connected (direction,
# address) and peer.identified (agent peerdisc/VERSION, protocols) with
# the other's ID; both sides list the other as connected with agent,
# protocols and, once pinged, a latency; conn.stats and node.info count
# the connection.  Disconnecting emits peer.disconnected on both sides.
# Then A dials B by peer ID alone (the addresses B announced in
# identify) and disconnects in turn.
#
# The daemons must reach each other, so no network namespace (each
# would get its own); their confs bind 127.0.0.1 only.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
VERSION=$("$PEERDISCD" --version | sed 's/^peerdiscd //')
AGENT="peerdisc/$VERSION"

write_ctl_conf "$TMP/a.conf" "$TMP/a"
write_ctl_conf "$TMP/b.conf" "$TMP/b"
SA="$TMP/a/control.sock"
SB="$TMP/b/control.sock"
start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
save_daemon A
start_daemon "$TMP/b.log" "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: control socket '
B_ID=$(logged_peer_id)
B_LISTEN=$(logged_listen_addr)
B_LISTEN=${B_LISTEN%/p2p/*}
use_daemon A
wait_for_log ': info: control socket '
A_ID=$(logged_peer_id)
A_ADDR=$(logged_listen_addr)
A_LISTEN=${A_ADDR%/p2p/*}
[ -n "$A_ADDR" ] && [ -n "$B_ID" ] || fail "no listen address or peer ID logged"

# ----- watchers -----
"$PEERDISCCTL" -s "$SA" --json watch >"$TMP/a.watch" 2>"$TMP/a.watch.err" &
AW_PID=$!
track_pid "$AW_PID"
mkfifo "$TMP/b.in"
exec 8<>"$TMP/b.in"
socat - "UNIX-CONNECT:$SB" <"$TMP/b.in" >"$TMP/b.sub" 2>&1 &
track_pid $!
printf '%s\n' '{"jsonrpc":"2.0","id":"sub","method":"events.subscribe","params":{"events":["peer.connected","peer.identified","peer.disconnected"]}}' >&8
wait_until "B's subscription" file_has "$TMP/b.sub" '^{"jsonrpc":"2.0","id":"sub","result":{}}$'
sync=$(gen_peer_ids 450 1)
a_watching() {
	rpc "$SA" peers.add '{"peer":"'"$sync"'"}' >/dev/null
	sleep 0.1
	file_has "$TMP/a.watch" "\"peer\":\"$sync\""
}
wait_until "A's watcher" a_watching

# ----- B connects to A -----
ctl_expect 0 "$SB" connect "$A_ADDR"
expect_grep "$TMP/ctl.out" "^connected to $A_ID (outbound)\$" "B: connect output"
wait_until "A's watcher: peer.connected" file_has "$TMP/a.watch" \
    '^{"type":"peer.connected","peer":"'"$B_ID"'","direction":"inbound","addr":"/ip4/127.0.0.1/tcp/[0-9]*"}$'
wait_until "A's watcher: peer.identified" file_has "$TMP/a.watch" \
    '^{"type":"peer.identified","peer":"'"$B_ID"'","agent":"'"$AGENT"'","protocols":\[[^]]*"/ipfs/id/1.0.0"'
wait_until "B's subscriber: peer.connected" file_has "$TMP/b.sub" \
    '^{"jsonrpc":"2.0","method":"event","params":{"type":"peer.connected","peer":"'"$A_ID"'","direction":"outbound","addr":"'"$A_LISTEN"'"}}$'
wait_until "B's subscriber: peer.identified" file_has "$TMP/b.sub" \
    '^{"jsonrpc":"2.0","method":"event","params":{"type":"peer.identified","peer":"'"$A_ID"'","agent":"'"$AGENT"'","protocols":\[[^]]*"/ipfs/ping/1.0.0"'
ok "B connected to A; both watchers saw peer.connected and peer.identified"

# ----- both sides list the other -----
# check_peer SOCK ID DIRECTION: ID is connected in that direction,
# identified, and listed by peers (connected only).
check_peer() {
	out=$(rpc "$1" peers.get '{"peer":"'"$2"'"}')
	expect_match "$out" '"result":{"id":"'"$2"'",.*"connected":true,"direction":"'"$3"'",' "$2: connected $3"
	expect_match "$out" '"agent":"'"$AGENT"'"' "$2: agent"
	expect_match "$out" '"protocols":\[[^]]*"/ipfs/id/1.0.0"' "$2: protocol /ipfs/id/1.0.0"
	expect_match "$out" '"protocols":\[[^]]*"/ipfs/ping/1.0.0"' "$2: protocol /ipfs/ping/1.0.0"
	ctl_expect 0 "$1" peers
	expect_grep "$TMP/ctl.out" "^$2  *$3  .*  $AGENT\$" "peers on $1"
	ctl_expect 0 "$1" --json peers
	expect_grep "$TMP/ctl.out" '"id":"'"$2"'",[^}]*"connected":true' "peers --json on $1"
	out=$(rpc "$1" conn.stats)
	if [ "$3" = inbound ]; then
		expect_match "$out" '"count":1,"inbound":1,"outbound":0,' "conn.stats on $1"
	else
		expect_match "$out" '"count":1,"inbound":0,"outbound":1,' "conn.stats on $1"
	fi
	expect_match "$(rpc "$1" node.info)" '"connections":1,' "node.info connections on $1"
}
check_peer "$SA" "$B_ID" inbound
check_peer "$SB" "$A_ID" outbound
pinged() { rpc "$SB" peers.get '{"peer":"'"$A_ID"'"}' | grep -q '"latency_ms":[0-9]'; }
wait_until "B to measure A's latency" pinged
ctl_expect 0 "$SB" peer "$A_ID"
expect_grep "$TMP/ctl.out" "^agent: *$AGENT\$" "peer on B: agent"
expect_grep "$TMP/ctl.out" "^latency: *[0-9.]*ms\$" "peer on B: latency"
ok "both sides list the other: connected, agent $AGENT, protocols, latency"

# ----- disconnect -----
ctl_expect 0 "$SB" disconnect "$A_ID"
wait_until "A's watcher: peer.disconnected" file_has "$TMP/a.watch" \
    '^{"type":"peer.disconnected","peer":"'"$B_ID"'","reason":"'
wait_until "B's subscriber: peer.disconnected" file_has "$TMP/b.sub" \
    '"params":{"type":"peer.disconnected","peer":"'"$A_ID"'","reason":"'
nobody_connected() {
	rpc "$SA" peers.list | grep -q '"peers":\[\],"total":0' &&
	    rpc "$SB" peers.list | grep -q '"peers":\[\],"total":0'
}
wait_until "both sides to list no connected peer" nobody_connected
expect_match "$(rpc "$SA" peers.get '{"peer":"'"$B_ID"'"}')" '"connected":false,' "B on A after disconnect"
ok "B disconnected; both watchers saw peer.disconnected"

# ----- A dials B by ID (addresses from identify), then disconnects -----
expect_match "$(rpc "$SA" peers.get '{"peer":"'"$B_ID"'"}')" '"addrs":\["'"$B_LISTEN"'"' \
    "A stored B's listen address from identify"
ctl_expect 0 "$SA" connect "$B_ID"
expect_grep "$TMP/ctl.out" "^connected to $B_ID (outbound)\$" "A: connect by ID"
n_conn() { [ "$(grep -c '"type":"peer.connected","peer":"'"$2"'"' "$1")" = 2 ]; }
wait_until "B's subscriber: second peer.connected" n_conn "$TMP/b.sub" "$A_ID"
grep -q '"type":"peer.connected","peer":"'"$A_ID"'","direction":"inbound"' "$TMP/b.sub" ||
    fail "B did not see A's connection as inbound"
ctl_expect 0 "$SA" disconnect "$B_ID"
n_disc() { [ "$(grep -c '"type":"peer.disconnected","peer":"'"$2"'"' "$1")" = 2 ]; }
wait_until "A's watcher: second peer.disconnected" n_disc "$TMP/a.watch" "$B_ID"
wait_until "B's subscriber: second peer.disconnected" n_disc "$TMP/b.sub" "$A_ID"
ok "A connected to B by peer ID and disconnected"

kill -TERM "$AW_PID"
wait "$AW_PID" || fail "A's watcher exited with $?"
exec 8>&-
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "A: exit status $DAEMON_STATUS"
use_daemon B
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "B: exit status $DAEMON_STATUS"
exit 0
