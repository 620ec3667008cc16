/* cmd_iis.c - see cmd_iis.h */
#include "cli/cmd_iis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include <dirent.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "engine/deliver.h"
#include "iis/appconfig.h"
#include "core/buf.h"
#include "crypto/pkcs12.h"
#include "iis/check.h"
#include "iis/netsh.h"
#include "install/verify.h"
#include "store/atomic.h"

#define EXIT_FINE 0
#define EXIT_PROBLEM 1
#define EXIT_USAGE 2
#define MAX_VARS 64

static const char usage_top[] =
    "usage: certferry iis sites --config FILE [--json] [--var NAME=VALUE]...\n"
    "       certferry iis check --config FILE --ccs-dir DIR\n"
    "                 [--pfx-password-file FILE] [--days N] [--json]\n"
    "                 [--connect HOST[:PORT]]\n"
    "       certferry iis import-winacme DIR [--apply] [options]\n"
    "\n"
    "  sites   list the sites of an IIS applicationHost.config\n"
    "  check   compare the Centralized Certificate Store bindings with the\n"
    "          PFX files of the CCS folder\n"
    "  import-winacme\n"
    "          win-acme's *.renewal.json files as certferry renewal\n"
    "          definitions (shown; written with --apply)\n"
    "\n"
    "Run \"certferry iis ACTION --help\" for the options of an action.\n";

static const char usage_sites[] =
    "usage: certferry iis sites --config FILE [--json] [--var NAME=VALUE]...\n"
    "\n"
    "List id, name, auto-start, root folder and the bindings (with sslFlags\n"
    "decoded) of every site in FILE (IIS's applicationHost.config, e.g. from\n"
    "the share of %windir%\\System32\\inetsrv\\config).\n"
    "\n"
    "  --config FILE      the applicationHost.config to read\n"
    "  --json             print JSON instead of a table\n"
    "  --var NAME=VALUE   value of %NAME% in physical paths (repeatable;\n"
    "                     defaults: SystemDrive=C:, windir=C:\\Windows, ...)\n";

static const char usage_check[] =
    "usage: certferry iis check --config FILE --ccs-dir DIR\n"
    "                 [--pfx-password-file FILE] [--days N] [--json]\n"
    "                 [--connect HOST[:PORT]]\n"
    "\n"
    "For every https binding that uses the Centralized Certificate Store,\n"
    "find its PFX file in DIR, open it with the CCS password and report its\n"
    "expiry; list PFX files no binding uses.  Exit 0 when all is well, 1\n"
    "when a certificate is missing, unreadable, wrong, expired or expires\n"
    "within N days (default 30), 2 for bad usage.\n"
    "Bindings that --iis-migrate moved to CCS and whose netsh script\n"
    "(STATE/iis-netsh/NAME.cmd) was not run yet are listed as \"waiting\"\n"
    "(exit 1): run the script on the IIS server, then delete it.\n"
    "\n"
    "  --config FILE             the applicationHost.config to read\n"
    "  --ccs-dir DIR             the CCS folder (mounted share)\n"
    "  --pfx-password-file FILE  file holding the CCS PFX password\n"
    "                            (default: env CERTFERRY_PFX_PASSWORD)\n"
    "  --days N                  warn N days before expiry (default 30)\n"
    "  --json                    print JSON instead of a table\n"
    "  --connect HOST[:PORT]     also connect to the IIS server at HOST\n"
    "                            (port: the binding's, or PORT) with each\n"
    "                            host name as SNI and check by a TLS\n"
    "                            handshake that it serves the PFX's\n"
    "                            certificate (exit 1 when it does not)\n";

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i. */
static int
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t l = strlen(name);

	if (strncmp(argv[*i], name, l) != 0)
		return 0;
	if (argv[*i][l] == '=') {
		*val = argv[*i] + l + 1;
		return 1;
	}
	if (argv[*i][l] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "error: %s%s%s (see --help)\n", msg, arg ? ": " : "",
		arg ? arg : "");
	return EXIT_USAGE;
}

