/*
 * fuzz_cid.c - binary multihashes and CIDv1 as they arrive from peers
 * (DHT provider keys, record keys).  Both formats are canonical (minimal
 * varints), so whatever decodes must re-encode to exactly the input; a
 * decoded CID also survives its base32 text form, and a multihash read
 * from the front of the input decodes alone to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/cid.h"
#include "core/error.h"
#include "core/multihash.h"

#define FUZZ_CID_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_cid_check(const uint8_t *data, size_t size)
{
	static char text[PD_CID_MAX_TEXT + 1];
	static uint8_t bin[PD_CID_MAX_BIN];
	struct pd_cid cid, back;
	struct pd_buf out;
	int n;

	if (pd_cid_decode(data, size, &cid) != 0)
		return;
	if (size > PD_CID_MAX_BIN || cid.mh_bytes < data ||
	    cid.mh_bytes + cid.mh_len != data + size)
		abort();
	pd_buf_init(&out);
	if (pd_cid_encode(&out, cid.codec, cid.mh_bytes, cid.mh_len) != 0 ||
	    out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	pd_buf_free(&out);
	n = pd_cid_format(cid.codec, cid.mh_bytes, cid.mh_len, text,
	    sizeof(text));
	if (n <= 0 || (size_t)n >= sizeof(text) || text[0] != 'b')
		abort();
	if (pd_cid_parse(text, (size_t)n, bin, sizeof(bin), &back) != 0 ||
	    back.codec != cid.codec || back.mh_len != cid.mh_len ||
	    memcmp(back.mh_bytes, cid.mh_bytes, cid.mh_len) != 0 ||
	    back.mh.code != cid.mh.code || back.mh.len != cid.mh.len)
		abort();
}

static void
fuzz_multihash_check(const uint8_t *data, size_t size)
{
	struct pd_multihash mh, whole;
	struct pd_buf out;
	int used;

	if (pd_multihash_decode(data, size, &mh) == 0) {
		if (mh.len > PD_MH_MAX_DIGEST ||
		    (mh.code == PD_MH_SHA2_256 && mh.len != 32) ||
		    mh.digest + mh.len != data + size)
			abort();
		pd_buf_init(&out);
		if (pd_multihash_encode(&out, mh.code, mh.digest, mh.len) != 0 ||
		    out.len != size || memcmp(out.data, data, size) != 0)
			abort();
		pd_buf_free(&out);
	}
	used = pd_multihash_decode_prefix(data, size, &mh);
	if (used >= 0) {
		if (used == 0 || (size_t)used > size ||
		    pd_multihash_decode(data, (size_t)used, &whole) != 0 ||
		    whole.code != mh.code || whole.len != mh.len ||
		    whole.digest != mh.digest)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_CID_MAX_INPUT)
		return 0;
	fuzz_cid_check(data, size);
	fuzz_multihash_check(data, size);
	return 0;
}
