#!/bin/bash
# netstat_cli.sh: `synack netstat` against a running serve with live connections (issue 10):
# combined flags (-tan, -tlnp, -tano, -e), tcp6 rows and the dual-stack ":::80", ss-style filters,
# timers counting down between two calls, --json (parsed), --explain in both languages and from
# the locale, a bounded --watch, -s, bad flags, and one control socket per network namespace.
. "$(dirname "$0")/lib.sh" "$@"
ns_up
# CUBIC named: the -e checks below are CUBIC's (no pacing); serve would take the host's default
start_serve --services echo,http --cc cubic
make_file "$WORK/www/f.bin" 1
NS_OUT=$WORK/out.txt
run() { netstat_synack "$@" >"$NS_OUT" 2>&1 || fail "synack netstat $*: $(cat "$NS_OUT")"; }
raw() { "$SYNACK" netstat --control "$CTL" "$@" >"$NS_OUT" 2>&1; }
has() { grep -qE -- "$1" "$NS_OUT" || fail "$2: no /$1/ in: $(cat "$NS_OUT")"; }
hasnt() { ! grep -qE -- "$1" "$NS_OUT" || fail "$2: /$1/ in: $(cat "$NS_OUT")"; }

# Live connections: an echo connection over IPv4 that stays open, and two HTTP requests with
# "Connection: close" whose clients hold their side (synack closed first: FIN_WAIT2), the IPv4
# one for 6 s (then synack is in TIME_WAIT).
bg echo $PY -c '
import socket, time
s = socket.create_connection(("198.18.0.2", 7), timeout=5)
s.sendall(b"e" * 5000)
got = 0
while got < 5000:
    got += len(s.recv(65536))
print("echoed", flush=True)
time.sleep(15)'
bg hold4 $PEER get-hold 198.18.0.2 80 /f.bin 6
bg hold6 $PEER get-hold 2001:db8::2 80 /f.bin 30
wait_until 10 grep -q echoed "$WORK/echo.log" || fail "echo client"
fw2() { raw -t state fin-wait-2 && [ "$(grep -c FIN_WAIT2 "$NS_OUT")" -eq 2 ]; }
wait_until 10 fw2 || fail "no two FIN_WAIT2: $(cat "$NS_OUT")"

raw -tan
has '^tcp6 +0 +0 :::80 +:::\* +LISTEN' "-tan: dual-stack listener as :::80"
has '^tcp +0 +0 198\.18\.0\.2:7 +198\.18\.0\.1:[0-9]+ +ESTABLISHED' "-tan: the echo connection"
has '^tcp6 +0 +0 2001:db8::2:80 +2001:db8::1:[0-9]+ +FIN_WAIT2' "-tan: an IPv6 row is tcp6"
raw -t
hasnt 'LISTEN' "-t without -a shows no listeners"
has 'ESTABLISHED' "-t shows connections"
raw -tlnp
has "^tcp6 .*:::7 .*LISTEN +$SERVE_PID/synack" "-tlnp: listeners with their process"
hasnt 'ESTABLISHED' "-l shows only listeners"
raw -tno state fin-wait-2
has 'FIN_WAIT2 +off \(0\.00/0/0\)' "-o: no FIN-WAIT-2 timer while serve can still read (it shut down)"
raw -6 state fin-wait-2
[ "$(grep -c FIN_WAIT2 "$NS_OUT")" -eq 1 ] && has '^tcp6 ' "-6" || fail "-6: $(cat "$NS_OUT")"
tw() { raw -tno state time-wait && grep -q TIME_WAIT "$NS_OUT"; }
wait_until 10 tw || fail "no TIME_WAIT after the IPv4 client closed: $(cat "$NS_OUT")"
has '^tcp +0 +0 198\.18\.0\.2:80 +198\.18\.0\.1:[0-9]+ +TIME_WAIT +timewait \((5[0-9]|60)\.[0-9]+/0/0\)' "-o: 2MSL timer"
t1=$(awk '/TIME_WAIT/ {sub(/.*\(/, ""); sub(/\/.*/, ""); print; exit}' "$NS_OUT")
w1=$(date +%s.%N)
sleep 1
raw -tno state time-wait dport gt :0
w2=$(date +%s.%N)
t2=$(awk '/TIME_WAIT/ {sub(/.*\(/, ""); sub(/\/.*/, ""); print; exit}' "$NS_OUT")
# The timer counts down as the wall clock runs between the two calls (a loaded machine takes
# longer than the 1 s sleep); the second call started before w2, and after w1 + 1 s.
$PY -c "import sys; d = $t1 - $t2; w = $w2 - $w1; sys.exit(0 if 0.7 <= d <= w + 0.3 else 1)" ||
  fail "the timer did not count down with the clock: $t1 then $t2 from $w1 to $w2"
