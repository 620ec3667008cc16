/*
 * main.c - certferry's entry point: global options, then the subcommand.
 * Only wiring lives here; see cli.h and the cmd_*.c files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_iis.h"
#include "cli/settings.h"
#include "cli/winacme_args.h"
#include "core/harden.h"
#include "core/log.h"
#include "sep/keyproc.h"
#include "sep/netproc.h"
#include "sep/proc.h"
#include "sep/respproc.h"
#include "store/paths.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] COMMAND [options]\n"
		"\n"
		"ACME certificate connector: enroll, install, renew and revoke TLS\n"
		"certificates, with External Account Binding.\n"
		"\n"
		"commands:\n"
		"  account register|show|update|rollover|deactivate|\n"
		"          export|import|list\n"
		"                          the ACME account at the CA\n"
		"  issue -d NAME...        enroll a certificate (and record its renewal)\n"
		"  renew                   renew every certificate that is due\n"
		"  list | show NAME        the certificates certferry manages\n"
		"  cancel NAME             stop renewing a certificate\n"
		"  revoke NAME             revoke a certificate at the CA\n"
		"  verify NAME             do its stores hold it, do its servers\n"
		"                          serve it (TLS handshake)?\n"
		"  schedule install|remove the systemd timer (or a crontab line)\n"
		"  iis sites|check         read IIS's applicationHost.config\n"
		"  iis import-winacme DIR  win-acme renewals as certferry definitions\n"
		"  ca info                 what the CA advertises: profiles, ARI,\n"
		"                          terms, EAB required, CAA identities\n"
		"  config show             each setting's value and where it came from\n"
		"  --source iis|manual ...  win-acme's unattended arguments, run as\n"
		"                          certferry's (docs/WINACME-ARGS.md)\n"
		"  interactive             a menu (also: certferry alone on a terminal)\n"
		"  status [--json] [--prometheus FILE]\n"
		"                          health at a glance (exit 1: attention)\n"
		"  notify test             send a test notification ([notify] settings)\n"
		"\n"
		"global options:\n"
		"  --config FILE      settings file (env CERTFERRY_CONFIG; default\n"
		"                     /etc/certferry/certferry.conf for root, else\n"
		"                     $XDG_CONFIG_HOME/certferry/certferry.conf)\n"
		"  --ca NAME          the settings file's [ca NAME] profile (env\n"
		"                     CERTFERRY_CA)\n"
		"  --server URL       the CA's ACME directory URL (env CERTFERRY_SERVER)\n"
		"  --state-dir DIR    state folder (env CERTFERRY_STATE_DIR; default\n"
		"                     /var/lib/certferry for root, else\n"
		"                     $XDG_STATE_HOME/certferry)\n"
		"  --ca-bundle FILE   trust anchors for the CA's HTTPS (env\n"
		"                     CERTFERRY_CA_BUNDLE); TLS is always verified\n"
		"  --http-timeout S   longest wait for one answer from the CA,\n"
		"                     e.g. a finalize held open (default 300)\n"
		"  --account NAME     use the account NAME of the server (env\n"
		"                     CERTFERRY_ACCOUNT; default: its default\n"
		"                     account); recorded for renewals by issue\n"
		"  --allow-cross-origin  follow URLs the CA gives on another host\n"
		"                     or port than its directory (default: refuse)\n"
		"  -v, --verbose      more detail: each request's method, URL,\n"
		"                     status and time (repeat for more)\n"
		"  -q, --quiet        errors only\n"
		"  -h, --help         this help; COMMAND --help for a command's\n"
		"  -V, --version      print the version\n"
		"\n"
		"exit status: 0 success, 1 failure, 2 usage error, 3 pending at the\n"
		"CA (run again later), 4 locked by another certferry run.\n");
}

static const char *
env_or(const char *v, const char *name)
{
	const char *e;

	if (v != NULL)
		return v;
	e = getenv(name);
	return (e != NULL && *e != '\0') ? e : NULL;
}

/* What the global options and the settings file give, and what main
 * frees at the end. */
struct globals {
	struct cf_cli cli;
	const char *conf_arg, *ca_arg;   /* --config, --ca */
	const char *given_k[16], *given_v[16]; /* for "config show" */
	size_t ngiven;
	struct cf_settings *settings;    /* owned */
	char *state_abs, *bundle_abs, *conf_path, *conf_abs; /* owned */
};

/* The helper processes (sep/proc.h): certferry executed by itself, its
 * channel on descriptor 3; they never reach the options.  Returns the
 * helper's exit status, or -1 for a run of certferry's own. */
/*
 * GnuTLS comes into a process that loads libcurl (http/curlload.h) only
 * as a dependency of libcurl's dependencies (librtmp) and is never used,
 * but a library constructor initialises it at load time (0.8 MiB of
 * memory).  GnuTLS asks this weak hook of its own first (lib/global.c):
 * defined here and exported from the executable (Makefile), it says
 * "skip".  Only the program has it; the unit tests and tools load GnuTLS
 * as it comes.
 */
