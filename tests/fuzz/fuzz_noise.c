/*
 * fuzz_noise.c - libFuzzer target for lib/net/noise.c.
 *
 * The first input byte picks a scenario, the rest is attacker data:
 *   0: a responder fed the data as its whole input stream (msg 1, then
 *      whatever follows as msg 3), in two chunks split at data[1];
 *   1: an initiator that sent msg 1 and is fed the data as msg 2;
 *   2: a real responder completing msg 1/2 against the raw XX engine,
 *      which then sends the data as a correctly encrypted msg 3 payload,
 *      so the payload parser and verifier see arbitrary bytes;
 *   3: a completed handshake whose responder is fed the data as
 *      transport frames (in chunks), and whose transport must round-trip
 *      the data the other way;
 *   4: as 2, but the payload starts with a valid identity key and
 *      signature and the data follows as further protobuf fields; an
 *      accepted handshake must name exactly the signing key.
 * Randomness is replaced by a deterministic generator reset per input,
 * so every run is reproducible.  abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "net/noise.h"

#define FUZZ_MAX_INPUT (1u << 17)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deterministic randombytes: ChaCha20 keystream with a per-input counter. */
static uint64_t fuzz_rng_ctr;

static const char *
fuzz_rng_name(void)
{
	return "fuzz";
}

static void
fuzz_rng_buf(void *const buf, const size_t size)
{
	static const uint8_t key[crypto_stream_chacha20_KEYBYTES] = { 1 };
	uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = { 0 };

	memcpy(nonce, &fuzz_rng_ctr, sizeof(fuzz_rng_ctr));
	fuzz_rng_ctr++;
	crypto_stream_chacha20(buf, size, nonce, key);
}

static uint32_t
fuzz_rng_random(void)
{
	uint32_t v;

	fuzz_rng_buf(&v, sizeof(v));
	return v;
}

static struct randombytes_implementation fuzz_rng_impl = {
	.implementation_name = fuzz_rng_name,
	.random = fuzz_rng_random,
	.stir = NULL,
	.uniform = NULL,
	.buf = fuzz_rng_buf,
	.close = NULL,
};

struct fuzz_id {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pb[36];
};

static struct fuzz_id fuzz_a, fuzz_b;

static void
fuzz_id_make(struct fuzz_id *id, uint8_t seedbyte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	memcpy(id->pb, "\x08\x01\x12\x20", 4);
	memcpy(id->pb + 4, id->pk, 32);
}

static int
fuzz_sign(void *arg, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t *siglen)
{
	struct fuzz_id *id = arg;
	unsigned long long n;

	crypto_sign_detached(sig, &n, msg, len, id->sk);
	*siglen = (size_t)n;
	return 0;
}

static struct pd_noise *
fuzz_new(enum pd_noise_role role, struct fuzz_id *id)
{
	struct pd_noise *nz = NULL;

	if (pd_noise_new(role, id->pb, sizeof(id->pb), fuzz_sign, id, NULL,
	    &nz) != 0)
		abort();
	return nz;
}

/* A failed call must leave out as it was and the state dead. */
static int
fuzz_feed(struct pd_noise *nz, const uint8_t *p, size_t n, struct pd_buf *out)
{
	size_t before = out->len;
	int r = pd_noise_handshake(nz, p, n, out);

	if (r < 0) {
		if (out->len != before || pd_noise_done(nz) ||
		    pd_noise_why(nz)[0] == '\0')
			abort();
		if (pd_noise_handshake(nz, NULL, 0, out) != PD_ERR_INVAL)
			abort();
	}
	if (r == 1 && (!pd_noise_done(nz) || pd_noise_remote_peer(nz) == NULL))
		abort();
	return r;
}

static void
fuzz_responder_stream(const uint8_t *d, size_t n)
{
	struct pd_noise *resp = fuzz_new(PD_NOISE_RESPONDER, &fuzz_b);
	struct pd_buf out;
	size_t cut = n ? d[0] % (n + 1) : 0;
	int r;

	pd_buf_init(&out);
	r = fuzz_feed(resp, d, cut, &out);
	if (r == 0)
		r = fuzz_feed(resp, d + cut, n - cut, &out);
	/* Only msg 2 can ever have been produced. */
	if (out.len != 0 && out.len != 2 + 200)
		abort();
	(void)r;
	pd_noise_free(resp);
	pd_buf_free(&out);
}

static void
fuzz_initiator_msg2(const uint8_t *d, size_t n)
{
	struct pd_noise *ini = fuzz_new(PD_NOISE_INITIATOR, &fuzz_a);
	struct pd_buf out;

	pd_buf_init(&out);
	if (pd_noise_handshake(ini, NULL, 0, &out) != 0 || out.len != 34)
		abort();
	pd_buf_reset(&out);
	(void)fuzz_feed(ini, d, n, &out);
	pd_noise_free(ini);
	pd_buf_free(&out);
}

