/*
 * settings.c - certferry.conf: see settings.h.
 */
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/settings.h"
#include "crypto/key.h"
#include "crypto/pkcs12.h"
#include "engine/notify.h"
#include "engine/spec.h"
#include "iis/pathmap.h"
#include "core/buf.h"

enum kind { K_STR, K_PATH, K_URL, K_BOOL, K_INT, K_KEYTYPE, K_METHOD,
	    K_STORE, K_PFXFMT, K_SMTPURL, K_INSTALL, K_PATHMAP, K_WEBHOOK };

/* Where a key may be written, and which commands take it. */
enum { W_GLOBAL = 1, W_ISSUE = 2, W_ACCOUNT = 4, W_CA = 8, W_NOTIFY = 16 };

struct def {
	const char *key;       /* = the long option's name */
	int where;
	enum kind kind;
	long min, max;         /* K_INT */
	const char *env;       /* an environment variable that beats the file */
	const char *unless;    /* command-line options (space-separated) that
				  replace it */
	int multi;             /* may be given more than once */
	int secret_env;        /* the environment variable holds a secret */
	const char *dflt;      /* the built-in default, for "config show" */
};

static const struct def defs[] = {
	{ "server", W_GLOBAL | W_CA, K_URL, 0, 0, "CERTFERRY_SERVER", NULL, 0, 0,
	  "(none: give --server)" },
	{ "ca-bundle", W_GLOBAL | W_CA, K_PATH, 0, 0, "CERTFERRY_CA_BUNDLE",
	  NULL, 0, 0, "(the system trust store)" },
	{ "state-dir", W_GLOBAL, K_PATH, 0, 0, "CERTFERRY_STATE_DIR", NULL, 0,
	  0, "/var/lib/certferry (root), else $XDG_STATE_HOME/certferry" },
	{ "http-timeout", W_GLOBAL, K_INT, 1, 86400, NULL, NULL, 0, 0, "300" },
	{ "account", W_GLOBAL | W_CA, K_STR, 0, 0, "CERTFERRY_ACCOUNT", NULL, 0,
	  0, "(the server's default account)" },
	{ "allow-cross-origin", W_GLOBAL | W_CA, K_BOOL, 0, 0, NULL, NULL, 0, 0,
	  "no" },
	{ "ca", W_GLOBAL, K_STR, 0, 0, "CERTFERRY_CA", NULL, 0, 0, "(none)" },
	/* account options: issue and "account register" */
	{ "email", W_ISSUE | W_ACCOUNT | W_CA, K_STR, 0, 0, NULL, NULL, 1, 0,
	  "(none)" },
	{ "agree-tos", W_ISSUE | W_ACCOUNT | W_CA, K_BOOL, 0, 0, NULL, NULL, 0,
	  0, "no" },
	{ "eab-kid", W_ISSUE | W_ACCOUNT | W_CA, K_STR, 0, 0,
	  "CERTFERRY_EAB_KID", NULL, 0, 0, "(none)" },
	{ "eab-hmac-key-file", W_ISSUE | W_ACCOUNT | W_CA, K_PATH, 0, 0,
	  "CERTFERRY_EAB_HMAC_KEY", "--eab-hmac-key", 0, 1, "(none)" },
	{ "account-key-type", W_ISSUE | W_ACCOUNT | W_CA, K_KEYTYPE, 0, 0, NULL,
	  NULL, 0, 0, "ec256" },
	/* issue options */
	{ "key-type", W_ISSUE, K_KEYTYPE, 0, 0, NULL, "--key --csr", 0, 0,
	  "ec256" },
	{ "reuse-key", W_ISSUE, K_BOOL, 0, 0, NULL, NULL, 0, 0, "no" },
	{ "renew-before", W_ISSUE, K_INT, CF_RENEW_BEFORE_DAYS_MIN,
	  CF_RENEW_BEFORE_DAYS_MAX, NULL, NULL, 0, 0,
	  "(a third of the lifetime, or the CA's renewal information)" },
	{ "validation", W_ISSUE, K_METHOD, 0, 0, NULL, NULL, 0, 0, "http-01" },
	{ "http-port", W_ISSUE, K_INT, 1, 65535, NULL, "--webroot --iis-webroot",
	  0, 0, "80" },
	{ "http-address", W_ISSUE, K_STR, 0, 0, NULL, "--webroot --iis-webroot",
	  0, 0, "(all addresses)" },
	{ "webroot", W_ISSUE, K_PATH, 0, 0, NULL, "--http-port --http-address "
	  "--iis-webroot", 0, 0, "(none: certferry answers on --http-port)" },
	{ "iis-webroot", W_ISSUE, K_BOOL, 0, 0, NULL, "--webroot --http-port "
	  "--http-address", 0, 0, "no" },
	{ "iis-path-map", W_ISSUE, K_PATHMAP, 0, 0, NULL, NULL, 1, 0, "(none)" },
	{ "dns", W_ISSUE, K_STR, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "dns-server", W_ISSUE, K_STR, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "tsig-key-file", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "dns-script", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "dns-alias", W_ISSUE, K_STR, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "dns-resolver", W_ISSUE, K_STR, 0, 0, NULL, NULL, 0, 0,
	  "(the system's)" },
	{ "dns-propagation-timeout", W_ISSUE, K_INT, 1, 86400, NULL, NULL, 0,
	  0, "(the built-in)" },
	{ "tls-port", W_ISSUE, K_INT, 1, 65535, NULL, NULL, 0, 0, "443" },
	{ "tls-address", W_ISSUE, K_STR, 0, 0, NULL, NULL, 0, 0,
	  "(all addresses)" },
	{ "store", W_ISSUE, K_STORE, 0, 0, NULL, NULL, 1, 0, "pem" },
	{ "pem-dir", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0,
	  "(under the state folder)" },
	{ "pfx-file", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "ccs-dir", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "pfx-password-file", W_ISSUE, K_PATH, 0, 0, "CERTFERRY_PFX_PASSWORD",
	  "--pfx-no-password", 0, 1, "(none)" },
	{ "pfx-format", W_ISSUE, K_PFXFMT, 0, 0, NULL, NULL, 0, 0, "modern" },
	{ "pfx-no-password", W_ISSUE, K_BOOL, 0, 0, NULL, "--pfx-password-file",
	  0, 0, "no" },
	{ "iis-config", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "install", W_ISSUE, K_INSTALL, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "https-port", W_ISSUE, K_INT, 1, 65535, NULL, NULL, 0, 0, "443" },
	{ "iis-migrate", W_ISSUE, K_BOOL, 0, 0, NULL, NULL, 0, 0, "no" },
	{ "per-site", W_ISSUE, K_BOOL, 0, 0, NULL, NULL, 0, 0, "no" },
	{ "configure", W_ISSUE, K_BOOL, 0, 0, NULL, NULL, 0, 0, "no" },
	{ "server-config", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0,
	  "(the server's usual file)" },
	{ "server-bin", W_ISSUE, K_PATH, 0, 0, NULL, NULL, 0, 0,
	  "(nginx or apache2ctl from PATH)" },
	{ "profile", W_ISSUE | W_CA, K_STR, 0, 0, NULL, NULL, 0, 0,
	  "(the CA's default)" },
	{ "preferred-chain", W_ISSUE | W_CA, K_STR, 0, 0, NULL, NULL, 0, 0,
	  "(the CA's default)" },
	{ "deploy-hook", W_ISSUE, K_STR, 0, 0, NULL, NULL, 1, 0, "(none)" },
	{ "deploy-hook-timeout", W_ISSUE, K_INT, 1, 7L * 86400, NULL, NULL, 0,
	  0, "(the built-in)" },
	{ "wait", W_ISSUE, K_INT, 0, 7L * 86400, NULL, NULL, 0, 0,
	  "(the built-in)" },
	/* [notify]: what 'renew' tells, and how (engine/notify.h) */
	{ "on-failure", W_NOTIFY, K_BOOL, 0, 0, NULL, NULL, 0, 0, "yes" },
	{ "on-success", W_NOTIFY, K_BOOL, 0, 0, NULL, NULL, 0, 0, "no" },
	{ "expiry-days", W_NOTIFY, K_INT, 0, 3650, NULL, NULL, 0, 0, "14" },
	{ "smtp-url", W_NOTIFY, K_SMTPURL, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "smtp-starttls", W_NOTIFY, K_BOOL, 0, 0, NULL, NULL, 0, 0, "yes" },
	{ "smtp-user", W_NOTIFY, K_STR, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "smtp-password-file", W_NOTIFY, K_PATH, 0, 0, NULL, NULL, 0, 0,
	  "(none)" },
	{ "mail-from", W_NOTIFY, K_STR, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "mail-to", W_NOTIFY, K_STR, 0, 0, NULL, NULL, 1, 0, "(none)" },
	{ "webhook-url", W_NOTIFY, K_WEBHOOK, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "command", W_NOTIFY, K_PATH, 0, 0, NULL, NULL, 0, 0, "(none)" },
	{ "tls-ca-bundle", W_NOTIFY, K_PATH, 0, 0, NULL, NULL, 0, 0,
	  "(the system trust store)" },
	{ "timeout", W_NOTIFY, K_INT, 1, 3600, NULL, NULL, 0, 0, "60" },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Settings that only mean something with another option: inserted only
 * when one of these (space-separated, OPT or OPT=VALUE) is on the command
 * line or was inserted before them (defs[] lists what they need first).
 * A default per-site = yes must not break an 'issue -d NAME'. */
static const struct {
	const char *key, *needs;
} needs_tab[] = {
	{ "iis-path-map", "--iis-webroot" },
	{ "iis-migrate", "--install=iis" },
	{ "per-site", "--iis-site" },
	{ "configure", "--install=nginx --install=apache" },
	{ "server-config", "--install=nginx --install=apache" },
	{ "server-bin", "--install=nginx --install=apache" },
};

static const char *
needs_of(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(needs_tab) / sizeof(needs_tab[0]); i++)
		if (strcmp(needs_tab[i].key, key) == 0)
			return needs_tab[i].needs;
	return NULL;
}

