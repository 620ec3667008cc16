/* cmd_issue.c - "certferry issue": enroll one certificate end to end. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/ip.h"
#include "core/log.h"
#include "core/time.h"
#include "engine/deliver.h"
#include "engine/preflight.h"
#include "engine/renew.h"
#include "engine/spec.h"
#include "iis/netsh.h"
#include "iis/pathmap.h"
#include "store/atomic.h"
#include "store/paths.h"
#include "validate/dnsname.h"

#define MAX_LIST 100

enum {
	OPT_NAME = OPT_ACCOUNT_LAST, OPT_KEY_TYPE, OPT_VALIDATION, OPT_HTTP_PORT,
	OPT_HTTP_ADDR, OPT_WEBROOT, OPT_DNS, OPT_DNS_SERVER, OPT_TSIG_KEY_FILE,
	OPT_DNS_SCRIPT, OPT_DNS_ALIAS, OPT_DNS_RESOLVER, OPT_DNS_PROP_TIMEOUT,
	OPT_TLS_PORT, OPT_TLS_ADDR, OPT_STORE, OPT_PEM_DIR, OPT_PFX_FILE,
	OPT_CCS_DIR, OPT_PFX_PASSWORD_FILE, OPT_PFX_FORMAT, OPT_IIS_CONFIG,
	OPT_IIS_SITE, OPT_IIS_HOST_FILTER, OPT_INSTALL, OPT_HTTPS_PORT,
	OPT_DRY_RUN, OPT_WAIT, OPT_REUSE_KEY, OPT_RENEW_BEFORE, OPT_PFX_NO_PASSWORD,
	OPT_FORCE, OPT_IIS_WEBROOT, OPT_IIS_PATH_MAP, OPT_IIS_MIGRATE,
	OPT_PER_SITE, OPT_PROFILE, OPT_PREFERRED_CHAIN, OPT_CSR, OPT_KEY,
	OPT_CONFIGURE, OPT_SERVER_CONFIG, OPT_SERVER_BIN, OPT_DEPLOY_HOOK,
	OPT_DEPLOY_HOOK_TIMEOUT, OPT_FROM, OPT_JOBS, OPT_PER_CA
};

static const struct option issue_longopts[] = {
	{ "domain", required_argument, NULL, 'd' },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "reuse-key", no_argument, NULL, OPT_REUSE_KEY },
	{ "renew-before", required_argument, NULL, OPT_RENEW_BEFORE },
	{ "validation", required_argument, NULL, OPT_VALIDATION },
	{ "http-port", required_argument, NULL, OPT_HTTP_PORT },
	{ "http-address", required_argument, NULL, OPT_HTTP_ADDR },
	{ "webroot", required_argument, NULL, OPT_WEBROOT },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
	{ "tsig-key-file", required_argument, NULL, OPT_TSIG_KEY_FILE },
	{ "dns-script", required_argument, NULL, OPT_DNS_SCRIPT },
	{ "dns-alias", required_argument, NULL, OPT_DNS_ALIAS },
	{ "dns-resolver", required_argument, NULL, OPT_DNS_RESOLVER },
	{ "dns-propagation-timeout", required_argument, NULL, OPT_DNS_PROP_TIMEOUT },
	{ "tls-port", required_argument, NULL, OPT_TLS_PORT },
	{ "tls-address", required_argument, NULL, OPT_TLS_ADDR },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "pem-dir", required_argument, NULL, OPT_PEM_DIR },
	{ "pfx-file", required_argument, NULL, OPT_PFX_FILE },
	{ "ccs-dir", required_argument, NULL, OPT_CCS_DIR },
	{ "pfx-password-file", required_argument, NULL, OPT_PFX_PASSWORD_FILE },
	{ "pfx-format", required_argument, NULL, OPT_PFX_FORMAT },
	{ "pfx-no-password", no_argument, NULL, OPT_PFX_NO_PASSWORD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "iis-config", required_argument, NULL, OPT_IIS_CONFIG },
	{ "iis-site", required_argument, NULL, OPT_IIS_SITE },
	{ "iis-host-filter", required_argument, NULL, OPT_IIS_HOST_FILTER },
	{ "install", required_argument, NULL, OPT_INSTALL },
	{ "https-port", required_argument, NULL, OPT_HTTPS_PORT },
	{ "iis-webroot", no_argument, NULL, OPT_IIS_WEBROOT },
	{ "iis-path-map", required_argument, NULL, OPT_IIS_PATH_MAP },
	{ "iis-migrate", no_argument, NULL, OPT_IIS_MIGRATE },
	{ "per-site", no_argument, NULL, OPT_PER_SITE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "per-ca", required_argument, NULL, OPT_PER_CA },
	{ "configure", no_argument, NULL, OPT_CONFIGURE },
	{ "server-config", required_argument, NULL, OPT_SERVER_CONFIG },
	{ "server-bin", required_argument, NULL, OPT_SERVER_BIN },
	{ "deploy-hook", required_argument, NULL, OPT_DEPLOY_HOOK },
	{ "deploy-hook-timeout", required_argument, NULL, OPT_DEPLOY_HOOK_TIMEOUT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "preferred-chain", required_argument, NULL, OPT_PREFERRED_CHAIN },
	{ "csr", required_argument, NULL, OPT_CSR },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "help", no_argument, NULL, 'h' },
	CF_ACCOUNT_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

struct issue_cli {
	struct cf_cert_spec spec;       /* owns every string */
	int method_given;
	int dns_given, tls_given;
	unsigned stores_asked;          /* bit per cf_store_kind from --store */
	char *pfx_password_file;
	int pfx_no_password;            /* --pfx-no-password */
	const char *pfx_password_env;   /* CERTFERRY_PFX_PASSWORD (borrowed) */
	char *pending_secret;           /* where that password is kept (path) */
	char *secrets_dir;              /* its folder, STATE/secrets */
	int pfx_format_set;
	enum cf_pfx_format pfx_format;
	const char *ca_bundle;          /* the global --ca-bundle (absolute) */
	const char *account_name;       /* the global --account NAME */
	int dry_run;
	int force;                      /* order even when the current
					   certificate is good */
	long wait_s;
	int per_site;                   /* --per-site: one certificate per
					   IIS site */
	char *from_file;                /* --from FILE: one certificate
					   per line */
	int jobs;                       /* --jobs: orders at a time (bulk) */
	int per_ca;                     /* --per-ca: at one CA (bulk) */
	struct cf_account_cli account;
};

