/* rfc2136.c - see rfc2136.h */
#include "validate/rfc2136.h"

#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/crypto.h>

#include "core/log.h"
#include "validate/dnslookup.h"

#define RFC2136_TSIG_FUDGE 300

static int
rcode_is_auth_failure(ldns_pkt_rcode rc)
{
	/* BADSIG/BADKEY travel in the TSIG RR and show as NOTAUTH. */
	return rc == LDNS_RCODE_NOTAUTH || rc == LDNS_RCODE_REFUSED;
}

static int
key_given(const struct cf_tsig_key *key)
{
	return key != NULL && key->name != NULL;
}

/* The TXT RR to add, or (del) the "delete this RR" form of it. */
static cf_rc
build_rr(const char *name, const char *value, int ttl, int del,
	 ldns_rr **out, struct cf_err *err)
{
	char rrtext[600];
	ldns_status st;

	*out = NULL;
	snprintf(rrtext, sizeof(rrtext), "%s %d IN TXT \"%s\"", name, ttl,
		 value);
	st = ldns_rr_new_frm_str(out, rrtext, 0, NULL, NULL);
	OPENSSL_cleanse(rrtext, sizeof(rrtext));
	if (st != LDNS_STATUS_OK)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "dns-01: cannot build the TXT record %s: %s", name,
				  ldns_get_errorstr_by_id(st));
	if (del) {
		/* RFC 2136 §2.5.4: delete an RR from an RRset. */
		ldns_rr_set_class(*out, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(*out, 0);
	}
	return CF_OK;
}

/* The update message for zone holding rr (taken), signed when key is
 * given. */
static cf_rc
build_update(const char *zone, ldns_rr *rr, const struct cf_tsig_key *key,
	     ldns_pkt **out, struct cf_err *err)
{
	ldns_rdf *zrdf = NULL;
	ldns_rr_list *up = NULL;
	ldns_status st;
	char alg[32];
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((up = ldns_rr_list_new()) == NULL ||
	    (zrdf = ldns_dname_new_frm_str(zone)) == NULL ||
	    !ldns_rr_list_push_rr(up, rr)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rr = NULL; /* owned by up */
	if ((*out = ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, NULL, up,
	    NULL)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	zrdf = NULL; /* owned by *out; up is copied */
	ldns_pkt_set_random_id(*out);
	if (!key_given(key))
		goto out;
	snprintf(alg, sizeof(alg), "%s.", key->algorithm);
	st = ldns_pkt_tsig_sign(*out, key->name, key->secret,
				RFC2136_TSIG_FUDGE, alg, NULL);
	if (st != LDNS_STATUS_OK)
		rc = cf_err_set(err, CF_ERR_CRYPTO,
				"dns-01: cannot sign the update with the TSIG key %s: %s",
				key->name, ldns_get_errorstr_by_id(st));
out:
	ldns_rr_free(rr);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(zrdf);
	return rc;
}

/* What the server's answer (st, ans) to "what name in zone" means. */
static cf_rc
check_answer(const char *server, ldns_status st, ldns_pkt *ans,
	     const char *what, const char *name, const char *zone,
	     struct cf_err *err)
{
	ldns_pkt_rcode rcode;
	ldns_lookup_table *lt;

	if (ans != NULL && rcode_is_auth_failure(ldns_pkt_get_rcode(ans)))
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: the DNS server %s refused the update (%s) to %s "
				  "in zone %s: check the TSIG key name/secret and the "
				  "zone's update policy", server,
				  ldns_pkt_get_rcode(ans) == LDNS_RCODE_NOTAUTH ?
				  "NOTAUTH: bad or unknown TSIG key" : "REFUSED", what, zone);
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS)
		/* A server that does not know the key or finds a bad
		 * signature answers NOTAUTH unsigned (RFC 8945 §5.3.2);
		 * ldns reports that as a bogus answer signature. */
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: the DNS server %s refused the update (%s %s in "
				  "zone %s; its answer has no valid TSIG signature): check "
				  "the TSIG key name/secret and the zone's update policy",
				  server, what, name, zone);
	if (st != LDNS_STATUS_OK || ans == NULL)
		return cf_err_set(err, CF_ERR_NET,
				  "dns-01: sending the update (%s %s) to %s failed: %s",
				  what, name, server, ldns_get_errorstr_by_id(st));
	rcode = ldns_pkt_get_rcode(ans);
	if (rcode == LDNS_RCODE_NOERROR)
		return CF_OK;
	lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);
	return cf_err_set(err, CF_ERR_PROTO,
			  "dns-01: the DNS server %s answered the update (%s %s in "
			  "zone %s) with %s", server, what, name, zone,
			  lt != NULL ? lt->name : "an unknown rcode");
}

cf_rc
cf_rfc2136_update(const char *server, const struct cf_tsig_key *key,
		  const char *zone, const char *name, const char *value,
		  int ttl, int del, struct cf_err *err)
{
	ldns_resolver *r = NULL;
	ldns_rr *rr = NULL;
	ldns_pkt *q = NULL, *ans = NULL;
	ldns_status st;
	const char *what = del ? "delete" : "add";
	cf_rc rc;

	if ((rc = cf_dns_resolver_for(server, 0, key, &r, err)) != CF_OK)
		goto out;
	if ((rc = build_rr(name, value, ttl, del, &rr, err)) != CF_OK)
		goto out;
	rc = build_update(zone, rr, key, &q, err);
	rr = NULL; /* taken by build_update */
	if (rc != CF_OK)
		goto out;
	st = ldns_resolver_send_pkt(&ans, r, q);
	if ((rc = check_answer(server, st, ans, what, name, zone, err)) !=
	    CF_OK)
		goto out;
	cf_debug("dns-01: %s TXT %s \"%s\" in zone %s at %s: done",
		 what, name, value, zone, server);
out:
	ldns_rr_free(rr);
	ldns_pkt_free(q);
	ldns_pkt_free(ans);
	cf_dns_resolver_free(r);
	return rc;
}
