#!/usr/bin/env bash
# trace.sh SYNACK: `synack trace` against a running serve, with kernel sockets as the peers.
#  A. Transitions: a kernel client opens an echo connection, sends, half-closes and closes; the
#     --json stream shows the server side's path LISTEN -> SYN-RECEIVED -> ESTABLISHED ->
#     CLOSE-WAIT -> LAST-ACK -> CLOSED, each event's "from" the previous "to", times in order,
#     and each ms_in_from >= 0 and equal (to the core's millisecond) to the gap since the previous
#     transition. A SYN to a closed port shows as a drop named tcp_no_conn. The connection's
#     congestion control shows as a cc event: cubic, none -> slow-start (init), its window.
#  B. Filters: a subscriber with --port 9 and one with `sport = :7` (text) see only their port.
#  C. A slow subscriber (reads nothing while 400 connections run, buffer 4 KiB) does not slow the
#     stack: the connections complete, netstat answers meanwhile, a second subscriber sees every
#     connection's close, and the slow one is told how many events it lost ("lost n=N").
#  D. The server stops: every subscriber ends by itself, exit status 0.
#  E. Congestion control on a lossy path: serve with --impair loss (seeded) sends a 2 MiB file to
#     curl while a subscriber reads --json; the stream shows cubic leaving slow start for
#     recovery (rack or dupack), each recovery ending ("recovered", or undone) before the next
#     begins, with ssthresh below the window before the loss, and retransmissions in between.
. "$(dirname "$0")/lib.sh" "$@"

ns_up
start_serve --services echo,discard --cc cubic # the expected cc events are CUBIC's, not the host's default

tracing() { grep -q "tracing" "$WORK/$1.log"; }
# trace_bg NAME ARGS...: a subscriber whose stdout is $WORK/NAME.out (stderr in NAME.log).
trace_bg() {
  local name=$1
  shift
  ip netns exec "$NS" "$SYNACK" trace --control "$CTL" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_until 5 tracing "$name" || fail "synack trace $* did not start"
}

trace_bg all --json
TALL=$LAST_PID
trace_bg port9 --port 9
T9=$LAST_PID
trace_bg sport7 sport = :7
T7=$LAST_PID

# ---- A ----
say "A: a kernel client: echo, half-close, close; then a SYN to closed port 4444"
ns $PEER halfclose 198.18.0.2 7 hello >"$WORK/peerA.log" 2>&1 || fail "A: echo peer failed"
ns $PY -c "
import socket
s = socket.socket(); s.settimeout(3)
try:
    s.connect(('198.18.0.2', 4444))
except ConnectionRefusedError:
    pass
" || fail "A: the refused connect did not behave"
ns $PEER halfclose 198.18.0.2 9 data >/dev/null 2>&1 || true
wait_until 5 grep -q '"tcp_no_conn"' "$WORK/all.out" || fail "A: no drop event for the SYN to :4444"
wait_until 5 grep -q '"port":9.*"to":"CLOSED"' "$WORK/all.out" || fail "A: the :9 connection never closed in the trace"

$PY - "$WORK/all.out" <<'EOF' || fail "A: the transitions are not as expected"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
conns = {}
for e in events:
    if e["event"] == "state" and e["local"]["port"] == 7:
        conns.setdefault(e["conn"], []).append(e)
assert len(conns) == 1, "want one echo connection, got %d" % len(conns)
path = next(iter(conns.values()))
got = [path[0]["from"]] + [e["to"] for e in path]
want = ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]
assert got == want, "path %s, want %s" % (got, want)
for prev, e in zip(path, path[1:]):
    assert e["from"] == prev["to"], "from %s after to %s" % (e["from"], prev["to"])
    assert e["stack_time_us"] >= prev["stack_time_us"], "time went back"
    gap_ms = (e["stack_time_us"] - prev["stack_time_us"]) / 1000.0
    assert e["ms_in_from"] is not None and e["ms_in_from"] >= 0, "duration %r" % e["ms_in_from"]
    # the core keeps a state's start to the millisecond: within 1 ms of the gap
    assert abs(e["ms_in_from"] - gap_ms) <= 1.0, "%s: %s ms in %s, but %.3f ms passed" % (
        e["to"], e["ms_in_from"], e["from"], gap_ms)
