/* cmd_winacme.c - "certferry iis import-winacme DIR": win-acme renewals
 * become certferry renewal definitions (shown first, written with
 * --apply). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "engine/deliver.h"
#include "engine/renewal.h"
#include "iis/pathmap.h"
#include "engine/winacme.h"
#include "store/atomic.h"
#include "store/paths.h"
#include "store/state.h"

#define MAX_MAPS 32
#define MAX_FILES 1000
#define RENEWAL_MAX (1u << 20)

static const char usage[] =
"usage: certferry [--server URL] iis import-winacme DIR [options]\n"
"\n"
"Reads win-acme's *.renewal.json files from DIR (a copy of\n"
"%ProgramData%\\win-acme\\<server>\\, or of %ProgramData%\\win-acme\\ with\n"
"one folder per ACME server) and shows the certferry renewal definition\n"
"each becomes, and what could not be mapped.  Nothing is written without\n"
"--apply; then only the renewals that map completely are written, as\n"
"STATE/renewals/winacme-<Id>.json (an existing one is left alone), and\n"
"'certferry renew' orders their certificates.\n"
"\n"
"  --iis-config FILE          the server's applicationHost.config (for IIS\n"
"                             targets and installation)\n"
"  --iis-path-map 'WIN=LINUX' where a Windows folder is mounted here\n"
"                             (repeatable): CCS, PEM and PFX folders and the\n"
"                             sites' folders for http-01\n"
"  --pfx-password-file FILE   the PFX/CCS password for stores whose password\n"
"                             win-acme encrypted with DPAPI (unreadable off\n"
"                             Windows)\n"
"  --dns-script CMD           stands in for win-acme's dns-01 script\n"
"  --apply                    write the definitions\n"
"  --dry-run                  show only (the default)\n"
"\n"
"The ACME server comes from the folder name (Let's Encrypt, Sectigo,\n"
"ZeroSSL, Buypass), or from the global --server.  Exit 0 when every\n"
"renewal maps completely, 1 when some need what the notes say, 2 for bad\n"
"usage or an unreadable folder.\n";

struct import_cli {
	char *iis_config;
	char *maps[MAX_MAPS];
	size_t nmaps;
	char *pfx_password_file;
	char *dns_script;
	int apply;
	char *dir;          /* without trailing '/': its name is the server's */
};

static void
import_cli_free(struct import_cli *c)
{
	free(c->iis_config);
	for (size_t i = 0; i < c->nmaps; i++)
		free(c->maps[i]);
	free(c->pfx_password_file);
	free(c->dns_script);
	free(c->dir);
}

/* The options and the folder: 1 after --help, 0, or -1 and err set. */
static int
parse_args(struct import_cli *c, int argc, char **argv, struct cf_err *err)
{
	enum { O_CONFIG = 1000, O_MAP, O_PFXPW, O_DNS, O_APPLY, O_DRY };
	static const struct option lo[] = {
		{ "iis-config", required_argument, NULL, O_CONFIG },
		{ "iis-path-map", required_argument, NULL, O_MAP },
		{ "pfx-password-file", required_argument, NULL, O_PFXPW },
		{ "dns-script", required_argument, NULL, O_DNS },
		{ "apply", no_argument, NULL, O_APPLY },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, dry = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char **slot = NULL;
		switch (ch) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case O_CONFIG: slot = &c->iis_config; break;
		case O_PFXPW: slot = &c->pfx_password_file; break;
		case O_DNS: slot = &c->dns_script; break;
		case O_MAP:
			if (c->nmaps == MAX_MAPS) {
				cf_err_set(err, CF_ERR_USAGE, "at most %d "
					   "--iis-path-map", MAX_MAPS);
				return -1;
			}
			slot = &c->maps[c->nmaps++];
			break;
		case O_APPLY: c->apply = 1; continue;
		case O_DRY: dry = 1; continue;
		default:
			cf_err_set(err, CF_ERR_USAGE, "bad option: see 'certferry "
				   "iis import-winacme --help'");
			return -1;
		}
		free(*slot);
		if ((*slot = strdup(optarg)) == NULL) {
			cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			return -1;
		}
	}
	if (c->apply && dry) {
		cf_err_set(err, CF_ERR_USAGE, "--apply and --dry-run exclude each "
			   "other");
		return -1;
	}
	if (optind + 1 != argc) {
		cf_err_set(err, CF_ERR_USAGE, "give one folder: certferry iis "
			   "import-winacme DIR (see --help)");
		return -1;
	}
	if ((c->dir = strdup(argv[optind])) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	for (size_t l = strlen(c->dir); l > 1 && c->dir[l - 1] == '/'; l--)
		c->dir[l - 1] = '\0';
	return 0;
}

