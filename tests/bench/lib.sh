# tests/bench/lib.sh - shell helpers shared by the benchmark drivers
# (run.sh, kad-run.sh, control-run.sh, connmgr-run.sh), sourced, never run:
#   . "$(dirname "$0")/lib.sh"
# Process handling (a process started under timeout(1), waiting for a log
# line, CPU ticks and RSS from /proc/PID, killing by PID from the EXIT
# trap, an overall budget), peerdiscd and js-libp2p listeners on
# 127.0.0.1, and the number formatting of the result tables.
#
# Set before sourcing: ME (the script's name, for messages).  Set before
# bench_traps: TMP (removed on exit) and BENCH_PIDVARS, the names of the
# variables that hold PIDs to end on exit (each may hold several PIDs or
# none; they are read when the trap runs).  Every helper is POSIX sh and
# works under `set -u`.

BENCH_PIDVARS=${BENCH_PIDVARS:-}
WATCHDOG=
exec 3>&1	# raw lines go to fd 3 (stdout), also from $(...)

# log TEXT...: one raw line "# TEXT" on fd 3.
log() {
	echo "# $*" >&3
}

# bench_args "$@": the one BUILD_DIR argument; sets BUILD and SRC (exit 2
# with a usage line otherwise).
bench_args() {
	if [ $# -ne 1 ] || ! BUILD=$(cd "$1" 2>/dev/null && pwd); then
		echo "usage: $ME BUILD_DIR" >&2
		exit 2
	fi
	SRC=$(cd "$(dirname "$0")/../.." && pwd)
}

# bench_need FILE...: exit 2 unless every FILE is an executable.
bench_need() {
	for _f in "$@"; do
		[ -x "$_f" ] || { echo "$ME: $_f is not built" >&2; exit 2; }
	done
}

# bench_pids: the PIDs currently held by the variables in BENCH_PIDVARS.
bench_pids() {
	for _v in $BENCH_PIDVARS; do
		eval "echo \${$_v:-}"
	done
}

# The EXIT trap: SIGTERM to every PID, SIGKILL after 0.3 s, stop the
# watchdog, reap, remove TMP.
# shellcheck disable=SC2317 # called from the trap
bench_cleanup() {
	_pids=$(bench_pids)
	_any=
	for _p in $_pids; do
		kill -TERM "$_p" 2>/dev/null
		_any=1
	done
	if [ -n "$_any" ]; then
		sleep 0.3
		for _p in $_pids; do
			kill -KILL "$_p" 2>/dev/null
		done
	fi
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	wait 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# bench_traps: install the EXIT trap and exit 1 on HUP, INT and TERM.
bench_traps() {
	trap bench_cleanup EXIT
	trap 'echo "$ME: interrupted" >&2; exit 1' HUP INT TERM
}

# bench_watchdog SECONDS: SIGTERM this script after SECONDS (the whole run
# is bounded); the EXIT trap stops the watchdog.
bench_watchdog() {
	( trap 'kill -TERM "$sp" 2>/dev/null; exit 0' TERM
	  sleep "$1" &
	  sp=$!
	  wait "$sp" && echo "$ME: over the ${1}s budget, giving up" >&2 &&
	      kill -TERM $$ ) </dev/null >/dev/null &
	WATCHDOG=$!
}

# alive PID: PID exists and is not a zombie.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]
}

# cpu_ticks PID: utime+stime of PID in clock ticks (all threads).
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# rss_kib PID: "VmRSS RssAnon" of PID in KiB.
rss_kib() {
	awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
	    END { print r + 0, a + 0 }' "/proc/$1/status" 2>/dev/null
}

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN;
# 1 if it has none after SECONDS.
wait_for() {
	_i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le $(($3 * 20)) ] || return 1
		sleep 0.05
	done
	return 0
}

# field KEY LINE: the value of KEY=value in a result line.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# median: the median of the numbers on stdin (words), or n/a.
median() {
	tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_build_info: warn about an unoptimized or sanitized BUILD, then log
# the machine and the build (BUILD_CFLAGS is set for the caller).
bench_build_info() {
	BUILD_CFLAGS=$(sed -n 's/^CFLAGS = //p' "$BUILD/Makefile" 2>/dev/null)
	_san=$(sed -n 's/^SAN_CFLAGS = //p' "$BUILD/Makefile" 2>/dev/null)
	case "$BUILD_CFLAGS" in
	*-O2*|*-O3*) ;;
	*) log "WARNING: $BUILD is built with CFLAGS='$BUILD_CFLAGS' (not optimized)" ;;
	esac
	[ -z "$_san" ] || log "WARNING: $BUILD is built with sanitizers ($_san)"
	log "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---- listeners ----

# bench_pd_conf FILE DIR [DHT]: a peerdiscd config on 127.0.0.1 with its
# state and control socket in DIR, mDNS and bootstrap off, the per-IP and
# total caps lifted (one loopback address drives it).  DHT is the body of
# the [dht] section (default "enabled = no").
bench_pd_conf() {
	cat >"$1" <<CONF
[node]
state_dir = $2/pd-state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $2/pd-control.sock
[mdns]
enabled = no
[dht]
${3:-enabled = no}
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
}

