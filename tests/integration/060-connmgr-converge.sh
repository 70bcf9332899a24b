#!/bin/sh
# 060-connmgr-converge: 20 peerdiscd on 127.0.0.1 (DHT on, mDNS off),
# B1 and B2 started first, the 18 others with bootstrap.peers = B1 B2,
# all with max_peers = 6, min_peers = 3.  Every node must reach
# min_peers connections within 30 s (bootstrap dial, then DHT lookups
# fill the store, then the connection manager dials up to min_peers),
# and at no sample (every 0.5 s, conn.stats of every node) may a node be
# above its hard cap.
#
# The cap we check, and why.  peers.max_peers is the high-water mark and
# the hard cap of *outbound* connections: an automatic dial or
# peers.connect is refused once connected + dialing >= max_peers
# (pd_connmgr_over_cap).  Inbound connections are held by
# peers.max_inbound (default = max_peers), counted before the handshake.
# Above max_peers the trim brings the node back down to the low-water
# mark, but only after grace_period and at most once per 10 s, so for a
# moment a node may hold up to max_peers + max_inbound connections
# (lib/peer/connmgr.h, struct pd_connmgr_config).  So at every sample:
#     outbound <= max_peers (6), inbound <= max_inbound,
#     count <= max_peers + max_inbound (12, 24 for B1 and B2).
# B1 and B2 get max_inbound = 18 (N - 2): with max_inbound = max_peers a
# bootstrap node whose inbound slots are full refuses every later
# newcomer before the handshake and, holding only max_peers, is never
# trimmed, so 12 of the 18 nodes would never get in (seen: they back off
# to 15 s and stay at 0).  With room for all, B1/B2 take everyone, the
# DHT lookups through them spread the addresses, the nodes dial each
# other up to min_peers, and after grace_period B1/B2 trim back down.
# Then it samples on through grace_period + the 10 s trim silence: some
# node must trim, each trim is logged ("trimming ... over
# peers.max_peers") and counted in metrics peers_trimmed.
#
# max_per_ip is lifted (all 20 share 127.0.0.1); the per-IP rate is
# off for loopback by default.  Bounded: 30 s to converge, ~25 s for
# the trims, every process killed by PID at exit.  No network
# namespace: the daemons must reach each other; confs bind 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
N=20
MAXP=6
MINP=3
MAXIN=6
BMAXIN=$((N - 2))
GRACE=5
CONVERGE_S=30

# inbound_of I: max_inbound of node I.
inbound_of() {
	case $1 in
	1 | 2) echo "$BMAXIN" ;;
	*) echo "$MAXIN" ;;
	esac
}

