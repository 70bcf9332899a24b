#!/bin/sh
# run.sh - transport benchmark: peerdiscd against js-libp2p, each as a
# listener on 127.0.0.1 driven by the same C load driver (tests/bench/dialer),
# and both against libsodium's crypto floor (tests/bench/crypto-floor).
#
#   tests/bench/run.sh BUILD_DIR
#
# BUILD_DIR is a configured and built tree (`make` builds daemon/peerdiscd
# and tests/bench/{dialer,crypto-floor}); build it optimized, e.g.
#   /work/main/configure -q CFLAGS='-O2 -g' && make -j2
# Nothing is built here.  The js listener needs node >= 20 and
# tests/interop/node_modules (cd tests/interop && npm ci); without them the
# js column says n/a.
#
# The listener's CPU is utime+stime from /proc/PID/stat (clock ticks) read
# before and after each dialer run, so the load driver's own CPU does not
# count.  RSS is VmRSS and RssAnon from /proc/PID/status.  The result is one
# markdown table on stdout (with the raw per-run lines before it).  No
# figure is judged: the exit status is 0 when every run completed, 1 when
# some run failed (its cell says so), 2 for a bad command line.
#
# Environment knobs (defaults in brackets): BENCH_REPS [3] runs per CPU
# figure (the median is shown), BENCH_CONC [8] dialer concurrency,
# BENCH_PD_N [2000] / BENCH_JS_N [500] handshakes per run,
# BENCH_PING_S [3] seconds of ping (js aborts a ping stream after 10 s),
# BENCH_BUDGET [240] seconds before the whole script gives up.

ME=run.sh
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args "$@"

PEERDISCD=$BUILD/daemon/peerdiscd
DIALER=$BUILD/tests/bench/dialer
FLOOR=$BUILD/tests/bench/crypto-floor

REPS=${BENCH_REPS:-3}
CONC=${BENCH_CONC:-8}
PD_N=${BENCH_PD_N:-2000}
JS_N=${BENCH_JS_N:-500}
PING_S=${BENCH_PING_S:-3}
BUDGET=${BENCH_BUDGET:-240}
HOLDS="50 200"
TICKS=$(getconf CLK_TCK)

bench_need "$PEERDISCD" "$DIALER" "$FLOOR"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-bench.XXXXXX") || exit 2
PD_TPID=	# timeout(1) wrapping peerdiscd
PD_PID=		# peerdiscd itself (from its log line)
JS_PID=
HOLD_TPID=
STATUS=0
BENCH_PIDVARS="HOLD_TPID PD_TPID PD_PID JS_PID"
bench_traps
bench_watchdog "$BUDGET"

# ---- listeners ----

start_peerdiscd() {
	bench_pd_conf "$TMP/pd.conf" "$TMP"
	bench_start_pd "$TMP/pd.conf" "$TMP/pd.log" "$BUDGET"
}

# ---- measurements against the listener LPID at TARGET ----

# cpu_run NAME N MODE: one dialer run; prints "ops cpu_s line".
cpu_run() {
	_t0=$(cpu_ticks "$LPID")
	_line=$(timeout -k 2 90 "$DIALER" -t 80 -c "$CONC" -n "$2" "$3" \
	    "$TARGET" | grep '^result ')
	sleep 0.3	# the listener's last teardowns
	_t1=$(cpu_ticks "$LPID")
	log "$1 $3: $_line listener_cpu_s=$(awk -v a="$_t0" -v b="$_t1" \
	    -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')"
	_ok=$(field ok "$_line")
	if [ -z "$_ok" ] || [ "$_ok" = 0 ] || [ -z "$_t1" ]; then
		echo "0 0"
		return 1
	fi
	echo "$_ok $(awk -v a="$_t0" -v b="$_t1" -v t="$TICKS" \
	    'BEGIN { print (b - a) / t }')"
	[ "$(field failed "$_line")" = 0 ]
}

# measure_cpu NAME N MODE VAR: REPS runs; VAR_rate = median ops per listener
# CPU-second (n/a if a run failed).
measure_cpu() {
	_rates=
	_bad=0
	for _r in $(seq "$REPS"); do
		_res=$(cpu_run "$1" "$2" "$3") || _bad=1
		_rates="$_rates $(echo "$_res" | awk '$2 > 0 { print $1 / $2 }')"
	done
	_m=$(echo "$_rates" | median)
	[ "$_bad" = 0 ] || { _m="failed"; STATUS=1; }
	eval "$4=\$_m"
}

