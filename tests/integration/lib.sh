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
