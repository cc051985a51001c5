#!/usr/bin/env bash
# tshark agreement: pcaps of every demo scenario (synack's writer: raw IP) and two crafted ones
# (IPv6/Ethernet/nanoseconds/big-endian; mid-stream IPv4/Linux cooked) are dissected by tshark, which must read them without a
# message, a malformed packet or a bad checksum; and for every segment of every connection
# tshark's flags, relative seq, ack (when the ACK flag is set), len and calculated window must
# equal what `synack ladder --segments` prints (the numbers the ladders draw), with the same
# connections in the same order (--list against tcp.stream).
#   tshark.sh SYNACK
set -euo pipefail
synack=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v tshark >/dev/null; then
  echo "tshark missing (scripts/setup.sh installs it)"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$synack" demo --pcap "$work" >/dev/null
python3 "$here/craft_pcap.py" "$work/crafted-server-close.pcap" "$work/crafted-midstream.pcap"
fail=0 files=0 segs=0 conns=0
for f in "$work"/*.pcap; do
  files=$((files + 1))
  name=$(basename "$f")
  # tshark's own messages (not the note that it runs as root) mean it had trouble reading; one
  # run gives the fields, the malformed-packet marker and the verified checksum's status.
  tshark -r "$f" -o tcp.check_checksum:TRUE -o tcp.relative_sequence_numbers:TRUE -T fields -E separator=/t \
    -e tcp.stream -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len -e tcp.window_size \
    -e _ws.malformed -e tcp.checksum.status \
    >"$work/fields" 2>"$work/err" || { echo "FAIL $name: tshark exit $?"; fail=1; }
  if grep -v '^Running as user "root"' "$work/err" | grep -q .; then
    echo "FAIL $name: tshark says:"; cat "$work/err"; fail=1
  fi
  # _ws.malformed present, or a checksum status other than 1 (good).
  if awk -F'\t' '$7 != "" || $8 != "1" { bad = 1 } END { exit !bad }' "$work/fields"; then
    echo "FAIL $name: malformed packets or bad checksums:"; cat "$work/fields"; fail=1
  fi
  n=$("$synack" ladder "$f" --list | tail -n +2 | wc -l)
  streams=$(cut -f1 "$work/fields" | sort -un | wc -l)
  if [ "$n" != "$streams" ]; then
    echo "FAIL $name: synack lists $n connections, tshark $streams streams"; fail=1
  fi
  for ((k = 1; k <= n; k++)); do
    conns=$((conns + 1))
    # tshark: stream k-1; ack only where the ACK flag (0x010) is set.
    python3 - "$work/fields" $((k - 1)) >"$work/theirs" <<'PY'
import sys
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] != sys.argv[2]:
        continue
    flags = int(f[1], 16)
    print("0x%04x %s %s %s %s" % (flags, f[2], f[3] if flags & 0x10 else "-", f[4], f[5]))
PY
    "$synack" ladder "$f" --conn "$k" --segments | python3 -c '
import sys
for line in sys.stdin:
    if line.startswith("#"):
        continue
    f = line.rstrip("\n").split("\t")
    flags = int(f[1], 16)
    print("0x%04x %s %s %s %s" % (flags, f[2], f[3] if flags & 0x10 else "-", f[4], f[5]))
' >"$work/ours"
    if ! diff -u "$work/theirs" "$work/ours" >"$work/diff"; then
      echo "FAIL $name connection $k: tshark (-) and synack ladder (+) disagree"; cat "$work/diff"; fail=1
    fi
    segs=$((segs + $(wc -l <"$work/ours")))
  done
  echo "ok $name ($n connection(s))"
done
echo "$files captures, $conns connections, $segs segments compared"
if [ $fail = 0 ]; then echo "$files passed, 0 failed"; else echo "tshark agreement failed"; fi
exit $fail
