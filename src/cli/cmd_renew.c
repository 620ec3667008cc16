/* cmd_renew.c - "certferry renew": renew every certificate that is due. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/settings.h"
#include "core/log.h"
#include "core/time.h"
#include "engine/notify.h"
#include "engine/renew.h"

#define RENEW_MAX_JOBS 32

static void
renew_usage(FILE *f)
{
	fprintf(f,
"usage: certferry [global options] renew [options]\n"
"\n"
"Renews every certificate of the state folder that is due, and only those,\n"
"the way 'certferry issue' ordered it (STATE/renewals/NAME.json).  Due: when\n"
"the CA's renewal information (RFC 9773) says so - a random time in its\n"
"window - else when a third of the lifetime is left (or the definition's\n"
"--renew-before).  A failed renewal does not stop the others and is tried\n"
"again by a later run, with a growing backoff.  An order still processing\n"
"at the CA is resumed by the next run.  This is what the timer runs\n"
"('certferry schedule install').\n"
"\n"
"options:\n"
"  --name NAME          only this certificate (repeatable)\n"
"  --force              renew even when not due (not cancelled/revoked ones)\n"
"  --renew-before DAYS  due when DAYS (1 to 36500) or fewer are left, for\n"
"                       this run\n"
"  --jobs N             renew up to N certificates at a time (default 4)\n"
"  --per-ca N           at most N orders at a time at any one CA (default 4);\n"
"                       one Retry-After or rate limit from a CA holds every\n"
"                       job of that CA\n"
"  --wait SECONDS       how long to wait for the CA per certificate\n"
"                       (default 300)\n"
"  --dry-run            report what is due and why; change nothing\n"
"\n"
"exit status: 0 all renewals succeeded (or none was due), 1 at least one\n"
"failed, 2 usage error, 3 none failed but one is pending at the CA.\n"
"A certificate locked by another certferry run is skipped (noted).\n"
"\n"
"The CA's directory is asked once per run, and TLS sessions are shared\n"
"(with --jobs 1, one connection).  When the CA is unreachable or failing,\n"
"the run does not wait for it certificate after certificate: the rest are\n"
"decided from their own data (\"CA unreachable, checked locally\"), due\n"
"ones are reported failed without an order or a backoff, and the next run\n"
"tries again.\n");
}

/* What the run reports, one item at a time (streamed: nothing is kept
 * but the counts and, for the notification, a small note per item). */
struct renew_note {
	const char *name;            /* borrowed from the run's names */
	enum cf_renew_outcome outcome;
	time_t not_after;            /* a renewed certificate's */
	char *detail;                /* a failure's message (owned) */
};

struct renew_out {
	size_t count[CF_RENEW_REPAIRED + 1];
	struct renew_note *notes;    /* one per item, in report order */
	size_t nnotes, cap;
	int keep_notes;              /* only when notifications are set */
};

static void
keep_note(struct renew_out *ro, const struct cf_renew_item *it)
{
	struct renew_note *nn;

	if (!ro->keep_notes)
		return;
	if (ro->nnotes == ro->cap) {
		size_t cap = ro->cap ? ro->cap * 2 : 64;
		if ((nn = realloc(ro->notes, cap * sizeof(*nn))) == NULL)
			return; /* the message will lack this item, not the run */
		ro->notes = nn;
		ro->cap = cap;
	}
	nn = &ro->notes[ro->nnotes++];
	nn->name = it->name;
	nn->outcome = it->outcome;
	nn->not_after = it->not_after;
	nn->detail = it->outcome == CF_RENEW_FAILED ?
			     strdup(it->err.msg[0] ? it->err.msg :
						     cf_rc_name(it->err.rc)) :
			     NULL;
}

