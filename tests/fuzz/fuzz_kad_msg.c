/*
 * fuzz_kad_msg.c - Kademlia Messages and stream frames from hostile
 * peers.  Invariants: a message that decodes re-encodes (within the wire
 * cap), the re-encoding decodes to an equal message with nothing dropped,
 * and encoding that again gives the same bytes (deterministic).  The
 * input is also cut into uvarint frames, each of which must lie inside
 * the input and respect the cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "kad/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_kad_frames(const uint8_t *data, size_t size)
{
	const uint8_t *msg;
	size_t len, off = 0;
	int n;

	while (off < size) {
		n = pd_kad_msg_frame(data + off, size - off, 4096, &msg, &len);
		if (n < 0)
			return;
		if ((size_t)n > size - off || len > 4096 ||
		    msg + len != data + off + (size_t)n)
			abort();
		off += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_kad_msg m1, m2;
	struct pd_buf e1, e2;
	char why[128];

	if (size > 65536)
		return 0;
	fuzz_kad_frames(data, size);
	if (pd_kad_msg_decode(data, size, &m1, why, sizeof(why)) != 0)
		return 0;
	pd_buf_init(&e1);
	pd_buf_init(&e2);
	if (pd_kad_msg_encode(&m1, &e1) != 0)
		abort();
	if (pd_kad_msg_decode(e1.data, e1.len, &m2, why, sizeof(why)) != 0 ||
	    !pd_kad_msg_equal(&m1, &m2) || m2.dropped_peers != 0 ||
	    m2.dropped_addrs != 0 || m2.dropped_fields != 0)
		abort();
	if (pd_kad_msg_encode(&m2, &e2) != 0 || e1.len != e2.len ||
	    (e1.len > 0 && memcmp(e1.data, e2.data, e1.len) != 0))
		abort();
	pd_buf_free(&e1);
	pd_buf_free(&e2);
	return 0;
}
