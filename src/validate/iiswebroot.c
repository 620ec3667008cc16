/* iiswebroot.c - see iiswebroot.h */
#include "validate/iiswebroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/atomic.h"
#include "iis/appconfig.h"
#include "iis/pathmap.h"
#include "validate/webroot.h"

#define MAX_DIRS 64
#define MAX_TOKENS 256

/*
 * Extensionless files as text/plain, served by the static file module
 * and by nothing else (no ASP.NET, no PHP, no directory listing), and no
 * redirect inherited from the site.
 */
const char cf_iis_acme_web_config[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	"<!-- Written by certferry for ACME http-01 challenges; removed after "
	"validation. -->\r\n"
	"<configuration>\r\n"
	"  <system.webServer>\r\n"
	"    <handlers>\r\n"
	"      <clear />\r\n"
	"      <add name=\"certferry-acme-challenge\" path=\"*\" verb=\"GET,HEAD\"\r\n"
	"           modules=\"StaticFileModule\" resourceType=\"File\"\r\n"
	"           requireAccess=\"Read\" />\r\n"
	"    </handlers>\r\n"
	"    <staticContent>\r\n"
	"      <clear />\r\n"
	"      <mimeMap fileExtension=\".\" mimeType=\"text/plain\" />\r\n"
	"    </staticContent>\r\n"
	"    <httpRedirect enabled=\"false\" />\r\n"
	"  </system.webServer>\r\n"
	"</configuration>\r\n";

struct site_dir {
	char *root;             /* the mapped physicalPath */
	struct cf_acme_dir d;
	char *web_config;       /* path of the web.config we wrote, or NULL */
	size_t ntokens;         /* challenges presented and not cleaned */
};

struct iisweb {
	struct cf_iis_config *cfg;
	char **rules;
	size_t nrules;
	struct site_dir dirs[MAX_DIRS];
	size_t ndirs;
	struct {
		char *token;
		size_t dir;
	} toks[MAX_TOKENS];
	size_t ntoks;
};

/*
 * Create path with certferry's web.config; never replaces a file (O_EXCL).
 * CF_OK with *created 0 when a file is there already.
 */
static cf_rc
web_config_create(const char *path, int *created, struct cf_err *err)
{
	size_t len = strlen(cf_iis_acme_web_config), off = 0;
	int fd;

	*created = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 && errno == EEXIST)
		return CF_OK;
	if (fd < 0)
		return cf_err_set(err, CF_ERR_IO, "create %s: %s", path,
				  strerror(errno));
	(void)fchmod(fd, 0644);
	while (off < len) {
		ssize_t w = write(fd, cf_iis_acme_web_config + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (close(fd) != 0 || off < len) {
		cf_err_set(err, CF_ERR_IO, "write %s: %s", path, strerror(errno));
		unlink(path);
		return err->rc;
	}
	*created = 1;
	return CF_OK;
}

/* 1 when path holds exactly certferry's web.config. */
static int
web_config_is_ours(const char *path)
{
	struct cf_err e = { 0 };
	char *data = NULL;
	size_t len = 0;
	int r;

	if (cf_file_read(path, 64u * 1024u, &data, &len, &e) != CF_OK)
		return 0;
	r = len == strlen(cf_iis_acme_web_config) &&
	    memcmp(data, cf_iis_acme_web_config, len) == 0;
	free(data);
	return r;
}

/*
 * The folder's web.config: created when missing; one that certferry wrote
 * (another run's, or a leftover) is shared; anyone else's is left alone
 * and never removed (sd->web_config stays NULL).
 */
static cf_rc
web_config_put(struct site_dir *sd, struct cf_err *err)
{
	char *path = cf_strfmt("%s/web.config", sd->d.dir);
	int created;

	if (path == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (web_config_create(path, &created, err) != CF_OK) {
		free(path);
		return err->rc;
	}
	if (!created && !web_config_is_ours(path)) {
		cf_debug("%s is not certferry's: left as it is", path);
		free(path);
		return CF_OK;
	}
	sd->web_config = path;
	return CF_OK;
}

/* 1 when dir holds nothing but a web.config (no other run's token). */
static int
only_web_config_left(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int only = 1;

	if (d == NULL)
		return 0;
	while (only && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "web.config") != 0)
			only = 0;
	closedir(d);
	return only;
}

/* The last challenge of the folder is done: remove what we added.  The
 * web.config goes when no challenge of another certferry run is left
 * next to it (the last one out removes it). */
static void
site_dir_release(struct site_dir *sd)
{
	if (sd->web_config != NULL) {
		if (only_web_config_left(sd->d.dir) &&
		    web_config_is_ours(sd->web_config) &&
		    unlink(sd->web_config) != 0 && errno != ENOENT)
			cf_warn("cannot remove %s: %s", sd->web_config,
				strerror(errno));
		free(sd->web_config);
		sd->web_config = NULL;
	}
	cf_acme_dir_close(&sd->d);
}

/* The folder entry for root, opened (challenge folder and web.config
 * present) when it has no challenge yet. */
static cf_rc
site_dir_get(struct iisweb *w, const char *root, size_t *idx,
	     struct cf_err *err)
{
	struct site_dir *sd = NULL;
	size_t i;

	for (i = 0; i < w->ndirs; i++)
		if (strcmp(w->dirs[i].root, root) == 0) {
			sd = &w->dirs[i];
			break;
		}
	if (sd == NULL) {
		if (w->ndirs == MAX_DIRS)
			return cf_err_set(err, CF_ERR_USAGE,
					  "more than %d IIS sites in one order: "
					  "split the certificate", MAX_DIRS);
		sd = &w->dirs[w->ndirs];
		memset(sd, 0, sizeof(*sd));
		if ((sd->root = strdup(root)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		i = w->ndirs++;
	}
	if (sd->ntokens == 0 && sd->d.dir == NULL) {
		if (cf_acme_dir_open(root, "IIS site folder", &sd->d, err) !=
			    CF_OK)
			return err->rc;
		if (web_config_put(sd, err) != CF_OK) {
			cf_acme_dir_close(&sd->d);
			return err->rc;
		}
	}
	*idx = i;
	return CF_OK;
}

static cf_rc
iisweb_present(void *ctx, const struct cf_challenge_task *t,
	       struct cf_err *err)
{
	struct iisweb *w = ctx;
	char *root = NULL;
	size_t di = 0;
	cf_rc rc;

	if (w->ntoks == MAX_TOKENS)
		return cf_err_set(err, CF_ERR_USAGE, "too many challenges at once");
	if ((rc = cf_iis_webroot_for_host(w->cfg,
					  (const char *const *)w->rules,
					  w->nrules, t->identifier, &root,
					  err)) != CF_OK)
		return rc;
	rc = site_dir_get(w, root, &di, err);
	free(root);
	if (rc != CF_OK)
		return rc;
	if ((w->toks[w->ntoks].token = strdup(t->token)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	else
		rc = cf_acme_dir_put(&w->dirs[di].d, t->token,
				     t->key_authorization, err);
	if (rc != CF_OK) {
		free(w->toks[w->ntoks].token);
		if (w->dirs[di].ntokens == 0)
			site_dir_release(&w->dirs[di]);
		return rc;
	}
	w->toks[w->ntoks++].dir = di;
	w->dirs[di].ntokens++;
	cf_debug("http-01 %s: %s/%s", t->identifier, w->dirs[di].d.dir,
		 t->token);
	return CF_OK;
}

/* Every proof is in place: the web.config next to them too (another run
 * sharing the folder may have removed it meanwhile). */
static cf_rc
iisweb_ready(void *ctx, struct cf_err *err)
{
	struct iisweb *w = ctx;
	int created;

	for (size_t i = 0; i < w->ndirs; i++) {
		struct site_dir *sd = &w->dirs[i];
		if (sd->ntokens == 0 || sd->web_config == NULL)
			continue;
		if (web_config_create(sd->web_config, &created, err) != CF_OK)
			return err->rc;
		if (created)
			cf_debug("%s written again", sd->web_config);
	}
	return CF_OK;
}

static void
iisweb_cleanup(void *ctx, const struct cf_challenge_task *t)
{
	struct iisweb *w = ctx;

	for (size_t i = 0; i < w->ntoks; i++) {
		struct site_dir *sd = &w->dirs[w->toks[i].dir];
		if (strcmp(w->toks[i].token, t->token) != 0)
			continue;
		cf_acme_dir_del(&sd->d, t->token);
		if (--sd->ntokens == 0)
			site_dir_release(sd);
		free(w->toks[i].token);
		w->toks[i] = w->toks[--w->ntoks];
		return;
	}
}

static void
iisweb_destroy(void *ctx)
{
	struct iisweb *w = ctx;

	if (w == NULL)
		return;
	for (size_t i = 0; i < w->ntoks; i++) {
		cf_acme_dir_del(&w->dirs[w->toks[i].dir].d, w->toks[i].token);
		free(w->toks[i].token);
	}
	for (size_t i = 0; i < w->ndirs; i++) {
		site_dir_release(&w->dirs[i]);
		free(w->dirs[i].root);
	}
	for (size_t i = 0; i < w->nrules; i++)
		free(w->rules[i]);
	free(w->rules);
	cf_iis_config_free(w->cfg);
	free(w);
}

cf_rc
cf_iis_webroot_validator_new(const char *config, const char *const *rules,
			     size_t nrules, struct cf_validator *out,
			     struct cf_err *err)
{
	struct iisweb *w;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if (config == NULL || nrules == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-webroot needs --iis-config FILE and at "
				  "least one --iis-path-map 'C:\\inetpub=/mnt/...'");
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->rules = calloc(nrules, sizeof(char *))) == NULL) {
		free(w);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	for (; w->nrules < nrules; w->nrules++)
		if ((w->rules[w->nrules] = strdup(rules[w->nrules])) == NULL) {
			iisweb_destroy(w);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
	if ((rc = cf_iis_config_load(config, NULL, 0, &w->cfg, err)) != CF_OK) {
		iisweb_destroy(w);
		if (rc == CF_ERR_IO || rc == CF_ERR_NOTFOUND)
			err->rc = rc = CF_ERR_USAGE;
		return cf_err_wrap(err, "--iis-config");
	}
	out->challenge_type = "http-01";
	out->ctx = w;
	out->present = iisweb_present;
	out->ready = iisweb_ready;
	out->cleanup = iisweb_cleanup;
	out->destroy = iisweb_destroy;
	return CF_OK;
}
