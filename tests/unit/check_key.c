/*
 * check_key.c - unit tests for lib/crypto/key.c: the libp2p key protobufs,
 * key validation for all four types, signature verification against real
 * OpenSSL/libsodium signatures, and our Ed25519 identity.
 *
 * Known answers come from libp2p/specs peer-ids.md (tests/unit/vectors/
 * peer-ids.txt) and RFC 8032 §7.1; RSA/ECDSA/Secp256k1 signatures are
 * made here with OpenSSL.  Randomized tests use a seeded RNG (the seed is
 * printed; set PD_TEST_SEED to replay).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/error.h"
#include "crypto/key.h"

#include "helpers.h"

#ifndef PD_TEST_VECTORS
#error "PD_TEST_VECTORS must name tests/unit/vectors"
#endif

/* ---- helpers ---------------------------------------------------------- */

static uint64_t key_rng_state;

static uint64_t
key_rng(void)
{
	return pd_test_rng(&key_rng_state);
}

static void
key_rng_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(key_rng() >> 56);
}

/* Look up "name = hex" in the spec vector file and decode it. */
static size_t
vector(const char *name, uint8_t *out, size_t cap)
{
	return pd_test_vector(PD_TEST_VECTORS "/peer-ids.txt", name, out, cap);
}

/* 08 type 12 uvarint(len) data, as a libp2p key protobuf. */
static size_t
pb_wrap(int type, const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	ck_assert_uint_le(len + 6, cap);
	out[o++] = 0x08;
	out[o++] = (uint8_t)type;
	out[o++] = 0x12;
	for (size_t v = len; ; v >>= 7) {
		out[o++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		if (v < 0x80)
			break;
	}
	memcpy(out + o, data, len);
	return o + len;
}

/* PKIX DER of an OpenSSL key. */
static size_t
ossl_pkix(EVP_PKEY *pk, uint8_t *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_le((size_t)n, cap);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	return (size_t)n;
}

/*
 * SEC1 point of an EC key, compressed (02/03 ‖ x) or not (04 ‖ x ‖ y);
 * also sets the key's conversion form, which i2d_PUBKEY follows.
 */
static size_t
ossl_ec_point(EVP_PKEY *pk, int compressed, uint8_t *out, size_t cap)
{
	uint8_t full[200];
	size_t n = 0, half;

	ck_assert_int_eq(EVP_PKEY_set_utf8_string_param(pk,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    compressed ? "compressed" : "uncompressed"), 1);
	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(pk,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, full, sizeof(full), &n), 1);
	if (compressed && full[0] == 0x04) {
		/* OpenSSL 3.0 hands out the uncompressed form here. */
		half = (n - 1) / 2;
		full[0] = (uint8_t)(0x02 | (full[n - 1] & 1));
		n = 1 + half;
	}
	ck_assert_uint_le(n, cap);
	memcpy(out, full, n);
	return n;
}

/* SHA-256 signature with an OpenSSL private key. */
static size_t
ossl_sign(EVP_PKEY *pk, const void *msg, size_t msglen, uint8_t *sig,
    size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = cap;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    pk), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n, msg, msglen), 1);
	EVP_MD_CTX_free(ctx);
	return n;
}

static EVP_PKEY *
ossl_gen_ec(const char *curve)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	ck_assert_ptr_nonnull(pk);
	return pk;
}

static EVP_PKEY *
ossl_gen_rsa(const char *alg, int bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pk = NULL;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits), 0);
	ck_assert_int_eq(EVP_PKEY_generate(ctx, &pk), 1);
	EVP_PKEY_CTX_free(ctx);
	ck_assert_ptr_nonnull(pk);
	return pk;
}

/*
 * Decode a wrapped pubkey, check the round trip, then check that a real
 * signature verifies and that a corrupted signature, a corrupted message,
 * an empty and an over-long signature do not.
 */
