/* test_notify.c - engine/notify: when a run deserves a message, and what
 * the one message of a run says (text and JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/notify.h"

static void
test_expiry_kind(void **state)
{
	struct cf_notify_conf c;
	time_t now = 1000000000;

	(void)state;
	cf_notify_conf_init(&c);
	assert_int_equal(c.expiry_days, 14);
	assert_int_equal(cf_notify_expiry_kind(&c, now + 13 * 86400, now),
			 CF_NOTE_EXPIRING);
	assert_int_equal(cf_notify_expiry_kind(&c, now + 15 * 86400, now),
			 CF_NOTE_QUIET);
	assert_int_equal(cf_notify_expiry_kind(&c, 0, now), CF_NOTE_QUIET);
	c.expiry_days = 0;
	assert_int_equal(cf_notify_expiry_kind(&c, now + 1, now), CF_NOTE_QUIET);
}

static void
test_compose(void **state)
{
	struct cf_notify_conf c;
	struct cf_notify_item it[] = {
		{ "ok.test", CF_NOTE_OK, NULL, 2000000000 },
		{ "quiet.test", CF_NOTE_QUIET, NULL, 0 },
		{ "b.test", CF_NOTE_FAILED, "rate limited", 0 },
		{ "exp.test", CF_NOTE_EXPIRING, NULL, 1000000000 },
		{ "a.test", CF_NOTE_FAILED, "dns timeout", 0 },
	};
	struct cf_err err = { 0 };
	char *subject, *text, *json;
	json_t *j;
	int send;

	(void)state;
	cf_notify_conf_init(&c);
	/* nothing to say: no message */
	assert_int_equal(cf_notify_compose(&c, "h", it, 2, 0, &send, &subject,
					   &text, &json, &err), CF_OK);
	assert_int_equal(send, 0);
	assert_null(subject);
	/* successes only when asked */
	c.on_success = 1;
	assert_int_equal(cf_notify_compose(&c, "h", it, 2, 0, &send, &subject,
					   &text, &json, &err), CF_OK);
	assert_int_equal(send, 1);
	assert_non_null(strstr(json, "\"event\":\"success\""));
	free(subject);
	free(text);
	free(json);
	/* one message for every certificate, attention first */
	assert_int_equal(cf_notify_compose(&c, "web1", it, 5, 0, &send,
					   &subject, &text, &json, &err), CF_OK);
	assert_int_equal(send, 1);
	assert_string_equal(subject, "certferry on web1: 2 failed, 1 expiring, "
			    "1 renewed");
	assert_true(strncmp(text, "b.test: failed: rate limited\n"
			    "a.test: failed: dns timeout\nexp.test: expiring",
			    strlen("b.test: failed: rate limited\na.test: "
				   "failed: dns timeout\nexp.test: expiring")) == 0);
	j = json_loads(json, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "failure");
	assert_int_equal(json_array_size(json_object_get(j, "certificates")), 5);
	json_decref(j);
	free(subject);
	free(text);
	free(json);
	/* failures not wanted, but the expiring one still is */
	c.on_failure = 0;
	assert_int_equal(cf_notify_compose(&c, "h", it, 5, 0, &send, &subject,
					   &text, &json, &err), CF_OK);
	assert_int_equal(send, 1);
	assert_non_null(strstr(json, "\"event\":\"expiring\""));
	free(subject);
	free(text);
	free(json);
	/* a test message is always sent */
	assert_int_equal(cf_notify_compose(&c, "h", NULL, 0, 1, &send, &subject,
					   &text, &json, &err), CF_OK);
	assert_int_equal(send, 1);
	assert_non_null(strstr(subject, "test message"));
	free(subject);
	free(text);
	free(json);
}

/* The webhook gets https://, plain http:// only to loopback; the send
 * refuses the same URLs when the configuration did not come from the
 * settings file. */
static void
test_webhook_url(void **state)
{
	struct cf_notify_conf c;
	struct cf_err err = { 0 };
	static const struct { const char *url; cf_rc want; } cases[] = {
		{ "https://h.example/x", CF_OK },
		{ "http://127.0.0.1:1/", CF_OK },
		{ "http://[::1]/", CF_OK },
		{ "http://localhost/", CF_OK },
		{ "http://[::2]/", CF_ERR_USAGE },
		{ "http://128.0.0.1/", CF_ERR_USAGE },
		{ "https://", CF_ERR_USAGE },
		{ "http://h.example/x", CF_ERR_USAGE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cf_notify_webhook_url_check(cases[i].url, &err) != cases[i].want)
			fail_msg("%s: want %d", cases[i].url, cases[i].want);
	assert_non_null(strstr(err.msg, "names certificates and hosts"));
	/* nor a password in clear to another host */
	cf_notify_conf_init(&c);
	c.smtp_url = "smtp://192.0.2.1:25";
	c.smtp_starttls = 0;
	c.smtp_user = "u";
	c.smtp_password_file = "/nonexistent/pw";
	c.mail_from = "a@example.test";
	c.mail_to[c.nmail_to++] = "b@example.test";
	assert_int_equal(cf_notify_send(&c, "s", "t", "{}", &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "password in clear"));
	cf_notify_conf_init(&c);
	c.webhook_url = "http://192.0.2.1/hook";
	assert_int_equal(cf_notify_send(&c, "s", "t", "{}", &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "https://"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry_kind),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_webhook_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
