/* cmd_list.c - "certferry list", "show NAME", "cancel NAME": the
 * certificates certferry manages (their renewal definitions). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/time.h"
#include "engine/deliver.h"
#include "engine/orders.h"
#include "engine/renewal.h"

static int
help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static void
fmt_t(time_t t, char out[32])
{
	if (t == 0)
		snprintf(out, 32, "-");
	else
		cf_rfc3339_format(t, out);
}

static int
has_saved_order(const struct cf_state *st, const char *name)
{
	char *path = cf_strfmt("%s/orders/%s.json", st->root, name);
	struct stat sb;
	int has = path != NULL && stat(path, &sb) == 0;

	free(path);
	return has;
}

static const struct cf_renewal_event *
last_event(const struct cf_renewal *r)
{
	return r->nhistory ? &r->history[r->nhistory - 1] : NULL;
}

/* The hosts an IIS site covered when last recorded, split. */
static json_t *
hosts_array(const char *joined)
{
	json_t *a = json_array();

	for (const char *p = joined; a && p && *p != '\0';) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

/* [{"id", "name", "hosts"}] of the spec's IIS sites ("*": every site). */
static json_t *
iis_sites_json(const struct cf_renewal *r)
{
	const struct cf_iis_spec *is = &r->spec.iis;
	json_t *a = json_array();

	for (size_t i = 0; a && i < is->nsites; i++)
		json_array_append_new(a, json_pack(
			"{s:s,s:s,s:o}", "id", is->site_ids[i], "name",
			is->site_names[i], "hosts",
			hosts_array(is->site_hosts ? is->site_hosts[i] : "")));
	return a;
}

/* The recorded site hosts not already among ids. */
static void
iis_site_identifiers(const struct cf_renewal *r, json_t *ids)
{
	const struct cf_iis_spec *is = &r->spec.iis;

	for (size_t i = 0; ids && is->site_hosts && i < is->nsites; i++) {
		json_t *h = hosts_array(is->site_hosts[i]), *x, *y;
		size_t k, m;
		json_array_foreach(h, k, x) {
			int dup = 0;
			json_array_foreach(ids, m, y)
				dup |= json_equal(x, y);
			if (!dup)
				json_array_append(ids, x);
		}
		json_decref(h);
	}
}

/* "id 'name'" of each site, for the table. */
static void
print_sites(const struct cf_renewal *r)
{
	const struct cf_iis_spec *is = &r->spec.iis;

	if (is->site_ids == NULL || is->site_names == NULL)
		return;
	printf(" [IIS");
	for (size_t i = 0; i < is->nsites; i++)
		printf("%s %s%s'%s'", i ? "," : "", is->site_ids[i],
		       is->site_ids[i][0] ? " " : "", is->site_names[i]);
	printf("]");
}

json_t *
cf_cli_list_entry(const struct cf_state *st, const struct cf_renewal *r,
		  time_t now)
{
	const struct cf_renewal_event *ev = last_event(r);
	struct cf_due due;
	json_t *j, *ids = json_array();
	char t[32];

	cf_renewal_due(r, now, 0, 0, &due);
	for (size_t i = 0; ids && i < r->spec.nnames; i++)
		json_array_append_new(ids, json_string(r->spec.names[i]));
	iis_site_identifiers(r, ids);
	j = json_pack("{s:s,s:o,s:s,s:b,s:b,s:s}", "name", r->spec.name,
		      "identifiers", ids ? ids : json_array(), "state",
		      cf_renewal_state_name(r->state), "due", due.due,
		      "pending_order", has_saved_order(st, r->spec.name), "why",
		      due.why);
	if (j == NULL)
		return NULL;
	if (r->serial)
		json_object_set_new(j, "serial", json_string(r->serial));
	if (r->not_after) {
		fmt_t(r->not_after, t);
		json_object_set_new(j, "not_after", json_string(t));
		json_object_set_new(j, "days_left",
				    json_integer((r->not_after - now) / 86400));
	}
	if (r->state == CF_REN_ACTIVE && due.when) {
		fmt_t(due.due ? now : due.when, t);
		json_object_set_new(j, "next_renewal", json_string(t));
	}
	if (ev != NULL) {
		json_t *l = json_object();
		fmt_t(ev->time, t);
		json_object_set_new(l, "time", json_string(t));
		json_object_set_new(l, "action", json_string(ev->action));
		json_object_set_new(l, "outcome", json_string(ev->outcome));
		if (ev->detail)
			json_object_set_new(l, "detail", json_string(ev->detail));
		json_object_set_new(j, "last_result", l);
	}
	json_object_set_new(j, "failures", json_integer(r->failures));
	if (r->spec.iis.site_ids != NULL && r->spec.iis.site_names != NULL)
		json_object_set_new(j, "iis_sites", iis_sites_json(r));
	return j;
}

/* The names a definition claims: its -d names and its sites' hosts. */
static size_t
claimed_names(const struct cf_renewal *r, char ***out)
{
	json_t *ids = json_array(), *x;
	size_t n = 0, k;

	*out = NULL;
	for (size_t i = 0; ids && i < r->spec.nnames; i++)
		json_array_append_new(ids, json_string(r->spec.names[i]));
	iis_site_identifiers(r, ids);
	if (ids == NULL || (*out = calloc(json_array_size(ids) + 1,
					  sizeof(char *))) == NULL) {
		json_decref(ids);
		return 0;
	}
	json_array_foreach(ids, k, x)
		if (((*out)[n] = strdup(json_string_value(x))) != NULL)
			n++;
	json_decref(ids);
	return n;
}

/* A warning for each CCS file two active definitions write. */
static int
warn_ccs_claims(const struct cf_state *st, char **defs, size_t n)
{
	struct cf_renewal *r = calloc(n + 1, sizeof(*r));
	int warned = 0;

	if (r == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct cf_err err = { 0 };
		int ccs = 0;
		if (cf_renewal_load(st, defs[i], &r[i], &err) != CF_OK) {
			memset(&r[i], 0, sizeof(r[i]));
			continue;
		}
		/* Only definitions with a CCS store can clash: keep those. */
		for (size_t k = 0; k < r[i].spec.nstores; k++)
			ccs |= r[i].spec.stores[k].kind == CF_STORE_CCS;
		if (!ccs)
			cf_renewal_free(&r[i]);
	}
	for (size_t i = 0; i < n; i++) {
		char **names = NULL, *file = NULL;
		size_t nn;
		if (r[i].spec.name == NULL || r[i].state != CF_REN_ACTIVE)
			continue;
		nn = claimed_names(&r[i], &names);
		for (size_t j = i + 1; j < n; j++) {
			struct cf_err err = { 0 };
			if (r[j].spec.name == NULL || r[j].state != CF_REN_ACTIVE ||
			    cf_spec_ccs_clash(&r[i].spec, (const char *const *)names,
					      nn, &r[j].spec, &file, &err) != CF_OK ||
			    file == NULL)
				continue;
			fprintf(stderr, "warning: the CCS file %s is written by both "
				"'%s' and '%s': they take turns in it; cancel one "
				"('certferry cancel NAME') or leave the name out of "
				"it\n", file, r[i].spec.name, r[j].spec.name);
			warned = 1;
			free(file);
			file = NULL;
		}
		for (size_t k = 0; k < nn; k++)
			free(names[k]);
		free(names);
	}
	for (size_t i = 0; i < n; i++)
		cf_renewal_free(&r[i]);
	free(r);
	return warned;
}

/* One certificate's line of the table, from its list entry j. */
static void
print_line(const struct cf_state *st, const struct cf_renewal *r, json_t *j)
{
	const char *na = json_string_value(json_object_get(j, "not_after"));
	const char *nr = json_string_value(json_object_get(j, "next_renewal"));
	json_t *l = json_object_get(j, "last_result"), *x;
	json_t *ids = json_object_get(j, "identifiers");
	char days[16] = "-", last[64] = "-";
	size_t k;

	if (json_object_get(j, "days_left"))
		snprintf(days, sizeof(days), "%lld", (long long)
			 json_integer_value(json_object_get(j, "days_left")));
	if (l)
		snprintf(last, sizeof(last), "%s %s",
			 json_string_value(json_object_get(l, "action")),
			 json_string_value(json_object_get(l, "outcome")));
	if (has_saved_order(st, r->spec.name))
		snprintf(last, sizeof(last), "order pending");
	printf("%-28s %-9s %-20s %5s %-20s %-14s ", r->spec.name,
	       cf_renewal_state_name(r->state), na ? na : "-", days,
	       nr ? nr : "-", last);
	json_array_foreach(ids, k, x)
		printf("%s%s", k ? "," : "", json_string_value(x));
	print_sites(r);
	printf("\n");
}

/* Streamed: one entry at a time, nothing kept; *first until one is out. */
static void
print_json_entry(json_t *j, int *first)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text != NULL)
		printf("%s\n%s", *first ? "" : ",", text);
	*first = 0;
	free(text);
}

