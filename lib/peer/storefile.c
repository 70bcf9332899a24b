/*
 * storefile.c - the peer-store file (storefile.h): crash-safe save and a
 * forgiving, bounded load.
 *
 * The manager calls pd_storefile_load() once at start and
 * pd_storefile_save() on its save timer, after bursts of change and at
 * shutdown.  The store itself (store.c) knows nothing about files.
 *
 * Saving streams the JSON text straight from the store through a 64 KiB
 * buffer into the temporary file: no JSON tree of the whole store is ever
 * built, so a 100k-peer save needs no more memory than the buffer.  Every
 * string written is known to be valid UTF-8 (the store keeps only such
 * text; an address whose text form is not is left out), and the writer
 * escapes what JSON requires.
 *
 * Loading reads the whole file (capped at PD_STOREFILE_MAX_SIZE), walks
 * the top-level object by hand and hands each value - and each element of
 * "peers" - to jansson (JSON_DISABLE_EOF_CHECK tells how far it read).  So
 * only one peer's JSON tree exists at a time, a bad entry is skipped on
 * its own, and any syntax error, truncation or wrong shape makes the whole
 * file corrupt: the peers added so far are removed again so the store is
 * left as it was, and pd_storefile_load() moves the file aside.  jansson
 * bounds nesting depth itself (JSON_PARSER_MAX_DEPTH, 2048) and every
 * value is parsed with JSON_REJECT_DUPLICATES: we never write a duplicate
 * key, so a file with one was not written by us and is ambiguous.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "addr/multiaddr.h"
#include "core/error.h"
#include "crypto/peerid.h"
#include "peer/store.h"
#include "peer/storefile.h"

#define SF_WBUF 65536		/* bytes buffered before a write(2) */
#define SF_MOVE_TRIES 16	/* .corrupt-<time>[-N] names tried */
#define SF_JSON_FLAGS \
	(JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES)

static void sf_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sf_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- writer ------------------------------------------------------------- */

/*
 * Output sink: to fd through a fixed buffer, or (fd < 0) into a growing
 * memory buffer capped at PD_STOREFILE_MAX_SIZE.  The first error sticks
 * in err (and errno in sys_errno) and makes later writes no-ops.
 */
struct sf_writer {
	int fd;
	char *buf;
	size_t len, cap;
	size_t total;		/* bytes written so far */
	int err;		/* 0 or PD_ERR_* */
	int sys_errno;		/* errno of a failed write(2) */
};

static void
sf_flush(struct sf_writer *w)
{
	size_t off = 0;
	ssize_t n;

	if (w->fd < 0 || w->err != 0)
		return;
	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->sys_errno = n < 0 ? errno : EIO;
			w->err = PD_ERR_IO;
			return;
		}
		off += (size_t)n;
	}
	w->len = 0;
}

