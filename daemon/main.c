/*
 * main.c - peerdiscd: command line, startup and the event loop.
 *
 * Startup happens in one visible order: read the command line, read and
 * check the configuration (all errors, then stop), set the log level,
 * create the state directory, load or create the identity key, then run
 * one libevent base with SIGINT/SIGTERM (clean exit) and SIGHUP (reload:
 * re-read the file, apply the live keys, name the keys that need a
 * restart).  Only this directory may exit(); fatal errors are allowed
 * only before the loop runs (style.md §7.3).  The engine (transport,
 * discovery) and the control socket attach to the same base.
 *
 * Under systemd (sdnotify.c) the daemon logs to the journal when stderr
 * is connected to it, takes the control socket from peerdiscd.socket if
 * one was passed, says READY=1 once the listeners, the peer store and the
 * control socket are up, keeps a STATUS= line with the peer counts
 * (refreshed on connect/disconnect and every MAIN_STATUS_INTERVAL_S),
 * wraps a reload in RELOADING=1 ... READY=1, says STOPPING=1 on shutdown,
 * and pings the watchdog from a loop timer at half of WatchdogSec=.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

/*
 * <config.h> is autoconf's (PACKAGE_VERSION), found through -I$(top_builddir);
 * "config.h" is this directory's daemon/config.h.
 */
#include <config.h>

#include "core/error.h"
#include "core/log.h"
#include "crypto/key.h"
#include "crypto/keyfile.h"
#include "crypto/peerid.h"
#include "config.h"
#include "control.h"
#include "node.h"
#include "paths.h"
#include "peer/manager.h"
#include "rpc-methods.h"
#include "sdnotify.h"
#include "kad/dht.h"
#include "kad/rt.h"
#include "peer/store.h"

#define MAIN_DEFAULT_CONF SYSCONFDIR "/peerdisc/peerdiscd.conf"
#define MAIN_STATE_DIR_MODE 0700
#define MAIN_WHY_MAX 512
#define MAIN_MAX_DIALS 64		/* --dial options */
#define MAIN_STATUS_INTERVAL_S 10	/* STATUS= refresh, seconds */

/* What the command line asked for. */
enum main_action {
	MAIN_RUN,
	MAIN_CHECK_CONFIG,
	MAIN_PRINT_CONFIG,
};

/* The daemon's state; lives on main()'s stack for the whole run. */
struct main_state {
	enum main_action action;
	const char *conf_arg;		/* -c FILE, or NULL */
	int cli_level;			/* -l LEVEL, or -1 */
	struct paths_env env;
	struct pd_config cfg;		/* the running configuration */
	struct event_base *base;
	struct event *ev_int, *ev_term, *ev_hup;
	struct event *ev_status;	/* STATUS= refresh (persistent) */
	struct event *ev_status_now;	/* STATUS= after a change (once) */
	struct event *ev_watchdog;	/* WATCHDOG=1 pings, or NULL */
	char status[SDNOTIFY_STATUS_MAX + 1];	/* the last STATUS= sent */
	struct node *node;		/* the engine */
	struct ctl *ctl;		/* the control socket */
	struct rpc_daemon rpcd;		/* what the RPC methods reach */
	struct pd_event_sub *ev_sub;	/* events for subscribers */
	const char *dials[MAIN_MAX_DIALS];	/* --dial, a test aid */
	size_t ndials;
};

