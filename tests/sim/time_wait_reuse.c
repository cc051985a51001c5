/* time_wait_reuse.c (sim): the compact TIME-WAIT record (tcp/timewait.h) between two stacks: a
 * new SYN on its 4-tuple is accepted or refused as RFC 6191 (timestamps) and RFC 9293 3.6.1 /
 * RFC 1122 4.2.2.13 (sequence numbers) say; connect() reuses a TIME-WAIT port only when
 * timestamps protect the new incarnation; the record table's limit; netstat shows the record. */
#include <errno.h>
#include <stdlib.h>

#include "duo.h"
#include "stack_impl.h"
#include "test.h"

/* The server closes first, so the server holds TIME-WAIT on (server:80, client:from). */
static uint32_t server_time_wait(duo *d, int l, uint16_t from)
{
    int c, a = duo_connect(d, l, 80, from, &c);
    CHECK(a >= 0);
    CHECK_EQ(synack_send(d->c, c, "hello", 5), 5);
    duo_pump(d);
    char b[8];
    CHECK_EQ(synack_recv(d->s, a, b, sizeof b), 5);
    synack_close(d->s, a);
    duo_pump(d);
    synack_close(d->c, c);
    duo_pump(d);
    synack_mem_info m;
    synack_mem_get(d->s, &m);
    CHECK_EQ(m.time_wait, 1);
    synack_conn_info ci;
    CHECK_EQ(synack_conn_list(d->s, &ci, 0) , 2); /* the listener and the record */
    synack_conn_info all[2];
    synack_conn_list(d->s, all, 2);
    CHECK_EQ(all[1].state, SYNACK_TIME_WAIT);
    CHECK_EQ(all[1].socket, -1);
    return all[1].snd_nxt; /* the server's SND.NXT in the old incarnation */
}

static synack_config ts_cfg(bool ts)
{
    synack_config c;
    synack_config_default(&c);
    c.timestamps = ts;
    return c;
}

/* RFC 6191: with timestamps, a SYN whose TSval is newer than TS.Recent reopens the 4-tuple; the
 * new ISN lies beyond the old SND.NXT (RFC 9293 3.4.1) and the connection carries data. */
static void syn_with_newer_timestamp_reopens(void)
{
    synack_config cc = ts_cfg(true), sc = ts_cfg(true);
    duo d;
    duo_open(&d, &cc, &sc);
    int l = duo_listen(&d, 80);
    uint32_t old_snd_nxt = server_time_wait(&d, l, 40000);
    duo_advance(&d, SYNACK_MS(5)); /* the client's clock moves on: a newer TSval */
    int c, a = duo_connect(&d, l, 80, 40000, &c);
    CHECK(a >= 0);
    CHECK_EQ(synack_counter(d.s, SYNACK_CNT_tcp_tw_syn_reused), 1);
    synack_conn_info ci;
    CHECK(synack_socket_info(d.s, a, &ci));
    CHECK_EQ(ci.state, SYNACK_ESTABLISHED);
    CHECK(seq_gt(ci.iss, old_snd_nxt + 65535u));
    CHECK_EQ(synack_send(d.c, c, "again", 5), 5);
    duo_pump(&d);
    char b[8];
    CHECK_EQ(synack_recv(d.s, a, b, sizeof b), 5);
    synack_mem_info m;
    synack_mem_get(d.s, &m);
    CHECK_EQ(m.time_wait, 0);
    CHECK_EQ(synack_transition_count(d.s, SYNACK_TIME_WAIT, SYNACK_CLOSED), 1);
    synack_abort(d.c, c);
    synack_abort(d.s, a);
    synack_close(d.s, l);
    duo_free(&d);
}

/* RFC 6191: the same TSval and a sequence number not beyond RCV.NXT: "silently drop", the record
 * stays. Without timestamps (RFC 1122 4.2.2.13): only a sequence number beyond RCV.NXT reopens. */
static void syn_refused_then_accepted_by_sequence(void)
{
    for (int ts = 0; ts < 2; ts++) {
        synack_config cc = ts_cfg(ts), sc = ts_cfg(ts);
        cc.isn_fixed = true;
        cc.isn_value = 1000; /* the client's ISN: its old and new SYNs carry the same */
        duo d;
        duo_open(&d, &cc, &sc);
        int l = duo_listen(&d, 80);
        server_time_wait(&d, l, 40001);
        int c;
        CHECK(duo_connect(&d, l, 80, 40001, &c) < 0); /* same ISN, same TSval: dropped */
        CHECK_EQ(synack_counter(d.s, SYNACK_CNT_tcp_tw_syn_refused), 1);
        synack_mem_info m;
        synack_mem_get(d.s, &m);
        CHECK_EQ(m.time_wait, 1);
        synack_abort(d.c, c);
        duo_free(&d);

        if (ts) continue; /* timestamps decide by TSval first: syn_with_newer_timestamp_reopens */
        /* RFC 6528 ISNs follow a 4 us clock: 1 ms later the new ISN lies 250 beyond the old one,
         * beyond the old RCV.NXT (ISN + SYN + 5 + FIN). */
        cc.isn_fixed = false;
        duo_open(&d, &cc, &sc);
        l = duo_listen(&d, 80);
        server_time_wait(&d, l, 40001);
        duo_advance(&d, SYNACK_MS(1));
        int a = duo_connect(&d, l, 80, 40001, &c);
        CHECK(a >= 0);
        CHECK_EQ(synack_counter(d.s, SYNACK_CNT_tcp_tw_syn_reused), 1);
        synack_abort(d.c, c);
        synack_abort(d.s, a);
        synack_close(d.s, l);
        duo_free(&d);
    }
}

