/*
 * fuzz.h - shared by the fuzz targets tests/fuzz/fuzz_*.c.
 *
 * Each target defines LLVMFuzzerTestOneInput; `make fuzz` links it with
 * libFuzzer (clang), tests/run.sh replays the checked-in corpus and past
 * crashes through tests/fuzz/replay.c (any cc).  See docs/FUZZING.md.
 */
#ifndef CF_FUZZ_H
#define CF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; an embedded NUL ends it
 * early, as it would for a C string from the network).  NULL when out of
 * memory. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
