/* coverage.c (state tests): the table test. It reads the sources of every state test next to it,
 * collects their cell and transition tags, and fails when a cell of the state x event matrix, a
 * transition the core's legal table claims, or an arrow of RFC 9293 Figure 5 has no test.
 *
 * Tags, each alone on its line inside the test function that covers it:
 *   / * CELL(STATE, KIND, SEQCLASS) * /      (written without the spaces inside the comment marks)
 *   / * TRANSITION(FROM, TO) * /
 * STATE/FROM/TO: the enum synack_tcp_state names (CLOSED ... TIME_WAIT).
 * KIND: SYN SYN_ACK ACK FIN FIN_ACK RST RST_ACK DATA (segments), CLOSE ABORT SEND RECV SHUTDOWN
 *       (user calls), TIMER_<id> with id from SYNACK_TIMERS (REXMT, PERSIST, ...) or TIMER_NONE.
 * SEQCLASS: ANY; OK = SEG.SEQ acceptable (Table 6; for RST any in-window value, exact or not);
 *       OLD = below RCV.NXT; OOW = at or beyond RCV.NXT+RCV.WND. In SYN-SENT, where there is no
 *       RCV.NXT, the class is the ACK field's: OK = SND.UNA < SEG.ACK =< SND.NXT (or no ACK),
 *       OLD = SEG.ACK =< ISS, OOW = SEG.ACK > SND.NXT.
 *
 * Required (each failure names the missing cell):
 *  (a) every state x {SYN..DATA, CLOSE..SHUTDOWN} has at least one tag (any class);
 *  (b) in the synchronized states SYN-RECEIVED..TIME-WAIT, where 3.10.7.4's first step splits on
 *      the sequence number: SYN, SYN_ACK, FIN, RST, RST_ACK need OK and OOW; ACK, FIN_ACK and DATA
 *      need OK, OLD and OOW (old duplicates of these are what a real network retransmits);
 *      in SYN-SENT, the ACK-bearing kinds SYN_ACK, ACK, FIN_ACK, RST_ACK, DATA need OK and OOW
 *      (3.10.7.3 first step splits on SEG.ACK);
 *  (c) every timer that can run in a state has a TIMER tag there (list below);
 *  (d) every pair tcp_transition_legal() accepts has a TRANSITION tag, and every TRANSITION tag
 *      names a legal pair;
 *  (e) every arrow of Figure 5 and its notes (written out below) is legal in the core's table and
 *      has a TRANSITION tag;
 *  (f) every tag sits in a test that main() RUNs, and every test RUN in a state file calls
 *      PEER_FINISH (itself or through a sync_check_* of tests/support/sync_checks.c) (no illegal transition, and no buffer, connection or socket left once all
 *      sockets are closed and the timers have run out). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcb.h"
#include "test.h"

enum { N_STATES = SYNACK_STATE_COUNT };

static const char *const state_id[N_STATES] = {
#define SYNACK_X(id, rfc, ns) #id,
    SYNACK_TCP_STATES(SYNACK_X)
#undef SYNACK_X
};

/* Segment kinds and user calls first (the matrix of (a)), then timers. */
static const char *const base_kinds[] = {"SYN",   "SYN_ACK", "ACK",  "FIN",  "FIN_ACK",
                                         "RST",   "RST_ACK", "DATA", "CLOSE", "ABORT",
                                         "SEND",  "RECV",    "SHUTDOWN"};
enum { N_BASE = sizeof base_kinds / sizeof base_kinds[0] };
static const char *const timer_id[SYNACK_TIMER_COUNT + 1] = {
#define SYNACK_X(id, name) "TIMER_" #id,
    SYNACK_TIMERS(SYNACK_X)
#undef SYNACK_X
    "TIMER_NONE"};
enum { N_KINDS = N_BASE + SYNACK_TIMER_COUNT + 1 };

static const char *const class_id[] = {"ANY", "OK", "OLD", "OOW"};
enum { C_ANY, C_OK, C_OLD, C_OOW, N_CLASSES };

static int cells[N_STATES][N_KINDS][N_CLASSES];
static int transitions[N_STATES][N_STATES];
static int n_cell_tags, n_transition_tags, n_files;

static int find(const char *name, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0) return i;
    return -1;
}

