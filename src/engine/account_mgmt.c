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

/* The signer over a key of our own (revocation with the certificate's
 * key; the new account key while a rollover is being settled): always an
 * embedded JWK. */
static cf_rc
key_sign(void *ctx, const char *url, const char *nonce, const char *kid,
	 const char *payload, char **jws, struct cf_err *err)
{
	return cf_jws_sign(ctx, url, nonce, NULL, payload, jws, err);
}

/* The new key is the account key now: account.key.new replaces
 * account.key, e uses it, account.json records its type.  Takes *nk. */
static cf_rc
adopt_new_key(struct cf_engine *e, EVP_PKEY **nk, const char *newpath,
	      const char *keypath, struct cf_err *err)
{
	enum cf_key_type type;
	char *thumb = NULL;
	cf_rc rc;

	if ((rc = cf_key_type_of(*nk, &type, err)) != CF_OK ||
	    (rc = cf_jwk_thumbprint(*nk, &thumb, err)) != CF_OK)
		return rc;
	if (rename(newpath, keypath) != 0) {
		free(thumb);
		return cf_err_set(err, CF_ERR_IO,
				  "the CA has the new account key but renaming %s "
				  "to %s failed (%s): rename it by hand", newpath,
				  keypath, strerror(errno));
	}
	if (cf_fsync_parent(keypath, err) != CF_OK)
		cf_warn("%s", err->msg);
	cf_err_clear(err);
	if (e->keyproc != NULL) {
		/* A key process holds the account key: one for the new. */
		free(thumb);
		EVP_PKEY_free(*nk);
		*nk = NULL;
		if ((rc = cf_engine_account_keyproc(e, keypath, 0, type, err)) !=
		    CF_OK)
			return cf_err_wrap(err, "the CA has the new account key %s",
					   keypath);
	} else {
		EVP_PKEY_free(e->account_key);
		e->account_key = *nk;
		*nk = NULL;
		e->account_key_type = type;
		free(e->thumbprint);
		e->thumbprint = thumb;
	}
	return account_json_set(e, "key_type", json_string(cf_key_type_name(type)),
				err);
}

/*
 * account.key.new is left from a rollover whose outcome was unknown: ask
 * the CA which key it holds (newAccount with onlyReturnExisting, signed by
 * the new key, RFC 8555 §7.3.1).  *applied 1: the CA has the new key for
 * this very account; 0: it definitely does not (accountDoesNotExist).
 * Anything else is an error and both keys stay.
 */
static cf_rc
new_key_known(struct cf_engine *e, EVP_PKEY *nk, int *applied,
	      struct cf_err *err)
{
	struct cf_acme_signer ks = { .ctx = nk, .sign = key_sign };
	json_t *payload;
	const char *url;
	cf_rc rc;

