/* cli.h: what every command's argument parsing shares: getopt_long with messages that name the
 * bad argument (exit 2, CLI_EXIT_USAGE), number parsing with ranges, and the --version text. Each
 * command owns its own options table and help text; none of them parses argv by hand. */
#ifndef SYNACK_TOOLS_CLI_H
#define SYNACK_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_USAGE 2

/* Long-only options take getopt_long `val`s above 0xff so they never collide with a short option
 * letter: --version here, a command's own from 0x200, the stack options (net_opts.h) from 0x300. */
enum { CLI_OPT_VERSION = 0x100, CLI_OPT_COMMAND = 0x200 };

/* The options every command takes. */
#define CLI_COMMON_LONGOPTS                                    \
    {"help", no_argument, NULL, 'h'},                          \
    {"version", no_argument, NULL, CLI_OPT_VERSION}
#define CLI_COMMON_SHORTOPTS "h"

/* Starts parsing a command's argv (argv[0] is the command name: "serve"); cmd is the prefix of
 * every message ("synack serve"). */
typedef struct cli {
    const char *cmd;
    int argc;
    char **argv;
    const char *shortopts;         /* without the leading ':' (added here) */
    const struct option *longopts; /* ends with a zero entry */
    char shortbuf[64];
    const char *name;              /* the option just returned, as typed: "--dev", "-o" */
    char namebuf[64];
} cli;

void cli_init(cli *c, const char *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts);
/* The next option (its `val`), -1 at the end of the options (then optind is the first operand),
 * or '?' after printing why the argument is bad: the caller exits CLI_EXIT_USAGE. */
int cli_next(cli *c, const char **arg);

/* Messages naming the bad argument, each followed by "Try '<cmd> --help'."; all return
 * CLI_EXIT_USAGE. */
int cli_bad_value(const cli *c, const char *value, const char *want);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Unsigned decimal in [lo, hi] (no sign, no trailing text). */
bool cli_parse_u32(const char *text, uint32_t lo, uint32_t hi, uint32_t *out);
/* Seconds, e.g. "2.5", > 0 unless zero_ok; at most a day. */
bool cli_parse_seconds(const char *text, bool zero_ok, double *out);

/* "synack 0.1.0" and the licence line, for --version. */
void cli_version(FILE *f);

#endif
