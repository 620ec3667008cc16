/* deliver.c - from an issued certificate to every store, IIS binding,
 * server and deploy hook the spec names; verify and repair.  The spec's
 * sites and names are sites.c's. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "engine/deliver.h"
#include "engine/verified.h"
#include "iis/appconfig.h"
#include "iis/ccs.h"
#include "iis/check.h"
#include "iis/edit.h"
#include "iis/netsh.h"
#include "install/store.h"
#include "store/atomic.h"
#include "store/paths.h"

/* The PFX password of a pfx/ccs store: read from its file at the moment
 * of use (never from the environment: renewals run without it), or "" for
 * a store the user asked to leave unprotected. */
static cf_rc
pfx_password(const struct cf_store_spec *st, char **out, struct cf_err *err)
{
	if (st->password_file != NULL)
		return cf_secret_file_read(st->password_file, out, NULL, err);
	if (!st->no_password)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the %s store %s has no password file recorded: "
				  "run 'certferry issue' for it again with "
				  "--pfx-password-file FILE (or --pfx-no-password)",
				  cf_store_kind_name(st->kind), st->path);
	if ((*out = strdup("")) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* After an install: what IIS will serve for each CCS host, read back from
 * the edited applicationHost.config and the CCS folder. */
static cf_rc
iis_verify(const struct cf_cert_spec *s, struct cf_delivery *d,
	   struct cf_err *err)
{
	const struct cf_store_spec *ccs = NULL;
	struct cf_iis_config *cfg = NULL;
	char *pw = NULL;
	cf_rc rc;

	for (size_t i = 0; i < s->nstores; i++)
		if (s->stores[i].kind == CF_STORE_CCS)
			ccs = &s->stores[i];
	if (ccs == NULL)
		return CF_OK;
	if ((rc = cf_iis_config_load(s->iis.config, NULL, 0, &cfg, err)) != CF_OK ||
	    (rc = pfx_password(ccs, &pw, err)) != CF_OK)
		goto out;
	rc = cf_iis_check(cfg, ccs->path, pw, 30, 0, &d->iis_report, err);
out:
	if (pw != NULL)
		OPENSSL_clear_free(pw, strlen(pw));
	cf_iis_config_free(cfg);
	return rc;
}

/* Write b to one store. */
static cf_rc
deliver_store(const struct cf_store_spec *st, const struct cf_cert_bundle *b,
	      struct cf_err *err)
{
	char *pw = NULL;
	cf_rc rc;

	switch (st->kind) {
	case CF_STORE_PEM:
		rc = cf_store_pem_write(st->path, b, err);
		break;
	case CF_STORE_PFX:
	case CF_STORE_CCS:
		if ((rc = pfx_password(st, &pw, err)) != CF_OK)
			break;
		rc = st->kind == CF_STORE_PFX ?
			     cf_store_pfx_write(st->path, b, pw, st->pfx_format,
						err) :
			     cf_store_ccs_write(st->path, b, pw, st->pfx_format,
						err);
		OPENSSL_clear_free(pw, strlen(pw));
		break;
	default:
		rc = cf_err_set(err, CF_ERR_INTERNAL, "unknown store");
	}
	if (rc != CF_OK)
		return cf_err_wrap(err, "%s store %s", cf_store_kind_name(st->kind),
				   st->path);
	return CF_OK;
}

static unsigned
https_port(const struct cf_cert_spec *s)
{
	return s->iis.https_port ? (unsigned)s->iis.https_port : 443u;
}

/* cf_iis_apply_ex for the spec's sites (by their recorded ids), under
 * the state folder's lock of that applicationHost.config (state NULL: no
 * lock). */
static cf_rc
iis_apply(const struct cf_state *state, const struct cf_cert_spec *s,
	  const char *const *names, size_t n, int dry_run,
	  struct cf_iis_plan **plan, char **backup, struct cf_err *err)
{
	struct cf_iis_apply_opts o = { 0 };
	struct cf_iis_config *cfg = NULL;
	const struct cf_iis_site **sites = NULL;
	const char **keys = NULL;
	char **ids = NULL;
	size_t nsites = 0;
	char *lock = NULL;
	cf_rc rc;

	/* The sites as chosen now (ids followed, "*" expanded), passed on
	 * as ids: the apply reads the file again under the lock. */
	if ((rc = cf_iis_config_load(s->iis.config, NULL, 0, &cfg, err)) !=
		    CF_OK ||
	    (rc = cf_spec_iis_sites(s, cfg, &sites, &nsites, err)) != CF_OK)
		goto out;
	if ((keys = calloc(nsites + 1, sizeof(*keys))) == NULL ||
	    (ids = calloc(nsites + 1, sizeof(*ids))) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nsites; i++) {
		if ((ids[i] = cf_strfmt("%lu", sites[i]->id)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		/* the name, unless another site is named like this id */
		keys[i] = cf_iis_site_find(cfg, ids[i]) == sites[i] ? ids[i] :
								       sites[i]->name;
	}
	if (state != NULL && !dry_run &&
	    (rc = cf_state_iis_lock_path(state, s->iis.config, &lock, err)) !=
		    CF_OK)
		goto out;
	o.lock_path = lock;
	o.sites = keys;
	o.nsites = nsites;
	o.hosts = names;
	o.nhosts = n;
	o.https_port = https_port(s);
	o.flags = s->iis.migrate ? CF_IIS_PLAN_F_MIGRATE : 0;
	o.dry_run = dry_run;
	rc = cf_iis_apply_ex(s->iis.config, &o, plan, backup, err);
out:
	for (size_t i = 0; ids != NULL && i < nsites; i++)
		free(ids[i]);
	free(ids);
	free(keys);
	free(sites);
	cf_iis_config_free(cfg);
	free(lock);
	return rc;
}

/* The current certificate of a name, read from the state folder (or what
 * a PEM folder holds). */
struct current {
	char *key_pem;               /* secret */
	size_t key_len;
	char *cert_pem, *chain_pem, *fullchain_pem;
};

static void current_free(struct current *c);
static cf_rc files_load(char *const paths[4], struct current *c,
			struct cf_err *err);

static void
current_bundle(const struct current *c, const char *const *names, size_t n,
	       struct cf_cert_bundle *b)
{
	memset(b, 0, sizeof(*b));
	b->key_pem = c->key_pem;
	b->leaf_pem = c->cert_pem;
	b->chain_pem = c->chain_pem;
	b->fullchain_pem = c->fullchain_pem;
	b->names = names;
	b->nnames = n;
}

/* What the PEM folder dir holds now, for a rollback; 0 when it holds no
 * complete set. */
static int
pem_snapshot(const char *dir, struct current *c)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					     "chain.pem", "fullchain.pem" };
	char *paths[4] = { NULL };
	struct cf_err ignore = { 0 };
	int ok = 1;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 4; i++)
		ok &= (paths[i] = cf_strfmt("%s/%s", dir, files[i])) != NULL;
	ok = ok && files_load(paths, c, &ignore) == CF_OK;
	for (size_t i = 0; i < 4; i++)
		free(paths[i]);
	return ok;
}

