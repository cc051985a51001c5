/* names.c: names and text forms of states, timers, calls, flags, addresses and events, from the
 * X-macro lists in the public headers (written once). Formats into caller buffers only. */
#include <stdio.h>
#include <string.h>

#include <synack/event.h>
#include <synack/inspect.h>
#include <synack/stack.h>

static const char *const state_rfc[] = {
#define SYNACK_X(id, rfc, ns) rfc,
    SYNACK_TCP_STATES(SYNACK_X)
#undef SYNACK_X
};
static const char *const state_ns[] = {
#define SYNACK_X(id, rfc, ns) ns,
    SYNACK_TCP_STATES(SYNACK_X)
#undef SYNACK_X
};
static const char *const timer_names[] = {
#define SYNACK_X(id, name) name,
    SYNACK_TIMERS(SYNACK_X)
#undef SYNACK_X
};
static const char *const call_names[] = {
#define SYNACK_X(id, name) name,
    SYNACK_CALLS(SYNACK_X)
#undef SYNACK_X
};
static const char *const rexmit_names[] = {
#define SYNACK_X(id, name) name,
    SYNACK_REXMIT_REASONS(SYNACK_X)
#undef SYNACK_X
};
static const char *const cc_phase_names[] = {
#define SYNACK_X(id, name) name,
    SYNACK_CC_PHASES(SYNACK_X)
#undef SYNACK_X
};
static const char *const cc_reason_names[] = {
#define SYNACK_X(id, name) name,
    SYNACK_CC_REASONS(SYNACK_X)
#undef SYNACK_X
};
static const char *const counter_names[] = {
#define SYNACK_X(id, text) #id,
    SYNACK_COUNTERS(SYNACK_X)
#undef SYNACK_X
};
static const char *const counter_texts[] = {
#define SYNACK_X(id, text) text,
    SYNACK_COUNTERS(SYNACK_X)
#undef SYNACK_X
};

#define NAME_OF(table, i) ((i) >= 0 && (size_t)(i) < sizeof table / sizeof table[0] ? table[i] : "?")

const char *synack_state_rfc_name(int s) { return NAME_OF(state_rfc, s); }
const char *synack_state_netstat_name(int s) { return NAME_OF(state_ns, s); }
const char *synack_timer_name(int t) { return NAME_OF(timer_names, t); }
const char *synack_call_name(int c) { return NAME_OF(call_names, c); }
const char *synack_rexmit_reason_name(int r) { return NAME_OF(rexmit_names, r); }
const char *synack_cc_phase_name(int p) { return NAME_OF(cc_phase_names, p); }
const char *synack_cc_reason_name(int r) { return NAME_OF(cc_reason_names, r); }
const char *synack_counter_name(int c) { return NAME_OF(counter_names, c); }
const char *synack_counter_text(int c) { return NAME_OF(counter_texts, c); }

char *synack_flags_format(uint8_t flags, char *buf, size_t cap)
{
    static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    /* Print in the order people say them: SYN, FIN, RST, PSH, ACK, ... */
    static const int order[] = {1, 0, 2, 3, 4, 5, 6, 7};
    size_t n = 0;
    if (cap) buf[0] = 0;
    for (int k = 0; k < 8; k++) {
        int i = order[k];
        if (!(flags & (1u << i))) continue;
        int w = snprintf(buf + n, cap > n ? cap - n : 0, "%s%s", n ? "," : "", names[i]);
        if (w > 0) n += (size_t)w;
    }
    if (n == 0 && cap) snprintf(buf, cap, "none");
    return buf;
}

/* IPv6 text per RFC 5952: lower case, the longest run of two or more zero groups as "::". */
static void format6(const uint8_t *b, char *buf, size_t cap)
{
    uint16_t g[8];
    int best = -1, best_len = 1;
    for (int i = 0; i < 8; i++) g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > best_len) best = i, best_len = j - i;
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        int w;
        if (i == best) {
            w = snprintf(buf + n, cap > n ? cap - n : 0, "::");
            i += best_len - 1;
        } else {
            bool colon = i > 0 && i != best + best_len;
            w = snprintf(buf + n, cap > n ? cap - n : 0, "%s%x", colon ? ":" : "", g[i]);
        }
        if (w > 0) n += (size_t)w;
    }
}

