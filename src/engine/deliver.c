/* deliver.c - from a spec to the order's names, and from an issued
 * certificate to every store and IIS binding the spec names. */
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
#include "iis/appconfig.h"
#include "iis/ccs.h"
#include "iis/check.h"
#include "iis/edit.h"
#include "install/store.h"
#include "store/atomic.h"
#include "store/paths.h"

static int
has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

cf_rc
cf_spec_resolve_names(const struct cf_cert_spec *s, char ***out, size_t *n,
		      struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	char **names, **hosts = NULL;
	size_t nhosts = 0, cap = s->nnames + 1;
	cf_rc rc = CF_OK;

	*out = NULL;
	*n = 0;
	if ((names = calloc(cap, sizeof(char *))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->nnames; i++)
		if ((names[(*n)++] = strdup(s->names[i])) == NULL)
			goto nomem;
	if (s->iis.config != NULL) {
		if ((rc = cf_iis_config_load(s->iis.config, NULL, 0, &cfg, err)) !=
		    CF_OK) {
			cf_err_wrap(err, "--iis-config");
			goto fail;
		}
		for (size_t i = 0; i < s->iis.nsites; i++) {
			const struct cf_iis_site *site =
				cf_iis_site_find(cfg, s->iis.sites[i]);
			if (site == NULL) {
				rc = cf_err_set(err, CF_ERR_USAGE,
						"IIS site '%s' is not in %s: see "
						"'certferry iis sites --config %s'",
						s->iis.sites[i], s->iis.config,
						s->iis.config);
				goto fail;
			}
			if ((rc = cf_iis_site_hosts(site, s->iis.host_filter, &hosts,
						    &nhosts, err)) != CF_OK)
				goto fail;
			for (size_t h = 0; h < nhosts; h++) {
				char **nn;
				if (has(names, *n, hosts[h]))
					continue;
				if (*n + 1 >= cap) {
					cap *= 2;
					if ((nn = realloc(names, cap * sizeof(*nn))) ==
					    NULL)
						goto nomem;
					names = nn;
				}
				if ((names[(*n)++] = strdup(hosts[h])) == NULL)
					goto nomem;
			}
			cf_iis_hosts_free(hosts, nhosts);
			hosts = NULL;
		}
	}
	if (*n == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"no names to order: give -d NAME, or an IIS site "
				"whose bindings have host names");
		goto fail;
	}
	cf_iis_config_free(cfg);
	*out = names;
	return CF_OK;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
fail:
	cf_iis_hosts_free(hosts, nhosts);
	cf_iis_config_free(cfg);
	for (size_t i = 0; i < *n; i++)
		free(names[i]);
	free(names);
	*n = 0;
	return rc;
}

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

/* cf_iis_apply for the spec's site, under the state folder's lock of that
 * applicationHost.config (state NULL: no lock). */
static cf_rc
iis_apply(const struct cf_state *state, const struct cf_cert_spec *s,
	  const char *const *names, size_t n, int dry_run,
	  struct cf_iis_plan **plan, char **backup, struct cf_err *err)
{
	char *lock = NULL;
	cf_rc rc;

	if (state != NULL && !dry_run &&
	    (rc = cf_state_iis_lock_path(state, s->iis.config, &lock, err)) !=
		    CF_OK)
		return rc;
	rc = cf_iis_apply(s->iis.config, lock, s->iis.sites[0], names, n,
			  https_port(s), dry_run, plan, backup, err);
	free(lock);
	return rc;
}

cf_rc
cf_deliver(const struct cf_state *state, const struct cf_cert_spec *s,
	   const struct cf_cert_bundle *b, struct cf_delivery *d,
	   struct cf_err *err)
{
	cf_rc rc;

	memset(d, 0, sizeof(*d));
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
		if ((rc = iis_verify(s, d, err)) != CF_OK)
			return cf_err_wrap(err, "checking IIS after install");
	}
	return CF_OK;
}

/* ---- verify and repair ---- */

/* The current certificate of a name, read from the state folder. */
struct current {
	char *key_pem;               /* secret */
	size_t key_len;
	char *cert_pem, *chain_pem, *fullchain_pem;
};

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