# Congestion control events: the connection's algorithm starts in slow start when it is
# established, with the initial window (RFC 6928: 10 segments).
cc = [e for e in events if e["event"] == "cc" and e["local"]["port"] == 7]
assert cc and cc[0]["algorithm"] == "cubic" and (cc[0]["from"], cc[0]["to"], cc[0]["reason"]) == (
    "none", "slow-start", "init") and cc[0]["cwnd"] >= 10 * 536 and cc[0]["pacing_rate"] == 0, cc
drops = [e for e in events if e["event"] == "drop" and e["local"]["port"] == 4444]
assert drops and drops[0]["reason"] == "tcp_no_conn" and "SYN" in drops[0]["flags"], drops
for e in path:
    print("   ", e["from"], "->", e["to"], e["ms_in_from"], "ms", "(%s)" % e["cause"])
print("    drop:", drops[0]["flags"], drops[0]["reason"], "-", drops[0]["why"])
print("    cc:", cc[0]["algorithm"], cc[0]["from"], "->", cc[0]["to"], "(%s)" % cc[0]["reason"], "cwnd", cc[0]["cwnd"])
EOF
say "ok: LISTEN -> SYN-RECEIVED -> ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED, durations match"

# ---- B ----
say "B: filters"
grep -q "LAST-ACK -> CLOSED" "$WORK/port9.out" || fail "B: --port 9 missed its connection: $(cat "$WORK/port9.out")"
! grep -E ":(7|4444) " "$WORK/port9.out" | grep -v "^TIME" || fail "B: --port 9 printed other ports"
grep -q "198.18.0.2:7 .*ESTABLISHED -> CLOSE-WAIT" "$WORK/sport7.out" ||
  fail "B: sport = :7 missed the echo connection: $(cat "$WORK/sport7.out")"
! grep -E "198.18.0.2:(9|4444) " "$WORK/sport7.out" || fail "B: sport = :7 printed other ports"
head -1 "$WORK/sport7.out" | grep -q "^TIME .*EVENT" || fail "B: the text stream has no header"
grep -q "198.18.0.2:7 .*cc cubic none -> slow-start (init) cwnd [0-9]* ssthresh [0-9]* pacing 0" "$WORK/sport7.out" ||
  fail "B: no congestion control line in the text stream: $(cat "$WORK/sport7.out")"
say "ok: --port 9 and sport = :7 each show only theirs"

# ---- C ----
say "C: a slow subscriber with a 4 KiB buffer while 400 connections run"
$PY - "$CTL" "$WORK/slow.out" "$WORK/slow.go" <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"trace buf=4096\n")
open(sys.argv[2] + ".ready", "w").close()
deadline = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < deadline:   # read nothing until told
    time.sleep(0.05)
s.settimeout(1)
with open(sys.argv[2], "wb") as out:
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out.write(b)
    except socket.timeout:
        pass
EOF
SLOW=$!
PIDS+=("$SLOW")
wait_until 5 test -e "$WORK/slow.out.ready" || fail "C: the slow subscriber did not connect"
t0=$(ms_now)
ns $PY - <<'EOF' || fail "C: the connections did not complete"
import socket
for i in range(400):
    s = socket.create_connection(("198.18.0.2", 7), timeout=5)
    s.sendall(b"x")
    assert s.recv(1) == b"x"
    s.shutdown(socket.SHUT_WR)
    assert s.recv(1) == b""
    s.close()
