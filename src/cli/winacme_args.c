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

#define NPASSES (sizeof(passes) / sizeof(passes[0]))

/* A win-acme command line, read: which arguments were given (set), with
 * their values (val, borrowed from argv), certferry's own options among
 * them (pv, by index of passes) and the renewal named (--id or
 * --friendlyname). */
struct wa {
	const char *val[W_N];
	int set[W_N];
	const char *pv[NPASSES];
	const char *ref;
};

/* "name" of "--name" or "--name=value", at most 63 bytes, into key;
 * *eq is the '=' or NULL. */
static void
arg_key(const char *arg, char key[64], const char **eq)
{
	const char *name = arg + 2;
	size_t len;

	*eq = strchr(name, '=');
	len = *eq ? (size_t)(*eq - name) : strlen(name);
	if (len >= 64)
		len = 63;
	memcpy(key, name, len);
	key[len] = '\0';
}

/* The value of argv[*i]: after its '=', else the next argument (*i moves
 * on); NULL when there is none. */
static const char *
arg_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static const struct warg *
warg_find(const char *key)
{
	const struct warg *w = NULL;

	for (size_t k = 0; k < sizeof(wargs) / sizeof(wargs[0]); k++)
		if (strcasecmp(key, wargs[k].name) == 0)
			w = &wargs[k];
	return w;
}

/* The refusal of win-acme's --key, or NULL. */
static const char *
refused_why(const char *key)
{
	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		if (strcasecmp(key, refused[k].name) == 0)
			return refused[k].why;
	return NULL;
}

/* One of certferry's own options (argv[*i], key): into a->pv. */
static cf_rc
read_pass(int argc, char **argv, int *i, const char *key, const char *eq,
	  struct wa *a, struct cf_err *err)
{
	size_t k;

	for (k = 0; k < NPASSES; k++)
		if (strcmp(key, passes[k].name) == 0)
			break;
	if (k == NPASSES)
		return cf_err_set(err, CF_ERR_USAGE, "unknown win-acme "
				  "argument --%s: see docs/WINACME-ARGS.md for "
				  "the ones certferry takes", key);
	if ((a->pv[k] = arg_value(argc, argv, i, eq)) == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "--%s needs a value", key);
	return CF_OK;
}

/* One argument (argv[*i], with its value): into *a. */
static cf_rc
read_arg(int argc, char **argv, int *i, struct wa *a, struct cf_err *err)
{
	const struct warg *w;
	const char *eq, *why, *v = NULL;
	char key[64];

	if (strncmp(argv[*i], "--", 2) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme command line: "
				  "unexpected '%s' (every argument is "
				  "--name [value])", argv[*i]);
	arg_key(argv[*i], key, &eq);
	if ((why = refused_why(key)) != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s has no "
				  "meaning here: %s", key, why);
	if ((w = warg_find(key)) == NULL)
		return read_pass(argc, argv, i, key, eq, a, err);
	if (w->value) {
		if ((v = arg_value(argc, argv, i, eq)) == NULL)
			return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s "
					  "needs a value", key);
	} else if (eq != NULL) {
		return cf_err_set(err, CF_ERR_USAGE, "win-acme's --%s takes "
				  "no value", key);
	}
	a->set[w->id] = 1;
	a->val[w->id] = v;
	return CF_OK;
}

/* The given pass option's value (NULL when not given). */
static const char *
pass_value(const struct wa *a, const char *name)
{
	for (size_t k = 0; k < NPASSES; k++)
		if (strcmp(passes[k].name, name) == 0)
			return a->pv[k];
	return NULL;
}

/* What holds for the whole command line: one mode, --test with a CA,
 * HS256, one renewal named. */
static cf_rc
check_line(struct wa *a, struct cf_err *err)
{
	const int *set = a->set;

	if (set[W_SOURCE] + set[W_RENEW] + set[W_LIST] + set[W_CANCEL] +
	    set[W_REVOKE] + set[W_SETUPTASK] != 1)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme command line: give "
				  "exactly one of --source, --renew, --list, "
				  "--cancel, --revoke, --setuptaskscheduler");
	if (set[W_TEST] && !set[W_BASEURI] && pass_value(a, "server") == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "win-acme's --test switches to "
				  "the CA's test endpoint, and certferry has none "
				  "built in: give the staging directory with "
				  "--baseuri");
	if (set[W_EABALG] && strcasecmp(a->val[W_EABALG], "HS256") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--eab-algorithm %s: certferry "
				  "binds accounts with HS256 (RFC 8555), which "
				  "every EAB CA accepts", a->val[W_EABALG]);
	a->ref = set[W_ID] ? a->val[W_ID] : set[W_FRIENDLY] ? a->val[W_FRIENDLY] :
		 NULL;
	if (a->ref != NULL && (set[W_CANCEL] || set[W_REVOKE] || set[W_RENEW]) &&
	    strpbrk(a->ref, "*?,") != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "'%s': certferry names one "
				  "renewal (no patterns): see 'certferry list'",
				  a->ref);
	return CF_OK;
}

