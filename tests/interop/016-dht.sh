#!/bin/sh
# 016-dht: peerdiscd as a Kademlia server among js-libp2p kad-dht nodes
# (/ipfs/kad/1.0.0, server mode, passthrough address mapper on loopback).
# Two js DHT servers connect to peerdiscd: both enter its routing table
# (admission through identify); peerdiscd's dht.find_peer and
# dht.closest_peers lookups query them; a third js node that only knows
# peerdiscd finds one of the others through peerdiscd's FIND_NODE answers.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
it_setup
PD_DHT=yes pd_start pd ''
js_start ka --kad --dial "$pd_addr"
js_start kb --kad --dial "$pd_addr"
ctl() {
	timeout 20 "$PEERDISCCTL" -s "$TMP/pd.sock" --json "$@"
}
# Both js servers are identified and enter peerdiscd's routing table.
for n in ka kb; do
	eval "id=\$${n}_id"
	wait_pd pd ": info: identified $(re "$id"): .*/ipfs/kad/1\\.0\\.0" \
		"peerdiscd to identify $n as a DHT server"
done
i=0
while :; do
	size=$(ctl call node.info | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).dht.routing_table_size))')
	[ "$size" = 2 ] && break
	i=$((i + 1))
	[ $i -lt 50 ] || fail "routing table size is $size, want 2"
	sleep 0.1
done
ok "peerdiscd's routing table holds both js DHT servers"
ctl dht table >"$TMP/table.json" || fail "dht.routing_table failed"
for n in ka kb; do
	eval "id=\$${n}_id"
	grep -q "$id" "$TMP/table.json" || fail "dht table lacks $n"
done
ok "dht.routing_table lists them"

# peerdiscd looks a peer up through the DHT.
ctl dht find-peer "$kb_id" >"$TMP/find.json" 2>"$TMP/find.err" ||
	fail "dht find-peer: $(cat "$TMP/find.err")"
grep -q "\"id\":\"$kb_id\"" "$TMP/find.json" || fail "find-peer: $(cat "$TMP/find.json")"
grep -q "\"${kb_listen}\"" "$TMP/find.json" ||
	fail "find-peer did not return kb's address $kb_listen: $(cat "$TMP/find.json")"
ok "dht.find_peer found kb at $kb_listen"
ctl dht closest "$ka_id" >"$TMP/closest.json" || fail "dht closest failed"
for n in ka kb; do
	eval "id=\$${n}_id"
	grep -q "$id" "$TMP/closest.json" || fail "closest lacks $n: $(cat "$TMP/closest.json")"
done
ok "dht.closest_peers returns both js servers"

# A js node that only knows peerdiscd finds kb through it.
js_start kc --kad --dial "$pd_addr" --find-peer "$kb_id"
wait_js kc '^\{"event":"find_peer",' "kc's find_peer"
expect_js kc "js found kb through peerdiscd's FIND_NODE answer" \
	'L.some((e) => e.event === "find_peer" && e.found === true && e.peer === A[0] && e.addrs.includes(A[1]))' \
	"$kb_id" "$kb_listen"
ok "js kc found kb through peerdiscd"

# A lookup with the DHT disabled answers UNAVAILABLE (-32006).
pd_start pd2 ''
timeout 10 "$PEERDISCCTL" -s "$TMP/pd2.sock" dht table >/dev/null 2>"$TMP/un.err"
st=$?
[ $st -eq 5 ] || fail "dht table with the DHT off: exit $st, want 5"
grep -q 'disabled' "$TMP/un.err" || fail "dht table with the DHT off: $(cat "$TMP/un.err")"
ok "with dht.enabled = no, DHT methods answer UNAVAILABLE"
pd_healthy pd
it_finish
