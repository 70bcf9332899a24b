/*
 * msg.c - Kademlia DHT Message codec (libp2p-wire.md §9.1-9.2): decodes one
 * protobuf Message from a peer into a bounded, caller-owned struct
 * pd_kad_msg and encodes one deterministically, plus the uvarint
 * length-delimited framing used on /ipfs/kad/1.0.0 streams.  Sans-IO: the
 * DHT server and the query engine feed it bytes they read and write what
 * it produces.
 *
 * Decoding runs the same walk twice: first with no output, to find every
 * fatal error (bad protobuf, unknown type, over-cap key or value) without
 * touching the caller's struct, then filling it.  Per-peer problems (bad
 * peer ID, bad multiaddr, over a cap) are never fatal: the item is skipped
 * and counted, as a peer's junk should not cost us the rest of a reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "core/varint.h"
#include "kad/msg.h"

/* Field numbers (go-libp2p-kad-dht pb/dht.proto, go-libp2p-record). */
#define KAD_F_TYPE 1
#define KAD_F_KEY 2
#define KAD_F_RECORD 3
#define KAD_F_CLOSER 8
#define KAD_F_PROVIDERS 9
#define KAD_F_CLUSTER 10
#define KAD_REC_F_KEY 1
#define KAD_REC_F_VALUE 2
#define KAD_REC_F_TIME 5
#define KAD_PEER_F_ID 1
#define KAD_PEER_F_ADDRS 2
#define KAD_PEER_F_CONN 3

static const char *const kad_msg_type_names[] = {
	"PUT_VALUE", "GET_VALUE", "ADD_PROVIDER", "GET_PROVIDERS",
	"FIND_NODE", "PING",
};

static void
kad_msg_why(char *why, size_t whylen, const char *what)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", what);
}

const char *
pd_kad_msg_type_name(int type)
{
	if (type < 0 || type > PD_KAD_PING)
		return "unknown";
	return kad_msg_type_names[type];
}

struct pd_kad_msg *
pd_kad_msg_new(void)
{
	return calloc(1, sizeof(struct pd_kad_msg));
}

void
pd_kad_msg_free(struct pd_kad_msg *msg)
{
	free(msg);
}

/* Reset the used parts only: the arrays are large and unused tails are
 * never read. */
static void
kad_msg_reset(struct pd_kad_msg *m, enum pd_kad_msg_type type)
{
	m->type = type;
	m->cluster_level_raw = 0;
	m->key_len = 0;
	m->has_record = false;
	m->record.key_len = 0;
	m->record.value_len = 0;
	m->record.time_len = 0;
	m->record.time_received[0] = '\0';
	m->ncloser = 0;
	m->nproviders = 0;
	m->dropped_peers = 0;
	m->dropped_addrs = 0;
	m->dropped_fields = 0;
}

void
pd_kad_msg_init(struct pd_kad_msg *msg, enum pd_kad_msg_type type)
{
	kad_msg_reset(msg, type);
}

int
pd_kad_msg_set_key(struct pd_kad_msg *msg, const uint8_t *key, size_t len)
{
	if (msg == NULL || (key == NULL && len > 0))
		return PD_ERR_INVAL;
	if (len > PD_KAD_MAX_KEY)
		return PD_ERR_OVERFLOW;
	if (len > 0)
		memcpy(msg->key, key, len);
	msg->key_len = len;
	return 0;
}

int
pd_kad_msg_add_peer(struct pd_kad_msg *msg, enum pd_kad_peer_list list,
    const struct pd_peerid *id, const struct pd_multiaddr *addrs,
    size_t naddrs, enum pd_kad_conn connection)
{
	struct pd_kad_peer *peer;
	size_t *n, i;

	if (msg == NULL || id == NULL || (addrs == NULL && naddrs > 0) ||
	    (unsigned)connection > PD_KAD_CANNOT_CONNECT)
		return PD_ERR_INVAL;
	if (list == PD_KAD_LIST_CLOSER) {
		n = &msg->ncloser;
		peer = msg->closer;
	} else if (list == PD_KAD_LIST_PROVIDERS) {
		n = &msg->nproviders;
		peer = msg->providers;
	} else
		return PD_ERR_INVAL;
	if (*n >= PD_KAD_MAX_PEERS)
		return PD_ERR_OVERFLOW;
	peer += *n;
	peer->id = *id;
	peer->connection = connection;
	peer->naddrs = 0;
	for (i = 0; i < naddrs; i++) {
		if (peer->naddrs == PD_KAD_MAX_ADDRS) {
			msg->dropped_addrs += (unsigned)(naddrs - i);
			break;
		}
		peer->addrs[peer->naddrs++] = addrs[i];
	}
	(*n)++;
	return 0;
}

