/*
 * check_noise.c - unit tests for lib/net/noise.c: the cacophony
 * Noise_XX_25519_ChaChaPoly_SHA256 known-answer vector (every handshake
 * and transport ciphertext, the handshake hash), libp2p's initial h, and
 * in-memory libp2p handshakes between real Ed25519 identities: peer IDs
 * learnt, expected-peer mismatch, tampered msg 2 / msg 3, bad and
 * misplaced signatures, malformed payloads, byte-at-a-time and random
 * chunking, leftovers after msg 3, transport round trips across the
 * 65519-byte frame limit, tampered, replayed and empty frames, and a
 * seeded random transport model test (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
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

#include "helpers.h"

static uint64_t nt_rng_state;

static uint64_t
nt_rng(void)
{
	return pd_test_rng(&nt_rng_state);
}

/* ------------------------------------------------------------------
 * Known answers
 */

/*
 * haskell-cryptography/cacophony vectors/cacophony.txt, entry
 * "Noise_XX_25519_ChaChaPoly_SHA256" (also in mcginty/snow
 * tests/vectors/cacophony.txt).  Messages 0-2 are the handshake
 * (initiator, responder, initiator); 3-5 are transport messages and
 * alternate starting with the responder.
 */
static const char cx_prologue[] = "4a6f686e2047616c74";
static const char cx_init_static[] =
    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
static const char cx_init_ephemeral[] =
    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
static const char cx_resp_static[] =
    "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
static const char cx_resp_ephemeral[] =
    "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
static const char cx_hash[] =
    "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e";
static const struct {
	const char *payload;
	const char *ciphertext;
} cx_msgs[6] = {
	{ "4c756477696720766f6e204d69736573",
	  "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
	  "4c756477696720766f6e204d69736573" },
	{ "4d757272617920526f746862617264",
	  "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
	  "81cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9"
	  "bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f"
	  "8814c7194e83f23dbd8d162c9326ad" },
	{ "462e20412e20486179656b",
	  "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8"
	  "0ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6"
	  "ae769a1d95941d49b25030" },
	{ "4361726c204d656e676572",
	  "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df" },
	{ "4a65616e2d426170746973746520536179",
	  "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5" },
	{ "457567656e2042f6686d20766f6e2042617765726b",
	  "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3"
	  "a58502ae3f" },
};

START_TEST(test_initial_h)
{
	struct pd_noise_sym ss;
	uint8_t want[32];

	ck_assert_uint_eq(strlen(PD_NOISE_NAME), 32);
	pd_noise_sym_init(&ss, (const uint8_t *)PD_NOISE_NAME);
	ck_assert_mem_eq(ss.h, PD_NOISE_NAME, 32);
	ck_assert_mem_eq(ss.ck, PD_NOISE_NAME, 32);
	ck_assert_int_eq(ss.cs.has_key, 0);
	pd_noise_sym_mix_hash(&ss, NULL, 0);
	pd_test_unhex("f3d15e6108ed9556171207baa58f97d29a13c6be40595166066e2e0958dc002d",
	    want, sizeof(want));
	ck_assert_mem_eq(ss.h, want, 32);
}
END_TEST

START_TEST(test_cacophony_xx)
{
	uint8_t pro[16], is[32], ie[32], rs[32], re[32], hash[32];
	uint8_t ct[256], pt[64], h_i[32], h_r[32], pub[32];
	struct pd_noise_xx ini, resp;
	struct pd_noise_cipher i_tx, i_rx, r_tx, r_rx;
	struct pd_buf out, got;
	size_t prolen = pd_test_unhex(cx_prologue, pro, sizeof(pro));

	pd_test_unhex(cx_init_static, is, 32);
	pd_test_unhex(cx_init_ephemeral, ie, 32);
	pd_test_unhex(cx_resp_static, rs, 32);
	pd_test_unhex(cx_resp_ephemeral, re, 32);
	pd_test_unhex(cx_hash, hash, 32);
	ck_assert_int_eq(pd_noise_xx_init(&ini, 1, pro, prolen, is, ie), 0);
	ck_assert_int_eq(pd_noise_xx_init(&resp, 0, pro, prolen, rs, re), 0);
	pd_buf_init(&out);
	pd_buf_init(&got);

	for (int m = 0; m < 3; m++) {
		struct pd_noise_xx *w = m == 1 ? &resp : &ini;
		struct pd_noise_xx *r = m == 1 ? &ini : &resp;
		size_t plen = pd_test_unhex(cx_msgs[m].payload, pt, sizeof(pt));
		size_t clen = pd_test_unhex(cx_msgs[m].ciphertext, ct,
		    sizeof(ct));

		/* Reading out of turn is refused. */
		ck_assert_int_eq(pd_noise_xx_read(w, ct, clen, &got),
		    PD_ERR_INVAL);
		ck_assert_int_eq(pd_noise_xx_write(r, pt, plen, &out),
		    PD_ERR_INVAL);
		pd_buf_reset(&out);
		ck_assert_int_eq(pd_noise_xx_write(w, pt, plen, &out), 0);
		ck_assert_uint_eq(out.len, clen);
		ck_assert_mem_eq(out.data, ct, clen);
		pd_buf_reset(&got);
		ck_assert_int_eq(pd_noise_xx_read(r, ct, clen, &got), 0);
		ck_assert_uint_eq(got.len, plen);
		ck_assert_mem_eq(got.data, pt, plen);
	}
	/* Each side learnt the other's static key. */
	crypto_scalarmult_base(pub, rs);
	ck_assert_mem_eq(ini.rs, pub, 32);
	crypto_scalarmult_base(pub, is);
	ck_assert_mem_eq(resp.rs, pub, 32);

	ck_assert_int_eq(pd_noise_xx_split(&ini, h_i, &i_tx, &i_rx), 0);
	ck_assert_int_eq(pd_noise_xx_split(&resp, h_r, &r_tx, &r_rx), 0);
	ck_assert_mem_eq(h_i, hash, 32);
	ck_assert_mem_eq(h_r, hash, 32);
	ck_assert_int_eq(pd_noise_xx_split(&ini, h_i, &i_tx, &i_rx),
	    PD_ERR_INVAL);

	/* Transport: responder, initiator, responder; empty AD. */
	for (int m = 3; m < 6; m++) {
		struct pd_noise_cipher *tx = m % 2 ? &r_tx : &i_tx;
		struct pd_noise_cipher *rx = m % 2 ? &i_rx : &r_rx;
		size_t plen = pd_test_unhex(cx_msgs[m].payload, pt, sizeof(pt));
		size_t clen = pd_test_unhex(cx_msgs[m].ciphertext, ct,
		    sizeof(ct));
		uint8_t enc[80], dec[64];

		ck_assert_uint_eq(clen, plen + PD_NOISE_TAG_LEN);
		ck_assert_int_eq(pd_noise_cipher_encrypt(tx, NULL, 0, pt, plen,
		    enc), 0);
		ck_assert_mem_eq(enc, ct, clen);
		ck_assert_int_eq(pd_noise_cipher_decrypt(rx, NULL, 0, ct, clen,
		    dec), 0);
		ck_assert_mem_eq(dec, pt, plen);
	}
	pd_buf_free(&out);
	pd_buf_free(&got);
}
END_TEST

