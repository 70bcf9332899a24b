/*
 * key.c - libp2p key protobufs, key validation, signatures.
 *
 * Decodes and encodes the PublicKey / PrivateKey protobufs of
 * libp2p-wire.md §1.1, validates remote public keys of all four types and
 * verifies their signatures, and holds our own Ed25519 identity (generate,
 * load, sign).  Ed25519 goes through libsodium; RSA, ECDSA and Secp256k1
 * through OpenSSL 3 EVP (verify only: we never hold such private keys).
 * Called by peerid.c (peer ID derivation), keyfile.c (the identity file),
 * and by the Noise handshake and identify, which receive remote keys.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/error.h"
#include "core/pb.h"
#include "core/varint.h"
#include "crypto/key.h"

_Static_assert(PD_KEY_ED25519_SECRET_LEN == crypto_sign_SECRETKEYBYTES,
    "libsodium secret key layout");
_Static_assert(PD_KEY_ED25519_PUB_LEN == crypto_sign_PUBLICKEYBYTES,
    "libsodium public key size");
_Static_assert(PD_KEY_ED25519_SIG_LEN == crypto_sign_BYTES,
    "libsodium signature size");
_Static_assert(PD_KEY_ED25519_SEED_LEN == crypto_sign_SEEDBYTES,
    "libsodium seed size");

/* Field numbers of PublicKey and PrivateKey (crypto.proto). */
#define KEY_PB_TYPE 1
#define KEY_PB_DATA 2

/* The one EC group name of Secp256k1 in OpenSSL. */
#define KEY_SECP256K1_GROUP "secp256k1"

static void key_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
key_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

const char *
pd_key_type_name(int type)
{
	switch (type) {
	case PD_KEY_RSA:
		return "RSA";
	case PD_KEY_ED25519:
		return "Ed25519";
	case PD_KEY_SECP256K1:
		return "Secp256k1";
	case PD_KEY_ECDSA:
		return "ECDSA";
	}
	return "unknown";
}

/*
 * Split a PublicKey/PrivateKey message into Type and Data.  Both fields
 * must be present exactly once with the right wire types; any other field
 * is malformed (the schema has no others, and extra fields would make the
 * encoding ambiguous).  Data borrows from p.
 */
static int
key_pb_split(const uint8_t *p, size_t len, uint64_t *ret_type,
    const uint8_t **ret_data, size_t *ret_dlen, char *why, size_t whylen)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int have_type = 0, have_data = 0, rc;
	uint64_t type = 0;
	const uint8_t *data = NULL;
	size_t dlen = 0;

	pd_pb_reader_init(&r, p, len);
	while ((rc = pd_pb_next(&r, &f)) == 1) {
		if (f.num == KEY_PB_TYPE && f.wire == PD_PB_VARINT &&
		    !have_type) {
			type = f.u;
			have_type = 1;
		} else if (f.num == KEY_PB_DATA && f.wire == PD_PB_LEN &&
		    !have_data) {
			data = f.data;
			dlen = f.len;
			have_data = 1;
		} else {
			key_why(why, whylen, "key protobuf: unexpected or "
			    "repeated field %u (wire type %d)", f.num,
			    (int)f.wire);
			return PD_ERR_MALFORMED;
		}
	}
	if (rc < 0) {
		key_why(why, whylen, "key protobuf: %s", pd_strerror(rc));
		return PD_ERR_MALFORMED;
	}
	if (!have_type || !have_data) {
		key_why(why, whylen, "key protobuf: missing %s field",
		    have_type ? "Data" : "Type");
		return PD_ERR_MALFORMED;
	}
	*ret_type = type;
	*ret_data = data;
	*ret_dlen = dlen;
	return 0;
}

/*
 * Write `08 <type> 12 <uvarint len>` ‖ data into out.  Both varints are
 * minimal; protobuf and multiformats varints agree for these values.
 */
