#!/bin/sh
# 064-inbound-flood: 500 inbound TCP connections from 127.0.0.1 are held
# to peers.max_per_ip.
# A runs with max_per_ip = 8 (the default), max_inbound = 1000 (so the
# per-IP cap is what binds) and the per-IP rate off for loopback (the
# default).  tests/tools/flood opens 500 connections at once, sends the
# multistream header on each and never finishes a handshake, holding
# them 3 s: A must keep at most 8 of them (in their handshake) and close
# the others before any handshake, counting each in metrics
# refused_inbound_per_ip (exactly 500 - kept) and none in
# refused_inbound_total_cap; the "refused inbound connection" log line
# is rate-limited (a handful, not 492).  Then 20 real libp2p dialers
# (tests/bench/dialer hold: full handshakes and identify, 20 distinct
# peer IDs, all from 127.0.0.1): at most 8 get connected (conn.stats
# inbound <= 8, never above at any sample), the rest refused.  Once they
# go, another peerdiscd from 127.0.0.1 connects normally.  No network
# namespace (the daemons reach each other); everything binds 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
FLOOD="$top_builddir/tests/tools/flood"
DIALER="$top_builddir/tests/bench/dialer"
[ -x "$FLOOD" ] || fail "$FLOOD not built"
PD_TEST_TIMEOUT=20
PER_IP=8

write_ctl_conf "$TMP/a.conf" "$TMP/a"
printf 'max_per_ip = %s\nmax_inbound = 1000\nmax_peers = 1000\n' "$PER_IP" >>"$TMP/a.conf"
SA="$TMP/a/control.sock"
start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
save_daemon A
wait_for_log ': info: control socket '
A_ADDR=$(logged_listen_addr)
A_LISTEN=${A_ADDR%/p2p/*}
PORT=${A_LISTEN##*/}

run_bounded "$FLOOD" -n 500 -m -H 3 "$PORT" >"$TMP/flood.out" 2>&1 ||
    fail "flood: $(cat "$TMP/flood.out")"
line=$(cat "$TMP/flood.out")
kept=$(printf '%s' "$line" | sed -n 's/.* open_at_end=\([0-9]*\).*/\1/p')
closed=$(printf '%s' "$line" | sed -n 's/.* closed_by_peer=\([0-9]*\).*/\1/p')
cfail=$(printf '%s' "$line" | sed -n 's/.* connect_failed=\([0-9]*\).*/\1/p')
[ -n "$kept" ] || fail "flood printed: $line"
[ "$kept" -le "$PER_IP" ] || fail "A kept $kept flood connections > max_per_ip $PER_IP ($line)"
[ "$((kept + closed + cfail))" = 500 ] || fail "flood: $line"
m=$(rpc "$SA" metrics)
per_ip=$(printf '%s' "$m" | json_num refused_inbound_per_ip)
total=$(printf '%s' "$m" | json_num refused_inbound_total_cap)
rate=$(printf '%s' "$m" | json_num refused_inbound_rate)
# Connections A closed after their handshake started (the kept ones are
# dropped when flood exits, later) are not refusals; every other one is.
[ "$per_ip" = $((500 - kept - cfail)) ] ||
    fail "refused_inbound_per_ip $per_ip, want $((500 - kept - cfail)) ($line)"
[ "$total" = 0 ] && [ "$rate" = 0 ] ||
    fail "refused_inbound_total_cap $total, refused_inbound_rate $rate: want 0"
nlog=$(grep -c ': info: refused inbound connection from /ip4/127.0.0.1/tcp/[0-9]*: ' "$TMP/a.log")
[ "$nlog" -ge 1 ] && [ "$nlog" -le 10 ] || fail "$nlog refused-connection log lines"
expect_match "$(rpc "$SA" conn.stats)" '"count":0,' "no flood connection got through"
ok "flood of 500: A kept $kept (max_per_ip $PER_IP), refused $per_ip ($line); $nlog log lines"

# Real dialers: at most max_per_ip connected at any sample.
if [ -x "$DIALER" ]; then
	# flood has exited: A sees EOF on the kept handshakes and releases
	# their slots.
	sleep 0.5
	timeout -k 2 30 "$DIALER" -n 20 -c 20 -H 4 -t 20 hold "$A_ADDR" \
	    >"$TMP/dialer.out" 2>&1 &
	DPID=$!
	track_pid "$DPID"
	maxin=0
	i=0
	while pid_alive "$DPID" && [ "$i" -lt 100 ]; do
		in=$(rpc "$SA" conn.stats | json_num inbound)
		[ -n "$in" ] || fail "conn.stats failed"
		[ "$in" -le "$PER_IP" ] || fail "$in inbound connections > max_per_ip $PER_IP"
		[ "$in" -gt "$maxin" ] && maxin=$in
		i=$((i + 1))
		sleep 0.1
	done
	wait "$DPID"
	[ "$maxin" -ge 1 ] || fail "no dialer connection got through ($(cat "$TMP/dialer.out"))"
	per_ip2=$(rpc "$SA" metrics | json_num refused_inbound_per_ip)
	[ "$per_ip2" -gt "$per_ip" ] || fail "the dialers were not refused ($(cat "$TMP/dialer.out"))"
	ok "20 libp2p dialers: at most $maxin inbound at a sample (cap $PER_IP)," \
	    "$((per_ip2 - per_ip)) refused"
fi

# A legitimate peer from 127.0.0.1 still gets in once the flood is gone.
write_ctl_conf "$TMP/b.conf" "$TMP/b"
start_daemon "$TMP/b.log" "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: control socket '
inb_low() {
	[ "$(rpc "$SA" conn.stats | json_num inbound)" = 0 ]
}
wait_until "the dialers' connections to close" inb_low
sleep 0.5
ctl_expect 0 "$TMP/b/control.sock" connect "$A_ADDR"
ok "after the flood a peer from 127.0.0.1 connects normally"

for n in A B; do
	use_daemon "$n"
	grep -q 'AddressSanitizer\|runtime error\|: error: ' "$DAEMON_LOG" &&
	    fail "$n: error in the log"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
exit 0