static void
check_verify(int type, const uint8_t *data, size_t dlen, EVP_PKEY *signer)
{
	static const char msg[] = "libp2p-verify-test message";
	uint8_t pb[PD_KEY_MAX_PUBKEY_PB], enc[PD_KEY_MAX_PUBKEY_PB];
	uint8_t sig[PD_KEY_MAX_SIG + 1], bad[sizeof(msg)];
	struct pd_pubkey pub;
	char why[256] = "";
	size_t n, siglen;

	n = pb_wrap(type, data, dlen, pb, sizeof(pb));
	ck_assert_msg(pd_pubkey_decode(pb, n, &pub, why, sizeof(why)) == 0,
	    "%s decode: %s", pd_key_type_name(type), why);
	ck_assert_int_eq(pub.type, type);
	ck_assert_int_eq(pd_pubkey_encode(&pub, enc, sizeof(enc)), (int)n);
	ck_assert_mem_eq(enc, pb, n);

	siglen = ossl_sign(signer, msg, sizeof(msg), sig, sizeof(sig));
	ck_assert_int_eq(pd_pubkey_verify(&pub, msg, sizeof(msg), sig,
	    siglen), 0);
	memcpy(bad, msg, sizeof(msg));
	bad[3] ^= 0x01;
	ck_assert_int_eq(pd_pubkey_verify(&pub, bad, sizeof(bad), sig,
	    siglen), PD_ERR_BAD_SIGNATURE);
	sig[siglen - 1] ^= 0x40;
	ck_assert_int_eq(pd_pubkey_verify(&pub, msg, sizeof(msg), sig,
	    siglen), PD_ERR_BAD_SIGNATURE);
	sig[siglen - 1] ^= 0x40;
	ck_assert_int_eq(pd_pubkey_verify(&pub, msg, sizeof(msg), sig,
	    siglen - 1), PD_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(pd_pubkey_verify(&pub, msg, sizeof(msg), sig, 0),
	    PD_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(pd_pubkey_verify(&pub, msg, sizeof(msg), sig,
	    PD_KEY_MAX_SIG + 1), PD_ERR_BAD_SIGNATURE);
	/* Signature over the empty message (msg == NULL allowed). */
	siglen = ossl_sign(signer, "", 0, sig, sizeof(sig));
	ck_assert_int_eq(pd_pubkey_verify(&pub, NULL, 0, sig, siglen), 0);
}

/* ---- Ed25519 and our identity ------------------------------------------ */

START_TEST(test_ed25519_spec_vector)
{
	uint8_t priv_pb[128], pub_pb[64], enc[PD_KEY_MAX_PUBKEY_PB];
	struct pd_privkey key;
	struct pd_pubkey pub, pub2;
	size_t privlen, publen;
	char why[256];
	uint8_t sig[PD_KEY_ED25519_SIG_LEN];

	privlen = vector("ed25519_private_key", priv_pb, sizeof(priv_pb));
	publen = vector("ed25519_public_key", pub_pb, sizeof(pub_pb));
	ck_assert_uint_eq(privlen, PD_KEY_ED25519_PRIVKEY_PB_LEN);
	ck_assert_uint_eq(publen, 36);

	ck_assert_int_eq(pd_privkey_decode(priv_pb, privlen, &key, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(pd_privkey_encode(&key, enc, sizeof(enc)),
	    PD_KEY_ED25519_PRIVKEY_PB_LEN);
	ck_assert_mem_eq(enc, priv_pb, privlen);
	ck_assert_int_eq(pd_privkey_encode(&key, enc, 67), PD_ERR_OVERFLOW);

	ck_assert_int_eq(pd_privkey_public(&key, &pub), 0);
	ck_assert_int_eq(pub.type, PD_KEY_ED25519);
	ck_assert_int_eq(pd_pubkey_encode(&pub, enc, sizeof(enc)), 36);
	ck_assert_mem_eq(enc, pub_pb, publen);
	ck_assert_int_eq(pd_pubkey_encode(&pub, enc, 35), PD_ERR_OVERFLOW);

	ck_assert_int_eq(pd_pubkey_decode(pub_pb, publen, &pub2, why,
	    sizeof(why)), 0);
	ck_assert(pd_pubkey_equal(&pub, &pub2));

	ck_assert_int_eq(pd_privkey_sign(&key, "hello", 5, sig), 0);
	ck_assert_int_eq(pd_pubkey_verify(&pub2, "hello", 5, sig,
	    sizeof(sig)), 0);
	ck_assert_int_eq(pd_pubkey_verify(&pub2, "hellO", 5, sig,
	    sizeof(sig)), PD_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(pd_pubkey_verify(&pub2, "hello", 5, sig,
	    sizeof(sig) - 1), PD_ERR_BAD_SIGNATURE);
	pd_privkey_clear(&key);
}
END_TEST

/* RFC 8032 §7.1 TEST 1 and TEST 2. */
START_TEST(test_ed25519_rfc8032)
{
	static const struct {
		const char *seed, *pub, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t seed[32], pubraw[32], msg[8], sig[64], mysig[64];
		struct pd_privkey key;
		struct pd_pubkey pub;
		size_t mlen;

		pd_test_unhex(v[i].seed, seed, sizeof(seed));
		pd_test_unhex(v[i].pub, pubraw, sizeof(pubraw));
		mlen = pd_test_unhex(v[i].msg, msg, sizeof(msg));
		pd_test_unhex(v[i].sig, sig, sizeof(sig));
		ck_assert_int_eq(pd_privkey_from_seed(seed, &key), 0);
		ck_assert_int_eq(pd_privkey_public(&key, &pub), 0);
		ck_assert_uint_eq(pub.len, 32);
		ck_assert_mem_eq(pub.data, pubraw, 32);
		ck_assert_int_eq(pd_privkey_sign(&key, mlen ? msg : NULL, mlen,
		    mysig), 0);
		ck_assert_mem_eq(mysig, sig, 64);
		ck_assert_int_eq(pd_pubkey_verify(&pub, mlen ? msg : NULL,
		    mlen, sig, 64), 0);
		sig[0] ^= 1;
		ck_assert_int_eq(pd_pubkey_verify(&pub, msg, mlen, sig, 64),
		    PD_ERR_BAD_SIGNATURE);
		pd_privkey_clear(&key);
	}
}
END_TEST

START_TEST(test_ed25519_private_forms)
{
	uint8_t spec[128], data[96], pb[128];
	struct pd_privkey key, ref, keep;
	char why[256];
	size_t n;

	vector("ed25519_private_key", spec, sizeof(spec));
	ck_assert_int_eq(pd_privkey_decode(spec, 68, &ref, NULL, 0), 0);
	memcpy(data, spec + 4, 64);

	/* Legacy 96 bytes: seed ‖ pub ‖ pub. */
	memcpy(data + 64, spec + 4 + 32, 32);
	n = pb_wrap(PD_KEY_ED25519, data, 96, pb, sizeof(pb));
	ck_assert_int_eq(pd_privkey_decode(pb, n, &key, why, sizeof(why)), 0);
	ck_assert_mem_eq(key.sk, ref.sk, 64);

	/* Legacy form with differing copies. */
	memset(&keep, 0xa5, sizeof(keep));
	key = keep;
	data[95] ^= 1;
	n = pb_wrap(PD_KEY_ED25519, data, 96, pb, sizeof(pb));
	ck_assert_int_eq(pd_privkey_decode(pb, n, &key, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "differ"));
	ck_assert_mem_eq(&key, &keep, sizeof(key));	/* untouched */

	/* Both copies equal but not derived from the seed. */
	data[63] ^= 1;
	data[95] = data[63];
	n = pb_wrap(PD_KEY_ED25519, data, 96, pb, sizeof(pb));
	ck_assert_int_eq(pd_privkey_decode(pb, n, &key, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	n = pb_wrap(PD_KEY_ED25519, data, 64, pb, sizeof(pb));
	ck_assert_int_eq(pd_privkey_decode(pb, n, &key, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "does not belong"));

	/* Wrong lengths. */
	memcpy(data, spec + 4, 64);
	for (size_t len = 0; len <= 96; len++) {
		if (len == 64 || len == 96)
			continue;
		n = pb_wrap(PD_KEY_ED25519, data, len, pb, sizeof(pb));
		ck_assert_int_eq(pd_privkey_decode(pb, n, &key, why,
		    sizeof(why)), PD_ERR_BAD_KEY);
	}
	ck_assert_mem_eq(&key, &keep, sizeof(key));
	pd_privkey_clear(&ref);
	pd_privkey_clear(&key);
}
END_TEST

START_TEST(test_private_other_types)
{
	static const struct {
		const char *vec, *type;
	} v[] = {
		{ "rsa_private_key", "RSA" },
		{ "secp256k1_private_key", "Secp256k1" },
		{ "ecdsa_private_key", "ECDSA" },
	};
	uint8_t buf[4096];
	struct pd_privkey key;
	char why[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = vector(v[i].vec, buf, sizeof(buf));

		why[0] = '\0';
		ck_assert_int_eq(pd_privkey_decode(buf, n, &key, why,
		    sizeof(why)), PD_ERR_UNSUPPORTED);
		ck_assert_msg(strstr(why, v[i].type) != NULL &&
		    strstr(why, "Ed25519") != NULL, "why: %s", why);
	}
	/* Unknown type 9. */
	memcpy(buf, "\x08\x09\x12\x01\x00", 5);
	ck_assert_int_eq(pd_privkey_decode(buf, 5, &key, why, sizeof(why)),
	    PD_ERR_UNSUPPORTED);
	/* Malformed protobufs. */
	ck_assert_int_eq(pd_privkey_decode(buf, 0, &key, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_privkey_decode((const uint8_t *)"\x08\x01", 2,
	    &key, why, sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "Data"));
	ck_assert_int_eq(pd_privkey_decode((const uint8_t *)"\x08\x01\x12\x40",
	    4, &key, why, sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_privkey_decode((const uint8_t *)"garbage!", 8,
	    &key, NULL, 0), PD_ERR_MALFORMED);
}
END_TEST

/* ---- public key decoding ------------------------------------------------ */

START_TEST(test_pubkey_spec_vectors)
{
	static const struct {
		const char *vec;
		int type;
		size_t len;
	} v[] = {
		{ "ed25519_public_key", PD_KEY_ED25519, 32 },
		{ "secp256k1_public_key", PD_KEY_SECP256K1, 33 },
		{ "ecdsa_public_key", PD_KEY_ECDSA, 91 },
		{ "rsa_public_key", PD_KEY_RSA, 550 },
	};
	uint8_t buf[PD_KEY_MAX_PUBKEY_PB], enc[PD_KEY_MAX_PUBKEY_PB];
	struct pd_pubkey pub;
	char why[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = vector(v[i].vec, buf, sizeof(buf));

		why[0] = '\0';
		ck_assert_msg(pd_pubkey_decode(buf, n, &pub, why,
		    sizeof(why)) == 0, "%s: %s", v[i].vec, why);
		ck_assert_int_eq(pub.type, v[i].type);
		ck_assert_uint_eq(pub.len, v[i].len);
		ck_assert_int_eq(pd_pubkey_encode(&pub, enc, sizeof(enc)),
		    (int)n);
		ck_assert_mem_eq(enc, buf, n);
	}
	/* RSA has Type 0 and still emits it (deterministic encoding). */
	vector("rsa_public_key", buf, sizeof(buf));
	ck_assert_int_eq(buf[0], 0x08);
	ck_assert_int_eq(buf[1], 0x00);
}
END_TEST

/*
 * The spec says the public keys belong to the private keys: derive each
 * public key from the spec's private key with OpenSSL and compare with
 * what our decoder kept.  Also sign with the ECDSA/Secp256k1 ones.
 */
START_TEST(test_pubkey_spec_private_match)
{
	static const uint8_t sec1_secp256k1_head[] = {
		0x30, 0x2e, 0x02, 0x01, 0x01, 0x04, 0x20,
	};
	static const uint8_t sec1_secp256k1_tail[] = {
		0xa0, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a,
	};
	uint8_t priv[4096], pubpb[PD_KEY_MAX_PUBKEY_PB], der[4096];
	uint8_t sec1[64];
	struct pd_pubkey pub;
	const unsigned char *q;
	EVP_PKEY *pk;
	size_t n, m;

	/* ECDSA: Data is a SEC1 ECPrivateKey (the spec text says PKIX). */
	n = vector("ecdsa_private_key", priv, sizeof(priv));
	ck_assert_int_eq(priv[2], 0x12);
	q = priv + 4;
	pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, (long)(n - 4));
	ck_assert_ptr_nonnull(pk);
	m = vector("ecdsa_public_key", pubpb, sizeof(pubpb));
	ck_assert_int_eq(pd_pubkey_decode(pubpb, m, &pub, NULL, 0), 0);
	n = ossl_pkix(pk, der, sizeof(der));
	ck_assert_uint_eq(n, pub.len);
	ck_assert_mem_eq(der, pub.data, n);
	check_verify(PD_KEY_ECDSA, pub.data, pub.len, pk);
	EVP_PKEY_free(pk);

	/* Secp256k1: Data is the 32-byte scalar. */
	n = vector("secp256k1_private_key", priv, sizeof(priv));
	ck_assert_uint_eq(n, 36);
	memcpy(sec1, sec1_secp256k1_head, sizeof(sec1_secp256k1_head));
	memcpy(sec1 + 7, priv + 4, 32);
	memcpy(sec1 + 39, sec1_secp256k1_tail, sizeof(sec1_secp256k1_tail));
	q = sec1;
	pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, 48);
	ck_assert_ptr_nonnull(pk);
	m = vector("secp256k1_public_key", pubpb, sizeof(pubpb));
	ck_assert_int_eq(pd_pubkey_decode(pubpb, m, &pub, NULL, 0), 0);
	n = ossl_ec_point(pk, 1, der, sizeof(der));
	ck_assert_uint_eq(n, 33);
	ck_assert_mem_eq(der, pub.data, 33);
	check_verify(PD_KEY_SECP256K1, pub.data, pub.len, pk);
	EVP_PKEY_free(pk);

	/* RSA: Data is PKCS#1 RSAPrivateKey. */
	n = vector("rsa_private_key", priv, sizeof(priv));
	ck_assert_int_eq(priv[2], 0x12);	/* 08 00 12 ae12 (2350) */
	q = priv + 5;
	pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &q, (long)(n - 5));
	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(EVP_PKEY_get_bits(pk), 4096);
	m = vector("rsa_public_key", pubpb, sizeof(pubpb));
	ck_assert_int_eq(pd_pubkey_decode(pubpb, m, &pub, NULL, 0), 0);
	n = ossl_pkix(pk, der, sizeof(der));
	ck_assert_uint_eq(n, pub.len);
	ck_assert_mem_eq(der, pub.data, n);
	check_verify(PD_KEY_RSA, pub.data, pub.len, pk);
	EVP_PKEY_free(pk);
}
END_TEST

/* Decode must take exactly the canonical encoding. */
START_TEST(test_pubkey_canonical_only)
{
	uint8_t good[64], buf[PD_KEY_MAX_PUBKEY_PB + 16];
	struct pd_pubkey pub, keep;
	char why[256];
	size_t n;

	n = vector("ed25519_public_key", good, sizeof(good));
	memset(&keep, 0x5a, sizeof(keep));
	pub = keep;

	/* Data before Type. */
	memcpy(buf, good + 2, 34);
	memcpy(buf + 34, good, 2);
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "canonical"));
	/* Repeated Type. */
	memcpy(buf, "\x08\x01", 2);
	memcpy(buf + 2, good, n);
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 2, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	/* Extra field 3. */
	memcpy(buf, good, n);
	memcpy(buf + n, "\x18\x01", 2);
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 2, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	/* Non-minimal Type varint (81 00) and length varint (a0 00). */
	memcpy(buf, "\x08\x81\x00", 3);
	memcpy(buf + 3, good + 2, 34);
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 1, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	memcpy(buf, "\x08\x01\x12\xa0\x00", 5);
	memcpy(buf + 5, good + 4, 32);
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 1, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	/* Type as a length-delimited field. */
	memcpy(buf, "\x0a\x01\x01", 3);
	memcpy(buf + 3, good + 2, 34);
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 1, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	/* Missing fields, truncation, trailing byte. */
	ck_assert_int_eq(pd_pubkey_decode(good + 2, n - 2, &pub, why,
	    sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "Type"));
	ck_assert_int_eq(pd_pubkey_decode(good, 2, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_pubkey_decode(good, n - 1, &pub, why,
	    sizeof(why)), PD_ERR_MALFORMED);
	memcpy(buf, good, n);
	buf[n] = 0;
	ck_assert_int_eq(pd_pubkey_decode(buf, n + 1, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_pubkey_decode(good, 0, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_mem_eq(&pub, &keep, sizeof(pub));	/* untouched */
}
END_TEST

START_TEST(test_pubkey_bad_material)
{
	uint8_t data[PD_KEY_MAX_PUBKEY + 8], buf[PD_KEY_MAX_PUBKEY_PB + 16];
	struct pd_pubkey pub;
	char why[256];
	size_t n;

	memset(data, 0x42, sizeof(data));
	/* Unknown key types. */
	n = pb_wrap(4, data, 32, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_UNSUPPORTED);
	n = pb_wrap(0x7f, data, 32, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_UNSUPPORTED);
	/* Ed25519 lengths. */
	for (size_t len = 1; len < 40; len++) {
		n = pb_wrap(PD_KEY_ED25519, data, len, buf, sizeof(buf));
		ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why,
		    sizeof(why)), len == 32 ? 0 : PD_ERR_BAD_KEY);
	}
	/* Empty Data for every type. */
	for (int t = 0; t <= 3; t++) {
		n = pb_wrap(t, data, 0, buf, sizeof(buf));
		ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why,
		    sizeof(why)), PD_ERR_BAD_KEY);
	}
	/* Data over the cap (but the whole message within it). */
	n = pb_wrap(PD_KEY_RSA, data, PD_KEY_MAX_PUBKEY + 1, buf,
	    sizeof(buf));
	ck_assert_int_le(n, PD_KEY_MAX_PUBKEY_PB);
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_OVERFLOW);
	/* Garbage DER for RSA and ECDSA. */
	n = pb_wrap(PD_KEY_RSA, data, 300, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "SubjectPublicKeyInfo"));
	n = pb_wrap(PD_KEY_ECDSA, data, 91, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	/* A big buffer is refused before parsing. */
	ck_assert_int_eq(pd_pubkey_decode(buf, PD_KEY_MAX_PUBKEY_PB + 1, &pub,
	    why, sizeof(why)), PD_ERR_OVERFLOW);
}
END_TEST

START_TEST(test_pubkey_secp256k1_points)
{
	uint8_t pt[65], buf[128];
	struct pd_pubkey pub;
	int good = 0, bad = 0;
	size_t n;

	/* x >= p is never a coordinate. */
	pt[0] = 0x02;
	memset(pt + 1, 0xff, 32);
	n = pb_wrap(PD_KEY_SECP256K1, pt, 33, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, NULL, 0),
	    PD_ERR_BAD_KEY);
	/* About half of all x have a point; find both kinds. */
	for (unsigned x = 1; x < 64 && (good < 2 || bad < 2); x++) {
		memset(pt + 1, 0, 32);
		pt[32] = (uint8_t)x;
		pt[0] = (uint8_t)(0x02 | (x & 1));
		n = pb_wrap(PD_KEY_SECP256K1, pt, 33, buf, sizeof(buf));
		if (pd_pubkey_decode(buf, n, &pub, NULL, 0) == 0)
			good++;
		else
			bad++;
	}
	ck_assert_int_ge(good, 2);
	ck_assert_int_ge(bad, 2);
	/* Uncompressed / hybrid / bad prefix forms are refused. */
	vector("secp256k1_public_key", buf, sizeof(buf));
	memcpy(pt, buf + 4, 33);
	for (int pfx = 0; pfx < 256; pfx++) {
		pt[0] = (uint8_t)pfx;
		n = pb_wrap(PD_KEY_SECP256K1, pt, 33, buf, sizeof(buf));
		if (pfx == 0x02 || pfx == 0x03)
			continue;	/* one of them is the real key */
		ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, NULL, 0),
		    PD_ERR_BAD_KEY);
	}
	memset(pt, 0x04, sizeof(pt));
	n = pb_wrap(PD_KEY_SECP256K1, pt, 65, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, NULL, 0),
	    PD_ERR_BAD_KEY);
}
END_TEST