/* Room for n more bytes in w->buf; false after an error. */
static bool
sf_room(struct sf_writer *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->err != 0)
		return false;
	if (w->total + n > PD_STOREFILE_MAX_SIZE) {
		w->err = PD_ERR_OVERFLOW;
		return false;
	}
	if (w->len + n <= w->cap)
		return true;
	if (w->fd >= 0) {
		sf_flush(w);
		return w->err == 0 && n <= w->cap;
	}
	for (cap = w->cap ? w->cap : SF_WBUF; cap < w->len + n; cap *= 2)
		;
	if ((p = realloc(w->buf, cap)) == NULL) {
		w->err = PD_ERR_NOMEM;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static void
sf_put(struct sf_writer *w, const void *p, size_t n)
{
	const char *s = p;
	size_t k;

	/* Chunks no larger than the buffer, so fd mode always fits. */
	while (n > 0) {
		k = n < SF_WBUF ? n : SF_WBUF;
		if (!sf_room(w, k))
			return;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		w->total += k;
		s += k;
		n -= k;
	}
}

static void
sf_puts(struct sf_writer *w, const char *s)
{
	sf_put(w, s, strlen(s));
}

/* Decimal text of v into out (room for 21 bytes); returns the length. */
static size_t
sf_itoa(char *out, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

/* ,"key":v  (printf is a tenth of a save's time otherwise) */
static void
sf_put_int(struct sf_writer *w, const char *key, int64_t v)
{
	char num[24];

	sf_puts(w, ",\"");
	sf_puts(w, key);
	sf_put(w, "\":", 2);
	sf_put(w, num, sf_itoa(num, v));
}

static void
sf_put_bool(struct sf_writer *w, const char *key, bool v)
{
	sf_puts(w, ",\"");
	sf_puts(w, key);
	sf_puts(w, v ? "\":true" : "\":false");
}

/* A JSON string of s[0..n) (valid UTF-8): quote, backslash, controls. */
static void
sf_put_str(struct sf_writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char esc[6];

	sf_put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		sf_put(w, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sf_put(w, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			sf_put(w, esc, 6);
		}
	}
	sf_put(w, s + run, n - run);
	sf_put(w, "\"", 1);
}

static void
sf_put_key_str(struct sf_writer *w, const char *key, const char *s)
{
	sf_puts(w, ",\"");
	sf_puts(w, key);
	sf_puts(w, "\":");
	sf_put_str(w, s, strlen(s));
}

/* "key":["a","b"] from n strings. */
static void
sf_put_list(struct sf_writer *w, const char *key,
    const char *const *list, size_t n)
{
	size_t i;

	sf_puts(w, ",\"");
	sf_puts(w, key);
	sf_puts(w, "\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sf_put(w, ",", 1);
		sf_put_str(w, list[i], strlen(list[i]));
	}
	sf_put(w, "]", 1);
}

static void
sf_put_addrs(struct sf_writer *w, const struct pd_peer *p)
{
	char text[PD_MULTIADDR_MAX_TEXT + 1], num[24];
	struct pd_multiaddr ma;
	const char *src;
	bool first = true;
	size_t i;
	int n;

	sf_puts(w, ",\"addrs\":[");
	for (i = 0; i < p->naddrs; i++) {
		if (pd_store_addr_get(p, i, &ma) < 0 ||
		    (n = pd_multiaddr_format(&ma, text, sizeof(text))) < 0 ||
		    !pd_store_text_ok(text, (size_t)n))
			continue;	/* not representable as JSON text */
		src = pd_store_source_name(p->addrs[i].source);
		sf_puts(w, first ? "{\"addr\":" : ",{\"addr\":");
		first = false;
		sf_put_str(w, text, (size_t)n);
		sf_puts(w, ",\"expires\":");
		sf_put(w, num, sf_itoa(num, p->addrs[i].expires));
		sf_puts(w, ",\"source\":\"");
		sf_puts(w, src != NULL ? src : "manual");
		sf_puts(w, "\"}");
	}
	sf_put(w, "]", 1);
}

/*
 * One peer object.  Fields at their default (no agent, no tags, never
 * connected, no dial failures...) are left out: the loader reads a
 * missing field as its default, and the file shrinks by a quarter.
 */
static void
sf_put_peer(struct sf_writer *w, const struct pd_peer *p)
{
	const char *names[4];
	char num[48];
	size_t i, nn = 0;
	int n;

	sf_puts(w, "{\"id\":\"");
	sf_puts(w, pd_store_id_text(p));
	sf_put(w, "\"", 1);
	sf_put_addrs(w, p);
	for (i = 0; i < 4; i++)
		if (p->sources & (1u << i))
			names[nn++] = pd_store_source_name(1u << i);
	sf_put_list(w, "sources", names, nn);
	sf_put_list(w, "protocols", (const char *const *)p->protocols,
	    p->nprotocols);
	if (p->agent != NULL)
		sf_put_key_str(w, "agent", p->agent);
	n = snprintf(num, sizeof(num), ",\"latency_ms\":%" PRIu32 ".%03" PRIu32,
	    p->latency_us / 1000, p->latency_us % 1000);
	sf_put(w, num, (size_t)n);
	sf_put_int(w, "score", p->score);
	if (p->ntags > 0)
		sf_put_list(w, "protected", (const char *const *)p->tags,
		    p->ntags);
	sf_put_int(w, "first_seen", p->first_seen);
	sf_put_int(w, "last_seen", p->last_seen);
	if (p->last_connected != 0)
		sf_put_int(w, "last_connected", p->last_connected);
	if (p->connected)
		sf_put_bool(w, "connected", true);
	if (p->direction != PD_STORE_DIR_NONE)
		sf_put_key_str(w, "direction", pd_store_dir_name(p->direction));
	if (p->dial_failures != 0)
		sf_put_int(w, "dial_failures", p->dial_failures);
	if (p->next_dial != 0)
		sf_put_int(w, "next_dial", p->next_dial);
	if (p->last_error[0] != '\0')
		sf_put_key_str(w, "last_error", p->last_error);
	if (p->kad_server)
		sf_put_bool(w, "kad_server", true);
	sf_put(w, "}", 1);
}

static void
sf_put_store(struct sf_writer *w, const struct pd_store *store, int64_t now)
{
	const struct pd_peer *p;
	char head[96];
	int n;

	n = snprintf(head, sizeof(head),
	    "{\"version\":%d,\"saved_at\":%" PRId64 ",\"peers\":[",
	    PD_STOREFILE_VERSION, now);
	sf_put(w, head, (size_t)n);
	for (p = pd_store_first(store); p != NULL; p = pd_store_next(p)) {
		sf_puts(w, p == pd_store_first(store) ? "\n" : ",\n");
		sf_put_peer(w, p);
	}
	sf_puts(w, "\n]}\n");
	sf_flush(w);
}

int
pd_storefile_encode(const struct pd_store *store, int64_t now,
    char **ret_buf, size_t *ret_len)
{
	struct sf_writer w = { .fd = -1 };

	sf_put_store(&w, store, now);
	if (w.err != 0) {
		free(w.buf);
		return w.err;
	}
	*ret_buf = w.buf;
	*ret_len = w.len;
	return 0;
}

/* ---- save --------------------------------------------------------------- */

/* fsync the directory holding path. 0 or -errno. */
static int
sf_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	(void)close(fd);
	return r;
}

/* Create the temporary file, replacing a stale one of this pid. */
static int
sf_open_tmp(const char *tmp)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		/* Left by a crashed run with our pid (pid 1 in containers). */
		(void)unlink(tmp);
	}
	return -1;
}

