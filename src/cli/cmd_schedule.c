/* cmd_schedule.c - "certferry schedule install|remove": run `certferry
 * renew` twice a day, with a systemd timer (randomized delay) or a crontab
 * line.  The units name this binary and the global options given here. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/atomic.h"

#define DEFAULT_UNIT_DIR "/etc/systemd/system"
#define UNIT "certferry-renew"

static void
schedule_usage(FILE *f)
{
	fprintf(f,
"usage: certferry [global options] schedule install [--unit-dir DIR] [--cron]\n"
"       certferry [global options] schedule remove [--unit-dir DIR]\n"
"\n"
"install writes " UNIT ".service and " UNIT ".timer (twice daily, with\n"
"a randomized delay of up to an hour) into DIR (default " DEFAULT_UNIT_DIR ")\n"
"and, for the default DIR, runs 'systemctl daemon-reload' and enables the\n"
"timer.  With --cron it prints a crontab line instead (install nothing).\n"
"The job runs 'certferry renew' with the --state-dir and --ca-bundle given\n"
"here.  remove deletes the two units (and disables the timer).\n");
}

/* Absolute path of this binary (for ExecStart). */
static int
self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* " --state-dir X --ca-bundle Y [--allow-cross-origin]" for the job's
 * command line. */
static void
global_args(struct cf_cli *cli, char *buf, size_t len)
{
	char abs[PATH_MAX];

	buf[0] = '\0';
	if (cli->state_dir != NULL) {
		const char *d = realpath(cli->state_dir, abs) ? abs : cli->state_dir;
		snprintf(buf + strlen(buf), len - strlen(buf), " --state-dir %s", d);
	}
	if (cli->ca_bundle != NULL) {
		const char *c = realpath(cli->ca_bundle, abs) ? abs : cli->ca_bundle;
		snprintf(buf + strlen(buf), len - strlen(buf), " --ca-bundle %s", c);
	}
	if (cli->allow_cross_origin)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 " --allow-cross-origin");
}

static int
run_systemctl(const char *args)
{
	char cmd[256];

	if (access("/bin/systemctl", X_OK) != 0 &&
	    access("/usr/bin/systemctl", X_OK) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "systemctl %s", args);
	if (system(cmd) != 0) {
		fprintf(stderr, "warning: '%s' failed\n", cmd);
		return -1;
	}
	return 0;
}

int
cf_cmd_schedule(struct cf_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "unit-dir", required_argument, NULL, 'u' },
		{ "cron", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = DEFAULT_UNIT_DIR, *cmd;
	char self[PATH_MAX], args[2 * PATH_MAX + 64], svc[PATH_MAX + 64],
	     tmr[PATH_MAX + 64], text[4 * PATH_MAX + 1024];
	struct cf_err err = { 0 };
	int ch, cron = 0, dflt = 1;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		schedule_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CF_EXIT_USAGE : CF_EXIT_OK;
	}
	cmd = argv[1];
	if (strcmp(cmd, "install") != 0 && strcmp(cmd, "remove") != 0) {
		fprintf(stderr, "error: unknown 'schedule' command '%s': use install "
			"or remove\n", cmd);
		return CF_EXIT_USAGE;
	}
	optind = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			dir = optarg;
			dflt = 0;
			break;
		case 'c':
			cron = 1;
			break;
		case 'h':
			schedule_usage(stdout);
			return CF_EXIT_OK;
		default:
			schedule_usage(stderr);
			return CF_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind + 1]);
		return CF_EXIT_USAGE;
	}
	if (self_path(self, sizeof(self)) != 0) {
		fprintf(stderr, "error: cannot find the certferry binary's path\n");
		return CF_EXIT_FAIL;
	}
	global_args(cli, args, sizeof(args));
	snprintf(svc, sizeof(svc), "%s/" UNIT ".service", dir);
	snprintf(tmr, sizeof(tmr), "%s/" UNIT ".timer", dir);
	if (strcmp(cmd, "remove") == 0) {
		if (dflt)
			(void)run_systemctl("disable --now " UNIT ".timer");
		if ((unlink(tmr) != 0 && errno != ENOENT) ||
		    (unlink(svc) != 0 && errno != ENOENT)) {
			fprintf(stderr, "error: remove %s: %s\n", dir, strerror(errno));
			return CF_EXIT_FAIL;
		}
		if (dflt)
			(void)run_systemctl("daemon-reload");
		printf("removed %s and %s\n", svc, tmr);
		return CF_EXIT_OK;
	}
	if (cron) {
		/* A fixed random minute per installation spreads the load. */
		unsigned m = (unsigned)getpid() % 60, h = (unsigned)time(NULL) % 12;
		printf("%u %u,%u * * * root %s%s renew -q\n", m, h, h + 12, self,
		       args);
		return CF_EXIT_OK;
	}
	snprintf(text, sizeof(text),
		 "# Written by 'certferry schedule install'.\n"
		 "[Unit]\n"
		 "Description=certferry: renew ACME certificates that are due\n"
		 "Wants=network-online.target\n"
		 "After=network-online.target\n"
		 "\n"
		 "[Service]\n"
		 "Type=oneshot\n"
		 "ExecStart=%s%s renew\n"
		 "# exit 3: an order is still processing at the CA (not a failure)\n"
		 "SuccessExitStatus=3\n"
		 "PrivateTmp=yes\n"
		 "NoNewPrivileges=yes\n",
		 self, args);
	if (cf_mkdir_p(dir, 0755, 0, &err) != CF_OK ||
	    cf_file_write_atomic(svc, text, strlen(text), 0644, &err) != CF_OK)
		return cf_cli_fail(&err);
	snprintf(text, sizeof(text),
		 "# Written by 'certferry schedule install'.\n"
		 "[Unit]\n"
		 "Description=certferry: renew ACME certificates twice a day\n"
		 "\n"
		 "[Timer]\n"
		 "OnCalendar=*-*-* 00,12:00:00\n"
		 "RandomizedDelaySec=1h\n"
		 "Persistent=true\n"
		 "\n"
		 "[Install]\n"
		 "WantedBy=timers.target\n");
	if (cf_file_write_atomic(tmr, text, strlen(text), 0644, &err) != CF_OK)
		return cf_cli_fail(&err);
	if (dflt && (run_systemctl("daemon-reload") != 0 ||
		     run_systemctl("enable --now " UNIT ".timer") != 0))
		fprintf(stderr, "warning: enable the timer by hand: systemctl "
			"enable --now " UNIT ".timer\n");
	printf("installed %s and %s%s\n", svc, tmr,
	       dflt ? "" : " (run 'systemctl daemon-reload' and enable the "
			   "timer where they are used)");
	return CF_EXIT_OK;
}
