/*
 * check_kad_record.c - unit tests for lib/kad/record.c and lib/kad/cbor.c:
 * the DAG-CBOR reader (RFC 8949 Appendix A vectors plus malformed
 * inputs), RFC 3339 parse/format, the pk validator (spec keys of every
 * type, expected IDs from libp2p-wire.md §1 and check_peerid.c), the ipns
 * validator and select against real records made by js `ipns`
 * (tests/unit/vectors/ipns, tests/tools/gen-ipns-vectors.mjs), the
 * validator table, and the record store (select on put, caps, age,
 * re-validation on read, plus a seeded model test; PD_TEST_SEED replays).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "kad/cbor.h"
#include "kad/msg.h"
#include "kad/record.h"

#include "helpers.h"

#ifndef PD_TEST_VECTORS
#error "PD_TEST_VECTORS must name tests/unit/vectors"
#endif

static uint64_t rec_rng_state = 1;

static uint64_t
rec_rng(void)
{
	uint64_t x = rec_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rec_rng_state = x;
	return x;
}

#define NOW INT64_C(1700000000000)	/* 2023-11-14T22:13:20Z */
#define EOL_2020 INT64_C(1577836800000)	/* 2020-01-01T00:00:00Z */
#define EOL_2200 INT64_C(7258118400000)	/* 2200-01-01T00:00:00Z */
#define HOUR INT64_C(3600000)

/* Read "name = hex" from a vector file; returns the length. */
static size_t
vec_field(const char *file, const char *name, uint8_t *out, size_t cap)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", PD_TEST_VECTORS, file);
	return pd_test_vector(path, name, out, cap);
}

/* An IPNS vector: key and value. */
struct ipns_vec {
	uint8_t key[128], val[PD_KAD_IPNS_MAX];
	size_t keylen, vallen;
};

static void
ipns_load(const char *name, struct ipns_vec *v)
{
	char file[128];

	snprintf(file, sizeof(file), "ipns/%s.txt", name);
	v->keylen = vec_field(file, "key", v->key, sizeof(v->key));
	v->vallen = vec_field(file, "value", v->val, sizeof(v->val));
}

/* ---- CBOR ---------------------------------------------------------------- */

START_TEST(test_cbor_rfc8949)
{
	/* RFC 8949 Appendix A, the items in our subset. */
	static const struct {
		const char *hex;
		int type;
		uint64_t arg;
	} v[] = {
		{ "00", 0, 0 }, { "01", 0, 1 }, { "0a", 0, 10 }, { "17", 0, 23 },
		{ "1818", 0, 24 }, { "1819", 0, 25 }, { "1864", 0, 100 },
		{ "1903e8", 0, 1000 }, { "1a000f4240", 0, 1000000 },
		{ "1b000000e8d4a51000", 0, UINT64_C(1000000000000) },
		{ "1bffffffffffffffff", 0, UINT64_MAX },
		{ "20", 1, 0 }, { "29", 1, 9 }, { "3863", 1, 99 },
		{ "3903e7", 1, 999 }, { "3bffffffffffffffff", 1, UINT64_MAX },
		{ "40", 2, 0 }, { "4401020304", 2, 4 },
		{ "60", 3, 0 }, { "6161", 3, 1 }, { "6449455446", 3, 4 },
		{ "62225c", 3, 2 }, { "62c3bc", 3, 2 }, { "63e6b0b4", 3, 3 },
		{ "80", 4, 0 }, { "83010203", 4, 3 }, { "8301820203820405", 4, 3 },
		{ "98190102030405060708090a0b0c0d0e0f101112131415161718181819", 4, 25 },
		{ "a0", 5, 0 }, { "a26161016162820203", 5, 2 },
		{ "826161a161626163", 4, 2 },
		{ "a56161614161626142616361436164614461656145", 5, 5 },
		{ "f4", 7, PD_CBOR_FALSE }, { "f5", 7, PD_CBOR_TRUE },
		{ "f6", 7, PD_CBOR_NULL }, { "fb3ff199999999999a", 7, PD_CBOR_FLOAT64 },
		/* a DAG-CBOR link: tag 42 around bytes */
		{ "d82a450001711220", 6, 42 },
	};
	uint8_t buf[64];
	struct pd_cbor_reader r;
	struct pd_cbor_item it;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = pd_test_unhex(v[i].hex, buf, sizeof(buf));

		pd_cbor_reader_init(&r, buf, n);
		ck_assert_int_eq(pd_cbor_next(&r, &it), 0);
		ck_assert_int_eq(it.type, v[i].type);
		ck_assert_uint_eq(it.arg, v[i].arg);
		ck_assert_int_eq(pd_cbor_check(buf, n, NULL, 0), 0);
		/* every proper prefix is incomplete */
		for (size_t k = 0; k < n; k++)
			ck_assert_int_eq(pd_cbor_check(buf, k, NULL, 0),
			    PD_ERR_TRUNCATED);
	}
	/* payload and float bits */
	pd_test_unhex("6449455446", buf, sizeof(buf));
	pd_cbor_reader_init(&r, buf, 5);
	ck_assert_int_eq(pd_cbor_next(&r, &it), 0);
	ck_assert_mem_eq(it.data, "IETF", 4);
	ck_assert_uint_eq(r.off, 5);
	pd_test_unhex("fb3ff199999999999a", buf, sizeof(buf));
	pd_cbor_reader_init(&r, buf, 9);
	ck_assert_int_eq(pd_cbor_next(&r, &it), 0);
	ck_assert_uint_eq(it.u, UINT64_C(0x3ff199999999999a));
}
END_TEST

