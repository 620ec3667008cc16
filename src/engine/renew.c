/* renew.c - recording issuances and running renewals; see renew.h */
#include "engine/renew.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/buf.h"
#include "core/log.h"
#include "crypto/x509.h"
#include "engine/deliver.h"
#include "engine/preflight.h"
#include "store/atomic.h"
#include "store/lock.h"

static const char *const outcome_names[] = {
	[CF_RENEW_NOT_DUE] = "not-due",
	[CF_RENEW_DUE] = "due",
	[CF_RENEW_OK] = "renewed",
	[CF_RENEW_FAILED] = "failed",
	[CF_RENEW_PENDING] = "pending",
	[CF_RENEW_LOCKED] = "locked",
	[CF_RENEW_INACTIVE] = "inactive",
	[CF_RENEW_REPAIRED] = "repaired",
};

const char *
cf_renew_outcome_name(enum cf_renew_outcome o)
{
	return (unsigned)o <= CF_RENEW_REPAIRED ? outcome_names[o] : "?";
}

/* Deep copy of a spec, through its JSON form (one code path to trust). */
static cf_rc
spec_copy(const struct cf_cert_spec *from, struct cf_cert_spec *to,
	  struct cf_err *err)
{
	json_t *j = NULL;
	cf_rc rc;

	memset(to, 0, sizeof(*to));
	if ((rc = cf_spec_to_json(from, &j, err)) != CF_OK)
		return rc;
	rc = cf_spec_from_json(j, to, err);
	json_decref(j);
	return rc;
}

