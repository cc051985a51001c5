#!/usr/bin/env bash
# bench/preload.sh BUILD_DIR: the preload library's figures, each next to the kernel's in the
# same run: (1) iperf3 (3 s): the preloaded iperf3 client over TUN against the kernel's iperf3,
# next to kernel iperf3 -> kernel iperf3 over a veth pair of the same MTU; (2) a 1-byte
# send/recv ping-pong against a kernel echo server: ns per send() and recv() call and the round
# trip, on the kernel and through the preload layer. Needs root; uses 198.18.0.0/15 only.
set -euo pipefail
B=$(readlink -f "${1:?usage: $0 BUILD_DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS=sa-bpl-$$ A=sa-bpla-$$ C=sa-blpc-$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/netns.sh" down "$NS" || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
}
trap cleanup EXIT
"$ROOT/scripts/netns.sh" up "$NS"
ip netns add "$A"
ip netns add "$C"
ip link add sab-v0-$$ netns "$A" type veth peer name sab-v1-$$ netns "$C"
ip -n "$A" link set lo up; ip -n "$C" link set lo up
ip -n "$A" addr add 198.18.1.1/24 dev sab-v0-$$; ip -n "$C" addr add 198.18.1.2/24 dev sab-v1-$$
ip -n "$A" link set sab-v0-$$ mtu 1500 up; ip -n "$C" link set sab-v1-$$ mtu 1500 up
RUN=("$B/synack" run --dev tun0 --no-create --control "/tmp/sa-bpl-$$.ctl")
rate() { grep -E "receiver$" | tail -1 | awk '{for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) print $(i-1), $i}'; }

ip netns exec "$NS" timeout 30 iperf3 -s -1 -B 198.18.0.1 -p 5301 >/dev/null 2>&1 & PIDS+=($!)
ip netns exec "$C" timeout 30 iperf3 -s -1 -B 198.18.1.2 -p 5302 >/dev/null 2>&1 & PIDS+=($!)
sleep 0.5
syn=$(ip netns exec "$NS" "${RUN[@]}" -- iperf3 -c 198.18.0.1 -p 5301 -t 3 | rate)
ker=$(ip netns exec "$A" iperf3 -c 198.18.1.2 -p 5302 -t 3 | rate)
echo "iperf3 -t 3, one connection:"
echo "  preloaded iperf3 on synack over TUN -> kernel iperf3   $syn"
echo "  kernel iperf3 over veth            -> kernel iperf3   $ker"

ip netns exec "$NS" timeout 60 socat TCP-LISTEN:7007,bind=198.18.0.1,fork,reuseaddr PIPE & PIDS+=($!)
sleep 0.5
read -r ks kr krtt < <(ip netns exec "$NS" "$B/preload_pingpong" 198.18.0.1 7007 20000)
read -r ss sr srtt < <(ip netns exec "$NS" "${RUN[@]}" -- "$B/preload_pingpong" 198.18.0.1 7007 20000)
echo "1-byte ping-pong, 20000 rounds (ns per call; the round trip includes the echo server):"
printf "  %-28s send %6s ns   recv %6s ns   round trip %7s us\n" "kernel TCP (syscalls)" "$ks" "$kr" "$krtt"
printf "  %-28s send %6s ns   recv %6s ns   round trip %7s us\n" "synack via preload" "$ss" "$sr" "$srtt"
