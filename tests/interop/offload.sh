#!/usr/bin/env bash
# offload.sh SYNACK: the virtio-net header offloads against the kernel (issue 11).
#  - synack -> kernel: curl downloads 64 MiB (IPv4) and 16 MiB (IPv6) from `synack serve
#    --offload on`: synack hands the kernel TSO super-segments with partial checksums, which the
#    kernel cuts and completes; sha256 equal, the kernel counts no checksum error, and synack
#    counted super-segments and partial checksums out.
#  - kernel -> synack: `synack get --offload on` downloads 64 MiB from python's http.server: the
#    kernel hands synack GSO super-segments (up to 64 KiB) with checksums left partial or vouched
#    for; synack takes them whole and acknowledges them (sha256 equal, GSO counted, no bad
#    checksum, no kernel retransmission timeout).
#  - the plain mode on the same device afterwards (offloads granted earlier are withdrawn: a plain
#    reader is never handed a super-segment), and --offload on refused with --impair.
. "$(dirname "$0")/lib.sh" "$@"
MIB=${SYNACK_OFFLOAD_MIB:-64}
STACK=(--dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2 -v)

ns_up
mkdir -p "$WORK/www"
make_file "$WORK/www/big" "$MIB"
head -c $(( 16 * 1048576 )) "$WORK/www/big" >"$WORK/www/mid"

# The kernel's TCP counters in the namespace: Tcp InCsumErrors, TcpExt TCPTimeouts.
kstat() { # NAME: the value of one nstat counter (absolute)
  ns nstat -az "$1" | awk -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print 0 }'
}
csum0=$(kstat TcpInCsumErrors)

# ---- synack -> kernel: TSO and partial checksums ----
start_serve --services http --offload on
grep -q "offloads csum,tso4,tso6" "$WORK/serve.log" || fail "serve did not get checksum and TSO offloads: $(grep 'on tun0' "$WORK/serve.log")"
CURL=(curl -sS -g --max-time 60 --fail)
t=$(ms_now)
ns "${CURL[@]}" -o "$WORK/big.got" "http://198.18.0.2/big" || fail "curl (IPv4) failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/www/big" "$WORK/big.got"
say "ok: IPv4 $MIB MiB with offloads in ${dt} ms, sha256 equal"
ns "${CURL[@]}" -o "$WORK/mid.got" "http://[2001:db8::2]/mid" || fail "curl (IPv6) failed"
same_file "$WORK/www/mid" "$WORK/mid.got"
say "ok: IPv6 16 MiB with offloads, sha256 equal"
# "offload: G gso in, V csum valid in, T tso out, P csum partial out"
offload_field() { netstat_synack -s | awk -v f="$1" '/^offload:/ { gsub(",", ""); print $f }'; }
tso_out=$(offload_field 9) partial_out=$(offload_field 12)
[ -n "$tso_out" ] || fail "no offload line in netstat -s"
[ "${tso_out:-0}" -gt 0 ] || fail "no TSO super-segment went out ($(netstat_synack -s | grep offload))"
[ "${partial_out:-0}" -gt 0 ] || fail "no partial checksum went out"
csum1=$(kstat TcpInCsumErrors)
[ "$csum1" -eq "$csum0" ] || fail "the kernel counted $(( csum1 - csum0 )) TCP checksum errors"
say "ok: $tso_out TSO super-segments and $partial_out partial checksums completed by the kernel, no checksum error"
stop_serve

# ---- kernel -> synack: GSO super-segments and the kernel's checksum flags ----
bg httpd "$PY" -m http.server 8080 --bind 198.18.0.1 --directory "$WORK/www"
HTTPD=$LAST_PID
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"
to0=$(kstat TcpExtTCPTimeouts)
ns timeout 120 "$SYNACK" get "${STACK[@]}" --offload on -vv -o "$WORK/dl" "http://198.18.0.1:8080/big" 2>"$WORK/get.log" ||
  fail "synack get failed ($?)"
same_file "$WORK/www/big" "$WORK/dl"
check_no_sanitizer "$WORK/get.log"
line=$(grep "offload: .* super-segments in" "$WORK/get.log") || fail "no offload figures in get's log"
gso=$(sed -E 's/.*offload: ([0-9]+) super-segments in.*/\1/' <<<"$line")
valid=$(sed -E 's/.* ([0-9]+) checksums vouched for.*/\1/' <<<"$line")
[ "$gso" -gt 0 ] || fail "the kernel sent no GSO super-segment: $line"
[ "$valid" -gt 0 ] || fail "no checksum was vouched for by the kernel: $line"
! grep -q "counter tcp_bad_cksum" "$WORK/get.log" || fail "synack dropped segments as bad checksums"
grep -q "counter tcp_gso_in" "$WORK/get.log" || fail "TCP did not count a super-segment received"
to1=$(kstat TcpExtTCPTimeouts)
[ "$to1" -eq "$to0" ] || fail "the kernel's sender timed out $(( to1 - to0 )) times (ACKs of super-segments lost?)"
say "ok: $MIB MiB from the kernel in $gso GSO super-segments, $valid checksums vouched for, all ACKed in time"
kill -TERM "$HTTPD" 2>/dev/null || true

# ---- plain mode on the same device ----
start_serve --services http --offload off
grep -q "offloads off" "$WORK/serve.log" || fail "serve --offload off did not open plain"
ns "${CURL[@]}" -o "$WORK/mid2.got" "http://198.18.0.2/mid" || fail "curl (plain) failed"
same_file "$WORK/www/mid" "$WORK/mid2.got"
gso_in=$(offload_field 2) tso_out=$(offload_field 9)
[ "$gso_in" -eq 0 ] && [ "$tso_out" -eq 0 ] || fail "super-segments in plain mode: gso $gso_in tso $tso_out"
! netstat_synack -s | grep -q "^tcp_bad_cksum" || fail "plain mode dropped bad checksums (partial ones?)"
stop_serve
say "ok: plain mode after offloads: 16 MiB, no super-segment, no bad checksum"

rc=0
ns "$SYNACK" serve "${STACK[@]}" --offload on --impair loss=1% --control "$WORK/x.ctl" >"$WORK/mix.log" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q "do not mix" "$WORK/mix.log" || fail "--offload on with --impair: exit $rc"
say "ok: --offload on refused with --impair"
say "PASS"
