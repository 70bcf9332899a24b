/*
 * log.c - the library's logger: level filter, formatting into a bounded
 * line, and hand-off to the installed sink.  Process-wide on purpose: the
 * sink and level are a property of the hosting program, not of a node,
 * and several managers in one process share them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

static pd_log_sink_cb log_sink;
static void *log_sink_arg;
static pd_log_fields_sink_cb log_fields_sink;
static void *log_fields_sink_arg;
static enum pd_log_level log_level = PD_LOG_LEVEL_INFO;

void
pd_log_set_sink(pd_log_sink_cb cb, void *arg)
{
	log_sink = cb;
	log_sink_arg = arg;
}

void
pd_log_set_fields_sink(pd_log_fields_sink_cb cb, void *arg)
{
	log_fields_sink = cb;
	log_fields_sink_arg = arg;
}

void
pd_log_set_level(enum pd_log_level level)
{
	log_level = level;
}

enum pd_log_level
pd_log_get_level(void)
{
	return log_level;
}

static const struct {
	const char *name;
	enum pd_log_level level;
} log_levels[] = {
	{ "error", PD_LOG_LEVEL_ERR },
	{ "warn", PD_LOG_LEVEL_WARN },
	{ "info", PD_LOG_LEVEL_INFO },
	{ "debug", PD_LOG_LEVEL_DEBUG },
};

int
pd_log_level_parse(const char *s, enum pd_log_level *ret_level)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcmp(s, log_levels[i].name) == 0) {
			*ret_level = log_levels[i].level;
			return 0;
		}
	return -1;
}

const char *
pd_log_level_name(enum pd_log_level level)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "unknown";
}

int
pd_log_field_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '_')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i == PD_LOG_FIELD_NAME_MAX)
			return 0;
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	}
	return 1;
}

/* Format and hand one record to the installed sink. */
static void
log_emit(enum pd_log_level level, const struct pd_log_field *fields,
    size_t nfields, const char *fmt, va_list ap)
{
	struct pd_log_field kept[PD_LOG_MAX_FIELDS];
	char line[PD_LOG_LINE_MAX];
	size_t nkept = 0;

	line[0] = '\0';	/* defined even if vsnprintf fails */
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_fields_sink != NULL) {
		for (size_t i = 0; i < nfields && nkept < PD_LOG_MAX_FIELDS;
		    i++)
			if (fields[i].value != NULL &&
			    pd_log_field_name_ok(fields[i].name))
				kept[nkept++] = fields[i];
		log_fields_sink(level, line, nkept > 0 ? kept : NULL, nkept,
		    log_fields_sink_arg);
	} else if (log_sink != NULL)
		log_sink(level, line, log_sink_arg);
	else
		fprintf(stderr, "peerdisc: %s: %s\n", pd_log_level_name(level),
		    line);
}

void
pd_logv(enum pd_log_level level, const char *fmt, va_list ap)
{
	int saved_errno = errno;

	if (level > log_level)
		return;
	log_emit(level, NULL, 0, fmt, ap);
	errno = saved_errno;
}

void
pd_log_fields(enum pd_log_level level, const struct pd_log_field *fields,
    size_t nfields, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_emit(level, fields, nfields, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
pd_log(enum pd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pd_logv(level, fmt, ap);
	va_end(ap);
}

char *
pd_log_escape(const void *in, size_t inlen, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t o = 0, shown = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = p[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (shown >= PD_LOG_ESCAPE_MAX || o + need + 4 > outlen) {
			if (o + 4 <= outlen)
				memcpy(out + o, "...", 3), o += 3;
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
		shown++;
	}
	out[o] = '\0';
	return out;
}