size_t
pd_storefile_clean_tmp(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], full[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t blen, removed = 0;
	struct dirent *de;
	DIR *d;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(base, sizeof(base), "%s", path);
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) > 0 ?
		    (int)(slash - path) : 1, path);
		snprintf(base, sizeof(base), "%s", slash + 1);
	}
	blen = strlen(base);
	if (blen == 0 || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;
		char *end;
		long pid;

		if (strncmp(p, base, blen) != 0 ||
		    strncmp(p + blen, ".tmp-", 5) != 0)
			continue;
		errno = 0;
		pid = strtol(p + blen + 5, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 ||
		    end == p + blen + 5)
			continue;
		/* A live process may be saving right now: leave it. */
		if (pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
			continue;
		if (pid != (long)getpid() && errno != ESRCH)
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, p) <
		    (int)sizeof(full) && unlink(full) == 0)
			removed++;
	}
	(void)closedir(d);
	return removed;
}

int
pd_storefile_save(const struct pd_store *store, const char *path,
    int64_t now, char *why, size_t whylen)
{
	struct sf_writer w = { .fd = -1 };
	char tmp[PATH_MAX], wbuf[SF_WBUF];
	int r, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sf_why(why, whylen, "%s: path too long", path);
		return PD_ERR_OVERFLOW;
	}
	if ((w.fd = sf_open_tmp(tmp)) < 0) {
		sf_why(why, whylen, "%s: %s", tmp, strerror(errno));
		return PD_ERR_IO;
	}
	w.buf = wbuf;
	w.cap = sizeof(wbuf);
	sf_put_store(&w, store, now);
	if (w.err != 0) {
		sf_why(why, whylen, "%s: write: %s", tmp, w.err == PD_ERR_IO ?
		    strerror(w.sys_errno) : pd_strerror(w.err));
		goto fail;
	}
	if (fsync(w.fd) < 0) {
		sf_why(why, whylen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	r = close(w.fd);
	w.fd = -1;
	if (r < 0) {
		sf_why(why, whylen, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		sf_why(why, whylen, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	if ((r = sf_sync_dir(path)) < 0) {
		sf_why(why, whylen, "%s: saved, but fsync of its directory "
		    "failed: %s", path, strerror(-r));
		return PD_ERR_IO;
	}
	return 0;

fail:
	if (w.fd >= 0)
		(void)close(w.fd);
	(void)unlink(tmp);
	return w.err == PD_ERR_NOMEM || w.err == PD_ERR_OVERFLOW ? w.err :
	    PD_ERR_IO;
}

/* ---- load: one peer ------------------------------------------------------ */

struct sf_addr {
	struct pd_multiaddr ma;
	int64_t expires;
	unsigned int source;
};

/* A peer entry, type-checked, before it touches the store. */
struct sf_peer {
	struct pd_peerid id;
	struct pd_store_saved saved;
	unsigned int sources;
	const char *agent;			/* borrowed from the JSON */
	json_t *addrs;				/* array or NULL */
	const char *protocols[PD_STOREFILE_MAX_LIST];
	size_t nprotocols;
	const char *tags[PD_STOREFILE_MAX_LIST];
	size_t ntags;
};

/* Integer field in [min, max], absent = *v unchanged.  0, or -1 if bad. */
static int
sf_get_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < min ||
	    json_integer_value(j) > max)
		return -1;
	*v = json_integer_value(j);
	return 0;
}

static int
sf_get_bool(json_t *o, const char *key, bool *v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_boolean(j))
		return -1;
	*v = json_is_true(j);
	return 0;
}

/* String field, or NULL (absent, or null when nullable).  -1 if bad. */
static int
sf_get_str(json_t *o, const char *key, bool nullable, const char **v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL || (nullable && json_is_null(j)))
		return 0;
	if (!json_is_string(j))
		return -1;
	*v = json_string_value(j);
	return 0;
}

