/* test_iis_xmlscan.c - the byte-level XML scanner of iis/xmlscan.h: tags
 * found (and markup skipped), malformed input refused, the path walk,
 * attributes and the line helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iis/xmlscan.h"

struct tag_case {
	const char *xml;
	int ok;             /* 1: scans to the end; 0: malformed */
	const char *tags;   /* the tags found: "<a" start, "</a" end,
			       "<a/" empty, space separated */
};

static const struct tag_case tcases[] = {
	{ "<a><b/></a>", 1, "<a <b/ </a" },
	{ "<?xml version=\"1.0\"?>\r\n<a x=\"1>2/\" y='/'>t</a>", 1,
	  "<a </a" },
	{ "<a><!-- <b> --><![CDATA[<c>]]></a>", 1, "<a </a" },
	{ "<!DOCTYPE a [ <!ENTITY e \"<x>\"> ]><a/>", 1, "<a/" },
	{ "<a/><!-- a comment that ends the file -->", 1, "<a/" },
	{ "<a/><?pi at the end?>", 1, "<a/" },
	{ "<a x=\"1\" />", 1, "<a/" },
	{ "", 1, "" },
	{ "text only", 1, "" },
	{ "<a><!-- unterminated", 0, "<a" },
	{ "<a><![CDATA[ unterminated", 0, "<a" },
	{ "<a x=\"unterminated", 0, "" },
	{ "<a><>", 0, "<a" },
	{ "<a><?pi", 0, "<a" },
};

static void
test_tags(void **state)
{
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const char *d = tcases[i].xml;
		struct cf_xml_tag t;
		struct cf_err err;
		char got[256] = "";
		size_t pos = 0;
		int r;

		cf_err_clear(&err);
		while ((r = cf_xml_next_tag(d, strlen(d), &pos, &t, &err)) ==
		       1) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof(got) - l, "%s%s%.*s%s",
				 l > 0 ? " " : "", t.kind == CF_XML_END ? "</" :
				 "<", (int)t.namelen, t.name,
				 t.kind == CF_XML_EMPTY ? "/" : "");
			assert_int_equal(d[t.start], '<');
			assert_int_equal(d[t.end - 1], '>');
		}
		if (r != (tcases[i].ok ? 0 : -1))
			fail_msg("case %zu (%s): got %d", i, d, r);
		if (!tcases[i].ok)
			assert_int_equal(err.rc, CF_ERR_USAGE);
		if (strcmp(got, tcases[i].tags) != 0)
			fail_msg("case %zu (%s): tags \"%s\", want \"%s\"", i,
				 d, got, tcases[i].tags);
	}
}

static void
test_walk(void **state)
{
	static const char *const path[] = { "c", "s", "b" };
	const char *d = "<c><x><s><b/></s></x><s><b></b><q/></s></c>";
	struct cf_xml_walk w;
	struct cf_xml_tag t;
	struct cf_err err;
	char got[256] = "";
	size_t level;
	int on_path, r;

	cf_xml_walk_init(&w, d, strlen(d), path, 3);
	while ((r = cf_xml_walk_next(&w, &t, &level, &on_path, &err)) == 1) {
		size_t l = strlen(got);
		snprintf(got + l, sizeof(got) - l, "%s%.*s%zu%s",
			 t.kind == CF_XML_END ? "/" : "", (int)t.namelen, t.name,
			 level, on_path ? "+ " : " ");
	}
	assert_int_equal(r, 0);
	/* <s> inside <x> is off the path, and so is its <b>. */
	assert_string_equal(got, "c0+ x1 s2 b3 /s2 /x1 s1+ b2+ /b2+ q2 /s1+ "
			    "/c0+ ");

	d = "<c></c></c>";
	cf_xml_walk_init(&w, d, strlen(d), path, 3);
	while ((r = cf_xml_walk_next(&w, &t, &level, &on_path, &err)) == 1)
		;
	assert_int_equal(r, -1);
	assert_non_null(strstr(err.msg, "unbalanced end tag at byte 7"));
}

static void
test_attrs(void **state)
{
	const char *d = "<binding protocol=\"https\"  sslFlags = '3' x=\"\" />";
	const char *bad = "<binding protocol=https />";
	struct cf_xml_tag t;
	struct cf_xml_attr a;
	struct cf_err err;
	size_t pos = 0, i = 0;

	assert_int_equal(cf_xml_next_tag(d, strlen(d), &pos, &t, &err), 1);
	assert_int_equal(cf_xml_attr_next(d, &t, &i, &a), 1);
	assert_memory_equal(d + a.name, "protocol", a.name_end - a.name);
	assert_memory_equal(d + a.value, "https", a.value_end - a.value);
	assert_int_equal(a.quote, '"');
	assert_int_equal(cf_xml_attr_next(d, &t, &i, &a), 1);
	assert_memory_equal(d + a.name, "sslFlags", a.name_end - a.name);
	assert_int_equal(a.value_end - a.value, 1);
	assert_int_equal(d[a.value], '3');
	assert_int_equal(a.quote, '\'');
	assert_int_equal(cf_xml_attr_next(d, &t, &i, &a), 1);
	assert_int_equal(a.value_end, a.value);
	assert_int_equal(cf_xml_attr_next(d, &t, &i, &a), 0);

	pos = i = 0;
	assert_int_equal(cf_xml_next_tag(bad, strlen(bad), &pos, &t, &err), 1);
	assert_int_equal(cf_xml_attr_next(bad, &t, &i, &a), -1);
}

static void
test_layout(void **state)
{
	const char *d = "<a>\r\n    <b/>\r\n  x <c/>\n";
	struct cf_buf b;
	size_t s, e, off = (size_t)(strstr(d, "<b/>") - d);

	assert_int_equal(cf_xml_line_start(d, off), 5);
	assert_int_equal(cf_xml_indent_of(d, off, &s, &e), 1);
	assert_int_equal(s, 5);
	assert_int_equal(e, off);
	assert_int_equal(cf_xml_indent_of(d, (size_t)(strstr(d, "<c/>") - d),
			 &s, &e), 0);
	assert_string_equal(cf_xml_newline_at(d, strlen(d), 0), "\r\n");
	assert_string_equal(cf_xml_newline_at(d, strlen(d), strlen(d) - 2),
			    "\n");
	assert_string_equal(cf_xml_newline_at("<a/>", 4, 0), "\n");

	cf_buf_init(&b, 1024);
	assert_int_equal(cf_xml_append_escaped(&b, "a&b<c>\"d'"), CF_OK);
	assert_int_equal(cf_buf_append(&b, "", 1), CF_OK);
	assert_string_equal(b.data, "a&amp;b&lt;c&gt;&quot;d'");
	cf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
