/*
 * peerdisc.h - the public API of libpeerdisc for embedders: run a
 * peerdisc node (the same engine as peerdiscd) inside your own program,
 * on your own libevent event_base.  See libpeerdisc(3).
 *
 * This umbrella header is the stable entry point.  It pulls in the
 * module headers that make up the embedding API, which are installed
 * under $(includedir)/peerdisc with their "core/...", "peer/..." paths;
 * `pkg-config --cflags libpeerdisc` adds -I$(includedir)/peerdisc, so
 * include this file as <peerdisc.h> and nothing else:
 *
 *   the manager   (peer/manager.h)   struct pd_manager_config (the
 *                 configuration, a plain value), pd_manager_new/start/
 *                 stop/free, connect, disconnect, protect, tag, advertise,
 *                 stats;
 *   the store     (peer/store.h)     struct pd_store, pd_store_* lookups
 *                 of known peers (pd_manager_store() gives the manager's);
 *   discoveries   (discovery/discovery.h)  struct pd_discovery_ops, the
 *                 vtable an embedder implements to plug its own discovery
 *                 in with pd_manager_add_discovery();
 *   events        (peer/events.h)    struct pd_event, pd_manager_on_event()
 *                 and pd_manager_off_event();
 *   identities    (crypto/key.h, crypto/peerid.h, crypto/keyfile.h)
 *                 keys, peer IDs and key files;
 *   addresses     (addr/multiaddr.h) multiaddrs, text and binary;
 *   errors, logs  (core/error.h, core/log.h) PD_ERR_* and pd_strerror(),
 *                 the log sink and level.
 *
 * Rules that hold across the API: functions that can fail return 0 or a
 * negative PD_ERR_* code; constructors return NULL only when out of
 * memory; output parameters come last, are named ret_*, and are left
 * untouched on failure; nothing blocks and no threads are started: all
 * work runs in callbacks of the event_base the manager was given, and a
 * manager and everything it returns must be used from that loop's thread
 * only.  Pointers passed to callbacks are borrowed for the call.
 *
 * Linking: `pkg-config --cflags --libs libpeerdisc` (libpeerdisc and
 * libevent_core, whose event_base the caller creates).  The control-socket
 * client for talking to a running peerdiscd is separate:
 * <peerdisc-client.h>.
 */
#ifndef PD_PEERDISC_H
#define PD_PEERDISC_H

/*
 * The version of this API.  It changes when a declaration reachable from
 * this header changes incompatibly (together with the library's soname).
 */
#define PD_API_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

#include "core/error.h"
#include "core/log.h"
#include "addr/multiaddr.h"
#include "crypto/key.h"
#include "crypto/peerid.h"
#include "crypto/keyfile.h"
#include "discovery/discovery.h"
#include "peer/events.h"
#include "peer/store.h"
#include "peer/manager.h"

#ifdef __cplusplus
}
#endif

#endif