/* The state folder's STATE/certs/NAME, or NULL. */
static char *
lineage(const struct cf_state *st, const char *name)
{
	struct cf_err ignore = { 0 };
	char *p = NULL, *slash;

	if (st == NULL || cf_state_cert_path(st, name, "fullchain.pem", &p,
					     &ignore) != CF_OK)
		return NULL;
	if ((slash = strrchr(p, '/')) != NULL)
		*slash = '\0';
	return p;
}

static cf_rc deliver_all(const struct cf_state *state,
			 const struct cf_cert_spec *s,
			 const struct cf_cert_bundle *b, const struct current *prev,
			 struct cf_delivery *d, struct cf_err *err);

/* The deploy hooks after a delivery of b. */
static void
run_hooks(const struct cf_state *st, const struct cf_cert_spec *s,
	  const struct cf_cert_bundle *b, struct cf_delivery *d)
{
	struct cf_hook_vars v;
	struct cf_err err = { 0 };
	char *lin = lineage(st, s->name);

	memset(&v, 0, sizeof(v));
	v.name = s->name;
	v.names = b->names;
	v.nnames = b->nnames;
	v.lineage = lin ? lin : "";
	v.pem_dir = cf_install_pem_dir(s);
	v.leaf_pem = b->leaf_pem;
	for (size_t i = 0; i < s->nstores; i++) {
		if (s->stores[i].kind == CF_STORE_PFX && v.pfx_file == NULL) {
			v.pfx_file = s->stores[i].path;
			v.pfx_password_file = s->stores[i].password_file;
		}
		if (s->stores[i].kind == CF_STORE_CCS && v.ccs_dir == NULL)
			v.ccs_dir = s->stores[i].path;
	}
	if (cf_install_hooks(s, &v, &d->hooks_ran, &d->hooks_failed,
			     d->hook_error, sizeof(d->hook_error), &err) != CF_OK) {
		d->hooks_failed = s->hooks.ndeploy;
		snprintf(d->hook_error, sizeof(d->hook_error), "deploy hooks: %.300s",
			 err.msg);
	}
	free(lin);
}

