/* common.c - helpers shared by the subcommands; see cli.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/time.h"
#include "engine/renewal.h"
#include "store/atomic.h"
#include "store/paths.h"

int
cf_cli_exit_for(cf_rc rc)
{
	switch (rc) {
	case CF_OK:
		return CF_EXIT_OK;
	case CF_ERR_USAGE:
		return CF_EXIT_USAGE;
	case CF_ERR_PENDING:
		return CF_EXIT_PENDING;
	case CF_ERR_LOCKED:
		return CF_EXIT_LOCKED;
	default:
		return CF_EXIT_FAIL;
	}
}

int
cf_cli_fail(const struct cf_err *err)
{
	fprintf(stderr, "error: %s\n", err->msg[0] ? err->msg :
						      cf_rc_name(err->rc));
	return cf_cli_exit_for(err->rc);
}

cf_rc
cf_cli_state_root(struct cf_cli *cli, const char **root, struct cf_err *err)
{
	cf_rc rc;

	if (cli->state_dir == NULL) {
		if (cli->state_default == NULL &&
		    (rc = cf_state_default_dir(&cli->state_default, err)) != CF_OK)
			return rc;
		cli->state_dir = cli->state_default;
	}
	*root = cli->state_dir;
	return CF_OK;
}

cf_rc
cf_cli_state_open(struct cf_cli *cli, struct cf_state *st, struct cf_err *err)
{
	const char *root;
	cf_rc rc;

	if ((rc = cf_cli_state_root(cli, &root, err)) != CF_OK)
		return rc;
	return cf_state_open(st, root, err);
}

cf_rc
cf_cli_definition_open(struct cf_cli *cli, struct cf_state *st,
		       const char *name, int *lockfd, struct cf_renewal *r,
		       struct cf_err *err)
{
	cf_rc rc;

	*lockfd = -1;
	if ((rc = cf_cli_state_open(cli, st, err)) != CF_OK ||
	    (rc = cf_state_check_name(name, err)) != CF_OK ||
	    (rc = cf_state_lock(st, name, lockfd, err)) != CF_OK)
		return rc;
	return cf_renewal_load(st, name, r, err);
}

int
cf_cli_getopt(int argc, char **argv, const struct option *lo,
	      void (*usage)(FILE *), int *ret)
{
	int ch = getopt_long(argc, argv, "h", lo, NULL);

	if (ch == 'h') {
		usage(stdout);
		*ret = CF_EXIT_OK;
		return CF_CLI_OPT_EXIT;
	}
	if (ch == '?' || ch == ':') {
		usage(stderr);
		*ret = CF_EXIT_USAGE;
		return CF_CLI_OPT_EXIT;
	}
	return ch;
}

int
cf_cli_no_more_args(int argc, char **argv)
{
	if (optind >= argc)
		return CF_EXIT_OK;
	fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
	return CF_EXIT_USAGE;
}

cf_rc
cf_cli_read_secret_file(const char *path, char **out, struct cf_err *err)
{
	int loose = 0;
	cf_rc rc;

	if ((rc = cf_secret_file_read(path, out, &loose, err)) == CF_OK && loose)
		cf_warn("%s is readable by others; chmod 600 it", path);
	return rc;
}

int
cf_cli_confirm(const char *question)
{
	char line[64];
	size_t n;

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

time_t
cf_cli_now(void)
{
	const char *v = getenv("CERTFERRY_NOW");
	time_t t;
	char *end;
	long long l;

	if (v == NULL || *v == '\0')
		return time(NULL);
	if (v[0] == '@') {
		l = strtoll(v + 1, &end, 10);
		if (*end == '\0' && l > 0)
			return (time_t)l;
	} else if (cf_rfc3339_parse(v, &t) == CF_OK) {
		return t;
	}
	fprintf(stderr, "warning: ignoring CERTFERRY_NOW='%.40s': give RFC 3339 "
		"or @EPOCH\n", v);
	return time(NULL);
}

cf_rc
cf_cli_long_arg(const char *opt, const char *arg, long min, long max,
		long *out, struct cf_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return cf_err_set(err, CF_ERR_USAGE,
				  "bad %s '%.32s': give a whole number from %ld to %ld",
				  opt, arg, min, max);
	*out = v;
	return CF_OK;
}

void
cf_cli_print_verify(const struct cf_verify_report *r, const char *indent)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct cf_store_verdict *v = &r->v[i];
		const char *what = v->failed ? "FAILED" :
				   v->repaired ? "repaired" :
				   v->health != 0 ? "drifted" : "ok";
		printf("%s%-4s %-8s %s%s%s\n", indent, v->kind, what, v->path,
		       v->health != 0 ? ": " : "", v->health != 0 ? v->detail : "");
	}
}

void
cf_cli_print_server(const struct cf_delivery *d)
{
	const struct cf_server_result *r = &d->server;

	if (r->kind != CF_SERVER_NONE) {
		printf("  %s:%s%s\n", cf_server_kind_name(r->kind),
		       r->reload_how ? " reloaded with " : "",
		       r->reload_how ? r->reload_how : "");
		if (r->blocks_edited_files)
			printf("    configuration files edited: %zu (backup in %s)\n",
			       r->blocks_edited_files, r->backup_dir ?
			       r->backup_dir : "-");
		for (size_t i = 0; i < r->nchecks; i++)
			printf("    %-36s %s port %u: %s\n", r->checks[i].name,
			       r->checks[i].addr, r->checks[i].port,
			       r->checks[i].v.detail);
		if (r->problems)
			printf("    not served: %s\n", r->problems);
	}
	if (d->hooks_ran || d->hooks_failed)
		printf("  deploy hooks: %zu run, %zu failed\n", d->hooks_ran,
		       d->hooks_failed);
	if (d->hooks_failed)
		fprintf(stderr, "warning: %s (the certificate is delivered)\n",
			d->hook_error);
}
