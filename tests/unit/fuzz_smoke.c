/* fuzz_smoke.c: the stateful fuzz script run on deterministic random inputs in the normal suite,
 * so every `make test` (ASan + UBSan) throws hostile segments and calls at the stack. */
#include "../fuzz/stack_script.h"
#include "test.h"


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
        if (!script_run(data, n)) bad++;
    }
    CHECK_EQ(bad, 0);
}

/* Inputs the fuzzer once found bad, replayed on every run. */
static void regressions(void)
{
    static const char *const files[] = {
        "hash_chain_cycle.bin", /* a child freed under a stale hash key */
        "persist_leak.bin",     /* zero-window probing that never gave up */
    };
    char path[512];
    static uint8_t data[65536];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        /* __FILE__ is this file's absolute path in the CMake build: its directory is tests/unit. */
        const char *slash = strrchr(__FILE__, '/');
        int dir_len = slash ? (int)(slash - __FILE__) : 1;
        snprintf(path, sizeof path, "%.*s/../fuzz/regressions/%s", dir_len, slash ? __FILE__ : ".", files[i]);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (!f) continue;
        size_t n = fread(data, 1, sizeof data, f);
        fclose(f);
        CHECK(script_run(data, n));
    }
}

int main(void)
{
    RUN(regressions);
    RUN(random_scripts);
    return test_report();
}
