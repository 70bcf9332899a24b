#!/bin/sh
# 020-socket-activation: systemd-socket-activate holds the control
# socket and starts peerdiscd on the first connection, as peerdiscd.socket
# does; peerdiscctl status, the first client, is answered on the
# inherited socket (not on control.socket from the conf, which is never
# created), and the daemon leaves the socket file alone at exit.
. "$top_srcdir/tests/systemd/lib.sh"

need_libsystemd
command -v systemd-socket-activate >/dev/null 2>&1 ||
    skip "systemd-socket-activate not installed (package systemd)"
setup_tmp
maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"

# shellcheck disable=SC2086
start_daemon "$TMP/log" $NETNS_CMD systemd-socket-activate \
    -l "$TMP/ctl.sock" "$PEERDISCD" -c "$TMP/conf"
wait_until "systemd-socket-activate listening" test -S "$TMP/ctl.sock"
[ -e "$TMP/d/state/identity.key" ] &&
    fail "peerdiscd started before the first connection"

# the first client starts the daemon and gets its answer
ctl_expect 0 "$TMP/ctl.sock" status
grep -q '12D3KooW' "$TMP/ctl.out" ||
    fail "status has no peer ID: $(cat "$TMP/ctl.out")"
wait_for_log ": info: control socket $TMP/ctl.sock (inherited)\$"
grep -q ": warn: control socket: using $TMP/ctl.sock from socket activation, not control.socket $TMP/d/control.sock\$" \
    "$TMP/log" || fail "no warning naming both socket paths"
[ -e "$TMP/d/control.sock" ] && fail "control.socket was created too"
ok "first client (peerdiscctl status) answered on the inherited socket"

# systemd-socket-activate execs the daemon: same pid, one process
grep -q "^peerdiscd\[$DAEMON_PID\]: info: peer ID " "$TMP/log" ||
    fail "the daemon does not run as pid $DAEMON_PID"
ctl_expect 0 "$TMP/ctl.sock" status
ctl_expect 0 "$TMP/ctl.sock" peers

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"
[ -S "$TMP/ctl.sock" ] || fail "the daemon removed the inherited socket file"
ok "clean exit; the inherited socket file is left to its owner"
exit 0
