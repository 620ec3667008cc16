/*
 * fake_http.h - a scripted CA for the unit tests of src/acme.
 *
 * Owns: a cf_http_ops (http/client.h, the client's test seam) that answers
 * each request with the next scripted answer (status, headers, body, or a
 * client error such as CF_ERR_NET) and records every request: method, URL,
 * and of a POST the flattened JWS decoded (protected header nonce, url,
 * kid or jwk, and the payload); and a test signer (fk_sign) that builds
 * such a JWS without a key.  Nothing here touches the network; the
 * transport's real waits (backoff, Retry-After) still happen, so tests
 * script short ones.
 */
#ifndef CF_FAKE_HTTP_H
#define CF_FAKE_HTTP_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme/acme.h"
#include "crypto/b64.h"
#include "crypto_test_util.h"

#define FK_MAX 64
#define FK_DIR "https://ca.test/dir"
#define FK_PROBLEM "application/problem+json"
#define FK_ERR "urn:ietf:params:acme:error:"

/* One scripted answer.  rc other than CF_OK: the client fails with it. */
struct fk_answer {
	cf_rc rc;
	long status;
	const char *content_type;
	const char *body;
	const char *nonce;              /* Replay-Nonce */
	const char *location;
	const char *retry_after;
	const char *links[4];           /* Link header values */
};

/* One request as the CA saw it. */
struct fk_request {
	char *method;
	char *url;
	char *content_type;
	size_t cap;
	/* a POST's JWS, decoded */
	char *jws_nonce, *jws_url, *jws_kid;
	int jws_jwk;                    /* the protected header has a jwk */
	int post_as_get;                /* payload "" */
	json_t *payload;                /* the payload's JSON, or NULL */
};

struct fake_http {
	struct fk_answer answers[FK_MAX];
	size_t nanswers, next;
	struct fk_request reqs[FK_MAX];
	size_t nreqs;
	struct cf_http_ops ops;
	struct cf_acme_signer signer;
	int signs;                      /* calls of fk_sign */
	char *owned[FK_MAX];            /* bodies made here, freed by fk_free */
	size_t nowned;
};

static inline void
fk_push(struct fake_http *f, struct fk_answer a)
{
	if (f->nanswers < FK_MAX)
		f->answers[f->nanswers++] = a;
}

/* An answer with a JSON body (application/json) and a Replay-Nonce. */
static inline void
fk_push_json(struct fake_http *f, long status, const char *body,
	     const char *nonce)
{
	fk_push(f, (struct fk_answer){ .status = status,
				       .content_type = "application/json",
				       .body = body, .nonce = nonce });
}

/* A problem document answer. */
static inline void
fk_push_problem(struct fake_http *f, long status, const char *type,
		const char *detail, const char *nonce)
{
	char *body = NULL;
	json_t *j = json_pack("{s:s,s:s,s:i}", "type", type, "detail", detail,
			      "status", (int)status);

	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (f->nowned < FK_MAX)
		f->owned[f->nowned++] = body;
	fk_push(f, (struct fk_answer){ .status = status,
				       .content_type = FK_PROBLEM, .body = body,
				       .nonce = nonce });
}

#define FK_DIRECTORY_JSON                                                   \
	"{\"newNonce\":\"https://ca.test/nonce\","                          \
	"\"newAccount\":\"https://ca.test/acct\","                          \
	"\"newOrder\":\"https://ca.test/order\","                           \
	"\"revokeCert\":\"https://ca.test/revoke\","                        \
	"\"keyChange\":\"https://ca.test/keychange\","                      \
	"\"renewalInfo\":\"https://ca.test/ari\","                          \
	"\"meta\":{\"termsOfService\":\"https://ca.test/tos\","             \
	"\"externalAccountRequired\":true,"                                 \
	"\"profiles\":{\"classic\":\"the usual\"}}}"

/* The directory, then newNonce answering nonce "n0". */
static inline void
fk_push_directory_and_nonce(struct fake_http *f)
{
	fk_push_json(f, 200, FK_DIRECTORY_JSON, NULL);
	fk_push(f, (struct fk_answer){ .status = 200, .nonce = "n0" });
}

static inline char *
fk_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Decode a flattened JWS body into r. */
static inline void
fk_decode_jws(struct fk_request *r, const char *body, size_t len)
{
	json_t *jws = json_loadb(body, len, 0, NULL), *prot = NULL;
	const char *p64 = json_string_value(json_object_get(jws, "protected"));
	const char *pl64 = json_string_value(json_object_get(jws, "payload"));
	char *ptxt = p64 ? tu_b64url_decode_str(p64) : NULL;
	char *pl = pl64 ? tu_b64url_decode_str(pl64) : NULL;

	if (ptxt != NULL && (prot = json_loads(ptxt, 0, NULL)) != NULL) {
		r->jws_nonce = fk_strdup(
			json_string_value(json_object_get(prot, "nonce")));
		r->jws_url = fk_strdup(
			json_string_value(json_object_get(prot, "url")));
		r->jws_kid = fk_strdup(
			json_string_value(json_object_get(prot, "kid")));
		r->jws_jwk = json_object_get(prot, "jwk") != NULL;
	}
	r->post_as_get = pl != NULL && *pl == '\0';
	if (pl != NULL && *pl != '\0')
		r->payload = json_loads(pl, 0, NULL);
	json_decref(prot);
	json_decref(jws);
	free(ptxt);
	free(pl);
}