/* ---- verification with OpenSSL-made keys ------------------------------- */

START_TEST(test_verify_ecdsa_curves)
{
	static const char *const curves[] = { "P-256", "P-384", "P-521" };
	uint8_t der[512], buf[600];
	struct pd_pubkey pub;
	char why[256];
	EVP_PKEY *pk;
	size_t n, m;

	for (size_t i = 0; i < 3; i++) {
		pk = ossl_gen_ec(curves[i]);
		n = ossl_pkix(pk, der, sizeof(der));
		check_verify(PD_KEY_ECDSA, der, n, pk);
		/* The same PKIX under the RSA type is refused. */
		m = pb_wrap(PD_KEY_RSA, der, n, buf, sizeof(buf));
		ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why,
		    sizeof(why)), PD_ERR_BAD_KEY);
		/* Compressed point: go cannot parse it; refused. */
		m = n;
		ossl_ec_point(pk, 1, der, sizeof(der));
		n = ossl_pkix(pk, der, sizeof(der));
		ck_assert_uint_lt(n, m);	/* really compressed */
		m = pb_wrap(PD_KEY_ECDSA, der, n, buf, sizeof(buf));
		ck_assert_int_lt(pd_pubkey_decode(buf, m, &pub, why,
		    sizeof(why)), 0);
		EVP_PKEY_free(pk);
	}
	/* P-224 and secp256k1-in-PKIX: other curves. */
	pk = ossl_gen_ec("P-224");
	n = ossl_pkix(pk, der, sizeof(der));
	m = pb_wrap(PD_KEY_ECDSA, der, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(why, "curve"));
	EVP_PKEY_free(pk);
	pk = ossl_gen_ec("secp256k1");
	n = ossl_pkix(pk, der, sizeof(der));
	m = pb_wrap(PD_KEY_ECDSA, der, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_UNSUPPORTED);
	/* Trailing byte after the DER. */
	der[n] = 0;
	m = pb_wrap(PD_KEY_ECDSA, der, n + 1, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_verify_secp256k1)
{
	uint8_t pt[65], buf[128], sig[128];
	struct pd_pubkey pub, other;
	EVP_PKEY *pk, *pk2;
	size_t n, siglen;

	pk = ossl_gen_ec("secp256k1");
	n = ossl_ec_point(pk, 1, pt, sizeof(pt));
	ck_assert_uint_eq(n, 33);
	check_verify(PD_KEY_SECP256K1, pt, n, pk);
	/* Another key's valid signature does not verify. */
	pk2 = ossl_gen_ec("secp256k1");
	n = ossl_ec_point(pk2, 1, pt, sizeof(pt));
	n = pb_wrap(PD_KEY_SECP256K1, pt, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &other, NULL, 0), 0);
	siglen = ossl_sign(pk, "m", 1, sig, sizeof(sig));
	ck_assert_int_eq(pd_pubkey_verify(&other, "m", 1, sig, siglen),
	    PD_ERR_BAD_SIGNATURE);
	/* A 64-byte raw (r ‖ s) signature is not DER: refused. */
	ck_assert_int_eq(pd_pubkey_verify(&other, "m", 1, sig + 4, 64),
	    PD_ERR_BAD_SIGNATURE);
	/* The uncompressed point is refused as a Secp256k1 key. */
	n = ossl_ec_point(pk, 0, pt, sizeof(pt));
	ck_assert_uint_eq(n, 65);
	n = pb_wrap(PD_KEY_SECP256K1, pt, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, n, &pub, NULL, 0),
	    PD_ERR_BAD_KEY);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(pk2);
}
END_TEST

