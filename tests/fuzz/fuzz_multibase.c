/*
 * fuzz_multibase.c - libFuzzer target for lib/core/base.c and the CID text
 * parser in cid.c.  Invariants, abort() on violation:
 * - text that multibase-decodes re-encodes with the same prefix to exactly
 *   the input (decoders are strict; 'b'/'f' are lower case only, 'B'/'F'
 *   upper case only);
 * - the bare decoders are canonical too: base58/base36/base64 re-encode to
 *   the input, base32/base16 (which take either case) to its lower-case
 *   form;
 * - every encoding of the input bytes decodes back to them (base58/base36
 *   on a prefix, as they are quadratic; over PD_BASE_MAX_INPUT they must
 *   refuse with PD_ERR_OVERFLOW);
 * - a CID that parses formats and re-parses to the same codec/multihash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "core/cid.h"
#include "core/error.h"

#define FUZZ_MB_MAX_INPUT 65536	/* bytes */
#define FUZZ_MB_BIGNUM_MAX 512	/* bytes round-tripped through base58/36 */
#define FUZZ_MB_TEXT_MAX (2 * FUZZ_MB_MAX_INPUT + 8)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum pd_multibase fuzz_mb_bases[] = {
	PD_MULTIBASE_BASE16, PD_MULTIBASE_BASE16UPPER,
	PD_MULTIBASE_BASE32, PD_MULTIBASE_BASE32UPPER,
	PD_MULTIBASE_BASE36, PD_MULTIBASE_BASE58BTC,
	PD_MULTIBASE_BASE64, PD_MULTIBASE_BASE64PAD,
	PD_MULTIBASE_BASE64URL, PD_MULTIBASE_BASE64URLPAD,
};

static uint8_t fuzz_mb_bin[FUZZ_MB_MAX_INPUT];
static char fuzz_mb_text[FUZZ_MB_TEXT_MAX];

static int
fuzz_mb_err_ok(int r)
{
	return r == PD_ERR_MALFORMED || r == PD_ERR_OVERFLOW ||
	    r == PD_ERR_UNSUPPORTED;
}

/* Decoded text must re-encode to want[0..n), case-folded if lower. */
static void
fuzz_mb_expect(const char *want, size_t n, const char *got, int glen,
    int lower)
{
	if (glen < 0 || (size_t)glen != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = want[i];

		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (got[i] != c)
			abort();
	}
}

static void
fuzz_mb_text_side(const char *in, size_t n)
{
	static const enum pd_base64_variant v64[] = {
		PD_BASE64_STD, PD_BASE64_STD_NOPAD, PD_BASE64_URL,
		PD_BASE64_URL_PAD,
	};
	size_t cap = sizeof(fuzz_mb_bin);
	enum pd_multibase base;
	int r;

	r = pd_multibase_decode(in, n, fuzz_mb_bin, cap, &base);
	if (r >= 0) {
		if ((char)base != in[0])
			abort();
		fuzz_mb_expect(in, n, fuzz_mb_text, pd_multibase_encode(base,
		    fuzz_mb_bin, (size_t)r, fuzz_mb_text, sizeof(fuzz_mb_text)),
		    0);
	} else if (!fuzz_mb_err_ok(r)) {
		abort();
	}

	if ((r = pd_base58_decode(in, n, fuzz_mb_bin, cap)) >= 0)
		fuzz_mb_expect(in, n, fuzz_mb_text, pd_base58_encode(
		    fuzz_mb_bin, (size_t)r, fuzz_mb_text, sizeof(fuzz_mb_text)),
		    0);
	else if (!fuzz_mb_err_ok(r))
		abort();
	if ((r = pd_base36_decode(in, n, fuzz_mb_bin, cap)) >= 0)
		fuzz_mb_expect(in, n, fuzz_mb_text, pd_base36_encode(
		    fuzz_mb_bin, (size_t)r, fuzz_mb_text, sizeof(fuzz_mb_text)),
		    0);
	else if (!fuzz_mb_err_ok(r))
		abort();
	if ((r = pd_base32_decode(in, n, fuzz_mb_bin, cap)) >= 0)
		fuzz_mb_expect(in, n, fuzz_mb_text, pd_base32_encode(
		    fuzz_mb_bin, (size_t)r, fuzz_mb_text, sizeof(fuzz_mb_text)),
		    1);
	else if (!fuzz_mb_err_ok(r))
		abort();
	if ((r = pd_base16_decode(in, n, fuzz_mb_bin, cap)) >= 0)
		fuzz_mb_expect(in, n, fuzz_mb_text, pd_base16_encode(
		    fuzz_mb_bin, (size_t)r, fuzz_mb_text, sizeof(fuzz_mb_text)),
		    1);
	else if (!fuzz_mb_err_ok(r))
		abort();
	for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
		if ((r = pd_base64_decode(v64[i], in, n, fuzz_mb_bin, cap)) >= 0)
			fuzz_mb_expect(in, n, fuzz_mb_text, pd_base64_encode(
			    v64[i], fuzz_mb_bin, (size_t)r, fuzz_mb_text,
			    sizeof(fuzz_mb_text)), 0);
		else if (!fuzz_mb_err_ok(r))
			abort();
	}
}

