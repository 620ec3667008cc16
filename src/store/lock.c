/* lock.c - see lock.h */
#include "store/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/state.h"

cf_rc
cf_file_lock(const char *path, unsigned timeout_s, int *fd,
	     struct cf_err *err)
{
	struct timespec start, now, nap = { 0, 20 * 1000 * 1000 };

	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return cf_err_set(err, CF_ERR_IO, "open lock file %s: %s", path,
				  strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (e != EWOULDBLOCK || now.tv_sec - start.tv_sec >=
		    (time_t)timeout_s) {
			close(*fd);
			*fd = -1;
			if (e != EWOULDBLOCK)
				return cf_err_set(err, CF_ERR_IO, "lock %s: %s",
						  path, strerror(e));
			return cf_err_set(err, CF_ERR_LOCKED, "%s is still "
					  "locked by another certferry run after "
					  "%u s; try again when it has finished",
					  path, timeout_s);
		}
		nanosleep(&nap, NULL);
	}
	return CF_OK;
}

void
cf_file_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* STATE/locks/<file>, with locks/ made (0700, cf_state_mkdir); *out
 * malloc'd. */
static cf_rc
lock_path(const struct cf_state *st, const char *file, char **out,
	  struct cf_err *err)
{
	char *dir = cf_strfmt("%s/locks", st->root);
	cf_rc rc;

	*out = NULL;
	if (dir == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = cf_state_mkdir(st, dir, err)) == CF_OK &&
	    (*out = cf_strfmt("%s/%s", dir, file)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	free(dir);
	return rc;
}

cf_rc
cf_state_lock(const struct cf_state *st, const char *name, int *fd,
	      struct cf_err *err)
{
	char *file = cf_strfmt("%s.lock", name), *path = NULL;
	cf_rc rc;

	*fd = -1;
	if (file == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = lock_path(st, file, &path, err)) == CF_OK &&
	    (rc = cf_file_lock(path, 0, fd, err)) == CF_ERR_LOCKED)
		cf_err_set(err, rc, "'%s' is locked by another certferry run; "
			   "try again when it has finished", name);
	free(file);
	free(path);
	return rc;
}

void
cf_state_unlock(int fd)
{
	cf_file_unlock(fd);
}

cf_rc
cf_state_iis_lock_path(const struct cf_state *st, const char *config,
		       char **out, struct cf_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char real[PATH_MAX], *file;
	const char *key = realpath(config, real) != NULL ? real : config;
	cf_rc rc;

	*out = NULL;
	if (EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL) != 1)
		return cf_err_set(err, CF_ERR_CRYPTO, "sha256 failed");
	if ((file = cf_strfmt("iis-%02x%02x%02x%02x%02x%02x%02x%02x.lock",
			      md[0], md[1], md[2], md[3], md[4], md[5], md[6],
			      md[7])) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = lock_path(st, file, out, err);
	free(file);
	return rc;
}

cf_rc
cf_state_port_lock(const struct cf_state *st, const char *method, int port,
		   unsigned wait_s, int *fd, struct cf_err *err)
{
	char *file = cf_strfmt("_responder-%s-%d.lock", method, port);
	char *path = NULL;
	cf_rc rc;

	*fd = -1;
	if (file == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = lock_path(st, file, &path, err)) != CF_OK)
		goto out;
	/* Say why we wait before waiting. */
	if ((rc = cf_file_lock(path, 0, fd, err)) == CF_ERR_LOCKED) {
		cf_info("waiting for another certferry run to free port %d", port);
		rc = cf_file_lock(path, wait_s, fd, err);
	}
	if (rc == CF_ERR_LOCKED)
		cf_err_set(err, CF_ERR_LOCKED,
			   "port %d: another certferry run keeps its %s responder",
			   port, method);
out:
	free(file);
	free(path);
	return rc;
}
