/* test_acme_retry.c - the retry policy's decisions (acme/retry.h), by table:
 * a change of any rule fails a row here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "acme/retry.h"

#define NOW ((time_t)1700000000) /* Tue, 14 Nov 2023 22:13:20 GMT */
#define WEEK 604800L

/* ---- backoff: growth, cap, jitter ---- */

struct backoff_case {
	int attempt;
	unsigned r16;
	long want_ms;
};

static const struct backoff_case backoff_cases[] = {
	/* r16 % 1000 == 500: no jitter; the base doubles from 1 s */
	{ 1, 500, 1000 },  { 2, 500, 2000 },   { 3, 500, 4000 },
	{ 4, 500, 8000 },  { 5, 500, 16000 },
	/* capped at 30 s from the sixth retry on */
	{ 6, 500, 30000 }, { 7, 500, 30000 },  { 40, 500, 30000 },
	/* jitter: -25% .. +25% of the base */
	{ 1, 0, 750 },     { 1, 999, 1249 },   { 4, 0, 6000 },
	{ 4, 999, 9996 },  { 6, 0, 22500 },    { 6, 999, 37485 },
	/* only r16 % 1000 counts, and only its low 16 bits */
	{ 1, 1500, 1000 }, { 1, 65535, 1017 }, { 1, 0x10000 + 500, 1000 },
};

static void
test_backoff(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(backoff_cases) / sizeof(backoff_cases[0]);
	     i++) {
		const struct backoff_case *c = &backoff_cases[i];
		long got = cf_retry_backoff_ms(c->attempt, c->r16);
		if (got != c->want_ms)
			fail_msg("attempt %d r16 %u: %ld ms, want %ld", c->attempt,
				 c->r16, got, c->want_ms);
	}
}

/* ---- Retry-After: seconds, HTTP-date, past, huge, junk ---- */

struct ra_case {
	const char *value;
	long want;
};

static const struct ra_case ra_cases[] = {
	{ NULL, -1 },
	{ "", -1 },
	{ "soon", -1 },
	{ "-5", -1 },
	{ "12abc", -1 },
	{ "0", 0 },
	{ "120", 120 },
	{ " 7 ", 7 },
	{ "604800", WEEK },
	{ "604801", WEEK },             /* at most a week */
	{ "99999999999999999999", WEEK },
	{ "Tue, 14 Nov 2023 22:14:50 GMT", 90 },     /* IMF-fixdate */
	{ "Tuesday, 14-Nov-23 22:14:50 GMT", 90 },   /* RFC 850 */
	{ "Tue Nov 14 22:14:50 2023", 90 },          /* asctime */
	{ "Tue, 14 Nov 2023 22:13:20 GMT", 0 },      /* now */
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 0 },      /* past */
	{ "Fri, 14 Nov 2025 22:13:20 GMT", WEEK },   /* far future */
};

static void
test_retry_after(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ra_cases) / sizeof(ra_cases[0]); i++) {
		long got = cf_retry_after_s(ra_cases[i].value, NOW);
		if (got != ra_cases[i].want)
			fail_msg("Retry-After \"%s\": %ld, want %ld",
				 ra_cases[i].value ? ra_cases[i].value : "(null)",
				 got, ra_cases[i].want);
	}
}

static void
test_bad_nonce_type(void **state)
{
	(void)state;
	assert_true(cf_retry_is_bad_nonce("urn:ietf:params:acme:error:badNonce"));
	assert_false(cf_retry_is_bad_nonce(NULL));
	assert_false(cf_retry_is_bad_nonce("urn:ietf:params:acme:error:malformed"));
	assert_false(cf_retry_is_bad_nonce("urn:ietf:params:acme:error:badnonce"));
	assert_false(cf_retry_is_bad_nonce("badNonce"));
}

/* ---- which answers are which kind ---- */

struct kind_case {
	cf_rc rc;
	long status;
	long ra;
	enum cf_retry_kind want;
};

