/*
 * peerdiscctl.c - the command-line client of peerdiscd.
 *
 * A thin shell over the client library (peerdisc-client.h), as ntpctl is
 * over ntpd's control socket: parse the command line, look the command
 * up in a table (name, usage, argument counts, method, params builder,
 * printer), make one call (two for "status", a stream for "watch") and
 * print the result as aligned text, or as the raw JSON with --json.
 * Strings from the daemon are printed with control characters replaced,
 * so a hostile agent string cannot drive the terminal.
 *
 * Exit statuses (design.md "Command lines"): 0 ok, 1 usage, 2 cannot
 * reach the daemon, 3 peer limit reached, 4 peer not found, 5 any other
 * error from the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* <config.h> is autoconf's (PACKAGE_VERSION), via -I$(top_builddir). */
#include <config.h>

#include "core/parse.h"
#include "peerdisc-client.h"

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_USAGE = 1,
	CLI_EXIT_UNREACHABLE = 2,	/* connect failed, timeout, closed */
	CLI_EXIT_PEER_LIMIT = 3,	/* -32001 */
	CLI_EXIT_PEER_NOT_FOUND = 4,	/* -32002 */
	CLI_EXIT_DAEMON = 5,		/* any other error from the daemon */
};

#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_MAX_TIMEOUT_MS (24 * 3600 * 1000)	/* --timeout at most 24h */
#define CLI_FIND_GRACE_MS 2000	/* discovery.find: our wait beyond its own */
#define CLI_MAX_LIMIT 10000	/* --limit at most (peers.store_max) */
#define CLI_MAX_COLS 6		/* columns in a table */
#define CLI_LABEL_WIDTH 13	/* "connections:" plus a space */
#define CLI_RELOAD_WIDTH 15	/* "needs restart:" plus a space */
#define CLI_WHY_MAX 1024

/* Command-specific options a command accepts. */
#define CLI_OPT_ALL 0x1		/* --all */
#define CLI_OPT_LIMIT 0x2	/* --limit N */
#define CLI_OPT_PROMETHEUS 0x4	/* --prometheus */

/* The state of one run. */
struct cli {
	const char *socket;		/* -s, or NULL for the default */
	bool json;			/* --json */
	int timeout_ms;			/* --timeout */
	bool all;			/* --all */
	bool prometheus;		/* --prometheus */
	uint64_t limit;			/* --limit, 0 when not given */
	unsigned int opts_given;	/* CLI_OPT_* seen on the line */
	struct pd_client *client;
	const struct cli_cmd *cmd;
	char **args;			/* the command's arguments */
	int nargs;
};

/*
 * One command.  A command with a method and no run function makes one
 * call: build() (NULL: no params) makes the params, print() shows the
 * result.  run() replaces the whole sequence for the others.
 */
struct cli_cmd {
	const char *name;		/* one or two words: "dht table" */
	const char *usage;		/* the arguments, for help */
	const char *help;
	int min_args, max_args;
	unsigned int opts;		/* CLI_OPT_* accepted */
	const char *method;
	int (*build)(struct cli *cli, json_t **ret_params);
	void (*print)(struct cli *cli, json_t *result);
	int (*run)(struct cli *cli);
};

static volatile sig_atomic_t cli_stop;	/* SIGINT/SIGTERM during watch */

static int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ----- text helpers ----- */

static void cli_err(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "peerdiscctl: " + message on stderr. */
static void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("peerdiscctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* malloc'd printf; exits on OOM (a CLI may). */
static char *cli_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
cli_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		cli_err("out of memory");
		exit(CLI_EXIT_DAEMON);
	}
	return s;
}

/*
 * A malloc'd copy of s fit for a terminal: C0 and C1 control characters
 * and DEL become '?'.  (jansson has already checked the UTF-8.)
 */
static char *
cli_clean(const char *s)
{
	char *out = cli_fmt("%s", s);
	unsigned char *p = (unsigned char *)out;

	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
		else if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			p[i] = '?';
			p[i + 1] = '?';		/* U+0080..U+009F */
			i++;
		}
	}
	return out;
}

/* Print s cleaned. */
static void
cli_put(FILE *f, const char *s)
{
	char *c = cli_clean(s);

	fputs(c, f);
	free(c);
}

/* Characters shown for a UTF-8 string (not bytes). */
static size_t
cli_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The string member key of obj, or NULL. */
static const char *
cli_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A number member as double; false when absent or not a number. */
static bool
cli_num(json_t *obj, const char *key, double *ret)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*ret = json_number_value(v);
	return true;
}

/* "3d 4h", "1h 2m 3s", "45s". */
static char *
cli_duration_s(double secs)
{
	uint64_t s = secs < 0 ? 0 : (uint64_t)secs;
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	s %= 60;
	if (d > 0)
		return cli_fmt("%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", d, h,
		    m);
	if (h > 0)
		return cli_fmt("%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m,
		    s);
	if (m > 0)
		return cli_fmt("%" PRIu64 "m %" PRIu64 "s", m, s);
	return cli_fmt("%" PRIu64 "s", s);
}

/* A latency: "0.4ms", "12ms", "1.5s". */
static char *
cli_latency(double ms)
{
	if (ms < 0 || !isfinite(ms))
		return cli_fmt("-");
	if (ms < 10 && ms != (double)(int64_t)ms)
		return cli_fmt("%.1fms", ms);
	if (ms < 1000)
		return cli_fmt("%.0fms", ms);
	return cli_fmt("%.1fs", ms / 1000);
}

/*
 * A time stamp: a number of seconds (or milliseconds, when too large to
 * be seconds) since the epoch, shown local with its age; a string as is.
 */
static char *
cli_timestamp(json_t *v)
{
	char when[64], *age, *out;
	double t;
	time_t tt;
	struct tm tm;

	if (json_is_string(v))
		return cli_clean(json_string_value(v));
	if (!json_is_number(v))
		return cli_fmt("-");
	t = json_number_value(v);
	if (t > 1e11)
		t /= 1000;
	if (t <= 0 || t > 1e11)
		return cli_fmt("%.0f", json_number_value(v));
	tt = (time_t)t;
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return cli_fmt("%.0f", t);
	if (difftime(time(NULL), tt) < 0) {
		age = cli_duration_s(difftime(tt, time(NULL)));
		out = cli_fmt("%s (in %s)", when, age);
	} else {
		age = cli_duration_s(difftime(time(NULL), tt));
		out = cli_fmt("%s (%s ago)", when, age);
	}
	free(age);
	return out;
}

