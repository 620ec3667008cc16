/* test_time.c - civil dates, RFC 3339 timestamps, the wall clock */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

/* ---- RFC 3339 ---- */

struct ts_case {
	const char *label;
	const char *s;
	cf_rc want_rc;
	time_t want;
};

static const struct ts_case ts_cases[] = {
	{ "Z", "2026-11-29T10:00:00Z", CF_OK, 1795946400 },
	{ "lower z and t", "2026-11-29t10:00:00z", CF_OK, 1795946400 },
	{ "space separator", "2026-11-29 10:00:00Z", CF_OK, 1795946400 },
	{ "epoch", "1970-01-01T00:00:00Z", CF_OK, 0 },
	{ "fraction", "2026-11-29T10:00:00.123456789Z", CF_OK, 1795946400 },
	{ "one-digit fraction", "2026-11-29T10:00:00.5Z", CF_OK, 1795946400 },
	{ "+01:00", "2026-11-29T11:00:00+01:00", CF_OK, 1795946400 },
	{ "-05:30", "2026-11-29T04:30:00-05:30", CF_OK, 1795946400 },
	{ "+00:00", "2026-11-29T10:00:00+00:00", CF_OK, 1795946400 },
	{ "fraction and offset", "2026-11-29T12:00:00.25+02:00", CF_OK,
	  1795946400 },
	{ "offset crosses midnight", "2026-11-30T00:30:00+14:30", CF_OK,
	  1795946400 },
	{ "leap day", "2024-02-29T12:00:00Z", CF_OK, 1709208000 },
	{ "after a century leap day", "2000-03-01T00:00:00Z", CF_OK,
	  951868800 },
	{ "end of the century", "2099-12-31T23:59:59Z", CF_OK, 4102444799 },
	{ "month 13", "2026-13-01T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "month 0", "2026-00-10T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "day 0", "2026-01-00T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "day 32", "2026-01-32T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "31 April", "2026-04-31T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "30 February", "2024-02-30T00:00:00Z", CF_ERR_PROTO, 0 },
	{ "29 February, not a leap year", "2025-02-29T00:00:00Z",
	  CF_ERR_PROTO, 0 },
	{ "29 February 1900-style century", "2100-02-29T00:00:00Z",
	  CF_ERR_PROTO, 0 },
	{ "hour 24", "2026-11-29T24:00:00Z", CF_ERR_PROTO, 0 },
	{ "minute 60", "2026-11-29T10:60:00Z", CF_ERR_PROTO, 0 },
	{ "second 61", "2026-11-29T10:00:61Z", CF_ERR_PROTO, 0 },
	{ "missing zone", "2026-11-29T10:00:00", CF_ERR_PROTO, 0 },
	{ "named zone", "2026-11-29T10:00:00 UTC", CF_ERR_PROTO, 0 },
	{ "trailing junk", "2026-11-29T10:00:00Zjunk", CF_ERR_PROTO, 0 },
	{ "empty fraction", "2026-11-29T10:00:00.Z", CF_ERR_PROTO, 0 },
	{ "offset without minutes", "2026-11-29T10:00:00+01", CF_ERR_PROTO,
	  0 },
	{ "offset hour 24", "2026-11-29T10:00:00+24:00", CF_ERR_PROTO, 0 },
	{ "offset minute 60", "2026-11-29T10:00:00+01:60", CF_ERR_PROTO, 0 },
	{ "bad separator", "2026-11-29X10:00:00Z", CF_ERR_PROTO, 0 },
	{ "date only", "2026-11-29", CF_ERR_PROTO, 0 },
	{ "empty", "", CF_ERR_PROTO, 0 },
	{ "words", "tomorrow", CF_ERR_PROTO, 0 },
	{ "before 1970", "1969-12-31T23:59:59Z", CF_ERR_PROTO, 0 },
};

static void
test_rfc3339_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
		const struct ts_case *c = &ts_cases[i];
		time_t t = (time_t)-7;
		cf_rc rc = cf_rfc3339_parse(c->s, &t);

		if (rc != c->want_rc || (rc == CF_OK && t != c->want))
			fail_msg("%s: '%s' gave rc %d, %lld (want rc %d, %lld)",
				 c->label, c->s, rc, (long long)t, c->want_rc,
				 (long long)c->want);
		if (rc != CF_OK && t != (time_t)-7)
			fail_msg("%s: output written on error", c->label);
	}
	assert_int_equal(cf_rfc3339_parse(NULL, &(time_t){ 0 }), CF_ERR_PROTO);
}

static void
test_rfc3339_round_trip(void **state)
{
	const time_t ts[] = { 0, 951868800, 1709208000, 1795946400,
			      1795946400 + 59, 4102444799 };
	char out[32];
	time_t back;

	(void)state;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		cf_rfc3339_format(ts[i], out);
		assert_int_equal(strlen(out), 20);
		assert_int_equal(out[19], 'Z');
		assert_int_equal(cf_rfc3339_parse(out, &back), CF_OK);
		assert_int_equal(back, ts[i]);
	}
	cf_rfc3339_format(1795946400, out);
	assert_string_equal(out, "2026-11-29T10:00:00Z");
	cf_rfc3339_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
}

/* ---- clock ---- */

static int
is_clock(const char *s)
{
	if (strlen(s) != 8 || s[2] != ':' || s[5] != ':')
		return 0;
	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 5 && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static void
test_clock_format(void **state)
{
	char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	char out[32];

	(void)state;
	setenv("TZ", "UTC0", 1);
	tzset();
	cf_clock_format(1795946400, out);
	assert_string_equal(out, "10:00:00");
	cf_clock_format(1795946400 + 3 * 3600 + 4 * 60 + 5, out);
	assert_string_equal(out, "13:04:05");
	cf_clock_format(1795946400 + 14 * 3600 - 1, out);
	assert_string_equal(out, "23:59:59");
	/* Local time: a zone two hours east of UTC (POSIX sign). */
	setenv("TZ", "XET-2", 1);
	tzset();
	cf_clock_format(1795946400, out);
	assert_string_equal(out, "12:00:00");
	cf_clock_format(time(NULL), out);
	assert_true(is_clock(out));

	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_table),
		cmocka_unit_test(test_rfc3339_round_trip),
		cmocka_unit_test(test_clock_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
