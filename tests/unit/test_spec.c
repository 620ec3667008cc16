/* test_spec.c - certificate specs: JSON round trip, defaults, checks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/deliver.h"
#include "engine/spec.h"
#include "install/server.h"

static char **
strv(size_t n, ...)
{
	char **v = calloc(n + 1, sizeof(char *));
	va_list ap;

	assert_non_null(v);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

/* Every member set to something other than its default. */
static void
full_spec(struct cf_cert_spec *s)
{
	struct cf_validation_spec *v = &s->validation;

	memset(s, 0, sizeof(*s));
	s->name = strdup("_.example.com");
	s->directory_url = strdup("https://ca.example.net/directory");
	s->names = strv(2, "*.example.com", "example.com");
	s->nnames = 2;
	s->key_type = CF_KEY_RSA3072;
	s->reuse_key = 1;
	s->renew_before_days = 21;
	v->method = CF_VAL_DNS01;
	v->dns_provider = CF_DNS_RFC2136;
	v->dns_server = strdup("ns1.example.com:5353");
	v->tsig_key_file = strdup("/etc/certferry/tsig.key");
	v->dns_alias = strdup("acme.example.net");
	v->dns_resolvers = strv(2, "192.0.2.53", "[2001:db8::53]:53");
	v->ndns_resolvers = 2;
	v->dns_propagation_timeout = 300;
	v->tls_address = strdup("192.0.2.1");
	v->tls_port = 8443;
	s->stores = calloc(3, sizeof(*s->stores));
	s->nstores = 3;
	s->stores[0].kind = CF_STORE_PEM;
	s->stores[0].path = strdup("/etc/ssl/example");
	s->stores[1].kind = CF_STORE_PFX;
	s->stores[1].path = strdup("/srv/example.pfx");
	s->stores[1].password_file = strdup("/etc/certferry/pfx.pass");
	s->stores[1].pfx_format = CF_PFX_AES256;
	s->stores[2].kind = CF_STORE_CCS;
	s->stores[2].path = strdup("/mnt/ccs");
	s->stores[2].password_file = strdup("/etc/certferry/ccs.pass");
	s->stores[2].pfx_format = CF_PFX_LEGACY;
	s->iis.config = strdup("/mnt/iis/applicationHost.config");
	s->iis.sites = strv(1, "Default Web Site");
	s->iis.nsites = 1;
	s->iis.host_filter = strdup("*.example.com");
	s->iis.install = 1;
	s->iis.https_port = 8443;
	s->iis.migrate = 1;
	s->iis.site_ids = strv(1, "1");
	s->iis.site_names = strv(1, "Default Web Site");
	s->iis.site_hosts = strv(1, "www.example.com,example.com");
}

static void
assert_str_eq(const char *what, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		fail_msg("%s: '%s' != '%s'", what, a ? a : "(null)",
			 b ? b : "(null)");
}

static void
assert_strv_eq(const char *what, char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		fail_msg("%s: %zu != %zu entries", what, na, nb);
	for (size_t i = 0; i < na; i++)
		assert_str_eq(what, a[i], b[i]);
}

