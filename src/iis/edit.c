/* edit.c - see edit.h */
#include "iis/edit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "iis/xmlscan.h"
#include "store/atomic.h"
#include "store/lock.h"

/* ---- adding bindings, byte for byte ---- */

static const char *const site_path[] = { "configuration",
    "system.applicationHost", "sites", "site", "bindings", "binding" };
#define SITE_PATH_LEN (sizeof(site_path) / sizeof(site_path[0]))
#define EDIT_MAX (CF_IIS_CONFIG_MAX + 65536)

/* What the scanner learnt about one site. */
struct site_loc {
	int found;
	struct cf_xml_tag site;     /* its start (or empty) tag */
	size_t site_close;          /* start of </site>, 0 if empty */
	int has_bindings;
	struct cf_xml_tag bindings; /* start or empty tag */
	size_t bindings_close;      /* start of </bindings>, if not empty */
	int nbindings;
	struct cf_xml_tag last_binding; /* start tag of the last <binding> */
	int first_child_set;
	struct cf_xml_tag first_child;  /* first child element of <site> */
	size_t nsites;              /* sites seen in the whole file */
	int in_target;              /* inside the wanted site now */
};

/* An end tag at level: </bindings> and </site> of the wanted site. */
static void
locate_end(struct site_loc *loc, const struct cf_xml_tag *t, size_t level,
	   int on_path)
{
	if (loc->in_target && level == 4 && on_path &&
	    cf_xml_name_is(t, "bindings"))
		loc->bindings_close = t->start;
	if (loc->in_target && level == 3) {
		loc->site_close = t->start;
		loc->in_target = 0;
	}
}

/* A start or empty tag at level: the wanted <site>, its first child, its
 * <bindings> and its last <binding>. */
static cf_rc
locate_start(struct site_loc *loc, const struct cf_xml_tag *t, size_t level,
	     int on_path, size_t want, struct cf_err *err)
{
	if (level == 3 && on_path) {
		if (loc->nsites == want) {
			loc->found = 1;
			loc->site = *t;
			loc->in_target = t->kind == CF_XML_START;
		}
		loc->nsites++;
	}
	if (loc->in_target && level == 4) {
		if (!loc->first_child_set) {
			loc->first_child = *t;
			loc->first_child_set = 1;
		}
		if (on_path) {
			if (loc->has_bindings)
				return cf_err_set(err, CF_ERR_USAGE, "site has "
						  "two <bindings> elements");
			loc->has_bindings = 1;
			loc->bindings = *t;
		}
	}
	if (loc->in_target && level == 5 && on_path) {
		loc->nbindings++;
		loc->last_binding = *t;
	}
	return CF_OK;
}

static cf_rc
locate(const char *d, size_t len, size_t want, struct site_loc *loc,
       struct cf_err *err)
{
	struct cf_xml_walk w;
	struct cf_xml_tag t;
	size_t level;
	int on_path, r;
	cf_rc rc;

	memset(loc, 0, sizeof(*loc));
	cf_xml_walk_init(&w, d, len, site_path, SITE_PATH_LEN);
	while ((r = cf_xml_walk_next(&w, &t, &level, &on_path, err)) == 1) {
		if (t.kind == CF_XML_END)
			locate_end(loc, &t, level, on_path);
		else if ((rc = locate_start(loc, &t, level, on_path, want,
			 err)) != CF_OK)
			return rc;
	}
	if (r < 0)
		return err ? err->rc : CF_ERR_USAGE;
	if (!loc->found)
		return cf_err_set(err, CF_ERR_USAGE, "site #%zu not found by "
				  "the byte scanner", want);
	return CF_OK;
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
		    (rc = cf_xml_append_escaped(b, nb[i].protocol)) != CF_OK ||
		    (rc = cf_buf_appends(b, "\" bindingInformation=\"")) != CF_OK ||
		    (rc = cf_xml_append_escaped(b,
		    nb[i].binding_information)) != CF_OK ||
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
	if (!cf_xml_indent_of(d, loc->site.start, &ps, &pe))
		return;
	if (memchr(d + ps, '\t', pe - ps) != NULL)
		snprintf(unit, n, "\t");
	if (loc->first_child_set &&
	    cf_xml_indent_of(d, loc->first_child.start, &cs, &ce) &&
	    ce - cs > pe - ps && ce - cs - (pe - ps) < n &&
	    memcmp(d + ps, d + cs, pe - ps) == 0) {
		memcpy(unit, d + cs + (pe - ps), ce - cs - (pe - ps));
		unit[ce - cs - (pe - ps)] = '\0';
	}
}