static void
fuzz_mb_bytes_side(const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < sizeof(fuzz_mb_bases) / sizeof(fuzz_mb_bases[0]); i++) {
		enum pd_multibase b = fuzz_mb_bases[i], got;
		size_t m = n;
		int t, r;

		if (b == PD_MULTIBASE_BASE36 || b == PD_MULTIBASE_BASE58BTC) {
			if (n > PD_BASE_MAX_INPUT &&
			    pd_multibase_encode(b, in, n, fuzz_mb_text,
			    sizeof(fuzz_mb_text)) != PD_ERR_OVERFLOW)
				abort();
			if (m > FUZZ_MB_BIGNUM_MAX)
				m = FUZZ_MB_BIGNUM_MAX;
		}
		t = pd_multibase_encode(b, in, m, fuzz_mb_text,
		    sizeof(fuzz_mb_text));
		if (t < 1 || fuzz_mb_text[0] != (char)b ||
		    strlen(fuzz_mb_text) != (size_t)t)
			abort();
		r = pd_multibase_decode(fuzz_mb_text, (size_t)t, fuzz_mb_bin,
		    sizeof(fuzz_mb_bin), &got);
		if (r < 0 || (size_t)r != m || got != b ||
		    (m > 0 && memcmp(fuzz_mb_bin, in, m) != 0))
			abort();
	}
}

static void
fuzz_mb_cid(const char *in, size_t n)
{
	uint8_t buf[PD_CID_MAX_BIN], buf2[PD_CID_MAX_BIN];
	char txt[PD_CID_MAX_TEXT + 1];
	struct pd_cid cid, cid2;
	int t;

	if (pd_cid_parse(in, n, buf, sizeof(buf), &cid) < 0)
		return;
	if (cid.mh_bytes < buf || cid.mh_bytes + cid.mh_len > buf + sizeof(buf))
		abort();
	t = pd_cid_format(cid.codec, cid.mh_bytes, cid.mh_len, txt,
	    sizeof(txt));
	if (t < 0 || pd_cid_parse(txt, (size_t)t, buf2, sizeof(buf2),
	    &cid2) != 0)
		abort();
	if (cid2.codec != cid.codec || cid2.mh.code != cid.mh.code ||
	    cid2.mh_len != cid.mh_len ||
	    memcmp(cid2.mh_bytes, cid.mh_bytes, cid.mh_len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MB_MAX_INPUT)
		return 0;
	fuzz_mb_text_side((const char *)data, size);
	fuzz_mb_bytes_side(data, size);
	fuzz_mb_cid((const char *)data, size);
	return 0;
}
