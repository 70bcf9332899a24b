/*
 * check_pb.c - unit tests for lib/core/pb.c: hand-made protobuf vectors
 * (the libp2p Ed25519 PublicKey of libp2p-wire.md §1.4, the protobuf
 * encoding guide's 150 / "testing" examples), skipping of every wire type,
 * rejection of groups, reserved wire types, field 0 and oversize varints,
 * truncation at every cut, deterministic writers, and a seeded random
 * write -> read model test (PD_TEST_SEED reproduces a run).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"

#include "helpers.h"

static uint64_t pb_rng_state;

static uint64_t
pb_rng(void)
{
	return pd_test_rng(&pb_rng_state);
}

static const char pb_ed25519_pub[] =
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
static const char pb_pubkey_msg[] =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

START_TEST(test_publickey_read)
{
	uint8_t msg[64], pub[32];
	struct pd_pb_reader r;
	struct pd_pb_field f;
	size_t n = pd_test_unhex(pb_pubkey_msg, msg, sizeof(msg));

	ck_assert_uint_eq(n, 36);
	pd_test_unhex(pb_ed25519_pub, pub, sizeof(pub));
	pd_pb_reader_init(&r, msg, n);
	ck_assert_int_eq(pd_pb_next(&r, &f), 1);
	ck_assert_uint_eq(f.num, 1);
	ck_assert_int_eq(f.wire, PD_PB_VARINT);
	ck_assert_uint_eq(f.u, 1);
	ck_assert_int_eq(pd_pb_next(&r, &f), 1);
	ck_assert_uint_eq(f.num, 2);
	ck_assert_int_eq(f.wire, PD_PB_LEN);
	ck_assert_uint_eq(f.len, 32);
	ck_assert_ptr_eq(f.data, msg + 4);
	ck_assert_mem_eq(f.data, pub, 32);
	ck_assert_int_eq(pd_pb_next(&r, &f), 0);
	ck_assert_int_eq(pd_pb_next(&r, &f), 0);	/* stays at the end */
}
END_TEST

START_TEST(test_publickey_write)
{
	uint8_t want[64], pub[32];
	size_t n = pd_test_unhex(pb_pubkey_msg, want, sizeof(want));
	struct pd_buf b;

	pd_test_unhex(pb_ed25519_pub, pub, sizeof(pub));
	pd_buf_init(&b);
	ck_assert_int_eq(pd_pb_put_varint(&b, 1, 1), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&b, 2, pub, 32), 0);
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(b.data, want, n);
	/* RSA (type 0) is written explicitly: 08 00. */
	pd_buf_reset(&b);
	ck_assert_int_eq(pd_pb_put_varint(&b, 1, 0), 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_mem_eq(b.data, "\x08\x00", 2);
	pd_buf_free(&b);
}
END_TEST

/* protobuf.dev/programming-guides/encoding: 08 96 01, 12 07 "testing". */
START_TEST(test_encoding_guide)
{
	struct pd_buf b;
	struct pd_pb_reader r;
	struct pd_pb_field f;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_pb_put_varint(&b, 1, 150), 0);
	ck_assert_int_eq(pd_pb_put_string(&b, 2, "testing"), 0);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_mem_eq(b.data, "\x08\x96\x01\x12\x07testing", 12);
	pd_pb_reader_init(&r, b.data, b.len);
	ck_assert_int_eq(pd_pb_next(&r, &f), 1);
	ck_assert_uint_eq(f.u, 150);
	ck_assert_int_eq(pd_pb_next(&r, &f), 1);
	ck_assert_uint_eq(f.len, 7);
	ck_assert_mem_eq(f.data, "testing", 7);
	ck_assert_int_eq(pd_pb_next(&r, &f), 0);
	ck_assert_int_eq(pd_pb_put_string(&b, 2, NULL), PD_ERR_INVAL);
	pd_buf_free(&b);
}
END_TEST

