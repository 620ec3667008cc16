/*
 * cli.h - the command line: options shared by every subcommand, exit
 * statuses, and the subcommand entry points.
 *
 * Owns: everything certferry prints for people (stdout for results,
 * stderr for "error: ..." and the log).  Subcommands turn options into
 * engine calls and cf_rc into exit statuses.
 */
#ifndef CF_CLI_H
#define CF_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "engine/engine.h"
#include "store/state.h"

/* Exit statuses (documented in certferry(1) and the README). */
enum cf_exit {
	CF_EXIT_OK = 0,        /* success */
	CF_EXIT_FAIL = 1,      /* the operation failed */
	CF_EXIT_USAGE = 2,     /* bad command line or input */
	CF_EXIT_PENDING = 3,   /* the CA is still working: run again later */
	CF_EXIT_LOCKED = 4,    /* another certferry holds the lock */
};

struct cf_settings;

/* Global options (before the subcommand). */
struct cf_cli {
	const char *state_dir;   /* --state-dir, CERTFERRY_STATE_DIR */
	const char *server;      /* --server, CERTFERRY_SERVER */
	const char *ca_bundle;   /* --ca-bundle, CERTFERRY_CA_BUNDLE */
	int verbosity;           /* -v / -q */
	long http_timeout_s;     /* --http-timeout; 0 = default (300) */
	int allow_cross_origin;  /* --allow-cross-origin */
	const char *account;     /* --account NAME, CERTFERRY_ACCOUNT: a
				    named account of the server */
	char *state_default;     /* owned: computed default state dir */
	const struct cf_settings *settings; /* the settings file (cli/settings.h) */
	char *const *global_argv;   /* the global options as given (borrowed), */
	int global_argc;            /* for the menu's printed command lines */
};

/* Print "error: <msg>" (and nothing else) and map rc to an exit status. */
int cf_cli_fail(const struct cf_err *err);
int cf_cli_exit_for(cf_rc rc);

/* The state folder the options name (or the default), not opened. */
cf_rc cf_cli_state_root(struct cf_cli *cli, const char **root,
			struct cf_err *err) CF_MUST_CHECK;

/* Open the state folder the options name (or the default). */
cf_rc cf_cli_state_open(struct cf_cli *cli, struct cf_state *st,
			struct cf_err *err) CF_MUST_CHECK;

/* Open the state folder, check name, take its lock and load its renewal
 * definition into *r: the first steps of a command that changes one
 * definition (cancel, revoke).  *lockfd for cf_state_unlock (-1 when not
 * taken); *r to free with cf_renewal_free (also on failure). */
struct cf_renewal;
cf_rc cf_cli_definition_open(struct cf_cli *cli, struct cf_state *st,
			     const char *name, int *lockfd,
			     struct cf_renewal *r,
			     struct cf_err *err) CF_MUST_CHECK;

/*
 * The next option of a subcommand: getopt_long(argc, argv, "h", lo) from
 * argv[1] on (set optind to 0 before the loop).  --help prints
 * usage(stdout) and an option not in lo usage(stderr): both return
 * CF_CLI_OPT_EXIT with the exit status in *ret.  -1 after the last option.
 */
#define CF_CLI_OPT_EXIT (-2)
int cf_cli_getopt(int argc, char **argv, const struct option *lo,
		  void (*usage)(FILE *), int *ret);

/* After getopt: CF_EXIT_OK when no argument is left (optind == argc),
 * else "error: unexpected argument '...'" on stderr and CF_EXIT_USAGE. */
int cf_cli_no_more_args(int argc, char **argv);

/* Read a secret from a file (trailing white space trimmed).  *out malloc'd;
 * wipe with OPENSSL_clear_free.  The error never shows the content. */
cf_rc cf_cli_read_secret_file(const char *path, char **out,
			      struct cf_err *err) CF_MUST_CHECK;

/* Ask question (one line, on stderr) and read the answer from stdin:
 * 1 for "y" or "yes", 0 for anything else.  Callers check that stdin is a
 * terminal first (scripts pass --yes). */
int cf_cli_confirm(const char *question);

/* Parse a whole decimal number of option opt within [min, max].
 * CF_ERR_USAGE naming the option and the range otherwise. */
cf_rc cf_cli_long_arg(const char *opt, const char *arg, long min, long max,
		      long *out, struct cf_err *err) CF_MUST_CHECK;

/* --renew-before DAYS has one meaning in issue (recorded in the renewal
 * definition), renew (for that run) and the settings file: whole days
 * before the certificate's expiry, within this range. */
#define CF_RENEW_BEFORE_DAYS_MIN 1
#define CF_RENEW_BEFORE_DAYS_MAX 36500

