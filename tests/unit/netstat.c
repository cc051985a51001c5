/* netstat.c (unit): `synack netstat`'s parts in virtual time and on made-up tables (issue 10).
 * The core's new snapshot fields (octets acknowledged and received, retransmissions, time in
 * state, dual-stack listeners, the establishment deadline in -o); the library printer's tcp6 rows;
 * the control socket's lines round-tripping; the table, -e and JSON renderings; the ss-style
 * filter; --explain for every state in both languages; each diagnosis rule firing on its pattern
 * and silent just below it; /proc/net/tcp lines. */
#include "test.h"

#include <stdlib.h>

#include <synack/inspect.h>
#include <synack/socket.h>

#include "format.h"
#include "netstat.h"
#include "pair.h"

static char *capture_begin(FILE **f, size_t *len, char **buf)
{
    *buf = NULL;
    *f = open_memstream(buf, len);
    return *buf;
}

static bool has(const char *text, const char *needle) { return text && strstr(text, needle) != NULL; }

static bool conn_of(synack_stack *st, int state, synack_conn_info *out)
{
    synack_conn_info list[16];
    size_t n = synack_conn_list(st, list, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        if (list[i].state == state) {
            *out = list[i];
            return true;
        }
    return false;
}

/* ---- the core's snapshot ---- */

static void test_conn_info_fields(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 7);
    int l = pair_listen(&p, 80);
    CHECK(l >= 0);
    synack_conn_info li;
    CHECK(conn_of(p.s, SYNACK_LISTEN, &li));
    CHECK(li.dual_stack); /* the server has 198.18.0.2 and 2001:db8::2: 0.0.0.0:80 takes both */
    CHECK_EQ(li.local.addr.family, SYNACK_AF_INET6);

    int c = pair_connect(&p, 80);
    int a = pair_establish(&p, l, c);
    CHECK(a >= 0);
    static char data[3000];
    memset(data, 'x', sizeof data);
    CHECK_EQ(synack_send(p.c, c, data, sizeof data), (long)sizeof data);
    pair_run(&p, SYNACK_SEC(1));
    char buf[4096];
    CHECK_EQ(synack_recv(p.s, a, buf, sizeof buf), (long)sizeof data);
    CHECK_EQ(synack_send(p.s, a, data, 100), 100);
    pair_run(&p, SYNACK_SEC(5));

    synack_conn_info ci, si;
    CHECK(synack_socket_info(p.c, c, &ci));
    CHECK(synack_socket_info(p.s, a, &si));
    CHECK_EQ(ci.bytes_acked, sizeof data);
    CHECK_EQ(ci.bytes_received, 100);
    CHECK_EQ(si.bytes_received, sizeof data);
    CHECK_EQ(si.bytes_acked, 100);
    CHECK_EQ(ci.retransmits_total, 0);
    CHECK(ci.state_age_us >= SYNACK_SEC(5) && ci.state_age_us < SYNACK_SEC(7));
    CHECK_STR(ci.cc_name, "cubic"); /* the default */
    CHECK(ci.cc_phase && ci.cc_phase[0]);
    CHECK(!ci.dual_stack);

    /* The client reads, then closes first: FIN-WAIT-2, then TIME-WAIT (unread data would make
     * the close an abort). */
    CHECK_EQ(synack_recv(p.c, c, buf, sizeof buf), 100);
    CHECK_EQ(synack_close(p.c, c), 0);
    pair_run(&p, SYNACK_SEC(1));
    CHECK_EQ(synack_close(p.s, a), 0);
    pair_run(&p, SYNACK_SEC(2));
    synack_conn_info tw;
    memset(&tw, 0, sizeof tw);
    CHECK(conn_of(p.c, SYNACK_TIME_WAIT, &tw));
    CHECK_EQ(tw.nt_timer, SYNACK_NT_TIMEWAIT);
    /* A compact record (the application closed): its age is 2*MSL less the time left. */
    CHECK(tw.state_age_us >= SYNACK_SEC(2) && tw.state_age_us <= SYNACK_SEC(3));
    CHECK_EQ(tw.state_age_us + tw.nt_remaining_us, SYNACK_SEC(60));
    CHECK_EQ(tw.bytes_acked, 0);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(61));
    pair_close(&p);
}

