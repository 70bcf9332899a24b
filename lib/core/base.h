/*
 * base.h - text encodings of bytes and the multibase prefixes.
 *
 * base58btc (Bitcoin alphabet), base36 (lower-case), base32 (RFC 4648,
 * lower-case, no padding; decoding also takes upper case), base16
 * (lower-case out, either case in), base64 standard and URL-safe (with or
 * without padding).
 *
 * Encoders write a NUL-terminated string into out and return its length
 * (without the NUL), or PD_ERR_OVERFLOW if outlen is too small.
 * Decoders write bytes into out and return how many, or PD_ERR_MALFORMED
 * on a character outside the alphabet (or bad padding / trailing bits),
 * or PD_ERR_OVERFLOW if the result does not fit.  base58/base36 inputs
 * (bytes to encode, characters to decode) are bounded by PD_BASE_MAX_INPUT
 * because they are quadratic; longer ones are PD_ERR_OVERFLOW.  The linear
 * codecs are bounded only by outlen.  Decoders are strict, so each byte
 * string has exactly one accepted text per encoding: no whitespace, zero
 * trailing bits, no '=' in base32.
 */
#ifndef PD_CORE_BASE_H
#define PD_CORE_BASE_H

#include <stddef.h>
#include <stdint.h>

#define PD_BASE_MAX_INPUT 4096	/* bytes (decode: chars) accepted */

int pd_base58_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
int pd_base58_decode(const char *in, size_t n, uint8_t *out, size_t outlen);
int pd_base36_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
int pd_base36_decode(const char *in, size_t n, uint8_t *out, size_t outlen);
int pd_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
int pd_base32_decode(const char *in, size_t n, uint8_t *out, size_t outlen);
int pd_base16_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
int pd_base16_decode(const char *in, size_t n, uint8_t *out, size_t outlen);

enum pd_base64_variant {
	PD_BASE64_STD,		/* + / with = padding */
	PD_BASE64_STD_NOPAD,	/* + / */
	PD_BASE64_URL,		/* - _ without padding */
	PD_BASE64_URL_PAD,	/* - _ with = padding */
};
int pd_base64_encode(enum pd_base64_variant v, const uint8_t *in, size_t n,
    char *out, size_t outlen);
/* Decoding requires exactly the variant's alphabet and padding rule. */
int pd_base64_decode(enum pd_base64_variant v, const char *in, size_t n,
    uint8_t *out, size_t outlen);

/* Multibase prefixes (multiformats/multibase multibase.csv). */
enum pd_multibase {
	PD_MULTIBASE_BASE16 = 'f',
	PD_MULTIBASE_BASE16UPPER = 'F',
	PD_MULTIBASE_BASE32 = 'b',
	PD_MULTIBASE_BASE32UPPER = 'B',
	PD_MULTIBASE_BASE36 = 'k',
	PD_MULTIBASE_BASE58BTC = 'z',
	PD_MULTIBASE_BASE64 = 'm',
	PD_MULTIBASE_BASE64PAD = 'M',
	PD_MULTIBASE_BASE64URL = 'u',
	PD_MULTIBASE_BASE64URLPAD = 'U',
};

/* Prefix + encoding; same return convention as the encoders. */
int pd_multibase_encode(enum pd_multibase base, const uint8_t *in, size_t n,
    char *out, size_t outlen);
/*
 * Decode by the first character; unknown prefix is PD_ERR_UNSUPPORTED,
 * empty input PD_ERR_MALFORMED.  The case must match the prefix: 'b'/'f'
 * take only lower case, 'B'/'F' only upper case (as go-multibase), so a
 * successful decode re-encodes with the same prefix to the same text.
 * *ret_base (may be NULL) gets the prefix on success.
 */
int pd_multibase_decode(const char *in, size_t n, uint8_t *out,
    size_t outlen, enum pd_multibase *ret_base);

#endif
