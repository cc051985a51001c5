/* format.h: the output formats every command shares: JSON (a small streaming writer with correct
 * string escaping), durations and byte counts as people read them, and endpoints in the columns
 * and wildcard forms of Linux netstat ("0.0.0.0:*", ":::80", "2001:db8::2:80"). No protocol
 * knowledge: callers hand in values. */
#ifndef SYNACK_TOOLS_FORMAT_H
#define SYNACK_TOOLS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/types.h>

/* ---- JSON ---- */
/* Nesting is tracked so that commas come out right; depth is bounded (JSON_MAX_DEPTH). */
#define JSON_MAX_DEPTH 16
typedef struct json_out {
    FILE *f;
    int depth;
    bool first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
    bool after_key;             /* a key was just written: the value needs no comma */
} json_out;

void json_begin(json_out *j, FILE *f);
void json_obj_open(json_out *j, const char *key);   /* key NULL inside arrays or at top */
void json_obj_close(json_out *j);
void json_arr_open(json_out *j, const char *key);
void json_arr_close(json_out *j);
void json_str(json_out *j, const char *key, const char *v); /* v NULL: null */
void json_u64(json_out *j, const char *key, uint64_t v);
void json_i64(json_out *j, const char *key, int64_t v);
void json_bool(json_out *j, const char *key, bool v);
void json_null(json_out *j, const char *key);
/* A number of seconds with millisecond precision, from microseconds. */
void json_secs(json_out *j, const char *key, uint64_t us);
/* Writes s as a JSON string literal (quotes included). */
void json_escape(FILE *f, const char *s);

/* ---- text building ---- */
/* printf-style text appended to buf at *n, never past cap (truncated, always terminated). */
void fmt_append(char *buf, size_t cap, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* s with <, >, & and " as XML/HTML entities; control bytes other than newline and tab left out
 * (terminal escapes, and what XML 1.0 cannot carry). */
void fmt_xml_escape(FILE *f, const char *s);

/* ---- people's units ---- */
/* "0.20", "59.12": seconds with two decimals, as netstat -o writes timers. */
char *fmt_secs2(uint64_t us, char *buf, size_t cap);
/* "450ms", "12.3s", "4m05s", "2h00m", "3d04h": a duration for prose and -e. */
char *fmt_duration(uint64_t us, char *buf, size_t cap);
/* "0.205" milliseconds with three decimals, as ss -i writes rtt and rto. */
char *fmt_ms3(uint64_t us, char *buf, size_t cap);
/* A rate in bits per second as ss writes it: "9.81Mbps", "1.20Gbps", "640bps". */
char *fmt_bps(uint64_t bps, char *buf, size_t cap);

/* ---- endpoints as Linux netstat writes them ---- */
/* addr:port; an IPv6 wildcard is "::" so that the port reads ":::80"; port_wild writes "*". */
char *fmt_endpoint(const synack_endpoint *ep, bool port_wild, char *buf, size_t cap);

#endif
