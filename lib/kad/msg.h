/*
 * msg.h - the Kademlia DHT `Message` protobuf (/ipfs/kad/1.0.0;
 * libp2p-wire.md §9.1, §9.2) and its length-delimited stream framing.
 *
 * Sans-IO codec: bytes in, a bounded caller-owned struct out, and back.
 * The struct is a plain value (no pointers, copy it with '=' or memcpy)
 * but large (about 600 KiB with the default caps): allocate it with
 * pd_kad_msg_new() or keep it static, never on a small stack.
 *
 * Decoding follows go's proto3 rules: absent fields are zero (a PUT_VALUE
 * request carries no `type` field, a missing `connection` is
 * NOT_CONNECTED), the last occurrence of a scalar wins, a repeated
 * `record` merges, unknown fields and known fields with an unexpected wire
 * type are skipped.  Peers whose ID is not a valid peer ID and
 * multiaddrs that do not validate are skipped and counted; peers and
 * addresses over the caps are dropped and counted.  Encoding is
 * deterministic: fields in number order, zero values omitted, minimal
 * varints (as go's generated code emits them).
 */
#ifndef PD_KAD_MSG_H
#define PD_KAD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/peerid.h"

struct pd_buf;

#define PD_KAD_PROTO "/ipfs/kad/1.0.0"
#define PD_KAD_LAN_PROTO "/ipfs/lan/kad/1.0.0"
#define PD_KAD_MSG_MAX (UINT32_C(1) << 22)	/* bytes per message on the wire (go network.MessageSizeMax, 4 MiB) */
#define PD_KAD_MAX_PEERS 32		/* peers kept per list (closerPeers, providerPeers) */
#define PD_KAD_MAX_ADDRS 16		/* multiaddrs kept per peer */
#define PD_KAD_MAX_KEY 1024		/* bytes of Message.key and Record.key */
#define PD_KAD_MAX_VALUE 65536		/* bytes of Record.value (IPNS records are <= 10 KiB) */
#define PD_KAD_MAX_TIME 64		/* bytes of Record.timeReceived (RFC 3339, ~35 used) */
#define PD_KAD_MAX_PROVIDER_KEY 80	/* bytes of an ADD/GET_PROVIDERS key (go's limit; checked by the server, not here) */

/* Message.MessageType; the numbers are wire values. */
enum pd_kad_msg_type {
	PD_KAD_PUT_VALUE = 0,
	PD_KAD_GET_VALUE = 1,
	PD_KAD_ADD_PROVIDER = 2,
	PD_KAD_GET_PROVIDERS = 3,
	PD_KAD_FIND_NODE = 4,
	PD_KAD_PING = 5,
};

/* Message.ConnectionType; wire values.  go only sends 0 and 1. */
enum pd_kad_conn {
	PD_KAD_NOT_CONNECTED = 0,
	PD_KAD_CONNECTED = 1,
	PD_KAD_CAN_CONNECT = 2,
	PD_KAD_CANNOT_CONNECT = 3,
};

/* Which peer list of a message (for pd_kad_msg_add_peer). */
enum pd_kad_peer_list {
	PD_KAD_LIST_CLOSER = 0,		/* closerPeers, field 8 */
	PD_KAD_LIST_PROVIDERS = 1,	/* providerPeers, field 9 */
};

/*
 * Message.Peer.  Invariant (decoded or added through this module): id is
 * a valid peer ID, naddrs <= PD_KAD_MAX_ADDRS, addrs[0..naddrs) are
 * validated multiaddrs (protobufs carry them without a /p2p/ suffix, but
 * one is not removed if present).  A peer with zero addresses is kept.
 */
struct pd_kad_peer {
	struct pd_peerid id;
	enum pd_kad_conn connection;	/* unknown wire values read as NOT_CONNECTED */
	size_t naddrs;
	struct pd_multiaddr addrs[PD_KAD_MAX_ADDRS];
};

/*
 * Record (go-libp2p-record): key, value, timeReceived (fields 1, 2, 5;
 * the retired 3 and 4 are skipped).  time_received is NUL-terminated,
 * contains no NUL, and is not checked for RFC 3339 syntax: escape it
 * before logging.
 */
struct pd_kad_record {
	size_t key_len;
	uint8_t key[PD_KAD_MAX_KEY];
	size_t value_len;
	uint8_t value[PD_KAD_MAX_VALUE];
	size_t time_len;
	char time_received[PD_KAD_MAX_TIME + 1];
};

/*
 * One Message.  Invariant: type is a PD_KAD_* type, every *_len and
 * count is within its cap.  The dropped_* counters are filled by decode
 * (and by pd_kad_msg_add_peer for addresses), ignored by encode and by
 * pd_kad_msg_equal.
 */
