// gen-ipns-vectors.mjs - make the IPNS record vectors in
// tests/unit/vectors/ipns/ with the js `ipns` package (the reference
// implementation used by js-libp2p/helia), so check_kad_record tests our
// validator against real records, not ones we encoded ourselves.
//
// Pinned versions (npm): ipns@10.1.6, @libp2p/crypto@5.1.23.
// The packages are ESM and resolved next to this script, so run it from a
// scratch directory, never from tests/interop:
//
//   mkdir -p /work/scratch-ipns && cd /work/scratch-ipns && npm init -y
//   npm install ipns@10.1.6 @libp2p/crypto@5.1.23
//   cp TREE/tests/tools/gen-ipns-vectors.mjs . && node gen-ipns-vectors.mjs TREE
//
// Output is deterministic: the keys come from the libp2p spec vectors in
// tests/unit/vectors/peer-ids.txt (Ed25519, Secp256k1, RSA) plus one
// Ed25519 key from a fixed seed, every EOL is fixed, and all three
// signature schemes are deterministic (Ed25519, RFC 6979 ECDSA, PKCS#1
// v1.5).  Each NAME.txt has `key = hex` (the DHT routing key "/ipns/" ||
// peer ID) and `value = hex` (the IpnsEntry protobuf); README.md lists them
// with the verdict of js's own ipnsValidator at generation time.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createIPNSRecordWithExpiration, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { generateKeyPairFromSeed, privateKeyFromProtobuf } from '@libp2p/crypto/keys'

const tree = process.argv[2]
if (tree == null) {
  console.error('usage: node gen-ipns-vectors.mjs PEERDISC_SOURCE_TREE')
  process.exit(2)
}
const outDir = join(tree, 'tests/unit/vectors/ipns')
mkdirSync(outDir, { recursive: true })

const hex = (b) => Buffer.from(b).toString('hex')
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'))

// Spec key vectors: 'name = hex' lines.
const specKeys = {}
for (const line of readFileSync(join(tree, 'tests/unit/vectors/peer-ids.txt'), 'utf8').split('\n')) {
  const m = /^(\w+) = ([0-9a-f]+)$/.exec(line.trim())
  if (m != null) specKeys[m[1]] = m[2]
}

// Minimal protobuf field codec, to craft records the library refuses to make.
function pbDecode (buf) {
  const fields = []
  let off = 0
  const varint = () => {
    let v = 0n; let shift = 0n
    for (;;) {
      const b = buf[off++]
      v |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return v
      shift += 7n
    }
  }
  while (off < buf.length) {
    const tag = Number(varint())
    const num = tag >> 3; const wire = tag & 7
    if (wire === 0) fields.push({ num, wire, v: varint() })
    else if (wire === 2) {
      const n = Number(varint())
      fields.push({ num, wire, b: buf.slice(off, off + n) })
      off += n
    } else throw new Error('unexpected wire type ' + wire)
  }
  return fields
}

function pbEncode (fields) {
  const out = []
  const varint = (v) => {
    v = BigInt(v)
    do {
      let b = Number(v & 0x7fn)
      v >>= 7n
      if (v !== 0n) b |= 0x80
      out.push(b)
    } while (v !== 0n)
  }
  for (const f of fields) {
    varint((f.num << 3) | f.wire)
    if (f.wire === 0) varint(f.v)
    else { varint(f.b.length); out.push(...f.b) }
  }
  return new Uint8Array(out)
}

const VALUE = '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const EOL_2200 = '2200-01-01T00:00:00.000000000Z'
const EOL_2250 = '2250-06-15T12:30:45.123456789Z'
const EOL_2300 = '2300-01-01T00:00:00Z'
const EOL_2020 = '2020-01-01T00:00:00.000000000Z'

const keyA = privateKeyFromProtobuf(unhex(specKeys.ed25519_private_key))
const keyB = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(0x42))
const keyRsa = privateKeyFromProtobuf(unhex(specKeys.rsa_private_key))
const keySecp = privateKeyFromProtobuf(unhex(specKeys.secp256k1_private_key))

const routingKey = (priv) => multihashToIPNSRoutingKey(priv.publicKey.toMultihash())

async function make (priv, seq, eol, v1 = true) {
  const rec = await createIPNSRecordWithExpiration(priv, VALUE, seq, eol, { v1Compatible: v1 })
  return marshalIPNSRecord(rec)
}

const vectors = []
function add (name, key, value, what) {
  vectors.push({ name, key, value, what })
}

