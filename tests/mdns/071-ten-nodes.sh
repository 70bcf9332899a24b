#!/bin/sh
# 071-ten-nodes: ten peerdiscd in ten namespaces on one bridge (default
# mDNS interval); within 15 s of the last start every node lists all nine
# others in discovery.local (90 ordered pairs, polled every 0.2 s), and
# each logged a "mdns: discovered" line for each of them.  Also: every
# node connects to at least one other within the same bound (the
# connection manager dials below min_peers, default 5), none logs an
# error, all stop cleanly.
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-90}
md_setup
md_need_mdns_daemon
N=10
NODES=$(seq 1 $N)
for i in $NODES; do
	md_ns "$i"
done
for i in $NODES; do
	md_pd_spawn "$i"
done
for i in $NODES; do
	md_pd_ready "$i"
done
T0=$(now_ms)
ok "$N daemons up"

# shellcheck disable=SC2086
all_know() { md_all_know $NODES; }
lim=$((T0 + 15000))
until all_know; do
	if [ "$(now_ms)" -ge "$lim" ] || ! md_time_left; then
		# shellcheck disable=SC2086
		fail "after 15 s, still missing (A!B: A does not list B):" \
			"$(md_missing $NODES)"
	fi
	sleep 0.2
done
el=$(($(now_ms) - T0))
ok "all $((N * (N - 1))) pairs discovered in ${el} ms"

for i in $NODES; do
	for j in $NODES; do
		[ "$i" = "$j" ] && continue
		eval "jid=\$n${j}_id"
		md_log_has "n$i" ": info: mdns: discovered $jid on eth0 at /ip4/10\.77\.0\.$j/tcp/4001" ||
			fail "n$i: no 'mdns: discovered' line for n$j"
	done
done
ok "every node logged a discovered line for each of the others"

some_conn() {
	for i in $NODES; do
		[ -n "$(md_connected "$i")" ] || return 1
	done
}
md_wait_until 15 "every node to have a connection" some_conn
total=0
for i in $NODES; do
	c=$(md_connected "$i" | wc -l)
	total=$((total + c))
	md_healthy "$i"
done
ok "every node connected ($total connections counted from both ends)"

# shellcheck disable=SC2086
md_finish $NODES
ok "all stopped cleanly"
