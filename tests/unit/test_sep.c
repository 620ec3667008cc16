/* test_sep.c - sep/: the message format between certferry's processes,
 * the parent's checks on a hostile network process's answers, and the
 * network process's sandbox (Landlock, seccomp), each in a forked child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http/client.h"
#include "sep/msg.h"
#include "sep/netproc.h"
#include "sep/proc.h"
#include "sep/sandbox.h"

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void
test_roundtrip(void **state)
{
	struct cf_sep_field f[3] = { { "abc", 3 }, { NULL, 0 }, { "", 0 } };
	struct cf_sep_msg m;
	struct cf_err err = { 0 };
	int sv[2], bad = 0;
	long v;

	(void)state;
	pair(sv);
	assert_int_equal(cf_sep_send(sv[0], CF_SEP_NET_REQ, f, 3, &err), CF_OK);
	assert_int_equal(cf_sep_recv(sv[1], CF_SEP_NET_REQ, &m, &err), CF_OK);
	assert_int_equal(m.n, 3);
	assert_string_equal(cf_sep_str(&m, 0, &bad), "abc");
	assert_null(cf_sep_str(&m, 1, &bad));
	assert_string_equal(cf_sep_str(&m, 2, &bad), "");
	assert_null(cf_sep_str(&m, 7, &bad));
	assert_int_equal(bad, 0);
	assert_int_not_equal(cf_sep_long(&m, 0, "x", 0, 10, &v, &err), CF_OK);
	cf_sep_msg_free(&m);

	/* A NUL inside a text field is flagged; longs are range-checked. */
	f[0].p = "a\0b";
	f[1].p = "42";
	f[1].len = 2;
	assert_int_equal(cf_sep_send(sv[0], CF_SEP_NET_REQ, f, 2, &err), CF_OK);
	assert_int_equal(cf_sep_recv(sv[1], 0, &m, &err), CF_OK);
	assert_null(cf_sep_str(&m, 0, &bad));
	assert_int_equal(bad, 1);
	assert_int_equal(cf_sep_long(&m, 1, "x", 0, 100, &v, &err), CF_OK);
	assert_int_equal(v, 42);
	assert_int_equal(cf_sep_long(&m, 1, "x", 0, 41, &v, &err), CF_ERR_PROTO);
	cf_sep_msg_free(&m);

	/* The peer closes between messages: NOTFOUND; inside one: IO. */
	assert_int_equal(write(sv[0], "\3\0\0\0\10\0", 6), 6);
	close(sv[0]);
	assert_int_equal(cf_sep_recv(sv[1], 0, &m, &err), CF_ERR_IO);
	cf_sep_msg_free(&m);
	close(sv[1]);
	pair(sv);
	close(sv[0]);
	assert_int_equal(cf_sep_recv(sv[1], 0, &m, &err), CF_ERR_NOTFOUND);
	close(sv[1]);
}

/* Raw bytes in, the receiver's verdict out. */
static cf_rc
recv_raw(const void *p, size_t len, uint32_t want)
{
	struct cf_sep_msg m;
	struct cf_err err = { 0 };
	int sv[2];
	cf_rc rc;

	pair(sv);
	assert_int_equal(write(sv[0], p, len), (ssize_t)len);
	close(sv[0]);
	rc = cf_sep_recv(sv[1], want, &m, &err);
	cf_sep_msg_free(&m);
	close(sv[1]);
	return rc;
}

static void
test_malformed(void **state)
{
	uint32_t w[8];

	(void)state;
	/* Unknown type, type not wanted. */
	w[0] = 99; w[1] = 0;
	assert_int_equal(recv_raw(w, 8, 0), CF_ERR_PROTO);
	w[0] = CF_SEP_NET_REQ;
	assert_int_equal(recv_raw(w, 8, CF_SEP_NET_RESP), CF_ERR_PROTO);
	assert_int_equal(recv_raw(w, 8, CF_SEP_NET_REQ), CF_OK);
	/* Over the size bound: refused before anything is allocated. */
	w[1] = CF_SEP_MSG_MAX + 1;
	assert_int_equal(recv_raw(w, 8, 0), CF_ERR_PROTO);
	w[1] = UINT32_MAX - 3;
	assert_int_equal(recv_raw(w, 8, 0), CF_ERR_PROTO);
	/* A field longer than what is left. */
	w[1] = 8; w[2] = 5; w[3] = 0x41414141;
	assert_int_equal(recv_raw(w, 16, 0), CF_ERR_PROTO);
	/* A length word cut short. */
	w[1] = 6; w[2] = 0; w[3] = 0;
	assert_int_equal(recv_raw(w, 14, 0), CF_ERR_PROTO);
	/* Too many fields (each absent: 4 bytes). */
	{
		size_t n = CF_SEP_FIELDS_MAX + 1, len = 8 + 4 * n;
		uint32_t *big = calloc(len / 4, 4);
		assert_non_null(big);
		big[0] = CF_SEP_NET_RESP;
		big[1] = (uint32_t)(4 * n);
		for (size_t i = 0; i < n; i++)
			big[2 + i] = UINT32_MAX;
		assert_int_equal(recv_raw(big, len, 0), CF_ERR_PROTO);
		free(big);
	}
}