START_TEST(test_cacophony_tamper)
{
	uint8_t pro[16], is[32], ie[32], rs[32], re[32], ct[256], pt[32];
	struct pd_noise_xx ini, resp;
	struct pd_buf got;
	size_t prolen = pd_test_unhex(cx_prologue, pro, sizeof(pro));
	size_t plen, len;

	pd_test_unhex(cx_init_static, is, 32);
	pd_test_unhex(cx_init_ephemeral, ie, 32);
	pd_test_unhex(cx_resp_static, rs, 32);
	pd_test_unhex(cx_resp_ephemeral, re, 32);
	pd_buf_init(&got);
	/* Every byte of message 2 is authenticated: one flipped bit fails. */
	for (size_t i = 0; i < 111; i++) {
		ck_assert_int_eq(pd_noise_xx_init(&ini, 1, pro, prolen, is, ie),
		    0);
		plen = pd_test_unhex(cx_msgs[0].payload, pt, sizeof(pt));
		ck_assert_int_eq(pd_noise_xx_write(&ini, pt, plen, &got), 0);
		len = pd_test_unhex(cx_msgs[1].ciphertext, ct, sizeof(ct));
		ck_assert_uint_eq(len, 111);
		ct[i] ^= 0x01;
		pd_buf_reset(&got);
		ck_assert_int_eq(pd_noise_xx_read(&ini, ct, len, &got),
		    PD_ERR_PROTOCOL);
		pd_buf_reset(&got);
	}
	/* Message 3 likewise, at the responder. */
	for (size_t i = 0; i < 75; i++) {
		ck_assert_int_eq(pd_noise_xx_init(&resp, 0, pro, prolen, rs, re),
		    0);
		len = pd_test_unhex(cx_msgs[0].ciphertext, ct, sizeof(ct));
		ck_assert_int_eq(pd_noise_xx_read(&resp, ct, len, &got), 0);
		plen = pd_test_unhex(cx_msgs[1].payload, pt, sizeof(pt));
		ck_assert_int_eq(pd_noise_xx_write(&resp, pt, plen, &got), 0);
		len = pd_test_unhex(cx_msgs[2].ciphertext, ct, sizeof(ct));
		ck_assert_uint_eq(len, 75);
		ct[i] ^= 0x40;
		pd_buf_reset(&got);
		ck_assert_int_eq(pd_noise_xx_read(&resp, ct, len, &got),
		    PD_ERR_PROTOCOL);
		pd_buf_reset(&got);
	}
	pd_noise_xx_clear(&ini);
	pd_noise_xx_clear(&resp);
	pd_buf_free(&got);
}
END_TEST

START_TEST(test_cipher_nonce_limit)
{
	struct pd_noise_cipher a, b;
	uint8_t k[32], ct[16 + 3], pt[3] = { 1, 2, 3 }, dec[3];

	randombytes_buf(k, sizeof(k));
	memset(&a, 0, sizeof(a));
	memcpy(a.k, k, 32);
	a.has_key = 1;
	a.n = UINT64_MAX - 1;
	b = a;
	ck_assert_int_eq(pd_noise_cipher_encrypt(&a, NULL, 0, pt, 3, ct), 0);
	ck_assert_int_eq(pd_noise_cipher_decrypt(&b, NULL, 0, ct, sizeof(ct),
	    dec), 0);
	ck_assert_mem_eq(dec, pt, 3);
	ck_assert_int_eq(pd_noise_cipher_encrypt(&a, NULL, 0, pt, 3, ct),
	    PD_ERR_PROTOCOL);
	ck_assert_int_eq(pd_noise_cipher_decrypt(&b, NULL, 0, ct, sizeof(ct),
	    dec), PD_ERR_PROTOCOL);
	/* Shorter than a tag. */
	b.n = 0;
	ck_assert_int_eq(pd_noise_cipher_decrypt(&b, NULL, 0, ct, 15, dec),
	    PD_ERR_PROTOCOL);
	ck_assert_uint_eq(b.n, 0);
}
END_TEST

/* ------------------------------------------------------------------
 * libp2p handshake helpers
 */

/* An Ed25519 identity and what a connection needs to know about it. */
struct nt_id {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pb[36];			/* PublicKey protobuf */
	struct pd_peerid peer;
	int corrupt;			/* signer flips a signature bit */
	int calls;			/* signer invocations */
};

static void
nt_id_make(struct nt_id *id)
{
	struct pd_pubkey pub;

	memset(id, 0, sizeof(*id));
	crypto_sign_keypair(id->pk, id->sk);
	memcpy(id->pb, "\x08\x01\x12\x20", 4);
	memcpy(id->pb + 4, id->pk, 32);
	ck_assert_int_eq(pd_pubkey_decode(id->pb, sizeof(id->pb), &pub, NULL,
	    0), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id->peer), 0);
	ck_assert_uint_eq(id->peer.len, 38);
}

static int
nt_sign(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	struct nt_id *id = arg;
	unsigned long long n;

	id->calls++;
	ck_assert_uint_eq(len, 56);
	ck_assert_mem_eq(msg, "noise-libp2p-static-key:", 24);
	ck_assert_uint_ge(*siglen, crypto_sign_BYTES);
	crypto_sign_detached(sig, &n, msg, len, id->sk);
	*siglen = (size_t)n;
	if (id->corrupt)
		sig[7] ^= 0x20;
	return 0;
}

