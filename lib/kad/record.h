/*
 * record.h - DHT value records: the namespaced validator table, the `pk`
 * and `ipns` validators, and a bounded record store (libp2p-wire.md §9.7;
 * go-libp2p-record validator.go/pubkey.go/util.go; boxo ipns
 * validation.go/record.go; ipfs/specs ipns-record.md).
 *
 * Everything here is sans-IO and clock-free: the caller passes `now` as
 * unix milliseconds.  Keys are "/<namespace>/<rest>" byte strings (the
 * rest is binary); the namespace is the text between the first two '/'
 * (go SplitKey) and picks the validator.  No global state: a
 * struct pd_kad_validators is a plain value the caller owns.
 *
 * Error codes used by the validators (why gets the reason):
 *   PD_ERR_INVAL       key malformed, no validator for the namespace,
 *                      record expired, V1 fields disagree with the CBOR;
 *   PD_ERR_MALFORMED   value does not parse (protobuf, CBOR, time, key);
 *   PD_ERR_OVERFLOW    IPNS record over PD_KAD_IPNS_MAX;
 *   PD_ERR_UNSUPPORTED an IPNS ValidityType other than 0 (EOL), a CBOR
 *                      feature outside DAG-CBOR, a key type we lack;
 *   PD_ERR_BAD_KEY     public key does not match the key's peer ID, or
 *                      no public key available (RSA/ECDSA without pubKey);
 *   PD_ERR_BAD_SIGNATURE signatureV2 does not verify;
 *   PD_ERR_NOMEM.
 */
#ifndef PD_KAD_RECORD_H
#define PD_KAD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_kad_record;

#define PD_KAD_MAX_VALIDATORS 16	/* namespaces in one table */
#define PD_KAD_MAX_NAMESPACE 63		/* bytes of a namespace name */
#define PD_KAD_IPNS_MAX 10240		/* bytes of an IpnsEntry (boxo MaxRecordSize, 10 KiB) */
#define PD_KAD_RECORD_MAX_AGE_MS (INT64_C(48) * 3600 * 1000)	/* go DefaultMaxRecordAge */
#define PD_KAD_RECORDS_MAX 4096		/* records in one store */
#define PD_KAD_RECORDS_MAX_BYTES (UINT32_C(16) << 20)	/* key + value bytes in one store (16 MiB) */
#define PD_KAD_TIME_MAX 40		/* chars of a formatted timeReceived incl. NUL */
#define PD_KAD_TIME_MAX_IN 64		/* chars of RFC 3339 text accepted by parse */

/* One candidate value for select: borrowed bytes. */
struct pd_kad_rec_val {
	const uint8_t *val;
	size_t len;
};

/*
 * Validate val for key at time now.  Returns 0 if valid or a negative
 * PD_ERR_* (see the list above) with a NUL-terminated reason in why
 * (why may be NULL or whylen 0).  key includes the "/ns/" prefix.
 */
typedef int (*pd_kad_validate_cb)(const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen, int64_t now_unix_ms, char *why,
    size_t whylen, void *arg);

/*
 * Pick the best of n >= 1 values for key (values are assumed valid).
 * Returns its index (0..n-1) or a negative PD_ERR_* if a value cannot be
 * read.  Ties must keep the earliest index.
 */
typedef int (*pd_kad_select_cb)(const uint8_t *key, size_t keylen,
    const struct pd_kad_rec_val *vals, size_t n, void *arg);

/* One namespace entry.  arg is borrowed from the embedder. */
struct pd_kad_validator {
	char ns[PD_KAD_MAX_NAMESPACE + 1];	/* NUL-terminated, no '/', non-empty */
	pd_kad_validate_cb validate;
	pd_kad_select_cb select;
	void *arg;
};

/*
 * A validator table (go NamespacedValidator).  Plain value owned by the
 * caller; invariant n <= PD_KAD_MAX_VALIDATORS, namespaces unique.
 */
struct pd_kad_validators {
	size_t n;
	struct pd_kad_validator v[PD_KAD_MAX_VALIDATORS];
};

/* Empty the table (no namespaces: everything is refused). */
void pd_kad_validators_init(struct pd_kad_validators *v);

/* Init v with the defaults of go and js: "pk" and "ipns".  Always 0. */
int pd_kad_validators_default(struct pd_kad_validators *v);

/*
 * Add or replace the validator of namespace ns (NUL-terminated, 1..
 * PD_KAD_MAX_NAMESPACE bytes, no '/').  validate and select must not be
 * NULL; arg is passed back to both.  Returns 0, PD_ERR_INVAL (bad
 * arguments), or PD_ERR_OVERFLOW if the table is full and ns is new.
 */
