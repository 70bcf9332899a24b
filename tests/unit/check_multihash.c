/*
 * check_multihash.c - unit tests for lib/core/multihash.c and cid.c:
 * peer ID multihashes and CIDs from libp2p-wire.md §1.4 (Ed25519 identity
 * and the spec's sha2-256 cross-check), the raw CID of sha256("hello
 * world"), every multibase form of one CID, the digest and text caps,
 * CIDv0 rejection, and a seeded random format -> parse model test
 * (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/buf.h"
#include "core/cid.h"
#include "core/error.h"
#include "core/multihash.h"

#include "helpers.h"

static uint64_t mh_rng_state;

static uint64_t
mh_rng(void)
{
	return pd_test_rng(&mh_rng_state);
}

/* libp2p-wire.md §1.4 */
static const char mh_ed25519_id[] =
    "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
static const char mh_ed25519_cid[] =
    "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
static const char mh_sha_cid[] =
    "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe";
static const char mh_sha_b58[] =
    "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
static const char mh_hello_raw_cid[] =
    "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

START_TEST(test_mh_identity)
{
	uint8_t id[64];
	size_t n = pd_test_unhex(mh_ed25519_id, id, sizeof(id));
	struct pd_multihash mh;
	struct pd_buf b;

	ck_assert_uint_eq(n, 38);
	ck_assert_int_eq(pd_multihash_decode(id, n, &mh), 0);
	ck_assert_uint_eq(mh.code, PD_MH_IDENTITY);
	ck_assert_uint_eq(mh.len, 36);
	ck_assert_ptr_eq(mh.digest, id + 2);
	ck_assert_int_eq(pd_multihash_decode_prefix(id, n, &mh), 38);

	pd_buf_init(&b);
	ck_assert_int_eq(pd_multihash_encode(&b, PD_MH_IDENTITY, id + 2, 36),
	    0);
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(b.data, id, n);
	/* An empty identity digest is a valid multihash. */
	pd_buf_reset(&b);
	ck_assert_int_eq(pd_multihash_encode(&b, PD_MH_IDENTITY, NULL, 0), 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_int_eq(pd_multihash_decode(b.data, b.len, &mh), 0);
	ck_assert_uint_eq(mh.len, 0);
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_mh_sha256)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "hello world", "1220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9" },
		{ "abc", "1220ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t want[40];
		size_t n = pd_test_unhex(v[i].hex, want, sizeof(want));
		struct pd_multihash mh;
		struct pd_buf b;

		pd_buf_init(&b);
		ck_assert_int_eq(pd_multihash_sha256(&b, v[i].in,
		    strlen(v[i].in)), 0);
		ck_assert_uint_eq(b.len, n);
		ck_assert_mem_eq(b.data, want, n);
		ck_assert_int_eq(pd_multihash_decode(b.data, b.len, &mh), 0);
		ck_assert_uint_eq(mh.code, PD_MH_SHA2_256);
		ck_assert_uint_eq(mh.len, 32);
		pd_buf_free(&b);
	}
}
END_TEST

START_TEST(test_mh_errors)
{
	static const struct {
		const char *hex;
		int err;
	} bad[] = {
		{ "", PD_ERR_TRUNCATED },
		{ "12", PD_ERR_TRUNCATED },
		{ "1220", PD_ERR_TRUNCATED },
		{ "122000", PD_ERR_TRUNCATED },
		{ "1201ff", PD_ERR_MALFORMED },		/* sha2-256, 1 byte */
		{ "1200", PD_ERR_MALFORMED },
		{ "0003616263ff", PD_ERR_MALFORMED },	/* trailing byte */
		{ "8000", PD_ERR_NOT_MINIMAL },		/* code non-minimal */
		{ "008000", PD_ERR_NOT_MINIMAL },	/* length non-minimal */
		{ "008108", PD_ERR_OVERFLOW },		/* 1025-byte digest */
		{ "00ffffffffffffffff7f", PD_ERR_OVERFLOW },
		{ "ffffffffffffffffff01", PD_ERR_OVERFLOW },	/* code */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[64];
		size_t n = pd_test_unhex(bad[i].hex, in, sizeof(in));
		struct pd_multihash mh = { 77, NULL, 77 };
		int got = pd_multihash_decode(in, n, &mh);

		ck_assert_msg(got == bad[i].err, "%s: got %d want %d",
		    bad[i].hex, got, bad[i].err);
		ck_assert_uint_eq(mh.code, 77);	/* untouched */
	}
	{
		uint8_t in[8] = { 0x00, 0x03, 'a', 'b', 'c', 0xff };
		struct pd_multihash mh;

		ck_assert_int_eq(pd_multihash_decode_prefix(in, 6, &mh), 5);
		ck_assert_uint_eq(mh.len, 3);
	}
}
END_TEST

