/* dnsprop.c - see dnsprop.h */
#include "validate/dnsprop.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "core/log.h"
#include "core/time.h"
#include "validate/dnslookup.h"

/* The monotonic clock in seconds. */
static double
now_sec(void)
{
	return (double)cf_mono_ms() / 1000.0;
}

double
cf_dns_prop_deadline(int timeout_s)
{
	return now_sec() + timeout_s;
}

struct prop_server {
	char *label;          /* for messages */
	ldns_resolver *res;
	int ok;               /* serves every record */
	char last[200];       /* what it answered last, for the error */
};

static cf_rc
add_server(struct prop_server **v, size_t *n, const char *label,
	   const char *hostport, int rd, struct cf_err *err)
{
	struct prop_server *nv;
	cf_rc rc;

	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	if ((rc = cf_dns_resolver_for(hostport, rd, NULL, &nv[*n].res, err)) !=
	    CF_OK)
		return rc;
	if ((nv[*n].label = strdup(label)) == NULL) {
		cf_dns_resolver_free(nv[*n].res);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	(*n)++;
	return CF_OK;
}

/* Every address of the name server ns (of zone), as servers. */
static cf_rc
add_ns_addresses(struct prop_server **v, size_t *n, const char *ns,
		 const char *zone, struct cf_err *err)
{
	struct addrinfo hints, *ai = NULL, *a;
	char label[400], addr[INET6_ADDRSTRLEN + 2], ip[INET6_ADDRSTRLEN];
	cf_rc rc = CF_OK;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(ns, NULL, &hints, &ai) != 0) {
		cf_warn("dns-01: cannot resolve the name server %s of "
			"%s; not checking it", ns, zone);
		return CF_OK;
	}
	for (a = ai; a != NULL && rc == CF_OK; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)
				  (void *)a->ai_addr)->sin_addr, ip, sizeof(ip));
			snprintf(addr, sizeof(addr), "%s", ip);
		} else if (a->ai_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
				  (void *)a->ai_addr)->sin6_addr, ip, sizeof(ip));
			snprintf(addr, sizeof(addr), "[%s]", ip);
		} else
			continue;
		snprintf(label, sizeof(label), "%s (%s)", ns, ip);
		rc = add_server(v, n, label, addr, 0, err);
	}
	freeaddrinfo(ai);
	return rc;
}

/* Authoritative servers of zone (NS records asked at sys): NS names
 * resolved to addresses. */
static cf_rc
add_ns_servers(struct prop_server **v, size_t *n, ldns_resolver *sys,
	       const char *zone, struct cf_err *err)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *l;
	char *ns;
	size_t i;
	cf_rc rc;

	if ((rc = cf_dns_query(sys, zone, LDNS_RR_TYPE_NS,
	    "the system resolver", &pkt, err)) != CF_OK)
		return rc;
	l = ldns_pkt_answer(pkt);
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_rd_count(rr) != 1)
			continue;
		if ((ns = cf_dns_dname_str(ldns_rr_rdf(rr, 0))) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			break;
		}
		rc = add_ns_addresses(v, n, ns, zone, err);
		free(ns);
		if (rc != CF_OK)
			break;
	}
	ldns_pkt_free(pkt);
	return rc;
}

static void
servers_free(struct prop_server *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		cf_dns_resolver_free(v[i].res);
	}
	free(v);
}

/* Check one record at the servers; 1 when all serve it. */
static int
check_record(struct prop_server *v, size_t n, const char *name,
	     const char *value)
{
	size_t i;
	int all = 1;

	for (i = 0; i < n; i++) {
		ldns_pkt *pkt = NULL;
		struct cf_err e;

		if (v[i].ok)
			continue;
		if (cf_dns_query(v[i].res, name, LDNS_RR_TYPE_TXT,
		    v[i].label, &pkt, &e) != CF_OK) {
			snprintf(v[i].last, sizeof(v[i].last), "no answer");
			all = 0;
			continue;
		}
		if (cf_dns_txt_present(ldns_pkt_answer(pkt), name, value)) {
			v[i].ok = 1;
		} else {
			ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes,
								  (int)ldns_pkt_get_rcode(pkt));
			snprintf(v[i].last, sizeof(v[i].last),
				 "last answer: %s, %zu TXT records",
				 lt != NULL ? lt->name : "?",
				 ldns_rr_list_rr_count(ldns_pkt_answer(pkt)));
			all = 0;
		}
		ldns_pkt_free(pkt);
	}
	return all;
}

/* The authoritative servers of the zone that holds name. */
static cf_rc
add_zone_servers(struct prop_server **v, size_t *n, const char *name,
		 struct cf_err *err)
{
	char *zone = NULL;
	ldns_resolver *sys = NULL;
	cf_rc rc;

	if ((rc = cf_dns_resolver_system(&sys, err)) != CF_OK)
		return rc;
	if ((rc = cf_dns_find_zone(sys, "the system resolver", name, &zone,
	    err)) != CF_OK)
		goto out;
	rc = add_ns_servers(v, n, sys, zone, err);
	if (rc == CF_OK && *n == 0)
		rc = cf_err_set(err, CF_ERR_NET,
				"dns-01: found no name server address for the zone %s: "
				"give --dns-resolver", zone);
out:
	free(zone);
	cf_dns_resolver_free(sys);
	return rc;
}

/* Which servers must serve name (see dnsprop.h). */
static cf_rc
servers_for(const struct cf_dns_prop *p, const char *name,
	    struct prop_server **v, size_t *n, struct cf_err *err)
{
	size_t i;
	cf_rc rc;

	if (p->nresolvers > 0) {
		for (i = 0; i < p->nresolvers; i++)
			if ((rc = add_server(v, n, p->resolvers[i],
			    p->resolvers[i], 1, err)) != CF_OK)
				return rc;
		return CF_OK;
	}
	if (p->server != NULL)
		return add_server(v, n, p->server, p->server, 0, err);
	return add_zone_servers(v, n, name, err);
}

static void
sleep_sec(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

cf_rc
cf_dns_prop_wait(const struct cf_dns_prop *p, const char *name,
		 const char *value, double deadline, struct cf_err *err)
{
	struct prop_server *sv = NULL;
	size_t nsv = 0, i;
	double delay = 0.1;
	cf_rc rc;

	if ((rc = servers_for(p, name, &sv, &nsv, err)) != CF_OK)
		goto out;
	while (!check_record(sv, nsv, name, value)) {
		if (now_sec() + delay > deadline) {
			for (i = 0; i < nsv && sv[i].ok; i++)
				;
			rc = cf_err_set(err, CF_ERR_NET,
					"dns-01: the DNS server %s did not serve TXT %s "
					"\"%s\" within %d s (%s): check the record or "
					"raise --dns-propagation-timeout", sv[i].label,
					name, value, p->timeout_s, sv[i].last);
			goto out;
		}
		sleep_sec(delay);
		delay = delay * 2 > 5.0 ? 5.0 : delay * 2;
	}
	cf_debug("dns-01: TXT %s is served by all %zu servers", name, nsv);
out:
	servers_free(sv, nsv);
	return rc;
}
