#!/usr/bin/env bash
# fragments.sh SYNACK: the kernel's packets reach synack in fragments and synack reassembles them;
# synack's own large replies leave in fragments and the kernel reassembles them.
#
# A TCP sender fragments nothing itself (it sizes segments by MSS and path MTU), so the kernel in
# the test's namespace also plays a router with a smaller MTU towards synack than synack's MSS:
#
#   python http.server (198.18.1.1 on va) --veth--> vb --(forwarded, policy table 100:
#   "198.18.0.2 dev tun0 mtu 1000")--> tun0 --> synack (198.18.0.2, MTU 1500, MSS 1460)
#
# ip_no_pmtu_disc=1 in the namespace leaves DF clear, so the forwarding path fragments each
# 1500-byte segment into two instead of answering "fragmentation needed". Everything lives in
# the namespace (the veth pair too) and goes with it. IPv6 routers never fragment, so IPv6 is
# covered by the kernel's own source fragmentation (ping -6 with 8000 bytes).
. "$(dirname "$0")/lib.sh" "$@"
MIB=${SYNACK_FRAG_MIB:-64}
need ping

ns_up
ns ip link add va type veth peer name vb || fail "cannot make a veth pair"
ns ip link set va up
ns ip link set vb up
ns ip addr add 198.18.1.1/24 dev va
ns ip addr add 198.18.2.1/24 dev vb
# Forwarding; DF clear (so routers fragment); a packet from our own address arriving on vb is
# accepted (accept_local), and no reverse-path filter sees the detour.
ns sysctl -qw net.ipv4.ip_forward=1 net.ipv4.ip_no_pmtu_disc=1 \
  net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.va.rp_filter=0 \
  net.ipv4.conf.vb.rp_filter=0 net.ipv4.conf.tun0.rp_filter=0 \
  net.ipv4.conf.all.accept_local=1 net.ipv4.conf.vb.accept_local=1 >/dev/null ||
  fail "cannot set the namespace's sysctls"
# To synack: out of va to a gateway that is vb (a static neighbour), then from vb by table 100.
ns ip neigh replace 198.18.2.2 lladdr "$(ns cat /sys/class/net/vb/address)" dev va nud permanent
ns ip route add 198.18.0.2/32 via 198.18.2.2 dev va onlink src 198.18.1.1
ns ip route add 198.18.0.2/32 dev tun0 mtu 1000 table 100
ns ip rule add iif vb lookup 100 pref 100
ns ip route get 198.18.0.2 from 198.18.1.1 iif vb | grep -q "mtu 1000" ||
  fail "the forwarding path has no 1000-byte MTU: $(ns ip route get 198.18.0.2 from 198.18.1.1 iif vb)"

# The kernel's IPv4 fragmentation counters (the namespace starts at zero).
ip_stat() {
  ns cat /proc/net/snmp | awk -v f="$1" '$1 == "Ip:" { if (!n) { for (i = 2; i <= NF; i++) c[$i] = i; n = 1 } else print $c[f] }'
}

# 1. Kernel -> synack: a 64 MiB HTTP download by `synack get`, every full segment in fragments.
mkdir -p "$WORK/srv"
make_file "$WORK/srv/file" "$MIB"
bg httpd "$PY" -m http.server 8080 --bind 198.18.1.1 --directory "$WORK/srv"
HTTPD=$LAST_PID
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"
STACK=(--dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2 -vv)
say "synack get http://198.18.1.1:8080/file ($MIB MiB) through a 1000-byte MTU hop"
t=$(ms_now)
ns timeout 180 "$SYNACK" get "${STACK[@]}" -o "$WORK/dl" "http://198.18.1.1:8080/file" 2>"$WORK/get.log" ||
  fail "synack get failed ($?)"
