#!/usr/bin/env bash
# pcap_capture.sh SYNACK: `--pcap FILE` writes what crosses the TUN device. curl downloads a file
# from `synack serve --pcap` (plain device, then with offloads), `synack get --pcap` downloads
# from a kernel server; tshark reads each capture with no warning and no malformed packet (TCP
# and IP checksums checked), and its dissection shows the handshake, the data and both FINs with
# the right relative seq/ack/len (pcap_check.py). With offloads the super-segments are written
# whole: segments longer than the MSS must be there.
. "$(dirname "$0")/lib.sh" "$@"
need tshark
need curl
HERE=$(dirname "$0")
SIZE=300000

ns_up
mkdir -p "$WORK/www" "$WORK/srv"
head -c $SIZE /dev/urandom >"$WORK/www/file"
cp "$WORK/www/file" "$WORK/srv/file"

# tshark FILE: the dissection as fields, failing on any warning, error or malformed packet.
dissect() {
  local f=$1
  tshark -r "$f" -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o tcp.relative_sequence_numbers:TRUE \
    -Y '_ws.expert.severity >= 6291456 || _ws.malformed' -T fields -e frame.number -e _ws.expert.message \
    >"$f.bad" 2>"$f.err" || fail "tshark failed on $f: $(cat "$f.err")"
  # tshark's note that it runs as root is about capturing, not about the file.
  grep -v 'Running as user "root"' "$f.err" >"$f.err2" || true
  [ ! -s "$f.err2" ] || fail "tshark complained about $f: $(cat "$f.err2")"
  # A D-SACK block (RFC 2883) reports a duplicate the peer sent: tshark flags it as a warning
  # about the traffic, not about the file.
  grep -v 'D-SACK Sequence' "$f.bad" >"$f.bad2" || true
  [ ! -s "$f.bad2" ] || fail "tshark warnings in $f: $(head -5 "$f.bad2")"
  tshark -r "$f" -n -o tcp.relative_sequence_numbers:TRUE -Y tcp -T fields -E separator=, \
    -e ip.src -e ipv6.src -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len \
    >"$f.csv" 2>>"$f.err" || fail "tshark failed on $f"
}

for mode in off on; do
  start_serve --offload $mode --pcap "$WORK/serve-$mode.pcap"
  say "curl from synack serve --offload $mode --pcap"
  ns curl -s -o "$WORK/dl-$mode" "http://198.18.0.2/file" || fail "curl failed"
  same_file "$WORK/www/file" "$WORK/dl-$mode"
  sleep 0.3 # the last ACKs
  stop_serve
  grep -q "capture: [0-9]* packets written" "$WORK/serve.log" || fail "serve did not report its capture"
  dissect "$WORK/serve-$mode.pcap"
  want_super=0
  [ $mode = on ] && want_super=1
  /usr/bin/python3 "$HERE/pcap_check.py" "$WORK/serve-$mode.pcap.csv" 198.18.0.2 80 $SIZE $want_super ||
    fail "the capture with --offload $mode does not show the transfer as sent"
  say "ok: --offload $mode: tshark reads $(wc -l <"$WORK/serve-$mode.pcap.csv") TCP segments, no warnings"
  mv "$WORK/serve.log" "$WORK/serve-$mode.log"
done

bg httpd "$PY" -m http.server 8080 --bind 198.18.0.1 --directory "$WORK/srv"
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"
ns timeout 60 "$SYNACK" get --dev tun0 --no-create --addr 198.18.0.2 --offload off --pcap "$WORK/get.pcap" -v \
  -o "$WORK/dl-get" http://198.18.0.1:8080/file 2>"$WORK/get.log" || fail "synack get failed"
same_file "$WORK/srv/file" "$WORK/dl-get"
dissect "$WORK/get.pcap"
/usr/bin/python3 "$HERE/pcap_check.py" "$WORK/get.pcap.csv" 198.18.0.1 8080 $SIZE 0 ||
  fail "synack get's capture does not show the transfer"
say "ok: synack get --pcap: $(wc -l <"$WORK/get.pcap.csv") TCP segments"
