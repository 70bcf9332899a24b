# Test drivers shared by every module.
EXTRA_DIST += tests/fuzz/run-corpus.sh tests/fuzz/run.sh
TESTS += tests/fuzz/run-corpus.sh
CLEANFILES += tests/fuzz/*.corpus.log
