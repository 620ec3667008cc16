/* resources.c - ACME resources: account, order, authorization, challenge,
 * finalize, certificate (RFC 8555 §7).  See acme.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/internal.h"
#include "acme/retry.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/b64.h"
#include "http/headers.h"

/* Polls after answering a challenge: the first 10 ms after the answer
 * (a CA close by, or one that validates at once, is done by then: it has
 * to reach the responder at least once), then three times longer each time
 * up to 5 s: 10, 30, 90, 270, 810 ms... (about as many polls as doubling
 * from 50 ms for a CA that takes seconds).  An order (after finalize) is
 * first polled after 3 ms: issuing is the CA's own work, with nothing to
 * reach, and a CA close by is done by then (3, 9, 27, 81 ms...; one poll
 * more in the first second than from 10 ms).  A Retry-After always wins. */
#define POLL_FIRST_MS 10
#define POLL_FIRST_ORDER_MS 3
#define POLL_GROWTH 3
#define POLL_MAX_MS 5000

/* The Retry-After of resp in seconds, or -1 when it has none. */
static long
resp_retry_after(const struct cf_http_resp *resp)
{
	return cf_retry_after_s(resp->retry_after, time(NULL));
}

static cf_rc
post_req(struct cf_acme *a, const char *url, json_t *payload, int use_jwk,
	 int once, enum cf_acme_ep ep, struct cf_http_resp *resp,
	 struct cf_err *err)
{
	struct acme_req rq = { 0 };
	char *text = NULL;
	cf_rc rc;

	if (payload != NULL &&
	    (text = json_dumps(payload, JSON_COMPACT)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rq.method = "POST";
	rq.url = url;
	rq.payload = text ? text : "";
	rq.use_jwk = use_jwk;
	rq.once = once;
	rq.cap = CF_HTTP_CAP_JSON;
	rq.ep = ep;
	rc = acme_request(a, &rq, resp, err);
	free(text);
	return rc;
}

static cf_rc
post(struct cf_acme *a, const char *url, json_t *payload, int use_jwk,
     enum cf_acme_ep ep, struct cf_http_resp *resp, struct cf_err *err)
{
	return post_req(a, url, payload, use_jwk, 0, ep, resp, err);
}

/* The EAB key id a newAccount payload carries (protected header "kid"),
 * into buf; "" when it has none. */
static void
eab_kid_of(json_t *payload, char *buf, size_t len)
{
	const char *prot = json_string_value(json_object_get(
		json_object_get(payload, "externalAccountBinding"), "protected"));
	const char *kid;
	unsigned char *raw = NULL;
	size_t rlen = 0;
	json_t *hdr = NULL;
	struct cf_err e = { 0 };

	buf[0] = '\0';
	if (prot == NULL || cf_b64_decode_any(prot, &raw, &rlen, &e) != CF_OK)
		return;
	hdr = json_loadb((const char *)raw, rlen, 0, NULL);
	kid = json_string_value(json_object_get(hdr, "kid"));
	snprintf(buf, len, "%s", kid ? kid : "");
	json_decref(hdr);
	free(raw);
}

cf_rc
cf_acme_new_account(struct cf_acme *a, json_t *payload, json_t **account,
		    struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_http_resp resp = { 0 };
	int sent_eab = json_object_get(payload, "externalAccountBinding") != NULL;
	char kid[256];
	json_t *obj = NULL;
	cf_rc rc;

	if (account)
		*account = NULL;
	if ((rc = cf_acme_get_directory(a, &dir, err)) != CF_OK)
		return rc;
	rc = post(a, dir->new_account, payload, 1, CF_EP_ACCOUNT, &resp, err);
	if (rc != CF_OK) {
		if (rc == CF_ERR_ACME) {
			eab_kid_of(payload, kid, sizeof(kid));
			cf_acme_eab_advice(err, sent_eab, kid);
		}
		goto out;
	}
	if (resp.location == NULL) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the CA's newAccount answer has no Location header");
		goto out;
	}
	if ((rc = cf_acme_set_account_url(a, resp.location, err)) != CF_OK)
		goto out;
	if (resp.body_len > 0 &&
	    (rc = acme_json_body(&resp, "newAccount", &obj, err)) != CF_OK)
		goto out;
	if (account) {
		*account = obj;
		obj = NULL;
	}
out:
	json_decref(obj);
	cf_http_resp_free(&resp);
	return rc;
}

cf_rc
cf_acme_fetch(struct cf_acme *a, const char *url, json_t **obj,
	      struct cf_err *err)
{
	struct cf_http_resp resp;
	cf_rc rc;

