/* state.c - see state.h */
#include "store/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "store/atomic.h"

#define KEEP_GENERATIONS 3

static char *
join(const char *a, const char *b, const char *c)
{
	return c ? cf_strfmt("%s/%s/%s", a, b, c) : cf_strfmt("%s/%s", a, b);
}

cf_rc
cf_state_default_dir(char **out, struct cf_err *err)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (geteuid() == 0)
		*out = strdup("/var/lib/certferry");
	else if (xdg != NULL && xdg[0] == '/')
		*out = cf_strfmt("%s/certferry", xdg);
	else if (home != NULL && home[0] == '/')
		*out = cf_strfmt("%s/.local/state/certferry", home);
	else
		return cf_err_set(err, CF_ERR_USAGE,
				  "cannot find a state folder: set --state-dir "
				  "or CERTFERRY_STATE_DIR");
	if (*out == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/*
 * The state root holds account and certificate keys: it must be this
 * user's and writable by no one else, or another user could plant links
 * and files that a root run then follows.  It is made 0700 when it is
 * merely readable by others (the layout's mode).
 */
static cf_rc
check_root(const char *root, struct cf_err *err)
{
	struct stat sb;

	if (stat(root, &sb) != 0)
		return cf_err_set(err, CF_ERR_IO, "state folder %s: %s", root,
				  strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cf_err_set(err, CF_ERR_USAGE,
				  "state folder %s is not a folder: give another "
				  "--state-dir", root);
	if (sb.st_uid != geteuid())
		return cf_err_set(err, CF_ERR_USAGE,
				  "state folder %s belongs to uid %lu, not to this "
				  "user (uid %lu): chown it to this user, or give "
				  "another --state-dir", root,
				  (unsigned long)sb.st_uid,
				  (unsigned long)geteuid());
	if ((sb.st_mode & 022) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "state folder %s is writable by group or others "
				  "(mode %03o): chmod 700 %s", root,
				  (unsigned)(sb.st_mode & 0777), root);
	if ((sb.st_mode & 07777) != 0700 && chmod(root, 0700) != 0)
		return cf_err_set(err, CF_ERR_IO, "chmod 700 %s: %s", root,
				  strerror(errno));
	return CF_OK;
}

cf_rc
cf_state_open(struct cf_state *st, const char *root, struct cf_err *err)
{
	cf_rc rc;

	st->root = NULL;
	if (root == NULL || *root == '\0')
		return cf_err_set(err, CF_ERR_USAGE, "empty state folder path");
	if ((rc = cf_mkdir_p(root, 0700, 0, err)) != CF_OK)
		return cf_err_wrap(err, "state folder");
	if ((rc = check_root(root, err)) != CF_OK)
		return rc;
	if ((st->root = strdup(root)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/*
 * Walk from the state root to the folder `path` (the root itself or a
 * path below it) one component at a time with openat(O_NOFOLLOW |
 * O_DIRECTORY): a symbolic link (or anything but a folder) on the way is
 * refused, naming it.  With `create`, missing folders are made and every
 * folder walked through is made 0700; without it nothing is changed and a
 * missing folder is CF_ERR_NOTFOUND.
 */
static cf_rc
walk(const struct cf_state *st, const char *path, int create,
     struct cf_err *err)
{
	size_t rlen = strlen(st->root);
	char rel[PATH_MAX], *comp, *save = NULL;
	int fd, nfd;
	struct stat sb;
	cf_rc rc = CF_OK;

	if (strncmp(path, st->root, rlen) != 0 ||
	    (path[rlen] != '\0' && path[rlen] != '/') ||
	    strlen(path + rlen) >= sizeof(rel))
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "%s is not below the state folder %s", path,
				  st->root);
	memcpy(rel, path + rlen, strlen(path + rlen) + 1);
	if ((fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cf_err_set(err, CF_ERR_IO, "open state folder %s: %s",
				  st->root, strerror(errno));
	for (comp = strtok_r(rel, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			rc = cf_err_set(err, CF_ERR_INTERNAL,
					"bad state path %s", path);
			break;
		}
		if (create && mkdirat(fd, comp, 0700) != 0 && errno != EEXIST) {
			rc = cf_err_set(err, CF_ERR_IO, "create folder %s: %s",
					path, strerror(errno));
			break;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			     O_CLOEXEC);
		if (nfd < 0) {
			int e = errno;
			if (e == ENOENT && !create)
				rc = cf_err_set(err, CF_ERR_NOTFOUND,
						"%s: no such folder", path);
			else if (fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISLNK(sb.st_mode))
				rc = cf_err_set(err, CF_ERR_USAGE,
						"%s: '%s' in the state folder is a "
						"symbolic link, which certferry never "
						"follows there: remove the link "
						"(it was not made by certferry)",
						path, comp);
			else
				rc = cf_err_set(err, CF_ERR_IO,
						"%s: '%s' is not a folder: %s",
						path, comp, strerror(e));
			break;
		}
		close(fd);
		fd = nfd;
		if (create && fstat(fd, &sb) == 0 &&
		    (sb.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
			rc = cf_err_set(err, CF_ERR_IO, "chmod 700 %s: %s", path,
					strerror(errno));
			break;
		}
	}
	close(fd);
	return rc;
}

cf_rc
cf_state_mkdir(const struct cf_state *st, const char *path,
	       struct cf_err *err)
{
	return walk(st, path, 1, err);
}

void
cf_state_close(struct cf_state *st)
{
	free(st->root);
	st->root = NULL;
}

cf_rc
cf_state_check_name(const char *name, struct cf_err *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.')
		goto bad;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '_'))
			goto bad;
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_USAGE,
			  "bad certificate name '%.64s': use letters, digits, "
			  "'.', '-' and '_' (not starting with '.')", name);
}

char *
cf_state_name_for(const char *dns_name)
{
	char *n = strdup(dns_name);

	if (n != NULL && n[0] == '*')
		n[0] = '_';
	/* An IPv6 address (RFC 8738): "2001:db8::1" -> "2001_db8__1". */
	for (char *p = n; p != NULL && *p != '\0'; p++)
		if (*p == ':')
			*p = '_';
	return n;
}

/* "127.0.0.1_14000_dir-1a2b3c4d": readable, and unique through the hash. */
cf_rc
cf_state_account_dir(const struct cf_state *st, const char *dir_url, char **out,
		     struct cf_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char id[128];
	const char *p = dir_url;
	size_t i = 0;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	for (; *p && i < 80; p++)
		id[i++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '.' || *p == '-') ?
				  *p : '_';
	if (EVP_Digest(dir_url, strlen(dir_url), md, &mdlen, EVP_sha256(),
		       NULL) != 1)
		return cf_err_set(err, CF_ERR_CRYPTO, "sha256 failed");
	snprintf(id + i, sizeof(id) - i, "-%02x%02x%02x%02x", md[0], md[1], md[2],
		 md[3]);
	if ((*out = join(st->root, "accounts", id)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

/*
 * certs/<name> is the one link in the state folder, and certferry follows
 * it only after checking it is what cf_state_cert_install makes: a link to
 * ../archive/<name>/<generation>, reached without any other link.  Missing
 * is fine (nothing issued yet: the caller finds no file).
 */
static cf_rc
check_cert_link(const struct cf_state *st, const char *name, const char *link,
		struct cf_err *err)
{
	char target[PATH_MAX], *gen = NULL, *end, *dir;
	size_t plen;
	struct stat sb;
	ssize_t n;
	cf_rc rc;

	if ((dir = join(st->root, "certs", NULL)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = walk(st, dir, 0, err);
	free(dir);
	if (rc == CF_ERR_NOTFOUND)
		return CF_OK;
	if (rc != CF_OK)
		return rc;
	if (lstat(link, &sb) != 0)
		return CF_OK;
	if (!S_ISLNK(sb.st_mode) ||
	    (n = readlink(link, target, sizeof(target) - 1)) < 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s is not the link certferry makes: move it "
				  "away and run 'certferry issue' again", link);
	target[n] = '\0';
	plen = strlen("../archive/") + strlen(name) + 1;
	if (strncmp(target, "../archive/", 11) != 0 ||
	    strncmp(target + 11, name, strlen(name)) != 0 ||
	    target[plen - 1] != '/' ||
	    strtol(target + plen, &end, 10) <= 0 || *end != '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s points to %s, not into archive/%s: remove "
				  "the link (it was not made by certferry)", link,
				  target, name);
	if ((gen = join(st->root, target + 3, NULL)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = walk(st, gen, 0, err);
	free(gen);
	return rc == CF_ERR_NOTFOUND ? CF_OK : rc;
}

cf_rc
cf_state_cert_path(const struct cf_state *st, const char *name,
		   const char *file, char **out, struct cf_err *err)
{
	char *certs;
	cf_rc rc;

	*out = NULL;
	if ((rc = cf_state_check_name(name, err)) != CF_OK)
		return rc;
	if ((certs = join(st->root, "certs", name)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = check_cert_link(st, name, certs, err)) == CF_OK &&
	    (*out = join(certs, file, NULL)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	free(certs);
	return rc;
}

void
cf_state_rmtree(const char *path)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (lstat(path, &sb) != 0)
		return;
	if (!S_ISDIR(sb.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *sub;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((sub = join(path, de->d_name, NULL)) != NULL) {
				cf_state_rmtree(sub);
				free(sub);
			}
		}
		closedir(d);
	}
	rmdir(path);
}

/* Highest numeric generation in dir (0 when none); with keep > 0, also
 * remove all but the newest `keep` generations. */
static long
generations(const char *dir, long keep_from)
{
	struct dirent *de;
	long max = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long g = strtol(de->d_name, &end, 10);
		if (*end != '\0' || g <= 0)
			continue;
		if (keep_from > 0 && g < keep_from) {
			char *sub = join(dir, de->d_name, NULL);
			if (sub) {
				cf_state_rmtree(sub);
				free(sub);
			}
		}
		if (g > max)
			max = g;
	}
	closedir(d);
	return max;
}

cf_rc
cf_state_cert_install(const struct cf_state *st, const char *name,
		      const struct cf_cert_files *f, struct cf_err *err)
{
	char *arch = NULL, *gen = NULL, *certs = NULL, *link = NULL,
	     *target = NULL;
	char gname[32];
	int swapped = 0;
	long g;
	cf_rc rc;
	/* no key: a bring-your-own CSR alone */
	struct cf_new_file files[] = {
		{ f->key_pem ? "privkey.pem" : NULL, f->key_pem, f->key_len,
		  0600 },
		{ "cert.pem", f->cert_pem, strlen(f->cert_pem), 0644 },
		{ "chain.pem", f->chain_pem, strlen(f->chain_pem), 0644 },
		{ "fullchain.pem", f->fullchain_pem, strlen(f->fullchain_pem), 0644 },
	};

	if ((rc = cf_state_check_name(name, err)) != CF_OK)
		return rc;
	arch = join(st->root, "archive", name);
	certs = join(st->root, "certs", NULL);
	link = certs ? join(certs, name, NULL) : NULL;
	if (arch == NULL || link == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = cf_state_mkdir(st, arch, err)) != CF_OK ||
	    (rc = cf_state_mkdir(st, certs, err)) != CF_OK)
		goto out;
	g = generations(arch, 0) + 1;
	snprintf(gname, sizeof(gname), "%ld", g);
	if ((gen = join(arch, gname, NULL)) == NULL ||
	    (target = join("../archive", name, gname)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mkdir(gen, 0700) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "create folder %s: %s", gen,
				strerror(errno));
		goto out;
	}
	if ((rc = cf_files_write_new(gen, files, sizeof(files) / sizeof(files[0]),
				     err)) != CF_OK)
		goto out;
	/* Swap the symlink: create it beside, then rename over. */
	if ((rc = cf_symlink_replace(target, link, err)) != CF_OK) {
		swapped = cf_symlink_is(link, target); /* only fsync failed */
		goto out;
	}
	swapped = 1;
	generations(arch, g - KEEP_GENERATIONS + 1);
out:
	/* Remove a generation that never became current. */
	if (rc != CF_OK && gen != NULL && !swapped)
		cf_state_rmtree(gen);
	free(arch);
	free(gen);
	free(certs);
	free(link);
	free(target);
	return rc;
}
