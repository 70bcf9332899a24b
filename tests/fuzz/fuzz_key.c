/*
 * fuzz_key.c - libFuzzer target for lib/crypto key.c and peerid.c.
 *
 * Each input is tried four ways: as a PublicKey protobuf (decode -> must
 * re-encode to the same bytes -> peer ID -> both text forms parse back ->
 * verify does not misbehave), as a PrivateKey protobuf (decode -> encode
 * -> decode is stable, signatures verify), as binary peer-ID bytes, and as
 * peer-ID text.  Any broken invariant abort()s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/peerid.h"

#define FUZZ_KEY_MAX_INPUT 65536	/* bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Format id both ways; each text must parse back to id exactly. */
static void
fuzz_key_text_roundtrip(const struct pd_peerid *id)
{
	char text[PD_PEERID_TEXT_MAX];
	struct pd_peerid back;
	int n;

	n = pd_peerid_format(id, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(text));
	FUZZ_CHECK(pd_peerid_parse(text, (size_t)n, &back) == 0);
	FUZZ_CHECK(memcmp(&back, id, sizeof(back)) == 0);
	n = pd_peerid_format_cid(id, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(text));
	FUZZ_CHECK(pd_peerid_parse(text, (size_t)n, &back) == 0);
	FUZZ_CHECK(memcmp(&back, id, sizeof(back)) == 0);
}

/* Properties of any valid peer ID. */
static void
fuzz_key_check_id(const struct pd_peerid *id)
{
	struct pd_peerid again;
	struct pd_pubkey pub;
	int rc;

	FUZZ_CHECK(id->len > 0 && id->len <= PD_PEERID_MAX_BYTES);
	for (size_t i = id->len; i < PD_PEERID_MAX_BYTES; i++)
		FUZZ_CHECK(id->bytes[i] == 0);
	FUZZ_CHECK(pd_peerid_from_bytes(id->bytes, id->len, &again) == 0);
	FUZZ_CHECK(pd_peerid_equal(id, &again));
	fuzz_key_text_roundtrip(id);
	rc = pd_peerid_extract_pubkey(id, &pub);
	if (id->bytes[0] == 0x00) {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(pd_peerid_matches_pubkey(id, &pub));
	} else {
		FUZZ_CHECK(id->bytes[0] == 0x12 && id->len == 34);
		FUZZ_CHECK(rc == PD_ERR_NOT_FOUND);
	}
}

static void
fuzz_key_pubkey(const uint8_t *data, size_t size)
{
	uint8_t enc[PD_KEY_MAX_PUBKEY_PB];
	struct pd_pubkey pub, back;
	struct pd_peerid id;
	char why[256];
	int n, rc;

	if (pd_pubkey_decode(data, size, &pub, why, sizeof(why)) != 0)
		return;
	FUZZ_CHECK((unsigned)pub.type <= PD_KEY_ECDSA);
	FUZZ_CHECK(pub.len > 0 && pub.len <= PD_KEY_MAX_PUBKEY);
	/* Only canonical encodings decode, so encoding reproduces input. */
	n = pd_pubkey_encode(&pub, enc, sizeof(enc));
	FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(enc, data, size) == 0);
	FUZZ_CHECK(pd_peerid_from_pubkey(&pub, &id) == 0);
	FUZZ_CHECK((id.bytes[0] == 0x00) == (size <= PD_PEERID_MAX_INLINE));
	FUZZ_CHECK(pd_peerid_matches_pubkey(&id, &pub));
	fuzz_key_check_id(&id);
	if (id.bytes[0] == 0x00) {
		FUZZ_CHECK(pd_peerid_extract_pubkey(&id, &back) == 0);
		FUZZ_CHECK(pd_pubkey_equal(&back, &pub));
	}
	/* Garbage signatures are rejected, never errors about the key. */
	rc = pd_pubkey_verify(&pub, data, size, data,
	    size < 72 ? size : 72);
	FUZZ_CHECK(rc == 0 || rc == PD_ERR_BAD_SIGNATURE);
}

static void
fuzz_key_privkey(const uint8_t *data, size_t size)
{
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN], sig[PD_KEY_ED25519_SIG_LEN];
	struct pd_privkey key, again;
	struct pd_pubkey pub;
	struct pd_peerid id;
	int n;

	if (pd_privkey_decode(data, size, &key, NULL, 0) != 0)
		return;
	n = pd_privkey_encode(&key, enc, sizeof(enc));
	FUZZ_CHECK(n == PD_KEY_ED25519_PRIVKEY_PB_LEN);
	FUZZ_CHECK(pd_privkey_decode(enc, (size_t)n, &again, NULL, 0) == 0);
	FUZZ_CHECK(memcmp(key.sk, again.sk, sizeof(key.sk)) == 0);
	FUZZ_CHECK(pd_privkey_public(&key, &pub) == 0);
	FUZZ_CHECK(pd_peerid_from_pubkey(&pub, &id) == 0);
	fuzz_key_check_id(&id);
	FUZZ_CHECK(pd_privkey_sign(&key, data, size, sig) == 0);
	FUZZ_CHECK(pd_pubkey_verify(&pub, data, size, sig, sizeof(sig)) == 0);
	sig[0] ^= 1;
	FUZZ_CHECK(pd_pubkey_verify(&pub, data, size, sig, sizeof(sig)) ==
	    PD_ERR_BAD_SIGNATURE);
	pd_privkey_clear(&key);
	pd_privkey_clear(&again);
}

static void
fuzz_key_peerid_bytes(const uint8_t *data, size_t size)
{
	struct pd_peerid id;

	if (pd_peerid_from_bytes(data, size, &id) != 0)
		return;
	FUZZ_CHECK(id.len == size && memcmp(id.bytes, data, size) == 0);
	fuzz_key_check_id(&id);
}

static void
fuzz_key_peerid_text(const uint8_t *data, size_t size)
{
	struct pd_peerid id;

	if (pd_peerid_parse((const char *)data, size, &id) != 0)
		return;
	fuzz_key_check_id(&id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_KEY_MAX_INPUT)
		return 0;
	fuzz_key_pubkey(data, size);
	fuzz_key_privkey(data, size);
	fuzz_key_peerid_bytes(data, size);
	fuzz_key_peerid_text(data, size);
	return 0;
}
