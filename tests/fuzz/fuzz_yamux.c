/*
 * fuzz_yamux.c - libFuzzer target for lib/net/yamux.c.
 *
 * A server session is driven by a command stream: feed the next bytes as
 * if from the remote, open a stream, write/close/reset/release/consume on
 * a held stream, ping, Go Away.  Callbacks accept streams and sometimes
 * release or reset them from inside the callback.  After every command:
 * pd_yamux_check() passes; the out-buffer holds whole, well-formed frames
 * (our parser decodes them, Data <= PD_YAMUX_MAX_FRAME, SYN only on our
 * own even IDs, ACK and FIN at most once per stream, no data after FIN);
 * and we never sent more data on a stream than the initial window plus
 * every window update the remote sent for it (tracked by a second,
 * independent reader over the fed bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/yamux.h"

#define FZ_MAX_INPUT (64 * 1024)
#define FZ_MAX_HELD 320
#define FZ_MAX_ID 4096		/* IDs tracked for window accounting */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_rec {
	struct pd_yamux_stream *st;
	size_t pending;		/* delivered, not consumed */
};

struct fz_id {
	uint64_t granted;	/* window deltas the remote sent */
	uint64_t sent;		/* data bytes we framed */
	int syn, ack, fin;
};

static struct fz_state {
	struct pd_yamux *y;
	struct fz_rec recs[FZ_MAX_HELD];
	struct fz_id ids[FZ_MAX_ID];
	int cb_mode;		/* what callbacks do, from the input */
	int auto_consume;
	/* Mirror reader over the remote's bytes. */
	uint8_t hdr[PD_YAMUX_HDR_LEN];
	size_t hdrhave;
	uint64_t skip;
} fz;

static struct fz_rec *
fz_rec_new(struct pd_yamux_stream *st)
{
	for (size_t i = 0; i < FZ_MAX_HELD; i++)
		if (fz.recs[i].st == NULL) {
			fz.recs[i].st = st;
			fz.recs[i].pending = 0;
			pd_yamux_stream_set_arg(st, &fz.recs[i]);
			return &fz.recs[i];
		}
	return NULL;
}

static void
fz_release(struct fz_rec *r)
{
	pd_yamux_stream_release(r->st);
	r->st = NULL;
}

static int
fz_on_stream(struct pd_yamux_stream *st, void *arg)
{
	(void)arg;
	if (pd_yamux_stream_id(st) % 2 != 1)
		abort();
	if (fz.cb_mode == 7)
		return -1;
	if (fz_rec_new(st) == NULL)
		return -1;
	if (fz.cb_mode == 6)
		(void)pd_yamux_write(st, "hello", 5);
	return 0;
}

static void
fz_on_data(struct pd_yamux_stream *st, const uint8_t *data, size_t len,
    void *arg)
{
	struct fz_rec *r = pd_yamux_stream_get_arg(st);

	(void)arg;
	if (r == NULL || r->st != st || len == 0)
		abort();
	if (!fz.auto_consume)
		r->pending += len;
	if (data[0] == 0xee)
		fz_release(r);
	else if (data[0] == 0xef)
		(void)pd_yamux_reset(st);
	else if (data[0] == 0xed && !fz.auto_consume) {
		if (pd_yamux_stream_consumed(st, r->pending) < 0)
			abort();
		r->pending = 0;
	}
}

static void
fz_on_fin(struct pd_yamux_stream *st, void *arg)
{
	struct fz_rec *r = pd_yamux_stream_get_arg(st);

	(void)arg;
	if (r == NULL || r->st != st)
		abort();
	if (fz.cb_mode == 1)
		(void)pd_yamux_close(st);
	else if (fz.cb_mode == 2)
		fz_release(r);
}

static void
fz_on_reset(struct pd_yamux_stream *st, void *arg)
{
	struct fz_rec *r = pd_yamux_stream_get_arg(st);

	(void)arg;
	if (r == NULL || r->st != st || !pd_yamux_stream_is_reset(st))
		abort();
	if (fz.cb_mode == 3)
		fz_release(r);
}

