/* test_acme_resources.c - the ACME resources (acme/resources.c,
 * renewal_info.c) against a scripted CA (fake_http.h): what each request
 * sends (URL, method, JWS kid or jwk, payload) and what is made of the
 * answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "fake_http.h"

#define KID "https://ca.test/acct/1"
#define ORDER_URL "https://ca.test/order/1"
#define FIN_URL "https://ca.test/order/1/finalize"
#define CERT_URL "https://ca.test/cert/1"

#define ORDER(status, extra)                                                \
	"{\"status\":\"" status "\",\"identifiers\":[{\"type\":\"dns\","   \
	"\"value\":\"a.test\"}],\"authorizations\":"                        \
	"[\"https://ca.test/authz/1\",\"https://ca.test/authz/2\"],"        \
	"\"finalize\":\"" FIN_URL "\"" extra "}"

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

static void
test_directory(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	const struct cf_acme_directory *d;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_json(&fk, 200, FK_DIRECTORY_JSON, NULL);
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_OK);
	assert_string_equal(d->new_nonce, "https://ca.test/nonce");
	assert_string_equal(d->new_account, "https://ca.test/acct");
	assert_string_equal(d->new_order, "https://ca.test/order");
	assert_string_equal(d->revoke_cert, "https://ca.test/revoke");
	assert_string_equal(d->key_change, "https://ca.test/keychange");
	assert_string_equal(d->renewal_info, "https://ca.test/ari");
	assert_string_equal(d->terms_of_service, "https://ca.test/tos");
	assert_true(d->eab_required);
	assert_true(json_is_object(d->profiles));
	/* Fetched once per run. */
	assert_int_equal(cf_acme_get_directory(a, &d, &err), CF_OK);
	assert_int_equal(fk.nreqs, 1);
	assert_string_equal(fk.reqs[0].method, "GET");
	assert_int_equal(fk.reqs[0].cap, CF_HTTP_CAP_JSON);
	cf_acme_free(a);
}

/* Answers that are not a directory: the --server URL is wrong. */
static void
test_not_a_directory(void **state)
{
	static const struct fk_answer bad[] = {
		{ .status = 200, .content_type = "text/html",
		  .body = "<html>hello</html>" },
		{ .status = 200, .content_type = "application/json",
		  .body = "{\"newNonce\":\"https://ca.test/n\","
			  "\"newAccount\":\"https://ca.test/a\"}" },
		{ .status = 200, .content_type = "application/json",
		  .body = "{\"newNonce\":" },
		{ .status = 404, .content_type = "text/plain", .body = "nope" },
		{ .status = 404, .content_type = FK_PROBLEM,
		  .body = "{\"type\":\"about:blank\",\"detail\":\"no\"}" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
		const struct cf_acme_directory *d;
		struct cf_err err = { 0 };

		fk_push(&fk, bad[i]);
		if (cf_acme_get_directory(a, &d, &err) != CF_ERR_USAGE ||
		    strstr(err.msg, "is not an ACME directory") == NULL)
			fail_msg("answer %zu: %s %s", i, cf_rc_name(err.rc),
				 err.msg);
		cf_acme_free(a);
		fk_free(&fk);
	}
}

static void
test_new_nonce_without_nonce(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	json_t *obj = NULL;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_json(&fk, 200, FK_DIRECTORY_JSON, NULL);
	fk_push(&fk, (struct fk_answer){ .status = 200 });
	assert_int_equal(cf_acme_fetch(a, ORDER_URL, &obj, &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "carries no Replay-Nonce"));
	assert_string_equal(fk.reqs[1].method, "HEAD");
	assert_string_equal(fk.reqs[1].url, "https://ca.test/nonce");
	assert_int_equal(fk.nreqs, 2);
	cf_acme_free(a);
}

static void
test_new_account(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	json_t *payload = json_pack("{s:b,s:[s]}", "termsOfServiceAgreed", 1,
				    "contact", "mailto:ops@a.test");
	json_t *acct = NULL;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 201, .nonce = "n1",
					 .content_type = "application/json",
					 .body = "{\"status\":\"valid\"}",
					 .location = KID });
	assert_int_equal(cf_acme_new_account(a, payload, &acct, &err), CF_OK);
	assert_string_equal(cf_acme_account_url(a), KID);
	assert_string_equal(json_string_value(json_object_get(acct, "status")),
			    "valid");
	/* Signed with the JWK (there is no account URL yet). */
	assert_string_equal(fk.reqs[2].url, "https://ca.test/acct");
	assert_string_equal(fk.reqs[2].jws_url, "https://ca.test/acct");
	assert_true(fk.reqs[2].jws_jwk);
	assert_null(fk.reqs[2].jws_kid);
	assert_true(json_is_true(
		json_object_get(fk.reqs[2].payload, "termsOfServiceAgreed")));
	assert_int_equal(cf_acme_counters(a)[CF_EP_ACCOUNT], 1);
	json_decref(acct);
	json_decref(payload);
	cf_acme_free(a);
}

