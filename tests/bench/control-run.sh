#!/bin/sh
# control-run.sh - control-socket benchmark: what peerdiscd pays for
# JSON-RPC requests on its control socket, and what it keeps per stored
# peer, for peer stores of N = 1000, 10000 and (budget allowing) 100000
# peers.  The load driver is tests/bench/control-bench.
#
#   tests/bench/control-run.sh BUILD_DIR
#
# BUILD_DIR is a configured and built tree (`make` builds daemon/peerdiscd
# and tests/bench/control-bench); build it optimized, e.g.
#   /work/main/configure -q CFLAGS='-O2 -g' && make -j2
# Nothing is built here.
#
# For each N a fresh peerdiscd runs on 127.0.0.1 (DHT, mDNS and bootstrap
# off; state directory and control socket in a mktemp -d directory;
# store_max 200000 and save_interval 24h so that only the store's own
# "save after a burst" timer and the shutdown save run).  Then, in order:
# N peers.add, node.info for CTL_BENCH_S seconds, peers.list {limit: N}
# for CTL_BENCH_S seconds, pipelined node.info for CTL_BENCH_S seconds,
# and SIGTERM, timing the exit (which saves the store).  The daemon's CPU
# is utime+stime from /proc/PID/stat around each run; RSS is VmRSS and
# RssAnon from /proc/PID/status before and after the adds.  No figure is
# judged: the exit status is 0 when every run completed, 1 when some run
# failed (its cell says so), 2 for a bad command line.
#
# Environment knobs (defaults in brackets): CTL_BENCH_SIZES
# ["1000 10000 100000"] store sizes (the last ones are skipped when the
# budget would not allow them), CTL_BENCH_S [3] seconds per round-trip
# figure, CTL_BENCH_DEPTH [64] requests in flight when pipelining,
# CTL_BENCH_BUDGET [120] seconds before the whole script gives up.

ME=control-run.sh
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args "$@"

PEERDISCD=$BUILD/daemon/peerdiscd
CBENCH=$BUILD/tests/bench/control-bench

SIZES=${CTL_BENCH_SIZES:-1000 10000 100000}
SECS=${CTL_BENCH_S:-3}
DEPTH=${CTL_BENCH_DEPTH:-64}
BUDGET=${CTL_BENCH_BUDGET:-120}
TICKS=$(getconf CLK_TCK)
START=$(date +%s)

bench_need "$PEERDISCD" "$CBENCH"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-ctlbench.XXXXXX") || exit 2
PD_TPID=	# timeout(1) wrapping peerdiscd
PD_PID=		# peerdiscd itself (from its log line)
CB_TPID=	# timeout(1) wrapping a control-bench run
STATUS=0
BENCH_PIDVARS="CB_TPID PD_TPID PD_PID"
bench_traps
bench_watchdog "$BUDGET"

elapsed() {
	echo $(($(date +%s) - START))
}

left() {
	echo $((BUDGET - $(date +%s) + START))
}

# secs T0 T1: CPU seconds between two tick readings.
secs() {
	awk -v a="$1" -v b="$2" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }'
}

# ---- the daemon ----

# start_daemon DIR: a fresh peerdiscd with its state in DIR.
start_daemon() {
	mkdir -p "$1"
	cat >"$1/pd.conf" <<CONF
[node]
state_dir = $1/state
listen = /ip4/127.0.0.1/tcp/0
[peers]
store_max = 200000
save_interval = 24h
[control]
socket = $1/control.sock
[mdns]
enabled = no
[dht]
enabled = no
[bootstrap]
enabled = no
CONF
	bench_start_pd "$1/pd.conf" "$1/pd.log" "$(left)" || return 1
	if ! wait_for "$1/pd.log" ': info: control socket ' 10; then
		echo "control-run.sh: no control socket:" >&2
		cat "$1/pd.log" >&2
		return 1
	fi
	SOCK=$1/control.sock
	[ -n "$PD_PID" ] && [ -S "$SOCK" ]
}

# stop_daemon: SIGTERM and wait for the exit; STOP_MS = the time it took.
stop_daemon() {
	_t0=$(date +%s%N)
	kill -TERM "$PD_PID" 2>/dev/null
	wait "$PD_TPID" 2>/dev/null
	_rc=$?
	_t1=$(date +%s%N)
	STOP_MS=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
	[ "$_rc" = 0 ] || { STOP_MS=failed; STATUS=1; }
	PD_TPID=
	PD_PID=
}

