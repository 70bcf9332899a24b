/*
 * error.c - names for PD_ERR_* codes.  Used by every layer and by the
 * daemon to turn return codes into log lines and RPC error reasons.
 */
#include <string.h>

#include "core/error.h"

static const char *const error_names[] = {
	[PD_ERR_NOMEM - PD_ERR_BASE] = "out of memory",
	[PD_ERR_INVAL - PD_ERR_BASE] = "invalid argument",
	[PD_ERR_TRUNCATED - PD_ERR_BASE] = "input truncated",
	[PD_ERR_OVERFLOW - PD_ERR_BASE] = "value too large",
	[PD_ERR_NOT_MINIMAL - PD_ERR_BASE] = "varint not minimally encoded",
	[PD_ERR_MALFORMED - PD_ERR_BASE] = "malformed input",
	[PD_ERR_UNSUPPORTED - PD_ERR_BASE] = "not supported",
	[PD_ERR_BAD_SIGNATURE - PD_ERR_BASE] = "bad signature",
	[PD_ERR_BAD_KEY - PD_ERR_BASE] = "invalid key",
	[PD_ERR_PERM - PD_ERR_BASE] = "unsafe file permissions",
	[PD_ERR_IO - PD_ERR_BASE] = "input/output error",
	[PD_ERR_PEER_LIMIT - PD_ERR_BASE] = "peer limit reached",
	[PD_ERR_PEER_NOT_FOUND - PD_ERR_BASE] = "peer not found",
	[PD_ERR_DIAL_FAILED - PD_ERR_BASE] = "dial failed",
	[PD_ERR_TIMEOUT - PD_ERR_BASE] = "timed out",
	[PD_ERR_PERMISSION_DENIED - PD_ERR_BASE] = "permission denied",
	[PD_ERR_UNAVAILABLE - PD_ERR_BASE] = "unavailable",
	[PD_ERR_EXISTS - PD_ERR_BASE] = "already exists",
	[PD_ERR_NOT_FOUND - PD_ERR_BASE] = "not found",
	[PD_ERR_PROTOCOL - PD_ERR_BASE] = "protocol violation",
	[PD_ERR_CLOSED - PD_ERR_BASE] = "closed",
	[PD_ERR_AGAIN - PD_ERR_BASE] = "over a rate limit or budget; try again later",
};

_Static_assert(sizeof(error_names) / sizeof(error_names[0]) ==
    PD_ERR_LAST_ - PD_ERR_BASE, "every PD_ERR_* code needs a name");

const char *
pd_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err >= PD_ERR_BASE && err < PD_ERR_LAST_) {
		/* A code added in the middle without a name is still named. */
		const char *s = error_names[err - PD_ERR_BASE];

		return s != NULL ? s : "unknown error";
	}
	if (err < 0 && err > PD_ERR_BASE)
		return strerror(-err);
	return "unknown error";
}