static void
test_new_account_errors(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, NULL);
	json_t *payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 201, .nonce = "n1" });
	assert_int_equal(cf_acme_new_account(a, payload, NULL, &err),
			 CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "no Location header"));
	/* A CA that wants EAB: the problem and what to do. */
	fk_push_problem(&fk, 403, FK_ERR "externalAccountRequired",
			"an EAB is required", "n2");
	assert_int_equal(cf_acme_new_account(a, payload, NULL, &err),
			 CF_ERR_ACME);
	assert_non_null(strstr(err.msg, "requires External Account Binding"));
	assert_non_null(strstr(err.msg, FK_ERR "externalAccountRequired: "
						"an EAB is required"));
	json_decref(payload);
	cf_acme_free(a);
}

static void
test_new_order(void **state)
{
	static const char *const names[] = { "a.test", "*.b.test", "192.0.2.1" };
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	json_t *extra = json_pack("{s:s}", "profile", "classic"), *ids;
	struct cf_acme_order o;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){ .status = 201, .nonce = "n1",
					 .content_type = "application/json",
					 .body = ORDER("pending", ""),
					 .location = ORDER_URL,
					 .retry_after = "2" });
	assert_int_equal(cf_acme_new_order(a, names, 3, extra, &o, &err), CF_OK);
	assert_string_equal(o.url, ORDER_URL);
	assert_string_equal(o.status, "pending");
	assert_int_equal(o.nauthz, 2);
	assert_string_equal(o.authz_urls[1], "https://ca.test/authz/2");
	assert_string_equal(o.finalize, FIN_URL);
	assert_null(o.certificate);
	assert_int_equal(o.retry_after_s, 2);
	/* The request: kid, the identifiers with their types, the extra. */
	assert_string_equal(fk.reqs[2].url, "https://ca.test/order");
	assert_string_equal(fk.reqs[2].jws_kid, KID);
	assert_false(fk.reqs[2].jws_jwk);
	ids = json_object_get(fk.reqs[2].payload, "identifiers");
	assert_int_equal(json_array_size(ids), 3);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(ids, 1), "value")),
			    "*.b.test");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(ids, 1), "type")),
			    "dns");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(ids, 2), "type")),
			    "ip");
	assert_string_equal(json_string_value(json_object_get(
				    fk.reqs[2].payload, "profile")),
			    "classic");
	cf_acme_order_free(&o);
	json_decref(extra);
	cf_acme_free(a);
}

/* The CA's problem documents: type and detail, subproblems, control
 * characters escaped. */
static void
test_problem_documents(void **state)
{
	static const char *const names[] = { "a.test", "b.test" };
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_acme_order o;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){
			     .status = 400, .nonce = "n1",
			     .content_type = FK_PROBLEM,
			     .body = "{\"type\":\"" FK_ERR "rejectedIdentifier\","
				     "\"detail\":\"some names\\u001b[31m\","
				     "\"subproblems\":[{\"type\":\"" FK_ERR
				     "caa\",\"detail\":\"CAA forbids\","
				     "\"identifier\":{\"type\":\"dns\","
				     "\"value\":\"b.test\"}}]}" });
	assert_int_equal(cf_acme_new_order(a, names, 2, NULL, &o, &err),
			 CF_ERR_ACME);
	assert_non_null(strstr(err.msg, "newOrder: " FK_ERR "rejectedIdentifier: "
					"some names\\x1b[31m"));
	assert_non_null(strstr(err.msg, "b.test: " FK_ERR "caa: CAA forbids"));
	assert_null(strchr(err.msg, '\x1b'));
	assert_null(o.url);
	/* An error without a problem document. */
	fk_push(&fk, (struct fk_answer){ .status = 403, .nonce = "n2",
					 .content_type = "text/html",
					 .body = "<html>" });
	assert_int_equal(cf_acme_new_order(a, names, 2, NULL, &o, &err),
			 CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "unexpected HTTP 403 (Content-Type "
					"text/html)"));
	cf_acme_free(a);
}

