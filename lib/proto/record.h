/*
 * record.h - signed envelopes carrying libp2p peer records (RFC 0002,
 * RFC 0003; libp2p-wire.md §7.3).
 *
 * An envelope is { public_key, payload_type, payload, signature }; the
 * signature covers uvarint-length-prefixed domain, payload type and
 * payload.  For peer records the domain is "libp2p-peer-record" and the
 * payload type the two bytes 03 01.  Opening an envelope verifies the
 * signature first, and only then parses the payload; the record's peer ID
 * must be the one derived from the envelope's key.
 */
#ifndef PD_PROTO_RECORD_H
#define PD_PROTO_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "addr/multiaddr.h"
#include "crypto/key.h"
#include "crypto/peerid.h"

struct pd_buf;

#define PD_RECORD_MAX_ENVELOPE 8192	/* bytes of an encoded envelope */
#define PD_RECORD_MAX_ADDRS 32		/* addresses kept from a record */
#define PD_RECORD_DOMAIN "libp2p-peer-record"

struct pd_peer_record {
	struct pd_peerid id;
	uint64_t seq;			/* strictly increasing per peer */
	size_t naddrs;
	struct pd_multiaddr addrs[PD_RECORD_MAX_ADDRS];
	unsigned dropped;		/* addresses over the cap or invalid */
};

/*
 * Encode rec as a PeerRecord, wrap it in an envelope signed with key, and
 * append the envelope bytes to out.  0 or a negative PD_ERR_*.
 */
int pd_record_seal(const struct pd_privkey *key,
    const struct pd_peer_record *rec, struct pd_buf *out);
/*
 * Verify and decode an envelope holding a peer record.  On success fills
 * *ret_rec and *ret_pub (the signer's key) and returns 0; otherwise
 * PD_ERR_MALFORMED, PD_ERR_UNSUPPORTED (another payload type),
 * PD_ERR_BAD_SIGNATURE, PD_ERR_BAD_KEY (peer ID does not match the key),
 * with a reason in why.  Addresses that do not decode are skipped and
 * counted in dropped, as are those over PD_RECORD_MAX_ADDRS.
 */
int pd_record_open(const uint8_t *p, size_t len,
    struct pd_peer_record *ret_rec, struct pd_pubkey *ret_pub,
    char *why, size_t whylen);

#endif
