/* deliver.c - from a spec to the order's names, and from an issued
 * certificate to every store and IIS binding the spec names. */
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
#include "iis/appconfig.h"
#include "iis/ccs.h"
#include "iis/check.h"
#include "iis/edit.h"
#include "iis/netsh.h"
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

/* ---- the spec's IIS sites, by id ---- */

static const struct cf_iis_site *
site_by_id(const struct cf_iis_config *cfg, const char *id)
{
	char *end;
	unsigned long v = strtoul(id, &end, 10);

	if (*id == '\0' || *end != '\0')
		return NULL;
	for (size_t k = 0; k < cfg->nsites; k++)
		if (cfg->sites[k].id == v)
			return &cfg->sites[k];
	return NULL;
}

/* 1 when site has a binding of one of the comma-separated hosts. */
static int
site_has_host(const struct cf_iis_site *site, const char *hosts)
{
	char **h = NULL;
	size_t n = 0;
	int found = 0;

	if (hosts == NULL || *hosts == '\0' ||
	    cf_iis_site_hosts(site, NULL, &h, &n, NULL) != CF_OK)
		return 0;
	for (size_t i = 0; i < n && !found; i++) {
		const char *p = hosts;
		size_t l = strlen(h[i]);
		while ((p = strstr(p, h[i])) != NULL && !found) {
			found = (p == hosts || p[-1] == ',') &&
				(p[l] == ',' || p[l] == '\0');
			p += l;
		}
	}
	cf_iis_hosts_free(h, n);
	return found;
}

/* The error for a recorded site id that is gone: the sites with its name
 * or one of its hosts, and how to repair the definition. */
static cf_rc
site_gone(const struct cf_cert_spec *s, const struct cf_iis_config *cfg,
	  size_t i, struct cf_err *err)
{
	char cand[512] = "";
	size_t l = 0;

	for (size_t k = 0; k < cfg->nsites && l < sizeof(cand) - 64; k++) {
		const struct cf_iis_site *t = &cfg->sites[k];
		if (strcasecmp(t->name, s->iis.site_names[i]) != 0 &&
		    !(s->iis.site_hosts && site_has_host(t, s->iis.site_hosts[i])))
			continue;
		l += (size_t)snprintf(cand + l, sizeof(cand) - l, "%s'%s' (id %lu)",
				      l ? ", " : "", t->name, t->id);
	}
	return cf_err_set(err, CF_ERR_USAGE,
			  "IIS site id %s ('%s') is no longer in %s; %s%s: repair "
			  "the definition by running its 'certferry issue --name "
			  "%s ...' command again with --iis-site ID of the right "
			  "site (see 'certferry iis sites --config %s')",
			  s->iis.site_ids[i], s->iis.site_names[i], s->iis.config,
			  l ? "sites with its name or hosts: " :
			      "no site has its name or hosts",
			  cand, s->name, s->iis.config);
}

/* The sites of s in cfg: by recorded id first, else by the key given. */
static cf_rc
spec_sites(const struct cf_cert_spec *s, const struct cf_iis_config *cfg,
	   const struct cf_iis_site ***out, size_t *n, struct cf_err *err)
{
	const char **keys;
	cf_rc rc = CF_OK;

	*out = NULL;
	*n = 0;
	if ((keys = calloc(s->iis.nsites + 1, sizeof(*keys))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->iis.nsites && rc == CF_OK; i++) {
		const struct cf_iis_site *t;
		keys[i] = s->iis.sites[i];
		if (s->iis.site_ids == NULL || s->iis.site_ids[i][0] == '\0')
			continue;
		if ((t = site_by_id(cfg, s->iis.site_ids[i])) == NULL) {
			rc = site_gone(s, cfg, i, err);
			break;
		}
		/* A key cf_iis_site_find resolves to this very site. */
		keys[i] = t->name;
	}
	if (rc == CF_OK)
		rc = cf_iis_sites_select(cfg, keys, s->iis.nsites, out, n, err);
	free(keys);
	if (rc != CF_OK)
		return cf_err_wrap(err, "--iis-config %s", s->iis.config);
	return CF_OK;
}

/* Comma-separated hosts of site. */
static char *
hosts_joined(const struct cf_iis_site *site, const char *filter)
{
	char **h = NULL;
	size_t n = 0;
	struct cf_buf b;
	char *out = NULL;

	if (cf_iis_site_hosts(site, filter, &h, &n, NULL) != CF_OK)
		return NULL;
	cf_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < n; i++)
		if ((i && cf_buf_appends(&b, ",") != CF_OK) ||
		    cf_buf_appends(&b, h[i]) != CF_OK)
			goto out;
	out = cf_buf_steal(&b);
out:
	cf_buf_free(&b);
	cf_iis_hosts_free(h, n);
	return out;
}

