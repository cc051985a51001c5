/* netstat_render.c: rows, the ss-style filter, and the outputs of `synack netstat`: the table in
 * Linux netstat's columns (-o timers, -e details as ss -i writes them, -p owners), JSON, and the
 * explanation and diagnosis sections. Formats come from format.c. */
#include "netstat.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"

/* ---- rows ---- */

void ns_row_init(ns_row *r)
{
    memset(r, 0, sizeof *r);
    r->bytes_acked = r->bytes_received = NS_UNKNOWN;
    r->state_age_us = r->est_left_us = NS_UNKNOWN;
    r->ssthresh = UINT32_MAX;
    r->snd_wnd = r->rcv_wnd = UINT32_MAX;
    r->sd = -1;
}

ns_row *ns_table_add(ns_table *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        ns_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    ns_row *r = &t->rows[t->n++];
    ns_row_init(r);
    return r;
}

void ns_table_free(ns_table *t)
{
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}

void ns_row_from_conn(ns_row *r, const synack_conn_info *ci)
{
    ns_row_init(r);
    r->state = ci->state;
    r->dual_stack = ci->dual_stack;
    r->local = ci->local;
    r->remote = ci->remote;
    r->recv_q = ci->recv_q;
    r->send_q = ci->send_q;
    r->timer = ci->nt_timer;
    r->timer_us = ci->nt_remaining_us;
    r->timer_retrans = ci->nt_retransmits;
    r->timer_probes = ci->nt_probes;
    r->conn_id = ci->conn_id;
    r->sd = ci->socket;
    r->has_info = true;
    r->srtt_us = ci->srtt_us;
    r->rttvar_us = ci->rttvar_us;
    r->rto_us = ci->rto_us;
    r->mss = ci->snd_mss;
    uint32_t mss = ci->snd_mss ? ci->snd_mss : 1;
    r->cwnd = ci->cwnd / mss;
    r->ssthresh = ci->ssthresh >= 0x3fffffff ? UINT32_MAX : ci->ssthresh / mss;
    r->snd_wnd = ci->snd_wnd;
    r->rcv_wnd = ci->rcv_wnd;
    r->retrans_total = ci->retransmits_total;
    r->bytes_acked = ci->bytes_acked;
    r->bytes_received = ci->bytes_received;
    r->state_age_us = ci->state_age_us;
    r->ts_ok = ci->ts_ok;
    r->sack_ok = ci->sack_ok;
    r->ws_ok = ci->ws_ok;
    r->snd_wscale = ci->snd_wscale;
    r->rcv_wscale = ci->rcv_wscale;
    snprintf(r->cc, sizeof r->cc, "%s", ci->cc_name ? ci->cc_name : "");
    snprintf(r->cc_phase, sizeof r->cc_phase, "%s", ci->cc_phase ? ci->cc_phase : "");
    r->has_cc_detail = ci->cc_name && ci->cc_name[0];
    snprintf(r->cc_state, sizeof r->cc_state, "%s", synack_cc_phase_name(ci->cc_state));
    r->min_rtt_us = ci->min_rtt_us;
    r->delivery_rate = ci->delivery_rate;
    r->delivery_app_limited = ci->delivery_rate_app_limited;
    r->pacing_rate = ci->pacing_rate;
    r->ecn_ok = ci->ecn_ok;
    r->ecn_ece_echo = ci->ecn_ece_echo;
    r->ecn_cwr_pending = ci->ecn_cwr_pending;
    r->ecn_ce_rcvd = ci->ecn_ce_rcvd;
    r->tlp_total = ci->tlp_total;
    r->undo_total = ci->undo_total;
    synack_time_us est = ci->deadline_us[SYNACK_TIMER_CONN_EST];
    if (est != SYNACK_TIME_NEVER && ci->nt_timer == SYNACK_NT_ON) {
        /* The deadline is absolute on the stack's clock; the timer's time left is on the same
         * clock, so the establishment's time left is their difference plus that. */
        synack_time_us rex = ci->deadline_us[SYNACK_TIMER_REXMT];
        synack_time_us shown = rex < est ? rex : est;
        r->est_left_us = est - shown + ci->nt_remaining_us;
    }
}

