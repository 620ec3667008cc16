/*
 * buf.h - a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * Owns: its bytes.  The buffer refuses to grow past the cap given at
 * initialisation, so every buffer fed from the network has a named limit.
 * The content is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>

#include "core/err.h"

struct cf_buf {
	char *data;   /* NULL until the first append */
	size_t len;
	size_t alloc;
	size_t cap;   /* maximum len */
};

/* Initialise an empty buffer that will never hold more than cap bytes. */
void cf_buf_init(struct cf_buf *b, size_t cap);

/* Append n bytes. CF_ERR_NOMEM on allocation failure, CF_ERR_PROTO when the
 * cap would be exceeded (the buffer is left unchanged in both cases). */
cf_rc cf_buf_append(struct cf_buf *b, const void *p, size_t n) CF_MUST_CHECK;
cf_rc cf_buf_appends(struct cf_buf *b, const char *s) CF_MUST_CHECK;

/* Take the data out (caller frees; never NULL on success: an empty buffer
 * gives ""), leaving b empty.  NULL on allocation failure. */
char *cf_buf_steal(struct cf_buf *b);

/* Free the data; with wipe set, the bytes are cleansed first (secrets). */
void cf_buf_free(struct cf_buf *b);
void cf_buf_wipe(struct cf_buf *b);

/* A malloc'd printf-formatted string (caller frees); NULL when out of
 * memory.  The one way certferry builds paths and small strings. */
char *cf_strfmt(const char *fmt, ...) CF_PRINTF(1, 2);

/* strdup that passes NULL through and sets *failed on allocation failure,
 * for filling several optional strings before one check. */
char *cf_strdup_opt(const char *s, int *failed);

#endif