struct pd_kad_msg {
	enum pd_kad_msg_type type;
	int32_t cluster_level_raw;	/* field 10, unused by everyone; kept for round trips */
	size_t key_len;
	uint8_t key[PD_KAD_MAX_KEY];
	bool has_record;
	struct pd_kad_record record;
	size_t ncloser;
	struct pd_kad_peer closer[PD_KAD_MAX_PEERS];
	size_t nproviders;
	struct pd_kad_peer providers[PD_KAD_MAX_PEERS];
	unsigned dropped_peers;		/* invalid peer ID, or list over PD_KAD_MAX_PEERS */
	unsigned dropped_addrs;		/* invalid multiaddr, or over PD_KAD_MAX_ADDRS */
	unsigned dropped_fields;	/* timeReceived over PD_KAD_MAX_TIME or with NUL */
};

/* Static name of a message type ("FIND_NODE"...), "unknown" otherwise. */
const char *pd_kad_msg_type_name(int type);

/* A zeroed message (PUT_VALUE, nothing set) from the heap, or NULL (OOM). */
struct pd_kad_msg *pd_kad_msg_new(void);
/* Free a message from pd_kad_msg_new().  NULL is a no-op. */
void pd_kad_msg_free(struct pd_kad_msg *msg);
/* Reset msg to empty with the given type. */
void pd_kad_msg_init(struct pd_kad_msg *msg, enum pd_kad_msg_type type);

/*
 * Set msg->key.  Returns 0, or PD_ERR_OVERFLOW (len > PD_KAD_MAX_KEY) /
 * PD_ERR_INVAL (NULL with len > 0); msg unchanged on failure.
 */
int pd_kad_msg_set_key(struct pd_kad_msg *msg, const uint8_t *key,
    size_t len);

/*
 * Append a peer to one list.  Addresses past PD_KAD_MAX_ADDRS are dropped
 * and counted in msg->dropped_addrs (addrs may be NULL if naddrs is 0).
 * Returns 0, PD_ERR_OVERFLOW if the list already holds PD_KAD_MAX_PEERS,
 * or PD_ERR_INVAL (bad list, NULL id, connection out of range).
 */
int pd_kad_msg_add_peer(struct pd_kad_msg *msg, enum pd_kad_peer_list list,
    const struct pd_peerid *id, const struct pd_multiaddr *addrs,
    size_t naddrs, enum pd_kad_conn connection);

/*
 * Decode one Message (without its length prefix) filling exactly
 * p[0..len).  Returns 0 with *ret_msg overwritten, or:
 *   PD_ERR_OVERFLOW   len > PD_KAD_MSG_MAX, or a key, record key or value
 *                     over its cap;
 *   PD_ERR_MALFORMED  not a protobuf (also inside Record or Peer);
 *   PD_ERR_TRUNCATED  a field runs past the end;
 *   PD_ERR_UNSUPPORTED a `type` outside 0..5;
 * with a reason in why (may be NULL).  *ret_msg is untouched on failure
 * (the input is checked in full before anything is written).
 */
int pd_kad_msg_decode(const uint8_t *p, size_t len, struct pd_kad_msg *ret_msg,
    char *why, size_t whylen);

/*
 * Append the deterministic encoding of msg (no length prefix) to out.
 * Returns 0, PD_ERR_INVAL (msg breaks its invariant: type, lengths,
 * counts, an empty multiaddr or peer ID), PD_ERR_NOMEM or PD_ERR_OVERFLOW
 * (buffer cap).  On failure out is restored to its previous length.
 */
int pd_kad_msg_encode(const struct pd_kad_msg *msg, struct pd_buf *out);

/*
 * As pd_kad_msg_encode, preceded by uvarint(length): one frame ready to
 * write to a stream.  Also PD_ERR_OVERFLOW if the message would exceed
 * PD_KAD_MSG_MAX (cannot happen within the struct caps).
 */
int pd_kad_msg_encode_lp(const struct pd_kad_msg *msg, struct pd_buf *out);

/*
 * Find the next length-delimited message at the front of received stream
 * bytes p[0..len): uvarint(n) ‖ n bytes (libp2p-wire.md §3).  max caps n
 * (0 or anything over PD_KAD_MSG_MAX means PD_KAD_MSG_MAX; a server may
 * pass less).  Returns the number of bytes the frame occupies (prefix
 * plus payload, > 0; consume that many) and points *ret_msg and *ret_len at
 * the payload inside p; or PD_ERR_TRUNCATED (incomplete: read more),
 * PD_ERR_OVERFLOW (declared length over max, known as soon as the prefix
 * is complete), PD_ERR_NOT_MINIMAL (non-minimal prefix), PD_ERR_INVAL
 * (NULL arguments).  The last three mean: reset the stream.
 */
int pd_kad_msg_frame(const uint8_t *p, size_t len, size_t max,
    const uint8_t **ret_msg, size_t *ret_len);

/*
 * True if a and b carry the same message: type, cluster level, key,
 * record presence and contents, both peer lists in order (ID, connection,
 * addresses).  The dropped_* counters are not compared.
 */
bool pd_kad_msg_equal(const struct pd_kad_msg *a, const struct pd_kad_msg *b);

#endif
