/* test_winacme_args.c - cli/winacme_args: win-acme's command lines as
 * certferry's, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/winacme_args.h"

/* Translate the space-separated args; the result joined, or "ERR: msg". */
static void
tr(const char *args, const char *want)
{
	char buf[1024], got[2048] = "", *argv[64], **out = NULL, *tok;
	struct cf_err err = { 0 };
	int argc = 0, n = 0, i;

	snprintf(buf, sizeof(buf), "certferry %s", args);
	for (tok = strtok(buf, " "); tok != NULL; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	assert_true(cf_winacme_args_detect(argc, argv));
	if (cf_winacme_args_translate(argc, argv, &n, &out, &err) != CF_OK) {
		assert_int_equal(err.rc, CF_ERR_USAGE);
		snprintf(got, sizeof(got), "ERR: %s", err.msg);
		if (strncmp(want, "ERR: ", 5) != 0 || strstr(got, want + 5) == NULL)
			fail_msg("%s\n  want %s\n  got  %s", args, want, got);
		return;
	}
	for (i = 1; i < n; i++) {
		strcat(got, i > 1 ? " " : "");
		strcat(got, out[i]);
	}
	assert_null(out[n]);
	cf_winacme_args_free(out);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  want %s\n  got  %s", args, want, got);
}

static void
test_translate(void **state)
{
	(void)state;
	tr("--source iis --siteid 1 --baseuri https://ca/dir --eab-key-identifier K "
	   "--eab-key S --emailaddress a@x --accepttos --installation iis --store "
	   "centralssl --centralsslstore /srv/ccs",
	   "--server https://ca/dir issue --iis-site 1 --agree-tos --email a@x "
	   "--eab-kid K --eab-hmac-key S --validation http-01 --ccs-dir /srv/ccs "
	   "--install iis");
	tr("--source iis --siteid 1,2 --host-pattern *.x --store pemfiles,pfxfile "
	   "--pemfilespath /p --pfxfilepath /f.pfx --iis-config /c",
	   "issue --iis-site 1 --iis-site 2 --iis-host-filter *.x --validation "
	   "http-01 --pem-dir /p --pfx-file /f.pfx --iis-config /c");
	tr("--source iis --siteid s --validation filesystem",
	   "issue --iis-site * --validation http-01 --iis-webroot");
	tr("--source manual --host a.x,b.x --commonname b.x --validation script "
	   "--dnsscript /s --verbose",
	   "-v issue -d b.x -d a.x --validation dns-01 --dns-script /s");
	tr("--source manual --host a.x --validationmode tls-alpn-01 "
	   "--validationport 8443 --csr ec --reuse-privatekey --force",
	   "issue -d a.x --force --key-type ec256 --reuse-key --validation "
	   "tls-alpn-01 --tls-port 8443");
	tr("--renew --force --id web", "renew --force --name web");
	tr("--renew", "renew");
	tr("--list", "list");
	tr("--cancel --friendlyname web", "cancel web");
	tr("--revoke --id web", "revoke web --yes");
	tr("--setuptaskscheduler --closeonfinish", "schedule install");
}

static void
test_refused(void **state)
{
	(void)state;
	tr("--source iis --siteid 1 --pfxpassword x", "ERR: --pfx-password-file");
	tr("--source iis --siteid 1 --store certificatestore",
	   "ERR: Windows certificate stores");
	tr("--source iis", "ERR: needs --siteid");
	tr("--source iis --siteid 1 --host a,b", "ERR: --host-pattern");
	tr("--source csr --csrfile x", "ERR: unknown win-acme argument --csrfile");
	tr("--source manual --host a --validation route53", "ERR: --dnsscript");
	tr("--source manual --host a --test", "ERR: --baseuri");
	tr("--source manual --host a --eab-algorithm HS512", "ERR: HS256");
	tr("--renew --list", "ERR: exactly one");
	tr("--cancel", "ERR: needs --id");
	tr("--cancel --id 'a*'", "ERR: no patterns");
	tr("--source manual --host a --commonname b", "ERR: not one of --host");
	tr("--source manual --host a --installation iisftp", "ERR: FTP");
}

static void
test_detect(void **state)
{
	char a0[] = "certferry", a1[] = "issue", a2[] = "--deploy-hook",
	     a3[] = "--list", a4[] = "--friendlyname", a5[] = "list",
	     a6[] = "--renew";
	char *certferry_cmd[] = { a0, a1, a2, a3, NULL };
	char *winacme[] = { a0, a6, a4, a5, NULL };

	(void)state;
	/* "--list" as a value of a certferry command is not win-acme's */
	assert_false(cf_winacme_args_detect(4, certferry_cmd));
	/* "list" as the value of a win-acme argument is not a command */
	assert_true(cf_winacme_args_detect(4, winacme));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
