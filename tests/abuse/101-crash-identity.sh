#!/bin/sh
# 101-crash-identity: SIGKILL during the first creation of the identity
# key leaves either no key file or a complete valid one (mode 0600), never
# a partial one; the next start works and keeps that identity.
#
# Part 1 (tests/tools/crashtool keykill): PD_CRASH_ROUNDS (default 1000)
# forked children each run pd_keyfile_load_or_create() on a missing file
# (the daemon's own code), killed after a random delay in [0, 1.5 x the
# median creation time]; after each kill the file is absent or loads,
# mode 0600, with the ID the child reported if it got that far; the next
# load/create works and a further load gives the same ID.
#
# Part 2: PD_CRASH_DAEMON_ROUNDS (default 25) first starts of a real
# peerdiscd on an empty state directory, each killed after a random delay
# within 1.5 x the measured time to its key file's creation; then
# crashtool keyid checks the file (absent or complete, 0600), the daemon
# is started again and must log the same peer ID as the file holds
# (creating one if there was none), and a third start keeps it.
# Leftover .identity-*.tmp files are counted and reported.
#
# The seed is printed; PD_TEST_SEED reproduces the choice of delays.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
CRASHTOOL="$top_builddir/tests/tools/crashtool"
[ -x "$CRASHTOOL" ] || fail "$CRASHTOOL not built"
SEED=${PD_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
ROUNDS=${PD_CRASH_ROUNDS:-1000}
DROUNDS=${PD_CRASH_DAEMON_ROUNDS:-25}
echo "seed $SEED (PD_TEST_SEED=$SEED reproduces), rounds $ROUNDS," \
    "daemon rounds $DROUNDS"

# ---- part 1: forked creators ------------------------------------------
mkdir -m 700 "$TMP/tool"
timeout -k 2 300 "$CRASHTOOL" keykill "$ROUNDS" "$SEED" "$TMP/tool" \
    >"$TMP/tool.out" 2>"$TMP/tool.err"
st=$?
line=$(cat "$TMP/tool.out")
echo "$line"
[ "$st" = 0 ] || fail "crashtool keykill exit $st: $line; $(head -c 3000 "$TMP/tool.err")"
absent=$(printf '%s' "$line" | sed -n 's/.* absent=\([0-9]*\) .*/\1/p')
complete=$(printf '%s' "$line" | sed -n 's/.* complete=\([0-9]*\) .*/\1/p')
[ -n "$absent" ] && [ -n "$complete" ] &&
    [ $((absent + complete)) = "$ROUNDS" ] || fail "keykill: $line"
[ "$ROUNDS" -lt 50 ] || { [ "$absent" -gt 0 ] && [ "$complete" -gt 0 ]; } ||
    fail "keykill: kills never landed both before and after the rename: $line"
ok "$ROUNDS killed creations: $absent left no key, $complete a complete one"

# ---- part 2: real daemons ---------------------------------------------
D="$TMP/d"
write_ctl_conf "$TMP/d.conf" "$D"
KEY="$D/state/identity.key"

now_us() {
	echo $(($(date +%s%N) / 1000))
}

# start N: a daemon with a fresh log name (wait_for_log must not see the
# last one's lines).
start() {
	start_daemon "$TMP/daemon-$1.log" "$PEERDISCD" -c "$TMP/d.conf"
}

# Calibration: how long a first start takes to create its key file
# (polled with the shell's own test; the median of 5 starts).
rm -f "$TMP/cal"
for c in 1 2 3 4 5; do
	rm -rf "$D/state"
	t0=$(now_us)
	start "cal$c"
	j=0
	until [ -e "$KEY" ]; do
		j=$((j + 1))
		[ "$j" -le 20000 ] && pid_alive "$DAEMON_PID" ||
		    fail "calibration: no key file created"
	done
	t1=$(now_us)
	wait_for_log ': info: control socket '
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "calibration: exit status $DAEMON_STATUS"
	echo $((t1 - t0)) >>"$TMP/cal"
done
ID_US=$(sort -n "$TMP/cal" | sed -n 3p)
echo "a first start creates its key file within $((ID_US / 1000)) ms (median of 5)"

rng=$((SEED % 2147483648))
n_absent=0
n_complete=0
n_tmp=0
i=1
while [ "$i" -le "$DROUNDS" ]; do
	rm -rf "$D/state" "$D/control.sock"
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	us=$((rng / 65536 % 1000 * ID_US * 3 / 2000))
	delay=$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))
	start "$i"
	sleep "$delay"
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait_exit
	id=$("$CRASHTOOL" keyid "$KEY" 2>"$TMP/keyid.err")
	st=$?
	case $st in
	0)	n_complete=$((n_complete + 1)); res="complete $id" ;;
	4)	n_absent=$((n_absent + 1)); res=absent; id= ;;
	*)	fail "round $i (SIGKILL after ${delay}s): key file neither" \
		    "absent nor complete: $(cat "$TMP/keyid.err");" \
		    "$(ls -la "$D/state" 2>&1)" ;;
	esac
	for f in "$D"/state/.identity-*.tmp; do
		[ -e "$f" ] || continue
		n_tmp=$((n_tmp + 1))
	done
	# The next start works and uses that identity (or creates one).
	start "$i-next"
	wait_for_log ': info: control socket '
	got=$(logged_peer_id)
	[ -n "$got" ] || fail "round $i: next start logged no peer ID"
	if [ -n "$id" ]; then
		[ "$got" = "$id" ] || fail "round $i: file holds $id, next" \
		    "start uses $got"
		file_has "$DAEMON_LOG" ': info: identity created' &&
		    fail "round $i: next start created a new identity"
	else
		expect_grep "$DAEMON_LOG" ': info: identity created at ' \
		    "round $i: no key file, but the next start created none"
	fi
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "round $i: next start exit status $DAEMON_STATUS"
	# And the one after keeps it.
	kept=$("$CRASHTOOL" keyid "$KEY") || fail "round $i: no key after a clean start"
	[ "$kept" = "$got" ] || fail "round $i: key file $kept, daemon used $got"
	start "$i-third"
	wait_for_log ': info: peer ID '
	[ "$(logged_peer_id)" = "$got" ] || fail "round $i: identity not kept"
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "round $i: third start exit status $DAEMON_STATUS"
	echo "round $i: SIGKILL after ${delay}s: $res"
	i=$((i + 1))
done
ok "$DROUNDS killed first starts (seed $SEED): $n_absent without a key," \
    "$n_complete with a complete one; every next start worked and kept it;" \
    "$n_tmp stale .identity-*.tmp files left"
exit 0
