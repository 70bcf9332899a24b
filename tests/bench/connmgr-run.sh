#!/bin/sh
# connmgr-run.sh BUILD_DIR - connection-manager benchmark (README.md,
# "The connection manager").  Prints raw lines (#) and a markdown table;
# asserts nothing.
#   1. 20 peerdiscd on 127.0.0.1 (DHT on, mDNS off, max_peers 6,
#      min_peers 3, two of them bootstrap peers of the 18 others, as in
#      tests/integration/060): time from the start of the 18 to each one
#      having min_peers connections (median, max) and to all 20.
#   2. one peerdiscd holding 200 connections (tests/bench/dialer hold:
#      full handshakes + identify, distinct peer IDs) while churn runs:
#      10 new connections a second, each closed once up (dialer
#      handshake+identify -n 1, one process per connection) for
#      CHURN_S seconds (default 30).  The node's CPU seconds (utime +
#      stime from /proc) and RSS before and after, and the churn
#      connections that worked.
# Everything runs on 127.0.0.1, bounded by timeout(1), killed by PID from
# the EXIT trap.  Exit 0 if both parts ran, 1 otherwise, 2 for usage.
set -u
ME=connmgr-run.sh
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_args "$@"
B=$BUILD
PD="$B/daemon/peerdiscd"
DIALER="$B/tests/bench/dialer"
CHURN_S=${CHURN_S:-30}
HOLD_N=${HOLD_N:-200}
bench_need "$PD" "$DIALER"
command -v socat >/dev/null || { echo "socat needed" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/connmgr-bench.XXXXXX") || exit 1
PIDS=
BENCH_PIDVARS=PIDS
bench_traps
grep -q -- '-fsanitize' "$B/config.log" 2>/dev/null &&
	echo "# warning: $B uses sanitizers; figures are not representative"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rpc() {
	printf '{"jsonrpc":"2.0","id":1,"method":"%s"}\n' "$2" |
		timeout 5 socat -t 5 - "UNIX-CONNECT:$1" 2>/dev/null
}
json_num() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" | head -n 1; }
vm_kib() { rss_kib "$1" | cut -d' ' -f1; }
HZ=$(getconf CLK_TCK)

# conf I BOOT [PEERS-EXTRA]
conf() {
	mkdir -p "$TMP/n$1"
	cat >"$TMP/n$1.conf" <<CONF
[node]
state_dir = $TMP/n$1/state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $TMP/n$1/control.sock
[mdns]
enabled = no
[dht]
enabled = $3
[bootstrap]
enabled = $([ -n "$2" ] && echo yes || echo no)
peers = $2
[peers]
$4
CONF
}
start() {
	timeout -k 2 600 "$PD" -c "$TMP/n$1.conf" </dev/null 2>"$TMP/n$1.log" &
	eval "P$1=$!"
	PIDS="$PIDS $!"
}
wait_listen() {
	wait_for "$TMP/n$1.log" ': info: control socket ' 10 || return 1
	sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on //p' "$TMP/n$1.log" | head -n 1
}

rc=0
# ----- 1. 20 nodes to min_peers -----
N=20
W="max_peers = 6
min_peers = 3
max_per_ip = 100
grace_period = 5s"
conf 1 "" yes "$W
max_inbound = 18"
conf 2 "" yes "$W
max_inbound = 18"
start 1
start 2
BOOT="$(wait_listen 1) $(wait_listen 2)"
T0=$(now_ms)
for i in $(seq 3 $N); do
	conf "$i" "$BOOT" yes "$W"
	start "$i"
done
: >"$TMP/reach"
deadline=$((T0 + 60000))
while [ "$(wc -l <"$TMP/reach")" -lt $N ] && [ "$(now_ms)" -lt $deadline ]; do
	for i in $(seq 1 $N); do
		grep -q "^$i " "$TMP/reach" && continue
		c=$(rpc "$TMP/n$i/control.sock" conn.stats | json_num count)
		[ -n "$c" ] && [ "$c" -ge 3 ] && echo "$i $(($(now_ms) - T0))" >>"$TMP/reach"
	done
	sleep 0.05
done
sort -n -k2 "$TMP/reach" | sed 's/^/# reach node=/'
if [ "$(wc -l <"$TMP/reach")" -lt $N ]; then
	CONV="failed ($(wc -l <"$TMP/reach") of $N)"
	rc=1
fi
MED=$(sort -n -k2 "$TMP/reach" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')
MAX=$(sort -n -k2 "$TMP/reach" | tail -n 1 | awk '{ print $2 }')
for i in $(seq 1 $N); do eval "kill -TERM \$P$i"; done
for i in $(seq 1 $N); do eval "wait \$P$i" 2>/dev/null; done
PIDS=

# ----- 2. 200 held connections + churn -----
conf h "" no "max_peers = 1000
min_peers = 0
max_inbound = 1000
max_per_ip = 1000"
start h
HADDR=$(wait_listen h) || { echo "hold node did not start" >&2; exit 1; }
# The daemon's own PID (P is timeout's): from its log prefix.
HP=$(sed -n 's/^peerdiscd\[\([0-9]*\)\]: .*/\1/p' "$TMP/nh.log" | head -n 1)
timeout -k 2 $((CHURN_S + 120)) "$DIALER" -n "$HOLD_N" -c 16 -t $((CHURN_S + 100)) hold "$HADDR" \
	>"$TMP/hold.out" 2>&1 &
DH=$!
PIDS="$PIDS $DH"
wait_for "$TMP/hold.out" '^held ' 60
sed 's/^/# /' "$TMP/hold.out"
HELD=$(rpc "$TMP/nh/control.sock" conn.stats | json_num count)
sleep 2
RSS0=$(vm_kib "$HP")
C0=$(cpu_ticks "$HP")
T1=$(now_ms)
RSSMAX=$RSS0
k=0
end=$((T1 + CHURN_S * 1000))
: >"$TMP/churn.out"
while [ "$(now_ms)" -lt $end ]; do
	due=$(( ($(now_ms) - T1) / 100 + 1 ))
	while [ $k -lt $due ]; do
		timeout -k 1 15 "$DIALER" -n 1 -c 1 -t 10 handshake+identify "$HADDR" \
			>>"$TMP/churn.out" 2>&1 &
		k=$((k + 1))
	done
	r=$(vm_kib "$HP")
	[ "${r:-0}" -gt "$RSSMAX" ] && RSSMAX=$r
	sleep 0.05
done
C1=$(cpu_ticks "$HP")
T2=$(now_ms)
sleep 3	# the last churn dialers finish
RSS1=$(vm_kib "$HP")
OKC2=$(sed -n 's/^result .* ok=\([0-9]*\) .*/\1/p' "$TMP/churn.out" |
	awk '{ s += $1 } END { print s + 0 }')
echo "# churn: started=$k results=$(grep -c '^result ' "$TMP/churn.out") ok=$OKC2"
HELD2=$(rpc "$TMP/nh/control.sock" conn.stats | json_num count)
METRICS=$(printf '{"jsonrpc":"2.0","id":1,"method":"metrics"}\n' |
	timeout 5 socat -t 5 - "UNIX-CONNECT:$TMP/nh/control.sock")
echo "# metrics: $METRICS"
CPU=$(awk -v a="$C0" -v b="$C1" -v hz="$HZ" -v t="$((T2 - T1))" \
	'BEGIN { printf "%.2f s (%.1f%% of one core)", (b - a) / hz, 100 * (b - a) / hz / (t / 1000) }')
[ "${HELD:-0}" -ge "$HOLD_N" ] || rc=1

echo
echo "| figure | value |"
echo "| --- | --- |"
echo "| 20 nodes: time to min_peers (3), median node | ${MED:-n/a} ms |"
echo "| 20 nodes: time to min_peers, slowest node (all 20) | ${CONV:-${MAX:-n/a} ms} |"
echo "| held connections before / after churn | ${HELD:-?} / ${HELD2:-?} |"
echo "| churn: connections started in ${CHURN_S} s / completed | $k / $OKC2 |"
echo "| node CPU during churn | $CPU |"
echo "| node RSS before / max / after churn | ${RSS0} / ${RSSMAX} / ${RSS1} KiB |"
exit $rc
