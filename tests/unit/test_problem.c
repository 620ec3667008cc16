/* test_problem.c - formatting ACME problem documents for people */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme/acme.h"

#define ERR "urn:ietf:params:acme:error:"

struct prob_case {
	const char *label;
	const char *json;
	const char *want;
};

static const struct prob_case prob_cases[] = {
	{ "type and detail",
	  "{\"type\":\"" ERR "malformed\",\"detail\":\"bad JWS\",\"status\":400}",
	  ERR "malformed: bad JWS" },
	{ "missing detail", "{\"type\":\"" ERR "badNonce\"}", ERR "badNonce" },
	{ "missing type", "{\"detail\":\"something broke\"}",
	  "(no type): something broke" },
	{ "neither", "{}", "(no type)" },
	{ "type not a string", "{\"type\":42,\"detail\":\"d\"}",
	  "(no type): d" },
	{ "subproblems with identifiers",
	  "{\"type\":\"" ERR "rejectedIdentifier\",\"detail\":\"some names\","
	  "\"subproblems\":[{\"type\":\"" ERR "caa\",\"detail\":\"CAA forbids\","
	  "\"identifier\":{\"type\":\"dns\",\"value\":\"a.example\"}},"
	  "{\"type\":\"" ERR "dns\",\"detail\":\"NXDOMAIN\","
	  "\"identifier\":{\"type\":\"dns\",\"value\":\"b.example\"}}]}",
	  ERR "rejectedIdentifier: some names [a.example: " ERR
	  "caa: CAA forbids; b.example: " ERR "dns: NXDOMAIN]" },
	{ "one subproblem without identifier",
	  "{\"type\":\"" ERR "compound\",\"subproblems\":[{\"type\":\"" ERR
	  "x\"}]}",
	  ERR "compound [" ERR "x]" },
	{ "identifier without value",
	  "{\"type\":\"t\",\"subproblems\":[{\"type\":\"u\",\"identifier\":{}}]}",
	  "t [: u]" },
	{ "empty subproblems", "{\"type\":\"t\",\"subproblems\":[]}", "t" },
	{ "subproblems not an array", "{\"type\":\"t\",\"subproblems\":{}}",
	  "t" },
	{ "control characters in detail",
	  "{\"type\":\"t\",\"detail\":\"a\\nb\\rc\\u001b[31md\\u007fe\\tf\"}",
	  "t: a\\x0ab\\x0dc\\x1b[31md\\x7fe\\x09f" },
	{ "control characters in type and identifier",
	  "{\"type\":\"t\\n\",\"subproblems\":[{\"type\":\"u\","
	  "\"identifier\":{\"value\":\"x\\u001by\"}}]}",
	  "t\\x0a [x\\x1by: u]" },
	{ "UTF-8 kept", "{\"type\":\"t\",\"detail\":\"caf\\u00e9\"}",
	  "t: caf\xc3\xa9" },
};

static void
format_json(const char *text, char *buf, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON '%s': %s", text, jerr.text);
	cf_acme_problem_format(j, buf, len);
	json_decref(j);
}

static void
test_format_table(void **state)
{
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(prob_cases) / sizeof(prob_cases[0]); i++) {
		const struct prob_case *c = &prob_cases[i];

		memset(buf, 'Z', sizeof(buf));
		format_json(c->json, buf, sizeof(buf));
		if (strcmp(buf, c->want) != 0)
			fail_msg("%s: got '%s', want '%s'", c->label, buf, c->want);
	}
}

static void
test_non_object(void **state)
{
	const char *inputs[] = { "[1,2]", "\"text\"", "42", "null" };
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		format_json(inputs[i], buf, sizeof(buf));
		assert_string_equal(buf, "(no problem document)");
	}
	cf_acme_problem_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "(no problem document)");
}

/* Every buffer size from 1 up: NUL-terminated inside len, nothing written
 * past it, and the text a prefix of the full one. */