/* ---- filter ---- */

static const struct { const char *word; uint32_t mask; } state_groups[] = {
    {"all", (1u << SYNACK_STATE_COUNT) - 1},
    {"connected", ((1u << SYNACK_STATE_COUNT) - 1) & ~(1u << SYNACK_LISTEN) & ~(1u << SYNACK_CLOSED)},
    {"synchronized", ((1u << SYNACK_STATE_COUNT) - 1) & ~(1u << SYNACK_LISTEN) & ~(1u << SYNACK_CLOSED) &
                         ~(1u << SYNACK_SYN_SENT)},
    {"bucket", (1u << SYNACK_SYN_RECEIVED) | (1u << SYNACK_TIME_WAIT)},
    {"big", ((1u << SYNACK_STATE_COUNT) - 1) & ~(1u << SYNACK_SYN_RECEIVED) & ~(1u << SYNACK_TIME_WAIT)},
    {"listening", 1u << SYNACK_LISTEN},
    {"closed", 1u << SYNACK_CLOSED},
    {"syn-recv", 1u << SYNACK_SYN_RECEIVED},
    {"fin-wait-1", 1u << SYNACK_FIN_WAIT_1},
    {"fin-wait-2", 1u << SYNACK_FIN_WAIT_2},
};

/* "SYN_RECV", "syn-recv", "SYN-RECEIVED", "syn_received" all compare equal: case and - vs _. */
static bool word_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if ((x | 0x20) != (y | 0x20) && !(x == '-' && y == '-')) return false;
    }
    return !*a && !*b;
}

uint32_t ns_state_mask(const char *w)
{
    for (size_t i = 0; i < sizeof state_groups / sizeof state_groups[0]; i++)
        if (word_eq(w, state_groups[i].word)) return state_groups[i].mask;
    for (int s = 0; s < SYNACK_STATE_COUNT; s++)
        if (word_eq(w, synack_state_rfc_name(s)) || word_eq(w, synack_state_netstat_name(s)))
            return 1u << s;
    return 0;
}

static bool parse_op(const char *w, uint8_t *op)
{
    static const struct { const char *w; uint8_t op; } ops[] = {
        {"=", NS_EQ}, {"==", NS_EQ}, {"eq", NS_EQ}, {"!=", NS_NE}, {"ne", NS_NE}, {"neq", NS_NE},
        {"<", NS_LT}, {"lt", NS_LT}, {"<=", NS_LE}, {"le", NS_LE}, {">", NS_GT}, {"gt", NS_GT},
        {">=", NS_GE}, {"ge", NS_GE}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(w, ops[i].w)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

static bool parse_port(const char *w, uint16_t *port)
{
    if (*w == ':') w++;
    char *end;
    long p = strtol(w, &end, 10);
    if (!*w || *end || p < 0 || p > 65535) return false;
    *port = (uint16_t)p;
    return true;
}

static bool parse_addr(const char *w, synack_addr *a)
{
    char buf[64];
    size_t n = strlen(w);
    if (n >= sizeof buf) return false;
    if (w[0] == '[' && n > 2 && w[n - 1] == ']') {
        memcpy(buf, w + 1, n - 2);
        buf[n - 2] = 0;
    } else {
        memcpy(buf, w, n + 1);
    }
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, buf, a->bytes) == 1) a->family = SYNACK_AF_INET;
    else if (inet_pton(AF_INET6, buf, a->bytes) == 1) a->family = SYNACK_AF_INET6;
    else return false;
    return true;
}

