/*
 * storefile.h - save the peer store to disk and load it back
 * (design.md "Files on disk").
 *
 * The file is JSON: {"version":1,"saved_at":<unix ms>,"peers":[peer...]}
 * with one peer object per line:
 *
 *   {"id":"12D3KooW...","addrs":[{"addr":"/ip4/1.2.3.4/tcp/4001",
 *    "expires":<unix ms, 0 = permanent>,"source":"mdns|dht|bootstrap|manual"}],
 *    "sources":["dht",...],"protocols":[...],"agent":"..."|null,
 *    "latency_ms":1.234,"score":0,"protected":["tag",...],
 *    "first_seen":<ms>,"last_seen":<ms>,"last_connected":<ms, 0 = never>,
 *    "connected":<bool, connected when saved>,
 *    "direction":"inbound|outbound|none","dial_failures":0,
 *    "next_dial":<ms>,"last_error":"...","kad_server":<bool>}
 *
 * All fields but "id" are optional on load; the saver leaves out those
 * at their default (agent null, protected [], last_connected 0,
 * connected false, direction "none", dial_failures 0, next_dial 0,
 * last_error "", kad_server false).
 *
 * Saving is crash-safe: a temporary file beside the target, fsync, rename,
 * fsync of the directory; a failure never leaves a partial file at path.
 * Loading is forgiving per peer (a bad entry is skipped and counted) and
 * strict per file: a file that does not parse as a whole is moved aside as
 * <path>.corrupt-<unix seconds> and the store stays as it was, so the
 * daemon warns and starts empty instead of refusing to start.
 */
#ifndef PD_PEER_STOREFILE_H
#define PD_PEER_STOREFILE_H

#include <stddef.h>
#include <stdint.h>

struct pd_store;

#define PD_STOREFILE_VERSION 1
#define PD_STOREFILE_MAX_SIZE (256u * 1024 * 1024)	/* bytes; larger files are corrupt */
#define PD_STOREFILE_MAX_LIST 256	/* array elements looked at per peer list */
#define PD_STOREFILE_MOVED_ASIDE 1	/* pd_storefile_load: file was corrupt */

/* What a load found. */
struct pd_storefile_stats {
	size_t loaded;		/* peers added to the store */
	size_t bad_peers;	/* entries skipped: bad ID or wrong types */
	size_t duplicates;	/* entries whose ID was already in the store */
	size_t over_limit;	/* entries skipped: store full */
	size_t bad_addrs;	/* addresses skipped: bad text, unknown source, over the cap */
	size_t expired_addrs;	/* addresses past their expiry */
	size_t expired_peers;	/* never-connected, unprotected peers left without address */
	int64_t saved_at;	/* unix ms from the file, 0 if absent */
};

/*
 * Write every peer of store to path (mode 0600) through
 * "<path>.tmp-<pid>" (a stale one of ours is replaced), fsync, rename and
 * directory fsync; saved_at = now (unix ms).  Returns 0, or PD_ERR_IO /
 * PD_ERR_NOMEM / PD_ERR_OVERFLOW (path too long) with the reason in why;
 * on failure the temporary file is removed and path is untouched (except
 * when only the final directory fsync fails: the new file is in place but
 * may not survive a power cut, and the error says so).
 */
/*
 * Remove the temporary files "<path>.tmp-PID" that saves killed midway
 * left behind (PID no longer running, or our own).  Returns how many.
 */
size_t pd_storefile_clean_tmp(const char *path);

int pd_storefile_save(const struct pd_store *store, const char *path,
    int64_t now, char *why, size_t whylen);

/*
 * The file text pd_storefile_save() would write, in a new malloc'd buffer
 * (*ret_buf, *ret_len; free() it).  0, PD_ERR_NOMEM or PD_ERR_OVERFLOW
 * (over PD_STOREFILE_MAX_SIZE).
 */
int pd_storefile_encode(const struct pd_store *store, int64_t now,
    char **ret_buf, size_t *ret_len);

/*
 * Load path into store (normally empty).  Peers already in the store are
 * kept and the file's entry for them is skipped; addresses expired at now
 * are dropped; loading stops adding at the store's max (never evicts).
 * Returns:
 *   0                         loaded, or no file at path (store unchanged);
 *   PD_STOREFILE_MOVED_ASIDE  the file did not parse (invalid JSON, wrong
 *                             shape, version != 1, duplicate keys, over
 *                             PD_STOREFILE_MAX_SIZE, empty) and was renamed
 *                             to <path>.corrupt-<now/1000>[-N]; the store
 *                             is unchanged; why names the reason and the
 *                             new path;
 *   PD_ERR_IO                 cannot read path or move it aside (why says);
 *   PD_ERR_NOMEM.
 * *ret_stats (may be NULL) is filled on 0 and PD_STOREFILE_MOVED_ASIDE.
 */
int pd_storefile_load(struct pd_store *store, const char *path, int64_t now,
    char *why, size_t whylen, struct pd_storefile_stats *ret_stats);

/*
 * The parsing half of pd_storefile_load on buf[0..len).  Returns 0, or
 * PD_ERR_MALFORMED (why says what; the store is unchanged), PD_ERR_OVERFLOW
 * (len over PD_STOREFILE_MAX_SIZE) or PD_ERR_NOMEM (the store may keep
 * part of the file).  *ret_stats (may be NULL) is filled on 0.
 */
int pd_storefile_load_buffer(struct pd_store *store, const void *buf,
    size_t len, int64_t now, char *why, size_t whylen,
    struct pd_storefile_stats *ret_stats);

#endif
