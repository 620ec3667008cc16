/*
 * transport.c - the one retry policy of certferry, and the run's state.
 *
 * Every request to the CA goes through acme_request():
 *  - network errors, timeouts and 500/502/503/504 are retried with
 *    exponential backoff and jitter, at most max_retries times and never
 *    past the run's wait budget;
 *  - badNonce is retried at once with the nonce of the error response;
 *  - 429 and 503 with Retry-After wait exactly as long as the CA asked,
 *    or end the run with CF_ERR_PENDING naming the time when that is past
 *    the budget;
 *  - a signed request is signed anew for every attempt, with a fresh
 *    nonce: a JWS is never sent twice;
 *  - other 4xx problems are final, and so is a server certificate that
 *    is not trusted (CF_ERR_TLS from the HTTP client: only --ca-bundle
 *    fixes it);
 *  - when retries run out on a 5xx, the CA's last problem document is
 *    kept in the message: it is what a support ticket needs;
 *  - no request starts once the wait budget is spent, so a run lasts at
 *    most --wait plus one request's timeout, however many URLs the CA
 *    hands out;
 *  - a URL on another origin (scheme, host, port) than the directory is
 *    refused unless allow_cross_origin: TLS verification alone would let
 *    the CA send certferry to any host with a valid certificate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme/internal.h"
#include "core/log.h"
#include "http/headers.h"

#define BADNONCE_RETRIES 20

static const char *const ep_names[] = {
	[CF_EP_DIRECTORY] = "directory",
	[CF_EP_NONCE] = "newNonce",
	[CF_EP_ACCOUNT] = "account",
	[CF_EP_ORDER] = "order",
	[CF_EP_AUTHZ] = "authorization",
	[CF_EP_CHALLENGE] = "challenge",
	[CF_EP_FINALIZE] = "finalize",
	[CF_EP_CERT] = "certificate",
	[CF_EP_OTHER] = "other",
};
_Static_assert(sizeof(ep_names) / sizeof(ep_names[0]) == CF_EP_COUNT,
	       "ep_names must name every endpoint");

const char *
cf_acme_ep_name(enum cf_acme_ep ep)
{
	return (unsigned)ep < CF_EP_COUNT ? ep_names[ep] : "?";
}

const long *
cf_acme_counters(const struct cf_acme *a)
{
	return a->counters;
}

time_t
cf_acme_retry_not_before(const struct cf_acme *a)
{
	return a->retry_not_before;
}

char *
acme_strdup(const char *s, struct cf_err *err)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return d;
}

void
acme_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long
elapsed_s(const struct cf_acme *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - a->start.tv_sec);
}

static long
acme_requests_total(const struct cf_acme *a)
{
	long n = 0;

	for (int i = 0; i < CF_EP_COUNT; i++)
		n += a->counters[i];
	return n;
}

long
acme_budget_left(const struct cf_acme *a)
{
	long left = a->wait_budget_s - elapsed_s(a);

	return left > 0 ? left : 0;
}

cf_rc
cf_acme_new(const struct cf_acme_opts *opts, struct cf_acme **out,
	    struct cf_err *err)
{
	struct cf_acme *a;

	*out = NULL;
	if (opts->directory_url == NULL || *opts->directory_url == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "no ACME server given: use --server URL or "
				  "CERTFERRY_SERVER (the CA's directory URL)");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	a->wait_budget_s = opts->wait_budget_s > 0 ? opts->wait_budget_s : 300;
	if (opts->wait_budget_s < 0)
		a->wait_budget_s = 0;
	a->max_retries = opts->max_retries > 0 ? opts->max_retries : 5;
	a->allow_cross_origin = opts->allow_cross_origin;
	if (cf_url_origin(opts->directory_url, a->dir_origin,
			  sizeof(a->dir_origin)) != CF_OK) {
		free(a);
		return cf_err_set(err, CF_ERR_USAGE,
				  "the ACME server %s is not an absolute https URL: "
				  "give the CA's directory URL with --server",
				  opts->directory_url);
	}
	if ((a->dir_url = acme_strdup(opts->directory_url, err)) == NULL ||
	    (a->http = cf_http_new(&opts->http, err)) == NULL) {
		cf_acme_free(a);
		return err->rc;
	}
	*out = a;
	return CF_OK;
}

void
acme_directory_free(struct cf_acme_directory *d)
{
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	free(d->website);
	json_decref(d->profiles);
	json_decref(d->caa_identities);
	memset(d, 0, sizeof(*d));
}

void
cf_acme_free(struct cf_acme *a)
{
	if (a == NULL)
		return;
	cf_http_free(a->http);
	acme_directory_free(&a->dir);
	free(a->dir_url);
	free(a->nonce);
	free(a->kid);
	free(a);
}

void
cf_acme_set_signer(struct cf_acme *a, const struct cf_acme_signer *s)
{
	a->signer = s;
}

cf_rc
cf_acme_set_account_url(struct cf_acme *a, const char *url, struct cf_err *err)
{
	char *k = acme_strdup(url, err);

	if (k == NULL)
		return CF_ERR_NOMEM;
	free(a->kid);
	a->kid = k;
	return CF_OK;
}

const char *
cf_acme_account_url(const struct cf_acme *a)
{
	return a->kid;
}

cf_rc
acme_json_body(const struct cf_http_resp *resp, const char *what, json_t **obj,
	       struct cf_err *err)
{
	json_error_t je;
	const char *ct = resp->content_type ? resp->content_type : "(none)";

	*obj = NULL;
	if (strcmp(ct, "application/json") != 0 &&
	    strcmp(ct, "application/problem+json") != 0)
		return cf_err_set(err, CF_ERR_PROTO,
				  "%s: the server answered HTTP %ld with Content-Type %s "
				  "instead of JSON (a proxy or a wrong URL?)",
				  what, resp->status, ct);
	*obj = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, &je);
	if (*obj == NULL || !json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		return cf_err_set(err, CF_ERR_PROTO,
				  "%s: the server's JSON is malformed or truncated "
				  "(%s at byte %d)", what, je.text, je.position);
	}
	return CF_OK;
}

/* Keep the Replay-Nonce of any response for the next request. */
static void
take_nonce(struct cf_acme *a, struct cf_http_resp *resp)
{
	if (resp->replay_nonce == NULL || *resp->replay_nonce == '\0')
		return;
	free(a->nonce);
	a->nonce = resp->replay_nonce;
	resp->replay_nonce = NULL;
}

