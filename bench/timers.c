/* timers.c: figure 3, timers at scale. Fills the client with TIME-WAIT connections (client
 * closes first; target --n, default 1,000,000, stopping early at --fill-cap wall seconds), lets
 * the in-flight ones finish, jumps the virtual clock to 2 ms before the first 2*MSL deadline and
 * keeps serving new connections (100 in flight) through the whole expiry window. Lateness of
 * each expiry = time of its TIME-WAIT -> CLOSED state event - (time of its -> TIME-WAIT event +
 * 2*MSL): O(1) per expiry from the event stream. Connection rate (wall, 100 in flight) in the 2 ms
 * before the window is the anchor for the rate during it. Virtual clock: 10 us per round, so lateness has
 * that resolution. Client max_time_wait raised to n + 200,000 (default 262,144), nothing else.
 *   timers [--n N] [--fill-cap S] [--cap S] */
#include "support/bench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HIST_US 100000 /* lateness histogram, 1 us buckets up to 100 ms, then one overflow bucket */

typedef struct watch {
    synack_time_us *tw_at; /* conn_id -> time it entered TIME-WAIT (0 = not seen) */
    size_t cap;
    synack_time_us twice_msl;
    uint64_t entered, expired, expired_unknown, expired_by_timer, expired_early, lost;
    uint64_t *hist;
    synack_time_us max_late, first_deadline;
} watch;

static void on_event(void *ctx, bool client, const synack_event *ev)
{
    watch *w = ctx;
    if (!client || ev->type != SYNACK_EV_STATE) return;
    if (ev->to == SYNACK_TIME_WAIT) {
        if (ev->conn_id >= w->cap) {
            size_t nc = w->cap ? w->cap * 2 : 1 << 20;
            while (nc <= ev->conn_id) nc *= 2;
            w->tw_at = realloc(w->tw_at, nc * sizeof *w->tw_at);
            if (!w->tw_at) exit(1);
            memset(w->tw_at + w->cap, 0, (nc - w->cap) * sizeof *w->tw_at);
            w->cap = nc;
        }
        w->tw_at[ev->conn_id] = ev->time;
        w->entered++;
        synack_time_us d = ev->time + w->twice_msl;
        if (!w->first_deadline || d < w->first_deadline) w->first_deadline = d;
    } else if (ev->from == SYNACK_TIME_WAIT) {
        w->expired++;
        if (ev->cause.kind == SYNACK_CAUSE_TIMER) w->expired_by_timer++;
        if (ev->conn_id >= w->cap || !w->tw_at[ev->conn_id]) {
            w->expired_unknown++;
            return;
        }
        synack_time_us d = w->tw_at[ev->conn_id] + w->twice_msl;
        w->tw_at[ev->conn_id] = 0;
        if (ev->time < d) { /* closed before its deadline (records full, reused 4-tuple) */
            w->expired_early++;
            return;
        }
        synack_time_us late = ev->time - d;
        if (late > w->max_late) w->max_late = late;
        w->hist[late < HIST_US ? late : HIST_US]++;
    }
}

