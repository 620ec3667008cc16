/* netsh.c - see netsh.h */
#include "iis/netsh.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Append one line (printf-style) and CRLF. */
static cf_rc
line(struct cf_buf *b, const char *fmt, ...) CF_PRINTF(2, 3);

static cf_rc
line(struct cf_buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return CF_ERR_USAGE;
	if (cf_buf_appends(b, tmp) != CF_OK || cf_buf_appends(b, "\r\n") != CF_OK)
		return CF_ERR_NOMEM;
	return CF_OK;
}

/* The host of "IP:port:host" (the part after the second ':' outside
 * brackets), or "". */
static const char *
bi_host(const char *bi)
{
	const char *p = bi;
	int colons = 0;

	if (*p == '[' && (p = strchr(p, ']')) == NULL)
		return "";
	for (; *p != '\0'; p++)
		if (*p == ':' && ++colons == 2)
			return p + 1;
	return "";
}

cf_rc
cf_iis_netsh_script(const struct cf_iis_plan *p, const char *cert_name,
		    const char *config_path, char **out, struct cf_err *err)
{
	struct cf_buf b;
	cf_rc rc = CF_OK;
	unsigned port = 0;

	*out = NULL;
	if (p == NULL || p->nmigrate == 0)
		return CF_OK;
	cf_buf_init(&b, 4u << 20);
	for (size_t i = 0; i < p->n && port == 0; i++)
		if (p->items[i].action == CF_IIS_PLAN_MIGRATE)
			port = p->items[i].port;
#define L(...) do { if ((rc = line(&b, __VA_ARGS__)) != CF_OK) goto fail; } \
	while (0)
	L("@echo off");
	L("rem Written by certferry for the certificate \"%s\".", cert_name);
	L("rem It finishes moving IIS https bindings to the Centralized "
	  "Certificate Store");
	L("rem (CCS); certferry changed their sslFlags in %s.", config_path);
	L("rem HTTP.sys still holds their old hostname:port certificate "
	  "entries, which");
	L("rem outrank CCS: until they are deleted IIS serves the old "
	  "certificates.");
	L("rem Run it once, on the IIS server, in an elevated command prompt;");
	L("rem then delete this file from certferry's state folder ('certferry "
	  "iis check'");
	L("rem lists the bindings waiting for it until then).");
	L("%s", "");
	if (p->ccs_record_known) {
		L("rem IIS already has CCS bindings on port %u: its ccs=%u "
		  "record exists.", port, port);
	} else {
		L("rem The ccs=%u record that sends port %u to the Centralized "
		  "Certificate Store,", port, port);
		L("rem once (IIS adds it with its first CCS binding):");
		L("netsh http show sslcert ccs=%u >nul 2>&1 || netsh http add "
		  "sslcert ccs=%u appid=%s", port, port, CF_IIS_NETSH_APPID);
	}
	L("%s", "");
	for (size_t i = 0; i < p->n; i++) {
		const struct cf_iis_plan_item *it = &p->items[i];
		const char *host;
		if (it->action != CF_IIS_PLAN_MIGRATE)
			continue;
		host = bi_host(it->binding_information);
		L("rem site \"%s\" (id %lu), binding %s: sslFlags %lu -> %lu",
		  it->site_name, it->site_id, it->binding_information,
		  it->old_ssl_flags, it->ssl_flags);
		if (it->old_ssl_flags & CF_IIS_SSL_SNI) {
			L("%s%s:%u", CF_IIS_NETSH_DELETE, host, it->port);
		} else {
			L("rem This binding had no SNI: its old certificate is "
			  "the IP:port entry,");
			L("rem shared by every binding without SNI on that "
			  "address. Delete it once none");
			L("rem needs it: netsh http delete sslcert ipport=IP:%u "
			  "(see netsh http show sslcert)", it->port);
		}
	}
	L("%s", "");
	L("echo certferry: done. Delete this script from the state folder.");
#undef L
	if ((*out = cf_buf_steal(&b)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	cf_buf_free(&b);
	return rc;
fail:
	cf_buf_free(&b);
	if (rc == CF_ERR_USAGE)
		return cf_err_set(err, CF_ERR_USAGE, "a binding is too long "
				  "for the netsh script");
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

cf_rc
cf_iis_netsh_pending(const char *text, size_t len, char ***hp, size_t *n,
		     struct cf_err *err)
{
	size_t pl = strlen(CF_IIS_NETSH_DELETE), i = 0;
	char **v = NULL, **nv;

	*hp = NULL;
	*n = 0;
	while (i < len) {
		size_t e = i, end;
		while (e < len && text[e] != '\n')
			e++;
		end = e;
		while (end > i && (text[end - 1] == '\r' || text[end - 1] == ' '))
			end--;
		if (end - i > pl && memcmp(text + i, CF_IIS_NETSH_DELETE, pl) == 0) {
			if ((nv = realloc(v, (*n + 1) * sizeof(*nv))) == NULL)
				goto nomem;
			v = nv;
			if ((v[*n] = strndup(text + i + pl, end - i - pl)) == NULL)
				goto nomem;
			(*n)++;
		}
		i = e + 1;
	}
	*hp = v;
	return CF_OK;
nomem:
	for (size_t k = 0; k < *n; k++)
		free(v[k]);
	free(v);
	*n = 0;
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}