/* Array of strings: the first `max` go to out[]. -1 if not all strings. */
static int
sf_get_strs(json_t *o, const char *key, const char **out, size_t max,
    size_t *ret_n)
{
	json_t *j = json_object_get(o, key), *e;
	size_t i, n = 0;

	*ret_n = 0;
	if (j == NULL)
		return 0;
	if (!json_is_array(j))
		return -1;
	json_array_foreach(j, i, e) {
		if (!json_is_string(e))
			return -1;
		if (n < max)
			out[n++] = json_string_value(e);
	}
	*ret_n = n;
	return 0;
}

static int
sf_get_latency(json_t *o, uint32_t *ret_us)
{
	json_t *j = json_object_get(o, "latency_ms");
	double v, us;

	if (j == NULL)
		return 0;
	if (!json_is_number(j))
		return -1;
	v = json_number_value(j);
	if (!isfinite(v) || v < 0)
		return -1;
	/* Round half up by hand: v >= 0, and no libm dependency. */
	us = v * 1000.0 + 0.5;
	if (!(us < (double)UINT32_MAX + 1.0))
		return -1;
	*ret_us = (uint32_t)us;
	return 0;
}

/* Types of the address objects; the text is checked later. */
static int
sf_check_addrs(json_t *a)
{
	json_t *e, *x;
	size_t i;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, e) {
		if (!json_is_object(e) ||
		    !json_is_string(json_object_get(e, "addr")))
			return -1;
		x = json_object_get(e, "expires");
		if (x != NULL && (!json_is_integer(x) ||
		    json_integer_value(x) < 0))
			return -1;
		x = json_object_get(e, "source");
		if (x != NULL && !json_is_string(x))
			return -1;
	}
	return 0;
}

static enum pd_store_dir
sf_dir_parse(const char *s)
{
	if (s != NULL && strcmp(s, "inbound") == 0)
		return PD_STORE_DIR_INBOUND;
	if (s != NULL && strcmp(s, "outbound") == 0)
		return PD_STORE_DIR_OUTBOUND;
	return PD_STORE_DIR_NONE;
}

