#!/bin/sh
# 010-js-dials: a js-libp2p node dials peerdiscd.  Noise and yamux
# complete; identify is right on both sides (agent, protocol version,
# protocols, listen and observed addresses, signed peer record); ping works
# both ways; peerdiscd survives the js node going away and stops cleanly.
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup
pd_start pd ''
js_start js --dial "$pd_addr" --ping --count 3
wait_js_done js
ok "peerdiscd $pd_id on $pd_listen, js $js_id on $js_listen"

# transport: the js side's view of the connection
expect_js js "no dial_error" '!L.some((e) => e.event === "dial_error")'
expect_js js "dialed peerdiscd" 'L.some((e) => e.event === "dialed" && e.addr === A[0] && e.peer === A[1])' \
	"$pd_addr" "$pd_id"
expect_js js "outbound /noise + /yamux/1.0.0 connection to peerdiscd's address" \
	'L.some((e) => e.event === "connected" && e.peer === A[0] && e.direction === "outbound" &&
	    e.encryption === "/noise" && e.multiplexer === "/yamux/1.0.0" && e.addr === A[1])' \
	"$pd_id" "$pd_addr"
wait_pd pd ": info: connected inbound $(re "$js_id") at /ip4/127\\.0\\.0\\.1/tcp/[0-9]+\$" \
	"peerdiscd to log the inbound connection"
js_seen=$(pd_line pd ": info: connected inbound $(re "$js_id") at " | sed 's/.* at //')
ok "Noise + yamux: js outbound, peerdiscd inbound from $js_seen"

# identify, js's view of peerdiscd
wait_js js "^\\{\"event\":\"identified\",\"peer\":\"$(re "$pd_id")\",.*\"observedAddr\"" \
	"js to identify peerdiscd"
expect_eq "js: agent of peerdiscd" \
	"$(jsq js '(L.find((e) => e.event === "identified" && e.peer === A[0])).agent' "$pd_id")" \
	"$PD_AGENT"
id_js=$(js_event js identified "$pd_id")
expect_js js "identify of peerdiscd: protocolVersion ipfs/0.1.0" \
	'JSON.parse(A[0]).protocolVersion === "ipfs/0.1.0"' "$id_js"
expect_js js "identify of peerdiscd: protocols include id, id/push and ping" \
	'["/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"].every((p) => JSON.parse(A[0]).protocols.includes(p))' \
	"$id_js"
expect_eq "js: listenAddrs of peerdiscd" \
	"$(jsq js 'JSON.parse(A[0]).listenAddrs.join(" ")' "$id_js")" "$pd_listen"
expect_eq "js: observedAddr sent by peerdiscd (= js's address as peerdiscd saw it)" \
	"$(jsq js 'JSON.parse(A[0]).observedAddr' "$id_js")" "$js_seen"
expect_js js "identify of peerdiscd: signed peer record" \
	'JSON.parse(A[0]).signedPeerRecord === true' "$id_js"
ok "js identified peerdiscd: $(jsq js 'JSON.parse(A[0]).agent + " " + JSON.parse(A[0]).protocols.join(",")' "$id_js")"

# identify, peerdiscd's view of js
wait_pd pd ": info: identified $(re "$js_id"): .* observed=/" \
	"peerdiscd to identify js"
id_pd=$(pd_identified pd "$js_id")
expect_match "peerdiscd: agent of js" "$(field "$id_pd" agent)" '^js-libp2p/'
expect_eq "peerdiscd: protocol_version of js" "$(field "$id_pd" protocol_version)" ipfs/0.1.0
expect_eq "peerdiscd: listen_addrs of js" "$(field "$id_pd" listen_addrs)" "[$js_listen]"
# js sends its connection's remote address, which carries /p2p/<peerdiscd>
observed=$(field "$id_pd" observed)
expect_eq "peerdiscd: observed address sent by js (= peerdiscd's listen address)" \
	"${observed%/p2p/"$pd_id"}" "$pd_listen"
expect_eq "peerdiscd: signed record of js" "$(field "$id_pd" signed_record)" yes
expect_match "peerdiscd: protocols of js" "$(field "$id_pd" protocols)" \
	'^\[(.* )?/ipfs/id/1\.0\.0( .*)?\]$'
expect_match "peerdiscd: protocols of js" "$(field "$id_pd" protocols)" \
	'^\[(.* )?/ipfs/ping/1\.0\.0( .*)?\]$'
ok "peerdiscd identified js: $(field "$id_pd" agent), observed=$observed"

# ping both ways
expect_js js "3 pings of peerdiscd, none failed" \
	'L.filter((e) => e.event === "ping" && e.peer === A[0]).length === 3 &&
	    !L.some((e) => e.event === "ping_error")' "$pd_id"
wait_pd pd ": info: ping $(re "$js_id"): [0-9]+\\.[0-9]{3} ms\$" \
	"peerdiscd to ping js"
expect_no_pd pd ": info: ping $(re "$js_id") failed" "a ping of js failed"
ok "ping: js->peerdiscd $(jsq js 'L.filter((e) => e.event === "ping").map((e) => e.elapsed_ms + " ms").join(", ")'), peerdiscd->js $(pd_line pd ": info: ping $(re "$js_id"): " | sed 's/.*: //')"

# the js node leaves; peerdiscd notices and keeps running
js_stop js
wait_pd pd ": info: disconnected $(re "$js_id") at " \
	"peerdiscd to log the disconnection"
pd_healthy pd
it_finish