dt=$(( $(ms_now) - t ))
same_file "$WORK/srv/file" "$WORK/dl"
check_no_sanitizer "$WORK/get.log"
created=$(ip_stat FragCreates)
counter() { sed -n "s/.*counter $1 *\([0-9]*\) .*/\1/p" "$2" | tail -1; }
reass=$(counter reass_ok "$WORK/get.log")
frags=$(counter ip_fragment "$WORK/get.log")
segs=$(( MIB * 1048576 / 1460 ))
[ "${created:-0}" -ge "$segs" ] || fail "the kernel made only ${created:-0} fragments (want >= $segs)"
[ "${reass:-0}" -ge $(( segs * 9 / 10 )) ] ||
  fail "synack reassembled only ${reass:-0} datagrams (want >= $(( segs * 9 / 10 )))"
grep -q "reassembly: 0 bytes in use" "$WORK/get.log" || fail "reassembly memory left at exit: $(grep reassembly: "$WORK/get.log")"
say "ok: $MIB MiB in ${dt} ms ($(( MIB * 8 * 1000 / (dt > 0 ? dt : 1) )) Mbit/s), sha256 equal;" \
  "kernel made $created fragments, synack received $frags and rebuilt $reass datagrams, 0 bytes left"
kill -TERM "$HTTPD" 2>/dev/null || true

# 2. Large pings both ways: the kernel fragments the request (IPv4: at the source and again at the
#    1000-byte hop; IPv6: at the source), synack reassembles it and fragments its reply.
start_serve --services discard
before=$(ip_stat ReasmOKs)
ns ping -4 -c 3 -i 0.2 -W 2 -n -s 8000 -M dont 198.18.0.2 >"$WORK/ping4.log" 2>&1 ||
  fail "ping -s 8000 198.18.0.2: $(tail -3 "$WORK/ping4.log")"
grep -q "3 received" "$WORK/ping4.log" || fail "IPv4: not all large echoes answered: $(tail -2 "$WORK/ping4.log")"
[ $(( $(ip_stat ReasmOKs) - before )) -ge 3 ] || fail "the kernel reassembled no IPv4 reply: synack did not fragment"
ns ping -6 -c 3 -i 0.2 -W 2 -n -s 8000 2001:db8::2 >"$WORK/ping6.log" 2>&1 ||
  fail "ping -6 -s 8000 2001:db8::2: $(tail -3 "$WORK/ping6.log")"
grep -q "3 received" "$WORK/ping6.log" || fail "IPv6: not all large echoes answered: $(tail -2 "$WORK/ping6.log")"
reasm6=$(ns cat /proc/net/snmp6 | awk '$1 == "Ip6ReasmOKs" { print $2 }')
[ "${reasm6:-0}" -ge 3 ] || fail "the kernel reassembled no IPv6 reply: synack did not fragment"
# The largest echo the kernel can send (65,507 bytes of data) comes back too.
ns ping -4 -c 1 -W 3 -n -s 65507 -M dont 198.18.0.2 >"$WORK/ping4max.log" 2>&1 ||
  fail "ping -s 65507: $(tail -3 "$WORK/ping4max.log")"
netstat_synack -s >"$WORK/stats.txt" || fail "synack netstat -s failed"
grep -q "^reassembly: 0 bytes in use" "$WORK/stats.txt" || fail "synack holds reassembly memory: $(grep reassembly: "$WORK/stats.txt")"
n_ok=$(awk '$1 == "reass_ok" { print $2 }' "$WORK/stats.txt")
n_out=$(awk '$1 == "ip_frag_out" { print $2 }' "$WORK/stats.txt")
[ "${n_ok:-0}" -ge 7 ] && [ "${n_out:-0}" -ge 7 ] ||
  fail "synack counters: reass_ok ${n_ok:-0}, ip_frag_out ${n_out:-0} (want >= 7 each)"
say "ok: 8000-byte pings over IPv4 and IPv6 and a 65,507-byte IPv4 ping answered;" \
  "synack rebuilt $n_ok requests and sent $n_out fragments, 0 bytes left"
stop_serve
say "PASS"