/* The options of "list" (--json).  -1 to go on, else the exit status. */
static int
list_parse(int argc, char **argv, int *as_json)
{
	if (help_asked(argc, argv)) {
		printf("usage: certferry [global options] list [--json]\n\n"
		       "The certificates certferry manages: name, state, not-after,\n"
		       "days left, next renewal, last result and the names.  --json\n"
		       "prints an array of objects for machines.\n");
		return CF_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*as_json = 1;
		} else {
			fprintf(stderr, "error: unexpected argument '%s'\n", argv[i]);
			return CF_EXIT_USAGE;
		}
	}
	return -1;
}

int
cf_cmd_list(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	char **names = NULL;
	size_t n = 0;
	int as_json = 0, first = 1, ret;
	time_t now = cf_cli_now();

	if ((ret = list_parse(argc, argv, &as_json)) >= 0)
		return ret;
	ret = CF_EXIT_OK;
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_list(&st, &names, &n, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (as_json)
		printf("[");
	else
		printf("%-28s %-9s %-20s %5s %-20s %-14s %s\n", "NAME", "STATE",
		       "NOT AFTER", "DAYS", "NEXT RENEWAL", "LAST RESULT",
		       "IDENTIFIERS");
	for (size_t i = 0; i < n; i++) {
		struct cf_renewal r;
		json_t *j;
		if (cf_renewal_load(&st, names[i], &r, &err) != CF_OK) {
			fprintf(stderr, "warning: %s\n", err.msg);
			ret = CF_EXIT_FAIL;
			continue;
		}
		if ((j = cf_cli_list_entry(&st, &r, now)) != NULL && as_json)
			print_json_entry(j, &first);
		else if (j != NULL)
			print_line(&st, &r, j);
		json_decref(j);
		cf_renewal_free(&r);
	}
	if (as_json)
		printf("%s]\n", first ? "" : "\n");
	warn_ccs_claims(&st, names, n);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cf_state_close(&st);
	return ret;
}

int
cf_cmd_show(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct cf_renewal r;
	struct cf_due due;
	json_t *j = NULL;
	char *text = NULL, t[32];
	int ret = CF_EXIT_OK;

	memset(&r, 0, sizeof(r));
	if (help_asked(argc, argv)) {
		printf("usage: certferry [global options] show NAME\n\n"
		       "Prints the renewal definition of NAME (JSON, as stored in\n"
		       "STATE/renewals/NAME.json) after a summary of when it is due.\n");
		return CF_EXIT_OK;
	}
	if (argc != 2) {
		fprintf(stderr, "error: usage: certferry show NAME\n");
		return CF_EXIT_USAGE;
	}
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_load(&st, argv[1], &r, &err) != CF_OK ||
	    cf_renewal_to_json(&r, &j, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	cf_renewal_due(&r, cf_cli_now(), 0, 0, &due);
	printf("name:       %s\nstate:      %s\n", r.spec.name,
	       cf_renewal_state_name(r.state));
	fmt_t(r.not_after, t);
	printf("serial:     %s\nnot after:  %s\n", r.serial ? r.serial : "-", t);
	printf("due:        %s (%s)\n", due.due ? "yes" : "no", due.why);
	for (size_t i = 0; r.spec.iis.site_ids && r.spec.iis.site_names &&
			   i < r.spec.iis.nsites; i++)
		printf("IIS site:   %s%s'%s' (%s): %s\n", r.spec.iis.site_ids[i],
		       r.spec.iis.site_ids[i][0] ? " " : "", r.spec.iis.site_names[i],
		       r.spec.iis.sites[i], r.spec.iis.site_hosts &&
		       r.spec.iis.site_hosts[i][0] ? r.spec.iis.site_hosts[i] :
		       "(no hosts)");
	for (size_t i = 0; i < r.nchains; i++)
		printf("%s %s\"%s\"%s\n", i ? "           " : "chains:    ",
		       "topmost issued by ", r.chains[i],
		       i == r.chain ? " (installed)" : "");
	if (has_saved_order(&st, r.spec.name))
		printf("order:      an order is in flight at the CA "
		       "(STATE/orders/%s.json): the next issue/renew resumes it\n",
		       r.spec.name);
	if ((text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) != NULL)
		printf("%s\n", text);
out:
	free(text);
	json_decref(j);
	cf_renewal_free(&r);
	cf_state_close(&st);
	return ret;
}

static void
remove_path(const char *root, const char *a, const char *b, int tree)
{
	char *path = cf_strfmt("%s/%s/%s", root, a, b);

	if (path == NULL)
		return;
	if (tree)
		cf_state_rmtree(path);
	else
		(void)unlink(path);
	free(path);
}

int
cf_cmd_cancel(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct cf_renewal r;
	const char *name = NULL;
	int del = 0, lockfd = -1, ret = CF_EXIT_OK;

	memset(&r, 0, sizeof(r));
	if (help_asked(argc, argv)) {
		printf("usage: certferry [global options] cancel NAME [--delete]\n\n"
		       "Stops renewing NAME: the definition stays, marked cancelled\n"
		       "(issue it again to resume).  --delete also removes the\n"
		       "definition, any order in flight and the certificate's files in\n"
		       "the state folder (STATE/certs/NAME and its archive); stores\n"
		       "outside the state folder are left alone.\n");
		return CF_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--delete") == 0)
			del = 1;
		else if (name == NULL && argv[i][0] != '-')
			name = argv[i];
		else {
			fprintf(stderr, "error: unexpected argument '%s'\n", argv[i]);
			return CF_EXIT_USAGE;
		}
	}
	if (name == NULL) {
		fprintf(stderr, "error: usage: certferry cancel NAME [--delete]\n");
		return CF_EXIT_USAGE;
	}
	if (cf_cli_definition_open(cli, &st, name, &lockfd, &r, &err) !=
	    CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (del) {
		cf_saved_order_remove(&st, name);
		remove_path(st.root, "certs", name, 0);
		remove_path(st.root, "archive", name, 1);
		remove_path(st.root, "verified", name, 0);
		if (cf_renewal_remove(&st, name, &err) != CF_OK) {
			ret = cf_cli_fail(&err);
			goto out;
		}
		printf("%s: cancelled and deleted from %s\n", name, st.root);
		goto out;
	}
	if (r.state == CF_REN_CANCELLED) {
		printf("%s: already cancelled\n", name);
		goto out;
	}
	r.state = CF_REN_CANCELLED;
	if (cf_renewal_add_event(&r, cf_cli_now(), "cancel", "ok", r.serial,
				 r.not_after, NULL, &err) != CF_OK ||
	    cf_renewal_save(&st, &r, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	printf("%s: cancelled: it will not be renewed (its files are kept)\n",
	       name);
out:
	cf_renewal_free(&r);
	cf_state_unlock(lockfd);
	cf_state_close(&st);
	return ret;
}
