#!/usr/bin/python3
"""peer.py: the kernel-side peer of the interop tests and the benchmark, run inside the test's
namespace. Each subcommand is one small, bounded socket script; none loops without a time limit.

  halfclose HOST PORT DATA        send DATA, shutdown(SHUT_WR), read to EOF, print what came back
  get-hold HOST PORT PATH HOLD    HTTP GET with Connection: close, read to EOF, keep the socket
                                  open HOLD seconds (CLOSE-WAIT on our side), then close
  refused HOST PORT               exit 0 if connect() fails with ECONNREFUSED
  send HOST PORT SECONDS          send zeros for SECONDS, shutdown, wait for the peer's EOF; print
                                  "bytes seconds" (the benchmark's sender)
  sink HOST PORT SECONDS          accept one connection and read it to EOF (at most SECONDS)
  recv HOST PORT SECONDS          connect and read for SECONDS (from chargen); print "bytes seconds"
  echo HOST PORT SECONDS          serve echo (a thread per connection) for SECONDS; print how many
                                  connections were echoed to their EOF
"""
import errno
import socket
import sys
import time


def connect(host, port, timeout=10.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def read_to_eof(s, limit_s=30.0):
    end = time.monotonic() + limit_s
    data = bytearray()
    while time.monotonic() < end:
        chunk = s.recv(65536)
        if not chunk:
            return bytes(data), True
        data += chunk
    return bytes(data), False


def halfclose(host, port, data):
    s = connect(host, port)
    s.sendall(data.encode())
    s.shutdown(socket.SHUT_WR)
    got, eof = read_to_eof(s)
    print(got.decode(errors="replace"), flush=True)
    s.close()
    return 0 if eof else 1


def get_hold(host, port, path, hold):
    s = connect(host, port)
    req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    s.sendall(req.encode())
    got, eof = read_to_eof(s)
    print(f"got {len(got)} bytes, eof={eof}", flush=True)
    time.sleep(float(hold))
    s.close()
    time.sleep(0.5)
    return 0 if eof else 1


def refused(host, port):
    try:
        connect(host, port, timeout=5.0).close()
    except OSError as e:
        print(f"connect: {e}", flush=True)
        return 0 if e.errno == errno.ECONNREFUSED else 1
    print("connect: succeeded", flush=True)
    return 1


def send(host, port, seconds):
    s = connect(host, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    buf = bytes(1 << 20)
    t0 = time.monotonic()
    stop = t0 + float(seconds)
    total = 0
    while time.monotonic() < stop:
        total += s.send(buf)
    s.shutdown(socket.SHUT_WR)
    # The peer reads everything before it sees our FIN and closes: its EOF means all arrived.
    s.settimeout(30.0)
    _, eof = read_to_eof(s, 30.0)
    dt = time.monotonic() - t0
    s.close()
    print(f"{total} {dt:.6f}", flush=True)
    return 0 if eof else 1


def listen_on(host, port, backlog):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(backlog)
    return ls


def sink(host, port, seconds):
    ls = listen_on(host, port, 1)
    ls.settimeout(float(seconds))
    c, _ = ls.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    c.settimeout(float(seconds))
    end = time.monotonic() + float(seconds)
    total = 0
    buf = bytearray(1 << 20)
    while time.monotonic() < end:
        n = c.recv_into(buf)
        if n == 0:
            break
        total += n
    c.close()
    ls.close()
    print(total, flush=True)
    return 0


def recv(host, port, seconds):
    """Connects and reads for `seconds` (e.g. from chargen): prints bytes and seconds."""
    s = connect(host, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    buf = bytearray(1 << 20)
    t0 = time.monotonic()
    stop = t0 + float(seconds)
    total = 0
    s.settimeout(10.0)
    while time.monotonic() < stop:
        n = s.recv_into(buf)
        if n == 0:
            break
        total += n
    dt = time.monotonic() - t0
    s.close()
    print(f"{total} {dt:.6f}", flush=True)
    return 0


def echo(host, port, seconds):
    import threading
    ls = listen_on(host, port, 256)
    end = time.monotonic() + float(seconds)
    done = []

    def serve(c):
        c.settimeout(max(0.1, end - time.monotonic()))
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    done.append(1)
                    break
                c.sendall(b)
        except OSError:
            pass
        c.close()

    while time.monotonic() < end:
        ls.settimeout(max(0.05, end - time.monotonic()))
        try:
            c, _ = ls.accept()
        except socket.timeout:
            break
        threading.Thread(target=serve, args=(c,), daemon=True).start()
    ls.close()
    print(len(done), flush=True)
    return 0


def main(argv):
    cmds = {"halfclose": (halfclose, 3), "get-hold": (get_hold, 4), "refused": (refused, 2),
            "send": (send, 3), "sink": (sink, 3), "recv": (recv, 3),
            "echo": (echo, 3)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    fn, _ = cmds[argv[1]]
    return fn(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
