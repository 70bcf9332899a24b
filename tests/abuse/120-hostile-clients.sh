#!/bin/sh
# 120-hostile-clients: hostile local clients on the control socket
# (issue 10).  peerdiscd runs on 127.0.0.1 with a ctl conf; for each
# abuse mode of tests/tools/ctlabuse, $PD_ABUSE_CLIENTS (default 1,000)
# clients misbehave for $PD_ABUSE_SECONDS (default 6) while a probe opens
# a fresh connection every 100 ms, sends node.info and times the reply:
#   idle     connect and hold, send nothing
#   partial  send a request line byte by byte (one byte per client every
#            10 ms), never a newline
#   noread   pipeline 5,000 node.info per client, never read a reply
#   churn    1,000 slots connect and close in a loop (every other one
#            sends node.info first, then closes without reading)
# The holding modes (idle, partial, noread) run twice: with 1,000 clients,
# and with $CAP_MINUS clients (the daemon's client cap, 256, less 16) so
# that the daemon's cap is not the limiting factor.
#
# Asserted per phase:
#   - probe: every probe answered with a result, p99 < 100 ms;
#   - RSS: the daemon's peak (VmHWM) stays under RSS0 + 80 MiB, where
#     RSS0 is its RSS after start.  Derivation: at most 256 clients
#     (CTL_DEFAULT_MAX_CLIENTS), each buffering at most CTL_OUTPUT_HIGH
#     (256 KiB) of replies before the daemon stops reading it, plus one
#     reply and libevent's slack: 256 x 320 KiB = 80 MiB.  (The plain
#     build measured 6.3 MiB idle, 74 MiB peak after noread.)  ASan
#     builds run with quarantine_size_mb=0 (as 042 does) and get
#     RSS0 + 160 MiB (shadow memory and redzones);
#   - CPU, as a share of one core over the probe window: idle <= 10 %,
#     partial <= 60 %, noread <= 60 % (ASan builds: noread is reported,
#     not bounded: each reply costs about 3x and the daemon is still
#     answering the pipelined flood through the whole window, measured
#     84-98 %); churn is work the daemon is asked
#     to do, so its bound is per connection: daemon CPU time / connect-
#     close cycles <= 100 us (ASan: 400 us);
#   - afterwards the daemon is alive, its client count drops back to 1
#     (the asking client) and a fresh node.info is answered.
# A table of every phase is printed at the end.
#
# Known daemon limitations (reported, issue 10), tolerated unless
# PD_ABUSE_STRICT=1:
#  - control.c has no idle timeout and no reserved slot, so 256 idle,
#    partial or non-reading clients lock every other client out (the
#    probe is accepted and closed at once: "refused"), and a churning
#    flood that keeps the cap full refuses some fresh clients.  Probes
#    refused while the daemon logged "256 clients connected, the limit"
#    in that phase (and none timed out or got a bad reply) are reported
#    as CAP-REFUSED(known) instead of failing;
#  - ctl_client_process() answers every complete line a client has
#    buffered in one callback (up to CTL_OUTPUT_HIGH of replies), so
#    while 240 clients pipeline, a fresh client waits for a whole round
#    (measured p99 about 870 ms with 240 clients; with 1,000 a probe's
#    connect(2) waited over 2 s in the full listen backlog).  The noread
#    phases wait up to 5 s per probe and their p99 bound is 5,000 ms
#    (noted SLOW(known)) instead of 100 ms;
#  - strict mode also runs "partial-fast" (256 clients, 8 KiB writes
#    every 2 ms, never a newline), which must stay under the same RSS
#    bound; today it reaches about 256 x RPC_MAX_LINE = 256 MiB.
. "$top_srcdir/tests/integration/lib.sh"

CTLABUSE="$top_builddir/tests/tools/ctlabuse"
NCLIENTS=${PD_ABUSE_CLIENTS:-1000}
PHASE_S=${PD_ABUSE_SECONDS:-6}
STRICT=${PD_ABUSE_STRICT:-0}
CAP=256			# CTL_DEFAULT_MAX_CLIENTS (daemon/control.h)
CAP_MINUS=$((CAP - 16))
P99_MAX_MS=100
NOREAD_P99_KNOWN_MS=5000	# known: see the header; PD_ABUSE_STRICT=1 uses 100
PROBE_S=$((PHASE_S - 2))

setup_tmp
[ -x "$CTLABUSE" ] || fail "$CTLABUSE not built"
[ "$PROBE_S" -ge 2 ] || fail "PD_ABUSE_SECONDS must be at least 4"

# descriptors: ctlabuse's clients, and the daemon's 256 plus its own
need_fds=$((NCLIENTS + 64))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
	ulimit -n "$need_fds" 2>/dev/null ||
	    skip "cannot raise ulimit -n to $need_fds (hard limit $(ulimit -Hn))"
