/* tun_steer_linux.c: which queue of a multi-queue TUN device the kernel hands a TCP flow to. By
 * default the kernel steers by its own flow hash (keyed by a secret of its own, and overridden by
 * the queue that last wrote the flow), which an active open cannot predict. Instead we attach a
 * steering program (TUNSETSTEERINGEBPF, a socket-filter eBPF program returning the queue) that
 * computes a function of the two TCP ports both sides can compute: synack_tun_port_queue(). Every
 * non-TCP packet and every IPv4 fragment goes to queue 0 (ports unknown). Owns nothing after the
 * call: the device keeps the program. */
#include <synack/tun.h>

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The hash: Fibonacci hashing of the port sum (symmetric, and spreads ports that step by 2, as
 * Linux's connect() picks them). Mirrored instruction for instruction by the program below. */
#define STEER_MULT 0x9E3779B1u

unsigned synack_tun_port_queue(uint16_t port_a, uint16_t port_b, unsigned nqueues)
{
    if (nqueues <= 1) return 0;
    uint32_t h = ((uint32_t)port_a + port_b) * STEER_MULT;
    return (h >> 16) % nqueues;
}

bool synack_tun_queue_port_ok(void *ctx, uint16_t local_port, const synack_endpoint *remote)
{
    const synack_tun_queue *q = ctx;
    return !remote->port || synack_tun_port_queue(local_port, remote->port, q->count) == q->index;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define LD_ABS(sz, off) INSN(BPF_LD | (sz) | BPF_ABS, 0, 0, 0, off)
#define LD_IND(sz, s, off) INSN(BPF_LD | (sz) | BPF_IND, 0, s, 0, off)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int fail(char *err, size_t cap, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, int e, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, cap, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < cap) snprintf(err + n, cap - (size_t)n, ": %s", strerror(e));
    }
    errno = e;
    return -e;
}

int synack_tun_steer_by_ports(int fd, unsigned nqueues, char *err, size_t errcap)
{
    if (nqueues < 1 || nqueues > 256) return fail(err, errcap, EINVAL, "%u queues", nqueues);
    /* The packet starts at the IP header (a TUN device has no link header). LD_ABS/LD_IND read
     * big-endian and end the program with 0 when the packet is too short. */
    const struct bpf_insn prog[] = {
        /* 0 */ MOV64_REG(BPF_REG_6, BPF_REG_1), /* the skb, as LD_ABS wants it */
        /* 1 */ LD_ABS(BPF_B, 0),
        /* 2 */ MOV64_REG(BPF_REG_7, BPF_REG_0),
        /* 3 */ ALU64_IMM(BPF_RSH, BPF_REG_7, 4), /* IP version */
        /* 4 */ JMP_IMM(BPF_JEQ, BPF_REG_7, 6, 14), /* -> 19 */
        /* 5 */ JMP_IMM(BPF_JNE, BPF_REG_7, 4, 23), /* -> 29 */
        /* 6 */ LD_ABS(BPF_B, 9), /* IPv4 protocol */
        /* 7 */ JMP_IMM(BPF_JNE, BPF_REG_0, 6, 21), /* -> 29 */
        /* 8 */ LD_ABS(BPF_H, 6), /* flags and fragment offset */
        /* 9 */ ALU64_IMM(BPF_AND, BPF_REG_0, 0x3fff), /* MF or an offset: a fragment */
        /* 10 */ JMP_IMM(BPF_JNE, BPF_REG_0, 0, 18), /* -> 29 */
        /* 11 */ LD_ABS(BPF_B, 0),
        /* 12 */ ALU64_IMM(BPF_AND, BPF_REG_0, 0xf),
        /* 13 */ ALU64_IMM(BPF_LSH, BPF_REG_0, 2), /* IHL in bytes */
        /* 14 */ MOV64_REG(BPF_REG_8, BPF_REG_0),
        /* 15 */ LD_IND(BPF_H, BPF_REG_8, 0), /* source port */
        /* 16 */ MOV64_REG(BPF_REG_9, BPF_REG_0),
        /* 17 */ LD_IND(BPF_H, BPF_REG_8, 2), /* destination port */
        /* 18 */ JA(5), /* -> 24 */
        /* 19 */ LD_ABS(BPF_B, 6), /* IPv6 next header (no extension headers: queue 0) */
        /* 20 */ JMP_IMM(BPF_JNE, BPF_REG_0, 6, 8), /* -> 29 */
        /* 21 */ LD_ABS(BPF_H, 40),
        /* 22 */ MOV64_REG(BPF_REG_9, BPF_REG_0),
        /* 23 */ LD_ABS(BPF_H, 42),
        /* 24 */ ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_9),
        /* 25 */ ALU32_IMM(BPF_MUL, BPF_REG_0, (int32_t)STEER_MULT),
        /* 26 */ ALU32_IMM(BPF_RSH, BPF_REG_0, 16),
        /* 27 */ ALU32_IMM(BPF_MOD, BPF_REG_0, (int32_t)nqueues),
        /* 28 */ EXIT(),
        /* 29 */ MOV64_IMM(BPF_REG_0, 0),
        /* 30 */ EXIT(),
    };
    char log[4096] = "";
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = sizeof prog / sizeof prog[0];
    attr.license = (uint64_t)(uintptr_t) "GPL";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (pfd < 0) {
        int e = errno;
        /* The verifier's last line says why. */
        char *last = log + strlen(log);
        while (last > log && (last[-1] == '\n')) *--last = 0;
        while (last > log && last[-1] != '\n') last--;
        return fail(err, errcap, e, "cannot load the TUN steering program%s%s", *last ? " (verifier: " : "",
                    *last ? last : "");
    }
    int r = ioctl(fd, TUNSETSTEERINGEBPF, &pfd);
    int e = errno;
    close(pfd); /* the device holds its own reference */
    if (r < 0) return fail(err, errcap, e, "cannot attach the steering program to the TUN device");
    return 0;
}
