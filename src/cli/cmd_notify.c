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
#include "engine/notify.h"

static void
notify_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry notify test\n"
		"\n"
		"Send a test message through every transport of the settings\n"
		"file's [notify] section (smtp-url, webhook-url, command).\n"
		"Exit 0 when every transport took it, 1 otherwise, 2 when none\n"
		"is configured.\n");
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

int
cf_cmd_notify(struct cf_cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "test") == 0)
		return cf_cli_notify(cli, NULL, 0, 1);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		notify_usage(stdout);
		return CF_EXIT_OK;
	}
	notify_usage(stderr);
	return CF_EXIT_USAGE;
}
