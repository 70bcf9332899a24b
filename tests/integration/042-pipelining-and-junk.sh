#!/bin/sh
# 042-pipelining-and-junk: the control socket's framing and error
# answers (daemon/control.c, daemon/rpc.c) against the real daemon.
#  - 20 requests pipelined in one write get 20 responses, one per id;
#  - 1,000 malformed lines on one connection (invalid JSON, wrong types,
#    a wrong jsonrpc, unknown methods, huge or bad ids, bad params,
#    duplicate keys, nesting past jansson's depth limit, binary junk with
#    NUL and non-UTF-8 bytes) and a 2 MiB line in the middle each get
#    exactly one error with the right code, in order, and the connection
#    stays usable after them (control.c discards an over-long line up to
#    its newline); a notification (no id) gets no answer;
#  - a pipelining client that stops reading its replies makes the daemon
#    stop reading its requests (CTL_OUTPUT_HIGH), then gets every reply;
#  - afterwards the daemon answers a fresh client, and its RSS stays
#    under 2 x the RSS after start + 8 MiB.  Measured: the plain build
#    goes from about 4.2 to 5.4 MiB; an ASan build from 13 to 23 MiB
#    with its quarantine off (quarantine_size_mb=0, set below: with the
#    default 256 MiB quarantine every freed buffer stays resident and
#    RSS measures ASan, not the daemon).
# Random junk uses seed $PD_TEST_SEED (default: the time; printed).
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
maybe_netns
write_ctl_conf "$TMP/conf" "$TMP/d"
SOCK="$TMP/d/control.sock"
SEED=${PD_TEST_SEED:-$(date +%s)}
echo "seed: $SEED (PD_TEST_SEED)"

ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
export ASAN_OPTIONS
# shellcheck disable=SC2086
start_daemon "$TMP/log" $NETNS_CMD "$PEERDISCD" -c "$TMP/conf"
wait_for_log ': info: control socket '
rpc "$SOCK" node.info | grep -q '"result":' || fail "node.info before the test"
rpc "$SOCK" metrics >/dev/null
rss0=$(rss_kib "$DAEMON_PID")
[ -n "$rss0" ] || fail "no VmRSS for $DAEMON_PID"

# ----- 20 pipelined requests in one write -----
reqs=
for i in $(seq 1 20); do
	case $((i % 5)) in
	0) m=node.info id=$i ;;
	1) m=conn.stats id="\"r$i\"" ;;
	2) m=peers.list id=$i ;;
	3) m=metrics id="\"r$i\"" ;;
	4) m=no.such.method id=$i ;;
	esac
	reqs="$reqs{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$m\"}
"
done
printf '%s' "$reqs" | rpc_lines "$SOCK" >"$TMP/pipe20.out"
[ "$(wc -l <"$TMP/pipe20.out")" = 20 ] ||
    fail "$(wc -l <"$TMP/pipe20.out") responses to 20 pipelined requests"
sed -n 's/^{"jsonrpc":"2.0","id":\([^,]*\),.*/\1/p' "$TMP/pipe20.out" | sort >"$TMP/ids.got"
printf '%s' "$reqs" | sed -n 's/^{"jsonrpc":"2.0","id":\([^,]*\),.*/\1/p' | sort >"$TMP/ids.want"
cmp -s "$TMP/ids.got" "$TMP/ids.want" ||
    fail "pipelined ids differ: $(diff "$TMP/ids.want" "$TMP/ids.got" | tr '\n' ' ')"
[ "$(grep -c '"error":{"code":-32601,' "$TMP/pipe20.out")" = 4 ] ||
    fail "not 4 method-not-found errors among the pipelined responses"
[ "$(grep -c '"result":' "$TMP/pipe20.out")" = 16 ] ||
    fail "not 16 results among the pipelined responses"
ok "20 pipelined requests, 20 responses with matching ids"