START_TEST(test_cbor_malformed)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		/* indefinite lengths and break (RFC 8949 App. A) */
		{ "5f42010243030405ff", PD_ERR_UNSUPPORTED },
		{ "7f657374726561646d696e67ff", PD_ERR_UNSUPPORTED },
		{ "9fff", PD_ERR_UNSUPPORTED },
		{ "bf61610161629f0203ffff", PD_ERR_UNSUPPORTED },
		{ "ff", PD_ERR_UNSUPPORTED },
		{ "8301029f03ff", PD_ERR_UNSUPPORTED },
		/* reserved additional information */
		{ "1c", PD_ERR_MALFORMED }, { "5d", PD_ERR_MALFORMED },
		{ "fe", PD_ERR_MALFORMED },
		/* tags other than 42, other simple values and floats */
		{ "c074323031332d30332d32315432303a30343a30305a", PD_ERR_UNSUPPORTED },
		{ "c11a514b67b0", PD_ERR_UNSUPPORTED },
		{ "f7", PD_ERR_UNSUPPORTED }, { "f0", PD_ERR_UNSUPPORTED },
		{ "f8ff", PD_ERR_UNSUPPORTED }, { "f93c00", PD_ERR_UNSUPPORTED },
		{ "fa47c35000", PD_ERR_UNSUPPORTED },
		/* truncated */
		{ "", PD_ERR_TRUNCATED }, { "18", PD_ERR_TRUNCATED },
		{ "1a0001", PD_ERR_TRUNCATED }, { "4201", PD_ERR_TRUNCATED },
		{ "830102", PD_ERR_TRUNCATED }, { "a16161", PD_ERR_TRUNCATED },
		{ "fb3ff1", PD_ERR_TRUNCATED }, { "d82a", PD_ERR_TRUNCATED },
		/* huge declared lengths: fail fast, no allocation */
		{ "5bffffffffffffffff", PD_ERR_TRUNCATED },
		{ "7b7fffffffffffffff00", PD_ERR_TRUNCATED },
		{ "9bffffffffffffffff00", PD_ERR_TRUNCATED },
		{ "bbffffffffffffffff616100", PD_ERR_TRUNCATED },
		/* trailing bytes, non-text map keys */
		{ "0000", PD_ERR_MALFORMED }, { "a0a0", PD_ERR_MALFORMED },
		{ "a10102", PD_ERR_MALFORMED }, { "a1410102", PD_ERR_MALFORMED },
		{ "81a1f602", PD_ERR_MALFORMED },
	};
	uint8_t buf[64];
	char why[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = pd_test_unhex(v[i].hex, buf, sizeof(buf));

		why[0] = '\0';
		ck_assert_msg(pd_cbor_check(buf, n, why, sizeof(why)) == v[i].rc,
		    "vector %zu (%s)", i, v[i].hex);
		ck_assert(why[0] != '\0');
	}
}
END_TEST

START_TEST(test_cbor_depth)
{
	static uint8_t buf[4096];

	/* [[[...[0]...]]]: depth 16 nests are fine, 17 are not */
	for (size_t d = 1; d <= 40; d++) {
		memset(buf, 0x81, d);
		buf[d] = 0x00;
		ck_assert_int_eq(pd_cbor_check(buf, d + 1, NULL, 0),
		    d <= PD_CBOR_MAX_DEPTH ? 0 : PD_ERR_OVERFLOW);
	}
	/* a depth bomb of maps and tags */
	for (size_t i = 0; i < 1000; i++) {
		buf[3 * i] = 0xa1;
		buf[3 * i + 1] = 0x61;
		buf[3 * i + 2] = 0x61;
	}
	buf[3000] = 0x00;
	ck_assert_int_eq(pd_cbor_check(buf, 3001, NULL, 0), PD_ERR_OVERFLOW);
	for (size_t i = 0; i < 2000; i++) {
		buf[2 * i] = 0xd8;
		buf[2 * i + 1] = 0x2a;
	}
	buf[4000] = 0x40;
	ck_assert_int_eq(pd_cbor_check(buf, 4001, NULL, 0), PD_ERR_OVERFLOW);
	/* wide is fine: an array of 4000 zeros */
	buf[0] = 0x99;
	buf[1] = 0x0f;
	buf[2] = 0xa0;
	memset(buf + 3, 0, 4000);
	ck_assert_int_eq(pd_cbor_check(buf, 4003, NULL, 0), 0);
}
END_TEST

/* ---- time ---------------------------------------------------------------- */

START_TEST(test_time_parse)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2020-01-01T00:00:00.000000000Z", EOL_2020 },
		{ "2200-01-01T00:00:00.000000000Z", EOL_2200 },
		{ "2023-11-14T22:13:20Z", NOW },
		{ "2023-11-14T22:13:20.5Z", NOW + 500 },
		{ "2023-11-14T22:13:20.123456789Z", NOW + 123 },
		{ "2023-11-14T23:13:20.999+01:00", NOW + 999 },
		{ "2023-11-14T20:43:20-01:30", NOW },
		{ "1969-12-31T23:59:59.999Z", -1 },
		{ "2000-02-29T00:00:00Z", INT64_C(951782400000) },
		{ "0000-01-01T00:00:00Z", INT64_C(-62167219200000) },
		{ "9999-12-31T23:59:59Z", INT64_C(253402300799000) },
	};
	static const char *const bad[] = {
		"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z",
		"2023-11-14t22:13:20Z", "2023-11-14T22:13:20z",
		"2023-13-14T22:13:20Z", "2023-00-14T22:13:20Z",
		"2023-02-29T22:13:20Z", "1900-02-29T00:00:00Z",
		"2023-04-31T00:00:00Z", "2023-11-14T24:00:00Z",
		"2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z",
		"2023-11-14T22:13:20.Z", "2023-11-14T22:13:20.1234567890Z",
		"2023-11-14T22:13:20+0100", "2023-11-14T22:13:20+24:00",
		"2023-11-14T22:13:20+01:60", "2023-11-14T22:13:20Zx",
		"+2023-11-14T22:13:20Z", "2023-1-14T22:13:20Z",
		"2023-11-14T22:13:20,5Z", "２023-11-14T22:13:20Z",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = 42;
		ck_assert_msg(pd_kad_time_parse(ok[i].s, strlen(ok[i].s), &t) == 0,
		    "%s", ok[i].s);
		ck_assert_int_eq(t, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		ck_assert_msg(pd_kad_time_parse(bad[i], strlen(bad[i]), &t) ==
		    PD_ERR_MALFORMED, "%s", bad[i]);
		ck_assert_int_eq(t, 42);
	}
	/* length counted, not NUL */
	ck_assert_int_eq(pd_kad_time_parse("2023-11-14T22:13:20Zjunk", 20, &t), 0);
	ck_assert_int_eq(t, NOW);
}
END_TEST

