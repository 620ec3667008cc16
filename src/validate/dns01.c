/* dns01.c - see dns01.h */
#include "validate/dns01.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "core/buf.h"
#include "core/log.h"
#include "crypto/jws.h"
#include "validate/dnshook.h"
#include "validate/dnslookup.h"
#include "validate/dnsname.h"
#include "validate/dnsprop.h"
#include "validate/rfc2136.h"
#include "validate/tsig.h"

#define DNS01_TTL 60

/* One published TXT record. */
struct dns01_rec {
	char *identifier;
	char *name;  /* final record name, trailing dot */
	char *value; /* TXT value (public) */
	char *zone;  /* rfc2136: zone the update went to; else NULL */
};

struct dns01_ctx {
	enum cf_dns_provider provider;
	char *server;
	struct cf_tsig_key key; /* name == NULL: no TSIG */
	char *script;
	char *alias_zone;
	char **resolvers;
	size_t nresolvers;
	int propagation_timeout;
	int script_timeout;
	FILE *manual_in;
	FILE *manual_out;
	struct dns01_rec *recs;
	size_t nrecs;
};

/* ---------------------------------------------------------------- */
/* TXT value and record name                                        */
/* ---------------------------------------------------------------- */

cf_rc
cf_dns01_record_name(const char *identifier, const char *alias_zone,
		     char **out, struct cf_err *err)
{
	const char *base;
	size_t len;
	char *s;

	*out = NULL;
	base = alias_zone != NULL && alias_zone[0] != '\0' ? alias_zone :
	    identifier;
	if (base == NULL || base[0] == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: empty identifier");
	if (base == identifier && strncmp(base, "*.", 2) == 0)
		base += 2;
	len = strlen(base);
	if (len > 0 && base[len - 1] == '.')
		len--;
	if (len == 0 || len + sizeof("_acme-challenge..") > 256)
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: cannot make a record name from \"%s\"", base);
	if ((s = malloc(len + sizeof("_acme-challenge.."))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	memcpy(s, "_acme-challenge.", 16);
	memcpy(s + 16, base, len);
	s[16 + len] = '.';
	s[17 + len] = '\0';
	cf_dns_name_normalize(s);
	*out = s;
	return CF_OK;
}

/* ---------------------------------------------------------------- */
/* The method                                                       */
/* ---------------------------------------------------------------- */

static void
rec_free(struct dns01_rec *r)
{
	free(r->identifier);
	free(r->name);
	free(r->value);
	free(r->zone);
	memset(r, 0, sizeof(*r));
}

static cf_rc
run_hook(const struct dns01_ctx *c, const char *action,
	 const struct dns01_rec *rec, struct cf_err *err)
{
	struct cf_dns_hook_call h = { c->script, c->script_timeout, action,
		rec->name, rec->value, rec->identifier };

	return cf_dns_hook_run(&h, err);
}

/* The resolver to look up CNAMEs with (see dns01.h). */
static cf_rc
lookup_resolver(struct dns01_ctx *c, ldns_resolver **r, const char **where,
		struct cf_err *err)
{
	if (c->nresolvers > 0) {
		*where = c->resolvers[0];
		return cf_dns_resolver_for(c->resolvers[0], 1, NULL, r, err);
	}
	if (c->provider == CF_DNS_RFC2136) {
		*where = c->server;
		return cf_dns_resolver_for(c->server, 0, NULL, r, err);
	}
	*where = "the system resolver";
	return cf_dns_resolver_system(r, err);
}

/* Fill rec (name after alias and delegation, value, zone for rfc2136). */
static cf_rc
compute_record(struct dns01_ctx *c, const struct cf_challenge_task *t,
	       struct dns01_rec *rec, struct cf_err *err)
{
	ldns_resolver *r = NULL, *srv = NULL;
	const char *where;
	char *first = NULL;
	cf_rc rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = cf_dns_name_check(t->identifier, 0, err)) != CF_OK)
		goto out;
	if ((rec->identifier = strdup(t->identifier)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_dns01_txt_value(t->key_authorization, &rec->value, err)) != CF_OK)
		goto out;
	if ((rc = cf_dns01_record_name(t->identifier, c->alias_zone, &first,
	    err)) != CF_OK)
		goto out;
	if ((rc = lookup_resolver(c, &r, &where, err)) != CF_OK)
		goto out;
	if ((rc = cf_dns_follow_cname(r, where, first, &rec->name, err)) != CF_OK)
		goto out;
	if (c->provider == CF_DNS_RFC2136) {
		if ((rc = cf_dns_resolver_for(c->server, 0, NULL, &srv, err)) != CF_OK)
			goto out;
		if ((rc = cf_dns_find_zone(srv, c->server, rec->name, &rec->zone,
		    err)) != CF_OK)
			goto out;
	}
out:
	if (rc != CF_OK)
		rec_free(rec);
	free(first);
	cf_dns_resolver_free(r);
	cf_dns_resolver_free(srv);
	return rc;
}

