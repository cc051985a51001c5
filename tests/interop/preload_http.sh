#!/usr/bin/env bash
# preload_http.sh SYNACK: unmodified programs on synack through `synack run` (the preload
# library): curl downloads 64 MiB from a kernel `python3 -m http.server`, and
# `python3 -m http.server` on synack serves 64 MiB to a kernel curl; sha256 equal both ways.
# `synack netstat` shows the preloaded server's listener while it runs.
. "$(dirname "$0")/lib.sh" "$@"
MIB=${SYNACK_DOWNLOAD_MIB:-64}
ns_up
mkdir -p "$WORK/www"
make_file "$WORK/www/big" "$MIB"
RUN=("$SYNACK" run --dev tun0 --no-create --control "$CTL")

# 1. curl on synack <- python http.server on the kernel (198.18.0.1).
bg kserver "$PY" -m http.server --bind 198.18.0.1 8000 --directory "$WORK/www"
kup() { ns curl -sS --max-time 2 -o /dev/null http://198.18.0.1:8000/; }
wait_until 10 kup || fail "kernel http.server did not come up"
t=$(ms_now)
ns timeout 60 "${RUN[@]}" -- curl -sS --fail --max-time 50 -o "$WORK/got1" http://198.18.0.1:8000/big \
  2>"$WORK/curl1.log" || fail "curl on synack failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/www/big" "$WORK/got1"
say "ok: curl on synack downloaded $MIB MiB from the kernel in ${dt} ms ($(( MIB * 8 * 1000 / (dt > 0 ? dt : 1) )) Mbit/s), sha256 equal"

# 2. python http.server on synack (198.18.0.2) -> curl on the kernel.
bg pserver timeout 60 "${RUN[@]}" -- "$PY" -m http.server --bind 198.18.0.2 8080 --directory "$WORK/www"
PSERVER=$LAST_PID
wait_until 10 listening || fail "python http.server on synack did not come up (no LISTEN in synack netstat)"
netstat_synack | grep -q "198.18.0.2:8080 .*LISTEN" || fail "synack netstat does not show 198.18.0.2:8080 LISTEN"
say "ok: synack netstat shows the preloaded server's listener"
t=$(ms_now)
ns curl -sS --fail --max-time 50 -o "$WORK/got2" http://198.18.0.2:8080/big || fail "kernel curl from python on synack failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/www/big" "$WORK/got2"
say "ok: python http.server on synack served $MIB MiB to kernel curl in ${dt} ms ($(( MIB * 8 * 1000 / (dt > 0 ? dt : 1) )) Mbit/s), sha256 equal"
# Many small requests on fresh connections: accept, threads, close.
for i in $(seq 20); do
  ns curl -sS --fail --max-time 5 -o /dev/null "http://198.18.0.2:8080/" || fail "request $i to python on synack failed"
done
say "ok: 20 more requests on fresh connections"
kill -TERM "$PSERVER" 2>/dev/null || true
check_no_sanitizer "$WORK"/*.log
say "PASS"
