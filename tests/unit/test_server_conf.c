/* test_server_conf.c - install/server (nginx, Apache): dump file lists,
 * server blocks and virtual hosts with their offsets, name matching, the
 * byte-preserving edit plan; engine/install: deploy hook words and
 * environment; core/harden: a child's own variables, output and timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert_test_util.h"
#include "core/buf.h"
#include "core/harden.h"
#include "engine/install.h"
#include "install/server.h"
#include "install/verify.h"

static char tmpdir[64];

static char *
write_tmp(const char *name, const char *text)
{
	char *p = cf_strfmt("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void
test_dump_files(void **state)
{
	const char *ng = "nginx: the configuration file /e/nginx.conf syntax is ok\n"
			 "# configuration file /e/nginx.conf:\nuser x;\n"
			 "# configuration file /e/sites/a b.conf:\nserver {}\n"
			 "# configuration file /e/nginx.conf:\n";
	const char *ap = "Included configuration files:\n"
			 "  (*) /etc/apache2/apache2.conf\n"
			 "    (146) /etc/apache2/mods-enabled/ssl.load\n"
			 "      (3) /etc/apache2/sites-enabled/x.conf\n";
	struct cf_err err = { 0 };
	char **f;
	size_t n;

	(void)state;
	assert_int_equal(cf_server_dump_files(CF_SERVER_NGINX, ng, &f, &n, &err), CF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(f[0], "/e/nginx.conf");
	assert_string_equal(f[1], "/e/sites/a b.conf");
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
	assert_int_equal(cf_server_dump_files(CF_SERVER_APACHE, ap, &f, &n, &err), CF_OK);
	assert_int_equal(n, 3);
	assert_string_equal(f[0], "/etc/apache2/apache2.conf");
	assert_string_equal(f[2], "/etc/apache2/sites-enabled/x.conf");
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

static void
test_name_matches(void **state)
{
	(void)state;
	assert_true(cf_srv_name_matches("a.example.com", "a.example.com"));
	assert_true(cf_srv_name_matches("A.Example.com", "a.example.com"));
	assert_true(cf_srv_name_matches("*.example.com", "a.example.com"));
	assert_true(cf_srv_name_matches(".example.com", "example.com"));
	assert_true(cf_srv_name_matches(".example.com", "a.example.com"));
	assert_true(cf_srv_name_matches("*.example.com", "*.example.com"));
	/* a wildcard certificate serves the hosts one label below */
	assert_true(cf_srv_name_matches("a.example.com", "*.example.com"));
	assert_false(cf_srv_name_matches("a.b.example.com", "*.example.com"));
	assert_false(cf_srv_name_matches("example.com", "*.example.com"));
	assert_false(cf_srv_name_matches("*.example.com", "example.com"));
	assert_false(cf_srv_name_matches("~^a\\.example\\.com$", "a.example.com"));
	assert_false(cf_srv_name_matches("b.example.com", "a.example.com"));
}

static const char NGINX_CONF[] =
	"# main\n"
	"http {\n"
	"  upstream u { server 127.0.0.1:9000; }\n"
	"  server {\n"
	"    listen 80;\n"
	"    server_name a.test;\n"
	"  }\n"
	"  server {  # tls\n"
	"    listen [::]:8443 ssl http2;\n"
	"    listen 127.0.0.1:8443 ssl;\n"
	"    server_name a.test \"b.test\";\n"
	"    location / { ssl_certificate /not/this; }\n"
	"    ssl_certificate   '/old/cert.pem'; # keep this comment\n"
	"    ssl_certificate_key /old/key.pem;\n"
	"  }\n"
	"  server { listen 443 ssl; server_name c.test x.test; }\n"
	"  server {\n"
	"\tlisten 443 ssl;\n"
	"\tserver_name d.test;\n"
	"\tssl_certificate /p/fullchain.pem;\n"
	"\tssl_certificate_key /p/privkey.pem;\n"
	"  }\n"
	"}\n";

