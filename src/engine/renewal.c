/* renewal.c - renewal definitions and due-time rules; see renewal.h */
#include "engine/renewal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/time.h"
#include "store/atomic.h"

#define RENEWAL_JSON_MAX (256 * 1024)

static const char *const state_names[] = {
	[CF_REN_ACTIVE] = "active",
	[CF_REN_CANCELLED] = "cancelled",
	[CF_REN_REVOKED] = "revoked",
};

const char *
cf_renewal_state_name(enum cf_renewal_state s)
{
	return (unsigned)s <= CF_REN_REVOKED ? state_names[s] : "?";
}

static void
event_free(struct cf_renewal_event *ev)
{
	free(ev->action);
	free(ev->outcome);
	free(ev->serial);
	free(ev->detail);
	memset(ev, 0, sizeof(*ev));
}

void
cf_renewal_free(struct cf_renewal *r)
{
	if (r == NULL)
		return;
	cf_spec_free(&r->spec);
	free(r->account_url);
	free(r->serial);
	free(r->ari_cert_id);
	for (size_t i = 0; i < r->nchains; i++)
		free(r->chains[i]);
	free(r->chains);
	for (size_t i = 0; i < r->nhistory; i++)
		event_free(&r->history[i]);
	free(r->history);
	memset(r, 0, sizeof(*r));
}

/* ---- JSON helpers ---- */

static int
set_time(json_t *o, const char *key, time_t t)
{
	char buf[32];

	if (t == 0)
		return 0;
	cf_rfc3339_format(t, buf);
	return json_object_set_new(o, key, json_string(buf));
}

static int
set_str(json_t *o, const char *key, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, key, json_string(v));
}

/* A missing member gives 0; a malformed one is an error (-1). */
static int
get_time(json_t *o, const char *key, time_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || cf_rfc3339_parse(json_string_value(v), out) !=
					   CF_OK)
		return -1;
	return 0;
}

/* Copy a string member (NULL when absent); -1 on a bad type or no memory. */
static int
get_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || (*out = strdup(json_string_value(v))) == NULL)
		return -1;
	return 0;
}

cf_rc
cf_renewal_to_json(const struct cf_renewal *r, json_t **out, struct cf_err *err)
{
	json_t *j = json_object(), *spec = NULL, *cur = json_object(),
	       *ari = json_object(), *hist = json_array();
	int bad = j == NULL || cur == NULL || ari == NULL || hist == NULL;
	cf_rc rc;

	*out = NULL;
	if (bad) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = cf_spec_to_json(&r->spec, &spec, err)) != CF_OK)
		goto fail;
	bad |= json_object_set_new(j, "version", json_integer(CF_RENEWAL_VERSION));
	bad |= json_object_set_new(j, "spec", spec);
	bad |= set_str(j, "account_url", r->account_url);
	bad |= set_str(j, "state", cf_renewal_state_name(r->state));
	bad |= set_str(cur, "serial", r->serial);
	bad |= set_time(cur, "not_before", r->not_before);
	bad |= set_time(cur, "not_after", r->not_after);
	bad |= set_str(cur, "ari_cert_id", r->ari_cert_id);
	if (r->nchains > 0) {
		json_t *ch = json_array();
		bad |= ch == NULL;
		for (size_t i = 0; ch != NULL && i < r->nchains; i++)
			bad |= json_array_append_new(ch, json_string(r->chains[i]));
		bad |= json_object_set_new(cur, "chains", ch);
		bad |= json_object_set_new(cur, "chain",
					   json_integer((json_int_t)r->chain));
	}
	bad |= json_object_set_new(j, "current", cur);
	cur = NULL;
	bad |= set_time(ari, "window_start", r->ari_start);
	bad |= set_time(ari, "window_end", r->ari_end);
	bad |= set_time(ari, "selected", r->ari_selected);
	bad |= set_time(ari, "next_check", r->ari_next_check);
	bad |= json_object_set_new(j, "ari", ari);
	ari = NULL;
	bad |= set_time(j, "next_due", r->next_due);
	bad |= set_time(j, "retry_not_before", r->retry_not_before);
	bad |= json_object_set_new(j, "failures", json_integer(r->failures));
	for (size_t i = 0; i < r->nhistory; i++) {
		const struct cf_renewal_event *ev = &r->history[i];
		json_t *e = json_object();
		bad |= e == NULL;
		bad |= set_time(e, "time", ev->time);
		bad |= set_str(e, "action", ev->action);
		bad |= set_str(e, "outcome", ev->outcome);
		bad |= set_str(e, "serial", ev->serial);
		bad |= set_time(e, "not_after", ev->not_after);
		bad |= set_str(e, "detail", ev->detail);
		bad |= json_array_append_new(hist, e);
	}
	bad |= json_object_set_new(j, "history", hist);
	hist = NULL;
	if (bad) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	*out = j;
	return CF_OK;
