// gen-mdns-vectors.mjs - make the mDNS packet vectors in
// tests/unit/vectors/mdns/ that check_dns decodes (lib/mdns/dns.c).
//
//   node tests/tools/gen-mdns-vectors.mjs [PEERDISC_SOURCE_TREE]
//
// Uses dns-packet and multicast-dns from tests/interop/node_modules (the
// versions @libp2p/mdns itself depends on; nothing is installed).  Output is
// deterministic (fixed peer names, IDs and addresses).
//
// Vectors (NAME.hex = packet bytes in hex, NAME.expect = what
// pd_dns_libp2p_extract must find: "peer <ptr-target> <ttl>" lines, each
// followed by its "addr <multiaddr>" lines; queries have no .expect):
// - js-answer:   exactly what @libp2p/mdns gotQuery() hands to
//                multicast-dns respond(): dns-packet.encode of
//                {type:'response', flags: AUTHORITATIVE_ANSWER, answers:[PTR,
//                TXT per address]}, TTL 120, no compression.
// - js-query:    multicast-dns query() of queryLAN(): one PTR question.
// - go-browse:   libp2p/zeroconf composeBrowsingAnswers() as packed by
//                miekg/dns with Compress = true: Answer PTR; Extra SRV, TXT
//                (one record, all strings), A, AAAA; flags 0x8400 (SetReply +
//                Authoritative), TTL 3200 and 120 for addresses.  miekg
//                compresses owner names and PTR rdata but not SRV targets
//                (still remembered for later names), so the A/AAAA owners
//                point into the SRV rdata and "local" points into the middle
//                of "_p2p._udp.local".
// - go-announce: zeroconf composeLookupAnswers(flushCache=true) as sent by
//                probe(): everything in Answer (SRV, TXT, PTR, the DNS-SD
//                PTR, A, AAAA), cache-flush bit on SRV, TXT, A, AAAA, flags
//                0x8000.
// - rust-answer: rust-libp2p protocols/mdns/src/behaviour/iface/dns.rs
//                query_response_packet(): id of the query, flags 0x8400,
//                Answer PTR whose rdata is the bare random peer name (one
//                label), Additional one TXT per address owned by that same
//                name, TXT class 0x8001 (cache-flush), uncompressed.
// - rust-query:  rust build_query().
// - ours-answer: our own pd_dns_build_libp2p_answer() output (written by
//                check_dns, see README); this script only checks that
//                dns-packet decodes it to the expected records.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const tree = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(join(tree, 'tests', 'interop', 'package.json'))
const packet = require('dns-packet')
const out = join(tree, 'tests', 'unit', 'vectors', 'mdns')

const SERVICE = '_p2p._udp.local'
const PEER_ID = '12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq'
const JS_NAME = 'q6bz3k0m8x2v7n1c5j4h9g0f6d3s8a2p7l1k4j9h3g6f2d8s5a0z7x4c1v9b3n6'
const GO_NAME = 'r7t2y9u4i1o6p3a8s5d0f7g2h9j4k1l6'
const RUST_NAME = 'Xk2P9qLm4Rt7Vw1Zy8Bn3Cd6Fg0Hj5KsUe2'
const ADDRS = [
  `/ip4/192.168.1.23/tcp/4001/p2p/${PEER_ID}`,
  `/ip4/192.168.1.23/udp/4001/quic-v1/p2p/${PEER_ID}`,
  `/ip6/fd00::17/tcp/4001/p2p/${PEER_ID}`
]
const IP4 = [192, 168, 1, 23]
const IP6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17]

// ---- a small miekg/rust-style packer (dns-packet never compresses) ----
function packer () {
  const bytes = []
  const comp = new Map() // lower-case suffix -> offset
  const u16 = (v) => bytes.push((v >> 8) & 0xff, v & 0xff)
  const u32 = (v) => { u16((v >>> 16) & 0xffff); u16(v & 0xffff) }
  // compress: may this name use pointers; remember: may it add suffixes.
  const name = (n, compress, remember) => {
    const labels = n.replace(/\.$/, '').split('.')
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase()
      if (comp.has(key)) {
        if (compress) { u16(0xc000 | comp.get(key)); return }
      } else if (remember && bytes.length < 0x3fff) {
        comp.set(key, bytes.length)
      }
      const b = Buffer.from(labels[i], 'utf8')
      bytes.push(b.length, ...b)
    }
    bytes.push(0)
  }
  const rr = (owner, type, cls, ttl, rdata, opts) => {
    name(owner, opts.compress, opts.remember)
    u16(type); u16(cls); u32(ttl)
    const at = bytes.length
    u16(0)
    rdata()
    const len = bytes.length - at - 2
    bytes[at] = len >> 8; bytes[at + 1] = len & 0xff
  }
  return { bytes, u16, u32, name, rr }
}

const TYPE = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 }
const FLUSH = 0x8000

// go: miekg/dns with Compress = true.
function goPacket (flags, answers, extras) {
  const p = packer()
  p.u16(0); p.u16(flags); p.u16(0); p.u16(answers.length); p.u16(0); p.u16(extras.length)
  const mk = { compress: true, remember: true }
  for (const r of [...answers, ...extras]) {
    p.rr(r.name, TYPE[r.type], 1 | (r.flush ? FLUSH : 0), r.ttl, () => {
      switch (r.type) {
        case 'PTR': p.name(r.data, true, true); break
        case 'SRV': p.u16(0); p.u16(0); p.u16(r.port); p.name(r.target, false, true); break
        case 'TXT': for (const s of r.data) { const b = Buffer.from(s); p.bytes.push(b.length, ...b) } break
        case 'A': p.bytes.push(...IP4); break
        case 'AAAA': p.bytes.push(...IP6); break
      }
    }, mk)
  }
  return Buffer.from(p.bytes)
}