static void main_fatalx(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static void main_notify_ready(struct main_state *st);

/* Log at error level and stop; only before the loop runs. */
static void
main_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pd_logv(PD_LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/* The stderr sink: "peerdiscd[PID]: LEVEL: message". */
static void
main_log_sink(enum pd_log_level level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "peerdiscd[%ld]: %s: %s\n", (long)getpid(),
	    pd_log_level_name(level), msg);
}

/* libevent's own warnings go through our logger. */
static void
main_event_log_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		pd_log(PD_LOG_LEVEL_DEBUG, "libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		PD_LOG_INFO("libevent: %s", msg);
		break;
	case EVENT_LOG_WARN:
		PD_LOG_WARN("libevent: %s", msg);
		break;
	default:
		PD_LOG_ERR("libevent: %s", msg);
		break;
	}
}

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: peerdiscd [-c FILE] [--check-config] [--print-config] "
	    "[-l LEVEL]\n"
	    "                 [--dial MULTIADDR]... [--version] [--help]\n"
	    "  -c, --config FILE      read FILE (default: %s,\n"
	    "                         built-in defaults if it does not exist)\n"
	    "      --check-config     check the configuration: print "
	    "\"configuration OK\"\n"
	    "                         or every error, and exit\n"
	    "      --print-config     print the effective configuration and "
	    "exit\n"
	    "  -l, --log-level LEVEL  error, warn, info or debug (overrides "
	    "log.level)\n"
	    "      --dial MULTIADDR   test aid: dial MULTIADDR once at start "
	    "(repeatable);\n"
	    "                         the control socket replaces it\n"
	    "  -V, --version          print the version and exit\n"
	    "  -h, --help             print this help and exit\n",
	    MAIN_DEFAULT_CONF);
}

/* Parse argv into st; exits on --help, --version and usage errors. */
static void
main_args(struct main_state *st, int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_PRINT, OPT_DIAL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "print-config", no_argument, NULL, OPT_PRINT },
		{ "log-level", required_argument, NULL, 'l' },
		{ "dial", required_argument, NULL, OPT_DIAL },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum pd_log_level level;
	int c;

	while ((c = getopt_long(argc, argv, "c:l:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			st->conf_arg = optarg;
			break;
		case OPT_CHECK:
			st->action = MAIN_CHECK_CONFIG;
			break;
		case OPT_PRINT:
			st->action = MAIN_PRINT_CONFIG;
			break;
		case 'l':
			if (pd_log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "peerdiscd: bad log level '%s' "
				    "(error, warn, info or debug)\n", optarg);
				main_usage(stderr);
				exit(EXIT_FAILURE);
			}
			st->cli_level = (int)level;
			break;
		case OPT_DIAL:
			if (st->ndials == MAIN_MAX_DIALS) {
				fprintf(stderr, "peerdiscd: at most %d --dial "
				    "options\n", MAIN_MAX_DIALS);
				exit(EXIT_FAILURE);
			}
			st->dials[st->ndials++] = optarg;
			break;
		case 'V':
			printf("peerdiscd %s\n", PACKAGE_VERSION);
			exit(EXIT_SUCCESS);
		case 'h':
			main_usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			main_usage(stderr);
			exit(EXIT_FAILURE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "peerdiscd: unexpected argument '%s'\n",
		    argv[optind]);
		main_usage(stderr);
		exit(EXIT_FAILURE);
	}
}

/* The file to read: -c, else the default if it exists, else NULL. */
static const char *
main_conf_path(const struct main_state *st)
{
	if (st->conf_arg != NULL)
		return st->conf_arg;
	if (access(MAIN_DEFAULT_CONF, F_OK) == 0)
		return MAIN_DEFAULT_CONF;
	return NULL;
}

/* --check-config and --print-config: the exit status. */
static int
main_config_only(struct main_state *st)
{
	struct pd_config_errors errs = { 0 };
	int status = EXIT_SUCCESS;

	if (config_load(main_conf_path(st), &st->env, &st->cfg, &errs) < 0) {
		config_errors_print(stderr, &errs);
		status = EXIT_FAILURE;
	} else if (st->action == MAIN_CHECK_CONFIG)
		printf("configuration OK\n");
	else if (config_print(stdout, &st->cfg) < 0 || fflush(stdout) != 0)
		status = EXIT_FAILURE;
	config_errors_clear(&errs);
	config_clear(&st->cfg);
	return status;
}

static void
main_apply_level(const struct main_state *st)
{
	pd_log_set_level((enum pd_log_level)(st->cli_level >= 0 ?
	    st->cli_level : st->cfg.log_level));
}

