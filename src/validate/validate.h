/*
 * validate.h - the interface every challenge method implements.
 *
 * Owns: the contract between the order driver (which talks to the CA) and a
 * validation method (which makes the proof visible: a file on a web server,
 * a TXT record, a TLS certificate).  A method never talks to the CA.
 *
 * Life of one order:  create -> present(each) -> ready -> [CA validates]
 *                     -> cleanup(each presented) -> destroy
 * cleanup is called for every challenge that was presented, also when the
 * order failed.  All hooks return cf_rc and fill err; none prints.
 */
#ifndef CF_VALIDATE_H
#define CF_VALIDATE_H

#include "core/err.h"

/* One challenge to make visible. All strings are borrowed for the call. */
struct cf_challenge_task {
	const char *identifier;        /* DNS name as ordered, without "*." */
	int wildcard;                  /* the order asked for "*.identifier" */
	const char *type;              /* "http-01", "dns-01", "tls-alpn-01" */
	const char *token;
	const char *key_authorization; /* secret-ish: never log it */
};

struct cf_validator {
	const char *challenge_type; /* which ACME challenge this method answers */
	void *ctx;                  /* owned by the method; freed by destroy */

	/* Wait until the method can take challenges (a responder process
	 * has bound its port) and say why not; called before anything is
	 * ordered.  May be NULL (ready when made). */
	cf_rc (*started)(void *ctx, struct cf_err *err);
	/* Make the proof for one challenge available (or queue it). */
	cf_rc (*present)(void *ctx, const struct cf_challenge_task *t,
			 struct cf_err *err);
	/* Called once after every present: wait until the proofs are visible
	 * (DNS propagation); may be NULL. */
	cf_rc (*ready)(void *ctx, struct cf_err *err);
	/* Remove the proof of one presented challenge; best effort, may log. */
	void (*cleanup)(void *ctx, const struct cf_challenge_task *t);
	/* Release everything (stop a responder, free ctx). */
	void (*destroy)(void *ctx);
};

/* Call v->destroy if set and clear v. Safe on a zeroed validator. */
void cf_validator_destroy(struct cf_validator *v);

/* v's started() when it has one, else CF_OK. */
cf_rc cf_validator_started(struct cf_validator *v,
			   struct cf_err *err) CF_MUST_CHECK;

#endif
