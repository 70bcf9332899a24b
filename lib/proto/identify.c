/*
 * identify.c - identify message codec.  Called by the connection layer
 * when an identify or identify-push stream delivers a message, and when
 * it answers an identify request with ours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/pb.h"
#include "proto/identify.h"

#define IDENTIFY_SET_WHY(...) do {					\
	if (why != NULL && whylen > 0)					\
		snprintf(why, whylen, __VA_ARGS__);			\
} while (0)

void
pd_identify_init(struct pd_identify *id)
{
	memset(id, 0, sizeof(*id));
}

void
pd_identify_clear(struct pd_identify *id)
{
	for (size_t i = 0; i < id->nprotocols; i++)
		free(id->protocols[i]);
	free(id->protocol_version);
	free(id->agent_version);
	pd_identify_init(id);
}

/* A string field: bounded, no NUL bytes.  NULL on bad input or OOM. */
static char *
identify_strdup(const uint8_t *p, size_t len)
{
	char *s;

	if (len == 0 || len > PD_IDENTIFY_MAX_STRING ||
	    memchr(p, '\0', len) != NULL)
		return NULL;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static int
identify_set_string(char **field, const uint8_t *p, size_t len,
    unsigned *dropped)
{
	char *s = identify_strdup(p, len);

	if (s == NULL) {
		if (len > 0)
			(*dropped)++;
		return 0;
	}
	free(*field);
	*field = s;
	return 0;
}

static int
identify_merge_pubkey(struct pd_identify *id, const uint8_t *p, size_t len,
    char *why, size_t whylen)
{
	struct pd_pubkey pub;
	char kwhy[128] = "";

	if (pd_pubkey_decode(p, len, &pub, kwhy, sizeof(kwhy)) < 0) {
		IDENTIFY_SET_WHY("identify: public key: %s", kwhy);
		return PD_ERR_BAD_KEY;
	}
	if (id->has_pubkey && !pd_pubkey_equal(&pub, &id->pubkey)) {
		IDENTIFY_SET_WHY("identify: public key changed");
		return PD_ERR_BAD_KEY;
	}
	id->pubkey = pub;
	id->has_pubkey = 1;
	return 0;
}

static void
identify_merge_record(struct pd_identify *id, const uint8_t *p, size_t len)
{
	struct pd_peer_record *rec;
	struct pd_pubkey pub;

	if ((rec = malloc(sizeof(*rec))) == NULL) {
		id->dropped++;
		return;
	}
	/* The record is checked against the identify key after the loop. */
	if (pd_record_open(p, len, rec, &pub, NULL, 0) < 0 ||
	    (id->has_pubkey && !pd_pubkey_equal(&pub, &id->pubkey))) {
		id->dropped++;
	} else if (!id->has_record || rec->seq >= id->record.seq) {
		id->record = *rec;
		id->has_record = 1;
		if (!id->has_pubkey) {
			id->pubkey = pub;
			id->has_pubkey = 1;
		}
	}
	free(rec);
}

int
pd_identify_merge(struct pd_identify *id, const uint8_t *msg, size_t len,
    char *why, size_t whylen)
{
	struct pd_pb_reader rd;
	struct pd_pb_field f;
	const uint8_t *record = NULL;
	size_t recordlen = 0;
	int r;

	if (len > PD_IDENTIFY_MAX_MSG) {
		IDENTIFY_SET_WHY("identify: message of %zu bytes is over the "
		    "%d-byte limit", len, PD_IDENTIFY_MAX_MSG);
		return PD_ERR_OVERFLOW;
	}
	pd_pb_reader_init(&rd, msg, len);
	while ((r = pd_pb_next(&rd, &f)) == 1) {
		if (f.wire != PD_PB_LEN)
			continue;
		switch (f.num) {
		case 1:
			if ((r = identify_merge_pubkey(id, f.data, f.len, why,
			    whylen)) < 0)
				return r;
			break;
		case 2:
			if (id->naddrs == PD_IDENTIFY_MAX_ADDRS ||
			    pd_multiaddr_from_bytes(f.data, f.len,
			    &id->addrs[id->naddrs], NULL, 0) < 0)
				id->dropped++;
			else
				id->naddrs++;
			break;
		case 3: {
			char *s;

			if (id->nprotocols == PD_IDENTIFY_MAX_PROTOCOLS ||
			    (s = identify_strdup(f.data, f.len)) == NULL)
				id->dropped++;
			else
				id->protocols[id->nprotocols++] = s;
			break;
		}
		case 4:
			if (pd_multiaddr_from_bytes(f.data, f.len, &id->observed,
			    NULL, 0) == 0)
				id->has_observed = 1;
			else
				id->dropped++;
			break;
		case 5:
			identify_set_string(&id->protocol_version, f.data,
			    f.len, &id->dropped);
			break;
		case 6:
			identify_set_string(&id->agent_version, f.data, f.len,
			    &id->dropped);
			break;
		case 8:
			record = f.data;
			recordlen = f.len;
			break;
		}
	}
	if (r < 0) {
		IDENTIFY_SET_WHY("identify: %s", pd_strerror(r));
		return PD_ERR_MALFORMED;
	}
	if (record != NULL)
		identify_merge_record(id, record, recordlen);
	return 0;
}

int
pd_identify_has_protocol(const struct pd_identify *id, const char *proto)
{
	for (size_t i = 0; i < id->nprotocols; i++)
		if (strcmp(id->protocols[i], proto) == 0)
			return 1;
	return 0;
}

int
pd_identify_encode(const struct pd_identify *id, const uint8_t *record,
    size_t recordlen, struct pd_buf *out)
{
	uint8_t pubpb[PD_KEY_MAX_PUBKEY_PB];
	int n, r;

	if (id->has_pubkey) {
		if ((n = pd_pubkey_encode(&id->pubkey, pubpb,
		    sizeof(pubpb))) < 0)
			return n;
		if ((r = pd_pb_put_bytes(out, 1, pubpb, (size_t)n)) < 0)
			return r;
	}
	for (size_t i = 0; i < id->naddrs; i++)
		if ((r = pd_pb_put_bytes(out, 2, id->addrs[i].bytes,
		    id->addrs[i].len)) < 0)
			return r;
	for (size_t i = 0; i < id->nprotocols; i++)
		if ((r = pd_pb_put_string(out, 3, id->protocols[i])) < 0)
			return r;
	if (id->has_observed && (r = pd_pb_put_bytes(out, 4,
	    id->observed.bytes, id->observed.len)) < 0)
		return r;
	if (id->protocol_version != NULL &&
	    (r = pd_pb_put_string(out, 5, id->protocol_version)) < 0)
		return r;
	if (id->agent_version != NULL &&
	    (r = pd_pb_put_string(out, 6, id->agent_version)) < 0)
		return r;
	if (record != NULL && (r = pd_pb_put_bytes(out, 8, record,
	    recordlen)) < 0)
		return r;
	return 0;
}