struct ent {
	const struct def *d;
	char *ca;       /* [ca NAME]'s NAME, or NULL for [global]/[issue] */
	char *value;
	unsigned line;
};

struct cf_settings {
	char *file;           /* NULL: no file */
	char *looked_at;      /* the path read, even when it was absent */
	int explicit_;        /* named by --config or CERTFERRY_CONFIG */
	struct ent *e;
	size_t n;
	const char *ca;       /* the chosen profile (points into e[]) */
	char **owned;         /* strings made for argvs */
	size_t nowned;
	/* while parsing */
	FILE *f;
	unsigned line;
	int failed;
	struct cf_err *err;
};

const char *
cf_settings_file(const struct cf_settings *s)
{
	return s->file;
}

const char *
cf_settings_looked_at(const struct cf_settings *s)
{
	return s->looked_at;
}

int
cf_settings_explicit(const struct cf_settings *s)
{
	return s->explicit_;
}

static int
is_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 1;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 1;
	}
	return 0;
}

/* An iis-path-map rule: WINDOWS=LINUX with an absolute LINUX (the
 * option's own parser says what is wrong). */
static cf_rc
path_map_check(const char *v, struct cf_err *err)
{
	char *win = NULL, *lin = NULL;
	cf_rc rc = cf_iis_path_map_split(v, &win, &lin, err);

	free(win);
	free(lin);
	return rc;
}

