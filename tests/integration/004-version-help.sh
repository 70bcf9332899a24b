#!/bin/sh
# 004-version-help: --version, --help, and usage errors (exit 1 with the
# usage on stderr).
. "$top_srcdir/tests/integration/lib.sh"

setup_tmp
cd "$TMP" || fail "cd $TMP"

run_bounded "$PEERDISCD" --version >out 2>err || fail "--version failed"
[ "$(cat out)" = "peerdiscd ${PACKAGE_VERSION:?}" ] ||
    fail "--version printed '$(cat out)', want 'peerdiscd $PACKAGE_VERSION'"
run_bounded "$PEERDISCD" -V >out2 2>err || fail "-V failed"
cmp -s out out2 || fail "-V differs from --version"
ok "--version: $(cat out)"

run_bounded "$PEERDISCD" --help >out 2>err || fail "--help failed"
for opt in '-c, --config FILE' '--check-config' '--print-config' \
    '-l, --log-level LEVEL' '--version' '--help' \
    "${sysconfdir:?}/peerdisc/peerdiscd.conf"; do
	grep -qF -- "$opt" out || fail "--help does not mention '$opt'"
done
[ -s err ] && fail "--help wrote to stderr"
ok "--help lists the options"

for args in "--bogus" "-x" "extra-argument" "-l loud" "-c"; do
	# shellcheck disable=SC2086
	run_bounded "$PEERDISCD" $args >out 2>err
	status=$?
	[ "$status" = 1 ] || fail "'$args': exit status $status, want 1"
	grep -q '^usage: peerdiscd ' err || fail "'$args': no usage on stderr"
	[ -s out ] && fail "'$args': wrote to stdout"
done
run_bounded "$PEERDISCD" -l loud --check-config >out 2>err
grep -q "^peerdiscd: bad log level 'loud' (error, warn, info or debug)\$" err ||
    fail "-l loud: no reason given: $(cat err)"
ok "usage errors exit 1 with the usage"
exit 0
