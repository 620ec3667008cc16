/*
 * iiswebroot.h - http-01 answered by IIS itself.
 *
 * Owns: the validator that writes each challenge file under the
 * physicalPath of the IIS site serving the challenge's name (read from an
 * applicationHost.config and mapped to the Linux mount by the
 * --iis-path-map rules of iis/pathmap.h), together with a web.config in
 * that .well-known/acme-challenge folder so IIS serves the extensionless
 * file as text/plain through the static file handler only.  When the last
 * challenge of a folder is cleaned up, its file, the web.config certferry
 * wrote and the folders it created are removed; a web.config that was
 * already there is never touched, unless it is certferry's own (byte for
 * byte): then runs sharing the folder share it and the last one out
 * removes it.
 */
#ifndef CF_VALIDATE_IISWEBROOT_H
#define CF_VALIDATE_IISWEBROOT_H

#include <stddef.h>

#include "validate/validate.h"

/* The web.config written next to the challenge files (static text). */
extern const char cf_iis_acme_web_config[];

/*
 * config: applicationHost.config (read here, once); rules: the
 * --iis-path-map rules (copied).  CF_ERR_USAGE when the config cannot be
 * read.  Folders are only touched when a challenge is presented.
 */
cf_rc cf_iis_webroot_validator_new(const char *config,
				   const char *const *rules, size_t nrules,
				   struct cf_validator *out,
				   struct cf_err *err) CF_MUST_CHECK;

#endif
