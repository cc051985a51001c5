#!/usr/bin/env bash
# close_states.sh SYNACK: the close sequence seen from both sides at once.
#  A. The kernel closes first: while synack sits in CLOSE_WAIT (serve --close-delay), the kernel's
#     `ss -tan` shows FIN-WAIT-2; after synack closes, the kernel holds TIME-WAIT.
#  B. synack closes first (HTTP Connection: close): while the kernel's peer holds its socket open,
#     the kernel shows CLOSE-WAIT and synack's netstat FIN_WAIT2; after the peer closes, synack
#     holds TIME_WAIT (netstat -o shows the timewait timer) and the kernel has nothing left.
. "$(dirname "$0")/lib.sh" "$@"

ns_up
echo "closing test" >"$WORK/small.txt"
mkdir -p "$WORK/www" && cp "$WORK/small.txt" "$WORK/www/small.txt"
# MSL 2 s: TIME-WAIT lasts 4 s, so that its end can be watched too.
start_serve --services echo,http --close-delay 2500 --msl 2000

kstate() { ns ss -Htan "$@" | grep -c . || true; }
sstate() { netstat_synack -o | grep -E "$1" || true; }

# ---- A: kernel closes first ----
say "A: kernel half-closes an echo connection"
bg peerA $PEER halfclose 198.18.0.2 7 hello
PA=$LAST_PID
wait_until 5 sh -c "$SYNACK netstat --control $CTL | grep -q 'CLOSE_WAIT'" ||
  fail "A: synack never reached CLOSE_WAIT: $(netstat_synack)"
line=$(sstate ':7 .*CLOSE_WAIT')
[ -n "$line" ] || fail "A: no CLOSE_WAIT on port 7 in synack's netstat"
k=$(kstate state fin-wait-2 '( dport = :7 )')
[ "$k" -eq 1 ] || fail "A: kernel shows $k FIN-WAIT-2 connections to :7 (want 1): $(ns ss -tan)"
say "ok: synack CLOSE_WAIT | kernel FIN-WAIT-2"
echo "    synack: $line"
echo "    kernel: $(ns ss -Htan '( dport = :7 )')"
wait "$PA" || fail "A: peer did not see the echo and EOF"
grep -q hello "$WORK/peerA.log" || fail "A: echo lost"
wait_until 5 sh -c "ip netns exec $NS ss -Htan state time-wait '( dport = :7 )' | grep -q ." ||
  fail "A: kernel never reached TIME-WAIT: $(ns ss -tan)"
echo "    kernel: $(ns ss -Htan '( dport = :7 )')"
wait_until 5 sh -c "! $SYNACK netstat --control $CTL | grep -q ':7 .*198.18.0.1'" ||
  fail "A: synack still has the connection: $(netstat_synack)"
say "ok: after synack's close: kernel TIME-WAIT, synack's connection CLOSED (gone)"

# ---- B: synack closes first ----
say "B: HTTP Connection: close, the kernel's peer keeps its socket open 3 s"
bg peerB $PEER get-hold 198.18.0.2 80 /small.txt 3
PB=$LAST_PID
wait_until 5 sh -c "$SYNACK netstat --control $CTL | grep -q ':80 .*FIN_WAIT2'" ||
  fail "B: synack never reached FIN_WAIT2: $(netstat_synack)"
k=$(kstate state close-wait '( dport = :80 )')
[ "$k" -eq 1 ] || fail "B: kernel shows $k CLOSE-WAIT connections to :80 (want 1): $(ns ss -tan)"
say "ok: synack FIN_WAIT2 | kernel CLOSE-WAIT"
echo "    synack: $(sstate ':80 .*FIN_WAIT2')"
echo "    kernel: $(ns ss -Htan '( dport = :80 )')"
wait "$PB" || fail "B: the peer did not get the response and EOF"
wait_until 5 sh -c "$SYNACK netstat --control $CTL | grep -q ':80 .*TIME_WAIT'" ||
  fail "B: synack never reached TIME_WAIT: $(netstat_synack -o)"
line=$(sstate ':80 .*TIME_WAIT')
echo "$line" | grep -q "timewait (" || fail "B: TIME_WAIT without its timer: $line"
k=$(kstate '( dport = :80 )')
[ "$k" -eq 0 ] || fail "B: the kernel still has the connection: $(ns ss -tan)"
say "ok: synack TIME_WAIT | kernel CLOSED"
echo "    synack: $line"
wait_until 8 sh -c "! $SYNACK netstat --control $CTL | grep -q 'TIME_WAIT'" ||
  fail "B: TIME_WAIT did not end after 2*MSL: $(netstat_synack -o)"
say "ok: TIME_WAIT ended after 2*MSL"

stop_serve
say "PASS"
