/*
 * node.c - wiring of the libp2p host inside peerdiscd: listeners,
 * identify, ping, and one log line per connection event, so operators
 * (and the interop tests) see who connected, what they said, and how far
 * away they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <config.h>

#include "config.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "net/conn.h"
#include "net/pnet.h"
#include "node.h"
#include "proto/idsvc.h"
#include "proto/ping.h"

#define NODE_AGENT "peerdisc/" PACKAGE_VERSION
#define NODE_LOG_LIST_MAX 2048	/* chars of a logged list */

struct node {
	struct event_base *base;
	struct pd_net *net;
	struct pd_idsvc *idsvc;
};

static const char *
node_dir_name(const struct pd_conn *c)
{
	return pd_conn_direction(c) == PD_CONN_INBOUND ? "inbound" : "outbound";
}

static void
node_ping_cb(int result, uint64_t rtt_us, void *arg)
{
	char *peer = arg;

	if (result == 0)
		PD_LOG_INFO("ping %s: %llu.%03llu ms", peer,
		    (unsigned long long)(rtt_us / 1000),
		    (unsigned long long)(rtt_us % 1000));
	else
		PD_LOG_INFO("ping %s failed: %s", peer, pd_strerror(result));
	free(peer);
}

/* Append ' "x"' to a bounded list text. */
static void
node_list_add(char *out, size_t outlen, const char *item, int escape)
{
	char esc[4 * PD_LOG_ESCAPE_MAX + 8];
	size_t used = strlen(out);

	if (escape)
		pd_log_escape(item, strlen(item), esc, sizeof(esc));
	else
		snprintf(esc, sizeof(esc), "%s", item);
	if (used + strlen(esc) + 4 < outlen)
		snprintf(out + used, outlen - used, "%s%s", used > 1 ? " " :
		    "", esc);
}

static void
node_identified(struct pd_conn *c, const struct pd_identify *id, void *arg)
{
	char peer[PD_PEERID_TEXT_MAX], agent[4 * PD_LOG_ESCAPE_MAX + 4];
	char pv[4 * PD_LOG_ESCAPE_MAX + 4], observed[PD_MULTIADDR_MAX_TEXT];
	char protos[NODE_LOG_LIST_MAX] = "[", addrs[NODE_LOG_LIST_MAX] = "[";
	char ma[PD_MULTIADDR_MAX_TEXT + 1];
	char *copy;
	int err;

	(void)arg;
	pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
	pd_log_escape(id->agent_version ? id->agent_version : "",
	    id->agent_version ? strlen(id->agent_version) : 0, agent,
	    sizeof(agent));
	pd_log_escape(id->protocol_version ? id->protocol_version : "",
	    id->protocol_version ? strlen(id->protocol_version) : 0, pv,
	    sizeof(pv));
	for (size_t i = 0; i < id->nprotocols; i++)
		node_list_add(protos, sizeof(protos), id->protocols[i], 1);
	for (size_t i = 0; i < id->naddrs; i++)
		if (pd_multiaddr_format(&id->addrs[i], ma, sizeof(ma)) >= 0)
			node_list_add(addrs, sizeof(addrs), ma, 0);
	strncat(protos, "]", sizeof(protos) - strlen(protos) - 1);
	strncat(addrs, "]", sizeof(addrs) - strlen(addrs) - 1);
	if (!id->has_observed ||
	    pd_multiaddr_format(&id->observed, observed, sizeof(observed)) < 0)
		snprintf(observed, sizeof(observed), "-");
	PD_LOG_INFO("identified %s: agent=\"%s\" protocol_version=\"%s\" "
	    "observed=%s signed_record=%s protocols=%s listen_addrs=%s",
	    peer, agent, pv, observed, id->has_record ? "yes" : "no", protos,
	    addrs);
	if ((copy = strdup(peer)) != NULL &&
	    pd_ping_start(c, node_ping_cb, copy, &err) == NULL)
		free(copy);
}

static void
node_identify_failed(struct pd_conn *c, int err, const char *why, void *arg)
{
	char peer[PD_PEERID_TEXT_MAX];

	(void)arg;
	pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
	PD_LOG_INFO("identify %s failed: %s (%s)", peer, why, pd_strerror(err));
}

static void
node_conn_up(struct pd_conn *c, void *arg)
{
	struct node *n = arg;
	char peer[PD_PEERID_TEXT_MAX], addr[PD_MULTIADDR_MAX_TEXT + 1];

	pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
	if (pd_multiaddr_format(pd_conn_remote_addr(c), addr, sizeof(addr)) < 0)
		snprintf(addr, sizeof(addr), "?");
	PD_LOG_INFO("connected %s %s at %s", node_dir_name(c), peer, addr);
	(void)pd_idsvc_identify(n->idsvc, c);
}