/* The paths recorded in the definitions: absolute, and checked now.
 * 0, or -1 and err set. */
static int
check_paths(struct import_cli *c, struct cf_err *err)
{
	if (cf_path_abs_inplace(&c->iis_config, err) != CF_OK ||
	    cf_path_abs_inplace(&c->pfx_password_file, err) != CF_OK)
		return -1;
	for (size_t i = 0; i < c->nmaps; i++)
		if (cf_iis_path_map_abs(&c->maps[i], err) != CF_OK)
			return -1;
	if (c->iis_config != NULL && access(c->iis_config, R_OK) != 0) {
		cf_err_set(err, CF_ERR_USAGE, "--iis-config %s cannot be read: "
			   "give the server's applicationHost.config",
			   c->iis_config);
		return -1;
	}
	if (c->pfx_password_file != NULL && access(c->pfx_password_file, R_OK) != 0) {
		cf_err_set(err, CF_ERR_USAGE, "--pfx-password-file %s cannot be "
			   "read", c->pfx_password_file);
		return -1;
	}
	if (c->dns_script != NULL && c->dns_script[0] != '/') {
		cf_err_set(err, CF_ERR_USAGE, "--dns-script %s: give the script's "
			   "absolute path", c->dns_script);
		return -1;
	}
	return 0;
}

/* "iis import-winacme": 1 after --help, 0, or -1 and err set. */
static int
parse(struct import_cli *c, int argc, char **argv, struct cf_err *err)
{
	int r = parse_args(c, argc, argv, err);

	return r != 0 ? r : check_paths(c, err);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The *.renewal.json files of dir, sorted. */
static cf_rc
list_renewals(const char *dir, char ***out, size_t *n, struct cf_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "%s: cannot read the folder: "
				  "give a copy of win-acme's folder", dir);
	while ((e = readdir(d)) != NULL && *n < MAX_FILES) {
		char **nv;
		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".renewal.json"))
			continue;
		if ((nv = realloc(v, (*n + 1) * sizeof(char *))) == NULL ||
		    (nv[*n] = cf_strfmt("%s/%s", dir, e->d_name)) == NULL) {
			closedir(d);
			*out = nv ? nv : v;
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
		v = nv;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(char *), cmp_str);
	*out = v;
	return CF_OK;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
print_plan(const char *file, const struct cf_winacme_import *im)
{
	const struct cf_cert_spec *s = &im->spec;
	const struct cf_validation_spec *v = &s->validation;

	printf("%s\n  win-acme:   %s%s%s%s\n", file, im->id,
	       im->friendly_name ? " \"" : "",
	       im->friendly_name ? im->friendly_name : "",
	       im->friendly_name ? "\"" : "");
	printf("  name:       %s\n  server:     %s\n", s->name,
	       s->directory_url ? s->directory_url : "(unknown)");
	if (s->nnames > 0) {
		printf("  names:     ");
		for (size_t i = 0; i < s->nnames; i++)
			printf(" %s", s->names[i]);
		printf("\n");
	}
	if (s->iis.nsites > 0) {
		printf("  IIS sites: ");
		for (size_t i = 0; i < s->iis.nsites; i++)
			printf(" %s", s->iis.sites[i]);
		printf("%s%s\n", s->iis.host_filter ? ", hosts " : "",
		       s->iis.host_filter ? s->iis.host_filter : "");
	}
	printf("  validation: %s%s%s%s\n", cf_val_method_name(v->method),
	       v->iis_webroot ? " through the IIS sites' folders" : "",
	       v->webroot ? " webroot " : "", v->webroot ? v->webroot : "");
	printf("  key:        %s%s\n", cf_key_type_name(s->key_type),
	       s->reuse_key ? " (reused)" : "");
	for (size_t i = 0; i < s->nstores; i++)
		printf("  store:      %s %s\n", cf_store_kind_name(s->stores[i].kind),
		       s->stores[i].path);
	if (s->iis.install)
		printf("  install:    iis (CCS bindings, port %d)\n",
		       s->iis.https_port ? s->iis.https_port : 443);
	for (size_t i = 0; i < im->nnotes; i++)
		printf("  note:       %s\n", im->notes[i]);
}

