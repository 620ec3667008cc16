/* cmd_schedule.c - placeholder */
#include <stdio.h>
#include "cli/cli.h"
int
cf_cmd_schedule(struct cf_cli *cli, int argc, char **argv)
{
	fprintf(stderr, "error: not yet\n");
	return CF_EXIT_FAIL;
}