int _gnutls_global_init_skip(void);
int
_gnutls_global_init_skip(void)
{
	return 1;
}

static int
helper_process(int argc, char **argv)
{
	const char *nosep = getenv("CERTFERRY_NO_PRIVSEP");

	if (argc == 2 && strncmp(argv[1], "__", 2) == 0)
		cf_sep_helper_init();
	if (argc == 2 && strcmp(argv[1], CF_SEP_ARG_NET) == 0)
		return cf_netproc_main(CF_SEP_FD);
	if (argc == 2 && strcmp(argv[1], CF_SEP_ARG_RESPONDER) == 0)
		return cf_respproc_main(CF_SEP_FD);
	if (argc == 2 && strcmp(argv[1], CF_SEP_ARG_KEY) == 0)
		return cf_keyproc_main(CF_SEP_FD);
	/* Privilege separation: every connection to a CA is made by a
	 * network process, the account key is held by a key process, every
	 * standalone responder runs in a process of its own.
	 * CERTFERRY_NO_PRIVSEP=1 keeps them in this process, for debugging
	 * only. */
	if (nosep == NULL || strcmp(nosep, "1") != 0)
		cf_sep_enable("/proc/self/exe");
	return -1;
}

/* One global option (ch, its value optarg) into g.  -1 to go on, else
 * the exit status. */
static int
global_opt(struct globals *g, int ch)
{
	struct cf_cli *cli = &g->cli;
	struct cf_err err = { 0 };

	switch (ch) {
	case 's':
		cli->server = optarg;
		break;
	case 'S':
		cli->state_dir = optarg;
		break;
	case 'C':
		cli->ca_bundle = optarg;
		break;
	case 'O':
		cli->allow_cross_origin = 1;
		break;
	case 'A':
		cli->account = optarg;
		break;
	case 'c':
		g->conf_arg = optarg;
		break;
	case 'P':
		g->ca_arg = optarg;
		break;
	case 'v':
		cli->verbosity++;
		break;
	case 'q':
		cli->verbosity = CF_LOG_QUIET;
		break;
	case 'T':
		if (cf_cli_long_arg("--http-timeout", optarg, 1, 86400,
				    &cli->http_timeout_s, &err) != CF_OK)
			return cf_cli_fail(&err);
		break;
	case 'h':
		usage(stdout);
		return CF_EXIT_OK;
	case 'V':
		printf("certferry %s\n", CF_VERSION);
		return CF_EXIT_OK;
	default:
		usage(stderr);
		return CF_EXIT_USAGE;
	}
	return -1;
}

/* The global options, up to the subcommand ("+": its options are its
 * own); each given one is remembered for "config show".  -1 to go on,
 * else the exit status. */
static int
global_opts(struct globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "ca-bundle", required_argument, NULL, 'C' },
		{ "http-timeout", required_argument, NULL, 'T' },
		{ "allow-cross-origin", no_argument, NULL, 'O' },
		{ "account", required_argument, NULL, 'A' },
		{ "config", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, li = 0, ret;

	while ((ch = getopt_long(argc, argv, "+vqhV", longopts, &li)) != -1) {
		if (ch != 'v' && ch != 'q' && ch != 'h' && ch != 'V' &&
		    ch != '?' && g->ngiven < 16) {
			g->given_k[g->ngiven] = longopts[li].name;
			g->given_v[g->ngiven++] = optarg != NULL ? optarg : "yes";
		}
		if ((ret = global_opt(g, ch)) >= 0)
			return ret;
	}
	/* no command: the menu on a terminal, the usage otherwise */
	if (optind >= argc && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
		usage(stderr);
		return CF_EXIT_USAGE;
	}
	return -1;
}

/* The settings file (--config, CERTFERRY_CONFIG or the default) and its
 * [ca NAME] profile, loaded into g->settings. */
static cf_rc
load_settings(struct globals *g, struct cf_err *err)
{
	int explicit;
	cf_rc rc;

	if (g->conf_arg != NULL &&
	    (rc = cf_path_abs(g->conf_arg, &g->conf_abs, err)) != CF_OK)
		return rc;
	if (g->conf_abs != NULL)
		g->conf_arg = g->conf_abs;
	if ((rc = cf_settings_path(g->conf_arg, &g->conf_path, &explicit,
				   err)) != CF_OK ||
	    (rc = cf_settings_load(g->conf_path, explicit, &g->settings,
				   err)) != CF_OK)
		return rc;
	return cf_settings_select_ca(g->settings, g->ca_arg, err);
}

/* What neither the options nor the environment gave, from the settings
 * file (settings.h). */
static cf_rc
settings_fill(struct cf_cli *cli, const struct cf_settings *settings,
	      struct cf_err *err)
{
	const char *v;