static void
print_item(void *ctx, const struct cf_renew_item *it)
{
	struct renew_out *ro = ctx;
	char na[32];

	ro->count[it->outcome]++;
	keep_note(ro, it);
	switch (it->outcome) {
	case CF_RENEW_OK:
		cf_rfc3339_format(it->not_after, na);
		printf("%s: renewed: serial %s, not after %s (%s)%s%s\n",
		       it->name, it->serial, na, it->why,
		       it->resumed ? "; completed the saved order" : "",
		       it->replaces_dropped ?
			       "; the CA refused \"replaces\"" : "");
		break;
	case CF_RENEW_FAILED:
		printf("%s: failed%s%s\n", it->name, it->why[0] ? ": " : "",
		       it->why);
		fprintf(stderr, "error: %s: %s\n", it->name,
			it->err.msg[0] ? it->err.msg : cf_rc_name(it->err.rc));
		break;
	case CF_RENEW_PENDING:
		printf("%s: pending at the CA: %s\n", it->name, it->err.msg);
		break;
	case CF_RENEW_REPAIRED:
		printf("%s: not due, stores repaired: %s\n", it->name, it->why);
		break;
	case CF_RENEW_DUE:
		printf("%s: due (dry run, nothing done): %s\n", it->name,
		       it->why);
		break;
	default:
		printf("%s: %s: %s\n", it->name,
		       cf_renew_outcome_name(it->outcome), it->why);
		break;
	}
	if (it->verify.drifted > 0)
		cf_cli_print_verify(&it->verify, "  ");
}

static int
long_arg(const char *opt, const char *arg, long min, long max, long *out)
{
	struct cf_err err = { 0 };

	if (cf_cli_long_arg(opt, arg, min, max, out, &err) != CF_OK) {
		cf_cli_fail(&err);
		return -1;
	}
	return 0;
}

/* One message for the whole run ([notify]): failures, certificates that
 * expire soon without a new one, successes if asked. */
