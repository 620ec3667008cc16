/* atomic.c - see atomic.h */
#include "store/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static cf_rc
dir_of(const char *path, char *out, size_t outlen, struct cf_err *err)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(out, outlen, ".");
		return CF_OK;
	}
	if (slash == path) {
		snprintf(out, outlen, "/");
		return CF_OK;
	}
	if ((size_t)(slash - path) >= outlen)
		return cf_err_set(err, CF_ERR_USAGE, "path too long: %s", path);
	memcpy(out, path, (size_t)(slash - path));
	out[slash - path] = '\0';
	return CF_OK;
}

cf_rc
cf_fsync_parent(const char *path, struct cf_err *err)
{
	char dir[PATH_MAX];
	cf_rc rc;
	int fd;

	if ((rc = dir_of(path, dir, sizeof(dir), err)) != CF_OK)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cf_err_set(err, CF_ERR_IO, "open folder %s: %s", dir,
				  strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return cf_err_set(err, CF_ERR_IO, "fsync folder %s: %s", dir,
				  strerror(e));
	}
	close(fd);
	return CF_OK;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "<path>.tmp-<12 random hex digits>" into tmp (PATH_MAX bytes): the
 * temporary name beside path that is renamed over it. */
static cf_rc
tmp_name(const char *path, char *tmp, struct cf_err *err)
{
	unsigned char rnd[6];
	int n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return cf_err_openssl(err, "random temp name");
	n = snprintf(tmp, PATH_MAX, "%s.tmp-%02x%02x%02x%02x%02x%02x", path,
		     rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if (n < 0 || n >= PATH_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "path too long: %s", path);
	return CF_OK;
}

/* Create path (it must not exist) with exactly mode and write data;
 * the open descriptor in *fd. */
static cf_rc
write_new(const char *path, const void *data, size_t len, mode_t mode,
	  int *fd, struct cf_err *err)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   mode);
	if (*fd < 0)
		return cf_err_set(err, CF_ERR_IO, "create %s: %s", path,
				  strerror(errno));
	/* umask may have narrowed the mode; make it exactly what was asked. */
	if (fchmod(*fd, mode) != 0 || write_all(*fd, data, len) != 0)
		return cf_err_set(err, CF_ERR_IO, "write %s: %s", path,
				  strerror(errno));
	return CF_OK;
}

cf_rc
cf_files_write_new(const char *dir, const struct cf_new_file *f, size_t n,
		   struct cf_err *err)
{
	char path[PATH_MAX];
	int fds[16];
	size_t opened = 0;
	cf_rc rc = CF_OK;

	if (n > sizeof(fds) / sizeof(fds[0]))
		return cf_err_set(err, CF_ERR_INTERNAL, "too many files for %s",
				  dir);
	for (size_t i = 0; i < n && rc == CF_OK; i++) {
		if (f[i].name == NULL)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, f[i].name) >=
		    (int)sizeof(path))
			rc = cf_err_set(err, CF_ERR_USAGE, "path too long: %s/%s",
					dir, f[i].name);
		else
			rc = write_new(path, f[i].data, f[i].len, f[i].mode,
				       &fds[opened++], err);
	}
	for (size_t i = 0; i < opened; i++) {
		if (rc == CF_OK && fds[i] >= 0 && fsync(fds[i]) != 0)
			rc = cf_err_set(err, CF_ERR_IO, "fsync a file in %s: %s",
					dir, strerror(errno));
		if (fds[i] >= 0 && close(fds[i]) != 0 && rc == CF_OK)
			rc = cf_err_set(err, CF_ERR_IO, "close a file in %s: %s",
					dir, strerror(errno));
	}
	if (rc != CF_OK ||
	    snprintf(path, sizeof(path), "%s/.", dir) >= (int)sizeof(path))
		return rc != CF_OK ? rc : cf_err_set(err, CF_ERR_USAGE,
						     "path too long: %s", dir);
	return cf_fsync_parent(path, err);
}

cf_rc
cf_file_write_atomic(const char *path, const void *data, size_t len,
		     mode_t mode, struct cf_err *err)
{
	char tmp[PATH_MAX];
	int fd = -1;
	cf_rc rc = CF_OK;

	if ((rc = tmp_name(path, tmp, err)) != CF_OK)
		return rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cf_err_set(err, CF_ERR_IO, "create %s: %s", tmp,
				  strerror(errno));
	/* umask may have narrowed the mode; make it exactly what was asked. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "write %s: %s", tmp,
				strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = cf_err_set(err, CF_ERR_IO, "close %s: %s", tmp,
				strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "rename %s to %s: %s", tmp, path,
				strerror(errno));
		goto out;
	}
	return cf_fsync_parent(path, err);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

cf_rc
cf_file_write_json(const char *path, const json_t *j, mode_t mode,
		   struct cf_err *err)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n;
	cf_rc rc;

	if (text == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	n = strlen(text);
	text[n] = '\n'; /* the NUL's byte carries the final newline */
	rc = cf_file_write_atomic(path, text, n + 1, mode, err);
	free(text);
	return rc;
}

