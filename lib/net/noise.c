/*
 * noise.c - the libp2p Noise secure channel, sans-IO (libp2p-wire.md §5).
 *
 * Bottom half: Noise_XX_25519_ChaChaPoly_SHA256 exactly as the Noise
 * Protocol Framework (rev 34) defines it: CipherState, SymmetricState
 * (h, ck, MixHash, MixKey via HKDF over HMAC-SHA256, EncryptAndHash,
 * DecryptAndHash, Split) and the three XX messages, on libsodium.  Keys
 * and the prologue can be injected, which is how the unit test replays
 * the cacophony vector.
 *
 * Top half: what libp2p adds (§5.2, §5.5, §5.6): BE16 framing of every
 * message, an empty prologue, a fresh static key per handshake, the
 * NoiseHandshakePayload protobuf carrying our identity key and its
 * signature over "noise-libp2p-static-key:" ‖ static key, verification of
 * the remote's payload (lib/crypto), the peer-ID check for dialers, and
 * the transport frames.  It is fed bytes and appends bytes to a pd_buf;
 * lib/net/conn.c moves them between the socket and these functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "net/noise.h"

#define NOISE_PREFIX_LEN (sizeof(PD_NOISE_SIG_PREFIX) - 1)	/* 24 */
#define NOISE_SIGNED_LEN (NOISE_PREFIX_LEN + PD_NOISE_DH_LEN)	/* 56 */
#define NOISE_ENC_KEY_LEN (PD_NOISE_DH_LEN + PD_NOISE_TAG_LEN)	/* 48 */
#define NOISE_NONCE_MAX UINT64_MAX	/* reserved, never used (rev 34 §5.1) */

/* Payload field numbers (§5.5). */
#define NOISE_PB_IDENTITY_KEY 1
#define NOISE_PB_IDENTITY_SIG 2
#define NOISE_PB_EXTENSIONS 4

/* ----------------------------------------------------------------------
 * CipherState
 */

