/* problem.c - formatting ACME problem documents (RFC 8555 §6.7, RFC 7807)
 * for people, and advice for the ones CAs are known to give. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Case-insensitive "does hay contain needle" (ASCII). */
static int
has_word(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* Does the message say that the key id is unknown to the CA? */
static int
says_unknown_kid(const char *m)
{
	int about_kid = has_word(m, "kid") || has_word(m, "key id") ||
			has_word(m, "keyid") || has_word(m, "key identifier");

	return about_kid &&
	       (has_word(m, "not known") || has_word(m, "unknown") ||
		has_word(m, "not found") || has_word(m, "no such") ||
		has_word(m, "does not exist"));
}

void
cf_acme_eab_advice(struct cf_err *err, int sent_eab, const char *kid)
{
	const char *m = err->msg;

	if (strstr(m, "externalAccountRequired") != NULL ||
	    (!sent_eab && strstr(m, "externalAccountBinding") != NULL)) {
		cf_err_wrap(err, "the CA requires External Account Binding: give "
			    "--eab-kid and --eab-hmac-key-file (or "
			    "CERTFERRY_EAB_KID and CERTFERRY_EAB_HMAC_KEY) with "
			    "the values the CA handed out");
		return;
	}
	if (!sent_eab)
		return;
	if (has_word(m, "already") || has_word(m, "in use") ||
	    has_word(m, "used"))
		cf_err_wrap(err, "this EAB key id is already bound to another "
			    "account: ask the CA for a new EAB or enable EAB reuse");
	else if (says_unknown_kid(m))
		cf_err_wrap(err, "the CA does not know the EAB key id '%s': give "
			    "--eab-kid (or CERTFERRY_EAB_KID) exactly as the CA "
			    "showed it (the key id, not the HMAC key), for this "
			    "--server; or ask the CA for a new EAB",
			    kid && *kid ? kid : "?");
	else if (has_word(m, "mac") ||
		 has_word(m, "verif") ||
		 has_word(m, "signature"))
		cf_err_wrap(err, "the CA rejected the EAB HMAC: the HMAC key must "
			    "be the base64url text the CA showed, for this key id");
}