START_TEST(test_verify_rsa)
{
	uint8_t der[2048], buf[2100];
	struct pd_pubkey pub;
	char why[256];
	EVP_PKEY *pk;
	size_t n, m;

	pk = ossl_gen_rsa("RSA", 2048);
	n = ossl_pkix(pk, der, sizeof(der));
	check_verify(PD_KEY_RSA, der, n, pk);
	/* The RSA PKIX under the ECDSA type is refused. */
	m = pb_wrap(PD_KEY_ECDSA, der, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	/* Truncated DER. */
	m = pb_wrap(PD_KEY_RSA, der, n - 1, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_MALFORMED);
	EVP_PKEY_free(pk);

	/* Below go's minimum: refused, with the size in the reason. */
	pk = ossl_gen_rsa("RSA", 1024);
	n = ossl_pkix(pk, der, sizeof(der));
	m = pb_wrap(PD_KEY_RSA, der, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "1024 bits"));
	EVP_PKEY_free(pk);

	/* RSA-PSS algorithm identifier is not rsaEncryption. */
	pk = ossl_gen_rsa("RSA-PSS", 1024);
	n = ossl_pkix(pk, der, sizeof(der));
	m = pb_wrap(PD_KEY_RSA, der, n, buf, sizeof(buf));
	ck_assert_int_eq(pd_pubkey_decode(buf, m, &pub, why, sizeof(why)),
	    PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "rsaEncryption"));
	EVP_PKEY_free(pk);
}
END_TEST

