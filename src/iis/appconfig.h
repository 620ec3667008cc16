/*
 * appconfig.h - reading IIS's applicationHost.config.
 *
 * Owns: the model certferry keeps of an IIS server's sites and bindings
 * (system.applicationHost/sites), the pure parser of a binding's
 * "IP:port:host" text, the names of the sslFlags bits, the expansion of
 * %Variable% references in physical paths, and the choice of host names
 * to put in a certificate.  Read-only: editing the file lives in edit.h.
 *
 * All structures returned are owned by the caller and freed with the
 * matching _free function.  Nothing here prints.
 */
#ifndef CF_IIS_APPCONFIG_H
#define CF_IIS_APPCONFIG_H

#include <stddef.h>

#include "core/err.h"

/* Files bigger than this are refused (a real one is a few hundred KiB). */
#define CF_IIS_CONFIG_MAX (16u * 1024u * 1024u)

/* sslFlags bits of a binding (IIS 8+, the switches from IIS 10). */
#define CF_IIS_SSL_SNI                  0x01u
#define CF_IIS_SSL_CCS                  0x02u
#define CF_IIS_SSL_DISABLE_HTTP2        0x04u
#define CF_IIS_SSL_DISABLE_OCSP_STAPLING 0x08u
#define CF_IIS_SSL_DISABLE_QUIC         0x10u
#define CF_IIS_SSL_DISABLE_TLS13        0x20u
#define CF_IIS_SSL_DISABLE_LEGACY_TLS   0x40u

/* The three parts of an http/https/ftp bindingInformation. */
struct cf_iis_binding_info {
	char ip[48];      /* "*", dotted IPv4, or IPv6 without brackets */
	int ip_is_v6;     /* written as "[...]" */
	unsigned port;    /* 1..65535 */
	char host[512];   /* "" for none; may be "*.example.com" or a U-label */
};

struct cf_iis_binding {
	char *protocol;             /* "http", "https", "net.tcp", ... */
	char *binding_information;  /* attribute value, entities decoded */
	int has_info;               /* info below is valid (IP:port:host form) */
	struct cf_iis_binding_info info;
	unsigned long ssl_flags;
	int has_ssl_flags;          /* the attribute was present */
};

struct cf_iis_site {
	size_t index;               /* position among all <site> elements */
	unsigned long id;
	char *name;
	int server_auto_start;      /* default 1 when the attribute is absent */
	char *physical_path;        /* root application's root vdir, raw; may be NULL */
	char *physical_path_expanded; /* %Var% expanded; NULL when raw is NULL */
	struct cf_iis_binding *bindings;
	size_t nbindings;
};

struct cf_iis_config {
	struct cf_iis_site *sites;
	size_t nsites;
};

/* One %NAME% -> value pair for physical path expansion. */
struct cf_iis_var {
	const char *name;
	const char *value;
};

/*
 * Parse "IP:port:host" into *out.  IP is "*", IPv4 or "[IPv6]"; port
 * 1..65535; host may be empty.  CF_ERR_USAGE with a message naming the
 * problem otherwise.  Pure: no allocation.
 */
cf_rc cf_iis_parse_binding_info(const char *s, struct cf_iis_binding_info *out,
				struct cf_err *err) CF_MUST_CHECK;

/* Format info back to "IP:port:host" into buf (size n). Returns 0 on
 * success, -1 when it does not fit. */
int cf_iis_binding_info_format(const struct cf_iis_binding_info *info,
			       char *buf, size_t n);

/*
 * Describe sslFlags as "SNI,CCS,DisableHTTP2,..." with unknown bits as
 * decimal numbers ("128"), "none" for 0, into buf (size n; truncated if
 * too small).  Returns buf.
 */
const char *cf_iis_ssl_flags_describe(unsigned long flags, char *buf, size_t n);

/* The default variables (SystemDrive=C:, windir=C:\Windows, ...) and their
 * count in *n.  Static storage. */
const struct cf_iis_var *cf_iis_default_vars(size_t *n);

/*
 * Expand %NAME% references in s with vars (names compared without case;
 * later entries win, so pass defaults first).  Unknown references are kept
 * as written.  *out is malloc'd (caller frees).
 */
cf_rc cf_iis_expand_vars(const char *s, const struct cf_iis_var *vars,
			 size_t nvars, char **out, struct cf_err *err) CF_MUST_CHECK;

/*
 * Parse the bytes of an applicationHost.config (UTF-8, BOM allowed).
 * vars/nvars: extra variables for physical paths, applied over the
 * defaults (may be NULL/0).  *out is owned by the caller
 * (cf_iis_config_free).  CF_ERR_USAGE for malformed XML or sites.
 */
cf_rc cf_iis_config_parse(const char *data, size_t len,
			  const struct cf_iis_var *vars, size_t nvars,
			  struct cf_iis_config **out, struct cf_err *err) CF_MUST_CHECK;

/* Read path (at most CF_IIS_CONFIG_MAX bytes) and parse it. */
cf_rc cf_iis_config_load(const char *path, const struct cf_iis_var *vars,
			 size_t nvars, struct cf_iis_config **out,
			 struct cf_err *err) CF_MUST_CHECK;

void cf_iis_config_free(struct cf_iis_config *c);

/*
 * Find a site by name (without case, as IIS does) or, failing that, by
 * numeric id when key is all digits.  Returns a pointer into c (borrowed)
 * or NULL.
 */
const struct cf_iis_site *cf_iis_site_find(const struct cf_iis_config *c,
					   const char *key);

/*
 * Host name as an ASCII (A-label) lower-case name: "Bücher.Example" ->
 * "xn--bcher-kva.example"; a leading "*." is kept.  *out malloc'd.
 * CF_ERR_USAGE when the name is not a valid IDN.
 */
cf_rc cf_iis_host_alabel(const char *host, char **out,
			 struct cf_err *err) CF_MUST_CHECK;

/*
 * The host names to put in a certificate for site: the hosts of its http
 * and https bindings, as lower-case A-labels, without duplicates, without
 * empty or IP-literal hosts, in binding order, kept only when they match
 * the fnmatch(3) pattern filter (NULL: all; the pattern is compared with
 * both the A-label and the name as written).  *hosts is a malloc'd array
 * of malloc'd strings, free with cf_iis_hosts_free.  Zero hosts is not an
 * error (*n == 0).
 */
cf_rc cf_iis_site_hosts(const struct cf_iis_site *site, const char *filter,
			char ***hosts, size_t *n, struct cf_err *err) CF_MUST_CHECK;
void cf_iis_hosts_free(char **hosts, size_t n);

/* 1 when host is an IPv4 or IPv6 literal (with or without brackets). */
int cf_iis_host_is_ip(const char *host);

#endif