START_TEST(test_time_format)
{
	static const struct {
		int64_t ms;
		const char *s;
	} v[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ NOW, "2023-11-14T22:13:20Z" },
		{ NOW + 500, "2023-11-14T22:13:20.5Z" },
		{ NOW + 120, "2023-11-14T22:13:20.12Z" },
		{ NOW + 7, "2023-11-14T22:13:20.007Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
	};
	char out[PD_KAD_TIME_MAX];
	int64_t t;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(pd_kad_time_format(v[i].ms, out, sizeof(out)),
		    (int)strlen(v[i].s));
		ck_assert_str_eq(out, v[i].s);
	}
	ck_assert_int_eq(pd_kad_time_format(NOW, out, 20), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_time_format(NOW, out, 21), 20);
	ck_assert_int_eq(pd_kad_time_format(INT64_C(253402300800000), out,
	    sizeof(out)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_time_format(INT64_C(-62167219200001), out,
	    sizeof(out)), PD_ERR_INVAL);
	/* random round trips over years 0000..9999 */
	for (int i = 0; i < 20000; i++) {
		int64_t ms = (int64_t)(rec_rng() % UINT64_C(315537897600000)) -
		    INT64_C(62167219200000);
		int n = pd_kad_time_format(ms, out, sizeof(out));

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(pd_kad_time_parse(out, (size_t)n, &t), 0);
		ck_assert_int_eq(t, ms);
	}
}
END_TEST

/* ---- pk ------------------------------------------------------------------ */

/* "/pk/" || id into key; returns the length. */
static size_t
pk_key(const uint8_t *id, size_t idlen, uint8_t *key)
{
	memcpy(key, "/pk/", 4);
	memcpy(key + 4, id, idlen);
	return 4 + idlen;
}

START_TEST(test_pk_ed25519)
{
	struct pd_kad_validators v;
	struct pd_privkey sk, sk2;
	struct pd_pubkey pub, pub2;
	struct pd_peerid id, id2;
	uint8_t pb[64], key[64];
	char why[160];
	size_t kl;
	int n;

	pd_kad_validators_default(&v);
	ck_assert_int_eq(pd_privkey_generate(&sk), 0);
	ck_assert_int_eq(pd_privkey_generate(&sk2), 0);
	ck_assert_int_eq(pd_privkey_public(&sk, &pub), 0);
	ck_assert_int_eq(pd_privkey_public(&sk2, &pub2), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub2, &id2), 0);
	n = pd_pubkey_encode(&pub, pb, sizeof(pb));
	ck_assert_int_eq(n, 36);
	kl = pk_key(id.bytes, id.len, key);
	ck_assert_int_eq(pd_kad_validate(&v, key, kl, pb, (size_t)n, NOW, why,
	    sizeof(why)), 0);
	/* wrong ID */
	kl = pk_key(id2.bytes, id2.len, key);
	ck_assert_int_eq(pd_kad_validate(&v, key, kl, pb, (size_t)n, NOW, why,
	    sizeof(why)), PD_ERR_BAD_KEY);
	ck_assert_str_eq(why, "public key does not match storage key");
	/* ID truncated or extended */
	kl = pk_key(id.bytes, id.len, key);
	ck_assert_int_ne(pd_kad_validate(&v, key, kl - 1, pb, (size_t)n, NOW,
	    NULL, 0), 0);
	key[kl] = 0;
	ck_assert_int_ne(pd_kad_validate(&v, key, kl + 1, pb, (size_t)n, NOW,
	    NULL, 0), 0);
	/* garbage and empty values */
	ck_assert_int_eq(pd_kad_validate(&v, key, kl, (const uint8_t *)"hello",
	    5, NOW, why, sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_kad_validate(&v, key, kl, pb, 0, NOW, NULL, 0),
	    PD_ERR_MALFORMED);
	ck_assert_int_ne(pd_kad_validate(&v, key, kl, pb, (size_t)n - 1, NOW,
	    NULL, 0), 0);
	pb[10] ^= 1;	/* another (valid or not) key: never matches */
	ck_assert_int_ne(pd_kad_validate(&v, key, kl, pb, (size_t)n, NOW, NULL,
	    0), 0);
	pd_privkey_clear(&sk);
	pd_privkey_clear(&sk2);
}
END_TEST

START_TEST(test_pk_spec_keys)
{
	/* Expected IDs: libp2p-wire.md §1.4 and the independently computed
	 * ones in check_peerid.c. */
	static const struct {
		const char *vec, *id;
	} k[] = {
		{ "ed25519_public_key",
		  "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f"
		  "0e42d474fce27e" },
		{ "secp256k1_public_key",
		  "002508021221037777e994e452c21604f91de093ce415f5432f701dd8cd1"
		  "a7a6fea0e630bfca99" },
		{ "ecdsa_public_key",
		  "122068362c312e155f4f7290b67f5cd094a22a0a4fbf20efd8c287934419"
		  "350d36f7" },
		{ "rsa_public_key",
		  "1220b6c8a8c0a3105fc27afca4fb1173791f038e4343fd56b7c67b616dbc"
		  "30a04ccd" },
	};
	struct pd_kad_validators v;
	struct pd_kad_rec_val vals[3];
	uint8_t pb[PD_KEY_MAX_PUBKEY_PB], id[64], key[80], other[64];
	size_t n, idn, kl;

	pd_kad_validators_default(&v);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		n = vec_field("peer-ids.txt", k[i].vec, pb, sizeof(pb));
		idn = pd_test_unhex(k[i].id, id, sizeof(id));
		kl = pk_key(id, idn, key);
		ck_assert_msg(pd_kad_validate(&v, key, kl, pb, n, NOW, NULL, 0) == 0,
		    "%s", k[i].vec);
		/* the ID of the next key in the list does not match */
		pd_test_unhex(k[(i + 1) % 4].id, other, sizeof(other));
		kl = pk_key(other, strlen(k[(i + 1) % 4].id) / 2, key);
		ck_assert_int_eq(pd_kad_validate(&v, key, kl, pb, n, NOW, NULL, 0),
		    PD_ERR_BAD_KEY);
		/* select: go returns 0 */
		vals[0].val = pb;
		vals[0].len = n;
		vals[1] = vals[2] = vals[0];
		ck_assert_int_eq(pd_kad_select(&v, key, kl, vals, 3), 0);
	}
	ck_assert_int_eq(pd_kad_select(&v, key, kl, vals, 0), PD_ERR_INVAL);
}
END_TEST

