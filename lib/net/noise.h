/*
 * noise.h - the libp2p Noise secure channel (`/noise`), sans-IO
 * (libp2p-wire.md §5).
 *
 * Two layers:
 *
 * 1. The libp2p handshake and transport (struct pd_noise): XX with a fresh
 *    X25519 static key per handshake, the NoiseHandshakePayload carrying
 *    our identity key and its signature over the static key, verification
 *    of the remote one, then ChaCha20-Poly1305 transport frames.  Fed bytes,
 *    appends bytes to send; never touches a socket.
 *
 * 2. The generic Noise_XX_25519_ChaChaPoly_SHA256 engine under it
 *    (pd_noise_sym_*, pd_noise_cipher_*, pd_noise_xx_*), exposed so the
 *    unit tests can inject keys, a prologue and payloads and reproduce
 *    the cacophony known-answer vector.  Other modules should not use it.
 *
 * How a connection drives layer 1 (lib/net/conn.c):
 *
 *	pd_noise_new(role, our PublicKey protobuf, signer, arg, expected, &nz);
 *	loop: r = pd_noise_handshake(nz, bytes read (may be 0), &out);
 *	      write out; r == 0: wait for more bytes; r == 1: done; r < 0: close
 *	      (the initiator's first call, even with no input, yields msg 1)
 *	then: pd_noise_remote_peer(nz), pd_noise_remote_pubkey(nz);
 *	      pd_noise_decrypt(nz, NULL, 0, &plain) once, because bytes that
 *	      followed msg 3 in the last handshake input are kept and are
 *	      decrypted by the next pd_noise_decrypt call;
 *	      pd_noise_encrypt(nz, app bytes, &wire) / pd_noise_decrypt(nz,
 *	      wire bytes, &plain) for the rest of the connection; any error:
 *	      close the connection.
 */
#ifndef PD_NET_NOISE_H
#define PD_NET_NOISE_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;
struct pd_peerid;
struct pd_pubkey;

#define PD_NOISE_PROTOCOL_ID "/noise"
#define PD_NOISE_NAME "Noise_XX_25519_ChaChaPoly_SHA256"	/* 32 bytes */
#define PD_NOISE_DH_LEN 32		/* X25519 keys and shared secrets */
#define PD_NOISE_HASH_LEN 32		/* SHA-256 */
#define PD_NOISE_KEY_LEN 32		/* ChaCha20-Poly1305 key */
#define PD_NOISE_TAG_LEN 16		/* Poly1305 tag */
#define PD_NOISE_MAX_MSG 65535		/* bytes of one Noise message (BE16 length) */
#define PD_NOISE_MAX_PLAINTEXT (PD_NOISE_MAX_MSG - PD_NOISE_TAG_LEN) /* 65519 */
#define PD_NOISE_FRAME_HDR 2		/* BE16 length prefix */
#define PD_NOISE_SIG_PREFIX "noise-libp2p-static-key:"	/* 24 bytes, §5.5 */
#define PD_NOISE_MAX_WHY 128		/* bytes of the failure reason kept */

/*
 * ===================== Layer 1: libp2p handshake + transport ============
 */

enum pd_noise_role {
	PD_NOISE_INITIATOR = 0,		/* the dialer: sends msg 1 and 3 */
	PD_NOISE_RESPONDER = 1,		/* the listener: sends msg 2 */
};

/*
 * Sign len bytes of msg with our identity key.  On entry *siglen is the
 * room in sig (PD_KEY_MAX_SIG); on success write the signature, set
 * *siglen to its length and return 0; return a negative PD_ERR_* on
 * failure.  Called synchronously from pd_noise_new() only.
 */
typedef int (*pd_noise_sign_cb)(void *arg, const uint8_t *msg, size_t len,
    uint8_t *sig, size_t *siglen);

struct pd_noise;

/*
 * Create the handshake state for one connection.  identity_key is our
 * encoded PublicKey protobuf (copied; it must decode with
 * pd_pubkey_decode).  A fresh X25519 static key is generated here and
 * sign(sign_arg, "noise-libp2p-static-key:" ‖ static pub) is called once
 * to build our handshake payload; sign_arg need not outlive this call.
 * expected (may be NULL, copied) is the peer ID the dialer wants: if the
 * remote's differs the handshake fails with PD_ERR_BAD_KEY.
 * Returns 0 and *ret_nz, or PD_ERR_INVAL (bad argument, our key does not
 * decode), PD_ERR_NOMEM, PD_ERR_UNAVAILABLE (libsodium init), or the
 * signer's error.
 */
