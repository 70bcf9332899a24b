/*
 * keyfile.c - load or create the node's identity key file.
 *
 * The daemon calls pd_keyfile_load_or_create() once at start-up with
 * node.identity (design.md): an existing file is checked (regular file,
 * ours, mode without group/other bits) and decoded, never modified; a
 * missing one is created crash-safely with a fresh Ed25519 key, so that a
 * power cut leaves either no key file or a complete one, and a concurrent
 * creator's file is never replaced.  Every failure explains itself in the
 * caller's why buffer, starting with the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/keyfile.h"

#define KEYFILE_TMP_TRIES 8	/* attempts at a fresh temporary name */
#define KEYFILE_MISSING 1	/* internal: path does not exist */

static void keyfile_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
keyfile_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Read the whole file (at most cap bytes) into buf; -errno on failure. */
static ssize_t
keyfile_read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Refuse files that are not ours alone; st is the open file's fstat. */
static int
keyfile_check_stat(const char *path, const struct stat *st, char *why,
    size_t whylen)
{
	if (!S_ISREG(st->st_mode)) {
		keyfile_why(why, whylen, "%s: %s, not a regular file", path,
		    S_ISDIR(st->st_mode) ? "is a directory" :
		    S_ISLNK(st->st_mode) ? "is a symbolic link" :
		    "is a special file");
		return PD_ERR_PERM;
	}
	if (st->st_uid != geteuid()) {
		keyfile_why(why, whylen, "%s: owned by uid %lu, not by the "
		    "current user (uid %lu)", path, (unsigned long)st->st_uid,
		    (unsigned long)geteuid());
		return PD_ERR_PERM;
	}
	if ((st->st_mode & 077) != 0) {
		keyfile_why(why, whylen, "%s: mode %04o is too open; chmod "
		    "600 it", path, (unsigned)(st->st_mode & 07777));
		return PD_ERR_PERM;
	}
	return 0;
}

/* Read, check and decode an opened key file. */
static int
keyfile_read_key(const char *path, int fd, struct pd_privkey *ret_key,
    char *why, size_t whylen)
{
	uint8_t buf[PD_KEYFILE_MAX_SIZE + 1];
	char reason[256];
	ssize_t n;
	int rc;

	if ((n = keyfile_read_all(fd, buf, sizeof(buf))) < 0) {
		keyfile_why(why, whylen, "%s: read: %s", path,
		    strerror((int)-n));
		return PD_ERR_IO;
	}
	if (n == 0) {
		keyfile_why(why, whylen, "%s: file is empty, not a key "
		    "(remove it to have a new identity created)", path);
		return PD_ERR_BAD_KEY;
	}
	if ((size_t)n > PD_KEYFILE_MAX_SIZE) {
		keyfile_why(why, whylen, "%s: over %d bytes, not a key file",
		    path, PD_KEYFILE_MAX_SIZE);
		rc = PD_ERR_BAD_KEY;
		goto out;
	}
	reason[0] = '\0';
	rc = pd_privkey_decode(buf, (size_t)n, ret_key, reason,
	    sizeof(reason));
	if (rc < 0) {
		keyfile_why(why, whylen, "%s: not a usable libp2p private "
		    "key: %s", path, reason[0] ? reason : pd_strerror(rc));
		if (rc != PD_ERR_UNSUPPORTED)
			rc = PD_ERR_BAD_KEY;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/*
 * Load an existing key file.  Returns 0, KEYFILE_MISSING when path does
 * not exist, or a negative PD_ERR_* with why set.
 */
static int
keyfile_load(const char *path, struct pd_privkey *ret_key, char *why,
    size_t whylen)
{
	struct stat lst, st;
	int fd, rc;

	/* lstat first so a FIFO or device is never even opened. */
	if (lstat(path, &lst) < 0) {
		if (errno == ENOENT)
			return KEYFILE_MISSING;
		keyfile_why(why, whylen, "%s: %s", path, strerror(errno));
		return errno == EACCES ? PD_ERR_PERM : PD_ERR_IO;
	}
	if ((rc = keyfile_check_stat(path, &lst, why, whylen)) < 0)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return KEYFILE_MISSING;
		keyfile_why(why, whylen, "%s: cannot open: %s", path,
		    strerror(errno));
		return errno == EACCES || errno == ELOOP ? PD_ERR_PERM :
		    PD_ERR_IO;
	}
	if (fstat(fd, &st) < 0) {
		keyfile_why(why, whylen, "%s: fstat: %s", path,
		    strerror(errno));
		close(fd);
		return PD_ERR_IO;
	}
	/* Re-check the file we actually opened. */
	if ((rc = keyfile_check_stat(path, &st, why, whylen)) == 0)
		rc = keyfile_read_key(path, fd, ret_key, why, whylen);
	close(fd);
	return rc;
}

/*
 * Split path into its directory (into dir, "." if none) and last
 * component (returned, points into path).  NULL if path ends in '/'.
 */
static const char *
keyfile_split(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, dirlen, ".");
		return path;
	}
	if (slash[1] == '\0')
		return NULL;
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;		/* "/key" lives in "/" */
	if (n >= dirlen)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}