/* ---- ipns ---------------------------------------------------------------- */

static int
ipns_check(const char *name, int64_t now, char *why, size_t whylen)
{
	static struct ipns_vec iv;
	struct pd_kad_validators v;

	pd_kad_validators_default(&v);
	ipns_load(name, &iv);
	why[0] = '\0';
	return pd_kad_validate(&v, iv.key, iv.keylen, iv.val, iv.vallen, now,
	    why, whylen);
}

START_TEST(test_ipns_vectors)
{
	static const struct {
		const char *name;
		int rc;
		const char *why;
	} v[] = {
		{ "ed25519-v1v2", 0, "" },
		{ "ed25519-v2only", 0, "" },
		{ "secp256k1-v1v2", 0, "" },
		{ "rsa-pubkey", 0, "" },
		{ "ed25519-seq2", 0, "" },
		{ "ed25519-seq2-late", 0, "" },
		{ "ed25519-seq1-late", 0, "" },
		{ "ed25519-expired", PD_ERR_INVAL, "record expired" },
		{ "ed25519-tampered", PD_ERR_BAD_SIGNATURE, "signatureV2 does not verify" },
		{ "ed25519-v1-mismatch", PD_ERR_INVAL, "V1 fields do not match the CBOR data" },
		{ "ed25519-wrong-key", PD_ERR_BAD_SIGNATURE, "signatureV2 does not verify" },
		{ "ed25519-pubkey-mismatch", PD_ERR_BAD_KEY, "pubKey does not match the name" },
		{ "rsa-no-pubkey", PD_ERR_BAD_KEY, "no public key in record or name" },
	};
	char why[200];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = ipns_check(v[i].name, NOW, why, sizeof(why));

		ck_assert_msg(rc == v[i].rc, "%s: %d (%s)", v[i].name, rc, why);
		ck_assert_str_eq(why, v[i].why);
	}
	/* the expired one is valid up to and including its EOL */
	ck_assert_int_eq(ipns_check("ed25519-expired", EOL_2020, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(ipns_check("ed25519-expired", EOL_2020 + 1, why,
	    sizeof(why)), PD_ERR_INVAL);
	ck_assert_int_eq(ipns_check("ed25519-v1v2", EOL_2200, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(ipns_check("ed25519-v1v2", EOL_2200 + 1, why,
	    sizeof(why)), PD_ERR_INVAL);
}
END_TEST

START_TEST(test_ipns_parse)
{
	static struct ipns_vec iv;
	struct pd_kad_ipns e;
	char why[160];

	ipns_load("ed25519-seq2-late", &iv);
	ck_assert_int_eq(pd_kad_ipns_parse(iv.val, iv.vallen, &e, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(e.c_sequence, 2);
	ck_assert_uint_eq(e.sequence, 2);
	ck_assert(e.has_sequence && e.has_value && e.has_sig_v1);
	ck_assert_uint_eq(e.c_validity_type, 0);
	/* 2250-06-15T12:30:45.123456789Z */
	ck_assert_int_eq(e.eol_ms, INT64_C(8850256245123));
	ck_assert_uint_eq(e.c_ttl, UINT64_C(300000000000));	/* js default 5 min */
	ck_assert_uint_eq(e.c_value_len, 65);
	ck_assert_mem_eq(e.c_value, "/ipfs/bafkrei", 13);
	ck_assert_uint_eq(e.sig_v2_len, 64);
	ck_assert_uint_eq(e.pubkey_len, 0);
	ipns_load("rsa-pubkey", &iv);
	ck_assert_int_eq(pd_kad_ipns_parse(iv.val, iv.vallen, &e, NULL, 0), 0);
	ck_assert_uint_eq(e.c_sequence, 5);
	ck_assert_uint_eq(e.sig_v2_len, 512);
	ck_assert_uint_gt(e.pubkey_len, 500);
	ipns_load("ed25519-v2only", &iv);
	ck_assert_int_eq(pd_kad_ipns_parse(iv.val, iv.vallen, &e, NULL, 0), 0);
	ck_assert(!e.has_value && !e.has_sig_v1 && !e.has_sequence);
	/* every truncation of a record fails (a protobuf or CBOR cut) or
	 * drops signatureV2 / data */
	ipns_load("ed25519-v1v2", &iv);
	for (size_t k = 0; k < iv.vallen; k++)
		ck_assert_int_ne(pd_kad_ipns_parse(iv.val, k, &e, NULL, 0), 0);
	ck_assert_int_eq(pd_kad_ipns_parse(iv.val, PD_KAD_IPNS_MAX + 1, &e,
	    why, sizeof(why)), PD_ERR_OVERFLOW);
}
END_TEST

/* Append protobuf field num (bytes) to out. */
static size_t
pb_bytes(uint8_t *out, size_t o, unsigned num, const uint8_t *p, size_t n)
{
	out[o++] = (uint8_t)(num << 3 | 2);
	for (size_t v = n; ; v >>= 7) {
		out[o++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		if (v < 0x80)
			break;
	}
	memcpy(out + o, p, n);
	return o + n;
}

/*
 * Sign our own V2 record with CBOR data cbor (hex) under key sk; returns
 * the IpnsEntry length.  Used for CBOR shapes js never produces.
 */
static size_t
ipns_make(const struct pd_privkey *sk, const char *cbor_hex, uint8_t *out,
    size_t cap)
{
	uint8_t data[1024], msg[1100], sig[64];
	size_t n = pd_test_unhex(cbor_hex, data, sizeof(data)), o;

	ck_assert_uint_le(n + 100, cap);
	memcpy(msg, "ipns-signature:", 15);
	memcpy(msg + 15, data, n);
	ck_assert_int_eq(pd_privkey_sign(sk, msg, 15 + n, sig), 0);
	o = pb_bytes(out, 0, 8, sig, sizeof(sig));
	return pb_bytes(out, o, 9, data, n);
}

/* CBOR map with keys in DAG-CBOR order: Value TTL Validity Sequence ValidityType. */
#define C_VALUE "6556616c7565" "43" "2f2f2f"
#define C_TTL "6354544c" "00"
#define C_VALIDITY "6856616c6964697479" "581e" \
	"323230302d30312d30315430303a30303a30302e3030303030303030305a"
#define C_SEQ "6853657175656e6365" "07"
#define C_VTYPE "6c56616c69646974795479706500"

START_TEST(test_ipns_cbor_shapes)
{
	static const struct {
		const char *cbor;
		int rc;
	} v[] = {
		{ "a5" C_VALUE C_TTL C_VALIDITY C_SEQ C_VTYPE, 0 },
		/* TTL optional; unknown keys of any DAG-CBOR type skipped */
		{ "a4" C_VALUE C_VALIDITY C_SEQ C_VTYPE, 0 },
		{ "a6" C_VALUE C_VALIDITY C_SEQ C_VTYPE "616bf5" "626b32a1616182f6fb3ff0000000000000", 0 },
		{ "a5" C_VALUE C_VALIDITY C_SEQ C_VTYPE "616bd82a450001711220", 0 },
		/* missing Sequence, duplicate key, wrong types */
		{ "a3" C_VALUE C_VALIDITY C_VTYPE, PD_ERR_MALFORMED },
		{ "a5" C_VALUE C_VALIDITY C_SEQ C_VTYPE C_SEQ, PD_ERR_MALFORMED },
		{ "a4" "6556616c7565" "632f2f2f" C_VALIDITY C_SEQ C_VTYPE, PD_ERR_MALFORMED },
		{ "a4" C_VALUE C_VALIDITY "6853657175656e636520" C_VTYPE, PD_ERR_MALFORMED },
		{ "a5" C_VALUE C_VALIDITY C_SEQ C_VTYPE "4354544c20", PD_ERR_MALFORMED },
		/* ValidityType other than EOL */
		{ "a4" C_VALUE C_VALIDITY C_SEQ "6c56616c69646974795479706501", PD_ERR_UNSUPPORTED },
		{ "a4" C_VALUE C_VALIDITY C_SEQ "6c56616c69646974795479706520", PD_ERR_UNSUPPORTED },
		/* bad time, trailing bytes, not a map, indefinite map */
		{ "a4" C_VALUE "6856616c69646974794474696d65" C_SEQ C_VTYPE, PD_ERR_MALFORMED },
		{ "a4" C_VALUE C_VALIDITY C_SEQ C_VTYPE "00", PD_ERR_MALFORMED },
		{ "80", PD_ERR_MALFORMED },
		{ "bf" C_VALUE C_VALIDITY C_SEQ C_VTYPE "ff", PD_ERR_UNSUPPORTED },
		/* unknown value outside DAG-CBOR */
		{ "a5" C_VALUE C_VALIDITY C_SEQ C_VTYPE "616bf7", PD_ERR_UNSUPPORTED },
	};
	struct pd_kad_validators vt;
	struct pd_privkey sk;
	struct pd_pubkey pub;
	struct pd_peerid id;
	uint8_t rec[1200], key[64];
	struct pd_kad_ipns e;
	char why[160];
	size_t n, kl;

	pd_kad_validators_default(&vt);
	ck_assert_int_eq(pd_privkey_generate(&sk), 0);
	ck_assert_int_eq(pd_privkey_public(&sk, &pub), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, &id), 0);
	memcpy(key, "/ipns/", 6);
	memcpy(key + 6, id.bytes, id.len);
	kl = 6 + id.len;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = ipns_make(&sk, v[i].cbor, rec, sizeof(rec));
		ck_assert_msg(pd_kad_validate(&vt, key, kl, rec, n, NOW, why,
		    sizeof(why)) == v[i].rc, "shape %zu: %s", i, why);
		if (v[i].rc == 0) {
			ck_assert_int_eq(pd_kad_ipns_parse(rec, n, &e, NULL, 0), 0);
			ck_assert_uint_eq(e.c_sequence, 7);
			ck_assert_int_eq(e.eol_ms, EOL_2200);
		}
	}
	/* protobuf V1 fields that disagree one at a time (no value/sigV1) */
	n = ipns_make(&sk, "a5" C_VALUE C_TTL C_VALIDITY C_SEQ C_VTYPE, rec,
	    sizeof(rec));
	rec[n] = 0x28;	/* sequence = 7: matches */
	rec[n + 1] = 7;
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 2, NOW, NULL,
	    0), 0);
	rec[n + 1] = 8;
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 2, NOW, NULL,
	    0), PD_ERR_INVAL);
	rec[n] = 0x30;	/* ttl = 8 vs 0 */
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 2, NOW, NULL,
	    0), PD_ERR_INVAL);
	rec[n] = 0x18;	/* validityType = 8 */
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 2, NOW, NULL,
	    0), PD_ERR_INVAL);
	rec[n] = 0x0a;	/* value = "\x2f///.." 1 byte: mismatch */
	rec[n + 1] = 1;
	rec[n + 2] = '/';
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 3, NOW, NULL,
	    0), PD_ERR_INVAL);
	/* unknown protobuf fields are skipped */
	rec[n] = 0x50;	/* field 10 varint */
	rec[n + 1] = 1;
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl, rec, n + 2, NOW, NULL,
	    0), 0);
	/* keys: wrong namespace, bad peer ID */
	ck_assert_int_eq(pd_kad_ipns_validate((const uint8_t *)"/pk/x", 5, rec,
	    n, NOW, why, sizeof(why), NULL), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validate(&vt, key, kl - 1, rec, n, NOW, why,
	    sizeof(why)), PD_ERR_INVAL);
	pd_privkey_clear(&sk);
}
END_TEST