static void
fz_on_writable(struct pd_yamux_stream *st, void *arg)
{
	struct fz_rec *r = pd_yamux_stream_get_arg(st);

	(void)arg;
	if (r == NULL || r->st != st)
		abort();
	if (fz.cb_mode == 4)
		(void)pd_yamux_write(st, "more", 4);
}

static const struct pd_yamux_cbs fz_cbs = {
	.on_stream = fz_on_stream,
	.on_data = fz_on_data,
	.on_fin = fz_on_fin,
	.on_reset = fz_on_reset,
	.on_writable = fz_on_writable,
};

/*
 * Mirror the remote's framing over p[0..n) up to and including the next
 * header it completes; returns the bytes taken.  Sums the window deltas
 * the remote granted per stream, and starts a fresh record when an odd
 * ID is opened again (IDs of freed streams may be reused by the peer).
 */
static size_t
fz_mirror(const uint8_t *p, size_t n)
{
	struct pd_yamux_hdr h;
	size_t k;

	if (fz.skip > 0) {
		k = n < fz.skip ? n : (size_t)fz.skip;
		fz.skip -= k;
		return k;
	}
	k = PD_YAMUX_HDR_LEN - fz.hdrhave;
	if (k > n)
		k = n;
	memcpy(fz.hdr + fz.hdrhave, p, k);
	fz.hdrhave += k;
	if (fz.hdrhave < PD_YAMUX_HDR_LEN)
		return k;
	fz.hdrhave = 0;
	if (pd_yamux_hdr_decode(fz.hdr, sizeof(fz.hdr), &h) < 0)
		return k;		/* the session fails here too */
	if (h.type == PD_YAMUX_TYPE_DATA)
		fz.skip = h.length;
	if ((h.type == PD_YAMUX_TYPE_DATA ||
	    h.type == PD_YAMUX_TYPE_WINDOW_UPDATE) &&
	    h.stream_id < FZ_MAX_ID) {
		struct fz_id *id = &fz.ids[h.stream_id];

		if ((h.flags & PD_YAMUX_FLAG_SYN) && h.stream_id % 2 == 1)
			memset(id, 0, sizeof(*id));
		if (h.type == PD_YAMUX_TYPE_WINDOW_UPDATE)
			id->granted += h.length;
	}
	return k;
}

/* Check and drain everything the session wrote. */
static void
fz_check_out(void)
{
	struct pd_buf *out = pd_yamux_out(fz.y);
	size_t off = 0;

	while (off < out->len) {
		struct pd_yamux_hdr h;
		struct fz_id *id = NULL;

		if (pd_yamux_hdr_decode(out->data + off, out->len - off,
		    &h) < 0)
			abort();
		off += PD_YAMUX_HDR_LEN;
		if (h.type == PD_YAMUX_TYPE_DATA) {
			if (h.length > PD_YAMUX_MAX_FRAME ||
			    h.length > out->len - off)
				abort();
			off += h.length;
		}
		if (h.type == PD_YAMUX_TYPE_PING ||
		    h.type == PD_YAMUX_TYPE_GO_AWAY) {
			if (h.stream_id != 0)
				abort();
			continue;
		}
		if (h.stream_id == 0)
			abort();
		if (h.flags & PD_YAMUX_FLAG_SYN) {
			if (h.stream_id % 2 != 0 ||
			    h.type != PD_YAMUX_TYPE_WINDOW_UPDATE)
				abort();
		}
		if (h.stream_id >= FZ_MAX_ID)
			continue;
		id = &fz.ids[h.stream_id];
		if (h.flags & PD_YAMUX_FLAG_SYN) {
			if (id->syn++)
				abort();
		}
		if (h.flags & PD_YAMUX_FLAG_ACK) {
			if (id->ack++ || h.stream_id % 2 != 1)
				abort();
		}
		if (h.type == PD_YAMUX_TYPE_DATA) {
			if (id->fin && h.length > 0)
				abort();
			id->sent += h.length;
			if (id->sent > PD_YAMUX_WINDOW + id->granted)
				abort();
		}
		if (h.flags & PD_YAMUX_FLAG_FIN) {
			if (id->fin++)
				abort();
		}
	}
	if (off != out->len)
		abort();
	pd_buf_reset(out);
}

