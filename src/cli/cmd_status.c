/*
 * cmd_status.c - "certferry status": health at a glance.  Per active
 * certificate: what "list --json" says, whether every store and IIS/nginx/
 * Apache holds it (cf_deliver_verify, no repair) and whether it needs
 * someone; exit 0 healthy, 1 attention.  --prometheus FILE writes
 * node-exporter textfile metrics atomically.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/time.h"
#include "engine/deliver.h"
#include "engine/notify.h"
#include "engine/renewal.h"
#include "store/atomic.h"

static void
status_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] status [--json] "
		"[--prometheus FILE]\n"
		"\n"
		"Each active certificate: expiry, next renewal, last result and\n"
		"whether its stores (and IIS, nginx, Apache) hold it.  It needs\n"
		"attention when it has no certificate, its last renewal failed,\n"
		"a store is out of sync, or it expires within [notify]\n"
		"expiry-days (default 14).\n"
		"  --json             one JSON object: {\"healthy\", \"certificates\"}\n"
		"  --prometheus FILE  also write node-exporter textfile metrics to\n"
		"                     FILE (atomically; e.g. in the collector's\n"
		"                     --collector.textfile.directory)\n"
		"exit status: 0 healthy, 1 attention needed, 2 usage.\n");
}

/* A Prometheus label value: \, " and newline escaped. */
static cf_rc
label(struct cf_buf *b, const char *v)
{
	char c[2] = { 0, 0 };
	cf_rc rc = CF_OK;

	for (; rc == CF_OK && *v != '\0'; v++) {
		if (*v == '\\')
			rc = cf_buf_appends(b, "\\\\");
		else if (*v == '"')
			rc = cf_buf_appends(b, "\\\"");
		else if (*v == '\n')
			rc = cf_buf_appends(b, "\\n");
		else {
			c[0] = *v;
			rc = cf_buf_appends(b, c);
		}
	}
	return rc;
}

struct metric {
	const char *name, *help;
};

static const struct metric metrics[] = {
	{ "certferry_certificate_not_after_seconds",
	  "Expiry of the current certificate (Unix time; 0: none)" },
	{ "certferry_certificate_last_success_seconds",
	  "Time of the last successful issue or renewal (Unix time; 0: none)" },
	{ "certferry_certificate_failures",
	  "Consecutive failed renewals" },
	{ "certferry_certificate_stores_in_sync",
	  "1 when every store and server holds the current certificate" },
	{ "certferry_certificate_attention",
	  "1 when the certificate needs someone" },
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

struct row {
	const char *name;
	double v[NMETRICS];
};

static cf_rc
write_prometheus(const char *path, const struct row *rows, size_t n,
		 time_t now, struct cf_err *err)
{
	struct cf_buf b;
	char num[64];
	size_t m, i;
	cf_rc rc = CF_OK;

	cf_buf_init(&b, 16u << 20);
	for (m = 0; rc == CF_OK && m < NMETRICS; m++) {
		rc = cf_buf_appends(&b, "# HELP ");
		rc = rc ? rc : cf_buf_appends(&b, metrics[m].name);
		rc = rc ? rc : cf_buf_appends(&b, " ");
		rc = rc ? rc : cf_buf_appends(&b, metrics[m].help);
		rc = rc ? rc : cf_buf_appends(&b, "\n# TYPE ");
		rc = rc ? rc : cf_buf_appends(&b, metrics[m].name);
		rc = rc ? rc : cf_buf_appends(&b, " gauge\n");
		for (i = 0; rc == CF_OK && i < n; i++) {
			snprintf(num, sizeof(num), "\"} %.0f\n", rows[i].v[m]);
			rc = cf_buf_appends(&b, metrics[m].name);
			rc = rc ? rc : cf_buf_appends(&b, "{name=\"");
			rc = rc ? rc : label(&b, rows[i].name);
			rc = rc ? rc : cf_buf_appends(&b, num);
		}
	}
	snprintf(num, sizeof(num), "%lld\n", (long long)now);
	rc = rc ? rc : cf_buf_appends(&b, "# HELP certferry_status_time_seconds "
				      "When certferry status wrote this file\n"
				      "# TYPE certferry_status_time_seconds gauge\n"
				      "certferry_status_time_seconds ");
	rc = rc ? rc : cf_buf_appends(&b, num);
	if (rc != CF_OK)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory writing %s", path);
	else
		rc = cf_file_write_atomic(path, b.data, b.len, 0644, err);
	cf_buf_free(&b);
	return rc;
}

/* The time of the last successful issue/renew event (0: none). */
static time_t
last_success(const struct cf_renewal *r)
{
	for (size_t i = r->nhistory; i > 0; i--)
		if (strcmp(r->history[i - 1].outcome, "ok") == 0 &&
		    (strcmp(r->history[i - 1].action, "issue") == 0 ||
		     strcmp(r->history[i - 1].action, "renew") == 0 ||
		     strcmp(r->history[i - 1].action, "resume") == 0))
			return r->history[i - 1].time;
	return 0;
}

/* The options of "status".  -1 to go on, else the exit status. */
static int
status_parse(int argc, char **argv, int *as_json, const char **prom)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, ret;

	optind = 0;
	while ((ch = cf_cli_getopt(argc, argv, longopts, status_usage,
				   &ret)) >= 0) {
		if (ch == 'j')
			*as_json = 1;
		else
			*prom = optarg;
	}
	if (ch == CF_CLI_OPT_EXIT)
		return ret;
	if (cf_cli_no_more_args(argc, argv) != CF_EXIT_OK)
		return CF_EXIT_USAGE;
	return -1;
}

