#!/bin/sh
# 048-dht-bad-input: hostile DHT peers (tests/tools/kadbad) against a
# running peerdiscd with the DHT in server mode, on 127.0.0.1 only:
#   oversize   length prefixes of 5 MiB, 2^62 and an actual 100 KiB
#              message (over the 64 KiB request cap): each stream reset or
#              ended without an answer, the connection still answers a
#              FIND_NODE;
#   badrecord  PUT_VALUE of a /pk/ record holding another peer's key, of
#              garbage under /pk/ and /ipns/: refused or answered, but a
#              GET_VALUE afterwards carries no record;
#   provflood  10,200 ADD_PROVIDER messages for random keys plus one shared
#              key from 50 fresh identities: the shared key lists at most
#              20 providers, the oldest key was evicted (10,000 keys per
#              store), VmRSS grows by less than RSS_MAX_GROWTH_KB and stays
#              under RSS_MAX_KB (not checked in sanitizer builds), and
#              node.info answers within 1 s afterwards;
#   closer     kadbad as a DHT server answering every FIND_NODE with 1,000
#              closerPeers entries with bogus multiaddrs and invalid IDs:
#              `peerdiscctl dht closest` returns within its bound.
# After every case the daemon must be alive, and at the end it must not
# have flooded its log (LOG_MAX_LINES) and must exit cleanly on SIGTERM.
# shellcheck disable=SC1091
. "$top_srcdir/tests/integration/lib.sh"

KADBAD="$top_builddir/tests/tools/kadbad"
RSS_MAX_GROWTH_KB=65536		# VmRSS growth allowed over the flood
RSS_MAX_KB=65536		# VmRSS after the flood (optimized builds)
LOG_MAX_LINES=1000		# the flood's 50 connections log ~4 lines each
PD_TEST_TIMEOUT=${PD_TEST_TIMEOUT:-20}

setup_tmp
[ -x "$KADBAD" ] || fail "$KADBAD not built (make check builds it)"
conf="$TMP/peerdiscd.conf"
write_ctl_conf "$conf" "$TMP"
awk 'BEGIN{s=""} /^\[/{s=$0} s=="[dht]" && /^enabled = /{print "enabled = yes"; print "mode = server"; next} {print}' \
    "$conf" >"$conf.new" && mv "$conf.new" "$conf"
grep -q '^enabled = yes$' "$conf" || fail "could not enable the DHT"
# The flood comes from 50 identities on 127.0.0.1: let them all in (the
# per-IP cap has its own test).
printf 'max_per_ip = 100\nmax_inbound = 200\n' >>"$conf"
SOCK="$TMP/control.sock"

start_daemon "$TMP/log" "$PEERDISCD" -c "$conf"
wait_for_log 'info: listening on'
ADDR=$(logged_listen_addr)
[ -n "$ADDR" ] || fail "no listen address in the log"
echo "daemon at $ADDR (pid $DAEMON_PID)"

SAN=$(sed -n 's/^SAN_CFLAGS = //p' "$top_builddir/Makefile" 2>/dev/null)

# kb CASE [options]: run one kadbad case (bounded); fail unless it exits
# 0 and the daemon is still alive.
kb() {
	_kb_case=$1
	shift
	run_bounded "$KADBAD" "$@" "$_kb_case" "$ADDR" >"$TMP/$_kb_case.out" 2>&1
	_kb_rc=$?
	sed 's/^/  /' "$TMP/$_kb_case.out"
	[ "$_kb_rc" = 0 ] || fail "kadbad $_kb_case exited with $_kb_rc"
	pid_alive "$DAEMON_PID" || fail "daemon died during $_kb_case"
}

info_within_1s() {
	_t0=$(date +%s%N)
	timeout -k 1 1 "$PEERDISCCTL" -s "$SOCK" --json call node.info \
	    >"$TMP/info.out" 2>&1 || fail "node.info not answered within 1 s" \
	    "after $1: $(cat "$TMP/info.out")"
	_t1=$(date +%s%N)
	ok "node.info answered in $(((_t1 - _t0) / 1000000)) ms after $1"
}

kb oversize
expect_grep "$TMP/oversize.out" '5 MiB length prefix: stream \(reset\|ended\)' \
    "the 5 MiB prefix"
expect_grep "$TMP/oversize.out" '100 KiB message: stream \(reset\|ended\)' \
    "the 100 KiB message"
expect_grep "$TMP/oversize.out" 'FIND_NODE afterwards answered' \
    "a FIND_NODE after the oversized ones"
ok "oversized messages are refused, the connection keeps working"

kb badrecord
_n=$(grep -c 'GET_VALUE answered without a record' "$TMP/badrecord.out")
[ "$_n" = 3 ] || fail "$_n of 3 bad records checked absent"
ok "records with bad keys or signatures are not stored"

rss0=$(rss_kib "$DAEMON_PID")
kb provflood -n 10200 -c 50
rss1=$(rss_kib "$DAEMON_PID")
expect_grep "$TMP/provflood.out" 'shared key: \([1-9]\|1[0-9]\|20\) providers listed' \
    "the per-key provider cap"
expect_grep "$TMP/provflood.out" 'first key (store over its 10000 keys): 0 providers' \
    "the key cap (oldest key evicted)"
echo "VmRSS before the flood ${rss0} KiB, after ${rss1} KiB"
[ $((rss1 - rss0)) -lt "$RSS_MAX_GROWTH_KB" ] ||
    fail "RSS grew by $((rss1 - rss0)) KiB over the flood"
if [ -z "$SAN" ]; then
	[ "$rss1" -lt "$RSS_MAX_KB" ] || fail "RSS $rss1 KiB after the flood"
fi
info_within_1s "the ADD_PROVIDER flood"
ok "the provider store stays capped and memory bounded"

# closer: kadbad serves the DHT; wait until it is in the routing table.
"$KADBAD" -H $((PD_TEST_TIMEOUT + 10)) closer "$ADDR" >"$TMP/closer.out" 2>&1 &
KB_PID=$!
track_pid "$KB_PID"
wait_until "kadbad closer to be ready" file_has "$TMP/closer.out" ': ready'
in_table() {
	timeout 5 "$PEERDISCCTL" -s "$SOCK" --json call node.info 2>/dev/null |
	    grep -q '"routing_table_size":[1-9]'
}
wait_until "kadbad in the routing table" in_table
run_bounded "$PEERDISCCTL" -s "$SOCK" dht closest some-key \
    >"$TMP/closest.out" 2>&1
_rc=$?
[ "$_rc" != 124 ] || fail "dht closest did not return within ${PD_TEST_TIMEOUT}s"
echo "  dht closest exited with $_rc: $(head -c 300 "$TMP/closest.out")"
pid_alive "$DAEMON_PID" || fail "daemon died on 1,000 closer peers"
kill -TERM "$KB_PID" 2>/dev/null
wait "$KB_PID" 2>/dev/null
sed 's/^/  /' "$TMP/closer.out"
expect_grep "$TMP/closer.out" 'answered [1-9][0-9]* requests with 1000 closer peers' \
    "kadbad was asked"
info_within_1s "1,000 closer peers"
ok "1,000 bogus closer peers are bounded"

_lines=$(wc -l <"$TMP/log")
[ "$_lines" -le "$LOG_MAX_LINES" ] || fail "$_lines log lines (limit $LOG_MAX_LINES)"
if grep -q -e 'AddressSanitizer' -e 'runtime error' "$TMP/log"; then
	fail "sanitizer report in the log"
fi
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || fail "daemon exited with $DAEMON_STATUS on SIGTERM"
ok "$_lines log lines, clean exit"