static void
node_conn_down(struct pd_conn *c, int err, const char *why, void *arg)
{
	char peer[PD_PEERID_TEXT_MAX], addr[PD_MULTIADDR_MAX_TEXT + 1];

	(void)arg;
	(void)err;
	pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
	if (pd_multiaddr_format(pd_conn_remote_addr(c), addr, sizeof(addr)) < 0)
		snprintf(addr, sizeof(addr), "?");
	PD_LOG_INFO("disconnected %s at %s: %s", peer, addr, why);
}

static void
node_dial_cb(int result, struct pd_conn *c, const char *why, void *arg)
{
	char *addr = arg;
	char peer[PD_PEERID_TEXT_MAX];

	if (result == 0) {
		pd_peerid_format(pd_conn_peer(c), peer, sizeof(peer));
		PD_LOG_INFO("dial %s: connected to %s", addr, peer);
	} else {
		PD_LOG_WARN("dial %s failed: %s", addr, why);
	}
	free(addr);
}

int
node_dial(struct node *n, const char *addr, char *why, size_t whylen)
{
	struct pd_multiaddr ma;
	char *copy;
	int err = 0;

	if (pd_multiaddr_parse(addr, &ma, why, whylen) < 0)
		return -1;
	if ((copy = strdup(addr)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (pd_net_dial(n->net, &ma, NULL, node_dial_cb, copy, &err) == NULL) {
		snprintf(why, whylen, "%s", pd_strerror(err));
		free(copy);
		return -1;
	}
	return 0;
}

/* Read and parse the pnet key file named by node.private_network. */
static int
node_read_psk(const char *path, uint8_t psk[PD_PNET_PSK_LEN], char **cause)
{
	uint8_t buf[PD_PNET_MAX_FILE + 1];
	char why[256];
	ssize_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) < 0)
			*cause = NULL;
		return -1;
	}
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0 || pd_pnet_psk_parse(buf, (size_t)len, psk, why,
	    sizeof(why)) < 0) {
		if (asprintf(cause, "%s: %s", path, len < 0 ? strerror(errno) :
		    why) < 0)
			*cause = NULL;
		return -1;
	}
	return 0;
}

struct node *
node_new(struct event_base *base, const struct pd_config *cfg,
    const struct pd_privkey *key, char **cause)
{
	struct node *n;
	uint8_t psk[PD_PNET_PSK_LEN];
	struct pd_net_config ncfg = {
		.upgrade_timeout_ms = (int)cfg->peers_connection_timeout,
	};
	struct pd_net_cbs cbs = {
		.on_conn_up = node_conn_up,
		.on_conn_down = node_conn_down,
	};
	struct pd_idsvc_cbs icbs = {
		.on_identified = node_identified,
		.on_failed = node_identify_failed,
	};
	char why[256], text[PD_MULTIADDR_MAX_TEXT + 1];
	char peer[PD_PEERID_TEXT_MAX];

	*cause = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto oom;
	n->base = base;
	if (cfg->node_private_network != NULL &&
	    cfg->node_private_network[0] != '\0') {
		if (node_read_psk(cfg->node_private_network, psk, cause) < 0)
			goto fail;
		ncfg.psk = psk;
	}
	n->net = pd_net_new(base, key, &ncfg, &cbs, n);
	if (n->net == NULL)
		goto oom;
	if ((n->idsvc = pd_idsvc_new(n->net, NODE_AGENT, &icbs, n)) == NULL ||
	    pd_ping_register(n->net) < 0)
		goto oom;
	pd_peerid_format(pd_net_peer_id(n->net), peer, sizeof(peer));
	for (size_t i = 0; i < cfg->node_listen.n; i++) {
		struct pd_multiaddr ma, bound;
		const char *a = cfg->node_listen.items[i];

		if (pd_multiaddr_parse(a, &ma, why, sizeof(why)) < 0 ||
		    pd_net_listen(n->net, &ma, &bound, why, sizeof(why)) < 0) {
			if (asprintf(cause, "node.listen %s: %s", a, why) < 0)
				*cause = NULL;
			goto fail;
		}
		if (pd_multiaddr_format(&bound, text, sizeof(text)) < 0)
			snprintf(text, sizeof(text), "%s", a);
		PD_LOG_INFO("listening on %s/p2p/%s", text, peer);
	}
	if (cfg->node_announce.n > 0) {
		struct pd_multiaddr ann[PD_IDENTIFY_MAX_ADDRS];
		size_t na = 0;

		for (size_t i = 0; i < cfg->node_announce.n &&
		    na < PD_IDENTIFY_MAX_ADDRS; i++)
			if (pd_multiaddr_parse(cfg->node_announce.items[i],
			    &ann[na], NULL, 0) == 0)
				na++;
		if (pd_idsvc_set_announce(n->idsvc, ann, na) < 0)
			goto oom;
	}
	sodium_memzero(psk, sizeof(psk));
	return n;
oom:
	if (*cause == NULL && asprintf(cause, "out of memory") < 0)
		*cause = NULL;
fail:
	sodium_memzero(psk, sizeof(psk));
	node_free(n);
	return NULL;
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	pd_idsvc_free(n->idsvc);
	pd_net_free(n->net);
	free(n);
}