/* Every wire type once, then the field a caller actually wants. */
START_TEST(test_skip_every_wire_type)
{
	uint8_t msg[128];
	size_t n = pd_test_unhex(
	    "a80696"	"01"			/* 101 varint 150 */
	    "b1060807060504030201"		/* 102 fixed64 */
	    "ba0603616263"			/* 103 LEN "abc" */
	    "c50678563412"			/* 104 fixed32 */
	    "ca0600"				/* 105 LEN empty */
	    "d006ffffffffffffffffff01"		/* 106 varint UINT64_MAX */
	    "d8068000"				/* 107 varint 0, non-minimal */
	    "0801",				/* 1 varint 1 */
	    msg, sizeof(msg));
	static const struct {
		uint32_t num;
		enum pd_pb_wire wire;
		uint64_t u;
		size_t len;
	} want[] = {
		{ 101, PD_PB_VARINT, 150, 0 },
		{ 102, PD_PB_I64, UINT64_C(0x0102030405060708), 0 },
		{ 103, PD_PB_LEN, 0, 3 },
		{ 104, PD_PB_I32, 0x12345678, 0 },
		{ 105, PD_PB_LEN, 0, 0 },
		{ 106, PD_PB_VARINT, UINT64_MAX, 0 },
		{ 107, PD_PB_VARINT, 0, 0 },
		{ 1, PD_PB_VARINT, 1, 0 },
	};
	struct pd_pb_reader r;
	struct pd_pb_field f;
	uint64_t type = 99;
	int got;

	pd_pb_reader_init(&r, msg, n);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(pd_pb_next(&r, &f), 1);
		ck_assert_uint_eq(f.num, want[i].num);
		ck_assert_int_eq(f.wire, want[i].wire);
		ck_assert_uint_eq(f.u, want[i].u);
		ck_assert_uint_eq(f.len, want[i].len);
		if (f.num == 103)
			ck_assert_mem_eq(f.data, "abc", 3);
	}
	ck_assert_int_eq(pd_pb_next(&r, &f), 0);

	/* The usual caller loop: unknown numbers are simply ignored. */
	pd_pb_reader_init(&r, msg, n);
	while ((got = pd_pb_next(&r, &f)) == 1)
		if (f.num == 1 && f.wire == PD_PB_VARINT)
			type = f.u;
	ck_assert_int_eq(got, 0);
	ck_assert_uint_eq(type, 1);
}
END_TEST

static int
pb_first_error(const char *hex)
{
	uint8_t msg[64];
	size_t n = pd_test_unhex(hex, msg, sizeof(msg));
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int got;

	pd_pb_reader_init(&r, msg, n);
	while ((got = pd_pb_next(&r, &f)) == 1)
		;
	return got;
}

START_TEST(test_reject)
{
	static const struct {
		const char *hex;
		int err;
	} bad[] = {
		{ "0b", PD_ERR_MALFORMED },		/* 1: start group */
		{ "0c", PD_ERR_MALFORMED },		/* 1: end group */
		{ "0e00", PD_ERR_MALFORMED },		/* wire type 6 */
		{ "0f00", PD_ERR_MALFORMED },		/* wire type 7 */
		{ "0801" "1b", PD_ERR_MALFORMED },	/* group after a field */
		{ "0001", PD_ERR_MALFORMED },		/* field 0 varint */
		{ "0200", PD_ERR_MALFORMED },		/* field 0 LEN */
		{ "8000" "01", PD_ERR_MALFORMED },	/* field 0, long tag */
		{ "8080808010" "00", PD_ERR_MALFORMED },	/* field 2^29 */
		{ "ffffffffffffffffff01", PD_ERR_MALFORMED },	/* huge tag */
		{ "08ffffffffffffffffff02", PD_ERR_OVERFLOW },	/* > 64 bits */
		{ "0880808080808080808080", PD_ERR_OVERFLOW },	/* 11 bytes */
		{ "08ffffffffffffffffff81", PD_ERR_OVERFLOW },
		{ "80808080808080808080", PD_ERR_OVERFLOW },	/* tag */
		{ "08", PD_ERR_TRUNCATED },		/* no value */
		{ "0880", PD_ERR_TRUNCATED },		/* value cut */
		{ "88", PD_ERR_TRUNCATED },		/* tag cut */
		{ "120561626364", PD_ERR_TRUNCATED },	/* LEN past end */
		{ "1280", PD_ERR_TRUNCATED },		/* length cut */
		{ "12ffffffffffffffffff01", PD_ERR_TRUNCATED },	/* 2^64-1 */
		{ "12ffffffff0f", PD_ERR_TRUNCATED },
		{ "0901020304050607", PD_ERR_TRUNCATED },	/* fixed64 7B */
		{ "0d010203", PD_ERR_TRUNCATED },	/* fixed32 3B */
		{ "0801" "0d", PD_ERR_TRUNCATED },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int got = pb_first_error(bad[i].hex);

		ck_assert_msg(got == bad[i].err, "%s: got %d want %d",
		    bad[i].hex, got, bad[i].err);
	}
}
END_TEST

