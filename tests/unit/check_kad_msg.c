/*
 * check_kad_msg.c - Kademlia Message codec and stream framing: vectors
 * written by hand from dht.proto (field numbers and wire types), round
 * trips of every message type, proto3 defaults, caps, malformed input,
 * framing, and a seeded randomized round trip (PD_TEST_SEED reproduces).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/varint.h"
#include "crypto/key.h"
#include "kad/msg.h"

#include "helpers.h"

static uint64_t kad_rng_state = 1;

static uint64_t
kad_rng(void)
{
	uint64_t x = kad_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	kad_rng_state = x;
	return x;
}

/* Hex (spaces allowed) to bytes; returns the length. */
static size_t
unhex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t n = 0;
	unsigned v;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ck_assert(sscanf(hex, "%2x", &v) == 1);
		ck_assert_uint_lt(n, outlen);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* The spec's Ed25519 peer ID (libp2p-wire.md §1.4). */
#define ED_ID_HEX "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
/* /ip4/127.0.0.1/tcp/4001 */
#define MA_LO_HEX "047f000001060fa1"
/* /ip4/192.0.2.42/tcp/443 (spec vector) */
#define MA_DOC_HEX "04c000022a0601bb"
/* "my-app" provider key, §10 */
#define NS_KEY_HEX "12204c9a75cca717efb68c856f26ba8250737f44e6980d33193c94fa0b8e9cd7618c"

static struct pd_kad_msg *m1, *m2;

static void
setup(void)
{
	m1 = pd_kad_msg_new();
	m2 = pd_kad_msg_new();
	ck_assert_ptr_nonnull(m1);
	ck_assert_ptr_nonnull(m2);
}

static void
teardown(void)
{
	pd_kad_msg_free(m1);
	pd_kad_msg_free(m2);
}

static void
ed_id(struct pd_peerid *id)
{
	uint8_t b[64];
	size_t n = unhex(ED_ID_HEX, b, sizeof(b));

	ck_assert_int_eq(pd_peerid_from_bytes(b, n, id), 0);
}

static void
seed_id(int seedbyte, struct pd_peerid *id)
{
	struct pd_privkey key;
	struct pd_pubkey pub;
	uint8_t seed[32];

	memset(seed, seedbyte, sizeof(seed));
	ck_assert_int_eq(pd_privkey_from_seed(seed, &key), 0);
	ck_assert_int_eq(pd_privkey_public(&key, &pub), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(&pub, id), 0);
	pd_privkey_clear(&key);
}

static void
ma_hex(const char *hex, struct pd_multiaddr *ma)
{
	uint8_t b[64];
	size_t n = unhex(hex, b, sizeof(b));

	ck_assert_int_eq(pd_multiaddr_from_bytes(b, n, ma, NULL, 0), 0);
}

/* Encode m and compare with hex. */
static void
expect_encoding(const struct pd_kad_msg *m, const char *hex)
{
	static uint8_t want[4096];
	size_t n = unhex(hex, want, sizeof(want));
	struct pd_buf b;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_kad_msg_encode(m, &b), 0);
	ck_assert_uint_eq(b.len, n);
	ck_assert(n == 0 || memcmp(b.data, want, n) == 0);
	pd_buf_free(&b);
}

static int
decode_hex(const char *hex, struct pd_kad_msg *m)
{
	static uint8_t in[8192];
	size_t n = unhex(hex, in, sizeof(in));

	return pd_kad_msg_decode(in, n, m, NULL, 0);
}

/* encode(a) -> decode -> equal, and the re-encoding is byte-identical. */
static void
roundtrip(const struct pd_kad_msg *a, struct pd_kad_msg *b)
{
	struct pd_buf e1, e2;
	char why[128];

	pd_buf_init(&e1);
	pd_buf_init(&e2);
	ck_assert_int_eq(pd_kad_msg_encode(a, &e1), 0);
	ck_assert_int_eq(pd_kad_msg_decode(e1.data, e1.len, b, why,
	    sizeof(why)), 0);
	ck_assert(pd_kad_msg_equal(a, b));
	ck_assert_uint_eq(b->dropped_peers + b->dropped_addrs +
	    b->dropped_fields, 0);
	ck_assert_int_eq(pd_kad_msg_encode(b, &e2), 0);
	ck_assert_uint_eq(e1.len, e2.len);
	ck_assert(e1.len == 0 || memcmp(e1.data, e2.data, e1.len) == 0);
	pd_buf_free(&e1);
	pd_buf_free(&e2);
}

