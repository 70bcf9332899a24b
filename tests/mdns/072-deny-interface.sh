#!/bin/sh
# 072-deny-interface: interface control.  Four nodes on one bridge:
#   n1, n2  defaults (the positive control: they must find each other);
#   n3      mdns.deny_interfaces = eth0 (its only interface);
#   n4      mdns.interfaces = eth1, eth1 being a second interface on a
#           segment of its own (10.77.1.4/24, nobody else there).
# n3 and n4 start first.  After n1 and n2 have found each other, and 4 s
# more (n1 and n2's own query bursts at 0, 0.25, 1 and 2 s then fall in
# n3 and n4's lifetime), n1/n2 must not list n3 or n4, n3 and n4 must
# list nobody, n3 must not have logged "listening on eth0", n4 must have
# logged "listening on eth1" and not eth0, and node.info must show
# interfaces [] and ["eth1"].
# Then the lists are live: n3's deny list is emptied and n4's allow list
# set to eth0 by editing the confs and sending SIGHUP; both must then be
# found by n1 (and find n1) within 15 s.  Finally n2's veth is deleted:
# n2 must log "mdns: eth0 gone" (interfaces are rescanned).
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-90}
md_setup
md_need_mdns_daemon
for i in 1 2 3 4; do
	md_ns "$i"
done
md_ns_if 4 eth1 1
printf 'deny_interfaces = eth0\n' >"$TMP/n3.extra.mdns"
printf 'interfaces = eth1\n' >"$TMP/n4.extra.mdns"
for i in 3 4; do
	md_conf "$i"
	# the keys belong to [mdns]: insert them right after its header
	sed -i "/^\[mdns\]\$/r $TMP/n$i.extra.mdns" "$TMP/n$i.conf"
	md_pd_start "$i"
done
md_wait_log n4 ': info: mdns: listening on eth1 \(.*10\.77\.1\.4.*\)$' \
	"n4 to listen on eth1"
md_pd_start 1
md_pd_start 2
T0=$(now_ms)
pair() { md_knows 1 "$n2_id" && md_knows 2 "$n1_id"; }
md_wait_until 15 "n1 and n2 to find each other" pair
ok "n1 and n2 found each other in $(($(now_ms) - T0)) ms"
sleep 4

for i in 1 2; do
	md_local "$i" >"$TMP/l$i" || fail "n$i: discovery.local failed"
	for j in 3 4; do
		eval "jid=\$n${j}_id"
		grep -qx "$jid" "$TMP/l$i" && fail "n$i discovered n$j, whose interface is not used"
	done
done
for j in 3 4; do
	l=$(md_local "$j") || fail "n$j: discovery.local failed"
	[ -z "$l" ] || fail "n$j discovered peers on an interface it must not use: $l"
done
md_log_has n3 ': info: mdns: listening on ' &&
	fail "n3 listens: $(grep -m 1 'mdns: listening on ' "$TMP/n3.log")"
md_log_has n4 ': info: mdns: listening on eth0 ' && fail "n4 listens on eth0"
md_rpc 3 node.info | grep -q '"mdns":{[^}]*"interfaces":\[\]' ||
	fail "n3: node.info mdns interfaces not []: $(md_rpc 3 node.info)"
md_rpc 4 node.info | grep -q '"mdns":{[^}]*"interfaces":\["eth1"\]' ||
	fail "n4: node.info mdns interfaces not [\"eth1\"]: $(md_rpc 4 node.info)"
ok "n3 (denied eth0) and n4 (allowed eth1 only) neither found nor finding on eth0"

# live reload of the lists
sed -i '/^deny_interfaces = eth0$/d' "$TMP/n3.conf"
sed -i 's/^interfaces = eth1$/interfaces = eth0/' "$TMP/n4.conf"
kill -HUP "$n3_pid" "$n4_pid" || fail "cannot send SIGHUP"
md_wait_log n3 'reload: mdns\.deny_interfaces changed; applied' \
	"n3 to apply mdns.deny_interfaces"
md_wait_log n4 'reload: mdns\.interfaces changed; applied' \
	"n4 to apply mdns.interfaces"
T1=$(now_ms)
found() {
	md_knows 1 "$n3_id" && md_knows 1 "$n4_id" &&
		md_knows 3 "$n1_id" && md_knows 4 "$n1_id"
}
md_wait_until 15 "n1 <-> n3 and n1 <-> n4 after the reload" found
md_log_has n4 ': info: mdns: listening on eth0 ' || fail "n4 does not log listening on eth0"
ok "after SIGHUP n3 and n4 found and finding in $(($(now_ms) - T1)) ms"

# an interface going away
ip -n "$MD_BR" link del v2eth0 || fail "cannot delete n2's veth"
md_wait_log n2 ': info: mdns: eth0 gone$' "n2 to log 'mdns: eth0 gone'"
ok "n2 noticed eth0 gone"

for i in 1 2 3 4; do
	md_healthy "$i"
done
md_finish 1 2 3 4
ok "all stopped cleanly"
