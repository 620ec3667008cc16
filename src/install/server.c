/* server.c - see server.h: what the nginx and Apache installers share. */
#include "install/server.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/harden.h"
#include "store/atomic.h"

#define CONF_FILE_MAX (4u << 20)   /* one configuration file */
#define DUMP_MAX (32u << 20)       /* nginx -T prints every file */
#define CMD_TIMEOUT_S 60

const char *
cf_server_kind_name(enum cf_server_kind k)
{
	return k == CF_SERVER_NGINX ? "nginx" : k == CF_SERVER_APACHE ?
		"apache" : "none";
}

static const char *
bin_of(const struct cf_server_ctl *ctl)
{
	if (ctl->bin != NULL)
		return ctl->bin;
	return ctl->kind == CF_SERVER_NGINX ? "nginx" : "apache2ctl";
}

/* argv: BIN [-c|-f CONF] a1 a2 a3 (NULL-terminated, up to 3 args). */
static void
server_argv(const struct cf_server_ctl *ctl, const char *argv[8],
	    const char *a1, const char *a2, const char *a3)
{
	size_t k = 0;

	argv[k++] = bin_of(ctl);
	if (ctl->conf != NULL) {
		argv[k++] = ctl->kind == CF_SERVER_NGINX ? "-c" : "-f";
		argv[k++] = ctl->conf;
	}
	argv[k++] = a1;
	if (a1 != NULL)
		argv[k++] = a2;
	if (a1 != NULL && a2 != NULL)
		argv[k++] = a3;
	argv[k] = NULL;
}

/* Run a server command; its output into *out (may be NULL: dropped). */
static cf_rc
server_cmd(const struct cf_server_ctl *ctl, const char *a1, const char *a2,
	   const char *a3, size_t cap, char **out, struct cf_err *err)
{
	const char *argv[8];
	char *text = NULL, last[200];
	struct cf_child_opts o = { .timeout_s = CMD_TIMEOUT_S, .output = &text,
				   .output_max = cap };
	cf_rc rc;

	server_argv(ctl, argv, a1, a2, a3);
	rc = cf_child_run_opts(argv, &o, err);
	if (rc != CF_OK && text != NULL) {
		cf_last_line(text, last, sizeof(last));
		if (last[0] != '\0')
			cf_err_wrap(err, "%s", last);
	}
	if (out != NULL)
		*out = text;
	else
		free(text);
	if (rc != CF_OK && out != NULL) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

cf_rc
cf_server_dump_files(enum cf_server_kind kind, const char *dump, char ***files,
		     size_t *n, struct cf_err *err)
{
	static const char nginx_mark[] = "# configuration file ";
	char **v = NULL, **nv;
	size_t k = 0;

	*files = NULL;
	*n = 0;
	for (const char *p = dump; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n'), *s = NULL, *e;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		e = p + len;
		if (kind == CF_SERVER_NGINX) {
			if (len > sizeof(nginx_mark) &&
			    strncmp(p, nginx_mark, sizeof(nginx_mark) - 1) == 0 &&
			    e[-1] == ':') {
				s = p + sizeof(nginx_mark) - 1;
				e--;
			}
		} else {
			const char *q = p;
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (q < e && *q == '(') {
				while (q < e && *q != ')')
					q++;
				if (q < e)
					q++;
				while (q < e && *q == ' ')
					q++;
				if (q < e && *q == '/')
					s = q;
			}
			while (s != NULL && e > s && (e[-1] == ' ' || e[-1] == '\r'))
				e--;
		}
		if (s != NULL && e > s && *s == '/') {
			int dup = 0;
			for (size_t i = 0; i < k && !dup; i++)
				dup = strlen(v[i]) == (size_t)(e - s) &&
				      memcmp(v[i], s, (size_t)(e - s)) == 0;
			if (!dup) {
				if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL)
					goto nomem;
				v = nv;
				if ((v[k] = strndup(s, (size_t)(e - s))) == NULL)
					goto nomem;
				k++;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	*files = v;
	*n = k;
	return CF_OK;
nomem:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

void
cf_srv_config_free(struct cf_srv_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i]);
		free(c->texts[i]);
	}
	free(c->files);
	free(c->texts);
	free(c->lens);
	for (size_t i = 0; i < c->nblocks; i++) {
		struct cf_srv_block *b = &c->blocks[i];
		free(b->addr);
		for (size_t j = 0; j < b->nnames; j++)
			free(b->names[j]);
		free(b->names);
		free(b->cert.value);
		free(b->key.value);
	}
	free(c->blocks);
	free(c);
}

cf_rc
cf_server_parse(enum cf_server_kind kind, const char *const *files,
		size_t nfiles, struct cf_srv_config **out, struct cf_err *err)
{
	struct cf_srv_config *c;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->files = calloc(nfiles + 1, sizeof(char *))) == NULL ||
	    (c->texts = calloc(nfiles + 1, sizeof(char *))) == NULL ||
	    (c->lens = calloc(nfiles + 1, sizeof(size_t))) == NULL) {
		cf_srv_config_free(c);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	c->kind = kind;
	for (size_t i = 0; i < nfiles && rc == CF_OK; i++) {
		if ((c->files[i] = strdup(files[i])) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			break;
		}
		c->nfiles++;
		if ((rc = cf_file_read(files[i], CONF_FILE_MAX, &c->texts[i],
				       &c->lens[i], err)) != CF_OK) {
			cf_err_wrap(err, "%s configuration file %s",
				    cf_server_kind_name(kind), files[i]);
			break;
		}
		rc = kind == CF_SERVER_NGINX ? cf_nginx_parse(c, i, err) :
					       cf_apache_parse(c, i, err);
	}
	if (rc != CF_OK) {
		cf_srv_config_free(c);
		return rc;
	}
	*out = c;
	return CF_OK;
}

