/* issue.c - one issuance: order, validate, finalize, download, store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "core/time.h"
#include "crypto/csr.h"
#include "crypto/jws.h"
#include "crypto/x509.h"
#include "engine/engine.h"
#include "engine/orders.h"
#include "engine/preflight.h"
#include "store/atomic.h"

void
cf_issue_result_free(struct cf_issue_result *r)
{
	if (r == NULL)
		return;
	free(r->cert_path);
	free(r->serial);
	free(r->issuer);
	free(r->ari_cert_id);
	for (size_t i = 0; i < r->nchains; i++)
		free(r->chains[i]);
	free(r->chains);
	cf_delivery_free(&r->delivery);
	memset(r, 0, sizeof(*r));
}

/* One challenge being worked on. */
struct pending {
	struct cf_acme_authz authz;
	json_t *chall;                 /* borrowed from authz.raw */
	char *keyauth;                 /* secret-ish */
	struct cf_challenge_task task;
	int presented;
	struct cf_acme_chall_answer answer; /* the CA's answer to it */
};

/* One order being carried through: what validation and finalize need. */
struct order_run {
	struct cf_engine *e;
	const struct cf_issue_opts *o;
	struct cf_saved_order *so;     /* the order's saved state */
	time_t expires;                /* the order's expiry */
};

static cf_rc key_and_csr_saved(const struct order_run *r,
			       struct cf_err *err) CF_MUST_CHECK;

static void
pending_free(struct pending *p)
{
	cf_acme_authz_free(&p->authz);
	if (p->keyauth)
		OPENSSL_clear_free(p->keyauth, strlen(p->keyauth));
	memset(p, 0, sizeof(*p));
}

static void
offered_types(const struct cf_acme_authz *z, char *buf, size_t len)
{
	json_t *c;
	size_t i, pos = 0;

	buf[0] = '\0';
	json_array_foreach(z->challenges, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		int n = snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "",
				 t ? t : "?");
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
	}
	if (pos == 0)
		snprintf(buf, len, "none");
}

/* Fetch one authorization of the order and check it against the names;
 * one that is valid already needs nothing (*need 0). */
static cf_rc
fetch_authz(struct cf_engine *e, const char *url,
	    const struct cf_issue_opts *io, unsigned char *seen,
	    struct pending *q, int *need, struct cf_err *err)
{
	cf_rc rc;

	*need = 0;
	if ((rc = cf_acme_get_authz(e->acme, url, &q->authz, err)) != CF_OK)
		return rc;
	if ((rc = cf_acme_authz_check(&q->authz, io->names, io->nnames, seen,
				      err)) != CF_OK) {
		/* Final: resuming this order would meet it again. */
		cf_acme_authz_free(&q->authz);
		cf_saved_order_remove(e->state, io->spec->name);
		return rc;
	}
	if (strcmp(q->authz.status, "valid") == 0) {
		cf_info("%s: already validated at the CA, no challenge needed",
			q->authz.identifier);
		cf_acme_authz_free(&q->authz);
		return CF_OK;
	}
	if (strcmp(q->authz.status, "pending") != 0) {
		rc = cf_err_set(err, CF_ERR_ACME,
				"authorization for %s is %s at the CA",
				q->authz.identifier, q->authz.status);
		cf_acme_authz_free(&q->authz);
		return rc;
	}
	*need = 1;
	return CF_OK;
}

/* The challenge of q that v answers, and its task. */
static cf_rc
challenge_task(struct cf_engine *e, struct cf_validator *v, struct pending *q,
	       struct cf_err *err)
{
	char offered[256];
	const char *token;
	cf_rc rc;

	if (v == NULL || v->challenge_type == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s needs validation but no validation method "
				  "is configured", q->authz.identifier);
	if ((q->chall = cf_acme_authz_challenge(&q->authz, v->challenge_type)) ==
	    NULL) {
		offered_types(&q->authz, offered, sizeof(offered));
		return cf_err_set(err, CF_ERR_ACME,
				  "the CA offers no %s challenge for %s "
				  "(offered: %s): choose another --validation",
				  v->challenge_type, q->authz.identifier, offered);
	}
	token = json_string_value(json_object_get(q->chall, "token"));
	q->task.identifier = q->authz.identifier;
	q->task.wildcard = q->authz.wildcard;
	q->task.type = v->challenge_type;
	q->task.token = token;
	if ((rc = cf_engine_account_ready(e, err)) != CF_OK ||
	    (rc = cf_key_authorization(token, e->thumbprint, &q->keyauth,
				       err)) != CF_OK)
		return rc;
	q->task.key_authorization = q->keyauth;
	return CF_OK;
}

