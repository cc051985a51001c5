/* flags.c: the --so_flags string of the packetdrill adapter: space-separated key=value pairs for
 * the addresses packetdrill uses, the netstat file, and every synack_config knob by its field
 * name. Unknown keys and bad values are errors on stderr, never silently ignored. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/secret.h>

#include "adapter.h"

enum knob_kind { K_BOOL, K_U8, K_U16, K_U32, K_U64 };

typedef struct knob {
    const char *name;
    size_t offset;
    int kind;
} knob;

/* The kind follows the field's declared type, so a field whose type changes is still parsed
 * into the right width. */
#define KIND_OF(field)                                                                        \
    _Generic(((synack_config *)0)->field, bool: K_BOOL, uint8_t: K_U8, uint16_t: K_U16,       \
             uint32_t: K_U32, uint64_t: K_U64)
#define KNOB(field) {#field, offsetof(synack_config, field), KIND_OF(field)}

/* Every field of synack_config except addr (local_ip; addr is a synonym), addr6 (IPv6 mode) and
 * secret (its own key below). */
static const knob knobs[] = {
    KNOB(seed), KNOB(isn_fixed), KNOB(isn_value), KNOB(max_conns), KNOB(max_sockets),
    KNOB(mss), KNOB(sndbuf_bytes), KNOB(rcvbuf_bytes), KNOB(wscale), KNOB(sack),
    KNOB(timestamps), KNOB(nagle), KNOB(initial_cwnd_segments), KNOB(reass_max_ranges), KNOB(sack_max_ranges),
    KNOB(ephemeral_lo), KNOB(ephemeral_hi), KNOB(backlog_max), KNOB(outq_bytes),
    KNOB(eventq_len), KNOB(conn_timeout_us), KNOB(rto_initial_us), KNOB(rto_min_us),
    KNOB(rto_max_us), KNOB(msl_us), KNOB(fin_wait_2_timeout_us), KNOB(delack_us),
    KNOB(persist_min_us), KNOB(persist_max_us), KNOB(keepalive_idle_us),
    KNOB(keepalive_intvl_us), KNOB(keepalive_probes), KNOB(keepalive), KNOB(user_timeout_us),
    KNOB(max_retransmits), KNOB(rfc5961), KNOB(drop_synfin), KNOB(mtu),
    KNOB(icmp_ratelimit_per_sec), KNOB(syn_queue_max), KNOB(syncookies),
    KNOB(challenge_ack_limit),
};
#define N_KNOBS (sizeof knobs / sizeof knobs[0])

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "synack-packetdrill: --so_flags: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "true")) *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "false")) *out = false;
    else return false;
    return true;
}

/* Decimal, or hexadecimal with 0x (ISNs near 2^32 read better in hex). No sign, no junk. */
static bool parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    int base = 10;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        v += 2;
    }
    if (!isxdigit((unsigned char)v[0])) return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, base);
    if (errno || *end || x > max) return false;
    *out = x;
    return true;
}

static bool set_knob(synack_config *cfg, const knob *k, const char *v)
{
    uint8_t *field = (uint8_t *)cfg + k->offset;
    uint64_t x;
    bool b;
    switch (k->kind) {
    case K_BOOL:
        if (!parse_bool(v, &b)) return false;
        memcpy(field, &b, sizeof b);
        return true;
    case K_U8: {
        if (!parse_u64(v, UINT8_MAX, &x)) return false;
        uint8_t y = (uint8_t)x;
        memcpy(field, &y, sizeof y);
        return true;
    }
    case K_U16: {
        if (!parse_u64(v, UINT16_MAX, &x)) return false;
        uint16_t y = (uint16_t)x;
        memcpy(field, &y, sizeof y);
        return true;
    }
    case K_U32: {
        if (!parse_u64(v, UINT32_MAX, &x)) return false;
        uint32_t y = (uint32_t)x;
        memcpy(field, &y, sizeof y);
        return true;
    }
    default:
        if (!parse_u64(v, UINT64_MAX, &x)) return false;
        memcpy(field, &x, sizeof x);
        return true;
    }
}

/* An address as packetdrill writes it. In ipv6 mode: IPv6 text only. Otherwise dotted IPv4,
 * or IPv4-mapped IPv6 text, which becomes the IPv4 address the core uses. */
static bool parse_addr(const char *text, int mode, synack_addr *out)
{
    struct in_addr a4;
    struct in6_addr a6;
    memset(out, 0, sizeof *out);
    if (mode == PD_IPV6) { /* IPv6 mode: the stack is IPv6-only */
        if (inet_pton(AF_INET6, text, &a6) != 1 || IN6_IS_ADDR_V4MAPPED(&a6)) return false;
        out->family = SYNACK_AF_INET6;
        memcpy(out->bytes, a6.s6_addr, 16);
        return true;
    }
    if (inet_pton(AF_INET, text, &a4) == 1) {
        out->family = SYNACK_AF_INET;
        memcpy(out->bytes, &a4, 4);
        return true;
    }
    if (inet_pton(AF_INET6, text, &a6) != 1) return false;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        out->family = SYNACK_AF_INET;
        memcpy(out->bytes, a6.s6_addr + 12, 4);
        return true;
    }
    return false;
}

