/* listen_input.c: libFuzzer target for the SYN/listen path: a script of SYNs, floods, ACKs that
 * complete handshakes and SYN cookies, RSTs, accept() and close() against one listener with
 * varied backlog, SYN queue, syncookies and family (format in listen_script.h; seeds in
 * tests/fuzz/corpus/listen). Aborts when a queue exceeds its limit, an accepted connection is
 * not one a peer opened, an invariant breaks, or anything is left once everything is closed. */
#include "listen_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script_result r;
    listen_run_ex(data, size, &r);
    if (!r.ok) abort();
    return 0;
}
