/*
 * check_peerid.c - unit tests for lib/crypto/peerid.c: peer ID derivation
 * (identity vs sha2-256), validation of binary IDs, the base58 and CID
 * text forms, and parsing per go's peer.Decode.
 *
 * Known answers: libp2p-wire.md §1.4 and libp2p/specs peer-ids.md (keys in
 * tests/unit/vectors/peer-ids.txt).  The expected IDs of the Secp256k1,
 * ECDSA and RSA spec keys and the base36 form were computed independently
 * with Python (hashlib + a textbook base58/base32/base36).  Randomized
 * tests print their seed; PD_TEST_SEED replays.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"

#include "helpers.h"

#ifndef PD_TEST_VECTORS
#error "PD_TEST_VECTORS must name tests/unit/vectors"
#endif

/* ---- helpers ---------------------------------------------------------- */

static uint64_t peerid_rng_state;

static uint64_t
peerid_rng(void)
{
	return pd_test_rng(&peerid_rng_state);
}

/* Look up "name = hex" in the spec vector file and decode it. */
static size_t
vector(const char *name, uint8_t *out, size_t cap)
{
	return pd_test_vector(PD_TEST_VECTORS "/peer-ids.txt", name, out, cap);
}

static int
parse_str(const char *s, struct pd_peerid *ret)
{
	return pd_peerid_parse(s, strlen(s), ret);
}

/* Every way of printing id parses back to id. */
static void
check_text_roundtrip(const struct pd_peerid *id)
{
	char text[PD_PEERID_TEXT_MAX];
	struct pd_peerid back;
	int n;

	n = pd_peerid_format(id, text, sizeof(text));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(text), (size_t)n);
	ck_assert_int_eq(pd_peerid_parse(text, (size_t)n, &back), 0);
	ck_assert(pd_peerid_equal(id, &back));
	ck_assert_mem_eq(id, &back, sizeof(back));

	n = pd_peerid_format_cid(id, text, sizeof(text));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(text[0], 'b');
	ck_assert_int_eq(pd_peerid_parse(text, (size_t)n, &back), 0);
	ck_assert_mem_eq(id, &back, sizeof(back));
}

/* ---- known answers ------------------------------------------------------- */

static const char ed_id_hex[] =
    "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474"
    "fce27e";
static const char ed_id_b58[] =
    "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
static const char ed_id_cid[] =
    "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";

START_TEST(test_ed25519_vector)
{
	uint8_t priv[128], want[64];
	char text[PD_PEERID_TEXT_MAX];
	struct pd_privkey key;
	struct pd_pubkey pub, got;
	struct pd_peerid id, id2;
	size_t n;

	n = vector("ed25519_private_key", priv, sizeof(priv));
	ck_assert_int_eq(pd_privkey_decode(priv, n, &key, NULL, 0), 0);
	pd_privkey_public(&key, &pub);
	pd_privkey_clear(&key);

	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
	n = pd_test_unhex(ed_id_hex, want, sizeof(want));
	ck_assert_uint_eq(id.len, 38);
	ck_assert_mem_eq(id.bytes, want, n);
	for (size_t i = id.len; i < PD_PEERID_MAX_BYTES; i++)
		ck_assert_int_eq(id.bytes[i], 0);

	ck_assert_int_eq(pd_peerid_format(&id, text, sizeof(text)),
	    (int)strlen(ed_id_b58));
	ck_assert_str_eq(text, ed_id_b58);
	ck_assert_int_eq(pd_peerid_format_cid(&id, text, sizeof(text)),
	    (int)strlen(ed_id_cid));
	ck_assert_str_eq(text, ed_id_cid);

	ck_assert_int_eq(parse_str(ed_id_b58, &id2), 0);
	ck_assert(pd_peerid_equal(&id, &id2));
	ck_assert_int_eq(parse_str(ed_id_cid, &id2), 0);
	ck_assert(pd_peerid_equal(&id, &id2));
	/* Other multibases of the same CID. */
	ck_assert_int_eq(parse_str("k51qzi5uqu5dgy8qsq67hbz73jqkw87l3fgf4a91q"
	    "b0d9b5173tir7n4vxk1oe", &id2), 0);
	ck_assert(pd_peerid_equal(&id, &id2));
	ck_assert_int_eq(parse_str("BAFZAAJAIAEJCAHWR5D5OFRFBIS4L5D6UWR57HU5T"
	    "JODRYPFM6YAQ6DSC2R2PZYT6", &id2), 0);
	ck_assert(pd_peerid_equal(&id, &id2));
	ck_assert_int_eq(parse_str("f01720024080112201ed1e8fae2c4a144b8be8fd4"
	    "b47bf3d3b34b871c3cacf6010f0e42d474fce27e", &id2), 0);
	ck_assert(pd_peerid_equal(&id, &id2));

	ck_assert_int_eq(pd_peerid_extract_pubkey(&id2, &got), 0);
	ck_assert(pd_pubkey_equal(&got, &pub));
	ck_assert(pd_peerid_matches_pubkey(&id2, &pub));

	/* Buffers: exact fit works, one short overflows. */
	n = strlen(ed_id_b58);
	ck_assert_int_eq(pd_peerid_format(&id, text, n + 1), (int)n);
	ck_assert_int_eq(pd_peerid_format(&id, text, n), PD_ERR_OVERFLOW);
	n = strlen(ed_id_cid);
	ck_assert_int_eq(pd_peerid_format_cid(&id, text, n + 1), (int)n);
	ck_assert_int_eq(pd_peerid_format_cid(&id, text, n), PD_ERR_OVERFLOW);
}
END_TEST

