/*
 * error.h - library-wide error codes.
 *
 * Functions in lib/ that can fail return 0 on success or a negative
 * PD_ERR_* value.  System errors may also be returned as -errno; the
 * PD_ERR_* values sit far below any errno so the two never collide.
 */
#ifndef PD_CORE_ERROR_H
#define PD_CORE_ERROR_H

enum pd_err {
	PD_OK = 0,
	PD_ERR_BASE = -10000,
	PD_ERR_NOMEM = PD_ERR_BASE,	/* out of memory */
	PD_ERR_INVAL,			/* invalid argument */
	PD_ERR_TRUNCATED,		/* input ends too early */
	PD_ERR_OVERFLOW,		/* value or size over its limit */
	PD_ERR_NOT_MINIMAL,		/* non-minimal varint encoding */
	PD_ERR_MALFORMED,		/* input does not parse */
	PD_ERR_UNSUPPORTED,		/* valid, but not something we handle */
	PD_ERR_BAD_SIGNATURE,		/* signature does not verify */
	PD_ERR_BAD_KEY,			/* key material is invalid */
	PD_ERR_PERM,			/* file permissions refused */
	PD_ERR_IO,			/* read/write failure (see errno) */
	PD_ERR_PEER_LIMIT,		/* peer limit reached */
	PD_ERR_PEER_NOT_FOUND,		/* no such peer */
	PD_ERR_DIAL_FAILED,		/* could not connect */
	PD_ERR_TIMEOUT,			/* timed out */
	PD_ERR_PERMISSION_DENIED,	/* caller may not do this */
	PD_ERR_UNAVAILABLE,		/* component disabled */
	PD_ERR_EXISTS,			/* already exists */
	PD_ERR_NOT_FOUND,		/* no such object */
	PD_ERR_PROTOCOL,		/* remote broke the protocol */
	PD_ERR_CLOSED,			/* connection or stream closed */
	PD_ERR_AGAIN,			/* over a rate or budget: try later */
	PD_ERR_LAST_			/* keep last */
};

/*
 * Return a static, human-readable description of err (a PD_ERR_* value or
 * a negative errno).  Never returns NULL.
 */
const char *pd_strerror(int err);

#endif
