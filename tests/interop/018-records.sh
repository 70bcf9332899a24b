#!/bin/sh
# 018-records: DHT value records (PUT_VALUE / GET_VALUE with the pk
# validator) between peerdiscd and js-libp2p kad-dht nodes on loopback.
#  - js ka puts its /pk/ record; peerdiscd, its only DHT server, stores it
#    (ka sees the PUT_VALUE echo) and `peerdiscctl dht get /pk/ID` returns
#    the same bytes.
#  - a fresh js kb that knows only peerdiscd gets ka's record through
#    peerdiscd's GET_VALUE answer.
#  - `peerdiscctl dht put` of peerdiscd's own /pk/ record reaches the js
#    servers: kb gets it from the network.
#  - a record whose key does not match the public key is refused.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
it_setup
PD_DHT=yes pd_start pd ''
ctl() {
	timeout 30 "$PEERDISCCTL" -s "$TMP/pd.sock" --json "$@"
}
# b58hex ID: the binary peer ID in hex.  pkb64 ID: base64 of the public
# key protobuf inside an Ed25519 (identity multihash) peer ID.
b58hex() {
	node -e 'const A="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";let n=0n;for(const c of process.argv[1])n=n*58n+BigInt(A.indexOf(c));let h=n.toString(16);if(h.length%2)h="0"+h;let z="";for(const c of process.argv[1]){if(c!=="1")break;z+="00"}console.log(z+h)' "$1"
}
pkb64() {
	node -e 'console.log(Buffer.from(process.argv[1],"hex").subarray(2).toString("base64"))' "$(b58hex "$1")"
}
PKHEX=2f706b2f	# "/pk/"

js_start ka --kad --dial "$pd_addr" --put-pk
wait_js ka '^\{"event":"put",' "ka's put"
expect_js ka "ka's PUT_VALUE was stored by peerdiscd" \
	'L.some((e) => e.event === "put" && e.ok === true && e.stored.includes(A[0]))' "$pd_id"
ka_pk=$(jsq ka 'L.find((e) => e.event === "put").value')
ctl dht get "/pk/$ka_id" >"$TMP/get.json" 2>"$TMP/get.err" ||
	fail "dht get /pk/ka: $(cat "$TMP/get.err")"
got=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(Buffer.from(r.value,"base64").toString("hex"))' "$TMP/get.json")
expect_eq "peerdiscd's copy of ka's /pk/ record" "$got" "$ka_pk"
ok "js put /pk/ka -> peerdiscd stored it; dht.get_value returns it"

js_start kb --kad --dial "$pd_addr" --get-value "$PKHEX$(b58hex "$ka_id")"
wait_js kb '^\{"event":"get_value",' "kb's get"
expect_js kb "kb got ka's record through peerdiscd" \
	'L.some((e) => e.event === "get_value" && e.found === true && e.value === A[0])' "$ka_pk"
ok "js get /pk/ka through peerdiscd returns ka's public key"

# peerdiscd puts its own /pk/ record; the js servers store it.
ctl dht put "/pk/$pd_id" "$(pkb64 "$pd_id")" >"$TMP/put.json" 2>"$TMP/put.err" ||
	fail "dht put /pk/pd: $(cat "$TMP/put.err")"
stored=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).stored)' "$TMP/put.json")
[ "$stored" -ge 1 ] || fail "dht put /pk/pd stored on $stored peers: $(cat "$TMP/put.json")"
ok "peerdiscd put /pk/pd was stored by $stored js servers"
js_start kc --kad --dial "$ka_addr" --get-value "$PKHEX$(b58hex "$pd_id")"
wait_js kc '^\{"event":"get_value",' "kc's get"
expect_js kc "kc got peerdiscd's record from js ka" \
	'L.some((e) => e.event === "get_value" && e.found === true && e.value === A[0])' \
	"$(node -e 'console.log(Buffer.from(process.argv[1],"base64").toString("hex"))' "$(pkb64 "$pd_id")")"
ok "js kc (knowing only js ka) got peerdiscd's /pk/ record"

# A record that does not match its key is refused, with the reason.
if ctl dht put "/pk/$ka_id" "$(pkb64 "$pd_id")" >"$TMP/bad.json" 2>"$TMP/bad.err"; then
	fail "dht put of a mismatched /pk/ record succeeded: $(cat "$TMP/bad.json")"
fi
grep -qi 'invalid record' "$TMP/bad.err" || fail "mismatched /pk/ record: $(cat "$TMP/bad.err")"
ok "a /pk/ record for another key is refused: $(head -n 1 "$TMP/bad.err")"
pd_healthy pd
it_finish