/* The value's check; err names the key only (the caller adds FILE:LINE). */
static cf_rc
check_value(const struct def *d, const char *v, struct cf_err *err)
{
	enum cf_key_type kt;
	enum cf_val_method m;
	enum cf_store_kind sk;
	enum cf_pfx_format pf;
	long l;
	int b;

	if (*v == '\0')
		return cf_err_set(err, CF_ERR_USAGE, "%s has no value", d->key);
	switch (d->kind) {
	case K_STR:
		return CF_OK;
	case K_PATH:
		if (v[0] != '/')
			return cf_err_set(err, CF_ERR_USAGE, "%s '%s' is not an "
					  "absolute path: write it from /", d->key, v);
		return CF_OK;
	case K_URL:
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
			return cf_err_set(err, CF_ERR_USAGE, "%s '%s' is not an "
					  "http(s):// URL", d->key, v);
		return CF_OK;
	case K_WEBHOOK:
		return cf_notify_webhook_url_check(v, err);
	case K_INSTALL:
		if (strcmp(v, "iis") != 0 && strcmp(v, "nginx") != 0 &&
		    strcmp(v, "apache") != 0)
			return cf_err_set(err, CF_ERR_USAGE, "%s '%s': write iis, "
					  "nginx or apache", d->key, v);
		return CF_OK;
	case K_PATHMAP:
		return path_map_check(v, err);
	case K_SMTPURL:
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
			return cf_err_set(err, CF_ERR_USAGE, "%s '%s' is not an "
					  "smtp:// or smtps:// URL", d->key, v);
		return CF_OK;
	case K_BOOL:
		if (!is_bool(v, &b))
			return cf_err_set(err, CF_ERR_USAGE, "%s '%s': write yes or no",
					  d->key, v);
		return CF_OK;
	case K_INT:
		return cf_cli_long_arg(d->key, v, d->min, d->max, &l, err);
	case K_KEYTYPE:
		return cf_key_type_parse(v, &kt, err);
	case K_METHOD:
		return cf_val_method_parse(v, &m, err);
	case K_STORE:
		return cf_store_kind_parse(v, &sk, err);
	case K_PFXFMT:
		return cf_pfx_format_parse(v, &pf, err);
	}
	return CF_OK;
}

