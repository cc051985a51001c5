#!/usr/bin/env bash
# busy_poll.sh SYNACK: `serve --busy-poll USEC`: traffic flows (an echo byte-exact, a 2 MiB HTTP
# download byte-exact) and the loop's busy-poll counters move (spins, reads made spinning, spins
# that found packets, in `synack netstat -s`); the same traffic without the option spins never.
. "$(dirname "$0")/lib.sh" "$@"

ns_up
make_file "$WORK/file" 2

# traffic_and_stats ARGS...: serve with ARGS, echo and download, then the busy-poll line.
traffic_and_stats() {
  start_serve "$@"
  cp "$WORK/file" "$WORK/www/file"
  local got
  got=$(ns $PEER halfclose 198.18.0.2 7 "busy poll echo") || fail "echo failed ($*)"
  [ "$got" = "busy poll echo" ] || fail "echo returned '$got' ($*)"
  ns curl -s -o "$WORK/dl" "http://198.18.0.2/file" || fail "curl failed ($*)"
  same_file "$WORK/file" "$WORK/dl"
  rm -f "$WORK/dl"
  "$SYNACK" netstat -s --control "$CTL" | grep "^busy-poll:" >"$WORK/stats" || fail "no busy-poll line in netstat -s"
  stop_serve
  cat "$WORK/stats"
}

say "serve --busy-poll 200"
line=$(traffic_and_stats --busy-poll 200)
echo "  $line"
[[ $line =~ ^busy-poll:\ ([0-9]+)\ spins,\ ([0-9]+)\ reads,\ ([0-9]+)\ found\ packets$ ]] || fail "bad line '$line'"
spins=${BASH_REMATCH[1]} reads=${BASH_REMATCH[2]} hits=${BASH_REMATCH[3]}
[ "$spins" -gt 0 ] && [ "$reads" -ge "$spins" ] && [ "$hits" -gt 0 ] && [ "$hits" -le "$spins" ] ||
  fail "busy-poll counters did not move as they should: $line"

say "serve without it"
line=$(traffic_and_stats)
echo "  $line"
[ "$line" = "busy-poll: 0 spins, 0 reads, 0 found packets" ] || fail "spun without --busy-poll: $line"
say "ok: traffic byte-exact with and without busy-poll; counters move only with it"
