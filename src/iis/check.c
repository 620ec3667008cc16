/* check.c - see check.h */
#include "iis/check.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/pkcs12.h"
#include "iis/ccs.h"
#include "store/atomic.h"

#define PFX_MAX (1u << 20)

static const char *const status_names[] = {
	[CF_IIS_CHECK_OK] = "ok",
	[CF_IIS_CHECK_EXPIRING] = "expiring",
	[CF_IIS_CHECK_EXPIRED] = "expired",
	[CF_IIS_CHECK_MISSING] = "missing",
	[CF_IIS_CHECK_UNREADABLE] = "unreadable",
	[CF_IIS_CHECK_WRONG_NAME] = "wrong-name",
	[CF_IIS_CHECK_NO_HOST] = "no-host",
};

_Static_assert(sizeof(status_names) / sizeof(status_names[0]) ==
	       CF_IIS_CHECK_STATUS_COUNT, "one name per check status");

const char *
cf_iis_check_status_name(enum cf_iis_check_status s)
{
	if ((unsigned)s >= CF_IIS_CHECK_STATUS_COUNT)
		return "unknown";
	return status_names[s];
}

void
cf_iis_check_report_free(struct cf_iis_check_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nhosts; i++) {
		free(r->hosts[i].site_name);
		free(r->hosts[i].binding_information);
		free(r->hosts[i].host);
		free(r->hosts[i].pfx_file);
		free(r->hosts[i].detail);
	}
	for (i = 0; i < r->nunused; i++)
		free(r->unused_files[i]);
	free(r->unused_files);
	free(r->hosts);
	free(r);
}

static int
file_exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		return 0;
	if ((f = fopen(p, "rb")) == NULL)
		return 0;
	fclose(f);
	return 1;
}

/* Open one PFX and judge it for host. Fills h->status/detail/not_after. */
static void
judge(const char *dir, const char *password, int days, time_t now,
      struct cf_iis_check_host *h)
{
	char p[PATH_MAX], *data = NULL, msg[1200] = "";
	size_t len = 0;
	struct cf_err e;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct tm tm;
	char probe[600];
	const char *name = h->host;

	snprintf(p, sizeof(p), "%s/%s", dir, h->pfx_file);
	if (cf_file_read(p, PFX_MAX, &data, &len, &e) != CF_OK) {
		h->status = CF_IIS_CHECK_UNREADABLE;
		snprintf(msg, sizeof(msg), "%s", e.msg);
		goto out;
	}
	if (cf_pkcs12_parse((unsigned char *)data, len, password, &key, &cert,
	    NULL, &e) != CF_OK) {
		h->status = CF_IIS_CHECK_UNREADABLE;
		snprintf(msg, sizeof(msg), "%s", e.msg);
		goto out;
	}
	if (cert == NULL || key == NULL || X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		h->status = CF_IIS_CHECK_UNREADABLE;
		snprintf(msg, sizeof(msg), "the PFX lacks the certificate or "
			 "its matching private key");
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		h->not_after = timegm(&tm);
	/* a wildcard binding is served when a name below it is */
	if (strncmp(name, "*.", 2) == 0) {
		snprintf(probe, sizeof(probe), "certferry-probe%s", name + 1);
		name = probe;
	}
	if (X509_check_host(cert, name, 0, 0, NULL) != 1) {
		h->status = CF_IIS_CHECK_WRONG_NAME;
		snprintf(msg, sizeof(msg), "the certificate in %s does not "
			 "name %s", h->pfx_file, h->host);
		goto out;
	}
	if (h->not_after != 0 && h->not_after <= now) {
		h->status = CF_IIS_CHECK_EXPIRED;
		snprintf(msg, sizeof(msg), "expired");
	} else if (h->not_after != 0 &&
	    h->not_after - now < (time_t)days * 86400) {
		h->status = CF_IIS_CHECK_EXPIRING;
		snprintf(msg, sizeof(msg), "expires in %ld days",
			 (long)((h->not_after - now) / 86400));
	} else {
		h->status = CF_IIS_CHECK_OK;
	}
out:
	if (msg[0] != '\0')
		h->detail = strdup(msg);
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
}

static int
in_list(char **list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] != NULL && strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* IIS falls back to the wildcard file _.parent.pfx when HOST.pfx is
 * missing: h->pfx_file becomes that file when it exists. */
static void
wildcard_fallback(const char *ccs_dir, struct cf_iis_check_host *h)
{
	char wn[600], *wild = NULL;

	if (file_exists(ccs_dir, h->pfx_file) ||
	    strncmp(h->host, "*.", 2) == 0 || strchr(h->host, '.') == NULL)
		return;
	snprintf(wn, sizeof(wn), "*%s", strchr(h->host, '.'));
	if (cf_ccs_file_name(wn, &wild, NULL) == CF_OK &&
	    file_exists(ccs_dir, wild)) {
		free(h->pfx_file);
		h->pfx_file = wild;
		wild = NULL;
	}
	free(wild);
}

/* The report line h of the CCS binding b of site s. */
static cf_rc
check_binding(const struct cf_iis_site *s, const struct cf_iis_binding *b,
	      const char *ccs_dir, const char *password, int days, time_t now,
	      struct cf_iis_check_host *h, struct cf_err *err)
{
	h->ssl_flags = b->ssl_flags;
	if ((h->site_name = strdup(s->name)) == NULL ||
	    (h->binding_information = strdup(b->binding_information)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (b->info.host[0] == '\0') {
		h->status = CF_IIS_CHECK_NO_HOST;
		h->detail = strdup("a CCS binding needs a host name: IIS looks "
				   "up HOST.pfx");
		return CF_OK;
	}
	if (cf_iis_host_alabel(b->info.host, &h->host, NULL) != CF_OK ||
	    cf_ccs_file_name(h->host, &h->pfx_file, NULL) != CF_OK) {
		h->status = CF_IIS_CHECK_NO_HOST;
		h->detail = strdup("the host name is not valid");
		return CF_OK;
	}
	wildcard_fallback(ccs_dir, h);
	if (!file_exists(ccs_dir, h->pfx_file)) {
		h->status = CF_IIS_CHECK_MISSING;
		free(h->pfx_file);
		h->pfx_file = NULL;
		h->detail = strdup("no PFX file in the CCS folder");
		return CF_OK;
	}
	judge(ccs_dir, password, days, now, h);
	return CF_OK;
}

/* The .pfx files of the folder d that no binding uses. */
static cf_rc
find_unused(DIR *d, struct cf_iis_check_report *r, struct cf_err *err)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), i;
		int used = 0;
		char **nu;

