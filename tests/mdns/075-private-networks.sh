#!/bin/sh
# 075-private-networks: node.private_network and mDNS.  Five nodes on one
# bridge: n1, n2 share swarm key A; n3, n4 share swarm key B; n5 is
# public (no key).  Within 15 s each pair finds its partner; then (4 s
# more, so every start-up burst has been heard) nobody lists a node of
# another network, and n5 lists nobody.
# The service name is checked from outside too: mdnsflood sends answers
# for made-up peers on "_p2p-<fp>._udp.local" with fp computed by the
# tool from key A (lower-case hex of the first 8 bytes of
# SHA-256("peerdisc-pnet-v1" || PSK), the contract) and on the public
# "_p2p._udp.local": n1 must learn only the first, n3 neither, n5 only
# the public one.
. "$top_srcdir/tests/mdns/lib.sh"

MD_BUDGET=${MD_BUDGET:-75}
md_setup
md_need_mdns_daemon
[ -x "$MDNSFLOOD" ] || fail "$MDNSFLOOD is not built"
psk_write "$TMP/a.key"
psk_write "$TMP/b.key"
for i in 1 2 3 4 5 9; do
	md_ns "$i"
done
for i in 1 2 3 4 5; do
	case $i in
	1 | 2) MD_PSK="$TMP/a.key" ;;
	3 | 4) MD_PSK="$TMP/b.key" ;;
	*) MD_PSK= ;;
	esac
	md_conf "$i"
	md_pd_spawn "$i"
done
MD_PSK=
for i in 1 2 3 4 5; do
	md_pd_ready "$i"
done
T0=$(now_ms)
pairs() {
	md_knows 1 "$n2_id" && md_knows 2 "$n1_id" &&
		md_knows 3 "$n4_id" && md_knows 4 "$n3_id"
}
md_wait_until 15 "each private pair to find its partner" pairs
ok "both private pairs found their partners in $(($(now_ms) - T0)) ms"
sleep 4

for i in 1 2 3 4 5; do
	md_local "$i" >"$TMP/l$i" || fail "n$i: discovery.local failed"
done
for i in 1 2 3 4 5; do
	for j in 1 2 3 4 5; do
		[ "$i" = "$j" ] && continue
		case "$i$j" in 12 | 21 | 34 | 43) continue ;; esac
		eval "jid=\$n${j}_id"
		grep -qx "$jid" "$TMP/l$i" && fail "n$i found n$j of another network"
	done
done
[ -s "$TMP/l5" ] && fail "public n5 found: $(cat "$TMP/l5")"
ok "no node found one of another network"

# The fingerprinted service name, from outside.
hexa=$(sed -n 3p "$TMP/a.key")
svc=$("$MDNSFLOOD" -P "$hexa" service) || fail "mdnsflood service failed"
expr "$svc" : '_p2p-[0-9a-f]\{16\}\._udp\.local$' >/dev/null ||
	fail "bad private service name '$svc'"
NS9=$(md_nsname 9)
fake() {
	ip netns exec "$NS9" timeout 10 "$MDNSFLOOD" -i eth0 "$@" answer \
		2>>"$TMP/flood.err" | sed -n 's/^peer //p'
}
priv=$(fake -P "$hexa")
[ -n "$priv" ] || fail "mdnsflood answer printed no peer: $(cat "$TMP/flood.err")"
pub=$(fake)
[ -n "$pub" ] || fail "mdnsflood answer printed no peer: $(cat "$TMP/flood.err")"
got() { md_knows 1 "$priv" && md_knows 5 "$pub"; }
md_wait_until 5 "n1 to learn the $svc peer and n5 the public one" got
sleep 1
md_knows 1 "$pub" && fail "n1 (private) learnt a peer from _p2p._udp.local"
md_knows 3 "$priv" && fail "n3 (key B) learnt a peer from key A's $svc"
md_knows 3 "$pub" && fail "n3 (key B) learnt a peer from _p2p._udp.local"
md_knows 5 "$priv" && fail "n5 (public) learnt a peer from $svc"
ok "$svc is key A's service name; answers cross no network boundary"

for i in 1 2 3 4 5; do
	md_healthy "$i"
done
md_finish 1 2 3 4 5
ok "all stopped cleanly"