# ----- 1,000 malformed lines and a 2 MiB line -----
# junk.awk writes the lines to $TMP/junk and the expected code of each
# to $TMP/want (one a line); the 2 MiB line goes after line 500.
LC_ALL=C awk -v seed="$SEED" -v junk="$TMP/junk" -v want="$TMP/want" '
function line(text, code) { printf "%s\n", text >junk; print code >want }
function rnd(n) { return int(rand() * n) }
BEGIN {
	srand(seed)
	big = "9"
	for (i = 0; i < 5; i++)
		big = big big		# 32 nines: beyond 64 bits
	long = "x"
	for (i = 0; i < 9; i++)
		long = long long	# 512 bytes: over RPC_MAX_ID_LEN
	deep = ""
	for (i = 0; i < 2100; i++)
		deep = deep "["		# past jansson depth 2048
	for (n = 1; n <= 1000; n++) {
		id = n
		k = n % 20
		if (k == 0)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",", -32700)
		else if (k == 1)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"node.info\"}}", -32700)
		else if (k == 2)
			line("[{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"node.info\"}]", -32600)
		else if (k == 3)
			line((n % 3 == 0) ? "\"just a string\"" : (n % 3 == 1) ? id : "null", -32600)
		else if (k == 4)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":" id "}", -32600)
		else if (k == 5)
			line("{\"jsonrpc\":\"1.0\",\"id\":" id ",\"method\":\"node.info\"}", -32600)
		else if (k == 6)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"no.such.method." id "\"}", -32601)
		else if (k == 7)
			line("{\"jsonrpc\":\"2.0\",\"id\":" big id ",\"method\":\"node.info\"}", -32600)
		else if (k == 8)
			line("{\"jsonrpc\":\"2.0\",\"id\":\"" long "\",\"method\":\"node.info\"}", -32600)
		else if (k == 9)
			line("{\"jsonrpc\":\"2.0\",\"id\":" ((n % 3 == 0) ? "1.5" : (n % 3 == 1) ? "true" : "{\"a\":1}") ",\"method\":\"node.info\"}", -32600)
		else if (k == 10)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"peers.get\",\"params\":{\"peer\":" id "}}", -32602)
		else if (k == 11)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"peers.get\",\"params\":[\"x\"]}", -32602)
		else if (k == 12)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"peers.list\",\"params\":\"all\"}", -32600)
		else if (k == 13)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"peers.list\",\"params\":{\"limit\":-" id "}}", -32602)
		else if (k == 14)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"id\":" id ",\"method\":\"node.info\"}", -32700)
		else if (k == 15)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"node.info\",\"extra\":true}", -32600)
		else if (k == 16)
			line(deep, -32700)
		else if (k == 17)
			line("{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"peers.add\",\"params\":{\"peer\":\"" id "\"}}", -32602)
		else {
			# binary junk: \001, then bytes 1..255 but newline
			s = sprintf("%c", 1)
			len = 1 + rnd(300)
			for (i = 0; i < len; i++) {
				b = 1 + rnd(255)
				if (b == 10)
					b = 11
				s = s sprintf("%c", b)
			}
			line(s, -32700)
		}
		if (n == 500) {
			# a 2 MiB line
			s = "{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"node.info\",\"params\":{\"x\":\""
			pad = "aaaaaaaaaaaaaaaa"
			while (length(pad) < 2097152)
				pad = pad pad
			line(s pad "\"}}", -32600)
		}
	}
}' || fail "awk could not write the junk"
# NUL bytes inside lines (awk cannot print them reliably).  Left out:
# a NUL right after a number ({"jsonrpc":"2.0","id":1\0,...}), which
# jansson 2.14's json_loadb() skips, so the request runs; rpc_dispatch()
# should refuse lines with a NUL (reported, rpc.c is not ours to fix).
printf '{"jsonrpc":"2.0","id":1,"method":"x\000y"}\n\000\001\n' >>"$TMP/junk"
printf '%s\n' -32700 -32700 >>"$TMP/want"
# a notification gets no answer; the connection is still usable
printf '%s\n' '{"jsonrpc":"2.0","method":"no.such.method"}' \
    '{"jsonrpc":"2.0","id":"last","method":"node.info"}' >>"$TMP/junk"
