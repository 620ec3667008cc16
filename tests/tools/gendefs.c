/*
 * gendefs - write N synthetic renewal definitions into a state folder, for
 * the scale tests and `make bench` (no CA involved).
 *
 *   gendefs --state DIR --server URL --from PEMDIR --count N
 *           [--prefix P] [--due K] [--ari] [--pem-stores DIR]
 *
 * PEMDIR holds privkey.pem, cert.pem, chain.pem and fullchain.pem (any
 * certificate: the tests make a self-signed one with openssl).  Each
 * definition P<i> (i = 1..N) gets that certificate as its current one in
 * the state folder (certs/P<i> -> archive/P<i>/1, as an issuance leaves
 * it), a spec for the name P<i>.scale.test at URL (standalone http-01),
 * and with --pem-stores a PEM store DIR/P<i> holding it.  Not due: its
 * not_after is taken as now + 60 days, not_before now - 30 days; the
 * first K definitions are due (not_after in 10 days, 80 days old).
 * --ari: each has an ARI CertID (renewal information is asked on the next
 * renew).  Folders are made with cf_state_mkdir (the state folder's
 * rules); files are written plainly, without fsync, so that 10,000
 * definitions take seconds (the stores are plain files, not the links
 * cf_store_pem_write makes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "crypto/x509.h"
#include "engine/renewal.h"
#include "install/store.h"
#include "store/atomic.h"
#include "store/state.h"

#define DAY 86400L

static char *
read_pem(const char *dir, const char *file, size_t *len)
{
	struct cf_err err = { 0 };
	char *path = cf_strfmt("%s/%s", dir, file), *data = NULL;

	if (path == NULL || cf_file_read(path, 1u << 20, &data, len, &err) !=
				    CF_OK) {
		fprintf(stderr, "gendefs: %s/%s: %s\n", dir, file, err.msg);
		exit(1);
	}
	free(path);
	return data;
}

static void
die(const char *what, const struct cf_err *err)
{
	fprintf(stderr, "gendefs: %s: %s\n", what, err->msg);
	exit(1);
}

/* Plain writes (no fsync): thousands of definitions in seconds. */
static void
put(const char *dir, const char *file, const char *data, mode_t mode)
{
	char *path = cf_strfmt("%s/%s", dir, file);
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL ||
	    fputs(data, f) == EOF || fclose(f) != 0 || chmod(path, mode) != 0) {
		fprintf(stderr, "gendefs: cannot write %s/%s\n", dir, file);
		exit(1);
	}
	free(path);
}

