/*
 * edit.h - adding https bindings to applicationHost.config, byte for byte.
 *
 * Owns: deciding which https (SNI + CCS) bindings a site needs for a set
 * of host names (the plan), and writing them into the configuration file
 * so that every byte certferry does not mean to change stays as it was:
 * BOM, CRLF, indentation, comments, quoting, attribute order, entities.
 * The file is never serialised by an XML library; the target <bindings>
 * element is located by a small scanner over the raw bytes, and new lines
 * are inserted copying the indentation and line ends of their siblings.
 *
 * Certificates of bindings without the CCS flag live in HTTP.sys (netsh
 * http sslcert), outside this file: certferry reports them, and converts
 * them to CCS bindings only when asked (CF_IIS_PLAN_F_MIGRATE): then the
 * sslFlags attribute of those bindings is rewritten in place, the only
 * bytes that change (iis/netsh.h writes what finishes the move on Windows).
 * A plan may span several sites: each host goes to the site that owns it.
 */
#ifndef CF_IIS_EDIT_H
#define CF_IIS_EDIT_H

#include <stddef.h>

#include "core/err.h"
#include "iis/appconfig.h"

/* sslFlags written on the bindings certferry adds: SNI + CCS. */
#define CF_IIS_NEW_SSL_FLAGS (CF_IIS_SSL_SNI | CF_IIS_SSL_CCS)

struct cf_iis_new_binding {
	const char *protocol;            /* "https" */
	const char *binding_information; /* "IP:port:host", not escaped */
	unsigned long ssl_flags;
};

/*
 * Insert the bindings nb[0..n) into the <bindings> of the site_index-th
 * <site> (cf_iis_site.index) of the configuration bytes data[0..len).
 * *out (malloc'd, NUL-terminated, caller frees) differs from data only by
 * the inserted lines; a self-closing <bindings/> or a site without
 * <bindings> is opened up as needed.  The result is parsed again and
 * checked before it is returned.  CF_ERR_USAGE when the file cannot be
 * edited safely (the message says why).
 */
cf_rc cf_iis_edit_add_bindings(const char *data, size_t len, size_t site_index,
			       const struct cf_iis_new_binding *nb, size_t n,
			       char **out, size_t *outlen,
			       struct cf_err *err) CF_MUST_CHECK;

/*
 * Set the sslFlags attribute of existing bindings, byte for byte: the
 * value of an sslFlags attribute is replaced (its quotes kept), or, where
 * the binding has none, ` sslFlags="N"` is inserted after its last
 * attribute with that attribute's quote.  Nothing else changes.  The
 * result is parsed again: every other binding keeps its flags and each
 * changed one has the new value.  CF_ERR_USAGE when a binding is not
 * there or the file cannot be edited safely.
 */
struct cf_iis_flag_change {
	size_t site_index;          /* cf_iis_site.index */
	size_t binding_index;       /* position in cf_iis_site.bindings */
	unsigned long ssl_flags;    /* the new value */
};

cf_rc cf_iis_edit_set_ssl_flags(const char *data, size_t len,
				const struct cf_iis_flag_change *ch, size_t n,
				char **out, size_t *outlen,
				struct cf_err *err) CF_MUST_CHECK;

enum cf_iis_plan_action {
	CF_IIS_PLAN_ADD = 0,   /* a new https binding, sslFlags 3, is added */
	CF_IIS_PLAN_COVERED,   /* a CCS binding (exact or wildcard) serves it */
	CF_IIS_PLAN_HTTPSYS,   /* https without CCS: HTTP.sys holds its cert */
	CF_IIS_PLAN_MIGRATE,   /* that binding is converted to CCS (it gains
				  sslFlags 2, and 1 as it has a host) */
	CF_IIS_PLAN_ACTION_COUNT
};

/* "add", "covered", "HTTP.sys", "migrate". */
const char *cf_iis_plan_action_name(enum cf_iis_plan_action a);

/* Plan flags. */
#define CF_IIS_PLAN_F_MIGRATE 0x01u  /* HTTP.sys bindings of the hosts become
					CCS bindings (--iis-migrate) */

struct cf_iis_plan_item {
	char *host;                     /* as given */
	enum cf_iis_plan_action action;
	char *binding_information;      /* ADD: what is added; else the
					 * binding found */
	unsigned long ssl_flags;        /* ADD: flags written; else found */
	char *site_name;                /* site of the binding found / target */
	size_t site_index;              /* that site's cf_iis_site.index */
	unsigned long site_id;          /* and its id */
	size_t binding_index;           /* HTTPSYS, MIGRATE: the binding's
					 * position in its site */
	unsigned long old_ssl_flags;    /* MIGRATE: the flags before */
	unsigned port;                  /* the https port planned for */
};

struct cf_iis_plan {
	char *site_name;
	size_t site_index;
	struct cf_iis_plan_item *items;
	size_t n;
	size_t nadd;                    /* items with CF_IIS_PLAN_ADD */
	size_t nmigrate;                /* items with CF_IIS_PLAN_MIGRATE */
	size_t nhttpsys;                /* items with CF_IIS_PLAN_HTTPSYS */
	int ccs_record_known;           /* a CCS binding on the port existed
					   before: HTTP.sys has its ccs=PORT
					   record (IIS made it) */
	char **notes;                   /* remarks for the administrator */
	size_t nnotes;
};

