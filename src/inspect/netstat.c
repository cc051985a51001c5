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

static void endpoint_text(const synack_endpoint *ep, bool wildcard_port, char *buf, size_t cap)
{
    char a[48];
    synack_addr_format(&ep->addr, a, sizeof a);
    if (wildcard_port) snprintf(buf, cap, "%s:*", a);
    else snprintf(buf, cap, "%s:%u", a, ep->port);
}

void synack_netstat_print(const synack_stack *st, FILE *out, bool with_timers)
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
        bool listening = ci->state == SYNACK_LISTEN;
        endpoint_text(&ci->local, false, l, sizeof l);
        endpoint_text(&ci->remote, listening, r, sizeof r);
        /* tcp6 for IPv6 rows, dual-stack listeners included (":::80"), as Linux netstat. */
        fprintf(out, "%-5s %6u %6u %-23s %-23s %-11s", ci->local.addr.family == SYNACK_AF_INET6 ? "tcp6" : "tcp",
                ci->recv_q, ci->send_q, l, r,
                synack_state_netstat_name(ci->state));
        if (with_timers) fprintf(out, " %s", synack_netstat_timer_format(ci, tm, sizeof tm));
        fputc('\n', out);
    }
    free(list);
}
