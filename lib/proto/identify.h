/*
 * identify.h - the libp2p identify message (/ipfs/id/1.0.0 and
 * /ipfs/id/push/1.0.0; libp2p-wire.md §7).
 *
 * This is the codec: decoding one length-delimited Identify message and
 * merging it into what we know (repeated fields append, scalars
 * overwrite, as go and js do when a peer sends several), and encoding
 * ours.  The stream handling (read until EOF, at most
 * PD_IDENTIFY_MAX_MSGS messages, 5 s) lives with the connection.
 * Everything is capped: extra addresses or protocols are dropped and
 * counted, never stored.
 */
#ifndef PD_PROTO_IDENTIFY_H
#define PD_PROTO_IDENTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/key.h"
#include "proto/record.h"

struct pd_buf;

#define PD_IDENTIFY_PROTO "/ipfs/id/1.0.0"
#define PD_IDENTIFY_PUSH_PROTO "/ipfs/id/push/1.0.0"
#define PD_IDENTIFY_PROTOCOL_VERSION "ipfs/0.1.0"
#define PD_IDENTIFY_MAX_MSG 8192	/* bytes per message read */
#define PD_IDENTIFY_MAX_OWN_MSG 4096	/* bytes we send (rust's limit) */
#define PD_IDENTIFY_MAX_MSGS 10		/* messages per stream */
#define PD_IDENTIFY_MAX_ADDRS 32	/* listen addresses kept */
#define PD_IDENTIFY_MAX_PROTOCOLS 64	/* protocol IDs kept */
#define PD_IDENTIFY_MAX_STRING 256	/* bytes of a protocol/agent string */
#define PD_IDENTIFY_TIMEOUT_MS 5000

/*
 * What a peer told us (or what we tell).  Strings are owned, NUL-free
 * UTF-8 as received (callers escape them before logging).
 */
struct pd_identify {
	int has_pubkey;
	struct pd_pubkey pubkey;
	size_t naddrs;
	struct pd_multiaddr addrs[PD_IDENTIFY_MAX_ADDRS];
	size_t nprotocols;
	char *protocols[PD_IDENTIFY_MAX_PROTOCOLS];
	int has_observed;
	struct pd_multiaddr observed;
	char *protocol_version;		/* NULL if absent */
	char *agent_version;		/* NULL if absent */
	int has_record;			/* record verified and matches key */
	struct pd_peer_record record;
	unsigned dropped;		/* fields dropped: over caps, invalid */
};

void pd_identify_init(struct pd_identify *id);
/* Free owned strings and reset to empty. */
void pd_identify_clear(struct pd_identify *id);
/*
 * Decode one Identify message (without its length prefix) and merge it
 * into id.  A public key that does not decode, or that differs from one
 * already merged, fails with PD_ERR_BAD_KEY; a signed record that does not
 * verify or is not signed by that key is dropped (counted), not fatal.
 * Returns 0 or PD_ERR_MALFORMED / PD_ERR_OVERFLOW / PD_ERR_BAD_KEY /
 * PD_ERR_NOMEM with a reason in why.
 */
int pd_identify_merge(struct pd_identify *id, const uint8_t *msg, size_t len,
    char *why, size_t whylen);
/* 1 if the peer listed protocol proto, else 0. */
int pd_identify_has_protocol(const struct pd_identify *id, const char *proto);
/*
 * Encode id as one Identify message (no length prefix) and append it to
 * out; record (may be NULL) is an already-sealed envelope to send as
 * signedPeerRecord.  Returns 0 or a negative PD_ERR_*.
 */
int pd_identify_encode(const struct pd_identify *id, const uint8_t *record,
    size_t recordlen, struct pd_buf *out);

#endif
