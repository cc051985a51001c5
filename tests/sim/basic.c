/* basic.c: the canonical life of a connection between two synack stacks. */
#include <errno.h>

#include "pair.h"
#include "test.h"

static void handshake_data_close(void)
{
    pair p;
    pair_open(&p, NULL, NULL, 1);
    int l = pair_listen(&p, 80);
    int c = pair_connect(&p, 80);
    CHECK(l >= 0 && c >= 0);
    CHECK_EQ(synack_socket_state(p.c, c), SYNACK_SYN_SENT);
    int a = pair_establish(&p, l, c);
    CHECK(a >= 0);
    CHECK_EQ(synack_socket_state(p.c, c), SYNACK_ESTABLISHED);
    CHECK_EQ(synack_socket_state(p.s, a), SYNACK_ESTABLISHED);
    CHECK_EQ(synack_send(p.c, c, "hello", 5), 5);
    pair_run(&p, SYNACK_MS(100));
    char buf[16];
    CHECK_EQ(synack_recv(p.s, a, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(synack_close(p.c, c), 0);
    pair_run(&p, SYNACK_MS(100));
    CHECK_EQ(synack_socket_state(p.s, a), SYNACK_CLOSE_WAIT);
    CHECK_EQ(synack_recv(p.s, a, buf, sizeof buf), 0);
    CHECK_EQ(synack_close(p.s, a), 0);
    pair_run(&p, SYNACK_MS(100));
    synack_conn_info ci[4];
    size_t n = synack_conn_list(p.c, ci, 4);
    CHECK_EQ(n, 1);
    CHECK_EQ(ci[0].state, SYNACK_TIME_WAIT);
    synack_netstat_print(p.c, stdout, true);
    pair_run(&p, SYNACK_SEC(61));
    CHECK_EQ(synack_conn_list(p.c, ci, 4), 0);
    CHECK_EQ(synack_conn_list(p.s, ci, 4), 1); /* the listener */
    CHECK_EQ(synack_counter(p.c, SYNACK_CNT_tcp_illegal_transition), 0);
    synack_close(p.s, l);
    synack_mem_info m;
    synack_mem_get(p.c, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    CHECK_EQ(m.conns_in_use, 0);
    synack_mem_get(p.s, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    CHECK_EQ(m.conns_in_use, 0);
    pair_close(&p);
}

int main(void)
{
    RUN(handshake_data_close);
    return test_report();
}
