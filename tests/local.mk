# Test drivers shared by every module.
EXTRA_DIST += tests/fuzz/run-corpus.sh
TESTS += tests/fuzz/run-corpus.sh