static int
key_pb_write(uint64_t type, const uint8_t *data, size_t dlen, uint8_t *out,
    size_t outlen)
{
	uint8_t tv[PD_VARINT_MAX_LEN], lv[PD_VARINT_MAX_LEN];
	int tn, ln;
	size_t total;

	if ((tn = pd_varint_encode(type, tv)) < 0)
		return tn;
	if ((ln = pd_varint_encode(dlen, lv)) < 0)
		return ln;
	total = 1 + (size_t)tn + 1 + (size_t)ln + dlen;
	if (total > outlen || total > INT32_MAX)
		return PD_ERR_OVERFLOW;
	out[0] = (KEY_PB_TYPE << 3) | PD_PB_VARINT;
	memcpy(out + 1, tv, (size_t)tn);
	out[1 + tn] = (KEY_PB_DATA << 3) | PD_PB_LEN;
	memcpy(out + 2 + tn, lv, (size_t)ln);
	if (dlen > 0)
		memcpy(out + 2 + tn + ln, data, dlen);
	return (int)total;
}

/* ---- OpenSSL key material -------------------------------------------- */

/* Parse DER SubjectPublicKeyInfo filling exactly der[0..len). */
static EVP_PKEY *
key_parse_pkix(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *pk;

	if (len == 0 || len > PD_KEY_MAX_PUBKEY)
		return NULL;
	pk = d2i_PUBKEY(NULL, &q, (long)len);
	if (pk != NULL && q != der + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* 1 if OpenSSL re-encodes pk to exactly der[0..len) (canonical DER). */
static int
key_pkix_is_canonical(EVP_PKEY *pk, const uint8_t *der, size_t len)
{
	unsigned char *out = NULL;
	int n, same;

	n = i2d_PUBKEY(pk, &out);
	if (n <= 0)
		return 0;
	same = (size_t)n == len && memcmp(out, der, len) == 0;
	OPENSSL_free(out);
	return same;
}

/* Build an EVP_PKEY from a 33-byte compressed secp256k1 point. */
static EVP_PKEY *
key_secp256k1_pkey(const uint8_t *pt, size_t len)
{
	char group[] = KEY_SECP256K1_GROUP;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	if (len != PD_KEY_SECP256K1_PUB_LEN || (pt[0] != 0x02 && pt[0] != 0x03))
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, len);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL)
		return NULL;
	/* fromdata decompresses the point and fails if it is off the curve. */
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/*
 * Check an RSA PKIX key: RSA (not RSA-PSS), size within go's limits.
 */
static int
key_check_rsa(EVP_PKEY *pk, char *why, size_t whylen)
{
	int bits;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		key_why(why, whylen, "RSA key: PKIX algorithm is not rsaEncryption");
		return PD_ERR_BAD_KEY;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (bits < PD_KEY_RSA_MIN_BITS || bits > PD_KEY_RSA_MAX_BITS) {
		key_why(why, whylen, "RSA key of %d bits is outside %d..%d",
		    bits, PD_KEY_RSA_MIN_BITS, PD_KEY_RSA_MAX_BITS);
		return PD_ERR_BAD_KEY;
	}
	return 0;
}

/*
 * Check an ECDSA PKIX key: EC, named curve P-256/P-384/P-521 (go's
 * x509 curves minus P-224, which no libp2p node uses), uncompressed point
 * (go marshals only that form).
 */
static int
key_check_ecdsa(EVP_PKEY *pk, char *why, size_t whylen)
{
	char group[64], enc[32], form[32];

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		key_why(why, whylen, "ECDSA key: PKIX algorithm is not "
		    "id-ecPublicKey");
		return PD_ERR_BAD_KEY;
	}
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_ENCODING,
	    enc, sizeof(enc), NULL) != 1 || strcmp(enc, "named_curve") != 0) {
		key_why(why, whylen, "ECDSA key: curve must be given by name");
		return PD_ERR_UNSUPPORTED;
	}
	if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) != 1 ||
	    (strcmp(group, "prime256v1") != 0 &&
	    strcmp(group, "secp384r1") != 0 &&
	    strcmp(group, "secp521r1") != 0)) {
		key_why(why, whylen, "ECDSA key: unsupported curve");
		return PD_ERR_UNSUPPORTED;
	}
	if (EVP_PKEY_get_utf8_string_param(pk,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form, sizeof(form),
	    NULL) != 1 || strcmp(form, "uncompressed") != 0) {
		key_why(why, whylen, "ECDSA key: point must be uncompressed");
		return PD_ERR_BAD_KEY;
	}
	return 0;
}

