/* test_renewal.c - renewal definitions and due-time rules (injected clock) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/renewal.h"
#include "http/headers.h"

#define DAY 86400L
/* A fixed "now": 2026-01-01T00:00:00Z. */
#define T0 ((time_t)1767225600)

static void
make_renewal(struct cf_renewal *r, time_t nb, time_t na)
{
	memset(r, 0, sizeof(*r));
	r->spec.name = strdup("www.example.test");
	r->spec.directory_url = strdup("https://ca.test/dir");
	r->spec.names = calloc(2, sizeof(char *));
	r->spec.names[0] = strdup("www.example.test");
	r->spec.nnames = 1;
	r->spec.validation.dns_propagation_timeout = -1;
	r->state = CF_REN_ACTIVE;
	if (na != 0)
		assert_int_equal(cf_renewal_set_current(r, "0a1b", nb, na,
							"aki.serial", NULL),
				 CF_OK);
}

/* Table: the lifetime rule, --renew-before, state, force, backoff. */
struct due_case {
	const char *label;
	long lifetime_days;      /* not_before = T0 - age, not_after = +lifetime */
	long age_days;
	long spec_before_days;   /* spec.renew_before_days */
	long override_days;      /* renew --renew-before */
	int force;
	enum cf_renewal_state state;
	long retry_in_s;         /* retry_not_before = T0 + this (0: none) */
	int failures;
	int want_due;
	const char *want_why;    /* substring */
};

static const struct due_case due_cases[] = {
	{ "90-day cert, 30 days old: not due", 90, 30, 0, 0, 0, CF_REN_ACTIVE,
	  0, 0, 0, "third of the lifetime" },
	{ "90-day cert, 60 days old: due (1/3 left)", 90, 60, 0, 0, 0,
	  CF_REN_ACTIVE, 0, 0, 1, "third of the lifetime" },
	{ "90-day cert, 59 days old: not yet", 90, 59, 0, 0, 0, CF_REN_ACTIVE,
	  0, 0, 0, "third" },
	{ "6-day cert, 4 days old: due", 6, 4, 0, 0, 0, CF_REN_ACTIVE, 0, 0, 1,
	  "third" },
	{ "spec --renew-before 10, 75 of 90 days: not due", 90, 75, 10, 0, 0,
	  CF_REN_ACTIVE, 0, 0, 0, "10 days before expiry" },
	{ "spec --renew-before 10, 81 of 90 days: due", 90, 81, 10, 0, 0,
	  CF_REN_ACTIVE, 0, 0, 1, "10 days before expiry" },
	{ "run --renew-before 3000 on a 5-year cert: due", 1826, 1, 0, 3000, 0,
	  CF_REN_ACTIVE, 0, 0, 1, "--renew-before 3000" },
	{ "run override beats spec", 90, 10, 5, 85, 0, CF_REN_ACTIVE, 0, 0, 1,
	  "--renew-before 85" },
	{ "force", 90, 1, 0, 0, 1, CF_REN_ACTIVE, 0, 0, 1, "forced" },
	{ "cancelled never, even forced", 90, 89, 0, 0, 1, CF_REN_CANCELLED, 0,
	  0, 0, "cancelled" },
	{ "revoked never", 90, 89, 0, 0, 0, CF_REN_REVOKED, 0, 0, 0, "revoked" },
	{ "backing off after a failure", 90, 89, 0, 0, 0, CF_REN_ACTIVE, 600, 2,
	  0, "backing off after 2 failed attempts" },
	{ "backoff over: due again", 90, 89, 0, 0, 0, CF_REN_ACTIVE, -1, 2, 1,
	  "third" },
	{ "CA's Retry-After (pending)", 90, 89, 0, 0, 0, CF_REN_ACTIVE, 3600, 0,
	  0, "the CA asked to wait" },
	{ "force beats backoff", 90, 1, 0, 0, 1, CF_REN_ACTIVE, 3600, 3, 1,
	  "forced" },
};

static void
test_due_table(void **unused)
{
	for (size_t i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++) {
		const struct due_case *c = &due_cases[i];
		struct cf_renewal r;
		struct cf_due d;
		time_t nb = T0 - c->age_days * DAY;

		make_renewal(&r, nb, nb + c->lifetime_days * DAY);
		r.spec.renew_before_days = c->spec_before_days;
		r.state = c->state;
		r.failures = c->failures;
		if (c->retry_in_s != 0)
			r.retry_not_before = T0 + c->retry_in_s;
		cf_renewal_due(&r, T0, c->force, c->override_days, &d);
		if (d.due != c->want_due || strstr(d.why, c->want_why) == NULL)
			fail_msg("%s: due=%d why='%s'", c->label, d.due, d.why);
		cf_renewal_free(&r);
	}
}

