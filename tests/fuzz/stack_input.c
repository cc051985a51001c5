/* stack_input.c: libFuzzer target: whole-stack input as a script of segments, ICMP errors, time
 * and user calls (format in stack_script.h; seeds in tests/fuzz/corpus/stack). Aborts when a run
 * leaks, makes an illegal transition or leaves anything behind. */
#include "stack_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!script_run(data, size)) abort();
    return 0;
}
