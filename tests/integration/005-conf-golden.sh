#!/bin/sh
# 005-conf-golden: bgpd-regress style golden files.  For each
# tests/unit/conf/NN-name.conf, `peerdiscd -c NN-name.conf --print-config`
# (stdout and stderr, then "exit STATUS") must equal NN-name.ok; a file
# that prints must also pass --check-config once printed, and print the
# same again.  The systemd variables pin the derived paths.  Set
# PD_REGEN=1 to rewrite the .ok files after a deliberate change.
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
dir="$top_srcdir/tests/unit/conf"
cd "$dir" || fail "cd $dir"

golden() {
	env STATE_DIRECTORY=/var/lib/peerdisc-test \
	    RUNTIME_DIRECTORY=/run/peerdisc-test \
	    timeout -k 2 "$PD_TEST_TIMEOUT" "$PEERDISCD" "$@" 2>&1
	echo "exit $?"
}

n=0
for conf in [0-9][0-9]-*.conf; do
	[ -f "$conf" ] || fail "no golden files in $dir"
	name=${conf%.conf}
	golden -c "$conf" --print-config >"$TMP/$name.out"
	if [ -n "$PD_REGEN" ]; then
		cp "$TMP/$name.out" "$name.ok"
		echo "regenerated $name.ok"
	fi
	[ -f "$name.ok" ] || fail "$name.ok missing"
	if ! cmp -s "$TMP/$name.out" "$name.ok"; then
		diff -u "$name.ok" "$TMP/$name.out"
		fail "$conf: output differs from $name.ok"
	fi
	if [ "$(tail -n 1 "$name.ok")" = "exit 0" ]; then
		sed '$d' "$TMP/$name.out" >"$TMP/$name.printed"
		golden -c "$TMP/$name.printed" --check-config >"$TMP/$name.check"
		[ "$(cat "$TMP/$name.check")" = "configuration OK
exit 0" ] || fail "$conf: printed config does not check: $(cat "$TMP/$name.check")"
		golden -c "$TMP/$name.printed" --print-config >"$TMP/$name.again"
		cmp -s "$TMP/$name.again" "$TMP/$name.out" ||
		    fail "$conf: printed config prints differently"
	else
		# the errors of --check-config are those of --print-config
		golden -c "$conf" --check-config >"$TMP/$name.check"
		cmp -s "$TMP/$name.check" "$name.ok" ||
		    fail "$conf: --check-config differs from --print-config"
	fi
	n=$((n + 1))
done
ok "$n golden files match"
exit 0
