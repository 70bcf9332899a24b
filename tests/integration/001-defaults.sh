#!/bin/sh
# 001-defaults: peerdiscd on built-in defaults (no -c, no conf file) as an
# ordinary user with HOME in a temp dir and no XDG/systemd variables:
# the state directory and a 0600 identity appear under
# ~/.local/state/peerdisc, the log names the peer ID, SIGTERM exits 0,
# and a restart keeps the same peer ID without creating a new key.
# Runs inside a network namespace (design rule); as root it drops to
# nobody so that the non-root defaults apply.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_netns
conf="${sysconfdir:?}/peerdisc/peerdiscd.conf"
[ -e "$conf" ] && skip "$conf exists and would be read instead of the defaults"

home="$TMP/home"
mkdir -p "$home" || fail "mkdir $home"
run_as=
if [ "$(id -u)" = 0 ]; then
	# the non-root rules: run as nobody, who must own HOME
	command -v setpriv >/dev/null || skip "root, and no setpriv to drop privileges"
	chmod 0755 "$TMP"
	chown 65534:65534 "$home" || fail "chown $home"
	run_as="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi

run() {
	# shellcheck disable=SC2086
	start_daemon "$1" $NETNS_CMD $run_as env -u XDG_STATE_HOME \
	    -u XDG_RUNTIME_DIR -u STATE_DIRECTORY -u RUNTIME_DIRECTORY \
	    HOME="$home" "$PEERDISCD"
}

state="$home/.local/state/peerdisc"
key="$state/identity.key"

# first start: creates the identity
run "$TMP/log1"
wait_for_log ': info: peer ID '
grep -q "^peerdiscd\[$DAEMON_PID\]: info: identity created at $key\$" \
    "$TMP/log1" || fail "no 'identity created at $key' line"
grep -q "configuration: built-in defaults" "$TMP/log1" ||
    fail "log does not say the built-in defaults are used"
grep -q "^peerdiscd\[$DAEMON_PID\]: info: state directory $state\$" \
    "$TMP/log1" || fail "log does not name the state directory $state"
id1=$(logged_peer_id)
case "$id1" in
12D3KooW*) ;;
*) fail "peer ID line not of the form 12D3KooW...: '$id1'" ;;
esac
[ -f "$key" ] || fail "no identity file at $key"
[ "$(file_mode "$key")" = 600 ] || fail "$key has mode $(file_mode "$key"), want 600"
[ "$(file_mode "$state")" = 700 ] || fail "$state has mode $(file_mode "$state"), want 700"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS after SIGTERM, want 0"
grep -q ': info: SIGTERM received; shutting down' "$TMP/log1" ||
    fail "no shutdown line"
ok "first start created $key for $id1; SIGTERM exits 0"

# second start: same key, nothing created
cp "$key" "$TMP/key.before"
run "$TMP/log2"
wait_for_log ': info: peer ID '
id2=$(logged_peer_id)
[ "$id1" = "$id2" ] || fail "peer ID changed across restarts: $id1 -> $id2"
grep -q 'identity created' "$TMP/log2" && fail "identity created again"
stop_daemon INT
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS after SIGINT, want 0"
cmp -s "$key" "$TMP/key.before" || fail "identity file changed on restart"
ok "restart kept peer ID $id2; SIGINT exits 0"
exit 0