bool ns_filter_parse(ns_filter *f, int argc, char **argv, char *err, size_t cap)
{
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (!strcmp(w, "and") || !strcmp(w, "&&") || !strcmp(w, "(") || !strcmp(w, ")")) continue;
        if (!strcmp(w, "or") || !strcmp(w, "||") || !strcmp(w, "not") || !strcmp(w, "!")) {
            snprintf(err, cap, "'%s': only 'and' joins filter words here (ss's or/not are not "
                               "supported); every word must hold", w);
            return false;
        }
        if (!strcmp(w, "state") || !strcmp(w, "exclude") || !strcmp(w, "excl")) {
            if (i + 1 >= argc) {
                snprintf(err, cap, "'%s' needs a state name (e.g. established, time-wait, listening)", w);
                return false;
            }
            uint32_t m = ns_state_mask(argv[++i]);
            if (!m) {
                snprintf(err, cap, "unknown state '%s' (established, syn-sent, syn-recv, fin-wait-1, "
                                   "fin-wait-2, time-wait, closed, close-wait, last-ack, listening, "
                                   "closing; all, connected, synchronized, bucket, big)", argv[i]);
                return false;
            }
            if (w[0] == 's') f->states |= m;
            else f->excluded |= m;
            continue;
        }
        /* "sport = :80", "sport=:80", "dport gt :1024", "sport :80" (= implied) */
        char head[16] = "", rest[64] = "";
        const char *eq = strpbrk(w, "=<>!");
        bool dport = !strncmp(w, "dport", 5), sport = !strncmp(w, "sport", 5);
        if (dport || sport) {
            if (f->n_ports >= NS_MAX_TERMS) {
                snprintf(err, cap, "too many port words (at most %d)", NS_MAX_TERMS);
                return false;
            }
            uint8_t op = NS_EQ;
            const char *pw;
            if (w[5]) { /* one word: sport=:80, sport>=:1024 */
                size_t k = strspn(w + 5, "=<>!");
                snprintf(head, sizeof head, "%.*s", (int)k, w + 5);
                snprintf(rest, sizeof rest, "%s", w + 5 + k);
                if (!eq || !parse_op(head, &op)) {
                    snprintf(err, cap, "cannot read '%s' (try: %s = :80)", w, dport ? "dport" : "sport");
                    return false;
                }
                pw = rest;
            } else {
                if (i + 1 < argc && parse_op(argv[i + 1], &op)) i++;
                if (i + 1 >= argc) {
                    snprintf(err, cap, "'%s' needs a port (e.g. %s = :80)", w, w);
                    return false;
                }
                pw = argv[++i];
            }
            uint16_t port;
            if (!parse_port(pw, &port)) {
                snprintf(err, cap, "bad port '%s' (a number 0-65535, optionally after ':')", pw);
                return false;
            }
            f->ports[f->n_ports].dst = dport;
            f->ports[f->n_ports].op = op;
            f->ports[f->n_ports].port = port;
            f->n_ports++;
            continue;
        }
        if (!strcmp(w, "src") || !strcmp(w, "dst")) {
            if (i + 1 >= argc || f->n_addrs >= NS_MAX_TERMS) {
                snprintf(err, cap, "'%s' needs an address", w);
                return false;
            }
            if (!parse_addr(argv[++i], &f->addrs[f->n_addrs].addr)) {
                snprintf(err, cap, "bad address '%s' for %s", argv[i], w);
                return false;
            }
            f->addrs[f->n_addrs].dst = w[0] == 'd';
            f->n_addrs++;
            continue;
        }
        snprintf(err, cap, "unknown filter word '%s' (state NAME, exclude NAME, sport OP :PORT, "
                           "dport OP :PORT, src ADDR, dst ADDR)", w);
        return false;
    }
    return true;
}

static bool cmp(unsigned a, uint8_t op, unsigned b)
{
    switch (op) {
    case NS_EQ: return a == b;
    case NS_NE: return a != b;
    case NS_LT: return a < b;
    case NS_LE: return a <= b;
    case NS_GT: return a > b;
    default: return a >= b;
    }
}

bool ns_filter_match(const ns_filter *f, const ns_row *r)
{
    uint32_t bit = 1u << r->state;
    if (f->excluded & bit) return false;
    if (f->states) {
        if (!(f->states & bit)) return false;
    } else if (!f->all) { /* netstat: -l only servers, else (no -a) only non-servers */
        bool server = r->state == SYNACK_LISTEN;
        if (f->listening != server) return false;
    }
    if (f->family && r->local.addr.family != f->family &&
        !(r->dual_stack && f->family == SYNACK_AF_INET))
        return false;
    for (int i = 0; i < f->n_ports; i++) {
        uint16_t p = f->ports[i].dst ? r->remote.port : r->local.port;
        if (!cmp(p, f->ports[i].op, f->ports[i].port)) return false;
    }
    for (int i = 0; i < f->n_addrs; i++) {
        const synack_addr *a = f->addrs[i].dst ? &r->remote.addr : &r->local.addr;
        if (!synack_addr_eq(a, &f->addrs[i].addr)) return false;
    }
    return true;
}

