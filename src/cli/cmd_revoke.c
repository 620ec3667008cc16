/* cmd_revoke.c - "certferry revoke NAME": revoke the current certificate
 * of NAME at the CA (after a confirmation, or --yes), stop renewing it,
 * and say what still serves it and how to replace it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "engine/deliver.h"
#include "engine/renewal.h"

static const struct {
	const char *name;
	int code;                    /* RFC 5280 §5.3.1 CRLReason */
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
};

static void
revoke_usage(FILE *f)
{
	fprintf(f,
"usage: certferry [global options] revoke NAME [--reason R] [--with-cert-key]\n"
"                                          [--yes]\n"
"\n"
"Revokes the current certificate of NAME at the CA (signed by the account\n"
"key), marks its renewal definition revoked and stops renewing it.  It\n"
"asks for confirmation on a terminal; without one, --yes is required.\n"
"Afterwards it lists the stores and IIS bindings that still serve the\n"
"revoked certificate until a new one replaces it.\n"
"\n"
"  --yes             do not ask (scripts)\n"
"  --reason R        unspecified (default), keyCompromise, superseded,\n"
"                    cessationOfOperation, affiliationChanged\n"
"  --with-cert-key   with --reason keyCompromise: sign with the certificate's\n"
"                    own private key instead of the account key\n");
}

/* Ask before revoking (stdin is a terminal): CF_EXIT_OK to go on. */
static int
confirm(const struct cf_renewal *r, const char *reason_name)
{
	char q[1024];

	snprintf(q, sizeof(q), "Revoke the certificate %s of %s (%zu name%s, "
		 "reason %s) at %s? This cannot be undone.",
		 r->serial ? r->serial : "(current)", r->spec.name,
		 r->spec.nnames, r->spec.nnames == 1 ? "" : "s", reason_name,
		 r->spec.directory_url);
	if (!cf_cli_confirm(q)) {
		fprintf(stderr, "error: not confirmed: nothing was revoked\n");
		return CF_EXIT_FAIL;
	}
	return CF_EXIT_OK;
}

/* After a revocation: what still serves the certificate, and how to
 * replace it.  Only informative: a failure here changes nothing. */
static void
still_served(const struct cf_state *st, const struct cf_renewal *r)
{
	struct cf_iis_config *cfg = NULL;
	struct cf_err err = { 0 };
	char *certs = cf_strfmt("%s/certs/%s", st->root, r->spec.name);
	char *text = NULL, *line, *next;

	if (r->spec.iis.config != NULL &&
	    cf_iis_config_load(r->spec.iis.config, NULL, 0, &cfg, &err) != CF_OK)
		fprintf(stderr, "warning: %s: the IIS sites below are named "
			"without their bindings\n", err.msg);
	if (cf_spec_served_by(&r->spec, certs, cfg, &text, &err) != CF_OK) {
		fprintf(stderr, "warning: %s\n", err.msg);
		goto out;
	}
	printf("Until a new certificate replaces it, the revoked one is still "
	       "served from:\n");
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		printf("  %s\n", line);
	}
	printf("To replace it, issue it again with the same options (the spec "
	       "that 'certferry show %s'\nprints); that also makes its renewal "
	       "active again ('renew' skips a revoked certificate):\n"
	       "  certferry issue --name %s", r->spec.name, r->spec.name);
	for (size_t i = 0; i < r->spec.nnames; i++)
		printf(" -d %s", r->spec.names[i]);
	printf(" ...\n");
out:
	cf_iis_config_free(cfg);
	free(text);
	free(certs);
}

/* What "revoke" was asked for. */
struct revoke_opts {
	const char *name;
	const char *reason_name;
	int reason, with_key, yes;
};

/* --reason NAME: its code.  0 when unknown (after saying so). */
static int
reason_set(struct revoke_opts *o, const char *arg)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(arg, reasons[i].name) == 0) {
			o->reason = reasons[i].code;
			o->reason_name = reasons[i].name;
			return 1;
		}
	fprintf(stderr, "error: unknown --reason '%s': use unspecified, "
		"keyCompromise, superseded, cessationOfOperation or "
		"affiliationChanged\n", arg);
	return 0;
}

/* The options and the NAME, checked before anything is opened or locked.
 * -1 to go on, else the exit status. */
static int
revoke_parse(int argc, char **argv, struct revoke_opts *o)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "with-cert-key", no_argument, NULL, 'k' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, ret;

	optind = 0;
	while ((ch = cf_cli_getopt(argc, argv, longopts, revoke_usage,
				   &ret)) >= 0) {
		if (ch == 'r' && !reason_set(o, optarg))
			return CF_EXIT_USAGE;
		o->with_key |= ch == 'k';
		o->yes |= ch == 'y';
	}
	if (ch == CF_CLI_OPT_EXIT)
		return ret;
	if (optind + 1 != argc) {
		fprintf(stderr, "error: give exactly one certificate NAME (see "
			"'certferry list')\n");
		return CF_EXIT_USAGE;
	}
	o->name = argv[optind];
	/* Nobody to ask: refused before anything is opened or locked. */
	if (!o->yes && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "error: revoking %s cannot be undone and stdin is "
			"not a terminal to confirm it on: add --yes\n", o->name);
		return CF_EXIT_USAGE;
	}
	if (o->with_key && o->reason != 1) {
		fprintf(stderr, "error: --with-cert-key goes with --reason "
			"keyCompromise\n");
		return CF_EXIT_USAGE;
	}
	return -1;
}

int
cf_cmd_revoke(struct cf_cli *cli, int argc, char **argv)
{
	struct revoke_opts o = { .reason_name = "unspecified" };
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	struct cf_renewal r;
	const char *name, *reason_name;
	char *serial = NULL;
	int reason, with_key, yes, have = 0, lockfd = -1, ret;

	if ((ret = revoke_parse(argc, argv, &o)) >= 0)
		return ret;
	name = o.name;
	reason_name = o.reason_name;
	reason = o.reason;
	with_key = o.with_key;
	yes = o.yes;
	memset(&e, 0, sizeof(e));
	memset(&r, 0, sizeof(r));
	if (cf_cli_definition_open(cli, &st, name, &lockfd, &r, &err) !=
	    CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (!yes && (ret = confirm(&r, reason_name)) != CF_EXIT_OK)
		goto out;
	/* The CA of the certificate is the one of its definition, and so
	 * is its account (issue --account NAME). */
	cli->server = r.spec.directory_url;
	if (r.spec.account != NULL)
		cli->account = r.spec.account;
	cf_state_close(&st);
	if (cf_cli_engine_open(cli, &st, &e, 0, &have, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (!have && !with_key) {
		cf_err_set(&err, CF_ERR_NOTFOUND, "no account for %s in %s",
			   r.spec.directory_url, st.root);
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (cf_engine_revoke(&e, name, reason, with_key, &serial, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	r.state = CF_REN_REVOKED;
	if (cf_renewal_add_event(&r, cf_cli_now(), "revoke", "ok", serial,
				 r.not_after, reason_name, &err) != CF_OK ||
	    cf_renewal_save(&st, &r, &err) != CF_OK) {
		fprintf(stderr, "warning: revoked, but the renewal definition was "
			"not updated: %s\n", err.msg);
	}
	printf("%s: certificate %s revoked (%s); it will not be renewed\n",
	       name, serial, reason_name);
	still_served(&st, &r);
	ret = CF_EXIT_OK;
out:
	free(serial);
	cf_renewal_free(&r);
	cf_engine_close(&e);
	cf_state_unlock(lockfd);
	cf_state_close(&st);
	return ret;
}