/* DER: tag ‖ length ‖ content, appended at out[*o]. */
static void
der_put(uint8_t *out, size_t *o, uint8_t tag, const uint8_t *p, size_t n)
{
	out[(*o)++] = tag;
	if (n < 0x80) {
		out[(*o)++] = (uint8_t)n;
	} else if (n < 0x100) {
		out[(*o)++] = 0x81;
		out[(*o)++] = (uint8_t)n;
	} else {
		out[(*o)++] = 0x82;
		out[(*o)++] = (uint8_t)(n >> 8);
		out[(*o)++] = (uint8_t)n;
	}
	memmove(out + *o, p, n);
	*o += n;
}

/*
 * PKIX DER of an RSA public key with a (fake, odd) modulus of exactly
 * bits bits and e = 65537.  Parsing does not check primality, so this
 * probes the size limits without generating huge keys.
 */
static size_t
fake_rsa_pkix(int bits, uint8_t *out, size_t cap)
{
	static const uint8_t alg[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x01, 0x05, 0x00,
	};
	static uint8_t n[1100], rsakey[1200], bitstr[1200], spki[1300];
	size_t nlen = (size_t)(bits + 7) / 8, o = 0, r = 0, b = 0, s = 0;
	int top = bits - 8 * ((int)nlen - 1);	/* bits in the first byte */

	memset(n, 0xc5, sizeof(n));
	n[0] = 0x00;	/* INTEGER sign byte, kept only when needed */
	n[1] = (uint8_t)(0xff >> (8 - top));
	n[1] |= (uint8_t)(1u << (top - 1));
	n[nlen] |= 1;
	if (top == 8)
		der_put(rsakey, &r, 0x02, n, nlen + 1);
	else
		der_put(rsakey, &r, 0x02, n + 1, nlen);
	der_put(rsakey, &r, 0x02, (const uint8_t *)"\x01\x00\x01", 3);
	der_put(bitstr, &b, 0x30, rsakey, r);
	memmove(bitstr + 1, bitstr, b);
	bitstr[0] = 0x00;	/* no unused bits */
	memcpy(spki, alg, sizeof(alg));
	s = sizeof(alg);
	der_put(spki, &s, 0x03, bitstr, b + 1);
	ck_assert_uint_le(s + 4, cap);
	der_put(out, &o, 0x30, spki, s);
	return o;
}