/* Make dir (mode 0700) if it does not exist; only this one component. */
static int
keyfile_ensure_dir(const char *path, const char *dir, char *why,
    size_t whylen)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		keyfile_why(why, whylen, "%s: cannot create the key file: %s "
		    "is not a directory", path, dir);
		return PD_ERR_IO;
	}
	if (errno == ENOENT && mkdir(dir, PD_KEYFILE_DIR_MODE) == 0) {
		/* The umask may have taken bits away (0500 would stop us). */
		if (chmod(dir, PD_KEYFILE_DIR_MODE) == 0)
			return 0;
	} else if (errno == EEXIST) {
		return 0;
	}
	keyfile_why(why, whylen, "%s: cannot create directory %s: %s%s",
	    path, dir, strerror(errno), errno == ENOENT ?
	    " (only the last directory component is created)" : "");
	return errno == EACCES ? PD_ERR_PERM : PD_ERR_IO;
}

/* Write all of p to fd; -errno on failure. */
static int
keyfile_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Create a fresh temporary file in dfd holding the encoded key, mode
 * 0600, fsync'd.  Its name goes into tmp.  Returns 0 or -errno.
 */
static int
keyfile_write_tmp(int dfd, const uint8_t *enc, size_t enclen, char *tmp,
    size_t tmplen)
{
	int fd = -1, err;

	for (int i = 0; i < KEYFILE_TMP_TRIES && fd < 0; i++) {
		uint8_t rnd[8];

		randombytes_buf(rnd, sizeof(rnd));
		snprintf(tmp, tmplen, ".identity-%02x%02x%02x%02x%02x%02x"
		    "%02x%02x.tmp", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		    rnd[5], rnd[6], rnd[7]);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, PD_KEYFILE_MODE);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	/* The umask may have taken bits away; the mode must be exact. */
	if (fchmod(fd, PD_KEYFILE_MODE) < 0)
		err = -errno;
	else if ((err = keyfile_write_all(fd, enc, enclen)) == 0 &&
	    fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err < 0)
		(void)unlinkat(dfd, tmp, 0);
	return err;
}

/*
 * Move tmp to name only if name does not exist.  Returns 0, PD_ERR_EXISTS,
 * or -errno.  tmp is gone afterwards in every case.
 */
static int
keyfile_publish(int dfd, const char *tmp, const char *name)
{
	int err = 0;

	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		/* Filesystem without RENAME_NOREPLACE: link() never replaces. */
		if (linkat(dfd, tmp, dfd, name, 0) < 0)
			err = errno == EEXIST ? PD_ERR_EXISTS : -errno;
	} else {
		err = errno == EEXIST ? PD_ERR_EXISTS : -errno;
	}
	(void)unlinkat(dfd, tmp, 0);
	return err;
}