	*obj = NULL;
	if ((rc = post(a, url, NULL, 0, CF_EP_OTHER, &resp, err)) == CF_OK)
		rc = acme_json_body(&resp, url, obj, err);
	cf_http_resp_free(&resp);
	return rc;
}

/* POST payload and parse the JSON answer, if any, into *obj (may be NULL). */
static cf_rc
post_json(struct cf_acme *a, const char *url, json_t *payload, int use_jwk,
	  json_t **obj, struct cf_err *err)
{
	struct cf_http_resp resp;
	cf_rc rc;

	if (obj)
		*obj = NULL;
	rc = post(a, url, payload, use_jwk, CF_EP_OTHER, &resp, err);
	if (rc == CF_OK && obj != NULL && resp.body_len > 0)
		rc = acme_json_body(&resp, url, obj, err);
	cf_http_resp_free(&resp);
	return rc;
}

cf_rc
cf_acme_post_json(struct cf_acme *a, const char *url, json_t *payload,
		  json_t **obj, struct cf_err *err)
{
	return post_json(a, url, payload, 0, obj, err);
}

cf_rc
cf_acme_post_json_jwk(struct cf_acme *a, const char *url, json_t *payload,
		      const struct cf_acme_signer *signer, json_t **obj,
		      struct cf_err *err)
{
	const struct cf_acme_signer *saved = a->signer;
	cf_rc rc;

	a->signer = signer;
	rc = post_json(a, url, payload, 1, obj, err);
	a->signer = saved;
	return rc;
}

cf_rc
cf_acme_key_change(struct cf_acme *a, json_t *inner, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_http_resp resp;
	cf_rc rc;

	if ((rc = cf_acme_get_directory(a, &dir, err)) != CF_OK)
		return rc;
	if (dir->key_change == NULL)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's directory has no keyChange");
	rc = post_req(a, dir->key_change, inner, 0, 1, CF_EP_ACCOUNT, &resp,
		      err);
	cf_http_resp_free(&resp);
	return rc;
}

void
cf_acme_order_free(struct cf_acme_order *o)
{
	if (o == NULL)
		return;
	free(o->url);
	free(o->status);
	for (size_t i = 0; i < o->nauthz; i++)
		free(o->authz_urls[i]);
	free(o->authz_urls);
	free(o->finalize);
	free(o->certificate);
	json_decref(o->raw);
	memset(o, 0, sizeof(*o));
}

cf_rc
acme_order_load(struct cf_acme_order *o, json_t *obj, struct cf_err *err)
{
	const char *status = json_string_value(json_object_get(obj, "status"));
	const char *fin = json_string_value(json_object_get(obj, "finalize"));
	const char *cert = json_string_value(json_object_get(obj, "certificate"));
	json_t *authz = json_object_get(obj, "authorizations"), *v;
	size_t i;

	if (status == NULL || fin == NULL || !json_is_array(authz)) {
		json_decref(obj);
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's order object lacks status, finalize or "
				  "authorizations");
	}
	free(o->status);
	free(o->finalize);
	free(o->certificate);
	for (i = 0; i < o->nauthz; i++)
		free(o->authz_urls[i]);
	free(o->authz_urls);
	json_decref(o->raw);
	o->raw = obj;
	o->status = strdup(status);
	o->finalize = strdup(fin);
	o->certificate = cert ? strdup(cert) : NULL;
	o->nauthz = 0;
	o->authz_urls = calloc(json_array_size(authz) + 1, sizeof(char *));
	if (o->status == NULL || o->finalize == NULL || o->authz_urls == NULL ||
	    (cert && o->certificate == NULL))
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	json_array_foreach(authz, i, v) {
		if (!json_is_string(v))
			return cf_err_set(err, CF_ERR_PROTO,
					  "the CA's order lists a non-string "
					  "authorization");
		if ((o->authz_urls[o->nauthz] = strdup(json_string_value(v))) ==
		    NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		o->nauthz++;
	}
	return CF_OK;
}

cf_rc
cf_acme_new_order(struct cf_acme *a, const char *const *names, size_t n,
		  json_t *extra, struct cf_acme_order *out, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_http_resp resp = { 0 };
	json_t *payload = NULL, *ids, *obj = NULL;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cf_acme_get_directory(a, &dir, err)) != CF_OK)
		return rc;
	payload = json_object();
	ids = json_array();
	if (payload == NULL || ids == NULL ||
	    json_object_set_new(payload, "identifiers", ids) != 0) {
		json_decref(ids);
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(ids, json_pack("{s:s,s:s}", "type",
							 cf_acme_identifier_type(names[i]),
							 "value", names[i])) != 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	if (extra != NULL && json_object_update(payload, extra) != 0) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = post(a, dir->new_order, payload, 0, CF_EP_ORDER, &resp, err)) !=
	    CF_OK) {
		cf_err_wrap(err, "newOrder");
		goto out;
	}
	if (resp.location == NULL) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the CA's newOrder answer has no Location header");
		goto out;
	}
	if ((out->url = strdup(resp.location)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = acme_json_body(&resp, "newOrder", &obj, err)) != CF_OK)
		goto out;
	out->retry_after_s = resp_retry_after(&resp);
	rc = acme_order_load(out, obj, err);
