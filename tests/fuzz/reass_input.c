/* reass_input.c: libFuzzer target for IP reassembly: a script of IPv4 and IPv6 fragments and
 * clock steps (format in reass_script.h; seeds in tests/fuzz/corpus/reass). Aborts when an
 * invariant breaks (check.c, after every packet and timer), an echo reply carries bytes the
 * fragments did not, or any reassembly byte, slot or connection is left once the clock ran out. */
#include "reass_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script_result r;
    reass_run_ex(data, size, &r);
    if (!r.ok) abort();
    return 0;
}
