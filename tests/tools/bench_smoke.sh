#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR: `make bench` in smoke mode (bench/run.py --smoke: tiny sizes, one
# run each) against the programs of BUILD_DIR, so that the benchmarks cannot rot. Asserts only
# that every figure's JSON line is printed, parses, and has a value (figures mean nothing here);
# the TUN and kernel figures need root, /dev/net/tun and iperf3: without them their lines must
# still be printed, with an error.
set -euo pipefail
BUILD=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
out=$(mktemp /tmp/synack-bench-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
"$PY" "$ROOT/bench/run.py" --build "$BUILD" --smoke >"$out"
echo "bench smoke: $(( $(date +%s) - start )) s"
privileged=0
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && command -v iperf3 >/dev/null && privileged=1
"$PY" - "$out" "$privileged" <<'PYEOF'
import json, sys
path, privileged = sys.argv[1], sys.argv[2] == "1"
expected = ["conn_rate_client_close", "conn_rate_server_close", "mem_per_established_endpoint",
            "mem_per_time_wait", "mem_peak_1m_established", "timer_tw_expiry_lateness_max",
            "timer_conn_rate_during_expiry", "synflood_legit_success", "bulk_synack_mtu1500"]
privileged_only = ["tun_kernel_to_synack_offload_on", "tun_synack_to_kernel_offload_on",
                   "tun_kernel_to_synack_offload_off", "tun_synack_to_kernel_offload_off",
                   "kernel_veth_bulk_mtu1500", "kernel_loopback_bulk_mtu1500",
                   "tun_kernel_to_synack_8conns_2cores_offload_on", "tun_synack_to_kernel_8conns_2cores_offload_on",
                   "tun_kernel_to_synack_8conns_2cores_offload_on_per_synack_cpu",
                   "tun_synack_to_kernel_8conns_2cores_offload_on_per_synack_cpu",
                   "tun_pingpong_rtt_p50_busy_poll_50us", "tun_pingpong_rtt_p99_busy_poll_50us"]
lines, bad = {}, []
for raw in open(path):
    raw = raw.strip()
    if not raw:
        continue
    try:
        j = json.loads(raw)
    except ValueError as e:
        bad.append("not JSON: %r (%s)" % (raw[:120], e))
        continue
    lines[j.get("bench")] = j
for name in expected + (privileged_only if privileged else []):
    j = lines.get(name)
    if j is None:
        bad.append("%s: no line" % name)
    elif j.get("value") is None:
        bad.append("%s: no value (%s)" % (name, j.get("error") or j.get("errors")))
if lines.get("bulk_synack_mtu1500", {}).get("anchor_value") is None:
    bad.append("bulk_synack_mtu1500: no lwIP anchor (liblwip-dev: scripts/setup.sh)")
if not privileged:
    for name in privileged_only[:1]:
        if name not in lines:
            bad.append("%s: no line (an error line is expected without root)" % name)
print("bench smoke: %d lines, %d expected%s" % (len(lines), len(expected) + (len(privileged_only) if privileged else 0),
                                                "" if privileged else " (unprivileged: TUN/kernel figures not required)"))
for b in bad:
    print("FAIL: bench smoke: " + b)
sys.exit(1 if bad else 0)
PYEOF
