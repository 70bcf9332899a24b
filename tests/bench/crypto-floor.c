/*
 * crypto-floor.c - the public-key cost of one side of a libp2p Noise XX
 * handshake, measured with libsodium, as the floor that tests/bench/run.sh
 * compares a listener's CPU per handshake against.
 *
 * Per handshake one side does:
 *   2 X25519 key generations  ephemeral e, and the per-connection Noise
 *                              static s (libp2p signs a fresh s each time)
 *   3 X25519 DH               ee, es/se, and se/es
 *   1 Ed25519 sign            our identity over "noise-libp2p-static-key:" ‖ s
 *   1 Ed25519 verify          the remote's signature over its s
 * ("handshake" row).  With identify the listener also checks the
 * dialer's signed peer record: 1 more Ed25519 verify ("+identify" row;
 * our own record is signed once and cached).  Hashing and the AEAD on a
 * few hundred bytes are left out of both rows (the "+symmetric" row adds
 * them, to show they are small).
 *
 * Each bundle runs in a loop for --seconds (default 2) of process CPU
 * time; the output is a small table of bundles per CPU-second and
 * microseconds per bundle, plus one "result" line of key=value pairs for
 * scripts.  Nothing is asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define FLOOR_PREFIX "noise-libp2p-static-key:"
#define FLOOR_MSG_LEN 200	/* bytes through the AEAD per handshake msg */

struct floor_state {
	uint8_t id_pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t id_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t peer_pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t peer_sig[crypto_sign_BYTES];
	uint8_t peer_msg[sizeof(FLOOR_PREFIX) - 1 + crypto_scalarmult_BYTES];
	uint8_t rec_sig[crypto_sign_BYTES];
	uint8_t rec_msg[128];
	uint8_t re_pk[crypto_scalarmult_BYTES];	/* remote ephemeral */
	uint8_t rs_pk[crypto_scalarmult_BYTES];	/* remote static */
	volatile uint8_t sink;
};

static double
floor_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One side's public-key work; extra_verify adds the record check. */
static int
floor_bundle(struct floor_state *st, int extra_verify, int symmetric)
{
	uint8_t e_sk[crypto_scalarmult_SCALARBYTES], e_pk[crypto_scalarmult_BYTES];
	uint8_t s_sk[crypto_scalarmult_SCALARBYTES], s_pk[crypto_scalarmult_BYTES];
	uint8_t dh[3][crypto_scalarmult_BYTES];
	uint8_t msg[sizeof(FLOOR_PREFIX) - 1 + crypto_scalarmult_BYTES];
	uint8_t sig[crypto_sign_BYTES];
	int r = 0;

	randombytes_buf(e_sk, sizeof(e_sk));
	randombytes_buf(s_sk, sizeof(s_sk));
	r |= crypto_scalarmult_base(e_pk, e_sk);
	r |= crypto_scalarmult_base(s_pk, s_sk);
	r |= crypto_scalarmult(dh[0], e_sk, st->re_pk);
	r |= crypto_scalarmult(dh[1], e_sk, st->rs_pk);
	r |= crypto_scalarmult(dh[2], s_sk, st->re_pk);
	memcpy(msg, FLOOR_PREFIX, sizeof(FLOOR_PREFIX) - 1);
	memcpy(msg + sizeof(FLOOR_PREFIX) - 1, s_pk, sizeof(s_pk));
	r |= crypto_sign_detached(sig, NULL, msg, sizeof(msg), st->id_sk);
	r |= crypto_sign_verify_detached(st->peer_sig, st->peer_msg,
	    sizeof(st->peer_msg), st->peer_pk);
	if (extra_verify)
		r |= crypto_sign_verify_detached(st->rec_sig, st->rec_msg,
		    sizeof(st->rec_msg), st->peer_pk);
	if (symmetric) {
		/*
		 * Noise's symmetric state, generously: 12 SHA-256 MixHash,
		 * 4 HKDF (3 MixKey + Split, 3 HMAC-SHA256 each) and 4 AEAD
		 * operations (s and payload, each way) on 200 bytes.
		 */
		uint8_t h[crypto_hash_sha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
		uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES] = { 0 };
		uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = { 0 };
		uint8_t pt[FLOOR_MSG_LEN] = { 0 };
		uint8_t ct[FLOOR_MSG_LEN + crypto_aead_chacha20poly1305_ietf_ABYTES];
		unsigned long long ctlen;

		memset(h, 0, sizeof(h));
		for (int i = 0; i < 12; i++)
			crypto_hash_sha256(h, h, sizeof(h));
		for (int i = 0; i < 12; i++)
			crypto_auth_hmacsha256(mac, dh[i % 3], sizeof(dh[0]), h);
		for (int i = 0; i < 4; i++)
			crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ctlen, pt,
			    sizeof(pt), h, sizeof(h), NULL, nonce, key);
		st->sink ^= mac[0] ^ ct[0];
	}
	st->sink ^= dh[0][0] ^ dh[1][0] ^ dh[2][0] ^ sig[0];
	sodium_memzero(e_sk, sizeof(e_sk));
	sodium_memzero(s_sk, sizeof(s_sk));
	return r;
}

