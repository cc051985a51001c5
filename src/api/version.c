/* version.c: the version of the library that is loaded (synack_version()), as opposed to the
 * SYNACK_VERSION of the headers a program was compiled with. */
#include <synack/stack.h>
#include <synack/version.h>

const char *synack_version(void)
{
    return SYNACK_VERSION;
}
