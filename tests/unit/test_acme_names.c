/* test_acme_names.c - the CA never decides which names certferry proves or
 * accepts (issue 10): order identifiers, authorizations, certificate names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme/acme.h"

static const char *const ordered[] = { "mine.example", "*.mine.example" };

/* An order as the CA answered it: identifiers JSON and nauthz URLs. */
static void
make_order(struct cf_acme_order *o, const char *ids, size_t nauthz)
{
	memset(o, 0, sizeof(*o));
	o->url = strdup("https://ca.test/order/1");
	o->raw = json_loads(ids, 0, NULL);
	assert_non_null(o->raw);
	o->authz_urls = calloc(nauthz + 1, sizeof(char *));
	for (size_t i = 0; i < nauthz; i++)
		o->authz_urls[i] = strdup("https://ca.test/authz/x");
	o->nauthz = nauthz;
}

static void
check_order(const char *ids, size_t nauthz, cf_rc want, const char *want_msg)
{
	struct cf_acme_order o;
	struct cf_err err = { 0 };

	make_order(&o, ids, nauthz);
	assert_int_equal(cf_acme_order_check(&o, ordered, 2, &err), want);
	if (want_msg != NULL && strstr(err.msg, want_msg) == NULL)
		fail_msg("%s: got \"%s\"", ids, err.msg);
	cf_acme_order_free(&o);
}

static void
test_order_identifiers(void **unused)
{
	check_order("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"MINE.example\"},"
		    "{\"type\":\"dns\",\"value\":\"*.mine.example\"}]}", 2, CF_OK,
		    NULL);
	check_order("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"mine.example\"},"
		    "{\"type\":\"dns\",\"value\":\"*.mine.example\"},"
		    "{\"type\":\"dns\",\"value\":\"victim.other\"}]}", 2,
		    CF_ERR_PROTO, "an order for victim.other, which was not ordered");
	check_order("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"mine.example\"}]}",
		    1, CF_ERR_PROTO, "without *.mine.example, which was ordered");
	check_order("{\"identifiers\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\"}]}",
		    1, CF_ERR_PROTO, "an order for 192.0.2.1, which was not ordered");
	check_order("{\"status\":\"pending\"}", 1, CF_ERR_PROTO,
		    "lists no identifiers");
	/* More authorizations than names: refused before any is fetched. */
	check_order("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"mine.example\"},"
		    "{\"type\":\"dns\",\"value\":\"*.mine.example\"}]}", 3000,
		    CF_ERR_PROTO, "3000 authorizations for 2 ordered names");
}

static void
check_authz(const char *ident, int wildcard, unsigned char *seen, cf_rc want,
	    const char *want_msg)
{
	struct cf_acme_authz z;
	struct cf_err err = { 0 };

	memset(&z, 0, sizeof(z));
	z.identifier = (char *)ident;
	z.identifier_type = (char *)"dns";
	z.wildcard = wildcard;
	assert_int_equal(cf_acme_authz_check(&z, ordered, 2, seen, &err), want);
	if (want_msg != NULL && strstr(err.msg, want_msg) == NULL)
		fail_msg("%s: got \"%s\"", ident, err.msg);
}

static void
test_authz_names(void **unused)
{
	unsigned char seen[2] = { 0, 0 };

	check_authz("victim.other", 0, seen, CF_ERR_PROTO,
		    "the CA returned an authorization for victim.other, which "
		    "was not ordered");
	check_authz("mine.example", 0, seen, CF_OK, NULL);
	check_authz("mine.example", 0, seen, CF_ERR_PROTO,
		    "two authorizations for mine.example");
	check_authz("mine.example", 1, seen, CF_OK, NULL);
	/* A wildcard authorization for an unordered base name. */
	memset(seen, 0, sizeof(seen));
	check_authz("other.example", 1, seen, CF_ERR_PROTO,
		    "authorization for *.other.example");
}

static void
test_certificate_names(void **unused)
{
	const char *const sans[] = { "mine.example", "victim.other" };
	const char *const same[] = { "*.mine.example", "mine.example" };
	struct cf_err err = { 0 };

	assert_int_equal(cf_acme_names_same_set("a certificate", same, 2, ordered,
						2, &err), CF_OK);
	assert_int_equal(cf_acme_names_same_set("a certificate", sans, 2, ordered,
						2, &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "a certificate for victim.other, which "
				       "was not ordered"));
	assert_int_equal(cf_acme_names_same_set("a certificate", sans, 1, ordered,
						2, &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "without *.mine.example"));
}

/* RFC 8738: addresses are typed "ip", compare by their canonical form,
 * and never match a DNS identifier of the same text. */
static const char *const ips[] = { "192.0.2.1", "2001:db8::1" };

static void
test_ip_identifiers(void **unused)
{
	struct cf_acme_order o;
	struct cf_acme_authz z;
	struct cf_err err = { 0 };
	unsigned char seen[2] = { 0, 0 };
	const char *const sans[] = { "2001:DB8:0:0:0:0:0:1", "192.0.2.1" };

	assert_string_equal(cf_acme_identifier_type("192.0.2.1"), "ip");
	assert_string_equal(cf_acme_identifier_type("2001:db8::1"), "ip");
	assert_string_equal(cf_acme_identifier_type("a.example"), "dns");
	make_order(&o, "{\"identifiers\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
		   "{\"type\":\"ip\",\"value\":\"2001:0db8::0:1\"}]}", 2);
	assert_int_equal(cf_acme_order_check(&o, ips, 2, &err), CF_OK);
	cf_acme_order_free(&o);
	make_order(&o, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"192.0.2.1\"},"
		   "{\"type\":\"ip\",\"value\":\"2001:db8::1\"}]}", 2);
	assert_int_equal(cf_acme_order_check(&o, ips, 2, &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "type dns (192.0.2.1)"));
	cf_acme_order_free(&o);
	memset(&z, 0, sizeof(z));
	z.identifier = (char *)"192.0.2.1";
	z.identifier_type = (char *)"dns";
	assert_int_equal(cf_acme_authz_check(&z, ips, 2, seen, &err),
			 CF_ERR_PROTO);
	z.identifier_type = (char *)"ip";
	assert_int_equal(cf_acme_authz_check(&z, ips, 2, seen, &err), CF_OK);
	z.identifier = (char *)"2001:db8:0::1";
	assert_int_equal(cf_acme_authz_check(&z, ips, 2, seen, &err), CF_OK);
	assert_int_equal(cf_acme_names_same_set("a certificate", sans, 2, ips, 2,
						&err), CF_OK);
	assert_int_equal(cf_acme_name_index(ips, 2, "192.0.2.10"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_identifiers),
		cmocka_unit_test(test_authz_names),
		cmocka_unit_test(test_certificate_names),
		cmocka_unit_test(test_ip_identifiers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
