/* SPDX-License-Identifier: MIT */
/* main: the wardwatch command, dispatching to its subcommands. */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "cli/cli.h"

static void usage(FILE *out)
{
    fputs("usage: wardwatch <command> [options]\n"
          "\n"
          "wardwatch watches a hospital network: it reads traffic, tracks every\n"
          "conversation and writes what it sees as EVE-style JSON events.\n"
          "\n"
          "commands:\n"
          "  analyze CAPTURE...   read pcap/pcapng files as one timeline; write\n"
          "                       eve.json and wardwatch.db and print a summary\n"
          "  devices --db FILE    list the device inventory a run stored\n"
          "  risk --db FILE       devices ranked by risk, and attack paths (--paths)\n"
          "  vulns --db FILE      match stored devices against the vulnerability\n"
          "                       catalog again, with --import FILE (CISA KEV, CVE\n"
          "                       JSON 5) merged in\n"
          "  keystroke eval|enroll|verify\n"
          "                       continuous authentication by typing rhythm\n"
          "  fingerprint train|identify\n"
          "                       learn device types from labelled captures; name them\n"
          "  version              print the version and the libraries in use\n"
          "  help                 print this help\n"
          "\n"
          "Run 'wardwatch <command> --help' for a command's options.\n"
          "Exit status: 0 done, 1 bad usage or input, 2 internal failure.\n",
          out);
}

static int cmd_version(void)
{
    printf("wardwatch %s\n%s\n", WW_VERSION, pcap_lib_version());
    return WW_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        usage(stderr);
        return WW_EXIT_INPUT;
    }
    cmd = argv[1];
    if (strcmp(cmd, "analyze") == 0) {
        return cli_analyze(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "devices") == 0) {
        return cli_devices(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "risk") == 0) {
        return cli_risk(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "vulns") == 0) {
        return cli_vulns(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "keystroke") == 0) {
        return cli_keystroke(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "fingerprint") == 0) {
        return cli_fingerprint(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        return cmd_version();
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return WW_EXIT_OK;
    }
    fprintf(stderr, "wardwatch: unknown command '%s'; run 'wardwatch --help' for the list\n",
            cmd);
    return WW_EXIT_INPUT;
}
