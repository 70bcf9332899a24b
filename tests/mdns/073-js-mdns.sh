#!/bin/sh
# 073-js-mdns: peerdiscd <-> js-libp2p @libp2p/mdns, both ways and both
# start orders, each in its own namespace on one bridge:
#   j1   a js node (jsnode.mjs --mdns, default 10 s interval) started
#        BEFORE n2: n2 must learn j1 from its start-up queries, and j1
#        must learn n2 (n2 answers its own query, and j1's next one);
#   n2   peerdiscd (defaults: 10 s interval);
#   j3   a js node started AFTER n2: j3 must learn n2 from its first
#        query, and n2 must learn j3 by its next query (10 s +- 10 %).
# Each pair within 15 s of the later node's start.  js's answer shape
# has no SRV/A (libp2p-wire.md §11.2), so this also checks that
# peerdiscd reads it.  n2 must log "mdns: discovered" for both js peers,
# list them in discovery.local on eth0, and connect to them (it dials
# below min_peers); js reports it found n2 by mdns ("peer_discovery",
# source "mdns").  Skips without node >= 20 / tests/interop/node_modules.
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-75}
md_setup
md_need_js
md_need_mdns_daemon
md_ns 1
md_ns 2
md_ns 3

md_js_spawn 1 --mdns
md_js_ready 1
md_pd_start 2
T0=$(now_ms)
ok "j1 $j1_id up, then n2 $n2_id"
n2_j1() { md_knows 2 "$j1_id" && md_js_found 1 "$n2_id"; }
md_wait_until 15 "n2 and j1 to find each other" n2_j1
ok "n2 <-> j1 in $(($(now_ms) - T0)) ms"

md_js_spawn 3 --mdns
md_js_ready 3
T1=$(now_ms)
n2_j3() { md_knows 2 "$j3_id" && md_js_found 3 "$n2_id"; }
md_wait_until 15 "n2 and j3 to find each other" n2_j3
ok "n2 <-> j3 in $(($(now_ms) - T1)) ms"

for j in 1 3; do
	eval "jid=\$j${j}_id"
	md_log_has n2 ": info: mdns: discovered $jid on eth0 at /ip4/10\.77\.0\.$j/tcp/4001" ||
		fail "n2: no 'mdns: discovered $jid on eth0 at /ip4/10.77.0.$j/tcp/4001' line"
	grep '"event":"peer_discovery"' "$TMP/j$j.out" | grep "\"peer\":\"$n2_id\"" |
		grep -q '/ip4/10.77.0.2/tcp/4001' ||
		fail "j$j: n2 found without its address /ip4/10.77.0.2/tcp/4001"
done
md_rpc 2 discovery.local | grep -q '"interface":"eth0"' ||
	fail "n2: discovery.local without interface eth0"

conn() {
	_c=$(md_connected 2)
	printf '%s\n' "$_c" | grep -qx "$j1_id" && printf '%s\n' "$_c" | grep -qx "$j3_id"
}
md_wait_until 15 "n2 to connect to j1 and j3" conn
ok "n2 connected to both js nodes"

md_healthy 2
md_js_stop 1
md_js_stop 3
md_pd_stop 2
ok "all stopped cleanly"
