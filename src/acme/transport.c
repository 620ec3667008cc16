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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme/internal.h"
#include "core/log.h"
#include "core/time.h"
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

struct cf_acme_ca {
	char *dir_url;
	char *ca_bundle;
	struct cf_http_share *share;
	pthread_mutex_t dir_mu;      /* one directory fetch at a time */
	pthread_mutex_t mu;          /* everything below */
	pthread_cond_t slot_cv;
	struct cf_acme_directory dir;
	int have_dir;
	int down;
	struct cf_err down_err;
	int optional_down;           /* renewalInfo failed: not asked again */
	struct cf_err optional_err;
	time_t not_before;           /* the CA's last Retry-After, for all */
	int parallel, active;
	long dir_gets;
};


cf_rc
cf_acme_ca_new(const char *directory_url, const char *ca_bundle, int parallel,
	       int one_thread, struct cf_acme_ca **out, struct cf_err *err)
{
	struct cf_acme_ca *ca;

	*out = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->dir_url = strdup(directory_url ? directory_url : "")) == NULL ||
	    (ca_bundle != NULL && (ca->ca_bundle = strdup(ca_bundle)) == NULL)) {
		if (ca != NULL)
			free(ca->dir_url);
		free(ca);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if ((ca->share = cf_http_share_new(one_thread, err)) == NULL) {
		free(ca->dir_url);
		free(ca->ca_bundle);
		free(ca);
		return err->rc;
	}
	pthread_mutex_init(&ca->dir_mu, NULL);
	pthread_mutex_init(&ca->mu, NULL);
	pthread_cond_init(&ca->slot_cv, NULL);
	ca->parallel = parallel > 0 ? parallel : 1;
	*out = ca;
	return CF_OK;
}

void
cf_acme_ca_free(struct cf_acme_ca *ca)
{
	if (ca == NULL)
		return;
	cf_http_share_free(ca->share);
	acme_directory_free(&ca->dir);
	pthread_mutex_destroy(&ca->dir_mu);
	pthread_mutex_destroy(&ca->mu);
	pthread_cond_destroy(&ca->slot_cv);
	free(ca->dir_url);
	free(ca->ca_bundle);
	free(ca);
}

const char *
cf_acme_ca_url(const struct cf_acme_ca *ca)
{
	return ca->dir_url;
}

int
cf_acme_ca_is(const struct cf_acme_ca *ca, const char *directory_url,
	      const char *ca_bundle)
{
	return strcmp(ca->dir_url, directory_url ? directory_url : "") == 0 &&
	       ((ca->ca_bundle == NULL && ca_bundle == NULL) ||
		(ca->ca_bundle != NULL && ca_bundle != NULL &&
		 strcmp(ca->ca_bundle, ca_bundle) == 0));
}

int
cf_acme_ca_down(struct cf_acme_ca *ca, struct cf_err *why)
{
	int down;

	pthread_mutex_lock(&ca->mu);
	down = ca->down;
	if (down && why != NULL)
		*why = ca->down_err;
	pthread_mutex_unlock(&ca->mu);
	return down;
}

/* Open the breaker (the first failure is the one remembered). */
static void
ca_trip(struct cf_acme_ca *ca, const struct cf_err *err)
{
	pthread_mutex_lock(&ca->mu);
	if (!ca->down) {
		ca->down = 1;
		ca->down_err = *err;
		cf_warn("%s: the CA is unreachable or failing; no more requests "
			"to it in this run: %s", ca->dir_url, err->msg);
	}
	pthread_mutex_unlock(&ca->mu);
}

void
cf_acme_ca_slot_take(struct cf_acme_ca *ca)
{
	pthread_mutex_lock(&ca->mu);
	while (ca->active >= ca->parallel)
		pthread_cond_wait(&ca->slot_cv, &ca->mu);
	ca->active++;
	pthread_mutex_unlock(&ca->mu);
}

void
cf_acme_ca_slot_give(struct cf_acme_ca *ca)
{
	pthread_mutex_lock(&ca->mu);
	ca->active--;
	pthread_cond_signal(&ca->slot_cv);
	pthread_mutex_unlock(&ca->mu);
}

long
cf_acme_ca_directory_gets(struct cf_acme_ca *ca)
{
	long n;

	pthread_mutex_lock(&ca->mu);
	n = ca->dir_gets;
	pthread_mutex_unlock(&ca->mu);
	return n;
}

