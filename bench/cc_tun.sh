#!/usr/bin/env bash
# cc_tun.sh SYNACK [--mib N] [--families "4 6"] [--ccs "cubic bbr"] [--no-defaults]: congestion
# control over TUN
# on the impaired path of tests/interop/impaired.sh (synack's --impair loss 5%, delay 20 ms,
# jitter 2 ms, reordering 2%, duplication 1%, corruption 0.5% both ways, plus nftables dropping 1%
# of what the kernel receives), in a private namespace that is removed on every exit path.
# For each family and algorithm, side by side in one run:
#   kernel -> synack: the kernel sends N MiB (TCP_CONGESTION per socket) to synack's discard port
#   synack -> kernel: synack serve --cc ALGO sends N MiB from its chargen port to a kernel reader
# and the defaults: the kernel with the namespace's net.ipv4.tcp_congestion_control against
# synack serve without --cc (which takes the same sysctl when synack has that algorithm), and
# synack's library default (cubic) against the kernel's default. One JSON line per pair:
# goodputs in Mbit/s and ratio = synack / kernel (target >= 1.0, issue 9).
# A transfer that does not finish in 240 s reports what it moved in that time.
set -- "${1:?usage: cc_tun.sh SYNACK [--mib N] [--families \"4 6\"] [--ccs \"cubic bbr\"]}" "${@:2}"
SYNACK_ARG=$1
shift
MIB=8 FAMILIES="4 6" CCS="cubic bbr" DEFAULTS=1
while [ $# -gt 0 ]; do
  case $1 in
    --mib) MIB=$2; shift 2 ;;
    --families) FAMILIES=$2; shift 2 ;;
    --ccs) CCS=$2; shift 2 ;;
    --no-defaults) DEFAULTS=0; shift ;;
    *) echo "cc_tun.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export SYNACK_OFFLOAD=off # --impair runs plain
. "$(dirname "$0")/../tests/interop/lib.sh" "$SYNACK_ARG"
IMPAIR="loss=5%,delay=20ms,jitter=2ms,reorder=2%,duplicate=1%,corrupt=0.5%"
need nft
LIMIT_S=240
declare -A CUBIC_S # synack cubic's line per family, for the row against the kernel's default

ns_up
ns nft -f - <<'NFT' || fail "nft failed"
table inet synack_impair {
  chain in { type filter hook input priority 0; policy accept; iifname "tun0" numgen random mod 100 < 1 drop; }
}
NFT
KDEFAULT=$(ns sysctl -n net.ipv4.tcp_congestion_control)

# The kernel's end: send or receive N MiB with the given algorithm; prints Mbit/s and bytes.
cat >"$WORK/kside.py" <<'PY'
import socket, sys, time
mode, addr, port, cc, nbytes, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
s.settimeout(limit)
s.connect((addr, port))
t0 = time.monotonic()
moved = 0
try:
    if mode == "send":
        buf = b"x" * 65536
        while moved < nbytes and time.monotonic() - t0 < limit:
            moved += s.send(buf[: min(len(buf), nbytes - moved)])
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):  # discard closes after our FIN: everything arrived
            pass
    else:
        while moved < nbytes and time.monotonic() - t0 < limit:
            d = s.recv(min(262144, nbytes - moved))
            if not d:
                break
            moved += len(d)
except (socket.timeout, OSError) as e:
    print("kside: %s" % e, file=sys.stderr)
dt = time.monotonic() - t0
print("%.3f %d %.3f" % (moved * 8 / dt / 1e6 if dt > 0 else 0, moved, dt))
PY

BYTES=$((MIB * 1048576))
# transfer DIRECTION FAMILY CC: "mbps bytes seconds" into $WORK/r (no subshell: the serve it
# starts stays on this shell's list of processes to stop)
transfer() {
  local dir=$1 fam=$2 cc=$3 addr port mode
  if [ "$fam" = 6 ]; then addr=2001:db8::2; else addr=198.18.0.2; fi
  local kcc=$cc scc=(--cc "$cc")
  # "host": both sides take the namespace's default (synack serve without --cc)
  if [ "$cc" = host ]; then kcc=$KDEFAULT scc=(); fi
  if [ "$dir" = k2s ]; then port=9 mode=send scc=(--cc cubic); else port=19 mode=recv; fi
  start_serve --services echo,discard,chargen --impair "$IMPAIR" "${scc[@]}" --sndbuf 4m --rcvbuf 4m
  ns timeout $((LIMIT_S + 30)) "$PY" "$WORK/kside.py" "$mode" "$addr" "$port" "$kcc" "$BYTES" "$LIMIT_S" \
    >"$WORK/r" 2>>"$WORK/kside.log" || echo "0 0 0" >"$WORK/r"
  stop_serve
}

json() { # name fam cc kernel_line synack_line
  local kb km ks sb sm ss
  read -r km kb ks <<<"$4"
  read -r sm sb ss <<<"$5"
  "$PY" - "$1" "$2" "$3" "$km" "$kb" "$ks" "$sm" "$sb" "$ss" "$MIB" <<'PY'
import json, sys
n, fam, cc, km, kb, ks, sm, sb, ss, mib = sys.argv[1:]
km, sm = float(km), float(sm)
print(json.dumps({"bench": n, "family": int(fam), "cc": cc, "mib": int(mib), "impair": "impaired.sh path",
                  "kernel_to_synack_mbps": km, "kernel_bytes": int(kb), "kernel_s": float(ks),
                  "synack_to_kernel_mbps": sm, "synack_bytes": int(sb), "synack_s": float(ss),
                  "value": round(sm / km, 4) if km > 0 else None, "unit": "ratio synack/kernel",
                  "target": 1.0, "met": bool(km > 0 and sm / km >= 1.0)}), flush=True)
PY
}

for fam in $FAMILIES; do
  for cc in $CCS; do
    say "IPv$fam $cc: kernel -> synack, $MIB MiB"
    transfer k2s "$fam" "$cc"
    k=$(cat "$WORK/r")
    say "  $k"
    say "IPv$fam $cc: synack -> kernel, $MIB MiB"
    transfer s2k "$fam" "$cc"
    s=$(cat "$WORK/r")
    say "  $s"
    json cc_tun_ratio "$fam" "$cc" "$k" "$s"
    [ "$cc" = cubic ] && CUBIC_S[$fam]=$s
  done
  [ "$DEFAULTS" = 1 ] || continue
  say "IPv$fam defaults: kernel $KDEFAULT, synack serve without --cc"
  transfer k2s "$fam" "$KDEFAULT"
  k=$(cat "$WORK/r")
  transfer s2k "$fam" host
  s=$(cat "$WORK/r")
  scc=$(grep -o 'congestion control: [a-z]*' "$WORK/serve.log" | tail -1 | cut -d' ' -f3)
  json cc_tun_default_ratio "$fam" "kernel:$KDEFAULT/synack:${scc:-?}" "$k" "$s"
  # synack's library default against the kernel's default (loss-based against BBR here)
  say "IPv$fam synack cubic against the kernel's $KDEFAULT"
  if [ "$CCS" = "${CCS/cubic/}" ]; then transfer s2k "$fam" cubic; s=$(cat "$WORK/r"); else s=${CUBIC_S[$fam]}; fi
  json cc_tun_cubic_vs_kernel_default "$fam" "kernel:$KDEFAULT/synack:cubic" "$k" "$s"
done
