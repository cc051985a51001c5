/* impair_text.c: parses and formats the --impair text (impair_text.h). No device, no stack. */
#include "impair_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_prob(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno) return false;
    if (!strcmp(end, "%")) x /= 100.0;
    else if (*end) return false;
    if (!(x >= 0.0 && x <= 1.0)) return false;
    *out = x;
    return true;
}

static bool parse_duration(const char *v, uint64_t *out_us)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || !(x >= 0.0)) return false;
    double mult;
    if (!*end || !strcasecmp(end, "ms")) mult = 1e3;
    else if (!strcasecmp(end, "us")) mult = 1.0;
    else if (!strcasecmp(end, "s")) mult = 1e6;
    else return false;
    x *= mult;
    if (x > 3.6e9) return false; /* an hour is surely a typo */
    *out_us = (uint64_t)(x + 0.5);
    return true;
}

static bool parse_rate(const char *v, uint64_t *out_bps)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || !(x > 0.0)) return false;
    double mult;
    if (!*end || !strcasecmp(end, "bit") || !strcasecmp(end, "bps")) mult = 1.0;
    else if (!strcasecmp(end, "kbit")) mult = 1e3;
    else if (!strcasecmp(end, "mbit")) mult = 1e6;
    else if (!strcasecmp(end, "gbit")) mult = 1e9;
    else return false;
    x *= mult;
    if (x < 1.0 || x > 1e12) return false;
    *out_bps = (uint64_t)(x + 0.5);
    return true;
}

static bool parse_count(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (end == v || *end || errno || x > max || *v == '-') return false;
    *out = x;
    return true;
}

bool impair_parse(const char *spec, synack_impair *out, uint64_t *seed, char *err, size_t errcap)
{
    synack_impair imp;
    memset(&imp, 0, sizeof imp);
    bool reorder_delay_set = false;
    char *copy = strdup(spec ? spec : "");
    if (!copy) {
        snprintf(err, errcap, "out of memory");
        return false;
    }
    bool ok = true;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errcap, "'%s' is not name=value", tok);
            ok = false;
            break;
        }
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        uint64_t n = 0;
        if (!strcmp(k, "loss")) ok = parse_prob(v, &imp.loss);
        else if (!strcmp(k, "duplicate") || !strcmp(k, "dup")) ok = parse_prob(v, &imp.duplicate);
        else if (!strcmp(k, "corrupt")) ok = parse_prob(v, &imp.corrupt);
        else if (!strcmp(k, "reorder")) ok = parse_prob(v, &imp.reorder);
        else if (!strcmp(k, "delay")) ok = parse_duration(v, &imp.delay_us);
        else if (!strcmp(k, "jitter")) ok = parse_duration(v, &imp.jitter_us);
        else if (!strcmp(k, "reorder_delay")) {
            ok = parse_duration(v, &imp.reorder_delay_us);
            reorder_delay_set = true;
        } else if (!strcmp(k, "rate")) ok = parse_rate(v, &imp.rate_bps);
        else if (!strcmp(k, "limit")) {
            ok = parse_count(v, UINT32_MAX, &n);
            imp.queue_limit = (uint32_t)n;
        } else if (!strcmp(k, "ce")) {
            ok = parse_count(v, UINT32_MAX, &n);
            imp.ce_threshold = (uint32_t)n;
        } else if (!strcmp(k, "seed")) {
            ok = parse_count(v, UINT64_MAX, &n);
            if (ok && seed) *seed = n;
        } else {
            snprintf(err, errcap, "unknown impairment '%s' (known: loss, delay, jitter, reorder, "
                                  "reorder_delay, duplicate, corrupt, rate, limit, ce, seed)", k);
            ok = false;
            break;
        }
        if (!ok) snprintf(err, errcap, "bad value '%s' for %s", v, k);
    }
    free(copy);
    if (!ok) return false;
    if (imp.reorder > 0 && !reorder_delay_set) imp.reorder_delay_us = 10000;
    *out = imp;
    return true;
}

char *impair_format(const synack_impair *imp, char *buf, size_t cap)
{
    size_t n = 0;
#define PUT(...)                                                                 \
    do {                                                                         \
        int w_ = snprintf(buf + n, cap > n ? cap - n : 0, __VA_ARGS__);          \
        if (w_ > 0) n += (size_t)w_;                                             \
    } while (0)
    if (cap) buf[0] = 0;
    if (imp->loss > 0) PUT("%sloss=%.2f%%", n ? " " : "", imp->loss * 100);
    if (imp->delay_us) PUT("%sdelay=%.3fms", n ? " " : "", (double)imp->delay_us / 1e3);
    if (imp->jitter_us) PUT("%sjitter=%.3fms", n ? " " : "", (double)imp->jitter_us / 1e3);
    if (imp->reorder > 0)
        PUT("%sreorder=%.2f%%/%.3fms", n ? " " : "", imp->reorder * 100,
            (double)imp->reorder_delay_us / 1e3);
    if (imp->duplicate > 0) PUT("%sduplicate=%.2f%%", n ? " " : "", imp->duplicate * 100);
    if (imp->corrupt > 0) PUT("%scorrupt=%.2f%%", n ? " " : "", imp->corrupt * 100);
    if (imp->rate_bps) PUT("%srate=%llubit/s", n ? " " : "", (unsigned long long)imp->rate_bps);
    if (imp->queue_limit) PUT("%slimit=%u", n ? " " : "", imp->queue_limit);
    if (imp->ce_threshold) PUT("%sce=%u", n ? " " : "", imp->ce_threshold);
    if (!n) PUT("none");
#undef PUT
    return buf;
}

