/* account.c - the ACME account: load, register (with EAB), fetch. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/b64.h"
#include "crypto/jws.h"
#include "engine/engine.h"
#include "sep/keyproc.h"
#include "sep/proc.h"
#include "store/atomic.h"

#define ACCOUNT_JSON_MAX (64 * 1024)
#define KEY_PEM_MAX (64 * 1024)

/* The key-side signing callback handed to the protocol layer: the key
 * process signs when it holds the key. */
static cf_rc
sign_cb(void *ctx, const char *url, const char *nonce, const char *kid,
	const char *payload, char **jws, struct cf_err *err)
{
	struct cf_engine *e = ctx;
	cf_rc rc;

	if (e->keyproc != NULL)
		return (rc = cf_engine_account_ready(e, err)) != CF_OK ? rc :
		       cf_keyproc_sign(e->keyproc, url, nonce, kid, payload, jws,
				       err);
	return cf_jws_sign(e->account_key, url, nonce, kid, payload, jws, err);
}

static int
key_loaded(const struct cf_engine *e)
{
	return e->account_key != NULL || e->keyproc != NULL;
}

cf_rc
cf_engine_account_keyproc(struct cf_engine *e, const char *keyfile, int create,
			  enum cf_key_type type, struct cf_err *err)
{
	cf_keyproc_free(e->keyproc);
	e->keyproc = NULL;
	free(e->thumbprint);
	free(e->account_jwk);
	e->thumbprint = NULL;
	e->account_jwk = NULL;
	e->key_pending = 1;
	return cf_keyproc_spawn(keyfile, create, type, &e->keyproc, err);
}