static const char *const issue_help[] = {
"usage: certferry [global options] issue -d NAME [-d NAME]... [options]\n",
"       certferry [global options] issue --csr FILE [--key FILE] [options]\n",
"       certferry [global options] issue --from FILE [--jobs N] [options]\n",
"\n",
"Orders a certificate for the names, proves control of them, stores key and\n",
"chain in STATE/certs/NAME/ and in every --store, and installs it on IIS\n",
"with --install iis.  Registers the ACME account first when there is none.\n",
"\n",
"certificate:\n",
"  -d, --domain NAME          a DNS name (repeatable; \"*.example.com\" needs\n",
"                             dns-01; Unicode names are sent as xn--), or\n",
"                             an IP address (192.0.2.1, 2001:db8::1; RFC\n",
"                             8738: http-01 or tls-alpn-01 only)\n",
"  --name CERTNAME            name in the state folder (default: first name)\n",
"  --key-type T               ec256 (default), ec384, rsa2048, rsa3072, rsa4096\n",
"  --reuse-key                renewals keep the same private key\n",
"  --renew-before DAYS        renew DAYS (1 to 36500) before expiry\n",
"                             (default: when a third of the lifetime is\n",
"                             left, or as the CA's renewal information says)\n",
"  --wait SECONDS             how long to wait for the CA (default 300); when\n",
"                             it ends first the order is saved, the exit\n",
"                             status is 3 and the next issue/renew resumes it\n",
"  --dry-run                  run every check, show names, method, stores\n",
"                             and IIS changes; order nothing, write nothing\n",
"  --force                    order even when the certificate in the state\n",
"                             folder covers these names and is not due\n",
"                             (without it, issue only redelivers it)\n",
"protocol:\n",
"  --profile NAME             ACME profile of the order (the CA's list:\n",
"                             'certferry ca info'); refused before ordering\n",
"                             when the CA does not offer it\n",
"  --preferred-chain ISSUER   of the chains the CA offers, keep the one whose\n",
"                             topmost certificate is issued by ISSUER (its\n",
"                             CN); the default chain when none is\n",
"  --csr FILE                 your own CSR (PEM or DER): its names are\n",
"                             ordered (no -d), it is sent as it is, and\n",
"                             renewals send it again\n",
"  --key FILE                 your own private key (PEM): the certificate's\n",
"                             key, at every renewal; with --csr, the CSR's\n",
"                             key (needed by every store but the state)\n",
"validation (default http-01 with the built-in responder on port 80):\n",
"  --validation M             http-01, dns-01 or tls-alpn-01\n",
"  --http-port N              http-01 responder port (default 80)\n",
"  --http-address ADDR        address it binds (default: all)\n",
"  --webroot DIR              http-01 through DIR/.well-known/acme-challenge/\n",
"  --dns rfc2136|script|manual  how dns-01 records are made\n",
"  --dns-server HOST[:PORT]   rfc2136: the primary server to update\n",
"  --tsig-key-file FILE       rfc2136: TSIG key (BIND tsig-keygen format)\n",
"  --dns-script CMD           script: run as CMD create|delete RECORD VALUE\n",
"  --dns-alias ZONE           write _acme-challenge.ZONE (CNAME delegation)\n",
"  --dns-resolver HOST[:PORT] check propagation there (repeatable)\n",
"  --dns-propagation-timeout S  wait at most S seconds (0: no check; 120)\n",
"  --iis-webroot              http-01 answered by IIS: each token (and a\n",
"                             web.config serving it as text/plain) under\n",
"                             the physicalPath of the site serving the name\n",
"                             (needs --iis-config and --iis-path-map)\n",
"  --iis-path-map 'WIN=LINUX' where a Windows folder is mounted here, e.g.\n",
"                             'C:\\inetpub=/mnt/web/inetpub' (repeatable;\n",
"                             %SystemDrive% etc. expanded, case ignored)\n",
"  --tls-port N               tls-alpn-01 responder port (default 443)\n",
"  --tls-address ADDR         address it binds (default: all)\n",
"stores (any number, besides the state folder):\n",
"  --pem-dir DIR              privkey.pem, cert.pem, chain.pem, fullchain.pem\n",
"                             (links into DIR/.certferry/, changed as one set)\n",
"  --pfx-file FILE            one PKCS#12 file\n",
"  --ccs-dir DIR              IIS Centralized Certificate Store: one PFX per name\n",
"  --store pem|pfx|ccs        (optional) names a store whose folder/file is given\n",
"  --pfx-password-file FILE   PFX password, read at every renewal (or env\n",
"                             CERTFERRY_PFX_PASSWORD, kept as a 0600 file\n",
"                             in the state folder for the renewals)\n",
"  --pfx-no-password          write PFX files without a password (IIS needs\n",
"                             one for CCS: only for other readers)\n",
"  --pfx-format legacy|aes256 legacy (default) imports on every Windows\n",
"IIS:\n",
"  --iis-config FILE          applicationHost.config (from the IIS server)\n",
"  --iis-site NAME|ID|'*'     take host names from this site (repeatable;\n",
"                             '*': every site, also those added later);\n",
"                             renewals follow the site's id when renamed\n",
"  --iis-host-filter PATTERN  only hosts matching this glob\n",
"  --install iis              add https CCS bindings (sslFlags 3) as needed,\n",
"                             each in the site that owns its host\n",
"  --iis-migrate              with --install iis: turn the HTTP.sys https\n",
"                             bindings of the names (win-acme's) into CCS\n",
"                             bindings, and write the netsh script that\n",
"                             finishes the move on Windows\n",
"  --https-port N             port of added bindings (default 443)\n",
"  --per-site                 one certificate per site of --iis-site (each\n",
"                             its own renewal), named by --name PATTERN\n",
"                             with {id} and {name} (default 'site-{id}')\n",
"many certificates at once (the checks one after the other, then the\n",
"orders concurrently; one failure does not stop the others):\n",
"  --from FILE                one certificate per line: NAME [NAME...],\n",
"                             named after its first name ('#' starts a\n",
"                             comment; a bad line refuses the file;\n",
"                             --pem-dir and --pfx-file are refused: use\n",
"                             --ccs-dir or --deploy-hook)\n",
"  --jobs N                   with --from or --per-site: orders at a time\n",
"                             (default 4, at most 32)\n",
"  --per-ca N                 at most N orders at once at the CA (default\n",
"                             4); one Retry-After or rate limit holds them all\n",
"nginx and Apache (see docs/LINUX.md):\n",
"  --install nginx|apache     point the TLS server blocks / virtual hosts of\n",
"                             the names at --pem-dir's fullchain.pem and\n",
"                             privkey.pem, test the configuration, reload,\n",
"                             and prove by a TLS handshake to every name\n",
"                             that the new certificate is served (else roll\n",
"                             back certificate and configuration)\n",
"  --configure                edit blocks that use other files (a backup\n",
"                             goes to STATE/backups/); without it certferry\n",
"                             only reloads blocks already pointing there\n",
"  --server-config FILE       the server's main configuration (nginx -c,\n",
"                             apache2ctl -f; default: the system's, and\n",
"                             systemd reloads the unit when it is active)\n",
"  --server-bin PATH          nginx / apache2ctl to run (default: from PATH)\n",
"deploy hooks (run after every delivery, renewals too):\n",
"  --deploy-hook CMD          run CMD (repeatable; no shell: words, quotes,\n",
"                             placeholders {CertCommonName} {CertThumbprint}\n",
"                             {CertFriendlyName} {StorePath} {CacheFile}\n",
"                             {RenewalId} {CertSerial} {PfxPasswordFile});\n",
"                             environment RENEWED_LINEAGE, RENEWED_DOMAINS,\n",
"                             CERTFERRY_* (files, serial, not-after); its\n",
"                             failure is reported, the delivery stands\n",
"  --deploy-hook-timeout S    kill a hook after S seconds (default 300)\n",
"\n",
"Every path is recorded as an absolute path (renewals run from another\n",
"folder), and everything the certificate will touch is checked before\n",
"anything is ordered (exit 2 naming the path when a check fails).\n",
"\n",
"Defaults for every option but -d, --from, --name, --iis-site,\n",
"--iis-host-filter, --csr, --key, --force and --dry-run can be set once in\n",
"the settings file's [issue] section (certferry config --help); the command\n",
"line wins.\n",
"\n",
"account options (used only when the account is created):\n",
CF_ACCOUNT_HELP,
};

static void
issue_usage(FILE *f)
{
	size_t n = sizeof(issue_help) / sizeof(issue_help[0]);

	for (size_t i = 0; i < n; i++)
		fputs(issue_help[i], f);
}