static void
assert_spec_eq(const struct cf_cert_spec *a, const struct cf_cert_spec *b)
{
	const struct cf_validation_spec *va = &a->validation, *vb = &b->validation;

	assert_str_eq("name", a->name, b->name);
	assert_str_eq("directory", a->directory_url, b->directory_url);
	assert_strv_eq("names", a->names, a->nnames, b->names, b->nnames);
	assert_int_equal(a->key_type, b->key_type);
	assert_int_equal(a->reuse_key, b->reuse_key);
	assert_int_equal(a->renew_before_days, b->renew_before_days);
	assert_int_equal(va->method, vb->method);
	assert_str_eq("http_address", va->http_address, vb->http_address);
	assert_int_equal(va->http_port, vb->http_port);
	assert_str_eq("webroot", va->webroot, vb->webroot);
	assert_int_equal(va->dns_provider, vb->dns_provider);
	assert_str_eq("dns_server", va->dns_server, vb->dns_server);
	assert_str_eq("tsig_key_file", va->tsig_key_file, vb->tsig_key_file);
	assert_str_eq("dns_script", va->dns_script, vb->dns_script);
	assert_str_eq("dns_alias", va->dns_alias, vb->dns_alias);
	assert_strv_eq("resolvers", va->dns_resolvers, va->ndns_resolvers,
		       vb->dns_resolvers, vb->ndns_resolvers);
	assert_int_equal(va->dns_propagation_timeout, vb->dns_propagation_timeout);
	assert_str_eq("tls_address", va->tls_address, vb->tls_address);
	assert_int_equal(va->tls_port, vb->tls_port);
	assert_int_equal(a->nstores, b->nstores);
	for (size_t i = 0; i < a->nstores; i++) {
		assert_int_equal(a->stores[i].kind, b->stores[i].kind);
		assert_str_eq("store path", a->stores[i].path, b->stores[i].path);
		assert_str_eq("password_file", a->stores[i].password_file,
			      b->stores[i].password_file);
		assert_int_equal(a->stores[i].pfx_format, b->stores[i].pfx_format);
	}
	assert_str_eq("iis config", a->iis.config, b->iis.config);
	assert_strv_eq("iis sites", a->iis.sites, a->iis.nsites, b->iis.sites,
		       b->iis.nsites);
	assert_str_eq("host_filter", a->iis.host_filter, b->iis.host_filter);
	assert_int_equal(a->iis.install, b->iis.install);
	assert_int_equal(a->iis.https_port, b->iis.https_port);
	assert_int_equal(a->iis.migrate, b->iis.migrate);
	assert_strv_eq("site ids", a->iis.site_ids, a->iis.site_ids ? a->iis.nsites : 0,
		       b->iis.site_ids, b->iis.site_ids ? b->iis.nsites : 0);
	assert_strv_eq("site names", a->iis.site_names,
		       a->iis.site_names ? a->iis.nsites : 0, b->iis.site_names,
		       b->iis.site_names ? b->iis.nsites : 0);
	assert_strv_eq("site hosts", a->iis.site_hosts,
		       a->iis.site_hosts ? a->iis.nsites : 0, b->iis.site_hosts,
		       b->iis.site_hosts ? b->iis.nsites : 0);
	assert_str_eq("profile", a->profile, b->profile);
	assert_str_eq("preferred_chain", a->preferred_chain, b->preferred_chain);
	assert_str_eq("csr_file", a->csr_file, b->csr_file);
	assert_str_eq("key_file", a->key_file, b->key_file);
	assert_str_eq("account", a->account, b->account);
}

/* Through text, as the renewal definition file does. */
static void
round_trip(const struct cf_cert_spec *in, struct cf_cert_spec *out)
{
	struct cf_err err;
	json_error_t jerr;
	json_t *j, *back;
	char *text;

	assert_int_equal(cf_spec_to_json(in, &j, &err), CF_OK);
	text = json_dumps(j, JSON_SORT_KEYS);
	assert_non_null(text);
	json_decref(j);
	back = json_loads(text, 0, &jerr);
	assert_non_null(back);
	free(text);
	if (cf_spec_from_json(back, out, &err) != CF_OK)
		fail_msg("from_json: %s", err.msg);
	json_decref(back);
}

static void
test_round_trip_full(void **state)
{
	struct cf_cert_spec s, back;
	struct cf_err err;

	(void)state;
	full_spec(&s);
	assert_int_equal(cf_spec_check(&s, (const char *const *)s.names, s.nnames, &err), CF_OK);
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);

	/* The other methods and providers, one at a time. */
	s.validation.dns_provider = CF_DNS_SCRIPT;
	s.validation.dns_script = strdup("/usr/local/bin/dns-hook");
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);
	s.validation.dns_provider = CF_DNS_MANUAL;
	s.validation.dns_propagation_timeout = 0;
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);
	cf_spec_free(&s);

	memset(&s, 0, sizeof(s));
	s.name = strdup("www.example.com");
	s.directory_url = strdup("https://ca.example.net/dir");
	s.names = strv(1, "www.example.com");
	s.nnames = 1;
	s.key_type = CF_KEY_EC384;
	s.validation.method = CF_VAL_HTTP01;
	s.validation.http_address = strdup("::1");
	s.validation.http_port = 8080;
	s.validation.dns_propagation_timeout = -1;
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);
	free(s.validation.http_address);
	s.validation.http_address = NULL;
	s.validation.http_port = 0;
	s.validation.webroot = strdup("/var/www/html");
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);
	s.validation.method = CF_VAL_TLSALPN01;
	s.validation.tls_port = 10443;
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	cf_spec_free(&back);
	/* Issue 16: profile, preferred chain, own CSR and key, account. */
	s.profile = strdup("shortlived");
	s.preferred_chain = strdup("AAA Certificate Services");
	s.csr_file = strdup("/etc/tls/www.csr");
	s.key_file = strdup("/etc/tls/www.key");
	s.account = strdup("billing");
	round_trip(&s, &back);
	assert_spec_eq(&s, &back);
	assert_string_equal(back.profile, "shortlived");
	assert_string_equal(back.account, "billing");
	cf_spec_free(&back);
	cf_spec_free(&s);
	cf_spec_free(NULL);
}

