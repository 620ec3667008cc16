/* plan.c - see plan.h */
#include "iis/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

void
cf_iis_plan_free(struct cf_iis_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].host);
		free(p->items[i].binding_information);
		free(p->items[i].site_name);
	}
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->items);
	free(p->site_name);
	free(p);
}

static cf_rc
add_note(struct cf_iis_plan *p, struct cf_err *err, const char *fmt, ...)
	CF_PRINTF(3, 4);

static cf_rc
add_note(struct cf_iis_plan *p, struct cf_err *err, const char *fmt, ...)
{
	char buf[1024], **nn;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((nn = realloc(p->notes, (p->nnotes + 1) * sizeof(*nn))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->notes = nn;
	if ((nn[p->nnotes] = strdup(buf)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->nnotes++;
	return CF_OK;
}

static int
is_web(const struct cf_iis_binding *b)
{
	return b->has_info && (strcasecmp(b->protocol, "http") == 0 ||
			       strcasecmp(b->protocol, "https") == 0);
}

static int
is_https(const struct cf_iis_binding *b)
{
	return b->has_info && strcasecmp(b->protocol, "https") == 0;
}

/* A-label of a binding's host, or NULL when it has none or it is bad. */
static char *
binding_alabel(const struct cf_iis_binding *b)
{
	char *a = NULL;

	if (!b->has_info || b->info.host[0] == '\0' ||
	    cf_iis_host_alabel(b->info.host, &a, NULL) != CF_OK)
		return NULL;
	return a;
}

/* 1 when a CCS binding host bh (A-label, maybe "*.x") serves host h. */
static int
host_covers(const char *bh, const char *h)
{
	const char *dot;

	if (strcmp(bh, h) == 0)
		return 1;
	if (strncmp(bh, "*.", 2) != 0 || strncmp(h, "*.", 2) == 0)
		return 0;
	dot = strchr(h, '.');
	return dot != NULL && dot != h && strcmp(dot + 1, bh + 2) == 0;
}

static int
same_ip(const struct cf_iis_binding_info *a, const struct cf_iis_binding_info *b)
{
	return a->ip_is_v6 == b->ip_is_v6 && strcasecmp(a->ip, b->ip) == 0;
}

/* 1 when the binding's host is h (A-label). */
static int
binding_is_host(const struct cf_iis_binding *b, const char *h)
{
	char *bh = binding_alabel(b);
	int same = bh != NULL && strcmp(bh, h) == 0;

	free(bh);
	return same;
}

/* The site among sites[0..n) with an http/https binding of host h
 * (A-label), else sites[0]. */
static const struct cf_iis_site *
owner_site(const struct cf_iis_site *const *sites, size_t n, const char *h)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t j = 0; j < sites[k]->nbindings; j++) {
			if (is_web(&sites[k]->bindings[j]) &&
			    binding_is_host(&sites[k]->bindings[j], h))
				return sites[k];
		}
	}
	return sites[0];
}

static cf_rc
item_dup(struct cf_iis_plan_item *it, const struct cf_iis_site *site,
	 const char *bi, struct cf_err *err)
{
	it->site_index = site->index;
	it->site_id = site->id;
	if ((it->binding_information = strdup(bi)) == NULL ||
	    (it->site_name = strdup(site->name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* Notes about the https bindings of site certferry will not touch. */
static cf_rc
site_notes(struct cf_iis_plan *p, const struct cf_iis_site *site,
	   unsigned https_port, unsigned flags, struct cf_err *err)
{
	cf_rc rc = CF_OK;

	for (size_t j = 0; j < site->nbindings && rc == CF_OK; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (!is_https(b) || b->info.port != https_port ||
		    b->info.host[0] != '\0')
			continue;
		if (!(flags & CF_IIS_PLAN_F_MIGRATE) || (b->ssl_flags &
		    CF_IIS_SSL_CCS))
			rc = add_note(p, err, "site \"%s\" has the default "
				      "https binding %s without a host name: its "
				      "certificate is the HTTP.sys certificate for that "
				      "IP:port, which certferry does not manage; host "
				      "names get SNI+CCS bindings instead", site->name,
				      b->binding_information);
		else
			rc = add_note(p, err, "site \"%s\": the https binding "
				      "%s has no host name (non-SNI, sslFlags %lu) and is "
				      "not changed: CCS finds a certificate by host name. "
				      "Clients reach the site's host names through their "
				      "SNI+CCS bindings; remove %s in IIS once no client "
				      "without SNI needs it (its certificate stays in "
				      "HTTP.sys: netsh http show sslcert ipport=%s:%u)",
				      site->name, b->binding_information,
				      b->ssl_flags, b->binding_information,
				      strcmp(b->info.ip, "*") == 0 ? "0.0.0.0" :
				      b->info.ip, b->info.port);
	}
	return rc;
}

/* 1. A CCS binding on https_port anywhere that serves h: its site in
 * *fs, or NULL. */
static const struct cf_iis_binding *
ccs_cover(const struct cf_iis_config *c, const char *h, unsigned https_port,
	  const struct cf_iis_site **fs)
{
	for (size_t k = 0; k < c->nsites; k++) {
		for (size_t j = 0; j < c->sites[k].nbindings; j++) {
			const struct cf_iis_binding *b = &c->sites[k].bindings[j];
			char *bh;
			int covers;
			if (!is_https(b) || b->info.port != https_port ||
			    !(b->ssl_flags & CF_IIS_SSL_CCS))
				continue;
			bh = binding_alabel(b);
			covers = bh != NULL && host_covers(bh, h);
			free(bh);
			if (covers) {
				*fs = &c->sites[k];
				return b;
			}
		}
	}
	return NULL;
}

/* 2. The https binding of h on https_port in site (its position in *fj:
 * HTTP.sys holds its certificate unless it has CCS), or NULL. */
static const struct cf_iis_binding *
site_https(const struct cf_iis_site *site, const char *h, unsigned https_port,
	   size_t *fj)
{
	for (size_t j = 0; j < site->nbindings; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (is_https(b) && b->info.port == https_port &&
		    binding_is_host(b, h)) {
			*fj = j;
			return b;
		}
	}
	return NULL;
}

/* The HTTPSYS item, or MIGRATE with CF_IIS_PLAN_F_MIGRATE, for the https
 * binding fb (at fj in site). */
static cf_rc
plan_httpsys(struct cf_iis_plan *p, struct cf_iis_plan_item *it,
	     const struct cf_iis_site *site, const struct cf_iis_binding *fb,
	     size_t fj, unsigned flags, struct cf_err *err)
{
	it->binding_index = fj;
	it->old_ssl_flags = fb->ssl_flags;
	if (flags & CF_IIS_PLAN_F_MIGRATE) {
		it->action = CF_IIS_PLAN_MIGRATE;
		it->ssl_flags = fb->ssl_flags | CF_IIS_SSL_CCS | CF_IIS_SSL_SNI;
		p->nmigrate++;
	} else {
		it->action = CF_IIS_PLAN_HTTPSYS;
		it->ssl_flags = fb->ssl_flags;
		p->nhttpsys++;
	}
	return item_dup(it, site, fb->binding_information, err);
}

/* 3. The binding to add for host (A-label h) in site: on the IP and with
 * the host as written of the site's http binding of h, else "*" and
 * host. */
static cf_rc
new_binding(const struct cf_iis_site *site, const char *host, const char *h,
	    unsigned https_port, struct cf_iis_binding_info *want,
	    struct cf_err *err)
{
	const struct cf_iis_binding *httpb = NULL;
	const char *written = host;

	for (size_t j = 0; j < site->nbindings && httpb == NULL; j++) {
		const struct cf_iis_binding *b = &site->bindings[j];
		if (is_web(b) && strcasecmp(b->protocol, "http") == 0 &&
		    binding_is_host(b, h))
			httpb = b;
	}
	memset(want, 0, sizeof(*want));
	snprintf(want->ip, sizeof(want->ip), "*");
	if (httpb != NULL) {
		written = httpb->info.host;
		if (strcmp(httpb->info.ip, "*") != 0) {
			memcpy(want->ip, httpb->info.ip, sizeof(want->ip));
			want->ip_is_v6 = httpb->info.ip_is_v6;
		}
	}
	want->port = https_port;
	if (strlen(written) >= sizeof(want->host))
		return cf_err_set(err, CF_ERR_USAGE, "host name too long");
	strcpy(want->host, written);
	return CF_OK;
}

/* 4. The same IP:port:host in another site is a conflict. */
static cf_rc
check_clash(const struct cf_iis_config *c, const struct cf_iis_site *site,
	    const char *host, const char *h,
	    const struct cf_iis_binding_info *want, struct cf_err *err)
{
	for (size_t k = 0; k < c->nsites; k++) {
		if (&c->sites[k] == site)
			continue;
		for (size_t j = 0; j < c->sites[k].nbindings; j++) {
			const struct cf_iis_binding *b = &c->sites[k].bindings[j];
			if (!is_web(b) || b->info.port != want->port ||
			    !same_ip(&b->info, want) || !binding_is_host(b, h))
				continue;
			return cf_err_set(err, CF_ERR_USAGE, "cannot bind %s to "
					  "site \"%s\": site \"%s\" (id %lu) already has "
					  "the %s binding %s; remove it there first or leave "
					  "%s out", host, site->name, c->sites[k].name,
					  c->sites[k].id, b->protocol,
					  b->binding_information, host);
		}
	}
	return CF_OK;
}

/* The ADD item it (the last of p) for binding bi, COVERED when an earlier
 * item adds the same binding (two names written alike). */
static cf_rc
plan_add(struct cf_iis_plan *p, struct cf_iis_plan_item *it,
	 const struct cf_iis_site *site, const char *bi, struct cf_err *err)
{
	size_t j;
	cf_rc rc;

	it->action = CF_IIS_PLAN_ADD;
	it->ssl_flags = CF_IIS_NEW_SSL_FLAGS;
	if ((rc = item_dup(it, site, bi, err)) != CF_OK)
		return rc;
	for (j = 0; j + 1 < p->n; j++)
		if (p->items[j].action == CF_IIS_PLAN_ADD &&
		    p->items[j].site_index == site->index &&
		    strcmp(p->items[j].binding_information, bi) == 0)
			break;
	if (j + 1 < p->n)
		it->action = CF_IIS_PLAN_COVERED;
	else
		p->nadd++;
	return CF_OK;
}

/* Plan host hosts[i] (A-label h) in site: the body of cf_iis_plan_sites. */
static cf_rc
plan_host(struct cf_iis_plan *p, const struct cf_iis_config *c,
	  const struct cf_iis_site *site, const char *host, const char *h,
	  unsigned https_port, unsigned flags, struct cf_err *err)
{
	struct cf_iis_plan_item *it = &p->items[p->n];
	const struct cf_iis_site *fs = NULL;
	const struct cf_iis_binding *fb;
	struct cf_iis_binding_info want;
	char bi[600];
	size_t fj = 0;
	cf_rc rc;

	if ((it->host = strdup(host)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	p->n++;
	it->port = https_port;
	if ((fb = ccs_cover(c, h, https_port, &fs)) != NULL) {
		it->action = CF_IIS_PLAN_COVERED;
		it->ssl_flags = fb->ssl_flags;
		return item_dup(it, fs, fb->binding_information, err);
	}
	if ((fb = site_https(site, h, https_port, &fj)) != NULL)
		return plan_httpsys(p, it, site, fb, fj, flags, err);
	if ((rc = new_binding(site, host, h, https_port, &want, err)) != CF_OK)
		return rc;
	if (cf_iis_binding_info_format(&want, bi, sizeof(bi)) != 0)
		return cf_err_set(err, CF_ERR_USAGE, "binding too long");
	if ((rc = check_clash(c, site, host, h, &want, err)) != CF_OK)
		return rc;
	return plan_add(p, it, site, bi, err);
}

const char *
cf_iis_plan_action_name(enum cf_iis_plan_action a)
{
	static const char *const names[] = {
		[CF_IIS_PLAN_ADD] = "add",
		[CF_IIS_PLAN_COVERED] = "covered",
		[CF_IIS_PLAN_HTTPSYS] = "HTTP.sys",
		[CF_IIS_PLAN_MIGRATE] = "migrate",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
		       CF_IIS_PLAN_ACTION_COUNT, "one name per action");

	return (unsigned)a < CF_IIS_PLAN_ACTION_COUNT ? names[a] : "?";
}

cf_rc
cf_iis_plan_sites(const struct cf_iis_config *c,
		  const struct cf_iis_site *const *sites, size_t nsites,
		  const char *const *hosts, size_t n, unsigned https_port,
		  unsigned flags, struct cf_iis_plan **out, struct cf_err *err)
{
	struct cf_iis_plan *p = NULL;
	struct cf_buf names;
	char *h = NULL;
	cf_rc rc = CF_OK;

	*out = NULL;
	cf_buf_init(&names, 1u << 20);
	if (nsites == 0)
		return cf_err_set(err, CF_ERR_USAGE, "no IIS site to bind to");
	if (n == 0)
		return cf_err_set(err, CF_ERR_USAGE, "site \"%s\": no host names "
				  "to bind; a CCS binding needs a host name (IIS looks up "
				  "HOST.pfx): give the site host-name bindings or name the "
				  "domains", sites[0]->name);
	for (size_t k = 0; k < nsites; k++)
		if ((k > 0 && cf_buf_appends(&names, ", ") != CF_OK) ||
		    cf_buf_appends(&names, sites[k]->name) != CF_OK)
			goto nomem;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->items = calloc(n, sizeof(*p->items))) == NULL ||
	    (p->site_name = cf_buf_steal(&names)) == NULL)
		goto nomem;
	p->site_index = sites[0]->index;
	for (size_t k = 0; k < c->nsites && !p->ccs_record_known; k++)
		for (size_t j = 0; j < c->sites[k].nbindings; j++)
			if (is_https(&c->sites[k].bindings[j]) &&
			    c->sites[k].bindings[j].info.port == https_port &&
			    (c->sites[k].bindings[j].ssl_flags & CF_IIS_SSL_CCS))
				p->ccs_record_known = 1;
	for (size_t k = 0; k < nsites; k++)
		if ((rc = site_notes(p, sites[k], https_port, flags, err)) !=
		    CF_OK)
			goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = cf_iis_host_alabel(hosts[i], &h, err)) != CF_OK ||
		    (rc = plan_host(p, c, owner_site(sites, nsites, h), hosts[i],
		    h, https_port, flags, err)) != CF_OK)
			goto out;
		free(h);
		h = NULL;
	}
	*out = p;
	p = NULL;
	goto out;
nomem:
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	cf_buf_free(&names);
	free(h);
	cf_iis_plan_free(p);
	return rc;
}

cf_rc
cf_iis_plan(const struct cf_iis_config *c, const struct cf_iis_site *site,
	    const char *const *hosts, size_t n, unsigned https_port,
	    struct cf_iis_plan **out, struct cf_err *err)
{
	return cf_iis_plan_sites(c, &site, 1, hosts, n, https_port, 0, out, err);
}

/* 1 when site has an http or https binding. */
static int
is_web_site(const struct cf_iis_site *s)
{
	for (size_t j = 0; j < s->nbindings; j++)
		if (is_web(&s->bindings[j]))
			return 1;
	return 0;
}

cf_rc
cf_iis_sites_select(const struct cf_iis_config *c, const char *const *keys,
		    size_t nkeys, const struct cf_iis_site ***out, size_t *n,
		    struct cf_err *err)
{
	const struct cf_iis_site **v;
	size_t nv = 0;

	*out = NULL;
	*n = 0;
	if ((v = calloc(c->nsites + 1, sizeof(*v))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nkeys; i++) {
		const struct cf_iis_site *s = NULL;
		int all = strcmp(keys[i], "*") == 0;
		if (!all && (s = cf_iis_site_find(c, keys[i])) == NULL) {
			free(v);
			return cf_err_set(err, CF_ERR_NOTFOUND, "no IIS site "
					  "\"%s\" (list them with: certferry iis sites "
					  "--config FILE)", keys[i]);
		}
		for (size_t k = 0; k < c->nsites; k++) {
			const struct cf_iis_site *t = &c->sites[k];
			size_t j;
			if (all ? !is_web_site(t) : t != s)
				continue;
			for (j = 0; j < nv && v[j] != t; j++)
				;
			if (j == nv)
				v[nv++] = t;
		}
	}
	*out = v;
	*n = nv;
	return CF_OK;
}

cf_rc
cf_iis_plan_verify(const struct cf_iis_config *c, const struct cf_iis_plan *p,
		   struct cf_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct cf_iis_plan_item *it = &p->items[i];
		const struct cf_iis_site *s;
		int found = 0;

		if (it->binding_information == NULL || it->site_name == NULL)
			continue;
		s = cf_iis_site_find(c, it->site_name);
		for (size_t j = 0; s != NULL && j < s->nbindings && !found; j++) {
			const struct cf_iis_binding *b = &s->bindings[j];
			found = strcasecmp(b->protocol, "https") == 0 &&
			    strcmp(b->binding_information,
				   it->binding_information) == 0 &&
			    ((it->action != CF_IIS_PLAN_ADD &&
			     it->action != CF_IIS_PLAN_MIGRATE) ||
			     (b->ssl_flags & it->ssl_flags) == it->ssl_flags);
		}
		if (!found)
			return cf_err_set(err, CF_ERR_NOTFOUND, "the https "
					  "binding %s of site \"%s\" (for %s) is not in the "
					  "file", it->binding_information, it->site_name,
					  it->host);
	}
	return CF_OK;
}