/* Check every field's type and range into *sp.  0, or -1: bad entry. */
static int
sf_peer_parse(json_t *o, struct sf_peer *sp)
{
	const char *id = NULL, *dir = NULL, *names[PD_STOREFILE_MAX_LIST];
	int64_t score = 0, failures = 0;
	size_t i, nnames;
	bool connected = false;

	memset(sp, 0, sizeof(*sp));
	if (!json_is_object(o) || sf_get_str(o, "id", false, &id) < 0 ||
	    id == NULL || pd_peerid_parse(id, strlen(id), &sp->id) < 0)
		return -1;
	sp->addrs = json_object_get(o, "addrs");
	if (sp->addrs != NULL && sf_check_addrs(sp->addrs) < 0)
		return -1;
	if (sf_get_strs(o, "sources", names, PD_STOREFILE_MAX_LIST,
	    &nnames) < 0 ||
	    sf_get_strs(o, "protocols", sp->protocols, PD_STOREFILE_MAX_LIST,
	    &sp->nprotocols) < 0 ||
	    sf_get_strs(o, "protected", sp->tags, PD_STOREFILE_MAX_LIST,
	    &sp->ntags) < 0 ||
	    sf_get_str(o, "agent", true, &sp->agent) < 0 ||
	    sf_get_latency(o, &sp->saved.latency_us) < 0 ||
	    sf_get_int(o, "score", INT_MIN, INT_MAX, &score) < 0 ||
	    sf_get_int(o, "first_seen", 0, INT64_MAX, &sp->saved.first_seen) < 0 ||
	    sf_get_int(o, "last_seen", 0, INT64_MAX, &sp->saved.last_seen) < 0 ||
	    sf_get_int(o, "last_connected", 0, INT64_MAX,
	    &sp->saved.last_connected) < 0 ||
	    sf_get_bool(o, "connected", &connected) < 0 ||
	    sf_get_str(o, "direction", false, &dir) < 0 ||
	    sf_get_int(o, "dial_failures", 0, UINT32_MAX, &failures) < 0 ||
	    sf_get_int(o, "next_dial", 0, INT64_MAX, &sp->saved.next_dial) < 0 ||
	    sf_get_str(o, "last_error", false, &sp->saved.last_error) < 0 ||
	    sf_get_bool(o, "kad_server", &sp->saved.kad_server) < 0)
		return -1;
	for (i = 0; i < nnames; i++)
		sp->sources |= pd_store_source_parse(names[i], strlen(names[i]));
	sp->saved.score = (int)score;
	sp->saved.dial_failures = (uint32_t)failures;
	sp->saved.was_connected = connected;
	sp->saved.direction = sf_dir_parse(dir);
	sp->saved.id_text = id;
	return 0;
}

/* Parse the address texts into out[], counting skipped ones. */
static size_t
sf_peer_addrs(const struct sf_peer *sp, int64_t now, struct sf_addr *out,
    struct pd_storefile_stats *st)
{
	json_t *e, *x;
	const char *text;
	size_t i, n = 0;

	if (sp->addrs == NULL)
		return 0;
	json_array_foreach(sp->addrs, i, e) {
		struct sf_addr *a;

		if (n == PD_STORE_MAX_ADDRS) {
			st->bad_addrs++;	/* over the per-peer cap */
			continue;
		}
		a = &out[n];
		text = json_string_value(json_object_get(e, "addr"));
		x = json_object_get(e, "expires");
		a->expires = x != NULL ? json_integer_value(x) : 0;
		x = json_object_get(e, "source");
		a->source = x != NULL ? pd_store_source_parse(
		    json_string_value(x), json_string_length(x)) :
		    PD_SOURCE_MANUAL;
		/* Text the saver could not write back is refused here too. */
		if (a->source == 0 || !pd_store_text_ok(text, strlen(text)) ||
		    pd_multiaddr_parse(text, &a->ma, NULL, 0) < 0) {
			st->bad_addrs++;
			continue;
		}
		if (a->expires != PD_STORE_TTL_PERMANENT && a->expires <= now) {
			st->expired_addrs++;
			continue;
		}
		n++;
	}
	return n;
}

