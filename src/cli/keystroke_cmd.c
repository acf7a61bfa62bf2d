/* SPDX-License-Identifier: MIT */
/* keystroke: `wardwatch keystroke eval|enroll|verify`, typing-rhythm authentication. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void keystroke_usage(FILE *out)
{
    fputs("usage: wardwatch keystroke <eval|enroll|verify> [options]\n"
          "\n"
          "  eval FILE.csv      score detectors on a fixed-text timing dataset in the\n"
          "                     CMU benchmark's layout; prints the mean equal-error rate\n"
          "  enroll --user U    learn a user's free-text typing profile from key events\n"
          "  verify             follow sessions' key events and flag typing that is not\n"
          "                     the logged-in user's\n"
          "\n"
          "Run 'wardwatch keystroke <command> --help' for its options.\n",
          out);
}

int cli_keystroke(int argc, char **argv)
{
    if (argc < 2) {
        keystroke_usage(stderr);
        return WW_EXIT_INPUT;
    }
    if (strcmp(argv[1], "eval") == 0) {
        return cli_keystroke_eval(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "enroll") == 0) {
        return cli_keystroke_enroll(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return cli_keystroke_verify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        keystroke_usage(stdout);
        return WW_EXIT_OK;
    }
    fprintf(stderr, "wardwatch keystroke: unknown command '%s' (eval, enroll, verify)\n",
            argv[1]);
    return WW_EXIT_INPUT;
}