/* The client closes first and holds TIME-WAIT. With one ephemeral port, connect() to the same
 * server waits for the record to allow reuse: with timestamps after 1 s (Linux's tcp_tw_reuse),
 * the new ISN beyond the old SND.NXT; without timestamps only after 2*MSL. */
static void connect_reuses_time_wait_port(void)
{
    for (int ts = 0; ts < 2; ts++) {
        synack_config cc = ts_cfg(ts), sc = ts_cfg(ts);
        cc.ephemeral_lo = cc.ephemeral_hi = 45000;
        duo d;
        duo_open(&d, &cc, &sc);
        int l = duo_listen(&d, 80);
        int c, a = duo_connect(&d, l, 80, 0, &c);
        CHECK(a >= 0);
        synack_close(d.c, c);
        duo_pump(&d);
        synack_close(d.s, a);
        duo_pump(&d);
        synack_mem_info m;
        synack_mem_get(d.c, &m);
        CHECK_EQ(m.time_wait, 1);
        synack_conn_info old;
        CHECK_EQ(synack_conn_list(d.c, &old, 1), 1);
        CHECK_EQ(duo_connect(&d, l, 80, 0, &c), -EADDRNOTAVAIL);
        synack_close(d.c, c);
        duo_advance(&d, SYNACK_SEC(1));
        int a2 = duo_connect(&d, l, 80, 0, &c);
        if (ts) {
            CHECK(a2 >= 0);
            CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_tw_connect_reused), 1);
            synack_conn_info ci;
            CHECK(synack_socket_info(d.c, c, &ci));
            CHECK_EQ(ci.state, SYNACK_ESTABLISHED);
            CHECK(seq_gt(ci.iss, old.snd_nxt + 65535u));
            synack_abort(d.s, a2);
        } else {
            CHECK_EQ(a2, -EADDRNOTAVAIL);
            synack_close(d.c, c);
            duo_advance(&d, SYNACK_SEC(59));
            a2 = duo_connect(&d, l, 80, 0, &c);
            CHECK(a2 >= 0);
            synack_abort(d.s, a2);
        }
        synack_abort(d.c, c);
        synack_close(d.s, l);
        duo_pump(&d);
        duo_free(&d);
    }
}

/* max_time_wait: beyond it, a connection that would wait closes at once (Linux's "time wait
 * bucket table overflow"); netstat shows each record with its timer; each is at most 128 bytes. */
static void record_limit_and_netstat(void)
{
    _Static_assert(sizeof(tw_rec) <= 128, "a TIME-WAIT record fits in 128 bytes");
    synack_config cc;
    synack_config_default(&cc);
    cc.max_time_wait = 2;
    duo d;
    duo_open(&d, &cc, NULL);
    int l = duo_listen(&d, 80);
    for (int i = 0; i < 3; i++) {
        int c, a = duo_connect(&d, l, 80, 0, &c);
        CHECK(a >= 0);
        synack_close(d.c, c);
        duo_pump(&d);
        synack_close(d.s, a);
        duo_pump(&d);
    }
    synack_mem_info m;
    synack_mem_get(d.c, &m);
    CHECK_EQ(m.time_wait, 2);
    CHECK_EQ(m.conns_in_use, 2);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_tw_overflow), 1);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_tw_compact), 2);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    duo_advance(&d, SYNACK_SEC(10));
    synack_netstat_print(d.c, f, true);
    fclose(f);
    int rows = 0;
    for (char *p = text; (p = strstr(p, "TIME_WAIT")); p++) rows++;
    CHECK_EQ(rows, 2);
    CHECK(strstr(text, "timewait (50.00/0/0)") != NULL);
    free(text);
    duo_advance(&d, SYNACK_SEC(50));
    synack_mem_get(d.c, &m);
    CHECK_EQ(m.conns_in_use, 0);
    synack_close(d.s, l);
    duo_free(&d);
}

int main(void)
{
    RUN(syn_with_newer_timestamp_reopens);
    RUN(syn_refused_then_accepted_by_sequence);
    RUN(connect_reuses_time_wait_port);
    RUN(record_limit_and_netstat);
    return test_report();
}