static void
put_four(const char *dir, const char *key, const char *cert,
	 const char *chain, const char *full)
{
	put(dir, "privkey.pem", key, 0600);
	put(dir, "cert.pem", cert, 0644);
	put(dir, "chain.pem", chain, 0644);
	put(dir, "fullchain.pem", full, 0644);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "server", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "due", required_argument, NULL, 'd' },
		{ "ari", no_argument, NULL, 'a' },
		{ "pem-stores", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	const char *state = NULL, *server = NULL, *from = NULL,
		   *prefix = "c", *stores = NULL;
	long count = 0, due = 0;
	int ari = 0, ch;
	struct cf_state st = { 0 };
	struct cf_err err = { 0 };
	struct cf_cert_info ci;
	size_t klen = 0, len = 0;
	char *key, *cert, *chain, *full, *rdir = NULL, *cdir = NULL;
	json_t *j = NULL;
	time_t now = time(NULL);

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'S': server = optarg; break;
		case 'f': from = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'p': prefix = optarg; break;
		case 'd': due = strtol(optarg, NULL, 10); break;
		case 'a': ari = 1; break;
		case 'P': stores = optarg; break;
		default:
			fprintf(stderr, "usage: see tests/tools/gendefs.c\n");
			return 2;
		}
	}
	if (state == NULL || server == NULL || from == NULL || count <= 0) {
		fprintf(stderr, "gendefs: --state, --server, --from and --count "
			"are required\n");
		return 2;
	}
	key = read_pem(from, "privkey.pem", &klen);
	cert = read_pem(from, "cert.pem", &len);
	chain = read_pem(from, "chain.pem", &len);
	full = read_pem(from, "fullchain.pem", &len);
	memset(&ci, 0, sizeof(ci));
	if (cf_cert_info_from_pem(cert, strlen(cert), &ci, &err) != CF_OK)
		die("cert.pem", &err);
	if (cf_state_open(&st, state, &err) != CF_OK)
		die(state, &err);
	if (stores != NULL && cf_mkdir_p(stores, 0755, 0, &err) != CF_OK)
		die(stores, &err);
	if ((rdir = cf_strfmt("%s/renewals", st.root)) == NULL ||
	    (cdir = cf_strfmt("%s/certs", st.root)) == NULL ||
	    cf_state_mkdir(&st, rdir, &err) != CF_OK ||
	    cf_state_mkdir(&st, cdir, &err) != CF_OK)
		die(state, &err);
	for (long i = 1; i <= count; i++) {
		struct cf_renewal r;
		char name[128], host[160], *store = NULL;

		snprintf(name, sizeof(name), "%s%ld", prefix, i);
		snprintf(host, sizeof(host), "%s.scale.test", name);
		memset(&r, 0, sizeof(r));
		r.spec.name = strdup(name);
		r.spec.directory_url = strdup(server);
		r.spec.names = calloc(2, sizeof(char *));
		r.spec.names[0] = strdup(host);
		r.spec.nnames = 1;
		r.spec.key_type = CF_KEY_EC256;
		r.spec.validation.method = CF_VAL_HTTP01;
		r.spec.validation.dns_propagation_timeout = -1;
		if (stores != NULL) {
			store = cf_strfmt("%s/%s", stores, name);
			r.spec.stores = calloc(1, sizeof(*r.spec.stores));
			r.spec.stores[0].kind = CF_STORE_PEM;
			r.spec.stores[0].path = store;
			r.spec.nstores = 1;
			if (mkdir(store, 0755) != 0 && errno != EEXIST) {
				fprintf(stderr, "gendefs: mkdir %s failed\n", store);
				return 1;
			}
			put_four(store, key, cert, chain, full);
		}
		r.state = CF_REN_ACTIVE;
		/* As cf_state_cert_install leaves it: certs/<name> ->
		 * ../archive/<name>/1. */
		{
			char *gen = cf_strfmt("%s/archive/%s/1", st.root, name);
			char *link = cf_strfmt("%s/certs/%s", st.root, name);
			char *target = cf_strfmt("../archive/%s/1", name);
			if (gen == NULL || link == NULL || target == NULL ||
			    cf_state_mkdir(&st, gen, &err) != CF_OK)
				die(name, &err);
			put_four(gen, key, cert, chain, full);
			if (symlink(target, link) != 0 && errno != EEXIST) {
				fprintf(stderr, "gendefs: symlink %s failed\n", link);
				return 1;
			}
			free(gen);
			free(link);
			free(target);
		}
		if (i <= due) {
			if (cf_renewal_set_current(&r, ci.serial_hex,
						   now - 80 * DAY, now + 10 * DAY,
						   ari ? "aki.serial" : NULL,
						   &err) != CF_OK)
				die(name, &err);
		} else if (cf_renewal_set_current(&r, ci.serial_hex,
						  now - 30 * DAY, now + 60 * DAY,
						  ari ? "aki.serial" : NULL,
						  &err) != CF_OK) {
			die(name, &err);
		}
		if (cf_renewal_add_event(&r, now - 30 * DAY, "issue", "ok",
					 ci.serial_hex, r.not_after, NULL,
					 &err) != CF_OK ||
		    cf_renewal_to_json(&r, &j, &err) != CF_OK)
			die(name, &err);
		{
			char *file = cf_strfmt("%s.json", name);
			char *text = json_dumps(j, JSON_INDENT(2));
			if (file == NULL || text == NULL)
				return 1;
			put(rdir, file, text, 0600);
			free(file);
			free(text);
			json_decref(j);
		}
		cf_renewal_free(&r);
	}
	cf_cert_info_free(&ci);
	OPENSSL_clear_free(key, klen);
	free(cert);
	free(chain);
	free(full);
	free(rdir);
	free(cdir);
	cf_state_close(&st);
	return 0;
}
