/*
 * check_sdnotify.c - unit tests for daemon/sdnotify.c and the structured
 * side of lib/core/log.c: journal field names, pd_log_fields delivery
 * (filtering, caps, the plain sink fallback, errno), the native journal
 * record built for a line, $JOURNAL_STREAM matching, and, with
 * libsystemd, the exact sd_notify messages sent to a $NOTIFY_SOCKET this
 * test owns, the watchdog interval from $WATCHDOG_USEC/$WATCHDOG_PID and
 * picking the control socket out of $LISTEN_FDS.  Without libsystemd the
 * same calls must be silent no-ops.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <config.h>

#include "core/log.h"
#include "sdnotify.h"

/* What the fields sink saw last. */
struct fields_capture {
	int calls;
	enum pd_log_level level;
	char msg[PD_LOG_LINE_MAX + 16];
	size_t n;
	char names[PD_LOG_MAX_FIELDS + 4][PD_LOG_FIELD_NAME_MAX + 1];
	char values[PD_LOG_MAX_FIELDS + 4][64];
	int clobber_errno;
};

static void
fields_sink(enum pd_log_level level, const char *msg,
    const struct pd_log_field *fields, size_t n, void *arg)
{
	struct fields_capture *c = arg;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	c->n = n;
	for (size_t i = 0; i < n && i < PD_LOG_MAX_FIELDS + 4; i++) {
		snprintf(c->names[i], sizeof(c->names[i]), "%s",
		    fields[i].name);
		snprintf(c->values[i], sizeof(c->values[i]), "%s",
		    fields[i].value);
	}
	if (c->clobber_errno != 0)
		errno = c->clobber_errno;
}

static int plain_calls;
static char plain_msg[PD_LOG_LINE_MAX + 16];

static void
plain_sink(enum pd_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	plain_calls++;
	snprintf(plain_msg, sizeof(plain_msg), "%s", msg);
}

START_TEST(test_field_names)
{
	char long_name[PD_LOG_FIELD_NAME_MAX + 2];

	ck_assert(pd_log_field_name_ok("PEER_ID"));
	ck_assert(pd_log_field_name_ok("REMOTE_ADDR"));
	ck_assert(pd_log_field_name_ok("X9"));
	ck_assert(!pd_log_field_name_ok(NULL));
	ck_assert(!pd_log_field_name_ok(""));
	ck_assert(!pd_log_field_name_ok("_PID"));	/* trusted fields */
	ck_assert(!pd_log_field_name_ok("peer_id"));
	ck_assert(!pd_log_field_name_ok("PEER-ID"));
	ck_assert(!pd_log_field_name_ok("PEER ID"));
	ck_assert(!pd_log_field_name_ok("A=B"));
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[PD_LOG_FIELD_NAME_MAX] = '\0';
	ck_assert(pd_log_field_name_ok(long_name));
	long_name[PD_LOG_FIELD_NAME_MAX] = 'A';
	long_name[PD_LOG_FIELD_NAME_MAX + 1] = '\0';
	ck_assert(!pd_log_field_name_ok(long_name));
}
END_TEST