# measure_hold NAME K VAR: hold K connections; VAR_vm and VAR_anon =
# KiB per held connection (VmRSS, RssAnon) over the idle RSS just before.
measure_hold() {
	settle
	_idle=$(rss_kib "$LPID")
	_out=$TMP/hold-$1-$2.out
	: >"$_out"	# before the dialer starts: no stale "held" line
	timeout -k 2 60 "$DIALER" -t 50 -c "$CONC" -n "$2" hold "$TARGET" \
	    >>"$_out" 2>"$TMP/hold-$1-$2.err" &
	HOLD_TPID=$!
	_held=
	if wait_for "$_out" '^held ' 40 &&
	    grep -q '^held .* failed=0 ' "$_out"; then
		settle
		_held=$(rss_kib "$LPID")
	fi
	kill -TERM "$HOLD_TPID" 2>/dev/null
	wait "$HOLD_TPID" 2>/dev/null
	HOLD_TPID=
	log "$1 hold $2: idle_kib(vm anon)=$_idle held_kib(vm anon)=$_held" \
	    "$(grep '^result ' "$_out")"
	if [ -z "$_held" ]; then
		STATUS=1
		_vm=failed
		_anon=failed
	else
		_vm=$(echo "$_idle $_held" | awk -v k="$2" \
		    '{ printf "%.1f", ($3 - $1) / k }')
		_anon=$(echo "$_idle $_held" | awk -v k="$2" \
		    '{ printf "%.1f", ($4 - $2) / k }')
	fi
	eval "$3_vm=\$_vm; $3_anon=\$_anon"
}

# measure_ping NAME VAR: VAR_rate round trips per second (wall),
# VAR_cpu = listener CPU microseconds per round trip.
measure_ping() {
	_t0=$(cpu_ticks "$LPID")
	_line=$(timeout -k 2 $((PING_S + 30)) "$DIALER" -t $((PING_S + 20)) \
	    -s "$PING_S" ping "$TARGET" | grep '^result ')
	sleep 0.3
	_t1=$(cpu_ticks "$LPID")
	log "$1 ping: $_line listener_cpu_s=$(awk -v a="$_t0" -v b="$_t1" \
	    -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')"
	_rate=failed
	_cpu=failed
	if [ "$(field failed "$_line")" = 0 ] && [ -n "$_t1" ]; then
		_rate=$(field per_s "$_line")
		_cpu=$(awk -v a="$_t0" -v b="$_t1" -v t="$TICKS" \
		    -v n="$(field round_trips "$_line")" \
		    'BEGIN { printf "%.1f", (b - a) / t / n * 1e6 }')
	else
		STATUS=1
	fi
	eval "$2_rate=\$_rate; $2_cpu=\$_cpu"
}

# bench NAME PREFIX N: every figure for the running listener.
bench() {
	sleep 1
	_idle=$(rss_kib "$LPID")
	eval "$2_idle0=\"\$_idle\""
	log "$1: idle RSS (vm anon KiB) 1 s after start: $_idle"
	# Warm-up (js JIT, lazy module set-up, allocator pools), not measured.
	timeout -k 2 60 "$DIALER" -t 50 -c "$CONC" -n $(($3 / 10)) \
	    handshake+identify "$TARGET" >/dev/null 2>&1
	for _k in $HOLDS; do
		measure_hold "$1" "$_k" "$2_h$_k"
	done
	measure_cpu "$1" "$3" handshake "$2_hs"
	measure_cpu "$1" "$3" handshake+identify "$2_hsid"
	measure_ping "$1" "$2_ping"
	alive "$LPID" || { echo "run.sh: $1 died during the run" >&2; STATUS=1; }
}

# ---- run ----

bench_build_info
log "build $BUILD (CFLAGS='$BUILD_CFLAGS'), concurrency $CONC, $REPS runs per CPU figure (median)"

floor_out=$("$FLOOR" --seconds 2) || { echo "run.sh: crypto-floor failed" >&2; exit 1; }
echo "$floor_out" | grep -v '^result' | sed 's/^/# /' >&3
floor_line=$(echo "$floor_out" | grep '^result ')
FLOOR_HS=$(field handshake_per_cpu_s "$floor_line")
FLOOR_HSID=$(field handshake_identify_per_cpu_s "$floor_line")

if start_peerdiscd; then
	log "peerdiscd $PD_PID at $TARGET"
	bench peerdiscd pd "$PD_N"
	bench_stop_pd
else
	STATUS=1
fi

if js_usable; then
	if bench_start_js "$BUDGET"; then
		log "js-libp2p $JS_PID at $TARGET ($(node --version))"
		bench js-libp2p js "$JS_N"
		bench_stop_js
	else
		STATUS=1
	fi
else
	log "js-libp2p skipped: $JS_WHY"