/* The indentation d[is..ie) plus steps (0 to 2) units into buf; returns
 * its length (cut to fit). */
static size_t
make_indent(char *buf, size_t sz, const char *d, size_t is, size_t ie,
	    const char *unit, int steps)
{
	size_t il = (size_t)snprintf(buf, sz, "%.*s%s%s", (int)(ie - is),
				     d + is, steps >= 1 ? unit : "", steps >= 2 ? unit : "");

	return il >= sz ? sz - 1 : il;
}

/* What an insertion works from. */
struct edit_in {
	const char *d;
	size_t len;
	const struct site_loc *loc;
	const char *unit;                  /* one indentation step */
	const struct cf_iis_new_binding *nb;
	size_t n;
};

/* <bindings> ... </bindings>: the new lines go before </bindings>,
 * indented like the last binding (else one step deeper than the close
 * tag); tags only when </bindings> shares its line. */
static cf_rc
insert_before_close(const struct edit_in *e, struct cf_buf *b, size_t *tail)
{
	const char *d = e->d, *nl;
	char indent[256];
	size_t ins = e->loc->bindings_close, is, ie, il;
	cf_rc rc;

	if (!cf_xml_indent_of(d, ins, &is, &ie)) {
		*tail = ins;
		if ((rc = cf_buf_append(b, d, ins)) != CF_OK)
			return rc;
		return append_bindings(b, e->nb, e->n, "", 0, NULL);
	}
	nl = cf_xml_newline_at(d, e->len, is > 0 ? is - 1 : 0);
	if (e->loc->nbindings > 0 &&
	    cf_xml_indent_of(d, e->loc->last_binding.start, &is, &ie))
		il = make_indent(indent, sizeof(indent), d, is, ie, "", 0);
	else
		il = make_indent(indent, sizeof(indent), d, is, ie, e->unit, 1);
	ins = cf_xml_line_start(d, ins);
	*tail = ins;
	if ((rc = cf_buf_append(b, d, ins)) != CF_OK)
		return rc;
	return append_bindings(b, e->nb, e->n, indent, il, nl);
}

/* <bindings/>: opened up as <bindings>...</bindings>. */
static cf_rc
open_empty_bindings(const struct edit_in *e, struct cf_buf *b, size_t *tail)
{
	const struct cf_xml_tag *bt = &e->loc->bindings;
	const char *d = e->d, *nl;
	char indent[256];
	size_t slash = bt->end - 1, is, ie, il; /* at '>' */
	cf_rc rc;

	while (slash > bt->start && d[slash] != '/')
		slash--;
	while (slash > bt->start && (d[slash - 1] == ' ' ||
	       d[slash - 1] == '\t'))
		slash--;
	*tail = bt->end;
	if ((rc = cf_buf_append(b, d, slash)) != CF_OK ||
	    (rc = cf_buf_appends(b, ">")) != CF_OK)
		return rc;
	if (cf_xml_indent_of(d, bt->start, &is, &ie)) {
		nl = cf_xml_newline_at(d, e->len, bt->start);
		il = make_indent(indent, sizeof(indent), d, is, ie, e->unit, 1);
		if ((rc = cf_buf_appends(b, nl)) != CF_OK ||
		    (rc = append_bindings(b, e->nb, e->n, indent, il,
		    nl)) != CF_OK ||
		    (rc = cf_buf_append(b, d + is, ie - is)) != CF_OK)
			return rc;
	} else if ((rc = append_bindings(b, e->nb, e->n, "", 0, NULL)) !=
	    CF_OK) {
		return rc;
	}
	return cf_buf_appends(b, "</bindings>");
}