function goRecords (flush, ttl) {
  const inst = `${GO_NAME}.${SERVICE}.`
  const host = `${GO_NAME}.local.`
  const txts = ADDRS.map(a => `dnsaddr=${a}`)
  return {
    ptr: { name: `${SERVICE}.`, type: 'PTR', ttl, data: inst },
    dnssd: { name: '_services._dns-sd._udp.local.', type: 'PTR', ttl, data: `${SERVICE}.` },
    srv: { name: inst, type: 'SRV', ttl, flush, port: 4001, target: host },
    txt: { name: inst, type: 'TXT', ttl, flush, data: txts },
    a: { name: host, type: 'A', ttl: 120, flush },
    aaaa: { name: host, type: 'AAAA', ttl: 120, flush }
  }
}

function rustAnswer (id, ttl) {
  const p = packer()
  p.u16(id); p.u16(0x8400); p.u16(0); p.u16(1); p.u16(0); p.u16(ADDRS.length)
  const plain = { compress: false, remember: false }
  p.rr(SERVICE, TYPE.PTR, 0x0001, ttl, () => p.name(RUST_NAME, false, false), plain)
  for (const a of ADDRS) {
    p.rr(RUST_NAME, TYPE.TXT, 0x8001, ttl, () => {
      const b = Buffer.from(`dnsaddr=${a}`); p.bytes.push(b.length, ...b)
    }, plain)
  }
  return Buffer.from(p.bytes)
}

function rustQuery (id) {
  const p = packer()
  p.u16(id); p.u16(0); p.u16(1); p.u16(0); p.u16(0); p.u16(0)
  p.name(SERVICE, false, false); p.u16(0x0c); p.u16(0x01)
  return Buffer.from(p.bytes)
}

// js: what multicast-dns respond()/query() put on the wire.
function jsAnswer () {
  const answers = [{ name: SERVICE, type: 'PTR', class: 'IN', ttl: 120, data: `${JS_NAME}.${SERVICE}` }]
  for (const a of ADDRS) {
    answers.push({ name: `${JS_NAME}.${SERVICE}`, type: 'TXT', class: 'IN', ttl: 120, data: `dnsaddr=${a}` })
  }
  return packet.encode({ type: 'response', flags: packet.AUTHORITATIVE_ANSWER, answers })
}

function jsQuery () {
  return packet.encode({ type: 'query', questions: [{ name: SERVICE, type: 'PTR' }] })
}

const hex = (buf) => buf.toString('hex').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')
const expect = (peer, ttl) => [`peer ${peer} ${ttl}`, ...ADDRS.map(a => `addr ${a}`)].join('\n') + '\n'

// Every packet must also parse with dns-packet (it follows pointers).
function checkDecodes (name, buf, wantPeer) {
  const d = packet.decode(buf)
  const all = [...(d.answers ?? []), ...(d.additionals ?? [])]
  const ptr = all.find(r => r.type === 'PTR' && r.name === SERVICE)
  if (wantPeer != null) {
    if (ptr == null || ptr.data.toLowerCase() !== wantPeer.toLowerCase()) throw new Error(`${name}: PTR ${ptr?.data}`)
    const got = all.filter(r => r.type === 'TXT' && r.name.toLowerCase() === wantPeer.toLowerCase())
      .flatMap(r => r.data.map(b => b.toString())).filter(s => s.startsWith('dnsaddr='))
    if (JSON.stringify(got) !== JSON.stringify(ADDRS.map(a => `dnsaddr=${a}`))) throw new Error(`${name}: TXT ${got}`)
  }
  return `${d.answers.length} answers, ${d.additionals.length} additionals, ${d.questions.length} questions`
}

const g = goRecords(false, 3200)
const ga = goRecords(true, 3200)
const vectors = [
  ['js-answer', jsAnswer(), `${JS_NAME}.${SERVICE}`, 120],
  ['js-query', jsQuery(), null],
  ['go-browse', goPacket(0x8400, [g.ptr], [g.srv, g.txt, g.a, g.aaaa]), `${GO_NAME}.${SERVICE}`, 3200],
  ['go-announce', goPacket(0x8000, [ga.srv, ga.txt, ga.ptr, ga.dnssd, ga.a, ga.aaaa], []), `${GO_NAME}.${SERVICE}`, 3200],
  ['rust-answer', rustAnswer(0x1234, 360), RUST_NAME, 360],
  ['rust-query', rustQuery(0x1234), null]
]
for (const [name, buf, peer, ttl] of vectors) {
  writeFileSync(join(out, `${name}.hex`), hex(buf))
  if (peer != null) writeFileSync(join(out, `${name}.expect`), expect(peer, ttl))
  console.log(`${name}: ${buf.length} bytes, dns-packet: ${checkDecodes(name, buf, peer)}`)
}

// Our own answer (written by check_dns with PD_DNS_WRITE_OURS=1).
const ours = join(out, 'ours-answer.hex')
if (existsSync(ours)) {
  const buf = Buffer.from(readFileSync(ours, 'utf8').replace(/\s+/g, ''), 'hex')
  const d = packet.decode(buf)
  console.log(`ours-answer: ${buf.length} bytes, dns-packet: ${checkDecodes('ours-answer', buf, 'ourpeername0123456789abcdefghijklmnopqrstuv._p2p._udp.local')}`)
  for (const r of [...d.answers, ...d.additionals]) {
    const data = r.type === 'TXT' ? r.data.map(b => b.toString()).join(' | ') : JSON.stringify(r.data)
    console.log(`  ${r.name} ${r.type} flush=${r.flush} ttl=${r.ttl} ${data}`)
  }
}
