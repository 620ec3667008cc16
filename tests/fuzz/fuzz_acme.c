/*
 * fuzz_acme.c - the CA's JSON resources and problem documents.
 *
 * Input: one selector byte, then the body of an HTTP answer as the CA
 * would send it.  The body goes through acme_json_body (the Content-Type
 * taken from the selector's high bit) and then the parser the selector
 * names: directory, order, authorization (+ challenge lookup and the
 * error of an invalid one), renewalInfo (+ its URL from the directory
 * member "renewalInfo"), account, problem document (into buffers of
 * several sizes).
 */
#include <stdio.h>

#include <jansson.h>

#include "acme/internal.h"
#include "fuzz.h"

static void
fuzz_problem(json_t *obj)
{
	static const size_t sizes[] = { 1, 2, 5, 17, 64, 300, CF_ERR_MSG_MAX };
	char buf[CF_ERR_MSG_MAX];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cf_acme_problem_format(obj, buf, sizes[i]);
		if (strlen(buf) >= sizes[i])
			abort();
	}
}

static void
fuzz_account(json_t *obj)
{
	json_t *v;
	size_t i;

	/* what `account show` reads */
	(void)json_string_value(json_object_get(obj, "status"));
	(void)json_string_value(json_object_get(obj, "orders"));
	json_array_foreach(json_object_get(obj, "contact"), i, v)
		(void)json_string_value(v);
	fuzz_problem(json_object_get(obj, "error"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_http_resp resp = { 0 };
	struct cf_err err;
	json_t *obj = NULL;
	char buf[512];

	if (size < 1)
		return 0;
	resp.status = 200;
	resp.content_type = (data[0] & 0x80) ? "application/problem+json" :
					       "application/json";
	if ((resp.body = fuzz_str(data + 1, size - 1)) == NULL)
		return 0;
	resp.body_len = size - 1;
	if (acme_json_body(&resp, "fuzz", &obj, &err) != CF_OK)
		goto out;
	switch ((data[0] & 0x7f) % 6) {
	case 0: {
		struct cf_acme_directory dir;
		if (acme_directory_load(&dir, obj, &err) == CF_OK) {
			char *url = NULL;
			if (acme_ari_url(dir.renewal_info, "aki.serial", &url,
					 &err) == CF_OK)
				free(url);
			acme_directory_free(&dir);
		}
		break;
	}
	case 1: {
		struct cf_acme_order o = { 0 };
		if (acme_order_load(&o, json_incref(obj), &err) == CF_OK &&
		    o.status == NULL)
			abort();
		cf_acme_order_free(&o);
		break;
	}
	case 2: {
		struct cf_acme_authz z;
		if (acme_authz_load(&z, "https://ca.test/authz/1",
				    json_incref(obj), &err) == CF_OK) {
			(void)cf_acme_authz_challenge(&z, "http-01");
			(void)cf_acme_authz_challenge(&z, "dns-01");
			(void)cf_acme_authz_challenge(&z, "tls-alpn-01");
			acme_authz_error(z.raw, buf, sizeof(buf));
			cf_acme_authz_free(&z);
		}
		break;
	}
	case 3: {
		struct cf_acme_ari ari = { 0 };
		char *url = NULL;
		if (acme_ari_load(obj, &ari, &err) == CF_OK && ari.end < ari.start)
			abort();
		cf_acme_ari_free(&ari);
		if (acme_ari_url(json_string_value(json_object_get(obj,
				 "renewalInfo")), "aki.serial", &url, &err) == CF_OK)
			free(url);
		break;
	}
	case 4:
		fuzz_account(obj);
		break;
	default:
		fuzz_problem(obj);
		break;
	}
out:
	json_decref(obj);
	free(resp.body);
	return 0;
}
