/*
 * check_keyfile.c - unit tests for lib/crypto/keyfile.c: creating the
 * identity key file (mode 0600, parent directory, no temp files left),
 * reloading it, and refusing unsafe or broken files without ever touching
 * them.  Every test works in its own mkdtemp directory.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "crypto/key.h"
#include "crypto/keyfile.h"

#include "helpers.h"

static char tmpdir[512];

static void
keyfile_setup(void)
{
	pd_test_tmpdir(tmpdir, sizeof(tmpdir), "check_keyfile");
}

static void
keyfile_teardown(void)
{
	pd_test_rm_dir(tmpdir);
}

/* path = tmpdir/rel */
static const char *
tpath(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, rel);
	return buf[i];
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* Contents and metadata of a file, to prove it was not touched. */
struct snap {
	uint8_t data[256];
	ssize_t len;
	struct stat st;
};

static void
snap_take(const char *path, struct snap *s)
{
	int fd;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(lstat(path, &s->st), 0);
	if (!S_ISREG(s->st.st_mode))
		return;
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	s->len = read(fd, s->data, sizeof(s->data));
	ck_assert_int_ge(s->len, 0);
	close(fd);
}

static void
snap_same(const char *path, const struct snap *before)
{
	struct snap now;

	snap_take(path, &now);
	ck_assert_int_eq(now.len, before->len);
	ck_assert_mem_eq(now.data, before->data, (size_t)now.len);
	ck_assert_int_eq(now.st.st_mode, before->st.st_mode);
	ck_assert_int_eq(now.st.st_ino, before->st.st_ino);
	ck_assert_int_eq(now.st.st_size, before->st.st_size);
	ck_assert_int_eq(now.st.st_mtim.tv_sec, before->st.st_mtim.tv_sec);
	ck_assert_int_eq(now.st.st_mtim.tv_nsec, before->st.st_mtim.tv_nsec);
}

/* The message must begin with the path. */
static void
why_names(const char *why, const char *path, const char *also)
{
	ck_assert_msg(strncmp(why, path, strlen(path)) == 0,
	    "why does not start with %s: %s", path, why);
	if (also != NULL)
		ck_assert_msg(strstr(why, also) != NULL,
		    "why lacks \"%s\": %s", also, why);
}

/* Names in tmpdir/sub other than want. */
static int
count_other_entries(const char *dir, const char *want)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, want) == 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void
check_mode(const char *path, mode_t want)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, want);
}

/* ---- creation ------------------------------------------------------------ */

START_TEST(test_create_and_reload)
{
	const char *path = tpath("identity.key");
	struct pd_privkey k1, k2;
	struct pd_pubkey pub;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN];
	struct snap s;
	char why[512] = "";
	int created = -1;

	ck_assert_msg(pd_keyfile_load_or_create(path, &k1, &created, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(created, 1);
	check_mode(path, 0600);
	ck_assert_int_eq(count_other_entries(tmpdir, "identity.key"), 0);
	snap_take(path, &s);
	ck_assert(S_ISREG(s.st.st_mode));
	ck_assert_int_eq(s.st.st_uid, geteuid());
	/* The file is the PrivateKey protobuf of the key we got. */
	ck_assert_int_eq(s.len, PD_KEY_ED25519_PRIVKEY_PB_LEN);
	pd_privkey_encode(&k1, enc, sizeof(enc));
	ck_assert_mem_eq(s.data, enc, sizeof(enc));

	created = -1;
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k2, &created, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(created, 0);
	ck_assert_mem_eq(k1.sk, k2.sk, sizeof(k1.sk));
	ck_assert_int_eq(pd_privkey_public(&k2, &pub), 0);
	snap_same(path, &s);
	/* ret_created may be NULL. */
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k2, NULL, why,
	    sizeof(why)), 0);
	pd_privkey_clear(&k1);
	pd_privkey_clear(&k2);
}
END_TEST

