/*
 * pathmap.h - from a Windows path on the IIS server to the Linux mount
 * that shows it, and from a host name to the folder of the site serving it.
 *
 * Owns: the --iis-path-map 'WINDOWS=LINUX' rules (parsing, making the
 * Linux side absolute, applying the longest matching rule: the Windows
 * side compared without case, with %Variable% expanded as IIS does and
 * backslashes read as slashes), the choice of the site that answers
 * http://HOST/ in an applicationHost.config, and the mapped physicalPath
 * of that site.  Pure apart from cf_path_abs: nothing is read or written.
 */
#ifndef CF_IIS_PATHMAP_H
#define CF_IIS_PATHMAP_H

#include <stddef.h>

#include "core/err.h"
#include "iis/appconfig.h"

/*
 * Split "WIN=LINUX" (the first "=/" separates them) into a normalized
 * Windows prefix (variables expanded with the defaults, '\' as '/', no
 * trailing '/') and the Linux folder.  Both *win and *lin are malloc'd
 * (caller frees).  CF_ERR_USAGE naming the rule when it is malformed or
 * the Linux side is not absolute.
 */
cf_rc cf_iis_path_map_split(const char *rule, char **win, char **lin,
			    struct cf_err *err) CF_MUST_CHECK;

/* The rule *rule with its Linux side made absolute (for the spec), in place. */
cf_rc cf_iis_path_map_abs(char **rule, struct cf_err *err) CF_MUST_CHECK;

/*
 * The Linux path of the Windows path winpath under the longest rule whose
 * Windows side is a prefix of it (whole components, without case).
 * *out malloc'd.  CF_ERR_USAGE when no rule matches or the rest of the
 * path has "." or ".." components.
 */
cf_rc cf_iis_path_map_apply(const char *const *rules, size_t nrules,
			    const char *winpath, char **out,
			    struct cf_err *err) CF_MUST_CHECK;

/*
 * The site IIS hands http://host/ to: an http binding for exactly host,
 * else an https binding for it, else an http binding "*.parent" for it,
 * else the first http binding without a host.  host is an A-label in
 * lower case.  Borrowed pointer into cfg, or NULL.
 */
const struct cf_iis_site *cf_iis_site_for_host(const struct cf_iis_config *cfg,
					       const char *host);

/*
 * The Linux folder of the physicalPath of the site serving host (see
 * above), through the rules.  *out malloc'd.  CF_ERR_USAGE naming the
 * host, the site and the fix otherwise.
 */
cf_rc cf_iis_webroot_for_host(const struct cf_iis_config *cfg,
			      const char *const *rules, size_t nrules,
			      const char *host, char **out,
			      struct cf_err *err) CF_MUST_CHECK;

#endif
