/* trace_wire.c: how a running synack hands its events to `synack trace`. After the line
 * "synack-trace 1" the control socket sends one line per event, key=value words in numbers only
 * (the client names them with the library it links), and "lost n=N" where a slow reader's buffer
 * had no room. Unknown keys are skipped, so either side may grow. Lines from the socket are
 * parsed as untrusted text: every field is range-checked. */
#include "trace_live.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool trace_wire_carries(const synack_event *ev)
{
    switch (ev->type) {
    case SYNACK_EV_STATE:
    case SYNACK_EV_TIMER:
    case SYNACK_EV_RETRANSMIT:
    case SYNACK_EV_DROP:
    case SYNACK_EV_CC:
    case SYNACK_EV_ERROR: return true;
    default: return false;
    }
}

static void addr_text(const synack_addr *a, char *buf, size_t cap)
{
    if (!inet_ntop(a->family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)cap))
        snprintf(buf, cap, "-");
}

size_t trace_wire_write(char *buf, size_t cap, const synack_event *ev)
{
    char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
    addr_text(&ev->local.addr, la, sizeof la);
    addr_text(&ev->remote.addr, ra, sizeof ra);
    /* pv: time in the old state, -1 when unknown. */
    long long prev = ev->prev_state_us == SYNACK_TIME_NEVER ? -1 : (long long)ev->prev_state_us;
    int n = snprintf(buf, cap,
                     "e t=%" PRIu64 " k=%u id=%" PRIu32 " sd=%d la=%s lp=%u ra=%s rp=%u f=%u o=%u ck=%u "
                     "cd=%u pv=%lld sq=%" PRIu32 " ln=%" PRIu32 " r=%u err=%d\n",
                     (uint64_t)ev->time, ev->type, ev->conn_id, ev->socket, la, ev->local.port, ra,
                     ev->remote.port, ev->from, ev->to, ev->cause.kind, ev->cause.detail, prev, ev->seq,
                     ev->len, ev->reason, ev->err);
    if (n > 0 && (size_t)n < cap && ev->type == SYNACK_EV_CC) {
        /* Congestion control: algorithm, phases, window, threshold, pacing rate. */
        n--; /* over the newline */
        int m = snprintf(buf + n, cap - (size_t)n, " ca=%u cf=%u ct=%u cw=%" PRIu32 " ss=%" PRIu32 " pr=%" PRIu64 "\n",
                         ev->cc_algo, ev->cc_from, ev->cc_to, ev->cwnd, ev->ssthresh, ev->pacing_rate);
        n = m > 0 ? n + m : -1;
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static bool get_u64(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    if (*v < '0' || *v > '9') return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x > max) return false;
    *out = x;
    return true;
}

bool trace_wire_parse(const char *line, trace_item *it)
{
    memset(it, 0, sizeof *it);
    char copy[TRACE_LINE_MAX + 1];
    size_t n = strlen(line);
    if (n > TRACE_LINE_MAX) return false;
    memcpy(copy, line, n + 1);
    if (!strncmp(copy, "lost n=", 7)) {
        it->lost_line = true;
        return get_u64(copy + 7, UINT64_MAX, &it->lost);
    }
    if (strncmp(copy, "e ", 2)) return false;
    synack_event *ev = &it->ev;
    ev->prev_state_us = SYNACK_TIME_NEVER;
    ev->socket = -1;
    unsigned seen = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy + 2, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq) return false;
        *eq = 0;
        const char *k = w, *v = eq + 1;
        uint64_t x = 0;
        bool ok = true;
        if (!strcmp(k, "t")) ok = get_u64(v, UINT64_MAX - 1, &x), ev->time = x, seen |= 1;
        else if (!strcmp(k, "k")) ok = get_u64(v, 255, &x), ev->type = (uint8_t)x, seen |= 2;
        else if (!strcmp(k, "id")) ok = get_u64(v, UINT32_MAX, &x), ev->conn_id = (uint32_t)x;
        else if (!strcmp(k, "sd")) ev->socket = atoi(v);
        else if (!strcmp(k, "la")) ok = synack_addr_parse(v, &ev->local.addr), seen |= 4;
        else if (!strcmp(k, "ra")) ok = synack_addr_parse(v, &ev->remote.addr), seen |= 8;
        else if (!strcmp(k, "lp")) ok = get_u64(v, 65535, &x), ev->local.port = (uint16_t)x;
        else if (!strcmp(k, "rp")) ok = get_u64(v, 65535, &x), ev->remote.port = (uint16_t)x;
        else if (!strcmp(k, "f")) ok = get_u64(v, SYNACK_STATE_COUNT - 1, &x), ev->from = (uint8_t)x;
        else if (!strcmp(k, "o")) ok = get_u64(v, SYNACK_STATE_COUNT - 1, &x), ev->to = (uint8_t)x;
        else if (!strcmp(k, "ck")) ok = get_u64(v, SYNACK_CAUSE_ICMP, &x), ev->cause.kind = (uint8_t)x;
        else if (!strcmp(k, "cd")) ok = get_u64(v, 255, &x), ev->cause.detail = (uint8_t)x;
        else if (!strcmp(k, "pv")) {
            if (strcmp(v, "-1")) ok = get_u64(v, UINT64_MAX - 1, &x), ev->prev_state_us = x;
        } else if (!strcmp(k, "sq")) ok = get_u64(v, UINT32_MAX, &x), ev->seq = (uint32_t)x;
        else if (!strcmp(k, "ln")) ok = get_u64(v, UINT32_MAX, &x), ev->len = (uint32_t)x;
        else if (!strcmp(k, "r")) ok = get_u64(v, 65535, &x), ev->reason = (uint16_t)x;
        else if (!strcmp(k, "err")) ev->err = atoi(v);
        else if (!strcmp(k, "ca")) ok = get_u64(v, 255, &x), ev->cc_algo = (uint8_t)x;
        else if (!strcmp(k, "cf")) ok = get_u64(v, SYNACK_CC_PHASE_COUNT - 1, &x), ev->cc_from = (uint8_t)x;
        else if (!strcmp(k, "ct")) ok = get_u64(v, SYNACK_CC_PHASE_COUNT - 1, &x), ev->cc_to = (uint8_t)x;
        else if (!strcmp(k, "cw")) ok = get_u64(v, UINT32_MAX, &x), ev->cwnd = (uint32_t)x;
        else if (!strcmp(k, "ss")) ok = get_u64(v, UINT32_MAX, &x), ev->ssthresh = (uint32_t)x;
        else if (!strcmp(k, "pr")) ok = get_u64(v, UINT64_MAX, &x), ev->pacing_rate = x;
        if (!ok) return false;
    }
    return seen == 15;
}
