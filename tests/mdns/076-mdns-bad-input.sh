#!/bin/sh
# 076-mdns-bad-input: a hostile sender (tests/tools/mdnsflood) in its own
# namespace on the bridge, against n1 (and n2, to see discovery still
# works).  In order:
#   control   one valid answer for a made-up peer from the sender's
#             on-link address: n1 learns it (so the sender is heard);
#   off-link  the same from a second address 10.78.0.9/24 on the sender's
#             interface: n1 must not learn it, mdns_packets_dropped grows;
#   malformed / oversized / loop   (IPv4, and malformed + loop over IPv6
#             too) each for up to 3 s;
#   query-flood   valid PTR queries, unpaced, 5 s: n1's mdns_packets_out
#             may grow by at most 30 per second (answers are rate limited);
#   answer-flood  valid answers for new random peers, unpaced, 5 s: n1
#             learns at most PD_MDNS_NEW_PEERS_PER_MIN (from
#             lib/mdns/mdns.h) plus that rate over the elapsed time.
# During every case n1 must answer node.info within 1 s (polled every
# 0.3 s), and over each flood its CPU time (utime + stime from
# /proc/PID/stat) must stay under 50 % of one core.  At the end n1 is
# alive, logged no error, and a new node n3 finds n1 (and n1 n3) within
# 15 s.  Every sender run is bounded (-d, -n, timeout).
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-120}
md_setup
md_need_mdns_daemon
[ -x "$MDNSFLOOD" ] || fail "$MDNSFLOOD is not built"
command -v getconf >/dev/null 2>&1 || skip "getconf not found"
HZ=$(getconf CLK_TCK)
PER_MIN=$(sed -n 's/^#define PD_MDNS_NEW_PEERS_PER_MIN[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
	"$top_srcdir/lib/mdns/mdns.h")
[ -n "$PER_MIN" ] || fail "no PD_MDNS_NEW_PEERS_PER_MIN in lib/mdns/mdns.h"
md_ns 1
md_ns 2
md_ns 9
NS9=$(md_nsname 9)
md_pd_start 1
md_pd_start 2
pair() { md_knows 1 "$n2_id" && md_knows 2 "$n1_id"; }
md_wait_until 15 "n1 and n2 to find each other" pair
ok "n1 and n2 up and found each other"

# flood ARGS...: run mdnsflood in ns9 (bounded), its stderr to flood.err.
flood() {
	ip netns exec "$NS9" timeout -k 2 30 "$MDNSFLOOD" -i eth0 "$@" \
		2>>"$TMP/flood.err"
}

# probe: node.info on n1 must come back within 1 s.
probe() {
	_t=$(now_ms)
	_r=$(md_rpc 1 node.info)
	_d=$(($(now_ms) - _t))
	printf '%s' "$_r" | grep -q '"result":' ||
		fail "n1 did not answer node.info (${_d} ms): $_r"
	[ "$_d" -lt 1000 ] || fail "node.info took ${_d} ms during $CASE"
	[ "$_d" -gt "$MAXLAT" ] && MAXLAT=$_d
	return 0
}

# run_case NAME ARGS...: mdnsflood ARGS in the background; probe n1 every
# 0.3 s while it runs; check CPU over its run.
run_case() {
	CASE=$1
	shift
	MAXLAT=0
	t0=$(now_ms)
	c0=$(cpu_ticks "$n1_pid")
	ip netns exec "$NS9" timeout -k 2 30 "$MDNSFLOOD" -i eth0 "$@" \
		>/dev/null 2>>"$TMP/flood.err" &
	fp=$!
	md_track "$fp"
	while pid_alive "$fp"; do
		probe
		md_time_left || fail "timed out in $CASE"
		sleep 0.3
	done
	wait "$fp"
	frc=$?
	md_forget "$fp"
	[ "$frc" = 0 ] || fail "mdnsflood $CASE exited $frc: $(tail -n 3 "$TMP/flood.err")"
	probe
	c1=$(cpu_ticks "$n1_pid")
	wall=$(($(now_ms) - t0))
	# CPU % of one core = ticks / HZ / wall_s * 100
	pct=$(((c1 - c0) * 100000 / HZ / wall))
	ok "$CASE: $(tail -n 1 "$TMP/flood.err" | sed 's/^mdnsflood: //');" \
		"n1 CPU ${pct} % of a core over ${wall} ms, node.info <= ${MAXLAT} ms"
	[ "$pct" -lt 50 ] || fail "$CASE: n1 used ${pct} % of a core"
	md_healthy 1
}