/* The strings of array arr joined by sep ("-" when empty). */
static char *
cli_join(json_t *arr, const char *sep)
{
	char *out = NULL, *next;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "?";

		next = out == NULL ? cli_fmt("%s", s) :
		    cli_fmt("%s%s%s", out, sep, s);
		free(out);
		out = next;
	}
	if (out == NULL)
		return cli_fmt("-");
	next = cli_clean(out);
	free(out);
	return next;
}

/* The first address of a peer, with "(+N)" for the others. */
static char *
cli_first_addr(json_t *peer, const char *key)
{
	json_t *addrs = json_object_get(peer, key);
	const char *first = json_string_value(json_array_get(addrs, 0));
	char *c, *out;

	if (first == NULL)
		return cli_fmt("-");
	c = cli_clean(first);
	if (json_array_size(addrs) == 1)
		return c;
	out = cli_fmt("%s (+%zu)", c, json_array_size(addrs) - 1);
	free(c);
	return out;
}

/* A string member cleaned, or "-". */
static char *
cli_field(json_t *obj, const char *key)
{
	const char *s = cli_str(obj, key);

	return s != NULL && s[0] != '\0' ? cli_clean(s) : cli_fmt("-");
}

/* ----- tables ----- */

/* Rows of malloc'd, cleaned cells, printed with aligned columns. */
struct cli_table {
	size_t ncols;
	const char *head[CLI_MAX_COLS];
	char **cells;			/* nrows * ncols */
	size_t nrows, cap;
};

/* Append a row; takes the cells (malloc'd strings). */
static void
cli_table_add(struct cli_table *t, char **row)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap == 0 ? 16 : t->cap * 2;
		char **n = reallocarray(t->cells, ncap * t->ncols,
		    sizeof(char *));

		if (n == NULL) {
			cli_err("out of memory");
			exit(CLI_EXIT_DAEMON);
		}
		t->cells = n;
		t->cap = ncap;
	}
	memcpy(t->cells + t->nrows * t->ncols, row, t->ncols * sizeof(char *));
	t->nrows++;
}

