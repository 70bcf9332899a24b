/*
 * parse.c - the shared value parsers: durations (ms s m h), booleans,
 * bounded unsigned integers, octal modes and whitespace-separated lists.
 * The daemon's config table, peerdiscctl's options and the control
 * methods all read values through here, so one spelling means the same
 * thing everywhere.  Everything is bounded and overflow-checked; nothing
 * allocates, and failures are explained in the caller's why buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/parse.h"

static void parse_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
parse_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

bool
pd_parse_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static bool
parse_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read the decimal digits at *p into *ret, advancing *p.  0 if at least
 * one digit was read, PD_ERR_MALFORMED if none, PD_ERR_OVERFLOW if the
 * number does not fit 64 bits (or has absurdly many digits).
 */
static int
parse_digits(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;

	while (parse_is_digit((unsigned char)s[n])) {
		unsigned int d = (unsigned int)(s[n] - '0');

		if (n >= PD_PARSE_MAX_DIGITS || v > (UINT64_MAX - d) / 10)
			return PD_ERR_OVERFLOW;
		v = v * 10 + d;
		n++;
	}
	if (n == 0)
		return PD_ERR_MALFORMED;
	*p = s + n;
	*ret = v;
	return 0;
}

int
pd_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret_value,
    char *why, size_t whylen)
{
	const char *p = s;
	uint64_t v;
	int r;

	if ((r = parse_digits(&p, &v)) == PD_ERR_OVERFLOW) {
		parse_why(why, whylen, "number too large");
		return r;
	}
	if (r < 0 || *p != '\0') {
		parse_why(why, whylen, "expected a whole number");
		return PD_ERR_MALFORMED;
	}
	if (v < min || v > max) {
		parse_why(why, whylen, "out of range (%llu..%llu)",
		    (unsigned long long)min, (unsigned long long)max);
		return PD_ERR_OVERFLOW;
	}
	*ret_value = v;
	return 0;
}

/* Units from the largest down; a duration's terms must follow this order. */
static const struct {
	const char *name;
	uint64_t ms;
} parse_units[] = {
	{ "h", 3600000 },
	{ "m", 60000 },
	{ "s", 1000 },
	{ "ms", 1 },
};
#define PARSE_NUNITS (sizeof(parse_units) / sizeof(parse_units[0]))

/* Index of the unit spelled at *p (longest match), advancing *p; or -1. */
static int
parse_unit(const char **p)
{
	const char *s = *p;

	if (s[0] == 'm' && s[1] == 's') {
		*p = s + 2;
		return 3;
	}
	for (int i = 0; i < 3; i++)
		if (s[0] == parse_units[i].name[0]) {
			*p = s + 1;
			return i;
		}
	return -1;
}

int
pd_parse_duration(const char *s, uint64_t min_ms, uint64_t max_ms,
    uint64_t *ret_ms, char *why, size_t whylen)
{
	static const char syntax[] =
	    "expected a duration such as 250ms, 30s, 5m or 1h30m";
	const char *p = s;
	uint64_t total = 0, v;
	int last = -1, unit, r;

	if (strcmp(s, "0") == 0) {
		p = s + 1;
		goto bounds;
	}
	while (*p != '\0') {
		if ((r = parse_digits(&p, &v)) == PD_ERR_OVERFLOW)
			goto too_large;
		if (r < 0) {
			parse_why(why, whylen, "%s", syntax);
			return PD_ERR_MALFORMED;
		}
		if ((unit = parse_unit(&p)) < 0) {
			parse_why(why, whylen, "%s", syntax);
			return PD_ERR_MALFORMED;
		}
		if (unit <= last) {
			parse_why(why, whylen, "units must go from large to "
			    "small, each once (h m s ms)");
			return PD_ERR_MALFORMED;
		}
		last = unit;
		if (v > UINT64_MAX / parse_units[unit].ms)
			goto too_large;
		v *= parse_units[unit].ms;
		if (total > UINT64_MAX - v)
			goto too_large;
		total += v;
	}
	if (last < 0) {
		parse_why(why, whylen, "%s", syntax);
		return PD_ERR_MALFORMED;
	}
bounds:
	if (total < min_ms || total > max_ms) {
		char lo[PD_PARSE_DURATION_TEXT_MAX];
		char hi[PD_PARSE_DURATION_TEXT_MAX];

		(void)pd_parse_duration_format(min_ms, lo, sizeof(lo));
		(void)pd_parse_duration_format(max_ms, hi, sizeof(hi));
		parse_why(why, whylen, "out of range (%s..%s)", lo, hi);
		return PD_ERR_OVERFLOW;
	}
	*ret_ms = total;
	return 0;
too_large:
	parse_why(why, whylen, "duration too large");
	return PD_ERR_OVERFLOW;
}

int
pd_parse_duration_format(uint64_t ms, char *out, size_t outlen)
{
	size_t i = 0;
	int n;

	if (ms != 0)
		while (i < PARSE_NUNITS - 1 && ms % parse_units[i].ms != 0)
			i++;
	else
		i = 2;	/* "0s" */
	n = snprintf(out, outlen, "%llu%s",
	    (unsigned long long)(ms / parse_units[i].ms), parse_units[i].name);
	if (n < 0 || (size_t)n >= outlen)
		return PD_ERR_OVERFLOW;
	return n;
}

int
pd_parse_bool(const char *s, bool *ret_value, char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret_value = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret_value = false;
			return 0;
		}
	}
	parse_why(why, whylen, "expected yes/no, true/false, on/off or 1/0");
	return PD_ERR_MALFORMED;
}

int
pd_parse_mode(const char *s, unsigned int max, unsigned int *ret_mode,
    char *why, size_t whylen)
{
	unsigned int v = 0;
	size_t n;

	if (max > PD_PARSE_MAX_MODE)
		max = PD_PARSE_MAX_MODE;
	for (n = 0; s[n] >= '0' && s[n] <= '7'; n++) {
		if (n >= PD_PARSE_MAX_DIGITS) {
			parse_why(why, whylen, "mode too large");
			return PD_ERR_OVERFLOW;
		}
		v = v * 8 + (unsigned int)(s[n] - '0');
		if (v > PD_PARSE_MAX_MODE) {
			parse_why(why, whylen, "out of range (0..%04o)", max);
			return PD_ERR_OVERFLOW;
		}
	}
	if (n == 0 || s[n] != '\0') {
		parse_why(why, whylen, "expected an octal mode such as 0660");
		return PD_ERR_MALFORMED;
	}
	if (v > max) {
		parse_why(why, whylen, "out of range (0..%04o)", max);
		return PD_ERR_OVERFLOW;
	}
	*ret_mode = v;
	return 0;
}

int
pd_parse_list_next(const char **cursor, const char **ret_item,
    size_t *ret_len)
{
	const char *p = *cursor;
	size_t n = 0;

	while (*p != '\0' && pd_parse_is_space((unsigned char)*p))
		p++;
	if (*p == '\0') {
		*cursor = p;
		return 0;
	}
	while (p[n] != '\0' && !pd_parse_is_space((unsigned char)p[n]))
		n++;
	*ret_item = p;
	*ret_len = n;
	*cursor = p + n;
	return 1;
}

size_t
pd_parse_list_count(const char *s)
{
	const char *item;
	size_t len, n = 0;

	while (pd_parse_list_next(&s, &item, &len) == 1)
		n++;
	return n;
}
