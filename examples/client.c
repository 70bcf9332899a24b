/*
 * client.c - the smallest program that talks to a running peerdiscd
 * through its control socket with <peerdisc-client.h>: connect, call
 * "node.info", print the daemon's peer ID.
 *
 *   cc client.c $(pkg-config --cflags --libs libpeerdisc) -o client
 *   ./client [SOCKET]       (default: the socket peerdiscctl would use)
 *
 * Exit status: 0 ok, 1 the daemon answered with an error or an
 * unexpected result, 2 usage, 3 cannot reach the daemon.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include <peerdisc-client.h>

#define CLIENT_TIMEOUT_MS 5000

int
main(int argc, char **argv)
{
	struct pd_client *c = NULL;
	struct pd_client_error err;
	json_t *result = NULL;
	const char *id;
	char why[512];
	int r;

	if (argc > 2) {
		fprintf(stderr, "usage: client [SOCKET]\n");
		return 2;
	}
	r = pd_client_connect(argc == 2 ? argv[1] : NULL, CLIENT_TIMEOUT_MS,
	    why, sizeof(why), &c);
	if (r < 0) {
		fprintf(stderr, "client: %s\n", why);
		return 3;
	}
	r = pd_client_call(c, "node.info", NULL, CLIENT_TIMEOUT_MS, &result,
	    &err);
	if (r == PD_CLIENT_RPC_ERROR) {
		fprintf(stderr, "client: node.info: %s (%d)%s%s\n", err.message,
		    err.code, err.reason[0] != '\0' ? ": " : "", err.reason);
		pd_client_close(c);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "client: node.info: %s\n",
		    pd_client_strerror(r));
		pd_client_close(c);
		return 3;
	}
	id = json_string_value(json_object_get(result, "peer_id"));
	if (id == NULL) {
		fprintf(stderr, "client: node.info result has no peer_id\n");
		r = 1;
	} else {
		printf("peer ID %s\n", id);
		r = 0;
	}
	json_decref(result);
	pd_client_close(c);
	return r;
}
