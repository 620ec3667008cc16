/* webroot.c - see webroot.h */
#include "validate/webroot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "store/atomic.h"

cf_rc
cf_acme_dir_open(const char *root, const char *what_root,
		 struct cf_acme_dir *d, struct cf_err *err)
{
	static const char *const parts[] = { "/.well-known", "/acme-challenge" };
	struct stat sb;
	char path[PATH_MAX];

	memset(d, 0, sizeof(*d));
	if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s %s is not a folder: give the folder the "
				  "web server serves for this site", what_root,
				  root);
	snprintf(path, sizeof(path), "%s", root);
	for (size_t i = 0; i < 2; i++) {
		strncat(path, parts[i], sizeof(path) - strlen(path) - 1);
		if (mkdir(path, 0755) == 0) {
			chmod(path, 0755);
			if ((d->created[d->ncreated] = strdup(path)) != NULL)
				d->ncreated++;
		} else if (errno != EEXIST) {
			cf_err_set(err, CF_ERR_IO, "create %s: %s", path,
				   strerror(errno));
			cf_acme_dir_close(d);
			return err->rc;
		}
	}
	if ((d->dir = strdup(path)) == NULL) {
		cf_acme_dir_close(d);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

cf_rc
cf_acme_dir_put(const struct cf_acme_dir *d, const char *token,
		const char *keyauth, struct cf_err *err)
{
	char path[PATH_MAX];

	if (strchr(token, '/') != NULL || token[0] == '.' || token[0] == '\0')
		return cf_err_set(err, CF_ERR_PROTO, "the CA sent a bad token");
	snprintf(path, sizeof(path), "%s/%s", d->dir, token);
	/* World-readable: the web server's user must read it. */
	return cf_file_write_atomic(path, keyauth, strlen(keyauth), 0644, err);
}

void
cf_acme_dir_del(const struct cf_acme_dir *d, const char *token)
{
	char path[PATH_MAX];

	if (d->dir == NULL || strchr(token, '/') != NULL || token[0] == '.')
		return;
	snprintf(path, sizeof(path), "%s/%s", d->dir, token);
	if (unlink(path) != 0 && errno != ENOENT)
		cf_warn("cannot remove %s: %s", path, strerror(errno));
}

void
cf_acme_dir_close(struct cf_acme_dir *d)
{
	if (d == NULL)
		return;
	/* Deepest first; rmdir fails (and keeps it) when not empty. */
	while (d->ncreated > 0) {
		char *p = d->created[--d->ncreated];
		rmdir(p);
		free(p);
	}
	free(d->dir);
	memset(d, 0, sizeof(*d));
}