char *synack_addr_format(const synack_addr *a, char *buf, size_t cap)
{
    if (a->family == SYNACK_AF_INET6) format6(a->bytes, buf, cap);
    else snprintf(buf, cap, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* IPv6 text: groups of 1-4 hex digits, at most one "::". (Embedded IPv4 is not accepted.) */
static bool parse6(const char *s, uint8_t out[16])
{
    uint16_t head[8], tail[8];
    int nh = 0, nt = 0;
    bool gap = false;
    if (s[0] == ':' && s[1] == ':') {
        gap = true;
        s += 2;
    } else if (s[0] == ':') {
        return false;
    }
    while (*s) {
        int v = 0, digits = 0;
        while (hexval(*s) >= 0 && digits < 5) v = v * 16 + hexval(*s++), digits++;
        if (digits == 0 || digits > 4 || nh + nt == 8) return false;
        if (gap) tail[nt++] = (uint16_t)v;
        else head[nh++] = (uint16_t)v;
        if (*s == 0) break;
        if (*s != ':') return false;
        s++;
        if (*s == ':') {
            if (gap) return false;
            gap = true;
            s++;
            if (*s == 0) break;
        } else if (*s == 0) {
            return false;
        }
    }
    if (gap ? nh + nt > 7 : nh != 8) return false;
    memset(out, 0, 16);
    for (int i = 0; i < nh; i++) out[2 * i] = (uint8_t)(head[i] >> 8), out[2 * i + 1] = (uint8_t)head[i];
    for (int i = 0; i < nt; i++) {
        int k = 8 - nt + i;
        out[2 * k] = (uint8_t)(tail[i] >> 8);
        out[2 * k + 1] = (uint8_t)tail[i];
    }
    return true;
}

bool synack_addr_parse(const char *text, synack_addr *out)
{
    unsigned b[4];
    char tail;
    if (strchr(text, ':')) {
        synack_addr a = {SYNACK_AF_INET6, {0}};
        if (!parse6(text, a.bytes)) return false;
        *out = a;
        return true;
    }
    if (sscanf(text, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4) return false;
    for (int i = 0; i < 4; i++)
        if (b[i] > 255) return false;
    *out = synack_addr_v4((uint8_t)b[0], (uint8_t)b[1], (uint8_t)b[2], (uint8_t)b[3]);
    return true;
}

static void cause_format(const synack_cause *c, char *buf, size_t cap)
{
    char f[32];
    switch (c->kind) {
    case SYNACK_CAUSE_SEGMENT:
        snprintf(buf, cap, "rcv %s", synack_flags_format(c->detail, f, sizeof f));
        break;
    case SYNACK_CAUSE_TIMER:
        snprintf(buf, cap, "timer %s", synack_timer_name(c->detail));
        break;
    case SYNACK_CAUSE_ICMP:
        snprintf(buf, cap, "ICMP error: %s", strerror(c->detail));
        break;
    default:
        snprintf(buf, cap, "user %s", synack_call_name(c->detail));
        break;
    }
}

char *synack_event_format(const synack_event *ev, char *buf, size_t cap)
{
    char l[48], r[48], c[48];
    synack_addr_format(&ev->local.addr, l, sizeof l);
    synack_addr_format(&ev->remote.addr, r, sizeof r);
    cause_format(&ev->cause, c, sizeof c);
    unsigned long long s = (unsigned long long)(ev->time / 1000000u);
    unsigned long us = (unsigned long)(ev->time % 1000000u);
    int n = snprintf(buf, cap, "%6llu.%06lu conn %-3u %s:%u > %s:%u  ", s, us, (unsigned)ev->conn_id,
                     l, ev->local.port, r, ev->remote.port);
    size_t off = n > 0 ? (size_t)n : 0;
    if (off >= cap) return buf;
    switch (ev->type) {
    case SYNACK_EV_STATE:
        snprintf(buf + off, cap - off, "%s -> %s (%s)", synack_state_rfc_name(ev->from),
                 synack_state_rfc_name(ev->to), c);
        break;
    case SYNACK_EV_ERROR:
        snprintf(buf + off, cap - off, "error %s", strerror(ev->err));
        break;
    case SYNACK_EV_TIMER:
        snprintf(buf + off, cap - off, "timer %s fired in %s", synack_timer_name(ev->cause.detail),
                 synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_ACCEPTABLE: snprintf(buf + off, cap - off, "connection ready to accept"); break;
    case SYNACK_EV_CONNECTED: snprintf(buf + off, cap - off, "connected"); break;
    case SYNACK_EV_READABLE: snprintf(buf + off, cap - off, "readable"); break;
    case SYNACK_EV_WRITABLE: snprintf(buf + off, cap - off, "writable"); break;
    case SYNACK_EV_RETRANSMIT:
        snprintf(buf + off, cap - off, "retransmit seq %u len %u (%s) in %s", (unsigned)ev->seq,
                 (unsigned)ev->len, synack_rexmit_reason_name(ev->reason), synack_state_rfc_name(ev->from));
        break;
    case SYNACK_EV_DROP:
        snprintf(buf + off, cap - off, "drop seq %u len %u: %s", (unsigned)ev->seq, (unsigned)ev->len,
                 synack_counter_text(ev->reason));
        break;
    case SYNACK_EV_CC: {
        const char *algo = synack_cc_name(ev->cc_algo);
        snprintf(buf + off, cap - off, "cc %s %s -> %s (%s) cwnd %u ssthresh %u pacing %llu",
                 algo ? algo : "?", synack_cc_phase_name(ev->cc_from), synack_cc_phase_name(ev->cc_to),
                 synack_cc_reason_name(ev->reason), (unsigned)ev->cwnd, (unsigned)ev->ssthresh,
                 (unsigned long long)ev->pacing_rate);
        break;
    }
    default: snprintf(buf + off, cap - off, "event %d", ev->type); break;
    }
    return buf;
}