/* A host that never answers: at 63 s the SYN's next retransmission is at 127 s, but the
 * establishment timer ends it at 75 s. netstat -o must say 12 s, not 64. */
static void test_establishment_deadline(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 8);
    int c = synack_socket(p.c);
    synack_endpoint nowhere = {synack_addr_v4(198, 18, 0, 99), 80};
    synack_time_us t0 = synack_sim_now(p.sim);
    CHECK_EQ(synack_connect(p.c, c, &nowhere), -115);
    synack_sim_run_until(p.sim, t0 + SYNACK_SEC(63) + SYNACK_MS(500));
    synack_conn_info ci;
    CHECK(synack_socket_info(p.c, c, &ci));
    CHECK_EQ(ci.state, SYNACK_SYN_SENT);
    CHECK_EQ(ci.nt_timer, SYNACK_NT_ON);
    CHECK_EQ(ci.nt_retransmits, 6);
    CHECK_EQ(ci.nt_remaining_us, SYNACK_SEC(11) + SYNACK_MS(500));
    CHECK_EQ(ci.retransmits_total, 6);
    char tm[48];
    CHECK_STR(synack_netstat_timer_format(&ci, tm, sizeof tm), "on (11.50/6/0)");
    ns_row r;
    ns_row_from_conn(&r, &ci);
    CHECK_EQ(r.est_left_us, SYNACK_SEC(11) + SYNACK_MS(500));
    /* Earlier, the retransmission comes first: it is shown, and -e says the deadline. */
    synack_close(p.c, c);
    int c2 = synack_socket(p.c);
    t0 = synack_sim_now(p.sim);
    CHECK_EQ(synack_connect(p.c, c2, &nowhere), -115);
    synack_sim_run_until(p.sim, t0 + SYNACK_MS(500));
    CHECK(synack_socket_info(p.c, c2, &ci));
    CHECK_EQ(ci.nt_remaining_us, SYNACK_MS(500)); /* first RTO: 1 s */
    ns_row_from_conn(&r, &ci);
    CHECK_EQ(r.est_left_us, SYNACK_SEC(75) - SYNACK_MS(500));
    synack_close(p.c, c2);
    pair_run(&p, SYNACK_SEC(80));
    pair_close(&p);
}

/* ---- printing ---- */

