/*
 * check_identify.c - identify message codec and signed peer records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "proto/identify.h"
#include "proto/record.h"

#include "helpers.h"

static void
test_key(int n, struct pd_privkey *key, struct pd_pubkey *pub,
    struct pd_peerid *id)
{
	uint8_t seed[32];

	memset(seed, n, sizeof(seed));
	ck_assert_int_eq(pd_privkey_from_seed(seed, key), 0);
	ck_assert_int_eq(pd_privkey_public(key, pub), 0);
	ck_assert_int_eq(pd_peerid_from_pubkey(pub, id), 0);
}

static void
test_record(const struct pd_peerid *id, uint64_t seq,
    struct pd_peer_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->id = *id;
	rec->seq = seq;
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/127.0.0.1/tcp/4001",
	    &rec->addrs[0], NULL, 0), 0);
	ck_assert_int_eq(pd_multiaddr_parse("/ip6/::1/tcp/4001",
	    &rec->addrs[1], NULL, 0), 0);
	rec->naddrs = 2;
}

START_TEST(test_record_roundtrip)
{
	struct pd_privkey key;
	struct pd_pubkey pub, got_pub;
	struct pd_peerid id;
	static struct pd_peer_record rec, got;
	struct pd_buf env;
	char why[128];

	test_key(1, &key, &pub, &id);
	test_record(&id, 1700000000000000000ull, &rec);
	pd_buf_init(&env);
	ck_assert_int_eq(pd_record_seal(&key, &rec, &env), 0);
	ck_assert_int_eq(pd_record_open(env.data, env.len, &got, &got_pub,
	    why, sizeof(why)), 0);
	ck_assert(pd_peerid_equal(&got.id, &id));
	ck_assert_uint_eq(got.seq, rec.seq);
	ck_assert_uint_eq(got.naddrs, 2);
	ck_assert(pd_multiaddr_equal(&got.addrs[1], &rec.addrs[1]));
	ck_assert(pd_pubkey_equal(&got_pub, &pub));
	pd_buf_free(&env);
	pd_privkey_clear(&key);
}
END_TEST

/* The signature must cover the domain: flipping any byte breaks it. */
START_TEST(test_record_tampered)
{
	struct pd_privkey key;
	struct pd_pubkey pub, got_pub;
	struct pd_peerid id;
	static struct pd_peer_record rec, got;
	struct pd_buf env;
	char why[128];

	test_key(2, &key, &pub, &id);
	test_record(&id, 7, &rec);
	pd_buf_init(&env);
	ck_assert_int_eq(pd_record_seal(&key, &rec, &env), 0);
	for (size_t i = 0; i < env.len; i++) {
		env.data[i] ^= 0x01;
		ck_assert_int_lt(pd_record_open(env.data, env.len, &got,
		    &got_pub, why, sizeof(why)), 0);
		env.data[i] ^= 0x01;
	}
	pd_buf_free(&env);
}
END_TEST

/* A record naming another peer than its signer is refused. */
START_TEST(test_record_wrong_signer)
{
	struct pd_privkey k1, k2;
	struct pd_pubkey p1, p2, got_pub;
	struct pd_peerid id1, id2;
	static struct pd_peer_record rec, got;
	struct pd_buf env;
	char why[128] = "";

	test_key(3, &k1, &p1, &id1);
	test_key(4, &k2, &p2, &id2);
	test_record(&id2, 1, &rec);
	pd_buf_init(&env);
	ck_assert_int_eq(pd_record_seal(&k1, &rec, &env), 0);
	ck_assert_int_eq(pd_record_open(env.data, env.len, &got, &got_pub,
	    why, sizeof(why)), PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "signer"));
	pd_buf_free(&env);
}
END_TEST

