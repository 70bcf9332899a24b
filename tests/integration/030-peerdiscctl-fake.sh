#!/bin/sh
# 030-peerdiscctl-fake: the real peerdiscctl against a scripted fake
# control server (tests/unit/fakeserver): the human output of every
# command, --json, the params each command sends, socket discovery by
# $PEERDISC_SOCKET, and every exit status: 0 ok, 1 usage, 2 cannot reach
# the daemon (no socket, timeout, closed mid-answer, over-long line),
# 3 peer limit, 4 peer not found, 5 any other error from the daemon.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
CTL="$top_builddir/daemon/peerdiscctl"
FAKE="$top_builddir/tests/unit/fakeserver"
[ -x "$CTL" ] || fail "$CTL not built"
[ -x "$FAKE" ] || fail "$FAKE not built"
SOCK="$TMP/control.sock"
LOG="$TMP/requests"
export TZ=UTC

A=12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
B=12D3KooWBBBB
cat >"$TMP/script" <<EOF
on node.info
send {"jsonrpc":"2.0","id":@ID@,"result":{"peer_id":"12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo","agent":"peerdisc/0.1.0","version":"0.1.0","listen_addrs":["/ip4/127.0.0.1/tcp/4050","/ip6/::1/tcp/4050"],"announce_addrs":[],"uptime_s":3723,"connections":3,"peers_known":42,"dht":{"mode":"server","protocol":"/ipfs/kad/1.0.0","routing_table_size":17},"mdns":{"enabled":true},"bootstrap":{"configured":4,"connected":2}}}
on conn.stats
send {"jsonrpc":"2.0","id":@ID@,"result":{"count":3,"inbound":1,"outbound":2,"max_peers":50,"min_peers":5,"dialing":1}}
on peers.list "connected_only":true
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$A","connected":true,"direction":"inbound","latency_ms":12.4,"sources":["mdns","dht"],"agent":"go-ipfs/0.20.0"},{"id":"$B","connected":true,"direction":"outbound","latency_ms":1500,"sources":["bootstrap"],"agent":"bad\\u001b[31magent"}]}}
on peers.list "connected_only":false
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$B","connected":true,"direction":"inbound","latency_ms":0.5,"sources":["mdns"],"agent":"x"},{"id":"12D3KooWCCCC","connected":false,"direction":"outbound","sources":[]}]}}
on peers.get 12D3KooWMissing
send {"jsonrpc":"2.0","id":@ID@,"error":{"code":-32002,"message":"PEER_NOT_FOUND","data":{"reason":"no peer 12D3KooWMissing in the store"}}}
on peers.get
send {"jsonrpc":"2.0","id":@ID@,"result":{"id":"$B","addrs":["/ip4/10.0.0.7/tcp/4001","/ip4/192.168.1.7/tcp/4001"],"connected":true,"direction":"outbound","sources":["mdns","manual"],"protocols":["/ipfs/id/1.0.0","/ipfs/ping/1.0.0"],"agent":"go-ipfs/0.20.0","latency_ms":3,"score":12.5,"protected":false,"first_seen":1700000000,"last_seen":"2024-01-01T00:00:00Z","extra_field":{"a":1}}}
on peers.connect 12D3KooWFull
send {"jsonrpc":"2.0","id":@ID@,"error":{"code":-32001,"message":"PEER_LIMIT_REACHED","data":{"reason":"50 connections, max_peers is 50"}}}
on peers.connect 12D3KooWUnreachable
send {"jsonrpc":"2.0","id":@ID@,"error":{"code":-32003,"message":"DIAL_FAILED","data":{"reason":"connection refused"}}}
on peers.connect
send {"jsonrpc":"2.0","id":@ID@,"result":{"id":"$B","connected":true,"direction":"outbound","addrs":["/ip4/10.0.0.7/tcp/4001"]}}
on peers.disconnect
send {"jsonrpc":"2.0","id":@ID@,"result":{}}
on discovery.find
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$B","connected":false,"sources":["dht"],"addrs":["/ip4/1.2.3.4/tcp/4001","/ip4/1.2.3.5/tcp/4001","/dns4/x.example/tcp/4001"]}]}}
on discovery.advertise
send {"jsonrpc":"2.0","id":@ID@,"result":{}}
on discovery.unadvertise
send {"jsonrpc":"2.0","id":@ID@,"result":{}}
on discovery.local
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$B","connected":true,"sources":["mdns"],"addrs":["/ip4/192.168.1.7/tcp/4001"],"interface":"eth0","last_seen_mdns":1764090000000}]}}
on discovery.bootstrap
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$B","state":"connected","latency_ms":40,"addrs":["/dnsaddr/bootstrap.example"]},{"id":"12D3KooWCCCC","state":"backoff","addrs":[]}]}}
on dht.find_peer
send {"jsonrpc":"2.0","id":@ID@,"result":{"id":"$B","connected":false,"addrs":["/ip4/1.2.3.4/tcp/4001"]}}
on dht.closest_peers
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"$B","connected":true,"sources":["dht"],"addrs":[]}]}}
on dht.routing_table
send {"jsonrpc":"2.0","id":@ID@,"result":{"buckets":[[],[{"id":"$B","connected":true,"latency_ms":7,"agent":"a"}],[{"id":"12D3KooWCCCC","connected":false}]]}}
on config.reload
send {"jsonrpc":"2.0","id":@ID@,"result":{"applied":["peers.max_peers","log.level"],"needs_restart":["node.listen"]}}
on events.subscribe
send {"jsonrpc":"2.0","id":@ID@,"result":{}}
send {"jsonrpc":"2.0","method":"event","params":{"type":"peer.connected","peer":"$B","direction":"inbound","addr":"/ip4/10.0.0.7/tcp/4001"}}
send {"jsonrpc":"2.0","method":"event","params":{"type":"peer.identified","peer":"$B","agent":"evil\\u001b]0;x\\u0007","protocols":["/a","/b"]}}
send {"jsonrpc":"2.0","method":"event","params":{"type":"peer.discovered","peer":"$B","addrs":["/ip4/1.2.3.4/tcp/1","/ip4/1.2.3.5/tcp/1"],"source":"mdns"}}
send {"jsonrpc":"2.0","method":"event","params":{"type":"peer.disconnected","peer":"$B","reason":"trimmed"}}
sleep 20000
on slow.method
sleep 5000
send {"jsonrpc":"2.0","id":@ID@,"result":{}}
on cut.method
partial {"jsonrpc":"2.0","id":@ID@,"res
close
on big.method
big 67108865
on fits.method
big 2097152
EOF

"$FAKE" -l "$LOG" -r "$TMP/ready" -t 120 "$SOCK" "$TMP/script" 2>"$TMP/fake.err" &
DAEMON_PID=$!
DAEMON_LOG="$TMP/fake.err"
i=0
while [ ! -e "$TMP/ready" ]; do
	pid_alive "$DAEMON_PID" || fail "fakeserver did not start"
	i=$((i + 1))
	[ "$i" -le $((PD_TEST_TIMEOUT * 10)) ] || fail "fakeserver not ready"
	sleep 0.1
done

# ctl STATUS ARGS...: run peerdiscctl -s $SOCK ARGS; the exit status must
# be STATUS; stdout in $TMP/out, stderr in $TMP/err.
ctl() {
	want=$1
	shift
	run_bounded "$CTL" -s "$SOCK" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "--- stdout:"; cat "$TMP/out"
		echo "--- stderr:"; cat "$TMP/err"
		fail "peerdiscctl $*: exit status $got, want $want"
	fi
}

# expect_out: stdout must equal the here-document on stdin.
expect_out() {
	cat >"$TMP/want"
	diff -u "$TMP/want" "$TMP/out" >"$TMP/diff" ||
	    { cat "$TMP/diff"; fail "unexpected output of: $1"; }
}

expect_err() {
	[ "$(cat "$TMP/err")" = "$2" ] ||
	    fail "$1: stderr is '$(cat "$TMP/err")', want '$2'"
}

# The last request the fake server received.
last_request() {
	tail -n 1 "$LOG"
}

expect_request() {
	last_request | grep -qF -- "$2" ||
	    fail "$1: request '$(last_request)' lacks '$2'"
}

# ---- usage: exit 1, nothing sent
ctl 0 --version
[ "$(cat "$TMP/out")" = "peerdiscctl ${PACKAGE_VERSION:?}" ] ||
    fail "--version printed '$(cat "$TMP/out")'"
ctl 0 --help
for c in status "peers \[--all\]" "peer ID" "connect ADDR|ID" "disconnect ID" \
    "find NS \[--limit N\]" "advertise NS" "unadvertise NS" local bootstrap \
    "dht find-peer ID" "dht closest KEY" "dht table" "watch \[EVENT...\]" \
    reload "call METHOD \[JSON-PARAMS\]"; do
	grep -q "^  $c " "$TMP/out" || fail "--help does not list '$c'"
done
: >"$LOG"
for args in "" "nosuch" "dht" "dht nosuch" "peer" "peer a b" "peers extra" \
    "status --all" "peers --limit 3" "find" "find ns --limit 0" \
    "find ns --limit x" "--timeout 0 status" "--timeout 5 status" \
    "--timeout 1parsec status" "--bogus status" "call" "call m notjson" \
    "call m 42" "call m {} extra" "-s"; do
	# shellcheck disable=SC2086
	ctl 1 $args
	[ -s "$TMP/out" ] && fail "usage error '$args' wrote to stdout"
	grep -q '^peerdiscctl: ' "$TMP/err" ||
	    fail "usage error '$args': no message: $(cat "$TMP/err")"
	grep -q 'usage: peerdiscctl' "$TMP/err" ||
	    fail "usage error '$args': no usage line"
done
[ -s "$LOG" ] && fail "a usage error reached the server: $(cat "$LOG")"
ok "usage errors exit 1 without contacting the daemon"

# ---- status
ctl 0 status
expect_out status <<'EOF'
peer ID:     12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo
agent:       peerdisc/0.1.0
version:     0.1.0
uptime:      1h 2m 3s
listen:      /ip4/127.0.0.1/tcp/4050
             /ip6/::1/tcp/4050
announce:    (the listen addresses)
connections: 3 (1 inbound, 2 outbound), 1 dialing; min 5, max 50
peers known: 42
dht:         server, /ipfs/kad/1.0.0, 17 peers in routing table
mdns:        enabled
bootstrap:   2 of 4 connected
EOF
[ -s "$TMP/err" ] && fail "status wrote to stderr: $(cat "$TMP/err")"
ctl 0 --json status
grep -q '^{"node.info":{"peer_id":"12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo",.*"conn.stats":{"count":3,' \
    "$TMP/out" || fail "status --json: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/out")" = 1 ] || fail "--json output is not one line"
