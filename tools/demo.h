/* demo.h: `synack demo`, the guided tour of TCP's states on two simulated hosts.
 * The scenarios live in demo.c; main.c only parses the command line. */
#ifndef SYNACK_TOOLS_DEMO_H
#define SYNACK_TOOLS_DEMO_H

#include <stdbool.h>
#include <stdio.h>

#define DEMO_SCENARIOS 8

/* Runs scenario 1..DEMO_SCENARIOS, or all of them when scenario is 0, printing to out. With
 * pcap_dir, writes one capture per scenario there (the directory is created if missing).
 * Returns 0 when every step went as the demo expects; 1 when a step did not (the output says
 * which: the stack is new and may have bugs) or a capture could not be written; 2 on bad
 * arguments or no memory. */
int demo_run(FILE *out, int scenario, const char *pcap_dir, bool color);

/* The title of scenario n (1-based), for help text; NULL if out of range. */
const char *demo_scenario_title(int n);

#endif
