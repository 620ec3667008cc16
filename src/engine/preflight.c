/* preflight.c - see preflight.h */
#include "engine/preflight.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "acme/acme.h"
#include "core/buf.h"
#include "crypto/key.h"
#include "engine/deliver.h"
#include "engine/install.h"
#include "iis/appconfig.h"
#include "iis/pathmap.h"
#include "store/atomic.h"
#include "store/paths.h"
#include "validate/dns01.h"
#include "validate/tsig.h"

/* The deepest existing folder on the way to path takes a write. */
static cf_rc
probe_ancestor(const char *path, const char *what, struct cf_err *err)
{
	char *dir = NULL;
	cf_rc rc;

	if ((rc = cf_path_existing_ancestor(path, &dir, err)) != CF_OK)
		return rc;
	rc = cf_dir_probe_write(dir, what, err);
	free(dir);
	return rc;
}

/* The folder holding file takes a write (it must exist). */
static cf_rc
probe_parent(const char *file, const char *what, struct cf_err *err)
{
	const char *slash = strrchr(file, '/');
	char *dir;
	cf_rc rc;

	dir = slash == NULL ? strdup(".") :
	      slash == file ? strdup("/") :
			      strndup(file, (size_t)(slash - file));
	if (dir == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = cf_dir_probe_write(dir, what, err);
	free(dir);
	return rc;
}

static cf_rc
check_secret(const char *path, const char *what, struct cf_err *err)
{
	char *secret = NULL;
	cf_rc rc;

	if ((rc = cf_secret_file_read(path, &secret, NULL, err)) != CF_OK)
		return cf_err_wrap(err, "%s", what);
	OPENSSL_clear_free(secret, strlen(secret));
	return CF_OK;
}

static cf_rc
check_store(const struct cf_store_spec *st, const struct cf_preflight_opts *o,
	    struct cf_err *err)
{
	struct stat sb;
	cf_rc rc;

	switch (st->kind) {
	case CF_STORE_PEM:
		if (stat(st->path, &sb) == 0 && !S_ISDIR(sb.st_mode))
			return cf_err_set(err, CF_ERR_USAGE,
					  "PEM folder %s exists and is not a folder: "
					  "give a folder for --pem-dir", st->path);
		return probe_ancestor(st->path, "PEM folder", err);
	case CF_STORE_PFX:
		if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode))
			return cf_err_set(err, CF_ERR_USAGE,
					  "PFX file %s exists and is not a file",
					  st->path);
		if ((rc = probe_parent(st->path, "folder of the PFX file",
				       err)) != CF_OK)
			return rc;
		break;
	case CF_STORE_CCS:
		if (stat(st->path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return cf_err_set(err, CF_ERR_USAGE,
					  "CCS folder %s does not exist or is not a "
					  "folder: mount the Windows share first",
					  st->path);
		if ((rc = cf_dir_probe_write(st->path, "CCS folder", err)) !=
		    CF_OK)
			return rc;
		break;
	default:
		return cf_err_set(err, CF_ERR_INTERNAL, "unknown store");
	}
	if (st->password_file != NULL &&
	    (o->pending_secret == NULL ||
	     strcmp(o->pending_secret, st->password_file) != 0))
		return check_secret(st->password_file, "PFX password file", err);
	return CF_OK;
}

/* Can this process bind addr:port (TCP) right now? */
static cf_rc
check_port(const char *addr, int port, const char *what, struct cf_err *err)
{
	struct addrinfo hints, *res = NULL;
	char svc[16];
	int fd = -1, one = 1, r, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = addr ? AF_UNSPEC : AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(svc, sizeof(svc), "%d", port);
	if ((r = getaddrinfo(addr, svc, &hints, &res)) != 0 && addr == NULL) {
		hints.ai_family = AF_INET;
		r = getaddrinfo(addr, svc, &hints, &res);
	}
	if (r != 0)
		return cf_err_set(err, CF_ERR_USAGE, "%s address %s: %s", what,
				  addr ? addr : "*", gai_strerror(r));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
			e = errno;
		close(fd);
	} else {
		e = errno;
	}
	freeaddrinfo(res);
	if (e != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s port %s:%d cannot be bound (%s): %s", what,
				  addr ? addr : "*", port, strerror(e),
				  e == EACCES ? "run as root or choose a port "
						"above 1023" :
						"stop what listens there or "
						"choose another method");
	return CF_OK;
}