#define AUTHZ_JSON                                                          \
	"{\"status\":\"pending\",\"wildcard\":true,\"identifier\":"         \
	"{\"type\":\"dns\",\"value\":\"b.test\"},\"challenges\":["          \
	"{\"type\":\"dns-01\",\"url\":\"https://ca.test/chall/1\","         \
	"\"token\":\"tok1\",\"status\":\"pending\"},"                       \
	"{\"type\":\"http-01\",\"url\":\"https://ca.test/chall/2\"},"       \
	"{\"type\":\"x-new-01\",\"url\":\"https://ca.test/chall/3\","       \
	"\"token\":\"tok3\"}]}"

static void
test_authorization_and_challenge(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_acme_authz z;
	struct cf_err err = { 0 };
	json_t *c, *done;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, AUTHZ_JSON, "n1");
	assert_int_equal(cf_acme_get_authz(a, "https://ca.test/authz/1", &z,
					   &err), CF_OK);
	assert_true(fk.reqs[2].post_as_get);
	assert_string_equal(z.url, "https://ca.test/authz/1");
	assert_string_equal(z.identifier, "b.test");
	assert_string_equal(z.identifier_type, "dns");
	assert_true(z.wildcard);
	assert_string_equal(z.status, "pending");
	/* A challenge without a token is not offered; unknown types are. */
	assert_null(cf_acme_authz_challenge(&z, "http-01"));
	assert_null(cf_acme_authz_challenge(&z, "tls-alpn-01"));
	assert_non_null(cf_acme_authz_challenge(&z, "x-new-01"));
	c = cf_acme_authz_challenge(&z, "dns-01");
	assert_non_null(c);

	/* Responding: POST {} to its URL. */
	fk_push_json(&fk, 200, "{\"status\":\"processing\"}", "n2");
	assert_int_equal(cf_acme_challenge_respond(a, c, &err), CF_OK);
	assert_int_equal(fk.nreqs, 4);
	assert_string_equal(fk.reqs[3].url, "https://ca.test/chall/1");
	assert_false(fk.reqs[3].post_as_get);
	assert_true(json_is_object(fk.reqs[3].payload));
	assert_int_equal(json_object_size(fk.reqs[3].payload), 0);
	assert_int_equal(cf_acme_counters(a)[CF_EP_CHALLENGE], 1);
	/* A challenge already processing or valid is left alone. */
	done = json_pack("{s:s,s:s}", "status", "valid", "url",
			 "https://ca.test/chall/1");
	assert_int_equal(cf_acme_challenge_respond(a, done, &err), CF_OK);
	assert_int_equal(fk.nreqs, 4);
	json_decref(done);
	cf_acme_authz_free(&z);
	cf_acme_free(a);
}

static void
test_authz_wait(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, "{\"status\":\"processing\",\"identifier\":"
			       "{\"type\":\"dns\",\"value\":\"a.test\"}}", "n1");
	fk_push_json(&fk, 200, "{\"status\":\"valid\",\"identifier\":"
			       "{\"type\":\"dns\",\"value\":\"a.test\"}}", "n2");
	assert_int_equal(cf_acme_authz_wait(a, "https://ca.test/authz/1", &err),
			 CF_OK);
	assert_int_equal(fk.nreqs, 4);
	/* invalid: the challenge's error in the message */
	fk_push_json(&fk, 200,
		     "{\"status\":\"invalid\",\"identifier\":{\"type\":\"dns\","
		     "\"value\":\"a.test\"},\"challenges\":[{\"type\":\"http-01\","
		     "\"status\":\"invalid\",\"error\":{\"type\":\"" FK_ERR
		     "unauthorized\",\"detail\":\"404 at the token URL\"}}]}",
		     "n3");
	assert_int_equal(cf_acme_authz_wait(a, "https://ca.test/authz/1", &err),
			 CF_ERR_ACME);
	assert_non_null(strstr(err.msg, "validation of a.test failed (invalid): "
					FK_ERR "unauthorized: 404 at the token URL"));
	cf_acme_free(a);
}