static void test_library_printer_tcp6(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 9);
    int l = pair_listen(&p, 80);
    int c = synack_socket(p.c);
    synack_endpoint s6 = {{0}, 80};
    synack_addr_parse("2001:db8::2", &s6.addr);
    CHECK_EQ(synack_connect(p.c, c, &s6), -115);
    int a = pair_establish(&p, l, c);
    CHECK(a >= 0);
    FILE *f;
    size_t len;
    char *text;
    capture_begin(&f, &len, &text);
    synack_netstat_print(p.s, f, false);
    fclose(f);
    CHECK(has(text, "tcp6       0      0 :::80                   :::*                    LISTEN"));
    CHECK(has(text, "tcp6       0      0 2001:db8::2:80          2001:db8::1:"));
    free(text);

    /* The tool's renderer prints the same lines from rows (-a: servers too). */
    ns_table t;
    memset(&t, 0, sizeof t);
    synack_conn_info list[8];
    size_t n = synack_conn_list(p.s, list, 8);
    for (size_t i = 0; i < n; i++) ns_row_from_conn(ns_table_add(&t), &list[i]);
    ns_opts o;
    memset(&o, 0, sizeof o);
    o.filter.all = true;
    char *lib_text, *tool_text;
    capture_begin(&f, &len, &lib_text);
    synack_netstat_print(p.s, f, true);
    fclose(f);
    o.timers = true;
    capture_begin(&f, &len, &tool_text);
    ns_render_table(f, &o, &t);
    fclose(f);
    CHECK_STR(tool_text, lib_text);
    free(lib_text);
    free(tool_text);

    /* Without -a, netstat shows no servers; -l only servers; -6/-4 by family. */
    memset(&o, 0, sizeof o);
    capture_begin(&f, &len, &tool_text);
    ns_render_table(f, &o, &t);
    fclose(f);
    CHECK(has(tool_text, "(w/o servers)") && !has(tool_text, "LISTEN") && has(tool_text, "ESTABLISHED"));
    free(tool_text);
    o.filter.listening = true;
    o.filter.family = SYNACK_AF_INET; /* a dual-stack listener takes IPv4 too */
    capture_begin(&f, &len, &tool_text);
    ns_render_table(f, &o, &t);
    fclose(f);
    CHECK(has(tool_text, "(only servers)") && has(tool_text, ":::80") && !has(tool_text, "ESTABLISHED"));
    free(tool_text);

    /* The control socket's lines carry the same table. */
    char *wire;
    capture_begin(&f, &len, &wire);
    ns_wire_write(f, p.s);
    fclose(f);
    ns_table back;
    memset(&back, 0, sizeof back);
    CHECK(ns_wire_parse(wire, &back));
    CHECK_EQ(back.n, t.n);
    for (size_t i = 0; i < back.n && i < t.n; i++) {
        CHECK_EQ(back.rows[i].state, t.rows[i].state);
        CHECK(synack_addr_eq(&back.rows[i].local.addr, &t.rows[i].local.addr));
        CHECK_EQ(back.rows[i].remote.port, t.rows[i].remote.port);
        CHECK_EQ(back.rows[i].bytes_acked, t.rows[i].bytes_acked);
        CHECK_EQ(back.rows[i].dual_stack, t.rows[i].dual_stack);
        CHECK_EQ(back.rows[i].srtt_us, t.rows[i].srtt_us);
        CHECK_STR(back.rows[i].cc, t.rows[i].cc);
        /* the congestion control details of netstat -e */
        CHECK_EQ(back.rows[i].has_cc_detail, t.rows[i].has_cc_detail);
        CHECK_STR(back.rows[i].cc_state, t.rows[i].cc_state);
        CHECK_EQ(back.rows[i].min_rtt_us, t.rows[i].min_rtt_us);
        CHECK_EQ(back.rows[i].delivery_rate, t.rows[i].delivery_rate);
        CHECK_EQ(back.rows[i].pacing_rate, t.rows[i].pacing_rate);
        CHECK_EQ(back.rows[i].ecn_ok, t.rows[i].ecn_ok);
        CHECK_EQ(back.rows[i].ecn_ce_rcvd, t.rows[i].ecn_ce_rcvd);
        CHECK_EQ(back.rows[i].tlp_total, t.rows[i].tlp_total);
        CHECK_EQ(back.rows[i].undo_total, t.rows[i].undo_total);
        if (t.rows[i].state == SYNACK_ESTABLISHED) {
            CHECK(t.rows[i].has_cc_detail && t.rows[i].min_rtt_us > 0);
            CHECK_STR(t.rows[i].cc_state, "slow-start");
        }
    }
    /* A truncated answer is refused, not half-shown. */
    ns_table_free(&back);
    char *cut = strstr(wire, "end ");
    CHECK(cut != NULL);
    if (cut) *cut = 0;
    CHECK(!ns_wire_parse(wire, &back));
    CHECK(!ns_wire_parse("error: unknown request 'conns'\n", &back));
    ns_table_free(&back);
    free(wire);

    /* -e: the ss -i details on a second line. */
    memset(&o, 0, sizeof o);
    o.extended = true;
    capture_begin(&f, &len, &tool_text);
    ns_render_table(f, &o, &t);
    fclose(f);
    CHECK(has(tool_text, "\t cubic phase:slow-start ts sack wscale:"));
    CHECK(has(tool_text, " rto:") && has(tool_text, " cwnd:") && has(tool_text, " bytes_acked:0") &&
          has(tool_text, " state_age:") && has(tool_text, " retrans:0/0"));
    free(tool_text);

    /* JSON: one document with the rows. */
    o.json = true;
    capture_begin(&f, &len, &tool_text);
    ns_render_json(f, &o, &t, NULL, 0);
    fclose(f);
    CHECK(has(tool_text, "\"proto\":\"tcp6\"") && has(tool_text, "\"state\":\"ESTABLISHED\""));
    CHECK(has(tool_text, "\"rfc_state\":\"ESTABLISHED\"") && has(tool_text, "\"info\":{\"cc\":\"cubic\",\"cc_phase\":\"slow-start\""));
    CHECK(tool_text[strlen(tool_text) - 2] == '}' && tool_text[strlen(tool_text) - 1] == '\n');
    free(tool_text);
    ns_table_free(&t);

    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.s, l);
    pair_run(&p, SYNACK_SEC(70));
    pair_close(&p);
}

