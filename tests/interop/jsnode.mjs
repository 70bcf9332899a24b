#!/usr/bin/env node
// A js-libp2p node driven from the command line, for peerdisc's interop
// tests and benchmarks.  It prints one JSON object per line on stdout for
// everything that happens (see README.md), and stops on SIGTERM, SIGINT or
// --exit-after.  libp2p's own debug log goes to stderr with DEBUG=libp2p:*.

// Must come before anything from libp2p: Node 20 lacks Promise.withResolvers.
import './shim.mjs'

import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import process from 'node:process'

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, removePublicAddressesMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'

const USAGE = `usage: node jsnode.mjs [options]
  --listen MA          listen address, repeatable (default /ip4/127.0.0.1/tcp/0)
  --key FILE           private key, hex of the libp2p protobuf encoding; created
                       (mode 0600) if FILE does not exist
  --key-type TYPE      type of a generated key: Ed25519 (default), secp256k1,
                       ECDSA, RSA (ECDSA: js-libp2p 3 has no ECDSA peer IDs,
                       the node exits with an "error" event)
  --dial MA            dial after start, repeatable, in order
  --ping               ping every dialed peer --count times
  --ping-inbound       ping the peer of every inbound connection --count times
  --count N            pings per dialed peer (default 1)
  --streams N          after each successful dial, open N streams at once on
                       that connection with --stream-proto and check each
  --stream-proto P     protocol of --streams (default /ipfs/id/1.0.0);
                       /ipfs/ping/1.0.0 echoes 32 bytes, anything else must
                       answer one length-prefixed protobuf and close
  --stream-timeout S   time limit of each --streams stream (default 10)
  --kad                enable kad-dht in server mode (clientMode: false)
  --kad-protocol P     DHT protocol (default /ipfs/kad/1.0.0)
  --kad-mapper M       peerInfoMapper: passthrough (default), private
                       (removePrivateAddressesMapper), public
                       (removePublicAddressesMapper)
  --find-peer ID       after the dials, peerRouting.findPeer(ID) over the
                       network (useCache: false); needs --kad
  --find-timeout S     timeout of --find-peer (default 30)
  --provide NS         after the dials, contentRouting.provide() the
                       namespace key CIDv1(raw, sha256(NS)), as libp2p's
                       routing discovery does; needs --kad
  --find-providers NS  after the dials (and --provide), collect the providers
                       of that key (contentRouting.findProviders, at most
                       --count, --find-timeout); needs --kad
  --put-pk             dht.put("/pk/" + our peer ID's multihash, our public
                       key protobuf); needs --kad
  --get-value KEY      dht.get(KEY), KEY in hex; reports the value in hex
  --psk FILE           private network: pnet with this swarm key file
  --mdns               enable mDNS discovery
  --mdns-interval MS   mDNS query interval (default 10000)
  --bootstrap MA       bootstrap peer, repeatable
  --max-connections N  connection manager maxConnections (default 300)
  --exit-after S       stop after S seconds (default: run until SIGTERM/SIGINT)
  --help
`

const t0 = performance.now()
let ready = false
const pending = []

// One JSON object per line.  Everything before "listening" is held back so
// that "listening" is always the first line.
function emit (event, fields = {}) {
  const line = JSON.stringify({ event, ...fields, t_ms: Math.round((performance.now() - t0) * 10) / 10 }) + '\n'
  if (!ready && event !== 'listening') {
    pending.push(line)
    return
  }
  process.stdout.write(line)
}

function flushPending () {
  ready = true
  for (const line of pending.splice(0)) process.stdout.write(line)
}

function errMessage (err) {
  if (err == null) return String(err)
  const name = err.name != null && err.name !== 'Error' ? `${err.name}: ` : ''
  return `${name}${err.message ?? String(err)}`
}

function fatal (message) {
  process.stderr.write(`jsnode: ${message}\n`)
  process.exit(2)
}

