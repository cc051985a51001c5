/* consumer.c: a program built against an *installed* synack (tests/install/install_tree.sh), with
 * only the public headers and the library: two stacks in one process, joined by hand in virtual
 * time, connect, send a message each way, close. Checks the headers' version against the loaded
 * library's. Prints "consumer ok <version>" and exits 0, or says what failed and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>
#include <synack/version.h>

#define CHECK(cond)                                                     \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "consumer: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                   \
        }                                                               \
    } while (0)

static synack_stack *make(uint8_t last)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(198, 18, 0, last);
    cfg.seed = last;
    return synack_stack_new(&cfg);
}

/* Moves every queued packet between the two stacks (one tick of a perfect wire). */
static void shuttle(synack_stack *a, synack_stack *b, synack_time_us now)
{
    static uint8_t buf[65536];
    for (int round = 0; round < 64; round++) {
        size_t moved = 0, n;
        while ((n = synack_output(a, buf, sizeof buf)) > 0) synack_input(b, now, buf, n), moved++;
        while ((n = synack_output(b, buf, sizeof buf)) > 0) synack_input(a, now, buf, n), moved++;
        if (!moved) return;
    }
}

int main(void)
{
    CHECK(strcmp(synack_version(), SYNACK_VERSION) == 0);
    CHECK(SYNACK_VERSION_NUMBER ==
          ((SYNACK_VERSION_MAJOR << 16) | (SYNACK_VERSION_MINOR << 8) | SYNACK_VERSION_PATCH));
    synack_stack *cli = make(1), *srv = make(2);
    CHECK(cli && srv);

    int l = synack_socket(srv);
    CHECK(l >= 0);
    synack_endpoint any = {synack_addr_v4(0, 0, 0, 0), 7};
    CHECK(synack_bind(srv, l, &any) == 0);
    CHECK(synack_listen(srv, l, 4) == 0);

    int c = synack_socket(cli);
    CHECK(c >= 0);
    synack_endpoint to = {synack_addr_v4(198, 18, 0, 2), 7};
    CHECK(synack_connect(cli, c, &to) == -EINPROGRESS);

    synack_time_us now = 0;
    int s = -1;
    const char ping[] = "ping through an installed synack", pong[] = "pong";
    char got[64];
    size_t got_srv = 0, got_cli = 0;
    bool sent_ping = false, sent_pong = false;
    for (int step = 0; step < 1000 && !(got_cli == sizeof pong && got_srv == sizeof ping); step++) {
        now += 1000; /* 1 ms of virtual time per step */
        synack_poll(cli, now);
        synack_poll(srv, now);
        shuttle(cli, srv, now);
        if (s < 0) {
            synack_endpoint peer;
            int r = synack_accept(srv, l, &peer);
            if (r >= 0) s = r;
            else CHECK(r == -EAGAIN);
        }
        if (!sent_ping && synack_send(cli, c, ping, sizeof ping) == (ssize_t)sizeof ping) sent_ping = true;
        if (s >= 0) {
            ssize_t n = synack_recv(srv, s, got, sizeof got);
            if (n > 0) got_srv += (size_t)n;
            if (got_srv == sizeof ping && !sent_pong) {
                CHECK(memcmp(got, ping, sizeof ping) == 0);
                CHECK(synack_send(srv, s, pong, sizeof pong) == (ssize_t)sizeof pong);
                sent_pong = true;
            }
        }
        ssize_t n = synack_recv(cli, c, got, sizeof got);
        if (n > 0) {
            got_cli += (size_t)n;
            CHECK(memcmp(got, pong, sizeof pong) == 0);
        }
    }
    CHECK(got_srv == sizeof ping && got_cli == sizeof pong);
    CHECK(synack_socket_state(cli, c) == SYNACK_ESTABLISHED);
    CHECK(synack_close(cli, c) == 0);
    CHECK(synack_close(srv, s) == 0);
    CHECK(synack_close(srv, l) == 0);
    for (int step = 0; step < 100; step++) {
        now += 1000;
        synack_poll(cli, now);
        synack_poll(srv, now);
        shuttle(cli, srv, now);
    }
    synack_stack_free(cli);
    synack_stack_free(srv);
    printf("consumer ok %s\n", synack_version());
    return 0;
}
