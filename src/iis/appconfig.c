/* appconfig.c - see appconfig.h */
#include "iis/appconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dlfcn.h>
#include <pthread.h>

#include <idn2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "store/atomic.h"

/*
 * libxml2 is loaded (dlopen) the first time an applicationHost.config is
 * parsed, not when certferry starts: a run that reads no IIS
 * configuration does not pay for it (with ICU and libstdc++ it costs
 * about 2 MiB of resident memory; docs/PERFORMANCE.md).  The rest of this
 * file calls libxml2 by its usual names, through the macros below.
 */
static struct {
	xmlDocPtr (*read_memory)(const char *, int, const char *, const char *,
				 int);
	xmlErrorPtr (*get_last_error)(void);
	void (*free_doc)(xmlDocPtr);
	xmlNodePtr (*root)(const xmlDoc *);
	xmlChar *(*get_prop)(const xmlNode *, const xmlChar *);
	xmlFreeFunc *free_var;        /* the library's xmlFree */
	int ok;
} X;
static pthread_once_t x_once = PTHREAD_ONCE_INIT;

static void
x_load(void)
{
	void *h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		return;
	*(void **)&X.read_memory = dlsym(h, "xmlReadMemory");
	*(void **)&X.get_last_error = dlsym(h, "xmlGetLastError");
	*(void **)&X.free_doc = dlsym(h, "xmlFreeDoc");
	*(void **)&X.root = dlsym(h, "xmlDocGetRootElement");
	*(void **)&X.get_prop = dlsym(h, "xmlGetProp");
	X.free_var = (xmlFreeFunc *)dlsym(h, "xmlFree");
	X.ok = X.read_memory && X.get_last_error && X.free_doc && X.root &&
	       X.get_prop && X.free_var && *X.free_var;
}

static cf_rc
xml_ready(struct cf_err *err)
{
	pthread_once(&x_once, x_load);
	if (!X.ok)
		return cf_err_set(err, CF_ERR_USAGE, "reading applicationHost."
				  "config needs libxml2 (libxml2.so.2), which "
				  "could not be loaded: install the libxml2 "
				  "package");
	return CF_OK;
}

#undef xmlFree
#define xmlReadMemory X.read_memory
#define xmlGetLastError X.get_last_error
#define xmlFreeDoc(d) ((d) != NULL ? X.free_doc(d) : (void)0)
#define xmlDocGetRootElement X.root
#define xmlGetProp X.get_prop
#define xmlFree (*X.free_var)

static const struct cf_iis_var default_vars[] = {
	{ "SystemDrive", "C:" },
	{ "SystemRoot", "C:\\Windows" },
	{ "windir", "C:\\Windows" },
	{ "ProgramFiles", "C:\\Program Files" },
	{ "ProgramData", "C:\\ProgramData" },
	{ "PUBLIC", "C:\\Users\\Public" },
	{ "inetpub", "C:\\inetpub" },
};

static const char *const ssl_flag_names[] = {
	"SNI", "CCS", "DisableHTTP2", "DisableOCSPStapling", "DisableQUIC",
	"DisableTLS13", "DisableLegacyTLS",
};

const struct cf_iis_var *
cf_iis_default_vars(size_t *n)
{
	*n = sizeof(default_vars) / sizeof(default_vars[0]);
	return default_vars;
}