START_TEST(test_fields_delivery)
{
	struct fields_capture c;
	struct pd_log_field f[] = {
		{ "PEER_ID", "12D3KooWabc" },
		{ "bad", "dropped" },
		{ "REMOTE_ADDR", NULL },
		{ "REMOTE_ADDR", "/ip4/127.0.0.1/tcp/1" },
	};

	memset(&c, 0, sizeof(c));
	plain_calls = 0;
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	pd_log_set_sink(plain_sink, NULL);
	pd_log_set_fields_sink(fields_sink, &c);
	pd_log_fields(PD_LOG_LEVEL_WARN, f, 4, "peer %s said %d", "x", 7);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(plain_calls, 0);
	ck_assert_int_eq(c.level, PD_LOG_LEVEL_WARN);
	ck_assert_str_eq(c.msg, "peer x said 7");
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.names[0], "PEER_ID");
	ck_assert_str_eq(c.values[0], "12D3KooWabc");
	ck_assert_str_eq(c.names[1], "REMOTE_ADDR");
	ck_assert_str_eq(c.values[1], "/ip4/127.0.0.1/tcp/1");

	/* plain calls reach the fields sink with no fields */
	PD_LOG_ERR("plain %s", "line");
	ck_assert_int_eq(c.calls, 2);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_str_eq(c.msg, "plain line");

	/* the level filter applies to both */
	pd_log_fields(PD_LOG_LEVEL_DEBUG, f, 1, "hidden");
	pd_log(PD_LOG_LEVEL_DEBUG, "hidden");
	ck_assert_int_eq(c.calls, 2);

	/* without the fields sink, the plain sink gets the message only */
	pd_log_set_fields_sink(NULL, NULL);
	pd_log_fields(PD_LOG_LEVEL_INFO, f, 4, "to plain %d", 1);
	ck_assert_int_eq(plain_calls, 1);
	ck_assert_str_eq(plain_msg, "to plain 1");
	ck_assert_int_eq(c.calls, 2);
	pd_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_fields_cap_and_errno)
{
	struct fields_capture c;
	struct pd_log_field f[PD_LOG_MAX_FIELDS + 3];
	char names[PD_LOG_MAX_FIELDS + 3][8];

	for (size_t i = 0; i < PD_LOG_MAX_FIELDS + 3; i++) {
		snprintf(names[i], sizeof(names[i]), "F%zu", i);
		f[i].name = names[i];
		f[i].value = "v";
	}
	memset(&c, 0, sizeof(c));
	c.clobber_errno = EIO;
	pd_log_set_level(PD_LOG_LEVEL_DEBUG);
	pd_log_set_fields_sink(fields_sink, &c);
	errno = ENOENT;
	pd_log_fields(PD_LOG_LEVEL_INFO, f, PD_LOG_MAX_FIELDS + 3, "many");
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(c.n, PD_LOG_MAX_FIELDS);
	ck_assert_str_eq(c.names[PD_LOG_MAX_FIELDS - 1], names[
	    PD_LOG_MAX_FIELDS - 1]);
	errno = EAGAIN;
	pd_log(PD_LOG_LEVEL_INFO, "again");
	ck_assert_int_eq(errno, EAGAIN);
	pd_log_set_fields_sink(NULL, NULL);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
}
END_TEST

/* The iovec i as a string. */
static const char *
iov_str(const struct iovec *iov, int i, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s", (int)iov[i].iov_len,
	    (const char *)iov[i].iov_base);
	return out;
}

START_TEST(test_journal_record)
{
	struct iovec iov[SDNOTIFY_JOURNAL_IOV];
	static char buf[SDNOTIFY_JOURNAL_BUF];
	char s[PD_LOG_LINE_MAX + 64], longv[SDNOTIFY_JOURNAL_VALUE_MAX + 50];
	struct pd_log_field f[PD_LOG_MAX_FIELDS + 2];
	int n;

	f[0] = (struct pd_log_field){ "PEER_ID", "12D3KooWxyz" };
	f[1] = (struct pd_log_field){ "lower", "skipped" };
	f[2] = (struct pd_log_field){ "REMOTE_ADDR", "/ip6/::1/tcp/4050" };
	n = sdnotify_journal_record(PD_LOG_LEVEL_WARN, "hello world", f, 3,
	    buf, sizeof(buf), iov);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(iov_str(iov, 0, s, sizeof(s)), "PRIORITY=4");
	ck_assert_str_eq(iov_str(iov, 1, s, sizeof(s)),
	    "SYSLOG_IDENTIFIER=peerdiscd");
	ck_assert_str_eq(iov_str(iov, 2, s, sizeof(s)), "MESSAGE=hello world");
	ck_assert_str_eq(iov_str(iov, 3, s, sizeof(s)), "PEER_ID=12D3KooWxyz");
	ck_assert_str_eq(iov_str(iov, 4, s, sizeof(s)),
	    "REMOTE_ADDR=/ip6/::1/tcp/4050");

	n = sdnotify_journal_record(PD_LOG_LEVEL_ERR, "", NULL, 0, buf,
	    sizeof(buf), iov);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(iov_str(iov, 0, s, sizeof(s)), "PRIORITY=3");
	ck_assert_str_eq(iov_str(iov, 2, s, sizeof(s)), "MESSAGE=");
	n = sdnotify_journal_record(PD_LOG_LEVEL_DEBUG, "d", NULL, 0, buf,
	    sizeof(buf), iov);
	ck_assert_str_eq(iov_str(iov, 0, s, sizeof(s)), "PRIORITY=7");
	n = sdnotify_journal_record(PD_LOG_LEVEL_INFO, "i", NULL, 0, buf,
	    sizeof(buf), iov);
	ck_assert_str_eq(iov_str(iov, 0, s, sizeof(s)), "PRIORITY=6");

	/* long values are cut; more than PD_LOG_MAX_FIELDS are dropped */
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	for (int i = 0; i < PD_LOG_MAX_FIELDS + 2; i++)
		f[i] = (struct pd_log_field){ "LONG", longv };
	n = sdnotify_journal_record(PD_LOG_LEVEL_INFO, "m", f,
	    PD_LOG_MAX_FIELDS + 2, buf, sizeof(buf), iov);
	ck_assert_int_eq(n, 3 + PD_LOG_MAX_FIELDS);
	for (int i = 3; i < n; i++)
		ck_assert_uint_eq(iov[i].iov_len,
		    strlen("LONG=") + SDNOTIFY_JOURNAL_VALUE_MAX);

	/* entries do not overlap */
	for (int i = 1; i < n; i++)
		ck_assert_ptr_eq((char *)iov[i - 1].iov_base +
		    iov[i - 1].iov_len, iov[i].iov_base);

	ck_assert_int_eq(sdnotify_journal_record(PD_LOG_LEVEL_INFO, "m", NULL,
	    0, buf, SDNOTIFY_JOURNAL_BUF - 1, iov), -1);
}
END_TEST