fi

# ---- table ----

# pct A B: A / B in per cent
pct() {
	if [ -n "$(num "$1")" ] && [ -n "$(num "$2")" ]; then
		awk -v a="$1" -v b="$2" \
		    'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "n/a" }'
	else
		echo "n/a"
	fi
}
kib2() {
	if [ -n "$(num "$1")" ]; then
		echo "$(fmt "$1" 1) / $(fmt "$2" 1)"
	else
		echo "${1:-n/a}"
	fi
}

row() {
	echo "| $1 | $2 | $3 | $4 | $5 | $6 |"
}

# (js skipped, or a listener that did not start: empty, shown as n/a).
pd_hs=${pd_hs:-}; pd_hsid=${pd_hsid:-}; pd_idle0=${pd_idle0:-}
pd_ping_rate=${pd_ping_rate:-}; pd_ping_cpu=${pd_ping_cpu:-}
js_hs=${js_hs:-}; js_hsid=${js_hsid:-}; js_idle0=${js_idle0:-}
js_ping_rate=${js_ping_rate:-}; js_ping_cpu=${js_ping_cpu:-}

pd_hs_us=$(us "$pd_hs"); js_hs_us=$(us "$js_hs")
pd_hsid_us=$(us "$pd_hsid"); js_hsid_us=$(us "$js_hsid")

echo
echo "| figure | peerdiscd | js-libp2p | crypto floor | peerdiscd/floor % | peerdiscd vs js × |"
echo "| --- | --- | --- | --- | --- | --- |"
row "handshakes per listener CPU-second (TCP+Noise+yamux)" \
    "$(fmt "$pd_hs" 0)" "$(fmt "$js_hs" 0)" "$(fmt "$FLOOR_HS" 0)" \
    "$(pct "$pd_hs" "$FLOOR_HS")" \
    "$(ratio "$pd_hs" "$js_hs" 1 '')"
row "listener CPU per handshake, µs" \
    "$(fmt "$pd_hs_us" 0)" "$(fmt "$js_hs_us" 0)" "$(fmt "$(us "$FLOOR_HS")" 0)" \
    "–" "$(ratio "$js_hs_us" "$pd_hs_us" 1 '')"
row "handshakes+identify per listener CPU-second" \
    "$(fmt "$pd_hsid" 0)" "$(fmt "$js_hsid" 0)" "$(fmt "$FLOOR_HSID" 0)" \
    "$(pct "$pd_hsid" "$FLOOR_HSID")" \
    "$(ratio "$pd_hsid" "$js_hsid" 1 '')"
row "listener CPU per handshake+identify, µs" \
    "$(fmt "$pd_hsid_us" 0)" "$(fmt "$js_hsid_us" 0)" "$(fmt "$(us "$FLOOR_HSID")" 0)" \
    "–" "$(ratio "$js_hsid_us" "$pd_hsid_us" 1 '')"
row "idle RSS 1 s after start, MiB (VmRSS / RssAnon)" \
    "$(mib "$pd_idle0")" "$(mib "$js_idle0")" "–" "–" \
    "$(ratio "$(echo "$js_idle0" | cut -d' ' -f1)" "$(echo "$pd_idle0" | cut -d' ' -f1)" 0 '')"
for k in $HOLDS; do
	eval "pv=\$pd_h${k}_vm; pa=\$pd_h${k}_anon; jv=\$js_h${k}_vm; ja=\$js_h${k}_anon"
	# shellcheck disable=SC2154 # set by the eval above
	row "RSS per held connection, $k held, KiB (VmRSS / RssAnon)" \
	    "$(kib2 "$pv" "$pa")" "$(kib2 "$jv" "$ja")" "–" "–" \
	    "$(ratio "$jv" "$pv" 0 '')"
done
row "ping round trips per second, one reused stream (wall)" \
    "$(fmt "$pd_ping_rate" 0)" "$(fmt "$js_ping_rate" 0)" "–" "–" \
    "$(ratio "$pd_ping_rate" "$js_ping_rate" 1 '')"
row "listener CPU per ping round trip, µs" \
    "$(fmt "$pd_ping_cpu" 1)" "$(fmt "$js_ping_cpu" 1)" "–" "–" \
    "$(ratio "$js_ping_cpu" "$pd_ping_cpu" 1 '')"
echo
echo "× > 1: peerdiscd is better (rates: peerdiscd/js; costs in µs, MiB, KiB: js/peerdiscd)."
echo "Targets of the transport issue (informational, not checked): >= 60 % of the" \
    "crypto floor per CPU-second, >= 10× js, <= 16 KiB RSS per idle connection."
exit "$STATUS"
