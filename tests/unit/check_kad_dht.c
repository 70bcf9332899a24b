/*
 * check_kad_dht.c - the DHT server and lookups over real connections
 * between managers in one process: FIND_NODE answers, provider records
 * (ADD_PROVIDER only from the provider itself, GET_PROVIDERS), routing
 * table admission through identify, find_peer across three nodes, value
 * records (put/get with the pk validator, invalid records refused), and
 * the per-peer request rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "core/buf.h"
#include "core/error.h"
#include "kad/dht.h"
#include "kad/msg.h"
#include "net/conn.h"
#include "peer/manager.h"

#include "helpers.h"

struct tnode {
	struct pd_manager *m;
	int identified;
};

static struct event_base *base;
static unsigned tnode_rate;	/* dht_rate of the next tnode_init */

static void
tnode_event(const struct pd_event *ev, void *arg)
{
	struct tnode *n = arg;

	if (ev->type == PD_EVENT_PEER_IDENTIFIED)
		n->identified++;
}

static void
tnode_init(struct tnode *n, int seed)
{
	struct pd_manager_config *cfg = calloc(1, sizeof(*cfg));

	memset(n, 0, sizeof(*n));
	ck_assert_ptr_nonnull(cfg);
	pd_test_manager_config(cfg, seed, "dht-test");
	cfg->max_peers = 50;
	cfg->dht_enabled = 1;
	cfg->dht_server = 1;
	cfg->dht_k = 20;
	cfg->dht_rate = tnode_rate;
	n->m = pd_manager_new(base, cfg);
	free(cfg);
	ck_assert_ptr_nonnull(n->m);
	ck_assert_ptr_nonnull(pd_manager_on_event(n->m, PD_EVENT_MASK_ALL,
	    tnode_event, n));
	pd_test_manager_start(n->m);
}

static int connects;

static void
connect_cb(int result, const struct pd_peerid *id, const char *why, void *arg)
{
	(void)id;
	(void)arg;
	ck_assert_msg(result == 0, "connect: %s", why);
	connects++;
}

static void
connect_nodes(struct tnode *from, struct tnode *to)
{
	struct pd_multiaddr addr;
	int want = connects + 1;

	pd_test_listen_addr(to->m, &addr);
	ck_assert_int_eq(pd_manager_connect(from->m, NULL, &addr, connect_cb,
	    NULL), 0);
	pd_test_run_until(base, &connects, want, 5000);
	ck_assert_int_eq(connects, want);
}

/* A raw kad exchange on a stream: send req, collect one framed reply. */
struct exch {
	struct pd_kad_msg *req;
	struct pd_buf in;
	int done;		/* 1 reply, 2 EOF without reply */
	struct pd_kad_msg *resp;
};

static void
exch_data(struct pd_stream *s, const uint8_t *d, size_t n, void *arg)
{
	struct exch *x = arg;
	const uint8_t *msg;
	size_t len;

	(void)s;
	ck_assert_int_eq(pd_buf_append(&x->in, d, n), 0);
	if (pd_kad_msg_frame(x->in.data, x->in.len, 0, &msg, &len) > 0) {
		ck_assert_int_eq(pd_kad_msg_decode(msg, len, x->resp, NULL, 0),
		    0);
		x->done = 1;
	}
}

static void
exch_eof(struct pd_stream *s, void *arg)
{
	struct exch *x = arg;

	if (!x->done)
		x->done = 2;
	pd_stream_release(s);
}

/* Reset by the server (a refused request): no reply. */
static void
exch_close(struct pd_stream *s, int err, void *arg)
{
	struct exch *x = arg;

	(void)s;
	(void)err;
	if (!x->done)
		x->done = 2;
}

static void
exch_open(int result, struct pd_stream *s, void *arg)
{
	struct exch *x = arg;
	static const struct pd_stream_cbs cbs = {
		.on_data = exch_data,
		.on_eof = exch_eof,
		.on_close = exch_close,
	};
	struct pd_buf out;

	ck_assert_int_eq(result, 0);
	pd_stream_set_cbs(s, &cbs, x);
	pd_buf_init(&out);
	ck_assert_int_eq(pd_kad_msg_encode_lp(x->req, &out), 0);
	ck_assert_int_eq(pd_stream_write(s, out.data, out.len), (int)out.len);
	pd_buf_free(&out);
	ck_assert_int_eq(pd_stream_close_write(s), 0);
}

