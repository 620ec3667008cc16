/*
 * deliver.h - from a certificate spec to the names to order, and from an
 * issued certificate to the stores and IIS bindings the spec names.
 *
 * Owns: reading applicationHost.config for the order's host names (every
 * run, so a host added to the site later is picked up by the next renewal)
 * from the spec's sites, found by their recorded ids (renames followed);
 * writing to the spec's stores, then adding IIS bindings (and, with
 * --iis-migrate, converting HTTP.sys bindings and writing the netsh script
 * that finishes it in the state folder), then (through engine/install.h)
 * making nginx or Apache serve it and running the deploy hooks; CCS files
 * two specs claim; checking
 * that every store still holds the current certificate and repairing the
 * ones that drifted (with a stat-only fast path, STATE/verified/<name>);
 * and saying where a certificate of the spec is served
 * from (revoke).  Store passwords are read from their files at the moment
 * of use and wiped.
 *
 * Files: sites.c (the spec's IIS sites and names, where a certificate is
 * served from, CCS clashes), deliver.c (writing the stores, IIS, servers,
 * hooks; verify and repair), verified.c (the stat-only fast path,
 * engine/verified.h).
 */
#ifndef CF_DELIVER_H
#define CF_DELIVER_H

#include <stddef.h>

#include "engine/install.h"
#include "engine/spec.h"
#include "iis/appconfig.h"
#include "iis/check.h"
#include "iis/edit.h"
#include "install/store.h"
#include "store/state.h"

/* The names of the order: the spec's -d names, then the hosts of its IIS
 * sites not already among them.  *out: malloc'd array of malloc'd strings. */
cf_rc cf_spec_resolve_names(const struct cf_cert_spec *s, char ***out,
			    size_t *n, struct cf_err *err) CF_MUST_CHECK;

/*
 * The sites of a spec are found by the ids recorded in it (site_ids),
 * else by the names or ids given ("*": every site with a web binding).
 * A renamed site is followed by its id; a recorded id that is gone is
 * CF_ERR_USAGE naming the sites with its name or hosts and how to repair
 * the definition.
 */

/* The sites of s in cfg (see above): by recorded id first, else by the
 * key given; a recorded id that is gone is an error naming candidates.
 * *out: malloc'd array of borrowed sites. */
cf_rc cf_spec_iis_sites(const struct cf_cert_spec *s,
			const struct cf_iis_config *cfg,
			const struct cf_iis_site ***out, size_t *n,
			struct cf_err *err) CF_MUST_CHECK;

/* Record in s->iis the id, name and hosts of each of its sites as they
 * are in its applicationHost.config now (issue does, before saving). */
cf_rc cf_spec_iis_record(struct cf_cert_spec *s, struct cf_err *err)
	CF_MUST_CHECK;

/* Follow renamed sites: update s->iis.site_names (and a key that was the
 * old name) to the names of the recorded ids, and the recorded hosts to
 * today's; *note (malloc'd) says what was renamed, NULL when nothing was.
 * An unreadable configuration is not an error here (nothing changes). */
cf_rc cf_spec_iis_follow(struct cf_cert_spec *s, char **note,
			 struct cf_err *err) CF_MUST_CHECK;

/* The plan --install iis would carry out for names (nothing written). */
cf_rc cf_spec_iis_plan(const struct cf_cert_spec *s, const char *const *names,
		       size_t n, struct cf_iis_plan **plan,
		       struct cf_err *err) CF_MUST_CHECK;

/* The folder of the state root holding the netsh scripts of --iis-migrate,
 * and the script of certificate name: STATE/iis-netsh/NAME.cmd. */
#define CF_IIS_NETSH_DIR "iis-netsh"
cf_rc cf_spec_iis_netsh_path(const struct cf_state *state, const char *name,
			     char **out, struct cf_err *err) CF_MUST_CHECK;

/*
 * A CCS file written by both a (ordering an[0..n)) and b: the same CCS
 * folder and a host b claims too (its -d names or the hosts its IIS sites
 * had when last recorded).  *file: malloc'd path of the first such file,
 * NULL when none.
 */
cf_rc cf_spec_ccs_clash(const struct cf_cert_spec *a, const char *const *an,
			size_t n, const struct cf_cert_spec *b, char **file,
			struct cf_err *err) CF_MUST_CHECK;

struct cf_delivery {
	size_t stores_written;
	struct cf_iis_plan *iis_plan;   /* when --install iis */
	char *iis_backup;               /* backup written, or NULL */
	char *iis_netsh_script;         /* --iis-migrate moved bindings: the
					   script that finishes it, or NULL */
	struct cf_iis_check_report *iis_report; /* after --install iis: which
					   PFX serves each CCS host, expiry */
	struct cf_server_result server; /* --install nginx|apache */
	size_t hooks_ran, hooks_failed; /* --deploy-hook */
	char hook_error[320];           /* the first failure, or "" */
};