START_TEST(test_spec_key_ids)
{
	static const struct {
		const char *vec, *hex, *b58, *cid;
	} v[] = {
		{ "secp256k1_public_key",
		  "002508021221037777e994e452c21604f91de093ce415f5432f701dd8cd1"
		  "a7a6fea0e630bfca99",
		  "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
		  "bafzaajiiaijcca3xo7uzjzcsyilaj6i54cj44qk7kqzpoao5rti2pjx6udtd"
		  "bp6kte" },
		{ "ecdsa_public_key",
		  "122068362c312e155f4f7290b67f5cd094a22a0a4fbf20efd8c287934419"
		  "350d36f7",
		  "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk",
		  "bafzbeidigywdclqvl5hxfefwp5onbffcfife7pza57mmfb4tiqmtkdjw64" },
		{ "rsa_public_key",
		  "1220b6c8a8c0a3105fc27afca4fb1173791f038e4343fd56b7c67b616dbc"
		  "30a04ccd",
		  "QmaeANgBs1DTSxWSrPPtobgQuxW8XTfsS4ydbK4rCHzqxG",
		  "bafzbeifwzcumbiyql7bhv7fe7mixg6i7aohegq75k234m63bnw6dbicmzu" },
	};
	uint8_t pb[PD_KEY_MAX_PUBKEY_PB], want[64];
	char text[PD_PEERID_TEXT_MAX];
	struct pd_pubkey pub, got;
	struct pd_peerid id, id2;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = vector(v[i].vec, pb, sizeof(pb));
		int identity = n <= PD_PEERID_MAX_INLINE;

		ck_assert_int_eq(pd_pubkey_decode(pb, n, &pub, NULL, 0), 0);
		ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
		n = pd_test_unhex(v[i].hex, want, sizeof(want));
		ck_assert_uint_eq(id.len, n);
		ck_assert_mem_eq(id.bytes, want, n);
		ck_assert_int_eq(id.bytes[0], identity ? 0x00 : 0x12);
		pd_peerid_format(&id, text, sizeof(text));
		ck_assert_str_eq(text, v[i].b58);
		pd_peerid_format_cid(&id, text, sizeof(text));
		ck_assert_str_eq(text, v[i].cid);
		ck_assert_int_eq(parse_str(v[i].b58, &id2), 0);
		ck_assert(pd_peerid_equal(&id, &id2));
		ck_assert_int_eq(parse_str(v[i].cid, &id2), 0);
		ck_assert(pd_peerid_equal(&id, &id2));
		ck_assert(pd_peerid_matches_pubkey(&id, &pub));
		if (identity) {
			ck_assert_int_eq(pd_peerid_extract_pubkey(&id, &got), 0);
			ck_assert(pd_pubkey_equal(&got, &pub));
		} else {
			ck_assert_int_eq(pd_peerid_extract_pubkey(&id, &got),
			    PD_ERR_NOT_FOUND);
		}
		check_text_roundtrip(&id);
	}
}
END_TEST