START_TEST(test_ipns_select)
{
	static struct ipns_vec a, b, c, d;
	struct pd_kad_validators v;
	struct pd_kad_rec_val vals[4];

	pd_kad_validators_default(&v);
	ipns_load("ed25519-v1v2", &a);		/* seq 1, 2200 */
	ipns_load("ed25519-seq2", &b);		/* seq 2, 2200 */
	ipns_load("ed25519-seq2-late", &c);	/* seq 2, 2250 */
	ipns_load("ed25519-seq1-late", &d);	/* seq 1, 2300 */
#define SET(i, x) do { vals[i].val = (x).val; vals[i].len = (x).vallen; } while (0)
	SET(0, a); SET(1, b);
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2), 1);
	SET(0, b); SET(1, a);
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2), 0);
	SET(0, d); SET(1, b);			/* sequence beats EOL */
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2), 1);
	SET(0, b); SET(1, c);			/* same seq: later EOL */
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2), 1);
	SET(0, a); SET(1, d); SET(2, c); SET(3, b);
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 4), 2);
	SET(0, b); SET(1, b);			/* tie: earlier index */
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2), 0);
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 1), 0);
	vals[1].len = 3;			/* unparsable: error, as go */
	ck_assert_int_eq(pd_kad_select(&v, a.key, a.keylen, vals, 2),
	    PD_ERR_MALFORMED);