/* Print the header and rows, two spaces between columns; free. */
static void
cli_table_print(struct cli_table *t)
{
	size_t w[CLI_MAX_COLS], r, c;

	for (c = 0; c < t->ncols; c++)
		w[c] = cli_width(t->head[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t cw = cli_width(t->cells[r * t->ncols + c]);

			if (cw > w[c])
				w[c] = cw;
		}
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = r == 0 ? t->head[c] :
			    t->cells[(r - 1) * t->ncols + c];

			fputs(s, stdout);
			if (c + 1 < t->ncols)
				printf("%*s", (int)(w[c] - cli_width(s) + 2), "");
		}
		putchar('\n');
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* The columns a peer table can have. */
enum cli_col {
	COL_ID,
	COL_CONNECTED,
	COL_DIRECTION,
	COL_LATENCY,
	COL_SOURCES,
	COL_AGENT,
	COL_STATE,
	COL_ADDRS,
	COL_IFACE,
};

static const char *const cli_col_head[] = {
	[COL_ID] = "PEER ID",
	[COL_CONNECTED] = "CONNECTED",
	[COL_DIRECTION] = "DIRECTION",
	[COL_LATENCY] = "LATENCY",
	[COL_SOURCES] = "SOURCES",
	[COL_AGENT] = "AGENT",
	[COL_STATE] = "STATE",
	[COL_ADDRS] = "ADDRESSES",
	[COL_IFACE] = "INTERFACE",
};

/* One cell of a peer row (malloc'd). */
static char *
cli_peer_cell(json_t *peer, enum cli_col col)
{
	json_t *conn = json_object_get(peer, "connected");
	double ms;

	switch (col) {
	case COL_ID:
		return cli_field(peer, "id");
	case COL_CONNECTED:
		return cli_fmt("%s", json_is_boolean(conn) ?
		    (json_is_true(conn) ? "yes" : "no") : "-");
	case COL_DIRECTION:
		if (json_is_false(conn))
			return cli_fmt("-");
		return cli_field(peer, "direction");
	case COL_LATENCY:
		return cli_num(peer, "latency_ms", &ms) ? cli_latency(ms) :
		    cli_fmt("-");
	case COL_SOURCES:
		return cli_join(json_object_get(peer, "sources"), ",");
	case COL_AGENT:
		return cli_field(peer, "agent");
	case COL_STATE:
		return cli_field(peer, "state");
	case COL_ADDRS:
		return cli_first_addr(peer, "addrs");
	case COL_IFACE:
		return cli_field(peer, "interface");
	}
	return cli_fmt("-");
}

/* Print the array member "peers" of result as a table of cols. */
static void
cli_print_peers(json_t *result, const enum cli_col *cols, size_t ncols)
{
	struct cli_table t = { .ncols = ncols };
	char *row[CLI_MAX_COLS];
	size_t i, c;
	json_t *peer;

	for (c = 0; c < ncols; c++)
		t.head[c] = cli_col_head[cols[c]];
	json_array_foreach(json_object_get(result, "peers"), i, peer) {
		for (c = 0; c < ncols; c++)
			row[c] = cli_peer_cell(peer, cols[c]);
		cli_table_add(&t, row);
	}
	cli_table_print(&t);
}

/* ----- key: value blocks ----- */

/* "label:" padded to width, then value (taken, freed). */
static void
cli_kv_w(int width, const char *label, char *value)
{
	int pad = width - (int)strlen(label) - 1;

	printf("%s:%*s%s\n", label, pad > 1 ? pad : 1, "", value);
	free(value);
}

static void
cli_kv(const char *label, char *value)
{
	cli_kv_w(CLI_LABEL_WIDTH, label, value);
}

/* A list value, one item per line aligned under the first ("-" empty). */
static void
cli_kv_list(const char *label, json_t *arr)
{
	size_t i;
	json_t *v;

	if (json_array_size(arr) == 0) {
		cli_kv(label, cli_fmt("-"));
		return;
	}
	json_array_foreach(arr, i, v) {
		if (i == 0)
			printf("%s:%*s", label,
			    (int)(CLI_LABEL_WIDTH - strlen(label) - 1), "");
		else
			printf("%*s", CLI_LABEL_WIDTH, "");
		if (json_is_string(v))
			cli_put(stdout, json_string_value(v));
		else
			fputs("?", stdout);
		putchar('\n');
	}
}

/* A JSON value as compact text, cleaned (malloc'd). */
static char *
cli_compact(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *c;

	if (s == NULL)
		return cli_fmt("?");
	c = cli_clean(s);
	free(s);
	return c;
}

/* Every field of a peer object: the known ones in order, then the rest. */
static void
cli_print_peer(json_t *peer)
{
	static const char *const known[] = { "id", "connected", "direction",
		"addrs", "sources", "agent", "protocols", "latency_ms",
		"score", "protected", "protect_tags", "first_seen",
		"last_seen", "dial_failures", "next_dial", "last_error" };
	json_t *conn = json_object_get(peer, "connected"), *v;
	const char *key;
	double d;

	cli_kv("id", cli_field(peer, "id"));
	if (json_is_true(conn) && cli_str(peer, "direction") != NULL)
		cli_kv("connected", cli_fmt("yes (%s)",
		    json_string_value(json_object_get(peer, "direction"))));
	else
		cli_kv("connected", cli_fmt("%s", json_is_true(conn) ? "yes" :
		    json_is_false(conn) ? "no" : "-"));
	cli_kv_list("addrs", json_object_get(peer, "addrs"));
	cli_kv("sources", cli_join(json_object_get(peer, "sources"), ", "));
	cli_kv("agent", cli_field(peer, "agent"));
	cli_kv_list("protocols", json_object_get(peer, "protocols"));
	cli_kv("latency", cli_num(peer, "latency_ms", &d) ? cli_latency(d) :
	    cli_fmt("-"));
	v = json_object_get(peer, "score");
	cli_kv("score", v != NULL ? cli_compact(v) : cli_fmt("-"));
	v = json_object_get(peer, "protected");
	if (json_array_size(json_object_get(peer, "protect_tags")) > 0) {
		char *tags = cli_join(json_object_get(peer, "protect_tags"),
		    ", ");

		cli_kv("protected", cli_fmt("yes (%s)", tags));
		free(tags);
	} else
		cli_kv("protected", cli_fmt("%s", json_is_true(v) ? "yes" :
		    json_is_false(v) ? "no" : "-"));
	cli_kv("first seen", cli_timestamp(json_object_get(peer,
	    "first_seen")));
	cli_kv("last seen", cli_timestamp(json_object_get(peer, "last_seen")));
	v = json_object_get(peer, "dial_failures");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		cli_kv("dial fails", cli_fmt("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)));
	v = json_object_get(peer, "next_dial");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		cli_kv("next dial", cli_timestamp(v));
	if (cli_str(peer, "last_error") != NULL)
		cli_kv("last error", cli_field(peer, "last_error"));
	json_object_foreach(peer, key, v) {
		size_t i;
		char *label;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (i < sizeof(known) / sizeof(known[0]))
			continue;
		label = cli_clean(key);
		if (strlen(label) + 1 >= CLI_LABEL_WIDTH)
			printf("%s: ", label);
		else
			printf("%s:%*s", label,
			    (int)(CLI_LABEL_WIDTH - strlen(label) - 1), "");
		free(label);
		label = cli_compact(v);
		printf("%s\n", label);
		free(label);
	}
}

/* ----- calling the daemon ----- */

/* The exit status for a call's outcome, after printing the error. */
static int
cli_failed(struct cli *cli, int r, const struct pd_client_error *err)
{
	if (r < 0) {
		cli_err("cannot reach the daemon at %s: %s",
		    cli->client != NULL ? pd_client_path(cli->client) : "?",
		    pd_client_strerror(r));
		return CLI_EXIT_UNREACHABLE;
	}
	fputs("peerdiscctl: ", stderr);
	cli_put(stderr, err->message[0] != '\0' ? err->message :
	    "error from the daemon");
	if (err->reason[0] != '\0') {
		fputs(": ", stderr);
		cli_put(stderr, err->reason);
	}
	fputc('\n', stderr);
	switch (err->code) {
	case PD_CLIENT_RPC_PEER_LIMIT_REACHED:
		return CLI_EXIT_PEER_LIMIT;
	case PD_CLIENT_RPC_PEER_NOT_FOUND:
		return CLI_EXIT_PEER_NOT_FOUND;
	default:
		return CLI_EXIT_DAEMON;
	}
}

/* Connect once; the exit status (0 or 2). */
static int
cli_connect(struct cli *cli)
{
	char why[CLI_WHY_MAX];
	int r;

	r = pd_client_connect(cli->socket, cli->timeout_ms, why, sizeof(why),
	    &cli->client);
	if (r < 0) {
		cli_err("cannot reach the daemon: %s", why[0] != '\0' ? why :
		    pd_client_strerror(r));
		return CLI_EXIT_UNREACHABLE;
	}
	return CLI_EXIT_OK;
}

/* One call; 0 and *ret_result, or the exit status after the message. */
static int
cli_call(struct cli *cli, const char *method, json_t *params, int timeout_ms,
    json_t **ret_result)
{
	struct pd_client_error err;
	int r;

	r = pd_client_call(cli->client, method, params, timeout_ms, ret_result,
	    &err);
	return r == 0 ? CLI_EXIT_OK : cli_failed(cli, r, &err);
}

/* Print v as JSON on stdout (compact, or indented). */
static void
cli_print_json(json_t *v, bool pretty)
{
	json_dumpf(v, stdout, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) :
	    JSON_COMPACT));
	putchar('\n');
}

/* ----- params builders ----- */

/* A builder's result: 0, or -1 after saying it ran out of memory. */
static int
cli_built(json_t *params)
{
	if (params != NULL)
		return 0;
	cli_err("out of memory");
	return -1;
}

static int
cli_build_peers(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:b}", "connected_only", !cli->all);
	return cli_built(*ret_params);
}

/* {"peer": ARG0} */
static int
cli_build_peer(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s}", "peer", cli->args[0]);
	return cli_built(*ret_params);
}

/* A multiaddr starts with '/', anything else is a peer ID. */
static int
cli_build_connect(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s}", cli->args[0][0] == '/' ? "addr" :
	    "peer", cli->args[0]);
	return cli_built(*ret_params);
}

/* {"namespace": ARG0} */
static int
cli_build_ns(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s}", "namespace", cli->args[0]);
	return cli_built(*ret_params);
}

