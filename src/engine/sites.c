/* sites.c - a spec's IIS sites and names: which sites (by recorded id),
 * the names to order, following renamed sites; where a certificate of
 * the spec is served from; CCS files two specs claim.  See deliver.h. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "engine/deliver.h"
#include "iis/appconfig.h"
#include "iis/ccs.h"

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
cf_rc
cf_spec_iis_sites(const struct cf_cert_spec *s, const struct cf_iis_config *cfg,
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
		if ((rc = cf_spec_iis_sites(s, cfg, &sites, &nsites, err)) != CF_OK)
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