static int
dup_to(char **slot, const char *v, struct cf_err *err)
{
	free(*slot);
	if ((*slot = strdup(v)) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	return 0;
}

static int
push(char ***v, size_t *n, const char *s, const char *what, struct cf_err *err)
{
	char **nv;

	if (*n == MAX_LIST) {
		cf_err_set(err, CF_ERR_USAGE, "at most %d %s", MAX_LIST, what);
		return -1;
	}
	if ((nv = realloc(*v, (*n + 2) * sizeof(char *))) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	(*n)++;
	return 0;
}

static int
port_arg(const char *opt, const char *arg, int *out, struct cf_err *err)
{
	long v;

	if (cf_cli_long_arg(opt, arg, 1, 65535, &v, err) != CF_OK)
		return -1;
	*out = (int)v;
	return 0;
}

static int
secs_arg(const char *opt, const char *arg, long *out, struct cf_err *err)
{
	return cf_cli_long_arg(opt, arg, 0, 7L * 86400, out, err) == CF_OK ? 0 : -1;
}

/* -d NAME: Unicode becomes A-labels, upper case is lowered; an IP
 * address (RFC 8738) takes its canonical form. */
static int
add_name(struct issue_cli *c, const char *arg, struct cf_err *err)
{
	char *alabel = NULL, ip[CF_IP_TEXT_MAX];
	int r;

	if (cf_ip_canon(arg, ip))
		return push(&c->spec.names, &c->spec.nnames, ip, "names", err);
	if (cf_dns_name_to_alabel(arg, &alabel, err) != CF_OK)
		return -1;
	cf_dns_name_normalize(alabel);
	r = push(&c->spec.names, &c->spec.nnames, alabel, "names", err);
	free(alabel);
	return r;
}

static int
add_store(struct issue_cli *c, enum cf_store_kind kind, const char *path,
	  struct cf_err *err)
{
	struct cf_store_spec *ns;

	if (c->spec.nstores == 16) {
		cf_err_set(err, CF_ERR_USAGE, "at most 16 stores");
		return -1;
	}
	ns = realloc(c->spec.stores, (c->spec.nstores + 1) * sizeof(*ns));
	if (ns == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	c->spec.stores = ns;
	memset(&ns[c->spec.nstores], 0, sizeof(*ns));
	ns[c->spec.nstores].kind = kind;
	if ((ns[c->spec.nstores].path = strdup(path)) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	c->spec.nstores++;
	return 0;
}

/* The nginx/Apache and deploy hook options. */
static int
server_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	struct cf_server_spec *sv = &c->spec.server;
	long l;

	switch (ch) {
	case OPT_CONFIGURE:
		sv->configure = 1;
		return 0;
	case OPT_SERVER_CONFIG:
		return dup_to(&sv->conf, arg, err);
	case OPT_SERVER_BIN:
		return dup_to(&sv->bin, arg, err);
	case OPT_DEPLOY_HOOK:
		return push(&c->spec.hooks.deploy, &c->spec.hooks.ndeploy, arg,
			    "--deploy-hook", err);
	default:
		if (secs_arg("--deploy-hook-timeout", arg, &l, err) != 0)
			return -1;
		c->spec.hooks.timeout_s = (int)(l > 86400 ? 86400 : l < 1 ? 1 : l);
		return 0;
	}
}

/* The validation options; 1: not one of them. */
static int
validation_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	struct cf_validation_spec *v = &c->spec.validation;

	switch (ch) {
	case OPT_VALIDATION:
		c->method_given = 1;
		return cf_val_method_parse(arg, &v->method, err) == CF_OK ? 0 : -1;
	case OPT_HTTP_PORT:
		return port_arg("--http-port", arg, &v->http_port, err);
	case OPT_HTTP_ADDR:
		return dup_to(&v->http_address, arg, err);
	case OPT_WEBROOT:
		return dup_to(&v->webroot, arg, err);
	case OPT_TLS_PORT:
		c->tls_given = 1;
		return port_arg("--tls-port", arg, &v->tls_port, err);
	case OPT_TLS_ADDR:
		c->tls_given = 1;
		return dup_to(&v->tls_address, arg, err);
	case OPT_IIS_WEBROOT:
		v->iis_webroot = 1;
		return 0;
	case OPT_IIS_PATH_MAP:
		return push(&v->iis_path_maps, &v->niis_path_maps, arg,
			    "--iis-path-map", err);
	default:
		return 1;
	}
}

/* The dns-01 options; 1: not one of them. */
static int
dns_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	struct cf_validation_spec *v = &c->spec.validation;
	long l;

	switch (ch) {
	case OPT_DNS:
		c->dns_given = 1;
		return cf_dns_provider_parse(arg, &v->dns_provider, err) == CF_OK ?
			       0 : -1;
	case OPT_DNS_SERVER:
		c->dns_given = 1;
		return dup_to(&v->dns_server, arg, err);
	case OPT_TSIG_KEY_FILE:
		c->dns_given = 1;
		return dup_to(&v->tsig_key_file, arg, err);
	case OPT_DNS_SCRIPT:
		c->dns_given = 1;
		return dup_to(&v->dns_script, arg, err);
	case OPT_DNS_ALIAS:
		c->dns_given = 1;
		return dup_to(&v->dns_alias, arg, err);
	case OPT_DNS_RESOLVER:
		c->dns_given = 1;
		return push(&v->dns_resolvers, &v->ndns_resolvers, arg,
			    "--dns-resolver", err);
	case OPT_DNS_PROP_TIMEOUT:
		c->dns_given = 1;
		if (secs_arg("--dns-propagation-timeout", arg, &l, err) != 0)
			return -1;
		v->dns_propagation_timeout = (int)(l > 86400 ? 86400 : l);
		return 0;
	default:
		return 1;
	}
}

/* The store options; 1: not one of them. */
static int
store_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	enum cf_store_kind kind;

	switch (ch) {
	case OPT_STORE:
		if (cf_store_kind_parse(arg, &kind, err) != CF_OK)
			return -1;
		c->stores_asked |= 1u << kind;
		return 0;
	case OPT_PEM_DIR:
		return add_store(c, CF_STORE_PEM, arg, err);
	case OPT_PFX_FILE:
		return add_store(c, CF_STORE_PFX, arg, err);
	case OPT_CCS_DIR:
		return add_store(c, CF_STORE_CCS, arg, err);
	case OPT_PFX_PASSWORD_FILE:
		return dup_to(&c->pfx_password_file, arg, err);
	case OPT_PFX_NO_PASSWORD:
		c->pfx_no_password = 1;
		return 0;
	case OPT_PFX_FORMAT:
		c->pfx_format_set = 1;
		return cf_pfx_format_parse(arg, &c->pfx_format, err) == CF_OK ? 0 : -1;
	default:
		return 1;
	}
}

/* --install TARGET. */
static int
install_opt(struct issue_cli *c, const char *arg, struct cf_err *err)
{
	if (strcmp(arg, "nginx") == 0 || strcmp(arg, "apache") == 0) {
		c->spec.server.kind = arg[0] == 'n' ? CF_SERVER_NGINX :
						      CF_SERVER_APACHE;
		return 0;
	}
	if (strcmp(arg, "iis") != 0) {
		cf_err_set(err, CF_ERR_USAGE,
			   "unknown --install target '%s': use iis, nginx or "
			   "apache (other servers read the PEM files: see "
			   "--pem-dir and --deploy-hook)", arg);
		return -1;
	}
	c->spec.iis.install = 1;
	return 0;
}

/* The IIS, server and deploy hook options; 1: not one of them. */
static int
target_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	switch (ch) {
	case OPT_IIS_CONFIG:
		return dup_to(&c->spec.iis.config, arg, err);
	case OPT_IIS_SITE:
		return push(&c->spec.iis.sites, &c->spec.iis.nsites, arg,
			    "--iis-site", err);
	case OPT_IIS_HOST_FILTER:
		return dup_to(&c->spec.iis.host_filter, arg, err);
	case OPT_INSTALL:
		return install_opt(c, arg, err);
	case OPT_IIS_MIGRATE:
		c->spec.iis.migrate = 1;
		return 0;
	case OPT_HTTPS_PORT:
		return port_arg("--https-port", arg, &c->spec.iis.https_port, err);
	case OPT_CONFIGURE:
	case OPT_SERVER_CONFIG:
	case OPT_SERVER_BIN:
	case OPT_DEPLOY_HOOK:
	case OPT_DEPLOY_HOOK_TIMEOUT:
		return server_opt(c, ch, arg, err);
	default:
		return 1;
	}
}

/* Many certificates at once: --per-site, --from, --jobs, --per-ca. */
static int
bulk_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	long l;

	switch (ch) {
	case OPT_PER_SITE:
		c->per_site = 1;
		return 0;
	case OPT_FROM:
		return dup_to(&c->from_file, arg, err);
	case OPT_JOBS:
	case OPT_PER_CA:
		if (cf_cli_long_arg(ch == OPT_JOBS ? "--jobs" : "--per-ca", arg,
				    1, 32, &l, err) != CF_OK)
			return -1;
		*(ch == OPT_JOBS ? &c->jobs : &c->per_ca) = (int)l;
		return 0;
	default:
		return 1;
	}
}

/* The certificate and protocol options; 1: not one of them. */
static int
cert_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	switch (ch) {
	case 'd':
		return add_name(c, arg, err);
	case OPT_NAME:
		return dup_to(&c->spec.name, arg, err);
	case OPT_KEY_TYPE:
		if (cf_key_type_parse(arg, &c->spec.key_type, err) != CF_OK) {
			cf_err_wrap(err, "--key-type");
			return -1;
		}
		return 0;
	case OPT_REUSE_KEY:
		c->spec.reuse_key = 1;
		return 0;
	case OPT_RENEW_BEFORE:
		return cf_cli_long_arg("--renew-before", arg,
				       CF_RENEW_BEFORE_DAYS_MIN,
				       CF_RENEW_BEFORE_DAYS_MAX,
				       &c->spec.renew_before_days,
				       err) == CF_OK ? 0 : -1;
	case OPT_PROFILE:
		return dup_to(&c->spec.profile, arg, err);
	case OPT_PREFERRED_CHAIN:
		return dup_to(&c->spec.preferred_chain, arg, err);
	case OPT_CSR:
		return dup_to(&c->spec.csr_file, arg, err);
	case OPT_KEY:
		return dup_to(&c->spec.key_file, arg, err);
	default:
		return 1;
	}
}

/* One option; 0 handled, -1 error (err set), 1 not an issue option. */
static int
issue_opt(struct issue_cli *c, int ch, const char *arg, struct cf_err *err)
{
	int (*const groups[])(struct issue_cli *, int, const char *,
			      struct cf_err *) = {
		cert_opt, validation_opt, dns_opt, store_opt, target_opt,
		bulk_opt,
	};
	int r;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if ((r = groups[i](c, ch, arg, err)) != 1)
			return r;
	switch (ch) {
	case OPT_FORCE:
		c->force = 1;
		return 0;
	case OPT_DRY_RUN:
		c->dry_run = 1;
		return 0;
	case OPT_WAIT:
		if (secs_arg("--wait", arg, &c->wait_s, err) != 0)
			return -1;
		if (c->wait_s == 0)
			c->wait_s = -1; /* explicit zero: do not wait at all */
		return 0;
	default:
		return 1;
	}
}

/*
 * --dns-script as the timer will run it.  A single word with a '/' is made
 * absolute; a bare program name is looked up in PATH now (the timer's PATH
 * is not the shell's); a command line with arguments must start with an
 * absolute path or a bare name.
 */