/* --renew-before is whole days up to 36500 (100 years): more days than the
 * certificate lives make it due from its start, a time that is saved and
 * read back (a due time before 1970 once made the definition unreadable). */
static void
test_renew_before_longer_than_lifetime(void **unused)
{
	char root[] = "/tmp/cf-test-renewal.XXXXXX";
	struct cf_state st = { 0 };
	struct cf_renewal r, back;
	struct cf_due d;

	assert_non_null(mkdtemp(root));
	assert_int_equal(cf_state_open(&st, root, NULL), CF_OK);
	make_renewal(&r, T0 - DAY, T0 + 90 * DAY);
	r.spec.renew_before_days = 36500;
	assert_int_equal(cf_renewal_lifetime_due(&r, 0), T0 - DAY);
	assert_int_equal(cf_renewal_lifetime_due(&r, 36500), T0 - DAY);
	assert_int_equal(cf_renewal_lifetime_due(&r, 30), T0 + 60 * DAY);
	assert_int_equal(cf_renewal_save(&st, &r, NULL), CF_OK);
	assert_int_equal(cf_renewal_load(&st, "www.example.test", &back, NULL),
			 CF_OK);
	assert_int_equal(back.spec.renew_before_days, 36500);
	cf_renewal_due(&back, T0, 0, 0, &d);
	assert_true(d.due);
	assert_non_null(strstr(d.why, "36500 days before expiry"));
	cf_renewal_free(&r);
	cf_renewal_free(&back);
	cf_state_rmtree(root);
	cf_state_close(&st);
}

static void
test_no_certificate_yet(void **unused)
{
	struct cf_renewal r;
	struct cf_due d;

	make_renewal(&r, 0, 0);
	cf_renewal_due(&r, T0, 0, 0, &d);
	assert_true(d.due);
	assert_non_null(strstr(d.why, "no certificate yet"));
	cf_renewal_free(&r);
}

static void
test_backoff(void **unused)
{
	struct cf_renewal r;
	static const struct { int failures; long want; } tab[] = {
		{ 1, 1800 }, { 2, 3600 }, { 3, 7200 }, { 4, 14400 },
		{ 6, 57600 }, { 7, 86400 }, { 50, 86400 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		assert_int_equal(cf_renewal_backoff_s(tab[i].failures), tab[i].want);
	make_renewal(&r, T0 - 80 * DAY, T0 + 10 * DAY);
	cf_renewal_note_failure(&r, T0, 0);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.retry_not_before, T0 + 1800);
	cf_renewal_note_failure(&r, T0, 0);
	assert_int_equal(r.retry_not_before, T0 + 3600);
	/* The CA's Retry-After wins when it is later. */
	cf_renewal_note_failure(&r, T0, T0 + 86400 * 2);
	assert_int_equal(r.failures, 3);
	assert_int_equal(r.retry_not_before, T0 + 86400 * 2);
	/* Success clears the failures. */
	assert_int_equal(cf_renewal_set_current(&r, "ff", T0, T0 + 90 * DAY,
						NULL, NULL), CF_OK);
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.retry_not_before, 0);
	assert_int_equal(r.next_due, T0 + 60 * DAY);
	cf_renewal_free(&r);
}

/* Table: ARI windows, the random pick, and Retry-After. */
struct ari_case {
	const char *label;
	long start_off, end_off;   /* window relative to T0 */
	double rnd;
	long retry_after;          /* -1: none */
	long want_selected_off;
	long want_next_check_off;
	int want_due_now;
};

static const struct ari_case ari_cases[] = {
	{ "window in the future, rnd 0", 10 * DAY, 12 * DAY, 0.0, 21600,
	  10 * DAY, 21600, 0 },
	{ "window in the future, rnd 0.5", 10 * DAY, 12 * DAY, 0.5, -1,
	  11 * DAY, CF_RENEWAL_ARI_DEFAULT_RETRY_S, 0 },
	{ "window started an hour ago, rnd 0", -3600, 3600, 0.0, 60, -3600, 60,
	  1 },
	{ "window entirely past: now", -7200, -60, 0.9, 100, 0, 100, 1 },
	{ "tiny Retry-After clamped to a minute", DAY, 2 * DAY, 0.0, 1, DAY,
	  CF_RENEWAL_ARI_MIN_RETRY_S, 0 },
	{ "huge Retry-After clamped to a week", DAY, 2 * DAY, 0.0, 86400 * 30,
	  DAY, CF_RENEWAL_ARI_MAX_RETRY_S, 0 },
};

