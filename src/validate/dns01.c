/* dns01.c - see dns01.h */
#include "validate/dns01.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/harden.h"
#include "core/log.h"
#include "crypto/jws.h"
#include "validate/dnsname.h"


#define DNS01_TTL 60
#define DNS01_CNAME_MAX 8
#define DNS01_SCRIPT_TIMEOUT 120
#define DNS01_SCRIPT_OUTPUT_MAX (16 * 1024)
#define DNS01_KEYFILE_MAX (64 * 1024)
#define DNS01_TSIG_FUDGE 300
#define DNS01_HOSTPORT_MAX 300

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
/* TSIG key file                                                    */
/* ---------------------------------------------------------------- */

enum tok_kind { TOK_EOF, TOK_WORD, TOK_STRING, TOK_LBRACE, TOK_RBRACE,
	TOK_SEMI, TOK_BAD };

struct lexer {
	const char *p;
	const char *source;
	int line;
	/* the current token */
	enum tok_kind kind;
	const char *start;
	size_t len;
	int tline;
};

static void
lex_next(struct lexer *lx)
{
	const char *p = lx->p;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			if (*p == '\n')
				lx->line++;
			p++;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			p += 2;
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
				if (*p == '\n')
					lx->line++;
				p++;
			}
			if (*p == '\0') {
				lx->kind = TOK_BAD;
				lx->tline = lx->line;
				lx->start = "unterminated comment";
				lx->len = 0;
				lx->p = p;
				return;
			}
			p += 2;
			continue;
		}
		break;
	}
	lx->tline = lx->line;
	lx->start = p;
	lx->len = 1;
	switch (*p) {
	case '\0':
		lx->kind = TOK_EOF;
		lx->len = 0;
		break;
	case '{':
		lx->kind = TOK_LBRACE;
		p++;
		break;
	case '}':
		lx->kind = TOK_RBRACE;
		p++;
		break;
	case ';':
		lx->kind = TOK_SEMI;
		p++;
		break;
	case '"':
		p++;
		lx->start = p;
		while (*p != '\0' && *p != '"' && *p != '\n')
			p++;
		if (*p != '"') {
			lx->kind = TOK_BAD;
			lx->start = "unterminated quoted string";
			lx->len = 0;
			break;
		}
		lx->kind = TOK_STRING;
		lx->len = (size_t)(p - lx->start);
		p++;
		break;
	default:
		while (*p != '\0' && strchr(" \t\r\n{};\"#", *p) == NULL &&
		    !(p[0] == '/' && (p[1] == '/' || p[1] == '*')))
			p++;
		lx->kind = TOK_WORD;
		lx->len = (size_t)(p - lx->start);
		break;
	}
	lx->p = p;
}

static int
tok_is(const struct lexer *lx, const char *word)
{
	return lx->kind == TOK_WORD && strlen(word) == lx->len &&
	    strncasecmp(lx->start, word, lx->len) == 0;
}

/* Describe the current token for an error message (never a string's
 * content: it could be the secret). */
static const char *
tok_desc(const struct lexer *lx, char *buf, size_t sz)
{
	switch (lx->kind) {
	case TOK_EOF:
		return "end of file";
	case TOK_STRING:
		return "a quoted string";
	case TOK_LBRACE:
		return "'{'";
	case TOK_RBRACE:
		return "'}'";
	case TOK_SEMI:
		return "';'";
	case TOK_BAD:
		return lx->start;
	case TOK_WORD:
		snprintf(buf, sz, "\"%.*s\"", lx->len > 40 ? 40 : (int)lx->len,
		    lx->start);
		return buf;
	}
	return "?";
}

static cf_rc
lex_expect(struct lexer *lx, enum tok_kind kind, const char *what,
	   struct cf_err *err)
{
	char b[64];

	lex_next(lx);
	if (lx->kind != kind)
		return cf_err_set(err, CF_ERR_USAGE,
		    "%s:%d: expected %s, found %s", lx->source, lx->tline, what,
		    tok_desc(lx, b, sizeof(b)));
	return CF_OK;
}

static char *
tok_dup(const struct lexer *lx)
{
	char *s = malloc(lx->len + 2);

	if (s != NULL) {
		memcpy(s, lx->start, lx->len);
		s[lx->len] = '\0';
	}
	return s;
}

