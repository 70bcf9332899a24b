# lib.sh - shared helpers of the peerdiscd <-> js-libp2p interop tests
# (tests/interop/0NN-*.sh), sourced by each test after setting nothing.
#
# A test calls it_setup (skip checks, private directory, traps), starts
# nodes by NAME (pd_start for a peerdiscd with a generated conf, js_spawn /
# js_ready for a jsnode.mjs), waits for log lines or JSON events with
# bounded loops, and checks with the expect_* helpers, which print every
# node's log on failure.  Each node's files live in $TMP: NAME.conf,
# NAME.log (peerdiscd stderr), NAME.out / NAME.err (jsnode stdout/stderr).
# After pd_start / js_ready, $NAME_id, $NAME_addr (with /p2p/) and
# $NAME_listen (without) describe the node.
#
# Bounds: every wait stops at the script's deadline (IT_BUDGET seconds,
# default 45, from it_setup); peerdiscd runs under timeout(1) and jsnode
# with --exit-after, both a little past the deadline, so nothing outlives
# a SIGKILLed script by long.  (timeout --foreground: without it, timeout
# also signals its own process group, and when the daemon exits at once
# on that SIGTERM, timeout itself can die of the echo and report 143.)  The EXIT trap stops every process started
# here by its PID (TERM, then KILL).  All traffic stays on 127.0.0.1.
#
# Skips (exit 77) without node >= 20, npm, tests/interop/node_modules
# (cd tests/interop && npm ci) or a built daemon/peerdiscd.

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

# shellcheck source=tests/proc.sh
. "$top_srcdir/tests/proc.sh"	# pid_alive, pids_stop, pids_without

IT_DIR="$top_srcdir/tests/interop"
JSNODE="$IT_DIR/jsnode.mjs"
PEERDISCD="$top_builddir/daemon/peerdiscd"
TEST_NAME=$(basename "$0" .sh)
IT_BUDGET=${IT_BUDGET:-45}
IT_PIDS=
IT_NAMES=
TMP=
# Extra conf text appended by pd_start (e.g. a [peers] section).
PD_CONF_EXTRA=