		if (de->d_name[0] == '.' || l <= 4 ||
		    strcasecmp(de->d_name + l - 4, ".pfx") != 0)
			continue;
		for (i = 0; i < r->nhosts && !used; i++)
			used = r->hosts[i].pfx_file != NULL &&
			    strcmp(r->hosts[i].pfx_file, de->d_name) == 0;
		if (used || in_list(r->unused_files, r->nunused, de->d_name))
			continue;
		nu = realloc(r->unused_files, (r->nunused + 1) * sizeof(*nu));
		if (nu == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		r->unused_files = nu;
		if ((nu[r->nunused] = strdup(de->d_name)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		r->nunused++;
	}
	return CF_OK;
}

cf_rc
cf_iis_check(const struct cf_iis_config *c, const char *ccs_dir,
	     const char *password, int days, time_t now,
	     struct cf_iis_check_report **out, struct cf_err *err)
{
	struct cf_iis_check_report *r = NULL;
	DIR *d = NULL;
	size_t i, j, cap = 0;
	cf_rc rc = CF_OK;

	*out = NULL;
	if (now == 0)
		now = time(NULL);
	if ((d = opendir(ccs_dir)) == NULL)
		return cf_err_set(err, CF_ERR_IO, "cannot read the CCS folder "
				  "%s: %s", ccs_dir, strerror(errno));
	for (i = 0; i < c->nsites; i++)
		cap += c->sites[i].nbindings;
	if ((r = calloc(1, sizeof(*r))) == NULL || (cap > 0 &&
	    (r->hosts = calloc(cap, sizeof(*r->hosts))) == NULL)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c->nsites; i++) {
		const struct cf_iis_site *s = &c->sites[i];
		for (j = 0; j < s->nbindings; j++) {
			const struct cf_iis_binding *b = &s->bindings[j];
			if (!b->has_info || strcasecmp(b->protocol, "https") != 0 ||
			    !(b->ssl_flags & CF_IIS_SSL_CCS))
				continue;
			if ((rc = check_binding(s, b, ccs_dir, password, days,
			    now, &r->hosts[r->nhosts++], err)) != CF_OK)
				goto out;
		}
	}
	for (i = 0; i < r->nhosts; i++)
		if (r->hosts[i].status != CF_IIS_CHECK_OK)
			r->problem = 1;
	if ((rc = find_unused(d, r, err)) != CF_OK)
		goto out;
	*out = r;
	r = NULL;
out:
	if (d != NULL)
		closedir(d);
	cf_iis_check_report_free(r);
	return rc;
}
