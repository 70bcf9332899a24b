// js-gc.mjs - preloaded into the js-libp2p listener by tests/bench/run.sh
// (node --expose-gc --import js-gc.mjs jsnode.mjs ...): a full garbage
// collection on SIGUSR2, so that RSS samples taken right after show live
// memory rather than how far V8 has got with collecting garbage.
import process from 'node:process'

process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') globalThis.gc()
})
