#!/bin/sh
# 010-notify: peerdiscd as a Type=notify service, against a
# $NOTIFY_SOCKET this test owns: READY=1 with a STATUS= line once the
# control socket answers, STATUS= following the peer count, RELOADING=1
# with MONOTONIC_USEC= then READY=1 around SIGHUP, config.reload and a
# broken file, WATCHDOG=1 every half of $WATCHDOG_USEC (no $WATCHDOG_PID),
# STOPPING=1 last; every message from the daemon's pid, in that order.
# The control socket keeps mode 0660 under UMask=0077.  Built without
# libsystemd: the daemon runs, reloads and stops, and sends nothing.
. "$top_srcdir/tests/systemd/lib.sh"

setup_tmp
# two daemons talk over 127.0.0.1: no network namespace (each would get its own)
NETNS_CMD=
WD_USEC=200000

start_recv "$TMP/notify" "$TMP/notify.out"
write_ctl_conf "$TMP/a.conf" "$TMP/a"
write_ctl_conf "$TMP/b.conf" "$TMP/b"

if [ "${PD_HAVE_SYSTEMD:-0}" != 1 ]; then
	# --without-systemd: runs, serves, stops; sends nothing
	NOTIFY_SOCKET="$TMP/notify" WATCHDOG_USEC=$WD_USEC \
	    start_daemon "$TMP/a.log" "$PEERDISCD" -c "$TMP/a.conf"
	wait_for_log ': info: control socket '
	ctl_expect 0 "$TMP/a/control.sock" status
	kill -HUP "$DAEMON_PID"
	wait_for_log ': info: reload: no changes$'
	sleep 0.5
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"
	[ -s "$TMP/notify.out" ] &&
	    fail "notify messages without libsystemd: $(cat "$TMP/notify.out")"
	ok "built without libsystemd: runs, reloads, stops; notify is a no-op"
	exit 0
fi

# B: a peer to connect to, outside any service manager
# shellcheck disable=SC2086
start_daemon "$TMP/b.log" $NETNS_CMD "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: listening on '
baddr=$(logged_listen_addr)
[ -n "$baddr" ] || fail "no listen address logged by B"

# A: the service, with the watchdog asked for, under UMask=0077
# shellcheck disable=SC2086
(umask 0077; exec env NOTIFY_SOCKET="$TMP/notify" WATCHDOG_USEC=$WD_USEC \
    $NETNS_CMD "$PEERDISCD" -c "$TMP/a.conf" 2>"$TMP/a.log" </dev/null) &
DAEMON_PID=$!
DAEMON_LOG="$TMP/a.log"
save_daemon A
wait_recv ' READY=1|STATUS=0 peers connected (0 in, 0 out), 0 known$' \
    "READY=1 with the STATUS= line"
# at READY the control socket answers
ctl_expect 0 "$TMP/a/control.sock" status
grep -q '12D3KooW' "$TMP/ctl.out" || fail "status without a peer ID"
[ "$(file_mode "$TMP/a/control.sock")" = 660 ] ||
    fail "control socket mode $(file_mode "$TMP/a/control.sock") under" \
    "umask 0077, want 660"
grep -q ': info: watchdog: pinging systemd every 100 ms$' "$TMP/a.log" ||
    fail "watchdog interval not logged as 100 ms"
ok "READY=1 with STATUS=, control socket up (mode 660 under umask 077)"

# STATUS= follows a connection
ctl_expect 0 "$TMP/a/control.sock" connect "$baddr"
wait_recv 'STATUS=1 peer connected (0 in, 1 out), 1 known$' \
    "STATUS= after a connection"
ok "STATUS= follows the peer count"

# watchdog pings: at half of WATCHDOG_USEC, never a gap of a full interval
sleep 2
awk -v max="$((WD_USEC / 1000))" '
	/ WATCHDOG=1$/ {
		n++
		if (n > 1 && $1 - last > gap) gap = $1 - last
		last = $1
	}
	END {
		printf "watchdog: %d pings, largest gap %d ms (interval %d ms)\n",
		    n, gap, max
		exit !(n >= 15 && gap < max)
	}' "$TMP/notify.out" || fail "watchdog pings not at the configured rate"
ok "WATCHDOG=1 pings at the configured rate"

# SIGHUP: RELOADING=1 with MONOTONIC_USEC=, then READY=1
kill -HUP "$A_PID"
wait_for_log ': info: reload: no changes$'
wait_until "READY=1 after SIGHUP" \
    test "$(recv_count 'READY=1|STATUS=')" -ge 2
recv_has ' RELOADING=1|MONOTONIC_USEC=[1-9][0-9]*$' ||
    fail "no RELOADING=1 with MONOTONIC_USEC="
# MONOTONIC_USEC is close to the receiver's clock (same CLOCK_MONOTONIC)
mono=$(sed -n 's/.* RELOADING=1|MONOTONIC_USEC=\([0-9]*\)$/\1/p' \
    "$TMP/notify.out" | head -n 1)
now=$(awk '{ print int($1) }' /proc/uptime)
[ $((mono / 1000000)) -le $((now + 1)) ] ||
    fail "MONOTONIC_USEC=$mono is in the future (uptime ${now}s)"

# config.reload, and a broken file (still READY: the old config runs)
ctl_expect 0 "$TMP/a/control.sock" reload
wait_until "READY=1 after config.reload" \
    test "$(recv_count 'READY=1|STATUS=')" -ge 3
printf '[peers]\nmax_peers = 0\n' >>"$TMP/a.conf"
kill -HUP "$A_PID"
wait_for_log ': error: reload failed with 1 error; keeping the running configuration$'
wait_until "READY=1 after a failed reload" \
    test "$(recv_count 'READY=1|STATUS=')" -ge 4
ok "RELOADING=1 ... READY=1 around SIGHUP, config.reload, a broken file"

kill -TERM "$A_PID"
wait_exit
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"
sleep 0.2

# every message from A itself; the order of the state messages
grep -v " pid=$A_PID " "$TMP/notify.out" | grep -q . &&
    fail "messages not from the daemon's pid $A_PID: $(grep -v " pid=$A_PID " "$TMP/notify.out")"
order=$(sed -n -e 's/^[0-9]* pid=[0-9]* //' \
    -e '/^WATCHDOG=1$/d' -e '/^STATUS=/d' \
    -e 's/|.*//' -e 'p' "$TMP/notify.out" | tr '\n' ' ')
want="READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 "
[ "$order" = "$want" ] || fail "notify order: '$order', want '$want'"
last=$(sed -n '$s/^[0-9]* pid=[0-9]* //p' "$TMP/notify.out")
[ "$last" = STOPPING=1 ] || fail "last message '$last', want STOPPING=1"
echo "--- notify messages (watchdog pings left out):"
grep -v ' WATCHDOG=1$' "$TMP/notify.out" | sed 's/^/  | /'
ok "state messages in order, all from pid $A_PID, STOPPING=1 last"
exit 0
