/* dnslookup.c - see dnslookup.h */
#include "validate/dnslookup.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "core/log.h"
#include "validate/dnsname.h"

#define DNS_CNAME_MAX 8

/* Split HOST[:PORT] / [V6]:PORT / bare V6 into host and port. */
cf_rc
cf_dns_hostport_parse(const char *s, char *host, size_t hostsz, int *port,
		      struct cf_err *err)
{
	const char *h = s, *colon = NULL, *end;
	size_t hlen;
	char *ep;
	long v;

	*port = 53;
	if (s == NULL || s[0] == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "empty DNS server address: give HOST[:PORT]");
	if (s[0] == '[') {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS server \"%s\": missing ']'", s);
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] != '\0')
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS server \"%s\": expected [ADDRESS]:PORT", s);
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* bare IPv6 address */
		end = colon != NULL ? colon : s + strlen(s);
	}
	hlen = (size_t)(end - h);
	if (hlen == 0 || hlen >= hostsz)
		return cf_err_set(err, CF_ERR_USAGE,
				  "DNS server \"%s\": bad host part", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (colon != NULL) {
		errno = 0;
		v = strtol(colon + 1, &ep, 10);
		if (colon[1] == '\0' || *ep != '\0' || errno != 0 || v < 1 ||
		    v > 65535)
			return cf_err_set(err, CF_ERR_USAGE,
					  "DNS server \"%s\": the port must be a number "
					  "from 1 to 65535", s);
		*port = (int)v;
	}
	return CF_OK;
}

/*
 * A resolver that sends to one server (host resolved with getaddrinfo).
 * rd: set the recursion-desired bit.  key: TSIG key to verify answers
 * with, or NULL.
 */
cf_rc
cf_dns_resolver_for(const char *hostport, int rd,
		    const struct cf_tsig_key *key, ldns_resolver **out,
		    struct cf_err *err)
{
	char host[CF_DNS_HOSTPORT_MAX], addr[INET6_ADDRSTRLEN];
	struct addrinfo hints, *ai = NULL;
	ldns_resolver *r = NULL;
	ldns_rdf *ns = NULL;
	struct timeval tv = { 3, 0 };
	int port, gai;
	cf_rc rc;

	*out = NULL;
	if ((rc = cf_dns_hostport_parse(hostport, host, sizeof(host), &port, err)) !=
	    CF_OK)
		return rc;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if ((gai = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		rc = cf_err_set(err, CF_ERR_NET,
				"cannot resolve the DNS server name \"%s\": %s", host,
				gai_strerror(gai));
		goto out;
	}
	if (ai->ai_family == AF_INET) {
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr,
			  addr, sizeof(addr));
		ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	} else {
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
			  addr, sizeof(addr));
		ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, addr);
	}
	if (ns == NULL || (r = ldns_resolver_new()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ldns_resolver_push_nameserver(r, ns) != LDNS_STATUS_OK) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	ldns_resolver_set_port(r, (uint16_t)port);
	ldns_resolver_set_recursive(r, rd != 0);
	ldns_resolver_set_dnssec(r, false);
	ldns_resolver_set_random(r, false);
	ldns_resolver_set_timeout(r, tv);
	ldns_resolver_set_retry(r, 2);
	ldns_resolver_set_fallback(r, true);
	if (key != NULL && key->name != NULL) {
		ldns_resolver_set_tsig_keyname(r, key->name);
		ldns_resolver_set_tsig_keydata(r, key->secret);
		ldns_resolver_set_tsig_algorithm(r, key->algorithm);
	}
	*out = r;
	r = NULL;
	rc = CF_OK;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	ldns_rdf_deep_free(ns);
	if (r != NULL)
		ldns_resolver_deep_free(r);
	return rc;
}

/* Free a resolver, wiping the TSIG secret copy ldns keeps. */
void
cf_dns_resolver_free(ldns_resolver *r)
{
	char *kd;

	if (r == NULL)
		return;
	kd = (char *)(uintptr_t)ldns_resolver_tsig_keydata(r);
	if (kd != NULL)
		OPENSSL_cleanse(kd, strlen(kd));
	ldns_resolver_deep_free(r);
}

