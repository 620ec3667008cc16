/* install.c - see install.h: the web server after the stores, and the
 * deploy hooks. */
#include "engine/install.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/harden.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/x509.h"
#include "store/atomic.h"
#include "store/lock.h"
#include "store/paths.h"

#define HOOK_TIMEOUT_S 300
#define CHECK_TRIES 20           /* handshakes per name after a reload */
#define CHECK_DELAY_MS 250       /* apart: 5 s for workers to restart */
#define SERVER_LOCK_WAIT_S 300   /* another run's edit-reload-check */

void
cf_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

void
cf_server_result_free(struct cf_server_result *r)
{
	if (r == NULL)
		return;
	free(r->backup_dir);
	free(r->problems);
	for (size_t i = 0; i < r->nchecks; i++) {
		free(r->checks[i].name);
		free(r->checks[i].addr);
	}
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

const char *
cf_install_pem_dir(const struct cf_cert_spec *s)
{
	for (size_t i = 0; i < s->nstores; i++)
		if (s->stores[i].kind == CF_STORE_PEM)
			return s->stores[i].path;
	return NULL;
}

static void
ctl_of(const struct cf_cert_spec *s, struct cf_server_ctl *ctl)
{
	ctl->kind = (enum cf_server_kind)s->server.kind;
	ctl->bin = s->server.bin;
	ctl->conf = s->server.conf;
}

/* Load and plan; the files are DIR/fullchain.pem and DIR/privkey.pem. */
static cf_rc
load_plan(const struct cf_cert_spec *s, const char *const *names, size_t n,
	  int configure, struct cf_srv_config **cfg, struct cf_srv_plan **plan,
	  struct cf_server_result *res, struct cf_err *err)
{
	struct cf_server_ctl ctl;
	const char *dir = cf_install_pem_dir(s);
	char *cert = NULL, *key = NULL;
	cf_rc rc;

	*cfg = NULL;
	*plan = NULL;
	ctl_of(s, &ctl);
	if (dir == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "--install %s needs --pem-dir",
				  cf_server_kind_name(ctl.kind));
	if ((cert = cf_strfmt("%s/fullchain.pem", dir)) == NULL ||
	    (key = cf_strfmt("%s/privkey.pem", dir)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_server_load(&ctl, cfg, err)) != CF_OK ||
	    (rc = cf_server_plan(*cfg, names, n, cert, key, configure, plan,
				 err)) != CF_OK)
		goto out;
	if ((*plan)->problems > 0 &&
	    (res->problems = cf_srv_plan_problems(*plan)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	free(cert);
	free(key);
	return rc;
}

/* Handshake with every target of the plan; number not serving leaf_pem. */
static cf_rc
check_targets(const struct cf_srv_plan *p, const char *leaf_pem,
	      unsigned tries, struct cf_server_result *res, size_t *bad,
	      struct cf_err *err)
{
	cf_rc rc;

	*bad = 0;
	for (size_t i = 0; i < res->nchecks; i++) {
		free(res->checks[i].name);
		free(res->checks[i].addr);
	}
	free(res->checks);
	res->nchecks = 0;
	if ((res->checks = calloc(p->ntargets + 1, sizeof(*res->checks))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->ntargets; i++) {
		struct cf_server_check *c = &res->checks[res->nchecks++];
		if ((c->name = strdup(p->targets[i].name)) == NULL ||
		    (c->addr = strdup(p->targets[i].addr)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		c->port = p->targets[i].port;
		if ((rc = cf_tls_expect(c->addr, c->port, c->name, leaf_pem, tries,
					CHECK_DELAY_MS, &c->v, err)) != CF_OK)
			return rc;
		if (!c->v.served)
			(*bad)++;
		cf_info("%s on %s port %u: %s", c->name, c->addr, c->port,
			c->v.detail);
	}
	return CF_OK;
}

static const struct cf_server_check *
first_bad(const struct cf_server_result *res)
{
	for (size_t i = 0; i < res->nchecks; i++)
		if (!res->checks[i].v.served)
			return &res->checks[i];
	return NULL;
}

/* Put back the configuration and the previous certificate, reload; the
 * outcome is appended to err's message. */
static void
roll_back(const struct cf_cert_spec *s, const struct cf_srv_config *cfg,
	  const struct cf_srv_plan *plan, const struct cf_cert_bundle *previous,
	  int reload, struct cf_server_result *res, struct cf_err *err)
{
	struct cf_server_ctl ctl;
	struct cf_err rerr = { 0 };
	int ok = 1;

	ctl_of(s, &ctl);
	res->rolled_back = 1;
	if (plan->nedited > 0 && cf_server_restore(cfg, plan, &rerr) != CF_OK) {
		cf_err_wrap(err, "restoring the configuration failed too: %s",
			    rerr.msg);
		ok = 0;
	}
	if (previous != NULL &&
	    cf_store_pem_write(cf_install_pem_dir(s), previous, &rerr) != CF_OK) {
		cf_err_wrap(err, "putting the previous certificate back failed "
			    "too: %s", rerr.msg);
		ok = 0;
	}
	if (reload && cf_server_reload(&ctl, NULL, &rerr) != CF_OK) {
		cf_err_wrap(err, "reloading after the rollback failed: %s",
			    rerr.msg);
		ok = 0;
	}
	if (ok)
		cf_err_wrap(err, "rolled back: %s%s; the server serves what it "
			    "served before", plan->nedited ? "configuration "
			    "restored, " : "", previous ? "previous certificate "
			    "put back in the PEM folder" : "no previous "
			    "certificate in the PEM folder to put back");
}

static cf_rc
backup_dir(const struct cf_state *st, const struct cf_cert_spec *s, char **out,
	   struct cf_err *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	*out = NULL;
	if (st == NULL)
		return CF_OK;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((*out = cf_strfmt("%s/backups/%s-%s-%s", st->root, s->name,
			      cf_server_kind_name(s->server.kind), stamp)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_install_server(const struct cf_state *state, const struct cf_cert_spec *s,
		  const char *const *names, size_t n, const char *leaf_pem,
		  const struct cf_cert_bundle *previous,
		  struct cf_server_result *res, struct cf_err *err)
{
	struct cf_srv_config *cfg = NULL;
	struct cf_srv_plan *plan = NULL;
	struct cf_server_ctl ctl;
	const struct cf_server_check *bad;
	size_t nbad = 0;
	char *lock = NULL;
	int lockfd = -1;
	cf_rc rc;

	memset(res, 0, sizeof(*res));
	res->kind = (enum cf_server_kind)s->server.kind;
	ctl_of(s, &ctl);
	/* One sequence at a time per server: concurrent renewals (renew
	 * --jobs) must not edit the same file, or reload in the middle of
	 * another's check and rollback. */
	if (state != NULL &&
	    ((rc = cf_state_iis_lock_path(state, ctl.conf ? ctl.conf :
					  cf_server_kind_name(ctl.kind), &lock,
					  err)) != CF_OK ||
	     (rc = cf_file_lock(lock, SERVER_LOCK_WAIT_S, &lockfd, err)) != CF_OK))
		goto out;
	if ((rc = load_plan(s, names, n, s->server.configure, &cfg, &plan, res,
			    err)) != CF_OK)
		goto out;
	if (plan->nedited > 0) {
		if ((rc = backup_dir(state, s, &res->backup_dir, err)) != CF_OK ||
		    (state != NULL &&
		     (rc = cf_state_mkdir(state, res->backup_dir, err)) != CF_OK) ||
		    (rc = cf_server_apply(cfg, plan, res->backup_dir, err)) != CF_OK)
			goto out;
		res->blocks_edited_files = plan->nedited;
	}
	if ((rc = cf_server_test(&ctl, err)) != CF_OK) {
		roll_back(s, cfg, plan, previous, 0, res, err);
		goto out;
	}
	if ((rc = cf_server_reload(&ctl, &res->reload_how, err)) != CF_OK) {
		roll_back(s, cfg, plan, previous, 1, res, err);
		goto out;
	}
	if ((rc = check_targets(plan, leaf_pem, CHECK_TRIES, res, &nbad, err)) !=
	    CF_OK)
		goto out;
	if ((bad = first_bad(res)) != NULL) {
		rc = cf_err_set(err, CF_ERR_IO, "%s does not serve the new "
				"certificate: %s on %s port %u %s%s",
				cf_server_kind_name(ctl.kind), bad->name, bad->addr,
				bad->port, bad->v.detail, nbad > 1 ? " (and more)" :
				"");
		roll_back(s, cfg, plan, previous, 1, res, err);
		goto out;
	}
	if (res->problems != NULL)
		rc = cf_err_set(err, CF_ERR_USAGE, "%s serves the new certificate "
				"where it is configured, but: %s",
				cf_server_kind_name(ctl.kind), res->problems);
out:
	cf_file_unlock(lockfd);
	free(lock);
	cf_srv_plan_free(plan);
	cf_srv_config_free(cfg);
	return rc;
}

cf_rc
cf_install_server_check(const struct cf_cert_spec *s, const char *const *names,
			size_t n, const char *leaf_pem,
			struct cf_server_result *res, struct cf_err *err)
{
	struct cf_srv_config *cfg = NULL;
	struct cf_srv_plan *plan = NULL;
	size_t nbad;
	cf_rc rc;

	memset(res, 0, sizeof(*res));
	res->kind = (enum cf_server_kind)s->server.kind;
	if ((rc = load_plan(s, names, n, 0, &cfg, &plan, res, err)) == CF_OK)
		rc = check_targets(plan, leaf_pem, 1, res, &nbad, err);
	cf_srv_plan_free(plan);
	cf_srv_config_free(cfg);
	return rc;
}

cf_rc
cf_install_server_plan_check(const struct cf_cert_spec *s,
			     const char *const *names, size_t n,
			     struct cf_server_result *res, struct cf_err *err)
{
	struct cf_srv_config *cfg = NULL;
	struct cf_srv_plan *plan = NULL;
	cf_rc rc;

	memset(res, 0, sizeof(*res));
	res->kind = (enum cf_server_kind)s->server.kind;
	rc = load_plan(s, names, n, s->server.configure, &cfg, &plan, res, err);
	for (size_t i = 0; rc == CF_OK && i < cfg->nfiles; i++) {
		char *dir, *slash;
		if (plan->new_texts[i] == NULL)
			continue;
		if ((dir = strdup(cfg->files[i])) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			break;
		}
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
			*slash = '\0';
		rc = cf_dir_probe_write(dir, "folder of a configuration file "
					"--configure edits", err);
		free(dir);
	}
	cf_srv_plan_free(plan);
	cf_srv_config_free(cfg);
	return rc;
}

/* ---- deploy hooks ---- */

/* What the hooks are told about the leaf. */
struct leaf_facts {
	char serial[80], not_after[32], thumbprint[64], cn[256];
};

static cf_rc
leaf_facts(const char *pem, struct leaf_facts *f, struct cf_err *err)
{
	struct cf_cert_info ci;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *bio;
	X509 *x;
	cf_rc rc;

	memset(f, 0, sizeof(*f));
	if ((rc = cf_cert_info_from_pem(pem, strlen(pem), &ci, err)) != CF_OK)
		return rc;
	snprintf(f->serial, sizeof(f->serial), "%s", ci.serial_hex);
	cf_rfc3339_format(ci.not_after, f->not_after);
	snprintf(f->cn, sizeof(f->cn), "%s", ci.subject_cn ? ci.subject_cn :
		 ci.nnames ? ci.names[0] : "");
	cf_cert_info_free(&ci);
	if ((bio = BIO_new_mem_buf(pem, -1)) != NULL &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_digest(x, EVP_sha1(), md, &mdlen) == 1)
			for (unsigned i = 0; i < mdlen && i < 20; i++)
				snprintf(f->thumbprint + 2 * i, 3, "%02X", md[i]);
		X509_free(x);
	}
	BIO_free(bio);
	return CF_OK;
}

static char *
joined(const char *const *v, size_t n, const char *sep)
{
	struct cf_buf b;
	char *s;

	cf_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && cf_buf_appends(&b, sep) != CF_OK) ||
		    cf_buf_appends(&b, v[i]) != CF_OK) {
			cf_buf_free(&b);
			return NULL;
		}
	s = cf_buf_steal(&b);
	cf_buf_free(&b);
	return s;
}

cf_rc
cf_hook_env(const struct cf_hook_vars *v, char ***env, size_t *n,
	    struct cf_err *err)
{
	struct leaf_facts f;
	const char *files = v->pem_dir ? v->pem_dir : v->lineage;
	char *domains = NULL, **e;
	size_t k = 0;
	cf_rc rc;

	*env = NULL;
	*n = 0;
	if ((rc = leaf_facts(v->leaf_pem, &f, err)) != CF_OK)
		return rc;
	if ((domains = joined(v->names, v->nnames, " ")) == NULL ||
	    (e = calloc(24, sizeof(char *))) == NULL) {
		free(domains);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
#define PUT(...) do { if ((e[k++] = cf_strfmt(__VA_ARGS__)) == NULL) \
		goto nomem; } while (0)
	PUT("RENEWED_LINEAGE=%s", v->lineage);
	PUT("RENEWED_DOMAINS=%s", domains);
	PUT("CERTFERRY_NAME=%s", v->name);
	PUT("CERTFERRY_DOMAINS=%s", domains);
	PUT("CERTFERRY_KEY_FILE=%s/privkey.pem", files);
	PUT("CERTFERRY_CERT_FILE=%s/cert.pem", files);
	PUT("CERTFERRY_CHAIN_FILE=%s/chain.pem", files);
	PUT("CERTFERRY_FULLCHAIN_FILE=%s/fullchain.pem", files);
	PUT("CERTFERRY_SERIAL=%s", f.serial);
	PUT("CERTFERRY_NOT_AFTER=%s", f.not_after);
	PUT("CERTFERRY_THUMBPRINT=%s", f.thumbprint);
	if (v->pem_dir)
		PUT("CERTFERRY_PEM_DIR=%s", v->pem_dir);
	if (v->pfx_file)
		PUT("CERTFERRY_PFX_FILE=%s", v->pfx_file);
	if (v->pfx_password_file)
		PUT("CERTFERRY_PFX_PASSWORD_FILE=%s", v->pfx_password_file);
	if (v->ccs_dir)
		PUT("CERTFERRY_CCS_DIR=%s", v->ccs_dir);
#undef PUT
	free(domains);
	*env = e;
	*n = k;
	return CF_OK;
nomem:
	free(domains);
	cf_strv_free(e);
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

/* The value of placeholder [p, p+len) (without braces), or NULL. */
static const char *
placeholder(const char *p, size_t len, const struct cf_hook_vars *v,
	    const struct leaf_facts *f, const char *cache)
{
	static const struct { const char *name; int what; } ph[] = {
		{ "CertCommonName", 0 }, { "CertFriendlyName", 1 },
		{ "CertThumbprint", 2 }, { "StorePath", 3 }, { "CacheFile", 4 },
		{ "RenewalId", 5 }, { "CertSerial", 6 }, { "PfxPasswordFile", 7 },
	};
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (strlen(ph[i].name) != len || strncmp(ph[i].name, p, len) != 0)
			continue;
		switch (ph[i].what) {
		case 0: return f->cn;
		case 1: return v->name;
		case 2: return f->thumbprint;
		case 3: return v->pfx_file ? v->pfx_file : v->ccs_dir ? v->ccs_dir :
			       v->pem_dir ? v->pem_dir : v->lineage;
		case 4: return cache;
		case 5: return v->name;
		case 6: return f->serial;
		case 7: return v->pfx_password_file ? v->pfx_password_file : "";
		}
	}
	return NULL;
}

/* One word of a deploy hook command from *pp on into w: quotes removed,
 * backslash escapes, {placeholders} replaced (hook_vars); *pp moves past
 * it.  *inword is 0 when only white space was left.  CF_ERR_NOMEM, or
 * CF_ERR_USAGE (no message) for an unbalanced quote. */
static cf_rc
hook_word(const char **pp, const struct cf_hook_vars *v,
	  const struct leaf_facts *f, const char *cache, struct cf_buf *w,
	  int *inword)
{
	const char *p = *pp, *close, *val;
	char q = 0;

	*inword = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p != '\0' && (q || (*p != ' ' && *p != '\t')); p++) {
		*inword = 1;
		if (q == 0 && (*p == '"' || *p == '\'')) {
			q = *p;
			continue;
		}
		if (q != 0 && *p == q) {
			q = 0;
			continue;
		}
		if (*p == '\\' && q != '\'' && p[1] != '\0') {
			p++;
		} else if (*p == '{' && q != '\'' &&
			   (close = strchr(p, '}')) != NULL &&
			   (val = placeholder(p + 1, (size_t)(close - p - 1), v,
					      f, cache)) != NULL) {
			if (cf_buf_appends(w, val) != CF_OK)
				return CF_ERR_NOMEM;
			p = close;
			continue;
		}
		if (cf_buf_append(w, p, 1) != CF_OK)
			return CF_ERR_NOMEM;
	}
	*pp = p;
	return q != 0 ? CF_ERR_USAGE : CF_OK;
}

cf_rc
cf_hook_argv(const char *cmd, const struct cf_hook_vars *v, char ***argv,
	     struct cf_err *err)
{
	struct leaf_facts f;
	char **out = NULL, **no, *cache = NULL;
	size_t k = 0;
	struct cf_buf w;
	const char *p = cmd;
	int inword;
	cf_rc rc;

	*argv = NULL;
	cf_buf_init(&w, 64 * 1024);
	if ((rc = leaf_facts(v->leaf_pem, &f, err)) != CF_OK)
		return rc;
	if ((cache = v->pfx_file ? strdup(v->pfx_file) :
		     cf_strfmt("%s/fullchain.pem", v->lineage)) == NULL)
		goto nomem;
	for (;;) {
		cf_buf_free(&w);
		cf_buf_init(&w, 64 * 1024);
		if ((rc = hook_word(&p, v, &f, cache, &w, &inword)) ==
		    CF_ERR_NOMEM)
			goto nomem;
		if (rc != CF_OK) {
			rc = cf_err_set(err, CF_ERR_USAGE, "--deploy-hook '%s': "
					"unbalanced quote", cmd);
			goto fail;
		}
		if (!inword)
			break;
		if ((no = realloc(out, (k + 2) * sizeof(*out))) == NULL)
			goto nomem;
		out = no;
		out[k + 1] = NULL;
		if ((out[k] = w.data ? cf_buf_steal(&w) : strdup("")) == NULL)
			goto nomem;
		k++;
	}
	if (k == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE, "--deploy-hook: empty command");
		goto fail;
	}
	cf_buf_free(&w);
	free(cache);
	*argv = out;
	return CF_OK;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
fail:
	cf_buf_free(&w);
	free(cache);
	if (out != NULL) {
		out[k] = NULL;
		cf_strv_free(out);
	}
	return rc;
}

cf_rc
cf_install_hooks(const struct cf_cert_spec *s, const struct cf_hook_vars *v,
		 size_t *ran, size_t *failed, char *first_error, size_t errlen,
		 struct cf_err *err)
{
	char **env = NULL;
	size_t nenv = 0;
	cf_rc rc;

	*ran = *failed = 0;
	if (first_error != NULL && errlen > 0)
		first_error[0] = '\0';
	if (s->hooks.ndeploy == 0)
		return CF_OK;
	if ((rc = cf_hook_env(v, &env, &nenv, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < s->hooks.ndeploy; i++) {
		struct cf_child_opts o = {
			.env = (const char *const *)env, .nenv = nenv,
			.timeout_s = (unsigned)(s->hooks.timeout_s > 0 ?
						s->hooks.timeout_s : HOOK_TIMEOUT_S) };
		struct cf_err herr = { 0 };
		char **argv = NULL;

		if (cf_hook_argv(s->hooks.deploy[i], v, &argv, &herr) == CF_OK) {
			cf_info("deploy hook: %s", s->hooks.deploy[i]);
			(*ran)++;
			if (cf_child_run_opts((const char *const *)argv, &o, &herr) ==
			    CF_OK) {
				cf_strv_free(argv);
				continue;
			}
		}
		cf_strv_free(argv);
		(*failed)++;
		cf_warn("deploy hook '%s' failed: %s", s->hooks.deploy[i],
			herr.msg);
		if (first_error != NULL && first_error[0] == '\0')
			snprintf(first_error, errlen, "deploy hook '%s': %s",
				 s->hooks.deploy[i], herr.msg);
	}
	cf_strv_free(env);
	return CF_OK;
}