static void
exchange(struct tnode *from, struct tnode *to, struct exch *x)
{
	struct pd_conn *c;

	for (c = pd_net_conn_first(pd_manager_net(from->m)); c != NULL;
	    c = pd_conn_next(c))
		if (pd_peerid_equal(pd_conn_peer(c), pd_manager_peer_id(to->m)))
			break;
	ck_assert_ptr_nonnull(c);
	pd_buf_init(&x->in);
	x->done = 0;
	x->resp = pd_kad_msg_new();
	ck_assert_int_eq(pd_conn_open_stream(c, PD_KAD_PROTO, exch_open, x),
	    0);
	pd_test_run_until(base, &x->done, 1, 3000);
	pd_buf_free(&x->in);
}

START_TEST(test_server_and_providers)
{
	struct tnode a, b, c;
	struct exch x;
	struct pd_multiaddr baddr;
	uint8_t key[34] = { 0x12, 0x20 };

	base = event_base_new();
	tnode_init(&a, 11);
	tnode_init(&b, 12);
	tnode_init(&c, 13);
	connect_nodes(&b, &a);
	connect_nodes(&c, &a);
	pd_test_run_until(base, &a.identified, 2, 5000);
	/* Both became DHT servers in A's table through identify. */
	for (int i = 0; i < 100 && pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(a.m))) < 2; i++)
		pd_test_run_until(base, &connects, 1000, 10);
	ck_assert_uint_eq(pd_kad_rt_size(pd_kad_dht_rt(pd_manager_dht(a.m))),
	    2);

	/* FIND_NODE for B's ID, asked by C: B comes back with an address. */
	x.req = pd_kad_msg_new();
	pd_kad_msg_init(x.req, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, pd_manager_peer_id(b.m)->bytes,
	    pd_manager_peer_id(b.m)->len), 0);
	exchange(&c, &a, &x);
	ck_assert_int_eq(x.done, 1);
	ck_assert_int_eq(x.resp->type, PD_KAD_FIND_NODE);
	ck_assert_uint_eq(x.resp->ncloser, 1);	/* B; never the requester C */
	ck_assert(pd_peerid_equal(&x.resp->closer[0].id,
	    pd_manager_peer_id(b.m)));
	ck_assert_uint_ge(x.resp->closer[0].naddrs, 1);
	pd_kad_msg_free(x.resp);

	/* ADD_PROVIDER from C naming B is ignored; naming C is kept. */
	memset(key + 2, 0x5a, 32);
	pd_test_listen_addr(b.m, &baddr);
	pd_kad_msg_init(x.req, PD_KAD_ADD_PROVIDER);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, key, sizeof(key)), 0);
	ck_assert_int_eq(pd_kad_msg_add_peer(x.req, PD_KAD_LIST_PROVIDERS,
	    pd_manager_peer_id(b.m), &baddr, 1, PD_KAD_CONNECTED), 0);
	exchange(&c, &a, &x);
	ck_assert_int_eq(x.done, 2);	/* no reply to ADD_PROVIDER */
	pd_kad_msg_free(x.resp);
	ck_assert_uint_eq(pd_kad_dht_provider_count(pd_manager_dht(a.m)), 0);
	pd_kad_msg_init(x.req, PD_KAD_ADD_PROVIDER);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, key, sizeof(key)), 0);
	ck_assert_int_eq(pd_kad_msg_add_peer(x.req, PD_KAD_LIST_PROVIDERS,
	    pd_manager_peer_id(c.m), &baddr, 1, PD_KAD_CONNECTED), 0);
	exchange(&c, &a, &x);
	pd_kad_msg_free(x.resp);
	ck_assert_uint_eq(pd_kad_dht_provider_count(pd_manager_dht(a.m)), 1);

	/* GET_PROVIDERS from B finds C. */
	pd_kad_msg_init(x.req, PD_KAD_GET_PROVIDERS);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, key, sizeof(key)), 0);
	exchange(&b, &a, &x);
	ck_assert_int_eq(x.done, 1);
	ck_assert_uint_eq(x.resp->nproviders, 1);
	ck_assert(pd_peerid_equal(&x.resp->providers[0].id,
	    pd_manager_peer_id(c.m)));
	pd_kad_msg_free(x.resp);
	pd_kad_msg_free(x.req);

	pd_manager_free(a.m);
	pd_manager_free(b.m);
	pd_manager_free(c.m);
	event_base_free(base);
}
END_TEST

