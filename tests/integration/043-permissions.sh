#!/bin/sh
# 043-permissions: who may call what on the control socket (SO_PEERCRED,
# design.md "Control protocol").  The daemon runs as root; clients run
# as nobody through setpriv.
#  - control.socket_mode = 0666: nobody reaches the socket; the read
#    methods work, every mutating method (peers.add, peers.connect,
#    peers.disconnect, peers.protect, peers.unprotect, config.reload)
#    gets -32005 PERMISSION_DENIED naming the uid; root may mutate.
#  - control.admin_group = users: the socket belongs to the group;
#    nobody with that group as a supplementary group (setpriv --groups)
#    or as its primary group may mutate, nobody without it still not.
#  - admin_group with the default mode 0660: nobody outside the group
#    cannot even connect (peerdiscctl exit status 2).
# Needs root (skips otherwise), setpriv, a "nobody" user and a "users"
# group (else another group nobody is not in).
. "$top_srcdir/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (runs clients as nobody against a root daemon)"
setup_tmp
need_socat
command -v setpriv >/dev/null 2>&1 || skip "setpriv (util-linux) not installed"
id nobody >/dev/null 2>&1 || skip "no user nobody"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
ADMIN_GROUP=users
getent group "$ADMIN_GROUP" >/dev/null 2>&1 ||
    ADMIN_GROUP=$(getent group | awk -F: -v g="$NOBODY_GID" '$3 != 0 && $3 != g && $4 == "" { print $1; exit }')
[ -n "$ADMIN_GROUP" ] || skip "no group to use as control.admin_group"
ADMIN_GID=$(getent group "$ADMIN_GROUP" | cut -d: -f3)
id -G nobody | tr ' ' '\n' | grep -qx "$ADMIN_GID" &&
    skip "nobody is already in group $ADMIN_GROUP"

chmod 0711 "$TMP"	# nobody must reach $TMP/d/control.sock
maybe_netns
SOCK="$TMP/d/control.sock"
# shellcheck disable=SC2046 # IDs are single words
set -- $(gen_peer_ids 430 2)
P1=$1 P2=$2

# start_with MODE [GROUP]: (re)start the daemon with that socket mode
# and control.admin_group.
start_with() {
	write_ctl_conf "$TMP/conf" "$TMP/d"
	sed -i "s|^socket = .*|&\nsocket_mode = $1|" "$TMP/conf"
	[ -n "${2:-}" ] && sed -i "s|^socket_mode = .*|&\nadmin_group = $2|" "$TMP/conf"
	chmod 0755 "$TMP/d"
	# shellcheck disable=SC2086
	start_daemon "$TMP/log.$1${2:+.$2}" $NETNS_CMD "$PEERDISCD" -c "$TMP/conf"
	wait_for_log ': info: control socket '
}

# as_nobody SETPRIV-GROUP-OPTIONS CMD...: run CMD as nobody (bounded).
as_nobody() {
	_opts=$1
	shift
	# shellcheck disable=SC2086
	run_bounded setpriv --reuid="$NOBODY_UID" $_opts "$@"
}
NOGROUPS="--regid=$NOBODY_GID --clear-groups"
INGROUP="--regid=$NOBODY_GID --groups=$ADMIN_GID"
PRIMARY="--regid=$ADMIN_GID --clear-groups"