out:
	json_decref(payload);
	cf_http_resp_free(&resp);
	if (rc != CF_OK)
		cf_acme_order_free(out);
	return rc;
}

/* POST-as-GET a polled resource; *ra_s gets its Retry-After or -1. */
static cf_rc
poll_once(struct cf_acme *a, const char *url, enum cf_acme_ep ep, json_t **obj,
	  long *ra_s, struct cf_err *err)
{
	struct cf_http_resp resp;
	cf_rc rc;

	*obj = NULL;
	*ra_s = -1;
	if ((rc = post(a, url, NULL, 0, ep, &resp, err)) == CF_OK) {
		*ra_s = resp_retry_after(&resp);
		rc = acme_json_body(&resp, url, obj, err);
	}
	cf_http_resp_free(&resp);
	return rc;
}

cf_rc
cf_acme_order_refresh(struct cf_acme *a, struct cf_acme_order *o,
		      struct cf_err *err)
{
	json_t *obj;
	long ra;
	cf_rc rc;

	if ((rc = poll_once(a, o->url, CF_EP_ORDER, &obj, &ra, err)) != CF_OK)
		return rc;
	o->retry_after_s = ra;
	return acme_order_load(o, obj, err);
}

void
cf_acme_authz_free(struct cf_acme_authz *z)
{
	if (z == NULL)
		return;
	free(z->url);
	free(z->identifier);
	free(z->identifier_type);
	free(z->status);
	json_decref(z->raw);
	memset(z, 0, sizeof(*z));
}

cf_rc
acme_authz_load(struct cf_acme_authz *out, const char *url, json_t *obj,
		struct cf_err *err)
{
	const char *status, *ident, *type;

