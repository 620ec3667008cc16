/*
 * winacme_args.c - win-acme's command line as certferry's: see
 * winacme_args.h and docs/WINACME-ARGS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/winacme_args.h"

/* The win-acme arguments understood, and whether each takes a value. */
enum {
	W_SOURCE, W_SITEID, W_HOST, W_HOSTPATTERN, W_COMMONNAME, W_BASEURI,
	W_EABKID, W_EABKEY, W_EABALG, W_EMAIL, W_ACCEPTTOS, W_VALIDATION,
	W_VALMODE, W_VALPORT, W_WEBROOT, W_VALSITEID, W_DNSSCRIPT, W_STORE,
	W_CCS, W_PEMPATH, W_PFXPATH, W_INSTALL, W_SSLPORT, W_SSLIP, W_SCRIPT,
	W_FRIENDLY, W_ID, W_RENEW, W_FORCE, W_LIST, W_CANCEL, W_REVOKE,
	W_TEST, W_VERBOSE, W_CSR, W_REUSE, W_SETUPTASK, W_INSTSITEID,
	W_IGNORED, W_N
};

static const struct warg {
	const char *name;
	int id;
	int value;
} wargs[] = {
	{ "source", W_SOURCE, 1 }, { "target", W_SOURCE, 1 },
	{ "siteid", W_SITEID, 1 }, { "host", W_HOST, 1 },
	{ "host-pattern", W_HOSTPATTERN, 1 }, { "commonname", W_COMMONNAME, 1 },
	{ "baseuri", W_BASEURI, 1 }, { "eab-key-identifier", W_EABKID, 1 },
	{ "eab-key", W_EABKEY, 1 }, { "eab-algorithm", W_EABALG, 1 },
	{ "emailaddress", W_EMAIL, 1 }, { "accepttos", W_ACCEPTTOS, 0 },
	{ "validation", W_VALIDATION, 1 }, { "validationmode", W_VALMODE, 1 },
	{ "validationport", W_VALPORT, 1 }, { "webroot", W_WEBROOT, 1 },
	{ "validationsiteid", W_VALSITEID, 1 }, { "dnsscript", W_DNSSCRIPT, 1 },
	{ "store", W_STORE, 1 }, { "centralsslstore", W_CCS, 1 },
	{ "pemfilespath", W_PEMPATH, 1 }, { "pfxfilepath", W_PFXPATH, 1 },
	{ "installation", W_INSTALL, 1 }, { "sslport", W_SSLPORT, 1 },
	{ "sslipaddress", W_SSLIP, 1 }, { "script", W_SCRIPT, 1 },
	{ "installationsiteid", W_INSTSITEID, 1 },
	{ "friendlyname", W_FRIENDLY, 1 }, { "id", W_ID, 1 },
	{ "renew", W_RENEW, 0 }, { "force", W_FORCE, 0 }, { "list", W_LIST, 0 },
	{ "cancel", W_CANCEL, 0 }, { "revoke", W_REVOKE, 0 },
	{ "test", W_TEST, 0 }, { "verbose", W_VERBOSE, 0 },
	{ "csr", W_CSR, 1 }, { "reuse-privatekey", W_REUSE, 0 },
	{ "setuptaskscheduler", W_SETUPTASK, 0 },
	/* Windows housekeeping with nothing to do here: accepted */
	{ "closeonfinish", W_IGNORED, 0 }, { "notaskscheduler", W_IGNORED, 0 },
	{ "usedefaulttaskuser", W_IGNORED, 0 }, { "hidehttps", W_IGNORED, 0 },
};

