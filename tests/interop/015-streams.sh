#!/bin/sh
# 015-streams: many yamux streams on one connection.  A js node opens 100
# identify streams at once on its connection to peerdiscd and reads each to
# EOF: every answer must be one length-prefixed identify message naming
# peerdiscd's agent.  Another opens 100 ping streams at once (32 bytes
# echoed on each).  A third opens 300 identify streams at once, past
# peerdiscd's cap of 256 live streams per connection: the streams over the
# cap must be reset (not hang), none may be answered wrongly, and the
# connection must stay usable (a ping afterwards).  peerdiscd keeps
# running throughout.
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup
pd_start pd ''
js_spawn sid --dial "$pd_addr" --streams 100 --stream-proto /ipfs/id/1.0.0 --ping
js_spawn sping --dial "$pd_addr" --streams 100 --stream-proto /ipfs/ping/1.0.0 --ping
js_spawn scap --dial "$pd_addr" --streams 300 --stream-proto /ipfs/id/1.0.0 --ping
for n in sid sping scap; do
	js_ready $n
done
for n in sid sping scap; do
	wait_js_done $n
	expect_js $n "dialed peerdiscd" \
		'L.some((e) => e.event === "dialed" && e.peer === A[0]) && !L.some((e) => e.event === "dial_error")' \
		"$pd_id"
done

summary() {
	jsq "$1" '(({ ok, failed, errors, elapsed_ms }) => ok + " ok, " + failed + " failed " +
	    JSON.stringify(errors) + " in " + elapsed_ms + " ms")(L.find((e) => e.event === "streams"))'
}
expect_js sid "100 parallel identify streams, all answered with peerdiscd's identify" \
	'L.some((e) => e.event === "streams" && e.peer === A[0] && e.protocol === "/ipfs/id/1.0.0" &&
	    e.requested === 100 && e.ok === 100 && e.failed === 0 &&
	    e.agents.length === 1 && e.agents[0] === A[1])' "$pd_id" "$PD_AGENT"
ok "identify x100: $(summary sid)"
expect_js sping "100 parallel ping streams, all echoed" \
	'L.some((e) => e.event === "streams" && e.peer === A[0] && e.protocol === "/ipfs/ping/1.0.0" &&
	    e.requested === 100 && e.ok === 100 && e.failed === 0)' "$pd_id"
ok "ping x100: $(summary sping)"
# Over the cap: peerdiscd's own identify and ping streams to the js node
# may hold a few of the 256 slots, so "most" rather than exactly 256.
expect_js scap "300 parallel identify streams: 200..256 answered, the rest reset" \
	'L.some((e) => e.event === "streams" && e.peer === A[0] && e.requested === 300 &&
	    e.ok >= 200 && e.ok <= 256 && e.ok + e.failed === 300 &&
	    Object.keys(e.errors).every((m) => m.startsWith("StreamResetError")) &&
	    e.agents.length === 1 && e.agents[0] === A[1])' "$pd_id" "$PD_AGENT"
ok "identify x300 (cap 256): $(summary scap)"

for n in sid sping scap; do
	expect_js $n "a ping after the streams came back" \
		'L.some((e) => e.event === "ping" && e.peer === A[0]) && !L.some((e) => e.event === "ping_error")' \
		"$pd_id"
	eval "id=\$${n}_id"
	wait_pd pd ": info: identified $(re "$id"): .* observed=/" "peerdiscd to identify $n"
done
# peerdiscd pings once, right after its first identify; on scap's
# connection that is in the middle of the 300 streams, where opening the
# ping stream may hit the cap (peerdiscd then logs "cannot open a
# stream"), so only sid and sping must have been pinged.
for n in sid sping; do
	eval "id=\$${n}_id"
	wait_pd pd ": info: ping $(re "$id"): [0-9.]+ ms\$" "peerdiscd to ping $n"
	expect_no_pd pd ": info: ping $(re "$id") failed" "a ping of $n failed"
done
expect_no_pd pd ": info: ping .* failed: [^c]" "a ping failed (other than at the stream cap)"
ok "the three connections still carry pings (js->peerdiscd; peerdiscd->js on sid, sping)"
pd_healthy pd
for n in sid sping scap; do
	js_stop $n
	eval "id=\$${n}_id"
	wait_pd pd ": info: disconnected $(re "$id") at " "peerdiscd to see $n leave"
done
pd_healthy pd
it_finish
