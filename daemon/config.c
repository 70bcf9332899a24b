/*
 * config.c - reads peerdiscd.conf into a fresh struct pd_config, driven
 * by pd_config_table: defaults come from the rows' text, inih splits the
 * file into key/value pairs, each value goes through its row's type
 * parser (lib/core/parse.c, multiaddr, peer ID) and check, derived paths
 * are resolved with paths.c, and cross-key rules run last.  Every problem
 * is collected as "FILE:LINE: section.key: message" instead of stopping
 * at the first.  Also prints a config back in conf syntax and moves live
 * keys from a reloaded config into the running one.  Called by main.c
 * (start, --check-config, --print-config, SIGHUP) and by the tests.
 *
 * inih hands us neither line numbers nor more than the first syntax
 * error, so it reads through config_reader(), which feeds it one physical
 * line at a time, counts lines, strips a BOM, refuses over-long lines and
 * NUL bytes, and reports the lines inih would reject (blanking them so
 * inih stays quiet).  The reader mirrors inih's own rules for comments,
 * sections and continuation lines so both agree on what each line is.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/peerid.h"
#include "config.h"
#include "paths.h"

#define CONFIG_WHY_MAX 256		/* reason buffers */
#define CONFIG_ESCAPED_MAX (4 * PD_LOG_ESCAPE_MAX + 4)

/* State shared by the reader and the handler during one parse. */
struct config_parser {
	const char *name;		/* file name for messages */
	const char *p, *end;		/* input not yet read */
	int lineno;			/* line last given to inih, from 1 */
	bool cont;			/* that line continues a value */
	bool prev_name;			/* inih has a key to continue */
	bool section_bad;		/* inside an unknown section */
	const struct pd_config_row *row; /* row of the last key line, or
					    NULL if it was rejected */
	bool list_full;			/* row's list hit its cap */
	int set_line[PD_CONFIG_MAX_KEYS]; /* per row: line that set it, or 0 */
	struct pd_config *cfg;
	struct pd_config_errors *errs;
};

/* ---- errors --------------------------------------------------------- */

void
config_errors_add(struct pd_config_errors *errs, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int r;

	if (errs->n >= PD_CONFIG_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		errs->dropped++;
		return;
	}
	errs->msgs[errs->n++] = msg;
}

void
config_errors_print(FILE *f, const struct pd_config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(f, "%s\n", errs->msgs[i]);
	if (errs->dropped > 0)
		fprintf(f, "(%zu more errors not shown)\n", errs->dropped);
}

void
config_errors_clear(struct pd_config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	memset(errs, 0, sizeof(*errs));
}

