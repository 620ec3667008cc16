/* headers.c - see headers.h */
#include "http/headers.h"

#include "core/time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ONE_WEEK (7L * 24 * 3600)

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int
month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

/* Parse an HTTP-date in any of the three RFC 9110 forms. */
static int
http_date(const char *v, time_t *out)
{
	char wk[16], mon[4], tail[8];
	int d, h, mi, s, n = 0;
	long y;

	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (sscanf(v, "%3s, %2d %3s %4ld %2d:%2d:%2d %3s%n", wk, &d, mon, &y,
		   &h, &mi, &s, tail, &n) == 8 && v[n] == '\0' &&
	    strcmp(tail, "GMT") == 0 && month_of(mon) >= 0 &&
	    cf_civil_valid(y, month_of(mon) + 1, d, h, mi, s)) {
		*out = cf_civil_to_epoch(y, month_of(mon) + 1, d, h, mi, s);
		return 0;
	}
	/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	if (sscanf(v, "%15[A-Za-z], %2d-%3s-%2ld %2d:%2d:%2d %3s%n", wk, &d,
		   mon, &y, &h, &mi, &s, tail, &n) == 8 && v[n] == '\0' &&
	    strcmp(tail, "GMT") == 0 && month_of(mon) >= 0) {
		y += y < 70 ? 2000 : 1900;
		if (cf_civil_valid(y, month_of(mon) + 1, d, h, mi, s)) {
			*out = cf_civil_to_epoch(y, month_of(mon) + 1, d, h, mi, s);
			return 0;
		}
	}
	/* asctime: Sun Nov  6 08:49:37 1994 */
	if (sscanf(v, "%3s %3s %2d %2d:%2d:%2d %4ld%n", wk, mon, &d, &h, &mi,
		   &s, &y, &n) == 7 && v[n] == '\0' && month_of(mon) >= 0 &&
	    cf_civil_valid(y, month_of(mon) + 1, d, h, mi, s)) {
		*out = cf_civil_to_epoch(y, month_of(mon) + 1, d, h, mi, s);
		return 0;
	}
	return -1;
}

cf_rc
cf_retry_after_parse(const char *value, time_t now, long *seconds)
{
	const char *p = value;
	time_t when;

	if (value == NULL)
		return CF_ERR_PROTO;
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		long v = 0;
		for (; isdigit((unsigned char)*p); p++) {
			if (v < ONE_WEEK)
				v = v * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return CF_ERR_PROTO;
		*seconds = v > ONE_WEEK ? ONE_WEEK : v;
		return CF_OK;
	}
	if (http_date(p, &when) != 0)
		return CF_ERR_PROTO;
	if (when <= now)
		*seconds = 0;
	else
		*seconds = (when - now > ONE_WEEK) ? ONE_WEEK : (long)(when - now);
	return CF_OK;
}

/* The target of the first link from *pp on with the given rel; *pp is
 * moved past it (to the end when there is none). */
static char *
link_next(const char **pp, const char *rel)
{
	const char *p = *pp;
	size_t rlen = strlen(rel);

	*pp = p + strlen(p);

	while (p != NULL && *p != '\0') {
		const char *lt, *gt, *end, *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p != '<')
			return NULL;
		lt = p;
		if ((gt = strchr(lt, '>')) == NULL)
			return NULL;
		/* Parameters run to the next comma outside quotes. */
		end = gt + 1;
		for (int inq = 0; *end && (inq || *end != ','); end++)
			if (*end == '"')
				inq = !inq;
		q = gt + 1;
		for (int inq = 0; q < end; q++) {
			const char *v, *b;
			size_t vlen;

			if (*q == '"')
				inq = !inq;
			if (inq || strncasecmp(q, "rel", 3) != 0)
				continue;
			/* Only a parameter name: right after ';' (and spaces). */
			for (b = q; b[-1] == ' ' || b[-1] == '\t'; b--)
				;
			if (b[-1] != ';')
				continue;
			v = q + 3;
			while (*v == ' ')
				v++;
			if (*v != '=')
				continue;
			v++;
			while (*v == ' ')
				v++;
			if (*v == '"')
				v++;
			vlen = 0;
			while (v + vlen < end && v[vlen] != '"' && v[vlen] != ';' &&
			       v[vlen] != ' ')
				vlen++;
			if (vlen == rlen && strncmp(v, rel, rlen) == 0) {
				size_t ulen = (size_t)(gt - lt - 1);
				char *url = malloc(ulen + 1);
				if (url == NULL)
					return NULL;
				memcpy(url, lt + 1, ulen);
				url[ulen] = '\0';
				*pp = end;
				return url;
			}
		}
		p = end;
	}
	return NULL;
}

char *
cf_link_find(const char *value, const char *rel)
{
	return link_next(&value, rel);
}

size_t
cf_link_find_all(const char *value, const char *rel, char **out, size_t max)
{
	size_t n = 0;
	char *url;

	while (n < max && *value != '\0' &&
	       (url = link_next(&value, rel)) != NULL)
		out[n++] = url;
	return n;
}

/* The host (*host, *hlen: an IPv6 literal with its brackets) and the
 * port text (*colon: NULL, or its ':') of the authority of a URL, p just
 * after its "scheme://".  *end: the end of the authority. */
static cf_rc
url_authority(const char *p, const char **host, size_t *hlen,
	      const char **colon, const char **end)
{
	const char *at;

	*end = p + strcspn(p, "/?#");
	*colon = NULL;
	/* userinfo@ is not part of the host */
	for (at = *end; at > p && at[-1] != '@'; at--)
		;
	*host = at;
	if (*at == '[') {                      /* IPv6 literal */
		const char *rb = memchr(at, ']', (size_t)(*end - at));
		if (rb == NULL)
			return CF_ERR_PROTO;
		if (rb + 1 < *end) {
			if (rb[1] != ':')
				return CF_ERR_PROTO;
			*colon = rb + 1;
		}
		*hlen = (size_t)(rb + 1 - at);
	} else {
		*colon = memchr(at, ':', (size_t)(*end - at));
		*hlen = (size_t)((*colon ? *colon : *end) - at);
	}
	return *hlen == 0 ? CF_ERR_PROTO : CF_OK;
}

cf_rc
cf_url_host(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://"), *host, *colon, *end;
	size_t hlen;

	if (p == NULL || p == url || url_authority(p + 3, &host, &hlen, &colon,
						    &end) != CF_OK)
		return CF_ERR_PROTO;
	if (*host == '[') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= len)
		return CF_ERR_PROTO;
	for (size_t i = 0; i < hlen; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[hlen] = '\0';
	return CF_OK;
}

cf_rc
cf_url_origin(const char *url, char *out, size_t len)
{
	const char *scheme, *p, *host, *end, *colon;
	size_t hlen, i;
	long port;
	char *e;
	int n;

	if (strncasecmp(url, "https://", 8) == 0) {
		scheme = "https";
		port = 443;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		scheme = "http";
		port = 80;
		p = url + 7;
	} else {
		return CF_ERR_PROTO;
	}
	if (url_authority(p, &host, &hlen, &colon, &end) != CF_OK)
		return CF_ERR_PROTO;
	if (colon != NULL && colon + 1 < end) {
		port = strtol(colon + 1, &e, 10);
		if (e != end || port <= 0 || port > 65535)
			return CF_ERR_PROTO;
	}
	n = snprintf(out, len, "%s://%.*s:%ld", scheme, (int)hlen, host, port);
	if (n < 0 || (size_t)n >= len)
		return CF_ERR_PROTO;
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return CF_OK;
}
