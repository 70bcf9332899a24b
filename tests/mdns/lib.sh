# lib.sh - shared helpers of the mDNS integration tests
# (tests/mdns/07N-*.sh and bench.sh), sourced by each after setting
# nothing.
#
# Topology.  md_setup makes a private directory ($TMP) and a "bridge"
# namespace pdm-<pid>-br holding the bridge br0 (multicast snooping off,
# so 224.0.0.251 and ff02::fb reach every port).  md_ns N [SEG] makes the
# namespace pdm-<pid>-N with lo up and a veth pair: eth0 inside it,
# vN (in the bridge namespace) a port of br0 (or of brSEG, a separate
# segment).  eth0 gets 10.77.SEG.N/24 and its IPv6 link-local address
# (DAD off, so it is usable at once).  md_ns_if N IF SEG adds another
# interface IF on segment SEG (10.77.SEG.N/24).  Every link lives inside
# namespaces we created; nothing touches the host's network.
#
# Daemons.  md_pd_start N [ARGS...] runs peerdiscd inside pdm-<pid>-N
# (`ip netns exec NS peerdiscd -c $TMP/nN.conf`) with the conf md_conf N
# wrote (listen on 10.77.0.N/tcp/4001, mDNS on, DHT and bootstrap off,
# control socket $TMP/nN.sock, then $MD_CONF_EXTRA and nN.extra), waits for
# its control socket and sets nN_id / nN_pid (the daemon's own PID; the
# timeout(1) backstop around it is tracked too).
#
# Cleanup.  The EXIT trap sends TERM (then KILL) to every PID started
# here, deletes every link and namespace created here, and removes $TMP.
# Namespaces pdm-<pid>-* left by an earlier run that was SIGKILLed (its
# <pid> no longer runs) are deleted by md_setup.
#
# Bounds.  Every wait stops at the script deadline (MD_BUDGET seconds
# from md_setup, default 60); every daemon runs under timeout(1) a little
# past it.  A test that cannot run here exits 77 with the reason: not
# root, no `ip netns`, no veth/bridge support, daemon not built.

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

# shellcheck source=tests/proc.sh
. "$top_srcdir/tests/proc.sh"	# pid_alive, pids_stop, pids_without

PEERDISCD="$top_builddir/daemon/peerdiscd"
# shellcheck disable=SC2034 # used by the tests
PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
# shellcheck disable=SC2034 # used by the tests
MDNSFLOOD="$top_builddir/tests/tools/mdnsflood"
TEST_NAME=$(basename "$0" .sh)
MD_PFX="pdm-$$"
MD_BR="$MD_PFX-br"
MD_NETNS=
MD_LINKS=
MD_PIDS=
MD_NODES=
MD_SEGS=
MD_CONF_EXTRA=
TMP=