static int
nt_sign_fail(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	(void)arg, (void)msg, (void)len, (void)sig, (void)siglen;
	return PD_ERR_IO;
}

static struct pd_noise *
nt_new(enum pd_noise_role role, struct nt_id *id,
    const struct pd_peerid *expected)
{
	struct pd_noise *nz = NULL;

	ck_assert_int_eq(pd_noise_new(role, id->pb, sizeof(id->pb), nt_sign,
	    id, expected, &nz), 0);
	ck_assert_ptr_nonnull(nz);
	return nz;
}

/*
 * Feed in[0..len) to nz in chunks of `chunk` bytes (0 = random 1..300),
 * appending what nz emits to out.  Returns the last result.
 */
static int
nt_feed(struct pd_noise *nz, const uint8_t *in, size_t len, size_t chunk,
    struct pd_buf *out)
{
	size_t off = 0;
	int r = 0;

	while (off < len) {
		size_t n = chunk ? chunk : 1 + (size_t)(nt_rng() % 300);

		if (n > len - off)
			n = len - off;
		r = pd_noise_handshake(nz, in + off, n, out);
		off += n;
		if (r != 0)
			break;
	}
	ck_assert(r != 0 || off == len);
	return r;
}

/*
 * Run a whole handshake between ini and resp, feeding with the given
 * chunking.  Checks the libp2p message sizes for Ed25519 identities.
 */
static void
nt_handshake_from(struct pd_noise *ini, struct pd_noise *resp, size_t chunk,
    const struct pd_buf *pre)
{
	struct pd_buf m1, m2, m3;

	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	if (pre != NULL)
		ck_assert_int_eq(pd_buf_append(&m1, pre->data, pre->len), 0);
	else
		ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_uint_eq(m1.len, 2 + 32);
	ck_assert_mem_eq(m1.data, "\x00\x20", 2);
	ck_assert_int_eq(nt_feed(resp, m1.data, m1.len, chunk, &m2), 0);
	ck_assert_uint_eq(m2.len, 2 + 200);
	ck_assert_mem_eq(m2.data, "\x00\xc8", 2);
	ck_assert_int_eq(nt_feed(ini, m2.data, m2.len, chunk, &m3), 1);
	ck_assert_uint_eq(m3.len, 2 + 168);
	ck_assert_int_eq(nt_feed(resp, m3.data, m3.len, chunk, &m1), 1);
	ck_assert(pd_noise_done(ini));
	ck_assert(pd_noise_done(resp));
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
}

static void
nt_handshake(struct pd_noise *ini, struct pd_noise *resp, size_t chunk)
{
	nt_handshake_from(ini, resp, chunk, NULL);
}

/* Send len random bytes from a to b through the transport; compare. */
static void
nt_roundtrip(struct pd_noise *a, struct pd_noise *b, size_t len)
{
	uint8_t *pt = malloc(len ? len : 1);
	struct pd_buf wire, got;
	size_t off = 0, frames = 0;

	ck_assert_ptr_nonnull(pt);
	randombytes_buf(pt, len);
	pd_buf_init(&wire);
	pd_buf_init(&got);
	ck_assert_int_eq(pd_noise_encrypt(a, pt, len, &wire), 0);
	/* Walk the frames: each at most 65535 bytes, all full but the last. */
	while (off < wire.len) {
		size_t fl = ((size_t)wire.data[off] << 8) | wire.data[off + 1];

		ck_assert_uint_ge(fl, 17);
		ck_assert_uint_le(fl, PD_NOISE_MAX_MSG);
		off += 2 + fl;
		frames++;
		if (off < wire.len)
			ck_assert_uint_eq(fl, PD_NOISE_MAX_MSG);
	}
	ck_assert_uint_eq(off, wire.len);
	ck_assert_uint_eq(frames, (len + PD_NOISE_MAX_PLAINTEXT - 1) /
	    PD_NOISE_MAX_PLAINTEXT);
	ck_assert_uint_eq(wire.len, len + frames * 18);
	/* Feed in random chunks, sometimes large, sometimes a byte. */
	off = 0;
	while (off < wire.len) {
		size_t n = nt_rng() % 4 == 0 ? 1 + (size_t)(nt_rng() % 7) :
		    1 + (size_t)(nt_rng() % 100000);

		if (n > wire.len - off)
			n = wire.len - off;
		ck_assert_int_eq(pd_noise_decrypt(b, wire.data + off, n, &got),
		    0);
		off += n;
	}
	ck_assert_uint_eq(pd_noise_pending(b), 0);
	ck_assert_uint_eq(got.len, len);
	if (len > 0)
		ck_assert_mem_eq(got.data, pt, len);
	pd_buf_free(&wire);
	pd_buf_free(&got);
	free(pt);
}

/* ------------------------------------------------------------------
 * libp2p handshake tests
 */

static void
nt_pair_test(size_t chunk)
{
	struct nt_id a, b;
	struct pd_noise *ini, *resp;

	nt_id_make(&a);
	nt_id_make(&b);
	ini = nt_new(PD_NOISE_INITIATOR, &a, &b.peer);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_ptr_null(pd_noise_remote_peer(ini));
	ck_assert_ptr_null(pd_noise_remote_pubkey(resp));
	nt_handshake(ini, resp, chunk);
	ck_assert(pd_peerid_equal(pd_noise_remote_peer(ini), &b.peer));
	ck_assert(pd_peerid_equal(pd_noise_remote_peer(resp), &a.peer));
	ck_assert_int_eq(pd_noise_remote_pubkey(ini)->type, PD_KEY_ED25519);
	ck_assert_mem_eq(pd_noise_remote_pubkey(ini)->data, b.pk, 32);
	ck_assert_mem_eq(pd_noise_remote_pubkey(resp)->data, a.pk, 32);
	ck_assert_str_eq(pd_noise_why(ini), "");
	nt_roundtrip(ini, resp, 1000);
	nt_roundtrip(resp, ini, 1000);
	pd_noise_free(ini);
	pd_noise_free(resp);
}