/* ---- decoding ---- */

/*
 * Parse a Record, merging into rec (NULL: syntax and caps only).  An
 * unusable timeReceived is dropped (cleared) and counted in *dropped.
 */
static int
kad_record_parse(const uint8_t *p, size_t len, struct pd_kad_record *rec,
    unsigned *dropped, char *why, size_t whylen)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int rc;

	pd_pb_reader_init(&r, p, len);
	while ((rc = pd_pb_next(&r, &f)) == 1) {
		if (f.wire != PD_PB_LEN)
			continue;	/* no varint fields; go skips these */
		switch (f.num) {
		case KAD_REC_F_KEY:
			if (f.len > PD_KAD_MAX_KEY) {
				kad_msg_why(why, whylen, "record key too long");
				return PD_ERR_OVERFLOW;
			}
			if (rec != NULL) {
				memcpy(rec->key, f.data, f.len);
				rec->key_len = f.len;
			}
			break;
		case KAD_REC_F_VALUE:
			if (f.len > PD_KAD_MAX_VALUE) {
				kad_msg_why(why, whylen,
				    "record value too long");
				return PD_ERR_OVERFLOW;
			}
			if (rec != NULL) {
				memcpy(rec->value, f.data, f.len);
				rec->value_len = f.len;
			}
			break;
		case KAD_REC_F_TIME:
			if (rec == NULL)
				break;
			if (f.len > PD_KAD_MAX_TIME ||
			    memchr(f.data, '\0', f.len) != NULL) {
				rec->time_len = 0;
				rec->time_received[0] = '\0';
				(*dropped)++;
				break;
			}
			memcpy(rec->time_received, f.data, f.len);
			rec->time_received[f.len] = '\0';
			rec->time_len = f.len;
			break;
		default:
			break;	/* author (3), signature (4), unknown */
		}
	}
	if (rc < 0)
		kad_msg_why(why, whylen, "bad Record protobuf");
	return rc;
}

/*
 * Parse a Peer.  With peer == NULL only the protobuf syntax is checked.
 * Otherwise fills *peer and sets *ret_valid (the peer ID is valid); bad
 * and over-cap addresses are counted in *bad_addrs.
 */
static int
kad_peer_parse(const uint8_t *p, size_t len, struct pd_kad_peer *peer,
    bool *ret_valid, unsigned *bad_addrs, char *why, size_t whylen)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	const uint8_t *id = NULL;
	size_t idlen = 0;
	int rc;

	if (peer != NULL) {
		peer->connection = PD_KAD_NOT_CONNECTED;
		peer->naddrs = 0;
	}
	pd_pb_reader_init(&r, p, len);
	while ((rc = pd_pb_next(&r, &f)) == 1) {
		if (peer == NULL)
			continue;
		if (f.num == KAD_PEER_F_ID && f.wire == PD_PB_LEN) {
			id = f.data;	/* last one wins */
			idlen = f.len;
		} else if (f.num == KAD_PEER_F_ADDRS && f.wire == PD_PB_LEN) {
			if (peer->naddrs == PD_KAD_MAX_ADDRS ||
			    pd_multiaddr_from_bytes(f.data, f.len,
			    &peer->addrs[peer->naddrs], NULL, 0) != 0)
				(*bad_addrs)++;
			else
				peer->naddrs++;
		} else if (f.num == KAD_PEER_F_CONN && f.wire == PD_PB_VARINT) {
			peer->connection = f.u <= PD_KAD_CANNOT_CONNECT ?
			    (enum pd_kad_conn)f.u : PD_KAD_NOT_CONNECTED;
		}
	}
	if (rc < 0) {
		kad_msg_why(why, whylen, "bad Peer protobuf");
		return rc;
	}
	if (peer != NULL)
		*ret_valid = id != NULL &&
		    pd_peerid_from_bytes(id, idlen, &peer->id) == 0;
	return 0;
}

