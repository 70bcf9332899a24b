/*
 * fuzz_storefile.c - libFuzzer target for the peer-store file loader
 * (lib/peer/storefile.c) through pd_storefile_load_buffer().
 *
 * Invariants checked (abort() when broken):
 *  - a load either succeeds or fails with PD_ERR_MALFORMED and leaves the
 *    store empty (the rollback works);
 *  - the stats add up: loaded == count, no more than the store's max;
 *  - a successful load saves (pd_storefile_encode) to text that loads
 *    again without loss: same peer count, same IDs in the same order, and
 *    encoding the second store gives the same bytes as the first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/peerid.h"
#include "peer/store.h"
#include "peer/storefile.h"

#define FUZZ_MAX_INPUT 65536	/* bytes looked at */
#define FUZZ_STORE_MAX 64	/* small, so over_limit paths run */
#define FUZZ_NOW 1700000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_same_ids(const struct pd_store *a, const struct pd_store *b)
{
	const struct pd_peer *p, *q;

	if (pd_store_count(a) != pd_store_count(b))
		abort();
	for (p = pd_store_first(a), q = pd_store_first(b); p != NULL;
	    p = pd_store_next(p), q = pd_store_next(q))
		if (q == NULL || !pd_peerid_equal(&p->id, &q->id))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_store *a, *b;
	struct pd_storefile_stats st;
	char why[256], *enc = NULL, *enc2 = NULL;
	size_t len, len2;
	int r;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	a = pd_store_new(FUZZ_STORE_MAX);
	b = pd_store_new(FUZZ_STORE_MAX);
	if (a == NULL || b == NULL)
		abort();
	r = pd_storefile_load_buffer(a, data, size, FUZZ_NOW, why,
	    sizeof(why), &st);
	if (r == PD_ERR_MALFORMED) {
		if (pd_store_count(a) != 0 || why[0] == '\0')
			abort();
		goto out;
	}
	if (r != 0 || st.loaded != pd_store_count(a) ||
	    pd_store_count(a) > FUZZ_STORE_MAX)
		abort();
	if (pd_storefile_encode(a, FUZZ_NOW, &enc, &len) != 0)
		abort();
	if (pd_storefile_load_buffer(b, enc, len, FUZZ_NOW, why, sizeof(why),
	    &st) != 0 || st.loaded != pd_store_count(a) ||
	    st.bad_peers + st.bad_addrs + st.expired_peers + st.duplicates +
	    st.over_limit != 0)
		abort();
	fuzz_same_ids(a, b);
	if (pd_storefile_encode(b, FUZZ_NOW, &enc2, &len2) != 0)
		abort();
	/* "connected" is always false after a load, so b's text is stable. */
	{
		struct pd_store *c = pd_store_new(FUZZ_STORE_MAX);
		char *enc3 = NULL;
		size_t len3;

		if (c == NULL || pd_storefile_load_buffer(c, enc2, len2,
		    FUZZ_NOW, why, sizeof(why), NULL) != 0 ||
		    pd_storefile_encode(c, FUZZ_NOW, &enc3, &len3) != 0 ||
		    len3 != len2 || memcmp(enc3, enc2, len2) != 0)
			abort();
		free(enc3);
		pd_store_free(c);
	}
out:
	free(enc);
	free(enc2);
	pd_store_free(a);
	pd_store_free(b);
	return 0;
}