/* Comma-separated hosts of the sites of "*" (every web site). */
static char *
all_hosts_joined(const struct cf_iis_config *cfg, const char *filter)
{
	const char *all = "*";
	const struct cf_iis_site **v = NULL;
	size_t n = 0;
	struct cf_buf b;
	char *out = NULL, *h;

	if (cf_iis_sites_select(cfg, &all, 1, &v, &n, NULL) != CF_OK)
		return NULL;
	cf_buf_init(&b, 4u << 20);
	for (size_t i = 0; i < n; i++) {
		if ((h = hosts_joined(v[i], filter)) == NULL)
			goto out;
		if (*h != '\0' && ((b.len && cf_buf_appends(&b, ",") != CF_OK) ||
				   cf_buf_appends(&b, h) != CF_OK)) {
			free(h);
			goto out;
		}
		free(h);
	}
	out = cf_buf_steal(&b);
out:
	cf_buf_free(&b);
	free(v);
	return out;
}

/* Fill site_ids/site_names/site_hosts of s from cfg: by the recorded id,
 * else by the key; "*" records "*" and the hosts of every site. */
static cf_rc
record_from(struct cf_cert_spec *s, const struct cf_iis_config *cfg,
	    struct cf_err *err)
{
	struct cf_iis_spec *is = &s->iis;