/* "FILE:LINE: section.key: message"; line 0 leaves out the line. */
static void config_error(struct config_parser *cp, int line,
    const struct pd_config_row *row, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
config_error(struct config_parser *cp, int line,
    const struct pd_config_row *row, const char *fmt, ...)
{
	char msg[CONFIG_WHY_MAX + CONFIG_ESCAPED_MAX], where[32] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (row != NULL)
		config_errors_add(cp->errs, "%s%s: %s.%s: %s", cp->name, where,
		    row->section, row->key, msg);
	else
		config_errors_add(cp->errs, "%s%s: %s", cp->name, where, msg);
}

/* Escape untrusted text for a message. */
static const char *
config_esc(const char *s, size_t n, char *buf, size_t len)
{
	return pd_log_escape(s, n, buf, len);
}

/* ---- the table -------------------------------------------------------- */

const struct pd_config_row *
config_row_find(const char *section, const char *key)
{
	for (size_t i = 0; i < pd_config_table_len; i++)
		if (strcmp(pd_config_table[i].section, section) == 0 &&
		    strcmp(pd_config_table[i].key, key) == 0)
			return &pd_config_table[i];
	return NULL;
}

bool
config_section_known(const char *section)
{
	for (size_t i = 0; i < pd_config_table_len; i++)
		if (strcmp(pd_config_table[i].section, section) == 0)
			return true;
	return false;
}

static void *
config_field(const struct pd_config_row *row, const struct pd_config *cfg)
{
	return (char *)cfg + row->offset;
}

static size_t
config_type_size(enum pd_config_type type)
{
	switch (type) {
	case PD_CONFIG_BOOL:
		return sizeof(bool);
	case PD_CONFIG_UINT:
	case PD_CONFIG_MODE:
		return sizeof(unsigned int);
	case PD_CONFIG_DURATION:
		return sizeof(uint64_t);
	case PD_CONFIG_STRING:
	case PD_CONFIG_PATH:
		return sizeof(char *);
	case PD_CONFIG_LIST:
	case PD_CONFIG_MULTIADDR_LIST:
	case PD_CONFIG_PEERID_LIST:
		return sizeof(struct pd_config_list);
	case PD_CONFIG_ENUM:
	case PD_CONFIG_LOGLEVEL:
		return sizeof(int);
	}
	return 0;
}

static bool
config_is_list(enum pd_config_type type)
{
	return type == PD_CONFIG_LIST || type == PD_CONFIG_MULTIADDR_LIST ||
	    type == PD_CONFIG_PEERID_LIST;
}

static void
config_list_clear(struct pd_config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Append an owned copy of item.  0, or -1 on OOM. */
static int
config_list_add(struct pd_config_list *l, const char *item)
{
	char **items, *copy;

	if ((copy = strdup(item)) == NULL)
		return -1;
	if ((items = realloc(l->items, (l->n + 1) * sizeof(*items))) == NULL) {
		free(copy);
		return -1;
	}
	items[l->n++] = copy;
	l->items = items;
	return 0;
}

/* Replace an owned string.  0, or -1 on OOM (old value kept). */
static int
config_string_set(char **field, const char *value)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

void
config_clear(struct pd_config *cfg)
{
	for (size_t i = 0; i < pd_config_table_len; i++) {
		const struct pd_config_row *row = &pd_config_table[i];

		if (row->type == PD_CONFIG_STRING ||
		    row->type == PD_CONFIG_PATH)
			free(*(char **)config_field(row, cfg));
		else if (config_is_list(row->type))
			config_list_clear(config_field(row, cfg));
	}
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- values ---------------------------------------------------------- */

/*
 * Text that must survive being printed and read back: no control bytes,
 * and nothing inih would take for a comment (';' after whitespace or at
 * the start, '#' starting a continuation line).
 */
static int
config_check_text(const char *s, bool item, char *why, size_t whylen)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(why, whylen, "control characters are not "
			    "allowed");
			return -1;
		}
		if (c == ';' && (i == 0 || isspace((unsigned char)s[i - 1]))) {
			snprintf(why, whylen, "';' after a space starts a "
			    "comment");
			return -1;
		}
	}
	if (item && s[0] == '#') {
		snprintf(why, whylen, "an item cannot start with '#'");
		return -1;
	}
	return 0;
}