/* Load or create the identity into *key and log who we are. */
static void
main_identity(const struct main_state *st, struct pd_privkey *ret_key)
{
	struct pd_privkey key;
	struct pd_pubkey pub;
	struct pd_peerid id;
	char why[MAIN_WHY_MAX] = "", text[PD_PEERID_TEXT_MAX];
	int created = 0, r;

	if ((r = pd_keyfile_load_or_create(st->cfg.node_identity, &key,
	    &created, why, sizeof(why))) < 0)
		main_fatalx("cannot use the identity key: %s",
		    why[0] != '\0' ? why : pd_strerror(r));
	r = pd_privkey_public(&key, &pub);
	*ret_key = key;
	pd_privkey_clear(&key);
	if (r < 0 || pd_peerid_from_pubkey(&pub, &id) < 0 ||
	    pd_peerid_format(&id, text, sizeof(text)) < 0)
		main_fatalx("%s: cannot derive the peer ID",
		    st->cfg.node_identity);
	if (created)
		PD_LOG_INFO("identity created at %s", st->cfg.node_identity);
	PD_LOG_INFO("peer ID %s", text);
}

static void
main_reload_change_cb(const struct pd_config_row *row, bool applied,
    void *arg)
{
	json_t *result = arg;
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", row->section, row->key);
	json_array_append_new(json_object_get(result, applied ? "applied" :
	    "needs_restart"), json_string(name));
	if (applied)
		PD_LOG_INFO("reload: %s.%s changed; applied", row->section,
		    row->key);
	else
		PD_LOG_WARN("reload: %s.%s changed; restart peerdiscd to "
		    "apply it", row->section, row->key);
}

/*
 * SIGHUP and config.reload: re-read the configuration and apply what can
 * change live.  On success *ret_result (may be NULL) lists the changed
 * keys as applied / needs_restart; a bad file changes nothing.
 */
static int
main_reload(struct main_state *st, json_t **ret_result, char *why,
    size_t whylen)
{
	struct pd_config_errors errs = { 0 };
	struct pd_config next;
	const char *path = main_conf_path(st);
	json_t *result;
	size_t changed, off = 0;

	PD_LOG_INFO("reloading configuration from %s",
	    path != NULL ? path : "built-in defaults");
	(void)sdnotify_reloading();
	if (config_load(path, &st->env, &next, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			PD_LOG_ERR("%s", errs.msgs[i]);
			if (why != NULL && off < whylen)
				off += (size_t)snprintf(why + off, whylen - off,
				    "%s%s", i > 0 ? "; " : "", errs.msgs[i]);
		}
		PD_LOG_ERR("reload failed with %zu error%s; keeping the "
		    "running configuration", errs.n + errs.dropped,
		    errs.n + errs.dropped == 1 ? "" : "s");
		config_errors_clear(&errs);
		/* still running, on the old configuration */
		main_notify_ready(st);
		return -1;
	}
	result = json_object();
	json_object_set_new(result, "applied", json_array());
	json_object_set_new(result, "needs_restart", json_array());
	changed = config_apply_live(&st->cfg, &next, main_reload_change_cb,
	    result);
	config_clear(&next);
	main_apply_level(st);
	if (st->node != NULL)
		node_apply_config(st->node, &st->cfg);
	if (changed == 0)
		PD_LOG_INFO("reload: no changes");
	main_notify_ready(st);
	if (ret_result != NULL)
		*ret_result = result;
	else
		json_decref(result);
	return 0;
}

/* config.reload from the control socket. */
static int
main_rpc_reload(void *arg, json_t **ret_result, char *why, size_t whylen)
{
	return main_reload(arg, ret_result, why, whylen);
}

static json_t *
main_control_metrics(void *arg)
{
	struct main_state *st = arg;
	struct ctl_stats cs;
	json_t *o = json_object();

	if (st->ctl == NULL)
		return o;
	ctl_get_stats(st->ctl, &cs);
	json_object_set_new(o, "clients", json_integer((json_int_t)cs.clients));
	json_object_set_new(o, "accepted", json_integer((json_int_t)cs.accepted));
	json_object_set_new(o, "refused", json_integer((json_int_t)cs.refused));
	json_object_set_new(o, "evicted", json_integer((json_int_t)cs.evicted));
	json_object_set_new(o, "dropped", json_integer((json_int_t)cs.dropped));
	json_object_set_new(o, "requests", json_integer((json_int_t)cs.requests));
	json_object_set_new(o, "errors", json_integer((json_int_t)cs.errors));
	return o;
}

