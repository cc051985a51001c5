#!/usr/bin/env python3
"""bench/run.py: runs the benchmark programs (build/bench_*) pinned with taskset, several runs each,
and prints one JSON line per figure: the median value (with min and max), its anchor measured in
the same `make bench` run, the ratio value/anchor, the target and whether it is met. Benchmarks are
not tests: nothing here fails on a missed target. Every program is bounded in count and wall time;
each is also killed (by its own PID, via subprocess) if it overruns its budget.

  bench/run.py [--build DIR] [--runs N] [--heavy-runs N] [--cpu C] [--smoke] [--only FIGURES]
Environment: BENCH_RUNS, BENCH_HEAVY_RUNS, BENCH_CPU override the defaults (3, 1, 1).
--smoke: tiny sizes, one run each, so that every program is run and every figure's line is printed
(the ctest `bench_smoke` checks that they all parse); its figures mean nothing.
--only conn_rate,memory,timers,synflood,tun,cores,busy_poll,cc_sim,cc_tun,bulk: just those figures."""
import argparse
import json
import os
import statistics
import subprocess

ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
ap.add_argument("--heavy-runs", type=int, default=int(os.environ.get("BENCH_HEAVY_RUNS", 1)))
ap.add_argument("--cpu", default=os.environ.get("BENCH_CPU", "1"))
ap.add_argument("--smoke", action="store_true")
ap.add_argument("--only", default="", help="comma-separated figures: conn_rate,memory,timers,synflood,tun,cores,busy_poll,cc_sim,cc_tun,bulk")
args = ap.parse_args()
if args.smoke:
    args.runs = args.heavy_runs = 1


def want(figure):
    return not args.only or figure in args.only.split(",")


def sz(full, smoke):
    """The argument list of a program: full size, or the tiny one in smoke mode."""
    return [str(a) for a in (smoke if args.smoke else full)]


def run(prog, argv, runs, budget_s):
    """Runs build/bench_<prog> `runs` times pinned; returns the parsed JSON lines of each run."""
    out = []
    for _ in range(runs):
        cmd = ["taskset", "-c", args.cpu, os.path.join(args.build, "bench_" + prog)] + argv
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=budget_s)
            lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            if p.returncode != 0 or not lines:
                lines = [{"error": "%s exit %d: %s" % (prog, p.returncode, p.stderr.strip()[-300:])}]
        except subprocess.TimeoutExpired:
            lines = [{"error": "%s timed out after %d s" % (prog, budget_s)}]
        out.append(lines)
    return out


def pick(runs, bench, key="value"):
    """Median over runs of line `bench`: ((the line closest to the median, median, min, max, n), errors)."""
    lines = [l for r in runs for l in r if l.get("bench") == bench and l.get(key) is not None]
    errs = [l["error"] for r in runs for l in r if "error" in l]
    if not lines:
        return None, errs
    vals = sorted(l[key] for l in lines)
    med = statistics.median(vals)
    best = min(lines, key=lambda l: abs(l[key] - med))
    return (best, med, vals[0], vals[-1], len(vals)), errs


def med_of(got, default=None):
    return got[0][1] if got[0] else default


def emit(name, got, anchor_name, anchor_value, target, higher_better, extra=None, target_on_ratio=False,
         reached=None):
    """reached(line) -> False when the median run fell short of the figure's scale (a cap stopped
    it first): the target then counts as not met, whatever the value."""
    line = {"bench": name}
    if got[0] is None:
        line.update({"value": None, "error": "; ".join(got[1]) or "no result"})
        print(json.dumps(line), flush=True)
        return
    best, med, lo, hi, n = got[0]
    ratio = med / anchor_value if anchor_value else None
    if target_on_ratio:
        met = ratio is not None and ratio >= target
    else:
        met = med >= target if higher_better else med <= target
    if reached is not None and not reached(best):
        met = False
        line["scale_reached"] = False
    line.update({"value": med, "unit": best.get("unit"), "anchor": anchor_name,
                 "anchor_value": anchor_value, "ratio": round(ratio, 4) if ratio is not None else None,
                 "target": target, "met": bool(met), "min": lo, "max": hi, "runs": n})
    if target_on_ratio:
        line["target_applies_to"] = "ratio"
    if got[1]:
        line["errors"] = got[1]
    line.update(extra or {})
    for k, v in best.items():
        if k not in line and k not in ("bench", "value", "unit"):
            line[k] = v
    print(json.dumps(line), flush=True)


