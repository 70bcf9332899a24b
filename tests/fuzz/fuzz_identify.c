/*
 * fuzz_identify.c - identify messages and signed envelopes from hostile
 * peers.  Invariant: whatever merges, re-encodes and merges again into
 * the same counts and strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "proto/identify.h"
#include "proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_identify id, again;
	static struct pd_peer_record rec;
	struct pd_pubkey pub;
	struct pd_buf out;
	char why[128];

	if (size > 16384)
		return 0;
	(void)pd_record_open(data, size, &rec, &pub, why, sizeof(why));
	pd_identify_init(&id);
	if (pd_identify_merge(&id, data, size, why, sizeof(why)) == 0) {
		pd_buf_init(&out);
		if (pd_identify_encode(&id, NULL, 0, &out) == 0 &&
		    out.len <= PD_IDENTIFY_MAX_MSG) {
			pd_identify_init(&again);
			if (pd_identify_merge(&again, out.data, out.len, why,
			    sizeof(why)) != 0 ||
			    again.naddrs != id.naddrs ||
			    again.nprotocols != id.nprotocols ||
			    again.has_pubkey != id.has_pubkey)
				abort();
			for (size_t i = 0; i < id.nprotocols; i++)
				if (strcmp(id.protocols[i],
				    again.protocols[i]) != 0)
					abort();
			pd_identify_clear(&again);
		}
		pd_buf_free(&out);
	}
	pd_identify_clear(&id);
	return 0;
}