/*
 * Create path with a fresh key.  Returns 0 (*ret_key set), PD_ERR_EXISTS
 * if path appeared meanwhile, or an error with why set.
 */
static int
keyfile_create(const char *path, struct pd_privkey *ret_key, char *why,
    size_t whylen)
{
	char dir[PATH_MAX], tmp[64];
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN];
	struct pd_privkey key;
	const char *name;
	int dfd, rc, n;

	if ((name = keyfile_split(path, dir, sizeof(dir))) == NULL) {
		keyfile_why(why, whylen, "%s: not a file name", path);
		return PD_ERR_INVAL;
	}
	if ((rc = keyfile_ensure_dir(path, dir, why, whylen)) < 0)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		keyfile_why(why, whylen, "%s: cannot open directory %s: %s",
		    path, dir, strerror(errno));
		return errno == EACCES ? PD_ERR_PERM : PD_ERR_IO;
	}
	if ((rc = pd_privkey_generate(&key)) < 0) {
		keyfile_why(why, whylen, "%s: cannot generate a key: %s",
		    path, pd_strerror(rc));
		goto out;
	}
	n = pd_privkey_encode(&key, enc, sizeof(enc));
	if (n < 0) {
		rc = n;
		keyfile_why(why, whylen, "%s: cannot encode the key: %s",
		    path, pd_strerror(rc));
		goto out;
	}
	if ((rc = keyfile_write_tmp(dfd, enc, (size_t)n, tmp,
	    sizeof(tmp))) < 0) {
		keyfile_why(why, whylen, "%s: cannot write a temporary file "
		    "in %s: %s", path, dir, strerror(-rc));
		rc = rc == -EACCES ? PD_ERR_PERM : PD_ERR_IO;
		goto out;
	}
	if ((rc = keyfile_publish(dfd, tmp, name)) < 0) {
		if (rc != PD_ERR_EXISTS) {
			keyfile_why(why, whylen, "%s: cannot move the new key "
			    "into place: %s", path, strerror(-rc));
			rc = PD_ERR_IO;
		}
		goto out;
	}
	if (fsync(dfd) < 0) {
		/* The file is in place; only its durability is in doubt. */
		keyfile_why(why, whylen, "%s: fsync of directory %s: %s",
		    path, dir, strerror(errno));
		rc = PD_ERR_IO;
		goto out;
	}
	memcpy(ret_key, &key, sizeof(key));
out:
	sodium_memzero(&key, sizeof(key));
	sodium_memzero(enc, sizeof(enc));
	close(dfd);
	return rc;
}

int
pd_keyfile_load_or_create(const char *path, struct pd_privkey *ret_key,
    int *ret_created, char *why, size_t whylen)
{
	struct pd_privkey key;
	int rc, created = 0;

	if (path == NULL || path[0] == '\0' || ret_key == NULL) {
		keyfile_why(why, whylen, "%s: no key file path given",
		    path ? path : "(null)");
		return PD_ERR_INVAL;
	}
	if (strlen(path) >= PATH_MAX) {
		keyfile_why(why, whylen, "%.64s...: path too long", path);
		return PD_ERR_INVAL;
	}
	rc = keyfile_load(path, &key, why, whylen);
	if (rc == KEYFILE_MISSING) {
		rc = keyfile_create(path, &key, why, whylen);
		created = rc == 0;
		if (rc == PD_ERR_EXISTS) {
			/* Someone else created it first: use theirs. */
			rc = keyfile_load(path, &key, why, whylen);
			if (rc == KEYFILE_MISSING) {
				keyfile_why(why, whylen, "%s: appeared and "
				    "vanished while being created", path);
				rc = PD_ERR_IO;
			}
		}
	}
	if (rc == 0) {
		memcpy(ret_key, &key, sizeof(key));
		if (ret_created != NULL)
			*ret_created = created;
	}
	sodium_memzero(&key, sizeof(key));
	return rc;
}
