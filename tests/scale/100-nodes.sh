#!/bin/sh
# 100-nodes.sh - the DHT scale test of issue 6: 100 peerdisc nodes on
# loopback (two processes of 50 managers each), joined through 3 seeds;
# every node looks up every other one (9,900 find_peer lookups, about
# 35 s on this 2-core machine) and each must find its peer in under
# 10 s.  tests/scale/scale prints the table (README.md) and exits 1 with
# the failed lookups listed.
#
# Instrumented builds (--enable-sanitizers / --enable-fuzzing, where make
# check exports CK_TIMEOUT_MULTIPLIER > 1) are several times slower: there
# the test runs N = 50 with 20 random lookups per node (1,000) instead of
# all pairs (N = 100 took 5 min under ASan on a loaded machine).  PD_SCALE_ARGS replaces the arguments entirely.
# Exit codes: 0 pass, 1 fail, 77 skip (automake).

: "${top_builddir:?run through make check}"
SCALE="$top_builddir/tests/scale/scale"
TEST_NAME=100-nodes

[ -x "$SCALE" ] || { echo "FAIL: $TEST_NAME: $SCALE not built"; exit 1; }
command -v timeout >/dev/null 2>&1 ||
    { echo "SKIP: $TEST_NAME: timeout(1) missing"; exit 77; }

mult=${CK_TIMEOUT_MULTIPLIER:-1}
case $mult in ''|*[!0-9]*) mult=1 ;; esac
if [ -n "$PD_SCALE_ARGS" ]; then
	args=$PD_SCALE_ARGS
	limit=$((300 * mult))
elif [ "$mult" -gt 1 ]; then
	args="-n 50 -p 2 --lookups 20"
	limit=600
else
	args="-n 100 -p 2 --all-pairs"
	limit=300
fi
seed=${PD_TEST_SEED:-1}
echo "# $TEST_NAME: scale $args --seed $seed --timeout $limit" \
    "(PD_TEST_SEED picks the identities)"
# The harness bounds itself with --timeout and kills its workers; timeout(1)
# is the backstop should the parent itself hang.
# shellcheck disable=SC2086
timeout -s KILL $((limit + 60)) "$SCALE" $args --seed "$seed" \
    --timeout "$limit"
rc=$?
case $rc in
0)	echo "ok: $TEST_NAME: every lookup found its peer" ;;
137)	echo "FAIL: $TEST_NAME: killed after $((limit + 60)) s"; exit 1 ;;
*)	echo "FAIL: $TEST_NAME: scale exited $rc"; exit 1 ;;
esac
