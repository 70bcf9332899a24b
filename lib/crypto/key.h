/*
 * key.h - libp2p public and private keys (libp2p-wire.md §1.1).
 *
 * A struct pd_pubkey is a remote (or our own) public key of any of the four
 * libp2p key types, kept as the validated bytes of the PublicKey.Data
 * field.  It is a plain value: no allocation, copy it with '=', nothing to
 * free.  Decoding validates the key material (length, curve point, RSA
 * size) and accepts only the canonical protobuf encoding, so that
 * pd_pubkey_encode() reproduces the decoded bytes exactly and the peer ID
 * derived from them is unambiguous (peer IDs hash these bytes, §1.2).
 *
 * A struct pd_privkey is our own identity and is Ed25519 only.  It holds
 * libsodium's 64-byte secret key (seed ‖ pub), which is exactly
 * PrivateKey.Data.  Wipe it with pd_privkey_clear() when done.
 *
 * RSA, ECDSA and Secp256k1 keys are verified with OpenSSL libcrypto (3.x);
 * Ed25519 with libsodium.
 */
#ifndef PD_CRYPTO_KEY_H
#define PD_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* KeyType enum of crypto.proto; the numbers are wire values. */
enum pd_key_type {
	PD_KEY_RSA = 0,
	PD_KEY_ED25519 = 1,
	PD_KEY_SECP256K1 = 2,
	PD_KEY_ECDSA = 3,
};

#define PD_KEY_MAX_PUBKEY 2048		/* bytes of PublicKey.Data (RSA-8192 PKIX is ~1.1 KiB) */
#define PD_KEY_MAX_PUBKEY_PB (PD_KEY_MAX_PUBKEY + 8)	/* bytes of an encoded PublicKey */
#define PD_KEY_MAX_PRIVKEY_PB 16384	/* bytes of an encoded PrivateKey we look at */
#define PD_KEY_MAX_SIG 1024		/* bytes of a signature (RSA-8192 = 1024) */
#define PD_KEY_RSA_MIN_BITS 2048	/* go-libp2p's minimum (rsa_common.go) */
#define PD_KEY_RSA_MAX_BITS 8192	/* go-libp2p's maximum */
#define PD_KEY_ED25519_PUB_LEN 32	/* raw public key */
#define PD_KEY_ED25519_SEED_LEN 32
#define PD_KEY_ED25519_SECRET_LEN 64	/* seed ‖ pub, = libsodium secret key */
#define PD_KEY_ED25519_SIG_LEN 64
#define PD_KEY_SECP256K1_PUB_LEN 33	/* compressed SEC1 point */
#define PD_KEY_ED25519_PRIVKEY_PB_LEN 68	/* 08 01 12 40 ‖ 64 bytes */

/*
 * A validated public key.  Invariant (after a successful decode or
 * pd_privkey_public): type is one of enum pd_key_type, 0 < len <=
 * PD_KEY_MAX_PUBKEY, data[0..len) is the key material in the type's libp2p
 * encoding (Ed25519: raw 32 bytes; Secp256k1: 33-byte compressed point;
 * RSA and ECDSA: DER SubjectPublicKeyInfo) and passed validation.  Bytes
 * after len are zero.
 */
struct pd_pubkey {
	enum pd_key_type type;
	size_t len;
	uint8_t data[PD_KEY_MAX_PUBKEY];
};

/*
 * Our own Ed25519 key: sk = seed(32) ‖ pub(32), as libsodium's
 * crypto_sign secret key.  Secret: wipe with pd_privkey_clear().
 */
struct pd_privkey {
	uint8_t sk[PD_KEY_ED25519_SECRET_LEN];
};

/* "RSA", "Ed25519", "Secp256k1", "ECDSA", or "unknown".  Never NULL. */
const char *pd_key_type_name(int type);