/* Refused, with why. */
static const struct refused {
	const char *name;
	const char *why;
} refused[] = {
	{ "pfxpassword", "a password on the command line is visible to every "
	  "user (ps) and certferry must read it again at each renewal: write "
	  "it to a file (mode 0600) and give --pfx-password-file FILE, or set "
	  "pfx-password-file in the settings file" },
	{ "pempassword", "certferry writes privkey.pem unencrypted, mode 0600, "
	  "as nginx and Apache read it" },
	{ "certificatestore", "there is no Windows certificate store on Linux: "
	  "use --store centralssl --centralsslstore DIR" },
	{ "keepexisting", "there is no Windows certificate store on Linux" },
	{ "acl-fullcontrol", "there is no Windows certificate store on Linux" },
	{ "host-regex", "use --host-pattern (a glob)" },
	{ "excludebindings", "name the hosts to keep with --host-pattern" },
	{ "ocsp-must-staple", "certferry does not request OCSP Must-Staple "
	  "(CAs are retiring OCSP)" },
	{ "import", "win-acme 1.9 renewals: use 'certferry iis import-winacme "
	  "DIR' for 2.x renewals" },
	{ "importbaseuri", "see --import" },
	{ "encrypt", "certferry keeps no secrets in its renewals" },
	{ "ftpsiteid", "IIS FTP sites are not managed by certferry" },
	{ "scriptparameters", "certferry's deploy hook gets the certificate in "
	  "its environment (docs/LINUX.md): give only --script" },
	{ "dnscreatescript", "certferry runs one script as SCRIPT create|delete "
	  "RECORD VALUE: give --dnsscript" },
	{ "dnsdeletescript", "see --dnscreatescript" },
	{ "manualtargetisiis", "with IIS serving the challenge, use "
	  "--validationsiteid (or certferry's --iis-webroot)" },
	{ "validationprotocol", "the CA always asks over http on port 80" },
	{ "order", "certferry orders one certificate for the names (win-acme's "
	  "'single'); use certferry's --per-site for one per site" },
};

/* certferry's own options accepted among win-acme's (Linux paths that a
 * Windows command line cannot carry), and whether global. */
static const struct pass {
	const char *name;
	int global;
} passes[] = {
	{ "config", 1 }, { "ca", 1 }, { "state-dir", 1 }, { "ca-bundle", 1 },
	{ "server", 1 }, { "iis-config", 0 }, { "iis-path-map", 0 },
	{ "pfx-password-file", 0 }, { "pfx-format", 0 }, { "http-address", 0 },
	{ "eab-hmac-key-file", 0 }, { "name", 0 },
};

int
cf_winacme_args_detect(int argc, char **argv)
{
	static const char *const modes[] = { "--source", "--target", "--renew",
		"--list", "--cancel", "--revoke", "--setuptaskscheduler" };
	static const char *const commands[] = { "account", "issue", "renew",
		"list", "show", "cancel", "revoke", "verify", "schedule", "iis",
		"ca", "config", "notify", "status", "interactive" };
	int i, found = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		/* a certferry command line: its options are its own */
		for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
			if (strcmp(argv[i], commands[k]) == 0 &&
			    !(i > 1 && strncmp(argv[i - 1], "--", 2) == 0))
				return 0;
		for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
			if (strcasecmp(argv[i], modes[k]) == 0)
				found = 1;
	}
	return found;
}

struct outv {
	char **v;
	int n, cap;
	int failed;
};

static void
add(struct outv *o, const char *s)
{
	char **nv;

	if (o->failed)
		return;
	if (o->n + 2 > o->cap) {
		o->cap = o->cap ? 2 * o->cap : 32;
		if ((nv = realloc(o->v, (size_t)o->cap * sizeof(*nv))) == NULL) {
			o->failed = 1;
			return;
		}
		o->v = nv;
	}
	if ((o->v[o->n] = strdup(s)) == NULL) {
		o->failed = 1;
		return;
	}
	o->n++;
	o->v[o->n] = NULL;
}

/* Each comma-separated item of list as "opt item". */
static void
add_each(struct outv *o, const char *opt, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	if (copy == NULL) {
		o->failed = 1;
		return;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		add(o, opt);
		add(o, tok);
	}
	free(copy);
}