ok "status, status --json"

# ---- peers
ctl 0 peers
expect_request peers '"method":"peers.list","params":{"connected_only":true}'
expect_out peers <<EOF
PEER ID                                               DIRECTION  LATENCY  SOURCES    AGENT
$A  inbound    12ms     mdns,dht   go-ipfs/0.20.0
$B                                          outbound   1.5s     bootstrap  bad?[31magent
EOF
ctl 0 peers --all
expect_request "peers --all" '"params":{"connected_only":false}'
expect_out "peers --all" <<EOF
PEER ID       CONNECTED  DIRECTION  LATENCY  SOURCES  AGENT
$B  yes        inbound    0.5ms    mdns     x
12D3KooWCCCC  no         -          -        -        -
EOF
ctl 0 --json peers
grep -q "^{\"peers\":\[{\"id\":\"$A\"" "$TMP/out" ||
    fail "peers --json: $(cat "$TMP/out")"
ok "peers, peers --all (full IDs, escapes replaced), peers --json"

# ---- peer ID
ctl 0 peer "$B"
expect_request peer "\"method\":\"peers.get\",\"params\":{\"peer\":\"$B\"}"
sed '/^first seen:/s/ (.* ago)$/ (AGE ago)/' "$TMP/out" >"$TMP/out2"
mv "$TMP/out2" "$TMP/out"
expect_out peer <<EOF
id:          $B
connected:   yes (outbound)
addrs:       /ip4/10.0.0.7/tcp/4001
             /ip4/192.168.1.7/tcp/4001
sources:     mdns, manual
agent:       go-ipfs/0.20.0
protocols:   /ipfs/id/1.0.0
             /ipfs/ping/1.0.0
latency:     3ms
score:       12.5
protected:   no
first seen:  2023-11-14 22:13:20 (AGE ago)
last seen:   2024-01-01T00:00:00Z
extra_field: {"a":1}
EOF
ctl 4 peer 12D3KooWMissing
[ -s "$TMP/out" ] && fail "peer not found wrote to stdout"
expect_err "peer not found" \
    "peerdiscctl: PEER_NOT_FOUND: no peer 12D3KooWMissing in the store"
ok "peer ID: every field; not found exits 4"

# ---- connect, disconnect
ctl 0 connect /ip4/10.0.0.7/tcp/4001/p2p/$B
expect_request "connect ADDR" "\"params\":{\"addr\":\"/ip4/10.0.0.7/tcp/4001/p2p/$B\"}"
expect_out "connect" <<EOF
connected to $B (outbound)
EOF
ctl 0 connect "$B"
expect_request "connect ID" "\"params\":{\"peer\":\"$B\"}"
ctl 3 connect 12D3KooWFull
expect_err "peer limit" \
    "peerdiscctl: PEER_LIMIT_REACHED: 50 connections, max_peers is 50"
ctl 5 connect 12D3KooWUnreachable
expect_err "dial failed" "peerdiscctl: DIAL_FAILED: connection refused"
ctl 0 disconnect "$B"
expect_request disconnect "\"method\":\"peers.disconnect\",\"params\":{\"peer\":\"$B\"}"
expect_out disconnect <<EOF
disconnected $B
EOF
ok "connect ADDR|ID (exit 3 at the peer limit, 5 on dial failure), disconnect"

# ---- discovery
ctl 0 find myapp --limit 5
expect_request find '"method":"discovery.find","params":{"namespace":"myapp","timeout_ms":10000,"limit":5}'
expect_out find <<EOF
PEER ID       CONNECTED  SOURCES  ADDRESSES
$B  no         dht      /ip4/1.2.3.4/tcp/4001 (+2)
EOF
ctl 0 --timeout 1500ms find myapp
expect_request find '"params":{"namespace":"myapp","timeout_ms":1500}'
ctl 0 advertise myapp
expect_request advertise '"method":"discovery.advertise","params":{"namespace":"myapp"}'
expect_out advertise <<'EOF'
advertising myapp
EOF
ctl 0 unadvertise myapp
expect_request unadvertise '"method":"discovery.unadvertise","params":{"namespace":"myapp"}'
expect_out unadvertise <<'EOF'
no longer advertising myapp
EOF
ctl 0 local
expect_request local '"method":"discovery.local"}'
expect_out local <<EOF
PEER ID       CONNECTED  INTERFACE  ADDRESSES
$B  yes        eth0       /ip4/192.168.1.7/tcp/4001
EOF
ctl 0 bootstrap
expect_out bootstrap <<EOF
PEER ID       STATE      LATENCY  ADDRESSES
$B  connected  40ms     /dnsaddr/bootstrap.example
12D3KooWCCCC  backoff    -        -
EOF
ok "find (--limit, --timeout passed on), advertise, unadvertise, local, bootstrap"

# ---- dht
ctl 0 dht find-peer "$B"
expect_request "dht find-peer" "\"method\":\"dht.find_peer\",\"params\":{\"peer\":\"$B\"}"
grep -q "^id:          $B\$" "$TMP/out" || fail "dht find-peer: $(cat "$TMP/out")"
ctl 0 dht closest somekey
expect_request "dht closest" '"method":"dht.closest_peers","params":{"key":"somekey"}'
expect_out "dht closest" <<EOF
PEER ID       CONNECTED  SOURCES  ADDRESSES
$B  yes        dht      -
EOF
ctl 0 dht table
expect_out "dht table" <<EOF
BUCKET  PEER ID       CONNECTED  LATENCY  AGENT
1       $B  yes        7ms      a
2       12D3KooWCCCC  no         -        -
EOF
ok "dht find-peer, closest, table"

# ---- reload, call
ctl 0 reload
expect_out reload <<'EOF'
applied:       peers.max_peers, log.level
needs restart: node.listen
EOF
ctl 0 call config.reload '{"x":[1,2]}'
expect_request call '"method":"config.reload","params":{"x":[1,2]}}'
expect_out call <<'EOF'
{
  "applied": [
    "peers.max_peers",
    "log.level"
  ],
  "needs_restart": [
    "node.listen"
  ]
}
EOF
ctl 5 call no.such.method
expect_err "unknown method" "peerdiscctl: Method not found: no method 'no.such.method'"
ok "reload, call (pretty result), unknown method exits 5"

# ---- watch: until SIGINT; human lines and --json
watch_run() {
	out=$1
	shift
	: >"$out"	# not the previous run's lines
	"$CTL" -s "$SOCK" "$@" >"$out" 2>"$TMP/watch.err" &
	wpid=$!
	i=0
	while [ "$(wc -l <"$out")" -lt 4 ]; do
		pid_alive "$wpid" || fail "watch exited early: $(cat "$TMP/watch.err")"
		i=$((i + 1))
		[ "$i" -le $((PD_TEST_TIMEOUT * 10)) ] ||
		    { kill -KILL "$wpid"; fail "watch printed $(wc -l <"$out") lines"; }
		sleep 0.1
	done
	kill -INT "$wpid"
	wait "$wpid"
	wstatus=$?
	[ "$wstatus" = 0 ] || fail "watch exit status $wstatus after SIGINT, want 0: $(cat "$TMP/watch.err")"
}
watch_run "$TMP/watch" watch
expect_request watch '"method":"events.subscribe"}'
sed 's/^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9] /TIME /' \
    "$TMP/watch" >"$TMP/out"
expect_out watch <<EOF
TIME peer.connected $B inbound /ip4/10.0.0.7/tcp/4001
TIME peer.identified $B evil?]0;x? (2 protocols)
TIME peer.discovered $B mdns /ip4/1.2.3.4/tcp/1 (+1)
TIME peer.disconnected $B trimmed
EOF
watch_run "$TMP/watch" --json watch peer.connected peer.disconnected
expect_request "watch EVENT" '"params":{"events":["peer.connected","peer.disconnected"]}'
head -n 1 "$TMP/watch" >"$TMP/out"
expect_out "watch --json" <<EOF
{"type":"peer.connected","peer":"$B","direction":"inbound","addr":"/ip4/10.0.0.7/tcp/4001"}
EOF
ok "watch: a line per event until SIGINT (exit 0), --json, EVENT filter"