static void
test_nginx_blocks(void **state)
{
	struct cf_srv_config *c = NULL;
	struct cf_err err = { 0 };
	char *f = write_tmp("nginx.conf", NGINX_CONF);
	const struct cf_srv_block *b;

	(void)state;
	assert_int_equal(cf_server_parse(CF_SERVER_NGINX, (const char *const *)&f,
					 1, &c, &err), CF_OK);
	assert_int_equal(c->nblocks, 4); /* the upstream's server is no block */
	b = &c->blocks[0];
	assert_false(b->tls);
	assert_int_equal(b->port, 80);
	b = &c->blocks[1];
	assert_true(b->tls);
	assert_int_equal(b->line, 8);
	assert_string_equal(b->addr, "::1");  /* the first TLS listen */
	assert_int_equal(b->port, 8443);
	assert_int_equal(b->nnames, 2);
	assert_string_equal(b->names[1], "b.test");
	assert_int_equal(b->ncert, 1);       /* not the location's */
	assert_string_equal(b->cert.value, "/old/cert.pem");
	assert_memory_equal(c->texts[0] + b->cert.start,
			    "ssl_certificate   '/old/cert.pem';", 34);
	assert_int_equal(b->cert.end - b->cert.start, 34);
	assert_string_equal(b->indent, "    ");
	b = &c->blocks[2];
	assert_true(b->tls);
	assert_string_equal(b->addr, "127.0.0.1");
	assert_int_equal(b->port, 443);
	cf_srv_config_free(c);
	unlink(f);
	free(f);
}

static void
test_nginx_plan(void **state)
{
	static const char *const names[] = { "a.test", "b.test", "d.test",
					     "c.test", "e.test" };
	struct cf_srv_config *c = NULL;
	struct cf_srv_plan *p = NULL;
	struct cf_err err = { 0 };
	char *f = write_tmp("nginx.conf", NGINX_CONF), *want;

	(void)state;
	assert_int_equal(cf_server_parse(CF_SERVER_NGINX, (const char *const *)&f,
					 1, &c, &err), CF_OK);
	/* without --configure: a and b need it, d is served, c's block also
	 * serves x.test, e has no block */
	assert_int_equal(cf_server_plan(c, names, 5, "/p/fullchain.pem",
					"/p/privkey.pem", 0, &p, &err), CF_OK);
	assert_int_equal(p->items[0].action, CF_SRV_NEEDS_CONFIGURE);
	assert_int_equal(p->items[2].action, CF_SRV_OK);
	assert_int_equal(p->items[3].action, CF_SRV_UNSUPPORTED);
	assert_non_null(strstr(p->items[3].detail, "x.test"));
	assert_int_equal(p->items[4].action, CF_SRV_NO_TLS);
	assert_int_equal(p->problems, 4);
	assert_int_equal(p->nedited, 0);
	cf_srv_plan_free(p);
	/* --configure: only the two directives of the TLS block change */
	assert_int_equal(cf_server_plan(c, names, 3, "/p/fullchain.pem",
					"/p/privkey.pem", 1, &p, &err), CF_OK);
	assert_int_equal(p->problems, 0);
	assert_int_equal(p->items[0].action, CF_SRV_EDIT);
	assert_int_equal(p->nedited, 1);
	want = strdup(NGINX_CONF);
	{
		char *s = strstr(want, "ssl_certificate   '/old/cert.pem';");
		char *k = strstr(want, "ssl_certificate_key /old/key.pem;");
		char *out = cf_strfmt("%.*sssl_certificate /p/fullchain.pem;%.*s"
				      "ssl_certificate_key /p/privkey.pem;%s",
				      (int)(s - want), want,
				      (int)(k - (s + 34)), s + 34, k + 33);
		assert_string_equal(p->new_texts[0], out);
		free(out);
	}
	/* a handshake for each name on its TLS block's port, once */
	assert_int_equal(p->ntargets, 3);
	assert_string_equal(p->targets[0].addr, "::1");
	assert_int_equal(p->targets[0].port, 8443);
	free(want);
	cf_srv_plan_free(p);
	cf_srv_config_free(c);
	unlink(f);
	free(f);
}

static void
test_nginx_insert(void **state)
{
	static const char conf[] = "server {\n\tlisten 443 ssl;\n\tserver_name "
				   "a.test;\n}\n";
	static const char *const names[] = { "a.test" };
	struct cf_srv_config *c = NULL;
	struct cf_srv_plan *p = NULL;
	struct cf_err err = { 0 };
	char *f = write_tmp("ins.conf", conf);

	(void)state;
	assert_int_equal(cf_server_parse(CF_SERVER_NGINX, (const char *const *)&f,
					 1, &c, &err), CF_OK);
	assert_int_equal(cf_server_plan(c, names, 1, "/p/f.pem", "/p/k.pem", 1,
					&p, &err), CF_OK);
	assert_string_equal(p->new_texts[0],
			    "server {\n\tssl_certificate /p/f.pem;\n"
			    "\tssl_certificate_key /p/k.pem;\n"
			    "\tlisten 443 ssl;\n\tserver_name a.test;\n}\n");
	cf_srv_plan_free(p);
	cf_srv_config_free(c);
	unlink(f);
	free(f);
}

/* A wildcard certificate for blocks of the hosts it covers: edited, and
 * checked with the block's own name. */