static int
has_item(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

void
cf_winacme_args_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

cf_rc
cf_winacme_args_translate(int argc, char **argv, int *out_argc, char ***out,
			  struct cf_err *err)
{
	const char *val[W_N] = { 0 };
	const char *pv[sizeof(passes) / sizeof(passes[0])] = { 0 };
	struct outv g = { 0 }, c = { 0 };
	const char *name, *eq, *v, *src, *mode, *ref;
	char key[64];
	int i, set[W_N] = { 0 }, nmodes;
	size_t k, len;
	cf_rc rc = CF_OK;

	*out = NULL;
	for (i = 1; i < argc; i++) {
		const struct warg *w = NULL;

		if (strncmp(argv[i], "--", 2) != 0)
			return cf_err_set(err, CF_ERR_USAGE, "win-acme command line: "
					  "unexpected '%s' (every argument is "
					  "--name [value])", argv[i]);
		name = argv[i] + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (len >= sizeof(key))
			len = sizeof(key) - 1;
		memcpy(key, name, len);
		key[len] = '\0';
		for (k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
			if (strcasecmp(key, refused[k].name) == 0)
				return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s "
						  "has no meaning here: %s", key,
						  refused[k].why);
		for (k = 0; k < sizeof(wargs) / sizeof(wargs[0]); k++)
			if (strcasecmp(key, wargs[k].name) == 0)
				w = &wargs[k];
		if (w == NULL) {
			for (k = 0; k < sizeof(passes) / sizeof(passes[0]); k++)
				if (strcmp(key, passes[k].name) == 0)
					break;
			if (k == sizeof(passes) / sizeof(passes[0]))
				return cf_err_set(err, CF_ERR_USAGE, "unknown win-acme "
						  "argument --%s: see "
						  "docs/WINACME-ARGS.md for the "
						  "ones certferry takes", key);
			if (eq != NULL)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return cf_err_set(err, CF_ERR_USAGE, "--%s needs a "
						  "value", key);
			pv[k] = v;
			continue;
		}
		v = NULL;
		if (w->value) {
			if (eq != NULL)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s "
						  "needs a value", key);
		} else if (eq != NULL) {
			return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s takes "
					  "no value", key);
		}
		set[w->id] = 1;
		val[w->id] = v;
	}

	nmodes = set[W_SOURCE] + set[W_RENEW] + set[W_LIST] + set[W_CANCEL] +
		 set[W_REVOKE] + set[W_SETUPTASK];
	if (nmodes != 1)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme command line: give "
				  "exactly one of --source, --renew, --list, "
				  "--cancel, --revoke, --setuptaskscheduler");
	if (set[W_TEST] && !set[W_BASEURI] && pv[4] == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme's --test switches to "
				  "the CA's test endpoint, and certferry has none "
				  "built in: give the staging directory with "
				  "--baseuri");
	if (set[W_EABALG] && strcasecmp(val[W_EABALG], "HS256") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--eab-algorithm %s: certferry "
				  "binds accounts with HS256 (RFC 8555), which "
				  "every EAB CA accepts", val[W_EABALG]);
	ref = set[W_ID] ? val[W_ID] : set[W_FRIENDLY] ? val[W_FRIENDLY] : NULL;
	if (ref != NULL && (set[W_CANCEL] || set[W_REVOKE] || set[W_RENEW]) &&
	    strpbrk(ref, "*?,") != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "'%s': certferry names one "
				  "renewal (no patterns): see 'certferry list'", ref);

	add(&g, argv[0]);
	if (set[W_VERBOSE])
		add(&g, "-v");
	if (set[W_BASEURI]) {
		add(&g, "--server");
		add(&g, val[W_BASEURI]);
	}
	for (k = 0; k < sizeof(passes) / sizeof(passes[0]); k++)
		if (pv[k] != NULL && passes[k].global) {
			char opt[64];

			snprintf(opt, sizeof(opt), "--%s", passes[k].name);
			add(&g, opt);
			add(&g, pv[k]);
		}

	if (set[W_LIST]) {
		add(&c, "list");
	} else if (set[W_SETUPTASK]) {
		add(&c, "schedule");
		add(&c, "install");
	} else if (set[W_CANCEL] || set[W_REVOKE]) {
		if (ref == NULL) {
			rc = cf_err_set(err, CF_ERR_USAGE, "--%s needs --id or "
					"--friendlyname: the renewal's name (see "
					"'certferry list')", set[W_CANCEL] ?
					"cancel" : "revoke");
			goto out;
		}
		add(&c, set[W_CANCEL] ? "cancel" : "revoke");
		add(&c, ref);
		if (set[W_REVOKE])
			add(&c, "--yes");  /* the command line asked for it */
	} else if (set[W_RENEW]) {
		add(&c, "renew");
		if (set[W_FORCE])
			add(&c, "--force");
		if (ref != NULL) {
			add(&c, "--name");
			add(&c, ref);
		}
	} else {
		src = val[W_SOURCE];
		add(&c, "issue");
		if (strcasecmp(src, "iis") == 0 || strcasecmp(src, "iissite") == 0 ||
		    strcasecmp(src, "iissites") == 0) {
			if (!set[W_SITEID]) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--source iis needs "
						"--siteid (an id, a list, or 's' for "
						"every site)");
				goto out;
			}
			if (strcasecmp(val[W_SITEID], "s") == 0) {
				add(&c, "--iis-site");
				add(&c, "*");
			} else {
				add_each(&c, "--iis-site", val[W_SITEID]);
			}
			if (set[W_HOST] && strchr(val[W_HOST], ',') != NULL) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--source iis with "
						"several --host: certferry filters a "
						"site's bindings with one glob: use "
						"--host-pattern");
				goto out;
			}
			if (set[W_HOST] || set[W_HOSTPATTERN]) {
				add(&c, "--iis-host-filter");
				add(&c, set[W_HOST] ? val[W_HOST] :
				    val[W_HOSTPATTERN]);
			}
		} else if (strcasecmp(src, "manual") == 0) {
			if (!set[W_HOST]) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--source manual "
						"needs --host NAME[,NAME...]");
				goto out;
			}
			/* --commonname first: certferry's CN is the first name */
			if (set[W_COMMONNAME]) {
				if (!has_item(val[W_HOST], val[W_COMMONNAME])) {
					rc = cf_err_set(
						err, CF_ERR_USAGE,
						"--commonname %s is not one of "
						"--host", val[W_COMMONNAME]);
					goto out;
				}
				add(&c, "-d");
				add(&c, val[W_COMMONNAME]);
			}
			{
				char *copy = strdup(val[W_HOST]), *tok, *save = NULL;

				for (tok = copy ? strtok_r(copy, ",", &save) : NULL;
				     tok != NULL; tok = strtok_r(NULL, ",", &save))
					if (*tok != '\0' && !(set[W_COMMONNAME] &&
					    strcasecmp(tok, val[W_COMMONNAME]) == 0)) {
						add(&c, "-d");
						add(&c, tok);
					}
				if (copy == NULL)
					c.failed = 1;
				free(copy);
			}
		} else {
			rc = cf_err_set(err, CF_ERR_USAGE, "--source %s: certferry "
					"takes win-acme's iis and manual sources; for "
					"a CSR use 'certferry issue --csr FILE'", src);
			goto out;
		}
		if (set[W_COMMONNAME] && strcasecmp(src, "manual") != 0) {
			rc = cf_err_set(err, CF_ERR_USAGE, "--commonname with --source "
					"iis: certferry names the certificate after "
					"the site's first host; leave it out");
			goto out;
		}
		if (ref != NULL) {
			add(&c, "--name");
			add(&c, ref);
		}
		if (set[W_FORCE])
			add(&c, "--force");
		if (set[W_ACCEPTTOS])
			add(&c, "--agree-tos");
		if (set[W_EMAIL])
			add_each(&c, "--email", val[W_EMAIL]);
		if (set[W_EABKID]) {
			add(&c, "--eab-kid");
			add(&c, val[W_EABKID]);
		}
		if (set[W_EABKEY]) {
			add(&c, "--eab-hmac-key");
			add(&c, val[W_EABKEY]);
		}
		if (set[W_CSR]) {
			if (strcasecmp(val[W_CSR], "rsa") != 0 &&
			    strcasecmp(val[W_CSR], "ec") != 0) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--csr %s: use rsa "
						"or ec", val[W_CSR]);
				goto out;
			}
			add(&c, "--key-type");
			add(&c, strcasecmp(val[W_CSR], "rsa") == 0 ? "rsa2048" :
			    "ec256");
		}
		if (set[W_REUSE])
			add(&c, "--reuse-key");
		/* validation */
		mode = set[W_VALMODE] ? val[W_VALMODE] : "http-01";
		v = set[W_VALIDATION] ? val[W_VALIDATION] : "selfhosting";
		if (strcasecmp(v, "selfhosting") == 0) {
			if (strcasecmp(mode, "http-01") != 0 &&
			    strcasecmp(mode, "tls-alpn-01") != 0) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--validationmode "
						"%s: use http-01 or tls-alpn-01 with "
						"selfhosting", mode);
				goto out;
			}
			add(&c, "--validation");
			add(&c, strcasecmp(mode, "http-01") == 0 ? "http-01" :
			    "tls-alpn-01");
			if (set[W_VALPORT]) {
				add(&c, strcasecmp(mode, "http-01") == 0 ?
				    "--http-port" : "--tls-port");
				add(&c, val[W_VALPORT]);
			}
		} else if (strcasecmp(v, "filesystem") == 0) {
			add(&c, "--validation");
			add(&c, "http-01");
			if (set[W_WEBROOT]) {
				add(&c, "--webroot");
				add(&c, val[W_WEBROOT]);
			} else {
				/* the site's own physical path, as win-acme */
				add(&c, "--iis-webroot");
			}
			if (set[W_VALSITEID] && set[W_SITEID] &&
			    strcmp(val[W_VALSITEID], val[W_SITEID]) != 0) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--validationsiteid "
						"other than --siteid: certferry answers "
						"through each name's own site");
				goto out;
			}
		} else if (strcasecmp(v, "script") == 0) {
			if (!set[W_DNSSCRIPT]) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--validation script "
						"needs --dnsscript");
				goto out;
			}
			add(&c, "--validation");
			add(&c, "dns-01");
			add(&c, "--dns-script");
			add(&c, val[W_DNSSCRIPT]);
		} else {
			rc = cf_err_set(err, CF_ERR_USAGE, "--validation %s: certferry "
					"validates with selfhosting, filesystem or "
					"script (and its own --dns rfc2136): DNS "
					"provider plugins have no equivalent; use a "
					"--dnsscript for the provider's API", v);
			goto out;
		}
		/* stores */
		if (set[W_STORE]) {
			const char *s = val[W_STORE];

			if (has_item(s, "certificatestore") ||
			    has_item(s, "userstore") || has_item(s, "keyvault")) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--store %s: the "
						"Windows certificate stores and Azure "
						"Key Vault do not exist here: use "
						"centralssl, pemfiles or pfxfile", s);
				goto out;
			}
			if (has_item(s, "centralssl")) {
				if (!set[W_CCS]) {
					rc = cf_err_set(err, CF_ERR_USAGE, "--store "
							"centralssl needs "
							"--centralsslstore DIR");
					goto out;
				}
				add(&c, "--ccs-dir");
				add(&c, val[W_CCS]);
			}
			if (has_item(s, "pemfiles")) {
				if (!set[W_PEMPATH]) {
					rc = cf_err_set(err, CF_ERR_USAGE, "--store "
							"pemfiles needs "
							"--pemfilespath DIR");
					goto out;
				}
				add(&c, "--pem-dir");
				add(&c, val[W_PEMPATH]);
			}
			if (has_item(s, "pfxfile")) {
				if (!set[W_PFXPATH]) {
					rc = cf_err_set(err, CF_ERR_USAGE, "--store "
							"pfxfile needs --pfxfilepath");
					goto out;
				}
				add(&c, "--pfx-file");
				add(&c, val[W_PFXPATH]);
			}
		}
		/* installation */
		if (set[W_INSTALL]) {
			const char *s = val[W_INSTALL];

			if (has_item(s, "iisftp")) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--installation "
						"iisftp: IIS FTP sites are not managed "
						"by certferry");
				goto out;
			}
			if (has_item(s, "iis") || has_item(s, "iisweb")) {
				add(&c, "--install");
				add(&c, "iis");
				if (set[W_SSLPORT]) {
					add(&c, "--https-port");
					add(&c, val[W_SSLPORT]);
				}
				if (set[W_SSLIP] && strcmp(val[W_SSLIP], "*") != 0) {
					rc = cf_err_set(
						err, CF_ERR_USAGE,
						"--sslipaddress %s: certferry "
						"adds CCS bindings on all "
						"addresses (*)", val[W_SSLIP]);
					goto out;
				}
				if (set[W_INSTSITEID] && (!set[W_SITEID] ||
				    strcmp(val[W_INSTSITEID], val[W_SITEID]) != 0)) {
					rc = cf_err_set(
						err, CF_ERR_USAGE,
						"--installationsiteid: certferry "
						"binds the certificate in the "
						"source's sites only");
					goto out;
				}
			}
			if (has_item(s, "script")) {
				if (!set[W_SCRIPT]) {
					rc = cf_err_set(
						err, CF_ERR_USAGE,
						"--installation script needs "
						"--script");
					goto out;
				}
				add(&c, "--deploy-hook");
				add(&c, val[W_SCRIPT]);
			}
		}
	}
	for (k = 0; k < sizeof(passes) / sizeof(passes[0]); k++)
		if (pv[k] != NULL && !passes[k].global) {
			char opt[64];

			if (c.v == NULL || strcmp(c.v[0], "issue") != 0) {
				rc = cf_err_set(err, CF_ERR_USAGE, "--%s applies to "
						"--source only", passes[k].name);
				goto out;
			}
			snprintf(opt, sizeof(opt), "--%s", passes[k].name);
			add(&c, opt);
			add(&c, pv[k]);
		}
	if (g.failed || c.failed) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		add(&g, c.v[i]);
	}
	if (g.failed) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = g.v;
	*out_argc = g.n;
	g.v = NULL;
out:
	cf_winacme_args_free(g.v);
	cf_winacme_args_free(c.v);
	return rc;
}

void
cf_winacme_args_print(FILE *f, int argc, char **argv)
{
	int i;

	fprintf(f, "certferry: win-acme arguments, run as:");
	for (i = 0; i < argc; i++)
		fprintf(f, " %s", i > 0 && strcmp(argv[i - 1], "--eab-hmac-key")
			== 0 ? "(hidden)" : argv[i]);
	fprintf(f, "\n");
}
