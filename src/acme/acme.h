/*
 * acme.h - the ACME protocol (RFC 8555) as seen from the network side.
 *
 * Owns: the conversation with one CA for one run: the directory, the
 * Replay-Nonce pool (one nonce carried from each response to the next
 * request, so newNonce is asked at most once per run), signed requests and
 * their retry policy, polling with Retry-After, and the ACME resources
 * (account, order, authorization, challenge, finalize, certificate).
 *
 * This module never holds a private key: requests are signed through the
 * cf_acme_signer callback and CSRs arrive as DER bytes.  It writes no
 * files.  Its HTTP requests go through http/client.h, which with
 * privilege separation on sends them to a sandboxed network process
 * (src/sep/netproc.h) that holds libcurl and parses the CA's JSON first;
 * this module's state machine runs in the parent (docs/ARCHITECTURE.md,
 * "Processes").
 *
 * Every function returns cf_rc and fills err; a problem document from the
 * CA becomes CF_ERR_ACME with "type: detail" (control characters escaped).
 */
#ifndef CF_ACME_H
#define CF_ACME_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/err.h"
#include "http/client.h"

/* Signs one request; implemented by whoever holds the account key. */
struct cf_acme_signer {
	void *ctx;
	/* Flattened JWS over payload ("" = POST-as-GET) for url with nonce;
	 * kid NULL means "embed the public JWK".  *jws malloc'd. */
	cf_rc (*sign)(void *ctx, const char *url, const char *nonce,
		      const char *kid, const char *payload, char **jws,
		      struct cf_err *err);
};

struct cf_acme_directory {
	char *new_nonce;
	char *new_account;
	char *new_order;
	char *revoke_cert;
	char *key_change;
	char *renewal_info;      /* RFC 9773, NULL when not offered */
	char *terms_of_service;  /* meta.termsOfService */
	int eab_required;        /* meta.externalAccountRequired */
	char *website;           /* meta.website, or NULL */
	json_t *profiles;        /* meta.profiles (draft-aaron-acme-profiles):
				    object name -> description; NULL: none */
	json_t *caa_identities;  /* meta.caaIdentities (array), or NULL */
};

/* Run-wide limits.  Zero fields take the defaults shown. */
struct cf_acme_opts {
	const char *directory_url;   /* used exactly as given */
	struct cf_http_opts http;
	long wait_budget_s;          /* total wait for the CA; default 300 */
	int max_retries;             /* per request, 5xx/network; default 5 */
	int allow_cross_origin;      /* follow the CA's URLs on other origins
				      * than the directory's (default: refuse) */
	struct cf_acme_ca *ca;       /* borrowed, may be NULL: this CA as the
				      * whole run shares it (below) */
};

/*
 * One CA as every cf_acme of one run shares it (the workers of `renew`,
 * each certificate of a bulk run): the CA is one place, not one per
 * certificate.
 *  - its directory is fetched once per run (one GET, whoever asks first;
 *    the others wait for it and get a copy);
 *  - shared TLS sessions, and with one worker thread one pool of
 *    connections (cf_http_share);
 *  - a circuit breaker: when the directory cannot be had after
 *    CF_ACME_CA_PROBE_RETRIES retries, or any request's retries run out
 *    on network errors or 5xx, the CA is "down" for the rest of the run
 *    and every later request to it fails at once with the first failure's
 *    message (the caller decides locally what it can); renewalInfo is
 *    optional: its failure stops only the later renewalInfo requests of
 *    the run (the lifetime rule applies), never the orders;
 *  - one Retry-After: a 429 (or 503 with Retry-After) seen by one job
 *    holds every job's next request to that CA until that time;
 *  - at most `parallel` orders at once (cf_acme_ca_slot_take/give).
 * Thread-safe.  The key is the directory URL and the trust anchors.
 */
struct cf_acme_ca;

#define CF_ACME_CA_PROBE_RETRIES 2

/* one_thread: every cf_acme of this CA is used by one thread (one after
 * the other): they share one pool of connections too. */
cf_rc cf_acme_ca_new(const char *directory_url, const char *ca_bundle,
		     int parallel, int one_thread, struct cf_acme_ca **out,
		     struct cf_err *err) CF_MUST_CHECK;