static int
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (s == NULL) {
		fprintf(stderr, "error: out of memory\n");
		return EXIT_PROBLEM;
	}
	printf("%s\n", s);
	free(s);
	return EXIT_FINE;
}

static json_t *
json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
sites_json(const struct cf_iis_config *c)
{
	json_t *arr = json_array();
	char flags[256];
	size_t i, j;

	for (i = 0; i < c->nsites; i++) {
		const struct cf_iis_site *s = &c->sites[i];
		json_t *bs = json_array();
		for (j = 0; j < s->nbindings; j++) {
			const struct cf_iis_binding *b = &s->bindings[j];
			json_t *o = json_object();
			json_object_set_new(o, "protocol", json_string(b->protocol));
			json_object_set_new(o, "bindingInformation",
					    json_string(b->binding_information));
			if (b->has_info) {
				json_object_set_new(o, "ip", json_string(b->info.ip));
				json_object_set_new(o, "port",
						    json_integer(b->info.port));
				json_object_set_new(o, "host",
						    json_string(b->info.host));
			}
			if (b->has_ssl_flags) {
				cf_iis_ssl_flags_describe(b->ssl_flags, flags,
							  sizeof(flags));
				json_object_set_new(o, "sslFlags",
						    json_integer((json_int_t)b->ssl_flags));
				json_object_set_new(o, "sslFlagNames",
						    json_string(flags));
			}
			json_array_append_new(bs, o);
		}
		json_array_append_new(arr, json_pack("{s:I,s:s,s:b,s:o,s:o,s:o}",
				      "id", (json_int_t)s->id, "name", s->name,
				      "serverAutoStart", s->server_auto_start,
				      "physicalPath", json_str_or_null(s->physical_path),
				      "physicalPathExpanded",
				      json_str_or_null(s->physical_path_expanded),
				      "bindings", bs));
	}
	return print_json(json_pack("{s:o}", "sites", arr));
}

static void
sites_table(const struct cf_iis_config *c)
{
	char flags[256];
	size_t i, j;

	printf("%-10s  %-28s  %-10s  %s\n", "ID", "NAME", "AUTO-START",
	       "ROOT FOLDER");
	for (i = 0; i < c->nsites; i++) {
		const struct cf_iis_site *s = &c->sites[i];
		printf("%-10lu  %-28s  %-10s  %s\n", s->id, s->name,
		       s->server_auto_start ? "yes" : "no",
		       s->physical_path_expanded ? s->physical_path_expanded : "-");
		for (j = 0; j < s->nbindings; j++) {
			const struct cf_iis_binding *b = &s->bindings[j];
			printf("            %-8s %s", b->protocol,
			       b->binding_information);
			if (b->has_ssl_flags)
				printf("  sslFlags=%lu (%s)", b->ssl_flags,
				       cf_iis_ssl_flags_describe(b->ssl_flags,
				       flags, sizeof(flags)));
			printf("\n");
		}
	}
}

static int
cmd_sites(int argc, char **argv)
{
	struct cf_iis_var vars[MAX_VARS];
	struct cf_iis_config *c = NULL;
	const char *config = NULL, *v;
	struct cf_err err;
	size_t nvars = 0;
	int i, json = 0, ret;
	char *eq;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_sites, stdout);
			return EXIT_FINE;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (opt_value(argc, argv, &i, "--config", &v)) {
			if (v == NULL)
				return usage_error("--config needs a file", NULL);
			config = v;
		} else if (opt_value(argc, argv, &i, "--var", &v)) {
			if (v == NULL || (eq = strchr(v, '=')) == NULL || eq == v)
				return usage_error("--var needs NAME=VALUE", v);
			if (nvars == MAX_VARS)
				return usage_error("too many --var", NULL);
			/* argv strings are ours to cut */
			*eq = '\0';
			vars[nvars].name = v;
			vars[nvars].value = eq + 1;
			nvars++;
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if (config == NULL)
		return usage_error("--config FILE is required", NULL);
	if (cf_iis_config_load(config, vars, nvars, &c, &err) != CF_OK) {
		fprintf(stderr, "error: %s\n", err.msg);
		return err.rc == CF_ERR_USAGE ? EXIT_USAGE : EXIT_PROBLEM;
	}
	if (json) {
		ret = sites_json(c);
	} else {
		sites_table(c);
		ret = EXIT_FINE;
	}
	cf_iis_config_free(c);
	return ret;
}