static void
test_truncation(void **state)
{
	const char *docs[] = {
		prob_cases[5].json,   /* subproblems */
		prob_cases[10].json,  /* escapes */
		"[]",                 /* non-object */
	};
	char full[1024], buf[1024 + 16];

	(void)state;
	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		size_t flen;

		format_json(docs[d], full, sizeof(full));
		flen = strlen(full);
		assert_true(flen > 10);
		for (size_t len = 1; len <= flen + 2; len++) {
			memset(buf, 'Z', sizeof(buf));
			format_json(docs[d], buf, len);
			if (strnlen(buf, len) >= len)
				fail_msg("doc %zu len %zu: not NUL-terminated", d,
					 len);
			for (size_t k = len; k < sizeof(buf); k++)
				if (buf[k] != 'Z')
					fail_msg("doc %zu len %zu: wrote byte %zu",
						 d, len, k);
			if (strncmp(buf, full, strlen(buf)) != 0)
				fail_msg("doc %zu len %zu: '%s' not a prefix of '%s'",
					 d, len, buf, full);
			/* A escape is never cut in half. */
			const char *bs = strrchr(buf, '\\');
			if (bs != NULL && strlen(bs) < 4)
				fail_msg("doc %zu len %zu: half an escape '%s'", d,
					 len, bs);
			if (len > flen)
				assert_string_equal(buf, full);
		}
	}
}

static void
test_zero_length_untouched(void **state)
{
	char buf[4] = "abc";

	(void)state;
	format_json("{\"type\":\"t\"}", buf, 0);
	assert_string_equal(buf, "abc");
}

/* Advice for the EAB failures of newAccount: which advice each CA
 * message gets (a prefix of the wrapped message), "" for none. */
static const struct {
	const char *label;
	int sent_eab;
	const char *msg;
	const char *want_prefix;
} eab_cases[] = {
	{ "EAB required, none sent", 0,
	  ERR "externalAccountRequired: EAB required",
	  "the CA requires External Account Binding" },
	{ "binding missing, none sent", 0,
	  ERR "malformed: externalAccountBinding missing",
	  "the CA requires External Account Binding" },
	{ "Pebble unknown kid", 1,
	  ERR "unauthorized: the field 'kid' references a key that is not "
	  "known to the ACME server",
	  "the CA does not know the EAB key id 'kid-x': give --eab-kid" },
	{ "key identifier not found", 1,
	  ERR "unauthorized: EAB key identifier not found",
	  "the CA does not know the EAB key id 'kid-x'" },
	{ "unknown kid", 1, ERR "malformed: unknown kid",
	  "the CA does not know the EAB key id 'kid-x'" },
	{ "kid already bound", 1,
	  ERR "unauthorized: EAB kid already used by another account",
	  "this EAB key id is already bound" },
	{ "wrong HMAC", 1,
	  ERR "unauthorized: JWS verification error",
	  "the CA rejected the EAB HMAC" },
	{ "bad MAC", 1, ERR "malformed: bad MAC", "the CA rejected the EAB HMAC" },
	{ "unrelated, EAB sent", 1, ERR "rejectedIdentifier: no", "" },
	{ "unknown kid, no EAB sent", 0,
	  ERR "unauthorized: unknown kid", "" },
};

static void
test_eab_advice(void **state)
{
	struct cf_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(eab_cases) / sizeof(eab_cases[0]); i++) {
		cf_err_set(&err, CF_ERR_ACME, "%s", eab_cases[i].msg);
		cf_acme_eab_advice(&err, eab_cases[i].sent_eab, "kid-x");
		assert_int_equal(err.rc, CF_ERR_ACME);
		if (*eab_cases[i].want_prefix == '\0') {
			if (strcmp(err.msg, eab_cases[i].msg) != 0)
				fail_msg("%s: unexpected advice '%s'",
					 eab_cases[i].label, err.msg);
			continue;
		}
		if (strncmp(err.msg, eab_cases[i].want_prefix,
			    strlen(eab_cases[i].want_prefix)) != 0 ||
		    strstr(err.msg, eab_cases[i].msg) == NULL)
			fail_msg("%s: got '%s'", eab_cases[i].label, err.msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_non_object),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_zero_length_untouched),
		cmocka_unit_test(test_eab_advice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
