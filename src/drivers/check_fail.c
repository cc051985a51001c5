/* check_fail.c: what a broken core invariant does in checked builds (src/core/check.h): say which
 * and abort. Here, outside the core, because the core never prints. */
#ifdef SYNACK_CHECKS
#include <stdio.h>
#include <stdlib.h>

void check_fail(const char *what, const char *file, int line) __attribute__((noreturn));

void check_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "synack: invariant broken at %s:%d: %s\n", file, line, what);
    abort();
}
#else
typedef int check_fail_unused; /* ISO C: a translation unit is not empty */
#endif
