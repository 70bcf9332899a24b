#!/bin/sh
# 003-check-config: --check-config reports every error with its line and
# exits non-zero; a valid file gives "configuration OK"; --print-config
# output is itself a valid configuration that prints the same again; a
# missing -c file and a bad config stop the daemon itself too.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
maybe_netns
cd "$TMP" || fail "cd $TMP"

cat >bad.conf <<CONF
[peers]
max_peers = many
min_peers = 3

[dht]
mode = sideways
[mdns]
frequency = 10s
[node]
state_dir = $TMP/state
listen = /ip4/127.0.0.1/tcp/0
[control]
socket = $TMP/control.sock
CONF
run_bounded "$PEERDISCD" -c bad.conf --check-config >out 2>err &&
    fail "--check-config accepted bad.conf"
[ -s out ] && fail "--check-config wrote to stdout on errors: $(cat out)"
for want in \
    "bad.conf:2: peers.max_peers: 'many': expected a whole number" \
    "bad.conf:6: dht.mode: 'sideways': expected server or client" \
    "bad.conf:8: mdns.frequency: unknown key"; do
	grep -qxF "$want" err || fail "missing error '$want'; got: $(cat err)"
done
[ "$(wc -l <err)" -eq 3 ] || fail "expected 3 errors, got: $(cat err)"
ok "three errors on three lines reported"

cat >good.conf <<CONF
[node]
state_dir = $TMP/state
listen = /ip4/127.0.0.1/tcp/0
[peers]
max_peers = 80
grace_period = 90s
[log]
level = warn
CONF
run_bounded "$PEERDISCD" -c good.conf --check-config >out 2>err ||
    fail "--check-config rejected good.conf: $(cat err)"
[ "$(cat out)" = "configuration OK" ] || fail "stdout: $(cat out)"
[ -s err ] && fail "stderr not empty: $(cat err)"
ok "valid file: configuration OK"

run_bounded "$PEERDISCD" -c good.conf --print-config >printed.conf 2>err ||
    fail "--print-config failed: $(cat err)"
grep -qx 'max_peers = 80' printed.conf || fail "printed: no max_peers = 80"
grep -qx 'grace_period = 90s' printed.conf || fail "printed: no grace_period"
grep -qx "identity = $TMP/state/identity.key" printed.conf ||
    fail "printed: identity not derived from state_dir"
run_bounded "$PEERDISCD" -c printed.conf --check-config >out 2>err ||
    fail "printed config does not check: $(cat err)"
run_bounded "$PEERDISCD" -c printed.conf --print-config >printed2.conf 2>err ||
    fail "printed config does not print: $(cat err)"
cmp -s printed.conf printed2.conf || fail "printing the printed config differs"
[ "$(grep -c '^\[' printed.conf)" -eq 7 ] || fail "printed: not 7 sections"
ok "--print-config output re-parses to the same configuration"

run_bounded "$PEERDISCD" -c "$TMP/nope.conf" --check-config >out 2>err &&
    fail "missing -c file accepted"
grep -q "^$TMP/nope.conf: No such file or directory\$" err ||
    fail "missing file not named: $(cat err)"
# shellcheck disable=SC2086
run_bounded $NETNS_CMD "$PEERDISCD" -c "$TMP/nope.conf" >out 2>err &&
    fail "daemon started with a missing -c file"
grep -q "nope.conf: No such file" err || fail "daemon: missing file not named"
ok "missing -c file is an error"

# the daemon itself lists every error and stops
# shellcheck disable=SC2086
run_bounded $NETNS_CMD "$PEERDISCD" -c bad.conf >out 2>err &&
    fail "daemon started on bad.conf"
[ "$(grep -c ': error: bad.conf:' err)" -eq 3 ] ||
    fail "daemon did not log all three errors: $(cat err)"
grep -q ': error: configuration has 3 errors$' err || fail "no summary: $(cat err)"
[ -e "$TMP/state" ] && fail "daemon created the state dir despite errors"
ok "daemon refuses bad.conf listing all errors"
exit 0
