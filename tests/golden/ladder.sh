#!/usr/bin/env bash
# Golden-file test of `synack ladder`: the text ladders and SVGs of the canonical scenarios
# (client close, server close, simultaneous open, simultaneous close, RST: refused and abort)
# must equal tests/golden/ladder/*; each SVG must be well-formed XML (python3 xml.etree) and
# render (rsvg-convert) to a picture of its declared size with ink on it; the two figures in
# docs/ must equal their golden SVGs, so they cannot drift.
#   ladder.sh SYNACK            check
#   ladder.sh SYNACK --update   rewrite the golden files and docs/ (make figures)
set -euo pipefail
synack=$(realpath "$1")
mode=${2:-check}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
golden=$here/ladder
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | arguments (run in $work, so file names in titles are relative)
cases=(
  "client-close|--scenario 3"
  "server-close|server-close.pcap"
  "simultaneous-open|--scenario 5"
  "simultaneous-close|--scenario 4"
  "rst-refused|--scenario 8 --conn 1"
  "rst-abort|--scenario 8 --conn 2"
)
# docs figure <- golden case
figures=("ladder-client-close.svg|client-close" "ladder-simultaneous-close.svg|simultaneous-close")

python3 "$here/craft_pcap.py" "$work/server-close.pcap"
fail=0
for c in "${cases[@]}"; do
  name=${c%%|*}
  args=${c#*|}
  # shellcheck disable=SC2086  # the arguments are words
  (cd "$work" && "$synack" ladder $args --svg "$name.svg" >"$name.txt")
  if [ "$mode" = --update ]; then
    cp "$work/$name.txt" "$work/$name.svg" "$golden/"
    continue
  fi
  for ext in txt svg; do
    if ! diff -u "$golden/$name.$ext" "$work/$name.$ext" >"$work/diff"; then
      echo "FAIL $name.$ext differs from the golden file:"; head -40 "$work/diff"; fail=1
    fi
  done
  python3 - "$work/$name.svg" <<'PY' || { echo "FAIL $name.svg is not well-formed XML"; fail=1; }
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
text = open(sys.argv[1]).read()
# Standalone: nothing fetched from outside (only in-document url(#...) references).
for bad in ("href=\"http", "xlink:href", "@import", "url(http"):
    assert bad not in text, bad
assert root.findall(".//{http://www.w3.org/2000/svg}marker"), "no arrowheads"
PY
  if command -v rsvg-convert >/dev/null; then
    rsvg-convert "$work/$name.svg" -o "$work/$name.png"
    python3 "$here/png_ink.py" "$work/$name.png" "$work/$name.svg" || { echo "FAIL $name.svg renders wrong"; fail=1; }
  else
    echo "rsvg-convert missing (apt-get install librsvg2-bin): rendering not checked"; fail=1
  fi
  echo "ok $name"
done
for f in "${figures[@]}"; do
  doc=${f%%|*}
  name=${f#*|}
  if [ "$mode" = --update ]; then
    cp "$work/$name.svg" "$root/docs/$doc"
  elif ! cmp -s "$root/docs/$doc" "$golden/$name.svg"; then
    echo "FAIL docs/$doc differs from tests/golden/ladder/$name.svg (make figures)"; fail=1
  fi
done
[ "$mode" = --update ] && echo "golden files and docs figures written" && exit 0
if [ $fail = 0 ]; then echo "${#cases[@]} passed, 0 failed"; else echo "ladder golden test failed"; fi
exit $fail