static cf_rc
current_load(const struct cf_state *st, const char *name, struct current *c,
	     struct cf_err *err)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					     "chain.pem", "fullchain.pem" };
	char **slots[] = { &c->key_pem, &c->cert_pem, &c->chain_pem,
			   &c->fullchain_pem };
	char *path = NULL;
	size_t len;
	cf_rc rc = CF_OK;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 4 && rc == CF_OK; i++) {
		if ((rc = cf_state_cert_path(st, name, files[i], &path, err)) ==
		    CF_OK)
			rc = cf_file_read(path, 1u << 20, slots[i], &len, err);
		if (i == 0)
			c->key_len = len;
		free(path);
		path = NULL;
	}
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
	if (plan->nadd > 0) {
		v->health = CF_STORE_MISSING;
		snprintf(v->detail, sizeof(v->detail), "%zu https binding%s of "
			 "site %s missing", plan->nadd, plan->nadd == 1 ? "" : "s",
			 plan->site_name);
		rep->drifted++;
		if (repair) {
			cf_iis_plan_free(plan);
			plan = NULL;
			if (iis_apply(st, s, names, n, 0, &plan, NULL, &ierr) ==
			    CF_OK) {
				v->repaired = 1;
				rep->repaired++;
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

/* ---- the fast path: nothing changed since the last full check ----
 *
 * After a full check that found (or left, by repairing) every store
 * healthy, STATE/verified/<name> records the current certificate's serial
 * and the identity of every store file that check read: device, inode,
 * size, modification and change times (nanoseconds) of a PEM folder's
 * four files and the links to them, a PFX and its password file, every
 * CCS file.  The next verification compares them
 * with stat(2) only; the full check (reading, parsing, opening every PFX)
 * runs again as soon as one differs.  The change time cannot be set by
 * anybody but the kernel, which moves it on every write, rename, chmod or
 * chown: a store file edited or replaced is always seen.  What is not
 * seen is a change below the file system (a raw block device write).
 * IIS bindings (--install iis) are always checked in full. */

#define VERIFIED_MAX (256u * 1024u)

/* Append "dev ino size mtime ctime path" of path (following links) and,
 * when it is a link, of the link itself.  -1: it cannot be stat'ed. */
static int
fp_file(struct cf_buf *b, const char *path)
{
	struct stat sb, lsb;
	char line[128];

	if (lstat(path, &lsb) != 0)
		return -1;
	if (!S_ISLNK(lsb.st_mode))
		sb = lsb;
	else if (stat(path, &sb) != 0)
		return -1;
	snprintf(line, sizeof(line), "%ju %ju %jd %jd.%09ld %jd.%09ld ",
		 (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino,
		 (intmax_t)sb.st_size, (intmax_t)sb.st_mtim.tv_sec,
		 sb.st_mtim.tv_nsec, (intmax_t)sb.st_ctim.tv_sec,
		 sb.st_ctim.tv_nsec);
	if (cf_buf_appends(b, line) != CF_OK || cf_buf_appends(b, path) != CF_OK ||
	    cf_buf_appends(b, "\n") != CF_OK)
		return -1;
	if (S_ISLNK(lsb.st_mode)) {
		snprintf(line, sizeof(line), "link %ju %ju %jd.%09ld ",
			 (uintmax_t)lsb.st_dev, (uintmax_t)lsb.st_ino,
			 (intmax_t)lsb.st_ctim.tv_sec, lsb.st_ctim.tv_nsec);
		if (cf_buf_appends(b, line) != CF_OK ||
		    cf_buf_appends(b, path) != CF_OK ||
		    cf_buf_appends(b, "\n") != CF_OK)
			return -1;
	}
	return 0;
}

static int
fp_in(struct cf_buf *b, const char *dir, const char *file)
{
	char *path = cf_strfmt("%s/%s", dir, file);
	int r = path != NULL ? fp_file(b, path) : -1;

	free(path);
	return r;
}

/* The fingerprint of every store file a full check of s reads, after
 * the current certificate's serial, or NULL when there is none (a file
 * missing, IIS, out of memory).  The state folder's own files are not in
 * it: a generation folder is never written again once certs/<name>
 * points to it, and a new certificate has a new serial. */
static char *
fingerprint(const struct cf_cert_spec *s,
	    const char *const *names, size_t n, const char *serial)
{
	static const char *const pem[] = { "privkey.pem", "cert.pem",
					   "chain.pem", "fullchain.pem" };
	struct cf_buf b;
	struct cf_err err = { 0 };
	int bad = 0;

	if (s->iis.install)
		return NULL;
	cf_buf_init(&b, VERIFIED_MAX);
	if (cf_buf_appends(&b, "serial ") != CF_OK ||
	    cf_buf_appends(&b, serial) != CF_OK ||
	    cf_buf_appends(&b, "\n") != CF_OK)
		bad = 1;
	for (size_t i = 0; i < s->nstores && !bad; i++) {
		const struct cf_store_spec *sp = &s->stores[i];
		bad = cf_buf_appends(&b, cf_store_kind_name(sp->kind)) != CF_OK ||
		      cf_buf_appends(&b, "\n") != CF_OK;
		if (!bad && sp->password_file != NULL)
			bad = fp_file(&b, sp->password_file) != 0;
		if (sp->kind == CF_STORE_PEM) {
			for (size_t k = 0; k < 4 && !bad; k++)
				bad = fp_in(&b, sp->path, pem[k]) != 0;
		} else if (sp->kind == CF_STORE_PFX) {
			bad = bad || fp_file(&b, sp->path) != 0;
		} else {
			for (size_t k = 0; k < n && !bad; k++) {
				char *f = NULL;
				bad = cf_ccs_file_name(names[k], &f, &err) != CF_OK ||
				      fp_in(&b, sp->path, f) != 0;
				free(f);
			}
		}
	}
	if (bad) {
		cf_buf_free(&b);
		return NULL;
	}
	return cf_buf_steal(&b);
}

/* STATE/verified/<name>; with mkdir, the folder is made (0700). */
static char *
verified_path(const struct cf_state *st, const char *name, int mkdir)
{
	struct cf_err err = { 0 };
	char *dir = NULL, *p = NULL;

	if (cf_state_check_name(name, &err) != CF_OK ||
	    (dir = cf_strfmt("%s/verified", st->root)) == NULL ||
	    (mkdir && cf_state_mkdir(st, dir, &err) != CF_OK)) {
		free(dir);
		return NULL;
	}
	p = cf_strfmt("%s/%s", dir, name);
	free(dir);
	return p;
}

int
cf_deliver_unchanged(const struct cf_state *st, const struct cf_cert_spec *s,
		     const char *const *names, size_t n, const char *serial,
		     struct cf_verify_report *rep)
{
	struct cf_store_verdict *v;
	struct cf_err err = { 0 };
	char *path = NULL, *rec = NULL, *now = NULL;
	size_t len = 0;
	int same = 0;

	memset(rep, 0, sizeof(*rep));
	if (serial == NULL || s->iis.install ||
	    (path = verified_path(st, s->name, 0)) == NULL ||
	    cf_file_read(path, VERIFIED_MAX, &rec, &len, &err) != CF_OK ||
	    (now = fingerprint(s, names, n, serial)) == NULL ||
	    strcmp(rec, now) != 0)
		goto out;
	for (size_t i = 0; i < s->nstores; i++) {
		if (verdict_add(rep, cf_store_kind_name(s->stores[i].kind),
				s->stores[i].path, &v, &err) != CF_OK) {
			cf_verify_report_free(rep);
			goto out;
		}
		v->health = CF_STORE_HEALTHY;
		set_detail(v, "unchanged since it was last verified");
	}
	same = 1;
out:
	free(path);
	free(rec);
	free(now);
	return same;
}

/* Record what a full check found healthy, or forget the record (ok 0).
 * Failures only log: the next run then checks in full again. */
static void
verified_record(const struct cf_state *st, const struct cf_cert_spec *s,
		const char *const *names, size_t n, const char *serial, int ok)
{
	struct cf_err err = { 0 };
	char *path = verified_path(st, s->name, ok), *fp = NULL;

	if (path == NULL)
		goto out;
	if (ok && (fp = fingerprint(s, names, n, serial)) != NULL) {
		if (cf_file_write_atomic(path, fp, strlen(fp), 0600, &err) !=
		    CF_OK)
			cf_debug("%s: %s", s->name, err.msg);
	} else {
		(void)unlink(path);
	}
out:
	free(path);
	free(fp);
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
	memset(&b, 0, sizeof(b));
	b.key_pem = c.key_pem;
	b.leaf_pem = c.cert_pem;
	b.chain_pem = c.chain_pem;
	b.fullchain_pem = c.fullchain_pem;
	b.names = names;
	b.nnames = n;
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
		if (deliver_store(sp, &b, &serr) == CF_OK) {
			v->repaired = 1;
			rep->repaired++;
		} else {
			v->failed = 1;
			rep->failed++;
			set_detail(v, serr.msg);
		}
	}
	if (s->iis.install)
		rc = verify_iis(st, s, names, n, repair, rep, err);
out:
	current_free(&c);
	if (rc != CF_OK)
		cf_verify_report_free(rep);
	else if (serial != NULL)
		verified_record(st, s, names, n, serial,
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
	memset(d, 0, sizeof(*d));
}

/* Append one line (printf-style) to b; remembers a failure in *rc. */
static void
served_line(struct cf_buf *b, cf_rc *rc, const char *fmt, ...)
	CF_PRINTF(3, 4);

static void
served_line(struct cf_buf *b, cf_rc *rc, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (*rc == CF_OK)
		*rc = cf_buf_appends(b, line);
}

/* The https bindings of site whose host the certificate of s carries. */
static cf_rc
served_bindings(const struct cf_cert_spec *s, const struct cf_iis_site *site,
		struct cf_buf *b, struct cf_err *err)
{
	char **hosts = NULL, *a = NULL, flags[128];
	size_t nhosts = 0;
	cf_rc rc, brc = CF_OK;

	if ((rc = cf_iis_site_hosts(site, s->iis.host_filter, &hosts, &nhosts,
				    err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < site->nbindings; i++) {
		const struct cf_iis_binding *bd = &site->bindings[i];
		if (bd->protocol == NULL || strcasecmp(bd->protocol, "https") != 0 ||
		    !bd->has_info || bd->info.host[0] == '\0')
			continue;
		free(a);
		a = NULL;
		if (cf_iis_host_alabel(bd->info.host, &a, err) != CF_OK)
			continue; /* not a name a certificate can carry */
		if (!has(hosts, nhosts, a) && !has(s->names, s->nnames, a))
			continue;
		served_line(b, &brc, "IIS site '%s' (%s): https binding %s "
			    "(sslFlags %s)", site->name, s->iis.config,
			    bd->binding_information,
			    cf_iis_ssl_flags_describe(bd->ssl_flags, flags,
						      sizeof(flags)));
	}
	free(a);
	cf_iis_hosts_free(hosts, nhosts);
	if (brc != CF_OK)
		return cf_err_set(err, brc, "out of memory");
	return CF_OK;
}

cf_rc
cf_spec_served_by(const struct cf_cert_spec *s, const char *certs_dir,
		  const struct cf_iis_config *cfg, char **text,
		  struct cf_err *err)
{
	struct cf_buf b;
	cf_rc rc = CF_OK;

	*text = NULL;
	cf_buf_init(&b, 256 * 1024);
	if (certs_dir != NULL)
		served_line(&b, &rc, "state folder: %s", certs_dir);
	for (size_t i = 0; i < s->nstores; i++) {
		const struct cf_store_spec *st = &s->stores[i];
		switch (st->kind) {
		case CF_STORE_PEM:
			served_line(&b, &rc, "PEM folder: %s", st->path);
			break;
		case CF_STORE_PFX:
			served_line(&b, &rc, "PFX file: %s", st->path);
			break;
		case CF_STORE_CCS:
			served_line(&b, &rc, "IIS Centralized Certificate Store: "
				    "%s (one PFX per host name)", st->path);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; rc == CF_OK && s->iis.config != NULL &&
			   i < s->iis.nsites; i++) {
		const struct cf_iis_site *site =
			cf_iis_site_find(cfg, s->iis.sites[i]);
		if (site == NULL)
			served_line(&b, &rc, "IIS site '%s' (%s): its https "
				    "bindings", s->iis.sites[i], s->iis.config);
		else if ((rc = served_bindings(s, site, &b, err)) != CF_OK)
			goto out;
	}
	if (rc != CF_OK) {
		rc = cf_err_set(err, rc, "out of memory");
		goto out;
	}
	if ((*text = cf_buf_steal(&b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	cf_buf_free(&b);
	return rc;
}