START_TEST(test_handshake_whole)
{
	nt_pair_test(65536);
}
END_TEST

START_TEST(test_handshake_bytewise)
{
	nt_pair_test(1);
}
END_TEST

START_TEST(test_handshake_random_chunks)
{
	for (int i = 0; i < 20; i++)
		nt_pair_test(0);
}
END_TEST

START_TEST(test_fresh_static_keys)
{
	struct nt_id a, b;
	struct pd_noise *i1, *r1, *i2, *r2;
	struct pd_buf x, y;

	/* Same identities twice: msg 1 (the ephemeral) never repeats. */
	nt_id_make(&a);
	nt_id_make(&b);
	i1 = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	i2 = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	r1 = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	r2 = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&x);
	pd_buf_init(&y);
	ck_assert_int_eq(pd_noise_handshake(i1, NULL, 0, &x), 0);
	ck_assert_int_eq(pd_noise_handshake(i2, NULL, 0, &y), 0);
	ck_assert_uint_eq(x.len, y.len);
	ck_assert(memcmp(x.data, y.data, x.len) != 0);
	nt_handshake_from(i1, r1, 65536, &x);
	nt_handshake_from(i2, r2, 65536, &y);
	pd_buf_free(&x);
	pd_buf_free(&y);
	pd_noise_free(i1);
	pd_noise_free(r1);
	pd_noise_free(i2);
	pd_noise_free(r2);
}
END_TEST

START_TEST(test_expected_peer_mismatch)
{
	struct nt_id a, b, c;
	struct pd_noise *ini, *resp;
	struct pd_buf m1, m2, m3;

	nt_id_make(&a);
	nt_id_make(&b);
	nt_id_make(&c);
	ini = nt_new(PD_NOISE_INITIATOR, &a, &c.peer);	/* dialed c, got b */
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3),
	    PD_ERR_BAD_KEY);
	ck_assert_uint_eq(m3.len, 0);		/* msg 3 is never sent */
	ck_assert_ptr_nonnull(strstr(pd_noise_why(ini), "peer ID"));
	ck_assert(!pd_noise_done(ini));
	ck_assert_ptr_null(pd_noise_remote_peer(ini));
	/* Dead: everything fails from now on. */
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_encrypt(ini, m2.data, 1, &m3), PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_decrypt(ini, m2.data, 1, &m3), PD_ERR_INVAL);
	ck_assert_uint_eq(m3.len, 0);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
	pd_noise_free(ini);
	pd_noise_free(resp);
}
END_TEST

/* Flip one byte of msg 2 (which = 2) or msg 3 (which = 3) at body offset. */
static int
nt_tamper(int which, size_t at, struct pd_noise **ret_victim)
{
	struct nt_id a, b;
	struct pd_noise *ini, *resp;
	struct pd_buf m1, m2, m3, m4;
	int r;

	nt_id_make(&a);
	nt_id_make(&b);
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	pd_buf_init(&m4);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	if (which == 2) {
		ck_assert_uint_lt(2 + at, m2.len);
		m2.data[2 + at] ^= 0x80;
		r = pd_noise_handshake(ini, m2.data, m2.len, &m3);
		ck_assert_uint_eq(m3.len, 0);
		*ret_victim = ini;
		pd_noise_free(resp);
	} else {
		ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3),
		    1);
		ck_assert_uint_lt(2 + at, m3.len);
		m3.data[2 + at] ^= 0x80;
		r = pd_noise_handshake(resp, m3.data, m3.len, &m4);
		ck_assert_uint_eq(m4.len, 0);
		*ret_victim = resp;
		pd_noise_free(ini);
	}
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
	pd_buf_free(&m4);
	return r;
}

START_TEST(test_tampered_msg2)
{
	for (size_t at = 0; at < 200; at++) {
		struct pd_noise *v;
		int r = nt_tamper(2, at, &v);

		ck_assert_msg(r == PD_ERR_PROTOCOL, "msg2 flip at %zu: %d", at,
		    r);
		ck_assert(!pd_noise_done(v));
		ck_assert_str_ne(pd_noise_why(v), "");
		pd_noise_free(v);
	}
}
END_TEST

START_TEST(test_tampered_msg3)
{
	for (size_t at = 0; at < 168; at++) {
		struct pd_noise *v;
		int r = nt_tamper(3, at, &v);

		ck_assert_msg(r == PD_ERR_PROTOCOL, "msg3 flip at %zu: %d", at,
		    r);
		ck_assert(!pd_noise_done(v));
		pd_noise_free(v);
	}
}
END_TEST

START_TEST(test_truncated_messages)
{
	struct nt_id a, b;
	struct pd_noise *ini, *resp;
	struct pd_buf m1, m2, m3;
	uint8_t frame[2 + 79];

	nt_id_make(&a);
	nt_id_make(&b);
	/* A msg 1 shorter than an ephemeral key. */
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m2);
	ck_assert_int_eq(pd_noise_handshake(resp,
	    (const uint8_t *)"\x00\x1f" "0123456789012345678901234567890", 33,
	    &m2), PD_ERR_PROTOCOL);
	ck_assert_uint_eq(m2.len, 0);
	pd_noise_free(resp);
	/* A zero-length frame. */
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	ck_assert_int_eq(pd_noise_handshake(resp, (const uint8_t *)"\0\0", 2,
	    &m2), PD_ERR_PROTOCOL);
	pd_noise_free(resp);
	/* A msg 2 cut to 79 bytes (e + encrypted s - 1). */
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m1);
	pd_buf_init(&m3);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	frame[0] = 0;
	frame[1] = 79;
	memcpy(frame + 2, m2.data + 2, 79);
	ck_assert_int_eq(pd_noise_handshake(ini, frame, sizeof(frame), &m3),
	    PD_ERR_PROTOCOL);
	pd_noise_free(ini);
	pd_noise_free(resp);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
}
END_TEST

START_TEST(test_low_order_ephemeral)
{
	struct nt_id b;
	struct pd_noise *resp;
	struct pd_buf out;
	uint8_t m1[34] = { 0x00, 0x20 };	/* e = all zeros */

	nt_id_make(&b);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&out);
	ck_assert_int_eq(pd_noise_handshake(resp, m1, sizeof(m1), &out),
	    PD_ERR_PROTOCOL);
	ck_assert_uint_eq(out.len, 0);
	pd_noise_free(resp);
	pd_buf_free(&out);
}
END_TEST