/* IP addresses (RFC 8738): accepted for http-01 / tls-alpn-01, refused
 * for dns-01; --csr alone refuses a store that needs the key. */
static void
test_check_ip_and_csr(void **state)
{
	const char *const ips[] = { "192.0.2.1", "2001:db8::1", "www.example.com" };
	struct cf_cert_spec s;
	struct cf_store_spec st;
	struct cf_err err;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	s.validation.method = CF_VAL_HTTP01;
	assert_int_equal(cf_spec_check(&s, ips, 3, &err), CF_OK);
	s.validation.method = CF_VAL_TLSALPN01;
	assert_int_equal(cf_spec_check(&s, ips, 3, &err), CF_OK);
	s.validation.method = CF_VAL_DNS01;
	s.validation.dns_provider = CF_DNS_MANUAL;
	assert_int_equal(cf_spec_check(&s, ips, 3, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "192.0.2.1: an IP address cannot be "
				       "validated with dns-01"));
	s.validation.method = CF_VAL_HTTP01;
	s.csr_file = (char *)"/etc/tls/www.csr";
	st.kind = CF_STORE_PEM;
	st.path = (char *)"/etc/nginx/tls";
	s.stores = &st;
	s.nstores = 1;
	assert_int_equal(cf_spec_check(&s, ips + 2, 1, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "add --key FILE"));
	s.key_file = (char *)"/etc/tls/www.key";
	assert_int_equal(cf_spec_check(&s, ips + 2, 1, &err), CF_OK);
}

static void
test_defaults(void **state)
{
	const char *text = "{\"name\":\"a.example.com\","
			   "\"directory\":\"https://ca.example.net/dir\","
			   "\"names\":[\"a.example.com\"]}";
	struct cf_cert_spec s;
	struct cf_err err;
	json_t *j = json_loads(text, 0, NULL);

	(void)state;
	assert_non_null(j);
	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(cf_spec_from_json(j, &s, &err), CF_OK);
	json_decref(j);
	assert_string_equal(s.name, "a.example.com");
	assert_int_equal(s.nnames, 1);
	assert_string_equal(s.names[0], "a.example.com");
	assert_int_equal(s.key_type, CF_KEY_EC256);
	assert_int_equal(s.reuse_key, 0);
	assert_int_equal(s.renew_before_days, 0);
	assert_int_equal(s.validation.method, CF_VAL_HTTP01);
	assert_null(s.validation.http_address);
	assert_int_equal(s.validation.http_port, 0);
	assert_null(s.validation.webroot);
	assert_null(s.validation.dns_server);
	assert_int_equal(s.validation.ndns_resolvers, 0);
	assert_int_equal(s.validation.dns_propagation_timeout, -1);
	assert_int_equal(s.validation.tls_port, 0);
	assert_int_equal(s.nstores, 0);
	assert_null(s.stores);
	assert_null(s.iis.config);
	assert_int_equal(s.iis.nsites, 0);
	assert_int_equal(s.iis.install, 0);
	assert_int_equal(cf_spec_check(&s, (const char *const *)s.names, s.nnames, &err), CF_OK);
	cf_spec_free(&s);
}

/* IIS sites without a config (a hand-edited definition) once passed
 * from_json, but to_json dropped the sites, so the saved definition, with
 * neither names nor sites, could not be read again (found by
 * fuzz_renewal). */