skip() {
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

ok() {
	echo "ok: $TEST_NAME: [$(md_elapsed)s] $*"
}

note() {
	echo "note: $TEST_NAME: $*"
}

# fail MESSAGE: print MESSAGE and the logs of every node, exit 1.
fail() {
	echo "FAIL: $TEST_NAME: [$(md_elapsed)s] $*"
	for _md_f in $MD_NODES; do
		for _md_g in "$TMP/$_md_f.log" "$TMP/$_md_f.out" "$TMP/$_md_f.err"; do
			if [ -s "$_md_g" ]; then
				echo "--- $(basename "$_md_g")"
				tail -n "${MD_LOG_LINES:-80}" "$_md_g" | sed 's/^/  | /'
			fi
		done
	done
	exit 1
}

md_elapsed() {
	if [ -n "${MD_START:-}" ]; then
		echo $(($(date +%s) - MD_START))
	else
		echo 0
	fi
}

md_time_left() {
	[ "$(date +%s)" -lt "$MD_DEADLINE" ]
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# shellcheck disable=SC2317 # called from the trap
md_cleanup() {
	trap - EXIT HUP INT TERM
	# shellcheck disable=SC2086 # a list of PIDs
	pids_stop $MD_PIDS
	for _md_l in $MD_LINKS; do
		ip -n "${_md_l%%:*}" link del "${_md_l#*:}" 2>/dev/null
	done
	for _md_n in $MD_NETNS; do
		ip netns del "$_md_n" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	return 0
}

# md_track PID: stop PID at exit (TERM, then KILL).
md_track() {
	MD_PIDS="$MD_PIDS $1"
}

# md_forget PID: PID has been reaped; do not signal it at exit.
md_forget() {
	# shellcheck disable=SC2086 # a list of PIDs
	MD_PIDS=$(pids_without "$1" $MD_PIDS)
}

# Namespaces of earlier runs of these scripts whose shell is gone.
md_reap_stale() {
	ip netns list 2>/dev/null | sed -n 's/^\(pdm-\([0-9][0-9]*\)-[a-z0-9]*\)\( .*\)\{0,1\}$/\1 \2/p' |
	while read -r _md_sn _md_sp; do
		[ -d "/proc/$_md_sp" ] && continue
		ip netns del "$_md_sn" 2>/dev/null
	done
}

# md_setup: skip unless namespaces can be made here; $TMP, the traps, the
# deadline, the bridge namespace.
md_setup() {
	MD_START=$(date +%s)
	MD_BUDGET=${MD_BUDGET:-60}
	[ "$(id -u)" = 0 ] ||
		skip "not root: the mDNS tests create network namespaces (ip netns add)"
	command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
	command -v timeout >/dev/null 2>&1 || skip "timeout(1) not found"
	command -v socat >/dev/null 2>&1 ||
		skip "socat not installed (tools/install-deps installs it)"
	[ -x "$PEERDISCD" ] || skip "$PEERDISCD is not built"
	md_reap_stale
	ip netns add "$MD_BR" 2>/dev/null ||
		skip "ip netns add does not work here (no network namespaces?)"
	MD_NETNS="$MD_NETNS $MD_BR"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/peerdisc-$TEST_NAME.XXXXXX") || {
		ip netns del "$MD_BR"
		fail "mktemp -d failed"
	}
	trap md_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	MD_DEADLINE=$((MD_START + MD_BUDGET))
	MD_BACKSTOP=$((MD_BUDGET + 15))
	ip -n "$MD_BR" link set lo up || fail "bridge namespace: lo up failed"
	md_seg 0 || skip "cannot create a bridge in a namespace (no bridge support?)"
}

# md_seg SEG: the bridge brSEG in the bridge namespace, up, no snooping.
md_seg() {
	case " $MD_SEGS " in *" $1 "*) return 0 ;; esac
	ip -n "$MD_BR" link add "br$1" type bridge 2>/dev/null || return 1
	MD_LINKS="$MD_LINKS $MD_BR:br$1"
	MD_SEGS="$MD_SEGS $1"
	ip -n "$MD_BR" link set "br$1" type bridge mcast_snooping 0 2>/dev/null
	ip -n "$MD_BR" link set "br$1" up || fail "br$1 up failed"
}

# md_nsname N: the namespace of node N.
md_nsname() {
	echo "$MD_PFX-$1"
}

# md_ns N [SEG]: namespace of node N with eth0 on segment SEG (default 0).
md_ns() {
	_md_ns=$(md_nsname "$1")
	ip netns add "$_md_ns" || fail "ip netns add $_md_ns failed"
	MD_NETNS="$MD_NETNS $_md_ns"
	ip netns exec "$_md_ns" sh -c '
		echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null
	ip -n "$_md_ns" link set lo up || fail "$_md_ns: lo up failed"
	md_ns_if "$1" eth0 "${2:-0}"
}

# md_ns_if N IF SEG: interface IF of node N, a veth into brSEG, with
# 10.77.SEG.N/24 and its link-local IPv6 address.
md_ns_if() {
	_md_ns=$(md_nsname "$1")
	_md_peer="v$1$(printf '%s' "$2" | tr -cd '0-9a-z')"
	md_seg "$3" || fail "cannot create bridge br$3"
	ip -n "$MD_BR" link add "$_md_peer" type veth peer name "$2" \
		netns "$_md_ns" || fail "veth $_md_peer/$2 for $_md_ns failed"
	MD_LINKS="$MD_LINKS $MD_BR:$_md_peer"
	ip -n "$MD_BR" link set "$_md_peer" master "br$3" up ||
		fail "$_md_peer: cannot join br$3"
	ip -n "$_md_ns" addr add "10.77.$3.$1/24" dev "$2" ||
		fail "$_md_ns: address on $2 failed"
	ip -n "$_md_ns" link set "$2" up || fail "$_md_ns: $2 up failed"
}

