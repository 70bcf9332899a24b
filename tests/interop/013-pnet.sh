#!/bin/sh
# 013-pnet: private networks (pnet, /key/swarm/psk/1.0.0/) between
# peerdiscd and js-libp2p.  The same PSK on both sides connects in both
# directions; a different PSK, or a PSK on one side only, is refused on
# both sides (js: dial_error or no connection; peerdiscd: "dropped during
# the upgrade" or "dial ... failed"), in both directions, and peerdiscd
# keeps running and still accepts a good connection afterwards.
#
# Nodes: peerdiscd p1 (PSK 1) and p0 (none); js listeners l1 (PSK 1),
# l2 (PSK 2), l0 (none), dialed by p1 (all three) and p0 (l1); js
# dialers d1 (PSK 1: p0 then p1), d2 (PSK 2: p1), d0 (none: p1 then p0);
# afterwards g1 (PSK 1) dials p1 and g0 (none) dials p0.
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup
psk_write "$TMP/psk1"
psk_write "$TMP/psk2"
# A mismatched PSK garbles the multistream header; whether the other side
# notices at once depends on the garbage, so bound the upgrade.
PD_CONF_EXTRA='[peers]
connection_timeout = 3s'

js_spawn l1 --psk "$TMP/psk1"
js_spawn l2 --psk "$TMP/psk2"
js_spawn l0
js_ready l1
js_ready l2
js_ready l0
pd_start p1 "$TMP/psk1" --dial "$l1_addr" --dial "$l2_addr" --dial "$l0_addr"
pd_start p0 '' --dial "$l1_addr"
js_spawn d1 --psk "$TMP/psk1" --dial "$p0_addr" --dial "$p1_addr" --ping
js_spawn d2 --psk "$TMP/psk2" --dial "$p1_addr"
js_spawn d0 --dial "$p1_addr" --dial "$p0_addr" --ping
for n in d1 d2 d0; do
	js_ready $n
done

# js dials peerdiscd
for n in d1 d2 d0; do
	wait_js_done $n
done
# js_dialed NAME ADDR PEER / js_refused NAME ADDR
js_dialed() {
	expect_js "$1" "dial of $2 succeeded and a ping came back" \
		'L.some((e) => e.event === "dialed" && e.addr === A[0] && e.peer === A[1]) &&
		    L.some((e) => e.event === "ping" && e.peer === A[1])' "$2" "$3"
}
js_refused() {
	expect_js "$1" "dial of $2 failed" \
		'L.some((e) => e.event === "dial_error" && e.addr === A[0]) &&
		    !L.some((e) => e.event === "dialed" && e.addr === A[0])' "$2"
}
js_dialed d1 "$p1_addr" "$p1_id"
js_refused d1 "$p0_addr"
js_refused d2 "$p1_addr"
js_refused d0 "$p1_addr"
js_dialed d0 "$p0_addr" "$p0_id"
for n in d1 d2 d0; do
	jsq $n 'L.filter((e) => e.event === "dial_error").map((e) => "  " + A[0] + " dial_error: " + e.message).join("\n")' $n
done
wait_pd p1 ": info: connected inbound $(re "$d1_id") " "p1 to accept d1"
wait_pd p1 ": info: identified $(re "$d1_id"): " "p1 to identify d1"
wait_pd p0 ": info: connected inbound $(re "$d0_id") " "p0 to accept d0"
wait_pd p0 ": info: identified $(re "$d0_id"): " "p0 to identify d0"
# p1 refused d2 and d0, p0 refused d1: one dropped upgrade each
wait_pd p0 ': info: inbound connection from /ip4/127\.0\.0\.1/tcp/[0-9]+ dropped during the upgrade: ' \
	"p0 to drop d1's connection"
while [ "$(pd_count p1 ': info: inbound connection from .* dropped during the upgrade: ')" -lt 2 ]; do
	it_time_left || fail "p1 did not drop both d2's and d0's connections"
	sleep 0.05
done
expect_eq "p1: dropped upgrades" \
	"$(pd_count p1 ': info: inbound connection from .* dropped during the upgrade: ')" 2
expect_eq "p0: dropped upgrades" \
	"$(pd_count p0 ': info: inbound connection from .* dropped during the upgrade: ')" 1
expect_no_pd p1 ": info: connected inbound ($(re "$d2_id")|$(re "$d0_id")) " \
	"p1 accepted a peer without its PSK"
expect_no_pd p0 ": info: connected inbound $(re "$d1_id") " \
	"p0 (no PSK) accepted a PSK peer"
grep -h ' dropped during the upgrade: ' "$TMP/p1.log" "$TMP/p0.log" | sed 's/^/  /'
ok "js -> peerdiscd: same PSK connects; other PSK, PSK on one side only refused"

# peerdiscd dials js
for l in l1 l2 l0; do
	eval "a=\$${l}_addr"
	wait_pd p1 ": (info|warn): dial $(re "$a")(: connected to| failed)" \
		"p1's dial of $l"
done
wait_pd p0 ": (info|warn): dial $(re "$l1_addr")(: connected to| failed)" \
	"p0's dial of l1"
expect_pd p1 ": info: dial $(re "$l1_addr"): connected to $(re "$l1_id")\$" \
	"p1 could not dial l1 (same PSK)"
expect_pd p1 ": warn: dial $(re "$l2_addr") failed: " "p1's dial of l2 (other PSK) succeeded"
expect_pd p1 ": warn: dial $(re "$l0_addr") failed: " "p1's dial of l0 (no PSK) succeeded"
expect_pd p0 ": warn: dial $(re "$l1_addr") failed: " "p0's dial of l1 (PSK, p0 none) succeeded"
wait_pd p1 ": info: ping $(re "$l1_id"): [0-9.]+ ms\$" "p1 to ping l1"
expect_js l1 "l1 saw p1 connect and identified it" \
	'L.some((e) => e.event === "connected" && e.peer === A[0]) &&
	    L.some((e) => e.event === "identified" && e.peer === A[0] && e.agent === A[1])' \
	"$p1_id" "$PD_AGENT"
expect_js l1 "l1 got no connection from p0" \
	'!L.some((e) => e.event === "connected" && e.peer === A[0])' "$p0_id"
expect_js l2 "l2 got no connection" '!L.some((e) => e.event === "connected")'
expect_js l0 "l0 got no connection" '!L.some((e) => e.event === "connected")'
grep -h ': dial .* failed: ' "$TMP/p1.log" "$TMP/p0.log" | sed 's/^/  /'
ok "peerdiscd -> js: same PSK connects; other PSK, PSK on one side only refused"

# both daemons still accept good connections
pd_healthy p1
pd_healthy p0
js_spawn g1 --psk "$TMP/psk1" --dial "$p1_addr" --ping
js_spawn g0 --dial "$p0_addr" --ping
js_ready g1
js_ready g0
wait_js_done g1
wait_js_done g0
js_dialed g1 "$p1_addr" "$p1_id"
js_dialed g0 "$p0_addr" "$p0_id"
wait_pd p1 ": info: identified $(re "$g1_id"): " "p1 to identify g1"
wait_pd p0 ": info: identified $(re "$g0_id"): " "p0 to identify g0"
pd_healthy p1
pd_healthy p0
ok "after the refusals both daemons run and accept good peers"
it_finish