START_TEST(test_rsa_size_bounds)
{
	static const struct {
		int bits, rc;
	} v[] = {
		{ 1024, PD_ERR_BAD_KEY }, { 2047, PD_ERR_BAD_KEY },
		{ 2048, 0 }, { 3072, 0 }, { 4096, 0 }, { 8191, 0 },
		{ 8192, 0 }, { 8193, PD_ERR_BAD_KEY }, { 8200, PD_ERR_BAD_KEY },
	};
	uint8_t der[1400], pb[1500], sig[256];
	struct pd_pubkey pub;
	char why[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = fake_rsa_pkix(v[i].bits, der, sizeof(der));
		size_t m = pb_wrap(PD_KEY_RSA, der, n, pb, sizeof(pb));

		why[0] = '\0';
		ck_assert_msg(pd_pubkey_decode(pb, m, &pub, why, sizeof(why)) ==
		    v[i].rc, "%d bits: %s", v[i].bits, why);
		if (v[i].rc != 0) {
			char want[32];

			snprintf(want, sizeof(want), "%d bits", v[i].bits);
			ck_assert_ptr_nonnull(strstr(why, want));
			continue;
		}
		ck_assert_uint_eq(pub.len, n);
		/* A junk signature is just a bad signature. */
		memset(sig, 0x11, sizeof(sig));
		ck_assert_int_eq(pd_pubkey_verify(&pub, "m", 1, sig,
		    sizeof(sig)), PD_ERR_BAD_SIGNATURE);
	}
}
END_TEST