EOF
t1=$(ms_now)
netstat_synack >/dev/null || fail "C: netstat got no answer while a subscriber was stalled"
say "400 connections in $((t1 - t0)) ms with a stalled subscriber"
# the fast subscriber saw all of them close (allow the last events a moment to arrive)
wait_until 10 sh -c "[ \$(grep -c '\"port\":7}.*\"from\":\"LAST-ACK\",\"to\":\"CLOSED\"' '$WORK/all.out') -ge 401 ]" ||
  fail "C: the fast subscriber saw $(grep -c '"port":7}.*"to":"CLOSED"' "$WORK/all.out") closes of 401"
grep -q '"event":"lost"' "$WORK/all.out" && fail "C: the fast subscriber lost events"
touch "$WORK/slow.go"
wait "$SLOW" || true
head -1 "$WORK/slow.out" | grep -qx "synack-trace 1" || fail "C: the slow stream does not start with its magic"
lost=$(sed -nE 's/^lost n=([0-9]+)$/\1/p' "$WORK/slow.out" | awk '{s += $1} END {print s + 0}')
got=$(grep -c "^e " "$WORK/slow.out" || true)
[ "$lost" -gt 0 ] || fail "C: the slow subscriber was told of no lost events ($got received)"
say "ok: slow subscriber: $got events received, $lost lost and counted; the fast one lost none"

# ---- D ----
say "D: the server stops"
stop_serve
for p in $TALL $T9 $T7; do
  rc=0
  wait "$p" || rc=$?
  [ $rc -eq 0 ] || fail "D: a subscriber exited $rc when the server went away"
done
grep -q "closed the stream" "$WORK/all.log" || fail "D: the subscriber did not say why it ended"
check_no_sanitizer "$WORK"/*.log
say "ok: every subscriber ended with the server"

# ---- E ----
say "E: congestion control events on a lossy path"
mkdir -p "$WORK/www"
head -c 2097152 /dev/urandom >"$WORK/www/big"
start_serve --impair loss=2%,seed=7 --cc cubic
trace_bg cc --json
ns curl -s -o "$WORK/big.dl" "http://198.18.0.2/big" || fail "E: curl failed"
same_file "$WORK/www/big" "$WORK/big.dl"
wait_until 5 grep -q '"from":"recovery"' "$WORK/cc.out" || fail "E: no recovery ended in the trace: $(grep -c '"event":"cc"' "$WORK/cc.out") cc events"
stop_serve
$PY - "$WORK/cc.out" <<'EOF' || fail "E: the congestion control events are not as expected"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cc = [e for e in events if e["event"] == "cc" and e["local"]["port"] == 80]
assert cc, "no cc events"
assert (cc[0]["from"], cc[0]["to"], cc[0]["reason"]) == ("none", "slow-start", "init"), cc[0]
first = next(i for i, e in enumerate(cc) if e["to"] in ("recovery", "loss"))
assert cc[first]["from"] in ("slow-start", "conservative-slow-start"), cc[first]
assert cc[first]["reason"] in ("rack", "dupack", "rto"), cc[first]
assert cc[first]["ssthresh"] < cc[first - 1]["cwnd"] or cc[first - 1]["ssthresh"] > 1 << 29, cc[first - 1:first + 1]
inside = False
for e in cc:
    assert e["algorithm"] == "cubic"
    if e["to"] == "recovery" and e["from"] != "recovery":
        assert not inside, "recovery began twice"
        inside = True
    elif e["from"] == "recovery" and e["to"] != "recovery":
        assert inside and e["reason"] in ("recovered", "dsack-undo", "rto"), e
        inside = False
rex = [e for e in events if e["event"] == "retransmit" and e["local"]["port"] == 80]
assert rex, "no retransmissions"
seen = sorted(set((e["from"], e["to"], e["reason"]) for e in cc))
print("    %d cc events, %d retransmissions; transitions:" % (len(cc), len(rex)))
for f, t, r in seen:
    print("     ", f, "->", t, "(%s)" % r)
EOF
say "ok: slow start, recovery entered and ended, in order"
