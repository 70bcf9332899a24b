/*
 * base.c - byte <-> text encodings (base58btc, base36, base32, base16,
 * base64) and multibase prefixes.  Peer IDs print as base58btc or as a
 * base32 CID (libp2p-wire.md §1.3), multiaddr certhash values and key
 * files use multibase/base64, and the daemon prints keys in hex; all of
 * them come through here.
 *
 * base58 and base36 are positional big-number conversions (quadratic, so
 * their inputs are capped at PD_BASE_MAX_INPUT); leading zero bytes map
 * one-to-one onto leading zero digits ('1' for base58, '0' for base36).
 * base32/base16/base64 are bit-slicing codecs.  Every decoder is strict:
 * exactly one text form decodes to a given byte string per encoding
 * (trailing bits must be zero, padding exactly as the variant demands),
 * and multibase decoding takes exactly the case its prefix names ('b' is
 * lower case, 'B' upper case), so decode -> encode reproduces the input.
 */
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/error.h"

static const char base_b58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char base_b36_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyz";
static const char base_b32_lower[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char base_b32_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char base_b16_lower[] = "0123456789abcdef";
static const char base_b16_upper[] = "0123456789ABCDEF";
static const char base_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char base_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Which letters a decoder takes (base32/base16). */
enum base_case {
	BASE_CASE_LOWER = 1,
	BASE_CASE_UPPER = 2,
	BASE_CASE_ANY = 3,
};

/* Digits needed for PD_BASE_MAX_INPUT bytes in base 36 (log 256/log 36 < 1.55). */
#define BASE_BIGNUM_MAX_DIGITS (PD_BASE_MAX_INPUT * 2)

/* Index of c in alphabet (radix characters), or -1. */
static int
base_digit(const char *alphabet, unsigned radix, char c)
{
	const char *q;

	if (c == '\0')
		return -1;
	q = memchr(alphabet, c, radix);
	return q == NULL ? -1 : (int)(q - alphabet);
}

/*
 * Big-number encoding for base58/base36.  digits[] holds the value little
 * endian in radix; used counts significant digits so each input byte costs
 * O(used) work rather than O(max).
 */
static int
base_bignum_encode(const uint8_t *in, size_t n, char *out, size_t outlen,
    unsigned radix, const char *alphabet)
{
	uint8_t digits[BASE_BIGNUM_MAX_DIGITS];
	size_t zeros = 0, used = 0, total;

	if (n > PD_BASE_MAX_INPUT)
		return PD_ERR_OVERFLOW;
	while (zeros < n && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = in[i];
		size_t j;

		for (j = 0; j < used || carry != 0; j++) {
			if (j < used)
				carry += 256u * digits[j];
			digits[j] = (uint8_t)(carry % radix);
			carry /= radix;
		}
		used = j;
	}
	total = zeros + used;
	if (total >= outlen)
		return PD_ERR_OVERFLOW;
	memset(out, alphabet[0], zeros);
	for (size_t j = 0; j < used; j++)
		out[zeros + j] = alphabet[digits[used - 1 - j]];
	out[total] = '\0';
	return (int)total;
}

/* Big-number decoding, the inverse of base_bignum_encode. */
static int
base_bignum_decode(const char *in, size_t n, uint8_t *out, size_t outlen,
    unsigned radix, const char *alphabet)
{
	uint8_t bytes[PD_BASE_MAX_INPUT];	/* little endian */
	size_t zeros = 0, used = 0, total;

	if (n > PD_BASE_MAX_INPUT)
		return PD_ERR_OVERFLOW;
	while (zeros < n && in[zeros] == alphabet[0])
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		int d = base_digit(alphabet, radix, in[i]);
		unsigned carry;
		size_t j;

		if (d < 0)
			return PD_ERR_MALFORMED;
		carry = (unsigned)d;
		for (j = 0; j < used || carry != 0; j++) {
			if (j < used)
				carry += radix * bytes[j];
			bytes[j] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
		used = j;
	}
	total = zeros + used;
	if (total > outlen)
		return PD_ERR_OVERFLOW;
	memset(out, 0, zeros);
	for (size_t j = 0; j < used; j++)
		out[zeros + j] = bytes[used - 1 - j];
	return (int)total;
}

int
pd_base58_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	return base_bignum_encode(in, n, out, outlen, 58, base_b58_alphabet);
}

int
pd_base58_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
	return base_bignum_decode(in, n, out, outlen, 58, base_b58_alphabet);
}

int
pd_base36_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	return base_bignum_encode(in, n, out, outlen, 36, base_b36_alphabet);
}

int
pd_base36_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
	return base_bignum_decode(in, n, out, outlen, 36, base_b36_alphabet);
}

/* Lengths of the linear encodings must fit an int return value. */
#define BASE_LINEAR_MAX_TEXT ((size_t)INT32_MAX)

static int
base32_encode_alpha(const uint8_t *in, size_t n, char *out, size_t outlen,
    const char *alphabet)
{
	size_t olen, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (n > BASE_LINEAR_MAX_TEXT / 8 * 5)
		return PD_ERR_OVERFLOW;
	olen = (n * 8 + 4) / 5;
	if (olen >= outlen)
		return PD_ERR_OVERFLOW;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return (int)o;
}