# cbench NAME ARGS...: one control-bench run, the daemon's CPU around it.
# Sets LINE (the result line) and CPU_S; returns control-bench's status.
cbench() {
	_name=$1
	shift
	_lim=$(($(left) - 3))
	[ "$_lim" -gt 5 ] || _lim=5
	_c0=$(cpu_ticks "$PD_PID")
	timeout -k 2 "$_lim" "$CBENCH" -t "$((_lim - 1))" "$@" \
	    >"$DIR/cb.out" 2>"$DIR/cb.err" &
	CB_TPID=$!
	wait "$CB_TPID"
	_rc=$?
	CB_TPID=
	sleep 0.1	# the daemon's last writes
	_c1=$(cpu_ticks "$PD_PID")
	LINE=$(grep '^result ' "$DIR/cb.out")
	CPU_S=$(secs "$_c0" "$_c1")
	log "N=$N $_name: $LINE daemon_cpu_s=$CPU_S"
	[ -s "$DIR/cb.err" ] && sed "s/^/# N=$N $_name stderr: /" "$DIR/cb.err" >&3
	if [ "$_rc" != 0 ] || [ -z "$LINE" ]; then
		STATUS=1
		return 1
	fi
	return 0
}

# per OPS CPU_S SCALE DECIMALS: CPU_S * SCALE / OPS, or "failed".
per() {
	awk -v n="$1" -v c="$2" -v s="$3" -v d="$4" \
	    'BEGIN { if (n > 0) printf "%.*f", d, c * s / n; else print "failed" }'
}

# bench_size N: every figure for a store of N peers; sets V_<fig>_<N>.
set_v() {
	eval "V_$1_$N=\$2"
}

bench_size() {
	DIR=$TMP/n$N
	if ! start_daemon "$DIR"; then
		STATUS=1
		return 1
	fi
	log "N=$N: peerdiscd $PD_PID, socket $SOCK"
	sleep 1
	_rss0=$(rss_kib "$PD_PID")

	if cbench add add -n "$N" "$SOCK"; then
		set_v add_rate "$(field per_s "$LINE")"
		set_v add_cpu "$(per "$(field ok "$LINE")" "$CPU_S" 1e6 1)"
		set_v add_rtt "$(field rtt_us_p50 "$LINE") / $(field rtt_us_p99 "$LINE")"
		set_v add_saves "$(field store_saves_during "$LINE")"
		ADD_WALL=$(field wall_s "$LINE")
		KEYGEN_S=$(field keygen_s "$LINE")
	else
		set_v add_rate failed
		ADD_WALL=
	fi
	# The store's "save after a burst" timer (2 s) fires once more after
	# the last add; its CPU is this window's.
	_c0=$(cpu_ticks "$PD_PID")
	sleep 3
	_c1=$(cpu_ticks "$PD_PID")
	set_v settle_cpu "$(awk -v a="$_c0" -v b="$_c1" -v t="$TICKS" \
	    'BEGIN { printf "%.0f", (b - a) / t * 1000 }')"
	_rss1=$(rss_kib "$PD_PID")
	log "N=$N: RSS (VmRSS RssAnon KiB) before adds $_rss0, 3 s after $_rss1;" \
	    "daemon CPU in those 3 s $(secs "$_c0" "$_c1") s"
	set_v rss0 "$_rss0"
	set_v rss1 "$_rss1"
	set_v rss_per "$(echo "$_rss0 $_rss1" | awk -v n="$N" \
	    '{ printf "%.2f / %.2f", ($3 - $1) / n * 10000 / 1024, ($4 - $2) / n * 10000 / 1024 }')"

	if cbench info info -s "$SECS" "$SOCK"; then
		set_v info_rate "$(field per_s "$LINE")"
		set_v info_cpu "$(per "$(field ok "$LINE")" "$CPU_S" 1e6 1)"
		set_v info_rtt "$(field rtt_us_p50 "$LINE") / $(field rtt_us_p99 "$LINE")"
	else
		set_v info_rate failed
	fi

	LIST_LIMIT=$N
	[ "$LIST_LIMIT" -le 100000 ] || LIST_LIMIT=100000
	if cbench list list -n "$LIST_LIMIT" -s "$SECS" "$SOCK"; then
		set_v list_rate "$(field per_s "$LINE")"
		set_v list_ms "$(field rtt_us_p50 "$LINE" | awk '{ printf "%.1f", $1 / 1000 }')"
		set_v list_cpu "$(per "$(field ok "$LINE")" "$CPU_S" 1e3 1)"
		set_v list_cpu_peer "$(per "$(field ok "$LINE")" "$CPU_S" "$(awk -v n="$LIST_LIMIT" 'BEGIN { print 1e6 / n }')" 2)"
		set_v list_mib "$(awk -v b="$(field reply_bytes "$LINE")" 'BEGIN { printf "%.2f", b / 1048576 }')"
	else
		set_v list_rate failed
	fi
	LIST_MS=$(field rtt_us_p50 "$LINE" | awk '{ print $1 / 1000 }')
	if cbench list-lib list-lib -n "$LIST_LIMIT" "$SOCK"; then
		set_v list_lib "$(echo "$LINE" | sed -n 's/.*libclient="\([^"]*\)".*/\1/p')"
	fi

	if cbench pipeline pipeline -k "$DEPTH" -s "$SECS" "$SOCK"; then
		set_v pipe_rate "$(field per_s "$LINE")"
		set_v pipe_cpu "$(per "$(field ok "$LINE")" "$CPU_S" 1e6 1)"
	else
		set_v pipe_rate failed
	fi

	alive "$PD_PID" || { echo "control-run.sh: peerdiscd died (N=$N)" >&2; STATUS=1; }
	stop_daemon
	set_v stop_ms "$STOP_MS"
	set_v store_mib "$(stat -c %s "$DIR/state/peers.json" 2>/dev/null |
	    awk '{ printf "%.2f", $1 / 1048576 }')"
	log "N=$N: SIGTERM -> exit ${STOP_MS} ms; peers.json $(stat -c %s \
	    "$DIR/state/peers.json" 2>/dev/null) bytes; log: $(grep -c . "$DIR/pd.log") lines," \
	    "$(grep -c ': warn: \|: error: ' "$DIR/pd.log") warnings/errors"
	grep ': warn: \|: error: ' "$DIR/pd.log" | head -n 5 | sed 's/^/#   /' >&3
	return 0
}

# ---- run ----

bench_build_info
log "build $BUILD (CFLAGS='$BUILD_CFLAGS'), ${SECS} s per round-trip figure, pipeline depth $DEPTH, budget ${BUDGET} s"

DONE=
PREV_N=
for N in $SIZES; do
	# Estimate this size from the previous one: key generation, adds
	# and peers.list (timed run and the pd_client_call probe, at least
	# once each) scale with N, the rest is fixed (3 timed runs, settling,
	# start, stop).
	if [ -n "$PREV_N" ] && [ -n "$ADD_WALL" ]; then
		_est=$(awk -v w="$ADD_WALL" -v l="${LIST_MS:-0}" -v p="$PREV_N" \
		    -v n="$N" -v s="$SECS" -v k="${KEYGEN_S:-0}" 'BEGIN {
		    f = n / p; x = (w + k) * f * 1.5 + 3 * l * f / 1000;
		    printf "%.0f", x + 3 * s + 8 + s * (l * f / 1000 > s) }')
		if [ "$_est" -ge "$(left)" ]; then
			log "N=$N skipped: about ${_est} s needed, $(left) s of the budget left"
			continue
		fi
	fi
	bench_size && DONE="$DONE $N"
	PREV_N=$N
done
log "done in $(elapsed) s"

# ---- table ----

cell() {
	eval "_v=\${V_$1_$2:-}"
	echo "${_v:-n/a}"
}
mib2() {
	if [ "$1" != n/a ]; then
		echo "$1" | awk '{ printf "%.1f / %.1f", $1 / 1024, $2 / 1024 }'
	else
		echo "n/a"
	fi
}
round0() {
	case "$1" in
	''|*[!0-9.]*) echo "${1:-n/a}" ;;
	*) awk -v x="$1" 'BEGIN { printf "%.0f", x }' ;;
	esac
}

