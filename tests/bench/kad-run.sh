#!/bin/sh
# kad-run.sh - DHT benchmark: FIND_NODE requests answered by peerdiscd and
# by a js-libp2p kad-dht server (tests/interop/jsnode.mjs --kad), both on
# 127.0.0.1 with a routing table of ~200 peers, driven by the same C load
# driver (tests/bench/kad-bench).
#
#   tests/bench/kad-run.sh BUILD_DIR
#
# BUILD_DIR is a configured and built tree (`make` builds daemon/peerdiscd,
# daemon/peerdiscctl and tests/bench/kad-bench); build it optimized, e.g.
#   /work/main/configure -q CFLAGS='-O2 -g' && make -j2
# Nothing is built here.  The js server needs node >= 20 and
# tests/interop/node_modules; without them the js column says n/a.
#
# For each server: start it, note its RSS; fill its routing table
# (`kad-bench fill`: KAD_BENCH_FILL identities that listen on 127.0.0.1,
# answer identify with the DHT protocol, ping and DHT requests, and stay
# connected for the whole run; aimed at peerdiscd's buckets 0..9, random
# for js, whose table is a trie split on the first 6 key bits), wait until
# the table holds them and note the RSS; a warm-up run; then KAD_BENCH_REPS
# runs of `kad-bench find` with one stream per request and as many with
# one reused stream per connection (KAD_BENCH_CONC connections, fresh
# identities that do not speak the DHT, one request in flight each, random
# 32-byte keys; every answer must be a FIND_NODE with closer peers).
# The server's CPU is utime+stime from /proc/PID/stat around each run
# (the driver's and the fillers' CPU do not count); RSS is VmRSS and
# RssAnon from /proc/PID/status.  Output: the raw lines (prefixed #), then
# one markdown table.  No figure is judged: exit 0 when every run
# completed, 1 when some run failed (its cell says so), 2 for a bad
# command line.
#
# peerdiscd runs with the DHT in server mode, mDNS and bootstrap off, and,
# when this build knows the key, dht.peer_request_rate = 0 (js has no
# per-peer rate limit; the default 100/s would measure the limiter).
#
# Environment knobs (defaults in brackets): KAD_BENCH_FILL [200] table
# peers, KAD_BENCH_CONC [4] driver connections, KAD_BENCH_PD_N [20000] /
# KAD_BENCH_JS_N [2000] requests per run, KAD_BENCH_REPS [3] runs per
# figure (median), KAD_BENCH_BUDGET [180] seconds before giving up.

ME=kad-run.sh
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args "$@"

PEERDISCD=$BUILD/daemon/peerdiscd
PEERDISCCTL=$BUILD/daemon/peerdiscctl
KADBENCH=$BUILD/tests/bench/kad-bench

FILL=${KAD_BENCH_FILL:-200}
CONC=${KAD_BENCH_CONC:-4}
PD_N=${KAD_BENCH_PD_N:-20000}
JS_N=${KAD_BENCH_JS_N:-2000}
REPS=${KAD_BENCH_REPS:-3}
BUDGET=${KAD_BENCH_BUDGET:-180}
TICKS=$(getconf CLK_TCK)

bench_need "$PEERDISCD" "$PEERDISCCTL" "$KADBENCH"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-kadbench.XXXXXX") || exit 2
PD_TPID=	# timeout(1) wrapping peerdiscd
PD_PID=		# peerdiscd itself (from its log line)
JS_PID=
FILL_TPID=
STATUS=0
BENCH_PIDVARS="FILL_TPID PD_TPID PD_PID JS_PID"
bench_traps
bench_watchdog "$BUDGET"

# ---- servers ----

start_peerdiscd() {
	# js has no per-peer request limit: drive both the same way.
	bench_pd_conf "$TMP/pd.conf" "$TMP" "enabled = yes
mode = server
peer_request_rate = 0"
	bench_start_pd "$TMP/pd.conf" "$TMP/pd.log" "$BUDGET"
}

pd_table_size() {
	timeout 5 "$PEERDISCCTL" -s "$TMP/pd-control.sock" --json call \
	    node.info 2>/dev/null |
	    sed -n 's/.*"routing_table_size":\([0-9]*\).*/\1/p' | head -n 1
}

# js reports every routing-table change as a kad_table event line.
js_table_size() {
	_a=$(grep -c '"event":"kad_table","action":"add"' "$TMP/js.out")
	_r=$(grep -c '"event":"kad_table","action":"remove"' "$TMP/js.out")
	echo $((_a - _r))
}

# ---- measurements against LPID at TARGET ----