START_TEST(test_bad_signature)
{
	struct nt_id a, b;
	struct pd_noise *ini, *resp;
	struct pd_buf m1, m2, m3;

	/* The responder's signature is corrupt: the initiator refuses. */
	nt_id_make(&a);
	nt_id_make(&b);
	b.corrupt = 1;
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3),
	    PD_ERR_BAD_SIGNATURE);
	ck_assert_ptr_nonnull(strstr(pd_noise_why(ini), "signature"));
	pd_noise_free(ini);
	pd_noise_free(resp);

	/* The initiator's is corrupt: the responder refuses msg 3. */
	b.corrupt = 0;
	a.corrupt = 1;
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_reset(&m1);
	pd_buf_reset(&m2);
	pd_buf_reset(&m3);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3), 1);
	pd_buf_reset(&m1);
	ck_assert_int_eq(pd_noise_handshake(resp, m3.data, m3.len, &m1),
	    PD_ERR_BAD_SIGNATURE);
	pd_noise_free(ini);
	pd_noise_free(resp);

	/* Signed by b but claiming to be a: identity key / sig mismatch. */
	a.corrupt = 0;
	memcpy(a.sk, b.sk, sizeof(a.sk));
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_reset(&m1);
	pd_buf_reset(&m2);
	pd_buf_reset(&m3);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3), 1);
	pd_buf_reset(&m1);
	ck_assert_int_eq(pd_noise_handshake(resp, m3.data, m3.len, &m1),
	    PD_ERR_BAD_SIGNATURE);
	pd_noise_free(ini);
	pd_noise_free(resp);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
}
END_TEST

START_TEST(test_new_errors)
{
	struct nt_id a;
	struct pd_noise *nz = NULL;
	uint8_t bad[36];

	nt_id_make(&a);
	ck_assert_int_eq(pd_noise_new(PD_NOISE_INITIATOR, a.pb, sizeof(a.pb),
	    nt_sign_fail, &a, NULL, &nz), PD_ERR_IO);
	ck_assert_ptr_null(nz);
	ck_assert_int_eq(pd_noise_new(PD_NOISE_INITIATOR, a.pb, sizeof(a.pb),
	    NULL, &a, NULL, &nz), PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_new(PD_NOISE_INITIATOR, a.pb, 0, nt_sign,
	    &a, NULL, &nz), PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_new((enum pd_noise_role)7, a.pb,
	    sizeof(a.pb), nt_sign, &a, NULL, &nz), PD_ERR_INVAL);
	memcpy(bad, a.pb, sizeof(bad));
	bad[1] = 9;				/* unknown key type */
	ck_assert_int_eq(pd_noise_new(PD_NOISE_INITIATOR, bad, sizeof(bad),
	    nt_sign, &a, NULL, &nz), PD_ERR_INVAL);
	ck_assert_ptr_null(nz);
}
END_TEST

/*
 * A hand-driven initiator (the raw XX engine with a static key and a
 * payload of our choosing) against a real pd_noise responder: returns
 * the responder's verdict on msg 3.
 */
static int
nt_custom_msg3(const uint8_t *payload, size_t plen,
    struct pd_noise **ret_resp)
{
	struct nt_id b;
	struct pd_noise *resp;
	struct pd_noise_xx xx;
	struct pd_buf w, r, m3;
	uint8_t s[32];
	int rc;

	nt_id_make(&b);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	randombytes_buf(s, sizeof(s));
	ck_assert_int_eq(pd_noise_xx_init(&xx, 1, NULL, 0, s, NULL), 0);
	pd_buf_init(&w);
	pd_buf_init(&r);
	pd_buf_init(&m3);
	ck_assert_int_eq(pd_buf_append(&w, "\x00\x20", 2), 0);
	ck_assert_int_eq(pd_noise_xx_write(&xx, NULL, 0, &w), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, w.data, w.len, &r), 0);
	pd_buf_reset(&w);
	ck_assert_int_eq(pd_noise_xx_read(&xx, r.data + 2, r.len - 2, &w), 0);
	ck_assert_int_eq(pd_buf_append(&m3, "\x00\x00", 2), 0);
	ck_assert_int_eq(pd_noise_xx_write(&xx, payload, plen, &m3), 0);
	m3.data[0] = (uint8_t)((m3.len - 2) >> 8);
	m3.data[1] = (uint8_t)(m3.len - 2);
	pd_buf_reset(&r);
	rc = pd_noise_handshake(resp, m3.data, m3.len, &r);
	ck_assert_uint_eq(r.len, 0);
	pd_noise_xx_clear(&xx);
	pd_buf_free(&w);
	pd_buf_free(&r);
	pd_buf_free(&m3);
	*ret_resp = resp;
	return rc;
}

/*
 * Build a payload for identity a over static public key spub, then the
 * extra fields in tail (raw protobuf) appended.
 */
static void
nt_payload(struct nt_id *a, const uint8_t *spub, const uint8_t *tail,
    size_t tlen, struct pd_buf *out)
{
	uint8_t msg[56], sig[64];

	memcpy(msg, "noise-libp2p-static-key:", 24);
	memcpy(msg + 24, spub, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), a->sk);
	ck_assert_int_eq(pd_pb_put_bytes(out, 1, a->pb, sizeof(a->pb)), 0);
	ck_assert_int_eq(pd_pb_put_bytes(out, 2, sig, sizeof(sig)), 0);
	ck_assert_int_eq(pd_buf_append(out, tail, tlen), 0);
}

/*
 * Like nt_custom_msg3 but with a valid payload plus tail, signing the
 * right static key (mode 0) or the ephemeral key (mode 1).
 */
static int
nt_custom_signed(const uint8_t *tail, size_t tlen, int mode,
    struct pd_noise **ret_resp, struct pd_noise_cipher *ret_tx)
{
	struct nt_id a, b;
	struct pd_noise *resp;
	struct pd_noise_xx xx;
	struct pd_buf w, r, m3, pl;
	uint8_t s[32];
	int rc;