/* Record the outcome rc of one issuance in r and save it. */
static cf_rc
record(struct cf_engine *e, struct cf_renewal *r, const char *action,
       time_t now, cf_rc rc, const struct cf_issue_result *res,
       const struct cf_err *ierr, struct cf_err *err)
{
	char detail[CF_ERR_MSG_MAX];
	cf_rc rc2;

	if (e->account_url != NULL) {
		free(r->account_url);
		if ((r->account_url = strdup(e->account_url)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if (rc == CF_OK) {
		snprintf(detail, sizeof(detail), "%s%s",
			 res->resumed ? "completed a saved order" : "",
			 res->replaces_dropped ?
				 (res->resumed ? "; the CA refused \"replaces\"" :
						 "the CA refused \"replaces\"") :
				 "");
		/* A failed deploy hook does not undo the delivery: it is
		 * recorded with it (show NAME). */
		if (res->delivery.hooks_failed > 0)
			snprintf(detail + strlen(detail), sizeof(detail) -
				 strlen(detail), "%s%s", detail[0] ? "; " : "",
				 res->delivery.hook_error);
		if ((rc2 = cf_renewal_set_current(r, res->serial, res->not_before,
						  res->not_after, res->ari_cert_id,
						  err)) != CF_OK ||
		    (rc2 = cf_renewal_set_chains(r, res->chains, res->nchains,
						 res->chain_selected, err)) !=
			    CF_OK ||
		    (rc2 = cf_renewal_add_event(r, now, action, "ok", res->serial,
						res->not_after,
						detail[0] ? detail : NULL, err)) !=
			    CF_OK)
			return rc2;
	} else if (rc == CF_ERR_PENDING) {
		/* Not a failure: the CA is working; come back when it said. */
		r->retry_not_before = cf_acme_retry_not_before(e->acme);
		if ((rc2 = cf_renewal_add_event(r, now, action, "pending", NULL, 0,
						ierr->msg, err)) != CF_OK)
			return rc2;
	} else if (res->serial != NULL) {
		/* Issued and in the state folder, but a store or IIS could not
		 * take it: it is the current certificate all the same, and the
		 * next renew repairs the stores from the state folder. */
		if ((rc2 = cf_renewal_set_current(r, res->serial, res->not_before,
						  res->not_after, res->ari_cert_id,
						  err)) != CF_OK ||
		    (rc2 = cf_renewal_add_event(r, now, action, "failed",
						res->serial, res->not_after,
						ierr->msg, err)) != CF_OK)
			return rc2;
	} else {
		cf_renewal_note_failure(r, now, cf_acme_retry_not_before(e->acme));
		if ((rc2 = cf_renewal_add_event(r, now, action, "failed", NULL, 0,
						ierr->msg, err)) != CF_OK)
			return rc2;
	}
	return cf_renewal_save(e->state, r, err);
}

cf_rc
cf_engine_enroll(struct cf_engine *e, const struct cf_issue_opts *o,
		 const char *action, time_t now, struct cf_issue_result *res,
		 struct cf_err *err)
{
	struct cf_issue_opts io = *o;
	struct cf_renewal r;
	struct cf_err lerr = { 0 };
	int lockfd = -1, existed = 0;
	cf_rc rc, rc2;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	if (!o->lock_held &&
	    (rc = cf_state_lock(e->state, o->spec->name, &lockfd, err)) != CF_OK)
		return rc;
	rc2 = cf_renewal_load(e->state, o->spec->name, &r, &lerr);
	if (rc2 == CF_OK) {
		existed = 1;
	} else if (rc2 != CF_ERR_NOTFOUND) {
		cf_warn("%s: the renewal definition is unreadable and will be "
			"written anew: %s", o->spec->name, lerr.msg);
	}
	if (o->spec != &r.spec) {
		/* issue: the definition takes the spec of this command line */
		struct cf_cert_spec copy;
		if ((rc = spec_copy(o->spec, &copy, err)) != CF_OK)
			goto out;
		cf_spec_free(&r.spec);
		r.spec = copy;
		r.state = CF_REN_ACTIVE;
	}
	io.lock_held = 1;
	rc = cf_engine_issue(e, &io, res, err);
	if (rc == CF_OK || rc == CF_ERR_PENDING || existed || res->serial) {
		rc2 = record(e, &r, action, now, rc, res, err, &lerr);
		if (rc2 != CF_OK) {
			cf_warn("%s: could not record the renewal definition: %s",
				o->spec->name, lerr.msg);
			if (rc == CF_OK) {
				*err = lerr;
				rc = rc2;
			}
		}
	}
out:
	cf_renewal_free(&r);
	if (!o->lock_held)
		cf_state_unlock(lockfd);
	return rc;
}

/* ---- issue: keep the current certificate ---- */

void
cf_current_use_free(struct cf_current_use *u)
{
	if (u == NULL)
		return;
	cf_verify_report_free(&u->verify);
	memset(u, 0, sizeof(*u));
}

/* The certificate of name in the state folder is for exactly names. */
static int
current_covers(const struct cf_state *st, const char *name,
	       const char *serial, const char *const *names, size_t n)
{
	struct cf_cert_info ci;
	struct cf_err err = { 0 };
	char *path = NULL, *pem = NULL;
	size_t len = 0;
	int ok = 0;

	memset(&ci, 0, sizeof(ci));
	if (cf_state_cert_path(st, name, "cert.pem", &path, &err) != CF_OK ||
	    cf_file_read(path, 1u << 20, &pem, &len, &err) != CF_OK ||
	    cf_cert_info_from_pem(pem, len, &ci, &err) != CF_OK)
		goto out;
	if (ci.serial_hex == NULL || strcmp(ci.serial_hex, serial) != 0 ||
	    ci.nnames != n)
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < ci.nnames; j++)
			if (strcasecmp(names[i], ci.names[j]) == 0)
				break;
		if (j == ci.nnames)
			goto out;
	}
	ok = 1;
out:
	cf_cert_info_free(&ci);
	free(pem);
	free(path);
	return ok;
}

cf_rc
cf_engine_use_current(struct cf_state *st, const struct cf_cert_spec *spec,
		      const char *const *names, size_t n, time_t now,
		      struct cf_current_use *u, struct cf_err *err)
{
	struct cf_renewal r;
	struct cf_cert_spec copy;
	struct cf_due due;
	struct cf_err lerr = { 0 };
	char detail[120];
	int lockfd = -1;
	cf_rc rc;

	memset(u, 0, sizeof(*u));
	memset(&r, 0, sizeof(r));
	u->name = spec->name;
	if ((rc = cf_state_lock(st, spec->name, &lockfd, err)) != CF_OK)
		return rc;
	if (cf_renewal_load(st, spec->name, &r, &lerr) != CF_OK ||
	    r.state != CF_REN_ACTIVE || r.serial == NULL ||
	    r.spec.key_type != spec->key_type ||
	    !current_covers(st, spec->name, r.serial, names, n))
		goto out; /* nothing usable: the caller orders */
	if ((rc = spec_copy(spec, &copy, err)) != CF_OK)
		goto out;
	cf_spec_free(&r.spec);
	r.spec = copy;
	/* The user asks now: an earlier failure's backoff does not count. */
	r.retry_not_before = 0;
	cf_renewal_due(&r, now, 0, 0, &due);
	if (due.due)
		goto out;
	if ((rc = cf_deliver_verify(st, &r.spec, names, n, 1, &u->verify,
				    err)) != CF_OK)
		goto out;
	u->used = 1;
	snprintf(u->serial, sizeof(u->serial), "%s", r.serial);
	u->not_after = r.not_after;
	u->due_at = due.when;
	snprintf(detail, sizeof(detail),
		 "kept the current certificate: %zu of %zu stores repaired%s",
		 u->verify.repaired, u->verify.n,
		 u->verify.failed ? ", some could not be" : "");
	if ((rc = cf_renewal_add_event(&r, now, "issue",
				       u->verify.failed ? "failed" : "ok",
				       r.serial, r.not_after, detail, err)) !=
		    CF_OK ||
	    (rc = cf_renewal_save(st, &r, err)) != CF_OK)
		goto out;
out:
	if (rc != CF_OK)
		cf_current_use_free(u);
	cf_renewal_free(&r);
	cf_state_unlock(lockfd);
	return rc;
}

/* ---- renew run ---- */

/*
 * Validators shared by the workers.  A standalone responder (http-01 on
 * port 80, tls-alpn-01 on 443) binds its port once per process, so every
 * renewal whose spec uses the same address and port shares ONE responder:
 * the http-01 responder's token table is mutex-protected, so its workers
 * run concurrently.  The tls-alpn-01 responder answers by SNI from a
 * locked table too, but its `ready`/cleanup were written for one order at
 * a time, so renewals sharing it are serialised on the entry's mutex.
 * Webroot and dns-01 validators hold no port: each worker makes its own.
 *
 * Across processes (two renew runs at once) the port is guarded by a
 * blocking lock, STATE/locks/_responder-<method>-<port>.lock, held while
 * the responder lives: the second run waits for the first one's responder
 * to go, by which time the certificates the first run renewed are no
 * longer due (and those it holds are skipped as locked).
 */
struct shared_validator {
	char key[300];
	int portlock;                /* flock of the port across processes */
	struct cf_validator v;
	cf_rc rc;                    /* creation failed: every user fails */
	struct cf_err err;
	int exclusive;               /* serialise its users */
	pthread_mutex_t use;
};

#define RUN_MAX_CAS 64

/* A run: renew (names) or bulk issue (items), one job per index. */
struct run {
	struct cf_state *st;
	const struct cf_renew_opts *o;
	size_t n, next;
	void (*job)(struct run *run, size_t i);
	const char *const *names;    /* renew */
	cf_renew_report_fn report;
	struct cf_bulk_item *items;  /* bulk issue */
	cf_bulk_report_fn bulk_report;
	void *report_ctx;
	pthread_mutex_t mu;          /* next, shared[], cas[] */
	pthread_mutex_t out_mu;      /* report() */
	struct shared_validator *shared[64];
	size_t nshared;
	struct cf_acme_ca *cas[RUN_MAX_CAS];
	size_t ncas;
	size_t threads;              /* worker threads of the run */
};

/* The run's cf_acme_ca of a directory URL and trust anchors (made on
 * first use).  NULL and err set when there is none (too many CAs in one
 * run, out of memory): the definition is then worked alone. */
static struct cf_acme_ca *
ca_get(struct run *run, const char *dir_url, const char *ca_bundle,
       struct cf_err *err)
{
	struct cf_acme_ca *ca = NULL;
	int per_ca = run->o->per_ca > 0 ? run->o->per_ca :
					  CF_RENEW_PER_CA_DEFAULT;

	pthread_mutex_lock(&run->mu);
	for (size_t i = 0; i < run->ncas && ca == NULL; i++)
		if (cf_acme_ca_is(run->cas[i], dir_url, ca_bundle))
			ca = run->cas[i];
	if (ca == NULL && run->ncas < RUN_MAX_CAS &&
	    cf_acme_ca_new(dir_url, ca_bundle, per_ca, run->threads <= 1, &ca,
			   err) == CF_OK)
		run->cas[run->ncas++] = ca;
	pthread_mutex_unlock(&run->mu);
	return ca;
}

/* The sharing key of a validation spec, or 0 when it is not shared. */
static int
share_key(const struct cf_validation_spec *v, char *key, size_t len, int *excl)
{
	*excl = 0;
	if (v->method == CF_VAL_HTTP01 && v->webroot == NULL &&
	    !v->iis_webroot) {
		snprintf(key, len, "http-01 %s:%d",
			 v->http_address ? v->http_address : "*",
			 v->http_port ? v->http_port : 80);
		return 1;
	}
	if (v->method == CF_VAL_TLSALPN01) {
		snprintf(key, len, "tls-alpn-01 %s:%d",
			 v->tls_address ? v->tls_address : "*",
			 v->tls_port ? v->tls_port : 443);
		*excl = 1;
		return 1;
	}
	return 0;
}

#define PORT_LOCK_WAIT_S 900

/* Take the cross-process lock of a responder port (waits up to
 * PORT_LOCK_WAIT_S).  -1 and err set on failure. */
static int
port_lock(const struct cf_state *st, const struct cf_validation_spec *v,
	  struct cf_err *err)
{
	int fd = -1, port = v->method == CF_VAL_HTTP01 ?
				    (v->http_port ? v->http_port : 80) :
				    (v->tls_port ? v->tls_port : 443);

	if (cf_state_port_lock(st, cf_val_method_name(v->method), port,
			       PORT_LOCK_WAIT_S, &fd, err) != CF_OK)
		return -1;
	return fd;
}

static struct shared_validator *
shared_get(struct run *run, const struct cf_validation_spec *v,
	   struct cf_err *err)
{
	struct shared_validator *sv = NULL;
	char key[300];
	int excl;

	if (!share_key(v, key, sizeof(key), &excl))
		return NULL;
	pthread_mutex_lock(&run->mu);
	for (size_t i = 0; i < run->nshared; i++)
		if (strcmp(run->shared[i]->key, key) == 0)
			sv = run->shared[i];
	if (sv == NULL && run->nshared < sizeof(run->shared) /
						  sizeof(run->shared[0]) &&
	    (sv = calloc(1, sizeof(*sv))) != NULL) {
		snprintf(sv->key, sizeof(sv->key), "%s", key);
		sv->exclusive = excl;
		pthread_mutex_init(&sv->use, NULL);
		if ((sv->portlock = port_lock(run->st, v, &sv->err)) < 0)
			sv->rc = sv->err.rc;
		else
			sv->rc = cf_spec_validator_new(v, NULL, NULL, &sv->v,
						       &sv->err);
		run->shared[run->nshared++] = sv;
	}
	pthread_mutex_unlock(&run->mu);
	if (sv == NULL)
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return sv;
}

static double
random01(void)
{
	uint32_t u = 0;

	if (RAND_bytes((unsigned char *)&u, sizeof(u)) != 1)
		u = (uint32_t)rand();
	return (double)u / 4294967296.0;
}

/* Ask the CA's renewal information when it is time; failures only log:
 * ARI never blocks a renewal (the lifetime rule applies then). */
static int
update_ari(struct cf_engine *e, struct cf_renewal *r, time_t now)
{
	const struct cf_acme_directory *dir;
	struct cf_acme_ari ari;
	struct cf_err err = { 0 };

	if (!cf_renewal_ari_check_due(r, now) ||
	    cf_acme_get_directory(e->acme, &dir, &err) != CF_OK ||
	    dir->renewal_info == NULL)
		return 0;
	if (cf_acme_renewal_info(e->acme, r->ari_cert_id, &ari, &err) != CF_OK) {
		cf_warn("%s: renewal information unavailable (%s); using the "
			"lifetime rule", r->spec.name, err.msg);
		/* Ask again in an hour, not at every run. */
		r->ari_next_check = now + 3600;
		return 1;
	}
	cf_renewal_apply_ari(r, now, ari.start, ari.end, ari.retry_after_s,
			     random01());
	if (ari.explanation_url != NULL)
		cf_info("%s: the CA explains its renewal window at %s",
			r->spec.name, ari.explanation_url);
	cf_acme_ari_free(&ari);
	return 1;
}

/*
 * A certificate that is not due: does every store and IIS binding still
 * hold it?  Drift is repaired from the state folder (not with --dry-run)
 * and the item says so; a store that cannot be repaired fails the item
 * (and is recorded), without ordering anything.
 */
static cf_rc
verify_stores(struct run *run, struct cf_renewal *r, struct cf_renew_item *it,
	      int changed)
{
	struct cf_verify_report *rep = &it->verify;
	char **names = NULL;
	size_t n = 0;
	cf_rc rc;

	if (r->spec.nstores == 0 && !r->spec.iis.install)
		return CF_OK;
	if ((rc = cf_spec_resolve_names(&r->spec, &names, &n, &it->err)) !=
		    CF_OK ||
	    (rc = cf_deliver_verify_known(run->st, &r->spec,
					  (const char *const *)names, n,
					  !run->o->dry_run, r->serial, rep,
					  &it->err)) !=
		    CF_OK) {
		it->outcome = CF_RENEW_FAILED;
		goto out;
	}
	if (rep->failed > 0) {
		it->outcome = CF_RENEW_FAILED;
		for (size_t i = 0; i < rep->n; i++)
			if (rep->v[i].failed) {
				cf_err_set(&it->err, CF_ERR_IO,
						"%s store %s could not be repaired: "
					   "%s", rep->v[i].kind, rep->v[i].path,
					   rep->v[i].detail);
				break;
			}
	} else if (rep->repaired > 0) {
		it->outcome = CF_RENEW_REPAIRED;
	}
	if (!run->o->dry_run && rep->drifted > 0) {
		struct cf_err serr = { 0 };
		char detail[120];
		snprintf(detail, sizeof(detail), "%zu store%s repaired from the "
			 "state folder%s", rep->repaired,
			 rep->repaired == 1 ? "" : "s",
			 rep->failed ? "; some could not be" : "");
		if (cf_renewal_add_event(r, run->o->now, "repair",
					 rep->failed ? "failed" : "ok", r->serial,
					 r->not_after, detail, &serr) != CF_OK ||
		    (!changed && cf_renewal_save(run->st, r, &serr) != CF_OK))
			cf_warn("%s: %s", r->spec.name, serr.msg);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* IIS sites are followed by id: a renamed site is said (log and
 * history) and recorded; a site that is gone fails the item, naming
 * the candidates. */
static cf_rc
follow_iis_sites(struct run *run, struct cf_renewal *r,
		 struct cf_renew_item *it, int *changed)
{
	struct cf_err serr = { 0 };
	char *note = NULL;
	cf_rc rc;

	if ((rc = cf_spec_iis_follow(&r->spec, &note, &it->err)) != CF_OK ||
	    note == NULL)
		return rc;
	cf_info("%s: %s", it->name, note);
	if (!run->o->dry_run) {
		if (cf_renewal_add_event(r, run->o->now, "iis-site", "followed",
					 r->serial, r->not_after, note, &serr) !=
		    CF_OK)
			cf_warn("%s: %s", it->name, serr.msg);
		*changed = 1;
	}
	free(note);
	return CF_OK;
}

/*
 * The common case, without the name's lock and without a write: an active
 * definition that is not due, whose renewal information is not to be
 * asked, and whose stores are unchanged since their last full check
 * (cf_deliver_unchanged: stat(2) only).  1 when `it` is decided; 0: the
 * full path (under the lock) decides.  Reading without the lock is safe:
 * definitions are replaced atomically, and anything to do goes through
 * the lock.
 */
static int
quick_decide(struct run *run, struct cf_renew_item *it)
{
	const struct cf_renew_opts *o = run->o;
	struct cf_renewal r;
	struct cf_due due;
	struct cf_err err = { 0 };
	struct cf_acme_ca *ca;
	char **names = NULL;
	size_t n = 0;
	int done = 0;

	if (o->force || cf_renewal_load(run->st, it->name, &r, &err) != CF_OK)
		return 0;
	if (r.state != CF_REN_ACTIVE) {
		it->outcome = CF_RENEW_INACTIVE;
		snprintf(it->why, sizeof(it->why), "%s",
			 cf_renewal_state_name(r.state));
		done = 1;
		goto out;
	}
	if (r.serial == NULL || r.spec.iis.install ||
	    r.spec.server.kind != CF_SERVER_NONE || r.spec.iis.nsites > 0 ||
	    cf_renewal_ari_check_due(&r, o->now))
		goto out;
	cf_renewal_due(&r, o->now, 0, o->renew_before_days, &due);
	if (due.due)
		goto out;
	if (r.spec.nstores > 0 &&
	    (cf_spec_resolve_names(&r.spec, &names, &n, &err) != CF_OK ||
	     !cf_deliver_unchanged(run->st, &r.spec, (const char *const *)names,
				   n, r.serial, &it->verify)))
		goto out;
	ca = ca_get(run, r.spec.directory_url,
		    o->ca_bundle ? o->ca_bundle : r.spec.ca_bundle, &err);
	it->outcome = CF_RENEW_NOT_DUE;
	snprintf(it->why, sizeof(it->why), "%s%s",
		 ca != NULL && cf_acme_ca_down(ca, NULL) ?
			 "CA unreachable, checked locally: " : "",
		 due.why);
	done = 1;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cf_renewal_free(&r);
	return done;
}

/* ---- one order of a run (renew or bulk issue) ---- */

/* The ACME options of spec in this run: its CA through the run's one
 * cf_acme_ca (ao->ca is NULL when there is none to be had: too many CAs;
 * the order then works alone). */
static cf_rc
acme_opts_for(struct run *run, const struct cf_cert_spec *spec,
	      struct cf_acme_opts *ao, struct cf_err *err)
{
	const struct cf_renew_opts *o = run->o;

	memset(ao, 0, sizeof(*ao));
	ao->directory_url = spec->directory_url;
	/* The run's --ca-bundle, else the one the certificate was issued with. */
	ao->http.ca_bundle = o->ca_bundle ? o->ca_bundle : spec->ca_bundle;
	ao->wait_budget_s = o->wait_s;
	ao->allow_cross_origin = o->allow_cross_origin;
	ao->http.timeout_s = o->http_timeout_s;
	if ((ao->ca = ca_get(run, ao->directory_url, ao->http.ca_bundle,
			     err)) == NULL &&
	    err->rc == CF_ERR_NOMEM)
		return err->rc;
	cf_err_clear(err);
	return CF_OK;
}

/* The account of spec, which must be in the state folder already. */
static cf_rc
account_ready(struct cf_engine *e, const struct cf_cert_spec *spec,
	      struct cf_err *err)
{
	int found = 0;
	cf_rc rc;

	if ((rc = cf_engine_use_account(e, spec->account, err)) != CF_OK ||
	    (rc = cf_engine_account_load(e, &found, err)) != CF_OK)
		return rc;
	if (!found)
		return cf_err_set(err, CF_ERR_NOTFOUND,
				  "no account for %s in the state folder",
				  spec->directory_url);
	return CF_OK;
}

/* The validator of one order: the run's shared responder for its
 * address and port, or its own (webroot, dns-01). */
struct job_validator {
	struct cf_validator own;
	struct shared_validator *sv;
	int locked;                  /* holds sv->use */
	struct cf_validator *v;      /* the one to use */
};

static cf_rc
validator_take(struct run *run, const struct cf_cert_spec *spec,
	       struct job_validator *jv, struct cf_err *err)
{
	cf_rc rc;

	memset(jv, 0, sizeof(*jv));
	cf_err_clear(err);
	if ((jv->sv = shared_get(run, &spec->validation, err)) != NULL) {
		if (jv->sv->rc != CF_OK) {
			*err = jv->sv->err;
			return err->rc;
		}
		if (jv->sv->exclusive) {
			pthread_mutex_lock(&jv->sv->use);
			jv->locked = 1;
		}
		jv->v = &jv->sv->v;
		return CF_OK;
	}
	if (err->rc != CF_OK)
		return err->rc;
	if ((rc = cf_spec_validator_for(spec, NULL, NULL, &jv->own, err)) !=
	    CF_OK)
		return rc;
	jv->v = &jv->own;
	return CF_OK;
}

static void
validator_give(struct job_validator *jv)
{
	if (jv->locked)
		pthread_mutex_unlock(&jv->sv->use);
	cf_validator_destroy(&jv->own);
	memset(jv, 0, sizeof(*jv));
}

/* cf_engine_enroll within the CA's limit of orders at once. */
static cf_rc
enroll_in_slot(struct cf_engine *e, struct cf_acme_ca *ca,
	       const struct cf_issue_opts *io, const char *action, time_t now,
	       struct cf_issue_result *res, struct cf_err *err)
{
	cf_rc rc;

	if (ca != NULL)
		cf_acme_ca_slot_take(ca);
	rc = cf_engine_enroll(e, io, action, now, res, err);
	if (ca != NULL)
		cf_acme_ca_slot_give(ca);
	return rc;
}

/* ---- renewing one definition ---- */

struct renewing {
	struct run *run;
	struct cf_renew_item *it;
	struct cf_renewal r;
	struct cf_engine e;
	struct cf_acme_opts ao;
	struct cf_due due;
	int opened;                  /* e is open */
	int changed;                 /* r changed: to be saved */
};

/* Take the name's lock: 0 when the item is decided without it (another
 * run holds it, or the lock could not be had). */
static int
lock_item(struct run *run, struct cf_renew_item *it, int *fd)
{
	cf_rc rc = cf_state_lock(run->st, it->name, fd, &it->err);

	if (rc == CF_ERR_LOCKED) {
		it->outcome = CF_RENEW_LOCKED;
		snprintf(it->why, sizeof(it->why),
			 "locked: another certferry run is working on it");
		cf_err_clear(&it->err);
	}
	return rc == CF_OK;
}

/* Read the definition under the lock (another run may have just renewed
 * it): 0 when the item is decided (unreadable, inactive). */
static int
load_active(struct renewing *w)
{
	struct cf_renew_item *it = w->it;

	if (cf_renewal_load(w->run->st, it->name, &w->r, &it->err) != CF_OK)
		return 0;
	if (w->r.state != CF_REN_ACTIVE) {
		it->outcome = CF_RENEW_INACTIVE;
		snprintf(it->why, sizeof(it->why), "%s",
			 cf_renewal_state_name(w->r.state));
		return 0;
	}
	/* The CA is asked only when needed (renewal information due, or an
	 * order), through the one cf_acme_ca of the run. */
	return acme_opts_for(w->run, &w->r.spec, &w->ao, &it->err) == CF_OK;
}

/* Failures before the order are counted too (backoff, history). */
static void
record_failure(struct renewing *w)
{
	struct cf_err serr = { 0 };
	time_t now = w->run->o->now;

	cf_renewal_note_failure(&w->r, now, 0);
	if (cf_renewal_add_event(&w->r, now, "renew", "failed", NULL, 0,
				 w->it->err.msg, &serr) != CF_OK ||
	    cf_renewal_save(w->run->st, &w->r, &serr) != CF_OK)
		cf_warn("%s: %s", w->it->name, serr.msg);
}

/* Not due (or --dry-run): check the stores, remember when it is due. */
static void
not_due(struct renewing *w)
{
	struct run *run = w->run;
	struct cf_renew_item *it = w->it;

	it->outcome = w->due.due ? CF_RENEW_DUE : CF_RENEW_NOT_DUE;
	if (!w->due.due && w->r.serial != NULL &&
	    verify_stores(run, &w->r, it, w->changed) != CF_OK)
		return;
	if (run->o->dry_run)
		return;
	if (w->due.when != 0)
		w->r.next_due = w->due.when;
	if (w->changed && cf_renewal_save(run->st, &w->r, &it->err) != CF_OK)
		it->outcome = CF_RENEW_FAILED;
}

/* Is it due, with what the CA says (renewal information) when it can be
 * asked?  1: order it; 0: the item is decided. */
static int
decide(struct renewing *w)
{
	const struct cf_renew_opts *o = w->run->o;
	struct cf_renew_item *it = w->it;
	struct cf_err down_err = { 0 };
	int ca_down;

	if (cf_renewal_ari_check_due(&w->r, o->now) &&
	    (w->ao.ca == NULL || !cf_acme_ca_down(w->ao.ca, NULL))) {
		if (cf_engine_open(&w->e, w->run->st, &w->ao, &it->err) != CF_OK)
			return 0;
		w->opened = 1;
		w->changed = update_ari(&w->e, &w->r, o->now);
	}
	if (follow_iis_sites(w->run, &w->r, it, &w->changed) != CF_OK) {
		record_failure(w);
		return 0;
	}
	ca_down = w->ao.ca != NULL && cf_acme_ca_down(w->ao.ca, &down_err);
	cf_renewal_due(&w->r, o->now, o->force, o->renew_before_days, &w->due);
	snprintf(it->why, sizeof(it->why), "%s%s",
		 ca_down ? "CA unreachable, checked locally: " : "", w->due.why);
	if (w->due.due && !o->dry_run && ca_down) {
		/* Not the certificate's fault: no order, no backoff; the next
		 * run tries again. */
		cf_err_set(&it->err, down_err.rc == CF_ERR_NOMEM ? CF_ERR_NET :
				     down_err.rc,
			   "due, not ordered: the CA %s was found unreachable or "
			   "failing earlier in this run (%s); the next run tries "
			   "again", w->r.spec.directory_url, down_err.msg);
		return 0;
	}
	if (!w->due.due || o->dry_run) {
		not_due(w);
		return 0;
	}
	return !w->changed || cf_renewal_save(w->run->st, &w->r, &it->err) ==
				      CF_OK;
}

/* Everything an order needs that is checked locally: the account, a
 * validator that needs no person, the names as they are today. */
static cf_rc
order_ready(struct renewing *w, char ***names, size_t *n)
{
	struct cf_renew_item *it = w->it;
	struct cf_cert_spec *s = &w->r.spec;

	cf_info("%s: renewing: %s", it->name, w->due.why);
	if (account_ready(&w->e, s, &it->err) != CF_OK)
		return it->err.rc;
	if (s->validation.method == CF_VAL_DNS01 &&
	    s->validation.dns_provider == CF_DNS_MANUAL)
		return cf_err_set(&it->err, CF_ERR_USAGE,
				  "dns-01 manual mode needs a person: renew it "
				  "with 'certferry issue' (or switch it to "
				  "rfc2136/script)");
	/* Nothing is ordered that cannot be delivered: the same checks as
	 * issue's, on the names as they are today. */
	if (cf_spec_resolve_names(s, names, n, &it->err) != CF_OK ||
	    cf_spec_check(s, (const char *const *)*names, *n, &it->err) !=
		    CF_OK ||
	    cf_preflight(s, NULL, &it->err) != CF_OK)
		return it->err.rc;
	return CF_OK;
}

/* Order the renewal (resuming a saved order) and record it. */
static void
order(struct renewing *w)
{
	struct cf_renew_item *it = w->it;
	const struct cf_acme_directory *dir;
	struct cf_issue_opts io;
	struct cf_issue_result res;
	struct job_validator jv;
	char **names = NULL;
	size_t nnames = 0;
	cf_rc rc;

	memset(&io, 0, sizeof(io));
	memset(&res, 0, sizeof(res));
	memset(&jv, 0, sizeof(jv));
	if (!w->opened) {
		if (cf_engine_open(&w->e, w->run->st, &w->ao, &it->err) != CF_OK)
			return;
		w->opened = 1;
	}
	if (order_ready(w, &names, &nnames) != CF_OK ||
	    validator_take(w->run, &w->r.spec, &jv, &it->err) != CF_OK) {
		record_failure(w);
		goto out;
	}
	io.spec = &w->r.spec;
	io.names = (const char *const *)names;
	io.nnames = nnames;
	io.validator = jv.v;
	io.lock_held = 1;
	if (cf_acme_get_directory(w->e.acme, &dir, &it->err) == CF_OK &&
	    dir->renewal_info != NULL && w->r.serial != NULL)
		io.replaces = w->r.ari_cert_id;
	cf_err_clear(&it->err);
	rc = enroll_in_slot(&w->e, w->ao.ca, &io, "renew", w->run->o->now, &res,
			    &it->err);
	if (rc == CF_OK) {
		it->outcome = CF_RENEW_OK;
		snprintf(it->serial, sizeof(it->serial), "%s", res.serial);
		it->not_after = res.not_after;
		it->resumed = res.resumed;
		it->replaces_dropped = res.replaces_dropped;
	} else {
		it->outcome = rc == CF_ERR_PENDING ? CF_RENEW_PENDING :
						     CF_RENEW_FAILED;
	}
out:
	validator_give(&jv);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	cf_issue_result_free(&res);
}

static void
renew_one(struct run *run, struct cf_renew_item *it)
{
	struct renewing w;
	int lockfd = -1;

	if (quick_decide(run, it))
		return;
	memset(&w, 0, sizeof(w));
	w.run = run;
	w.it = it;
	it->outcome = CF_RENEW_FAILED;
	if (lock_item(run, it, &lockfd) && load_active(&w) && decide(&w))
		order(&w);
	if (w.opened)
		cf_engine_close(&w.e);
	cf_renewal_free(&w.r);
	cf_state_unlock(lockfd);
}

/* One job of a renew run: renew names[i] and report it. */
static void
renew_job(struct run *run, size_t i)
{
	struct cf_renew_item *it;

	/* One item per job, freed after: memory does not grow with the state. */
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		cf_warn("%s: out of memory", run->names[i]);
		return;
	}
	it->name = run->names[i];
	renew_one(run, it);
	pthread_mutex_lock(&run->out_mu);
	run->report(run->report_ctx, it);
	pthread_mutex_unlock(&run->out_mu);
	cf_verify_report_free(&it->verify);
	free(it);
}

/* ---- bulk issue ---- */

/* One certificate of a bulk issue: its own engine (and HTTP handle), the
 * run's CA, the run's responder for its port. */
static void
issue_item(struct run *run, struct cf_bulk_item *it)
{
	struct cf_engine e;
	struct cf_acme_opts ao;
	struct cf_issue_opts io;
	struct job_validator jv;
	int opened = 0;

	memset(&e, 0, sizeof(e));
	memset(&io, 0, sizeof(io));
	memset(&jv, 0, sizeof(jv));
	memset(&it->res, 0, sizeof(it->res));
	if ((it->rc = acme_opts_for(run, it->spec, &ao, &it->err)) != CF_OK ||
	    (it->rc = cf_engine_open(&e, run->st, &ao, &it->err)) != CF_OK)
		goto out;
	opened = 1;
	if ((it->rc = account_ready(&e, it->spec, &it->err)) != CF_OK ||
	    (it->rc = validator_take(run, it->spec, &jv, &it->err)) != CF_OK)
		goto out;
	io.spec = it->spec;
	io.names = it->names;
	io.nnames = it->nnames;
	io.validator = jv.v;
	it->rc = enroll_in_slot(&e, ao.ca, &io, "issue", run->o->now, &it->res,
				&it->err);
out:
	validator_give(&jv);
	if (opened)
		cf_engine_close(&e);
}

static void
bulk_job(struct run *run, size_t i)
{
	struct cf_bulk_item *it = &run->items[i];

	issue_item(run, it);
	pthread_mutex_lock(&run->out_mu);
	run->bulk_report(run->report_ctx, it);
	pthread_mutex_unlock(&run->out_mu);
}

/* ---- the pool of workers ---- */

static void *
worker(void *arg)
{
	struct run *run = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&run->mu);
		i = run->next++;
		pthread_mutex_unlock(&run->mu);
		if (i >= run->n)
			break;
		run->job(run, i);
	}
	return NULL;
}

