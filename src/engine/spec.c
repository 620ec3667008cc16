/* spec.c - see spec.h */
#include "engine/spec.h"

#include "core/ip.h"

#include <stdlib.h>
#include <string.h>

#include "install/server.h"
#include "sep/proc.h"
#include "sep/respproc.h"
#include "validate/dnsname.h"
#include "validate/http01.h"
#include "validate/iiswebroot.h"
#include "validate/tlsalpn01.h"

static const char *const method_names[] = {
	[CF_VAL_HTTP01] = "http-01",
	[CF_VAL_DNS01] = "dns-01",
	[CF_VAL_TLSALPN01] = "tls-alpn-01",
};
_Static_assert(sizeof(method_names) / sizeof(method_names[0]) == CF_VAL_COUNT,
	       "method_names must name every method");

static const char *const store_names[] = {
	[CF_STORE_PEM] = "pem",
	[CF_STORE_PFX] = "pfx",
	[CF_STORE_CCS] = "ccs",
};
_Static_assert(sizeof(store_names) / sizeof(store_names[0]) ==
		       CF_STORE_KIND_COUNT,
	       "store_names must name every store kind");

static const char *const provider_names[] = {
	[CF_DNS_RFC2136] = "rfc2136",
	[CF_DNS_SCRIPT] = "script",
	[CF_DNS_MANUAL] = "manual",
};

static cf_rc
parse_enum(const char *s, const char *const *names, size_t n, int *out,
	   const char *what, struct cf_err *err)
{
	char list[128] = "";

	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return CF_OK;
		}
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	return cf_err_set(err, CF_ERR_USAGE, "unknown %s '%.32s': use one of %s",
			  what, s, list);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
cf_val_method_name(enum cf_val_method m)
{
	return (unsigned)m < CF_VAL_COUNT ? method_names[m] : "?";
}

cf_rc
cf_val_method_parse(const char *s, enum cf_val_method *out, struct cf_err *err)
{
	int v;
	cf_rc rc = parse_enum(s, method_names, NELEM(method_names), &v,
			      "validation method", err);
	if (rc == CF_OK)
		*out = (enum cf_val_method)v;
	return rc;
}

const char *
cf_store_kind_name(enum cf_store_kind k)
{
	return (unsigned)k < CF_STORE_KIND_COUNT ? store_names[k] : "?";
}

cf_rc
cf_store_kind_parse(const char *s, enum cf_store_kind *out, struct cf_err *err)
{
	int v;
	cf_rc rc = parse_enum(s, store_names, NELEM(store_names), &v, "store",
			      err);
	if (rc == CF_OK)
		*out = (enum cf_store_kind)v;
	return rc;
}

const char *
cf_dns_provider_name(enum cf_dns_provider p)
{
	return (unsigned)p < NELEM(provider_names) ? provider_names[p] : "?";
}

cf_rc
cf_dns_provider_parse(const char *s, enum cf_dns_provider *out,
		      struct cf_err *err)
{
	int v;
	cf_rc rc = parse_enum(s, provider_names, NELEM(provider_names), &v,
			      "--dns provider", err);
	if (rc == CF_OK)
		*out = (enum cf_dns_provider)v;
	return rc;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
cf_spec_free(struct cf_cert_spec *s)
{
	struct cf_validation_spec *v;

	if (s == NULL)
		return;
	v = &s->validation;
	free(s->name);
	free(s->directory_url);
	free(s->ca_bundle);
	free(s->profile);
	free(s->preferred_chain);
	free(s->csr_file);
	free(s->key_file);
	free(s->account);
	strv_free(s->names, s->nnames);
	free(v->http_address);
	free(v->webroot);
	strv_free(v->iis_path_maps, v->niis_path_maps);
	free(v->dns_server);
	free(v->tsig_key_file);
	free(v->dns_script);
	free(v->dns_alias);
	strv_free(v->dns_resolvers, v->ndns_resolvers);
	free(v->tls_address);
	for (size_t i = 0; i < s->nstores; i++) {
		free(s->stores[i].path);
		free(s->stores[i].password_file);
	}
	free(s->stores);
	free(s->iis.config);
	strv_free(s->iis.site_ids, s->iis.site_ids ? s->iis.nsites : 0);
	strv_free(s->iis.site_names, s->iis.site_names ? s->iis.nsites : 0);
	strv_free(s->iis.site_hosts, s->iis.site_hosts ? s->iis.nsites : 0);
	strv_free(s->iis.sites, s->iis.nsites);
	free(s->iis.host_filter);
	free(s->server.bin);
	free(s->server.conf);
	strv_free(s->hooks.deploy, s->hooks.ndeploy);
	memset(s, 0, sizeof(*s));
}

/* --iis-webroot: http-01, an applicationHost.config, path rules, and
 * not together with the other http-01 methods. */
static cf_rc
check_iis_webroot(const struct cf_cert_spec *s, struct cf_err *err)
{
	const struct cf_validation_spec *v = &s->validation;

	if (!v->iis_webroot)
		return v->niis_path_maps == 0 ? CF_OK :
			cf_err_set(err, CF_ERR_USAGE,
				   "--iis-path-map needs --iis-webroot");
	if (v->method != CF_VAL_HTTP01)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-webroot answers http-01: add "
				  "--validation http-01");
	if (v->webroot != NULL || v->http_port != 0 || v->http_address != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-webroot and --webroot/--http-port/"
				  "--http-address exclude each other: choose one "
				  "http-01 method");
	if (s->iis.config == NULL || v->niis_path_maps == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-webroot needs --iis-config FILE and "
				  "--iis-path-map 'C:\\inetpub=/mnt/web/inetpub' "
				  "(where the Windows folders are mounted)");
	return CF_OK;
}