/* Value of a base32 character in the accepted case(s), or -1. */
static int
base32_value(char c, enum base_case cs)
{
	if (c >= 'a' && c <= 'z')
		return (cs & BASE_CASE_LOWER) ? c - 'a' : -1;
	if (c >= 'A' && c <= 'Z')
		return (cs & BASE_CASE_UPPER) ? c - 'A' : -1;
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

static int
base32_decode_case(const char *in, size_t n, uint8_t *out, size_t outlen,
    enum base_case cs)
{
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	/* 1, 3 or 6 leftover characters can never come from whole bytes. */
	switch (n % 8) {
	case 1:
	case 3:
	case 6:
		return PD_ERR_MALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		int v = base32_value(in[i], cs);

		if (v < 0)
			return PD_ERR_MALFORMED;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return PD_ERR_OVERFLOW;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* Leftover bits must be zero, or two texts would give the same bytes. */
	if (acc != 0)
		return PD_ERR_MALFORMED;
	return (int)o;
}

int
pd_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	return base32_encode_alpha(in, n, out, outlen, base_b32_lower);
}

int
pd_base32_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
	if (n > BASE_LINEAR_MAX_TEXT)
		return PD_ERR_OVERFLOW;
	return base32_decode_case(in, n, out, outlen, BASE_CASE_ANY);
}

static int
base16_encode_alpha(const uint8_t *in, size_t n, char *out, size_t outlen,
    const char *alphabet)
{
	if (n > BASE_LINEAR_MAX_TEXT / 2 || 2 * n >= outlen)
		return PD_ERR_OVERFLOW;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = alphabet[in[i] >> 4];
		out[2 * i + 1] = alphabet[in[i] & 15];
	}
	out[2 * n] = '\0';
	return (int)(2 * n);
}

static int
base16_value(char c, enum base_case cs)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return (cs & BASE_CASE_LOWER) ? c - 'a' + 10 : -1;
	if (c >= 'A' && c <= 'F')
		return (cs & BASE_CASE_UPPER) ? c - 'A' + 10 : -1;
	return -1;
}

static int
base16_decode_case(const char *in, size_t n, uint8_t *out, size_t outlen,
    enum base_case cs)
{
	if (n > BASE_LINEAR_MAX_TEXT)
		return PD_ERR_OVERFLOW;
	if (n % 2 != 0)
		return PD_ERR_MALFORMED;
	for (size_t i = 0; i < n; i += 2) {
		int hi = base16_value(in[i], cs), lo = base16_value(in[i + 1], cs);

		if (hi < 0 || lo < 0)
			return PD_ERR_MALFORMED;
		if (i / 2 >= outlen)
			return PD_ERR_OVERFLOW;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int
pd_base16_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	return base16_encode_alpha(in, n, out, outlen, base_b16_lower);
}

int
pd_base16_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
	return base16_decode_case(in, n, out, outlen, BASE_CASE_ANY);
}

static const char *
base64_alphabet(enum pd_base64_variant v)
{
	return (v == PD_BASE64_URL || v == PD_BASE64_URL_PAD) ?
	    base_b64_url : base_b64_std;
}

static int
base64_padded(enum pd_base64_variant v)
{
	return v == PD_BASE64_STD || v == PD_BASE64_URL_PAD;
}

static int
base64_variant_ok(enum pd_base64_variant v)
{
	return v == PD_BASE64_STD || v == PD_BASE64_STD_NOPAD ||
	    v == PD_BASE64_URL || v == PD_BASE64_URL_PAD;
}