static void
test_round_trip_iis_sites_only(void **state)
{
	const char *text = "{\"name\":\"a\",\"directory\":\"https://ca/dir\","
			   "\"iis\":{\"sites\":[\"Default Web Site\"]}}";
	struct cf_cert_spec s, back;
	struct cf_err err;
	json_t *j = json_loads(text, 0, NULL);

	(void)state;
	assert_non_null(j);
	assert_int_equal(cf_spec_from_json(j, &s, &err), CF_OK);
	json_decref(j);
	round_trip(&s, &back);
	assert_null(back.iis.config);
	assert_int_equal(back.iis.nsites, 1);
	assert_string_equal(back.iis.sites[0], "Default Web Site");
	cf_spec_free(&s);
	cf_spec_free(&back);
}

/* Bad definitions: rc and a word that must be in the message. */
static void
test_from_json_errors(void **state)
{
	static const struct {
		const char *label, *json, *msg;
		cf_rc want;
	} cases[] = {
		{ "unknown method", "{\"validation\":{\"method\":\"smtp-01\"}}",
		  "smtp-01", CF_ERR_USAGE },
		{ "unknown provider",
		  "{\"validation\":{\"method\":\"dns-01\",\"dns\":"
		  "{\"provider\":\"route53\"}}}", "route53", CF_ERR_USAGE },
		{ "unknown store", "{\"stores\":[{\"kind\":\"jks\",\"path\":\"/x\"}]}",
		  "jks", CF_ERR_USAGE },
		{ "store without kind", "{\"stores\":[{\"path\":\"/x\"}]}", "kind",
		  CF_ERR_USAGE },
		{ "unknown key type", "{\"key_type\":\"dsa1024\"}", "dsa1024",
		  CF_ERR_USAGE },
		{ "unknown pfx format",
		  "{\"stores\":[{\"kind\":\"pfx\",\"path\":\"/x\","
		  "\"pfx_format\":\"rc2\"}]}", "rc2", CF_ERR_USAGE },
	};
	const char *base = "{\"name\":\"a.example.com\","
			   "\"directory\":\"https://ca.example.net/dir\","
			   "\"names\":[\"a.example.com\"]}";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(base, 0, NULL), *extra;
		struct cf_cert_spec s;
		struct cf_err err;
		cf_rc rc;

		extra = json_loads(cases[i].json, 0, NULL);
		assert_non_null(extra);
		json_object_update(j, extra);
		json_decref(extra);
		cf_err_clear(&err);
		rc = cf_spec_from_json(j, &s, &err);
		json_decref(j);
		if (rc != cases[i].want || strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("%s: rc %d '%s'", cases[i].label, rc, err.msg);
		/* Nothing is left allocated in s. */
		assert_null(s.name);
		assert_null(s.stores);
	}
	/* Missing essentials. */
	{
		const char *lacking[] = {
			"{\"directory\":\"https://x/d\",\"names\":[\"a.example.com\"]}",
			"{\"name\":\"n\",\"names\":[\"a.example.com\"]}",
			"{\"name\":\"n\",\"directory\":\"https://x/d\"}",
			"{\"name\":\"n\",\"directory\":\"https://x/d\",\"names\":[]}",
		};
		for (size_t i = 0; i < sizeof(lacking) / sizeof(lacking[0]); i++) {
			json_t *j = json_loads(lacking[i], 0, NULL);
			struct cf_cert_spec s;
			struct cf_err err;

			assert_int_equal(cf_spec_from_json(j, &s, &err), CF_ERR_USAGE);
			json_decref(j);
		}
	}
	/* A names list with a non-string is refused and leaks nothing. */
	{
		json_t *j = json_loads("{\"name\":\"n\",\"directory\":\"https://x/d\","
				       "\"names\":[\"a.example.com\",7]}", 0, NULL);
		struct cf_cert_spec s;
		struct cf_err err;

		assert_int_not_equal(cf_spec_from_json(j, &s, &err), CF_OK);
		json_decref(j);
	}
}

