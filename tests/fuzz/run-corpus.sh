#!/bin/sh
# Replay every fuzz target's seed corpus (and crash regressions) once.
# Part of `make check`; FUZZ_TARGETS comes from the Makefile.
set -e
: "${top_srcdir:?}" "${top_builddir:?}"
fail=0
for t in $FUZZ_TARGETS; do
	name=$(basename "$t")
	dir="$top_srcdir/tests/fuzz/corpus/$name"
	if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
		echo "FAIL: $name has no seed corpus in $dir"
		fail=1
		continue
	fi
	if ! "$top_builddir/$t" "$dir"/* >/dev/null 2>"$top_builddir/$t.corpus.log"; then
		echo "FAIL: $name crashed on its corpus; see $t.corpus.log"
		cat "$top_builddir/$t.corpus.log"
		fail=1
	else
		echo "ok: $name ($(ls "$dir" | wc -l) inputs)"
	fi
done
exit $fail
