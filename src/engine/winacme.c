/* winacme.c - see winacme.h */
#include "engine/winacme.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "crypto/b64.h"
#include "iis/appconfig.h"
#include "iis/pathmap.h"
#include "validate/dnsname.h"

/* The win-acme plugins certferry knows, by GUID (win-acme 2.2+) and by
 * the class name in "$type" (2.0, 2.1). */
enum wa_plugin {
	WA_UNKNOWN = 0,
	WA_T_IIS, WA_T_IIS_SITE, WA_T_IIS_SITES, WA_T_IIS_BINDING, WA_T_MANUAL,
	WA_V_FILESYSTEM, WA_V_SELFHOSTING, WA_V_DNS_SCRIPT, WA_V_DNS_MANUAL,
	WA_V_TLS_SELFHOSTING,
	WA_C_RSA, WA_C_EC,
	WA_S_CENTRALSSL, WA_S_PEMFILES, WA_S_PFXFILE, WA_S_CERTSTORE, WA_S_NULL,
	WA_I_IIS, WA_I_IISFTP, WA_I_SCRIPT, WA_I_NULL,
};

static const struct {
	enum wa_plugin p;
	const char *guid;
	const char *type;     /* class in "$type", before the ", assembly" */
	const char *label;
} plugins[] = {
	{ WA_T_IIS, "54deb3ee-b5df-4381-8485-fe386054055b",
	  "TargetPlugins.IISOptions", "IIS" },
	{ WA_T_IIS_SITE, "d7940b23-f570-460e-ab15-2c822a79009b",
	  "TargetPlugins.IISSiteOptions", "IISSite" },
	{ WA_T_IIS_SITES, "cdd79a68-4a87-4039-bee8-5a0ebdca41cb",
	  "TargetPlugins.IISSitesOptions", "IISSites" },
	{ WA_T_IIS_BINDING, "2f5dd428-0f5d-4c8a-8fd0-56fc1b5985ce",
	  "TargetPlugins.IISBindingOptions", "IISBinding" },
	{ WA_T_MANUAL, "e239db3b-b42f-48aa-b64f-46d4f3e9941b",
	  "TargetPlugins.ManualOptions", "Manual" },
	{ WA_V_FILESYSTEM, "1c77b3a4-5310-4c46-92c6-00d866e84d6b",
	  "Http.FileSystemOptions", "FileSystem" },
	{ WA_V_SELFHOSTING, "c7d5e050-9363-4ba1-b3a8-931b31c618b7",
	  "Http.SelfHostingOptions", "SelfHosting" },
	{ WA_V_DNS_SCRIPT, "8f1da72e-f727-49f0-8546-ef69e5ecec32",
	  "Dns.ScriptOptions", "Script (dns-01)" },
	{ WA_V_DNS_MANUAL, "e45d62b9-f9a8-441e-b95f-c5ee0dcd8040",
	  "Dns.ManualOptions", "Manual (dns-01)" },
	{ WA_V_TLS_SELFHOSTING, "a1565064-b208-4467-8ca1-1bd3c08aa500",
	  "Tls.SelfHostingOptions", "SelfHosting (tls-alpn-01)" },
	{ WA_C_RSA, "b9060d4b-c2d3-49ac-b37f-962e7c3cbe9d",
	  "CsrPlugins.RsaOptions", "RSA" },
	{ WA_C_EC, "9aadcf71-5241-4c4f-aee1-bfe3f6be3489",
	  "CsrPlugins.EcOptions", "EC" },
	{ WA_S_CENTRALSSL, "af1f77b6-4e7b-4f96-bba5-c2eeb4d0dd42",
	  "StorePlugins.CentralSslOptions", "CentralSsl" },
	{ WA_S_PEMFILES, "e57c70e4-cd60-4ba6-80f6-a41703e21031",
	  "StorePlugins.PemFilesOptions", "PemFiles" },
	{ WA_S_PFXFILE, "2a2c576f-7637-4ade-b8db-e8613b0bb33e",
	  "StorePlugins.PfxFileOptions", "PfxFile" },
	{ WA_S_CERTSTORE, "e30adc8e-d756-4e16-a6f2-450f784b1a97",
	  "StorePlugins.CertificateStoreOptions", "CertificateStore" },
	{ WA_S_NULL, "cfdd7caa-ba34-4e9e-b9de-2a3d64c4f4ec",
	  "StorePlugins.NullOptions", "None" },
	{ WA_I_IIS, "ea6a5be3-f8de-4d27-a6bd-750b619b2ee2",
	  "InstallationPlugins.IISOptions", "IIS" },
	{ WA_I_IISFTP, "13058a79-5084-48af-b047-634e0ee222f4",
	  "InstallationPlugins.IISFtpOptions", "IISFtp" },
	{ WA_I_SCRIPT, "3bb22c70-358d-4251-86bd-11858363d913",
	  "InstallationPlugins.ScriptOptions", "Script" },
	{ WA_I_NULL, "aecc502c-5f75-43d2-b578-f95d50c79ea1",
	  "InstallationPlugins.NullOptions", "None" },
};

