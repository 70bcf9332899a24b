#!/bin/sh
# 047-dht-discovery: three daemons with the DHT on.  B and C connect to A;
# B advertises a namespace (peerdiscctl advertise); C, which does not know
# B, finds it with peerdiscctl find (GET_PROVIDERS through A); B also
# appears in C's store with source dht.  dht.advertise in the conf does
# the same from start.  Only 127.0.0.1 is used.
# shellcheck disable=SC1091
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
# write_ctl_conf turns the DHT off: switch it on (the [dht] section's key).
for n in a b c; do
	write_ctl_conf "$TMP/$n.conf" "$TMP/$n"
	awk 'BEGIN{s=""} /^\[/{s=$0} s=="[dht]" && /^enabled = /{print "enabled = yes"; next} {print}' \
	    "$TMP/$n.conf" >"$TMP/$n.conf.new" && mv "$TMP/$n.conf.new" "$TMP/$n.conf"
	grep -q '^enabled = yes$' "$TMP/$n.conf" || fail "could not enable the DHT in $n.conf"
done
printf 'advertise = from-conf\n' >"$TMP/advertise.line"
awk -v extra="$(cat "$TMP/advertise.line")" '{print} /^\[dht\]$/{print extra}' \
    "$TMP/b.conf" >"$TMP/b.conf.new" && mv "$TMP/b.conf.new" "$TMP/b.conf"
"$PEERDISCD" --check-config -c "$TMP/b.conf" >/dev/null || fail "b.conf does not check"

for n in a b c; do
	start_daemon "$TMP/$n.log" "$PEERDISCD" -c "$TMP/$n.conf"
	wait_for_log 'info: listening on'
	save_daemon "$n"
done
use_daemon a
A_ADDR=$(logged_listen_addr)
use_daemon b
B_ID=$(logged_peer_id)
ctl_expect 0 "$TMP/b/control.sock" connect "$A_ADDR"
ctl_expect 0 "$TMP/c/control.sock" connect "$A_ADDR"
# Identify puts A into both tables; advertising needs a non-empty table.
table_has_a() {
	run_bounded "$PEERDISCCTL" -s "$1" --json call node.info 2>/dev/null |
	    grep -q '"routing_table_size":[1-9]'
}
wait_until "B's routing table" table_has_a "$TMP/b/control.sock"
wait_until "C's routing table" table_has_a "$TMP/c/control.sock"
ctl_expect 0 "$TMP/b/control.sock" advertise my-app
ok "B advertises my-app"
found() {
	run_bounded "$PEERDISCCTL" -s "$TMP/c/control.sock" --json find "$1" \
	    >"$TMP/find.out" 2>&1 && grep -q "\"$B_ID\"" "$TMP/find.out"
}
wait_until "C to find B under my-app" found my-app
ok "C finds B under my-app"
wait_until "C to find B under from-conf (dht.advertise)" found from-conf
ok "C finds B under the namespace advertised from the conf"
ctl_expect 0 "$TMP/c/control.sock" --json peer "$B_ID"
expect_grep "$TMP/ctl.out" '"dht"' "B's sources in C's store"
ctl_expect 0 "$TMP/c/control.sock" --json find nobody-advertises-this
expect_grep "$TMP/ctl.out" '"peers":\[\]' "an empty result"
ctl_expect 0 "$TMP/b/control.sock" unadvertise my-app
ctl_expect 5 "$TMP/b/control.sock" unadvertise my-app
ok "find, empty find and unadvertise behave"
for n in a b c; do
	use_daemon "$n"
	stop_daemon
done
ok "all stopped"
