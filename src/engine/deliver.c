/* deliver.c - from a spec to the order's names, and from an issued
 * certificate to every store and IIS binding the spec names. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
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

	if (st->password_file != NULL &&
	    cf_cli_read_secret_file(st->password_file, out, err) != CF_OK)
		return cf_err_wrap(err, "--pfx-password-file");
	if (st->password_file != NULL)
		return CF_OK;
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