/* What status found out about one certificate. */
struct cert_status {
	int in_sync, attention;
	char problem[1400];          /* "" when healthy */
	json_t *stores;              /* owned: one object per store */
};

/* Do the stores (and IIS, nginx, Apache) hold r's certificate? */
static void
check_stores(const struct cf_state *st, const struct cf_renewal *r,
	     struct cert_status *cs)
{
	struct cf_verify_report rep = { 0 };
	struct cf_err e = { 0 };
	char **names = NULL;
	size_t nn = 0, k;

	if (r->serial != NULL &&
	    (cf_spec_resolve_names(&r->spec, &names, &nn, &e) != CF_OK ||
	     cf_deliver_verify(st, &r->spec, (const char *const *)names, nn, 0,
			       &rep, &e) != CF_OK)) {
		cs->in_sync = 0;
		snprintf(cs->problem, sizeof(cs->problem), "stores not checked: "
			 "%s", e.msg);
	}
	for (k = 0; k < rep.n; k++) {
		const struct cf_store_verdict *v = &rep.v[k];
		int ok = v->health == 0 && !v->failed;

		cs->in_sync &= ok;
		json_array_append_new(cs->stores, json_pack(
			"{s:s, s:s?, s:b, s:s?}", "kind", v->kind, "path",
			v->path, "in_sync", ok, "detail",
			ok ? NULL : v->detail));
		if (!ok && cs->problem[0] == '\0')
			snprintf(cs->problem, sizeof(cs->problem), "%s %s: %s",
				 v->kind, v->path ? v->path : "", v->detail);
	}
	for (k = 0; k < nn; k++)
		free(names[k]);
	free(names);
	cf_verify_report_free(&rep);
}

/* The first problem, when the stores have none: no certificate, failed
 * renewals (with the last one's detail from list's entry j), expiring. */
static void
find_problem(const struct cf_renewal *r, json_t *j,
	     const struct cf_notify_conf *nc, time_t now,
	     struct cert_status *cs)
{
	json_t *l = j != NULL ? json_object_get(j, "last_result") : NULL;
	json_t *detail = l != NULL ? json_object_get(l, "detail") : NULL;

	if (cs->problem[0] != '\0')
		return;
	if (r->serial == NULL)
		snprintf(cs->problem, sizeof(cs->problem), "no certificate yet");
	else if (r->failures > 0)
		snprintf(cs->problem, sizeof(cs->problem), "%ld failed "
			 "renewal(s): %s", (long)r->failures, detail ?
			 json_string_value(detail) : "see 'certferry show'");
	else if (cf_notify_expiry_kind(nc, r->not_after, now) ==
		 CF_NOTE_EXPIRING)
		snprintf(cs->problem, sizeof(cs->problem), "expires within %ld "
			 "days", nc->expiry_days);
}

/* One certificate's line of the table. */
static void
print_line(const char *name, const struct cf_renewal *r, json_t *j,
	   const struct cert_status *cs)
{
	const char *nr = j ? json_string_value(json_object_get(j,
					       "next_renewal")) : NULL;
	char t[32] = "-";

	if (r->not_after)
		cf_rfc3339_format(r->not_after, t);
	printf("%-28s %-9s %-20s %-20s %-8s %s\n", name,
	       cs->attention ? "ATTENTION" : "ok", t, nr ? nr : "-",
	       cs->in_sync ? "in sync" : "DRIFTED", cs->problem);
}