/* The daemon gives up at our timeout; we wait a little longer. */
static int
cli_build_find(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s, s:i}", "namespace", cli->args[0],
	    "timeout_ms", cli->timeout_ms);
	if (*ret_params != NULL && cli->limit > 0 &&
	    json_object_set_new(*ret_params, "limit",
	    json_integer((json_int_t)cli->limit)) < 0) {
		json_decref(*ret_params);
		*ret_params = NULL;
	}
	return cli_built(*ret_params);
}

static int
cli_build_key(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s}", "key", cli->args[0]);
	return cli_built(*ret_params);
}

static int
cli_build_put(struct cli *cli, json_t **ret_params)
{
	*ret_params = json_pack("{s:s,s:s}", "key", cli->args[0], "value",
	    cli->args[1]);
	return cli_built(*ret_params);
}

/* ----- printers ----- */

static void
cli_print_value(struct cli *cli, json_t *result)
{
	const char *v = json_string_value(json_object_get(result, "value"));

	(void)cli;
	cli_put(stdout, v != NULL ? v : "");
	putchar('\n');
}

static void
cli_print_put(struct cli *cli, json_t *result)
{
	printf("stored ");
	cli_put(stdout, cli->args[0]);
	printf(" on %lld of %lld peers\n",
	    (long long)json_integer_value(json_object_get(result, "stored")),
	    (long long)json_integer_value(json_object_get(result, "sent")));
}

static void
cli_print_peers_cmd(struct cli *cli, json_t *result)
{
	static const enum cli_col connected[] = { COL_ID, COL_DIRECTION,
		COL_LATENCY, COL_SOURCES, COL_AGENT };
	static const enum cli_col all[] = { COL_ID, COL_CONNECTED,
		COL_DIRECTION, COL_LATENCY, COL_SOURCES, COL_AGENT };

	if (cli->all)
		cli_print_peers(result, all, sizeof(all) / sizeof(all[0]));
	else
		cli_print_peers(result, connected,
		    sizeof(connected) / sizeof(connected[0]));
}

/* find, local, dht closest: where to reach them. */
static void
cli_print_found(struct cli *cli, json_t *result)
{
	static const enum cli_col cols[] = { COL_ID, COL_CONNECTED,
		COL_SOURCES, COL_ADDRS };

	(void)cli;
	cli_print_peers(result, cols, sizeof(cols) / sizeof(cols[0]));
}

/* local: the peers mDNS found, with the interface each came from. */
static void
cli_print_local(struct cli *cli, json_t *result)
{
	static const enum cli_col cols[] = { COL_ID, COL_CONNECTED,
		COL_IFACE, COL_ADDRS };

	(void)cli;
	cli_print_peers(result, cols, sizeof(cols) / sizeof(cols[0]));
}

static void
cli_print_bootstrap(struct cli *cli, json_t *result)
{
	static const enum cli_col cols[] = { COL_ID, COL_STATE,
		COL_LATENCY, COL_ADDRS };

	(void)cli;
	cli_print_peers(result, cols, sizeof(cols) / sizeof(cols[0]));
}

static void
cli_print_peer_cmd(struct cli *cli, json_t *result)
{
	(void)cli;
	cli_print_peer(result);
}

static void
cli_print_connect(struct cli *cli, json_t *result)
{
	char *id = cli_field(result, "id"), *dir = cli_field(result,
	    "direction");

	(void)cli;
	printf("connected to %s (%s)\n", id, dir);
	free(id);
	free(dir);
}

static void
cli_print_disconnect(struct cli *cli, json_t *result)
{
	(void)result;
	printf("disconnected ");
	cli_put(stdout, cli->args[0]);
	putchar('\n');
}

static void
cli_print_advertise(struct cli *cli, json_t *result)
{
	(void)result;
	printf("advertising ");
	cli_put(stdout, cli->args[0]);
	putchar('\n');
}

static void
cli_print_unadvertise(struct cli *cli, json_t *result)
{
	(void)result;
	printf("no longer advertising ");
	cli_put(stdout, cli->args[0]);
	putchar('\n');
}

/* dht table: one row per peer, with its bucket index. */
static void
cli_print_table(struct cli *cli, json_t *result)
{
	static const enum cli_col cols[] = { COL_ID, COL_CONNECTED,
		COL_LATENCY, COL_AGENT };
	struct cli_table t = { .ncols = 5, .head = { "BUCKET" } };
	char *row[CLI_MAX_COLS];
	size_t b, i, c;
	json_t *bucket, *peer;

	(void)cli;
	for (c = 0; c < 4; c++)
		t.head[c + 1] = cli_col_head[cols[c]];
	json_array_foreach(json_object_get(result, "buckets"), b, bucket) {
		json_array_foreach(bucket, i, peer) {
			row[0] = cli_fmt("%zu", b);
			for (c = 0; c < 4; c++)
				row[c + 1] = cli_peer_cell(peer, cols[c]);
			cli_table_add(&t, row);
		}
	}
	cli_table_print(&t);
}

/* A list of config keys, comma-separated, or "(none)". */
static char *
cli_keys(json_t *arr)
{
	if (json_array_size(arr) == 0)
		return cli_fmt("(none)");
	return cli_join(arr, ", ");
}

static void
cli_print_reload(struct cli *cli, json_t *result)
{
	(void)cli;
	cli_kv_w(CLI_RELOAD_WIDTH, "applied", cli_keys(json_object_get(result,
	    "applied")));
	cli_kv_w(CLI_RELOAD_WIDTH, "needs restart", cli_keys(
	    json_object_get(result, "needs_restart")));
}

/* ----- metrics ----- */

/* The kinds of numbers in the metrics result. */
enum cli_metric_kind {
	CLI_METRIC_COUNTER,
	CLI_METRIC_GAUGE,
};

/* What a metric means (the # HELP line); peerdisc-control(7) "metrics". */
struct cli_metric_help {
	const char *group;		/* "counters", "gauges", "control" */
	const char *key;
	const char *help;
};

