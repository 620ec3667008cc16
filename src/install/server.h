/*
 * server.h - nginx and Apache as certificate installers.
 *
 * Owns: asking the web server for its effective configuration (the files
 * `nginx -T` names; the files `apache2ctl -t -D DUMP_INCLUDES` lists),
 * finding the server blocks / virtual hosts that serve a certificate's
 * names on TLS, planning the edit that makes them use certferry's PEM
 * files (ssl_certificate/ssl_certificate_key, SSLCertificateFile/
 * SSLCertificateKeyFile), applying it byte-preserving everything else
 * with a backup, the server's config test, its reload (systemd when the
 * unit is active and the system's configuration is used, else its own
 * signal) and putting the files back.
 *
 * Each dialect (nginx.c, apache.c) is a parser filling struct
 * cf_srv_block from one file's text; server.c runs the commands and holds
 * what they share (names, plan, edit, test, reload).  The TLS handshake
 * that proves what is served is install/verify.h; the order of the steps
 * and the rollback of the certificate are engine/deliver.c's.  Nothing
 * here prints.
 */
#ifndef CF_INSTALL_SERVER_H
#define CF_INSTALL_SERVER_H

#include <stddef.h>

#include "core/err.h"

enum cf_server_kind { CF_SERVER_NONE = 0, CF_SERVER_NGINX, CF_SERVER_APACHE };

const char *cf_server_kind_name(enum cf_server_kind k);

/* How to run the server's commands. */
struct cf_server_ctl {
	enum cf_server_kind kind;
	const char *bin;     /* NULL: "nginx" / "apache2ctl" from PATH */
	const char *conf;    /* main configuration file (nginx -c, apache -f);
				NULL: the server's compiled-in default, and
				then systemd reloads the unit when active */
};

/* A directive in a block: [start, end) are byte offsets in the file's
 * text covering the whole directive (nginx: up to and with ';'; Apache:
 * the line without its newline). */
struct cf_srv_dir {
	size_t start, end;
	char *value;         /* its argument, unquoted */
};

/* One nginx server block or Apache <VirtualHost>. */
struct cf_srv_block {
	size_t file;         /* index into cf_srv_config.files */
	size_t line;         /* line of its opening, 1-based */
	size_t body;         /* offset where new directives go (the start of
				the line after the opening) */
	char indent[32];     /* the indentation of its first directive */
	int tls;             /* listen ... ssl / SSLEngine on */
	char *addr;          /* where to connect (127.0.0.1 for wildcards) */
	unsigned port;       /* its TLS port (first one) */
	char **names;        /* server_name / ServerName + ServerAlias */
	size_t nnames;
	struct cf_srv_dir cert, key;  /* the first of each; value NULL: none */
	int ncert, nkey;     /* how many of each */
};

struct cf_srv_config {
	enum cf_server_kind kind;
	char **files;        /* absolute paths, in the server's order */
	char **texts;        /* their contents as read */
	size_t *lens;
	size_t nfiles;
	struct cf_srv_block *blocks;
	size_t nblocks;
};

/* Run the server's dump and read every file it names; parse them. */
cf_rc cf_server_load(const struct cf_server_ctl *ctl, struct cf_srv_config **out,
		     struct cf_err *err) CF_MUST_CHECK;
/* Parse given files (tests; and what cf_server_load does after the dump). */
cf_rc cf_server_parse(enum cf_server_kind kind, const char *const *files,
		      size_t nfiles, struct cf_srv_config **out,
		      struct cf_err *err) CF_MUST_CHECK;
void cf_srv_config_free(struct cf_srv_config *c);

/* The file list a dump names (pure, for tests): nginx -T's "# configuration
 * file PATH:" lines, apache's "  (N) PATH" lines. */
cf_rc cf_server_dump_files(enum cf_server_kind kind, const char *dump,
			   char ***files, size_t *n,
			   struct cf_err *err) CF_MUST_CHECK;

/* Does a server_name / ServerAlias pattern serve the certificate name? */
int cf_srv_name_matches(const char *pattern, const char *name);

