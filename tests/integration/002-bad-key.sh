#!/bin/sh
# 002-bad-key: a key file with a group/other-readable mode, with garbage
# bytes, or empty is refused: peerdiscd exits non-zero, names the file,
# and leaves the file exactly as it was.  A state directory that cannot
# be created stops the daemon with a message naming it.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
maybe_netns
conf="$TMP/peerdiscd.conf"
write_test_conf "$conf"
key="$TMP/state/identity.key"

# a good key first
# shellcheck disable=SC2086
start_daemon "$TMP/log0" $NETNS_CMD "$PEERDISCD" -c "$conf"
wait_for_log ': info: peer ID '
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "clean start/stop failed ($DAEMON_STATUS)"
[ -f "$key" ] || fail "no key created at $key"

# refuse KEY-STATE: peerdiscd must exit non-zero naming $key, file untouched
refuse() {
	cp -p "$key" "$TMP/key.before"
	# shellcheck disable=SC2086
	run_bounded $NETNS_CMD "$PEERDISCD" -c "$conf" 2>"$TMP/err" &&
	    fail "$1: peerdiscd started"
	status=$?
	[ "$status" = 124 ] && fail "$1: peerdiscd did not exit"
	DAEMON_LOG="$TMP/err"
	grep -q "error: cannot use the identity key: $key" "$TMP/err" ||
	    fail "$1: the error does not name $key"
	cmp -s "$key" "$TMP/key.before" || fail "$1: the key file was changed"
	[ "$(file_mode "$key")" = "$(file_mode "$TMP/key.before")" ] ||
	    fail "$1: the key file mode was changed"
	DAEMON_LOG=
	ok "$1: refused (status $status): $(sed -n 's/.*error: //p' "$TMP/err" | head -n 1)"
}

chmod 0644 "$key"
refuse "mode 0644"

chmod 0600 "$key"
printf 'this is not a libp2p private key\001\002\003' >"$key"
refuse "garbage in a 0600 file"

: >"$key"
refuse "empty 0600 file"

: >"$TMP/plainfile"
sed "s|^state_dir = .*|state_dir = $TMP/plainfile/state|" "$conf" >"$TMP/nodir.conf"
# shellcheck disable=SC2086
run_bounded $NETNS_CMD "$PEERDISCD" -c "$TMP/nodir.conf" 2>"$TMP/err" &&
    fail "started without a state directory"
grep -q ": error: cannot create the state directory: $TMP/plainfile: not a directory\$" \
    "$TMP/err" || fail "state directory error unclear: $(cat "$TMP/err")"
ok "uncreatable state directory: $(sed -n 's/.*error: //p' "$TMP/err")"
exit 0
