#!/usr/bin/env bash
# abrupt_peer.sh SYNACK: synack survives a peer that vanishes mid-transfer.
#  1. The kernel's curl is killed (SIGKILL) mid-download: the kernel resets the connection (it had
#     unread data) and synack's connection reaches CLOSED by that RST.
#  2. The kernel goes silent (nftables drops everything it sends to synack) and curl is killed:
#     no RST arrives; synack's user timeout (--user-timeout 3s) closes the connection.
# After each, synack still serves.
. "$(dirname "$0")/lib.sh" "$@"
need nft

ns_up
make_file "$WORK/big" 64
mkdir -p "$WORK/www" && mv "$WORK/big" "$WORK/www/big"
echo ok >"$WORK/www/small.txt"
start_serve --services http --user-timeout 3s

established() { netstat_synack | grep -q ':80 .*ESTABLISHED'; }
gone() { ! netstat_synack | grep -qE ':80 +198\.18\.0\.1:'; }
still_serves() {
  [ "$(ns curl -sS --max-time 10 http://198.18.0.2/small.txt)" = ok ] || fail "synack no longer serves"
}

# ---- 1: RST ----
bg curl1 curl -sS --limit-rate 2M --max-time 60 -o /dev/null http://198.18.0.2/big
C1=$LAST_PID
wait_until 5 established || fail "1: no ESTABLISHED download"
sleep 0.5
kill -KILL "$C1"
{ wait "$C1"; } 2>/dev/null || true
t=$(ms_now)
wait_until 10 gone || fail "1: synack's connection did not close after the RST: $(netstat_synack)"
say "ok: 1: curl killed; synack's connection CLOSED by RST in $(( $(ms_now) - t )) ms"
grep -q "Connection reset" "$WORK/serve.log" || fail "1: serve did not log the reset"
still_serves

# ---- 2: silence, then the user timeout ----
bg curl2 curl -sS --limit-rate 2M --max-time 60 -o /dev/null http://198.18.0.2/big
C2=$LAST_PID
wait_until 5 established || fail "2: no ESTABLISHED download"
sleep 0.5
ns nft -f - <<'NFT' || fail "nft failed"
table inet synack_test {
  chain out { type filter hook output priority 0; policy accept; oifname "tun0" drop; }
}
NFT
kill -KILL "$C2"
{ wait "$C2"; } 2>/dev/null || true
t=$(ms_now)
wait_until 15 gone || fail "2: synack's connection did not time out: $(netstat_synack -o)"
say "ok: 2: peer silent; synack's connection CLOSED by the user timeout in $(( $(ms_now) - t )) ms"
grep -q "Connection timed out" "$WORK/serve.log" || fail "2: serve did not log the timeout"
ns nft delete table inet synack_test
still_serves

stop_serve
say "PASS"
