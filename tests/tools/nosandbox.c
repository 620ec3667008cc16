/*
 * nosandbox - run a program as if the kernel had no Landlock and/or no
 * seccomp filters, to test how certferry degrades there (issue 10: "a
 * kernel without Landlock or seccomp gets a one-line notice, never a
 * failure").
 *
 *   nosandbox [--no-landlock] [--no-seccomp] PROGRAM [ARGS...]
 *
 * It installs a seccomp filter (inherited across fork and exec) that
 * lets everything through except: landlock_create_ruleset fails with
 * ENOSYS (--no-landlock: what a kernel built without Landlock says), and
 * prctl(PR_GET_SECCOMP) fails with EINVAL (--no-seccomp: what a kernel
 * built without seccomp says; certferry asks that before it loads a
 * filter).  Then it executes PROGRAM.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int i = 1, no_landlock = 0, no_seccomp = 0, r = 0;

	for (; i < argc && strncmp(argv[i], "--no-", 5) == 0; i++) {
		if (strcmp(argv[i], "--no-landlock") == 0)
			no_landlock = 1;
		else if (strcmp(argv[i], "--no-seccomp") == 0)
			no_seccomp = 1;
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: nosandbox [--no-landlock] [--no-seccomp] "
			"PROGRAM [ARGS...]\n");
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		fprintf(stderr, "nosandbox: seccomp_init failed\n");
		return 1;
	}
	if (no_landlock)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(landlock_create_ruleset), 0);
	if (r == 0 && no_seccomp)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl),
				     1, SCMP_A0(SCMP_CMP_EQ, PR_GET_SECCOMP));
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		r = -errno;
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0) {
		fprintf(stderr, "nosandbox: %s\n", strerror(-r));
		return 1;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "nosandbox: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