/* Validate a PKIX (RSA or ECDSA) key's bytes. */
static int
key_check_pkix(enum pd_key_type type, const uint8_t *der, size_t len,
    char *why, size_t whylen)
{
	EVP_PKEY *pk;
	int rc;

	if ((pk = key_parse_pkix(der, len)) == NULL) {
		ERR_clear_error();
		key_why(why, whylen, "%s key: Data is not a DER "
		    "SubjectPublicKeyInfo", pd_key_type_name(type));
		return PD_ERR_MALFORMED;
	}
	if (type == PD_KEY_RSA)
		rc = key_check_rsa(pk, why, whylen);
	else
		rc = key_check_ecdsa(pk, why, whylen);
	if (rc == 0 && !key_pkix_is_canonical(pk, der, len)) {
		key_why(why, whylen, "%s key: DER is not in canonical form",
		    pd_key_type_name(type));
		rc = PD_ERR_MALFORMED;
	}
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}

/* Validate the key material of Data for its type. */
static int
key_check_material(enum pd_key_type type, const uint8_t *data, size_t len,
    char *why, size_t whylen)
{
	EVP_PKEY *pk;

	switch (type) {
	case PD_KEY_ED25519:
		if (len != PD_KEY_ED25519_PUB_LEN) {
			key_why(why, whylen, "Ed25519 key: %zu bytes, want %d",
			    len, PD_KEY_ED25519_PUB_LEN);
			return PD_ERR_BAD_KEY;
		}
		return 0;
	case PD_KEY_SECP256K1:
		if (len != PD_KEY_SECP256K1_PUB_LEN) {
			key_why(why, whylen, "Secp256k1 key: %zu bytes, want "
			    "a %d-byte compressed point", len,
			    PD_KEY_SECP256K1_PUB_LEN);
			return PD_ERR_BAD_KEY;
		}
		if ((pk = key_secp256k1_pkey(data, len)) == NULL) {
			ERR_clear_error();
			key_why(why, whylen, "Secp256k1 key: not a point on "
			    "the curve");
			return PD_ERR_BAD_KEY;
		}
		EVP_PKEY_free(pk);
		return 0;
	case PD_KEY_RSA:
	case PD_KEY_ECDSA:
		return key_check_pkix(type, data, len, why, whylen);
	}
	key_why(why, whylen, "unknown key type %d", (int)type);
	return PD_ERR_UNSUPPORTED;
}

/* ---- public keys ----------------------------------------------------- */

int
pd_pubkey_decode(const uint8_t *p, size_t len, struct pd_pubkey *ret_pub,
    char *why, size_t whylen)
{
	uint8_t canon[PD_KEY_MAX_PUBKEY_PB];
	const uint8_t *data;
	uint64_t type;
	size_t dlen;
	int rc, n;

	if ((p == NULL && len > 0) || ret_pub == NULL)
		return PD_ERR_INVAL;
	if (len > PD_KEY_MAX_PUBKEY_PB) {
		key_why(why, whylen, "public key: %zu bytes is over the %d "
		    "limit", len, PD_KEY_MAX_PUBKEY_PB);
		return PD_ERR_OVERFLOW;
	}
	if ((rc = key_pb_split(p, len, &type, &data, &dlen, why, whylen)) < 0)
		return rc;
	if (type > PD_KEY_ECDSA) {
		key_why(why, whylen, "public key: unknown key type %llu",
		    (unsigned long long)type);
		return PD_ERR_UNSUPPORTED;
	}
	if (dlen == 0 || dlen > PD_KEY_MAX_PUBKEY) {
		key_why(why, whylen, "%s public key: Data of %zu bytes",
		    pd_key_type_name((int)type), dlen);
		return dlen == 0 ? PD_ERR_BAD_KEY : PD_ERR_OVERFLOW;
	}
	/* Canonical form only: the peer ID hashes exactly these bytes. */
	n = key_pb_write(type, data, dlen, canon, sizeof(canon));
	if (n < 0 || (size_t)n != len || memcmp(canon, p, len) != 0) {
		key_why(why, whylen, "public key: protobuf is not in "
		    "canonical form");
		return PD_ERR_MALFORMED;
	}
	rc = key_check_material((enum pd_key_type)type, data, dlen, why,
	    whylen);
	if (rc < 0)
		return rc;
	memset(ret_pub, 0, sizeof(*ret_pub));
	ret_pub->type = (enum pd_key_type)type;
	ret_pub->len = dlen;
	memcpy(ret_pub->data, data, dlen);
	return 0;
}

