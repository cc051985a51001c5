/* stack_input.c: libFuzzer target: whole-stack input as a script of packets, time and calls. */
#include "stack_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!script_run(data, size)) abort();
    return 0;
}