/* The first poll after an answer waits its Retry-After counted from when
 * the answer came: an answer 5 s old with "Retry-After: 5" is polled at
 * once (a wait would be 5 s: the bound is generous). */
static void
test_authz_wait_after_credit(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_err err = { 0 };
	struct cf_acme_chall_answer ans = { .retry_after_s = 5,
					    .at_ms = cf_mono_ms() - 5000 };
	long long t0;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push_json(&fk, 200, "{\"status\":\"valid\",\"identifier\":"
			       "{\"type\":\"dns\",\"value\":\"a.test\"}}", "n1");
	t0 = cf_mono_ms();
	assert_int_equal(cf_acme_authz_wait_after(a, "https://ca.test/authz/1",
						  &ans, &err), CF_OK);
	assert_true(cf_mono_ms() - t0 < 2500);
	assert_int_equal(fk.nreqs, 3);
	cf_acme_free(a);
}

/* A new order on the fake CA answering status `status`. */
static void
order_new(struct cf_acme *a, const char *body, struct cf_acme_order *o)
{
	static const char *const names[] = { "a.test" };
	struct cf_err err = { 0 };

	fk_push(&fk, (struct fk_answer){ .status = 201, .nonce = "n1",
					 .content_type = "application/json",
					 .body = body, .location = ORDER_URL });
	assert_int_equal(cf_acme_new_order(a, names, 1, NULL, o, &err), CF_OK);
}

/* finalize: the CSR as base64url; orderNotReady waits for "ready" and
 * sends it again; then the order is polled until valid. */
static void
test_finalize(void **state)
{
	static const unsigned char der[] = { 0x30, 0x03, 0x02, 0x01, 0xfb };
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_acme_order o;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	order_new(a, ORDER("ready", ""), &o);
	fk_push_problem(&fk, 403, FK_ERR "orderNotReady", "not yet", "n2");
	fk_push_json(&fk, 200, ORDER("ready", ""), "n3");
	fk_push(&fk, (struct fk_answer){ .status = 200, .nonce = "n4",
					 .content_type = "application/json",
					 .body = ORDER("processing", ""),
					 .retry_after = "0" });
	assert_int_equal(cf_acme_finalize(a, &o, der, sizeof(der), &err), CF_OK);
	assert_string_equal(o.status, "processing");
	assert_int_equal(o.retry_after_s, 0);
	assert_int_equal(fk.nreqs, 6);
	assert_string_equal(fk.reqs[3].url, FIN_URL);
	assert_string_equal(json_string_value(json_object_get(fk.reqs[3].payload,
							      "csr")),
			    "MAMCAfs");
	assert_string_equal(fk.reqs[4].url, ORDER_URL);
	assert_true(fk.reqs[4].post_as_get);
	assert_string_equal(fk.reqs[5].url, FIN_URL);
	assert_string_equal(fk.reqs[5].jws_nonce, "n3");
	assert_int_equal(cf_acme_counters(a)[CF_EP_FINALIZE], 2);

	/* Polled until valid: the certificate URL. */
	fk_push_json(&fk, 200, ORDER("valid", ",\"certificate\":\"" CERT_URL "\""),
		     "n5");
	assert_int_equal(cf_acme_order_wait(a, &o, "valid", &err), CF_OK);
	assert_string_equal(o.certificate, CERT_URL);
	assert_int_equal(fk.nreqs, 7);
	cf_acme_order_free(&o);
	cf_acme_free(a);
}

static void
test_order_invalid(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_acme_order o;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_directory_and_nonce(&fk);
	order_new(a, ORDER("pending", ""), &o);
	fk_push_json(&fk, 200, ORDER("invalid", ",\"error\":{\"type\":\""
				FK_ERR "unauthorized\",\"detail\":\"no\"}"),
		     "n2");
	assert_int_equal(cf_acme_order_wait(a, &o, "ready", &err), CF_ERR_ACME);
	assert_non_null(strstr(err.msg, "the CA marked the order invalid: "
					FK_ERR "unauthorized: no"));
	cf_acme_order_free(&o);
	cf_acme_free(a);
}

#define PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