START_TEST(test_mh_limits)
{
	static uint8_t digest[PD_MH_MAX_DIGEST + 1];
	struct pd_multihash mh;
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_multihash_encode(&b, PD_MH_IDENTITY, digest,
	    PD_MH_MAX_DIGEST), 0);
	ck_assert_int_eq(pd_multihash_decode(b.data, b.len, &mh), 0);
	ck_assert_uint_eq(mh.len, PD_MH_MAX_DIGEST);
	pd_buf_reset(&b);
	ck_assert_int_eq(pd_multihash_encode(&b, PD_MH_IDENTITY, digest,
	    PD_MH_MAX_DIGEST + 1), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_multihash_encode(&b, PD_MH_SHA2_256, digest, 31),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_multihash_encode(&b, UINT64_MAX, digest, 1),
	    PD_ERR_OVERFLOW);
	ck_assert_uint_eq(b.len, 0);
	/* Codes beyond one byte are just varints (blake2b-256 = 0xb220). */
	ck_assert_int_eq(pd_multihash_encode(&b, 0xb220, digest, 32), 0);
	ck_assert_mem_eq(b.data, "\xa0\xe4\x02\x20", 4);
	ck_assert_int_eq(pd_multihash_decode(b.data, b.len, &mh), 0);
	ck_assert_uint_eq(mh.code, 0xb220);
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_cid_ed25519)
{
	uint8_t id[64], buf[PD_CID_MAX_BIN];
	size_t n = pd_test_unhex(mh_ed25519_id, id, sizeof(id));
	struct pd_cid cid;
	char txt[PD_CID_MAX_TEXT + 1];
	struct pd_buf b;

	ck_assert_int_eq(pd_cid_parse(mh_ed25519_cid, strlen(mh_ed25519_cid),
	    buf, sizeof(buf), &cid), 0);
	ck_assert_uint_eq(cid.codec, PD_CID_LIBP2P_KEY);
	ck_assert_uint_eq(cid.mh_len, n);
	ck_assert_mem_eq(cid.mh_bytes, id, n);
	ck_assert_ptr_eq(cid.mh_bytes, buf + 2);
	ck_assert_uint_eq(cid.mh.code, PD_MH_IDENTITY);
	ck_assert_uint_eq(cid.mh.len, 36);
	ck_assert_ptr_eq(cid.mh.digest, buf + 4);

	ck_assert_int_eq(pd_cid_format(PD_CID_LIBP2P_KEY, id, n, txt,
	    sizeof(txt)), (int)strlen(mh_ed25519_cid));
	ck_assert_str_eq(txt, mh_ed25519_cid);

	pd_buf_init(&b);
	ck_assert_int_eq(pd_cid_encode(&b, PD_CID_LIBP2P_KEY, id, n), 0);
	ck_assert_uint_eq(b.len, n + 2);
	ck_assert_mem_eq(b.data, "\x01\x72", 2);
	ck_assert_mem_eq(b.data + 2, id, n);
	ck_assert_int_eq(pd_cid_decode(b.data, b.len, &cid), 0);
	ck_assert_uint_eq(cid.codec, PD_CID_LIBP2P_KEY);
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_cid_sha256_peer)
{
	uint8_t buf[PD_CID_MAX_BIN], b58[64];
	struct pd_cid cid;
	char txt[128];
	int n;

	ck_assert_int_eq(pd_cid_parse(mh_sha_cid, strlen(mh_sha_cid), buf,
	    sizeof(buf), &cid), 0);
	ck_assert_uint_eq(cid.codec, PD_CID_LIBP2P_KEY);
	ck_assert_uint_eq(cid.mh.code, PD_MH_SHA2_256);
	ck_assert_uint_eq(cid.mh_len, 34);
	ck_assert_mem_eq(cid.mh_bytes, "\x12\x20\x9d\xff\x3b", 5);
	ck_assert_mem_eq(cid.mh_bytes + 32, "\xf0\xb9", 2);
	/* Same multihash as the legacy base58 form. */
	n = pd_base58_decode(mh_sha_b58, strlen(mh_sha_b58), b58, sizeof(b58));
	ck_assert_int_eq(n, 34);
	ck_assert_mem_eq(b58, cid.mh_bytes, 34);
	ck_assert_int_eq(pd_cid_format(PD_CID_LIBP2P_KEY, b58, 34, txt,
	    sizeof(txt)), (int)strlen(mh_sha_cid));
	ck_assert_str_eq(txt, mh_sha_cid);
	/* CIDv0 text is not a CIDv1. */
	ck_assert_int_eq(pd_cid_parse(mh_sha_b58, strlen(mh_sha_b58), buf,
	    sizeof(buf), &cid), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_cid_decode(b58, 34, &cid), PD_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(test_cid_raw_hello)
{
	struct pd_buf mh;
	uint8_t buf[PD_CID_MAX_BIN];
	struct pd_cid cid;
	char txt[128];

	pd_buf_init(&mh);
	ck_assert_int_eq(pd_multihash_sha256(&mh, "hello world", 11), 0);
	ck_assert_int_eq(pd_cid_format(PD_CID_RAW, mh.data, mh.len, txt,
	    sizeof(txt)), (int)strlen(mh_hello_raw_cid));
	ck_assert_str_eq(txt, mh_hello_raw_cid);
	ck_assert_int_eq(pd_cid_parse(txt, strlen(txt), buf, sizeof(buf),
	    &cid), 0);
	ck_assert_uint_eq(cid.codec, PD_CID_RAW);
	ck_assert_uint_eq(cid.mh_len, mh.len);
	ck_assert_mem_eq(cid.mh_bytes, mh.data, mh.len);
	pd_buf_free(&mh);
}
END_TEST

/* One CID, every text form base.h decodes. */
START_TEST(test_cid_other_bases)
{
	static const char *const forms[] = {
		"k51qzi5uqu5dgy8qsq67hbz73jqkw87l3fgf4a91qb0d9b5173tir7n4vxk1oe",
		"z5AanNVJCxnGuh8TJu4nye3dE3NbxAd8FB9cr46uVagyFPuibMxok2R",
		"f01720024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e",
		"BAFZAAJAIAEJCAHWR5D5OFRFBIS4L5D6UWR57HU5TJODRYPFM6YAQ6DSC2R2PZYT6",
	};
	uint8_t id[64];
	size_t n = pd_test_unhex(mh_ed25519_id, id, sizeof(id));

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint8_t buf[PD_CID_MAX_BIN];
		struct pd_cid cid;

		ck_assert_int_eq(pd_cid_parse(forms[i], strlen(forms[i]), buf,
		    sizeof(buf), &cid), 0);
		ck_assert_uint_eq(cid.codec, PD_CID_LIBP2P_KEY);
		ck_assert_uint_eq(cid.mh_len, n);
		ck_assert_mem_eq(cid.mh_bytes, id, n);
	}
}
END_TEST

START_TEST(test_cid_errors)
{
	static const struct {
		const char *hex;
		int err;
	} bad[] = {
		{ "", PD_ERR_TRUNCATED },
		{ "01", PD_ERR_TRUNCATED },
		{ "0172", PD_ERR_TRUNCATED },
		{ "00720000", PD_ERR_UNSUPPORTED },	/* version 0 */
		{ "02720000", PD_ERR_UNSUPPORTED },	/* version 2 */
		{ "0180007200", PD_ERR_NOT_MINIMAL },	/* codec 80 00 */
		{ "0172000000", PD_ERR_MALFORMED },	/* trailing */
		{ "01721201ff", PD_ERR_MALFORMED },	/* short sha256 */
	};
	uint8_t buf[PD_CID_MAX_BIN], id[64];
	static char big[PD_CID_MAX_TEXT + 2];
	size_t n = pd_test_unhex(mh_ed25519_id, id, sizeof(id));
	struct pd_cid cid;
	char txt[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[32];
		size_t len = pd_test_unhex(bad[i].hex, in, sizeof(in));
		int got;

		cid.codec = 99;
		got = pd_cid_decode(in, len, &cid);
		ck_assert_msg(got == bad[i].err, "%s: got %d want %d",
		    bad[i].hex, got, bad[i].err);
		ck_assert_uint_eq(cid.codec, 99);
	}
	/* Text: size cap, caller buffer, bad prefix, bad characters. */
	memset(big, 'a', sizeof(big) - 1);
	big[0] = 'b';
	ck_assert_int_eq(pd_cid_parse(big, PD_CID_MAX_TEXT + 1, buf,
	    sizeof(buf), &cid), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_cid_parse(mh_ed25519_cid, strlen(mh_ed25519_cid),
	    buf, 39, &cid), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_cid_parse(mh_ed25519_cid, strlen(mh_ed25519_cid),
	    buf, 40, &cid), 0);
	ck_assert_int_eq(pd_cid_parse("", 0, buf, sizeof(buf), &cid),
	    PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_cid_parse("xafz", 4, buf, sizeof(buf), &cid),
	    PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_cid_parse("bafz!", 5, buf, sizeof(buf), &cid),
	    PD_ERR_MALFORMED);
	/* Formatting checks the multihash and the output room. */
	ck_assert_int_eq(pd_cid_format(PD_CID_LIBP2P_KEY, id, n - 1, txt,
	    sizeof(txt)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_cid_format(PD_CID_LIBP2P_KEY, id, n, txt,
	    strlen(mh_ed25519_cid)), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_cid_format(UINT64_MAX, id, n, txt, sizeof(txt)),
	    PD_ERR_OVERFLOW);
	{
		struct pd_buf b;

		pd_buf_init(&b);
		ck_assert_int_eq(pd_cid_encode(&b, PD_CID_RAW, id, n + 1),
		    PD_ERR_INVAL);
		ck_assert_uint_eq(b.len, 0);
		pd_buf_free(&b);
	}
}
END_TEST

/* The largest accepted digest fits both caps. */
START_TEST(test_cid_max)
{
	static uint8_t digest[PD_MH_MAX_DIGEST];
	static uint8_t buf[PD_CID_MAX_BIN];
	static char txt[PD_CID_MAX_TEXT + 1];
	struct pd_buf mh;
	struct pd_cid cid;
	int n;

	memset(digest, 0x5a, sizeof(digest));
	pd_buf_init(&mh);
	ck_assert_int_eq(pd_multihash_encode(&mh, 0x1fffff, digest,
	    sizeof(digest)), 0);
	n = pd_cid_format(UINT64_C(0x7fffffffffffffff), mh.data, mh.len, txt,
	    sizeof(txt));
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, PD_CID_MAX_TEXT);
	ck_assert_int_eq(pd_cid_parse(txt, (size_t)n, buf, sizeof(buf), &cid),
	    0);
	ck_assert_uint_eq(cid.codec, UINT64_C(0x7fffffffffffffff));
	ck_assert_uint_eq(cid.mh.code, 0x1fffff);
	ck_assert_uint_eq(cid.mh.len, PD_MH_MAX_DIGEST);
	pd_buf_free(&mh);
}
END_TEST

/* Model: random multihash + codec -> text -> parse gives them back. */
START_TEST(test_random_model)
{
	for (int it = 0; it < 2000; it++) {
		uint8_t digest[PD_MH_MAX_DIGEST], buf[PD_CID_MAX_BIN];
		char txt[PD_CID_MAX_TEXT + 1];
		uint64_t code = (mh_rng() & 1) ? PD_MH_SHA2_256 :
		    mh_rng() >> (1 + mh_rng() % 63);
		uint64_t codec = mh_rng() >> (1 + mh_rng() % 63);
		size_t dlen = code == PD_MH_SHA2_256 ? 32 :
		    (size_t)(mh_rng() % (mh_rng() & 2 ? 40 : PD_MH_MAX_DIGEST + 1));
		struct pd_buf mh;
		struct pd_cid cid;
		int n;

		for (size_t i = 0; i < dlen; i++)
			digest[i] = (uint8_t)mh_rng();
		pd_buf_init(&mh);
		ck_assert_int_eq(pd_multihash_encode(&mh, code, digest, dlen),
		    0);
		n = pd_cid_format(codec, mh.data, mh.len, txt, sizeof(txt));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(pd_cid_parse(txt, (size_t)n, buf, sizeof(buf),
		    &cid), 0);
		ck_assert_uint_eq(cid.codec, codec);
		ck_assert_uint_eq(cid.mh.code, code);
		ck_assert_uint_eq(cid.mh.len, dlen);
		if (dlen > 0)
			ck_assert_mem_eq(cid.mh.digest, digest, dlen);
		ck_assert_uint_eq(cid.mh_len, mh.len);
		ck_assert_mem_eq(cid.mh_bytes, mh.data, mh.len);
		pd_buf_free(&mh);
	}
}
END_TEST

static Suite *
multihash_suite(void)
{
	Suite *s = suite_create("pd_multihash");
	TCase *tc;

	tc = tcase_create("multihash");
	tcase_add_test(tc, test_mh_identity);
	tcase_add_test(tc, test_mh_sha256);
	tcase_add_test(tc, test_mh_errors);
	tcase_add_test(tc, test_mh_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("cid");
	tcase_add_test(tc, test_cid_ed25519);
	tcase_add_test(tc, test_cid_sha256_peer);
	tcase_add_test(tc, test_cid_raw_hello);
	tcase_add_test(tc, test_cid_other_bases);
	tcase_add_test(tc, test_cid_errors);
	tcase_add_test(tc, test_cid_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	mh_rng_state = pd_test_seed("check_multihash");
	return pd_test_run(multihash_suite());
}
