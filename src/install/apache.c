/* apache.c - the virtual hosts of one Apache configuration file (see
 * server.h).  Line-based, as Apache reads it: "\" continues a line, '#'
 * starts a comment line; <VirtualHost ADDR:PORT ...> ... </VirtualHost>
 * with ServerName, ServerAlias, SSLEngine, SSLCertificateFile and
 * SSLCertificateKeyFile (names case-insensitive) and the byte offsets of
 * each directive's line. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "install/server.h"

/* The next blank-separated argument of [*p, e), unquoted; NULL at the end. */
static char *
arg(const char **p, const char *e)
{
	const char *s;
	char q = 0;

	/* blanks, and the "\" that continues a line */
	while (*p < e && (isspace((unsigned char)**p) ||
			  (**p == '\\' && *p + 1 < e &&
			   ((*p)[1] == '\n' || (*p)[1] == '\r'))))
		(*p)++;
	if (*p >= e)
		return NULL;
	if (**p == '"' || **p == '\'')
		q = *(*p)++;
	s = *p;
	while (*p < e && (q ? **p != q : !isspace((unsigned char)**p)))
		(*p)++;
	{
		char *out = strndup(s, (size_t)(*p - s));
		if (q && *p < e)
			(*p)++;
		return out;
	}
}

static cf_rc
set_dir(struct cf_srv_dir *d, int *count, size_t start, size_t end,
	const char *p, const char *e, struct cf_err *err)
{
	if ((*count)++ > 0)
		return CF_OK;
	d->start = start;
	d->end = end;
	if ((d->value = arg(&p, e)) == NULL)
		d->value = strdup("");
	if (d->value == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

static int
is_dir(const char *p, const char *e, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(e - p) >= n && strncasecmp(p, name, n) == 0 &&
	       (p + n == e || isspace((unsigned char)p[n]) || p[n] == '>');
}

/* One line inside a <VirtualHost>: [p, e) after the indentation. */
static cf_rc
vhost_line(struct cf_srv_block *b, const char *t, const char *p,
	   const char *e, struct cf_err *err)
{
	size_t start = (size_t)(p - t), end = (size_t)(e - t);
	cf_rc rc = CF_OK;
	char *a;

	if (is_dir(p, e, "ServerName") || is_dir(p, e, "ServerAlias")) {
		const char *q = p + strcspn(p, " \t");
		while (rc == CF_OK && (a = arg(&q, e)) != NULL) {
			size_t l = strcspn(a, ":"); /* ServerName host:port */
			rc = cf_srv_block_add_name(b, a, l, err);
			free(a);
		}
	} else if (is_dir(p, e, "SSLEngine")) {
		const char *q = p + 9;
		if ((a = arg(&q, e)) != NULL && strcasecmp(a, "on") == 0)
			b->tls = 1;
		free(a);
	} else if (is_dir(p, e, "SSLCertificateFile")) {
		rc = set_dir(&b->cert, &b->ncert, start, end, p + 18, e, err);
	} else if (is_dir(p, e, "SSLCertificateKeyFile")) {
		rc = set_dir(&b->key, &b->nkey, start, end, p + 21, e, err);
	}
	return rc;
}

cf_rc
cf_apache_parse(struct cf_srv_config *c, size_t fi, struct cf_err *err)
{
	const char *t = c->texts[fi], *end = t + c->lens[fi];
	size_t line = 0, bi = 0;
	int in_vhost = 0, first = 0;
	cf_rc rc = CF_OK;

	for (const char *ls = t; ls < end && rc == CF_OK;) {
		const char *le = ls, *p = ls, *next;
		/* A logical line: physical lines joined by a final '\'. */
		for (;;) {
			const char *nl = memchr(le, '\n', (size_t)(end - le));
			le = nl ? nl : end;
			line++;
			if (le > ls && le[-1] == '\\' && le < end) {
				le++;
				continue;
			}
			break;
		}
		next = le < end ? le + 1 : end;
		while (le > ls && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p == le || *p == '#') {
			ls = next;
			continue;
		}
		if (!in_vhost && is_dir(p, le, "<VirtualHost")) {
			struct cf_srv_block *b;
			const char *q = p + 12, *gt = memchr(p, '>', (size_t)(le - p));
			char *a;
			if ((rc = cf_srv_block_add(c, &b, err)) != CF_OK)
				break;
			bi = c->nblocks - 1;
			b->file = fi;
			b->line = line;
			b->body = (size_t)(next - t);
			strcpy(b->indent, "\t");
			in_vhost = 1;
			first = 1;
			if ((a = arg(&q, gt ? gt : le)) != NULL)
				rc = cf_srv_block_set_listen(b, a, strlen(a), 80, err);
			free(a);
		} else if (in_vhost && is_dir(p, le, "</VirtualHost")) {
			in_vhost = 0;
			if (c->blocks[bi].addr == NULL)
				rc = cf_srv_block_set_listen(&c->blocks[bi], "80", 2,
							     80, err);
		} else if (in_vhost) {
			struct cf_srv_block *b = &c->blocks[bi];
			if (first) {
				size_t k = (size_t)(p - ls);
				if (k >= sizeof(b->indent))
					k = sizeof(b->indent) - 1;
				memcpy(b->indent, ls, k);
				b->indent[k] = '\0';
				first = 0;
			}
			rc = vhost_line(b, t, p, le, err);
		}
		ls = next;
	}
	return rc;
}