#define NPLUGINS (sizeof(plugins) / sizeof(plugins[0]))

/* The plugin of an options object; *label its name (or the GUID/type). */
static enum wa_plugin
plugin_of(json_t *o, const char **label)
{
	const char *guid = json_string_value(json_object_get(o, "Plugin"));
	const char *type = json_string_value(json_object_get(o, "$type"));

	*label = guid ? guid : type ? type : "(no plugin named)";
	for (size_t i = 0; i < NPLUGINS; i++) {
		size_t tl = strlen(plugins[i].type);
		const char *at;
		if (guid != NULL && strcasecmp(guid, plugins[i].guid) == 0)
			goto found;
		/* "PKISharp.WACS.Plugins.<type>, wacs" */
		if (type != NULL && (at = strstr(type, plugins[i].type)) != NULL &&
		    (at == type || at[-1] == '.') &&
		    (at[tl] == ',' || at[tl] == '\0'))
			goto found;
		continue;
found:
		*label = plugins[i].label;
		return plugins[i].p;
	}
	return WA_UNKNOWN;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Append a copy of s to *v; -1 when out of memory. */
static int
strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	nv[++*n] = NULL;
	return 0;
}

/* One note; incomplete marks the renewal as not mappable as is. */
static int CF_PRINTF(3, 4)
note(struct cf_winacme_import *im, int incomplete, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (incomplete)
		im->complete = 0;
	return strv_push(&im->notes, &im->nnotes, buf);
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A DNS name as ordered: A-label, lower case; NULL when not a name. */
static char *
name_of(const char *s)
{
	struct cf_err e = { 0 };
	char *a = NULL;

	if (cf_dns_name_to_alabel(s, &a, &e) != CF_OK)
		return NULL;
	cf_dns_name_normalize(a);
	return a;
}

static int
add_name(struct cf_winacme_import *im, const char *s)
{
	struct cf_cert_spec *sp = &im->spec;
	char *a = name_of(s);
	int r = 0;

	if (a == NULL)
		return note(im, 1, "'%s' is not a DNS name", s);
	for (size_t i = 0; i < sp->nnames; i++)
		if (strcmp(sp->names[i], a) == 0)
			goto out;
	r = strv_push(&sp->names, &sp->nnames, a);
out:
	free(a);
	return r;
}

static int
add_site(struct cf_winacme_import *im, json_int_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	for (size_t i = 0; i < im->spec.iis.nsites; i++)
		if (strcmp(im->spec.iis.sites[i], buf) == 0)
			return 0;
	return strv_push(&im->spec.iis.sites, &im->spec.iis.nsites, buf);
}

/* Every site of the config with a binding: win-acme's "all sites". */
static int
add_all_sites(struct cf_winacme_import *im, const struct cf_winacme_opts *o)
{
	struct cf_iis_config *cfg = NULL;
	struct cf_err e = { 0 };
	int r = 0;

	if (cf_iis_config_load(o->iis_config, NULL, 0, &cfg, &e) != CF_OK)
		return note(im, 1, "all IIS sites: %s", e.msg);
	for (size_t i = 0; r == 0 && i < cfg->nsites; i++)
		if (cfg->sites[i].nbindings > 0)
			r = add_site(im, (json_int_t)cfg->sites[i].id);
	cf_iis_config_free(cfg);
	if (r == 0)
		r = note(im, 0, "win-acme took every IIS site: the %zu sites of "
			 "the config today are listed; sites added later are "
			 "not followed", im->spec.iis.nsites);
	return r;
}

/* The IIS parts need the config: recorded in the spec, or a note. */
static int
need_config(struct cf_winacme_import *im, const struct cf_winacme_opts *o,
	    const char *why)
{
	if (o->iis_config != NULL)
		return im->spec.iis.config != NULL ||
			       (im->spec.iis.config = strdup(o->iis_config)) !=
				       NULL ? 0 : -1;
	return note(im, 1, "%s needs the server's applicationHost.config: "
		    "give --iis-config FILE", why);
}

/* A manual target: its common and alternative names. */
static int
map_manual(struct cf_winacme_import *im, json_t *t)
{
	const char *s;
	json_t *x;
	size_t i;
	int r = 0;

	if ((s = jstr(t, "CommonName")) != NULL)
		r |= add_name(im, s);
	json_array_foreach(json_object_get(t, "AlternativeNames"), i, x)
		if (json_is_string(x))
			r |= add_name(im, json_string_value(x));
	if (im->spec.nnames == 0)
		r |= note(im, 1, "the manual target has no names");
	return r;
}

/* The sites of an IIS target of kind p (and an IISBinding's host). */
static int
map_iis_sites(struct cf_winacme_import *im, json_t *t, enum wa_plugin p,
	      const char *label, const struct cf_winacme_opts *o)
{
	struct cf_cert_spec *sp = &im->spec;
	const char *s;
	json_t *a, *x;
	size_t i;
	int r = 0;

	switch (p) {
	case WA_T_IIS:
		a = json_object_get(t, "IncludeSiteIds");
		json_array_foreach(a, i, x)
			if (json_is_integer(x))
				r |= add_site(im, json_integer_value(x));
			else if (json_is_string(x))
				r |= add_site(im, strtoll(json_string_value(x),
							  NULL, 10));
		if (json_array_size(a) == 0)
			r |= add_all_sites(im, o);
		break;
	case WA_T_IIS_SITE:
	case WA_T_IIS_BINDING:
		if (json_is_integer(json_object_get(t, "SiteId")))
			r |= add_site(im, json_integer_value(json_object_get(t,
							"SiteId")));
		if (sp->iis.nsites == 0)
			r |= note(im, 1, "the %s target names no SiteId", label);
		if (json_array_size(json_object_get(t, "ExcludeBindings")))
			r |= note(im, 1, "ExcludeBindings are not mapped: the "
				  "certificate would cover every host of the site");
		/* An IISBinding target is that one host of the site. */
		if ((s = jstr(t, "Host")) != NULL &&
		    (sp->iis.host_filter = name_of(s)) == NULL)
			r |= note(im, 1, "Host '%s' is not a DNS name", s);
		break;
	default: /* WA_T_IIS_SITES */
		json_array_foreach(json_object_get(t, "SiteIds"), i, x)
			if (json_is_integer(x))
				r |= add_site(im, json_integer_value(x));
		if (sp->iis.nsites == 0)
			r |= note(im, 1, "the IISSites target names no SiteIds");
		break;
	}
	return r;
}

/* The host filters of an IIS target. */
static int
map_filters(struct cf_winacme_import *im, json_t *t)
{
	struct cf_cert_spec *sp = &im->spec;
	const char *s;
	json_t *a, *x;
	size_t i;
	int r = 0;

	if ((s = jstr(t, "IncludePattern")) != NULL) {
		free(sp->iis.host_filter);
		if ((sp->iis.host_filter = strdup(s)) == NULL)
			r = -1;
	}
	a = json_object_get(t, "IncludeHosts");
	if (json_array_size(a) == 1 && json_is_string(json_array_get(a, 0))) {
		free(sp->iis.host_filter);
		if ((sp->iis.host_filter =
			     name_of(json_string_value(json_array_get(a, 0)))) ==
		    NULL)
			r |= note(im, 1, "IncludeHosts: '%s' is not a DNS name",
				  json_string_value(json_array_get(a, 0)));
	} else if (json_array_size(a) > 1) {
		/* Several hosts: ordered by name, the sites kept for install. */
		json_array_foreach(a, i, x)
			if (json_is_string(x))
				r |= add_name(im, json_string_value(x));
		r |= note(im, 1, "IncludeHosts lists %zu hosts: certferry filters "
			  "a site's hosts by one pattern (--iis-host-filter); "
			  "issue it with -d for each host, or choose a pattern",
			  json_array_size(a));
	}
	if (jstr(t, "IncludeRegex") != NULL)
		r |= note(im, 1, "IncludeRegex '%s' is not mapped: certferry "
			  "filters hosts by a glob (--iis-host-filter)",
			  jstr(t, "IncludeRegex"));
	if (json_array_size(json_object_get(t, "ExcludeHosts")) > 0)
		r |= note(im, 1, "ExcludeHosts is not mapped: certferry would "
			  "include those hosts; choose an --iis-host-filter");
	return r;
}

static int
map_target(struct cf_winacme_import *im, json_t *t,
	   const struct cf_winacme_opts *o)
{
	const char *label;
	enum wa_plugin p = plugin_of(t, &label);
	int r;

	switch (p) {
	case WA_T_MANUAL:
		return map_manual(im, t);
	case WA_T_IIS:
	case WA_T_IIS_SITE:
	case WA_T_IIS_BINDING:
	case WA_T_IIS_SITES:
		break;
	default:
		return note(im, 1, "target plugin %s is not mapped: use "
			    "'certferry issue -d NAME ...' for this certificate",
			    label);
	}
	r = need_config(im, o, "the IIS target");
	if (o->iis_config == NULL)
		return r;
	r |= map_iis_sites(im, t, p, label, o);
	return r | map_filters(im, t);
}

/* A Windows path through the rules; NULL (and a note) when none covers it. */
static char *
map_path(struct cf_winacme_import *im, const struct cf_winacme_opts *o,
	 const char *what, const char *winpath)
{
	struct cf_err e = { 0 };
	char *out = NULL;

	if (cf_iis_path_map_apply(o->path_maps, o->npath_maps, winpath, &out,
				  &e) != CF_OK) {
		note(im, 1, "%s %s: %s", what, winpath, e.msg);
		return NULL;
	}
	return out;
}

static int
use_iis_webroot(struct cf_winacme_import *im, const struct cf_winacme_opts *o,
		const char *why)
{
	struct cf_validation_spec *v = &im->spec.validation;
	int r = 0;

	v->method = CF_VAL_HTTP01;
	if (o->iis_config == NULL || o->npath_maps == 0)
		return note(im, 1, "%s: certferry answers http-01 through the IIS "
			    "sites' folders: give --iis-config FILE and "
			    "--iis-path-map 'C:\\inetpub=/mnt/...'", why);
	v->iis_webroot = 1;
	for (size_t i = 0; r == 0 && i < o->npath_maps; i++)
		r = strv_push(&v->iis_path_maps, &v->niis_path_maps,
			      o->path_maps[i]);
	return r | need_config(im, o, "http-01 through IIS");
}

static int
map_validation(struct cf_winacme_import *im, json_t *v,
	       const struct cf_winacme_opts *o)
{
	struct cf_validation_spec *vs = &im->spec.validation;
	const char *label = "SelfHosting", *s;
	enum wa_plugin p = v == NULL ? WA_V_SELFHOSTING : plugin_of(v, &label);

	switch (p) {
	case WA_V_FILESYSTEM:
		if ((s = jstr(v, "Path")) == NULL)
			return use_iis_webroot(im, o, "FileSystem validation "
					       "into the IIS site's folder");
		vs->method = CF_VAL_HTTP01;
		if ((vs->webroot = map_path(im, o, "FileSystem validation path",
					    s)) == NULL)
			return 0;
		if (json_is_true(json_object_get(v, "CopyWebConfig")))
			return note(im, 0, "win-acme copied a web.config into %s; "
				    "certferry's --webroot writes none (use "
				    "--iis-webroot when IIS serves that folder)", s);
		return 0;
	case WA_V_SELFHOSTING:
		if (use_iis_webroot(im, o, "win-acme answered http-01 itself "
				    "on the Windows server") != 0)
			return -1;
		return im->spec.validation.iis_webroot ?
			       note(im, 0, "win-acme answered http-01 itself on "
				    "the Windows server; certferry answers "
				    "through the IIS sites' folders") : 0;
	case WA_V_DNS_SCRIPT:
		vs->method = CF_VAL_DNS01;
		vs->dns_provider = CF_DNS_SCRIPT;
		vs->dns_propagation_timeout = -1;
		if (o->dns_script == NULL)
			return note(im, 1, "dns-01 by the Windows script %s: give "
				    "--dns-script CMD (run as CMD create|delete "
				    "RECORD VALUE) for certferry",
				    jstr(v, "CreateScript") ? jstr(v, "CreateScript") :
				    jstr(v, "Script") ? jstr(v, "Script") : "?");
		return (vs->dns_script = strdup(o->dns_script)) == NULL ? -1 : 0;
	case WA_V_DNS_MANUAL:
		vs->method = CF_VAL_DNS01;
		vs->dns_provider = CF_DNS_MANUAL;
		vs->dns_propagation_timeout = -1;
		return note(im, 0, "dns-01 by hand: renewals need a person "
			    "('certferry issue'); consider --dns script or rfc2136");
	case WA_V_TLS_SELFHOSTING:
		vs->method = CF_VAL_TLSALPN01;
		return note(im, 1, "win-acme answered tls-alpn-01 on the Windows "
			    "server: certferry's responder runs on this host; "
			    "choose another validation");
	default:
		return note(im, 1, "validation plugin %s is not mapped: issue "
			    "this certificate with certferry's own --validation",
			    label);
	}
}

static int
add_store(struct cf_winacme_import *im, enum cf_store_kind kind, char *path)
{
	struct cf_cert_spec *sp = &im->spec;
	struct cf_store_spec *ns;

	if ((ns = realloc(sp->stores, (sp->nstores + 1) * sizeof(*ns))) == NULL) {
		free(path);
		return -1;
	}
	sp->stores = ns;
	memset(&ns[sp->nstores], 0, sizeof(*ns));
	ns[sp->nstores].kind = kind;
	ns[sp->nstores].path = path;
	sp->nstores++;
	return 0;
}

/* The password of a pfx/ccs store: readable ones are kept in im->password
 * (one for the renewal: win-acme keeps one per store, certferry one per
 * definition); the others need a file. */
static int
store_password(struct cf_winacme_import *im, json_t *st,
	       const struct cf_winacme_opts *o, const char *what)
{
	const char *v = jstr(st, "PfxPasswordProtected");
	enum cf_winacme_secret k;
	char *clear = NULL;
	int r = 0;

	if (v == NULL)
		v = jstr(st, "PfxPassword");
	k = cf_winacme_secret_read(v, &clear);
	if (k == CF_WA_SECRET_CLEAR && clear != NULL) {
		if (im->password != NULL && strcmp(im->password, clear) != 0)
			r = note(im, 1, "the stores have different passwords: "
				 "certferry uses one per certificate");
		if (im->password == NULL)
			im->password = clear;
		else
			OPENSSL_clear_free(clear, strlen(clear));
		return r;
	}
	if (o->pfx_password_file != NULL)
		return 0;
	im->password_needed = 1;
	return note(im, 1, "the %s password %s: give --pfx-password-file FILE "
		    "(a file holding it, 0600)", what,
		    k == CF_WA_SECRET_DPAPI ? "was encrypted by win-acme with "
					      "Windows DPAPI and cannot be read here" :
		    k == CF_WA_SECRET_VAULT ? "is in win-acme's secret vault" :
					      "is win-acme's default from settings.json");
}

static int
map_store(struct cf_winacme_import *im, json_t *st,
	  const struct cf_winacme_opts *o)
{
	const char *label, *p;
	char *path, *file;
	int r;

	switch (plugin_of(st, &label)) {
	case WA_S_CENTRALSSL:
		if ((p = jstr(st, "Path")) == NULL)
			return note(im, 1, "the CentralSsl store uses win-acme's "
				    "default folder (settings.json): give the CCS "
				    "folder to certferry issue --ccs-dir");
		if ((path = map_path(im, o, "CCS folder", p)) == NULL)
			return 0;
		if ((r = add_store(im, CF_STORE_CCS, path)) != 0)
			return r;
		return store_password(im, st, o, "CCS");
	case WA_S_PEMFILES:
		if ((p = jstr(st, "Path")) == NULL)
			return note(im, 1, "the PemFiles store uses win-acme's "
				    "default folder: give --pem-dir to certferry");
		if ((path = map_path(im, o, "PEM folder", p)) == NULL)
			return 0;
		r = add_store(im, CF_STORE_PEM, path);
		if (r == 0)
			r = note(im, 0, "PEM files: certferry writes privkey.pem, "
				 "cert.pem, chain.pem and fullchain.pem (win-acme "
				 "wrote <name>-key.pem, -crt.pem, -chain.pem)");
		return r;
	case WA_S_PFXFILE:
		if ((p = jstr(st, "Path")) == NULL)
			return note(im, 1, "the PfxFile store uses win-acme's "
				    "default folder: give --pfx-file to certferry");
		if ((path = map_path(im, o, "PFX folder", p)) == NULL)
			return 0;
		file = cf_strfmt("%s/%s%s", path,
				 jstr(st, "FileName") ? jstr(st, "FileName") :
							im->spec.name,
				 jstr(st, "FileName") ? "" : ".pfx");
		free(path);
		if (file == NULL || (r = add_store(im, CF_STORE_PFX, file)) != 0)
			return -1;
		return store_password(im, st, o, "PFX file");
	case WA_S_CERTSTORE:
		return note(im, 0, "win-acme also put it in the Windows "
			    "certificate store: certferry serves IIS from the "
			    "Centralized Certificate Store instead (docs/IIS.md)");
	case WA_S_NULL:
		return 0;
	default:
		return note(im, 1, "store plugin %s is not mapped", label);
	}
}

static int
map_installation(struct cf_winacme_import *im, json_t *in,
		 const struct cf_winacme_opts *o)
{
	struct cf_cert_spec *sp = &im->spec;
	const char *label;
	int ccs = 0, r = 0;

	switch (plugin_of(in, &label)) {
	case WA_I_IIS:
		for (size_t i = 0; i < sp->nstores; i++)
			ccs |= sp->stores[i].kind == CF_STORE_CCS;
		if (!ccs)
			return note(im, 1, "IIS installation: certferry installs "
				    "through the Centralized Certificate Store; "
				    "win-acme's store is not one: add the CCS "
				    "folder (issue --ccs-dir --install iis)");
		if (need_config(im, o, "IIS installation") != 0 ||
		    o->iis_config == NULL)
			return 0;
		if (json_is_integer(json_object_get(in, "SiteId")) &&
		    sp->iis.nsites == 0)
			r |= add_site(im, json_integer_value(json_object_get(in,
							"SiteId")));
		if (sp->iis.nsites != 1)
			return r | note(im, 1, "IIS installation into %zu sites: "
					"certferry's --install iis takes one site "
					"per certificate", sp->iis.nsites);
		sp->iis.install = 1;
		if (json_is_integer(json_object_get(in, "NewBindingPort")))
			sp->iis.https_port = (int)json_integer_value(
				json_object_get(in, "NewBindingPort"));
		if (jstr(in, "NewBindingIp") != NULL &&
		    strcmp(jstr(in, "NewBindingIp"), "*") != 0)
			r |= note(im, 0, "new bindings on IP %s: certferry adds them "
				  "on all addresses (*)", jstr(in, "NewBindingIp"));
		return r;
	case WA_I_NULL:
		return 0;
	case WA_I_SCRIPT:
		return note(im, 1, "installation script %s is not mapped: run it "
			    "on Windows, or a deploy hook",
			    jstr(in, "Script") ? jstr(in, "Script") : "?");
	default:
		return note(im, 1, "installation plugin %s is not mapped", label);
	}
}

static int
map_csr(struct cf_winacme_import *im, json_t *c)
{
	const char *label;

	if (c == NULL) {
		im->spec.key_type = CF_KEY_RSA3072;
		return 0;
	}
	im->spec.reuse_key = json_is_true(json_object_get(c, "ReusePrivateKey"));
	switch (plugin_of(c, &label)) {
	case WA_C_EC:
		im->spec.key_type = CF_KEY_EC384;  /* win-acme's default curve */
		return 0;
	case WA_C_RSA:
		im->spec.key_type = CF_KEY_RSA3072; /* win-acme's default size */
		return 0;
	default:
		return note(im, 0, "CSR plugin %s: certferry makes its own key "
			    "(ec256)", label);
	}
}

cf_rc
cf_winacme_renewal_map(json_t *j, const struct cf_winacme_opts *o,
		       struct cf_winacme_import *im, struct cf_err *err)
{
	const char *id = jstr(j, "Id");
	json_t *a, *x;
	size_t i;
	int r = 0;

	memset(im, 0, sizeof(*im));
	if (!json_is_object(j) || id == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "not a win-acme renewal (no \"Id\")");
	im->complete = 1;
	im->spec.validation.dns_propagation_timeout = -1;
	if ((im->id = strdup(id)) == NULL ||
	    (im->spec.name = cf_strfmt("winacme-%s", id)) == NULL ||
	    (jstr(j, "LastFriendlyName") != NULL &&
	     (im->friendly_name = strdup(jstr(j, "LastFriendlyName"))) == NULL))
		goto nomem;
	for (char *p = im->spec.name; *p != '\0'; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' ||
		      (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	if (o->directory_url == NULL)
		r |= note(im, 1, "the ACME server of this folder is not known: "
			  "give --server URL");
	else if ((im->spec.directory_url = strdup(o->directory_url)) == NULL)
		goto nomem;
	r |= map_target(im, json_object_get(j, "TargetPluginOptions"), o);
	r |= map_validation(im, json_object_get(j, "ValidationPluginOptions"), o);
	r |= map_csr(im, json_object_get(j, "CsrPluginOptions"));
	a = json_object_get(j, "StorePluginOptions");
	json_array_foreach(a, i, x)
		r |= map_store(im, x, o);
	if (json_array_size(a) == 0)
		r |= note(im, 0, "no store named: win-acme used the Windows "
			  "certificate store; certferry keeps the files in its "
			  "state folder");
	json_array_foreach(json_object_get(j, "InstallationPluginOptions"), i, x)
		r |= map_installation(im, x, o);
	if (r != 0)
		goto nomem;
	/* Stores with a password: the file given, or the readable one (the
	 * caller keeps it as a file and sets password_file). */
	for (i = 0; i < im->spec.nstores; i++) {
		struct cf_store_spec *st = &im->spec.stores[i];
		if (st->kind == CF_STORE_PEM)
			continue;
		if (o->pfx_password_file != NULL && im->password == NULL &&
		    (st->password_file = strdup(o->pfx_password_file)) == NULL)
			goto nomem;
	}
	if (im->spec.nnames == 0 && im->spec.iis.nsites == 0)
		im->complete = 0;
	return CF_OK;
nomem:
	cf_winacme_import_free(im);
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

void
cf_winacme_import_free(struct cf_winacme_import *im)
{
	if (im == NULL)
		return;
	free(im->id);
	free(im->friendly_name);
	cf_spec_free(&im->spec);
	if (im->password != NULL)
		OPENSSL_clear_free(im->password, strlen(im->password));
	strv_free(im->notes, im->nnotes);
	memset(im, 0, sizeof(*im));
}

enum cf_winacme_secret
cf_winacme_secret_read(const char *value, char **clear)
{
	struct cf_err e = { 0 };
	unsigned char *raw = NULL;
	size_t len = 0;

	if (clear != NULL)
		*clear = NULL;
	if (value == NULL || *value == '\0')
		return CF_WA_SECRET_NONE;
	if (strncmp(value, "enc-", 4) == 0)
		return CF_WA_SECRET_DPAPI;
	if (strncmp(value, "vault://", 8) == 0)
		return CF_WA_SECRET_VAULT;
	if (strncmp(value, "clear-", 6) == 0) {
		if (clear != NULL && (*clear = strdup(value + 6)) == NULL)
			return CF_WA_SECRET_NONE;
		return CF_WA_SECRET_CLEAR;
	}
	/* Plain base64 of the UTF-8 password (EncryptConfig off). */
	if (cf_b64_decode_any(value, &raw, &len, &e) != CF_OK ||
	    memchr(raw, '\0', len) != NULL) {
		if (raw != NULL)
			OPENSSL_clear_free(raw, len);
		return CF_WA_SECRET_DPAPI; /* not readable: treat as protected */
	}
	if (clear != NULL && (*clear = strndup((char *)raw, len)) == NULL) {
		OPENSSL_clear_free(raw, len);
		return CF_WA_SECRET_NONE;
	}
	OPENSSL_clear_free(raw, len);
	return CF_WA_SECRET_CLEAR;
}

const char *
cf_winacme_server_for_folder(const char *folder)
{
	static const struct {
		const char *folder, *url;
	} known[] = {
		{ "acme-v02.api.letsencrypt.org",
		  "https://acme-v02.api.letsencrypt.org/directory" },
		{ "acme-staging-v02.api.letsencrypt.org",
		  "https://acme-staging-v02.api.letsencrypt.org/directory" },
		{ "acme.sectigo.comv2DV", "https://acme.sectigo.com/v2/DV" },
		{ "acme.sectigo.comv2OV", "https://acme.sectigo.com/v2/OV" },
		{ "acme.sectigo.comv2EV", "https://acme.sectigo.com/v2/EV" },
		{ "acme.zerossl.comv2DV90", "https://acme.zerossl.com/v2/DV90" },
		{ "api.buypass.comacmedirectory",
		  "https://api.buypass.com/acme/directory" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(folder, known[i].folder) == 0)
			return known[i].url;
	return NULL;
}