# ---- cannot reach the daemon: exit 2
ctl 2 --timeout 300ms call slow.method
expect_err timeout "peerdiscctl: cannot reach the daemon at $SOCK: timed out"
ctl 2 call cut.method
expect_err "cut" "peerdiscctl: cannot reach the daemon at $SOCK: connection closed by the daemon"
ctl 2 call big.method
expect_err "big" "peerdiscctl: cannot reach the daemon at $SOCK: line too long"
ctl 0 --json call fits.method
[ "$(wc -c <"$TMP/out")" -gt 2097000 ] || fail "a 2 MiB answer (over the old 1 MiB cap) was not printed"
run_bounded "$CTL" -s "$TMP/nothere.sock" status >"$TMP/out" 2>"$TMP/err"
[ $? = 2 ] || fail "no socket: exit status not 2"
expect_err "no socket" \
    "peerdiscctl: cannot reach the daemon: $TMP/nothere.sock: No such file or directory"
ok "exit 2: timeout, closed mid-answer, over-long line, no socket (1 MiB line fits)"

# ---- answers shaped as the daemon's rpc-methods.c makes them today:
# components "available": false, null agent/latency, direction "none",
# millisecond time stamps, protection tags, dial back-off
cat >"$TMP/script2" <<'EOF'
on node.info
send {"jsonrpc":"2.0","id":@ID@,"result":{"peer_id":"12D3KooWReal","agent":"peerdisc/0.1.0","version":"0.1.0","listen_addrs":["/ip4/127.0.0.1/tcp/4050"],"announce_addrs":["/ip4/127.0.0.1/tcp/4050"],"uptime_s":5,"connections":0,"peers_known":0,"dht":{"mode":null,"protocol":null,"routing_table_size":0,"available":false},"mdns":{"enabled":false,"available":false},"bootstrap":{"configured":0,"connected":0,"available":false}}}
on conn.stats
send {"jsonrpc":"2.0","id":@ID@,"result":{"count":0,"inbound":0,"outbound":0,"max_peers":50,"min_peers":5,"dialing":0}}
on peers.get
send {"jsonrpc":"2.0","id":@ID@,"result":{"id":"12D3KooWReal","addrs":[],"connected":false,"direction":"none","sources":["manual"],"protocols":[],"agent":null,"latency_ms":null,"score":0,"protected":true,"protect_tags":["ops","config"],"first_seen":1700000000000,"last_seen":1700000000000,"dial_failures":2,"next_dial":4102444800000,"last_error":"connection refused"}}
on peers.list
send {"jsonrpc":"2.0","id":@ID@,"result":{"peers":[{"id":"12D3KooWReal","addrs":[],"connected":false,"direction":"none","sources":["manual"],"protocols":[],"agent":null,"latency_ms":null,"score":0}]}}
EOF
SOCK2="$TMP/real.sock"
"$FAKE" -r "$TMP/ready2" -t 60 "$SOCK2" "$TMP/script2" 2>>"$TMP/fake.err" &
FAKE2_PID=$!
trap 'kill "$FAKE2_PID" 2>/dev/null; cleanup' EXIT
i=0
while [ ! -e "$TMP/ready2" ]; do
	pid_alive "$FAKE2_PID" || fail "second fakeserver did not start"
	i=$((i + 1))
	[ "$i" -le $((PD_TEST_TIMEOUT * 10)) ] || fail "second fakeserver not ready"
	sleep 0.1
