/* test_settings.c - cli/settings: certferry.conf read through inih, errors
 * with FILE:LINE, profiles, and the options a command receives (command
 * line > environment > [ca NAME] > section). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/settings.h"

static char path[64];

static void
write_conf(const char *text)
{
	FILE *f;

	strcpy(path, "/tmp/test_settings.XXXXXX");
	assert_int_not_equal(mkstemp(path), -1);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct cf_settings *
load_ok(const char *text)
{
	struct cf_settings *s = NULL;
	struct cf_err err = { 0 };

	write_conf(text);
	assert_int_equal(cf_settings_load(path, 1, &s, &err), CF_OK);
	unlink(path);
	return s;
}

/* The error for text, which must name path:line. */
static void
load_fails(const char *text, unsigned line, const char *part)
{
	struct cf_settings *s = NULL;
	struct cf_err err = { 0 };
	char want[128];

	write_conf(text);
	assert_int_equal(cf_settings_load(path, 1, &s, &err), CF_ERR_USAGE);
	assert_null(s);
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (strncmp(err.msg, want, strlen(want)) != 0 ||
	    strstr(err.msg, part) == NULL)
		fail_msg("want '%s...%s', got '%s'", want, part, err.msg);
	unlink(path);
}

static void
test_errors(void **state)
{
	(void)state;
	load_fails("[global]\n# c\nsever = https://x/\n", 3, "unknown key 'sever'");
	load_fails("[issue]\nserver = https://x/\n", 2, "unknown key 'server'");
	load_fails("[globl]\nserver = https://x/\n", 2, "unknown section");
	load_fails("server = https://x/\n", 1, "outside a section");
	load_fails("[global]\n\nhttp-timeout = 0\n", 3, "http-timeout");
	load_fails("[issue]\nkey-type = rsa99\n", 2, "rsa99");
	load_fails("[issue]\nvalidation = smtp-01\n", 2, "smtp-01");
	load_fails("[issue]\nccs-dir = relative/dir\n", 2, "absolute path");
	load_fails("[global]\nserver = ftp://x/\n", 2, "URL");
	load_fails("[issue]\nreuse-key = maybe\n", 2, "yes or no");
	load_fails("[issue]\nkey-type = ec256\nkey-type = ec384\n", 3,
		   "set twice");
	load_fails("[global]\nnot a setting\n", 2, "key = value");
	load_fails("[notify]\nmail-to = a\nmail-to = a\nmail-to = a\nmail-to = a\n"
		   "mail-to = a\nmail-to = a\nmail-to = a\nmail-to = a\nmail-to = b\n",
		   10, "at most 8");
	load_fails("[notify]\nsmtp-url = https://x/\n", 2, "smtp://");
	/* a section is checked at its first key */
	load_fails("[ca  ]\nserver = https://x/\n", 2, "unknown section");
	/* the values of the other issue options */
	load_fails("[issue]\ninstall = caddy\n", 2, "iis, nginx or apache");
	load_fails("[issue]\n\niis-path-map = C:\\x=srv\n", 3, "WINDOWS=LINUX");
	load_fails("[issue]\ntls-port = 0\n", 2, "tls-port");
	load_fails("[issue]\nserver-bin = nginx\n", 2, "absolute path");
	load_fails("[issue]\nper-site = sometimes\n", 2, "yes or no");
}

static void
test_missing(void **state)
{
	struct cf_settings *s = NULL;
	struct cf_err err = { 0 };

	(void)state;
	/* the default path may be absent; a named one must exist */
	assert_int_equal(cf_settings_load("/nonexistent/c.conf", 0, &s, &err),
			 CF_OK);
	assert_null(cf_settings_file(s));
	cf_settings_free(s);
	s = NULL;
	assert_int_equal(cf_settings_load("/nonexistent/c.conf", 1, &s, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "/nonexistent/c.conf"));
}

static void
test_permissions(void **state)
{
	struct cf_settings *s = NULL;
	struct cf_err err = { 0 };

	(void)state;
	write_conf("[issue]\nkey-type = ec256\n");
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(cf_settings_load(path, 1, &s, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "writable by nobody else"));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cf_settings_load(path, 1, &s, &err), CF_OK);
	cf_settings_free(s);
	unlink(path);
	/* an empty settings file for tests and scripts */
	s = NULL;
	assert_int_equal(cf_settings_load("/dev/null", 1, &s, &err), CF_OK);
	cf_settings_free(s);
}