cf_rc
cf_engine_account_ready(struct cf_engine *e, struct cf_err *err)
{
	const struct cf_keyproc_info *info;
	cf_rc rc;

	if (e->keyproc == NULL || !e->key_pending)
		return CF_OK;
	if ((rc = cf_keyproc_info(e->keyproc, &info, err)) != CF_OK)
		return rc;
	if ((e->thumbprint = strdup(info->thumbprint)) == NULL ||
	    (e->account_jwk = strdup(info->jwk)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	e->account_key_type = info->type;
	e->key_pending = 0;
	return CF_OK;
}

cf_rc
cf_engine_account_jwk(struct cf_engine *e, json_t **out, struct cf_err *err)
{
	cf_rc rc;

	if ((rc = cf_engine_account_ready(e, err)) != CF_OK)
		return rc;
	if (e->account_key != NULL)
		return cf_jwk_public(e->account_key, out, err);
	if (e->account_jwk == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account key loaded");
	if ((*out = json_loads(e->account_jwk, 0, NULL)) == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "the key process's JWK is not JSON");
	return CF_OK;
}

cf_rc
cf_engine_open(struct cf_engine *e, struct cf_state *st,
	       const struct cf_acme_opts *o, struct cf_err *err)
{
	cf_rc rc;

	memset(e, 0, sizeof(*e));
	e->state = st;
	e->signer.ctx = e;
	e->signer.sign = sign_cb;
	if ((rc = cf_acme_new(o, &e->acme, err)) != CF_OK)
		return rc;
	cf_acme_set_signer(e->acme, &e->signer);
	if ((e->dir_url = strdup(o->directory_url)) == NULL) {
		cf_engine_close(e);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if ((rc = cf_state_account_dir(st, e->dir_url, &e->account_dir, err)) !=
	    CF_OK) {
		cf_engine_close(e);
		return rc;
	}
	return CF_OK;
}

void
cf_engine_close(struct cf_engine *e)
{
	/* The key process ends while the network process is reaped. */
	cf_keyproc_end(e->keyproc);
	cf_acme_free(e->acme);
	cf_keyproc_free(e->keyproc);
	free(e->account_jwk);
	EVP_PKEY_free(e->account_key);
	free(e->dir_url);
	free(e->account_dir);
	free(e->account_url);
	free(e->account_eab_kid);
	free(e->thumbprint);
	memset(e, 0, sizeof(*e));
}

/* Load account.key into this process (and its thumbprint). */
static cf_rc
load_key_here(struct cf_engine *e, const char *keyfile, struct cf_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	cf_rc rc;

	if ((rc = cf_file_read(keyfile, KEY_PEM_MAX, &pem, &len, err)) != CF_OK)
		return rc;
	rc = cf_key_from_pem(pem, len, &e->account_key, err);
	OPENSSL_clear_free(pem, len);
	if (rc != CF_OK)
		return cf_err_wrap(err, "account key %s", keyfile);
	if ((rc = cf_key_type_of(e->account_key, &e->account_key_type, err)) !=
	    CF_OK ||
	    (rc = cf_jwk_thumbprint(e->account_key, &e->thumbprint, err)) != CF_OK)
		return rc;
	return CF_OK;
}

/* Load account.key: into a key process when separation is on. */
static cf_rc
load_key(struct cf_engine *e, const char *keyfile, struct cf_err *err)
{
	if (cf_sep_exe() != NULL)
		return cf_engine_account_keyproc(e, keyfile, 0, CF_KEY_EC256, err);
	return load_key_here(e, keyfile, err);
}

/* Make a new account key of type in keyfile (0600) and load it; with
 * separation on, the key process makes it and it never enters this
 * process. */
static cf_rc
make_key(struct cf_engine *e, const char *keyfile, enum cf_key_type type,
	 struct cf_err *err)
{
	char *pem = NULL;
	size_t plen = 0;
	cf_rc rc;

	if (cf_sep_exe() != NULL)
		return cf_engine_account_keyproc(e, keyfile, 1, type, err);
	e->account_key_type = type;
	if ((rc = cf_key_generate(type, &e->account_key, err)) == CF_OK &&
	    (rc = cf_key_to_pem(e->account_key, &pem, &plen, err)) == CF_OK &&
	    (rc = cf_file_write_atomic(keyfile, pem, plen, 0600, err)) == CF_OK)
		rc = cf_jwk_thumbprint(e->account_key, &e->thumbprint, err);
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	return rc;
}

/* account.key.new next to account.key: a key rollover whose outcome was
 * unknown (cf_engine_account_rollover settles it). */
static void
warn_pending_rollover(const struct cf_engine *e)
{
	char *npath = cf_strfmt("%s/%s", e->account_dir, "account.key.new");
	struct stat sb;

	if (npath != NULL && stat(npath, &sb) == 0)
		cf_warn("%s is left by a key rollover whose outcome was unknown; "
			"if the CA refuses account.key, run 'certferry account "
			"rollover': it asks the CA which key it holds", npath);
	free(npath);
}

cf_rc
cf_engine_account_load(struct cf_engine *e, int *found, struct cf_err *err)
{
	char *jpath = cf_strfmt("%s/%s", e->account_dir, "account.json");
	char *kpath = cf_strfmt("%s/%s", e->account_dir, "account.key");
	char *text = NULL;
	json_t *j = NULL;
	const char *url, *kid;
	cf_rc rc = CF_OK;

	*found = 0;
	if (jpath == NULL || kpath == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = cf_file_read(jpath, ACCOUNT_JSON_MAX, &text, NULL, err);
	if (rc == CF_ERR_NOTFOUND) {
		rc = CF_OK;
		goto out;
	}
	if (rc != CF_OK)
		goto out;
	j = json_loads(text, 0, NULL);
	url = json_string_value(json_object_get(j, "url"));
	if (url == NULL) {
		rc = cf_err_set(err, CF_ERR_IO,
				"%s is damaged (no account URL): remove the folder "
				"%s to register again", jpath, e->account_dir);
		goto out;
	}
	if ((rc = load_key(e, kpath, err)) != CF_OK)
		goto out;
	kid = json_string_value(json_object_get(j, "eab_kid"));
	if ((e->account_url = strdup(url)) == NULL ||
	    (kid != NULL && (e->account_eab_kid = strdup(kid)) == NULL) ||
	    (rc = cf_acme_set_account_url(e->acme, url, err)) != CF_OK) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	*found = 1;
	warn_pending_rollover(e);
out:
	json_decref(j);
	free(text);
	free(jpath);
	free(kpath);
	return rc;
}

/* account.json for the account just registered (eab_kid: the EAB key id
 * it was bound with, or NULL) or recovered. */
static cf_rc
save_account_json(struct cf_engine *e, const struct cf_account_opts *o,
		  const char *eab_kid, struct cf_err *err)
{
	char *path = cf_strfmt("%s/%s", e->account_dir, "account.json");
	char now[32];
	json_t *j, *contacts;
	cf_rc rc;

	if ((rc = cf_engine_account_ready(e, err)) != CF_OK) {
		free(path);
		return rc;
	}
	cf_rfc3339_format(time(NULL), now);
	contacts = json_array();
	for (size_t i = 0; contacts && i < o->nemails; i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), "mailto:%s", o->emails[i]);
		json_array_append_new(contacts, json_string(buf));
	}
	j = json_pack("{s:i,s:s,s:s,s:s,s:o,s:s}", "version", 1, "directory",
		      e->dir_url, "url", e->account_url, "key_type",
		      cf_key_type_name(e->account_key_type), "contact",
		      contacts ? contacts : json_array(), "created", now);
	if (path == NULL || j == NULL ||
	    (eab_kid != NULL &&
	     json_object_set_new(j, "eab_kid", json_string(eab_kid)) != 0)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = cf_file_write_json(path, j, 0600, err);
out:
	json_decref(j);
	free(path);
	return rc;
}

/* Build the newAccount payload; the EAB HMAC key is wiped before return. */
static cf_rc
account_payload(struct cf_engine *e, const struct cf_account_opts *o,
		const struct cf_acme_directory *dir, json_t **out,
		struct cf_err *err)
{
	unsigned char *hmac = NULL;
	size_t hlen = 0;
	json_t *p, *contacts, *eab = NULL, *jwk = NULL;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((p = json_object()) == NULL || (contacts = json_array()) == NULL) {
		json_decref(p);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	json_object_set_new(p, "contact", contacts);
	for (size_t i = 0; i < o->nemails; i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), "mailto:%s", o->emails[i]);
		json_array_append_new(contacts, json_string(buf));
	}
	if (o->agree_tos)
		json_object_set_new(p, "termsOfServiceAgreed", json_true());
	if (o->eab_kid != NULL) {
		if ((rc = cf_b64_decode_any(o->eab_hmac_b64, &hmac, &hlen, err)) !=
		    CF_OK) {
			cf_err_wrap(err, "EAB HMAC key: the HMAC key must be the "
				    "base64url text the CA showed");
			goto out;
		}
		if (hlen == 0) {
			rc = cf_err_set(err, CF_ERR_USAGE, "the EAB HMAC key is empty");
			goto out;
		}
		if ((rc = cf_engine_account_jwk(e, &jwk, err)) != CF_OK ||
		    (rc = cf_jws_eab(hmac, hlen, o->eab_kid, dir->new_account,
				     jwk, &eab, err)) != CF_OK)
			goto out;
		json_object_set_new(p, "externalAccountBinding", eab);
	}
	*out = p;
	p = NULL;
out:
	if (hmac != NULL)
		OPENSSL_clear_free(hmac, hlen);
	json_decref(jwk);
	json_decref(p);
	return rc;
}

/* If account.key exists without account.json, look the account up with
 * onlyReturnExisting (RFC 8555 §7.3.1) and, when the CA knows it, store
 * it.  *found says whether it did. */
static cf_rc
recover_account(struct cf_engine *e, const struct cf_account_opts *o,
		int *found, struct cf_err *err)
{
	char *kpath = cf_strfmt("%s/%s", e->account_dir, "account.key");
	json_t *payload = NULL;
	struct stat sb;
	cf_rc rc = CF_OK;

	*found = 0;
	if (kpath == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (stat(kpath, &sb) != 0)
		goto out;
	if ((rc = load_key(e, kpath, err)) != CF_OK)
		goto out;
	if ((payload = json_pack("{s:b}", "onlyReturnExisting", 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	cf_info("found an account key without its account: asking the CA");
	rc = cf_acme_new_account(e->acme, payload, NULL, err);
	if (rc == CF_ERR_ACME &&
	    strstr(err->msg, "urn:ietf:params:acme:error:accountDoesNotExist")) {
		rc = CF_OK; /* never registered: register with this key */
		goto out;
	}
	if (rc != CF_OK)
		goto out;
	if ((e->account_url = strdup(cf_acme_account_url(e->acme))) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Which EAB key id the CA bound it with is not known here. */
	if ((rc = save_account_json(e, o, NULL, err)) == CF_OK) {
		cf_info("recovered the account %s", e->account_url);
		*found = 1;
	}
out:
	json_decref(payload);
	free(kpath);
	return rc;
}

/* What a new account needs from the options: EAB when the CA requires
 * it, the HMAC key with its kid, the terms of service agreed to. */
static cf_rc
register_checks(const struct cf_acme_directory *dir,
		const struct cf_account_opts *o, struct cf_err *err)
{
	if (dir->eab_required && o->eab_kid == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the CA requires External Account Binding: give "
				  "--eab-kid and --eab-hmac-key-file (or "
				  "CERTFERRY_EAB_KID and CERTFERRY_EAB_HMAC_KEY) with "
				  "the values the CA handed out");
	if (o->eab_kid != NULL && (o->eab_hmac_b64 == NULL || !*o->eab_hmac_b64))
		return cf_err_set(err, CF_ERR_USAGE,
				  "--eab-kid needs the HMAC key too: "
				  "--eab-hmac-key-file FILE or CERTFERRY_EAB_HMAC_KEY");
	if (dir->terms_of_service != NULL && !o->agree_tos)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the CA's terms of service must be accepted: read "
				  "%s and add --agree-tos", dir->terms_of_service);
	return CF_OK;
}

cf_rc
cf_engine_account_register(struct cf_engine *e, const struct cf_account_opts *o,
			   int *existed, struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	char *kpath = NULL;
	json_t *payload = NULL;
	int found = 0, created_dir = 0;
	struct stat sb;
	cf_rc rc;

	*existed = 0;
	if (e->account_url != NULL)
		found = 1; /* loaded already (cf_cli_engine_open) */
	else if ((rc = cf_engine_account_load(e, &found, err)) != CF_OK)
		return rc;
	if (found) {
		*existed = 1;
		return cf_engine_account_check_eab(e, o->eab_kid, err);
	}
	if ((rc = cf_acme_get_directory(e->acme, &dir, err)) != CF_OK)
		return rc;
	/* A key without account.json: a registration cut short after the
	 * CA may have accepted it.  Ask the CA (no EAB needed; an EAB key id
	 * may be single-use) before registering anew. */
	if ((rc = recover_account(e, o, &found, err)) != CF_OK || found) {
		*existed = found;
		return rc;
	}
	if ((rc = register_checks(dir, o, err)) != CF_OK)
		return rc;
	if (stat(e->account_dir, &sb) != 0)
		created_dir = 1;
	if ((rc = cf_state_mkdir(e->state, e->account_dir, err)) != CF_OK)
		return rc;
	if ((kpath = cf_strfmt("%s/%s", e->account_dir, "account.key")) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* A key left by an interrupted registration is used again. */
	if (key_loaded(e)) {
		/* loaded by recover_account: the CA does not know it yet */
	} else if (stat(kpath, &sb) == 0) {
		if ((rc = load_key(e, kpath, err)) != CF_OK)
			goto out;
	} else if ((rc = make_key(e, kpath, o->key_type, err)) != CF_OK) {
		goto out;
	}
	if ((rc = account_payload(e, o, dir, &payload, err)) != CF_OK)
		goto out;
	cf_info("registering an ACME account at %s%s", e->dir_url,
		o->eab_kid ? " with External Account Binding" : "");
	if ((rc = cf_acme_new_account(e->acme, payload, NULL, err)) != CF_OK)
		goto out;
	if ((e->account_url = strdup(cf_acme_account_url(e->acme))) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (o->eab_kid != NULL &&
	    (e->account_eab_kid = strdup(o->eab_kid)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = save_account_json(e, o, o->eab_kid, err);
out:
	json_decref(payload);
	if (rc != CF_OK && created_dir) {
		/* No partial state: the account does not exist.  A key
		 * process making account.key is ended (and waited for) first,
		 * so that it cannot write the key after the folder is gone. */
		cf_keyproc_free(e->keyproc);
		e->keyproc = NULL;
		cf_state_rmtree(e->account_dir);
	}
	free(kpath);
	return rc;
}

cf_rc
cf_engine_account_check_eab(const struct cf_engine *e, const char *eab_kid,
			    struct cf_err *err)
{
	if (eab_kid == NULL || e->account_eab_kid == NULL ||
	    strcmp(eab_kid, e->account_eab_kid) == 0)
		return CF_OK;
	return cf_err_set(err, CF_ERR_USAGE,
			  "--eab-kid '%s' differs from the EAB key id '%s' of the "
			  "account already registered for %s (%s): there is one "
			  "account per directory URL per state folder; to register "
			  "a second account, name it (--account NAME) or give it "
			  "its own state folder "
			  "(--state-dir DIR or CERTFERRY_STATE_DIR), or leave out "
			  "--eab-kid (and CERTFERRY_EAB_KID) to use the existing one",
			  eab_kid, e->account_eab_kid, e->dir_url, e->account_dir);
}

cf_rc
cf_engine_account_fetch(struct cf_engine *e, json_t **acct, struct cf_err *err)
{
	if (e->account_url == NULL)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
	return cf_acme_fetch(e->acme, e->account_url, acct, err);
}

/* ---- several accounts, moving an account ---- */

cf_rc
cf_engine_use_account(struct cf_engine *e, const char *name, struct cf_err *err)
{
	char *dir;
	cf_rc rc;

	if (name == NULL)
		return CF_OK;
	if ((rc = cf_state_check_name(name, err)) != CF_OK)
		return cf_err_wrap(err, "--account");
	/* The default folder of the server, then "+NAME". */
	free(e->account_dir);
	e->account_dir = NULL;
	if ((rc = cf_state_account_dir(e->state, e->dir_url, &e->account_dir,
				       err)) != CF_OK)
		return rc;
	if ((dir = cf_strfmt("%s+%s", e->account_dir, name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	free(e->account_dir);
	e->account_dir = dir;
	return CF_OK;
}

cf_rc
cf_engine_account_export(struct cf_engine *e, const char *pass, json_t **out,
			 struct cf_err *err)
{
	char *jpath = cf_strfmt("%s/%s", e->account_dir, "account.json");
	char *text = NULL, *pem = NULL;
	size_t plen = 0;
	json_t *acct = NULL, *j = NULL;
	cf_rc rc;

	*out = NULL;
	if (jpath == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (!key_loaded(e)) {
		rc = cf_err_set(err, CF_ERR_NOTFOUND, "no account loaded");
		goto out;
	}
	/* The export holds the key itself: read it here, not in a key
	 * process. */
	if (e->account_key == NULL) {
		char *kpath = cf_strfmt("%s/%s", e->account_dir, "account.key");
		rc = kpath == NULL ? cf_err_set(err, CF_ERR_NOMEM, "out of memory")
				   : load_key_here(e, kpath, err);
		free(kpath);
		if (rc != CF_OK)
			goto out;
	}
	if ((rc = cf_file_read(jpath, ACCOUNT_JSON_MAX, &text, NULL, err)) !=
	    CF_OK)
		goto out;
	acct = json_loads(text, 0, NULL);
	if ((rc = cf_key_to_pem_pass(e->account_key, pass, &pem, &plen, err)) !=
	    CF_OK)
		goto out;
	j = json_pack("{s:s,s:i,s:s,s:s,s:s,s:b,s:s}", "format",
		      "certferry-account", "version", 1, "directory", e->dir_url,
		      "url", e->account_url, "key_type",
		      cf_key_type_name(e->account_key_type), "encrypted",
		      pass != NULL, "key", pem);
	if (j == NULL ||
	    (e->account_eab_kid != NULL &&
	     json_object_set_new(j, "eab_kid",
				 json_string(e->account_eab_kid)) != 0) ||
	    (json_is_array(json_object_get(acct, "contact")) &&
	     json_object_set(j, "contact", json_object_get(acct, "contact")) !=
		     0)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = j;
	j = NULL;
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	json_decref(j);
	json_decref(acct);
	free(text);
	free(jpath);
	return rc;
}

/* The exported key of in, decrypted with pass when it is encrypted. */
static cf_rc
import_key(json_t *in, const char *pass, EVP_PKEY **key, struct cf_err *err)
{
	const char *pem = json_string_value(json_object_get(in, "key"));
	int encrypted = json_is_true(json_object_get(in, "encrypted"));

	if (pem == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the export holds no account key");
	if (encrypted && pass == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the export is encrypted: give "
				  "--passphrase-file FILE");
	if (encrypted)
		return cf_key_from_pem_pass(pem, strlen(pem), pass, key, err);
	return cf_key_from_pem(pem, strlen(pem), key, err);
}

cf_rc
cf_engine_account_import(struct cf_engine *e, json_t *in, const char *pass,
			 struct cf_err *err)
{
	const char *dir = json_string_value(json_object_get(in, "directory"));
	const char *url = json_string_value(json_object_get(in, "url"));
	const char *kid = json_string_value(json_object_get(in, "eab_kid"));
	const char *fmt = json_string_value(json_object_get(in, "format"));
	char *kpath = NULL, *jpath = NULL, *pem = NULL;
	size_t plen = 0;
	json_t *payload = NULL, *acct = NULL;
	struct stat sb;
	int created = 0;
	cf_rc rc;

	if (fmt == NULL || strcmp(fmt, "certferry-account") != 0 ||
	    dir == NULL || url == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "not an account export of certferry (made by "
				  "'certferry account export FILE')");
	if (strcmp(dir, e->dir_url) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "the export is an account of %s, not of %s: "
				  "import it with --server %s", dir, e->dir_url,
				  dir);
	if (e->account_url != NULL || stat(e->account_dir, &sb) == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s already holds an account for %s: import into "
				  "another state folder, or as a named account "
				  "(--account NAME)", e->account_dir, dir);
	if ((rc = import_key(in, pass, &e->account_key, err)) != CF_OK)
		return cf_err_wrap(err, "account import");
	if ((rc = cf_key_type_of(e->account_key, &e->account_key_type, err)) !=
		    CF_OK ||
	    (rc = cf_jwk_thumbprint(e->account_key, &e->thumbprint, err)) !=
		    CF_OK)
		return rc;
	/* The CA says which account this key holds: it must be this one. */
	if ((payload = json_pack("{s:b}", "onlyReturnExisting", 1)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = cf_acme_new_account(e->acme, payload, NULL, err);
	json_decref(payload);
	if (rc != CF_OK)
		return cf_err_wrap(err, "checking the imported account at the CA");
	if (strcmp(cf_acme_account_url(e->acme), url) != 0)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA says this key belongs to the account %s, "
				  "not to %s as the export says: nothing imported",
				  cf_acme_account_url(e->acme), url);
	if ((e->account_url = strdup(url)) == NULL ||
	    (kid != NULL && (e->account_eab_kid = strdup(kid)) == NULL))
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = cf_state_mkdir(e->state, e->account_dir, err)) != CF_OK)
		return rc;
	created = 1;
	kpath = cf_strfmt("%s/%s", e->account_dir, "account.key");
	jpath = cf_strfmt("%s/%s", e->account_dir, "account.json");
	acct = json_pack("{s:i,s:s,s:s,s:s,s:O}", "version", 1, "directory",
			 e->dir_url, "url", url, "key_type",
			 cf_key_type_name(e->account_key_type), "contact",
			 json_is_array(json_object_get(in, "contact")) ?
				 json_object_get(in, "contact") : json_array());
	if (kpath == NULL || jpath == NULL || acct == NULL ||
	    (kid != NULL &&
	     json_object_set_new(acct, "eab_kid", json_string(kid)) != 0) ||
	    json_object_set_new(acct, "imported", json_true()) != 0) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_key_to_pem(e->account_key, &pem, &plen, err)) != CF_OK ||
	    (rc = cf_file_write_atomic(kpath, pem, plen, 0600, err)) != CF_OK)
		goto out;
	rc = cf_file_write_json(jpath, acct, 0600, err);
out:
	if (rc != CF_OK && created)
		cf_state_rmtree(e->account_dir);
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	json_decref(acct);
	free(kpath);
	free(jpath);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cf_rc
cf_engine_account_list(const struct cf_state *st, json_t **out,
		       struct cf_err *err)
{
	char *root = cf_strfmt("%s/accounts", st->root), *path = NULL;
	char *text = NULL, **names = NULL, **nn;
	size_t n = 0;
	struct dirent *de;
	DIR *d = NULL;
	json_t *list = json_array(), *a, *row;
	const char *plus;
	cf_rc rc = CF_OK;

	*out = NULL;
	if (root == NULL || list == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((d = opendir(root)) == NULL) {
		if (errno != ENOENT)
			rc = cf_err_set(err, CF_ERR_IO, "%s: %s", root,
					strerror(errno));
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*nn))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		names = nn;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		free(path);
		free(text);
		text = NULL;
		if ((path = cf_strfmt("%s/%s/account.json", root, names[i])) ==
		    NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (cf_file_read(path, ACCOUNT_JSON_MAX, &text, NULL, err) !=
		    CF_OK) {
			cf_err_clear(err); /* a folder without its account */
			continue;
		}
		a = json_loads(text, 0, NULL);
		plus = strchr(names[i], '+');
		row = json_pack("{s:s,s:s?,s:O?,s:O?,s:O?,s:O?,s:O?}", "folder",
				names[i], "account", plus ? plus + 1 : NULL,
				"directory", json_object_get(a, "directory"),
				"url", json_object_get(a, "url"), "key_type",
				json_object_get(a, "key_type"), "eab_kid",
				json_object_get(a, "eab_kid"), "status",
				json_object_get(a, "status"));
		json_decref(a);
		if (row == NULL || json_array_append_new(list, row) != 0) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
done:
	*out = list;
	list = NULL;
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	free(text);
	free(root);
	json_decref(list);
	return rc;
}