static void
floor_setup(struct floor_state *st)
{
	uint8_t peer_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t x_sk[crypto_scalarmult_SCALARBYTES];

	crypto_sign_keypair(st->id_pk, st->id_sk);
	crypto_sign_keypair(st->peer_pk, peer_sk);
	randombytes_buf(x_sk, sizeof(x_sk));
	crypto_scalarmult_base(st->re_pk, x_sk);
	randombytes_buf(x_sk, sizeof(x_sk));
	crypto_scalarmult_base(st->rs_pk, x_sk);
	memcpy(st->peer_msg, FLOOR_PREFIX, sizeof(FLOOR_PREFIX) - 1);
	memcpy(st->peer_msg + sizeof(FLOOR_PREFIX) - 1, st->rs_pk,
	    sizeof(st->rs_pk));
	crypto_sign_detached(st->peer_sig, NULL, st->peer_msg,
	    sizeof(st->peer_msg), peer_sk);
	randombytes_buf(st->rec_msg, sizeof(st->rec_msg));
	crypto_sign_detached(st->rec_sig, NULL, st->rec_msg,
	    sizeof(st->rec_msg), peer_sk);
	sodium_memzero(peer_sk, sizeof(peer_sk));
}

/* Run the bundle for about seconds of CPU; bundles per CPU-second. */
static double
floor_measure(struct floor_state *st, int extra_verify, int symmetric,
    double seconds, unsigned long *ret_n, double *ret_cpu)
{
	unsigned long n = 0;
	double t0 = floor_cpu_s(), t;

	do {
		for (int i = 0; i < 32; i++) {
			if (floor_bundle(st, extra_verify, symmetric) != 0) {
				fprintf(stderr, "crypto-floor: a libsodium "
				    "operation failed\n");
				exit(1);
			}
			n++;
		}
		t = floor_cpu_s() - t0;
	} while (t < seconds);
	*ret_n = n;
	*ret_cpu = t;
	return (double)n / t;
}

int
main(int argc, char **argv)
{
	static struct floor_state st;
	static const struct {
		const char *name;
		const char *key;
		int extra_verify, symmetric;
	} rows[] = {
		{ "handshake (2 keygen, 3 DH, 1 sign, 1 verify)", "handshake",
		    0, 0 },
		{ "handshake+identify (+1 verify: peer record)",
		    "handshake_identify", 1, 0 },
		{ "handshake, +symmetric (hash, HKDF, AEAD)",
		    "handshake_symmetric", 0, 1 },
	};
	double seconds = 2, rate[3], cpu;
	unsigned long n;
	char *end;

	if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
		errno = 0;
		seconds = strtod(argv[2], &end);
		if (errno != 0 || *end != '\0' || seconds < 0.05 ||
		    seconds > 600) {
			fprintf(stderr, "crypto-floor: bad --seconds\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: crypto-floor [--seconds S]  (S of CPU "
		    "per row, default 2)\n");
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "crypto-floor: libsodium cannot initialise\n");
		return 1;
	}
	floor_setup(&st);
	/* Warm up (CPU frequency, caches). */
	(void)floor_measure(&st, 0, 0, 0.05, &n, &cpu);
	printf("| libsodium %s, one side of Noise XX + libp2p auth | per "
	    "CPU-second | us each |\n| --- | --- | --- |\n",
	    sodium_version_string());
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rate[i] = floor_measure(&st, rows[i].extra_verify,
		    rows[i].symmetric, seconds, &n, &cpu);
		printf("| %s | %.0f | %.1f |\n", rows[i].name, rate[i],
		    1e6 / rate[i]);
		fflush(stdout);
	}
	printf("result");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf(" %s_per_cpu_s=%.1f", rows[i].key, rate[i]);
	printf("\n");
	return 0;
}
