/* cmd_issue.c - "certferry issue": enroll one certificate end to end. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/log.h"
#include "http/headers.h"
#include "validate/http01.h"

#define MAX_NAMES 100

enum {
	OPT_NAME = OPT_ACCOUNT_LAST, OPT_KEY_TYPE, OPT_HTTP_PORT, OPT_HTTP_ADDR,
	OPT_WEBROOT, OPT_WAIT
};

struct issue_cli {
	char *names[MAX_NAMES];     /* owned, lower-cased */
	size_t nnames;
	const char *cert_name;
	const char *key_type;
	int http_port;
	const char *http_addr;
	const char *webroot;
	long wait_s;
	struct cf_account_cli account;
};

static void
issue_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] issue -d NAME [-d NAME]... [options]\n"
		"\n"
		"Orders a certificate for the names, proves control of them, and\n"
		"stores key and chain in STATE/certs/NAME/.  Registers the ACME\n"
		"account first when there is none (taking the account options).\n"
		"\n"
		"  -d, --domain NAME        a DNS name for the certificate (repeatable)\n"
		"  --name CERTNAME          name of the certificate (default: first -d)\n"
		"  --key-type T             ec256 (default), ec384, rsa2048, rsa3072,\n"
		"                           rsa4096\n"
		"  --http-port N            http-01 with the built-in responder on\n"
		"                           port N (default 80)\n"
		"  --http-address ADDR      address the responder binds (default: all)\n"
		"  --webroot DIR            http-01 through files in DIR/.well-known/\n"
		"                           acme-challenge/ served by your web server\n"
		"  --wait SECONDS           how long to wait for the CA (default 300)\n"
		"\n"
		"account options (used only when the account is created):\n"
		CF_ACCOUNT_HELP);
}

static void
issue_cli_free(struct issue_cli *c)
{
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	cf_account_cli_free(&c->account);
}

/* Syntax check of a DNS name (lower-cased in place). */
static cf_rc
check_name(char *name, struct cf_err *err)
{
	size_t len = strlen(name), label = 0;
	const char *p = name;

	if (len == 0 || len > 253)
		return cf_err_set(err, CF_ERR_USAGE,
				  "bad name '%.64s': must be 1-253 characters", name);
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				goto bad;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			goto bad;
		if (++label > 63)
			goto bad;
	}
	if (label == 0)
		goto bad;
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_USAGE,
			  "bad name '%.64s': use a DNS name like www.example.com "
			  "(internationalised names in xn-- form)", name);
}

static int
parse_args(struct issue_cli *c, int argc, char **argv, struct cf_err *err)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
		{ "http-port", required_argument, NULL, OPT_HTTP_PORT },
		{ "http-address", required_argument, NULL, OPT_HTTP_ADDR },
		{ "webroot", required_argument, NULL, OPT_WEBROOT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, 'h' },
		CF_ACCOUNT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (c->nnames == MAX_NAMES) {
				cf_err_set(err, CF_ERR_USAGE, "at most %d names",
					   MAX_NAMES);
				return -1;
			}
			if ((c->names[c->nnames] = strdup(optarg)) == NULL) {
				cf_err_set(err, CF_ERR_NOMEM, "out of memory");
				return -1;
			}
			if (check_name(c->names[c->nnames++], err) != CF_OK)
				return -1;
			break;
		case OPT_NAME:
			c->cert_name = optarg;
			break;
		case OPT_KEY_TYPE:
			c->key_type = optarg;
			break;
		case OPT_HTTP_PORT:
			c->http_port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || c->http_port < 1 || c->http_port > 65535) {
				cf_err_set(err, CF_ERR_USAGE,
					   "bad --http-port '%s': use 1-65535", optarg);
				return -1;
			}
			break;
		case OPT_HTTP_ADDR:
			c->http_addr = optarg;
			break;
		case OPT_WEBROOT:
			c->webroot = optarg;
			break;
		case OPT_WAIT:
			c->wait_s = strtol(optarg, &end, 10);
			if (*end != '\0' || c->wait_s < 0) {
				cf_err_set(err, CF_ERR_USAGE,
					   "bad --wait '%s': give seconds", optarg);
				return -1;
			}
			if (c->wait_s == 0)
				c->wait_s = -1; /* explicit zero: do not wait */
			break;
		case 'h':
			issue_usage(stdout);
			return 1;
		default:
			r = cf_account_cli_opt(&c->account, ch, optarg, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				issue_usage(stderr);
				cf_err_set(err, CF_ERR_USAGE, "bad option");
				return -1;
			}
		}
	}
	if (optind != argc) {
		cf_err_set(err, CF_ERR_USAGE, "unexpected argument '%s'",
			   argv[optind]);
		return -1;
	}
	if (c->nnames == 0) {
		cf_err_set(err, CF_ERR_USAGE,
			   "no name given: add -d NAME for each DNS name of the "
			   "certificate");
		return -1;
	}
	if (c->webroot != NULL && (c->http_port != 0 || c->http_addr != NULL)) {
		cf_err_set(err, CF_ERR_USAGE,
			   "--webroot and --http-port/--http-address exclude each "
			   "other: choose one http-01 method");
		return -1;
	}
	for (size_t i = 0; i < c->nnames; i++) {
		if (strncmp(c->names[i], "*.", 2) == 0) {
			cf_err_set(err, CF_ERR_USAGE,
				   "%s: wildcard names can only be validated with "
				   "dns-01", c->names[i]);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->names[i], c->names[j]) == 0) {
				cf_err_set(err, CF_ERR_USAGE, "%s is given twice",
					   c->names[i]);
				return -1;
			}
	}
	return 0;
}