static void test_json_escape(void)
{
    FILE *f;
    size_t len;
    char *text;
    capture_begin(&f, &len, &text);
    json_out j;
    json_begin(&j, f);
    json_obj_open(&j, NULL);
    json_str(&j, "a\"b", "x\\y\n\t\x01 中");
    json_arr_open(&j, "l");
    json_u64(&j, NULL, 1);
    json_null(&j, NULL);
    json_arr_close(&j);
    json_obj_close(&j);
    fclose(f);
    CHECK_STR(text, "{\"a\\\"b\":\"x\\\\y\\n\\t\\u0001 中\",\"l\":[1,null]}\n");
    free(text);
}

/* ---- the filter ---- */

static bool parse(ns_filter *f, const char *words)
{
    char buf[256], *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", words);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save)) argv[argc++] = w;
    char err[300];
    memset(f, 0, sizeof *f);
    return ns_filter_parse(f, argc, argv, err, sizeof err);
}

static ns_row row(int state, const char *l, uint16_t lp, const char *r, uint16_t rp)
{
    ns_row x;
    ns_row_init(&x);
    x.state = (uint8_t)state;
    synack_addr_parse(l, &x.local.addr);
    synack_addr_parse(r, &x.remote.addr);
    x.local.port = lp;
    x.remote.port = rp;
    return x;
}

