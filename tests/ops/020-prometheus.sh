#!/bin/sh
# 020-prometheus: `peerdiscctl metrics --prometheus` against two real
# daemons on 127.0.0.1.  Every line of its output is a "# HELP", a
# "# TYPE" (counter or gauge) or a sample, checked with a strict regular
# expression each; each family is HELP, TYPE, one sample of the same
# name, names unique and valid, counters named *_total and gauges not;
# every number of the metrics method (counters, gauges, control) is
# there, rss_bytes and the control socket's among them; the output ends
# with a newline (node_exporter's textfile collector needs it).  After
# B connects to A, B's outbound-connection counter and A's inbound one
# have moved by one.  The plain `metrics` prints a table;
# `status --prometheus` is a usage error.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"

write_ctl_conf "$TMP/a.conf" "$TMP/a"
write_ctl_conf "$TMP/b.conf" "$TMP/b"
SA="$TMP/a/control.sock"
SB="$TMP/b/control.sock"
start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
save_daemon A
start_daemon "$TMP/b.log" "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: control socket '
use_daemon A
wait_for_log ': info: control socket '
A_ADDR=$(logged_listen_addr)
[ -n "$A_ADDR" ] || fail "A logged no listen address"

# check_prom FILE: the strict format checks; prints the sample lines.
check_prom() {
	[ -s "$1" ] || fail "no output in $1"
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] ||
	    fail "output does not end with a newline"
	awk '
	function bad(why) { printf "line %d: %s: %s\n", NR, why, $0; err = 1; exit 1 }
	{
		state = (NR - 1) % 3
		if (state == 0) {
			if ($0 !~ /^# HELP peerdisc_[a-zA-Z0-9_]+ [^\\]+$/) bad("not a HELP line")
			name = $3
			if (name in seen) bad("duplicate family")
			seen[name] = 1
		} else if (state == 1) {
			if ($0 !~ /^# TYPE peerdisc_[a-zA-Z0-9_]+ (counter|gauge)$/) bad("not a TYPE line")
			if ($3 != name) bad("TYPE of another name")
			type = $4
			if (type == "counter" && name !~ /_total$/) bad("counter not named _total")
			if (type == "gauge" && name ~ /_total$/) bad("gauge named _total")
		} else {
			if ($0 !~ /^peerdisc_[a-zA-Z0-9_]+ -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) bad("not a sample line")
			if ($1 != name) bad("sample of another name")
			if (type == "counter" && $2 < 0) bad("negative counter")
		}
	}
	END { if (!err && NR % 3 != 0) { print "truncated family at the end"; exit 1 } }
	' "$1" >"$TMP/awk.err" || fail "bad Prometheus text: $(cat "$TMP/awk.err")"
}

# metric FILE NAME: the value of sample NAME.
metric() {
	sed -n "s/^$2 \\([-0-9.eE+]*\\)\$/\\1/p" "$1"
}

ctl_expect 0 "$SB" metrics --prometheus
cp "$TMP/ctl.out" "$TMP/b0.prom"
check_prom "$TMP/b0.prom"
nfam=$(($(wc -l <"$TMP/b0.prom") / 3))

# Every number of the method's result is exported.
ctl_expect 0 "$SB" --json metrics
nnum=$(grep -o '"[a-zA-Z0-9_]*":-\{0,1\}[0-9]' "$TMP/ctl.out" | wc -l)
[ "$nfam" -eq "$nnum" ] || fail "$nfam families for $nnum numbers in $(cat "$TMP/ctl.out")"
for want in 'peerdisc_dials_total counter' 'peerdisc_connections_outbound_total counter' \
    'peerdisc_connections_inbound gauge' 'peerdisc_peers_known gauge' \
    'peerdisc_uptime_s gauge' 'peerdisc_rss_bytes gauge' \
    'peerdisc_control_clients gauge' 'peerdisc_control_requests_total counter' \
    'peerdisc_control_accepted_total counter'; do
	grep -q "^# TYPE $want\$" "$TMP/b0.prom" || fail "no '# TYPE $want' in $(cat "$TMP/b0.prom")"
done
rss=$(metric "$TMP/b0.prom" peerdisc_rss_bytes)
[ "$rss" -gt 100000 ] || fail "rss_bytes $rss is not a plausible RSS"
clients=$(metric "$TMP/b0.prom" peerdisc_control_clients)
[ "$clients" -ge 1 ] || fail "control_clients $clients while peerdiscctl is connected"
ok "$nfam families, strict format, rss_bytes $rss"

if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$TMP/b0.prom" >"$TMP/promtool.out" 2>&1 ||
	    fail "promtool check metrics: $(cat "$TMP/promtool.out")"
	ok "promtool check metrics accepts it"
fi

# ----- a counter moves after a connect -----
out0=$(metric "$TMP/b0.prom" peerdisc_connections_outbound_total)
dials0=$(metric "$TMP/b0.prom" peerdisc_dials_total)
ctl_expect 0 "$SA" metrics --prometheus
in0=$(metric "$TMP/ctl.out" peerdisc_connections_inbound_total)
ctl_expect 0 "$SB" connect "$A_ADDR"
ctl_expect 0 "$SB" metrics --prometheus
cp "$TMP/ctl.out" "$TMP/b1.prom"
check_prom "$TMP/b1.prom"
out1=$(metric "$TMP/b1.prom" peerdisc_connections_outbound_total)
dials1=$(metric "$TMP/b1.prom" peerdisc_dials_total)
[ "$out1" -eq $((out0 + 1)) ] || fail "B's connections_outbound_total $out0 -> $out1"
[ "$dials1" -gt "$dials0" ] || fail "B's dials_total $dials0 -> $dials1"
[ "$(metric "$TMP/b1.prom" peerdisc_connections_outbound)" -eq 1 ] ||
    fail "B's connections_outbound gauge is not 1"
a_in() {
	ctl_expect 0 "$SA" metrics --prometheus
	[ "$(metric "$TMP/ctl.out" peerdisc_connections_inbound_total)" -eq $((in0 + 1)) ]
}
wait_until "A's connections_inbound_total to move" a_in
ok "after connect: B outbound $out0 -> $out1, dials $dials0 -> $dials1, A inbound $in0 -> $((in0 + 1))"

# ----- the table, and the option elsewhere -----
ctl_expect 0 "$SB" metrics
expect_grep "$TMP/ctl.out" '^METRIC  *TYPE  *VALUE$' "metrics prints a table header"
expect_grep "$TMP/ctl.out" '^connections_outbound  *counter  *1$' "metrics table: counter row"
expect_grep "$TMP/ctl.out" '^connections_outbound  *gauge  *1$' "metrics table: gauge row"
expect_grep "$TMP/ctl.out" '^control\.clients  *gauge  *[0-9]' "metrics table: control row"
ctl_expect 1 "$SB" status --prometheus
expect_grep "$TMP/ctl.err" "status does not take --prometheus" "usage error names the option"
ok "metrics table; status --prometheus refused"