/* Present every proof, then answer every challenge (so the CA validates
 * the names of the order in parallel), make and save the key and CSR
 * while it does, then wait for each authorization that the CA's answer
 * did not already say is valid. */
static cf_rc
present_and_answer(const struct order_run *r, struct pending *p, size_t n,
		   size_t *answered, struct cf_err *err)
{
	struct cf_validator *v = r->o->validator;
	cf_rc rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = v->present(v->ctx, &p[i].task, err)) != CF_OK)
			return cf_err_wrap(err, "%s", p[i].task.identifier);
		p[i].presented = 1;
	}
	if (v->ready != NULL && (rc = v->ready(v->ctx, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = cf_acme_challenge_answer(r->e->acme, p[i].chall,
						   &p[i].answer, err)) != CF_OK)
			return cf_err_wrap(err, "%s challenge for %s",
					   v->challenge_type,
					   p[i].task.identifier);
		(*answered)++;
	}
	if ((rc = key_and_csr_saved(r, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!p[i].answer.valid &&
		    (rc = cf_acme_authz_wait_after(r->e->acme, p[i].authz.url,
						   &p[i].answer, err)) != CF_OK)
			return rc;
	cf_info("validated %zu name%s with %s", n, n == 1 ? "" : "s",
		v->challenge_type);
	return CF_OK;
}

/*
 * Solve every authorization of the order together: check every
 * authorization against the names before any proof is presented, present
 * all proofs, answer all challenges, then poll; clean every proof up at
 * the end, also on failure.
 */
static cf_rc
solve_authorizations(const struct order_run *r, struct cf_acme_order *o,
		     size_t *answered, struct cf_err *err)
{
	const struct cf_issue_opts *io = r->o;
	struct cf_validator *v = io->validator;
	struct pending *p;
	unsigned char *seen;
	size_t n = 0;
	int need;
	cf_rc rc = CF_OK;

	*answered = 0;
	p = calloc(o->nauthz + 1, sizeof(*p));
	seen = calloc(io->nnames + 1, 1);
	if (p == NULL || seen == NULL) {
		free(p);
		free(seen);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < o->nauthz && rc == CF_OK; i++) {
		if ((rc = fetch_authz(r->e, o->authz_urls[i], io, seen, &p[n],
				      &need, err)) == CF_OK && need)
			rc = challenge_task(r->e, v, &p[n++], err);
	}
	if (rc == CF_OK && n > 0)
		rc = present_and_answer(r, p, n, answered, err);
	for (size_t i = 0; i < n; i++) {
		if (p[i].presented && v->cleanup != NULL)
			v->cleanup(v->ctx, &p[i].task);
		pending_free(&p[i]);
	}
	free(p);
	free(seen);
	return rc;
}

/* The leaf names exactly what was ordered (CSR names = order names = leaf
 * SANs; a subject CN, if any, is one of them), whatever the CA put in it. */
static cf_rc
leaf_names_check(const struct cf_cert_info *ci, const struct cf_issue_opts *o,
		 struct cf_err *err)
{
	char msg[CF_ERR_MSG_MAX - 32];

	if (cf_acme_names_same_set("a certificate",
				   (const char *const *)ci->names, ci->nnames,
				   o->names, o->nnames, err) == CF_OK) {
		if (ci->subject_cn == NULL ||
		    cf_acme_name_index(o->names, o->nnames, ci->subject_cn) >= 0)
			return CF_OK;
		cf_err_set(err, CF_ERR_PROTO,
			   "the CA returned a certificate whose subject names %s, "
			   "which was not ordered", ci->subject_cn);
	}
	memcpy(msg, err->msg, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	return cf_err_set(err, CF_ERR_PROTO, "%s; nothing was installed", msg);
}

/* Record the topmost issuer CN of the chain pem in res->chains. */
static cf_rc
note_chain(const char *pem, size_t len, struct cf_issue_result *res,
	   struct cf_err *err)
{
	char **nc, *cn = NULL;
	cf_rc rc;

	if ((rc = cf_pem_chain_top_issuer_cn(pem, len, &cn, err)) != CF_OK)
		return cf_err_wrap(err, "certificate chain from the CA");
	if ((nc = realloc(res->chains, (res->nchains + 1) * sizeof(*nc))) ==
	    NULL) {
		free(cn);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	res->chains = nc;
	nc[res->nchains++] = cn;
	return CF_OK;
}

/*
 * The chains the CA offers (RFC 8555 §7.4.2): the default one in *pem and
 * each alternate, fetched to learn its topmost issuer (listed by `show`).
 * With --preferred-chain, the first whose topmost certificate is issued
 * by that CN replaces *pem (certbot's rule); none matching keeps the
 * default.  An alternate that cannot be fetched, or holds another leaf
 * than the default chain, is skipped with a warning: never installed.
 */
static cf_rc
choose_chain(struct cf_engine *e, const struct cf_issue_opts *o, char **pem,
	     size_t *len, const char *leaf, char **alts, size_t nalts,
	     struct cf_issue_result *res, struct cf_err *err)
{
	const char *want = o->spec->preferred_chain;
	char *apem = NULL, *aleaf = NULL, *achain = NULL;
	size_t alen = 0;
	int found;
	cf_rc rc;

	if ((rc = note_chain(*pem, *len, res, err)) != CF_OK)
		return rc;
	found = want != NULL && strcmp(res->chains[0], want) == 0;
	for (size_t i = 0; i < nalts; i++) {
		/* An alternate that cannot be had is skipped: the default
		 * chain is good. */
		if (cf_acme_download(e->acme, alts[i], &apem, &alen, err) !=
			    CF_OK ||
		    cf_pem_split_chain(apem, alen, &aleaf, &achain, err) !=
			    CF_OK ||
		    note_chain(apem, alen, res, err) != CF_OK) {
			if (err->rc == CF_ERR_NOMEM) {
				rc = CF_ERR_NOMEM;
				break;
			}
			cf_warn("%s: alternate chain %s skipped: %s",
				o->spec->name, alts[i], err->msg);
			cf_err_clear(err);
		} else if (strcmp(aleaf, leaf) != 0) {
			cf_warn("%s: alternate chain %s refused: it holds another "
				"certificate than the CA's default chain",
				o->spec->name, alts[i]);
			free(res->chains[--res->nchains]);
		} else if (!found && want != NULL &&
		    strcmp(res->chains[res->nchains - 1], want) == 0) {
			found = 1;
			res->chain_selected = res->nchains - 1;
			free(*pem);
			*pem = apem;
			*len = alen;
			apem = NULL;
		}
		free(apem);
		free(aleaf);
		free(achain);
		apem = aleaf = achain = NULL;
	}
	if (rc != CF_OK)
		goto out;
	if (want != NULL && !found)
		cf_warn("%s: the CA offers no chain whose topmost certificate is "
			"issued by \"%s\"; keeping its default chain (issued by "
			"\"%s\")", o->spec->name, want, res->chains[0]);
	else if (want != NULL)
		cf_info("%s: chain issued by \"%s\" selected", o->spec->name,
			want);
out:
	free(apem);
	free(aleaf);
	free(achain);
	return rc;
}

/* The certificate chain the CA issued (the preferred one when asked):
 * *pem the full chain, *leaf and *chain its parts. */
static cf_rc
fetch_chain(struct cf_engine *e, const struct cf_issue_opts *o,
	    const struct cf_acme_order *ord, char **pem, size_t *len,
	    char **leaf, char **chain, struct cf_issue_result *res,
	    struct cf_err *err)
{
	char **alts = NULL;
	size_t nalts = 0;
	cf_rc rc;

	if ((rc = cf_acme_download_alt(e->acme, ord->certificate, pem, len,
				       &alts, &nalts, err)) != CF_OK)
		return rc;
	if ((rc = cf_pem_split_chain(*pem, *len, leaf, chain, err)) != CF_OK) {
		cf_err_wrap(err, "certificate from the CA");
		goto out;
	}
	if ((rc = choose_chain(e, o, pem, len, *leaf, alts, nalts, res, err)) !=
	    CF_OK)
		goto out;
	if (res->chain_selected != 0) {
		free(*leaf);
		free(*chain);
		*leaf = *chain = NULL;
		rc = cf_pem_split_chain(*pem, *len, leaf, chain, err);
	}
out:
	while (nalts > 0)
		free(alts[--nalts]);
	free(alts);
	return rc;
}

/* The leaf is for our key (without the key, issue --csr alone: the
 * CSR's) and names exactly what was ordered; ci gets its details.  A leaf
 * that is not forgets the saved order. */
static cf_rc
check_leaf(struct cf_engine *e, const struct cf_issue_opts *o, EVP_PKEY *key,
	   const struct cf_saved_order *so, const char *leaf,
	   struct cf_cert_info *ci, struct cf_err *err)
{
	struct cf_csr_info csr;
	cf_rc rc;

	memset(&csr, 0, sizeof(csr));
	if (key == NULL &&
	    (rc = cf_csr_parse((const char *)so->csr, so->csr_len, &csr, err)) !=
		    CF_OK)
		goto out;
	if (!cf_cert_matches_key(leaf, strlen(leaf), key ? key : csr.pub)) {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"the CA returned a certificate for another key; "
				"nothing was installed");
		cf_saved_order_remove(e->state, o->spec->name);
		goto out;
	}
	if ((rc = cf_cert_info_from_pem(leaf, strlen(leaf), ci, err)) != CF_OK)
		goto out;
	if ((rc = leaf_names_check(ci, o, err)) != CF_OK)
		cf_saved_order_remove(e->state, o->spec->name);
out:
	cf_csr_info_free(&csr);
	return rc;
}

/* Store key and chain in the state folder; res takes the details. */
static cf_rc
store_cert(struct cf_engine *e, const char *name, EVP_PKEY *key,
	   const char *leaf, const char *chain, const char *pem,
	   struct cf_cert_info *ci, struct cf_issue_result *res,
	   struct cf_err *err)
{
	struct cf_cert_files f;
	char *kpem = NULL;
	size_t klen = 0;
	cf_rc rc;

	if (key != NULL && (rc = cf_key_to_pem(key, &kpem, &klen, err)) != CF_OK)
		return rc;
	f.key_pem = kpem;
	f.key_len = klen;
	f.cert_pem = leaf;
	f.chain_pem = chain;
	f.fullchain_pem = pem;
	rc = cf_state_cert_install(e->state, name, &f, err);
	if (kpem)
		OPENSSL_clear_free(kpem, klen);
	if (rc != CF_OK ||
	    (rc = cf_state_cert_path(e->state, name, "", &res->cert_path, err)) !=
		    CF_OK)
		return rc;
	res->cert_path[strlen(res->cert_path) - 1] = '\0'; /* drop the '/' */
	res->serial = ci->serial_hex;
	res->issuer = ci->issuer;
	ci->serial_hex = ci->issuer = NULL;
	res->not_before = ci->not_before;
	res->not_after = ci->not_after;
	snprintf(res->key_desc, sizeof(res->key_desc), "%s", ci->key_desc);
	/* No AKI, no ARI: not an error, the lifetime rule applies then. */
	if (cf_cert_ari_id(leaf, strlen(leaf), &res->ari_cert_id, NULL) != CF_OK)
		res->ari_cert_id = NULL;
	return CF_OK;
}

/* Download and check the chain, store it with its key, deliver it. */
static cf_rc
download_and_store(struct cf_engine *e, const struct cf_issue_opts *o,
		   struct cf_acme_order *ord, EVP_PKEY *key,
		   const struct cf_saved_order *so, struct cf_issue_result *res,
		   struct cf_err *err)
{
	char *pem = NULL, *leaf = NULL, *chain = NULL;
	size_t len = 0;
	struct cf_cert_bundle b;
	struct cf_cert_info ci;
	cf_rc rc;

	memset(&ci, 0, sizeof(ci));
	if ((rc = fetch_chain(e, o, ord, &pem, &len, &leaf, &chain, res,
			      err)) != CF_OK ||
	    (rc = check_leaf(e, o, key, so, leaf, &ci, err)) != CF_OK ||
	    (rc = store_cert(e, o->spec->name, key, leaf, chain, pem, &ci, res,
			     err)) != CF_OK)
		goto out;
	memset(&b, 0, sizeof(b));
	b.key = key;
	b.leaf_pem = leaf;
	b.chain_pem = chain;
	b.fullchain_pem = pem;
	b.names = o->names;
	b.nnames = o->nnames;
	rc = cf_deliver(e->state, o->spec, &b, &res->delivery, err);
out:
	cf_cert_info_free(&ci);
	free(pem);
	free(leaf);
	free(chain);
	return rc;
}

/* newOrder, with "replaces" when asked and the spec's profile; a CA that
 * refuses "replaces" (or has trouble with it) gets the order once more
 * without it: ARI never blocks a renewal.  A profile the directory does
 * not advertise is refused before anything is sent. */
static cf_rc
place_order(struct cf_engine *e, const struct cf_issue_opts *o,
	    struct cf_acme_order *ord, struct cf_issue_result *res,
	    struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	json_t *extra = NULL;
	cf_rc rc;

	if (o->spec->profile != NULL &&
	    ((rc = cf_acme_get_directory(e->acme, &dir, err)) != CF_OK ||
	     (rc = cf_acme_profile_check(dir, o->spec->profile, err)) != CF_OK))
		return rc;
	if ((extra = json_object()) == NULL ||
	    (o->spec->profile != NULL &&
	     json_object_set_new(extra, "profile",
				 json_string(o->spec->profile)) != 0)) {
		json_decref(extra);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if (o->replaces != NULL) {
		if (json_object_set_new(extra, "replaces",
					json_string(o->replaces)) != 0) {
			json_decref(extra);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
		rc = cf_acme_new_order(e->acme, o->names, o->nnames, extra, ord,
				       err);
		if (rc != CF_ERR_ACME && rc != CF_ERR_PROTO) {
			json_decref(extra);
			return rc;
		}
		cf_warn("%s: the CA refused the order with \"replaces\" (%s); "
			"ordering again without it", o->spec->name, err->msg);
		res->replaces_dropped = 1;
		cf_err_clear(err);
		json_object_del(extra, "replaces");
	}
	rc = cf_acme_new_order(e->acme, o->names, o->nnames, extra, ord, err);
	json_decref(extra);
	return rc;
}

/* Resume the order saved for this name, if any and still usable: *resumed
 * 1 with ord and so filled.  A saved order the CA calls invalid is
 * forgotten and reported with its problem document. */
static cf_rc
resume_order(struct cf_engine *e, const struct cf_issue_opts *o,
	     struct cf_acme_order *ord, struct cf_saved_order *so, int *resumed,
	     struct cf_err *err)
{
	const char *name = o->spec->name;
	char buf[CF_ERR_MSG_MAX - 128];
	cf_rc rc;

	*resumed = 0;
	rc = cf_saved_order_load(e->state, name, so, err);
	if (rc == CF_ERR_NOTFOUND) {
		cf_err_clear(err);
		return CF_OK;
	}
	if (rc != CF_OK) {
		cf_warn("%s: ignoring the saved order: %s", name, err->msg);
		cf_err_clear(err);
		cf_saved_order_remove(e->state, name);
		return CF_OK;
	}
	if (!cf_saved_order_same_names(so, o->names, o->nnames)) {
		cf_warn("%s: the saved order %s is for other names; placing a "
			"new order", name, so->url);
		cf_saved_order_remove(e->state, name);
		cf_saved_order_free(so);
		return CF_OK;
	}
	if (so->deadline != 0 && so->deadline < time(NULL)) {
		cf_warn("%s: the saved order %s has expired; placing a new order",
			name, so->url);
		cf_saved_order_remove(e->state, name);
		cf_saved_order_free(so);
		return CF_OK;
	}
	if ((ord->url = strdup(so->url)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = cf_acme_order_refresh(e->acme, ord, err);
	if (rc == CF_ERR_ACME) {
		/* Gone at the CA (404, expired): nothing left to resume. */
		cf_warn("%s: the saved order %s is gone at the CA (%s); placing a "
			"new order", name, so->url, err->msg);
		cf_err_clear(err);
		cf_saved_order_remove(e->state, name);
		cf_saved_order_free(so);
		cf_acme_order_free(ord);
		return CF_OK;
	}
	if (rc != CF_OK)
		return cf_err_wrap(err, "resuming the saved order %s", so->url);
	if (strcmp(ord->status, "invalid") == 0) {
		cf_acme_problem_format(json_object_get(ord->raw, "error"), buf,
				       sizeof(buf));
		cf_saved_order_remove(e->state, name);
		return cf_err_set(err, CF_ERR_ACME,
				  "the CA marked the saved order %s invalid: %s",
				  so->url, buf);
	}
	if ((rc = cf_acme_order_check(ord, o->names, o->nnames, err)) != CF_OK) {
		cf_saved_order_remove(e->state, name);
		return rc;
	}
	cf_info("%s: resuming the order %s (status %s)", name, so->url,
		ord->status);
	*resumed = 1;
	return CF_OK;
}

/* The certificate's key: the --key file, the current one with
 * --reuse-key, else new. */
static cf_rc
certificate_key(struct cf_engine *e, const struct cf_issue_opts *o,
		EVP_PKEY **key, struct cf_err *err)
{
	char *path = NULL, *pem = NULL;
	size_t len = 0;
	cf_rc rc;

	if (o->spec->key_file != NULL)
		return cf_byo_key_load(o->spec->key_file, key, err);
	if (o->spec->reuse_key &&
	    cf_state_cert_path(e->state, o->spec->name, "privkey.pem", &path,
			       err) == CF_OK &&
	    cf_file_read(path, 64 * 1024, &pem, &len, err) == CF_OK) {
		rc = cf_key_from_pem(pem, len, key, err);
		OPENSSL_clear_free(pem, len);
		free(path);
		if (rc == CF_OK)
			cf_info("%s: reusing the current private key", o->spec->name);
		return rc;
	}
	free(path);
	cf_err_clear(err);
	return cf_key_generate(o->spec->key_type, key, err);
}

/*
 * Key and CSR for finalize.  A bring-your-own CSR (issue --csr) is sent as
 * it is, read again every run: it must still name exactly what is ordered,
 * and a --key given with it must be its key.  Without --key, *key stays
 * NULL: the certificate is stored without a key.
 */
static cf_rc
key_and_csr(struct cf_engine *e, const struct cf_issue_opts *o,
	    EVP_PKEY **key, unsigned char **csr, size_t *csr_len,
	    struct cf_err *err)
{
	struct cf_csr_info ci;
	cf_rc rc;

	if (o->spec->csr_file == NULL) {
		if ((rc = certificate_key(e, o, key, err)) != CF_OK)
			return rc;
		return cf_csr_build(*key, o->names, o->nnames, csr, csr_len, err);
	}
	if ((rc = cf_byo_load(o->spec, o->names, o->nnames, key, &ci, err)) !=
	    CF_OK)
		return rc;
	*csr = ci.der;
	*csr_len = ci.der_len;
	ci.der = NULL;
	cf_csr_info_free(&ci);
	return CF_OK;
}

/* A new order, saved at once: a run cut short resumes this very order. */
static cf_rc
new_order(struct cf_engine *e, const struct cf_issue_opts *o,
	  struct cf_acme_order *ord, struct cf_saved_order *so,
	  time_t *expires, struct cf_issue_result *res, struct cf_err *err)
{
	const char *s;
	cf_rc rc;

	/* The connection to the CA is made (TLS, directory, nonce) while the
	 * responder starts.  A responder that could not bind its port fails
	 * here, before the order: nothing that cannot be validated is
	 * ordered. */
	if ((rc = cf_acme_warm_up(e->acme, err)) != CF_OK ||
	    (rc = cf_validator_started(o->validator, err)) != CF_OK)
		return rc;
	cf_info("ordering a certificate for %s%s", o->names[0],
		o->nnames > 1 ? " and more" : "");
	if ((rc = place_order(e, o, ord, res, err)) != CF_OK ||
	    (rc = cf_acme_order_check(ord, o->names, o->nnames, err)) != CF_OK)
		return rc;
	if ((s = json_string_value(json_object_get(ord->raw, "expires"))))
		(void)cf_rfc3339_parse(s, expires);
	so->url = ord->url;
	so->names = (char **)o->names;
	so->nnames = o->nnames;
	so->deadline = *expires;
	rc = cf_saved_order_save(e->state, o->spec->name, so, err);
	so->url = NULL;
	so->names = NULL;
	so->nnames = 0;
	if (rc != CF_OK)
		return rc;
	if ((so->url = strdup(ord->url)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* Key and CSR made and saved, once per order (kept in so): BEFORE
 * finalize, since after it the CA may issue at any moment for exactly
 * this key.  Done while the CA validates the names (present_and_answer),
 * or just before finalize when there was nothing to validate. */
static cf_rc
key_and_csr_saved(const struct order_run *r, struct cf_err *err)
{
	struct cf_saved_order *so = r->so;
	cf_rc rc;

	if (so->csr != NULL)
		return CF_OK;
	if ((rc = key_and_csr(r->e, r->o, &so->key, &so->csr, &so->csr_len,
			      err)) != CF_OK)
		return rc;
	if (so->names == NULL) {
		so->names = (char **)r->o->names;
		so->nnames = r->o->nnames;
		so->deadline = r->expires;
		rc = cf_saved_order_save(r->e->state, r->o->spec->name, so, err);
		so->names = NULL;
		so->nnames = 0;
		return rc;
	}
	return cf_saved_order_save(r->e->state, r->o->spec->name, so, err);
}

/* Validate (when pending), finalize (when pending or ready). */
static cf_rc
validate_and_finalize(const struct order_run *r, struct cf_acme_order *ord,
		      struct cf_issue_result *res, struct cf_err *err)
{
	int authz_done = 0;
	cf_rc rc;

	if (strcmp(ord->status, "pending") == 0) {
		if ((rc = solve_authorizations(r, ord, &res->challenges_answered,
					       err)) != CF_OK)
			return rc;
		/* Every authorization is valid now, so the order is ready
		 * (RFC 8555 §7.1.6): finalize without asking.  A CA that is
		 * slower to notice answers orderNotReady, and cf_acme_finalize
		 * then waits for "ready" and tries again. */
		authz_done = 1;
	}
	if (strcmp(ord->status, "pending") != 0 &&
	    strcmp(ord->status, "ready") != 0)
		return CF_OK;
	if (!authz_done &&
	    (rc = cf_acme_order_wait(r->e->acme, ord, "ready", err)) != CF_OK)
		return rc;
	if ((rc = key_and_csr_saved(r, err)) != CF_OK)
		return rc;
	return cf_acme_finalize(r->e->acme, ord, r->so->csr, r->so->csr_len, err);
}

/* The order is valid (or about to be): install its certificate. */
static cf_rc
complete_order(struct cf_engine *e, const struct cf_issue_opts *o,
	       struct cf_acme_order *ord, struct cf_saved_order *so,
	       struct cf_issue_result *res, struct cf_err *err)
{
	cf_rc rc;

	if ((rc = cf_acme_order_wait(e->acme, ord, "valid", err)) != CF_OK)
		return rc;
	if (ord->certificate == NULL)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the CA's valid order has no certificate URL");
	if (so->key == NULL && so->csr == NULL) {
		cf_saved_order_remove(e->state, o->spec->name);
		return cf_err_set(err, CF_ERR_IO,
				  "the order %s is valid but its key was not "
				  "saved: cannot install it", ord->url);
	}
	/* Kept on failure: the next run downloads the same certificate. */
	if ((rc = download_and_store(e, o, ord, so->key, so, res, err)) == CF_OK)
		cf_saved_order_remove(e->state, o->spec->name);
	return rc;
}

cf_rc
cf_engine_issue(struct cf_engine *e, const struct cf_issue_opts *o,
		struct cf_issue_result *res, struct cf_err *err)
{
	struct cf_acme_order ord;
	struct cf_saved_order so;
	struct order_run run = { .e = e, .o = o, .so = &so };
	int lockfd = -1, resumed = 0;
	cf_rc rc;

	memset(res, 0, sizeof(*res));
	memset(&ord, 0, sizeof(ord));
	memset(&so, 0, sizeof(so));
	if (e->account_url == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "no account loaded");
	if (!o->lock_held &&
	    (rc = cf_state_lock(e->state, o->spec->name, &lockfd, err)) != CF_OK)
		return rc;
	if ((rc = resume_order(e, o, &ord, &so, &resumed, err)) != CF_OK)
		goto out;
	res->resumed = resumed;
	if ((resumed ||
	     (rc = new_order(e, o, &ord, &so, &run.expires, res, err)) ==
		     CF_OK) &&
	    (rc = validate_and_finalize(&run, &ord, res, err)) == CF_OK)
		rc = complete_order(e, o, &ord, &so, res, err);
out:
	if (rc == CF_ERR_ACME && ord.status != NULL &&
	    strcmp(ord.status, "invalid") == 0)
		cf_saved_order_remove(e->state, o->spec->name);
	if (rc == CF_ERR_PENDING)
		cf_err_wrap(err, "the order is saved and the next run resumes it");
	if (!o->lock_held)
		cf_state_unlock(lockfd);
	cf_saved_order_free(&so);
	cf_acme_order_free(&ord);
	return rc;
}
