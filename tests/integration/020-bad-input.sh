#!/bin/sh
# 020-bad-input: hostile peers against a running peerdiscd.  Each case
# (tests/tools/badpeer) reaches a stage of the upgrade and misbehaves
# there; the daemon must close the offending connection within its
# bound, log one line that names the remote address or peer ID and the
# reason (and not flood the log), and keep serving: after every case a
# well-behaved peer (badpeer good: Noise XX, yamux, identify, ping) must
# succeed, and at the end a js-libp2p node must ping it, when
# tests/interop/node_modules is installed.  A SYN flood must leave the
# daemon's RSS bounded.  Runs under the sanitizer build too: the daemon
# must then exit cleanly with no sanitizer report.
#
# Runs outside a network namespace: the conf keeps everything on
# 127.0.0.1 (mdns, dht and bootstrap off) and badpeer must reach it.
. "$top_srcdir/tests/integration/lib.sh"

BADPEER="$top_builddir/tests/tools/badpeer"
TIMEOUT_MS=3000			# peers.connection_timeout below
FAST_MS=2000			# bound for "closed at once" (below TIMEOUT_MS)
SLOW_MS=$((TIMEOUT_MS + 2000))	# bound for timeout-based closes
RSS_MAX_GROWTH_KB=65536		# allowed RSS growth over the SYN flood

setup_tmp
[ -x "$BADPEER" ] || fail "$BADPEER not built (make check builds it)"
conf="$TMP/peerdiscd.conf"
write_test_conf "$conf"
printf '[peers]\nconnection_timeout = %dms\n' "$TIMEOUT_MS" >>"$conf"

start_daemon "$TMP/log" "$PEERDISCD" -c "$conf"
wait_for_log ': info: listening on /ip4/127\.0\.0\.1/tcp/[0-9]*/p2p/'
ADDR=$(sed -n 's|^peerdiscd\[[0-9]*\]: info: listening on \(/ip4/127\.0\.0\.1/tcp/[0-9]*/p2p/12D3KooW[1-9A-HJ-NP-Za-km-z]*\)$|\1|p' \
    "$TMP/log" | head -n 1)
[ -n "$ADDR" ] || fail "no listen address in the log"
echo "daemon at $ADDR (pid $DAEMON_PID)"

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$DAEMON_PID/status"
}

# bp CASE [badpeer options]: run one badpeer case (bounded); its output
# goes to $TMP/CASE.out and the test fails unless it exits 0.  Sets
# BP_LOCAL (our address as the daemon sees it) and BP_ID (our peer ID).
bp() {
	_bp_case=$1
	shift
	_bp_out="$TMP/$_bp_case.out"
	# Log lines before this case: a reused local port must not count.
	BP_LOG_START=$(wc -l <"$TMP/log")
	run_bounded "$BADPEER" "$@" "$_bp_case" "$ADDR" >"$_bp_out" 2>&1
	_bp_rc=$?
	sed 's/^/  /' "$_bp_out"
	[ "$_bp_rc" = 0 ] || fail "badpeer $_bp_case exited with $_bp_rc"
	BP_LOCAL=$(sed -n "s|^badpeer: $_bp_case: local ||p" "$_bp_out")
	BP_ID=$(sed -n "s|^badpeer: $_bp_case: peer ID ||p" "$_bp_out")
	[ -n "$BP_LOCAL" ] && [ -n "$BP_ID" ] ||
	    fail "badpeer $_bp_case printed no address or peer ID"
	pid_alive "$DAEMON_PID" || fail "daemon died during $_bp_case"
}

# Wait (bounded) for exactly one log line matching the basic regular
# expression $1, then check that the connection (address $BP_LOCAL or
# peer $BP_ID) produced at most 4 lines in all.
expect_log() {
	wait_for_log "$1"
	_n=$(grep -c -- "$1" "$TMP/log")
	[ "$_n" = 1 ] || fail "$_n log lines match '$1', want 1"
	_n=$(tail -n +"$((BP_LOG_START + 1))" "$TMP/log" |
	    grep -c -F -e "$BP_LOCAL" -e "$BP_ID")
	[ "$_n" -le 4 ] || fail "$_n log lines for $BP_LOCAL / $BP_ID"
}

# A well-behaved peer must still get through.
check_good() {
	bp good
	wait_for_log "^peerdiscd\[$DAEMON_PID\]: info: identified $BP_ID: agent=\"badpeer\""
	ok "a good peer is served after $1"
}

esc() {
	printf '%s' "$1" | sed 's/[.[\*^$/]/\\&/g'
}

dropped() {
	printf 'info: inbound connection from %s dropped during the upgrade: %s' \
	    "$(esc "$BP_LOCAL")" "$1"
}

disconnected() {
	printf 'info: disconnected %s at %s: %s' "$BP_ID" "$(esc "$BP_LOCAL")" "$1"
}

check_good "start-up"

# 1. garbage instead of multistream
bp garbage -w "$FAST_MS"
expect_log "$(dropped 'security negotiation: ')"
ok "garbage: $(sed -n 's/^badpeer: garbage: ok: //p' "$TMP/garbage.out")"
check_good garbage

# 2. a Noise message announcing 200 bytes, delivering 50
bp noise-truncated -w "$SLOW_MS" -m $((TIMEOUT_MS - 500))
expect_log "$(dropped 'upgrade timed out')"
ok "truncated noise message: $(sed -n 's/^badpeer: noise-truncated: ok: //p' "$TMP/noise-truncated.out")"
check_good "a truncated noise message"