R, H = max(1, args.runs), max(1, args.heavy_runs)

# Kernel memory first: its TIME-WAIT figure must not be disturbed by other TIME-WAIT sockets
# expiring (the loopback rate anchor leaves tens of thousands for 60 s).
if want("memory"):
    kmem = run("kernel_memory", sz([], ["--n", "200"]), R, 60)
    k_sock, k_tw = pick(kmem, "kernel_mem", "per_socket"), pick(kmem, "kernel_mem", "per_time_wait")
    k_src = k_sock[0][0].get("source") if k_sock[0] else "issue-constant"
    k_sock_v, k_tw_v = med_of(k_sock, 3700), med_of(k_tw, 400)

# Figure 1: connection rate, default config, against the kernel on loopback on the same core.
if want("conn_rate"):
    for mode in ("client", "server"):
        k = pick(run("kernel_conn_rate", ["--mode", mode] + sz(["--count", 100000, "--cap", 5], ["--count", 200, "--cap", 2]), R, 60),
                 "kernel_loopback_conn_rate_%s_close" % mode)
        s = run("conn_rate", ["--mode", mode] + sz(["--count", 1000000, "--cap", 15], ["--count", 2000, "--cap", 5]), R, 120)
        emit("conn_rate_%s_close" % mode, pick(s, "conn_rate_%s_close" % mode),
             "kernel_loopback_conn_rate_%s_close" % mode, med_of(k), 1000000, True,
             {"anchor_min": k[0][2] if k[0] else None, "anchor_max": k[0][3] if k[0] else None})

# Figure 2: memory per connection (anchors: the kernel's slab caches, measured above).
if want("memory"):
    m = run("memory", ["--what", "established"] + sz(["--n", 100000, "--cap", 40], ["--n", 1000, "--cap", 5]), R, 120)
    emit("mem_per_established_endpoint", pick(m, "mem_per_established_endpoint"),
         "kernel_mem_per_socket", k_sock_v, 1024, False, {"anchor_source": k_src})  # issue 7: <= 1 KiB
    m = run("memory", ["--what", "timewait"] + sz(["--n", 100000, "--cap", 40], ["--n", 1000, "--cap", 5]), R, 120)
    emit("mem_per_time_wait", pick(m, "mem_per_time_wait"), "kernel_mem_per_time_wait", k_tw_v, 128,
         False, {"anchor_source": k_src})
    m = run("memory", ["--what", "peak"] + sz(["--n", 1000000, "--cap", 45, "--rss-cap-mb", 8192],
                                                  ["--n", 1000, "--cap", 5, "--rss-cap-mb", 1024]), H, 180)
    emit("mem_peak_1m_established", pick(m, "mem_peak_1m_established"), "kernel_mem_per_socket_x_2M",
         k_sock_v * 2e6, 2 * 1024 ** 3, False, {"anchor_source": "%s, x 2,000,000 sockets" % k_src},
         reached=lambda l: l.get("established_endpoints", 0) >= 2 * l.get("n", 0))

# Figure 3: a million TIME-WAIT expiries while serving (the lateness anchor is the clock step:
# lateness cannot be measured finer than the virtual clock advances).
if want("timers"):
    t = run("timers", sz(["--n", 1000000, "--fill-cap", 40, "--cap", 100], ["--n", 1000, "--fill-cap", 5, "--cap", 20]), H, 200)
    emit("timer_tw_expiry_lateness_max", pick(t, "timer_tw_expiry_lateness_max"), "virtual_clock_step_us",
         10, 1000, False, reached=lambda l: l.get("time_wait_filled", 0) >= l.get("target_n", 1))
    rate = pick(t, "timer_conn_rate_during_expiry")
    emit("timer_conn_rate_during_expiry", rate, "timer_conn_rate_without_expiry",
         rate[0][0].get("without_value") if rate[0] else None, 0.9, True, target_on_ratio=True,
         reached=lambda l: l.get("expiries_in_window", 0) >= 990000)