/* One closerPeers / providerPeers entry into list (m == NULL: check). */
static int
kad_msg_peer_field(struct pd_kad_msg *m, const struct pd_pb_field *f,
    struct pd_kad_peer *list, size_t *n, char *why, size_t whylen)
{
	unsigned bad = 0;
	bool valid = false;
	int rc;

	if (m == NULL)
		return kad_peer_parse(f->data, f->len, NULL, NULL, NULL, why,
		    whylen);
	if (*n == PD_KAD_MAX_PEERS) {
		m->dropped_peers++;	/* syntax was checked in pass one */
		return 0;
	}
	if ((rc = kad_peer_parse(f->data, f->len, &list[*n], &valid, &bad,
	    why, whylen)) < 0)
		return rc;
	if (valid) {
		(*n)++;
		m->dropped_addrs += bad;
	} else
		m->dropped_peers++;
	return 0;
}

/* One top-level field (m == NULL: check only). */
static int
kad_msg_field(struct pd_kad_msg *m, const struct pd_pb_field *f, char *why,
    size_t whylen)
{
	char tmp[64];

	if (f->num == KAD_F_TYPE && f->wire == PD_PB_VARINT) {
		if (f->u > PD_KAD_PING) {
			snprintf(tmp, sizeof(tmp), "unknown message type %llu",
			    (unsigned long long)f->u);
			kad_msg_why(why, whylen, tmp);
			return PD_ERR_UNSUPPORTED;
		}
		if (m != NULL)
			m->type = (enum pd_kad_msg_type)f->u;
	} else if (f->num == KAD_F_CLUSTER && f->wire == PD_PB_VARINT) {
		if (m != NULL)	/* int32: truncate as protobuf does */
			m->cluster_level_raw = (int32_t)(uint32_t)f->u;
	} else if (f->wire != PD_PB_LEN) {
		return 0;	/* unknown, or a known field with another wire type */
	} else if (f->num == KAD_F_KEY) {
		if (f->len > PD_KAD_MAX_KEY) {
			kad_msg_why(why, whylen, "key too long");
			return PD_ERR_OVERFLOW;
		}
		if (m != NULL)
			(void)pd_kad_msg_set_key(m, f->data, f->len);
	} else if (f->num == KAD_F_RECORD) {
		if (m != NULL)
			m->has_record = true;
		return kad_record_parse(f->data, f->len,
		    m != NULL ? &m->record : NULL,
		    m != NULL ? &m->dropped_fields : NULL, why, whylen);
	} else if (f->num == KAD_F_CLOSER) {
		return kad_msg_peer_field(m, f, m != NULL ? m->closer : NULL,
		    m != NULL ? &m->ncloser : NULL, why, whylen);
	} else if (f->num == KAD_F_PROVIDERS) {
		return kad_msg_peer_field(m, f,
		    m != NULL ? m->providers : NULL,
		    m != NULL ? &m->nproviders : NULL, why, whylen);
	}
	return 0;
}

/* Walk the whole message; m == NULL checks without writing anything. */
static int
kad_msg_walk(const uint8_t *p, size_t len, struct pd_kad_msg *m, char *why,
    size_t whylen)
{
	struct pd_pb_reader r;
	struct pd_pb_field f;
	int rc;

	if (m != NULL)
		kad_msg_reset(m, PD_KAD_PUT_VALUE);
	pd_pb_reader_init(&r, p, len);
	while ((rc = pd_pb_next(&r, &f)) == 1)
		if ((rc = kad_msg_field(m, &f, why, whylen)) < 0)
			return rc;
	if (rc < 0)
		kad_msg_why(why, whylen, "bad Message protobuf");
	return rc;
}

int
pd_kad_msg_decode(const uint8_t *p, size_t len, struct pd_kad_msg *ret_msg,
    char *why, size_t whylen)
{
	int rc;

	if (ret_msg == NULL || (p == NULL && len > 0)) {
		kad_msg_why(why, whylen, "invalid argument");
		return PD_ERR_INVAL;
	}
	if (len > PD_KAD_MSG_MAX) {
		kad_msg_why(why, whylen, "message over 4 MiB");
		return PD_ERR_OVERFLOW;
	}
	if ((rc = kad_msg_walk(p, len, NULL, why, whylen)) < 0)
		return rc;
	/* Pass two cannot fail: the same checks passed above. */
	return kad_msg_walk(p, len, ret_msg, why, whylen);
}