# node_conf I BOOTSTRAP_PEERS: a conf like write_ctl_conf's (state and
# socket under $TMP/nI, 127.0.0.1 only, no mDNS) with the DHT on, the
# watermarks above, and bootstrap from BOOTSTRAP_PEERS if not empty.
node_conf() {
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
enabled = yes
[bootstrap]
enabled = $([ -n "$2" ] && echo yes || echo no)
peers = $2
[peers]
save_interval = 10s
max_peers = $MAXP
min_peers = $MINP
max_inbound = $(inbound_of "$1")
max_per_ip = 100
grace_period = ${GRACE}s
retry_interval = 2s
CONF
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

start_node() {
	start_daemon "$TMP/n$1.log" "$PEERDISCD" -c "$TMP/n$1.conf"
	save_daemon "N$1"
}

# B1 and B2 first: their addresses go into everyone else's conf.
for i in 1 2; do
	node_conf "$i" ""
	start_node "$i"
done
BOOT=
for i in 1 2; do
	use_daemon "N$i"
	wait_for_log ': info: control socket '
	a=$(logged_listen_addr)
	[ -n "$a" ] || fail "n$i: no listen address logged"
	BOOT="$BOOT $a"
done
T0=$(now_ms)
for i in $(seq 3 $N); do
	node_conf "$i" "$BOOT"
	start_node "$i"
done
for i in $(seq 3 $N); do
	use_daemon "N$i"
	wait_for_log ': info: control socket '
done
ok "$N daemons up; bootstrap peers:$BOOT"

# sample: conn.stats of every node in parallel; one line "I COUNT IN OUT"
# per node in $TMP/sample; fails at once over a cap.
MAXSEEN=0
sample() {
	_pids=
	for i in $(seq 1 $N); do
		rpc "$TMP/n$i/control.sock" conn.stats >"$TMP/cs.$i" 2>/dev/null &
		_pids="$_pids $!"
	done
	# shellcheck disable=SC2086
	wait $_pids	# not a bare wait: the daemons are children too
	: >"$TMP/sample"
	for i in $(seq 1 $N); do
		s=$(cat "$TMP/cs.$i")
		c=$(printf '%s' "$s" | json_num count)
		in=$(printf '%s' "$s" | json_num inbound)
		out=$(printf '%s' "$s" | json_num outbound)
		[ -n "$c" ] && [ -n "$in" ] && [ -n "$out" ] || {
			eval "p=\$N${i}_PID"
			pid_alive "$p" || fail "n$i died"
			continue	# a slow answer: skip this node this time
		}
		[ "$out" -le "$MAXP" ] || fail "n$i: $out outbound > max_peers $MAXP: $s"
		mi=$(inbound_of "$i")
		[ "$in" -le "$mi" ] || fail "n$i: $in inbound > max_inbound $mi: $s"
		[ "$c" -le $((MAXP + mi)) ] ||
		    fail "n$i: $c connections > cap $((MAXP + mi)): $s"
		[ "$c" -gt "$MAXSEEN" ] && MAXSEEN=$c
		echo "$i $c $in $out" >>"$TMP/sample"
	done
}
below_min() {
	awk -v m="$MINP" -v n="$N" '$2 >= m { k++ } END { exit !(k < n) }' \
	    "$TMP/sample"
}

samples=0
while :; do
	sample
	samples=$((samples + 1))
	below_min || break
	if [ $(($(now_ms) - T0)) -gt $((CONVERGE_S * 1000)) ]; then
		fail "not every node has $MINP connections after ${CONVERGE_S}s:" \
		    "$(awk -v m="$MINP" '$2 < m { printf "n%s=%s ", $1, $2 }' "$TMP/sample")"
	fi
	sleep 0.5
done
el=$(($(now_ms) - T0))
ok "all $N nodes have >= $MINP connections after ${el} ms ($samples samples," \
    "max $MAXSEEN connections on a node)"

# Keep sampling through grace + silence and a little more: the trims
# run, and no sample may break a cap meanwhile.  (No "<= max_peers at
# the end" check: protected bootstrap peers and peers in their grace
# period do not count towards the excess, and nodes still below
# min_peers keep dialing, so a node may sit at max_peers + 1 or 2.)
end=$(($(date +%s) + GRACE + 10 + 5))
while [ "$(date +%s)" -lt "$end" ]; do
	sample
	samples=$((samples + 1))
	sleep 0.5
done
trims=0
for i in $(seq 1 $N); do
	k=$(grep -c ': info: trimming 12D3KooW[1-9A-HJ-NP-Za-km-z]*: over peers.max_peers (score -\{0,1\}[0-9]*)$' "$TMP/n$i.log")
	m=$(rpc "$TMP/n$i/control.sock" metrics | json_num peers_trimmed)
	[ "$k" = "$m" ] || fail "n$i: $k trim lines but metrics peers_trimmed $m"
	trims=$((trims + k))
done
[ "$trims" -gt 0 ] || fail "no node trimmed anything"
ok "$samples samples, no node above its caps (max $MAXSEEN connections);" \
    "$trims peers trimmed"

for i in $(seq 1 $N); do
	grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error\|: error: ' \
	    "$TMP/n$i.log" && fail "n$i: error in the log"
done
for i in $(seq 1 $N); do
	use_daemon "N$i"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "n$i: exit status $DAEMON_STATUS"
done
exit 0
