/* retry.c - see retry.h */
#include "acme/retry.h"

#include <string.h>

#include "http/headers.h"

long
cf_retry_backoff_ms(int attempt, unsigned r16)
{
	long base = 1000L << (attempt > 5 ? 5 : attempt - 1);
	long jitter = (long)((r16 & 0xffffu) % 1000) - 500; /* -500..499 */

	if (base > CF_RETRY_BACKOFF_CAP_MS)
		base = CF_RETRY_BACKOFF_CAP_MS;
	return base + base * jitter / 2000;
}

long
cf_retry_after_s(const char *value, time_t now)
{
	long s;

	if (value == NULL || cf_retry_after_parse(value, now, &s) != CF_OK)
		return -1;
	return s;
}

int
cf_retry_is_bad_nonce(const char *problem_type)
{
	return problem_type != NULL &&
	       strcmp(problem_type, "urn:ietf:params:acme:error:badNonce") == 0;
}

enum cf_retry_kind
cf_retry_classify(const struct cf_retry_answer *ans)
{
	long s = ans->status;

	if (ans->rc == CF_ERR_NET)
		return CF_RETRY_K_NET;
	if (ans->rc != CF_OK)
		return CF_RETRY_K_LOCAL;
	if (s >= 200 && s < 300)
		return CF_RETRY_K_SUCCESS;
	if (s == 429 || (s == 503 && ans->retry_after_s >= 0))
		return CF_RETRY_K_LIMITED;
	if (s == 500 || s == 502 || s == 503 || s == 504)
		return CF_RETRY_K_SERVER;
	return CF_RETRY_K_REFUSED;
}

/* A retry after wait_ms (network error or 5xx), if any is left. */
static void
retry_later(const struct cf_retry_req *rq, struct cf_retry_state *st,
	    long retry_after_s, long budget_left_s, struct cf_retry_step *out)
{
	if (rq->once) {
		out->action = CF_RETRY_NOT_ONCE;
		return;
	}
	if (++st->attempt > rq->max_retries) {
		out->action = CF_RETRY_EXHAUSTED;
		return;
	}
	out->wait_ms = retry_after_s >= 0 ?
			       retry_after_s * 1000 :
			       cf_retry_backoff_ms(st->attempt,
						   rq->jitter(rq->jitter_ctx));
	out->action = out->wait_ms / 1000 >= budget_left_s ? CF_RETRY_NO_BUDGET :
							     CF_RETRY_BACKOFF;
}

struct cf_retry_step
cf_retry_decide(const struct cf_retry_req *rq, struct cf_retry_state *st,
		const struct cf_retry_answer *ans, long budget_left_s)
{
	struct cf_retry_step out = { CF_RETRY_REFUSED, cf_retry_classify(ans),
				     0, -1 };

	switch (out.kind) {
	case CF_RETRY_K_SUCCESS:
		out.action = CF_RETRY_DONE;
		return out;
	case CF_RETRY_K_LOCAL:
		out.action = CF_RETRY_FINAL;
		return out;
	case CF_RETRY_K_NET:
		/* A network error never carries a Retry-After. */
		retry_later(rq, st, -1, budget_left_s, &out);
		return out;
	default:
		break;
	}
	if (ans->bad_nonce && rq->is_post &&
	    ++st->bad_nonce <= CF_RETRY_BADNONCE_MAX) {
		out.action = CF_RETRY_NOW;
		return out;
	}
	if (out.kind == CF_RETRY_K_LIMITED) {
		out.hold_s = ans->retry_after_s >= 0 ? ans->retry_after_s :
			     ans->status == 429      ? CF_RETRY_429_DEFAULT_S :
						       0;
		out.action = ++st->attempt > rq->max_retries ? CF_RETRY_EXHAUSTED :
							       CF_RETRY_HOLD;
	} else if (out.kind == CF_RETRY_K_SERVER) {
		retry_later(rq, st, ans->retry_after_s, budget_left_s, &out);
	}
	return out;
}

enum cf_retry_gate
cf_retry_gate(long budget_s, long elapsed_s, int attempt)
{
	if (budget_s <= 0 || elapsed_s < budget_s)
		return CF_RETRY_GO;
	return attempt > 0 ? CF_RETRY_SPENT_RETRY : CF_RETRY_SPENT_FIRST;
}

int
cf_retry_wait_fits(long wait_s, long budget_left_s)
{
	return wait_s <= budget_left_s;
}

enum cf_breaker_answer
cf_breaker_check(const struct cf_breaker *b, int optional, time_t now,
		 long *wait_s, struct cf_err *why)
{
	*wait_s = 0;
	if (optional && b->optional_down) {
		*why = b->optional_err;
		return CF_BREAKER_OPTIONAL_OPEN;
	}
	if (b->down) {
		*why = b->down_err;
		return CF_BREAKER_OPEN;
	}
	if (b->not_before > now) {
		*wait_s = (long)(b->not_before - now);
		return CF_BREAKER_WAIT;
	}
	return CF_BREAKER_GO;
}

cf_rc
cf_breaker_refusal_rc(cf_rc why)
{
	return why == CF_ERR_NOMEM ? CF_ERR_NET : why;
}

int
cf_breaker_trips(cf_rc rc, int once)
{
	return !once && (rc == CF_ERR_NET || rc == CF_ERR_TLS);
}

int
cf_breaker_probe_trips(cf_rc rc)
{
	return rc != CF_OK && rc != CF_ERR_NOMEM;
}

int
cf_breaker_open(struct cf_breaker *b, int optional, const struct cf_err *err)
{
	int *flag = optional ? &b->optional_down : &b->down;

	if (*flag)
		return 0;
	*flag = 1;
	if (optional)
		b->optional_err = *err;
	else
		b->down_err = *err;
	return 1;
}

void
cf_breaker_hold(struct cf_breaker *b, time_t now, long secs)
{
	if (secs > 0 && now + secs > b->not_before)
		b->not_before = now + secs;
}