START_TEST(test_create_parent_dir)
{
	const char *path = tpath("state/identity.key");
	const char *deep = tpath("a/b/identity.key");
	struct pd_privkey k;
	char why[512] = "";
	int created = 0;

	ck_assert_msg(pd_keyfile_load_or_create(path, &k, &created, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(created, 1);
	check_mode(tpath("state"), 0700);
	check_mode(path, 0600);
	ck_assert_int_eq(count_other_entries(tpath("state"), "identity.key"),
	    0);

	/* Only the last component is created. */
	ck_assert_int_eq(pd_keyfile_load_or_create(deep, &k, &created, why,
	    sizeof(why)), PD_ERR_IO);
	why_names(why, deep, "only the last");
	ck_assert_int_eq(access(tpath("a"), F_OK), -1);

	/* Parent exists but is a file. */
	write_file(tpath("plain"), "x", 1, 0600);
	deep = tpath("plain/identity.key");
	ck_assert_int_lt(pd_keyfile_load_or_create(deep, &k, &created, why,
	    sizeof(why)), 0);
	why_names(why, deep, NULL);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_create_under_umask)
{
	const char *path = tpath("identity.key");
	const char *sub = tpath("sub/identity.key");
	struct pd_privkey k;
	char why[512] = "";
	mode_t old = umask(0277);

	ck_assert_msg(pd_keyfile_load_or_create(path, &k, NULL, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_msg(pd_keyfile_load_or_create(sub, &k, NULL, why,
	    sizeof(why)) == 0, "%s", why);
	umask(old);
	check_mode(path, 0600);
	check_mode(tpath("sub"), 0700);
	check_mode(sub, 0600);
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, NULL, why,
	    sizeof(why)), 0);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_relative_path)
{
	char cwd[PATH_MAX];
	struct pd_privkey k;
	char why[512] = "";
	int created = 0;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_msg(pd_keyfile_load_or_create("identity.key", &k, &created,
	    why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(chdir(cwd), 0);
	check_mode(tpath("identity.key"), 0600);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_bad_paths)
{
	struct pd_privkey k;
	char why[512] = "";
	char *dirpath;

	ck_assert_int_eq(pd_keyfile_load_or_create("", &k, NULL, why,
	    sizeof(why)), PD_ERR_INVAL);
	ck_assert_int_eq(pd_keyfile_load_or_create(NULL, &k, NULL, why,
	    sizeof(why)), PD_ERR_INVAL);
	/* A trailing slash names a directory that does not exist. */
	dirpath = strdup(tpath("newdir/"));
	ck_assert_int_lt(pd_keyfile_load_or_create(dirpath, &k, NULL, why,
	    sizeof(why)), 0);
	why_names(why, dirpath, NULL);
	free(dirpath);
	/* why may be NULL or tiny. */
	ck_assert_int_eq(pd_keyfile_load_or_create("", &k, NULL, NULL, 0),
	    PD_ERR_INVAL);
	ck_assert_int_eq(pd_keyfile_load_or_create("", &k, NULL, why, 1),
	    PD_ERR_INVAL);
	ck_assert_str_eq(why, "");
}
END_TEST

/* ---- refusals ------------------------------------------------------------ */

START_TEST(test_refuse_open_modes)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0660, 0601, 0610,
	    0700 | 0007, 0602, 0620 };
	const char *path = tpath("identity.key");
	struct pd_privkey k, keep;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN];
	char why[512], mode[16];
	struct snap s;
	int created = 7;

	pd_privkey_generate(&k);
	pd_privkey_encode(&k, enc, sizeof(enc));
	memset(&keep, 0x3c, sizeof(keep));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, enc, sizeof(enc), bad[i]);
		snap_take(path, &s);
		k = keep;
		why[0] = '\0';
		ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, &created,
		    why, sizeof(why)), PD_ERR_PERM);
		snprintf(mode, sizeof(mode), "mode %04o", (unsigned)bad[i]);
		why_names(why, path, mode);
		ck_assert_ptr_nonnull(strstr(why, "chmod 600"));
		snap_same(path, &s);
		ck_assert_mem_eq(&k, &keep, sizeof(k));	/* untouched */
		ck_assert_int_eq(created, 7);
	}
	/* 0400 (read-only owner) is fine. */
	write_file(path, enc, sizeof(enc), 0400);
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, &created, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(created, 0);
	ck_assert_mem_eq(k.sk, enc + 4, 64);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_refuse_bad_content)
{
	static const struct {
		const char *name;
		const char *data;
		size_t len;
		int rc;
		const char *why;
	} v[] = {
		{ "garbage", "this is not a key file\n", 23, PD_ERR_BAD_KEY,
		  "not a usable" },
		{ "empty", "", 0, PD_ERR_BAD_KEY, "empty" },
		{ "truncated", "\x08\x01\x12\x40\x01\x02", 6, PD_ERR_BAD_KEY,
		  NULL },
		{ "ed25519-short", "\x08\x01\x12\x02\x01\x02", 6,
		  PD_ERR_BAD_KEY, "Ed25519" },
		{ "rsa", "\x08\x00\x12\x02\x30\x00", 6, PD_ERR_UNSUPPORTED,
		  "RSA" },
	};
	struct pd_privkey k;
	char why[512];
	struct snap s;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *path = tpath(v[i].name);

		write_file(path, v[i].data, v[i].len, 0600);
		snap_take(path, &s);
		why[0] = '\0';
		ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, NULL, why,
		    sizeof(why)), v[i].rc);
		why_names(why, path, v[i].why);
		snap_same(path, &s);
	}
}
END_TEST

