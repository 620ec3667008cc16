/*
 * install.h - after the stores: the running web server and the deploy
 * hooks.
 *
 * Owns: the order of the steps that make nginx or Apache serve a new
 * certificate and prove it (read the effective configuration, edit with a
 * backup when --configure, config test, reload, TLS handshake with SNI to
 * every name on its block's port), the rollback of configuration and
 * certificate when a step fails, and running the --deploy-hook commands
 * with the certificate's data (environment variables and win-acme
 * placeholders; no secret, the PFX password only as a file path).
 * engine/deliver.c calls these; install/server.h and install/verify.h do
 * the work.
 */
#ifndef CF_ENGINE_INSTALL_H
#define CF_ENGINE_INSTALL_H

#include <stddef.h>

#include "engine/spec.h"
#include "install/server.h"
#include "install/store.h"
#include "install/verify.h"
#include "store/state.h"

/* One handshake: name on addr:port. */
struct cf_server_check {
	char *name, *addr;
	unsigned port;
	struct cf_tls_verdict v;
};

struct cf_server_result {
	enum cf_server_kind kind;
	size_t blocks_edited_files;  /* configuration files edited */
	char *backup_dir;            /* where their originals went, or NULL */
	const char *reload_how;      /* static: how the server was reloaded */
	char *problems;              /* names no TLS block serves, blocks not
					edited (NULL: none) */
	struct cf_server_check *checks;
	size_t nchecks;
	int rolled_back;             /* configuration and certificate put back */
};
void cf_server_result_free(struct cf_server_result *r);

/* The PEM folder the server is pointed at: the spec's first pem store. */
const char *cf_install_pem_dir(const struct cf_cert_spec *s);

/*
 * Make the server of s->server serve leaf_pem (already written to the PEM
 * folder): plan (and with configure, apply) the edit, test, reload, check
 * by handshake.  previous (NULL: none) is what the PEM folder held before:
 * written back when the test, the reload or the check fails, with the
 * configuration files restored and the server reloaded again.  CF_OK only
 * when every name was proven served; otherwise an error saying what
 * happened and what is served now (*res says it per name).
 * state (NULL: tests) gives the backup folder STATE/backups/ and the lock
 * (STATE/locks/, keyed by the server's configuration file) held around
 * the whole sequence, so that concurrent renewals take turns.
 */
cf_rc cf_install_server(const struct cf_state *state,
			const struct cf_cert_spec *s, const char *const *names,
			size_t n, const char *leaf_pem,
			const struct cf_cert_bundle *previous,
			struct cf_server_result *res,
			struct cf_err *err) CF_MUST_CHECK;

/* Without touching anything: handshake check of every name the server's
 * TLS blocks serve (CF_OK with *res filled; res->problems for the rest). */
cf_rc cf_install_server_check(const struct cf_cert_spec *s,
			      const char *const *names, size_t n,
			      const char *leaf_pem, struct cf_server_result *res,
			      struct cf_err *err) CF_MUST_CHECK;

/* Preflight: read the configuration and plan (with s->server.configure),
 * edit nothing; res->problems lists what would not be served.  Every file
 * the edit would change must be in a folder that takes a write. */
cf_rc cf_install_server_plan_check(const struct cf_cert_spec *s,
				   const char *const *names, size_t n,
				   struct cf_server_result *res,
				   struct cf_err *err) CF_MUST_CHECK;

/* What a deploy hook is told (all borrowed). */
struct cf_hook_vars {
	const char *name;            /* certificate name (--name) */
	const char *const *names;
	size_t nnames;
	const char *lineage;         /* STATE/certs/NAME: privkey.pem ... */
	const char *pem_dir;         /* NULL: none */
	const char *pfx_file;        /* NULL: none */
	const char *pfx_password_file; /* NULL: none */
	const char *ccs_dir;         /* NULL: none */
	const char *leaf_pem;
};

/* The child's variables ("NAME=value", malloc'd, *n of them) and a
 * command's words with placeholders replaced (pure; for tests too). */
cf_rc cf_hook_env(const struct cf_hook_vars *v, char ***env, size_t *n,
		  struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_hook_argv(const char *cmd, const struct cf_hook_vars *v,
		   char ***argv, struct cf_err *err) CF_MUST_CHECK;
void cf_strv_free(char **v);

/* Run every deploy hook of s in order (each bounded by its timeout).  A
 * failing hook does not stop the next one; *failed counts them and
 * first_error (may be NULL) gets the first failure. */
cf_rc cf_install_hooks(const struct cf_cert_spec *s,
		       const struct cf_hook_vars *v, size_t *ran,
		       size_t *failed, char *first_error, size_t errlen,
		       struct cf_err *err) CF_MUST_CHECK;

#endif
