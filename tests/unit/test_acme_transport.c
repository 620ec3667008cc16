/* test_acme_transport.c - acme/transport.c through the fake transport
 * (fake_http.h): nonces, badNonce, Retry-After, cross-origin, 5xx and
 * network retries, the wait budget and the shared CA's breaker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fake_http.h"

#define ORDER_JSON                                                         \
	"{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","       \
	"\"value\":\"a.test\"}],\"authorizations\":"                        \
	"[\"https://ca.test/authz/1\"],\"finalize\":"                       \
	"\"https://ca.test/order/1/finalize\"}"

static struct fake_http fk;

static int
setup(void **state)
{
	(void)state;
	fk_init(&fk);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fk_free(&fk);
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One POST-as-GET of url; the answer's object is dropped. */
static cf_rc
fetch(struct cf_acme *a, const char *url, struct cf_err *err)
{
	json_t *obj = NULL;
	cf_rc rc = cf_acme_fetch(a, url, &obj, err);

	json_decref(obj);
	return rc;
}

/* The Replay-Nonce of each answer signs the next request: newNonce is
 * asked once, and no nonce is used twice. */
static void
test_nonce_reused(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };

	(void)state;
	assert_non_null(a);
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, ORDER_JSON, "n1");
	fk_push_json(&fk, 200, ORDER_JSON, "n2");
	fk_push_json(&fk, 200, ORDER_JSON, NULL);
	fk_push(&fk, (struct fk_answer){ .status = 200, .nonce = "n3" });
	fk_push_json(&fk, 200, ORDER_JSON, "n4");
	for (int i = 0; i < 4; i++)
		assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_OK);
	assert_int_equal(fk.nreqs, 7);
	assert_string_equal(fk.reqs[0].method, "GET");
	assert_string_equal(fk.reqs[0].url, FK_DIR);
	assert_string_equal(fk.reqs[1].method, "HEAD");
	assert_string_equal(fk.reqs[1].url, "https://ca.test/nonce");
	assert_string_equal(fk.reqs[2].jws_nonce, "n0");
	assert_string_equal(fk.reqs[3].jws_nonce, "n1");
	assert_string_equal(fk.reqs[4].jws_nonce, "n2");
	/* The third answer carried no nonce: newNonce again. */
	assert_string_equal(fk.reqs[5].method, "HEAD");
	assert_string_equal(fk.reqs[6].jws_nonce, "n3");
	for (size_t i = 2; i < fk.nreqs; i++) {
		if (strcmp(fk.reqs[i].method, "POST") != 0)
			continue;
		assert_string_equal(fk.reqs[i].jws_url, "https://ca.test/order/1");
		assert_string_equal(fk.reqs[i].jws_kid, "https://ca.test/acct/1");
		assert_false(fk.reqs[i].jws_jwk);
		assert_true(fk.reqs[i].post_as_get);
		assert_string_equal(fk.reqs[i].content_type,
				    "application/jose+json");
	}
	assert_int_equal(cf_acme_counters(a)[CF_EP_NONCE], 2);
	cf_acme_free(a);
}

/* badNonce: signed anew at once with the nonce of the error answer. */
static void
test_bad_nonce_retried_at_once(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };
	struct timespec t0;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_problem(&fk, 400, FK_ERR "badNonce", "stale", "n1");
	fk_push_problem(&fk, 400, FK_ERR "badNonce", "stale again", NULL);
	fk_push(&fk, (struct fk_answer){ .status = 200, .nonce = "n2" });
	fk_push_json(&fk, 200, ORDER_JSON, "n3");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_OK);
	assert_true(ms_since(&t0) < 900); /* no backoff */
	assert_int_equal(fk.nreqs, 6);
	assert_string_equal(fk.reqs[2].jws_nonce, "n0");
	assert_string_equal(fk.reqs[3].jws_nonce, "n1");
	/* No nonce with the second badNonce: a fresh one from newNonce. */
	assert_string_equal(fk.reqs[4].method, "HEAD");
	assert_string_equal(fk.reqs[5].jws_nonce, "n2");
	assert_int_equal(fk.signs, 3);
	cf_acme_free(a);
}

/* badNonce to a GET (nothing to sign anew) is final. */
static void
test_bad_nonce_get_final(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_problem(&fk, 400, FK_ERR "badNonce", "odd", NULL);
	assert_int_not_equal(cf_acme_get_directory(a, &d, &err), CF_OK);
	assert_int_equal(fk.nreqs, 1);
	cf_acme_free(a);
}

/* 429 with Retry-After: waited out exactly, then sent again. */
static void
test_retry_after_honoured(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };
	struct timespec t0;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 429, .nonce = "n1",
					 .content_type = FK_PROBLEM,
					 .body = "{\"type\":\"" FK_ERR
						 "rateLimited\"}",
					 .retry_after = "1" });
	fk_push_json(&fk, 200, ORDER_JSON, "n2");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_OK);
	assert_true(ms_since(&t0) >= 950);
	assert_int_equal(fk.nreqs, 4);
	assert_string_equal(fk.reqs[3].jws_nonce, "n1");
	cf_acme_free(a);
}

