/*
 * mss.c - multistream-select 1.0 (libp2p-wire.md §4), sans-IO.
 *
 * A negotiator for one channel, used by the connection glue (lib/net/conn.c)
 * for the security and muxer rounds and by the stream glue for every yamux
 * stream.  It owns a copy of its protocol list, a fixed buffer for the one
 * message being read (at most PD_MSS_MAX_MSG bytes), and an output buffer
 * the owner drains.  Messages are LP(token "\n") with a uvarint length.
 *
 * Dialer: writes header + first proposal at once (pipelined), moves to the
 * next proposal on "na", succeeds on the echo.  Listener: writes its header
 * at once, answers each proposal with the echo or "na", answers "ls" with
 * its list (§4.2 format), and stops reading right after the accepted
 * proposal so optimistic data stays with the caller.  Structural errors
 * (bad length, missing "\n", control characters) fail; a well-formed token
 * that is simply not a protocol we know is answered with "na".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/varint.h"
#include "net/mss.h"

#define MSS_LEN_BYTES 2		/* a uvarint <= PD_MSS_MAX_MSG needs at most 2 */

enum mss_role {
	MSS_DIALER,
	MSS_LISTENER,
};

/*
 * Invariants: status is 0 until the negotiation ends, then 1 or a negative
 * PD_ERR_* and never changes again.  While reading, msglen == 0 means the
 * length prefix is being read (lenhave bytes in lenbuf); otherwise msghave
 * of msglen body bytes are in msg.
 */
struct pd_mss {
	enum mss_role role;
	int status;
	char **protos;			/* owned copies */
	size_t nprotos;
	pd_mss_match_cb match;		/* listener only, may be NULL */
	void *match_arg;
	size_t cur;			/* dialer: index of the open proposal */
	unsigned nanswered;		/* listener: proposals answered */
	int got_header;			/* remote header seen */

	uint8_t lenbuf[MSS_LEN_BYTES];
	size_t lenhave;
	size_t msglen;			/* 0: reading the length prefix */
	size_t msghave;
	uint8_t msg[PD_MSS_MAX_MSG];

	struct pd_buf out;
	char chosen[PD_MSS_MAX_PROTO_LEN + 1];
	char why[PD_MSS_WHY_MAX];
};