static const struct cli_metric_help cli_metric_helps[] = {
	{ "counters", "dials", "Addresses dialed." },
	{ "counters", "dial_failures", "Addresses dialed that failed." },
	{ "counters", "connections_inbound", "Inbound connections opened." },
	{ "counters", "connections_outbound", "Outbound connections opened." },
	{ "counters", "identify_ok", "Identify exchanges received." },
	{ "counters", "identify_failed", "Identify exchanges that failed." },
	{ "counters", "store_saves", "Writes of the peer store file." },
	{ "counters", "store_save_failures",
	  "Writes of the peer store file that failed." },
	{ "counters", "peers_discovered", "Peers reported by discoveries." },
	{ "counters", "trims", "Connection trims that closed peers." },
	{ "counters", "peers_trimmed", "Peers closed by connection trims." },
	{ "counters", "dials_queued",
	  "Connect requests that waited for the dial budget." },
	{ "counters", "dials_deferred",
	  "Dials deferred because the dial budget was spent." },
	{ "counters", "refused_inbound_total_cap",
	  "Inbound connections refused at peers.max_inbound." },
	{ "counters", "refused_inbound_per_ip",
	  "Inbound connections refused at peers.max_per_ip." },
	{ "counters", "refused_inbound_rate",
	  "Inbound connections refused at peers.inbound_rate_per_ip." },
	{ "counters", "dht_requests_served", "DHT requests answered." },
	{ "counters", "dht_requests_rate_limited",
	  "DHT requests refused by dht.peer_request_rate." },
	{ "counters", "dht_bad_requests",
	  "DHT requests that did not decode or carried an invalid record." },
	{ "counters", "dht_records_stored",
	  "PUT_VALUE records from peers accepted." },
	{ "counters", "dht_records_rejected",
	  "PUT_VALUE records from peers rejected." },
	{ "gauges", "connections_inbound", "Open inbound connections." },
	{ "gauges", "connections_outbound", "Open outbound connections." },
	{ "gauges", "dialing", "Connect requests in flight." },
	{ "gauges", "peers_known", "Peers in the peer store." },
	{ "gauges", "uptime_s", "Seconds since the node started." },
	{ "gauges", "rss_bytes", "Resident set size of peerdiscd in bytes." },
	{ "gauges", "dht_routing_table_size",
	  "Peers in the DHT routing table." },
	{ "gauges", "dht_provider_records", "DHT provider records held." },
	{ "gauges", "dht_value_records", "DHT value records held." },
	{ "control", "clients", "Control socket clients connected." },
	{ "control", "accepted", "Control socket connections accepted." },
	{ "control", "refused", "Control socket connections refused." },
	{ "control", "evicted", "Idle control clients closed to make room at the client limit." },
	{ "control", "dropped", "Slow control socket clients dropped." },
	{ "control", "requests", "Control socket requests." },
	{ "control", "errors", "Control socket requests answered with an "
	  "error." },
};

/* The members of the "control" object that are gauges (others count). */
static bool
cli_metric_control_gauge(const char *key)
{
	return strcmp(key, "clients") == 0;
}

static const char *
cli_metric_help(const char *group, const char *key)
{
	for (size_t i = 0; i < sizeof(cli_metric_helps) /
	    sizeof(cli_metric_helps[0]); i++)
		if (strcmp(cli_metric_helps[i].group, group) == 0 &&
		    strcmp(cli_metric_helps[i].key, key) == 0)
			return cli_metric_helps[i].help;
	return NULL;
}

/*
 * The Prometheus name of a metric (malloc'd): peerdisc_, "control_" for
 * the control socket's, the key with every character outside
 * [a-zA-Z0-9_] made '_', and "_total" for a counter.
 */
static char *
cli_metric_name(const char *group, const char *key,
    enum cli_metric_kind kind)
{
	size_t n = strlen(key);
	bool total = kind == CLI_METRIC_COUNTER && !(n >= 6 &&
	    strcmp(key + n - 6, "_total") == 0);
	char *name = cli_fmt("peerdisc_%s%s%s",
	    strcmp(group, "control") == 0 ? "control_" : "", key,
	    total ? "_total" : "");

	for (char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
	return name;
}

/* A metric's value as text (malloc'd), or NULL when it is not a number. */
static char *
cli_metric_value(json_t *v)
{
	if (json_is_integer(v))
		return cli_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v) && isfinite(json_real_value(v)))
		return cli_fmt("%.17g", json_real_value(v));
	return NULL;
}

/* One group of the result as Prometheus text (HELP, TYPE, sample). */
static void
cli_prometheus_group(json_t *result, const char *group)
{
	const char *key, *help;
	char *name, *value;
	enum cli_metric_kind kind;
	json_t *v;

	json_object_foreach(json_object_get(result, group), key, v) {
		if ((value = cli_metric_value(v)) == NULL)
			continue;
		if (strcmp(group, "gauges") == 0 || (strcmp(group,
		    "control") == 0 && cli_metric_control_gauge(key)))
			kind = CLI_METRIC_GAUGE;
		else
			kind = CLI_METRIC_COUNTER;
		name = cli_metric_name(group, key, kind);
		help = cli_metric_help(group, key);
		printf("# HELP %s ", name);
		if (help != NULL)
			printf("%s\n", help);
		else
			printf("peerdisc %s (metrics method, %s).\n",
			    kind == CLI_METRIC_COUNTER ? "counter" : "gauge",
			    group);
		printf("# TYPE %s %s\n%s %s\n", name,
		    kind == CLI_METRIC_COUNTER ? "counter" : "gauge", name,
		    value);
		free(name);
		free(value);
	}
}

/*
 * metrics: a table (METRIC, TYPE, VALUE), or with --prometheus every
 * counter and gauge in the Prometheus text exposition format (version
 * 0.0.4, what node_exporter's textfile collector reads).
 */
static void
cli_print_metrics(struct cli *cli, json_t *result)
{
	static const char *const groups[] = { "counters", "gauges",
		"control" };
	struct cli_table t = { .ncols = 3, .head = { "METRIC", "TYPE",
		"VALUE" } };
	char *row[CLI_MAX_COLS];
	const char *key;
	char *value;
	bool gauge;
	json_t *v;

	if (cli->prometheus) {
		for (size_t g = 0; g < 3; g++)
			cli_prometheus_group(result, groups[g]);
		return;
	}
	for (size_t g = 0; g < 3; g++) {
		json_object_foreach(json_object_get(result, groups[g]), key,
		    v) {
			if ((value = cli_metric_value(v)) == NULL)
				continue;
			gauge = g == 1 || (g == 2 &&
			    cli_metric_control_gauge(key));
			row[0] = g == 2 ? cli_fmt("control.%s", key) :
			    cli_fmt("%s", key);
			row[1] = cli_fmt("%s", gauge ? "gauge" : "counter");
			row[2] = value;
			/* keys come from the daemon: keep them printable */
			value = cli_clean(row[0]);
			free(row[0]);
			row[0] = value;
			cli_table_add(&t, row);
		}
	}
	cli_table_print(&t);
}

/* ----- status ----- */

