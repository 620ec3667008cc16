/* test_curlload.c - http/curlload.c: libcurl loaded on first use, and each
 * kind of variadic argument passed on as libcurl reads it (a wrong type
 * would show as a wrong value: a wrong offset, a callback not
 * called, a share option refused).  file:// URLs: no server needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http/curlload.h"

static char path[64];

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_curlload.%ld", (long)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (int i = 0; i < 1000; i++)
		fputs("0123456789", f);   /* 10,000 bytes */
	return fclose(f);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static size_t
count_bytes(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	*(size_t *)arg += size * n;
	return size * n;
}

/* Fetches file://path from offset `from` (an off_t) and returns the result; the
 * bytes seen by the write callback (a function and a data pointer) in
 * *got, the protocol's answer code (getinfo, a long) in *code. */
static CURLcode
fetch(curl_off_t from, size_t *got, long *code)
{
	char url[100];
	CURL *c = curl_easy_init();
	CURLcode rc;

	assert_non_null(c);
	snprintf(url, sizeof(url), "file://%s", path);
	*got = 0;
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "file"),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_bytes),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, got), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, from),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	rc = curl_easy_perform(c);
	*code = -1;
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code),
			 CURLE_OK);
	curl_easy_cleanup(c);
	return rc;
}

static void
test_loads(void **state)
{
	(void)state;
	assert_null(cf_curl_load_error());
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
	curl_global_cleanup();
}

static void
test_easy_arguments(void **state)
{
	size_t got;
	long code;

	(void)state;
	assert_int_equal(fetch(0, &got, &code), CURLE_OK);
	assert_int_equal(got, 10000);
	assert_int_equal(code, 0);   /* file:// has no response code */
	/* The off_t offset arrives as the number given. */
	assert_int_equal(fetch(9000, &got, &code), CURLE_OK);
	assert_int_equal(got, 1000);
}

static void
test_share_arguments(void **state)
{
	CURLSH *sh = curl_share_init();

	(void)state;
	assert_non_null(sh);
	assert_int_equal(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS),
			 CURLSHE_OK);
	/* An int that is no lock data type is refused: the int arrived. */
	assert_int_equal(curl_share_setopt(sh, CURLSHOPT_SHARE, 999),
			 CURLSHE_BAD_OPTION);
	assert_int_equal(curl_share_setopt(sh, CURLSHOPT_USERDATA, path),
			 CURLSHE_OK);
	assert_int_equal(curl_share_cleanup(sh), CURLSHE_OK);
	assert_int_equal(curl_share_cleanup(NULL), CURLSHE_OK);
}

static void
test_slist(void **state)
{
	struct curl_slist *l = NULL;

	(void)state;
	assert_non_null(l = curl_slist_append(l, "Accept: a"));
	assert_non_null(l = curl_slist_append(l, "Accept: b"));
	assert_string_equal(l->next->data, "Accept: b");
	curl_slist_free_all(l);
	curl_slist_free_all(NULL);
	curl_easy_cleanup(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_easy_arguments),
		cmocka_unit_test(test_share_arguments),
		cmocka_unit_test(test_slist),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
