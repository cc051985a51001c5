#!/usr/bin/env bash
# services.sh SYNACK: the small services of `synack serve` answer the kernel's clients: echo (7)
# returns 1 MiB unchanged, discard (9) takes 1 MiB and closes after our FIN, chargen (19) sends
# RFC 864 lines; `synack netstat` and `netstat -o` list the listeners.
. "$(dirname "$0")/lib.sh" "$@"
need socat

ns_up
start_serve --services echo,discard,chargen
head -c 1048576 /dev/urandom >"$WORK/in"

ns timeout 30 socat -t 10 -T 20 - TCP4:198.18.0.2:7 <"$WORK/in" >"$WORK/echo.out" || fail "echo: socat failed"
same_file "$WORK/in" "$WORK/echo.out"
say "ok: echo returned 1 MiB unchanged"

ns timeout 30 socat -t 10 -T 20 - TCP4:198.18.0.2:9 <"$WORK/in" >"$WORK/discard.out" || fail "discard: socat failed"
[ ! -s "$WORK/discard.out" ] || fail "discard sent something back"
grep -q "discard: conn .* closed (peer closed): 1048576 bytes in" "$WORK/serve.log" ||
  fail "discard did not count 1 MiB"
say "ok: discard took 1 MiB"

ns timeout 10 socat -u TCP4:198.18.0.2:19 - 2>/dev/null | head -c 7400 >"$WORK/chargen.out" || true
first=$(head -n 1 "$WORK/chargen.out" | tr -d '\r')
want=$(printf '%s' ' !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefg')
[ "$first" = "$want" ] || fail "chargen first line '$first'"
[ "$(wc -c <"$WORK/chargen.out")" -eq 7400 ] || fail "chargen sent too little"
say "ok: chargen lines"

netstat_synack >"$WORK/ns.txt"
# a dual-stack listener reads as Linux shows one: tcp6 :::7
for p in 7 9 19; do grep -qE "^tcp6 .* :::$p .*LISTEN" "$WORK/ns.txt" || fail "netstat lacks listener $p: $(cat "$WORK/ns.txt")"; done
netstat_synack -o | grep -q "Timer" || fail "netstat -o has no Timer column"
say "ok: netstat lists the listeners"
stop_serve
say "PASS"
