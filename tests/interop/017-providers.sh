#!/bin/sh
# 017-providers: namespace discovery through provider records, both ways,
# between peerdiscd and js-libp2p kad-dht nodes on loopback.
#  - js ka provides CIDv1(raw, sha256("pd-ns-js")) with peerdiscd as its
#    only DHT server; `peerdiscctl find pd-ns-js` on peerdiscd returns ka
#    with its address.
#  - `peerdiscctl advertise pd-ns-pd` on peerdiscd; a fresh js node kb
#    that knows only a js DHT server (ka, which peerdiscd's ADD_PROVIDER
#    reached) finds peerdiscd as a provider through ka (findProviders),
#    so the record crossed the wire from peerdiscd to js.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
it_setup
PD_DHT=yes pd_start pd ''
ctl() {
	timeout 30 "$PEERDISCCTL" -s "$TMP/pd.sock" --json "$@"
}
wait_table() {	# wait_table N: peerdiscd's routing table holds N peers
	i=0
	while :; do
		size=$(ctl call node.info | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).dht.routing_table_size))')
		[ "$size" = "$1" ] && return 0
		i=$((i + 1))
		[ $i -lt 100 ] || fail "routing table size is $size, want $1"
		sleep 0.1
	done
}

# js -> peerdiscd: ka provides, peerdiscd finds.
js_start ka --kad --dial "$pd_addr" --provide pd-ns-js
wait_js ka '^\{"event":"provided",' "ka's provide"
expect_js ka "ka provided pd-ns-js" \
	'L.some((e) => e.event === "provided" && e.ok === true)'
wait_table 1
ctl find pd-ns-js >"$TMP/find.json" 2>"$TMP/find.err" ||
	fail "peerdiscctl find: $(cat "$TMP/find.err")"
grep -q "\"id\":\"$ka_id\"" "$TMP/find.json" ||
	fail "find pd-ns-js lacks ka: $(cat "$TMP/find.json")"
grep -q "\"$ka_listen\"" "$TMP/find.json" ||
	fail "find pd-ns-js lacks ka's address $ka_listen: $(cat "$TMP/find.json")"
ok "js provide -> peerdiscd discovery.find found ka at $ka_listen"

# peerdiscd -> js: peerdiscd advertises; its ADD_PROVIDER reaches ka (its
# only DHT peer); kb asks ka only and finds peerdiscd.
ctl advertise pd-ns-pd >/dev/null || fail "peerdiscctl advertise failed"
wait_js ka "\"event\":\"peer_discovery\".*\"peer\":\"$pd_id\"|\"event\":\"identified\".*\"peer\":\"$pd_id\"" \
	"ka to know peerdiscd"
sleep 1	# the ADD_PROVIDER is fire-and-forget; give ka a moment to store it
js_start kb --kad --dial "$ka_addr" --find-providers pd-ns-pd --find-timeout 20
wait_js kb '^\{"event":"find_providers",' "kb's findProviders"
expect_js kb "kb found peerdiscd as a provider of pd-ns-pd" \
	'L.some((e) => e.event === "find_providers" && e.providers.some((p) => p.peer === A[0] && p.addrs.includes(A[1])))' \
	"$pd_id" "$pd_listen"
ok "peerdiscd advertise -> js findProviders (through js ka) found peerdiscd at $pd_listen"

# discovery.find with nothing there: an empty list, not an error.
ctl find no-such-namespace --limit 5 >"$TMP/none.json" ||
	fail "find of an unknown namespace failed"
grep -q '"peers":\[\]' "$TMP/none.json" || fail "find of an unknown namespace: $(cat "$TMP/none.json")"
ok "discovery.find of an unknown namespace answers an empty list"
pd_healthy pd
it_finish
