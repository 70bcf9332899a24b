/*
 * sdnotify.c - peerdiscd's systemd glue (sdnotify.h): the service
 * manager notifications of a Type=notify unit, the watchdog interval, the
 * control socket handed over by peerdiscd.socket, and the native journal
 * log sink with structured fields.
 *
 * main.c calls these at the points of its life the messages describe
 * (ready after the listeners, the store and the control socket; reloading
 * and ready again around a reload; stopping at shutdown; a watchdog ping
 * from an event-loop timer) and installs the journal sink when systemd
 * connected stderr to journald.  With libsystemd absent (--without-
 * systemd) the notifications and socket activation compile to no-ops and
 * the journal sink writes "<N>"-prefixed lines, which journald also
 * understands.  Nothing here keeps state: libsystemd reads the
 * environment on each call.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <config.h>

#ifdef HAVE_SYSTEMD
/* CODE_FILE= etc. would always name this sink, not the caller */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif

#include "core/log.h"
#include "sdnotify.h"

/* Send one message (several NAME=value lines). */
static int
sdnotify_send(const char *msg)
{
#ifdef HAVE_SYSTEMD
	return sd_notify(0, msg);
#else
	(void)msg;
	return 0;
#endif
}

/* Copy status into out as one line, cut to SDNOTIFY_STATUS_MAX. */
static void
sdnotify_status_text(const char *status, char *out, size_t outlen)
{
	size_t i;

	snprintf(out, outlen, "%.*s", SDNOTIFY_STATUS_MAX, status);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
}

int
sdnotify_ready(const char *status)
{
	char line[SDNOTIFY_STATUS_MAX + 1], msg[SDNOTIFY_STATUS_MAX + 32];

	if (status == NULL)
		return sdnotify_send("READY=1");
	sdnotify_status_text(status, line, sizeof(line));
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", line);
	return sdnotify_send(msg);
}

int
sdnotify_status(const char *status)
{
	char line[SDNOTIFY_STATUS_MAX + 1], msg[SDNOTIFY_STATUS_MAX + 32];

	sdnotify_status_text(status, line, sizeof(line));
	snprintf(msg, sizeof(msg), "STATUS=%s", line);
	return sdnotify_send(msg);
}

int
sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return sdnotify_send("RELOADING=1");
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return sdnotify_send(msg);
}

int
sdnotify_stopping(void)
{
	return sdnotify_send("STOPPING=1");
}

int
sdnotify_watchdog(void)
{
	return sdnotify_send("WATCHDOG=1");
}

uint64_t
sdnotify_watchdog_usec(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;
	int r;

	r = sd_watchdog_enabled(0, &usec);
	if (r < 0)
		PD_LOG_WARN("watchdog: ignoring $WATCHDOG_USEC/$WATCHDOG_PID: "
		    "%s", strerror(-r));
	return r > 0 ? usec : 0;
#else
	return 0;
#endif
}

int
sdnotify_listen_fd(char *ret_path, size_t pathlen)
{
#ifdef HAVE_SYSTEMD
	struct sockaddr_un sun;
	socklen_t len;
	int n, fd, chosen = -1;

	n = sd_listen_fds(1);
	if (n < 0) {
		PD_LOG_WARN("socket activation: ignoring $LISTEN_FDS: %s",
		    strerror(-n));
		return -1;
	}
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		if (chosen < 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL,
		    0) > 0) {
			chosen = fd;
			continue;
		}
		PD_LOG_WARN("socket activation: fd %d is not %s; closing it",
		    fd, chosen < 0 ? "a listening Unix stream socket" :
		    "the first Unix stream socket (only one is used)");
		(void)close(fd);
	}
	if (chosen >= 0 && ret_path != NULL && pathlen > 0) {
		memset(&sun, 0, sizeof(sun));
		len = sizeof(sun);
		ret_path[0] = '\0';
		if (getsockname(chosen, (struct sockaddr *)&sun, &len) == 0 &&
		    len > offsetof(struct sockaddr_un, sun_path) &&
		    sun.sun_path[0] != '\0')
			snprintf(ret_path, pathlen, "%.*s",
			    (int)(len - offsetof(struct sockaddr_un, sun_path)),
			    sun.sun_path);
	}
	return chosen;
#else
	(void)ret_path;
	(void)pathlen;
	return -1;
#endif
}

bool
sdnotify_journal_stream_is(const char *env, int fd)
{
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || env[0] < '0' || env[0] > '9')
		return false;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

bool
sdnotify_journal_available(void)
{
#ifdef HAVE_SYSTEMD
	struct stat st;

	return stat(SDNOTIFY_JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
#else
	return false;
#endif
}

/* Append "name=value" (value cut to max) to buf at *off as iov[*n]. */
static int
sdnotify_journal_entry(char *buf, size_t buflen, size_t *off,
    struct iovec *iov, int *n, const char *name, const char *value,
    size_t max)
{
	size_t nlen = strlen(name), vlen = strnlen(value, max);

	if (*off + nlen + 1 + vlen > buflen)
		return -1;
	memcpy(buf + *off, name, nlen);
	buf[*off + nlen] = '=';
	memcpy(buf + *off + nlen + 1, value, vlen);
	iov[*n].iov_base = buf + *off;
	iov[*n].iov_len = nlen + 1 + vlen;
	*off += nlen + 1 + vlen;
	(*n)++;
	return 0;
}

int
sdnotify_journal_record(enum pd_log_level level, const char *msg,
    const struct pd_log_field *fields, size_t nfields, char *buf,
    size_t buflen, struct iovec *iov)
{
	char prio[4];
	size_t off = 0, kept = 0;
	int n = 0;

	if (buflen < SDNOTIFY_JOURNAL_BUF)
		return -1;
	snprintf(prio, sizeof(prio), "%d", (int)level & 7);
	if (sdnotify_journal_entry(buf, buflen, &off, iov, &n, "PRIORITY",
	    prio, sizeof(prio)) < 0 ||
	    sdnotify_journal_entry(buf, buflen, &off, iov, &n,
	    "SYSLOG_IDENTIFIER", SDNOTIFY_IDENTIFIER, 64) < 0 ||
	    sdnotify_journal_entry(buf, buflen, &off, iov, &n, "MESSAGE", msg,
	    PD_LOG_LINE_MAX) < 0)
		return -1;
	for (size_t i = 0; i < nfields && kept < PD_LOG_MAX_FIELDS; i++) {
		if (fields[i].value == NULL ||
		    !pd_log_field_name_ok(fields[i].name))
			continue;
		if (sdnotify_journal_entry(buf, buflen, &off, iov, &n,
		    fields[i].name, fields[i].value,
		    SDNOTIFY_JOURNAL_VALUE_MAX) < 0)
			return -1;
		kept++;
	}
	return n;
}

void
sdnotify_journal_sink(enum pd_log_level level, const char *msg,
    const struct pd_log_field *fields, size_t nfields, void *arg)
{
#ifdef HAVE_SYSTEMD
	struct iovec iov[SDNOTIFY_JOURNAL_IOV];
	char buf[SDNOTIFY_JOURNAL_BUF];
	int n;

	/* sd_journal_sendv() drops records silently with no socket */
	n = sdnotify_journal_record(level, msg, fields, nfields, buf,
	    sizeof(buf), iov);
	if (n > 0 && sdnotify_journal_available() &&
	    sd_journal_sendv(iov, n) >= 0)
		return;
#endif
	(void)fields;
	(void)nfields;
	(void)arg;
	fprintf(stderr, "<%d>%s: %s\n", (int)level & 7,
	    pd_log_level_name(level), msg);
}
