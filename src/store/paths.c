/* paths.c - see paths.h */
#include "store/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "store/atomic.h"

#define SECRET_MAX (64 * 1024)

cf_rc
cf_path_abs(const char *path, char **out, struct cf_err *err)
{
	char cwd[PATH_MAX], *p, *w;
	const char *r;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return cf_err_set(err, CF_ERR_USAGE, "an empty path was given");
	if (path[0] == '/') {
		p = strdup(path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cf_err_set(err, CF_ERR_IO,
					  "cannot tell the current folder to make "
					  "'%s' absolute (%s): give an absolute path",
					  path, strerror(errno));
		while (path[0] == '.' && path[1] == '/')
			for (path += 2; *path == '/'; path++)
				;
		p = strcmp(path, ".") == 0 || *path == '\0' ?
			    strdup(cwd) :
			    cf_strfmt("%s%s%s", cwd,
				      strcmp(cwd, "/") == 0 ? "" : "/", path);
	}
	if (p == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	/* Fold repeated slashes and "/./" (never "..": links stay as typed). */
	for (r = w = p; *r != '\0';) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && r[2] == '/'))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	*out = p;
	return CF_OK;
}

cf_rc
cf_path_abs_inplace(char **path, struct cf_err *err)
{
	char *abs;
	cf_rc rc;

	if (*path == NULL)
		return CF_OK;
	if ((rc = cf_path_abs(*path, &abs, err)) != CF_OK)
		return rc;
	free(*path);
	*path = abs;
	return CF_OK;
}

cf_rc
cf_dir_probe_write(const char *dir, const char *what, struct cf_err *err)
{
	struct stat st;
	char *probe;
	int fd;

	if (stat(dir, &st) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "%s %s: %s", what, dir,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cf_err_set(err, CF_ERR_USAGE, "%s %s is not a folder", what,
				  dir);
	if ((probe = cf_strfmt("%s/.certferry-probe-%ld", dir, (long)getpid())) ==
	    NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST) {
		/* left by a run that died: take it over */
		(void)unlink(probe);
		fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					 O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		int e = errno;
		free(probe);
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s %s is not writable (%s): %s", what, dir,
				  strerror(e),
				  e == EROFS ? "it is on a read-only mount; mount it "
					       "read-write" :
					       "fix its permissions or choose "
					       "another folder");
	}
	close(fd);
	(void)unlink(probe);
	free(probe);
	return CF_OK;
}

cf_rc
cf_path_existing_ancestor(const char *path, char **out, struct cf_err *err)
{
	struct stat st;
	char *p, *slash;

	if ((p = strdup(path)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (;;) {
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		if ((slash = strrchr(p, '/')) == NULL) {
			strcpy(p, ".");
			break;
		}
		if (slash == p) {
			p[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	*out = p;
	return CF_OK;
}

cf_rc
cf_secret_file_read(const char *path, char **out, int *loose,
		    struct cf_err *err)
{
	struct stat sb;
	size_t len = 0;
	cf_rc rc;

	*out = NULL;
	if (loose != NULL)
		*loose = 0;
	if ((rc = cf_file_read_input(path, SECRET_MAX, out, &len, err)) != CF_OK)
		return rc;
	if (loose != NULL && stat(path, &sb) == 0 && (sb.st_mode & 0077) != 0)
		*loose = 1;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' ||
			   (*out)[len - 1] == ' ' || (*out)[len - 1] == '\t'))
		(*out)[--len] = '\0';
	if (len == 0) {
		OPENSSL_clear_free(*out, 1);
		*out = NULL;
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s is empty: put the secret in it", path);
	}
	return CF_OK;
}

cf_rc
cf_secret_file_write(const char *path, const char *secret, struct cf_err *err)
{
	return cf_file_write_atomic(path, secret, strlen(secret), 0600, err);
}