# Figure 4: SYN flood; the anchor is the same run without the flood.
if want("synflood"):
    b = pick(run("synflood", ["--flood", "0"] + sz([], ["--cap", 10]), R, 120), "synflood_legit_success_no_flood")
    f = run("synflood", sz(["--flood", 1000000], ["--flood", 1000, "--cap", 10]), R, 120)
    emit("synflood_legit_success", pick(f, "synflood_legit_success"), "synflood_legit_success_no_flood",
         med_of(b), 99, True, reached=lambda l: l.get("spoofed_syns", 0) >= 1000000)

# Figure 5 (issue 11): kernel <-> synack over TUN, offloads on and off, against kernel -> kernel
# over veth with offloads on, in the same run; scripts/bench-tun.sh pins, takes the medians of R
# runs and prints the JSON lines (it needs root and /dev/net/tun: without, one error line).
if want("tun"):
    tun_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "bench-tun.sh")
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print(json.dumps({"bench": "tun_kernel_to_synack_offload_on", "value": None,
                          "error": "needs root and /dev/net/tun"}), flush=True)
    else:
        try:
            p = subprocess.run([tun_script, "--synack", os.path.join(args.build, "synack"), "--runs", str(R)] +
                               (["--smoke"] if args.smoke else []),
                               capture_output=True, text=True, timeout=600)
            lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            if p.returncode != 0 or not lines:
                lines = [{"bench": "tun_kernel_to_synack_offload_on", "value": None,
                          "error": "bench-tun.sh exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])}]
        except subprocess.TimeoutExpired:
            lines = [{"bench": "tun_kernel_to_synack_offload_on", "value": None, "error": "bench-tun.sh timed out"}]
        for l in lines:
            if l.get("value") is not None and l["bench"].endswith("_offload_on"):
                l.update({"target": 0.8, "target_applies_to": "ratio", "met": l["ratio"] >= 0.8})
            print(json.dumps(l), flush=True)

# Figure 5b (issue 11): 2 cores over TUN multi-queue against 1 core, 8 connections, both
# directions, offloads on and off; also Gbit per synack CPU-second and the kernel peers' CPU
# (scripts/bench-cores.sh). Then busy-poll: 1-byte ping-pong round trips with and without
# --busy-poll, and serve's reads per packet (scripts/bench-busy-poll.sh). Root and /dev/net/tun.
def script_lines(script, argv, first_bench, budget_s):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", script)
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        return [{"bench": first_bench, "value": None, "error": "needs root and /dev/net/tun"}]
    try:
        p = subprocess.run([path] + argv + (["--smoke"] if args.smoke else []), capture_output=True, text=True,
                           timeout=budget_s)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        if p.returncode != 0 or not lines:
            lines = [{"bench": first_bench, "value": None,
                      "error": "%s exit %d: %s" % (script, p.returncode, p.stderr.strip()[-300:])}]
    except subprocess.TimeoutExpired:
        lines = [{"bench": first_bench, "value": None, "error": "%s timed out" % script}]
    return lines


if want("cores"):
    for l in script_lines("bench-cores.sh", ["--synack", os.path.join(args.build, "synack"), "--runs", str(R)],
                          "tun_kernel_to_synack_8conns_2cores_offload_on", 900):
        if l.get("value") is not None and l["bench"].endswith("_2cores_offload_on"):
            l.update({"target": 1.8, "target_applies_to": "ratio", "met": l["ratio"] >= 1.8})
        print(json.dumps(l), flush=True)

if want("busy_poll"):
    for l in script_lines("bench-busy-poll.sh", ["--synack", os.path.join(args.build, "synack"), "--pingpong",
                                                  os.path.join(args.build, "bench_tun_pingpong"), "--runs", str(R)],
                          "tun_pingpong_rtt_p50_busy_poll_50us", 600):
        print(json.dumps(l), flush=True)

# Figure 7 (issue 9): congestion control in virtual time (bench/cc_sim.c, deterministic: one run).
# Each line is a cell of the grid (algorithm x loss x RTT x reordering, 64 MiB) or a 1 Gbit/s x
# 100 ms fill; passed through as the program prints them.
if want("cc_sim"):
    for l in [l for r in run("cc_sim", ["--smoke"] if args.smoke else [], 1, 1800) for l in r]:
        print(json.dumps(l), flush=True)

# Figure 8 (issue 9): the impaired TUN path of tests/interop/impaired.sh, kernel vs synack sender
# per algorithm (bench/cc_tun.sh; root and /dev/net/tun). Target: ratio synack/kernel >= 1.0.
if want("cc_tun"):
    cc_tun = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cc_tun.sh")
    if args.smoke:  # an hour and a half per run: not in smoke mode
        print(json.dumps({"bench": "cc_tun_ratio", "value": None, "error": "skipped in smoke mode"}), flush=True)
    elif os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print(json.dumps({"bench": "cc_tun_ratio", "value": None, "error": "needs root and /dev/net/tun"}), flush=True)
    else:
        try:
            p = subprocess.run([cc_tun, os.path.join(args.build, "synack")], capture_output=True, text=True,
                               timeout=5400)
            lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            if p.returncode != 0 or not lines:
                lines = [{"bench": "cc_tun_ratio", "value": None,
                          "error": "cc_tun.sh exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])}]
        except subprocess.TimeoutExpired:
            lines = [{"bench": "cc_tun_ratio", "value": None, "error": "cc_tun.sh timed out"}]
        for l in lines:
            print(json.dumps(l), flush=True)

# Figure 9 (issue 11): bulk throughput in process, one core for both ends, an ACK per two
# segments (bench/bulk.c), against lwIP talking to itself in the same way (bench/lwip/lwip_bulk.c,
# Debian's liblwip-dev) and the kernel over veth and loopback (bench/kernel_bulk.sh: iperf3 in
# private namespaces, both ends pinned to the same CPU). All per CPU second (see bulk.c).
if want("bulk"):
    kernel = {}
    kb_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_bulk.sh")
    if os.geteuid() != 0:
        kernel_err = "needs root (network namespaces)"
    else:
        kernel_err = None
        try:
            p = subprocess.run([kb_script, "--cpu", args.cpu] + (["--smoke"] if args.smoke else []),
                               capture_output=True, text=True, timeout=300)
            for l in p.stdout.splitlines():
                if l.startswith("{"):
                    j = json.loads(l)
                    kernel[j["bench"]] = j
            if p.returncode != 0:
                kernel_err = "kernel_bulk.sh exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
        except subprocess.TimeoutExpired:
            kernel_err = "kernel_bulk.sh timed out"
    BULK_TARGET = {1500: 40, 9000: None, 65535: 100}  # Gbit/s (issue 11); 9000 has none
    for mtu in ([1500] if args.smoke else [1500, 9000, 65535]):
        cap = sz([3], [0.3])
        lw = pick(run("lwip_bulk", ["--mtu", str(mtu), "--cap"] + cap, R, 60), "bulk_lwip_mtu%d" % mtu)
        s = pick(run("bulk", ["--mtu", str(mtu), "--cap"] + cap, R, 60), "bulk_synack_mtu%d" % mtu)
        kv, kl = kernel.get("kernel_veth_bulk_mtu%d" % mtu), kernel.get("kernel_loopback_bulk_mtu%d" % mtu)
        extra = {"target_applies_to": "ratio to lwIP (>= 3x); target_gbit_s applies to value",
                 "target_gbit_s": BULK_TARGET[mtu],
                 "met_gbit_s": (med_of(s, 0) >= BULK_TARGET[mtu]) if BULK_TARGET[mtu] else None,
                 "kernel_veth": kv.get("value") if kv else None,
                 "kernel_loopback": kl.get("value") if kl else None,
                 "ratio_kernel_veth": round(med_of(s, 0) / kv["value"], 4) if kv and kv.get("value") else None,
                 "ratio_kernel_loopback": round(med_of(s, 0) / kl["value"], 4) if kl and kl.get("value") else None}
        if lw[1]:
            extra["anchor_errors"] = lw[1]
        emit("bulk_synack_mtu%d" % mtu, s, "bulk_lwip_mtu%d" % mtu, med_of(lw), 3.0, True, extra,
             target_on_ratio=True)
        for name, k in (("kernel_veth_bulk_mtu%d" % mtu, kv), ("kernel_loopback_bulk_mtu%d" % mtu, kl)):
            print(json.dumps(k if k else {"bench": name, "value": None, "error": kernel_err or "no result"}),
                  flush=True)
