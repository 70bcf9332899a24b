#!/bin/sh
# 062-backoff: dial back-off seen in peers.get.
# S (min_peers = 1, retry_interval = 1s) connects to K, then K is
# SIGKILLed.  S is below min_peers, so its maintenance timer redials K
# from the store, which fails (connection refused) again and again.
# peers.get K on S must show dial_failures growing 1, 2, 3, 4 and
# next_dial (unix ms) moving later each time, the k-th delay (next_dial
# minus the time we saw the failure) within the documented jitter of
# retry_interval * 2^(k-1), i.e. in [0.5, 1.5) times it, plus a little
# polling slack; and S must not dial K before next_dial.  Then K is
# restarted with the same identity and port: S reconnects by itself and
# the back-off is reset (dial_failures 0, next_dial 0).  No network
# namespace (the daemons reach each other); everything binds 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
PD_TEST_TIMEOUT=30
SLACK=400	# ms: poll period, maintenance period start, a slow run

write_ctl_conf "$TMP/k.conf" "$TMP/k"
start_daemon "$TMP/k.log" "$PEERDISCD" -c "$TMP/k.conf"
save_daemon K
wait_for_log ': info: control socket '
K_ADDR=$(logged_listen_addr)
K_ID=$(logged_peer_id)
K_LISTEN=${K_ADDR%/p2p/*}

write_ctl_conf "$TMP/s.conf" "$TMP/s"
sed -i '/^min_peers = 0$/d' "$TMP/s.conf"
printf 'min_peers = 1\nretry_interval = 1s\n' >>"$TMP/s.conf"
SS="$TMP/s/control.sock"
start_daemon "$TMP/s.log" "$PEERDISCD" -c "$TMP/s.conf"
save_daemon S
wait_for_log ': info: control socket '
ctl_expect 0 "$SS" connect "$K_ADDR"
out=$(rpc "$SS" peers.get '{"peer":"'"$K_ID"'"}')
expect_match "$out" '"connected":true,' "S connected to K"
expect_match "$out" '"dial_failures":0,' "no failures yet"
ok "S connected to K"

kill -KILL "$K_PID"
wait "$K_PID" 2>/dev/null
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Poll peers.get every 0.1 s; on each new dial_failures value k, record
# the delay next_dial - now.
k=0
prev_next=0
deadline=$(($(now_ms) + 25000))
while [ "$k" -lt 4 ]; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "dial_failures stuck at $k"
	out=$(rpc "$SS" peers.get '{"peer":"'"$K_ID"'"}')
	t=$(now_ms)
	f=$(printf '%s' "$out" | sed -n 's/.*"dial_failures":\([0-9]*\).*/\1/p')
	nd=$(printf '%s' "$out" | sed -n 's/.*"next_dial":\([0-9]*\).*/\1/p')
	[ -n "$f" ] && [ -n "$nd" ] || fail "peers.get: $out"
	if [ "$f" -gt "$k" ]; then
		[ "$f" = $((k + 1)) ] || fail "dial_failures jumped from $k to $f"
		k=$f
		[ "$nd" -gt "$prev_next" ] ||
		    fail "failure $k: next_dial $nd is not later than $prev_next"
		# A failure with no back-off left would be a bug: S must not
		# dial before next_dial, so the previous deadline has passed.
		[ "$prev_next" = 0 ] || [ "$t" -ge $((prev_next - SLACK)) ] ||
		    fail "failure $k seen at $t, before next_dial $prev_next"
		base=$((1000 * (1 << (k - 1))))
		d=$((nd - t))
		lo=$((base / 2 - SLACK))
		hi=$((base * 3 / 2))
		[ "$d" -ge "$lo" ] && [ "$d" -le "$hi" ] ||
		    fail "failure $k: delay $d ms not in [$((base / 2)), $hi) ms (base $base)"
		echo "  failure $k: next dial in $d ms (base $base ms)"
		prev_next=$nd
		expect_match "$out" '"connected":false,' "K not connected"
		expect_match "$out" '"score_parts":{[^}]*"failures":-'"$((5 * k))"'}' \
		    "score failures part after $k failures"
	fi
	sleep 0.1
done
dials=$(rpc "$SS" metrics | json_num dial_failures)
[ "$dials" -ge 4 ] || fail "metrics dial_failures $dials < 4"
ok "4 failed redials, next_dial doubling within jitter (retry_interval 1s)"

# K comes back on the same port with the same identity: S reconnects
# after its back-off and the back-off is reset.
sed -i "s#^listen = .*#listen = $K_LISTEN#" "$TMP/k.conf"
start_daemon "$TMP/k2.log" "$PEERDISCD" -c "$TMP/k.conf"
save_daemon K
wait_for_log ': info: control socket '
[ "$(logged_peer_id)" = "$K_ID" ] || fail "K restarted with another ID"
reconnected() {
	rpc "$SS" peers.get '{"peer":"'"$K_ID"'"}' | grep -q '"connected":true,'
}
wait_until "S to redial K" reconnected
out=$(rpc "$SS" peers.get '{"peer":"'"$K_ID"'"}')
expect_match "$out" '"dial_failures":0,' "failures reset on success"
expect_match "$out" '"next_dial":0[,}]' "next_dial reset on success"
expect_match "$out" '"direction":"outbound"' "S dialed K"
ok "K back: S redialed it by itself and reset the back-off"

for n in S K; do
	use_daemon "$n"
	grep -q 'AddressSanitizer\|runtime error\|: error: ' "$DAEMON_LOG" &&
	    fail "$n: error in the log"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
exit 0