int
pd_pubkey_encode(const struct pd_pubkey *pub, uint8_t *out, size_t outlen)
{
	if (pub == NULL || (out == NULL && outlen > 0) ||
	    (unsigned)pub->type > PD_KEY_ECDSA || pub->len == 0 ||
	    pub->len > PD_KEY_MAX_PUBKEY)
		return PD_ERR_INVAL;
	return key_pb_write((uint64_t)pub->type, pub->data, pub->len, out,
	    outlen);
}

bool
pd_pubkey_equal(const struct pd_pubkey *a, const struct pd_pubkey *b)
{
	return a->type == b->type && a->len == b->len &&
	    a->len <= PD_KEY_MAX_PUBKEY &&
	    memcmp(a->data, b->data, a->len) == 0;
}

/* SHA-256 signature check through EVP for RSA / ECDSA / Secp256k1. */
static int
key_verify_evp(EVP_PKEY *pk, const void *msg, size_t msglen,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return PD_ERR_NOMEM;
	/* RSA defaults to PKCS#1 v1.5 padding; EC takes a DER ECDSA-Sig. */
	ok = EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok ? 0 : PD_ERR_BAD_SIGNATURE;
}

int
pd_pubkey_verify(const struct pd_pubkey *pub, const void *msg, size_t msglen,
    const uint8_t *sig, size_t siglen)
{
	static const uint8_t empty;
	EVP_PKEY *pk;
	int rc;

	if (pub == NULL || pub->len == 0 || pub->len > PD_KEY_MAX_PUBKEY)
		return PD_ERR_BAD_KEY;
	if (msg == NULL) {
		if (msglen > 0)
			return PD_ERR_INVAL;
		msg = &empty;
	}
	if (sig == NULL || siglen == 0 || siglen > PD_KEY_MAX_SIG)
		return PD_ERR_BAD_SIGNATURE;
	switch (pub->type) {
	case PD_KEY_ED25519:
		if (pub->len != PD_KEY_ED25519_PUB_LEN)
			return PD_ERR_BAD_KEY;
		if (siglen != PD_KEY_ED25519_SIG_LEN)
			return PD_ERR_BAD_SIGNATURE;
		if (crypto_sign_verify_detached(sig, msg, msglen,
		    pub->data) != 0)
			return PD_ERR_BAD_SIGNATURE;
		return 0;
	case PD_KEY_SECP256K1:
		pk = key_secp256k1_pkey(pub->data, pub->len);
		break;
	case PD_KEY_RSA:
	case PD_KEY_ECDSA:
		pk = key_parse_pkix(pub->data, pub->len);
		if (pk != NULL && EVP_PKEY_get_base_id(pk) !=
		    (pub->type == PD_KEY_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC)) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		break;
	default:
		return PD_ERR_BAD_KEY;
	}
	if (pk == NULL) {
		ERR_clear_error();
		return PD_ERR_BAD_KEY;
	}
	rc = key_verify_evp(pk, msg, msglen, sig, siglen);
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- our private key ------------------------------------------------- */

int
pd_privkey_generate(struct pd_privkey *ret_key)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	if (ret_key == NULL)
		return PD_ERR_INVAL;
	if (sodium_init() < 0)
		return PD_ERR_UNAVAILABLE;
	crypto_sign_keypair(pk, ret_key->sk);
	return 0;
}

int
pd_privkey_from_seed(const uint8_t seed[PD_KEY_ED25519_SEED_LEN],
    struct pd_privkey *ret_key)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	if (seed == NULL || ret_key == NULL)
		return PD_ERR_INVAL;
	crypto_sign_seed_keypair(pk, ret_key->sk, seed);
	return 0;
}

/*
 * Check Ed25519 PrivateKey.Data (64 or legacy 96 bytes) and build the key
 * from its seed.  The derived secret key goes into *tmp (wiped by caller).
 */