static int lookup_done, lookup_result;
static struct pd_peerid lookup_found;

static void
lookup_cb(int result, const struct pd_kad_query_peer *const *peers, size_t n,
    void *arg)
{
	(void)arg;
	lookup_result = result;
	if (result == 0 && n > 0)
		lookup_found = peers[0]->id;
	lookup_done = 1;
}

START_TEST(test_find_peer_across_nodes)
{
	struct tnode a, b, c;

	base = event_base_new();
	tnode_init(&a, 21);
	tnode_init(&b, 22);
	tnode_init(&c, 23);
	/* B knows A; C knows A; B finds C through A. */
	connect_nodes(&b, &a);
	connect_nodes(&c, &a);
	pd_test_run_until(base, &b.identified, 1, 5000);
	for (int i = 0; i < 100 && pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(a.m))) < 2; i++)
		pd_test_run_until(base, &connects, 1000, 10);
	ck_assert_int_eq(pd_kad_dht_find_peer(pd_manager_dht(b.m),
	    pd_manager_peer_id(c.m), lookup_cb, NULL), 0);
	ck_assert_int_eq(lookup_done, 0);	/* never synchronous */
	pd_test_run_until(base, &lookup_done, 1, 8000);
	ck_assert_int_eq(lookup_result, 0);
	ck_assert(pd_peerid_equal(&lookup_found, pd_manager_peer_id(c.m)));
	/* An empty table cannot start a lookup. */
	pd_manager_free(a.m);
	pd_manager_free(b.m);
	pd_manager_free(c.m);
	event_base_free(base);
}
END_TEST

static int prov_done, prov_n;
static struct pd_peerid prov_first;

static void
provide_cb(int result, const struct pd_kad_query_peer *const *peers, size_t n,
    void *arg)
{
	(void)peers;
	(void)arg;
	ck_assert_int_eq(result, 0);
	ck_assert_uint_ge(n, 1);
	prov_done++;
}

static void
find_prov_cb(int result, const struct pd_kad_dht_provider *provs, size_t n,
    void *arg)
{
	(void)arg;
	ck_assert_int_eq(result, 0);
	prov_n = (int)n;
	if (n > 0)
		prov_first = provs[0].id;
	prov_done++;
}

/* B advertises a namespace key; C, which only knows A, finds B. */
START_TEST(test_provide_and_find_providers)
{
	struct tnode a, b, c;
	uint8_t key[34];

	base = event_base_new();
	tnode_init(&a, 31);
	tnode_init(&b, 32);
	tnode_init(&c, 33);
	connect_nodes(&b, &a);
	connect_nodes(&c, &a);
	for (int i = 0; i < 200 && (pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(b.m))) < 1 || pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(c.m))) < 1); i++)
		pd_test_run_until(base, &connects, 1000, 10);
	pd_manager_namespace_key("my-app", key);
	/* The key of §10's worked example. */
	ck_assert_uint_eq(key[0], 0x12);
	ck_assert_uint_eq(key[2], 0x4c);
	ck_assert_uint_eq(key[33], 0x8c);
	ck_assert_int_eq(pd_kad_dht_provide(pd_manager_dht(b.m), key,
	    sizeof(key), provide_cb, NULL), 0);
	pd_test_run_until(base, &prov_done, 1, 5000);
	ck_assert_int_eq(prov_done, 1);
	for (int i = 0; i < 100 && pd_kad_dht_provider_count(
	    pd_manager_dht(a.m)) < 1; i++)
		pd_test_run_until(base, &connects, 1000, 10);
	ck_assert_uint_eq(pd_kad_dht_provider_count(pd_manager_dht(a.m)), 1);
	ck_assert_int_eq(pd_kad_dht_find_providers(pd_manager_dht(c.m), key,
	    sizeof(key), 10, 3000, find_prov_cb, NULL), 0);
	pd_test_run_until(base, &prov_done, 2, 5000);
	ck_assert_int_eq(prov_done, 2);
	ck_assert_int_eq(prov_n, 1);
	ck_assert(pd_peerid_equal(&prov_first, pd_manager_peer_id(b.m)));
	pd_manager_free(a.m);
	pd_manager_free(b.m);
	pd_manager_free(c.m);
	event_base_free(base);
}
END_TEST