skip() {
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

ok() {
	echo "ok: $TEST_NAME: [$(it_elapsed)s] $*"
}

note() {
	echo "note: $TEST_NAME: $*"
}

# fail MESSAGE: print MESSAGE and every node's output, exit 1.
fail() {
	echo "FAIL: $TEST_NAME: $*"
	for _it_n in $IT_NAMES; do
		for _it_f in "$TMP/$_it_n.log" "$TMP/$_it_n.out" "$TMP/$_it_n.err"; do
			if [ -s "$_it_f" ]; then
				echo "--- $(basename "$_it_f")"
				sed 's/^/  | /' "$_it_f"
			fi
		done
	done
	exit 1
}

# shellcheck disable=SC2317 # called from the trap
it_cleanup() {
	# shellcheck disable=SC2086 # a list of PIDs
	pids_stop $IT_PIDS
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# it_forget PID: PID has been reaped; the cleanup must not signal it.
it_forget() {
	# shellcheck disable=SC2086 # a list of PIDs
	IT_PIDS=$(pids_without "$1" $IT_PIDS)
}

# it_setup: skip unless the harness can run, make $TMP, set the traps and
# the deadline.
it_setup() {
	command -v node >/dev/null 2>&1 || skip "node not found in PATH"
	command -v npm >/dev/null 2>&1 || skip "npm not found in PATH"
	[ -d "$IT_DIR/node_modules" ] ||
		skip "$IT_DIR/node_modules is absent; install with: cd tests/interop && npm ci"
	_it_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	[ "${_it_major:-0}" -ge 20 ] 2>/dev/null ||
		skip "node $(node --version 2>/dev/null) is older than 20"
	command -v timeout >/dev/null 2>&1 || skip "timeout(1) not found"
	[ -x "$PEERDISCD" ] || skip "$PEERDISCD is not built"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-$TEST_NAME.XXXXXX") ||
		fail "mktemp -d failed"
	trap it_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	IT_START=$(date +%s)
	IT_DEADLINE=$((IT_START + IT_BUDGET))
	IT_BACKSTOP=$((IT_BUDGET + 15))
	PD_VERSION=$("$PEERDISCD" --version | sed -n 's/^peerdiscd //p')
	[ -n "$PD_VERSION" ] || fail "peerdiscd --version printed no version"
	# shellcheck disable=SC2034 # used by the tests
	PD_AGENT="peerdisc/$PD_VERSION"
}

# it_time_left: true before the deadline.
it_time_left() {
	[ "$(date +%s)" -lt "$IT_DEADLINE" ]
}

# it_elapsed: seconds since it_setup.
it_elapsed() {
	echo $(($(date +%s) - IT_START))
}

it_name_ok() {
	case $1 in
	'' | [!a-z]* | *[!a-z0-9_]*) fail "bad node name '$1'" ;;
	esac
}

# psk_write FILE: a fresh swarm key (/key/swarm/psk/1.0.0/, base16).
psk_write() {
	_it_hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	[ ${#_it_hex} -eq 64 ] || fail "cannot read 32 random bytes"
	printf '/key/swarm/psk/1.0.0/\n/base16/\n%s\n' "$_it_hex" >"$1"
}

# pd_start NAME PSKFILE [ARGS...]: start peerdiscd with a conf of its own
# (loopback listener, no DHT/mDNS/bootstrap, PSKFILE if not empty, then
# $PD_CONF_EXTRA), wait for its listening line, set NAME_id, NAME_addr,
# NAME_listen, NAME_pid.
pd_start() {
	it_name_ok "$1"
	_it_n=$1
	_it_psk=$2
	shift 2
	{
		printf '[node]\nstate_dir = %s\nlisten = /ip4/127.0.0.1/tcp/0\n' \
			"$TMP/$_it_n.state"
		[ -n "$_it_psk" ] && printf 'private_network = %s\n' "$_it_psk"
		printf '[dht]\nenabled = %s\n[mdns]\nenabled = no\n' "${PD_DHT:-no}"
		printf '[bootstrap]\nenabled = no\n[control]\nsocket = %s\n' \
			"$TMP/$_it_n.sock"
		[ -n "$PD_CONF_EXTRA" ] && printf '%s\n' "$PD_CONF_EXTRA"
	} >"$TMP/$_it_n.conf"
	IT_NAMES="$IT_NAMES $_it_n"
	timeout --foreground -k 2 "$IT_BACKSTOP" "$PEERDISCD" -c "$TMP/$_it_n.conf" "$@" \
		</dev/null 2>"$TMP/$_it_n.log" &
	eval "${_it_n}_pid=$!"
	IT_PIDS="$IT_PIDS $!"
	wait_pd "$_it_n" ': info: listening on /ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/' \
		"$_it_n to listen"
	_it_addr=$(sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on //p' \
		"$TMP/$_it_n.log" | head -n 1)
	eval "${_it_n}_addr=\$_it_addr"
	eval "${_it_n}_listen=\${_it_addr%/p2p/*}"
	eval "${_it_n}_id=\${_it_addr##*/p2p/}"
}

# js_spawn NAME ARGS...: start jsnode.mjs (stdout NAME.out, stderr
# NAME.err) without waiting.
js_spawn() {
	it_name_ok "$1"
	_it_n=$1
	shift
	IT_NAMES="$IT_NAMES $_it_n"
	node "$JSNODE" --exit-after "$IT_BACKSTOP" "$@" \
		</dev/null >"$TMP/$_it_n.out" 2>"$TMP/$_it_n.err" &
	eval "${_it_n}_pid=$!"
	IT_PIDS="$IT_PIDS $!"
}

# js_started NAME: wait until NAME printed "listening" (true) or an
# "error" before it, or exited (false).
js_started() {
	eval "_it_p=\$${1}_pid"
	while :; do
		grep -q '^{"event":"listening"' "$TMP/$1.out" 2>/dev/null && return 0
		grep -q '^{"event":"error"' "$TMP/$1.out" 2>/dev/null && return 1
		# shellcheck disable=SC2154 # _it_p is set by the eval above
		pid_alive "$_it_p" || {
			grep -q '^{"event":"listening"' "$TMP/$1.out" 2>/dev/null
			return
		}
		it_time_left || fail "timed out waiting for $1 to start"
		sleep 0.05
	done
}

# js_ready NAME: wait for NAME's "listening" line; set NAME_id,
# NAME_addr, NAME_listen.
js_ready() {
	js_started "$1" || fail "$1 did not start"
	_it_addr=$(sed -n 's/^{"event":"listening",.*"addrs":\["\([^"]*\)".*/\1/p' \
		"$TMP/$1.out")
	case $_it_addr in
	/ip4/127.0.0.1/tcp/*/p2p/*) ;;
	*) fail "$1: no 127.0.0.1 address in its listening line" ;;
	esac
	eval "${1}_addr=\$_it_addr"
	eval "${1}_listen=\${_it_addr%/p2p/*}"
	eval "${1}_id=\${_it_addr##*/p2p/}"
}

# js_start NAME ARGS...: js_spawn then js_ready.
js_start() {
	js_spawn "$@"
	js_ready "$1"
}

# _it_wait FILE PID ERE WHAT: until a line of FILE matches the extended
# regular expression ERE; fails when PID has exited without it, or at the
# deadline.
_it_wait() {
	while ! grep -Eq -- "$3" "$1" 2>/dev/null; do
		if ! pid_alive "$2"; then
			grep -Eq -- "$3" "$1" 2>/dev/null && return 0
			fail "$(basename "$1" | sed 's/\..*//') exited before $4"
		fi
		it_time_left || fail "timed out waiting for $4"
		sleep 0.05
	done
}

# wait_pd NAME ERE WHAT: until peerdiscd NAME logs a line matching ERE.
wait_pd() {
	eval "_it_p=\$${1}_pid"
	_it_wait "$TMP/$1.log" "$_it_p" "$2" "$3"
}

# wait_js NAME ERE WHAT: until jsnode NAME prints a line matching ERE.
wait_js() {
	eval "_it_p=\$${1}_pid"
	_it_wait "$TMP/$1.out" "$_it_p" "$2" "$3"
}

# wait_js_done NAME: until NAME printed "done" (all dials, streams and
# pings attempted); fails on an "error" event.
wait_js_done() {
	wait_js "$1" '^\{"event":"(done|error)"' "$1 to finish its dials"
	js_no_error "$1"
}

# js_no_error NAME: NAME printed no "error" event.
js_no_error() {
	! grep -q '^{"event":"error"' "$TMP/$1.out" ||
		fail "$1 reported an error: $(grep '^{"event":"error"' "$TMP/$1.out" | head -n 1)"
}

# re TEXT: TEXT quoted for an extended regular expression.
re() {
	printf '%s' "$1" | sed 's#[].[^$*+?(){}|\\]#\\&#g'
}

# jsq NAME EXPR [ARG...]: evaluate the JavaScript expression EXPR with L
# (NAME's events, parsed) and A (the ARGs) bound; print a string result
# as is, anything else as JSON, undefined as nothing.
jsq() {
	_it_f="$TMP/$1.out"
	shift
	timeout 10 node -e '
const fs = require("fs")
const [file, expr, ...A] = process.argv.slice(1)
const L = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => {
  try { return JSON.parse(l) } catch { return { event: "unparsable", line: l } }
})
const v = new Function("L", "A", "return (" + expr + ")")(L, A)
if (v !== undefined) process.stdout.write((typeof v === "string" ? v : JSON.stringify(v)) + "\n")
' "$_it_f" "$@" || fail "jsq failed on $_it_f: $1"
}

# js_event NAME EVENT PEER: the first EVENT line of NAME about PEER, as
# JSON ("identified": the first one with an observedAddr).
js_event() {
	jsq "$1" 'L.find((e) => e.event === A[0] && e.peer === A[1] &&
	    (A[0] !== "identified" || e.observedAddr !== undefined))' "$2" "$3"
}