static void
print_result(const struct issue_cli *c, const struct cf_issue_result *r)
{
	static const char *const files[] = { "privkey.pem", "cert.pem",
					     "chain.pem", "fullchain.pem" };
	char nb[32], na[32];

	cf_rfc3339_format(r->not_before, nb);
	cf_rfc3339_format(r->not_after, na);
	printf("certificate issued for %s", c->names[0]);
	for (size_t i = 1; i < c->nnames; i++)
		printf(", %s", c->names[i]);
	printf("\n  serial:   %s\n  issuer:   %s\n  valid:    %s to %s\n"
	       "  key:      %s\n  challenges answered: %zu\n", r->serial,
	       r->issuer, nb, na, r->key_desc, r->challenges_answered);
	for (size_t i = 0; i < 4; i++)
		printf("  %-13s %s/%s\n", files[i], r->cert_path, files[i]);
}

int
cf_cmd_issue(struct cf_cli *cli, int argc, char **argv)
{
	struct issue_cli c;
	struct cf_account_opts ao;
	struct cf_issue_opts io;
	struct cf_issue_result res;
	struct cf_validator v;
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	char *default_name = NULL;
	int have = 0, existed = 0, ret, r;
	cf_rc rc;

	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
	memset(&v, 0, sizeof(v));
	memset(&res, 0, sizeof(res));
	memset(&io, 0, sizeof(io));
	if ((r = parse_args(&c, argc, argv, &err)) != 0) {
		ret = r > 0 ? CF_EXIT_OK : cf_cli_fail(&err);
		goto out;
	}
	io.names = (const char *const *)c.names;
	io.nnames = c.nnames;
	io.key_type = CF_KEY_EC256;
	if (c.key_type != NULL &&
	    (rc = cf_key_type_parse(c.key_type, &io.key_type, &err)) != CF_OK) {
		cf_err_wrap(&err, "--key-type");
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (c.cert_name == NULL)
		c.cert_name = default_name = cf_state_name_for(c.names[0]);
	io.cert_name = c.cert_name;
	if ((rc = cf_state_check_name(io.cert_name, &err)) != CF_OK ||
	    (rc = cf_account_cli_resolve(&c.account, &ao, &err)) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	/* Bind the responder before anything is ordered. */
	if (c.webroot != NULL)
		rc = cf_http01_webroot_new(c.webroot, &v, &err);
	else
		rc = cf_http01_standalone_new(c.http_addr,
					      c.http_port ? c.http_port : 80, &v,
					      &err);
	if (rc != CF_OK ||
	    (rc = cf_cli_engine_open(cli, &st, &e, c.wait_s, &have, &err)) !=
		    CF_OK ||
	    (!have && (rc = cf_engine_account_register(&e, &ao, &existed,
						       &err)) != CF_OK)) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	io.validator = &v;
	if ((rc = cf_engine_issue(&e, &io, &res, &err)) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	print_result(&c, &res);
	ret = CF_EXIT_OK;
out:
	if (cf_log_get_level() >= CF_LOG_DEBUG && e.acme != NULL) {
		const long *n = cf_acme_counters(e.acme);
		for (int i = 0; i < CF_EP_COUNT; i++)
			if (n[i])
				cf_debug("requests: %-13s %ld",
					 cf_acme_ep_name((enum cf_acme_ep)i), n[i]);
	}
	cf_validator_destroy(&v);
	cf_issue_result_free(&res);
	cf_engine_close(&e);
	cf_state_close(&st);
	issue_cli_free(&c);
	free(default_name);
	return ret;
}