enum cf_srv_action {
	CF_SRV_OK = 0,       /* a TLS block serves it with certferry's files */
	CF_SRV_EDIT,         /* a TLS block will be pointed at them */
	CF_SRV_NEEDS_CONFIGURE, /* a TLS block uses other files: --configure */
	CF_SRV_NO_TLS,       /* no TLS block serves the name */
	CF_SRV_UNSUPPORTED   /* a TLS block certferry will not edit: detail */
};

/* Per certificate name: what serves it and what is done. */
struct cf_srv_item {
	char *name;
	enum cf_srv_action action;
	size_t block;        /* its first TLS block (not for NO_TLS) */
	char detail[320];
};

struct cf_srv_plan {
	struct cf_srv_item *items;
	size_t n;
	size_t problems;     /* items NEEDS_CONFIGURE, NO_TLS or UNSUPPORTED */
	char **new_texts;    /* per file: edited text, or NULL when unchanged */
	size_t *new_lens;
	size_t nfiles;       /* of new_texts: the configuration's files */
	size_t nedited;      /* files edited */
	/* (addr, port, name) to verify by handshake: every TLS block that
	 * serves a name, once. */
	struct cf_srv_target { char *addr; unsigned port; char *name; } *targets;
	size_t ntargets;
};

/*
 * Which TLS blocks serve names[0..n) and, with configure, the edit that
 * points each at cert_file/key_file: the directive rewritten in place, or
 * added at the top of the block.  A block that already uses the files is
 * not touched; a block carrying names the certificate does not cover, or
 * more than one certificate directive, is not edited (UNSUPPORTED).
 */
cf_rc cf_server_plan(const struct cf_srv_config *c, const char *const *names,
		     size_t n, const char *cert_file, const char *key_file,
		     int configure, struct cf_srv_plan **out,
		     struct cf_err *err) CF_MUST_CHECK;
void cf_srv_plan_free(struct cf_srv_plan *p);

/* The plan's problems, "NAME: what; NAME: what" (for a message);
 * malloc'd, NULL when out of memory. */
char *cf_srv_plan_problems(const struct cf_srv_plan *p);

/*
 * Write the edited files of p (each atomically, keeping its mode), after
 * copying each original to backup_dir (created 0700; NULL: no backup
 * file) as the path with '/' turned into '_'.  Restores what it wrote
 * when a later file fails.
 */
cf_rc cf_server_apply(const struct cf_srv_config *c, const struct cf_srv_plan *p,
		      const char *backup_dir, struct cf_err *err) CF_MUST_CHECK;
/* Put back the texts of c for every file p edited. */
cf_rc cf_server_restore(const struct cf_srv_config *c,
			const struct cf_srv_plan *p,
			struct cf_err *err) CF_MUST_CHECK;

/* nginx -t / apache2ctl -t.  The error names the command and quotes the
 * last line it printed. */
cf_rc cf_server_test(const struct cf_server_ctl *ctl,
		     struct cf_err *err) CF_MUST_CHECK;
/* systemctl reload UNIT when ctl->conf is NULL and the unit is active;
 * else nginx -s reload / apache2ctl -k graceful. *how (may be NULL):
 * a static string saying which. */
cf_rc cf_server_reload(const struct cf_server_ctl *ctl, const char **how,
		       struct cf_err *err) CF_MUST_CHECK;

/* The dialects: fill blocks of file index fi from text (internal). */
cf_rc cf_nginx_parse(struct cf_srv_config *c, size_t fi,
		     struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_apache_parse(struct cf_srv_config *c, size_t fi,
		      struct cf_err *err) CF_MUST_CHECK;
/* Append a zeroed block to c (internal, for the parsers). */
cf_rc cf_srv_block_add(struct cf_srv_config *c, struct cf_srv_block **out,
		       struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_srv_block_add_name(struct cf_srv_block *b, const char *name,
			    size_t len, struct cf_err *err) CF_MUST_CHECK;
/* The listen address / VirtualHost address "A:P" into b->addr, b->port. */
cf_rc cf_srv_block_set_listen(struct cf_srv_block *b, const char *a,
			      size_t len, unsigned def_port,
			      struct cf_err *err) CF_MUST_CHECK;

#endif