fail:
	json_decref(j);
	json_decref(cur);
	json_decref(ari);
	json_decref(hist);
	return rc;
}

/* "state": active (also when absent), cancelled or revoked. */
static cf_rc
state_from_json(json_t *j, struct cf_renewal *r, struct cf_err *err)
{
	const char *state = json_string_value(json_object_get(j, "state"));

	r->state = CF_REN_ACTIVE;
	if (state == NULL || strcmp(state, "active") == 0)
		return CF_OK;
	if (strcmp(state, "cancelled") == 0)
		r->state = CF_REN_CANCELLED;
	else if (strcmp(state, "revoked") == 0)
		r->state = CF_REN_REVOKED;
	else
		return cf_err_set(err, CF_ERR_USAGE, "unknown state '%.32s'",
				  state);
	return CF_OK;
}

/* "current": the certificate now in the state folder, with the chains
 * the CA offered and the one chosen.  Nonzero for a bad member. */
static int
current_from_json(json_t *cur, struct cf_renewal *r)
{
	json_t *ch = json_object_get(cur, "chains"), *x;
	size_t k;
	int bad = 0;

	bad |= get_str(cur, "serial", &r->serial);
	bad |= get_time(cur, "not_before", &r->not_before);
	bad |= get_time(cur, "not_after", &r->not_after);
	bad |= get_str(cur, "ari_cert_id", &r->ari_cert_id);
	if (!json_is_array(ch))
		return bad;
	r->chains = calloc(json_array_size(ch) + 1, sizeof(char *));
	bad |= r->chains == NULL;
	json_array_foreach(ch, k, x) {
		if (r->chains == NULL || !json_is_string(x))
			break;
		if ((r->chains[r->nchains] = strdup(json_string_value(x))) ==
		    NULL) {
			bad = 1;
			break;
		}
		r->nchains++;
	}
	r->chain = (size_t)json_integer_value(json_object_get(cur, "chain"));
	if (r->chain >= r->nchains)
		r->chain = 0;
	return bad;
}

/* "history": the events, oldest first.  Nonzero for a bad member; *rc
 * set when out of memory. */
static int
history_from_json(json_t *hist, struct cf_renewal *r, cf_rc *rc)
{
	json_t *e;
	size_t i;
	int bad = 0;

	if (!json_is_array(hist) || json_array_size(hist) == 0)
		return 0;
	if ((r->history = calloc(json_array_size(hist),
				 sizeof(*r->history))) == NULL) {
		*rc = CF_ERR_NOMEM;
		return 0;
	}
	json_array_foreach(hist, i, e) {
		struct cf_renewal_event *ev = &r->history[r->nhistory++];
		bad |= get_time(e, "time", &ev->time);
		bad |= get_str(e, "action", &ev->action);
		bad |= get_str(e, "outcome", &ev->outcome);
		bad |= get_str(e, "serial", &ev->serial);
		bad |= get_time(e, "not_after", &ev->not_after);
		bad |= get_str(e, "detail", &ev->detail);
	}
	return bad;
}