/* The program a --dns-script command runs: its first word. */
static cf_rc
check_script(const char *cmd, const char *what, struct cf_err *err)
{
	size_t n = strcspn(cmd, " \t");
	char *prog;
	struct stat sb;
	cf_rc rc = CF_OK;

	if (cmd[0] != '/')
		return CF_OK; /* a shell command line or a PATH name */
	if ((prog = strndup(cmd, n)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (stat(prog, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    access(prog, X_OK) != 0)
		rc = cf_err_set(err, CF_ERR_USAGE,
				"%s %s is missing or not executable: "
				"chmod +x it or fix the option", what, prog);
	free(prog);
	return rc;
}

static cf_rc
check_validation(const struct cf_validation_spec *v,
		 const struct cf_preflight_opts *o, struct cf_err *err)
{
	struct cf_tsig_key key;
	struct stat sb;
	char *dir;
	cf_rc rc;

	switch (v->method) {
	case CF_VAL_HTTP01:
		if (v->iis_webroot)
			return CF_OK; /* check_iis_webroot */
		if (v->webroot == NULL)
			return o->check_ports ?
				       check_port(v->http_address,
						  v->http_port ? v->http_port : 80,
						  "http-01 responder", err) :
				       CF_OK;
		if (stat(v->webroot, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return cf_err_set(err, CF_ERR_USAGE,
					  "webroot %s is not a folder: give the "
					  "folder the web server serves for this "
					  "site", v->webroot);
		if ((dir = cf_strfmt("%s/.well-known/acme-challenge",
				     v->webroot)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		rc = probe_ancestor(dir, "webroot", err);
		free(dir);
		return rc;
	case CF_VAL_TLSALPN01:
		return o->check_ports ?
			       check_port(v->tls_address,
					  v->tls_port ? v->tls_port : 443,
					  "tls-alpn-01 responder", err) :
			       CF_OK;
	case CF_VAL_DNS01:
		if (v->dns_provider == CF_DNS_SCRIPT && v->dns_script != NULL)
			return check_script(v->dns_script, "DNS hook (--dns-script)",
					    err);
		if (v->tsig_key_file != NULL) {
			memset(&key, 0, sizeof(key));
			if ((rc = cf_tsig_key_load(v->tsig_key_file, &key, err)) !=
			    CF_OK) {
				if (rc == CF_ERR_IO || rc == CF_ERR_NOTFOUND)
					err->rc = rc = CF_ERR_USAGE;
				return cf_err_wrap(err, "TSIG key file");
			}
			cf_tsig_key_free(&key);
		}
		return CF_OK;
	default:
		return CF_OK;
	}
}

/*
 * --iis-webroot: for every name, the mapped physicalPath of the site
 * serving it exists and its challenge folder takes a write.
 */
static cf_rc
check_iis_webroot(const struct cf_cert_spec *s, struct cf_err *err)
{
	const struct cf_validation_spec *v = &s->validation;
	struct cf_iis_config *cfg = NULL;
	char **names = NULL, *root = NULL, *dir = NULL;
	size_t n = 0;
	struct stat sb;
	cf_rc rc;

	if (v->method != CF_VAL_HTTP01 || !v->iis_webroot)
		return CF_OK;
	if ((rc = cf_spec_resolve_names(s, &names, &n, err)) != CF_OK ||
	    (rc = cf_iis_config_load(s->iis.config, NULL, 0, &cfg, err)) != CF_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = cf_iis_webroot_for_host(cfg,
						  (const char *const *)v->iis_path_maps,
						  v->niis_path_maps, names[i], &root,
						  err)) != CF_OK)
			goto out;
		if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			rc = cf_err_set(err, CF_ERR_USAGE,
					"%s: the IIS site folder %s (from "
					"--iis-path-map) is not a folder: mount the "
					"site's share there or fix the map", names[i],
					root);
			goto out;
		}
		if ((dir = cf_strfmt("%s/.well-known/acme-challenge", root)) ==
		    NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = probe_ancestor(dir, "IIS site folder", err)) != CF_OK)
			goto out;
		free(root);
		free(dir);
		root = dir = NULL;
	}
out:
	if (rc == CF_ERR_IO || rc == CF_ERR_NOTFOUND)
		err->rc = rc = CF_ERR_USAGE;
	free(root);
	free(dir);
	cf_iis_config_free(cfg);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static cf_rc
check_iis(const struct cf_iis_spec *iis, struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	struct stat sb;
	cf_rc rc;

	if (iis->config == NULL)
		return CF_OK;
	if (stat(iis->config, &sb) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-config %s: %s: give the path of the "
				  "server's applicationHost.config", iis->config,
				  strerror(errno));
	if ((rc = cf_iis_config_load(iis->config, NULL, 0, &cfg, err)) != CF_OK) {
		if (rc == CF_ERR_IO || rc == CF_ERR_NOTFOUND)
			err->rc = rc = CF_ERR_USAGE;
		return rc;
	}
	cf_iis_config_free(cfg);
	if (iis->install)
		return probe_parent(iis->config,
				    "folder of applicationHost.config", err);
	return CF_OK;
}

/* --install iis without --iis-migrate: a name whose https binding takes
 * its certificate from HTTP.sys would keep the old certificate. */
static cf_rc
check_iis_httpsys(const struct cf_cert_spec *s, struct cf_err *err)
{
	struct cf_iis_plan *p = NULL;
	char **names = NULL, list[512] = "";
	size_t n = 0, l = 0;
	cf_rc rc;

	if (!s->iis.install || s->iis.migrate)
		return CF_OK;
	if ((rc = cf_spec_resolve_names(s, &names, &n, err)) != CF_OK ||
	    (rc = cf_spec_iis_plan(s, (const char *const *)names, n, &p,
				   err)) != CF_OK)
		goto out;
	for (size_t i = 0; i < p->n && l < sizeof(list) - 80; i++)
		if (p->items[i].action == CF_IIS_PLAN_HTTPSYS)
			l += (size_t)snprintf(list + l, sizeof(list) - l,
					      "%s%s (site '%s', binding %s sslFlags "
					      "%lu)", l ? ", " : "",
					      p->items[i].host, p->items[i].site_name,
					      p->items[i].binding_information,
					      p->items[i].ssl_flags);
	if (p->nhttpsys > 0)
		rc = cf_err_set(err, CF_ERR_USAGE,
				"IIS would not serve the new certificate for %s: "
				"these https bindings take their certificate from "
				"HTTP.sys, not from the Centralized Certificate "
				"Store; add --iis-migrate to turn them into CCS "
				"bindings (certferry then writes the netsh script "
				"that finishes the move on Windows; see "
				"docs/IIS.md, 'Moving from win-acme')", list);
out:
	cf_iis_plan_free(p);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

cf_rc
cf_byo_key_load(const char *path, EVP_PKEY **key, struct cf_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	cf_rc rc;

	*key = NULL;
	if ((rc = cf_file_read_input(path, 64 * 1024, &pem, &len, err)) !=
	    CF_OK)
		return cf_err_wrap(err, "--key");
	rc = cf_key_from_pem(pem, len, key, err);
	OPENSSL_clear_free(pem, len);
	if (rc != CF_OK) {
		err->rc = rc = CF_ERR_USAGE;
		return cf_err_wrap(err, "--key %s: give a PEM private key", path);
	}
	return CF_OK;
}

cf_rc
cf_byo_load(const struct cf_cert_spec *s, const char *const *names, size_t n,
	    EVP_PKEY **key, struct cf_csr_info *csr, struct cf_err *err)
{
	const char *path = s->csr_file;
	char *data = NULL;
	size_t len = 0;
	cf_rc rc;

	*key = NULL;
	memset(csr, 0, sizeof(*csr));
	if ((rc = cf_file_read_input(path, 64 * 1024, &data, &len, err)) !=
	    CF_OK)
		return cf_err_wrap(err, "--csr");
	rc = cf_csr_parse(data, len, csr, err);
	free(data);
	if (rc != CF_OK)
		return cf_err_wrap(err, "--csr %s", path);
	if (n > 0 &&
	    cf_acme_names_same_set("the CSR", (const char *const *)csr->names,
				   csr->nnames, names, n, err) != CF_OK) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"--csr %s no longer names what the certificate "
				"names (%s): run 'certferry issue --csr %s' again",
				path, err->msg, path);
		goto out;
	}
	if (s->key_file == NULL)
		return CF_OK;
	if ((rc = cf_byo_key_load(s->key_file, key, err)) != CF_OK)
		goto out;
	if (EVP_PKEY_eq(*key, csr->pub) != 1)
		rc = cf_err_set(err, CF_ERR_USAGE,
				"--key %s is not the key of --csr %s: give the "
				"private key the CSR was made with",
				s->key_file, path);
out:
	if (rc != CF_OK) {
		EVP_PKEY_free(*key);
		*key = NULL;
		cf_csr_info_free(csr);
	}
	return rc;
}

/* --csr / --key: readable, well-formed, each other's, naming s->names. */
static cf_rc
check_byo(const struct cf_cert_spec *s, struct cf_err *err)
{
	struct cf_csr_info csr;
	EVP_PKEY *key = NULL;
	cf_rc rc;

	if (s->csr_file == NULL) {
		if (s->key_file == NULL)
			return CF_OK;
		rc = cf_byo_key_load(s->key_file, &key, err);
		EVP_PKEY_free(key);
		return rc;
	}
	rc = cf_byo_load(s, (const char *const *)s->names, s->nnames, &key,
			 &csr, err);
	if (rc == CF_OK) {
		EVP_PKEY_free(key);
		cf_csr_info_free(&csr);
	}
	return rc;
}

/* The server answers with its configuration (which proves its binary runs
 * and its files are readable), a TLS block serves every -d name, with
 * certferry's files or, with --configure, editable in a folder that takes
 * a write; and every deploy hook is there. */
static cf_rc
check_server(const struct cf_cert_spec *s, struct cf_err *err)
{
	struct cf_server_result res;
	cf_rc rc = CF_OK;

	for (size_t i = 0; i < s->hooks.ndeploy && rc == CF_OK; i++)
		rc = check_script(s->hooks.deploy[i], "deploy hook (--deploy-hook)",
				  err);
	if (rc != CF_OK || s->server.kind == CF_SERVER_NONE)
		return rc;
	if (s->server.conf != NULL && access(s->server.conf, R_OK) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--server-config %s: %s: give "
				  "the server's main configuration file",
				  s->server.conf, strerror(errno));
	if (s->server.bin != NULL && strchr(s->server.bin, '/') != NULL &&
	    access(s->server.bin, X_OK) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "--server-bin %s: %s",
				  s->server.bin, strerror(errno));
	rc = cf_install_server_plan_check(s, (const char *const *)s->names,
					  s->nnames, &res, err);
	if (rc != CF_OK) {
		err->rc = rc = CF_ERR_USAGE;
		cf_err_wrap(err, "--install %s (is %s installed, and its "
			    "configuration valid?)",
			    cf_server_kind_name(s->server.kind),
			    s->server.bin ? s->server.bin :
			    s->server.kind == CF_SERVER_NGINX ? "nginx" : "apache2ctl");
	} else if (res.problems != NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE, "--install %s: %s",
				cf_server_kind_name(s->server.kind), res.problems);
	}
	cf_server_result_free(&res);
	return rc;
}

cf_rc
cf_preflight(const struct cf_cert_spec *s, const struct cf_preflight_opts *o,
	     struct cf_err *err)
{
	static const struct cf_preflight_opts none = { 0 };
	cf_rc rc;

	if (o == NULL)
		o = &none;
	for (size_t i = 0; i < s->nstores; i++)
		if ((rc = check_store(&s->stores[i], o, err)) != CF_OK)
			return rc;
	if ((rc = check_iis(&s->iis, err)) != CF_OK ||
	    (rc = check_iis_httpsys(s, err)) != CF_OK ||
	    (rc = check_server(s, err)) != CF_OK ||
	    (rc = check_validation(&s->validation, o, err)) != CF_OK ||
	    (rc = check_iis_webroot(s, err)) != CF_OK ||
	    (rc = check_byo(s, err)) != CF_OK)
		return rc;
	if (s->ca_bundle != NULL &&
	    access(s->ca_bundle, R_OK) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "CA bundle %s: %s: give a readable PEM file to "
				  "--ca-bundle", s->ca_bundle, strerror(errno));
	return CF_OK;
}