/* --install nginx|apache points the server at a PEM folder. */
static cf_rc
server_check(const struct cf_cert_spec *s, struct cf_err *err)
{
	int pem = 0;

	for (size_t i = 0; i < s->nstores; i++)
		pem |= s->stores[i].kind == CF_STORE_PEM;
	if (s->server.kind != CF_SERVER_NONE && !pem)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--install %s needs --pem-dir DIR: the server is "
				  "pointed at DIR/fullchain.pem and DIR/privkey.pem",
				  cf_server_kind_name(s->server.kind));
	if (s->server.kind == CF_SERVER_NONE &&
	    (s->server.configure || s->server.conf || s->server.bin))
		return cf_err_set(err, CF_ERR_USAGE,
				  "--configure, --server-config and --server-bin "
				  "need --install nginx or --install apache");
	return CF_OK;
}

/* Each name: a DNS name or an IP address, given once, with a method
 * that can validate it. */
static cf_rc
check_names(const struct cf_validation_spec *v, const char *const *names,
	    size_t n, struct cf_err *err)
{
	cf_rc rc;

	if (n == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "no name given: add -d NAME for each DNS name "
				  "(or --iis-site to take them from IIS)");
	for (size_t i = 0; i < n; i++) {
		int wild = strncmp(names[i], "*.", 2) == 0;
		int ip = cf_ip_canon(names[i], NULL);
		if (!ip && (rc = cf_dns_name_check(names[i], 1, err)) != CF_OK)
			return rc;
		if (ip && v->method == CF_VAL_DNS01)
			return cf_err_set(err, CF_ERR_USAGE,
					  "%s: an IP address cannot be validated with "
					  "dns-01 (RFC 8738): use --validation http-01 "
					  "or tls-alpn-01", names[i]);
		if (wild && v->method != CF_VAL_DNS01)
			return cf_err_set(err, CF_ERR_USAGE,
					  "%s: a wildcard name can only be validated "
					  "with dns-01: add --validation dns-01",
					  names[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return cf_err_set(err, CF_ERR_USAGE,
						  "%s is given twice", names[i]);
	}
	return CF_OK;
}

/* The validation method's own settings. */
static cf_rc
check_validation(const struct cf_cert_spec *s, struct cf_err *err)
{
	const struct cf_validation_spec *v = &s->validation;
	cf_rc rc;

	if (v->method == CF_VAL_HTTP01 && v->webroot != NULL &&
	    (v->http_port != 0 || v->http_address != NULL))
		return cf_err_set(err, CF_ERR_USAGE,
				  "--webroot and --http-port/--http-address exclude "
				  "each other: choose one http-01 method");
	if ((rc = check_iis_webroot(s, err)) != CF_OK)
		return rc;
	if (v->method == CF_VAL_DNS01) {
		if (v->dns_provider == CF_DNS_RFC2136 && v->dns_server == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "dns-01 with rfc2136 needs --dns-server "
					  "HOST[:PORT] (and usually --tsig-key-file)");
		if (v->dns_provider == CF_DNS_SCRIPT && v->dns_script == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "dns-01 with a script needs --dns-script CMD");
	}
	return CF_OK;
}

/* Each store has its path and, for PFX and CCS, a password renewals can
 * read (or none on purpose). */
static cf_rc
check_stores(const struct cf_cert_spec *s, struct cf_err *err)
{
	for (size_t i = 0; i < s->nstores; i++) {
		const struct cf_store_spec *st = &s->stores[i];
		if (st->path == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "--store %s needs its %s",
					  cf_store_kind_name(st->kind),
					  st->kind == CF_STORE_PEM ? "--pem-dir DIR" :
					  st->kind == CF_STORE_PFX ? "--pfx-file FILE" :
								     "--ccs-dir DIR");
		if (st->kind != CF_STORE_PEM && st->password_file == NULL &&
		    !st->no_password)
			return cf_err_set(err, CF_ERR_USAGE,
					  "the %s store %s needs a password that "
					  "renewals can read: give --pfx-password-file "
					  "FILE (or CERTFERRY_PFX_PASSWORD, kept as a "
					  "0600 file in the state folder), or "
					  "--pfx-no-password to write it unprotected",
					  cf_store_kind_name(st->kind), st->path);
	}
	return CF_OK;
}

/* --install iis: a CCS store, the configuration and the sites. */
static cf_rc
check_iis_install(const struct cf_cert_spec *s, struct cf_err *err)
{
	if (s->iis.install) {
		int ccs = 0;
		for (size_t i = 0; i < s->nstores; i++)
			ccs |= s->stores[i].kind == CF_STORE_CCS;
		if (!ccs || s->iis.config == NULL || s->iis.nsites == 0)
			return cf_err_set(err, CF_ERR_USAGE,
					  "--install iis needs --store ccs --ccs-dir "
					  "DIR, --iis-config FILE and --iis-site");
	}
	if (s->iis.migrate && !s->iis.install)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-migrate needs --install iis");
	return CF_OK;
}

cf_rc
cf_spec_check(const struct cf_cert_spec *s, const char *const *names,
	      size_t n, struct cf_err *err)
{
	cf_rc rc;

	if ((rc = check_names(&s->validation, names, n, err)) != CF_OK ||
	    (rc = check_validation(s, err)) != CF_OK ||
	    (rc = check_stores(s, err)) != CF_OK)
		return rc;
	/* A bring-your-own CSR without its key: only the state folder. */
	if (s->csr_file != NULL && s->key_file == NULL &&
	    (s->nstores > 0 || s->iis.install))
		return cf_err_set(err, CF_ERR_USAGE,
				  "the %s store %s needs the certificate's private "
				  "key, which --csr alone does not give: add --key "
				  "FILE (the CSR's key), or drop the store",
				  s->nstores ? cf_store_kind_name(s->stores[0].kind) :
					       "iis",
				  s->nstores ? s->stores[0].path : "binding");
	if ((rc = check_iis_install(s, err)) != CF_OK)
		return rc;
	return server_check(s, err);
}

/* ---- JSON ---- */

static int
set_str(json_t *o, const char *key, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, key, json_string(v));
}

static int
set_int(json_t *o, const char *key, long v)
{
	return v == 0 ? 0 : json_object_set_new(o, key, json_integer(v));
}

static json_t *
strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* "server" and "hooks" members; non-zero when out of memory. */
static int
server_to_json(const struct cf_cert_spec *s, json_t *j)
{
	json_t *o;
	int bad = 0;

	if (s->server.kind != CF_SERVER_NONE) {
		bad |= (o = json_object()) == NULL;
		bad |= set_str(o, "kind", cf_server_kind_name(s->server.kind));
		bad |= json_object_set_new(o, "configure",
					   json_boolean(s->server.configure));
		bad |= set_str(o, "bin", s->server.bin);
		bad |= set_str(o, "config", s->server.conf);
		bad |= json_object_set_new(j, "server", o);
	}
	if (s->hooks.ndeploy > 0) {
		bad |= (o = json_object()) == NULL;
		bad |= json_object_set_new(o, "deploy", strv_json(s->hooks.deploy,
							     s->hooks.ndeploy));
		bad |= set_int(o, "timeout", s->hooks.timeout_s);
		bad |= json_object_set_new(j, "hooks", o);
	}
	return bad;
}

/* The dns-01 settings into val's "dns"; nonzero when out of memory. */
static int
dns_to_json(const struct cf_validation_spec *v, json_t *val)
{
	json_t *dns = json_object();
	int bad = dns == NULL;

	bad |= set_str(dns, "provider", cf_dns_provider_name(v->dns_provider));
	bad |= set_str(dns, "server", v->dns_server);
	bad |= set_str(dns, "tsig_key_file", v->tsig_key_file);
	bad |= set_str(dns, "script", v->dns_script);
	bad |= set_str(dns, "alias", v->dns_alias);
	if (v->ndns_resolvers)
		bad |= json_object_set_new(dns, "resolvers",
					   strv_json(v->dns_resolvers, v->ndns_resolvers));
	if (v->dns_propagation_timeout >= 0)
		bad |= json_object_set_new(dns, "propagation_timeout",
					   json_integer(v->dns_propagation_timeout));
	bad |= json_object_set_new(val, "dns", dns);
	return bad;
}

/* The validation part as j's "validation"; nonzero when out of memory. */
static int
validation_to_json(const struct cf_validation_spec *v, json_t *j)
{
	json_t *val = json_object();
	int bad = val == NULL;

	bad |= set_str(val, "method", cf_val_method_name(v->method));
	bad |= set_str(val, "http_address", v->http_address);
	bad |= set_int(val, "http_port", v->http_port);
	bad |= set_str(val, "webroot", v->webroot);
	if (v->iis_webroot) {
		json_t *iw = json_object();
		bad |= iw == NULL;
		bad |= json_object_set_new(iw, "path_maps",
					   strv_json(v->iis_path_maps,
						     v->niis_path_maps));
		bad |= json_object_set_new(val, "iis_webroot", iw);
	}
	if (v->method == CF_VAL_DNS01)
		bad |= dns_to_json(v, val);
	bad |= set_str(val, "tls_address", v->tls_address);
	bad |= set_int(val, "tls_port", v->tls_port);
	bad |= json_object_set_new(j, "validation", val);
	return bad;
}

/* The stores as j's "stores"; nonzero when out of memory. */
static int
stores_to_json(const struct cf_cert_spec *s, json_t *j)
{
	json_t *stores = json_array();
	int bad = stores == NULL;

	for (size_t i = 0; i < s->nstores; i++) {
		json_t *st = json_object();
		bad |= st == NULL;
		bad |= set_str(st, "kind", cf_store_kind_name(s->stores[i].kind));
		bad |= set_str(st, "path", s->stores[i].path);
		bad |= set_str(st, "password_file", s->stores[i].password_file);
		if (s->stores[i].no_password)
			bad |= json_object_set_new(st, "no_password", json_true());
		if (s->stores[i].kind != CF_STORE_PEM)
			bad |= set_str(st, "pfx_format",
				       cf_pfx_format_name(s->stores[i].pfx_format));
		bad |= json_array_append_new(stores, st);
	}
	bad |= json_object_set_new(j, "stores", stores);
	return bad;
}

/* The IIS sites (and what was recorded of them) as j's "iis"; nonzero
 * when out of memory. */
static int
iis_sites_to_json(const struct cf_cert_spec *s, json_t *iis)
{
	int bad = 0;

	if (s->iis.site_ids != NULL && s->iis.site_names != NULL) {
		bad |= json_object_set_new(iis, "site_ids",
					   strv_json(s->iis.site_ids,
						     s->iis.nsites));
		bad |= json_object_set_new(iis, "site_names",
					   strv_json(s->iis.site_names,
						     s->iis.nsites));
		if (s->iis.site_hosts != NULL)
			bad |= json_object_set_new(
				iis, "site_hosts",
				strv_json(s->iis.site_hosts, s->iis.nsites));
	}
	return bad;
}

/* The IIS part as j's "iis", when there is one.  Whatever from_json reads
 * is written back: sites without a config too, or the definition could
 * not be read after the next save.  Nonzero when out of memory. */
static int
iis_to_json(const struct cf_cert_spec *s, json_t *j)
{
	json_t *iis;
	int bad;

	if (s->iis.config == NULL && s->iis.nsites == 0 &&
	    s->iis.host_filter == NULL && !s->iis.install &&
	    s->iis.https_port == 0)
		return 0;
	iis = json_object();
	bad = iis == NULL;
	bad |= set_str(iis, "config", s->iis.config);
	bad |= json_object_set_new(iis, "sites",
				   strv_json(s->iis.sites, s->iis.nsites));
	bad |= set_str(iis, "host_filter", s->iis.host_filter);
	bad |= json_object_set_new(iis, "install", json_boolean(s->iis.install));
	bad |= set_int(iis, "https_port", s->iis.https_port);
	if (s->iis.migrate)
		bad |= json_object_set_new(iis, "migrate", json_true());
	bad |= iis_sites_to_json(s, iis);
	bad |= json_object_set_new(j, "iis", iis);
	return bad;
}

cf_rc
cf_spec_to_json(const struct cf_cert_spec *s, json_t **out, struct cf_err *err)
{
	json_t *j = json_object();
	int bad = j == NULL;

	bad |= set_str(j, "name", s->name) | set_str(j, "directory", s->directory_url);
	bad |= set_str(j, "ca_bundle", s->ca_bundle);
	bad |= set_str(j, "profile", s->profile);
	bad |= set_str(j, "preferred_chain", s->preferred_chain);
	bad |= set_str(j, "csr_file", s->csr_file);
	bad |= set_str(j, "key_file", s->key_file);
	bad |= set_str(j, "account", s->account);
	bad |= json_object_set_new(j, "names", strv_json(s->names, s->nnames));
	bad |= set_str(j, "key_type", cf_key_type_name(s->key_type));
	bad |= json_object_set_new(j, "reuse_key", json_boolean(s->reuse_key));
	bad |= set_int(j, "renew_before_days", s->renew_before_days);
	bad |= validation_to_json(&s->validation, j);
	bad |= stores_to_json(s, j);
	bad |= iis_to_json(s, j);
	bad |= server_to_json(s, j);
	if (bad) {
		json_decref(j);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	*out = j;
	return CF_OK;
}

/* Copy an optional string member; 0 on success. */
static int
get_str(json_t *o, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(o, key));

	*out = NULL;
	if (v == NULL)
		return 0;
	return (*out = strdup(v)) == NULL ? -1 : 0;
}

static int
get_strv(json_t *o, const char *key, char ***out, size_t *n)
{
	json_t *a = json_object_get(o, key), *x;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(a))
		return 0;
	if ((*out = calloc(json_array_size(a) + 1, sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(a, i, x) {
		if (!json_is_string(x))
			return -1;
		if (((*out)[*n] = strdup(json_string_value(x))) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static cf_rc
server_from_json(json_t *j, struct cf_cert_spec *s, struct cf_err *err)
{
	json_t *o = json_object_get(j, "server"), *h = json_object_get(j, "hooks");
	const char *kind;
	int bad = 0;

	if (o != NULL) {
		kind = json_string_value(json_object_get(o, "kind"));
		if (kind != NULL && strcmp(kind, "nginx") == 0)
			s->server.kind = CF_SERVER_NGINX;
		else if (kind != NULL && strcmp(kind, "apache") == 0)
			s->server.kind = CF_SERVER_APACHE;
		else
			return cf_err_set(err, CF_ERR_USAGE, "unknown server kind "
					  "'%s' in the renewal definition",
					  kind ? kind : "");
		s->server.configure = json_is_true(json_object_get(o, "configure"));
		bad |= get_str(o, "bin", &s->server.bin);
		bad |= get_str(o, "config", &s->server.conf);
	}
	if (h != NULL) {
		bad |= get_strv(h, "deploy", &s->hooks.deploy, &s->hooks.ndeploy);
		s->hooks.timeout_s =
			(int)json_integer_value(json_object_get(h, "timeout"));
	}
	return bad ? cf_err_set(err, CF_ERR_NOMEM, "out of memory or malformed "
				"lists") : CF_OK;
}

/* The dns-01 settings of val's "dns"; *bad set when out of memory. */
static cf_rc
dns_from_json(json_t *dns, struct cf_validation_spec *v, int *bad,
	      struct cf_err *err)
{
	const char *str;
	cf_rc rc;

	if ((str = json_string_value(json_object_get(dns, "provider"))) &&
	    (rc = cf_dns_provider_parse(str, &v->dns_provider, err)) != CF_OK)
		return rc;
	*bad |= get_str(dns, "server", &v->dns_server);
	*bad |= get_str(dns, "tsig_key_file", &v->tsig_key_file);
	*bad |= get_str(dns, "script", &v->dns_script);
	*bad |= get_str(dns, "alias", &v->dns_alias);
	*bad |= get_strv(dns, "resolvers", &v->dns_resolvers,
			 &v->ndns_resolvers);
	if (json_is_integer(json_object_get(dns, "propagation_timeout")))
		v->dns_propagation_timeout = (int)json_integer_value(
			json_object_get(dns, "propagation_timeout"));
	return CF_OK;
}

/* The "validation" part; *bad set when out of memory. */
static cf_rc
validation_from_json(json_t *val, struct cf_validation_spec *v, int *bad,
		     struct cf_err *err)
{
	json_t *dns;
	const char *str;
	cf_rc rc;

	if ((str = json_string_value(json_object_get(val, "method"))) != NULL &&
	    (rc = cf_val_method_parse(str, &v->method, err)) != CF_OK)
		return rc;
	*bad |= get_str(val, "http_address", &v->http_address);
	v->http_port = (int)json_integer_value(json_object_get(val, "http_port"));
	*bad |= get_str(val, "webroot", &v->webroot);
	if (json_is_object(json_object_get(val, "iis_webroot"))) {
		v->iis_webroot = 1;
		*bad |= get_strv(json_object_get(val, "iis_webroot"), "path_maps",
				 &v->iis_path_maps, &v->niis_path_maps);
	}
	if ((dns = json_object_get(val, "dns")) != NULL &&
	    (rc = dns_from_json(dns, v, bad, err)) != CF_OK)
		return rc;
	*bad |= get_str(val, "tls_address", &v->tls_address);
	v->tls_port = (int)json_integer_value(json_object_get(val, "tls_port"));
	return CF_OK;
}

/* The "stores" list; *bad set when out of memory. */
static cf_rc
stores_from_json(json_t *stores, struct cf_cert_spec *s, int *bad,
		 struct cf_err *err)
{
	json_t *st;
	const char *str;
	size_t i;
	cf_rc rc;

	if (json_array_size(stores) > 0 &&
	    (s->stores = calloc(json_array_size(stores), sizeof(*s->stores))) ==
		    NULL) {
		*bad = 1;
		return CF_OK;
	}
	json_array_foreach(stores, i, st) {
		struct cf_store_spec *ss = &s->stores[s->nstores++];
		if ((str = json_string_value(json_object_get(st, "kind"))) == NULL)
			return cf_err_set(err, CF_ERR_USAGE, "a store lacks its "
					  "kind");
		if ((rc = cf_store_kind_parse(str, &ss->kind, err)) != CF_OK)
			return rc;
		*bad |= get_str(st, "path", &ss->path);
		*bad |= get_str(st, "password_file", &ss->password_file);
		ss->no_password = json_is_true(json_object_get(st, "no_password"));
		if ((str = json_string_value(json_object_get(st, "pfx_format"))) &&
		    (rc = cf_pfx_format_parse(str, &ss->pfx_format, err)) != CF_OK)
			return rc;
	}
	return CF_OK;
}

/* The "iis" part (NULL: none); *bad set when out of memory. */
static void
iis_from_json(json_t *iis, struct cf_cert_spec *s, int *bad)
{
	size_t ni = 0, nn = 0;

	if (iis == NULL)
		return;
	*bad |= get_str(iis, "config", &s->iis.config);
	*bad |= get_strv(iis, "sites", &s->iis.sites, &s->iis.nsites);
	*bad |= get_str(iis, "host_filter", &s->iis.host_filter);
	s->iis.install = json_is_true(json_object_get(iis, "install"));
	s->iis.https_port =
		(int)json_integer_value(json_object_get(iis, "https_port"));
	s->iis.migrate = json_is_true(json_object_get(iis, "migrate"));
	if (json_array_size(json_object_get(iis, "site_ids")) != s->iis.nsites ||
	    json_array_size(json_object_get(iis, "site_names")) !=
		    s->iis.nsites || s->iis.nsites == 0)
		return;
	*bad |= get_strv(iis, "site_ids", &s->iis.site_ids, &ni);
	*bad |= get_strv(iis, "site_names", &s->iis.site_names, &nn);
	if (json_array_size(json_object_get(iis, "site_hosts")) == s->iis.nsites)
		*bad |= get_strv(iis, "site_hosts", &s->iis.site_hosts, &nn);
}

cf_rc
cf_spec_from_json(json_t *j, struct cf_cert_spec *s, struct cf_err *err)
{
	json_t *iis = json_object_get(j, "iis");
	const char *str;
	cf_rc rc = CF_OK;
	int bad = 0;

	memset(s, 0, sizeof(*s));
	s->validation.dns_propagation_timeout = -1;
	bad |= get_str(j, "name", &s->name) | get_str(j, "directory", &s->directory_url);
	bad |= get_str(j, "ca_bundle", &s->ca_bundle);
	bad |= get_str(j, "profile", &s->profile);
	bad |= get_str(j, "preferred_chain", &s->preferred_chain);
	bad |= get_str(j, "csr_file", &s->csr_file);
	bad |= get_str(j, "key_file", &s->key_file);
	bad |= get_str(j, "account", &s->account);
	bad |= get_strv(j, "names", &s->names, &s->nnames);
	if (bad)
		goto nomem;
	/* IIS-only specs have no -d names: their hosts come from the sites. */
	if (s->name == NULL || s->directory_url == NULL ||
	    (s->nnames == 0 &&
	     json_array_size(json_object_get(iis, "sites")) == 0)) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"the definition lacks name, directory or names");
		goto fail;
	}
	if ((str = json_string_value(json_object_get(j, "key_type"))) != NULL &&
	    (rc = cf_key_type_parse(str, &s->key_type, err)) != CF_OK)
		goto fail;
	s->reuse_key = json_is_true(json_object_get(j, "reuse_key"));
	s->renew_before_days =
		(long)json_integer_value(json_object_get(j, "renew_before_days"));
	if ((rc = validation_from_json(json_object_get(j, "validation"),
				       &s->validation, &bad, err)) != CF_OK ||
	    (rc = stores_from_json(json_object_get(j, "stores"), s, &bad,
				   err)) != CF_OK)
		goto fail;
	iis_from_json(iis, s, &bad);
	if (bad)
		goto nomem;
	if ((rc = server_from_json(j, s, err)) != CF_OK)
		goto fail;
	return CF_OK;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory or malformed lists");
fail:
	cf_spec_free(s);
	return rc;
}

cf_rc
cf_spec_validator_for(const struct cf_cert_spec *s, FILE *manual_in,
		      FILE *manual_out, struct cf_validator *out,
		      struct cf_err *err)
{
	const struct cf_validation_spec *v = &s->validation;

	if (v->method == CF_VAL_HTTP01 && v->iis_webroot)
		return cf_iis_webroot_validator_new(
			s->iis.config, (const char *const *)v->iis_path_maps,
			v->niis_path_maps, out, err);
	return cf_spec_validator_new(v, manual_in, manual_out, out, err);
}

cf_rc
cf_spec_validator_new(const struct cf_validation_spec *v, FILE *manual_in,
		      FILE *manual_out, struct cf_validator *out,
		      struct cf_err *err)
{
	struct cf_dns01_config dc;

	switch (v->method) {
	case CF_VAL_HTTP01:
		if (v->webroot != NULL)
			return cf_http01_webroot_new(v->webroot, out, err);
		if (cf_sep_exe() != NULL) /* a responder process (sep/) */
			return cf_respproc_validator_new("http-01", v->http_address,
							 v->http_port ? v->http_port : 80,
							 out, err);
		return cf_http01_standalone_new(v->http_address,
						v->http_port ? v->http_port : 80,
						out, err);
	case CF_VAL_TLSALPN01:
		if (cf_sep_exe() != NULL)
			return cf_respproc_validator_new("tls-alpn-01", v->tls_address,
							 v->tls_port ? v->tls_port : 443,
							 out, err);
		return cf_tlsalpn01_validator_new(v->tls_address,
						  v->tls_port ? v->tls_port : 443,
						  out, err);
	case CF_VAL_DNS01:
		memset(&dc, 0, sizeof(dc));
		dc.provider = v->dns_provider;
		dc.server = v->dns_server;
		dc.tsig_key_file = v->tsig_key_file;
		dc.script = v->dns_script;
		dc.alias_zone = v->dns_alias;
		dc.resolvers = (const char *const *)v->dns_resolvers;
		dc.nresolvers = v->ndns_resolvers;
		dc.propagation_timeout = v->dns_propagation_timeout < 0 ?
						 120 : v->dns_propagation_timeout;
		dc.manual_in = manual_in;
		dc.manual_out = manual_out;
		return cf_dns01_validator_new(&dc, out, err);
	default:
		return cf_err_set(err, CF_ERR_INTERNAL, "unknown method");
	}
}