cf_rc
cf_spec_iis_plan(const struct cf_cert_spec *s, const char *const *names,
		 size_t n, struct cf_iis_plan **plan, struct cf_err *err)
{
	return iis_apply(NULL, s, names, n, 1, plan, NULL, err);
}

cf_rc
cf_spec_iis_netsh_path(const struct cf_state *state, const char *name,
		       char **out, struct cf_err *err)
{
	if ((*out = cf_strfmt("%s/%s/%s.cmd", state->root, CF_IIS_NETSH_DIR,
			      name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* The script that finishes the migration, in STATE/iis-netsh/NAME.cmd. */
static cf_rc
write_netsh(const struct cf_state *state, const struct cf_cert_spec *s,
	    const struct cf_iis_plan *p, char **path, struct cf_err *err)
{
	char *text = NULL, *dir = NULL;
	cf_rc rc;

	*path = NULL;
	if (state == NULL || p == NULL || p->nmigrate == 0)
		return CF_OK;
	if ((rc = cf_iis_netsh_script(p, s->name, s->iis.config, &text, err)) !=
		    CF_OK ||
	    (rc = cf_spec_iis_netsh_path(state, s->name, path, err)) != CF_OK)
		goto out;
	if ((dir = cf_strfmt("%s/%s", state->root, CF_IIS_NETSH_DIR)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_state_mkdir(state, dir, err)) != CF_OK ||
	    (rc = cf_file_write_atomic(*path, text, strlen(text), 0600, err)) !=
		    CF_OK)
		goto out;
out:
	if (rc != CF_OK) {
		free(*path);
		*path = NULL;
	}
	free(dir);
	free(text);
	return rc;
}

cf_rc
cf_deliver(const struct cf_state *state, const struct cf_cert_spec *s,
	   const struct cf_cert_bundle *b, struct cf_delivery *d,
	   struct cf_err *err)
{
	struct current prev;
	int have_prev = 0;
	cf_rc rc;
	memset(d, 0, sizeof(*d));
	memset(&prev, 0, sizeof(prev));
	if (s->server.kind != CF_SERVER_NONE && cf_install_pem_dir(s) != NULL)
		have_prev = pem_snapshot(cf_install_pem_dir(s), &prev);
	rc = deliver_all(state, s, b, have_prev ? &prev : NULL, d, err);
	current_free(&prev);
	if (rc == CF_OK)
		run_hooks(state, s, b, d);
	return rc;
}

static cf_rc
deliver_all(const struct cf_state *state, const struct cf_cert_spec *s,
	    const struct cf_cert_bundle *b, const struct current *prev,
	    struct cf_delivery *d, struct cf_err *err)
{
	struct cf_cert_bundle pb;
	cf_rc rc;

	for (size_t i = 0; i < s->nstores; i++) {
		if ((rc = deliver_store(&s->stores[i], b, err)) != CF_OK)
			return rc;
		cf_info("stored in %s %s", cf_store_kind_name(s->stores[i].kind),
			s->stores[i].path);
		d->stores_written++;
	}
	if (s->iis.install) {
		rc = iis_apply(state, s, b->names, b->nnames, 0, &d->iis_plan,
			       &d->iis_backup, err);
		if (rc != CF_OK)
			return cf_err_wrap(err, "IIS install into %s", s->iis.config);
		if ((rc = write_netsh(state, s, d->iis_plan, &d->iis_netsh_script,
				      err)) != CF_OK)
			return cf_err_wrap(err, "the netsh script of --iis-migrate "
					   "(applicationHost.config was changed)");
		if ((rc = iis_verify(s, d, err)) != CF_OK)
			return cf_err_wrap(err, "checking IIS after install");
	}
	if (s->server.kind != CF_SERVER_NONE) {
		if (prev != NULL)
			current_bundle(prev, b->names, b->nnames, &pb);
		rc = cf_install_server(state, s, b->names, b->nnames, b->leaf_pem,
				       prev ? &pb : NULL, &d->server, err);
		if (rc != CF_OK)
			return cf_err_wrap(err, "--install %s",
					   cf_server_kind_name(s->server.kind));
	}
	return CF_OK;
}

/* ---- verify and repair ---- */

static void
current_free(struct current *c)
{
	if (c->key_pem != NULL)
		OPENSSL_clear_free(c->key_pem, c->key_len);
	free(c->cert_pem);
	free(c->chain_pem);
	free(c->fullchain_pem);
	memset(c, 0, sizeof(*c));
}

/* Read key, cert, chain and fullchain from paths[0..3]. */
static cf_rc
files_load(char *const paths[4], struct current *c, struct cf_err *err)
{
	char **slots[] = { &c->key_pem, &c->cert_pem, &c->chain_pem,
			   &c->fullchain_pem };
	size_t len = 0;
	cf_rc rc = CF_OK;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 4 && rc == CF_OK; i++) {
		rc = cf_file_read(paths[i], 1u << 20, slots[i], &len, err);
		if (i == 0 && rc == CF_OK)
			c->key_len = len;
	}
	if (rc != CF_OK)
		current_free(c);
	return rc;
}

static cf_rc
current_load(const struct cf_state *st, const char *name, struct current *c,
	     struct cf_err *err)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					     "chain.pem", "fullchain.pem" };
	char *paths[4] = { NULL };
	cf_rc rc = CF_OK;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 4 && rc == CF_OK; i++)
		rc = cf_state_cert_path(st, name, files[i], &paths[i], err);
	if (rc == CF_OK)
		rc = files_load(paths, c, err);
	for (size_t i = 0; i < 4; i++)
		free(paths[i]);
	if (rc != CF_OK) {
		current_free(c);
		return cf_err_wrap(err, "the current certificate of %s in the "
				   "state folder", name);
	}
	return CF_OK;
}