static int
fail_at(struct cf_settings *s, const char *fmt, const char *a, const char *b)
{
	char msg[CF_ERR_MSG_MAX];

	if (s->failed)
		return 1;
	snprintf(msg, sizeof(msg), fmt, a, b);
	cf_err_set(s->err, CF_ERR_USAGE, "%s:%u: %s", s->file, s->line, msg);
	s->failed = 1;
	return 1;
}

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct cf_settings *s = user;
	const struct def *d = NULL;
	const char *ca = NULL;
	struct cf_err verr = { 0 };
	struct ent *ne;
	size_t i;
	int where;

	if (s->failed)
		return 1;
	if (strcmp(section, "global") == 0)
		where = W_GLOBAL;
	else if (strcmp(section, "issue") == 0)
		where = W_ISSUE;
	else if (strcmp(section, "notify") == 0)
		where = W_NOTIFY;
	else if (strncmp(section, "ca ", 3) == 0 && section[3] != '\0' &&
		 strchr(section + 3, ' ') == NULL) {
		where = W_CA;
		ca = section + 3;
	} else if (*section == '\0')
		return fail_at(s, "'%s' is outside a section: put it under "
			       "[global], [issue] or [ca NAME]%s", name, "");
	else
		return fail_at(s, "unknown section [%s]: use [global], [issue], "
			       "[notify] or [ca NAME]%s", section, "");
	for (i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].key, name) == 0 && (defs[i].where & where))
			d = &defs[i];
	if (d == NULL)
		return fail_at(s, "unknown key '%s' in [%s]: see SETTINGS FILE in "
			       "certferry(1), or 'certferry config show'",
			       name, section);
	if (check_value(d, value, &verr) != CF_OK)
		return fail_at(s, "%s%s", verr.msg, "");
	for (i = 0; i < s->n && !d->multi; i++)
		if (s->e[i].d == d && ((ca == NULL && s->e[i].ca == NULL) ||
		     (ca != NULL && s->e[i].ca != NULL &&
		      strcmp(ca, s->e[i].ca) == 0)))
			return fail_at(s, "'%s' is set twice in [%s]", name, section);
	if (d->where == W_NOTIFY && d->multi) {
		size_t cnt = 0;

		for (i = 0; i < s->n; i++)
			cnt += s->e[i].d == d;
		if (cnt >= CF_NOTIFY_MAX_TO)
			return fail_at(s, "at most 8 '%s' lines%s", name, "");
	}
	ne = realloc(s->e, (s->n + 1) * sizeof(*ne));
	if (ne == NULL)
		return fail_at(s, "out of memory%s%s", "", "");
	s->e = ne;
	ne = &s->e[s->n];
	ne->d = d;
	ne->line = s->line;
	ne->value = strdup(value);
	ne->ca = ca != NULL ? strdup(ca) : NULL;
	s->n++;
	if (ne->value == NULL || (ca != NULL && ne->ca == NULL))
		return fail_at(s, "out of memory%s%s", "", "");
	return 1;
}

/* fgets for inih, counting lines (inih's handler has no line number in
 * Debian's build); a line longer than inih's buffer is an error. */