static int
base64_valid(const char *s, size_t len)
{
	size_t i, pad = 0;

	if (len == 0 || len % 4 != 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2;
}

void
cf_tsig_key_free(struct cf_tsig_key *k)
{
	if (k == NULL)
		return;
	free(k->name);
	free(k->algorithm);
	if (k->secret != NULL)
		OPENSSL_clear_free(k->secret, strlen(k->secret));
	k->name = k->algorithm = k->secret = NULL;
}

cf_rc
cf_tsig_key_parse(const char *text, const char *source,
		  struct cf_tsig_key *out, struct cf_err *err)
{
	struct lexer lx;
	struct cf_tsig_key k = { NULL, NULL, NULL };
	char b[64];
	int alg_line = 0, nkeys = 0;
	cf_rc rc = CF_OK;

	memset(out, 0, sizeof(*out));
	memset(&lx, 0, sizeof(lx));
	lx.p = text;
	lx.source = source != NULL ? source : "TSIG key";
	lx.line = 1;

	for (;;) {
		lex_next(&lx);
		if (lx.kind == TOK_EOF)
			break;
		if (!tok_is(&lx, "key")) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "%s:%d: expected \"key\", found %s (the file must "
			    "hold a key clause as written by tsig-keygen)",
			    lx.source, lx.tline, tok_desc(&lx, b, sizeof(b)));
			goto out;
		}
		if (++nkeys > 1) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "%s:%d: a second key clause: the file must hold "
			    "exactly one key", lx.source, lx.tline);
			goto out;
		}
		lex_next(&lx);
		if ((lx.kind != TOK_STRING && lx.kind != TOK_WORD) ||
		    lx.len == 0 || lx.len > 253) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "%s:%d: expected the key name after \"key\", "
			    "found %s", lx.source, lx.tline,
			    tok_desc(&lx, b, sizeof(b)));
			goto out;
		}
		if ((k.name = tok_dup(&lx)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (const char *q = k.name; *q != '\0'; q++) {
			if ((unsigned char)*q <= ' ' || *q == '\\') {
				rc = cf_err_set(err, CF_ERR_USAGE,
				    "%s:%d: the key name contains a space or "
				    "control character", lx.source, lx.tline);
				goto out;
			}
		}
		if (k.name[strlen(k.name) - 1] != '.')
			strcat(k.name, ".");
		if ((rc = lex_expect(&lx, TOK_LBRACE, "'{'", err)) != CF_OK)
			goto out;
		for (;;) {
			lex_next(&lx);
			if (lx.kind == TOK_RBRACE)
				break;
			if (tok_is(&lx, "algorithm")) {
				if (k.algorithm != NULL) {
					rc = cf_err_set(err, CF_ERR_USAGE,
					    "%s:%d: \"algorithm\" given twice",
					    lx.source, lx.tline);
					goto out;
				}
				lex_next(&lx);
				alg_line = lx.tline;
				if (lx.kind != TOK_WORD &&
				    lx.kind != TOK_STRING) {
					rc = cf_err_set(err, CF_ERR_USAGE,
					    "%s:%d: expected an algorithm name, "
					    "found %s", lx.source, lx.tline,
					    tok_desc(&lx, b, sizeof(b)));
					goto out;
				}
				if ((k.algorithm = tok_dup(&lx)) == NULL) {
					rc = cf_err_set(err, CF_ERR_NOMEM,
					    "out of memory");
					goto out;
				}
			} else if (tok_is(&lx, "secret")) {
				if (k.secret != NULL) {
					rc = cf_err_set(err, CF_ERR_USAGE,
					    "%s:%d: \"secret\" given twice",
					    lx.source, lx.tline);
					goto out;
				}
				lex_next(&lx);
				if (lx.kind != TOK_STRING) {
					/* never echo what was found: it may
					 * be the secret */
					rc = cf_err_set(err, CF_ERR_USAGE,
					    "%s:%d: expected the secret as a "
					    "quoted base64 string (secret "
					    "\"...\";)%s%s", lx.source,
					    lx.tline, lx.kind == TOK_BAD ?
					    ", found " : "", lx.kind ==
					    TOK_BAD ? lx.start : "");
					goto out;
				}
				if (!base64_valid(lx.start, lx.len)) {
					rc = cf_err_set(err, CF_ERR_USAGE,
					    "%s:%d: the secret is not valid "
					    "base64", lx.source, lx.tline);
					goto out;
				}
				if ((k.secret = tok_dup(&lx)) == NULL) {
					rc = cf_err_set(err, CF_ERR_NOMEM,
					    "out of memory");
					goto out;
				}
			} else {
				rc = cf_err_set(err, CF_ERR_USAGE,
				    "%s:%d: expected \"algorithm\", \"secret\" "
				    "or '}', found %s", lx.source, lx.tline,
				    tok_desc(&lx, b, sizeof(b)));
				goto out;
			}
			if ((rc = lex_expect(&lx, TOK_SEMI, "';'", err)) !=
			    CF_OK)
				goto out;
		}
		if ((rc = lex_expect(&lx, TOK_SEMI, "';' after '}'", err)) !=
		    CF_OK)
			goto out;
	}
	if (nkeys == 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "%s: no key clause found (expected: key \"NAME\" { "
		    "algorithm hmac-sha256; secret \"BASE64\"; };)", lx.source);
		goto out;
	}
	if (k.algorithm == NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "%s: the key has no \"algorithm\" statement", lx.source);
		goto out;
	}
	if (k.secret == NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "%s: the key has no \"secret\" statement", lx.source);
		goto out;
	}
	cf_dns_name_normalize(k.algorithm);
	if (strcmp(k.algorithm, "hmac-sha256") != 0 &&
	    strcmp(k.algorithm, "hmac-sha384") != 0 &&
	    strcmp(k.algorithm, "hmac-sha512") != 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "%s:%d: unsupported TSIG algorithm \"%s\": use "
		    "hmac-sha256, hmac-sha384 or hmac-sha512", lx.source,
		    alg_line, k.algorithm);
		goto out;
	}
	*out = k;
	memset(&k, 0, sizeof(k));
