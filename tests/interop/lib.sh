# lib.sh: sourced by every interop test (tests/interop/*.sh): skip rules, a private namespace with
# a TUN device (scripts/netns.sh) removed on every exit path, background processes tracked by PID
# and stopped on exit, and small helpers. Tests address only 198.18.0.0/15 and 2001:db8::/32,
# inside their own namespace; nothing is routed out.
# Usage in a test:  . "$(dirname "$0")/lib.sh" "$@"   (argument 1: the synack binary)

set -euo pipefail

TEST=$(basename "$0" .sh)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NETNS_SH=$ROOT/scripts/netns.sh
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PEER="$PY $HERE/peer.py"

T0=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - T0) / 1000000 ))ms; }
say() { echo "[$TEST $(elapsed)] $*"; }
skip() { echo "SKIP: $TEST: $*"; exit 77; }

[ $# -ge 1 ] || { echo "usage: $0 /path/to/synack" >&2; exit 2; }
SYNACK=$(readlink -f "$1")
shift
[ -x "$SYNACK" ] || { echo "FAIL: $TEST: no synack binary at $SYNACK" >&2; exit 1; }

# The only reasons to skip: no privilege, no TUN. Anything else missing is a failure: CI installs
# it (scripts/setup.sh).
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, TUN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun on this machine"

need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || { echo "FAIL: $TEST: '$t' not installed (scripts/setup.sh)" >&2; exit 1; }
  done
}
need ip ss curl sha256sum timeout

NS=sa-${TEST:0:24}-$$
WORK=$(mktemp -d "/tmp/synack-$TEST.XXXXXX")
CTL=$WORK/ctl.sock
PIDS=()
NS_MADE=0
LAST_PID=
SERVE_PID=

show_logs() {
  local f
  for f in "$WORK"/*.log; do
    [ -s "$f" ] || continue
    echo "---- $(basename "$f") (last 40 lines) ----" >&2
    tail -n 40 "$f" >&2
  done
}

fail() {
  echo "FAIL: $TEST: $*" >&2
  show_logs
  exit 1
}

# Stops what we started (by PID: TERM, then KILL after 3 s), then removes the namespace and files.
cleanup() {
  local rc=$? p i
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 30); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ $NS_MADE -eq 1 ] && "$NETNS_SH" down "$NS" || true
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns_up() {
  "$NETNS_SH" up "$NS" "$@" || fail "cannot create namespace $NS"
  NS_MADE=1
}

ns() { ip netns exec "$NS" "$@"; }

# bg NAME CMD...: runs CMD in the namespace in the background, output in $WORK/NAME.log; the PID
# (ip netns exec becomes CMD) is in LAST_PID and is stopped at exit.
bg() {
  local name=$1
  shift
  ip netns exec "$NS" "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# wait_until SECONDS CMD...: polls CMD every 50 ms; false when it never succeeded in time.
wait_until() {
  local limit=$1 end
  shift
  end=$(( $(date +%s%N) + limit * 1000000000 ))
  while [ "$(date +%s%N)" -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

# -a: listeners too (netstat shows connections only by default)
netstat_synack() { "$SYNACK" netstat --control "$CTL" -a "$@"; }
listening() { netstat_synack | grep -q "LISTEN"; }

# start_serve ARGS...: synack serve on tun0 with our control socket, www root in $WORK/www.
start_serve() {
  mkdir -p "$WORK/www"
  bg serve "$SYNACK" serve --dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2 \
    --control "$CTL" --root "$WORK/www" -v "$@"
  SERVE_PID=$LAST_PID
  wait_until 10 listening || fail "synack serve did not come up"
}

# stop_serve: SIGTERM; the server must exit 0 with no sanitizer report.
stop_serve() {
  [ -n "$SERVE_PID" ] || return 0
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  local rc=0
  wait "$SERVE_PID" || rc=$?
  SERVE_PID=
  ! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$WORK/serve.log" ||
    fail "sanitizer report in synack serve's log"
  [ $rc -eq 0 ] || fail "synack serve exited with $rc"
}

check_no_sanitizer() {
  ! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$@" || fail "sanitizer report in $*"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

same_file() {
  [ -f "$2" ] || fail "$2 was not written"
  [ "$(sha "$1")" = "$(sha "$2")" ] ||
    fail "$2 differs from $1 ($(stat -c %s "$2") of $(stat -c %s "$1") bytes)"
}

# make_file PATH MIB: random content, so that a misplaced segment cannot go unnoticed.
make_file() { head -c $(( $2 * 1048576 )) /dev/urandom >"$1"; }

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