/* A fake network process: reads one request, answers with fields f. */
static cf_rc
hostile_answer(const struct cf_sep_field *f, size_t n, struct cf_http_resp *r,
	       struct cf_err *err)
{
	struct cf_netproc *np = NULL;
	struct cf_sep_msg m;
	struct cf_err e2 = { 0 };
	int sv[2];
	pid_t pid;
	cf_rc rc;

	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (cf_sep_recv(sv[1], CF_SEP_NET_REQ, &m, &e2) != CF_OK ||
		    cf_sep_send(sv[1], CF_SEP_NET_RESP, f, n, &e2) != CF_OK)
			_exit(1);
		_exit(0);
	}
	assert_true(pid > 0);
	close(sv[1]);
	assert_int_equal(cf_netproc_adopt(sv[0], pid, &np, err), CF_OK);
	rc = cf_netproc_request(np, "GET", "https://ca.example/dir", NULL, NULL,
				0, 1000, r, err);
	if (rc == CF_ERR_PROTO) {
		/* The channel is not used again. */
		cf_http_resp_free(r);
		assert_int_equal(cf_netproc_request(np, "GET", "https://x/", NULL,
						    NULL, 0, 1000, r, &e2),
				 CF_ERR_INTERNAL);
	}
	cf_netproc_free(np);
	return rc;
}

#define S(x) { x, sizeof(x) - 1 }

static void
test_hostile_child(void **state)
{
	struct cf_sep_field good[12] = {
		S("0"), { NULL, 0 }, S("200"), S("application/json"),
		S("https://ca.example/o/1"), S("nonce"), { NULL, 0 }, S("5"),
		S("1"), S("{}"), S("<https://ca.example/x>;rel=\"up\""),
	};
	struct cf_sep_field f[12];
	struct cf_http_resp r = { 0 };
	struct cf_err err = { 0 };
	char big[2100], net[8];

	(void)state;
	assert_int_equal(hostile_answer(good, 11, &r, &err), CF_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.location, "https://ca.example/o/1");
	assert_null(r.retry_after);
	assert_string_equal(r.body, "{}");
	assert_int_equal(r.nlinks, 1);
	cf_http_resp_free(&r);

	/* Each of these is refused. */
	memcpy(f, good, sizeof(f));
	f[2] = (struct cf_sep_field)S("0");            /* no status */
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_PROTO);
	cf_http_resp_free(&r);
	memcpy(f, good, sizeof(f));
	f[5] = (struct cf_sep_field){ "no\0nce", 6 };  /* NUL in a header */
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_PROTO);
	cf_http_resp_free(&r);
	memcpy(f, good, sizeof(f));
	memset(big, 'a', sizeof(big));
	f[9] = (struct cf_sep_field){ big, sizeof(big) }; /* over 2 x cap */
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_PROTO);
	cf_http_resp_free(&r);
	memcpy(f, good, sizeof(f));
	f[0] = (struct cf_sep_field)S("77");           /* unknown result */
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_PROTO);
	cf_http_resp_free(&r);
	memcpy(f, good, sizeof(f));
	assert_int_equal(hostile_answer(f, 5, &r, &err), CF_ERR_PROTO); /* short */
	cf_http_resp_free(&r);
	memcpy(f, good, sizeof(f));
	f[10] = (struct cf_sep_field){ NULL, 0 };      /* absent Link */
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_PROTO);
	cf_http_resp_free(&r);

	/* A failure it reports keeps its code and message. */
	memcpy(f, good, sizeof(f));
	snprintf(net, sizeof(net), "%d", (int)CF_ERR_NET);
	f[0].p = net;
	f[0].len = strlen(net);
	f[1] = (struct cf_sep_field)S("GET https://ca.example/dir: timeout");
	assert_int_equal(hostile_answer(f, 11, &r, &err), CF_ERR_NET);
	assert_string_equal(err.msg, "GET https://ca.example/dir: timeout");
	cf_http_resp_free(&r);
}

