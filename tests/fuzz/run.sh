#!/bin/sh
# Fuzz every libFuzzer target for SECONDS each, starting from a copy of its
# seed corpus (the tree is never written).  Usage:
#   tests/fuzz/run.sh SECONDS [BUILD_DIR]
# BUILD_DIR must be configured with CC=clang --enable-fuzzing and built.
# A crash leaves the reproducer in BUILD_DIR/fuzz-artifacts/ and fails;
# add it to tests/fuzz/corpus/<target>/ as a regression once fixed.
set -eu
seconds=${1:?usage: run.sh SECONDS [BUILD_DIR]}
build=${2:-.}
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$build"
mkdir -p fuzz-artifacts
fail=0
for bin in tests/fuzz/fuzz_*; do
	case $bin in *.o|*.log|*.trs|*.corpus.log) continue ;; esac
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$(mktemp -d)
	cp -r "$src/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
	dict=""
	[ -f "$src/tests/fuzz/$name.dict" ] && dict="-dict=$src/tests/fuzz/$name.dict"
	# shellcheck disable=SC2086
	if "$bin" $dict -max_total_time="$seconds" -max_len=65536 \
	    -artifact_prefix="fuzz-artifacts/$name-" "$work" >"$name.fuzz.log" 2>&1; then
		echo "ok: $name $(grep -o 'Done [0-9]* runs' "$name.fuzz.log" | tail -n 1)"
	else
		echo "FAIL: $name (see $build/$name.fuzz.log)"
		tail -n 30 "$name.fuzz.log"
		fail=1
	fi
	rm -rf "$work"
done
exit $fail