/* The system's recursive resolver (/etc/resolv.conf). */
cf_rc
cf_dns_resolver_system(ldns_resolver **out, struct cf_err *err)
{
	ldns_status st;

	*out = NULL;
	st = ldns_resolver_new_frm_file(out, NULL);
	if (st != LDNS_STATUS_OK)
		return cf_err_set(err, CF_ERR_NET,
				  "cannot set up the system DNS resolver from "
				  "/etc/resolv.conf: %s (give --dns-resolver)",
				  ldns_get_errorstr_by_id(st));
	ldns_resolver_set_dnssec(*out, false);
	return CF_OK;
}

/* Send one query; *out is the answer (any rcode) or NULL on error. */
cf_rc
cf_dns_query(ldns_resolver *r, const char *name, ldns_rr_type type,
	     const char *where, ldns_pkt **out, struct cf_err *err)
{
	ldns_rdf *dname = NULL;
	ldns_status st;
	uint16_t flags;

	*out = NULL;
	if ((dname = ldns_dname_new_frm_str(name)) == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "\"%s\" is not a valid DNS name", name);
	flags = ldns_resolver_recursive(r) ? LDNS_RD : 0;
	st = ldns_resolver_send(out, r, dname, type, LDNS_RR_CLASS_IN, flags);
	ldns_rdf_deep_free(dname);
	if (st != LDNS_STATUS_OK || *out == NULL) {
		ldns_pkt_free(*out);
		*out = NULL;
		return cf_err_set(err, CF_ERR_NET,
				  "DNS query for %s %s at %s failed: %s", name,
				  type == LDNS_RR_TYPE_TXT ? "TXT" : type ==
				  LDNS_RR_TYPE_SOA ? "SOA" : type == LDNS_RR_TYPE_NS ? "NS" :
				  "CNAME", where,
				  ldns_get_errorstr_by_id(st));
	}
	return CF_OK;
}

int
cf_dns_dname_eq(const ldns_rdf *d, const char *name)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	int eq;

	if (n == NULL)
		return 0;
	eq = ldns_dname_compare(d, n) == 0;
	ldns_rdf_deep_free(n);
	return eq;
}

/* dname as malloc'd text with trailing dot, lower case. */
char *
cf_dns_dname_str(const ldns_rdf *d)
{
	char *s = ldns_rdf2str(d), *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	free(s);
	cf_dns_name_normalize(c);
	return c;
}

/* The parent of a name with trailing dot ("a.b." -> "b."), or NULL at
 * the root. */
static const char *
parent_name(const char *name)
{
	const char *p = strchr(name, '.');

	if (p == NULL || p[1] == '\0')
		return NULL;
	return p + 1;
}

/* The CNAME target of cur in an answer: *next malloc'd, or NULL when
 * the answer has no CNAME owned by cur. */
static cf_rc
cname_target(ldns_pkt *pkt, const char *cur, char **next, struct cf_err *err)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t i;

	*next = NULL;
	for (i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    cf_dns_dname_eq(ldns_rr_owner(rr), cur) &&
		    ldns_rr_rd_count(rr) == 1) {
			if ((*next = cf_dns_dname_str(ldns_rr_rdf(rr, 0))) ==
			    NULL)
				return cf_err_set(err, CF_ERR_NOMEM,
						  "out of memory");
			break;
		}
	}
	return CF_OK;
}

/* After a hop to cur: a loop back to a name seen, or one hop too many. */
static cf_rc
check_chain(char *const *seen, size_t nseen, const char *cur,
	    const char *name, struct cf_err *err)
{
	size_t j;

	for (j = 0; j < nseen; j++) {
		if (strcmp(seen[j], cur) == 0)
			return cf_err_set(err, CF_ERR_USAGE,
					  "dns-01: CNAME loop: %s points back to %s;"
					  " fix the CNAME records of %s", seen[nseen - 1],
					  cur, name);
	}
	if (nseen >= DNS_CNAME_MAX)
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: the CNAME chain from %s is longer than %d"
				  " hops; point %s closer to the record's zone",
				  name, DNS_CNAME_MAX, name);
	return CF_OK;
}

