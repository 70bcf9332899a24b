/*
 * gen-fuzz-record-seeds.c - writes the seed corpus of fuzz_record
 * (tests/fuzz/corpus/fuzz_record) from real envelopes made with
 * pd_record_seal(), plus damaged copies.  Keys come from fixed seeds, so
 * the output is reproducible:
 *
 *	make tests/tools/gen-fuzz-record-seeds
 *	./tests/tools/gen-fuzz-record-seeds $(top_srcdir)/tests/fuzz/corpus/fuzz_record
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/multiaddr.h"
#include "core/buf.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "proto/record.h"

static const char *gen_dir;

static void
gen_write(const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", gen_dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	printf("%s: %zu bytes\n", path, len);
}

static void
gen_key(uint8_t seedbyte, struct pd_privkey *key, struct pd_peerid *id)
{
	uint8_t seed[PD_KEY_ED25519_SEED_LEN];
	struct pd_pubkey pub;

	memset(seed, seedbyte, sizeof(seed));
	if (pd_privkey_from_seed(seed, key) != 0 ||
	    pd_privkey_public(key, &pub) != 0 ||
	    pd_peerid_from_pubkey(&pub, id) != 0) {
		fprintf(stderr, "key setup failed\n");
		exit(1);
	}
}

static void
gen_addr(struct pd_peer_record *rec, const char *text)
{
	char why[128];

	if (pd_multiaddr_parse(text, &rec->addrs[rec->naddrs], why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "%s: %s\n", text, why);
		exit(1);
	}
	rec->naddrs++;
}

/* Seal rec with key and write it; the bytes stay in out. */
static void
gen_seal(const char *name, const struct pd_privkey *key,
    const struct pd_peer_record *rec, struct pd_buf *out)
{
	pd_buf_reset(out);
	if (pd_record_seal(key, rec, out) != 0) {
		fprintf(stderr, "%s: seal failed\n", name);
		exit(1);
	}
	gen_write(name, out->data, out->len);
}

int
main(int argc, char **argv)
{
	static struct pd_peer_record rec;
	struct pd_privkey key, other;
	struct pd_peerid id, other_id;
	struct pd_buf env;
	char text[64];
	uint8_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-fuzz-record-seeds DIR\n");
		return 2;
	}
	gen_dir = argv[1];
	gen_key(0x01, &key, &id);
	gen_key(0x02, &other, &other_id);
	pd_buf_init(&env);

	memset(&rec, 0, sizeof(rec));
	rec.id = id;
	gen_seal("01-no-addrs", &key, &rec, &env);

	rec.seq = 1;
	gen_addr(&rec, "/ip4/127.0.0.1/tcp/4001");
	gen_seal("02-one-addr", &key, &rec, &env);

	rec.seq = 1767225600123456789ull;
	gen_addr(&rec, "/ip6/::1/tcp/4001");
	gen_addr(&rec, "/ip4/192.0.2.7/udp/4001/quic-v1");
	gen_addr(&rec, "/dns4/example.com/tcp/443/wss");
	gen_seal("03-mixed-addrs", &key, &rec, &env);

	/* Damaged copies of 03. */
	p = malloc(env.len);
	memcpy(p, env.data, env.len);
	p[env.len - 1] ^= 0x80;
	gen_write("04-bad-signature", p, env.len);
	gen_write("05-truncated", env.data, env.len / 2);
	memcpy(p, env.data, env.len);
	for (size_t i = 0; i + 4 <= env.len; i++)
		if (memcmp(p + i, "\x12\x02\x03\x01", 4) == 0) {
			p[i + 2] = 0x81;
			p[i + 3] = 0x06;
			break;
		}
	gen_write("06-varint-payload-type", p, env.len);
	free(p);

	/* The cap: PD_RECORD_MAX_ADDRS addresses. */
	rec.naddrs = 0;
	for (int i = 0; i < PD_RECORD_MAX_ADDRS; i++) {
		snprintf(text, sizeof(text), "/ip4/10.0.%d.%d/tcp/%d", i / 8,
		    i % 8 + 1, 4000 + i);
		gen_addr(&rec, text);
	}
	gen_seal("07-max-addrs", &key, &rec, &env);

	/* An address whose bytes do not decode: dropped, not fatal. */
	rec.naddrs = 0;
	gen_addr(&rec, "/ip4/198.51.100.1/tcp/4001");
	memcpy(rec.addrs[1].bytes, "\x04\x7f\x00\x00", 4);
	rec.addrs[1].len = 4;
	rec.naddrs = 2;
	gen_seal("08-bad-addr", &key, &rec, &env);

	/* Signed by key, but naming another peer. */
	rec.naddrs = 1;
	rec.id = other_id;
	gen_seal("09-id-mismatch", &key, &rec, &env);

	/* The other key's own record, seq 0 (absent on the wire). */
	rec.seq = 0;
	gen_seal("10-other-key", &other, &rec, &env);

	pd_buf_free(&env);
	pd_privkey_clear(&key);
	pd_privkey_clear(&other);
	return 0;
}