/* The parse helpers name the bad value and list the good ones. */
static void
test_enum_parse(void **state)
{
	enum cf_val_method m;
	enum cf_store_kind k;
	enum cf_dns_provider p;
	struct cf_err err;

	(void)state;
	for (int i = 0; i < CF_VAL_COUNT; i++) {
		assert_int_equal(cf_val_method_parse(
			cf_val_method_name((enum cf_val_method)i), &m, &err), CF_OK);
		assert_int_equal(m, i);
	}
	for (int i = 0; i < CF_STORE_KIND_COUNT; i++) {
		assert_int_equal(cf_store_kind_parse(
			cf_store_kind_name((enum cf_store_kind)i), &k, &err), CF_OK);
		assert_int_equal(k, i);
	}
	for (int i = CF_DNS_RFC2136; i <= CF_DNS_MANUAL; i++) {
		assert_int_equal(cf_dns_provider_parse(
			cf_dns_provider_name((enum cf_dns_provider)i), &p, &err), CF_OK);
		assert_int_equal(p, i);
	}
	assert_int_equal(cf_val_method_parse("HTTP-01", &m, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "'HTTP-01'"));
	assert_non_null(strstr(err.msg, "http-01, dns-01, tls-alpn-01"));
	assert_int_equal(cf_store_kind_parse("", &k, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "pem, pfx, ccs"));
	assert_int_equal(cf_dns_provider_parse("x", &p, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "rfc2136, script, manual"));
	assert_string_equal(cf_val_method_name(CF_VAL_COUNT), "?");
	assert_string_equal(cf_store_kind_name(CF_STORE_KIND_COUNT), "?");
	assert_string_equal(cf_dns_provider_name((enum cf_dns_provider)99), "?");
}

/* ---- cf_spec_check ---- */

enum tweak {
	T_NONE, T_WILD_HTTP, T_WILD_DNS, T_DUP, T_WEBROOT_PORT, T_WEBROOT_ADDR,
	T_WEBROOT_ONLY, T_RFC2136_NO_SERVER, T_SCRIPT_NO_CMD, T_MANUAL,
	T_STORE_NO_PATH, T_PFX_NO_PATH, T_IIS_NO_CCS, T_IIS_NO_CONFIG,
	T_IIS_TWO_SITES, T_IIS_OK, T_IIS_MIGRATE_NO_INSTALL, T_NO_NAMES, T_BAD_NAME,
	T_PFX_NO_PASSWORD,
	T_CCS_NO_PASSWORD, T_PFX_OPT_OUT
};

static const struct {
	const char *label;
	enum tweak t;
	cf_rc want;
	const char *msg;
} check_cases[] = {
	{ "plain http-01", T_NONE, CF_OK, NULL },
	{ "wildcard with http-01", T_WILD_HTTP, CF_ERR_USAGE, "dns-01" },
	{ "wildcard with dns-01", T_WILD_DNS, CF_OK, NULL },
	{ "duplicate names", T_DUP, CF_ERR_USAGE, "twice" },
	{ "webroot with http port", T_WEBROOT_PORT, CF_ERR_USAGE, "--webroot" },
	{ "webroot with http address", T_WEBROOT_ADDR, CF_ERR_USAGE,
	  "--webroot" },
	{ "webroot alone", T_WEBROOT_ONLY, CF_OK, NULL },
	{ "rfc2136 without server", T_RFC2136_NO_SERVER, CF_ERR_USAGE,
	  "--dns-server" },
	{ "script without command", T_SCRIPT_NO_CMD, CF_ERR_USAGE,
	  "--dns-script" },
	{ "manual dns", T_MANUAL, CF_OK, NULL },
	{ "pem store without path", T_STORE_NO_PATH, CF_ERR_USAGE, "--pem-dir" },
	{ "pfx store without path", T_PFX_NO_PATH, CF_ERR_USAGE, "--pfx-file" },
	{ "iis install without ccs store", T_IIS_NO_CCS, CF_ERR_USAGE,
	  "--install iis" },
	{ "iis install without config", T_IIS_NO_CONFIG, CF_ERR_USAGE,
	  "--install iis" },
	/* bindings go to the site that owns each host */
	{ "iis install with two sites", T_IIS_TWO_SITES, CF_OK, NULL },
	{ "iis migrate without install", T_IIS_MIGRATE_NO_INSTALL, CF_ERR_USAGE,
	  "--iis-migrate needs --install iis" },
	{ "iis install complete", T_IIS_OK, CF_OK, NULL },
	{ "no names", T_NO_NAMES, CF_ERR_USAGE, "no name" },
	{ "invalid name", T_BAD_NAME, CF_ERR_USAGE, NULL },
	{ "pfx store without password", T_PFX_NO_PASSWORD, CF_ERR_USAGE,
	  "--pfx-password-file" },
	{ "ccs store without password", T_CCS_NO_PASSWORD, CF_ERR_USAGE,
	  "--pfx-no-password" },
	{ "pfx store, password opted out", T_PFX_OPT_OUT, CF_OK, NULL },
};