cf_rc
cf_acme_new(const struct cf_acme_opts *opts, struct cf_acme **out,
	    struct cf_err *err)
{
	struct cf_http_opts hopts;
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
	a->ca = opts->ca;
	hopts = opts->http;
	if (a->ca != NULL)
		hopts.share = a->ca->share;
	if ((a->dir_url = acme_strdup(opts->directory_url, err)) == NULL ||
	    (a->http = cf_http_new(&hopts, err)) == NULL) {
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

/* A shared CA: is it down, and did the CA ask any job to wait? */
static cf_rc
ca_gate(struct cf_acme *a, const struct acme_req *rq, struct cf_err *err)
{
	struct cf_acme_ca *ca = a->ca;
	struct cf_err why;
	time_t nb;
	long wait;
	int odown;

	pthread_mutex_lock(&ca->mu);
	odown = rq != NULL && rq->optional && ca->optional_down;
	if (odown)
		why = ca->optional_err;
	pthread_mutex_unlock(&ca->mu);
	if (odown)
		return cf_err_set(err, why.rc == CF_ERR_NOMEM ? CF_ERR_NET : why.rc,
				  "not sent: it failed earlier in this run (%s)",
				  why.msg);
	if (cf_acme_ca_down(ca, &why))
		return cf_err_set(err, why.rc == CF_ERR_NOMEM ? CF_ERR_NET : why.rc,
				  "not sent: the CA was found unreachable or "
				  "failing earlier in this run (%s)", why.msg);
	pthread_mutex_lock(&ca->mu);
	nb = ca->not_before;
	pthread_mutex_unlock(&ca->mu);
	wait = (long)(nb - time(NULL));
	if (wait > 0)
		return wait_retry_after(a, wait, "the CA asked to slow down", err);
	return CF_OK;
}

/* A 429 or 503 with Retry-After: every job of the CA waits as long. */
static void
ca_hold(struct cf_acme *a, long secs)
{
	time_t until = time(NULL) + secs;

	if (a->ca == NULL || secs <= 0)
		return;
	pthread_mutex_lock(&a->ca->mu);
	if (until > a->ca->not_before)
		a->ca->not_before = until;
	pthread_mutex_unlock(&a->ca->mu);
}

static cf_rc request_policy(struct cf_acme *a, const struct acme_req *rq,
			    struct cf_http_resp *resp, struct cf_err *err);

cf_rc
acme_request(struct cf_acme *a, const struct acme_req *rq,
	     struct cf_http_resp *resp, struct cf_err *err)
{
	cf_rc rc = request_policy(a, rq, resp, err);

	/* Retries ran out on the network or 5xx, or TLS is refused: the
	 * CA is down for this run.  (A request sent once proves nothing.) */
	if (a->ca != NULL && !rq->once &&
	    (rc == CF_ERR_NET || rc == CF_ERR_TLS)) {
		if (!rq->optional) {
			ca_trip(a->ca, err);
		} else {
			pthread_mutex_lock(&a->ca->mu);
			if (!a->ca->optional_down) {
				a->ca->optional_down = 1;
				a->ca->optional_err = *err;
			}
			pthread_mutex_unlock(&a->ca->mu);
		}
	}
	return rc;
}

static cf_rc
request_policy(struct cf_acme *a, const struct acme_req *rq,
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
		if (a->ca != NULL && (rc = ca_gate(a, rq, err)) != CF_OK)
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
			ca_hold(a, ra);
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

static cf_rc fetch_directory(struct cf_acme *a, struct cf_err *err);

static cf_rc
dir_copy(struct cf_acme_directory *to, const struct cf_acme_directory *from,
	 struct cf_err *err)
{
	const char *const src[] = { from->new_nonce, from->new_account,
				    from->new_order, from->revoke_cert,
				    from->key_change, from->renewal_info,
				    from->terms_of_service, from->website };
	char **const dst[] = { &to->new_nonce, &to->new_account,
			       &to->new_order, &to->revoke_cert,
			       &to->key_change, &to->renewal_info,
			       &to->terms_of_service, &to->website };

	acme_directory_free(to);
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (src[i] != NULL && (*dst[i] = strdup(src[i])) == NULL) {
			acme_directory_free(to);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
	to->eab_required = from->eab_required;
	to->profiles = from->profiles ? json_incref(from->profiles) : NULL;
	to->caa_identities = from->caa_identities ?
				     json_incref(from->caa_identities) : NULL;
	return CF_OK;
}

/* The directory through the shared CA: fetched by the first job that
 * asks (a short probe: CF_ACME_CA_PROBE_RETRIES), copied by the others. */
static cf_rc
ca_directory(struct cf_acme *a, struct cf_err *err)
{
	struct cf_acme_ca *ca = a->ca;
	long before = a->counters[CF_EP_DIRECTORY];
	int max_retries = a->max_retries;
	cf_rc rc;

	pthread_mutex_lock(&ca->dir_mu);
	if (ca->have_dir) {
		rc = dir_copy(&a->dir, &ca->dir, err);
		goto out;
	}
	if ((rc = ca_gate(a, NULL, err)) != CF_OK)
		goto out;
	if (a->max_retries > CF_ACME_CA_PROBE_RETRIES)
		a->max_retries = CF_ACME_CA_PROBE_RETRIES;
	rc = fetch_directory(a, err);
	a->max_retries = max_retries;
	pthread_mutex_lock(&ca->mu);
	ca->dir_gets += a->counters[CF_EP_DIRECTORY] - before;
	pthread_mutex_unlock(&ca->mu);
	if (rc == CF_OK) {
		if ((rc = dir_copy(&ca->dir, &a->dir, err)) == CF_OK)
			ca->have_dir = 1;
	} else if (rc != CF_ERR_NOMEM) {
		ca_trip(ca, err);
	}
out:
	pthread_mutex_unlock(&ca->dir_mu);
	return rc;
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
	cf_rc rc;

	if (!a->have_dir) {
		rc = a->ca != NULL ? ca_directory(a, err) : fetch_directory(a, err);
		if (rc != CF_OK)
			return rc;
		a->have_dir = 1;
	}
	*dir = &a->dir;
	return CF_OK;
}

static cf_rc
fetch_directory(struct cf_acme *a, struct cf_err *err)
{
	struct cf_http_resp resp;
	struct acme_req rq = { 0 };
	json_t *d = NULL;
	cf_rc rc;

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
	rc = acme_directory_load(&a->dir, d, err);
out:
	json_decref(d);
	cf_http_resp_free(&resp);
	return rc;
}