START_TEST(test_journal_stream)
{
	char path[] = "/tmp/check_sdnotify.XXXXXX", env[64];
	struct stat st;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	(void)unlink(path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	ck_assert(sdnotify_journal_stream_is(env, fd));
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
	ck_assert(!sdnotify_journal_stream_is(env, fd));
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev + 1, (unsigned long long)st.st_ino);
	ck_assert(!sdnotify_journal_stream_is(env, fd));
	snprintf(env, sizeof(env), "%llu:%llux",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	ck_assert(!sdnotify_journal_stream_is(env, fd));
	ck_assert(!sdnotify_journal_stream_is(NULL, fd));
	ck_assert(!sdnotify_journal_stream_is("", fd));
	ck_assert(!sdnotify_journal_stream_is(":1", fd));
	ck_assert(!sdnotify_journal_stream_is("1:", fd));
	ck_assert(!sdnotify_journal_stream_is("1", fd));
	ck_assert(!sdnotify_journal_stream_is("-1:-1", fd));
	ck_assert(!sdnotify_journal_stream_is("99999999999999999999999:1", fd));
	close(fd);
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	ck_assert(!sdnotify_journal_stream_is(env, fd));	/* closed fd */
}
END_TEST

/* A datagram socket in a fresh directory; NOTIFY_SOCKET names it. */
static int
notify_socket(char *dir, size_t dirlen)
{
	struct sockaddr_un sun;
	int fd;

	snprintf(dir, dirlen, "/tmp/check_sdnotify.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sun.sun_path, 1), 0);
	return fd;
}

static void
notify_socket_done(int fd, const char *dir)
{
	char path[256];

	close(fd);
	snprintf(path, sizeof(path), "%s/notify", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram as a string, or "" if none is waiting. */
static const char *
notify_next(int fd, char *out, size_t outlen)
{
	ssize_t n = recv(fd, out, outlen - 1, 0);

	out[n > 0 ? n : 0] = '\0';
	return out;
}

START_TEST(test_notify_messages)
{
	char dir[64], msg[1024], status[SDNOTIFY_STATUS_MAX + 100];
	unsigned long long usec;
	struct timespec ts;
	uint64_t now;
	int fd, want = 0;

#ifdef HAVE_SYSTEMD
	want = 1;
#endif
	fd = notify_socket(dir, sizeof(dir));
	ck_assert_int_eq(sdnotify_ready("3 peers connected\nx") > 0, want);
	ck_assert_str_eq(notify_next(fd, msg, sizeof(msg)), want ?
	    "READY=1\nSTATUS=3 peers connected x" : "");
	ck_assert_int_eq(sdnotify_ready(NULL) > 0, want);
	ck_assert_str_eq(notify_next(fd, msg, sizeof(msg)), want ?
	    "READY=1" : "");
	memset(status, 's', sizeof(status) - 1);
	status[sizeof(status) - 1] = '\0';
	ck_assert_int_eq(sdnotify_status(status) > 0, want);
	notify_next(fd, msg, sizeof(msg));
	if (want)
		ck_assert_uint_eq(strlen(msg), strlen("STATUS=") +
		    SDNOTIFY_STATUS_MAX);
	ck_assert_int_eq(sdnotify_stopping() > 0, want);
	ck_assert_str_eq(notify_next(fd, msg, sizeof(msg)), want ?
	    "STOPPING=1" : "");
	ck_assert_int_eq(sdnotify_watchdog() > 0, want);
	ck_assert_str_eq(notify_next(fd, msg, sizeof(msg)), want ?
	    "WATCHDOG=1" : "");
	ck_assert_int_eq(sdnotify_reloading() > 0, want);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	notify_next(fd, msg, sizeof(msg));
	if (want) {
		ck_assert_int_eq(sscanf(msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		    &usec), 1);
		ck_assert(usec <= now && now - usec < 5000000u);
	} else
		ck_assert_str_eq(msg, "");
	notify_socket_done(fd, dir);

	/* no NOTIFY_SOCKET: nothing to send, not an error */
	ck_assert_int_eq(sdnotify_ready("x"), 0);
	ck_assert_int_eq(sdnotify_watchdog(), 0);
}
END_TEST

START_TEST(test_watchdog_usec)
{
	char pid[32];
	uint64_t want = 0;

#ifdef HAVE_SYSTEMD
	want = 200000;
#endif
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "200000", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), want);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), want);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);	/* not for us */
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "junk", 1);
	ck_assert_uint_eq(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}