/* "5 (3 inbound, 2 outbound), 1 dialing; min 5, max 50" */
static char *
cli_conn_line(json_t *info, json_t *stats)
{
	double count, in, out, dialing, min, max;
	char *s, *t;

	if (!cli_num(stats, "count", &count) &&
	    !cli_num(info, "connections", &count))
		return cli_fmt("-");
	s = cli_fmt("%.0f", count);
	if (cli_num(stats, "inbound", &in) && cli_num(stats, "outbound", &out)) {
		t = cli_fmt("%s (%.0f inbound, %.0f outbound)", s, in, out);
		free(s);
		s = t;
	}
	if (cli_num(stats, "dialing", &dialing)) {
		t = cli_fmt("%s, %.0f dialing", s, dialing);
		free(s);
		s = t;
	}
	if (cli_num(stats, "min_peers", &min) &&
	    cli_num(stats, "max_peers", &max)) {
		t = cli_fmt("%s; min %.0f, max %.0f", s, min, max);
		free(s);
		s = t;
	}
	return s;
}

/* "server, /ipfs/kad/1.0.0, 42 peers in routing table" or "disabled" */
static char *
cli_dht_line(json_t *dht)
{
	const char *mode = cli_str(dht, "mode");
	char *m, *p, *out;
	double n;

	if (json_is_false(json_object_get(dht, "available")))
		return cli_fmt("not available");
	if (mode == NULL || json_is_false(json_object_get(dht, "enabled")))
		return cli_fmt("disabled");
	m = cli_clean(mode);
	p = cli_field(dht, "protocol");
	if (cli_num(dht, "routing_table_size", &n))
		out = cli_fmt("%s, %s, %.0f peers in routing table", m, p, n);
	else
		out = cli_fmt("%s, %s", m, p);
	free(m);
	free(p);
	return out;
}

static void
cli_print_status(json_t *info, json_t *stats)
{
	json_t *mdns = json_object_get(info, "mdns");
	json_t *boot = json_object_get(info, "bootstrap");
	json_t *announce = json_object_get(info, "announce_addrs");
	double d, n;

	cli_kv("peer ID", cli_field(info, "peer_id"));
	cli_kv("agent", cli_field(info, "agent"));
	cli_kv("version", cli_field(info, "version"));
	cli_kv("uptime", cli_num(info, "uptime_s", &d) ? cli_duration_s(d) :
	    cli_fmt("-"));
	cli_kv_list("listen", json_object_get(info, "listen_addrs"));
	if (json_array_size(announce) == 0)
		cli_kv("announce", cli_fmt("(the listen addresses)"));
	else
		cli_kv_list("announce", announce);
	cli_kv("connections", cli_conn_line(info, stats));
	cli_kv("peers known", cli_num(info, "peers_known", &n) ?
	    cli_fmt("%.0f", n) : cli_fmt("-"));
	cli_kv("dht", cli_dht_line(json_object_get(info, "dht")));
	cli_kv("mdns", cli_fmt("%s", json_is_false(json_object_get(mdns,
	    "available")) ? "not available" : json_is_true(json_object_get(mdns,
	    "enabled")) ? "enabled" : "disabled"));
	if (json_is_false(json_object_get(boot, "available")))
		cli_kv("bootstrap", cli_fmt("not available"));
	else if (cli_num(boot, "configured", &n) &&
	    cli_num(boot, "connected", &d))
		cli_kv("bootstrap", cli_fmt("%.0f of %.0f connected", d, n));
	else
		cli_kv("bootstrap", cli_fmt("-"));
}

/* node.info + conn.stats; --json prints both under their method names. */
static int
cli_run_status(struct cli *cli)
{
	json_t *info = NULL, *stats = NULL, *both;
	int r;

	r = cli_connect(cli);
	if (r == CLI_EXIT_OK)
		r = cli_call(cli, "node.info", NULL, cli->timeout_ms, &info);
	if (r == CLI_EXIT_OK)
		r = cli_call(cli, "conn.stats", NULL, cli->timeout_ms, &stats);
	if (r == CLI_EXIT_OK && cli->json) {
		both = json_pack("{s:O, s:O}", "node.info", info, "conn.stats",
		    stats);
		cli_print_json(both, false);
		json_decref(both);
	} else if (r == CLI_EXIT_OK)
		cli_print_status(info, stats);
	json_decref(info);
	json_decref(stats);
	return r;
}

/* ----- watch ----- */

static void
cli_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

/* "TIME TYPE PEER DETAILS" for one event. */
static void
cli_print_event(json_t *ev)
{
	const char *type = cli_str(ev, "type");
	char when[32], *peer, *rest;
	time_t now = time(NULL);
	struct tm tm;
	json_t *copy;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)now);
	peer = cli_field(ev, "peer");
	if (type == NULL)
		type = "?";
	if (strcmp(type, "peer.discovered") == 0) {
		char *src = cli_field(ev, "source"), *a = cli_first_addr(ev,
		    "addrs");

		rest = cli_fmt("%s %s", src, a);
		free(src);
		free(a);
	} else if (strcmp(type, "peer.connected") == 0) {
		char *dir = cli_field(ev, "direction"), *a = cli_field(ev,
		    "addr");

		rest = cli_fmt("%s %s", dir, a);
		free(dir);
		free(a);
	} else if (strcmp(type, "peer.disconnected") == 0) {
		rest = cli_field(ev, "reason");
	} else if (strcmp(type, "peer.identified") == 0) {
		char *agent = cli_field(ev, "agent");

		rest = cli_fmt("%s (%zu protocols)", agent,
		    json_array_size(json_object_get(ev, "protocols")));
		free(agent);
	} else {
		copy = json_deep_copy(ev);
		json_object_del(copy, "type");
		json_object_del(copy, "peer");
		rest = cli_compact(copy);
		json_decref(copy);
	}
	printf("%s ", when);
	cli_put(stdout, type);
	printf(" %s %s\n", peer, rest);
	free(peer);
	free(rest);
}

