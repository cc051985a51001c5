/* main.c: the `synack` command line: picks the subcommand and parses its options. Each
 * subcommand lives in its own file (demo.c, ...); this file owns only argv and the help text. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "demo.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack <command> [options]\n"
            "\n"
            "commands:\n"
            "  demo [--scenario N] [--pcap DIR] [--no-color]\n"
            "        a guided tour of TCP's states (netstat -ano) on two simulated hosts\n"
            "        --scenario N  run only scenario N (1-%d); default: all\n"
            "        --pcap DIR    write one pcap per scenario into DIR (opens in Wireshark)\n"
            "        --no-color    plain text (color is used only on a terminal anyway)\n"
            "  serve [--dev NAME] [--addr A] [--addr6 A6] [--services LIST] [--root DIR]\n"
            "        [--impair SPEC] [--control PATH]\n"
            "        run a stack on a TUN device with echo, discard, chargen and HTTP services\n"
            "  get [-o FILE] URL      an HTTP client on its own stack (TUN)\n"
            "  connect HOST PORT      nc-like: stdin to the connection, the connection to stdout\n"
            "  netstat [--control PATH] [-o] [-s]\n"
            "        the connection table of a running `synack serve` (netstat -an view)\n"
            "  run [--dev NAME] [--addr A] [--addr6 A6] [options] -- PROG [ARGS...]\n"
            "        run an unmodified program with its TCP sockets on synack (LD_PRELOAD)\n"
            "  help  this text\n"
            "\n"
            "Each command takes --help for all its options.\n",
            DEMO_SCENARIOS);
    fprintf(f, "\ndemo scenarios:\n");
    for (int n = 1; n <= DEMO_SCENARIOS; n++) fprintf(f, "  %d  %s\n", n, demo_scenario_title(n));
}

/* Color only for a person at a terminal, and never against their wish (no-color.org). */
static bool want_color(bool no_color_flag)
{
    const char *env = getenv("NO_COLOR");
    return !no_color_flag && !(env && *env) && isatty(STDOUT_FILENO);
}

static int cmd_demo(int argc, char **argv)
{
    int scenario = 0;
    const char *pcap_dir = NULL;
    bool no_color = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-color")) {
            no_color = true;
        } else if (!strcmp(a, "--scenario") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > DEMO_SCENARIOS) {
                fprintf(stderr, "synack demo: --scenario takes a number from 1 to %d\n", DEMO_SCENARIOS);
                return 2;
            }
            scenario = (int)n;
        } else if (!strcmp(a, "--pcap") && i + 1 < argc) {
            pcap_dir = argv[++i];
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "synack demo: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    int rc = demo_run(stdout, scenario, pcap_dir, want_color(no_color));
    fflush(stdout);
    return rc;
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    usage(stdout);
    return 0;
}

/* Later subcommands (serve, netstat, get) add a line here and a file of their own. */
static const struct command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} commands[] = {
    {"demo", cmd_demo},
    {"serve", cmd_serve},
    {"get", cmd_get},
    {"connect", cmd_connect},
    {"netstat", cmd_netstat},
    {"run", cmd_run},
    {"help", cmd_help},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return cmd_help(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "synack: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
