/* deliver.c - from a spec to the order's names, and from an issued
 * certificate to every store and IIS binding the spec names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/log.h"
#include "engine/deliver.h"
#include "iis/appconfig.h"
#include "iis/check.h"
#include "iis/edit.h"
#include "install/store.h"

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

/* The PFX password: the spec's file, else CERTFERRY_PFX_PASSWORD, else "". */
static cf_rc
pfx_password(const struct cf_store_spec *st, char **out, struct cf_err *err)
{
	const char *env = getenv("CERTFERRY_PFX_PASSWORD");

	if (st->password_file != NULL) {
		if (cf_cli_read_secret_file(st->password_file, out, err) != CF_OK)
			return cf_err_wrap(err, "--pfx-password-file");
		return CF_OK;
	}
	if ((*out = strdup(env ? env : "")) == NULL)
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

cf_rc
cf_deliver(const struct cf_cert_spec *s, const struct cf_cert_bundle *b,
	   struct cf_delivery *d, struct cf_err *err)
{
	char *pw = NULL;
	cf_rc rc = CF_OK;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < s->nstores; i++) {
		const struct cf_store_spec *st = &s->stores[i];
		switch (st->kind) {
		case CF_STORE_PEM:
			rc = cf_store_pem_write(st->path, b, err);
			break;
		case CF_STORE_PFX:
		case CF_STORE_CCS:
			if ((rc = pfx_password(st, &pw, err)) != CF_OK)
				break;
			rc = st->kind == CF_STORE_PFX ?
				     cf_store_pfx_write(st->path, b, pw,
							st->pfx_format, err) :
				     cf_store_ccs_write(st->path, b, pw,
							st->pfx_format, err);
			OPENSSL_clear_free(pw, strlen(pw));
			pw = NULL;
			break;
		default:
			rc = cf_err_set(err, CF_ERR_INTERNAL, "unknown store");
		}
		if (rc != CF_OK)
			return cf_err_wrap(err, "%s store %s",
					   cf_store_kind_name(st->kind), st->path);
		cf_info("stored in %s %s", cf_store_kind_name(st->kind), st->path);
		d->stores_written++;
	}
	if (s->iis.install) {
		rc = cf_iis_apply(s->iis.config, s->iis.sites[0], b->names, b->nnames,
				  s->iis.https_port ? (unsigned)s->iis.https_port :
						      443u,
				  0, &d->iis_plan, &d->iis_backup, err);
		if (rc != CF_OK)
			return cf_err_wrap(err, "IIS install into %s", s->iis.config);
		if ((rc = iis_verify(s, d, err)) != CF_OK)
			return cf_err_wrap(err, "checking IIS after install");
	}
	return CF_OK;
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