static const struct kind_case kind_cases[] = {
	{ CF_OK, 200, -1, CF_RETRY_K_SUCCESS },
	{ CF_OK, 201, -1, CF_RETRY_K_SUCCESS },
	{ CF_OK, 204, 5, CF_RETRY_K_SUCCESS },
	{ CF_OK, 299, -1, CF_RETRY_K_SUCCESS },
	{ CF_ERR_NET, 0, -1, CF_RETRY_K_NET },
	{ CF_ERR_TLS, 0, -1, CF_RETRY_K_LOCAL },
	{ CF_ERR_USAGE, 0, -1, CF_RETRY_K_LOCAL },
	{ CF_ERR_PROTO, 0, -1, CF_RETRY_K_LOCAL },
	{ CF_ERR_NOMEM, 0, -1, CF_RETRY_K_LOCAL },
	{ CF_OK, 429, -1, CF_RETRY_K_LIMITED },
	{ CF_OK, 429, 30, CF_RETRY_K_LIMITED },
	{ CF_OK, 503, 0, CF_RETRY_K_LIMITED },
	{ CF_OK, 503, -1, CF_RETRY_K_SERVER },
	{ CF_OK, 500, -1, CF_RETRY_K_SERVER },
	{ CF_OK, 500, 10, CF_RETRY_K_SERVER },
	{ CF_OK, 502, -1, CF_RETRY_K_SERVER },
	{ CF_OK, 504, -1, CF_RETRY_K_SERVER },
	{ CF_OK, 501, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 505, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 300, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 302, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 400, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 403, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 404, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 408, -1, CF_RETRY_K_REFUSED },
	{ CF_OK, 199, -1, CF_RETRY_K_REFUSED },
};

static void
test_classify(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		struct cf_retry_answer ans = { c->rc, c->status, 0, c->ra };
		enum cf_retry_kind got = cf_retry_classify(&ans);
		if (got != c->want)
			fail_msg("rc %s status %ld Retry-After %ld: kind %d, want %d",
				 cf_rc_name(c->rc), c->status, c->ra, (int)got,
				 (int)c->want);
	}
}

/* ---- one decision ---- */

static unsigned jitter_calls;

/* The jitter source of the tests: no jitter (500 % 1000 - 500 == 0). */
static unsigned
no_jitter(void *ctx)
{
	(void)ctx;
	jitter_calls++;
	return 500;
}

struct decide_case {
	const char *label;
	int is_post, once, max_retries;
	int attempt, bad_nonce;          /* state before */
	cf_rc rc;
	long status;
	int prob_bad_nonce;
	long ra;
	long budget_left;
	enum cf_retry_action want;
	long want_wait_ms, want_hold_s;
	int want_attempt, want_bad_nonce; /* state after */
};

#define A(x) CF_RETRY_##x

