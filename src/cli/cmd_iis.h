/*
 * cmd_iis.h - the "certferry iis" subcommand.
 *
 * Owns: the command line of "iis sites" (list the sites and bindings of an
 * applicationHost.config) and "iis check" (CCS bindings against the PFX
 * files of the Centralized Certificate Store, and the bindings that wait
 * for the netsh script of --iis-migrate), and their output.
 */
#ifndef CF_CMD_IIS_H
#define CF_CMD_IIS_H

/*
 * argv[0] is "iis", argv[1] the action.  Prints results on stdout and
 * errors on stderr as "error: ...".  Returns the exit code: 0 fine,
 * 1 a problem was found (or the work failed), 2 usage.
 */
struct cf_cli;
int cf_cmd_iis(struct cf_cli *cli, int argc, char **argv);

#endif