cf_rc
cf_server_load(const struct cf_server_ctl *ctl, struct cf_srv_config **out,
	       struct cf_err *err)
{
	char *dump = NULL, **files = NULL;
	size_t n = 0;
	cf_rc rc;

	*out = NULL;
	rc = ctl->kind == CF_SERVER_NGINX ?
		server_cmd(ctl, "-T", NULL, NULL, DUMP_MAX, &dump, err) :
		server_cmd(ctl, "-t", "-D", "DUMP_INCLUDES", DUMP_MAX, &dump, err);
	if (rc != CF_OK) {
		cf_err_wrap(err, "reading %s's configuration",
			    cf_server_kind_name(ctl->kind));
		goto out;
	}
	if ((rc = cf_server_dump_files(ctl->kind, dump, &files, &n, err)) !=
	    CF_OK)
		goto out;
	if (n == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE, "%s %s named no configuration "
				"file", bin_of(ctl), ctl->kind == CF_SERVER_NGINX ?
				"-T" : "-t -D DUMP_INCLUDES");
		goto out;
	}
	rc = cf_server_parse(ctl->kind, (const char *const *)files, n, out, err);
out:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(dump);
	return rc;
}

cf_rc
cf_srv_block_add(struct cf_srv_config *c, struct cf_srv_block **out,
		 struct cf_err *err)
{
	struct cf_srv_block *nb;