static const struct decide_case decide_cases[] = {
	{ "2xx is done", 1, 0, 5, 0, 0, CF_OK, 200, 0, -1, 300,
	  A(DONE), 0, -1, 0, 0 },
	{ "201 is done too", 1, 0, 5, 2, 1, CF_OK, 201, 0, -1, 300,
	  A(DONE), 0, -1, 2, 1 },
	{ "untrusted TLS is final, never retried", 0, 0, 5, 0, 0,
	  CF_ERR_TLS, 0, 0, -1, 300, A(FINAL), 0, -1, 0, 0 },
	{ "a body over the cap is final", 0, 0, 5, 0, 0, CF_ERR_PROTO, 0,
	  0, -1, 300, A(FINAL), 0, -1, 0, 0 },
	{ "a bad --ca-bundle is final", 0, 0, 5, 0, 0, CF_ERR_USAGE, 0,
	  0, -1, 300, A(FINAL), 0, -1, 0, 0 },
	/* network errors */
	{ "network error: first retry after 1 s", 0, 0, 5, 0, 0, CF_ERR_NET,
	  0, 0, -1, 300, A(BACKOFF), 1000, -1, 1, 0 },
	{ "network error: third retry after 4 s", 1, 0, 5, 2, 0, CF_ERR_NET,
	  0, 0, -1, 300, A(BACKOFF), 4000, -1, 3, 0 },
	{ "network error: retries run out", 0, 0, 5, 5, 0, CF_ERR_NET, 0,
	  0, -1, 300, A(EXHAUSTED), 0, -1, 6, 0 },
	{ "network error: max_retries 0 never retries", 0, 0, 0, 0, 0,
	  CF_ERR_NET, 0, 0, -1, 300, A(EXHAUSTED), 0, -1, 1, 0 },
	{ "network error: backoff ends past the budget", 0, 0, 5, 3, 0,
	  CF_ERR_NET, 0, 0, -1, 8, A(NO_BUDGET), 8000, -1, 4, 0 },
	{ "network error: backoff ends just inside the budget", 0, 0, 5, 3,
	  0, CF_ERR_NET, 0, 0, -1, 9, A(BACKOFF), 8000, -1, 4, 0 },
	{ "network error, sent once: not retried", 1, 1, 5, 0, 0,
	  CF_ERR_NET, 0, 0, -1, 300, A(NOT_ONCE), 0, -1, 0, 0 },
	/* 5xx */
	{ "500: retried after 1 s", 1, 0, 5, 0, 0, CF_OK, 500, 0, -1, 300,
	  A(BACKOFF), 1000, -1, 1, 0 },
	{ "502: retried", 0, 0, 5, 1, 0, CF_OK, 502, 0, -1, 300,
	  A(BACKOFF), 2000, -1, 2, 0 },
	{ "503 without Retry-After: backoff", 0, 0, 5, 0, 0, CF_OK, 503, 0,
	  -1, 300, A(BACKOFF), 1000, -1, 1, 0 },
	{ "504: retried, growth capped at 30 s", 0, 0, 9, 7, 0, CF_OK, 504,
	  0, -1, 300, A(BACKOFF), 30000, -1, 8, 0 },
	{ "500 with Retry-After: exactly as asked", 0, 0, 5, 0, 0, CF_OK,
	  500, 0, 3, 300, A(BACKOFF), 3000, -1, 1, 0 },
	{ "500 with a huge Retry-After: past the budget", 0, 0, 5, 0, 0,
	  CF_OK, 500, 0, WEEK, 300, A(NO_BUDGET), WEEK * 1000, -1, 1, 0 },
	{ "500: retries run out", 0, 0, 5, 5, 0, CF_OK, 500, 0, -1, 300,
	  A(EXHAUSTED), 0, -1, 6, 0 },
	{ "500 of a request sent once: not retried", 1, 1, 5, 0, 0, CF_OK,
	  500, 0, -1, 300, A(NOT_ONCE), 0, -1, 0, 0 },
	{ "501 is not retried", 0, 0, 5, 0, 0, CF_OK, 501, 0, -1, 300,
	  A(REFUSED), 0, -1, 0, 0 },
	/* 4xx */
	{ "400 problem: refused", 1, 0, 5, 0, 0, CF_OK, 400, 0, -1, 300,
	  A(REFUSED), 0, -1, 0, 0 },
	{ "404: refused", 0, 0, 5, 0, 0, CF_OK, 404, 0, -1, 300,
	  A(REFUSED), 0, -1, 0, 0 },
	{ "403 with Retry-After: still refused", 1, 0, 5, 0, 0, CF_OK, 403,
	  0, 30, 300, A(REFUSED), 0, -1, 0, 0 },
	/* badNonce */
	{ "badNonce: again at once", 1, 0, 5, 0, 0, CF_OK, 400, 1, -1, 300,
	  A(NOW), 0, -1, 0, 1 },
	{ "badNonce: the 20th is still retried", 1, 0, 5, 3, 19, CF_OK, 400,
	  1, -1, 300, A(NOW), 0, -1, 3, 20 },
	{ "badNonce: the 21st is final", 1, 0, 5, 0, 20, CF_OK, 400, 1, -1,
	  300, A(REFUSED), 0, -1, 0, 21 },
	{ "badNonce: no budget needed", 1, 0, 5, 0, 0, CF_OK, 400, 1, -1, 0,
	  A(NOW), 0, -1, 0, 1 },
	{ "badNonce: even for a request sent once", 1, 1, 5, 0, 0, CF_OK,
	  400, 1, -1, 300, A(NOW), 0, -1, 0, 1 },
	{ "badNonce to a GET: not retried", 0, 0, 5, 0, 0, CF_OK, 400, 1,
	  -1, 300, A(REFUSED), 0, -1, 0, 0 },
	{ "badNonce on a 2xx: done", 1, 0, 5, 0, 0, CF_OK, 200, 1, -1, 300,
	  A(DONE), 0, -1, 0, 0 },
	/* rate limits */
	{ "429 without Retry-After: hold 60 s", 1, 0, 5, 0, 0, CF_OK, 429,
	  0, -1, 300, A(HOLD), 0, 60, 1, 0 },
	{ "429 with Retry-After 7", 1, 0, 5, 0, 0, CF_OK, 429, 0, 7, 300,
	  A(HOLD), 0, 7, 1, 0 },
	{ "429 with Retry-After 0", 1, 0, 5, 0, 0, CF_OK, 429, 0, 0, 300,
	  A(HOLD), 0, 0, 1, 0 },
	{ "429 with a week: held (the wait ends the run pending)", 1, 0, 5,
	  0, 0, CF_OK, 429, 0, WEEK, 300, A(HOLD), 0, WEEK, 1, 0 },
	{ "429 of a request sent once: still waited out", 1, 1, 5, 0, 0,
	  CF_OK, 429, 0, 5, 300, A(HOLD), 0, 5, 1, 0 },
	{ "429: retries run out (the CA is still held)", 1, 0, 5, 5, 0,
	  CF_OK, 429, 0, 20, 300, A(EXHAUSTED), 0, 20, 6, 0 },
	{ "503 with Retry-After: held like a 429", 0, 0, 5, 0, 0, CF_OK, 503,
	  0, 12, 300, A(HOLD), 0, 12, 1, 0 },
	{ "503 with a past date: held 0 s", 0, 0, 5, 0, 0, CF_OK, 503, 0, 0,
	  300, A(HOLD), 0, 0, 1, 0 },
	{ "badNonce with 429: the nonce first", 1, 0, 5, 0, 0, CF_OK, 429, 1,
	  30, 300, A(NOW), 0, -1, 0, 1 },
};