#undef SET
}
END_TEST

/* ---- table --------------------------------------------------------------- */

struct t_arg {
	int validated, selected;
};

/* Namespace "t": value = 8-byte big-endian version, must be non-zero. */
static int
t_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
    size_t vallen, int64_t now, char *why, size_t whylen, void *arg)
{
	struct t_arg *ta = arg;

	(void)key;
	(void)keylen;
	(void)now;
	if (ta != NULL)
		ta->validated++;
	if (vallen < 8 || val[0] == 0xff) {
		snprintf(why, whylen, "bad t value");
		return PD_ERR_MALFORMED;
	}
	return 0;
}

static uint64_t
t_version(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

static int
t_select(const uint8_t *key, size_t keylen, const struct pd_kad_rec_val *vals,
    size_t n, void *arg)
{
	struct t_arg *ta = arg;
	size_t best = 0;

	(void)key;
	(void)keylen;
	if (ta != NULL)
		ta->selected++;
	for (size_t i = 1; i < n; i++)
		if (t_version(vals[i].val) > t_version(vals[best].val))
			best = i;
	return (int)best;
}

START_TEST(test_table)
{
	struct pd_kad_validators v;
	struct t_arg ta = { 0, 0 }, tb = { 0, 0 };
	struct pd_kad_rec_val vals[2];
	uint8_t val1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t val2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	char why[160], ns[80];

	pd_kad_validators_init(&v);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/a", 4, val1,
	    8, NOW, why, sizeof(why)), PD_ERR_INVAL);
	ck_assert_str_eq(why, "no validator for namespace t");
	ck_assert_int_eq(pd_kad_validators_add(&v, "t", t_validate, t_select,
	    &ta), 0);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/a", 4, val1,
	    8, NOW, why, sizeof(why)), 0);
	ck_assert_int_eq(ta.validated, 1);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/", 3, val1,
	    8, NOW, why, sizeof(why)), 0);	/* empty rest is the validator's call */
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/a", 4, val1,
	    7, NOW, why, sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_str_eq(why, "bad t value");
	vals[0].val = val1;
	vals[0].len = 8;
	vals[1].val = val2;
	vals[1].len = 8;
	ck_assert_int_eq(pd_kad_select(&v, (const uint8_t *)"/t/a", 4, vals, 2), 1);
	ck_assert_int_eq(ta.selected, 1);
	/* replace: same namespace, new arg */
	ck_assert_int_eq(pd_kad_validators_add(&v, "t", t_validate, t_select,
	    &tb), 0);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/a", 4, val1,
	    8, NOW, NULL, 0), 0);
	ck_assert_int_eq(ta.validated, 3);
	ck_assert_int_eq(tb.validated, 1);
	/* malformed keys and unknown namespaces */
	static const char *const badkeys[] = {
		"", "t/a", "/t", "//a", "/", "/u/a", "/T/a", "/tt/a", "/pk/x"
	};
	for (size_t i = 0; i < sizeof(badkeys) / sizeof(badkeys[0]); i++)
		ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)badkeys[i],
		    strlen(badkeys[i]), val1, 8, NOW, why, sizeof(why)),
		    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/\x01\n/a", 5,
	    val1, 8, NOW, why, sizeof(why)), PD_ERR_INVAL);
	ck_assert_str_eq(why, "no validator for namespace \\x01\\x0a");
	ck_assert_int_eq(pd_kad_select(&v, (const uint8_t *)"/u/a", 4, vals, 2),
	    PD_ERR_INVAL);
	/* bad namespaces, NULL callbacks, the cap */
	ck_assert_int_eq(pd_kad_validators_add(&v, "", t_validate, t_select,
	    NULL), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validators_add(&v, "a/b", t_validate, t_select,
	    NULL), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validators_add(&v, "x", NULL, t_select, NULL),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validators_add(&v, "x", t_validate, NULL, NULL),
	    PD_ERR_INVAL);
	memset(ns, 'n', PD_KAD_MAX_NAMESPACE + 1);
	ns[PD_KAD_MAX_NAMESPACE + 1] = '\0';
	ck_assert_int_eq(pd_kad_validators_add(&v, ns, t_validate, t_select,
	    NULL), PD_ERR_INVAL);
	ns[PD_KAD_MAX_NAMESPACE] = '\0';
	ck_assert_int_eq(pd_kad_validators_add(&v, ns, t_validate, t_select,
	    NULL), 0);
	for (int i = 0; v.n < PD_KAD_MAX_VALIDATORS; i++) {
		snprintf(ns, sizeof(ns), "ns%d", i);
		ck_assert_int_eq(pd_kad_validators_add(&v, ns, t_validate,
		    t_select, NULL), 0);
	}
	ck_assert_int_eq(pd_kad_validators_add(&v, "more", t_validate,
	    t_select, NULL), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_validators_add(&v, "t", t_validate, t_select,
	    &ta), 0);			/* replacing still works when full */
	ck_assert_int_eq(pd_kad_validators_remove(&v, "t"), 0);
	ck_assert_int_eq(pd_kad_validators_remove(&v, "t"), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_validate(&v, (const uint8_t *)"/t/a", 4, val1,
	    8, NOW, NULL, 0), PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_validators_add(&v, "more", t_validate,
	    t_select, NULL), 0);
	/* defaults: exactly pk and ipns */
	pd_kad_validators_default(&v);
	ck_assert_uint_eq(v.n, 2);
	ck_assert_str_eq(v.v[0].ns, "pk");
	ck_assert_str_eq(v.v[1].ns, "ipns");
}
END_TEST

/* ---- store --------------------------------------------------------------- */

static void
t_val(uint64_t version, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, version >>= 8)
		out[i] = (uint8_t)version;
}