	memset(out, 0, sizeof(*out));
	status = json_string_value(json_object_get(obj, "status"));
	ident = json_string_value(
		json_object_get(json_object_get(obj, "identifier"), "value"));
	if (status == NULL || ident == NULL) {
		json_decref(obj);
		return cf_err_set(err, CF_ERR_PROTO,
				  "authorization %s lacks status or identifier", url);
	}
	out->raw = obj;
	out->url = strdup(url);
	out->status = strdup(status);
	out->identifier = strdup(ident);
	type = json_string_value(
		json_object_get(json_object_get(obj, "identifier"), "type"));
	out->identifier_type = strdup(type ? type : "");
	out->wildcard = json_is_true(json_object_get(obj, "wildcard"));
	out->challenges = json_object_get(obj, "challenges");
	if (out->url == NULL || out->status == NULL || out->identifier == NULL ||
	    out->identifier_type == NULL) {
		cf_acme_authz_free(out);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

cf_rc
cf_acme_get_authz(struct cf_acme *a, const char *url, struct cf_acme_authz *out,
		  struct cf_err *err)
{
	json_t *obj;
	long ra;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = poll_once(a, url, CF_EP_AUTHZ, &obj, &ra, err)) != CF_OK)
		return rc;
	return acme_authz_load(out, url, obj, err);
}

json_t *
cf_acme_authz_challenge(const struct cf_acme_authz *z, const char *type)
{
	json_t *c;
	size_t i;

	json_array_foreach(z->challenges, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t != NULL && strcmp(t, type) == 0 &&
		    json_string_value(json_object_get(c, "url")) != NULL &&
		    json_string_value(json_object_get(c, "token")) != NULL)
			return c;
	}
	return NULL;
}

cf_rc
cf_acme_challenge_answer(struct cf_acme *a, json_t *chall,
			 struct cf_acme_chall_answer *ans, struct cf_err *err)
{
	const char *status = json_string_value(json_object_get(chall, "status"));
	const char *url = json_string_value(json_object_get(chall, "url"));
	struct cf_http_resp resp;
	json_t *empty, *obj = NULL;
	cf_rc rc;

	ans->valid = 0;
	ans->retry_after_s = -1;
	ans->at_ms = cf_mono_ms();
	if (status != NULL && strcmp(status, "pending") != 0)
		return CF_OK; /* processing or done: just poll */
	if ((empty = json_object()) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = post(a, url, empty, 0, CF_EP_CHALLENGE, &resp, err);
	json_decref(empty);
	if (rc == CF_OK) {
		/* The answer is the challenge (RFC 8555 §7.5.1): "valid"
		 * makes its authorization valid, nothing to poll. */
		ans->retry_after_s = resp_retry_after(&resp);
		ans->at_ms = cf_mono_ms();
		if (acme_json_body(&resp, url, &obj, NULL) == CF_OK)
			ans->valid = json_is_string(json_object_get(obj, "status")) &&
				strcmp(json_string_value(json_object_get(obj,
					"status")), "valid") == 0;
		json_decref(obj);
	}
	cf_http_resp_free(&resp);
	return rc;
}

cf_rc
cf_acme_challenge_respond(struct cf_acme *a, json_t *chall, struct cf_err *err)
{
	struct cf_acme_chall_answer ans;

	return cf_acme_challenge_answer(a, chall, &ans, err);
}

/* Next poll delay: Retry-After when given, else the growing backoff,
 * less the waited_ms already gone since the answer it follows. */
static cf_rc
poll_wait(struct cf_acme *a, long ra_s, long *delay_ms, long waited_ms,
	  const char *what, struct cf_err *err)
{
	long ms = *delay_ms;
	char when[32];

	if (ra_s >= 0)
		ms = ra_s * 1000;
	ms = ms > waited_ms ? ms - waited_ms : 0;
	if (ms / 1000 > acme_budget_left(a)) {
		a->retry_not_before = time(NULL) + (ms + 999) / 1000;
		cf_rfc3339_format(a->retry_not_before, when);
		return cf_err_set(err, CF_ERR_PENDING,
				  "%s is still in progress at the CA; this run's "
				  "wait budget (--wait) ended; the CA suggests "
				  "checking again at %s", what, when);
	}
	if (ms >= 3000) {
		char at[32];
		cf_clock_format(time(NULL) + ms / 1000, at);
		cf_progress("waiting for the CA: %s; next check at %s (in %ld s)",
			    what, at, ms / 1000);
	}
	acme_sleep_ms(ms);
	*delay_ms = *delay_ms * POLL_GROWTH > POLL_MAX_MS ?
			    POLL_MAX_MS : *delay_ms * POLL_GROWTH;
	return CF_OK;
}

void
acme_authz_error(json_t *authz, char *buf, size_t len)
{
	json_t *c, *e;
	size_t i;

	json_array_foreach(json_object_get(authz, "challenges"), i, c) {
		if ((e = json_object_get(c, "error")) != NULL) {
			cf_acme_problem_format(e, buf, len);
			return;
		}
	}
	snprintf(buf, len, "no error given by the CA");
}

cf_rc
cf_acme_authz_wait(struct cf_acme *a, const char *url, struct cf_err *err)
{
	const struct cf_acme_chall_answer now = { .retry_after_s = -1,
						  .at_ms = cf_mono_ms() };

	return cf_acme_authz_wait_after(a, url, &now, err);
}

cf_rc
cf_acme_authz_wait_after(struct cf_acme *a, const char *url,
			 const struct cf_acme_chall_answer *ans,
			 struct cf_err *err)
{
	long delay = POLL_FIRST_MS, ra = ans->retry_after_s;
	long long since = cf_mono_ms() - ans->at_ms;
	char buf[CF_ERR_MSG_MAX - 128];
	const char *status, *ident;
	json_t *obj = NULL;
	cf_rc rc;

