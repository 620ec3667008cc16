/*
 * iis_cli.c - runs "certferry iis ..." until the main CLI exists:
 *   iis_cli sites --config FILE   ==   certferry iis sites --config FILE
 * The state folder is CERTFERRY_STATE_DIR, else the default.
 */
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cmd_iis.h"

int
main(int argc, char **argv)
{
	struct cf_cli cli = { 0 };

	cli.state_dir = getenv("CERTFERRY_STATE_DIR");
	argv[0] = "iis";
	return cf_cmd_iis(&cli, argc, argv);
}
