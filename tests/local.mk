# Test drivers shared by every module.
EXTRA_DIST += tests/fuzz/run-corpus.sh tests/fuzz/run.sh
TESTS += tests/fuzz/run-corpus.sh
CLEANFILES += tests/fuzz/*.corpus.log
# Helpers shared by the unit tests (helpers.c / helpers-net.c are listed in
# each test's _SOURCES).
EXTRA_DIST += tests/unit/helpers.h
EXTRA_DIST += tests/proc.sh
