/*
 * ccs.h - file names of IIS's Centralized Certificate Store.
 *
 * Owns: the mapping between a DNS name and the PFX file IIS looks up for it
 * in the CCS folder: "www.example.com" <-> "www.example.com.pfx",
 * "*.example.com" <-> "_.example.com.pfx", and internationalised names
 * written in Unicode (U-labels): "xn--bcher-kva.example" <->
 * "bücher.example.pfx".  Pure functions; no files are touched.
 */
#ifndef CF_IIS_CCS_H
#define CF_IIS_CCS_H

#include "core/err.h"

/*
 * The CCS file name (no folder) for a DNS name given in ASCII (A-labels,
 * any case, optional leading "*.").  *out is malloc'd (caller frees).
 * CF_ERR_USAGE for a name that is not a valid DNS name.
 */
cf_rc cf_ccs_file_name(const char *dns_name_alabel, char **out,
		       struct cf_err *err) CF_MUST_CHECK;

/*
 * The DNS name (lower-case A-labels, "*." for "_.") a CCS file name stands
 * for; a leading folder is ignored.  *out is malloc'd.  CF_ERR_USAGE when
 * the name does not end in ".pfx" or is not a valid host name.
 */
cf_rc cf_ccs_host_from_file(const char *file_name, char **out,
			    struct cf_err *err) CF_MUST_CHECK;

#endif
