/*
 * renew.h - running renewal definitions: `certferry issue` records them,
 * `certferry renew` renews what is due, concurrently and unattended.
 *
 * Owns: the glue between a renewal definition (engine/renewal.h), the lock
 * of its name, ACME Renewal Information and one issuance; the bounded pool
 * of worker threads of a renew run, the validators they share and the CAs
 * they share (one cf_acme_ca per CA per run: one directory GET, one
 * connection pool, one Retry-After, a circuit breaker and a limit of
 * orders at once).  A run streams: one definition at a time per worker,
 * each reported and forgotten, so memory does not grow with the state.
 * The same pool issues many certificates at once (cf_issue_bulk).
 * Library code: it logs, never prints; the CLI prints the items.
 */
#ifndef CF_RENEW_H
#define CF_RENEW_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "engine/engine.h"
#include "engine/renewal.h"

/*
 * Issue (or renew) o->spec and record the outcome in its renewal
 * definition, under the name's lock (taken here unless o->lock_held):
 * success sets the current certificate and history; CF_ERR_PENDING saves
 * the definition too (so `renew` resumes the order) with the CA's
 * Retry-After; any other failure is counted (backoff) in an existing
 * definition.  action is "issue" or "renew".  The definition keeps
 * o->spec (copied): issuing again with other options redefines it, and
 * re-activates a cancelled one.
 */
cf_rc cf_engine_enroll(struct cf_engine *e, const struct cf_issue_opts *o,
		       const char *action, time_t now,
		       struct cf_issue_result *res,
		       struct cf_err *err) CF_MUST_CHECK;

/* What `issue` did with a certificate it already had. */
struct cf_current_use {
	int used;                   /* 1: the current certificate was kept
				       and delivered; nothing ordered */
	const char *name;           /* borrowed: the spec's name */
	char serial[80];
	time_t not_after;
	time_t due_at;              /* when renew will renew it (0: unknown) */
	struct cf_verify_report verify; /* every store and IIS, repaired */
};
void cf_current_use_free(struct cf_current_use *u);

/*
 * `issue` without --force.  When the renewal definition of spec->name is
 * active and holds a certificate for exactly names[0..n) (as a set, the
 * certificate's SANs read from the state folder) and spec's key type, and
 * that certificate is not due at now by spec's rules, nothing is ordered:
 * every store and IIS binding of spec is verified and repaired from the
 * state folder (u->verify), the definition takes spec and records the
 * event, and u->used is 1.  Otherwise u->used is 0 and nothing changed.
 * Takes the name's lock (CF_ERR_LOCKED when another run holds it).
 */
cf_rc cf_engine_use_current(struct cf_state *st, const struct cf_cert_spec *spec,
			    const char *const *names, size_t n, time_t now,
			    struct cf_current_use *u,
			    struct cf_err *err) CF_MUST_CHECK;

struct cf_renew_opts {
	const char *ca_bundle;      /* trust anchors for the CAs' HTTPS; NULL:
				       each spec's own (or the system's) */
	int allow_cross_origin;     /* cf_acme_opts.allow_cross_origin */
	long http_timeout_s;        /* one answer's limit; 0: the default */
	long wait_s;                /* per certificate; 0: default, -1: none */
	int force;                  /* renew even when not due */
	long renew_before_days;     /* > 0: overrides every definition */
	int dry_run;                /* decide and report only: no order, no
				       write (ARI is still asked) */
	int jobs;                   /* concurrent renewals, >= 1 */
	int per_ca;                 /* orders at once per CA; 0: the default */
	time_t now;                 /* the clock (tests inject it) */
};

/* Orders at once per CA when cf_renew_opts.per_ca is 0. */
#define CF_RENEW_PER_CA_DEFAULT 4

enum cf_renew_outcome {
	CF_RENEW_NOT_DUE = 0,
	CF_RENEW_DUE,               /* --dry-run: would renew */
	CF_RENEW_OK,
	CF_RENEW_FAILED,
	CF_RENEW_PENDING,           /* the order is still processing at the CA */
	CF_RENEW_LOCKED,            /* another run works on it: skipped */
	CF_RENEW_INACTIVE,          /* cancelled or revoked */
	CF_RENEW_REPAIRED,          /* not due; stores that drifted were
				       rewritten from the state folder */
};

const char *cf_renew_outcome_name(enum cf_renew_outcome o);

struct cf_renew_item {
	const char *name;           /* in: borrowed */
	enum cf_renew_outcome outcome;
	char why[240];              /* why it is (not) due */
	char serial[80];            /* the new certificate's */
	time_t not_after;
	int resumed;                /* completed a saved order */
	int replaces_dropped;       /* the CA refused "replaces" */
	struct cf_err err;          /* FAILED / PENDING: what happened */
	struct cf_verify_report verify; /* not due: every store checked */
};

/* Called once per item when it is done, one call at a time (the run
 * serialises them), in the order the items finish; the item and what it
 * points to are valid only during the call. */
typedef void (*cf_renew_report_fn)(void *ctx, const struct cf_renew_item *it);

/* Renew every definition of names[0..n) that is due, at most o->jobs at a
 * time (each worker has its own engine and HTTP handle; the workers share
 * one cf_acme_ca per CA).  When a CA is found unreachable or failing,
 * the remaining definitions of that CA are decided from their own data
 * (the lifetime rule), their `why` says "CA unreachable, checked
 * locally", and due ones are failed without an order and without a
 * backoff.  One failure does not stop the others: each item gets its own
 * outcome, given to report.  Returns CF_OK unless the run itself could
 * not start. */
cf_rc cf_renew_run(struct cf_state *st, const struct cf_renew_opts *o,
		   const char *const *names, size_t n,
		   cf_renew_report_fn report, void *ctx,
		   struct cf_err *err) CF_MUST_CHECK;

/* One certificate of a bulk issue (`issue --per-site`, `issue --from`). */
struct cf_bulk_item {
	const struct cf_cert_spec *spec; /* in, borrowed: complete and checked
					    (cf_spec_check, cf_preflight) */
	const char *const *names;   /* in, borrowed: spec's resolved names */
	size_t nnames;
	void *user;                 /* in: the caller's */
	cf_rc rc;                   /* out: cf_engine_enroll's */
	struct cf_err err;          /* out: when rc is not CF_OK */
	struct cf_issue_result res; /* out: the caller frees it */
};

/* Called once per item when it is done, one call at a time. */
typedef void (*cf_bulk_report_fn)(void *ctx, struct cf_bulk_item *it);

/* Issue every item (cf_engine_enroll, action "issue": each records its
 * renewal definition) at most o->jobs at a time and at most o->per_ca
 * orders at once per CA, with the machinery of cf_renew_run: one
 * cf_acme_ca per CA (one directory GET, one Retry-After and rate-limit
 * answer slowing every job of that CA, the circuit breaker), one
 * standalone responder per address and port.  Of o, only ca_bundle,
 * allow_cross_origin, http_timeout_s, wait_s, jobs, per_ca and now are
 * used.  The account of each spec must exist already.  One failure does
 * not stop the others.  Returns CF_OK unless the run could not start. */
cf_rc cf_issue_bulk(struct cf_state *st, const struct cf_renew_opts *o,
		    struct cf_bulk_item *items, size_t n,
		    cf_bulk_report_fn report, void *ctx,
		    struct cf_err *err) CF_MUST_CHECK;

#endif
