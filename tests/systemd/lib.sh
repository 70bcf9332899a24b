# lib.sh - helpers for the systemd tests (tests/systemd/NNN-name.sh) on
# top of tests/integration/lib.sh: a stand-in for systemd's notify and
# journal sockets (tests/tools/notify-recv), and skips for builds or
# hosts without libsystemd or the systemd tools.
. "$top_srcdir/tests/integration/lib.sh"

NOTIFY_RECV="$top_builddir/tests/tools/notify-recv"
RECV_PID=
RECV_OUT=

need_libsystemd() {
	[ "${PD_HAVE_SYSTEMD:-0}" = 1 ] ||
	    skip "built without libsystemd (--without-systemd): notify," \
	    "watchdog and socket activation are no-ops"
}

# start_recv PATH OUT: a datagram receiver at PATH printing to OUT
# ("MS pid=PID TEXT" lines, newlines in TEXT shown as '|'); waits until
# the socket exists.
start_recv() {
	[ -x "$NOTIFY_RECV" ] || fail "$NOTIFY_RECV not built"
	RECV_OUT=$2
	"$NOTIFY_RECV" "$1" 120 >"$RECV_OUT" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	wait_until "the receiver's socket $1" test -S "$1"
}

# stop_recv: stop the receiver (it removes its socket).
stop_recv() {
	kill -TERM "$RECV_PID" 2>/dev/null
	wait "$RECV_PID" 2>/dev/null
}

# recv_has PATTERN: a received line matches the basic regular expression.
recv_has() {
	grep -q -- "$1" "$RECV_OUT" 2>/dev/null
}

# wait_recv PATTERN WHAT: until a received line matches.
wait_recv() {
	wait_until "$2" recv_has "$1"
}

# recv_count PATTERN: received lines matching.
recv_count() {
	grep -c -- "$1" "$RECV_OUT" 2>/dev/null
}
