/*
 * webroot.h - the challenge folder of a web server's document root.
 *
 * Owns: <root>/.well-known/acme-challenge/ as both webroot methods use it
 * (the --webroot folder of http01.h and the IIS sites' physicalPaths of
 * iiswebroot.h): creating the folders that are missing (and only those
 * are removed again), writing a token's key authorization world-readable,
 * removing it.  Nothing here prints except a warning for a file that
 * cannot be removed.
 */
#ifndef CF_VALIDATE_WEBROOT_H
#define CF_VALIDATE_WEBROOT_H

#include <stddef.h>

#include "core/err.h"

struct cf_acme_dir {
	char *dir;          /* <root>/.well-known/acme-challenge */
	char *created[2];   /* folders we made, deepest last */
	size_t ncreated;
};

/* Make sure <root>/.well-known/acme-challenge exists (0755).  root must be
 * a folder: CF_ERR_USAGE naming what_root ("--webroot") otherwise. */
cf_rc cf_acme_dir_open(const char *root, const char *what_root,
		       struct cf_acme_dir *d, struct cf_err *err) CF_MUST_CHECK;

/* Write the key authorization of token (0644, atomically). */
cf_rc cf_acme_dir_put(const struct cf_acme_dir *d, const char *token,
		      const char *keyauth, struct cf_err *err) CF_MUST_CHECK;

/* Remove the file of token (best effort, warns). */
void cf_acme_dir_del(const struct cf_acme_dir *d, const char *token);

/* Remove the folders open created, when empty; free d. Safe when zeroed. */
void cf_acme_dir_close(struct cf_acme_dir *d);

#endif
