/* support.c: the harness behind test.h. */
#include "test.h"

#include <stdarg.h>

int test_failures, test_checks;
const char *test_current = "";
static int tests_passed, tests_failed;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    test_failures++;
    fprintf(stderr, "FAIL %s: %s:%d: ", test_current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void test_run(const char *name, void (*fn)(void))
{
    int before = test_failures;
    test_current = name;
    fn();
    if (test_failures == before) {
        tests_passed++;
        printf("ok   %s\n", name);
    } else {
        tests_failed++;
        printf("FAIL %s\n", name);
    }
    fflush(stdout);
}

int test_report(void)
{
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed ? 1 : 0;
}

/* ---- pair.h ---- */
#include <stdlib.h>

#include "pair.h"

synack_endpoint pair_server_ep(uint16_t port)
{
    synack_endpoint ep = {synack_addr_v4(198, 18, 0, 2), port};
    return ep;
}

void pair_open(pair *p, const synack_config *cfg_c, const synack_config *cfg_s, uint64_t seed)
{
    synack_config c, s;
    if (cfg_c) c = *cfg_c;
    else synack_config_default(&c);
    if (cfg_s) s = *cfg_s;
    else synack_config_default(&s);
    c.addr = synack_addr_v4(198, 18, 0, 1);
    s.addr = synack_addr_v4(198, 18, 0, 2);
    synack_addr_parse("2001:db8::1", &c.addr6);
    synack_addr_parse("2001:db8::2", &s.addr6);
    c.seed = seed * 2 + 1;
    s.seed = seed * 2 + 2;
    p->c = synack_stack_new(&c);
    p->s = synack_stack_new(&s);
    p->sim = synack_sim_new(seed);
    if (!p->c || !p->s || !p->sim) abort();
    p->ci = synack_sim_add(p->sim, p->c);
    p->si = synack_sim_add(p->sim, p->s);
}

void pair_close(pair *p)
{
    synack_mem_info m;
    synack_mem_get(p->c, &m);
    CHECK_EQ(m.reass_bytes_in_use, 0);
    synack_mem_get(p->s, &m);
    CHECK_EQ(m.reass_bytes_in_use, 0);
    synack_sim_free(p->sim);
    synack_stack_free(p->c);
    synack_stack_free(p->s);
}

void pair_run(pair *p, synack_time_us for_us)
{
    synack_sim_run_until(p->sim, synack_sim_now(p->sim) + for_us);
}

int pair_listen(pair *p, uint16_t port)
{
    int sd = synack_socket(p->s);
    synack_endpoint ep = {synack_addr_v4(0, 0, 0, 0), port};
    if (sd < 0 || synack_bind(p->s, sd, &ep) != 0 || synack_listen(p->s, sd, 16) != 0) return -1;
    return sd;
}

int pair_connect(pair *p, uint16_t port)
{
    int sd = synack_socket(p->c);
    synack_endpoint ep = pair_server_ep(port);
    if (sd < 0) return -1;
    int r = synack_connect(p->c, sd, &ep);
    synack_sim_flush(p->sim);
    return r == -115 /* EINPROGRESS */ ? sd : -1;
}

int pair_establish(pair *p, int lsd, int csd)
{
    for (int i = 0; i < 100000; i++) {
        int a = synack_accept(p->s, lsd, NULL);
        if (a >= 0) {
            /* let the client see the handshake's end too */
            for (int j = 0; j < 1000 && synack_socket_state(p->c, csd) != SYNACK_ESTABLISHED; j++)
                if (!synack_sim_step(p->sim, SYNACK_TIME_NEVER)) break;
            return a;
        }
        if (!synack_sim_step(p->sim, SYNACK_TIME_NEVER)) return -1;
    }
    return -1;
}