static void
test_decide(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]);
	     i++) {
		const struct decide_case *c = &decide_cases[i];
		struct cf_retry_req rq = { c->is_post, c->once, c->max_retries,
					   no_jitter, NULL };
		struct cf_retry_state st = { c->attempt, c->bad_nonce };
		struct cf_retry_answer ans = { c->rc, c->status,
					       c->prob_bad_nonce, c->ra };
		struct cf_retry_step s = cf_retry_decide(&rq, &st, &ans,
							 c->budget_left);

		if (s.action != c->want)
			fail_msg("%s: action %d, want %d", c->label,
				 (int)s.action, (int)c->want);
		if ((s.action == CF_RETRY_BACKOFF || s.action == CF_RETRY_NO_BUDGET) &&
		    s.wait_ms != c->want_wait_ms)
			fail_msg("%s: wait %ld ms, want %ld", c->label, s.wait_ms,
				 c->want_wait_ms);
		if (s.hold_s != c->want_hold_s)
			fail_msg("%s: hold %ld s, want %ld", c->label, s.hold_s,
				 c->want_hold_s);
		if (st.attempt != c->want_attempt ||
		    st.bad_nonce != c->want_bad_nonce)
			fail_msg("%s: state %d/%d, want %d/%d", c->label, st.attempt,
				 st.bad_nonce, c->want_attempt, c->want_bad_nonce);
	}
}

/* A CA that answers 500 forever: max_retries retries with growing waits,
 * then EXHAUSTED; each backoff draws one jitter value, nothing else. */
static void
test_sequence_5xx(void **state)
{
	static const long want_ms[] = { 1000, 2000, 4000, 8000, 16000,
					30000, 30000 };
	struct cf_retry_req rq = { 1, 0, 7, no_jitter, NULL };
	struct cf_retry_state st = { 0, 0 };
	struct cf_retry_answer ans = { CF_OK, 500, 0, -1 };
	struct cf_retry_step s;

	(void)state;
	jitter_calls = 0;
	for (int i = 0; i < 7; i++) {
		s = cf_retry_decide(&rq, &st, &ans, 1000);
		assert_int_equal(s.action, CF_RETRY_BACKOFF);
		assert_int_equal(s.wait_ms, want_ms[i]);
	}
	s = cf_retry_decide(&rq, &st, &ans, 1000);
	assert_int_equal(s.action, CF_RETRY_EXHAUSTED);
	assert_int_equal(st.attempt, 8);
	assert_int_equal(jitter_calls, 7);
}