/* "--name value" for each pass option given that is global (or not). */
static void
add_passes(struct outv *o, const struct wa *a, int global)
{
	char opt[64];

	for (size_t k = 0; k < NPASSES; k++)
		if (a->pv[k] != NULL && passes[k].global == global) {
			snprintf(opt, sizeof(opt), "--%s", passes[k].name);
			add(o, opt);
			add(o, a->pv[k]);
		}
}

/* The global options: the program, -v, --server, the global passes. */
static void
add_globals(struct outv *g, const char *argv0, const struct wa *a)
{
	add(g, argv0);
	if (a->set[W_VERBOSE])
		add(g, "-v");
	if (a->set[W_BASEURI]) {
		add(g, "--server");
		add(g, a->val[W_BASEURI]);
	}
	add_passes(g, a, 1);
}

/* "opt value" when the argument id was given. */
static void
add_if(struct outv *o, const struct wa *a, int id, const char *opt)
{
	if (a->set[id]) {
		add(o, opt);
		add(o, a->val[id]);
	}
}

/* --cancel / --revoke: the command and the renewal's name. */
static cf_rc
cmd_cancel_revoke(struct outv *c, const struct wa *a, struct cf_err *err)
{
	int cancel = a->set[W_CANCEL];

	if (a->ref == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "--%s needs --id or "
				  "--friendlyname: the renewal's name (see "
				  "'certferry list')", cancel ? "cancel" : "revoke");
	add(c, cancel ? "cancel" : "revoke");
	add(c, a->ref);
	if (!cancel)
		add(c, "--yes");  /* the command line asked for it */
	return CF_OK;
}

static void
cmd_renew(struct outv *c, const struct wa *a)
{
	add(c, "renew");
	if (a->set[W_FORCE])
		add(c, "--force");
	if (a->ref != NULL) {
		add(c, "--name");
		add(c, a->ref);
	}
}

/* --source iis: the sites and the host filter. */
static cf_rc
source_iis(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const int *set = a->set;

	if (!set[W_SITEID])
		return cf_err_set(err, CF_ERR_USAGE, "--source iis needs --siteid "
				  "(an id, a list, or 's' for every site)");
	if (strcasecmp(a->val[W_SITEID], "s") == 0) {
		add(c, "--iis-site");
		add(c, "*");
	} else {
		add_each(c, "--iis-site", a->val[W_SITEID]);
	}
	if (set[W_HOST] && strchr(a->val[W_HOST], ',') != NULL)
		return cf_err_set(err, CF_ERR_USAGE, "--source iis with several "
				  "--host: certferry filters a site's bindings "
				  "with one glob: use --host-pattern");
	if (set[W_HOST] || set[W_HOSTPATTERN]) {
		add(c, "--iis-host-filter");
		add(c, set[W_HOST] ? a->val[W_HOST] : a->val[W_HOSTPATTERN]);
	}
	return CF_OK;
}

/* --source manual: the names, --commonname first (certferry's CN is the
 * first name). */
static cf_rc
source_manual(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *cn = a->set[W_COMMONNAME] ? a->val[W_COMMONNAME] : NULL;
	char *copy, *tok, *save = NULL;

	if (!a->set[W_HOST])
		return cf_err_set(err, CF_ERR_USAGE, "--source manual needs "
				  "--host NAME[,NAME...]");
	if (cn != NULL) {
		if (!has_item(a->val[W_HOST], cn))
			return cf_err_set(err, CF_ERR_USAGE, "--commonname %s is "
					  "not one of --host", cn);
		add(c, "-d");
		add(c, cn);
	}
	copy = strdup(a->val[W_HOST]);
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		if (*tok != '\0' && !(cn != NULL && strcasecmp(tok, cn) == 0)) {
			add(c, "-d");
			add(c, tok);
		}
	if (copy == NULL)
		c->failed = 1;
	free(copy);
	return CF_OK;
}

