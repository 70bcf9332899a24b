# js-libp2p interop harness: pinned npm packages, a CLI js node, and a
# js<->js self-test; then the peerdiscd interop tests (lib.sh helpers):
#   010 js dials peerdiscd         011 peerdiscd dials js
#   012 Ed25519/RSA/secp256k1/ECDSA js peers, both directions
#   013 pnet with js, both directions  014 peerdiscd <-> peerdiscd (+ pnet)
#   015 100 (and 300, past the cap) parallel streams on one connection
# Each skips (77) unless node >= 20, npm and tests/interop/node_modules are
# present; install them with
#   cd tests/interop && npm ci
interop_tests = \
	tests/interop/selftest.sh \
	tests/interop/010-js-dials.sh \
	tests/interop/011-pd-dials-js.sh \
	tests/interop/012-key-types.sh \
	tests/interop/013-pnet.sh \
	tests/interop/014-pd-pd.sh \
	tests/interop/015-streams.sh \
	tests/interop/016-dht.sh \
	tests/interop/017-providers.sh \
	tests/interop/018-records.sh
TESTS += $(interop_tests)
EXTRA_DIST += tests/interop/package.json tests/interop/package-lock.json \
	tests/interop/.npmrc tests/interop/shim.mjs tests/interop/jsnode.mjs \
	tests/interop/README.md tests/interop/lib.sh $(interop_tests)