static cf_rc
fetch_nonce(struct cf_acme *a, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_http_resp resp;
	struct acme_req rq = { 0 };
	cf_rc rc;

	if ((rc = cf_acme_get_directory(a, &dir, err)) != CF_OK)
		return rc;
	rq.method = "HEAD";
	rq.url = dir->new_nonce;
	rq.cap = CF_HTTP_CAP_JSON;
	rq.ep = CF_EP_NONCE;
	rc = acme_request(a, &rq, &resp, err);
	cf_http_resp_free(&resp);
	if (rc == CF_OK && a->nonce == NULL)
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the CA's newNonce answer carries no Replay-Nonce");
	return rc;
}

/* Backoff before retry number `attempt` (1-based): 1 s, 2 s, 4 s ... max
 * 30 s, with jitter of +/-25%. */
static long
backoff_ms(int attempt)
{
	unsigned char r[2] = { 0, 0 };
	long base = 1000L << (attempt > 5 ? 5 : attempt - 1);
	long jitter;

	if (base > 30000)
		base = 30000;
	(void)RAND_bytes(r, sizeof(r));
	jitter = (long)((r[0] << 8 | r[1]) % 1000) - 500; /* -500..499 */
	return base + base * jitter / 2000;
}

static int
is_retryable_status(long s)
{
	return s == 500 || s == 502 || s == 503 || s == 504;
}

/* Wait as the CA asked via Retry-After, or give up with CF_ERR_PENDING. */
static cf_rc
wait_retry_after(struct cf_acme *a, long secs, const char *what,
		 struct cf_err *err)
{
	char when[32];

	if (secs > acme_budget_left(a)) {
		a->retry_not_before = time(NULL) + secs;
		cf_rfc3339_format(a->retry_not_before, when);
		return cf_err_set(err, CF_ERR_PENDING,
				  "%s: the CA asked to wait until %s, beyond this "
				  "run's wait budget (--wait); run again after that time",
				  what, when);
	}
	if (secs >= 3) {
		cf_clock_format(time(NULL) + secs, when);
		cf_progress("%s: waiting until %s (%ld s) as the CA asked", what,
			    when, secs);
	}
	acme_sleep_ms(secs * 1000);
	return CF_OK;
}