/* The CCS password from a file (first line) or the environment. *pw is
 * malloc'd; the caller wipes and frees it. */
static int
read_password(const char *file, char **pw, size_t *pwlen)
{
	struct cf_err err;
	const char *env;
	char *data = NULL;
	size_t len = 0;

	*pw = NULL;
	if (file != NULL) {
		if (cf_file_read(file, 4096, &data, &len, &err) != CF_OK) {
			fprintf(stderr, "error: PFX password file: %s\n", err.msg);
			return EXIT_USAGE;
		}
		data[strcspn(data, "\r\n")] = '\0';
		*pw = data;
		*pwlen = len;
		return EXIT_FINE;
	}
	if ((env = getenv("CERTFERRY_PFX_PASSWORD")) == NULL) {
		fprintf(stderr, "error: the CCS PFX password is needed: "
			"--pfx-password-file FILE or env CERTFERRY_PFX_PASSWORD\n");
		return EXIT_USAGE;
	}
	if ((*pw = strdup(env)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		return EXIT_PROBLEM;
	}
	*pwlen = strlen(env);
	return EXIT_FINE;
}

static void
fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "-");
}

static int
check_output(const struct cf_iis_check_report *r, int json)
{
	char when[32];
	size_t i;

	if (json) {
		json_t *hs = json_array(), *un = json_array();
		for (i = 0; i < r->nhosts; i++) {
			const struct cf_iis_check_host *h = &r->hosts[i];
			fmt_time(h->not_after, when, sizeof(when));
			json_array_append_new(hs, json_pack(
				"{s:s,s:s,s:I,s:o,s:o,s:o,s:s,s:o}",
				"site", h->site_name,
				"bindingInformation", h->binding_information,
				"sslFlags", (json_int_t)h->ssl_flags,
				"host", json_str_or_null(h->host),
				"pfxFile", json_str_or_null(h->pfx_file),
				"notAfter", h->not_after ? json_string(when) :
				json_null(),
				"status", cf_iis_check_status_name(h->status),
				"detail", json_str_or_null(h->detail)));
		}
		for (i = 0; i < r->nunused; i++)
			json_array_append_new(un, json_string(r->unused_files[i]));
		if (print_json(json_pack("{s:b,s:o,s:o}", "problem", r->problem,
		    "bindings", hs, "unusedFiles", un)) != EXIT_FINE)
			return EXIT_PROBLEM;
		return r->problem ? EXIT_PROBLEM : EXIT_FINE;
	}
	printf("%-10s  %-32s  %-28s  %-20s  %s\n", "STATUS", "HOST", "PFX FILE",
	       "NOT AFTER", "SITE");
	for (i = 0; i < r->nhosts; i++) {
		const struct cf_iis_check_host *h = &r->hosts[i];
		fmt_time(h->not_after, when, sizeof(when));
		printf("%-10s  %-32s  %-28s  %-20s  %s\n",
		       cf_iis_check_status_name(h->status),
		       h->host ? h->host : h->binding_information,
		       h->pfx_file ? h->pfx_file : "-", when, h->site_name);
		if (h->detail != NULL && h->status != CF_IIS_CHECK_OK)
			printf("            %s\n", h->detail);
	}
	if (r->nhosts == 0)
		printf("(no https binding uses the Centralized Certificate "
		       "Store)\n");
	for (i = 0; i < r->nunused; i++)
		printf("unused      %s (no binding uses it)\n",
		       r->unused_files[i]);
	return r->problem ? EXIT_PROBLEM : EXIT_FINE;
}