# bench_start_pd CONF LOG SECONDS: peerdiscd -c CONF under timeout(1)
# (PD_TPID), stderr to LOG; waits for its "listening on" line and sets
# PD_PID (the daemon itself), LPID (the same: the measured listener) and
# TARGET (its address).  1 if it did not start (its log goes to stderr).
bench_start_pd() {
	timeout -k 2 "$3" "$PEERDISCD" -c "$1" 2>"$2" </dev/null &
	PD_TPID=$!
	if ! wait_for "$2" ': info: listening on ' 10; then
		echo "$ME: peerdiscd did not start:" >&2
		cat "$2" >&2
		return 1
	fi
	PD_PID=$(sed -n 's/^peerdiscd\[\([0-9]*\)\]: info: listening on .*/\1/p' \
	    "$2" | head -n 1)
	TARGET=$(sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on //p' \
	    "$2" | head -n 1)
	LPID=$PD_PID
}

# bench_stop_pd: SIGTERM to the timeout(1) around peerdiscd, and reap it.
bench_stop_pd() {
	kill -TERM "$PD_TPID" 2>/dev/null
	wait "$PD_TPID" 2>/dev/null
	PD_TPID=
	PD_PID=
}

# js_usable: node >= 20 and tests/interop/node_modules; else 1 with the
# reason in JS_WHY.
# shellcheck disable=SC2034 # JS_WHY is read by the sourcing script
js_usable() {
	command -v node >/dev/null 2>&1 || { JS_WHY="node not in PATH"; return 1; }
	[ -d "$SRC/tests/interop/node_modules" ] ||
	    { JS_WHY="tests/interop/node_modules absent (npm ci)"; return 1; }
	_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	[ "${_major:-0}" -ge 20 ] 2>/dev/null ||
	    { JS_WHY="node older than 20"; return 1; }
	return 0
}

# bench_start_js SECONDS [jsnode options]: a js-libp2p listener on
# 127.0.0.1 (tests/interop/jsnode.mjs, full GC on SIGUSR2) that exits
# after SECONDS; output in TMP/js.out and js.err.  jsnode lifts js's
# inbound rate limits itself; maxConnections is ours.  Sets JS_PID, TARGET
# and LPID; 1 if it did not start.
# shellcheck disable=SC2034 # TARGET is read by the sourcing script
bench_start_js() {
	_secs=$1
	shift
	node --expose-gc --import "$SRC/tests/bench/js-gc.mjs" \
	    "$SRC/tests/interop/jsnode.mjs" "$@" --listen /ip4/127.0.0.1/tcp/0 \
	    --max-connections 100000 --exit-after "$_secs" \
	    >"$TMP/js.out" 2>"$TMP/js.err" </dev/null &
	JS_PID=$!
	if ! wait_for "$TMP/js.out" '"event":"listening"' 20; then
		echo "$ME: jsnode did not start:" >&2
		cat "$TMP/js.err" >&2
		return 1
	fi
	TARGET=$(sed -n 's/.*"event":"listening".*"addrs":\["\([^"]*\)".*/\1/p' \
	    "$TMP/js.out" | head -n 1)
	LPID=$JS_PID
}

# bench_stop_js: SIGTERM to the js listener, and reap it.
bench_stop_js() {
	kill -TERM "$JS_PID" 2>/dev/null
	wait "$JS_PID" 2>/dev/null
	JS_PID=
}

# settle: let the listener LPID go quiet before an RSS sample; js also
# gets a full GC (SIGUSR2, js-gc.mjs) so that garbage does not count.
settle() {
	sleep 1
	if [ "$LPID" = "${JS_PID:-}" ]; then
		kill -USR2 "$JS_PID" 2>/dev/null
		sleep 0.5
	fi
}

# ---- table cells ----

# num X: X if it is a number, else nothing.
num() {
	case "$1" in
	''|failed|n/a|*[!0-9.e+-]*) ;;
	*) echo "$1" ;;
	esac
}

# fmt X DECIMALS: X rounded, X itself if it is not a number, n/a if empty.
fmt() {
	if [ -n "$(num "$1")" ]; then
		awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'
	elif [ -n "$1" ]; then
		echo "$1"
	else
		echo "n/a"
	fi
}

# ratio A B DECIMALS [SUFFIX]: A / B, or n/a.
ratio() {
	if [ -n "$(num "$1")" ] && [ -n "$(num "$2")" ]; then
		awk -v a="$1" -v b="$2" -v d="$3" -v s="${4:-}" \
		    'BEGIN { if (b > 0) printf "%.*f%s", d, a / b, s; else print "n/a" }'
	else
		echo "n/a"
	fi
}

# us RATE: microseconds per operation at RATE per second.
us() {
	if [ -n "$(num "$1")" ]; then
		awk -v r="$1" 'BEGIN { if (r > 0) print 1e6 / r; else print "n/a" }'
	else
		echo "$1"
	fi
}

# mib "VM ANON": both KiB figures as "x.x / y.y" MiB, or n/a.
mib() {
	if [ -n "$1" ] && [ "$1" != n/a ]; then
		echo "$1" | awk '{ printf "%.1f / %.1f", $1 / 1024, $2 / 1024 }'
	else
		echo "n/a"
	fi
}