/* After every cf_acme made with it is freed. */
void cf_acme_ca_free(struct cf_acme_ca *ca);
const char *cf_acme_ca_url(const struct cf_acme_ca *ca);
/* ca is for this directory URL and trust anchors (NULL: the system's). */
int cf_acme_ca_is(const struct cf_acme_ca *ca, const char *directory_url,
		  const char *ca_bundle);
/* 1 when the breaker is open; *why (may be NULL) gets the first failure. */
int cf_acme_ca_down(struct cf_acme_ca *ca, struct cf_err *why);
/* An order slot (blocks while `parallel` orders run), and its return. */
void cf_acme_ca_slot_take(struct cf_acme_ca *ca);
void cf_acme_ca_slot_give(struct cf_acme_ca *ca);
/* Directory GETs sent for this CA in this run (for tests and -v). */
long cf_acme_ca_directory_gets(struct cf_acme_ca *ca);

/* Counters of one run, for -v and docs/PERFORMANCE.md. */
enum cf_acme_ep {
	CF_EP_DIRECTORY, CF_EP_NONCE, CF_EP_ACCOUNT, CF_EP_ORDER, CF_EP_AUTHZ,
	CF_EP_CHALLENGE, CF_EP_FINALIZE, CF_EP_CERT, CF_EP_OTHER, CF_EP_COUNT
};

struct cf_acme;

/* Problem document of the last failed request (owned by the cf_acme;
 * valid until the next request).  type is NULL when there was none. */
struct cf_acme_problem {
	char *type;
	char *detail;
	long status;
};

struct cf_acme_authz {
	char *url;
	char *identifier;        /* the name, without "*." */
	char *identifier_type;   /* "dns" or "ip" (RFC 8738) */
	int wildcard;
	char *status;            /* pending, valid, invalid, deactivated, ... */
	json_t *challenges;      /* borrowed from raw */
	json_t *raw;
};

struct cf_acme_order {
	char *url;
	char *status;            /* pending, ready, processing, valid, invalid */
	char **authz_urls;
	size_t nauthz;
	char *finalize;
	char *certificate;       /* set once valid */
	long retry_after_s;      /* Retry-After of the last answer, -1: none */
	json_t *raw;
};

cf_rc cf_acme_new(const struct cf_acme_opts *opts, struct cf_acme **out,
		  struct cf_err *err) CF_MUST_CHECK;
void cf_acme_free(struct cf_acme *a);

/* Fetch the directory (once per run); later calls return the cached copy. */
cf_rc cf_acme_get_directory(struct cf_acme *a,
			    const struct cf_acme_directory **dir,
			    struct cf_err *err) CF_MUST_CHECK;

/* The directory and a fresh nonce, fetched now unless already held: the
 * connection to the CA is ready (TLS done) for the next signed request.
 * For a caller with something else to wait for (a responder starting);
 * nothing is ordered. */
cf_rc cf_acme_warm_up(struct cf_acme *a, struct cf_err *err) CF_MUST_CHECK;

/* ---- ACME profiles (draft-aaron-acme-profiles), meta.c ---- */

/* CF_OK when the directory d advertises `profile`; else CF_ERR_USAGE
 * naming the profiles it does advertise (or saying it has none), so that
 * an unknown profile is refused before anything is ordered. */
cf_rc cf_acme_profile_check(const struct cf_acme_directory *d,
			    const char *profile, struct cf_err *err) CF_MUST_CHECK;

/* The names of d's profiles, comma-separated, into buf ("" when none). */
void cf_acme_profile_names(const struct cf_acme_directory *d, char *buf,
			   size_t len);

/* Install the signer (borrowed) and, once known, the account URL (copied). */
void cf_acme_set_signer(struct cf_acme *a, const struct cf_acme_signer *s);
cf_rc cf_acme_set_account_url(struct cf_acme *a, const char *url,
			      struct cf_err *err) CF_MUST_CHECK;
const char *cf_acme_account_url(const struct cf_acme *a);

/*
 * newAccount.  payload is the request object (contact, termsOfServiceAgreed,
 * externalAccountBinding or onlyReturnExisting), borrowed.  On success the
 * account URL is recorded in a and *account (may be NULL) receives the
 * account object.  An EAB the CA rejects gets advice in the message.
 */
cf_rc cf_acme_new_account(struct cf_acme *a, json_t *payload, json_t **account,
			  struct cf_err *err) CF_MUST_CHECK;

/* POST-as-GET any resource; *obj receives the parsed JSON object. */
cf_rc cf_acme_fetch(struct cf_acme *a, const char *url, json_t **obj,
		    struct cf_err *err) CF_MUST_CHECK;

