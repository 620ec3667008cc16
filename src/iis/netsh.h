/*
 * netsh.h - the Windows commands that finish moving bindings to CCS.
 *
 * Owns: the text of the script (a .cmd file, CRLF line ends) that, run
 * once on the IIS server, finishes what --iis-migrate started in
 * applicationHost.config: HTTP.sys keeps the hostname:port certificate
 * entry of each binding that was an SNI binding, and that entry outranks
 * the Centralized Certificate Store, so the script deletes it; it adds the
 * ccs=PORT record when IIS has none yet.  And reading such a script back:
 * the host:port entries it deletes, for `iis check`.  Pure: no files.
 */
#ifndef CF_IIS_NETSH_H
#define CF_IIS_NETSH_H

#include <stddef.h>

#include "core/err.h"
#include "iis/edit.h"

/* The application id IIS registers its HTTP.sys certificate entries with. */
#define CF_IIS_NETSH_APPID "{4dc3e181-e14b-4a21-b022-59fc669b0914}"

/* The prefix of the lines that delete an SNI entry. */
#define CF_IIS_NETSH_DELETE "netsh http delete sslcert hostnameport="

/*
 * The script for the MIGRATE items of p (cert_name and config_path are
 * named in its comments).  *out: malloc'd, NUL-terminated, CRLF line ends;
 * NULL (CF_OK) when p migrates nothing.
 */
cf_rc cf_iis_netsh_script(const struct cf_iis_plan *p, const char *cert_name,
			  const char *config_path, char **out,
			  struct cf_err *err) CF_MUST_CHECK;

/*
 * The "HOST:PORT" entries a script deletes (the text after
 * CF_IIS_NETSH_DELETE on each such line), in order.  *hp: malloc'd array
 * of malloc'd strings (cf_iis_hosts_free).
 */
cf_rc cf_iis_netsh_pending(const char *text, size_t len, char ***hp,
			   size_t *n, struct cf_err *err) CF_MUST_CHECK;

#endif
