/* buf.c - see buf.h */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
cf_buf_init(struct cf_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

cf_rc
cf_buf_append(struct cf_buf *b, const void *p, size_t n)
{
	size_t need, nalloc;
	char *nd;

	if (n > b->cap || b->len > b->cap - n)
		return CF_ERR_PROTO;
	need = b->len + n + 1;
	if (need > b->alloc) {
		nalloc = b->alloc ? b->alloc : 256;
		while (nalloc < need)
			nalloc *= 2;
		/* Grow by copy so that a secret never lingers in freed memory. */
		nd = malloc(nalloc);
		if (nd == NULL)
			return CF_ERR_NOMEM;
		if (b->data != NULL) {
			memcpy(nd, b->data, b->len);
			OPENSSL_cleanse(b->data, b->alloc);
			free(b->data);
		}
		b->data = nd;
		b->alloc = nalloc;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CF_OK;
}

cf_rc
cf_buf_appends(struct cf_buf *b, const char *s)
{
	return cf_buf_append(b, s, strlen(s));
}

char *
cf_buf_steal(struct cf_buf *b)
{
	char *d = b->data;

	if (d == NULL)
		d = calloc(1, 1);
	b->data = NULL;
	b->len = b->alloc = 0;
	return d;
}

void
cf_buf_free(struct cf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
cf_buf_wipe(struct cf_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->alloc);
	cf_buf_free(b);
}

char *
cf_strfmt(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
cf_strdup_opt(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}