/* The certificate, and the alternate chains of its Link headers. */
static void
test_download_alternates(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_err err = { 0 };
	char *pem = NULL, **alts = NULL;
	size_t len = 0, nalts = 0;

	(void)state;
	fk_push_directory_and_nonce(&fk);
	fk_push(&fk, (struct fk_answer){
			     .status = 200, .nonce = "n1",
			     .content_type = "application/pem-certificate-chain",
			     .body = PEM,
			     .links = { "<https://ca.test/dir>;rel=\"index\"",
					"<https://ca.test/cert/1/1>;rel=\"alternate\"",
					"<https://ca.test/cert/1/2>; rel=\"alternate\", "
					"<https://ca.test/x>;rel=\"up\"" } });
	assert_int_equal(cf_acme_download_alt(a, CERT_URL, &pem, &len, &alts,
					      &nalts, &err), CF_OK);
	assert_string_equal(pem, PEM);
	assert_int_equal(len, strlen(PEM));
	assert_int_equal(nalts, 2);
	assert_string_equal(alts[0], "https://ca.test/cert/1/1");
	assert_string_equal(alts[1], "https://ca.test/cert/1/2");
	assert_true(fk.reqs[2].post_as_get);
	assert_int_equal(fk.reqs[2].cap, CF_HTTP_CAP_CERT);
	assert_int_equal(cf_acme_counters(a)[CF_EP_CERT], 1);
	for (size_t i = 0; i < nalts; i++)
		free(alts[i]);
	free(alts);
	free(pem);

	/* Something that is not a PEM chain. */
	fk_push(&fk, (struct fk_answer){ .status = 200, .nonce = "n2",
					 .content_type = "text/html",
					 .body = "<html>" });
	assert_int_equal(cf_acme_download(a, CERT_URL, &pem, &len, &err),
			 CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "is not a PEM certificate chain"));
	cf_acme_free(a);
}

static void
test_renewal_info(void **state)
{
	struct cf_acme *a = fk_acme_new(&fk, NULL, KID);
	struct cf_acme_ari ari;
	struct cf_err err = { 0 };

	(void)state;
	fk_push_json(&fk, 200, FK_DIRECTORY_JSON, NULL);
	fk_push(&fk, (struct fk_answer){
			     .status = 200, .content_type = "application/json",
			     .retry_after = "21600",
			     .body = "{\"suggestedWindow\":{"
				     "\"start\":\"2026-01-01T00:00:00Z\","
				     "\"end\":\"2026-01-02T00:00:00Z\"},"
				     "\"explanationURL\":\"https://ca.test/why\"}" });
	assert_int_equal(cf_acme_renewal_info(a, "aYhba4dGQEHhs3uEe6CuLN4ByNQ."
					      "AIdlQyE", &ari, &err), CF_OK);
	assert_int_equal(ari.start, 1767225600);
	assert_int_equal(ari.end, 1767225600 + 86400);
	assert_int_equal(ari.retry_after_s, 21600);
	assert_string_equal(ari.explanation_url, "https://ca.test/why");
	/* Unauthenticated: a GET under the directory's renewalInfo. */
	assert_string_equal(fk.reqs[1].method, "GET");
	assert_string_equal(fk.reqs[1].url, "https://ca.test/ari/"
			    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	assert_int_equal(fk.nreqs, 2);
	cf_acme_ari_free(&ari);

	/* No usable window. */
	fk_push_json(&fk, 200, "{\"suggestedWindow\":{\"start\":\"x\"}}", NULL);
	assert_int_equal(cf_acme_renewal_info(a, "abc", &ari, &err),
			 CF_ERR_PROTO);
	cf_acme_ari_free(&ari);
	cf_acme_free(a);
	fk_free(&fk);

	/* A directory without renewalInfo: nothing is asked. */
	a = fk_acme_new(&fk, NULL, KID);
	fk_push_json(&fk, 200, "{\"newNonce\":\"https://ca.test/n\","
			       "\"newAccount\":\"https://ca.test/a\","
			       "\"newOrder\":\"https://ca.test/o\"}", NULL);
	assert_int_equal(cf_acme_renewal_info(a, "abc", &ari, &err),
			 CF_ERR_NOTFOUND);
	assert_int_equal(fk.nreqs, 1);
	cf_acme_ari_free(&ari);
	cf_acme_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_nonce_without_nonce, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_account_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_documents, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_authorization_and_challenge,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_wait_after_credit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_finalize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_download_alternates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_renewal_info, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
