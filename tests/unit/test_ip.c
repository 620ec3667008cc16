/* test_ip.c - IP address identifiers (RFC 8738): canonical text and the
 * reverse name used as the tls-alpn-01 SNI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ip.h"

static void
test_canon(void **unused)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "127.0.0.1", "127.0.0.1" },
		{ "::1", "::1" },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1" },
		{ "example.com", NULL },
		{ "192.0.2", NULL },
		{ "1.2.3.4.5", NULL },
		{ "", NULL },
		{ "[::1]", NULL },
	};
	char buf[CF_IP_TEXT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = cf_ip_canon(cases[i].in, buf);
		if (got != (cases[i].want != NULL))
			fail_msg("%s: got %d", cases[i].in, got);
		if (got && strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, buf,
				 cases[i].want);
	}
	assert_int_equal(cf_ip_canon(NULL, NULL), 0);
}

static void
test_reverse(void **unused)
{
	char buf[80];

	assert_int_equal(cf_ip_reverse_name("192.0.2.1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.2.0.192.in-addr.arpa");
	assert_int_equal(cf_ip_reverse_name("2001:db8::1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
				 "8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(cf_ip_reverse_name("example.com", buf, sizeof(buf)), -1);
	assert_int_equal(cf_ip_reverse_name("2001:db8::1", buf, 20), -1);
	assert_int_equal(cf_ip_reverse_name("192.0.2.1", buf, 10), -1);
}

static void
test_loopback(void **unused)
{
	static const struct { const char *in; int want; } cases[] = {
		{ "127.0.0.1", 1 }, { "127.255.0.9", 1 }, { "::1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 }, { "128.0.0.1", 0 }, { "::2", 0 },
		{ "::", 0 }, { "localhost", 0 }, { "10.0.0.1", 0 }, { "", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cf_ip_is_loopback(cases[i].in) != cases[i].want)
			fail_msg("%s: want %d", cases[i].in, cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