/*
 * The host:port entries of the netsh scripts in STATE/iis-netsh that
 * bindings of c still wait for (the binding is CCS now); printed as
 * "waiting" lines.  Returns how many wait.
 */
static size_t
netsh_waiting(struct cf_cli *cli, const struct cf_iis_config *c, int json)
{
	struct cf_err err = { 0 };
	const char *root;
	char *dir = NULL, *path = NULL, *text = NULL, **hp = NULL;
	size_t len, nhp = 0, waiting = 0;
	struct dirent *de;
	DIR *d = NULL;

	if (cf_cli_state_root(cli, &root, &err) != CF_OK ||
	    (dir = cf_strfmt("%s/%s", root, CF_IIS_NETSH_DIR)) == NULL ||
	    (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".cmd") != 0)
			continue;
		free(path);
		free(text);
		text = NULL;
		cf_iis_hosts_free(hp, nhp);
		hp = NULL;
		nhp = 0;
		if ((path = cf_strfmt("%s/%s", dir, de->d_name)) == NULL ||
		    cf_file_read(path, 1u << 20, &text, &len, &err) != CF_OK ||
		    cf_iis_netsh_pending(text, len, &hp, &nhp, &err) != CF_OK)
			continue;
		for (size_t i = 0; i < nhp; i++) {
			char *colon = strrchr(hp[i], ':');
			int ccs = 0;
			if (colon == NULL)
				continue;
			/* still listed in the configuration as a CCS binding */
			for (size_t k = 0; k < c->nsites && !ccs; k++)
				for (size_t j = 0; j < c->sites[k].nbindings; j++) {
					const struct cf_iis_binding *b =
					    &c->sites[k].bindings[j];
					if (b->has_info &&
					    (b->ssl_flags & CF_IIS_SSL_CCS) &&
					    b->info.port == strtoul(colon + 1,
					    NULL, 10) &&
					    strncasecmp(b->info.host, hp[i],
					    (size_t)(colon - hp[i])) == 0 &&
					    b->info.host[colon - hp[i]] == '\0')
						ccs = 1;
				}
			if (!ccs)
				continue;
			waiting++;
			if (json)
				continue;
			printf("%-10s  %-32s  %s\n            HTTP.sys still "
			       "serves its old certificate: run this netsh script "
			       "on the IIS server, then delete it\n", "waiting",
			       hp[i], path);
		}
	}
out:
	if (d != NULL)
		closedir(d);
	cf_iis_hosts_free(hp, nhp);
	free(text);
	free(path);
	free(dir);
	return waiting;
}

/* The port of "IP:PORT:HOST", or 0. */
static unsigned
binding_port(const char *info)
{
	const char *c = info ? strchr(info, ':') : NULL;
	unsigned long p;

	if (c == NULL)
		return 0;
	p = strtoul(c + 1, NULL, 10);
	return p > 0 && p <= 65535 ? (unsigned)p : 0;
}

/* --connect: a handshake with each CCS host at target; 1 when one does
 * not serve its PFX's certificate. */
static int
connect_check(const struct cf_iis_check_report *r, const char *ccs,
	      const char *pw, const char *target)
{
	struct cf_err err = { 0 };
	char *host = NULL;
	unsigned port = 0;
	int bad = 0;

	if (cf_hostport_parse(target, 0, &host, &port, &err) != CF_OK) {
		fprintf(stderr, "error: --connect %s\n", err.msg);
		return EXIT_USAGE;
	}
	printf("handshakes with %s:\n", host);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct cf_iis_check_host *h = &r->hosts[i];
		struct cf_tls_verdict v;
		unsigned char *der = NULL;
		char *path = NULL;
		size_t len = 0;
		X509 *want = NULL;
		unsigned p = port ? port : binding_port(h->binding_information);

		if (h->host == NULL || h->pfx_file == NULL)
			continue;
		if (p == 0)
			p = 443;
		memset(&v, 0, sizeof(v));
		if ((path = cf_strfmt("%s/%s", ccs, h->pfx_file)) == NULL ||
		    cf_file_read(path, 1u << 20, (char **)&der, &len, &err) != CF_OK ||
		    cf_pkcs12_parse(der, len, pw, NULL, &want, NULL, &err) != CF_OK ||
		    cf_tls_expect_x509(host, p, h->host, want, 1, 0, &v, &err) !=
			    CF_OK)
			snprintf(v.detail, sizeof(v.detail), "%.250s", err.msg);
		printf("  %-8s %s port %u, %s: %s\n", v.served ? "ok" : "drifted",
		       host, p, h->host, v.detail);
		bad |= !v.served;
		X509_free(want);
		free(der);
		free(path);
	}
	free(host);
	return bad ? EXIT_PROBLEM : EXIT_FINE;
}