done
SOCK_SAVED=$SOCK
SOCK=$SOCK2
ctl 0 status
expect_out "status (daemon-shaped)" <<'EOF'
peer ID:     12D3KooWReal
agent:       peerdisc/0.1.0
version:     0.1.0
uptime:      5s
listen:      /ip4/127.0.0.1/tcp/4050
announce:    /ip4/127.0.0.1/tcp/4050
connections: 0 (0 inbound, 0 outbound), 0 dialing; min 5, max 50
peers known: 0
dht:         not available
mdns:        not available
bootstrap:   not available
EOF
ctl 0 peer 12D3KooWReal
sed 's/ ([^()]* ago)$/ (AGE ago)/; s/ (in [^()]*)$/ (in LATER)/' "$TMP/out" >"$TMP/out2"
mv "$TMP/out2" "$TMP/out"
expect_out "peer (daemon-shaped)" <<'EOF'
id:          12D3KooWReal
connected:   no
addrs:       -
sources:     manual
agent:       -
protocols:   -
latency:     -
score:       0
protected:   yes (ops, config)
first seen:  2023-11-14 22:13:20 (AGE ago)
last seen:   2023-11-14 22:13:20 (AGE ago)
dial fails:  2
next dial:   2100-01-01 00:00:00 (in LATER)
last error:  connection refused
EOF
ctl 0 peers --all
expect_out "peers --all (daemon-shaped)" <<'EOF'
PEER ID       CONNECTED  DIRECTION  LATENCY  SOURCES  AGENT
12D3KooWReal  no         -          -        manual   -
EOF
SOCK=$SOCK_SAVED
kill "$FAKE2_PID"
ok "daemon-shaped answers: unavailable components, nulls, ms time stamps"

# ---- $PEERDISC_SOCKET when there is no -s
PEERDISC_SOCKET="$SOCK" run_bounded "$CTL" local >"$TMP/out" 2>"$TMP/err" ||
    fail "PEERDISC_SOCKET not used: $(cat "$TMP/err")"
expect_request "PEERDISC_SOCKET" '"method":"discovery.local"}'
PEERDISC_SOCKET="$TMP/nothere.sock" run_bounded "$CTL" local >"$TMP/out" 2>"$TMP/err"
[ $? = 2 ] || fail "PEERDISC_SOCKET to nothing: exit status not 2"
grep -qF "$TMP/nothere.sock" "$TMP/err" || fail "the error does not name \$PEERDISC_SOCKET"
ok "socket from \$PEERDISC_SOCKET"
exit 0
