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
#include "cli/settings.h"
#include "core/buf.h"
#include "core/harden.h"
#include "store/atomic.h"

#define DEFAULT_UNIT_DIR "/etc/systemd/system"
#define UNIT "certferry-renew"
#define NOTIFY_UNIT "certferry-notify"

static void
schedule_usage(FILE *f)
{
	fprintf(f,
"usage: certferry [global options] schedule install [--unit-dir DIR] [--cron]\n"
"       certferry [global options] schedule remove [--unit-dir DIR]\n"
"\n"
"install writes " UNIT ".service, " UNIT ".timer (twice daily, with\n"
"a randomized delay of up to an hour) and " NOTIFY_UNIT "@.service (its\n"
"OnFailure=: a run that crashes is reported) into DIR (default " DEFAULT_UNIT_DIR ")\n"
"and, for the default DIR, runs 'systemctl daemon-reload' and enables the\n"
"timer.  With --cron it prints a crontab line instead (install nothing).\n"
"The job runs 'certferry renew' with the --state-dir, --ca-bundle and\n"
"--config given here.  remove deletes the three units (and disables the timer).\n");
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

/*
 * One argument quoted for where it goes.  systemd (ExecStart): in double
 * quotes, with '\\' and '"' escaped and the specifiers '%' and '$' doubled.
 * cron (a /bin/sh command line): in single quotes, a ' as '\'' and '%'
 * (a newline to cron, even inside quotes) as '\%'.  *out malloc'd.
 */
static char *
quote_arg(const char *a, int cron)
{
	size_t n = 3;
	char *out, *w;

	for (const char *p = a; *p; p++)
		n += 4;
	if ((out = w = malloc(n)) == NULL)
		return NULL;
	*w++ = cron ? '\'' : '"';
	for (const char *p = a; *p; p++) {
		if (cron && *p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else if (cron && *p == '%') {
			*w++ = '\\';
			*w++ = '%';
		} else if (!cron && (*p == '\\' || *p == '"')) {
			*w++ = '\\';
			*w++ = *p;
		} else if (!cron && (*p == '%' || *p == '$')) {
			*w++ = *p;
			*w++ = *p;
		} else {
			*w++ = *p;
		}
	}
	*w++ = cron ? '\'' : '"';
	*w = '\0';
	return out;
}

/* The job's command line: BINARY [--state-dir X] [--ca-bundle Y]
 * [--config F] [--allow-cross-origin] TAIL (" renew", or the notify
 * unit's " notify unit-failed %i"),
 * every path absolute (main made them so) and quoted.  malloc'd. */
static char *
job_command(const struct cf_cli *cli, const char *self, int cron,
	    const char *tail)
{
	char *bin = quote_arg(self, cron), *sd = NULL, *ca = NULL, *cmd = NULL;
	char *cf = NULL;
	/* a named settings file; the default one is found again by itself */
	const char *conf = cli->settings != NULL &&
			   cf_settings_explicit(cli->settings) ?
			   cf_settings_file(cli->settings) : NULL;

	if (bin == NULL ||
	    (cli->state_dir != NULL &&
	     (sd = quote_arg(cli->state_dir, cron)) == NULL) ||
	    (cli->ca_bundle != NULL &&
	     (ca = quote_arg(cli->ca_bundle, cron)) == NULL) ||
	    (conf != NULL && (cf = quote_arg(conf, cron)) == NULL))
		goto out;
	cmd = cf_strfmt("%s%s%s%s%s%s%s%s%s%s", bin,
			sd ? " --state-dir " : "", sd ? sd : "",
			ca ? " --ca-bundle " : "", ca ? ca : "",
			cf ? " --config " : "", cf ? cf : "",
			cli->allow_cross_origin ? " --allow-cross-origin" : "",
			tail, cron ? " -q" : "");
out:
	free(cf);
	free(bin);
	free(sd);
	free(ca);
	return cmd;
}

/* systemctl with the given arguments (at most 3), through cf_child_run:
 * no secret of certferry's environment, no open descriptor. */
static int
run_systemctl(const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = { "systemctl", a1, a2, a3, NULL };
	struct cf_err err = { 0 };

	if (access("/bin/systemctl", X_OK) != 0 &&
	    access("/usr/bin/systemctl", X_OK) != 0)
		return 0;
	if (cf_child_run(argv, &err) != CF_OK) {
		fprintf(stderr, "warning: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* What "schedule install|remove" was asked for. */
struct schedule {
	const char *cmd;             /* "install" or "remove" */
	const char *dir;             /* --unit-dir */
	int cron, dflt;              /* --cron; dir is the default */
	char *svc, *tmr, *nfy;       /* owned: the three unit files */
};

/* The command and its options.  -1 to go on, else the exit status. */
static int
schedule_parse(int argc, char **argv, struct schedule *s)
{
	static const struct option longopts[] = {
		{ "unit-dir", required_argument, NULL, 'u' },
		{ "cron", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, ret;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		schedule_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CF_EXIT_USAGE : CF_EXIT_OK;
	}
	s->cmd = argv[1];
	if (strcmp(s->cmd, "install") != 0 && strcmp(s->cmd, "remove") != 0) {
		fprintf(stderr, "error: unknown 'schedule' command '%s': use install "
			"or remove\n", s->cmd);
		return CF_EXIT_USAGE;
	}
	optind = 0;
	while ((ch = cf_cli_getopt(argc - 1, argv + 1, longopts, schedule_usage,
				   &ret)) >= 0) {
		if (ch == 'u') {
			s->dir = optarg;
			s->dflt = 0;
		} else {
			s->cron = 1;
		}
	}
	if (ch == CF_CLI_OPT_EXIT)
		return ret;
	if (cf_cli_no_more_args(argc - 1, argv + 1) != CF_EXIT_OK)
		return CF_EXIT_USAGE;
	return -1;
}

static int
schedule_remove(const struct schedule *s)
{
	if (s->dflt)
		(void)run_systemctl("disable", "--now", UNIT ".timer");
	if ((unlink(s->tmr) != 0 && errno != ENOENT) ||
	    (unlink(s->nfy) != 0 && errno != ENOENT) ||
	    (unlink(s->svc) != 0 && errno != ENOENT)) {
		fprintf(stderr, "error: remove %s: %s\n", s->dir, strerror(errno));
		return CF_EXIT_FAIL;
	}
	if (s->dflt)
		(void)run_systemctl("daemon-reload", NULL, NULL);
	printf("removed %s, %s and %s\n", s->svc, s->tmr, s->nfy);
	return CF_EXIT_OK;
}

/* --cron: print the crontab line, install nothing. */
static int
schedule_cron(const struct cf_cli *cli, const char *self)
{
	/* A fixed random minute per installation spreads the load. */
	unsigned m = (unsigned)getpid() % 60, h = (unsigned)time(NULL) % 12;
	char *job = job_command(cli, self, 1, " renew");

	if (job == NULL) {
		fprintf(stderr, "error: out of memory\n");
		return CF_EXIT_FAIL;
	}
	printf("%u %u,%u * * * root %s\n", m, h, h + 12, job);
	free(job);
	return CF_EXIT_OK;
}

/* The renew service's unit text: runs job.  malloc'd. */
static char *
service_unit(const char *job)
{
	return cf_strfmt(
		 "# Written by 'certferry schedule install'.\n"
		 "[Unit]\n"
		 "Description=certferry: renew ACME certificates that are due\n"
		 "Wants=network-online.target\n"
		 "After=network-online.target\n"
		 "# a run that crashes, is killed or times out is reported too\n"
		 "OnFailure=" NOTIFY_UNIT "@%%n.service\n"
		 "\n"
		 "[Service]\n"
		 "Type=oneshot\n"
		 "ExecStart=%s\n"
		 "# exit 3: an order is still processing at the CA (not a failure)\n"
		 "SuccessExitStatus=3\n"
		 "PrivateTmp=yes\n"
		 "NoNewPrivileges=yes\n",
		 job);
}

static const char timer_unit[] =
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
	"WantedBy=timers.target\n";

/* The OnFailure= unit's text: runs job ("notify unit-failed %i").
 * malloc'd. */
static char *
notify_unit(const char *job)
{
	return cf_strfmt(
		 "# Written by 'certferry schedule install': reports a renew run\n"
		 "# that failed without reporting itself ([notify] settings).\n"
		 "[Unit]\n"
		 "Description=certferry: report that %%i failed\n"
		 "\n"
		 "[Service]\n"
		 "Type=oneshot\n"
		 "ExecStart=%s\n"
		 "PrivateTmp=yes\n"
		 "NoNewPrivileges=yes\n", job);
}

/* Write path (0644) with the text unit(job of tail) makes.  CF_EXIT_*. */
static int
write_unit(const struct cf_cli *cli, const char *self, const char *path,
	   char *(*unit)(const char *job), const char *tail)
{
	struct cf_err err = { 0 };
	char *job = job_command(cli, self, 0, tail), *text = NULL;
	int ret = CF_EXIT_OK;

	if (job == NULL || (text = unit(job)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = CF_EXIT_FAIL;
	} else if (cf_file_write_atomic(path, text, strlen(text), 0644,
					&err) != CF_OK) {
		ret = cf_cli_fail(&err);
	}
	free(job);
	free(text);
	return ret;
}

static int
schedule_install(const struct cf_cli *cli, const char *self,
		 const struct schedule *s)
{
	struct cf_err err = { 0 };
	int ret;

	if (cf_mkdir_p(s->dir, 0755, 0, &err) != CF_OK)
		return cf_cli_fail(&err);
	if ((ret = write_unit(cli, self, s->svc, service_unit, " renew")) !=
	    CF_EXIT_OK)
		return ret;
	if (cf_file_write_atomic(s->tmr, timer_unit, strlen(timer_unit), 0644,
				 &err) != CF_OK)
		return cf_cli_fail(&err);
	if ((ret = write_unit(cli, self, s->nfy, notify_unit,
			      " notify unit-failed %i")) != CF_EXIT_OK)
		return ret;
	if (s->dflt && (run_systemctl("daemon-reload", NULL, NULL) != 0 ||
			run_systemctl("enable", "--now", UNIT ".timer") != 0))
		fprintf(stderr, "warning: enable the timer by hand: systemctl "
			"enable --now " UNIT ".timer\n");
	printf("installed %s, %s and %s%s\n", s->svc, s->tmr, s->nfy,
	       s->dflt ? "" : " (run 'systemctl daemon-reload' and enable the "
			      "timer where they are used)");
	return CF_EXIT_OK;
}

int
cf_cmd_schedule(struct cf_cli *cli, int argc, char **argv)
{
	struct schedule s = { .dir = DEFAULT_UNIT_DIR, .dflt = 1 };
	char self[PATH_MAX];
	int ret;

	if ((ret = schedule_parse(argc, argv, &s)) >= 0)
		return ret;
	if (self_path(self, sizeof(self)) != 0) {
		fprintf(stderr, "error: cannot find the certferry binary's path\n");
		return CF_EXIT_FAIL;
	}
	if (s.cron && strcmp(s.cmd, "install") == 0)
		return schedule_cron(cli, self);
	if ((s.svc = cf_strfmt("%s/" UNIT ".service", s.dir)) == NULL ||
	    (s.tmr = cf_strfmt("%s/" UNIT ".timer", s.dir)) == NULL ||
	    (s.nfy = cf_strfmt("%s/" NOTIFY_UNIT "@.service", s.dir)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = CF_EXIT_FAIL;
	} else if (strcmp(s.cmd, "remove") == 0) {
		ret = schedule_remove(&s);
	} else {
		ret = schedule_install(cli, self, &s);
	}
	free(s.svc);
	free(s.tmr);
	free(s.nfy);
	return ret;
}
