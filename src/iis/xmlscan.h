/*
 * xmlscan.h - a scanner over the raw bytes of an XML file, for editing it
 * byte for byte (iis/edit.h).
 *
 * Owns: finding element tags (skipping text, comments, CDATA, processing
 * instructions and declarations), following a fixed element path from the
 * root (which open elements are <configuration><system.applicationHost>
 * ...), reading a tag's attributes as byte ranges, the line and
 * indentation around a tag, and escaping an attribute value.  It never
 * builds a tree and never changes the bytes; offsets are into the caller's
 * buffer.  Malformed markup is CF_ERR_USAGE naming the byte offset.
 */
#ifndef CF_XMLSCAN_H
#define CF_XMLSCAN_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

enum cf_xml_tag_kind { CF_XML_START, CF_XML_END, CF_XML_EMPTY };

struct cf_xml_tag {
	enum cf_xml_tag_kind kind;
	const char *name;       /* into the data, not NUL-terminated */
	size_t namelen;
	size_t start, end;      /* '<' .. one past '>' */
};

/*
 * The next element tag at or after *pos of d[0..len).  1: *t filled, *pos
 * past it; 0: end of data; -1: malformed (err set).
 */
int cf_xml_next_tag(const char *d, size_t len, size_t *pos,
		    struct cf_xml_tag *t, struct cf_err *err);

/* 1 when the tag's name is name (case-sensitive). */
int cf_xml_name_is(const struct cf_xml_tag *t, const char *name);

#define CF_XML_MAX_DEPTH 256

/* A walk over the tags that knows, for each, whether it and all its
 * ancestors follow path[0..npath) from the root. */
struct cf_xml_walk {
	const char *d;
	size_t len, pos;
	const char *const *path;
	size_t npath;
	size_t depth;                 /* open elements */
	int match[CF_XML_MAX_DEPTH];  /* match[k]: the open element at
					 depth k follows path[0..k] */
};

void cf_xml_walk_init(struct cf_xml_walk *w, const char *d, size_t len,
		      const char *const *path, size_t npath);

/*
 * The next tag, its level (0 for the root element; an end tag has the
 * level of its start tag) and whether it follows the path (*on_path; for
 * an end tag: the element it closes).  1, 0 at the end, -1 for malformed
 * markup, an unbalanced end tag or nesting deeper than CF_XML_MAX_DEPTH
 * (err set).
 */
int cf_xml_walk_next(struct cf_xml_walk *w, struct cf_xml_tag *t,
		     size_t *level, int *on_path, struct cf_err *err);

/* One attribute of a tag as offsets into the data. */
struct cf_xml_attr {
	size_t name, name_end;   /* the name */
	size_t value, value_end; /* the value, between the quotes */
	char quote;              /* '"' or '\'' */
};

/*
 * The next attribute of tag t from *i (start with *i = 0).  1: *a filled;
 * 0: no more; -1: the attributes cannot be read (no err: the caller names
 * the tag).
 */
int cf_xml_attr_next(const char *d, const struct cf_xml_tag *t, size_t *i,
		     struct cf_xml_attr *a);

/* Offset of the first byte of the line holding off. */
size_t cf_xml_line_start(const char *d, size_t off);

/* Indentation in front of the tag at off when only blanks precede it on
 * its line: returns 1 and sets [*s, *e); else 0. */
int cf_xml_indent_of(const char *d, size_t off, size_t *s, size_t *e);

/* Line end of the file near off: "\r\n" when the line uses it (else the
 * first line of the file decides; "\n" without any line end). */
const char *cf_xml_newline_at(const char *d, size_t len, size_t off);

/* Append s with &, <, > and " escaped (an attribute value). */
cf_rc cf_xml_append_escaped(struct cf_buf *b, const char *s) CF_MUST_CHECK;

#endif
