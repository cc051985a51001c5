/* fuzz_smoke.c: the stateful fuzz script run on deterministic random inputs in the normal suite,
 * so every `make test` (ASan + UBSan) throws hostile segments and calls at the stack. The saved
 * inputs (seeds, regressions) are replayed by fuzz_corpus.c. */
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
        data[0] = SCRIPT_VERSION; /* random configuration and operations */
        if (!script_run(data, n)) bad++;
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    RUN(random_scripts);
    return test_report();
}
