#!/usr/bin/env bash
# kernel_bulk.sh: the kernel anchors of bench/bulk.c: bulk TCP throughput of the Linux kernel
# over a veth pair and over loopback, both ends on one core (iperf3 client and server pinned to
# CPU --cpu), at MTU 1500, 9000 and 65535, inside private network namespaces made here and
# removed on exit (198.18.0.0/15 only; nothing routed out). Not a test: it prints figures. One
# JSON line per figure on stdout:
#   {"bench": "kernel_veth_bulk_mtu1500", "value": Gbit/s per CPU second, "wall_gbit_s": ...}
# value = iperf3's received bits per second divided by the CPU share both processes used
# (iperf3's own cpu_utilization_percent host + remote), the clock bench/bulk.c uses; on an idle
# core it equals the wall-clock figure, which is printed too.
#
#   bench/kernel_bulk.sh [--seconds N] [--cpu C] [--mtus "1500 9000 65535"] [--smoke]
# --smoke: 1 s at MTU 1500 only (proves the script runs; the figures mean nothing).
set -euo pipefail

SECS=2 CPU=1 MTUS="1500 9000 65535"
while [ $# -gt 0 ]; do
  case $1 in
  --seconds) SECS=$2; shift 2 ;;
  --cpu) CPU=$2; shift 2 ;;
  --mtus) MTUS=$2; shift 2 ;;
  --smoke) SECS=1 MTUS=1500; shift ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "kernel_bulk.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 30 ] || { echo "kernel_bulk.sh: --seconds must be 1..30" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "kernel_bulk.sh: must run as root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "kernel_bulk.sh: no iperf3 (scripts/setup.sh)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

A=skb-a-$$ B=skb-b-$$ L=skb-l-$$
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  ip netns del "$L" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$A"
ip netns add "$B"
ip netns add "$L"
ip link add skb-v0-$$ netns "$A" type veth peer name skb-v1-$$ netns "$B"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip -n "$L" link set lo up
ip -n "$A" addr add 198.18.3.1/24 dev skb-v0-$$
ip -n "$B" addr add 198.18.3.2/24 dev skb-v1-$$
ip -n "$L" addr add 198.18.4.1/32 dev lo
ip -n "$A" link set skb-v0-$$ up
ip -n "$B" link set skb-v1-$$ up

# One iperf3 run: NS_SERVER NS_CLIENT ADDR NAME MTU
measure() {
  local srv_ns=$1 cli_ns=$2 addr=$3 name=$4 mtu=$5 port=$(( 5201 + RANDOM % 1000 ))
  ip netns exec "$srv_ns" taskset -c "$CPU" iperf3 -s -1 -B "$addr" -p "$port" >/dev/null 2>&1 &
  local srv=$!
  PIDS+=("$srv")
  for _ in $(seq 50); do ip netns exec "$srv_ns" ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.05; done
  local out
  out=$(timeout $(( SECS + 20 )) ip netns exec "$cli_ns" taskset -c "$CPU" iperf3 -c "$addr" -p "$port" -t "$SECS" -J 2>/dev/null) || true
  wait "$srv" 2>/dev/null || true
  IPERF_JSON=$out "$PY" - "$name" "$mtu" "$SECS" <<'PYEOF'
import json, os, sys
name, mtu, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    j = json.loads(os.environ["IPERF_JSON"])
    bps = j["end"]["sum_received"]["bits_per_second"]
    cpu = j["end"]["cpu_utilization_percent"]
    share = (cpu["host_total"] + cpu["remote_total"]) / 100.0
    val = bps / 1e9 / share if share > 0 else None
    print(json.dumps({"bench": name, "value": round(val, 3) if val else None, "unit": "Gbit/s",
                      "wall_gbit_s": round(bps / 1e9, 3), "cpu_share": round(share, 3), "mtu": mtu,
                      "seconds": secs, "tool": "iperf3 " + j["start"]["version"]}))
except Exception as e:
    print(json.dumps({"bench": name, "value": None, "error": "iperf3: %s" % e, "mtu": mtu}))
PYEOF
}

for mtu in $MTUS; do
  ip -n "$A" link set skb-v0-$$ mtu "$mtu"
  ip -n "$B" link set skb-v1-$$ mtu "$mtu"
  measure "$B" "$A" 198.18.3.2 "kernel_veth_bulk_mtu$mtu" "$mtu"
  ip -n "$L" link set lo mtu "$mtu"
  measure "$L" "$L" 198.18.4.1 "kernel_loopback_bulk_mtu$mtu" "$mtu"
done