/*
 * A line C - B - A: A only ever connected to B.  A's refresh (its first
 * one runs when B enters its table) looks itself up through B, dials C
 * from B's answer, and C enters A's table through identify.
 */
START_TEST(test_refresh_fills_table)
{
	struct tnode a, b, c;
	struct pd_kad_rt *rt;

	base = event_base_new();
	tnode_init(&a, 41);
	tnode_init(&b, 42);
	tnode_init(&c, 43);
	connect_nodes(&c, &b);
	for (int i = 0; i < 200 && pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(b.m))) < 1; i++)
		pd_test_run_until(base, &connects, 1000, 10);
	connect_nodes(&b, &a);
	rt = pd_kad_dht_rt(pd_manager_dht(a.m));
	for (int i = 0; i < 300 && pd_kad_rt_size(rt) < 2; i++)
		pd_test_run_until(base, &connects, 1000, 10);
	ck_assert_uint_eq(pd_kad_rt_size(rt), 2);
	ck_assert_ptr_nonnull(pd_kad_rt_find(rt, pd_manager_peer_id(c.m)));
	/* An explicit refresh starts the self lookup plus bucket lookups. */
	ck_assert_uint_ge(pd_kad_dht_refresh(pd_manager_dht(a.m), 0), 2);
	pd_manager_free(a.m);
	pd_manager_free(b.m);
	pd_manager_free(c.m);
	event_base_free(base);
}
END_TEST

static int value_done, value_result;
static size_t value_n, value_stored, value_sent;
static uint8_t value_buf[256];

static void
get_cb(int result, const uint8_t *val, size_t vallen, size_t nvalid,
    void *arg)
{
	(void)arg;
	value_result = result;
	value_n = vallen;
	if (result == 0 && vallen <= sizeof(value_buf))
		memcpy(value_buf, val, vallen);
	ck_assert(result != 0 || nvalid >= 1);
	value_done++;
}

static void
put_cb(int result, size_t stored, size_t sent, void *arg)
{
	(void)arg;
	value_result = result;
	value_stored = stored;
	value_sent = sent;
	value_done++;
}

/* "/pk/" + the binary peer ID of n, and n's public key protobuf. */
static void
pk_record(struct tnode *n, uint8_t *key, size_t *keylen, uint8_t *val,
    size_t *vallen)
{
	const struct pd_peerid *id = pd_manager_peer_id(n->m);
	int r;

	memcpy(key, "/pk/", 4);
	memcpy(key + 4, id->bytes, id->len);
	*keylen = 4 + id->len;
	r = pd_pubkey_encode(pd_net_pubkey(pd_manager_net(n->m)), val, 128);
	ck_assert_int_gt(r, 0);
	*vallen = (size_t)r;
}

/*
 * B puts its /pk/ record: A (and C, which A names) store it; C gets it
 * back; a record under another peer's key is refused at B and at A's
 * server; an unknown key is not found.
 */
