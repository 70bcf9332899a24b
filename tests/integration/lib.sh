# lib.sh - shared helpers for the peerdiscd integration tests
# (tests/integration/NNN-name.sh), sourced by each test.
#
# Every test gets a private directory from mktemp -d ($TMP), removed by an
# EXIT trap that also kills a still-running daemon by its PID.  Waits are
# bounded ($PD_TEST_TIMEOUT seconds, default 10).  A test that cannot run
# here exits 77 (automake's SKIP) with a message saying why.

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

PEERDISCD="$top_builddir/daemon/peerdiscd"
PD_TEST_TIMEOUT=${PD_TEST_TIMEOUT:-10}
TEST_NAME=$(basename "$0" .sh)
DAEMON_PID=
DAEMON_STATUS=
DAEMON_LOG=
PD_PIDS=
PD_LOGS=

skip() {
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

fail() {
	echo "FAIL: $TEST_NAME: $*"
	if [ -n "$DAEMON_LOG" ] && [ -f "$DAEMON_LOG" ]; then
		echo "--- daemon log ($DAEMON_LOG):"
		sed 's/^/  | /' "$DAEMON_LOG"
	fi
	for _pd_l in $PD_LOGS; do
		[ "$_pd_l" != "$DAEMON_LOG" ] && [ -f "$_pd_l" ] || continue
		echo "--- daemon log ($_pd_l):"
		sed 's/^/  | /' "$_pd_l"
	done
	exit 1
}

ok() {
	echo "ok: $TEST_NAME: $*"
}

# True while pid runs (a zombie waiting to be reaped does not count).
pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_pd_state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_pd_state" ] && [ "$_pd_state" != Z ]
}

cleanup() {
	if [ -n "$DAEMON_PID" ] && pid_alive "$DAEMON_PID"; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	for _pd_p in $PD_PIDS; do
		if pid_alive "$_pd_p"; then
			kill -KILL "$_pd_p" 2>/dev/null
			wait "$_pd_p" 2>/dev/null
		fi
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# Make $TMP and install the traps.
setup_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-$TEST_NAME.XXXXXX") ||
	    fail "mktemp -d failed"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
	[ -x "$PEERDISCD" ] || fail "$PEERDISCD not built"
}

# Network isolation.  NETNS_CMD is a command prefix that runs the rest
# of the line in a fresh network namespace (loopback down; binding
# 127.0.0.1, 0.0.0.0 and :: still works), so nothing reaches the real
# network; unshare execs, keeping the PID.
pd_netns_prefix() {
	if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
		NETNS_CMD="unshare -n"
	elif unshare -c -n true 2>/dev/null; then
		NETNS_CMD="unshare -c -n"
	else
		return 1
	fi
}

# Need a network namespace (root, or unprivileged user namespaces), or
# skip: for runs on the defaults, which listen on every address.
need_netns() {
	pd_netns_prefix || skip "no network namespace available (not root," \
	    "and user namespaces are disabled)"
}

# A network namespace if we can have one, else nothing: for runs whose
# config keeps to 127.0.0.1.
maybe_netns() {
	pd_netns_prefix || NETNS_CMD=
}

# start_daemon LOG CMD...: run CMD in the background, stderr to LOG.
start_daemon() {
	DAEMON_LOG=$1
	shift
	"$@" 2>"$DAEMON_LOG" </dev/null &
	DAEMON_PID=$!
}

# wait_for_log PATTERN: until the daemon's log matches the basic regular
# expression PATTERN; fails if the daemon dies or time runs out.
wait_for_log() {
	_pd_i=0
	while ! grep -q -- "$1" "$DAEMON_LOG" 2>/dev/null; do
		if ! pid_alive "$DAEMON_PID"; then
			grep -q -- "$1" "$DAEMON_LOG" 2>/dev/null && return 0
			fail "daemon exited before logging '$1'"
		fi
		_pd_i=$((_pd_i + 1))
		[ "$_pd_i" -le $((PD_TEST_TIMEOUT * 10)) ] ||
		    fail "no '$1' in the log after ${PD_TEST_TIMEOUT}s"
		sleep 0.1
	done
}