/* ---- table ---- */

static const char *const timer_names[] = {"off", "on", "keepalive", "timewait", "probe"};

static const char *proto(const ns_row *r)
{
    return r->local.addr.family == SYNACK_AF_INET6 ? "tcp6" : "tcp";
}

static void owner_text(const ns_opts *o, const ns_table *t, const ns_row *r, char *buf, size_t cap)
{
    if (t->host) {
        if (r->pid > 0) snprintf(buf, cap, "%d/%s", r->pid, r->comm);
        else snprintf(buf, cap, "-");
    } else if (r->sd >= 0 && t->owner_pid > 0) {
        snprintf(buf, cap, "%d/%s", t->owner_pid, t->owner_comm);
    } else {
        snprintf(buf, cap, "-"); /* orphaned: closed by the application, the stack finishes it */
    }
}

static void details_line(FILE *out, const ns_row *r)
{
    char a[32], b[32], c[32];
    fputs("\t", out);
    if (!r->has_info) {
        if (r->state_age_us != NS_UNKNOWN) fprintf(out, " state_age:%s", fmt_duration(r->state_age_us, a, sizeof a));
        fputs(r->state_age_us == NS_UNKNOWN ? " (no details: a TIME-WAIT or request socket)\n" : "\n", out);
        return;
    }
    if (r->cc[0]) fprintf(out, " %s", r->cc);
    if (r->cc[0] && r->cc_phase[0]) fprintf(out, " phase:%s", r->cc_phase);
    /* The congestion response on, when there is one (the trace's phase, not the algorithm's). */
    if (r->has_cc_detail && r->cc_state[0] && strcmp(r->cc_state, r->cc_phase) && strcmp(r->cc_state, "none"))
        fprintf(out, " cc_state:%s", r->cc_state);
    if (r->ts_ok) fputs(" ts", out);
    if (r->sack_ok) fputs(" sack", out);
    if (r->ws_ok) fprintf(out, " wscale:%u,%u", r->snd_wscale, r->rcv_wscale);
    fprintf(out, " rto:%s rtt:%s/%s", fmt_ms3(r->rto_us, a, sizeof a), fmt_ms3(r->srtt_us, b, sizeof b),
            fmt_ms3(r->rttvar_us, c, sizeof c));
    if (r->has_cc_detail && r->min_rtt_us) fprintf(out, " minrtt:%s", fmt_ms3(r->min_rtt_us, a, sizeof a));
    if (r->mss) fprintf(out, " mss:%u", r->mss);
    fprintf(out, " cwnd:%u", r->cwnd);
    if (r->ssthresh != UINT32_MAX) fprintf(out, " ssthresh:%u", r->ssthresh);
    if (r->has_cc_detail) {
        if (r->pacing_rate) fprintf(out, " pacing_rate:%s", fmt_bps(r->pacing_rate * 8, a, sizeof a));
        if (r->delivery_rate)
            fprintf(out, " delivery_rate:%s%s", fmt_bps(r->delivery_rate * 8, a, sizeof a),
                    r->delivery_app_limited ? " app_limited" : "");
        /* ECN (RFC 3168): negotiated, CE-marked segments received, echoing ECE, CWR owed. */
        if (r->ecn_ok) fprintf(out, " ecn ce:%u", r->ecn_ce_rcvd);
        if (r->ecn_ece_echo) fputs(" ece_echo", out);
        if (r->ecn_cwr_pending) fputs(" cwr_pending", out);
    }
    if (r->snd_wnd != UINT32_MAX) fprintf(out, " snd_wnd:%u", r->snd_wnd);
    if (r->rcv_wnd != UINT32_MAX) fprintf(out, " rcv_wnd:%u", r->rcv_wnd);
    fprintf(out, " retrans:%u/%u", r->timer_retrans, r->retrans_total);
    if (r->has_cc_detail) fprintf(out, " tlp:%u undo:%u", r->tlp_total, r->undo_total);
    if (r->bytes_acked != NS_UNKNOWN) fprintf(out, " bytes_acked:%" PRIu64, r->bytes_acked);
    if (r->bytes_received != NS_UNKNOWN) fprintf(out, " bytes_received:%" PRIu64, r->bytes_received);
    if (r->state_age_us != NS_UNKNOWN) fprintf(out, " state_age:%s", fmt_duration(r->state_age_us, a, sizeof a));
    if (r->est_left_us != NS_UNKNOWN) fprintf(out, " establish_deadline:%ss", fmt_secs2(r->est_left_us, a, sizeof a));
    fputc('\n', out);
}

