/*
 * renewal.h - renewal definitions: what certferry manages unattended.
 *
 * Owns: STATE/renewals/<name>.json, one small, human-readable, versioned
 * JSON file per certificate name, written by every successful `issue` and
 * updated by `renew`, `cancel` and `revoke`:
 *
 *   {"version": 1,
 *    "spec": {...cf_spec_to_json...},        how to run the same order again
 *    "account_url": "...",
 *    "state": "active" | "cancelled" | "revoked",
 *    "current": {"serial", "not_before", "not_after", "ari_cert_id",
 *                "chains": [issuer CN...], "chain": index installed},
 *    "ari": {"window_start", "window_end", "selected", "next_check"},
 *    "next_due": "...", "retry_not_before": "...", "failures": N,
 *    "history": [{"time", "action", "outcome", "serial", "not_after",
 *                 "detail"}]}                the last CF_RENEWAL_HISTORY_MAX
 *
 * Times are RFC 3339 UTC.  A definition never holds a secret (the spec
 * refers to secrets by the path of their 0600 file).
 *
 * It also owns the due-time rules.  Every function that depends on the
 * time takes an explicit `now` (an injectable clock for the tests) and,
 * where randomness is needed, an explicit value in [0, 1).
 */
#ifndef CF_RENEWAL_H
#define CF_RENEWAL_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/err.h"
#include "engine/spec.h"
#include "store/state.h"

#define CF_RENEWAL_VERSION 1
#define CF_RENEWAL_HISTORY_MAX 20

/* Failure backoff: CF_RENEWAL_BACKOFF_BASE_S * 2^(failures-1), capped. */
#define CF_RENEWAL_BACKOFF_BASE_S (30L * 60)
#define CF_RENEWAL_BACKOFF_MAX_S (24L * 3600)
/* Without a Retry-After, renewalInfo is asked again after this long. */
#define CF_RENEWAL_ARI_DEFAULT_RETRY_S (6L * 3600)
/* Retry-After values for renewalInfo are clamped to [1 min, 1 week]. */
#define CF_RENEWAL_ARI_MIN_RETRY_S 60L
#define CF_RENEWAL_ARI_MAX_RETRY_S (7L * 24 * 3600)

enum cf_renewal_state { CF_REN_ACTIVE = 0, CF_REN_CANCELLED, CF_REN_REVOKED };

struct cf_renewal_event {
	time_t time;
	char *action;       /* issue, renew, resume, cancel, revoke */
	char *outcome;      /* ok, failed, pending, skipped */
	char *serial;       /* may be NULL */
	time_t not_after;   /* 0: none */
	char *detail;       /* may be NULL */
};

struct cf_renewal {
	struct cf_cert_spec spec;        /* spec.name is the certificate name */
	char *account_url;
	enum cf_renewal_state state;
	/* the current certificate (serial NULL: none yet) */
	char *serial;
	time_t not_before, not_after;
	char *ari_cert_id;               /* RFC 9773 CertID, or NULL */
	char **chains;                   /* topmost issuer CN of each chain
					    the CA offered ("current":
					    {"chains": [...], "chain": N}) */
	size_t nchains;
	size_t chain;                    /* the one installed */
	/* ACME Renewal Information, as last fetched (0: none) */
	time_t ari_start, ari_end;       /* the CA's suggestedWindow */
	time_t ari_selected;             /* our random time in the window */
	time_t ari_next_check;           /* honour the CA's Retry-After */
	/* scheduling */
	time_t next_due;                 /* as last computed (informative) */
	time_t retry_not_before;         /* backoff or the CA's Retry-After */
	int failures;                    /* consecutive failed attempts */
	struct cf_renewal_event *history;
	size_t nhistory;
};

void cf_renewal_free(struct cf_renewal *r);

const char *cf_renewal_state_name(enum cf_renewal_state s);