static int
key_ed25519_priv_load(const uint8_t *data, size_t dlen, struct pd_privkey *tmp,
    char *why, size_t whylen)
{
	const uint8_t *pub = data + PD_KEY_ED25519_SEED_LEN;

	if (dlen != 64 && dlen != 96) {
		key_why(why, whylen, "Ed25519 private key: %zu bytes, want "
		    "64 (seed and public key) or legacy 96", dlen);
		return PD_ERR_BAD_KEY;
	}
	if (dlen == 96 && sodium_memcmp(pub, pub + PD_KEY_ED25519_PUB_LEN,
	    PD_KEY_ED25519_PUB_LEN) != 0) {
		key_why(why, whylen, "Ed25519 private key (legacy 96-byte "
		    "form): the two public key copies differ");
		return PD_ERR_BAD_KEY;
	}
	pd_privkey_from_seed(data, tmp);
	if (sodium_memcmp(tmp->sk + PD_KEY_ED25519_SEED_LEN, pub,
	    PD_KEY_ED25519_PUB_LEN) != 0) {
		key_why(why, whylen, "Ed25519 private key: the public key "
		    "does not belong to the seed");
		return PD_ERR_BAD_KEY;
	}
	return 0;
}

int
pd_privkey_decode(const uint8_t *p, size_t len, struct pd_privkey *ret_key,
    char *why, size_t whylen)
{
	struct pd_privkey tmp;
	const uint8_t *data;
	uint64_t type;
	size_t dlen;
	int rc;

	if ((p == NULL && len > 0) || ret_key == NULL)
		return PD_ERR_INVAL;
	if (len > PD_KEY_MAX_PRIVKEY_PB) {
		key_why(why, whylen, "private key: %zu bytes is over the %d "
		    "limit", len, PD_KEY_MAX_PRIVKEY_PB);
		return PD_ERR_OVERFLOW;
	}
	if ((rc = key_pb_split(p, len, &type, &data, &dlen, why, whylen)) < 0)
		return rc;
	if (type != PD_KEY_ED25519) {
		key_why(why, whylen, "private key of type %s: only Ed25519 "
		    "identities are supported",
		    type <= PD_KEY_ECDSA ? pd_key_type_name((int)type) :
		    "unknown");
		return PD_ERR_UNSUPPORTED;
	}
	rc = key_ed25519_priv_load(data, dlen, &tmp, why, whylen);
	if (rc == 0)
		memcpy(ret_key->sk, tmp.sk, sizeof(tmp.sk));
	sodium_memzero(&tmp, sizeof(tmp));
	return rc;
}

int
pd_privkey_encode(const struct pd_privkey *key, uint8_t *out, size_t outlen)
{
	if (key == NULL || (out == NULL && outlen > 0))
		return PD_ERR_INVAL;
	return key_pb_write(PD_KEY_ED25519, key->sk, sizeof(key->sk), out,
	    outlen);
}

int
pd_privkey_public(const struct pd_privkey *key, struct pd_pubkey *ret_pub)
{
	if (key == NULL || ret_pub == NULL)
		return PD_ERR_INVAL;
	memset(ret_pub, 0, sizeof(*ret_pub));
	ret_pub->type = PD_KEY_ED25519;
	ret_pub->len = PD_KEY_ED25519_PUB_LEN;
	memcpy(ret_pub->data, key->sk + PD_KEY_ED25519_SEED_LEN,
	    PD_KEY_ED25519_PUB_LEN);
	return 0;
}

int
pd_privkey_sign(const struct pd_privkey *key, const void *msg, size_t msglen,
    uint8_t ret_sig[PD_KEY_ED25519_SIG_LEN])
{
	static const uint8_t empty;

	if (key == NULL || ret_sig == NULL || (msg == NULL && msglen > 0))
		return PD_ERR_INVAL;
	if (msg == NULL)
		msg = &empty;
	crypto_sign_detached(ret_sig, NULL, msg, msglen, key->sk);
	return 0;
}

void
pd_privkey_clear(struct pd_privkey *key)
{
	if (key != NULL)
		sodium_memzero(key, sizeof(*key));
}