# pd_line NAME ERE: the first line of peerdiscd NAME's log matching ERE.
pd_line() {
	grep -E -m 1 -- "$2" "$TMP/$1.log"
}

# pd_identified NAME PEER: the first "identified PEER" line of NAME that
# carries an observed address (pushes do not).
pd_identified() {
	grep -E -m 1 -- ": info: identified $(re "$2"): .* observed=/" "$TMP/$1.log"
}

# field LINE KEY: value of KEY=... in a peerdiscd log line (quoted values
# without their quotes, [lists] with their brackets).
field() {
	printf '%s\n' "$1" | sed -n \
		-e "s/.* $2=\"\\([^\"]*\\)\".*/\\1/p;t" \
		-e "s/.* $2=\\(\\[[^]]*\\]\\).*/\\1/p;t" \
		-e "s/.* $2=\\([^ ]*\\).*/\\1/p"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_match WHAT GOT ERE
expect_match() {
	printf '%s\n' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match '$3'"
}

# expect_js NAME WHAT EXPR [ARG...]: EXPR (see jsq) is true.
expect_js() {
	_it_n=$1
	_it_what=$2
	shift 2
	_it_v=$(jsq "$_it_n" "$@")
	[ "$_it_v" = true ] || fail "$_it_n: $_it_what (got ${_it_v:-undefined})"
}

# expect_pd NAME ERE WHAT: the log of NAME has a line matching ERE.
expect_pd() {
	grep -Eq -- "$2" "$TMP/$1.log" || fail "$1: $3 (no line matching '$2')"
}

# expect_no_pd NAME ERE WHAT: the log of NAME has no line matching ERE.
expect_no_pd() {
	! grep -Eq -- "$2" "$TMP/$1.log" ||
		fail "$1: $3: $(grep -E -m 1 -- "$2" "$TMP/$1.log")"
}

# pd_count NAME ERE: number of log lines of NAME matching ERE.
pd_count() {
	grep -Ec -- "$2" "$TMP/$1.log"
}

# pd_healthy NAME: NAME still runs and logged no error, sanitizer report
# or libevent warning.
pd_healthy() {
	eval "_it_p=\$${1}_pid"
	pid_alive "$_it_p" || fail "$1 is no longer running"
	expect_no_pd "$1" ': error: |AddressSanitizer|LeakSanitizer|runtime error|libevent:' \
		"unexpected error in the log"
}

# pd_stop NAME: SIGTERM, wait (bounded) and expect exit status 0.
pd_stop() {
	eval "_it_p=\$${1}_pid"
	kill -TERM "$_it_p" 2>/dev/null || fail "cannot signal $1"
	while pid_alive "$_it_p"; do
		it_time_left || fail "$1 still runs after SIGTERM"
		sleep 0.05
	done
	wait "$_it_p"
	_it_rc=$?
	it_forget "$_it_p"
	[ "$_it_rc" -eq 0 ] || fail "$1 exited with status $_it_rc after SIGTERM"
	expect_no_pd "$1" 'AddressSanitizer|LeakSanitizer|runtime error' \
		"sanitizer report"
}

# js_stop NAME: SIGTERM, wait (bounded) for "stopped" and exit status 0.
js_stop() {
	eval "_it_p=\$${1}_pid"
	kill -TERM "$_it_p" 2>/dev/null || fail "cannot signal $1"
	while pid_alive "$_it_p"; do
		it_time_left || fail "$1 still runs after SIGTERM"
		sleep 0.05
	done
	wait "$_it_p"
	_it_rc=$?
	it_forget "$_it_p"
	[ "$_it_rc" -eq 0 ] || fail "$1 exited with status $_it_rc after SIGTERM"
	js_no_error "$1"
}

# it_finish: stop every node still running, checking each stops cleanly.
it_finish() {
	for _it_n in $IT_NAMES; do
		eval "_it_p=\$${_it_n}_pid"
		pid_alive "$_it_p" || continue
		if [ -f "$TMP/$_it_n.conf" ]; then
			pd_stop "$_it_n"
		else
			js_stop "$_it_n"
		fi
	done
	ok "all nodes stopped cleanly"
}