static void
test_wildcard_plan(void **state)
{
	static const char conf[] = "server { listen 443 ssl; server_name a.w.test; }\n"
				   "server { listen 443 ssl; server_name *.w.test; }\n";
	static const char *const names[] = { "*.w.test" };
	struct cf_srv_config *c = NULL;
	struct cf_srv_plan *p = NULL;
	struct cf_err err = { 0 };
	char *f = write_tmp("wild.conf", conf);

	(void)state;
	assert_int_equal(cf_server_parse(CF_SERVER_NGINX, (const char *const *)&f,
					 1, &c, &err), CF_OK);
	assert_int_equal(cf_server_plan(c, names, 1, "/p/f.pem", "/p/k.pem", 1,
					&p, &err), CF_OK);
	assert_int_equal(p->problems, 0);
	assert_int_equal(p->items[0].action, CF_SRV_EDIT);
	assert_int_equal(p->ntargets, 2);
	assert_string_equal(p->targets[0].name, "a.w.test");
	assert_string_equal(p->targets[1].name, "certferry-check.w.test");
	cf_srv_plan_free(p);
	cf_srv_config_free(c);
	unlink(f);
	free(f);
}

static void
test_apache(void **state)
{
	static const char conf[] =
		"Listen 443\n"
		"<VirtualHost *:80>\n  ServerName a.test\n</VirtualHost>\n"
		"<VirtualHost *:443 [::]:443>\n"
		"  # comment\n"
		"  ServerName a.test:443\n"
		"  ServerAlias b.test \\\n     *.w.test\n"
		"  sslengine On\n"
		"  SSLCertificateFile \"/old/c.pem\"\r\n"
		"  SSLCertificateKeyFile /old/k.pem\n"
		"</VirtualHost>\n";
	static const char *const names[] = { "a.test", "x.w.test" };
	struct cf_srv_config *c = NULL;
	struct cf_srv_plan *p = NULL;
	struct cf_err err = { 0 };
	char *f = write_tmp("httpd.conf", conf);
	const struct cf_srv_block *b;

	(void)state;
	assert_int_equal(cf_server_parse(CF_SERVER_APACHE, (const char *const *)&f,
					 1, &c, &err), CF_OK);
	assert_int_equal(c->nblocks, 2);
	assert_false(c->blocks[0].tls);
	b = &c->blocks[1];
	assert_true(b->tls);
	assert_string_equal(b->addr, "127.0.0.1");
	assert_int_equal(b->port, 443);
	assert_int_equal(b->nnames, 3);
	assert_string_equal(b->names[0], "a.test");
	assert_string_equal(b->names[2], "*.w.test");
	assert_string_equal(b->cert.value, "/old/c.pem");
	/* b.test is in the block but not in the certificate: not edited */
	assert_int_equal(cf_server_plan(c, names, 2, "/p/f.pem", "/p/k.pem", 1,
					&p, &err), CF_OK);
	assert_int_equal(p->items[0].action, CF_SRV_UNSUPPORTED);
	cf_srv_plan_free(p);
	{
		static const char *const all[] = { "a.test", "b.test", "*.w.test" };
		assert_int_equal(cf_server_plan(c, all, 3, "/p/f.pem", "/p/k.pem",
						1, &p, &err), CF_OK);
		assert_int_equal(p->problems, 0);
		assert_non_null(strstr(p->new_texts[0],
				       "  SSLCertificateFile /p/f.pem\r\n"
				       "  SSLCertificateKeyFile /p/k.pem\n"));
		assert_non_null(strstr(p->new_texts[0], "  # comment\n"));
		cf_srv_plan_free(p);
	}
	cf_srv_config_free(c);
	unlink(f);
	free(f);
}

static void
test_listen_forms(void **state)
{
	static const struct { const char *in; const char *addr; unsigned port; } t[] = {
		{ "443", "127.0.0.1", 443 },
		{ "127.0.0.2:8443", "127.0.0.2", 8443 },
		{ "*:443", "127.0.0.1", 443 },
		{ "_default_:443", "127.0.0.1", 443 },
		{ "[::]:443", "::1", 443 },
		{ "[2001:db8::1]:444", "2001:db8::1", 444 },
		{ "[::1]", "::1", 80 },
		{ "localhost", "localhost", 80 },
		{ "0.0.0.0:8080", "127.0.0.1", 8080 },
	};
	struct cf_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cf_srv_block b;
		memset(&b, 0, sizeof(b));
		assert_int_equal(cf_srv_block_set_listen(&b, t[i].in, strlen(t[i].in),
							 80, &err), CF_OK);
		assert_non_null(b.addr);
		if (strcmp(b.addr, t[i].addr) != 0 || b.port != t[i].port)
			fail_msg("%s -> %s %u", t[i].in, b.addr, b.port);
		free(b.addr);
	}
	{	/* not an address: nothing set */
		struct cf_srv_block b;
		memset(&b, 0, sizeof(b));
		assert_int_equal(cf_srv_block_set_listen(&b, "a:99999", 7, 80, &err),
				 CF_OK);
		assert_null(b.addr);
	}
}