int pd_noise_new(enum pd_noise_role role, const uint8_t *identity_key,
    size_t identity_key_len, pd_noise_sign_cb sign, void *sign_arg,
    const struct pd_peerid *expected, struct pd_noise **ret_nz);

/* Wipe all key material and free; NULL is a no-op. */
void pd_noise_free(struct pd_noise *nz);

/*
 * Run the handshake: feed len bytes received from the peer (any chunking,
 * len may be 0) and append whatever must be sent to out (framed, ready for
 * the wire).  The initiator's first call appends msg 1.
 * Returns 0 (in progress: send out, wait for more bytes), 1 (complete:
 * send out, which may hold msg 3; bytes after msg 3 are kept for
 * pd_noise_decrypt), or on failure (the state is dead, out is unchanged):
 * PD_ERR_PROTOCOL (framing, short message, decryption or DH failure),
 * PD_ERR_MALFORMED (payload does not parse or lacks key/signature),
 * PD_ERR_BAD_KEY / PD_ERR_UNSUPPORTED (remote identity key invalid or of an
 * unsupported type; remote peer ID differs from the expected one),
 * PD_ERR_BAD_SIGNATURE, PD_ERR_NOMEM, PD_ERR_OVERFLOW, or PD_ERR_INVAL
 * (called after completion or failure).  pd_noise_why() tells why.
 */
int pd_noise_handshake(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out);

/* 1 once the handshake completed (and the state is not dead), else 0. */
int pd_noise_done(const struct pd_noise *nz);

/*
 * The remote's peer ID and identity key, borrowed from nz (valid until
 * pd_noise_free).  NULL until the handshake completed.
 */
const struct pd_peerid *pd_noise_remote_peer(const struct pd_noise *nz);
const struct pd_pubkey *pd_noise_remote_pubkey(const struct pd_noise *nz);

/*
 * Reason of the last failure ("" if none).  Borrowed, NUL-terminated; may
 * quote nothing from the peer, so it is safe to log as it is.
 */
const char *pd_noise_why(const struct pd_noise *nz);

/*
 * Encrypt len bytes as transport frames (BE16 len ‖ ciphertext ‖ tag),
 * chunked at PD_NOISE_MAX_PLAINTEXT bytes per frame, appended to out.
 * len 0 appends nothing.  Returns 0, PD_ERR_INVAL (handshake not complete
 * or state dead), PD_ERR_NOMEM / PD_ERR_OVERFLOW (out unchanged), or
 * PD_ERR_PROTOCOL if the send nonce is exhausted (never in practice).
 */
int pd_noise_encrypt(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out);

/*
 * Feed len transport bytes (any chunking; len may be 0 to flush bytes kept
 * from the handshake), append the plaintext of every complete frame to
 * out; a trailing partial frame (< PD_NOISE_FRAME_HDR + PD_NOISE_MAX_MSG
 * bytes) is kept for the next call.  Returns 0, or PD_ERR_PROTOCOL (a
 * frame failed to authenticate or was shorter than a tag; the state is
 * dead and every later call fails), PD_ERR_NOMEM / PD_ERR_OVERFLOW, or
 * PD_ERR_INVAL (handshake not complete or state dead).  On failure out is
 * left as it was before the call.
 */
int pd_noise_decrypt(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out);

/* Bytes held inside nz waiting for the rest of a transport frame. */
size_t pd_noise_pending(const struct pd_noise *nz);

/*
 * ===================== Layer 2: the Noise engine (tests only) ===========
 */

/* CipherState: k is valid only when has_key; n is the next nonce. */
struct pd_noise_cipher {
	uint8_t k[PD_NOISE_KEY_LEN];
	uint64_t n;
	int has_key;
};

/* SymmetricState (Noise rev 34 §5.2). */
struct pd_noise_sym {
	uint8_t h[PD_NOISE_HASH_LEN];
	uint8_t ck[PD_NOISE_HASH_LEN];
	struct pd_noise_cipher cs;
};

/*
 * HandshakeState for XX.  msg is the index of the next message (0..2;
 * 3 = all messages done, 4 = split and wiped).  Keys: s/e ours (sk, pk),
 * re/rs the remote's.
 */