/* secret=: 32 hexadecimal digits (the 16 bytes in order), or "random" for getrandom(2). Without
 * it the secret stays zero and runs are reproducible from seed alone. */
static bool parse_secret(const char *v, synack_config *cfg)
{
    if (!strcmp(v, "random")) return synack_secret_random(cfg) == 0;
    if (strlen(v) != 2 * sizeof cfg->secret) return false;
    uint8_t s[sizeof cfg->secret];
    for (size_t i = 0; i < sizeof s; i++) {
        char hex[3] = {v[2 * i], v[2 * i + 1], 0};
        if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1])) return false;
        s[i] = (uint8_t)strtoul(hex, NULL, 16);
    }
    memcpy(cfg->secret, s, sizeof s);
    return true;
}

static void list_keys(void)
{
    fprintf(stderr, "synack-packetdrill: known keys: ip_version local_ip remote_ip netstat_file "
                    "trace addr secret");
    for (size_t i = 0; i < N_KNOBS; i++) fprintf(stderr, " %s", knobs[i].name);
    fputc('\n', stderr);
}

/* Handles one key=value; the addresses are only kept as text until ip_version is known. */
static int parse_pair(pd_options *o, char *key, char *val, const char **local, const char **remote)
{
    if (!strcmp(key, "ip_version")) {
        if (!strcmp(val, "ipv4")) o->ip_mode = PD_IPV4;
        else if (!strcmp(val, "ipv6")) o->ip_mode = PD_IPV6;
        else if (!strcmp(val, "ipv4-mapped-ipv6")) o->ip_mode = PD_IPV4_MAPPED_IPV6;
        else {
            complain("bad ip_version '%s' (ipv4, ipv6 or ipv4-mapped-ipv6)", val);
            return EINVAL;
        }
        return 0;
    }
    if (!strcmp(key, "local_ip") || !strcmp(key, "addr")) {
        *local = val;
        return 0;
    }
    if (!strcmp(key, "remote_ip")) {
        *remote = val;
        return 0;
    }
    if (!strcmp(key, "netstat_file")) {
        free(o->netstat_file);
        o->netstat_file = *val ? strdup(val) : NULL;
        return 0;
    }
    if (!strcmp(key, "trace")) {
        if (parse_bool(val, &o->trace)) return 0;
        complain("bad boolean '%s' for %s (0, 1, true or false)", val, key);
        return EINVAL;
    }
    if (!strcmp(key, "secret")) {
        if (parse_secret(val, &o->cfg)) return 0;
        complain("bad secret '%s' (32 hexadecimal digits, or random; getrandom() may fail)", val);
        return EINVAL;
    }
    for (size_t i = 0; i < N_KNOBS; i++) {
        if (strcmp(key, knobs[i].name) != 0) continue;
        if (set_knob(&o->cfg, &knobs[i], val)) return 0;
        complain(knobs[i].kind == K_BOOL ? "bad boolean '%s' for %s (0, 1, true or false)"
                                         : "bad value '%s' for %s (an unsigned integer in range)",
                 val, key);
        return EINVAL;
    }
    complain("unknown key '%s'", key);
    list_keys();
    return EINVAL;
}

int pd_options_parse(const char *flags, pd_options *o)
{
    memset(o, 0, sizeof *o);
    synack_config_default(&o->cfg);
    o->ip_mode = PD_IPV4;
    const char *local = NULL, *remote = NULL;
    char *copy = strdup(flags ? flags : "");
    if (!copy) return ENOMEM;
    int err = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\n", &save); tok && !err; tok = strtok_r(NULL, " \t\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok) {
            complain("expected key=value, got '%s'", tok);
            err = EINVAL;
            break;
        }
        *eq = '\0';
        err = parse_pair(o, tok, eq + 1, &local, &remote);
    }
    /* packetdrill's own defaults for its addresses. */
    if (!err && !local) local = o->ip_mode == PD_IPV6 ? "fd3d:fa7b:d17d::0" : "192.168.0.1";
    if (!err && !remote) remote = o->ip_mode == PD_IPV6 ? "fd3d:fa7b:d17d:8888::0" : "192.0.2.1";
    synack_addr *self = o->ip_mode == PD_IPV6 ? &o->cfg.addr6 : &o->cfg.addr;
    if (o->ip_mode == PD_IPV6) o->cfg.addr.family = SYNACK_AF_NONE; /* an IPv6-only stack */
    if (!err && !parse_addr(local, o->ip_mode, self)) {
        complain("bad local_ip '%s'%s", local, o->ip_mode == PD_IPV6 ? "" : " (IPv4 expected)");
        err = EINVAL;
    }
    if (!err && !parse_addr(remote, o->ip_mode, &o->remote)) {
        complain("bad remote_ip '%s'%s", remote, o->ip_mode == PD_IPV6 ? "" : " (IPv4 expected)");
        err = EINVAL;
    }
    free(copy);
    return err;
}

void pd_options_free(pd_options *o)
{
    free(o->netstat_file);
    o->netstat_file = NULL;
}
