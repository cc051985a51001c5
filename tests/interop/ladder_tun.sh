#!/usr/bin/env bash
# ladder_tun.sh SYNACK: a real transfer for the ladder: the kernel's curl fetches a 256 KiB file
# from `synack serve` over IPv4 and a small one over IPv6 while dumpcap captures tun0 inside the
# private namespace; tshark must read that capture cleanly and agree with `synack ladder` on
# every segment of both connections (tests/golden/tshark.sh), and the ladders must end with the
# states a close by curl gives (the client in TIME-WAIT, the server CLOSED).
. "$(dirname "$0")/lib.sh" "$@"
command -v dumpcap >/dev/null && command -v tshark >/dev/null || skip "dumpcap/tshark missing (scripts/setup.sh)"
ns_up
mkdir -p "$WORK/www"
head -c 262144 /dev/urandom >"$WORK/www/big"
echo "hello from synack" >"$WORK/www/small.txt"
start_serve --services http
bg dumpcap dumpcap -q -P -i tun0 -w "$WORK/tun.pcap"
CAP_PID=$LAST_PID
wait_until 10 grep -q "File: " "$WORK/dumpcap.log" || wait_until 5 test -s "$WORK/tun.pcap" ||
  fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"
sleep 0.5
ns curl -sS --max-time 30 -o "$WORK/big.got" http://198.18.0.2/big || fail "IPv4 download failed"
same_file "$WORK/www/big" "$WORK/big.got"
[ "$(ns curl -sS -g --max-time 10 'http://[2001:db8::2]/small.txt')" = "hello from synack" ] || fail "IPv6 fetch failed"
sleep 1 # the last ACKs of both closes
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null || true
say "captured $(stat -c %s "$WORK/tun.pcap") bytes"
"$SYNACK" ladder --list "$WORK/tun.pcap" | tee "$WORK/list"
[ "$(tail -n +2 "$WORK/list" | wc -l)" = 2 ] || fail "want 2 connections in the capture"
for k in 1 2; do
  "$SYNACK" ladder --conn $k "$WORK/tun.pcap" >"$WORK/ladder$k" || fail "ladder of connection $k failed"
  tail -1 "$WORK/ladder$k"
  grep -q "^end of capture: 198.18.0.1:[0-9]* TIME-WAIT\|^end of capture: \[2001:db8::1\]:[0-9]* TIME-WAIT" "$WORK/ladder$k" ||
    fail "connection $k: the client (curl, which closed first) should end in TIME-WAIT: $(tail -1 "$WORK/ladder$k")"
  grep -q "; [^ ]*:80 CLOSED" "$WORK/ladder$k" || fail "connection $k: the server should end CLOSED"
done
"$(dirname "$0")/../golden/tshark.sh" "$SYNACK" "$WORK/tun.pcap" || fail "tshark and the ladder disagree"
stop_serve
say "PASS"
