/*
 * spec.h - what a certificate is meant to be: the order, how its names are
 * proved, and where the result goes.
 *
 * Owns: struct cf_cert_spec, built by `certferry issue` from the command
 * line and saved as the heart of the renewal definition (JSON, versioned),
 * so that `certferry renew` runs the very same order unattended.  A spec
 * never holds a secret: TSIG keys and PFX passwords are referred to by the
 * path of their 0600 file.  Every path in a spec is absolute (the CLI
 * makes it so), because renewals run from another working directory.
 *
 * It also turns a spec into the running parts: the validator for its
 * challenge method, and the delivery of an issued certificate to its stores
 * (PEM folder, PFX file, IIS Centralized Certificate Store).
 */
#ifndef CF_SPEC_H
#define CF_SPEC_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "crypto/key.h"
#include "crypto/pkcs12.h"
#include "validate/dns01.h"
#include "validate/validate.h"

#define CF_SPEC_VERSION 1

enum cf_val_method {
	CF_VAL_HTTP01 = 0,   /* standalone responder, or webroot when set */
	CF_VAL_DNS01,
	CF_VAL_TLSALPN01,
	CF_VAL_COUNT
};

struct cf_validation_spec {
	enum cf_val_method method;
	/* http-01 */
	char *http_address;          /* NULL: every address */
	int http_port;               /* 0: 80 */
	char *webroot;               /* set: webroot instead of standalone */
	/* http-01 answered by IIS (--iis-webroot): files under the
	 * physicalPath of the site serving each name, found in the spec's
	 * iis.config and mapped by these 'WINDOWS=/LINUX' rules */
	int iis_webroot;
	char **iis_path_maps;
	size_t niis_path_maps;
	/* dns-01 */
	enum cf_dns_provider dns_provider;
	char *dns_server;
	char *tsig_key_file;
	char *dns_script;
	char *dns_alias;
	char **dns_resolvers;
	size_t ndns_resolvers;
	int dns_propagation_timeout; /* -1: default (120) */
	/* tls-alpn-01 */
	char *tls_address;
	int tls_port;                /* 0: 443 */
};

enum cf_store_kind { CF_STORE_PEM = 0, CF_STORE_PFX, CF_STORE_CCS,
		     CF_STORE_KIND_COUNT };

struct cf_store_spec {
	enum cf_store_kind kind;
	char *path;                  /* folder (pem, ccs) or file (pfx) */
	char *password_file;         /* pfx, ccs: absolute path of the 0600
					file holding the password */
	int no_password;             /* pfx, ccs: written unprotected, as the
					user asked (--pfx-no-password) */
	enum cf_pfx_format pfx_format;
};

struct cf_iis_spec {
	char *config;                /* applicationHost.config, NULL = none */
	char **sites;                /* names or ids */
	size_t nsites;
	char *host_filter;           /* fnmatch pattern, or NULL */
	int install;                 /* --install iis: add CCS bindings */
	int https_port;              /* 0: 443 */
	int migrate;                 /* --iis-migrate: HTTP.sys bindings of
					the names become CCS bindings */
	/* What each sites[i] was when the definition was recorded (parallel
	 * to sites; NULL arrays in older definitions; "" for "*"): the site
	 * id, which renewals follow when the name changes, and its name. */
	char **site_ids;             /* decimal */
	char **site_names;
	char **site_hosts;           /* its hosts then, comma-separated */
};

/* --install nginx|apache (install/server.h) and --deploy-hook. */
struct cf_server_spec {
	int kind;                    /* enum cf_server_kind; 0: none */
	int configure;               /* --configure: edit the TLS blocks */
	char *bin;                   /* --server-bin, NULL: nginx / apache2ctl */
	char *conf;                  /* --server-config, NULL: the server's
					default (and systemd reloads it) */
};

struct cf_hooks_spec {
	char **deploy;               /* --deploy-hook CMD, run in order */
	size_t ndeploy;
	int timeout_s;               /* --deploy-hook-timeout, 0: 300 */
};

struct cf_cert_spec {
	char *name;                  /* certificate name in the state folder */
	char *directory_url;
	char *ca_bundle;             /* trust anchors for the CA's HTTPS as
					given at issue time (absolute), or
					NULL for the system's */
	char **names;                /* DNS names as ordered (A-labels) */
	size_t nnames;
	enum cf_key_type key_type;
	int reuse_key;               /* renewals keep the private key */
	long renew_before_days;      /* 0: when a third of the lifetime is left */
	struct cf_validation_spec validation;
	struct cf_store_spec *stores;
	size_t nstores;
	struct cf_iis_spec iis;
	/* Protocol choices (issue 16); NULL when not asked for. */
	char *profile;               /* ACME profile sent in newOrder */
	char *preferred_chain;       /* issuer CN of the topmost certificate
					of the chain to keep among those the
					CA offers (as certbot matches it) */
	char *csr_file;              /* bring-your-own CSR (absolute path):
					its names are ordered, it is sent
					at finalize as it is */
	char *key_file;              /* bring-your-own private key (absolute
					path): the certificate's key */
	char *account;               /* --account NAME, NULL: the default
					account of the server */
	struct cf_server_spec server;
	struct cf_hooks_spec hooks;
};

void cf_spec_free(struct cf_cert_spec *s);

/* Names for the enums, as the CLI and the JSON use them. */
const char *cf_val_method_name(enum cf_val_method m);
cf_rc cf_val_method_parse(const char *s, enum cf_val_method *out,
			  struct cf_err *err) CF_MUST_CHECK;
const char *cf_store_kind_name(enum cf_store_kind k);
cf_rc cf_store_kind_parse(const char *s, enum cf_store_kind *out,
			  struct cf_err *err) CF_MUST_CHECK;
const char *cf_dns_provider_name(enum cf_dns_provider p);
cf_rc cf_dns_provider_parse(const char *s, enum cf_dns_provider *out,
			    struct cf_err *err) CF_MUST_CHECK;

/* Check the spec as a whole for the names it will order (names[0..n),
 * usually from cf_spec_resolve_names): syntax, method vs wildcard,
 * duplicates, store and IIS options.  CF_ERR_USAGE naming the problem. */
cf_rc cf_spec_check(const struct cf_cert_spec *s, const char *const *names,
		    size_t n, struct cf_err *err) CF_MUST_CHECK;

/* Spec <-> JSON object (the "spec" member of a renewal definition). */
cf_rc cf_spec_to_json(const struct cf_cert_spec *s, json_t **out,
		      struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_spec_from_json(json_t *j, struct cf_cert_spec *out,
			struct cf_err *err) CF_MUST_CHECK;

/*
 * The validator for the whole spec: IIS-answered http-01 (it needs the
 * spec's applicationHost.config), else cf_spec_validator_new.
 */
cf_rc cf_spec_validator_for(const struct cf_cert_spec *s, FILE *manual_in,
			    FILE *manual_out, struct cf_validator *out,
			    struct cf_err *err) CF_MUST_CHECK;

/*
 * The validator for the spec's method.  For dns-01 manual mode the
 * prompts go to manual_out / answers come from manual_in (the CLI passes
 * stderr/stdin).  The standalone responders bind their port here.
 */
cf_rc cf_spec_validator_new(const struct cf_validation_spec *v, FILE *manual_in,
			    FILE *manual_out, struct cf_validator *out,
			    struct cf_err *err) CF_MUST_CHECK;

#endif
