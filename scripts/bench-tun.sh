#!/usr/bin/env bash
# bench-tun.sh: bulk throughput between the kernel and synack over TUN, both directions, with
# offloads on (virtio-net header: checksums, GSO/TSO super-segments) and off (plain TUN), next to
# kernel -> kernel over a veth pair with the same MTU and its offloads on (the anchor), measured
# in the same run. Not a test: it prints figures. One JSON line per figure on stdout:
#   {"bench": ..., "value": ..., "unit": "Gbit/s", "anchor": ..., "anchor_value": ..., "ratio": ...,
#    "gbit_per_serve_cpu_s": bytes per CPU second of the synack process (steadier on a busy machine)}
# (medians of --runs runs); a table for people on stderr. Every run is bounded (--seconds of
# sending, at most 30 s to drain); every namespace it makes is removed on exit; synack on CPU 1,
# the kernel's end on CPU 0 (taskset). Traffic stays inside private namespaces on 198.18.0.0/15.
#
#   scripts/bench-tun.sh [--synack PATH] [--seconds N] [--mtu N] [--runs N] [--smoke] [-- serve options]
#
# PATH defaults to build/synack (the release build: `make build`); N = 3 s, MTU 1500, 3 runs.
# --smoke: 1 run of 1 s (CI: proves the bench still runs; its figures mean nothing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYNACK=$ROOT/build/synack
SECONDS_SEND=3
MTU=1500
RUNS=3
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
  --synack) SYNACK=$2; shift 2 ;;
  --seconds) SECONDS_SEND=$2; shift 2 ;;
  --mtu) MTU=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --smoke) SECONDS_SEND=1 RUNS=1; shift ;;
  --) shift; EXTRA=("$@"); break ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "bench-tun.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $SECONDS_SEND =~ ^[0-9]+$ ]] && [ "$SECONDS_SEND" -ge 1 ] && [ "$SECONDS_SEND" -le 60 ] ||
  { echo "bench-tun.sh: --seconds must be 1..60" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 10 ] ||
  { echo "bench-tun.sh: --runs must be 1..10" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-tun.sh: must run as root" >&2; exit 1; }
[ -c /dev/net/tun ] || { echo "bench-tun.sh: no /dev/net/tun" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "bench-tun.sh: no synack at $SYNACK (make build)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PEER="$ROOT/tests/interop/peer.py"

TUN_NS=sab-tun-$$ A_NS=sab-a-$$ B_NS=sab-b-$$
WORK=$(mktemp -d /tmp/synack-bench.XXXXXX)
PIDS=()
SERVE=
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  "$ROOT/scripts/netns.sh" down "$TUN_NS" 2>/dev/null || true
  ip netns del "$A_NS" 2>/dev/null || true
  ip netns del "$B_NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/scripts/bench-lib.sh" # say, median
wait_listen() { # NS PORT
  for _ in $(seq 100); do
    ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
    sleep 0.05
  done
  say "bench-tun.sh: nothing listens on port $2 in $1"
  exit 1
}
gbit() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.3f", b * 8 / s / 1e9 }'; }

# synack serve on the TUN device, offloads MODE (on|off), pinned to CPU 1.
serve_start() {
  ip netns exec "$TUN_NS" taskset -c 1 "$SYNACK" serve --dev tun0 --no-create --addr 198.18.0.2 \
    --services discard,chargen --offload "$1" --control "$WORK/ctl" -v "${EXTRA[@]}" >"$WORK/serve-$1.log" 2>&1 &
  SERVE=$!
  PIDS+=("$SERVE")
  for _ in $(seq 100); do "$SYNACK" netstat --control "$WORK/ctl" -a 2>/dev/null | grep -q LISTEN && return 0; sleep 0.05; done
  say "bench-tun.sh: synack serve --offload $1 did not come up"; tail -5 "$WORK/serve-$1.log" >&2; exit 1
}
serve_stop() {
  kill -TERM "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
  SERVE=
}

"$ROOT/scripts/netns.sh" up "$TUN_NS" --mtu "$MTU"
ip netns add "$A_NS"
ip netns add "$B_NS"
ip link add sab-v0-$$ netns "$A_NS" type veth peer name sab-v1-$$ netns "$B_NS"
ip -n "$A_NS" link set lo up
ip -n "$B_NS" link set lo up
ip -n "$A_NS" link set sab-v0-$$ mtu "$MTU" up
ip -n "$B_NS" link set sab-v1-$$ mtu "$MTU" up
ip -n "$A_NS" addr add 198.18.1.1/24 dev sab-v0-$$
ip -n "$B_NS" addr add 198.18.1.2/24 dev sab-v1-$$

say "bench: $RUNS run(s) of $SECONDS_SEND s bulk transfer, MTU $MTU, synack: $SYNACK ${EXTRA[*]}"
say "$(printf "%-4s %-36s %12s %8s" run path bytes Gbit/s)"
declare -A ALL PERCPU
row() { say "$(printf "%-4s %-36s %12s %8s %s" "$1" "$2" "$3" "$4" "${5:-}")"; ALL[$2]+="$4 "; }
# synack's own cost: bytes moved per CPU second of the serve process (user + system, the kernel's
# TUN work done in its system calls included); steadier than wall time on a shared machine.
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
percpu() { # NAME BYTES TICKS: appends to PERCPU[NAME], sets NOTE for the table
  local v
  v=$(awk -v b="$2" -v t="$3" -v k="$TCK" 'BEGIN { printf "%.3f", (t > 0) ? b * 8 / (t / k) / 1e9 : 0 }')
  PERCPU[$1]+="$v "
  NOTE="($v Gbit per serve CPU s)"
}
for run in $(seq "$RUNS"); do
  # kernel -> kernel over veth (offloads on, as veth comes up): the anchor.
  ip netns exec "$B_NS" taskset -c 1 "$PY" "$PEER" sink 198.18.1.2 9 $(( SECONDS_SEND + 40 )) >"$WORK/sink.out" 2>&1 &
  SINK=$!
  PIDS+=("$SINK")
  wait_listen "$B_NS" 9
  out=$(ip netns exec "$A_NS" taskset -c 0 "$PY" "$PEER" send 198.18.1.2 9 "$SECONDS_SEND") ||
    { say "bench-tun.sh: veth run failed"; exit 1; }
  wait "$SINK" || true
  read -r b s <<<"$out"
  row "$run" veth_kernel_to_kernel "$b" "$(gbit "$b" "$s")"

  for mode in on off; do
    serve_start "$mode"
    c0=$(cpu_ticks "$SERVE")
    out=$(ip netns exec "$TUN_NS" taskset -c 0 "$PY" "$PEER" send 198.18.0.2 9 "$SECONDS_SEND") ||
      { say "bench-tun.sh: kernel -> synack (offload $mode) failed"; tail -5 "$WORK/serve-$mode.log" >&2; exit 1; }
    c1=$(cpu_ticks "$SERVE")
    read -r b s <<<"$out"
    percpu "tun_kernel_to_synack_offload_$mode" "$b" $(( c1 - c0 ))
    row "$run" "tun_kernel_to_synack_offload_$mode" "$b" "$(gbit "$b" "$s")" "$NOTE"
    out=$(ip netns exec "$TUN_NS" taskset -c 0 "$PY" "$PEER" recv 198.18.0.2 19 "$SECONDS_SEND") ||
      { say "bench-tun.sh: synack -> kernel (offload $mode) failed"; tail -5 "$WORK/serve-$mode.log" >&2; exit 1; }
    c2=$(cpu_ticks "$SERVE")
    read -r b s <<<"$out"
    percpu "tun_synack_to_kernel_offload_$mode" "$b" $(( c2 - c1 ))
    row "$run" "tun_synack_to_kernel_offload_$mode" "$b" "$(gbit "$b" "$s")" "$NOTE"
    "$SYNACK" netstat --control "$WORK/ctl" -s 2>/dev/null | grep -E "^(offload|loop):" | sed "s/^/  synack ($mode) /" >&2 || true
    serve_stop
  done
done

# shellcheck disable=SC2086
anchor=$(median ${ALL[veth_kernel_to_kernel]})
for name in tun_kernel_to_synack_offload_on tun_synack_to_kernel_offload_on \
            tun_kernel_to_synack_offload_off tun_synack_to_kernel_offload_off; do
  # shellcheck disable=SC2086
  v=$(median ${ALL[$name]})
  ratio=$(awk -v a="$v" -v b="$anchor" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
  # shellcheck disable=SC2086
  pc=$(median ${PERCPU[$name]})
  printf '{"bench": "%s", "value": %s, "unit": "Gbit/s", "anchor": "veth_kernel_to_kernel_offload_on", "anchor_value": %s, "ratio": %s, "runs": %s, "mtu": %s, "gbit_per_serve_cpu_s": %s}\n' \
    "$name" "$v" "$anchor" "$ratio" "$RUNS" "$MTU" "$pc"
done