/* list's entry j with what status adds, appended to arr. */
static void
append_json(json_t *arr, json_t *j, struct cert_status *cs)
{
	json_object_set_new(j, "stores", cs->stores);
	cs->stores = NULL;
	json_object_set_new(j, "stores_in_sync", json_boolean(cs->in_sync));
	json_object_set_new(j, "healthy", json_boolean(!cs->attention));
	if (cs->attention)
		json_object_set_new(j, "problem", json_string(cs->problem));
	json_array_append(arr, j);
}

enum { STATUS_UNREADABLE = -2, STATUS_INACTIVE = -1 };

/* The status of definition name: printed (or appended to arr), its
 * metrics in *row.  1 when it needs attention, 0 when healthy,
 * STATUS_INACTIVE (not shown) or STATUS_UNREADABLE (a warning). */
static int
status_one(const struct cf_state *st, const char *name,
	   const struct cf_notify_conf *nc, time_t now, json_t *arr,
	   struct row *row)
{
	struct cert_status cs = { .in_sync = 1, .stores = json_array() };
	struct cf_renewal r;
	struct cf_err e = { 0 };
	json_t *j;

	if (cf_renewal_load(st, name, &r, &e) != CF_OK) {
		fprintf(stderr, "warning: %s\n", e.msg);
		json_decref(cs.stores);
		return STATUS_UNREADABLE;
	}
	if (r.state != CF_REN_ACTIVE) {
		cf_renewal_free(&r);
		json_decref(cs.stores);
		return STATUS_INACTIVE;
	}
	check_stores(st, &r, &cs);
	j = cf_cli_list_entry(st, &r, now);
	find_problem(&r, j, nc, now, &cs);
	cs.attention = cs.problem[0] != '\0';
	*row = (struct row){ .name = name, .v = { (double)r.not_after,
		(double)last_success(&r), (double)r.failures, cs.in_sync,
		cs.attention } };
	if (arr != NULL && j != NULL)
		append_json(arr, j, &cs);
	else if (arr == NULL)
		print_line(name, &r, j, &cs);
	json_decref(cs.stores);
	json_decref(j);
	cf_renewal_free(&r);
	return cs.attention;
}

/* --json: the whole answer on stdout. */
static void
print_json(json_t *arr, int attention_any)
{
	json_t *top = json_pack("{s:b, s:O}", "healthy", !attention_any,
				"certificates", arr);
	char *text = top ? json_dumps(top, JSON_INDENT(2) |
				      JSON_PRESERVE_ORDER) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(top);
}

int
cf_cmd_status(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_notify_conf nc;
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct row *rows = NULL;
	char **defs = NULL;
	const char *prom = NULL;
	size_t ndefs = 0, nrows = 0, i;
	int as_json = 0, ret, one, attention_any = 0;
	time_t now = cf_cli_now();
	json_t *arr = NULL;

	if ((ret = status_parse(argc, argv, &as_json, &prom)) >= 0)
		return ret;
	if (cli->settings != NULL)
		cf_settings_notify(cli->settings, &nc);
	else
		cf_notify_conf_init(&nc);
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_list(&st, &defs, &ndefs, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if ((arr = json_array()) == NULL ||
	    (rows = calloc(ndefs + 1, sizeof(*rows))) == NULL) {
		ret = cf_cli_fail(&(struct cf_err){ CF_ERR_NOMEM, "out of memory" });
		goto out;
	}
	if (!as_json)
		printf("%-28s %-9s %-20s %-20s %-8s %s\n", "NAME", "HEALTH",
		       "NOT AFTER", "NEXT RENEWAL", "STORES", "PROBLEM");
	for (i = 0; i < ndefs; i++) {
		one = status_one(&st, defs[i], &nc, now, as_json ? arr : NULL,
				 &rows[nrows]);
		attention_any |= one != 0 && one != STATUS_INACTIVE;
		nrows += one >= 0;
	}
	if (as_json)
		print_json(arr, attention_any);
	if (prom != NULL &&
	    write_prometheus(prom, rows, nrows, now, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	ret = attention_any ? CF_EXIT_FAIL : CF_EXIT_OK;
out:
	for (i = 0; i < ndefs; i++)
		free(defs[i]);
	free(defs);
	free(rows);
	json_decref(arr);
	cf_state_close(&st);
	return ret;
}