static int
cmd_check(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_iis_config *c = NULL;
	struct cf_iis_check_report *r = NULL;
	const char *config = NULL, *ccs = NULL, *pwfile = NULL, *v,
		   *target = NULL;
	char *pw = NULL, *end;
	size_t pwlen = 0;
	struct cf_err err;
	long days = 30;
	int i, json = 0, ret = EXIT_PROBLEM;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_check, stdout);
			return EXIT_FINE;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (opt_value(argc, argv, &i, "--config", &v)) {
			if ((config = v) == NULL)
				return usage_error("--config needs a file", NULL);
		} else if (opt_value(argc, argv, &i, "--ccs-dir", &v)) {
			if ((ccs = v) == NULL)
				return usage_error("--ccs-dir needs a folder",
						   NULL);
		} else if (opt_value(argc, argv, &i, "--pfx-password-file", &v)) {
			if ((pwfile = v) == NULL)
				return usage_error("--pfx-password-file needs "
						   "a file", NULL);
		} else if (opt_value(argc, argv, &i, "--connect", &v)) {
			if ((target = v) == NULL)
				return usage_error("--connect needs HOST[:PORT]",
						   NULL);
		} else if (opt_value(argc, argv, &i, "--days", &v)) {
			if (v == NULL)
				return usage_error("--days needs a number", NULL);
			errno = 0;
			days = strtol(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' || days < 0 ||
			    days > 3650)
				return usage_error("--days must be 0..3650", v);
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if (config == NULL || ccs == NULL)
		return usage_error("--config FILE and --ccs-dir DIR are required",
				   NULL);
	if ((ret = read_password(pwfile, &pw, &pwlen)) != EXIT_FINE)
		return ret;
	ret = EXIT_PROBLEM;
	if (cf_iis_config_load(config, NULL, 0, &c, &err) != CF_OK) {
		fprintf(stderr, "error: %s\n", err.msg);
		ret = err.rc == CF_ERR_USAGE ? EXIT_USAGE : EXIT_PROBLEM;
		goto out;
	}
	if (cf_iis_check(c, ccs, pw, (int)days, 0, &r, &err) != CF_OK) {
		fprintf(stderr, "error: %s\n", err.msg);
		goto out;
	}
	ret = check_output(r, json);
	if (netsh_waiting(cli, c, json) > 0 && ret == EXIT_FINE)
		ret = EXIT_PROBLEM;
	if (target != NULL) {
		int cr = connect_check(r, ccs, pw, target);
		if (cr != EXIT_FINE)
			ret = cr;
	}
out:
	if (pw != NULL) {
		OPENSSL_cleanse(pw, pwlen);
		free(pw);
	}
	cf_iis_check_report_free(r);
	cf_iis_config_free(c);
	return ret;
}

int
cf_cmd_iis(struct cf_cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_top, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_top, stdout);
		return EXIT_FINE;
	}
	if (strcmp(argv[1], "sites") == 0)
		return cmd_sites(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(cli, argc - 1, argv + 1);
	fprintf(stderr, "error: unknown iis action \"%s\" (use sites or "
		"check)\n", argv[1]);
	return EXIT_USAGE;
}
