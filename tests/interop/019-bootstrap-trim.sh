#!/bin/sh
# 019-bootstrap-trim: js-libp2p nodes as bootstrap peers of peerdiscd,
# and as peers being trimmed.
# Two js nodes (ja, jb) are peerdiscd's bootstrap.peers: it dials both
# at start, discovery.bootstrap shows them "connected", and they are
# protected under the tag "bootstrap".  peerdiscd runs with max_peers = 3
# (low water 2), max_inbound = 10 and grace_period = 2s; five more js
# nodes (j1..j5) dial it.  After the grace period it trims the js
# peers it may drop (candidates j1..j5 minus the low-water mark: 3), one
# "trimming ID: over peers.max_peers" line each, never ja or jb, and
# the js side sees those connections close; metrics count 3 trimmed.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

PEERDISCCTL="$top_builddir/daemon/peerdiscctl"
it_setup
js_start ja
js_start jb

# peerdiscd with bootstrap on (pd_start writes bootstrap off, so the
# conf is ours; the same bounds: timeout, deadline, EXIT trap).
mkdir -p "$TMP/pd.state"
cat >"$TMP/pd.conf" <<CONF
[node]
state_dir = $TMP/pd.state
listen = /ip4/127.0.0.1/tcp/0
[dht]
enabled = no
[mdns]
enabled = no
[bootstrap]
enabled = yes
peers = $ja_addr $jb_addr
[control]
socket = $TMP/pd.sock
[peers]
max_peers = 3
min_peers = 0
max_inbound = 10
grace_period = 2s
CONF
IT_NAMES="$IT_NAMES pd"
timeout --foreground -k 2 "$IT_BACKSTOP" "$PEERDISCD" -c "$TMP/pd.conf" \
	</dev/null 2>"$TMP/pd.log" &
pd_pid=$!
IT_PIDS="$IT_PIDS $!"
wait_pd pd ': info: listening on /ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/' "pd to listen"
pd_addr=$(sed -n 's/^peerdiscd\[[0-9]*\]: info: listening on //p' "$TMP/pd.log" | head -n 1)
pd_id=${pd_addr##*/p2p/}

ctl() {
	timeout 20 "$PEERDISCCTL" -s "$TMP/pd.sock" --json "$@"
}
for n in ja jb; do
	eval "id=\$${n}_id"
	wait_pd pd ": info: bootstrap: connected to $(re "$id")" "pd to bootstrap from $n"
done
ctl bootstrap >"$TMP/boot.json" || fail "peerdiscctl bootstrap failed"
for n in ja jb; do
	eval "id=\$${n}_id"
	grep -Eq "\"id\":\"$id\"[^{}]*\"state\":\"connected\"" "$TMP/boot.json" ||
		grep -Eq "\"id\":\"$id\".*\"state\":\"connected\"" "$TMP/boot.json" ||
		fail "bootstrap state of $n: $(cat "$TMP/boot.json")"
	ctl peer "$id" >"$TMP/$n.peer" || fail "peer $n"
	grep -q '"protected":true' "$TMP/$n.peer" || fail "$n not protected: $(cat "$TMP/$n.peer")"
	grep -q '"protect_tags":\[[^]]*"bootstrap"' "$TMP/$n.peer" ||
		grep -q '"score_parts":{[^}]*"protected":true' "$TMP/$n.peer" ||
		fail "$n: no bootstrap protection: $(cat "$TMP/$n.peer")"
done
ok "peerdiscd bootstrapped from js nodes ja and jb (connected, protected)"

for n in j1 j2 j3 j4 j5; do
	js_spawn "$n" --dial "$pd_addr"
done
for n in j1 j2 j3 j4 j5; do
	js_ready "$n"
	wait_js "$n" '^\{"event":"(dialed|done)"' "$n to dial pd"
done
while [ "$(pd_count pd ': info: trimming ')" -lt 3 ]; do
	it_time_left || fail "pd trimmed $(pd_count pd ': info: trimming ') peers, want 3"
	sleep 0.1
done
sleep 1
expect_eq "trimming lines" "$(pd_count pd ': info: trimming 12D3KooW[1-9A-HJ-NP-Za-km-z]+: over peers\.max_peers \(score -?[0-9]+\)$')" 3
for n in ja jb; do
	eval "id=\$${n}_id"
	expect_no_pd pd ": info: trimming $(re "$id"):" "bootstrap peer $n trimmed"
	ctl peer "$id" | grep -q '"connected":true' || fail "bootstrap peer $n no longer connected"
done
trimmed=
for n in j1 j2 j3 j4 j5; do
	eval "id=\$${n}_id"
	if grep -q ": info: trimming $id:" "$TMP/pd.log"; then
		trimmed="$trimmed $n"
		wait_js "$n" "^\\{\"event\":\"disconnected\",.*\"peer\":\"$(re "$pd_id")\"" \
			"$n to see the trim"
	fi
done
[ "$(echo $trimmed | wc -w)" = 3 ] || fail "trimmed js nodes: '$trimmed'"
ctl call metrics >"$TMP/metrics.json" || fail "metrics failed"
grep -q '"peers_trimmed":3' "$TMP/metrics.json" || fail "metrics: $(cat "$TMP/metrics.json")"
ok "pd (max_peers 3) trimmed$trimmed, kept the bootstrap js peers"
pd_healthy pd
it_finish