/* Write b to every store of s, then install on IIS when asked and check
 * what IIS will serve (d->iis_report); with --install nginx|apache, make
 * the server serve it and prove it by handshake, rolling back the PEM
 * folder and the configuration when that fails (engine/install.h); then
 * run the deploy hooks (their failure is in d->hooks_failed and
 * d->hook_error, not in the return: the delivery stands).  The edit of applicationHost.config
 * holds the state folder's lock of that file (cf_state_iis_lock_path);
 * state NULL: no lock (tests only). */
cf_rc cf_deliver(const struct cf_state *state, const struct cf_cert_spec *s,
		 const struct cf_cert_bundle *b, struct cf_delivery *d,
		 struct cf_err *err) CF_MUST_CHECK;
void cf_delivery_free(struct cf_delivery *d);

/* What one store (or the IIS bindings) holds, against the current
 * certificate; and what was done about it. */
struct cf_store_verdict {
	const char *kind;            /* "pem", "pfx", "ccs", "iis", "nginx"
					or "apache" */
	char *path;                  /* the store's path (owned) */
	int health;                  /* enum cf_store_health (iis: HEALTHY or
					MISSING bindings) */
	char detail[256];            /* what is wrong; no secrets */
	int repaired;                /* rewritten from the state folder */
	int failed;                  /* the repair failed: detail says why */
};

struct cf_verify_report {
	struct cf_store_verdict *v;  /* one per store, then one for IIS */
	size_t n;
	size_t drifted, repaired, failed;
};
void cf_verify_report_free(struct cf_verify_report *r);

/*
 * Check every store of s, and the IIS bindings of --install iis, against
 * the current certificate of s->name in the state folder st (key matches
 * certificate, it is the current certificate, the PFX opens with its
 * password, every planned binding is in applicationHost.config, nginx or
 * Apache serves it: a TLS handshake to every name).  With
 * repair, each store that drifted is written again from the state folder,
 * missing bindings are added, and a server that serves another
 * certificate goes through cf_install_server again (edit when
 * --configure, test, reload, handshake; configuration rolled back when
 * that fails): no order.  One store that cannot be
 * repaired does not stop the others (rep->failed counts them).  An error
 * rc only when the state folder has no usable current certificate.
 */
cf_rc cf_deliver_verify(const struct cf_state *st, const struct cf_cert_spec *s,
			const char *const *names, size_t n, int repair,
			struct cf_verify_report *rep,
			struct cf_err *err) CF_MUST_CHECK;

/*
 * cf_deliver_verify for the certificate whose serial the caller knows
 * (renew: the definition's current serial).  With serial, a check is
 * first made with stat(2) alone against STATE/verified/<name>, the
 * identities (device, inode, size, mtime, ctime) of every file the last
 * full check found healthy: when nothing changed, no file is read and
 * every store is reported healthy ("unchanged since it was last
 * verified").  Otherwise the full check runs and, when every store ends
 * healthy, the record is written again.  IIS bindings always get the
 * full check.  serial NULL: exactly cf_deliver_verify.
 */
/* The stat-only check alone: 1 when STATE/verified/<name> matches
 * (rep filled with healthy verdicts; free it), else 0 (rep empty).  No
 * file is written. */
int cf_deliver_unchanged(const struct cf_state *st,
			 const struct cf_cert_spec *s, const char *const *names,
			 size_t n, const char *serial,
			 struct cf_verify_report *rep);

cf_rc cf_deliver_verify_known(const struct cf_state *st,
			      const struct cf_cert_spec *s,
			      const char *const *names, size_t n, int repair,
			      const char *serial, struct cf_verify_report *rep,
			      struct cf_err *err) CF_MUST_CHECK;

/*
 * Where a certificate of s is served from, for people (revoke lists what
 * still serves a revoked certificate): one line ending in "\n" for
 * certs_dir (the state folder's STATE/certs/NAME; NULL: none), each store
 * of the spec, nginx/Apache and each deploy hook when the spec has them,
 * and each https binding of the spec's IIS sites in cfg whose
 * host the certificate carries (its -d names and the sites' hosts).  With
 * an IIS configuration in the spec but cfg NULL (it could not be read),
 * one line per site instead.  *text: malloc'd.
 */
cf_rc cf_spec_served_by(const struct cf_cert_spec *s, const char *certs_dir,
			const struct cf_iis_config *cfg, char **text,
			struct cf_err *err) CF_MUST_CHECK;

#endif
