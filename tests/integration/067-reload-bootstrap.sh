#!/bin/sh
# 067-reload-bootstrap: SIGHUP applies a new bootstrap.peers list and new
# watermarks live: node.info counts the bootstrap peer, discovery.bootstrap
# shows it being dialed (and failing: nothing listens there), conn.stats
# shows the new max_peers; emptying the list again removes it.
. "$top_srcdir/tests/integration/lib.sh"

need_socat
setup_tmp
conf="$TMP/peerdiscd.conf"
write_test_conf "$conf"
SOCK="$TMP/control.sock"
start_daemon "$TMP/log" "$PEERDISCD" -c "$conf"
wait_for_log ': info: control socket '
out=$(rpc "$SOCK" node.info)
expect_match "$out" '"bootstrap":{"configured":0,"connected":0,"available":true}' \
    "no bootstrap peers at start"

# A peer ID nobody has, on a port nothing listens on.
ID=12D3KooWGjSE7eCu5f1Pa8pGxscmoEcdQ5BRMGqbyMvL2dhrPCS5
write_test_conf "$conf"
sed -i 's|^\[bootstrap\]$|[bootstrap]\npeers = /ip4/127.0.0.1/tcp/1/p2p/'"$ID"'|; s|^enabled = no$|&|' "$conf"
awk 'BEGIN{s=""} /^\[/{s=$0} s=="[bootstrap]" && /^enabled = no$/{print "enabled = yes"; next} {print}' \
    "$conf" >"$conf.new" && mv "$conf.new" "$conf"
printf '[peers]\nmax_peers = 7\n' >>"$conf"
kill -HUP "$DAEMON_PID"
wait_for_log ': info: reload: bootstrap.peers changed; applied$'
wait_for_log ': info: reload: peers.max_peers changed; applied$'
out=$(rpc "$SOCK" node.info)
expect_match "$out" '"bootstrap":{"configured":1,' "node.info counts the new bootstrap peer"
out=$(rpc "$SOCK" conn.stats)
expect_match "$out" '"max_peers":7,' "conn.stats shows the new max_peers"
bs_state() { rpc "$SOCK" discovery.bootstrap | grep -q "\"id\":\"$ID\".*\"state\":\"\\(backing-off\\|failed\\)\""; }
wait_until "the bootstrap peer to fail and back off" bs_state
out=$(rpc "$SOCK" discovery.bootstrap)
expect_match "$out" '"addr":"/ip4/127.0.0.1/tcp/1/p2p/'"$ID"'"' "discovery.bootstrap names it"
expect_match "$out" '"last_error":"[^"]' "discovery.bootstrap gives the error"
ok "reload applied bootstrap.peers and max_peers; the peer is dialed and backs off"

write_test_conf "$conf"
kill -HUP "$DAEMON_PID"
wait_until "the bootstrap list to empty" sh -c \
    "printf '%s\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node.info\"}' |
    socat -t 5 - UNIX-CONNECT:$SOCK | grep -q '\"configured\":0'"
ok "reload back to no bootstrap peers"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"
exit 0
