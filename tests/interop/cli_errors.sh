#!/usr/bin/env bash
# cli_errors.sh SYNACK: when the device cannot be had, synack says why and exits non-zero, never
# crashes: not a TUN device, no such device with --no-create, device busy, not root, bad options;
# and scripts/netns.sh refuses cleanly too.
. "$(dirname "$0")/lib.sh" "$@"

ns_up

# expect_fail NAME PATTERN CMD...: CMD exits 1 or 2 (not a signal) and says PATTERN on stderr.
expect_fail() {
  local name=$1 pat=$2 rc=0
  shift 2
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null || rc=$?
  [ $rc -eq 1 ] || [ $rc -eq 2 ] || fail "$name: exit $rc (want 1 or 2): $(cat "$WORK/$name.err")"
  grep -qE "$pat" "$WORK/$name.err" || fail "$name: message '$(cat "$WORK/$name.err")' lacks /$pat/"
  check_no_sanitizer "$WORK/$name.err"
  say "ok: $name: $(head -1 "$WORK/$name.err")"
}

expect_fail not-tun "not a TUN device" ns "$SYNACK" serve --dev lo --control "$WORK/x.sock"
expect_fail no-device "does not exist" ns "$SYNACK" serve --no-create --dev nosuch0 --control "$WORK/x.sock"
expect_fail bad-impair "impair" ns "$SYNACK" serve --impair loss=200% --control "$WORK/x.sock"
expect_fail bad-addr "bad value" ns "$SYNACK" serve --addr 198.18.0.999
expect_fail bad-url "not http://" ns "$SYNACK" get --dev tun0 ftp://198.18.0.1/
start_serve --services discard
expect_fail busy "in use" ns "$SYNACK" get --dev tun0 --control "$WORK/y.sock" http://198.18.0.1/
stop_serve
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
