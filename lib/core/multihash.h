/*
 * multihash.h - multihash (multiformats/multihash): uvarint(code) ‖
 * uvarint(len) ‖ digest.  We compute identity and sha2-256; decoding
 * accepts any code but the caller decides what it allows.
 */
#ifndef PD_CORE_MULTIHASH_H
#define PD_CORE_MULTIHASH_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;

#define PD_MH_IDENTITY 0x00
#define PD_MH_SHA2_256 0x12
#define PD_MH_MAX_DIGEST 1024	/* bytes accepted in a decoded digest */

struct pd_multihash {
	uint64_t code;
	const uint8_t *digest;	/* borrowed from the decoded input */
	size_t len;
};

/*
 * Decode a multihash that fills exactly p[0..len); trailing bytes are
 * PD_ERR_MALFORMED.  sha2-256 must have a 32-byte digest.  Returns 0 or
 * a negative PD_ERR_*.
 */
int pd_multihash_decode(const uint8_t *p, size_t len,
    struct pd_multihash *ret_mh);
/*
 * Like decode, but reads one multihash from the front; returns bytes used.
 * Errors (both): PD_ERR_TRUNCATED (input ends early), PD_ERR_NOT_MINIMAL /
 * PD_ERR_OVERFLOW (bad varints), PD_ERR_OVERFLOW (digest over
 * PD_MH_MAX_DIGEST), PD_ERR_MALFORMED (sha2-256 digest not 32 bytes).
 */
int pd_multihash_decode_prefix(const uint8_t *p, size_t len,
    struct pd_multihash *ret_mh);
/*
 * Append code ‖ len ‖ digest to b.  0, PD_ERR_OVERFLOW (code over
 * PD_VARINT_MAX_VALUE or len over PD_MH_MAX_DIGEST), PD_ERR_INVAL
 * (sha2-256 with len != 32) or PD_ERR_NOMEM; b is unchanged on failure.
 */
int pd_multihash_encode(struct pd_buf *b, uint64_t code,
    const uint8_t *digest, size_t len);
/* Append sha2-256(data) as a multihash (34 bytes); 0 or PD_ERR_NOMEM. */
int pd_multihash_sha256(struct pd_buf *b, const void *data, size_t n);

#endif