/* Subcommands: argv[0] is the subcommand's name. */
int cf_cmd_account(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_issue(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_renew(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_list(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_show(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_cancel(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_revoke(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_schedule(struct cf_cli *cli, int argc, char **argv);
/* "iis import-winacme DIR": argv[0] "iis", argv[1] "import-winacme". */
int cf_cmd_iis_import_winacme(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_ca(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_verify(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_notify(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_status(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_interactive(struct cf_cli *cli, int argc, char **argv);

/* The message of a run ([notify] of the settings file): sent when the
 * items deserve one (failures, expiring, successes if asked), or always
 * with test.  A failed send is a warning for a run (returns 0), an error
 * for a test.  Returns an exit status. */
struct cf_notify_item;
int cf_cli_notify(struct cf_cli *cli, const struct cf_notify_item *items,
		  size_t n, int test);
/* STATE/last-run: "running TIME" when a renew run starts, "done TIME"
 * when it has reported (a warning when it cannot be written); read by
 * "notify unit-failed". */
void cf_cli_mark_run(const char *state_root, time_t now, int done);

/* The clock of renew/list: time(NULL), or CERTFERRY_NOW (RFC 3339 or
 * @EPOCH) - a testing aid, documented in docs/RENEWAL.md. */
time_t cf_cli_now(void);

/* ---- account options, shared by "account register" and "issue" ---- */

enum {
	OPT_EMAIL = 1000, OPT_AGREE_TOS, OPT_EAB_KID, OPT_EAB_HMAC,
	OPT_EAB_HMAC_FILE, OPT_ACCOUNT_KEY_TYPE,
	OPT_ACCOUNT_LAST
};

#define CF_ACCOUNT_LONGOPTS                                                   \
	{ "email", required_argument, NULL, OPT_EMAIL },                      \
	{ "agree-tos", no_argument, NULL, OPT_AGREE_TOS },                    \
	{ "eab-kid", required_argument, NULL, OPT_EAB_KID },                  \
	{ "eab-hmac-key", required_argument, NULL, OPT_EAB_HMAC },            \
	{ "eab-hmac-key-file", required_argument, NULL, OPT_EAB_HMAC_FILE },  \
	{ "account-key-type", required_argument, NULL, OPT_ACCOUNT_KEY_TYPE }

#define CF_ACCOUNT_HELP                                                        \
	"  --email ADDR             contact address (repeatable)\n"              \
	"  --agree-tos              accept the CA's terms of service\n"          \
	"  --eab-kid KID            External Account Binding key id\n"           \
	"                           (env CERTFERRY_EAB_KID); one account per\n" \
	"                           server per --state-dir\n"                   \
	"  --eab-hmac-key-file FILE file holding the EAB HMAC key (base64url)\n" \
	"  --eab-hmac-key KEY       the HMAC key itself (visible in ps: prefer\n"\
	"                           the file or env CERTFERRY_EAB_HMAC_KEY)\n"   \
	"  --account-key-type T     ec256 (default), ec384, rsa2048, ...\n"

#define CF_MAX_EMAILS 8

struct cf_account_cli {
	const char *emails[CF_MAX_EMAILS];
	size_t nemails;
	int agree_tos;
	const char *eab_kid;
	const char *hmac_arg;
	const char *hmac_file;
	const char *key_type;
	char *hmac;              /* owned secret, once resolved */
};

/* Take one of the account options; 1 when opt was one of them. */
int cf_account_cli_opt(struct cf_account_cli *a, int opt, const char *arg,
		       struct cf_err *err);

/* Resolve options and environment into engine options and check them; the
 * EAB HMAC key is not read here (o->eab_hmac_b64 stays NULL). */
cf_rc cf_account_cli_resolve(struct cf_account_cli *a,
			     struct cf_account_opts *o,
			     struct cf_err *err) CF_MUST_CHECK;
/* For a server with no account yet (one is to be registered): an EAB
 * key file that cannot be read fails now, with the other input checks,
 * before the state folder is touched (read and wiped; read again when
 * the account is registered).  With an account, the file is never read:
 * an EAB key is used once, and may be gone. */
cf_rc cf_account_cli_check_eab(struct cf_account_cli *a,
			       struct cf_err *err) CF_MUST_CHECK;
/* cf_engine_account_register with the EAB HMAC key read (file, option or
 * CERTFERRY_EAB_HMAC_KEY) right before and wiped right after: the key is
 * in memory only while the account is registered. */
cf_rc cf_account_cli_register(struct cf_account_cli *a,
			      struct cf_account_opts *o, struct cf_engine *e,
			      int *existed, struct cf_err *err) CF_MUST_CHECK;
/* Wipe the HMAC key if still held (safe to call twice). */
void cf_account_cli_free(struct cf_account_cli *a);

/* One line per store (and IIS) of a verify report: "ok", "repaired",
 * "drifted" (dry run) or "FAILED", with what was wrong. */
void cf_cli_print_verify(const struct cf_verify_report *r, const char *indent);
/* What --install nginx|apache and the deploy hooks did (stdout; a failed
 * hook also as a warning on stderr). */
void cf_cli_print_server(const struct cf_delivery *d);

/* One certificate as "list --json" shows it (names, sites, not_after,
 * next_renewal, last_result, failures); NULL when out of memory. */
typedef struct json_t json_t;
json_t *cf_cli_list_entry(const struct cf_state *st, const struct cf_renewal *r,
			  time_t now);

/* Open state + engine from the global options and load any account. */
cf_rc cf_cli_engine_open(struct cf_cli *cli, struct cf_state *st,
			 struct cf_engine *e, long wait_s, int *have_account,
			 struct cf_err *err) CF_MUST_CHECK;

#endif
