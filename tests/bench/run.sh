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

usage() {
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
}
[ $# -eq 1 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd) || usage
SRC=$(cd "$(dirname "$0")/../.." && pwd)

PEERDISCD=$BUILD/daemon/peerdiscd
DIALER=$BUILD/tests/bench/dialer
FLOOR=$BUILD/tests/bench/crypto-floor
JSNODE=$SRC/tests/interop/jsnode.mjs

REPS=${BENCH_REPS:-3}
CONC=${BENCH_CONC:-8}
PD_N=${BENCH_PD_N:-2000}
JS_N=${BENCH_JS_N:-500}
PING_S=${BENCH_PING_S:-3}
BUDGET=${BENCH_BUDGET:-240}
HOLDS="50 200"
TICKS=$(getconf CLK_TCK)

for f in "$PEERDISCD" "$DIALER" "$FLOOR"; do
	[ -x "$f" ] || { echo "run.sh: $f is not built" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-bench.XXXXXX") || exit 2
PD_TPID=	# timeout(1) wrapping peerdiscd
PD_PID=		# peerdiscd itself (from its log line)
JS_PID=
HOLD_TPID=
WATCHDOG=
STATUS=0

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	for p in $HOLD_TPID $PD_TPID $JS_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $HOLD_TPID $PD_TPID $PD_PID $JS_PID; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 1' HUP INT TERM

# The whole run is bounded: the watchdog signals us after BUDGET seconds.
( trap 'kill -TERM "$sp" 2>/dev/null; exit 0' TERM
  sleep "$BUDGET" &
  sp=$!
  wait "$sp" && echo "run.sh: over the ${BUDGET}s budget, giving up" >&2 &&
      kill -TERM $$ ) </dev/null >/dev/null &
WATCHDOG=$!

# Raw lines go to fd 3 (stdout), also from inside command substitutions.
exec 3>&1
log() {
	echo "# $*" >&3
}

alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]
}

# utime+stime of PID in clock ticks (all threads).
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# "VmRSS RssAnon" of PID in KiB.
rss_kib() {
	awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
	    END { print r + 0, a + 0 }' "/proc/$1/status" 2>/dev/null
}

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for() {
	_i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le $(($3 * 20)) ] || return 1
		sleep 0.05
	done
	return 0
}

# field KEY LINE: the value of KEY=value in a dialer result line.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