static void
fuzz_msg3_payload(const uint8_t *d, size_t n, int sign)
{
	struct pd_noise *resp = fuzz_new(PD_NOISE_RESPONDER, &fuzz_b);
	struct pd_noise_xx xx;
	struct pd_buf w, r, pl;
	uint8_t s[32];
	int rc;

	if (n > PD_NOISE_MAX_MSG - 256)
		n = PD_NOISE_MAX_MSG - 256;
	randombytes_buf(s, sizeof(s));
	if (pd_noise_xx_init(&xx, 1, NULL, 0, s, NULL) != 0)
		abort();
	pd_buf_init(&w);
	pd_buf_init(&r);
	pd_buf_init(&pl);
	if (pd_buf_append(&w, "\x00\x20", 2) != 0 ||
	    pd_noise_xx_write(&xx, NULL, 0, &w) != 0 ||
	    pd_noise_handshake(resp, w.data, w.len, &r) != 0)
		abort();
	pd_buf_reset(&w);
	if (pd_noise_xx_read(&xx, r.data + 2, r.len - 2, &w) != 0)
		abort();
	if (sign) {
		/* A valid identity and signature, then the data as more
		 * fields (extensions, unknown fields, repeated fields). */
		uint8_t msg[56], sig[64];

		memcpy(msg, PD_NOISE_SIG_PREFIX, 24);
		memcpy(msg + 24, xx.s_pk, 32);
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), fuzz_a.sk);
		if (pd_pb_put_bytes(&pl, 1, fuzz_a.pb, sizeof(fuzz_a.pb)) != 0 ||
		    pd_pb_put_bytes(&pl, 2, sig, sizeof(sig)) != 0)
			abort();
	}
	if (pd_buf_append(&pl, d, n) != 0)
		abort();
	pd_buf_reset(&w);
	if (pd_buf_append(&w, "\x00\x00", 2) != 0 ||
	    pd_noise_xx_write(&xx, pl.data, pl.len, &w) != 0)
		abort();
	w.data[0] = (uint8_t)((w.len - 2) >> 8);
	w.data[1] = (uint8_t)(w.len - 2);
	pd_buf_reset(&r);
	rc = fuzz_feed(resp, w.data, w.len, &r);
	if (r.len != 0)
		abort();
	/* Whoever is accepted must be the key that signed. */
	if (rc == 1) {
		const struct pd_pubkey *k = pd_noise_remote_pubkey(resp);

		if (k == NULL || k->type != PD_KEY_ED25519 || k->len != 32 ||
		    memcmp(k->data, fuzz_a.pk, 32) != 0)
			abort();
	}
	pd_noise_xx_clear(&xx);
	pd_noise_free(resp);
	pd_buf_free(&w);
	pd_buf_free(&r);
	pd_buf_free(&pl);
}

static void
fuzz_transport(const uint8_t *d, size_t n)
{
	struct pd_noise *ini = fuzz_new(PD_NOISE_INITIATOR, &fuzz_a);
	struct pd_noise *resp = fuzz_new(PD_NOISE_RESPONDER, &fuzz_b);
	struct pd_buf m1, m2, m3, got;
	size_t off = 0;
	int r = 0;

	pd_buf_init(&m1);
	pd_buf_init(&m2);
	pd_buf_init(&m3);
	pd_buf_init(&got);
	if (pd_noise_handshake(ini, NULL, 0, &m1) != 0 ||
	    pd_noise_handshake(resp, m1.data, m1.len, &m2) != 0 ||
	    pd_noise_handshake(ini, m2.data, m2.len, &m3) != 1 ||
	    pd_noise_handshake(resp, m3.data, m3.len, &m1) != 1)
		abort();
	/* Round trip responder -> initiator of the data itself. */
	pd_buf_reset(&m1);
	if (pd_noise_encrypt(resp, d, n, &m1) != 0 ||
	    pd_noise_decrypt(ini, m1.data, m1.len, &got) != 0 ||
	    got.len != n || (n > 0 && memcmp(got.data, d, n) != 0) ||
	    pd_noise_pending(ini) != 0)
		abort();
	/* The data as frames for the responder, in chunks. */
	while (off < n && r == 0) {
		size_t c = 1 + d[off] % 64u * 37u;
		size_t before = got.len;

		if (c > n - off)
			c = n - off;
		r = pd_noise_decrypt(resp, d + off, c, &got);
		if (r < 0 && (r != PD_ERR_PROTOCOL || got.len != before))
			abort();
		if (r == 0 && pd_noise_pending(resp) >
		    PD_NOISE_FRAME_HDR + PD_NOISE_MAX_MSG)
			abort();
		off += c;
	}
	if (r < 0 && pd_noise_decrypt(resp, NULL, 0, &got) != PD_ERR_INVAL)
		abort();
	pd_noise_free(ini);
	pd_noise_free(resp);
	pd_buf_free(&m1);
	pd_buf_free(&m2);
	pd_buf_free(&m3);
	pd_buf_free(&got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		if (randombytes_set_implementation(&fuzz_rng_impl) != 0 ||
		    sodium_init() < 0)
			abort();
		fuzz_id_make(&fuzz_a, 0xa1);
		fuzz_id_make(&fuzz_b, 0xb2);
		init = 1;
	}
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	fuzz_rng_ctr = 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_responder_stream(data + 1, size - 1);
		break;
	case 1:
		fuzz_initiator_msg2(data + 1, size - 1);
		break;
	case 2:
		fuzz_msg3_payload(data + 1, size - 1, 0);
		break;
	case 3:
		fuzz_transport(data + 1, size - 1);
		break;
	default:
		fuzz_msg3_payload(data + 1, size - 1, 1);
		break;
	}
	return 0;
}
