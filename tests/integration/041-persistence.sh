#!/bin/sh
# 041-persistence: the peer store survives restarts.  Peers added with
# peers.add (addresses, ttl, a protect tag) are saved at shutdown
# (SIGTERM) and, before a SIGKILL, by the save that follows a change
# (PD_MANAGER_SAVE_DEBOUNCE_MS, 2 s; polled in the file); a restarted
# daemon lists them (peers.list connected_only=false) with the same
# addresses, source manual and first_seen.  A peers.json that does not
# parse (garbage, or a truncated file) is moved aside to
# peers.json.corrupt-<time>[-N] with a warning, never overwritten, and
# the daemon starts empty and saves a good file again.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
STATE="$TMP/d/state"
STORE="$STATE/peers.json"
# shellcheck disable=SC2046 # IDs are single words
set -- $(gen_peer_ids 410 4)
P1=$1 P2=$2 P3=$3 P4=$4

start() {
	# shellcheck disable=SC2086
	start_daemon "$TMP/log.$1" $NETNS_CMD "$PEERDISCD" -c "$TMP/conf"
	wait_for_log ': info: control socket '
}

# list_all: peers.list of every known peer, one peer object per line.
list_all() {
	rpc "$SOCK" peers.list '{"connected_only":false}' |
	    sed 's/},{"id":/}\n{"id":/g'
}

# peer_line ID: ID's object from list_all.
peer_line() {
	list_all | grep "\"id\":\"$1\""
}

start 1
rpc "$SOCK" peers.add '{"peer":"'"$P1"'","addrs":["/ip4/192.0.2.1/tcp/4001","/ip6/2001:db8::1/tcp/4001"],"ttl_s":3600}' |
    grep -q '"result":' || fail "peers.add P1"
rpc "$SOCK" peers.add '{"peer":"'"$P2"'","addrs":["/dns4/peer2.example/tcp/4002"]}' |
    grep -q '"result":' || fail "peers.add P2"
rpc "$SOCK" peers.protect '{"peer":"'"$P2"'","tag":"keep"}' |
    grep -q '"result":{}' || fail "peers.protect P2"
p1_before=$(peer_line "$P1")
first_seen=$(printf '%s' "$p1_before" | json_num first_seen)
[ -n "$first_seen" ] || fail "no first_seen for P1: $p1_before"

# ----- saved at shutdown (SIGTERM) -----
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS after SIGTERM"
[ -f "$STORE" ] || fail "no $STORE after SIGTERM"
expect_grep "$STORE" '^{"version":1,"saved_at":[0-9]' "store file header"
expect_grep "$STORE" "$P1" "P1 in the store file"
expect_grep "$STORE" "$P2" "P2 in the store file"
[ "$(ls "$STATE")" = "identity.key
peers.json" ] || fail "stray files in the state directory: $(ls "$STATE")"
[ "$(file_mode "$STORE")" = 600 ] || [ "$(file_mode "$STORE")" = 644 ] ||
    fail "store file mode $(file_mode "$STORE")"

start 2
expect_grep "$TMP/log.2" ": info: peer store: 2 peers loaded from $STORE\$" "load log line"
l1=$(peer_line "$P1")
l2=$(peer_line "$P2")
expect_match "$l1" '"addrs":\["/ip4/192.0.2.1/tcp/4001","/ip6/2001:db8::1/tcp/4001"\],"connected":false,' \
    "P1's addresses after restart"
expect_match "$l1" '"sources":\["manual"\]' "P1's source after restart"
expect_match "$l1" "\"first_seen\":$first_seen," "P1's first_seen after restart"
expect_match "$l2" '"addrs":\["/dns4/peer2.example/tcp/4002"\],' "P2's address after restart"
expect_match "$l2" '"sources":\["manual"\]' "P2's source after restart"
expect_match "$l2" '"protected":true,"protect_tags":\["keep"\]' "P2's protect tag after restart"
out=$(rpc "$SOCK" node.info)
expect_match "$out" '"peers_known":2,' "peers_known after restart"
ok "peers saved at SIGTERM and listed after restart"

# ----- saved after a change, before a SIGKILL -----
rpc "$SOCK" peers.add '{"peer":"'"$P3"'","addrs":["/ip4/192.0.2.3/tcp/4003"]}' |
    grep -q '"result":' || fail "peers.add P3"
t0=$(date +%s)
wait_until "P3 in $STORE (the save after a change)" file_has "$STORE" "$P3"
t1=$(date +%s)
stop_daemon KILL
[ -f "$STORE" ] || fail "no $STORE after SIGKILL"
start 3
expect_grep "$TMP/log.3" ": info: peer store: 3 peers loaded from $STORE\$" "load after SIGKILL"
expect_match "$(peer_line "$P3")" '"addrs":\["/ip4/192.0.2.3/tcp/4003"\],' "P3 after SIGKILL and restart"
peer_line "$P1" >/dev/null || fail "P1 lost after SIGKILL"
ok "a change saved within $((t1 - t0))s survives SIGKILL"

# ----- a corrupt store file -----
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
cp "$STORE" "$TMP/good.json"
printf 'garbage \001\377 not json {{{\n' >"$STORE"
cp "$STORE" "$TMP/garbage"
start 4
expect_grep "$TMP/log.4" ": warn: peer store $STORE did not parse: .*moved aside to $STORE\\.corrupt-[0-9]*; starting empty\$" \
    "warning for the garbage file"
moved=$(sed -n "s|.*moved aside to \($STORE\.corrupt-[0-9-]*\); starting empty\$|\1|p" "$TMP/log.4")
[ -f "$moved" ] || fail "the corrupt file is not at $moved"
cmp -s "$moved" "$TMP/garbage" || fail "$moved is not the corrupt file"
[ -e "$STORE" ] && fail "$STORE still there after being moved aside"
out=$(rpc "$SOCK" node.info)
expect_match "$out" '"peers_known":0,' "empty store after a corrupt file"
expect_match "$(rpc "$SOCK" peers.list '{"connected_only":false}')" '"peers":\[\],"total":0}' \
    "peers.list after a corrupt file"
rpc "$SOCK" peers.add '{"peer":"'"$P4"'","addrs":["/ip4/192.0.2.4/tcp/4004"]}' |
    grep -q '"result":' || fail "peers.add P4"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
expect_grep "$STORE" "$P4" "P4 saved after a corrupt start"
grep -q "$P1" "$STORE" && fail "P1 came back from nowhere"
ok "garbage moved aside to $(basename "$moved"), started empty, saved again"

# a truncated file: moved aside too, the earlier copy kept
head -c 100 "$TMP/good.json" >"$STORE"
start 5
expect_grep "$TMP/log.5" ": warn: peer store $STORE did not parse: .*moved aside to $STORE\\.corrupt-" \
    "warning for the truncated file"
moved2=$(sed -n "s|.*moved aside to \($STORE\.corrupt-[0-9-]*\); starting empty\$|\1|p" "$TMP/log.5")
[ -f "$moved2" ] && [ "$moved2" != "$moved" ] || fail "truncated file not moved to a new name ($moved2)"
cmp -s "$moved" "$TMP/garbage" || fail "the first corrupt copy was replaced"
expect_match "$(rpc "$SOCK" node.info)" '"peers_known":0,' "empty store after a truncated file"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "truncated file moved aside to $(basename "$moved2")"
exit 0