int
pd_base64_encode(enum pd_base64_variant v, const uint8_t *in, size_t n,
    char *out, size_t outlen)
{
	const char *alphabet;
	size_t olen, o = 0, i;

	if (!base64_variant_ok(v))
		return PD_ERR_INVAL;
	alphabet = base64_alphabet(v);
	if (n > BASE_LINEAR_MAX_TEXT / 4 * 3 - 3)
		return PD_ERR_OVERFLOW;
	olen = base64_padded(v) ? (n + 2) / 3 * 4 : (n * 4 + 2) / 3;
	if (olen >= outlen)
		return PD_ERR_OVERFLOW;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		out[o++] = alphabet[w >> 18];
		out[o++] = alphabet[(w >> 12) & 63];
		out[o++] = alphabet[(w >> 6) & 63];
		out[o++] = alphabet[w & 63];
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;

		out[o++] = alphabet[w >> 18];
		out[o++] = alphabet[(w >> 12) & 63];
		if (base64_padded(v)) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = alphabet[w >> 18];
		out[o++] = alphabet[(w >> 12) & 63];
		out[o++] = alphabet[(w >> 6) & 63];
		if (base64_padded(v))
			out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int
pd_base64_decode(enum pd_base64_variant v, const char *in, size_t n,
    uint8_t *out, size_t outlen)
{
	const char *alphabet;
	size_t o = 0, body = n;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (!base64_variant_ok(v))
		return PD_ERR_INVAL;
	if (n > BASE_LINEAR_MAX_TEXT)
		return PD_ERR_OVERFLOW;
	alphabet = base64_alphabet(v);
	if (base64_padded(v)) {
		/* Padded: whole quads, at most two '=' and only at the end. */
		if (n % 4 != 0)
			return PD_ERR_MALFORMED;
		if (body > 0 && in[body - 1] == '=')
			body--;
		if (body > 0 && in[body - 1] == '=')
			body--;
	}
	if (body % 4 == 1)
		return PD_ERR_MALFORMED;
	for (size_t i = 0; i < body; i++) {
		int d = base_digit(alphabet, 64, in[i]);

		if (d < 0)
			return PD_ERR_MALFORMED;
		acc = (acc << 6) | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return PD_ERR_OVERFLOW;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	if (acc != 0)
		return PD_ERR_MALFORMED;
	return (int)o;
}

int
pd_multibase_encode(enum pd_multibase base, const uint8_t *in, size_t n,
    char *out, size_t outlen)
{
	int r;

	if (outlen < 2)
		return PD_ERR_OVERFLOW;
	switch (base) {
	case PD_MULTIBASE_BASE16:
		r = base16_encode_alpha(in, n, out + 1, outlen - 1,
		    base_b16_lower);
		break;
	case PD_MULTIBASE_BASE16UPPER:
		r = base16_encode_alpha(in, n, out + 1, outlen - 1,
		    base_b16_upper);
		break;
	case PD_MULTIBASE_BASE32:
		r = base32_encode_alpha(in, n, out + 1, outlen - 1,
		    base_b32_lower);
		break;
	case PD_MULTIBASE_BASE32UPPER:
		r = base32_encode_alpha(in, n, out + 1, outlen - 1,
		    base_b32_upper);
		break;
	case PD_MULTIBASE_BASE36:
		r = pd_base36_encode(in, n, out + 1, outlen - 1);
		break;
	case PD_MULTIBASE_BASE58BTC:
		r = pd_base58_encode(in, n, out + 1, outlen - 1);
		break;
	case PD_MULTIBASE_BASE64:
		r = pd_base64_encode(PD_BASE64_STD_NOPAD, in, n, out + 1,
		    outlen - 1);
		break;
	case PD_MULTIBASE_BASE64PAD:
		r = pd_base64_encode(PD_BASE64_STD, in, n, out + 1, outlen - 1);
		break;
	case PD_MULTIBASE_BASE64URL:
		r = pd_base64_encode(PD_BASE64_URL, in, n, out + 1, outlen - 1);
		break;
	case PD_MULTIBASE_BASE64URLPAD:
		r = pd_base64_encode(PD_BASE64_URL_PAD, in, n, out + 1,
		    outlen - 1);
		break;
	default:
		return PD_ERR_UNSUPPORTED;
	}
	if (r < 0)
		return r;
	if (r == INT32_MAX)
		return PD_ERR_OVERFLOW;
	out[0] = (char)base;
	return r + 1;
}

int
pd_multibase_decode(const char *in, size_t n, uint8_t *out, size_t outlen,
    enum pd_multibase *ret_base)
{
	const char *s;
	size_t m;
	int r;

	if (n == 0)
		return PD_ERR_MALFORMED;
	s = in + 1;
	m = n - 1;
	switch (in[0]) {
	case PD_MULTIBASE_BASE16:
		r = base16_decode_case(s, m, out, outlen, BASE_CASE_LOWER);
		break;
	case PD_MULTIBASE_BASE16UPPER:
		r = base16_decode_case(s, m, out, outlen, BASE_CASE_UPPER);
		break;
	case PD_MULTIBASE_BASE32:
		r = m > BASE_LINEAR_MAX_TEXT ? PD_ERR_OVERFLOW :
		    base32_decode_case(s, m, out, outlen, BASE_CASE_LOWER);
		break;
	case PD_MULTIBASE_BASE32UPPER:
		r = m > BASE_LINEAR_MAX_TEXT ? PD_ERR_OVERFLOW :
		    base32_decode_case(s, m, out, outlen, BASE_CASE_UPPER);
		break;
	case PD_MULTIBASE_BASE36:
		r = pd_base36_decode(s, m, out, outlen);
		break;
	case PD_MULTIBASE_BASE58BTC:
		r = pd_base58_decode(s, m, out, outlen);
		break;
	case PD_MULTIBASE_BASE64:
		r = pd_base64_decode(PD_BASE64_STD_NOPAD, s, m, out, outlen);
		break;
	case PD_MULTIBASE_BASE64PAD:
		r = pd_base64_decode(PD_BASE64_STD, s, m, out, outlen);
		break;
	case PD_MULTIBASE_BASE64URL:
		r = pd_base64_decode(PD_BASE64_URL, s, m, out, outlen);
		break;
	case PD_MULTIBASE_BASE64URLPAD:
		r = pd_base64_decode(PD_BASE64_URL_PAD, s, m, out, outlen);
		break;
	default:
		return PD_ERR_UNSUPPORTED;
	}
	if (r >= 0 && ret_base != NULL)
		*ret_base = (enum pd_multibase)in[0];
	return r;
}
