/* cmd_revoke.c - placeholder, see below */
#include <stdio.h>
#include "cli/cli.h"
int
cf_cmd_revoke(struct cf_cli *cli, int argc, char **argv)
{
	fprintf(stderr, "error: not yet\n");
	return CF_EXIT_FAIL;
}
