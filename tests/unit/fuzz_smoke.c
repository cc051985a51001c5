/* fuzz_smoke.c: the script fuzzers' players (stack, reassembly, listen) run on deterministic
 * random inputs in the normal suite, so every `make test` (ASan + UBSan) throws hostile segments,
 * fragments, SYN floods and calls at the stack. The saved inputs (seeds, regressions) are
 * replayed by fuzz_corpus.c. */
#include "../fuzz/seeds.h"
#include "test.h"

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* runs random inputs of target t (their first byte its version); returns how many ended unclean. */
static int random_runs(int t, uint8_t version, int runs, size_t max_len, uint64_t x)
{
    static uint8_t data[4096];
    int bad = 0;
    for (int run = 0; run < runs; run++) {
        size_t n = 16 + (size_t)(xorshift(&x) % (max_len - 16));
        for (size_t i = 0; i < n; i++) data[i] = (uint8_t)xorshift(&x);
        data[0] = version;
        script_result r;
        seed_target_run(t, data, n, &r);
        bad += !r.ok;
    }
    return bad;
}

static void random_fragments(void) { CHECK_EQ(random_runs(T_REASS, REASS_SCRIPT_VERSION, 150, 512, 0x9e3779b97f4a7c15ull), 0); }
static void random_listens(void) { CHECK_EQ(random_runs(T_LISTEN, LISTEN_SCRIPT_VERSION, 150, 512, 0xd1b54a32d192ed03ull), 0); }


static void random_scripts(void)
{
    static uint8_t data[4096];
    uint64_t x = 0x2545f4914f6cdd1dull;
    int bad = 0;
    for (int run = 0; run < 400; run++) {
        size_t n = 64 + (size_t)(x % (sizeof data - 64));
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data[i] = (uint8_t)x;
        }
        data[0] = SCRIPT_VERSION; /* random configuration and operations */
        if (!script_run(data, n)) bad++;
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    RUN(random_scripts);
    RUN(random_fragments);
    RUN(random_listens);
    return test_report();
}