static void
notify_run(struct cf_cli *cli, const struct cf_state *st,
	   const struct renew_out *ro, time_t now)
{
	struct cf_notify_conf c;
	struct cf_notify_item *ni;
	size_t i, n = ro->nnotes;

	cf_cli_mark_run(st->root, now, 1);
	if (cli->settings == NULL)
		return;
	cf_settings_notify(cli->settings, &c);
	if (!cf_notify_configured(&c) || (ni = calloc(n + 1, sizeof(*ni))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct renew_note *it = &ro->notes[i];
		struct cf_renewal r;
		struct cf_err e = { 0 };

		ni[i].name = it->name;
		ni[i].kind = CF_NOTE_QUIET;
		if (it->outcome == CF_RENEW_OK) {
			ni[i].kind = CF_NOTE_OK;
			ni[i].not_after = it->not_after;
			continue;
		}
		if (it->outcome == CF_RENEW_FAILED) {
			ni[i].kind = CF_NOTE_FAILED;
			ni[i].detail = it->detail ? it->detail : "failed";
		}
		memset(&r, 0, sizeof(r));
		if (it->outcome != CF_RENEW_INACTIVE &&
		    cf_renewal_load(st, it->name, &r, &e) == CF_OK) {
			ni[i].not_after = r.not_after;
			if (ni[i].kind == CF_NOTE_QUIET &&
			    r.state == CF_REN_ACTIVE)
				ni[i].kind = cf_notify_expiry_kind(
					&c, r.not_after, now);
			cf_renewal_free(&r);
		}
	}
	(void)cf_cli_notify(cli, ni, n, 0);
	free(ni);
}

/* One option of renew into o (--name into only); 0 done, -1 bad usage
 * (said), 1 --help (printed). */
static int
renew_opt(int ch, struct cf_renew_opts *o, const char **only, size_t *nonly)
{
	long l;

	switch (ch) {
	case 'n':
		only[(*nonly)++] = optarg;
		return 0;
	case 'f':
		o->force = 1;
		return 0;
	case 'b':
		if (long_arg("--renew-before", optarg, CF_RENEW_BEFORE_DAYS_MIN,
			     CF_RENEW_BEFORE_DAYS_MAX, &l) != 0)
			return -1;
		o->renew_before_days = l;
		return 0;
	case 'j':
	case 'P':
		if (long_arg(ch == 'j' ? "--jobs" : "--per-ca", optarg, 1,
			     RENEW_MAX_JOBS, &l) != 0)
			return -1;
		*(ch == 'j' ? &o->jobs : &o->per_ca) = (int)l;
		return 0;
	case 'w':
		if (long_arg("--wait", optarg, 0, 7L * 86400, &l) != 0)
			return -1;
		o->wait_s = l == 0 ? -1 : l;
		return 0;
	case 'D':
		o->dry_run = 1;
		return 0;
	case 'h':
		renew_usage(stdout);
		return 1;
	default:
		fprintf(stderr, "error: bad option: see 'certferry renew --help'\n");
		return -1;
	}
}

static int
renew_args(int argc, char **argv, struct cf_renew_opts *o, const char **only,
	   size_t *nonly)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "renew-before", required_argument, NULL, 'b' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "per-ca", required_argument, NULL, 'P' },
		{ "wait", required_argument, NULL, 'w' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		if ((r = renew_opt(ch, o, only, nonly)) != 0)
			return r;
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* The definitions to renew: every one, or those of --name (each must
 * exist). */
static cf_rc
select_items(char **all, size_t nall, const char **only, size_t nonly,
	     const char **items, size_t *n, struct cf_err *err)
{
	*n = 0;
	if (nonly == 0) {
		for (size_t i = 0; i < nall; i++)
			items[(*n)++] = all[i];
		return CF_OK;
	}
	for (size_t i = 0; i < nonly; i++) {
		size_t k;
		for (k = 0; k < nall; k++)
			if (strcmp(all[k], only[i]) == 0)
				break;
		if (k == nall)
			return cf_err_set(err, CF_ERR_USAGE,
					  "no renewal definition for '%s' (see "
					  "'certferry list')", only[i]);
		items[(*n)++] = all[k];
	}
	return CF_OK;
}

/* The summary line; the exit status of the run. */
static int
renew_summary(const size_t *count, int dry_run)
{
	printf("renew: %zu renewed, %zu failed, %zu pending, %zu not due, "
	       "%zu repaired, %zu locked%s\n", count[CF_RENEW_OK],
	       count[CF_RENEW_FAILED],
	       count[CF_RENEW_PENDING], count[CF_RENEW_NOT_DUE] +
	       count[CF_RENEW_DUE] + count[CF_RENEW_INACTIVE],
	       count[CF_RENEW_REPAIRED], count[CF_RENEW_LOCKED],
	       dry_run ? " (dry run)" : "");
	return count[CF_RENEW_FAILED] ? CF_EXIT_FAIL :
	       count[CF_RENEW_PENDING] ? CF_EXIT_PENDING : CF_EXIT_OK;
}

/* Renew items[0..n) and report; not with --dry-run: the run is marked
 * and notifications are sent. */
static int
renew_items(struct cf_cli *cli, struct cf_state *st,
	    const struct cf_renew_opts *o, const char **items, size_t n,
	    struct renew_out *ro)
{
	struct cf_err err = { 0 };
	struct cf_notify_conf nc;
	int ret;

	if (!o->dry_run) {
		cf_cli_mark_run(st->root, o->now, 0);
		if (cli->settings != NULL) {
			cf_settings_notify(cli->settings, &nc);
			ro->keep_notes = cf_notify_configured(&nc);
		}
	}
	if (cf_renew_run(st, o, items, n, print_item, ro, &err) != CF_OK)
		return cf_cli_fail(&err);
	ret = renew_summary(ro->count, o->dry_run);
	if (!o->dry_run)
		notify_run(cli, st, ro, o->now);
	return ret;
}

int
cf_cmd_renew(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_renew_opts o;
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	const char **items = NULL, **only = NULL;
	char **all = NULL;
	size_t nall = 0, nonly = 0, n = 0;
	struct renew_out ro;
	int r, ret = CF_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&ro, 0, sizeof(ro));
	o.jobs = 4;
	if ((only = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
		return CF_EXIT_FAIL;
	if ((r = renew_args(argc, argv, &o, only, &nonly)) != 0) {
		free(only);
		return r > 0 ? CF_EXIT_OK : CF_EXIT_USAGE;
	}
	o.ca_bundle = cli->ca_bundle;
	o.allow_cross_origin = cli->allow_cross_origin;
	o.http_timeout_s = cli->http_timeout_s;
	o.now = cf_cli_now();
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_renewal_list(&st, &all, &nall, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if ((items = calloc(nall + nonly + 1, sizeof(*items))) == NULL) {
		ret = CF_EXIT_FAIL;
		goto out;
	}
	if (select_items(all, nall, only, nonly, items, &n, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (n == 0)
		printf("nothing to renew: no renewal definitions in %s\n", st.root);
	else
		ret = renew_items(cli, &st, &o, items, n, &ro);
out:
	for (size_t i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	free(only);
	free(items);
	for (size_t i = 0; i < ro.nnotes; i++)
		free(ro.notes[i].detail);
	free(ro.notes);
	cf_state_close(&st);
	return ret;
}
