#!/bin/sh
# 100-crash-store: SIGKILL at random points during peer-store saves leaves
# either the old or the new complete file, and the daemon restarts with it.
#
# Part 1 (tests/tools/crashtool savekill): PD_CRASH_ROUNDS (default 1000)
# forked children each save a 500-peer store whose peer set differs from
# the file's (pd_storefile_save, the daemon's own code), killed after a
# random delay in [0, 1.5 x the median save time]; after each kill the
# file must parse and hold exactly the old or the new set, mode 0600.
#
# Part 2: PD_CRASH_DAEMON_ROUNDS (default 25) real peerdiscd kills.  The
# daemon starts on a 10000-peer store, must log that it loaded exactly the
# peers in the file, gets one new peer over the control socket
# (peers.add), and is killed with SIGKILL either during its shutdown save
# (SIGTERM, then SIGKILL after a random delay within the measured
# shutdown time) or, every 5th round, around its 2 s debounce save.  The
# file must then hold the old set or the old set plus the new peer.
# Leftover peers.json.tmp-PID files are counted and reported (see the
# report: the daemon never removes another PID's temporary file).
#
# The seed is printed; PD_TEST_SEED reproduces the choice of delays.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
need_socat
CRASHTOOL="$top_builddir/tests/tools/crashtool"
[ -x "$CRASHTOOL" ] || fail "$CRASHTOOL not built"
SEED=${PD_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
ROUNDS=${PD_CRASH_ROUNDS:-1000}
DROUNDS=${PD_CRASH_DAEMON_ROUNDS:-25}
NPEERS=10000
echo "seed $SEED (PD_TEST_SEED=$SEED reproduces), rounds $ROUNDS," \
    "daemon rounds $DROUNDS"

# ---- part 1: forked savers --------------------------------------------
mkdir -m 700 "$TMP/tool"
run_bounded_long() {
	timeout -k 2 300 "$@"
}
run_bounded_long "$CRASHTOOL" savekill "$ROUNDS" "$SEED" "$TMP/tool" 500 \
    >"$TMP/tool.out" 2>"$TMP/tool.err"
st=$?
line=$(cat "$TMP/tool.out")
echo "$line"
[ "$st" = 0 ] || fail "crashtool savekill exit $st: $line; $(head -c 3000 "$TMP/tool.err")"
old=$(printf '%s' "$line" | sed -n 's/.* old=\([0-9]*\) .*/\1/p')
new=$(printf '%s' "$line" | sed -n 's/.* new=\([0-9]*\) .*/\1/p')
[ -n "$old" ] && [ -n "$new" ] && [ $((old + new)) = "$ROUNDS" ] ||
    fail "savekill: $line"
# Both outcomes must occur, or the kills did not land inside saves.
[ "$ROUNDS" -lt 50 ] || { [ "$old" -gt 0 ] && [ "$new" -gt 0 ]; } ||
    fail "savekill: kills never landed both before and after the rename: $line"
ok "$ROUNDS killed saves: $old left the old file, $new the new one"

# ---- part 2: real daemons ---------------------------------------------
D="$TMP/d"
write_ctl_conf "$TMP/d.conf" "$D"
printf 'store_max = 50000\n' >>"$TMP/d.conf"
SOCK="$D/control.sock"
STORE="$D/state/peers.json"
mkdir -m 700 "$D/state"
"$CRASHTOOL" gen 0 "$NPEERS" "$STORE" || fail "crashtool gen"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Start the daemon on the current file; it must load exactly its peers.
start_and_check() {
	"$CRASHTOOL" ids "$STORE" 2>"$TMP/ids.err" | sort >"$TMP/old.ids" ||
	    fail "store file unusable before start: $(cat "$TMP/ids.err")"
	n=$(wc -l <"$TMP/old.ids")
	# A fresh log name each start: wait_for_log must not see the last one.
	start_daemon "$TMP/daemon-$1.log" "$PEERDISCD" -c "$TMP/d.conf"
	wait_for_log ': info: control socket '
	expect_grep "$DAEMON_LOG" ": info: peer store: $n peers loaded from $STORE\$" \
	    "the daemon did not restart with the $n peers of the file"
}

# A new peer over the control socket; its ID into NEWID.
add_peer() {
	NEWID=$(gen_peer_ids $((1000000 + $1)) 1)
	r=$(rpc "$SOCK" peers.add "{\"peer\":\"$NEWID\",\"addrs\":[\"/ip4/10.250.$(($1 / 250 % 250)).$(($1 % 250))/tcp/4001\"],\"ttl_s\":0}")
	expect_match "$r" '"result":' "peers.add"
}

# Round 0 (not killed): how long a shutdown save takes.
start_and_check 0
add_peer 0
t0=$(now_ms)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
DAEMON_STATUS=$?
t1=$(now_ms)
DAEMON_PID=
[ "$DAEMON_STATUS" = 0 ] || fail "clean stop: exit status $DAEMON_STATUS"
SHUT_MS=$((t1 - t0))
[ "$SHUT_MS" -ge 1 ] || SHUT_MS=1
"$CRASHTOOL" ids "$STORE" | sort >"$TMP/new.ids"
[ "$(wc -l <"$TMP/new.ids")" = $((NPEERS + 1)) ] ||
    fail "clean shutdown did not save the added peer"
echo "shutdown (with its save of $((NPEERS + 1)) peers) takes ${SHUT_MS} ms"

# The delays, from the seed (an LCG in shell arithmetic: mawk's srand
# misbehaves with large seeds): TERM rounds within 1.2 x the shutdown
# time, debounce rounds within 1900..2100 ms after the peers.add.
rng=$((SEED % 2147483648))
i=1
while [ "$i" -le "$DROUNDS" ]; do
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	permille=$((rng / 65536 % 1000))
	if [ $((i % 5)) = 0 ]; then
		us=$((1900000 + permille * 200))
		mode=debounce
	else
		us=$((permille * SHUT_MS * 6 / 5))
		mode=term
	fi
	printf '%d %s %d.%06d\n' "$i" "$mode" $((us / 1000000)) $((us % 1000000))
	i=$((i + 1))
done >"$TMP/plan"

n_old=0
n_new=0
n_tmp=0
while read -r i mode delay; do
	start_and_check "$i"
	add_peer "$i"
	{ cat "$TMP/old.ids"; echo "$NEWID"; } | sort >"$TMP/want-new.ids"
	if [ "$mode" = term ]; then
		kill -TERM "$DAEMON_PID"
	fi
	sleep "$delay"
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait_exit
	"$CRASHTOOL" ids "$STORE" 2>"$TMP/ids.err" | sort >"$TMP/got.ids"
	[ -s "$TMP/got.ids" ] || fail "round $i ($mode, ${delay}s):" \
	    "store file unusable after SIGKILL: $(cat "$TMP/ids.err")"
	[ "$(file_mode "$STORE")" = 600 ] || fail "round $i: mode $(file_mode "$STORE")"
	if cmp -s "$TMP/got.ids" "$TMP/old.ids"; then
		n_old=$((n_old + 1))
		res=old
	elif cmp -s "$TMP/got.ids" "$TMP/want-new.ids"; then
		n_new=$((n_new + 1))
		res=new
	else
		fail "round $i ($mode, ${delay}s): the file holds" \
		    "$(wc -l <"$TMP/got.ids") peers, neither the old set" \
		    "($(wc -l <"$TMP/old.ids")) nor old + $NEWID"
	fi
	for f in "$STORE".tmp-*; do
		[ -e "$f" ] || continue
		n_tmp=$((n_tmp + 1))
		rm -f "$f"
	done
	echo "round $i: $mode, SIGKILL after ${delay}s: $res"
done <"$TMP/plan"

# The last file once more, next to a temporary file a killed save left
# (the PID of a process that has exited): the daemon removes it, starts
# with the file and serves.
deadpid=$(sh -c 'echo $$')
echo partial >"$STORE.tmp-$deadpid"
start_and_check last
grep -q ': info: peer store: removed 1 temporary file left by an interrupted save$' \
    "$DAEMON_LOG" || fail "the stale $STORE.tmp-$deadpid was not reported removed"
[ -e "$STORE.tmp-$deadpid" ] && fail "the stale $STORE.tmp-$deadpid is still there"
expect_match "$(rpc "$SOCK" node.info)" '"result":' "node.info after the rounds"
grep -q 'AddressSanitizer\|runtime error' "$DAEMON_LOG" && fail "sanitizer report"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "final stop: exit status $DAEMON_STATUS"
[ $((n_old + n_new)) = "$DROUNDS" ] || fail "rounds miscounted"
ok "$DROUNDS daemon kills (seed $SEED): $n_old old file, $n_new new file," \
    "restarted with it every time; $n_tmp stale peers.json.tmp-PID files left"
exit 0
