/*
 * check_tcp.c - TCP listener and dial tests on loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "core/error.h"
#include "net/tcp.h"

#include "helpers.h"

struct tcp_state {
	struct event_base *base;
	int accepted;
	int accepted_fd;
	int dial_result;
	int dial_fd;
	int dial_done;
};

static void
accept_cb(evutil_socket_t fd, const struct sockaddr *sa, socklen_t len,
    void *arg)
{
	struct tcp_state *st = arg;

	(void)sa;
	(void)len;
	st->accepted++;
	if (st->accepted_fd >= 0)
		close(st->accepted_fd);
	st->accepted_fd = fd;
	if (st->dial_done)
		event_base_loopbreak(st->base);
}

static void
dial_cb(int result, evutil_socket_t fd, void *arg)
{
	struct tcp_state *st = arg;

	st->dial_result = result;
	st->dial_fd = fd;
	st->dial_done = 1;
	if (result != 0 || st->accepted)
		event_base_loopbreak(st->base);
}

static void
state_init(struct tcp_state *st)
{
	memset(st, 0, sizeof(*st));
	st->base = event_base_new();
	st->accepted_fd = -1;
	st->dial_fd = -1;
	ck_assert_ptr_nonnull(st->base);
}

static struct pd_tcp_listener *
listen_loopback(struct tcp_state *st, int family, struct sockaddr_storage *ret)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];
	struct pd_tcp_listener *l;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	l = pd_tcp_listen(st->base, (struct sockaddr *)&ss, len, accept_cb, st,
	    why, sizeof(why));
	if (l == NULL)
		return NULL;
	ck_assert_int_eq(pd_tcp_listener_addr(l, ret, &len), 0);
	return l;
}

static in_port_t
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return ((const struct sockaddr_in6 *)ss)->sin6_port;
}

static void
dial_and_accept(int family)
{
	struct tcp_state st;
	struct sockaddr_storage ss;
	struct pd_tcp_listener *l;
	struct pd_tcp_dial *d;
	int err = 0;
	char c = 0;

	state_init(&st);
	l = listen_loopback(&st, family, &ss);
	if (l == NULL && family == AF_INET6) {
		event_base_free(st.base);
		return;	/* no IPv6 loopback in this namespace */
	}
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_ne(port_of(&ss), 0);
	d = pd_tcp_dial(st.base, (struct sockaddr *)&ss,
	    family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6), 2000, dial_cb, &st, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(st.dial_done, 0);	/* never synchronous */
	pd_test_run_ms(st.base, 3000);
	ck_assert_int_eq(st.dial_result, 0);
	ck_assert_int_ge(st.dial_fd, 0);
	ck_assert_int_eq(st.accepted, 1);
	ck_assert_int_eq(write(st.dial_fd, "x", 1), 1);
	ck_assert_int_eq(read(st.accepted_fd, &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	close(st.dial_fd);
	close(st.accepted_fd);
	pd_tcp_listener_free(l);
	event_base_free(st.base);
}

START_TEST(test_dial_accept_ipv4)
{
	dial_and_accept(AF_INET);
}
END_TEST

START_TEST(test_dial_accept_ipv6)
{
	dial_and_accept(AF_INET6);
}
END_TEST

START_TEST(test_dial_refused)
{
	struct tcp_state st;
	struct sockaddr_storage ss;
	struct pd_tcp_listener *l;
	int err = 0;

	state_init(&st);
	/* Bind a port, then close it so nothing listens there. */
	l = listen_loopback(&st, AF_INET, &ss);
	ck_assert_ptr_nonnull(l);
	pd_tcp_listener_free(l);
	ck_assert_ptr_nonnull(pd_tcp_dial(st.base, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), 2000, dial_cb, &st, &err));
	pd_test_run_ms(st.base, 3000);
	ck_assert_int_eq(st.dial_done, 1);
	ck_assert_int_eq(st.dial_result, -ECONNREFUSED);
	ck_assert_int_eq(st.dial_fd, -1);
	event_base_free(st.base);
}
END_TEST