out:
	cf_tsig_key_free(&k);
	return rc;
}

cf_rc
cf_tsig_key_load(const char *path, struct cf_tsig_key *out,
		 struct cf_err *err)
{
	struct cf_buf b;
	char chunk[4096];
	ssize_t n;
	int fd = -1;
	cf_rc rc = CF_OK;

	memset(out, 0, sizeof(*out));
	cf_buf_init(&b, DNS01_KEYFILE_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		/* A file named on the command line: bad input. */
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "cannot open the TSIG key file %s: %s: give --tsig-key-file "
		    "the path of a readable key file", path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "cannot read the TSIG key file %s: %s: give "
			    "--tsig-key-file the path of a readable key file",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (cf_buf_append(&b, chunk, (size_t)n) != CF_OK) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "the TSIG key file %s is larger than %d bytes: is "
			    "it the right file?", path, DNS01_KEYFILE_MAX);
			goto out;
		}
	}
	if (b.data != NULL && memchr(b.data, '\0', b.len) != NULL) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "the TSIG key file %s contains a NUL byte: is it the "
		    "right file?", path);
		goto out;
	}
	rc = cf_tsig_key_parse(b.data != NULL ? b.data : "", path, out, err);
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	cf_buf_wipe(&b);
	if (fd != -1)
		close(fd);
	return rc;
}

/* ---------------------------------------------------------------- */
/* DNS helpers (ldns)                                               */
/* ---------------------------------------------------------------- */

