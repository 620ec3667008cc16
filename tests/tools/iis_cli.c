/*
 * iis_cli.c - runs "certferry iis ..." until the main CLI exists:
 *   iis_cli sites --config FILE   ==   certferry iis sites --config FILE
 */
#include "cli/cmd_iis.h"

int
main(int argc, char **argv)
{
	argv[0] = "iis";
	return cf_cmd_iis(argc, argv);
}