/* No <bindings>: a new element before </site>, which starts its line. */
static cf_rc
add_bindings_element(const struct edit_in *e, struct cf_buf *b,
		     size_t *tail)
{
	const char *d = e->d, *nl;
	char indent[256];
	size_t is = 0, ie = 0, il;
	cf_rc rc;

	(void)cf_xml_indent_of(d, e->loc->site_close, &is, &ie);
	nl = cf_xml_newline_at(d, e->len, is > 0 ? is - 1 : 0);
	il = make_indent(indent, sizeof(indent), d, is, ie, e->unit, 2);
	*tail = is;
	if ((rc = cf_buf_append(b, d, is)) != CF_OK ||
	    (rc = cf_buf_append(b, d + is, ie - is)) != CF_OK ||
	    (rc = cf_buf_appends(b, e->unit)) != CF_OK ||
	    (rc = cf_buf_appends(b, "<bindings>")) != CF_OK ||
	    (rc = cf_buf_appends(b, nl)) != CF_OK ||
	    (rc = append_bindings(b, e->nb, e->n, indent, il, nl)) != CF_OK ||
	    (rc = cf_buf_append(b, d + is, ie - is)) != CF_OK ||
	    (rc = cf_buf_appends(b, e->unit)) != CF_OK ||
	    (rc = cf_buf_appends(b, "</bindings>")) != CF_OK)
		return rc;
	return cf_buf_appends(b, nl);
}

/* The error for a failed append to the edited bytes. */
static cf_rc
buf_error(cf_rc rc, struct cf_err *err)
{
	if (rc == CF_ERR_PROTO)
		return cf_err_set(err, CF_ERR_USAGE, "edited file too large");
	return cf_err_set(err, rc, "out of memory");
}

/* The whole edited file into b: the bytes before the insertion, the new
 * bindings, the rest. */
static cf_rc
insert_bindings(const struct edit_in *e, const char *site_name,
		struct cf_buf *b, struct cf_err *err)
{
	const struct site_loc *loc = e->loc;
	size_t is, ie, tail = 0;
	cf_rc rc;

	if (loc->has_bindings && loc->bindings.kind == CF_XML_START)
		rc = insert_before_close(e, b, &tail);
	else if (loc->has_bindings)
		rc = open_empty_bindings(e, b, &tail);
	else if (loc->site.kind != CF_XML_START)
		return cf_err_set(err, CF_ERR_USAGE, "site \"%s\" is an empty "
				  "<site/> element; give it <bindings> in IIS first",
				  site_name);
	else if (!cf_xml_indent_of(e->d, loc->site_close, &is, &ie))
		return cf_err_set(err, CF_ERR_USAGE, "site \"%s\" has no "
				  "<bindings> and its </site> shares a line; add "
				  "<bindings></bindings> by hand first", site_name);
	else
		rc = add_bindings_element(e, b, &tail);
	if (rc == CF_OK)
		rc = cf_buf_append(b, e->d + tail, e->len - tail);
	return rc != CF_OK ? buf_error(rc, err) : CF_OK;
}

/* Does the edited configuration (after) hold what was meant? */
typedef int (*edit_check_fn)(const struct cf_iis_config *before,
			     const struct cf_iis_config *after,
			     const void *arg);

/*
 * Parse the edited bytes of b with the real parser, check them with ok
 * (what names the expectation in the message) and hand them out: *out
 * becomes the caller's.
 */
