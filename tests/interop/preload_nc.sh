#!/usr/bin/env bash
# preload_nc.sh SYNACK: netcat (Debian's netcat-openbsd) on synack through `synack run`, both
# ways against a kernel nc: 8 MiB with -N (shutdown after EOF), sha256 equal; and a connection
# held open while `synack netstat` shows it ESTABLISHED.
. "$(dirname "$0")/lib.sh" "$@"
need nc
ns_up
make_file "$WORK/data" 8
RUN=("$SYNACK" run --dev tun0 --no-create --control "$CTL")
port_up() { ns ss -ltnH "sport = :$1" | grep -q LISTEN; }

# 1. nc on synack -> nc -l on the kernel.
bg klisten sh -c "exec timeout 20 nc -l 198.18.0.1 5001 > '$WORK/got1'"
KL=$LAST_PID
wait_until 5 port_up 5001 || fail "kernel nc -l did not come up"
ns timeout 20 "${RUN[@]}" -- nc -N 198.18.0.1 5001 <"$WORK/data" || fail "nc on synack failed"
wait "$KL" || fail "kernel nc -l exited with $?"
same_file "$WORK/data" "$WORK/got1"
say "ok: nc on synack sent 8 MiB to the kernel's nc -l, sha256 equal"

# 2. nc -l on synack <- nc on the kernel.
bg slisten timeout 20 "${RUN[@]}" -- sh -c "exec nc -l 198.18.0.2 5002 > '$WORK/got2'"
SL=$LAST_PID
wait_until 10 listening || fail "nc -l on synack did not come up"
ns timeout 20 nc -N 198.18.0.2 5002 <"$WORK/data" || fail "kernel nc to synack failed"
wait "$SL" || fail "nc -l on synack exited with $?"
same_file "$WORK/data" "$WORK/got2"
say "ok: nc -l on synack received 8 MiB from the kernel's nc, sha256 equal"

# 3. An open connection in synack netstat: the kernel listens, nc on synack connects and waits.
bg klisten2 sh -c "exec timeout 20 nc -l 198.18.0.1 5003 > '$WORK/got3'"
KL=$LAST_PID
wait_until 5 port_up 5003 || fail "kernel nc -l did not come up"
bg sclient sh -c "(printf hello; sleep 5) | exec timeout 20 $SYNACK run --dev tun0 --no-create --control '$CTL' -- nc -N 198.18.0.1 5003"
established() { netstat_synack | grep -q "198.18.0.1:5003 *ESTABLISHED"; }
wait_until 10 established || fail "synack netstat does not show the nc connection ESTABLISHED"
netstat_synack | grep "5003"
wait "$KL" || fail "kernel nc -l exited with $?"
[ "$(cat "$WORK/got3")" = hello ] || fail "the kernel got '$(cat "$WORK/got3")', not hello"
say "ok: synack netstat showed nc's connection ESTABLISHED while it ran"
say "PASS"
