#!/usr/bin/env bash
# multicore.sh SYNACK: `synack serve --cores 2` on a multi-queue TUN device: two stacks on two
# threads, one per queue, TCP flows steered to queues by their ports (tun.h
# synack_tun_port_queue). Eight kernel clients, from source ports chosen so that four land on each
# queue, echo 1 MiB each through port 7 byte-exact; serve's log must show each connection on
# exactly one core, the one the port function names; an HTTP download and ping still work.
. "$(dirname "$0")/lib.sh" "$@"
need curl

ns_up --multi-queue
start_serve --cores 2
grep -q "serving on 2 cores" "$WORK/serve.log" || fail "serve did not start two cores"
head -c 200000 /dev/urandom >"$WORK/www/file"

say "8 kernel clients echo 1 MiB each through port 7"
ns "$PY" - "$WORK/clients.txt" <<'PYEOF' || fail "an echo client failed"
import os, socket, sys, threading
def queue(a, b, n):  # synack_tun_port_queue
    return ((((a + b) * 0x9E3779B1) & 0xffffffff) >> 16) % n
ports, want = [], {0: 4, 1: 4}
for p in range(41000, 42000):
    q = queue(p, 7, 2)
    if want[q]:
        want[q] -= 1
        ports.append((p, q))
    if len(ports) == 8:
        break
errors = []
def client(port):
    data = os.urandom(1 << 20)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.0.1", port))
    s.settimeout(30)
    s.connect(("198.18.0.2", 7))
    got = bytearray()
    def reader():
        while True:
            c = s.recv(65536)
            if not c:
                return
            got.extend(c)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(40)
    s.close()
    if bytes(got) != data:
        errors.append("port %d: %d bytes back, not the 1 MiB sent" % (port, len(got)))
threads = [threading.Thread(target=client, args=(p,)) for p, _ in ports]
for t in threads: t.start()
for t in threads: t.join(60)
open(sys.argv[1], "w").write("".join("%d %d\n" % pq for pq in ports))
for e in errors: print(e)
sys.exit(1 if errors else 0)
PYEOF

ns curl -s -o "$WORK/dl" "http://198.18.0.2/file" || fail "curl failed"
same_file "$WORK/www/file" "$WORK/dl"
ns ping -c1 -W2 198.18.0.2 >/dev/null || fail "no echo reply"
sleep 0.2
stop_serve

# Each client port: on exactly one core, the predicted one.
cores_used=""
while read -r port q; do
  lines=$(grep -E "core [0-9]+: echo: conn [0-9]+ from 198\.18\.0\.1:$port\$" "$WORK/serve.log" || true)
  n=$(printf '%s' "$lines" | grep -c . || true)
  [ "$n" -eq 1 ] || fail "port $port: $n 'conn from' lines (expected exactly one)"
  got=$(printf '%s' "$lines" | sed -E 's/.*core ([0-9]+): .*/\1/')
  [ "$got" = "$q" ] || fail "port $port: handled by core $got, steering says $q"
  cores_used="$cores_used $got"
done <"$WORK/clients.txt"
for q in 0 1; do
  echo "$cores_used" | grep -qw $q || fail "no connection on core $q"
done
closed=$(grep -cE "core [01]: echo: conn .* closed \(peer closed\): 1048576 bytes in, 1048576 out" "$WORK/serve.log" || true)
[ "$closed" -eq 8 ] || fail "$closed of 8 echo connections ended with 1 MiB in and out"
say "ok: 8 connections, 4 per core as steered, byte-exact; http and ping fine"
