#!/bin/sh
# run.sh - the documented command for the big scale runs (issue 10):
#   tests/scale/run.sh BUILD_DIR [N ...]
# runs BUILD_DIR/tests/scale/scale for each N (default 100 300 1000) with
# 1,000 random find_peer lookups in all (the harness default) and prints
# each table; the rows can be pasted under one header.  Extra harness
# arguments go in PD_SCALE_ARGS (e.g. "-p 4 -s 5 -v").  The open-files
# limit is raised to the hard limit (the harness does it too and warns
# when a full mesh would not fit).  Build with `make tests/scale/scale`
# (an -O2 build without sanitizers for figures worth quoting).
set -u
if [ $# -lt 1 ] || [ ! -x "$1/tests/scale/scale" ]; then
	echo "usage: $0 BUILD_DIR [N ...]   (BUILD_DIR/tests/scale/scale must exist)" >&2
	exit 2
fi
build=$1
shift
[ $# -gt 0 ] || set -- 100 300 1000
ulimit -n "$(ulimit -Hn)" 2>/dev/null
status=0
for n in "$@"; do
	procs=2
	[ "$n" -ge 1000 ] && procs=4
	timeout=$((600 + n))
	echo "=== N=$n ($(date -u +%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
	# shellcheck disable=SC2086
	"$build/tests/scale/scale" -n "$n" -p "$procs" --timeout "$timeout" \
	    ${PD_SCALE_ARGS:-} || status=1
done
exit $status
