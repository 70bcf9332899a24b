#!/bin/sh
# 011-pd-dials-js: peerdiscd dials a js-libp2p node (--dial with /p2p/).
# The checks of 010 mirrored: Noise + yamux, outbound on peerdiscd's side
# and inbound on js's; identify right on both sides; ping both ways (js
# pings the inbound peer with --ping-inbound).
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup
js_start js --ping-inbound --count 3
pd_start pd '' --dial "$js_addr"
ok "js $js_id on $js_listen, peerdiscd $pd_id on $pd_listen"

# transport
wait_pd pd ": info: dial $(re "$js_addr"): (connected to|.*failed)" \
	"peerdiscd's dial of js"
expect_pd pd ": info: dial $(re "$js_addr"): connected to $(re "$js_id")\$" \
	"dial of js did not succeed"
expect_pd pd ": info: connected outbound $(re "$js_id") at $(re "$js_listen")(/p2p/$(re "$js_id"))?\$" \
	"no outbound connection to js's listen address"
wait_js js "^\\{\"event\":\"connected\",\"peer\":\"$(re "$pd_id")\"" \
	"js to see the connection"
expect_js js "inbound /noise + /yamux/1.0.0 connection from peerdiscd" \
	'L.some((e) => e.event === "connected" && e.peer === A[0] && e.direction === "inbound" &&
	    e.encryption === "/noise" && e.multiplexer === "/yamux/1.0.0")' "$pd_id"
# peerdiscd's address as js sees it (its outbound port, not the listener)
pd_seen=$(jsq js '(L.find((e) => e.event === "connected" && e.peer === A[0])).addr' "$pd_id")
pd_seen=${pd_seen%/p2p/"$pd_id"}
expect_match "js: peerdiscd's remote address" "$pd_seen" '^/ip4/127\.0\.0\.1/tcp/[0-9]+$'
ok "Noise + yamux: peerdiscd outbound, js inbound from $pd_seen"

# identify, js's view of peerdiscd
wait_js js "^\\{\"event\":\"identified\",\"peer\":\"$(re "$pd_id")\",.*\"observedAddr\"" \
	"js to identify peerdiscd"
id_js=$(js_event js identified "$pd_id")
expect_eq "js: agent of peerdiscd" "$(jsq js 'JSON.parse(A[0]).agent' "$id_js")" "$PD_AGENT"
expect_js js "identify of peerdiscd: protocolVersion ipfs/0.1.0" \
	'JSON.parse(A[0]).protocolVersion === "ipfs/0.1.0"' "$id_js"
expect_js js "identify of peerdiscd: protocols include id, id/push and ping" \
	'["/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"].every((p) => JSON.parse(A[0]).protocols.includes(p))' \
	"$id_js"
expect_eq "js: listenAddrs of peerdiscd" \
	"$(jsq js 'JSON.parse(A[0]).listenAddrs.join(" ")' "$id_js")" "$pd_listen"
# peerdiscd dialed js's listener: that is js's address as peerdiscd saw it
expect_eq "js: observedAddr sent by peerdiscd (= js's listen address)" \
	"$(jsq js 'JSON.parse(A[0]).observedAddr' "$id_js")" "$js_listen"
expect_js js "identify of peerdiscd: signed peer record" \
	'JSON.parse(A[0]).signedPeerRecord === true' "$id_js"
ok "js identified peerdiscd: $(jsq js 'JSON.parse(A[0]).agent + ", observed " + JSON.parse(A[0]).observedAddr' "$id_js")"

# identify, peerdiscd's view of js
wait_pd pd ": info: identified $(re "$js_id"): .* observed=/" \
	"peerdiscd to identify js"
id_pd=$(pd_identified pd "$js_id")
expect_match "peerdiscd: agent of js" "$(field "$id_pd" agent)" '^js-libp2p/'
expect_eq "peerdiscd: protocol_version of js" "$(field "$id_pd" protocol_version)" ipfs/0.1.0
expect_eq "peerdiscd: listen_addrs of js" "$(field "$id_pd" listen_addrs)" "[$js_listen]"
observed=$(field "$id_pd" observed)
expect_eq "peerdiscd: observed address sent by js (= peerdiscd's outbound address)" \
	"${observed%/p2p/"$pd_id"}" "$pd_seen"
expect_eq "peerdiscd: signed record of js" "$(field "$id_pd" signed_record)" yes
expect_match "peerdiscd: protocols of js" "$(field "$id_pd" protocols)" \
	'^\[(.* )?/ipfs/ping/1\.0\.0( .*)?\]$'
ok "peerdiscd identified js: $(field "$id_pd" agent), observed=$observed"

# ping both ways
wait_pd pd ": info: ping $(re "$js_id"): [0-9]+\\.[0-9]{3} ms\$" \
	"peerdiscd to ping js"
wait_js js "^\\{\"event\":\"(ping|ping_error)\",\"peer\":\"$(re "$pd_id")\",\"seq\":3," \
	"js's third ping of peerdiscd"
expect_js js "3 pings of peerdiscd, none failed" \
	'L.filter((e) => e.event === "ping" && e.peer === A[0]).length === 3 &&
	    !L.some((e) => e.event === "ping_error")' "$pd_id"
expect_no_pd pd ": info: ping $(re "$js_id") failed" "a ping of js failed"
ok "ping: peerdiscd->js $(pd_line pd ": info: ping $(re "$js_id"): " | sed 's/.*: //'), js->peerdiscd $(jsq js 'L.filter((e) => e.event === "ping").map((e) => e.elapsed_ms + " ms").join(", ")')"

# peerdiscd stops first: js sees the connection close
pd_healthy pd
pd_stop pd
wait_js js "^\\{\"event\":\"disconnected\",\"peer\":\"$(re "$pd_id")\"" \
	"js to see peerdiscd leave"
it_finish
