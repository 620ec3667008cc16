/*
 * atomic.h - crash-safe file replacement and private files.
 *
 * Owns: the one way certferry writes a file: a temporary file created with
 * O_CREAT|O_EXCL|O_NOFOLLOW in the target's own folder, written, fsync'd,
 * renamed over the target, then the folder fsync'd.  A crash at any instant
 * leaves either the old or the new content, never a mix.  Also: symbolic
 * links swapped the same way, and new files written into a new folder
 * that is made visible as a whole (cf_files_write_new).  Locks are
 * store/lock.h's.
 */
#ifndef CF_ATOMIC_H
#define CF_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/err.h"

/* Replace path with data[0..len) atomically, file mode `mode` (0600 for
 * secrets).  On failure the temporary file is removed and path untouched. */
cf_rc cf_file_write_atomic(const char *path, const void *data, size_t len,
			   mode_t mode, struct cf_err *err) CF_MUST_CHECK;

/* One file of cf_files_write_new. */
struct cf_new_file {
	const char *name;           /* in the folder; NULL: skipped */
	const void *data;
	size_t len;
	mode_t mode;
};

/* Write n new files into dir, a folder just made that nothing points at
 * yet (a generation folder: made visible afterwards by a link swap), so
 * without temporary names: every file is written first, then each is
 * fsync'd, then the folder once (n + 1 fsyncs, and on a journalling file
 * system the first commits the others' data).  On failure some files may
 * be left: the caller removes the folder. */
cf_rc cf_files_write_new(const char *dir, const struct cf_new_file *f,
			 size_t n, struct cf_err *err) CF_MUST_CHECK;

/* Replace path atomically with j as indented JSON text and a final
 * newline (the human-readable state files: account, renewal, order). */
cf_rc cf_file_write_json(const char *path, const json_t *j, mode_t mode,
			 struct cf_err *err) CF_MUST_CHECK;

/* Read a whole file (at most cap bytes; bigger is CF_ERR_USAGE) into a
 * malloc'd NUL-terminated buffer.  CF_ERR_NOTFOUND when it does not exist. */
cf_rc cf_file_read(const char *path, size_t cap, char **data, size_t *len,
		   struct cf_err *err) CF_MUST_CHECK;

/* cf_file_read for a file the user named (an option's FILE): one that is
 * missing or cannot be read is bad input, CF_ERR_USAGE (exit status 2),
 * and the message says so.  Callers wrap it with the option's name. */
cf_rc cf_file_read_input(const char *path, size_t cap, char **data,
			 size_t *len, struct cf_err *err) CF_MUST_CHECK;

/* Create a folder (and missing parents) with the given mode; an existing
 * folder is accepted and, when `tighten` is set, chmod'ed to mode. */
cf_rc cf_mkdir_p(const char *path, mode_t mode, int tighten,
		 struct cf_err *err) CF_MUST_CHECK;

/* fsync the folder that holds path (after a rename or unlink in it). */
cf_rc cf_fsync_parent(const char *path, struct cf_err *err) CF_MUST_CHECK;

/* Make path a symbolic link to target atomically: the link is made beside
 * it under a temporary name and renamed over path (a file or a link; a
 * folder is refused by rename), then the folder is fsync'd.  A reader
 * resolving path sees the old or the new target, never nothing. */
cf_rc cf_symlink_replace(const char *target, const char *path,
			 struct cf_err *err) CF_MUST_CHECK;

/* 1 when path is a symbolic link whose text is exactly target, else 0
 * (after a failed cf_symlink_replace: did the rename happen?). */
int cf_symlink_is(const char *path, const char *target);


#endif
