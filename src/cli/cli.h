/* SPDX-License-Identifier: MIT */
/* cli: the wardwatch command's subcommands. */
#ifndef WW_CLI_CLI_H
#define WW_CLI_CLI_H

#include <stdint.h>

/* Exit codes of every subcommand (../shared/DESIGN.md, "The command"). */
#define WW_EXIT_OK 0
#define WW_EXIT_INPUT 1    /* bad usage or input; one line on stderr says what */
#define WW_EXIT_INTERNAL 2 /* internal failure */

#define WW_VERSION "0.1.0"

int cli_analyze(int argc, char **argv);
int cli_keystroke(int argc, char **argv);
int cli_devices(int argc, char **argv);
/* `risk --db FILE [--json] [--paths]` (src/cli/risk_cmd.c). */
int cli_risk(int argc, char **argv);
/* `vulns --db FILE [--import FILE]...` (src/cli/vulns_cmd.c). */
int cli_vulns(int argc, char **argv);
/* `fingerprint train|identify` (src/cli/fingerprint_cmd.c). */
int cli_fingerprint(int argc, char **argv);

/* `keystroke eval` (src/cli/keystroke_eval.c). */
int cli_keystroke_eval(int argc, char **argv);
/* `keystroke enroll` and `keystroke verify` (src/cli/keystroke_live.c). */
int cli_keystroke_enroll(int argc, char **argv);
int cli_keystroke_verify(int argc, char **argv);


/* Parses "64M", "1G", "4096" into bytes. Returns 0 or -1 if not a size. */
int cli_parse_size(const char *s, uint64_t *out);
/* Parses a decimal number in [min, max]. Returns 0 or -1. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