static void
add_store(struct cf_cert_spec *s, enum cf_store_kind k, const char *path)
{
	s->stores = realloc(s->stores, (s->nstores + 1) * sizeof(*s->stores));
	assert_non_null(s->stores);
	memset(&s->stores[s->nstores], 0, sizeof(*s->stores));
	s->stores[s->nstores].kind = k;
	s->stores[s->nstores].path = path ? strdup(path) : NULL;
	if (k != CF_STORE_PEM)
		s->stores[s->nstores].password_file = strdup("/etc/certferry/pw");
	s->nstores++;
}

/* The tweaks of the names and the validation; 0 when t is not one of them. */
static int
tweak_names(struct cf_cert_spec *s, enum tweak t)
{
	struct cf_validation_spec *v = &s->validation;

	switch (t) {
	case T_NONE:
		return 1;
	case T_WILD_HTTP:
	case T_WILD_DNS:
		free(s->names[1]);
		s->names[1] = strdup("*.example.com");
		if (t == T_WILD_DNS) {
			v->method = CF_VAL_DNS01;
			v->dns_provider = CF_DNS_RFC2136;
			v->dns_server = strdup("192.0.2.53");
		}
		return 1;
	case T_DUP:
		free(s->names[1]);
		s->names[1] = strdup("www.example.com");
		return 1;
	case T_WEBROOT_PORT:
	case T_WEBROOT_ADDR:
	case T_WEBROOT_ONLY:
		v->webroot = strdup("/var/www");
		if (t == T_WEBROOT_PORT)
			v->http_port = 8080;
		if (t == T_WEBROOT_ADDR)
			v->http_address = strdup("127.0.0.1");
		return 1;
	case T_RFC2136_NO_SERVER:
		v->method = CF_VAL_DNS01;
		v->dns_provider = CF_DNS_RFC2136;
		return 1;
	case T_SCRIPT_NO_CMD:
		v->method = CF_VAL_DNS01;
		v->dns_provider = CF_DNS_SCRIPT;
		return 1;
	case T_MANUAL:
		v->method = CF_VAL_DNS01;
		v->dns_provider = CF_DNS_MANUAL;
		return 1;
	case T_NO_NAMES:
		s->nnames = 0;
		return 1;
	case T_BAD_NAME:
		free(s->names[1]);
		s->names[1] = strdup("bad name..example");
		return 1;
	default:
		return 0;
	}
}

/* The tweaks of the stores and the IIS target; 0 when t is not one of them. */
static int
tweak_stores(struct cf_cert_spec *s, enum tweak t)
{
	switch (t) {
	case T_STORE_NO_PATH:
		add_store(s, CF_STORE_PEM, NULL);
		return 1;
	case T_PFX_NO_PATH:
		add_store(s, CF_STORE_PEM, "/etc/ssl/x");
		add_store(s, CF_STORE_PFX, NULL);
		return 1;
	case T_IIS_MIGRATE_NO_INSTALL:
		s->iis.config = strdup("/mnt/applicationHost.config");
		s->iis.sites = strv(1, "Shop");
		s->iis.nsites = 1;
		s->iis.migrate = 1;
		return 1;
	case T_IIS_NO_CCS:
	case T_IIS_NO_CONFIG:
	case T_IIS_TWO_SITES:
	case T_IIS_OK:
		s->iis.install = 1;
		add_store(s, t == T_IIS_NO_CCS ? CF_STORE_PFX : CF_STORE_CCS,
			  "/mnt/ccs");
		if (t != T_IIS_NO_CONFIG)
			s->iis.config = strdup("/mnt/applicationHost.config");
		if (t == T_IIS_TWO_SITES) {
			s->iis.sites = strv(2, "a", "b");
			s->iis.nsites = 2;
		} else {
			s->iis.sites = strv(1, "a");
			s->iis.nsites = 1;
		}
		return 1;
	case T_PFX_NO_PASSWORD:
	case T_CCS_NO_PASSWORD:
	case T_PFX_OPT_OUT:
		add_store(s, t == T_CCS_NO_PASSWORD ? CF_STORE_CCS : CF_STORE_PFX,
			  "/srv/x");
		free(s->stores[0].password_file);
		s->stores[0].password_file = NULL;
		s->stores[0].no_password = t == T_PFX_OPT_OUT;
		return 1;
	default:
		return 0;
	}
}