void ns_render_table(FILE *out, const ns_opts *o, const ns_table *t)
{
    const ns_filter *f = &o->filter;
    const char *which = f->states || f->all ? "servers and established"
                        : f->listening      ? "only servers"
                                            : "w/o servers";
    fprintf(out, "Active Internet connections (%s)\n", which);
    fprintf(out, "Proto Recv-Q Send-Q Local Address           Foreign Address         State      ");
    if (o->processes) fprintf(out, " PID/Program name   ");
    if (o->timers) fprintf(out, " Timer");
    fputc('\n', out);
    for (size_t i = 0; i < t->n; i++) {
        const ns_row *r = &t->rows[i];
        if (!ns_filter_match(f, r)) continue;
        char l[64], rm[64], own[64], s[24];
        bool listening = r->state == SYNACK_LISTEN;
        fmt_endpoint(&r->local, false, l, sizeof l);
        fmt_endpoint(&r->remote, listening, rm, sizeof rm);
        fprintf(out, "%-5s %6u %6u %-23s %-23s %-11s", proto(r), r->recv_q, r->send_q, l, rm,
                synack_state_netstat_name(r->state));
        if (o->processes) {
            owner_text(o, t, r, own, sizeof own);
            fprintf(out, " %-19s", own);
        }
        if (o->timers)
            fprintf(out, " %s (%s/%u/%u)", timer_names[r->timer < 5 ? r->timer : 0],
                    fmt_secs2(r->timer_us, s, sizeof s), r->timer_retrans, r->timer_probes);
        fputc('\n', out);
        if (o->extended) details_line(out, r);
    }
}

/* ---- JSON ---- */

static void json_endpoint(json_out *j, const char *key, const synack_endpoint *ep, bool wild)
{
    char a[INET6_ADDRSTRLEN];
    json_obj_open(j, key);
    if (!inet_ntop(ep->addr.family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, ep->addr.bytes, a, sizeof a))
        a[0] = 0;
    json_str(j, "address", a);
    if (wild) json_null(j, "port");
    else json_u64(j, "port", ep->port);
    json_obj_close(j);
}