# md_conf N: write $TMP/nN.conf (see the header).
md_conf() {
	mkdir -p "$TMP/n$1.state"
	{
		printf '[node]\nstate_dir = %s\n' "$TMP/n$1.state"
		printf 'listen = /ip4/10.77.0.%s/tcp/4001\n' "$1"
		[ -n "${MD_PSK:-}" ] && printf 'private_network = %s\n' "$MD_PSK"
		printf '[control]\nsocket = %s\n' "$TMP/n$1.sock"
		printf '[mdns]\nenabled = yes\n'
		printf '[dht]\nenabled = no\n[bootstrap]\nenabled = no\n'
		[ -n "$MD_CONF_EXTRA" ] && printf '%s\n' "$MD_CONF_EXTRA"
		[ -f "$TMP/n$1.extra" ] && cat "$TMP/n$1.extra"
	} >"$TMP/n$1.conf"
}

# md_pd_spawn N [ARGS...]: start peerdiscd for node N (conf written by
# md_conf unless it exists), without waiting.
md_pd_spawn() {
	_md_n=$1
	shift
	[ -f "$TMP/n$_md_n.conf" ] || md_conf "$_md_n"
	MD_NODES="$MD_NODES n$_md_n"
	timeout --foreground -k 2 "$MD_BACKSTOP" \
		ip netns exec "$(md_nsname "$_md_n")" \
		"$PEERDISCD" -c "$TMP/n$_md_n.conf" "$@" \
		</dev/null 2>"$TMP/n$_md_n.log" &
	_md_t=$!
	md_track "$_md_t"
	eval "n${_md_n}_tpid=$_md_t"
	eval "n${_md_n}_pid="
}

# md_pd_ready N: wait for node N's control socket line; set nN_id and
# nN_pid (the daemon itself, a child of timeout).
md_pd_ready() {
	eval "_md_t=\$n${1}_tpid"
	md_wait_log "n$1" ': info: control socket ' "n$1 to open its control socket"
	_md_c=$(tr -d ' ' <"/proc/$_md_t/task/$_md_t/children" 2>/dev/null)
	[ -n "$_md_c" ] || _md_c=$(pgrep -P "$_md_t" 2>/dev/null | head -n 1)
	[ -n "$_md_c" ] || fail "n$1: no daemon process under timeout $_md_t"
	md_track "$_md_c"
	eval "n${1}_pid=$_md_c"
	_md_id=$(sed -n 's/^peerdiscd\[[0-9]*\]: info: peer ID \(12D3KooW[1-9A-HJ-NP-Za-km-z]*\)$/\1/p' \
		"$TMP/n$1.log" | head -n 1)
	[ -n "$_md_id" ] || fail "n$1: no peer ID in the log"
	eval "n${1}_id=$_md_id"
}

# md_pd_start N [ARGS...]: md_pd_spawn, then md_pd_ready.
md_pd_start() {
	md_pd_spawn "$@"
	md_pd_ready "$1"
}

# md_wait_log NODE ERE WHAT: until NODE's log has a line matching ERE
# (extended); fails if its process exited without it, or at the deadline.
md_wait_log() {
	eval "_md_w=\$${1}_tpid"
	while ! grep -Eq -- "$2" "$TMP/$1.log" 2>/dev/null; do
		if [ -n "$_md_w" ] && ! pid_alive "$_md_w"; then
			grep -Eq -- "$2" "$TMP/$1.log" 2>/dev/null && return 0
			fail "$1 exited before $3"
		fi
		md_time_left || fail "timed out waiting for $3"
		sleep 0.1
	done
}

# md_log_has NODE ERE
md_log_has() {
	grep -Eq -- "$2" "$TMP/$1.log" 2>/dev/null
}

