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

#include "core/buf.h"
#include "engine/install.h"
#include "iis/appconfig.h"
#include "store/paths.h"
#include "validate/dns01.h"

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
	    (rc = check_server(s, err)) != CF_OK ||
	    (rc = check_validation(&s->validation, o, err)) != CF_OK)
		return rc;
	if (s->ca_bundle != NULL &&
	    access(s->ca_bundle, R_OK) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "CA bundle %s: %s: give a readable PEM file to "
				  "--ca-bundle", s->ca_bundle, strerror(errno));
	return CF_OK;
}
