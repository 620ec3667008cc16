/* account_mgmt.c - managing the ACME account and revoking certificates:
 * contact update, key rollover (RFC 8555 §7.3.5), deactivation (§7.3.6),
 * revocation (§7.6).  Keys stay here; src/acme gets signing callbacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/log.h"
#include "crypto/b64.h"
#include "crypto/jws.h"
#include "crypto/x509.h"
#include "engine/engine.h"
#include "store/atomic.h"

#define ACCOUNT_JSON_MAX (64 * 1024)

/* Read-modify-write account.json: set key to value (taken). */
static cf_rc
account_json_set(struct cf_engine *e, const char *key, json_t *value,
		 struct cf_err *err)
{
	char *path = cf_strfmt("%s/%s", e->account_dir, "account.json"), *text = NULL;
	json_t *j = NULL;
	cf_rc rc;

	if (path == NULL) {
		json_decref(value);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if ((rc = cf_file_read(path, ACCOUNT_JSON_MAX, &text, NULL, err)) != CF_OK)
		goto out;
	if ((j = json_loads(text, 0, NULL)) == NULL) {
		rc = cf_err_set(err, CF_ERR_IO, "%s is damaged", path);
		goto out;
	}
	free(text);
	text = NULL;
	json_object_set(j, key, value);
	rc = cf_file_write_json(path, j, 0600, err);
out:
	json_decref(value);
	json_decref(j);
	free(text);
	free(path);
	return rc;
}

cf_rc
cf_engine_account_update(struct cf_engine *e, const char *const *emails,
			 size_t n, struct cf_err *err)
{
	json_t *contacts = json_array(), *payload;
	cf_rc rc;

	if (e->account_url == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
	for (size_t i = 0; contacts && i < n; i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), "mailto:%s", emails[i]);
		json_array_append_new(contacts, json_string(buf));
	}
	if (contacts == NULL ||
	    (payload = json_pack("{s:O}", "contact", contacts)) == NULL) {
		json_decref(contacts);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	rc = cf_acme_post_json(e->acme, e->account_url, payload, NULL, err);
	json_decref(payload);
	if (rc != CF_OK) {
		json_decref(contacts);
		return cf_err_wrap(err, "account update");
	}
	return account_json_set(e, "contact", contacts, err);
}

cf_rc
cf_engine_account_deactivate(struct cf_engine *e, struct cf_err *err)
{
	json_t *payload;
	cf_rc rc;

	if (e->account_url == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
	if ((payload = json_pack("{s:s}", "status", "deactivated")) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = cf_acme_post_json(e->acme, e->account_url, payload, NULL, err);
	json_decref(payload);
	if (rc != CF_OK)
		return cf_err_wrap(err, "account deactivation");
	return account_json_set(e, "status", json_string("deactivated"), err);
}

cf_rc
cf_engine_account_rollover(struct cf_engine *e, enum cf_key_type type,
			   struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	EVP_PKEY *nk = NULL;
	char *newpath = NULL, *keypath = NULL, *pem = NULL, *inner = NULL,
	     *ptext = NULL, *thumb = NULL;
	size_t plen = 0;
	json_t *oldjwk = NULL, *payload = NULL, *innerj = NULL;
	int written = 0;
	cf_rc rc;

	if (e->account_url == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
	if ((rc = cf_acme_get_directory(e->acme, &dir, err)) != CF_OK)
		return rc;
	if (dir->key_change == NULL)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's directory has no keyChange");
	newpath = cf_strfmt("%s/%s", e->account_dir, "account.key.new");
	keypath = cf_strfmt("%s/%s", e->account_dir, "account.key");
	if (newpath == NULL || keypath == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The new key is on disk (0600) before the CA hears of it, so a crash
	 * right after the CA's answer does not lose it. */
	if ((rc = cf_key_generate(type, &nk, err)) != CF_OK ||
	    (rc = cf_key_to_pem(nk, &pem, &plen, err)) != CF_OK ||
	    (rc = cf_file_write_atomic(newpath, pem, plen, 0600, err)) != CF_OK)
		goto out;
	written = 1;
	if ((rc = cf_jwk_public(e->account_key, &oldjwk, err)) != CF_OK ||
	    (rc = cf_jwk_thumbprint(nk, &thumb, err)) != CF_OK)
		goto out;
	payload = json_pack("{s:s,s:O}", "account", e->account_url, "oldKey",
			    oldjwk);
	if (payload == NULL ||
	    (ptext = json_dumps(payload, JSON_COMPACT)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Inner JWS: signed by the NEW key, its JWK embedded, no nonce. */
	if ((rc = cf_jws_sign(nk, dir->key_change, NULL, NULL, ptext, &inner,
			      err)) != CF_OK)
		goto out;
	if ((innerj = json_loads(inner, 0, NULL)) == NULL) {
		rc = cf_err_set(err, CF_ERR_INTERNAL, "inner JWS is not JSON");
		goto out;
	}
	/* Outer JWS: signed by the old key (kid), as every request. */
	if ((rc = cf_acme_post_json(e->acme, dir->key_change, innerj, NULL,
				    err)) != CF_OK) {
		cf_err_wrap(err, "key change");
		goto out;
	}
	/* Accepted: the new key becomes the account key, atomically. */
	if (rename(newpath, keypath) != 0) {
		rc = cf_err_set(err, CF_ERR_IO,
				"the CA accepted the new key but renaming %s to %s "
				"failed (%s): rename it by hand", newpath, keypath,
				strerror(errno));
		written = 0;  /* keep it: it is the only working key now */
		goto out;
	}
	written = 0;
	if (cf_fsync_parent(keypath, err) != CF_OK)
		cf_warn("%s", err->msg);
	cf_err_clear(err);
	EVP_PKEY_free(e->account_key);
	e->account_key = nk;
	nk = NULL;
	e->account_key_type = type;
	free(e->thumbprint);
	e->thumbprint = thumb;
	thumb = NULL;
	rc = account_json_set(e, "key_type", json_string(cf_key_type_name(type)),
			      err);
out:
	if (written)
		(void)unlink(newpath);
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	EVP_PKEY_free(nk);
	json_decref(oldjwk);
	json_decref(payload);
	json_decref(innerj);
	free(inner);
	free(ptext);
	free(thumb);
	free(newpath);
	free(keypath);
	return rc;
}

/* The signer over a certificate's own key (revocation with keyCompromise). */
static cf_rc
certkey_sign(void *ctx, const char *url, const char *nonce, const char *kid,
	     const char *payload, char **jws, struct cf_err *err)
{
	return cf_jws_sign(ctx, url, nonce, NULL, payload, jws, err);
}

cf_rc
cf_engine_revoke(struct cf_engine *e, const char *name, int reason,
		 int with_cert_key, char **serial, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	struct cf_acme_signer ks;
	struct cf_cert_info ci;
	char *cpath = NULL, *kpath = NULL, *cpem = NULL, *kpem = NULL, *b64 = NULL;
	size_t clen = 0, klen = 0;
	STACK_OF(X509) *certs = NULL;
	unsigned char *der = NULL;
	int dlen;
	EVP_PKEY *ck = NULL;
	json_t *payload = NULL;
	cf_rc rc;

	*serial = NULL;
	memset(&ci, 0, sizeof(ci));
	if (e->account_url == NULL && !with_cert_key)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
	if ((rc = cf_acme_get_directory(e->acme, &dir, err)) != CF_OK)
		return rc;
	if ((rc = cf_state_cert_path(e->state, name, "cert.pem", &cpath, err)) !=
		    CF_OK ||
	    (rc = cf_file_read(cpath, 1024 * 1024, &cpem, &clen, err)) != CF_OK ||
	    (rc = cf_pem_read_certs(cpem, clen, &certs, err)) != CF_OK ||
	    (rc = cf_cert_info_from_pem(cpem, clen, &ci, err)) != CF_OK)
		goto out;
	if ((dlen = i2d_X509(sk_X509_value(certs, 0), &der)) <= 0) {
		rc = cf_err_openssl(err, "encoding the certificate");
		goto out;
	}
	if ((b64 = cf_b64url_encode(der, (size_t)dlen)) == NULL ||
	    (payload = json_pack("{s:s,s:i}", "certificate", b64, "reason",
				 reason)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (with_cert_key) {
		if ((rc = cf_state_cert_path(e->state, name, "privkey.pem", &kpath,
					     err)) != CF_OK ||
		    (rc = cf_file_read(kpath, 64 * 1024, &kpem, &klen, err)) !=
			    CF_OK ||
		    (rc = cf_key_from_pem(kpem, klen, &ck, err)) != CF_OK)
			goto out;
		ks.ctx = ck;
		ks.sign = certkey_sign;
		rc = cf_acme_post_json_jwk(e->acme, dir->revoke_cert, payload, &ks,
					   NULL, err);
	} else {
		rc = cf_acme_post_json(e->acme, dir->revoke_cert, payload, NULL,
				       err);
	}
	if (rc != CF_OK) {
		cf_err_wrap(err, "revocation");
		goto out;
	}
	*serial = ci.serial_hex;
	ci.serial_hex = NULL;
out:
	if (kpem != NULL)
		OPENSSL_clear_free(kpem, klen);
	EVP_PKEY_free(ck);
	if (certs)
		sk_X509_pop_free(certs, X509_free);
	OPENSSL_free(der);
	cf_cert_info_free(&ci);
	json_decref(payload);
	free(b64);
	free(cpem);
	free(cpath);
	free(kpath);
	return rc;
}