static char *
reader(char *str, int num, void *stream)
{
	struct cf_settings *s = stream;
	size_t len;
	int c;

	if (fgets(str, num, s->f) == NULL)
		return NULL;
	s->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(s->f)) {
		fail_at(s, "line longer than %s characters%s", "198", "");
		while ((c = fgetc(s->f)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return str;
}

cf_rc
cf_settings_path(const char *arg, char **path, int *explicit_,
		 struct cf_err *err)
{
	const char *env = getenv("CERTFERRY_CONFIG"), *base;

	*explicit_ = 1;
	if (arg != NULL || (env != NULL && *env != '\0')) {
		*path = strdup(arg != NULL ? arg : env);
		return *path != NULL ? CF_OK :
		       cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	*explicit_ = 0;
	if (geteuid() == 0) {
		*path = strdup("/etc/certferry/certferry.conf");
		return *path != NULL ? CF_OK :
		       cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	base = getenv("XDG_CONFIG_HOME");
	if (base != NULL && *base == '/')
		*path = cf_strfmt("%s/certferry/certferry.conf", base);
	else if ((base = getenv("HOME")) != NULL && *base == '/')
		*path = cf_strfmt("%s/.config/certferry/certferry.conf", base);
	else
		return (*path = NULL, CF_OK);
	return *path != NULL ? CF_OK :
	       cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

static const struct def *def_of(const char *key);
static const struct ent *first_ent(const struct cf_settings *s,
				   const struct def *d, int in_profile);

/* The [notify] settings that go together (engine/notify.h), blamed on
 * the line of the setting at fault. */
static void
notify_check(struct cf_settings *s)
{
	struct cf_notify_conf c;
	struct cf_err e = { 0 };
	const struct ent *at;
	const char *key = NULL;

	cf_settings_notify(s, &c);
	if (cf_notify_conf_check(&c, &key, &e) == CF_OK)
		return;
	at = key != NULL ? first_ent(s, def_of(key), 0) : NULL;
	s->line = at != NULL ? at->line : s->line;
	fail_at(s, "%s%s", e.msg, "");
}

cf_rc
cf_settings_load(const char *path, int explicit_, struct cf_settings **out,
		 struct cf_err *err)
{
	struct cf_settings *s;
	struct stat sb;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (path == NULL) {
		*out = s;
		return CF_OK;
	}
	if ((s->looked_at = strdup(path)) == NULL) {
		free(s);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	s->f = fopen(path, "r");
	if (s->f == NULL) {
		if (!explicit_) {
			*out = s;
			return CF_OK;
		}
		cf_settings_free(s);
		return cf_err_set(err, CF_ERR_USAGE, "cannot read settings file "
				  "%s: %s: fix --config or CERTFERRY_CONFIG", path,
				  strerror(errno));
	}
	s->file = strdup(path);
	s->explicit_ = explicit_;
	s->err = err;
	if (s->file == NULL) {
		fclose(s->f);
		s->f = NULL;
		cf_settings_free(s);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	/* It names commands certferry runs (deploy hooks, DNS scripts, the
	 * notify command), as root for the timer: only its owner may write. */
	if (fstat(fileno(s->f), &sb) != 0 ||
	    (S_ISREG(sb.st_mode) && ((sb.st_mode & 022) != 0 ||
	     (sb.st_uid != geteuid() && sb.st_uid != 0))) ||
	    (!S_ISREG(sb.st_mode) && !S_ISCHR(sb.st_mode))) {
		fclose(s->f);
		s->f = NULL;
		cf_settings_free(s);
		return cf_err_set(err, CF_ERR_USAGE, "settings file %s: it names "
				  "commands certferry runs, so it must be a "
				  "file owned by you or root and writable by "
				  "nobody else: chown and chmod go-w it", path);
	}
	r = ini_parse_stream(reader, s, on_entry, s);
	fclose(s->f);
	s->f = NULL;
	if (!s->failed && r != 0) {
		/* a line inih could not read: no '=' or an unclosed [ */
		s->line = (unsigned)(r > 0 ? r : 0);
		fail_at(s, "not 'key = value' nor [section]%s%s", "", "");
	}
	if (!s->failed)
		notify_check(s);
	if (s->failed) {
		cf_settings_free(s);
		return CF_ERR_USAGE;
	}
	*out = s;
	return CF_OK;
}

void
cf_settings_free(struct cf_settings *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->e[i].value);
		free(s->e[i].ca);
	}
	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->e);
	free(s->file);
	free(s->looked_at);
	free(s);
}

static const struct def *
def_of(const char *key)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].key, key) == 0)
			return &defs[i];
	return NULL;
}

/* The entries of d that apply (profile before section); *first index. */
static const struct ent *
first_ent(const struct cf_settings *s, const struct def *d, int in_profile)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->e[i].d != d)
			continue;
		if (in_profile ? (s->ca != NULL && s->e[i].ca != NULL &&
				  strcmp(s->e[i].ca, s->ca) == 0)
			       : s->e[i].ca == NULL)
			return &s->e[i];
	}
	return NULL;
}

static int
in_profile(const struct cf_settings *s, const struct def *d)
{
	return first_ent(s, d, 1) != NULL;
}

static const struct ent *
effective_ent(const struct cf_settings *s, const struct def *d)
{
	const struct ent *e = first_ent(s, d, 1);

	return e != NULL ? e : first_ent(s, d, 0);
}