START_TEST(test_field_number_limits)
{
	struct pd_buf b;
	struct pd_pb_reader r;
	struct pd_pb_field f;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_pb_put_varint(&b, PD_PB_MAX_FIELD, 5), 0);
	ck_assert_mem_eq(b.data, "\xf8\xff\xff\xff\x0f\x05", 6);
	pd_pb_reader_init(&r, b.data, b.len);
	ck_assert_int_eq(pd_pb_next(&r, &f), 1);
	ck_assert_uint_eq(f.num, PD_PB_MAX_FIELD);
	ck_assert_uint_eq(f.u, 5);

	pd_buf_reset(&b);
	ck_assert_int_eq(pd_pb_put_tag(&b, 0, PD_PB_VARINT), PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_tag(&b, PD_PB_MAX_FIELD + 1, PD_PB_VARINT),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_tag(&b, 1, (enum pd_pb_wire)3),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_varint(&b, 0, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_bytes(&b, 0, "x", 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_fixed32(&b, 0, 1), PD_ERR_INVAL);
	ck_assert_int_eq(pd_pb_put_fixed64(&b, 0, 1), PD_ERR_INVAL);
	ck_assert_uint_eq(b.len, 0);	/* nothing half-written */
	pd_buf_free(&b);
}
END_TEST

START_TEST(test_varint_decode)
{
	static const struct {
		const char *hex;
		int ret;
		uint64_t v;
	} v[] = {
		{ "00", 1, 0 },
		{ "8000", 2, 0 },		/* non-minimal is fine here */
		{ "ac02", 2, 300 },
		{ "80808080808080808001", 10, UINT64_C(1) << 63 },
		{ "ffffffffffffffffff01", 10, UINT64_MAX },
		{ "ffffffffffffffff7f", 9, (UINT64_C(1) << 63) - 1 },
		{ "ffffffffffffffffff00", 10, (UINT64_C(1) << 63) - 1 },
		{ "", PD_ERR_TRUNCATED, 0 },
		{ "ff", PD_ERR_TRUNCATED, 0 },
		{ "ffffffffffffffffff", PD_ERR_TRUNCATED, 0 },
		{ "ffffffffffffffffff02", PD_ERR_OVERFLOW, 0 },
		{ "ffffffffffffffffff80", PD_ERR_OVERFLOW, 0 },
		{ "ffffffffffffffffffff01", PD_ERR_OVERFLOW, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t in[16];
		size_t n = pd_test_unhex(v[i].hex, in, sizeof(in));
		uint64_t got = 4242;

		ck_assert_int_eq(pd_pb_varint_decode(in, n, &got), v[i].ret);
		ck_assert_uint_eq(got, v[i].ret > 0 ? v[i].v : 4242);
	}
}
END_TEST

START_TEST(test_writers)
{
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_pb_append_varint(&b, UINT64_MAX), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.data, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
	    10);
	pd_buf_reset(&b);
	ck_assert_int_eq(pd_pb_put_fixed32(&b, 4, 0x12345678), 0);
	ck_assert_int_eq(pd_pb_put_fixed64(&b, 2, UINT64_C(0x0102030405060708)),
	    0);
	ck_assert_int_eq(pd_pb_put_bytes(&b, 3, NULL, 0), 0);
	ck_assert_int_eq(pd_pb_put_tag(&b, 16, PD_PB_LEN), 0);
	ck_assert_uint_eq(b.len, 5 + 9 + 2 + 2);
	ck_assert_mem_eq(b.data,
	    "\x25\x78\x56\x34\x12"
	    "\x11\x08\x07\x06\x05\x04\x03\x02\x01"
	    "\x1a\x00"
	    "\x82\x01", 18);
	pd_buf_free(&b);
}
END_TEST

/* A random field list for the model test. */
struct pb_model_field {
	uint32_t num;
	enum pd_pb_wire wire;
	uint64_t u;
	uint8_t data[40];
	size_t len;
};

#define PB_MODEL_MAX_FIELDS 24

static uint32_t
pb_rand_num(void)
{
	switch (pb_rng() % 3) {
	case 0:
		return 1 + (uint32_t)(pb_rng() % 15);
	case 1:
		return 1 + (uint32_t)(pb_rng() % 2047);
	default:
		return 1 + (uint32_t)(pb_rng() % PD_PB_MAX_FIELD);
	}
}

START_TEST(test_random_model)
{
	static const enum pd_pb_wire wires[] = {
		PD_PB_VARINT, PD_PB_I64, PD_PB_LEN, PD_PB_I32,
	};

	for (int it = 0; it < 5000; it++) {
		struct pb_model_field m[PB_MODEL_MAX_FIELDS];
		size_t nf = (size_t)(pb_rng() % PB_MODEL_MAX_FIELDS);
		struct pd_buf b;
		struct pd_pb_reader r;
		struct pd_pb_field f;

		pd_buf_init(&b);
		for (size_t i = 0; i < nf; i++) {
			m[i].num = pb_rand_num();
			m[i].wire = wires[pb_rng() % 4];
			m[i].u = pb_rng() >> (pb_rng() % 64);
			m[i].len = (size_t)(pb_rng() % sizeof(m[i].data));
			for (size_t k = 0; k < m[i].len; k++)
				m[i].data[k] = (uint8_t)pb_rng();
			switch (m[i].wire) {
			case PD_PB_VARINT:
				ck_assert_int_eq(pd_pb_put_varint(&b, m[i].num,
				    m[i].u), 0);
				break;
			case PD_PB_I64:
				ck_assert_int_eq(pd_pb_put_fixed64(&b,
				    m[i].num, m[i].u), 0);
				break;
			case PD_PB_I32:
				m[i].u &= 0xffffffffu;
				ck_assert_int_eq(pd_pb_put_fixed32(&b,
				    m[i].num, (uint32_t)m[i].u), 0);
				break;
			case PD_PB_LEN:
				ck_assert_int_eq(pd_pb_put_bytes(&b, m[i].num,
				    m[i].data, m[i].len), 0);
				break;
			}
		}
		pd_pb_reader_init(&r, b.data, b.len);
		for (size_t i = 0; i < nf; i++) {
			ck_assert_int_eq(pd_pb_next(&r, &f), 1);
			ck_assert_uint_eq(f.num, m[i].num);
			ck_assert_int_eq(f.wire, m[i].wire);
			if (f.wire == PD_PB_LEN) {
				ck_assert_uint_eq(f.len, m[i].len);
				if (m[i].len > 0)
					ck_assert_mem_eq(f.data, m[i].data,
					    m[i].len);
			} else {
				ck_assert_uint_eq(f.u, m[i].u);
			}
		}
		ck_assert_int_eq(pd_pb_next(&r, &f), 0);
		/* Every proper prefix that cuts a field is an error. */
		for (size_t cut = 0; cut < b.len; cut++) {
			int got;

			pd_pb_reader_init(&r, b.data, cut);
			while ((got = pd_pb_next(&r, &f)) == 1)
				ck_assert_uint_le(r.off, cut);
			ck_assert(got == 0 || got == PD_ERR_TRUNCATED);
		}
		pd_buf_free(&b);
	}
}
END_TEST

static Suite *
pb_suite(void)
{
	Suite *s = suite_create("pd_pb");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_publickey_read);
	tcase_add_test(tc, test_publickey_write);
	tcase_add_test(tc, test_encoding_guide);
	tcase_add_test(tc, test_skip_every_wire_type);
	tcase_add_test(tc, test_writers);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_test(tc, test_reject);
	tcase_add_test(tc, test_field_number_limits);
	tcase_add_test(tc, test_varint_decode);
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
	pb_rng_state = pd_test_seed("check_pb");
	return pd_test_run(pb_suite());
}