static inline cf_rc
fk_answer_into(const struct fk_answer *an, size_t cap,
	       struct cf_http_resp *resp, struct cf_err *err)
{
	const char *body = an->body ? an->body : "";

	if (strlen(body) > cap)
		return cf_err_set(err, CF_ERR_PROTO,
				  "fake: response body larger than the %zu-byte "
				  "limit", cap);
	resp->status = an->status;
	resp->body = strdup(body);
	resp->body_len = strlen(body);
	resp->content_type = fk_strdup(an->content_type);
	resp->replay_nonce = fk_strdup(an->nonce);
	resp->location = fk_strdup(an->location);
	resp->retry_after = fk_strdup(an->retry_after);
	for (size_t i = 0; i < 4 && an->links[i] != NULL; i++) {
		char **nl = realloc(resp->links, (i + 1) * sizeof(*nl));
		if (nl == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		resp->links = nl;
		nl[i] = strdup(an->links[i]);
		resp->nlinks = i + 1;
	}
	return CF_OK;
}

static inline cf_rc
fk_request_cb(void *ctx, const char *method, const char *url,
	      const char *content_type, const char *body, size_t body_len,
	      size_t cap, struct cf_http_resp *resp, struct cf_err *err)
{
	struct fake_http *f = ctx;
	const struct fk_answer *an;
	struct fk_request *r;

	if (f->nreqs >= FK_MAX)
		return cf_err_set(err, CF_ERR_INTERNAL, "fake: too many requests");
	r = &f->reqs[f->nreqs++];
	r->method = strdup(method);
	r->url = strdup(url);
	r->content_type = fk_strdup(content_type);
	r->cap = cap;
	if (strcmp(method, "POST") == 0 && body != NULL)
		fk_decode_jws(r, body, body_len);
	if (f->next >= f->nanswers)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "fake: no answer scripted for %s %s", method,
				  url);
	an = &f->answers[f->next++];
	if (an->rc != CF_OK)
		return cf_err_set(err, an->rc, "fake: %s %s: scripted failure",
				  method, url);
	return fk_answer_into(an, cap, resp, err);
}

/* The test signer: a flattened JWS with an empty signature. */
static inline cf_rc
fk_sign(void *ctx, const char *url, const char *nonce, const char *kid,
	const char *payload, char **jws, struct cf_err *err)
{
	struct fake_http *f = ctx;
	json_t *prot, *j;
	char *ptxt, *p64, *pl64;

	f->signs++;
	prot = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "nonce", nonce, "url",
			 url);
	if (kid != NULL)
		json_object_set_new(prot, "kid", json_string(kid));
	else
		json_object_set_new(prot, "jwk", json_pack("{s:s}", "kty", "EC"));
	ptxt = json_dumps(prot, JSON_COMPACT);
	p64 = cf_b64url_encode(ptxt, strlen(ptxt));
	pl64 = cf_b64url_encode(payload, strlen(payload));
	j = json_pack("{s:s,s:s,s:s}", "protected", p64, "payload", pl64,
		      "signature", "");
	*jws = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	json_decref(prot);
	free(ptxt);
	free(p64);
	free(pl64);
	return *jws != NULL ? CF_OK : cf_err_set(err, CF_ERR_NOMEM, "oom");
}

static inline void
fk_init(struct fake_http *f)
{
	memset(f, 0, sizeof(*f));
	f->ops.request = fk_request_cb;
	f->ops.ctx = f;
	f->signer.sign = fk_sign;
	f->signer.ctx = f;
}

static inline void
fk_free(struct fake_http *f)
{
	for (size_t i = 0; i < f->nreqs; i++) {
		struct fk_request *r = &f->reqs[i];
		free(r->method);
		free(r->url);
		free(r->content_type);
		free(r->jws_nonce);
		free(r->jws_url);
		free(r->jws_kid);
		json_decref(r->payload);
	}
	for (size_t i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	fk_init(f);
}

/* A cf_acme on FK_DIR talking to f, with the test signer; kid (may be
 * NULL) is the account URL.  opts (may be NULL) gives other limits. */
static inline struct cf_acme *
fk_acme_new(struct fake_http *f, const struct cf_acme_opts *opts,
	    const char *kid)
{
	struct cf_acme_opts o = { 0 };
	struct cf_acme *a = NULL;
	struct cf_err err = { 0 };

	if (opts != NULL)
		o = *opts;
	if (o.directory_url == NULL)
		o.directory_url = FK_DIR;
	o.http.ops = &f->ops;
	if (cf_acme_new(&o, &a, &err) != CF_OK)
		return NULL;
	cf_acme_set_signer(a, &f->signer);
	if (kid != NULL && cf_acme_set_account_url(a, kid, &err) != CF_OK) {
		cf_acme_free(a);
		return NULL;
	}
	return a;
}

#endif
