#!/usr/bin/env bash
# bench-busy-poll.sh: what `serve --busy-poll USEC` buys. A kernel client pings one byte at a time
# through synack's echo service over TUN (bench/tun_pingpong.c: TCP_NODELAY, blocking calls, each
# round timed), serve pinned to one CPU and the client to the other, with and without busy-poll:
# the median and 99th percentile round trip (medians over --runs runs). During one run of each,
# `perf stat` counts serve's system calls (read, write/writev, epoll_pwait2/epoll_wait) per
# packet that crossed the device; then the same for a bulk transfer (kernel -> synack discard,
# --bulk-seconds), where a wake-up reads a burst: reads per packet received tell how much a
# batch saves (one read per packet, plus the one that finds the queue empty; TUN has no
# recvmmsg). Not a test: JSON lines on stdout (value with busy-poll, anchor without, ratio), a
# table on stderr. Bounded; the namespace is removed on exit; traffic stays in it (198.18.0.0/15).
#
#   scripts/bench-busy-poll.sh [--synack PATH] [--pingpong PATH] [--usec U] [--rounds N]
#                              [--runs R] [--bulk-seconds S] [--offload on|off] [--smoke]
#
# Defaults: build/synack, build/bench_tun_pingpong, U = 50, N = 20000, R = 3, S = 2, serve's
# default offloads (on: the bulk packets are 64 KiB super-segments; off: MTU-sized packets).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYNACK=$ROOT/build/synack
PINGPONG=$ROOT/build/bench_tun_pingpong
USEC=50 ROUNDS=20000 RUNS=3 BULK_S=2 OFFLOAD=()
while [ $# -gt 0 ]; do
  case $1 in
  --synack) SYNACK=$2; shift 2 ;;
  --pingpong) PINGPONG=$2; shift 2 ;;
  --usec) USEC=$2; shift 2 ;;
  --rounds) ROUNDS=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --bulk-seconds) BULK_S=$2; shift 2 ;;
  --offload) [[ $2 =~ ^(on|off)$ ]] || { echo "bench-busy-poll.sh: --offload on|off" >&2; exit 2; }
             OFFLOAD=(--offload "$2"); shift 2 ;;
  --smoke) ROUNDS=300 RUNS=1 BULK_S=1; shift ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  *) echo "bench-busy-poll.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for v in "$USEC:1:1000000" "$ROUNDS:100:1000000" "$RUNS:1:10" "$BULK_S:1:30"; do
  IFS=: read -r x lo hi <<<"$v"
  [[ $x =~ ^[0-9]+$ ]] && [ "$x" -ge "$lo" ] && [ "$x" -le "$hi" ] ||
    { echo "bench-busy-poll.sh: '$x' not in $lo..$hi" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench-busy-poll.sh: must run as root" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "bench-busy-poll.sh: no synack at $SYNACK" >&2; exit 1; }
[ -x "$PINGPONG" ] || { echo "bench-busy-poll.sh: no tun_pingpong at $PINGPONG" >&2; exit 1; }
HAVE_PERF=1
perf stat -e 'syscalls:sys_enter_read' -- true >/dev/null 2>&1 || HAVE_PERF=0
PY=/usr/bin/python3
PEER="$ROOT/tests/interop/peer.py"
NS=sab-bpoll-$$
WORK=$(mktemp -d /tmp/synack-bench-bpoll.XXXXXX)
SERVE= PERF=
cleanup() {
  local p
  for p in $PERF $SERVE; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $PERF $SERVE; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/netns.sh" down "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$ROOT/scripts/bench-lib.sh" # say, median
SYSCALLS='syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_epoll_wait'

"$ROOT/scripts/netns.sh" up "$NS" >/dev/null

serve_up() { # serve_up [--busy-poll U]: echo and discard, pinned to CPU 1
  ip netns exec "$NS" taskset -c 1 "$SYNACK" serve --dev tun0 --no-create --addr 198.18.0.2 \
    --services echo,discard --control "$WORK/ctl" "${OFFLOAD[@]}" "$@" >"$WORK/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 100); do "$SYNACK" netstat --control "$WORK/ctl" -a 2>/dev/null | grep -q LISTEN && return; sleep 0.05; done
  say "bench-busy-poll.sh: serve did not come up"; cat "$WORK/serve.log" >&2; exit 1
}
serve_down() { kill -TERM "$SERVE" 2>/dev/null || true; wait "$SERVE" 2>/dev/null || true; SERVE=; }
packets() { # packets in + out of the device so far
  "$SYNACK" netstat -s --control "$WORK/ctl" | sed -nE 's/^device: ([0-9]+) packets in .*, ([0-9]+) packets out.*/\1 \2/p'
}
perf_start() { # counts serve's system calls until perf_stop
  PERF=
  [ $HAVE_PERF = 1 ] || return 0
  perf stat -x, -e "$SYSCALLS" -p "$SERVE" -o "$WORK/perf" 2>/dev/null &
  PERF=$!
  sleep 0.3
}
perf_stop() { # "reads writes waits" into $WORK/sys (0 0 0 without perf); not in a subshell
  if [ -z "$PERF" ]; then echo "0 0 0" >"$WORK/sys"; return; fi
  kill -INT "$PERF"; wait "$PERF" 2>/dev/null || true; PERF=
  awk -F, '/sys_enter_read/ { r += $1 } /sys_enter_write/ { w += $1 } /sys_enter_epoll/ { e += $1 }
           END { printf "%d %d %d\n", r, w, e }' "$WORK/perf" >"$WORK/sys"
}

declare -A P50 P99 SYS
for run in $(seq "$RUNS"); do
  for mode in busy plain; do
    args=()
    [ $mode = busy ] && args=(--busy-poll "$USEC")
    serve_up "${args[@]}"
    [ "$run" = 1 ] && perf_start
    read -r b_in b_out < <(packets)
    out=$(ip netns exec "$NS" taskset -c 0 "$PINGPONG" 198.18.0.2 7 "$ROUNDS") ||
      { say "bench-busy-poll.sh: tun_pingpong failed ($mode)"; exit 1; }
    read -r a_in a_out < <(packets)
    if [ "$run" = 1 ]; then
      perf_stop
      read -r r w e <"$WORK/sys"
      SYS[$mode.pp]=$(awk -v r="$r" -v w="$w" -v e="$e" -v i="$(( a_in - b_in ))" -v o="$(( a_out - b_out ))" \
        'BEGIN { printf "%.3f %.3f %.3f %d %d", r / i, w / o, e / i, i, o }')
    fi
    serve_down
    read -r _ p50 p99 mean max <<<"$out"
    [ "$run" = 1 ] && say "syscalls $mode: reads/packet in, writes/packet out, waits/packet in, packets in, out: ${SYS[$mode.pp]}"
    say "$(printf "run %s  %-5s  p50 %7s us  p99 %7s us  mean %7s us  max %8s us" "$run" "$mode" "$p50" "$p99" "$mean" "$max")"
    P50[$mode]+="$p50 " P99[$mode]+="$p99 "
  done
done

# Bulk, kernel -> synack discard: reads per packet received (the batch), waits per packet.
for mode in busy plain; do
  args=()
  [ $mode = busy ] && args=(--busy-poll "$USEC")
  serve_up "${args[@]}"
  perf_start
  read -r b_in b_out < <(packets)
  ip netns exec "$NS" taskset -c 0 "$PY" "$PEER" send 198.18.0.2 9 "$BULK_S" >"$WORK/send" ||
    { say "bench-busy-poll.sh: bulk sender failed ($mode)"; exit 1; }
  read -r a_in a_out < <(packets)
  perf_stop
  read -r r w e <"$WORK/sys"
  serve_down
  SYS[$mode.bulk]=$(awk -v r="$r" -v w="$w" -v e="$e" -v i="$(( a_in - b_in ))" -v o="$(( a_out - b_out ))" \
    'BEGIN { printf "%.3f %.3f %.3f %d %d", r / i, w / o, e / i, i, o }')
  say "bulk  $mode: reads/packet in, writes/packet out, waits/packet in, packets in, out: ${SYS[$mode.bulk]} ($(cat "$WORK/send"))"
done

for q in p50 p99; do
  if [ $q = p50 ]; then b=$(median ${P50[busy]}) p=$(median ${P50[plain]}); else b=$(median ${P99[busy]}) p=$(median ${P99[plain]}); fi
  printf '{"bench": "tun_pingpong_rtt_%s_busy_poll_%dus", "value": %s, "unit": "us", "anchor": "same_without_busy_poll", "anchor_value": %s, "ratio": %s}\n' \
    "$q" "$USEC" "$b" "$p" "$(awk -v a="$b" -v b="$p" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
if [ $HAVE_PERF = 1 ]; then
  for kind in pp bulk; do
    read -r rb _ <<<"${SYS[busy.$kind]}"
    read -r rp _ <<<"${SYS[plain.$kind]}"
    name=$([ $kind = pp ] && echo tun_pingpong_reads_per_packet_in || echo tun_bulk_reads_per_packet_in)
    printf '{"bench": "%s_busy_poll_%dus", "value": %s, "unit": "read calls per packet received", "anchor": "same_without_busy_poll", "anchor_value": %s, "detail": "reads/packet in, writes/packet out, epoll waits/packet in, packets in, out", "detail_busy": "%s", "detail_plain": "%s"}\n' \
      "$name" "$USEC" "$rb" "$rp" "${SYS[busy.$kind]}" "${SYS[plain.$kind]}"
  done
else
  echo '{"bench": "tun_pingpong_reads_per_packet_in", "value": null, "error": "perf cannot count syscalls:sys_enter_* here"}'
fi