/* ---- encoding ---- */

static bool
kad_peer_ok(const struct pd_kad_peer *peer)
{
	size_t i;

	if (peer->id.len == 0 || peer->id.len > PD_PEERID_MAX_BYTES ||
	    peer->naddrs > PD_KAD_MAX_ADDRS ||
	    (unsigned)peer->connection > PD_KAD_CANNOT_CONNECT)
		return false;
	for (i = 0; i < peer->naddrs; i++)
		if (peer->addrs[i].len == 0 ||
		    peer->addrs[i].len > PD_MULTIADDR_MAX_BIN)
			return false;
	return true;
}

static bool
kad_msg_ok(const struct pd_kad_msg *m)
{
	size_t i;

	if ((unsigned)m->type > PD_KAD_PING || m->key_len > PD_KAD_MAX_KEY ||
	    m->ncloser > PD_KAD_MAX_PEERS ||
	    m->nproviders > PD_KAD_MAX_PEERS)
		return false;
	if (m->has_record && (m->record.key_len > PD_KAD_MAX_KEY ||
	    m->record.value_len > PD_KAD_MAX_VALUE ||
	    m->record.time_len > PD_KAD_MAX_TIME))
		return false;
	for (i = 0; i < m->ncloser; i++)
		if (!kad_peer_ok(&m->closer[i]))
			return false;
	for (i = 0; i < m->nproviders; i++)
		if (!kad_peer_ok(&m->providers[i]))
			return false;
	return true;
}

/* Encode one Peer into tmp (reset first), then as field num into out. */
static int
kad_peer_encode(const struct pd_kad_peer *peer, uint32_t num,
    struct pd_buf *tmp, struct pd_buf *out)
{
	size_t i;
	int rc;

	pd_buf_reset(tmp);
	if ((rc = pd_pb_put_bytes(tmp, KAD_PEER_F_ID, peer->id.bytes,
	    peer->id.len)) < 0)
		return rc;
	for (i = 0; i < peer->naddrs; i++)
		if ((rc = pd_pb_put_bytes(tmp, KAD_PEER_F_ADDRS,
		    peer->addrs[i].bytes, peer->addrs[i].len)) < 0)
			return rc;
	if (peer->connection != PD_KAD_NOT_CONNECTED &&
	    (rc = pd_pb_put_varint(tmp, KAD_PEER_F_CONN,
	    (uint64_t)peer->connection)) < 0)
		return rc;
	return pd_pb_put_bytes(out, num, tmp->data, tmp->len);
}

static int
kad_record_encode(const struct pd_kad_record *rec, struct pd_buf *tmp,
    struct pd_buf *out)
{
	int rc;

	pd_buf_reset(tmp);
	if (rec->key_len > 0 && (rc = pd_pb_put_bytes(tmp, KAD_REC_F_KEY,
	    rec->key, rec->key_len)) < 0)
		return rc;
	if (rec->value_len > 0 && (rc = pd_pb_put_bytes(tmp, KAD_REC_F_VALUE,
	    rec->value, rec->value_len)) < 0)
		return rc;
	if (rec->time_len > 0 && (rc = pd_pb_put_bytes(tmp, KAD_REC_F_TIME,
	    rec->time_received, rec->time_len)) < 0)
		return rc;
	return pd_pb_put_bytes(out, KAD_F_RECORD, tmp->data, tmp->len);
}

/* Fields in number order: 1, 2, 3, 8, 9, 10 (go's marshal order). */
static int
kad_msg_encode_fields(const struct pd_kad_msg *m, struct pd_buf *tmp,
    struct pd_buf *out)
{
	size_t i;
	int rc;

	if (m->type != PD_KAD_PUT_VALUE && (rc = pd_pb_put_varint(out,
	    KAD_F_TYPE, (uint64_t)m->type)) < 0)
		return rc;
	if (m->key_len > 0 && (rc = pd_pb_put_bytes(out, KAD_F_KEY, m->key,
	    m->key_len)) < 0)
		return rc;
	if (m->has_record && (rc = kad_record_encode(&m->record, tmp,
	    out)) < 0)
		return rc;
	for (i = 0; i < m->ncloser; i++)
		if ((rc = kad_peer_encode(&m->closer[i], KAD_F_CLOSER, tmp,
		    out)) < 0)
			return rc;
	for (i = 0; i < m->nproviders; i++)
		if ((rc = kad_peer_encode(&m->providers[i], KAD_F_PROVIDERS,
		    tmp, out)) < 0)
			return rc;
	/* int32: negative values are sign-extended to ten bytes. */
	if (m->cluster_level_raw != 0 && (rc = pd_pb_put_varint(out,
	    KAD_F_CLUSTER, (uint64_t)(int64_t)m->cluster_level_raw)) < 0)
		return rc;
	return 0;
}