/* Split HOST[:PORT] / [V6]:PORT / bare V6 into host and port. */
static cf_rc
parse_hostport(const char *s, char *host, size_t hostsz, int *port,
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
static cf_rc
resolver_for(const char *hostport, int rd, const struct cf_tsig_key *key,
	     ldns_resolver **out, struct cf_err *err)
{
	char host[DNS01_HOSTPORT_MAX], addr[INET6_ADDRSTRLEN];
	struct addrinfo hints, *ai = NULL;
	ldns_resolver *r = NULL;
	ldns_rdf *ns = NULL;
	struct timeval tv = { 3, 0 };
	int port, gai;
	cf_rc rc;

	*out = NULL;
	if ((rc = parse_hostport(hostport, host, sizeof(host), &port, err)) !=
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
static void
resolver_free(ldns_resolver *r)
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
static cf_rc
resolver_system(ldns_resolver **out, struct cf_err *err)
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
static cf_rc
dns_query(ldns_resolver *r, const char *name, ldns_rr_type type,
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

static int
dname_eq_str(const ldns_rdf *d, const char *name)
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
static char *
dname_str(const ldns_rdf *d)
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

/*
 * Follow CNAMEs from name (at most DNS01_CNAME_MAX hops).  *out is the
 * final name (malloc'd).  An answer without CNAME ends the chain; so does a
 * failed lookup (with a warning).  Loops and long chains are errors.
 */
static cf_rc
follow_cname(ldns_resolver *r, const char *where, const char *name,
	     char **out, struct cf_err *err)
{
	char *seen[DNS01_CNAME_MAX + 1];
	size_t nseen = 0, i, j;
	char *cur = NULL, *next;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *ans;
	struct cf_err qerr;
	cf_rc rc = CF_OK;

	*out = NULL;
	if ((cur = strdup(name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (;;) {
		if (dns_query(r, cur, LDNS_RR_TYPE_CNAME, where, &pkt, &qerr)
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
		next = NULL;
		ans = ldns_pkt_answer(pkt);
		for (i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans);
		    i++) {
			ldns_rr *rr = ldns_rr_list_rr(ans, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    dname_eq_str(ldns_rr_owner(rr), cur) &&
			    ldns_rr_rd_count(rr) == 1) {
				next = dname_str(ldns_rr_rdf(rr, 0));
				if (next == NULL) {
					rc = cf_err_set(err, CF_ERR_NOMEM,
					    "out of memory");
					goto out;
				}
				break;
			}
		}
		ldns_pkt_free(pkt);
		pkt = NULL;
		if (next == NULL)
			break;
		cf_debug("dns-01: %s is a CNAME for %s", cur, next);
		seen[nseen++] = cur;
		cur = next;
		for (j = 0; j < nseen; j++) {
			if (strcmp(seen[j], cur) == 0) {
				rc = cf_err_set(err, CF_ERR_USAGE,
				    "dns-01: CNAME loop: %s points back to %s;"
				    " fix the CNAME records of %s", seen[nseen
				    - 1], cur, name);
				goto out;
			}
		}
		if (nseen >= DNS01_CNAME_MAX) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "dns-01: the CNAME chain from %s is longer than %d"
			    " hops; point %s closer to the record's zone",
			    name, DNS01_CNAME_MAX, name);
			goto out;
		}
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
static cf_rc
find_zone(ldns_resolver *r, const char *where, const char *name, char **out,
	  struct cf_err *err)
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
		if (dns_query(r, cur, LDNS_RR_TYPE_SOA, where, &pkt, &qerr) !=
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
				    dname_eq_str(ldns_rr_owner(rr), cur)) {
					*out = dname_str(ldns_rr_owner(rr));
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
					*out = dname_str(ldns_rr_owner(rr));
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
static int
txt_present(ldns_rr_list *l, const char *name, const char *value)
{
	size_t i, j, vlen = strlen(value);

	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
		    !dname_eq_str(ldns_rr_owner(rr), name))
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

/* ---------------------------------------------------------------- */
/* RFC 2136                                                         */
/* ---------------------------------------------------------------- */

static int
rcode_is_auth_failure(ldns_pkt_rcode rc)
{
	/* BADSIG/BADKEY travel in the TSIG RR and show as NOTAUTH. */
	return rc == LDNS_RCODE_NOTAUTH || rc == LDNS_RCODE_REFUSED;
}

/* Add (del == 0) or delete exactly one TXT RR name/value in zone. */
static cf_rc
rfc2136_update(struct dns01_ctx *c, const char *zone, const char *name,
	       const char *value, int del, struct cf_err *err)
{
	ldns_resolver *r = NULL;
	ldns_rdf *zrdf = NULL;
	ldns_rr *rr = NULL;
	ldns_rr_list *up = NULL;
	ldns_pkt *q = NULL, *ans = NULL;
	ldns_status st;
	ldns_pkt_rcode rcode;
	char rrtext[600], alg[32];
	const char *what = del ? "delete" : "add";
	cf_rc rc = CF_OK;

	if ((rc = resolver_for(c->server, 0, &c->key, &r, err)) != CF_OK)
		goto out;
	snprintf(rrtext, sizeof(rrtext), "%s %d IN TXT \"%s\"", name,
	    DNS01_TTL, value);
	if ((st = ldns_rr_new_frm_str(&rr, rrtext, 0, NULL, NULL)) !=
	    LDNS_STATUS_OK) {
		rc = cf_err_set(err, CF_ERR_INTERNAL,
		    "dns-01: cannot build the TXT record %s: %s", name,
		    ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (del) {
		/* RFC 2136 §2.5.4: delete an RR from an RRset. */
		ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(rr, 0);
	}
	if ((up = ldns_rr_list_new()) == NULL ||
	    (zrdf = ldns_dname_new_frm_str(zone)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!ldns_rr_list_push_rr(up, rr)) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	rr = NULL; /* owned by up */
	q = ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, NULL, up, NULL);
	if (q == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	zrdf = NULL; /* owned by q */
	ldns_pkt_set_random_id(q);
	if (c->key.name != NULL) {
		snprintf(alg, sizeof(alg), "%s.", c->key.algorithm);
		st = ldns_pkt_tsig_sign(q, c->key.name, c->key.secret,
		    DNS01_TSIG_FUDGE, alg, NULL);
		if (st != LDNS_STATUS_OK) {
			rc = cf_err_set(err, CF_ERR_CRYPTO,
			    "dns-01: cannot sign the update with the TSIG key "
			    "%s: %s", c->key.name,
			    ldns_get_errorstr_by_id(st));
			goto out;
		}
	}
	st = ldns_resolver_send_pkt(&ans, r, q);
	if (ans != NULL && rcode_is_auth_failure(ldns_pkt_get_rcode(ans))) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "dns-01: the DNS server %s refused the update (%s) to %s "
		    "in zone %s: check the TSIG key name/secret and the "
		    "zone's update policy", c->server,
		    ldns_pkt_get_rcode(ans) == LDNS_RCODE_NOTAUTH ?
		    "NOTAUTH: bad or unknown TSIG key" : "REFUSED", what, zone);
		goto out;
	}
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS) {
		/* A server that does not know the key or finds a bad
		 * signature answers NOTAUTH unsigned (RFC 8945 §5.3.2);
		 * ldns reports that as a bogus answer signature. */
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "dns-01: the DNS server %s refused the update (%s %s in "
		    "zone %s; its answer has no valid TSIG signature): check "
		    "the TSIG key name/secret and the zone's update policy",
		    c->server, what, name, zone);
		goto out;
	}
	if (st != LDNS_STATUS_OK || ans == NULL) {
		rc = cf_err_set(err, CF_ERR_NET,
		    "dns-01: sending the update (%s %s) to %s failed: %s",
		    what, name, c->server, ldns_get_errorstr_by_id(st));
		goto out;
	}
	rcode = ldns_pkt_get_rcode(ans);
	if (rcode != LDNS_RCODE_NOERROR) {
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes,
		    (int)rcode);
		rc = cf_err_set(err, CF_ERR_PROTO,
		    "dns-01: the DNS server %s answered the update (%s %s in "
		    "zone %s) with %s", c->server, what, name, zone,
		    lt != NULL ? lt->name : "an unknown rcode");
		goto out;
	}
	cf_debug("dns-01: %s TXT %s \"%s\" in zone %s at %s: done",
	    what, name, value, zone, c->server);
out:
	ldns_rr_free(rr);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(zrdf);
	ldns_pkt_free(q);
	ldns_pkt_free(ans);
	resolver_free(r);
	OPENSSL_cleanse(rrtext, sizeof(rrtext));
	return rc;
}

/* ---------------------------------------------------------------- */
/* Script hook                                                      */
/* ---------------------------------------------------------------- */

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
env_pair(const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s=%s", k, v);
	return s;
}

/* Run the hook: CMD ACTION RECORD VALUE, output captured and logged.  The
 * child gets the fixed minimal environment (core/harden.h) and the hook's
 * own four variables, nothing else; its process group is killed after the
 * timeout. */
static cf_rc
run_script(struct dns01_ctx *c, const char *action, const char *record,
	   const char *value, const char *identifier, struct cf_err *err)
{
	static const char *const names[] = { "CERTFERRY_DNS_ACTION",
		"CERTFERRY_DNS_RECORD", "CERTFERRY_DNS_VALUE",
		"CERTFERRY_DNS_IDENTIFIER" };
	const char *vals[4] = { action, record, value, identifier };
	const char *argv[8];
	char *pairs[4] = { NULL, NULL, NULL, NULL }, *out = NULL, shcmd[4096];
	int status = 0, timed_out = 0;
	unsigned timeout = (unsigned)(c->script_timeout > 0 ? c->script_timeout :
				      DNS01_SCRIPT_TIMEOUT);
	struct cf_child_opts o = { (const char *const *)pairs, 4, timeout, &out,
				   DNS01_SCRIPT_OUTPUT_MAX, &status, &timed_out };
	struct cf_err cerr = { 0 };
	size_t i;
	cf_rc rc = CF_OK;

	for (i = 0; i < 4; i++) {
		if ((pairs[i] = env_pair(names[i], vals[i])) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (strchr(c->script, ' ') != NULL || strchr(c->script, '\t') != NULL) {
		if ((size_t)snprintf(shcmd, sizeof(shcmd), "%s \"$@\"",
		    c->script) >= sizeof(shcmd)) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "dns-01: the --dns-script command is too long");
			goto out;
		}
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = shcmd;
		argv[3] = "sh";
		argv[4] = action;
		argv[5] = record;
		argv[6] = value;
		argv[7] = NULL;
	} else {
		argv[0] = c->script;
		argv[1] = action;
		argv[2] = record;
		argv[3] = value;
		argv[4] = NULL;
	}
	cf_debug("dns-01: running %s %s %s %s", c->script, action, record,
	    value);
	rc = cf_child_run_opts(argv, &o, &cerr);
	if (out != NULL && *out != '\0')
		cf_debug("dns-01: output of %s %s:\n%s", c->script, action, out);
	if (rc == CF_OK)
		goto out;
	if (timed_out)
		rc = cf_err_set(err, CF_ERR_IO,
		    "dns-01: the DNS script %s (%s %s) did not finish within "
		    "%u s and was killed", c->script, action, record, timeout);
	else if (WIFSIGNALED(status))
		rc = cf_err_set(err, CF_ERR_IO,
		    "dns-01: the DNS script %s (%s %s) was killed by signal "
		    "%d", c->script, action, record, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		rc = cf_err_set(err, CF_ERR_IO,
		    "dns-01: the DNS script %s (%s %s) failed with exit "
		    "status %d%s", c->script, action, record,
		    WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
		    " (command not found?)" : "; run with -v to see its "
		    "output");
	else
		rc = cf_err_set(err, cerr.rc, "dns-01: the DNS script %s: %s",
		    c->script, cerr.msg);
out:
	free(out);
	for (i = 0; i < 4; i++)
		free(pairs[i]);
	return rc;
}

/* ---------------------------------------------------------------- */
/* Propagation check                                                */
/* ---------------------------------------------------------------- */

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
	if ((rc = resolver_for(hostport, rd, NULL, &nv[*n].res, err)) != CF_OK)
		return rc;
	if ((nv[*n].label = strdup(label)) == NULL) {
		resolver_free(nv[*n].res);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	(*n)++;
	return CF_OK;
}

/* Authoritative servers of zone: NS names resolved to addresses. */
static cf_rc
add_ns_servers(struct prop_server **v, size_t *n, const char *zone,
	       struct cf_err *err)
{
	ldns_resolver *sys = NULL;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *l;
	size_t i;
	cf_rc rc;

	if ((rc = resolver_system(&sys, err)) != CF_OK)
		return rc;
	if ((rc = dns_query(sys, zone, LDNS_RR_TYPE_NS, "the system resolver",
	    &pkt, err)) != CF_OK)
		goto out;
	l = ldns_pkt_answer(pkt);
	for (i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		struct addrinfo hints, *ai = NULL, *a;
		char *ns, label[400], addr[INET6_ADDRSTRLEN + 2];

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_rd_count(rr) != 1)
			continue;
		if ((ns = dname_str(ldns_rr_rdf(rr, 0))) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		if (getaddrinfo(ns, NULL, &hints, &ai) != 0) {
			cf_warn("dns-01: cannot resolve the name server %s of "
			    "%s; not checking it", ns, zone);
			free(ns);
			continue;
		}
		for (a = ai; a != NULL; a = a->ai_next) {
			char ip[INET6_ADDRSTRLEN];
			if (a->ai_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)
				    (void *)a->ai_addr)->sin_addr, ip,
				    sizeof(ip));
				snprintf(addr, sizeof(addr), "%s", ip);
			} else if (a->ai_family == AF_INET6) {
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
				    (void *)a->ai_addr)->sin6_addr, ip,
				    sizeof(ip));
				snprintf(addr, sizeof(addr), "[%s]", ip);
			} else
				continue;
			snprintf(label, sizeof(label), "%s (%s)", ns, ip);
			if ((rc = add_server(v, n, label, addr, 0, err)) !=
			    CF_OK) {
				freeaddrinfo(ai);
				free(ns);
				goto out;
			}
		}
		freeaddrinfo(ai);
		free(ns);
	}
	rc = CF_OK;
out:
	ldns_pkt_free(pkt);
	resolver_free(sys);
	return rc;
}

static void
servers_free(struct prop_server *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		resolver_free(v[i].res);
	}
	free(v);
}

/* Check one record at the servers; 1 when all serve it. */
static int
check_record(struct prop_server *v, size_t n, const struct dns01_rec *rec)
{
	size_t i;
	int all = 1;

	for (i = 0; i < n; i++) {
		ldns_pkt *pkt = NULL;
		struct cf_err e;

		if (v[i].ok)
			continue;
		if (dns_query(v[i].res, rec->name, LDNS_RR_TYPE_TXT,
		    v[i].label, &pkt, &e) != CF_OK) {
			snprintf(v[i].last, sizeof(v[i].last), "no answer");
			all = 0;
			continue;
		}
		if (txt_present(ldns_pkt_answer(pkt), rec->name, rec->value)) {
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

static cf_rc
dns01_ready(void *vctx, struct cf_err *err)
{
	struct dns01_ctx *c = vctx;
	struct prop_server *sv = NULL;
	size_t nsv = 0, i, r;
	double deadline, delay = 0.1;
	cf_rc rc = CF_OK;

	if (c->propagation_timeout <= 0 || c->nrecs == 0)
		return CF_OK;
	deadline = now_sec() + c->propagation_timeout;
	for (r = 0; r < c->nrecs; r++) {
		struct dns01_rec *rec = &c->recs[r];
		int done;

		/* Which servers must serve this record. */
		if (c->nresolvers > 0) {
			for (i = 0; i < c->nresolvers; i++)
				if ((rc = add_server(&sv, &nsv,
				    c->resolvers[i], c->resolvers[i], 1, err))
				    != CF_OK)
					goto out;
		} else if (c->provider == CF_DNS_RFC2136) {
			if ((rc = add_server(&sv, &nsv, c->server, c->server,
			    0, err)) != CF_OK)
				goto out;
		} else {
			char *zone = NULL;
			ldns_resolver *sys = NULL;

			if ((rc = resolver_system(&sys, err)) != CF_OK)
				goto out;
			rc = find_zone(sys, "the system resolver", rec->name,
			    &zone, err);
			resolver_free(sys);
			if (rc != CF_OK)
				goto out;
			rc = add_ns_servers(&sv, &nsv, zone, err);
			if (rc == CF_OK && nsv == 0)
				rc = cf_err_set(err, CF_ERR_NET,
				    "dns-01: found no name server address for "
				    "the zone %s: give --dns-resolver", zone);
			free(zone);
			if (rc != CF_OK)
				goto out;
		}
		delay = 0.1;
		for (;;) {
			struct timespec ts;

			done = check_record(sv, nsv, rec);
			if (done)
				break;
			if (now_sec() + delay > deadline) {
				for (i = 0; i < nsv && sv[i].ok; i++)
					;
				rc = cf_err_set(err, CF_ERR_NET,
				    "dns-01: the DNS server %s did not serve "
				    "TXT %s \"%s\" within %d s (%s): check the "
				    "record or raise --dns-propagation-timeout",
				    sv[i].label, rec->name, rec->value,
				    c->propagation_timeout, sv[i].last);
				goto out;
			}
			ts.tv_sec = (time_t)delay;
			ts.tv_nsec = (long)((delay - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
			delay = delay * 2 > 5.0 ? 5.0 : delay * 2;
		}
		cf_debug("dns-01: TXT %s is served by all %zu servers",
		    rec->name, nsv);
		servers_free(sv, nsv);
		sv = NULL;
		nsv = 0;
	}
out:
	servers_free(sv, nsv);
	return rc;
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

/* The resolver to look up CNAMEs with (see dns01.h). */
static cf_rc
lookup_resolver(struct dns01_ctx *c, ldns_resolver **r, const char **where,
		struct cf_err *err)
{
	if (c->nresolvers > 0) {
		*where = c->resolvers[0];
		return resolver_for(c->resolvers[0], 1, NULL, r, err);
	}
	if (c->provider == CF_DNS_RFC2136) {
		*where = c->server;
		return resolver_for(c->server, 0, NULL, r, err);
	}
	*where = "the system resolver";
	return resolver_system(r, err);
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
	if ((rc = follow_cname(r, where, first, &rec->name, err)) != CF_OK)
		goto out;
	if (c->provider == CF_DNS_RFC2136) {
		if ((rc = resolver_for(c->server, 0, NULL, &srv, err)) != CF_OK)
			goto out;
		if ((rc = find_zone(srv, c->server, rec->name, &rec->zone,
		    err)) != CF_OK)
			goto out;
	}
out:
	if (rc != CF_OK)
		rec_free(rec);
	free(first);
	resolver_free(r);
	resolver_free(srv);
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
		rc = rfc2136_update(c, rec.zone, rec.name, rec.value, 0, err);
		break;
	case CF_DNS_SCRIPT:
		rc = run_script(c, "create", rec.name, rec.value,
		    rec.identifier, err);
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
		rc = rfc2136_update(c, rec->zone, rec->name, rec->value, 1,
		    &err);
		break;
	case CF_DNS_SCRIPT:
		rc = run_script(c, "delete", rec->name, rec->value,
		    rec->identifier, &err);
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

cf_rc
cf_dns01_validator_new(const struct cf_dns01_config *cfg,
		       struct cf_validator *out, struct cf_err *err)
{
	struct dns01_ctx *c = NULL;
	char host[DNS01_HOSTPORT_MAX];
	int port, fail = 0;
	size_t i;
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
	if (cfg->alias_zone != NULL) {
		size_t l;

		c->alias_zone = cf_strdup_opt(cfg->alias_zone, &fail);
		if (c->alias_zone != NULL) {
			l = strlen(c->alias_zone);
			if (l > 1 && c->alias_zone[l - 1] == '.')
				c->alias_zone[l - 1] = '\0';
			if ((rc = cf_dns_name_check(c->alias_zone, 0, err)) !=
			    CF_OK) {
				cf_err_wrap(err, "--dns-alias");
				goto out;
			}
			cf_dns_name_normalize(c->alias_zone);
		}
	}
	if (cfg->nresolvers > 0) {
		c->resolvers = calloc(cfg->nresolvers, sizeof(char *));
		if (c->resolvers == NULL)
			fail = 1;
		for (i = 0; c->resolvers != NULL && i < cfg->nresolvers; i++) {
			if ((rc = parse_hostport(cfg->resolvers[i], host,
			    sizeof(host), &port, err)) != CF_OK) {
				cf_err_wrap(err, "--dns-resolver");
				goto out;
			}
			c->resolvers[i] = cf_strdup_opt(cfg->resolvers[i], &fail);
			c->nresolvers++;
		}
	}
	if (fail) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (cfg->propagation_timeout < 0 || cfg->script_timeout < 0) {
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "dns-01: timeouts must not be negative");
		goto out;
	}
	switch (cfg->provider) {
	case CF_DNS_RFC2136:
		if (c->server == NULL) {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "--dns rfc2136 needs --dns-server HOST[:PORT] "
			    "(the primary name server that accepts updates)");
			goto out;
		}
		if ((rc = parse_hostport(c->server, host, sizeof(host), &port,
		    err)) != CF_OK) {
			cf_err_wrap(err, "--dns-server");
			goto out;
		}
		if (cfg->tsig_key_file != NULL &&
		    (rc = cf_tsig_key_load(cfg->tsig_key_file, &c->key, err))
		    != CF_OK)
			goto out;
		break;
	case CF_DNS_SCRIPT:
		if (c->script == NULL || c->script[0] == '\0') {
			rc = cf_err_set(err, CF_ERR_USAGE,
			    "--dns script needs --dns-script CMD");
			goto out;
		}
		break;
	case CF_DNS_MANUAL:
		if (c->manual_in == NULL || c->manual_out == NULL) {
			rc = cf_err_set(err, CF_ERR_INTERNAL,
			    "--dns manual needs an input and an output");
			goto out;
		}
		break;
	default:
		rc = cf_err_set(err, CF_ERR_USAGE,
		    "unknown DNS provider: use rfc2136, script or manual");
		goto out;
	}
	out->challenge_type = "dns-01";
	out->ctx = c;
	out->present = dns01_present;
	out->ready = dns01_ready;
	out->cleanup = dns01_cleanup;
	out->destroy = dns01_destroy;
	c = NULL;
out:
	dns01_destroy(c);
	return rc;
}
