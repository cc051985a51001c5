/* cc.c: the table of congestion control algorithms and what they share. */
#include "cc/cc.h"

#include <string.h>

#include <synack/stack.h>

const cc_ops *const cc_algos[] = {&cc_newreno, &cc_cubic, &cc_bbr};
const unsigned cc_algo_count = sizeof cc_algos / sizeof cc_algos[0];

const char *synack_cc_name(unsigned i) { return i < cc_algo_count ? cc_algos[i]->name : NULL; }

int cc_find(const char *name)
{
    for (unsigned i = 0; i < cc_algo_count; i++)
        if (!strcmp(cc_algos[i]->name, name)) return (int)i;
    return -1;
}

uint32_t cc_slow_start(cc_conn *c, uint32_t acked)
{
    uint32_t room = c->ssthresh > c->cwnd ? c->ssthresh - c->cwnd : 0;
    uint32_t grow = acked < c->mss ? acked : c->mss;
    if (grow > room) grow = room;
    c->cwnd += grow;
    return acked - grow;
}