START_TEST(test_store_ipns)
{
	static struct ipns_vec a, b, c, x;
	static struct pd_kad_record rec;
	struct pd_kad_validators v;
	struct pd_kad_records *rs;
	const uint8_t *val;
	size_t len;
	int64_t recv;
	char why[160];

	pd_kad_validators_default(&v);
	ck_assert_ptr_nonnull(rs = pd_kad_records_new(&v, 0, 0));
	ipns_load("ed25519-v1v2", &a);
	ipns_load("ed25519-seq2", &b);
	ipns_load("ed25519-seq1-late", &c);
	ipns_load("ed25519-expired", &x);
	ck_assert_int_eq(pd_kad_records_get(rs, a.key, a.keylen, NOW, &val,
	    &len, &recv), PD_ERR_NOT_FOUND);
	/* invalid records are refused with the validator's error */
	ck_assert_int_eq(pd_kad_records_put(rs, x.key, x.keylen, x.val,
	    x.vallen, NOW, why, sizeof(why)), PD_ERR_INVAL);
	ck_assert_str_eq(why, "record expired");
	ck_assert_int_eq(pd_kad_records_put(rs, a.key, a.keylen, a.val,
	    a.vallen, NOW, why, sizeof(why)), 0);
	ck_assert_uint_eq(pd_kad_records_count(rs), 1);
	ck_assert_uint_eq(pd_kad_records_bytes(rs), a.keylen + a.vallen);
	/* better replaces; worse and equal-rank are refused */
	ck_assert_int_eq(pd_kad_records_put(rs, b.key, b.keylen, b.val,
	    b.vallen, NOW + 1, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_put(rs, a.key, a.keylen, a.val,
	    a.vallen, NOW + 2, why, sizeof(why)), PD_ERR_EXISTS);
	ck_assert_str_eq(why, "older record");
	ck_assert_int_eq(pd_kad_records_put(rs, c.key, c.keylen, c.val,
	    c.vallen, NOW + 2, why, sizeof(why)), PD_ERR_EXISTS);
	ck_assert_int_eq(pd_kad_records_get(rs, a.key, a.keylen, NOW + 3, &val,
	    &len, &recv), 0);
	ck_assert_uint_eq(len, b.vallen);
	ck_assert_mem_eq(val, b.val, len);
	ck_assert_int_eq(recv, NOW + 1);
	/* the same bytes again refresh the received time */
	ck_assert_int_eq(pd_kad_records_put(rs, b.key, b.keylen, b.val,
	    b.vallen, NOW + 10 * HOUR, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_get_record(rs, a.key, a.keylen,
	    NOW + 11 * HOUR, &rec), 0);
	ck_assert_uint_eq(rec.key_len, a.keylen);
	ck_assert_mem_eq(rec.key, a.key, a.keylen);
	ck_assert_uint_eq(rec.value_len, b.vallen);
	ck_assert_mem_eq(rec.value, b.val, b.vallen);
	ck_assert_str_eq(rec.time_received, "2023-11-15T08:13:20Z");
	ck_assert_uint_eq(rec.time_len, 20);
	/* 48 h after the last put it is gone */
	ck_assert_int_eq(pd_kad_records_get(rs, a.key, a.keylen,
	    NOW + 58 * HOUR, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pd_kad_records_get(rs, a.key, a.keylen,
	    NOW + 58 * HOUR + 1, NULL, NULL, NULL), PD_ERR_NOT_FOUND);
	ck_assert_uint_eq(pd_kad_records_count(rs), 0);
	ck_assert_uint_eq(pd_kad_records_bytes(rs), 0);
	/* an expired stored record is dropped on read and does not block */
	ck_assert_int_eq(pd_kad_records_put(rs, x.key, x.keylen, x.val,
	    x.vallen, EOL_2020 - HOUR, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_get(rs, x.key, x.keylen, EOL_2020,
	    NULL, NULL, NULL), 0);
	ck_assert_int_eq(pd_kad_records_get(rs, x.key, x.keylen, EOL_2020 + 1,
	    NULL, NULL, NULL), PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_records_put(rs, x.key, x.keylen, x.val,
	    x.vallen, EOL_2020 - HOUR, why, sizeof(why)), 0);
	/* x is seq 3, a is seq 1: a cannot replace x while x is valid ... */
	ck_assert_int_eq(pd_kad_records_put(rs, a.key, a.keylen, a.val,
	    a.vallen, EOL_2020 - 1, why, sizeof(why)), PD_ERR_EXISTS);
	/* ... but can once x has expired */
	ck_assert_int_eq(pd_kad_records_put(rs, a.key, a.keylen, a.val,
	    a.vallen, EOL_2020 + 1, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_get(rs, a.key, a.keylen, EOL_2020 + 2,
	    &val, &len, NULL), 0);
	ck_assert_mem_eq(val, a.val, a.vallen);
	pd_kad_records_free(rs);
	pd_kad_records_free(NULL);
}
END_TEST

START_TEST(test_store_caps)
{
	struct pd_kad_validators v;
	struct pd_kad_records *rs;
	static uint8_t big[PD_KAD_MAX_VALUE + 1];
	uint8_t key[PD_KAD_MAX_KEY + 1], val[8];
	char why[160];

	pd_kad_validators_init(&v);
	ck_assert_int_eq(pd_kad_validators_add(&v, "t", t_validate, t_select,
	    NULL), 0);
	ck_assert_ptr_null(pd_kad_records_new(NULL, 0, 0));
	/* 4 records, 48 bytes: exactly full */
	ck_assert_ptr_nonnull(rs = pd_kad_records_new(&v, 4, 48));
	t_val(1, val);
	for (int i = 0; i < 4; i++) {
		snprintf((char *)key, sizeof(key), "/t/%d", i);
		ck_assert_int_eq(pd_kad_records_put(rs, key, 4, val, 8, NOW,
		    why, sizeof(why)), 0);
	}
	ck_assert_uint_eq(pd_kad_records_bytes(rs), 48);
	pd_kad_records_free(rs);
	ck_assert_ptr_nonnull(rs = pd_kad_records_new(&v, 4, 36));
	for (int i = 0; i < 3; i++) {
		snprintf((char *)key, sizeof(key), "/t/%d", i);
		ck_assert_int_eq(pd_kad_records_put(rs, key, 4, val, 8, NOW,
		    why, sizeof(why)), 0);
	}
	/* bytes full */
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/9", 4,
	    val, 8, NOW, why, sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_str_eq(why, "record store full");
	/* a replacement of the same size fits, a larger one does not */
	t_val(2, val);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/0", 4,
	    val, 8, NOW, why, sizeof(why)), 0);
	memset(big, 0, 9);
	big[7] = 3;
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/0", 4,
	    big, 9, NOW, why, sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_uint_eq(pd_kad_records_bytes(rs), 36);
	pd_kad_records_free(rs);
	/* count full */
	ck_assert_ptr_nonnull(rs = pd_kad_records_new(&v, 2, 0));
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/0", 4,
	    val, 8, NOW, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/1", 4,
	    val, 8, NOW, why, sizeof(why)), 0);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/2", 4,
	    val, 8, NOW, why, sizeof(why)), PD_ERR_OVERFLOW);
	/* expiry frees room */
	ck_assert_uint_eq(pd_kad_records_expire(rs, NOW + PD_KAD_RECORD_MAX_AGE_MS), 0);
	ck_assert_uint_eq(pd_kad_records_expire(rs, NOW + PD_KAD_RECORD_MAX_AGE_MS + 1), 2);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/2", 4,
	    val, 8, NOW, why, sizeof(why)), 0);
	/* key and value caps; invalid value */
	memset(key, 'k', sizeof(key));
	memcpy(key, "/t/", 3);
	ck_assert_int_eq(pd_kad_records_put(rs, key, PD_KAD_MAX_KEY + 1, val, 8,
	    NOW, why, sizeof(why)), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/3", 4,
	    big, PD_KAD_MAX_VALUE + 1, NOW, why, sizeof(why)), PD_ERR_OVERFLOW);
	val[0] = 0xff;
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/t/2", 4,
	    val, 8, NOW, why, sizeof(why)), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_kad_records_put(rs, (const uint8_t *)"/x/2", 4,
	    val, 8, NOW, why, sizeof(why)), PD_ERR_INVAL);
	ck_assert_uint_eq(pd_kad_records_count(rs), 1);
	pd_kad_records_free(rs);
}
END_TEST