function parseArgs (argv) {
  const opts = {
    listen: [],
    key: null,
    keyType: 'Ed25519',
    dial: [],
    ping: false,
    pingInbound: false,
    count: 1,
    streams: 0,
    streamProto: '/ipfs/id/1.0.0',
    streamTimeout: 10,
    kad: false,
    kadProtocol: '/ipfs/kad/1.0.0',
    kadMapper: 'passthrough',
    findPeer: null,
    findTimeout: 30,
    psk: null,
    mdns: false,
    mdnsInterval: 10000,
    bootstrap: [],
    maxConnections: 300,
    exitAfter: null
  }
  const number = (name, v, min) => {
    const n = Number(v)
    if (v === undefined || !Number.isFinite(n) || n < min) fatal(`${name} needs a number >= ${min}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      if (i + 1 >= argv.length) fatal(`${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case '--listen': opts.listen.push(val()); break
      case '--key': opts.key = val(); break
      case '--key-type': opts.keyType = val(); break
      case '--dial': opts.dial.push(val()); break
      case '--ping': opts.ping = true; break
      case '--ping-inbound': opts.pingInbound = true; break
      case '--streams': opts.streams = Math.floor(number(a, val(), 1)); break
      case '--stream-proto': opts.streamProto = val(); break
      case '--stream-timeout': opts.streamTimeout = number(a, val(), 0); break
      case '--count': opts.count = Math.floor(number(a, val(), 1)); break
      case '--kad': opts.kad = true; break
      case '--kad-protocol': opts.kadProtocol = val(); break
      case '--kad-mapper': opts.kadMapper = val(); break
      case '--find-peer': opts.findPeer = val(); break
      case '--find-timeout': opts.findTimeout = number(a, val(), 0); break
      case '--provide': opts.provide = val(); break
      case '--find-providers': opts.findProviders = val(); break
      case '--put-pk': opts.putPk = true; break
      case '--get-value': opts.getValue = val(); break
      case '--psk': opts.psk = val(); break
      case '--mdns': opts.mdns = true; break
      case '--mdns-interval': opts.mdnsInterval = Math.floor(number(a, val(), 1)); break
      case '--bootstrap': opts.bootstrap.push(val()); break
      case '--max-connections': opts.maxConnections = Math.floor(number(a, val(), 1)); break
      case '--exit-after': opts.exitAfter = number(a, val(), 0); break
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break
      default: fatal(`unknown argument ${a}\n${USAGE}`)
    }
  }
  if (opts.listen.length === 0) opts.listen.push('/ip4/127.0.0.1/tcp/0')
  if (opts.findPeer != null && !opts.kad) fatal('--find-peer needs --kad')
  if ((opts.provide != null || opts.findProviders != null || opts.putPk || opts.getValue != null) && !opts.kad) fatal('--provide, --find-providers, --put-pk and --get-value need --kad')
  if (opts.getValue != null && !/^([0-9a-fA-F]{2})+$/.test(opts.getValue)) fatal('--get-value takes hex')
  if (!['passthrough', 'private', 'public'].includes(opts.kadMapper)) fatal('--kad-mapper is passthrough, private or public')
  if (!['Ed25519', 'secp256k1', 'ECDSA', 'RSA'].includes(opts.keyType)) fatal('--key-type is Ed25519, secp256k1, ECDSA or RSA')
  return opts
}

async function loadKey (file, type) {
  if (file == null) return generateKeyPair(type)
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim()
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) fatal(`${file}: not a hex string`)
    return privateKeyFromProtobuf(Uint8Array.from(Buffer.from(hex, 'hex')))
  }
  const key = await generateKeyPair(type)
  writeFileSync(file, Buffer.from(privateKeyToProtobuf(key)).toString('hex') + '\n', { mode: 0o600 })
  return key
}

const str = (x) => x?.toString()
const addrs = (list) => (list ?? []).map(a => a.toString())

// Wrap a peer-discovery factory so its finds are reported with their source.
function tagged (source, factory) {
  return (components) => {
    const d = factory(components)
    d.addEventListener('peer', (evt) => {
      emit('peer_discovery', { source, peer: str(evt.detail.id), addrs: addrs(evt.detail.multiaddrs) })
    })
    return d
  }
}