cf_rc
cf_file_read(const char *path, size_t cap, char **data, size_t *len,
	     struct cf_err *err)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, alloc = 0;
	cf_rc rc = CF_OK;

	*data = NULL;
	if (len)
		*len = 0;
	f = fopen(path, "rbe");
	if (f == NULL) {
		if (errno == ENOENT)
			return cf_err_set(err, CF_ERR_NOTFOUND, "%s: no such file",
					  path);
		return cf_err_set(err, CF_ERR_IO, "open %s: %s", path,
				  strerror(errno));
	}
	for (;;) {
		size_t got;
		if (n + 4096 + 1 > alloc) {
			size_t na = alloc ? alloc * 2 : 8192;
			char *nb = malloc(na);
			if (nb == NULL) {
				rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, n);
				OPENSSL_cleanse(buf, alloc);
				free(buf);
			}
			buf = nb;
			alloc = na;
		}
		got = fread(buf + n, 1, alloc - n - 1, f);
		n += got;
		if (n > cap) {
			rc = cf_err_set(err, CF_ERR_USAGE,
					"%s: larger than %zu bytes", path, cap);
			goto out;
		}
		if (got == 0) {
			if (ferror(f))
				rc = cf_err_set(err, CF_ERR_IO, "read %s: %s",
						path, strerror(errno));
			break;
		}
	}
out:
	fclose(f);
	if (rc != CF_OK) {
		if (buf) {
			OPENSSL_cleanse(buf, alloc);
			free(buf);
		}
		return rc;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return CF_OK;
}

cf_rc
cf_file_read_input(const char *path, size_t cap, char **data, size_t *len,
		   struct cf_err *err)
{
	char why[CF_ERR_MSG_MAX];
	cf_rc rc = cf_file_read(path, cap, data, len, err);

	if (rc != CF_ERR_NOTFOUND && rc != CF_ERR_IO)
		return rc;
	if (err == NULL)
		return CF_ERR_USAGE;
	snprintf(why, sizeof(why), "%s", err->msg);
	return cf_err_set(err, CF_ERR_USAGE, "%s: give the path of an existing, "
			  "readable file", why);
}

cf_rc
cf_mkdir_p(const char *path, mode_t mode, int tighten, struct cf_err *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(tmp))
		return cf_err_set(err, CF_ERR_USAGE, "bad folder path '%s'", path);
	memcpy(tmp, path, n + 1);
	/* "dir/" is dir: its leaf must get `mode`, not the parents' 0755. */
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = '\0';
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return cf_err_set(err, CF_ERR_IO, "create folder %s: %s",
					  tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0) {
		if (errno != EEXIST)
			return cf_err_set(err, CF_ERR_IO, "create folder %s: %s",
					  tmp, strerror(errno));
		if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
			return cf_err_set(err, CF_ERR_IO, "%s exists and is not a folder",
					  tmp);
		if (tighten && (st.st_mode & 07777) != mode &&
		    chmod(tmp, mode) != 0)
			return cf_err_set(err, CF_ERR_IO, "chmod %s: %s", tmp,
					  strerror(errno));
		return CF_OK;
	}
	/* mkdir is subject to umask; set the exact mode asked for. */
	if (chmod(tmp, mode) != 0)
		return cf_err_set(err, CF_ERR_IO, "chmod %s: %s", tmp,
				  strerror(errno));
	return CF_OK;
}

cf_rc
cf_symlink_replace(const char *target, const char *path, struct cf_err *err)
{
	char tmp[PATH_MAX];
	cf_rc rc;

	if ((rc = tmp_name(path, tmp, err)) != CF_OK)
		return rc;
	if (symlink(target, tmp) != 0)
		return cf_err_set(err, CF_ERR_IO, "symlink %s: %s", tmp,
				  strerror(errno));
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return cf_err_set(err, CF_ERR_IO, "replace %s: %s (if it is a "
				  "folder, move it away)", path, strerror(e));
	}
	return cf_fsync_parent(path, err);
}

int
cf_symlink_is(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf));

	return n >= 0 && (size_t)n < sizeof(buf) &&
	       strlen(target) == (size_t)n && memcmp(buf, target, (size_t)n) == 0;
}
