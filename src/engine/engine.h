/*
 * engine.h - what certferry does, step by step, for one run.
 *
 * Owns: the wiring between the protocol (src/acme, network side), the keys
 * (src/crypto, key side), the state folder (src/store) and the validation
 * methods (src/validate).  The account key never leaves this module: the
 * protocol layer gets a signing callback only.  With privilege separation
 * on (sep/proc.h) the account key is not in this process at all: a key
 * process (sep/keyproc.h) reads or makes account.key and signs; only the
 * account commands that need the key itself (export, import, the new key
 * of a rollover) hold it here.  The CLI calls the engine;
 * the engine never prints (progress goes to the log).
 */
#ifndef CF_ENGINE_H
#define CF_ENGINE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "core/err.h"
#include "crypto/key.h"
#include "engine/deliver.h"
#include "engine/spec.h"
#include "store/state.h"
#include "validate/validate.h"

struct cf_keyproc;

struct cf_engine {
	struct cf_state *state;          /* borrowed */
	struct cf_acme *acme;            /* owned */
	char *dir_url;
	char *account_dir;               /* STATE/accounts/<id> */
	EVP_PKEY *account_key;           /* owned; NULL until loaded, and
					    while a key process holds it */
	struct cf_keyproc *keyproc;      /* owned; the key process holding the
					    account key, or NULL */
	char *account_jwk;               /* the key process's public JWK
					    (compact JSON text), or NULL */
	int key_pending;                 /* the key process's answer is not
					    read yet (cf_engine_account_ready) */
	char *account_url;
	char *account_eab_kid;           /* the EAB key id the account was
					    registered with (account.json
					    "eab_kid"); NULL when not recorded */
	enum cf_key_type account_key_type;
	char *thumbprint;                /* of the account key */
	struct cf_acme_signer signer;
};

struct cf_account_opts {
	const char *const *emails;
	size_t nemails;
	int agree_tos;
	const char *eab_kid;             /* NULL: no EAB */
	const char *eab_hmac_b64;        /* secret, base64url (or base64) text */
	enum cf_key_type key_type;
};

struct cf_issue_opts {
	const struct cf_cert_spec *spec; /* borrowed: name, key type, stores */
	const char *const *names;        /* resolved names (cf_spec_resolve_names) */
	size_t nnames;
	struct cf_validator *validator;  /* borrowed */
	const char *replaces;            /* ARI CertID of the certificate this
					    one replaces (RFC 9773), or NULL */
	int lock_held;                   /* the caller holds cf_state_lock */
};

struct cf_issue_result {
	char *cert_path;                 /* STATE/certs/<name> */
	char *serial;
	char *issuer;
	time_t not_before, not_after;
	char key_desc[32];
	size_t challenges_answered;      /* 0 when every authz was valid */
	struct cf_delivery delivery;     /* stores written, IIS changes */
	char *ari_cert_id;               /* of the new certificate, or NULL */
	int resumed;                     /* a saved order was completed */
	int replaces_dropped;            /* the CA refused "replaces" */
	char **chains;                   /* the issuer CN of the topmost
					    certificate of every chain the CA
					    offered, its default first */
	size_t nchains;
	size_t chain_selected;           /* index in chains of the one kept */
};

/* The account key's public JWK as a new JSON object (json_decref), from
 * the key here or the key process's description; CF_ERR_NOTFOUND when no
 * account key is loaded. */
cf_rc cf_engine_account_jwk(struct cf_engine *e, json_t **out,
			    struct cf_err *err) CF_MUST_CHECK;

/* Hand the account key in keyfile to a new key process (after ending the
 * one e has), made there first when create (of `type`): e's thumbprint,
 * key type and JWK come from it, once cf_engine_account_ready has read
 * its answer (the first signature does).  Separation must be on. */
cf_rc cf_engine_account_keyproc(struct cf_engine *e, const char *keyfile,
				int create, enum cf_key_type type,
				struct cf_err *err) CF_MUST_CHECK;

/* Wait for the key process's description of the account key (its
 * thumbprint, type, JWK) when it has not been read yet; CF_OK at once
 * without a key process.  Call it before reading e->thumbprint or
 * e->account_key_type. */
cf_rc cf_engine_account_ready(struct cf_engine *e,
			      struct cf_err *err) CF_MUST_CHECK;

cf_rc cf_engine_open(struct cf_engine *e, struct cf_state *st,
		     const struct cf_acme_opts *o, struct cf_err *err) CF_MUST_CHECK;
void cf_engine_close(struct cf_engine *e);

/* Load the stored account for this server, if any (no network).
 * *found is 1 when there is a complete account. */
cf_rc cf_engine_account_load(struct cf_engine *e, int *found,
			     struct cf_err *err) CF_MUST_CHECK;

/* Create the account at the CA (with EAB when given) and store it, with
 * the EAB key id (never the HMAC key) in account.json.  On any failure
 * nothing is left behind.  With an account already stored (or loaded)
 * this returns CF_OK and sets *existed, after cf_engine_account_check_eab. */
cf_rc cf_engine_account_register(struct cf_engine *e,
				 const struct cf_account_opts *o, int *existed,
				 struct cf_err *err) CF_MUST_CHECK;