static int kind_index(const char *name)
{
    int k = find(name, base_kinds, N_BASE);
    if (k >= 0) return k;
    k = find(name, timer_id, SYNACK_TIMER_COUNT + 1);
    return k >= 0 ? N_BASE + k : -1;
}

static const char *kind_name(int k) { return k < N_BASE ? base_kinds[k] : timer_id[k - N_BASE]; }

/* ---- reading the sources ---- */

typedef struct func_tags {
    char name[96];
    char file[256];
    int tags;
    bool finish; /* calls PEER_FINISH: leak and illegal-transition checks at the end */
} func_tags;
static func_tags funcs[1024];
static int n_funcs;

static char runs[4096][96];
static int n_runs;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    s[n] = 0;
    return s;
}

/* Parses "/" "* NAME(A, B[, C]) *" "/" exactly; returns the number of arguments, or -1. */
static int parse_tag(const char *line, const char *name, char args[3][32])
{
    size_t nl = strlen(name);
    if (strncmp(line, "/* ", 3) != 0 || strncmp(line + 3, name, nl) != 0 || line[3 + nl] != '(')
        return -1;
    const char *p = line + 4 + nl;
    int n = 0;
    for (;;) {
        size_t len = 0;
        while ((p[len] >= 'A' && p[len] <= 'Z') || (p[len] >= '0' && p[len] <= '9') ||
               p[len] == '_')
            len++;
        if (len == 0 || len >= 32 || n == 3) return -1;
        memcpy(args[n], p, len);
        args[n++][len] = 0;
        p += len;
        if (*p == ')') break;
        if (p[0] != ',' || p[1] != ' ') return -1;
        p += 2;
    }
    return strcmp(p, ") */") == 0 ? n : -1;
}

static void read_source(const char *dir, const char *file)
{
    char path[1024 + 256 + 2];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return;
    }
    n_files++;
    char buf[1024];
    int lineno = 0;
    func_tags *cur = NULL;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        char *line = trim(buf);
        /* A function definition starts a line with "static" and has no semicolon; a test is
         * "static void name(void)". Tags belong to the test whose body they are in. */
        if (strncmp(line, "static ", 7) == 0 && strchr(line, '(') && !strchr(line, ';') &&
            !strchr(line, '=')) {
            char fname[96];
            int end = 0;
            cur = NULL;
            if (sscanf(line, "static void %95[A-Za-z0-9_]%n", fname, &end) == 1 &&
                strncmp(line + end, "(void)", 6) == 0 &&
                n_funcs < (int)(sizeof funcs / sizeof funcs[0])) {
                cur = &funcs[n_funcs++];
                snprintf(cur->name, sizeof cur->name, "%s", fname);
                snprintf(cur->file, sizeof cur->file, "%s", file);
                cur->tags = 0;
                cur->finish = false;
            }
            continue;
        }
        /* The shared checks of tests/support/sync_checks.c end each run with PEER_FINISH. */
        if (cur && (strstr(line, "PEER_FINISH(") || strstr(line, "sync_check_"))) cur->finish = true;
        char *r = strstr(line, "RUN(");
        if (r && n_runs < (int)(sizeof runs / sizeof runs[0]) &&
            sscanf(r, "RUN(%95[A-Za-z0-9_])", runs[n_runs]) == 1)
            n_runs++;
        bool cell = strncmp(line, "/* CELL", 7) == 0;
        bool trans = strncmp(line, "/* TRANSITION", 13) == 0;
        if (!cell && !trans) continue;
        char a[3][32];
        int n = parse_tag(line, cell ? "CELL" : "TRANSITION", a);
        if (n != (cell ? 3 : 2)) {
            test_fail(file, lineno, "malformed tag: %s", line);
            continue;
        }
        if (!cur) {
            test_fail(file, lineno, "tag outside a test function");
            continue;
        }
        cur->tags++;
        if (cell) {
            int s = find(a[0], state_id, N_STATES), k = kind_index(a[1]);
            int c = find(a[2], class_id, N_CLASSES);
            if (s < 0 || k < 0 || c < 0) {
                test_fail(file, lineno, "unknown name in %s", line);
                continue;
            }
            cells[s][k][c]++;
            n_cell_tags++;
        } else {
            int from = find(a[0], state_id, N_STATES), to = find(a[1], state_id, N_STATES);
            if (from < 0 || to < 0) {
                test_fail(file, lineno, "unknown state in %s", line);
                continue;
            }
            transitions[from][to]++;
            n_transition_tags++;
        }
    }
    fclose(f);
}