/* May rq be sent at all?  Same origin as the directory (unless allowed)
 * and some wait budget left.  A first attempt past the budget is
 * CF_ERR_PENDING (the order, if any, is resumed by the next run); a retry
 * past it is the failure of the attempts before (CF_ERR_NET). */
static cf_rc
request_allowed(struct cf_acme *a, const struct acme_req *rq, int attempt,
		struct cf_err *err)
{
	char origin[300];

	if (!a->allow_cross_origin &&
	    (cf_url_origin(rq->url, origin, sizeof(origin)) != CF_OK ||
	     strcmp(origin, a->dir_origin) != 0))
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA sent certferry to %s, which is not on "
				  "the origin of its directory (%s): refused; if "
				  "this CA serves ACME from several hosts, allow "
				  "it with --allow-cross-origin", rq->url,
				  a->dir_origin);
	if (a->wait_budget_s > 0 && elapsed_s(a) >= a->wait_budget_s &&
	    attempt > 0) {
		/* A retry the budget does not allow: this request failed. */
		char last[CF_ERR_MSG_MAX];
		snprintf(last, sizeof(last), "%s",
			 err->rc == CF_ERR_NET ? err->msg : "no usable answer");
		return cf_err_set(err, CF_ERR_NET,
				  "%s; no wait budget left to retry (--wait %ld s, "
				  "%d attempts)", last, a->wait_budget_s, attempt);
	}
	if (a->wait_budget_s > 0 && elapsed_s(a) >= a->wait_budget_s)
		return cf_err_set(err, CF_ERR_PENDING,
				  "this run's wait budget (--wait %ld s) is spent "
				  "after %ld requests; %s %s was not sent: run "
				  "again later", a->wait_budget_s,
				  acme_requests_total(a), rq->method, rq->url);
	return CF_OK;
}

cf_rc
acme_request(struct cf_acme *a, const struct acme_req *rq,
	     struct cf_http_resp *resp, struct cf_err *err)
{
	const char *ptype;
	json_t *prob = NULL;
	char *jws = NULL, pbuf[CF_ERR_MSG_MAX];
	int attempt = 0, badnonce = 0;
	int is_post = strcmp(rq->method, "POST") == 0;
	long ra;
	cf_rc rc;