/* events.subscribe, then one line per notification until a signal. */
static int
cli_run_watch(struct cli *cli)
{
	struct sigaction sa;
	json_t *params = NULL, *ev;
	uint64_t dropped = 0;
	int r, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cli->nargs > 0) {
		json_t *names = json_array();

		params = json_pack("{s:o}", "events", names);
		for (i = 0; i < cli->nargs; i++)
			json_array_append_new(names,
			    json_string(cli->args[i]));
	}
	r = cli_connect(cli);
	if (r == CLI_EXIT_OK)
		r = cli_call(cli, "events.subscribe", params, cli->timeout_ms,
		    NULL);
	json_decref(params);
	if (r != CLI_EXIT_OK)
		return r;
	fflush(stdout);
	while (!cli_stop) {
		r = pd_client_next_event(cli->client, -1, &ev);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return cli_failed(cli, r, NULL);
		if (cli->json)
			cli_print_json(ev, false);
		else
			cli_print_event(ev);
		json_decref(ev);
		if (pd_client_events_dropped(cli->client) != dropped) {
			dropped = pd_client_events_dropped(cli->client);
			cli_err("%" PRIu64 " events dropped so far", dropped);
		}
		fflush(stdout);
	}
	return CLI_EXIT_OK;
}

/* ----- call ----- */

static int
cli_run_call(struct cli *cli)
{
	json_error_t jerr;
	json_t *params = NULL, *result = NULL;
	int r;

	if (cli->nargs > 1) {
		params = json_loads(cli->args[1], 0, &jerr);
		if (params == NULL || (!json_is_object(params) &&
		    !json_is_array(params))) {
			json_decref(params);
			return cli_usage_error(cli->cmd, "JSON-PARAMS must be "
			    "a JSON object or array%s%s", params == NULL ?
			    ": " : "", params == NULL ? jerr.text : "");
		}
	}
	if (strlen(cli->args[0]) > PD_CLIENT_MAX_METHOD) {
		json_decref(params);
		return cli_usage_error(cli->cmd, "METHOD is longer than %d "
		    "bytes", PD_CLIENT_MAX_METHOD);
	}
	r = cli_connect(cli);
	if (r == CLI_EXIT_OK)
		r = cli_call(cli, cli->args[0], params, cli->timeout_ms,
		    &result);
	if (r == CLI_EXIT_OK)
		cli_print_json(result, !cli->json);
	json_decref(params);
	json_decref(result);
	return r;
}

/* ----- one call ----- */

/* The commands with a method: build, call, print. */
static int
cli_run_method(struct cli *cli)
{
	json_t *params = NULL, *result = NULL;
	int r, wait_ms = cli->timeout_ms;

	if (cli->cmd->build != NULL && cli->cmd->build(cli, &params) < 0)
		return CLI_EXIT_USAGE;
	/* discovery.find gives up at our timeout; wait a little longer */
	if (cli->cmd->build == cli_build_find)
		wait_ms += CLI_FIND_GRACE_MS;
	r = cli_connect(cli);
	if (r == CLI_EXIT_OK)
		r = cli_call(cli, cli->cmd->method, params, wait_ms, &result);
	if (r == CLI_EXIT_OK && cli->json)
		cli_print_json(result, false);
	else if (r == CLI_EXIT_OK)
		cli->cmd->print(cli, result);
	json_decref(params);
	json_decref(result);
	return r;
}

/* ----- the command table ----- */

static const struct cli_cmd cli_cmds[] = {
	{ "status", "", "node identity, addresses, connections, discovery",
	  0, 0, 0, NULL, NULL, NULL, cli_run_status },
	{ "peers", "[--all]", "connected peers (--all: every known peer)",
	  0, 0, CLI_OPT_ALL, "peers.list", cli_build_peers,
	  cli_print_peers_cmd, NULL },
	{ "peer", "ID", "everything known about one peer",
	  1, 1, 0, "peers.get", cli_build_peer, cli_print_peer_cmd, NULL },
	{ "connect", "ADDR|ID", "dial a multiaddr, or a known peer",
	  1, 1, 0, "peers.connect", cli_build_connect, cli_print_connect,
	  NULL },
	{ "disconnect", "ID", "close the connections to a peer",
	  1, 1, 0, "peers.disconnect", cli_build_peer, cli_print_disconnect,
	  NULL },
	{ "find", "NS [--limit N]", "find peers advertising a namespace",
	  1, 1, CLI_OPT_LIMIT, "discovery.find", cli_build_find,
	  cli_print_found, NULL },
	{ "advertise", "NS", "advertise this node under a namespace",
	  1, 1, 0, "discovery.advertise", cli_build_ns, cli_print_advertise,
	  NULL },
	{ "unadvertise", "NS", "stop advertising a namespace",
	  1, 1, 0, "discovery.unadvertise", cli_build_ns,
	  cli_print_unadvertise, NULL },
	{ "local", "", "peers found by mDNS on the local network",
	  0, 0, 0, "discovery.local", NULL, cli_print_local, NULL },
	{ "bootstrap", "", "the bootstrap peers and their state",
	  0, 0, 0, "discovery.bootstrap", NULL, cli_print_bootstrap, NULL },
	{ "dht find-peer", "ID", "look a peer up in the DHT",
	  1, 1, 0, "dht.find_peer", cli_build_peer, cli_print_peer_cmd,
	  NULL },
	{ "dht closest", "KEY", "the DHT peers closest to a key",
	  1, 1, 0, "dht.closest_peers", cli_build_key, cli_print_found,
	  NULL },
	{ "dht table", "", "the DHT routing table",
	  0, 0, 0, "dht.routing_table", NULL, cli_print_table, NULL },
	{ "dht get", "KEY", "the best valid DHT record under KEY (base64)",
	  1, 1, 0, "dht.get_value", cli_build_key, cli_print_value, NULL },
	{ "dht put", "KEY BASE64", "store a record in the DHT",
	  2, 2, 0, "dht.put_value", cli_build_put, cli_print_put, NULL },
	{ "watch", "[EVENT...]", "print events as they happen (default: all)",
	  0, -1, 0, NULL, NULL, NULL, cli_run_watch },
	{ "metrics", "[--prometheus]", "counters and gauges (--prometheus: "
	  "Prometheus text)", 0, 0, CLI_OPT_PROMETHEUS, "metrics", NULL,
	  cli_print_metrics, NULL },
	{ "reload", "", "re-read the configuration file",
	  0, 0, 0, "config.reload", NULL, cli_print_reload, NULL },
	{ "call", "METHOD [JSON-PARAMS]", "call any method; print its result",
	  1, 2, 0, NULL, NULL, NULL, cli_run_call },
};
#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static void
cli_usage(FILE *f)
{
	fputs("usage: peerdiscctl [-s SOCKET] [--json] [--timeout DURATION] "
	    "COMMAND [ARGS]\n", f);
}