# fill NAME PREFIX TABLE_FN [kad-bench fill options]: fill the table and
# keep the fillers running (FILL_TPID); PREFIX_table = table size.
fill() {
	_name=$1
	_pfx=$2
	_fn=$3
	shift 3
	: >"$TMP/fill.out"
	timeout -k 2 "$BUDGET" "$KADBENCH" -t "$BUDGET" -n "$FILL" "$@" fill \
	    "$TARGET" >"$TMP/fill.out" 2>"$TMP/fill.err" &
	FILL_TPID=$!
	if ! wait_for "$TMP/fill.out" '^filled ' 60; then
		log "$_name fill: no 'filled' line: $(cat "$TMP/fill.err")"
		STATUS=1
	fi
	log "$_name fill: $(grep '^filled ' "$TMP/fill.out")"
	# Admission is asynchronous (identify, then a check): wait until the
	# table stops growing (at most 15 s).
	_last=-1
	_size=0
	for _i in $(seq 30); do
		_size=$($_fn)
		[ "${_size:-0}" -ge "$FILL" ] && break
		[ "$_size" = "$_last" ] && [ "$_i" -gt 6 ] && break
		_last=$_size
		sleep 0.5
	done
	log "$_name: routing table holds $_size peers"
	eval "${_pfx}_table=\$_size"
}

stop_fill() {
	kill -TERM "$FILL_TPID" 2>/dev/null
	wait "$FILL_TPID" 2>/dev/null
	log "fillers: $(grep '^result ' "$TMP/fill.out")"
	FILL_TPID=
}

# find_run NAME N OPTS: one driver run; prints "ok cpu_s wall_per_s".
find_run() {
	_t0=$(cpu_ticks "$LPID")
	# shellcheck disable=SC2086 # OPTS is a word list
	_line=$(timeout -k 2 90 "$KADBENCH" -t 80 -c "$CONC" -n "$2" $3 find \
	    "$TARGET" | grep '^result ')
	sleep 0.3
	_t1=$(cpu_ticks "$LPID")
	log "$1: $_line server_cpu_s=$(awk -v a="$_t0" -v b="$_t1" \
	    -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')"
	_ok=$(field ok "$_line")
	if [ -z "$_ok" ] || [ "$_ok" = 0 ] || [ -z "$_t1" ]; then
		echo "0 0 0"
		return 1
	fi
	echo "$_ok $(awk -v a="$_t0" -v b="$_t1" -v t="$TICKS" \
	    'BEGIN { print (b - a) / t }') $(field per_s "$_line")"
	[ "$(field failed "$_line")" = 0 ]
}

# measure NAME N OPTS VAR: VAR_cpu = median requests per server
# CPU-second, VAR_wall = median requests per second (wall).
measure() {
	_rates=
	_walls=
	_bad=0
	for _r in $(seq "$REPS"); do
		_res=$(find_run "$1" "$2" "$3") || _bad=1
		_rates="$_rates $(echo "$_res" | awk '$2 > 0 { print $1 / $2 }')"
		_walls="$_walls $(echo "$_res" | awk '$3 > 0 { print $3 }')"
	done
	_m=$(echo "$_rates" | median)
	_w=$(echo "$_walls" | median)
	[ "$_bad" = 0 ] || { _m=failed; _w=failed; STATUS=1; }
	eval "$4_cpu=\$_m; $4_wall=\$_w"
}

# bench NAME PREFIX N TABLE_FN [fill options]
bench() {
	_bn=$1
	_bp=$2
	_bnum=$3
	_bfn=$4
	shift 4
	settle
	_rss=$(rss_kib "$LPID")
	eval "${_bp}_rss0=\"\$_rss\""
	log "$_bn: RSS (vm anon KiB) before the fill: $_rss"
	fill "$_bn" "$_bp" "$_bfn" "$@"
	settle
	_rss=$(rss_kib "$LPID")
	eval "${_bp}_rss1=\"\$_rss\""
	log "$_bn: RSS (vm anon KiB) with the table filled: $_rss"
	# Warm-up (js JIT, allocator pools), not measured.
	timeout -k 2 60 "$KADBENCH" -t 50 -c "$CONC" -n $((_bnum / 10)) find \
	    "$TARGET" >/dev/null 2>&1
	measure "$_bn stream-per-request" "$_bnum" "" "${_bp}_st"
	measure "$_bn reused-stream" "$_bnum" "-r" "${_bp}_re"
	settle
	_rss=$(rss_kib "$LPID")
	eval "${_bp}_rss2=\"\$_rss\""
	log "$_bn: RSS (vm anon KiB) after the runs: $_rss"
	alive "$LPID" || { echo "kad-run.sh: $_bn died during the run" >&2; STATUS=1; }
	stop_fill
}

# ---- run ----