static void test_filter(void)
{
    ns_filter f;
    ns_row est = row(SYNACK_ESTABLISHED, "198.18.0.2", 80, "198.18.0.1", 40000);
    ns_row tw = row(SYNACK_TIME_WAIT, "198.18.0.2", 80, "198.18.0.1", 40001);
    ns_row lis = row(SYNACK_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
    CHECK(parse(&f, "state established"));
    CHECK(ns_filter_match(&f, &est) && !ns_filter_match(&f, &tw) && !ns_filter_match(&f, &lis));
    CHECK(parse(&f, "state ESTABLISHED state TIME_WAIT"));
    CHECK(ns_filter_match(&f, &est) && ns_filter_match(&f, &tw));
    CHECK(parse(&f, "state Time-Wait"));
    CHECK(ns_filter_match(&f, &tw));
    CHECK(parse(&f, "state all exclude time-wait"));
    CHECK(ns_filter_match(&f, &est) && !ns_filter_match(&f, &tw) && ns_filter_match(&f, &lis));
    CHECK(parse(&f, "state listening"));
    CHECK(ns_filter_match(&f, &lis) && !ns_filter_match(&f, &est));
    CHECK(parse(&f, "state connected sport = :80 dport >= :40001"));
    CHECK(!ns_filter_match(&f, &est) && ns_filter_match(&f, &tw) && !ns_filter_match(&f, &lis));
    CHECK(parse(&f, "dport=:40000"));
    CHECK(ns_filter_match(&f, &est) && !ns_filter_match(&f, &tw));
    CHECK(parse(&f, "( sport eq :80 and dport lt :40001 )"));
    CHECK(ns_filter_match(&f, &est) && !ns_filter_match(&f, &tw));
    CHECK(parse(&f, "dst 198.18.0.1 src [198.18.0.2]"));
    CHECK(ns_filter_match(&f, &est));
    CHECK(parse(&f, "dst 2001:db8::1"));
    CHECK(!ns_filter_match(&f, &est));
    /* netstat's defaults: no -a: no listeners; -l: only them */
    CHECK(parse(&f, ""));
    CHECK(ns_filter_match(&f, &est) && !ns_filter_match(&f, &lis));
    f.listening = true;
    CHECK(!ns_filter_match(&f, &est) && ns_filter_match(&f, &lis));
    CHECK(!parse(&f, "state nosuch"));
    CHECK(!parse(&f, "sport = :80 or dport = :80"));
    CHECK(!parse(&f, "sport = :99999"));
    CHECK(!parse(&f, "state"));
    CHECK(!parse(&f, "banana"));
    CHECK_EQ(ns_state_mask("syn-recv"), 1u << SYNACK_SYN_RECEIVED);
    CHECK_EQ(ns_state_mask("SYN-RECEIVED"), 1u << SYNACK_SYN_RECEIVED);
    CHECK_EQ(ns_state_mask("bucket"), (1u << SYNACK_SYN_RECEIVED) | (1u << SYNACK_TIME_WAIT));
}

/* ---- --explain ---- */

static void test_explain_every_state(void)
{
    for (int lang = NS_LANG_EN; lang <= NS_LANG_ZH; lang++)
        for (int s = 0; s < SYNACK_STATE_COUNT; s++) {
            for (int host = 0; host < 2; host++) {
                ns_row r = row(s, "198.18.0.2", 80, "198.18.0.1", 40000);
                r.timer = s == SYNACK_TIME_WAIT ? SYNACK_NT_TIMEWAIT : SYNACK_NT_ON;
                r.timer_us = SYNACK_SEC(12) + SYNACK_MS(300);
                char text[4096];
                size_t n = ns_explain_state(text, sizeof text, s, &r, 1, lang, host);
                CHECK(n > 60 && n < sizeof text - 1);
                CHECK(has(text, synack_state_rfc_name(s)));
                CHECK(!has(text, "LAST-ACT"));
                bool timed = s != SYNACK_LISTEN && s != SYNACK_CLOSE_WAIT && s != SYNACK_CLOSED &&
                             s != SYNACK_ESTABLISHED;
                if (timed && !has(text, "12.3s")) test_fail(__FILE__, __LINE__, "no live timer: %s", text);
            }
        }
    char text[4096];
    ns_row r = row(SYNACK_TIME_WAIT, "198.18.0.2", 80, "198.18.0.1", 40000);
    r.timer = SYNACK_NT_TIMEWAIT;
    r.timer_us = SYNACK_SEC(41);
    ns_explain_state(text, sizeof text, SYNACK_TIME_WAIT, &r, 1, NS_LANG_ZH, false);
    CHECK(has(text, "报文段最大生存时间") && has(text, "2MSL") && has(text, "41.0s后"));
    ns_explain_state(text, sizeof text, SYNACK_TIME_WAIT, &r, 1, NS_LANG_EN, false);
    CHECK(has(text, "maximum segment lifetime") && has(text, "in 41.0s"));
    /* The primer's slips, corrected: CLOSING is left by a segment, not a timer; the SYN-ACK is
     * the second segment. */
    r.state = SYNACK_CLOSING;
    ns_explain_state(text, sizeof text, SYNACK_CLOSING, &r, 1, NS_LANG_ZH, false);
    CHECK(has(text, "不是定时器超时"));
    r.state = SYNACK_SYN_RECEIVED;
    ns_explain_state(text, sizeof text, SYNACK_SYN_RECEIVED, &r, 1, NS_LANG_ZH, false);
    CHECK(has(text, "第二个报文段"));
    /* Live establishment deadline from the rows. */
    r.state = SYNACK_SYN_SENT;
    r.est_left_us = SYNACK_SEC(12);
    ns_explain_state(text, sizeof text, SYNACK_SYN_SENT, &r, 1, NS_LANG_EN, false);
    CHECK(has(text, "ETIMEDOUT) in 12.0s"));
    /* Unusual counts: what to check. */
    ns_row cw[8];
    for (int i = 0; i < 8; i++) cw[i] = row(SYNACK_CLOSE_WAIT, "198.18.0.2", 80, "198.18.0.1", (uint16_t)(40000 + i));
    ns_explain_state(text, sizeof text, SYNACK_CLOSE_WAIT, cw, 8, NS_LANG_EN, true);
    CHECK(has(text, "Check: 8 connections wait here"));
    ns_explain_state(text, sizeof text, SYNACK_CLOSE_WAIT, cw, 7, NS_LANG_EN, true);
    CHECK(!has(text, "Check:"));

    CHECK(setenv("LC_ALL", "zh_CN.UTF-8", 1) == 0);
    CHECK_EQ(ns_lang_default(), NS_LANG_ZH);
    CHECK(setenv("LC_ALL", "", 1) == 0);
    CHECK(setenv("LANG", "en_US.UTF-8", 1) == 0);
    CHECK_EQ(ns_lang_default(), NS_LANG_EN);
}

/* ---- diagnosis ---- */

static ns_host_facts facts(void)
{
    ns_host_facts f;
    memset(&f, 0, sizeof f);
    f.port_lo = 40000;
    f.port_hi = 40019;
    f.tw_reuse = 2;
    f.fin_timeout_s = 60;
    f.retries2 = 15;
    f.keepalive_time_s = 7200;
    f.listen_overflows = 3;
    f.listen_drops = 3;
    f.syncookies = 1;
    f.max_syn_backlog = 128;
    return f;
}

static size_t diagnose(ns_table *t, ns_diag *d)
{
    ns_host_facts f = facts();
    return ns_diagnose(t, &f, d, NS_DIAG_MAX);
}

static bool fired(const ns_diag *d, size_t n, const char *rule)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(d[i].rule, rule)) return true;
    return false;
}