	if ((nb = realloc(c->blocks, (c->nblocks + 1) * sizeof(*nb))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	c->blocks = nb;
	*out = memset(&nb[c->nblocks++], 0, sizeof(*nb));
	return CF_OK;
}

cf_rc
cf_srv_block_add_name(struct cf_srv_block *b, const char *name, size_t len,
		      struct cf_err *err)
{
	char **nn;

	if ((nn = realloc(b->names, (b->nnames + 1) * sizeof(*nn))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	b->names = nn;
	if ((nn[b->nnames] = strndup(name, len)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (char *p = nn[b->nnames]; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	b->nnames++;
	return CF_OK;
}

cf_rc
cf_srv_block_set_listen(struct cf_srv_block *b, const char *a, size_t len,
			unsigned def_port, struct cf_err *err)
{
	char host[256] = "", num[16] = "", *end;
	const char *h = a, *portp = NULL;
	size_t hl = len, pl = 0, digits = 0;
	unsigned long port = def_port;

	while (digits < len && a[digits] >= '0' && a[digits] <= '9')
		digits++;
	if (digits == len) {                       /* "443" */
		hl = 0;
		portp = a;
		pl = len;
	} else if (a[0] == '[') {                  /* "[::]:443", "[::1]" */
		const char *rb = memchr(a, ']', len);
		if (rb == NULL)
			return CF_OK;
		h = a + 1;
		hl = (size_t)(rb - h);
		if (rb + 1 < a + len && rb[1] == ':') {
			portp = rb + 2;
			pl = (size_t)(a + len - portp);
		}
	} else {                                   /* "addr:443", "addr" */
		const char *cl = memchr(a, ':', len);
		if (cl != NULL) {
			hl = (size_t)(cl - a);
			portp = cl + 1;
			pl = (size_t)(a + len - portp);
		}
	}
	if (portp != NULL) {
		if (pl == 0 || pl >= sizeof(num))
			return CF_OK;
		memcpy(num, portp, pl);
		port = strtoul(num, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535)
			return CF_OK;
	}
	if (hl >= sizeof(host))
		return CF_OK;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (hl == 0 || strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0 ||
	    strcasecmp(host, "_default_") == 0)
		strcpy(host, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		strcpy(host, "::1");
	free(b->addr);
	if ((b->addr = strdup(host)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	b->port = (unsigned)port;
	return CF_OK;
}

int
cf_srv_name_matches(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), nl = strlen(name);

	if (pattern[0] == '~' || nl == 0)
		return 0; /* regular expressions: not matched */
	if (strcasecmp(pattern, name) == 0)
		return 1;
	if (pattern[0] == '.') /* nginx: ".example.com" = it and below */
		return strcasecmp(pattern + 1, name) == 0 ||
		       (nl > pl && strcasecmp(name + nl - pl, pattern) == 0);
	if (name[0] == '*') {
		/* a wildcard name: the same pattern, or a host it covers */
		const char *dot = strchr(pattern, '.');
		return pattern[0] != '*' && pattern[0] != '.' && dot != NULL &&
		       dot > pattern && strpbrk(pattern, "*?") == NULL &&
		       strcasecmp(dot, name + 1) == 0;
	}
	if (strpbrk(pattern, "*?") != NULL)
		return fnmatch(pattern, name, 0) == 0;
	return 0;
}

/* Is the block's name a name for a host at all (not "_", "localhost",
 * a regular expression or a bare IP)? */
static int
real_host(const char *p)
{
	return p[0] != '~' && p[0] != '\0' && strchr(p, '.') != NULL &&
	       strspn(p, "0123456789.") != strlen(p);
}

void
cf_srv_plan_free(struct cf_srv_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i].name);
	free(p->items);
	for (size_t i = 0; p->new_texts != NULL && i < p->nfiles; i++)
		free(p->new_texts[i]);
	free(p->new_texts);
	free(p->new_lens);
	for (size_t i = 0; i < p->ntargets; i++) {
		free(p->targets[i].addr);
		free(p->targets[i].name);
	}
	free(p->targets);
	free(p);
}

/* One edit of a file: replace [start, end) with text (start == end:
 * insert). */
struct edit {
	size_t file, start, end;
	char *text;
};

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The directive text for kind: nginx "ssl_certificate PATH;", Apache
 * "SSLCertificateFile PATH"; quoted when the path has blanks. */
static char *
directive(enum cf_server_kind kind, int key, const char *path)
{
	const char *q = strpbrk(path, " \t;{}#") ? "\"" : "";

	if (kind == CF_SERVER_NGINX)
		return cf_strfmt("%s %s%s%s;", key ? "ssl_certificate_key" :
				 "ssl_certificate", q, path, q);
	return cf_strfmt("%s %s%s%s", key ? "SSLCertificateKeyFile" :
			 "SSLCertificateFile", q, path, q);
}

static cf_rc
push_edit(struct edit **v, size_t *n, size_t file, size_t start, size_t end,
	  char *text, struct cf_err *err)
{
	struct edit *nv;

	if (text == NULL || (nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(text);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	*v = nv;
	nv[*n].file = file;
	nv[*n].start = start;
	nv[*n].end = end;
	nv[*n].text = text;
	(*n)++;
	return CF_OK;
}

/* The edits that point block b at the files; none when it already uses
 * them. */
static cf_rc
block_edits(const struct cf_srv_config *c, const struct cf_srv_block *b,
	    const char *cert_file, const char *key_file, struct edit **v,
	    size_t *n, struct cf_err *err)
{
	const struct cf_srv_dir *d[2] = { &b->cert, &b->key };
	const char *want[2] = { cert_file, key_file };
	cf_rc rc;

	for (int k = 0; k < 2; k++) {
		char *dir;
		if (d[k]->value != NULL && strcmp(d[k]->value, want[k]) == 0)
			continue;
		if ((dir = directive(c->kind, k, want[k])) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		if (d[k]->value != NULL)
			rc = push_edit(v, n, b->file, d[k]->start, d[k]->end, dir,
				       err);
		else {
			char *line = cf_strfmt("%s%s\n", b->indent, dir);
			free(dir);
			rc = push_edit(v, n, b->file, b->body, b->body, line, err);
		}
		if (rc != CF_OK)
			return rc;
	}
	return CF_OK;
}

static int
uses_files(const struct cf_srv_block *b, const char *cert, const char *key)
{
	return b->ncert == 1 && b->nkey == 1 && strcmp(b->cert.value, cert) == 0 &&
	       strcmp(b->key.value, key) == 0;
}

static cf_rc
add_target(struct cf_srv_plan *p, const struct cf_srv_block *b,
	   const char *name, struct cf_err *err)
{
	struct cf_srv_target *nt;

	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i].port == b->port &&
		    strcmp(p->targets[i].addr, b->addr) == 0 &&
		    strcmp(p->targets[i].name, name) == 0)
			return CF_OK;
	if ((nt = realloc(p->targets, (p->ntargets + 1) * sizeof(*nt))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->targets = nt;
	nt += p->ntargets;
	nt->port = b->port;
	nt->addr = strdup(b->addr);
	/* A wildcard name is checked with a name it covers. */
	nt->name = name[0] == '*' ? cf_strfmt("certferry-check%s", name + 1) :
				    strdup(name);
	p->ntargets++;
	if (nt->addr == NULL || nt->name == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* A name of the block the certificate does not carry, or NULL. */
static const char *
uncovered_name(const struct cf_srv_block *b, const char *const *names,
	       size_t n)
{
	for (size_t i = 0; i < b->nnames; i++) {
		const char *bn = b->names[i], *dot = strchr(bn, '.');
		int ok = !real_host(bn);
		for (size_t j = 0; j < n && !ok; j++)
			ok = strcasecmp(bn, names[j]) == 0 ||
			     (names[j][0] == '*' && bn[0] != '*' && bn[0] != '.' &&
			      dot != NULL && dot > bn &&
			      strcasecmp(dot, names[j] + 1) == 0);
		if (!ok)
			return bn;
	}
	return NULL;
}

static cf_rc
apply_edits(const struct cf_srv_config *c, struct cf_srv_plan *p,
	    struct edit *v, size_t n, struct cf_err *err)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), edit_cmp);
	for (size_t i = 0; i < n;) {
		size_t f = v[i].file, pos = 0;
		struct cf_buf b;
		cf_buf_init(&b, CONF_FILE_MAX * 2);
		for (; i < n && v[i].file == f; i++) {
			if (v[i].start < pos)
				continue; /* one directive edited twice */
			if (cf_buf_append(&b, c->texts[f] + pos,
					  v[i].start - pos) != CF_OK ||
			    cf_buf_appends(&b, v[i].text) != CF_OK)
				goto nomem;
			pos = v[i].end;
		}
		if (cf_buf_append(&b, c->texts[f] + pos, c->lens[f] - pos) !=
		    CF_OK)
			goto nomem;
		p->new_lens[f] = b.len;
		if ((p->new_texts[f] = cf_buf_steal(&b)) == NULL)
			goto nomem;
		p->nedited++;
		cf_buf_free(&b);
		continue;
nomem:
		cf_buf_free(&b);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

/* What planning for every name shares. */
struct planner {
	const struct cf_srv_config *c;
	const char *const *names;
	size_t n;
	const char *cert_file, *key_file;
	int configure;
	struct cf_srv_plan *p;
	struct edit *edits;          /* owned, with each text */
	size_t nedits;
	unsigned char *planned;      /* per block: its edits are planned */
};

/* Whether block b serves name; *sni is the name to check it with (for a
 * wildcard, a host of the block that the wildcard covers). */
static int
block_serves(const struct cf_srv_block *b, const char *name, const char **sni)
{
	int m = 0;

	*sni = name;
	for (size_t j = 0; j < b->nnames && !m; j++)
		if ((m = cf_srv_name_matches(b->names[j], name)) &&
		    name[0] == '*' && b->names[j][0] != '*')
			*sni = b->names[j]; /* a host the wildcard covers */
	return m;
}

/* What to do with TLS block k that serves it->name: nothing (it uses the
 * files already), refuse (several certificates, names not carried), ask
 * for --configure, or plan its edits. */
static cf_rc
plan_block(struct planner *pl, struct cf_srv_item *it, size_t k,
	   struct cf_err *err)
{
	const struct cf_srv_config *c = pl->c;
	const struct cf_srv_block *b = &c->blocks[k];
	const char *other, *file = c->files[b->file];
	cf_rc rc;

	if (uses_files(b, pl->cert_file, pl->key_file))
		return CF_OK;
	if (b->ncert > 1 || b->nkey > 1) {
		it->action = CF_SRV_UNSUPPORTED;
		it->block = k;
		snprintf(it->detail, sizeof(it->detail), "%s:%zu has more than "
			 "one certificate (one per key type?): point them at "
			 "%s by hand", file, b->line, pl->cert_file);
	} else if ((other = uncovered_name(b, pl->names, pl->n)) != NULL) {
		it->action = CF_SRV_UNSUPPORTED;
		it->block = k;
		snprintf(it->detail, sizeof(it->detail), "%s:%zu also serves "
			 "%s, which the certificate does not carry: add -d %s "
			 "or split the block", file, b->line, other, other);
	} else if (!pl->configure) {
		if (it->action == CF_SRV_OK)
			it->action = CF_SRV_NEEDS_CONFIGURE;
		it->block = k;
		snprintf(it->detail, sizeof(it->detail), "%s:%zu uses %s, not "
			 "%s: add --configure to let certferry point it there",
			 file, b->line, b->cert.value ? b->cert.value :
			 "no certificate of its own", pl->cert_file);
	} else {
		if (it->action == CF_SRV_OK)
			it->action = CF_SRV_EDIT;
		snprintf(it->detail, sizeof(it->detail), "%s:%zu", file,
			 b->line);
		if (!pl->planned[k] &&
		    (rc = block_edits(c, b, pl->cert_file, pl->key_file,
				      &pl->edits, &pl->nedits, err)) != CF_OK)
			return rc;
		pl->planned[k] = 1;
	}
	return CF_OK;
}

/* A name no TLS block serves: served over http only, or not at all. */
static void
no_tls(const struct cf_srv_config *c, struct cf_srv_item *it, int http,
       size_t http_block)
{
	it->action = CF_SRV_NO_TLS;
	if (http)
		snprintf(it->detail, sizeof(it->detail), "served only without "
			 "TLS (%s:%zu): add a TLS server for it (see "
			 "docs/LINUX.md)", c->files[c->blocks[http_block].file],
			 c->blocks[http_block].line);
	else
		snprintf(it->detail, sizeof(it->detail), "no server block or "
			 "virtual host has this name");
}

/* The plan's item for names[i]: every block that serves it. */
static cf_rc
plan_name(struct planner *pl, size_t i, struct cf_err *err)
{
	const struct cf_srv_config *c = pl->c;
	struct cf_srv_item *it = &pl->p->items[pl->p->n++];
	int found = 0, http = 0;
	size_t http_block = 0;
	const char *sni;
	cf_rc rc;

	if ((it->name = strdup(pl->names[i])) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	it->action = CF_SRV_OK;
	for (size_t k = 0; k < c->nblocks; k++) {
		const struct cf_srv_block *b = &c->blocks[k];

		if (!block_serves(b, pl->names[i], &sni))
			continue;
		if (!b->tls) {
			if (!http)
				http_block = k;
			http = 1;
			continue;
		}
		if (!found)
			it->block = k;
		found = 1;
		if ((rc = add_target(pl->p, b, sni, err)) != CF_OK ||
		    (rc = plan_block(pl, it, k, err)) != CF_OK)
			return rc;
	}
	if (!found)
		no_tls(c, it, http, http_block);
	if (it->action != CF_SRV_OK && it->action != CF_SRV_EDIT)
		pl->p->problems++;
	return CF_OK;
}

cf_rc
cf_server_plan(const struct cf_srv_config *c, const char *const *names,
	       size_t n, const char *cert_file, const char *key_file,
	       int configure, struct cf_srv_plan **out, struct cf_err *err)
{
	struct planner pl = { .c = c, .names = names, .n = n,
			      .cert_file = cert_file, .key_file = key_file,
			      .configure = configure };
	struct cf_srv_plan *p;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((pl.p = p = calloc(1, sizeof(*p))) == NULL ||
	    (p->items = calloc(n + 1, sizeof(*p->items))) == NULL ||
	    (p->new_texts = calloc(c->nfiles + 1, sizeof(char *))) == NULL ||
	    (p->new_lens = calloc(c->nfiles + 1, sizeof(size_t))) == NULL ||
	    (pl.planned = calloc(c->nblocks + 1, 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	p->nfiles = c->nfiles;
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		rc = plan_name(&pl, i, err);
	if (rc == CF_OK)
		rc = apply_edits(c, p, pl.edits, pl.nedits, err);
out:
	for (size_t i = 0; i < pl.nedits; i++)
		free(pl.edits[i].text);
	free(pl.edits);
	free(pl.planned);
	if (rc != CF_OK) {
		cf_srv_plan_free(p);
		return rc;
	}
	*out = p;
	return CF_OK;
}

char *
cf_srv_plan_problems(const struct cf_srv_plan *p)
{
	struct cf_buf b;
	char line[512];
	char *s;

	cf_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < p->n; i++) {
		const struct cf_srv_item *it = &p->items[i];
		if (it->action == CF_SRV_OK || it->action == CF_SRV_EDIT)
			continue;
		snprintf(line, sizeof(line), "%s%s: %s", b.len ? "; " : "",
			 it->name, it->detail);
		if (cf_buf_appends(&b, line) != CF_OK)
			break;
	}
	s = cf_buf_steal(&b);
	cf_buf_free(&b);
	return s;
}

static cf_rc
write_like(const char *path, const char *text, size_t len, struct cf_err *err)
{
	struct stat st;
	mode_t mode = 0644;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	return cf_file_write_atomic(path, text, len, mode, err);
}

cf_rc
cf_server_restore(const struct cf_srv_config *c, const struct cf_srv_plan *p,
		  struct cf_err *err)
{
	cf_rc rc = CF_OK, r;

	for (size_t i = 0; i < c->nfiles; i++)
		if (p->new_texts[i] != NULL &&
		    (r = write_like(c->files[i], c->texts[i], c->lens[i], err)) !=
			    CF_OK && rc == CF_OK)
			rc = r;
	return rc;
}

cf_rc
cf_server_apply(const struct cf_srv_config *c, const struct cf_srv_plan *p,
		const char *backup_dir, struct cf_err *err)
{
	struct cf_err rerr = { 0 };
	cf_rc rc = CF_OK;

	if (p->nedited == 0)
		return CF_OK;
	if (backup_dir != NULL &&
	    (rc = cf_mkdir_p(backup_dir, 0700, 0, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < c->nfiles && backup_dir != NULL; i++) {
		char *bak, *q;
		if (p->new_texts[i] == NULL)
			continue;
		if ((bak = cf_strfmt("%s/%s", backup_dir, c->files[i])) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		for (q = bak + strlen(backup_dir) + 1; *q; q++)
			if (*q == '/')
				*q = '_';
		rc = cf_file_write_atomic(bak, c->texts[i], c->lens[i], 0600, err);
		free(bak);
		if (rc != CF_OK)
			return cf_err_wrap(err, "backup of %s (nothing edited)",
					   c->files[i]);
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		if (p->new_texts[i] == NULL ||
		    (rc = write_like(c->files[i], p->new_texts[i],
				     p->new_lens[i], err)) == CF_OK)
			continue;
		cf_err_wrap(err, "editing %s", c->files[i]);
		if (cf_server_restore(c, p, &rerr) != CF_OK)
			cf_err_wrap(err, "and restoring failed too (%s)", rerr.msg);
		return rc;
	}
	return CF_OK;
}

cf_rc
cf_server_test(const struct cf_server_ctl *ctl, struct cf_err *err)
{
	cf_rc rc = server_cmd(ctl, "-t", NULL, NULL, 0, NULL, err);

	if (rc != CF_OK)
		cf_err_wrap(err, "%s configuration test (%s -t)",
			    cf_server_kind_name(ctl->kind), bin_of(ctl));
	return rc;
}

cf_rc
cf_server_reload(const struct cf_server_ctl *ctl, const char **how,
		 struct cf_err *err)
{
	const char *unit = ctl->kind == CF_SERVER_NGINX ? "nginx" : "apache2";
	struct cf_err serr = { 0 };
	char *out = NULL;
	cf_rc rc;

	if (ctl->conf == NULL) {
		const char *is[] = { "systemctl", "is-active", "--quiet", unit, NULL };
		struct cf_child_opts o = { .timeout_s = CMD_TIMEOUT_S,
					   .output = &out };
		if (cf_child_run_opts(is, &o, &serr) == CF_OK) {
			const char *rl[] = { "systemctl", "reload", unit, NULL };
			free(out);
			out = NULL;
			if (how != NULL)
				*how = "systemctl reload";
			rc = cf_child_run_opts(rl, &o, err);
			free(out);
			return rc != CF_OK ? cf_err_wrap(err, "reloading %s", unit) :
					     CF_OK;
		}
		free(out);
	}
	if (how != NULL)
		*how = ctl->kind == CF_SERVER_NGINX ? "nginx -s reload" :
						      "apache2ctl -k graceful";
	rc = ctl->kind == CF_SERVER_NGINX ?
		server_cmd(ctl, "-s", "reload", NULL, 0, NULL, err) :
		server_cmd(ctl, "-k", "graceful", NULL, 0, NULL, err);
	if (rc != CF_OK)
		cf_err_wrap(err, "reloading %s", cf_server_kind_name(ctl->kind));
	return rc;
}