cf_rc
cf_iis_parse_binding_info(const char *s, struct cf_iis_binding_info *out,
			  struct cf_err *err)
{
	const char *p, *ipend, *host;
	unsigned long port;
	size_t iplen;
	char *end;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "empty bindingInformation: expected IP:port:host");
	if (*s == '[') {
		ipend = strchr(s, ']');
		if (ipend == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "bindingInformation \"%s\": IPv6 address lacks "
					  "its closing ']'", s);
		iplen = (size_t)(ipend - s - 1);
		if (iplen == 0 || iplen >= sizeof(out->ip))
			return cf_err_set(err, CF_ERR_USAGE,
					  "bindingInformation \"%s\": bad IPv6 address", s);
		memcpy(out->ip, s + 1, iplen);
		out->ip[iplen] = '\0';
		out->ip_is_v6 = 1;
		{
			struct in6_addr a6;
			if (inet_pton(AF_INET6, out->ip, &a6) != 1)
				return cf_err_set(err, CF_ERR_USAGE,
						  "bindingInformation \"%s\": \"%s\" is not "
						  "an IPv6 address", s, out->ip);
		}
		p = ipend + 1;
		if (*p != ':')
			return cf_err_set(err, CF_ERR_USAGE,
					  "bindingInformation \"%s\": expected ':' after ']'", s);
	} else {
		p = strchr(s, ':');
		if (p == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "bindingInformation \"%s\": no port; expected "
					  "IP:port:host", s);
		iplen = (size_t)(p - s);
		if (iplen == 0 || iplen >= sizeof(out->ip))
			return cf_err_set(err, CF_ERR_USAGE,
					  "bindingInformation \"%s\": bad IP part", s);
		memcpy(out->ip, s, iplen);
		out->ip[iplen] = '\0';
		if (strcmp(out->ip, "*") != 0) {
			struct in_addr a4;
			if (inet_pton(AF_INET, out->ip, &a4) != 1)
				return cf_err_set(err, CF_ERR_USAGE,
						  "bindingInformation \"%s\": \"%s\" is "
						  "neither '*' nor an IPv4 address (IPv6 "
						  "goes in brackets)", s, out->ip);
		}
	}
	p++; /* past ':' */
	if (!isdigit((unsigned char)*p))
		return cf_err_set(err, CF_ERR_USAGE,
				  "bindingInformation \"%s\": no port number", s);
	errno = 0;
	port = strtoul(p, &end, 10);
	if (errno != 0 || port == 0 || port > 65535)
		return cf_err_set(err, CF_ERR_USAGE,
				  "bindingInformation \"%s\": port must be 1..65535", s);
	if (*end != ':')
		return cf_err_set(err, CF_ERR_USAGE,
				  "bindingInformation \"%s\": expected ':' after the port "
				  "(IP:port:host, host may be empty)", s);
	out->port = (unsigned)port;
	host = end + 1;
	if (strlen(host) >= sizeof(out->host))
		return cf_err_set(err, CF_ERR_USAGE,
				  "bindingInformation: host name too long");
	if (strpbrk(host, ": /\t") != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "bindingInformation \"%s\": bad character in host", s);
	strcpy(out->host, host);
	return CF_OK;
}