static void
test_ari_table(void **unused)
{
	for (size_t i = 0; i < sizeof(ari_cases) / sizeof(ari_cases[0]); i++) {
		const struct ari_case *c = &ari_cases[i];
		struct cf_renewal r;
		struct cf_due d;

		/* A fresh 5-year certificate: the lifetime rule says no. */
		make_renewal(&r, T0 - DAY, T0 + 1826 * DAY);
		assert_true(cf_renewal_ari_check_due(&r, T0));
		cf_renewal_apply_ari(&r, T0, T0 + c->start_off, T0 + c->end_off,
				     c->retry_after, c->rnd);
		if (r.ari_selected != T0 + c->want_selected_off ||
		    r.ari_next_check != T0 + c->want_next_check_off)
			fail_msg("%s: selected %+ld next_check %+ld", c->label,
				 (long)(r.ari_selected - T0),
				 (long)(r.ari_next_check - T0));
		assert_false(cf_renewal_ari_check_due(&r, T0));
		assert_true(cf_renewal_ari_check_due(&r, r.ari_next_check));
		cf_renewal_due(&r, T0, 0, 0, &d);
		if (d.due != c->want_due_now || strstr(d.why, "renewal information") ==
							 NULL)
			fail_msg("%s: due=%d why=%s", c->label, d.due, d.why);
		cf_renewal_free(&r);
	}
}

static void
test_ari_keeps_selection(void **unused)
{
	struct cf_renewal r;
	time_t first;

	make_renewal(&r, T0 - DAY, T0 + 90 * DAY);
	cf_renewal_apply_ari(&r, T0, T0 + 10 * DAY, T0 + 20 * DAY, 100, 0.3);
	first = r.ari_selected;
	/* The same window again: no new roll of the dice. */
	cf_renewal_apply_ari(&r, T0 + 200, T0 + 10 * DAY, T0 + 20 * DAY, 100,
			     0.9);
	assert_int_equal(r.ari_selected, first);
	assert_int_equal(r.ari_next_check, T0 + 300);
	/* A moved window (the CA wants it early, e.g. a revocation event). */
	cf_renewal_apply_ari(&r, T0 + 400, T0 - DAY, T0 - 100, 100, 0.5);
	assert_int_equal(r.ari_selected, T0 + 400);
	/* A new certificate forgets the old ARI data. */
	assert_int_equal(cf_renewal_set_current(&r, "aa", T0, T0 + 90 * DAY,
						"x.y", NULL), CF_OK);
	assert_int_equal(r.ari_selected, 0);
	assert_true(cf_renewal_ari_check_due(&r, T0));
	cf_renewal_free(&r);
}

/* Issue 10: a window after the certificate's expiry must not postpone the
 * renewal past it; ARI only ever brings renewal earlier. */
static void
test_ari_never_past_lifetime(void **unused)
{
	struct cf_renewal r;
	struct cf_due d;

	/* 90 days, issued a day ago: the lifetime rule says day 60. */
	make_renewal(&r, T0 - DAY, T0 + 89 * DAY);
	cf_renewal_apply_ari(&r, T0, T0 + 100 * DAY, T0 + 101 * DAY, 3600, 0.5);
	assert_int_equal(r.next_due, T0 + 59 * DAY);
	cf_renewal_due(&r, T0, 0, 0, &d);
	assert_false(d.due);
	assert_int_equal(d.when, T0 + 59 * DAY);
	/* Before expiry, the certificate is due. */
	cf_renewal_due(&r, T0 + 59 * DAY, 0, 0, &d);
	assert_true(d.due);
	assert_non_null(strstr(d.why, "later than the lifetime rule"));
	cf_renewal_due(&r, T0 + 88 * DAY, 0, 0, &d);
	assert_true(d.due);
	/* A window before the lifetime rule still wins. */
	cf_renewal_apply_ari(&r, T0, T0 + 10 * DAY, T0 + 11 * DAY, 3600, 0.0);
	assert_int_equal(r.next_due, T0 + 10 * DAY);
	cf_renewal_due(&r, T0 + 10 * DAY, 0, 0, &d);
	assert_true(d.due);
	assert_int_equal(d.when, T0 + 10 * DAY);
	cf_renewal_free(&r);
}

static void
test_history_bounded(void **unused)
{
	struct cf_renewal r;

	make_renewal(&r, T0, T0 + 90 * DAY);
	for (int i = 0; i < CF_RENEWAL_HISTORY_MAX + 7; i++) {
		char serial[16];
		snprintf(serial, sizeof(serial), "%02x", i);
		assert_int_equal(cf_renewal_add_event(&r, T0 + i, "renew", "ok",
						      serial, T0, NULL, NULL),
				 CF_OK);
	}
	assert_int_equal(r.nhistory, CF_RENEWAL_HISTORY_MAX);
	assert_string_equal(r.history[0].serial, "07");
	assert_string_equal(r.history[CF_RENEWAL_HISTORY_MAX - 1].serial, "1a");
	cf_renewal_free(&r);
}