static void
cli_help(void)
{
	char left[64];
	size_t i;

	cli_usage(stdout);
	printf("\nOptions:\n"
	    "  -s, --socket PATH        the daemon's control socket (default:"
	    " $PEERDISC_SOCKET,\n"
	    "                           else /run/peerdisc/control.sock for "
	    "root, else the\n"
	    "                           per-user socket, then the system one)\n"
	    "  -j, --json               print the daemon's JSON result as it "
	    "is\n"
	    "  -t, --timeout DURATION   wait at most this long for the daemon "
	    "(5s, 500ms;\n"
	    "                           default 10s)\n"
	    "  -h, --help               print this help and exit\n"
	    "  -V, --version            print the version and exit\n"
	    "\nCommands:\n");
	for (i = 0; i < CLI_NCMDS; i++) {
		snprintf(left, sizeof(left), "%s%s%s", cli_cmds[i].name,
		    cli_cmds[i].usage[0] != '\0' ? " " : "",
		    cli_cmds[i].usage);
		printf("  %-26s %s\n", left, cli_cmds[i].help);
	}
	printf("\nExit status: 0 ok, 1 usage, 2 cannot reach the daemon, "
	    "3 peer limit reached,\n4 peer not found, 5 other error from the "
	    "daemon.\n");
}

/* A usage error: message, the usage line, exit status 1. */
static int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("peerdiscctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		fprintf(stderr, "usage: peerdiscctl [OPTIONS] %s%s%s\n",
		    cmd->name, cmd->usage[0] != '\0' ? " " : "", cmd->usage);
	else
		cli_usage(stderr);
	fputs("Try 'peerdiscctl --help' for more.\n", stderr);
	return CLI_EXIT_USAGE;
}

/*
 * Find the command named by words[0] (and words[1] for two-word names);
 * *ret_used is the number of words the name took.  NULL if none.
 */
static const struct cli_cmd *
cli_lookup(char **words, int nwords, int *ret_used)
{
	size_t i, n;
	const char *name;

	for (i = 0; i < CLI_NCMDS; i++) {
		name = cli_cmds[i].name;
		n = strcspn(name, " ");
		if (strlen(words[0]) != n || strncmp(words[0], name, n) != 0)
			continue;
		if (name[n] == '\0') {
			*ret_used = 1;
			return &cli_cmds[i];
		}
		if (nwords > 1 && strcmp(words[1], name + n + 1) == 0) {
			*ret_used = 2;
			return &cli_cmds[i];
		}
	}
	return NULL;
}

/*
 * Parse the options into cli.  Returns the index of the first word of
 * the command, or -1 when the run is over (--help, --version, a usage
 * error) with the exit status in *ret_status.
 */
static int
cli_options(struct cli *cli, int argc, char **argv, int *ret_status)
{
	enum { OPT_ALL = 256, OPT_LIMIT, OPT_PROMETHEUS };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char why[256];
	uint64_t v;
	int c;

	opterr = 0;
	*ret_status = CLI_EXIT_OK;
	while ((c = getopt_long(argc, argv, ":s:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli->socket = optarg;
			break;
		case 'j':
			cli->json = true;
			break;
		case 't':
			if (pd_parse_duration(optarg, 1, CLI_MAX_TIMEOUT_MS, &v,
			    why, sizeof(why)) < 0) {
				*ret_status = cli_usage_error(NULL, "bad "
				    "--timeout '%s': %s", optarg, why);
				return -1;
			}
			cli->timeout_ms = (int)v;
			break;
		case OPT_ALL:
			cli->all = true;
			cli->opts_given |= CLI_OPT_ALL;
			break;
		case OPT_PROMETHEUS:
			cli->prometheus = true;
			cli->opts_given |= CLI_OPT_PROMETHEUS;
			break;
		case OPT_LIMIT:
			if (pd_parse_uint(optarg, 1, CLI_MAX_LIMIT, &v, why,
			    sizeof(why)) < 0) {
				*ret_status = cli_usage_error(NULL, "bad "
				    "--limit '%s': %s", optarg, why);
				return -1;
			}
			cli->limit = v;
			cli->opts_given |= CLI_OPT_LIMIT;
			break;
		case 'h':
			cli_help();
			return -1;
		case 'V':
			printf("peerdiscctl %s\n", PACKAGE_VERSION);
			return -1;
		case ':':
			*ret_status = cli_usage_error(NULL, "option '%s' needs "
			    "a value", argv[optind - 1]);
			return -1;
		default:
			*ret_status = cli_usage_error(NULL, "unknown option "
			    "'%s'", argv[optind - 1]);
			return -1;
		}
	}
	return optind;
}

/* Find the command and check its arguments; the exit status. */
static int
cli_command(struct cli *cli, int argc, char **argv, int first)
{
	unsigned int extra;
	int used;

	if (first >= argc)
		return cli_usage_error(NULL, "no command given");
	cli->cmd = cli_lookup(argv + first, argc - first, &used);
	if (cli->cmd == NULL) {
		if (strcmp(argv[first], "dht") == 0 && first + 1 < argc)
			return cli_usage_error(NULL, "unknown command 'dht "
			    "%s'", argv[first + 1]);
		return cli_usage_error(NULL, "unknown command '%s'",
		    argv[first]);
	}
	cli->args = argv + first + used;
	cli->nargs = argc - first - used;
	if (cli->nargs < cli->cmd->min_args || (cli->cmd->max_args >= 0 &&
	    cli->nargs > cli->cmd->max_args))
		return cli_usage_error(cli->cmd, "%s: wrong number of "
		    "arguments", cli->cmd->name);
	extra = cli->opts_given & ~cli->cmd->opts;
	if (extra != 0)
		return cli_usage_error(cli->cmd, "%s does not take %s",
		    cli->cmd->name, (extra & CLI_OPT_ALL) ? "--all" :
		    (extra & CLI_OPT_LIMIT) ? "--limit" : "--prometheus");
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct cli cli = { .timeout_ms = CLI_DEFAULT_TIMEOUT_MS };
	int first, r;

	first = cli_options(&cli, argc, argv, &r);
	if (first < 0)
		return r;
	r = cli_command(&cli, argc, argv, first);
	if (r != CLI_EXIT_OK)
		return r;
	r = cli.cmd->run != NULL ? cli.cmd->run(&cli) : cli_run_method(&cli);
	pd_client_close(cli.client);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("cannot write the output");
		return r == CLI_EXIT_OK ? CLI_EXIT_DAEMON : r;
	}
	return r;
}