metric1() {
	v=$(md_metric 1 "$1")
	[ -n "$v" ] || fail "n1: no metric $1"
	echo "$v"
}

# control: a valid answer from an on-link source is learnt
ctl=$(flood answer | sed -n 's/^peer //p')
[ -n "$ctl" ] || fail "mdnsflood answer printed no peer: $(cat "$TMP/flood.err")"
got_ctl() { md_knows 1 "$ctl"; }
md_wait_until 5 "n1 to learn the on-link made-up peer" got_ctl
ok "control: n1 learnt a made-up peer from an on-link source"

# off-link: the same from 10.78.0.9, not in any of n1's subnets
ip -n "$NS9" addr add 10.78.0.9/24 dev eth0 || fail "cannot add 10.78.0.9"
d0=$(metric1 mdns_packets_dropped)
off=$(flood -s 10.78.0.9 answer | sed -n 's/^peer //p')
[ -n "$off" ] || fail "mdnsflood answer (off-link) printed no peer"
sleep 2
md_knows 1 "$off" && fail "n1 learnt a peer from off-link source 10.78.0.9"
d1=$(metric1 mdns_packets_dropped)
[ "$d1" -gt "$d0" ] || fail "off-link packets not counted as dropped ($d0 -> $d1)"
ok "off-link: not learnt; mdns_packets_dropped $d0 -> $d1"

run_case malformed -d 3 -n 20000 -r 5000 malformed
run_case malformed6 -6 -d 3 -n 20000 -r 5000 malformed
run_case oversized -d 3 -r 50 oversized
run_case loop -d 3 -n 20000 -r 5000 loop
run_case loop6 -6 -d 3 -n 20000 -r 5000 loop
d2=$(metric1 mdns_packets_dropped)
[ "$d2" -gt "$d1" ] || fail "no malformed packet counted as dropped ($d1 -> $d2)"
ok "bad packets counted: mdns_packets_dropped $d1 -> $d2"

o0=$(metric1 mdns_packets_out)
q0=$(now_ms)
run_case query-flood -d 5 -n 2000000 -r 0 query-flood
o1=$(metric1 mdns_packets_out)
qs=$((($(now_ms) - q0 + 999) / 1000))
[ $((o1 - o0)) -le $((30 * qs)) ] ||
	fail "query flood: n1 sent $((o1 - o0)) packets in ${qs} s (> 30/s)"
ok "query flood: n1 sent $((o1 - o0)) packets in ${qs} s"

l0=$(metric1 mdns_peers_learnt)
a0=$(now_ms)
run_case answer-flood -d 5 -n 2000000 -r 0 answer-flood
l1=$(metric1 mdns_peers_learnt)
as=$((($(now_ms) - a0 + 999) / 1000))
lim=$((PER_MIN + (PER_MIN * as + 59) / 60 + 1))
[ $((l1 - l0)) -le "$lim" ] ||
	fail "answer flood: n1 learnt $((l1 - l0)) peers in ${as} s (cap $lim)"
n=$(md_local 1 | wc -l)
ok "answer flood: n1 learnt $((l1 - l0)) new peers in ${as} s (cap $lim); discovery.local has $n"

# still serving: a new node finds n1 and is found
md_ns 3
md_pd_start 3
T3=$(now_ms)
n3() { md_knows 1 "$n3_id" && md_knows 3 "$n1_id"; }
md_wait_until 15 "n1 and the new n3 to find each other" n3
ok "after the floods n1 <-> n3 in $(($(now_ms) - T3)) ms"
md_healthy 1
md_healthy 2
md_finish 1 2 3
ok "all stopped cleanly"
