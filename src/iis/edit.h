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
 * http sslcert), outside this file: certferry reports them, never edits.
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

enum cf_iis_plan_action {
	CF_IIS_PLAN_ADD = 0,   /* a new https binding, sslFlags 3, is added */
	CF_IIS_PLAN_COVERED,   /* a CCS binding (exact or wildcard) serves it */
	CF_IIS_PLAN_HTTPSYS    /* https without CCS: HTTP.sys holds its cert */
};

struct cf_iis_plan_item {
	char *host;                     /* as given */
	enum cf_iis_plan_action action;
	char *binding_information;      /* ADD: what is added; else the
					 * binding found */
	unsigned long ssl_flags;        /* ADD: flags written; else found */
	char *site_name;                /* site of the binding found / target */
};

struct cf_iis_plan {
	char *site_name;
	size_t site_index;
	struct cf_iis_plan_item *items;
	size_t n;
	size_t nadd;                    /* items with CF_IIS_PLAN_ADD */
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