int pd_kad_validators_add(struct pd_kad_validators *v, const char *ns,
    pd_kad_validate_cb validate, pd_kad_select_cb select, void *arg);

/* Remove namespace ns.  Returns 0 or PD_ERR_NOT_FOUND. */
int pd_kad_validators_remove(struct pd_kad_validators *v, const char *ns);

/*
 * Split key into namespace and rest (go SplitKey): key must start with
 * '/', and a second '/' must follow a non-empty namespace.  Returns 0
 * with *ret_ns, *ret_nslen and *ret_rest, *ret_restlen pointing into key,
 * or PD_ERR_INVAL.  The namespace may contain any byte except '/'.
 */
int pd_kad_key_split(const uint8_t *key, size_t keylen,
    const uint8_t **ret_ns, size_t *ret_nslen, const uint8_t **ret_rest,
    size_t *ret_restlen);

/*
 * Validate val for key with the validator of key's namespace.  Returns
 * the validator's result, or PD_ERR_INVAL with why "no validator for
 * namespace X" (unknown namespace) / "malformed key" (not "/ns/...").
 * key/val may be NULL only with length 0.
 */
int pd_kad_validate(const struct pd_kad_validators *v, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, int64_t now_unix_ms,
    char *why, size_t whylen);

/*
 * Select the best of vals[0..n) for key.  Returns an index in 0..n-1, or
 * PD_ERR_INVAL (n == 0, malformed key, unknown namespace) or the
 * validator's error.
 */
int pd_kad_select(const struct pd_kad_validators *v, const uint8_t *key,
    size_t keylen, const struct pd_kad_rec_val *vals, size_t n);

/*
 * The built-in validators, usable directly (arg is ignored).
 * pk: key "/pk/" || binary peer ID, value a canonical PublicKey protobuf
 * whose peer ID equals the key's (go pubkey.go; our decoder refuses
 * non-canonical key encodings that go would re-encode).  Select: 0.
 */
int pd_kad_pk_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
    size_t vallen, int64_t now_unix_ms, char *why, size_t whylen, void *arg);
int pd_kad_pk_select(const uint8_t *key, size_t keylen,
    const struct pd_kad_rec_val *vals, size_t n, void *arg);

/*
 * ipns: key "/ipns/" || binary peer ID; value an IpnsEntry (V2 rules of
 * boxo): <= PD_KAD_IPNS_MAX bytes, signatureV2 and data required, data a
 * DAG-CBOR map with Value and Validity (bytes), ValidityType (must be 0)
 * and Sequence (uint), TTL (uint, optional); the public key from pubKey
 * (which must hash to the key's peer ID) or from an identity peer ID;
 * signatureV2 verifies over "ipns-signature:" || data; if signatureV1 or
 * value is present, value/validity/validityType/sequence/ttl must equal
 * the CBOR ones (boxo), and any other V1 field present must equal its
 * CBOR twin; EOL (RFC 3339) must not be before now (valid while now <=
 * EOL, as go's !now.After(eol)).
 * Select: higher Sequence, then later EOL; ties keep the earlier index.
 * Returns PD_ERR_MALFORMED if any value does not parse.
 */
int pd_kad_ipns_validate(const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen, int64_t now_unix_ms, char *why,
    size_t whylen, void *arg);
int pd_kad_ipns_select(const uint8_t *key, size_t keylen,
    const struct pd_kad_rec_val *vals, size_t n, void *arg);

/*
 * A parsed IpnsEntry.  Pointers borrow the parsed value; has_* say which
 * protobuf fields were present.  c_* are the CBOR `data` fields.
 */
struct pd_kad_ipns {
	const uint8_t *value, *sig_v1, *validity, *pubkey, *sig_v2, *data;
	size_t value_len, sig_v1_len, validity_len, pubkey_len, sig_v2_len,
	    data_len;
	bool has_value, has_sig_v1, has_validity_type, has_validity,
	    has_sequence, has_ttl;
	uint64_t validity_type, sequence, ttl;
	const uint8_t *c_value, *c_validity;
	size_t c_value_len, c_validity_len;
	uint64_t c_validity_type, c_sequence, c_ttl;
	int64_t eol_ms;			/* Validity as unix ms (fraction truncated) */
};

/*
 * Parse an IpnsEntry and its CBOR data, without checking signatures, the
 * key, the V1 fields or expiry.  Requires non-empty signatureV2 and data,
 * the CBOR fields listed above with the right types (duplicates refused),
 * ValidityType 0 and a valid RFC 3339 Validity.  Returns 0, or
 * PD_ERR_OVERFLOW / PD_ERR_MALFORMED / PD_ERR_UNSUPPORTED with a reason;
 * *ret untouched on failure.
 */
