#!/usr/bin/env bash
# ping.sh SYNACK [4|6]: the kernel's ping (ICMP / ICMPv6 echo) gets answers from synack, including
# a payload near the MTU.
. "$(dirname "$0")/lib.sh" "$@"
FAMILY=${2:-4}
need ping
if [ "$FAMILY" = 6 ]; then ADDR=2001:db8::2 P=(ping -6) BIG=1452; else ADDR=198.18.0.2 P=(ping -4) BIG=1472; fi

ns_up
start_serve --services discard
ns "${P[@]}" -c 3 -i 0.2 -W 2 -n "$ADDR" >"$WORK/ping.log" 2>&1 || fail "ping $ADDR: $(tail -3 "$WORK/ping.log")"
grep -q "3 received" "$WORK/ping.log" || fail "not all echoes answered: $(tail -2 "$WORK/ping.log")"
say "ok: $(grep -E 'received|rtt' "$WORK/ping.log" | tr '\n' ' ')"
ns "${P[@]}" -c 2 -i 0.2 -W 2 -n -s "$BIG" -M do "$ADDR" >"$WORK/ping-big.log" 2>&1 ||
  fail "ping -s $BIG $ADDR: $(tail -3 "$WORK/ping-big.log")"
say "ok: $BIG-byte payload (a full 1500-byte packet) answered"
stop_serve
say "PASS"