# wait_exit: wait (bounded) for the daemon to exit; DAEMON_STATUS is its
# exit status.
wait_exit() {
	_pd_i=0
	while pid_alive "$DAEMON_PID"; do
		_pd_i=$((_pd_i + 1))
		if [ "$_pd_i" -gt $((PD_TEST_TIMEOUT * 10)) ]; then
			kill -KILL "$DAEMON_PID" 2>/dev/null
			wait "$DAEMON_PID" 2>/dev/null
			DAEMON_PID=
			fail "daemon still running after ${PD_TEST_TIMEOUT}s"
		fi
		sleep 0.1
	done
	wait "$DAEMON_PID"
	DAEMON_STATUS=$?
	DAEMON_PID=
}

# stop_daemon [SIGNAL]: signal the daemon (TERM by default) and wait.
stop_daemon() {
	kill -"${1:-TERM}" "$DAEMON_PID" || fail "cannot signal $DAEMON_PID"
	wait_exit
}

# run_bounded CMD...: run CMD in the foreground with the time bound;
# $? is CMD's status (124 if it had to be stopped).
run_bounded() {
	timeout -k 2 "$PD_TEST_TIMEOUT" "$@"
}

# The peer ID logged in $DAEMON_LOG (last one).
logged_peer_id() {
	sed -n 's/^peerdiscd\[[0-9]*\]: info: peer ID \(12D3KooW[1-9A-HJ-NP-Za-km-z]*\)$/\1/p' \
	    "$DAEMON_LOG" | tail -n 1
}

# Write a conf that keeps everything inside $TMP and off the network.
write_test_conf() {
	cat >"$1" <<CONF
[node]
state_dir = $TMP/state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $TMP/control.sock
[mdns]
enabled = no
[dht]
enabled = no
[bootstrap]
enabled = no
CONF
}

file_mode() {
	stat -c %a "$1"
}

# ----- several processes, the control socket (tests 04N) -----

PEERDISCCTL="$top_builddir/daemon/peerdiscctl"

# track_pid PID: kill PID too (SIGKILL) when the test exits.
track_pid() {
	PD_PIDS="$PD_PIDS $1"
}

# save_daemon NAME / use_daemon NAME: keep the daemon just started as
# NAME (NAME_PID, NAME_LOG; tracked for cleanup, its log shown by fail),
# and make NAME the one the single-daemon helpers (wait_for_log,
# stop_daemon, ...) work on.
save_daemon() {
	eval "${1}_PID=\$DAEMON_PID ${1}_LOG=\$DAEMON_LOG"
	track_pid "$DAEMON_PID"
	PD_LOGS="$PD_LOGS $DAEMON_LOG"
}
use_daemon() {
	eval "DAEMON_PID=\$${1}_PID DAEMON_LOG=\$${1}_LOG"
}

# socat talks raw JSON lines to the control socket.
need_socat() {
	command -v socat >/dev/null 2>&1 ||
	    skip "socat not installed (tools/install-deps installs it)"
}

# write_ctl_conf FILE DIR: a conf that keeps state in DIR/state and the
# control socket at DIR/control.sock, off the network but for
# 127.0.0.1.  [peers] comes last: append more peers.* keys directly.
write_ctl_conf() {
	mkdir -p "$2"
	cat >"$1" <<CONF
[node]
state_dir = $2/state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $2/control.sock
[mdns]
enabled = no
[dht]
enabled = no
[bootstrap]
enabled = no
[peers]
save_interval = 10s
# The tests drive every connection: no dialing up to min_peers.
min_peers = 0
CONF
}

# wait_until WHAT CMD...: poll CMD (every 0.1 s) until it succeeds; fail
# naming WHAT after $PD_TEST_TIMEOUT seconds.
wait_until() {
	_pd_what=$1
	shift
	_pd_i=0
	until "$@"; do
		_pd_i=$((_pd_i + 1))
		[ "$_pd_i" -le $((PD_TEST_TIMEOUT * 10)) ] ||
		    fail "timed out (${PD_TEST_TIMEOUT}s) waiting for $_pd_what"
		sleep 0.1
	done
}

