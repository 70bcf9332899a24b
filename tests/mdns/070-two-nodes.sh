#!/bin/sh
# 070-two-nodes: two peerdiscd in two network namespaces on one bridge
# (10.77.0.1 and 10.77.0.2, mDNS on with the default 10 s interval, DHT
# and bootstrap off) must discover each other by mDNS within 15 s of the
# second start and connect (the connection manager dials peers found below
# peers.min_peers).  Checked on both sides: discovery.local lists the
# other with interface eth0 and a recent last_seen_mdns; peers.list shows
# it connected with source "mdns"; the log has "mdns: listening on eth0
# (...)" and "mdns: discovered ID on eth0 at /ip4/10.77.0.N/tcp/4001...";
# node.info says mdns enabled on [eth0]; the mdns_* counters moved.  Then
# n2 stops (SIGTERM: it sends a goodbye) and both exit cleanly.
. "$top_srcdir/tests/mdns/lib.sh"

md_setup
md_need_mdns_daemon
md_ns 1
md_ns 2
md_pd_start 1
md_pd_start 2
T0=$(now_ms)
ok "n1 $n1_id, n2 $n2_id up"

for i in 1 2; do
	md_wait_log "n$i" ': info: mdns: listening on eth0 \(.*10\.77\.0\.'"$i"'.*\)$' \
		"n$i to log mdns listening on eth0"
	md_log_has "n$i" ': info: mdns: listening on lo ' &&
		fail "n$i: mDNS on the loopback interface by default"
done

both_know() {
	md_knows 1 "$n2_id" && md_knows 2 "$n1_id"
}
md_wait_until 15 "n1 and n2 to list each other in discovery.local" both_know
el=$(($(now_ms) - T0))
ok "discovered each other in ${el} ms"

# discovery.local: interface and last_seen_mdns of the other peer.
now=$(($(date +%s) * 1000))
for i in 1 2; do
	j=$((3 - i))
	eval "jid=\$n${j}_id"
	r=$(md_rpc "$i" discovery.local)
	printf '%s' "$r" | grep -q "\"id\":\"$jid\"" ||
		fail "n$i: discovery.local lacks n$j: $r"
	printf '%s' "$r" | grep -q '"interface":"eth0"' ||
		fail "n$i: discovery.local entry without interface eth0: $r"
	seen=$(printf '%s' "$r" | json_num last_seen_mdns)
	[ -n "$seen" ] || fail "n$i: no last_seen_mdns: $r"
	[ "$seen" -le $((now + 2000)) ] && [ "$seen" -ge $((now - 30000)) ] ||
		fail "n$i: last_seen_mdns $seen is not near now ($now)"
	md_log_has "n$i" ": info: mdns: discovered $jid on eth0 at /ip4/10\.77\.0\.$j/tcp/4001" ||
		fail "n$i: no 'mdns: discovered $jid on eth0 at /ip4/10.77.0.$j/tcp/4001' line"
	# peerdiscctl local prints it too
	out=$(timeout 10 "$PEERDISCCTL" -s "$TMP/n$i.sock" local 2>&1) ||
		fail "n$i: peerdiscctl local failed: $out"
	printf '%s\n' "$out" | grep -q "$jid" ||
		fail "n$i: peerdiscctl local does not show n$j: $out"
done
ok "discovery.local and peerdiscctl local list the peer on eth0; log lines present"

# connected, with source mdns
connected() {
	md_connected 1 | grep -qx "$n2_id" && md_connected 2 | grep -qx "$n1_id"
}
md_wait_until 15 "n1 and n2 to connect" connected
for i in 1 2; do
	j=$((3 - i))
	eval "jid=\$n${j}_id"
	r=$(md_rpc "$i" peers.get "{\"peer\":\"$jid\"}")
	printf '%s' "$r" | grep -q '"sources":\[[^]]*"mdns"' ||
		fail "n$i: n$j has no source mdns: $r"
	printf '%s' "$r" | grep -q "/ip4/10.77.0.$j/tcp/4001" ||
		fail "n$i: n$j's address 10.77.0.$j/tcp/4001 not stored: $r"
done
ok "connected after $(($(now_ms) - T0)) ms; peers.get shows source mdns and the address"

# node.info and metrics
for i in 1 2; do
	r=$(md_rpc "$i" node.info)
	printf '%s' "$r" | grep -q '"mdns":{[^}]*"enabled":true' ||
		fail "n$i: node.info mdns not enabled: $r"
	printf '%s' "$r" | grep -q '"mdns":{[^}]*"interfaces":\["eth0"\]' ||
		fail "n$i: node.info mdns interfaces is not [\"eth0\"]: $r"
	m=$(md_rpc "$i" metrics)
	for k in mdns_packets_in mdns_packets_out mdns_bytes_in mdns_bytes_out \
		mdns_peers_learnt; do
		v=$(printf '%s' "$m" | json_num "$k")
		[ -n "$v" ] && [ "$v" -gt 0 ] || fail "n$i: metric $k is '${v}': $m"
	done
	v=$(printf '%s' "$m" | json_num mdns_packets_dropped)
	[ -n "$v" ] || fail "n$i: no metric mdns_packets_dropped: $m"
	md_healthy "$i"
done
ok "node.info and metrics report mDNS"

md_finish 2 1
ok "both stopped cleanly"
