/*
 * cmd_notify.c - "certferry notify test", and the message at the end of
 * "certferry renew" (engine/notify.h; settings from [notify]).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "engine/notify.h"
#include "store/atomic.h"

static void
notify_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry notify test | unit-failed UNIT\n"
		"\n"
		"Send a test message through every transport of the settings\n"
		"file's [notify] section (smtp-url, webhook-url, command).\n"
		"Exit 0 when every transport took it, 1 otherwise, 2 when none\n"
		"is configured.  SMTP AUTH uses smtp-user and the password in\n"
		"smtp-password-file (never shown; chmod 600 it).  webhook-url\n"
		"must be https:// (http:// only to 127.0.0.1, [::1], localhost).\n"
		"\n"
		"unit-failed UNIT: the OnFailure= service of the timer's run\n"
		"(certferry-notify@.service): reports UNIT unless the renew run\n"
		"finished and reported itself (STATE/last-run says done).\n");
}

int
cf_cli_notify(struct cf_cli *cli, const struct cf_notify_item *items,
	      size_t n, int test)
{
	struct cf_notify_conf c;
	struct cf_err err = { 0 };
	char host[256] = "localhost", *subject = NULL, *text = NULL,
	     *json = NULL;
	int send = 0, ret = CF_EXIT_OK;

	if (cli->settings == NULL)
		cf_notify_conf_init(&c);
	else
		cf_settings_notify(cli->settings, &c);
	if (!cf_notify_configured(&c)) {
		if (!test)
			return CF_EXIT_OK;
		fprintf(stderr, "error: no notification is configured: set "
			"smtp-url, webhook-url or command in the [notify] "
			"section of the settings file\n");
		return CF_EXIT_USAGE;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "localhost");
	if (cf_notify_compose(&c, host, items, n, test, &send, &subject, &text,
			      &json, &err) != CF_OK ||
	    (send && cf_notify_send(&c, subject, text, json, &err) != CF_OK)) {
		if (test)
			ret = cf_cli_fail(&err);
		else
			fprintf(stderr, "warning: notification not sent: %s\n",
				err.msg);
	} else if (send && test) {
		printf("sent: %s\n", subject);
	}
	free(subject);
	free(text);
	free(json);
	return ret;
}

#define LAST_RUN "last-run"

void
cf_cli_mark_run(const char *state_root, time_t now, int done)
{
	struct cf_err err = { 0 };
	char *path = cf_strfmt("%s/" LAST_RUN, state_root);
	char line[48];

	snprintf(line, sizeof(line), "%s %lld\n", done ? "done" : "running",
		 (long long)now);
	if (path == NULL ||
	    cf_file_write_atomic(path, line, strlen(line), 0600, &err) != CF_OK)
		fprintf(stderr, "warning: cannot record the run in %s: %s\n",
			path ? path : state_root, err.msg);
	free(path);
}

/* "notify unit-failed UNIT": systemd's OnFailure= of the renew service.
 * A run that finished (even with failed renewals) has reported already
 * (STATE/last-run says "done"); one that says "running" crashed, was
 * killed or timed out, and nobody has been told. */
static int
unit_failed(struct cf_cli *cli, const char *unit)
{
	struct cf_notify_item it;
	struct cf_err err = { 0 };
	const char *root;
	char *path = NULL, *data = NULL, detail[512];
	size_t len;
	int ret;

	if (cf_cli_state_root(cli, &root, &err) != CF_OK)
		return cf_cli_fail(&err);
	if ((path = cf_strfmt("%s/" LAST_RUN, root)) == NULL)
		return CF_EXIT_FAIL;
	if (cf_file_read(path, 64, &data, &len, &err) == CF_OK &&
	    strncmp(data, "done ", 5) == 0) {
		printf("%s failed after the renew run reported (%s): nothing "
		       "more to say\n", unit, path);
		free(path);
		free(data);
		return CF_EXIT_OK;
	}
	free(path);
	free(data);
	snprintf(detail, sizeof(detail), "the run did not finish (a crash, a "
		 "kill or a timeout) and reported nothing: see 'journalctl -u "
		 "%s'", unit);
	memset(&it, 0, sizeof(it));
	it.name = unit;
	it.kind = CF_NOTE_FAILED;
	it.detail = detail;
	ret = cf_cli_notify(cli, &it, 1, 0);
	return ret == CF_EXIT_OK ? CF_EXIT_OK : ret;
}

int
cf_cmd_notify(struct cf_cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "test") == 0)
		return cf_cli_notify(cli, NULL, 0, 1);
	if (argc == 3 && strcmp(argv[1], "unit-failed") == 0)
		return unit_failed(cli, argv[2]);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		notify_usage(stdout);
		return CF_EXIT_OK;
	}
	notify_usage(stderr);
	return CF_EXIT_USAGE;
}
