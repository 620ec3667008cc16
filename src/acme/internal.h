/*
 * internal.h - shared between the files of src/acme only.
 *
 * Owns: the layout of struct cf_acme (the client handle: directory,
 * nonce, account URL, wait budget, counters) and of struct acme_req (how
 * one request is made); the functions src/acme's files share.
 */
#ifndef CF_ACME_INTERNAL_H
#define CF_ACME_INTERNAL_H

#include "acme/acme.h"

struct cf_acme {
	struct cf_http *http;
	char *dir_url;
	char dir_origin[300];        /* scheme://host:port of dir_url */
	int allow_cross_origin;
	struct cf_acme_directory dir;
	int have_dir;
	char *nonce;                 /* the one nonce carried to the next POST */
	const struct cf_acme_signer *signer;
	char *kid;                   /* account URL */
	long wait_budget_s;
	int max_retries;
	struct timespec start;       /* CLOCK_MONOTONIC at creation */
	time_t retry_not_before;
	long counters[CF_EP_COUNT];
	struct cf_acme_ca *ca;       /* borrowed, may be NULL */
};

/* How a request is made. */
struct acme_req {
	const char *method;          /* "GET" or "POST" */
	const char *url;
	const char *payload;         /* POST: JSON text, "" for POST-as-GET */
	int use_jwk;                 /* sign with the JWK instead of kid */
	size_t cap;
	enum cf_acme_ep ep;
	int once;                    /* not idempotent: a network error or
				      * 5xx is not retried (its outcome is
				      * unknown, see cf_acme_key_change) */
	int optional;                /* renewalInfo: with a shared CA, a
				      * failure stops only the optional
				      * requests of the run, not the CA */
};

/*
 * Perform a request under the run's retry policy (transport.c).  On CF_OK
 * resp holds a 2xx answer.  A non-2xx answer that retrying cannot fix is
 * CF_ERR_ACME (problem document) or CF_ERR_PROTO, and resp still holds it.
 */
cf_rc acme_request(struct cf_acme *a, const struct acme_req *rq,
		   struct cf_http_resp *resp, struct cf_err *err);

/* Parse resp's body as a JSON object (checking the Content-Type). */
cf_rc acme_json_body(const struct cf_http_resp *resp, const char *what,
		     json_t **obj, struct cf_err *err);

/* Seconds left of the run's wait budget (never negative). */
long acme_budget_left(const struct cf_acme *a);

/* Sleep ms milliseconds (interrupted sleeps resume). */
void acme_sleep_ms(long ms);

/* strdup that records CF_ERR_NOMEM in err on failure. */
char *acme_strdup(const char *s, struct cf_err *err);

/*
 * Parsers of the CA's JSON resources, apart from the requests that fetch
 * them, so that tests and the fuzz targets (tests/fuzz) reach them without
 * a network.  Each takes what it is given as untrusted.
 */

/* Fill *dir (zeroed first) from a directory object; on error *dir is
 * left empty.  Free with acme_directory_free. */
cf_rc acme_directory_load(struct cf_acme_directory *dir, json_t *d,
			  struct cf_err *err) CF_MUST_CHECK;
void acme_directory_free(struct cf_acme_directory *dir);

/* Fill o's fields (except url) from an order object; takes obj (also on
 * error).  o is freed by the caller with cf_acme_order_free. */
cf_rc acme_order_load(struct cf_acme_order *o, json_t *obj,
		      struct cf_err *err) CF_MUST_CHECK;

/* Fill *out (zeroed first) from the authorization object obj fetched from
 * url; takes obj (also on error).  Free with cf_acme_authz_free. */
cf_rc acme_authz_load(struct cf_acme_authz *out, const char *url, json_t *obj,
		      struct cf_err *err) CF_MUST_CHECK;

/* The first challenge error of an invalid authorization, formatted like
 * cf_acme_problem_format (control characters escaped). */
void acme_authz_error(json_t *authz, char *buf, size_t len);

/* The renewalInfo URL of cert_id under the directory's base URL (RFC 9773
 * §4.1), malloc'd.  CF_ERR_NOTFOUND for an empty base, CF_ERR_USAGE for a
 * CertID that is empty or holds '/'. */
cf_rc acme_ari_url(const char *base, const char *cert_id, char **url,
		   struct cf_err *err) CF_MUST_CHECK;

/* suggestedWindow and explanationURL of a renewalInfo object into *out
 * (borrowing obj); CF_ERR_PROTO when there is no usable window.  *out is
 * freed by the caller with cf_acme_ari_free, also on error. */
cf_rc acme_ari_load(json_t *obj, struct cf_acme_ari *out,
		    struct cf_err *err) CF_MUST_CHECK;

#endif
