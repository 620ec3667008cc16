/*
 * fuzz_iis_config.c - applicationHost.config (iis/appconfig.h, edit.h).
 *
 * Input: the configuration bytes.  Parse them; for each of the first
 * sites list its hosts, plan a fixed set of host names against it and,
 * when the plan adds bindings, run the byte-for-byte edit in memory (the
 * editor parses its result again and checks it).
 */
#include "iis/appconfig.h"
#include "iis/edit.h"
#include "fuzz.h"

#define FUZZ_SITES 4

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "www.example.com", "example.com",
		"*.example.org", "xn--bcher-kva.example" };
	const size_t nhosts = sizeof(hosts) / sizeof(hosts[0]);
	struct cf_iis_config *c = NULL;
	struct cf_err err;
	size_t i, j;

	if (cf_iis_config_parse((const char *)data, size, NULL, 0, &c, &err) !=
	    CF_OK)
		return 0;
	for (i = 0; i < c->nsites && i < FUZZ_SITES; i++) {
		const struct cf_iis_site *s = &c->sites[i];
		struct cf_iis_new_binding *nb = NULL;
		struct cf_iis_plan *p = NULL;
		char **h = NULL, *out = NULL;
		size_t n = 0, outlen = 0, k = 0;

		if (cf_iis_site_hosts(s, NULL, &h, &n, &err) == CF_OK)
			cf_iis_hosts_free(h, n);
		if (cf_iis_site_find(c, s->name) == NULL)
			abort();
		if (cf_iis_plan(c, s, hosts, nhosts, 443, &p, &err) != CF_OK)
			continue;
		if (p->nadd > 0 && (nb = calloc(p->nadd, sizeof(*nb))) != NULL) {
			for (j = 0; j < p->n; j++) {
				if (p->items[j].action != CF_IIS_PLAN_ADD)
					continue;
				nb[k].protocol = "https";
				nb[k].binding_information =
					p->items[j].binding_information;
				nb[k].ssl_flags = p->items[j].ssl_flags;
				k++;
			}
			if (cf_iis_edit_add_bindings((const char *)data, size,
						     p->site_index, nb, k, &out,
						     &outlen, &err) == CF_OK)
				free(out);
			free(nb);
		}
		cf_iis_plan_free(p);
	}
	cf_iis_config_free(c);
	return 0;
}