/* FIND_NODE request: 08 04 (type) 12 26 (key = peer ID). */
START_TEST(test_vector_find_node)
{
	struct pd_peerid id;

	ck_assert_int_eq(decode_hex("0804 1226" ED_ID_HEX, m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_FIND_NODE);
	ed_id(&id);
	ck_assert_uint_eq(m1->key_len, id.len);
	ck_assert(memcmp(m1->key, id.bytes, id.len) == 0);
	ck_assert(!m1->has_record);
	ck_assert_uint_eq(m1->ncloser, 0);

	pd_kad_msg_init(m2, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_set_key(m2, id.bytes, id.len), 0);
	expect_encoding(m2, "0804 1226" ED_ID_HEX);
	ck_assert_str_eq(pd_kad_msg_type_name(m1->type), "FIND_NODE");
}
END_TEST

/*
 * FIND_NODE reply with one closer peer: 08 04, then 42 (field 8, LEN)
 * 34 = Peer { 0a 26 id, 12 08 /ip4/127.0.0.1/tcp/4001, 18 01 CONNECTED }.
 */
START_TEST(test_vector_closer)
{
	struct pd_peerid id;
	struct pd_multiaddr ma;
	const char *hex = "0804 4234 0a26" ED_ID_HEX " 1208" MA_LO_HEX " 1801";

	ck_assert_int_eq(decode_hex(hex, m1), 0);
	ed_id(&id);
	ma_hex(MA_LO_HEX, &ma);
	ck_assert_uint_eq(m1->ncloser, 1);
	ck_assert_uint_eq(m1->nproviders, 0);
	ck_assert(pd_peerid_equal(&m1->closer[0].id, &id));
	ck_assert_int_eq(m1->closer[0].connection, PD_KAD_CONNECTED);
	ck_assert_uint_eq(m1->closer[0].naddrs, 1);
	ck_assert(pd_multiaddr_equal(&m1->closer[0].addrs[0], &ma));

	pd_kad_msg_init(m2, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_add_peer(m2, PD_KAD_LIST_CLOSER, &id, &ma,
	    1, PD_KAD_CONNECTED), 0);
	expect_encoding(m2, hex);
	ck_assert(pd_kad_msg_equal(m1, m2));
}
END_TEST

/*
 * GET_PROVIDERS reply: 08 03, 12 22 key, 42 closer (2 addrs, connection
 * absent = NOT_CONNECTED), 4a provider.  Encoder order: 1, 2, 8, 9.
 */
START_TEST(test_vector_providers)
{
	struct pd_peerid id, id2;
	struct pd_multiaddr ma[2];
	const char *hex = "0803 1222" NS_KEY_HEX
	    " 423c 0a26" ED_ID_HEX " 1208" MA_LO_HEX " 1208" MA_DOC_HEX
	    " 4a34 0a26" ED_ID_HEX " 1208" MA_DOC_HEX " 1801";
	uint8_t key[40];
	size_t keylen = unhex(NS_KEY_HEX, key, sizeof(key));

	ck_assert_int_eq(decode_hex(hex, m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_GET_PROVIDERS);
	ck_assert_uint_eq(m1->key_len, 34);
	ck_assert_uint_eq(m1->ncloser, 1);
	ck_assert_uint_eq(m1->nproviders, 1);
	ck_assert_int_eq(m1->closer[0].connection, PD_KAD_NOT_CONNECTED);
	ck_assert_uint_eq(m1->closer[0].naddrs, 2);
	ck_assert_uint_eq(m1->providers[0].naddrs, 1);

	ed_id(&id);
	id2 = id;
	ma_hex(MA_LO_HEX, &ma[0]);
	ma_hex(MA_DOC_HEX, &ma[1]);
	pd_kad_msg_init(m2, PD_KAD_GET_PROVIDERS);
	ck_assert_int_eq(pd_kad_msg_set_key(m2, key, keylen), 0);
	/* Add the provider first: the encoder still puts field 8 first. */
	ck_assert_int_eq(pd_kad_msg_add_peer(m2, PD_KAD_LIST_PROVIDERS, &id2,
	    &ma[1], 1, PD_KAD_CONNECTED), 0);
	ck_assert_int_eq(pd_kad_msg_add_peer(m2, PD_KAD_LIST_CLOSER, &id, ma,
	    2, PD_KAD_NOT_CONNECTED), 0);
	expect_encoding(m2, hex);
	ck_assert(pd_kad_msg_equal(m1, m2));
}
END_TEST

/*
 * PUT_VALUE request: no type field (proto3 zero), 12 key, 1a Record
 * { 0a key, 12 value, 2a timeReceived }.
 */
START_TEST(test_vector_put_value)
{
	/* "2024-01-02T03:04:05.123Z" is 24 (0x18) bytes; the record 36. */
	const char *hex = "1203 2f706b 1a24 0a03 2f706b 1203 010203"
	    " 2a18 323032342d30312d30325430333a30343a30352e3132335a";

	ck_assert_int_eq(decode_hex(hex, m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_PUT_VALUE);
	ck_assert_uint_eq(m1->key_len, 3);
	ck_assert(m1->has_record);
	ck_assert_uint_eq(m1->record.key_len, 3);
	ck_assert(memcmp(m1->record.key, "/pk", 3) == 0);
	ck_assert_uint_eq(m1->record.value_len, 3);
	ck_assert_uint_eq(m1->record.value[2], 3);
	ck_assert_str_eq(m1->record.time_received, "2024-01-02T03:04:05.123Z");
	ck_assert_uint_eq(m1->record.time_len, 24);
	expect_encoding(m1, hex);
	/* A record length one past the end: truncated, not read beyond. */
	ck_assert_int_eq(decode_hex("1203 2f706b 1a25 0a03 2f706b 1203 010203"
	    " 2a18 323032342d30312d30325430333a30343a30352e3132335a", m2),
	    PD_ERR_TRUNCATED);
}
END_TEST

/* Empty input = PUT_VALUE with nothing; empty record is kept present. */
START_TEST(test_vector_defaults)
{
	ck_assert_int_eq(pd_kad_msg_decode(NULL, 0, m1, NULL, 0), 0);
	ck_assert_int_eq(m1->type, PD_KAD_PUT_VALUE);
	ck_assert(!m1->has_record);
	expect_encoding(m1, "");
	ck_assert_int_eq(decode_hex("1a00", m1), 0);
	ck_assert(m1->has_record);
	expect_encoding(m1, "1a00");
	/* Explicit zeros decode and are then omitted. */
	ck_assert_int_eq(decode_hex("0800 1200 5000", m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_PUT_VALUE);
	expect_encoding(m1, "");
	ck_assert_int_eq(decode_hex("0805", m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_PING);
	expect_encoding(m1, "0805");
}
END_TEST

/* clusterLevelRaw (10, int32): positive, and negative as 10 bytes. */
START_TEST(test_cluster_level)
{
	ck_assert_int_eq(decode_hex("0801 5007", m1), 0);
	ck_assert_int_eq(m1->cluster_level_raw, 7);
	expect_encoding(m1, "0801 5007");
	ck_assert_int_eq(decode_hex("50ffffffffffffffffff01", m1), 0);
	ck_assert_int_eq(m1->cluster_level_raw, -1);
	expect_encoding(m1, "50ffffffffffffffffff01");
	/* int32 semantics: high bits truncated. */
	ck_assert_int_eq(decode_hex("5081808080 10", m1), 0);
	ck_assert_int_eq(m1->cluster_level_raw, 1);
}
END_TEST

/* Unknown fields everywhere, retired record fields, wrong wire types. */
START_TEST(test_unknown_fields)
{
	const char *hex = "0801 3803 3d01020304 12020a0b"
	    " 1a0e 0a01 41 1a02 ffff 2202 eeee 1201 42"	/* author, signature */
	    " 4237 0a26" ED_ID_HEX " 1208" MA_LO_HEX " 2000 f80100"
	    " 0a00 1a00 2a00 5201 00";
	/*
	 * 3803, 3d...: field 7 as varint and fixed32; f80100: field 31 in a
	 * Peer; 0a00: field 1 (type) as LEN, skipped like go does; 1a00: a
	 * second record merges (keeps key and value); 2a00: field 5 at the
	 * top level; 5201 00: field 10 as LEN, skipped.
	 */
	ck_assert_int_eq(decode_hex(hex, m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_GET_VALUE);
	ck_assert_uint_eq(m1->key_len, 2);
	ck_assert(m1->has_record);
	ck_assert_uint_eq(m1->record.key_len, 1);
	ck_assert_uint_eq(m1->record.value_len, 1);
	ck_assert_uint_eq(m1->ncloser, 1);
	ck_assert_uint_eq(m1->cluster_level_raw, 0);
	expect_encoding(m1, "0801 12020a0b 1a06 0a0141 120142 4232 0a26"
	    ED_ID_HEX " 1208" MA_LO_HEX);
}
END_TEST

/* Last scalar wins; a second record merges into the first. */
START_TEST(test_last_wins_merge)
{
	ck_assert_int_eq(decode_hex("0801 0804 120141 120242 43"
	    " 1a03 0a0161 1a03 120162 1a03 0a0163", m1), 0);
	ck_assert_int_eq(m1->type, PD_KAD_FIND_NODE);
	ck_assert_uint_eq(m1->key_len, 2);
	ck_assert(memcmp(m1->key, "BC", 2) == 0);
	ck_assert_uint_eq(m1->record.key_len, 1);
	ck_assert_uint_eq(m1->record.key[0], 'c');
	ck_assert_uint_eq(m1->record.value_len, 1);
	ck_assert_uint_eq(m1->record.value[0], 'b');
	/* Peer: last id wins, addrs accumulate. */
	ck_assert_int_eq(decode_hex("4242 0a0401020304 0a26" ED_ID_HEX
	    " 1208" MA_LO_HEX " 1208" MA_DOC_HEX, m1), 0);
	ck_assert_uint_eq(m1->ncloser, 1);
	ck_assert_uint_eq(m1->closer[0].naddrs, 2);
}
END_TEST

/* Bad peer IDs, bad multiaddrs: skipped and counted, never fatal. */
START_TEST(test_bad_peers_skipped)
{
	/* peer 1: id not a multihash; peer 2: no id; peer 3: good id, one
	 * bad addr (unknown code 0x7f... -> 3f), one good; peer 4:
	 * sha2-256 with a short digest. */
	ck_assert_int_eq(decode_hex(
	    "4206 0a0401020304"
	    " 420a 1208" MA_LO_HEX
	    " 4236 0a26" ED_ID_HEX " 1202 3f00 1208" MA_LO_HEX
	    " 4a06 0a04 12020102"
	    " 4a2a 0a26" ED_ID_HEX " 1200", m1), 0);
	ck_assert_uint_eq(m1->ncloser, 1);
	ck_assert_uint_eq(m1->closer[0].naddrs, 1);
	ck_assert_uint_eq(m1->nproviders, 1);
	ck_assert_uint_eq(m1->providers[0].naddrs, 0);
	ck_assert_uint_eq(m1->dropped_peers, 3);
	ck_assert_uint_eq(m1->dropped_addrs, 2);	/* 3f00 and empty */
}
END_TEST

/* Fatal errors leave the output untouched. */
START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"08",			/* truncated varint */
		"12",			/* tag without length */
		"1205 0102",		/* LEN past end */
		"0b",			/* wire type 3 (group) */
		"0f",			/* wire type 7 */
		"00",			/* field number 0 */
		"4203 0a0501",		/* Peer protobuf truncated inside */
		"4201 0b",		/* Peer with a group */
		"1a02 0a05",		/* Record truncated inside */
		"1a01 0f",		/* Record bad wire type */
		"08ffffffffffffffffffff01", /* varint over 64 bits */
	};
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pd_kad_msg_init(m1, PD_KAD_FIND_NODE);
		ck_assert_int_eq(pd_kad_msg_set_key(m1, (const uint8_t *)"zz",
		    2), 0);
		why[0] = '\0';
		ck_assert_msg(decode_hex(bad[i], m1) < 0, "accepted %s",
		    bad[i]);
		ck_assert_int_eq(m1->type, PD_KAD_FIND_NODE);
		ck_assert_uint_eq(m1->key_len, 2);
	}
	/* Unknown type: UNSUPPORTED, with a reason. */
	{
		uint8_t in[] = { 0x08, 0x06 };

		ck_assert_int_eq(pd_kad_msg_decode(in, 2, m1, why,
		    sizeof(why)), PD_ERR_UNSUPPORTED);
		ck_assert_str_eq(why, "unknown message type 6");
	}
	ck_assert_int_eq(decode_hex("08ffffffff0f", m1), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(decode_hex("1205 0102", m1), PD_ERR_TRUNCATED);
	ck_assert_int_eq(pd_kad_msg_decode(NULL, 1, m1, NULL, 0),
	    PD_ERR_INVAL);
	/* The unknown type late in the message: still nothing written. */
	ck_assert_int_eq(decode_hex("1203 414243 0806", m1),
	    PD_ERR_UNSUPPORTED);
	ck_assert_uint_eq(m1->key_len, 2);
}
END_TEST

/* Size caps: key, record key, value, timeReceived, peers, addrs. */
START_TEST(test_caps)
{
	static uint8_t in[PD_KAD_MAX_VALUE + 64];
	struct pd_buf b;
	struct pd_peerid id;
	struct pd_multiaddr ma[PD_KAD_MAX_ADDRS + 3];
	char tm[PD_KAD_MAX_TIME + 2];
	size_t i;

	/* key exactly at the cap, then one over */
	in[0] = 0x12;
	in[1] = 0x80;
	in[2] = 0x08;			/* 1024 */
	memset(in + 3, 'k', PD_KAD_MAX_KEY + 1);
	ck_assert_int_eq(pd_kad_msg_decode(in, 3 + PD_KAD_MAX_KEY, m1, NULL,
	    0), 0);
	ck_assert_uint_eq(m1->key_len, PD_KAD_MAX_KEY);
	in[1] = 0x81;			/* 1025 */
	ck_assert_int_eq(pd_kad_msg_decode(in, 4 + PD_KAD_MAX_KEY, m1, NULL,
	    0), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_msg_set_key(m1, in, PD_KAD_MAX_KEY + 1),
	    PD_ERR_OVERFLOW);
	/* record value 65536 ok, 65537 over: 1a len(0x10003) 12 len(..) */
	for (int over = 0; over <= 1; over++) {
		size_t vlen = PD_KAD_MAX_VALUE + (size_t)over, n = 0;
		uint8_t hdr[16];
		int hl;

		pd_buf_init(&b);
		hdr[0] = 0x12;
		hl = pd_varint_encode(vlen, hdr + 1);
		ck_assert_int_gt(hl, 0);
		ck_assert_int_eq(pd_buf_append_byte(&b, 0x1a), 0);
		ck_assert_int_eq(pd_varint_append(&b, vlen + 1 + (size_t)hl),
		    0);
		ck_assert_int_eq(pd_buf_append(&b, hdr, 1 + (size_t)hl), 0);
		memset(in, 'v', vlen);
		ck_assert_int_eq(pd_buf_append(&b, in, vlen), 0);
		n = b.len;
		ck_assert_int_eq(pd_kad_msg_decode(b.data, n, m1, NULL, 0),
		    over ? PD_ERR_OVERFLOW : 0);
		if (!over)
			ck_assert_uint_eq(m1->record.value_len, vlen);
		pd_buf_free(&b);
	}
	/* timeReceived over the cap: dropped, counted, not fatal. */
	memset(tm, 't', sizeof(tm));
	i = 0;
	in[i++] = 0x1a;
	in[i++] = (uint8_t)(2 + PD_KAD_MAX_TIME + 1);
	in[i++] = 0x2a;
	in[i++] = PD_KAD_MAX_TIME + 1;
	memcpy(in + i, tm, PD_KAD_MAX_TIME + 1);
	i += PD_KAD_MAX_TIME + 1;
	ck_assert_int_eq(pd_kad_msg_decode(in, i, m1, NULL, 0), 0);
	ck_assert_uint_eq(m1->dropped_fields, 1);
	ck_assert_uint_eq(m1->record.time_len, 0);
	/* with a NUL inside */
	ck_assert_int_eq(decode_hex("1a05 2a03 610062", m1), 0);
	ck_assert_uint_eq(m1->dropped_fields, 1);
	ck_assert_int_eq(decode_hex("1a05 2a03 616263", m1), 0);
	ck_assert_str_eq(m1->record.time_received, "abc");

	/* Peers: PD_KAD_MAX_PEERS + 2 closer, addrs PD_KAD_MAX_ADDRS + 3. */
	ed_id(&id);
	for (i = 0; i < PD_KAD_MAX_ADDRS + 3; i++) {
		char text[64];

		snprintf(text, sizeof(text), "/ip4/10.0.0.%zu/tcp/4001", i);
		ck_assert_int_eq(pd_multiaddr_parse(text, &ma[i], NULL, 0), 0);
	}
	pd_kad_msg_init(m1, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_add_peer(m1, PD_KAD_LIST_CLOSER, &id, ma,
	    PD_KAD_MAX_ADDRS + 3, PD_KAD_CONNECTED), 0);
	ck_assert_uint_eq(m1->closer[0].naddrs, PD_KAD_MAX_ADDRS);
	ck_assert_uint_eq(m1->dropped_addrs, 3);
	for (i = 1; i < PD_KAD_MAX_PEERS; i++)
		ck_assert_int_eq(pd_kad_msg_add_peer(m1, PD_KAD_LIST_CLOSER,
		    &id, ma, 1, PD_KAD_NOT_CONNECTED), 0);
	ck_assert_int_eq(pd_kad_msg_add_peer(m1, PD_KAD_LIST_CLOSER, &id, ma,
	    1, PD_KAD_NOT_CONNECTED), PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_msg_add_peer(m1, 7, &id, ma, 1, 0),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_kad_msg_add_peer(m1, PD_KAD_LIST_PROVIDERS, &id,
	    ma, 1, 4), PD_ERR_INVAL);
	/* Encode it, then append extra peers and addresses by hand. */
	pd_buf_init(&b);
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), 0);
	{
		static const uint8_t extra_addr[] = { 0x12, 0x08, 0x04, 0x7f,
		    0, 0, 1, 0x06, 0x0f, 0xa1 };
		uint8_t peer[128];
		size_t pl = 0;
		uint8_t idb[64];
		size_t idn = unhex(ED_ID_HEX, idb, sizeof(idb));

		peer[pl++] = 0x0a;
		peer[pl++] = (uint8_t)idn;
		memcpy(peer + pl, idb, idn);
		pl += idn;
		memcpy(peer + pl, extra_addr, sizeof(extra_addr));
		pl += sizeof(extra_addr);
		for (i = 0; i < 2; i++) {	/* 2 closer over the cap */
			ck_assert_int_eq(pd_buf_append_byte(&b, 0x42), 0);
			ck_assert_int_eq(pd_buf_append_byte(&b, (uint8_t)pl),
			    0);
			ck_assert_int_eq(pd_buf_append(&b, peer, pl), 0);
		}
	}
	ck_assert_int_eq(pd_kad_msg_decode(b.data, b.len, m2, NULL, 0), 0);
	ck_assert_uint_eq(m2->ncloser, PD_KAD_MAX_PEERS);
	ck_assert_uint_eq(m2->dropped_peers, 2);
	ck_assert(pd_kad_msg_equal(m1, m2));
	pd_buf_free(&b);

	/* Message over the wire cap. */
	ck_assert_int_eq(pd_kad_msg_decode(in, PD_KAD_MSG_MAX + 1, m1, NULL,
	    0), PD_ERR_OVERFLOW);
}
END_TEST

/* 19 addrs inside one wire Peer: the decoder keeps 16. */
START_TEST(test_addr_cap_wire)
{
	struct pd_buf b, peer;
	uint8_t idb[64], mab[16];
	size_t idn = unhex(ED_ID_HEX, idb, sizeof(idb));
	size_t man = unhex(MA_LO_HEX, mab, sizeof(mab));
	int i;

	pd_buf_init(&b);
	pd_buf_init(&peer);
	ck_assert_int_eq(pd_buf_append_byte(&peer, 0x0a), 0);
	ck_assert_int_eq(pd_buf_append_byte(&peer, (uint8_t)idn), 0);
	ck_assert_int_eq(pd_buf_append(&peer, idb, idn), 0);
	for (i = 0; i < PD_KAD_MAX_ADDRS + 3; i++) {
		ck_assert_int_eq(pd_buf_append_byte(&peer, 0x12), 0);
		ck_assert_int_eq(pd_buf_append_byte(&peer, (uint8_t)man), 0);
		ck_assert_int_eq(pd_buf_append(&peer, mab, man), 0);
	}
	ck_assert_int_eq(pd_buf_append_byte(&b, 0x4a), 0);
	ck_assert_int_eq(pd_varint_append(&b, peer.len), 0);
	ck_assert_int_eq(pd_buf_append(&b, peer.data, peer.len), 0);
	ck_assert_int_eq(pd_kad_msg_decode(b.data, b.len, m1, NULL, 0), 0);
	ck_assert_uint_eq(m1->nproviders, 1);
	ck_assert_uint_eq(m1->providers[0].naddrs, PD_KAD_MAX_ADDRS);
	ck_assert_uint_eq(m1->dropped_addrs, 3);
	pd_buf_free(&b);
	pd_buf_free(&peer);
}
END_TEST

/* Encoder refuses a struct that breaks its invariant; out unchanged. */
START_TEST(test_encode_invalid)
{
	struct pd_buf b;
	struct pd_peerid id;

	pd_buf_init(&b);
	ck_assert_int_eq(pd_buf_append(&b, "xy", 2), 0);
	pd_kad_msg_init(m1, PD_KAD_PING);
	m1->type = (enum pd_kad_msg_type)6;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), PD_ERR_INVAL);
	m1->type = PD_KAD_PING;
	m1->key_len = PD_KAD_MAX_KEY + 1;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), PD_ERR_INVAL);
	m1->key_len = 0;
	ed_id(&id);
	ck_assert_int_eq(pd_kad_msg_add_peer(m1, PD_KAD_LIST_CLOSER, &id,
	    NULL, 0, 0), 0);
	m1->closer[0].id.len = 0;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), PD_ERR_INVAL);
	m1->closer[0].id = id;
	m1->closer[0].naddrs = 1;
	m1->closer[0].addrs[0].len = 0;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), PD_ERR_INVAL);
	m1->closer[0].naddrs = 0;
	m1->has_record = true;
	m1->record.value_len = PD_KAD_MAX_VALUE + 1;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), PD_ERR_INVAL);
	ck_assert_uint_eq(b.len, 2);
	m1->record.value_len = 0;
	ck_assert_int_eq(pd_kad_msg_encode(m1, &b), 0);
	ck_assert_uint_gt(b.len, 2);
	pd_buf_free(&b);
	ck_assert_str_eq(pd_kad_msg_type_name(9), "unknown");
	ck_assert_str_eq(pd_kad_msg_type_name(-1), "unknown");
}
END_TEST