static void read_sources(void)
{
    static bool done;
    if (done) return;
    done = true;
    /* The directory of this source, as the compiler saw it. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    DIR *d = opendir(dir);
    if (!d) {
        test_fail(__FILE__, __LINE__, "cannot open %s", dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0) continue;
        if (strcmp(e->d_name, "coverage.c") == 0) continue; /* this file documents, not tags */
        read_source(dir, e->d_name);
    }
    closedir(d);
}

/* ---- the checks ---- */

/* Every state has its test file, every tag parses, and every tagged function is run. */
static void coverage_sources_and_tags(void)
{
    read_sources();
    static const char *const files[] = {"closed.c", "listen.c", "syn_sent.c", "syn_received.c",
                                        "established.c", "fin_wait_1.c", "fin_wait_2.c",
                                        "close_wait.c", "closing.c", "last_ack.c", "time_wait.c"};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", slash ? dir : ".", files[i]);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        if (f) fclose(f);
        else test_fail(__FILE__, __LINE__, "missing state test file %s", files[i]);
    }
    CHECK(n_files >= 11);
    CHECK(n_cell_tags > 0);
    for (int i = 0; i < n_funcs; i++) {
        bool run = false;
        for (int j = 0; j < n_runs && !run; j++) run = strcmp(runs[j], funcs[i].name) == 0;
        test_checks++;
        if (funcs[i].tags && !run)
            test_fail(funcs[i].file, 0, "%s carries tags but is never RUN", funcs[i].name);
        /* Every state test ends with the no-leak / no-illegal-transition check. */
        test_checks++;
        if (run && !funcs[i].finish)
            test_fail(funcs[i].file, 0, "%s does not end with PEER_FINISH", funcs[i].name);
    }
}

static int any_class(int s, int k)
{
    int n = 0;
    for (int c = 0; c < N_CLASSES; c++) n += cells[s][k][c];
    return n;
}

/* (a) every state x segment kind / user call has a test. */
static void coverage_matrix_every_cell(void)
{
    read_sources();
    for (int s = 0; s < N_STATES; s++)
        for (int k = 0; k < N_BASE; k++) {
            test_checks++;
            if (!any_class(s, k))
                test_fail(__FILE__, __LINE__, "no test for CELL(%s, %s, *)", state_id[s],
                          base_kinds[k]);
        }
}

static void require(int s, const char *kind, int c)
{
    int k = kind_index(kind);
    test_checks++;
    if (k < 0 || !cells[s][k][c])
        test_fail(__FILE__, __LINE__, "no test for CELL(%s, %s, %s)", state_id[s], kind,
                  class_id[c]);
}

/* (b) the sequence-number classes where RFC 9293 3.10.7.3/3.10.7.4 tell them apart. */
static void coverage_matrix_seq_classes(void)
{
    read_sources();
    for (int s = SYNACK_SYN_RECEIVED; s < N_STATES; s++) {
        static const char *const ok_oow[] = {"SYN", "SYN_ACK", "FIN", "RST", "RST_ACK"};
        static const char *const ok_old_oow[] = {"ACK", "FIN_ACK", "DATA"};
        for (size_t i = 0; i < sizeof ok_oow / sizeof ok_oow[0]; i++) {
            require(s, ok_oow[i], C_OK);
            require(s, ok_oow[i], C_OOW);
        }
        for (size_t i = 0; i < sizeof ok_old_oow / sizeof ok_old_oow[0]; i++) {
            require(s, ok_old_oow[i], C_OK);
            require(s, ok_old_oow[i], C_OLD);
            require(s, ok_old_oow[i], C_OOW);
        }
    }
    static const char *const syn_sent_kinds[] = {"SYN_ACK", "ACK", "FIN_ACK", "RST_ACK", "DATA"};
    for (size_t i = 0; i < sizeof syn_sent_kinds / sizeof syn_sent_kinds[0]; i++) {
        require(SYNACK_SYN_SENT, syn_sent_kinds[i], C_OK);
        require(SYNACK_SYN_SENT, syn_sent_kinds[i], C_OOW);
    }
}

/* (c) the timers that can run in each state (RFC 9293 3.10.8, RFC 1122, RFC 6298, our BSD-style
 * establishment and FIN-WAIT-2 timers). */
