/*
 * transport.c - carries out the one retry policy of certferry, and holds
 * the run's state.
 *
 * Every request to the CA goes through acme_request(), which signs, sends,
 * waits and words the errors as the pure decisions of retry.h say
 * (tested by tests/unit/test_acme_retry.c):
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
#include "acme/retry.h"
#include "core/log.h"
#include "core/time.h"
#include "http/headers.h"

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
	struct cf_breaker br;        /* down, and the CA's last Retry-After */
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
	down = ca->br.down;
	if (down && why != NULL)
		*why = ca->br.down_err;
	pthread_mutex_unlock(&ca->mu);
	return down;
}

/* Open the breaker (the first failure is the one remembered); optional:
 * only for the optional requests (renewalInfo). */
static void
ca_trip(struct cf_acme_ca *ca, int optional, const struct cf_err *err)
{
	pthread_mutex_lock(&ca->mu);
	if (cf_breaker_open(&ca->br, optional, err) && !optional)
		cf_warn("%s: the CA is unreachable or failing; no more requests "
			"to it in this run: %s", ca->dir_url, err->msg);
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

cf_rc
cf_acme_warm_up(struct cf_acme *a, struct cf_err *err)
{
	return a->nonce != NULL ? CF_OK : fetch_nonce(a, err);
}

/* The jitter of the backoff: 16 random bits. */
static unsigned
jitter_rand(void *ctx)
{
	unsigned char r[2] = { 0, 0 };

	(void)ctx;
	(void)RAND_bytes(r, sizeof(r));
	return (unsigned)(r[0] << 8 | r[1]);
}

/* Wait as the CA asked via Retry-After, or give up with CF_ERR_PENDING. */
static cf_rc
wait_retry_after(struct cf_acme *a, long secs, const char *what,
		 struct cf_err *err)
{
	char when[32];

	if (!cf_retry_wait_fits(secs, acme_budget_left(a))) {
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

/* rq's URL is on the origin of the directory, or that is allowed. */
static cf_rc
origin_allowed(const struct cf_acme *a, const struct acme_req *rq,
	       struct cf_err *err)
{
	char origin[300];

	if (a->allow_cross_origin ||
	    (cf_url_origin(rq->url, origin, sizeof(origin)) == CF_OK &&
	     strcmp(origin, a->dir_origin) == 0))
		return CF_OK;
	return cf_err_set(err, CF_ERR_PROTO,
			  "the CA sent certferry to %s, which is not on "
			  "the origin of its directory (%s): refused; if "
			  "this CA serves ACME from several hosts, allow "
			  "it with --allow-cross-origin", rq->url, a->dir_origin);
}

/* Some wait budget is left for attempt (0 = the first).  A first attempt
 * past the budget is CF_ERR_PENDING (the order, if any, is resumed by the
 * next run); a retry past it is the failure of the attempts before
 * (CF_ERR_NET). */
static cf_rc
budget_allowed(const struct cf_acme *a, const struct acme_req *rq, int attempt,
	       struct cf_err *err)
{
	char last[CF_ERR_MSG_MAX];

	switch (cf_retry_gate(a->wait_budget_s, elapsed_s(a), attempt)) {
	case CF_RETRY_SPENT_RETRY:
		snprintf(last, sizeof(last), "%s",
			 err->rc == CF_ERR_NET ? err->msg : "no usable answer");
		return cf_err_set(err, CF_ERR_NET,
				  "%s; no wait budget left to retry (--wait %ld s, "
				  "%d attempts)", last, a->wait_budget_s, attempt);
	case CF_RETRY_SPENT_FIRST:
		return cf_err_set(err, CF_ERR_PENDING,
				  "this run's wait budget (--wait %ld s) is spent "
				  "after %ld requests; %s %s was not sent: run "
				  "again later", a->wait_budget_s,
				  acme_requests_total(a), rq->method, rq->url);
	default:
		return CF_OK;
	}
}

/* A shared CA: is the breaker open, and did the CA ask any job to wait?
 * optional: a renewalInfo request. */
static cf_rc
ca_gate(struct cf_acme *a, int optional, struct cf_err *err)
{
	struct cf_acme_ca *ca = a->ca;
	enum cf_breaker_answer ans;
	struct cf_err why;
	long wait;

	pthread_mutex_lock(&ca->mu);
	ans = cf_breaker_check(&ca->br, optional, time(NULL), &wait, &why);
	pthread_mutex_unlock(&ca->mu);
	switch (ans) {
	case CF_BREAKER_OPTIONAL_OPEN:
		return cf_err_set(err, cf_breaker_refusal_rc(why.rc),
				  "not sent: it failed earlier in this run (%s)",
				  why.msg);
	case CF_BREAKER_OPEN:
		return cf_err_set(err, cf_breaker_refusal_rc(why.rc),
				  "not sent: the CA was found unreachable or "
				  "failing earlier in this run (%s)", why.msg);
	case CF_BREAKER_WAIT:
		return wait_retry_after(a, wait, "the CA asked to slow down", err);
	default:
		return CF_OK;
	}
}

/* May attempt number `attempt` (0 = the first) of rq start? */
static cf_rc
attempt_allowed(struct cf_acme *a, const struct acme_req *rq, int attempt,
		struct cf_err *err)
{
	cf_rc rc;

	if ((rc = origin_allowed(a, rq, err)) != CF_OK ||
	    (rc = budget_allowed(a, rq, attempt, err)) != CF_OK)
		return rc;
	return a->ca != NULL ? ca_gate(a, rq->optional, err) : CF_OK;
}

/* A 429 or 503 with Retry-After: every job of the CA waits as long. */
static void
ca_hold(struct cf_acme *a, long secs)
{
	if (a->ca == NULL)
		return;
	pthread_mutex_lock(&a->ca->mu);
	cf_breaker_hold(&a->ca->br, time(NULL), secs);
	pthread_mutex_unlock(&a->ca->mu);
}

/* Sign rq with the carried nonce (fetched first when there is none); a
 * nonce is good for one request only, so it is used up. */
static cf_rc
attempt_sign(struct cf_acme *a, const struct acme_req *rq, char **jws,
	     struct cf_err *err)
{
	cf_rc rc;

	if (a->signer == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "signed request without a signer");
	if (a->nonce == NULL && (rc = fetch_nonce(a, err)) != CF_OK)
		return rc;
	rc = a->signer->sign(a->signer->ctx, rq->url, a->nonce,
			     rq->use_jwk ? NULL : a->kid,
			     rq->payload ? rq->payload : "", jws, err);
	free(a->nonce);
	a->nonce = NULL;
	return rc;
}

/* Send one attempt of rq (a POST signed anew).  *sent is 0 when nothing
 * went out (signing failed); the answer's Replay-Nonce is kept. */
static cf_rc
attempt_send(struct cf_acme *a, const struct acme_req *rq,
	     struct cf_http_resp *resp, int *sent, struct cf_err *err)
{
	char *jws = NULL;
	cf_rc rc;

	*sent = 0;
	if (strcmp(rq->method, "POST") == 0) {
		if ((rc = attempt_sign(a, rq, &jws, err)) != CF_OK)
			return rc;
		rc = cf_http_request(a->http, "POST", rq->url,
				     "application/jose+json", jws, strlen(jws),
				     rq->cap, resp, err);
		free(jws);
	} else {
		rc = cf_http_request(a->http, rq->method, rq->url, NULL, NULL, 0,
				     rq->cap, resp, err);
	}
	*sent = 1;
	a->counters[rq->ep]++;
	if (rc == CF_OK)
		take_nonce(a, resp);
	return rc;
}

/* One attempt's outcome as the policy sees it; *prob receives the problem
 * document of an error answer (or NULL). */
static struct cf_retry_answer
attempt_answer(cf_rc rc, const struct cf_http_resp *resp, json_t **prob)
{
	struct cf_retry_answer ans = { rc, resp->status, 0, -1 };

	*prob = NULL;
	if (rc != CF_OK || (resp->status >= 200 && resp->status < 300))
		return ans;
	if (resp->content_type != NULL &&
	    strcmp(resp->content_type, "application/problem+json") == 0)
		*prob = json_loadb(resp->body, resp->body_len, 0, NULL);
	ans.bad_nonce = cf_retry_is_bad_nonce(
		json_string_value(json_object_get(*prob, "type")));
	ans.retry_after_s = cf_retry_after_s(resp->retry_after, time(NULL));
	return ans;
}

/* The CA's own words about an error answer: its problem document, else
 * what there is (for a support ticket when this was the last try). */
static void
answer_words(json_t *prob, const struct cf_http_resp *resp,
	     enum cf_retry_kind kind, char *buf, size_t len)
{
	if (prob != NULL)
		cf_acme_problem_format(prob, buf, len);
	else if (kind == CF_RETRY_K_LIMITED)
		snprintf(buf, len, "HTTP %ld", resp->status);
	else
		snprintf(buf, len, "no problem document (Content-Type %s)",
			 resp->content_type ? resp->content_type : "none");
}

/* The error of a request that ended on a network error. */
static cf_rc
net_failed(const struct cf_retry_step *step, int attempt, struct cf_err *err)
{
	switch (step->action) {
	case CF_RETRY_NOT_ONCE:
		return cf_err_wrap(err, "not retried: the CA may have applied it");
	case CF_RETRY_EXHAUSTED:
		return cf_err_wrap(err, "giving up after %d attempts", attempt);
	default:
		return cf_err_wrap(err, "wait budget exhausted");
	}
}

/* The error of a request that ended on an HTTP error answer. */
static cf_rc
http_failed(const struct acme_req *rq, const struct cf_retry_step *step,
	    int attempt, const struct cf_http_resp *resp, json_t *prob,
	    struct cf_err *err)
{
	char w[CF_ERR_MSG_MAX];

	answer_words(prob, resp, step->kind, w, sizeof(w));
	if (step->action == CF_RETRY_NOT_ONCE)
		return cf_err_set(err, CF_ERR_NET,
				  "%s %s: HTTP %ld (not retried: the CA may have "
				  "applied it)", rq->method, rq->url, resp->status);
	if (step->action == CF_RETRY_EXHAUSTED && step->kind == CF_RETRY_K_LIMITED)
		return cf_err_set(err, CF_ERR_ACME,
				  "%s %s: %s (gave up after %d attempts)",
				  rq->method, rq->url, w, attempt);
	if (step->action == CF_RETRY_EXHAUSTED)
		return cf_err_set(err, CF_ERR_NET,
				  "%s %s: HTTP %ld after %d attempts; the CA's last "
				  "answer: %s", rq->method, rq->url, resp->status,
				  attempt, w);
	if (step->action == CF_RETRY_NO_BUDGET)
		return cf_err_set(err, CF_ERR_NET,
				  "%s %s: HTTP %ld and no wait budget left to retry; "
				  "the CA's last answer: %s", rq->method, rq->url,
				  resp->status, w);
	if (prob != NULL)
		return cf_err_set(err, CF_ERR_ACME, "%s", w);
	return cf_err_set(err, CF_ERR_PROTO,
			  "%s %s: unexpected HTTP %ld (Content-Type %s)",
			  rq->method, rq->url, resp->status,
			  resp->content_type ? resp->content_type : "none");
}

/* Carry out a retry: wait as step says.  CF_OK: send again. */
static cf_rc
retry_wait(struct cf_acme *a, const struct acme_req *rq,
	   const struct cf_retry_step *step, const struct cf_http_resp *resp,
	   json_t *prob, struct cf_err *err)
{
	char w[CF_ERR_MSG_MAX];

	if (step->action == CF_RETRY_NOW) {
		cf_debug("badNonce from %s; retrying with a fresh nonce", rq->url);
		return CF_OK;
	}
	if (step->action == CF_RETRY_HOLD) {
		answer_words(prob, resp, step->kind, w, sizeof(w));
		cf_warn("%s: %s", rq->url, w);
		return wait_retry_after(a, step->hold_s,
					resp->status == 429 ? "rate limited" :
							      "CA unavailable",
					err);
	}
	if (step->kind == CF_RETRY_K_NET)
		cf_info("%s; retrying in %ld ms", err->msg, step->wait_ms);
	else
		cf_info("%s %s: HTTP %ld; retrying in %ld ms", rq->method,
			rq->url, resp->status, step->wait_ms);
	acme_sleep_ms(step->wait_ms);
	return CF_OK;
}

/* Judge the attempt that ended with rc and resp: 1 to send again, 0 when
 * *out is the request's outcome. */
static int
attempt_judge(struct cf_acme *a, const struct acme_req *rq,
	      struct cf_retry_state *st, cf_rc rc, struct cf_http_resp *resp,
	      cf_rc *out, struct cf_err *err)
{
	const struct cf_retry_req pol = { strcmp(rq->method, "POST") == 0,
					  rq->once, a->max_retries, jitter_rand,
					  NULL };
	struct cf_retry_answer ans;
	struct cf_retry_step step;
	json_t *prob;
	int again = 0;

	ans = attempt_answer(rc, resp, &prob);
	step = cf_retry_decide(&pol, st, &ans, acme_budget_left(a));
	if (step.hold_s >= 0)
		ca_hold(a, step.hold_s);
	switch (step.action) {
	case CF_RETRY_DONE:
		*out = CF_OK;
		break;
	case CF_RETRY_FINAL:
		*out = rc;
		break;
	case CF_RETRY_NOW:
	case CF_RETRY_HOLD:
	case CF_RETRY_BACKOFF:
		*out = retry_wait(a, rq, &step, resp, prob, err);
		again = *out == CF_OK;
		break;
	default:
		*out = step.kind == CF_RETRY_K_NET ?
			       net_failed(&step, st->attempt, err) :
			       http_failed(rq, &step, st->attempt, resp, prob, err);
	}
	json_decref(prob);
	return again;
}

/* Every attempt of one request, under the policy of retry.h. */
static cf_rc
request_policy(struct cf_acme *a, const struct acme_req *rq,
	       struct cf_http_resp *resp, struct cf_err *err)
{
	struct cf_retry_state st = { 0, 0 };
	int sent;
	cf_rc rc;

	memset(resp, 0, sizeof(*resp));
	for (;;) {
		cf_http_resp_free(resp);
		if ((rc = attempt_allowed(a, rq, st.attempt, err)) != CF_OK)
			return rc;
		rc = attempt_send(a, rq, resp, &sent, err);
		if (!sent || !attempt_judge(a, rq, &st, rc, resp, &rc, err))
			return rc;
	}
}

cf_rc
acme_request(struct cf_acme *a, const struct acme_req *rq,
	     struct cf_http_resp *resp, struct cf_err *err)
{
	cf_rc rc = request_policy(a, rq, resp, err);

	/* Retries ran out on the network or 5xx, or TLS is refused: the
	 * CA is down for this run (for an optional request: its kind is). */
	if (a->ca != NULL && cf_breaker_trips(rc, rq->once))
		ca_trip(a->ca, rq->optional, err);
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
	if ((rc = ca_gate(a, 0, err)) != CF_OK)
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
	} else if (cf_breaker_probe_trips(rc)) {
		ca_trip(ca, 0, err);
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