/* 503 with a Retry-After date in the past: sent again at once (no
 * backoff), the date read as an HTTP-date. */
static void
test_retry_after_past_date(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };
	struct timespec t0;

	(void)state;
	fk_push(&fk, (struct fk_answer){ .status = 503,
					 .retry_after = "Sun, 06 Nov 1994 "
							"08:49:37 GMT" });
	fk_push_json(&fk, 200, FK_DIRECTORY_JSON, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_OK);
	assert_true(ms_since(&t0) < 700); /* a backoff would be >= 750 ms */
	assert_int_equal(fk.nreqs, 2);
	cf_acme_free(a);
}

/* A Retry-After past the wait budget ends the run pending, naming the
 * time, without waiting. */
static void
test_retry_after_past_budget(void **state)
{
	struct cf_acme_opts o = { .wait_budget_s = 60 };
	struct cf_acme *a = fk_acme_new(&fk, &o, "https://ca.test/acct/1");
	struct cf_err err = { 0 };
	time_t now = time(NULL), nb;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 429, .nonce = "n1",
					 .retry_after = "3600" });
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err),
			 CF_ERR_PENDING);
	assert_non_null(strstr(err.msg, "beyond this run's wait budget"));
	nb = cf_acme_retry_not_before(a);
	assert_true(nb >= now + 3600 && nb <= now + 3700);
	assert_int_equal(fk.nreqs, 3);
	cf_acme_free(a);
}

/* A URL on another origin than the directory is never contacted unless
 * allowed. */
static void
test_cross_origin(void **state)
{
	struct cf_acme_opts o = { .allow_cross_origin = 1 };
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };

	(void)state;
	assert_int_equal(fetch(a, "https://evil.test/order/1", &err),
			 CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "--allow-cross-origin"));
	assert_int_equal(fetch(a, "https://ca.test:8443/order/1", &err),
			 CF_ERR_PROTO);
	assert_int_equal(fk.nreqs, 0);
	cf_acme_free(a);

	a = fk_acme_new(&fk, &o, "https://ca.test/acct/1");
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, ORDER_JSON, "n1");
	assert_int_equal(fetch(a, "https://other.test/order/1", &err), CF_OK);
	assert_int_equal(fk.nreqs, 3);
	assert_string_equal(fk.reqs[2].url, "https://other.test/order/1");
	cf_acme_free(a);
}

/* A 5xx, then success: signed anew with a fresh nonce after a backoff. */
static void
test_5xx_then_success(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };
	struct timespec t0;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_problem(&fk, 503, FK_ERR "serverInternal", "busy", "n1");
	fk_push_json(&fk, 200, ORDER_JSON, "n2");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_OK);
	assert_true(ms_since(&t0) >= 700); /* 1 s -25% */
	assert_int_equal(fk.nreqs, 4);
	assert_string_equal(fk.reqs[2].jws_nonce, "n0");
	assert_string_equal(fk.reqs[3].jws_nonce, "n1");
	assert_int_equal(cf_acme_counters(a)[CF_EP_OTHER], 2);
	cf_acme_free(a);
}

/* Retries run out on a 5xx: CF_ERR_NET with the CA's last words. */
static void
test_5xx_exhausted(void **state)
{
	struct cf_acme_opts o = { .max_retries = 1 };
	struct cf_acme *a = fk_acme_new(&fk, &o, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };

	(void)state;
	fk_push(&fk, (struct fk_answer){ .status = 500 });
	fk_push_problem(&fk, 500, FK_ERR "serverInternal", "db down", NULL);
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_ERR_NET);
	assert_non_null(strstr(err.msg, "HTTP 500 after 2 attempts"));
	assert_non_null(strstr(err.msg, "serverInternal: db down"));
	assert_int_equal(fk.nreqs, 2);
	cf_acme_free(a);
}

/* A 5xx with Retry-After beyond the budget: not waited for. */
static void
test_5xx_retry_after_past_budget(void **state)
{
	struct cf_acme_opts o = { .wait_budget_s = 5 };
	struct cf_acme *a = fk_acme_new(&fk, &o, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };

	(void)state;
	fk_push(&fk, (struct fk_answer){ .status = 500, .retry_after = "30" });
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_ERR_NET);
	assert_non_null(strstr(err.msg, "no wait budget left to retry"));
	assert_int_equal(fk.nreqs, 1);
	cf_acme_free(a);
}

