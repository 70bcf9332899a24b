#!/bin/sh
# 063-warm-restart: SIGKILL + restart reconnects to the previous peers.
# W (DHT off, bootstrap off, mDNS off, min_peers = 0: nothing but the
# warm restart can make it dial) connects to P1, P2 and P3 and also
# knows a fourth peer P4 that it was never connected to.  Once its peer
# store has been saved while connected (the save runs 2 s after a burst
# of changes: we wait for "connected":true of all three in peers.json),
# W is SIGKILLed - no shutdown save - and restarted on the same state.
# (The store file has one peer object a line.)  It must log "warm restart: reconnecting to 3 peers ..." before any
# connection, dial exactly P1..P3 (outbound), not P4, and be connected to
# all three within a few seconds, with no discovery running (node.info
# shows bootstrap and DHT off).  No network namespace (the daemons
# reach each other); everything binds 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"

for n in P1 P2 P3 P4; do
	write_ctl_conf "$TMP/$n.conf" "$TMP/$n"
	start_daemon "$TMP/$n.log" "$PEERDISCD" -c "$TMP/$n.conf"
	save_daemon "$n"
done
for n in P1 P2 P3 P4; do
	use_daemon "$n"
	wait_for_log ': info: control socket '
	eval "${n}_ADDR=\$(logged_listen_addr)"
	eval "${n}_ID=\$(logged_peer_id)"
done
write_ctl_conf "$TMP/w.conf" "$TMP/w"
SW="$TMP/w/control.sock"
STORE="$TMP/w/state/peers.json"
start_daemon "$TMP/w.log" "$PEERDISCD" -c "$TMP/w.conf"
save_daemon W
wait_for_log ': info: control socket '
for n in P1 P2 P3; do
	eval "a=\$${n}_ADDR"
	ctl_expect 0 "$SW" connect "$a"
done
P4_LISTEN=${P4_ADDR%/p2p/*}
expect_match "$(rpc "$SW" peers.add '{"peer":"'"$P4_ID"'","addrs":["'"$P4_LISTEN"'"]}')" \
    '"result"' "peers.add P4"
ok "W connected to P1 P2 P3 and knows P4"

saved_connected() {
	[ -f "$STORE" ] || return 1
	for n in P1 P2 P3; do
		eval "id=\$${n}_ID"
		grep -q "^{\"id\":\"$id\".*\"connected\":true" "$STORE" ||
		    return 1
	done
	grep -q "^{\"id\":\"$P4_ID\"" "$STORE" || return 1
	! grep -q "^{\"id\":\"$P4_ID\".*\"connected\":true" "$STORE"
}
wait_until "the store saved with P1..P3 connected" saved_connected
ok "the store was saved while connected"

kill -KILL "$W_PID"
wait "$W_PID" 2>/dev/null
: >"$TMP/w2.log"
start_daemon "$TMP/w2.log" "$PEERDISCD" -c "$TMP/w.conf"
save_daemon W
wait_for_log ': info: warm restart: reconnecting to 3 peers'
all_back() {
	for n in P1 P2 P3; do
		eval "id=\$${n}_ID"
		rpc "$SW" peers.get '{"peer":"'"$id"'"}' |
		    grep -q '"connected":true,"direction":"outbound"' || return 1
	done
}
PD_TEST_TIMEOUT=5 wait_until "W to reconnect to P1..P3" all_back
# The warm-restart line comes before the first connection.
first_conn=$(grep -n ': info: connected ' "$TMP/w2.log" | head -n 1 | cut -d: -f1)
warm=$(grep -n ': info: warm restart: ' "$TMP/w2.log" | head -n 1 | cut -d: -f1)
[ -n "$first_conn" ] && [ "$warm" -lt "$first_conn" ] ||
    fail "warm restart line ($warm) not before the first connection ($first_conn)"
grep -q "connected outbound $P4_ID" "$TMP/w2.log" && fail "W dialed P4"
n=$(grep -c ': info: connected outbound ' "$TMP/w2.log")
[ "$n" = 3 ] || fail "$n outbound connections after the restart, want 3"
info=$(rpc "$SW" node.info)
expect_match "$info" '"dht":{[^}]*"available":false' "DHT off"
expect_match "$(rpc "$SW" discovery.bootstrap)" '"result":{"peers":\[\]}' "no bootstrap peers"
ok "after SIGKILL + restart W reconnected to P1 P2 P3 (warm restart), not P4"

for n in W P1 P2 P3 P4; do
	use_daemon "$n"
	grep -q 'AddressSanitizer\|runtime error\|: error: ' "$DAEMON_LOG" &&
	    fail "$n: error in the log"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
exit 0
