#!/usr/bin/env python3
"""craft_pcap.py SERVER_CLOSE.pcap [MIDSTREAM.pcap]

Writes server-close.pcap: one IPv6 connection (2001:db8::1 -> 2001:db8::2 port 80) whose
server closes first, in the capture format synack's own writer does not use: Ethernet frames,
big-endian file, nanosecond stamps. The golden ladder test draws it, so the reader's other paths
(Ethernet, IPv6, byte order, nanoseconds) are held to a fixed answer too. The second file is
an IPv4 connection captured mid-stream (no SYN) with the Linux cooked (SLL) link type: Wireshark's
relative numbers without an ISN, and a reset. Stdlib only."""
import struct
import sys

CLIENT = bytes.fromhex("20010db8000000000000000000000001")
SERVER = bytes.fromhex("20010db8000000000000000000000002")
CPORT, SPORT = 40000, 80
CISN, SISN = 1_000_000, 3_000_000_000
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags, win, payload=b"", opts=b""):
    off = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + payload
    pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
    eth = bytes.fromhex("020000000002" "020000000001") + struct.pack("!H", 0x86DD)
    return eth + ip6 + tcp


def main(path):
    syn_opts = struct.pack("!BBH", 2, 4, 1440) + b"\x01\x03\x03\x07"  # mss 1440, nop, wscale 7
    c2s = (CLIENT, SERVER, CPORT, SPORT)
    s2c = (SERVER, CLIENT, SPORT, CPORT)
    req, resp = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\nbye\n"
    pkts = [  # (time in ns, frame)
        (0, segment(*c2s, CISN, 0, SYN, 64800, opts=syn_opts)),
        (25_000_000, segment(*s2c, SISN, CISN + 1, SYN | ACK, 65535, opts=syn_opts)),
        (50_000_000, segment(*c2s, CISN + 1, SISN + 1, ACK, 507)),
        (50_100_000, segment(*c2s, CISN + 1, SISN + 1, PSH | ACK, 507, req)),
        (75_000_000, segment(*s2c, SISN + 1, CISN + 1 + len(req), PSH | ACK, 509, resp)),
        # The server closes first: FIN_WAIT_1 on its side, CLOSE_WAIT on the client's.
        (75_000_500, segment(*s2c, SISN + 1 + len(resp), CISN + 1 + len(req), FIN | ACK, 509)),
        (100_000_000, segment(*c2s, CISN + 1 + len(req), SISN + 2 + len(resp), ACK, 507)),
        (100_200_000, segment(*c2s, CISN + 1 + len(req), SISN + 2 + len(resp), FIN | ACK, 507)),
        (125_000_000, segment(*s2c, SISN + 2 + len(resp), CISN + 2 + len(req), ACK, 509)),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))  # ns, Ethernet
        for t, frame in pkts:
            t += 1_700_000_000 * 10**9
            f.write(struct.pack(">IIII", t // 10**9, t % 10**9, len(frame), len(frame)) + frame)


def segment4(src, dst, sport, dport, seq, ack, flags, win, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0) + payload
    pseudo = src + dst + struct.pack("!xBH", 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    sll = struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800)  # incoming, Ethernet, IPv4
    return sll + ip + tcp


def midstream(path):
    a, b = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
    pkts = [
        segment4(a, b, 40000, 80, 7000, 9000, PSH | ACK, 10, b"hello"),
        segment4(b, a, 80, 40000, 9000, 7005, ACK, 10),
        segment4(b, a, 80, 40000, 9000, 7005, PSH | ACK, 10, b"world!"),
        segment4(a, b, 40000, 80, 7005, 9006, RST | ACK, 0),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113))  # us, Linux SLL
        for i, frame in enumerate(pkts):
            f.write(struct.pack("<IIII", 100, i * 1000, len(frame), len(frame)) + frame)


if __name__ == "__main__":
    main(sys.argv[1])
    if len(sys.argv) > 2:
        midstream(sys.argv[2])