fi

SAN=0
grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile" 2>/dev/null && SAN=1
if [ "$SAN" = 1 ]; then
	RSS_EXTRA_KIB=$((160 * 1024))
	CHURN_US_MAX=400
	NOREAD_CPU_MAX=report
else
	RSS_EXTRA_KIB=$((80 * 1024))
	CHURN_US_MAX=100
	NOREAD_CPU_MAX=60
fi
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
export ASAN_OPTIONS
HZ=$(getconf CLK_TCK)

maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
# shellcheck disable=SC2086
start_daemon "$TMP/log" $NETNS_CMD "$PEERDISCD" -c "$TMP/conf"
wait_for_log ': info: control socket '
rpc "$SOCK" node.info | grep -q '"result":' || fail "node.info before the test"
rss0=$(rss_kib "$DAEMON_PID")
[ -n "$rss0" ] || fail "no VmRSS for $DAEMON_PID"
RSS_MAX_KIB=$((rss0 + RSS_EXTRA_KIB))
echo "daemon pid $DAEMON_PID, RSS after start $rss0 KiB, bound $RSS_MAX_KIB KiB;" \
    "ulimit -n $(ulimit -n); sanitizers: $SAN"

# daemon CPU time in clock ticks (utime + stime)
cpu_ticks() {
	sed 's/^.*) //' "/proc/$DAEMON_PID/stat" | awk '{ print $12 + $13 }'
}
hwm_kib() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$DAEMON_PID/status"
}
now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}
# kv KEY FILE: the value of KEY=... on ctlabuse's result line
kv() {
	sed -n "s/^ctlabuse .* $1=\([^ ]*\).*/\1/p" "$2" | tail -n 1
}
clients_now() { rpc "$SOCK" metrics | json_num clients; }

FAILS=
TABLE="$TMP/table"
printf '%-13s %7s %6s %8s %6s %8s %8s %8s %8s %7s %s\n' mode clients held \
    refused probes p50_ms p99_ms max_ms rss_mib cpu_pct note >"$TABLE"

phase_fail() {
	echo "FAIL-CHECK: $*"
	FAILS="$FAILS
  - $*"
}