static void
make_case(struct cf_cert_spec *s, enum tweak t)
{
	memset(s, 0, sizeof(*s));
	s->name = strdup("www.example.com");
	s->directory_url = strdup("https://ca.example.net/dir");
	s->names = strv(2, "www.example.com", "example.com");
	s->nnames = 2;
	s->validation.dns_propagation_timeout = -1;
	if (!tweak_names(s, t))
		(void)tweak_stores(s, t);
}

static void
test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		struct cf_cert_spec s;
		struct cf_err err;
		cf_rc rc;

		make_case(&s, check_cases[i].t);
		cf_err_clear(&err);
		rc = cf_spec_check(&s, (const char *const *)s.names, s.nnames, &err);
		if (rc != check_cases[i].want ||
		    (check_cases[i].msg != NULL &&
		     strstr(err.msg, check_cases[i].msg) == NULL))
			fail_msg("%s: rc %d '%s'", check_cases[i].label, rc, err.msg);
		if (check_cases[i].t == T_NO_NAMES)
			s.nnames = 2;
		cf_spec_free(&s);
	}
}

/* ---- no secrets in the JSON ---- */

static void
walk_keys(json_t *j, const char *path)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (strcmp(key, "password") == 0 || strstr(key, "secret") ||
			    strstr(key, "hmac") || strcmp(key, "key") == 0 ||
			    strcmp(key, "private_key") == 0)
				fail_msg("member %s/%s looks like a secret", path, key);
			walk_keys(v, key);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			walk_keys(v, path);
	}
}

static void
test_no_secrets(void **state)
{
	struct cf_cert_spec s;
	struct cf_err err;
	json_t *j, *stores, *st;
	size_t i;
	char *text;

	(void)state;
	full_spec(&s);
	assert_int_equal(cf_spec_to_json(&s, &j, &err), CF_OK);
	walk_keys(j, "");
	/* password_file is a path, and the only password-ish member. */
	stores = json_object_get(j, "stores");
	assert_int_equal(json_array_size(stores), 3);
	json_array_foreach(stores, i, st) {
		const char *pf = json_string_value(json_object_get(st,
								   "password_file"));
		if (i == 0)
			assert_null(pf);
		else
			assert_true(pf != NULL && pf[0] == '/');
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		stores, 1), "password_file")), "/etc/certferry/pfx.pass");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(j, "validation"), "dns"), "tsig_key_file")),
			    "/etc/certferry/tsig.key");
	text = json_dumps(j, 0);
	assert_null(strstr(text, "\"password\""));
	assert_null(strstr(text, "BEGIN"));
	free(text);
	json_decref(j);
	cf_spec_free(&s);
}

/* What still serves a certificate (revoke): the state folder, every
 * store, and the https bindings of the spec's IIS sites for its hosts. */