/* Randomized model test: the store against a plain array, namespace "t". */
START_TEST(test_store_model)
{
	enum { NKEYS = 24, CAP = 16 };
	struct {
		bool present;
		uint64_t version;
		int64_t recv;
	} m[NKEYS];
	struct pd_kad_validators v;
	struct pd_kad_records *rs;
	uint8_t key[16], val[8];
	const uint8_t *got;
	size_t len;
	int64_t now = NOW, recv;

	memset(m, 0, sizeof(m));
	pd_kad_validators_init(&v);
	ck_assert_int_eq(pd_kad_validators_add(&v, "t", t_validate, t_select,
	    NULL), 0);
	ck_assert_ptr_nonnull(rs = pd_kad_records_new(&v, CAP, 0));
	for (int step = 0; step < 20000; step++) {
		unsigned k = (unsigned)(rec_rng() % NKEYS), op = (unsigned)(rec_rng() % 10);
		size_t kl = (size_t)snprintf((char *)key, sizeof(key), "/t/%u", k);
		int rc;

		now += (int64_t)(rec_rng() % (6 * HOUR));
		/* the model ages records exactly as the store does on read */
		if (m[k].present && now - m[k].recv > PD_KAD_RECORD_MAX_AGE_MS)
			m[k].present = false;
		if (op < 6) {
			uint64_t ver = rec_rng() % 8 + 1;

			t_val(ver, val);
			rc = pd_kad_records_put(rs, key, kl, val, 8, now, NULL, 0);
			if (m[k].present && ver == m[k].version) {
				ck_assert_int_eq(rc, 0);
				m[k].recv = now;
			} else if (m[k].present && ver < m[k].version) {
				ck_assert_int_eq(rc, PD_ERR_EXISTS);
			} else if (m[k].present) {
				ck_assert_int_eq(rc, 0);
				m[k].version = ver;
				m[k].recv = now;
			} else if (rc == PD_ERR_OVERFLOW) {
				/* full only if other live records fill it;
				 * stale ones may still sit in the store */
				ck_assert_uint_ge(pd_kad_records_count(rs), CAP);
			} else {
				ck_assert_int_eq(rc, 0);
				m[k].present = true;
				m[k].version = ver;
				m[k].recv = now;
			}
		} else if (op < 9) {
			rc = pd_kad_records_get(rs, key, kl, now, &got, &len, &recv);
			if (!m[k].present) {
				ck_assert_int_eq(rc, PD_ERR_NOT_FOUND);
				continue;
			}
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(len, 8);
			ck_assert_uint_eq(t_version(got), m[k].version);
			ck_assert_int_eq(recv, m[k].recv);
		} else {
			size_t live = 0, bytes = 0;

			(void)pd_kad_records_expire(rs, now);
			for (int i = 0; i < NKEYS; i++) {
				if (m[i].present && now - m[i].recv >
				    PD_KAD_RECORD_MAX_AGE_MS)
					m[i].present = false;
				if (!m[i].present)
					continue;
				live++;
				bytes += (size_t)snprintf((char *)key,
				    sizeof(key), "/t/%d", i) + 8;
			}
			ck_assert_uint_eq(pd_kad_records_count(rs), live);
			ck_assert_uint_eq(pd_kad_records_bytes(rs), bytes);
		}
		ck_assert_uint_le(pd_kad_records_count(rs), CAP);
	}
	pd_kad_records_free(rs);
}
END_TEST

static Suite *
kad_record_suite(void)
{
	Suite *s = suite_create("kad_record");
	TCase *tc;

	tc = tcase_create("cbor");
	tcase_add_test(tc, test_cbor_rfc8949);
	tcase_add_test(tc, test_cbor_malformed);
	tcase_add_test(tc, test_cbor_depth);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_time_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("pk");
	tcase_add_test(tc, test_pk_ed25519);
	tcase_add_test(tc, test_pk_spec_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("ipns");
	tcase_add_test(tc, test_ipns_vectors);
	tcase_add_test(tc, test_ipns_parse);
	tcase_add_test(tc, test_ipns_cbor_shapes);
	tcase_add_test(tc, test_ipns_select);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_store_ipns);
	tcase_add_test(tc, test_store_caps);
	tcase_add_test(tc, test_store_model);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	rec_rng_state = pd_test_seed("check_kad_record");
	return pd_test_run(kad_record_suite());
}
