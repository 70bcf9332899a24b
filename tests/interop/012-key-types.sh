#!/bin/sh
# 012-key-types: js-libp2p peers with Ed25519, RSA (2048), secp256k1 and
# ECDSA identities.  For each type one js node dials peerdiscd and another
# is dialed by it; peerdiscd must name each peer with the peer ID js
# itself reports (12D3KooW... Ed25519, Qm... RSA and ECDSA, 16Uiu2...
# secp256k1), identify it, and ping it; the js dialers ping peerdiscd and
# the dialed ones ping it back (--ping-inbound).
#
# js-libp2p 3.3.11 (@libp2p/peer-id 6.0.15) cannot make a peer ID of an
# ECDSA key (peerIdFromPublicKey: UnsupportedKeyTypeError), so jsnode
# refuses --key-type ECDSA at start; the test then says so and checks the
# other three.  The day jsnode starts with ECDSA, ECDSA is checked too.
# lib.sh sets the node variables ($NAME_id, ...) and reads PD_CONF_EXTRA.
# shellcheck disable=SC2154,SC2034,SC1091
. "$top_srcdir/tests/interop/lib.sh"

it_setup

# name of the jsnode pair, key type, peer ID pattern
types='ed Ed25519 12D3KooW
rsa RSA Qm
secp secp256k1 16Uiu2
ecdsa ECDSA Qm'

# The dialed nodes first (peerdiscd needs their addresses), all at once.
echo "$types" | while read -r n t _; do echo "$n $t"; done >"$TMP/types"
while read -r n t; do
	js_spawn "l$n" --key-type "$t" --ping-inbound --count 2
done <"$TMP/types"
dials=
tested=
while read -r n t; do
	if js_started "l$n"; then
		js_ready "l$n"
		eval "dials=\"\$dials --dial \$l${n}_addr\""
		tested="$tested $n"
	elif [ "$t" = ECDSA ] &&
	    grep -q '"error","message":"start: no peer ID for a ECDSA key' "$TMP/l$n.out"; then
		note "ECDSA not covered: js-libp2p here has no ECDSA peer IDs ($(sed -n 's/.*"message":"\([^"]*\)".*/\1/p' "$TMP/l$n.out"))"
	else
		fail "l$n ($t) did not start"
	fi
done <"$TMP/types"

# shellcheck disable=SC2086 # $dials is a list of words
pd_start pd '' $dials
for n in $tested; do
	t=$(sed -n "s/^$n //p" "$TMP/types")
	js_spawn "d$n" --key-type "$t" --dial "$pd_addr" --ping --count 2
done
for n in $tested; do
	js_ready "d$n"
done

for n in $tested; do
	t=$(sed -n "s/^$n //p" "$TMP/types")
	prefix=$(echo "$types" | sed -n "s/^$n [^ ]* //p")
	eval "lid=\$l${n}_id laddr=\$l${n}_addr llisten=\$l${n}_listen did=\$d${n}_id"
	# shellcheck disable=SC2154 # set by the eval above
	case $lid$did in
	"$prefix"*"$prefix"*) ;;
	*) fail "$t peer IDs $lid, $did do not start with $prefix" ;;
	esac

	# js dials peerdiscd
	wait_js_done "d$n"
	expect_js "d$n" "$t node dialed peerdiscd" \
		'L.some((e) => e.event === "dialed" && e.peer === A[0]) && !L.some((e) => e.event === "dial_error")' \
		"$pd_id"
	expect_js "d$n" "$t node: 2 pings of peerdiscd, none failed" \
		'L.filter((e) => e.event === "ping" && e.peer === A[0]).length === 2 &&
		    !L.some((e) => e.event === "ping_error")' "$pd_id"
	wait_pd pd ": info: identified $(re "$did"): .* observed=/" \
		"peerdiscd to identify the $t dialer $did"
	expect_pd pd ": info: connected inbound $(re "$did") at /ip4/127\\.0\\.0\\.1/tcp/[0-9]+\$" \
		"no inbound connection from the $t dialer"
	line=$(pd_identified pd "$did")
	expect_match "peerdiscd: agent of the $t dialer" "$(field "$line" agent)" '^js-libp2p/'
	expect_eq "peerdiscd: listen_addrs of the $t dialer" "$(field "$line" listen_addrs)" \
		"[$(eval "echo \$d${n}_listen")]"
	expect_eq "peerdiscd: signed record of the $t dialer" "$(field "$line" signed_record)" yes
	wait_pd pd ": info: ping $(re "$did"): [0-9]+\\.[0-9]{3} ms\$" \
		"peerdiscd to ping the $t dialer"
	wait_js "d$n" "^\\{\"event\":\"identified\",\"peer\":\"$(re "$pd_id")\",\"agent\":\"$(re "$PD_AGENT")\"" \
		"the $t dialer to identify peerdiscd"
	ok "$t: js $did dialed peerdiscd; identified and pinged both ways"

	# peerdiscd dials js
	wait_pd pd ": info: dial $(re "$laddr"): (connected to|.*failed)" \
		"peerdiscd's dial of the $t node"
	expect_pd pd ": info: dial $(re "$laddr"): connected to $(re "$lid")\$" \
		"dial of the $t node $lid did not succeed"
	expect_pd pd ": info: connected outbound $(re "$lid") at $(re "$llisten")(/p2p/.*)?\$" \
		"no outbound connection to the $t node"
	wait_pd pd ": info: identified $(re "$lid"): .* observed=/" \
		"peerdiscd to identify the dialed $t node $lid"
	line=$(pd_identified pd "$lid")
	expect_match "peerdiscd: agent of the dialed $t node" "$(field "$line" agent)" '^js-libp2p/'
	expect_eq "peerdiscd: listen_addrs of the dialed $t node" "$(field "$line" listen_addrs)" \
		"[$llisten]"
	wait_pd pd ": info: ping $(re "$lid"): [0-9]+\\.[0-9]{3} ms\$" \
		"peerdiscd to ping the dialed $t node"
	expect_js "l$n" "$t node: inbound /noise + /yamux/1.0.0 connection from peerdiscd" \
		'L.some((e) => e.event === "connected" && e.peer === A[0] && e.direction === "inbound" &&
		    e.encryption === "/noise" && e.multiplexer === "/yamux/1.0.0")' "$pd_id"
	wait_js "l$n" "^\\{\"event\":\"identified\",\"peer\":\"$(re "$pd_id")\",\"agent\":\"$(re "$PD_AGENT")\"" \
		"the dialed $t node to identify peerdiscd"
	wait_js "l$n" "^\\{\"event\":\"(ping|ping_error)\",\"peer\":\"$(re "$pd_id")\",\"seq\":2," \
		"the dialed $t node's second ping"
	expect_js "l$n" "$t node: 2 pings of peerdiscd, none failed" \
		'L.filter((e) => e.event === "ping" && e.peer === A[0]).length === 2 &&
		    !L.some((e) => e.event === "ping_error")' "$pd_id"
	ok "$t: peerdiscd dialed js $lid; identified and pinged both ways"
done
expect_no_pd pd ": info: ping .* failed" "a ping failed"
expect_no_pd pd ": info: identify .* failed" "an identify failed"
pd_healthy pd
it_finish