# rpc_as OPTS METHOD [PARAMS]: one raw request as nobody.
rpc_as() {
	_opts=$1
	shift
	if [ $# -ge 2 ]; then
		printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' "$1" "$2"
	else
		printf '{"jsonrpc":"2.0","id":1,"method":"%s"}\n' "$1"
	fi | as_nobody "$_opts" socat -t "$PD_TEST_TIMEOUT" - "UNIX-CONNECT:$SOCK"
}

MUTATING="peers.add {\"peer\":\"$P1\",\"addrs\":[\"/ip4/192.0.2.1/tcp/1\"]}
peers.connect {\"addr\":\"/ip4/127.0.0.1/tcp/1\"}
peers.disconnect {\"peer\":\"$P1\"}
peers.protect {\"peer\":\"$P1\"}
peers.unprotect {\"peer\":\"$P1\"}
config.reload {}"

# ----- mode 0666, no admin group -----
start_with 0666
[ "$(file_mode "$SOCK")" = 666 ] || fail "socket mode $(file_mode "$SOCK"), want 666"
for m in node.info peers.list conn.stats metrics events.subscribe; do
	out=$(rpc_as "$NOGROUPS" "$m")
	expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":' "nobody: $m"
done
out=$(rpc_as "$NOGROUPS" peers.get "{\"peer\":\"$P2\"}")
expect_match "$out" '"error":{"code":-32002,' "nobody: peers.get of an unknown peer"
printf '%s\n' "$MUTATING" | while read -r m params; do
	out=$(rpc_as "$NOGROUPS" "$m" "$params")
	expect_match "$out" '^{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"PERMISSION_DENIED","data":{"reason":"'"$m"' changes the daemon.s state; uid '"$NOBODY_UID"' is not ' \
	    "nobody: $m"
done || exit 1
out=$(rpc "$SOCK" peers.get "{\"peer\":\"$P1\"}")
expect_match "$out" '"error":{"code":-32002,' "a denied peers.add added the peer"
out=$(rpc "$SOCK" peers.add "{\"peer\":\"$P1\"}")
expect_match "$out" '"result":{"id":"'"$P1"'"' "root: peers.add"
# peerdiscctl as nobody, if nobody may run it from this build tree
if as_nobody "$NOGROUPS" "$PEERDISCCTL" --version >/dev/null 2>&1; then
	as_nobody "$NOGROUPS" "$PEERDISCCTL" -s "$SOCK" status >"$TMP/out" 2>&1 ||
	    fail "peerdiscctl status as nobody: $(cat "$TMP/out")"
	as_nobody "$NOGROUPS" "$PEERDISCCTL" -s "$SOCK" reload >"$TMP/out" 2>&1
	st=$?
	[ "$st" = 5 ] || fail "peerdiscctl reload as nobody: exit $st, want 5"
	expect_grep "$TMP/out" 'PERMISSION_DENIED' "peerdiscctl reload as nobody"
	ok "peerdiscctl as nobody: status works, reload denied (exit 5)"
else
	echo "note: nobody cannot run $PEERDISCCTL here; raw clients only"
fi
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "mode 0666: nobody reads, every mutating method denied (-32005)"

# ----- admin group -----
start_with 0666 "$ADMIN_GROUP"
[ "$(stat -c %g "$SOCK")" = "$ADMIN_GID" ] || fail "socket group $(stat -c %g "$SOCK"), want $ADMIN_GID"
[ "$(file_mode "$SOCK")" = 666 ] || fail "socket mode $(file_mode "$SOCK"), want 666"
out=$(rpc_as "$NOGROUPS" peers.add "{\"peer\":\"$P2\"}")
expect_match "$out" '"error":{"code":-32005,' "nobody outside $ADMIN_GROUP: peers.add"
out=$(rpc_as "$INGROUP" peers.add "{\"peer\":\"$P2\",\"addrs\":[\"/ip4/192.0.2.2/tcp/2\"]}")
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"id":"'"$P2"'"' "nobody in $ADMIN_GROUP: peers.add"
out=$(rpc_as "$INGROUP" peers.protect "{\"peer\":\"$P2\"}")
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "nobody in $ADMIN_GROUP: peers.protect"
out=$(rpc_as "$INGROUP" peers.unprotect "{\"peer\":\"$P2\"}")
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{}}$' "nobody in $ADMIN_GROUP: peers.unprotect"
out=$(rpc_as "$INGROUP" config.reload)
expect_match "$out" '^{"jsonrpc":"2.0","id":1,"result":{"applied":\[\],"needs_restart":\[\]}}$' \
    "nobody in $ADMIN_GROUP: config.reload"
out=$(rpc_as "$INGROUP" peers.connect '{"addr":"/ip4/127.0.0.1/tcp/1"}')
expect_match "$out" '"error":{"code":-3200[34],' "nobody in $ADMIN_GROUP: peers.connect (dials, fails)"
out=$(rpc_as "$INGROUP" peers.disconnect "{\"peer\":\"$P2\"}")
expect_match "$out" '"error":{"code":-32002,' "nobody in $ADMIN_GROUP: peers.disconnect (not connected)"
out=$(rpc_as "$PRIMARY" peers.add "{\"peer\":\"$P1\"}")
expect_match "$out" '"result":{"id":"'"$P1"'"' "nobody with primary group $ADMIN_GROUP: peers.add"
out=$(rpc_as "$NOGROUPS" node.info)
expect_match "$out" '"result":{"peer_id":' "nobody outside $ADMIN_GROUP: node.info"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "admin_group $ADMIN_GROUP: members (supplementary or primary) mutate, others do not"

# ----- admin group, mode 0660: outsiders cannot connect -----
start_with 0660 "$ADMIN_GROUP"
[ "$(file_mode "$SOCK")" = 660 ] || fail "socket mode $(file_mode "$SOCK"), want 660"
printf '{"jsonrpc":"2.0","id":1,"method":"node.info"}\n' |
    as_nobody "$NOGROUPS" socat - "UNIX-CONNECT:$SOCK" >"$TMP/out" 2>&1 &&
    fail "nobody outside $ADMIN_GROUP connected to a 0660 socket: $(cat "$TMP/out")"
out=$(rpc_as "$INGROUP" node.info)
expect_match "$out" '"result":{"peer_id":' "nobody in $ADMIN_GROUP: node.info on a 0660 socket"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "mode 0660 with admin_group: only the group connects"
exit 0