echo ok >>"$TMP/want"
nwant=$(wc -l <"$TMP/want")
[ "$nwant" = 1004 ] || fail "the junk generator wrote $nwant cases"
[ "$(wc -c <"$TMP/junk")" -gt 2097152 ] || fail "the junk has no 2 MiB line"

rpc_lines "$SOCK" <"$TMP/junk" >"$TMP/junk.out" || fail "socat failed or timed out"
rpc_codes <"$TMP/junk.out" >"$TMP/got"
ngot=$(wc -l <"$TMP/got")
[ "$ngot" = "$nwant" ] || fail "$ngot responses to $nwant lines (seed $SEED)"
if ! cmp -s "$TMP/got" "$TMP/want"; then
	n=$(diff "$TMP/want" "$TMP/got" | grep -c '^<')
	first=$(paste -d ' ' "$TMP/want" "$TMP/got" | awk '$1 != $2 { print NR ": want " $1 " got " $2; exit }')
	fail "$n responses with the wrong code (seed $SEED); first at $first"
fi
grep -q '^{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request","data":{"reason":"request line over 1 MiB"}}}$' \
    "$TMP/junk.out" || fail "no over-long line error"
tail -n 1 "$TMP/junk.out" | grep -q '^{"jsonrpc":"2.0","id":"last","result":{"peer_id":' ||
    fail "no answer to the request after the junk"
pid_alive "$DAEMON_PID" || fail "the daemon died"
ok "$((nwant - 1)) malformed lines (a 2 MiB one among them) answered with the right codes, in order"

# ----- a pipelining client that does not read its replies -----
# socat writes the replies into a fifo nobody reads until the daemon
# has paused; then head reads them all.
N=5000
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	printf "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"node.info\"}\n", i }' >"$TMP/many"
mkfifo "$TMP/slow.out"
exec 9<>"$TMP/slow.out"
# the daemon's count of requests read (metrics control.requests)
requests() { rpc "$SOCK" metrics | json_num requests; }
r1=$(requests)
socat -t "$PD_TEST_TIMEOUT" - "UNIX-CONNECT:$SOCK" <"$TMP/many" >&9 2>"$TMP/slow.err" &
SLOW_PID=$!
track_pid "$SLOW_PID"
# it reads a few hundred, then stops: the count stays put but for our
# own metrics calls
r2=$r1
stalled() {
	sleep 0.3
	r3=$(requests)
	[ $((r3 - r2)) -le 2 ] && [ $((r3 - r1)) -gt 100 ] && return 0
	r2=$r3
	return 1
}
wait_until "the daemon to stop reading the stuck client" stalled
[ $((r3 - r1)) -lt "$N" ] || fail "all $N requests read while their replies were stuck"
rss_stuck=$(rss_kib "$DAEMON_PID")
run_bounded head -n "$N" <&9 >"$TMP/many.out"
exec 9>&-
wait "$SLOW_PID" 2>/dev/null
got=$(grep -c '^{"jsonrpc":"2.0","id":[0-9]*,"result":{"peer_id":' "$TMP/many.out")
[ "$got" = "$N" ] || fail "$got of $N replies to the slow reader"
ok "a client that did not read stalled at $((r3 - r1)) requests read, then got all $N replies"

# ----- alive and bounded -----
rpc "$SOCK" node.info | grep -q '^{"jsonrpc":"2.0","id":1,"result":{"peer_id":' ||
    fail "no node.info from a fresh client afterwards"
rss1=$(rss_kib "$DAEMON_PID")
bound=$((2 * rss0 + 8192))
echo "VmRSS: ${rss0} KiB after start, ${rss_stuck} KiB with a stuck client, ${rss1} KiB at the end (bound ${bound} KiB)"
[ "$rss_stuck" -lt "$bound" ] || fail "RSS ${rss_stuck} KiB with a stuck client, bound $bound"
[ "$rss1" -lt "$bound" ] || fail "RSS ${rss1} KiB, bound $bound"
grep -q ': error: ' "$TMP/log" && fail "errors in the daemon log"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "exit status $DAEMON_STATUS"
ok "daemon alive, RSS ${rss0} -> ${rss1} KiB, clean exit"
exit 0
