#!/usr/bin/python3
"""host_states.py: kernel sockets in known states for `synack netstat --host` (issue 10), run
inside the test's namespace (198.18.0.1 is the namespace's own address). Every step is bounded;
the sockets are held HOLD seconds, then the script exits.

  quiet HOLD     a listener on 198.18.0.1:9000 and [::]:9010 (dual stack), one connection
  patterns HOLD  the above, plus: 8 CLOSE_WAIT (:9001; their clients in FIN_WAIT2), 10 TIME_WAIT
                 from ephemeral ports to :9002, 8 SYN_RECV on :9003 (the test drops its SYN-ACKs),
                 a full accept queue on :9004 (backlog 1), 3 SYN_SENT to 198.18.0.99:9005
                 (nothing answers), and one ESTABLISHED on :9006 whose data the test drops
Prints "ready" once the states are made.
"""
import errno
import socket
import sys
import time

H = "198.18.0.1"
keep = []


def listener(port, backlog=64, host=H, fam=socket.AF_INET):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((host, port))
    s.listen(backlog)
    keep.append(s)
    return s


def connect(port, host=H, block=True):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if block:
        c.settimeout(5)
        c.connect((host, port))
    else:
        c.setblocking(False)
        err = c.connect_ex((host, port))
        assert err in (0, errno.EINPROGRESS), err
    keep.append(c)
    return c


def quiet():
    l = listener(9000)
    listener(9010, host="::", fam=socket.AF_INET6)
    c = connect(9000)
    a, _ = l.accept()
    keep.append(a)
    c.sendall(b"hello")
    a.recv(5)


def patterns():
    # CLOSE_WAIT: the peer closes, our application never does
    l = listener(9001)
    for _ in range(8):
        c = connect(9001)
        a, _ = l.accept()
        keep.append(a)
        c.close()
        keep.remove(c)
    # TIME_WAIT: we close first, then the server
    l = listener(9002)
    for _ in range(10):
        c = connect(9002)
        a, _ = l.accept()
        c.close()
        keep.remove(c)
        time.sleep(0.02)
        a.close()
    # SYN_RECV: the SYN-ACKs never leave (nftables)
    listener(9003)
    for _ in range(8):
        connect(9003, block=False)
    # a full accept queue: backlog 1, nobody accepts
    listener(9004, backlog=1)
    for _ in range(3):
        connect(9004, block=False)
    # SYN_SENT to an address nobody answers
    for _ in range(3):
        connect(9005, host="198.18.0.99", block=False)
    # a dead peer: data that is never acknowledged (the test drops it)
    l = listener(9006)
    c = connect(9006)
    a, _ = l.accept()
    keep.append(a)
    c.setblocking(False)
    c.send(b"x" * 1000)


def main():
    mode, hold = sys.argv[1], float(sys.argv[2])
    quiet()
    if mode == "patterns":
        patterns()
    print("ready", flush=True)
    time.sleep(hold)


if __name__ == "__main__":
    main()
