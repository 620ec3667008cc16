/* renewal_info.c - ACME Renewal Information (RFC 9773) and requests signed
 * with another key than the account's (revocation by the certificate key).
 * See acme.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/internal.h"
#include "acme/retry.h"
#include "core/buf.h"
#include "core/time.h"
#include "http/headers.h"

void
cf_acme_ari_free(struct cf_acme_ari *ari)
{
	if (ari == NULL)
		return;
	free(ari->explanation_url);
	memset(ari, 0, sizeof(*ari));
}

cf_rc
acme_ari_url(const char *base, const char *cert_id, char **url,
	     struct cf_err *err)
{
	size_t blen;

	*url = NULL;
	if (base == NULL || *base == '\0')
		return cf_err_set(err, CF_ERR_NOTFOUND,
				  "the CA offers no renewal information (its "
				  "directory's renewalInfo URL is empty)");
	if (cert_id == NULL || *cert_id == '\0' || strchr(cert_id, '/') != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "bad ARI CertID");
	/* RFC 9773 §4.1: the CertID is appended as a path segment. */
	blen = strlen(base);
	if ((*url = cf_strfmt("%s%s%s", base, base[blen - 1] == '/' ? "" : "/",
			      cert_id)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
acme_ari_load(json_t *obj, struct cf_acme_ari *out, struct cf_err *err)
{
	json_t *win = json_object_get(obj, "suggestedWindow");
	const char *s = json_string_value(json_object_get(win, "start"));
	const char *e = json_string_value(json_object_get(win, "end"));
	const char *x;

	if (s == NULL || e == NULL || cf_rfc3339_parse(s, &out->start) != CF_OK ||
	    cf_rfc3339_parse(e, &out->end) != CF_OK || out->end < out->start)
		return cf_err_set(err, CF_ERR_PROTO,
				  "renewalInfo: no usable suggestedWindow");
	if ((x = json_string_value(json_object_get(obj, "explanationURL"))) !=
		    NULL &&
	    (out->explanation_url = strdup(x)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_acme_renewal_info(struct cf_acme *a, const char *cert_id,
		     struct cf_acme_ari *out, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_http_resp resp;
	struct acme_req rq = { 0 };
	json_t *obj = NULL;
	char *url = NULL;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	out->retry_after_s = -1;
	memset(&resp, 0, sizeof(resp));
	if ((rc = cf_acme_get_directory(a, &dir, err)) != CF_OK)
		return rc;
	if (dir->renewal_info == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND,
				  "the CA offers no renewal information");
	if ((rc = acme_ari_url(dir->renewal_info, cert_id, &url, err)) != CF_OK)
		return rc;
	rq.method = "GET";
	rq.url = url;
	rq.cap = CF_HTTP_CAP_JSON;
	rq.ep = CF_EP_OTHER;
	rq.optional = 1;
	if ((rc = acme_request(a, &rq, &resp, err)) != CF_OK) {
		cf_err_wrap(err, "renewalInfo");
		goto out;
	}
	out->retry_after_s = cf_retry_after_s(resp.retry_after, time(NULL));
	if ((rc = acme_json_body(&resp, "renewalInfo", &obj, err)) != CF_OK)
		goto out;
	rc = acme_ari_load(obj, out, err);
out:
	json_decref(obj);
	cf_http_resp_free(&resp);
	free(url);
	return rc;
}
