/* verified.c - the fast path of verify: nothing changed since the last
 * full check.  See verified.h.
 *
 * After a full check that found (or left, by repairing) every store
 * healthy, STATE/verified/<name> records the current certificate's serial
 * and the identity of every store file that check read: device, inode,
 * size, modification and change times (nanoseconds) of a PEM folder's
 * four files and the links to them, a PFX and its password file, every
 * CCS file.  The next verification compares them
 * with stat(2) only; the full check (reading, parsing, opening every PFX)
 * runs again as soon as one differs.  The change time cannot be set by
 * anybody but the kernel, which moves it on every write, rename, chmod or
 * chown: a store file edited or replaced is always seen.  What is not
 * seen is a change below the file system (a raw block device write).
 * IIS bindings (--install iis) are always checked in full. */
#include "engine/verified.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "iis/ccs.h"
#include "install/server.h"
#include "store/atomic.h"

#define VERIFIED_MAX (256u * 1024u)

/* Append "dev ino size mtime ctime path" of path (following links) and,
 * when it is a link, of the link itself.  -1: it cannot be stat'ed. */
static int
fp_file(struct cf_buf *b, const char *path)
{
	struct stat sb, lsb;
	char line[128];

	if (lstat(path, &lsb) != 0)
		return -1;
	if (!S_ISLNK(lsb.st_mode))
		sb = lsb;
	else if (stat(path, &sb) != 0)
		return -1;
	snprintf(line, sizeof(line), "%ju %ju %jd %jd.%09ld %jd.%09ld ",
		 (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino,
		 (intmax_t)sb.st_size, (intmax_t)sb.st_mtim.tv_sec,
		 sb.st_mtim.tv_nsec, (intmax_t)sb.st_ctim.tv_sec,
		 sb.st_ctim.tv_nsec);
	if (cf_buf_appends(b, line) != CF_OK || cf_buf_appends(b, path) != CF_OK ||
	    cf_buf_appends(b, "\n") != CF_OK)
		return -1;
	if (S_ISLNK(lsb.st_mode)) {
		snprintf(line, sizeof(line), "link %ju %ju %jd.%09ld ",
			 (uintmax_t)lsb.st_dev, (uintmax_t)lsb.st_ino,
			 (intmax_t)lsb.st_ctim.tv_sec, lsb.st_ctim.tv_nsec);
		if (cf_buf_appends(b, line) != CF_OK ||
		    cf_buf_appends(b, path) != CF_OK ||
		    cf_buf_appends(b, "\n") != CF_OK)
			return -1;
	}
	return 0;
}

static int
fp_in(struct cf_buf *b, const char *dir, const char *file)
{
	char *path = cf_strfmt("%s/%s", dir, file);
	int r = path != NULL ? fp_file(b, path) : -1;

	free(path);
	return r;
}

/* The fingerprint of every store file a full check of s reads, after
 * the current certificate's serial, or NULL when there is none (a file
 * missing, IIS, out of memory).  The state folder's own files are not in
 * it: a generation folder is never written again once certs/<name>
 * points to it, and a new certificate has a new serial. */
static char *
fingerprint(const struct cf_cert_spec *s,
	    const char *const *names, size_t n, const char *serial)
{
	static const char *const pem[] = { "privkey.pem", "cert.pem",
					   "chain.pem", "fullchain.pem" };
	struct cf_buf b;
	struct cf_err err = { 0 };
	int bad = 0;

	if (s->iis.install || s->server.kind != CF_SERVER_NONE)
		return NULL; /* bindings and servers: always checked in full */
	cf_buf_init(&b, VERIFIED_MAX);
	if (cf_buf_appends(&b, "serial ") != CF_OK ||
	    cf_buf_appends(&b, serial) != CF_OK ||
	    cf_buf_appends(&b, "\n") != CF_OK)
		bad = 1;
	for (size_t i = 0; i < s->nstores && !bad; i++) {
		const struct cf_store_spec *sp = &s->stores[i];
		bad = cf_buf_appends(&b, cf_store_kind_name(sp->kind)) != CF_OK ||
		      cf_buf_appends(&b, "\n") != CF_OK;
		if (!bad && sp->password_file != NULL)
			bad = fp_file(&b, sp->password_file) != 0;
		if (sp->kind == CF_STORE_PEM) {
			for (size_t k = 0; k < 4 && !bad; k++)
				bad = fp_in(&b, sp->path, pem[k]) != 0;
		} else if (sp->kind == CF_STORE_PFX) {
			bad = bad || fp_file(&b, sp->path) != 0;
		} else {
			for (size_t k = 0; k < n && !bad; k++) {
				char *f = NULL;
				bad = cf_ccs_file_name(names[k], &f, &err) != CF_OK ||
				      fp_in(&b, sp->path, f) != 0;
				free(f);
			}
		}
	}
	if (bad) {
		cf_buf_free(&b);
		return NULL;
	}
	return cf_buf_steal(&b);
}

/* STATE/verified/<name>; with mkdir, the folder is made (0700). */
static char *
verified_path(const struct cf_state *st, const char *name, int mkdir)
{
	struct cf_err err = { 0 };
	char *dir = NULL, *p = NULL;

	if (cf_state_check_name(name, &err) != CF_OK ||
	    (dir = cf_strfmt("%s/verified", st->root)) == NULL ||
	    (mkdir && cf_state_mkdir(st, dir, &err) != CF_OK)) {
		free(dir);
		return NULL;
	}
	p = cf_strfmt("%s/%s", dir, name);
	free(dir);
	return p;
}

int
cf_verified_same(const struct cf_state *st, const struct cf_cert_spec *s,
		 const char *const *names, size_t n, const char *serial)
{
	struct cf_err err = { 0 };
	char *path = NULL, *rec = NULL, *now = NULL;
	size_t len = 0;
	int same = serial != NULL &&
		   (path = verified_path(st, s->name, 0)) != NULL &&
		   cf_file_read(path, VERIFIED_MAX, &rec, &len, &err) == CF_OK &&
		   (now = fingerprint(s, names, n, serial)) != NULL &&
		   strcmp(rec, now) == 0;

	free(path);
	free(rec);
	free(now);
	return same;
}

/* Record what a full check found healthy, or forget the record (ok 0).
 * Failures only log: the next run then checks in full again. */
void
cf_verified_record(const struct cf_state *st, const struct cf_cert_spec *s,
		   const char *const *names, size_t n, const char *serial,
		   int ok)
{
	struct cf_err err = { 0 };
	char *path = verified_path(st, s->name, ok), *fp = NULL;

	if (path == NULL)
		goto out;
	if (ok && (fp = fingerprint(s, names, n, serial)) != NULL) {
		if (cf_file_write_atomic(path, fp, strlen(fp), 0600, &err) !=
		    CF_OK)
			cf_debug("%s: %s", s->name, err.msg);
	} else {
		(void)unlink(path);
	}
out:
	free(path);
	free(fp);
}
