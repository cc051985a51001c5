#!/usr/bin/env bash
# host_cc.sh SYNACK: a drop-in sends as the kernel it stands in for would (issue 9). With the
# test namespace's net.ipv4.tcp_congestion_control set to bbr, reno or cubic (where allowed), `synack serve` and
# `synack run` (the preload) take that algorithm (Linux's reno is synack's newreno): -v names it
# and where it came from, netstat -e shows it on a connection, TCP_CONGESTION reads it under the
# preload. --cc and SYNACK_CC win over the host.
. "$(dirname "$0")/lib.sh" "$@"
need nc
ns_up
host_cc() { ns sysctl -qw net.ipv4.tcp_congestion_control="$1" || fail "cannot set tcp_congestion_control=$1 in $NS"; }

# serve_check WANT SOURCE [serve args]: serve's -v log names WANT from SOURCE; a connection from
# the kernel runs WANT (netstat -e).
serve_check() {
  local want=$1 src=$2
  shift 2
  start_serve --services echo "$@"
  grep -q "congestion control: $want ($src" "$WORK/serve.log" ||
    fail "serve logged $(grep -o 'congestion control: .*' "$WORK/serve.log" || echo nothing), not $want ($src...)"
  bg hold sh -c "(printf x; sleep 1) | exec timeout 10 nc -N 198.18.0.2 7"
  local hold=$LAST_PID
  wait_until 5 sh -c "'$SYNACK' netstat --control '$CTL' -e | grep -q '^.* $want phase:'" ||
    fail "netstat -e does not show a $want connection: $(netstat_synack -e)"
  wait "$hold" || true
  stop_serve
  say "ok: serve ${*:-(no --cc)} with the host at $(ns sysctl -n net.ipv4.tcp_congestion_control): $want ($src)"
}

host_cc bbr
serve_check bbr "the host's"
# cubic may be outside net.ipv4.tcp_allowed_congestion_control, which a namespace may not leave
if ns sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null; then
  serve_check cubic "the host's"
else
  say "note: this host does not let a namespace choose cubic (tcp_allowed_congestion_control)"
fi
host_cc reno
serve_check newreno "the host's"
host_cc bbr
serve_check newreno "--cc or SYNACK_CC" --cc newreno
SYNACK_CC=cubic serve_check cubic "--cc or SYNACK_CC"

# The preload: TCP_CONGESTION of a fresh socket is the stack's default, here the host's bbr.
cat >"$WORK/ccget.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode())
PY
RUN=("$SYNACK" run --dev tun0 --no-create -v)
got=$(ns timeout 20 "${RUN[@]}" -- "$PY" "$WORK/ccget.py" 2>"$WORK/run1.log") || fail "synack run failed"
[ "$got" = bbr ] || fail "under the preload TCP_CONGESTION reads '$got', not the host's bbr"
grep -q "congestion control: bbr (the host's" "$WORK/run1.log" || fail "synack run -v did not log the host's bbr"
got=$(SYNACK_CC=newreno ns timeout 20 "${RUN[@]}" -- "$PY" "$WORK/ccget.py" 2>"$WORK/run2.log") || fail "synack run failed"
[ "$got" = reno ] || fail "with SYNACK_CC=newreno TCP_CONGESTION reads '$got', not reno (Linux's name for it)"
check_no_sanitizer "$WORK/run1.log" "$WORK/run2.log"
say "ok: synack run: the host's bbr by default, SYNACK_CC=newreno over it"
say "PASS"
