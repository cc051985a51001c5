#!/usr/bin/env bash
# tshark agreement: pcaps of every demo scenario (synack's writer: raw IP) and two crafted ones
# (IPv6/Ethernet/nanoseconds/big-endian; mid-stream IPv4/Linux cooked) are dissected by tshark, which must read them without a
# message, a malformed packet or a bad checksum; and for every segment of every connection
# tshark's flags, relative seq, ack (when the ACK flag is set), len and calculated window must
# equal what `synack ladder --segments` prints (the numbers the ladders draw), with the same
# connections in the same order (--list against tcp.stream).
#   tshark.sh SYNACK            the demo's captures and the crafted ones
#   tshark.sh SYNACK PCAP...    these captures instead (tests/interop/ladder_tun.sh: a TUN transfer)
set -euo pipefail
synack=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v tshark >/dev/null; then
  echo "tshark missing (scripts/setup.sh installs it)"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -gt 1 ]; then
  for f in "${@:2}"; do cp "$f" "$work/"; done
else
  "$synack" demo --pcap "$work" >/dev/null
  python3 "$here/craft_pcap.py" "$work/crafted-server-close.pcap" "$work/crafted-midstream.pcap"
fi
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
  "$synack" ladder "$f" --segments >"$work/ours" || { echo "FAIL $name: synack ladder failed"; fail=1; }
  # Connection k of synack is tcp.stream k-1; ack compared where the ACK flag (0x010) is set.
  if ! python3 - "$work/fields" "$work/ours" >"$work/result" <<'PY'; then
import sys
def rows(path, base, first):
    """{connection (0-based): ["flags seq ack len win", ...]}; columns from `first` on."""
    out = {}
    for line in open(path):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        flags, seq, ack, length, win = f[first:first + 5]
        flags = int(flags, 16)
        out.setdefault(int(f[0]) - base, []).append("0x%04x seq=%s ack=%s len=%s win=%s" % (
            flags, seq, ack if flags & 0x10 else "-", length, win))
    return out
theirs, ours = rows(sys.argv[1], 0, 1), rows(sys.argv[2], 1, 2)  # tshark: stream; synack: conn, time
bad = 0
if sorted(theirs) != sorted(ours):
    print("tshark has streams %s, synack connections %s (0-based)" % (sorted(theirs), sorted(ours)))
    bad = 1
for k in sorted(set(theirs) | set(ours)):
    t, o = theirs.get(k, []), ours.get(k, [])
    for i in range(max(len(t), len(o))):
        a = t[i] if i < len(t) else "(none)"
        b = o[i] if i < len(o) else "(none)"
        if a != b:
            print("connection %d segment %d: tshark %s, synack %s" % (k + 1, i + 1, a, b))
            bad = 1
print("%d %d" % (len(ours), sum(len(v) for v in ours.values())))
sys.exit(bad)
PY
    echo "FAIL $name: tshark and synack ladder disagree:"; cat "$work/result"; fail=1
  fi
  read -r n nsegs < <(tail -1 "$work/result")
  conns=$((conns + n))
  segs=$((segs + nsegs))
  echo "ok $name ($n connection(s))"
done
echo "$files captures, $conns connections, $segs segments compared"
if [ $fail = 0 ]; then echo "$files passed, 0 failed"; else echo "tshark agreement failed"; fi
exit $fail