/* One message of every type, as the server and the query build them. */
START_TEST(test_roundtrip_types)
{
	struct pd_peerid a, b;
	struct pd_multiaddr ma[3];
	uint8_t key[64];
	size_t keylen = unhex(NS_KEY_HEX, key, sizeof(key));
	int t;

	seed_id(1, &a);
	seed_id(2, &b);
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/1.2.3.4/tcp/4001", &ma[0],
	    NULL, 0), 0);
	ck_assert_int_eq(pd_multiaddr_parse("/ip6/::1/udp/4001/quic-v1",
	    &ma[1], NULL, 0), 0);
	ck_assert_int_eq(pd_multiaddr_parse("/dns4/example.com/tcp/443/wss",
	    &ma[2], NULL, 0), 0);
	for (t = PD_KAD_PUT_VALUE; t <= PD_KAD_PING; t++) {
		pd_kad_msg_init(m1, (enum pd_kad_msg_type)t);
		ck_assert_int_eq(pd_kad_msg_set_key(m1, key, keylen), 0);
		if (t == PD_KAD_PUT_VALUE || t == PD_KAD_GET_VALUE) {
			m1->has_record = true;
			memcpy(m1->record.key, "/pk/", 4);
			memcpy(m1->record.key + 4, a.bytes, a.len);
			m1->record.key_len = 4 + a.len;
			memset(m1->record.value, 0xab, 300);
			m1->record.value_len = 300;
			strcpy(m1->record.time_received,
			    "2025-06-07T08:09:10.123456789Z");
			m1->record.time_len =
			    strlen(m1->record.time_received);
		}
		if (t != PD_KAD_PUT_VALUE && t != PD_KAD_PING) {
			ck_assert_int_eq(pd_kad_msg_add_peer(m1,
			    PD_KAD_LIST_CLOSER, &a, ma, 3, PD_KAD_CONNECTED),
			    0);
			ck_assert_int_eq(pd_kad_msg_add_peer(m1,
			    PD_KAD_LIST_CLOSER, &b, NULL, 0,
			    PD_KAD_CANNOT_CONNECT), 0);
		}
		if (t == PD_KAD_ADD_PROVIDER || t == PD_KAD_GET_PROVIDERS)
			ck_assert_int_eq(pd_kad_msg_add_peer(m1,
			    PD_KAD_LIST_PROVIDERS, &b, &ma[1], 2,
			    PD_KAD_CAN_CONNECT), 0);
		if (t == PD_KAD_PING)
			m1->cluster_level_raw = -5;
		roundtrip(m1, m2);
		ck_assert_int_eq(m2->type, t);
	}
}
END_TEST