/* Number of tags pd_store_protect() will accept. */
static size_t
sf_good_tags(const struct sf_peer *sp)
{
	size_t i, n = 0, len;

	for (i = 0; i < sp->ntags; i++) {
		len = strlen(sp->tags[i]);
		if (len > 0 && len <= PD_STORE_MAX_TAG_LEN &&
		    pd_store_text_ok(sp->tags[i], len))
			n++;
	}
	return n;
}

/* Add one checked entry to the store.  0, or PD_ERR_NOMEM. */
static int
sf_peer_apply(struct pd_store *store, const struct sf_peer *sp, int64_t now,
    struct pd_storefile_stats *st)
{
	struct sf_addr addrs[PD_STORE_MAX_ADDRS];
	struct pd_peer *p;
	size_t naddrs, i;
	int r;

	if (pd_store_get(store, &sp->id) != NULL) {
		st->duplicates++;
		return 0;
	}
	if (pd_store_count(store) >= pd_store_max(store)) {
		st->over_limit++;
		return 0;
	}
	naddrs = sf_peer_addrs(sp, now, addrs, st);
	if (naddrs == 0 && sp->saved.last_connected == 0 &&
	    sf_good_tags(sp) == 0) {
		st->expired_peers++;
		return 0;
	}
	if ((r = pd_store_add(store, &sp->id, now, &p)) < 0)
		return r;
	for (i = 0; i < naddrs; i++) {
		int64_t ttl = addrs[i].expires == PD_STORE_TTL_PERMANENT ?
		    PD_STORE_TTL_PERMANENT : addrs[i].expires - now;

		if (pd_store_add_addr(p, &addrs[i].ma, ttl, addrs[i].source,
		    now) == PD_ERR_NOMEM)
			return PD_ERR_NOMEM;
	}
	for (i = 0; i < sp->ntags && p->ntags < PD_STORE_MAX_TAGS; i++)
		if (pd_store_protect(p, sp->tags[i]) == PD_ERR_NOMEM)
			return PD_ERR_NOMEM;
	if (pd_store_set_protocols(p, sp->protocols, sp->nprotocols) < 0 ||
	    pd_store_set_agent(p, sp->agent) < 0)
		return PD_ERR_NOMEM;
	pd_store_add_sources(p, sp->sources);
	pd_store_restore(p, &sp->saved);
	st->loaded++;
	return 0;
}

/* ---- load: the file --------------------------------------------------- */

/* Parser state over the whole buffer. */
struct sf_parser {
	const char *buf;
	size_t len, pos;
	struct pd_store *store;
	int64_t now;
	struct pd_storefile_stats st;
	char *why;
	size_t whylen;
};

static void
sf_skip_ws(struct sf_parser *ps)
{
	while (ps->pos < ps->len && (ps->buf[ps->pos] == ' ' ||
	    ps->buf[ps->pos] == '\t' || ps->buf[ps->pos] == '\n' ||
	    ps->buf[ps->pos] == '\r'))
		ps->pos++;
}

/* Skip whitespace, then consume c if it is next. */
static bool
sf_expect(struct sf_parser *ps, char c)
{
	sf_skip_ws(ps);
	if (ps->pos < ps->len && ps->buf[ps->pos] == c) {
		ps->pos++;
		return true;
	}
	return false;
}

/* Parse one JSON value at pos with jansson.  NULL (why set) on error. */
static json_t *
sf_value(struct sf_parser *ps)
{
	json_error_t e;
	json_t *j;

	sf_skip_ws(ps);
	j = json_loadb(ps->buf + ps->pos, ps->len - ps->pos, SF_JSON_FLAGS, &e);
	if (j == NULL) {
		sf_why(ps->why, ps->whylen, "offset %zu: %s",
		    ps->pos + (e.position > 0 ? (size_t)e.position : 0), e.text);
		return NULL;
	}
	ps->pos += (size_t)e.position;
	return j;
}

static int
sf_fail(struct sf_parser *ps, const char *what)
{
	sf_why(ps->why, ps->whylen, "offset %zu: %s", ps->pos, what);
	return PD_ERR_MALFORMED;
}

