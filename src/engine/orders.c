/* orders.c - orders in flight; see orders.h */
#include "engine/orders.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/time.h"
#include "crypto/b64.h"
#include "crypto/key.h"
#include "store/atomic.h"

#define ORDER_JSON_MAX (128 * 1024)
#define KEY_PEM_MAX (64 * 1024)

void
cf_saved_order_free(struct cf_saved_order *o)
{
	if (o == NULL)
		return;
	free(o->url);
	for (size_t i = 0; i < o->nnames; i++)
		free(o->names[i]);
	free(o->names);
	EVP_PKEY_free(o->key);
	free(o->csr);
	memset(o, 0, sizeof(*o));
}

/* STATE/orders/<name><ext>, or STATE/orders with name NULL. */
static char *
order_path(const struct cf_state *st, const char *name, const char *ext)
{
	if (name == NULL)
		return cf_strfmt("%s/orders", st->root);
	return cf_strfmt("%s/orders/%s%s", st->root, name, ext);
}

cf_rc
cf_saved_order_load(const struct cf_state *st, const char *name,
		    struct cf_saved_order *o, struct cf_err *err)
{
	char *jpath = order_path(st, name, ".json"),
	     *kpath = order_path(st, name, ".key"), *text = NULL, *pem = NULL;
	size_t plen = 0;
	json_t *j = NULL, *v;
	const char *s;
	size_t i;
	cf_rc rc;

	memset(o, 0, sizeof(*o));
	if (jpath == NULL || kpath == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_file_read(jpath, ORDER_JSON_MAX, &text, NULL, err)) != CF_OK)
		goto out;
	j = json_loads(text, 0, NULL);
	s = json_string_value(json_object_get(j, "url"));
	v = json_object_get(j, "names");
	if (s == NULL || !json_is_array(v) || json_array_size(v) == 0) {
		rc = cf_err_set(err, CF_ERR_IO, "%s is damaged", jpath);
		goto out;
	}
	if ((o->url = strdup(s)) == NULL ||
	    (o->names = calloc(json_array_size(v), sizeof(char *))) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++) {
		s = json_string_value(json_array_get(v, i));
		if (s == NULL || (o->names[o->nnames] = strdup(s)) == NULL) {
			rc = cf_err_set(err, CF_ERR_IO, "%s is damaged", jpath);
			goto out;
		}
		o->nnames++;
	}
	if ((s = json_string_value(json_object_get(j, "deadline"))) != NULL)
		(void)cf_rfc3339_parse(s, &o->deadline);
	if ((s = json_string_value(json_object_get(j, "created"))) != NULL)
		(void)cf_rfc3339_parse(s, &o->created);
	if ((s = json_string_value(json_object_get(j, "csr"))) != NULL) {
		if ((rc = cf_b64_decode_any(s, &o->csr, &o->csr_len, err)) != CF_OK)
			goto out;
		/* A bring-your-own CSR without its key (issue --csr): none. */
		if (json_object_get(j, "key_file") == NULL)
			goto out;
		if ((rc = cf_file_read(kpath, KEY_PEM_MAX, &pem, &plen, err)) !=
		    CF_OK) {
			cf_err_wrap(err, "the saved order's key");
			goto out;
		}
		if ((rc = cf_key_from_pem(pem, plen, &o->key, err)) != CF_OK) {
			cf_err_wrap(err, "%s", kpath);
			goto out;
		}
	}
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	if (rc != CF_OK)
		cf_saved_order_free(o);
	json_decref(j);
	free(text);
	free(jpath);
	free(kpath);
	return rc;
}

cf_rc
cf_saved_order_save(const struct cf_state *st, const char *name,
		    const struct cf_saved_order *o, struct cf_err *err)
{
	char *dir = order_path(st, NULL, NULL), *jpath = order_path(st, name, ".json"),
	     *kpath = order_path(st, name, ".key"), *pem = NULL,
	     *csr64 = NULL, t[32];
	size_t plen = 0;
	json_t *j = NULL, *names = json_array();
	cf_rc rc;

	if (dir == NULL || jpath == NULL || kpath == NULL || names == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_state_mkdir(st, dir, err)) != CF_OK)
		goto out;
	if (o->key != NULL) {
		if ((rc = cf_key_to_pem(o->key, &pem, &plen, err)) != CF_OK ||
		    (rc = cf_file_write_atomic(kpath, pem, plen, 0600, err)) != CF_OK)
			goto out;
	}
	for (size_t i = 0; i < o->nnames; i++)
		json_array_append_new(names, json_string(o->names[i]));
	j = json_pack("{s:i,s:s,s:O}", "version", 1, "url", o->url, "names",
		      names);
	if (j == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (o->deadline) {
		cf_rfc3339_format(o->deadline, t);
		json_object_set_new(j, "deadline", json_string(t));
	}
	cf_rfc3339_format(o->created ? o->created : time(NULL), t);
	json_object_set_new(j, "created", json_string(t));
	if (o->csr != NULL) {
		if ((csr64 = cf_b64url_encode(o->csr, o->csr_len)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_set_new(j, "csr", json_string(csr64));
		if (o->key != NULL)
			json_object_set_new(j, "key_file", json_string(kpath));
	}
	rc = cf_file_write_json(jpath, j, 0600, err);
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, plen);
	json_decref(j);
	json_decref(names);
	free(csr64);
	free(dir);
	free(jpath);
	free(kpath);
	return rc;
}

void
cf_saved_order_remove(const struct cf_state *st, const char *name)
{
	char *jpath = order_path(st, name, ".json"),
	     *kpath = order_path(st, name, ".key");

	/* The JSON first: a key without its JSON is never used. */
	if (jpath != NULL)
		(void)unlink(jpath);
	if (kpath != NULL)
		(void)unlink(kpath);
	free(jpath);
	free(kpath);
}

int
cf_saved_order_same_names(const struct cf_saved_order *o,
			  const char *const *names, size_t n)
{
	if (o->nnames != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < o->nnames; k++)
			if (strcmp(names[i], o->names[k]) == 0)
				break;
		if (k == o->nnames)
			return 0;
	}
	return 1;
}
