/*
 * pnet.c - libp2p private networks, PSK v1 (libp2p-wire.md §12).
 *
 * Parses swarm.key files and runs the per-connection stream cipher: each
 * side first sends 24 random bytes (its nonce), then XORs every byte it
 * sends with the XSalsa20 keystream of (PSK, its nonce); the two
 * directions are independent.  The keystream position is kept as a byte
 * offset per direction so that arbitrary chunk boundaries work.  Sans-IO:
 * lib/net/conn.c feeds raw TCP bytes in and writes what comes out, below
 * multistream-select and Noise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/pnet.h"

#define PNET_BLOCK 64		/* XSalsa20 block size, bytes */
#define PNET_HEX_LEN (2 * PD_PNET_PSK_LEN)
#define PNET_B64_LEN 44		/* padded base64 of 32 bytes */

/* One direction of the stream cipher. */
struct pnet_dir {
	uint8_t nonce[PD_PNET_NONCE_LEN];
	uint64_t off;		/* keystream bytes used so far */
};

/*
 * Invariants: out.nonce is random from creation; sent says whether it went
 * out.  in_have counts nonce bytes received (< 24 while still reading it).
 */
struct pd_pnet {
	uint8_t psk[PD_PNET_PSK_LEN];
	struct pnet_dir out;
	struct pnet_dir in;
	size_t in_have;		/* 0..PD_PNET_NONCE_LEN */
	int sent;		/* our nonce was appended to an output */
};

static void
pnet_why(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
}

/*
 * Read one header line starting at *off: up to '\n', with trailing '\r'
 * and '\n' trimmed (go's bytes.TrimRight(line, "\r\n")).  Returns the
 * line length and advances *off past the '\n', or -1 if there is no '\n'.
 */
static long
pnet_line(const uint8_t *data, size_t len, size_t *off, const uint8_t **ret)
{
	const uint8_t *p = data + *off;
	const uint8_t *nl = memchr(p, '\n', len - *off);
	size_t n;

	if (nl == NULL)
		return -1;
	n = (size_t)(nl - p);
	while (n > 0 && p[n - 1] == '\r')
		n--;
	*off += (size_t)(nl - p) + 1;
	*ret = p;
	return (long)n;
}

static int
pnet_line_is(const uint8_t *line, long n, const char *want)
{
	return n >= 0 && (size_t)n == strlen(want) &&
	    memcmp(line, want, (size_t)n) == 0;
}

static int
pnet_parse_base16(const uint8_t *p, size_t len, uint8_t *key, char *why,
    size_t whylen)
{
	size_t binlen = 0;

	if (len < PNET_HEX_LEN) {
		pnet_why(why, whylen, "base16 key shorter than 64 hex digits");
		return PD_ERR_TRUNCATED;
	}
	if (sodium_hex2bin(key, PD_PNET_PSK_LEN, (const char *)p, PNET_HEX_LEN,
	    NULL, &binlen, NULL) != 0 || binlen != PD_PNET_PSK_LEN) {
		pnet_why(why, whylen, "base16 key has a non-hex character");
		return PD_ERR_MALFORMED;
	}
	return 0;
}

static int
pnet_parse_base64(const uint8_t *p, size_t len, uint8_t *key, char *why,
    size_t whylen)
{
	char chars[PNET_B64_LEN];
	size_t n = 0, binlen = 0;

	/* go's base64 decoder drops '\r' and '\n' anywhere in the stream. */
	for (size_t i = 0; i < len && n < PNET_B64_LEN; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		chars[n++] = (char)p[i];
	}
	if (n < PNET_B64_LEN) {
		pnet_why(why, whylen, "base64 key shorter than 44 characters");
		return PD_ERR_TRUNCATED;
	}
	if (sodium_base642bin(key, PD_PNET_PSK_LEN, chars, PNET_B64_LEN, NULL,
	    &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != PD_PNET_PSK_LEN) {
		pnet_why(why, whylen, "base64 key is not 32 bytes of padded "
		    "standard base64");
		return PD_ERR_MALFORMED;
	}
	return 0;
}

int
pd_pnet_psk_parse(const uint8_t *data, size_t len,
    uint8_t ret_psk[PD_PNET_PSK_LEN], char *why, size_t whylen)
{
	uint8_t key[PD_PNET_PSK_LEN];
	const uint8_t *line;
	size_t off = 0;
	long n;
	int r;

	if (data == NULL && len > 0)
		return PD_ERR_INVAL;
	if (len > PD_PNET_MAX_FILE) {
		pnet_why(why, whylen, "key file larger than 4096 bytes");
		return PD_ERR_OVERFLOW;
	}
	n = len ? pnet_line(data, len, &off, &line) : -1;
	if (n < 0) {
		pnet_why(why, whylen, "missing header line");
		return PD_ERR_TRUNCATED;
	}
	if (!pnet_line_is(line, n, PD_PNET_HEADER)) {
		pnet_why(why, whylen, "first line is not /key/swarm/psk/1.0.0/");
		return PD_ERR_MALFORMED;
	}
	if ((n = pnet_line(data, len, &off, &line)) < 0) {
		pnet_why(why, whylen, "missing encoding line");
		return PD_ERR_TRUNCATED;
	}
	if (pnet_line_is(line, n, "/base16/"))
		r = pnet_parse_base16(data + off, len - off, key, why, whylen);
	else if (pnet_line_is(line, n, "/base64/"))
		r = pnet_parse_base64(data + off, len - off, key, why, whylen);
	else if (pnet_line_is(line, n, "/bin/")) {
		if (len - off < PD_PNET_PSK_LEN) {
			pnet_why(why, whylen, "binary key shorter than 32 bytes");
			r = PD_ERR_TRUNCATED;
		} else {
			memcpy(key, data + off, PD_PNET_PSK_LEN);
			r = 0;
		}
	} else {
		pnet_why(why, whylen, "unknown encoding (want /base16/, "
		    "/base64/ or /bin/)");
		r = PD_ERR_UNSUPPORTED;
	}
	if (r == 0)
		memcpy(ret_psk, key, PD_PNET_PSK_LEN);
	sodium_memzero(key, sizeof(key));
	return r;
}

void
pd_pnet_fingerprint(const uint8_t psk[PD_PNET_PSK_LEN],
    char ret_hex[PD_PNET_FINGERPRINT_HEX])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, psk, PD_PNET_PSK_LEN);
	sodium_bin2hex(ret_hex, PD_PNET_FINGERPRINT_HEX, h,
	    PD_PNET_FINGERPRINT_LEN);
	sodium_memzero(h, sizeof(h));
}

