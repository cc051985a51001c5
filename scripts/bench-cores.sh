#!/usr/bin/env bash
# bench-cores.sh: `synack serve --cores 1` on a plain TUN device next to `--cores 2` on a
# multi-queue one, P parallel connections, both directions: kernel -> synack (tests/interop/
# peer.py `send` processes into the discard port) and synack -> kernel (peer.py `recv` processes
# reading chargen), offloads on and off. Each synack stack thread is pinned (1 core: CPU 1;
# 2 cores: core i on CPU i); the kernel peers are not (they share the same CPUs: a 2-CPU machine
# has no third one for them). Per run: wall-clock Gbit/s; synack's own CPU (user + system time
# of its threads, /proc/PID/task/*/stat) and Gbit/s per synack CPU-second; the kernel peers' CPU
# (their processes' user + system time: their TCP send or receive path runs in their system
# calls) and the whole machine's busy CPU (/proc/stat, everyone's jobs included) over the same
# window. Not a test: one JSON line per figure on stdout (medians of --runs runs; value = 2 cores,
# anchor = 1 core, ratio), a table on stderr. Bounded (--seconds of traffic, then a drain of at
# most 40 s); the namespaces are removed on exit; traffic stays in private namespaces on
# 198.18.0.0/15.
#
#   scripts/bench-cores.sh [--synack PATH] [--seconds N] [--runs N] [--conns P] [--perf] [--smoke]
#
# PATH defaults to build/synack (the release build); N = 3 s, 3 runs, P = 8. --smoke: 1 s, one
# run, offloads on only (its figures mean nothing). --perf: in the first run of each case,
# `perf record -a` during the traffic, and the share of all CPU samples taken by synack, by the
# kernel peers (python3: their system calls) and by everything else on the machine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYNACK=$ROOT/build/synack
SECONDS_SEND=3 RUNS=3 CONNS=8 MODES="on off" PERF=0
while [ $# -gt 0 ]; do
  case $1 in
  --synack) SYNACK=$2; shift 2 ;;
  --seconds) SECONDS_SEND=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --conns) CONNS=$2; shift 2 ;;
  --smoke) SECONDS_SEND=1 RUNS=1 MODES=on; shift ;;
  --perf) PERF=1; shift ;;
  -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
  *) echo "bench-cores.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $SECONDS_SEND =~ ^[0-9]+$ ]] && [ "$SECONDS_SEND" -ge 1 ] && [ "$SECONDS_SEND" -le 60 ] || { echo "bench-cores.sh: --seconds 1..60" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 10 ] || { echo "bench-cores.sh: --runs 1..10" >&2; exit 2; }