bench_build_info
log "build $BUILD (CFLAGS='$BUILD_CFLAGS'), $FILL table peers, $CONC connections, $REPS runs per figure (median)"

if start_peerdiscd; then
	log "peerdiscd $PD_PID at $TARGET"
	bench peerdiscd pd "$PD_N" pd_table_size
	bench_stop_pd
else
	STATUS=1
fi

if js_usable; then
	if bench_start_js "$BUDGET" --kad; then
		log "js-libp2p $JS_PID at $TARGET ($(node --version), @libp2p/kad-dht $(sed -n 's/^ *"version": "\(.*\)",/\1/p' "$SRC/tests/interop/node_modules/@libp2p/kad-dht/package.json" | head -n 1))"
		bench js-libp2p js "$JS_N" js_table_size -R
		bench_stop_js
	else
		STATUS=1
	fi
else
	log "js-libp2p skipped: $JS_WHY"
fi

# ---- table ----

vm() {
	echo "$1" | cut -d' ' -f1
}
row() {
	echo "| $1 | $2 | $3 | $4 |"
}

pd_table=${pd_table:-}; js_table=${js_table:-}
pd_st_cpu=${pd_st_cpu:-}; pd_st_wall=${pd_st_wall:-}
pd_re_cpu=${pd_re_cpu:-}; pd_re_wall=${pd_re_wall:-}
js_st_cpu=${js_st_cpu:-}; js_st_wall=${js_st_wall:-}
js_re_cpu=${js_re_cpu:-}; js_re_wall=${js_re_wall:-}
pd_rss0=${pd_rss0:-}; pd_rss1=${pd_rss1:-}; pd_rss2=${pd_rss2:-}
js_rss0=${js_rss0:-}; js_rss1=${js_rss1:-}; js_rss2=${js_rss2:-}

echo
echo "| figure | peerdiscd | js-libp2p | peerdiscd vs js × |"
echo "| --- | --- | --- | --- |"
row "routing table size after the fill ($FILL offered)" \
    "$(fmt "$pd_table" 0)" "$(fmt "$js_table" 0)" "–"
row "FIND_NODE per server CPU-second, one stream per request" \
    "$(fmt "$pd_st_cpu" 0)" "$(fmt "$js_st_cpu" 0)" \
    "$(ratio "$pd_st_cpu" "$js_st_cpu" 1)"
row "server CPU per FIND_NODE, µs, one stream per request" \
    "$(fmt "$(us "$pd_st_cpu")" 1)" "$(fmt "$(us "$js_st_cpu")" 1)" \
    "$(ratio "$(us "$js_st_cpu")" "$(us "$pd_st_cpu")" 1)"
row "FIND_NODE per second (wall), one stream per request" \
    "$(fmt "$pd_st_wall" 0)" "$(fmt "$js_st_wall" 0)" \
    "$(ratio "$pd_st_wall" "$js_st_wall" 1)"
row "FIND_NODE per server CPU-second, reused stream" \
    "$(fmt "$pd_re_cpu" 0)" "$(fmt "$js_re_cpu" 0)" \
    "$(ratio "$pd_re_cpu" "$js_re_cpu" 1)"
row "server CPU per FIND_NODE, µs, reused stream" \
    "$(fmt "$(us "$pd_re_cpu")" 1)" "$(fmt "$(us "$js_re_cpu")" 1)" \
    "$(ratio "$(us "$js_re_cpu")" "$(us "$pd_re_cpu")" 1)"
row "FIND_NODE per second (wall), reused stream" \
    "$(fmt "$pd_re_wall" 0)" "$(fmt "$js_re_wall" 0)" \
    "$(ratio "$pd_re_wall" "$js_re_wall" 1)"
row "RSS before the fill, MiB (VmRSS / RssAnon)" \
    "$(mib "$pd_rss0")" "$(mib "$js_rss0")" \
    "$(ratio "$(vm "$js_rss0")" "$(vm "$pd_rss0")" 0)"
row "RSS with the table filled ($FILL peers connected), MiB" \
    "$(mib "$pd_rss1")" "$(mib "$js_rss1")" \
    "$(ratio "$(vm "$js_rss1")" "$(vm "$pd_rss1")" 0)"
row "RSS after the runs, MiB" \
    "$(mib "$pd_rss2")" "$(mib "$js_rss2")" \
    "$(ratio "$(vm "$js_rss2")" "$(vm "$pd_rss2")" 0)"
echo
echo "× > 1: peerdiscd is better (rates: peerdiscd/js; µs and MiB: js/peerdiscd)."
echo "Goal of the DHT issue (informational, not checked): >= 20× js per CPU-second."
exit "$STATUS"
