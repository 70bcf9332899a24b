#!/bin/sh
# 030-journal: with $JOURNAL_STREAM naming its stderr (systemd's sign
# that stderr is the journal), peerdiscd sends native journal records:
# PRIORITY=, SYSLOG_IDENTIFIER=peerdiscd, MESSAGE=, and PEER_ID= and
# REMOTE_ADDR= on connection lines; nothing goes to stderr; a reload to
# log.level = warn stops info records; no key material appears.  If the
# journal goes away, lines fall back to stderr with "<N>" prefixes.  A
# $JOURNAL_STREAM naming another file changes nothing (plain stderr).
#
# The journal socket (/run/systemd/journal/socket, fixed in libsystemd)
# is this test's receiver, on a tmpfs over /run in a private mount
# namespace: root only.
. "$top_srcdir/tests/systemd/lib.sh"

if [ -z "$PD_JOURNAL_NS" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	unshare -m -n true 2>/dev/null ||
	    skip "cannot unshare mount and network namespaces"
	PD_JOURNAL_NS=1 exec unshare -m -n --propagation private sh "$0"
fi
# in the namespaces: a private /run, loopback up for two daemons
mount -t tmpfs -o mode=0755 tmpfs /run || skip "cannot mount a tmpfs on /run"
mkdir -p /run/systemd/journal
ip link set lo up 2>/dev/null || true
NETNS_CMD=
setup_tmp
start_recv /run/systemd/journal/socket "$TMP/journal.out"

write_ctl_conf "$TMP/a.conf" "$TMP/a"
write_ctl_conf "$TMP/b.conf" "$TMP/b"
start_daemon "$TMP/b.log" "$PEERDISCD" -c "$TMP/b.conf"
save_daemon B
wait_for_log ': info: listening on '
baddr=$(logged_listen_addr)
bid=$(logged_peer_id)
[ -n "$baddr" ] && [ -n "$bid" ] || fail "B logged no address or peer ID"

# A: stderr is a file; JOURNAL_STREAM names it
: >"$TMP/a.log"
stream=$(stat -c '%d:%i' "$TMP/a.log")
if [ "${PD_HAVE_SYSTEMD:-0}" != 1 ]; then
	# without libsystemd: "<N>level: message" lines on stderr
	JOURNAL_STREAM=$stream "$PEERDISCD" -c "$TMP/a.conf" \
	    2>>"$TMP/a.log" </dev/null &
	DAEMON_PID=$!
	DAEMON_LOG="$TMP/a.log"
	wait_for_log '^<6>info: peer ID 12D3KooW'
	stop_daemon TERM
	[ -s "$TMP/journal.out" ] && fail "records sent without libsystemd"
	ok "without libsystemd: <N>-prefixed stderr lines"
	exit 0
fi
printf '[log]\nlevel = debug\n' >>"$TMP/a.conf"
JOURNAL_STREAM=$stream "$PEERDISCD" -c "$TMP/a.conf" \
    2>>"$TMP/a.log" </dev/null &
DAEMON_PID=$!
DAEMON_LOG="$TMP/journal.out"
save_daemon A
wait_recv "^[0-9]* pid=$A_PID PRIORITY=6|SYSLOG_IDENTIFIER=peerdiscd|MESSAGE=peer ID 12D3KooW[1-9A-HJ-NP-Za-km-z]*|\$" \
    "the peer ID record"
wait_recv "MESSAGE=control socket $TMP/a/control.sock|\$" \
    "the control socket record"
ctl_expect 0 "$TMP/a/control.sock" connect "$baddr"
wait_recv "^[0-9]* pid=$A_PID PRIORITY=7|SYSLOG_IDENTIFIER=peerdiscd|MESSAGE=main_event_cb: peer $bid connected (outbound) via /ip4/127\\.0\\.0\\.1/tcp/[0-9]*|PEER_ID=$bid|REMOTE_ADDR=/ip4/127\\.0\\.0\\.1/tcp/[0-9]*|\$" \
    "the connection record with PEER_ID= and REMOTE_ADDR="
ctl_expect 0 "$TMP/a/control.sock" disconnect "$bid"
wait_recv "PRIORITY=7|SYSLOG_IDENTIFIER=peerdiscd|MESSAGE=main_event_cb: peer $bid disconnected: [^|]*|PEER_ID=$bid|" \
    "the disconnection record with PEER_ID="
[ -s "$TMP/a.log" ] && fail "lines on stderr next to the journal: $(cat "$TMP/a.log")"
ok "journal records with PRIORITY=, SYSLOG_IDENTIFIER=, PEER_ID=, REMOTE_ADDR=; stderr empty"

# no key material: the identity file's bytes, hex and base64, in no record
key="$TMP/a/state/identity.key"
[ -s "$key" ] || fail "no identity key at $key"
khex=$(od -An -v -tx1 "$key" | tr -d ' \n')
kb64=$(base64 -w0 "$key")
for k in "$khex" "$(printf '%s' "$khex" | cut -c9-72)" "$kb64" \
    "$(printf '%s' "$kb64" | cut -c5-48)"; do
	grep -q -F -- "$k" "$TMP/journal.out" "$TMP/a.log" &&
	    fail "key material logged"
done
ok "no key material in the records"

# reload to log.level = warn: no more info (or debug) records
sed -i 's/^level = debug$/level = warn/' "$TMP/a.conf"
kill -HUP "$A_PID"
wait_recv 'MESSAGE=reload: log.level changed; applied|$' "the reload record"
n=$(wc -l <"$TMP/journal.out")
ctl_expect 0 "$TMP/a/control.sock" connect "$baddr"
kill -HUP "$A_PID"	# "reloading ..." (info) and "no changes" (info)
sleep 0.5
tail -n +"$((n + 1))" "$TMP/journal.out" | grep -q 'PRIORITY=[67]|' &&
    fail "info/debug records after log.level = warn: $(tail -n +"$((n + 1))" "$TMP/journal.out")"
ok "log.level changed on reload applies to the journal"

# the journal goes away: stderr with <N> prefixes
stop_recv
sed -i 's/^level = warn$/level = info/' "$TMP/a.conf"
kill -HUP "$A_PID"	# at warn: the change itself is not logged
DAEMON_LOG="$TMP/a.log"
sleep 0.5
kill -HUP "$A_PID"
wait_for_log '^<6>info: reload: no changes$'
ok "no journal socket: <N>-prefixed lines on stderr"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"

# JOURNAL_STREAM naming another file: plain stderr lines
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/b.conf") "$PEERDISCD" \
    -c "$TMP/a.conf" 2>"$TMP/c.log" </dev/null &
DAEMON_PID=$!
DAEMON_LOG="$TMP/c.log"
wait_for_log "^peerdiscd\\[$DAEMON_PID\\]: info: peer ID 12D3KooW"
stop_daemon TERM
ok "JOURNAL_STREAM for another file: plain stderr"
exit 0