/* --source: iis or manual. */
static cf_rc
issue_source(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *src = a->val[W_SOURCE];
	cf_rc rc;

	if (strcasecmp(src, "iis") == 0 || strcasecmp(src, "iissite") == 0 ||
	    strcasecmp(src, "iissites") == 0)
		rc = source_iis(c, a, err);
	else if (strcasecmp(src, "manual") == 0)
		rc = source_manual(c, a, err);
	else
		return cf_err_set(err, CF_ERR_USAGE, "--source %s: certferry takes "
				  "win-acme's iis and manual sources; for a CSR "
				  "use 'certferry issue --csr FILE'", src);
	if (rc == CF_OK && a->set[W_COMMONNAME] &&
	    strcasecmp(src, "manual") != 0)
		rc = cf_err_set(err, CF_ERR_USAGE, "--commonname with --source "
				"iis: certferry names the certificate after the "
				"site's first host; leave it out");
	return rc;
}

/* Name, account and key options of an issue. */
static cf_rc
issue_account_key(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const int *set = a->set;

	if (a->ref != NULL) {
		add(c, "--name");
		add(c, a->ref);
	}
	if (set[W_FORCE])
		add(c, "--force");
	if (set[W_ACCEPTTOS])
		add(c, "--agree-tos");
	if (set[W_EMAIL])
		add_each(c, "--email", a->val[W_EMAIL]);
	add_if(c, a, W_EABKID, "--eab-kid");
	add_if(c, a, W_EABKEY, "--eab-hmac-key");
	if (set[W_CSR]) {
		const char *k = a->val[W_CSR];

		if (strcasecmp(k, "rsa") != 0 && strcasecmp(k, "ec") != 0)
			return cf_err_set(err, CF_ERR_USAGE, "--csr %s: use rsa "
					  "or ec", k);
		add(c, "--key-type");
		add(c, strcasecmp(k, "rsa") == 0 ? "rsa2048" : "ec256");
	}
	if (set[W_REUSE])
		add(c, "--reuse-key");
	return CF_OK;
}

/* --validation selfhosting: certferry's standalone responders. */
static cf_rc
validation_self(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *mode = a->set[W_VALMODE] ? a->val[W_VALMODE] : "http-01";
	int http = strcasecmp(mode, "http-01") == 0;

	if (!http && strcasecmp(mode, "tls-alpn-01") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--validationmode %s: use "
				  "http-01 or tls-alpn-01 with selfhosting", mode);
	add(c, "--validation");
	add(c, http ? "http-01" : "tls-alpn-01");
	add_if(c, a, W_VALPORT, http ? "--http-port" : "--tls-port");
	return CF_OK;
}

/* --validation filesystem: a webroot, or the site's own folder. */
static cf_rc
validation_files(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const int *set = a->set;

	add(c, "--validation");
	add(c, "http-01");
	if (set[W_WEBROOT])
		add_if(c, a, W_WEBROOT, "--webroot");
	else
		add(c, "--iis-webroot"); /* the site's own path, as win-acme */
	if (set[W_VALSITEID] && set[W_SITEID] &&
	    strcmp(a->val[W_VALSITEID], a->val[W_SITEID]) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--validationsiteid other "
				  "than --siteid: certferry answers through each "
				  "name's own site");
	return CF_OK;
}

static cf_rc
issue_validation(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *v = a->set[W_VALIDATION] ? a->val[W_VALIDATION] :
			"selfhosting";

	if (strcasecmp(v, "selfhosting") == 0)
		return validation_self(c, a, err);
	if (strcasecmp(v, "filesystem") == 0)
		return validation_files(c, a, err);
	if (strcasecmp(v, "script") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--validation %s: certferry "
				  "validates with selfhosting, filesystem or "
				  "script (and its own --dns rfc2136): DNS "
				  "provider plugins have no equivalent; use a "
				  "--dnsscript for the provider's API", v);
	if (!a->set[W_DNSSCRIPT])
		return cf_err_set(err, CF_ERR_USAGE, "--validation script needs "
				  "--dnsscript");
	add(c, "--validation");
	add(c, "dns-01");
	add_if(c, a, W_DNSSCRIPT, "--dns-script");
	return CF_OK;
}

/* One store of --store: when listed, its folder/file option is needed
 * (win-acme's argument need) and becomes certferry's opt. */
static cf_rc
store_one(struct outv *c, const struct wa *a, const char *item, int id,
	  const char *opt, const char *need, struct cf_err *err)
{
	if (!has_item(a->val[W_STORE], item))
		return CF_OK;
	if (!a->set[id])
		return cf_err_set(err, CF_ERR_USAGE, "--store %s needs %s", item,
				  need);
	add_if(c, a, id, opt);
	return CF_OK;
}

