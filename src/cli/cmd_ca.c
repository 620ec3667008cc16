/* cmd_ca.c - "certferry ca info": what the CA's directory advertises. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
ca_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] ca info\n"
		"\n"
		"Reads the CA's ACME directory (--server) and prints what it\n"
		"advertises: terms of service, website, whether External Account\n"
		"Binding is required, renewal information (ARI, RFC 9773), the\n"
		"certificate profiles that 'issue --profile NAME' can ask for, and\n"
		"the CAA identities to allow in DNS.  Needs no account.\n");
}

static void
print_dir(const char *url, const struct cf_acme_directory *d)
{
	const char *name;
	json_t *v;
	size_t i;

	printf("directory:          %s\n", url);
	printf("terms of service:   %s\n",
	       d->terms_of_service ? d->terms_of_service : "(none)");
	printf("website:            %s\n", d->website ? d->website : "(none)");
	printf("EAB required:       %s\n", d->eab_required ? "yes" : "no");
	printf("renewal info (ARI): %s\n", d->renewal_info ? d->renewal_info :
								"no");
	printf("key change:         %s\n", d->key_change ? "yes" : "no");
	printf("revocation:         %s\n", d->revoke_cert ? "yes" : "no");
	printf("profiles:           %s\n", d->profiles &&
	       json_object_size(d->profiles) ? "" : "(none)");
	json_object_foreach(d->profiles, name, v)
		printf("  %-18s%s\n", name,
		       json_is_string(v) ? json_string_value(v) : "");
	printf("CAA identities:     ");
	json_array_foreach(d->caa_identities, i, v)
		printf("%s%s", i ? ", " : "",
		       json_is_string(v) ? json_string_value(v) : "?");
	printf("%s\n", json_array_size(d->caa_identities) ? "" : "(none)");
}

int
cf_cmd_ca(struct cf_cli *cli, int argc, char **argv)
{
	const struct cf_acme_directory *d;
	struct cf_acme_opts ao;
	struct cf_acme *a = NULL;
	struct cf_err err = { 0 };
	int ret;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		ca_usage(stdout);
		return CF_EXIT_OK;
	}
	if (argc != 2 || strcmp(argv[1], "info") != 0) {
		ca_usage(stderr);
		return CF_EXIT_USAGE;
	}
	memset(&ao, 0, sizeof(ao));
	ao.directory_url = cli->server;
	ao.http.ca_bundle = cli->ca_bundle;
	ao.http.timeout_s = cli->http_timeout_s;
	ao.allow_cross_origin = cli->allow_cross_origin;
	if (cf_acme_new(&ao, &a, &err) != CF_OK ||
	    cf_acme_get_directory(a, &d, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	print_dir(cli->server, d);
	ret = CF_EXIT_OK;
out:
	cf_acme_free(a);
	return ret;
}