int
pd_kad_msg_encode(const struct pd_kad_msg *msg, struct pd_buf *out)
{
	struct pd_buf tmp;
	size_t old;
	int rc;

	if (msg == NULL || out == NULL || !kad_msg_ok(msg))
		return PD_ERR_INVAL;
	old = out->len;
	pd_buf_init(&tmp);
	rc = kad_msg_encode_fields(msg, &tmp, out);
	pd_buf_free(&tmp);
	if (rc == 0 && out->len - old > PD_KAD_MSG_MAX)
		rc = PD_ERR_OVERFLOW;
	if (rc < 0)
		out->len = old;
	return rc;
}

int
pd_kad_msg_encode_lp(const struct pd_kad_msg *msg, struct pd_buf *out)
{
	struct pd_buf body;
	size_t old;
	int rc;

	if (out == NULL)
		return PD_ERR_INVAL;
	pd_buf_init(&body);
	old = out->len;
	if ((rc = pd_kad_msg_encode(msg, &body)) == 0 &&
	    (rc = pd_varint_append(out, body.len)) == 0 &&
	    (rc = pd_buf_append(out, body.data, body.len)) < 0)
		out->len = old;
	pd_buf_free(&body);
	return rc;
}

int
pd_kad_msg_frame(const uint8_t *p, size_t len, size_t max,
    const uint8_t **ret_msg, size_t *ret_len)
{
	uint64_t n;
	int used;

	if ((p == NULL && len > 0) || ret_msg == NULL || ret_len == NULL)
		return PD_ERR_INVAL;
	if (max == 0 || max > PD_KAD_MSG_MAX)
		max = PD_KAD_MSG_MAX;
	if (len == 0)
		return PD_ERR_TRUNCATED;
	if ((used = pd_varint_decode(p, len, &n)) < 0)
		return used;
	if (n > max)
		return PD_ERR_OVERFLOW;
	if (n > len - (size_t)used)
		return PD_ERR_TRUNCATED;
	*ret_msg = p + used;
	*ret_len = (size_t)n;
	return used + (int)n;
}

/* ---- comparison ---- */

static bool
kad_peer_equal(const struct pd_kad_peer *a, const struct pd_kad_peer *b)
{
	size_t i;

	if (!pd_peerid_equal(&a->id, &b->id) ||
	    a->connection != b->connection || a->naddrs != b->naddrs)
		return false;
	for (i = 0; i < a->naddrs; i++)
		if (!pd_multiaddr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

static bool
kad_record_equal(const struct pd_kad_record *a, const struct pd_kad_record *b)
{
	return a->key_len == b->key_len && a->value_len == b->value_len &&
	    a->time_len == b->time_len &&
	    memcmp(a->key, b->key, a->key_len) == 0 &&
	    memcmp(a->value, b->value, a->value_len) == 0 &&
	    memcmp(a->time_received, b->time_received, a->time_len) == 0;
}

bool
pd_kad_msg_equal(const struct pd_kad_msg *a, const struct pd_kad_msg *b)
{
	size_t i;

	if (a->type != b->type || a->cluster_level_raw != b->cluster_level_raw ||
	    a->key_len != b->key_len || a->has_record != b->has_record ||
	    a->ncloser != b->ncloser || a->nproviders != b->nproviders ||
	    memcmp(a->key, b->key, a->key_len) != 0)
		return false;
	if (a->has_record && !kad_record_equal(&a->record, &b->record))
		return false;
	for (i = 0; i < a->ncloser; i++)
		if (!kad_peer_equal(&a->closer[i], &b->closer[i]))
			return false;
	for (i = 0; i < a->nproviders; i++)
		if (!kad_peer_equal(&a->providers[i], &b->providers[i]))
			return false;
	return true;
}
