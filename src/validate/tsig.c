/* tsig.c - see tsig.h */
#include "validate/tsig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "validate/dnsname.h"

#define TSIG_KEYFILE_MAX (64 * 1024)

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

/* Skip blanks and comments from p; NULL after an unterminated comment
 * (the lexer's token is then TOK_BAD). */
static const char *
lex_skip(struct lexer *lx, const char *p)
{
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
				return NULL;
			}
			p += 2;
			continue;
		}
		return p;
	}
}

static void
lex_next(struct lexer *lx)
{
	const char *p;

	if ((p = lex_skip(lx, lx->p)) == NULL)
		return;
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


/* Copy the current token into *dst. */
static cf_rc
tok_dup_into(const struct lexer *lx, char **dst, struct cf_err *err)
{
	if ((*dst = tok_dup(lx)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/* The key name after "key": a string or word without blanks, controls or
 * backslashes; a trailing dot is added. */
static cf_rc
parse_key_name(struct lexer *lx, struct cf_tsig_key *k, struct cf_err *err)
{
	char b[64];
	cf_rc rc;

	lex_next(lx);
	if ((lx->kind != TOK_STRING && lx->kind != TOK_WORD) ||
	    lx->len == 0 || lx->len > 253)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: expected the key name after \"key\", "
				  "found %s", lx->source, lx->tline,
				  tok_desc(lx, b, sizeof(b)));
	if ((rc = tok_dup_into(lx, &k->name, err)) != CF_OK)
		return rc;
	for (const char *q = k->name; *q != '\0'; q++) {
		if ((unsigned char)*q <= ' ' || *q == '\\')
			return cf_err_set(err, CF_ERR_USAGE,
					  "%s:%d: the key name contains a space or "
					  "control character", lx->source, lx->tline);
	}
	if (k->name[strlen(k->name) - 1] != '.')
		strcat(k->name, ".");
	return CF_OK;
}

/* "algorithm NAME" (the keyword is the current token). */
static cf_rc
parse_algorithm(struct lexer *lx, struct cf_tsig_key *k, int *alg_line,
		struct cf_err *err)
{
	char b[64];

	if (k->algorithm != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: \"algorithm\" given twice", lx->source, lx->tline);
	lex_next(lx);
	*alg_line = lx->tline;
	if (lx->kind != TOK_WORD && lx->kind != TOK_STRING)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: expected an algorithm name, found %s", lx->source,
				  lx->tline, tok_desc(lx, b, sizeof(b)));
	return tok_dup_into(lx, &k->algorithm, err);
}

/* "secret "BASE64"" (the keyword is the current token). */
static cf_rc
parse_secret(struct lexer *lx, struct cf_tsig_key *k, struct cf_err *err)
{
	if (k->secret != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: \"secret\" given twice", lx->source, lx->tline);
	lex_next(lx);
	if (lx->kind != TOK_STRING)
		/* never echo what was found: it may be the secret */
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: expected the secret as a quoted base64 string "
				  "(secret \"...\";)%s%s", lx->source, lx->tline,
				  lx->kind == TOK_BAD ? ", found " : "",
				  lx->kind == TOK_BAD ? lx->start : "");
	if (!base64_valid(lx->start, lx->len))
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: the secret is not valid base64", lx->source,
				  lx->tline);
	return tok_dup_into(lx, &k->secret, err);
}

/* The statements between '{' and "};" of a key clause. */
static cf_rc
parse_key_body(struct lexer *lx, struct cf_tsig_key *k, int *alg_line,
	       struct cf_err *err)
{
	char b[64];
	cf_rc rc;

	if ((rc = lex_expect(lx, TOK_LBRACE, "'{'", err)) != CF_OK)
		return rc;
	for (;;) {
		lex_next(lx);
		if (lx->kind == TOK_RBRACE)
			break;
		if (tok_is(lx, "algorithm"))
			rc = parse_algorithm(lx, k, alg_line, err);
		else if (tok_is(lx, "secret"))
			rc = parse_secret(lx, k, err);
		else
			rc = cf_err_set(err, CF_ERR_USAGE,
					"%s:%d: expected \"algorithm\", \"secret\" or '}', "
					"found %s", lx->source, lx->tline,
					tok_desc(lx, b, sizeof(b)));
		if (rc != CF_OK)
			return rc;
		if ((rc = lex_expect(lx, TOK_SEMI, "';'", err)) != CF_OK)
			return rc;
	}
	return lex_expect(lx, TOK_SEMI, "';' after '}'", err);
}

/* After the last clause: one key, with both statements and a supported
 * algorithm (normalised to lower case). */
static cf_rc
check_key(const struct lexer *lx, struct cf_tsig_key *k, int nkeys,
	  int alg_line, struct cf_err *err)
{
	if (nkeys == 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: no key clause found (expected: key \"NAME\" { "
				  "algorithm hmac-sha256; secret \"BASE64\"; };)", lx->source);
	if (k->algorithm == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: the key has no \"algorithm\" statement", lx->source);
	if (k->secret == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: the key has no \"secret\" statement", lx->source);
	cf_dns_name_normalize(k->algorithm);
	if (strcmp(k->algorithm, "hmac-sha256") != 0 &&
	    strcmp(k->algorithm, "hmac-sha384") != 0 &&
	    strcmp(k->algorithm, "hmac-sha512") != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s:%d: unsupported TSIG algorithm \"%s\": use "
				  "hmac-sha256, hmac-sha384 or hmac-sha512", lx->source,
				  alg_line, k->algorithm);
	return CF_OK;
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
		if ((rc = parse_key_name(&lx, &k, err)) != CF_OK ||
		    (rc = parse_key_body(&lx, &k, &alg_line, err)) != CF_OK)
			goto out;
	}
	if ((rc = check_key(&lx, &k, nkeys, alg_line, err)) != CF_OK)
		goto out;
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
	cf_buf_init(&b, TSIG_KEYFILE_MAX);
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
					"it the right file?", path, TSIG_KEYFILE_MAX);
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