/* Stream framing: uvarint length prefix, caps, partial input. */
START_TEST(test_frame)
{
	uint8_t in[64];
	const uint8_t *msg;
	size_t len;
	struct pd_buf b;
	struct pd_peerid id;

	/* two frames back to back: 02 08 04 | 00 */
	in[0] = 0x02; in[1] = 0x08; in[2] = 0x04; in[3] = 0x00;
	ck_assert_int_eq(pd_kad_msg_frame(in, 4, 0, &msg, &len), 3);
	ck_assert_ptr_eq(msg, in + 1);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(pd_kad_msg_frame(in + 3, 1, 0, &msg, &len), 1);
	ck_assert_uint_eq(len, 0);
	/* incomplete: nothing, prefix only, half the payload */
	ck_assert_int_eq(pd_kad_msg_frame(in, 0, 0, &msg, &len),
	    PD_ERR_TRUNCATED);
	ck_assert_int_eq(pd_kad_msg_frame(in, 1, 0, &msg, &len),
	    PD_ERR_TRUNCATED);
	ck_assert_int_eq(pd_kad_msg_frame(in, 2, 0, &msg, &len),
	    PD_ERR_TRUNCATED);
	/* prefix split across reads: 80 (more) */
	in[0] = 0x80;
	ck_assert_int_eq(pd_kad_msg_frame(in, 1, 0, &msg, &len),
	    PD_ERR_TRUNCATED);
	/* non-minimal 80 00 */
	in[1] = 0x00;
	ck_assert_int_eq(pd_kad_msg_frame(in, 2, 0, &msg, &len),
	    PD_ERR_NOT_MINIMAL);
	/* 4 MiB exactly is allowed (truncated: payload missing); +1 not */
	in[0] = 0x80; in[1] = 0x80; in[2] = 0x80; in[3] = 0x02;
	ck_assert_int_eq(pd_kad_msg_frame(in, 4, 0, &msg, &len),
	    PD_ERR_TRUNCATED);
	in[0] = 0x81;
	ck_assert_int_eq(pd_kad_msg_frame(in, 4, 0, &msg, &len),
	    PD_ERR_OVERFLOW);
	/* a smaller caller cap */
	in[0] = 0x0b;
	ck_assert_int_eq(pd_kad_msg_frame(in, 4, 10, &msg, &len),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_msg_frame(in, 4, 11, &msg, &len),
	    PD_ERR_TRUNCATED);
	/* a huge varint */
	memset(in, 0xff, 9);
	in[9] = 0x01;
	ck_assert_int_eq(pd_kad_msg_frame(in, 10, 0, &msg, &len),
	    PD_ERR_OVERFLOW);
	ck_assert_int_eq(pd_kad_msg_frame(in, 10, 0, NULL, &len),
	    PD_ERR_INVAL);

	/* encode_lp then frame then decode */
	pd_buf_init(&b);
	ed_id(&id);
	pd_kad_msg_init(m1, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_set_key(m1, id.bytes, id.len), 0);
	ck_assert_int_eq(pd_kad_msg_encode_lp(m1, &b), 0);
	ck_assert_int_eq(pd_kad_msg_encode_lp(m1, &b), 0);
	ck_assert_uint_eq(b.len, 2 * (1 + 2 + 2 + id.len));
	ck_assert_int_eq(b.data[0], 2 + 2 + id.len);
	ck_assert_int_eq(pd_kad_msg_frame(b.data, b.len, 0, &msg, &len),
	    (int)(b.len / 2));
	ck_assert_int_eq(pd_kad_msg_decode(msg, len, m2, NULL, 0), 0);
	ck_assert(pd_kad_msg_equal(m1, m2));
	pd_buf_free(&b);
}
END_TEST