/* badNonce retries do not use up the 5xx/network retries, and the other
 * way round. */
static void
test_sequence_mixed(void **state)
{
	struct cf_retry_req rq = { 1, 0, 2, no_jitter, NULL };
	struct cf_retry_state st = { 0, 0 };
	struct cf_retry_answer bn = { CF_OK, 400, 1, -1 };
	struct cf_retry_answer net = { CF_ERR_NET, 0, 0, -1 };

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(cf_retry_decide(&rq, &st, &bn, 300).action,
				 CF_RETRY_NOW);
	assert_int_equal(cf_retry_decide(&rq, &st, &net, 300).action,
			 CF_RETRY_BACKOFF);
	assert_int_equal(cf_retry_decide(&rq, &st, &net, 300).action,
			 CF_RETRY_BACKOFF);
	assert_int_equal(cf_retry_decide(&rq, &st, &bn, 300).action,
			 CF_RETRY_NOW);
	assert_int_equal(cf_retry_decide(&rq, &st, &net, 300).action,
			 CF_RETRY_EXHAUSTED);
	assert_int_equal(st.attempt, 3);
	assert_int_equal(st.bad_nonce, 11);
}

/* ---- the wait budget ---- */

struct gate_case {
	long budget, elapsed;
	int attempt;
	enum cf_retry_gate want;
};

static const struct gate_case gate_cases[] = {
	{ 300, 0, 0, CF_RETRY_GO },
	{ 300, 299, 0, CF_RETRY_GO },
	{ 300, 299, 4, CF_RETRY_GO },
	{ 300, 300, 0, CF_RETRY_SPENT_FIRST },  /* no request starts after it */
	{ 300, 300, 1, CF_RETRY_SPENT_RETRY },
	{ 300, 5000, 0, CF_RETRY_SPENT_FIRST },
	{ 300, 5000, 3, CF_RETRY_SPENT_RETRY },
	{ 1, 1, 0, CF_RETRY_SPENT_FIRST },
	{ 0, 5000, 0, CF_RETRY_GO },            /* --wait 0: never refused */
	{ 0, 5000, 2, CF_RETRY_GO },
};

static void
test_gate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gate_cases) / sizeof(gate_cases[0]); i++) {
		const struct gate_case *c = &gate_cases[i];
		enum cf_retry_gate got = cf_retry_gate(c->budget, c->elapsed,
						       c->attempt);
		if (got != c->want)
			fail_msg("budget %ld elapsed %ld attempt %d: %d, want %d",
				 c->budget, c->elapsed, c->attempt, (int)got,
				 (int)c->want);
	}
}

static void
test_wait_fits(void **state)
{
	(void)state;
	assert_true(cf_retry_wait_fits(0, 0));
	assert_true(cf_retry_wait_fits(10, 10));   /* exactly the budget */
	assert_false(cf_retry_wait_fits(11, 10));
	assert_false(cf_retry_wait_fits(WEEK, 300)); /* ends the run pending */
	assert_true(cf_retry_wait_fits(60, 300));
	assert_false(cf_retry_wait_fits(1, 0));
}

/* ---- the circuit breaker ---- */

static void
test_breaker_trips(void **state)
{
	static const struct {
		cf_rc rc;
		int once, want, want_probe;
	} cases[] = {
		{ CF_OK, 0, 0, 0 },          { CF_ERR_NET, 0, 1, 1 },
		{ CF_ERR_NET, 1, 0, 1 },     { CF_ERR_TLS, 0, 1, 1 },
		{ CF_ERR_TLS, 1, 0, 1 },     { CF_ERR_ACME, 0, 0, 1 },
		{ CF_ERR_PROTO, 0, 0, 1 },   { CF_ERR_PENDING, 0, 0, 1 },
		{ CF_ERR_USAGE, 0, 0, 1 },   { CF_ERR_NOMEM, 0, 0, 0 },
		{ CF_ERR_INTERNAL, 0, 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cf_breaker_trips(cases[i].rc, cases[i].once) != cases[i].want)
			fail_msg("trips(%s, once %d) != %d",
				 cf_rc_name(cases[i].rc), cases[i].once,
				 cases[i].want);
		if (cf_breaker_probe_trips(cases[i].rc) != cases[i].want_probe)
			fail_msg("probe_trips(%s) != %d", cf_rc_name(cases[i].rc),
				 cases[i].want_probe);
	}
	assert_int_equal(cf_breaker_refusal_rc(CF_ERR_NOMEM), CF_ERR_NET);
	assert_int_equal(cf_breaker_refusal_rc(CF_ERR_NET), CF_ERR_NET);
	assert_int_equal(cf_breaker_refusal_rc(CF_ERR_TLS), CF_ERR_TLS);
	assert_int_equal(cf_breaker_refusal_rc(CF_ERR_PROTO), CF_ERR_PROTO);
}