/* peer-ids.md "Decoding" examples. */
START_TEST(test_spec_text_examples)
{
	struct pd_peerid a, b, c;
	struct pd_pubkey pub;
	char text[PD_PEERID_TEXT_MAX];
	uint8_t want[34];

	ck_assert_int_eq(parse_str("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
	    &a), 0);
	ck_assert_int_eq(parse_str("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf44"
	    "5he3omzpjbx5xqxe", &b), 0);
	ck_assert(pd_peerid_equal(&a, &b));
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_uint_eq(a.len, 34);
	ck_assert_int_eq(a.bytes[0], 0x12);
	ck_assert_int_eq(a.bytes[1], 0x20);
	pd_test_unhex("12209dff3b", want, sizeof(want));
	ck_assert_mem_eq(a.bytes, want, 5);
	ck_assert_int_eq(a.bytes[32], 0xf0);
	ck_assert_int_eq(a.bytes[33], 0xb9);
	ck_assert_int_eq(pd_peerid_extract_pubkey(&a, &pub), PD_ERR_NOT_FOUND);
	pd_peerid_format(&b, text, sizeof(text));
	ck_assert_str_eq(text, "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
	pd_peerid_format_cid(&a, text, sizeof(text));
	ck_assert_str_eq(text, "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3"
	    "omzpjbx5xqxe");

	ck_assert_int_eq(parse_str("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWm"
	    "weQAJU5SA", &c), 0);
	ck_assert_uint_eq(c.len, 38);
	ck_assert_int_eq(pd_peerid_extract_pubkey(&c, &pub), 0);
	ck_assert_int_eq(pub.type, PD_KEY_ED25519);
	ck_assert(pd_peerid_matches_pubkey(&c, &pub));
	ck_assert(!pd_peerid_matches_pubkey(&a, &pub));
	ck_assert(!pd_peerid_equal(&a, &c));
}
END_TEST

/* ---- rejects -------------------------------------------------------------- */

/* Encode bytes as a base58 / 'b' CID text via the formatter of a fake ID. */
static void
b58_of(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	static const char alpha[] =
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t digits[128] = { 0 };
	size_t used = 0, zeros = 0, o = 0;

	while (zeros < n && p[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = p[i];

		for (size_t j = 0; j < used || carry; j++) {
			if (j < used)
				carry += 256u * digits[j];
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
			if (j >= used)
				used = j + 1;
		}
	}
	ck_assert_uint_lt(zeros + used, outlen);
	for (size_t i = 0; i < zeros; i++)
		out[o++] = '1';
	while (used > 0)
		out[o++] = alpha[digits[--used]];
	out[o] = '\0';
}

static void
b32_cid_of(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	size_t o = 0;
	unsigned acc = 0, bits = 0;

	out[o++] = 'b';
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		ck_assert_uint_lt(o, outlen - 2);
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

START_TEST(test_parse_rejects)
{
	uint8_t mh[128], cid[160];
	char text[300];
	struct pd_peerid id, keep;

	memset(&keep, 0x77, sizeof(keep));
	id = keep;

	/* Bad base58 characters (0 O I l, space, punctuation). */
	ck_assert_int_eq(parse_str("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx50",
	    &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhxlN",
	    &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqU"
	    "mo7R3pO", &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqU"
	    "mo7R3I", &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqU"
	    "mo7R3pq ", &id), PD_ERR_MALFORMED);
	ck_assert_int_lt(parse_str(" 12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaq"
	    "Umo7R3pq", &id), 0);	/* ' ' is no multibase */
	/* Valid base58 but truncated / extended multihash. */
	ck_assert_int_eq(parse_str("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqU"
	    "mo7R3p", &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5NN",
	    &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("Qm", &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse_str("1", &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_peerid_parse("", 0, &id), PD_ERR_MALFORMED);
	/* Embedded NUL within n. */
	ck_assert_int_eq(pd_peerid_parse(ed_id_b58, strlen(ed_id_b58) + 1, &id),
	    PD_ERR_MALFORMED);

	/* CID with codec raw (0x55) instead of libp2p-key. */
	cid[0] = 0x01;
	cid[1] = 0x55;
	pd_test_unhex(ed_id_hex, cid + 2, sizeof(cid) - 2);
	b32_cid_of(cid, 40, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_UNSUPPORTED);
	/* Same with 0x72 parses (the construction is right). */
	cid[1] = 0x72;
	b32_cid_of(cid, 40, text, sizeof(text));
	ck_assert_str_eq(text, ed_id_cid);
	ck_assert_int_eq(parse_str(text, &id), 0);
	id = keep;
	/* CIDv0 in multibase, and a CID version 2. */
	ck_assert_int_lt(parse_str("zQmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
	    &id), 0);
	cid[0] = 0x02;
	b32_cid_of(cid, 40, text, sizeof(text));
	ck_assert_int_lt(parse_str(text, &id), 0);
	/* Base32 CID in mixed case. */
	ck_assert_int_lt(parse_str("bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodr"
	    "ypfm6yaq6dsc2r2pzyT6", &id), 0);

	/*
	 * sha2-256 with a 31-byte and a 33-byte digest.  In base58 only
	 * 12 20 prints as "Qm...", so these texts are not taken as bare
	 * multihashes at all; as CIDs they are bad multihashes.
	 */
	mh[0] = 0x12;
	mh[1] = 31;
	memset(mh + 2, 0xab, 33);
	b58_of(mh, 33, text, sizeof(text));
	ck_assert(text[0] != '1' && !(text[0] == 'Q' && text[1] == 'm'));
	ck_assert_int_lt(parse_str(text, &id), 0);
	cid[0] = 0x01;
	cid[1] = 0x72;
	memcpy(cid + 2, mh, 33);
	b32_cid_of(cid, 35, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_MALFORMED);
	mh[1] = 33;
	b58_of(mh, 35, text, sizeof(text));
	ck_assert_int_lt(parse_str(text, &id), 0);
	cid[0] = 0x01;
	cid[1] = 0x72;
	memcpy(cid + 2, mh, 35);
	b32_cid_of(cid, 37, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_MALFORMED);

	/* Identity digest of 43 bytes. */
	mh[0] = 0x00;
	mh[1] = 43;
	memset(mh + 2, 0x01, 43);
	b58_of(mh, 45, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_MALFORMED);
	/* Identity digest <= 42 that is not a public key. */
	mh[1] = 36;
	b58_of(mh, 38, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_MALFORMED);
	/* Another hash function (sha2-512, 64-byte digest). */
	mh[0] = 0x13;
	mh[1] = 64;
	memset(mh + 2, 0x33, 64);
	cid[0] = 0x01;
	cid[1] = 0x72;
	memcpy(cid + 2, mh, 66);
	b32_cid_of(cid, 68, text, sizeof(text));
	ck_assert_int_eq(parse_str(text, &id), PD_ERR_UNSUPPORTED);
	/* Unknown multibase and plain garbage. */
	ck_assert_int_eq(parse_str("Xyz", &id), PD_ERR_UNSUPPORTED);
	ck_assert_int_lt(parse_str("b", &id), 0);
	ck_assert_int_lt(parse_str("bafy", &id), 0);
	/* Over-long input. */
	memset(text, '1', sizeof(text));
	ck_assert_int_eq(pd_peerid_parse(text, PD_PEERID_MAX_TEXT_IN + 1, &id),
	    PD_ERR_MALFORMED);

	ck_assert_mem_eq(&id, &keep, sizeof(id));	/* untouched */
}
END_TEST

START_TEST(test_from_bytes)
{
	uint8_t b[128];
	struct pd_peerid id;
	size_t n;

	n = pd_test_unhex(ed_id_hex, b, sizeof(b));
	ck_assert_int_eq(pd_peerid_from_bytes(b, n, &id), 0);
	ck_assert_int_eq(pd_peerid_from_bytes(b, n - 1, &id), PD_ERR_MALFORMED);
	b[n] = 0;
	ck_assert_int_eq(pd_peerid_from_bytes(b, n + 1, &id), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_peerid_from_bytes(b, 0, &id), PD_ERR_MALFORMED);
	/* Non-minimal length varint in the multihash. */
	memmove(b + 3, b + 2, n - 2);
	b[1] = 0xa4;
	b[2] = 0x00;
	ck_assert_int_lt(pd_peerid_from_bytes(b, n + 1, &id), 0);
	/* A sha2-256 ID with any digest is fine; its length must be 32. */
	b[0] = 0x12;
	b[1] = 0x20;
	memset(b + 2, 0xee, 32);
	ck_assert_int_eq(pd_peerid_from_bytes(b, 34, &id), 0);
	ck_assert_int_eq(pd_peerid_extract_pubkey(&id, NULL), PD_ERR_INVAL);
	b[1] = 0x1f;
	ck_assert_int_eq(pd_peerid_from_bytes(b, 33, &id), PD_ERR_MALFORMED);
	/* Identity of an empty digest. */
	b[0] = 0x00;
	b[1] = 0x00;
	ck_assert_int_eq(pd_peerid_from_bytes(b, 2, &id), PD_ERR_MALFORMED);
}
END_TEST

/* ---- randomized ---------------------------------------------------------- */

START_TEST(test_random_ed25519_ids)
{
	for (int iter = 0; iter < 300; iter++) {
		uint8_t seed[32];
		struct pd_privkey key;
		struct pd_pubkey pub, got;
		struct pd_peerid id, other;

		for (size_t i = 0; i < sizeof(seed); i++)
			seed[i] = (uint8_t)(peerid_rng() >> 56);
		pd_privkey_from_seed(seed, &key);
		pd_privkey_public(&key, &pub);
		pd_privkey_clear(&key);
		ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
		ck_assert_uint_eq(id.len, 38);
		check_text_roundtrip(&id);
		ck_assert_int_eq(pd_peerid_from_bytes(id.bytes, id.len, &other),
		    0);
		ck_assert_mem_eq(&id, &other, sizeof(id));
		ck_assert_int_eq(pd_peerid_extract_pubkey(&id, &got), 0);
		ck_assert(pd_pubkey_equal(&got, &pub));
		/* A different key never matches. */
		pub.data[peerid_rng() % 32] ^= 0x10;
		ck_assert(!pd_peerid_matches_pubkey(&id, &pub));
	}
}
END_TEST

START_TEST(test_random_sha256_ids)
{
	for (int iter = 0; iter < 300; iter++) {
		uint8_t mh[34];
		struct pd_peerid id;
		char text[PD_PEERID_TEXT_MAX];
		int n;

		mh[0] = 0x12;
		mh[1] = 0x20;
		for (size_t i = 2; i < sizeof(mh); i++)
			mh[i] = (uint8_t)(peerid_rng() >> 56);
		ck_assert_int_eq(pd_peerid_from_bytes(mh, sizeof(mh), &id), 0);
		check_text_roundtrip(&id);
		n = pd_peerid_format(&id, text, sizeof(text));
		ck_assert_int_eq(text[0], 'Q');
		ck_assert_int_eq(text[1], 'm');
		ck_assert_int_eq(n, 46);
	}
}
END_TEST

static Suite *
peerid_suite(void)
{
	Suite *s = suite_create("pd_peerid");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_ed25519_vector);
	tcase_add_test(tc, test_spec_key_ids);
	tcase_add_test(tc, test_spec_text_examples);
	suite_add_tcase(s, tc);

	tc = tcase_create("validation");
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_from_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, test_random_ed25519_ids);
	tcase_add_test(tc, test_random_sha256_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	peerid_rng_state = pd_test_seed("check_peerid");
	return pd_test_run(peerid_suite());
}
