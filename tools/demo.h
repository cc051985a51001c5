/* demo.h: `synack demo`, the guided tour of TCP's states on two simulated hosts.
 * The scenarios live in demo.c; main.c only parses the command line. */
#ifndef SYNACK_TOOLS_DEMO_H
#define SYNACK_TOOLS_DEMO_H

#include <stdbool.h>
#include <stdio.h>

#include <synack/sim.h>
#include <synack/stack.h>

#define DEMO_SCENARIOS 8

/* Runs scenario 1..DEMO_SCENARIOS, or all of them when scenario is 0, printing to out. With
 * pcap_dir, writes one capture per scenario there (the directory is created if missing).
 * Returns 0 when every step went as the demo expects; 1 when a step did not (the output says
 * which: the stack is new and may have bugs) or a capture could not be written; 2 on bad
 * arguments or no memory. */
int demo_run(FILE *out, int scenario, const char *pcap_dir, bool color);

/* What other outputs (the HTML page, ladders from the scenarios) observe of a run, besides the
 * text it prints. Every member may be NULL. */
typedef struct demo_hooks {
    void *ctx;
    void (*scenario)(void *ctx, int n, const char *slug, const char *title, const char *intro);
    void (*step)(void *ctx, int scenario, int step, const char *title, const char *explain);
    /* A netstat -ano look at one host ("client" or "server") at virtual time t. */
    void (*table)(void *ctx, const char *host, synack_time_us t, const synack_stack *st);
    /* Every packet on the simulated link, as the ladder and the pcap see it. */
    synack_tap_fn tap;
} demo_hooks;

/* demo_run, with hooks called as the run goes (hooks may be NULL). */
int demo_run_hooked(FILE *out, int scenario, const char *pcap_dir, bool color, const demo_hooks *hooks);

/* The title of scenario n (1-based), for help text; NULL if out of range. */
const char *demo_scenario_title(int n);

#endif