static void
fz_check(void)
{
	char why[160];

	if (pd_yamux_check(fz.y, why, sizeof(why)) < 0)
		abort();
	fz_check_out();
}

static struct fz_rec *
fz_pick(uint8_t b)
{
	size_t n = 0, want;

	for (size_t i = 0; i < FZ_MAX_HELD; i++)
		n += fz.recs[i].st != NULL;
	if (n == 0)
		return NULL;
	want = b % n;
	for (size_t i = 0; i < FZ_MAX_HELD; i++)
		if (fz.recs[i].st != NULL && want-- == 0)
			return &fz.recs[i];
	return NULL;
}

static void
fz_stream_op(uint8_t b, uint8_t arg)
{
	static uint8_t big[300 * 1024];
	struct fz_rec *r = fz_pick(arg);
	size_t n;

	if (r == NULL)
		return;
	switch (b % 8) {
	case 0:
		n = (size_t)arg * 37;
		memset(big, arg, n);
		(void)pd_yamux_write(r->st, big, n);
		break;
	case 1:
		(void)pd_yamux_close(r->st);
		break;
	case 2:
		(void)pd_yamux_reset(r->st);
		break;
	case 3:
		fz_release(r);
		break;
	case 4:
		if (pd_yamux_stream_consumed(r->st, r->pending) < 0)
			abort();
		r->pending = 0;
		break;
	case 5:
		if (pd_yamux_stream_consumed(r->st, r->pending / 2) < 0)
			abort();
		r->pending -= r->pending / 2;
		break;
	case 6:
		(void)pd_yamux_write(r->st, big, sizeof(big));
		break;
	case 7:
		if (pd_yamux_stream_consumed(r->st, r->pending + 1) !=
		    PD_ERR_INVAL)
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	uint64_t now = 0;

	if (size > FZ_MAX_INPUT)
		return 0;
	memset(&fz, 0, sizeof(fz));
	if ((fz.y = pd_yamux_new(PD_YAMUX_SERVER, &fz_cbs, NULL)) == NULL)
		return 0;
	while (i < size) {
		uint8_t op = data[i++];
		uint8_t a = i < size ? data[i] : 0;
		uint8_t b = i + 1 < size ? data[i + 1] : 0;
		struct pd_yamux_stream *st;
		size_t n;

		now += op;
		switch (op & 7) {
		case 0: case 1: case 2: case 3: case 4:
			/* Remote bytes: up to 128 per command. */
			n = ((size_t)(op >> 3) + 1) * 4;
			if (n > size - i)
				n = size - i;
			/* Frame by frame, so the mirror stays in step. */
			while (n > 0 && pd_yamux_status(fz.y) == 0) {
				size_t k = fz_mirror(data + i, n);

				(void)pd_yamux_feed(fz.y, data + i, k, now);
				i += k;
				n -= k;
				fz_check();
			}
			i += n;
			break;
		case 5:
			if (pd_yamux_open(fz.y, &st) == 0 &&
			    fz_rec_new(st) == NULL)
				pd_yamux_stream_release(st);
			break;
		case 6:
			fz_stream_op(a, b);
			i += 2;
			break;
		case 7:
			switch (a % 4) {
			case 0:
				(void)pd_yamux_ping(fz.y, now);
				break;
			case 1:
				(void)pd_yamux_goaway(fz.y, b % 3);
				break;
			case 2:
				fz.cb_mode = b % 8;
				break;
			case 3:
				fz.auto_consume = b & 1;
				pd_yamux_set_auto_consume(fz.y, fz.auto_consume);
				break;
			}
			i += 2;
			break;
		}
		fz_check();
	}
	pd_yamux_free(fz.y);
	return 0;
}
