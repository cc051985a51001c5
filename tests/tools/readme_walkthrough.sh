#!/usr/bin/env bash
# readme_walkthrough.sh SYNACK: runs the README's "Talking to the Linux kernel" block as printed,
# line by line in order, so that it cannot rot. Only two things change: the namespace "demo"
# becomes a private one, and /tmp/ a private directory (tests never share names). The block runs
# from a directory where build/synack is the binary under test and scripts/ the repository's.
# Then the files it fetched must hold what it served. Root and /dev/net/tun, else skipped (77).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 /path/to/synack" >&2; exit 2; }
SYNACK=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: readme_walkthrough: needs root"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: readme_walkthrough: no /dev/net/tun"; exit 77; }
fail() { echo "FAIL: readme_walkthrough: $*" >&2; exit 1; }

NS=sa-readme-$$
WORK=$(mktemp -d /tmp/synack-readme.XXXXXX)
cleanup() {
  local p
  # Whatever the block left running inside its namespace was started by it (so by us).
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  "$ROOT/scripts/netns.sh" down "$NS" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The block: the first ```sh fence after the section's heading, up to its closing fence.
awk '/^## Talking to the Linux kernel/ {s = 1} s == 1 && /^```sh$/ {s = 2; next} s == 2 && /^```$/ {exit}
     s == 2 {print}' "$ROOT/README.md" >"$WORK/block.sh"
[ -s "$WORK/block.sh" ] || fail "no sh block under 'Talking to the Linux kernel' in README.md"
grep -q "synack get" "$WORK/block.sh" || fail "the block no longer runs synack get"
grep -q "sudo" "$WORK/block.sh" && fail "the block uses sudo: it says once that it needs root"
sed -i -e "s#netns.sh up demo#netns.sh up $NS#; s#netns.sh down demo#netns.sh down $NS#" \
  -e "s#ip netns exec demo #ip netns exec $NS #g" -e "s#/tmp/#$WORK/#g" "$WORK/block.sh"
! sed 's/#.*//' "$WORK/block.sh" | grep -qw demo || fail "a use of the namespace 'demo' this test does not know: $(grep -w demo "$WORK/block.sh")"

mkdir -p "$WORK/run/build"
ln -s "$SYNACK" "$WORK/run/build/synack"
ln -s "$ROOT/scripts" "$WORK/run/scripts"
echo "---- the block as run ----"
cat "$WORK/block.sh"
echo "----"
rc=0
(cd "$WORK/run" && timeout 60 bash -euo pipefail -x "$WORK/block.sh") >"$WORK/out" 2>&1 || rc=$?
cat "$WORK/out"
[ $rc -eq 0 ] || fail "the block failed (exit $rc)"
for f in file.v4 file.v6 file.get; do
  [ "$(cat "$WORK/$f" 2>/dev/null)" = "hello from synack" ] || fail "$f does not hold the served file"
done
grep -qE "^tcp6? .*LISTEN" "$WORK/out" || fail "netstat -tano showed no listener"
grep -qE "LISTEN -> SYN-RECEIVED .* ms in LISTEN" "$WORK/out" || fail "synack trace showed no transitions"
ip netns list | grep -qw "$NS" && fail "the block left its namespace behind"
echo "ok: README walkthrough ran as printed"