static cf_rc
script_abs(const char *opt, char **cmd, struct cf_err *err)
{
	size_t word = strcspn(*cmd, " \t");
	const char *path = getenv("PATH");
	char *found = NULL;

	if ((*cmd)[0] == '/')
		return CF_OK;
	if ((*cmd)[word] != '\0') {
		if (memchr(*cmd, '/', word) != NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "%s '%s': give the script's "
					  "absolute path (renewals run from another "
					  "folder)", opt, *cmd);
		return CF_OK;
	}
	if (strchr(*cmd, '/') != NULL)
		return cf_path_abs_inplace(cmd, err);
	for (const char *p = path ? path : "/usr/bin:/bin"; *p != '\0';) {
		size_t n = strcspn(p, ":");
		if (n > 0 &&
		    (found = cf_strfmt("%.*s/%s", (int)n, p, *cmd)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		if (found != NULL && found[0] == '/' && access(found, X_OK) == 0) {
			free(*cmd);
			*cmd = found;
			return CF_OK;
		}
		free(found);
		found = NULL;
		p += n + (p[n] == ':');
	}
	return cf_err_set(err, CF_ERR_USAGE,
			  "%s %s: no such program in PATH: give its "
			  "absolute path", opt, *cmd);
}

/* Every path of the spec, absolute: renewals run from another folder. */
static cf_rc
absolute_paths(struct issue_cli *c, struct cf_err *err)
{
	struct cf_cert_spec *s = &c->spec;
	struct cf_validation_spec *v = &s->validation;
	cf_rc rc;

	if ((rc = cf_path_abs_inplace(&v->webroot, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&v->tsig_key_file, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&c->pfx_password_file, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&s->iis.config, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&s->csr_file, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&s->key_file, err)) != CF_OK ||
	    (rc = cf_path_abs_inplace(&s->server.conf, err)) != CF_OK ||
	    (v->dns_script != NULL &&
	     (rc = script_abs("--dns-script", &v->dns_script, err)) != CF_OK))
		return rc;
	if (s->server.bin != NULL && strchr(s->server.bin, '/') != NULL &&
	    (rc = cf_path_abs_inplace(&s->server.bin, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < s->hooks.ndeploy; i++)
		if ((rc = script_abs("--deploy-hook", &s->hooks.deploy[i], err)) !=
		    CF_OK)
			return rc;
	for (size_t i = 0; i < s->nstores; i++)
		if ((rc = cf_path_abs_inplace(&s->stores[i].path, err)) != CF_OK)
			return rc;
	for (size_t i = 0; i < v->niis_path_maps; i++)
		if ((rc = cf_iis_path_map_abs(&v->iis_path_maps[i], err)) != CF_OK)
			return rc;
	return CF_OK;
}

/* Fill what the options imply and check the whole. */
static cf_rc
finish_spec(struct issue_cli *c, const char *server, struct cf_err *err)
{
	struct cf_cert_spec *s = &c->spec;
	struct cf_validation_spec *v = &s->validation;

	if (!c->method_given)
		v->method = c->dns_given ? CF_VAL_DNS01 :
			    c->tls_given ? CF_VAL_TLSALPN01 : CF_VAL_HTTP01;
	if (c->dns_given && v->method != CF_VAL_DNS01)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--dns options need --validation dns-01");
	if (c->tls_given && v->method != CF_VAL_TLSALPN01)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--tls-port/--tls-address need --validation "
				  "tls-alpn-01");
	for (int k = 0; k < CF_STORE_KIND_COUNT; k++) {
		int have = 0;
		for (size_t i = 0; i < s->nstores; i++)
			have |= s->stores[i].kind == (enum cf_store_kind)k;
		if ((c->stores_asked & (1u << k)) && !have)
			return cf_err_set(err, CF_ERR_USAGE,
					  "--store %s needs %s",
					  cf_store_kind_name((enum cf_store_kind)k),
					  k == CF_STORE_PEM ? "--pem-dir DIR" :
					  k == CF_STORE_PFX ? "--pfx-file FILE" :
							      "--ccs-dir DIR");
	}
	if (c->pfx_no_password && c->pfx_password_file != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--pfx-no-password and --pfx-password-file "
				  "exclude each other");
	if (absolute_paths(c, err) != CF_OK)
		return err->rc;
	c->pfx_password_env = getenv("CERTFERRY_PFX_PASSWORD");
	if (c->pfx_password_env != NULL && *c->pfx_password_env == '\0')
		c->pfx_password_env = NULL;
	for (size_t i = 0; i < s->nstores; i++) {
		if (s->stores[i].kind == CF_STORE_PEM)
			continue;
		s->stores[i].pfx_format = c->pfx_format;
		s->stores[i].no_password = c->pfx_no_password;
		if (c->pfx_password_file != NULL &&
		    (s->stores[i].password_file = strdup(c->pfx_password_file)) ==
			    NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if ((c->spec.iis.nsites > 0 || c->spec.iis.install) &&
	    c->spec.iis.config == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-site and --install iis need --iis-config "
				  "FILE (the server's applicationHost.config)");
	if (c->spec.iis.config != NULL && c->spec.iis.nsites == 0 &&
	    !c->spec.validation.iis_webroot)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-config needs --iis-site NAME|ID: see "
				  "'certferry iis sites --config FILE'");
	if (server != NULL && dup_to(&s->directory_url, server, err) != 0)
		return CF_ERR_NOMEM;
	if (c->ca_bundle != NULL && dup_to(&s->ca_bundle, c->ca_bundle, err) != 0)
		return CF_ERR_NOMEM;
	if (c->account_name != NULL &&
	    dup_to(&s->account, c->account_name, err) != 0)
		return CF_ERR_NOMEM;
	return CF_OK;
}

static int
parse_args(struct issue_cli *c, int argc, char **argv, struct cf_err *err)
{
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:h", issue_longopts, NULL)) != -1) {
		if (ch == 'h') {
			issue_usage(stdout);
			return 1;
		}
		if ((r = issue_opt(c, ch, optarg, err)) < 0)
			return -1;
		if (r == 0)
			continue;
		if ((r = cf_account_cli_opt(&c->account, ch, optarg, err)) < 0)
			return -1;
		if (r == 0) {
			cf_err_set(err, CF_ERR_USAGE,
				   "bad option: see 'certferry issue --help'");
			return -1;
		}
	}
	if (optind != argc) {
		cf_err_set(err, CF_ERR_USAGE, "unexpected argument '%s'",
			   argv[optind]);
		return -1;
	}
	return 0;
}

static void
print_names(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", names[i]);
	printf("\n");
}

static void
print_iis_plan(const struct cf_iis_plan *p, int dry_run)
{
	if (p == NULL)
		return;
	printf("IIS site %s: %zu binding%s to %s", p->site_name, p->nadd,
	       p->nadd == 1 ? "" : "s", dry_run ? "add (dry run)" : "added");
	if (p->nmigrate > 0)
		printf(", %zu to migrate to CCS%s", p->nmigrate,
		       dry_run ? " (dry run)" : "");
	printf("\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct cf_iis_plan_item *it = &p->items[i];
		printf("  %-8s %-40s %s sslFlags=", cf_iis_plan_action_name(it->action),
		       it->host, it->binding_information ? it->binding_information : "");
		if (it->action == CF_IIS_PLAN_MIGRATE)
			printf("%lu->", it->old_ssl_flags);
		printf("%lu", it->ssl_flags);
		if (it->site_name != NULL && strchr(p->site_name, ',') != NULL)
			printf(" (site %s)", it->site_name);
		printf("\n");
	}
	for (size_t i = 0; i < p->nnotes; i++)
		printf("  note: %s\n", p->notes[i]);
}

/* --iis-migrate: the script that finishes the move, and where it is. */
static void
print_netsh(const char *path, const char *script, int dry_run)
{
	if (path == NULL)
		return;
	printf("  netsh script: %s%s\n", path, dry_run ? " (would be written)" : "");
	printf("    run it once on the IIS server (elevated): until then HTTP.sys "
	       "serves the old certificates of the migrated bindings\n");
	if (script == NULL)
		return;
	for (const char *l = script; *l != '\0';) {
		size_t n = strcspn(l, "\r\n");
		printf("    | %.*s\n", (int)n, l);
		l += n;
		if (*l == '\r')
			l++;
		if (*l == '\n')
			l++;
	}
}

/* Per ordered name: the CCS binding that serves it, its PFX, its expiry. */
static void
print_iis_report(const char *const *names, size_t n,
		 const struct cf_iis_check_report *rep)
{
	char na[32];

	if (rep == NULL)
		return;
	printf("IIS now serves:\n");
	for (size_t i = 0; i < n; i++) {
		const struct cf_iis_check_host *h = NULL;
		for (size_t j = 0; j < rep->nhosts && h == NULL; j++)
			if (rep->hosts[j].host != NULL &&
			    strcmp(rep->hosts[j].host, names[i]) == 0)
				h = &rep->hosts[j];
		if (h == NULL) {
			printf("  %-40s not covered: no CCS https binding\n",
			       names[i]);
			continue;
		}
		cf_rfc3339_format(h->not_after, na);
		printf("  %-40s %s via %s (%s), expires %s%s%s\n", names[i],
		       cf_iis_check_status_name(h->status),
		       h->pfx_file ? h->pfx_file : "-", h->binding_information,
		       h->not_after ? na : "?", h->detail ? ": " : "",
		       h->detail ? h->detail : "");
	}
}

static void
print_result(const char *const *names, size_t n, const struct cf_issue_result *r)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					     "chain.pem", "fullchain.pem" };
	char nb[32], na[32];

	cf_rfc3339_format(r->not_before, nb);
	cf_rfc3339_format(r->not_after, na);
	printf("certificate issued for ");
	print_names(names, n);
	printf("  serial:   %s\n  issuer:   %s\n  valid:    %s to %s\n"
	       "  key:      %s\n  challenges answered: %zu\n", r->serial,
	       r->issuer, nb, na, r->key_desc, r->challenges_answered);
	for (size_t i = 0; i < 4; i++)
		printf("  %-13s %s/%s\n", files[i], r->cert_path, files[i]);
	if (r->delivery.stores_written)
		printf("  stores written: %zu\n", r->delivery.stores_written);
	print_iis_plan(r->delivery.iis_plan, 0);
	if (r->delivery.iis_backup)
		printf("  backup of applicationHost.config: %s\n",
		       r->delivery.iis_backup);
	print_netsh(r->delivery.iis_netsh_script, NULL, 0);
	print_iis_report(names, n, r->delivery.iis_report);
	cf_cli_print_server(&r->delivery);
}

/* --dry-run with --iis-webroot: the folder each name's token goes to. */
static int
dry_run_iis_webroot(const struct issue_cli *c, char **names, size_t n)
{
	const struct cf_validation_spec *v = &c->spec.validation;
	struct cf_iis_config *cfg = NULL;
	struct cf_err err = { 0 };
	char *dir;

	if (!v->iis_webroot)
		return CF_EXIT_OK;
	if (cf_iis_config_load(c->spec.iis.config, NULL, 0, &cfg, &err) != CF_OK)
		return cf_cli_fail(&err);
	for (size_t i = 0; i < n; i++) {
		const struct cf_iis_site *site = cf_iis_site_for_host(cfg, names[i]);
		if (cf_iis_webroot_for_host(cfg,
					    (const char *const *)v->iis_path_maps,
					    v->niis_path_maps, names[i], &dir,
					    &err) != CF_OK) {
			cf_iis_config_free(cfg);
			return cf_cli_fail(&err);
		}
		printf("  %-40s IIS site %lu '%s': %s/.well-known/acme-challenge/ "
		       "(+ web.config)\n", names[i], site->id, site->name, dir);
		free(dir);
	}
	cf_iis_config_free(cfg);
	return CF_EXIT_OK;
}

/* --dry-run: what would be ordered and changed. */
static int
dry_run(struct cf_cli *cli, struct issue_cli *c, char **names, size_t n)
{
	struct cf_iis_plan *plan = NULL;
	struct cf_err err = { 0 };
	struct cf_state st = { 0 };
	char *script = NULL, *path = NULL;
	const char *root;
	int ret = CF_EXIT_OK;

	printf("would order: ");
	print_names((const char *const *)names, n);
	printf("validation:  %s\n", cf_val_method_name(c->spec.validation.method));
	if ((ret = dry_run_iis_webroot(c, names, n)) != CF_EXIT_OK)
		return ret;
	for (size_t i = 0; i < c->spec.nstores; i++)
		printf("store:       %s %s\n",
		       cf_store_kind_name(c->spec.stores[i].kind),
		       c->spec.stores[i].path);
	if (c->spec.server.kind != CF_SERVER_NONE)
		printf("%s:       TLS blocks found for every name (%s); would test, "
		       "reload and check by handshake\n",
		       cf_server_kind_name(c->spec.server.kind),
		       c->spec.server.configure ? "edited to use the PEM folder "
		       "where needed" : "already using the PEM folder");
	for (size_t i = 0; i < c->spec.hooks.ndeploy; i++)
		printf("deploy hook: %s\n", c->spec.hooks.deploy[i]);
	if (!c->spec.iis.install)
		return CF_EXIT_OK;
	if (cf_spec_iis_plan(&c->spec, (const char *const *)names, n, &plan,
			     &err) != CF_OK ||
	    cf_iis_netsh_script(plan, c->spec.name, c->spec.iis.config, &script,
				&err) != CF_OK ||
	    cf_cli_state_root(cli, &root, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	st.root = (char *)root;
	print_iis_plan(plan, 1);
	if (script != NULL &&
	    cf_spec_iis_netsh_path(&st, c->spec.name, &path, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	print_netsh(path, script, 1);
out:
	free(script);
	free(path);
	cf_iis_plan_free(plan);
	return ret;
}

/*
 * A pfx/ccs store with neither a password file nor --pfx-no-password takes
 * the password of CERTFERRY_PFX_PASSWORD, kept for the renewals as
 * STATE/secrets/<name>.pfx-password (0600): c->pending_secret, written
 * only once every check passed.
 */
static cf_rc
env_password(struct cf_cli *cli, struct issue_cli *c, struct cf_err *err)
{
	const char *root;
	cf_rc rc;

	for (size_t i = 0; i < c->spec.nstores; i++) {
		struct cf_store_spec *st = &c->spec.stores[i];
		if (st->kind == CF_STORE_PEM || st->password_file != NULL ||
		    st->no_password || c->pfx_password_env == NULL)
			continue;
		if (c->pending_secret == NULL) {
			if ((rc = cf_cli_state_root(cli, &root, err)) != CF_OK)
				return rc;
			if ((c->secrets_dir = cf_strfmt("%s/secrets", root)) ==
				    NULL ||
			    (c->pending_secret = cf_strfmt("%s/%s.pfx-password",
							   c->secrets_dir,
							   c->spec.name)) == NULL)
				return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
		if ((st->password_file = strdup(c->pending_secret)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

/* A CCS file this certificate writes that another definition writes too
 * (two certificates taking turns in one file): refused before ordering. */
static cf_rc
check_ccs_claims(struct cf_cli *cli, const struct issue_cli *c,
		 const char *const *names, size_t n, struct cf_err *err)
{
	struct cf_state st = { 0 };
	const char *root;
	char **defs = NULL, *file = NULL;
	size_t ndefs = 0;
	cf_rc rc;

	if ((rc = cf_cli_state_root(cli, &root, err)) != CF_OK)
		return rc;
	st.root = (char *)root;
	if ((rc = cf_renewal_list(&st, &defs, &ndefs, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < ndefs && rc == CF_OK; i++) {
		struct cf_renewal r;
		struct cf_err lerr = { 0 };
		memset(&r, 0, sizeof(r));
		if (strcmp(defs[i], c->spec.name) == 0 ||
		    cf_renewal_load(&st, defs[i], &r, &lerr) != CF_OK ||
		    r.state != CF_REN_ACTIVE) {
			cf_renewal_free(&r);
			continue;
		}
		if ((rc = cf_spec_ccs_clash(&c->spec, names, n, &r.spec, &file,
					    err)) == CF_OK && file != NULL)
			rc = cf_err_set(err, CF_ERR_USAGE,
					"the CCS file %s is already written by the "
					"certificate '%s' (%s/renewals/%s.json): two "
					"certificates would take turns in it; leave "
					"that name out, or stop '%s' first with "
					"'certferry cancel %s'", file, defs[i], root,
					defs[i], defs[i], defs[i]);
		free(file);
		file = NULL;
		cf_renewal_free(&r);
	}
	for (size_t i = 0; i < ndefs; i++)
		free(defs[i]);
	free(defs);
	return rc;
}

/* The current certificate is good: what issue did instead of ordering. */
static void
print_current(const char *const *names, size_t n,
	      const struct cf_current_use *u)
{
	char na[32], due[32];

	cf_rfc3339_format(u->not_after, na);
	cf_rfc3339_format(u->due_at, due);
	printf("certificate %s is current for ", u->name);
	print_names(names, n);
	printf("  serial:   %s\n  expires:  %s\n  renewal:  due %s\n"
	       "  nothing ordered ('issue --force' orders anyway)\n",
	       u->serial, na, u->due_at ? due : "(by the CA's renewal "
						"information)");
	if (u->verify.n > 0)
		printf("  stores:\n");
	cf_cli_print_verify(&u->verify, "    ");
}

/* issue --csr FILE orders exactly the CSR's names: they become the
 * spec's names (and renewals check the CSR still names them). */
static cf_rc
csr_names(struct issue_cli *c, struct cf_err *err)
{
	struct cf_csr_info ci;
	EVP_PKEY *key = NULL;
	cf_rc rc;

	if (c->spec.csr_file == NULL)
		return CF_OK;
	if (c->spec.nnames > 0 || c->spec.iis.nsites > 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--csr orders exactly the names of the CSR: "
				  "drop -d and --iis-site");
	if ((rc = cf_byo_load(&c->spec, NULL, 0, &key, &ci, err)) != CF_OK)
		return rc;
	EVP_PKEY_free(key);
	c->spec.names = ci.names;
	c->spec.nnames = ci.nnames;
	ci.names = NULL;
	ci.nnames = 0;
	cf_csr_info_free(&ci);
	return CF_OK;
}

/* --profile NAME is one the CA advertises: refused before the account
 * is registered or anything is ordered. */
static cf_rc
check_profile(struct cf_engine *e, const struct cf_cert_spec *s,
	      struct cf_err *err)
{
	const struct cf_acme_directory *dir;
	cf_rc rc;

	if (s->profile == NULL)
		return CF_OK;
	if ((rc = cf_acme_get_directory(e->acme, &dir, err)) != CF_OK)
		return rc;
	return cf_acme_profile_check(dir, s->profile, err);
}

static void
names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The checks of one certificate before anything is ordered: the names
 * as they will be ordered, the certificate's name, every local thing it
 * will touch.  CF_EXIT_OK, or the exit status (the error printed). */
static int
issue_check(struct cf_cli *cli, struct issue_cli *c, char ***names, size_t *n)
{
	struct cf_preflight_opts po;
	struct cf_err err = { 0 };

	memset(&po, 0, sizeof(po));
	if (cf_spec_iis_record(&c->spec, &err) != CF_OK ||
	    cf_spec_resolve_names(&c->spec, names, n, &err) != CF_OK)
		return cf_cli_fail(&err);
	if (c->spec.name == NULL &&
	    (c->spec.name = cf_state_name_for((*names)[0])) == NULL) {
		cf_err_set(&err, CF_ERR_NOMEM, "out of memory");
		return cf_cli_fail(&err);
	}
	/* Nothing is ordered that cannot be delivered. */
	if (cf_state_check_name(c->spec.name, &err) != CF_OK ||
	    env_password(cli, c, &err) != CF_OK ||
	    cf_spec_check(&c->spec, (const char *const *)*names, *n, &err) !=
		    CF_OK ||
	    check_ccs_claims(cli, c, (const char *const *)*names, *n, &err) !=
		    CF_OK)
		return cf_cli_fail(&err);
	po.pending_secret = c->pending_secret;
	po.check_ports = c->dry_run;
	if (cf_preflight(&c->spec, &po, &err) != CF_OK)
		return cf_cli_fail(&err);
	return CF_EXIT_OK;
}

/* The state folder and the engine with the server's account (when there
 * is one: *have); an --eab-kid and a --profile checked against them. */
static int
issue_open(struct cf_cli *cli, struct issue_cli *c, struct cf_state *st,
	   struct cf_engine *e, struct cf_account_opts *ao, int *have)
{
	struct cf_err err = { 0 };

	if (cf_account_cli_resolve(&c->account, ao, &err) != CF_OK ||
	    cf_cli_engine_open(cli, st, e, c->wait_s, have, &err) != CF_OK ||
	    (!*have && cf_account_cli_check_eab(&c->account, &err) != CF_OK) ||
	    /* An --eab-kid for a server that has an account must be its own. */
	    (*have && cf_engine_account_check_eab(e, ao->eab_kid, &err) !=
			      CF_OK) ||
	    check_profile(e, &c->spec, &err) != CF_OK)
		return cf_cli_fail(&err);
	return CF_EXIT_OK;
}

/* Every check passed: keep the environment's PFX password for the
 * renewals. */
static int
keep_secret(struct issue_cli *c, struct cf_state *st)
{
	struct cf_err err = { 0 };

	if (c->pending_secret != NULL &&
	    (cf_state_mkdir(st, c->secrets_dir, &err) != CF_OK ||
	     cf_secret_file_write(c->pending_secret, c->pfx_password_env, &err) !=
		     CF_OK))
		return cf_cli_fail(&err);
	return CF_EXIT_OK;
}

/* Without --force, the certificate we have when it is for these names
 * and not due: delivered where it is missing, nothing ordered.  1 when
 * that decided it (*ret: the exit status), 0: order. */
static int
keep_current(struct issue_cli *c, struct cf_state *st, char **names, size_t n,
	     int *ret)
{
	struct cf_current_use cur;
	struct cf_err err = { 0 };
	int used;

	memset(&cur, 0, sizeof(cur));
	if (c->force)
		return 0;
	if (cf_engine_use_current(st, &c->spec, (const char *const *)names, n,
				  time(NULL), &cur, &err) != CF_OK) {
		*ret = cf_cli_fail(&err);
		return 1;
	}
	if ((used = cur.used)) {
		print_current((const char *const *)names, n, &cur);
		*ret = cur.verify.failed ? CF_EXIT_FAIL : CF_EXIT_OK;
	}
	cf_current_use_free(&cur);
	return used;
}

static void
log_request_counts(const struct cf_engine *e)
{
	const long *n;

	if (cf_log_get_level() < CF_LOG_DEBUG || e->acme == NULL)
		return;
	n = cf_acme_counters(e->acme);
	for (int i = 0; i < CF_EP_COUNT; i++)
		if (n[i])
			cf_debug("requests: %-13s %ld",
				 cf_acme_ep_name((enum cf_acme_ep)i), n[i]);
}

/* Bind the responders, register the account when there is none, order
 * (the renewal definition is recorded; a saved order resumed). */
static int
issue_order(struct issue_cli *c, struct cf_state *st, struct cf_engine *e,
	    struct cf_account_opts *ao, int have, char **names, size_t n)
{
	struct cf_issue_opts io;
	struct cf_issue_result res;
	struct cf_validator v;
	struct cf_err err = { 0 };
	int existed = 0, ret = CF_EXIT_OK;

	memset(&io, 0, sizeof(io));
	memset(&res, 0, sizeof(res));
	memset(&v, 0, sizeof(v));
	/* Bind the responders before anything is ordered (a responder
	 * process says whether it could when the order is placed, or here,
	 * before an account is registered). */
	if (cf_spec_validator_for(&c->spec, stdin, stderr, &v, &err) != CF_OK ||
	    (!have && (cf_validator_started(&v, &err) != CF_OK ||
		       cf_account_cli_register(&c->account, ao, e, &existed,
					       &err) != CF_OK))) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	io.spec = &c->spec;
	io.names = (const char *const *)names;
	io.nnames = n;
	io.validator = &v;
	if (cf_engine_enroll(e, &io, "issue", time(NULL), &res, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	print_result((const char *const *)names, n, &res);
	printf("  renewal:       %s/renewals/%s.json%s\n", st->root, c->spec.name,
	       res.resumed ? " (completed the saved order)" : "");
out:
	cf_validator_destroy(&v);
	cf_issue_result_free(&res);
	return ret;
}

/* One certificate: the spec of c is complete (finish_spec done). */
static int
issue_one(struct cf_cli *cli, struct issue_cli *c)
{
	struct cf_account_opts ao;
	struct cf_state st = { 0 };
	struct cf_engine e;
	char **names = NULL;
	size_t nnames = 0;
	int have = 0, ret;

	memset(&e, 0, sizeof(e));
	memset(&ao, 0, sizeof(ao));
	if ((ret = issue_check(cli, c, &names, &nnames)) != CF_EXIT_OK)
		goto out;
	if (c->dry_run) {
		ret = dry_run(cli, c, names, nnames);
		goto out;
	}
	if ((ret = issue_open(cli, c, &st, &e, &ao, &have)) != CF_EXIT_OK ||
	    (ret = keep_secret(c, &st)) != CF_EXIT_OK ||
	    keep_current(c, &st, names, nnames, &ret))
		goto out;
	ret = issue_order(c, &st, &e, &ao, have, names, nnames);
out:
	log_request_counts(&e);
	cf_engine_close(&e);
	cf_state_close(&st);
	names_free(names, nnames);
	return ret;
}

/* ---- many certificates at once: --per-site, --from FILE ---- */

/* One certificate of a bulk issue: its own copy of the command line. */
struct bulk_cert {
	struct issue_cli c;         /* own spec, pending_secret, secrets_dir;
				       the rest borrowed from the original */
	char label[160];            /* printed before its checks */
	char **names;               /* resolved (issue_check) */
	size_t nnames;
};

struct bulk {
	struct bulk_cert *v;
	size_t n, cap;
	const char *what;           /* "per site", "from FILE" */
	size_t done, failed, skipped;
	int ret;                    /* the first failure's exit status */
};

static void
bulk_count(struct bulk *b, int ret)
{
	if (ret == CF_EXIT_OK) {
		b->done++;
		return;
	}
	b->failed++;
	if (b->ret == CF_EXIT_OK)
		b->ret = ret;
}

static void
bulk_free(struct bulk *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].c.pending_secret);
		free(b->v[i].c.secrets_dir);
		cf_spec_free(&b->v[i].c.spec);
		names_free(b->v[i].names, b->v[i].nnames);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* A deep copy of c's spec (through the definition's JSON, which wants a
 * name, a directory and names: stand-ins are given, and not copied). */
static cf_rc
spec_clone(struct cf_cert_spec *s, struct cf_cert_spec *out,
	   struct cf_err *err)
{
	char *name = s->name, *dir = s->directory_url, **names = s->names;
	char *stand_in[] = { "-", NULL };
	size_t nnames = s->nnames;
	json_t *j = NULL;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	s->name = "-";
	if (dir == NULL)
		s->directory_url = "-";
	if (nnames == 0) {
		s->names = stand_in;
		s->nnames = 1;
	}
	rc = cf_spec_to_json(s, &j, err);
	s->name = name;
	s->directory_url = dir;
	s->names = names;
	s->nnames = nnames;
	if (rc == CF_OK)
		rc = cf_spec_from_json(j, out, err);
	json_decref(j);
	free(out->name);
	out->name = NULL;
	if (dir == NULL) {
		free(out->directory_url);
		out->directory_url = NULL;
	}
	if (nnames == 0) {
		names_free(out->names, out->nnames);
		out->names = NULL;
		out->nnames = 0;
	}
	return rc;
}

/* A new certificate in b, a copy of c; NULL and err set on failure. */
static struct bulk_cert *
bulk_add(struct bulk *b, struct issue_cli *c, struct cf_err *err)
{
	struct bulk_cert *bc;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct bulk_cert *nv = realloc(b->v, cap * sizeof(*nv));
		if (nv == NULL) {
			cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			return NULL;
		}
		b->v = nv;
		b->cap = cap;
	}
	bc = &b->v[b->n];
	memset(bc, 0, sizeof(*bc));
	bc->c = *c;
	bc->c.pending_secret = NULL;
	bc->c.secrets_dir = NULL;
	if (spec_clone(&c->spec, &bc->c.spec, err) != CF_OK) {
		cf_spec_free(&bc->c.spec);
		return NULL;
	}
	b->n++;
	return bc;
}

/* --dry-run of every certificate, one after the other. */
static void
bulk_dry_run(struct cf_cli *cli, struct bulk *b)
{
	for (size_t i = 0; i < b->n; i++) {
		printf("%s\n", b->v[i].label);
		fflush(stdout);
		bulk_count(b, issue_one(cli, &b->v[i].c));
		fflush(stdout);
	}
}

/* The account, registered once for all when there is none. */
static int
bulk_account(struct cf_cli *cli, struct issue_cli *c, struct cf_state *st)
{
	struct cf_account_opts ao;
	struct cf_engine e;
	struct cf_err err = { 0 };
	int have = 0, existed = 0, ret;

	memset(&e, 0, sizeof(e));
	memset(&ao, 0, sizeof(ao));
	if ((ret = issue_open(cli, c, st, &e, &ao, &have)) == CF_EXIT_OK &&
	    !have &&
	    cf_account_cli_register(&c->account, &ao, &e, &existed, &err) !=
		    CF_OK)
		ret = cf_cli_fail(&err);
	cf_engine_close(&e);
	return ret;
}

/* The local part of one certificate, in order: checks, its secret, the
 * current certificate.  1 when it is to be ordered. */
static int
bulk_prepare(struct cf_cli *cli, struct bulk *b, struct bulk_cert *bc,
	     struct cf_state *st)
{
	int ret;

	printf("%s\n", bc->label);
	fflush(stdout);
	if ((ret = issue_check(cli, &bc->c, &bc->names, &bc->nnames)) ==
		    CF_EXIT_OK &&
	    (ret = keep_secret(&bc->c, st)) == CF_EXIT_OK &&
	    !keep_current(&bc->c, st, bc->names, bc->nnames, &ret))
		return 1;
	bulk_count(b, ret);
	fflush(stdout);
	return 0;
}

/* cf_bulk_report_fn: one order done. */
static void
bulk_report(void *ctx, struct cf_bulk_item *it)
{
	struct bulk *b = ctx;
	struct bulk_cert *bc = it->user;
	int ret = CF_EXIT_OK;

	printf("== certificate %s: %s\n", bc->c.spec.name,
	       it->rc == CF_OK ? "issued" :
	       it->rc == CF_ERR_PENDING ? "pending" : "failed");
	if (it->rc == CF_OK) {
		print_result(it->names, it->nnames, &it->res);
	} else {
		fflush(stdout);
		cf_err_wrap(&it->err, "certificate %s", bc->c.spec.name);
		ret = cf_cli_fail(&it->err);
	}
	fflush(stdout);
	bulk_count(b, ret);
	cf_issue_result_free(&it->res);
}

/* Order every certificate of b that needs it, o->jobs at a time. */
static void
bulk_order(struct cf_cli *cli, struct issue_cli *c, struct bulk *b,
	   struct cf_state *st)
{
	struct cf_renew_opts o;
	struct cf_bulk_item *items;
	struct cf_err err = { 0 };
	size_t n = 0;

	if ((items = calloc(b->n ? b->n : 1, sizeof(*items))) == NULL) {
		cf_err_set(&err, CF_ERR_NOMEM, "out of memory");
		bulk_count(b, cf_cli_fail(&err));
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (!bulk_prepare(cli, b, &b->v[i], st))
			continue;
		items[n].spec = &b->v[i].c.spec;
		items[n].names = (const char *const *)b->v[i].names;
		items[n].nnames = b->v[i].nnames;
		items[n].user = &b->v[i];
		n++;
	}
	memset(&o, 0, sizeof(o));
	o.ca_bundle = cli->ca_bundle;
	o.allow_cross_origin = cli->allow_cross_origin;
	o.http_timeout_s = cli->http_timeout_s;
	o.wait_s = c->wait_s;
	o.jobs = c->jobs > 0 ? c->jobs : CF_RENEW_PER_CA_DEFAULT;
	o.per_ca = c->per_ca;
	o.now = time(NULL);
	if (n > 0 && cf_issue_bulk(st, &o, items, n, bulk_report, b, &err) !=
			     CF_OK)
		bulk_count(b, cf_cli_fail(&err));
	free(items);
}

/* Issue every certificate of b: the checks one after the other, then the
 * orders o->jobs at a time.  One failure does not stop the others; the
 * exit status is the first failure's. */
static int
bulk_run(struct cf_cli *cli, struct issue_cli *c, struct bulk *b)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	int ret;

	if (b->n == 0)
		return CF_EXIT_OK; /* every site skipped: nothing to do */
	if (c->spec.validation.method == CF_VAL_DNS01 &&
	    c->spec.validation.dns_provider == CF_DNS_MANUAL && !c->dry_run) {
		cf_err_set(&err, CF_ERR_USAGE, "dns-01 manual mode needs a person "
			   "at every record: issue these certificates one at a "
			   "time, or use --dns rfc2136|script");
		return cf_cli_fail(&err);
	}
	for (size_t i = 0; b->n > 1 && i < c->spec.nstores; i++)
		if (c->spec.stores[i].kind != CF_STORE_CCS) {
			cf_err_set(&err, CF_ERR_USAGE, "--pem-dir and --pfx-file "
				   "hold one certificate: with %zu certificates "
				   "use --ccs-dir (one file per name) or a "
				   "--deploy-hook ({CertCommonName}, {CacheFile})",
				   b->n);
			return cf_cli_fail(&err);
		}
	if (c->dry_run)
		bulk_dry_run(cli, b);
	else if ((ret = bulk_account(cli, c, &st)) != CF_EXIT_OK)
		bulk_count(b, ret);
	else
		bulk_order(cli, c, b, &st);
	cf_state_close(&st);
	return b->ret;
}

/* --per-site: the certificate name of site t from the --name pattern
 * ({id}, {name}: the site's name in lower case, other characters than
 * letters, digits, '.', '_' and '-' as '-'); default "site-{id}". */
static char *
per_site_name(const char *pattern, const struct cf_iis_site *t)
{
	struct cf_buf b;
	char id[24], *out = NULL;

	snprintf(id, sizeof(id), "%lu", t->id);
	cf_buf_init(&b, 4096);
	for (const char *p = pattern ? pattern : "site-{id}"; *p != '\0';) {
		if (strncmp(p, "{id}", 4) == 0) {
			if (cf_buf_appends(&b, id) != CF_OK)
				goto out;
			p += 4;
		} else if (strncmp(p, "{name}", 6) == 0) {
			for (const char *q = t->name; *q != '\0'; q++) {
				char ch = (char)tolower((unsigned char)*q);
				if (!isalnum((unsigned char)ch) && ch != '.' &&
				    ch != '_' && ch != '-')
					ch = '-';
				if (cf_buf_append(&b, &ch, 1) != CF_OK)
					goto out;
			}
			p += 6;
		} else {
			if (cf_buf_append(&b, p, 1) != CF_OK)
				goto out;
			p++;
		}
	}
	out = cf_buf_steal(&b);
out:
	cf_buf_free(&b);
	return out;
}

/* Empty the site lists of is (the per-site copy gets its one site). */
static void
drop_sites(struct cf_iis_spec *is)
{
	char **lists[] = { is->sites, is->site_ids, is->site_names,
			   is->site_hosts };

	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (size_t i = 0; lists[k] != NULL && i < is->nsites; i++)
			free(lists[k][i]);
		free(lists[k]);
	}
	is->sites = is->site_ids = is->site_names = is->site_hosts = NULL;
	is->nsites = 0;
}

/* --per-site: the options make sense. */
static cf_rc
per_site_check(const struct issue_cli *c, const char *pattern,
	       struct cf_err *err)
{
	if (pattern != NULL && strstr(pattern, "{id}") == NULL &&
	    strstr(pattern, "{name}") == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "--per-site makes one "
				  "certificate per site: give --name a pattern "
				  "with {id} or {name} (default 'site-{id}'), "
				  "not '%s'", pattern);
	if (c->spec.nnames > 0 || c->spec.iis.nsites == 0)
		return cf_err_set(err, CF_ERR_USAGE, "--per-site takes the names "
				  "from each site of --iis-site (and "
				  "--iis-config): leave out -d");
	return CF_OK;
}

/* The certificate of site t (one with host names), added to b. */
static cf_rc
per_site_add(struct bulk *b, struct issue_cli *c, const char *pattern,
	     const struct cf_iis_site *t, struct cf_err *err)
{
	struct bulk_cert *bc;
	struct cf_iis_spec *is;

	if ((bc = bulk_add(b, c, err)) == NULL)
		return err->rc;
	is = &bc->c.spec.iis;
	drop_sites(is);
	if ((is->sites = calloc(2, sizeof(char *))) == NULL ||
	    (is->sites[0] = cf_strfmt("%lu", t->id)) == NULL ||
	    (bc->c.spec.name = per_site_name(pattern, t)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	is->nsites = 1;
	snprintf(bc->label, sizeof(bc->label),
		 "== IIS site %lu '%s': certificate %s", t->id, t->name,
		 bc->c.spec.name);
	return CF_OK;
}

/* --per-site: one certificate per site of --iis-site (ids, names, "*"),
 * each its own definition (that site only, by id).  A site without host
 * names is skipped. */
static cf_rc
per_site_certs(struct issue_cli *c, const char *pattern, struct bulk *b,
	       struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	const struct cf_iis_site **sites = NULL;
	size_t nsites = 0, nhosts = 0;
	char **hosts = NULL;
	cf_rc rc;

	if ((rc = cf_iis_config_load(c->spec.iis.config, NULL, 0, &cfg, err)) !=
		    CF_OK ||
	    (rc = cf_iis_sites_select(cfg, (const char *const *)c->spec.iis.sites,
				      c->spec.iis.nsites, &sites, &nsites,
				      err)) != CF_OK) {
		if (err->rc != CF_ERR_NOMEM)
			err->rc = CF_ERR_USAGE;
		cf_err_wrap(err, "--iis-config %s", c->spec.iis.config);
		goto out;
	}
	for (size_t i = 0; i < nsites && rc == CF_OK; i++) {
		if ((rc = cf_iis_site_hosts(sites[i], c->spec.iis.host_filter,
					    &hosts, &nhosts, err)) != CF_OK)
			break;
		cf_iis_hosts_free(hosts, nhosts);
		if (nhosts == 0) {
			printf("== IIS site %lu '%s': no host names, skipped\n",
			       sites[i]->id, sites[i]->name);
			b->skipped++;
			continue;
		}
		rc = per_site_add(b, c, pattern, sites[i], err);
	}
out:
	free(sites);
	cf_iis_config_free(cfg);
	return rc;
}

static int
issue_per_site(struct cf_cli *cli, struct issue_cli *c)
{
	struct bulk b = { 0 };
	struct cf_err err = { 0 };
	char *pattern = c->spec.name;
	int ret;

	c->spec.name = NULL;
	if (per_site_check(c, pattern, &err) != CF_OK ||
	    per_site_certs(c, pattern, &b, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	ret = bulk_run(cli, c, &b);
	printf("per site: %zu done, %zu failed, %zu skipped (no host names)\n",
	       b.done, b.failed, b.skipped);
out:
	c->spec.name = pattern;
	bulk_free(&b);
	return ret;
}

/* --from FILE: the options make sense. */
static cf_rc
from_check(const struct issue_cli *c, struct cf_err *err)
{
	if (c->spec.nnames > 0 || c->spec.name != NULL || c->per_site ||
	    c->spec.iis.nsites > 0 || c->spec.csr_file != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--from FILE gives the names of every "
				  "certificate (one per line): leave out -d, "
				  "--name, --iis-site, --per-site and --csr");
	return CF_OK;
}

/* A DNS name or IP address (its syntax only: the rest is checked with
 * the certificate). */
static cf_rc
name_syntax(const char *name, struct cf_err *err)
{
	char ip[CF_IP_TEXT_MAX];

	if (cf_ip_canon(name, ip))
		return CF_OK;
	return cf_dns_name_check(name, 1, err);
}

/* bc (the last of b) names no certificate and no name of an earlier
 * line: with the same options, two would be delivered to the same
 * places. */
static cf_rc
from_seen(const struct bulk *b, const struct bulk_cert *bc,
	  struct cf_err *err)
{
	const struct cf_cert_spec *s = &bc->c.spec;

	for (size_t i = 0; i + 1 < b->n; i++) {
		const struct cf_cert_spec *t = &b->v[i].c.spec;
		if (strcmp(t->name, s->name) == 0)
			return cf_err_set(err, CF_ERR_USAGE, "certificate %s is "
					  "on an earlier line too: one line per "
					  "certificate", s->name);
		for (size_t k = 0; k < s->nnames; k++)
			if (cf_acme_name_index((const char *const *)t->names,
					       t->nnames, s->names[k]) >= 0)
				return cf_err_set(err, CF_ERR_USAGE,
						  "%s is on an earlier line too "
						  "(certificate %s): one "
						  "certificate per name",
						  s->names[k], t->name);
	}
	return CF_OK;
}

/* One line of --from FILE (NUL-terminated, comment cut): its names, a
 * certificate named after the first.  Empty lines add nothing. */
static cf_rc
from_line(struct bulk *b, struct issue_cli *c, char *line, size_t lineno,
	  struct cf_err *err)
{
	struct bulk_cert *bc = NULL;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t\r", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (bc == NULL && (bc = bulk_add(b, c, err)) == NULL)
			return err->rc;
		if (add_name(&bc->c, w, err) != 0 ||
		    name_syntax(bc->c.spec.names[bc->c.spec.nnames - 1],
				err) != CF_OK) {
			cf_err_wrap(err, "%s line %zu", c->from_file, lineno);
			return err->rc == CF_ERR_NOMEM ? err->rc :
			       (err->rc = CF_ERR_USAGE);
		}
	}
	if (bc == NULL)
		return CF_OK;
	if ((bc->c.spec.name = cf_state_name_for(bc->c.spec.names[0])) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (from_seen(b, bc, err) != CF_OK)
		return cf_err_wrap(err, "%s line %zu", c->from_file, lineno);
	snprintf(bc->label, sizeof(bc->label), "== %s line %zu: certificate %s",
		 c->from_file, lineno, bc->c.spec.name);
	return CF_OK;
}

/* --from FILE: one certificate per line, its names separated by blanks;
 * '#' starts a comment. */
static cf_rc
from_certs(struct issue_cli *c, struct bulk *b, struct cf_err *err)
{
	char *text = NULL, *line, *next;
	size_t len = 0, lineno = 0;
	cf_rc rc;

	if ((rc = from_check(c, err)) != CF_OK)
		return rc;
	if ((rc = cf_file_read_input(c->from_file, 64u << 20, &text, &len,
				     err)) != CF_OK) {
		cf_err_wrap(err, "--from");
		return rc;
	}
	for (line = text; rc == CF_OK && line != NULL; line = next) {
		char *hash;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		rc = from_line(b, c, line, ++lineno, err);
	}
	if (rc == CF_OK && b->n == 0)
		rc = cf_err_set(err, CF_ERR_USAGE, "--from %s: no certificate "
				"(one line per certificate: NAME [NAME...])",
				c->from_file);
	free(text);
	return rc;
}

static int
issue_from(struct cf_cli *cli, struct issue_cli *c)
{
	struct bulk b = { 0 };
	struct cf_err err = { 0 };
	int ret;

	if (from_certs(c, &b, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	ret = bulk_run(cli, c, &b);
	printf("from %s: %zu done, %zu failed\n", c->from_file, b.done,
	       b.failed);
out:
	bulk_free(&b);
	return ret;
}

int
cf_cmd_issue(struct cf_cli *cli, int argc, char **argv)
{
	struct issue_cli c;
	struct cf_err err = { 0 };
	int ret, r;

	memset(&c, 0, sizeof(c));
	c.spec.validation.dns_propagation_timeout = -1;
	c.ca_bundle = cli->ca_bundle;
	c.account_name = cli->account;
	if ((r = parse_args(&c, argc, argv, &err)) != 0) {
		ret = r > 0 ? CF_EXIT_OK : cf_cli_fail(&err);
		goto out;
	}
	if (finish_spec(&c, cli->server, &err) != CF_OK ||
	    csr_names(&c, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	ret = c.from_file ? issue_from(cli, &c) :
	      c.per_site ? issue_per_site(cli, &c) : issue_one(cli, &c);
out:
	free(c.pfx_password_file);
	free(c.pending_secret);
	free(c.secrets_dir);
	free(c.from_file);
	cf_spec_free(&c.spec);
	cf_account_cli_free(&c.account);
	return ret;
}