cf_rc
cf_settings_select_ca(struct cf_settings *s, const char *name,
		      struct cf_err *err)
{
	const struct ent *e;
	const char *env = getenv("CERTFERRY_CA");
	size_t i;

	if (name == NULL && env != NULL && *env != '\0')
		name = env;
	if (name == NULL && (e = first_ent(s, def_of("ca"), 0)) != NULL)
		name = e->value;
	s->ca = NULL;
	if (name == NULL)
		return CF_OK;
	for (i = 0; i < s->n; i++)
		if (s->e[i].ca != NULL && strcmp(s->e[i].ca, name) == 0) {
			s->ca = s->e[i].ca;
			return CF_OK;
		}
	return cf_err_set(err, CF_ERR_USAGE, "no CA profile '%s' in %s: add a "
			  "[ca %s] section or fix --ca / CERTFERRY_CA / ca =",
			  name, s->file != NULL ? s->file : "(no settings file)",
			  name);
}

const char *
cf_settings_global(const struct cf_settings *s, const char *key)
{
	const struct def *d = def_of(key);
	const struct ent *e;
	int b;

	if (d == NULL || (e = effective_ent(s, d)) == NULL)
		return NULL;
	if (d->kind == K_BOOL)
		return is_bool(e->value, &b) && b ? "yes" : NULL;
	return e->value;
}

/* 1 when option opt is in argv[from..] (before "--"), as "OPT" or
 * "OPT=..."; with val, only with that value ("OPT VAL" or "OPT=VAL"). */
static int
opt_on(int argc, char **argv, int from, const char *opt, const char *val)
{
	size_t n;
	int i;

	if (opt == NULL)
		return 0;
	n = strlen(opt);
	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], opt, n) != 0)
			continue;
		if (argv[i][n] == '\0' && (val == NULL ||
		    (i + 1 < argc && strcmp(argv[i + 1], val) == 0)))
			return 1;
		if (argv[i][n] == '=' && (val == NULL ||
		    strcmp(argv[i] + n + 1, val) == 0))
			return 1;
	}
	return 0;
}

static int
on_cmdline(int argc, char **argv, int from, const char *opt)
{
	return opt_on(argc, argv, from, opt, NULL);
}

/* opt_on for each item of the space-separated list: "OPT" or
 * "OPT=VALUE" (that value only). */
static int
on_cmdline_any(int argc, char **argv, int from, const char *list)
{
	char opt[64], *eq;
	size_t n;

	while (list != NULL && *list != '\0') {
		n = strcspn(list, " ");
		if (n > 0 && n < sizeof(opt)) {
			memcpy(opt, list, n);
			opt[n] = '\0';
			eq = strchr(opt, '=');
			if (eq != NULL)
				*eq++ = '\0';
			if (opt_on(argc, argv, from, opt, eq))
				return 1;
		}
		list += n + (list[n] == ' ');
	}
	return 0;
}

/* The validation method a key belongs to: 1 http-01, 2 dns-01,
 * 3 tls-alpn-01, 0 none. */
static int
key_method(const char *key)
{
	static const char *const keys[][7] = {
		{ "http-port", "http-address", "webroot", "iis-webroot",
		  "iis-path-map" },
		{ "dns", "dns-server", "tsig-key-file", "dns-script",
		  "dns-alias", "dns-resolver", "dns-propagation-timeout" },
		{ "tls-port", "tls-address" },
	};
	size_t m, i;

	for (m = 0; m < 3; m++)
		for (i = 0; i < 7 && keys[m][i] != NULL; i++)
			if (strcmp(key, keys[m][i]) == 0)
				return (int)m + 1;
	return 0;
}

/* A validation method's number as key_method gives it (0: unknown). */
static int
method_num(const char *v)
{
	return strcmp(v, "http-01") == 0 ? 1 : strcmp(v, "dns-01") == 0 ? 2 :
	       strcmp(v, "tls-alpn-01") == 0 ? 3 : 0;
}

/* The method the command line chooses (explicitly, or by its method
 * options as issue infers it): 1 http-01, 2 dns-01, 3 tls-alpn-01, 0 none. */
static int
cmdline_method(int argc, char **argv, int from)
{
	static const char *const dns_opts = "--dns --dns-server --tsig-key-file "
		"--dns-script --dns-resolver --dns-propagation-timeout --dns-alias";
	const char *v = NULL;
	int i;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--validation") == 0 && i + 1 < argc)
			v = argv[i + 1];
		else if (strncmp(argv[i], "--validation=", 13) == 0)
			v = argv[i] + 13;
	}
	if (v != NULL)
		return method_num(v);
	if (on_cmdline_any(argc, argv, from, dns_opts))
		return 2;
	if (on_cmdline_any(argc, argv, from, "--tls-port --tls-address"))
		return 3;
	if (on_cmdline_any(argc, argv, from, "--webroot --http-port "
			   "--http-address --iis-webroot"))
		return 1;
	return 0;
}