cf_rc
cf_renewal_from_json(json_t *j, struct cf_renewal *r, struct cf_err *err)
{
	json_t *ari, *v;
	int bad = 0;
	cf_rc rc = CF_OK;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return cf_err_set(err, CF_ERR_USAGE, "not a JSON object");
	v = json_object_get(j, "version");
	if (!json_is_integer(v) || json_integer_value(v) != CF_RENEWAL_VERSION)
		return cf_err_set(err, CF_ERR_USAGE,
				  "unsupported renewal definition version (this "
				  "certferry reads version %d)", CF_RENEWAL_VERSION);
	if (cf_spec_from_json(json_object_get(j, "spec"), &r->spec, err) !=
	    CF_OK)
		return cf_err_wrap(err, "spec");
	if ((rc = state_from_json(j, r, err)) != CF_OK)
		return rc;
	bad |= get_str(j, "account_url", &r->account_url);
	bad |= current_from_json(json_object_get(j, "current"), r);
	ari = json_object_get(j, "ari");
	bad |= get_time(ari, "window_start", &r->ari_start);
	bad |= get_time(ari, "window_end", &r->ari_end);
	bad |= get_time(ari, "selected", &r->ari_selected);
	bad |= get_time(ari, "next_check", &r->ari_next_check);
	bad |= get_time(j, "next_due", &r->next_due);
	bad |= get_time(j, "retry_not_before", &r->retry_not_before);
	v = json_object_get(j, "failures");
	r->failures = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	if (r->failures < 0 || r->failures > 1000000)
		r->failures = 0;
	bad |= history_from_json(json_object_get(j, "history"), r, &rc);
	if (rc != CF_OK)
		return cf_err_set(err, rc, "out of memory");
	if (bad)
		return cf_err_set(err, CF_ERR_USAGE,
				  "a member has the wrong type or a malformed time");
	return CF_OK;
}

/* ---- files ---- */

static char *
def_path(const struct cf_state *st, const char *name)
{
	return cf_strfmt("%s/renewals/%s.json", st->root, name);
}

cf_rc
cf_renewal_load(const struct cf_state *st, const char *name,
		struct cf_renewal *r, struct cf_err *err)
{
	char *path = NULL, *text = NULL;
	json_t *j = NULL;
	json_error_t je;
	cf_rc rc;