static void healthy(ns_table *t)
{
    memset(t, 0, sizeof *t);
    t->host = true;
    *ns_table_add(t) = row(SYNACK_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
    t->rows[0].send_q = 128;
    for (int i = 0; i < 3; i++) {
        ns_row *r = ns_table_add(t);
        *r = row(SYNACK_ESTABLISHED, "198.18.0.2", 80, "198.18.0.1", (uint16_t)(50000 + i));
        r->timer = SYNACK_NT_ON;
        r->timer_retrans = 1;
        r->send_q = 1000;
    }
    /* TIME_WAIT on the server's side (port 80) holds no ephemeral port */
    for (int i = 0; i < 30; i++)
        *ns_table_add(t) = row(SYNACK_TIME_WAIT, "198.18.0.2", 80, "198.18.0.1", (uint16_t)(50000 + i));
    for (int i = 0; i < NS_DIAG_CLOSE_WAIT_MIN - 1; i++)
        *ns_table_add(t) = row(SYNACK_CLOSE_WAIT, "198.18.0.2", 80, "198.18.0.1", (uint16_t)(51000 + i));
    for (int i = 0; i < NS_DIAG_FIN_WAIT2_MIN - 1; i++)
        *ns_table_add(t) = row(SYNACK_FIN_WAIT_2, "198.18.0.2", 80, "198.18.0.1", (uint16_t)(52000 + i));
    for (int i = 0; i < NS_DIAG_SYN_RECV_MIN - 1; i++)
        *ns_table_add(t) = row(SYNACK_SYN_RECEIVED, "198.18.0.2", 80, "198.18.0.9", (uint16_t)(53000 + i));
    for (int i = 0; i < NS_DIAG_SYN_SENT_MIN - 1; i++)
        *ns_table_add(t) = row(SYNACK_SYN_SENT, "198.18.0.2", (uint16_t)(40000 + i), "198.18.0.99", 82);
    for (int i = 0; i < 9; i++) /* 45% of the 20 ports towards one destination */
        *ns_table_add(t) = row(SYNACK_TIME_WAIT, "198.18.0.2", (uint16_t)(40002 + i), "198.18.0.1", 8080);
}

static void test_diagnosis(void)
{
    ns_table t;
    ns_diag d[NS_DIAG_MAX];
    healthy(&t);
    CHECK_EQ(diagnose(&t, d), 0); /* everything just below its threshold: quiet */
    FILE *f;
    size_t len;
    char *text;
    capture_begin(&f, &len, &text);
    ns_render_diag(f, d, 0);
    fclose(f);
    CHECK(has(text, "nothing looks wrong"));
    free(text);

    /* CLOSE_WAIT: one more, and the process is named */
    ns_row *r = ns_table_add(&t);
    *r = row(SYNACK_CLOSE_WAIT, "198.18.0.2", 80, "198.18.0.1", 51999);
    for (size_t i = 0; i < t.n; i++)
        if (t.rows[i].state == SYNACK_CLOSE_WAIT) {
            t.rows[i].pid = 4242;
            snprintf(t.rows[i].comm, sizeof t.rows[i].comm, "leaky");
        }
    size_t n = diagnose(&t, d);
    CHECK_EQ(n, 1);
    CHECK(fired(d, n, "close-wait") && has(d[0].summary, "leaky (pid 4242)") && d[0].n_evidence >= 2);
    ns_table_free(&t);

    /* TIME_WAIT against the ephemeral ports: 10 of 20 towards one destination */
    healthy(&t);
    *ns_table_add(&t) = row(SYNACK_TIME_WAIT, "198.18.0.2", 40015, "198.18.0.1", 8080);
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "time-wait-ports") && has(d[0].summary, "50%") &&
          has(d[0].evidence[0], "40000 40019 (20 ports)") && has(d[0].advice, "tcp_tw_reuse"));
    ns_table_free(&t);

    /* SYN_RECV piling up on a listener whose accept queue is not full: a flood */
    healthy(&t);
    *ns_table_add(&t) = row(SYNACK_SYN_RECEIVED, "198.18.0.2", 80, "198.18.0.9", 53999);
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "syn-recv") && has(d[0].evidence[2], "ListenOverflows = 3"));
    ns_table_free(&t);

    /* A full accept queue: slow accept */
    healthy(&t);
    t.rows[0].send_q = 4;
    t.rows[0].recv_q = 5;
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "accept-queue-full") && has(d[0].evidence[0], "accept queue 5 of 4"));
    ns_table_free(&t);

    /* SYN_SENT: three to one destination fire, three to three do not */
    healthy(&t);
    *ns_table_add(&t) = row(SYNACK_SYN_SENT, "198.18.0.2", 40010, "198.18.0.99", 82);
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "syn-sent") && has(d[0].summary, "198.18.0.99:82"));
    t.rows[t.n - 1].remote.port = 83;
    CHECK_EQ(diagnose(&t, d), 0);
    ns_table_free(&t);

    /* FIN_WAIT2 */
    healthy(&t);
    *ns_table_add(&t) = row(SYNACK_FIN_WAIT_2, "198.18.0.2", 80, "198.18.0.1", 52999);
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "fin-wait-2") && has(d[0].evidence[2], "tcp_fin_timeout = 60"));
    ns_table_free(&t);

    /* A dead peer: unacknowledged data retransmitted 3 times */
    healthy(&t);
    t.rows[1].timer_retrans = NS_DIAG_RETRANS_MIN;
    n = diagnose(&t, d);
    CHECK(n == 1 && fired(d, n, "dead-peer") && has(d[0].evidence[0], "1000 bytes unacknowledged") &&
          has(d[0].advice, "TCP_USER_TIMEOUT"));
    t.rows[1].send_q = 0; /* nothing outstanding: not this rule */
    CHECK_EQ(diagnose(&t, d), 0);
    ns_table_free(&t);
}

