#!/bin/sh
# 061-connmgr-trim-protect: protected peers survive trims.
# A runs with max_peers = 2 (low water max(2*4/5, min_peers) = 1),
# grace_period = 3s and C in its conf's peers.protected.  Six daemons B,
# C, D, E, F, G connect to A within the grace period; B is protected over
# the control socket (peers.protect, tag "test").  Once the grace period
# is over A trims: the three unprotected peers it is allowed to
# drop (candidates D..G minus the low-water mark), one "trimming ID: over
# peers.max_peers (score N)" line each, never B or C; metrics count
# one trim and three peers trimmed; B and C are still connected (and
# report protected with tags "test" / "config" in peers.get) and so is
# one of D..G (the low-water mark).  Then A is at 3 connected > max_peers:
# connecting to a trimmed peer answers PEER_LIMIT_REACHED (-32001, CLI
# exit 3).  No network namespace (the daemons reach each other);
# everything binds 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
OTHERS="B C D E F G"

for n in $OTHERS; do
	write_ctl_conf "$TMP/$n.conf" "$TMP/$n"
	start_daemon "$TMP/$n.log" "$PEERDISCD" -c "$TMP/$n.conf"
	save_daemon "$n"
done
for n in $OTHERS; do
	use_daemon "$n"
	wait_for_log ': info: control socket '
	eval "${n}_ID=\$(logged_peer_id)"
done
# A: write_ctl_conf's keys plus the watermarks (no key may repeat).
write_ctl_conf "$TMP/a.conf" "$TMP/a"
sed -i '/^min_peers = 0$/d' "$TMP/a.conf"
cat >>"$TMP/a.conf" <<CONF
min_peers = 0
max_peers = 2
grace_period = 3s
max_inbound = 10
protected = $C_ID
CONF
SA="$TMP/a/control.sock"
start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
save_daemon A
wait_for_log ': info: control socket '
A_ADDR=$(logged_listen_addr)
A_ID=$(logged_peer_id)
[ -n "$A_ADDR" ] || fail "A: no listen address logged"

# All six dial A at once: inbound to A, held by max_inbound (raised to
# 10 in A's conf, as it defaults to max_peers = 2), not by max_peers.
t0=$(date +%s)
pids=
for n in $OTHERS; do
	run_bounded "$PEERDISCCTL" -s "$TMP/$n/control.sock" connect "$A_ADDR" \
	    >"$TMP/$n.connect" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "a connect to A failed: $(cat "$TMP"/*.connect)"
done
[ $(($(date +%s) - t0)) -lt 3 ] ||
    fail "the connects took longer than the grace period"
expect_match "$(rpc "$SA" peers.protect '{"peer":"'"$B_ID"'","tag":"test"}')" \
    '"result":{}' "peers.protect B"
n_conn() {
	[ "$(rpc "$SA" conn.stats | json_num count)" = "$1" ]
}
out=$(rpc "$SA" conn.stats)
expect_match "$out" '"count":6,"inbound":6,' "A holds the six"
ok "six peers connected to A (max_peers 2, grace 3s); B protected by RPC, C by conf"

# The trim: after the grace period, within the 1 s maintenance period.
wait_for_log ': info: trimming '
wait_until "A down to 3 connections" n_conn 3
sleep 1.5	# a second trim would be wrong: silence is 10 s, and 3 - 2 protected <= low water
lines=$(grep -c ': info: trimming 12D3KooW[1-9A-HJ-NP-Za-km-z]*: over peers.max_peers (score -\{0,1\}[0-9]*)$' "$TMP/a.log")
[ "$lines" = 3 ] || fail "$lines trimming lines, want 3: $(grep trimming "$TMP/a.log")"
for n in B C; do
	eval "id=\$${n}_ID"
	grep -q ": info: trimming $id:" "$TMP/a.log" && fail "protected $n was trimmed"
	out=$(rpc "$SA" peers.get '{"peer":"'"$id"'"}')
	expect_match "$out" '"connected":true,' "protected $n still connected"
	expect_match "$out" '"protected":true,' "$n protected in peers.get"
	expect_match "$out" '"score_parts":{[^}]*"protected":true' "$n protected in score_parts"
done
expect_match "$(rpc "$SA" peers.get '{"peer":"'"$B_ID"'"}')" '"protect_tags":\["test"\]' "B's protect tag"
expect_match "$(rpc "$SA" peers.get '{"peer":"'"$C_ID"'"}')" '"protect_tags":\[[^]]*"config"' "C's protect tag"
kept=
trimmed=
for n in D E F G; do
	eval "id=\$${n}_ID"
	if grep -q ": info: trimming $id: over peers.max_peers" "$TMP/a.log"; then
		trimmed="$trimmed $n"
		expect_match "$(rpc "$SA" peers.get '{"peer":"'"$id"'"}')" \
		    '"connected":false,' "trimmed $n disconnected"
	else
		kept="$kept $n"
	fi
done
[ "$(echo $kept | wc -w)" = 1 ] || fail "kept '$kept', want one of D..G"
m=$(rpc "$SA" metrics)
expect_match "$m" '"trims":1,' "metrics trims"
expect_match "$m" '"peers_trimmed":3,' "metrics peers_trimmed"
ok "A trimmed$trimmed, kept$kept and the protected B and C"

# The trimmed peers saw the disconnection.
for n in $trimmed; do
	expect_match "$(rpc "$TMP/$n/control.sock" peers.get '{"peer":"'"$A_ID"'"}')" \
	    '"connected":false,' "$n: A disconnected"
done

# A is above max_peers: a new outbound connection is refused.
set -- $trimmed
eval "tid=\$${1}_ID"
ctl_expect 3 "$SA" connect "$tid"
expect_grep "$TMP/ctl.err" 'PEER_LIMIT_REACHED' "PEER_LIMIT_REACHED message"
out=$(rpc "$SA" peers.connect '{"peer":"'"$tid"'"}')
expect_match "$out" '"error":{"code":-32001,' "peers.connect over the cap"
ok "connect over max_peers: PEER_LIMIT_REACHED (-32001, exit 3)"

grep -q 'AddressSanitizer\|runtime error\|: error: ' "$TMP/a.log" && fail "A: error in the log"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "A: exit status $DAEMON_STATUS"
for n in $OTHERS; do
	use_daemon "$n"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
exit 0