	memset(r, 0, sizeof(*r));
	if ((rc = cf_state_check_name(name, err)) != CF_OK)
		return rc;
	if ((path = def_path(st, name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = cf_file_read(path, RENEWAL_JSON_MAX, &text, NULL, err);
	if (rc == CF_ERR_NOTFOUND) {
		rc = cf_err_set(err, CF_ERR_NOTFOUND,
				"no renewal definition for '%s' (see 'certferry "
				"list')", name);
		goto out;
	}
	if (rc != CF_OK)
		goto out;
	if ((j = json_loads(text, 0, &je)) == NULL) {
		rc = cf_err_set(err, CF_ERR_IO, "%s: not JSON (line %d: %s)", path,
				je.line, je.text);
		goto out;
	}
	if ((rc = cf_renewal_from_json(j, r, err)) != CF_OK) {
		cf_renewal_free(r);
		cf_err_wrap(err, "%s", path);
		if (rc == CF_ERR_USAGE)
			rc = err->rc = CF_ERR_IO;
		goto out;
	}
	if (strcmp(r->spec.name, name) != 0) {
		cf_renewal_free(r);
		rc = cf_err_set(err, CF_ERR_IO, "%s names another certificate",
				path);
	}
out:
	json_decref(j);
	free(text);
	free(path);
	return rc;
}

cf_rc
cf_renewal_save(const struct cf_state *st, const struct cf_renewal *r,
		struct cf_err *err)
{
	char *path = NULL, *dir = NULL;
	json_t *j = NULL;
	cf_rc rc;

	if ((rc = cf_state_check_name(r->spec.name, err)) != CF_OK)
		return rc;
	if ((dir = cf_strfmt("%s/renewals", st->root)) == NULL ||
	    (path = def_path(st, r->spec.name)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_state_mkdir(st, dir, err)) != CF_OK ||
	    (rc = cf_renewal_to_json(r, &j, err)) != CF_OK)
		goto out;
	rc = cf_file_write_json(path, j, 0600, err);
out:
	json_decref(j);
	free(path);
	free(dir);
	return rc;
}

cf_rc
cf_renewal_remove(const struct cf_state *st, const char *name,
		  struct cf_err *err)
{
	char *path;
	cf_rc rc = CF_OK;

	if ((rc = cf_state_check_name(name, err)) != CF_OK)
		return rc;
	if ((path = def_path(st, name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		rc = cf_err_set(err, CF_ERR_IO, "remove %s: %s", path,
				strerror(errno));
	free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cf_rc
cf_renewal_list(const struct cf_state *st, char ***names, size_t *n,
		struct cf_err *err)
{
	size_t len = strlen(st->root) + 16, cap = 0;
	char *dir = malloc(len), **v = NULL, **nv;
	struct dirent *de;
	DIR *d = NULL;
	struct cf_err ignore;
	cf_rc rc = CF_OK;

	*names = NULL;
	*n = 0;
	if (dir == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	snprintf(dir, len, "%s/renewals", st->root);
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			rc = cf_err_set(err, CF_ERR_IO, "open %s: %s", dir,
					strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *name;
		if (l <= 5 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if ((name = strndup(de->d_name, l - 5)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (cf_state_check_name(name, &ignore) != CF_OK) {
			free(name);   /* temporary files of atomic writes, ... */
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(name);
				rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		v[(*n)++] = name;
	}
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_str);
out:
	if (d != NULL)
		closedir(d);
	free(dir);
	if (rc != CF_OK) {
		for (size_t i = 0; i < *n; i++)
			free(v[i]);
		free(v);
		v = NULL;
		*n = 0;
	}
	*names = v;
	return rc;
}

/* ---- history and state changes ---- */

cf_rc
cf_renewal_add_event(struct cf_renewal *r, time_t now, const char *action,
		     const char *outcome, const char *serial, time_t not_after,
		     const char *detail, struct cf_err *err)
{
	struct cf_renewal_event ev, *nh;
	int bad = 0;

	memset(&ev, 0, sizeof(ev));
	ev.time = now;
	ev.not_after = not_after;
	ev.action = cf_strdup_opt(action, &bad);
	ev.outcome = cf_strdup_opt(outcome, &bad);
	ev.serial = cf_strdup_opt(serial, &bad);
	ev.detail = cf_strdup_opt(detail, &bad);
	if (bad) {
		event_free(&ev);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if (r->nhistory >= CF_RENEWAL_HISTORY_MAX) {
		size_t drop = r->nhistory - CF_RENEWAL_HISTORY_MAX + 1;
		for (size_t i = 0; i < drop; i++)
			event_free(&r->history[i]);
		memmove(r->history, r->history + drop,
			(r->nhistory - drop) * sizeof(*r->history));
		r->nhistory -= drop;
	}
	nh = realloc(r->history, (r->nhistory + 1) * sizeof(*nh));
	if (nh == NULL) {
		event_free(&ev);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	r->history = nh;
	r->history[r->nhistory++] = ev;
	return CF_OK;
}

cf_rc
cf_renewal_set_chains(struct cf_renewal *r, char *const *chains, size_t n,
		      size_t selected, struct cf_err *err)
{
	char **nc = calloc(n + 1, sizeof(char *));

	if (nc == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if ((nc[i] = strdup(chains[i])) == NULL) {
			while (i > 0)
				free(nc[--i]);
			free(nc);
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		}
	for (size_t i = 0; i < r->nchains; i++)
		free(r->chains[i]);
	free(r->chains);
	r->chains = nc;
	r->nchains = n;
	r->chain = selected < n ? selected : 0;
	return CF_OK;
}

cf_rc
cf_renewal_set_current(struct cf_renewal *r, const char *serial,
		       time_t not_before, time_t not_after,
		       const char *ari_cert_id, struct cf_err *err)
{
	int bad = 0;
	char *s = cf_strdup_opt(serial, &bad), *id = cf_strdup_opt(ari_cert_id, &bad);

	if (bad) {
		free(s);
		free(id);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	free(r->serial);
	free(r->ari_cert_id);
	r->serial = s;
	r->ari_cert_id = id;
	r->not_before = not_before;
	r->not_after = not_after;
	r->failures = 0;
	r->retry_not_before = 0;
	r->ari_start = r->ari_end = r->ari_selected = r->ari_next_check = 0;
	r->next_due = cf_renewal_lifetime_due(r, 0);
	return CF_OK;
}

long
cf_renewal_backoff_s(int failures)
{
	long s = CF_RENEWAL_BACKOFF_BASE_S;

	for (int i = 1; i < failures && s < CF_RENEWAL_BACKOFF_MAX_S; i++)
		s *= 2;
	return s > CF_RENEWAL_BACKOFF_MAX_S ? CF_RENEWAL_BACKOFF_MAX_S : s;
}

void
cf_renewal_note_failure(struct cf_renewal *r, time_t now, time_t ca_not_before)
{
	time_t t;

	if (r->failures < 1000000)
		r->failures++;
	t = now + cf_renewal_backoff_s(r->failures);
	r->retry_not_before = ca_not_before > t ? ca_not_before : t;
}

void
cf_renewal_apply_ari(struct cf_renewal *r, time_t now, time_t start,
		     time_t end, long retry_after_s, double rnd01)
{
	time_t lifetime;

	if (retry_after_s < 0)
		retry_after_s = CF_RENEWAL_ARI_DEFAULT_RETRY_S;
	if (retry_after_s < CF_RENEWAL_ARI_MIN_RETRY_S)
		retry_after_s = CF_RENEWAL_ARI_MIN_RETRY_S;
	if (retry_after_s > CF_RENEWAL_ARI_MAX_RETRY_S)
		retry_after_s = CF_RENEWAL_ARI_MAX_RETRY_S;
	r->ari_next_check = now + retry_after_s;
	if (end < start) {  /* nonsense from the CA: keep what we had */
		return;
	}
	if (start == r->ari_start && end == r->ari_end && r->ari_selected != 0)
		return;
	r->ari_start = start;
	r->ari_end = end;
	if (rnd01 < 0 || rnd01 >= 1)
		rnd01 = 0;
	if (end <= now)
		r->ari_selected = now;
	else
		r->ari_selected = start + (time_t)((double)(end - start) * rnd01);
	r->next_due = r->ari_selected;
	/* ARI brings renewal forward, never past the lifetime rule: a window
	 * after expiry would otherwise leave the certificate to lapse. */
	lifetime = cf_renewal_lifetime_due(r, 0);
	if (lifetime != 0 && lifetime < r->next_due)
		r->next_due = lifetime;
}

int
cf_renewal_ari_check_due(const struct cf_renewal *r, time_t now)
{
	return r->ari_cert_id != NULL && r->serial != NULL &&
	       now >= r->ari_next_check;
}

time_t
cf_renewal_lifetime_due(const struct cf_renewal *r, long renew_before_days)
{
	long days = renew_before_days > 0 ? renew_before_days :
					    r->spec.renew_before_days;

	if (r->not_after == 0)
		return 0;
	if (days > 0) {
		/* More days than the certificate lives: due from its start,
		 * which is the same and a time the definition can record
		 * (RFC 3339 from 1970 on). */
		time_t t = r->not_after - (time_t)days * 86400;
		return t > r->not_before ? t : r->not_before > 0 ?
		       r->not_before : 1;
	}
	return r->not_after - (r->not_after - r->not_before) / 3;
}

static void
fmt_time(time_t t, char out[32])
{
	cf_rfc3339_format(t, out);
}

/* Due by the CA's renewal information (ARI), when it has chosen a time:
 * at that time when it is before the lifetime rule's t, else at t (ARI
 * can only bring renewal earlier, never past the lifetime rule: a window
 * after expiry would let the certificate lapse). */
static void
due_ari(const struct cf_renewal *r, time_t now, time_t t, struct cf_due *out)
{
	char when[32], ws[32], we[32];

	fmt_time(r->ari_start, ws);
	if (r->ari_selected <= t) {
		fmt_time(r->ari_selected, when);
		fmt_time(r->ari_end, we);
		out->when = r->ari_selected;
		out->due = now >= r->ari_selected;
		snprintf(out->why, sizeof(out->why),
			 "renewal information from the CA: window %s to %s, "
			 "chosen %s", ws, we, when);
		return;
	}
	fmt_time(t, when);
	out->when = t;
	out->due = now >= t;
	snprintf(out->why, sizeof(out->why),
		 "renewal information from the CA suggests %s, later than "
		 "the lifetime rule: due at %s", ws, when);
}

/* Due by the certificate's lifetime: --renew-before (override_days), the
 * definition's days before expiry, or a third of the lifetime left. */
static void
due_lifetime(const struct cf_renewal *r, time_t now, long override_days,
	     struct cf_due *out)
{
	char when[32];
	time_t t = cf_renewal_lifetime_due(r, override_days > 0 ?
					   override_days : 0);

	fmt_time(t, when);
	out->when = t;
	out->due = now >= t;
	if (override_days > 0)
		snprintf(out->why, sizeof(out->why),
			 "--renew-before %ld days: due at %s", override_days, when);
	else if (r->spec.renew_before_days > 0)
		snprintf(out->why, sizeof(out->why),
			 "%ld days before expiry: due at %s",
			 r->spec.renew_before_days, when);
	else
		snprintf(out->why, sizeof(out->why),
			 "a third of the lifetime left: due at %s", when);
}

/* Waiting: a backoff after failures, or the CA's Retry-After. */
static void
due_wait(const struct cf_renewal *r, struct cf_due *out)
{
	char when[32];

	fmt_time(r->retry_not_before, when);
	out->when = r->retry_not_before;
	if (r->failures > 0)
		snprintf(out->why, sizeof(out->why),
			 "backing off after %d failed attempt%s until %s",
			 r->failures, r->failures == 1 ? "" : "s", when);
	else
		snprintf(out->why, sizeof(out->why),
			 "the CA asked to wait until %s", when);
}

void
cf_renewal_due(const struct cf_renewal *r, time_t now, int force,
	       long override_days, struct cf_due *out)
{
	memset(out, 0, sizeof(*out));
	if (r->state != CF_REN_ACTIVE) {
		snprintf(out->why, sizeof(out->why), "%s: not renewed",
			 cf_renewal_state_name(r->state));
	} else if (force) {
		out->due = 1;
		out->when = now;
		snprintf(out->why, sizeof(out->why), "forced (--force)");
	} else if (r->retry_not_before > now) {
		due_wait(r, out);
	} else if (r->serial == NULL || r->not_after == 0) {
		out->due = 1;
		out->when = now;
		snprintf(out->why, sizeof(out->why),
			 r->failures > 0 ? "no certificate yet; retrying" :
					   "no certificate yet (order pending)");
	} else if (override_days <= 0 && r->ari_selected != 0) {
		due_ari(r, now, cf_renewal_lifetime_due(r, 0), out);
	} else {
		due_lifetime(r, now, override_days, out);
	}
}
