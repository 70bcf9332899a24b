#!/bin/sh
# bench.sh - mDNS benchmark in network namespaces (run by hand, as root;
# not part of make check):
#   tests/mdns/bench.sh [N...]            (from a build directory:
#   top_srcdir=/path/to/src top_builddir=. sh /path/to/src/tests/mdns/bench.sh)
# For each N (default: 2 10 50), N namespaces on one bridge:
#   1. N peerdiscd (defaults: mDNS interval 10 s) start together; the time
#      from the last one ready until every node lists all N-1 others in
#      discovery.local (polled every 0.2 s, so +- one poll round);
#   2. after BENCH_SETTLE s (default 15), an observer namespace counts
#      every mDNS packet on the bridge (mdnsflood count, IPv4 and IPv6)
#      for BENCH_STEADY s (default 60): packets and bytes sent per minute
#      per node, plus the same from peerdiscd's own mdns_packets_out /
#      mdns_bytes_out counters;
#   3. the same N namespaces with js-libp2p nodes (tests/interop/
#      jsnode.mjs --mdns, @libp2p/mdns defaults: 10 s interval) instead:
#      time until every node reported every other (peer_discovery,
#      source mdns), and the same steady-state count.  Skipped without
#      node/npm/node_modules or for N > BENCH_JS_MAX (default 10: 50
#      js nodes overload a 2-core machine, load average near 100).
# Prints one table at the end.  Everything is killed and deleted on exit.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/mdns/lib.sh"

SIZES=${*:-2 10 50}
STEADY=${BENCH_STEADY:-60}
SETTLE=${BENCH_SETTLE:-15}
JS_MAX=${BENCH_JS_MAX:-10}
MAXN=0
for n in $SIZES; do
	[ "$n" -ge 2 ] && [ "$n" -le 200 ] || { echo "bench: N must be 2..200" >&2; exit 2; }
	[ "$n" -gt "$MAXN" ] && MAXN=$n
done
MD_BUDGET=${MD_BUDGET:-7200}
md_setup
md_need_mdns_daemon
[ -x "$MDNSFLOOD" ] || fail "$MDNSFLOOD is not built (make tests/tools/mdnsflood)"
JS=yes
( md_need_js ) >/dev/null 2>&1 || JS=no
for i in $(seq 1 "$MAXN"); do
	md_ns "$i"
done
OBS=250
md_ns "$OBS"
NSO=$(md_nsname "$OBS")
RESULTS="$TMP/results"
: >"$RESULTS"

# observe SECONDS: count mDNS packets on the bridge (both families);
# prints "PACKETS BYTES" summed over every source but the observer.
observe() {
	ip netns exec "$NSO" timeout $(($1 + 10)) "$MDNSFLOOD" -i eth0 -d "$1" count \
		>"$TMP/obs4" 2>/dev/null &
	_o4=$!
	ip netns exec "$NSO" timeout $(($1 + 10)) "$MDNSFLOOD" -6 -i eth0 -d "$1" count \
		>"$TMP/obs6" 2>/dev/null &
	_o6=$!
	md_track "$_o4"
	md_track "$_o6"
	wait "$_o4" "$_o6"
	md_forget "$_o4"
	md_forget "$_o6"
	cat "$TMP/obs4" "$TMP/obs6" | awk '{ p += $2; b += $3 } END { print p + 0, b + 0 }'
}

# all_js_found N: every jI reported every other jJ by mDNS.
all_js_found() {
	for _i in $(seq 1 "$1"); do
		for _j in $(seq 1 "$1"); do
			[ "$_i" = "$_j" ] && continue
			eval "_jid=\$j${_j}_id"
			grep -q "\"source\":\"mdns\",\"peer\":\"$_jid\"" "$TMP/j$_i.out" ||
				return 1
		done
	done
}

for N in $SIZES; do
	NODES=$(seq 1 "$N")
	echo "bench: N=$N peerdiscd" >&2
	for i in $NODES; do
		rm -rf "$TMP/n$i.state" "$TMP/n$i.conf" "$TMP/n$i.log"
		md_pd_spawn "$i"
	done
	for i in $NODES; do
		md_pd_ready "$i"
	done
	t0=$(now_ms)
	# shellcheck disable=SC2086
	until md_all_know $NODES; do
		[ $(($(now_ms) - t0)) -lt 120000 ] || fail "N=$N: not all discovered after 120 s"
		sleep 0.2
	done
	pd_disc=$(($(now_ms) - t0))
	sleep "$SETTLE"
	m0p=0; m0b=0
	for i in $NODES; do
		m=$(md_rpc "$i" metrics)
		m0p=$((m0p + $(printf '%s' "$m" | json_num mdns_packets_out)))
		m0b=$((m0b + $(printf '%s' "$m" | json_num mdns_bytes_out)))
	done
	# shellcheck disable=SC2046 # two numbers
	set -- $(observe "$STEADY")
	pd_p=$1; pd_b=$2
	m1p=0; m1b=0
	for i in $NODES; do
		m=$(md_rpc "$i" metrics)
		m1p=$((m1p + $(printf '%s' "$m" | json_num mdns_packets_out)))
		m1b=$((m1b + $(printf '%s' "$m" | json_num mdns_bytes_out)))
	done
	# shellcheck disable=SC2086
	md_finish $NODES
	awk -v n="$N" -v s="$STEADY" -v d="$pd_disc" -v p="$pd_p" -v b="$pd_b" \
		-v mp="$((m1p - m0p))" -v mb="$((m1b - m0b))" 'BEGIN {
		printf "%-9s %4d %10.1f %14.1f %14.0f %14.1f %14.0f\n", "peerdiscd", n,
		    d / 1000, p / n * 60 / s, b / n * 60 / s, mp / n * 60 / s, mb / n * 60 / s
	}' >>"$RESULTS"

	if [ "$JS" = yes ] && [ "$N" -le "$JS_MAX" ]; then
		echo "bench: N=$N js-libp2p" >&2
		for i in $NODES; do
			md_js_spawn "$i" --mdns
		done
		for i in $NODES; do
			md_js_ready "$i"
		done
		t0=$(now_ms)
		until all_js_found "$N"; do
			if [ $(($(now_ms) - t0)) -ge 120000 ]; then
				js_disc=-1000
				break
			fi
			sleep 0.2
		done
		[ "${js_disc:-0}" = -1000 ] || js_disc=$(($(now_ms) - t0))
		sleep "$SETTLE"
		# shellcheck disable=SC2046 # two numbers
	set -- $(observe "$STEADY")
		for i in $NODES; do
			md_js_stop "$i"
		done
		awk -v n="$N" -v s="$STEADY" -v d="$js_disc" -v p="$1" -v b="$2" 'BEGIN {
			printf "%-9s %4d %10.1f %14.1f %14.0f %14s %14s\n", "js-libp2p", n,
			    d / 1000, p / n * 60 / s, b / n * 60 / s, "-", "-"
		}' >>"$RESULTS"
		js_disc=
	fi
done

echo
echo "mDNS on one bridge; steady state over ${STEADY} s after ${SETTLE} s settle;"
echo "'wire' = counted by an observer on the bridge (IPv4 + IPv6), 'own' ="
echo "the daemon's mdns_packets_out / mdns_bytes_out; discovery -1 = not within 120 s"
printf '%-9s %4s %10s %14s %14s %14s %14s\n' impl N disc_s \
	wire_pkt/min wire_B/min own_pkt/min own_B/min
cat "$RESULTS"
