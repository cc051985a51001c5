/* format.c: shared output formats (see format.h). */
#include "format.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

void json_begin(json_out *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = true;
}

static void json_sep(json_out *j, const char *key)
{
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = false;
    if (key) {
        json_escape(j->f, key);
        fputc(':', j->f);
    }
}

static void json_open(json_out *j, const char *key, char c)
{
    json_sep(j, key);
    fputc(c, j->f);
    if (j->depth < JSON_MAX_DEPTH - 1) j->depth++;
    j->first[j->depth] = true;
}

static void json_close(json_out *j, char c)
{
    fputc(c, j->f);
    if (j->depth > 0) j->depth--;
    if (j->depth == 0) fputc('\n', j->f);
}

void json_obj_open(json_out *j, const char *key) { json_open(j, key, '{'); }
void json_obj_close(json_out *j) { json_close(j, '}'); }
void json_arr_open(json_out *j, const char *key) { json_open(j, key, '['); }
void json_arr_close(json_out *j) { json_close(j, ']'); }

void json_escape(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f); /* UTF-8 passes through: JSON text is UTF-8 */
        }
    }
    fputc('"', f);
}

void json_str(json_out *j, const char *key, const char *v)
{
    json_sep(j, key);
    if (v) json_escape(j->f, v);
    else fputs("null", j->f);
}

void json_u64(json_out *j, const char *key, uint64_t v)
{
    json_sep(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void json_i64(json_out *j, const char *key, int64_t v)
{
    json_sep(j, key);
    fprintf(j->f, "%" PRId64, v);
}

void json_bool(json_out *j, const char *key, bool v)
{
    json_sep(j, key);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json_out *j, const char *key)
{
    json_sep(j, key);
    fputs("null", j->f);
}

void json_secs(json_out *j, const char *key, uint64_t us)
{
    json_sep(j, key);
    fprintf(j->f, "%" PRIu64 ".%03" PRIu64, us / 1000000u, (us / 1000u) % 1000u);
}

char *fmt_secs2(uint64_t us, char *buf, size_t cap)
{
    uint64_t cs = (us + 5000) / 10000; /* hundredths, rounded */
    snprintf(buf, cap, "%" PRIu64 ".%02" PRIu64, cs / 100, cs % 100);
    return buf;
}

char *fmt_ms3(uint64_t us, char *buf, size_t cap)
{
    snprintf(buf, cap, "%" PRIu64 ".%03" PRIu64, us / 1000u, us % 1000u);
    return buf;
}

char *fmt_bps(uint64_t bps, char *buf, size_t cap)
{
    if (bps >= 1000000000u) snprintf(buf, cap, "%.2fGbps", (double)bps / 1e9);
    else if (bps >= 1000000u) snprintf(buf, cap, "%.2fMbps", (double)bps / 1e6);
    else if (bps >= 1000u) snprintf(buf, cap, "%.2fKbps", (double)bps / 1e3);
    else snprintf(buf, cap, "%" PRIu64 "bps", bps);
    return buf;
}

char *fmt_duration(uint64_t us, char *buf, size_t cap)
{
    uint64_t s = us / 1000000u;
    if (us < 1000000u) snprintf(buf, cap, "%" PRIu64 "ms", (us + 500) / 1000u);
    else if (s < 60) snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 "s", s, (us / 100000u) % 10u);
    else if (s < 3600) snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 86400) snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s / 60) % 60);
    else snprintf(buf, cap, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, (s / 3600) % 24);
    return buf;
}

char *fmt_endpoint(const synack_endpoint *ep, bool port_wild, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    /* inet_ntop, as netstat and ss: "::ffff:198.18.0.1" for a mapped address */
    if (!inet_ntop(ep->addr.family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, ep->addr.bytes, a, sizeof a))
        snprintf(a, sizeof a, "?");
    if (port_wild) snprintf(buf, cap, "%s:*", a);
    else snprintf(buf, cap, "%s:%u", a, ep->port);
    return buf;
}

void fmt_append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (w > 0) *n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

void fmt_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t') fputc(*s, f);
            break;
        }
    }
}