/* A network error is retried; untrusted TLS never is. */
static void
test_network_and_tls(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };

	(void)state;
	fk_push(&fk, (struct fk_answer){ .rc = CF_ERR_NET });
	fk_push_json(&fk, 200, FK_DIRECTORY_JSON, NULL);
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_OK);
	assert_int_equal(fk.nreqs, 2);
	cf_acme_free(a);
	fk_free(&fk);

	a = fk_acme_new(&fk, NULL, NULL);
	fk_push(&fk, (struct fk_answer){ .rc = CF_ERR_TLS });
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_ERR_TLS);
	assert_int_equal(fk.nreqs, 1);
	cf_acme_free(a);
}

/* keyChange is sent once: a 5xx is not retried (the CA may have applied
 * it). */
static void
test_once_not_retried(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, "https://ca.test/acct/1");
	struct cf_err err = { 0 };
	json_t *inner = json_pack("{s:s}", "protected", "x");

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 502, .nonce = "n1" });
	assert_int_equal(cf_acme_key_change(a, inner, &err), CF_ERR_NET);
	assert_non_null(strstr(err.msg, "not retried"));
	assert_int_equal(fk.nreqs, 3);
	assert_string_equal(fk.reqs[2].url, "https://ca.test/keychange");
	json_decref(inner);
	cf_acme_free(a);
}

/* No request starts once the wait budget is spent. */
static void
test_budget_spent(void **state)
{
	struct cf_acme_opts o = { .wait_budget_s = 2 };
	struct cf_acme *a = fk_acme_new(&fk, &o, "https://ca.test/acct/1");
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, ORDER_JSON, "n1");
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_OK);
	{
		struct timespec ts = { 2, 100000000L };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err),
			 CF_ERR_PENDING);
	assert_non_null(strstr(err.msg, "wait budget (--wait 2 s) is spent"));
	assert_int_equal(fk.nreqs, 3);
	cf_acme_free(a);
}

/* The shared CA: retries running out on the network open the breaker;
 * every later request, of any job, fails at once with that failure. */
static void
test_breaker(void **state)
{
	struct cf_acme_ca *ca = NULL;
	struct cf_acme_opts o = { .max_retries = 1 };
	struct cf_acme *a, *b;
	struct cf_err err = { 0 }, why;

	(void)state;
	assert_int_equal(cf_acme_ca_new(FK_DIR, NULL, 1, 1, &ca, &err), CF_OK);
	o.ca = ca;
	a = fk_acme_new(&fk, &o, "https://ca.test/acct/1");
	b = fk_acme_new(&fk, &o, "https://ca.test/acct/2");
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .rc = CF_ERR_NET });
	/* (a network error brings no nonce: newNonce before the retry) */
	fk_push(&fk, (struct fk_answer){ .status = 200, .nonce = "n1" });
	fk_push(&fk, (struct fk_answer){ .rc = CF_ERR_NET });
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err), CF_ERR_NET);
	assert_true(cf_acme_ca_down(ca, &why));
	assert_non_null(strstr(why.msg, "giving up after 2 attempts"));
	assert_int_equal(fk.nreqs, 5);
	assert_string_equal(fk.reqs[4].jws_nonce, "n1");
	/* Another job: its directory is the shared copy, its POST is not sent. */
	assert_int_equal(fetch(b, "https://ca.test/order/2", &err), CF_ERR_NET);
	assert_non_null(strstr(err.msg, "unreachable or failing earlier"));
	assert_int_equal(fk.nreqs, 5);
	assert_int_equal(cf_acme_ca_directory_gets(ca), 1);
	cf_acme_free(a);
	cf_acme_free(b);
	cf_acme_ca_free(ca);
}

/* The shared CA: one job's 429 holds the others' requests. */
static void
test_ca_hold_shared(void **state)
{
	struct cf_acme_ca *ca = NULL;
	struct cf_acme_opts o = { .wait_budget_s = 60 };
	struct cf_acme *a, *b;
	struct cf_err err = { 0 };

	(void)state;
	assert_int_equal(cf_acme_ca_new(FK_DIR, NULL, 1, 1, &ca, &err), CF_OK);
	o.ca = ca;
	a = fk_acme_new(&fk, &o, "https://ca.test/acct/1");
	b = fk_acme_new(&fk, &o, "https://ca.test/acct/2");
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 429, .retry_after = "600" });
	assert_int_equal(fetch(a, "https://ca.test/order/1", &err),
			 CF_ERR_PENDING);
	/* b waits for the same time: past its budget, pending, not sent. */
	assert_int_equal(fetch(b, "https://ca.test/order/2", &err),
			 CF_ERR_PENDING);
	assert_non_null(strstr(err.msg, "the CA asked to slow down"));
	assert_int_equal(fk.nreqs, 3);
	assert_false(cf_acme_ca_down(ca, NULL));
	cf_acme_free(a);
	cf_acme_free(b);
	cf_acme_ca_free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nonce_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_nonce_retried_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_nonce_get_final, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_past_date, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_past_budget,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_5xx_then_success, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_5xx_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_5xx_retry_after_past_budget,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_and_tls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_once_not_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_budget_spent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breaker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_hold_shared, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
