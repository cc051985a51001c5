/* netstat_tcp6.c — regression test, the defect below is fixed: the netstat view (and the packetdrill
 * adapter's netstat_file, which prints it) labelled every row "tcp"; net-tools labels IPv6
 * sockets "tcp6", and tools that select rows by family (netstat -A inet6, scripts grepping
 * "^tcp6") saw none of synack's IPv6 connections. */
#include <errno.h>
#include <stdlib.h>

#include "pair.h"
#include "test.h"

/* The table printed into a string. */
static char *table(synack_stack *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    synack_netstat_print(st, m, false);
    fclose(m);
    return text;
}

/* Counts rows starting with `proto` followed by a space, and containing `needle`. */
static int rows(const char *text, const char *proto, const char *needle)
{
    int n = 0;
    size_t pl = strlen(proto);
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)ll, l);
        if (!strncmp(line, proto, pl) && line[pl] == ' ' && strstr(line, needle)) n++;
        l = nl ? nl + 1 : NULL;
    }
    return n;
}

static void ipv6_rows_are_tcp6(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 5);
    int l4 = pair_listen(&p, 80);
    /* A listener on the IPv6 wildcard too. */
    int l6 = synack_socket(p.s);
    synack_endpoint any6 = {{0}, 8080};
    synack_addr_parse("::", &any6.addr);
    CHECK_EQ(synack_bind(p.s, l6, &any6), 0);
    CHECK_EQ(synack_listen(p.s, l6, 4), 0);
    int c = synack_socket(p.c);
    synack_endpoint srv = {{0}, 8080};
    synack_addr_parse("2001:db8::2", &srv.addr);
    CHECK_EQ(synack_connect(p.c, c, &srv), -EINPROGRESS);
    int a = pair_establish(&p, l6, c);
    CHECK(a >= 0);
    int c4 = pair_connect(&p, 80); /* and an IPv4 connection */
    int a4 = pair_establish(&p, l4, c4);
    CHECK(a4 >= 0);
    char *t = table(p.s);
    printf("%s", t);
    CHECK_EQ(rows(t, "tcp6", ":::8080"), 1);                    /* the IPv6 listener */
    CHECK_EQ(rows(t, "tcp6", "2001:db8::2:8080"), 1);           /* the IPv6 connection */
    /* A wildcard listener of a dual-stack stack takes both families: Linux shows such a socket
     * (an AF_INET6 one) as ":::80" (issue 10). */
    CHECK_EQ(rows(t, "tcp6", ":::80 "), 1);
    CHECK_EQ(rows(t, "tcp", "198.18.0.2:80 "), 1);               /* the IPv4 connection is tcp */
    CHECK_EQ(rows(t, "tcp", "2001:db8"), 0);
    /* Columns stay aligned: "tcp6" takes the room of "tcp " (net-tools' layout). */
    CHECK(strstr(t, "\ntcp6       0      0 ") != NULL);
    CHECK(strstr(t, "\ntcp        0      0 ") != NULL);
    free(t);
    synack_close(p.c, c);
    synack_close(p.s, a);
    synack_close(p.c, c4);
    synack_close(p.s, a4);
    synack_close(p.s, l6);
    synack_close(p.s, l4);
    pair_run(&p, SYNACK_SEC(120));
    pair_close(&p);
}

int main(void)
{
    RUN(ipv6_rows_are_tcp6);
    return test_report();
}