static cf_rc
dns01_present(void *vctx, const struct cf_challenge_task *t,
	      struct cf_err *err)
{
	struct dns01_ctx *c = vctx;
	struct dns01_rec rec, *nr;
	char line[256];
	cf_rc rc;

	if ((rc = compute_record(c, t, &rec, err)) != CF_OK)
		return rc;
	nr = realloc(c->recs, (c->nrecs + 1) * sizeof(*nr));
	if (nr == NULL) {
		rec_free(&rec);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	c->recs = nr;
	switch (c->provider) {
	case CF_DNS_RFC2136:
		rc = cf_rfc2136_update(c->server, &c->key, rec.zone, rec.name,
				       rec.value, DNS01_TTL, 0, err);
		break;
	case CF_DNS_SCRIPT:
		rc = run_hook(c, "create", &rec, err);
		break;
	case CF_DNS_MANUAL:
		fprintf(c->manual_out,
			"Create this DNS TXT record for %s:\n\n"
			"    %s %d IN TXT \"%s\"\n\n"
			"(name: %s  value: %s)\n"
			"Press Enter when the record is in place. ",
			rec.identifier, rec.name, DNS01_TTL, rec.value, rec.name,
			rec.value);
		fflush(c->manual_out);
		if (fgets(line, sizeof(line), c->manual_in) == NULL)
			rc = cf_err_set(err, CF_ERR_USAGE,
					"dns-01: no confirmation read (end of input) "
					"while waiting for the TXT record %s",
					rec.name);
		break;
	default:
		rc = cf_err_set(err, CF_ERR_INTERNAL,
				"dns-01: unknown provider");
	}
	if (rc != CF_OK) {
		rec_free(&rec);
		return rc;
	}
	cf_info("dns-01: published TXT %s \"%s\" for %s", rec.name,
		rec.value, rec.identifier);
	c->recs[c->nrecs++] = rec;
	return CF_OK;
}

static void
dns01_cleanup(void *vctx, const struct cf_challenge_task *t)
{
	struct dns01_ctx *c = vctx;
	struct dns01_rec tmp, *rec = NULL;
	struct cf_err err;
	char *value = NULL;
	size_t i;
	cf_rc rc = CF_OK;

	cf_err_clear(&err);
	if (cf_dns01_txt_value(t->key_authorization, &value, &err) != CF_OK)
		goto out;
	for (i = 0; i < c->nrecs; i++) {
		if (strcmp(c->recs[i].identifier, t->identifier) == 0 &&
		    strcmp(c->recs[i].value, value) == 0) {
			rec = &c->recs[i];
			break;
		}
	}
	if (rec == NULL) {
		/* Not presented by this process (e.g. a cleanup run after a
		 * crash): compute where it would be. */
		if (compute_record(c, t, &tmp, &err) != CF_OK)
			goto out;
		rec = &tmp;
		i = c->nrecs;
	}
	switch (c->provider) {
	case CF_DNS_RFC2136:
		rc = cf_rfc2136_update(c->server, &c->key, rec->zone, rec->name,
				       rec->value, DNS01_TTL, 1, &err);
		break;
	case CF_DNS_SCRIPT:
		rc = run_hook(c, "delete", rec, &err);
		break;
	case CF_DNS_MANUAL:
		fprintf(c->manual_out,
			"You may now remove the DNS TXT record %s \"%s\".\n",
			rec->name, rec->value);
		fflush(c->manual_out);
		break;
	}
	if (rc == CF_OK)
		cf_debug("dns-01: removed TXT %s \"%s\"", rec->name,
			 rec->value);
	rec_free(rec);
	if (i < c->nrecs) {
		memmove(&c->recs[i], &c->recs[i + 1],
			(c->nrecs - i - 1) * sizeof(*c->recs));
		c->nrecs--;
	}
out:
	if (err.rc != CF_OK)
		cf_warn("dns-01: cleanup of %s: %s", t->identifier, err.msg);
	free(value);
}

static cf_rc
dns01_ready(void *vctx, struct cf_err *err)
{
	struct dns01_ctx *c = vctx;
	struct cf_dns_prop p = { (const char *const *)c->resolvers,
		c->nresolvers, c->provider == CF_DNS_RFC2136 ? c->server : NULL,
		c->propagation_timeout };
	double deadline;
	size_t r;
	cf_rc rc;

	if (c->propagation_timeout <= 0 || c->nrecs == 0)
		return CF_OK;
	deadline = cf_dns_prop_deadline(c->propagation_timeout);
	for (r = 0; r < c->nrecs; r++) {
		if ((rc = cf_dns_prop_wait(&p, c->recs[r].name,
		    c->recs[r].value, deadline, err)) != CF_OK)
			return rc;
	}
	return CF_OK;
}

static void
dns01_destroy(void *vctx)
{
	struct dns01_ctx *c = vctx;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nrecs; i++)
		rec_free(&c->recs[i]);
	free(c->recs);
	cf_tsig_key_free(&c->key);
	free(c->server);
	free(c->script);
	free(c->alias_zone);
	for (i = 0; i < c->nresolvers; i++)
		free(c->resolvers[i]);
	free(c->resolvers);
	free(c);
}

