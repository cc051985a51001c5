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
  if command -v rsvg-convert >/dev/null; then # half size: the check decodes the PNG in Python
    rsvg-convert --zoom 0.5 "$work/$name.svg" -o "$work/$name.png" || { echo "FAIL $name.svg does not render"; fail=1; }
  else
    echo "rsvg-convert missing (apt-get install librsvg2-bin): rendering not checked"; fail=1
  fi
  echo "ok $name"
done
# Every SVG well-formed, standalone, with arrowheads; every rendering of its size with ink on it.
if [ "$mode" != --update ]; then
  python3 - "$here" "$work" "${cases[@]%%|*}" <<'PY' || fail=1
import os, sys, xml.etree.ElementTree as ET
sys.path.insert(0, sys.argv[1])
import png_ink
work, bad = sys.argv[2], 0
for name in sys.argv[3:]:
    svg = os.path.join(work, name + ".svg")
    try:
        root = ET.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
        text = open(svg).read()
        for ref in ("href=\"http", "xlink:href", "@import", "url(http"):  # only url(#...) inside
            assert ref not in text, ref
        assert root.findall(".//{http://www.w3.org/2000/svg}marker"), "no arrowheads"
        png_ink.main_args(os.path.join(work, name + ".png"), svg, "0.5")
    except Exception as e:  # noqa: BLE001 (report every file, then fail)
        print("FAIL %s.svg: %r" % (name, e))
        bad = 1
sys.exit(bad)
PY
fi
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