static const char conf[] =
	"[global]\n"
	"server = https://global.test/dir\n"
	"\n"
	"[issue]\n"
	"email = a@example.com\n"
	"email = b@example.com\n"
	"key-type = rsa2048\n"
	"eab-kid = issue-kid\n"
	"agree-tos = yes\n"
	"reuse-key = no\n"
	"pfx-password-file = /etc/pw\n"
	"\n"
	"[ca sectigo]\n"
	"server = https://sectigo.test/dir\n"
	"eab-kid = sectigo-kid\n"
	"eab-hmac-key-file = /etc/hmac\n";

/* The argv for args as one space-separated string. */
static void
cmd_is(struct cf_settings *s, const char *args, const char *want)
{
	char buf[512], line[1024] = "", *argv[32], **out = NULL, *tok;
	struct cf_err err = { 0 };
	int argc = 0, n, i;

	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok(buf, " "); tok != NULL; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	assert_int_equal(cf_settings_command_argv(s, argc, argv, &n, &out, &err),
			 CF_OK);
	for (i = 0; i < n; i++) {
		strcat(line, i ? " " : "");
		strcat(line, out[i]);
	}
	assert_null(out[n]);
	free(out);
	assert_string_equal(line, want);
}

static void
test_command_argv(void **state)
{
	struct cf_settings *s = load_ok(conf);
	struct cf_err err = { 0 };

	(void)state;
	unsetenv("CERTFERRY_EAB_KID");
	unsetenv("CERTFERRY_PFX_PASSWORD");
	unsetenv("CERTFERRY_CA");
	assert_int_equal(cf_settings_select_ca(s, NULL, &err), CF_OK);
	assert_string_equal(cf_settings_global(s, "server"),
			    "https://global.test/dir");
	cmd_is(s, "issue -d a.test",
	       "issue --email a@example.com --email b@example.com "
	       "--agree-tos --eab-kid issue-kid --key-type rsa2048 "
	       "--pfx-password-file /etc/pw -d a.test");
	/* the command line replaces a setting, a repeated one entirely */
	cmd_is(s, "issue --email c@example.com --key-type=ec384 "
		  "--pfx-no-password -d a.test",
	       "issue --agree-tos --eab-kid issue-kid --email c@example.com "
	       "--key-type=ec384 --pfx-no-password -d a.test");
	/* --csr and --key bring their own key: no key-type */
	cmd_is(s, "issue --csr /c.pem",
	       "issue --email a@example.com --email b@example.com "
	       "--agree-tos --eab-kid issue-kid "
	       "--pfx-password-file /etc/pw --csr /c.pem");
	/* the environment beats the file */
	setenv("CERTFERRY_EAB_KID", "env-kid", 1);
	cmd_is(s, "account register", "account register --email a@example.com "
	       "--email b@example.com --agree-tos");
	unsetenv("CERTFERRY_EAB_KID");
	/* other commands get nothing */
	cmd_is(s, "renew --name x", "renew --name x");
	cmd_is(s, "account show", "account show");
	/* a profile beats the section */
	assert_int_equal(cf_settings_select_ca(s, "sectigo", &err), CF_OK);
	assert_string_equal(cf_settings_global(s, "server"),
			    "https://sectigo.test/dir");
	cmd_is(s, "account register",
	       "account register --email a@example.com --email b@example.com "
	       "--agree-tos --eab-kid sectigo-kid --eab-hmac-key-file /etc/hmac");
	/* an HMAC key on the command line replaces the key file */
	cmd_is(s, "account register --eab-hmac-key K",
	       "account register --email a@example.com --email b@example.com "
	       "--agree-tos --eab-kid sectigo-kid --eab-hmac-key K");
	assert_int_equal(cf_settings_select_ca(s, "nope", &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "[ca nope]"));
	setenv("CERTFERRY_CA", "sectigo", 1);
	assert_int_equal(cf_settings_select_ca(s, NULL, &err), CF_OK);
	assert_string_equal(cf_settings_global(s, "server"),
			    "https://sectigo.test/dir");
	unsetenv("CERTFERRY_CA");
	cf_settings_free(s);
}