header="| figure |"
sep="| --- |"
for N in $DONE; do
	header="$header N = $N |"
	sep="$sep --- |"
done
row() {
	_label=$1
	_fig=$2
	_fmt=${3:-}
	_line="| $_label |"
	for N in $DONE; do
		_c=$(cell "$_fig" "$N")
		case "$_fmt" in
		round) _c=$(round0 "$_c") ;;
		mib2) _c=$(mib2 "$_c") ;;
		esac
		_line="$_line $_c |"
	done
	echo "$_line"
}

echo
echo "$header"
echo "$sep"
row "peers.add per second (one client, sequential, wall)" add_rate round
row "daemon CPU per peers.add, µs" add_cpu
row "peers.add round trip p50 / p99, µs" add_rtt
row "store saves during the adds (2 s burst timer)" add_saves
row "daemon CPU in the 3 s after the adds (last burst save), ms" settle_cpu
row "daemon RSS before the adds, MiB (VmRSS / RssAnon)" rss0 mib2
row "daemon RSS after the adds, MiB (VmRSS / RssAnon)" rss1 mib2
row "RSS per 10k stored peers, MiB (VmRSS / RssAnon)" rss_per
row "node.info round trips per second (sequential, wall)" info_rate round
row "node.info round trip p50 / p99, µs" info_rtt
row "daemon CPU per node.info, µs" info_cpu
row "node.info pipelined, $DEPTH in flight, per second (wall)" pipe_rate round
row "daemon CPU per pipelined node.info, µs" pipe_cpu
row "peers.list {limit: N} calls per second (sequential, wall)" list_rate
row "peers.list round trip p50, ms" list_ms
row "daemon CPU per peers.list, ms" list_cpu
row "daemon CPU per listed peer, µs" list_cpu_peer
row "peers.list reply, MiB" list_mib
row "pd_client_call (libpeerdisc client) on that reply" list_lib
row "SIGTERM to exit (shutdown store save), ms" stop_ms
row "peers.json at exit, MiB" store_mib
exit "$STATUS"