	/* The challenge was answered: the first poll waits (the answer then
	 * was known: "processing"), as long as the CA's Retry-After said if
	 * it gave one, from when that answer came. */
	for (;;) {
		if ((rc = poll_wait(a, ra, &delay, since > 0 ? (long)since : 0,
				    "domain validation", err)) != CF_OK)
			return rc;
		since = 0;
		if ((rc = poll_once(a, url, CF_EP_AUTHZ, &obj, &ra, err)) != CF_OK)
			return rc;
		status = json_string_value(json_object_get(obj, "status"));
		ident = json_string_value(json_object_get(
			json_object_get(obj, "identifier"), "value"));
		if (status == NULL) {
			json_decref(obj);
			return cf_err_set(err, CF_ERR_PROTO,
					  "authorization %s has no status", url);
		}
		if (strcmp(status, "valid") == 0) {
			json_decref(obj);
			return CF_OK;
		}
		if (strcmp(status, "pending") != 0 &&
		    strcmp(status, "processing") != 0) {
			acme_authz_error(obj, buf, sizeof(buf));
			rc = cf_err_set(err, CF_ERR_ACME,
					"validation of %s failed (%s): %s",
					ident ? ident : url, status, buf);
			json_decref(obj);
			return rc;
		}
		json_decref(obj);
	}
}

cf_rc
cf_acme_order_wait(struct cf_acme *a, struct cf_acme_order *o, const char *want,
		   struct cf_err *err)
{
	long delay = POLL_FIRST_ORDER_MS, ra;
	char buf[CF_ERR_MSG_MAX - 64];
	json_t *obj;
	cf_rc rc;