static cf_rc
finish_edit(struct cf_buf *b, const struct cf_iis_config *before,
	    edit_check_fn ok, const void *arg, const char *what, char **out,
	    size_t *outlen, struct cf_err *err)
{
	struct cf_iis_config *after = NULL;
	cf_rc rc;

	if ((rc = cf_iis_config_parse(b->data, b->len, NULL, 0, &after,
	    err)) != CF_OK) {
		cf_err_wrap(err, "the edited configuration does not parse "
			    "(not written)");
		goto out;
	}
	if (!ok(before, after, arg)) {
		rc = cf_err_set(err, CF_ERR_INTERNAL, "the edited configuration "
				"does not hold the expected %s (not written)", what);
		goto out;
	}
	*outlen = b->len;
	if ((*out = cf_buf_steal(b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	cf_iis_config_free(after);
	return rc;
}

/* For finish_edit: n bindings more in one site, the sites the same. */
struct added {
	size_t site_index, n;
};

static int
bindings_added(const struct cf_iis_config *before,
	       const struct cf_iis_config *after, const void *arg)
{
	const struct added *a = arg;

	return after->nsites == before->nsites &&
	    after->sites[a->site_index].nbindings ==
	    before->sites[a->site_index].nbindings + a->n;
}

cf_rc
cf_iis_edit_add_bindings(const char *data, size_t len, size_t site_index,
			 const struct cf_iis_new_binding *nb, size_t n,
			 char **out, size_t *outlen, struct cf_err *err)
{
	struct cf_iis_config *before = NULL;
	struct site_loc loc;
	struct cf_buf b;
	char unit[64];
	struct edit_in e = { data, len, &loc, unit, nb, n };
	struct added want = { site_index, n };
	cf_rc rc;

	*out = NULL;
	*outlen = 0;
	cf_buf_init(&b, EDIT_MAX);
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
	if ((rc = insert_bindings(&e, before->sites[site_index].name, &b,
	    err)) != CF_OK)
		goto out;
	rc = finish_edit(&b, before, bindings_added, &want, "bindings", out,
			 outlen, err);
out:
	cf_buf_free(&b);
	cf_iis_config_free(before);
	return rc;
}

/* ---- sslFlags of existing bindings ---- */

/*
 * The edit that gives the binding tag d[t->start..t->end) the sslFlags
 * value v: replace [*from, *to) with the bytes of *ins (NUL-terminated,
 * in buf of size bn).  CF_ERR_USAGE when the tag cannot be read.
 */
static cf_rc
flags_edit(const char *d, const struct cf_xml_tag *t, unsigned long v,
	   size_t *from, size_t *to, char *buf, size_t bn, struct cf_err *err)
{
	struct cf_xml_attr a;
	size_t i = 0, last_end = 0;
	char lastq = '"';
	int r;

	while ((r = cf_xml_attr_next(d, t, &i, &a)) == 1) {
		if (a.name_end - a.name == 8 &&
		    memcmp(d + a.name, "sslFlags", 8) == 0) {
			*from = a.value;
			*to = a.value_end;
			snprintf(buf, bn, "%lu", v);
			return CF_OK;
		}
		last_end = a.value_end + 1;
		lastq = a.quote;
	}
	if (r < 0 || last_end == 0)
		return cf_err_set(err, CF_ERR_USAGE, "cannot read the attributes "
				  "of the <binding> at byte %zu; not editing", t->start);
	*from = *to = last_end;
	snprintf(buf, bn, " sslFlags=%c%lu%c", lastq, v, lastq);
	return CF_OK;
}

/* The change for binding bi of site si, or NULL. */
static const struct cf_iis_flag_change *
change_for(const struct cf_iis_flag_change *ch, size_t n, size_t si,
	   size_t bi)
{
	for (size_t k = 0; k < n; k++)
		if (ch[k].site_index == si && ch[k].binding_index == bi)
			return &ch[k];
	return NULL;
}

/* Every change names a binding the parser found. */
static cf_rc
check_changes(const struct cf_iis_config *c,
	      const struct cf_iis_flag_change *ch, size_t n,
	      struct cf_err *err)
{
	for (size_t k = 0; k < n; k++) {
		if (ch[k].site_index >= c->nsites ||
		    ch[k].binding_index >= c->sites[ch[k].site_index].nbindings)
			return cf_err_set(err, CF_ERR_USAGE, "no binding #%zu "
					  "in site #%zu; not editing", ch[k].binding_index,
					  ch[k].site_index);
	}
	return CF_OK;
}

/* What rewrite_flags counted. */
struct flags_walk {
	size_t site_no, bind_no;    /* sites seen; bindings in the last */
	size_t copied;              /* bytes of data copied to the buffer */
	size_t done;                /* changes made */
};

/* A <binding> tag t of the current site: its change, if any, into b. */
static cf_rc
rewrite_binding(const char *data, const struct cf_xml_tag *t,
		const struct cf_iis_flag_change *ch, size_t n,
		struct flags_walk *fw, struct cf_buf *b, struct cf_err *err)
{
	const struct cf_iis_flag_change *c;
	size_t from = 0, to = 0;
	char ins[64];
	cf_rc rc;

	c = change_for(ch, n, fw->site_no - 1, fw->bind_no++);
	if (c == NULL)
		return CF_OK;
	if ((rc = flags_edit(data, t, c->ssl_flags, &from, &to, ins,
	    sizeof(ins), err)) != CF_OK)
		return rc;
	if ((rc = cf_buf_append(b, data + fw->copied, from - fw->copied)) !=
	    CF_OK || (rc = cf_buf_appends(b, ins)) != CF_OK)
		return buf_error(rc, err);
	fw->copied = to;
	fw->done++;
	return CF_OK;
}

/* The file with the changes made into b; the scanner must see nsites
 * sites (as the parser did) and every change. */
static cf_rc
rewrite_flags(const char *data, size_t len,
	      const struct cf_iis_flag_change *ch, size_t n,
	      size_t nsites, struct cf_buf *b, struct cf_err *err)
{
	struct flags_walk fw = { 0, 0, 0, 0 };
	struct cf_xml_walk w;
	struct cf_xml_tag t;
	size_t level;
	int on_path, r;
	cf_rc rc;

	cf_xml_walk_init(&w, data, len, site_path, SITE_PATH_LEN);
	while ((r = cf_xml_walk_next(&w, &t, &level, &on_path, err)) == 1) {
		if (t.kind == CF_XML_END || !on_path)
			continue;
		if (level == 3) {
			fw.site_no++;
			fw.bind_no = 0;
		}
		if (level == 5 && (rc = rewrite_binding(data, &t, ch, n, &fw,
		    b, err)) != CF_OK)
			return rc;
	}
	if (r < 0)
		return err ? err->rc : CF_ERR_USAGE;
	if (fw.done != n || fw.site_no != nsites)
		return cf_err_set(err, CF_ERR_USAGE, "the byte scanner and the "
				  "XML parser disagree about the bindings; not editing");
	if ((rc = cf_buf_append(b, data + fw.copied, len - fw.copied)) !=
	    CF_OK)
		return buf_error(rc, err);
	return CF_OK;
}

/* For finish_edit: the changes to make. */
struct changes {
	const struct cf_iis_flag_change *ch;
	size_t n;
};

/* 1 when after has the bindings of before, each with its flags or its
 * changed flags. */
static int
flags_as_expected(const struct cf_iis_config *before,
		  const struct cf_iis_config *after, const void *arg)
{
	const struct changes *c = arg;

	for (size_t si = 0; si < before->nsites; si++) {
		const struct cf_iis_site *sb = &before->sites[si],
		    *sa = &after->sites[si];
		if (si >= after->nsites || sa->nbindings != sb->nbindings)
			return 0;
		for (size_t bi = 0; bi < sb->nbindings; bi++) {
			const struct cf_iis_flag_change *f =
			    change_for(c->ch, c->n, si, bi);
			unsigned long want = f != NULL ? f->ssl_flags :
			    sb->bindings[bi].ssl_flags;
			if (sa->bindings[bi].ssl_flags != want ||
			    strcmp(sa->bindings[bi].binding_information,
			    sb->bindings[bi].binding_information) != 0)
				return 0;
		}
	}
	return 1;
}

cf_rc
cf_iis_edit_set_ssl_flags(const char *data, size_t len,
			  const struct cf_iis_flag_change *ch, size_t n,
			  char **out, size_t *outlen, struct cf_err *err)
{
	struct cf_iis_config *before = NULL;
	struct changes want = { ch, n };
	struct cf_buf b;
	cf_rc rc;

	*out = NULL;
	*outlen = 0;
	cf_buf_init(&b, EDIT_MAX);
	if ((rc = cf_iis_config_parse(data, len, NULL, 0, &before, err)) !=
	    CF_OK || (rc = check_changes(before, ch, n, err)) != CF_OK ||
	    (rc = rewrite_flags(data, len, ch, n, before->nsites, &b,
	    err)) != CF_OK)
		goto out;
	rc = finish_edit(&b, before, flags_as_expected, &want, "sslFlags",
			 out, outlen, err);
out:
	cf_buf_free(&b);
	cf_iis_config_free(before);
	return rc;
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

/* The bytes being edited: each edit replaces them with its result. */
struct edited {
	char *data;
	size_t len;
};

static void
edited_take(struct edited *e, char *next, size_t nextlen)
{
	free(e->data);
	e->data = next;
	e->len = nextlen;
}

/* The plan's additions to site si (nb: room for p->n); none: CF_OK. */
static cf_rc
add_site_bindings(struct edited *e, size_t si, const struct cf_iis_plan *p,
		  struct cf_iis_new_binding *nb, struct cf_err *err)
{
	char *next = NULL;
	size_t k = 0, nextlen = 0;
	cf_rc rc;

	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].action != CF_IIS_PLAN_ADD ||
		    p->items[i].site_index != si)
			continue;
		nb[k].protocol = "https";
		nb[k].binding_information = p->items[i].binding_information;
		nb[k].ssl_flags = p->items[i].ssl_flags;
		k++;
	}
	if (k == 0)
		return CF_OK;
	if ((rc = cf_iis_edit_add_bindings(e->data, e->len, si, nb, k, &next,
	    &nextlen, err)) == CF_OK)
		edited_take(e, next, nextlen);
	return rc;
}

/* The plan's migrations (fc: room for p->n); none: CF_OK. */
static cf_rc
migrate_bindings(struct edited *e, const struct cf_iis_plan *p,
		 struct cf_iis_flag_change *fc, struct cf_err *err)
{
	char *next = NULL;
	size_t k = 0, nextlen = 0;
	cf_rc rc;

	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].action != CF_IIS_PLAN_MIGRATE)
			continue;
		fc[k].site_index = p->items[i].site_index;
		fc[k].binding_index = p->items[i].binding_index;
		fc[k].ssl_flags = p->items[i].ssl_flags;
		k++;
	}
	if (k == 0)
		return CF_OK;
	if ((rc = cf_iis_edit_set_ssl_flags(e->data, e->len, fc, k, &next,
	    &nextlen, err)) == CF_OK)
		edited_take(e, next, nextlen);
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
	struct edited e = { NULL, len };
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((nb = calloc(p->n + 1, sizeof(*nb))) == NULL ||
	    (fc = calloc(p->n + 1, sizeof(*fc))) == NULL ||
	    (e.data = malloc(len + 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(e.data, data, len);
	e.data[len] = '\0';
	/* Additions go after each site's last binding: the positions of the
	 * existing bindings, which the flag changes name, do not move. */
	for (size_t si = 0; si < cfg->nsites && rc == CF_OK; si++)
		rc = add_site_bindings(&e, si, p, nb, err);
	if (rc != CF_OK || (rc = migrate_bindings(&e, p, fc, err)) != CF_OK)
		goto out;
	*out = e.data;
	*outlen = e.len;
	e.data = NULL;
out:
	free(e.data);
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

/* The file as it is: its bytes, its mode and its parse. */
struct config_now {
	char *data;
	size_t len;
	mode_t mode;
	struct cf_iis_config *cfg;
};

static cf_rc
config_read(const char *config_path, struct config_now *cn,
	    struct cf_err *err)
{
	struct stat st;
	cf_rc rc;

	if ((rc = cf_file_read(config_path, CF_IIS_CONFIG_MAX, &cn->data,
	    &cn->len, err)) != CF_OK) {
		cf_err_wrap(err, "IIS configuration");
		return rc;
	}
	if (stat(config_path, &st) != 0)
		return cf_err_set(err, CF_ERR_IO, "stat %s: %s", config_path,
				  strerror(errno));
	cn->mode = st.st_mode & 07777;
	if ((rc = cf_iis_config_parse(cn->data, cn->len, NULL, 0, &cn->cfg,
	    err)) != CF_OK)
		cf_err_wrap(err, "%s", config_path);
	return rc;
}

/* Edit the file for plan p: backup, atomic replace, check what was
 * written.  *backup (may be NULL) gets the backup's path once the file is
 * replaced. */
static cf_rc
config_write(const char *config_path, const struct config_now *cn,
	     const struct cf_iis_plan *p, char **backup, struct cf_err *err)
{
	char *edited = NULL, *bak = NULL;
	size_t elen = 0;
	cf_rc rc;

	if ((rc = plan_edit(cn->data, cn->len, cn->cfg, p, &edited, &elen,
	    err)) != CF_OK) {
		cf_err_wrap(err, "%s", config_path);
		goto out;
	}
	if ((rc = backup_path(config_path, &bak, err)) != CF_OK ||
	    (rc = cf_file_write_atomic(bak, cn->data, cn->len, cn->mode,
	    err)) != CF_OK ||
	    (rc = cf_file_write_atomic(config_path, edited, elen, cn->mode,
	    err)) != CF_OK)
		goto out;
	if (backup != NULL) {
		*backup = bak;
		bak = NULL;
	}
	rc = verify_written(config_path, p, err);
out:
	free(edited);
	free(bak);
	return rc;
}

cf_rc
cf_iis_apply_ex(const char *config_path, const struct cf_iis_apply_opts *o,
		struct cf_iis_plan **plan, char **backup, struct cf_err *err)
{
	struct config_now cn = { NULL, 0, 0, NULL };
	struct cf_iis_plan *p = NULL;
	const struct cf_iis_site **sites = NULL;
	size_t nsites = 0;
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
	if ((rc = config_read(config_path, &cn, err)) != CF_OK)
		goto out;
	if ((rc = cf_iis_sites_select(cn.cfg, o->sites, o->nsites, &sites,
	    &nsites, err)) != CF_OK) {
		cf_err_wrap(err, "%s", config_path);
		goto out;
	}
	if ((rc = cf_iis_plan_sites(cn.cfg, sites, nsites, o->hosts, o->nhosts,
	    o->https_port, o->flags, &p, err)) != CF_OK)
		goto out;
	if (!o->dry_run && (p->nadd > 0 || p->nmigrate > 0) &&
	    (rc = config_write(config_path, &cn, p, backup, err)) != CF_OK)
		goto out;
	if (plan != NULL) {
		*plan = p;
		p = NULL;
	}
out:
	cf_file_unlock(lockfd);
	cf_iis_plan_free(p);
	cf_iis_config_free(cn.cfg);
	free(sites);
	free(cn.data);
	return rc;
}