/* ---- /proc/net/tcp ---- */

static void test_proc_lines(void)
{
    ns_row r;
    CHECK(!ns_proc_line("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", false, &r));
    CHECK(ns_proc_line("   0: 010012C6:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0", false, &r));
    CHECK_EQ(r.state, SYNACK_LISTEN);
    CHECK_EQ(r.local.port, 8080);
    CHECK_EQ(r.local.addr.bytes[0], 198);
    CHECK_EQ(r.local.addr.bytes[3], 1);
    CHECK_EQ(r.recv_q, 3);
    CHECK_EQ(r.inode, 12345);
    CHECK(ns_proc_line("   1: 010012C6:0050 020012C6:9C40 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000", false, &r));
    CHECK_EQ(r.state, SYNACK_TIME_WAIT);
    CHECK_EQ(r.timer, SYNACK_NT_TIMEWAIT);
    CHECK_EQ(r.remote.port, 40000);
    CHECK(ns_proc_line("   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0", true, &r));
    CHECK_EQ(r.local.addr.family, SYNACK_AF_INET6);
    CHECK(synack_addr_is_any(&r.local.addr));
    CHECK(ns_proc_line("   0: B80D0120000000000000000002000000:0050 B80D0120000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0", true, &r));
    char a[64];
    CHECK_STR(fmt_endpoint(&r.local, false, a, sizeof a), "2001:db8::2:80");
}

int main(void)
{
    RUN(test_conn_info_fields);
    RUN(test_establishment_deadline);
    RUN(test_library_printer_tcp6);
    RUN(test_json_escape);
    RUN(test_filter);
    RUN(test_explain_every_state);
    RUN(test_diagnosis);
    RUN(test_proc_lines);
    return test_report();
}