/*
 * An --eab-kid given while an account exists: CF_ERR_USAGE, saying how to
 * use a second account, when it differs from the key id the loaded
 * account was registered with.  CF_OK when eab_kid is NULL, when it is the
 * same, and when the account has no key id recorded (registered before
 * certferry recorded it, or recovered from the CA): nothing to compare.
 */
cf_rc cf_engine_account_check_eab(const struct cf_engine *e,
				  const char *eab_kid,
				  struct cf_err *err) CF_MUST_CHECK;

/* ---- several accounts, moving an account (account.c) ----
 *
 * State layout (backward compatible): the default account of a server is
 * STATE/accounts/<server-id>/ as before; a named one (--account NAME) is
 * STATE/accounts/<server-id>+NAME/ ('+' never occurs in a server id). */

/* Use the account called name (NULL: the default one) of e's server from
 * now on; call before cf_engine_account_load.  CF_ERR_USAGE for a name
 * that is not letters, digits, '.', '-', '_'. */
cf_rc cf_engine_use_account(struct cf_engine *e, const char *name,
			    struct cf_err *err) CF_MUST_CHECK;

/* The loaded account as a JSON object to move to another machine:
 * {"format": "certferry-account", "version": 1, "directory", "url",
 *  "key_type", "eab_kid", "contact", "encrypted": bool, "key": PEM}, the
 * key encrypted with pass (PKCS#8, cf_key_to_pem_pass) or, pass NULL,
 * in clear.  *out: json_decref (it may hold the key in clear). */
cf_rc cf_engine_account_export(struct cf_engine *e, const char *pass,
			       json_t **out, struct cf_err *err) CF_MUST_CHECK;

/* Store the exported account in (from cf_engine_account_export; its
 * "directory" must be e's server) as e's account, once the CA confirmed
 * it (onlyReturnExisting signed by its key answers its URL).  Nothing is
 * written on failure; an account already stored here is CF_ERR_USAGE. */
cf_rc cf_engine_account_import(struct cf_engine *e, json_t *in,
			       const char *pass,
			       struct cf_err *err) CF_MUST_CHECK;

/* Every account in the state folder, all servers: a JSON array of
 * {"folder", "account" (name, or null for the default), "directory",
 *  "url", "key_type", "eab_kid", "status"}, read from the files only. */
cf_rc cf_engine_account_list(const struct cf_state *st, json_t **out,
			     struct cf_err *err) CF_MUST_CHECK;

/* The account object as the CA sees it (POST-as-GET). */
cf_rc cf_engine_account_fetch(struct cf_engine *e, json_t **acct,
			      struct cf_err *err) CF_MUST_CHECK;

/* ---- account management and revocation (account_mgmt.c) ---- */

/* Replace the account's contacts at the CA ("mailto:" added) and in
 * account.json. */
cf_rc cf_engine_account_update(struct cf_engine *e, const char *const *emails,
			       size_t n, struct cf_err *err) CF_MUST_CHECK;

/* Deactivate the account at the CA (irreversible); account.json records
 * "status": "deactivated". */
cf_rc cf_engine_account_deactivate(struct cf_engine *e,
				   struct cf_err *err) CF_MUST_CHECK;

/* RFC 8555 §7.3.5 key change to a new key of the given type.  The new key
 * is written to account.key.new (0600) first and renamed over account.key
 * only once the CA accepted it.  A definite refusal (a problem document)
 * deletes account.key.new; an unknown outcome (network error, timeout,
 * 5xx: the request is not retried) keeps both keys, and the next rollover
 * first asks the CA (onlyReturnExisting, signed by the new key) whether it
 * holds the new key: then it is adopted, else the change is made with it. */
cf_rc cf_engine_account_rollover(struct cf_engine *e, enum cf_key_type type,
				 struct cf_err *err) CF_MUST_CHECK;

/* Revoke the current certificate of `name` (STATE/certs/name/cert.pem)
 * with an RFC 5280 reason code, signed by the account key, or with
 * with_cert_key by the certificate's own key (JWK).  *serial (malloc'd)
 * receives the revoked certificate's serial, lower-case hex. */
cf_rc cf_engine_revoke(struct cf_engine *e, const char *name, int reason,
		       int with_cert_key, char **serial,
		       struct cf_err *err) CF_MUST_CHECK;

/*
 * Order, validate, finalize, download and store one certificate.  An order
 * saved by an earlier run for the same name and names (engine/orders.h) is
 * resumed instead of placing a new one; the order is saved right after
 * newOrder and again with key and CSR before finalize, and forgotten once
 * the certificate is stored or the CA calls it invalid.  CF_ERR_PENDING
 * when the wait budget ends first (the order stays saved).  A newOrder
 * carrying "replaces" that the CA refuses is placed once more without it.
 */
cf_rc cf_engine_issue(struct cf_engine *e, const struct cf_issue_opts *o,
		      struct cf_issue_result *res, struct cf_err *err) CF_MUST_CHECK;
void cf_issue_result_free(struct cf_issue_result *r);

#endif