# rpc SOCKET METHOD [PARAMS]: one JSON-RPC request; its response line.
rpc() {
	if [ $# -ge 3 ]; then
		printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' \
			"$2" "$3"
	else
		printf '{"jsonrpc":"2.0","id":1,"method":"%s"}\n' "$2"
	fi | timeout -k 1 10 socat -t 10 - "UNIX-CONNECT:$1" 2>/dev/null
}

# md_rpc N METHOD [PARAMS]: rpc on node N's control socket.
md_rpc() {
	_md_s="$TMP/n$1.sock"
	shift
	rpc "$_md_s" "$@"
}

# ids: the peer IDs ("id":"...") in the JSON on stdin, one a line, sorted.
ids() {
	grep -o '"id":"[1-9A-HJ-NP-Za-km-z]*"' | sed 's/^"id":"\(.*\)"$/\1/' |
		sort -u
}

# json_num KEY: the first number member KEY of the JSON on stdin.
json_num() {
	sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" | head -n 1
}

# md_local N: the peer IDs in node N's discovery.local, one a line.
md_local() {
	md_rpc "$1" discovery.local >"$TMP/local.$1" || true
	grep -q '"result":' "$TMP/local.$1" || return 1
	ids <"$TMP/local.$1"
}

# md_connected N: the peer IDs node N is connected to, one a line.
md_connected() {
	md_rpc "$1" peers.list >"$TMP/conn.$1" || true
	ids <"$TMP/conn.$1"
}

# md_metric N NAME: a counter from node N's metrics.
md_metric() {
	md_rpc "$1" metrics | json_num "$2"
}

# md_knows N ID: node N's discovery.local lists ID.
md_knows() {
	md_local "$1" | grep -qx -- "$2"
}

# md_all_know NODES...: every node lists every other one in discovery.local.
md_all_know() {
	for _md_a in "$@"; do
		md_local "$_md_a" >"$TMP/known.$_md_a" || return 1
		for _md_b in "$@"; do
			[ "$_md_a" = "$_md_b" ] && continue
			eval "_md_bid=\$n${_md_b}_id"
			grep -qx -- "$_md_bid" "$TMP/known.$_md_a" || return 1
		done
	done
	return 0
}

# md_missing NODES...: "nA!nB" for every pair where A does not list B
# (after md_all_know failed: reads the files it left).
md_missing() {
	_md_out=
	for _md_a in "$@"; do
		for _md_b in "$@"; do
			[ "$_md_a" = "$_md_b" ] && continue
			eval "_md_bid=\$n${_md_b}_id"
			grep -qx -- "$_md_bid" "$TMP/known.$_md_a" 2>/dev/null ||
				_md_out="$_md_out n$_md_a!n$_md_b"
		done
	done
	echo "$_md_out"
}

# md_wait_until SECONDS WHAT CMD...: poll CMD every 0.2 s until it
# succeeds; fail naming WHAT after SECONDS (or at the script deadline).
md_wait_until() {
	_md_lim=$(($(now_ms) + $1 * 1000))
	_md_what=$2
	shift 2
	until "$@"; do
		[ "$(now_ms)" -lt "$_md_lim" ] && md_time_left ||
			fail "timed out waiting for $_md_what"
		sleep 0.2
	done
}

# md_healthy N: node N still runs and logged no error, sanitizer report
# or libevent warning.
md_healthy() {
	eval "_md_p=\$n${1}_pid"
	# shellcheck disable=SC2154 # _md_p is set by the eval above
	pid_alive "$_md_p" || fail "n$1 is no longer running"
	if grep -Eq ': error: |AddressSanitizer|LeakSanitizer|runtime error|libevent:' \
		"$TMP/n$1.log"; then
		fail "n$1: $(grep -E -m 1 ': error: |AddressSanitizer|LeakSanitizer|runtime error|libevent:' "$TMP/n$1.log")"
	fi
}

# md_pd_stop N: SIGTERM, wait (bounded), expect exit status 0.
md_pd_stop() {
	eval "_md_p=\$n${1}_pid _md_t=\$n${1}_tpid"
	kill -TERM "$_md_p" 2>/dev/null || fail "cannot signal n$1"
	while pid_alive "$_md_t"; do
		md_time_left || fail "n$1 still runs after SIGTERM"
		sleep 0.05
	done
	wait "$_md_t"
	_md_rc=$?
	md_forget "$_md_t"
	md_forget "$_md_p"
	[ "$_md_rc" -eq 0 ] || fail "n$1 exited with status $_md_rc after SIGTERM"
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$TMP/n$1.log"; then
		fail "n$1: sanitizer report in the log"
	fi
}

# md_finish NODES...: stop each node cleanly (status 0, no sanitizer report).
md_finish() {
	for _md_f in "$@"; do
		md_pd_stop "$_md_f"
	done
}

# md_need_mdns_daemon: fail at once, with a clear message, when this
# peerdiscd has no mDNS service (no mdns.deny_interfaces key).
md_need_mdns_daemon() {
	"$PEERDISCD" --print-config -c /dev/null 2>/dev/null |
		grep -q '^deny_interfaces =' ||
		fail "this peerdiscd has no mdns.deny_interfaces key (mDNS service missing)"
}

# psk_write FILE: a fresh swarm key (/key/swarm/psk/1.0.0/, base16).
psk_write() {
	_md_hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	[ ${#_md_hex} -eq 64 ] || fail "cannot read 32 random bytes"
	printf '/key/swarm/psk/1.0.0/\n/base16/\n%s\n' "$_md_hex" >"$1"
	chmod 600 "$1"
}

# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# ----- js-libp2p nodes (tests/interop/jsnode.mjs) -----

JSNODE="$top_srcdir/tests/interop/jsnode.mjs"

# md_need_js: skip unless node >= 20, npm and tests/interop/node_modules
# are present (as tests/interop/lib.sh does).
md_need_js() {
	command -v node >/dev/null 2>&1 || skip "node not found in PATH"
	command -v npm >/dev/null 2>&1 || skip "npm not found in PATH"
	[ -d "$top_srcdir/tests/interop/node_modules" ] ||
		skip "$top_srcdir/tests/interop/node_modules is absent; install with: cd tests/interop && npm ci"
	_md_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	[ "${_md_major:-0}" -ge 20 ] 2>/dev/null ||
		skip "node $(node --version 2>/dev/null) is older than 20"
}

# md_js_spawn N ARGS...: run jsnode.mjs inside node N's namespace,
# listening on 10.77.0.N/tcp/4001 (stdout jN.out, stderr jN.err).
# multicast-dns sends through the routing table (no IP_MULTICAST_IF), so
# the namespace gets a route for 224.0.0.0/4 on eth0.
md_js_spawn() {
	_md_n=$1
	shift
	ip -n "$(md_nsname "$_md_n")" route replace 224.0.0.0/4 dev eth0 ||
		fail "multicast route for j$_md_n failed"
	MD_NODES="$MD_NODES j$_md_n"
	ip netns exec "$(md_nsname "$_md_n")" node "$JSNODE" \
		--exit-after "$MD_BACKSTOP" --listen "/ip4/10.77.0.$_md_n/tcp/4001" \
		"$@" </dev/null >"$TMP/j$_md_n.out" 2>"$TMP/j$_md_n.err" &
	md_track "$!"
	eval "j${_md_n}_pid=$!"
}

# md_js_ready N: wait for jN's "listening" line; set jN_id.
md_js_ready() {
	eval "_md_p=\$j${1}_pid"
	while ! grep -q '^{"event":"listening"' "$TMP/j$1.out" 2>/dev/null; do
		grep -q '^{"event":"error"' "$TMP/j$1.out" 2>/dev/null &&
			fail "j$1 failed to start"
		pid_alive "$_md_p" || fail "j$1 exited before listening"
		md_time_left || fail "timed out waiting for j$1 to listen"
		sleep 0.05
	done
	_md_id=$(sed -n 's/^{"event":"listening","peer":"\([^"]*\)".*/\1/p' \
		"$TMP/j$1.out" | head -n 1)
	[ -n "$_md_id" ] || fail "j$1: no peer in its listening line"
	eval "j${1}_id=$_md_id"
}

# md_js_found N ID: jN reported ID found by mDNS.
md_js_found() {
	grep '^{"event":"peer_discovery"' "$TMP/j$1.out" 2>/dev/null |
		grep '"source":"mdns"' | grep -q "\"peer\":\"$2\""
}

# md_js_stop N: SIGTERM, wait (bounded), expect status 0 and no error.
md_js_stop() {
	eval "_md_p=\$j${1}_pid"
	kill -TERM "$_md_p" 2>/dev/null || fail "cannot signal j$1"
	while pid_alive "$_md_p"; do
		md_time_left || fail "j$1 still runs after SIGTERM"
		sleep 0.05
	done
	wait "$_md_p"
	_md_rc=$?
	md_forget "$_md_p"
	[ "$_md_rc" -eq 0 ] || fail "j$1 exited with status $_md_rc"
	! grep -q '^{"event":"error"' "$TMP/j$1.out" ||
		fail "j$1 reported an error: $(grep -m 1 '^{"event":"error"' "$TMP/j$1.out")"
}
