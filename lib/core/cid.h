/*
 * cid.h - CIDv1: 0x01 ‖ uvarint(codec) ‖ multihash, in binary and text.
 * Text output is multibase base32 ('b'); text input takes any multibase
 * that base.h decodes.  CIDv0 (bare base58 sha2-256, "Qm...") is not a
 * CIDv1 and is rejected here; peer ID parsing handles it separately.
 */
#ifndef PD_CORE_CID_H
#define PD_CORE_CID_H

#include <stddef.h>
#include <stdint.h>

#include "core/multihash.h"

struct pd_buf;

#define PD_CID_RAW 0x55
#define PD_CID_LIBP2P_KEY 0x72
#define PD_CID_MAX_BIN 1100	/* bytes, fits the largest accepted digest */
#define PD_CID_MAX_TEXT 2000	/* characters of text form accepted */

struct pd_cid {
	uint64_t codec;
	struct pd_multihash mh;	/* digest borrowed from the decoded bytes */
	const uint8_t *mh_bytes;/* the whole multihash, borrowed */
	size_t mh_len;
};

/*
 * Decode binary CIDv1 filling exactly p[0..len).  0, or PD_ERR_UNSUPPORTED
 * (version other than 1, e.g. a CIDv0 multihash), PD_ERR_OVERFLOW (len over
 * PD_CID_MAX_BIN), or the varint/multihash errors (multihash.h).  The codec
 * is not checked: callers compare it with what they expect.
 */
int pd_cid_decode(const uint8_t *p, size_t len, struct pd_cid *ret_cid);
/*
 * Append the binary CIDv1 to b.  mh must be one well-formed multihash
 * (else PD_ERR_INVAL); PD_ERR_OVERFLOW for a codec over
 * PD_VARINT_MAX_VALUE; b is unchanged on failure.
 */
int pd_cid_encode(struct pd_buf *b, uint64_t codec, const uint8_t *mh,
    size_t mhlen);
/*
 * Parse text: multibase-decode into buf (caller storage, PD_CID_MAX_BIN is
 * enough), then decode; *ret_cid borrows from buf.  Text over
 * PD_CID_MAX_TEXT is PD_ERR_OVERFLOW; otherwise the errors of
 * pd_multibase_decode (unknown prefix: PD_ERR_UNSUPPORTED, so "Qm..." is
 * rejected) and pd_cid_decode.
 */
int pd_cid_parse(const char *text, size_t n, uint8_t *buf, size_t buflen,
    struct pd_cid *ret_cid);
/*
 * Format as multibase base32 text ("b..."); returns the length, or
 * PD_ERR_OVERFLOW (outlen too small) / PD_ERR_INVAL (bad multihash).
 */
int pd_cid_format(uint64_t codec, const uint8_t *mh, size_t mhlen,
    char *out, size_t outlen);

#endif