START_TEST(test_refuse_huge_file)
{
	const char *path = tpath("huge");
	static uint8_t big[PD_KEYFILE_MAX_SIZE + 10];
	struct pd_privkey k;
	char why[512];

	memset(big, 0x08, sizeof(big));
	write_file(path, big, sizeof(big), 0600);
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, NULL, why,
	    sizeof(why)), PD_ERR_BAD_KEY);
	why_names(why, path, "bytes");
}
END_TEST

START_TEST(test_refuse_not_regular)
{
	const char *dir = tpath("adir");
	const char *fifo = tpath("afifo");
	const char *link = tpath("alink");
	const char *target = tpath("target");
	struct pd_privkey k;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN];
	char why[512];
	struct snap s;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snap_take(dir, &s);
	ck_assert_int_eq(pd_keyfile_load_or_create(dir, &k, NULL, why,
	    sizeof(why)), PD_ERR_PERM);
	why_names(why, dir, "directory");
	ck_assert_int_eq(count_other_entries(dir, ""), 0);

	/* A FIFO is refused without blocking on open. */
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(pd_keyfile_load_or_create(fifo, &k, NULL, why,
	    sizeof(why)), PD_ERR_PERM);
	why_names(why, fifo, "not a regular file");

	/* A symlink, even to a good key file, is refused. */
	pd_privkey_generate(&k);
	pd_privkey_encode(&k, enc, sizeof(enc));
	write_file(target, enc, sizeof(enc), 0600);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(pd_keyfile_load_or_create(link, &k, NULL, why,
	    sizeof(why)), PD_ERR_PERM);
	why_names(why, link, "symbolic link");
	/* A dangling symlink is not "missing": nothing is created. */
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(pd_keyfile_load_or_create(link, &k, NULL, why,
	    sizeof(why)), PD_ERR_PERM);
	ck_assert_int_eq(access(target, F_OK), -1);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_refuse_foreign_owner)
{
	const char *path = tpath("identity.key");
	struct pd_privkey k;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN];
	char why[512];
	struct snap s;

	pd_privkey_generate(&k);
	pd_privkey_encode(&k, enc, sizeof(enc));
	write_file(path, enc, sizeof(enc), 0600);
	if (geteuid() != 0) {
		/* Cannot give a file away without privileges. */
		printf("check_keyfile: not root, foreign-owner case skipped\n");
		return;
	}
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	snap_take(path, &s);
	ck_assert_int_eq(pd_keyfile_load_or_create(path, &k, NULL, why,
	    sizeof(why)), PD_ERR_PERM);
	why_names(why, path, "owned by uid 65534");
	snap_same(path, &s);
	pd_privkey_clear(&k);
}
END_TEST

START_TEST(test_legacy_file_loads)
{
	const char *path = tpath("legacy.key");
	struct pd_privkey k, ref;
	uint8_t enc[PD_KEY_ED25519_PRIVKEY_PB_LEN], legacy[100];
	char why[512] = "";
	struct snap s;
	int created = 5;

	pd_privkey_generate(&ref);
	pd_privkey_encode(&ref, enc, sizeof(enc));
	memcpy(legacy, "\x08\x01\x12\x60", 4);
	memcpy(legacy + 4, enc + 4, 64);
	memcpy(legacy + 68, enc + 4 + 32, 32);
	write_file(path, legacy, sizeof(legacy), 0600);
	snap_take(path, &s);
	ck_assert_msg(pd_keyfile_load_or_create(path, &k, &created, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(created, 0);
	ck_assert_mem_eq(k.sk, ref.sk, 64);
	snap_same(path, &s);	/* not rewritten in the new form */
	pd_privkey_clear(&k);
	pd_privkey_clear(&ref);
}
END_TEST

static Suite *
keyfile_suite(void)
{
	Suite *s = suite_create("pd_keyfile");
	TCase *tc;

	tc = tcase_create("create");
	tcase_add_checked_fixture(tc, keyfile_setup, keyfile_teardown);
	tcase_add_test(tc, test_create_and_reload);
	tcase_add_test(tc, test_create_parent_dir);
	tcase_add_test(tc, test_create_under_umask);
	tcase_add_test(tc, test_relative_path);
	tcase_add_test(tc, test_bad_paths);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, keyfile_setup, keyfile_teardown);
	tcase_add_test(tc, test_refuse_open_modes);
	tcase_add_test(tc, test_refuse_bad_content);
	tcase_add_test(tc, test_refuse_huge_file);
	tcase_add_test(tc, test_refuse_not_regular);
	tcase_add_test(tc, test_refuse_foreign_owner);
	tcase_add_test(tc, test_legacy_file_loads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pd_test_run(keyfile_suite());
}
