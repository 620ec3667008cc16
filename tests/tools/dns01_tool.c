/*
 * dns01_tool - drive the dns-01 and tls-alpn-01 validators from a shell
 * test (tests/integration/t_dns01_knot.sh).
 *
 *   dns01_tool freeport [N]          print N free TCP+UDP ports on 127.0.0.1
 *   dns01_tool present|cleanup|cycle [options]
 *       --dns rfc2136|script|manual  --server HOST[:PORT]
 *       --tsig-key-file F  --script CMD  --alias ZONE  --resolver H[:P]
 *       --name NAME  --keyauth KA  --timeout SECONDS (propagation)
 *       --wildcard  --pause-file F (cycle: wait while F exists)
 *       --script-timeout SECONDS  --verbose
 *     present: present + ready; cleanup: cleanup only (a fresh process);
 *     cycle: present + ready, print "READY", wait, cleanup.
 *   dns01_tool tlsalpn --port P --name NAME --keyauth KA --pause-file F
 *     start the tls-alpn-01 responder, present, print "READY", wait while
 *     F exists, then cleanup and destroy.
 *
 * Exit status 0 on success, 1 with "error: MESSAGE" on stderr.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "validate/dns01.h"
#include "validate/tlsalpn01.h"

static int
port_free(int port)
{
	struct sockaddr_in sa;
	int fd, ok = 1, type;

	for (type = 0; type < 2 && ok; type++) {
		fd = socket(AF_INET, type == 0 ? SOCK_STREAM : SOCK_DGRAM, 0);
		if (fd == -1)
			return 0;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((unsigned short)port);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			ok = 0;
		close(fd);
	}
	return ok;
}

/* Ports from bind(0) on TCP, kept only when UDP is free as well. */
static int
freeport(int n)
{
	int got = 0, tries = 0;

	while (got < n && tries++ < 1000) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd == -1)
			return 1;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1) {
			close(fd);
			return 1;
		}
		close(fd);
		if (port_free(ntohs(sa.sin_port))) {
			printf("%d\n", ntohs(sa.sin_port));
			got++;
		}
	}
	return got == n ? 0 : 1;
}

static void
wait_while_exists(const char *path)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	while (path != NULL && access(path, F_OK) == 0)
		nanosleep(&ts, NULL);
}

static int
fail(const struct cf_err *err)
{
	fprintf(stderr, "error: %s\n", err->msg);
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dns", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 's' },
		{ "tsig-key-file", required_argument, NULL, 'k' },
		{ "script", required_argument, NULL, 'x' },
		{ "alias", required_argument, NULL, 'a' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "keyauth", required_argument, NULL, 'K' },
		{ "timeout", required_argument, NULL, 't' },
		{ "wildcard", no_argument, NULL, 'w' },
		{ "pause-file", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "script-timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct cf_dns01_config cfg;
	struct cf_validator v;
	struct cf_challenge_task t;
	struct cf_err err;
	const char *resolvers[8], *cmd, *pause = NULL;
	size_t nres = 0;
	int ch, port = 0, rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&v, 0, sizeof(v));
	memset(&t, 0, sizeof(t));
	cf_err_clear(&err);
	cf_log_set_level(CF_LOG_WARN);
	if (argc < 2) {
		fprintf(stderr, "usage: dns01_tool freeport|present|"
		    "cleanup|cycle|tlsalpn ...\n");
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "freeport") == 0)
		return freeport(argc > 2 ? atoi(argv[2]) : 1);
	cfg.provider = CF_DNS_RFC2136;
	cfg.manual_in = stdin;
	cfg.manual_out = stdout;
	t.type = "dns-01";
	t.token = "token";
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (strcmp(optarg, "rfc2136") == 0)
				cfg.provider = CF_DNS_RFC2136;
			else if (strcmp(optarg, "script") == 0)
				cfg.provider = CF_DNS_SCRIPT;
			else if (strcmp(optarg, "manual") == 0)
				cfg.provider = CF_DNS_MANUAL;
			else
				cfg.provider = (enum cf_dns_provider)99;
			break;
		case 's':
			cfg.server = optarg;
			break;
		case 'k':
			cfg.tsig_key_file = optarg;
			break;
		case 'x':
			cfg.script = optarg;
			break;
		case 'a':
			cfg.alias_zone = optarg;
			break;
		case 'r':
			if (nres < 8)
				resolvers[nres++] = optarg;
			break;
		case 'n':
			t.identifier = optarg;
			break;
		case 'K':
			t.key_authorization = optarg;
			break;
		case 't':
			cfg.propagation_timeout = atoi(optarg);
			break;
		case 'w':
			t.wildcard = 1;
			break;
		case 'p':
			pause = optarg;
			break;
		case 'P':
			port = atoi(optarg);
			break;
		case 'T':
			cfg.script_timeout = atoi(optarg);
			break;
		case 'v':
			cf_log_set_level(CF_LOG_DEBUG);
			break;
		default:
			return 2;
		}
	}
	cfg.resolvers = resolvers;
	cfg.nresolvers = nres;
	if (t.identifier == NULL || t.key_authorization == NULL) {
		fprintf(stderr, "error: --name and --keyauth are needed\n");
		return 2;
	}

	if (strcmp(cmd, "tlsalpn") == 0) {
		t.type = "tls-alpn-01";
		if (cf_tlsalpn01_validator_new("127.0.0.1", port, &v, &err) !=
		    CF_OK)
			return fail(&err);
		if (v.present(v.ctx, &t, &err) != CF_OK) {
			rc = fail(&err);
			goto out;
		}
		printf("READY\n");
		fflush(stdout);
		wait_while_exists(pause);
		v.cleanup(v.ctx, &t);
		rc = 0;
		goto out;
	}

	if (cf_dns01_validator_new(&cfg, &v, &err) != CF_OK)
		return fail(&err);
	if (strcmp(cmd, "cleanup") == 0) {
		v.cleanup(v.ctx, &t);
		rc = 0;
		goto out;
	}
	if (strcmp(cmd, "present") != 0 && strcmp(cmd, "cycle") != 0) {
		fprintf(stderr, "error: unknown command %s\n", cmd);
		rc = 2;
		goto out;
	}
	if (v.present(v.ctx, &t, &err) != CF_OK) {
		rc = fail(&err);
		goto out;
	}
	if (v.ready(v.ctx, &err) != CF_OK) {
		rc = fail(&err);
		v.cleanup(v.ctx, &t);
		goto out;
	}
	printf("READY\n");
	fflush(stdout);
	if (strcmp(cmd, "cycle") == 0) {
		wait_while_exists(pause);
		v.cleanup(v.ctx, &t);
	}
	rc = 0;
out:
	cf_validator_destroy(&v);
	return rc;
}
