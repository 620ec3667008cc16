/*
 * retry.h - the retry policy of every request to the CA, as pure decisions.
 *
 * Owns: which answers are retried, how often and after how long
 * (exponential backoff with jitter, Retry-After), when the run's wait
 * budget refuses another attempt, badNonce, rate limiting (429), and the
 * per-CA circuit breaker's state and answers.
 *
 * Nothing here does I/O, reads a clock or draws randomness: the time, the
 * budget left and the jitter source are passed in, so that
 * tests/unit/test_acme_retry.c pins every rule.  src/acme/transport.c
 * carries the decisions out: it signs, sends, sleeps, locks the shared CA,
 * logs, and words the errors.
 */
#ifndef CF_ACME_RETRY_H
#define CF_ACME_RETRY_H

#include <time.h>

#include "core/err.h"

#define CF_RETRY_BADNONCE_MAX   20      /* badNonce retries per request */
#define CF_RETRY_BACKOFF_CAP_MS 30000L  /* backoff never waits longer */
#define CF_RETRY_429_DEFAULT_S  60L     /* a 429 without Retry-After */

/* Backoff before retry number attempt (1-based): 1 s, 2 s, 4 s ... at most
 * 30 s, with jitter of -25%..+25% taken from r16 (any 16-bit random
 * value: (r16 % 1000 - 500) / 2000 of the base). */
long cf_retry_backoff_ms(int attempt, unsigned r16);

/* Seconds a Retry-After header value asks for from now (cf_retry_after_parse:
 * delta-seconds or HTTP-date, past dates 0, at most one week), or -1 when
 * value is NULL or unusable. */
long cf_retry_after_s(const char *value, time_t now);

/* problem_type (may be NULL) is urn:ietf:params:acme:error:badNonce. */
int cf_retry_is_bad_nonce(const char *problem_type);

/* The request, as far as the policy cares. */
struct cf_retry_req {
	int is_post;                 /* signed: badNonce may be retried */
	int once;                    /* not idempotent: never retried on a
				      * network error or 5xx */
	int max_retries;             /* network, 5xx and 429 retries */
	unsigned (*jitter)(void *ctx); /* a 16-bit random value per backoff */
	void *jitter_ctx;
};

/* What one attempt brought back. */
struct cf_retry_answer {
	cf_rc rc;                    /* the HTTP client's: CF_OK = an answer */
	long status;                 /* HTTP status when rc is CF_OK */
	int bad_nonce;               /* a badNonce problem document */
	long retry_after_s;          /* cf_retry_after_s of the answer, or -1 */
};

/* Kinds of answer, in the order the policy looks at them. */
enum cf_retry_kind {
	CF_RETRY_K_SUCCESS,          /* 2xx */
	CF_RETRY_K_NET,              /* network error or timeout: no answer */
	CF_RETRY_K_LOCAL,            /* any other client error (TLS not
				      * trusted, a cap, a bad URL): final */
	CF_RETRY_K_LIMITED,          /* 429, or 503 with Retry-After */
	CF_RETRY_K_SERVER,           /* 500, 502, 503, 504 */
	CF_RETRY_K_REFUSED,          /* any other status */
};
enum cf_retry_kind cf_retry_classify(const struct cf_retry_answer *ans);

/* Where one request stands; zeroed before its first attempt. */
struct cf_retry_state {
	int attempt;                 /* retries so far (network, 5xx, 429) */
	int bad_nonce;               /* badNonce retries so far */
};

enum cf_retry_action {
	CF_RETRY_DONE,               /* a 2xx answer: success */
	CF_RETRY_FINAL,              /* the client's error, as it is */
	CF_RETRY_REFUSED,            /* an answer retrying cannot fix */
	CF_RETRY_NOW,                /* badNonce: again at once, signed with a
				      * new nonce */
	CF_RETRY_BACKOFF,            /* again after wait_ms */
	CF_RETRY_HOLD,               /* rate limited: every job of the CA waits
				      * hold_s, then again (or the run ends
				      * pending when that is past the budget:
				      * cf_retry_wait_fits) */
	CF_RETRY_NOT_ONCE,           /* network error or 5xx of a request that
				      * is sent once: its outcome is unknown */
	CF_RETRY_EXHAUSTED,          /* more than max_retries retries */
	CF_RETRY_NO_BUDGET,          /* the backoff would end past the budget */
};

struct cf_retry_step {
	enum cf_retry_action action;
	enum cf_retry_kind kind;     /* of the answer (for the wording) */
	long wait_ms;                /* CF_RETRY_BACKOFF, CF_RETRY_NO_BUDGET */
	long hold_s;                 /* rate limited (HOLD, and EXHAUSTED after
				      * a 429): how long the CA asked every job
				      * to wait; -1 otherwise */
};

/* The decision after an attempt: st is updated (counts the retry),
 * budget_left_s is the wait budget still left. */
struct cf_retry_step cf_retry_decide(const struct cf_retry_req *rq,
				     struct cf_retry_state *st,
				     const struct cf_retry_answer *ans,
				     long budget_left_s);

/* May an attempt start?  budget_s 0 means no budget check (wait_budget
 * given as negative: nothing may wait, but requests go). */
enum cf_retry_gate {
	CF_RETRY_GO,
	CF_RETRY_SPENT_FIRST,        /* a first attempt: the run is pending */
	CF_RETRY_SPENT_RETRY,        /* a retry: the attempts before failed */
};
enum cf_retry_gate cf_retry_gate(long budget_s, long elapsed_s, int attempt);

/* A wait the CA asked for (Retry-After) may be waited out in this run;
 * when not, the run ends pending until then. */
int cf_retry_wait_fits(long wait_s, long budget_left_s);

/*
 * The circuit breaker of one CA (acme.h, struct cf_acme_ca): the caller
 * holds the CA's lock around each call.
 */
struct cf_breaker {
	int down;                    /* open: no request to the CA */
	struct cf_err down_err;      /* the first failure */
	int optional_down;           /* renewalInfo failed: not asked again */
	struct cf_err optional_err;
	time_t not_before;           /* the CA's last Retry-After, for all */
};

enum cf_breaker_answer {
	CF_BREAKER_GO,
	CF_BREAKER_WAIT,             /* *wait_s until the CA's Retry-After */
	CF_BREAKER_OPEN,             /* *why: the failure that opened it */
	CF_BREAKER_OPTIONAL_OPEN,    /* an optional request, after one failed */
};

/* May a request (optional: renewalInfo) to the CA start at now? */
enum cf_breaker_answer cf_breaker_check(const struct cf_breaker *b,
					int optional, time_t now, long *wait_s,
					struct cf_err *why);

/* The code a request refused by the breaker fails with: the first
 * failure's, except that out of memory there is reported as network. */
cf_rc cf_breaker_refusal_rc(cf_rc why);

/* A request that ended with rc opens the breaker: network or untrusted TLS
 * after its retries (a request sent once proves nothing). */
int cf_breaker_trips(cf_rc rc, int once);

/* A failed directory probe opens the breaker (unless out of memory). */
int cf_breaker_probe_trips(cf_rc rc);

/* Open it (optional: only for optional requests) with err; the first
 * failure is kept.  Returns 1 when this call opened it. */
int cf_breaker_open(struct cf_breaker *b, int optional,
		    const struct cf_err *err);

/* The CA asked (429/503 Retry-After) to wait secs from now: every job
 * holds until then (the latest such time wins; secs <= 0 changes
 * nothing). */
void cf_breaker_hold(struct cf_breaker *b, time_t now, long secs);

#endif
