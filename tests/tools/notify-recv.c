/*
 * notify-recv.c - a test tool standing in for systemd's end of two
 * datagram sockets: $NOTIFY_SOCKET (sd_notify(3) messages) and the
 * journal's native socket (sd_journal_sendv(3) records).  Used by
 * the tests in tests/systemd/.
 *
 * usage: notify-recv PATH [MAX_SECONDS]
 *
 * Binds a Unix SOCK_DGRAM socket at PATH (which must not exist) with
 * SO_PASSCRED, and prints one line per datagram received, flushed at
 * once:
 *
 *	MS pid=PID TEXT
 *
 * MS is the milliseconds since the socket was bound (CLOCK_MONOTONIC),
 * PID the sender's (from SCM_CREDENTIALS), TEXT the datagram with each
 * newline shown as '|' and every other byte outside printable ASCII (and
 * backslash) as \xNN.  Stops on SIGTERM/SIGINT or after MAX_SECONDS
 * (default 60), removes PATH and exits 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_RECV_MAX_DGRAM (256 * 1024)	/* bytes of one datagram */
#define NOTIFY_RECV_DEFAULT_S 60		/* default run time */

static volatile sig_atomic_t notify_recv_stop;

static void
notify_recv_on_signal(int sig)
{
	(void)sig;
	notify_recv_stop = 1;
}

static long long
notify_recv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
notify_recv_print(long long ms, long pid, const unsigned char *p, size_t n)
{
	printf("%lld pid=%ld ", ms, pid);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			putchar('|');
		else if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('\n');
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static unsigned char buf[NOTIFY_RECV_MAX_DGRAM];
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct sockaddr_un sun;
	struct sigaction sa;
	struct pollfd pfd;
	long long start, deadline;
	int fd, one = 1;
	long max_s = NOTIFY_RECV_DEFAULT_S;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: notify-recv PATH [MAX_SECONDS]\n");
		return 2;
	}
	if (argc == 3 && (max_s = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "notify-recv: bad MAX_SECONDS '%s'\n", argv[2]);
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "notify-recv: path too long\n");
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = notify_recv_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)) < 0 || bind(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		fprintf(stderr, "notify-recv: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	start = notify_recv_now_ms();
	deadline = start + max_s * 1000;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!notify_recv_stop) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh;
		struct cmsghdr *c;
		long pid = -1;
		long long now = notify_recv_now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;	/* EINTR (a signal) or the deadline */
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control.space;
		mh.msg_controllen = sizeof(control.space);
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			continue;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				pid = (long)uc.pid;
			} else if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS) {
				/* a memfd (a big journal record): not kept */
				int rfd;

				memcpy(&rfd, CMSG_DATA(c), sizeof(rfd));
				close(rfd);
			}
		notify_recv_print(notify_recv_now_ms() - start, pid, buf,
		    (size_t)n);
	}
	close(fd);
	(void)unlink(argv[1]);
	return 0;
}