int
cf_iis_binding_info_format(const struct cf_iis_binding_info *info, char *buf,
			   size_t n)
{
	int r;

	if (info->ip_is_v6)
		r = snprintf(buf, n, "[%s]:%u:%s", info->ip, info->port,
			     info->host);
	else
		r = snprintf(buf, n, "%s:%u:%s", info->ip, info->port,
			     info->host);
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

const char *
cf_iis_ssl_flags_describe(unsigned long flags, char *buf, size_t n)
{
	size_t used = 0, i;
	int r;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (flags == 0) {
		snprintf(buf, n, "none");
		return buf;
	}
	for (i = 0; i < sizeof(unsigned long) * 8; i++) {
		unsigned long bit = 1ul << i;
		if (!(flags & bit))
			continue;
		if (i < sizeof(ssl_flag_names) / sizeof(ssl_flag_names[0]))
			r = snprintf(buf + used, n - used, "%s%s",
				     used ? "," : "", ssl_flag_names[i]);
		else
			r = snprintf(buf + used, n - used, "%s%lu",
				     used ? "," : "", bit);
		if (r < 0 || (size_t)r >= n - used)
			break;
		used += (size_t)r;
	}
	return buf;
}

cf_rc
cf_iis_expand_vars(const char *s, const struct cf_iis_var *vars, size_t nvars,
		   char **out, struct cf_err *err)
{
	size_t cap = 0, len = 0, need;
	char *res = NULL;
	const char *p = s;

	/* Two passes would be tidier; one growing buffer is simpler. */
	cap = strlen(s) + 1;
	if ((res = malloc(cap)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	while (*p != '\0') {
		const char *val = NULL, *close;
		size_t add, namelen, i;

		if (*p == '%' && (close = strchr(p + 1, '%')) != NULL &&
		    close > p + 1) {
			namelen = (size_t)(close - p - 1);
			for (i = 0; i < nvars; i++)
				if (strlen(vars[i].name) == namelen &&
				    strncasecmp(vars[i].name, p + 1, namelen) == 0)
					val = vars[i].value;
		}
		if (val != NULL) {
			add = strlen(val);
			p = close + 1;
		} else {
			val = p;
			add = 1;
			p++;
		}
		need = len + add + 1;
		if (need > cap) {
			char *n = realloc(res, need * 2);
			if (n == NULL) {
				free(res);
				return cf_err_set(err, CF_ERR_NOMEM,
						  "out of memory");
			}
			res = n;
			cap = need * 2;
		}
		memcpy(res + len, val, add);
		len += add;
	}
	res[len] = '\0';
	*out = res;
	return CF_OK;
}

/* ---- XML model ---- */

static int
is_elem(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* Attribute value (entities decoded) as a malloc'd C string, or NULL. */
static char *
attr_dup(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r;

	if (v == NULL)
		return NULL;
	r = strdup((const char *)v);
	xmlFree(v);
	return r;
}

static void
site_clear(struct cf_iis_site *s)
{
	size_t i;

	for (i = 0; i < s->nbindings; i++) {
		free(s->bindings[i].protocol);
		free(s->bindings[i].binding_information);
	}
	free(s->bindings);
	free(s->name);
	free(s->physical_path);
	free(s->physical_path_expanded);
	memset(s, 0, sizeof(*s));
}

void
cf_iis_config_free(struct cf_iis_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsites; i++)
		site_clear(&c->sites[i]);
	free(c->sites);
	free(c);
}

static cf_rc
parse_binding(xmlNode *n, struct cf_iis_binding *b, const char *site,
	      struct cf_err *err)
{
	char *flags = NULL;
	struct cf_err ignored;
	cf_rc rc = CF_OK;

	b->protocol = attr_dup(n, "protocol");
	b->binding_information = attr_dup(n, "bindingInformation");
	if (b->protocol == NULL || b->binding_information == NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE, "site \"%s\": a <binding> "
				"lacks protocol or bindingInformation", site);
		goto out;
	}
	/* Only the HTTP.sys-style protocols use IP:port:host; net.tcp and
	 * friends keep their text untouched. */
	if (strcasecmp(b->protocol, "http") == 0 ||
	    strcasecmp(b->protocol, "https") == 0 ||
	    strcasecmp(b->protocol, "ftp") == 0) {
		if ((rc = cf_iis_parse_binding_info(b->binding_information,
		    &b->info, err)) != CF_OK) {
			cf_err_wrap(err, "site \"%s\"", site);
			goto out;
		}
		b->has_info = 1;
	} else {
		b->has_info = cf_iis_parse_binding_info(b->binding_information,
							&b->info, &ignored) == CF_OK;
		if (!b->has_info)
			memset(&b->info, 0, sizeof(b->info));
	}
	if ((flags = attr_dup(n, "sslFlags")) != NULL) {
		char *end;
		errno = 0;
		b->ssl_flags = strtoul(flags, &end, 10);
		if (errno != 0 || end == flags || *end != '\0') {
			rc = cf_err_set(err, CF_ERR_USAGE, "site \"%s\": "
					"binding %s has sslFlags=\"%s\", expected a "
					"number", site, b->binding_information, flags);
			goto out;
		}
		b->has_ssl_flags = 1;
	}
out:
	free(flags);
	return rc;
}

/* The name, id and serverAutoStart of the <site> n. */
static cf_rc
site_attrs(xmlNode *n, struct cf_iis_site *s, struct cf_err *err)
{
	char *v = NULL, *end;
	cf_rc rc = CF_OK;

	s->server_auto_start = 1;
	if ((s->name = attr_dup(n, "name")) == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "a <site> has no name");
	if ((v = attr_dup(n, "id")) == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "site \"%s\" has no id",
				  s->name);
	errno = 0;
	s->id = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0') {
		rc = cf_err_set(err, CF_ERR_USAGE, "site \"%s\": id \"%s\" is "
				"not a number", s->name, v);
		goto out;
	}
	free(v);
	if ((v = attr_dup(n, "serverAutoStart")) != NULL)
		s->server_auto_start = strcasecmp(v, "false") != 0;
out:
	free(v);
	return rc;
}

/* 1 when element n has path="/". */
static int
is_root_path(xmlNode *n)
{
	char *path = attr_dup(n, "path");
	int root = path != NULL && strcmp(path, "/") == 0;

	free(path);
	return root;
}

/* The physicalPath of the root virtual directory of the root
 * <application> c (malloc'd), or NULL. */
static char *
root_physical_path(xmlNode *c)
{
	xmlNode *vd;

	if (!is_root_path(c))
		return NULL;
	for (vd = c->children; vd != NULL; vd = vd->next) {
		if (is_elem(vd, "virtualDirectory") && is_root_path(vd))
			return attr_dup(vd, "physicalPath");
	}
	return NULL;
}

/* The <binding>s of the <bindings> c, added to the site's.  A second
 * <bindings> adds to the first (the editor refuses such a site; reading
 * it keeps every host). */
static cf_rc
add_bindings(xmlNode *c, struct cf_iis_site *s, struct cf_err *err)
{
	struct cf_iis_binding *grown;
	xmlNode *b;
	size_t nb = 0;
	cf_rc rc;

	for (b = c->children; b != NULL; b = b->next)
		if (is_elem(b, "binding"))
			nb++;
	if (nb == 0)
		return CF_OK;
	grown = realloc(s->bindings, (s->nbindings + nb) * sizeof(*s->bindings));
	if (grown == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	s->bindings = grown;
	memset(s->bindings + s->nbindings, 0, nb * sizeof(*s->bindings));
	for (b = c->children; b != NULL; b = b->next) {
		if (!is_elem(b, "binding"))
			continue;
		if ((rc = parse_binding(b, &s->bindings[s->nbindings++],
		    s->name, err)) != CF_OK)
			return rc;
	}
	return CF_OK;
}

static cf_rc
parse_site(xmlNode *n, struct cf_iis_site *s, const struct cf_iis_var *vars,
	   size_t nvars, struct cf_err *err)
{
	xmlNode *c;
	cf_rc rc;

	if ((rc = site_attrs(n, s, err)) != CF_OK)
		return rc;
	for (c = n->children; c != NULL; c = c->next) {
		if (is_elem(c, "application") && s->physical_path == NULL)
			s->physical_path = root_physical_path(c);
		else if (is_elem(c, "bindings") &&
			 (rc = add_bindings(c, s, err)) != CF_OK)
			return rc;
	}
	if (s->physical_path != NULL)
		return cf_iis_expand_vars(s->physical_path, vars, nvars,
					  &s->physical_path_expanded, err);
	return CF_OK;
}

/* Parse the bytes with libxml2 (no network, no entity expansion). */
static cf_rc
read_doc(const char *data, size_t len, xmlDoc **doc, struct cf_err *err)
{
	const xmlError *xe;
	char *nl;
	cf_rc rc;

	/* No XML_PARSE_NOENT: character and predefined entities are decoded
	 * anyway; external entities are never fetched. */
	*doc = xmlReadMemory(data, (int)len, "applicationHost.config", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (*doc != NULL)
		return CF_OK;
	xe = xmlGetLastError();
	rc = cf_err_set(err, CF_ERR_USAGE, "applicationHost.config is "
			"not well-formed XML%s%s (line %d)", xe ? ": " : "",
			xe && xe->message ? xe->message : "", xe ? xe->line : 0);
	/* libxml2 messages end with a newline */
	if (err != NULL && (nl = strchr(err->msg, '\n')) != NULL)
		memmove(nl, nl + 1, strlen(nl + 1) + 1);
	return rc;
}

/* One more site in cfg (room grown by doubling in *cap), parsed from s. */
static cf_rc
add_site(struct cf_iis_config *cfg, size_t *cap, xmlNode *s,
	 const struct cf_iis_var *vars, size_t nvars, struct cf_err *err)
{
	size_t n = cfg->nsites;

	if (n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(cfg->sites, nc * sizeof(*cfg->sites));
		if (p == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		cfg->sites = p;
		memset(cfg->sites + *cap, 0, (nc - *cap) * sizeof(*cfg->sites));
		*cap = nc;
	}
	cfg->sites[n].index = n;
	cfg->nsites = n + 1;
	return parse_site(s, &cfg->sites[n], vars, nvars, err);
}

/* Every <site> under <system.applicationHost><sites> of root. */
static cf_rc
parse_sites(xmlNode *root, struct cf_iis_config *cfg,
	    const struct cf_iis_var *vars, size_t nvars, struct cf_err *err)
{
	xmlNode *sah, *sites, *s;
	size_t cap = 0;
	cf_rc rc;

	for (sah = root->children; sah != NULL; sah = sah->next) {
		if (!is_elem(sah, "system.applicationHost"))
			continue;
		for (sites = sah->children; sites != NULL; sites = sites->next) {
			if (!is_elem(sites, "sites"))
				continue;
			for (s = sites->children; s != NULL; s = s->next) {
				if (is_elem(s, "site") && (rc = add_site(cfg,
				    &cap, s, vars, nvars, err)) != CF_OK)
					return rc;
			}
		}
	}
	return CF_OK;
}

cf_rc
cf_iis_config_parse(const char *data, size_t len, const struct cf_iis_var *vars,
		    size_t nvars, struct cf_iis_config **out, struct cf_err *err)
{
	struct cf_iis_config *cfg = NULL;
	struct cf_iis_var *allvars = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root;
	size_t ndef, nall;
	const struct cf_iis_var *def = cf_iis_default_vars(&ndef);
	cf_rc rc = CF_OK;

	*out = NULL;
	if (len > CF_IIS_CONFIG_MAX)
		return cf_err_set(err, CF_ERR_USAGE, "applicationHost.config "
				  "is larger than %u bytes", CF_IIS_CONFIG_MAX);
	if ((rc = xml_ready(err)) != CF_OK)
		return rc;
	nall = ndef + nvars;
	if ((allvars = calloc(nall, sizeof(*allvars))) == NULL ||
	    (cfg = calloc(1, sizeof(*cfg))) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(allvars, def, ndef * sizeof(*def));
	if (nvars > 0)
		memcpy(allvars + ndef, vars, nvars * sizeof(*vars));
	if ((rc = read_doc(data, len, &doc, err)) != CF_OK)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "configuration")) {
		rc = cf_err_set(err, CF_ERR_USAGE, "not an applicationHost.config:"
				" the root element is not <configuration>");
		goto out;
	}
	if ((rc = parse_sites(root, cfg, allvars, nall, err)) != CF_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	xmlFreeDoc(doc);
	cf_iis_config_free(cfg);
	free(allvars);
	return rc;
}

cf_rc
cf_iis_config_load(const char *path, const struct cf_iis_var *vars,
		   size_t nvars, struct cf_iis_config **out, struct cf_err *err)
{
	char *data = NULL;
	size_t len = 0;
	cf_rc rc;

	*out = NULL;
	if ((rc = cf_file_read_input(path, CF_IIS_CONFIG_MAX, &data, &len,
	    err)) != CF_OK)
		return cf_err_wrap(err, "IIS configuration (applicationHost.config)");
	if ((rc = cf_iis_config_parse(data, len, vars, nvars, out, err)) != CF_OK)
		cf_err_wrap(err, "%s", path);
	free(data);
	return rc;
}

const struct cf_iis_site *
cf_iis_site_find(const struct cf_iis_config *c, const char *key)
{
	size_t i;
	const char *p;
	unsigned long id;

	if (c == NULL || key == NULL)
		return NULL;
	for (i = 0; i < c->nsites; i++)
		if (strcasecmp(c->sites[i].name, key) == 0)
			return &c->sites[i];
	for (p = key; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return NULL;
	if (*key == '\0' || strlen(key) > 10)
		return NULL;
	id = strtoul(key, NULL, 10);
	for (i = 0; i < c->nsites; i++)
		if (c->sites[i].id == id)
			return &c->sites[i];
	return NULL;
}

/* ---- host names ---- */

int
cf_iis_host_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char tmp[64];
	size_t l = strlen(host);

	if (inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1)
		return 1;
	if (l > 2 && l < sizeof(tmp) + 2 && host[0] == '[' &&
	    host[l - 1] == ']') {
		memcpy(tmp, host + 1, l - 2);
		tmp[l - 2] = '\0';
		return inet_pton(AF_INET6, tmp, buf) == 1;
	}
	return 0;
}

cf_rc
cf_iis_host_alabel(const char *host, char **out, struct cf_err *err)
{
	const char *rest = host;
	char *ascii = NULL, *res = NULL, *p;
	int wild = 0, r;
	size_t l;
	cf_rc rc;

	*out = NULL;
	if (strncmp(host, "*.", 2) == 0) {
		wild = 1;
		rest = host + 2;
	}
	if (*rest == '\0')
		return cf_err_set(err, CF_ERR_USAGE, "empty host name");
	r = idn2_to_ascii_8z(rest, &ascii, IDN2_NONTRANSITIONAL);
	if (r != IDN2_OK)
		return cf_err_set(err, CF_ERR_USAGE, "host name \"%s\" is not "
				  "a valid (internationalised) DNS name: %s", host,
				  idn2_strerror(r));
	/* UTS #46 maps some characters to ASCII that no host name may hold
	 * (U+00A0 to a space, U+FF0F to '/'), and leaves ASCII unchecked. */
	l = strspn(ascii, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_.");
	if (ascii[l] != '\0' || ascii[0] == '.' || strstr(ascii, "..") != NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE, "host name \"%s\" is not a "
				"DNS name (as \"%s\" it holds characters other than "
				"letters, digits, '-', '_' and '.', or an empty label)",
				host, ascii);
		idn2_free(ascii);
		return rc;
	}
	l = strlen(ascii);
	if ((res = malloc(l + 3)) == NULL) {
		idn2_free(ascii);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	snprintf(res, l + 3, "%s%s", wild ? "*." : "", ascii);
	idn2_free(ascii);
	for (p = res; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	*out = res;
	return CF_OK;
}

void
cf_iis_hosts_free(char **hosts, size_t n)
{
	size_t i;

	if (hosts == NULL)
		return;
	for (i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
}

cf_rc
cf_iis_site_hosts(const struct cf_iis_site *site, const char *filter,
		  char ***hosts, size_t *n, struct cf_err *err)
{
	char **res = NULL, *a = NULL, *lfilter = NULL;
	size_t nres = 0, i, j;
	cf_rc rc = CF_OK;

	*hosts = NULL;
	*n = 0;
	/* Host names are compared in lower case: lower the pattern too. */
	if (filter != NULL) {
		char *p;
		if ((lfilter = strdup(filter)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		for (p = lfilter; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (site->nbindings > 0 &&
	    (res = calloc(site->nbindings, sizeof(*res))) == NULL) {
		free(lfilter);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < site->nbindings; i++) {
		const struct cf_iis_binding *b = &site->bindings[i];
		int dup = 0;

		if (!b->has_info || b->info.host[0] == '\0' ||
		    (strcasecmp(b->protocol, "http") != 0 &&
		    strcasecmp(b->protocol, "https") != 0) ||
		    cf_iis_host_is_ip(b->info.host))
			continue;
		if ((rc = cf_iis_host_alabel(b->info.host, &a, err)) != CF_OK) {
			cf_err_wrap(err, "site \"%s\"", site->name);
			goto out;
		}
		if (lfilter != NULL && fnmatch(lfilter, a, 0) != 0 &&
		    fnmatch(lfilter, b->info.host, 0) != 0) {
			free(a);
			a = NULL;
			continue;
		}
		for (j = 0; j < nres; j++)
			if (strcmp(res[j], a) == 0)
				dup = 1;
		if (dup) {
			free(a);
		} else {
			res[nres++] = a;
		}
		a = NULL;
	}
	*hosts = res;
	*n = nres;
	res = NULL;
out:
	free(a);
	free(lfilter);
	cf_iis_hosts_free(res, nres);
	return rc;
}
