# js-libp2p interop harness: pinned npm packages, a CLI js node, and a
# js<->js self-test.  The self-test skips (77) unless node >= 20, npm and
# tests/interop/node_modules are present; install them with
#   cd tests/interop && npm ci
TESTS += tests/interop/selftest.sh
EXTRA_DIST += tests/interop/package.json tests/interop/package-lock.json \
	tests/interop/.npmrc tests/interop/shim.mjs tests/interop/jsnode.mjs \
	tests/interop/README.md tests/interop/selftest.sh