/* "peers": [ peer, ... ] */
static int
sf_peers(struct sf_parser *ps)
{
	struct sf_peer sp;
	json_t *j;
	int r;

	if (!sf_expect(ps, '['))
		return sf_fail(ps, "\"peers\" is not an array");
	if (sf_expect(ps, ']'))
		return 0;
	do {
		if ((j = sf_value(ps)) == NULL)
			return PD_ERR_MALFORMED;
		r = 0;
		if (sf_peer_parse(j, &sp) < 0)
			ps->st.bad_peers++;
		else
			r = sf_peer_apply(ps->store, &sp, ps->now, &ps->st);
		json_decref(j);
		if (r < 0)
			return r;
	} while (sf_expect(ps, ','));
	if (!sf_expect(ps, ']'))
		return sf_fail(ps, "expected ',' or ']' in \"peers\"");
	return 0;
}

/* One "key": value member of the top-level object. */
static int
sf_member(struct sf_parser *ps, unsigned int *seen, int64_t *version)
{
	static const char *const keys[] = { "version", "saved_at", "peers" };
	json_t *k, *v;
	unsigned int which = 3;
	int64_t n;

	if (ps->pos >= ps->len || ps->buf[ps->pos] != '"')
		return sf_fail(ps, "expected a key");
	if ((k = sf_value(ps)) == NULL)
		return PD_ERR_MALFORMED;
	for (which = 0; which < 3; which++)
		if (strcmp(json_string_value(k), keys[which]) == 0)
			break;
	json_decref(k);
	if (which < 3 && (*seen & (1u << which)))
		return sf_fail(ps, "duplicate key");
	if (which < 3)
		*seen |= 1u << which;
	if (!sf_expect(ps, ':'))
		return sf_fail(ps, "expected ':'");
	if (which == 2)
		return sf_peers(ps);
	if ((v = sf_value(ps)) == NULL)
		return PD_ERR_MALFORMED;
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	json_decref(v);
	if (which < 3 && n < 0)
		return sf_fail(ps, which == 0 ? "bad \"version\"" :
		    "bad \"saved_at\"");
	if (which == 0)
		*version = n;
	else if (which == 1)
		ps->st.saved_at = n;
	return 0;
}

static int
sf_document(struct sf_parser *ps)
{
	unsigned int seen = 0;
	int64_t version = -1;
	int r;

	if (ps->len == 0)
		return sf_fail(ps, "empty file");
	if (!sf_expect(ps, '{'))
		return sf_fail(ps, "not a JSON object");
	if (!sf_expect(ps, '}')) {
		do {
			sf_skip_ws(ps);
			if ((r = sf_member(ps, &seen, &version)) < 0)
				return r;
		} while (sf_expect(ps, ','));
		if (!sf_expect(ps, '}'))
			return sf_fail(ps, "expected ',' or '}'");
	}
	sf_skip_ws(ps);
	if (ps->pos != ps->len)
		return sf_fail(ps, "data after the JSON object");
	if (!(seen & 1u))
		return sf_fail(ps, "no \"version\"");
	if (version != PD_STOREFILE_VERSION) {
		sf_why(ps->why, ps->whylen, "unsupported version %" PRId64
		    " (want %d)", version, PD_STOREFILE_VERSION);
		return PD_ERR_MALFORMED;
	}
	if (!(seen & 4u))
		return sf_fail(ps, "no \"peers\"");
	return 0;
}

int
pd_storefile_load_buffer(struct pd_store *store, const void *buf, size_t len,
    int64_t now, char *why, size_t whylen,
    struct pd_storefile_stats *ret_stats)
{
	struct sf_parser ps = { .buf = buf, .len = len, .store = store,
	    .now = now, .why = why, .whylen = whylen };
	struct pd_peer *mark = pd_store_last(store), *p, *next;
	int r;