static cf_rc
issue_stores(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *s = a->val[W_STORE];
	cf_rc rc;

	if (!a->set[W_STORE])
		return CF_OK;
	if (has_item(s, "certificatestore") || has_item(s, "userstore") ||
	    has_item(s, "keyvault"))
		return cf_err_set(err, CF_ERR_USAGE, "--store %s: the Windows "
				  "certificate stores and Azure Key Vault do not "
				  "exist here: use centralssl, pemfiles or "
				  "pfxfile", s);
	if ((rc = store_one(c, a, "centralssl", W_CCS, "--ccs-dir",
			    "--centralsslstore DIR", err)) != CF_OK ||
	    (rc = store_one(c, a, "pemfiles", W_PEMPATH, "--pem-dir",
			    "--pemfilespath DIR", err)) != CF_OK)
		return rc;
	return store_one(c, a, "pfxfile", W_PFXPATH, "--pfx-file",
			 "--pfxfilepath", err);
}

/* --installation iis: bindings on the source's sites, on all addresses. */
static cf_rc
install_iis(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const int *set = a->set;

	add(c, "--install");
	add(c, "iis");
	add_if(c, a, W_SSLPORT, "--https-port");
	if (set[W_SSLIP] && strcmp(a->val[W_SSLIP], "*") != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--sslipaddress %s: "
				  "certferry adds CCS bindings on all addresses "
				  "(*)", a->val[W_SSLIP]);
	if (set[W_INSTSITEID] && (!set[W_SITEID] ||
	    strcmp(a->val[W_INSTSITEID], a->val[W_SITEID]) != 0))
		return cf_err_set(err, CF_ERR_USAGE, "--installationsiteid: "
				  "certferry binds the certificate in the "
				  "source's sites only");
	return CF_OK;
}

static cf_rc
issue_install(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const char *s = a->val[W_INSTALL];
	cf_rc rc;

	if (!a->set[W_INSTALL])
		return CF_OK;
	if (has_item(s, "iisftp"))
		return cf_err_set(err, CF_ERR_USAGE, "--installation iisftp: IIS "
				  "FTP sites are not managed by certferry");
	if ((has_item(s, "iis") || has_item(s, "iisweb")) &&
	    (rc = install_iis(c, a, err)) != CF_OK)
		return rc;
	if (!has_item(s, "script"))
		return CF_OK;
	if (!a->set[W_SCRIPT])
		return cf_err_set(err, CF_ERR_USAGE, "--installation script "
				  "needs --script");
	add_if(c, a, W_SCRIPT, "--deploy-hook");
	return CF_OK;
}

/* --source: "issue" with names, account, key, validation, stores and
 * installation. */
static cf_rc
cmd_issue(struct outv *c, const struct wa *a, struct cf_err *err)
{
	cf_rc rc;

	add(c, "issue");
	if ((rc = issue_source(c, a, err)) != CF_OK ||
	    (rc = issue_account_key(c, a, err)) != CF_OK ||
	    (rc = issue_validation(c, a, err)) != CF_OK ||
	    (rc = issue_stores(c, a, err)) != CF_OK ||
	    (rc = issue_install(c, a, err)) != CF_OK)
		return rc;
	return CF_OK;
}

/* The command and its options, from the one mode given. */
static cf_rc
add_command(struct outv *c, const struct wa *a, struct cf_err *err)
{
	const int *set = a->set;
	size_t k;
	cf_rc rc;

	if (set[W_LIST]) {
		add(c, "list");
	} else if (set[W_SETUPTASK]) {
		add(c, "schedule");
		add(c, "install");
	} else if (set[W_CANCEL] || set[W_REVOKE]) {
		if ((rc = cmd_cancel_revoke(c, a, err)) != CF_OK)
			return rc;
	} else if (set[W_RENEW]) {
		cmd_renew(c, a);
	} else {
		return cmd_issue(c, a, err);
	}
	for (k = 0; k < NPASSES; k++)
		if (a->pv[k] != NULL && !passes[k].global)
			return cf_err_set(err, CF_ERR_USAGE, "--%s applies to "
					  "--source only", passes[k].name);
	return CF_OK;
}

cf_rc
cf_winacme_args_translate(int argc, char **argv, int *out_argc, char ***out,
			  struct cf_err *err)
{
	struct wa a;
	struct outv g = { 0 }, c = { 0 };
	cf_rc rc = CF_OK;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	for (int i = 1; i < argc; i++)
		if ((rc = read_arg(argc, argv, &i, &a, err)) != CF_OK)
			return rc;
	if ((rc = check_line(&a, err)) != CF_OK)
		return rc;
	add_globals(&g, argv[0], &a);
	if ((rc = add_command(&c, &a, err)) != CF_OK)
		goto out;
	add_passes(&c, &a, 0);
	for (int i = 0; i < c.n; i++)
		add(&g, c.v[i]);
	if (g.failed || c.failed) {
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
