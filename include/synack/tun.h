/* synack/tun.h: the Linux TUN device (IFF_TUN | IFF_NO_PI): raw IP packets in and out of the
 * kernel, one packet per read/write. Opens a device by name (attaching to one made by
 * `ip tuntap add` or scripts/netns.sh) or creates it. Knows nothing about the stack or clocks. */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h> /* ssize_t */

enum synack_tun_flags {
    SYNACK_TUN_NO_CREATE = 1, /* fail when the device does not exist yet */
    SYNACK_TUN_MULTI_QUEUE = 2 /* IFF_MULTI_QUEUE: needed to attach to a multi-queue device */
};

typedef struct synack_tun_info {
    char name[16];  /* IFNAMSIZ: the device's name as the kernel gave it */
    bool created;   /* we made it: it vanishes when the descriptor closes */
    int mtu;        /* the device's MTU after opening */
} synack_tun_info;

/* Opens (or creates, unless SYNACK_TUN_NO_CREATE) the TUN device `name` ("" or NULL: the kernel
 * picks tunN). A device we create is brought up, with mtu when mtu > 0; an existing device gets
 * mtu only when mtu > 0 and differs. Returns a non-blocking, close-on-exec descriptor, or -1 with
 * a sentence for a person in err (not root, no /dev/net/tun, busy, not a TUN device...). */
int synack_tun_open(const char *name, unsigned flags, int mtu, synack_tun_info *info, char *err,
                    size_t errcap);

/* One packet into buf. Returns its length, 0 when none is waiting (EAGAIN), or -errno. */
ssize_t synack_tun_read(int fd, void *buf, size_t cap);
/* One packet to the kernel. Returns 0, or -errno (the packet is then lost, as on a wire). */
int synack_tun_write(int fd, const void *pkt, size_t len);

#endif
