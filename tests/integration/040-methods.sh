#!/bin/sh
# 040-methods: every control method of a running peerdiscd, through
# peerdiscctl (status, peers, peers --all, peer ID, connect, disconnect,
# reload, call METHOD JSON, watch) and as raw JSON lines (socat), with
# the result fields of design.md "Control protocol": node.info,
# peers.add then peers.get (addresses, source manual), peers.protect /
# unprotect in "protected", peers.list, conn.stats, events.subscribe,
# config.reload, metrics.  Every exit status of peerdiscctl: 0 ok,
# 1 usage, 2 no daemon, 3 PEER_LIMIT_REACHED (max_peers = 1, connected
# to a second daemon B), 4 PEER_NOT_FOUND, 5 other errors (a rejected
# config.reload, a method that does not exist yet).
#
# Two daemons talk over 127.0.0.1, so no network namespace here (each
# would get its own); their confs bind 127.0.0.1 only.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
VERSION=$("$PEERDISCD" --version | sed 's/^peerdiscd //')

write_ctl_conf "$TMP/a.conf" "$TMP/a"
write_ctl_conf "$TMP/b.conf" "$TMP/b"
SA="$TMP/a/control.sock"
start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
save_daemon A
start_daemon "$TMP/b.log" "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: control socket '
B_ID=$(logged_peer_id)
B_ADDR=$(logged_listen_addr)
use_daemon A
wait_for_log ': info: control socket '
A_ID=$(logged_peer_id)
A_ADDR=$(logged_listen_addr)
[ -n "$A_ID" ] && [ -n "$B_ADDR" ] || fail "no peer ID or listen address logged"
A_LISTEN=${A_ADDR%/p2p/*}

# peers that exist nowhere; P3 is never added
# shellcheck disable=SC2046 # IDs are single words
set -- $(gen_peer_ids 40 4)
P1=$1 P2=$2 P3=$3 P4=$4

# ----- node.info, conn.stats: peerdiscctl status and raw -----
ctl_expect 0 "$SA" status
out=$(cat "$TMP/ctl.out")
expect_match "$out" "^peer ID: *$A_ID\$" "status: peer ID"
expect_match "$out" "^agent: *peerdisc/$VERSION\$" "status: agent"
expect_match "$out" "^version: *$VERSION\$" "status: version"
expect_match "$out" "^listen: *$A_LISTEN\$" "status: listen address"
expect_match "$out" "^connections: *0 (0 inbound, 0 outbound), 0 dialing; min 0, max 50\$" \
    "status: connections"
expect_match "$out" "^peers known: *0\$" "status: peers known"

ctl_expect 0 "$SA" --json status
out=$(cat "$TMP/ctl.out")
for f in '"node.info":{"peer_id":"'"$A_ID"'"' '"agent":"peerdisc/'"$VERSION"'"' \
    '"version":"'"$VERSION"'"' '"listen_addrs":\["'"$A_LISTEN"'"\]' \
    '"announce_addrs":\["'"$A_LISTEN"'"\]' '"uptime_s":[0-9]' '"connections":0' \
    '"peers_known":0' '"dht":{"mode":' '"protocol":' '"routing_table_size":0' \
    '"mdns":{"enabled":false' '"bootstrap":{"configured":0,"connected":0' \
    '"conn.stats":{"count":0,"inbound":0,"outbound":0,"max_peers":50,"min_peers":0,"dialing":0,"queued":0,"budget":{"in_flight":0,"max_in_flight":8,"tokens":60,"per_minute":60,"next_token_ms":0}}'; do
	expect_match "$out" "$f" "status --json: $f"
done

out=$(rpc "$SA" node.info)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"peer_id":"'"$A_ID"'","agent":"peerdisc/'"$VERSION"'","version":"'"$VERSION"'","listen_addrs":\["'"$A_LISTEN"'"\],"announce_addrs":\["'"$A_LISTEN"'"\],"uptime_s":[0-9]*,"connections":0,"peers_known":0,"dht":{"mode":[^,]*,"protocol":[^,]*,"routing_table_size":0,.*},"mdns":{"enabled":false,.*},"bootstrap":{"configured":0,"connected":0,.*}}}$' \
    "raw node.info"
out=$(rpc "$SA" conn.stats)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"count":0,"inbound":0,"outbound":0,"max_peers":50,"min_peers":0,"dialing":0,"queued":0,"budget":{"in_flight":0,"max_in_flight":8,"tokens":60,"per_minute":60,"next_token_ms":0}}}$' \
    "raw conn.stats"
ok "node.info and conn.stats (status, status --json, raw)"

# ----- watchers: peerdiscctl watch (text) and a raw subscriber -----
"$PEERDISCCTL" -s "$SA" watch >"$TMP/watch.txt" 2>"$TMP/watch.err" &
WATCH_PID=$!
track_pid "$WATCH_PID"
mkfifo "$TMP/sub.in"
exec 8<>"$TMP/sub.in"
socat - "UNIX-CONNECT:$SA" <"$TMP/sub.in" >"$TMP/sub.out" 2>&1 &
track_pid $!
printf '%s\n' '{"jsonrpc":"2.0","id":"s1","method":"events.subscribe","params":{"events":["peer.discovered","peer.disconnected"]}}' >&8
wait_until "the raw subscription" file_has "$TMP/sub.out" '^{"jsonrpc":"2.0","id":"s1","result":{}}$'

# ----- peers.add, peers.get -----
add_p1() {
	rpc "$SA" peers.add '{"peer":"'"$P1"'","addrs":["/ip4/10.0.0.1/tcp/4001","/ip4/10.0.0.2/tcp/4002/p2p/'"$P1"'"],"ttl_s":3600}'
}
out=$(add_p1)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"id":"'"$P1"'","addrs":\["/ip4/10.0.0.1/tcp/4001","/ip4/10.0.0.2/tcp/4002"\],"connected":false,.*"sources":\["manual"\]' \
    "raw peers.add result"
out=$(rpc "$SA" peers.get '{"peer":"'"$P1"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"id":"'"$P1"'","addrs":\["/ip4/10.0.0.1/tcp/4001","/ip4/10.0.0.2/tcp/4002"\],"connected":false,' \
    "raw peers.get: id, addrs, connected"
for f in '"sources":\["manual"\]' '"protocols":\[\]' '"agent":null' \
    '"latency_ms":null' '"score":-\{0,1\}[0-9]' '"protected":false' \
    '"first_seen":[1-9]' '"last_seen":[1-9]' '"direction":"'; do
	expect_match "$out" "$f" "raw peers.get: $f"
done
# an address naming another peer is refused
out=$(rpc "$SA" peers.add '{"peer":"'"$P1"'","addrs":["/ip4/10.0.0.3/tcp/1/p2p/'"$P2"'"]}')
expect_match "$out" '"error":{"code":-32602,' "peers.add with another peer's /p2p/"
# the watchers saw the discovery (watch may not have subscribed yet:
# adding P1 again emits it again)
watch_has_p1() {
	file_has "$TMP/watch.txt" " peer.discovered $P1 manual /ip4/10.0.0.1/tcp/4001 (+1)\$" &&
	    return 0
	add_p1 >/dev/null
	sleep 0.1
	return 1
}
wait_until "watch to print P1" watch_has_p1
wait_until "the raw subscriber to get P1" file_has "$TMP/sub.out" \
    '^{"jsonrpc":"2.0","method":"event","params":{"type":"peer.discovered","peer":"'"$P1"'","addrs":\["/ip4/10.0.0.1/tcp/4001","/ip4/10.0.0.2/tcp/4002/p2p/'"$P1"'"\],"source":"manual"}}$'

ctl_expect 0 "$SA" call peers.add '{"peer":"'"$P2"'","addrs":["/ip4/10.0.0.5/tcp/4005"]}'
expect_grep "$TMP/ctl.out" '^  "id": "'"$P2"'",$' "call peers.add: pretty result"
ctl_expect 0 "$SA" peer "$P2"
out=$(cat "$TMP/ctl.out")
expect_match "$out" "^id: *$P2\$" "peer: id"
expect_match "$out" "^connected: *no\$" "peer: connected"
expect_match "$out" "^addrs: */ip4/10.0.0.5/tcp/4005\$" "peer: addrs"
expect_match "$out" "^sources: *manual\$" "peer: sources"
expect_match "$out" "^protected: *no\$" "peer: protected"
ctl_expect 0 "$SA" --json peer "$P2"
expect_grep "$TMP/ctl.out" '^{"id":"'"$P2"'","addrs":\["/ip4/10.0.0.5/tcp/4005"\],' "peer --json"
ok "peers.add / peers.get (raw, call, peer, peer --json), events to watchers"

# ----- peers.protect / unprotect -----
out=$(rpc "$SA" peers.protect '{"peer":"'"$P1"'","tag":"t1"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "raw peers.protect"
out=$(rpc "$SA" peers.get '{"peer":"'"$P1"'"}')
expect_match "$out" '"protected":true,"protect_tags":\["t1"\]' "peers.get after protect"
ctl_expect 0 "$SA" peer "$P1"
expect_grep "$TMP/ctl.out" '^protected: *yes (t1)$' "peer after protect"
out=$(rpc "$SA" peers.unprotect '{"peer":"'"$P1"'","tag":"t1"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "raw peers.unprotect"
out=$(rpc "$SA" peers.get '{"peer":"'"$P1"'"}')
expect_match "$out" '"protected":false,"protect_tags":\[\]' "peers.get after unprotect"
ctl_expect 0 "$SA" call peers.protect '{"peer":"'"$P2"'"}'
out=$(rpc "$SA" peers.get '{"peer":"'"$P2"'"}')
expect_match "$out" '"protected":true,"protect_tags":\["manual"\]' "default tag"
ctl_expect 0 "$SA" call peers.unprotect '{"peer":"'"$P2"'"}'
out=$(rpc "$SA" peers.unprotect '{"peer":"'"$P2"'"}')
expect_match "$out" '"error":{"code":-32002,' "unprotect without the tag"
# protecting an unknown peer creates it (manager.h)
out=$(rpc "$SA" peers.protect '{"peer":"'"$P4"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "protect an unknown peer"
out=$(rpc "$SA" peers.get '{"peer":"'"$P4"'"}')
expect_match "$out" '"addrs":\[\],.*"sources":\[\],.*"protected":true,' "a peer created by protect"
ok "peers.protect / peers.unprotect reflected in peers.get"

# ----- peers.list: peers, peers --all -----
out=$(rpc "$SA" peers.list)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"peers":\[\],"total":0}}$' "peers.list (connected only)"
out=$(rpc "$SA" peers.list '{"connected_only":false}')
expect_match "$out" '"id":"'"$P1"'"' "peers.list all: P1"
expect_match "$out" '"id":"'"$P2"'"' "peers.list all: P2"
expect_match "$out" '"id":"'"$P4"'"' "peers.list all: P4"
expect_match "$out" '"total":3}}$' "peers.list all: total"
out=$(rpc "$SA" peers.list '{"connected_only":false,"limit":1}')
expect_match "$out" '"total":3}}$' "peers.list limit: total"
[ "$(printf '%s' "$out" | grep -o '"first_seen"' | wc -l)" = 1 ] ||
    fail "peers.list limit 1 gave not one peer: $out"
ctl_expect 0 "$SA" peers
[ "$(cat "$TMP/ctl.out")" = "PEER ID  DIRECTION  LATENCY  SOURCES  AGENT" ] ||
    fail "peers: not just the header: $(cat "$TMP/ctl.out")"
ctl_expect 0 "$SA" peers --all
expect_grep "$TMP/ctl.out" "^PEER ID  *CONNECTED  *DIRECTION  *LATENCY  *SOURCES  *AGENT\$" "peers --all header"
expect_grep "$TMP/ctl.out" "^$P1  *no  *-  *-  *manual  *-\$" "peers --all: P1"
expect_grep "$TMP/ctl.out" "^$P2  *no  *-  *-  *manual  *-\$" "peers --all: P2"
expect_grep "$TMP/ctl.out" "^$P4  *no  *-  *-  *-  *-\$" "peers --all: P4"
ok "peers.list (raw, limit, peers, peers --all)"

# ----- connect, disconnect (to B) -----
ctl_expect 0 "$SA" connect "$B_ADDR"
expect_grep "$TMP/ctl.out" "^connected to $B_ID (outbound)\$" "connect output"
wait_until "watch to print the connection" file_has "$TMP/watch.txt" \
    " peer.connected $B_ID outbound ${B_ADDR%/p2p/*}"
wait_until "watch to print the identification" file_has "$TMP/watch.txt" \
    " peer.identified $B_ID peerdisc/$VERSION ([1-9][0-9]* protocols)\$"
ctl_expect 0 "$SA" peers
expect_grep "$TMP/ctl.out" "^$B_ID  *outbound  " "peers: B connected"
out=$(rpc "$SA" conn.stats)
expect_match "$out" '"count":1,"inbound":0,"outbound":1,' "conn.stats after connect"
out=$(rpc "$SA" peers.connect '{"peer":"'"$B_ID"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"id":"'"$B_ID"'",.*"connected":true,"direction":"outbound",' \
    "raw peers.connect (already connected)"
ctl_expect 0 "$SA" disconnect "$B_ID"
expect_grep "$TMP/ctl.out" "^disconnected $B_ID\$" "disconnect output"
wait_until "watch to print the disconnection" file_has "$TMP/watch.txt" \
    " peer.disconnected $B_ID "
wait_until "the raw subscriber to get the disconnection" file_has "$TMP/sub.out" \
    '"params":{"type":"peer.disconnected","peer":"'"$B_ID"'","reason":"'
file_has "$TMP/sub.out" 'peer.connected' &&
    fail "the raw subscriber got peer.connected it did not subscribe to"
conns_zero() { rpc "$SA" conn.stats | grep -q '"count":0,'; }
wait_until "no connections on A" conns_zero
ctl_expect 4 "$SA" disconnect "$B_ID"
expect_grep "$TMP/ctl.err" 'PEER_NOT_FOUND' "disconnect when not connected"
# raw connect by address, then raw disconnect
out=$(rpc "$SA" peers.connect '{"addr":"'"$B_ADDR"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"id":"'"$B_ID"'",.*"connected":true,' "raw peers.connect by addr"
out=$(rpc "$SA" peers.get '{"peer":"'"$B_ID"'"}')
expect_match "$out" '"agent":"peerdisc/'"$VERSION"'"' "B's agent after identify"
expect_match "$out" '"protocols":\[[^]]*"/ipfs/id/1.0.0"' "B's protocols after identify"
out=$(rpc "$SA" peers.disconnect '{"peer":"'"$B_ID"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "raw peers.disconnect"
wait_until "no connections on A" conns_zero
# a dial that fails
out=$(rpc "$SA" peers.connect '{"addr":"/ip4/127.0.0.1/tcp/1"}')
expect_match "$out" '"error":{"code":-3200[34],' "peers.connect to a closed port"
ctl_expect 5 "$SA" connect /ip4/127.0.0.1/tcp/1
# a known peer without any address we could dial
ctl_expect 4 "$SA" connect "$P3"
ok "connect / disconnect (peerdiscctl and raw), events, identify"

# ----- config.reload: reload; exit 3 (PEER_LIMIT_REACHED), 5 -----
ctl_expect 0 "$SA" reload
expect_grep "$TMP/ctl.out" '^applied: *(none)$' "reload without changes"
out=$(rpc "$SA" config.reload)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"applied":\[\],"needs_restart":\[\]}}$' "raw config.reload"
cp "$TMP/a.conf" "$TMP/a.conf.orig"
printf 'max_peers = 1\n' >>"$TMP/a.conf"
ctl_expect 0 "$SA" reload
expect_grep "$TMP/ctl.out" '^applied: *peers.max_peers$' "reload of the limits"
expect_grep "$TMP/ctl.out" '^needs restart: *(none)$' "reload of the limits"
out=$(rpc "$SA" conn.stats)
expect_match "$out" '"max_peers":1,"min_peers":0,' "conn.stats after reload"
ctl_expect 0 "$SA" connect "$B_ID"
ctl_expect 3 "$SA" connect /ip4/127.0.0.1/tcp/1
expect_grep "$TMP/ctl.err" 'PEER_LIMIT_REACHED' "connect over max_peers"
out=$(rpc "$SA" peers.connect '{"addr":"/ip4/127.0.0.1/tcp/1"}')
expect_match "$out" '"error":{"code":-32001,"message":"PEER_LIMIT_REACHED",' "raw connect over max_peers"
ctl_expect 0 "$SA" disconnect "$B_ID"
# a broken file: rejected, the running configuration stays
printf 'max_peers = 0\n' >>"$TMP/a.conf"
ctl_expect 5 "$SA" reload
expect_grep "$TMP/ctl.err" 'peers.max_peers' "rejected reload names the key"
out=$(rpc "$SA" config.reload)
expect_match "$out" '"error":{"code":-32602,.*"reason":"configuration rejected' "raw rejected reload"
out=$(rpc "$SA" conn.stats)
expect_match "$out" '"max_peers":1,' "the running configuration stays"
cp "$TMP/a.conf.orig" "$TMP/a.conf"
ctl_expect 0 "$SA" reload
ok "reload (applied, rejected: exit 5), PEER_LIMIT_REACHED: exit 3"

# ----- metrics, call, errors, exit statuses 1, 2, 4, 5 -----
out=$(rpc "$SA" metrics)
for f in '"counters":{"dials":[1-9]' '"dial_failures":[1-9]' \
    '"connections_outbound":[1-9]' '"identify_ok":[1-9]' \
    '"peers_discovered":[1-9]' '"gauges":{"connections_inbound":0' \
    '"peers_known":4' '"control":{"clients":[1-9]'; do
	expect_match "$out" "$f" "metrics: $f"
done
ctl_expect 0 "$SA" call metrics
expect_grep "$TMP/ctl.out" '^  "counters": {$' "call metrics (pretty)"
ctl_expect 0 "$SA" --json call node.info
expect_grep "$TMP/ctl.out" '^{"peer_id":"'"$A_ID"'",' "call node.info --json"
ctl_expect 4 "$SA" peer "$P3"
expect_grep "$TMP/ctl.err" 'PEER_NOT_FOUND' "peer: unknown peer"
out=$(rpc "$SA" peers.get '{"peer":"'"$P3"'"}')
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"PEER_NOT_FOUND","data":{"reason":"' "raw unknown peer"
ctl_expect 4 "$SA" call peers.get '{"peer":"'"$P3"'"}'
for m in nonexistent.method; do
	ctl_expect 5 "$SA" call "$m" '{"namespace":"x"}'
	expect_grep "$TMP/ctl.err" 'Method not found' "call $m"
	out=$(rpc "$SA" "$m")
	expect_match "$out" '"error":{"code":-32601,' "raw $m"
done
# mdns.enabled = no here: discovery.local exists but is unavailable
ctl_expect 5 "$SA" local
out=$(rpc "$SA" discovery.local)
expect_match "$out" '"error":{"code":-32006,' "raw discovery.local, mDNS off"
ctl_expect 5 "$SA" find x
ctl_expect 5 "$SA" peer not-a-peer-id
out=$(rpc "$SA" peers.get '{"peer":5}')
expect_match "$out" '"error":{"code":-32602,' "raw peers.get with a number"
out=$(rpc "$SA" peers.list '{"connected_only":"yes"}')
expect_match "$out" '"error":{"code":-32602,' "raw peers.list with a string"
ctl_expect 2 "$TMP/no-such.sock" status
expect_grep "$TMP/ctl.err" 'cannot reach the daemon' "wrong socket path"
ctl_expect 2 "$TMP/a.conf" peers
ctl_expect 1 "$SA" bogus-command
ctl_expect 1 "$SA" peer
ctl_expect 1 "$SA" peers --limit 3
ctl_expect 1 "$SA" --timeout never status
ctl_expect 1 "$SA" call peers.get '{not json'
ok "metrics, call, exit statuses 1, 2, 4 and 5"

# the watcher ends cleanly on SIGTERM
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
st=$?
[ "$st" = 0 ] || fail "watch exited with $st on SIGTERM: $(cat "$TMP/watch.err")"
exec 8>&-

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "A: exit status $DAEMON_STATUS"
use_daemon B
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "B: exit status $DAEMON_STATUS"
ok "both daemons stopped cleanly"
exit 0