	if (cli->server == NULL)
		cli->server = cf_settings_global(settings, "server");
	if (cli->state_dir == NULL)
		cli->state_dir = cf_settings_global(settings, "state-dir");
	if (cli->ca_bundle == NULL)
		cli->ca_bundle = cf_settings_global(settings, "ca-bundle");
	if (cli->account == NULL)
		cli->account = cf_settings_global(settings, "account");
	if (cf_settings_global(settings, "allow-cross-origin") != NULL)
		cli->allow_cross_origin = 1;
	if (cli->http_timeout_s == 0 &&
	    (v = cf_settings_global(settings, "http-timeout")) != NULL)
		return cf_cli_long_arg("http-timeout", v, 1, 86400,
				       &cli->http_timeout_s, err);
	return CF_OK;
}

/* Options, environment, settings file, in this order of precedence; the
 * paths recorded in renewals and timer units made absolute. */
static cf_rc
resolve_globals(struct globals *g, struct cf_err *err)
{
	struct cf_cli *cli = &g->cli;
	cf_rc rc;

	cli->server = env_or(cli->server, "CERTFERRY_SERVER");
	cli->state_dir = env_or(cli->state_dir, "CERTFERRY_STATE_DIR");
	cli->ca_bundle = env_or(cli->ca_bundle, "CERTFERRY_CA_BUNDLE");
	cli->account = env_or(cli->account, "CERTFERRY_ACCOUNT");
	if ((rc = load_settings(g, err)) != CF_OK ||
	    (rc = settings_fill(cli, g->settings, err)) != CF_OK)
		return rc;
	if ((cli->state_dir != NULL &&
	     (rc = cf_path_abs(cli->state_dir, &g->state_abs, err)) != CF_OK) ||
	    (cli->ca_bundle != NULL &&
	     (rc = cf_path_abs(cli->ca_bundle, &g->bundle_abs, err)) != CF_OK))
		return rc;
	if (g->state_abs != NULL)
		cli->state_dir = g->state_abs;
	if (g->bundle_abs != NULL)
		cli->ca_bundle = g->bundle_abs;
	return CF_OK;
}

static const struct command {
	const char *name;
	int (*run)(struct cf_cli *cli, int argc, char **argv);
} commands[] = {
	{ "interactive", cf_cmd_interactive }, { "status", cf_cmd_status },
	{ "notify", cf_cmd_notify }, { "account", cf_cmd_account },
	{ "issue", cf_cmd_issue }, { "renew", cf_cmd_renew },
	{ "list", cf_cmd_list }, { "show", cf_cmd_show },
	{ "cancel", cf_cmd_cancel }, { "revoke", cf_cmd_revoke },
	{ "schedule", cf_cmd_schedule }, { "ca", cf_cmd_ca },
	{ "iis", cf_cmd_iis }, { "verify", cf_cmd_verify },
};

/* Run the subcommand argv[0]. */
static int
run_command(struct globals *g, int argc, char **argv)
{
	if (strcmp(argv[0], "config") == 0)
		return cf_cmd_config(g->settings, g->given_k, g->given_v,
				     g->ngiven, argc, argv);
	if (strcmp(argv[0], "iis") == 0 && argc > 1 &&
	    strcmp(argv[1], "import-winacme") == 0)
		return cf_cmd_iis_import_winacme(&g->cli, argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(&g->cli, argc, argv);
	fprintf(stderr, "error: unknown command '%s': see certferry --help\n",
		argv[0]);
	return CF_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static char interactive_name[] = "interactive";
	static char *interactive_argv[] = { interactive_name, NULL };
	struct globals g;
	struct cf_err err = { 0 };
	char **wa_argv = NULL, **cmd_argv = NULL;
	int ret, cmd_argc;

	/* First, before any secret is read: no core dumps. */
	if (cf_harden_process(&err) != CF_OK)
		return cf_cli_fail(&err);
	if ((ret = helper_process(argc, argv)) >= 0)
		return ret;
	memset(&g, 0, sizeof(g));
	g.cli.verbosity = CF_LOG_INFO;
	/* win-acme's unattended command line: run as certferry's own, and
	 * say which (winacme_args.h). */
	if (cf_winacme_args_detect(argc, argv)) {
		if (cf_winacme_args_translate(argc, argv, &argc, &wa_argv,
					      &err) != CF_OK)
			return cf_cli_fail(&err);
		argv = wa_argv;
		cf_winacme_args_print(stderr, argc, argv);
	}
	if ((ret = global_opts(&g, argc, argv)) >= 0)
		goto out;
	if (resolve_globals(&g, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	cf_log_set_level(g.cli.verbosity > CF_LOG_TRACE ? CF_LOG_TRACE :
			 (enum cf_log_level)g.cli.verbosity);
	g.cli.global_argv = argv + 1;
	g.cli.global_argc = optind - 1;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		argc = 1;
		argv = interactive_argv;
	}
	if (cf_settings_command_argv(g.settings, argc, argv, &cmd_argc,
				     &cmd_argv, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	g.cli.settings = g.settings;
	ret = run_command(&g, cmd_argc, cmd_argv);
out:
	free(cmd_argv);
	cf_settings_free(g.settings);
	free(g.conf_path);
	free(g.conf_abs);
	cf_winacme_args_free(wa_argv);
	free(g.cli.state_default);
	free(g.state_abs);
	free(g.bundle_abs);
	return ret;
}
