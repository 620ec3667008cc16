/* edit.c - see edit.h */
#include "iis/edit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/atomic.h"
#include "store/lock.h"

/* ---- a scanner over the raw bytes ---- */

enum tag_kind { TAG_START, TAG_END, TAG_EMPTY };

struct tag {
	enum tag_kind kind;
	const char *name;
	size_t namelen;
	size_t start, end;      /* '<' .. one past '>' */
};

static int
is_name_char(char c)
{
	return c != '\0' && c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
	    c != '>' && c != '/' && c != '=';
}

/* Find needle in d[from..len); returns its offset or len. */
static size_t
find(const char *d, size_t len, size_t from, const char *needle)
{
	size_t nl = strlen(needle), i;

	for (i = from; i + nl <= len; i++)
		if (memcmp(d + i, needle, nl) == 0)
			return i;
	return len;
}

/*
 * The next element tag at or after *pos, skipping text, comments, CDATA,
 * processing instructions and declarations.  1: *t filled, *pos past it;
 * 0: end of data; -1: malformed (err set).
 */
static int
next_tag(const char *d, size_t len, size_t *pos, struct tag *t,
	 struct cf_err *err)
{
	size_t i = *pos, e;

	for (;;) {
		while (i < len && d[i] != '<')
			i++;
		if (i >= len)
			return 0;
		if (len - i >= 4 && memcmp(d + i, "<!--", 4) == 0) {
			e = find(d, len, i + 4, "-->");
			if (e >= len)
				goto unterminated;
			i = e + 3;
			continue;
		}
		if (len - i >= 9 && memcmp(d + i, "<![CDATA[", 9) == 0) {
			e = find(d, len, i + 9, "]]>");
			if (e >= len)
				goto unterminated;
			i = e + 3;
			continue;
		}
		if (len - i >= 2 && d[i + 1] == '?') {
			e = find(d, len, i + 2, "?>");
			if (e >= len)
				goto unterminated;
			i = e + 2;
			continue;
		}
		if (len - i >= 2 && d[i + 1] == '!') {
			/* <!DOCTYPE ...[ internal subset ]> */
			int depth = 0;
			char q = 0;
			for (e = i + 2; e < len; e++) {
				if (q) {
					if (d[e] == q)
						q = 0;
				} else if (d[e] == '"' || d[e] == '\'') {
					q = d[e];
				} else if (d[e] == '[') {
					depth++;
				} else if (d[e] == ']') {
					depth--;
				} else if (d[e] == '>' && depth <= 0) {
					break;
				}
			}
			if (e >= len)
				goto unterminated;
			i = e + 1;
			continue;
		}
		break;
	}
	t->start = i;
	i++;
	t->kind = TAG_START;
	if (i < len && d[i] == '/') {
		t->kind = TAG_END;
		i++;
	}
	t->name = d + i;
	while (i < len && is_name_char(d[i]))
		i++;
	t->namelen = (size_t)(d + i - t->name);
	if (t->namelen == 0)
		return cf_err_set(err, CF_ERR_USAGE, "malformed tag at byte "
		    "%zu", t->start), -1;
	/* attributes: quoted values may hold '>' and '/' */
	{
		char q = 0, last = 0;
		for (; i < len; i++) {
			char c = d[i];
			if (q) {
				if (c == q)
					q = 0;
				continue;
			}
			if (c == '"' || c == '\'') {
				q = c;
				last = c;
				continue;
			}
			if (c == '>')
				break;
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				last = c;
		}
		if (i >= len)
			goto unterminated;
		if (t->kind == TAG_START && last == '/')
			t->kind = TAG_EMPTY;
	}
	t->end = i + 1;
	*pos = t->end;
	return 1;
unterminated:
	cf_err_set(err, CF_ERR_USAGE, "unterminated markup at byte %zu", i);
	return -1;
}

static int
name_is(const struct tag *t, const char *name)
{
	return t->namelen == strlen(name) &&
	    memcmp(t->name, name, t->namelen) == 0;
}

/* What the scanner learnt about one site. */
struct site_loc {
	int found;
	struct tag site;            /* its start (or empty) tag */
	size_t site_close;          /* start of </site>, 0 if empty */
	int has_bindings;
	struct tag bindings;        /* start or empty tag */
	size_t bindings_close;      /* start of </bindings>, if not empty */
	int nbindings;
	struct tag last_binding;    /* start tag of the last <binding> */
	int first_child_set;
	struct tag first_child;     /* first child element of <site> */
	size_t nsites;              /* sites seen in the whole file */
};

#define MAX_DEPTH 256

static cf_rc
locate(const char *d, size_t len, size_t want, struct site_loc *loc,
       struct cf_err *err)
{
	static const char *const path[] = { "configuration",
	    "system.applicationHost", "sites", "site", "bindings", "binding" };
	/* match[k]: the open element at depth k follows path[0..k] */
	int match[MAX_DEPTH];
	size_t pos = 0, depth = 0, site_no = 0;
	int in_target = 0, r;
	struct tag t;

	memset(loc, 0, sizeof(*loc));
	while ((r = next_tag(d, len, &pos, &t, err)) == 1) {
		if (t.kind == TAG_END) {
			if (depth == 0)
				return cf_err_set(err, CF_ERR_USAGE,
				    "unbalanced end tag at byte %zu", t.start);
			depth--;
			if (in_target && depth == 4 && match[4] &&
			    name_is(&t, "bindings"))
				loc->bindings_close = t.start;
			if (in_target && depth == 3) {
				loc->site_close = t.start;
				in_target = 0;
			}
			continue;
		}
		{
			int m = depth < 6 && name_is(&t, path[depth]) &&
			    (depth == 0 || match[depth - 1]);
			if (depth == 3 && m) {
				if (site_no == want) {
					loc->found = 1;
					loc->site = t;
					in_target = t.kind == TAG_START;
				}
				site_no++;
			}
			if (in_target && depth == 4) {
				if (!loc->first_child_set) {
					loc->first_child = t;
					loc->first_child_set = 1;
				}
				if (m) {
					if (loc->has_bindings)
						return cf_err_set(err,
						    CF_ERR_USAGE, "site has "
						    "two <bindings> elements");
					loc->has_bindings = 1;
					loc->bindings = t;
				}
			}
			if (in_target && depth == 5 && m) {
				loc->nbindings++;
				loc->last_binding = t;
			}
			if (t.kind == TAG_START) {
				if (depth >= MAX_DEPTH)
					return cf_err_set(err, CF_ERR_USAGE,
					    "XML nested too deeply");
				match[depth] = m;
				depth++;
			}
		}
	}
	if (r < 0)
		return err ? err->rc : CF_ERR_USAGE;
	loc->nsites = site_no;
	if (!loc->found)
		return cf_err_set(err, CF_ERR_USAGE, "site #%zu not found by "
		    "the byte scanner", want);
	return CF_OK;
}