static void
random_peer(struct pd_kad_msg *m, enum pd_kad_peer_list list)
{
	struct pd_peerid id;
	struct pd_multiaddr ma[PD_KAD_MAX_ADDRS + 2];
	uint8_t raw[34];
	size_t n, i;
	char text[96];

	if (kad_rng() % 2) {
		raw[0] = 0x12;
		raw[1] = 0x20;
		for (i = 2; i < sizeof(raw); i++)
			raw[i] = (uint8_t)kad_rng();
		ck_assert_int_eq(pd_peerid_from_bytes(raw, sizeof(raw), &id),
		    0);
	} else
		seed_id((int)(kad_rng() % 256), &id);
	n = (size_t)(kad_rng() % (PD_KAD_MAX_ADDRS + 2));
	for (i = 0; i < n; i++) {
		uint64_t r = kad_rng();

		switch (r % 3) {
		case 0:
			snprintf(text, sizeof(text), "/ip4/%u.%u.%u.%u/tcp/%u",
			    (unsigned)(r >> 8 & 255), (unsigned)(r >> 16 & 255),
			    (unsigned)(r >> 24 & 255), (unsigned)(r >> 32 & 255),
			    (unsigned)(r >> 40 & 65535));
			break;
		case 1:
			snprintf(text, sizeof(text),
			    "/ip6/2001:db8::%x/udp/%u/quic-v1",
			    (unsigned)(r >> 8 & 65535),
			    (unsigned)(r >> 24 & 65535));
			break;
		default:
			snprintf(text, sizeof(text), "/dns/h%" PRIx64
			    ".example/tcp/443/wss", r >> 8);
			break;
		}
		ck_assert_int_eq(pd_multiaddr_parse(text, &ma[i], NULL, 0), 0);
	}
	(void)pd_kad_msg_add_peer(m, list, &id, ma, n,
	    (enum pd_kad_conn)(kad_rng() % 4));
}