const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32
const STREAM_MAX_ANSWER = 64 * 1024

// Collect what arrives on stream until the remote closes its writable end
// (or, with want > 0, until want bytes have arrived).  Rejects on reset,
// abort or signal.  Data that arrived before the call is buffered by the
// stream and delivered once the 'message' listener is added; 'end' fires
// only after that buffer is empty, so it cannot be missed here.
function readStream (stream, signal, want = 0) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let length = 0
    let settled = false
    const finish = (err) => {
      if (settled) return
      settled = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
      if (err != null) reject(err)
      else resolve(Buffer.concat(chunks))
    }
    const onMessage = (evt) => {
      const buf = evt.data.subarray()
      chunks.push(buf)
      length += buf.byteLength
      if (want > 0 && length >= want) finish()
      else if (length > STREAM_MAX_ANSWER) finish(new Error(`answer longer than ${STREAM_MAX_ANSWER} bytes`))
    }
    const onEnd = () => { finish(want > 0 ? new Error(`stream ended after ${length} of ${want} bytes`) : null) }
    const onClose = (evt) => { finish(evt.error ?? (want > 0 ? new Error(`stream closed after ${length} of ${want} bytes`) : null)) }
    const onAbort = () => { finish(signal.reason ?? new Error('aborted')) }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('end', onEnd)
    stream.addEventListener('close', onClose)
    signal.addEventListener('abort', onAbort)
    if (stream.readableEnded && stream.readBufferLength === 0) onEnd()
  })
}

// Decode an unsigned varint at buf[off]: [value, next offset], or null.
function readVarint (buf, off) {
  let value = 0
  for (let i = 0; i < 9 && off + i < buf.length; i++) {
    value += (buf[off + i] & 0x7f) * 2 ** (7 * i)
    if ((buf[off + i] & 0x80) === 0) return [value, off + i + 1]
  }
  return null
}

// Check that buf is exactly one length-prefixed, well-formed protobuf
// message; returns its field 6 (identify's agentVersion) or '', throws
// with the reason otherwise.
function checkLengthPrefixedProtobuf (buf) {
  const lp = readVarint(buf, 0)
  if (lp == null) throw new Error(`no length prefix in ${buf.length} bytes`)
  const [len, start] = lp
  if (start + len !== buf.length) throw new Error(`length prefix ${len}, but ${buf.length - start} bytes follow it`)
  if (len === 0) throw new Error('empty message')
  let agent = ''
  let off = start
  while (off < buf.length) {
    const tag = readVarint(buf, off)
    if (tag == null) throw new Error(`bad tag at byte ${off}`)
    const [key, next] = tag
    const field = Math.floor(key / 8)
    off = next
    switch (key % 8) {
      case 0: {
        const v = readVarint(buf, off)
        if (v == null) throw new Error(`bad varint of field ${field}`)
        off = v[1]
        break
      }
      case 1: off += 8; break
      case 5: off += 4; break
      case 2: {
        const l = readVarint(buf, off)
        if (l == null) throw new Error(`bad length of field ${field}`)
        if (field === 6) agent = buf.subarray(l[1], l[1] + l[0]).toString('utf8')
        off = l[1] + l[0]
        break
      }
      default: throw new Error(`wire type ${key % 8} of field ${field}`)
    }
    if (field === 0) throw new Error('field number 0')
    if (off > buf.length) throw new Error(`field ${field} runs past the end`)
  }
  return agent
}

// One --streams stream: open, exchange, close; resolves to identify's agent
// (or '') and throws with the reason when anything is wrong.
async function oneStream (conn, proto, timeoutS, maxOutbound) {
  const signal = AbortSignal.timeout(timeoutS * 1000)
  const stream = await conn.newStream(proto, { signal, maxOutboundStreams: maxOutbound })
  try {
    if (proto === PING_PROTOCOL) {
      const data = randomBytes(PING_LENGTH)
      const reading = readStream(stream, signal, PING_LENGTH)
      stream.send(data)
      const echo = await reading
      if (!echo.equals(data)) throw new Error(`echo differs (${echo.length} bytes)`)
      await stream.close({ signal })
      return ''
    }
    // We send nothing: close our writable end and read the answer to EOF.
    const reading = readStream(stream, signal)
    await stream.close({ signal })
    return checkLengthPrefixedProtobuf(await reading)
  } catch (err) {
    stream.abort(err)
    throw err
  }
}