/* A readable password is kept as STATE/secrets/<name>.pfx-password
 * (0600): point the pfx/ccs stores at it (write 0), then, once every
 * check passed, write it (write 1). */
static cf_rc
keep_password(const struct cf_state *st, struct cf_winacme_import *im,
	      int write, struct cf_err *err)
{
	char *dir = NULL, *path = NULL;
	cf_rc rc = CF_OK;

	if (im->password == NULL)
		return CF_OK;
	if ((dir = cf_strfmt("%s/secrets", st->root)) == NULL ||
	    (path = cf_strfmt("%s/%s.pfx-password", dir, im->spec.name)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (write) {
		if ((rc = cf_state_mkdir(st, dir, err)) == CF_OK)
			rc = cf_secret_file_write(path, im->password, err);
		goto out;
	}
	for (size_t i = 0; i < im->spec.nstores; i++) {
		struct cf_store_spec *s = &im->spec.stores[i];
		if (s->kind == CF_STORE_PEM || s->password_file != NULL)
			continue;
		if ((s->password_file = strdup(path)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	free(dir);
	free(path);
	return rc;
}

/* Write one complete import as a renewal definition.  1 written, 0 left
 * alone (exists), -1 failed (err set). */
static int
write_definition(const struct cf_state *st, struct cf_winacme_import *im,
		 struct cf_err *err)
{
	struct cf_renewal r;
	char *path, **names = NULL, *detail;
	size_t n = 0;
	struct stat sb;
	int ret = -1;

	if ((path = cf_strfmt("%s/renewals/%s.json", st->root, im->spec.name)) ==
	    NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (lstat(path, &sb) == 0) {
		free(path);
		return 0;
	}
	free(path);
	/* The same checks as issue's, on the names as they are today. */
	if (keep_password(st, im, 0, err) != CF_OK ||
	    cf_spec_resolve_names(&im->spec, &names, &n, err) != CF_OK ||
	    cf_spec_check(&im->spec, (const char *const *)names, n, err) !=
		    CF_OK ||
	    keep_password(st, im, 1, err) != CF_OK)
		goto out;
	memset(&r, 0, sizeof(r));
	r.spec = im->spec;                  /* moved, given back below */
	r.state = CF_REN_ACTIVE;
	if ((detail = cf_strfmt("imported from win-acme renewal %s", im->id)) ==
	    NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (cf_renewal_add_event(&r, time(NULL), "import", "ok", NULL, 0,
				 detail, err) == CF_OK &&
	    cf_renewal_save(st, &r, err) == CF_OK)
		ret = 1;
	free(detail);
	memset(&r.spec, 0, sizeof(r.spec)); /* still im's */
	cf_renewal_free(&r);
out:
	strv_free(names, n);
	return ret;
}

/* One folder of renewals with its server.  Counts into *ok / *bad. */
static int
import_folder(struct cf_cli *cli, const struct import_cli *c,
	      const struct cf_state *st, const char *dir, size_t *ok,
	      size_t *bad, size_t *written)
{
	struct cf_winacme_opts o;
	struct cf_err err = { 0 };
	const char *base = strrchr(dir, '/');
	char **files = NULL;
	size_t n = 0;
	int ret = CF_EXIT_OK;

	memset(&o, 0, sizeof(o));
	base = base ? base + 1 : dir;
	o.directory_url = cli->server ? cli->server :
			  cf_winacme_server_for_folder(base);
	o.iis_config = c->iis_config;
	o.path_maps = (const char *const *)c->maps;
	o.npath_maps = c->nmaps;
	o.pfx_password_file = c->pfx_password_file;
	o.dns_script = c->dns_script;
	if (list_renewals(dir, &files, &n, &err) != CF_OK) {
		strv_free(files, n);
		return cf_cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		struct cf_winacme_import im;
		char *data = NULL;
		size_t len = 0;
		json_t *j;
		json_error_t je;

		if (cf_file_read_input(files[i], RENEWAL_MAX, &data, &len, &err) !=
		    CF_OK) {
			ret = cf_cli_fail(&err);
			break;
		}
		j = json_loadb(data, len, 0, &je);
		free(data);
		if (j == NULL) {
			printf("%s\n  not read:   line %d: %s\n", files[i], je.line,
			       je.text);
			(*bad)++;
			continue;
		}
		if (cf_winacme_renewal_map(j, &o, &im, &err) != CF_OK) {
			printf("%s\n  not read:   %s\n", files[i], err.msg);
			json_decref(j);
			(*bad)++;
			continue;
		}
		json_decref(j);
		print_plan(files[i], &im);
		if (!im.complete) {
			printf("  status:     not mapped completely%s\n",
			       c->apply ? ": not written" : "");
			(*bad)++;
		} else if (!c->apply) {
			printf("  status:     ready (--apply writes it)\n");
			(*ok)++;
		} else {
			int w = write_definition(st, &im, &err);
			if (w < 0) {
				printf("  status:     not written: %s\n", err.msg);
				(*bad)++;
			} else {
				printf("  status:     %s\n", w ? "written" :
				       "a definition of this name exists: left "
				       "as it is");
				(*ok)++;
				*written += (size_t)w;
			}
		}
		cf_winacme_import_free(&im);
	}
	strv_free(files, n);
	return ret;
}

/* Does dir hold *.renewal.json files itself? */
static int
has_renewals(const char *dir)
{
	struct cf_err err = { 0 };
	char **files = NULL;
	size_t n = 0;

	if (list_renewals(dir, &files, &n, &err) != CF_OK)
		n = 0;
	strv_free(files, n);
	return n > 0;
}

int
cf_cmd_iis_import_winacme(struct cf_cli *cli, int argc, char **argv)
{
	struct import_cli c;
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	size_t ok = 0, bad = 0, written = 0, folders = 0;
	int ret = CF_EXIT_OK, r;
	DIR *d = NULL;
	struct dirent *e;

	memset(&c, 0, sizeof(c));
	if ((r = parse(&c, argc - 1, argv + 1, &err)) != 0) {
		ret = r > 0 ? CF_EXIT_OK : cf_cli_fail(&err);
		goto out;
	}
	if (c.apply && cf_cli_state_open(cli, &st, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (has_renewals(c.dir)) {
		folders = 1;
		ret = import_folder(cli, &c, &st, c.dir, &ok, &bad, &written);
	} else if ((d = opendir(c.dir)) != NULL) {
		/* %ProgramData%\win-acme: one folder per ACME server. */
		while (ret == CF_EXIT_OK && (e = readdir(d)) != NULL) {
			char *sub;
			if (e->d_name[0] == '.')
				continue;
			if ((sub = cf_strfmt("%s/%s", c.dir, e->d_name)) == NULL)
				break;
			if (has_renewals(sub)) {
				folders++;
				ret = import_folder(cli, &c, &st, sub, &ok, &bad,
						    &written);
			}
			free(sub);
		}
	}
	if (ret != CF_EXIT_OK)
		goto out;
	if (folders == 0) {
		cf_err_set(&err, CF_ERR_USAGE, "%s holds no *.renewal.json files: "
			   "give a copy of %%ProgramData%%\\win-acme\\<server>",
			   c.dir);
		ret = cf_cli_fail(&err);
		goto out;
	}
	printf("\n%zu renewal%s ready, %zu not mapped completely%s", ok,
	       ok == 1 ? "" : "s", bad, c.apply ? "" : " (dry run: nothing "
						     "written; --apply writes)");
	if (c.apply)
		printf("; %zu definition%s written to %s/renewals", written,
		       written == 1 ? "" : "s", st.root);
	printf("\n");
	if (c.apply && written > 0)
		printf("disable these renewals in win-acme (its scheduled task) "
		       "before 'certferry renew' takes over\n");
	ret = bad > 0 ? CF_EXIT_FAIL : CF_EXIT_OK;
out:
	if (d != NULL)
		closedir(d);
	cf_state_close(&st);
	import_cli_free(&c);
	return ret;
}