[[ $CONNS =~ ^[0-9]+$ ]] && [ "$CONNS" -ge 1 ] && [ "$CONNS" -le 64 ] || { echo "bench-cores.sh: --conns 1..64" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-cores.sh: must run as root" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "bench-cores.sh: no synack at $SYNACK" >&2; exit 1; }
[ $PERF = 0 ] || perf record -a -o /dev/null -- true >/dev/null 2>&1 || { echo "bench-cores.sh: perf record -a does not work here" >&2; exit 1; }
PY=/usr/bin/python3
PEER="$ROOT/tests/interop/peer.py"
NS=sab-cores-$$
WORK=$(mktemp -d /tmp/synack-bench-cores.XXXXXX)
SERVE= PEERS=()
TICK=$(getconf CLK_TCK)
cleanup() {
  local p
  for p in $SERVE "${PEERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $SERVE "${PEERS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/netns.sh" down "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$ROOT/scripts/bench-lib.sh" # say, median

# CPU ticks (user + system) of a process's threads, or of a list of processes (gone ones: 0).
proc_ticks() { # PID...: the whole processes
  local p t=0 v
  for p in "$@"; do
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || v=0
    t=$((t + ${v:-0}))
  done
  echo $t
}
# User + system seconds of reaped children in a `times` output (its second line).
children_cpu_s() {
  awk 'NR == 2 { n = split($0, f, " "); t = 0
                 for (i = 1; i <= n; i++) { split(f[i], ms, "m"); t += ms[1] * 60 + ms[2] } print t }' "$1"
}
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# The stack threads of serve: with --cores N the N newest tasks (the main thread only waits for
# signals); with one core the main thread.
pin_stack_threads() {
  local cores=$1 tids
  if [ "$cores" -eq 1 ]; then
    taskset -pc 1 "$SERVE" >/dev/null
    return
  fi
  mapfile -t tids < <(ls /proc/"$SERVE"/task | sort -n | tail -n "$cores")
  local i
  for i in "${!tids[@]}"; do taskset -pc "$i" "${tids[$i]}" >/dev/null; done
}

# One measurement: cores, offload, direction (in: kernel -> synack, out: synack -> kernel) ->
# "Gbit/s Gbit synack_cpu_s peers_cpu_s machine_busy_cpu_s synack% peers% else%" on stdout
# (the shares with --perf in the first run, else "- - -").
measure() {
  local cores=$1 mode=$2 dir=$3 record=$4 mq=()
  [ "$cores" -gt 1 ] && mq=(--multi-queue)
  "$ROOT/scripts/netns.sh" up "$NS" "${mq[@]}" >/dev/null
  ip netns exec "$NS" "$SYNACK" serve --dev tun0 --no-create --addr 198.18.0.2 --services discard,chargen \
    --offload "$mode" --cores "$cores" --control "$WORK/ctl" >"$WORK/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 100); do "$SYNACK" netstat --control "$WORK/ctl" -a 2>/dev/null | grep -q LISTEN && break; sleep 0.05; done
  pin_stack_threads "$cores"
  PEERS=()
  rm -f "$WORK"/peer.*
  local s0 m0 i
  s0=$(proc_ticks "$SERVE") m0=$(machine_busy_ticks)
  for i in $(seq "$CONNS"); do
    if [ "$dir" = in ]; then
      ip netns exec "$NS" "$PY" "$PEER" send 198.18.0.2 9 "$SECONDS_SEND" >"$WORK/peer.$i" 2>&1 &
    else
      ip netns exec "$NS" "$PY" "$PEER" recv 198.18.0.2 19 "$SECONDS_SEND" >"$WORK/peer.$i" 2>&1 &
    fi
    PEERS+=($!)
  done
  local rec=
  if [ "$record" = 1 ]; then
    perf record -a -F 499 -o "$WORK/perf.data" -- sleep "$(( SECONDS_SEND > 1 ? SECONDS_SEND - 1 : 1 ))" >/dev/null 2>&1 &
    rec=$!
  fi
  # The peers' CPU: this (sub)shell's children's user + system time, as `times` says once they
  # are waited for (the rusage of reaped children), before and after.
  # (`times` itself, not in a subshell: a forked shell has no reaped children of its own.)
  local p ok=1
  times >"$WORK/times0"
  for p in "${PEERS[@]}"; do wait "$p" || ok=0; done
  local shares="- - -"
  if [ -n "$rec" ]; then
    wait "$rec" || true
    # Shares of all samples by command: synack, the peers (python3), everything else.
    shares=$(perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
      awk '$1 ~ /%$/ { v = $1 + 0; if ($2 == "synack") s += v; else if ($2 == "python3") p += v; else o += v }
           END { printf "%.0f %.0f %.0f", s, p, o }')
  fi
  local s1 m1
  s1=$(proc_ticks "$SERVE") m1=$(machine_busy_ticks)
  times >"$WORK/times1"
  # (perf's own samples count as "else": a few percent.)
  PEERS=()
  kill -TERM "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
  SERVE=
  "$ROOT/scripts/netns.sh" down "$NS"
  [ $ok = 1 ] || { say "bench-cores.sh: a peer failed ($cores cores, offload $mode, $dir)"; cat "$WORK"/peer.* >&2; exit 1; }
  local c0 c1
  c0=$(children_cpu_s "$WORK/times0") c1=$(children_cpu_s "$WORK/times1")
  cat "$WORK"/peer.* | awk -v s="$((s1 - s0))" -v p="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
    -v m="$((m1 - m0))" -v hz="$TICK" \
    -v shares="$shares" \
    '{ b += $1; if ($2 > t) t = $2 } END { printf "%.3f %.3f %.2f %.2f %.2f %s\n", b * 8 / t / 1e9, b * 8 / 1e9, s / hz, p, m / hz, shares }'
}

say "bench-cores: $RUNS run(s), $CONNS connections of $SECONDS_SEND s each way; synack threads pinned"
say "                                     Gbit/s  synack CPU s  Gbit/synack-CPU-s  peers CPU s  machine busy CPU s  perf % synack/peers/else"
declare -A GB EFF PEERCPU BUSY SHARE
for run in $(seq "$RUNS"); do
  for mode in $MODES; do
    for dir in in out; do
      for cores in 1 2; do
        rec=0
        [ $PERF = 1 ] && [ "$run" = 1 ] && rec=1
        read -r g gb s p m sh_s sh_p sh_o < <(measure "$cores" "$mode" "$dir" "$rec")
        # Gbit moved per CPU-second synack spent.
        e=$(awk -v gb="$gb" -v s="$s" 'BEGIN { printf "%.2f", (s > 0 ? gb / s : 0) }')
        say "$(printf "run %s  offload %-3s  %-3s  cores %s  %8s  %12s  %17s  %11s  %18s  %s/%s/%s" "$run" "$mode" "$dir" "$cores" "$g" "$s" "$e" "$p" "$m" "$sh_s" "$sh_p" "$sh_o")"
        k=$mode.$dir.$cores
        [ "$rec" = 1 ] && SHARE[$k]="[$sh_s, $sh_p, $sh_o]"
        GB[$k]+="$g " EFF[$k]+="$e " PEERCPU[$k]+="$p " BUSY[$k]+="$m "
      done
    done
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for mode in $MODES; do
  for dir in in out; do
    name=$([ $dir = in ] && echo kernel_to_synack || echo synack_to_kernel)
    # shellcheck disable=SC2086
    one=$(median ${GB[$mode.$dir.1]}) two=$(median ${GB[$mode.$dir.2]})
    # shellcheck disable=SC2086
    e1=$(median ${EFF[$mode.$dir.1]}) e2=$(median ${EFF[$mode.$dir.2]})
    # shellcheck disable=SC2086
    p1=$(median ${PEERCPU[$mode.$dir.1]}) p2=$(median ${PEERCPU[$mode.$dir.2]})
    # shellcheck disable=SC2086
    m1=$(median ${BUSY[$mode.$dir.1]}) m2=$(median ${BUSY[$mode.$dir.2]})
    perf_fields=
    [ $PERF = 1 ] && perf_fields=", \"perf_share_pct_synack_peers_else\": [${SHARE[$mode.$dir.1]}, ${SHARE[$mode.$dir.2]}]"
    printf '{"bench": "tun_%s_%dconns_2cores_offload_%s", "value": %s, "unit": "Gbit/s", "anchor": "same_1core", "anchor_value": %s, "ratio": %s, "kernel_peers_cpu_s": [%s, %s], "machine_busy_cpu_s": [%s, %s], "seconds": %s%s}\n' \
      "$name" "$CONNS" "$mode" "$two" "$one" "$(ratio "$two" "$one")" "$p1" "$p2" "$m1" "$m2" "$SECONDS_SEND" "$perf_fields"
    printf '{"bench": "tun_%s_%dconns_2cores_offload_%s_per_synack_cpu", "value": %s, "unit": "Gbit per synack CPU-second", "anchor": "same_1core", "anchor_value": %s, "ratio": %s}\n' \
      "$name" "$CONNS" "$mode" "$e2" "$e1" "$(ratio "$e2" "$e1")"
  done
done
