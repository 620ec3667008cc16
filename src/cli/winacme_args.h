/*
 * winacme_args.h - win-acme 2.2's unattended command line, translated
 * into certferry's own (docs/WINACME-ARGS.md has the table).
 *
 * Owns: recognising a win-acme command line (--source, --target, --renew,
 * --list, --cancel, --revoke, --setuptaskscheduler) and building the
 * equivalent certferry argv (global options, then issue / renew / list /
 * cancel / revoke / schedule and their options).  Arguments that mean
 * nothing on Linux are refused with an explanation (CF_ERR_USAGE).
 */
#ifndef CF_WINACME_ARGS_H
#define CF_WINACME_ARGS_H

#include <stdio.h>

#include "core/err.h"

/* 1 when argv (argv[0] the program) is a win-acme command line. */
int cf_winacme_args_detect(int argc, char **argv);

/* The certferry argv for win-acme's argv: *out (malloc'd array of
 * malloc'd strings, NULL-terminated, argv[0] kept), *out_argc.  Free
 * with cf_winacme_args_free. */
cf_rc cf_winacme_args_translate(int argc, char **argv, int *out_argc,
				char ***out, struct cf_err *err) CF_MUST_CHECK;
void cf_winacme_args_free(char **v);

/* "certferry: win-acme arguments, run as: ..." for the translated argv,
 * an EAB key shown as "(hidden)". */
void cf_winacme_args_print(FILE *f, int argc, char **argv);

#endif