# phase NAME MODE N [ctlabuse options...]
phase() {
	name=$1 mode=$2 n=$3
	shift 3
	log_lines0=$(wc -l <"$TMP/log")
	"$CTLABUSE" -s "$SOCK" -m "$mode" -n "$n" -t "$PHASE_S" "$@" \
	    >"$TMP/$name.abuse" 2>"$TMP/$name.abuse.err" &
	apid=$!
	track_pid "$apid"
	sleep 1
	t0=$(now_ms)
	c0=$(cpu_ticks)
	pwait=2000
	[ "$mode" = noread ] && [ "$STRICT" != 1 ] && pwait=$NOREAD_P99_KNOWN_MS
	"$CTLABUSE" -s "$SOCK" -m probe -t "$PROBE_S" -i 100 -w "$pwait" \
	    >"$TMP/$name.probe" 2>"$TMP/$name.probe.err" ||
	    fail "$name: the probe failed: $(cat "$TMP/$name.probe.err")"
	c1=$(cpu_ticks)
	t1=$(now_ms)
	wait "$apid" || fail "$name: ctlabuse failed: $(cat "$TMP/$name.abuse.err")"
	pid_alive "$DAEMON_PID" || fail "$name: the daemon died"
	hwm=$(hwm_kib)
	cat "$TMP/$name.abuse" "$TMP/$name.probe"

	cpu=$(awk -v c="$((c1 - c0))" -v hz="$HZ" -v ms="$((t1 - t0))" \
	    'BEGIN { printf "%.1f", (ms > 0 ? 100 * c / hz / (ms / 1000) : 0) }')
	probes=$(kv probes "$TMP/$name.probe")
	ok=$(kv ok "$TMP/$name.probe")
	refused=$(kv refused "$TMP/$name.probe")
	timeouts=$(kv timeout "$TMP/$name.probe")
	bad=$(kv bad "$TMP/$name.probe")
	p50=$(kv p50_ms "$TMP/$name.probe")
	p99=$(kv p99_ms "$TMP/$name.probe")
	pmax=$(kv max_ms "$TMP/$name.probe")
	if [ "$mode" = churn ]; then
		held=$(kv max_open "$TMP/$name.abuse")
		cref=-
	else
		held=$(kv open_at_end "$TMP/$name.abuse")
		cref=$(kv closed_by_peer "$TMP/$name.abuse")
	fi
	note=
	[ -n "$probes" ] && [ -n "$ok" ] || fail "$name: no probe result"

	# the probe
	if [ "$refused" -gt 0 ] && [ "$timeouts" = 0 ] && [ "$bad" = 0 ] &&
	    sed -n "$((log_lines0 + 1)),\$p" "$TMP/log" |
	    grep -q "warn: control: $CAP clients connected, the limit; refusing new ones"; then
		note="CAP-REFUSED(known):$refused/$probes"
		[ "$STRICT" = 1 ] && phase_fail "$name: $refused of $probes" \
		    "fresh clients refused: hostile clients hold the" \
		    "$CAP-client cap (no idle timeout or reserved slot in" \
		    "control.c)"
	elif [ "$ok" != "$probes" ]; then
		phase_fail "$name: only $ok of $probes probes answered" \
		    "(refused $refused, timed out $timeouts, bad $bad)"
	fi
	p99max=$P99_MAX_MS
	if [ "$mode" = noread ] && [ "$STRICT" != 1 ]; then
		p99max=$NOREAD_P99_KNOWN_MS
		awk -v p="$p99" -v m="$P99_MAX_MS" 'BEGIN { exit !(p >= m) }' &&
		    note="${note:+$note,}SLOW(known)"
	fi
	if [ "$ok" -gt 0 ] && ! awk -v p="$p99" -v m="$p99max" \
	    'BEGIN { exit !(p < m) }'; then
		phase_fail "$name: probe p99 $p99 ms, not under $p99max ms"
	fi
	# memory
	[ "$hwm" -le "$RSS_MAX_KIB" ] ||
	    phase_fail "$name: peak RSS $hwm KiB over the bound $RSS_MAX_KIB KiB"
	# CPU
	case $mode in
	idle) cpumax=10 ;;
	partial) cpumax=60 ;;
	noread) cpumax=$NOREAD_CPU_MAX ;;
	*) cpumax= ;;
	esac
	if [ "$cpumax" = report ]; then
		note="${note:+$note,}cpu-not-bounded(asan)"
	elif [ -n "$cpumax" ]; then
		awk -v c="$cpu" -v m="$cpumax" 'BEGIN { exit !(c <= m) }' ||
		    phase_fail "$name: CPU $cpu % of a core, over $cpumax %"
	else
		cycles=$(kv cycles "$TMP/$name.abuse")
		# whole-phase CPU per cycle: measure again over the phase
		us=$(awk -v c="$((c1 - c0))" -v hz="$HZ" -v cy="$cycles" \
		    -v ps="$PROBE_S" -v ph="$PHASE_S" 'BEGIN {
			# cycles ran for the phase; the CPU was measured
			# over the probe window: scale the cycles down
			cw = cy * ps / ph
			printf "%.1f", (cw > 0 ? 1e6 * c / hz / cw : 1e9) }')
		note="${note:+$note,}${us}us/cycle,$cycles-cycles"
		awk -v u="$us" -v m="$CHURN_US_MAX" 'BEGIN { exit !(u <= m) }' ||
		    phase_fail "$name: $us us of daemon CPU per connect-close" \
		    "cycle, over $CHURN_US_MAX"
	fi
	# alive and serving afterwards, the hostile clients gone
	back() { [ "$(clients_now)" = 1 ]; }
	wait_until "$name: the hostile clients to be gone ($(clients_now) left)" back
	rpc "$SOCK" node.info | grep -q '^{"jsonrpc":"2.0","id":1,"result":{"peer_id":"' ||
	    fail "$name: no node.info after the phase"

	printf '%-13s %7s %6s %8s %6s %8s %8s %8s %8s %7s %s\n' "$name" "$n" \
	    "$held" "$cref" "$ok/$probes" "$p50" "$p99" "$pmax" \
	    "$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')" "$cpu" \
	    "$note" >>"$TABLE"
	ok "$name: done (probe ok $ok/$probes p99 $p99 ms, peak RSS $hwm KiB, CPU $cpu %)"
}

phase idle-cap idle "$CAP_MINUS"
phase partial-cap partial "$CAP_MINUS" -i 10 -b 1
phase noread-cap noread "$CAP_MINUS" -k 5000
phase idle idle "$NCLIENTS"
phase partial partial "$NCLIENTS" -i 10 -b 1
phase noread noread "$NCLIENTS" -k 5000
phase churn churn "$NCLIENTS"
[ "$STRICT" = 1 ] && phase partial-fast partial "$CAP" -i 2 -b 8192

refusals=$(rpc "$SOCK" metrics | json_num refused)
echo "--- results (held: clients ctlabuse still had open at the end;" \
    "refused: closed by the daemon's cap; rss: peak VmHWM; cpu: % of a" \
    "core over the probe window; the daemon refused $refusals connections" \
    "in all)"
cat "$TABLE"
echo "--- daemon log lines: $(wc -l <"$TMP/log")" \
    "(cap warnings: $(grep -c 'the limit; refusing new ones' "$TMP/log"))"
[ -z "$FAILS" ] || fail "checks failed:$FAILS"

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
exit 0