/* The STATUS= text: connections by direction, known peers, DHT table. */
static void
main_status_text(const struct main_state *st, char *out, size_t outlen)
{
	struct pd_manager *m;
	struct pd_kad_dht *dht;
	size_t in = 0, outb = 0, conns;
	int off;

	if (st->node == NULL) {
		snprintf(out, outlen, "starting");
		return;
	}
	m = node_manager(st->node);
	conns = pd_manager_conn_count(m, &in, &outb);
	off = snprintf(out, outlen, "%zu peer%s connected (%zu in, %zu out), "
	    "%zu known", conns, conns == 1 ? "" : "s", in, outb,
	    pd_store_count(pd_manager_store(m)));
	if ((dht = pd_manager_dht(m)) != NULL && off > 0 &&
	    (size_t)off < outlen)
		snprintf(out + off, outlen - (size_t)off, ", DHT table %zu",
		    pd_kad_rt_size(pd_kad_dht_rt(dht)));
}

/* Send STATUS= if it changed since the last one. */
static void
main_status_update(struct main_state *st)
{
	char text[SDNOTIFY_STATUS_MAX + 1];

	main_status_text(st, text, sizeof(text));
	if (strcmp(text, st->status) == 0)
		return;
	snprintf(st->status, sizeof(st->status), "%s", text);
	(void)sdnotify_status(st->status);
}

static void
main_status_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	main_status_update(arg);
}

static void
main_watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	(void)sdnotify_watchdog();
}

/* READY=1 with the current STATUS= (startup, and after a reload). */
static void
main_notify_ready(struct main_state *st)
{
	main_status_text(st, st->status, sizeof(st->status));
	(void)sdnotify_ready(st->status);
}

/*
 * A debug line with PEER_ID= and REMOTE_ADDR= for the journal (node.c
 * logs the same events at info, as plain text).
 */
static void
main_log_peer_event(const struct pd_event *ev)
{
	char id[PD_PEERID_TEXT_MAX], addr[PD_MULTIADDR_MAX_TEXT + 1];
	char why[4 * PD_LOG_ESCAPE_MAX + 4];
	struct pd_log_field fields[2];
	size_t n = 0;

	if (pd_log_get_level() < PD_LOG_LEVEL_DEBUG)
		return;
	if (ev->peer == NULL || pd_peerid_format(ev->peer, id,
	    sizeof(id)) < 0)
		snprintf(id, sizeof(id), "?");
	else
		fields[n++] = (struct pd_log_field){ "PEER_ID", id };
	if (ev->addr == NULL || pd_multiaddr_format(ev->addr, addr,
	    sizeof(addr)) < 0)
		snprintf(addr, sizeof(addr), "?");
	else
		fields[n++] = (struct pd_log_field){ "REMOTE_ADDR", addr };
	if (ev->type == PD_EVENT_PEER_CONNECTED)
		pd_log_fields(PD_LOG_LEVEL_DEBUG, fields, n,
		    "main_event_cb: peer %s connected (%s) via %s", id,
		    ev->inbound ? "inbound" : "outbound", addr);
	else {
		pd_log_escape(ev->reason != NULL ? ev->reason : "closed",
		    ev->reason != NULL ? strlen(ev->reason) : 6, why,
		    sizeof(why));
		pd_log_fields(PD_LOG_LEVEL_DEBUG, fields, n,
		    "main_event_cb: peer %s disconnected: %s", id, why);
	}
}

/* Manager events become notifications for subscribed clients. */
static void
main_event_cb(const struct pd_event *ev, void *arg)
{
	static const struct timeval zero = { 0, 0 };
	struct main_state *st = arg;
	json_t *params;

	if (ev->type == PD_EVENT_PEER_CONNECTED ||
	    ev->type == PD_EVENT_PEER_DISCONNECTED) {
		main_log_peer_event(ev);
		/* one STATUS= per loop turn, however many changed */
		if (st->ev_status_now != NULL &&
		    !evtimer_pending(st->ev_status_now, NULL))
			evtimer_add(st->ev_status_now, &zero);
	}
	if (st->ctl == NULL)
		return;
	params = rpc_event_json(ev);
	ctl_broadcast(st->ctl, pd_event_type_name(ev->type), params);
	json_decref(params);
}

