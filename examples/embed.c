/*
 * embed.c - the smallest program that embeds a peerdisc node: create an
 * event_base, configure a pd_manager (a fresh Ed25519 identity, a
 * listener on 127.0.0.1 with a port the kernel picks, an in-memory peer
 * store, no DHT), start it, print its peer ID, count the events it
 * emits, and stop after the given number of milliseconds.
 *
 *   cc embed.c $(pkg-config --cflags --libs libpeerdisc) -o embed
 *   ./embed [MS]            (MS defaults to 1000)
 *
 * It shows the embedding contract of <peerdisc.h>: the program owns the
 * event_base and runs the loop; the manager only borrows it; everything
 * happens in callbacks; teardown is pd_manager_free() then
 * event_base_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <peerdisc.h>

#define EMBED_DEFAULT_MS 1000
#define EMBED_MAX_MS (3600L * 1000)	/* an hour at most */

struct embed {
	struct event_base *base;
	unsigned long events;		/* events seen */
};

static void
embed_event_cb(const struct pd_event *ev, void *arg)
{
	struct embed *e = arg;
	char id[PD_PEERID_TEXT_MAX];

	e->events++;
	if (pd_peerid_format(ev->peer, id, sizeof(id)) < 0)
		strcpy(id, "?");
	printf("event %s %s\n", pd_event_type_name(ev->type), id);
}

static void
embed_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct embed *e = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(e->base);
}

int
main(int argc, char **argv)
{
	struct pd_manager_config cfg;
	struct pd_manager *m = NULL;
	struct pd_event_sub *sub = NULL;
	struct event *timer = NULL;
	struct embed e = { 0 };
	struct timeval tv;
	char why[512], id[PD_PEERID_TEXT_MAX];
	long ms = EMBED_DEFAULT_MS;
	char *end;
	int r, status = EXIT_FAILURE;

	if (argc > 2) {
		fprintf(stderr, "usage: embed [MS]\n");
		return 2;
	}
	if (argc == 2) {
		ms = strtol(argv[1], &end, 10);
		if (end == argv[1] || *end != '\0' || ms < 0 ||
		    ms > EMBED_MAX_MS) {
			fprintf(stderr, "embed: MS must be 0..%ld\n",
			    EMBED_MAX_MS);
			return 2;
		}
	}

	memset(&cfg, 0, sizeof(cfg));
	if ((r = pd_privkey_generate(&cfg.key)) < 0) {
		fprintf(stderr, "embed: key: %s\n", pd_strerror(r));
		return EXIT_FAILURE;
	}
	cfg.agent = "peerdisc-embed-example/1.0";
	if ((r = pd_multiaddr_parse("/ip4/127.0.0.1/tcp/0", &cfg.listen[0],
	    why, sizeof(why))) < 0) {
		fprintf(stderr, "embed: listen address: %s\n", why);
		goto out;
	}
	cfg.nlisten = 1;
	cfg.connection_timeout_ms = 10000;
	cfg.max_peers = 16;
	cfg.min_peers = 0;
	cfg.store_max = 256;
	cfg.store_file = NULL;		/* memory only */
	cfg.dht_enabled = 0;

	if ((e.base = event_base_new()) == NULL) {
		fprintf(stderr, "embed: event_base_new failed\n");
		goto out;
	}
	if ((m = pd_manager_new(e.base, &cfg)) == NULL) {
		fprintf(stderr, "embed: %s\n", pd_strerror(PD_ERR_NOMEM));
		goto out;
	}
	sub = pd_manager_on_event(m, PD_EVENT_MASK_ALL, embed_event_cb, &e);
	if (sub == NULL) {
		fprintf(stderr, "embed: %s\n", pd_strerror(PD_ERR_NOMEM));
		goto out;
	}
	if ((r = pd_manager_start(m, why, sizeof(why))) < 0) {
		fprintf(stderr, "embed: start: %s: %s\n", pd_strerror(r), why);
		goto out;
	}
	if (pd_peerid_format(pd_manager_peer_id(m), id, sizeof(id)) < 0) {
		fprintf(stderr, "embed: cannot format the peer ID\n");
		goto out;
	}
	printf("peer ID %s\n", id);
	fflush(stdout);

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((timer = evtimer_new(e.base, embed_timeout_cb, &e)) == NULL ||
	    evtimer_add(timer, &tv) < 0) {
		fprintf(stderr, "embed: cannot arm the timer\n");
		goto out;
	}
	if (event_base_dispatch(e.base) < 0) {
		fprintf(stderr, "embed: event loop failed\n");
		goto out;
	}
	printf("stopped after %ld ms, %lu events\n", ms, e.events);
	status = EXIT_SUCCESS;
out:
	if (m != NULL && sub != NULL)
		pd_manager_off_event(m, sub);
	pd_manager_free(m);
	if (timer != NULL)
		event_free(timer);
	if (e.base != NULL)
		event_base_free(e.base);
	pd_privkey_clear(&cfg.key);
	return status;
}