/* Offset of the first byte of the line holding off. */
static size_t
line_start(const char *d, size_t off)
{
	while (off > 0 && d[off - 1] != '\n')
		off--;
	return off;
}

/* Indentation in front of the tag at off when only blanks precede it on
 * its line: returns 1 and sets [*s, *e); else 0. */
static int
indent_of(const char *d, size_t off, size_t *s, size_t *e)
{
	size_t ls = line_start(d, off), i;

	for (i = ls; i < off; i++)
		if (d[i] != ' ' && d[i] != '\t')
			return 0;
	*s = ls;
	*e = off;
	return 1;
}

/* Line end of the file near off: "\r\n" when the line before uses it. */
static const char *
newline_at(const char *d, size_t len, size_t off)
{
	size_t i = off;

	while (i < len && d[i] != '\n')
		i++;
	if (i < len)
		return (i > 0 && d[i - 1] == '\r') ? "\r\n" : "\n";
	for (i = 0; i < len; i++)
		if (d[i] == '\n')
			return (i > 0 && d[i - 1] == '\r') ? "\r\n" : "\n";
	return "\n";
}

static cf_rc
append_escaped(struct cf_buf *b, const char *s)
{
	cf_rc rc = CF_OK;

	for (; *s != '\0' && rc == CF_OK; s++) {
		switch (*s) {
		case '&': rc = cf_buf_appends(b, "&amp;"); break;
		case '<': rc = cf_buf_appends(b, "&lt;"); break;
		case '>': rc = cf_buf_appends(b, "&gt;"); break;
		case '"': rc = cf_buf_appends(b, "&quot;"); break;
		default: rc = cf_buf_append(b, s, 1); break;
		}
	}
	return rc;
}

/* The new binding lines: indent + tag + nl for each (nl NULL: no line
 * structure, tags only). */
static cf_rc
append_bindings(struct cf_buf *b, const struct cf_iis_new_binding *nb,
		size_t n, const char *indent, size_t indentlen, const char *nl)
{
	char flags[32];
	size_t i;
	cf_rc rc = CF_OK;

	for (i = 0; i < n && rc == CF_OK; i++) {
		snprintf(flags, sizeof(flags), "%lu", nb[i].ssl_flags);
		if ((rc = cf_buf_append(b, indent, indentlen)) != CF_OK ||
		    (rc = cf_buf_appends(b, "<binding protocol=\"")) != CF_OK ||
		    (rc = append_escaped(b, nb[i].protocol)) != CF_OK ||
		    (rc = cf_buf_appends(b, "\" bindingInformation=\"")) != CF_OK ||
		    (rc = append_escaped(b, nb[i].binding_information)) != CF_OK ||
		    (rc = cf_buf_appends(b, "\" sslFlags=\"")) != CF_OK ||
		    (rc = cf_buf_appends(b, flags)) != CF_OK ||
		    (rc = cf_buf_appends(b, "\" />")) != CF_OK)
			break;
		if (nl != NULL)
			rc = cf_buf_appends(b, nl);
	}
	return rc;
}

/* One indentation step: child indent minus parent indent, else two
 * spaces (a tab when the parent uses tabs). */
static void
indent_unit(const char *d, const struct site_loc *loc, char *unit, size_t n)
{
	size_t ps, pe, cs, ce;

	snprintf(unit, n, "  ");
	if (!indent_of(d, loc->site.start, &ps, &pe))
		return;
	if (memchr(d + ps, '\t', pe - ps) != NULL)
		snprintf(unit, n, "\t");
	if (loc->first_child_set &&
	    indent_of(d, loc->first_child.start, &cs, &ce) &&
	    ce - cs > pe - ps && ce - cs - (pe - ps) < n &&
	    memcmp(d + ps, d + cs, pe - ps) == 0) {
		memcpy(unit, d + cs + (pe - ps), ce - cs - (pe - ps));
		unit[ce - cs - (pe - ps)] = '\0';
	}
}