/* Scalar string or path: validate value and store it. */
static int
config_set_string(const struct pd_config_row *row, struct pd_config *cfg,
    const char *value, char *why, size_t whylen)
{
	if (strlen(value) > PD_CONFIG_MAX_STRING) {
		snprintf(why, whylen, "longer than %d characters",
		    PD_CONFIG_MAX_STRING);
		return -1;
	}
	if (config_check_text(value, false, why, whylen) < 0)
		return -1;
	if (row->type == PD_CONFIG_PATH && value[0] != '\0' &&
	    value[0] != '/') {
		snprintf(why, whylen, "expected an absolute path");
		return -1;
	}
	if (row->check != NULL && (value[0] != '\0' || !row->derived) &&
	    row->check(value, why, whylen) < 0)
		return -1;
	if (config_string_set(config_field(row, cfg), value) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* The row if text starts with "KEY =" or "KEY:" for a key of section. */
static const struct pd_config_row *
config_indented_key(const char *section, const char *text)
{
	char key[PD_CONFIG_MAX_SECTION + 1];
	size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz_");
	const char *p = text + n;

	if (n == 0 || n >= sizeof(key))
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=' && *p != ':')
		return NULL;
	memcpy(key, text, n);
	key[n] = '\0';
	return config_row_find(section, key);
}

/*
 * One list item of len bytes: canonicalize it by type into out
 * (PD_MULTIADDR_MAX_TEXT + 1 bytes) and check it.
 */
static int
config_list_item(const struct pd_config_row *row, const char *item,
    size_t len, char *out, size_t outlen, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	struct pd_peerid id;
	int r;

	if (len > PD_CONFIG_MAX_ITEM) {
		snprintf(why, whylen, "longer than %d characters",
		    PD_CONFIG_MAX_ITEM);
		return -1;
	}
	switch (row->type) {
	case PD_CONFIG_MULTIADDR_LIST:
		if (pd_multiaddr_parse_n(item, len, &ma, why, whylen) < 0)
			return -1;
		if (pd_multiaddr_format(&ma, out, outlen) < 0) {
			snprintf(why, whylen, "cannot format the address");
			return -1;
		}
		break;
	case PD_CONFIG_PEERID_LIST:
		if ((r = pd_peerid_parse(item, len, &id)) < 0) {
			snprintf(why, whylen, "not a peer ID (%s)",
			    pd_strerror(r));
			return -1;
		}
		if (pd_peerid_format(&id, out, outlen) < 0) {
			snprintf(why, whylen, "cannot format the peer ID");
			return -1;
		}
		break;
	default:
		snprintf(out, outlen, "%.*s", (int)len, item);
		break;
	}
	if (strlen(out) > PD_CONFIG_MAX_ITEM) {
		snprintf(why, whylen, "longer than %d characters when written "
		    "canonically", PD_CONFIG_MAX_ITEM);
		return -1;
	}
	if (config_check_text(out, true, why, whylen) < 0)
		return -1;
	/* printed on a continuation line, it must not read as a key */
	if (config_indented_key(row->section, out) != NULL) {
		snprintf(why, whylen, "an item cannot look like 'key =' of "
		    "this section");
		return -1;
	}
	if (row->check != NULL && row->check(out, why, whylen) < 0)
		return -1;
	return 0;
}

/*
 * Add the items of value to row's list (cleared first unless append),
 * reporting each bad item.  Returns the number of errors reported.
 */
static int
config_set_list(struct config_parser *cp, const struct pd_config_row *row,
    const char *value, bool append, int line)
{
	struct pd_config_list *l = config_field(row, cp->cfg);
	char canon[PD_MULTIADDR_MAX_TEXT + 1], why[CONFIG_WHY_MAX];
	char esc[CONFIG_ESCAPED_MAX];
	const char *cursor = value, *item;
	size_t len;
	int nerr = 0;

	if (!append) {
		config_list_clear(l);
		cp->list_full = false;
	}
	while (pd_parse_list_next(&cursor, &item, &len) == 1) {
		why[0] = '\0';
		if (config_list_item(row, item, len, canon, sizeof(canon), why,
		    sizeof(why)) < 0) {
			config_error(cp, line, row, "'%s': %s",
			    config_esc(item, len, esc, sizeof(esc)), why);
			nerr++;
			continue;
		}
		if (l->n >= row->max) {
			if (!cp->list_full)
				config_error(cp, line, row, "more than %llu "
				    "%s", (unsigned long long)row->max,
				    row->unit != NULL ? row->unit : "items");
			cp->list_full = true;
			nerr++;
			break;
		}
		if (config_list_add(l, canon) < 0) {
			config_error(cp, line, row, "out of memory");
			return nerr + 1;
		}
	}
	return nerr;
}

/* "expected a, b or c" */
static void
config_choices_why(const char *const *choices, char *why, size_t whylen)
{
	size_t off;
	int n;

	n = snprintf(why, whylen, "expected");
	for (size_t i = 0; choices[i] != NULL && n >= 0; i++) {
		off = (size_t)n < whylen ? (size_t)n : whylen;
		n += snprintf(why + off, whylen - off, "%s%s",
		    i == 0 ? " " : choices[i + 1] == NULL ? " or " : ", ",
		    choices[i]);
	}
}

/* Scalar types: parse value into row's field.  0, or -1 with why. */
static int
config_set_scalar(const struct pd_config_row *row, struct pd_config *cfg,
    const char *value, char *why, size_t whylen)
{
	void *field = config_field(row, cfg);
	uint64_t u;
	enum pd_log_level level;

	switch (row->type) {
	case PD_CONFIG_BOOL:
		return pd_parse_bool(value, field, why, whylen) < 0 ? -1 : 0;
	case PD_CONFIG_UINT:
		if (pd_parse_uint(value, row->min, row->max, &u, why,
		    whylen) < 0)
			return -1;
		*(unsigned int *)field = (unsigned int)u;
		return 0;
	case PD_CONFIG_DURATION:
		return pd_parse_duration(value, row->min, row->max, field, why,
		    whylen) < 0 ? -1 : 0;
	case PD_CONFIG_MODE:
		return pd_parse_mode(value, (unsigned int)row->max, field, why,
		    whylen) < 0 ? -1 : 0;
	case PD_CONFIG_ENUM:
		for (int i = 0; row->choices[i] != NULL; i++)
			if (strcmp(value, row->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		config_choices_why(row->choices, why, whylen);
		return -1;
	case PD_CONFIG_LOGLEVEL:
		if (pd_log_level_parse(value, &level) < 0) {
			snprintf(why, whylen, "expected error, warn, info or "
			    "debug");
			return -1;
		}
		*(int *)field = (int)level;
		return 0;
	case PD_CONFIG_STRING:
	case PD_CONFIG_PATH:
		return config_set_string(row, cfg, value, why, whylen);
	default:
		snprintf(why, whylen, "not a scalar key");
		return -1;
	}
}

/* Set one key from a key line's value, reporting problems at line. */
static void
config_set(struct config_parser *cp, const struct pd_config_row *row,
    const char *value, int line)
{
	char why[CONFIG_WHY_MAX] = "", esc[CONFIG_ESCAPED_MAX];

	if (config_is_list(row->type)) {
		(void)config_set_list(cp, row, value, false, line);
		return;
	}
	if (config_set_scalar(row, cp->cfg, value, why, sizeof(why)) < 0)
		config_error(cp, line, row, "'%s': %s",
		    config_esc(value, strlen(value), esc, sizeof(esc)), why);
}

/* ---- inih glue ------------------------------------------------------- */

static size_t
config_row_index(const struct pd_config_row *row)
{
	return (size_t)(row - pd_config_table);
}

/*
 * inih's find_chars_or_comment(): the first of chars, or of an inline
 * ';' comment (one that follows whitespace), or the end.
 */
static const char *
config_find(const char *s, const char *e, const char *chars)
{
	bool was_space = false;

	for (; s < e; s++) {
		if (chars != NULL && strchr(chars, *s) != NULL)
			break;
		if (was_space && *s == ';')
			break;
		was_space = isspace((unsigned char)*s);
	}
	return s;
}

/* A continuation line: strip an inline comment, then append items. */
static void
config_continue(struct config_parser *cp, const char *value)
{
	const char *end = config_find(value, value + strlen(value), NULL);
	const struct pd_config_row *key;
	char buf[PD_CONFIG_MAX_LINE + 1];
	size_t n = (size_t)(end - value);

	if (cp->row == NULL || cp->section_bad)
		return;		/* its key line was already reported */
	if ((key = config_indented_key(cp->row->section, value)) != NULL) {
		config_error(cp, cp->lineno, key, "indented, so it reads as a "
		    "continuation of %s.%s; keys must not be indented",
		    cp->row->section, cp->row->key);
		return;
	}
	if (!config_is_list(cp->row->type)) {
		config_error(cp, cp->lineno, cp->row, "indented line continues "
		    "the value, but only lists may span lines");
		return;
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, value, n);
	buf[n] = '\0';
	(void)config_set_list(cp, cp->row, buf, true, cp->lineno);
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parser *cp = user;
	const struct pd_config_row *row;
	char esc[CONFIG_ESCAPED_MAX], esc2[CONFIG_ESCAPED_MAX];
	size_t i;

	if (cp->cont) {
		config_continue(cp, value);
		return 1;
	}
	cp->row = NULL;
	if (cp->section_bad)
		return 1;	/* reported at the section header */
	if (section[0] == '\0') {
		config_error(cp, cp->lineno, NULL, "%s: key outside any "
		    "[section]", config_esc(name, strlen(name), esc,
		    sizeof(esc)));
		return 1;
	}
	if ((row = config_row_find(section, name)) == NULL) {
		config_error(cp, cp->lineno, NULL, "%s.%s: unknown key",
		    config_esc(section, strlen(section), esc, sizeof(esc)),
		    config_esc(name, strlen(name), esc2, sizeof(esc2)));
		return 1;
	}
	i = config_row_index(row);
	if (cp->set_line[i] != 0) {
		config_error(cp, cp->lineno, row, "duplicate key (first set on "
		    "line %d)", cp->set_line[i]);
		return 1;
	}
	cp->set_line[i] = cp->lineno;
	cp->row = row;
	config_set(cp, row, value, cp->lineno);
	return 1;
}

/*
 * Classify a section line start[0..e) ('[' first): 0 and the name, or
 * -1 with a reason, following inih's rules plus: nothing after ']'.
 */
static int
config_section_line(const char *start, const char *e, const char **ret_name,
    size_t *ret_len, const char **ret_why)
{
	const char *close = config_find(start + 1, e, "]"), *rest;

	if (close >= e || *close != ']') {
		*ret_why = "malformed section header; expected [name]";
		return -1;
	}
	rest = close + 1;
	while (rest < e && isspace((unsigned char)*rest))
		rest++;
	if (rest < e && !(*rest == ';' && isspace((unsigned char)rest[-1]))) {
		*ret_why = "unexpected text after the section header";
		return -1;
	}
	*ret_name = start + 1;
	*ret_len = (size_t)(close - start - 1);
	return 0;
}

/*
 * Look at one physical line and decide what inih will make of it.
 * Returns true if the line goes to inih as is, false if it must be
 * blanked (comment, blank, or an error reported here).
 */
static bool
config_classify(struct config_parser *cp, const char *line, size_t len)
{
	const char *e = line + len, *start = line, *name, *why, *sep;
	char sec[PD_CONFIG_MAX_SECTION + 1], esc[CONFIG_ESCAPED_MAX];
	size_t n;

	cp->cont = false;
	while (e > line && isspace((unsigned char)e[-1]))
		e--;
	while (start < e && isspace((unsigned char)*start))
		start++;
	if (start == e || *start == '#' || *start == ';')
		return false;
	if (cp->prev_name && start > line) {
		cp->cont = true;
		return true;
	}
	if (*start == '[') {
		if (config_section_line(start, e, &name, &n, &why) < 0) {
			config_error(cp, cp->lineno, NULL, "%s", why);
			cp->section_bad = true;	/* skip its keys */
			return false;
		}
		cp->prev_name = false;
		memset(sec, 0, sizeof(sec));
		memcpy(sec, name, n < sizeof(sec) - 1 ? n : sizeof(sec) - 1);
		cp->section_bad = n >= sizeof(sec) ||
		    !config_section_known(sec);
		if (cp->section_bad)
			config_error(cp, cp->lineno, NULL, "[%s]: unknown "
			    "section", config_esc(name, n, esc, sizeof(esc)));
		return true;
	}
	sep = config_find(start, e, "=:");
	if (sep >= e || (*sep != '=' && *sep != ':')) {
		config_error(cp, cp->lineno, NULL, "expected 'key = value' or "
		    "'[section]'");
		cp->row = NULL;
		return false;
	}
	cp->prev_name = true;
	return true;
}

/* inih's fgets: hand over exactly one physical line per call. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_parser *cp = stream;
	const char *line, *nl;
	size_t len, max;

	if (cp->p >= cp->end || num < 4)
		return NULL;
	max = (size_t)num - 3;
	if (max > PD_CONFIG_MAX_LINE)
		max = PD_CONFIG_MAX_LINE;
	line = cp->p;
	nl = memchr(line, '\n', (size_t)(cp->end - line));
	len = nl != NULL ? (size_t)(nl - line) : (size_t)(cp->end - line);
	cp->p = line + len + (nl != NULL);
	cp->lineno++;
	cp->cont = false;
	if (cp->lineno == 1 && len >= 3 &&
	    memcmp(line, "\xef\xbb\xbf", 3) == 0) {		/* UTF-8 BOM */
		line += 3;
		len -= 3;
	}
	if (memchr(line, '\0', len) != NULL) {
		config_error(cp, cp->lineno, NULL, "NUL byte in line");
		cp->row = NULL;		/* drop its continuation lines */
		len = 0;
	} else if (len > max) {
		config_error(cp, cp->lineno, NULL, "line longer than %zu "
		    "characters (split lists over indented lines)", max);
		cp->row = NULL;
		len = 0;
	} else if (!config_classify(cp, line, len))
		len = 0;
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/* ---- defaults, resolution, cross-key checks -------------------------- */

/* Load every row's default text; a failure is a bug in the table. */
static void
config_defaults(struct config_parser *cp)
{
	for (size_t i = 0; i < pd_config_table_len; i++)
		config_set(cp, &pd_config_table[i], pd_config_table[i].def, 0);
}

/*
 * Fill a derived path left empty with value (NULL: it could not be
 * built), checked like input so that --print-config output re-parses.
 */
static void
config_derive(struct config_parser *cp, const char *section, const char *key,
    const char *value)
{
	const struct pd_config_row *row = config_row_find(section, key);
	char **field = config_field(row, cp->cfg);
	char why[CONFIG_WHY_MAX] = "", esc[CONFIG_ESCAPED_MAX];

	if ((*field)[0] != '\0')
		return;
	if (value == NULL)
		config_error(cp, 0, row, "default path is too long; set it "
		    "explicitly");
	else if (config_set_string(row, cp->cfg, value, why, sizeof(why)) < 0)
		config_error(cp, 0, row, "default '%s' is unusable (%s); set "
		    "it explicitly", config_esc(value, strlen(value), esc,
		    sizeof(esc)), why);
}

static void
config_resolve(struct config_parser *cp, const struct paths_env *env)
{
	struct pd_config *cfg = cp->cfg;
	char buf[PATHS_MAX], why[CONFIG_WHY_MAX] = "";
	const struct pd_config_row *row = config_row_find("node", "state_dir");

	if (cfg->node_state_dir[0] == '\0') {
		if (paths_state_dir(env, buf, sizeof(buf), why,
		    sizeof(why)) < 0) {
			config_error(cp, 0, row, "%s", why);
			return;
		}
		config_derive(cp, "node", "state_dir", buf);
		if (cfg->node_state_dir[0] == '\0')
			return;
	}
	config_derive(cp, "node", "identity", paths_join(cfg->node_state_dir,
	    PATHS_IDENTITY_NAME, buf, sizeof(buf)) == 0 ? buf : NULL);
	config_derive(cp, "peers", "store_file", paths_join(
	    cfg->node_state_dir, PATHS_STORE_NAME, buf, sizeof(buf)) == 0 ?
	    buf : NULL);
	if (paths_socket(env, cfg->node_state_dir, buf, sizeof(buf), why,
	    sizeof(why)) < 0)
		config_error(cp, 0, config_row_find("control", "socket"), "%s",
		    why);
	else
		config_derive(cp, "control", "socket", buf);
}

/* Line where a key was set, or 0 for a default. */
static int
config_line_of(struct config_parser *cp, const char *section,
    const char *key)
{
	return cp->set_line[config_row_index(config_row_find(section, key))];
}

static void
config_cross_check(struct config_parser *cp)
{
	struct pd_config *cfg = cp->cfg;
	int l1, l2;

	if (cfg->peers_min_peers > cfg->peers_max_peers) {
		l1 = config_line_of(cp, "peers", "min_peers");
		l2 = config_line_of(cp, "peers", "max_peers");
		config_error(cp, l1 != 0 ? l1 : l2,
		    config_row_find("peers", "min_peers"), "%u is more than "
		    "peers.max_peers (%u)", cfg->peers_min_peers,
		    cfg->peers_max_peers);
	}
	if (cfg->node_identity != NULL && cfg->peers_store_file != NULL &&
	    cfg->node_identity[0] != '\0' &&
	    strcmp(cfg->node_identity, cfg->peers_store_file) == 0) {
		l1 = config_line_of(cp, "peers", "store_file");
		l2 = config_line_of(cp, "node", "identity");
		config_error(cp, l1 != 0 ? l1 : l2,
		    config_row_find("peers", "store_file"), "is the same file "
		    "as node.identity");
	}
}

/* ---- entry points ---------------------------------------------------- */

int
config_parse_buffer(const char *name, const char *data, size_t len,
    const struct paths_env *env, struct pd_config *cfg,
    struct pd_config_errors *errs)
{
	struct config_parser cp;
	size_t before = errs->n + errs->dropped;
	int r;

	assert(pd_config_table_len <= PD_CONFIG_MAX_KEYS);
	memset(&cp, 0, sizeof(cp));
	memset(cfg, 0, sizeof(*cfg));
	cp.name = name;
	cp.p = data;
	cp.end = data + len;
	cp.cfg = cfg;
	cp.errs = errs;
	config_defaults(&cp);
	if (len > PD_CONFIG_MAX_FILE)
		config_errors_add(errs, "%s: larger than %d bytes", name,
		    PD_CONFIG_MAX_FILE);
	else if (len > 0) {
		r = ini_parse_stream(config_reader, &cp, config_handler, &cp);
		if (r < 0)
			config_errors_add(errs, "%s: cannot parse: %s", name,
			    r == -2 ? "out of memory" : "read error");
		else if (r > 0 && errs->n + errs->dropped == before)
			config_errors_add(errs, "%s:%d: syntax error", name, r);
	}
	if (errs->n + errs->dropped == before)
		config_resolve(&cp, env);
	if (errs->n + errs->dropped == before)
		config_cross_check(&cp);
	if (errs->n + errs->dropped != before) {
		config_clear(cfg);
		return -1;
	}
	return 0;
}

int
config_load(const char *path, const struct paths_env *env,
    struct pd_config *cfg, struct pd_config_errors *errs)
{
	FILE *f;
	char *data;
	size_t len;
	int r;

	if (path == NULL)
		return config_parse_buffer("(built-in defaults)", "", 0, env,
		    cfg, errs);
	memset(cfg, 0, sizeof(*cfg));
	if ((f = fopen(path, "r")) == NULL) {
		config_errors_add(errs, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((data = malloc(PD_CONFIG_MAX_FILE + 1)) == NULL) {
		fclose(f);
		config_errors_add(errs, "%s: out of memory", path);
		return -1;
	}
	len = fread(data, 1, PD_CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		config_errors_add(errs, "%s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	r = config_parse_buffer(path, data, len, env, cfg, errs);
	free(data);
	return r;
}

/* ---- comparing, printing, reloading ---------------------------------- */

static bool
config_list_equal(const struct pd_config_list *a,
    const struct pd_config_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

bool
config_row_equal(const struct pd_config_row *row, const struct pd_config *a,
    const struct pd_config *b)
{
	const void *fa = config_field(row, a), *fb = config_field(row, b);
	const char *sa, *sb;

	switch (row->type) {
	case PD_CONFIG_STRING:
	case PD_CONFIG_PATH:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "") == 0;
	case PD_CONFIG_LIST:
	case PD_CONFIG_MULTIADDR_LIST:
	case PD_CONFIG_PEERID_LIST:
		return config_list_equal(fa, fb);
	default:
		return memcmp(fa, fb, config_type_size(row->type)) == 0;
	}
}

bool
config_equal(const struct pd_config *a, const struct pd_config *b)
{
	for (size_t i = 0; i < pd_config_table_len; i++)
		if (!config_row_equal(&pd_config_table[i], a, b))
			return false;
	return true;
}

void
config_format_value(const struct pd_config_row *row,
    const struct pd_config *cfg, char *buf, size_t len)
{
	const void *field = config_field(row, cfg);
	const struct pd_config_list *l;
	const char *s;
	size_t off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	switch (row->type) {
	case PD_CONFIG_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case PD_CONFIG_UINT:
		snprintf(buf, len, "%u", *(const unsigned int *)field);
		break;
	case PD_CONFIG_DURATION:
		if (pd_parse_duration_format(*(const uint64_t *)field, buf,
		    len) < 0)
			buf[0] = '\0';
		break;
	case PD_CONFIG_MODE:
		snprintf(buf, len, "%04o", *(const unsigned int *)field);
		break;
	case PD_CONFIG_ENUM:
		snprintf(buf, len, "%s", row->choices[*(const int *)field]);
		break;
	case PD_CONFIG_LOGLEVEL:
		snprintf(buf, len, "%s",
		    pd_log_level_name((enum pd_log_level)*(const int *)field));
		break;
	case PD_CONFIG_STRING:
	case PD_CONFIG_PATH:
		s = *(char *const *)field;
		snprintf(buf, len, "%s", s != NULL ? s : "");
		break;
	case PD_CONFIG_LIST:
	case PD_CONFIG_MULTIADDR_LIST:
	case PD_CONFIG_PEERID_LIST:
		l = field;
		for (size_t i = 0; i < l->n; i++) {
			n = snprintf(buf + off, len - off, "%s%s",
			    i > 0 ? " " : "", l->items[i]);
			if (n < 0 || (size_t)n >= len - off) {
				if (len >= 4)
					memcpy(buf + len - 4, "...", 4);
				break;
			}
			off += (size_t)n;
		}
		break;
	}
}

/* One "key = value" line, lists wrapped so no line passes the limit. */
static void
config_print_row(FILE *f, const struct pd_config_row *row,
    const struct pd_config *cfg)
{
	char buf[PD_MULTIADDR_MAX_TEXT + 1];
	const struct pd_config_list *l;
	size_t width;

	if (!config_is_list(row->type)) {
		config_format_value(row, cfg, buf, sizeof(buf));
		fprintf(f, "%s =%s%s\n", row->key, buf[0] != '\0' ? " " : "",
		    buf);
		return;
	}
	l = config_field(row, cfg);
	width = strlen(row->key) + 2;
	for (size_t i = 0; i < l->n; i++)
		width += 1 + strlen(l->items[i]);
	if (width <= PD_CONFIG_MAX_LINE) {
		fprintf(f, "%s =", row->key);
		for (size_t i = 0; i < l->n; i++)
			fprintf(f, " %s", l->items[i]);
		fputc('\n', f);
		return;
	}
	fprintf(f, "%s =\n", row->key);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "\t%s\n", l->items[i]);
}

int
config_print(FILE *f, const struct pd_config *cfg)
{
	const char *section = NULL;

	for (size_t i = 0; i < pd_config_table_len; i++) {
		const struct pd_config_row *row = &pd_config_table[i];

		if (section == NULL || strcmp(section, row->section) != 0) {
			fprintf(f, "%s[%s]\n", section != NULL ? "\n" : "",
			    row->section);
			section = row->section;
		}
		config_print_row(f, row, cfg);
	}
	return ferror(f) ? -1 : 0;
}

size_t
config_apply_live(struct pd_config *running, struct pd_config *next,
    void (*cb)(const struct pd_config_row *row, bool applied, void *arg),
    void *arg)
{
	unsigned char tmp[sizeof(struct pd_config_list)];
	size_t changed = 0;

	for (size_t i = 0; i < pd_config_table_len; i++) {
		const struct pd_config_row *row = &pd_config_table[i];
		size_t sz = config_type_size(row->type);

		if (config_row_equal(row, running, next))
			continue;
		changed++;
		if (row->live) {
			memcpy(tmp, config_field(row, running), sz);
			memcpy(config_field(row, running),
			    config_field(row, next), sz);
			memcpy(config_field(row, next), tmp, sz);
		}
		if (cb != NULL)
			cb(row, row->live, arg);
	}
	return changed;
}
