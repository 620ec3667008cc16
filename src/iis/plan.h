/*
 * plan.h - which https bindings IIS sites need for a set of host names.
 *
 * Owns: the plan: for each host, whether a CCS binding already serves it,
 * an https binding without CCS holds its certificate in HTTP.sys (reported,
 * or migrated to CCS when asked), or a new SNI + CCS binding is to be
 * added, in which site (the one that owns the host), on which IP; the
 * notes for the administrator; choosing sites by name, id or "*"; and
 * checking a configuration against a plan.  Pure: works on a parsed
 * configuration (iis/appconfig.h) and never reads or writes files
 * (iis/edit.h does).
 */
#ifndef CF_IIS_PLAN_H
#define CF_IIS_PLAN_H

#include <stddef.h>

#include "core/err.h"
#include "iis/appconfig.h"

/* sslFlags written on the bindings certferry adds: SNI + CCS. */
#define CF_IIS_NEW_SSL_FLAGS (CF_IIS_SSL_SNI | CF_IIS_SSL_CCS)

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
