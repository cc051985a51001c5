#!/usr/bin/env bash
# refused.sh SYNACK: connecting to a closed port is refused (RST -> ECONNREFUSED) on both sides:
# the kernel's curl and a kernel socket to a closed synack port, then synack connect and synack
# get to a closed kernel port.
. "$(dirname "$0")/lib.sh" "$@"
STACK=(--dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2)

ns_up
start_serve --services http

rc=0
ns curl -sS --max-time 10 http://198.18.0.2:81/ 2>"$WORK/curl.err" || rc=$?
[ $rc -eq 7 ] || fail "curl to a closed synack port exited $rc, not 7 (could not connect): $(cat "$WORK/curl.err")"
ns $PEER refused 198.18.0.2 81 >"$WORK/peer.out" || fail "kernel connect(): $(cat "$WORK/peer.out")"
say "ok: kernel -> synack closed port: curl exit 7, connect() ECONNREFUSED ($(cat "$WORK/peer.out"))"
stop_serve

rc=0
ns timeout 30 "$SYNACK" connect "${STACK[@]}" 198.18.0.1 9 </dev/null 2>"$WORK/connect.err" || rc=$?
[ $rc -eq 1 ] || fail "synack connect to a closed kernel port exited $rc"
grep -q "Connection refused" "$WORK/connect.err" || fail "synack connect: $(cat "$WORK/connect.err")"
check_no_sanitizer "$WORK/connect.err"
rc=0
ns timeout 30 "$SYNACK" get "${STACK[@]}" http://198.18.0.1:81/ 2>"$WORK/get.err" >/dev/null || rc=$?
[ $rc -eq 1 ] || fail "synack get from a closed kernel port exited $rc"
grep -q "Connection refused" "$WORK/get.err" || fail "synack get: $(cat "$WORK/get.err")"
check_no_sanitizer "$WORK/get.err"
say "ok: synack -> kernel closed port: $(cat "$WORK/connect.err")"
say "PASS"