static int
env_set(const char *name)
{
	const char *v = name != NULL ? getenv(name) : NULL;

	return v != NULL && *v != '\0';
}

static cf_rc
own(struct cf_settings *s, char *str, struct cf_err *err)
{
	char **n;

	if (str == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	n = realloc(s->owned, (s->nowned + 1) * sizeof(*n));
	if (n == NULL) {
		free(str);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	s->owned = n;
	s->owned[s->nowned++] = str;
	return CF_OK;
}

/* The command being rebuilt: the original argv and the new one so far. */
struct rebuild {
	int argc, at;          /* argv[at..] are the user's options */
	char **argv;
	char **nv;             /* the new argv */
	int n;
	int cmethod;           /* the method the command line chooses */
	int method;            /* that, else the settings' validation */
};

/* 1 when an option of list (space-separated, OPT or OPT=VALUE: what a
 * setting needs) is on the command line or was inserted already. */
static int
given_or_inserted(const struct rebuild *r, const char *list)
{
	return on_cmdline_any(r->argc, r->argv, r->at, list) ||
	       on_cmdline_any(r->n, r->nv, r->at, list);
}

/* Whether the setting d stays out of the command r: the command line or
 * the environment gives it or what replaces it, it belongs to another
 * validation method than the one chosen, or what it needs is absent. */
static int
left_out(const struct rebuild *r, const struct def *d, const char *opt)
{
	int km = key_method(d->key);
	const char *needs;

	if (km != 0 && r->method != 0 && km != r->method)
		return 1;
	if (r->cmethod != 0 && strcmp(d->key, "validation") == 0)
		return 1;
	if (on_cmdline(r->argc, r->argv, r->at, opt) ||
	    on_cmdline_any(r->argc, r->argv, r->at, d->unless) ||
	    env_set(d->env))
		return 1;
	needs = needs_of(d->key);
	return needs != NULL && !given_or_inserted(r, needs);
}

/* Append the entries of d (the profile's, else the section's) to r. */
static cf_rc
insert_def(struct cf_settings *s, struct rebuild *r, const struct def *d,
	   const char *opt, struct cf_err *err)
{
	int prof = in_profile(s, d), b;
	size_t j;

	for (j = 0; j < s->n; j++) {
		const struct ent *e = &s->e[j];

		if (e->d != d || (prof ? (e->ca == NULL ||
		    strcmp(e->ca, s->ca) != 0) : e->ca != NULL))
			continue;
		if (d->kind == K_BOOL && !(is_bool(e->value, &b) && b))
			continue;
		if (own(s, strdup(opt), err) != CF_OK)
			return CF_ERR_NOMEM;
		r->nv[r->n++] = s->owned[s->nowned - 1];
		if (d->kind != K_BOOL)
			r->nv[r->n++] = e->value;
	}
	return CF_OK;
}

cf_rc
cf_settings_command_argv(struct cf_settings *s, int argc, char **argv,
			 int *out_argc, char ***out, struct cf_err *err)
{
	struct rebuild r = { .argc = argc, .argv = argv };
	const struct ent *v;
	char opt[64];
	int want = 0, i;
	size_t k;

	*out = NULL;
	if (strcmp(argv[0], "issue") == 0)
		want = W_ISSUE, r.at = 1;
	else if (strcmp(argv[0], "account") == 0 && argc > 1 &&
		 strcmp(argv[1], "register") == 0)
		want = W_ACCOUNT, r.at = 2;
	else
		r.at = argc;
	r.nv = calloc((size_t)argc + 1 + (want ? 2 * s->n : 0), sizeof(*r.nv));
	if (r.nv == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (i = 0; i < r.at; i++)
		r.nv[r.n++] = argv[i];
	/* A method chosen on the command line (else by the validation
	 * setting) takes none of the settings of another method; one chosen
	 * on the command line not the validation setting either. */
	r.cmethod = want ? cmdline_method(argc, argv, r.at) : 0;
	r.method = r.cmethod;
	if (want && r.method == 0 &&
	    (v = effective_ent(s, def_of("validation"))) != NULL)
		r.method = method_num(v->value);
	for (k = 0; want && k < NDEFS; k++) {
		const struct def *d = &defs[k];

		snprintf(opt, sizeof(opt), "--%s", d->key);
		if (!(d->where & want) || left_out(&r, d, opt))
			continue;
		if (insert_def(s, &r, d, opt, err) != CF_OK) {
			free(r.nv);
			return CF_ERR_NOMEM;
		}
	}
	for (i = r.at; i < argc; i++)
		r.nv[r.n++] = argv[i];
	r.nv[r.n] = NULL;
	*out = r.nv;
	*out_argc = r.n;
	return CF_OK;
}

void
cf_settings_show(const struct cf_settings *s, FILE *f,
		 const char *const *given_keys, const char *const *given_vals,
		 size_t ngiven)
{
	size_t k, j;

	fprintf(f, "# settings file: %s\n", s->file != NULL ? s->file :
		"(none)");
	fprintf(f, "# CA profile: %s\n", s->ca != NULL ? s->ca : "(none)");
	for (k = 0; k < NDEFS; k++) {
		const struct def *d = &defs[k];
		const struct ent *e;
		int prof, shown = 0;

		for (j = 0; j < ngiven && (d->where & W_GLOBAL); j++)
			if (strcmp(given_keys[j], d->key) == 0) {
				fprintf(f, "%-24s = %-32s # command line\n", d->key,
					given_vals[j]);
				shown = 1;
			}
		if (shown)
			continue;
		if (env_set(d->env)) {
			fprintf(f, "%-24s = %-32s # environment %s\n", d->key,
				d->secret_env ? "(from the environment, hidden)" :
				getenv(d->env), d->env);
			continue;
		}
		prof = in_profile(s, d);
		for (j = 0; j < s->n; j++) {
			e = &s->e[j];
			if (e->d != d || (prof ? (e->ca == NULL ||
			    strcmp(e->ca, s->ca) != 0) : e->ca != NULL))
				continue;
			fprintf(f, "%-24s = %-32s # %s:%u%s%s%s\n", d->key,
				e->value, s->file, e->line, prof ? " [ca " : "",
				prof ? s->ca : "", prof ? "]" : "");
			shown = 1;
		}
		if (!shown)
			fprintf(f, "%-24s = %-32s # built-in default\n", d->key,
				d->dflt);
	}
}

void
cf_settings_notify(const struct cf_settings *s, struct cf_notify_conf *c)
{
	size_t i;
	long l = 0;
	int b = 0;

	cf_notify_conf_init(c);
	for (i = 0; i < s->n; i++) {
		const struct def *d = s->e[i].d;
		const char *k = d->key, *v = s->e[i].value;

		if (!(d->where & W_NOTIFY))
			continue;
		/* values were checked when the file was read */
		if (d->kind == K_BOOL)
			(void)is_bool(v, &b);
		if (d->kind == K_INT)
			l = strtol(v, NULL, 10);
		if (strcmp(k, "on-failure") == 0)
			c->on_failure = b;
		else if (strcmp(k, "on-success") == 0)
			c->on_success = b;
		else if (strcmp(k, "smtp-starttls") == 0)
			c->smtp_starttls = b;
		else if (strcmp(k, "expiry-days") == 0)
			c->expiry_days = l;
		else if (strcmp(k, "timeout") == 0)
			c->timeout_s = l;
		else if (strcmp(k, "smtp-url") == 0)
			c->smtp_url = v;
		else if (strcmp(k, "smtp-user") == 0)
			c->smtp_user = v;
		else if (strcmp(k, "smtp-password-file") == 0)
			c->smtp_password_file = v;
		else if (strcmp(k, "mail-from") == 0)
			c->mail_from = v;
		else if (strcmp(k, "mail-to") == 0 && c->nmail_to < CF_NOTIFY_MAX_TO)
			c->mail_to[c->nmail_to++] = v;
		else if (strcmp(k, "webhook-url") == 0)
			c->webhook_url = v;
		else if (strcmp(k, "command") == 0)
			c->command = v;
		else if (strcmp(k, "tls-ca-bundle") == 0)
			c->ca_bundle = v;
	}
}

size_t
cf_settings_ca_names(const struct cf_settings *s, const char **names,
		     size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < s->n; i++) {
		if (s->e[i].ca == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(names[k], s->e[i].ca) == 0)
				break;
		if (k == n && n < max)
			names[n++] = s->e[i].ca;
	}
	return n;
}

const char *
cf_settings_selected_ca(const struct cf_settings *s)
{
	return s->ca;
}