/* Open the control socket (its directory is created if missing). */
static void
main_start_control(struct main_state *st)
{
	struct ctl_config cc;
	char dir[4096], why[MAIN_WHY_MAX], inherited[sizeof(dir)];
	struct group *gr;
	int fd;

	ctl_config_init(&cc, st->cfg.control_socket);
	if ((fd = sdnotify_listen_fd(inherited, sizeof(inherited))) >= 0) {
		/* peerdiscd.socket: systemd made it; its path wins */
		if (inherited[0] != '\0' &&
		    strcmp(inherited, st->cfg.control_socket) != 0)
			PD_LOG_WARN("control socket: using %s from socket "
			    "activation, not control.socket %s", inherited,
			    st->cfg.control_socket);
		if (inherited[0] != '\0')
			cc.path = inherited;
		cc.listen_fd = fd;
	} else {
		snprintf(dir, sizeof(dir), "%s", st->cfg.control_socket);
		if (paths_mkdir_p(dirname(dir), 0755, why, sizeof(why)) < 0)
			main_fatalx("control socket directory: %s", why);
	}
	cc.mode = st->cfg.control_socket_mode;
	if (st->cfg.control_admin_group[0] != '\0') {
		if ((gr = getgrnam(st->cfg.control_admin_group)) == NULL)
			main_fatalx("control.admin_group: no group named %s",
			    st->cfg.control_admin_group);
		cc.admin_gid = gr->gr_gid;
	}
	st->rpcd.m = node_manager(st->node);
	st->rpcd.boot = node_bootstrap(st->node);
	st->rpcd.mdns = node_mdns(st->node);
	st->rpcd.version = PACKAGE_VERSION;
	st->rpcd.reload = main_rpc_reload;
	st->rpcd.reload_arg = st;
	st->rpcd.control_metrics = main_control_metrics;
	st->rpcd.control_arg = st;
	st->ctl = ctl_new(st->base, &cc, rpc_methods, rpc_nmethods, &st->rpcd,
	    why, sizeof(why));
	if (st->ctl == NULL) {
		if (fd >= 0)
			(void)close(fd);
		main_fatalx("control socket: %s", why);
	}
	st->ev_sub = pd_manager_on_event(node_manager(st->node),
	    PD_EVENT_MASK_ALL, main_event_cb, st);
}

static void
main_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct main_state *st = arg;

	(void)events;
	if (sig == SIGHUP) {
		(void)main_reload(st, NULL, NULL, 0);
		return;
	}
	PD_LOG_INFO("%s received; shutting down",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	(void)sdnotify_stopping();
	event_base_loopexit(st->base, NULL);
}

