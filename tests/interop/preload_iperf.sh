#!/usr/bin/env bash
# preload_iperf.sh SYNACK: iperf3 on synack through `synack run`, as client and as server
# against iperf3 on the kernel (2 s each); prints both throughputs. iperf3 uses select(),
# non-blocking sockets, TCP_INFO and TCP_MAXSEG.
. "$(dirname "$0")/lib.sh" "$@"
need iperf3
ns_up
RUN=("$SYNACK" run --dev tun0 --no-create --control "$CTL")
port_up() { ns ss -ltnH "sport = :$1" | grep -q LISTEN; }
rate() { grep -E "receiver$" "$1" | tail -1 | awk '{for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) print $(i-1), $i}'; }

bg ks timeout 20 iperf3 -s -1 -B 198.18.0.1 -p 5201
KS=$LAST_PID
wait_until 5 port_up 5201 || fail "kernel iperf3 -s did not come up"
ns timeout 20 "${RUN[@]}" -- iperf3 -c 198.18.0.1 -p 5201 -t 2 >"$WORK/client1.log" 2>&1 ||
  fail "iperf3 -c on synack failed"
wait "$KS" || fail "kernel iperf3 -s exited with $?"
r1=$(rate "$WORK/client1.log")
[ -n "$r1" ] || fail "no result from iperf3 -c on synack"
say "ok: iperf3 -c on synack -> kernel iperf3 -s: $r1"

bg ss timeout 20 "${RUN[@]}" -- iperf3 -s -1 -B 198.18.0.2 -p 5202
SS=$LAST_PID
wait_until 10 listening || fail "iperf3 -s on synack did not come up"
ns timeout 20 iperf3 -c 198.18.0.2 -p 5202 -t 2 >"$WORK/client2.log" 2>&1 || fail "kernel iperf3 -c to synack failed"
wait "$SS" || fail "iperf3 -s on synack exited with $?"
r2=$(rate "$WORK/client2.log")
[ -n "$r2" ] || fail "no result from kernel iperf3 -c"
say "ok: kernel iperf3 -c -> iperf3 -s on synack: $r2"
say "PASS"