cf_rc
cf_dns_follow_cname(ldns_resolver *r, const char *where, const char *name,
		    char **out, struct cf_err *err)
{
	char *seen[DNS_CNAME_MAX + 1];
	size_t nseen = 0, i;
	char *cur = NULL, *next;
	ldns_pkt *pkt = NULL;
	struct cf_err qerr;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((cur = strdup(name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (;;) {
		if (cf_dns_query(r, cur, LDNS_RR_TYPE_CNAME, where, &pkt, &qerr)
		    != CF_OK) {
			/* Not fatal: the back end may still be able to write
			 * the record (a manual or scripted setup without
			 * working DNS here); the propagation check or the CA
			 * will tell if the name was wrong. */
			cf_warn("dns-01: cannot check whether %s is a CNAME "
				"(%s); using it as the record name", cur,
				qerr.msg);
			break;
		}
		rc = cname_target(pkt, cur, &next, err);
		ldns_pkt_free(pkt);
		pkt = NULL;
		if (rc != CF_OK)
			goto out;
		if (next == NULL)
			break;
		cf_debug("dns-01: %s is a CNAME for %s", cur, next);
		seen[nseen++] = cur;
		cur = next;
		if ((rc = check_chain(seen, nseen, cur, name, err)) != CF_OK)
			goto out;
	}
	*out = cur;
	cur = NULL;
out:
	ldns_pkt_free(pkt);
	free(cur);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	return rc;
}

/*
 * Find the zone that holds name by walking up its labels asking r for the
 * SOA: an SOA in the answer owned by the name asked (authoritative), or an
 * SOA in the authority section (its owner is the zone).
 */
cf_rc
cf_dns_find_zone(ldns_resolver *r, const char *where, const char *name,
		 char **out, struct cf_err *err)
{
	const char *cur;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *l;
	ldns_pkt_rcode rcode;
	size_t i;
	cf_rc rc = CF_OK;
	struct cf_err qerr;
	int asked = 0;

	*out = NULL;
	cf_err_clear(&qerr);
	for (cur = name; cur != NULL; cur = parent_name(cur)) {
		if (cf_dns_query(r, cur, LDNS_RR_TYPE_SOA, where, &pkt, &qerr) !=
		    CF_OK)
			continue;
		asked++;
		rcode = ldns_pkt_get_rcode(pkt);
		if (rcode == LDNS_RCODE_NOERROR) {
			l = ldns_pkt_answer(pkt);
			for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l);
			    i++) {
				ldns_rr *rr = ldns_rr_list_rr(l, i);
				if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
				    cf_dns_dname_eq(ldns_rr_owner(rr), cur)) {
					*out = cf_dns_dname_str(ldns_rr_owner(rr));
					goto found;
				}
			}
		}
		if (rcode == LDNS_RCODE_NOERROR ||
		    rcode == LDNS_RCODE_NXDOMAIN) {
			l = ldns_pkt_authority(pkt);
			for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l);
			    i++) {
				ldns_rr *rr = ldns_rr_list_rr(l, i);
				if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
					*out = cf_dns_dname_str(ldns_rr_owner(rr));
					goto found;
				}
			}
		}
		ldns_pkt_free(pkt);
		pkt = NULL;
	}
	if (asked == 0 && qerr.rc != CF_OK) {
		rc = cf_err_set(err, qerr.rc, "%s", qerr.msg);
		cf_err_wrap(err, "dns-01: finding the zone of %s", name);
	} else {
		rc = cf_err_set(err, CF_ERR_PROTO,
				"dns-01: %s is not authoritative for any zone holding %s "
				"(no SOA found): check the server and the name", where,
				name);
	}
	goto out;
found:
	if (*out == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	else
		cf_debug("dns-01: %s is in zone %s", name, *out);
out:
	ldns_pkt_free(pkt);
	return rc;
}

/* 1 when a TXT rr in list l, owned by name, has the value. */
int
cf_dns_txt_present(ldns_rr_list *l, const char *name, const char *value)
{
	size_t i, j, vlen = strlen(value);

	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
		    !cf_dns_dname_eq(ldns_rr_owner(rr), name))
			continue;
		for (j = 0; j < ldns_rr_rd_count(rr); j++) {
			ldns_rdf *f = ldns_rr_rdf(rr, j);
			const uint8_t *d = ldns_rdf_data(f);
			if (ldns_rdf_size(f) == vlen + 1 && d[0] == vlen &&
			    memcmp(d + 1, value, vlen) == 0)
				return 1;
		}
	}
	return 0;
}
