/* netstat.c: the `netstat -an [-o]` view of a stack, in the columns and state names of Linux
 * net-tools (tcp6 rows, ":::80" for a dual-stack listener), so that people read synack's table as they read their host's. */
#include <stdlib.h>

#include <synack/inspect.h>

static const char *const nt_names[] = {"off", "on", "keepalive", "timewait", "probe"};

char *synack_netstat_timer_format(const synack_conn_info *ci, char *buf, size_t cap)
{
    unsigned long cs = (unsigned long)((ci->nt_remaining_us + 5000) / 10000); /* hundredths */
    snprintf(buf, cap, "%s (%lu.%02lu/%u/%u)", nt_names[ci->nt_timer < 5 ? ci->nt_timer : 0], cs / 100,
             cs % 100, ci->nt_retransmits, ci->nt_probes);
    return buf;
}

/* An address as a row shows it: as is, or on an AF_INET6 socket (as_v6) an IPv4 one mapped. */
static void addr_text(const synack_addr *a, bool as_v6, char *buf, size_t cap)
{
    if (as_v6 && a->family != SYNACK_AF_INET6) {
        const uint8_t *b = a->bytes;
        if (!b[0] && !b[1] && !b[2] && !b[3]) snprintf(buf, cap, "::");
        else snprintf(buf, cap, "::ffff:%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        return;
    }
    synack_addr_format(a, buf, cap);
}

static void endpoint_text(const synack_endpoint *ep, bool as_v6, char *buf, size_t cap)
{
    char a[48];
    addr_text(&ep->addr, as_v6, a, sizeof a);
    snprintf(buf, cap, "%s:%u", a, ep->port);
}

static void print_table(const synack_stack *st, FILE *out, bool with_timers, bool all_v6)
{
    size_t n = synack_conn_list(st, NULL, 0);
    synack_conn_info *list = n ? calloc(n, sizeof *list) : NULL;
    if (n && !list) return;
    n = synack_conn_list(st, list, n);
    fprintf(out, "Active Internet connections (servers and established)\n");
    fprintf(out, "Proto Recv-Q Send-Q Local Address           Foreign Address         State      %s\n",
            with_timers ? " Timer" : "");
    for (size_t i = 0; i < n; i++) {
        const synack_conn_info *ci = &list[i];
        char l[64], r[64], tm[48];
        /* net-tools names the protocol by the socket's family: "tcp" or "tcp6". */
        bool v6 = all_v6 || ci->local.addr.family == SYNACK_AF_INET6;
        endpoint_text(&ci->local, v6, l, sizeof l);
        if (ci->state == SYNACK_LISTEN) /* the foreign side: the wildcard of the row's family */
            snprintf(r, sizeof r, "%s:*", v6 ? "::" : "0.0.0.0");
        else
            endpoint_text(&ci->remote, v6, r, sizeof r);
        fprintf(out, "%-5s %6u %6u %-23s %-23s %-11s", v6 ? "tcp6" : "tcp", ci->recv_q, ci->send_q,
                l, r, synack_state_netstat_name(ci->state));
        if (with_timers) fprintf(out, " %s", synack_netstat_timer_format(ci, tm, sizeof tm));
        fputc('\n', out);
    }
    free(list);
}

void synack_netstat_print(const synack_stack *st, FILE *out, bool with_timers)
{
    print_table(st, out, with_timers, false);
}

void synack_netstat_print_v6(const synack_stack *st, FILE *out, bool with_timers)
{
    print_table(st, out, with_timers, true);
}
