/* problem.c - formatting ACME problem documents (RFC 8555 §6.7, RFC 7807) */
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"

/* Append s to buf with control characters escaped (UTF-8 is kept). */
static void
append_escaped(char *buf, size_t len, size_t *pos, const char *s)
{
	int cut;

	*pos += cf_escape_ctl(buf + *pos, len - *pos, s, &cut);
	/* Cut short: mark the buffer full so no separator follows. */
	if (cut)
		*pos = len - 1;
}

static void
append_raw(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= len)
		n = len - *pos - 1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

static void
format_one(json_t *p, char *buf, size_t len, size_t *pos)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	json_t *id = json_object_get(p, "identifier");

	if (id != NULL) {
		append_escaped(buf, len, pos,
			       json_string_value(json_object_get(id, "value")));
		append_raw(buf, len, pos, ": ");
	}
	append_escaped(buf, len, pos, type ? type : "(no type)");
	if (detail != NULL) {
		append_raw(buf, len, pos, ": ");
		append_escaped(buf, len, pos, detail);
	}
}

void
cf_acme_problem_format(json_t *problem, char *buf, size_t len)
{
	json_t *subs, *sp;
	size_t pos = 0, i;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (!json_is_object(problem)) {
		append_raw(buf, len, &pos, "(no problem document)");
		return;
	}
	format_one(problem, buf, len, &pos);
	subs = json_object_get(problem, "subproblems");
	json_array_foreach(subs, i, sp) {
		append_raw(buf, len, &pos, i == 0 ? " [" : "; ");
		format_one(sp, buf, len, &pos);
		if (i + 1 == json_array_size(subs))
			append_raw(buf, len, &pos, "]");
	}
}
