/*
 * keyfile.h - the node's identity key file (design.md "Files on disk").
 *
 * The file holds the binary libp2p PrivateKey protobuf of an Ed25519 key
 * (68 bytes; legacy 96-byte Data is also read), mode 0600, owned by the
 * user running the daemon.  A missing file is created with a fresh key;
 * an existing file is never replaced or modified, and one that is unsafe
 * or unreadable is refused with a reason naming the path.
 */
#ifndef PD_CRYPTO_KEYFILE_H
#define PD_CRYPTO_KEYFILE_H

#include <stddef.h>

struct pd_privkey;

#define PD_KEYFILE_MODE 0600		/* mode of a created key file */
#define PD_KEYFILE_DIR_MODE 0700	/* mode of a created parent directory */
#define PD_KEYFILE_MAX_SIZE 16384	/* bytes read from an existing file */

/*
 * Load the identity key at path, or create it if path does not exist.
 *
 * Create: the parent directory is made (mode 0700) if it is missing, but
 * only its last component; a fresh Ed25519 key is written to a temporary
 * file in the same directory (O_EXCL, mode 0600), fsync'd, moved to path
 * only if path still does not exist (renameat2 RENAME_NOREPLACE, or link()
 * where that is unsupported), and the directory is fsync'd.  If another
 * process created path meanwhile, that file is loaded instead.
 *
 * Load: path must be a regular file (symlinks are refused), owned by the
 * effective user, with no group/other permission bits, and must decode
 * with pd_privkey_decode().
 *
 * Returns 0 with *ret_key set and *ret_created 1 (created) or 0 (loaded);
 * or PD_ERR_PERM (unsafe mode, owner or file type, or EACCES),
 * PD_ERR_BAD_KEY (empty, too large, does not decode), PD_ERR_UNSUPPORTED
 * (a valid key of a type other than Ed25519), PD_ERR_IO (a system call
 * failed; errno text in why), PD_ERR_INVAL (empty path).  why (whylen > 0)
 * always gets a message starting with the path, e.g. "/var/lib/peerdisc/
 * identity.key: mode 0644 is too open; chmod 600 it".  Outputs untouched
 * on failure.  ret_created may be NULL.
 */
int pd_keyfile_load_or_create(const char *path, struct pd_privkey *ret_key,
    int *ret_created, char *why, size_t whylen);

#endif
