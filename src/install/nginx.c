/* nginx.c - the server blocks of one nginx configuration file (see
 * server.h).  A small tokenizer of nginx's syntax: words (quoted or not),
 * '{', '}', ';' and '#' comments; "server {" blocks at any depth (http
 * and stream), their listen, server_name, ssl, ssl_certificate and
 * ssl_certificate_key directives with their byte offsets.  Locations and
 * other nested blocks are skipped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "install/server.h"

#define MAX_WORDS 32

struct dir {
	char *w[MAX_WORDS];
	size_t n;
	size_t start;             /* offset of the first word */
};

static void
dir_clear(struct dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->w[i]);
	d->n = 0;
}

/* One word starting at t[*i]; unquoted into a malloc'd string. */
static char *
word(const char *t, size_t len, size_t *i)
{
	char *out = malloc(len - *i + 1);
	size_t k = 0;
	char q = 0;

	if (out == NULL)
		return NULL;
	if (t[*i] == '"' || t[*i] == '\'')
		q = t[(*i)++];
	while (*i < len) {
		char ch = t[*i];
		if (q != 0 && ch == q) {
			(*i)++;
			break;
		}
		if (q == 0 && (isspace((unsigned char)ch) || ch == ';' ||
			       ch == '{' || ch == '}'))
			break;
		if (ch == '\\' && *i + 1 < len) {
			out[k++] = t[*i + 1];
			*i += 2;
			continue;
		}
		out[k++] = ch;
		(*i)++;
	}
	out[k] = '\0';
	return out;
}

static size_t
line_of(const char *t, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += t[i] == '\n';
	return line;
}

/* Where new directives go: the line after the '{' at open, indented like
 * the first line of the body (or the closing brace's plus a tab). */
static void
set_body(struct cf_srv_block *b, const char *t, size_t open, size_t close)
{
	const char *nl = memchr(t + open, '\n', close - open);
	size_t i, k = 0;

	if (nl == NULL) { /* "server { ... }" on one line */
		b->body = open;
		strcpy(b->indent, " ");
		return;
	}
	b->body = (size_t)(nl - t) + 1;
	for (i = b->body; i < close && (t[i] == ' ' || t[i] == '\t') &&
			  k < sizeof(b->indent) - 2; i++)
		b->indent[k++] = t[i];
	b->indent[k] = '\0';
	if (i >= close || t[i] == '}' || t[i] == '\n')
		strcat(b->indent, "\t");
}

static cf_rc
set_dir(struct cf_srv_dir *d, int *count, const struct dir *w, size_t end,
	struct cf_err *err)
{
	if ((*count)++ > 0 || w->n < 2)
		return CF_OK;
	d->start = w->start;
	d->end = end;
	if ((d->value = strdup(w->w[1])) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* A directive directly in a server block. */
static cf_rc
server_dir(struct cf_srv_block *b, const struct dir *d, size_t end,
	   int *tls_listen, struct cf_err *err)
{
	const char *n = d->w[0];
	cf_rc rc = CF_OK;

	if (strcmp(n, "listen") == 0 && d->n >= 2) {
		int ssl = 0;
		for (size_t i = 2; i < d->n; i++)
			ssl |= strcmp(d->w[i], "ssl") == 0;
		if (strncmp(d->w[1], "unix:", 5) == 0)
			return CF_OK;
		if ((ssl && !*tls_listen) || b->addr == NULL)
			rc = cf_srv_block_set_listen(b, d->w[1], strlen(d->w[1]),
						     80, err);
		if (ssl) {
			*tls_listen = 1;
			b->tls = 1;
		}
	} else if (strcmp(n, "server_name") == 0) {
		for (size_t i = 1; i < d->n && rc == CF_OK; i++)
			rc = cf_srv_block_add_name(b, d->w[i], strlen(d->w[i]), err);
	} else if (strcmp(n, "ssl") == 0 && d->n == 2 &&
		   strcmp(d->w[1], "on") == 0) {
		b->tls = 1;
	} else if (strcmp(n, "ssl_certificate") == 0) {
		rc = set_dir(&b->cert, &b->ncert, d, end, err);
	} else if (strcmp(n, "ssl_certificate_key") == 0) {
		rc = set_dir(&b->key, &b->nkey, d, end, err);
	}
	return rc;
}

cf_rc
cf_nginx_parse(struct cf_srv_config *c, size_t fi, struct cf_err *err)
{
	const char *t = c->texts[fi];
	size_t len = c->lens[fi], i = 0, depth = 0, server_depth = 0, open = 0,
	       bi = 0;
	int in_server = 0, tls_listen = 0;
	struct dir d = { { NULL }, 0, 0 };
	cf_rc rc = CF_OK;

	while (i < len && rc == CF_OK) {
		char ch = t[i];
		if (isspace((unsigned char)ch)) {
			i++;
		} else if (ch == '#') {
			while (i < len && t[i] != '\n')
				i++;
		} else if (ch == ';') {
			i++;
			if (in_server && depth == server_depth && d.n > 0)
				rc = server_dir(&c->blocks[bi], &d, i, &tls_listen,
						err);
			dir_clear(&d);
		} else if (ch == '{') {
			i++;
			depth++;
			if (!in_server && d.n == 1 && strcmp(d.w[0], "server") == 0) {
				struct cf_srv_block *b;
				if ((rc = cf_srv_block_add(c, &b, err)) != CF_OK)
					break;
				bi = c->nblocks - 1;
				b->file = fi;
				b->line = line_of(t, d.start);
				in_server = 1;
				tls_listen = 0;
				server_depth = depth;
				open = i;
			}
			dir_clear(&d);
		} else if (ch == '}') {
			if (in_server && depth == server_depth) {
				struct cf_srv_block *b = &c->blocks[bi];
				in_server = 0;
				set_body(b, t, open, i);
				if (b->addr == NULL)
					rc = cf_srv_block_set_listen(b, "80", 2, 80, err);
			}
			if (depth > 0)
				depth--;
			i++;
			dir_clear(&d);
		} else {
			char *w;
			size_t start = i;
			if (d.n == 0)
				d.start = start;
			if ((w = word(t, len, &i)) == NULL) {
				rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
				break;
			}
			if (d.n < MAX_WORDS)
				d.w[d.n++] = w;
			else
				free(w);
			if (i == start)
				i++; /* never stuck */
		}
	}
	dir_clear(&d);
	return rc;
}