raw -4 state fin-wait-2
hasnt 'FIN_WAIT2' "-4: the IPv4 FIN_WAIT2 has become TIME_WAIT"
raw -te sport = :7
has '^	 cubic phase:[a-z-]+ .*rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ minrtt:[0-9.]+ mss:[0-9]+ cwnd:[0-9]+.* delivery_rate:[0-9.]+[KMG]?bps.* retrans:0/0 tlp:0 undo:0 bytes_acked:5000 bytes_received:5000 state_age:' \
  "-e: ss -i details with the echo's 5000 bytes each way, min RTT, delivery rate, probes and undos"
hasnt 'cc_state:|pacing_rate:|ecn ce:' "-e: no congestion response on, CUBIC does not pace, ECN not asked by the kernel client"

raw -ta --json
$PY - "$NS_OUT" <<'PY' || fail "--json: $(cat "$NS_OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["connections"]
l80 = [r for r in rows if r["state"] == "LISTEN" and r["local"]["port"] == 80]
assert l80 and l80[0]["proto"] == "tcp6" and l80[0]["dual_stack"] and l80[0]["local"]["address"] == "::", l80
e = [r for r in rows if r["state"] == "ESTABLISHED" and r["local"]["port"] == 7][0]
assert e["info"]["bytes_acked"] == 5000 and e["info"]["bytes_received"] == 5000, e
assert e["process"].endswith("/synack") and e["info"]["cc"] == "cubic" and e["info"]["cc_phase"], e
i = e["info"]
assert i["cc_state"] == i["cc_phase"] and i["min_rtt_us"] > 0 and i["cwnd_bytes"] == i["cwnd"] * i["mss"], i
assert i["pacing_rate_bps"] == 0 and i["delivery_rate_bps"] > 0 and i["tlp_total"] == 0 and i["undo_total"] == 0, i
assert i["ecn"] == {"negotiated": False, "ce_received": 0, "ece_echo": False, "cwr_pending": False}, i
f = [r for r in rows if r["state"] == "FIN_WAIT2"]
assert len(f) == 1 and f[0]["proto"] == "tcp6" and f[0]["timer"]["name"] == "off", f
t = [r for r in rows if r["state"] == "TIME_WAIT"]
assert len(t) == 1 and t[0]["timer"]["name"] == "timewait" and 45 < t[0]["timer"]["left_s"] <= 60, t
assert all(r["rfc_state"] for r in rows)
PY

raw -ta --explain --lang en
has '^  FIN-WAIT-2 \(1\): our FIN is acknowledged' "--explain en"
grep -A3 'TIME-WAIT (1)' "$NS_OUT" | tr '\n' ' ' | grep -qE 'The 2MSL timer ends it +in (5[0-9]|60)\.[0-9]s' ||
  fail "--explain en: the live 2MSL timer: $(cat "$NS_OUT")"
has '^  LISTEN \(' "--explain en: LISTEN"
LC_ALL=zh_CN.UTF-8 "$SYNACK" netstat --control "$CTL" -ta --explain >"$NS_OUT" || fail "--explain zh"
has '^  FIN-WAIT-2\(1个\):我们的FIN已被确认' "--explain from the locale: Chinese"
has '^  ESTABLISHED\(1个\):代表一个打开的连接' "--explain zh: ESTABLISHED"

raw -t --watch 0.2 --count 3
[ "$(grep -c '^-- every 0.2s' "$NS_OUT")" -eq 3 ] || fail "--watch 0.2 --count 3: $(cat "$NS_OUT")"
raw -s
has '^tcp_in +[0-9]+' "-s: the counters"
if raw -z; then fail "-z accepted"; fi
has "unknown option '-z'" "bad flag"
if raw state nosuch; then fail "bad state accepted"; fi
has "unknown state 'nosuch'" "bad state"

# One control socket per network namespace: a second serve (tun1) with the default socket is
# found by a bare `synack netstat` inside the namespace, and not from outside it.
bg serve2 "$SYNACK" serve --dev tun1 --addr 198.18.1.2 --services echo
ns_netstat() { ns "$SYNACK" netstat -tl >"$NS_OUT" 2>&1; }
wait_until 10 ns_netstat || fail "bare netstat in the namespace: $(cat "$NS_OUT")"
has '^tcp +0 +0 0\.0\.0\.0:7 +0\.0\.0\.0:\* +LISTEN' "the namespace's own (default) control socket"
ino=$(ns stat -Lc %i /proc/self/ns/net)
[ -S "/run/synack/net$ino-tun1.ctl" ] || fail "no /run/synack/net$ino-tun1.ctl"
if "$SYNACK" netstat --dev tun1 -tl >"$NS_OUT" 2>&1; then fail "the root namespace read the test's table"; fi
has "cannot reach /run/synack/net[0-9]+-tun1.ctl" "outside the namespace"
kill -TERM "$LAST_PID"
wait_until 5 sh -c "[ ! -e /run/synack/net$ino-tun1.ctl ]" || fail "serve2 left its socket"
if ns "$SYNACK" netstat --dev tun1 >"$NS_OUT" 2>&1; then fail "netstat with nobody running"; fi
has "cannot reach" "nobody running"
stop_serve
say "ok"
