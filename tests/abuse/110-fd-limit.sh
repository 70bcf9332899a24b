#!/bin/sh
# 110-fd-limit: peerdiscd under "ulimit -n 64" with more peers than
# descriptors (tests/tools/flood: 100 TCP connections from 127.0.0.1,
# each sending the multistream header and then holding, 4 s).
#
# The daemon keeps 32 descriptors for the control socket and the store:
# under a limit of 64, inbound connections are capped at 32 whatever
# peers.max_inbound says, with a clear warning at start.
#
# Phase 1, default caps (max_inbound = max_peers = 50, above that
# budget; max_per_ip raised so the per-IP cap does not bind): the daemon
# logs the cap, refuses what is over it with its "inbound connection
# limit (32)" line, never runs out of descriptors, and node.info from a
# fresh control client answers (< 1 s) during the flood.
#
# Phase 2, caps far above the fd limit (max_inbound = max_peers = 1000):
# the same cap holds; node.info answers during the flood; afterwards the
# descriptor count returns to where it was and another peerdiscd
# connects to it.
# Loopback only; every process killed by PID.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
FLOOD="$top_builddir/tests/tools/flood"
[ -x "$FLOOD" ] || fail "$FLOOD not built"
FDS=64
NCONN=100
PD_TEST_TIMEOUT=20

fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# node.info from a fresh client, bounded by 2 s: prints the time in ms
# and succeeds if it answered.
timed_info() {
	_t0=$(date +%s%N)
	_r=$(printf '{"jsonrpc":"2.0","id":1,"method":"node.info"}\n' |
	    timeout -k 1 2 socat -t 2 - "UNIX-CONNECT:$1" 2>/dev/null)
	_t1=$(date +%s%N)
	echo $(((_t1 - _t0) / 1000000))
	case $_r in
	*'"result":{"peer_id":'*) return 0 ;;
	esac
	return 1
}

# start_limited NAME CONF: peerdiscd with at most $FDS descriptors (the
# shell execs it: the PID stays the daemon's).
start_limited() {
	start_daemon "$TMP/$1.log" sh -c 'ulimit -n "$0" && exec "$@"' "$FDS" \
	    "$PEERDISCD" -c "$2"
	save_daemon "$1"
	wait_for_log ': info: control socket '
	[ "$(sed -n 's/^Max open files *\([0-9]*\) .*/\1/p' \
	    "/proc/$DAEMON_PID/limits")" = "$FDS" ] || fail "ulimit -n not applied"
}

# flood_and_probe SOCK: flood the daemon's port while probing node.info
# five times; ANSWERED / WORST_MS / MAXFD say how it went.
flood_and_probe() {
	A_ADDR=$(logged_listen_addr)
	port=${A_ADDR%/p2p/*}
	port=${port##*/}
	timeout -k 2 20 "$FLOOD" -n "$NCONN" -m -H 4 "$port" >"$TMP/flood.out" 2>&1 &
	FPID=$!
	track_pid "$FPID"
	ANSWERED=0
	WORST_MS=0
	MAXFD=0
	sleep 0.5
	for _k in 1 2 3 4 5; do
		n=$(fd_count "$DAEMON_PID")
		[ "$n" -gt "$MAXFD" ] && MAXFD=$n
		if ms=$(timed_info "$1"); then
			ANSWERED=$((ANSWERED + 1))
		fi
		[ "$ms" -gt "$WORST_MS" ] && WORST_MS=$ms
		pid_alive "$DAEMON_PID" || fail "the daemon died during the flood"
		sleep 0.2
	done
	wait "$FPID"
	FLINE=$(cat "$TMP/flood.out")
}

# ---- phase 1: default caps, below the fd limit ----------------------
write_ctl_conf "$TMP/a.conf" "$TMP/a"
printf 'max_per_ip = 1000\n' >>"$TMP/a.conf"
start_limited A "$TMP/a.conf"
base=$(fd_count "$DAEMON_PID")
flood_and_probe "$TMP/a/control.sock"
echo "phase 1: $FLINE; node.info answered $ANSWERED/5 (worst ${WORST_MS} ms);" \
    "daemon fds: $base at rest, up to $MAXFD of $FDS"
[ "$ANSWERED" = 5 ] || fail "phase 1: node.info answered $ANSWERED of 5 during the flood"
[ "$WORST_MS" -lt 1000 ] || fail "phase 1: node.info took $WORST_MS ms"
[ "$MAXFD" -lt "$FDS" ] || fail "phase 1: the daemon used $MAXFD descriptors"
expect_grep "$DAEMON_LOG" ': warn: descriptor limit 64: inbound connections capped at 32 ' \
    "phase 1: no descriptor-budget line"
expect_grep "$DAEMON_LOG" ': info: refused inbound connection from /ip4/127.0.0.1/tcp/[0-9]*: inbound connection limit (32) reached' \
    "phase 1: no refusal line"
file_has "$DAEMON_LOG" 'Too many open files' &&
    fail "phase 1: ran out of descriptors under the default caps"
ok "phase 1 (max_inbound 50, capped at 32 by $FDS fds): $FLINE; node.info $ANSWERED/5," \
    "worst ${WORST_MS} ms; at most $MAXFD fds"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "phase 1: exit status $DAEMON_STATUS"

# ---- phase 2: caps above the fd limit -------------------------------
write_ctl_conf "$TMP/b.conf" "$TMP/b"
printf 'max_per_ip = 1000\nmax_inbound = 1000\nmax_peers = 1000\n' >>"$TMP/b.conf"
SB="$TMP/b/control.sock"
start_limited B "$TMP/b.conf"
base=$(fd_count "$DAEMON_PID")
flood_and_probe "$SB"
echo "phase 2: $FLINE; node.info answered $ANSWERED/5 during the exhaustion" \
    "(worst ${WORST_MS} ms); daemon fds: $base at rest, up to $MAXFD of $FDS"
pid_alive "$DAEMON_PID" || fail "phase 2: the daemon died"
expect_grep "$DAEMON_LOG" ': warn: descriptor limit 64: inbound connections capped at 32 ' \
    "phase 2: no descriptor-budget line"
[ "$ANSWERED" = 5 ] || fail "phase 2: node.info answered $ANSWERED of 5 during the flood"
[ "$MAXFD" -lt "$FDS" ] || fail "phase 2: the daemon used $MAXFD descriptors"
nwarn=$(grep -c 'Too many open files' "$DAEMON_LOG")
# Recovery: descriptors back, control answers, a real peer connects.
fds_back() {
	[ "$(fd_count "$B_PID")" -le $((base + 2)) ]
}
wait_until "the daemon's descriptors to come back to $base" fds_back
timed_info "$SB" >/dev/null || fail "phase 2: node.info after the flood"
write_ctl_conf "$TMP/c.conf" "$TMP/c"
start_daemon "$TMP/c.log" "$PEERDISCD" -c "$TMP/c.conf"
save_daemon C
wait_for_log ': info: control socket '
ctl_expect 0 "$TMP/c/control.sock" connect "$A_ADDR"
use_daemon B
[ "$(rpc "$SB" conn.stats | json_num inbound)" = 1 ] || fail "B: the new peer is not connected inbound"
ok "phase 2 (max_inbound 1000, capped at 32): $nwarn EMFILE line(s), alive;" \
    "node.info $ANSWERED/5 during the flood; back to $(fd_count "$B_PID") fds," \
    "node.info answers and a new peer connects"
for n in B C; do
	use_daemon "$n"
	grep -q 'AddressSanitizer\|runtime error' "$DAEMON_LOG" &&
	    fail "$n: sanitizer report"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
exit 0
