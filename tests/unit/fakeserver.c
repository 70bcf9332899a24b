/*
 * fakeserver.c - a scripted stand-in for peerdiscd's control socket, used
 * by tests/integration/030-peerdiscctl-fake.sh to run the real
 * peerdiscctl without a daemon.
 *
 *   fakeserver [-l LOG] [-r READY] [-t SECONDS] SOCKET SCRIPT
 *
 * It listens on the Unix socket SOCKET, creates the file READY once it
 * accepts connections, and serves each connection in a forked child:
 * every request line is appended to LOG, parsed, and answered by the
 * first rule of SCRIPT whose method matches (and whose text, if given,
 * occurs in the request line).  SCRIPT lines:
 *
 *   on METHOD [TEXT]   start a rule
 *   send LINE          send LINE and a newline; @ID@ becomes the
 *                      request's id (as JSON)
 *   partial TEXT       send TEXT without a newline
 *   big N              send a result line of exactly N bytes
 *   sleep MS           wait MS milliseconds (or until the client leaves)
 *   close              close the connection now
 *   # ...              a comment; blank lines are ignored
 *
 * A request that no rule matches gets -32601, as from the daemon.  The
 * server and its children exit after SECONDS (default 60), so a test
 * that dies cannot leave them behind for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define FAKE_MAX_RULES 128
#define FAKE_MAX_ACTIONS 32		/* per rule */
#define FAKE_MAX_SCRIPT_LINE 4096
#define FAKE_MAX_REQUEST (2 * 1024 * 1024)	/* bytes per request line */

enum fake_op { FAKE_SEND, FAKE_PARTIAL, FAKE_BIG, FAKE_SLEEP, FAKE_CLOSE };

struct fake_action {
	enum fake_op op;
	char *text;			/* SEND, PARTIAL */
	long n;				/* BIG: bytes, SLEEP: ms */
};

struct fake_rule {
	char *method;
	char *match;			/* NULL: any request of method */
	struct fake_action actions[FAKE_MAX_ACTIONS];
	size_t nactions;
};

static struct fake_rule fake_rules[FAKE_MAX_RULES];
static size_t fake_nrules;
static FILE *fake_log;

static void __attribute__((noreturn, format(printf, 1, 2)))
fake_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fakeserver: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static char *
fake_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fake_die("out of memory");
	return d;
}

/* Read SCRIPT into fake_rules. */
static void
fake_load(const char *path)
{
	char line[FAKE_MAX_SCRIPT_LINE], *p, *arg;
	struct fake_rule *rule = NULL;
	struct fake_action *a;
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (f == NULL)
		fake_die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		arg = p + strcspn(p, " \t");
		if (*arg != '\0')
			*arg++ = '\0';
		if (strcmp(p, "on") == 0) {
			if (fake_nrules == FAKE_MAX_RULES)
				fake_die("%s:%d: too many rules", path, lineno);
			rule = &fake_rules[fake_nrules++];
			p = arg + strcspn(arg, " \t");
			if (*p != '\0') {
				*p++ = '\0';
				rule->match = fake_strdup(p);
			}
			rule->method = fake_strdup(arg);
			continue;
		}
		if (rule == NULL || rule->nactions == FAKE_MAX_ACTIONS)
			fake_die("%s:%d: action outside a rule or too many",
			    path, lineno);
		a = &rule->actions[rule->nactions++];
		if (strcmp(p, "send") == 0 || strcmp(p, "partial") == 0) {
			a->op = p[0] == 's' ? FAKE_SEND : FAKE_PARTIAL;
			a->text = fake_strdup(arg);
		} else if (strcmp(p, "big") == 0 || strcmp(p, "sleep") == 0) {
			a->op = p[0] == 'b' ? FAKE_BIG : FAKE_SLEEP;
			a->n = strtol(arg, NULL, 10);
		} else if (strcmp(p, "close") == 0)
			a->op = FAKE_CLOSE;
		else
			fake_die("%s:%d: unknown action '%s'", path, lineno, p);
	}
	fclose(f);
}

/* Write all of p; false when the client has gone. */
static bool
fake_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* text with every @ID@ replaced by id, then a newline if nl. */
static bool
fake_send_text(int fd, const char *text, const char *id, bool nl)
{
	const char *at;

	while ((at = strstr(text, "@ID@")) != NULL) {
		if (!fake_write(fd, text, (size_t)(at - text)) ||
		    !fake_write(fd, id, strlen(id)))
			return false;
		text = at + 4;
	}
	return fake_write(fd, text, strlen(text)) &&
	    (!nl || fake_write(fd, "\n", 1));
}

