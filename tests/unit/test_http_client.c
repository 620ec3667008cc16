/* test_http_client.c - http/client.c against a real HTTPS server on
 * 127.0.0.1: tests/tools/hostileca (scenario "good"), started here and
 * killed by its PID.  Without the tool (not built) the server tests are
 * skipped; the ones that need no server always run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/client.h"

static struct {
	pid_t pid;
	char dir[256];
	char ca[300];
	char url[100];      /* https://127.0.0.1:PORT */
	char closed[100];   /* a port nobody listens on */
} srv;

/* A free port on 127.0.0.1 (the kernel's choice), or 0. */
static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
start_server(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char tool[512], listen[64];
	struct stat st;
	int port = free_port(), closed = free_port();

	(void)state;
	snprintf(tool, sizeof(tool), "%s/tools/hostileca", build);
	snprintf(srv.dir, sizeof(srv.dir), "%s/cf-http-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (access(tool, X_OK) != 0 || port == 0 || closed == 0 ||
	    mkdtemp(srv.dir) == NULL) {
		fprintf(stderr, "skip: no %s (or no port): server tests skipped\n",
			tool);
		srv.pid = 0;
		return 0;
	}
	snprintf(srv.ca, sizeof(srv.ca), "%s/ca.pem", srv.dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(srv.url, sizeof(srv.url), "https://127.0.0.1:%d", port);
	snprintf(srv.closed, sizeof(srv.closed), "https://127.0.0.1:%d/dir",
		 closed);
	if ((srv.pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl(tool, tool, "--listen", listen, "--ca-out", srv.ca,
		      "--scenario", "good", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && srv.pid > 0; i++) {
		struct timespec ts = { 0, 50000000L };
		if (stat(srv.ca, &st) == 0 && st.st_size > 0)
			return 0;
		if (waitpid(srv.pid, NULL, WNOHANG) == srv.pid) {
			srv.pid = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "hostileca did not start\n");
	return -1;
}

static int
stop_server(void **state)
{
	(void)state;
	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		waitpid(srv.pid, NULL, 0);
	}
	if (srv.dir[0] != '\0' && strchr(srv.dir, 'X') == NULL) {
		unlink(srv.ca);
		rmdir(srv.dir);
	}
	return 0;
}

/* A client trusting the server's throwaway CA (ca NULL: the system's). */
static struct cf_http *
client(const char *ca)
{
	struct cf_http_opts o = { .ca_bundle = ca, .connect_timeout_s = 5,
				  .timeout_s = 30 };
	struct cf_err err = { 0 };
	struct cf_http *h = cf_http_new(&o, &err);

	if (h == NULL)
		fail_msg("cf_http_new: %s", err.msg);
	return h;
}

static void
need_server(void)
{
	if (srv.pid <= 0)
		skip();
}

static void
test_get_json(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h;
	char url[200];
	json_t *d;

	(void)state;
	need_server();
	h = client(srv.ca);
	snprintf(url, sizeof(url), "%s/dir", srv.url);
	assert_int_equal(cf_http_request(h, "GET", url, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_non_null(r.replay_nonce);
	assert_int_equal(strncmp(r.replay_nonce, "hostile", 7), 0);
	assert_int_equal(r.body_len, strlen(r.body));
	d = json_loads(r.body, 0, NULL);
	assert_non_null(json_object_get(d, "newNonce"));
	json_decref(d);
	cf_http_resp_free(&r);
	/* One connection kept for the next request. */
	assert_int_equal(cf_http_request(h, "GET", url, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_OK);
	assert_int_equal(cf_http_connections(h), 1);
	cf_http_resp_free(&r);
	cf_http_free(h);
}

static void
test_head_and_post(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h;
	char url[200];

	(void)state;
	need_server();
	h = client(srv.ca);
	snprintf(url, sizeof(url), "%s/nonce", srv.url);
	assert_int_equal(cf_http_request(h, "HEAD", url, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_non_null(r.replay_nonce);
	cf_http_resp_free(&r);
	/* A POST that is not a JWS: the server's 400 is an answer, CF_OK. */
	snprintf(url, sizeof(url), "%s/new-order", srv.url);
	assert_int_equal(cf_http_request(h, "POST", url, "application/jose+json",
					 "{}", 2, CF_HTTP_CAP_JSON, &r, &err),
			 CF_OK);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "malformed"));
	cf_http_resp_free(&r);
	cf_http_free(h);
}

/* A body over the cap is refused, whatever its status. */
static void
test_cap(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h;
	char url[200];

	(void)state;
	need_server();
	h = client(srv.ca);
	snprintf(url, sizeof(url), "%s/dir", srv.url);
	assert_int_equal(cf_http_request(h, "GET", url, NULL, NULL, 0, 16, &r,
					 &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "larger than the 16-byte limit"));
	cf_http_resp_free(&r);
	cf_http_free(h);
}

/* TLS: an untrusted server is CF_ERR_TLS, an unusable bundle
 * CF_ERR_USAGE; both name --ca-bundle. */
static void
test_tls_errors(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h;
	char url[200], missing[400];

	(void)state;
	need_server();
	snprintf(url, sizeof(url), "%s/dir", srv.url);
	h = client(NULL);
	assert_int_equal(cf_http_request(h, "GET", url, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_ERR_TLS);
	assert_non_null(strstr(err.msg, "--ca-bundle"));
	cf_http_resp_free(&r);
	cf_http_free(h);

	snprintf(missing, sizeof(missing), "%s/no-such.pem", srv.dir);
	h = client(missing);
	assert_int_equal(cf_http_request(h, "GET", url, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "--ca-bundle"));
	cf_http_resp_free(&r);
	cf_http_free(h);
}

/* Nobody listening: a network error (the protocol layer retries it). */
static void
test_refused(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h;

	(void)state;
	need_server();
	h = client(srv.ca);
	assert_int_equal(cf_http_request(h, "GET", srv.closed, NULL, NULL, 0,
					 CF_HTTP_CAP_JSON, &r, &err), CF_ERR_NET);
	assert_int_equal(r.status, 0);
	cf_http_resp_free(&r);
	cf_http_free(h);
}

/* No server needed: https only. */
static void
test_https_only(void **state)
{
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h = client(NULL);

	(void)state;
	assert_int_equal(cf_http_request(h, "GET", "http://127.0.0.1:1/dir", NULL,
					 NULL, 0, CF_HTTP_CAP_JSON, &r, &err),
			 CF_ERR_USAGE);
	assert_non_null(strstr(err.msg, "refusing non-HTTPS URL"));
	cf_http_resp_free(&r);
	cf_http_free(h);
}

static int ops_calls;

static cf_rc
ops_request(void *ctx, const char *method, const char *url,
	    const char *content_type, const char *body, size_t body_len,
	    size_t cap, struct cf_http_resp *resp, struct cf_err *err)
{
	(void)err;
	assert_ptr_equal(ctx, &ops_calls);
	assert_string_equal(method, "POST");
	assert_string_equal(url, "https://ca.test/x");
	assert_string_equal(content_type, "application/jose+json");
	assert_int_equal(body_len, 2);
	assert_memory_equal(body, "{}", 2);
	assert_int_equal(cap, 77);
	assert_int_equal(resp->status, 0); /* reset before */
	assert_null(resp->body);
	ops_calls++;
	resp->status = 204;
	return CF_OK;
}

/* The test seam: every request goes to the ops, none to the network. */
static void
test_ops_seam(void **state)
{
	static const struct cf_http_ops ops = { ops_request, &ops_calls };
	struct cf_http_opts o = { .ops = &ops };
	struct cf_http_resp r;
	struct cf_err err = { 0 };
	struct cf_http *h = cf_http_new(&o, &err);

	(void)state;
	assert_non_null(h);
	memset(&r, 0, sizeof(r));
	r.status = 999; /* the client resets resp first */
	assert_int_equal(cf_http_request(h, "POST", "https://ca.test/x",
					 "application/jose+json", "{}", 2, 77, &r,
					 &err), CF_OK);
	assert_int_equal(r.status, 204);
	assert_int_equal(ops_calls, 1);
	assert_int_equal(cf_http_connections(h), 0);
	cf_http_resp_free(&r);
	cf_http_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_json),
		cmocka_unit_test(test_head_and_post),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_tls_errors),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_https_only),
		cmocka_unit_test(test_ops_seam),
	};

	return cmocka_run_group_tests(tests, start_server, stop_server);
}
