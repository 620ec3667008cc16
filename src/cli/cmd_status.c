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
#include "engine/deliver.h"
#include "engine/notify.h"
#include "engine/renewal.h"
#include "http/headers.h"
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

int
cf_cmd_status(struct cf_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cf_notify_conf nc;
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct row *rows = NULL;
	char **defs = NULL;
	const char *prom = NULL;
	size_t ndefs = 0, nrows = 0, i;
	int ch, as_json = 0, ret = CF_EXIT_OK, attention_any = 0;
	time_t now = cf_cli_now();
	json_t *arr = json_array(), *top = NULL;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			as_json = 1;
			break;
		case 'p':
			prom = optarg;
			break;
		case 'h':
			status_usage(stdout);
			json_decref(arr);
			return CF_EXIT_OK;
		default:
			status_usage(stderr);
			json_decref(arr);
			return CF_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
		json_decref(arr);
		return CF_EXIT_USAGE;
	}
	if (cli->settings != NULL)
		cf_settings_notify(cli->settings, &nc);
	else
		cf_notify_conf_init(&nc);
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_list(&st, &defs, &ndefs, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (arr == NULL || (rows = calloc(ndefs + 1, sizeof(*rows))) == NULL) {
		ret = cf_cli_fail(&(struct cf_err){ CF_ERR_NOMEM, "out of memory" });
		goto out;
	}
	if (!as_json)
		printf("%-28s %-9s %-20s %-20s %-8s %s\n", "NAME", "HEALTH",
		       "NOT AFTER", "NEXT RENEWAL", "STORES", "PROBLEM");
	for (i = 0; i < ndefs; i++) {
		struct cf_renewal r;
		struct cf_verify_report rep = { 0 };
		struct cf_err e = { 0 };
		char **names = NULL, problem[1400] = "", t[32];
		size_t nn = 0, k;
		int in_sync = 1, attention;
		json_t *j, *stores = json_array(), *l;

		if (cf_renewal_load(&st, defs[i], &r, &e) != CF_OK) {
			fprintf(stderr, "warning: %s\n", e.msg);
			attention_any = 1;
			json_decref(stores);
			continue;
		}
		if (r.state != CF_REN_ACTIVE) {
			cf_renewal_free(&r);
			json_decref(stores);
			continue;
		}
		if (r.serial != NULL &&
		    (cf_spec_resolve_names(&r.spec, &names, &nn, &e) != CF_OK ||
		     cf_deliver_verify(&st, &r.spec, (const char *const *)names,
				       nn, 0, &rep, &e) != CF_OK)) {
			in_sync = 0;
			snprintf(problem, sizeof(problem), "stores not checked: %s",
				 e.msg);
		}
		for (k = 0; k < rep.n; k++) {
			const struct cf_store_verdict *v = &rep.v[k];
			int ok = v->health == 0 && !v->failed;

			in_sync &= ok;
			json_array_append_new(stores, json_pack(
				"{s:s, s:s?, s:b, s:s?}", "kind", v->kind, "path",
				v->path, "in_sync", ok, "detail",
				ok ? NULL : v->detail));
			if (!ok && problem[0] == '\0')
				snprintf(problem, sizeof(problem), "%s %s: %s",
					 v->kind, v->path ? v->path : "",
					 v->detail);
		}
		l = NULL;
		j = cf_cli_list_entry(&st, &r, now);
		if (j != NULL)
			l = json_object_get(j, "last_result");
		if (r.serial == NULL && problem[0] == '\0')
			snprintf(problem, sizeof(problem), "no certificate yet");
		if (r.failures > 0 && problem[0] == '\0')
			snprintf(problem, sizeof(problem), "%ld failed renewal(s): %s",
				 (long)r.failures, l && json_object_get(l, "detail") ?
				 json_string_value(json_object_get(l, "detail")) :
				 "see 'certferry show'");
		if (r.serial != NULL && problem[0] == '\0' &&
		    cf_notify_expiry_kind(&nc, r.not_after, now) ==
		    CF_NOTE_EXPIRING)
			snprintf(problem, sizeof(problem), "expires within %ld days",
				 nc.expiry_days);
		attention = problem[0] != '\0';
		attention_any |= attention;
		rows[nrows].name = defs[i];
		rows[nrows].v[0] = (double)r.not_after;
		rows[nrows].v[1] = (double)last_success(&r);
		rows[nrows].v[2] = (double)r.failures;
		rows[nrows].v[3] = in_sync;
		rows[nrows].v[4] = attention;
		nrows++;
		if (as_json && j != NULL) {
			json_object_set_new(j, "stores", stores);
			stores = NULL;
			json_object_set_new(j, "stores_in_sync", json_boolean(in_sync));
			json_object_set_new(j, "healthy", json_boolean(!attention));
			if (attention)
				json_object_set_new(j, "problem", json_string(problem));
			json_array_append(arr, j);
		} else if (!as_json) {
			const char *nr = j ? json_string_value(json_object_get(
				j, "next_renewal")) : NULL;

			t[0] = '-';
			t[1] = '\0';
			if (r.not_after)
				cf_rfc3339_format(r.not_after, t);
			printf("%-28s %-9s %-20s %-20s %-8s %s\n", defs[i],
			       attention ? "ATTENTION" : "ok", t, nr ? nr : "-",
			       in_sync ? "in sync" : "DRIFTED", problem);
		}
		json_decref(stores);
		json_decref(j);
		for (k = 0; k < nn; k++)
			free(names[k]);
		free(names);
		cf_verify_report_free(&rep);
		cf_renewal_free(&r);
	}
	if (as_json) {
		char *text;

		top = json_pack("{s:b, s:O}", "healthy", !attention_any,
				"certificates", arr);
		text = top ? json_dumps(top, JSON_INDENT(2) |
					JSON_PRESERVE_ORDER) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
	}
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
	json_decref(top);
	json_decref(arr);
	cf_state_close(&st);
	return ret;
}
