/*
 * iis_test_util.h - helpers shared by the IIS and store unit tests.
 *
 * Owns: finding the shared fixtures (env CF_FIXTURES, else
 * ../shared/fixtures relative to the repository root, where the test
 * runner starts the binaries) and a scratch folder per test binary.
 */
#ifndef CF_IIS_TEST_UTIL_H
#define CF_IIS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/atomic.h"

/* Path of fixtures/iis/<name> in a static buffer. */
static inline const char *
fixture_path(const char *name)
{
	static char buf[4096];
	const char *base = getenv("CF_FIXTURES");

	if (base == NULL || *base == '\0')
		base = "../shared/fixtures";
	snprintf(buf, sizeof(buf), "%s/iis/%s", base, name);
	return buf;
}

/* Whole fixture file, malloc'd; aborts the test on failure. */
static inline char *
fixture_read(const char *name, size_t *len)
{
	struct cf_err err;
	char *data = NULL;

	if (cf_file_read(fixture_path(name), 16u << 20, &data, len,
	    &err) != CF_OK) {
		fprintf(stderr, "cannot read fixture %s: %s (run from the "
			"repository root or set CF_FIXTURES)\n", name, err.msg);
		abort();
	}
	return data;
}

/* A fresh temporary folder (mkdtemp), path in a static buffer. */
static inline const char *
scratch_dir(void)
{
	static char buf[256];
	const char *t = getenv("TMPDIR");

	snprintf(buf, sizeof(buf), "%s/cf-test-XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(buf) == NULL)
		abort();
	return buf;
}

/* rm -rf of a scratch folder made by scratch_dir (one level deep). */
static inline void
scratch_remove(const char *dir)
{
	char cmd[512];

	if (strncmp(dir, "/tmp/cf-test-", 13) != 0 &&
	    strstr(dir, "/cf-test-") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