static void
test_save_load_roundtrip(void **unused)
{
	char root[] = "/tmp/cf-test-renewal.XXXXXX";
	struct cf_state st = { 0 };
	struct cf_renewal r, back;
	char **names = NULL, path[512];
	size_t n = 0;
	struct stat sb;

	assert_non_null(mkdtemp(root));
	assert_int_equal(cf_state_open(&st, root, NULL), CF_OK);
	assert_int_equal(cf_renewal_load(&st, "www.example.test", &back, NULL),
			 CF_ERR_NOTFOUND);
	make_renewal(&r, T0 - DAY, T0 + 90 * DAY);
	r.account_url = strdup("https://ca.test/acct/1");
	r.spec.renew_before_days = 7;
	cf_renewal_apply_ari(&r, T0, T0 + DAY, T0 + 2 * DAY, 600, 0.25);
	{
		char *const chains[] = { (char *)"Root A", (char *)"Root B" };
		assert_int_equal(cf_renewal_set_chains(&r, chains, 2, 1, NULL),
				 CF_OK);
	}
	cf_renewal_note_failure(&r, T0, 0);
	assert_int_equal(cf_renewal_add_event(&r, T0, "renew", "failed", NULL, 0,
					      "urn:ietf:params:acme:error:x: y",
					      NULL), CF_OK);
	assert_int_equal(cf_renewal_save(&st, &r, NULL), CF_OK);
	snprintf(path, sizeof(path), "%s/renewals/www.example.test.json", root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(cf_renewal_load(&st, "www.example.test", &back, NULL),
			 CF_OK);
	assert_string_equal(back.spec.name, "www.example.test");
	assert_string_equal(back.account_url, "https://ca.test/acct/1");
	assert_string_equal(back.serial, "0a1b");
	assert_string_equal(back.ari_cert_id, "aki.serial");
	assert_int_equal(back.not_after, r.not_after);
	assert_int_equal(back.ari_selected, r.ari_selected);
	assert_int_equal(back.ari_next_check, T0 + 600);
	assert_int_equal(back.retry_not_before, r.retry_not_before);
	assert_int_equal(back.failures, 1);
	assert_int_equal(back.spec.renew_before_days, 7);
	assert_int_equal(back.nhistory, 1);
	assert_string_equal(back.history[0].outcome, "failed");
	assert_int_equal(back.nchains, 2);
	assert_string_equal(back.chains[0], "Root A");
	assert_string_equal(back.chains[1], "Root B");
	assert_int_equal(back.chain, 1);
	assert_int_equal(cf_renewal_list(&st, &names, &n, NULL), CF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "www.example.test");
	free(names[0]);
	free(names);
	assert_int_equal(cf_renewal_remove(&st, "www.example.test", NULL), CF_OK);
	assert_int_equal(cf_renewal_list(&st, &names, &n, NULL), CF_OK);
	assert_int_equal(n, 0);
	free(names);
	cf_renewal_free(&r);
	cf_renewal_free(&back);
	cf_state_rmtree(root);
	cf_state_close(&st);
}

static void
test_bad_version(void **unused)
{
	json_t *j = json_pack("{s:i}", "version", 99);
	struct cf_renewal r;
	struct cf_err err = { 0 };

	assert_int_equal(cf_renewal_from_json(j, &r, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "version"));
	cf_renewal_free(&r);
	json_decref(j);
}

/* A spec that takes every host from IIS sites (no -d names) round-trips. */
static void
test_iis_only_spec_roundtrip(void **unused)
{
	struct cf_cert_spec s, back;
	json_t *j = NULL;

	memset(&s, 0, sizeof(s));
	s.name = strdup("site1");
	s.directory_url = strdup("https://ca.test/dir");
	s.validation.dns_propagation_timeout = -1;
	s.iis.config = strdup("/srv/applicationHost.config");
	s.iis.sites = calloc(2, sizeof(char *));
	s.iis.sites[0] = strdup("Default Web Site");
	s.iis.nsites = 1;
	assert_int_equal(cf_spec_to_json(&s, &j, NULL), CF_OK);
	assert_int_equal(cf_spec_from_json(j, &back, NULL), CF_OK);
	assert_int_equal(back.nnames, 0);
	assert_string_equal(back.iis.sites[0], "Default Web Site");
	json_decref(j);
	cf_spec_free(&s);
	cf_spec_free(&back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_no_certificate_yet),
		cmocka_unit_test(test_renew_before_longer_than_lifetime),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_ari_table),
		cmocka_unit_test(test_ari_keeps_selection),
		cmocka_unit_test(test_ari_never_past_lifetime),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_save_load_roundtrip),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_iis_only_spec_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