/* The verdict's detail: msg, cut to fit. */
static void
set_detail(struct cf_store_verdict *v, const char *msg)
{
	size_t n = strnlen(msg, sizeof(v->detail) - 1);

	memcpy(v->detail, msg, n);
	v->detail[n] = '\0';
}

/* A repair's outcome into the verdict and the report's counts. */
static void
repair_outcome(struct cf_verify_report *rep, struct cf_store_verdict *v,
	       cf_rc rc, const struct cf_err *serr)
{
	if (rc == CF_OK) {
		v->repaired = 1;
		rep->repaired++;
	} else {
		v->failed = 1;
		rep->failed++;
		set_detail(v, serr->msg);
	}
}

static cf_rc
verdict_add(struct cf_verify_report *rep, const char *kind, const char *path,
	    struct cf_store_verdict **out, struct cf_err *err)
{
	struct cf_store_verdict *nv;

	if ((nv = realloc(rep->v, (rep->n + 1) * sizeof(*nv))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rep->v = nv;
	*out = memset(&nv[rep->n], 0, sizeof(*nv));
	if (((*out)->path = strdup(path)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rep->n++;
	(*out)->kind = kind;
	return CF_OK;
}

/* Check one store; CF_OK with the verdict filled. */
static cf_rc
check_store(const struct cf_store_spec *st, const char *const *names, size_t n,
	    const struct current *c, struct cf_store_verdict *v,
	    struct cf_err *err)
{
	struct cf_store_status status;
	struct cf_err perr = { 0 };
	char *pw = NULL;
	cf_rc rc;

	memset(&status, 0, sizeof(status));
	if (st->kind == CF_STORE_PEM) {
		rc = cf_store_pem_check(st->path, c->cert_pem, &status, err);
	} else if (pfx_password(st, &pw, &perr) != CF_OK) {
		v->health = CF_STORE_BROKEN;
		set_detail(v, perr.msg);
		return CF_OK;
	} else {
		rc = st->kind == CF_STORE_PFX ?
			     cf_store_pfx_check(st->path, c->cert_pem, pw,
						&status, err) :
			     cf_store_ccs_check(st->path, names, n, c->cert_pem,
						pw, &status, err);
		OPENSSL_clear_free(pw, strlen(pw));
	}
	if (rc != CF_OK)
		return rc;
	v->health = (int)status.health;
	set_detail(v, status.detail);
	return CF_OK;
}

/* The IIS bindings of --install iis: planned ones missing?  Added when
 * repair is set. */
static cf_rc
verify_iis(const struct cf_state *st, const struct cf_cert_spec *s,
	   const char *const *names, size_t n, int repair,
	   struct cf_verify_report *rep, struct cf_err *err)
{
	struct cf_store_verdict *v;
	struct cf_iis_plan *plan = NULL;
	struct cf_err ierr = { 0 };
	cf_rc rc;

	if ((rc = verdict_add(rep, "iis", s->iis.config, &v, err)) != CF_OK)
		return rc;
	if (iis_apply(st, s, names, n, 1, &plan, NULL, &ierr) != CF_OK) {
		v->health = CF_STORE_BROKEN;
		v->failed = 1;
		set_detail(v, ierr.msg);
		rep->drifted++;
		rep->failed++;
		return CF_OK;
	}
	if (plan->nadd > 0 || plan->nmigrate > 0) {
		char *script = NULL;
		v->health = CF_STORE_MISSING;
		snprintf(v->detail, sizeof(v->detail), "%zu https binding%s of "
			 "site %s missing, %zu HTTP.sys binding%s to migrate to CCS",
			 plan->nadd, plan->nadd == 1 ? "" : "s", plan->site_name,
			 plan->nmigrate, plan->nmigrate == 1 ? "" : "s");
		rep->drifted++;
		if (repair) {
			cf_iis_plan_free(plan);
			plan = NULL;
			/* (migrated again, e.g. after win-acme put its binding
			 * back: the script is written again too) */
			if (iis_apply(st, s, names, n, 0, &plan, NULL, &ierr) ==
				    CF_OK &&
			    write_netsh(st, s, plan, &script, &ierr) == CF_OK) {
				v->repaired = 1;
				rep->repaired++;
				free(script);
			} else {
				v->failed = 1;
				rep->failed++;
				set_detail(v, ierr.msg);
			}
		}
	}
	cf_iis_plan_free(plan);
	return CF_OK;
}

/* Does the server serve the current certificate (a handshake to every
 * name)?  When not and repair is set: cf_install_server again (the PEM
 * folder was checked and repaired just before, so there is no other
 * certificate to roll back to: only the configuration is). */
static cf_rc
verify_server(const struct cf_state *st, const struct cf_cert_spec *s,
	      const char *const *names, size_t n, const char *leaf_pem,
	      int repair, struct cf_verify_report *rep, struct cf_err *err)
{
	struct cf_store_verdict *v;
	struct cf_server_result res;
	struct cf_err serr = { 0 };
	const char *what = s->server.conf ? s->server.conf :
			   "(its default configuration)";
	size_t bad = 0;
	cf_rc rc;

	if ((rc = verdict_add(rep, cf_server_kind_name(s->server.kind), what, &v,
			      err)) != CF_OK)
		return rc;
	if (cf_install_server_check(s, names, n, leaf_pem, &res, &serr) != CF_OK) {
		v->health = CF_STORE_BROKEN;
		set_detail(v, serr.msg);
	} else {
		for (size_t i = 0; i < res.nchecks; i++)
			if (!res.checks[i].v.served && bad++ == 0)
				snprintf(v->detail, sizeof(v->detail), "%s on %s "
					 "port %u: %.150s", res.checks[i].name,
					 res.checks[i].addr, res.checks[i].port,
					 res.checks[i].v.detail);
		if (bad > 0)
			v->health = CF_STORE_STALE;
		else if (res.problems != NULL) {
			v->health = CF_STORE_MISSING;
			set_detail(v, res.problems);
		} else {
			snprintf(v->detail, sizeof(v->detail), "serves it to %zu "
				 "name%s", res.nchecks, res.nchecks == 1 ? "" : "s");
		}
	}
	cf_server_result_free(&res);
	if (v->health == CF_STORE_HEALTHY)
		return CF_OK;
	rep->drifted++;
	if (!repair || v->health == CF_STORE_MISSING)
		return CF_OK; /* a missing TLS block needs the administrator */
	memset(&serr, 0, sizeof(serr));
	repair_outcome(rep, v, cf_install_server(st, s, names, n, leaf_pem,
						 NULL, &res, &serr), &serr);
	cf_server_result_free(&res);
	return CF_OK;
}

int
cf_deliver_unchanged(const struct cf_state *st, const struct cf_cert_spec *s,
		     const char *const *names, size_t n, const char *serial,
		     struct cf_verify_report *rep)
{
	struct cf_store_verdict *v;
	struct cf_err err = { 0 };

	memset(rep, 0, sizeof(*rep));
	if (s->iis.install || !cf_verified_same(st, s, names, n, serial))
		return 0;
	for (size_t i = 0; i < s->nstores; i++) {
		if (verdict_add(rep, cf_store_kind_name(s->stores[i].kind),
				s->stores[i].path, &v, &err) != CF_OK) {
			cf_verify_report_free(rep);
			return 0;
		}
		v->health = CF_STORE_HEALTHY;
		set_detail(v, "unchanged since it was last verified");
	}
	return 1;
}

cf_rc
cf_deliver_verify(const struct cf_state *st, const struct cf_cert_spec *s,
		  const char *const *names, size_t n, int repair,
		  struct cf_verify_report *rep, struct cf_err *err)
{
	return cf_deliver_verify_known(st, s, names, n, repair, NULL, rep, err);
}

cf_rc
cf_deliver_verify_known(const struct cf_state *st,
			const struct cf_cert_spec *s, const char *const *names,
			size_t n, int repair, const char *serial,
			struct cf_verify_report *rep, struct cf_err *err)
{
	struct current c;
	struct cf_cert_bundle b;
	struct cf_store_verdict *v;
	struct cf_err serr;
	cf_rc rc;

	memset(rep, 0, sizeof(*rep));
	if (cf_deliver_unchanged(st, s, names, n, serial, rep))
		return CF_OK;
	if ((rc = current_load(st, s->name, &c, err)) != CF_OK)
		return rc;
	current_bundle(&c, names, n, &b);
	for (size_t i = 0; i < s->nstores; i++) {
		const struct cf_store_spec *sp = &s->stores[i];
		if ((rc = verdict_add(rep, cf_store_kind_name(sp->kind), sp->path,
				      &v, err)) != CF_OK ||
		    (rc = check_store(sp, names, n, &c, v, err)) != CF_OK)
			goto out;
		if (v->health == CF_STORE_HEALTHY)
			continue;
		rep->drifted++;
		if (!repair)
			continue;
		memset(&serr, 0, sizeof(serr));
		repair_outcome(rep, v, deliver_store(sp, &b, &serr), &serr);
	}
	if (s->iis.install &&
	    (rc = verify_iis(st, s, names, n, repair, rep, err)) != CF_OK)
		goto out;
	if (s->server.kind != CF_SERVER_NONE)
		rc = verify_server(st, s, names, n, c.cert_pem, repair, rep, err);
out:
	current_free(&c);
	if (rc != CF_OK)
		cf_verify_report_free(rep);
	else if (serial != NULL)
		cf_verified_record(st, s, names, n, serial,
				   rep->failed == 0 && rep->drifted == rep->repaired);
	return rc;
}

void
cf_verify_report_free(struct cf_verify_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void
cf_delivery_free(struct cf_delivery *d)
{
	if (d == NULL)
		return;
	cf_iis_plan_free(d->iis_plan);
	cf_iis_check_report_free(d->iis_report);
	free(d->iis_backup);
	free(d->iis_netsh_script);
	cf_server_result_free(&d->server);
	memset(d, 0, sizeof(*d));
}