START_TEST(test_values)
{
	struct tnode a, b, c;
	uint8_t key[64], val[128], ckey[64], cval[128];
	size_t keylen, vallen, ckeylen, cvallen;
	struct pd_kad_dht_stats st;
	struct exch x;
	char why[200];

	base = event_base_new();
	tnode_init(&a, 51);
	tnode_init(&b, 52);
	tnode_init(&c, 53);
	connect_nodes(&b, &a);
	connect_nodes(&c, &a);
	for (int i = 0; i < 200 && (pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(b.m))) < 1 || pd_kad_rt_size(pd_kad_dht_rt(
	    pd_manager_dht(c.m))) < 1); i++)
		pd_test_run_until(base, &connects, 1000, 10);
	pk_record(&b, key, &keylen, val, &vallen);
	pk_record(&c, ckey, &ckeylen, cval, &cvallen);
	ck_assert_int_eq(pd_kad_dht_put_value(pd_manager_dht(b.m), key, keylen,
	    val, vallen, put_cb, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(value_done, 0);	/* never synchronous */
	pd_test_run_until(base, &value_done, 1, 8000);
	ck_assert_int_eq(value_result, 0);
	ck_assert_uint_ge(value_stored, 1);
	ck_assert_uint_ge(value_sent, value_stored);
	ck_assert_uint_eq(pd_kad_dht_record_count(pd_manager_dht(b.m)), 1);
	ck_assert_uint_eq(pd_kad_dht_record_count(pd_manager_dht(a.m)), 1);

	/* C gets it back (from A or C's own copy). */
	ck_assert_int_eq(pd_kad_dht_get_value(pd_manager_dht(c.m), key, keylen,
	    3000, get_cb, NULL), 0);
	pd_test_run_until(base, &value_done, 2, 8000);
	ck_assert_int_eq(value_done, 2);
	ck_assert_int_eq(value_result, 0);
	ck_assert_uint_eq(value_n, vallen);
	ck_assert_mem_eq(value_buf, val, vallen);

	/* C's key under B's name: refused locally, with a reason. */
	why[0] = '\0';
	ck_assert_int_lt(pd_kad_dht_put_value(pd_manager_dht(b.m), ckey,
	    ckeylen, val, vallen, put_cb, NULL, why, sizeof(why)), 0);
	ck_assert_msg(why[0] != '\0', "no reason given");
	/* ... and by A's server: the stream is reset, nothing stored. */
	x.req = pd_kad_msg_new();
	pd_kad_msg_init(x.req, PD_KAD_PUT_VALUE);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, ckey, ckeylen), 0);
	x.req->has_record = true;
	memcpy(x.req->record.key, ckey, ckeylen);
	x.req->record.key_len = ckeylen;
	memcpy(x.req->record.value, val, vallen);
	x.req->record.value_len = vallen;
	exchange(&c, &a, &x);
	ck_assert_int_eq(x.done, 2);
	pd_kad_msg_free(x.resp);
	pd_kad_msg_free(x.req);
	pd_kad_dht_stats(pd_manager_dht(a.m), &st);
	ck_assert_uint_ge(st.records_rejected, 1);
	ck_assert_uint_eq(st.records_stored, 1);
	ck_assert_uint_eq(pd_kad_dht_record_count(pd_manager_dht(a.m)), 1);

	/* Nobody holds C's record; a namespace without validator. */
	ck_assert_int_eq(pd_kad_dht_get_value(pd_manager_dht(b.m), ckey,
	    ckeylen, 3000, get_cb, NULL), 0);
	pd_test_run_until(base, &value_done, 3, 8000);
	ck_assert_int_eq(value_result, PD_ERR_NOT_FOUND);
	ck_assert_int_eq(pd_kad_dht_get_value(pd_manager_dht(b.m),
	    (const uint8_t *)"/nope/x", 7, 0, get_cb, NULL), PD_ERR_INVAL);
	pd_manager_free(a.m);
	pd_manager_free(b.m);
	pd_manager_free(c.m);
	event_base_free(base);
}
END_TEST

/* dht_rate 1 per second: a burst of requests from one peer is cut. */
START_TEST(test_rate_limit)
{
	struct tnode a, b;
	struct pd_kad_dht_stats st;
	struct exch x;
	int answered = 0, reset = 0;

	base = event_base_new();
	tnode_rate = 1;
	tnode_init(&a, 61);
	tnode_rate = 0;
	tnode_init(&b, 62);
	connect_nodes(&b, &a);
	x.req = pd_kad_msg_new();
	pd_kad_msg_init(x.req, PD_KAD_FIND_NODE);
	ck_assert_int_eq(pd_kad_msg_set_key(x.req, pd_manager_peer_id(b.m)->bytes,
	    pd_manager_peer_id(b.m)->len), 0);
	for (int i = 0; i < 12; i++) {
		exchange(&b, &a, &x);
		if (x.done == 1)
			answered++;
		else
			reset++;
		pd_kad_msg_free(x.resp);
	}
	pd_kad_msg_free(x.req);
	/*
	 * The bucket holds 5 s worth (5 requests); B's own table check and
	 * refresh spend some of them too, and a second or two refills one
	 * or two: at most 7 of ours are answered, the rest are cut.
	 */
	ck_assert_int_le(answered, 7);
	ck_assert_int_ge(reset, 5);
	pd_kad_dht_stats(pd_manager_dht(a.m), &st);
	ck_assert_uint_ge(st.rate_limited, (uint64_t)reset);
	pd_manager_free(a.m);
	pd_manager_free(b.m);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_kad_dht");
	TCase *tc = tcase_create("dht");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_server_and_providers);
	tcase_add_test(tc, test_find_peer_across_nodes);
	tcase_add_test(tc, test_provide_and_find_providers);
	tcase_add_test(tc, test_refresh_fills_table);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_rate_limit);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
