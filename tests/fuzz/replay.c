/*
 * replay.c - feeds files to a fuzz target's LLVMFuzzerTestOneInput without
 * libFuzzer, so that `make check` replays the checked-in corpus and every
 * past crash with the normal compiler (and under `make check-asan` with
 * ASan+UBSan).
 *
 *   replay_fuzz_X PATH...     each PATH a file or a folder of files
 *
 * Prints "N inputs" and exits 0; a crashing input ends the process with
 * the crash (its name is printed first, on stderr).  Exit 2 when a path
 * cannot be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/atomic.h"
#include "fuzz.h"

#define REPLAY_MAX (16u * 1024u * 1024u)

static int
replay_file(const char *path, size_t *count)
{
	struct cf_err err;
	char *data = NULL;
	size_t len = 0;

	if (cf_file_read(path, REPLAY_MAX, &data, &len, &err) != CF_OK) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return -1;
	}
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir, size_t *count)
{
	struct dirent *de;
	char **names = NULL, *p;
	size_t n = 0, i;
	int rc = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char **grown;
		if (de->d_name[0] == '.')
			continue;
		if ((grown = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (grown[n] = strdup(de->d_name)) == NULL) {
			names = grown ? grown : names;
			rc = -1;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (rc == 0 && (p = cf_strfmt("%s/%s", dir, names[i])) != NULL) {
			rc = replay_file(p, count);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	size_t count = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			perror(argv[i]);
			return 2;
		}
		if ((S_ISDIR(sb.st_mode) ? replay_dir(argv[i], &count) :
					   replay_file(argv[i], &count)) != 0)
			return 2;
	}
	printf("%zu inputs\n", count);
	return 0;
}
