/* cli.c: getopt_long driven for every command, and the messages a person sees for a bad command
 * line: what was wrong, which argument, and where the help is; always exit status 2. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <synack/version.h>

void cli_init(cli *c, const char *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->argc = argc;
    c->argv = argv;
    c->longopts = longopts;
    /* ':' first (after a '+' that stops at the first operand): a missing value is told apart
     * from an unknown option, and we print both. */
    if (shortopts[0] == '+') snprintf(c->shortbuf, sizeof c->shortbuf, "+:%s", shortopts + 1);
    else snprintf(c->shortbuf, sizeof c->shortbuf, ":%s", shortopts);
    c->shortopts = c->shortbuf;
    optind = 0; /* glibc: a full re-initialisation, even if someone parsed before us */
    opterr = 0;
}

static const struct option *long_by_val(const cli *c, int val)
{
    for (const struct option *o = c->longopts; o && o->name; o++)
        if (o->val == val) return o;
    return NULL;
}

/* The option as the person typed it, without any "=value". */
static const char *typed(cli *c, const char *text)
{
    size_t n = strcspn(text, "=");
    if (n >= sizeof c->namebuf) n = sizeof c->namebuf - 1;
    memcpy(c->namebuf, text, n);
    c->namebuf[n] = 0;
    return c->namebuf;
}

static void try_help(const char *cmd)
{
    fprintf(stderr, "Try '%s --help'.\n", cmd);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    try_help(cmd);
    return CLI_EXIT_USAGE;
}

int cli_next(cli *c, const char **arg)
{
    int idx = -1;
    int r = getopt_long(c->argc, c->argv, c->shortopts, c->longopts, &idx);
    *arg = optarg;
    if (r == -1) return -1;
    if (r == '?' || r == ':') {
        /* After an error getopt has moved past a long option, so argv[optind - 1] is it as typed
         * ("--dev", "--no-create=1", "--bogus"); a short one is known by optopt alone. */
        const char *where = optind >= 1 && optind <= c->argc ? c->argv[optind - 1] : "";
        bool is_long = where[0] == '-' && where[1] == '-';
        const struct option *lo = long_by_val(c, optopt);
        if (is_long && optopt && lo && strncmp(where + 2, lo->name, strlen(lo->name)) != 0)
            is_long = false; /* a bad letter in "-xv" after a long option: the letter is at fault */
        if (r == ':' && is_long) cli_usage_error(c->cmd, "option '%s' needs a value", typed(c, where));
        else if (r == ':') cli_usage_error(c->cmd, "option '-%c' needs a value", optopt);
        else if (is_long && optopt) cli_usage_error(c->cmd, "option '--%s' takes no value (in '%s')", lo->name, where);
        else if (is_long) cli_usage_error(c->cmd, "unknown or ambiguous option '%s'", typed(c, where));
        else cli_usage_error(c->cmd, "unknown option '-%c'", optopt);
        return '?';
    }
    /* Name the option in full for messages about its value (an abbreviation such as "--max-c"
     * is accepted when unique). */
    if (idx >= 0) snprintf(c->namebuf, sizeof c->namebuf, "--%s", c->longopts[idx].name);
    else snprintf(c->namebuf, sizeof c->namebuf, "-%c", r);
    c->name = c->namebuf;
    return r;
}

int cli_bad_value(const cli *c, const char *value, const char *want)
{
    if (want) return cli_usage_error(c->cmd, "bad value '%s' for %s (%s)", value, c->name, want);
    return cli_usage_error(c->cmd, "bad value '%s' for %s", value, c->name);
}

bool cli_parse_u32(const char *text, uint32_t lo, uint32_t hi, uint32_t *out)
{
    if (!text || *text < '0' || *text > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno || v < lo || v > hi) return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_seconds(const char *text, bool zero_ok, double *out)
{
    if (!text || !*text || *text == '-' || *text == '+') return false;
    char *end;
    double v = strtod(text, &end);
    if (*end || !(v >= 0) || (!zero_ok && !(v > 0)) || v > 86400) return false;
    *out = v;
    return true;
}

void cli_version(FILE *f)
{
    fprintf(f, "synack %s\n"
               "A user-space TCP/IP stack. MIT licence: free to use, change and share; no warranty.\n",
            SYNACK_VERSION);
}
