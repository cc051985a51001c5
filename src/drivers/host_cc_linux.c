/* host_cc_linux.c: the driver side of synack/host.h. A program that stands in for the kernel's
 * TCP honours the host's congestion control (net.ipv4.tcp_congestion_control, per network
 * namespace since Linux 4.15) when synack has the same algorithm; the library's own default
 * (CUBIC, RFC 9438) applies to everything else. Read here, never in the core. */
#include <synack/host.h>

#include <stdio.h>
#include <string.h>

#include <synack/inspect.h>

#define HOST_CC_PATH "/proc/sys/net/ipv4/tcp_congestion_control"

/* Whether synack has an algorithm called name. */
static bool have_cc(const char *name)
{
    const char *n;
    for (unsigned i = 0; (n = synack_cc_name(i)) != NULL; i++)
        if (!strcmp(n, name)) return true;
    return false;
}

enum synack_cc_source synack_config_host_cc(synack_config *cfg, const char *name)
{
    if (name) {
        snprintf(cfg->congestion_control, sizeof cfg->congestion_control, "%s", name);
        return SYNACK_CC_FROM_USER;
    }
    char buf[64] = "";
    FILE *f = fopen(HOST_CC_PATH, "re");
    if (!f) return SYNACK_CC_FROM_DEFAULT;
    bool got = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    buf[strcspn(buf, " \t\r\n")] = '\0';
    /* Linux's "reno" is NewReno (RFC 6582 with SACK), which synack calls "newreno". */
    if (!strcmp(buf, "reno")) memcpy(buf, "newreno", sizeof "newreno");
    if (!got || !buf[0] || strlen(buf) >= sizeof cfg->congestion_control || !have_cc(buf))
        return SYNACK_CC_FROM_DEFAULT;
    memcpy(cfg->congestion_control, buf, strlen(buf) + 1);
    return SYNACK_CC_FROM_HOST;
}
