/* cmd_verify.c - "certferry verify NAME": does every place the certificate
 * was delivered to hold it, and does every server serve it (a TLS
 * handshake)? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "engine/deliver.h"
#include "engine/renewal.h"
#include "install/verify.h"
#include "store/atomic.h"

static void
verify_usage(FILE *f)
{
	fprintf(f,
"usage: certferry [global options] verify NAME [--repair] [--connect HOST[:PORT]]\n"
"\n"
"Checks the current certificate of NAME against every store of its\n"
"renewal definition (key matches, same certificate, PFX opens), the IIS\n"
"bindings of --install iis, and for --install nginx|apache a TLS\n"
"handshake with SNI to every name on its server block's port: the served\n"
"leaf must be the current certificate (compared by serial and bytes).\n"
"\n"
"  --repair              rewrite drifted stores from the state folder,\n"
"                        add missing IIS bindings, reload a server that\n"
"                        serves another certificate (test, reload,\n"
"                        handshake; the configuration rolled back if that\n"
"                        fails); orders nothing\n"
"  --connect HOST[:PORT] also handshake with every name at HOST (port 443\n"
"                        by default): an IIS server or any other that this\n"
"                        machine reaches (repeatable)\n"
"\n"
"exit status: 0 everything holds or serves the certificate (or was\n"
"repaired), 1 something does not, 2 bad input.\n");
}

/* Handshake with every name at each --connect target. */
static int
connect_checks(char *const *targets, size_t nt, const char *const *names,
	       size_t n, const char *leaf_pem)
{
	struct cf_err err = { 0 };
	int bad = 0;

	for (size_t t = 0; t < nt; t++) {
		char *host = NULL;
		unsigned port;
		if (cf_hostport_parse(targets[t], 443, &host, &port, &err) != CF_OK) {
			cf_cli_fail(&err);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			struct cf_tls_verdict v;
			const char *sni = names[i];
			char *wild = NULL;
			if (sni[0] == '*')
				sni = wild = cf_strfmt("certferry-check%s", sni + 1);
			if (sni == NULL || cf_tls_expect(host, port, sni, leaf_pem, 1,
							 0, &v, &err) != CF_OK) {
				free(wild);
				free(host);
				cf_cli_fail(&err);
				return -1;
			}
			printf("  tls  %-8s %s port %u, %s: %s\n", v.served ? "ok" :
			       "drifted", host, port, sni, v.detail);
			bad += !v.served;
			free(wild);
		}
		free(host);
	}
	return bad;
}

/* The options of "verify": --repair, each --connect target (into
 * *targets, borrowed from argv) and the NAME.  -1 to go on, else the exit
 * status. */
static int
verify_parse(int argc, char **argv, int *repair, char ***targets, size_t *nt)
{
	static const struct option opts[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ "connect", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **nv;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			*repair = 1;
			break;
		case 'c':
			if ((nv = realloc(*targets, (*nt + 1) * sizeof(*nv))) ==
			    NULL) {
				fprintf(stderr, "error: out of memory\n");
				return CF_EXIT_FAIL;
			}
			*targets = nv;
			(*targets)[(*nt)++] = optarg;
			break;
		case 'h':
			verify_usage(stdout);
			return CF_EXIT_OK;
		default:
			fprintf(stderr, "error: bad option: see 'certferry verify "
				"--help'\n");
			return CF_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "error: usage: certferry verify NAME [--repair] "
			"[--connect HOST[:PORT]]\n");
		return CF_EXIT_USAGE;
	}
	return -1;
}

int
cf_cmd_verify(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct cf_renewal r;
	struct cf_verify_report rep;
	char **names = NULL, **targets = NULL, *leaf = NULL, *path = NULL;
	size_t n = 0, nt = 0, len;
	int repair = 0, ret = CF_EXIT_OK, bad;

	memset(&r, 0, sizeof(r));
	memset(&rep, 0, sizeof(rep));
	if ((ret = verify_parse(argc, argv, &repair, &targets, &nt)) >= 0)
		goto out;
	ret = CF_EXIT_OK;
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_load(&st, argv[optind], &r, &err) != CF_OK ||
	    cf_spec_resolve_names(&r.spec, &names, &n, &err) != CF_OK ||
	    cf_deliver_verify(&st, &r.spec, (const char *const *)names, n, repair,
			      &rep, &err) != CF_OK ||
	    cf_state_cert_path(&st, r.spec.name, "cert.pem", &path, &err) != CF_OK ||
	    cf_file_read(path, 1u << 20, &leaf, &len, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	printf("%s (serial %s):\n", r.spec.name, r.serial ? r.serial : "?");
	cf_cli_print_verify(&rep, "  ");
	if ((bad = connect_checks(targets, nt, (const char *const *)names, n,
				  leaf)) < 0) {
		ret = CF_EXIT_FAIL;
		goto out;
	}
	if (bad > 0 || rep.failed > 0 || rep.drifted > rep.repaired)
		ret = CF_EXIT_FAIL;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(targets);
	free(leaf);
	free(path);
	cf_verify_report_free(&rep);
	cf_renewal_free(&r);
	cf_state_close(&st);
	return ret;
}
