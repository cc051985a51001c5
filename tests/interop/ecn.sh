#!/usr/bin/env bash
# ecn.sh SYNACK [4|6]: ECN negotiation (RFC 3168 6.1.1) with the kernel over TUN, both ways, as
# tshark reads synack's own capture (--pcap) of each connection:
#  - kernel client (net.ipv4.tcp_ecn=1 in this namespace) -> synack serve --ecn passive: the
#    kernel's SYN carries ECE+CWR, synack's SYN-ACK ECE alone, and data both ways goes ECT(0);
#  - synack get --ecn on -> kernel server (tcp_ecn=2, passive): synack's SYN ECE+CWR, the
#    kernel's SYN-ACK ECE, data both ways ECT(0);
#  - and with --ecn off on synack's side (the kernel still asking or willing): no ECE on the
#    SYN-ACK / no ECE+CWR on the SYN, nothing ECN-capable.
# IPv4 or IPv6 (the ECN field of the traffic class; net.ipv4.tcp_ecn governs both).
FAMILY=${2:-4}
. "$(dirname "$0")/lib.sh" "$@"
need tshark
SIZE=200000
if [ "$FAMILY" = 6 ]; then
  ME=2001:db8::2 SRV="http://[2001:db8::2]/file" KSRV="http://[2001:db8::1]:8080/file" BIND=2001:db8::1
  GETADDR=(--addr6 2001:db8::2)
else
  ME=198.18.0.2 SRV="http://198.18.0.2/file" KSRV="http://198.18.0.1:8080/file" BIND=198.18.0.1
  GETADDR=(--addr 198.18.0.2)
fi

ns_up
mkdir -p "$WORK/www" "$WORK/srv"
head -c $SIZE /dev/urandom >"$WORK/www/file"
cp "$WORK/www/file" "$WORK/srv/file"

# summary PCAP SYNACK_ADDR: one line of words saying what the capture shows:
#   syn=E+C|E|C|-  the first SYN's ECE/CWR; synack=...  the SYN-ACK's; then for data segments
#   sent the first time from synack and from the kernel: how many, how many went ECT(0), and CE.
summary() {
  local src=ip.src ecn=ip.dsfield.ecn
  [ "$FAMILY" = 6 ] && src=ipv6.src ecn=ipv6.tclass.ecn
  tshark -r "$1" -n -Y tcp -T fields -E separator=, -e $src -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.ece -e tcp.flags.cwr -e $ecn -e tcp.len -e tcp.analysis.retransmission \
    -e tcp.analysis.fast_retransmission -e tcp.analysis.spurious_retransmission >"$1.csv" 2>"$1.err" ||
    fail "tshark failed on $1: $(cat "$1.err")"
  awk -F, -v me="$2" '
    function yes(v) { return v == "1" || v == "True" }
    function ec(e, c) { return yes(e) && yes(c) ? "E+C" : yes(e) ? "E" : yes(c) ? "C" : "-" }
    yes($2) && !yes($3) && syn == "" { syn = ec($4, $5) }
    yes($2) && yes($3) && synack == "" { synack = ec($4, $5) }
    # Retransmissions go out Not-ECT (RFC 3168 6.1.5), from synack and from Linux alike.
    !yes($2) && $7 > 0 && $8 $9 $10 == "" { who = $1 == me ? "synack" : "kernel"; n[who]++
                                           if ($6 == 2) ect[who]++; if ($6 == 3) ce[who]++ }
    END { printf "syn=%s synack=%s synack_data=%d synack_ect0=%d kernel_data=%d kernel_ect0=%d ce=%d\n",
                 syn == "" ? "?" : syn, synack == "" ? "?" : synack, n["synack"], ect["synack"],
                 n["kernel"], ect["kernel"], ce["synack"] + ce["kernel"] }' "$1.csv"
}

# expect WORDS... SUMMARY: every word (key=value) is in the summary line.
expect() {
  local line=$1 w
  shift
  for w in "$@"; do
    [[ " $line " == *" $w "* ]] || fail "expected $w in: $line"
  done
}
# all_ect SUMMARY WHO: every data segment from WHO went ECT(0), and there were some.
all_ect() {
  local n e
  n=$(sed -nE "s/.* $2_data=([0-9]+).*/\1/p" <<<"$1")
  e=$(sed -nE "s/.* $2_ect0=([0-9]+).*/\1/p" <<<"$1")
  [ "$n" -gt 0 ] && [ "$n" = "$e" ] || fail "$2's data: $e of $n segments ECT(0): $1"
}

# 1. The kernel asks (tcp_ecn=1), synack serve accepts (passive, the default), then refuses (off).
ns sysctl -qw net.ipv4.tcp_ecn=1 || fail "cannot set net.ipv4.tcp_ecn in the namespace"
for mode in passive off; do
  start_serve --ecn $mode --pcap "$WORK/serve-$mode.pcap"
  ns curl -s -o "$WORK/dl-$mode" "$SRV" || fail "curl failed (--ecn $mode)"
  same_file "$WORK/www/file" "$WORK/dl-$mode"
  sleep 0.3 # the last ACKs
  stop_serve
  S=$(summary "$WORK/serve-$mode.pcap" $ME)
  say "kernel tcp_ecn=1 -> serve --ecn $mode: $S"
  expect "$S" syn=E+C
  if [ $mode = passive ]; then
    expect "$S" synack=E ce=0
    all_ect "$S" synack # the file
    all_ect "$S" kernel # the request
  else
    expect "$S" synack=- synack_ect0=0 kernel_ect0=0
  fi
  mv "$WORK/serve.log" "$WORK/serve-$mode.log"
done

# 2. synack get asks (on) or not (off); the kernel server is passive (tcp_ecn=2, its default).
ns sysctl -qw net.ipv4.tcp_ecn=2
bg httpd "$PY" -m http.server 8080 --bind $BIND --directory "$WORK/srv"
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"
for mode in on off; do
  ns timeout 60 "$SYNACK" get --dev tun0 --no-create "${GETADDR[@]}" --ecn $mode --pcap "$WORK/get-$mode.pcap" \
    -o "$WORK/get-$mode" "$KSRV" 2>"$WORK/get-$mode.log" || fail "synack get --ecn $mode failed"
  check_no_sanitizer "$WORK/get-$mode.log"
  same_file "$WORK/srv/file" "$WORK/get-$mode"
  S=$(summary "$WORK/get-$mode.pcap" $ME)
  say "get --ecn $mode -> kernel tcp_ecn=2: $S"
  if [ $mode = on ]; then
    expect "$S" syn=E+C synack=E ce=0
    all_ect "$S" kernel # the file
    all_ect "$S" synack # the request
  else
    expect "$S" syn=- synack=- synack_ect0=0 kernel_ect0=0
  fi
done
say "PASS (IPv$FAMILY)"