START_TEST(test_verify_edge_cases)
{
	uint8_t seed[32] = { 1 }, sig[PD_KEY_ED25519_SIG_LEN];
	struct pd_privkey key, key2;
	struct pd_pubkey pub, pub2, bogus;

	pd_privkey_from_seed(seed, &key);
	seed[0] = 2;
	pd_privkey_from_seed(seed, &key2);
	pd_privkey_public(&key, &pub);
	pd_privkey_public(&key2, &pub2);
	ck_assert(!pd_pubkey_equal(&pub, &pub2));
	ck_assert_int_eq(pd_privkey_sign(&key, NULL, 0, sig), 0);
	ck_assert_int_eq(pd_pubkey_verify(&pub, NULL, 0, sig, sizeof(sig)), 0);
	ck_assert_int_eq(pd_pubkey_verify(&pub2, NULL, 0, sig, sizeof(sig)),
	    PD_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(pd_pubkey_verify(&pub, NULL, 0, NULL, 64),
	    PD_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(pd_pubkey_verify(&pub, NULL, 1, sig, 64),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_privkey_sign(&key, NULL, 1, sig), PD_ERR_INVAL);
	/* A struct that never went through decode. */
	memset(&bogus, 0, sizeof(bogus));
	ck_assert_int_eq(pd_pubkey_verify(&bogus, NULL, 0, sig, 64),
	    PD_ERR_BAD_KEY);
	bogus.type = PD_KEY_RSA;
	bogus.len = 10;
	ck_assert_int_eq(pd_pubkey_verify(&bogus, NULL, 0, sig, 64),
	    PD_ERR_BAD_KEY);
	ck_assert_int_eq(pd_pubkey_encode(&bogus, sig, sizeof(sig)), 14);
	bogus.type = (enum pd_key_type)7;
	ck_assert_int_eq(pd_pubkey_encode(&bogus, sig, sizeof(sig)),
	    PD_ERR_INVAL);
	/* clear wipes. */
	pd_privkey_clear(&key);
	for (size_t i = 0; i < sizeof(key.sk); i++)
		ck_assert_int_eq(key.sk[i], 0);
	pd_privkey_clear(NULL);
	pd_privkey_clear(&key2);
}
END_TEST

START_TEST(test_generate)
{
	struct pd_privkey a, b, c;
	struct pd_pubkey pub;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN], sig[64];

	ck_assert_int_eq(pd_privkey_generate(&a), 0);
	ck_assert_int_eq(pd_privkey_generate(&b), 0);
	ck_assert(memcmp(a.sk, b.sk, 64) != 0);
	ck_assert_int_eq(pd_privkey_encode(&a, enc, sizeof(enc)),
	    (int)sizeof(enc));
	ck_assert_int_eq(pd_privkey_decode(enc, sizeof(enc), &c, NULL, 0), 0);
	ck_assert_mem_eq(a.sk, c.sk, 64);
	pd_privkey_public(&c, &pub);
	pd_privkey_sign(&a, "x", 1, sig);
	ck_assert_int_eq(pd_pubkey_verify(&pub, "x", 1, sig, 64), 0);
	pd_privkey_clear(&a);
	pd_privkey_clear(&b);
	pd_privkey_clear(&c);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(pd_key_type_name(PD_KEY_RSA), "RSA");
	ck_assert_str_eq(pd_key_type_name(PD_KEY_ED25519), "Ed25519");
	ck_assert_str_eq(pd_key_type_name(PD_KEY_SECP256K1), "Secp256k1");
	ck_assert_str_eq(pd_key_type_name(PD_KEY_ECDSA), "ECDSA");
	ck_assert_str_eq(pd_key_type_name(4), "unknown");
	ck_assert_str_eq(pd_key_type_name(-1), "unknown");
}
END_TEST

/* ---- randomized ---------------------------------------------------------- */

/*
 * Model: for random seeds and messages, encode/decode round-trips are the
 * identity and a signature verifies exactly on the signed message.
 */
START_TEST(test_random_roundtrip)
{
	for (int iter = 0; iter < 300; iter++) {
		uint8_t seed[32], msg[300], sig[64], priv[128];
		uint8_t pubpb[PD_KEY_MAX_PUBKEY_PB];
		struct pd_privkey key, key2;
		struct pd_pubkey pub, pub2;
		size_t mlen = key_rng() % sizeof(msg);
		int n;

		key_rng_bytes(seed, sizeof(seed));
		key_rng_bytes(msg, mlen);
		pd_privkey_from_seed(seed, &key);
		n = pd_privkey_encode(&key, priv, sizeof(priv));
		ck_assert_int_eq(n, 68);
		ck_assert_int_eq(pd_privkey_decode(priv, (size_t)n, &key2, NULL,
		    0), 0);
		ck_assert_mem_eq(key.sk, key2.sk, 64);
		pd_privkey_public(&key, &pub);
		n = pd_pubkey_encode(&pub, pubpb, sizeof(pubpb));
		ck_assert_int_eq(n, 36);
		ck_assert_int_eq(pd_pubkey_decode(pubpb, (size_t)n, &pub2, NULL,
		    0), 0);
		ck_assert(pd_pubkey_equal(&pub, &pub2));
		pd_privkey_sign(&key2, msg, mlen, sig);
		ck_assert_int_eq(pd_pubkey_verify(&pub2, msg, mlen, sig, 64),
		    0);
		sig[key_rng() % 64] ^= (uint8_t)(1u << (key_rng() % 8));
		ck_assert_int_eq(pd_pubkey_verify(&pub2, msg, mlen, sig, 64),
		    PD_ERR_BAD_SIGNATURE);
		/* Any single-byte corruption of the encoding: decode
		 * fails, or yields a key that re-encodes to those bytes. */
		pubpb[key_rng() % (size_t)n] ^= (uint8_t)(1 + key_rng() % 255);
		if (pd_pubkey_decode(pubpb, (size_t)n, &pub2, NULL, 0) == 0) {
			uint8_t again[PD_KEY_MAX_PUBKEY_PB];

			ck_assert_int_eq(pd_pubkey_encode(&pub2, again,
			    sizeof(again)), n);
			ck_assert_mem_eq(again, pubpb, (size_t)n);
		}
		pd_privkey_clear(&key);
		pd_privkey_clear(&key2);
	}
}
END_TEST

static Suite *
key_suite(void)
{
	Suite *s = suite_create("pd_key");
	TCase *tc;

	tc = tcase_create("ed25519");
	tcase_add_test(tc, test_ed25519_spec_vector);
	tcase_add_test(tc, test_ed25519_rfc8032);
	tcase_add_test(tc, test_ed25519_private_forms);
	tcase_add_test(tc, test_private_other_types);
	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("pubkey_decode");
	tcase_add_test(tc, test_pubkey_spec_vectors);
	tcase_add_test(tc, test_pubkey_canonical_only);
	tcase_add_test(tc, test_pubkey_bad_material);
	tcase_add_test(tc, test_pubkey_secp256k1_points);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubkey_spec_private_match);
	tcase_add_test(tc, test_verify_ecdsa_curves);
	tcase_add_test(tc, test_verify_secp256k1);
	tcase_add_test(tc, test_verify_rsa);
	tcase_add_test(tc, test_rsa_size_bounds);
	tcase_add_test(tc, test_verify_edge_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	key_rng_state = pd_test_seed("check_key");
	return pd_test_run(key_suite());
}