/* Settings of one validation method stay out of a command line that
 * chooses another (issue refuses --dns options with http-01). */
static void
test_method(void **state)
{
	struct cf_settings *s = load_ok("[issue]\nvalidation = dns-01\n"
					"dns = rfc2136\ndns-server = 127.0.0.1\n"
					"http-port = 8080\nkey-type = ec384\n");

	(void)state;
	/* the validation setting chooses too: http-port stays out */
	cmd_is(s, "issue -d a.test", "issue --key-type ec384 --validation "
	       "dns-01 --dns rfc2136 --dns-server 127.0.0.1 -d a.test");
	cmd_is(s, "issue -d a.test --validation http-01",
	       "issue --key-type ec384 --http-port 8080 -d a.test "
	       "--validation http-01");
	cmd_is(s, "issue -d a.test --webroot /w",
	       "issue --key-type ec384 -d a.test --webroot /w");
	cmd_is(s, "issue -d a.test --dns-script /s",
	       "issue --key-type ec384 --dns rfc2136 --dns-server 127.0.0.1 "
	       "-d a.test --dns-script /s");
	cmd_is(s, "issue -d a.test --validation=tls-alpn-01",
	       "issue --key-type ec384 -d a.test --validation=tls-alpn-01");
	cf_settings_free(s);
}

/* The rest of issue's options: tls-alpn-01, dns-alias, the IIS and
 * nginx/Apache options, and those that only mean something with another
 * option (left out without it). */
static void
test_issue_keys(void **state)
{
	struct cf_settings *s = load_ok(
		"[issue]\nvalidation = tls-alpn-01\n"
		"tls-port = 8443\ntls-address = 127.0.0.1\nhttp-port = 8080\n"
		"dns-alias = _acme.alias.test\nprofile = shortlived\n"
		"preferred-chain = RootX2\ndeploy-hook = /usr/bin/true\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	cmd_is(s, "issue -d a.test", "issue --validation tls-alpn-01 "
	       "--tls-port 8443 --tls-address 127.0.0.1 --profile shortlived "
	       "--preferred-chain RootX2 --deploy-hook /usr/bin/true -d a.test");
	cmd_is(s, "issue -d a.test --dns-script /s", "issue --dns-alias "
	       "_acme.alias.test --profile shortlived --preferred-chain RootX2 "
	       "--deploy-hook /usr/bin/true -d a.test --dns-script /s");
	cmd_is(s, "issue -d a.test --tls-port=9443 --profile p",
	       "issue --tls-address 127.0.0.1 --preferred-chain RootX2 "
	       "--deploy-hook /usr/bin/true -d a.test --tls-port=9443 "
	       "--profile p");
	f = open_memstream(&buf, &len);
	cf_settings_show(s, f, NULL, NULL, 0);
	fclose(f);
	assert_non_null(strstr(buf, "tls-port                 = 8443"));
	assert_non_null(strstr(buf, ":3\n"));
	assert_non_null(strstr(buf, "server-bin               = (nginx"));
	free(buf);
	cf_settings_free(s);

	s = load_ok("[issue]\niis-webroot = yes\n"
		    "iis-path-map = C:\\inetpub=/srv/www\niis-migrate = yes\n"
		    "per-site = yes\nconfigure = yes\n"
		    "server-config = /etc/nginx/nginx.conf\n"
		    "server-bin = /usr/sbin/nginx\n");
	cmd_is(s, "issue -d a.test", "issue --iis-webroot --iis-path-map "
	       "C:\\inetpub=/srv/www -d a.test");
	cmd_is(s, "issue --iis-site 1 --install iis", "issue --iis-webroot "
	       "--iis-path-map C:\\inetpub=/srv/www --iis-migrate --per-site "
	       "--iis-site 1 --install iis");
	cmd_is(s, "issue -d a.test --install=nginx --webroot /w",
	       "issue --configure --server-config /etc/nginx/nginx.conf "
	       "--server-bin /usr/sbin/nginx -d a.test --install=nginx "
	       "--webroot /w");
	cmd_is(s, "issue -d a.test --validation dns-01", "issue -d a.test "
	       "--validation dns-01");
	cf_settings_free(s);

	/* what a setting needs may come from a setting before it */
	s = load_ok("[issue]\ninstall = apache\nconfigure = yes\n");
	cmd_is(s, "issue -d a.test", "issue --install apache --configure "
	       "-d a.test");
	cmd_is(s, "issue -d a.test --install iis", "issue -d a.test "
	       "--install iis");
	cf_settings_free(s);
}

