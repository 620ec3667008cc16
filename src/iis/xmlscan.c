/* xmlscan.c - see xmlscan.h */
#include "iis/xmlscan.h"

#include <string.h>

static int
is_name_char(char c)
{
	return c != '\0' && c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
	    c != '>' && c != '/' && c != '=';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

/* End of a declaration <!...> from i (an internal subset [...] and quoted
 * strings may hold '>'): the offset of its '>' or len. */
static size_t
decl_end(const char *d, size_t len, size_t i)
{
	int depth = 0;
	char q = 0;
	size_t e;

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
	return e;
}

#define UNTERMINATED ((size_t)-1)

/* Past the markup that is not an element tag at d[i] ('<'): the offset
 * after it, i itself for an element tag, UNTERMINATED when it does not
 * end. */
static size_t
skip_markup(const char *d, size_t len, size_t i)
{
	size_t e;

	if (len - i >= 4 && memcmp(d + i, "<!--", 4) == 0)
		return (e = find(d, len, i + 4, "-->")) >= len ? UNTERMINATED :
		    e + 3;
	if (len - i >= 9 && memcmp(d + i, "<![CDATA[", 9) == 0)
		return (e = find(d, len, i + 9, "]]>")) >= len ? UNTERMINATED :
		    e + 3;
	if (len - i >= 2 && d[i + 1] == '?')
		return (e = find(d, len, i + 2, "?>")) >= len ? UNTERMINATED :
		    e + 2;
	if (len - i >= 2 && d[i + 1] == '!')
		return (e = decl_end(d, len, i)) >= len ? UNTERMINATED : e + 1;
	return i;
}

/* From i inside a tag: the offset of its closing '>' (quoted values may
 * hold '>' and '/') or len; *last: its last character before '>' that is
 * not blank. */
static size_t
tag_close(const char *d, size_t len, size_t i, char *last)
{
	char q = 0;

	*last = 0;
	for (; i < len; i++) {
		char c = d[i];
		if (q) {
			if (c == q)
				q = 0;
			continue;
		}
		if (c == '"' || c == '\'') {
			q = c;
			*last = c;
			continue;
		}
		if (c == '>')
			break;
		if (!is_blank(c))
			*last = c;
	}
	return i;
}

int
cf_xml_next_tag(const char *d, size_t len, size_t *pos, struct cf_xml_tag *t,
		struct cf_err *err)
{
	size_t i = *pos, e;
	char last;

	for (;;) {
		while (i < len && d[i] != '<')
			i++;
		if (i >= len)
			return 0;
		if ((e = skip_markup(d, len, i)) == i)
			break;
		if (e == UNTERMINATED)
			goto unterminated;
		i = e;
	}
	t->start = i;
	i++;
	t->kind = CF_XML_START;
	if (i < len && d[i] == '/') {
		t->kind = CF_XML_END;
		i++;
	}
	t->name = d + i;
	while (i < len && is_name_char(d[i]))
		i++;
	t->namelen = (size_t)(d + i - t->name);
	if (t->namelen == 0)
		return cf_err_set(err, CF_ERR_USAGE, "malformed tag at byte "
				  "%zu", t->start), -1;
	if ((i = tag_close(d, len, i, &last)) >= len)
		goto unterminated;
	if (t->kind == CF_XML_START && last == '/')
		t->kind = CF_XML_EMPTY;
	t->end = i + 1;
	*pos = t->end;
	return 1;
unterminated:
	cf_err_set(err, CF_ERR_USAGE, "unterminated markup at byte %zu", i);
	return -1;
}

int
cf_xml_name_is(const struct cf_xml_tag *t, const char *name)
{
	return t->namelen == strlen(name) &&
	    memcmp(t->name, name, t->namelen) == 0;
}

void
cf_xml_walk_init(struct cf_xml_walk *w, const char *d, size_t len,
		 const char *const *path, size_t npath)
{
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->len = len;
	w->path = path;
	w->npath = npath;
}

int
cf_xml_walk_next(struct cf_xml_walk *w, struct cf_xml_tag *t, size_t *level,
		 int *on_path, struct cf_err *err)
{
	int r;

	if ((r = cf_xml_next_tag(w->d, w->len, &w->pos, t, err)) != 1)
		return r;
	if (t->kind == CF_XML_END) {
		if (w->depth == 0)
			return cf_err_set(err, CF_ERR_USAGE, "unbalanced end "
					  "tag at byte %zu", t->start), -1;
		w->depth--;
		*level = w->depth;
		*on_path = w->match[w->depth];
		return 1;
	}
	*level = w->depth;
	*on_path = w->depth < w->npath &&
	    cf_xml_name_is(t, w->path[w->depth]) &&
	    (w->depth == 0 || w->match[w->depth - 1]);
	if (t->kind == CF_XML_START) {
		if (w->depth >= CF_XML_MAX_DEPTH)
			return cf_err_set(err, CF_ERR_USAGE, "XML nested too "
					  "deeply"), -1;
		w->match[w->depth++] = *on_path;
	}
	return 1;
}

int
cf_xml_attr_next(const char *d, const struct cf_xml_tag *t, size_t *pos,
		 struct cf_xml_attr *a)
{
	size_t i = *pos != 0 ? *pos : (size_t)(t->name - d) + t->namelen;

	while (i < t->end && is_blank(d[i]))
		i++;
	if (i >= t->end || d[i] == '/' || d[i] == '>')
		return 0;
	a->name = i;
	while (i < t->end && is_name_char(d[i]))
		i++;
	a->name_end = i;
	while (i < t->end && is_blank(d[i]))
		i++;
	if (a->name_end == a->name || i >= t->end || d[i] != '=')
		return -1;
	i++;
	while (i < t->end && is_blank(d[i]))
		i++;
	if (i >= t->end || (d[i] != '"' && d[i] != '\''))
		return -1;
	a->quote = d[i++];
	a->value = i;
	while (i < t->end && d[i] != a->quote)
		i++;
	if (i >= t->end)
		return -1;
	a->value_end = i;
	*pos = i + 1;
	return 1;
}

size_t
cf_xml_line_start(const char *d, size_t off)
{
	while (off > 0 && d[off - 1] != '\n')
		off--;
	return off;
}

int
cf_xml_indent_of(const char *d, size_t off, size_t *s, size_t *e)
{
	size_t ls = cf_xml_line_start(d, off), i;

	for (i = ls; i < off; i++)
		if (d[i] != ' ' && d[i] != '\t')
			return 0;
	*s = ls;
	*e = off;
	return 1;
}

const char *
cf_xml_newline_at(const char *d, size_t len, size_t off)
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

cf_rc
cf_xml_append_escaped(struct cf_buf *b, const char *s)
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
