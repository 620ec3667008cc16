/*
 * paths.h - paths as the timer will see them, folders that must take a
 * write, and secret files.
 *
 * Owns: turning a path typed in one working directory into the absolute
 * path that a later run (the renewal timer, started elsewhere) will use;
 * the "can we really write here?" probe that the preflight checks run
 * before anything is ordered; reading a secret (a password, an HMAC key)
 * from its file.  Nothing here prints: a loosely protected secret file is
 * reported to the caller, who decides whether to warn.
 */
#ifndef CF_PATHS_H
#define CF_PATHS_H

#include <stddef.h>

#include "core/err.h"

/*
 * The absolute form of path: unchanged when it starts with '/', else the
 * current working directory joined with it ("./" prefixes and repeated
 * slashes dropped; symbolic links are kept as typed, and path need not
 * exist).  *out malloc'd.  CF_ERR_USAGE for an empty path.
 */
cf_rc cf_path_abs(const char *path, char **out, struct cf_err *err) CF_MUST_CHECK;

/* cf_path_abs in place: *path (malloc'd, may be NULL) is replaced. */
cf_rc cf_path_abs_inplace(char **path, struct cf_err *err) CF_MUST_CHECK;

/*
 * Prove that a file can be created in folder dir: create a probe file
 * (O_CREAT|O_EXCL, mode 0600) and remove it.  A read-only mount, missing
 * permissions or a full disk fail here, with errno's text.  CF_ERR_USAGE
 * naming dir and `what` ("CCS folder", "webroot" ...) otherwise.
 */
cf_rc cf_dir_probe_write(const char *dir, const char *what,
			 struct cf_err *err) CF_MUST_CHECK;

/*
 * The deepest existing folder on the way to path (path itself when it is
 * a folder).  *out malloc'd.  Lets a check probe where a missing folder
 * will be created.
 */
cf_rc cf_path_existing_ancestor(const char *path, char **out,
				struct cf_err *err) CF_MUST_CHECK;

/*
 * Read a secret from a file: at most 64 KiB, trailing white space trimmed,
 * not empty.  *out malloc'd, wipe it with OPENSSL_clear_free.  *loose (may
 * be NULL) is set when group or others may read the file.  Errors name
 * the file, never its content; a missing or unreadable file is
 * CF_ERR_USAGE (bad input).
 */
cf_rc cf_secret_file_read(const char *path, char **out, int *loose,
			  struct cf_err *err) CF_MUST_CHECK;

/* Write a secret into a new or existing file, atomically, mode 0600 (its
 * folder must exist: in the state folder, made with cf_state_mkdir). */
cf_rc cf_secret_file_write(const char *path, const char *secret,
			   struct cf_err *err) CF_MUST_CHECK;

#endif