static void coverage_timers(void)
{
    read_sources();
    static const struct {
        int state;
        const char *timers[6];
    } need[] = {
        {SYNACK_CLOSED, {"TIMER_NONE"}},
        {SYNACK_LISTEN, {"TIMER_NONE"}},
        {SYNACK_SYN_SENT, {"TIMER_REXMT", "TIMER_CONN_EST", "TIMER_USER_TIMEOUT"}},
        {SYNACK_SYN_RECEIVED, {"TIMER_REXMT", "TIMER_CONN_EST"}},
        {SYNACK_ESTABLISHED, {"TIMER_REXMT", "TIMER_DELACK", "TIMER_PERSIST", "TIMER_KEEPALIVE",
                              "TIMER_USER_TIMEOUT"}},
        {SYNACK_FIN_WAIT_1, {"TIMER_REXMT", "TIMER_DELACK", "TIMER_USER_TIMEOUT"}},
        {SYNACK_FIN_WAIT_2, {"TIMER_FIN_WAIT_2", "TIMER_DELACK"}},
        {SYNACK_CLOSE_WAIT, {"TIMER_REXMT", "TIMER_KEEPALIVE", "TIMER_USER_TIMEOUT"}},
        {SYNACK_CLOSING, {"TIMER_REXMT"}},
        {SYNACK_LAST_ACK, {"TIMER_REXMT", "TIMER_USER_TIMEOUT"}},
        {SYNACK_TIME_WAIT, {"TIMER_TIME_WAIT"}},
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        for (int j = 0; j < 6 && need[i].timers[j]; j++) {
            int k = kind_index(need[i].timers[j]);
            test_checks++;
            if (k < 0 || !any_class(need[i].state, k))
                test_fail(__FILE__, __LINE__, "no test for CELL(%s, %s, *)",
                          state_id[need[i].state], need[i].timers[j]);
        }
}

/* (d) the core's legal-transition table and the TRANSITION tags agree both ways. */
static void coverage_transitions_match_table(void)
{
    read_sources();
    for (int from = 0; from < N_STATES; from++)
        for (int to = 0; to < N_STATES; to++) {
            bool legal = tcp_transition_legal(from, to);
            test_checks++;
            if (legal && !transitions[from][to])
                test_fail(__FILE__, __LINE__, "legal transition %s -> %s has no TRANSITION test",
                          state_id[from], state_id[to]);
            if (!legal && transitions[from][to])
                test_fail(__FILE__, __LINE__, "TRANSITION(%s, %s) is tagged but the table calls "
                          "it illegal", state_id[from], state_id[to]);
        }
}

/* (e) RFC 9293 Figure 5, by hand, with its notes:
 *  note 1: SYN-RECEIVED -> LISTEN on RST after a passive OPEN;
 *  note 2: FIN-WAIT-1 -> TIME-WAIT when the FIN arrives with the ACK of ours;
 *  note 3: receipt of a RST in any state -> CLOSED (or LISTEN, note 1). Its other half, "a RST can
 *  be sent from any state with a corresponding transition to TIME-WAIT", is a MAY ([70]); the
 *  core does not do it, so those arrows are not required.
 * Plus the transitions the text of 3.10 implies beyond the figure: FIN in SYN-RECEIVED ->
 * CLOSE-WAIT (3.10.7.4 eighth) and ABORT / timeouts -> CLOSED (3.10.5, 3.10.8). */
static const struct {
    int from, to;
    const char *why;
} figure5[] = {
    {SYNACK_CLOSED, SYNACK_LISTEN, "passive OPEN"},
    {SYNACK_CLOSED, SYNACK_SYN_SENT, "active OPEN / snd SYN"},
    {SYNACK_LISTEN, SYNACK_CLOSED, "CLOSE / delete TCB"},
    {SYNACK_LISTEN, SYNACK_SYN_RECEIVED, "rcv SYN / snd SYN,ACK"},
    {SYNACK_LISTEN, SYNACK_SYN_SENT, "SEND / snd SYN"},
    {SYNACK_SYN_SENT, SYNACK_SYN_RECEIVED, "rcv SYN / snd SYN,ACK"},
    {SYNACK_SYN_SENT, SYNACK_ESTABLISHED, "rcv SYN,ACK / snd ACK"},
    {SYNACK_SYN_SENT, SYNACK_CLOSED, "CLOSE / delete TCB"},
    {SYNACK_SYN_RECEIVED, SYNACK_LISTEN, "rcv RST (note 1)"},
    {SYNACK_SYN_RECEIVED, SYNACK_ESTABLISHED, "rcv ACK of SYN"},
    {SYNACK_SYN_RECEIVED, SYNACK_FIN_WAIT_1, "CLOSE / snd FIN"},
    {SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, "CLOSE / snd FIN"},
    {SYNACK_ESTABLISHED, SYNACK_CLOSE_WAIT, "rcv FIN / snd ACK"},
    {SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2, "rcv ACK of FIN"},
    {SYNACK_FIN_WAIT_1, SYNACK_CLOSING, "rcv FIN / snd ACK"},
    {SYNACK_FIN_WAIT_1, SYNACK_TIME_WAIT, "rcv FIN + ACK of FIN (note 2)"},
    {SYNACK_CLOSE_WAIT, SYNACK_LAST_ACK, "CLOSE / snd FIN"},
    {SYNACK_FIN_WAIT_2, SYNACK_TIME_WAIT, "rcv FIN / snd ACK"},
    {SYNACK_CLOSING, SYNACK_TIME_WAIT, "rcv ACK of FIN"},
    {SYNACK_LAST_ACK, SYNACK_CLOSED, "rcv ACK of FIN"},
    {SYNACK_TIME_WAIT, SYNACK_CLOSED, "Timeout=2MSL / delete TCB"},
    /* note 3: receipt of a RST */
    {SYNACK_SYN_SENT, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_SYN_RECEIVED, SYNACK_CLOSED, "rcv RST after active OPEN (note 3)"},
    {SYNACK_ESTABLISHED, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_FIN_WAIT_1, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_FIN_WAIT_2, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_CLOSE_WAIT, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_CLOSING, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_LAST_ACK, SYNACK_CLOSED, "rcv RST (note 3)"},
    {SYNACK_TIME_WAIT, SYNACK_CLOSED, "rcv RST (note 3)"},
    /* section 3.10 text */
    {SYNACK_SYN_RECEIVED, SYNACK_CLOSE_WAIT, "rcv FIN (3.10.7.4 eighth)"},
};

static void coverage_figure5_legal_and_tested(void)
{
    read_sources();
    for (size_t i = 0; i < sizeof figure5 / sizeof figure5[0]; i++) {
        int from = figure5[i].from, to = figure5[i].to;
        test_checks++;
        if (!tcp_transition_legal(from, to))
            test_fail(__FILE__, __LINE__, "Figure 5 arrow %s -> %s (%s) is illegal in the table",
                      state_id[from], state_id[to], figure5[i].why);
        test_checks++;
        if (!transitions[from][to])
            test_fail(__FILE__, __LINE__, "Figure 5 arrow %s -> %s (%s) has no TRANSITION test",
                      state_id[from], state_id[to], figure5[i].why);
    }
}

/* Not a check: the counts, for the log. */
static void coverage_summary(void)
{
    read_sources();
    int cells_hit = 0, trans_hit = 0, legal = 0;
    for (int s = 0; s < N_STATES; s++)
        for (int k = 0; k < N_KINDS; k++)
            for (int c = 0; c < N_CLASSES; c++) cells_hit += cells[s][k][c] != 0;
    for (int f = 0; f < N_STATES; f++)
        for (int t = 0; t < N_STATES; t++) {
            trans_hit += transitions[f][t] != 0 && tcp_transition_legal(f, t);
            legal += tcp_transition_legal(f, t);
        }
    printf("state tests: %d files, %d tests run, %d CELL tags over %d distinct cells, "
           "%d TRANSITION tags over %d of %d legal transitions\n",
           n_files, n_runs, n_cell_tags, cells_hit, n_transition_tags, trans_hit, legal);
    for (int s = 0; s < N_STATES; s++) {
        printf("  %-12s", state_id[s]);
        for (int k = 0; k < N_KINDS; k++)
            if (any_class(s, k)) printf(" %s", kind_name(k));
        printf("\n");
    }
}

int main(void)
{
    RUN(coverage_sources_and_tags);
    RUN(coverage_matrix_every_cell);
    RUN(coverage_matrix_seq_classes);
    RUN(coverage_timers);
    RUN(coverage_transitions_match_table);
    RUN(coverage_figure5_legal_and_tested);
    RUN(coverage_summary);
    return test_report();
}
