#!/bin/sh
# 065-bootstrap-dns: /dns4 and /dnsaddr bootstrap addresses resolved from
# a local DNS server (tests/tools/dnsserver on 127.0.0.1, a free port,
# bootstrap.nameserver = 127.0.0.1:PORT).
#   t1.cm.test            A    127.0.0.1
#   _dnsaddr.boot.cm.test TXT  dnsaddr=/dnsaddr/sub.cm.test/p2p/T2  (and
#                              one for another peer, which must be dropped)
#   _dnsaddr.sub.cm.test  TXT  dnsaddr=/ip4/127.0.0.1/tcp/P2/p2p/T2
# N bootstraps from /dns4/t1.cm.test/tcp/P1/p2p/T1 and
# /dnsaddr/boot.cm.test/p2p/T2: it connects to both; discovery.bootstrap
# shows each "connected" with its resolved address, `peerdiscctl
# bootstrap` lists them, node.info counts 2 of 2, and the DNS server saw
# the A and both TXT queries (the recursion).  M bootstraps from names
# that do not exist (NXDOMAIN): both are "backing-off" with a last_error
# and a next_attempt_ms, and node.info counts 0 of 2.  No network
# namespace (the daemons reach each other); everything binds 127.0.0.1.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
[ -x "$PEERDISCCTL" ] || fail "$PEERDISCCTL not built"
DNSSERVER="$top_builddir/tests/tools/dnsserver"
[ -x "$DNSSERVER" ] || fail "$DNSSERVER not built"
PD_TEST_TIMEOUT=20

for n in T1 T2; do
	write_ctl_conf "$TMP/$n.conf" "$TMP/$n"
	start_daemon "$TMP/$n.log" "$PEERDISCD" -c "$TMP/$n.conf"
	save_daemon "$n"
	wait_for_log ': info: control socket '
	a=$(logged_listen_addr)
	eval "${n}_ID=\${a##*/p2p/}"
	l=${a%/p2p/*}
	eval "${n}_PORT=\${l##*/}"
done

# An unrelated peer ID for the TXT record that must be filtered out.
OTHER_ID=$(gen_peer_ids 7 1)
cat >"$TMP/zone" <<ZONE
# test zone for 065-bootstrap-dns
t1.cm.test A 127.0.0.1
_dnsaddr.boot.cm.test TXT dnsaddr=/dnsaddr/sub.cm.test/p2p/$T2_ID
_dnsaddr.boot.cm.test TXT dnsaddr=/ip4/127.0.0.1/tcp/1/p2p/$OTHER_ID
_dnsaddr.boot.cm.test TXT not-a-dnsaddr-record
_dnsaddr.sub.cm.test TXT dnsaddr=/ip4/127.0.0.1/tcp/$T2_PORT/p2p/$T2_ID
ZONE
"$DNSSERVER" -t 120 -l "$TMP/dns.log" "$TMP/zone" >"$TMP/dns.out" 2>&1 &
DNS_PID=$!
track_pid "$DNS_PID"
wait_until "the DNS server's port" file_has "$TMP/dns.out" '^port [0-9]'
DNS_PORT=$(sed -n 's/^port //p' "$TMP/dns.out")

# dns_logged LINE-REGEX WHAT: the DNS server logged that query (names
# case-insensitively: evdns randomizes the case of the names it asks).
dns_logged() {
	grep -qi -- "$1" "$TMP/dns.log" ||
	    fail "$2 (no '$1' in the DNS log: $(cat "$TMP/dns.log"))"
}

# boot_conf NAME PEERS...
boot_conf() {
	_n=$1
	shift
	write_ctl_conf "$TMP/$_n.conf" "$TMP/$_n"
	# write_ctl_conf has [bootstrap] enabled = no: replace that line.
	sed -i '/^\[bootstrap\]$/,/^\[/{/^enabled = no$/d}' "$TMP/$_n.conf"
	sed -i "s#^\\[bootstrap\\]\$#[bootstrap]\\nenabled = yes\\nnameserver = 127.0.0.1:$DNS_PORT\\npeers = $*#" \
	    "$TMP/$_n.conf"
}
boot_conf N "/dns4/t1.cm.test/tcp/$T1_PORT/p2p/$T1_ID" "/dnsaddr/boot.cm.test/p2p/$T2_ID"
SN="$TMP/N/control.sock"
start_daemon "$TMP/N.log" "$PEERDISCD" -c "$TMP/N.conf"
save_daemon N
wait_for_log ': info: control socket '
both() {
	[ "$(rpc "$SN" discovery.bootstrap | grep -o '"state":"connected"' | wc -l)" = 2 ]
}
wait_until "N's two bootstrap peers connected" both
out=$(rpc "$SN" discovery.bootstrap)
expect_match "$out" '"addr":"/dns4/t1.cm.test/tcp/'"$T1_PORT"'/p2p/'"$T1_ID"'","resolved":\["/ip4/127.0.0.1/tcp/'"$T1_PORT"'[/"]' \
    "/dns4 entry resolved"