/* Read the configuration for a run; fatal with every error listed. */
static void
main_load_config(struct main_state *st)
{
	struct pd_config_errors errs = { 0 };
	const char *path = main_conf_path(st);

	if (config_load(path, &st->env, &st->cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			PD_LOG_ERR("%s", errs.msgs[i]);
		main_fatalx("configuration has %zu error%s",
		    errs.n + errs.dropped,
		    errs.n + errs.dropped == 1 ? "" : "s");
	}
	main_apply_level(st);
	PD_LOG_INFO("peerdiscd %s starting; configuration: %s",
	    PACKAGE_VERSION, path != NULL ? path : "built-in defaults");
}

static void
main_setup_loop(struct main_state *st)
{
	event_set_log_callback(main_event_log_cb);
	if ((st->base = event_base_new()) == NULL)
		main_fatalx("cannot create the event loop");
	st->ev_int = evsignal_new(st->base, SIGINT, main_signal_cb, st);
	st->ev_term = evsignal_new(st->base, SIGTERM, main_signal_cb, st);
	st->ev_hup = evsignal_new(st->base, SIGHUP, main_signal_cb, st);
	if (st->ev_int == NULL || st->ev_term == NULL || st->ev_hup == NULL ||
	    evsignal_add(st->ev_int, NULL) < 0 ||
	    evsignal_add(st->ev_term, NULL) < 0 ||
	    evsignal_add(st->ev_hup, NULL) < 0)
		main_fatalx("cannot install signal handlers");
}

/* Start the libp2p host and the --dial test aid. */
static void
main_start_node(struct main_state *st, const struct pd_privkey *key)
{
	char *cause = NULL, why[MAIN_WHY_MAX];

	if ((st->node = node_new(st->base, &st->cfg, key, &cause)) == NULL)
		main_fatalx("%s", cause != NULL ? cause : "out of memory");
	for (size_t i = 0; i < st->ndials; i++)
		if (node_dial(st->node, st->dials[i], why, sizeof(why)) < 0)
			PD_LOG_WARN("--dial %s: %s", st->dials[i], why);
}

/*
 * The systemd side of a started daemon: the STATUS= timers, the watchdog
 * pings at half the interval systemd asked for, then READY=1.
 */
static void
main_start_notify(struct main_state *st)
{
	struct timeval tv = { MAIN_STATUS_INTERVAL_S, 0 };
	uint64_t wd;

	st->ev_status = event_new(st->base, -1, EV_PERSIST, main_status_cb,
	    st);
	st->ev_status_now = evtimer_new(st->base, main_status_cb, st);
	if (st->ev_status == NULL || st->ev_status_now == NULL ||
	    event_add(st->ev_status, &tv) < 0)
		main_fatalx("cannot create the status timers");
	if ((wd = sdnotify_watchdog_usec()) > 0) {
		wd /= 2;
		tv.tv_sec = (time_t)(wd / 1000000u);
		tv.tv_usec = (suseconds_t)(wd % 1000000u);
		st->ev_watchdog = event_new(st->base, -1, EV_PERSIST,
		    main_watchdog_cb, st);
		if (st->ev_watchdog == NULL || event_add(st->ev_watchdog,
		    &tv) < 0)
			main_fatalx("cannot create the watchdog timer");
		PD_LOG_INFO("watchdog: pinging systemd every %" PRIu64 " ms",
		    wd / 1000u);
		(void)sdnotify_watchdog();
	}
	main_notify_ready(st);
}

static void
main_teardown(struct main_state *st)
{
	ctl_free(st->ctl);
	st->ctl = NULL;
	node_free(st->node);		/* may still emit disconnections */
	st->node = NULL;
	if (st->ev_watchdog != NULL)
		event_free(st->ev_watchdog);
	if (st->ev_status_now != NULL)
		event_free(st->ev_status_now);
	if (st->ev_status != NULL)
		event_free(st->ev_status);
	st->ev_watchdog = st->ev_status_now = st->ev_status = NULL;
	if (st->ev_hup != NULL)
		event_free(st->ev_hup);
	if (st->ev_term != NULL)
		event_free(st->ev_term);
	if (st->ev_int != NULL)
		event_free(st->ev_int);
	if (st->base != NULL)
		event_base_free(st->base);
	config_clear(&st->cfg);
}

int
main(int argc, char **argv)
{
	struct main_state st;
	struct pd_privkey key;
	char why[MAIN_WHY_MAX];

	memset(&st, 0, sizeof(st));
	st.cli_level = -1;
	main_args(&st, argc, argv);
	paths_env_from_process(&st.env);
	if (st.action != MAIN_RUN)
		return main_config_only(&st);

	signal(SIGPIPE, SIG_IGN);
	/*
	 * systemd connected stderr to the journal: native records with
	 * fields, or (no libsystemd, no journal socket) "<N>" lines that
	 * journald reads as priorities.
	 */
	if (sdnotify_journal_stream_is(getenv("JOURNAL_STREAM"), STDERR_FILENO))
		pd_log_set_fields_sink(sdnotify_journal_sink, NULL);
	else
		pd_log_set_sink(main_log_sink, NULL);
	main_setup_loop(&st);		/* signals wait for the loop from here */
	main_load_config(&st);
	if (paths_mkdir_p(st.cfg.node_state_dir, MAIN_STATE_DIR_MODE, why,
	    sizeof(why)) < 0)
		main_fatalx("cannot create the state directory: %s", why);
	PD_LOG_INFO("state directory %s", st.cfg.node_state_dir);
	main_identity(&st, &key);
	main_start_node(&st, &key);
	pd_privkey_clear(&key);
	main_start_control(&st);
	main_start_notify(&st);

	if (event_base_dispatch(st.base) < 0) {
		PD_LOG_ERR("event loop failed");
		(void)sdnotify_stopping();
		main_teardown(&st);
		return EXIT_FAILURE;
	}
	PD_LOG_INFO("stopped");
	main_teardown(&st);
	return EXIT_SUCCESS;
}
