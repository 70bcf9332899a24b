#!/bin/sh
# 014-pd-pd: peerdiscd <-> peerdiscd.  b dials a: both log the connection,
# identify each other (agent peerdisc/VERSION, listen and observed
# addresses, signed record, protocols) and ping.  Private networks: the
# same PSK connects; a different PSK, or a PSK on one side only, is
# refused by both sides, and the listener still accepts a good peer after.
#
# Daemons: a (no PSK) and a1 (PSK 1) listen; b (none) dials a, then a1;
# b1 (PSK 1) dials a1, then a; b2 (PSK 2) dials a1; afterwards c1 (PSK 1)
# dials a1.
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup
psk_write "$TMP/psk1"
psk_write "$TMP/psk2"
PD_CONF_EXTRA='[peers]
connection_timeout = 3s'

pd_start a ''
pd_start a1 "$TMP/psk1"
pd_start b '' --dial "$a_addr" --dial "$a1_addr"
pd_start b1 "$TMP/psk1" --dial "$a1_addr" --dial "$a_addr"
pd_start b2 "$TMP/psk2" --dial "$a1_addr"

# the plain pair: b -> a
wait_pd b ": (info|warn): dial $(re "$a_addr")(: connected to| failed)" "b's dial of a"
expect_pd b ": info: dial $(re "$a_addr"): connected to $(re "$a_id")\$" "b could not dial a"
expect_pd b ": info: connected outbound $(re "$a_id") at $(re "$a_listen")(/p2p/.*)?\$" \
	"no outbound connection to a's listen address"
wait_pd a ": info: connected inbound $(re "$b_id") at /ip4/127\\.0\\.0\\.1/tcp/[0-9]+\$" \
	"a to accept b"
b_seen=$(pd_line a ": info: connected inbound $(re "$b_id") at " | sed 's/.* at //')
ok "b $b_id dialed a $a_id (a sees b at $b_seen)"

wait_pd b ": info: identified $(re "$a_id"): .* observed=/" "b to identify a"
wait_pd a ": info: identified $(re "$b_id"): .* observed=/" "a to identify b"
for side in "b a $a_listen $b_seen" "a b $b_listen $a_listen"; do
	# shellcheck disable=SC2086 # four words
	set -- $side
	eval "peer=\$${2}_id"
	line=$(pd_identified "$1" "$peer")
	expect_eq "$1: agent of $2" "$(field "$line" agent)" "$PD_AGENT"
	expect_eq "$1: protocol_version of $2" "$(field "$line" protocol_version)" ipfs/0.1.0
	expect_eq "$1: listen_addrs of $2" "$(field "$line" listen_addrs)" "[$3]"
	observed=$(field "$line" observed)
	expect_eq "$1: observed address sent by $2" "${observed%/p2p/*}" "$4"
	expect_eq "$1: signed record of $2" "$(field "$line" signed_record)" yes
	for p in /ipfs/id/1.0.0 /ipfs/id/push/1.0.0 /ipfs/ping/1.0.0; do
		expect_match "$1: protocols of $2" "$(field "$line" protocols)" \
			"^\\[(.* )?$(re "$p")( .*)?\\]\$"
	done
	wait_pd "$1" ": info: ping $(re "$peer"): [0-9]+\\.[0-9]{3} ms\$" "$1 to ping $2"
	ok "$1 identified $2: agent=$(field "$line" agent) observed=$observed; ping $(pd_line "$1" ": info: ping $(re "$peer"): " | sed 's/.*: //')"
done

# private networks
wait_pd b1 ": (info|warn): dial $(re "$a1_addr")(: connected to| failed)" "b1's dial of a1"
expect_pd b1 ": info: dial $(re "$a1_addr"): connected to $(re "$a1_id")\$" \
	"b1 could not dial a1 (same PSK)"
wait_pd a1 ": info: identified $(re "$b1_id"): agent=\"$(re "$PD_AGENT")\"" "a1 to identify b1"
wait_pd b1 ": info: identified $(re "$a1_id"): agent=\"$(re "$PD_AGENT")\"" "b1 to identify a1"
wait_pd a1 ": info: ping $(re "$b1_id"): [0-9.]+ ms\$" "a1 to ping b1"
wait_pd b1 ": info: ping $(re "$a1_id"): [0-9.]+ ms\$" "b1 to ping a1"
ok "same PSK: b1 and a1 connected, identified and pinged each other"

for d in "b a1" "b1 a" "b2 a1"; do
	# shellcheck disable=SC2086 # two words
	set -- $d
	eval "addr=\$${2}_addr"
	wait_pd "$1" ": (info|warn): dial $(re "$addr")(: connected to| failed)" "$1's dial of $2"
	expect_pd "$1" ": warn: dial $(re "$addr") failed: " "$1's dial of $2 succeeded"
	ok "$1 -> $2 refused: $(pd_line "$1" ": warn: dial $(re "$addr") failed: " | sed 's/.* failed: //')"
done
# a1 refused b and b2, a refused b1
while [ "$(pd_count a1 ' dropped during the upgrade: ')" -lt 2 ] ||
    [ "$(pd_count a ' dropped during the upgrade: ')" -lt 1 ]; do
	it_time_left || fail "a1 did not drop 2 upgrades and a 1"
	sleep 0.05
done
expect_eq "a1: dropped upgrades" "$(pd_count a1 ' dropped during the upgrade: ')" 2
expect_eq "a: dropped upgrades" "$(pd_count a ' dropped during the upgrade: ')" 1
expect_no_pd a1 ": info: connected inbound ($(re "$b_id")|$(re "$b2_id")) " \
	"a1 accepted a peer without its PSK"
expect_no_pd a ": info: connected inbound $(re "$b1_id") " "a accepted a PSK peer"
grep -h ' dropped during the upgrade: ' "$TMP/a1.log" "$TMP/a.log" | sed 's/^/  /'
ok "other PSK / PSK on one side only: refused on both sides"

pd_healthy a1
pd_healthy a
pd_start c1 "$TMP/psk1" --dial "$a1_addr"
wait_pd c1 ": (info|warn): dial $(re "$a1_addr")(: connected to| failed)" "c1's dial of a1"
expect_pd c1 ": info: dial $(re "$a1_addr"): connected to $(re "$a1_id")\$" \
	"a1 no longer accepts a good peer"
wait_pd a1 ": info: identified $(re "$c1_id"): agent=\"$(re "$PD_AGENT")\"" "a1 to identify c1"
wait_pd c1 ": info: ping $(re "$a1_id"): [0-9.]+ ms\$" "c1 to ping a1"
for n in a a1 b b1 b2 c1; do
	pd_healthy $n
done
expect_no_pd a ": info: (ping|identify) .* failed" "a ping or identify failed"
expect_no_pd b ": info: (ping|identify) .* failed" "a ping or identify failed"
ok "after the refusals a1 still accepts a good peer"
it_finish