expect_match "$out" '"addr":"/dnsaddr/boot.cm.test/p2p/'"$T2_ID"'","resolved":\["/ip4/127.0.0.1/tcp/'"$T2_PORT"'[/"][^]]*\]' \
    "/dnsaddr entry resolved through two TXT levels"
expect_no_match "$out" "$OTHER_ID" "a TXT record of another peer kept"
for n in T1 T2; do
	eval "id=\$${n}_ID"
	expect_match "$(rpc "$SN" peers.get '{"peer":"'"$id"'"}')" '"connected":true,' "N connected to $n"
	expect_match "$(rpc "$SN" peers.get '{"peer":"'"$id"'"}')" '"sources":\[[^]]*"bootstrap"' "$n has source bootstrap"
done
ctl_expect 0 "$SN" bootstrap
expect_grep "$TMP/ctl.out" "^$T1_ID .*connected" "peerdiscctl bootstrap: T1"
expect_grep "$TMP/ctl.out" "^$T2_ID .*connected" "peerdiscctl bootstrap: T2"
ctl_expect 0 "$SN" status
expect_grep "$TMP/ctl.out" '^bootstrap: *2 of 2 connected$' "peerdiscctl status: bootstrap count"
dns_logged '^query t1.cm.test A rcode=0 answers=1$' "A query"
dns_logged '^query _dnsaddr.boot.cm.test TXT rcode=0 answers=3$' "TXT query (level 1)"
dns_logged '^query _dnsaddr.sub.cm.test TXT rcode=0 answers=1$' "TXT query (level 2)"
ok "N bootstrapped from /dns4 and /dnsaddr (two levels) via 127.0.0.1:$DNS_PORT"

# Names that do not exist: backing-off with the error.
boot_conf M "/dns4/nowhere.cm.test/tcp/1/p2p/$T1_ID" "/dnsaddr/missing.cm.test/p2p/$T2_ID"
SM="$TMP/M/control.sock"
start_daemon "$TMP/M.log" "$PEERDISCD" -c "$TMP/M.conf"
save_daemon M
wait_for_log ': info: control socket '
both_backing_off() {
	[ "$(rpc "$SM" discovery.bootstrap | grep -o '"state":"backing-off","last_error":"[^"]\{1,\}","next_attempt_ms":[0-9]\{1,\}' | wc -l)" = 2 ]
}
wait_until "M's two bootstrap peers backing off" both_backing_off
out=$(rpc "$SM" discovery.bootstrap)
expect_match "$out" '"addr":"/dns4/nowhere.cm.test/tcp/1/p2p/'"$T1_ID"'","resolved":\[\],"state":"backing-off","last_error":"[^"]' \
    "bad /dns4 name"
expect_match "$out" '"addr":"/dnsaddr/missing.cm.test/p2p/'"$T2_ID"'","resolved":\[\],"state":"backing-off","last_error":"[^"]' \
    "bad /dnsaddr name"
ctl_expect 0 "$SM" bootstrap
expect_grep "$TMP/ctl.out" "backing-off" "peerdiscctl bootstrap: backing-off"
ctl_expect 0 "$SM" status
expect_grep "$TMP/ctl.out" '^bootstrap: *0 of 2 connected$' "peerdiscctl status: 0 of 2"
dns_logged '^query nowhere.cm.test A rcode=3 answers=0$' "NXDOMAIN for the A query"
dns_logged '^query _dnsaddr.missing.cm.test TXT rcode=3 answers=0$' "NXDOMAIN for the TXT query"
ok "bad names: backing-off with last_error ($(printf '%s' "$out" | sed -n 's/.*"last_error":"\([^"]*\)".*/\1/p' | head -n 1))"

for n in N M T1 T2; do
	use_daemon "$n"
	grep -q 'AddressSanitizer\|runtime error\|: error: ' "$DAEMON_LOG" &&
	    fail "$n: error in the log"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "$n: exit status $DAEMON_STATUS"
done
kill -TERM "$DNS_PID"
wait "$DNS_PID" || fail "dnsserver exited with $?"
exit 0
