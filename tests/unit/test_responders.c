/* test_responders.c - the standalone responders (http-01, tls-alpn-01)
 * serve a client while another one holds a connection open and says
 * nothing (or a byte at a time), and stop promptly with such a client
 * still connected (validate/listen.h).  Bounds are generous: a loopback
 * answer takes milliseconds, the old one-at-a-time loop took >= 5 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "validate/http01.h"
#include "validate/tlsalpn01.h"

#define BOUND_S 4.0 /* for an answer or a stop that takes milliseconds */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
connect_to(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The slow client: one byte every 300 ms for at most 15 s, or until told. */
struct dribble {
	int fd;
	volatile int stop;
};

static void *
dribble(void *arg)
{
	struct dribble *d = arg;

	for (int i = 0; i < 50 && !d->stop; i++) {
		if (send(d->fd, "G", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(300 * 1000);
	}
	return NULL;
}

static void
test_http01_slow_client(void **state)
{
	struct cf_challenge_task t = { "www.example.test", 0, "http-01",
		"tok-123", "tok-123.thumb" };
	struct cf_validator v;
	struct cf_err err;
	struct dribble d = { -1, 0 };
	pthread_t th;
	char buf[1024];
	size_t n = 0;
	double t0;
	int port = free_port(), silent, fetch;
	ssize_t r;

	(void)state;
	assert_int_equal(cf_http01_standalone_new("127.0.0.1", port, &v, &err),
			 CF_OK);
	assert_int_equal(v.present(v.ctx, &t, &err), CF_OK);
	/* One client says nothing, one dribbles a byte at a time. */
	silent = connect_to(port);
	d.fd = connect_to(port);
	assert_int_equal(pthread_create(&th, NULL, dribble, &d), 0);
	usleep(200 * 1000);

	t0 = now_s();
	fetch = connect_to(port);
	{
		static const char req[] = "GET /.well-known/acme-challenge/"
			"tok-123 HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
		assert_int_equal(send(fetch, req, sizeof(req) - 1, 0),
				 (ssize_t)(sizeof(req) - 1));
	}
	while (n < sizeof(buf) - 1 &&
	       (r = recv(fetch, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	assert_true(now_s() - t0 < BOUND_S);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
	assert_non_null(strstr(buf, "\r\n\r\ntok-123.thumb"));
	close(fetch);

	/* Stopping does not wait for the slow clients. */
	t0 = now_s();
	cf_validator_destroy(&v);
	assert_true(now_s() - t0 < BOUND_S);
	d.stop = 1;
	pthread_join(th, NULL);
	close(d.fd);
	close(silent);
}

/* A real tls-alpn-01 handshake: ALPN acme-tls/1, SNI; the certificate
 * names the identifier.  1 when it completed. */
static int
alpn_handshake(int port, const char *name)
{
	static const unsigned char alpn[] = "\x0a" "acme-tls/1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *s = NULL;
	X509 *peer = NULL;
	const unsigned char *sel = NULL;
	unsigned int sellen = 0;
	int fd = connect_to(port), ok = 0;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1),
			 0);
	s = SSL_new(ctx);
	SSL_set_fd(s, fd);
	SSL_set_tlsext_host_name(s, name);
	if (SSL_connect(s) == 1 && (peer = SSL_get1_peer_certificate(s)) != NULL) {
		SSL_get0_alpn_selected(s, &sel, &sellen);
		ok = sellen == 10 && memcmp(sel, "acme-tls/1", 10) == 0 &&
		     X509_check_host(peer, name, 0, 0, NULL) == 1;
	}
	X509_free(peer);
	SSL_free(s);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	close(fd);
	return ok;
}

static void
test_tlsalpn_slow_client(void **state)
{
	struct cf_challenge_task t = { "alpn.example.test", 0, "tls-alpn-01",
		"tok", "tok.thumb" };
	struct cf_validator v;
	struct cf_err err;
	int port = free_port(), silent;
	double t0;

	(void)state;
	assert_int_equal(cf_tlsalpn01_validator_new("127.0.0.1", port, &v,
						    &err), CF_OK);
	assert_int_equal(v.present(v.ctx, &t, &err), CF_OK);
	silent = connect_to(port); /* a TCP client that never says hello */
	usleep(200 * 1000);
	t0 = now_s();
	assert_true(alpn_handshake(port, "alpn.example.test"));
	assert_true(now_s() - t0 < BOUND_S);
	t0 = now_s();
	cf_validator_destroy(&v);
	assert_true(now_s() - t0 < BOUND_S);
	close(silent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http01_slow_client),
		cmocka_unit_test(test_tlsalpn_slow_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