static void json_row(json_out *j, const ns_opts *o, const ns_table *t, const ns_row *r)
{
    char own[64];
    json_obj_open(j, NULL);
    json_str(j, "proto", proto(r));
    json_str(j, "state", synack_state_netstat_name(r->state));
    json_str(j, "rfc_state", synack_state_rfc_name(r->state));
    json_u64(j, "recv_q", r->recv_q);
    json_u64(j, "send_q", r->send_q);
    json_endpoint(j, "local", &r->local, false);
    json_endpoint(j, "remote", &r->remote, r->state == SYNACK_LISTEN);
    if (r->dual_stack) json_bool(j, "dual_stack", true);
    json_obj_open(j, "timer");
    json_str(j, "name", timer_names[r->timer < 5 ? r->timer : 0]);
    json_secs(j, "left_s", r->timer_us);
    json_u64(j, "retransmits", r->timer_retrans);
    json_u64(j, "probes", r->timer_probes);
    json_obj_close(j);
    if (t->host) {
        json_u64(j, "inode", r->inode);
        json_u64(j, "uid", r->uid);
    } else {
        json_u64(j, "conn_id", r->conn_id);
        json_i64(j, "socket", r->sd);
    }
    owner_text(o, t, r, own, sizeof own);
    if (strcmp(own, "-")) json_str(j, "process", own);
    else json_null(j, "process");
    if (r->state_age_us != NS_UNKNOWN) json_secs(j, "state_age_s", r->state_age_us);
    if (r->est_left_us != NS_UNKNOWN) json_secs(j, "establish_deadline_s", r->est_left_us);
    if (r->has_info) {
        json_obj_open(j, "info");
        if (r->cc[0]) json_str(j, "cc", r->cc);
        if (r->cc_phase[0]) json_str(j, "cc_phase", r->cc_phase);
        json_secs(j, "srtt_s", r->srtt_us);
        json_secs(j, "rttvar_s", r->rttvar_us);
        json_secs(j, "rto_s", r->rto_us);
        json_u64(j, "mss", r->mss);
        json_u64(j, "cwnd", r->cwnd);
        if (r->ssthresh != UINT32_MAX) json_u64(j, "ssthresh", r->ssthresh);
        else json_null(j, "ssthresh");
        if (r->snd_wnd != UINT32_MAX) json_u64(j, "snd_wnd", r->snd_wnd);
        if (r->rcv_wnd != UINT32_MAX) json_u64(j, "rcv_wnd", r->rcv_wnd);
        json_u64(j, "retrans_total", r->retrans_total);
        if (r->has_cc_detail) {
            json_str(j, "cc_state", r->cc_state);
            json_u64(j, "cwnd_bytes", (uint64_t)r->cwnd * r->mss);
            /* microseconds: a LAN's minimum is below json_secs' millisecond */
            if (r->min_rtt_us) json_u64(j, "min_rtt_us", r->min_rtt_us);
            else json_null(j, "min_rtt_us");
            json_u64(j, "delivery_rate_bps", r->delivery_rate * 8);
            json_bool(j, "delivery_rate_app_limited", r->delivery_app_limited);
            json_u64(j, "pacing_rate_bps", r->pacing_rate * 8);
            json_obj_open(j, "ecn");
            json_bool(j, "negotiated", r->ecn_ok);
            json_u64(j, "ce_received", r->ecn_ce_rcvd);
            json_bool(j, "ece_echo", r->ecn_ece_echo);
            json_bool(j, "cwr_pending", r->ecn_cwr_pending);
            json_obj_close(j);
            json_u64(j, "tlp_total", r->tlp_total);
            json_u64(j, "undo_total", r->undo_total);
        }
        if (r->bytes_acked != NS_UNKNOWN) json_u64(j, "bytes_acked", r->bytes_acked);
        if (r->bytes_received != NS_UNKNOWN) json_u64(j, "bytes_received", r->bytes_received);
        json_bool(j, "timestamps", r->ts_ok);
        json_bool(j, "sack", r->sack_ok);
        if (r->ws_ok) {
            json_u64(j, "snd_wscale", r->snd_wscale);
            json_u64(j, "rcv_wscale", r->rcv_wscale);
        }
        json_obj_close(j);
    }
    json_obj_close(j);
}

