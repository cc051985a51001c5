#!/usr/bin/env bash
# preload_api.sh SYNACK PRELOAD_API: runs tests/interop/preload_api.c under `synack run` against
# a kernel echo server (socat) on 198.18.0.1 / 2001:db8::1 port 7007: every interposed call as a
# program sees it (see that file).
. "$(dirname "$0")/lib.sh" "$1"
HELPER=$(readlink -f "${2:?usage: $0 SYNACK PRELOAD_API}")
need socat
ns_up
bg echo socat TCP6-LISTEN:7007,fork,reuseaddr,ipv6only=0 PIPE
echo_up() { ns ss -ltnH 'sport = :7007' | grep -q LISTEN; }
wait_until 5 echo_up || fail "the kernel echo server did not come up"
rc=0
ns timeout 60 "$SYNACK" run --dev tun0 --no-create --control "$CTL" -- "$HELPER" >"$WORK/api.log" 2>&1 || rc=$?
cat "$WORK/api.log"
[ $rc -eq 0 ] || fail "preload_api exited with $rc"
grep -q "^PASS" "$WORK/api.log" || fail "preload_api did not pass"
say "PASS"
