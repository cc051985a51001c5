#!/usr/bin/env bash
# multicore_active.sh SYNACK MULTICORE_ACTIVE: active opens on a multi-queue TUN device. Two
# stacks, one per queue (tests/interop/multicore_active.c, each brought up by the tools'
# net_start), open 6 connections each to a kernel echo server and echo 256 KiB each byte-exact;
# every local port must land on its own queue (the stack's port predicate), every queue must
# receive, and no stack may see a segment for a connection it does not have. Then the negative
# control: ports bound on the other queue must make those checks fail (the replies reach the
# stack without the connection).
. "$(dirname "$0")/lib.sh" "$1"
PROG=$(readlink -f "$2")
[ -x "$PROG" ] || fail "no multicore_active program at $2"

ns_up --multi-queue
bg echo $PEER echo 198.18.0.1 7007 60
wait_until 10 ns ss -Htln 'sport = :7007' || fail "the kernel echo server did not come up"

say "2 queues x 6 connections x 256 KiB echoed by the kernel"
ns timeout 40 "$PROG" tun0 2 6 262144 198.18.0.1 7007 >"$WORK/active.log" 2>&1 ||
  fail "active opens on their own queues: $(cat "$WORK/active.log")"
cat "$WORK/active.log"
check_no_sanitizer "$WORK/active.log"
for q in 0 1; do
  grep -qE "^queue $q: 6 connections, 6 byte-exact, 0 failed, 0 ports of another queue, [1-9][0-9]* packets in, .* 0 segments for no connection, 0 RSTs sent$" \
    "$WORK/active.log" || fail "queue $q: not every connection byte-exact on its own queue"
done

say "negative control: ports of the other queue"
if ns timeout 40 "$PROG" tun0 2 2 4096 198.18.0.1 7007 --wrong-queue >"$WORK/wrong.log" 2>&1; then
  fail "ports of the other queue passed the checks: $(cat "$WORK/wrong.log")"
fi
check_no_sanitizer "$WORK/wrong.log"
grep -qE "queue [01]: .* [1-9][0-9]* segments for no connection" "$WORK/wrong.log" ||
  fail "the other queue's stack did not see the misdirected replies: $(cat "$WORK/wrong.log")"
say "ok: every active open on its own queue, byte-exact; the wrong queue is caught"