/* POST a JSON payload to url (account update, deactivation, revocation);
 * *obj (may be NULL) receives the JSON answer when there is one. */
cf_rc cf_acme_post_json(struct cf_acme *a, const char *url, json_t *payload,
			json_t **obj, struct cf_err *err) CF_MUST_CHECK;

/* keyChange (RFC 8555 §7.3.5) with the inner JWS (borrowed), signed by
 * the account's current key.  Sent once: a network error or 5xx is not
 * retried, because the CA may have applied it and a retry signed with the
 * old key would then be refused.  CF_ERR_ACME: the CA refused it (a
 * problem document: the key was not changed); CF_ERR_NET or CF_ERR_PROTO:
 * the outcome is unknown. */
cf_rc cf_acme_key_change(struct cf_acme *a, json_t *inner,
			 struct cf_err *err) CF_MUST_CHECK;

/* newOrder for identifiers names[0..n) ("*.x" allowed; address literals
 * are sent as type "ip", RFC 8738).  extra (may be
 * NULL) is merged into the payload (e.g. "replaces", "profile"). */
cf_rc cf_acme_new_order(struct cf_acme *a, const char *const *names, size_t n,
			json_t *extra, struct cf_acme_order *out,
			struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_acme_order_refresh(struct cf_acme *a, struct cf_acme_order *o,
			    struct cf_err *err) CF_MUST_CHECK;
void cf_acme_order_free(struct cf_acme_order *o);

cf_rc cf_acme_get_authz(struct cf_acme *a, const char *url,
			struct cf_acme_authz *out, struct cf_err *err) CF_MUST_CHECK;
void cf_acme_authz_free(struct cf_acme_authz *z);

/* The challenge of the given type in z, or NULL (unknown types are ignored). */
json_t *cf_acme_authz_challenge(const struct cf_acme_authz *z, const char *type);

/* Tell the CA to validate a challenge (POST {} to its URL).  A challenge
 * already "processing" or "valid" is left alone. */
cf_rc cf_acme_challenge_respond(struct cf_acme *a, json_t *challenge,
				struct cf_err *err) CF_MUST_CHECK;

/* cf_acme_challenge_respond, keeping what the CA answered: the challenge
 * already "valid" (its authorization is then valid: no poll needed), its
 * Retry-After (-1: none) and when it came (cf_mono_ms). */
struct cf_acme_chall_answer {
	int valid;
	long retry_after_s;
	long long at_ms;
};
cf_rc cf_acme_challenge_answer(struct cf_acme *a, json_t *challenge,
			       struct cf_acme_chall_answer *ans,
			       struct cf_err *err) CF_MUST_CHECK;

/* Poll an authorization until it is no longer pending/processing, honouring
 * Retry-After within the run's wait budget; invalid → CF_ERR_ACME with the
 * challenge's error. */
cf_rc cf_acme_authz_wait(struct cf_acme *a, const char *url,
			 struct cf_err *err) CF_MUST_CHECK;
/* cf_acme_authz_wait after the challenge's answer ans: its first poll
 * waits as long as the answer's Retry-After said, or the first poll delay,
 * counted from when the answer came (time spent since then on other work
 * is not waited again). */
cf_rc cf_acme_authz_wait_after(struct cf_acme *a, const char *url,
			       const struct cf_acme_chall_answer *ans,
			       struct cf_err *err) CF_MUST_CHECK;

/* Poll an order until its status is one of "ready", "valid", "invalid".
 * CF_ERR_PENDING when the budget ends first (message says until when);
 * invalid → CF_ERR_ACME with the order's error. */
cf_rc cf_acme_order_wait(struct cf_acme *a, struct cf_acme_order *o,
			 const char *want, struct cf_err *err) CF_MUST_CHECK;

/* finalize with a DER CSR (any 2xx accepted; RFC says 200, some CAs 201). */
cf_rc cf_acme_finalize(struct cf_acme *a, struct cf_acme_order *o,
		       const unsigned char *csr_der, size_t csr_len,
		       struct cf_err *err) CF_MUST_CHECK;

/* Download the PEM chain of a valid order.  *pem malloc'd. */
cf_rc cf_acme_download(struct cf_acme *a, const char *url, char **pem,
		       size_t *len, struct cf_err *err) CF_MUST_CHECK;

/* The same, also returning the URLs of the alternate chains the CA offers
 * (RFC 8555 §7.4.2, Link rel="alternate"; at most CF_ACME_MAX_ALT_CHAINS):
 * *alts malloc'd array of malloc'd URLs, NULL with *nalts 0 when none. */
#define CF_ACME_MAX_ALT_CHAINS 8
cf_rc cf_acme_download_alt(struct cf_acme *a, const char *url, char **pem,
			   size_t *len, char ***alts, size_t *nalts,
			   struct cf_err *err) CF_MUST_CHECK;

/* Counters, for -v and the benchmark. */
const long *cf_acme_counters(const struct cf_acme *a);
const char *cf_acme_ep_name(enum cf_acme_ep ep);

/* The wall-clock time until which the CA asked us to wait when the run
 * ended with CF_ERR_PENDING (0 when none). */
time_t cf_acme_retry_not_before(const struct cf_acme *a);

/* Format a problem document JSON into buf: "type: detail" plus
 * subproblems, with control characters escaped. */
void cf_acme_problem_format(json_t *problem, char *buf, size_t len);

/* ---- What the CA may name (names.c) ----
 * The order's identifiers are the only names ever validated or accepted in
 * a certificate: the CA never decides which names certferry proves.  Names
 * compare case-insensitively; a wildcard is "*.name".  Errors are
 * CF_ERR_PROTO naming the name that was wrong. */

/* "ip" for an IPv4/IPv6 literal (RFC 8738), else "dns". */
const char *cf_acme_identifier_type(const char *name);

/* Index of name in names[0..n), or -1 (addresses compare by their
 * canonical form, never equal to a DNS name). */
long cf_acme_name_index(const char *const *names, size_t n, const char *name);

/* got and want are the same set: "the CA returned <what> for X, which was
 * not ordered" / "... <what> without X, which was ordered" otherwise. */
cf_rc cf_acme_names_same_set(const char *what, const char *const *got,
			     size_t ngot, const char *const *want, size_t nwant,
			     struct cf_err *err) CF_MUST_CHECK;

/* The order object's identifiers equal names (as a set), each of its type
 * (dns, or ip for an address),
 * and it lists at most one authorization per name.  Call before fetching
 * any authorization. */
cf_rc cf_acme_order_check(const struct cf_acme_order *o,
			  const char *const *names, size_t n,
			  struct cf_err *err) CF_MUST_CHECK;

/* z is for one of names[0..n) not seen before; marks it in seen[0..n)
 * (zeroed by the caller). */
cf_rc cf_acme_authz_check(const struct cf_acme_authz *z,
			  const char *const *names, size_t n,
			  unsigned char *seen, struct cf_err *err) CF_MUST_CHECK;

/*
 * Put advice before the message in err (a newAccount the CA refused)
 * for the EAB failures CAs are known to give: EAB required, key id
 * already bound, key id unknown, HMAC wrong.  sent_eab says whether the
 * request carried an EAB, kid (may be NULL) its key id.  Other messages
 * are left as they are.
 */
void cf_acme_eab_advice(struct cf_err *err, int sent_eab, const char *kid);

/* ---- ACME Renewal Information (RFC 9773), renewal_info.c ---- */

struct cf_acme_ari {
	time_t start, end;           /* suggestedWindow */
	long retry_after_s;          /* the answer's Retry-After, -1: none */
	char *explanation_url;       /* may be NULL */
};
void cf_acme_ari_free(struct cf_acme_ari *ari);

/* GET renewalInfo/<cert_id> (unauthenticated, under the run's retry
 * policy).  CF_ERR_NOTFOUND when the directory offers no renewalInfo;
 * CF_ERR_PROTO when the answer has no usable suggestedWindow. */
cf_rc cf_acme_renewal_info(struct cf_acme *a, const char *cert_id,
			   struct cf_acme_ari *out,
			   struct cf_err *err) CF_MUST_CHECK;

/* POST payload to url signed by `signer` (borrowed) with an embedded JWK
 * instead of the account's kid: revocation with the certificate's own
 * key (RFC 8555 §7.6).  The account's signer is restored afterwards. */
cf_rc cf_acme_post_json_jwk(struct cf_acme *a, const char *url,
			    json_t *payload, const struct cf_acme_signer *signer,
			    json_t **obj, struct cf_err *err) CF_MUST_CHECK;

#endif