// --streams: n streams opened at once on conn, each checked.
async function openStreams (conn, proto, n, timeoutS) {
  const start = performance.now()
  const results = await Promise.allSettled(Array.from({ length: n }, () => oneStream(conn, proto, timeoutS, n + 4)))
  const errors = {}
  const agents = new Set()
  let ok = 0
  for (const r of results) {
    if (r.status === 'fulfilled') {
      ok++
      if (r.value !== '') agents.add(r.value)
    } else {
      const m = errMessage(r.reason)
      errors[m] = (errors[m] ?? 0) + 1
    }
  }
  emit('streams', {
    peer: str(conn.remotePeer),
    protocol: proto,
    requested: n,
    ok,
    failed: n - ok,
    agents: [...agents],
    errors,
    elapsed_ms: Math.round((performance.now() - start) * 1000) / 1000
  })
}

// Ping peer count times, one event each.
async function pingPeer (node, peer, count, isStopping) {
  for (let seq = 1; seq <= count && !isStopping(); seq++) {
    const start = performance.now()
    try {
      const rtt = await node.services.ping.ping(peer)
      // rtt_ms is libp2p's figure (whole ms, echo only); elapsed_ms
      // includes opening the stream.
      emit('ping', { peer: str(peer), seq, rtt_ms: rtt, elapsed_ms: Math.round((performance.now() - start) * 1000) / 1000 })
    } catch (err) {
      emit('ping_error', { peer: str(peer), seq, message: errMessage(err) })
    }
  }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))

  let stopping = null
  let node = null
  const shutdown = (why, code = 0) => {
    if (stopping != null) return stopping
    stopping = (async () => {
      emit('stopping', { reason: why })
      if (node != null) {
        const timer = setTimeout(() => {
          emit('error', { message: 'node.stop() did not finish within 5 s' })
          flushPending()
          process.exit(code === 0 ? 1 : code)
        }, 5000)
        try {
          await node.stop()
        } catch (err) {
          emit('error', { message: `stop: ${errMessage(err)}` })
        }
        clearTimeout(timer)
      }
      emit('stopped')
      flushPending()
      process.exit(code)
    })()
    return stopping
  }
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })
  // A reader that went away must not leave a node running.
  process.stdout.on('error', () => { process.exit(1) })
  process.on('unhandledRejection', (err) => { emit('error', { message: `unhandled rejection: ${errMessage(err)}` }) })
  process.on('uncaughtException', (err) => {
    emit('error', { message: `uncaught exception: ${errMessage(err)}` })
    shutdown('uncaught exception', 1)
  })

  const privateKey = await loadKey(opts.key, opts.keyType)
  try {
    peerIdFromPrivateKey(privateKey)
  } catch (err) {
    // @libp2p/peer-id 6 makes peer IDs of Ed25519, secp256k1 and RSA keys
    // only; createLibp2p would fail with a bare UnsupportedKeyTypeError.
    emit('error', { message: `start: no peer ID for a ${privateKey.type} key in this js-libp2p: ${errMessage(err)}` })
    flushPending()
    process.exit(1)
  }

  // A local handler's maxOutboundStreams caps our own streams of its
  // protocol on a connection, so --streams lifts the client side of the
  // protocol it uses (the server side keeps its defaults).
  const streamsOf = (proto, dflt) => opts.streams > 0 && opts.streamProto === proto ? Math.max(dflt, opts.streams + 4) : dflt
  const services = {
    identify: identify({ maxOutboundStreams: streamsOf('/ipfs/id/1.0.0', 1) }),
    identifyPush: identifyPush({ maxOutboundStreams: streamsOf('/ipfs/id/push/1.0.0', 1) }),
    // Default maxOutboundStreams is 1, and kad-dht pings every new contact
    // right after identify: a --ping issued then fails with
    // TooManyOutboundProtocolStreamsError.  The server side (2 inbound ping
    // streams per connection) keeps its default.
    ping: ping({ maxOutboundStreams: streamsOf(PING_PROTOCOL, 4) })
  }
  if (opts.kad) {
    services.dht = kadDHT({
      protocol: opts.kadProtocol,
      clientMode: false,
      peerInfoMapper: {
        passthrough: passthroughMapper,
        private: removePrivateAddressesMapper,
        public: removePublicAddressesMapper
      }[opts.kadMapper]
    })
  }

  const peerDiscovery = []
  if (opts.mdns) peerDiscovery.push(tagged('mdns', mdns({ interval: opts.mdnsInterval })))
  if (opts.bootstrap.length > 0) peerDiscovery.push(tagged('bootstrap', bootstrap({ list: opts.bootstrap })))

  node = await createLibp2p({
    start: false,
    privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: opts.psk != null ? preSharedKey({ psk: Uint8Array.from(readFileSync(opts.psk)) }) : undefined,
    peerDiscovery,
    connectionManager: {
      maxConnections: opts.maxConnections,
      // Lift the inbound policy limits (5 connections per second per host,
      // 10 pending upgrades): a loopback benchmark would measure them.
      inboundConnectionThreshold: 1_000_000,
      maxIncomingPendingConnections: 1_000_000
    },
    services
  })

  node.addEventListener('connection:open', (evt) => {
    const c = evt.detail
    emit('connected', { peer: str(c.remotePeer), addr: str(c.remoteAddr), direction: c.direction, id: c.id, encryption: c.encryption, multiplexer: c.multiplexer })
    if (opts.pingInbound && c.direction === 'inbound') {
      pingPeer(node, c.remotePeer, opts.count, () => stopping != null).catch(() => {})
    }
  })
  node.addEventListener('connection:close', (evt) => {
    const c = evt.detail
    emit('disconnected', { peer: str(c.remotePeer), addr: str(c.remoteAddr), direction: c.direction, id: c.id })
  })
  node.addEventListener('peer:identify', (evt) => {
    const r = evt.detail
    emit('identified', {
      peer: str(r.peerId),
      agent: r.agentVersion,
      protocolVersion: r.protocolVersion,
      protocols: r.protocols,
      listenAddrs: addrs(r.listenAddrs),
      observedAddr: str(r.observedAddr),
      signedPeerRecord: r.signedPeerRecord != null,
      addr: str(r.connection?.remoteAddr)
    })
  })
  if (opts.kad) {
    const dht = node.services.dht
    dht.addEventListener('peer', (evt) => {
      emit('peer_discovery', { source: 'kad', peer: str(evt.detail.id), addrs: addrs(evt.detail.multiaddrs) })
    })
    dht.routingTable.addEventListener('peer:add', (evt) => { emit('kad_table', { action: 'add', peer: str(evt.detail) }) })
    dht.routingTable.addEventListener('peer:remove', (evt) => { emit('kad_table', { action: 'remove', peer: str(evt.detail) }) })
  }

  try {
    await node.start()
  } catch (err) {
    emit('error', { message: `start: ${errMessage(err)}` })
    flushPending()
    process.exit(1)
  }
  emit('listening', {
    peer: str(node.peerId),
    addrs: addrs(node.getMultiaddrs()),
    protocols: node.getProtocols(),
    kad: opts.kad ? { protocol: opts.kadProtocol, mode: node.services.dht.getMode() } : null
  })
  flushPending()

  if (opts.exitAfter != null) {
    setTimeout(() => { shutdown('exit-after') }, opts.exitAfter * 1000)
  }

  const dialed = []
  for (const addr of opts.dial) {
    try {
      const c = await node.dial(multiaddr(addr))
      emit('dialed', { addr, peer: str(c.remotePeer) })
      dialed.push(c)
    } catch (err) {
      emit('dial_error', { addr, message: errMessage(err) })
    }
  }

  if (opts.streams > 0) {
    for (const c of dialed) {
      if (stopping == null) await openStreams(c, opts.streamProto, opts.streams, opts.streamTimeout)
    }
  }

  if (opts.ping) {
    for (const c of dialed) {
      await pingPeer(node, c.remotePeer, opts.count, () => stopping != null)
    }
  }

  if (opts.findPeer != null && stopping == null) {
    const start = performance.now()
    try {
      const target = peerIdFromString(opts.findPeer)
      const found = await node.peerRouting.findPeer(target, {
        useCache: false,
        signal: AbortSignal.timeout(opts.findTimeout * 1000)
      })
      emit('find_peer', { target: opts.findPeer, found: true, peer: str(found.id), addrs: addrs(found.multiaddrs), elapsed_ms: Math.round(performance.now() - start) })
    } catch (err) {
      emit('find_peer', { target: opts.findPeer, found: false, message: errMessage(err), elapsed_ms: Math.round(performance.now() - start) })
    }
  }

  const nsCid = async (ns) => CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(ns)))
  const since = (start) => Math.round(performance.now() - start)
  if (opts.provide != null && stopping == null) {
    const start = performance.now()
    try {
      await node.contentRouting.provide(await nsCid(opts.provide), { signal: AbortSignal.timeout(opts.findTimeout * 1000) })
      emit('provided', { ns: opts.provide, ok: true, elapsed_ms: since(start) })
    } catch (err) {
      emit('provided', { ns: opts.provide, ok: false, message: errMessage(err), elapsed_ms: since(start) })
    }
  }
  if (opts.findProviders != null && stopping == null) {
    const start = performance.now()
    const providers = []
    try {
      for await (const p of node.contentRouting.findProviders(await nsCid(opts.findProviders), { signal: AbortSignal.timeout(opts.findTimeout * 1000) })) {
        providers.push({ peer: str(p.id), addrs: addrs(p.multiaddrs) })
        if (providers.length >= opts.count) break
      }
      emit('find_providers', { ns: opts.findProviders, ok: true, providers, elapsed_ms: since(start) })
    } catch (err) {
      emit('find_providers', { ns: opts.findProviders, ok: false, providers, message: errMessage(err), elapsed_ms: since(start) })
    }
  }
  if (opts.putPk && stopping == null) {
    const start = performance.now()
    const key = new Uint8Array([...new TextEncoder().encode('/pk/'), ...node.peerId.toMultihash().bytes])
    const value = publicKeyToProtobuf(privateKey.publicKey)
    const stored = []
    try {
      for await (const ev of node.services.dht.put(key, value, { signal: AbortSignal.timeout(opts.findTimeout * 1000) })) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') stored.push(str(ev.from))
      }
      emit('put', { key: Buffer.from(key).toString('hex'), value: Buffer.from(value).toString('hex'), ok: true, stored, elapsed_ms: since(start) })
    } catch (err) {
      emit('put', { key: Buffer.from(key).toString('hex'), ok: false, stored, message: errMessage(err), elapsed_ms: since(start) })
    }
  }
  if (opts.getValue != null && stopping == null) {
    const start = performance.now()
    try {
      let value = null
      let from = null
      for await (const ev of node.services.dht.get(Buffer.from(opts.getValue, 'hex'), { signal: AbortSignal.timeout(opts.findTimeout * 1000) })) {
        if (ev.name === 'VALUE') { value = ev.value; from = str(ev.from); break }
      }
      emit('get_value', { key: opts.getValue, found: value != null, value: value != null ? Buffer.from(value).toString('hex') : null, from, elapsed_ms: since(start) })
    } catch (err) {
      emit('get_value', { key: opts.getValue, found: false, message: errMessage(err), elapsed_ms: since(start) })
    }
  }

  // Everything the command line asked for has been attempted.
  if (stopping == null) emit('done')
}

main().catch((err) => {
  emit('error', { message: errMessage(err) })
  flushPending()
  process.exit(1)
})