struct pd_noise_xx {
	struct pd_noise_sym ss;
	int initiator;
	int msg;
	uint8_t s_sk[PD_NOISE_DH_LEN], s_pk[PD_NOISE_DH_LEN];
	uint8_t e_sk[PD_NOISE_DH_LEN], e_pk[PD_NOISE_DH_LEN];
	uint8_t re[PD_NOISE_DH_LEN], rs[PD_NOISE_DH_LEN];
};

/*
 * Encrypt len bytes of pt with ad into out (len + PD_NOISE_TAG_LEN bytes;
 * may not overlap pt), using and incrementing cs->n.  Without a key, copies
 * pt.  Returns 0 or PD_ERR_PROTOCOL (nonce exhausted).
 */
int pd_noise_cipher_encrypt(struct pd_noise_cipher *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *pt, size_t len, uint8_t *out);
/*
 * Decrypt len bytes of ct (including the tag) into out (len - 16 bytes).
 * Returns 0 or PD_ERR_PROTOCOL (too short, forged, nonce exhausted); n
 * advances only on success.  Without a key, copies ct.
 */
int pd_noise_cipher_decrypt(struct pd_noise_cipher *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *ct, size_t len, uint8_t *out);

/* InitializeSymmetric with a 32-byte protocol name (h = name, ck = h). */
void pd_noise_sym_init(struct pd_noise_sym *ss,
    const uint8_t name[PD_NOISE_HASH_LEN]);
/* MixHash: h = SHA-256(h ‖ d); d may be NULL when len is 0. */
void pd_noise_sym_mix_hash(struct pd_noise_sym *ss, const uint8_t *d,
    size_t len);
/* MixKey: (ck, k) = HKDF(ck, ikm), n = 0. */
void pd_noise_sym_mix_key(struct pd_noise_sym *ss, const uint8_t *ikm,
    size_t len);
/* Append EncryptAndHash(pt) to out.  0, PD_ERR_NOMEM/OVERFLOW/PROTOCOL. */
int pd_noise_sym_encrypt_and_hash(struct pd_noise_sym *ss, const uint8_t *pt,
    size_t len, struct pd_buf *out);
/* Append DecryptAndHash(ct) to out.  0, PD_ERR_PROTOCOL, PD_ERR_NOMEM. */
int pd_noise_sym_decrypt_and_hash(struct pd_noise_sym *ss, const uint8_t *ct,
    size_t len, struct pd_buf *out);
/* Split into (c1, c2) with n = 0; the symmetric state is wiped. */
void pd_noise_sym_split(struct pd_noise_sym *ss, struct pd_noise_cipher *c1,
    struct pd_noise_cipher *c2);

/*
 * Initialise an XX handshake: Initialize(PD_NOISE_NAME), MixHash(prologue).
 * s_sk is our static private key (required); e_sk the ephemeral one, or
 * NULL to draw it at random (tests inject it).  Returns 0 or PD_ERR_INVAL.
 */
int pd_noise_xx_init(struct pd_noise_xx *xx, int initiator,
    const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_sk[PD_NOISE_DH_LEN], const uint8_t *e_sk);
/*
 * Write the next handshake message (unframed) with payload to out.
 * Returns 0, PD_ERR_INVAL (not our turn / done), PD_ERR_OVERFLOW (message
 * over PD_NOISE_MAX_MSG), PD_ERR_PROTOCOL (DH failure), PD_ERR_NOMEM.
 */
int pd_noise_xx_write(struct pd_noise_xx *xx, const uint8_t *payload,
    size_t len, struct pd_buf *out);
/*
 * Read the next handshake message (unframed), appending its payload to
 * ret_payload.  After message 2 (initiator) or 3 (responder) xx->rs holds
 * the remote static key.  Returns 0, PD_ERR_INVAL (not our turn),
 * PD_ERR_PROTOCOL (too short, too long, DH or decryption failure),
 * PD_ERR_NOMEM.  On failure the state must be discarded.
 */
int pd_noise_xx_read(struct pd_noise_xx *xx, const uint8_t *msg, size_t len,
    struct pd_buf *ret_payload);
/*
 * After the third message: the handshake hash into ret_h (may be NULL),
 * the cipher states for sending and receiving (initiator sends with k1),
 * then the handshake secrets are wiped.  0 or PD_ERR_INVAL (not finished).
 */
int pd_noise_xx_split(struct pd_noise_xx *xx, uint8_t *ret_h,
    struct pd_noise_cipher *ret_send, struct pd_noise_cipher *ret_recv);
/* Wipe every secret in xx. */
void pd_noise_xx_clear(struct pd_noise_xx *xx);

#endif
