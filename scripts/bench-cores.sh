#!/usr/bin/env bash
# bench-cores.sh: kernel -> synack over TUN with P parallel connections, `synack serve --cores 1`
# on a plain TUN device next to `--cores 2` on a multi-queue one, offloads on and off; the ratio
# 2 cores / 1 core. Not a test: it prints figures, one JSON line each on stdout (medians of --runs
# runs), a table on stderr. The kernel's senders are tests/interop/peer.py `send` processes (serve
# has no iperf3 service: its discard port takes the bytes). Every run is bounded (--seconds of
# sending, then a drain of at most 40 s); the namespaces are removed on exit. Traffic stays inside
# private namespaces on 198.18.0.0/15.
#
#   scripts/bench-cores.sh [--synack PATH] [--seconds N] [--runs N] [--conns P] [--smoke]
#
# PATH defaults to build/synack (the release build); N = 3 s, 3 runs, P = 8.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYNACK=$ROOT/build/synack
SECONDS_SEND=3 RUNS=3 CONNS=8
while [ $# -gt 0 ]; do
  case $1 in
  --synack) SYNACK=$2; shift 2 ;;
  --seconds) SECONDS_SEND=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --conns) CONNS=$2; shift 2 ;;
  --smoke) SECONDS_SEND=1 RUNS=1; shift ;;
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "bench-cores.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $SECONDS_SEND =~ ^[0-9]+$ ]] && [ "$SECONDS_SEND" -ge 1 ] && [ "$SECONDS_SEND" -le 60 ] || { echo "bench-cores.sh: --seconds 1..60" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 10 ] || { echo "bench-cores.sh: --runs 1..10" >&2; exit 2; }
[[ $CONNS =~ ^[0-9]+$ ]] && [ "$CONNS" -ge 1 ] && [ "$CONNS" -le 64 ] || { echo "bench-cores.sh: --conns 1..64" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-cores.sh: must run as root" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "bench-cores.sh: no synack at $SYNACK" >&2; exit 1; }
PY=/usr/bin/python3
PEER="$ROOT/tests/interop/peer.py"
NS=sab-cores-$$
WORK=$(mktemp -d /tmp/synack-bench-cores.XXXXXX)
SERVE= SENDERS=()
cleanup() {
  local p
  for p in $SERVE "${SENDERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $SERVE "${SENDERS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/netns.sh" down "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "$*" >&2; }
median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One measurement: cores, offload -> Gbit/s on stdout.
measure() {
  local cores=$1 mode=$2 mq=()
  [ "$cores" -gt 1 ] && mq=(--multi-queue)
  "$ROOT/scripts/netns.sh" up "$NS" "${mq[@]}"
  ip netns exec "$NS" "$SYNACK" serve --dev tun0 --no-create --addr 198.18.0.2 --services discard \
    --offload "$mode" --cores "$cores" --control "$WORK/ctl" >"$WORK/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 100); do "$SYNACK" netstat --control "$WORK/ctl" -a 2>/dev/null | grep -q LISTEN && break; sleep 0.05; done
  SENDERS=()
  for i in $(seq "$CONNS"); do
    ip netns exec "$NS" "$PY" "$PEER" send 198.18.0.2 9 "$SECONDS_SEND" >"$WORK/send.$i" 2>&1 &
    SENDERS+=($!)
  done
  local p ok=1
  for p in "${SENDERS[@]}"; do wait "$p" || ok=0; done
  SENDERS=()
  kill -TERM "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
  SERVE=
  "$ROOT/scripts/netns.sh" down "$NS"
  [ $ok = 1 ] || { say "bench-cores.sh: a sender failed ($cores cores, offload $mode)"; cat "$WORK"/send.* >&2; exit 1; }
  cat "$WORK"/send.* | awk '{ b += $1; if ($2 > s) s = $2 } END { printf "%.3f", b * 8 / s / 1e9 }'
}

say "bench-cores: $RUNS run(s), $CONNS connections of $SECONDS_SEND s, kernel -> synack serve (discard)"
declare -A ALL
for run in $(seq "$RUNS"); do
  for mode in on off; do
    for cores in 1 2; do
      v=$(measure "$cores" "$mode")
      say "$(printf "run %s  offload %-3s  cores %s  %8s Gbit/s" "$run" "$mode" "$cores" "$v")"
      ALL[$mode.$cores]+="$v "
    done
  done
done
for mode in on off; do
  # shellcheck disable=SC2086
  one=$(median ${ALL[$mode.1]}) two=$(median ${ALL[$mode.2]})
  ratio=$(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '{"bench": "tun_kernel_to_synack_%dconns_2cores_offload_%s", "value": %s, "unit": "Gbit/s", "anchor": "same_1core", "anchor_value": %s, "ratio": %s}\n' \
    "$CONNS" "$mode" "$two" "$one" "$ratio"
done