int pd_kad_ipns_parse(const uint8_t *val, size_t vallen,
    struct pd_kad_ipns *ret, char *why, size_t whylen);

/*
 * Parse RFC 3339 text p[0..n) strictly ("YYYY-MM-DDTHH:MM:SS[.f{1,9}]"
 * then "Z" or "+HH:MM"/"-HH:MM"; upper-case T and Z; day checked against
 * the month; no leap second) into unix milliseconds, fraction truncated.
 * Returns 0 or PD_ERR_MALFORMED (also for n > PD_KAD_TIME_MAX_IN).
 */
int pd_kad_time_parse(const char *p, size_t n, int64_t *ret_unix_ms);

/*
 * Format unix ms as go's time.RFC3339Nano in UTC ("2006-01-02T15:04:05.999999999Z07:00":
 * trailing fraction zeros dropped, no fraction when whole, "Z"), as go
 * writes Record.timeReceived.  Returns the length without the NUL, or
 * PD_ERR_OVERFLOW (outlen too small; PD_KAD_TIME_MAX fits) /
 * PD_ERR_INVAL (year outside 0000..9999).
 */
int pd_kad_time_format(int64_t unix_ms, char *out, size_t outlen);

/*
 * The record store: one value per key, with the time it was received.
 * Opaque; owns copies of keys and values; borrows the validator table,
 * which must outlive it.  Lookups are linear in the record count.
 */
struct pd_kad_records;

/*
 * New empty store using validators v (borrowed).  max_records and
 * max_bytes cap the record count and the key+value bytes; 0 or anything
 * over PD_KAD_RECORDS_MAX / PD_KAD_RECORDS_MAX_BYTES means that maximum.
 * Returns NULL on OOM (or v NULL).
 */
struct pd_kad_records *pd_kad_records_new(const struct pd_kad_validators *v,
    size_t max_records, size_t max_bytes);

/* Free the store and every record.  NULL is a no-op. */
void pd_kad_records_free(struct pd_kad_records *rs);

/*
 * Store val under key received at now (go handlePutValue): validate it;
 * if a record is stored, a byte-identical value only refreshes its
 * received time; otherwise select between {stored, new} and keep the
 * new one only if select picks it (ties keep the stored one).  Returns 0
 * (stored, replaced or refreshed), a validation error, PD_ERR_EXISTS
 * (why "older record": the stored one is at least as good),
 * PD_ERR_OVERFLOW (key over PD_KAD_MAX_KEY, value over PD_KAD_MAX_VALUE,
 * or the store is full: "record store full"), PD_ERR_NOMEM.  The store is
 * unchanged on failure.  A stored record that is no longer valid or too
 * old is dropped first, so it never blocks a new one.
 */
int pd_kad_records_put(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, const uint8_t *val, size_t vallen, int64_t now_unix_ms,
    char *why, size_t whylen);

/*
 * Find key's record at now.  A record received more than
 * PD_KAD_RECORD_MAX_AGE_MS before now, or that no longer validates (IPNS
 * EOL passed), is removed and reported as not found (go
 * getRecordFromDatastore).  Returns 0 with *ret_val, *ret_len (borrowed:
 * valid until the next call that changes the store) and *ret_received_ms
 * (each ret_* may be NULL), or PD_ERR_NOT_FOUND.
 */
int pd_kad_records_get(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, int64_t now_unix_ms, const uint8_t **ret_val,
    size_t *ret_len, int64_t *ret_received_ms);

/*
 * As pd_kad_records_get, but copy the record into a Kademlia message
 * record: key, value and timeReceived (pd_kad_time_format).  Returns 0,
 * PD_ERR_NOT_FOUND; *ret_rec untouched on failure.
 */
int pd_kad_records_get_record(struct pd_kad_records *rs, const uint8_t *key,
    size_t keylen, int64_t now_unix_ms, struct pd_kad_record *ret_rec);

/*
 * Drop every record received more than PD_KAD_RECORD_MAX_AGE_MS before
 * now (no signature work; go's GC).  Returns the number dropped.
 */
size_t pd_kad_records_expire(struct pd_kad_records *rs, int64_t now_unix_ms);

/* Number of records stored. */
size_t pd_kad_records_count(const struct pd_kad_records *rs);

/* Key + value bytes stored (what max_bytes caps). */
size_t pd_kad_records_bytes(const struct pd_kad_records *rs);

#endif