int
pd_pnet_new(const uint8_t psk[PD_PNET_PSK_LEN], struct pd_pnet **ret_pn)
{
	struct pd_pnet *pn;

	if (psk == NULL || ret_pn == NULL)
		return PD_ERR_INVAL;
	if (sodium_init() < 0)
		return PD_ERR_UNAVAILABLE;
	if ((pn = calloc(1, sizeof(*pn))) == NULL)
		return PD_ERR_NOMEM;
	memcpy(pn->psk, psk, PD_PNET_PSK_LEN);
	randombytes_buf(pn->out.nonce, sizeof(pn->out.nonce));
	*ret_pn = pn;
	return 0;
}

void
pd_pnet_free(struct pd_pnet *pn)
{
	if (pn == NULL)
		return;
	sodium_memzero(pn, sizeof(*pn));
	free(pn);
}

/*
 * XOR len bytes of in with the keystream of d from d->off on, into out
 * (which may alias in).  A partial first block is handled by generating
 * that whole block and using its tail; the rest goes through libsodium
 * with the 64-byte block counter.
 */
static void
pnet_xor(const struct pd_pnet *pn, struct pnet_dir *d, uint8_t *out,
    const uint8_t *in, size_t len)
{
	size_t skip = (size_t)(d->off % PNET_BLOCK);

	if (len == 0)
		return;
	if (skip != 0) {
		uint8_t ks[PNET_BLOCK] = { 0 };
		size_t n = PNET_BLOCK - skip;

		if (n > len)
			n = len;
		crypto_stream_xsalsa20_xor_ic(ks, ks, PNET_BLOCK, d->nonce,
		    d->off / PNET_BLOCK, pn->psk);
		for (size_t i = 0; i < n; i++)
			out[i] = in[i] ^ ks[skip + i];
		sodium_memzero(ks, sizeof(ks));
		d->off += n;
		out += n;
		in += n;
		len -= n;
	}
	if (len > 0) {
		crypto_stream_xsalsa20_xor_ic(out, in, len, d->nonce,
		    d->off / PNET_BLOCK, pn->psk);
		d->off += len;
	}
}

int
pd_pnet_start(struct pd_pnet *pn, struct pd_buf *out)
{
	int r;

	if (pn->sent)
		return 0;
	if ((r = pd_buf_append(out, pn->out.nonce, PD_PNET_NONCE_LEN)) < 0)
		return r;
	pn->sent = 1;
	return 0;
}

int
pd_pnet_encrypt(struct pd_pnet *pn, const uint8_t *in, size_t len,
    struct pd_buf *out)
{
	size_t need = len + (pn->sent ? 0 : PD_PNET_NONCE_LEN);
	int r;

	if (in == NULL && len > 0)
		return PD_ERR_INVAL;
	if ((r = pd_buf_reserve(out, need)) < 0)
		return r;
	if ((r = pd_pnet_start(pn, out)) < 0)	/* cannot fail: reserved */
		return r;
	if (len == 0)
		return 0;
	pnet_xor(pn, &pn->out, out->data + out->len, in, len);
	out->len += len;
	return 0;
}

int
pd_pnet_decrypt(struct pd_pnet *pn, const uint8_t *in, size_t len,
    struct pd_buf *out)
{
	size_t n;
	int r;

	if (in == NULL && len > 0)
		return PD_ERR_INVAL;
	if (pn->in_have < PD_PNET_NONCE_LEN) {
		n = PD_PNET_NONCE_LEN - pn->in_have;
		if (n > len)
			n = len;
		if (n > 0)
			memcpy(pn->in.nonce + pn->in_have, in, n);
		pn->in_have += n;
		in += n;
		len -= n;
	}
	if (len == 0)
		return 0;
	if ((r = pd_buf_reserve(out, len)) < 0)
		return r;
	pnet_xor(pn, &pn->in, out->data + out->len, in, len);
	out->len += len;
	return 0;
}