/* A child that dies (e.g. killed by its filter) is reported, not hung on. */
static void
test_child_dies(void **state)
{
	struct cf_netproc *np = NULL;
	struct cf_http_resp r = { 0 };
	struct cf_err err = { 0 };
	int sv[2];
	pid_t pid;

	(void)state;
	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(3);
	}
	close(sv[1]);
	assert_int_equal(cf_netproc_adopt(sv[0], pid, &np, &err), CF_OK);
	assert_int_equal(cf_netproc_request(np, "GET", "https://x/", NULL, NULL,
					    0, 100, &r, &err), CF_ERR_INTERNAL);
	assert_non_null(strstr(err.msg, "network process exited with status 3"));
	cf_http_resp_free(&r);
	cf_netproc_free(np);
}

/* A child that ends on its channel's end: told with cf_sep_end (the
 * parent can still read what it says), then reaped; one that never ends
 * is killed by cf_sep_reap (after its 2 s).  Either way it is gone. */
static void
test_end_and_reap(void **state)
{
	char c;
	int sv[2];
	pid_t pid;

	(void)state;
	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		while (read(sv[1], &c, 1) == 1)
			;
		_exit(write(sv[1], "x", 1) == 1 ? 0 : 1);
	}
	close(sv[1]);
	cf_sep_end(sv[0]);
	assert_int_equal(read(sv[0], &c, 1), 1);   /* it saw the end */
	cf_sep_reap("test helper", sv[0], pid);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);

	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		for (;;)
			pause();
	}
	close(sv[1]);
	cf_sep_reap("test helper", sv[0], pid);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

/* Run fn in a forked child; its exit status (77: skipped). */
static int
in_child(int (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char tmpdir[64];

static int
landlock_child(void)
{
	const char *paths[] = { "/etc/hosts" };
	struct cf_err err = { 0 };
	char p[128];
	int fd;
	cf_rc rc = cf_sandbox_landlock(paths, 1, &err);

	if (rc == CF_ERR_NOTFOUND)
		return 77;
	if (rc != CF_OK)
		return 10;
	snprintf(p, sizeof(p), "%s/created", tmpdir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd != -1 || errno != EACCES)
		return 11;
	if ((fd = open("/etc/hosts", O_RDONLY)) == -1)
		return 12;
	close(fd);
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return 13;
	return 0;
}

static void
test_landlock(void **state)
{
	char p[128];
	int st;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cf-test-sep.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	st = in_child(landlock_child);
	snprintf(p, sizeof(p), "%s/created", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	if (st == 77)
		skip(); /* this kernel has no Landlock */
	assert_int_equal(st, 0);
}

static int
seccomp_child(void)
{
	struct cf_err err = { 0 };
	char buf[4096], *s;
	char *const argv[] = { "/bin/true", NULL };
	ssize_t n;
	int fd;
	cf_rc rc = cf_sandbox_seccomp_net(&err);

	if (rc == CF_ERR_NOTFOUND)
		return 77;
	if (rc != CF_OK)
		return 10;
	/* Reading is allowed, and /proc says so. */
	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		return 11;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 12;
	buf[n] = '\0';
	if ((s = strstr(buf, "Seccomp:\t")) == NULL || s[9] != '2' ||
	    strstr(buf, "NoNewPrivs:\t1") == NULL)
		return 13;
	/* Writing, executing, forking are not. */
	if (open("/tmp/cf-test-sep-never", O_WRONLY | O_CREAT, 0600) != -1 ||
	    errno != EPERM)
		return 14;
	execve(argv[0], argv, NULL);
	if (errno != EPERM)
		return 15;
#if !defined(__SANITIZE_ADDRESS__)
	/* (An ASan build lets LeakSanitizer clone its tracer: sandbox.c.) */
	if (fork() != -1)
		return 16;
#endif
	/* Sockets of the resolver and of libcurl still work. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 17;
	close(fd);
	if (socket(AF_PACKET, SOCK_RAW, 0) != -1)
		return 18;
	return 0;
}

static void
test_seccomp(void **state)
{
	int st;

	(void)state;
	st = in_child(seccomp_child);
	if (st == 77)
		skip(); /* this kernel has no seccomp filters */
	assert_int_equal(st, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hostile_child),
		cmocka_unit_test(test_child_dies),
		cmocka_unit_test(test_end_and_reap),
		cmocka_unit_test(test_landlock),
		cmocka_unit_test(test_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
