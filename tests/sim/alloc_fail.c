/* alloc_fail.c (sim): every allocation the stack makes goes through its allocator; failing each
 * one in turn, during a whole scenario (two stacks, handshakes, data both ways with loss-free
 * and out-of-order delivery, closes, TIME-WAIT), gives a clear error where the API can say one
 * (NULL, -ENOBUFS, -EMFILE), a counted drop and recovery where the wire can (the peer sends
 * again), never a crash, and leaves nothing allocated once the stacks are freed. */
#include <errno.h>
#include <stdlib.h>

#include "duo.h"
#include "test.h"

typedef struct injector {
    long calls, fail_at, live, failed;
} injector;

static void *inj_alloc(void *ctx, size_t align, size_t size)
{
    injector *j = ctx;
    if (++j->calls == j->fail_at) {
        j->failed++;
        return NULL;
    }
    void *p = align > 16 ? aligned_alloc(align, (size + align - 1) & ~(align - 1)) : malloc(size);
    if (p) j->live++;
    return p;
}

static void inj_release(void *ctx, void *p)
{
    injector *j = ctx;
    j->live--;
    free(p);
}

static bool errno_ok(long r)
{
    return r >= 0 || r == -ENOBUFS || r == -EMFILE || r == -EAGAIN || r == -ECONNREFUSED || r == -ECONNRESET;
}

enum { CONNS = 24, BYTES = 20000 };

/* The scenario; returns false when it could not complete (an allocation it needed failed). */
static bool scenario(injector *j)
{
    synack_config cc, sc;
    synack_config_default(&cc);
    synack_config_default(&sc);
    synack_allocator a = {inj_alloc, inj_release, j};
    cc.allocator = sc.allocator = a;
    cc.addr = synack_addr_v4(198, 18, 0, 1);
    sc.addr = synack_addr_v4(198, 18, 0, 2);
    duo d = {synack_stack_new(&cc), synack_stack_new(&sc), 0};
    bool complete = d.c && d.s;
    if (!complete) { /* a clear error: no stack */
        synack_stack_free(d.c);
        synack_stack_free(d.s);
        return false;
    }
    static uint8_t out[BYTES], in[BYTES];
    for (int i = 0; i < BYTES; i++) out[i] = (uint8_t)(i * 7 + 3);
    int l = synack_socket(d.s);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 80};
    if (l < 0 || synack_bind(d.s, l, &any) || synack_listen(d.s, l, 64)) complete = false;
    int c[CONNS], s[CONNS];
    int got[CONNS] = {0};
    for (int i = 0; i < CONNS; i++) {
        c[i] = synack_socket(d.c);
        s[i] = -1;
        if (c[i] < 0) { CHECK(errno_ok(c[i])); complete = false; continue; }
        synack_endpoint ep = duo_server_ep(80);
        long r = synack_connect(d.c, c[i], &ep);
        if (r != -EINPROGRESS) { CHECK(errno_ok(r)); complete = false; }
    }
    /* Time runs: handshakes, retransmissions after a failed allocation, data both ways. */
    for (int round = 0; round < 400; round++) {
        duo_advance(&d, SYNACK_MS(50));
        int a2;
        while (l >= 0 && (a2 = synack_accept(d.s, l, NULL)) >= 0)
            for (int i = 0; i < CONNS; i++) if (s[i] < 0) { s[i] = a2; break; }
        for (int i = 0; i < CONNS; i++) {
            if (c[i] >= 0 && round < 200) {
                long r = synack_send(d.c, c[i], out, 1400);
                if (!(errno_ok(r) || r == -ENOTCONN || r == -EPIPE)) test_fail(__FILE__, __LINE__, "send: %ld", r);
            }
            if (s[i] >= 0) {
                long r = synack_recv(d.s, s[i], in, sizeof in);
                if (r > 0) got[i] += (int)r;
            }
        }
    }
    int done = 0;
    for (int i = 0; i < CONNS; i++) done += got[i] > 0;
    if (done < CONNS) complete = false;
    for (int i = 0; i < CONNS; i++) {
        if (c[i] >= 0) synack_close(d.c, c[i]);
        if (s[i] >= 0) synack_close(d.s, s[i]);
    }
    if (l >= 0) synack_close(d.s, l);
    duo_advance(&d, SYNACK_SEC(5));
    duo_advance(&d, SYNACK_SEC(120));
    synack_mem_info m;
    synack_mem_get(d.c, &m);
    CHECK_EQ(m.buffer_bytes_in_use, 0);
    CHECK_EQ(synack_counter(d.c, SYNACK_CNT_tcp_illegal_transition), 0);
    CHECK_EQ(synack_counter(d.s, SYNACK_CNT_tcp_illegal_transition), 0);
    duo_free(&d);
    return complete;
}

static void every_allocation_fails_once(void)
{
    injector j = {0};
    CHECK(scenario(&j));
    CHECK_EQ(j.live, 0);
    long total = j.calls;
    printf("  the scenario makes %ld allocations; failing each in turn\n", total);
    CHECK(total > 20);
    int incomplete = 0;
    for (long k = 1; k <= total; k++) {
        injector f = {0, k, 0, 0};
        incomplete += !scenario(&f);
        if (f.live != 0) test_fail(__FILE__, __LINE__, "allocation %ld failed: %ld blocks left", k, f.live);
    }
    printf("  %d of %ld runs could not complete (the stack itself or a socket failed): clean errors\n",
           incomplete, total);
}

int main(void)
{
    RUN(every_allocation_fails_once);
    return test_report();
}