median() {
	tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- listeners ----

start_peerdiscd() {
	cat >"$TMP/pd.conf" <<CONF
[node]
state_dir = $TMP/pd-state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $TMP/pd-control.sock
[mdns]
enabled = no
[dht]
enabled = no
[bootstrap]
enabled = no
[peers]
# A benchmark from one loopback address: lift the per-IP and total caps.
max_peers = 10000
min_peers = 0
max_per_ip = 1000
max_inbound = 4096
inbound_rate_per_ip = 0
CONF
	timeout -k 2 "$BUDGET" "$PEERDISCD" -c "$TMP/pd.conf" \
	    2>"$TMP/pd.log" </dev/null &
	PD_TPID=$!
	if ! wait_for "$TMP/pd.log" ': info: listening on ' 10; then
		echo "run.sh: peerdiscd did not start:" >&2
		cat "$TMP/pd.log" >&2
		return 1
	fi
	PD_PID=$(sed -n 's/^peerdiscd\[\([0-9]*\)\]: info: listening on .*/\1/p' \
	    "$TMP/pd.log" | head -n 1)
	TARGET=$(sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on //p' \
	    "$TMP/pd.log" | head -n 1)
	LPID=$PD_PID
}

stop_peerdiscd() {
	kill -TERM "$PD_TPID" 2>/dev/null
	wait "$PD_TPID" 2>/dev/null
	PD_TPID=
	PD_PID=
}

js_usable() {
	command -v node >/dev/null 2>&1 || { JS_WHY="node not in PATH"; return 1; }
	[ -d "$SRC/tests/interop/node_modules" ] ||
	    { JS_WHY="tests/interop/node_modules absent (npm ci)"; return 1; }
	_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	[ "${_major:-0}" -ge 20 ] 2>/dev/null ||
	    { JS_WHY="node older than 20"; return 1; }
	return 0
}

start_js() {
	# jsnode lifts js's inbound rate limits itself; maxConnections is ours.
	node --expose-gc --import "$SRC/tests/bench/js-gc.mjs" \
	    "$JSNODE" --listen /ip4/127.0.0.1/tcp/0 --max-connections 100000 \
	    --exit-after "$BUDGET" >"$TMP/js.out" 2>"$TMP/js.err" </dev/null &
	JS_PID=$!
	if ! wait_for "$TMP/js.out" '"event":"listening"' 20; then
		echo "run.sh: jsnode did not start:" >&2
		cat "$TMP/js.err" >&2
		return 1
	fi
	TARGET=$(sed -n 's/.*"event":"listening".*"addrs":\["\([^"]*\)".*/\1/p' \
	    "$TMP/js.out" | head -n 1)
	LPID=$JS_PID
}

stop_js() {
	kill -TERM "$JS_PID" 2>/dev/null
	wait "$JS_PID" 2>/dev/null
	JS_PID=
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

# Let the listener go quiet before an RSS sample; js also gets a full GC
# (SIGUSR2, see js-gc.mjs) so that garbage does not count as memory.
settle() {
	sleep 1
	if [ "$LPID" = "$JS_PID" ]; then
		kill -USR2 "$JS_PID" 2>/dev/null
		sleep 0.5
	fi
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

BUILD_CFLAGS=$(sed -n 's/^CFLAGS = //p' "$BUILD/Makefile" 2>/dev/null)
BUILD_SAN=$(sed -n 's/^SAN_CFLAGS = //p' "$BUILD/Makefile" 2>/dev/null)
case "$BUILD_CFLAGS" in
*-O2*|*-O3*) ;;
*) log "WARNING: $BUILD is built with CFLAGS='$BUILD_CFLAGS' (not optimized)" ;;
esac
[ -z "$BUILD_SAN" ] || log "WARNING: $BUILD is built with sanitizers ($BUILD_SAN)"

log "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "build $BUILD (CFLAGS='$BUILD_CFLAGS'), concurrency $CONC, $REPS runs per CPU figure (median)"

floor_out=$("$FLOOR" --seconds 2) || { echo "run.sh: crypto-floor failed" >&2; exit 1; }
echo "$floor_out" | grep -v '^result' | sed 's/^/# /' >&3
floor_line=$(echo "$floor_out" | grep '^result ')
FLOOR_HS=$(field handshake_per_cpu_s "$floor_line")
FLOOR_HSID=$(field handshake_identify_per_cpu_s "$floor_line")

if start_peerdiscd; then
	log "peerdiscd $PD_PID at $TARGET"
	bench peerdiscd pd "$PD_N"
	stop_peerdiscd
else
	STATUS=1
fi

if js_usable; then
	if start_js; then
		log "js-libp2p $JS_PID at $TARGET ($(node --version))"
		bench js-libp2p js "$JS_N"
		stop_js
	else
		STATUS=1
	fi
else
	log "js-libp2p skipped: $JS_WHY"
fi

# ---- table ----

# num X: X if it is a number, else empty.
num() {
	case "$1" in
	''|failed|n/a|*[!0-9.e+-]*) ;;
	*) echo "$1" ;;
	esac
}
# fmt X DECIMALS
fmt() {
	if [ -n "$(num "$1")" ]; then
		awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'
	elif [ -n "$1" ]; then
		echo "$1"
	else
		echo "n/a"
	fi
}
# ratio A B DECIMALS SUFFIX: A / B
ratio() {
	if [ -n "$(num "$1")" ] && [ -n "$(num "$2")" ]; then
		awk -v a="$1" -v b="$2" -v d="$3" -v s="$4" \
		    'BEGIN { if (b > 0) printf "%.*f%s", d, a / b, s; else print "n/a" }'
	else
		echo "n/a"
	fi
}
# pct A B: A / B in per cent
pct() {
	if [ -n "$(num "$1")" ] && [ -n "$(num "$2")" ]; then
		awk -v a="$1" -v b="$2" \
		    'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "n/a" }'
	else
		echo "n/a"
	fi
}
us() {
	if [ -n "$(num "$1")" ]; then
		awk -v r="$1" 'BEGIN { if (r > 0) print 1e6 / r; else print "n/a" }'
	else
		echo "$1"
	fi
}
mib() {
	if [ -n "$1" ]; then
		echo "$1" | awk '{ printf "%.1f / %.1f", $1 / 1024, $2 / 1024 }'
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