START_TEST(test_dial_cancel)
{
	struct tcp_state st;
	struct sockaddr_storage ss;
	struct pd_tcp_listener *l;
	struct pd_tcp_dial *d;
	int err = 0;

	state_init(&st);
	l = listen_loopback(&st, AF_INET, &ss);
	ck_assert_ptr_nonnull(l);
	d = pd_tcp_dial(st.base, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), 2000, dial_cb, &st, &err);
	ck_assert_ptr_nonnull(d);
	pd_tcp_dial_cancel(d);
	pd_test_run_ms(st.base, 200);
	ck_assert_int_eq(st.dial_done, 0);
	if (st.accepted_fd >= 0)
		close(st.accepted_fd);
	pd_tcp_listener_free(l);
	event_base_free(st.base);
}
END_TEST

START_TEST(test_listen_in_use)
{
	struct tcp_state st;
	struct sockaddr_storage ss;
	struct pd_tcp_listener *l, *l2;
	char why[256] = "";

	state_init(&st);
	l = listen_loopback(&st, AF_INET, &ss);
	ck_assert_ptr_nonnull(l);
	l2 = pd_tcp_listen(st.base, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), accept_cb, &st, why, sizeof(why));
	ck_assert_ptr_null(l2);
	ck_assert_ptr_nonnull(strstr(why, "127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(why, "in use"));
	pd_tcp_listener_free(l);
	event_base_free(st.base);
}
END_TEST

/*
 * Out of descriptors: accept must pause (not spin), and resume once
 * descriptors are free again.  Runs in check's forked child, so lowering
 * RLIMIT_NOFILE does not leak into other tests.
 */
START_TEST(test_emfile_pauses_and_resumes)
{
	struct tcp_state st;
	struct sockaddr_storage ss;
	struct pd_tcp_listener *l;
	struct rlimit rl = { 64, 64 };
	int fds[128], nfds = 0, client;

	state_init(&st);
	l = listen_loopback(&st, AF_INET, &ss);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	/* Connect a client first (needs one fd), then use up the rest. */
	client = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(client, 0);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in)), 0);
	while (nfds < 128 && (fds[nfds] = dup(0)) >= 0)
		nfds++;
	ck_assert_int_eq(errno, EMFILE);
	pd_test_run_ms(st.base, 300);
	ck_assert_int_eq(st.accepted, 0);
	ck_assert_uint_eq(pd_tcp_listener_pauses(l), 1);
	while (nfds > 0)
		close(fds[--nfds]);
	/* The pause timer (1 s) re-enables accepting by itself. */
	pd_test_run_ms(st.base, 1500);
	ck_assert_int_eq(st.accepted, 1);
	close(client);
	close(st.accepted_fd);
	pd_tcp_listener_free(l);
	event_base_free(st.base);
}
END_TEST

START_TEST(test_sockaddr_str)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(4001) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(80) };
	char out[64];

	inet_pton(AF_INET, "10.0.0.7", &sin.sin_addr);
	sin6.sin6_addr = in6addr_loopback;
	ck_assert_str_eq(pd_tcp_sockaddr_str((struct sockaddr *)&sin, out,
	    sizeof(out)), "10.0.0.7:4001");
	ck_assert_str_eq(pd_tcp_sockaddr_str((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[::1]:80");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pd_tcp");
	TCase *tc = tcase_create("tcp");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_dial_accept_ipv4);
	tcase_add_test(tc, test_dial_accept_ipv6);
	tcase_add_test(tc, test_dial_refused);
	tcase_add_test(tc, test_dial_cancel);
	tcase_add_test(tc, test_listen_in_use);
	tcase_add_test(tc, test_emfile_pauses_and_resumes);
	tcase_add_test(tc, test_sockaddr_str);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