static void
test_served_by(void **state)
{
	static const char xml[] =
		"<configuration><system.applicationHost><sites>"
		"<site name=\"Shop\" id=\"2\"><bindings>"
		"<binding protocol=\"http\" bindingInformation=\"*:80:shop.example\"/>"
		"<binding protocol=\"https\" "
		"bindingInformation=\"*:443:shop.example\" sslFlags=\"3\"/>"
		"<binding protocol=\"https\" "
		"bindingInformation=\"*:443:www.example\" sslFlags=\"1\"/>"
		"<binding protocol=\"https\" "
		"bindingInformation=\"*:8443:other.test\" sslFlags=\"3\"/>"
		"<binding protocol=\"https\" bindingInformation=\"10.0.0.1:443:\"/>"
		"</bindings></site></sites></system.applicationHost></configuration>";
	struct cf_store_spec stores[3] = {
		{ .kind = CF_STORE_PEM, .path = "/etc/nginx/tls" },
		{ .kind = CF_STORE_PFX, .path = "/srv/shop.pfx" },
		{ .kind = CF_STORE_CCS, .path = "/mnt/ccs" },
	};
	char *names[] = { "www.example", NULL };
	char *sites[] = { "Shop", "Gone" };
	struct cf_cert_spec s = { .name = "shop", .names = names, .nnames = 1,
				  .stores = stores, .nstores = 3 };
	struct cf_iis_config *cfg = NULL;
	struct cf_err err = { 0 };
	char *text = NULL;

	(void)state;
	assert_int_equal(cf_spec_served_by(&s, "/var/lib/certferry/certs/shop",
					   NULL, &text, &err), CF_OK);
	assert_string_equal(
		text,
		"state folder: /var/lib/certferry/certs/shop\n"
		"PEM folder: /etc/nginx/tls\n"
		"PFX file: /srv/shop.pfx\n"
		"IIS Centralized Certificate Store: /mnt/ccs (one PFX per host name)\n");
	free(text);

	s.nstores = 0;
	s.iis.config = "C:/applicationHost.config";
	s.iis.sites = sites;
	s.iis.nsites = 2;
	s.iis.host_filter = "*.example";
	assert_int_equal(cf_iis_config_parse(xml, sizeof(xml) - 1, NULL, 0, &cfg,
					     &err), CF_OK);
	assert_int_equal(cf_spec_served_by(&s, NULL, cfg, &text, &err), CF_OK);
	assert_string_equal(text,
			    "IIS site 'Shop' (C:/applicationHost.config): https binding "
			    "*:443:shop.example (sslFlags SNI,CCS)\n"
			    "IIS site 'Shop' (C:/applicationHost.config): https binding "
			    "*:443:www.example (sslFlags SNI)\n"
			    "IIS site 'Gone' (C:/applicationHost.config): its https bindings\n");
	free(text);

	/* The configuration could not be read: the sites, by name. */
	assert_int_equal(cf_spec_served_by(&s, NULL, NULL, &text, &err), CF_OK);
	assert_string_equal(text,
			    "IIS site 'Shop' (C:/applicationHost.config): its https bindings\n"
			    "IIS site 'Gone' (C:/applicationHost.config): its https bindings\n");
	free(text);
	cf_iis_config_free(cfg);
}

/* --install nginx|apache and --deploy-hook are kept for the renewals; the
 * server needs a PEM folder. */
static void
test_server_and_hooks(void **state)
{
	struct cf_cert_spec s, back;
	struct cf_err err;

	(void)state;
	full_spec(&s);
	s.server.kind = CF_SERVER_APACHE;
	s.server.configure = 1;
	s.server.conf = strdup("/etc/apache2/apache2.conf");
	s.server.bin = strdup("/usr/sbin/apachectl");
	s.hooks.deploy = strv(2, "/usr/local/bin/a {CertThumbprint}", "/bin/b");
	s.hooks.ndeploy = 2;
	s.hooks.timeout_s = 42;
	assert_int_equal(cf_spec_check(&s, (const char *const *)s.names, s.nnames,
				       &err), CF_OK);
	round_trip(&s, &back);
	assert_int_equal(back.server.kind, CF_SERVER_APACHE);
	assert_true(back.server.configure);
	assert_string_equal(back.server.conf, "/etc/apache2/apache2.conf");
	assert_string_equal(back.server.bin, "/usr/sbin/apachectl");
	assert_int_equal(back.hooks.ndeploy, 2);
	assert_string_equal(back.hooks.deploy[0], "/usr/local/bin/a {CertThumbprint}");
	assert_int_equal(back.hooks.timeout_s, 42);
	cf_spec_free(&back);
	/* no PEM folder: refused, naming --pem-dir */
	{
		size_t n = s.nstores;
		s.nstores = 0;
		s.iis.install = 0;
		s.iis.migrate = 0;
		assert_int_equal(cf_spec_check(&s, (const char *const *)s.names,
					       s.nnames, &err), CF_ERR_USAGE);
		if (strstr(err.msg, "--pem-dir") == NULL)
			fail_msg("%s", err.msg);
		s.nstores = n;
	}
	cf_spec_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_server_and_hooks),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_round_trip_iis_sites_only),
		cmocka_unit_test(test_from_json_errors),
		cmocka_unit_test(test_enum_parse),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_check_ip_and_csr),
		cmocka_unit_test(test_no_secrets),
		cmocka_unit_test(test_served_by),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