static synack_time_us hist_pct(const watch *w, double pct)
{
    uint64_t total = 0, acc = 0;
    for (size_t i = 0; i <= HIST_US; i++) total += w->hist[i];
    uint64_t want = (uint64_t)((double)total * pct);
    for (size_t i = 0; i <= HIST_US; i++)
        if ((acc += w->hist[i]) > want) return i;
    return HIST_US;
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    double fill_cap = 45, cap = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--fill-cap")) fill_cap = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--cap")) cap = atof(argv[i + 1]);
        else {
            fprintf(stderr, "timers: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    synack_config ca, cb;
    synack_config_default(&ca);
    synack_config_default(&cb);
    /* Raised only where the default is smaller: TIME-WAIT records for all n, connections. */
    if (ca.max_time_wait < n + 200000) ca.max_time_wait = (uint32_t)n + 200000;
    if (ca.max_conns < 65536) ca.max_conns = 65536;
    if (ca.max_sockets < 65536) ca.max_sockets = 65536;
    bench_pair p;
    bench_rr rr;
    watch w = {.twice_msl = 2 * ca.msl_us, .hist = calloc(HIST_US + 1, sizeof(uint64_t))};
    if (!w.hist || !bench_pair_init(&p, &ca, &cb, 10) ||
        !bench_rr_init(&rr, &p, RR_CLIENT_CLOSE, 61, n, 1000)) {
        fprintf(stderr, "timers: setup failed\n");
        return 1;
    }
    rr.on_event = on_event;
    rr.ctx = &w;
    double t0 = bench_wall_s();
    /* Fill. */
    const char *fill_stop = "count";
    while (rr.completed + rr.failed < n) {
        bench_rr_round(&rr);
        if (bench_wall_s() - t0 > fill_cap) {
            fill_stop = "fill_cap";
            break;
        }
    }
    double fill_wall = bench_wall_s() - t0;
    uint64_t fill_done = rr.completed;
    rr.total = rr.started; /* drain what is in flight */
    while (rr.outstanding > 0 && bench_wall_s() - t0 < cap) bench_rr_round(&rr);
    for (int i = 0; i < 4; i++) bench_rr_round(&rr);
    uint64_t tw_filled = bench_in_state(p.a, SYNACK_TIME_WAIT);
    uint64_t expired_at_fill = w.expired;
    synack_time_us last_deadline = p.now + w.twice_msl;

    /* Before the window: 2 ms of virtual time serving new connections, 100 in flight (a lighter
     * load than the fill, so that the window does not last as long as the fill in wall time). */
    bench_pair_jump(&p, w.first_deadline - SYNACK_MS(2));
    rr.total = UINT64_MAX;
    rr.target_outstanding = 100;
    uint64_t c0 = rr.completed;
    double t1 = bench_wall_s();
    while (p.now < w.first_deadline && bench_wall_s() - t0 < cap) bench_rr_round(&rr);
    double base_wall = bench_wall_s() - t1;
    uint64_t base_conns = rr.completed - c0;
    uint64_t expired_before = w.expired;

    /* The window: until every filled TIME-WAIT expired. */
    c0 = rr.completed;
    t1 = bench_wall_s();
    const char *stopped = "all_expired";
    while (w.expired - expired_at_fill < tw_filled && p.now <= last_deadline + SYNACK_MS(10)) {
        bench_rr_round(&rr);
        if (bench_wall_s() - t0 > cap) {
            stopped = "wall_cap";
            break;
        }
    }
    double win_wall = bench_wall_s() - t1;
    uint64_t win_conns = rr.completed - c0;
    double rate_base = base_wall > 0 ? (double)base_conns / base_wall : 0;
    double rate_win = win_wall > 0 ? (double)win_conns / win_wall : 0;
    uint64_t lost = synack_counter(p.a, SYNACK_CNT_event_overflow);
    printf("{\"bench\":\"timer_tw_expiry_lateness_max\",\"value\":%llu,\"unit\":\"us\","
           "\"p99_us\":%llu,\"p50_us\":%llu,\"time_wait_filled\":%llu,\"target_n\":%llu,"
           "\"fill_stopped_by\":\"%s\",\"fill_wall_s\":%.2f,\"fill_conn_per_s\":%.1f,"
           "\"expired\":%llu,\"expired_by_timer\":%llu,\"expired_unmatched\":%llu,\"closed_before_deadline\":%llu,\"tw_overflow\":%llu,"
           "\"events_lost\":%llu,\"stopped_by\":\"%s\",\"window_virtual_ms\":%.2f,\"step_us\":10,"
           "\"vmhwm_kb\":%ld,\"config\":\"default; client max_time_wait=%u max_conns=%u\"}\n",
           (unsigned long long)w.max_late, (unsigned long long)hist_pct(&w, 0.99),
           (unsigned long long)hist_pct(&w, 0.5), (unsigned long long)tw_filled,
           (unsigned long long)n, fill_stop, fill_wall,
           fill_wall > 0 ? (double)fill_done / fill_wall : 0.0, (unsigned long long)w.expired,
           (unsigned long long)w.expired_by_timer, (unsigned long long)w.expired_unknown,
           (unsigned long long)w.expired_early,
           (unsigned long long)synack_counter(p.a, SYNACK_CNT_tcp_tw_overflow),
           (unsigned long long)lost, stopped,
           (double)(last_deadline - w.first_deadline) / 1000.0, bench_status_kb("VmHWM"),
           ca.max_time_wait, ca.max_conns);
    printf("{\"bench\":\"timer_conn_rate_during_expiry\",\"value\":%.1f,\"unit\":\"conn/s\","
           "\"conns\":%llu,\"wall_s\":%.3f,\"without_value\":%.1f,\"without_conns\":%llu,"
           "\"without_wall_s\":%.3f,\"expiries_in_window\":%llu}\n",
           rate_win, (unsigned long long)win_conns, win_wall, rate_base,
           (unsigned long long)base_conns, base_wall,
           (unsigned long long)(w.expired - expired_before));
    fflush(stdout);
    _exit(0);
}