	if (len > PD_STOREFILE_MAX_SIZE) {
		sf_why(why, whylen, "larger than %u bytes",
		    PD_STOREFILE_MAX_SIZE);
		return PD_ERR_OVERFLOW;
	}
	if ((r = sf_document(&ps)) == PD_ERR_MALFORMED) {
		/* Undo: the peers added by this load are the list's tail. */
		for (p = mark != NULL ? pd_store_next(mark) :
		    pd_store_first(store); p != NULL; p = next) {
			next = pd_store_next(p);
			pd_store_remove(store, p);
		}
	}
	if (r < 0)
		return r;
	if (ret_stats != NULL)
		*ret_stats = ps.st;
	return 0;
}

/* Rename path to <path>.corrupt-<secs>[-N], the name into newpath. */
static int
sf_move_aside(const char *path, int64_t now, char *newpath, size_t size)
{
	struct stat st;
	int i, n;

	for (i = 0; i < SF_MOVE_TRIES; i++) {
		if (i == 0)
			n = snprintf(newpath, size, "%s.corrupt-%" PRId64, path,
			    now / 1000);
		else
			n = snprintf(newpath, size, "%s.corrupt-%" PRId64 "-%d",
			    path, now / 1000, i);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		/* Never replace an earlier corrupt copy. */
		if (lstat(newpath, &st) == 0)
			continue;
		if (rename(path, newpath) < 0)
			return -errno;
		return 0;
	}
	return -EEXIST;
}

/* Read the whole regular file fd of size bytes into a new buffer. */
static int
sf_read_all(int fd, size_t size, char **ret_buf, size_t *ret_len)
{
	char *buf = malloc(size > 0 ? size : 1);
	size_t got = 0;
	ssize_t n;

	if (buf == NULL)
		return PD_ERR_NOMEM;
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = got;
	return 0;
}

int
pd_storefile_load(struct pd_store *store, const char *path, int64_t now,
    char *why, size_t whylen, struct pd_storefile_stats *ret_stats)
{
	char reason[256] = "", newpath[PATH_MAX], *buf = NULL;
	struct pd_storefile_stats st = { 0 };
	struct stat sb;
	size_t len = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			if (ret_stats != NULL)
				*ret_stats = st;
			return 0;
		}
		sf_why(why, whylen, "%s: %s", path, strerror(errno));
		return PD_ERR_IO;
	}
	if (fstat(fd, &sb) < 0) {
		sf_why(why, whylen, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return PD_ERR_IO;
	}
	if (!S_ISREG(sb.st_mode)) {
		sf_why(why, whylen, "%s: not a regular file", path);
		(void)close(fd);
		return PD_ERR_IO;
	}
	if ((uint64_t)sb.st_size > PD_STOREFILE_MAX_SIZE) {
		snprintf(reason, sizeof(reason), "larger than %u bytes",
		    PD_STOREFILE_MAX_SIZE);
		r = PD_ERR_MALFORMED;
	} else if ((r = sf_read_all(fd, (size_t)sb.st_size, &buf, &len)) < 0) {
		sf_why(why, whylen, "%s: read: %s", path, r == PD_ERR_NOMEM ?
		    pd_strerror(r) : strerror(-r));
		(void)close(fd);
		return r == PD_ERR_NOMEM ? r : PD_ERR_IO;
	} else
		r = pd_storefile_load_buffer(store, buf, len, now, reason,
		    sizeof(reason), &st);
	(void)close(fd);
	free(buf);
	if (r == 0) {
		if (ret_stats != NULL)
			*ret_stats = st;
		return 0;
	}
	if (r != PD_ERR_MALFORMED && r != PD_ERR_OVERFLOW) {
		sf_why(why, whylen, "%s: %s", path, pd_strerror(r));
		return r;
	}
	if ((r = sf_move_aside(path, now, newpath, sizeof(newpath))) < 0) {
		sf_why(why, whylen, "%s: %s; cannot move it aside: %s", path,
		    reason, strerror(-r));
		return PD_ERR_IO;
	}
	sf_why(why, whylen, "%s: %s; moved aside to %s", path, reason,
	    newpath);
	memset(&st, 0, sizeof(st));
	if (ret_stats != NULL)
		*ret_stats = st;
	return PD_STOREFILE_MOVED_ASIDE;
}
