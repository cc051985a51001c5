#!/bin/bash
# netstat_host.sh: `synack netstat --host` against the kernel's own sockets (issue 10). In a
# private namespace a Python script makes sockets in known states; synack's table (netlink, and
# /proc/net/tcp with --proc) must list what `ss -tano` lists, with the same states and timers, and
# the diagnosis must stay quiet on a healthy table and name each pattern once it is there:
# CLOSE_WAIT piling up (with the owning process), FIN_WAIT2, TIME_WAIT against a 20-port
# ephemeral range, SYN_RECV on a listener whose SYN-ACKs nftables drops, a full accept queue,
# SYN_SENT to an address nobody answers, and unacknowledged data retransmitted (data dropped).
. "$(dirname "$0")/lib.sh" "$@"
need nft
ns_up
CHECK="$PY $HERE/host_check.py"
host_json() { ns "$SYNACK" netstat --host -a --json "$@" >"$WORK/$1.json" 2>"$WORK/host.err" ||
  fail "synack netstat --host failed: $(cat "$WORK/host.err")"; }

# 1. quiet: a listener, a dual-stack listener and one connection
bg quiet $PY "$HERE/host_states.py" quiet 20
wait_until 5 grep -q ready "$WORK/quiet.log" || fail "host_states.py quiet did not start"
ns "$SYNACK" netstat --host -tanpo >"$WORK/quiet.txt" || fail "netstat --host -tanpo"
grep -qE '^tcp6 +0 +[0-9]+ :::9010 +:::\* +LISTEN +[0-9]+/python3' "$WORK/quiet.txt" ||
  fail "no tcp6 :::9010 LISTEN owned by python3: $(cat "$WORK/quiet.txt")"
grep -q 'Diagnosis: nothing looks wrong' "$WORK/quiet.txt" || fail "diagnosis not quiet: $(cat "$WORK/quiet.txt")"
ns ss -tanoH >"$WORK/ss.txt"
host_json -tano
$CHECK compare "$WORK/-tano.json" "$WORK/ss.txt" || fail "quiet table differs from ss"
$CHECK rules "$WORK/-tano.json" none || fail "quiet diagnosis"
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true
say "quiet: ok"

# 2. patterns
ns sysctl -qw net.ipv4.ip_local_port_range="40000 40019"
ns nft -f - <<'NFT' || fail "nftables rules"
table inet synack_test {
  chain in {
    type filter hook input priority 0;
    tcp sport 9003 tcp flags & (syn | ack) == (syn | ack) drop
    tcp dport 9006 ip length > 200 drop
  }
}
NFT
bg patterns $PY "$HERE/host_states.py" patterns 30
wait_until 10 grep -q ready "$WORK/patterns.log" || fail "host_states.py patterns did not start: $(cat "$WORK/patterns.log")"
# (dropped on input: a local drop on output would make the sender probe instead of retransmit)
# the dead peer needs three retransmission timeouts (0.2 + 0.4 + 0.8 s on the loopback)
dead() { ns "$SYNACK" netstat --host -to state established dport = :9006 | grep -qE 'on \([0-9.]+/[3-9]/'; }
wait_until 8 dead || fail "no retransmissions towards :9006: $(ns "$SYNACK" netstat --host -to dport = :9006)"
ns ss -tanoH >"$WORK/ss2.txt"
host_json -tano
$CHECK compare "$WORK/-tano.json" "$WORK/ss2.txt" || fail "table differs from ss"
for s in CLOSE_WAIT:8 FIN_WAIT2:8 TIME_WAIT:10 SYN_RECV:8 SYN_SENT:11 LISTEN:7; do
  $CHECK count "$WORK/-tano.json" "${s%:*}" "${s#*:}" || fail "state counts"
done
$CHECK rules "$WORK/-tano.json" close-wait fin-wait-2 time-wait-ports syn-recv accept-queue-full \
  syn-sent syn-sent dead-peer || fail "diagnosis: $(ns "$SYNACK" netstat --host)"
ns "$SYNACK" netstat --host >"$WORK/diag.txt"
grep -qE '\[close-wait\] 8 connections in CLOSE_WAIT.*python3 \(pid [0-9]+\)' "$WORK/diag.txt" ||
  fail "close-wait does not name the process: $(cat "$WORK/diag.txt")"
grep -q 'evidence: ephemeral ports: net.ipv4.ip_local_port_range = 40000 40019 (20 ports)' "$WORK/diag.txt" ||
  fail "time-wait evidence: $(cat "$WORK/diag.txt")"
grep -q 'evidence: TcpExt ListenOverflows = ' "$WORK/diag.txt" || fail "listen evidence: $(cat "$WORK/diag.txt")"
# /proc/net/tcp fallback: the same sockets and states
ns "$SYNACK" netstat --host --proc -a --json >"$WORK/proc.json" || fail "--proc"
$PY - "$WORK/-tano.json" "$WORK/proc.json" <<'PY' || fail "--proc disagrees with netlink"
import json, sys, collections
a, b = (collections.Counter(c["state"] for c in json.load(open(p))["connections"]) for p in sys.argv[1:3])
# request sockets (SYN_RECV) are not in /proc/net/tcp's listing on every kernel: compare the rest
a.pop("SYN_RECV", None); b.pop("SYN_RECV", None)
assert a == b, (a, b)
PY
# --explain in both languages names the states present
ns "$SYNACK" netstat --host -a --explain --lang zh >"$WORK/zh.txt" || fail "--explain --lang zh"
grep -q 'CLOSE-WAIT(8个):远程TCP已发来FIN' "$WORK/zh.txt" || fail "--explain zh: $(cat "$WORK/zh.txt")"
ns "$SYNACK" netstat --host -a --explain --lang en >"$WORK/en.txt" || fail "--explain --lang en"
grep -qE 'TIME-WAIT \(1[01]\): we closed first' "$WORK/en.txt" || fail "--explain en: $(cat "$WORK/en.txt")"
say "patterns: ok"