/*
 * Decode a libp2p PublicKey protobuf filling exactly p[0..len).
 * Only the canonical encoding is accepted: field 1 (Type, varint) then
 * field 2 (Data, bytes), each exactly once, minimal varints, no other
 * fields; RSA/ECDSA DER must be the DER that OpenSSL (and go) re-encode.
 * Key checks: Ed25519 32 bytes; Secp256k1 33-byte compressed point on the
 * curve; RSA PKIX with PD_KEY_RSA_MIN_BITS..PD_KEY_RSA_MAX_BITS bits
 * (go-libp2p's limits; weaker keys are refused as go refuses them by
 * default); ECDSA PKIX, named curve P-256, P-384 or P-521, uncompressed
 * point.
 * Returns 0, PD_ERR_MALFORMED (protobuf or DER), PD_ERR_UNSUPPORTED
 * (unknown key type, other curve), PD_ERR_BAD_KEY (material invalid or
 * out of range), PD_ERR_OVERFLOW (Data over PD_KEY_MAX_PUBKEY),
 * PD_ERR_NOMEM.  why (may be NULL) gets a reason on failure.
 * *ret_pub is untouched on failure.
 */
int pd_pubkey_decode(const uint8_t *p, size_t len, struct pd_pubkey *ret_pub,
    char *why, size_t whylen);

/*
 * Encode pub as a deterministic PublicKey protobuf into out (RSA emits
 * `08 00`).  Returns the length (<= PD_KEY_MAX_PUBKEY_PB) or
 * PD_ERR_OVERFLOW if outlen is too small, PD_ERR_INVAL for a bad pub.
 */
int pd_pubkey_encode(const struct pd_pubkey *pub, uint8_t *out,
    size_t outlen);

/* True if a and b are the same key (type and bytes). */
bool pd_pubkey_equal(const struct pd_pubkey *a, const struct pd_pubkey *b);

/*
 * Verify sig over msg with pub: Ed25519 (RFC 8032); RSA PKCS#1 v1.5 over
 * SHA-256; ECDSA and Secp256k1 DER signature over SHA-256.  Returns 0 when
 * the signature is valid, PD_ERR_BAD_SIGNATURE when it is not (including
 * an empty or over-long sig), PD_ERR_NOMEM, or PD_ERR_BAD_KEY if pub is
 * not a decodable key.
 */
int pd_pubkey_verify(const struct pd_pubkey *pub, const void *msg,
    size_t msglen, const uint8_t *sig, size_t siglen);

/*
 * Generate a fresh Ed25519 key from libsodium's RNG.  Returns 0 or
 * PD_ERR_UNAVAILABLE if libsodium cannot initialise.
 */
int pd_privkey_generate(struct pd_privkey *ret_key);

/*
 * Build the key from a 32-byte Ed25519 seed (deterministic; for tests and
 * imports).  Always 0 unless an argument is NULL (PD_ERR_INVAL).
 */
int pd_privkey_from_seed(const uint8_t seed[PD_KEY_ED25519_SEED_LEN],
    struct pd_privkey *ret_key);

/*
 * Decode a libp2p PrivateKey protobuf filling exactly p[0..len): field 1
 * (Type) and field 2 (Data), each exactly once, no other fields.  Ed25519
 * Data of 64 bytes (seed ‖ pub) or legacy 96 bytes (seed ‖ pub ‖ pub, both
 * copies equal); in both cases the seed must derive pub.
 * Returns 0, PD_ERR_MALFORMED, PD_ERR_UNSUPPORTED (RSA, Secp256k1, ECDSA
 * or unknown type: our identity must be Ed25519), PD_ERR_BAD_KEY (wrong
 * length, pub mismatch).  why (may be NULL) gets a reason.  *ret_key is
 * untouched on failure; no secret copy is left behind.
 */
int pd_privkey_decode(const uint8_t *p, size_t len, struct pd_privkey *ret_key,
    char *why, size_t whylen);

/*
 * Encode as PrivateKey protobuf (`08 01 12 40` ‖ seed ‖ pub, 68 bytes)
 * into out.  Returns the length or PD_ERR_OVERFLOW.  The output is secret.
 */
int pd_privkey_encode(const struct pd_privkey *key, uint8_t *out,
    size_t outlen);

/* The public half as an Ed25519 pd_pubkey.  Always 0 (or PD_ERR_INVAL). */
int pd_privkey_public(const struct pd_privkey *key, struct pd_pubkey *ret_pub);

/*
 * Sign msg (Ed25519, deterministic) into ret_sig.  Returns 0 or
 * PD_ERR_INVAL.
 */
int pd_privkey_sign(const struct pd_privkey *key, const void *msg,
    size_t msglen, uint8_t ret_sig[PD_KEY_ED25519_SIG_LEN]);

/* Wipe the secret (sodium_memzero).  NULL is a no-op. */
void pd_privkey_clear(struct pd_privkey *key);

#endif