/* webhook-url: https://, or http:// to loopback only. */
static void
test_webhook_url(void **state)
{
	static const char *const good[] = {
		"https://hooks.example.com/x", "http://127.0.0.1:8080/hook",
		"http://127.1.2.3/", "http://[::1]:9/h", "http://localhost/h",
		"http://LOCALHOST:80/",
	};
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[notify]\nwebhook-url = %s\n",
			 good[i]);
		cf_settings_free(load_ok(text));
	}
	load_fails("[notify]\nwebhook-url = http://hooks.example.com/x\n", 2,
		   "names certificates and hosts");
	load_fails("[notify]\nwebhook-url = http://127.example.com/x\n", 2,
		   "must go over https://");
	load_fails("[notify]\nwebhook-url = http://user@10.0.0.1/x\n", 2,
		   "https://");
	load_fails("[notify]\n\nwebhook-url = ftp://x/\n", 3, "not an https://");
}

/* The [notify] settings that go together, blamed on the right line. */
static void
test_notify_together(void **state)
{
	static const char mail[] = "mail-from = a@example.test\n"
				   "mail-to = b@example.test\n";
	char text[512];

	(void)state;
	load_fails("[notify]\nsmtp-url = smtps://mail.example.test\n", 2,
		   "needs mail-from and mail-to");
	snprintf(text, sizeof(text), "[notify]\n%ssmtp-url = smtps://m.test\n"
		 "smtp-password-file = /etc/pw\n", mail);
	load_fails(text, 5, "needs smtp-user");
	snprintf(text, sizeof(text), "[notify]\n%ssmtp-url = smtp://m.test\n"
		 "smtp-user = u\nsmtp-password-file = /etc/pw\n"
		 "smtp-starttls = no\n", mail);
	load_fails(text, 7, "password in clear");
	/* to a loopback relay, or with TLS, it is fine */
	snprintf(text, sizeof(text), "[notify]\n%ssmtp-url = smtp://127.0.0.1:25\n"
		 "smtp-user = u\nsmtp-password-file = /etc/pw\n"
		 "smtp-starttls = no\n", mail);
	cf_settings_free(load_ok(text));
	snprintf(text, sizeof(text), "[notify]\n%ssmtp-url = smtp://m.test\n"
		 "smtp-user = u\nsmtp-password-file = /etc/pw\n", mail);
	cf_settings_free(load_ok(text));
}

static void
test_show(void **state)
{
	struct cf_settings *s = load_ok(conf);
	struct cf_err err = { 0 };
	const char *k[] = { "server" }, *v[] = { "https://cmd.test/" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(cf_settings_select_ca(s, "sectigo", &err), CF_OK);
	setenv("CERTFERRY_PFX_PASSWORD", "secret-pw", 1);
	f = open_memstream(&buf, &len);
	cf_settings_show(s, f, k, v, 1);
	fclose(f);
	unsetenv("CERTFERRY_PFX_PASSWORD");
	assert_non_null(strstr(buf, "https://cmd.test/"));
	assert_non_null(strstr(buf, "# command line"));
	assert_non_null(strstr(buf, "sectigo-kid"));
	assert_non_null(strstr(buf, ":15 [ca sectigo]"));
	assert_non_null(strstr(buf, "rsa2048"));
	assert_non_null(strstr(buf, ":7\n"));
	assert_non_null(strstr(buf, "# environment CERTFERRY_PFX_PASSWORD"));
	assert_null(strstr(buf, "secret-pw"));
	assert_non_null(strstr(buf, "# built-in default"));
	free(buf);
	cf_settings_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_command_argv),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_issue_keys),
		cmocka_unit_test(test_webhook_url),
		cmocka_unit_test(test_notify_together),
		cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
