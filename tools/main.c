/* main.c: the `synack` command line: picks the subcommand and parses its options. Each
 * subcommand lives in its own file (demo.c, ...); this file owns only argv and the help text. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "control.h"
#include "demo.h"
#include "trace_live.h"
#include "demo_html.h"
#include "ladder_cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack [--help | --version] <command> [options] [arguments]\n"
            "\n"
            "commands:\n"
            "  demo [-s N] [--pcap DIR] [--html FILE] [--no-color]\n"
            "        a guided tour of TCP's states (netstat -ano) on two simulated hosts\n"
            "  serve [options]\n"
            "        run a stack on a TUN device with echo, discard, chargen and HTTP services\n"
            "  get [-o FILE] [-I] [options] URL\n"
            "        an HTTP client on its own stack (TUN)\n"
            "  connect [-q S] [options] HOST PORT\n"
            "        nc-like: stdin to the connection, the connection to stdout\n"
            "  netstat [--control PATH] [-o] [-s]\n"
            "        the connection table of a running `synack serve` (netstat -an view)\n"
            "  trace [--json] [--port N] [--addr A] [FILTER...]\n"
            "        live state transitions, retransmissions and drops of a running synack\n"
            "  ladder [--list] [--conn N] [--svg OUT] FILE.pcap | --scenario N\n"
            "        the sequence diagram of one connection (text, and SVG), states inferred\n"
            "  run [--dev NAME] [--addr A] [--addr6 A6] [options] -- PROG [ARGS...]\n"
            "        run an unmodified program with its TCP sockets on synack (LD_PRELOAD)\n"
            "  help  this text\n"
            "\n"
            "Each command takes --help for all its options and --version. Options may come in any\n"
            "order, short ones combined (-vIo FILE), long ones as --opt VALUE or --opt=VALUE, and\n"
            "-- ends them. Exit status 2 means a bad command line. See synack(1).\n");
}

static void demo_usage(FILE *f)
{
    fprintf(f,
            "usage: synack demo [options]\n"
            "  a guided tour of TCP's states (netstat -ano) on two simulated hosts, in virtual time\n"
            "  -s, --scenario N  run only scenario N (1-%d); default: all\n"
            "  -p, --pcap DIR    write one pcap per scenario into DIR (opens in Wireshark)\n"
            "  --html FILE       write the demo as one self-contained web page instead: ladders\n"
            "                    as SVG, netstat tables, explanations in English and Chinese\n"
            "  --no-color        plain text (color is used only on a terminal anyway)\n"
            "  -h, --help        this text;  --version  the version\n",
            DEMO_SCENARIOS);
    fprintf(f, "\nscenarios:\n");
    for (int n = 1; n <= DEMO_SCENARIOS; n++) fprintf(f, "  %d  %s\n", n, demo_scenario_title(n));
}

/* Color only for a person at a terminal, and never against their wish (no-color.org). */
static bool want_color(bool no_color_flag)
{
    const char *env = getenv("NO_COLOR");
    return !no_color_flag && !(env && *env) && isatty(STDOUT_FILENO);
}

enum { OPT_NO_COLOR = CLI_OPT_COMMAND, OPT_HTML };

static int cmd_demo(int argc, char **argv)
{
    int scenario = 0;
    const char *pcap_dir = NULL, *html = NULL;
    bool no_color = false;
    static const struct option longopts[] = {
        {"scenario", required_argument, NULL, 's'},
        {"pcap", required_argument, NULL, 'p'},
        {"no-color", no_argument, NULL, OPT_NO_COLOR},
        {"html", required_argument, NULL, OPT_HTML},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    cli c;
    cli_init(&c, "synack demo", argc, argv, "s:p:" CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    for (int opt; (opt = cli_next(&c, &arg)) != -1;) {
        switch (opt) {
        case OPT_NO_COLOR:
            no_color = true;
            break;
        case OPT_HTML:
            html = arg;
            break;
        case 's': {
            uint32_t n;
            if (!cli_parse_u32(arg, 1, DEMO_SCENARIOS, &n)) {
                char want[32];
                snprintf(want, sizeof want, "1-%d", DEMO_SCENARIOS);
                return cli_bad_value(&c, arg, want);
            }
            scenario = (int)n;
            break;
        }
        case 'p':
            pcap_dir = arg;
            break;
        case 'h':
            demo_usage(stdout);
            return 0;
        case CLI_OPT_VERSION:
            cli_version(stdout);
            return 0;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error("synack demo", "unexpected argument '%s'", argv[optind]);
    if (html && pcap_dir) return cli_usage_error("synack demo", "--html and --pcap do not go together");
    if (html) {
        int hrc = demo_html_write(html, scenario);
        if (hrc != 2) printf("synack demo: wrote %s%s\n", html, hrc ? " (some steps did not go as expected)" : "");
        return hrc;
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
    {"trace", cmd_trace},
    {"ladder", cmd_ladder},
    {"run", cmd_run},
    {"help", cmd_help},
};

int main(int argc, char **argv)
{
    /* Options before the command: "+" stops at the command name, whose own options follow. */
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    cli c;
    cli_init(&c, "synack", argc, argv, "+" CLI_COMMON_SHORTOPTS, longopts);
    const char *arg;
    for (int opt; (opt = cli_next(&c, &arg)) != -1;) {
        if (opt == 'h') return cmd_help(0, NULL);
        if (opt == CLI_OPT_VERSION) {
            cli_version(stdout);
            return 0;
        }
        return CLI_EXIT_USAGE;
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].run(argc - optind, argv + optind);
    return cli_usage_error("synack", "unknown command '%s' (demo, serve, get, connect, netstat, trace, ladder, run, help)",
                           name);
}
