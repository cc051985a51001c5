#!/usr/bin/env bash
# impaired.sh SYNACK [4|6]: downloads through an impaired path arrive intact (sha256 equal).
# synack's --impair applies loss 5%, delay 20 ms (+2 ms jitter), reordering 2%, duplication 1% and
# corruption 0.5% to both directions; nftables drops another 1% of what the kernel receives.
#  1. kernel curl <- synack serve (synack sends, with SYNACK_IMPAIR_SERVE_CC: bbr by default)
#     SYNACK_IMPAIR_SERVE_MIB, default 64
#  2. synack get <- kernel http.server (the kernel sends, with the namespace's default)
#     SYNACK_IMPAIR_GET_MIB, default 64
# The serving side runs BBR whatever the host's default: at ~6% loss and a 45 ms RTT a
# loss-based sender (CUBIC, the kernel's as synack's) moves ~1 Mbit/s, 64 MiB in ~9 minutes.
# BBR moves the 64 MiB in 7-17 s on an idle machine with the ASan build (final main of session 15,
# v4 and v6 in parallel: 7.5 s and 16.8 s; the kernel's 64 MiB the other way 43 s). Before the
# RTT was sampled from SACKed segments, an ASan synack starved of CPU (load 11-14) fell to
# 2 Mbit/s (RTT 450 ms on this 40 ms path) and moved 59 of 64 MiB in curl's 240 s. The
# counters after 1 are the sender's timeouts, probes and undos.
. "$(dirname "$0")/lib.sh" "$@"
FAMILY=${2:-4}
SERVE_MIB=${SYNACK_IMPAIR_SERVE_MIB:-64}
SERVE_CC=${SYNACK_IMPAIR_SERVE_CC:-bbr}
GET_MIB=${SYNACK_IMPAIR_GET_MIB:-64}
IMPAIR="loss=5%,delay=20ms,jitter=2ms,reorder=2%,duplicate=1%,corrupt=0.5%"
need nft
if [ "$FAMILY" = 6 ]; then
  SURL="http://[2001:db8::2]" KADDR=2001:db8::1 KURL="http://[2001:db8::1]:8080"
else
  SURL="http://198.18.0.2" KADDR=198.18.0.1 KURL="http://198.18.0.1:8080"
fi

ns_up
ns nft -f - <<'NFT' || fail "nft failed"
table inet synack_impair {
  chain in { type filter hook input priority 0; policy accept; iifname "tun0" numgen random mod 100 < 1 drop; }
}
NFT
mkdir -p "$WORK/www" "$WORK/srv"
make_file "$WORK/www/file" "$SERVE_MIB"
echo probe >"$WORK/www/probe.txt"
make_file "$WORK/srv/file" "$GET_MIB"

# ---- 1: synack sends ----
start_serve --services http --impair "$IMPAIR" --cc "$SERVE_CC" --sndbuf 4m
[ "$(ns curl -sS -g --max-time 30 "$SURL/probe.txt")" = probe ] || fail "cannot fetch a small file from $SURL"
say "1: curl $SURL/file ($SERVE_MIB MiB, synack sends with $SERVE_CC) through: $IMPAIR + nft 1% drop"
t=$(ms_now)
ns curl -sS -g --fail --max-time 240 -o "$WORK/got" "$SURL/file" || fail "1: curl failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/www/file" "$WORK/got"
say "ok: 1: $SERVE_MIB MiB in ${dt} ms ($(( SERVE_MIB * 8388608 / (dt > 0 ? dt : 1) )) kbit/s), sha256 equal"
netstat_synack -s | grep -E "^(impairment:|tcp_rexmt |tcp_fast_rexmt|tcp_rto_fired|tcp_bad_cksum|ip_bad_cksum|tcp_dup_data|tcp_ooo |tcp_tlp|tcp_rack|tcp_prr|tcp_dsack|tcp_spurious|tcp_frto|tcp_ecn)" | sed 's/^/    /' || true
stop_serve

# ---- 2: the kernel sends ----
bg httpd "$PY" -m http.server 8080 --bind "$KADDR" --directory "$WORK/srv"
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"
say "2: synack get $KURL/file ($GET_MIB MiB) through the same path"
t=$(ms_now)
ns timeout 300 "$SYNACK" get --dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2 -v \
  --impair "$IMPAIR" -o "$WORK/dl" "$KURL/file" 2>"$WORK/get.log" || fail "2: synack get failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/srv/file" "$WORK/dl"
check_no_sanitizer "$WORK/get.log"
say "ok: 2: $GET_MIB MiB in ${dt} ms ($(( GET_MIB * 8388608 / (dt > 0 ? dt : 1) )) kbit/s), sha256 equal"
grep -E "impairment:" "$WORK/get.log" | sed 's/^/    /' || true
say "PASS"