	*applied = 0;
	if ((payload = json_pack("{s:b}", "onlyReturnExisting", 1)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	cf_acme_set_signer(e->acme, &ks);
	rc = cf_acme_new_account(e->acme, payload, NULL, err);
	cf_acme_set_signer(e->acme, &e->signer);
	json_decref(payload);
	url = cf_acme_account_url(e->acme);
	if (rc == CF_OK && url != NULL && strcmp(url, e->account_url) == 0) {
		*applied = 1;
		return CF_OK;
	}
	if (rc == CF_OK) {
		/* Another account holds the new key: restore ours. */
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the CA knows the key of account.key.new as the "
				"account %s, not %s", url ? url : "(none)",
				e->account_url);
		if (cf_acme_set_account_url(e->acme, e->account_url, NULL) !=
		    CF_OK)
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return rc;
	}
	if (rc == CF_ERR_ACME &&
	    strstr(err->msg, "urn:ietf:params:acme:error:accountDoesNotExist")) {
		cf_err_clear(err);
		return CF_OK;
	}
	return rc;
}

/* The rollover's new key in *nk: account.key.new left by an earlier
 * rollover whose outcome was unknown (settled first: when the CA has it
 * already, it is adopted and *done set), else a new key of type written
 * there (0600) before the CA hears of it, so a crash right after the CA's
 * answer does not lose it. */
static cf_rc
rollover_new_key(struct cf_engine *e, enum cf_key_type type,
		 const char *newpath, const char *keypath, EVP_PKEY **nk,
		 int *done, struct cf_err *err)
{
	char *pem = NULL;
	size_t plen = 0;
	int applied = 0;
	cf_rc rc;

	*done = 0;
	rc = cf_file_read(newpath, 64 * 1024, &pem, &plen, err);
	if (rc == CF_ERR_NOTFOUND) {
		cf_err_clear(err);
		if ((rc = cf_key_generate(type, nk, err)) == CF_OK &&
		    (rc = cf_key_to_pem(*nk, &pem, &plen, err)) == CF_OK)
			rc = cf_file_write_atomic(newpath, pem, plen, 0600, err);
		goto out;
	}
	if (rc != CF_OK)
		goto out;
	if ((rc = cf_key_from_pem(pem, plen, nk, err)) != CF_OK) {
		cf_err_wrap(err, "%s (left by an earlier rollover)", newpath);
		goto out;
	}
	cf_info("%s is left by a key rollover whose outcome was unknown: "
		"asking the CA which key it holds", newpath);
	if ((rc = new_key_known(e, *nk, &applied, err)) != CF_OK) {
		cf_err_wrap(err, "checking %s at the CA (both keys are kept: %s "
			    "is the key in use, %s the new one; run 'certferry "
			    "account rollover' again)", newpath, keypath, newpath);
		goto out;
	}
	if (applied) {
		cf_info("the CA had applied the earlier key change: %s becomes "
			"%s", newpath, keypath);
		*done = 1;
		rc = adopt_new_key(e, nk, newpath, keypath, err);
		goto out;
	}
	cf_info("the CA does not have the key of %s: changing to it now",
		newpath);
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	return rc;
}

/* The keyChange request's inner JWS: {account, oldKey} signed by the NEW
 * key, its JWK embedded, no nonce (RFC 8555 §7.3.5). */
static cf_rc
key_change_inner(struct cf_engine *e, EVP_PKEY *nk, const char *url,
		 json_t **out, struct cf_err *err)
{
	json_t *oldjwk = NULL, *payload = NULL;
	char *ptext = NULL, *inner = NULL;
	cf_rc rc;

	if ((rc = cf_engine_account_jwk(e, &oldjwk, err)) != CF_OK)
		return rc;
	payload = json_pack("{s:s,s:O}", "account", e->account_url, "oldKey",
			    oldjwk);
	if (payload == NULL ||
	    (ptext = json_dumps(payload, JSON_COMPACT)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	else if ((rc = cf_jws_sign(nk, url, NULL, NULL, ptext, &inner, err)) ==
			 CF_OK &&
		 (*out = json_loads(inner, 0, NULL)) == NULL)
		rc = cf_err_set(err, CF_ERR_INTERNAL, "inner JWS is not JSON");
	json_decref(oldjwk);
	json_decref(payload);
	free(ptext);
	free(inner);
	return rc;
}

/* The CA refused the key change (CF_ERR_ACME in err), but which attempt?
 * libcurl resends a request whose reused connection died unanswered, and
 * a badNonce is retried: the CA may have applied an earlier copy and
 * refused the next one.  Ask it.  *keep: account.key.new must stay. */
static cf_rc
key_change_refused(struct cf_engine *e, EVP_PKEY **nk, const char *newpath,
		   const char *keypath, int *keep, struct cf_err *err)
{
	struct cf_err chk = { 0 };
	int applied = 0;

	if (new_key_known(e, *nk, &applied, &chk) != CF_OK) {
		*keep = 1;
		return cf_err_wrap(err, "key change refused (%s could not be "
				   "checked: %s); %s (the old key) and %s (the "
				   "new key) are both kept: run 'certferry "
				   "account rollover' again", newpath, chk.msg,
				   keypath, newpath);
	}
	if (applied) {
		*keep = 1;
		cf_err_clear(err);
		cf_info("the CA has the new key although it refused the key "
			"change's last answer");
		return adopt_new_key(e, nk, newpath, keypath, err);
	}
	/* A definite refusal: the old key stays the key. */
	return cf_err_wrap(err, "key change refused by the CA; %s is still the "
			   "account key", keypath);
}

/* Send the key change (the outer JWS is signed by the old key, as every
 * request; sent once, see cf_acme_key_change) and settle its outcome. */
static cf_rc
key_change_send(struct cf_engine *e, EVP_PKEY **nk, json_t *inner,
		const char *newpath, const char *keypath, int *keep,
		struct cf_err *err)
{
	cf_rc rc = cf_acme_key_change(e->acme, inner, err);

	if (rc == CF_ERR_ACME)
		return key_change_refused(e, nk, newpath, keypath, keep, err);
	/* From here on the new key may be the only working key. */
	*keep = 1;
	if (rc != CF_OK)
		/* Unknown outcome: the CA may have the new key now.  Losing
		 * it would lock the account out, so both are kept. */
		return cf_err_wrap(err, "key change: the outcome is unknown; %s "
				   "(the old key) and %s (the new key) are both "
				   "kept: run 'certferry account rollover' "
				   "again, it asks the CA which one it holds",
				   keypath, newpath);
	/* Accepted: the new key becomes the account key, atomically. */
	return adopt_new_key(e, nk, newpath, keypath, err);
}

cf_rc
cf_engine_account_rollover(struct cf_engine *e, enum cf_key_type type,
			   struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	EVP_PKEY *nk = NULL;
	char *newpath = NULL, *keypath = NULL;
	json_t *inner = NULL;
	int done = 0, keep = 0;
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
	if ((rc = rollover_new_key(e, type, newpath, keypath, &nk, &done,
				   err)) != CF_OK || done) {
		keep = 1; /* never written here, or settled */
		goto out;
	}
	if ((rc = key_change_inner(e, nk, dir->key_change, &inner, err)) ==
	    CF_OK)
		rc = key_change_send(e, &nk, inner, newpath, keypath, &keep, err);
out:
	if (!keep)
		(void)unlink(newpath);
	EVP_PKEY_free(nk);
	json_decref(inner);
	free(newpath);
	free(keypath);
	return rc;
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
		ks.sign = key_sign;
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