/* Run job for every index below n, at most o->jobs at a time, then free
 * what the jobs shared (responders, CAs).  run holds what the jobs read
 * (names or items, and their report). */
static void
run_pool(struct run *run, struct cf_state *st, const struct cf_renew_opts *o,
	 size_t n, void (*job)(struct run *, size_t), void *ctx)
{
	pthread_t th[64];
	size_t jobs = o->jobs < 1 ? 1 : (size_t)o->jobs, started = 0;

	run->st = st;
	run->o = o;
	run->n = n;
	run->job = job;
	run->report_ctx = ctx;
	pthread_mutex_init(&run->mu, NULL);
	pthread_mutex_init(&run->out_mu, NULL);

	if (jobs > sizeof(th) / sizeof(th[0]))
		jobs = sizeof(th) / sizeof(th[0]);
	if (jobs > run->n)
		jobs = run->n;
	run->threads = jobs;
	if (jobs <= 1) {
		worker(run);
	} else {
		for (size_t i = 0; i < jobs; i++) {
			if (pthread_create(&th[i], NULL, worker, run) != 0)
				break;
			started++;
		}
		if (started == 0)
			worker(run);  /* no thread: do it all here */
		for (size_t i = 0; i < started; i++)
			pthread_join(th[i], NULL);
	}
	for (size_t i = 0; i < run->nshared; i++) {
		cf_validator_destroy(&run->shared[i]->v);
		cf_file_unlock(run->shared[i]->portlock);
		pthread_mutex_destroy(&run->shared[i]->use);
		free(run->shared[i]);
	}
	for (size_t i = 0; i < run->ncas; i++) {
		cf_debug("%s: %ld directory request(s) in this run",
			 cf_acme_ca_url(run->cas[i]),
			 cf_acme_ca_directory_gets(run->cas[i]));
		cf_acme_ca_free(run->cas[i]);
	}
	pthread_mutex_destroy(&run->mu);
	pthread_mutex_destroy(&run->out_mu);
}

cf_rc
cf_renew_run(struct cf_state *st, const struct cf_renew_opts *o,
	     const char *const *names, size_t n, cf_renew_report_fn report,
	     void *ctx, struct cf_err *err)
{
	struct run run = { .names = names, .report = report };

	run_pool(&run, st, o, n, renew_job, ctx);
	(void)err;
	return CF_OK;
}

cf_rc
cf_issue_bulk(struct cf_state *st, const struct cf_renew_opts *o,
	      struct cf_bulk_item *items, size_t n, cf_bulk_report_fn report,
	      void *ctx, struct cf_err *err)
{
	struct run run = { .items = items, .bulk_report = report };

	run_pool(&run, st, o, n, bulk_job, ctx);
	(void)err;
	return CF_OK;
}