static void
test_hostport(void **state)
{
	struct cf_err err = { 0 };
	char *h;
	unsigned port;

	(void)state;
	assert_int_equal(cf_hostport_parse("iis.example:8443", 443, &h, &port, &err), CF_OK);
	assert_string_equal(h, "iis.example");
	assert_int_equal(port, 8443);
	free(h);
	assert_int_equal(cf_hostport_parse("[::1]:444", 443, &h, &port, &err), CF_OK);
	assert_string_equal(h, "::1");
	free(h);
	assert_int_equal(cf_hostport_parse("10.0.0.1", 443, &h, &port, &err), CF_OK);
	assert_int_equal(port, 443);
	free(h);
	assert_int_equal(cf_hostport_parse("h:0", 443, &h, &port, &err), CF_ERR_USAGE);
	assert_int_equal(cf_hostport_parse(":44", 443, &h, &port, &err), CF_ERR_USAGE);
}

static void
test_hook_words(void **state)
{
	static const char *const names[] = { "a.test", "b.test" };
	EVP_PKEY *k = test_key();
	X509 *x = test_cert(k, "a.test", names, 2, NULL, NULL, 30);
	char *pem = test_cert_pem(x), **argv = NULL, **env = NULL;
	struct cf_hook_vars v = { "cert1", names, 2, "/st/certs/cert1", "/pem",
				  "/x/c.pfx", "/x/pw", NULL, pem };
	struct cf_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(cf_hook_argv("/bin/h {CertCommonName} \"{StorePath} 2\" "
				      "'{RenewalId}' a\\ b {CacheFile} {Nope} "
				      "{RenewalId}x", &v, &argv, &err), CF_OK);
	assert_string_equal(argv[0], "/bin/h");
	assert_string_equal(argv[1], "a.test");
	assert_string_equal(argv[2], "/x/c.pfx 2");
	assert_string_equal(argv[3], "{RenewalId}");
	assert_string_equal(argv[4], "a b");
	assert_string_equal(argv[5], "/x/c.pfx");
	assert_string_equal(argv[6], "{Nope}");
	assert_string_equal(argv[7], "cert1x");
	assert_null(argv[8]);
	cf_strv_free(argv);
	assert_int_equal(cf_hook_argv("/bin/h 'open", &v, &argv, &err), CF_ERR_USAGE);
	assert_int_equal(cf_hook_env(&v, &env, &n, &err), CF_OK);
	assert_string_equal(env[0], "RENEWED_LINEAGE=/st/certs/cert1");
	assert_string_equal(env[1], "RENEWED_DOMAINS=a.test b.test");
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(env[i], "PASSWORD="));
	cf_strv_free(env);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_child_opts(void **state)
{
	const char *env[] = { "HOOK_VAR=hello" };
	const char *sh[] = { "/bin/sh", "-c", "echo $HOOK_VAR; echo err >&2; exit 4",
			     NULL };
	const char *slow[] = { "/bin/sh", "-c", "sleep 30", NULL };
	char *out = NULL;
	struct cf_child_opts o = { .env = env, .nenv = 1, .timeout_s = 10,
				   .output = &out };
	struct cf_err err = { 0 };

	(void)state;
	assert_int_equal(cf_child_run_opts(sh, &o, &err), CF_ERR_IO);
	assert_non_null(strstr(err.msg, "exit status 4"));
	assert_string_equal(out, "hello\nerr\n");
	free(out);
	o.timeout_s = 1;
	assert_int_equal(cf_child_run_opts(slow, &o, &err), CF_ERR_IO);
	assert_non_null(strstr(err.msg, "within 1 s"));
	free(out);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/cf-srvconf.XXXXXX");
	return mkdtemp(tmpdir) == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_files),
		cmocka_unit_test(test_name_matches),
		cmocka_unit_test(test_nginx_blocks),
		cmocka_unit_test(test_nginx_plan),
		cmocka_unit_test(test_nginx_insert),
		cmocka_unit_test(test_wildcard_plan),
		cmocka_unit_test(test_apache),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_hook_words),
		cmocka_unit_test(test_child_opts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
