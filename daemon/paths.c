/*
 * paths.c - the directory rules of design.md "Command lines": where the
 * state directory and the control socket live when the config leaves
 * node.state_dir and control.socket empty, and mkdir -p for the state
 * directory at start.  config.c calls the rules while resolving a parsed
 * config; main.c creates the directory.  The rules read a struct
 * paths_env rather than the environment, so unit tests can try every
 * case without touching the process.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

static void paths_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
paths_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Set and absolute: the only values the XDG rules take. */
static bool
paths_usable(const char *s)
{
	return s != NULL && s[0] == '/';
}

void
paths_env_from_process(struct paths_env *env)
{
	memset(env, 0, sizeof(*env));
	env->state_directory = getenv("STATE_DIRECTORY");
	env->runtime_directory = getenv("RUNTIME_DIRECTORY");
	env->xdg_state_home = getenv("XDG_STATE_HOME");
	env->xdg_runtime_dir = getenv("XDG_RUNTIME_DIR");
	env->home = getenv("HOME");
	env->euid = geteuid();
	if (env->home == NULL || env->home[0] == '\0') {
		struct passwd *pw = getpwuid(env->euid);

		env->home = pw != NULL ? pw->pw_dir : NULL;
	}
}

int
paths_join(const char *dir, const char *name, char *buf, size_t len)
{
	size_t dl = strlen(dir);
	int n;

	while (dl > 1 && dir[dl - 1] == '/')	/* "/a/" + "b" -> "/a/b" */
		dl--;
	if (dl == 1 && dir[0] == '/')
		dl = 0;
	n = snprintf(buf, len, "%.*s/%s", (int)dl, dir, name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * The first entry of a systemd directory variable: systemd joins several
 * StateDirectory= entries with ':'.  0 and the entry in buf, or -1.
 */
static int
paths_first_entry(const char *list, char *buf, size_t len)
{
	size_t n = strcspn(list, ":");

	if (n == 0 || n >= len)
		return -1;
	memcpy(buf, list, n);
	buf[n] = '\0';
	return 0;
}

int
paths_state_dir(const struct paths_env *env, char *buf, size_t len,
    char *why, size_t whylen)
{
	int r;

	if (env->state_directory != NULL && env->state_directory[0] != '\0') {
		if (paths_first_entry(env->state_directory, buf, len) < 0 ||
		    buf[0] != '/') {
			paths_why(why, whylen, "$STATE_DIRECTORY is not an "
			    "absolute path of at most %zu bytes", len - 1);
			return -1;
		}
		return 0;
	}
	if (env->euid == 0)
		r = snprintf(buf, len, "%s", PATHS_ROOT_STATE_DIR) >= (int)len ?
		    -1 : 0;
	else if (paths_usable(env->xdg_state_home))
		r = paths_join(env->xdg_state_home, "peerdisc", buf, len);
	else if (paths_usable(env->home))
		r = paths_join(env->home, ".local/state/peerdisc", buf, len);
	else {
		paths_why(why, whylen, "no home directory to put the state "
		    "directory in; set node.state_dir");
		return -1;
	}
	if (r < 0) {
		paths_why(why, whylen, "default state directory path is too "
		    "long; set node.state_dir");
		return -1;
	}
	return 0;
}

int
paths_socket(const struct paths_env *env, const char *state_dir, char *buf,
    size_t len, char *why, size_t whylen)
{
	char dir[PATHS_MAX];
	int r = 0;

	if (env->runtime_directory != NULL &&
	    env->runtime_directory[0] != '\0') {
		if (paths_first_entry(env->runtime_directory, dir,
		    sizeof(dir)) < 0 || dir[0] != '/') {
			paths_why(why, whylen, "$RUNTIME_DIRECTORY is not an "
			    "absolute path");
			return -1;
		}
		r = paths_join(dir, PATHS_SOCKET_NAME, buf, len);
	} else if (env->euid == 0)
		r = paths_join(PATHS_ROOT_RUNTIME_DIR, PATHS_SOCKET_NAME, buf,
		    len);
	else if (paths_usable(env->xdg_runtime_dir)) {
		if (paths_join(env->xdg_runtime_dir, "peerdisc", dir,
		    sizeof(dir)) < 0)
			r = -1;
		else
			r = paths_join(dir, PATHS_SOCKET_NAME, buf, len);
	} else
		r = paths_join(state_dir, PATHS_SOCKET_NAME, buf, len);
	if (r < 0) {
		paths_why(why, whylen, "default control socket path is too "
		    "long; set control.socket");
		return -1;
	}
	return 0;
}

int
paths_mkdir_p(const char *dir, mode_t mode, char *why, size_t whylen)
{
	char path[PATHS_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (dir[0] != '/' || n >= sizeof(path)) {
		paths_why(why, whylen, "%s: not an absolute path of at most "
		    "%zu bytes", dir, sizeof(path) - 1);
		return -1;
	}
	memcpy(path, dir, n + 1);
	/* Walk the components, creating each missing one in turn. */
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		if (path[i - 1] == '/')		/* "//" or a trailing '/' */
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			paths_why(why, whylen, "cannot create %s: %s", path,
			    strerror(errno));
			return -1;
		}
		if (stat(path, &st) < 0) {
			paths_why(why, whylen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			paths_why(why, whylen, "%s: not a directory", path);
			return -1;
		}
		path[i] = dir[i];
	}
	return 0;
}