void ns_render_json(FILE *out, const ns_opts *o, const ns_table *t, const ns_diag *d, size_t nd)
{
    json_out j;
    json_begin(&j, out);
    json_obj_open(&j, NULL);
    json_str(&j, "source", t->source);
    json_arr_open(&j, "connections");
    bool present[SYNACK_STATE_COUNT] = {false};
    for (size_t i = 0; i < t->n; i++) {
        if (!ns_filter_match(&o->filter, &t->rows[i])) continue;
        present[t->rows[i].state] = true;
        json_row(&j, o, t, &t->rows[i]);
    }
    json_arr_close(&j);
    if (o->explain) {
        json_str(&j, "lang", o->lang == NS_LANG_ZH ? "zh" : "en");
        json_arr_open(&j, "explain");
        ns_row *shown = t->n ? calloc(t->n, sizeof *shown) : NULL;
        size_t m = 0;
        for (size_t i = 0; shown && i < t->n; i++)
            if (ns_filter_match(&o->filter, &t->rows[i])) shown[m++] = t->rows[i];
        char text[4096];
        for (int s = 0; s < SYNACK_STATE_COUNT; s++) {
            if (!present[s]) continue;
            ns_explain_state(text, sizeof text, s, shown, m, o->lang, t->host);
            json_obj_open(&j, NULL);
            json_str(&j, "state", synack_state_netstat_name(s));
            json_str(&j, "text", text);
            json_obj_close(&j);
        }
        free(shown);
        json_arr_close(&j);
    }
    if (t->host) {
        json_arr_open(&j, "diagnosis");
        for (size_t i = 0; i < nd; i++) {
            json_obj_open(&j, NULL);
            json_str(&j, "rule", d[i].rule);
            json_str(&j, "summary", d[i].summary);
            json_arr_open(&j, "evidence");
            for (int k = 0; k < d[i].n_evidence; k++) json_str(&j, NULL, d[i].evidence[k]);
            json_arr_close(&j);
            json_str(&j, "advice", d[i].advice);
            json_obj_close(&j);
        }
        json_arr_close(&j);
    }
    json_obj_close(&j);
}

/* ---- sections ---- */

/* Wraps text at 100 columns under an indent; CJK text (no spaces) is cut by characters. */
static void print_wrapped(FILE *out, const char *first, const char *indent, const char *text)
{
    const size_t width = 96;
    size_t col = strlen(first) - strlen(indent);
    fputs(first, out);
    for (const char *p = text; *p;) {
        if (*p == '\n') {
            fputc('\n', out);
            fputs(indent, out);
            col = 0;
            p++;
            continue;
        }
        /* the next word: up to a space, or one multi-byte character */
        size_t len, cols;
        if ((unsigned char)*p >= 0x80) {
            len = 1;
            while ((p[len] & 0xc0) == 0x80) len++;
            cols = 2;
        } else {
            len = strcspn(p, " \n");
            if (len == 0) len = 1;
            cols = len;
            for (size_t k = 0; k < len; k++)
                if ((unsigned char)p[k] >= 0x80) {
                    len = k ? k : 1;
                    cols = len;
                    break;
                }
        }
        if (col + cols > width && col > 0) {
            fputc('\n', out);
            fputs(indent, out);
            col = 0;
            if (*p == ' ') {
                p++;
                continue;
            }
        }
        fwrite(p, 1, len, out);
        col += cols;
        p += len;
    }
    fputc('\n', out);
}

void ns_render_explain(FILE *out, const ns_opts *o, const ns_table *t)
{
    ns_row *shown = t->n ? calloc(t->n, sizeof *shown) : NULL;
    size_t m = 0;
    bool present[SYNACK_STATE_COUNT] = {false};
    for (size_t i = 0; shown && i < t->n; i++)
        if (ns_filter_match(&o->filter, &t->rows[i])) {
            shown[m++] = t->rows[i];
            present[t->rows[i].state] = true;
        }
    fprintf(out, "\n%s\n", o->lang == NS_LANG_ZH ? "状态说明:" : "What the states mean:");
    if (!m) fprintf(out, "  %s\n", o->lang == NS_LANG_ZH ? "(没有连接)" : "(no connections shown)");
    char text[4096];
    for (int s = 0; s < SYNACK_STATE_COUNT; s++) {
        if (!present[s]) continue;
        ns_explain_state(text, sizeof text, s, shown, m, o->lang, t->host);
        print_wrapped(out, "  ", "  ", text);
    }
    free(shown);
}

void ns_render_diag(FILE *out, const ns_diag *d, size_t nd)
{
    fprintf(out, "\nDiagnosis:%s\n", nd ? "" : " nothing looks wrong.");
    for (size_t i = 0; i < nd; i++) {
        fprintf(out, "  [%s] %s\n", d[i].rule, d[i].summary);
        for (int k = 0; k < d[i].n_evidence; k++) fprintf(out, "      evidence: %s\n", d[i].evidence[k]);
        print_wrapped(out, "      what to do: ", "      ", d[i].advice);
    }
}