static void
fill_identify(struct pd_identify *id, const struct pd_pubkey *pub)
{
	pd_identify_init(id);
	id->has_pubkey = 1;
	id->pubkey = *pub;
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/10.0.0.7/tcp/4050",
	    &id->addrs[0], NULL, 0), 0);
	id->naddrs = 1;
	id->protocols[0] = strdup("/ipfs/id/1.0.0");
	id->protocols[1] = strdup("/ipfs/kad/1.0.0");
	id->nprotocols = 2;
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/192.0.2.1/tcp/5555",
	    &id->observed, NULL, 0), 0);
	id->has_observed = 1;
	id->agent_version = strdup("peerdisc/0.1.0");
	id->protocol_version = strdup(PD_IDENTIFY_PROTOCOL_VERSION);
}

START_TEST(test_identify_roundtrip)
{
	struct pd_privkey key;
	struct pd_pubkey pub;
	struct pd_peerid pid;
	static struct pd_identify mine, theirs;
	static struct pd_peer_record rec;
	struct pd_buf msg, env;
	char why[128];

	test_key(5, &key, &pub, &pid);
	fill_identify(&mine, &pub);
	test_record(&pid, 42, &rec);
	pd_buf_init(&msg);
	pd_buf_init(&env);
	ck_assert_int_eq(pd_record_seal(&key, &rec, &env), 0);
	ck_assert_int_eq(pd_identify_encode(&mine, env.data, env.len, &msg), 0);
	ck_assert_uint_le(msg.len, PD_IDENTIFY_MAX_OWN_MSG);
	pd_identify_init(&theirs);
	ck_assert_int_eq(pd_identify_merge(&theirs, msg.data, msg.len, why,
	    sizeof(why)), 0);
	ck_assert(theirs.has_pubkey);
	ck_assert(pd_pubkey_equal(&theirs.pubkey, &pub));
	ck_assert_uint_eq(theirs.naddrs, 1);
	ck_assert(pd_identify_has_protocol(&theirs, "/ipfs/kad/1.0.0"));
	ck_assert(!pd_identify_has_protocol(&theirs, "/ipfs/kad/2.0.0"));
	ck_assert_str_eq(theirs.agent_version, "peerdisc/0.1.0");
	ck_assert_str_eq(theirs.protocol_version, "ipfs/0.1.0");
	ck_assert(theirs.has_observed);
	ck_assert(theirs.has_record);
	ck_assert_uint_eq(theirs.record.seq, 42);
	ck_assert_uint_eq(theirs.dropped, 0);
	/* A second message merges: protocols append, agent overwrites. */
	pd_buf_reset(&msg);
	ck_assert_int_eq(pd_pb_put_string(&msg, 3, "/ipfs/ping/1.0.0"), 0);
	ck_assert_int_eq(pd_pb_put_string(&msg, 6, "other/1"), 0);
	ck_assert_int_eq(pd_identify_merge(&theirs, msg.data, msg.len, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(theirs.nprotocols, 3);
	ck_assert_str_eq(theirs.agent_version, "other/1");
	pd_identify_clear(&mine);
	pd_identify_clear(&theirs);
	pd_buf_free(&msg);
	pd_buf_free(&env);
}
END_TEST

/* Hostile sizes: protocols and addresses over the caps are dropped. */
START_TEST(test_identify_caps)
{
	static struct pd_identify id;
	struct pd_buf msg;
	struct pd_multiaddr ma;
	char why[128], name[32];
	int i;

	pd_buf_init(&msg);
	ck_assert_int_eq(pd_multiaddr_parse("/ip4/1.2.3.4/tcp/1", &ma, NULL,
	    0), 0);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/p/%d", i);
		ck_assert_int_eq(pd_pb_put_string(&msg, 3, name), 0);
	}
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(pd_pb_put_bytes(&msg, 2, ma.bytes, ma.len), 0);
	ck_assert_int_eq(pd_pb_put_bytes(&msg, 2, "\xff\xff", 2), 0);
	pd_identify_init(&id);
	ck_assert_int_eq(pd_identify_merge(&id, msg.data, msg.len, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(id.nprotocols, PD_IDENTIFY_MAX_PROTOCOLS);
	ck_assert_uint_eq(id.naddrs, PD_IDENTIFY_MAX_ADDRS);
	ck_assert_uint_eq(id.dropped, (100 - PD_IDENTIFY_MAX_PROTOCOLS) +
	    (50 - PD_IDENTIFY_MAX_ADDRS) + 1);
	pd_identify_clear(&id);
	/* Over the message limit. */
	pd_buf_reset(&msg);
	ck_assert_int_eq(pd_buf_reserve(&msg, PD_IDENTIFY_MAX_MSG + 1), 0);
	memset(msg.data, 0, PD_IDENTIFY_MAX_MSG + 1);
	ck_assert_int_eq(pd_identify_merge(&id, msg.data,
	    PD_IDENTIFY_MAX_MSG + 1, why, sizeof(why)), PD_ERR_OVERFLOW);
	/* Truncated protobuf. */
	ck_assert_int_eq(pd_identify_merge(&id, (const uint8_t *)"\x1a\x05" "ab",
	    4, why, sizeof(why)), PD_ERR_MALFORMED);
	pd_identify_clear(&id);
	pd_buf_free(&msg);
}
END_TEST

START_TEST(test_identify_key_change)
{
	struct pd_privkey k1, k2;
	struct pd_pubkey p1, p2;
	struct pd_peerid i1, i2;
	static struct pd_identify a, b, got;
	struct pd_buf m1, m2;
	char why[128] = "";

	test_key(6, &k1, &p1, &i1);
	test_key(7, &k2, &p2, &i2);
	pd_identify_init(&a);
	pd_identify_init(&b);
	a.has_pubkey = b.has_pubkey = 1;
	a.pubkey = p1;
	b.pubkey = p2;
	pd_buf_init(&m1);
	pd_buf_init(&m2);
	ck_assert_int_eq(pd_identify_encode(&a, NULL, 0, &m1), 0);
	ck_assert_int_eq(pd_identify_encode(&b, NULL, 0, &m2), 0);
	pd_identify_init(&got);
	ck_assert_int_eq(pd_identify_merge(&got, m1.data, m1.len, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(pd_identify_merge(&got, m2.data, m2.len, why,
	    sizeof(why)), PD_ERR_BAD_KEY);
	ck_assert_ptr_nonnull(strstr(why, "changed"));
	/* A garbage key fails the same way. */
	ck_assert_int_eq(pd_identify_merge(&got, (const uint8_t *)"\x0a\x02\x08" "\x09",
	    4, why, sizeof(why)), PD_ERR_BAD_KEY);
	pd_identify_clear(&got);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
}
END_TEST

/* A record signed by a key other than the identify key is dropped. */
START_TEST(test_identify_foreign_record)
{
	struct pd_privkey k1, k2;
	struct pd_pubkey p1, p2;
	struct pd_peerid i1, i2;
	static struct pd_identify a, got;
	static struct pd_peer_record rec;
	struct pd_buf msg, env;
	char why[128];

	test_key(8, &k1, &p1, &i1);
	test_key(9, &k2, &p2, &i2);
	test_record(&i2, 1, &rec);
	pd_buf_init(&env);
	pd_buf_init(&msg);
	ck_assert_int_eq(pd_record_seal(&k2, &rec, &env), 0);
	pd_identify_init(&a);
	a.has_pubkey = 1;
	a.pubkey = p1;
	ck_assert_int_eq(pd_identify_encode(&a, env.data, env.len, &msg), 0);
	pd_identify_init(&got);
	ck_assert_int_eq(pd_identify_merge(&got, msg.data, msg.len, why,
	    sizeof(why)), 0);
	ck_assert(!got.has_record);
	ck_assert_uint_eq(got.dropped, 1);
	pd_identify_clear(&got);
	pd_buf_free(&msg);
	pd_buf_free(&env);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_identify");
	TCase *tr = tcase_create("record");
	TCase *ti = tcase_create("identify");

	tcase_add_test(tr, test_record_roundtrip);
	tcase_add_test(tr, test_record_tampered);
	tcase_add_test(tr, test_record_wrong_signer);
	tcase_add_test(ti, test_identify_roundtrip);
	tcase_add_test(ti, test_identify_caps);
	tcase_add_test(ti, test_identify_key_change);
	tcase_add_test(ti, test_identify_foreign_record);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, ti);
	return pd_test_run(s);
}