/* Definition <-> JSON.  from_json fills a zeroed *r (free it also on error). */
cf_rc cf_renewal_to_json(const struct cf_renewal *r, json_t **out,
			 struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_renewal_from_json(json_t *j, struct cf_renewal *r,
			   struct cf_err *err) CF_MUST_CHECK;

/* STATE/renewals/<name>.json.  load: CF_ERR_NOTFOUND when there is none. */
cf_rc cf_renewal_load(const struct cf_state *st, const char *name,
		      struct cf_renewal *r, struct cf_err *err) CF_MUST_CHECK;
/* Written atomically (0600; no secrets inside, but nobody else's business). */
cf_rc cf_renewal_save(const struct cf_state *st, const struct cf_renewal *r,
		      struct cf_err *err) CF_MUST_CHECK;
/* Remove the definition (a missing one is fine). */
cf_rc cf_renewal_remove(const struct cf_state *st, const char *name,
			struct cf_err *err) CF_MUST_CHECK;
/* Names of every definition, sorted.  *names: malloc'd array of malloc'd
 * strings (free each, then the array); *n may be 0. */
cf_rc cf_renewal_list(const struct cf_state *st, char ***names, size_t *n,
		      struct cf_err *err) CF_MUST_CHECK;

/* Append an event, dropping the oldest beyond CF_RENEWAL_HISTORY_MAX.
 * Strings are copied (NULL allowed except action/outcome). */
cf_rc cf_renewal_add_event(struct cf_renewal *r, time_t now, const char *action,
			   const char *outcome, const char *serial,
			   time_t not_after, const char *detail,
			   struct cf_err *err) CF_MUST_CHECK;

/* A new certificate was installed: record it as current, clear failures,
 * backoff and the ARI data of the old certificate, and compute next_due. */
cf_rc cf_renewal_set_current(struct cf_renewal *r, const char *serial,
			     time_t not_before, time_t not_after,
			     const char *ari_cert_id,
			     struct cf_err *err) CF_MUST_CHECK;

/* The chains the CA offered for the current certificate (copied) and the
 * index of the one installed. */
cf_rc cf_renewal_set_chains(struct cf_renewal *r, char *const *chains,
			    size_t n, size_t selected,
			    struct cf_err *err) CF_MUST_CHECK;

/* The failure backoff after `failures` consecutive failures (>= 1). */
long cf_renewal_backoff_s(int failures);

/* An attempt failed: count it and set retry_not_before to the later of
 * now + backoff and ca_not_before (the CA's Retry-After; 0: none). */
void cf_renewal_note_failure(struct cf_renewal *r, time_t now,
			     time_t ca_not_before);

/*
 * Apply a renewalInfo answer: suggestedWindow [start, end), the CA's
 * Retry-After in seconds (< 0: none given).  A new time is selected,
 * uniformly in the window with rnd01 in [0, 1), only when the window
 * changed or no time was selected yet (so repeated checks do not re-roll
 * the dice).  A window whose end is already past selects `now`.
 * next_due becomes the earlier of the selected time and the lifetime rule:
 * ARI can bring renewal forward, never past the lifetime rule.
 */
void cf_renewal_apply_ari(struct cf_renewal *r, time_t now, time_t start,
			  time_t end, long retry_after_s, double rnd01);

/* 1 when renewalInfo should be asked now (a certificate with an ARI CertID
 * and the CA's Retry-After has passed). */
int cf_renewal_ari_check_due(const struct cf_renewal *r, time_t now);

/* The lifetime rule: not_after - renew_before_days, or, when that is 0,
 * the moment a third of the lifetime is left. */
time_t cf_renewal_lifetime_due(const struct cf_renewal *r,
			       long renew_before_days);

struct cf_due {
	int due;            /* 1: renew now */
	time_t when;        /* when it becomes due (0: never / not applicable) */
	char why[200];      /* for people: "a third of the lifetime left", ... */
};

/*
 * Is r due at `now`?  In this order:
 *   not active (cancelled, revoked)          never (even with force)
 *   force                                    due
 *   retry_not_before in the future           not yet (backoff / CA asked)
 *   no certificate yet (pending order)       due
 *   override_days > 0 (renew --renew-before) due when not_after - days
 *                                            is past (also with ARI)
 *   an ARI selected time                     due when it is past, or at
 *                                            the lifetime rule if earlier
 *   otherwise the lifetime rule              (spec.renew_before_days or 1/3)
 */
void cf_renewal_due(const struct cf_renewal *r, time_t now, int force,
		    long override_days, struct cf_due *out);

#endif
