/*
 * winacme.h - win-acme renewals as certferry certificate specs.
 *
 * Owns: reading one win-acme `*.renewal.json` (the file format of
 * win-acme 2.x: "TargetPluginOptions", "ValidationPluginOptions",
 * "CsrPluginOptions", "StorePluginOptions" and
 * "InstallationPluginOptions", each plugin named by its "Plugin" GUID or,
 * in files of win-acme before 2.2, by its "$type" class name) and mapping
 * it onto a struct cf_cert_spec, with a note for everything that could
 * not be mapped or needs a person; and the ACME server of a win-acme
 * configuration folder.  Pure: reads no file, writes none, prints
 * nothing.  Secrets win-acme kept with DPAPI ("enc-...") cannot be read
 * off Windows: they are reported, never guessed.
 */
#ifndef CF_ENGINE_WINACME_H
#define CF_ENGINE_WINACME_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "engine/spec.h"

/* What the person importing tells us (all borrowed, may be NULL/0). */
struct cf_winacme_opts {
	const char *directory_url;      /* the ACME server of the folder */
	const char *iis_config;         /* applicationHost.config (absolute) */
	const char *const *path_maps;   /* 'WINDOWS=/LINUX' (iis/pathmap.h) */
	size_t npath_maps;
	const char *pfx_password_file;  /* for passwords that cannot be read */
	const char *dns_script;         /* stands in for win-acme's DNS script */
};

/* A store password as win-acme kept it. */
enum cf_winacme_secret {
	CF_WA_SECRET_NONE = 0,  /* no password in the file (win-acme's
				   settings.json default applied) */
	CF_WA_SECRET_CLEAR,     /* readable ("clear-..." or base64) */
	CF_WA_SECRET_DPAPI,     /* "enc-...": Windows DPAPI, unreadable here */
	CF_WA_SECRET_VAULT,     /* "vault://...": win-acme's secret manager */
};

struct cf_winacme_import {
	char *id;                  /* win-acme's "Id" */
	char *friendly_name;       /* "LastFriendlyName", may be NULL */
	struct cf_cert_spec spec;  /* name "winacme-<Id>"; complete or not */
	char *password;            /* a readable store password (secret:
				      wipe), for the stores whose
				      password_file is left NULL with
				      password_needed 0 */
	int password_needed;       /* a pfx/ccs store's password is DPAPI,
				      vault or default: give a file */
	char **notes;              /* human sentences: what was not mapped */
	size_t nnotes;
	int complete;              /* 1: the spec runs as is */
};

/*
 * Map one renewal (the parsed JSON of a *.renewal.json).  *out is filled
 * (free with cf_winacme_import_free) also when the renewal cannot be
 * mapped completely: out->complete is 0 then and out->notes say why.
 * CF_ERR_USAGE only when j is not a win-acme renewal at all (no "Id").
 */
cf_rc cf_winacme_renewal_map(json_t *j, const struct cf_winacme_opts *o,
			     struct cf_winacme_import *out,
			     struct cf_err *err) CF_MUST_CHECK;

void cf_winacme_import_free(struct cf_winacme_import *im);

/* How a ProtectedString value ("enc-...", "clear-...", base64, vault)
 * is kept; with CF_WA_SECRET_CLEAR and clear != NULL, *clear is the
 * malloc'd password (caller wipes). */
enum cf_winacme_secret cf_winacme_secret_read(const char *value, char **clear);

/*
 * The ACME directory URL of a win-acme configuration folder name (win-acme
 * names it after its BaseUri without scheme and '/'):
 * "acme-v02.api.letsencrypt.org" -> "https://acme-v02.api.letsencrypt.org/directory".
 * NULL when the name is not one of the servers known here (pass --server).
 * Static storage.
 */
const char *cf_winacme_server_for_folder(const char *folder);

#endif
