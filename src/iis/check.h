/*
 * check.h - does every CCS https binding of IIS have a good certificate?
 *
 * Owns: comparing the https bindings that take their certificate from the
 * Centralized Certificate Store (sslFlags & 2) with the PFX files in the
 * CCS folder: which file serves each host (HOST.pfx, else the wildcard
 * _.PARENT.pfx, as IIS looks them up), when it expires, whether it opens
 * with the store password and names the host, and which files no binding
 * uses.  Reads files; writes nothing; prints nothing.
 */
#ifndef CF_IIS_CHECK_H
#define CF_IIS_CHECK_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "iis/appconfig.h"

enum cf_iis_check_status {
	CF_IIS_CHECK_OK = 0,
	CF_IIS_CHECK_EXPIRING,   /* valid, but ends within the given days */
	CF_IIS_CHECK_EXPIRED,
	CF_IIS_CHECK_MISSING,    /* no PFX file for the host */
	CF_IIS_CHECK_UNREADABLE, /* wrong password, not PKCS#12, no key */
	CF_IIS_CHECK_WRONG_NAME, /* the certificate does not name the host */
	CF_IIS_CHECK_NO_HOST,    /* a CCS binding without host name */
	CF_IIS_CHECK_STATUS_COUNT
};

struct cf_iis_check_host {
	char *site_name;
	char *binding_information;
	unsigned long ssl_flags;
	char *host;              /* A-label; NULL for CF_IIS_CHECK_NO_HOST */
	char *pfx_file;          /* file name in the CCS folder, or NULL */
	time_t not_after;        /* 0 when unknown */
	enum cf_iis_check_status status;
	char *detail;            /* why, for the non-OK statuses; may be NULL */
};

struct cf_iis_check_report {
	struct cf_iis_check_host *hosts;
	size_t nhosts;
	char **unused_files;     /* *.pfx files no CCS binding uses */
	size_t nunused;
	int problem;             /* some host is not OK */
};

/* "ok", "expiring", "expired", "missing", ... Never NULL. */
const char *cf_iis_check_status_name(enum cf_iis_check_status s);

/*
 * Check every https CCS binding of c against the folder ccs_dir, opened
 * with password, at time now (0: the current time), warning `days` days
 * before expiry.  *out is the caller's (cf_iis_check_report_free); its
 * `problem` says whether anything needs attention (unused files alone are
 * not a problem).  Errors only for what stops the check (the folder cannot
 * be read, no memory).
 */
cf_rc cf_iis_check(const struct cf_iis_config *c, const char *ccs_dir,
		   const char *password, int days, time_t now,
		   struct cf_iis_check_report **out,
		   struct cf_err *err) CF_MUST_CHECK;
void cf_iis_check_report_free(struct cf_iis_check_report *r);

#endif