/*
 * Decide, for each of hosts[0..n) (A- or U-labels, "*.x" allowed), what
 * the site needs on https_port: nothing when a CCS binding anywhere covers
 * the host (exact name, or a "*.x" CCS binding for a one-label-deeper
 * name); a report when the site has an https binding without the CCS flag
 * for it; otherwise a new "IP:port:host" binding with sslFlags 3, the IP
 * taken from the site's http binding of that host when it names one.
 * CF_ERR_USAGE, naming the other site, when that binding exists in
 * another site, and when hosts is empty.  *out is the caller's
 * (cf_iis_plan_free).
 */
cf_rc cf_iis_plan(const struct cf_iis_config *c, const struct cf_iis_site *site,
		  const char *const *hosts, size_t n, unsigned https_port,
		  struct cf_iis_plan **out, struct cf_err *err) CF_MUST_CHECK;
void cf_iis_plan_free(struct cf_iis_plan *p);

/*
 * The plan over several sites (sites[0..nsites), no duplicates): each
 * host goes to the first of them with an http or https binding of that
 * host (its owner), else to sites[0].  flags: CF_IIS_PLAN_F_*; with
 * CF_IIS_PLAN_F_MIGRATE, an https binding without CCS of a host in its
 * owner site becomes a MIGRATE item instead of HTTPSYS (bindings without
 * a host are never changed: a note says what to do).  Otherwise as
 * cf_iis_plan, which is this function for one site and no flags.
 */
cf_rc cf_iis_plan_sites(const struct cf_iis_config *c,
			const struct cf_iis_site *const *sites, size_t nsites,
			const char *const *hosts, size_t n, unsigned https_port,
			unsigned flags, struct cf_iis_plan **out,
			struct cf_err *err) CF_MUST_CHECK;

/*
 * The sites named by keys[0..nkeys) (names or ids, cf_iis_site_find; "*"
 * stands for every site with an http or https binding), without
 * duplicates, in the order given.  *out is a malloc'd array of pointers
 * into c.  CF_ERR_NOTFOUND naming the first key that matches no site.
 */
cf_rc cf_iis_sites_select(const struct cf_iis_config *c,
			  const char *const *keys, size_t nkeys,
			  const struct cf_iis_site ***out, size_t *n,
			  struct cf_err *err) CF_MUST_CHECK;

/* How long cf_iis_apply waits for the lock of the file, in seconds. */
#define CF_IIS_LOCK_WAIT_S 120

/*
 * Plan and, unless dry_run, apply: read config_path, find site (name or
 * id), plan, and when something is to be added write a backup
 * "<config_path>.certferry-YYYYMMDDTHHMMSS.bak" (same mode) and then
 * replace the file atomically, keeping its mode.  Nothing is written when
 * nothing changes.
 *
 * lock_path (NULL: no lock) names a lock file (see cf_state_iis_lock_path)
 * held with flock(LOCK_EX) around the whole read, plan, backup and write,
 * so that concurrent runs (processes or threads) never lose each other's
 * bindings; the wait is bounded by CF_IIS_LOCK_WAIT_S (CF_ERR_LOCKED).
 * After writing, the file is read and parsed again and every binding of
 * the plan must be in it (CF_ERR_IO naming the missing binding otherwise).
 *
 * *plan (may be NULL) gets the plan (caller frees); *backup (may be NULL)
 * the backup path or NULL when none was written.
 */
cf_rc cf_iis_apply(const char *config_path, const char *lock_path,
		   const char *site, const char *const *hosts, size_t nhosts,
		   unsigned https_port, int dry_run, struct cf_iis_plan **plan,
		   char **backup, struct cf_err *err) CF_MUST_CHECK;

/* What cf_iis_apply_ex is to do. */
struct cf_iis_apply_opts {
	const char *lock_path;          /* as for cf_iis_apply; may be NULL */
	const char *const *sites;       /* names or ids, "*": every site */
	size_t nsites;
	const char *const *hosts;
	size_t nhosts;
	unsigned https_port;
	unsigned flags;                 /* CF_IIS_PLAN_F_* */
	int dry_run;
};

/*
 * cf_iis_apply over several sites (cf_iis_plan_sites), adding the planned
 * bindings to their sites and, with CF_IIS_PLAN_F_MIGRATE, setting the
 * sslFlags of the bindings to migrate, in one backup and one write.
 * cf_iis_apply is this function for one site without flags.
 */
cf_rc cf_iis_apply_ex(const char *config_path, const struct cf_iis_apply_opts *o,
		      struct cf_iis_plan **plan, char **backup,
		      struct cf_err *err) CF_MUST_CHECK;

/*
 * Check that every binding of plan p (added, or found serving a host) is
 * in the configuration c: same bindingInformation and protocol https in
 * the site the plan names, and, for an added one, its sslFlags.
 * CF_ERR_NOTFOUND naming the first missing binding otherwise.
 */
cf_rc cf_iis_plan_verify(const struct cf_iis_config *c,
			 const struct cf_iis_plan *p,
			 struct cf_err *err) CF_MUST_CHECK;

#endif