END_TEST

/* A listening Unix stream socket at path moved to fd number to. */
static void
listen_unix_at(const char *path, int to, int type)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) < 0) ||
	    dup2(fd, to) < 0)
		_exit(10);
	if (fd != to)
		close(fd);
}

/*
 * In a child (fds 3 and 4 are replaced there): a datagram socket at fd
 * 3 and the stream socket at 4, as $LISTEN_FDS=2 for this pid.  Exit 0
 * if fd 4 comes back with its path, 3 is closed and the variables gone.
 */
static int
listen_child(const char *dir)
{
	char p1[128], p2[128], env[32], got[256];
	int fd;

	snprintf(p1, sizeof(p1), "%s/dgram.sock", dir);
	snprintf(p2, sizeof(p2), "%s/ctl.sock", dir);
	listen_unix_at(p1, 3, SOCK_DGRAM);
	listen_unix_at(p2, 4, SOCK_STREAM);
	snprintf(env, sizeof(env), "%ld", (long)getpid());
	setenv("LISTEN_PID", env, 1);
	setenv("LISTEN_FDS", "2", 1);
	fd = sdnotify_listen_fd(got, sizeof(got));
#ifdef HAVE_SYSTEMD
	if (fd != 4)
		return 1;
	if (strcmp(got, p2) != 0)
		return 2;
	if (fcntl(3, F_GETFD) != -1 || errno != EBADF)
		return 3;
	if (getenv("LISTEN_FDS") != NULL || getenv("LISTEN_PID") != NULL)
		return 4;
#else
	if (fd != -1)
		return 1;
#endif
	/* a second call finds nothing */
	if (sdnotify_listen_fd(got, sizeof(got)) != -1)
		return 5;
	return 0;
}

START_TEST(test_listen_fd)
{
	char dir[] = "/tmp/check_sdnotify.XXXXXX", path[128];
	int status;
	pid_t pid;

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	ck_assert_int_eq(sdnotify_listen_fd(NULL, 0), -1);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	pd_log_set_level(PD_LOG_LEVEL_ERR);	/* the close warning */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(listen_child(dir));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	pd_log_set_level(PD_LOG_LEVEL_INFO);
	snprintf(path, sizeof(path), "%s/dgram.sock", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *
sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc;

	tc = tcase_create("log fields");
	tcase_add_test(tc, test_field_names);
	tcase_add_test(tc, test_fields_delivery);
	tcase_add_test(tc, test_fields_cap_and_errno);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_test(tc, test_journal_record);
	tcase_add_test(tc, test_journal_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_add_test(tc, test_notify_messages);
	tcase_add_test(tc, test_watchdog_usec);
	tcase_add_test(tc, test_listen_fd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sdnotify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
