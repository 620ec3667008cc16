/*
 * edit.h - adding https bindings to applicationHost.config, byte for byte.
 *
 * Owns: writing the bindings of a plan (iis/plan.h decides them) into the
 * configuration file, with its lock, backup and check after writing,
 * so that every byte certferry does not mean to change stays as it was:
 * BOM, CRLF, indentation, comments, quoting, attribute order, entities.
 * The file is never serialised by an XML library; the target <bindings>
 * element is located by the byte scanner of iis/xmlscan.h, and new lines
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
#include "iis/plan.h"

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

#endif