const a11 = await make(keyA, 1, EOL_2200)
add('ed25519-v1v2', routingKey(keyA), a11, 'Ed25519 V1+V2, seq 1, EOL 2200: valid')
add('ed25519-v2only', routingKey(keyA), await make(keyA, 1, EOL_2200, false),
  'Ed25519 V2 only, seq 1, EOL 2200: valid')
add('ed25519-expired', routingKey(keyA), await make(keyA, 3, EOL_2020),
  'Ed25519 V1+V2, seq 3, EOL 2020-01-01: valid before, expired after')

// One byte of the signed CBOR changed: the last byte of the Value path, so
// the CBOR still parses and only the signature check can catch it.
{
  const f = pbDecode(a11)
  const d = f.find((x) => x.num === 9)
  const i = Buffer.from(d.b).indexOf(Buffer.from(VALUE)) + VALUE.length - 1
  d.b = new Uint8Array(d.b)
  d.b[i] ^= 0x01
  add('ed25519-tampered', routingKey(keyA), pbEncode(f),
    'V1+V2 with one byte of data changed: bad signatureV2')
}
// V1 protobuf sequence disagrees with the (correctly signed) CBOR.
{
  const f = pbDecode(a11)
  f.find((x) => x.num === 5).v = 9n
  add('ed25519-v1-mismatch', routingKey(keyA), pbEncode(f),
    'V1+V2, protobuf sequence 9 vs CBOR Sequence 1: invalid (boxo)')
}
add('ed25519-wrong-key', routingKey(keyA), await make(keyB, 1, EOL_2200),
  'signed by another Ed25519 key, stored under key A: bad signature')
// Signed by B with B's public key embedded, under A's name.
{
  const f = pbDecode(await make(keyB, 1, EOL_2200))
  const pubB = unhex('08011220' + hex(keyB.publicKey.raw))
  f.push({ num: 7, wire: 2, b: pubB })
  f.sort((x, y) => x.num - y.num)
  add('ed25519-pubkey-mismatch', routingKey(keyA), pbEncode(f),
    'pubKey of another key embedded: public key does not match the name')
}
const rsa = await make(keyRsa, 5, EOL_2200)
add('rsa-pubkey', routingKey(keyRsa), rsa, 'RSA-4096 (spec key) with pubKey embedded, seq 5: valid')
add('rsa-no-pubkey', routingKey(keyRsa), pbEncode(pbDecode(rsa).filter((x) => x.num !== 7)),
  'RSA record with pubKey removed: no public key, invalid')
add('secp256k1-v1v2', routingKey(keySecp), await make(keySecp, 1, EOL_2200),
  'Secp256k1 (spec key, identity peer ID) V1+V2: valid')
add('ed25519-seq2', routingKey(keyA), await make(keyA, 2, EOL_2200),
  'seq 2, EOL 2200: beats ed25519-v1v2 (seq 1)')
add('ed25519-seq2-late', routingKey(keyA), await make(keyA, 2, EOL_2250),
  'seq 2, EOL 2250-06-15T12:30:45.123456789Z: beats ed25519-seq2 (same seq, later EOL)')
add('ed25519-seq1-late', routingKey(keyA), await make(keyA, 1, EOL_2300),
  'seq 1, EOL 2300: loses to ed25519-seq2 (sequence wins over EOL)')

const readme = [
  '# IPNS record vectors (generated by tests/tools/gen-ipns-vectors.mjs)',
  '',
  'Made with ipns@10.1.6 / @libp2p/crypto@5.1.23 (npm).  Each NAME.txt holds',
  '`key = hex` (DHT key "/ipns/" || binary peer ID) and `value = hex` (IpnsEntry',
  'protobuf).  Key A is the Ed25519 key of the libp2p peer-ids spec vectors;',
  'key B is Ed25519 from seed 0x42 x 32.  "js:" is what js ipnsValidator said',
  'when the vectors were made.',
  ''
]
for (const v of vectors) {
  let verdict = 'valid'
  try {
    await ipnsValidator(v.key, v.value)
  } catch (err) {
    verdict = err.name
  }
  writeFileSync(join(outDir, v.name + '.txt'),
    `# ${v.what}\nkey = ${hex(v.key)}\nvalue = ${hex(v.value)}\n`)
  readme.push(`- ${v.name}.txt: ${v.what} (js: ${verdict})`)
}
writeFileSync(join(outDir, 'README.md'), readme.join('\n') + '\n')
console.log(`wrote ${vectors.length} vectors to ${outDir}`)