static void
noise_nonce(uint64_t n, uint8_t out[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
	/* 32 bits of zeros followed by the little-endian 64-bit counter. */
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

int
pd_noise_cipher_encrypt(struct pd_noise_cipher *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *pt, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	static const uint8_t empty[1];

	if (!cs->has_key) {
		if (len > 0)
			memcpy(out, pt, len);
		return 0;
	}
	if (cs->n == NOISE_NONCE_MAX)
		return PD_ERR_PROTOCOL;
	noise_nonce(cs->n, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL,
	    len ? pt : empty, len, adlen ? ad : empty, adlen, NULL, nonce,
	    cs->k);
	cs->n++;
	return 0;
}

int
pd_noise_cipher_decrypt(struct pd_noise_cipher *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *ct, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	static const uint8_t empty[1];

	if (!cs->has_key) {
		if (len > 0)
			memcpy(out, ct, len);
		return 0;
	}
	if (len < PD_NOISE_TAG_LEN || cs->n == NOISE_NONCE_MAX)
		return PD_ERR_PROTOCOL;
	noise_nonce(cs->n, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, len,
	    adlen ? ad : empty, adlen, nonce, cs->k) != 0)
		return PD_ERR_PROTOCOL;
	cs->n++;
	return 0;
}

static void
noise_cipher_set(struct pd_noise_cipher *cs, const uint8_t k[PD_NOISE_KEY_LEN])
{
	memcpy(cs->k, k, PD_NOISE_KEY_LEN);
	cs->n = 0;
	cs->has_key = 1;
}

/* ----------------------------------------------------------------------
 * SymmetricState
 */

/* HMAC-SHA256(key, a ‖ b); key is HASHLEN bytes. */
static void
noise_hmac(const uint8_t key[PD_NOISE_HASH_LEN], const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[PD_NOISE_HASH_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, PD_NOISE_HASH_LEN);
	if (alen > 0)
		crypto_auth_hmacsha256_update(&st, a, alen);
	if (blen > 0)
		crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* HKDF with two outputs (rev 34 §4.3); outputs may alias ck. */
static void
noise_hkdf(const uint8_t ck[PD_NOISE_HASH_LEN], const uint8_t *ikm,
    size_t len, uint8_t o1[PD_NOISE_HASH_LEN], uint8_t o2[PD_NOISE_HASH_LEN])
{
	static const uint8_t one = 0x01, two = 0x02;
	uint8_t t[PD_NOISE_HASH_LEN], t1[PD_NOISE_HASH_LEN];

	noise_hmac(ck, ikm, len, NULL, 0, t);
	noise_hmac(t, &one, 1, NULL, 0, t1);
	noise_hmac(t, t1, sizeof(t1), &two, 1, o2);
	memcpy(o1, t1, sizeof(t1));
	sodium_memzero(t, sizeof(t));
	sodium_memzero(t1, sizeof(t1));
}

void
pd_noise_sym_init(struct pd_noise_sym *ss,
    const uint8_t name[PD_NOISE_HASH_LEN])
{
	/* A name of exactly HASHLEN bytes is used as h unhashed (§14.2). */
	memcpy(ss->h, name, PD_NOISE_HASH_LEN);
	memcpy(ss->ck, name, PD_NOISE_HASH_LEN);
	sodium_memzero(&ss->cs, sizeof(ss->cs));
}

void
pd_noise_sym_mix_hash(struct pd_noise_sym *ss, const uint8_t *d, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, ss->h, PD_NOISE_HASH_LEN);
	if (len > 0)
		crypto_hash_sha256_update(&st, d, len);
	crypto_hash_sha256_final(&st, ss->h);
}

void
pd_noise_sym_mix_key(struct pd_noise_sym *ss, const uint8_t *ikm, size_t len)
{
	uint8_t k[PD_NOISE_HASH_LEN];

	noise_hkdf(ss->ck, ikm, len, ss->ck, k);
	noise_cipher_set(&ss->cs, k);	/* HASHLEN 32: no truncation */
	sodium_memzero(k, sizeof(k));
}

/* EncryptAndHash into out (len + tag bytes when keyed); returns bytes. */
static int
noise_sym_seal(struct pd_noise_sym *ss, const uint8_t *pt, size_t len,
    uint8_t *out, size_t *ret_n)
{
	size_t n = len + (ss->cs.has_key ? PD_NOISE_TAG_LEN : 0);
	int r;

	if ((r = pd_noise_cipher_encrypt(&ss->cs, ss->h, PD_NOISE_HASH_LEN,
	    pt, len, out)) < 0)
		return r;
	pd_noise_sym_mix_hash(ss, out, n);
	*ret_n = n;
	return 0;
}

/* DecryptAndHash of len bytes of ct into out; MixHash covers ct. */
static int
noise_sym_open(struct pd_noise_sym *ss, const uint8_t *ct, size_t len,
    uint8_t *out, size_t *ret_n)
{
	int r;

	if ((r = pd_noise_cipher_decrypt(&ss->cs, ss->h, PD_NOISE_HASH_LEN,
	    ct, len, out)) < 0)
		return r;
	pd_noise_sym_mix_hash(ss, ct, len);
	*ret_n = len - (ss->cs.has_key ? PD_NOISE_TAG_LEN : 0);
	return 0;
}

int
pd_noise_sym_encrypt_and_hash(struct pd_noise_sym *ss, const uint8_t *pt,
    size_t len, struct pd_buf *out)
{
	size_t n;
	int r;

	if ((r = pd_buf_reserve(out, len + PD_NOISE_TAG_LEN)) < 0)
		return r;
	if ((r = noise_sym_seal(ss, pt, len, out->data + out->len, &n)) < 0)
		return r;
	out->len += n;
	return 0;
}

int
pd_noise_sym_decrypt_and_hash(struct pd_noise_sym *ss, const uint8_t *ct,
    size_t len, struct pd_buf *out)
{
	size_t n;
	int r;

	if (ss->cs.has_key && len < PD_NOISE_TAG_LEN)
		return PD_ERR_PROTOCOL;
	if (len == 0) {
		pd_noise_sym_mix_hash(ss, ct, 0);
		return 0;
	}
	if ((r = pd_buf_reserve(out, len)) < 0)
		return r;
	if ((r = noise_sym_open(ss, ct, len, out->data + out->len, &n)) < 0)
		return r;
	out->len += n;
	return 0;
}

void
pd_noise_sym_split(struct pd_noise_sym *ss, struct pd_noise_cipher *c1,
    struct pd_noise_cipher *c2)
{
	uint8_t k1[PD_NOISE_HASH_LEN], k2[PD_NOISE_HASH_LEN];

	noise_hkdf(ss->ck, NULL, 0, k1, k2);
	noise_cipher_set(c1, k1);
	noise_cipher_set(c2, k2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	sodium_memzero(ss->ck, sizeof(ss->ck));
	sodium_memzero(&ss->cs, sizeof(ss->cs));
}

/* ----------------------------------------------------------------------
 * XX handshake
 */

/* MixKey(DH(sk, pk)); a low-order or zero result fails (§5.1). */
static int
noise_xx_dh_mix(struct pd_noise_xx *xx, const uint8_t *sk, const uint8_t *pk)
{
	uint8_t shared[PD_NOISE_DH_LEN];

	if (crypto_scalarmult(shared, sk, pk) != 0) {
		sodium_memzero(shared, sizeof(shared));
		return PD_ERR_PROTOCOL;
	}
	pd_noise_sym_mix_key(&xx->ss, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

int
pd_noise_xx_init(struct pd_noise_xx *xx, int initiator,
    const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_sk[PD_NOISE_DH_LEN], const uint8_t *e_sk)
{
	if (xx == NULL || s_sk == NULL || (prologue == NULL && prologue_len))
		return PD_ERR_INVAL;
	if (sodium_init() < 0)
		return PD_ERR_UNAVAILABLE;
	memset(xx, 0, sizeof(*xx));
	xx->initiator = initiator ? 1 : 0;
	memcpy(xx->s_sk, s_sk, PD_NOISE_DH_LEN);
	if (e_sk != NULL)
		memcpy(xx->e_sk, e_sk, PD_NOISE_DH_LEN);
	else
		randombytes_buf(xx->e_sk, PD_NOISE_DH_LEN);
	if (crypto_scalarmult_base(xx->s_pk, xx->s_sk) != 0 ||
	    crypto_scalarmult_base(xx->e_pk, xx->e_sk) != 0) {
		pd_noise_xx_clear(xx);
		return PD_ERR_INVAL;
	}
	pd_noise_sym_init(&xx->ss, (const uint8_t *)PD_NOISE_NAME);
	pd_noise_sym_mix_hash(&xx->ss, prologue, prologue_len);
	return 0;
}

/* True if the next message is ours to write. */
static int
noise_xx_our_turn(const struct pd_noise_xx *xx)
{
	return xx->msg < 3 && (xx->msg % 2 == 0) == (xx->initiator == 1);
}

/* Size of message xx->msg carrying a payload of len bytes. */
static size_t
noise_xx_msg_len(const struct pd_noise_xx *xx, size_t len)
{
	switch (xx->msg) {
	case 0:
		return PD_NOISE_DH_LEN + len;
	case 1:
		return PD_NOISE_DH_LEN + NOISE_ENC_KEY_LEN + len +
		    PD_NOISE_TAG_LEN;
	default:
		return NOISE_ENC_KEY_LEN + len + PD_NOISE_TAG_LEN;
	}
}

static int
noise_xx_write_tokens(struct pd_noise_xx *xx, const uint8_t *payload,
    size_t len, uint8_t *p)
{
	size_t n = 0, m;
	int r;

	switch (xx->msg) {
	case 0:		/* -> e */
		memcpy(p, xx->e_pk, PD_NOISE_DH_LEN);
		pd_noise_sym_mix_hash(&xx->ss, xx->e_pk, PD_NOISE_DH_LEN);
		n = PD_NOISE_DH_LEN;
		break;
	case 1:		/* <- e, ee, s, es */
		memcpy(p, xx->e_pk, PD_NOISE_DH_LEN);
		pd_noise_sym_mix_hash(&xx->ss, xx->e_pk, PD_NOISE_DH_LEN);
		n = PD_NOISE_DH_LEN;
		if ((r = noise_xx_dh_mix(xx, xx->e_sk, xx->re)) < 0)
			return r;
		if ((r = noise_sym_seal(&xx->ss, xx->s_pk, PD_NOISE_DH_LEN,
		    p + n, &m)) < 0)
			return r;
		n += m;
		if ((r = noise_xx_dh_mix(xx, xx->s_sk, xx->re)) < 0)
			return r;
		break;
	default:	/* -> s, se */
		if ((r = noise_sym_seal(&xx->ss, xx->s_pk, PD_NOISE_DH_LEN,
		    p, &m)) < 0)
			return r;
		n = m;
		if ((r = noise_xx_dh_mix(xx, xx->s_sk, xx->re)) < 0)
			return r;
		break;
	}
	return noise_sym_seal(&xx->ss, payload, len, p + n, &m);
}

int
pd_noise_xx_write(struct pd_noise_xx *xx, const uint8_t *payload,
    size_t len, struct pd_buf *out)
{
	size_t total;
	int r;

	if (!noise_xx_our_turn(xx) || (payload == NULL && len > 0))
		return PD_ERR_INVAL;
	if (len > PD_NOISE_MAX_MSG ||
	    (total = noise_xx_msg_len(xx, len)) > PD_NOISE_MAX_MSG)
		return PD_ERR_OVERFLOW;
	if ((r = pd_buf_reserve(out, total)) < 0)
		return r;
	if ((r = noise_xx_write_tokens(xx, payload, len,
	    out->data + out->len)) < 0)
		return r;
	out->len += total;
	xx->msg++;
	return 0;
}

static int
noise_xx_read_tokens(struct pd_noise_xx *xx, const uint8_t *msg, size_t len,
    size_t *ret_off)
{
	size_t off = 0, m;
	int r;

	if (xx->msg != 2) {	/* e */
		memcpy(xx->re, msg, PD_NOISE_DH_LEN);
		pd_noise_sym_mix_hash(&xx->ss, xx->re, PD_NOISE_DH_LEN);
		off = PD_NOISE_DH_LEN;
	}
	if (xx->msg == 1) {	/* ee, s, es */
		if ((r = noise_xx_dh_mix(xx, xx->e_sk, xx->re)) < 0)
			return r;
		if ((r = noise_sym_open(&xx->ss, msg + off, NOISE_ENC_KEY_LEN,
		    xx->rs, &m)) < 0)
			return r;
		off += NOISE_ENC_KEY_LEN;
		if ((r = noise_xx_dh_mix(xx, xx->e_sk, xx->rs)) < 0)
			return r;
	} else if (xx->msg == 2) {	/* s, se */
		if ((r = noise_sym_open(&xx->ss, msg, NOISE_ENC_KEY_LEN,
		    xx->rs, &m)) < 0)
			return r;
		off = NOISE_ENC_KEY_LEN;
		if ((r = noise_xx_dh_mix(xx, xx->e_sk, xx->rs)) < 0)
			return r;
	}
	(void)len;
	*ret_off = off;
	return 0;
}

int
pd_noise_xx_read(struct pd_noise_xx *xx, const uint8_t *msg, size_t len,
    struct pd_buf *ret_payload)
{
	size_t off;
	int r;

	if (xx->msg >= 3 || noise_xx_our_turn(xx) ||
	    (msg == NULL && len > 0))
		return PD_ERR_INVAL;
	/* The smallest message of this step is the one with no payload. */
	if (len > PD_NOISE_MAX_MSG || len < noise_xx_msg_len(xx, 0))
		return PD_ERR_PROTOCOL;
	if ((r = noise_xx_read_tokens(xx, msg, len, &off)) < 0)
		return r;
	if ((r = pd_noise_sym_decrypt_and_hash(&xx->ss, msg + off, len - off,
	    ret_payload)) < 0)
		return r;
	xx->msg++;
	return 0;
}

int
pd_noise_xx_split(struct pd_noise_xx *xx, uint8_t *ret_h,
    struct pd_noise_cipher *ret_send, struct pd_noise_cipher *ret_recv)
{
	struct pd_noise_cipher c1, c2;

	if (xx->msg != 3)
		return PD_ERR_INVAL;
	if (ret_h != NULL)
		memcpy(ret_h, xx->ss.h, PD_NOISE_HASH_LEN);
	pd_noise_sym_split(&xx->ss, &c1, &c2);
	/* The initiator sends with k1 and receives with k2 (§5.3). */
	*ret_send = xx->initiator ? c1 : c2;
	*ret_recv = xx->initiator ? c2 : c1;
	sodium_memzero(&c1, sizeof(c1));
	sodium_memzero(&c2, sizeof(c2));
	pd_noise_xx_clear(xx);
	xx->msg = 4;		/* split done: nothing more to do */
	return 0;
}

void
pd_noise_xx_clear(struct pd_noise_xx *xx)
{
	sodium_memzero(xx, sizeof(*xx));
}

/* ----------------------------------------------------------------------
 * libp2p handshake
 */

enum noise_state {
	NOISE_SEND_MSG1,	/* initiator, before its first call */
	NOISE_READ_MSG1,	/* responder */
	NOISE_READ_MSG2,	/* initiator */
	NOISE_READ_MSG3,	/* responder */
	NOISE_DONE,		/* transport phase */
	NOISE_DEAD,		/* failed: every call fails */
};

/*
 * Invariants: xx is live only before NOISE_DONE; tx/rx are keyed only in
 * NOISE_DONE; hbuf holds at most one partial handshake frame (<= 2 +
 * PD_NOISE_MAX_MSG bytes); rbuf holds transport bytes not yet decrypted:
 * what followed msg 3, then at most one partial frame.  rkey/rpeer are
 * valid from NOISE_DONE on.
 */
struct pd_noise {
	enum pd_noise_role role;
	enum noise_state state;
	struct pd_noise_xx xx;
	struct pd_buf payload;		/* our encoded handshake payload */
	struct pd_buf hbuf;		/* handshake frame being assembled */
	struct pd_buf rbuf;		/* transport bytes waiting */
	struct pd_noise_cipher tx, rx;
	int has_expected;
	struct pd_peerid expected;
	struct pd_pubkey rkey;
	struct pd_peerid rpeer;
	char why[PD_NOISE_MAX_WHY];
};

static uint16_t
noise_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
noise_put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
noise_set_why(struct pd_noise *nz, const char *fmt, const char *detail)
{
	snprintf(nz->why, sizeof(nz->why), fmt, detail ? detail : "");
}

/* Enter the dead state: wipe every secret and remember why. */
static int
noise_fail(struct pd_noise *nz, int err, const char *why)
{
	if (why != NULL)
		noise_set_why(nz, "%s", why);
	else if (nz->why[0] == '\0')
		noise_set_why(nz, "%s", pd_strerror(err));
	nz->state = NOISE_DEAD;
	pd_noise_xx_clear(&nz->xx);
	sodium_memzero(&nz->tx, sizeof(nz->tx));
	sodium_memzero(&nz->rx, sizeof(nz->rx));
	pd_buf_free(&nz->hbuf);
	pd_buf_free(&nz->rbuf);
	return err;
}

int
pd_noise_new(enum pd_noise_role role, const uint8_t *identity_key,
    size_t identity_key_len, pd_noise_sign_cb sign, void *sign_arg,
    const struct pd_peerid *expected, struct pd_noise **ret_nz)
{
	struct pd_pubkey *own = NULL;
	struct pd_noise *nz = NULL;
	uint8_t s_sk[PD_NOISE_DH_LEN];
	uint8_t msg[NOISE_SIGNED_LEN];
	uint8_t sig[PD_KEY_MAX_SIG];
	size_t siglen = sizeof(sig);
	int r;

	if ((role != PD_NOISE_INITIATOR && role != PD_NOISE_RESPONDER) ||
	    identity_key == NULL || identity_key_len == 0 ||
	    identity_key_len > PD_KEY_MAX_PUBKEY_PB || sign == NULL ||
	    ret_nz == NULL)
		return PD_ERR_INVAL;
	if (sodium_init() < 0)
		return PD_ERR_UNAVAILABLE;
	/* Our own key must be one the remote can decode. */
	if ((own = malloc(sizeof(*own))) == NULL)
		return PD_ERR_NOMEM;
	r = pd_pubkey_decode(identity_key, identity_key_len, own, NULL, 0);
	free(own);
	if (r < 0)
		return r == PD_ERR_NOMEM ? r : PD_ERR_INVAL;
	if ((nz = calloc(1, sizeof(*nz))) == NULL)
		return PD_ERR_NOMEM;
	nz->role = role;
	nz->state = role == PD_NOISE_INITIATOR ? NOISE_SEND_MSG1 :
	    NOISE_READ_MSG1;
	if (expected != NULL) {
		nz->expected = *expected;
		nz->has_expected = 1;
	}

	/* Fresh static key, never stored (§5.1); empty prologue. */
	randombytes_buf(s_sk, sizeof(s_sk));
	r = pd_noise_xx_init(&nz->xx, role == PD_NOISE_INITIATOR, NULL, 0,
	    s_sk, NULL);
	sodium_memzero(s_sk, sizeof(s_sk));
	if (r < 0)
		goto fail;

	memcpy(msg, PD_NOISE_SIG_PREFIX, NOISE_PREFIX_LEN);
	memcpy(msg + NOISE_PREFIX_LEN, nz->xx.s_pk, PD_NOISE_DH_LEN);
	if ((r = sign(sign_arg, msg, sizeof(msg), sig, &siglen)) < 0)
		goto fail;
	if (siglen == 0 || siglen > sizeof(sig)) {
		r = PD_ERR_INVAL;
		goto fail;
	}
	if ((r = pd_pb_put_bytes(&nz->payload, NOISE_PB_IDENTITY_KEY,
	    identity_key, identity_key_len)) < 0 ||
	    (r = pd_pb_put_bytes(&nz->payload, NOISE_PB_IDENTITY_SIG, sig,
	    siglen)) < 0)
		goto fail;
	*ret_nz = nz;
	return 0;
fail:
	pd_noise_free(nz);
	return r;
}

void
pd_noise_free(struct pd_noise *nz)
{
	if (nz == NULL)
		return;
	pd_buf_free(&nz->payload);
	pd_buf_free(&nz->hbuf);
	pd_buf_free(&nz->rbuf);
	sodium_memzero(nz, sizeof(*nz));
	free(nz);
}

/*
 * Check the remote's NoiseHandshakePayload against the static key the
 * handshake gave us (§5.5) and record its identity.  Extensions (field 4)
 * are never acted on, so they are skipped unparsed; the message size
 * bounds them.
 */
static int
noise_check_payload(struct pd_noise *nz, const uint8_t *p, size_t len)
{
	struct pd_pb_reader rd;
	struct pd_pb_field f;
	const uint8_t *key = NULL, *sig = NULL;
	size_t keylen = 0, siglen = 0;
	uint8_t msg[NOISE_SIGNED_LEN];
	char kwhy[PD_NOISE_MAX_WHY / 2];
	struct pd_peerid id;
	int r;

	pd_pb_reader_init(&rd, p, len);
	while ((r = pd_pb_next(&rd, &f)) == 1) {
		if (f.num != NOISE_PB_IDENTITY_KEY &&
		    f.num != NOISE_PB_IDENTITY_SIG &&
		    f.num != NOISE_PB_EXTENSIONS)
			continue;		/* unknown field: ignored */
		if (f.wire != PD_PB_LEN)
			return noise_fail(nz, PD_ERR_MALFORMED,
			    "handshake payload field has the wrong wire type");
		if (f.num == NOISE_PB_IDENTITY_KEY) {
			key = f.data;
			keylen = f.len;
		} else if (f.num == NOISE_PB_IDENTITY_SIG) {
			sig = f.data;
			siglen = f.len;
		}
	}
	if (r < 0)
		return noise_fail(nz, PD_ERR_MALFORMED,
		    "handshake payload is not a protobuf");
	if (key == NULL || keylen == 0 || sig == NULL || siglen == 0)
		return noise_fail(nz, PD_ERR_MALFORMED,
		    "handshake payload lacks identity key or signature");
	if (keylen > PD_KEY_MAX_PUBKEY_PB || siglen > PD_KEY_MAX_SIG)
		return noise_fail(nz, PD_ERR_MALFORMED,
		    "handshake payload identity key or signature too long");
	kwhy[0] = '\0';
	if ((r = pd_pubkey_decode(key, keylen, &nz->rkey, kwhy,
	    sizeof(kwhy))) < 0) {
		noise_set_why(nz, "remote identity key: %s", kwhy);
		return noise_fail(nz, r == PD_ERR_UNSUPPORTED ||
		    r == PD_ERR_NOMEM ? r : PD_ERR_BAD_KEY, NULL);
	}
	memcpy(msg, PD_NOISE_SIG_PREFIX, NOISE_PREFIX_LEN);
	memcpy(msg + NOISE_PREFIX_LEN, nz->xx.rs, PD_NOISE_DH_LEN);
	if ((r = pd_pubkey_verify(&nz->rkey, msg, sizeof(msg), sig,
	    siglen)) < 0)
		return noise_fail(nz, r == PD_ERR_NOMEM ? r :
		    PD_ERR_BAD_SIGNATURE,
		    "remote signature over the static key does not verify");
	if ((r = pd_peerid_from_pubkey(&nz->rkey, &id)) < 0)
		return noise_fail(nz, PD_ERR_BAD_KEY,
		    "cannot derive the remote peer ID");
	if (nz->has_expected && !pd_peerid_equal(&id, &nz->expected))
		return noise_fail(nz, PD_ERR_BAD_KEY,
		    "remote peer ID differs from the one dialed");
	nz->rpeer = id;
	return 0;
}

/* Append BE16(len) ‖ the next handshake message carrying payload. */
static int
noise_write_frame(struct pd_noise *nz, const uint8_t *payload, size_t len,
    struct pd_buf *out)
{
	size_t at = out->len;
	uint8_t hdr[PD_NOISE_FRAME_HDR] = { 0, 0 };
	int r;

	if ((r = pd_buf_append(out, hdr, sizeof(hdr))) < 0)
		return r;
	if ((r = pd_noise_xx_write(&nz->xx, payload, len, out)) < 0) {
		out->len = at;
		return r;
	}
	noise_put_be16(out->data + at, out->len - at - PD_NOISE_FRAME_HDR);
	return 0;
}

/* Handshake completed on our side: derive the transport keys. */
static int
noise_finish(struct pd_noise *nz)
{
	int r;

	if ((r = pd_noise_xx_split(&nz->xx, NULL, &nz->tx, &nz->rx)) < 0)
		return r;
	nz->state = NOISE_DONE;
	return 0;
}

/* Process one complete handshake message (unframed). */
static int
noise_on_message(struct pd_noise *nz, const uint8_t *msg, size_t len,
    struct pd_buf *out)
{
	struct pd_buf payload;
	int r;

	pd_buf_init(&payload);
	if ((r = pd_noise_xx_read(&nz->xx, msg, len, &payload)) < 0) {
		pd_buf_free(&payload);
		return noise_fail(nz, r, r == PD_ERR_PROTOCOL ?
		    "handshake message failed to decrypt or is too short" :
		    NULL);
	}
	switch (nz->state) {
	case NOISE_READ_MSG1:
		/* Msg 1 carries no payload in libp2p; anything is ignored. */
		pd_buf_free(&payload);
		if ((r = noise_write_frame(nz, nz->payload.data,
		    nz->payload.len, out)) < 0)
			return noise_fail(nz, r, NULL);
		nz->state = NOISE_READ_MSG3;
		return 0;
	case NOISE_READ_MSG2:
		r = noise_check_payload(nz, payload.data, payload.len);
		pd_buf_free(&payload);
		if (r < 0)
			return r;
		if ((r = noise_write_frame(nz, nz->payload.data,
		    nz->payload.len, out)) < 0 ||
		    (r = noise_finish(nz)) < 0)
			return noise_fail(nz, r, NULL);
		return 0;
	default:	/* NOISE_READ_MSG3 */
		r = noise_check_payload(nz, payload.data, payload.len);
		pd_buf_free(&payload);
		if (r < 0)
			return r;
		if ((r = noise_finish(nz)) < 0)
			return noise_fail(nz, r, NULL);
		return 0;
	}
}

int
pd_noise_handshake(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out)
{
	size_t orig = out->len, need, take;
	int r;

	if (nz->state == NOISE_DONE || nz->state == NOISE_DEAD ||
	    (in == NULL && len > 0))
		return PD_ERR_INVAL;
	if (nz->state == NOISE_SEND_MSG1) {
		/* -> e, with an empty payload (§5.4). */
		if ((r = noise_write_frame(nz, NULL, 0, out)) < 0)
			return noise_fail(nz, r, NULL);
		nz->state = NOISE_READ_MSG2;
	}
	while (len > 0 && nz->state != NOISE_DONE) {
		struct pd_buf *h = &nz->hbuf;

		if (h->len < PD_NOISE_FRAME_HDR)
			need = PD_NOISE_FRAME_HDR - h->len;
		else
			need = PD_NOISE_FRAME_HDR + noise_be16(h->data) - h->len;
		take = need < len ? need : len;
		if ((r = pd_buf_append(h, in, take)) < 0)
			goto fail;
		in += take;
		len -= take;
		if (h->len < PD_NOISE_FRAME_HDR ||
		    h->len < PD_NOISE_FRAME_HDR + (size_t)noise_be16(h->data))
			continue;
		r = noise_on_message(nz, h->data + PD_NOISE_FRAME_HDR,
		    h->len - PD_NOISE_FRAME_HDR, out);
		pd_buf_reset(h);
		if (r < 0)
			goto fail;
	}
	if (nz->state != NOISE_DONE)
		return 0;
	pd_buf_free(&nz->hbuf);
	pd_buf_free(&nz->payload);
	/* Whatever followed msg 3 is transport data: keep it. */
	if (len > 0 && (r = pd_buf_append(&nz->rbuf, in, len)) < 0)
		goto fail;
	return 1;
fail:
	if (nz->state != NOISE_DEAD)
		noise_fail(nz, r, NULL);
	if (out->len > orig)
		sodium_memzero(out->data + orig, out->len - orig);
	out->len = orig;
	return r;
}

int
pd_noise_done(const struct pd_noise *nz)
{
	return nz->state == NOISE_DONE;
}

const struct pd_peerid *
pd_noise_remote_peer(const struct pd_noise *nz)
{
	return nz->state == NOISE_DONE ? &nz->rpeer : NULL;
}

const struct pd_pubkey *
pd_noise_remote_pubkey(const struct pd_noise *nz)
{
	return nz->state == NOISE_DONE ? &nz->rkey : NULL;
}

const char *
pd_noise_why(const struct pd_noise *nz)
{
	return nz->why;
}

size_t
pd_noise_pending(const struct pd_noise *nz)
{
	return nz->rbuf.len;
}

/* ----------------------------------------------------------------------
 * Transport phase
 */

int
pd_noise_encrypt(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out)
{
	size_t frames, total, orig = out->len;
	int r;

	if (nz->state != NOISE_DONE || (in == NULL && len > 0))
		return PD_ERR_INVAL;
	if (len == 0)
		return 0;
	frames = (len + PD_NOISE_MAX_PLAINTEXT - 1) / PD_NOISE_MAX_PLAINTEXT;
	if (frames > (SIZE_MAX - len) / (PD_NOISE_FRAME_HDR + PD_NOISE_TAG_LEN))
		return PD_ERR_OVERFLOW;
	total = len + frames * (PD_NOISE_FRAME_HDR + PD_NOISE_TAG_LEN);
	if ((r = pd_buf_reserve(out, total)) < 0)
		return r;
	while (len > 0) {
		size_t n = len < PD_NOISE_MAX_PLAINTEXT ? len :
		    PD_NOISE_MAX_PLAINTEXT;
		uint8_t *p = out->data + out->len;

		noise_put_be16(p, n + PD_NOISE_TAG_LEN);
		if ((r = pd_noise_cipher_encrypt(&nz->tx, NULL, 0, in, n,
		    p + PD_NOISE_FRAME_HDR)) < 0) {
			out->len = orig;
			return noise_fail(nz, r, "send nonce exhausted");
		}
		out->len += PD_NOISE_FRAME_HDR + n + PD_NOISE_TAG_LEN;
		in += n;
		len -= n;
	}
	return 0;
}

/* Decrypt one transport message (unframed) onto out. */
static int
noise_open_frame(struct pd_noise *nz, const uint8_t *ct, size_t len,
    struct pd_buf *out)
{
	int r;

	if (len < PD_NOISE_TAG_LEN)
		return PD_ERR_PROTOCOL;
	if (len == PD_NOISE_TAG_LEN) {
		uint8_t none[1];

		return pd_noise_cipher_decrypt(&nz->rx, NULL, 0, ct, len, none);
	}
	if ((r = pd_buf_reserve(out, len - PD_NOISE_TAG_LEN)) < 0)
		return r;
	if ((r = pd_noise_cipher_decrypt(&nz->rx, NULL, 0, ct, len,
	    out->data + out->len)) < 0)
		return r;
	out->len += len - PD_NOISE_TAG_LEN;
	return 0;
}

/* Decrypt every complete frame at the start of p; *ret_used = bytes. */
static int
noise_open_frames(struct pd_noise *nz, const uint8_t *p, size_t len,
    struct pd_buf *out, size_t *ret_used)
{
	size_t used = 0, flen;
	int r;

	while (len - used >= PD_NOISE_FRAME_HDR) {
		flen = noise_be16(p + used);
		if (len - used - PD_NOISE_FRAME_HDR < flen)
			break;
		if ((r = noise_open_frame(nz, p + used + PD_NOISE_FRAME_HDR,
		    flen, out)) < 0)
			return r;
		used += PD_NOISE_FRAME_HDR + flen;
	}
	*ret_used = used;
	return 0;
}

int
pd_noise_decrypt(struct pd_noise *nz, const uint8_t *in, size_t len,
    struct pd_buf *out)
{
	struct pd_buf *rb = &nz->rbuf;
	size_t orig = out->len, used, need, take;
	int r;

	if (nz->state != NOISE_DONE || (in == NULL && len > 0))
		return PD_ERR_INVAL;
	/* 1. Whole frames kept from the handshake's last input. */
	if (rb->len > 0) {
		if ((r = noise_open_frames(nz, rb->data, rb->len, out,
		    &used)) < 0)
			goto fail;
		pd_buf_consume(rb, used);
	}
	/* 2. Complete the one partial frame left in rb. */
	while (rb->len > 0 && len > 0) {
		if (rb->len < PD_NOISE_FRAME_HDR)
			need = PD_NOISE_FRAME_HDR - rb->len;
		else
			need = PD_NOISE_FRAME_HDR + noise_be16(rb->data) -
			    rb->len;
		take = need < len ? need : len;
		if ((r = pd_buf_append(rb, in, take)) < 0)
			goto fail;
		in += take;
		len -= take;
		if (rb->len < PD_NOISE_FRAME_HDR || rb->len <
		    PD_NOISE_FRAME_HDR + (size_t)noise_be16(rb->data))
			continue;
		r = noise_open_frame(nz, rb->data + PD_NOISE_FRAME_HDR,
		    rb->len - PD_NOISE_FRAME_HDR, out);
		pd_buf_reset(rb);
		if (r < 0)
			goto fail;
	}
	/* 3. Frames straight from the input; keep the partial tail. */
	if (len > 0) {
		if ((r = noise_open_frames(nz, in, len, out, &used)) < 0)
			goto fail;
		if (used < len &&
		    (r = pd_buf_append(rb, in + used, len - used)) < 0)
			goto fail;
	}
	return 0;
fail:
	noise_fail(nz, r, r == PD_ERR_PROTOCOL ?
	    "transport frame failed to authenticate" : NULL);
	if (out->len > orig)
		sodium_memzero(out->data + orig, out->len - orig);
	out->len = orig;
	return r;
}