static void
test_breaker_open(void **state)
{
	struct cf_breaker b;
	struct cf_err e1 = { CF_ERR_NET, "first failure" };
	struct cf_err e2 = { CF_ERR_TLS, "second failure" };
	struct cf_err why = { CF_OK, "" };
	long wait = -1;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why), CF_BREAKER_GO);
	assert_int_equal(cf_breaker_check(&b, 1, NOW, &wait, &why), CF_BREAKER_GO);
	assert_int_equal(wait, 0);

	/* Opened once; the first failure is the one remembered. */
	assert_int_equal(cf_breaker_open(&b, 0, &e1), 1);
	assert_int_equal(cf_breaker_open(&b, 0, &e2), 0);
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why),
			 CF_BREAKER_OPEN);
	assert_int_equal(why.rc, CF_ERR_NET);
	assert_string_equal(why.msg, "first failure");
	/* Optional requests are refused by an open breaker too. */
	assert_int_equal(cf_breaker_check(&b, 1, NOW, &wait, &why),
			 CF_BREAKER_OPEN);
	/* ... and a Retry-After does not make it answer WAIT. */
	cf_breaker_hold(&b, NOW, 30);
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why),
			 CF_BREAKER_OPEN);
}

static void
test_breaker_optional(void **state)
{
	struct cf_breaker b;
	struct cf_err e1 = { CF_ERR_NET, "renewalInfo down" };
	struct cf_err e2 = { CF_ERR_NET, "later" };
	struct cf_err why = { CF_OK, "" };
	long wait;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(cf_breaker_open(&b, 1, &e1), 1);
	assert_int_equal(cf_breaker_open(&b, 1, &e2), 0);
	/* Only the optional requests stop; orders go on. */
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why), CF_BREAKER_GO);
	assert_int_equal(cf_breaker_check(&b, 1, NOW, &wait, &why),
			 CF_BREAKER_OPTIONAL_OPEN);
	assert_string_equal(why.msg, "renewalInfo down");
	assert_int_equal(b.down, 0);
}

static void
test_breaker_hold(void **state)
{
	struct cf_breaker b;
	struct cf_err why;
	long wait = -1;

	(void)state;
	memset(&b, 0, sizeof(b));
	cf_breaker_hold(&b, NOW, 0);           /* nothing asked */
	cf_breaker_hold(&b, NOW, -5);
	assert_int_equal(b.not_before, 0);
	cf_breaker_hold(&b, NOW, 30);
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why),
			 CF_BREAKER_WAIT);
	assert_int_equal(wait, 30);
	assert_int_equal(cf_breaker_check(&b, 1, NOW + 10, &wait, &why),
			 CF_BREAKER_WAIT);
	assert_int_equal(wait, 20);
	cf_breaker_hold(&b, NOW + 5, 10);      /* earlier: the later time wins */
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why),
			 CF_BREAKER_WAIT);
	assert_int_equal(wait, 30);
	cf_breaker_hold(&b, NOW, 60);          /* later: extends */
	assert_int_equal(cf_breaker_check(&b, 0, NOW, &wait, &why),
			 CF_BREAKER_WAIT);
	assert_int_equal(wait, 60);
	/* Past it: go. */
	assert_int_equal(cf_breaker_check(&b, 0, NOW + 60, &wait, &why),
			 CF_BREAKER_GO);
	assert_int_equal(wait, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_bad_nonce_type),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_sequence_5xx),
		cmocka_unit_test(test_sequence_mixed),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_wait_fits),
		cmocka_unit_test(test_breaker_trips),
		cmocka_unit_test(test_breaker_open),
		cmocka_unit_test(test_breaker_optional),
		cmocka_unit_test(test_breaker_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