	memset(resp, 0, sizeof(*resp));
	for (;;) {
		json_decref(prob);
		prob = NULL;
		cf_http_resp_free(resp);
		if ((rc = request_allowed(a, rq, attempt, err)) != CF_OK)
			goto out;
		if (is_post) {
			if (a->signer == NULL)
				return cf_err_set(err, CF_ERR_INTERNAL,
						  "signed request without a signer");
			if (a->nonce == NULL &&
			    (rc = fetch_nonce(a, err)) != CF_OK)
				return rc;
			rc = a->signer->sign(a->signer->ctx, rq->url, a->nonce,
					     rq->use_jwk ? NULL : a->kid,
					     rq->payload ? rq->payload : "", &jws,
					     err);
			/* A nonce is good for one request only. */
			free(a->nonce);
			a->nonce = NULL;
			if (rc != CF_OK)
				return rc;
			rc = cf_http_request(a->http, "POST", rq->url,
					     "application/jose+json", jws,
					     strlen(jws), rq->cap, resp, err);
			free(jws);
			jws = NULL;
		} else {
			rc = cf_http_request(a->http, rq->method, rq->url, NULL,
					     NULL, 0, rq->cap, resp, err);
		}
		a->counters[rq->ep]++;
		if (rc == CF_ERR_NET) {
			if (rq->once)
				return cf_err_wrap(err, "not retried: the CA may "
						   "have applied it");
			if (++attempt > a->max_retries)
				return cf_err_wrap(err, "giving up after %d attempts",
						   attempt);
			ra = backoff_ms(attempt);
			if (ra / 1000 >= acme_budget_left(a))
				return cf_err_wrap(err, "wait budget exhausted");
			cf_info("%s; retrying in %ld ms", err->msg, ra);
			acme_sleep_ms(ra);
			continue;
		}
		if (rc != CF_OK)
			return rc;
		take_nonce(a, resp);
		if (resp->status >= 200 && resp->status < 300)
			return CF_OK;

		/* An error: look at the problem document, if any. */
		if (resp->content_type != NULL &&
		    strcmp(resp->content_type, "application/problem+json") == 0)
			prob = json_loadb(resp->body, resp->body_len, 0, NULL);
		ptype = json_string_value(json_object_get(prob, "type"));
		if (ptype != NULL &&
		    strcmp(ptype, "urn:ietf:params:acme:error:badNonce") == 0 &&
		    is_post && ++badnonce <= BADNONCE_RETRIES) {
			cf_debug("badNonce from %s; retrying with a fresh nonce",
				 rq->url);
			continue;
		}
		ra = -1;
		if (resp->retry_after != NULL &&
		    cf_retry_after_parse(resp->retry_after, time(NULL), &ra) !=
			    CF_OK)
			ra = -1;
		if (resp->status == 429 || (resp->status == 503 && ra >= 0)) {
			if (prob != NULL)
				cf_acme_problem_format(prob, pbuf, sizeof(pbuf));
			else
				snprintf(pbuf, sizeof(pbuf), "HTTP %ld",
					 resp->status);
			if (ra < 0)
				ra = resp->status == 429 ? 60 : 0;
			if (++attempt > a->max_retries) {
				rc = cf_err_set(err, CF_ERR_ACME,
						"%s %s: %s (gave up after %d attempts)",
						rq->method, rq->url, pbuf, attempt);
				goto out;
			}
			cf_warn("%s: %s", rq->url, pbuf);
			if ((rc = wait_retry_after(a, ra,
					resp->status == 429 ? "rate limited" :
							      "CA unavailable",
					err)) != CF_OK)
				goto out;
			continue;
		}
		if (is_retryable_status(resp->status) && rq->once) {
			rc = cf_err_set(err, CF_ERR_NET,
					"%s %s: HTTP %ld (not retried: the CA may "
					"have applied it)", rq->method, rq->url,
					resp->status);
			goto out;
		}
		if (is_retryable_status(resp->status)) {
			long ms = ra >= 0 ? ra * 1000 : backoff_ms(attempt + 1);
			/* The CA's own words, for the message when this was
			 * the last try: what a support ticket needs. */
			if (prob != NULL)
				cf_acme_problem_format(prob, pbuf, sizeof(pbuf));
			else
				snprintf(pbuf, sizeof(pbuf),
					 "no problem document (Content-Type %s)",
					 resp->content_type ? resp->content_type :
							      "none");
			if (++attempt > a->max_retries) {
				rc = cf_err_set(err, CF_ERR_NET,
						"%s %s: HTTP %ld after %d attempts; the "
						"CA's last answer: %s", rq->method,
						rq->url, resp->status, attempt, pbuf);
				goto out;
			}
			if (ms / 1000 >= acme_budget_left(a)) {
				rc = cf_err_set(err, CF_ERR_NET,
						"%s %s: HTTP %ld and no wait budget "
						"left to retry; the CA's last answer: %s",
						rq->method, rq->url, resp->status, pbuf);
				goto out;
			}
			cf_info("%s %s: HTTP %ld; retrying in %ld ms", rq->method,
				rq->url, resp->status, ms);
			acme_sleep_ms(ms);
			continue;
		}
		if (prob != NULL) {
			cf_acme_problem_format(prob, pbuf, sizeof(pbuf));
			rc = cf_err_set(err, CF_ERR_ACME, "%s", pbuf);
		} else {
			rc = cf_err_set(err, CF_ERR_PROTO,
					"%s %s: unexpected HTTP %ld (Content-Type %s)",
					rq->method, rq->url, resp->status,
					resp->content_type ? resp->content_type :
							     "none");
		}
		goto out;
	}
out:
	json_decref(prob);
	return rc;
}

static cf_rc
dir_string(json_t *d, const char *key, int required, char **out,
	   struct cf_err *err)
{
	const char *v = json_string_value(json_object_get(d, key));

