#!/bin/sh
# Self-test of the js-libp2p interop harness, js <-> js: node A listens on
# 127.0.0.1, node B dials it with --ping --count 3 --kad.  Checks that
# identify ran both ways with a js-libp2p agent, that the three pings came
# back, that each put the other in its DHT routing table, and that both stop
# cleanly on SIGTERM.  Whole run bounded by 60 s.
#
# Skips (exit 77) without node >= 20, npm, or tests/interop/node_modules
# (install with: cd tests/interop && npm ci).
: "${top_srcdir:?}" "${top_builddir:?}"

dir="$top_srcdir/tests/interop"
js="$dir/jsnode.mjs"

skip() {
	echo "SKIP: $*"
	exit 77
}
command -v node >/dev/null 2>&1 || skip "node not found in PATH"
command -v npm >/dev/null 2>&1 || skip "npm not found in PATH"
[ -d "$dir/node_modules" ] ||
	skip "$dir/node_modules is absent; install with: cd tests/interop && npm ci"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 20 ] 2>/dev/null || skip "node $(node --version 2>/dev/null) is older than 20"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/interop-selftest.XXXXXX") || exit 99
pid_a=
pid_b=
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	if [ -n "$pid_a$pid_b" ]; then
		for p in $pid_a $pid_b; do
			kill -TERM "$p" 2>/dev/null
		done
		sleep 1
		for p in $pid_a $pid_b; do
			kill -KILL "$p" 2>/dev/null
		done
		wait 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

deadline=$(( $(date +%s) + 60 ))

fail() {
	echo "FAIL: $*"
	for f in a b; do
		for s in out err; do
			if [ -s "$tmp/$f.$s" ]; then
				echo "--- node $f std$s"
				cat "$tmp/$f.$s"
			fi
		done
	done
	exit 1
}

# wait_for FILE EXTENDED-REGEX WHAT: poll until a line matches, or fail
# at the deadline.
wait_for() {
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $3"
		sleep 0.1
	done
}

# --exit-after is a backstop: the nodes go away even if this script is
# killed with SIGKILL and its trap never runs.
node "$js" --listen /ip4/127.0.0.1/tcp/0 --kad --exit-after 70 \
	>"$tmp/a.out" 2>"$tmp/a.err" &
pid_a=$!
wait_for "$tmp/a.out" '"event":"listening"' "node A to listen"
id_a=$(sed -n 's/^{"event":"listening","peer":"\([^"]*\)".*/\1/p' "$tmp/a.out")
addr_a=$(sed -n 's/^{"event":"listening",.*"addrs":\["\([^"]*\)".*/\1/p' "$tmp/a.out")
if [ -z "$id_a" ] || [ -z "$addr_a" ]; then
	fail "no peer ID or address in A's listening line"
fi
echo "ok: A $id_a listens on $addr_a"

node "$js" --listen /ip4/127.0.0.1/tcp/0 --dial "$addr_a" --ping --count 3 \
	--kad --exit-after 70 >"$tmp/b.out" 2>"$tmp/b.err" &
pid_b=$!
wait_for "$tmp/b.out" '"event":"listening"' "node B to listen"
id_b=$(sed -n 's/^{"event":"listening","peer":"\([^"]*\)".*/\1/p' "$tmp/b.out")
[ -n "$id_b" ] || fail "no peer ID in B's listening line"
wait_for "$tmp/b.out" '"event":"(done|error)"' "node B to finish its dial and pings"

grep -q '"event":"dial_error"' "$tmp/b.out" && fail "B could not dial A"
grep -q "^{\"event\":\"dialed\",\"addr\":\"$addr_a\",\"peer\":\"$id_a\"" "$tmp/b.out" ||
	fail "B did not report dialing A"
echo "ok: B $id_b dialed A"

wait_for "$tmp/b.out" "^\\{\"event\":\"identified\",\"peer\":\"$id_a\",\"agent\":\"js-libp2p/" \
	"B to identify A as js-libp2p"
wait_for "$tmp/a.out" "^\\{\"event\":\"identified\",\"peer\":\"$id_b\",\"agent\":\"js-libp2p/" \
	"A to identify B as js-libp2p"
echo "ok: identify both ways ($(sed -n 's/^{"event":"identified",.*"agent":"\([^"]*\)".*/\1/p' "$tmp/a.out" | head -n 1))"

grep -q '"event":"ping_error"' "$tmp/b.out" && fail "a ping failed"
pings=$(grep -c "^{\"event\":\"ping\",\"peer\":\"$id_a\",\"seq\":[123],\"rtt_ms\":[0-9]" "$tmp/b.out")
[ "$pings" -eq 3 ] || fail "expected 3 pings of A, got $pings"
echo "ok: 3 pings"

wait_for "$tmp/b.out" "^\\{\"event\":\"kad_table\",\"action\":\"add\",\"peer\":\"$id_a\"" \
	"B to add A to its routing table"
wait_for "$tmp/a.out" "^\\{\"event\":\"kad_table\",\"action\":\"add\",\"peer\":\"$id_b\"" \
	"A to add B to its routing table"
echo "ok: DHT routing tables"

grep -q '"event":"error"' "$tmp/a.out" "$tmp/b.out" && fail "a node reported an error"

kill -TERM "$pid_b" "$pid_a"
wait_for "$tmp/a.out" '"event":"stopped"' "A to stop on SIGTERM"
wait_for "$tmp/b.out" '"event":"stopped"' "B to stop on SIGTERM"
wait "$pid_a"
rc_a=$?
wait "$pid_b"
rc_b=$?
pid_a=
pid_b=
if [ "$rc_a" -ne 0 ] || [ "$rc_b" -ne 0 ]; then
	fail "exit status A=$rc_a B=$rc_b after SIGTERM"
fi
echo "ok: both stopped on SIGTERM"
exit 0
