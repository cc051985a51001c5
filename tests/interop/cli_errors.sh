#!/usr/bin/env bash
# cli_errors.sh SYNACK: when the device cannot be had, synack says why and exits non-zero, never
# crashes: not a TUN device, no such device with --no-create, device busy, not root; a bad command
# line exits 2 and names the argument (tests/tools/cli.sh checks command lines in depth without
# root); the connection-limit options reach the stack; scripts/netns.sh refuses cleanly too.
. "$(dirname "$0")/lib.sh" "$@"

ns_up

# expect_fail NAME PATTERN CMD...: CMD exits 1 (2 for a bad command line: names starting with
# "bad-"), not a signal, and says PATTERN on stderr.
expect_fail() {
  local name=$1 pat=$2 rc=0 want=1
  shift 2
  case $name in bad-*) want=2 ;; esac
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null || rc=$?
  [ $rc -eq $want ] || fail "$name: exit $rc (want $want): $(cat "$WORK/$name.err")"
  grep -qE "$pat" "$WORK/$name.err" || fail "$name: message '$(cat "$WORK/$name.err")' lacks /$pat/"
  check_no_sanitizer "$WORK/$name.err"
  say "ok: $name: $(head -1 "$WORK/$name.err")"
}

expect_fail not-tun "not a TUN device" ns "$SYNACK" serve --dev lo --control "$WORK/x.sock"
expect_fail no-device "does not exist" ns "$SYNACK" serve --no-create --dev nosuch0 --control "$WORK/x.sock"
expect_fail bad-impair "bad value 'loss=200%' for --impair" ns "$SYNACK" serve --impair loss=200% --control "$WORK/x.sock"
expect_fail bad-addr "bad value '198.18.0.999' for --addr" ns "$SYNACK" serve --addr 198.18.0.999
expect_fail bad-url "not http://" ns "$SYNACK" get --dev tun0 ftp://198.18.0.1/
expect_fail bad-option "unknown or ambiguous option '--frobnicate'" ns "$SYNACK" serve --frobnicate
expect_fail bad-limit "bad value '0' for --max-conns" ns "$SYNACK" get --max-conns=0 http://198.18.0.1/
expect_fail bad-cookies "bad value 'sometimes' for --syncookies" ns "$SYNACK" connect --syncookies sometimes 198.18.0.1 7
expect_fail bad-port "bad PORT '70000'" ns "$SYNACK" connect 198.18.0.1 70000
start_serve --services discard
expect_fail busy "in use" ns "$SYNACK" get --dev tun0 --control "$WORK/y.sock" http://198.18.0.1/
stop_serve

# The limits reach the stack: serve logs them as synack_stack_config() reports them, and with
# --syncookies always a kernel client's connection is made from a cookie.
start_serve --services http:8080 --max-conns=3 --max-sockets 64 --max-time-wait 0 --syn-queue=5 \
  --syncookies always
echo hello >"$WORK/www/hello.txt"
grep -q "limits: max-conns 3, max-sockets 64, max-time-wait 0, syn-queue 5, syncookies always" "$WORK/serve.log" ||
  fail "serve did not apply the limits: $(grep limits "$WORK/serve.log")"
[ "$(ns curl -sS --max-time 10 http://198.18.0.2:8080/hello.txt)" = hello ] || fail "download through cookies failed"
netstat_synack -s >"$WORK/stats.txt"
grep -qE "^tcp_syncookie_sent +[1-9]" "$WORK/stats.txt" || fail "no SYN cookie sent with --syncookies always: $(cat "$WORK/stats.txt")"
grep -qE "^tcp_syncookie_ok +[1-9]" "$WORK/stats.txt" || fail "no SYN cookie validated with --syncookies always"
stop_serve
say "ok: limits applied: $(grep -o 'limits: .*' "$WORK/serve.log"); cookies sent and validated"
expect_fail netstat-nobody "cannot reach" "$SYNACK" netstat --control "$WORK/none.sock"

# Not root: an unprivileged user cannot open /dev/net/tun.
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups "$SYNACK" help >/dev/null 2>&1; then
  expect_fail not-root "root|CAP_NET_ADMIN|permitted" ns setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$SYNACK" serve --dev tun0 --control "$WORK/z.sock"
  expect_fail netns-not-root "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups \
    bash "$NETNS_SH" up sa-never-$$
else
  say "note: cannot run $SYNACK as an unprivileged user here (directory permissions); not-root case left out"
fi
expect_fail netns-exists "cannot create namespace" "$NETNS_SH" up "$NS"
say "PASS"