	ra = o->retry_after_s;
	for (;;) {
		if (strcmp(o->status, want) == 0)
			return CF_OK;
		if (strcmp(o->status, "invalid") == 0) {
			cf_acme_problem_format(json_object_get(o->raw, "error"), buf,
					       sizeof(buf));
			return cf_err_set(err, CF_ERR_ACME,
					  "the CA marked the order invalid: %s", buf);
		}
		if (strcmp(o->status, "valid") == 0 || (strcmp(o->status, "ready") == 0 &&
		    strcmp(want, "valid") == 0))
			return cf_err_set(err, CF_ERR_PROTO,
					  "order is %s, expected %s", o->status,
					  want);
		/* The status in hand is the CA's latest answer: wait before
		 * asking again, as long as that answer (Retry-After) said. */
		if ((rc = poll_wait(a, ra, &delay, 0,
				    strcmp(want, "valid") == 0 ?
					    "certificate issuance" :
					    "order validation",
				    err)) != CF_OK)
			return rc;
		if ((rc = poll_once(a, o->url, CF_EP_ORDER, &obj, &ra, err)) !=
		    CF_OK)
			return rc;
		o->retry_after_s = ra;
		if ((rc = acme_order_load(o, obj, err)) != CF_OK)
			return rc;
	}
}

cf_rc
cf_acme_finalize(struct cf_acme *a, struct cf_acme_order *o,
		 const unsigned char *csr_der, size_t csr_len, struct cf_err *err)
{
	struct cf_http_resp resp = { 0 };
	json_t *payload = NULL, *obj = NULL;
	char *csr64;
	cf_rc rc;

	if ((csr64 = cf_b64url_encode(csr_der, csr_len)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	payload = json_pack("{s:s}", "csr", csr64);
	free(csr64);
	if (payload == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = post(a, o->finalize, payload, 0, CF_EP_FINALIZE, &resp, err);
	if (rc == CF_ERR_ACME &&
	    strstr(err->msg, "urn:ietf:params:acme:error:orderNotReady") != NULL) {
		/* The caller finalized as soon as every authorization was
		 * valid; this CA has not caught up yet: wait, then again. */
		cf_http_resp_free(&resp);
		free(o->status);
		if ((o->status = strdup("pending")) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = cf_acme_order_wait(a, o, "ready", err)) != CF_OK)
			goto out;
		rc = post(a, o->finalize, payload, 0, CF_EP_FINALIZE, &resp, err);
	}
	if (rc != CF_OK) {
		cf_err_wrap(err, "finalize");
		goto out;
	}
	/* Any 2xx: the RFC says 200, some CAs answer 201. */
	if ((rc = acme_json_body(&resp, "finalize", &obj, err)) != CF_OK)
		goto out;
	o->retry_after_s = resp_retry_after(&resp);
	rc = acme_order_load(o, obj, err);
out:
	json_decref(payload);
	cf_http_resp_free(&resp);
	return rc;
}

cf_rc
cf_acme_download_alt(struct cf_acme *a, const char *url, char **pem,
		     size_t *len, char ***alts, size_t *nalts,
		     struct cf_err *err)
{
	struct cf_http_resp resp;
	struct acme_req rq = { 0 };
	char *found[CF_ACME_MAX_ALT_CHAINS];
	size_t n = 0;
	cf_rc rc;

	*pem = NULL;
	if (alts != NULL) {
		*alts = NULL;
		*nalts = 0;
	}
	rq.method = "POST";
	rq.url = url;
	rq.payload = "";
	rq.cap = CF_HTTP_CAP_CERT;
	rq.ep = CF_EP_CERT;
	if ((rc = acme_request(a, &rq, &resp, err)) != CF_OK) {
		cf_http_resp_free(&resp);
		return cf_err_wrap(err, "certificate download");
	}
	if (resp.content_type != NULL &&
	    strcmp(resp.content_type, "application/pem-certificate-chain") != 0 &&
	    strstr(resp.body, "-----BEGIN CERTIFICATE-----") == NULL) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"certificate download: Content-Type %s is not a "
				"PEM certificate chain", resp.content_type);
		cf_http_resp_free(&resp);
		return rc;
	}
	/* RFC 8555 §7.4.2: other chains as Link: <url>;rel="alternate". */
	for (size_t i = 0; alts != NULL && i < resp.nlinks; i++)
		n += cf_link_find_all(resp.links[i], "alternate", found + n,
				      CF_ACME_MAX_ALT_CHAINS - n);
	if (n > 0) {
		if ((*alts = calloc(n + 1, sizeof(char *))) == NULL) {
			while (n > 0)
				free(found[--n]);
			cf_http_resp_free(&resp);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
		memcpy(*alts, found, n * sizeof(char *));
		*nalts = n;
	}
	*pem = resp.body;
	*len = resp.body_len;
	resp.body = NULL;
	cf_http_resp_free(&resp);
	return CF_OK;
}

cf_rc
cf_acme_download(struct cf_acme *a, const char *url, char **pem, size_t *len,
		 struct cf_err *err)
{
	return cf_acme_download_alt(a, url, pem, len, NULL, NULL, err);
}
