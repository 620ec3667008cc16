/* test_log.c - the log from many threads at once (renew's workers) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#define THREADS 8
#define LINES 2000

static void *
chatter(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < LINES; i++) {
		if (i % 2)
			cf_warn("thread %d line %d", id, i);
		else
			cf_progress("thread %d waiting %d", id, i);
	}
	cf_progress_end();
	return NULL;
}

/* One line as one thread wrote it: "warning: thread T line I" or
 * "thread T waiting I" (stderr is a file: progress is a plain line). */
static int
line_whole(const char *line)
{
	int t, i, n = 0;

	if (sscanf(line, "warning: thread %d line %d%n", &t, &i, &n) == 2 &&
	    line[n] == '\0')
		return i % 2 == 1;
	n = 0;
	if (sscanf(line, "thread %d waiting %d%n", &t, &i, &n) == 2 &&
	    line[n] == '\0')
		return i % 2 == 0;
	return 0;
}

static void
test_log_threads_whole_lines(void **state)
{
	pthread_t th[THREADS];
	FILE *tmp = tmpfile();
	char line[256];
	int saved, lines = 0, broken = 0;

	(void)state;
	assert_non_null(tmp);
	cf_log_set_level(CF_LOG_INFO);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, chatter,
						(void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	while (fgets(line, sizeof(line), tmp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		lines++;
		if (!line_whole(line) && broken++ < 3)
			fprintf(stderr, "broken line: %s\n", line);
	}
	fclose(tmp);
	assert_int_equal(broken, 0);
	assert_int_equal(lines, THREADS * LINES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_threads_whole_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