cf_rc
cf_iis_edit_add_bindings(const char *data, size_t len, size_t site_index,
			 const struct cf_iis_new_binding *nb, size_t n,
			 char **out, size_t *outlen, struct cf_err *err)
{
	struct cf_iis_config *before = NULL, *after = NULL;
	struct site_loc loc;
	struct cf_buf b;
	char unit[64], indent[256];
	const char *nl;
	size_t ins, is, ie, il, tail;
	cf_rc rc;

	*out = NULL;
	*outlen = 0;
	cf_buf_init(&b, CF_IIS_CONFIG_MAX + 65536);
	if (len >= 2 && ((unsigned char)data[0] == 0xff ||
	    (unsigned char)data[0] == 0xfe))
		return cf_err_set(err, CF_ERR_USAGE, "applicationHost.config is "
		    "UTF-16; only UTF-8 files can be edited (save it as UTF-8)");
	if ((rc = cf_iis_config_parse(data, len, NULL, 0, &before, err)) != CF_OK)
		goto out;
	if ((rc = locate(data, len, site_index, &loc, err)) != CF_OK)
		goto out;
	if (loc.nsites != before->nsites || site_index >= before->nsites) {
		rc = cf_err_set(err, CF_ERR_USAGE, "the byte scanner and the XML "
		    "parser disagree about the sites (%zu vs %zu); not editing",
		    loc.nsites, before->nsites);
		goto out;
	}
	indent_unit(data, &loc, unit, sizeof(unit));

	if (loc.has_bindings && loc.bindings.kind == TAG_START) {
		/* <bindings> ... </bindings> */
		ins = loc.bindings_close;
		if (indent_of(data, ins, &is, &ie)) {
			nl = newline_at(data, len, is > 0 ? is - 1 : 0);
			if (loc.nbindings > 0 && indent_of(data,
			    loc.last_binding.start, &is, &ie)) {
				il = ie - is;
				if (il >= sizeof(indent))
					il = sizeof(indent) - 1;
				memcpy(indent, data + is, il);
			} else {
				il = (size_t)snprintf(indent, sizeof(indent),
				    "%.*s%s", (int)(ie - is), data + is, unit);
				if (il >= sizeof(indent))
					il = sizeof(indent) - 1;
			}
			ins = line_start(data, ins);
			if ((rc = cf_buf_append(&b, data, ins)) != CF_OK ||
			    (rc = append_bindings(&b, nb, n, indent, il,
			    nl)) != CF_OK)
				goto nomem;
		} else {
			/* </bindings> shares its line: insert tags only */
			if ((rc = cf_buf_append(&b, data, ins)) != CF_OK ||
			    (rc = append_bindings(&b, nb, n, "", 0, NULL)) != CF_OK)
				goto nomem;
		}
		tail = ins;
	} else if (loc.has_bindings) {
		/* <bindings/>: open it up */
		size_t close = loc.bindings.end - 1; /* '>' */
		size_t slash = close;
		while (slash > loc.bindings.start && data[slash] != '/')
			slash--;
		while (slash > loc.bindings.start && (data[slash - 1] == ' ' ||
		    data[slash - 1] == '\t'))
			slash--;
		if ((rc = cf_buf_append(&b, data, slash)) != CF_OK ||
		    (rc = cf_buf_appends(&b, ">")) != CF_OK)
			goto nomem;
		if (indent_of(data, loc.bindings.start, &is, &ie)) {
			nl = newline_at(data, len, loc.bindings.start);
			il = (size_t)snprintf(indent, sizeof(indent), "%.*s%s",
			    (int)(ie - is), data + is, unit);
			if (il >= sizeof(indent))
				il = sizeof(indent) - 1;
			if ((rc = cf_buf_appends(&b, nl)) != CF_OK ||
			    (rc = append_bindings(&b, nb, n, indent, il,
			    nl)) != CF_OK ||
			    (rc = cf_buf_append(&b, data + is, ie - is)) != CF_OK)
				goto nomem;
		} else if ((rc = append_bindings(&b, nb, n, "", 0,
		    NULL)) != CF_OK) {
			goto nomem;
		}
		if ((rc = cf_buf_appends(&b, "</bindings>")) != CF_OK)
			goto nomem;
		tail = loc.bindings.end;
	} else if (loc.site.kind == TAG_START) {
		/* no <bindings>: add one before </site> */
		ins = loc.site_close;
		if (!indent_of(data, ins, &is, &ie)) {
			rc = cf_err_set(err, CF_ERR_USAGE, "site \"%s\" has no "
			    "<bindings> and its </site> shares a line; add "
			    "<bindings></bindings> by hand first",
			    before->sites[site_index].name);
			goto out;
		}
		nl = newline_at(data, len, is > 0 ? is - 1 : 0);
		il = (size_t)snprintf(indent, sizeof(indent), "%.*s%s%s",
		    (int)(ie - is), data + is, unit, unit);
		if (il >= sizeof(indent))
			il = sizeof(indent) - 1;
		ins = is;
		if ((rc = cf_buf_append(&b, data, ins)) != CF_OK ||
		    (rc = cf_buf_append(&b, data + is, ie - is)) != CF_OK ||
		    (rc = cf_buf_appends(&b, unit)) != CF_OK ||
		    (rc = cf_buf_appends(&b, "<bindings>")) != CF_OK ||
		    (rc = cf_buf_appends(&b, nl)) != CF_OK ||
		    (rc = append_bindings(&b, nb, n, indent, il, nl)) != CF_OK ||
		    (rc = cf_buf_append(&b, data + is, ie - is)) != CF_OK ||
		    (rc = cf_buf_appends(&b, unit)) != CF_OK ||
		    (rc = cf_buf_appends(&b, "</bindings>")) != CF_OK ||
		    (rc = cf_buf_appends(&b, nl)) != CF_OK)
			goto nomem;
		tail = ins;
	} else {
		rc = cf_err_set(err, CF_ERR_USAGE, "site \"%s\" is an empty "
		    "<site/> element; give it <bindings> in IIS first",
		    before->sites[site_index].name);
		goto out;
	}
	if ((rc = cf_buf_append(&b, data + tail, len - tail)) != CF_OK)
		goto nomem;

	/* Check the result with the real parser before handing it out. */
	if ((rc = cf_iis_config_parse(b.data, b.len, NULL, 0, &after,
	    err)) != CF_OK) {
		cf_err_wrap(err, "the edited configuration does not parse "
		    "(not written)");
		goto out;
	}
	if (after->nsites != before->nsites ||
	    after->sites[site_index].nbindings !=
	    before->sites[site_index].nbindings + n) {
		rc = cf_err_set(err, CF_ERR_INTERNAL, "the edited configuration "
		    "does not hold the expected bindings (not written)");
		goto out;
	}
	*outlen = b.len;
	if ((*out = cf_buf_steal(&b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	goto out;
nomem:
	if (rc == CF_ERR_PROTO)
		rc = cf_err_set(err, CF_ERR_USAGE, "edited file too large");
	else
		rc = cf_err_set(err, rc, "out of memory");
out:
	cf_buf_free(&b);
	cf_iis_config_free(before);
	cf_iis_config_free(after);
	return rc;
}

/* ---- sslFlags of existing bindings ---- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The edit that gives the binding tag d[t->start..t->end) the sslFlags
 * value v: replace [*from, *to) with the bytes of *ins (NUL-terminated,
 * in buf of size bn).  CF_ERR_USAGE when the tag cannot be read.
 */
static cf_rc
flags_edit(const char *d, const struct tag *t, unsigned long v, size_t *from,
	   size_t *to, char *buf, size_t bn, struct cf_err *err)
{
	size_t i = (size_t)(t->name - d) + t->namelen, last_end = 0;
	char lastq = '"';

	for (;;) {
		size_t ns, ne, vs;
		char q;

		while (i < t->end && is_blank(d[i]))
			i++;
		if (i >= t->end || d[i] == '/' || d[i] == '>')
			break;
		ns = i;
		while (i < t->end && is_name_char(d[i]))
			i++;
		ne = i;
		while (i < t->end && is_blank(d[i]))
			i++;
		if (ne == ns || i >= t->end || d[i] != '=')
			goto bad;
		i++;
		while (i < t->end && is_blank(d[i]))
			i++;
		if (i >= t->end || (d[i] != '"' && d[i] != '\''))
			goto bad;
		q = d[i++];
		vs = i;
		while (i < t->end && d[i] != q)
			i++;
		if (i >= t->end)
			goto bad;
		if (ne - ns == 8 && memcmp(d + ns, "sslFlags", 8) == 0) {
			*from = vs;
			*to = i;
			snprintf(buf, bn, "%lu", v);
			return CF_OK;
		}
		i++;
		last_end = i;
		lastq = q;
	}
	if (last_end == 0)
		goto bad;
	*from = *to = last_end;
	snprintf(buf, bn, " sslFlags=%c%lu%c", lastq, v, lastq);
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_USAGE, "cannot read the attributes of "
	    "the <binding> at byte %zu; not editing", t->start);
}

cf_rc
cf_iis_edit_set_ssl_flags(const char *data, size_t len,
			  const struct cf_iis_flag_change *ch, size_t n,
			  char **out, size_t *outlen, struct cf_err *err)
{
	static const char *const path[] = { "configuration",
	    "system.applicationHost", "sites", "site", "bindings", "binding" };
	struct cf_iis_config *before = NULL, *after = NULL;
	struct cf_buf b;
	struct tag t;
	int match[MAX_DEPTH], r;
	size_t pos = 0, depth = 0, site_no = 0, bind_no = 0, copied = 0, done = 0;
	char ins[64];
	cf_rc rc;

	*out = NULL;
	*outlen = 0;
	cf_buf_init(&b, CF_IIS_CONFIG_MAX + 65536);
	if ((rc = cf_iis_config_parse(data, len, NULL, 0, &before, err)) != CF_OK)
		goto out;
	for (size_t k = 0; k < n; k++) {
		if (ch[k].site_index >= before->nsites ||
		    ch[k].binding_index >=
		    before->sites[ch[k].site_index].nbindings) {
			rc = cf_err_set(err, CF_ERR_USAGE, "no binding #%zu in "
			    "site #%zu; not editing", ch[k].binding_index,
			    ch[k].site_index);
			goto out;
		}
	}
	while ((r = next_tag(data, len, &pos, &t, err)) == 1) {
		int m;
		if (t.kind == TAG_END) {
			if (depth == 0) {
				rc = cf_err_set(err, CF_ERR_USAGE, "unbalanced "
				    "end tag at byte %zu", t.start);
				goto out;
			}
			depth--;
			continue;
		}
		m = depth < 6 && name_is(&t, path[depth]) &&
		    (depth == 0 || match[depth - 1]);
		if (depth == 3 && m) {
			site_no++;
			bind_no = 0;
		}
		if (depth == 5 && m) {
			for (size_t k = 0; k < n; k++) {
				size_t from = 0, to = 0;
				if (ch[k].site_index != site_no - 1 ||
				    ch[k].binding_index != bind_no)
					continue;
				if ((rc = flags_edit(data, &t, ch[k].ssl_flags,
				    &from, &to, ins, sizeof(ins), err)) != CF_OK)
					goto out;
				if ((rc = cf_buf_append(&b, data + copied,
				    from - copied)) != CF_OK ||
				    (rc = cf_buf_appends(&b, ins)) != CF_OK)
					goto nomem;
				copied = to;
				done++;
				break;
			}
			bind_no++;
		}
		if (t.kind == TAG_START) {
			if (depth >= MAX_DEPTH) {
				rc = cf_err_set(err, CF_ERR_USAGE, "XML nested "
				    "too deeply");
				goto out;
			}
			match[depth++] = m;
		}
	}
	if (r < 0) {
		rc = err ? err->rc : CF_ERR_USAGE;
		goto out;
	}
	if (done != n || site_no != before->nsites) {
		rc = cf_err_set(err, CF_ERR_USAGE, "the byte scanner and the XML "
		    "parser disagree about the bindings; not editing");
		goto out;
	}
	if ((rc = cf_buf_append(&b, data + copied, len - copied)) != CF_OK)
		goto nomem;
	/* Check the result with the real parser before handing it out. */
	if ((rc = cf_iis_config_parse(b.data, b.len, NULL, 0, &after,
	    err)) != CF_OK) {
		cf_err_wrap(err, "the edited configuration does not parse "
		    "(not written)");
		goto out;
	}
	for (size_t si = 0; si < before->nsites && rc == CF_OK; si++) {
		const struct cf_iis_site *sb = &before->sites[si],
		    *sa = &after->sites[si];
		if (si >= after->nsites || sa->nbindings != sb->nbindings) {
			rc = CF_ERR_INTERNAL;
			break;
		}
		for (size_t bi = 0; bi < sb->nbindings; bi++) {
			unsigned long want = sb->bindings[bi].ssl_flags;
			for (size_t k = 0; k < n; k++)
				if (ch[k].site_index == si &&
				    ch[k].binding_index == bi)
					want = ch[k].ssl_flags;
			if (sa->bindings[bi].ssl_flags != want ||
			    strcmp(sa->bindings[bi].binding_information,
			    sb->bindings[bi].binding_information) != 0)
				rc = CF_ERR_INTERNAL;
		}
	}
	if (rc != CF_OK) {
		rc = cf_err_set(err, CF_ERR_INTERNAL, "the edited configuration "
		    "does not hold the expected sslFlags (not written)");
		goto out;
	}
	*outlen = b.len;
	if ((*out = cf_buf_steal(&b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	goto out;
nomem:
	if (rc == CF_ERR_PROTO)
		rc = cf_err_set(err, CF_ERR_USAGE, "edited file too large");
	else
		rc = cf_err_set(err, rc, "out of memory");
out:
	cf_buf_free(&b);
	cf_iis_config_free(before);
	cf_iis_config_free(after);
	return rc;
}

/* ---- the plan ---- */

void
cf_iis_plan_free(struct cf_iis_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].host);
		free(p->items[i].binding_information);
		free(p->items[i].site_name);
	}
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->items);
	free(p->site_name);
	free(p);
}

static cf_rc
add_note(struct cf_iis_plan *p, struct cf_err *err, const char *fmt, ...)
	CF_PRINTF(3, 4);

static cf_rc
add_note(struct cf_iis_plan *p, struct cf_err *err, const char *fmt, ...)
{
	char buf[1024], **nn;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((nn = realloc(p->notes, (p->nnotes + 1) * sizeof(*nn))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->notes = nn;
	if ((nn[p->nnotes] = strdup(buf)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->nnotes++;
	return CF_OK;
}

static int
is_web(const struct cf_iis_binding *b)
{
	return b->has_info && (strcasecmp(b->protocol, "http") == 0 ||
	    strcasecmp(b->protocol, "https") == 0);
}

static int
is_https(const struct cf_iis_binding *b)
{
	return b->has_info && strcasecmp(b->protocol, "https") == 0;
}

/* A-label of a binding's host, or NULL when it has none or it is bad. */
static char *
binding_alabel(const struct cf_iis_binding *b)
{
	char *a = NULL;

	if (!b->has_info || b->info.host[0] == '\0' ||
	    cf_iis_host_alabel(b->info.host, &a, NULL) != CF_OK)
		return NULL;
	return a;
}

/* 1 when a CCS binding host bh (A-label, maybe "*.x") serves host h. */
static int
host_covers(const char *bh, const char *h)
{
	const char *dot;

	if (strcmp(bh, h) == 0)
		return 1;
	if (strncmp(bh, "*.", 2) != 0 || strncmp(h, "*.", 2) == 0)
		return 0;
	dot = strchr(h, '.');
	return dot != NULL && dot != h && strcmp(dot + 1, bh + 2) == 0;
}

static int
same_ip(const struct cf_iis_binding_info *a, const struct cf_iis_binding_info *b)
{
	return a->ip_is_v6 == b->ip_is_v6 && strcasecmp(a->ip, b->ip) == 0;
}

/* The site among sites[0..n) with an http/https binding of host h
 * (A-label), else sites[0]. */
static const struct cf_iis_site *
owner_site(const struct cf_iis_site *const *sites, size_t n, const char *h)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t j = 0; j < sites[k]->nbindings; j++) {
			char *bh = binding_alabel(&sites[k]->bindings[j]);
			int same = bh != NULL && is_web(&sites[k]->bindings[j]) &&
			    strcmp(bh, h) == 0;
			free(bh);
			if (same)
				return sites[k];
		}
	}
	return sites[0];
}

static cf_rc
item_dup(struct cf_iis_plan_item *it, const struct cf_iis_site *site,
	 const char *bi, struct cf_err *err)
{
	it->site_index = site->index;
	it->site_id = site->id;
	if ((it->binding_information = strdup(bi)) == NULL ||
	    (it->site_name = strdup(site->name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* Notes about the https bindings of site certferry will not touch. */
static cf_rc
site_notes(struct cf_iis_plan *p, const struct cf_iis_site *site,
	   unsigned https_port, unsigned flags, struct cf_err *err)
{
	cf_rc rc = CF_OK;

	for (size_t j = 0; j < site->nbindings && rc == CF_OK; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (!is_https(b) || b->info.port != https_port ||
		    b->info.host[0] != '\0')
			continue;
		if (!(flags & CF_IIS_PLAN_F_MIGRATE) || (b->ssl_flags &
		    CF_IIS_SSL_CCS))
			rc = add_note(p, err, "site \"%s\" has the default "
			    "https binding %s without a host name: its "
			    "certificate is the HTTP.sys certificate for that "
			    "IP:port, which certferry does not manage; host "
			    "names get SNI+CCS bindings instead", site->name,
			    b->binding_information);
		else
			rc = add_note(p, err, "site \"%s\": the https binding "
			    "%s has no host name (non-SNI, sslFlags %lu) and is "
			    "not changed: CCS finds a certificate by host name. "
			    "Clients reach the site's host names through their "
			    "SNI+CCS bindings; remove %s in IIS once no client "
			    "without SNI needs it (its certificate stays in "
			    "HTTP.sys: netsh http show sslcert ipport=%s:%u)",
			    site->name, b->binding_information,
			    b->ssl_flags, b->binding_information,
			    strcmp(b->info.ip, "*") == 0 ? "0.0.0.0" :
			    b->info.ip, b->info.port);
	}
	return rc;
}

/* Plan host hosts[i] (A-label h) in site: the body of cf_iis_plan_sites. */
static cf_rc
plan_host(struct cf_iis_plan *p, const struct cf_iis_config *c,
	  const struct cf_iis_site *site, const char *host, const char *h,
	  unsigned https_port, unsigned flags, struct cf_err *err)
{
	struct cf_iis_plan_item *it = &p->items[p->n];
	const struct cf_iis_site *fs = NULL;
	const struct cf_iis_binding *fb = NULL, *httpb = NULL;
	struct cf_iis_binding_info want;
	char bi[600], *bh = NULL;
	const char *written;
	size_t j, k, fj = 0;
	cf_rc rc;

	if ((it->host = strdup(host)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->n++;
	it->port = https_port;

	/* 1. served by a CCS binding anywhere? */
	for (k = 0; k < c->nsites && fb == NULL; k++) {
		for (j = 0; j < c->sites[k].nbindings && fb == NULL; j++) {
			const struct cf_iis_binding *b = &c->sites[k].bindings[j];
			if (!is_https(b) || b->info.port != https_port ||
			    !(b->ssl_flags & CF_IIS_SSL_CCS))
				continue;
			bh = binding_alabel(b);
			if (bh != NULL && host_covers(bh, h)) {
				fs = &c->sites[k];
				fb = b;
			}
			free(bh);
		}
	}
	if (fb != NULL) {
		it->action = CF_IIS_PLAN_COVERED;
		it->ssl_flags = fb->ssl_flags;
		return item_dup(it, fs, fb->binding_information, err);
	}
	/* 2. https without CCS in the target site: HTTP.sys's */
	for (j = 0; j < site->nbindings && fb == NULL; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (!is_https(b) || b->info.port != https_port)
			continue;
		bh = binding_alabel(b);
		if (bh != NULL && strcmp(bh, h) == 0) {
			fb = b;
			fj = j;
		}
		free(bh);
	}
	if (fb != NULL) {
		it->binding_index = fj;
		it->old_ssl_flags = fb->ssl_flags;
		if (flags & CF_IIS_PLAN_F_MIGRATE) {
			it->action = CF_IIS_PLAN_MIGRATE;
			it->ssl_flags = fb->ssl_flags | CF_IIS_SSL_CCS |
			    CF_IIS_SSL_SNI;
			p->nmigrate++;
		} else {
			it->action = CF_IIS_PLAN_HTTPSYS;
			it->ssl_flags = fb->ssl_flags;
			p->nhttpsys++;
		}
		return item_dup(it, site, fb->binding_information, err);
	}
	/* 3. the binding to add: IP of the host's http binding */
	written = host;
	for (j = 0; j < site->nbindings && httpb == NULL; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (!is_web(b) || strcasecmp(b->protocol, "http") != 0)
			continue;
		bh = binding_alabel(b);
		if (bh != NULL && strcmp(bh, h) == 0)
			httpb = b;
		free(bh);
	}
	memset(&want, 0, sizeof(want));
	snprintf(want.ip, sizeof(want.ip), "*");
	if (httpb != NULL) {
		written = httpb->info.host;
		if (strcmp(httpb->info.ip, "*") != 0) {
			memcpy(want.ip, httpb->info.ip, sizeof(want.ip));
			want.ip_is_v6 = httpb->info.ip_is_v6;
		}
	}
	want.port = https_port;
	if (strlen(written) >= sizeof(want.host))
		return cf_err_set(err, CF_ERR_USAGE, "host name too long");
	strcpy(want.host, written);
	if (cf_iis_binding_info_format(&want, bi, sizeof(bi)) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "binding too long");
	/* 4. the same IP:port:host in another site is a conflict */
	for (k = 0; k < c->nsites; k++) {
		if (&c->sites[k] == site)
			continue;
		for (j = 0; j < c->sites[k].nbindings; j++) {
			const struct cf_iis_binding *b = &c->sites[k].bindings[j];
			int clash;
			if (!is_web(b) || b->info.port != https_port ||
			    !same_ip(&b->info, &want))
				continue;
			bh = binding_alabel(b);
			clash = bh != NULL && strcmp(bh, h) == 0;
			free(bh);
			if (clash)
				return cf_err_set(err, CF_ERR_USAGE,
				    "cannot bind %s to site \"%s\": site "
				    "\"%s\" (id %lu) already has the %s "
				    "binding %s; remove it there first or "
				    "leave %s out", host, site->name,
				    c->sites[k].name, c->sites[k].id,
				    b->protocol, b->binding_information, host);
		}
	}
	it->action = CF_IIS_PLAN_ADD;
	it->ssl_flags = CF_IIS_NEW_SSL_FLAGS;
	if ((rc = item_dup(it, site, bi, err)) != CF_OK)
		return rc;
	/* the same binding twice (two names written alike)? */
	for (j = 0; j + 1 < p->n; j++)
		if (p->items[j].action == CF_IIS_PLAN_ADD &&
		    p->items[j].site_index == site->index &&
		    strcmp(p->items[j].binding_information, bi) == 0)
			break;
	if (j + 1 < p->n)
		it->action = CF_IIS_PLAN_COVERED;
	else
		p->nadd++;
	return CF_OK;
}

const char *
cf_iis_plan_action_name(enum cf_iis_plan_action a)
{
	static const char *const names[] = {
		[CF_IIS_PLAN_ADD] = "add",
		[CF_IIS_PLAN_COVERED] = "covered",
		[CF_IIS_PLAN_HTTPSYS] = "HTTP.sys",
		[CF_IIS_PLAN_MIGRATE] = "migrate",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
	    CF_IIS_PLAN_ACTION_COUNT, "one name per action");

	return (unsigned)a < CF_IIS_PLAN_ACTION_COUNT ? names[a] : "?";
}

cf_rc
cf_iis_plan_sites(const struct cf_iis_config *c,
		  const struct cf_iis_site *const *sites, size_t nsites,
		  const char *const *hosts, size_t n, unsigned https_port,
		  unsigned flags, struct cf_iis_plan **out, struct cf_err *err)
{
	struct cf_iis_plan *p = NULL;
	struct cf_buf names;
	char *h = NULL;
	cf_rc rc = CF_OK;

	*out = NULL;
	cf_buf_init(&names, 1u << 20);
	if (nsites == 0)
		return cf_err_set(err, CF_ERR_USAGE, "no IIS site to bind to");
	if (n == 0)
		return cf_err_set(err, CF_ERR_USAGE, "site \"%s\": no host names "
		    "to bind; a CCS binding needs a host name (IIS looks up "
		    "HOST.pfx): give the site host-name bindings or name the "
		    "domains", sites[0]->name);
	for (size_t k = 0; k < nsites; k++)
		if ((k > 0 && cf_buf_appends(&names, ", ") != CF_OK) ||
		    cf_buf_appends(&names, sites[k]->name) != CF_OK)
			goto nomem;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->items = calloc(n, sizeof(*p->items))) == NULL ||
	    (p->site_name = cf_buf_steal(&names)) == NULL)
		goto nomem;
	p->site_index = sites[0]->index;
	for (size_t k = 0; k < c->nsites && !p->ccs_record_known; k++)
		for (size_t j = 0; j < c->sites[k].nbindings; j++)
			if (is_https(&c->sites[k].bindings[j]) &&
			    c->sites[k].bindings[j].info.port == https_port &&
			    (c->sites[k].bindings[j].ssl_flags & CF_IIS_SSL_CCS))
				p->ccs_record_known = 1;
	for (size_t k = 0; k < nsites; k++)
		if ((rc = site_notes(p, sites[k], https_port, flags, err)) !=
		    CF_OK)
			goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = cf_iis_host_alabel(hosts[i], &h, err)) != CF_OK ||
		    (rc = plan_host(p, c, owner_site(sites, nsites, h), hosts[i],
		    h, https_port, flags, err)) != CF_OK)
			goto out;
		free(h);
		h = NULL;
	}
	*out = p;
	p = NULL;
	goto out;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	cf_buf_free(&names);
	free(h);
	cf_iis_plan_free(p);
	return rc;
}

cf_rc
cf_iis_plan(const struct cf_iis_config *c, const struct cf_iis_site *site,
	    const char *const *hosts, size_t n, unsigned https_port,
	    struct cf_iis_plan **out, struct cf_err *err)
{
	return cf_iis_plan_sites(c, &site, 1, hosts, n, https_port, 0, out, err);
}

/* 1 when site has an http or https binding. */
static int
is_web_site(const struct cf_iis_site *s)
{
	for (size_t j = 0; j < s->nbindings; j++)
		if (is_web(&s->bindings[j]))
			return 1;
	return 0;
}

cf_rc
cf_iis_sites_select(const struct cf_iis_config *c, const char *const *keys,
		    size_t nkeys, const struct cf_iis_site ***out, size_t *n,
		    struct cf_err *err)
{
	const struct cf_iis_site **v;
	size_t nv = 0;

	*out = NULL;
	*n = 0;
	if ((v = calloc(c->nsites + 1, sizeof(*v))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nkeys; i++) {
		const struct cf_iis_site *s = NULL;
		int all = strcmp(keys[i], "*") == 0;
		if (!all && (s = cf_iis_site_find(c, keys[i])) == NULL) {
			free(v);
			return cf_err_set(err, CF_ERR_NOTFOUND, "no IIS site "
			    "\"%s\" (list them with: certferry iis sites "
			    "--config FILE)", keys[i]);
		}
		for (size_t k = 0; k < c->nsites; k++) {
			const struct cf_iis_site *t = &c->sites[k];
			size_t j;
			if (all ? !is_web_site(t) : t != s)
				continue;
			for (j = 0; j < nv && v[j] != t; j++)
				;
			if (j == nv)
				v[nv++] = t;
		}
	}
	*out = v;
	*n = nv;
	return CF_OK;
}

/* ---- apply ---- */

static cf_rc
backup_path(const char *path, char **out, struct cf_err *err)
{
	char stamp[32], *b = NULL;
	struct tm tm;
	time_t now = time(NULL);
	size_t l;
	int i;

	*out = NULL;
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		return cf_err_set(err, CF_ERR_INTERNAL, "cannot format time");
	l = strlen(path) + 64;
	if ((b = malloc(l)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(b, l, "%s.certferry-%s.bak", path, stamp);
		else
			snprintf(b, l, "%s.certferry-%s-%d.bak", path, stamp, i);
		if (access(b, F_OK) != 0 && errno == ENOENT) {
			*out = b;
			return CF_OK;
		}
	}
	free(b);
	return cf_err_set(err, CF_ERR_IO, "cannot find a free backup name "
	    "next to %s", path);
}

cf_rc
cf_iis_plan_verify(const struct cf_iis_config *c, const struct cf_iis_plan *p,
		   struct cf_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct cf_iis_plan_item *it = &p->items[i];
		const struct cf_iis_site *s;
		int found = 0;

		if (it->binding_information == NULL || it->site_name == NULL)
			continue;
		s = cf_iis_site_find(c, it->site_name);
		for (size_t j = 0; s != NULL && j < s->nbindings && !found; j++) {
			const struct cf_iis_binding *b = &s->bindings[j];
			found = strcasecmp(b->protocol, "https") == 0 &&
			    strcmp(b->binding_information,
			    it->binding_information) == 0 &&
			    ((it->action != CF_IIS_PLAN_ADD &&
			    it->action != CF_IIS_PLAN_MIGRATE) ||
			    (b->ssl_flags & it->ssl_flags) == it->ssl_flags);
		}
		if (!found)
			return cf_err_set(err, CF_ERR_NOTFOUND, "the https "
			    "binding %s of site \"%s\" (for %s) is not in the "
			    "file", it->binding_information, it->site_name,
			    it->host);
	}
	return CF_OK;
}

/* Read config_path again and check that the plan's bindings are there. */
static cf_rc
verify_written(const char *config_path, const struct cf_iis_plan *p,
	       struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	cf_rc rc;

	if ((rc = cf_iis_config_load(config_path, NULL, 0, &cfg, err)) == CF_OK)
		rc = cf_iis_plan_verify(cfg, p, err);
	cf_iis_config_free(cfg);
	if (rc != CF_OK && rc != CF_ERR_NOMEM) {
		cf_err_wrap(err, "%s changed while certferry wrote it (another "
		    "program edited it?); run again to add what is missing",
		    config_path);
		if (err != NULL)
			err->rc = CF_ERR_IO;
		rc = CF_ERR_IO;
	}
	return rc;
}

/* The configuration bytes with the plan's bindings added, site by site,
 * and the bindings to migrate given their new sslFlags.  *out: malloc'd. */
static cf_rc
plan_edit(const char *data, size_t len, const struct cf_iis_config *cfg,
	  const struct cf_iis_plan *p, char **out, size_t *outlen,
	  struct cf_err *err)
{
	struct cf_iis_new_binding *nb = NULL;
	struct cf_iis_flag_change *fc = NULL;
	char *cur = NULL, *next = NULL;
	size_t curlen = len, nextlen = 0, k;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((nb = calloc(p->n + 1, sizeof(*nb))) == NULL ||
	    (fc = calloc(p->n + 1, sizeof(*fc))) == NULL ||
	    (cur = malloc(len + 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(cur, data, len);
	cur[len] = '\0';
	/* Additions go after each site's last binding: the positions of the
	 * existing bindings, which the flag changes name, do not move. */
	for (size_t si = 0; si < cfg->nsites; si++) {
		k = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (p->items[i].action != CF_IIS_PLAN_ADD ||
			    p->items[i].site_index != si)
				continue;
			nb[k].protocol = "https";
			nb[k].binding_information =
			    p->items[i].binding_information;
			nb[k].ssl_flags = p->items[i].ssl_flags;
			k++;
		}
		if (k == 0)
			continue;
		if ((rc = cf_iis_edit_add_bindings(cur, curlen, si, nb, k, &next,
		    &nextlen, err)) != CF_OK)
			goto out;
		free(cur);
		cur = next;
		curlen = nextlen;
		next = NULL;
	}
	k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].action != CF_IIS_PLAN_MIGRATE)
			continue;
		fc[k].site_index = p->items[i].site_index;
		fc[k].binding_index = p->items[i].binding_index;
		fc[k].ssl_flags = p->items[i].ssl_flags;
		k++;
	}
	if (k > 0) {
		if ((rc = cf_iis_edit_set_ssl_flags(cur, curlen, fc, k, &next,
		    &nextlen, err)) != CF_OK)
			goto out;
		free(cur);
		cur = next;
		curlen = nextlen;
		next = NULL;
	}
	*out = cur;
	*outlen = curlen;
	cur = NULL;
out:
	free(cur);
	free(nb);
	free(fc);
	return rc;
}

cf_rc
cf_iis_apply(const char *config_path, const char *lock_path, const char *site,
	     const char *const *hosts, size_t nhosts, unsigned https_port,
	     int dry_run, struct cf_iis_plan **plan, char **backup,
	     struct cf_err *err)
{
	struct cf_iis_apply_opts o = {
		.lock_path = lock_path, .sites = &site, .nsites = 1,
		.hosts = hosts, .nhosts = nhosts, .https_port = https_port,
		.dry_run = dry_run,
	};

	return cf_iis_apply_ex(config_path, &o, plan, backup, err);
}

cf_rc
cf_iis_apply_ex(const char *config_path, const struct cf_iis_apply_opts *o,
		struct cf_iis_plan **plan, char **backup, struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	struct cf_iis_plan *p = NULL;
	const struct cf_iis_site **sites = NULL;
	char *data = NULL, *edited = NULL, *bak = NULL;
	size_t len = 0, elen = 0, nsites = 0;
	struct stat st;
	int lockfd = -1;
	cf_rc rc;

	if (plan != NULL)
		*plan = NULL;
	if (backup != NULL)
		*backup = NULL;
	if (o->lock_path != NULL && (rc = cf_file_lock(o->lock_path,
	    CF_IIS_LOCK_WAIT_S, &lockfd, err)) != CF_OK) {
		cf_err_wrap(err, "IIS configuration %s", config_path);
		goto out;
	}
	if ((rc = cf_file_read(config_path, CF_IIS_CONFIG_MAX, &data, &len,
	    err)) != CF_OK) {
		cf_err_wrap(err, "IIS configuration");
		goto out;
	}
	if (stat(config_path, &st) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "stat %s: %s", config_path,
		    strerror(errno));
		goto out;
	}
	if ((rc = cf_iis_config_parse(data, len, NULL, 0, &cfg, err)) != CF_OK) {
		cf_err_wrap(err, "%s", config_path);
		goto out;
	}
	if ((rc = cf_iis_sites_select(cfg, o->sites, o->nsites, &sites,
	    &nsites, err)) != CF_OK) {
		cf_err_wrap(err, "%s", config_path);
		goto out;
	}
	if ((rc = cf_iis_plan_sites(cfg, sites, nsites, o->hosts, o->nhosts,
	    o->https_port, o->flags, &p, err)) != CF_OK)
		goto out;
	if (o->dry_run || (p->nadd == 0 && p->nmigrate == 0))
		goto done;
	if ((rc = plan_edit(data, len, cfg, p, &edited, &elen, err)) != CF_OK) {
		cf_err_wrap(err, "%s", config_path);
		goto out;
	}
	if ((rc = backup_path(config_path, &bak, err)) != CF_OK ||
	    (rc = cf_file_write_atomic(bak, data, len, st.st_mode & 07777,
	    err)) != CF_OK)
		goto out;
	if ((rc = cf_file_write_atomic(config_path, edited, elen,
	    st.st_mode & 07777, err)) != CF_OK)
		goto out;
	if (backup != NULL) {
		*backup = bak;
		bak = NULL;
	}
	if ((rc = verify_written(config_path, p, err)) != CF_OK)
		goto out;
done:
	if (plan != NULL) {
		*plan = p;
		p = NULL;
	}
out:
	cf_file_unlock(lockfd);
	cf_iis_plan_free(p);
	cf_iis_config_free(cfg);
	free(sites);
	free(data);
	free(edited);
	free(bak);
	return rc;
}
