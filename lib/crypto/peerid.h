/*
 * peerid.h - libp2p peer IDs (libp2p-wire.md §1.2, §1.3).
 *
 * A peer ID is the multihash of the canonical PublicKey protobuf: the
 * identity multihash when that protobuf is at most 42 bytes (Ed25519,
 * Secp256k1), else sha2-256.  struct pd_peerid is a small value type:
 * copy it with '=', compare with pd_peerid_equal() or memcmp() of the
 * whole struct (every constructor zeroes the bytes after len).
 *
 * Every struct pd_peerid built by this module is valid: either an identity
 * multihash whose digest (<= 42 bytes) decodes as a PublicKey, or a
 * sha2-256 multihash with a 32-byte digest.
 */
#ifndef PD_CRYPTO_PEERID_H
#define PD_CRYPTO_PEERID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_pubkey;

#define PD_PEERID_MAX_INLINE 42		/* bytes: longest identity digest (go maxInlineKeyLength) */
#define PD_PEERID_MAX_BYTES 44		/* 00 ‖ uvarint(42) ‖ 42 bytes */
#define PD_PEERID_SHA256_LEN 34		/* 12 20 ‖ 32 bytes */
#define PD_PEERID_TEXT_MAX 80		/* chars incl. NUL: base58 (<= 61) and base32 CID (<= 75) */
#define PD_PEERID_MAX_TEXT_IN 256	/* chars of text accepted by pd_peerid_parse */

/*
 * Invariant: 0 < len <= PD_PEERID_MAX_BYTES, bytes[0..len) is a valid
 * peer-ID multihash (see above), bytes[len..] are zero.
 */
struct pd_peerid {
	uint8_t len;
	uint8_t bytes[PD_PEERID_MAX_BYTES];
};

/*
 * Derive the peer ID of pub.  Returns 0, or PD_ERR_INVAL if pub is not a
 * valid key.  *ret_id untouched on failure.
 */
int pd_peerid_from_pubkey(const struct pd_pubkey *pub,
    struct pd_peerid *ret_id);

/*
 * Validate binary peer-ID bytes (a multihash filling exactly p[0..len)):
 * identity with a digest of at most 42 bytes that pd_pubkey_decode()
 * accepts, or sha2-256 with a 32-byte digest.  Returns 0,
 * PD_ERR_MALFORMED (not a multihash, wrong digest length, identity digest
 * too long or not a public key), or PD_ERR_UNSUPPORTED (another hash
 * function).  *ret_id untouched on failure.
 */
int pd_peerid_from_bytes(const uint8_t *p, size_t len,
    struct pd_peerid *ret_id);

/*
 * Parse text of n chars (not NUL-terminated necessarily), like go's
 * peer.Decode: a text starting with "Qm" or "1" is a bare base58btc
 * multihash; anything else must be a multibase CIDv1 ('b', 'B', 'z', 'f',
 * 'k', ...) with codec libp2p-key (0x72).  No whitespace is skipped.
 * Returns 0, PD_ERR_MALFORMED (bad text, bad multihash), or
 * PD_ERR_UNSUPPORTED (CID of another codec, unknown multibase, another
 * hash function).  *ret_id untouched on failure.
 */
int pd_peerid_parse(const char *text, size_t n, struct pd_peerid *ret_id);

/*
 * Format as base58btc (the default display form: "12D3KooW...", "Qm...")
 * into out, NUL-terminated.  Returns the length without the NUL, or
 * PD_ERR_OVERFLOW if outlen is too small (PD_PEERID_TEXT_MAX always fits).
 */
int pd_peerid_format(const struct pd_peerid *id, char *out, size_t outlen);

/*
 * Format as a base32 CIDv1 with codec libp2p-key ("bafz..."), same return
 * convention as pd_peerid_format.
 */
int pd_peerid_format_cid(const struct pd_peerid *id, char *out,
    size_t outlen);

/* True if a and b are the same peer ID. */
bool pd_peerid_equal(const struct pd_peerid *a, const struct pd_peerid *b);

/*
 * Get the public key inlined in an identity-multihash peer ID.  Returns 0,
 * PD_ERR_NOT_FOUND for a hashed (sha2-256) ID, which does not contain the
 * key, or PD_ERR_MALFORMED if id is not valid.
 */
int pd_peerid_extract_pubkey(const struct pd_peerid *id,
    struct pd_pubkey *ret_pub);

/* True if id is the peer ID of pub (derives and compares). */
bool pd_peerid_matches_pubkey(const struct pd_peerid *id,
    const struct pd_pubkey *pub);

#endif