	if (v == NULL) {
		if (required)
			return cf_err_set(err, CF_ERR_PROTO,
					  "its JSON has no \"%s\"", key);
		return CF_OK;
	}
	if ((*out = strdup(v)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/*
 * An answer that is not an ACME directory (404, an HTML page, JSON
 * without the three required URLs, a 4xx problem) means the --server URL
 * is wrong: say so and show what a directory URL looks like.  Errors that
 * retrying may fix or that have their own advice (network, TLS, rate
 * limits, a CA that stays down) are left as they are.
 */
static cf_rc
not_a_directory(const struct cf_acme *a, const struct cf_http_resp *resp,
		struct cf_err *err)
{
	char why[CF_ERR_MSG_MAX];

	if (err->rc != CF_ERR_PROTO &&
	    !(err->rc == CF_ERR_ACME && resp->status >= 400 &&
	      resp->status < 500 && resp->status != 429))
		return err->rc;
	snprintf(why, sizeof(why), "%s", err->msg);
	return cf_err_set(err, CF_ERR_USAGE,
			  "%s is not an ACME directory (%s): give --server the "
			  "CA's directory URL, e.g. https://acme.example.com/directory, "
			  "which answers JSON with newNonce, newAccount and newOrder",
			  a->dir_url, why);
}

cf_rc
acme_directory_load(struct cf_acme_directory *dir, json_t *d,
		    struct cf_err *err)
{
	json_t *meta;
	cf_rc rc;

	memset(dir, 0, sizeof(*dir));
	if ((rc = dir_string(d, "newNonce", 1, &dir->new_nonce, err)) ||
	    (rc = dir_string(d, "newAccount", 1, &dir->new_account, err)) ||
	    (rc = dir_string(d, "newOrder", 1, &dir->new_order, err)) ||
	    (rc = dir_string(d, "revokeCert", 0, &dir->revoke_cert, err)) ||
	    (rc = dir_string(d, "keyChange", 0, &dir->key_change, err)) ||
	    (rc = dir_string(d, "renewalInfo", 0, &dir->renewal_info, err)))
		goto out;
	meta = json_object_get(d, "meta");
	if ((rc = dir_string(meta, "termsOfService", 0,
			     &dir->terms_of_service, err)) != CF_OK)
		goto out;
	dir->eab_required =
		json_is_true(json_object_get(meta, "externalAccountRequired"));
	if ((rc = dir_string(meta, "website", 0, &dir->website, err)) != CF_OK)
		goto out;
	/* Kept only when well-formed: a CA's odd meta never fails a run. */
	if (json_is_object(json_object_get(meta, "profiles")))
		dir->profiles = json_incref(json_object_get(meta, "profiles"));
	if (json_is_array(json_object_get(meta, "caaIdentities")))
		dir->caa_identities =
			json_incref(json_object_get(meta, "caaIdentities"));
out:
	if (rc != CF_OK)
		acme_directory_free(dir);
	return rc;
}

cf_rc
cf_acme_get_directory(struct cf_acme *a, const struct cf_acme_directory **dir,
		      struct cf_err *err)
{
	struct cf_http_resp resp;
	struct acme_req rq = { 0 };
	json_t *d = NULL;
	cf_rc rc;

	if (a->have_dir) {
		*dir = &a->dir;
		return CF_OK;
	}
	rq.method = "GET";
	rq.url = a->dir_url;
	rq.cap = CF_HTTP_CAP_JSON;
	rq.ep = CF_EP_DIRECTORY;
	if ((rc = acme_request(a, &rq, &resp, err)) != CF_OK) {
		if ((rc = not_a_directory(a, &resp, err)) != CF_ERR_USAGE)
			cf_err_wrap(err, "ACME directory %s", a->dir_url);
		goto out;
	}
	if ((rc = acme_json_body(&resp, "ACME directory", &d, err)) == CF_OK) {
		static const char *const need[] = { "newNonce", "newAccount",
						    "newOrder" };
		for (size_t i = 0; i < 3 && rc == CF_OK; i++)
			if (!json_is_string(json_object_get(d, need[i])))
				rc = cf_err_set(err, CF_ERR_PROTO,
						"its JSON has no \"%s\"", need[i]);
	}
	if (rc != CF_OK) {
		rc = not_a_directory(a, &resp, err);
		goto out;
	}
	if ((rc = acme_directory_load(&a->dir, d, err)) != CF_OK)
		goto out;
	a->have_dir = 1;
	*dir = &a->dir;
out:
	json_decref(d);
	cf_http_resp_free(&resp);
	return rc;
}
