/*
 * pnet.h - libp2p private networks (PSK v1): key file parser and the
 * per-connection XSalsa20 stream cipher (libp2p-wire.md §12).
 *
 * Sans-IO: the glue feeds raw TCP bytes to pd_pnet_decrypt() and sends
 * whatever pd_pnet_encrypt() appends.  pnet sits below multistream and
 * Noise; it has no MAC, so a wrong PSK only shows up as garbage in the
 * layer above (the multistream header check fails).
 */
#ifndef PD_NET_PNET_H
#define PD_NET_PNET_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;

#define PD_PNET_PSK_LEN 32		/* bytes of key */
#define PD_PNET_NONCE_LEN 24		/* bytes each side sends first */
#define PD_PNET_MAX_FILE 4096		/* bytes: larger key files are refused */
#define PD_PNET_FINGERPRINT_LEN 8	/* bytes of SHA-256(psk) kept */
#define PD_PNET_FINGERPRINT_HEX (2 * PD_PNET_FINGERPRINT_LEN + 1) /* + NUL */

/* Header lines of a PSK v1 file (each followed by '\n', optional '\r'). */
#define PD_PNET_HEADER "/key/swarm/psk/1.0.0/"

struct pd_pnet;

/*
 * Parse a PSK v1 key file held in memory (len <= PD_PNET_MAX_FILE):
 *
 *	/key/swarm/psk/1.0.0/\n
 *	/base16/\n          (or /base64/ or /bin/)
 *	<32 bytes of key in that encoding>
 *
 * As in go-libp2p (core/pnet/codec.go), trailing '\r' and '\n' are trimmed
 * from the two header lines, /base16/ takes exactly 64 hex digits (either
 * case), /base64/ takes the standard padded alphabet with line breaks
 * ignored (44 characters), /bin/ takes 32 raw bytes, and anything after the
 * 32 key bytes is ignored.  Returns 0 and fills ret_psk, or
 * PD_ERR_MALFORMED / PD_ERR_UNSUPPORTED (unknown encoding) /
 * PD_ERR_TRUNCATED / PD_ERR_OVERFLOW (file too large) with a reason in why
 * (may be NULL).  ret_psk is untouched on failure.
 */
int pd_pnet_psk_parse(const uint8_t *data, size_t len,
    uint8_t ret_psk[PD_PNET_PSK_LEN], char *why, size_t whylen);

/*
 * Network fingerprint for the mDNS service name `_p2p-X._udp.local`
 * (libp2p-wire.md §11.1): the spec leaves X undefined and go does not
 * implement it, so peerdisc defines X as the lower-case hex of the first
 * PD_PNET_FINGERPRINT_LEN bytes of SHA-256(psk), i.e. 16 hex digits.
 * Writes a NUL-terminated string into ret_hex (PD_PNET_FINGERPRINT_HEX
 * bytes).
 */
void pd_pnet_fingerprint(const uint8_t psk[PD_PNET_PSK_LEN],
    char ret_hex[PD_PNET_FINGERPRINT_HEX]);

/*
 * Create the state for one connection; our 24-byte nonce is drawn here.
 * The PSK is copied (and wiped on free).  Returns 0, PD_ERR_NOMEM or
 * PD_ERR_UNAVAILABLE (libsodium failed to initialise).
 */
int pd_pnet_new(const uint8_t psk[PD_PNET_PSK_LEN], struct pd_pnet **ret_pn);
/* Wipe and free; NULL is a no-op. */
void pd_pnet_free(struct pd_pnet *pn);

/*
 * Append our nonce to out if it was not sent yet (idempotent).  Optional:
 * pd_pnet_encrypt() does it before its first byte.  0 or a pd_buf error.
 */
int pd_pnet_start(struct pd_pnet *pn, struct pd_buf *out);
/*
 * Encrypt len bytes (any chunking) and append them to out, preceded by our
 * nonce on the first call.  The keystream continues across calls.
 * 0, or PD_ERR_NOMEM / PD_ERR_OVERFLOW (out is then unchanged).
 */
int pd_pnet_encrypt(struct pd_pnet *pn, const uint8_t *in, size_t len,
    struct pd_buf *out);
/*
 * Feed len raw bytes from the peer (any chunking): the first 24 bytes
 * ever fed are the peer's nonce and produce no output; the rest is
 * decrypted and appended to out.  0 or PD_ERR_NOMEM / PD_ERR_OVERFLOW
 * (out unchanged; the connection must then be closed).
 */
int pd_pnet_decrypt(struct pd_pnet *pn, const uint8_t *in, size_t len,
    struct pd_buf *out);

#endif
