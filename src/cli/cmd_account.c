/* cmd_account.c - "certferry account register|show" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/log.h"
#include "store/atomic.h"

int
cf_account_cli_opt(struct cf_account_cli *a, int opt, const char *arg,
		   struct cf_err *err)
{
	switch (opt) {
	case OPT_EMAIL:
		if (a->nemails == CF_MAX_EMAILS) {
			cf_err_set(err, CF_ERR_USAGE, "at most %d --email",
				   CF_MAX_EMAILS);
			return -1;
		}
		if (strchr(arg, '@') == NULL || strpbrk(arg, " \t\r\n,:") != NULL) {
			cf_err_set(err, CF_ERR_USAGE,
				   "bad --email '%s': give one address like "
				   "admin@example.com", arg);
			return -1;
		}
		a->emails[a->nemails++] = arg;
		return 1;
	case OPT_AGREE_TOS:
		a->agree_tos = 1;
		return 1;
	case OPT_EAB_KID:
		a->eab_kid = arg;
		return 1;
	case OPT_EAB_HMAC:
		a->hmac_arg = arg;
		return 1;
	case OPT_EAB_HMAC_FILE:
		a->hmac_file = arg;
		return 1;
	case OPT_ACCOUNT_KEY_TYPE:
		a->key_type = arg;
		return 1;
	default:
		return 0;
	}
}

/* The EAB HMAC key from its one source into a->hmac (owned, a secret). */
static cf_rc
hmac_read(struct cf_account_cli *a, struct cf_err *err)
{
	const char *src = a->hmac_arg, *env;

	if (a->hmac_file != NULL) {
		if (cf_cli_read_secret_file(a->hmac_file, &a->hmac, err) != CF_OK)
			return cf_err_wrap(err, "--eab-hmac-key-file");
		return CF_OK;
	}
	if (src == NULL && (env = getenv("CERTFERRY_EAB_HMAC_KEY")) && *env)
		src = env;
	if (src != NULL && (a->hmac = strdup(src)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

cf_rc
cf_account_cli_resolve(struct cf_account_cli *a, struct cf_account_opts *o,
		       struct cf_err *err)
{
	const char *env;
	cf_rc rc;

	memset(o, 0, sizeof(*o));
	o->emails = a->emails;
	o->nemails = a->nemails;
	o->agree_tos = a->agree_tos;
	o->key_type = CF_KEY_EC256;
	if (a->key_type != NULL &&
	    (rc = cf_key_type_parse(a->key_type, &o->key_type, err)) != CF_OK)
		return cf_err_wrap(err, "--account-key-type");
	if (a->eab_kid == NULL && (env = getenv("CERTFERRY_EAB_KID")) && *env)
		a->eab_kid = env;
	if (a->hmac_arg != NULL && a->hmac_file != NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "give --eab-hmac-key or --eab-hmac-key-file, "
				  "not both");
	if (a->eab_kid == NULL &&
	    (a->hmac_arg != NULL || a->hmac_file != NULL ||
	     ((env = getenv("CERTFERRY_EAB_HMAC_KEY")) && *env)))
		return cf_err_set(err, CF_ERR_USAGE,
				  "an EAB HMAC key was given without its key id: "
				  "add --eab-kid KID (or CERTFERRY_EAB_KID)");
	o->eab_kid = a->eab_kid;
	o->eab_hmac_b64 = NULL; /* read by cf_account_cli_register only */
	return CF_OK;
}

cf_rc
cf_account_cli_check_eab(struct cf_account_cli *a, struct cf_err *err)
{
	cf_rc rc;

	if (a->eab_kid == NULL || a->hmac_file == NULL)
		return CF_OK;
	if ((rc = hmac_read(a, err)) == CF_OK)
		cf_account_cli_free(a);
	return rc;
}

cf_rc
cf_account_cli_register(struct cf_account_cli *a, struct cf_account_opts *o,
			struct cf_engine *e, int *existed, struct cf_err *err)
{
	cf_rc rc;

	*existed = 0;
	if (o->eab_kid != NULL && (rc = hmac_read(a, err)) != CF_OK)
		return rc;
	o->eab_hmac_b64 = a->hmac;
	rc = cf_engine_account_register(e, o, existed, err);
	o->eab_hmac_b64 = NULL;
	cf_account_cli_free(a);
	return rc;
}

void
cf_account_cli_free(struct cf_account_cli *a)
{
	if (a->hmac != NULL)
		OPENSSL_clear_free(a->hmac, strlen(a->hmac));
	a->hmac = NULL;
}

cf_rc
cf_cli_engine_open(struct cf_cli *cli, struct cf_state *st, struct cf_engine *e,
		   long wait_s, int *have_account, struct cf_err *err)
{
	struct cf_acme_opts ao;
	cf_rc rc;

	memset(&ao, 0, sizeof(ao));
	ao.directory_url = cli->server;
	ao.http.ca_bundle = cli->ca_bundle;
	ao.http.timeout_s = cli->http_timeout_s;
	ao.wait_budget_s = wait_s;
	ao.allow_cross_origin = cli->allow_cross_origin;
	if ((rc = cf_cli_state_open(cli, st, err)) != CF_OK)
		return rc;
	if ((rc = cf_engine_open(e, st, &ao, err)) != CF_OK ||
	    (rc = cf_engine_use_account(e, cli->account, err)) != CF_OK)
		return rc;
	return cf_engine_account_load(e, have_account, err);
}

static void
account_usage(FILE *f)
{
	fprintf(f,
		"usage: certferry [global options] account register [options]\n"
		"       certferry [global options] account show\n"
		"       certferry [global options] account update --email ADDR...\n"
		"       certferry [global options] account rollover [--key-type T]\n"
		"       certferry [global options] account deactivate --yes\n"
		"       certferry [global options] account export FILE "
		"--passphrase-file F | --plain\n"
		"       certferry [global options] account import FILE "
		"[--passphrase-file F]\n"
		"       certferry [global options] account list [--json]\n"
		"\n"
		"register creates the ACME account at the CA (--server), once;\n"
		"External Account Binding is used only then.  show prints the\n"
		"stored account and its status at the CA.  update replaces the\n"
		"contact addresses.  rollover changes the account key (RFC 8555\n"
		"key change; the new key replaces account.key only once the CA\n"
		"accepted it; default: the same type).  deactivate ends the account\n"
		"at the CA for good: certificates cannot be ordered or renewed\n"
		"with it any more.\n"
		"export writes the account (server, URL, EAB key id, key) to FILE\n"
		"(0600), the key encrypted with the passphrase in F (PKCS#8,\n"
		"AES-256) or, with --plain, in clear.  import stores it in this\n"
		"state folder (--account NAME: as a named account) once the CA\n"
		"confirmed it (onlyReturnExisting): no EAB is needed again.  list\n"
		"shows every account of every server in the state folder.\n"
		"The global --account NAME picks one of several accounts of a server.\n"
		"\n"
		"register options:\n" CF_ACCOUNT_HELP);
}

static int
account_register(struct cf_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CF_ACCOUNT_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cf_account_cli ac;
	struct cf_account_opts ao;
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	char safe[1024];
	int ch, have = 0, existed = 0, ret;
	cf_rc rc;

	memset(&ac, 0, sizeof(ac));
	memset(&e, 0, sizeof(e));
	optind = 0;
	while ((ch = cf_cli_getopt(argc, argv, longopts, account_usage,
				   &ret)) >= 0) {
		int r = cf_account_cli_opt(&ac, ch, optarg, &err);
		if (r < 0)
			return cf_cli_fail(&err);
		if (r == 0) {
			account_usage(stderr);
			return CF_EXIT_USAGE;
		}
	}
	if (ch == CF_CLI_OPT_EXIT)
		return ret;
	if ((ret = cf_cli_no_more_args(argc, argv)) != CF_EXIT_OK)
		return ret;
	if ((rc = cf_account_cli_resolve(&ac, &ao, &err)) != CF_OK ||
	    (rc = cf_cli_engine_open(cli, &st, &e, 0, &have, &err)) != CF_OK ||
	    (rc = cf_account_cli_register(&ac, &ao, &e, &existed, &err)) !=
		    CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	cf_escape_ctl(safe, sizeof(safe), e.account_url, NULL); /* from the CA */
	if (cf_engine_account_ready(&e, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (existed)
		printf("account already registered at %s\n  url: %s\n", e.dir_url,
		       safe);
	else
		printf("account registered at %s\n  url: %s\n  key: %s (%s)\n",
		       e.dir_url, safe,
		       cf_key_type_name(e.account_key_type), e.account_dir);
	ret = CF_EXIT_OK;
out:
	cf_account_cli_free(&ac);
	cf_engine_close(&e);
	cf_state_close(&st);
	return ret;
}

/* Open the state folder and the engine with the stored account of the
 * server; CF_ERR_NOTFOUND when there is none. */
static cf_rc
account_open(struct cf_cli *cli, struct cf_state *st, struct cf_engine *e,
	     struct cf_err *err)
{
	int have = 0;
	cf_rc rc;

	if ((rc = cf_cli_engine_open(cli, st, e, 0, &have, err)) != CF_OK)
		return rc;
	if (!have)
		return cf_err_set(err, CF_ERR_NOTFOUND, "no account for %s in %s: "
				  "run 'certferry account register' first",
				  e->dir_url, st->root);
	/* The key's type is shown and kept by a rollover. */
	return cf_engine_account_ready(e, err);
}

static int
account_show(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	json_t *acct = NULL, *c;
	char safe[1024];
	int ret;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0)) {
		account_usage(stdout);
		return CF_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		return CF_EXIT_USAGE;
	}
	if (account_open(cli, &st, &e, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	/* The account URL, status and contacts come from the CA. */
	cf_escape_ctl(safe, sizeof(safe), e.account_url, NULL);
	printf("server:   %s\nurl:      %s\nkey type: %s\nfolder:   %s\n",
	       e.dir_url, safe, cf_key_type_name(e.account_key_type),
	       e.account_dir);
	if (cf_engine_account_fetch(&e, &acct, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	cf_escape_ctl(safe, sizeof(safe),
		      json_string_value(json_object_get(acct, "status")), NULL);
	printf("status:   %s\n", safe[0] ? safe : "?");
	json_array_foreach(json_object_get(acct, "contact"), i, c) {
		cf_escape_ctl(safe, sizeof(safe), json_string_value(c), NULL);
		printf("contact:  %s\n", safe);
	}
	ret = CF_EXIT_OK;
out:
	json_decref(acct);
	cf_engine_close(&e);
	cf_state_close(&st);
	return ret;
}

/* The options of update (--email), rollover (--key-type) and deactivate
 * (--yes), each only for its command.  -1 to go on, else the exit
 * status. */
static int
manage_parse(int argc, char **argv, struct cf_account_cli *ac,
	     const char **key_type)
{
	static const struct option longopts[] = {
		{ "email", required_argument, NULL, OPT_EMAIL },
		{ "key-type", required_argument, NULL, 'k' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cf_err err = { 0 };
	const char *cmd = argv[0];
	int ch, yes = 0, ret;

	optind = 0;
	while ((ch = cf_cli_getopt(argc, argv, longopts, account_usage,
				   &ret)) >= 0) {
		if (ch == OPT_EMAIL && strcmp(cmd, "update") == 0) {
			if (cf_account_cli_opt(ac, ch, optarg, &err) < 0)
				return cf_cli_fail(&err);
		} else if (ch == 'k' && strcmp(cmd, "rollover") == 0) {
			*key_type = optarg;
		} else if (ch == 'y' && strcmp(cmd, "deactivate") == 0) {
			yes = 1;
		} else {
			account_usage(stderr);
			return CF_EXIT_USAGE;
		}
	}
	if (ch == CF_CLI_OPT_EXIT)
		return ret;
	if (cf_cli_no_more_args(argc, argv) != CF_EXIT_OK)
		return CF_EXIT_USAGE;
	if (strcmp(cmd, "update") == 0 && ac->nemails == 0) {
		fprintf(stderr, "error: account update needs --email ADDR\n");
		return CF_EXIT_USAGE;
	}
	if (strcmp(cmd, "deactivate") == 0 && !yes) {
		fprintf(stderr, "error: deactivation cannot be undone: add --yes\n");
		return CF_EXIT_USAGE;
	}
	return -1;
}

/* update, rollover (to key_type, default the same type) or deactivate
 * the open account e; says what was done. */
static cf_rc
manage_act(struct cf_engine *e, const char *cmd,
	   const struct cf_account_cli *ac, const char *key_type,
	   struct cf_err *err)
{
	enum cf_key_type kt = e->account_key_type;
	cf_rc rc;

	if (strcmp(cmd, "update") == 0) {
		if ((rc = cf_engine_account_update(e, ac->emails, ac->nemails,
						   err)) == CF_OK)
			printf("account %s: contacts updated\n", e->account_url);
	} else if (strcmp(cmd, "rollover") == 0) {
		if ((key_type != NULL &&
		     (rc = cf_key_type_parse(key_type, &kt, err)) != CF_OK) ||
		    (rc = cf_engine_account_rollover(e, kt, err)) != CF_OK)
			return rc;
		printf("account %s: key rolled over to a new %s key (%s)\n",
		       e->account_url, cf_key_type_name(kt), e->account_dir);
	} else {
		if ((rc = cf_engine_account_deactivate(e, err)) == CF_OK)
			printf("account %s: deactivated\n", e->account_url);
	}
	return rc;
}

/* update / rollover / deactivate: open the stored account, then act. */
static int
account_manage(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_account_cli ac;
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	const char *key_type = NULL;
	int ret;

	memset(&ac, 0, sizeof(ac));
	memset(&e, 0, sizeof(e));
	if ((ret = manage_parse(argc, argv, &ac, &key_type)) >= 0)
		goto out;
	if (account_open(cli, &st, &e, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	ret = manage_act(&e, argv[0], &ac, key_type, &err) == CF_OK ?
	      CF_EXIT_OK : cf_cli_fail(&err);
out:
	cf_account_cli_free(&ac);
	cf_engine_close(&e);
	cf_state_close(&st);
	return ret;
}

/* ---- moving an account: export, import, list ---- */

/* The passphrase of --passphrase-file (a secret; OPENSSL_clear_free). */
static cf_rc
passphrase_read(const char *file, char **pass, struct cf_err *err)
{
	*pass = NULL;
	if (file == NULL)
		return CF_OK;
	if (cf_cli_read_secret_file(file, pass, err) != CF_OK)
		return cf_err_wrap(err, "--passphrase-file");
	if (**pass == '\0') {
		OPENSSL_clear_free(*pass, 1);
		*pass = NULL;
		return cf_err_set(err, CF_ERR_USAGE,
				  "--passphrase-file %s is empty", file);
	}
	return CF_OK;
}

/* Wipe the key PEM inside an export object before it is freed (jansson
 * does not). */
static void
wipe_export(json_t *j)
{
	json_t *k = json_object_get(j, "key");

	if (json_is_string(k))
		OPENSSL_cleanse((void *)json_string_value(k),
				json_string_length(k));
}

/* export|import FILE [--passphrase-file F] [--plain]: parse; 0 to go on. */
static int
move_args(int argc, char **argv, const char **file, const char **passfile,
	  int *plain)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "plain", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			account_usage(stdout);
			return CF_EXIT_OK + 100;
		}
		if (ch == 'p')
			*passfile = optarg;
		else if (ch == 'P' && strcmp(argv[0], "export") == 0)
			*plain = 1;
		else {
			account_usage(stderr);
			return CF_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "error: usage: certferry account %s FILE "
			"[--passphrase-file F]%s\n", argv[0],
			strcmp(argv[0], "export") == 0 ? " | --plain" : "");
		return CF_EXIT_USAGE;
	}
	*file = argv[optind];
	return 0;
}

static int
account_export(struct cf_cli *cli, int argc, char **argv)
{
	const char *file = NULL, *passfile = NULL;
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	char *pass = NULL;
	json_t *j = NULL;
	int have = 0, plain = 0, ret;

	memset(&e, 0, sizeof(e));
	if ((ret = move_args(argc, argv, &file, &passfile, &plain)) != 0)
		return ret == CF_EXIT_OK + 100 ? CF_EXIT_OK : ret;
	if ((passfile == NULL) == (plain == 0)) {
		fprintf(stderr, "error: account export needs --passphrase-file "
			"FILE (the key is encrypted with it) or --plain (the key "
			"in clear), not both\n");
		return CF_EXIT_USAGE;
	}
	if (passphrase_read(passfile, &pass, &err) != CF_OK ||
	    cf_cli_engine_open(cli, &st, &e, 0, &have, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (!have) {
		cf_err_set(&err, CF_ERR_NOTFOUND,
			   "no account for %s in %s: nothing to export", e.dir_url,
			   st.root);
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (cf_engine_account_export(&e, pass, &j, &err) != CF_OK ||
	    cf_file_write_json(file, j, 0600, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (plain)
		fprintf(stderr, "warning: %s holds the account key IN CLEAR: "
			"whoever reads it controls the account %s; move it "
			"privately, import it, then delete it\n", file,
			e.account_url);
	printf("account %s of %s exported to %s (%s)\n", e.account_url,
	       e.dir_url, file, plain ? "key in clear" :
					 "key encrypted with the passphrase");
	ret = CF_EXIT_OK;
out:
	wipe_export(j);
	json_decref(j);
	if (pass != NULL)
		OPENSSL_clear_free(pass, strlen(pass));
	cf_engine_close(&e);
	cf_state_close(&st);
	return ret;
}

static int
account_import(struct cf_cli *cli, int argc, char **argv)
{
	const char *file = NULL, *passfile = NULL, *dir = NULL;
	struct cf_state st = { 0 };
	struct cf_engine e;
	struct cf_err err = { 0 };
	char *pass = NULL, *text = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int have = 0, plain = 0, ret;

	memset(&e, 0, sizeof(e));
	if ((ret = move_args(argc, argv, &file, &passfile, &plain)) != 0)
		return ret == CF_EXIT_OK + 100 ? CF_EXIT_OK : ret;
	if (passphrase_read(passfile, &pass, &err) != CF_OK ||
	    cf_file_read_input(file, 256 * 1024, &text, &len, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if ((j = json_loadb(text, len, 0, NULL)) == NULL ||
	    (dir = json_string_value(json_object_get(j, "directory"))) == NULL) {
		fprintf(stderr, "error: %s is not an account export of certferry "
			"(made by 'certferry account export FILE')\n", file);
		ret = CF_EXIT_USAGE;
		goto out;
	}
	/* The export names its server: --server is needed only to check. */
	if (cli->server == NULL)
		cli->server = dir;
	if (cf_cli_engine_open(cli, &st, &e, 0, &have, &err) != CF_OK ||
	    cf_engine_account_import(&e, j, pass, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	printf("account %s of %s imported into %s; the CA confirmed it\n",
	       e.account_url, e.dir_url, e.account_dir);
	ret = CF_EXIT_OK;
out:
	if (dir != NULL && cli->server == dir)
		cli->server = NULL;
	wipe_export(j);
	json_decref(j);
	if (text != NULL)
		OPENSSL_clear_free(text, len);
	if (pass != NULL)
		OPENSSL_clear_free(pass, strlen(pass));
	cf_engine_close(&e);
	cf_state_close(&st);
	return ret;
}

static int
account_list(struct cf_cli *cli, int argc, char **argv)
{
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	json_t *list = NULL, *a;
	char *text;
	int as_json = argc == 2 && strcmp(argv[1], "--json") == 0, ret;
	size_t i;

	if (argc > 2 || (argc == 2 && !as_json)) {
		fprintf(stderr, "error: usage: certferry account list [--json]\n");
		return CF_EXIT_USAGE;
	}
	if (cf_cli_state_open(cli, &st, &err) != CF_OK ||
	    cf_engine_account_list(&st, &list, &err) != CF_OK) {
		ret = cf_cli_fail(&err);
		goto out;
	}
	if (as_json) {
		if ((text = json_dumps(list, JSON_INDENT(2))) != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		printf("%-14s %-8s %-8s %-48s %s\n", "ACCOUNT", "KEY", "EAB KID",
		       "SERVER", "URL");
		json_array_foreach(list, i, a) {
			const char *nm = json_string_value(json_object_get(a,
									   "account"));
			const char *kt = json_string_value(json_object_get(a,
									   "key_type"));
			const char *kid = json_string_value(json_object_get(a,
									    "eab_kid"));
			const char *d = json_string_value(json_object_get(a,
									  "directory"));
			const char *u = json_string_value(json_object_get(a, "url"));
			printf("%-14s %-8s %-8s %-48s %s\n", nm ? nm : "(default)",
			       kt ? kt : "?", kid ? kid : "-", d ? d : "?",
			       u ? u : "?");
		}
	}
	ret = CF_EXIT_OK;
out:
	json_decref(list);
	cf_state_close(&st);
	return ret;
}

int
cf_cmd_account(struct cf_cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		account_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CF_EXIT_USAGE : CF_EXIT_OK;
	}
	if (strcmp(argv[1], "register") == 0)
		return account_register(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return account_show(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "update") == 0 || strcmp(argv[1], "rollover") == 0 ||
	    strcmp(argv[1], "deactivate") == 0)
		return account_manage(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return account_export(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "import") == 0)
		return account_import(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return account_list(cli, argc - 1, argv + 1);
	fprintf(stderr, "error: unknown 'account' command '%s': use register, "
		"show, update, rollover, deactivate, export, import or list\n",
		argv[1]);
	return CF_EXIT_USAGE;
}
