/*
 * paths.h - where peerdiscd keeps its files when the config does not say:
 * the state directory (identity, peer store) and the control socket,
 * following design.md "Command lines": systemd's $STATE_DIRECTORY and
 * $RUNTIME_DIRECTORY, else /var/lib/peerdisc and /run/peerdisc for root,
 * else the XDG base directories of the invoking user.
 *
 * The rules are pure functions of a struct paths_env, so tests can feed
 * any environment; paths_env_from_process() fills one from the real
 * process.
 */
#ifndef PD_DAEMON_PATHS_H
#define PD_DAEMON_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PATHS_MAX 4096			/* any path we build, incl. NUL */
#define PATHS_ROOT_STATE_DIR "/var/lib/peerdisc"
#define PATHS_ROOT_RUNTIME_DIR "/run/peerdisc"
#define PATHS_SOCKET_NAME "control.sock"
#define PATHS_IDENTITY_NAME "identity.key"
#define PATHS_STORE_NAME "peers.json"

/*
 * The inputs of the directory rules.  Pointers are borrowed (from the
 * environment or the caller); NULL or "" means unset.
 */
struct paths_env {
	const char *state_directory;	/* $STATE_DIRECTORY (systemd) */
	const char *runtime_directory;	/* $RUNTIME_DIRECTORY (systemd) */
	const char *xdg_state_home;	/* $XDG_STATE_HOME */
	const char *xdg_runtime_dir;	/* $XDG_RUNTIME_DIR */
	const char *home;		/* $HOME, else the passwd entry */
	uid_t euid;
};

/*
 * Fill env from the process: getenv() for the variables, geteuid(), and
 * the passwd home directory when $HOME is unset.  The strings stay valid
 * until the environment changes (or, for the passwd home, until the next
 * getpw*() call).
 */
void paths_env_from_process(struct paths_env *env);

/*
 * The default state directory: $STATE_DIRECTORY (its first entry when it
 * lists several, colon-separated), else PATHS_ROOT_STATE_DIR for euid 0,
 * else $XDG_STATE_HOME/peerdisc, else $HOME/.local/state/peerdisc.
 * Relative XDG or HOME values are ignored, as the XDG spec says.
 * Returns 0 and writes the path into buf, or -1 with the reason in why
 * (no usable home, or the result does not fit len bytes).
 */
int paths_state_dir(const struct paths_env *env, char *buf, size_t len,
    char *why, size_t whylen);

/*
 * The default control socket: $RUNTIME_DIRECTORY/control.sock, else
 * PATHS_ROOT_RUNTIME_DIR/control.sock for euid 0, else
 * $XDG_RUNTIME_DIR/peerdisc/control.sock, else state_dir/control.sock.
 * Returns 0 or -1 (result too long) like paths_state_dir().
 */
int paths_socket(const struct paths_env *env, const char *state_dir,
    char *buf, size_t len, char *why, size_t whylen);

/*
 * Join dir and name with one '/' into buf.  Returns 0, or -1 if the
 * result does not fit len bytes.
 */
int paths_join(const char *dir, const char *name, char *buf, size_t len);

/*
 * mkdir -p: create dir and any missing parents with the given mode (less
 * the umask).  An existing directory is left as it is; an existing
 * non-directory is an error.  dir must be absolute.  Returns 0, or -1
 * with "PATH: strerror" in why.
 */
int paths_mkdir_p(const char *dir, mode_t mode, char *why, size_t whylen);

#endif