# 3. oversized Noise messages: 65535 bytes of junk as msg 3, and a
# well-formed msg 3 whose payload carries a 65000-byte identity key
bp noise-oversized -w "$FAST_MS"
expect_log "$(dropped 'noise handshake: handshake message failed to decrypt or is too short')"
ok "65535-byte junk msg 3: $(sed -n 's/^badpeer: noise-oversized: ok: //p' "$TMP/noise-oversized.out")"
check_good "an oversized noise message"
bp noise-long-payload -w "$FAST_MS"
expect_log "$(dropped 'noise handshake: handshake payload identity key or signature too long')"
ok "over-long handshake payload: $(sed -n 's/^badpeer: noise-long-payload: ok: //p' "$TMP/noise-long-payload.out")"
check_good "an over-long handshake payload"

# 4. msg 3 signs the wrong static key
bp bad-signature -w "$FAST_MS"
expect_log "$(dropped 'noise handshake: remote signature over the static key does not verify')"
ok "bad identity signature: $(sed -n 's/^badpeer: bad-signature: ok: //p' "$TMP/bad-signature.out")"
check_good "a bad signature"

# 5. the dialer expected another peer ID and hangs up after msg 2
bp wrong-peer
expect_log "$(dropped '\(closed by peer\|socket: Connection reset by peer\)$')"
ok "wrong expected peer ID: logged, still serving"
check_good "a dialer that expected another peer ID"

# 6. a yamux frame with version 1 (Go Away(1) must precede the close)
bp yamux-version -w "$FAST_MS"
expect_log "$(disconnected 'yamux: unsupported version 1')"
ok "yamux version 1: $(sed -n 's/^badpeer: yamux-version: ok: //p' "$TMP/yamux-version.out")"
check_good "a bad yamux version"

# 7. one Data frame of 256 KiB + 1 on a fresh stream
bp yamux-window -w "$FAST_MS"
expect_log "$(disconnected 'yamux: stream 1: 262145 data bytes exceed window 262144')"
ok "window overflow: $(sed -n 's/^badpeer: yamux-window: ok: //p' "$TMP/yamux-window.out")"
check_good "a window overflow"

# 8. the dialer opens an even stream ID
bp yamux-parity -w "$FAST_MS"
expect_log "$(disconnected 'yamux: SYN with wrong parity for stream 1000')"
ok "stream-ID parity: $(sed -n 's/^badpeer: yamux-parity: ok: //p' "$TMP/yamux-parity.out")"
check_good "a wrong-parity SYN"

# 9. frames on streams never opened: drained, the connection stays up
bp yamux-unknown
wait_for_log "$(disconnected '')"	# by badpeer: "closed by peer" or a reset
grep -F "$BP_ID" "$TMP/log" | grep -q 'yamux:' &&
    fail "frames on unknown streams were treated as an error"
ok "data on unknown streams: drained, connection stayed up and pinged"
check_good "frames on unknown streams"

# 10. 10,000 SYNs on one connection: at most PD_YAMUX_MAX_STREAMS live,
# the rest reset; RSS bounded, the daemon responsive
rss0=$(rss_kb)
bp syn-flood -w 8000
sed -n 's/^badpeer: syn-flood: \(daemon answered .*\)$/\1/p' "$TMP/syn-flood.out"
wait_for_log "info: disconnected $BP_ID at "
_n=$(grep -c -F -e "$BP_LOCAL" -e "$BP_ID" "$TMP/log")
[ "$_n" -le 4 ] || fail "$_n log lines for the SYN flood connection"
rss1=$(rss_kb)
[ -n "$rss0" ] && [ -n "$rss1" ] || fail "cannot read the daemon's RSS"
[ $((rss1 - rss0)) -le "$RSS_MAX_GROWTH_KB" ] ||
    fail "RSS grew from $rss0 kB to $rss1 kB over the SYN flood"
ok "10000 SYNs: RSS $rss0 kB -> $rss1 kB, $_n log lines"
check_good "a SYN flood"

# 11. slow loris: the multistream header, then a byte a second
bp slowloris -w "$SLOW_MS" -m $((TIMEOUT_MS - 500))
expect_log "$(dropped 'upgrade timed out')"
ok "slow loris: $(sed -n 's/^badpeer: slowloris: ok: //p' "$TMP/slowloris.out")"
check_good "a slow loris"

# No flood: the whole run logs a bounded number of lines.
lines=$(wc -l <"$TMP/log")
[ "$lines" -le 120 ] || fail "$lines log lines for the whole run"

# A real js-libp2p peer at the end.
interop="$top_srcdir/tests/interop"
if ! command -v node >/dev/null 2>&1; then
	echo "js check skipped: node is not installed"
elif [ ! -d "$interop/node_modules" ]; then
	echo "js check skipped: $interop/node_modules is missing (npm ci)"
else
	(cd "$interop" && timeout -k 2 30 node jsnode.mjs --dial "$ADDR" \
	    --ping --count 1 --exit-after 2) >"$TMP/js.out" 2>"$TMP/js.err"
	grep -q '"event":"ping"' "$TMP/js.out" || {
		sed 's/^/  js: /' "$TMP/js.out" "$TMP/js.err"
		fail "the js node could not ping the daemon"
	}
	ok "js-libp2p pinged the daemon after all cases"
fi

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "daemon exit status $DAEMON_STATUS, want 0"
grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/log" &&
    fail "sanitizer report in the daemon's log"
ok "daemon survived every case and exited cleanly"
exit 0