# file_has FILE PATTERN: FILE matches the basic regular expression.
file_has() {
	grep -q -- "$2" "$1" 2>/dev/null
}

# The listen multiaddr with /p2p/ID from $DAEMON_LOG (first one).
logged_listen_addr() {
	sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on \(\/.*\/p2p\/12D3KooW[1-9A-HJ-NP-Za-km-z]*\)$/\1/p' \
	    "$DAEMON_LOG" | head -n 1
}

# rpc_lines SOCKET: send stdin (JSON lines) in one go, print every
# response line.  The daemon answers what it was sent, then closes.
rpc_lines() {
	run_bounded socat -t "$PD_TEST_TIMEOUT" - "UNIX-CONNECT:$1"
}

# rpc SOCKET METHOD [PARAMS]: one raw request (id 1); its response line.
rpc() {
	if [ $# -ge 3 ]; then
		printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' \
		    "$2" "$3"
	else
		printf '{"jsonrpc":"2.0","id":1,"method":"%s"}\n' "$2"
	fi | rpc_lines "$1"
}

# json_str KEY / json_num KEY: the (last) string or number member KEY
# of the compact JSON on stdin.
json_str() {
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}
json_num() {
	sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" | head -n 1
}

# The error code of each response line on stdin ("ok" for a result).
rpc_codes() {
	sed -e 's/^{"jsonrpc":"2.0","id":[^{]*"error":{"code":\(-[0-9]*\),.*/\1/' \
	    -e 's/^{"jsonrpc":"2.0","id":.*,"result":.*/ok/'
}

# VmRSS of PID in KiB.
rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# ctl_expect STATUS SOCKET ARGS...: run peerdiscctl -s SOCKET ARGS
# (bounded); fail unless it exits with STATUS.  Its stdout is left in
# $TMP/ctl.out, its stderr in $TMP/ctl.err.
ctl_expect() {
	_pd_want=$1
	_pd_sock=$2
	shift 2
	run_bounded "$PEERDISCCTL" -s "$_pd_sock" "$@" >"$TMP/ctl.out" \
	    2>"$TMP/ctl.err"
	_pd_st=$?
	[ "$_pd_st" = "$_pd_want" ] || fail "peerdiscctl $*: exit status" \
	    "$_pd_st, want $_pd_want; stdout: $(cat "$TMP/ctl.out");" \
	    "stderr: $(cat "$TMP/ctl.err")"
}

# expect_grep FILE PATTERN WHAT / expect_match TEXT PATTERN WHAT: fail
# with WHAT (and the text) unless it matches the basic regular
# expression; expect_no_match is the opposite.
expect_grep() {
	grep -q -- "$2" "$1" 2>/dev/null ||
	    fail "$3 (no '$2' in $1: $(head -c 2000 "$1" 2>/dev/null))"
}
expect_match() {
	printf '%s\n' "$1" | grep -q -- "$2" ||
	    fail "$3 (no '$2' in: $(printf '%s' "$1" | head -c 2000))"
}
expect_no_match() {
	printf '%s\n' "$1" | grep -q -- "$2" &&
	    fail "$3 ('$2' in: $(printf '%s' "$1" | head -c 2000))"
	return 0
}

# gen_peer_ids FIRST COUNT: COUNT distinct valid peer IDs, one a line:
# legacy "Qm..." IDs (base58btc of a sha2-256 multihash, 0x12 0x20 and
# 32 bytes derived from the number), so no key is needed.
gen_peer_ids() {
	awk -v first="$1" -v count="$2" 'BEGIN {
		alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
		for (k = first; k < first + count; k++) {
			n = 0
			d[n++] = 18; d[n++] = 32
			x = k
			for (i = 0; i < 32; i++) {
				x = (x * 1103515245 + 12345 + i) % 2147483648
				d[n++] = int(x / 65536) % 256
			}
			out = ""
			start = 0
			while (start < n) {
				rem = 0
				for (i = start; i < n; i++) {
					v = rem * 256 + d[i]
					d[i] = int(v / 58)
					rem = v % 58
				}
				out = substr(alpha, rem + 1, 1) out
				while (start < n && d[start] == 0)
					start++
			}
			print out
		}
	}'
}