/* --dns-alias: checked, without a trailing dot, lower case. */
static cf_rc
set_alias(struct dns01_ctx *c, const char *alias, int *fail,
	  struct cf_err *err)
{
	size_t l;
	cf_rc rc;

	if (alias == NULL)
		return CF_OK;
	if ((c->alias_zone = cf_strdup_opt(alias, fail)) == NULL)
		return CF_OK;
	l = strlen(c->alias_zone);
	if (l > 1 && c->alias_zone[l - 1] == '.')
		c->alias_zone[l - 1] = '\0';
	if ((rc = cf_dns_name_check(c->alias_zone, 0, err)) != CF_OK) {
		cf_err_wrap(err, "--dns-alias");
		return rc;
	}
	cf_dns_name_normalize(c->alias_zone);
	return CF_OK;
}

/* --dns-resolver: each HOST[:PORT] checked and copied. */
static cf_rc
set_resolvers(struct dns01_ctx *c, const struct cf_dns01_config *cfg,
	      int *fail, struct cf_err *err)
{
	char host[CF_DNS_HOSTPORT_MAX];
	int port;
	size_t i;
	cf_rc rc;

	if (cfg->nresolvers == 0)
		return CF_OK;
	if ((c->resolvers = calloc(cfg->nresolvers, sizeof(char *))) == NULL) {
		*fail = 1;
		return CF_OK;
	}
	for (i = 0; i < cfg->nresolvers; i++) {
		if ((rc = cf_dns_hostport_parse(cfg->resolvers[i], host,
		    sizeof(host), &port, err)) != CF_OK) {
			cf_err_wrap(err, "--dns-resolver");
			return rc;
		}
		c->resolvers[i] = cf_strdup_opt(cfg->resolvers[i], fail);
		c->nresolvers++;
	}
	return CF_OK;
}

/* What each back end needs: rfc2136 a server (and the key read now),
 * script a command, manual an input and an output. */
static cf_rc
check_provider(struct dns01_ctx *c, const struct cf_dns01_config *cfg,
	       struct cf_err *err)
{
	char host[CF_DNS_HOSTPORT_MAX];
	int port;
	cf_rc rc;

	switch (cfg->provider) {
	case CF_DNS_RFC2136:
		if (c->server == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "--dns rfc2136 needs --dns-server HOST[:PORT] "
					  "(the primary name server that accepts updates)");
		if ((rc = cf_dns_hostport_parse(c->server, host, sizeof(host),
		    &port, err)) != CF_OK) {
			cf_err_wrap(err, "--dns-server");
			return rc;
		}
		if (cfg->tsig_key_file != NULL)
			return cf_tsig_key_load(cfg->tsig_key_file, &c->key,
						err);
		return CF_OK;
	case CF_DNS_SCRIPT:
		if (c->script == NULL || c->script[0] == '\0')
			return cf_err_set(err, CF_ERR_USAGE,
					  "--dns script needs --dns-script CMD");
		return CF_OK;
	case CF_DNS_MANUAL:
		if (c->manual_in == NULL || c->manual_out == NULL)
			return cf_err_set(err, CF_ERR_INTERNAL,
					  "--dns manual needs an input and an output");
		return CF_OK;
	}
	return cf_err_set(err, CF_ERR_USAGE,
			  "unknown DNS provider: use rfc2136, script or manual");
}

cf_rc
cf_dns01_validator_new(const struct cf_dns01_config *cfg,
		       struct cf_validator *out, struct cf_err *err)
{
	struct dns01_ctx *c = NULL;
	int fail = 0;
	cf_rc rc = CF_OK;

	memset(out, 0, sizeof(*out));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	c->provider = cfg->provider;
	c->propagation_timeout = cfg->propagation_timeout;
	c->script_timeout = cfg->script_timeout;
	c->manual_in = cfg->manual_in;
	c->manual_out = cfg->manual_out;
	c->server = cf_strdup_opt(cfg->server, &fail);
	c->script = cf_strdup_opt(cfg->script, &fail);
	if ((rc = set_alias(c, cfg->alias_zone, &fail, err)) != CF_OK ||
	    (rc = set_resolvers(c, cfg, &fail, err)) != CF_OK)
		goto out;
	if (fail) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (cfg->propagation_timeout < 0 || cfg->script_timeout < 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"dns-01: timeouts must not be negative");
		goto out;
	}
	if ((rc = check_provider(c, cfg, err)) != CF_OK)
		goto out;
	*out = (struct cf_validator){ .challenge_type = "dns-01", .ctx = c,
		.present = dns01_present, .ready = dns01_ready,
		.cleanup = dns01_cleanup, .destroy = dns01_destroy };
	c = NULL;
out:
	dns01_destroy(c);
	return rc;
}
