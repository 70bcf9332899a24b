#!/bin/sh
# 006-reload: SIGHUP re-reads the file, applies live keys (log level,
# limits), names keys that need a restart, keeps running on a broken
# file, and -l on the command line keeps overriding log.level.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
maybe_netns
conf="$TMP/peerdiscd.conf"
write_test_conf "$conf"
printf '[peers]\nmax_peers = 10\n' >>"$conf"

# shellcheck disable=SC2086
start_daemon "$TMP/log" $NETNS_CMD "$PEERDISCD" -c "$conf"
wait_for_log ': info: peer ID '
grep -q ": info: peerdiscd .* starting; configuration: $conf\$" "$TMP/log" ||
    fail "log does not name the configuration file"

# nothing changed
kill -HUP "$DAEMON_PID"
wait_for_log ': info: reload: no changes$'

# a live key, a restart key, the log level
write_test_conf "$conf"
sed -i 's|^listen = .*|listen = /ip4/127.0.0.1/tcp/1|' "$conf"
printf '[peers]\nmax_peers = 20\n[log]\nlevel = warn\n' >>"$conf"
kill -HUP "$DAEMON_PID"
wait_for_log ': warn: reload: node.listen changed; restart peerdiscd to apply it$'
grep -q ': info: reload: peers.max_peers changed; applied$' "$TMP/log" ||
    fail "max_peers not reported as applied"
# log.level is now warn: its own info line comes before the level changes
# and nothing at info level follows
sed -i -e 's/^level = warn$/level = bogus/' \
    -e 's/^max_peers = 20$/max_peers = 0/' "$conf"
kill -HUP "$DAEMON_PID"
wait_for_log ': error: reload failed with 2 errors; keeping the running configuration$'
grep -q ": error: $conf:[0-9]*: peers.max_peers: '0': out of range" "$TMP/log" ||
    fail "bad max_peers not reported"
grep -q ": error: $conf:[0-9]*: log.level: 'bogus'" "$TMP/log" ||
    fail "bad log.level not reported"
tail -n 3 "$TMP/log" | grep -q ': info: ' && fail "info lines logged at level warn"
pid_alive "$DAEMON_PID" || fail "daemon died on a broken reload"
ok "reload applied live keys, named restart keys, survived a broken file"

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"

# -l overrides log.level, also across a reload
write_test_conf "$conf"
printf '[log]\nlevel = warn\n' >>"$conf"
# shellcheck disable=SC2086
start_daemon "$TMP/log2" $NETNS_CMD "$PEERDISCD" -c "$conf" -l debug
wait_for_log ': info: peer ID '
kill -HUP "$DAEMON_PID"
wait_for_log ': info: reload: no changes$'
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS, want 0"
ok "-l debug overrides log.level = warn"
exit 0