	nt_id_make(&a);
	nt_id_make(&b);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	randombytes_buf(s, sizeof(s));
	ck_assert_int_eq(pd_noise_xx_init(&xx, 1, NULL, 0, s, NULL), 0);
	pd_buf_init(&w);
	pd_buf_init(&r);
	pd_buf_init(&m3);
	pd_buf_init(&pl);
	ck_assert_int_eq(pd_buf_append(&w, "\x00\x20", 2), 0);
	ck_assert_int_eq(pd_noise_xx_write(&xx, NULL, 0, &w), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, w.data, w.len, &r), 0);
	pd_buf_reset(&w);
	ck_assert_int_eq(pd_noise_xx_read(&xx, r.data + 2, r.len - 2, &w), 0);
	nt_payload(&a, mode == 1 ? xx.e_pk : xx.s_pk, tail, tlen, &pl);
	ck_assert_int_eq(pd_buf_append(&m3, "\x00\x00", 2), 0);
	ck_assert_int_eq(pd_noise_xx_write(&xx, pl.data, pl.len, &m3), 0);
	m3.data[0] = (uint8_t)((m3.len - 2) >> 8);
	m3.data[1] = (uint8_t)(m3.len - 2);
	pd_buf_reset(&r);
	rc = pd_noise_handshake(resp, m3.data, m3.len, &r);
	if (rc == 1)
		ck_assert(pd_peerid_equal(pd_noise_remote_peer(resp), &a.peer));
	if (ret_tx != NULL) {
		struct pd_noise_cipher rx;

		ck_assert_int_eq(pd_noise_xx_split(&xx, NULL, ret_tx, &rx), 0);
	}
	pd_noise_xx_clear(&xx);
	pd_buf_free(&w);
	pd_buf_free(&r);
	pd_buf_free(&m3);
	pd_buf_free(&pl);
	*ret_resp = resp;
	return rc;
}

START_TEST(test_payload_variants)
{
	struct pd_noise *resp;
	struct pd_buf ext, tail;

	/* Baseline through the hand-driven initiator. */
	ck_assert_int_eq(nt_custom_signed(NULL, 0, 0, &resp, NULL), 1);
	pd_noise_free(resp);
	/* Signature over the ephemeral key, not the static one (§14.2). */
	ck_assert_int_eq(nt_custom_signed(NULL, 0, 1, &resp, NULL),
	    PD_ERR_BAD_SIGNATURE);
	pd_noise_free(resp);
	/* Extensions with muxers and cert hashes, plus an unknown field:
	 * accepted and ignored. */
	pd_buf_init(&ext);
	pd_buf_init(&tail);
	ck_assert_int_eq(pd_pb_put_bytes(&ext, 1, "\x12\x20", 2), 0);
	for (int i = 0; i < 150; i++)
		ck_assert_int_eq(pd_pb_put_string(&ext, 2, "/yamux/1.0.0"), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&tail, 4, ext.data, ext.len), 0);
	ck_assert_int_eq(pd_pb_put_varint(&tail, 3, 77), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&tail, 99, "x", 1), 0);
	ck_assert_int_eq(nt_custom_signed(tail.data, tail.len, 0, &resp, NULL), 1);
	pd_noise_free(resp);
	/* Extensions with the wrong wire type. */
	pd_buf_reset(&tail);
	ck_assert_int_eq(pd_pb_put_varint(&tail, 4, 1), 0);
	ck_assert_int_eq(nt_custom_signed(tail.data, tail.len, 0, &resp, NULL),
	    PD_ERR_MALFORMED);
	pd_noise_free(resp);
	/* Trailing garbage that is not protobuf. */
	ck_assert_int_eq(nt_custom_signed((const uint8_t *)"\x0a\x05", 2, 0,
	    &resp, NULL), PD_ERR_MALFORMED);
	pd_noise_free(resp);
	pd_buf_free(&ext);
	pd_buf_free(&tail);
}
END_TEST

START_TEST(test_payload_malformed)
{
	struct nt_id a;
	struct pd_noise *resp;
	struct pd_buf pl;
	uint8_t sig[64] = { 0 };

	nt_id_make(&a);
	pd_buf_init(&pl);
	/* Empty payload. */
	ck_assert_int_eq(nt_custom_msg3(NULL, 0, &resp), PD_ERR_MALFORMED);
	pd_noise_free(resp);
	/* Key only. */
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 1, a.pb, sizeof(a.pb)), 0);
	ck_assert_int_eq(nt_custom_msg3(pl.data, pl.len, &resp),
	    PD_ERR_MALFORMED);
	pd_noise_free(resp);
	/* Key and a zero signature: decodes, does not verify. */
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 2, sig, sizeof(sig)), 0);
	ck_assert_int_eq(nt_custom_msg3(pl.data, pl.len, &resp),
	    PD_ERR_BAD_SIGNATURE);
	pd_noise_free(resp);
	/* Identity key field as a varint. */
	pd_buf_reset(&pl);
	ck_assert_int_eq(pd_pb_put_varint(&pl, 1, 5), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 2, sig, sizeof(sig)), 0);
	ck_assert_int_eq(nt_custom_msg3(pl.data, pl.len, &resp),
	    PD_ERR_MALFORMED);
	pd_noise_free(resp);
	/* Undecodable identity key. */
	pd_buf_reset(&pl);
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 1, "\x08\x01\x12\x03xyz", 7), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 2, sig, sizeof(sig)), 0);
	ck_assert_int_eq(nt_custom_msg3(pl.data, pl.len, &resp),
	    PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(pd_noise_why(resp), "identity key"));
	pd_noise_free(resp);
	/* Length-prefixed payload (early rust-libp2p, §14.1). */
	pd_buf_reset(&pl);
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 1, a.pb, sizeof(a.pb)), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&pl, 2, sig, sizeof(sig)), 0);
	{
		struct pd_buf lp;

		pd_buf_init(&lp);
		ck_assert_int_eq(pd_pb_append_varint(&lp, pl.len), 0);
		ck_assert_int_eq(pd_buf_append(&lp, pl.data, pl.len), 0);
		ck_assert_int_lt(nt_custom_msg3(lp.data, lp.len, &resp), 0);
		pd_noise_free(resp);
		pd_buf_free(&lp);
	}
	/* Over-long signature field. */
	pd_buf_reset(&pl);
	{
		uint8_t big[PD_KEY_MAX_SIG + 1] = { 0 };

		ck_assert_int_eq(pd_pb_put_bytes(&pl, 1, a.pb, sizeof(a.pb)),
		    0);
		ck_assert_int_eq(pd_pb_put_bytes(&pl, 2, big, sizeof(big)), 0);
		ck_assert_int_eq(nt_custom_msg3(pl.data, pl.len, &resp),
		    PD_ERR_MALFORMED);
		pd_noise_free(resp);
	}
	pd_buf_free(&pl);
}
END_TEST