/* A result line of exactly n bytes (plus the newline). */
static bool
fake_send_big(int fd, const char *id, long n)
{
	char head[128];
	int hl = snprintf(head, sizeof(head),
	    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"pad\":\"", id);
	long pad = n - hl - 3;		/* "}} */
	char *line;
	bool ok;

	if (pad < 0)
		pad = 0;
	line = malloc((size_t)(hl + pad + 4));
	if (line == NULL)
		return false;
	memcpy(line, head, (size_t)hl);
	memset(line + hl, 'x', (size_t)pad);
	memcpy(line + hl + pad, "\"}}\n", 4);
	ok = fake_write(fd, line, (size_t)(hl + pad + 4));
	free(line);
	return ok;
}

/* Wait ms, or less if the client closes; false if it did. */
static bool
fake_sleep(int fd, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	if (poll(&pfd, 1, (int)ms) > 0 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return false;
	return true;
}

/* Answer one request line; false to close the connection. */
static bool
fake_answer(int fd, const char *line, size_t len)
{
	json_t *req = json_loadb(line, len, 0, NULL);
	const char *method = json_string_value(json_object_get(req, "method"));
	char *id = NULL, reply[512];
	bool ok = true;
	size_t i, k;

	if (fake_log != NULL) {
		fprintf(fake_log, "%.*s\n", (int)len, line);
		fflush(fake_log);
	}
	if (req == NULL || method == NULL) {
		json_decref(req);
		return fake_write(fd, "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n",
		    strlen("{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}\n"));
	}
	id = json_dumps(json_object_get(req, "id"), JSON_ENCODE_ANY);
	for (i = 0; i < fake_nrules; i++) {
		struct fake_rule *r = &fake_rules[i];

		if (strcmp(r->method, method) != 0 || (r->match != NULL &&
		    memmem(line, len, r->match, strlen(r->match)) == NULL))
			continue;
		for (k = 0; k < r->nactions && ok; k++) {
			struct fake_action *a = &r->actions[k];

			switch (a->op) {
			case FAKE_SEND:
			case FAKE_PARTIAL:
				ok = fake_send_text(fd, a->text, id,
				    a->op == FAKE_SEND);
				break;
			case FAKE_BIG:
				ok = fake_send_big(fd, id, a->n);
				break;
			case FAKE_SLEEP:
				ok = fake_sleep(fd, a->n);
				break;
			case FAKE_CLOSE:
				ok = false;
				break;
			}
		}
		break;
	}
	if (i == fake_nrules) {
		snprintf(reply, sizeof(reply), "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"error\":{\"code\":-32601,\"message\":\"Method not found\","
		    "\"data\":{\"reason\":\"no method '%.100s'\"}}}\n", id,
		    method);
		ok = fake_write(fd, reply, strlen(reply));
	}
	free(id);
	json_decref(req);
	return ok;
}

/* One connection: answer lines until EOF or a close action. */
static void
fake_serve(int fd)
{
	char *buf = malloc(FAKE_MAX_REQUEST);
	size_t len = 0, start;
	ssize_t n;
	char *nl;

	if (buf == NULL)
		return;
	for (;;) {
		n = read(fd, buf + len, FAKE_MAX_REQUEST - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		start = 0;
		while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
			if (!fake_answer(fd, buf + start,
			    (size_t)(nl - buf) - start))
				goto out;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len == FAKE_MAX_REQUEST)
			break;
	}
out:
	free(buf);
}

int
main(int argc, char **argv)
{
	const char *log_path = NULL, *ready = NULL;
	struct sockaddr_un sun;
	int c, lfd, fd, lifetime = 60;
	pid_t pid;

	while ((c = getopt(argc, argv, "l:r:t:")) != -1) {
		switch (c) {
		case 'l':
			log_path = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 't':
			lifetime = atoi(optarg);
			break;
		default:
			fake_die("usage: fakeserver [-l LOG] [-r READY] "
			    "[-t SECONDS] SOCKET SCRIPT");
		}
	}
	if (argc - optind != 2)
		fake_die("usage: fakeserver [-l LOG] [-r READY] [-t SECONDS] "
		    "SOCKET SCRIPT");
	fake_load(argv[optind + 1]);
	if (log_path != NULL && (fake_log = fopen(log_path, "a")) == NULL)
		fake_die("%s: %s", log_path, strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[optind]) >= sizeof(sun.sun_path))
		fake_die("socket path too long");
	strcpy(sun.sun_path, argv[optind]);
	(void)unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 16) < 0)
		fake_die("%s: %s", sun.sun_path, strerror(errno));
	signal(SIGCHLD, SIG_IGN);	/* children are reaped by the kernel */
	alarm((unsigned int)lifetime);
	if (ready != NULL) {
		fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			fake_die("%s: %s", ready, strerror(errno));
		close(fd);
	}
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			fake_die("accept: %s", strerror(errno));
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			alarm((unsigned int)lifetime);
			fake_serve(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