/* Random messages within the caps round-trip exactly. */
START_TEST(test_random_roundtrip)
{
	int iter;
	size_t i, n;

	for (iter = 0; iter < 200; iter++) {
		pd_kad_msg_init(m1, (enum pd_kad_msg_type)(kad_rng() % 6));
		n = (size_t)(kad_rng() % 80);
		for (i = 0; i < n; i++)
			m1->key[i] = (uint8_t)kad_rng();
		m1->key_len = n;
		if (kad_rng() % 2) {
			m1->has_record = true;
			m1->record.key_len = (size_t)(kad_rng() % 50);
			m1->record.value_len = (size_t)(kad_rng() % 2000);
			for (i = 0; i < m1->record.value_len; i++)
				m1->record.value[i] = (uint8_t)kad_rng();
			memset(m1->record.key, 'k', m1->record.key_len);
			m1->record.time_len = (size_t)(kad_rng() % 3) * 10;
			memset(m1->record.time_received, '1',
			    m1->record.time_len);
			m1->record.time_received[m1->record.time_len] = '\0';
		}
		if (kad_rng() % 4 == 0)
			m1->cluster_level_raw = (int32_t)kad_rng();
		n = (size_t)(kad_rng() % 6);
		for (i = 0; i < n; i++)
			random_peer(m1, PD_KAD_LIST_CLOSER);
		n = (size_t)(kad_rng() % 4);
		for (i = 0; i < n; i++)
			random_peer(m1, PD_KAD_LIST_PROVIDERS);
		m1->dropped_addrs = 0;
		roundtrip(m1, m2);
	}
}
END_TEST

static Suite *
kad_msg_suite(void)
{
	Suite *s = suite_create("pd_kad_msg");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vector_find_node);
	tcase_add_test(tc, test_vector_closer);
	tcase_add_test(tc, test_vector_providers);
	tcase_add_test(tc, test_vector_put_value);
	tcase_add_test(tc, test_vector_defaults);
	tcase_add_test(tc, test_cluster_level);
	suite_add_tcase(s, tc);
	tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_fields);
	tcase_add_test(tc, test_last_wins_merge);
	tcase_add_test(tc, test_bad_peers_skipped);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_addr_cap_wire);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_encode_invalid);
	tcase_add_test(tc, test_roundtrip_types);
	tcase_add_test(tc, test_frame);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_random_roundtrip);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	kad_rng_state = pd_test_seed("check_kad_msg");
	return pd_test_run(kad_msg_suite());
}