/* ------------------------------------------------------------------
 * Transport
 */

static void
nt_pair(struct pd_noise **ini, struct pd_noise **resp)
{
	struct nt_id a, b;

	nt_id_make(&a);
	nt_id_make(&b);
	*ini = nt_new(PD_NOISE_INITIATOR, &a, &b.peer);
	*resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	nt_handshake(*ini, *resp, 65536);
}

START_TEST(test_transport_sizes)
{
	static const size_t sizes[] = { 0, 1, 65519, 65520, 300000 };
	struct pd_noise *ini, *resp;

	nt_pair(&ini, &resp);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		nt_roundtrip(ini, resp, sizes[i]);
		nt_roundtrip(resp, ini, sizes[i]);
	}
	pd_noise_free(ini);
	pd_noise_free(resp);
}
END_TEST

START_TEST(test_transport_before_done)
{
	struct nt_id a;
	struct pd_noise *nz;
	struct pd_buf out;

	nt_id_make(&a);
	nz = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	pd_buf_init(&out);
	ck_assert_int_eq(pd_noise_encrypt(nz, (const uint8_t *)"x", 1, &out),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_decrypt(nz, (const uint8_t *)"x", 1, &out),
	    PD_ERR_INVAL);
	ck_assert_uint_eq(out.len, 0);
	pd_noise_free(nz);
	pd_buf_free(&out);
}
END_TEST

START_TEST(test_transport_tampered)
{
	struct pd_noise *ini, *resp;
	struct pd_buf wire, got;
	uint8_t msg[100];

	randombytes_buf(msg, sizeof(msg));
	for (size_t at = 0; at < 2 + 100 + 16; at += 3) {
		nt_pair(&ini, &resp);
		pd_buf_init(&wire);
		pd_buf_init(&got);
		/* A good frame first: its plaintext must not survive. */
		ck_assert_int_eq(pd_noise_encrypt(ini, msg, 10, &wire), 0);
		ck_assert_int_eq(pd_buf_append(&got, "keep", 4), 0);
		ck_assert_int_eq(pd_noise_encrypt(ini, msg, sizeof(msg), &wire),
		    0);
		wire.data[28 + at] ^= 0x04;
		if (at < 2) {
			/* A length change: shorter fails, longer waits. */
			int r = pd_noise_decrypt(resp, wire.data, wire.len, &got);

			ck_assert(r == PD_ERR_PROTOCOL || (r == 0 &&
			    pd_noise_pending(resp) > 0));
			if (r == 0)
				ck_assert_uint_eq(got.len, 4 + 10);
		} else {
			ck_assert_int_eq(pd_noise_decrypt(resp, wire.data,
			    wire.len, &got), PD_ERR_PROTOCOL);
			ck_assert_uint_eq(got.len, 4);
			ck_assert_mem_eq(got.data, "keep", 4);
			ck_assert_int_eq(pd_noise_decrypt(resp, NULL, 0, &got),
			    PD_ERR_INVAL);
		}
		pd_noise_free(ini);
		pd_noise_free(resp);
		pd_buf_free(&wire);
		pd_buf_free(&got);
	}
}
END_TEST

START_TEST(test_transport_replay_and_empty)
{
	struct pd_noise *ini, *resp;
	struct pd_buf wire, got;

	nt_pair(&ini, &resp);
	pd_buf_init(&wire);
	pd_buf_init(&got);
	ck_assert_int_eq(pd_noise_encrypt(ini, (const uint8_t *)"abc", 3,
	    &wire), 0);
	ck_assert_int_eq(pd_noise_decrypt(resp, wire.data, wire.len, &got), 0);
	ck_assert_uint_eq(got.len, 3);
	/* The same frame again: wrong nonce. */
	ck_assert_int_eq(pd_noise_decrypt(resp, wire.data, wire.len, &got),
	    PD_ERR_PROTOCOL);
	ck_assert_uint_eq(got.len, 3);
	pd_noise_free(ini);
	pd_noise_free(resp);

	/* A frame shorter than a tag. */
	nt_pair(&ini, &resp);
	ck_assert_int_eq(pd_noise_decrypt(resp, (const uint8_t *)"\x00\x00",
	    2, &got), PD_ERR_PROTOCOL);
	pd_noise_free(ini);
	pd_noise_free(resp);

	/*
	 * A frame of exactly a tag (empty plaintext) is valid and uses a
	 * nonce; pd_noise_encrypt never sends one, so a hand-driven
	 * initiator does.
	 */
	{
		struct pd_noise_cipher tx;
		uint8_t frame[2 + 16 + 2];

		ck_assert_int_eq(nt_custom_signed(NULL, 0, 0, &resp, &tx), 1);
		frame[0] = 0;
		frame[1] = 16;
		ck_assert_int_eq(pd_noise_cipher_encrypt(&tx, NULL, 0, NULL, 0,
		    frame + 2), 0);
		frame[18] = 0;
		frame[19] = 17;
		pd_buf_reset(&got);
		ck_assert_int_eq(pd_noise_decrypt(resp, frame, sizeof(frame),
		    &got), 0);
		ck_assert_uint_eq(got.len, 0);
		ck_assert_uint_eq(pd_noise_pending(resp), 2);
		pd_buf_reset(&wire);
		ck_assert_int_eq(pd_buf_reserve(&wire, 17), 0);
		ck_assert_int_eq(pd_noise_cipher_encrypt(&tx, NULL, 0,
		    (const uint8_t *)"z", 1, wire.data), 0);
		wire.len = 17;
		ck_assert_int_eq(pd_noise_decrypt(resp, wire.data, wire.len,
		    &got), 0);
		ck_assert_uint_eq(got.len, 1);
		ck_assert_uint_eq(got.data[0], 'z');
		sodium_memzero(&tx, sizeof(tx));
	}
	pd_noise_free(resp);
	pd_buf_free(&wire);
	pd_buf_free(&got);
}
END_TEST