	if ((is->site_ids == NULL &&
	     (is->site_ids = calloc(is->nsites + 1, sizeof(char *))) == NULL) ||
	    (is->site_names == NULL &&
	     (is->site_names = calloc(is->nsites + 1, sizeof(char *))) == NULL) ||
	    (is->site_hosts == NULL &&
	     (is->site_hosts = calloc(is->nsites + 1, sizeof(char *))) == NULL))
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < is->nsites; i++) {
		const struct cf_iis_site *t = NULL;
		int all = strcmp(is->sites[i], "*") == 0;
		char *id, *name, *hosts;
		if (is->site_ids[i] != NULL && is->site_ids[i][0] != '\0')
			t = site_by_id(cfg, is->site_ids[i]);
		if (t == NULL && !all)
			t = cf_iis_site_find(cfg, is->sites[i]);
		if (t == NULL && !all)
			continue;   /* kept as recorded: reported when used */
		id = t ? cf_strfmt("%lu", t->id) : strdup("");
		name = strdup(t ? t->name : "*");
		hosts = t ? hosts_joined(t, is->host_filter) :
			    all_hosts_joined(cfg, is->host_filter);
		if (id == NULL || name == NULL || hosts == NULL) {
			free(id);
			free(name);
			free(hosts);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
		free(is->site_ids[i]);
		free(is->site_names[i]);
		free(is->site_hosts[i]);
		is->site_ids[i] = id;
		is->site_names[i] = name;
		is->site_hosts[i] = hosts;
	}
	for (size_t i = 0; i < is->nsites; i++)
		if ((is->site_ids[i] == NULL &&
		     (is->site_ids[i] = strdup("")) == NULL) ||
		    (is->site_names[i] == NULL &&
		     (is->site_names[i] = strdup(is->sites[i])) == NULL) ||
		    (is->site_hosts[i] == NULL &&
		     (is->site_hosts[i] = strdup("")) == NULL))
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_spec_iis_record(struct cf_cert_spec *s, struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	cf_rc rc;

	if (s->iis.config == NULL || s->iis.nsites == 0)
		return CF_OK;
	/* An unreadable file is the preflight's to report. */
	if (cf_iis_config_load(s->iis.config, NULL, 0, &cfg, NULL) != CF_OK)
		return CF_OK;
	rc = record_from(s, cfg, err);
	cf_iis_config_free(cfg);
	return rc;
}

cf_rc
cf_spec_iis_follow(struct cf_cert_spec *s, char **note, struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	struct cf_iis_spec *is = &s->iis;
	struct cf_buf b;
	cf_rc rc = CF_OK;

	*note = NULL;
	if (is->config == NULL || is->nsites == 0)
		return CF_OK;
	/* An unreadable file is for the steps that need it to report (a
	 * certificate that is not due may not). */
	if (cf_iis_config_load(is->config, NULL, 0, &cfg, NULL) != CF_OK)
		return CF_OK;
	cf_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < is->nsites && rc == CF_OK; i++) {
		const struct cf_iis_site *t;
		char *msg, *nn;
		if (is->site_ids == NULL || is->site_names == NULL ||
		    is->site_ids[i][0] == '\0')
			continue;
		if ((t = site_by_id(cfg, is->site_ids[i])) == NULL) {
			rc = site_gone(s, cfg, i, err);
			break;
		}
		if (strcmp(t->name, is->site_names[i]) == 0)
			continue;
		msg = cf_strfmt("%sIIS site id %lu was renamed from '%s' to '%s': "
				"following its id", b.len ? "; " : "", t->id,
				is->site_names[i], t->name);
		if (msg == NULL || cf_buf_appends(&b, msg) != CF_OK ||
		    (nn = strdup(t->name)) == NULL) {
			free(msg);
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			break;
		}
		free(msg);
		/* The key typed was the old name: keep the definition
		 * readable with the new one. */
		if (strcasecmp(is->sites[i], is->site_names[i]) == 0) {
			char *k = strdup(t->name);
			if (k != NULL) {
				free(is->sites[i]);
				is->sites[i] = k;
			}
		}
		free(is->site_names[i]);
		is->site_names[i] = nn;
	}
	if (rc == CF_OK && b.len > 0 && (*note = cf_buf_steal(&b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	/* the hosts each site covers today */
	if (rc == CF_OK)
		rc = record_from(s, cfg, err);
	cf_buf_free(&b);
	cf_iis_config_free(cfg);
	return rc;
}

cf_rc
cf_spec_resolve_names(const struct cf_cert_spec *s, char ***out, size_t *n,
		      struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	const struct cf_iis_site **sites = NULL;
	char **names, **hosts = NULL;
	size_t nhosts = 0, cap = s->nnames + 1, nsites = 0;
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
		if ((rc = spec_sites(s, cfg, &sites, &nsites, err)) != CF_OK)
			goto fail;
		for (size_t i = 0; i < nsites; i++) {
			const struct cf_iis_site *site = sites[i];
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
	free(sites);
	cf_iis_config_free(cfg);
	*out = names;
	return CF_OK;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
fail:
	free(sites);
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
	    (rc = spec_sites(s, cfg, &sites, &nsites, err)) != CF_OK)
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
	if (cf_install_server(st, s, names, n, leaf_pem, NULL, &res, &serr) ==
	    CF_OK) {
		v->repaired = 1;
		rep->repaired++;
	} else {
		v->failed = 1;
		rep->failed++;
		set_detail(v, serr.msg);
	}
	cf_server_result_free(&res);
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

	if (s->iis.install || s->server.kind != CF_SERVER_NONE)
		return NULL; /* bindings and servers: always checked in full */
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
		if (deliver_store(sp, &b, &serr) == CF_OK) {
			v->repaired = 1;
			rep->repaired++;
		} else {
			v->failed = 1;
			rep->failed++;
			set_detail(v, serr.msg);
		}
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
	free(d->iis_netsh_script);
	cf_server_result_free(&d->server);
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
	if (s->server.kind != CF_SERVER_NONE)
		served_line(&b, &rc, "%s (%s): the TLS server blocks of its names, "
			    "through the PEM folder",
			    cf_server_kind_name(s->server.kind), s->server.conf ?
			    s->server.conf : "its default configuration");
	for (size_t h = 0; h < s->hooks.ndeploy; h++)
		served_line(&b, &rc, "deploy hook (wherever it copied the "
			    "certificate): %s", s->hooks.deploy[h]);
	for (size_t i = 0; rc == CF_OK && s->iis.config != NULL &&
			   i < s->iis.nsites; i++) {
		const struct cf_iis_site *site =
			cf_iis_site_find(cfg, s->iis.site_ids && s->iis.site_ids[i][0] ?
					 s->iis.site_ids[i] : s->iis.sites[i]);
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

/* ---- CCS files claimed by two definitions ---- */

/* The CCS folder of s (realpath when it resolves), or NULL. */
static char *
ccs_dir(const struct cf_cert_spec *s)
{
	char real[PATH_MAX];

	for (size_t i = 0; i < s->nstores; i++)
		if (s->stores[i].kind == CF_STORE_CCS)
			return strdup(realpath(s->stores[i].path, real) ?
				      real : s->stores[i].path);
	return NULL;
}

/* 1 when host h is among b's -d names or its recorded site hosts. */
static int
claims(const struct cf_cert_spec *b, const char *h)
{
	size_t l = strlen(h);

	if (has(b->names, b->nnames, h))
		return 1;
	for (size_t i = 0; b->iis.site_hosts && i < b->iis.nsites; i++)
		for (const char *p = b->iis.site_hosts[i]; *p != '\0';) {
			size_t n = strcspn(p, ",");
			if (n == l && memcmp(p, h, l) == 0)
				return 1;
			p += n + (p[n] == ',');
		}
	return 0;
}

cf_rc
cf_spec_ccs_clash(const struct cf_cert_spec *a, const char *const *an,
		  size_t n, const struct cf_cert_spec *b, char **file,
		  struct cf_err *err)
{
	char *da = NULL, *db = NULL, *f = NULL;
	cf_rc rc = CF_OK;

	*file = NULL;
	if ((da = ccs_dir(a)) == NULL || (db = ccs_dir(b)) == NULL ||
	    strcmp(da, db) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!claims(b, an[i]))
			continue;
		if ((rc = cf_ccs_file_name(an[i], &f, err)) != CF_OK)
			goto out;
		if ((*file = cf_strfmt("%s/%s", da, f)) == NULL)
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
out:
	free(f);
	free(da);
	free(db);
	return rc;
}
