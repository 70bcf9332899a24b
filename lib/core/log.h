/*
 * log.h - logging through a sink callback.
 *
 * The library never writes to stderr or syslog itself: it formats a line
 * and hands it to the sink installed with pd_log_set_sink() (the daemon
 * installs stderr or the journal).  With no sink, lines go to stderr.
 * Untrusted strings (agent versions, namespaces, socket input) must pass
 * through pd_log_escape() before they are formatted into a message.
 * Logging preserves errno.
 */
#ifndef PD_CORE_LOG_H
#define PD_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum pd_log_level {
	PD_LOG_LEVEL_ERR = 3,	/* syslog priorities, so <N> prefixes map 1:1 */
	PD_LOG_LEVEL_WARN = 4,
	PD_LOG_LEVEL_INFO = 6,
	PD_LOG_LEVEL_DEBUG = 7,
};

#define PD_LOG_LINE_MAX 1024	/* longer messages are truncated */
#define PD_LOG_ESCAPE_MAX 128	/* untrusted strings: output chars kept */

/* A sink receives one formatted line without a trailing newline. */
typedef void (*pd_log_sink_cb)(enum pd_log_level level, const char *msg,
    void *arg);

/*
 * One structured field of a log record, for sinks that keep them (the
 * journal: PEER_ID=, REMOTE_ADDR=).  name is upper-case [A-Z0-9_], not
 * starting with '_', at most PD_LOG_FIELD_NAME_MAX chars; value is a
 * NUL-terminated string, escaped if untrusted.  Both borrowed.
 */
struct pd_log_field {
	const char *name;
	const char *value;
};

#define PD_LOG_MAX_FIELDS 8		/* fields per record; more are dropped */
#define PD_LOG_FIELD_NAME_MAX 64	/* chars of a field name */

/*
 * A sink that also receives the fields (nfields is 0 for records from
 * pd_log()/pd_logv(); fields may then be NULL).
 */
typedef void (*pd_log_fields_sink_cb)(enum pd_log_level level,
    const char *msg, const struct pd_log_field *fields, size_t nfields,
    void *arg);

/* Install the sink (NULL restores the stderr default). */
void pd_log_set_sink(pd_log_sink_cb cb, void *arg);
/*
 * Install a fields sink (NULL removes it).  While one is installed it
 * receives every record and the plain sink is not called.
 */
void pd_log_set_fields_sink(pd_log_fields_sink_cb cb, void *arg);
/* Messages above this level are dropped before formatting. */
void pd_log_set_level(enum pd_log_level level);
enum pd_log_level pd_log_get_level(void);
/* Parse "error", "warn", "info", "debug"; 0 on success, -1 otherwise. */
int pd_log_level_parse(const char *s, enum pd_log_level *ret_level);
const char *pd_log_level_name(enum pd_log_level level);

void pd_log(enum pd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pd_logv(enum pd_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/*
 * Like pd_log(), with fields[0..nfields) attached (at most
 * PD_LOG_MAX_FIELDS are passed on; fields with a NULL value or an invalid
 * name are skipped).  A plain sink gets the message only, so the message
 * itself must still say what matters (the peer, the address).
 */
void pd_log_fields(enum pd_log_level level, const struct pd_log_field *fields,
    size_t nfields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* True if name is a valid field name (see struct pd_log_field). */
int pd_log_field_name_ok(const char *name);

/*
 * Escape untrusted bytes for a log line: printable ASCII is kept, anything
 * else (and backslash) becomes \xNN; output is cut at PD_LOG_ESCAPE_MAX
 * characters with "..." appended.  Writes a NUL-terminated string into
 * out (outlen >= 4*PD_LOG_ESCAPE_MAX+4 is always enough) and returns out.
 */
char *pd_log_escape(const void *in, size_t inlen, char *out, size_t outlen);

#define PD_LOG_ERR(...)   pd_log(PD_LOG_LEVEL_ERR, __VA_ARGS__)
#define PD_LOG_WARN(...)  pd_log(PD_LOG_LEVEL_WARN, __VA_ARGS__)
#define PD_LOG_INFO(...)  pd_log(PD_LOG_LEVEL_INFO, __VA_ARGS__)
#define PD_LOG_DEBUG(fmt, ...) \
	pd_log(PD_LOG_LEVEL_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__)

#endif