START_TEST(test_leftover_after_msg3)
{
	struct nt_id a, b;
	struct pd_noise *ini, *resp;
	struct pd_buf m1, m2, m3, got;

	nt_id_make(&a);
	nt_id_make(&b);
	ini = nt_new(PD_NOISE_INITIATOR, &a, NULL);
	resp = nt_new(PD_NOISE_RESPONDER, &b, NULL);
	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	pd_buf_init(&got);
	ck_assert_int_eq(pd_noise_handshake(ini, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_noise_handshake(resp, m1.data, m1.len, &m2), 0);
	ck_assert_int_eq(pd_noise_handshake(ini, m2.data, m2.len, &m3), 1);
	/* The dialer pipelines multistream right behind msg 3. */
	ck_assert_int_eq(pd_noise_encrypt(ini,
	    (const uint8_t *)"\x13/multistream/1.0.0\n", 20, &m3), 0);
	ck_assert_int_eq(pd_noise_encrypt(ini, (const uint8_t *)"second", 6,
	    &m3), 0);
	m3.len -= 5;				/* second frame incomplete */
	pd_buf_reset(&m1);
	ck_assert_int_eq(pd_noise_handshake(resp, m3.data, m3.len, &m1), 1);
	ck_assert_uint_eq(m1.len, 0);
	ck_assert_uint_eq(pd_noise_pending(resp), 2 + 36 + 2 + 22 - 5);
	ck_assert_int_eq(pd_noise_handshake(resp, m3.data, 1, &m1),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_noise_decrypt(resp, NULL, 0, &got), 0);
	ck_assert_uint_eq(got.len, 20);
	ck_assert_mem_eq(got.data, "\x13/multistream/1.0.0\n", 20);
	ck_assert_uint_eq(pd_noise_pending(resp), 2 + 22 - 5);
	/* The last 5 bytes of the second frame, one at a time. */
	m3.len += 5;
	for (size_t i = m3.len - 5; i < m3.len; i++)
		ck_assert_int_eq(pd_noise_decrypt(resp, m3.data + i, 1, &got),
		    0);
	ck_assert_uint_eq(got.len, 26);
	ck_assert_mem_eq(got.data + 20, "second", 6);
	ck_assert_uint_eq(pd_noise_pending(resp), 0);
	pd_noise_free(ini);
	pd_noise_free(resp);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
	pd_buf_free(&got);
}
END_TEST

START_TEST(test_transport_random_model)
{
	struct pd_noise *ini, *resp;
	struct pd_buf wire[2], got[2], sent[2];
	struct pd_noise *end[2];
	uint8_t *chunk = malloc(200000);

	ck_assert_ptr_nonnull(chunk);
	nt_pair(&ini, &resp);
	end[0] = ini;
	end[1] = resp;
	for (int d = 0; d < 2; d++) {
		pd_buf_init(&wire[d]);
		pd_buf_init(&got[d]);
		pd_buf_init(&sent[d]);
	}
	/* Random writes both ways, random partial deliveries. */
	for (int step = 0; step < 400; step++) {
		int d = (int)(nt_rng() % 2);
		size_t n;

		if (nt_rng() % 2) {
			n = (size_t)(nt_rng() % 8 == 0 ? nt_rng() % 200000 :
			    nt_rng() % 3000);
			randombytes_buf(chunk, n);
			ck_assert_int_eq(pd_noise_encrypt(end[d], chunk, n,
			    &wire[d]), 0);
			ck_assert_int_eq(pd_buf_append(&sent[d], chunk, n), 0);
		} else if (wire[d].len > 0) {
			n = 1 + (size_t)(nt_rng() % wire[d].len);
			ck_assert_int_eq(pd_noise_decrypt(end[1 - d],
			    wire[d].data, n, &got[d]), 0);
			pd_buf_consume(&wire[d], n);
		}
		ck_assert_uint_le(got[d].len, sent[d].len);
		if (got[d].len > 0)
			ck_assert_mem_eq(got[d].data, sent[d].data, got[d].len);
	}
	for (int d = 0; d < 2; d++) {
		ck_assert_int_eq(pd_noise_decrypt(end[1 - d], wire[d].data,
		    wire[d].len, &got[d]), 0);
		ck_assert_uint_eq(got[d].len, sent[d].len);
		if (got[d].len > 0)
			ck_assert_mem_eq(got[d].data, sent[d].data, got[d].len);
		pd_buf_free(&wire[d]);
		pd_buf_free(&got[d]);
		pd_buf_free(&sent[d]);
	}
	pd_noise_free(ini);
	pd_noise_free(resp);
	free(chunk);
}
END_TEST

static Suite *
noise_suite(void)
{
	Suite *s = suite_create("noise");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_initial_h);
	tcase_add_test(tc, test_cacophony_xx);
	tcase_add_test(tc, test_cacophony_tamper);
	tcase_add_test(tc, test_cipher_nonce_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handshake_whole);
	tcase_add_test(tc, test_handshake_bytewise);
	tcase_add_test(tc, test_handshake_random_chunks);
	tcase_add_test(tc, test_fresh_static_keys);
	tcase_add_test(tc, test_expected_peer_mismatch);
	tcase_add_test(tc, test_tampered_msg2);
	tcase_add_test(tc, test_tampered_msg3);
	tcase_add_test(tc, test_truncated_messages);
	tcase_add_test(tc, test_low_order_ephemeral);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_new_errors);
	tcase_add_test(tc, test_payload_variants);
	tcase_add_test(tc, test_payload_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_transport_sizes);
	tcase_add_test(tc, test_transport_before_done);
	tcase_add_test(tc, test_transport_tampered);
	tcase_add_test(tc, test_transport_replay_and_empty);
	tcase_add_test(tc, test_leftover_after_msg3);
	tcase_add_test(tc, test_transport_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	nt_rng_state = pd_test_seed("check_noise");
	return pd_test_run(noise_suite());
}