int
pd_mss_proto_valid(const char *s)
{
	size_t n = strnlen(s, PD_MSS_MAX_PROTO_LEN + 1);

	if (n == 0 || n > PD_MSS_MAX_PROTO_LEN || s[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Record a failure once; returns err. */
static int
mss_fail(struct pd_mss *m, int err, const char *what, const uint8_t *tok,
    size_t tlen)
{
	char esc[64];

	if (m->status < 0)
		return m->status;
	m->status = err;
	if (tok != NULL) {
		pd_log_escape(tok, tlen, esc, sizeof(esc));
		snprintf(m->why, sizeof(m->why), "%s \"%s\"", what, esc);
	} else {
		snprintf(m->why, sizeof(m->why), "%s", what);
	}
	return err;
}

/* Queue LP(tok "\n"). */
static int
mss_write_token(struct pd_buf *b, const char *tok, size_t tlen)
{
	int r;

	if ((r = pd_varint_append(b, tlen + 1)) < 0 ||
	    (r = pd_buf_append(b, tok, tlen)) < 0 ||
	    (r = pd_buf_append_byte(b, '\n')) < 0)
		return r;
	return 0;
}

static int
mss_write_str(struct pd_mss *m, const char *s)
{
	int r;

	if ((r = mss_write_token(&m->out, s, strlen(s))) < 0)
		return mss_fail(m, r, "cannot queue output", NULL, 0);
	return 0;
}

/* Copy and validate a protocol list into m. */
static int
mss_copy_list(struct pd_mss *m, const char *const *protos, size_t n)
{
	if (n > PD_MSS_MAX_PROTOCOLS || (n > 0 && protos == NULL))
		return PD_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (protos[i] == NULL || !pd_mss_proto_valid(protos[i]))
			return PD_ERR_INVAL;
	if (n == 0)
		return 0;
	if ((m->protos = calloc(n, sizeof(*m->protos))) == NULL)
		return PD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((m->protos[i] = strdup(protos[i])) == NULL)
			return PD_ERR_NOMEM;
		m->nprotos = i + 1;
	}
	return 0;
}

static struct pd_mss *
mss_alloc(enum mss_role role)
{
	struct pd_mss *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->role = role;
	pd_buf_init(&m->out);
	return m;
}

int
pd_mss_dialer_new(const char *const *protos, size_t nprotos,
    struct pd_mss **ret_m)
{
	struct pd_mss *m;
	int r;

	if (nprotos == 0)
		return PD_ERR_INVAL;
	if ((m = mss_alloc(MSS_DIALER)) == NULL)
		return PD_ERR_NOMEM;
	if ((r = mss_copy_list(m, protos, nprotos)) < 0 ||
	    (r = mss_write_str(m, PD_MSS_PROTOCOL_ID)) < 0 ||
	    (r = mss_write_str(m, m->protos[0])) < 0) {
		pd_mss_free(m);
		return r;
	}
	*ret_m = m;
	return 0;
}

int
pd_mss_listener_new(const char *const *protos, size_t nprotos,
    pd_mss_match_cb match, void *arg, struct pd_mss **ret_m)
{
	struct pd_mss *m;
	int r;

	if (nprotos == 0 && match == NULL)
		return PD_ERR_INVAL;
	if ((m = mss_alloc(MSS_LISTENER)) == NULL)
		return PD_ERR_NOMEM;
	m->match = match;
	m->match_arg = arg;
	if ((r = mss_copy_list(m, protos, nprotos)) < 0 ||
	    (r = mss_write_str(m, PD_MSS_PROTOCOL_ID)) < 0) {
		pd_mss_free(m);
		return r;
	}
	*ret_m = m;
	return 0;
}

void
pd_mss_free(struct pd_mss *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nprotos; i++)
		free(m->protos[i]);
	free(m->protos);
	pd_buf_free(&m->out);
	free(m);
}

static int
mss_token_is(const uint8_t *tok, size_t tlen, const char *s)
{
	return strlen(s) == tlen && memcmp(tok, s, tlen) == 0;
}

static void
mss_succeed(struct pd_mss *m, const uint8_t *tok, size_t tlen)
{
	memcpy(m->chosen, tok, tlen);
	m->chosen[tlen] = '\0';
	m->status = 1;
}

/*
 * Answer "ls": LP( LP(p1 "\n") ‖ LP(p2 "\n") … ‖ "\n" ) (§4.2).  Entries
 * that would push the message over PD_MSS_MAX_MSG are left out, since the
 * peer would reject the whole message.
 */
static int
mss_answer_ls(struct pd_mss *m)
{
	struct pd_buf body;
	int r = 0;

	pd_buf_init(&body);
	for (size_t i = 0; i < m->nprotos && r == 0; i++) {
		size_t n = strlen(m->protos[i]);

		if (body.len + pd_varint_size(n + 1) + n + 1 + 1 >
		    PD_MSS_MAX_MSG)
			break;
		r = mss_write_token(&body, m->protos[i], n);
	}
	if (r == 0)
		r = pd_buf_append_byte(&body, '\n');
	if (r == 0)
		r = pd_varint_append(&m->out, body.len);
	if (r == 0)
		r = pd_buf_append(&m->out, body.data, body.len);
	pd_buf_free(&body);
	if (r < 0)
		return mss_fail(m, r, "cannot queue output", NULL, 0);
	return 0;
}

static int
mss_listener_accepts(struct pd_mss *m, const uint8_t *tok, size_t tlen)
{
	char name[PD_MSS_MAX_PROTO_LEN + 1];

	if (tlen > PD_MSS_MAX_PROTO_LEN)
		return 0;
	memcpy(name, tok, tlen);
	name[tlen] = '\0';
	if (!pd_mss_proto_valid(name))
		return 0;
	for (size_t i = 0; i < m->nprotos; i++)
		if (strcmp(m->protos[i], name) == 0)
			return 1;
	return m->match != NULL && m->match(name, tlen, m->match_arg) != 0;
}

static int
mss_listener_message(struct pd_mss *m, const uint8_t *tok, size_t tlen)
{
	int r;

	if (m->nanswered >= PD_MSS_MAX_PROPOSALS)
		return mss_fail(m, PD_ERR_OVERFLOW, "too many proposals, last",
		    tok, tlen);
	m->nanswered++;
	if (mss_token_is(tok, tlen, "ls"))
		return mss_answer_ls(m);
	if (!mss_listener_accepts(m, tok, tlen))
		return mss_write_str(m, "na");
	if ((r = mss_write_token(&m->out, (const char *)tok, tlen)) < 0)
		return mss_fail(m, r, "cannot queue output", NULL, 0);
	mss_succeed(m, tok, tlen);
	return 0;
}

static int
mss_dialer_message(struct pd_mss *m, const uint8_t *tok, size_t tlen)
{
	if (mss_token_is(tok, tlen, m->protos[m->cur])) {
		mss_succeed(m, tok, tlen);
		return 0;
	}
	if (!mss_token_is(tok, tlen, "na"))
		return mss_fail(m, PD_ERR_PROTOCOL, "unexpected answer", tok,
		    tlen);
	if (++m->cur == m->nprotos)
		return mss_fail(m, PD_ERR_UNSUPPORTED,
		    "remote refused every proposed protocol", NULL, 0);
	return mss_write_str(m, m->protos[m->cur]);
}

/* Handle the complete message m->msg[0..len), len >= 1. */
static int
mss_message(struct pd_mss *m, size_t len)
{
	const uint8_t *tok = m->msg;
	size_t tlen = len - 1;

	if (len == 0 || len > sizeof(m->msg))
		return mss_fail(m, PD_ERR_MALFORMED, "bad message length",
		    NULL, 0);
	if (m->msg[tlen] != '\n')
		return mss_fail(m, PD_ERR_MALFORMED,
		    "message without trailing newline", tok, len);
	if (tlen == 0)
		return mss_fail(m, PD_ERR_MALFORMED, "empty token", NULL, 0);
	for (size_t i = 0; i < tlen; i++)
		if (tok[i] < 0x20 || tok[i] == 0x7f)
			return mss_fail(m, PD_ERR_MALFORMED,
			    "control character in token", tok, tlen);
	if (!m->got_header) {
		if (!mss_token_is(tok, tlen, PD_MSS_PROTOCOL_ID))
			return mss_fail(m, PD_ERR_PROTOCOL,
			    "expected multistream header, got", tok, tlen);
		m->got_header = 1;
		return 0;
	}
	if (m->role == MSS_DIALER)
		return mss_dialer_message(m, tok, tlen);
	return mss_listener_message(m, tok, tlen);
}

/* Take one length-prefix byte; sets m->msglen once the prefix is whole. */
static int
mss_length_byte(struct pd_mss *m, uint8_t c)
{
	uint64_t v;
	int r;

	m->lenbuf[m->lenhave++] = c;
	r = pd_varint_decode(m->lenbuf, m->lenhave, &v);
	if (r == PD_ERR_TRUNCATED) {
		if (m->lenhave < MSS_LEN_BYTES)
			return 0;
		/* Two bytes still continuing: the value is >= 2^14. */
		return mss_fail(m, PD_ERR_OVERFLOW, "message too long", NULL,
		    0);
	}
	if (r < 0)
		return mss_fail(m, PD_ERR_MALFORMED, "bad length prefix", NULL,
		    0);
	if (v == 0)
		return mss_fail(m, PD_ERR_MALFORMED, "empty message", NULL, 0);
	if (v > PD_MSS_MAX_MSG)
		return mss_fail(m, PD_ERR_OVERFLOW, "message too long", NULL,
		    0);
	m->lenhave = 0;
	m->msglen = (size_t)v;
	m->msghave = 0;
	return 0;
}

int
pd_mss_feed(struct pd_mss *m, const uint8_t *data, size_t len,
    size_t *ret_used)
{
	size_t used = 0;
	int r;

	if (m->status != 0) {
		if (m->status > 0)
			*ret_used = 0;
		return m->status;
	}
	while (used < len) {
		if (m->msglen == 0) {
			if ((r = mss_length_byte(m, data[used++])) < 0)
				return r;
			continue;
		}
		size_t n = m->msglen - m->msghave;

		if (n > len - used)
			n = len - used;
		memcpy(m->msg + m->msghave, data + used, n);
		m->msghave += n;
		used += n;
		if (m->msghave < m->msglen)
			continue;
		n = m->msglen;
		m->msglen = 0;
		if ((r = mss_message(m, n)) < 0)
			return r;
		if (m->status == 1)
			break;
	}
	*ret_used = used;
	return m->status;
}

int
pd_mss_eof(struct pd_mss *m)
{
	if (m->status != 0)
		return m->status;
	return mss_fail(m, PD_ERR_CLOSED,
	    "remote closed before negotiation finished", NULL, 0);
}

struct pd_buf *
pd_mss_out(struct pd_mss *m)
{
	return &m->out;
}

int
pd_mss_status(const struct pd_mss *m)
{
	return m->status;
}

const char *
pd_mss_protocol(const struct pd_mss *m)
{
	return m->status == 1 ? m->chosen : NULL;
}

const char *
pd_mss_why(const struct pd_mss *m)
{
	return m->why;
}
